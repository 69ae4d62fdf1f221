//! The robust build schedule and the drivers of risk (issue 12, items 5
//! and 6): analytic answers on hand-made cases, common random numbers,
//! reproducibility and bad input.

use carecast::ensemble::{
    EnsembleRequest, EnsembleSpec, MigrationNoise, MortalityNoise, Source, Stochastic, TfrNoise,
};
use carecast::gap::DemandForm;
use carecast::io::model_file;
use carecast::standards::FactorInterval;

/// z of the 90th percentile of the standard normal.
const Z90: f64 = 1.281_551_565_544_601;

fn jiaxing() -> carecast::Model {
    model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap()
}

fn years_of(model: &carecast::Model) -> Vec<i32> {
    (model.base_year..=model.end_year).collect()
}

/// Every source on: the default TFR and mortality noise, migration noise,
/// and the model's need, supply and base intervals.
fn everything() -> Stochastic {
    Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 2000.0 }),
        ..Stochastic::default()
    }
}

/// A demand of `constant[y]` places (no population term) with a factor
/// whose 90% interval is [0.8, 1.25], against `supply`.
fn constant_form(constant: Vec<f64>, supply: Vec<f64>) -> DemandForm {
    DemandForm {
        service: "places".into(),
        method: "standard".into(),
        primary: true,
        basis: None,
        scale: vec![0.0; constant.len()],
        constant,
        uncertainty: Some(FactorInterval {
            low: 0.8,
            high: 1.25,
        }),
        table: None,
        parent: None,
        supply: Some(supply),
        supply_risk: None,
    }
}

fn run(
    model: &carecast::Model,
    stochastic: Stochastic,
    n: usize,
    seed: u64,
    forms: Vec<DemandForm>,
) -> (carecast::EnsembleSummary, Vec<Source>) {
    let plan = model.scenario("plan").unwrap();
    let request = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        EnsembleSpec {
            trajectories: n,
            seed,
            stochastic,
            keep: 0,
        },
        forms,
    )
    .unwrap()
    .with_base_uncertainty(model.base_uncertainty.clone())
    .unwrap();
    let sources = request.sources();
    (request.run(&|_| {}).unwrap(), sources)
}

/// A log-normal demand (median `c(y)`, σ = ln 1.25 / 1.645) against a flat
/// supply of 600: the robust schedule is 600 in the base year, then the
/// running maximum of `c(y) · exp(z90 · σ)`; fed back as a certain supply,
/// each later year's P(shortfall) is the analytic
/// `1 − Φ(ln((s + tol) / c) / σ)`, never above α.
#[test]
fn robust_schedule_is_the_analytic_quantile_path_and_keeps_the_risk_below_alpha() {
    let model = jiaxing();
    let years = years_of(&model);
    // A demand that dips (2027-2035) and then rises above its first level.
    let c = |y: i32| match y {
        ..=2026 => 1000.0,
        2027..=2035 => 800.0,
        _ => 1300.0,
    };
    let constant: Vec<f64> = years.iter().map(|&y| c(y)).collect();
    let n = 40_000;
    let (ens, _) = run(
        &model,
        Stochastic::default(),
        n,
        11,
        vec![constant_form(constant.clone(), vec![600.0; years.len()])],
    );
    let sigma = 1.25f64.ln() / 1.644_853_626_951_472;
    let schedule = ens.robust_schedule("places", "standard", None);
    assert_eq!(schedule.len(), years.len());
    let mut level = 600.0f64;
    for (step, &year) in schedule.iter().zip(&years) {
        if year > model.base_year {
            level = level.max(c(year) * (Z90 * sigma).exp());
        }
        assert_eq!(step.year, year);
        assert!(
            crate::common::rel(step.stock_needed, level) < 0.005,
            "{year}: {step:?} vs {level}"
        );
        assert_eq!(step.planned, 600.0);
        assert!((step.extra_vs_plan - (step.stock_needed - 600.0)).abs() < 1e-9);
    }
    assert!(schedule
        .windows(2)
        .all(|w| w[1].stock_needed >= w[0].stock_needed));
    let adds: f64 = schedule.iter().map(|s| s.additions).sum();
    assert!((adds + 600.0 - schedule.last().unwrap().stock_needed).abs() < 1e-6);
    // At α = 0.10 the capacity needed is the p90 of the demand, by the same rule.
    for r in &ens.risks {
        assert_eq!(r.alpha, 0.10);
        assert_eq!(r.capacity_needed, r.capacity_needed_p90);
    }

    // Fed back as the supply, with another seed.
    let stock: Vec<f64> = schedule.iter().map(|s| s.stock_needed).collect();
    let (fed, _) = run(
        &model,
        Stochastic::default(),
        n,
        12,
        vec![constant_form(constant, stock.clone())],
    );
    let se = (0.1 * 0.9 / n as f64).sqrt();
    for (&year, &s) in years.iter().zip(&stock).skip(1) {
        let risk = fed.risk("places", year).unwrap();
        let above = s + carecast::gap::shortfall_tolerance(s);
        let expected = 1.0 - crate::common::normal_cdf((above / c(year)).ln() / sigma);
        assert!(
            (risk.p_shortfall - expected).abs() < 4.0 * se + 0.002,
            "{year}: P(shortfall) {} vs {expected}",
            risk.p_shortfall
        );
        assert!(risk.p_shortfall <= 0.10 + 4.0 * se, "{year}: {risk:?}");
    }
}

