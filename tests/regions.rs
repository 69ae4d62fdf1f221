//! Regions in one model (`[[subregion]]`, `[[flow]]`): the parent is the sum
//! of its regions, conservation holds per region, internal migration sums
//! to zero; identical halves reproduce the single region; `--region`; bad
//! region input named by its key.

use std::collections::HashMap;

use carecast::io::model_file::load;

use crate::common::{fails, fails_with, ok, read_csv, root, Fixture};

#[test]
fn the_parent_is_the_sum_of_its_regions_and_internal_migration_sums_to_zero() {
    let model = load(&root().join("models/shanghai_regions.toml")).unwrap();
    assert_eq!(model.regions.len(), 2);
    for s in &model.scenarios {
        let rp = model.project_regions(s).unwrap();
        for (k, parent) in rp.parent.populations.iter().enumerate() {
            let sum = rp.regions[0].populations[k].counts() + rp.regions[1].populations[k].counts();
            for (a, b) in parent.counts().iter().zip(sum.iter()) {
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{}: {a} {b}",
                    s.name
                );
            }
        }
        for (k, f) in rp.parent.flows.iter().enumerate() {
            // The model has no migration from outside: what one region
            // loses, the other gains.
            let net: f64 = rp
                .regions
                .iter()
                .map(|r| r.flows[k].net_migration.iter().sum::<f64>())
                .sum();
            assert!(net.abs() < 1e-6, "{} step {k}: {net}", s.name);
            assert!((f.net_migration[0] + f.net_migration[1]).abs() < 1e-6);
            let out: f64 = rp.regions[0].flows[k].net_migration.iter().sum();
            assert!(
                (out + rp.moved[k][0]).abs() < 1e-6,
                "huangpu loses what moves"
            );
            // Conservation in every region.
            for r in &rp.regions {
                let (a, b, fl) = (&r.populations[k], &r.populations[k + 1], &r.flows[k]);
                let balance = fl.births.iter().sum::<f64>() - fl.deaths.iter().sum::<f64>()
                    + fl.net_migration.iter().sum::<f64>();
                assert!(((b.total() - a.total()) - balance).abs() < 1e-6 * a.total());
            }
        }
        assert!(rp.capped.is_empty());
    }
}

