//! The Monte Carlo ensemble: agreement with the deterministic engine,
//! reproducibility whatever the thread count, statistical sanity.

use carecast::indicators::{indicators, lookup};
use carecast::io::model_file;
use carecast::io::wpp::read_country;
use carecast::{
    demand_forms, project, AgeGrid, DemandForm, EnsembleRequest, EnsembleSpec, FactorInterval,
    Indicator, MigrationNoise, MortalityNoise, Stochastic, TfrNoise,
};

fn spec(trajectories: usize, stochastic: Stochastic) -> EnsembleSpec {
    EnsembleSpec {
        trajectories,
        seed: 20261122,
        stochastic,
        keep: 0,
    }
}

/// The ensemble of `model`'s scenario `plan` with `spec`, sizing `forms`.
fn run_scenario(
    model: &carecast::Model,
    plan: &carecast::Scenario,
    spec: EnsembleSpec,
    forms: Vec<DemandForm>,
) -> carecast::EnsembleSummary {
    EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec,
        forms,
    )
    .unwrap()
    .run(&|_| {})
    .unwrap()
}

fn zero_noise() -> Stochastic {
    Stochastic {
        tfr: Some(TfrNoise {
            persistence: 0.8,
            volatility: 0.0,
        }),
        mortality: Some(MortalityNoise { sd: 0.0 }),
        migration: Some(MigrationNoise { sd: 0.0 }),
        certain_need: true,
        certain_supply: true,
        certain_base: true,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    }
}

#[test]
fn zero_volatility_collapses_to_the_deterministic_projection() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    // WPP China in 5-year steps, with migration.
    let inputs = read_country(&crate::common::wpp_dir(), crate::common::CHINA, 2020).unwrap();
    let grid = AgeGrid::five_year();
    let (base, assumptions) = (
        inputs.base(grid).unwrap(),
        inputs.assumptions(grid).unwrap(),
    );
    let det5 = indicators(&project(&base, 2020, 2050, &assumptions).unwrap());
    // Every kind of noise at zero (the kernels for random mortality and
    // migration), and TFR noise alone at zero (the plain kernel).
    let tfr_zero = Stochastic {
        tfr: zero_noise().tfr,
        ..Stochastic::default()
    };
    let mut runs = Vec::new();
    for noise in [zero_noise(), tfr_zero] {
        let ens = EnsembleRequest::new(
            &model.base,
            model.base_year,
            model.end_year,
            &plan.assumptions,
            spec(300, noise),
            Vec::new(),
        )
        .unwrap()
        .run(&|_| {})
        .unwrap();
        let ens5 =
            EnsembleRequest::new(&base, 2020, 2050, &assumptions, spec(10, noise), Vec::new())
                .unwrap()
                .run(&|_| {})
                .unwrap();
        runs.push((&det, ens));
        runs.push((&det5, ens5));
    }
    for (det, ens) in &runs {
        for v in det.iter() {
            let s = ens
                .get(v.year, v.indicator)
                .unwrap_or_else(|| panic!("{} {}", v.year, v.indicator.name()));
            for q in [s.p05, s.p50, s.p95, s.mean, s.min, s.max] {
                let tol = 1e-9 * v.value.abs().max(1e3); // flows are residuals of ~1e6 totals
                assert!(
                    (q - v.value).abs() <= tol,
                    "{} {}: {q} vs {}",
                    v.year,
                    v.indicator.name(),
                    v.value
                );
            }
        }
    }
}

/// TFR, mortality and migration noise at their defaults (500 a year).
fn noisy() -> Stochastic {
    Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 500.0 }),
        ..Stochastic::default()
    }
}

#[test]
fn same_seed_same_result_on_one_and_two_threads() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let noisy = noisy();
    let forms = demand_forms(&model.services, model.base.grid(), &years_of(&model)).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                EnsembleRequest::new(
                    &model.base,
                    model.base_year,
                    model.end_year,
                    &plan.assumptions,
                    spec(2_000, noisy),
                    forms.clone(),
                )
                .unwrap()
                .run(&|_| {})
                .unwrap()
            })
    };
    let (one, two) = (run(1), run(2));
    assert!(!one.risks.is_empty());
    assert_eq!(one.risks, two.risks);
    assert_eq!(one.first_shortfalls, two.first_shortfalls);
    for &year in &one.years {
        for i in 0..forms.len() {
            assert_eq!(one.demand(year, i), two.demand(year, i));
        }
    }
    for &year in &one.years {
        for &ind in &one.indicators {
            assert_eq!(
                one.get(year, ind),
                two.get(year, ind),
                "{year} {}",
                ind.name()
            );
        }
    }
    // A different seed gives a different result.
    let other = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        EnsembleSpec {
            seed: 1,
            ..spec(2_000, noisy)
        },
        Vec::new(),
    )
    .unwrap()
    .run(&|_| {})
    .unwrap();
    assert_ne!(
        one.get(2040, Indicator::Births),
        other.get(2040, Indicator::Births)
    );
}