/// A risk level other than 0.10: the capacity needed is that quantile.
#[test]
fn alpha_sets_the_quantile_and_is_checked() {
    let model = jiaxing();
    let years = years_of(&model);
    let plan = model.scenario("plan").unwrap();
    let request = |alpha: f64| {
        EnsembleRequest::new(
            &model.base,
            model.base_year,
            model.end_year,
            &plan.assumptions,
            EnsembleSpec {
                trajectories: 20_000,
                seed: 3,
                stochastic: Stochastic::default(),
                keep: 0,
            },
            vec![constant_form(
                vec![1000.0; years.len()],
                vec![900.0; years.len()],
            )],
        )
        .unwrap()
        .with_alpha(alpha)
    };
    let ens = request(0.025).unwrap().run(&|_| {}).unwrap();
    for (r, &year) in ens.risks.iter().zip(&years) {
        assert_eq!(r.capacity_needed, ens.demand(year, 0).unwrap().p975);
    }
    for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
        let e = request(bad).unwrap_err().to_string();
        assert!(e.contains("alpha") && e.contains("(0, 1)"), "{e}");
    }
}

/// A demand that does not depend on the population, against a supply with
/// a delivery risk: only need and supply move its gap. With common random
/// numbers, the runs without fertility, mortality, migration or the base
/// give exactly the full run's P(shortfall), and those sources' shares are
/// exactly 0; need and supply act additively and independently, so their
/// variances alone add up to the full variance.
#[test]
fn drivers_of_a_demand_without_population_are_need_and_supply() {
    let model = jiaxing();
    let years = years_of(&model);
    let planned: Vec<f64> = years
        .iter()
        .map(|&y| 800.0 + 400.0 * (f64::from(y - model.base_year) / 5.0).min(1.0))
        .collect();
    let mut form = constant_form(vec![1000.0; years.len()], planned);
    form.supply_risk = Some(carecast::plan::SupplyRisk {
        delivery: Some(carecast::plan::DeliveryShare {
            central: 0.8,
            low: 0.5,
            high: 1.0,
        }),
        attrition: None,
    });
    let plan = model.scenario("plan").unwrap();
    let request = EnsembleRequest::new(
        &model.base,
        model.base_year,
        model.end_year,
        &plan.assumptions,
        EnsembleSpec {
            trajectories: 4096,
            seed: 5,
            stochastic: everything(),
            keep: 0,
        },
        vec![form],
    )
    .unwrap()
    .with_base_uncertainty(model.base_uncertainty.clone())
    .unwrap();
    assert_eq!(request.sources(), Source::ALL.to_vec());
    let full = request.run(&|_| {}).unwrap();
    let drivers = request.risk_drivers(&full, &|_| {}).unwrap();
    assert_eq!(drivers.len(), 6 * years.len());
    for &year in &years[1..] {
        let of = |s: Source| {
            drivers
                .iter()
                .find(|d| d.year == year && d.source == s)
                .unwrap()
        };
        let all = full.risk("places", year).unwrap();
        for s in [
            Source::Fertility,
            Source::Mortality,
            Source::Migration,
            Source::Base,
        ] {
            let d = of(s);
            assert_eq!(d.variance_share, 0.0, "{year} {s:?}");
            assert_eq!(d.p_shortfall_without, all.p_shortfall, "{year} {s:?}");
            assert_eq!(d.p_shortfall_all, all.p_shortfall);
        }
        let (need, supply) = (of(Source::Need), of(Source::Supply));
        assert!((need.variance_share + supply.variance_share - 1.0).abs() < 1e-12);
        let sum = need.gap_sd_alone.powi(2) + supply.gap_sd_alone.powi(2);
        assert!(
            crate::common::rel(sum, all.shortfall_sd.powi(2)) < 0.06,
            "{year}: {sum} vs {}",
            all.shortfall_sd.powi(2)
        );
        // Need alone: the log-normal factor's sd times 1,000.
        let sigma = 1.25f64.ln() / 1.644_853_626_951_472;
        let sd = 1000.0 * ((sigma * sigma).exp_m1() * (sigma * sigma).exp()).sqrt();
        assert!(
            crate::common::rel(need.gap_sd_alone, sd) < 0.05,
            "{need:?} vs {sd}"
        );
        // Without need, only the delivery moves the gap: its P(shortfall)
        // is that of supply alone.
        assert_eq!(need.p_shortfall_without, supply.p_shortfall_alone);
    }
}