/// population.csv rows of region `region` as (year, sex, age) -> persons.
fn population_of(
    dir: &std::path::Path,
    region: Option<&str>,
) -> HashMap<(String, String, String), f64> {
    let (header, rows) = read_csv(&dir.join("population.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    rows.iter()
        .filter(|r| region.is_none_or(|g| r[col("region")] == g))
        .map(|r| {
            (
                (
                    r[col("year")].clone(),
                    r[col("sex")].clone(),
                    r[col("age")].clone(),
                ),
                r[col("population")].parse().unwrap(),
            )
        })
        .collect()
}

/// The fixture's model as two regions: `a` with `share` of the base (its
/// counts times `share`, written as a table), `b` the remainder.
fn two_regions(fx: &Fixture, share: f64, extra: &str) {
    let base = fx.path("data/jiaxing/base_2021.csv");
    let text = std::fs::read_to_string(&base).unwrap();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cells: Vec<&str> = line.split(',').collect();
        match cells[3].parse::<f64>() {
            Ok(v) => out.push_str(&format!(
                "{},{},{},{}\n",
                cells[0],
                cells[1],
                cells[2],
                v * share
            )),
            Err(_) => out.push_str(&format!("{line}\n")),
        }
    }
    std::fs::write(fx.path("data/jiaxing/part_a.csv"), out).unwrap();
    fx.edit("models/jiaxing.toml", |t| {
        let at = t.find("[[scenario]]").unwrap();
        format!(
            "{}[[subregion]]\nname = \"a\"\npopulation = \"../data/jiaxing/part_a.csv\"\n\n[[subregion]]\nname = \"b\"\npopulation = \"remainder\"\n\n{extra}\n{}",
            &t[..at],
            &t[at..]
        )
    });
}

#[test]
fn two_identical_halves_reproduce_the_single_region_model() {
    let fx = Fixture::new();
    let single = fx.path("single");
    ok(&[
        "project",
        "--model",
        &fx.model(),
        "--scenario",
        "all",
        "--out",
        single.to_str().unwrap(),
        "-q",
    ]);
    ok(&[
        "gap",
        "--model",
        &fx.model(),
        "--out",
        single.to_str().unwrap(),
        "-q",
    ]);
    two_regions(&fx, 0.5, "");
    let halves = fx.path("halves");
    ok(&[
        "project",
        "--model",
        &fx.model(),
        "--scenario",
        "all",
        "--out",
        halves.to_str().unwrap(),
        "-q",
    ]);
    ok(&[
        "gap",
        "--model",
        &fx.model(),
        "--out",
        halves.to_str().unwrap(),
        "-q",
    ]);
    // The total's rows equal the single projection to rounding, and each
    // half is half of it.
    let (header, rows) = read_csv(&single.join("population.csv"));
    let (h2, rows2) = read_csv(&halves.join("population.csv"));
    assert_eq!(h2[..2], ["scenario".to_string(), "region".to_string()]);
    let want: HashMap<String, f64> = rows
        .iter()
        .map(|r| (r[..4].join(","), r[header.len() - 1].parse().unwrap()))
        .collect();
    let mut seen = 0;
    for r in &rows2 {
        let v: f64 = r[h2.len() - 1].parse().unwrap();
        let k = [&r[0], &r[2], &r[3], &r[4]].map(|c| c.as_str()).join(",");
        let w = want[&k];
        let expect = if r[1] == "total" { w } else { 0.5 * w };
        assert!(
            (v - expect).abs() <= 1e-8 * w.abs().max(1.0),
            "{} {k}: {v} vs {expect}",
            r[1]
        );
        seen += 1;
    }
    assert_eq!(seen, 3 * rows.len());
    // The parent's plan gives the single model's gaps.
    let (gh, grows) = read_csv(&single.join("gap.csv"));
    let (gh2, grows2) = read_csv(&halves.join("gap.csv"));
    assert_eq!(gh2[0], "region");
    let total: Vec<&Vec<String>> = grows2.iter().filter(|r| r[0] == "total").collect();
    assert_eq!(total.len(), grows.len());
    for (a, b) in grows.iter().zip(total) {
        for c in 0..gh.len() {
            match (a[c].parse::<f64>(), b[c + 1].parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!(
                    (x - y).abs() <= 1e-8 * x.abs().max(1.0),
                    "{}: {x} {y}",
                    gh[c]
                ),
                _ => assert_eq!(a[c], b[c + 1]),
            }
        }
    }
    // The regions have no plan of their own: only the total has gap rows.
    assert!(grows2.iter().all(|r| r[0] == "total"));
}

#[test]
fn region_selects_one_region_and_an_unknown_one_is_named() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("hp");
    let text = ok(&[
        "project",
        "--model",
        "models/shanghai_regions.toml",
        "--region",
        "huangpu",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        text.contains("region huangpu") && !text.contains("region rest"),
        "{text}"
    );
    let pop = population_of(&dir, Some("huangpu"));
    let (_, rows) = read_csv(&dir.join("population.csv"));
    assert_eq!(pop.len(), rows.len());
    let base: f64 = pop
        .iter()
        .filter(|(k, _)| k.0 == "2020")
        .map(|(_, v)| v)
        .sum();
    assert!((base - 662_030.0).abs() < 1.0, "{base}");
    // Huangpu's own plan is sized on Huangpu alone.
    let g = out.path().join("g");
    ok(&[
        "gap",
        "--model",
        "models/shanghai_regions.toml",
        "--region",
        "huangpu",
        "--out",
        g.to_str().unwrap(),
        "-q",
    ]);
    let (h, rows) = read_csv(&g.join("gap.csv"));
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let dementia = rows
        .iter()
        .find(|r| {
            r[c("service")] == "dementia_beds"
                && r[c("year")] == "2025"
                && r[c("method")] == "standard"
        })
        .unwrap();
    assert_eq!(dementia[c("region")], "huangpu");
    assert_eq!(dementia[c("supply")].parse::<f64>().unwrap(), 500.0);
    let bad = out.path().join("bad");
    fails(
        &[
            "project",
            "--model",
            "models/shanghai_regions.toml",
            "--region",
            "pudong",
            "--out",
            bad.to_str().unwrap(),
        ],
        1,
        &[
            "--region",
            "\"pudong\"",
            "all, or one of total, huangpu, rest",
        ],
        &bad,
    );
    fails(
        &[
            "project",
            "--model",
            "models/jiaxing.toml",
            "--region",
            "huangpu",
            "--out",
            bad.to_str().unwrap(),
        ],
        1,
        &["no --region: the model has no [[subregion]]s"],
        &bad,
    );
    fails(
        &[
            "simulate",
            "--model",
            "models/shanghai_regions.toml",
            "-n",
            "10",
            "--region",
            "pudong",
            "--out",
            bad.to_str().unwrap(),
        ],
        1,
        &[
            "--region",
            "\"pudong\"",
            "all, or one of total, huangpu, rest",
        ],
        &bad,
    );
}

#[test]
fn bad_regions_are_named_by_their_key() {
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "[[flow]]\nfrom = \"a\"\nto = \"nowhere\"\nper_year = 100\n",
            "unknown destination",
            &[
                "flow 1 (a -> nowhere)",
                "\"nowhere\", no such region",
                "\"a\", \"b\"",
            ],
        ),
        (
            "[[subregion]]\nname = \"a\"\npopulation = \"remainder\"\n",
            "duplicated name",
            &["subregion a", "\"a\" a second time"],
        ),
        (
            "[[subregion]]\nname = \"c\"\n",
            "a region without a base",
            &["missing field `population`"],
        ),
        (
            "[[flow]]\nfrom = \"a\"\nto = \"b\"\n",
            "a flow without a size",
            &["flow 1 (a -> b)", "one of per_year"],
        ),
        (
            "[[subregion]]\nname = \"total\"\npopulation = \"../data/jiaxing/part_a.csv\"\n",
            "a reserved name",
            &["\"total\"", "other than \"all\" and \"total\""],
        ),
        (
            "[[flow]]\nfrom = \"a\"\nto = \"b\"\nrate = 1.5\n",
            "a rate above 1",
            &["flow 1 (a -> b)", "rate"],
        ),
    ];
    for (extra, what, needles) in cases {
        let fx = Fixture::new();
        two_regions(&fx, 0.4, extra);
        let out = fx.path("out");
        let err = fails(
            &[
                "project",
                "--model",
                &fx.model(),
                "--out",
                out.to_str().unwrap(),
            ],
            1,
            needles,
            &out,
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    // A service of an unknown region.
    let fx = Fixture::new();
    two_regions(&fx, 0.4, "");
    fx.edit("models/jiaxing.toml", |t| {
        t.replacen("id = \"beds\"\n", "id = \"beds\"\nregion = \"c\"\n", 1)
    });
    fails_with(
        &["validate", "--model", &fx.model()],
        1,
        &["service beds", "\"c\", no such region"],
    );
    // Regions that do not add up to the base (no remainder).
    let fx = Fixture::new();
    two_regions(&fx, 0.4, "");
    fx.edit("models/jiaxing.toml", |t| {
        t.replace(
            "population = \"remainder\"",
            "population = \"../data/jiaxing/part_a.csv\"",
        )
    });
    fails_with(
        &["validate", "--model", &fx.model()],
        1,
        &["regions that differ from the model's [base]"],
    );
}

#[test]
fn a_flow_that_would_empty_its_origin_is_capped_and_reported() {
    let fx = Fixture::new();
    two_regions(
        &fx,
        0.01,
        "[[flow]]\nfrom = \"a\"\nto = \"b\"\nper_year = 1000000\n",
    );
    let out = fx.path("out");
    let text = ok(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text.contains("migrants of the flow a -> b were not moved"),
        "{text}"
    );
    let pop = population_of(&out, Some("a"));
    assert!(pop.values().all(|&v| v >= 0.0));
    // Both regions have the same rates, so moving people between them
    // leaves the total as the model without regions projects it.
    let total = population_of(&out, Some("total"));
    let single = fx.path("single");
    fx.edit("models/jiaxing.toml", |t| {
        let i = t.find("[[subregion]]").unwrap();
        let j = t.find("[[scenario]]").unwrap();
        format!("{}{}", &t[..i], &t[j..])
    });
    ok(&[
        "project",
        "--model",
        &fx.model(),
        "--out",
        single.to_str().unwrap(),
        "-q",
    ]);
    let (h, rows) = read_csv(&single.join("population.csv"));
    assert_eq!(rows.len(), total.len());
    for r in &rows {
        let v: f64 = r[h.len() - 1].parse().unwrap();
        let t = total[&(r[0].clone(), r[1].clone(), r[2].clone())];
        assert!((v - t).abs() <= 1e-8 * v.abs().max(1.0), "{r:?}: {t}");
    }
}

/// `simulate` of `model` into `dir` with `extra` arguments.
fn simulate(model: &str, dir: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "simulate",
        "--model",
        model,
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// A table's rows keyed by their text columns (all but the numbers), with
/// the numbers, for the rows whose `region` is `region` (the column
/// dropped from the key); every row when the table has no region column.
fn numbers_by_key(path: &std::path::Path, region: Option<&str>) -> HashMap<String, Vec<f64>> {
    let (header, rows) = read_csv(path);
    let rc = header.iter().position(|h| h == "region");
    let mut out = HashMap::new();
    for r in rows {
        if let (Some(c), Some(want)) = (rc, region) {
            if r[c] != want {
                continue;
            }
        }
        let mut key = Vec::new();
        let mut values = Vec::new();
        for (i, cell) in r.iter().enumerate() {
            if Some(i) == rc {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(v) if !["year", "trajectory"].contains(&header[i].as_str()) => values.push(v),
                _ => key.push(format!("{}={cell}", header[i])),
            }
        }
        out.insert(key.join(","), values);
    }
    out
}

#[test]
fn identical_halves_reproduce_the_single_region_ensemble_in_distribution() {
    // Every source on, as the model sets them (a calibration, base and
    // need intervals, supply risk): the parent of two identical halves
    // draws what the single model draws, so its tables equal the single
    // model's to rounding.
    let fx = Fixture::new();
    let single = fx.path("single");
    let args = ["-n", "600", "--seed", "11", "--keep", "2"];
    simulate(&fx.model(), &single, &args);
    two_regions(&fx, 0.5, "");
    let halves = fx.path("halves");
    simulate(&fx.model(), &halves, &args);
    for table in [
        "quantiles.csv",
        "demand_quantiles.csv",
        "gap_risk.csv",
        "supply_quantiles.csv",
        "first_shortfall.csv",
        "robust_plan.csv",
        "trajectories.csv",
    ] {
        let want = numbers_by_key(&single.join(table), None);
        let got = numbers_by_key(&halves.join(table), Some("total"));
        assert_eq!(want.len(), got.len(), "{table}");
        assert!(!want.is_empty(), "{table}");
        for (k, w) in &want {
            let g = &got[k];
            for (a, b) in w.iter().zip(g) {
                assert!(
                    (a - b).abs() <= 1e-7 * a.abs().max(1.0) || (a.is_nan() && b.is_nan()),
                    "{table} {k}: {a} vs {b}"
                );
            }
        }
    }
    // Each half is half the whole in every kept trajectory.
    let (header, rows) = read_csv(&halves.join("trajectories.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut by: HashMap<(String, String, String), HashMap<String, f64>> = HashMap::new();
    for r in &rows {
        if let Ok(v) = r[col("value")].parse::<f64>() {
            by.entry((
                r[col("trajectory")].clone(),
                r[col("year")].clone(),
                r[col("indicator")].clone(),
            ))
            .or_default()
            .insert(r[col("region")].clone(), v);
        }
    }
    for ((_, _, indicator), v) in &by {
        if indicator == "total" || indicator == "births" || indicator == "pop_60plus" {
            assert!((v["a"] - v["b"]).abs() <= 1e-9 * v["total"]);
            assert!((v["a"] + v["b"] - v["total"]).abs() <= 1e-9 * v["total"]);
        }
    }
}

#[test]
fn a_regional_ensemble_without_noise_is_the_regional_projection() {
    let out = tempfile::tempdir().unwrap();
    let (sim, det) = (out.path().join("sim"), out.path().join("det"));
    simulate(
        "models/shanghai_regions.toml",
        &sim,
        &[
            "-n",
            "40",
            "--own-noise",
            "--tfr-volatility",
            "0",
            "--mortality-sd",
            "0",
            "--migration-sd",
            "0",
            "--certain-need",
            "--certain-supply",
            "--certain-base",
        ],
    );
    ok(&[
        "project",
        "--model",
        "models/shanghai_regions.toml",
        "--out",
        det.to_str().unwrap(),
        "-q",
    ]);
    let (header, rows) = read_csv(&det.join("indicators.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let want: HashMap<String, f64> = rows
        .iter()
        .filter_map(|r| {
            let v = r[col("value")].parse::<f64>().ok()?;
            Some((
                format!(
                    "{},{},{}",
                    r[col("region")],
                    r[col("year")],
                    r[col("indicator")]
                ),
                v,
            ))
        })
        .collect();
    let (qh, qrows) = read_csv(&sim.join("quantiles.csv"));
    let qc = |n: &str| qh.iter().position(|h| h == n).unwrap();
    let mut compared = HashMap::new();
    for r in &qrows {
        let key = format!(
            "{},{},{}",
            r[qc("region")],
            r[qc("year")],
            r[qc("indicator")]
        );
        let (Some(&w), Ok(p05), Ok(p95)) = (
            want.get(&key),
            r[qc("p05")].parse::<f64>(),
            r[qc("p95")].parse::<f64>(),
        ) else {
            continue;
        };
        // Every trajectory is the projection: all quantiles agree.
        for v in [p05, p95] {
            assert!(
                (v - w).abs() <= 1e-7 * w.abs().max(1.0),
                "{key}: {v} vs {w}"
            );
        }
        *compared.entry(r[qc("region")].clone()).or_insert(0) += 1;
    }
    // Indicators of the parent and both regions, the parent's TFR and e0
    // included.
    assert_eq!(compared.len(), 3, "{compared:?}");
    assert!(compared.values().all(|&n| n > 400), "{compared:?}");
    for key in ["total,2030,tfr", "total,2030,e0_female", "huangpu,2030,tfr"] {
        assert!(want.contains_key(key), "{key}");
    }
}

#[test]
fn a_regional_ensemble_is_the_same_on_one_and_two_threads_and_sums_its_regions() {
    let out = tempfile::tempdir().unwrap();
    let (one, two) = (out.path().join("one"), out.path().join("two"));
    let args = ["-n", "700", "--seed", "5", "--keep", "3", "--drivers"];
    simulate(
        "models/shanghai_regions.toml",
        &one,
        &[&args[..], &["--threads", "1"]].concat(),
    );
    simulate(
        "models/shanghai_regions.toml",
        &two,
        &[&args[..], &["--threads", "2"]].concat(),
    );
    for table in [
        "quantiles.csv",
        "gap_risk.csv",
        "first_shortfall.csv",
        "robust_plan.csv",
        "risk_drivers.csv",
        "trajectories.csv",
    ] {
        let a = std::fs::read(one.join(table)).unwrap();
        assert_eq!(a, std::fs::read(two.join(table)).unwrap(), "{table}");
        let (header, _) = read_csv(&one.join(table));
        assert_eq!(header[0], "region", "{table}");
    }
    // Per kept trajectory: the parent is the sum of its regions, internal
    // migration cancels in the parent, and each region's population
    // changes by its births, deaths and net migration (internal moves
    // included).
    let (header, rows) = read_csv(&one.join("trajectories.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut v: HashMap<(String, String, i32, String), f64> = HashMap::new();
    for r in &rows {
        if let Ok(x) = r[col("value")].parse::<f64>() {
            v.insert(
                (
                    r[col("region")].clone(),
                    r[col("trajectory")].clone(),
                    r[col("year")].parse().unwrap(),
                    r[col("indicator")].clone(),
                ),
                x,
            );
        }
    }
    let get =
        |region: &str, t: &str, y: i32, ind: &str| v[&(region.into(), t.into(), y, ind.into())];
    let mut checked = 0;
    for t in ["0", "1", "2"] {
        for y in 2021..=2050 {
            for ind in ["total", "births", "deaths", "pop_60plus", "net_migration"] {
                let sum = get("huangpu", t, y, ind) + get("rest", t, y, ind);
                let parent = get("total", t, y, ind);
                assert!(
                    (sum - parent).abs() <= 1e-6 * get("total", t, y, "total"),
                    "{t} {y} {ind}"
                );
            }
            for region in ["huangpu", "rest", "total"] {
                let change = get(region, t, y, "total") - get(region, t, y - 1, "total");
                let balance = get(region, t, y, "births") - get(region, t, y, "deaths")
                    + get(region, t, y, "net_migration");
                assert!(
                    (change - balance).abs() <= 1e-6 * get(region, t, y, "total"),
                    "{region} {t} {y}: {change} vs {balance}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 90);
}

#[test]
fn sweeps_and_shards_run_on_a_model_of_regions() {
    let out = tempfile::tempdir().unwrap();
    let grid = out.path().join("grid.toml");
    std::fs::write(
        &grid,
        format!(
            "[sweep]\nmodel = {:?}\ntrajectories = 150\nseed = 5\nyears = [2025, 2030]\n[grid]\ntfr = [0.7, 1.0, 1.3]\n",
            root().join("models/shanghai_regions.toml").display().to_string()
        ),
    )
    .unwrap();
    let dir = |n: &str| out.path().join(n);
    let path = |n: &str| dir(n).to_str().unwrap().to_string();
    let g = grid.to_str().unwrap();
    ok(&["sweep", "--grid", g, "--out", &path("whole"), "-q"]);
    ok(&[
        "sweep",
        "--grid",
        g,
        "--shard",
        "1/2",
        "--out",
        &path("s1"),
        "-q",
    ]);
    ok(&[
        "sweep",
        "--grid",
        g,
        "--shard",
        "2/2",
        "--out",
        &path("s2"),
        "-q",
    ]);
    ok(&[
        "merge",
        &path("s1"),
        &path("s2"),
        "--out",
        &path("merged"),
        "-q",
    ]);
    let whole = std::fs::read(dir("whole").join("sweep.csv")).unwrap();
    assert_eq!(
        whole,
        std::fs::read(dir("merged").join("sweep.csv")).unwrap()
    );
    let (header, rows) = read_csv(&dir("whole").join("sweep.csv"));
    assert_eq!(
        header[..5],
        ["point", "tfr", "year", "region", "kind"].map(String::from)
    );
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    // Each point: the parent's rows and each region's; Huangpu's own
    // plan (dementia beds) has gap columns, and the parent's population is
    // the sum of its regions'.
    for point in ["0", "1", "2"] {
        let value = |region: &str, quantity: &str| -> f64 {
            rows.iter()
                .find(|r| {
                    r[col("point")] == point
                        && r[col("year")] == "2030"
                        && r[col("region")] == region
                        && r[col("quantity")] == quantity
                })
                .unwrap_or_else(|| panic!("{point} {region} {quantity}"))[col("mean")]
            .parse()
            .unwrap()
        };
        let sum = value("huangpu", "total") + value("rest", "total");
        assert!((sum - value("total", "total")).abs() < 1e-6 * sum);
        let hp = rows
            .iter()
            .find(|r| {
                r[col("point")] == point
                    && r[col("region")] == "huangpu"
                    && r[col("quantity")] == "dementia_beds"
            })
            .unwrap();
        assert!(hp[col("p_shortfall")].parse::<f64>().is_ok());
    }
    // A report takes the sweep's heat map (the parent's rows).
    let report = dir("report");
    ok(&[
        "report",
        "--model",
        "models/shanghai_regions.toml",
        "-n",
        "100",
        "--sweep",
        &path("whole"),
        "--sweep-service",
        "beds",
        "--out",
        report.to_str().unwrap(),
        "-q",
    ]);
    assert!(report.join("sweep_heatmap.png").is_file());
}

#[test]
fn a_sweep_can_vary_a_regions_own_standard() {
    let out = tempfile::tempdir().unwrap();
    let grid = out.path().join("grid.toml");
    let write = |parameter: &str| {
        std::fs::write(
            &grid,
            format!(
                "[sweep]\nmodel = {:?}\ntrajectories = 100\nseed = 5\nyears = [2025]\n[grid]\n{parameter:?} = [500, 800]\n",
                root().join("models/shanghai_regions.toml").display().to_string()
            ),
        )
        .unwrap();
    };
    write("standard.huangpu/dementia_beds");
    let dir = out.path().join("sweep");
    ok(&[
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ]);
    let (header, rows) = read_csv(&dir.join("sweep.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let p: Vec<f64> = rows
        .iter()
        .filter(|r| r[col("region")] == "huangpu" && r[col("quantity")] == "dementia_beds")
        .map(|r| r[col("p_shortfall")].parse().unwrap())
        .collect();
    // The plan's 500 beds meet a standard of 500 and cannot meet 800.
    assert_eq!(p, [0.0, 1.0]);
    for (parameter, needles) in [
        (
            "standard.pudong/dementia_beds",
            &["region \"pudong\"", "one of its regions: huangpu, rest"][..],
        ),
        (
            "standard.huangpu/beds",
            &[
                "service \"beds\", which region huangpu does not have",
                "dementia_beds",
            ][..],
        ),
        (
            "standard.dementia_beds",
            &["service \"dementia_beds\"", "beds, nursing_beds"][..],
        ),
    ] {
        write(parameter);
        let bad = out.path().join("bad");
        fails(
            &[
                "sweep",
                "--grid",
                grid.to_str().unwrap(),
                "--out",
                bad.to_str().unwrap(),
            ],
            1,
            needles,
            &bad,
        );
    }
}

/// Every scenario of a model of regions at once: a region without a plan
/// of its own adds no rows to the service tables, and every table has the
/// scenario and region columns.
#[test]
fn every_scenario_of_a_model_of_regions_simulates() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("all");
    simulate(
        "models/shanghai_regions.toml",
        &dir,
        &["--scenario", "all", "-n", "100", "--keep", "1"],
    );
    for table in [
        "quantiles.csv",
        "demand_quantiles.csv",
        "gap_risk.csv",
        "supply_quantiles.csv",
        "first_shortfall.csv",
        "robust_plan.csv",
        "trajectories.csv",
    ] {
        let (header, rows) = read_csv(&dir.join(table));
        assert_eq!(
            header[..2],
            ["scenario", "region"].map(String::from),
            "{table}"
        );
        let regions: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r[1].as_str()).collect();
        let want: &[&str] = if table == "quantiles.csv" || table == "trajectories.csv" {
            &["huangpu", "rest", "total"]
        } else {
            &["huangpu", "total"]
        };
        assert_eq!(regions.into_iter().collect::<Vec<_>>(), want, "{table}");
        let scenarios: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(scenarios.len(), 5, "{table}");
    }
}