#[test]
fn summarising_some_years_leaves_their_summaries_and_every_shortfall_count_unchanged() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let noisy = noisy();
    let forms = demand_forms(&model.services, model.base.grid(), &years_of(&model)).unwrap();
    let request = || {
        EnsembleRequest::new(
            &model.base,
            model.base_year,
            model.end_year,
            &plan.assumptions,
            spec(1_500, noisy),
            forms.clone(),
        )
        .unwrap()
    };
    let kept = [2025, 2035];
    let all = request().run(&|_| {}).unwrap();
    let some = request()
        .with_summary_years(&kept)
        .unwrap()
        .run(&|_| {})
        .unwrap();
    assert_eq!(all.first_shortfalls, some.first_shortfalls);
    for &year in &all.years {
        let summarised = kept.contains(&year);
        for ind in carecast::ensemble::ENSEMBLE_INDICATORS {
            let got = some.get(year, ind);
            if summarised {
                assert_eq!(got, all.get(year, ind), "{year} {ind:?}");
            } else {
                assert_eq!(got, None, "{year} {ind:?}");
            }
        }
        for i in 0..forms.len() {
            let got = some.demand(year, i);
            assert_eq!(got, all.demand(year, i).filter(|_| summarised));
        }
    }
    let risks_kept: Vec<_> = all
        .risks
        .iter()
        .filter(|r| kept.contains(&r.year))
        .cloned()
        .collect();
    assert!(!risks_kept.is_empty());
    assert_eq!(some.risks, risks_kept);
    let err = request().with_summary_years(&[2026, 2101]).unwrap_err();
    assert!(err.to_string().contains("2101"), "{err}");
}

#[test]
fn tfr_noise_keeps_the_median_on_the_path_and_widens_the_band() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("tfr_1.30").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    let tfr_only = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: None,
        migration: None,
        certain_need: false,
        certain_supply: false,
        certain_base: false,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    };
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(4_000, tfr_only),
        Vec::new(),
    )
    .unwrap()
    .run(&|_| {})
    .unwrap();
    let mut last_width = 0.0;
    for year in [2023, 2030, 2040, 2050] {
        let s = ens.get(year, Indicator::Births).unwrap();
        let d = lookup(&det, year, Indicator::Births).unwrap();
        // log-TFR noise has median 0: the median births stay on the path.
        assert!(
            (s.p50 / d - 1.0).abs() < 0.02,
            "{year}: median {} vs {d}",
            s.p50
        );
        let width = (s.p95 - s.p05) / s.p50;
        assert!(width > 0.0);
        if year >= 2030 {
            assert!(
                width >= last_width * 0.95,
                "{year}: band {width} after {last_width}"
            );
        }
        last_width = width;
    }
    // The band of births in 2050 is wider than in 2023; the older ages are untouched by fertility.
    let b23 = ens.get(2023, Indicator::Births).unwrap();
    let b50 = ens.get(2050, Indicator::Births).unwrap();
    assert!((b50.p95 - b50.p05) / b50.p50 > (b23.p95 - b23.p05) / b23.p50);
    let old = ens.get(2050, Indicator::Pop60Plus).unwrap();
    assert_eq!(old.p05, old.p95);
}