/// `simulate --drivers` writes risk_drivers.csv and robust_plan.csv,
/// byte-identical on 1 and 2 threads; shares add up to 1.
#[test]
fn simulate_writes_drivers_and_the_robust_plan_reproducibly() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        let o = crate::common::carecast(&[
            "simulate",
            "--model",
            "models/jiaxing.toml",
            "-n",
            "512",
            "--seed",
            "7",
            "--drivers",
            "--alpha",
            "0.2",
            "--threads",
            threads,
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("to stay 80% safe by need in every year, caregivers: "),
            "{text}"
        );
        assert!(text.contains("driven by"), "{text}");
    }
    for file in ["risk_drivers.csv", "robust_plan.csv", "gap_risk.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file}: 1 vs 2 threads"
        );
    }
    let (header, rows) = crate::common::read_csv(&a.path().join("robust_plan.csv"));
    assert_eq!(
        header,
        [
            "year",
            "service",
            "method",
            "stock_needed",
            "additions",
            "planned",
            "extra_vs_plan"
        ]
    );
    for method in ["standard", "need"] {
        let stock: Vec<f64> = rows
            .iter()
            .filter(|r| r[1] == "caregivers" && r[2] == method)
            .map(|r| r[3].parse().unwrap())
            .collect();
        assert_eq!(stock.len(), 30, "{method}");
        assert!(
            stock.windows(2).all(|w| w[1] >= w[0]),
            "{method}: {stock:?}"
        );
    }
    let (header, rows) = crate::common::read_csv(&a.path().join("risk_drivers.csv"));
    assert_eq!(
        header,
        [
            "year",
            "service",
            "method",
            "source",
            "variance_share",
            "gap_sd_alone",
            "gap_sd_all",
            "p_shortfall_alone",
            "p_shortfall_without",
            "p_shortfall_all"
        ]
    );
    let mut sums: std::collections::BTreeMap<(String, String, String), f64> = Default::default();
    for r in &rows {
        *sums
            .entry((r[0].clone(), r[1].clone(), r[2].clone()))
            .or_default() += r[4].parse::<f64>().unwrap();
    }
    for (key, sum) in &sums {
        assert!(
            sum.abs() < 1e-9 || (sum - 1.0).abs() < 1e-9,
            "{key:?}: {sum}"
        );
    }
    assert!(rows
        .iter()
        .any(|r| r[0] == "2030" && r[1] == "caregivers" && r[3] == "supply"));
}

#[test]
fn bad_alpha_is_refused_and_nothing_is_written() {
    for bad in ["0", "1", "-0.1", "1.5", "ten", "nan"] {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("out");
        for command in ["simulate", "report"] {
            crate::common::fails(
                &[
                    command,
                    "--model",
                    "models/jiaxing.toml",
                    "--alpha",
                    bad,
                    "--out",
                    dir.to_str().unwrap(),
                ],
                2,
                &["alpha", "(0, 1)"],
                &dir,
            );
        }
    }
}

/// A build limit moves additions earlier: no step adds more than the
/// limit allows, except the first when even the limit could not catch up.
#[test]
fn a_build_limit_spreads_the_robust_schedule() {
    let f = crate::common::Fixture::new();
    f.edit("models/jiaxing.toml", |t| {
        let at = t.find("id = \"caregivers\"").unwrap();
        let supply = at + t[at..].find("[service.supply]").unwrap() + "[service.supply]".len();
        format!(
            "{}\n  max_build_per_year = 200{}",
            &t[..supply],
            &t[supply..]
        )
    });
    let out = f.path("out");
    let o = crate::common::carecast(&[
        "simulate",
        "--model",
        &f.model(),
        "-n",
        "256",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, rows) = crate::common::read_csv(&out.join("robust_plan.csv"));
    let caregivers: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "caregivers").collect();
    assert_eq!(caregivers.len(), 60);
    for r in caregivers
        .iter()
        .filter(|r| r[0] != "2021" && r[0] != "2022")
    {
        let additions: f64 = r[4].parse().unwrap();
        assert!(additions <= 200.0 + 1e-6, "{r:?}");
    }
    // The limit binds: some year adds exactly the limit.
    assert!(caregivers
        .iter()
        .any(|r| (r[4].parse::<f64>().unwrap() - 200.0).abs() < 1e-6));
    // A limit that is not a positive count is refused, naming the key.
    f.edit("models/jiaxing.toml", |t| {
        t.replace("max_build_per_year = 200", "max_build_per_year = -3")
    });
    crate::common::fails(
        &[
            "simulate",
            "--model",
            &f.model(),
            "-n",
            "10",
            "--out",
            out.join("x").to_str().unwrap(),
        ],
        1,
        &["max_build_per_year", "caregivers"],
        &out.join("x"),
    );
}
