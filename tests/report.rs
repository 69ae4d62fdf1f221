//! `carecast report`: open everything it writes (PNG, SVG, CSV, HTML), render
//! the page in a real headless browser, and feed it bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{fails, ok, read_csv, root};

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A decoded PNG: width, height and RGB(A) bytes.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file)
        .read_info()
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    (info.width, info.height, buf, channels)
}

/// Variance of the grey level over all pixels: 0 for a blank image.
fn grey_variance(pixels: &[u8], channels: usize) -> f64 {
    let greys: Vec<f64> = pixels
        .chunks(channels)
        .map(|p| {
            p[..channels.min(3)]
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / 3.0
        })
        .collect();
    let mean = greys.iter().sum::<f64>() / greys.len() as f64;
    greys.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / greys.len() as f64
}

/// Every `href="..."` and `src="..."` target of a page.
fn references(html: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            refs.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    refs
}

/// A shown key figure back as a number: "27.58%" -> 0.2758, "1,234" -> 1234.
fn parse_shown(shown: &str) -> Option<f64> {
    if shown == "–" {
        return None;
    }
    if let Some(p) = shown.strip_suffix('%') {
        return Some(p.parse::<f64>().unwrap() / 100.0);
    }
    Some(shown.replace(',', "").parse().unwrap())
}

/// Checks one report folder; returns the key figures by (id, year).
fn check_report(dir: &Path) -> BTreeMap<(String, i32), Option<f64>> {
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    // Offline: no network references, every referenced file exists.
    // (SVG's xmlns is a name, not a fetch.)
    assert!(!html.contains("url(") && !html.contains("@import") && !html.contains("<script"));
    let refs = references(&html);
    assert!(refs.len() >= 10, "too few links: {refs:?}");
    for r in &refs {
        assert!(!r.contains("//"), "index.html fetches {r}");
        assert!(dir.join(r).is_file(), "index.html references missing {r}");
    }
    let mut charts = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("png") => {
                let (w, h, pixels, channels) = decode_png(&path);
                assert_eq!((w, h), (1600, 1000), "{}", path.display());
                let var = grey_variance(&pixels, channels);
                assert!(
                    var > 100.0,
                    "{} looks blank (variance {var})",
                    path.display()
                );
                charts += 1;
                let stem = path.file_stem().unwrap().to_str().unwrap();
                assert!(dir.join(format!("{stem}.svg")).is_file());
                assert!(dir.join(format!("{stem}.csv")).is_file());
                assert!(html.contains(&format!("href=\"{stem}.png\"")));
            }
            Some("svg") => {
                let text = std::fs::read_to_string(&path).unwrap();
                let doc = roxmltree::Document::parse(&text)
                    .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
                assert_eq!(doc.root_element().tag_name().name(), "svg");
                assert!(doc.descendants().filter(|n| n.has_tag_name("text")).count() > 10);
            }
            _ => {}
        }
    }
    assert!(charts >= 4, "only {charts} charts");
    // Every key figure is in the page as shown, and the shown text is the value.
    // A report of regions puts a `region` column first; its rows are keyed
    // `<region>/<id>` (the parent's, `total`, by the id alone).
    let (mut header, mut rows) = read_csv(&dir.join("key_figures.csv"));
    let regions = header[0] == "region";
    let mut region_of = Vec::new();
    if regions {
        header.remove(0);
        for row in &mut rows {
            region_of.push(row.remove(0));
        }
    }
    assert_eq!(header, ["id", "quantity", "unit", "year", "value", "shown"]);
    let mut figures = BTreeMap::new();
    for (k, row) in rows.iter().enumerate() {
        let shown = &row[5];
        assert!(
            html.contains(&format!("<td>{shown}</td>")),
            "{} {}: {shown} not in index.html",
            row[0],
            row[3]
        );
        let value: Option<f64> = (!row[4].is_empty()).then(|| row[4].parse().unwrap());
        match (value, parse_shown(shown)) {
            (None, None) => {}
            (Some(v), Some(s)) if row[2] == "%" => assert!((v - s).abs() <= 5e-5, "{row:?}"),
            (Some(v), Some(s)) => assert!((v - s).abs() <= 0.5 + 1e-9, "{row:?}"),
            other => panic!("{row:?}: value and shown disagree: {other:?}"),
        }
        let id = match region_of.get(k) {
            Some(r) if r != "total" => format!("{r}/{}", row[0]),
            _ => row[0].clone(),
        };
        figures.insert((id, row[3].parse().unwrap()), value);
    }
    figures
}