#[test]
fn bad_ensemble_parameters() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let run = |spec: EnsembleSpec| {
        EnsembleRequest::new(
            &model.base,
            model.base_year,
            model.end_year,
            &plan.assumptions,
            spec,
            Vec::new(),
        )
        .and_then(|r| r.run(&|_| {}))
    };
    let e = run(spec(0, Stochastic::default())).unwrap_err().to_string();
    assert!(
        e.contains("trajectories") && e.contains("at least 1"),
        "{e}"
    );
    let e = run(spec(
        10,
        Stochastic {
            tfr: Some(TfrNoise {
                persistence: 0.5,
                volatility: -0.1,
            }),
            mortality: None,
            migration: None,
            certain_need: false,
            certain_supply: false,
            certain_base: false,
            own_noise: false,
            certain_fertility: false,
            certain_mortality: false,
        },
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("TFR volatility") && e.contains("-0.1"), "{e}");
    for phi in [1.0, -1.0, 1.5] {
        let e = run(spec(
            10,
            Stochastic {
                tfr: Some(TfrNoise {
                    persistence: phi,
                    volatility: 0.05,
                }),
                mortality: None,
                migration: None,
                certain_need: false,
                certain_supply: false,
                certain_base: false,
                own_noise: false,
                certain_fertility: false,
                certain_mortality: false,
            },
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("persistence") && e.contains("(-1, 1)"), "{e}");
    }
    let e = run(spec(
        10,
        Stochastic {
            tfr: None,
            mortality: None,
            migration: Some(MigrationNoise { sd: f64::NAN }),
            certain_need: false,
            certain_supply: false,
            certain_base: false,
            own_noise: false,
            certain_fertility: false,
            certain_mortality: false,
        },
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("migration"), "{e}");
}

#[test]
fn simulate_command_writes_reproducible_quantiles() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        let o = crate::common::carecast(&[
            "simulate",
            "--model",
            "models/jiaxing.toml",
            "--trajectories",
            "600",
            "--seed",
            "7",
            "--migration-sd",
            "300",
            "--keep",
            "5",
            "--threads",
            threads,
            "--out",
            dir.path().to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in [
        "quantiles.csv",
        "demand_quantiles.csv",
        "gap_risk.csv",
        "first_shortfall.csv",
        "trajectories.csv",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file}: 1 vs 2 threads"
        );
    }
    let (header, rows) = crate::common::read_csv(&a.path().join("trajectories.csv"));
    assert_eq!(header, ["trajectory", "year", "indicator", "value"]);
    let mut kept: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    kept.dedup();
    assert_eq!(kept, ["0", "1", "2", "3", "4"]);
    let (header, rows) = crate::common::read_csv(&a.path().join("gap_risk.csv"));
    assert_eq!(
        header,
        [
            "year",
            "service",
            "method",
            "p_shortfall",
            "shortfall_p50",
            "shortfall_p90",
            "capacity_needed_p90",
            "supply"
        ]
    );
    for r in &rows {
        let p: f64 = r[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r:?}");
        let (p50, p90): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
        assert!(p50 <= p90, "{r:?}");
    }
    // Both views of the caregivers: the plan's standard and need.
    for method in ["standard", "need"] {
        assert!(rows
            .iter()
            .any(|r| r[0] == "2025" && r[1] == "caregivers" && r[2] == method));
    }
    let (header, rows) = crate::common::read_csv(&a.path().join("first_shortfall.csv"));
    assert_eq!(
        header,
        ["service", "method", "first_shortfall_year", "probability"]
    );
    for method in ["standard", "need"] {
        let caregivers: f64 = rows
            .iter()
            .filter(|r| r[0] == "caregivers" && r[1] == method)
            .map(|r| r[3].parse::<f64>().unwrap())
            .sum();
        assert!((caregivers - 1.0).abs() < 1e-9, "{method}");
    }
    let (header, rows) = crate::common::read_csv(&a.path().join("quantiles.csv"));
    assert_eq!(
        header,
        [
            "year",
            "indicator",
            "p025",
            "p05",
            "p10",
            "p25",
            "p50",
            "p75",
            "p90",
            "p95",
            "p975",
            "mean"
        ]
    );
    assert!(rows.iter().any(|r| r[0] == "2050" && r[1] == "births"));
    for r in &rows {
        let q: Vec<f64> = r[2..11].iter().map(|v| v.parse().unwrap()).collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{r:?}");
    }
}

#[test]
fn simulate_rejects_bad_parameters() {
    for (args, needle) in [
        (vec!["--trajectories", "0"], "trajectories"),
        (vec!["--tfr-volatility", "-0.1"], "TFR volatility"),
        (vec!["--tfr-persistence", "1.0"], "persistence"),
        (vec!["--migration-sd", "-5"], "migration"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("out");
        let mut full = vec![
            "simulate",
            "--model",
            "models/jiaxing.toml",
            "--out",
            dir.to_str().unwrap(),
        ];
        full.extend(args.iter().copied());
        let o = crate::common::carecast(&full);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("expected") && !err.contains("panicked"),
            "{err}"
        );
        assert!(!dir.exists(), "output written for {args:?}");
    }
}

fn models() -> Vec<carecast::Model> {
    ["jiaxing", "shanghai", "huangpu", "lincang"]
        .iter()
        .map(|m| model_file::load(&crate::common::root().join(format!("models/{m}.toml"))).unwrap())
        .collect()
}

fn years_of(model: &carecast::Model) -> Vec<i32> {
    (model.base_year..=model.end_year).collect()
}

#[test]
fn linear_demand_forms_give_the_deterministic_demand() {
    for model in models() {
        let scenario = model.scenario(&model.default_scenario).unwrap();
        let p = model.project(scenario).unwrap();
        let demands = carecast::gap::demand(&model.services, &p).unwrap();
        let forms = demand_forms(&model.services, p.grid(), &p.years).unwrap();
        let per_year = forms.len();
        assert_eq!(demands.len(), per_year * p.years.len());
        for (y, pop) in p.populations.iter().enumerate() {
            for (f, form) in forms.iter().enumerate() {
                let d = &demands[y * per_year + f];
                assert_eq!((&d.service, &d.method), (&form.service, &form.method));
                let term = form
                    .basis
                    .as_ref()
                    .map_or(0.0, |b| (b * pop.counts()).sum());
                let v = form.scale[y] * term + form.constant[y];
                assert!(
                    (v - d.demand).abs() <= 1e-9 * d.demand.abs().max(1.0),
                    "{} {} {} {}: {v} vs {}",
                    model.name,
                    d.year,
                    d.service,
                    d.method,
                    d.demand
                );
            }
        }
    }
}

#[test]
fn without_noise_the_gap_risk_is_the_deterministic_gap() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let p = model.project(plan).unwrap();
    let det = carecast::gap::demand(&model.services, &p).unwrap();
    let gaps = carecast::gap::gaps(&model.services, &det);
    let forms = demand_forms(&model.services, p.grid(), &p.years).unwrap();
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(40, zero_noise()),
        forms.clone(),
    )
    .unwrap()
    .run(&|_| {})
    .unwrap();
    for g in &gaps {
        let risk = ens.risk_by(&g.service, &g.method, g.year).unwrap();
        assert!((risk.shortfall_p50 - g.gap).abs() < 1e-6, "{g:?} {risk:?}");
        assert!((risk.capacity_needed_p90 - g.demand).abs() < 1e-6);
        assert_eq!(risk.supply, g.supply);
        if (g.gap - 0.5).abs() > 1e-6 {
            let expected = if g.is_shortfall() { 1.0 } else { 0.0 };
            assert_eq!(risk.p_shortfall, expected, "{g:?}");
        }
    }
    for fs in &ens.first_shortfalls {
        let first = carecast::gap::first_shortfall(&gaps, &fs.service, &fs.method);
        match first {
            Some(year) => {
                assert_eq!(fs.by_year.iter().find(|v| v.0 == year).unwrap().1, 1.0);
                assert_eq!(fs.never, 0.0);
            }
            None => assert_eq!(fs.never, 1.0),
        }
    }
}

