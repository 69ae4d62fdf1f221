//! The Monte Carlo ensemble: agreement with the deterministic engine,
//! reproducibility whatever the thread count, statistical sanity.

mod common;

use carecast::indicators::{indicators, lookup};
use carecast::io::model_file;
use carecast::io::wpp::read_country;
use carecast::{
    project, simulate, AgeGrid, EnsembleSpec, Indicator, MigrationNoise, MortalityNoise,
    Stochastic, TfrNoise,
};

fn spec(trajectories: usize, stochastic: Stochastic) -> EnsembleSpec {
    EnsembleSpec {
        trajectories,
        seed: 20261122,
        stochastic,
    }
}

fn zero_noise() -> Stochastic {
    Stochastic {
        tfr: Some(TfrNoise {
            persistence: 0.8,
            volatility: 0.0,
        }),
        mortality: Some(MortalityNoise { sd: 0.0 }),
        migration: Some(MigrationNoise { sd: 0.0 }),
    }
}

#[test]
fn zero_volatility_collapses_to_the_deterministic_projection() {
    let model = model_file::load(&common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    let ens = simulate(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        &spec(300, zero_noise()),
        &[],
        &|_| {},
    )
    .unwrap();
    // WPP China in 5-year steps, with migration.
    let inputs = read_country(&common::wpp_dir(), common::CHINA, 2020).unwrap();
    let grid = AgeGrid::five_year();
    let (base, assumptions) = (
        inputs.base(grid).unwrap(),
        inputs.assumptions(grid).unwrap(),
    );
    let det5 = indicators(&project(&base, 2020, 2050, &assumptions).unwrap());
    let ens5 = simulate(
        &base,
        2020,
        2050,
        &assumptions,
        &spec(10, zero_noise()),
        &[],
        &|_| {},
    )
    .unwrap();
    for (det, ens) in [(&det, &ens), (&det5, &ens5)] {
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

#[test]
fn same_seed_same_result_on_one_and_two_threads() {
    let model = model_file::load(&common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let noisy = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 500.0 }),
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                simulate(
                    &model.base,
                    model.base_year,
                    model.end_year,
                    &plan.assumptions,
                    &spec(2_000, noisy),
                    &[],
                    &|_| {},
                )
                .unwrap()
            })
    };
    let (one, two) = (run(1), run(2));
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
    let other = simulate(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        &EnsembleSpec {
            seed: 1,
            ..spec(2_000, noisy)
        },
        &[],
        &|_| {},
    )
    .unwrap();
    assert_ne!(
        one.get(2040, Indicator::Births),
        other.get(2040, Indicator::Births)
    );
}

#[test]
fn tfr_noise_keeps_the_median_on_the_path_and_widens_the_band() {
    let model = model_file::load(&common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("tfr_1.30").unwrap();
    let det = indicators(&model.project(plan).unwrap());
    let tfr_only = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: None,
        migration: None,
    };
    let ens = simulate(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        &spec(4_000, tfr_only),
        &[],
        &|_| {},
    )
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
    let model = model_file::load(&common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let run = |spec: EnsembleSpec| {
        simulate(
            &model.base,
            model.base_year,
            model.end_year,
            &plan.assumptions,
            &spec,
            &[],
            &|_| {},
        )
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
        let o = common::carecast(&[
            "simulate",
            "--model",
            "models/jiaxing.toml",
            "--trajectories",
            "600",
            "--seed",
            "7",
            "--migration-sd",
            "300",
            "--threads",
            threads,
            "--out",
            dir.path().to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let qa = std::fs::read(a.path().join("quantiles.csv")).unwrap();
    assert_eq!(
        qa,
        std::fs::read(b.path().join("quantiles.csv")).unwrap(),
        "1 vs 2 threads"
    );
    let (header, rows) = common::read_csv(&a.path().join("quantiles.csv"));
    assert_eq!(
        header,
        [
            "year",
            "indicator",
            "p05",
            "p25",
            "p50",
            "p75",
            "p95",
            "mean"
        ]
    );
    assert!(rows.iter().any(|r| r[0] == "2050" && r[1] == "births"));
    for r in &rows {
        let q: Vec<f64> = r[2..7].iter().map(|v| v.parse().unwrap()).collect();
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
        let o = common::carecast(&full);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("expected") && !err.contains("panicked"),
            "{err}"
        );
        assert!(!dir.exists(), "output written for {args:?}");
    }
}
