//! The command line on the shipped default model: contract tables, the
//! model's stated figures, scenarios, formats.

use std::collections::HashMap;

use crate::common::{carecast, ok, read_csv, root};

/// indicators.csv as (scenario, year, indicator) -> value.
fn indicators(dir: &std::path::Path) -> HashMap<(String, i32, String), f64> {
    let (header, rows) = read_csv(&dir.join("indicators.csv"));
    let has_scenario = header[0] == "scenario";
    rows.into_iter()
        .map(|r| {
            let o = usize::from(has_scenario);
            let sc = if has_scenario {
                r[0].clone()
            } else {
                String::new()
            };
            (
                (sc, r[o].parse().unwrap(), r[o + 1].clone()),
                r[o + 2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn default_model_meets_the_plan_figures() {
    let out = tempfile::tempdir().unwrap();
    let o = carecast(&[
        "project",
        "--model",
        "models/jiaxing.toml",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("2025") && stdout.contains("60+"),
        "summary table: {stdout}"
    );

    let (header, rows) = read_csv(&out.path().join("population.csv"));
    assert_eq!(header, ["year", "sex", "age", "population"]);
    assert_eq!(
        rows.len(),
        30 * 2 * 101,
        "2021-2050, two sexes, ages 0-100+"
    );
    assert!(rows.iter().any(|r| r[1] == "female" && r[2] == "100"));

    let ind = indicators(out.path());
    let share = |y| ind[&(String::new(), y, "share_60plus".to_string())];
    assert!(
        (share(2021) - 0.2758).abs() <= 0.001,
        "2021: {}",
        share(2021)
    );
    assert!(
        (0.31..=0.33).contains(&share(2025)),
        "2025: {}",
        share(2025)
    );
    for name in [
        "total",
        "births",
        "deaths",
        "pop_60plus",
        "share_65plus",
        "pop_80plus",
        "pop_0_2",
        "old_age_dependency",
        "median_age",
        "e0_male",
        "e0_female",
        "tfr",
    ] {
        assert!(
            ind.contains_key(&(String::new(), 2030, name.to_string())),
            "missing {name}"
        );
    }
    // Life expectancy follows the plan: 83.0 in 2025 for both sexes together.
    let e0m = ind[&(String::new(), 2026, "e0_male".to_string())];
    let e0f = ind[&(String::new(), 2026, "e0_female".to_string())];
    let both = (1.13 * e0m + e0f) / 2.13;
    assert!(
        (both - 83.0).abs() < 1e-6,
        "e0 in the step 2025-2026: {both}"
    );
}

#[test]
fn all_scenarios_order_births_by_tfr() {
    let out = tempfile::tempdir().unwrap();
    let o = carecast(&[
        "project",
        "--model",
        "models/jiaxing.toml",
        "--scenario",
        "all",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let (header, _) = read_csv(&out.path().join("population.csv"));
    assert_eq!(header, ["scenario", "year", "sex", "age", "population"]);
    let ind = indicators(out.path());
    let births = |sc: &str, y| ind[&(sc.to_string(), y, "births".to_string())];
    for year in 2022..=2050 {
        let b: Vec<f64> = ["tfr_1.62", "tfr_1.30", "tfr_1.00", "tfr_0.81"]
            .iter()
            .map(|s| births(s, year))
            .collect();
        assert!(b.windows(2).all(|w| w[0] > w[1]), "{year}: {b:?}");
    }
    assert!(ind.contains_key(&("plan".to_string(), 2050, "total".to_string())));
}

#[test]
fn parquet_output_reads_back_the_same() {
    let out = tempfile::tempdir().unwrap();
    let csv = tempfile::tempdir().unwrap();
    for (dir, fmt) in [(&out, "parquet"), (&csv, "csv")] {
        let o = carecast(&[
            "project",
            "--model",
            "models/jiaxing.toml",
            "--scenario",
            "tfr_1.00",
            "--format",
            fmt,
            "--out",
            dir.path().to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let pq = carecast::io::read_text_table(&out.path().join("indicators.parquet")).unwrap();
    let cs = carecast::io::read_text_table(&csv.path().join("indicators.csv")).unwrap();
    assert_eq!(pq.height(), cs.height());
    let v = pq.require("value").unwrap();
    for r in 0..pq.height() {
        // Parquet keeps every bit; CSV keeps 10 significant digits.
        let (p, c) = (pq.number(r, v).unwrap(), cs.number(r, v).unwrap());
        assert_eq!(c, carecast::io::tables::round_significant(p, 10), "row {r}");
    }
}

#[test]
fn wpp_mode_writes_the_contract_tables() {
    let out = tempfile::tempdir().unwrap();
    let wpp = crate::common::wpp_dir();
    let o = carecast(&[
        "project",
        "--wpp-dir",
        wpp.to_str().unwrap(),
        "--country",
        "156",
        "--out",
        out.path().to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, rows) = read_csv(&out.path().join("population.csv"));
    assert_eq!(rows.len(), 17 * 2 * 21);
    // Thousands, as in the input: China 2020 is about 1.44 billion.
    let ind = indicators(out.path());
    let total = ind[&(String::new(), 2020, "total".to_string())];
    assert!((total - 1_439_323.774).abs() < 0.01);
}

#[test]
fn validate_and_help() {
    let o = carecast(&["validate", "--model", "models/jiaxing.toml"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("ok") && text.contains("flagged assumption"));
    // What an ensemble draws for need: each table once, with its readers.
    assert!(
        text.contains(
            "builtin:adl-dependency-china (x0.55 ... x1.7), read by beds need, caregivers need"
        ),
        "{text}"
    );
    assert!(text.contains("caregivers need x0.43 ... x1.66"), "{text}");
    assert!(
        text.contains(
            "base drawn once per trajectory: total x0.95 ... x1.05, ages 0-5 x0.85 ... x1.15, ages 56-59 x0.96 ... x1.04"
        ),
        "{text}"
    );
    // And for supply: each service's delivery and attrition.
    assert!(
        text.contains(
            "supply drawn once per trajectory: caregivers delivery 0.8 of the planned additions (90%: 0.45 ... 1), attrition 0.3 a year (90%: 0.2 ... 0.45; the plan recruits for 0.3)"
        ),
        "{text}"
    );
    let help = carecast(&["project", "--help"]);
    let h = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success() && h.contains("Examples:") && h.contains("--format"));
    // Each subcommand's help shows its own examples, not the others'.
    let commands = [
        "project",
        "gap",
        "simulate",
        "sweep",
        "merge",
        "report",
        "validate",
        "synthesize",
    ];
    for command in commands {
        let help = carecast(&[command, "--help"]);
        let h = String::from_utf8_lossy(&help.stdout);
        let examples = h.split("Example").nth(1).unwrap_or_default();
        assert!(
            examples.contains(&format!("carecast {command} ")),
            "{command}: {h}"
        );
        for other in commands.iter().filter(|c| **c != command) {
            assert!(
                !examples.contains(&format!("carecast {other} ")),
                "{command} --help shows an example of {other}"
            );
        }
    }
}

#[test]
fn synthesis_reproduces_the_shipped_bases() {
    for (region, file, year, total, share_60) in [
        ("jiaxing", "base_2021.csv", 2021, 3_600_000.0, 0.2758),
        (
            "shanghai",
            "base_2020.csv",
            2020,
            24_870_895.0,
            5_815_816.0 / 24_870_895.0,
        ),
        ("huangpu", "base_2020.csv", 2020, 662_030.0, 0.35),
        (
            "lincang",
            "base_2020.csv",
            2020,
            2_260_000.0,
            338_000.0 / 2_260_000.0,
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let fresh_file = out.path().join("base.csv");
        let spec = format!("data/{region}/synthesis.toml");
        let o = carecast(&[
            "synthesize",
            "--spec",
            &spec,
            "--out",
            fresh_file.to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let shipped = carecast::io::read_population(
            &root().join("data").join(region).join(file),
            "population",
            100,
            Some(year),
        )
        .unwrap();
        let fresh =
            carecast::io::read_population(&fresh_file, "population", 100, Some(year)).unwrap();
        assert_eq!(shipped.grid(), fresh.grid());
        for (a, b) in shipped.counts().iter().zip(fresh.counts()) {
            assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{region}");
        }
        assert!((fresh.total() - total).abs() < 1e-3, "{region}");
        assert!(
            (fresh.aged(60, None) / fresh.total() - share_60).abs() < 1e-9,
            "{region}"
        );
    }
    // Lincang also knows its children under three.
    let lincang = carecast::io::read_population(
        &root().join("data/lincang/base_2020.csv"),
        "population",
        100,
        Some(2020),
    )
    .unwrap();
    assert!((lincang.aged(0, Some(3)) - 83_000.0).abs() < 1e-3);
}

/// Terminal columns of `text`, a Chinese character counting two.
fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

#[test]
fn lang_zh_prints_the_summaries_in_chinese_with_aligned_columns() {
    let out = tempfile::tempdir().unwrap();
    let dir = |n: &str| out.path().join(n).to_str().unwrap().to_string();
    let project = ok(&[
        "project",
        "--model",
        "models/jiaxing.toml",
        "--lang",
        "zh",
        "--out",
        &dir("p"),
    ]);
    assert!(
        project.starts_with("嘉兴市（户籍人口）：情景 规划路径"),
        "{project}"
    );
    assert!(
        project.contains("老年抚养比") && project.contains("注：基期户籍人口总数360万为假设"),
        "{project}"
    );
    assert!(project.contains("已写入 "), "{project}");
    let gap = ok(&[
        "gap",
        "--model",
        "models/jiaxing.toml",
        "--lang",
        "zh",
        "--out",
        &dir("g"),
    ]);
    assert!(
        gap.contains("需求、规划供给与缺口") && gap.contains("持证养老护理员"),
        "{gap}"
    );
    // The year column ends in the same terminal column on every row.
    let ends: Vec<usize> = gap
        .lines()
        .filter(|l| l.contains(" 2025 ") || l.contains("年份"))
        .map(|l| {
            let at = l
                .find(" 2025 ")
                .map(|i| i + 5)
                .or_else(|| l.find("年份").map(|i| i + "年份".len()));
            columns(&l[..at.unwrap()])
        })
        .collect();
    assert!(
        ends.len() > 10 && ends.iter().all(|&e| e == ends[0]),
        "{ends:?}\n{gap}"
    );
    let sim = ok(&[
        "simulate",
        "--model",
        "models/jiaxing.toml",
        "-n",
        "300",
        "--lang",
        "zh",
        "--out",
        &dir("s"),
    ]);
    assert!(
        sim.contains("条模拟轨迹") && sim.contains("P(养老床位短缺，2025年，按规划标准)"),
        "{sim}"
    );
    assert!(
        sim.contains("按实际需要在每一年都有 90% 把握，持证养老护理员："),
        "{sim}"
    );
    let validate = ok(&["validate", "--model", "models/jiaxing.toml", "--lang", "zh"]);
    assert!(
        validate.starts_with("models/jiaxing.toml：通过。嘉兴市（户籍人口）"),
        "{validate}"
    );
    assert!(
        validate.contains("已标注的假设：基期户籍人口总数360万为假设"),
        "{validate}"
    );
    assert!(
        validate.contains("内置参考表 builtin:china-mx-2015-2020：全国"),
        "{validate}"
    );
    let plan = out.path().join("plan.xlsx");
    let template = ok(&[
        "template",
        "--from",
        "models/jiaxing.toml",
        "--synthesis",
        "data/jiaxing/synthesis.toml",
        "--lang",
        "zh",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert!(
        template.contains("（已按 models/jiaxing.toml 填写）"),
        "{template}"
    );
    let import = ok(&[
        "import",
        "--plan",
        plan.to_str().unwrap(),
        "--lang",
        "zh",
        "--out",
        &dir("m/j.toml"),
    ]);
    assert!(
        import.contains("基期人口已合成：3600000 人，60岁及以上占 27.58%"),
        "{import}"
    );
    let synth = ok(&[
        "synthesize",
        "--spec",
        "data/jiaxing/synthesis.toml",
        "--lang",
        "zh",
        "--out",
        &dir("b.csv"),
    ]);
    assert!(synth.contains("0-5岁由生育史回推重建"), "{synth}");
    // Every line but the file names is in Chinese.
    for text in [&project, &gap, &sim, &validate, &template, &import, &synth] {
        for line in text.lines().filter(|l| !l.starts_with("已写入 ")) {
            for english in [
                "scenario ",
                "note:",
                "wrote ",
                "shortfall",
                "planned",
                "by need",
            ] {
                assert!(!line.contains(english), "{english:?} in\n{text}");
            }
        }
    }
}