/// A hand-made case: a fixed demand of 1,000 places with a standard whose
/// 90% interval is [0.8, 1.25] (so the demand is log-normal, median 1,000,
/// σ = ln 1.25 / 1.645) against a supply falling from 1,400 to 900.
#[test]
fn p_shortfall_on_a_hand_made_case() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let years = years_of(&model);
    let supply_of = |y: i32| 1400.0 - 500.0 * f64::from(y - model.base_year) / 29.0;
    let form = DemandForm {
        service: "places".into(),
        method: "standard".into(),
        primary: true,
        basis: None,
        scale: vec![0.0; years.len()],
        constant: vec![1000.0; years.len()],
        uncertainty: Some(FactorInterval {
            low: 0.8,
            high: 1.25,
        }),
        table: None,
        parent: None,
        supply: Some(years.iter().map(|&y| supply_of(y)).collect()),
        supply_risk: None,
    };
    let n = 40_000;
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(n, Stochastic::default()),
        vec![form],
    )
    .unwrap()
    .run(&|_| {})
    .unwrap();
    let sigma = 1.25f64.ln() / 1.644_853_626_951_472;
    let se = (0.25 / n as f64).sqrt();
    let mut cumulative = 0.0;
    for (&year, &(y2, first)) in years.iter().zip(&ens.first_shortfalls[0].by_year) {
        assert_eq!(year, y2);
        let supply = supply_of(year);
        // Short above the tolerance: max(0.5, 1% of supply).
        let above = supply + carecast::gap::shortfall_tolerance(supply);
        let expected = 1.0 - crate::common::normal_cdf((above / 1000.0).ln() / sigma);
        let risk = ens.risk("places", year).unwrap();
        assert!(
            (risk.p_shortfall - expected).abs() < 4.0 * se,
            "{year}: P(shortfall) {} vs {expected}",
            risk.p_shortfall
        );
        // Supply falls: a trajectory short once stays short, so the first
        // shortfall years add up to P(shortfall).
        cumulative += first;
        assert!((cumulative - risk.p_shortfall).abs() < 1e-12, "{year}");
        let p90 = 1000.0 * (1.281_551_565_5 * sigma).exp();
        assert!(
            crate::common::rel(risk.capacity_needed_p90, p90) < 0.01,
            "{risk:?}"
        );
        assert!(
            (risk.shortfall_p50 - (1000.0 - supply)).abs() < 10.0,
            "{risk:?}"
        );
    }
    assert!((cumulative + ens.first_shortfalls[0].never - 1.0).abs() < 1e-12);
}