#[test]
fn english_report_opens_and_agrees_with_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(&[
        "report",
        "--model",
        "models/jiaxing.toml",
        "--trajectories",
        "400",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let figures = check_report(&out);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    // The plan's stated 27.58% (2021) and 32% (2025) are on the ageing chart.
    let (_, rows) = read_csv(&out.join("ageing.csv"));
    let stated: Vec<&Vec<String>> = rows.iter().filter(|r| r[1].starts_with("stated")).collect();
    assert_eq!(stated.len(), 2, "{stated:?}");
    assert!(stated.iter().any(|r| r[2] == "2021" && r[3] == "0.2758"));
    // Key figures are the projection's numbers: the plan scenario's 60+
    // share on the chart, and the gap chart's gap in 2025.
    let plan60 = rows
        .iter()
        .find(|r| r[1] == "Plan, 60+" && r[2] == "2025")
        .unwrap();
    let share: f64 = plan60[3].parse().unwrap();
    assert!((figures[&("share_60plus".into(), 2025)].unwrap() - share).abs() < 1e-12);
    let (gh, grows) = read_csv(&out.join("gap.csv"));
    let (gi, si) = (
        gh.iter().position(|c| c == "gap").unwrap(),
        gh.iter().position(|c| c == "service").unwrap(),
    );
    assert!(!grows.is_empty());
    for g in &grows {
        let key = (format!("{}:gap", g[si]), 2025);
        let gap: f64 = g[gi].parse().unwrap();
        assert!((figures[&key].unwrap() - gap).abs() < 1e-9, "{key:?}");
    }
    // The need view has its own chart and key figures: the caregivers' need
    // (dependency prevalence x institutional use x staff ratio) is near the
    // plan's supply in 2025, so its P(shortfall) is neither 0 nor 1.
    let (nh, nrows) = read_csv(&out.join("gap_need.csv"));
    let ni = nh.iter().position(|c| c == "service").unwrap();
    assert!(nrows.iter().any(|r| r[ni] == "caregivers"), "{nrows:?}");
    let p = figures[&("caregivers:need:p_shortfall".into(), 2025)].unwrap();
    assert!(
        p > 0.05 && p < 0.95,
        "P(caregivers short by need, 2025) = {p}"
    );
    // Fans: the 80% band lies inside the 95% band, around the plan line.
    let band = |label: &str| -> BTreeMap<String, (f64, f64)> {
        rows.iter()
            .filter(|r| r[1] == label)
            .map(|r| (r[2].clone(), (r[4].parse().unwrap(), r[5].parse().unwrap())))
            .collect()
    };
    let (b80, b95) = (band("80% of trajectories"), band("95% of trajectories"));
    assert!(b80.len() >= 20);
    for (year, (lo, hi)) in &b80 {
        let (lo95, hi95) = b95[year];
        assert!(lo95 <= *lo && lo <= hi && *hi <= hi95, "{year}");
    }
    // The robust schedule: its chart's extra stock is the key figure's,
    // and the caregivers' chart draws the schedule, never decreasing.
    let (rh, rrows) = read_csv(&out.join("robust_plan.csv"));
    let (gi, si) = (
        rh.iter().position(|c| c == "gap").unwrap(),
        rh.iter().position(|c| c == "service").unwrap(),
    );
    let li = rh.iter().position(|c| c == "label").unwrap();
    for r in &rrows {
        let id = if r[li].ends_with(", by need") {
            format!("{}:need:robust_extra_vs_plan", r[si])
        } else {
            format!("{}:robust_extra_vs_plan", r[si])
        };
        let extra: f64 = r[gi].parse().unwrap();
        assert!(
            (figures[&(id.clone(), 2025)].unwrap() - extra).abs() < 1e-9,
            "{id}"
        );
    }
    let (_, crows) = read_csv(&out.join("service_caregivers.csv"));
    let robust: Vec<f64> = crows
        .iter()
        .filter(|r| r[1] == "stock for 90% safety (by need)")
        .map(|r| r[3].parse().unwrap())
        .collect();
    assert_eq!(robust.len(), 30);
    assert!(robust.windows(2).all(|w| w[1] >= w[0]), "{robust:?}");
    // What drives each risk, in 2030: shares add up to 1 per gap.
    let (dh, drows) = read_csv(&out.join("risk_drivers.csv"));
    assert_eq!(
        dh,
        [
            "year",
            "service",
            "method",
            "label",
            "source",
            "variance_share"
        ]
    );
    let mut sums: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &drows {
        assert_eq!(r[0], "2030");
        *sums.entry((r[1].clone(), r[2].clone())).or_default() += r[5].parse::<f64>().unwrap();
    }
    assert!(sums.len() >= 10, "{sums:?}");
    for (k, s) in &sums {
        assert!((s - 1.0).abs() < 1e-9 || s.abs() < 1e-12, "{k:?}: {s}");
    }
    // The sources and their settings are listed on the page.
    for setting in [
        "Sources of uncertainty in the ensemble",
        "builtin:wpp2019-bounds-158",
        "sd 10,800 persons a year",
        "ages 0-5 ×0.85–1.15",
        "attrition 30% a year",
    ] {
        assert!(html.contains(setting), "{setting} missing");
    }
}

#[test]
fn chinese_report_has_chinese_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zh");
    let said = ok(&[
        "report",
        "--model",
        "models/jiaxing.toml",
        "--lang",
        "zh",
        "--trajectories",
        "300",
        "--out",
        out.to_str().unwrap(),
    ]);
    check_report(&out);
    // The PNG charts are drawn with the collection's Simplified Chinese
    // face, not its first (Japanese) one.
    assert!(said.contains("（Noto Sans CJK SC）"), "{said}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<html lang=\"zh-CN\">"),
        "the zh report fell back to English: no Chinese font found; install fonts-noto-cjk (bash scripts/test does)"
    );
    for word in [
        "主要指标",
        "养老床位",
        "人口金字塔",
        "短缺概率",
        "嘉兴市",
        "集合模拟的不确定性来源",
        "年流失率 30%",
        "缺口方差按不确定性来源分解",
        "保持90%把握不短缺所需存量",
    ] {
        assert!(html.contains(word), "{word} missing");
    }
    let svg = std::fs::read_to_string(out.join("ageing.svg")).unwrap();
    assert!(svg.contains("60岁及以上"));
    // The model's flags in Chinese (flags_zh), none in English.
    assert!(
        html.contains("基期户籍人口总数360万为假设"),
        "flags_zh missing"
    );
    assert!(
        !html.contains("Base total of 3.6 million"),
        "an English flag in the zh report"
    );
}