#[test]
fn mortality_noise_widens_e0_and_the_elderly_and_keeps_the_balance() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    let stochastic = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 400.0 }),
        certain_need: false,
        certain_supply: false,
        certain_base: false,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    };
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(3_000, stochastic),
        Vec::new(),
    )
    .unwrap()
    .run(&|_| {})
    .unwrap();
    let mut last = 0.0;
    for year in [2025, 2035, 2050] {
        let e0 = ens.get(year, Indicator::E0Female).unwrap();
        let d = lookup(&det, year, Indicator::E0Female).unwrap();
        assert!((e0.p50 - d).abs() < 0.15, "{year}: e0 {} vs {d}", e0.p50);
        let width = e0.p95 - e0.p05;
        assert!(width > last, "{year}: {width} after {last}");
        last = width;
        let old = ens.get(year, Indicator::Pop80Plus).unwrap();
        let d80 = lookup(&det, year, Indicator::Pop80Plus).unwrap();
        assert!(old.p95 > old.p05 && crate::common::rel(old.p50, d80) < 0.01);
    }
    // 90% of e0 within about ±2 years by 2050 (see the default's rationale).
    assert!(last > 1.0 && last < 6.0, "{last}");
    // The balance holds for every trajectory, so for the means.
    for w in ens.years.windows(2) {
        let mean = |y, i| ens.get(y, i).unwrap().mean;
        let change = mean(w[1], Indicator::Total) - mean(w[0], Indicator::Total);
        let flows = mean(w[1], Indicator::Births) - mean(w[1], Indicator::Deaths)
            + mean(w[1], Indicator::NetMigration);
        assert!(
            (change - flows).abs() < 1e-6 * mean(w[0], Indicator::Total),
            "{w:?}"
        );
    }
}

/// Kept trajectories are the ensemble's own: their exact quantiles agree
/// with the streaming ones (within a histogram bin), and every value lies
/// within the summary's min and max.
#[test]
fn kept_trajectories_match_the_streaming_quantiles() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let noisy = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 800.0 }),
        certain_need: false,
        certain_supply: false,
        certain_base: false,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    };
    let n = 700;
    let ens = run_scenario(
        &model,
        plan,
        EnsembleSpec {
            keep: n,
            ..spec(n, noisy)
        },
        Vec::new(),
    );
    assert_eq!(ens.kept.len(), n);
    assert!(ens.kept.iter().enumerate().all(|(i, k)| k.0 == i));
    let columns = ens.indicators.len();
    for (y, &year) in ens.years.iter().enumerate().skip(1) {
        for (k, &ind) in ens.indicators.iter().enumerate() {
            let mut v: Vec<f64> = ens.kept.iter().map(|t| t.1[y * columns + k]).collect();
            v.sort_by(f64::total_cmp);
            let s = ens.get(year, ind).unwrap();
            assert_eq!((v[0], v[n - 1]), (s.min, s.max), "{year} {}", ind.name());
            let q = |p: f64| {
                let r = p * (n - 1) as f64;
                let (i, f) = (r.floor() as usize, r - r.floor());
                v[i] + f * (v[(i + 1).min(n - 1)] - v[i])
            };
            let tol = 1e-3 * (s.max - s.min) + 1e-9 * s.max.abs();
            for (p, got) in [(0.05, s.p05), (0.5, s.p50), (0.95, s.p95)] {
                assert!(
                    (got - q(p)).abs() <= tol,
                    "{year} {} p{p}: {got} vs exact {}",
                    ind.name(),
                    q(p)
                );
            }
        }
    }
}

/// Two demands reading the same prevalence table share its draw: without
/// their own factors and without demographic noise, their ratio is the same
/// in every kept trajectory, while a demand on another table moves apart.
/// The table's factor has median 1 and the table's 5th and 95th percentiles
/// (a split log-normal: x0.55 and x1.7 for any-ADL dependency).
#[test]
fn demands_sharing_a_prevalence_table_are_perfectly_correlated() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let p = model.project(plan).unwrap();
    let det = carecast::gap::demand(&model.services, &p).unwrap();
    let mut forms = demand_forms(&model.services, p.grid(), &p.years).unwrap();
    for f in &mut forms {
        f.uncertainty = None;
    }
    let index = |service: &str| {
        forms
            .iter()
            .position(|f| f.service == service && f.method == "need")
            .unwrap()
    };
    let (beds, caregivers, nursing) = (index("beds"), index("caregivers"), index("nursing_beds"));
    assert_eq!(forms[beds].table, forms[caregivers].table);
    assert_ne!(forms[beds].table, forms[nursing].table);
    let mut stochastic = zero_noise();
    stochastic.certain_need = false;
    let n = 4_000;
    let ens = run_scenario(
        &model,
        plan,
        EnsembleSpec {
            keep: 300,
            ..spec(n, stochastic)
        },
        forms.clone(),
    );
    let columns = ens.columns;
    let k = ens.indicators.len();
    let y = ens.years.iter().position(|&v| v == 2030).unwrap();
    let at = |values: &[f64], d: usize| values[y * columns + k + d];
    let ratios: Vec<f64> = ens
        .kept
        .iter()
        .map(|(_, v)| at(v, beds) / at(v, caregivers))
        .collect();
    let first = ratios[0];
    assert!((first - 1.0 / 0.3333).abs() < 1e-9, "{first}");
    assert!(ratios.iter().all(|r| (r / first - 1.0).abs() < 1e-12));
    let other: Vec<f64> = ens
        .kept
        .iter()
        .map(|(_, v)| at(v, beds) / at(v, nursing))
        .collect();
    let spread = other.iter().cloned().fold(f64::MIN, f64::max)
        / other.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread > 1.5,
        "beds / nursing beds by need vary by x{spread}"
    );
    // The median is the deterministic demand; the 5% and 95% points are the
    // table's factors.
    let det_beds = det
        .iter()
        .find(|d| d.year == 2030 && d.service == "beds" && d.method == "need")
        .unwrap()
        .demand;
    let s = ens.demand(2030, beds).unwrap();
    assert!(
        crate::common::rel(s.p50, det_beds) < 0.03,
        "{} vs {det_beds}",
        s.p50
    );
    assert!(
        crate::common::rel(s.p05, 0.55 * det_beds) < 0.05,
        "{}",
        s.p05
    );
    assert!(
        crate::common::rel(s.p95, 1.7 * det_beds) < 0.05,
        "{}",
        s.p95
    );
    // With need taken as certain, every demand is the deterministic one.
    let certain = run_scenario(&model, plan, spec(300, zero_noise()), forms);
    let c = certain.demand(2030, beds).unwrap();
    assert!((c.p05 - det_beds).abs() < 1e-6 && (c.p95 - det_beds).abs() < 1e-6);
}