/// The heat map's axis of a service standard names the service in the
/// report's language.
#[test]
fn a_standard_axis_is_named_by_the_services_label() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.toml");
    std::fs::write(
        &grid,
        format!(
            "[sweep]\nmodel = {:?}\ntrajectories = 100\nseed = 5\nyears = [2025]\n[grid]\ntfr = [0.8, 1.4]\n\"standard.caregivers\" = [27, 30]\n",
            root().join("models/jiaxing.toml").display().to_string()
        ),
    )
    .unwrap();
    let sweep = dir.path().join("sweep");
    ok(&[
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--out",
        sweep.to_str().unwrap(),
        "--quiet",
    ]);
    for (lang, label) in [
        ("zh", "持证养老护理员配置标准"),
        ("en", "Standard for Certified care workers"),
    ] {
        let out = dir.path().join(format!("report-{lang}"));
        ok(&[
            "report",
            "--model",
            "models/jiaxing.toml",
            "--lang",
            lang,
            "--trajectories",
            "100",
            "--sweep",
            sweep.to_str().unwrap(),
            "--sweep-service",
            "caregivers",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        let svg = std::fs::read_to_string(out.join("sweep_heatmap.svg")).unwrap();
        assert!(svg.contains(label), "{lang}: {label} missing");
        assert!(!svg.contains("caregivers 配置标准"));
    }
}

#[test]
fn without_a_chinese_font_the_report_is_english() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fallback");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_carecast"))
        .args(["report", "--model", "models/jiaxing.toml", "--lang", "zh"])
        .args(["--trajectories", "100", "--out", out.to_str().unwrap()])
        .env("CARECAST_FONTS", DEJAVU)
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("no font with Chinese characters"),
        "{stderr}"
    );
    assert!(stderr.contains("writing the report in English"), "{stderr}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(!html.contains("养老床位"));
}