/// A hand-made case of supply risk: a certain demand of 1,000 places
/// against a plan that builds from 800 places in the base year to 1,200
/// five years later, of whose additions a share `d` arrives, `d` split
/// normal with median 0.8 and 90% interval 0.5-1.0. A trajectory is short
/// when `1000 − (800 + d·(P − 800))` exceeds the tolerance of `P`, so
/// P(shortfall) is the split normal's CDF at the share that just fails.
#[test]
fn p_shortfall_with_a_delivery_share_on_a_hand_made_case() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let years = years_of(&model);
    let planned = |y: i32| 800.0 + 400.0 * (f64::from(y - model.base_year) / 5.0).min(1.0);
    let delivery = carecast::plan::DeliveryShare {
        central: 0.8,
        low: 0.5,
        high: 1.0,
    };
    let form = DemandForm {
        service: "places".into(),
        method: "standard".into(),
        primary: true,
        basis: None,
        scale: vec![0.0; years.len()],
        constant: vec![1000.0; years.len()],
        uncertainty: None,
        table: None,
        parent: None,
        supply: Some(years.iter().map(|&y| planned(y)).collect()),
        supply_risk: Some(carecast::plan::SupplyRisk {
            delivery: Some(delivery),
            attrition: None,
        }),
    };
    let n = 40_000;
    let ens = run_scenario(&model, plan, spec(n, Stochastic::default()), vec![form]);
    let se = (0.25 / n as f64).sqrt();
    let z95 = 1.644_853_626_951_472;
    let cdf = |x: f64| {
        let sd = if x < 0.8 { 0.3 } else { 0.2 } / z95;
        if x >= 1.0 {
            1.0
        } else {
            crate::common::normal_cdf((x - 0.8) / sd)
        }
    };
    for &year in &years[1..] {
        let p = planned(year);
        let tolerance = carecast::gap::shortfall_tolerance(p);
        let just_fails = (1000.0 - tolerance - 800.0) / (p - 800.0);
        let expected = cdf(just_fails);
        let risk = ens.risk("places", year).unwrap();
        assert_eq!(risk.supply, p);
        assert!(
            (risk.p_shortfall - expected).abs() < 4.0 * se,
            "{year}: P(shortfall) {} vs {expected}",
            risk.p_shortfall
        );
        // The realised supply's median is the median share's; the gap's
        // median is demand minus it.
        let s = ens.supply(year, "places").unwrap();
        let median = 800.0 + 0.8 * (p - 800.0);
        assert!((s.p50 - median).abs() < 2.0, "{year}: {s:?}");
        assert!((risk.shortfall_p50 - (1000.0 - median)).abs() < 2.0);
        assert!(s.max <= p + 1e-9 && s.min >= 800.0 - 1e-9);
    }
}

/// Delivery share 1 and attrition at the rate the plan recruits for give
/// the plan's path in every trajectory, as does `certain_supply`; and supply
/// draws never move the demographic or need draws.
#[test]
fn supply_as_planned_is_the_plans_path_and_supply_risk_moves_nothing_else() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let years = years_of(&model);
    let forms = demand_forms(&model.services, model.base.grid(), &years).unwrap();
    assert!(forms
        .iter()
        .any(|f| f.supply_risk.is_some_and(|r| r.attrition.is_some())));
    let noisy = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 300.0 }),
        certain_need: false,
        certain_supply: false,
        certain_base: false,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    };
    let as_planned: Vec<DemandForm> = forms
        .iter()
        .cloned()
        .map(|mut f| {
            f.supply_risk = f.supply_risk.map(|r| carecast::plan::SupplyRisk {
                delivery: r.delivery.map(|_| carecast::plan::DeliveryShare {
                    central: 1.0,
                    low: 1.0,
                    high: 1.0,
                }),
                attrition: r.attrition.map(|a| carecast::plan::Attrition {
                    rate: a.planned,
                    low: a.planned,
                    high: a.planned,
                    ..a
                }),
            });
            f
        })
        .collect();
    let uncertain = run_scenario(&model, plan, spec(1_000, noisy), forms.clone());
    let certain = run_scenario(
        &model,
        plan,
        spec(
            1_000,
            Stochastic {
                certain_supply: true,
                certain_base: true,
                own_noise: false,
                certain_fertility: false,
                certain_mortality: false,
                ..noisy
            },
        ),
        forms.clone(),
    );
    let planned = run_scenario(&model, plan, spec(1_000, noisy), as_planned);
    let mut moved = 0;
    for (y, &year) in years.iter().enumerate() {
        for form in forms.iter().filter(|f| f.primary && f.supply.is_some()) {
            let plan_value = form.supply.as_ref().unwrap()[y];
            for ens in [&certain, &planned] {
                let s = ens.supply(year, &form.service).unwrap();
                assert!(
                    (s.min - plan_value).abs() < 1e-6 && (s.max - plan_value).abs() < 1e-6,
                    "{year} {}: {s:?} vs {plan_value}",
                    form.service
                );
            }
            let s = uncertain.supply(year, &form.service).unwrap();
            if s.max - s.min > 1.0 {
                moved += 1;
            }
        }
        for i in 0..forms.len() {
            assert_eq!(uncertain.demand(year, i), certain.demand(year, i));
        }
        for &ind in &uncertain.indicators {
            assert_eq!(uncertain.get(year, ind), certain.get(year, ind));
        }
    }
    assert!(moved > 0, "the supply risk drew nothing");
    // Attrition above the planned rate leaves the caregivers short of the
    // plan; the 95th percentile's supply stays at or below the plan's
    // delivered-in-full path.
    let s = uncertain.supply(2025, "caregivers").unwrap();
    assert!(s.p05 < 0.8 * 3110.0 && s.p50 < 3110.0, "{s:?}");
}

/// An uncertain base total on a model without migration: the projection
/// is linear in the population, so every count scales by the trajectory's
/// factor (its p05 and p95 are the interval's bounds times the
/// deterministic count) and every share stays the deterministic one.
#[test]
fn an_uncertain_base_total_scales_every_count_and_leaves_shares() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    let total_only = carecast::model::BaseUncertainty {
        total: Some(FactorInterval {
            low: 0.95,
            high: 1.05,
        }),
        bands: Vec::new(),
    };
    let mut stochastic = zero_noise();
    stochastic.certain_base = false;
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(4_000, stochastic),
        Vec::new(),
    )
    .unwrap()
    .with_base_uncertainty(total_only)
    .unwrap()
    .run(&|_| {})
    .unwrap();
    for year in [model.base_year, 2030, 2050] {
        let total = lookup(&det, year, Indicator::Total).unwrap();
        let s = ens.get(year, Indicator::Total).unwrap();
        assert!(crate::common::rel(s.p50, total) < 0.002, "{year}: {s:?}");
        assert!(
            crate::common::rel(s.p05, 0.95 * total) < 0.002,
            "{year}: {s:?}"
        );
        assert!(
            crate::common::rel(s.p95, 1.05 * total) < 0.002,
            "{year}: {s:?}"
        );
        let share = lookup(&det, year, Indicator::Share60Plus).unwrap();
        let s = ens.get(year, Indicator::Share60Plus).unwrap();
        assert!(
            (s.min - share).abs() < 1e-9 && (s.max - share).abs() < 1e-9,
            "{year}: {s:?} vs {share}"
        );
    }
    // With the base taken as certain, the total is the deterministic one.
    let certain = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(300, zero_noise()),
        Vec::new(),
    )
    .unwrap()
    .with_base_uncertainty(model.base_uncertainty.clone())
    .unwrap()
    .run(&|_| {})
    .unwrap();
    let s = certain.get(2030, Indicator::Total).unwrap();
    let total = lookup(&det, 2030, Indicator::Total).unwrap();
    assert!((s.min - total).abs() < 1e-6 && (s.max - total).abs() < 1e-6);
}