#[test]
fn every_shipped_model_reports() {
    let dir = tempfile::tempdir().unwrap();
    for model in ["shanghai", "huangpu", "lincang"] {
        let out = dir.path().join(model);
        let lang = if model == "lincang" { "zh" } else { "en" };
        ok(&[
            "report",
            "--model",
            &format!("models/{model}.toml"),
            "--lang",
            lang,
            "--trajectories",
            "200",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        check_report(&out);
    }
}

#[test]
fn sweep_heat_map_shows_the_sweeps_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.toml");
    std::fs::write(
        &grid,
        format!(
            "[sweep]\nmodel = {:?}\ntrajectories = 200\nseed = 5\nyears = [2025, 2030]\n[grid]\ntfr = [0.8, 1.4]\ne0_gain = [0.0, 2.0]\n",
            root().join("models/jiaxing.toml").display().to_string()
        ),
    )
    .unwrap();
    let sweep = dir.path().join("sweep");
    ok(&[
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--out",
        sweep.to_str().unwrap(),
        "--quiet",
    ]);
    let out = dir.path().join("report");
    ok(&[
        "report",
        "--model",
        "models/jiaxing.toml",
        "--trajectories",
        "100",
        "--sweep",
        sweep.to_str().unwrap(),
        "--sweep-service",
        "beds",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    check_report(&out);
    let (header, rows) = read_csv(&out.join("sweep_heatmap.csv"));
    assert_eq!(header, ["tfr", "e0_gain", "p_shortfall"]);
    assert_eq!(rows.len(), 4);
    let (sh, srows) = read_csv(&sweep.join("sweep.csv"));
    let col = |n: &str| sh.iter().position(|c| c == n).unwrap();
    for r in &rows {
        let expected = srows
            .iter()
            .find(|s| {
                s[col("tfr")].parse::<f64>().unwrap() == r[0].parse::<f64>().unwrap()
                    && s[col("e0_gain")].parse::<f64>().unwrap() == r[1].parse::<f64>().unwrap()
                    && s[col("quantity")] == "beds"
                    && s[col("year")] == "2025"
            })
            .unwrap();
        assert_eq!(
            r[2].parse::<f64>().unwrap(),
            expected[col("p_shortfall")].parse::<f64>().unwrap()
        );
    }
}

#[test]
fn bad_report_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    let base = ["report", "--model", "models/jiaxing.toml", "--out", o];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        let mut v: Vec<&str> = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    fails(&with(&["--lang", "fr"]), 2, &["'fr'", "en", "zh"], &out);
    fails(
        &with(&["--font", "/no/such/font.ttf"]),
        1,
        &["--font /no/such/font.ttf", "cannot read"],
        &out,
    );
    fails(
        &with(&["--font", "Cargo.toml"]),
        1,
        &["Cargo.toml", "not a TrueType or OpenType font"],
        &out,
    );
    fails(
        &with(&["--lang", "zh", "--font", DEJAVU]),
        1,
        &["no Chinese characters"],
        &out,
    );
    fails(&with(&["--trajectories", "0"]), 1, &["found 0"], &out);
    fails(
        &with(&["--sweep", "/no/such/sweep"]),
        1,
        &["sweep.csv"],
        &out,
    );
    // An output folder that cannot be made: its parent is a file.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let inside = file.join("report");
    fails(
        &[
            "report",
            "--model",
            "models/jiaxing.toml",
            "--trajectories",
            "50",
            "--out",
            inside.to_str().unwrap(),
        ],
        1,
        &["cannot create the output folder"],
        &inside,
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    // An output path that is a file is left as it was.
    fails(
        &[
            "report",
            "--model",
            "models/jiaxing.toml",
            "--out",
            file.to_str().unwrap(),
        ],
        1,
        &["not a folder"],
        &PathBuf::from("/nonexistent-marker"),
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// The page in Debian's chromium (installed by .ci/run): a screenshot that
/// is a real page, not a blank one.
#[test]
fn index_renders_in_a_headless_browser() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(chromium) = chromium else {
        if std::env::var_os("CARECAST_SKIP_BROWSER").is_some() {
            return;
        }
        panic!("chromium not found: install it (apt-get install chromium, as .ci/run does) or set CARECAST_SKIP_BROWSER=1");
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(&[
        "report",
        "--model",
        "models/jiaxing.toml",
        "--lang",
        "zh",
        "--trajectories",
        "200",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let run = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("index.html").display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (w, h, pixels, channels) = decode_png(&shot);
    assert_eq!((w, h), (1280, 2400));
    let var = grey_variance(&pixels, channels);
    assert!(var > 200.0, "screenshot looks blank (variance {var})");
    // Dark pixels (text, lines) are a real share of the page.
    let dark = pixels
        .chunks(channels)
        .filter(|p| p[..3].iter().all(|&v| v < 100))
        .count();
    assert!(
        dark * 200 > pixels.len() / channels,
        "only {dark} dark pixels"
    );
}

/// A model of regions: the parent's report, small multiples of every
/// region, each region's own gaps, and the region table, in both
/// languages; the region table agrees with `simulate --region`.
#[test]
fn a_report_of_regions_shows_the_parent_and_every_region() {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "zh"] {
        let out = dir.path().join(lang);
        ok(&[
            "report",
            "--model",
            "models/shanghai_regions.toml",
            "--lang",
            lang,
            "--trajectories",
            "400",
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        let figures = check_report(&out);
        for stem in [
            "regions_ageing",
            "regions_births",
            "gap_huangpu",
            "gap_need_huangpu",
            "gap",
            "ageing",
        ] {
            assert!(out.join(format!("{stem}.png")).is_file(), "{lang}: {stem}");
        }
        // The rest of the city has no plan of its own: no gap chart.
        assert!(!out.join("gap_rest.png").exists());
        // One panel per region in the small multiples.
        let (header, rows) = read_csv(&out.join("regions_ageing.csv"));
        assert_eq!(header[0], "panel");
        let panels: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        let expect: Vec<&str> = if lang == "zh" {
            vec!["其余各区", "黄浦区"]
        } else {
            vec!["Huangpu", "Rest of Shanghai"]
        };
        assert_eq!(panels.into_iter().collect::<Vec<_>>(), expect);
        // The region table: the parent's figures and each region's.
        for key in [
            "pop_60plus",
            "huangpu/pop_60plus",
            "rest/pop_60plus",
            "huangpu/dementia_beds:need:p_shortfall",
        ] {
            assert!(
                figures.contains_key(&(key.to_string(), 2025)),
                "{lang}: {key}"
            );
        }
        let html = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert!(html.contains("id=\"key-figures-by-region\""));
        if lang == "zh" {
            for word in [
                "分地区主要指标",
                "黄浦区",
                "其余各区",
                "各地区60岁及以上人口占比",
                "全市统一抽取",
            ] {
                assert!(html.contains(word), "{word} missing");
            }
            assert!(
                !html.contains("Huangpu"),
                "an English region name in the zh report"
            );
        }
        // Huangpu's 60+ population in 2025 as `simulate --region huangpu`
        // gives it (the same trajectories).
        let sim = dir.path().join(format!("sim-{lang}"));
        ok(&[
            "simulate",
            "--model",
            "models/shanghai_regions.toml",
            "-n",
            "400",
            "--seed",
            "3",
            "--region",
            "huangpu",
            "--out",
            sim.to_str().unwrap(),
            "-q",
        ]);
        let (qh, q) = read_csv(&sim.join("gap_risk.csv"));
        let col = |n: &str| qh.iter().position(|h| h == n).unwrap();
        let p = q
            .iter()
            .find(|r| {
                r[col("year")] == "2025"
                    && r[col("service")] == "dementia_beds"
                    && r[col("method")] == "need"
            })
            .unwrap();
        let want: f64 = p[col("p_shortfall")].parse().unwrap();
        let got = figures[&("huangpu/dementia_beds:need:p_shortfall".to_string(), 2025)].unwrap();
        assert!((want - got).abs() < 1e-12, "{want} vs {got}");
    }
}

/// `report --region`: one region's own report from the same ensemble, the
/// parent alone, and an unknown region refused before anything is written.
#[test]
fn report_region_selects_one_region() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("huangpu");
    let said = ok(&[
        "report",
        "--model",
        "models/shanghai_regions.toml",
        "--region",
        "huangpu",
        "-n",
        "300",
        "--seed",
        "3",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert!(said.starts_with("Huangpu (en)"), "{said}");
    let figures = check_report(&one);
    assert!(one.join("gap_need.png").is_file() && !one.join("regions_ageing.png").exists());
    // Huangpu's plan alone: its dementia beds, none of the city's beds.
    assert!(figures.contains_key(&("dementia_beds:need:p_shortfall".to_string(), 2025)));
    assert!(!figures.contains_key(&("beds:supply".to_string(), 2025)));
    let total = dir.path().join("total");
    ok(&[
        "report",
        "--model",
        "models/shanghai_regions.toml",
        "--region",
        "total",
        "-n",
        "300",
        "--out",
        total.to_str().unwrap(),
        "-q",
    ]);
    let figures = check_report(&total);
    assert!(figures.contains_key(&("beds:supply".to_string(), 2025)));
    assert!(!total.join("regions_ageing.png").exists());
    let bad = dir.path().join("bad");
    fails(
        &[
            "report",
            "--model",
            "models/shanghai_regions.toml",
            "--region",
            "pudong",
            "-n",
            "50",
            "--out",
            bad.to_str().unwrap(),
        ],
        1,
        &["--region", "\"pudong\"", "one of total, huangpu, rest"],
        &bad,
    );
}