/// A factor on ages 0-4 moves the young children in the base year by its
/// interval and leaves the elderly alone; the model's own base intervals
/// are drawn by `for_model`.
#[test]
fn a_band_factor_moves_only_its_ages() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    assert!(!model.base_uncertainty.is_certain());
    let young = carecast::model::BaseUncertainty {
        total: None,
        bands: vec![(
            carecast::AgeRange::parse("0-4").unwrap(),
            FactorInterval {
                low: 0.5,
                high: 1.1,
            },
        )],
    };
    let mut stochastic = zero_noise();
    stochastic.certain_base = false;
    let ens = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        spec(12_000, stochastic),
        Vec::new(),
    )
    .unwrap()
    .with_base_uncertainty(young)
    .unwrap()
    .run(&|_| {})
    .unwrap();
    let y0 = model.base_year;
    let children = lookup(&det, y0, Indicator::Pop0To2).unwrap();
    let s = ens.get(y0, Indicator::Pop0To2).unwrap();
    // Monte Carlo error of the 5th percentile of the wide lower side: about
    // 0.8% at 12,000 trajectories.
    assert!(crate::common::rel(s.p05, 0.5 * children) < 0.03, "{s:?}");
    assert!(crate::common::rel(s.p95, 1.1 * children) < 0.01, "{s:?}");
    assert!(s.max < 1.5 * children && s.min > 0.05 * children, "{s:?}");
    for year in [y0, 2030] {
        let old = lookup(&det, year, Indicator::Pop60Plus).unwrap();
        let s = ens.get(year, Indicator::Pop60Plus).unwrap();
        assert!(
            (s.min - old).abs() < 1e-6 && (s.max - old).abs() < 1e-6,
            "{s:?}"
        );
    }
    let drawn = EnsembleRequest::for_model(&model, &plan.assumptions, &[], spec(500, stochastic))
        .unwrap()
        .run(&|_| {})
        .unwrap();
    let s = drawn.get(y0, Indicator::Total).unwrap();
    assert!(s.p95 / s.p05 > 1.05, "{s:?}");
}

/// `simulate` takes the model's migration noise unless `--migration-sd`
/// says otherwise; 0 turns it off.
#[test]
fn simulate_takes_the_models_migration_noise() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    assert_eq!(model.migration_noise, Some(MigrationNoise { sd: 10800.0 }));
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "simulate",
            "--model",
            "models/jiaxing.toml",
            "-n",
            "512",
            "--certain-base",
            "--out",
            dir.path().to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        let o = crate::common::carecast(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (header, rows) = crate::common::read_csv(&dir.path().join("quantiles.csv"));
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let row = rows
            .iter()
            .find(|r| r[col("year")] == "2050" && r[col("indicator")] == "net_migration")
            .unwrap()
            .clone();
        let v = |n: &str| row[col(n)].parse::<f64>().unwrap();
        v("p95") - v("p05")
    };
    let (default, explicit, off) = (
        run(&[]),
        run(&["--migration-sd", "10800"]),
        run(&["--migration-sd", "0"]),
    );
    assert_eq!(default, explicit);
    assert_eq!(off, 0.0);
    // Annual net migration: the 90% range of a normal with sd 10,800.
    assert!(
        (default / (2.0 * 1.645 * 10800.0) - 1.0).abs() < 0.15,
        "{default}"
    );
}

/// A model borrowing published bounds: its TFR's 95% and 80% bounds, as
/// ratios to its median, are the published ones of the same horizon; with
/// `own_noise` the spec's TFR noise applies instead.
#[test]
fn a_model_borrows_published_bounds_by_horizon() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let (table, calibration) = model.calibration.clone().unwrap();
    assert_eq!(table, "builtin:wpp2019-bounds-158");
    let mut stochastic = zero_noise();
    stochastic.tfr = Some(TfrNoise::default());
    let run = |stochastic: Stochastic| {
        EnsembleRequest::for_model(&model, &plan.assumptions, &[], spec(20_000, stochastic))
            .unwrap()
            .run(&|_| {})
            .unwrap()
    };
    let borrowed = run(stochastic);
    // 2030 is the step 9-10 years after the base year 2021: the period
    // 2025-2030 of the publication (which starts in 2020).
    let published = calibration
        .tfr
        .iter()
        .find(|p| p.start == 2025.0)
        .unwrap()
        .values;
    let s = borrowed.get(2030, Indicator::Tfr).unwrap();
    let ours = [s.p025, s.p10, s.p50, s.p90, s.p975].map(|v| v / s.p50);
    for j in [0, 1, 3, 4] {
        let (a, b) = (ours[j] - 1.0, published[j] / published[2] - 1.0);
        assert!(
            (a - b).abs() <= 0.1 * b.abs(),
            "bound {j}: {ours:?} vs {published:?}"
        );
    }
    // Own noise: the default AR(1) (a stationary ±18% at 95%), narrower
    // than the published +21% at this horizon.
    let own = run(Stochastic {
        own_noise: true,
        certain_fertility: false,
        certain_mortality: false,
        ..stochastic
    });
    let s = own.get(2030, Indicator::Tfr).unwrap();
    assert!(
        s.p975 / s.p50 - 1.0 < 0.9 * (published[4] / published[2] - 1.0),
        "{s:?}"
    );
}
