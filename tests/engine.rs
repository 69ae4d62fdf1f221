//! Invariants of the projection engine: null projections, symmetry,
//! conservation in every step, no negative counts.

use carecast::io::model_file;
use carecast::io::wpp::read_country;
use carecast::{project, project_step, AgeGrid, Population, Projection, StepRates, SurvivalRatios};
use ndarray::{Array1, Array2};

fn immortal_rates(grid: AgeGrid) -> StepRates {
    StepRates {
        survival: [
            SurvivalRatios::immortal(grid),
            SurvivalRatios::immortal(grid),
        ],
        asfr: Array1::zeros(grid.len()),
        srb: 1.05,
        migration: Array2::zeros((2, grid.len())),
        e0: [f64::NAN; 2],
        tfr: 0.0,
    }
}

#[test]
fn null_projection_only_shifts_ages() {
    for grid in [AgeGrid::five_year(), AgeGrid::single_years()] {
        let g = grid.len();
        let counts = Array2::from_shape_fn((2, g), |(s, i)| 100.0 + i as f64 + 1000.0 * s as f64);
        let pop = Population::new(grid, counts.clone()).unwrap();
        let (next, flows) = project_step(&pop, &immortal_rates(grid)).unwrap();
        for s in 0..2 {
            assert_eq!(next.counts()[[s, 0]], 0.0);
            for i in 1..g - 1 {
                assert_eq!(next.counts()[[s, i]], counts[[s, i - 1]]);
            }
            assert_eq!(
                next.counts()[[s, g - 1]],
                counts[[s, g - 2]] + counts[[s, g - 1]]
            );
        }
        assert_eq!(flows.births, [0.0, 0.0]);
        assert_eq!(flows.deaths, [0.0, 0.0]);
    }
}

#[test]
fn identical_sexes_stay_identical() {
    let inputs = read_country(&crate::common::wpp_dir(), crate::common::JAPAN, 2020).unwrap();
    let grid = AgeGrid::five_year();
    let base = inputs.base(grid).unwrap();
    let female = base.of(carecast::Sex::Female).to_owned();
    let same = Population::new(
        grid,
        Array2::from_shape_fn((2, grid.len()), |(_, i)| female[i]),
    )
    .unwrap();
    let assumptions = inputs.assumptions(grid).unwrap();
    let mut pop = same;
    for year in (2020..2100).step_by(5) {
        let mut rates = assumptions.step_rates(year).unwrap();
        rates.survival[0] = rates.survival[1].clone();
        rates.srb = 1.0;
        let m = rates.migration.row(1).to_owned();
        rates.migration.row_mut(0).assign(&m);
        let (next, flows) = project_step(&pop, &rates).unwrap();
        assert_eq!(next.counts().row(0), next.counts().row(1), "{year}");
        assert_eq!(flows.births[0], flows.births[1]);
        pop = next;
    }
}

fn assert_conserved(p: &Projection, what: &str) {
    for (k, f) in p.flows.iter().enumerate() {
        let change = p.populations[k + 1].total() - p.populations[k].total();
        let balance: f64 = f.births.iter().sum::<f64>() - f.deaths.iter().sum::<f64>()
            + f.net_migration.iter().sum::<f64>();
        let scale = p.populations[k].total();
        assert!(
            (change - balance).abs() <= 1e-9 * scale,
            "{what} step to {}: change {change} vs {balance}",
            p.years[k + 1]
        );
        assert!(p.populations[k + 1].counts().iter().all(|&v| v >= 0.0));
        assert!(f.deaths.iter().all(|&d| d >= 0.0));
    }
}

#[test]
fn conservation_in_every_step() {
    for country in [crate::common::CHINA, crate::common::JAPAN] {
        let inputs = read_country(&crate::common::wpp_dir(), country, 2020).unwrap();
        for grid in [AgeGrid::five_year(), AgeGrid::single_years()] {
            let p = project(
                &inputs.base(grid).unwrap(),
                2020,
                2100,
                &inputs.assumptions(grid).unwrap(),
            )
            .unwrap();
            assert_conserved(&p, &format!("{country} {grid}"));
            // Net migration equals the WPP period totals (Japan: positive, China: negative).
            let five: f64 = p
                .flows
                .iter()
                .take(5 / grid.width() as usize)
                .map(|f| f.net_migration.iter().sum::<f64>())
                .sum();
            let wpp = inputs.migration.iter().find(|m| m.0 == 2020.0).unwrap().2;
            assert!(
                (five - wpp).abs() < 1e-6 * wpp.abs().max(1.0),
                "{country} {grid}: {five} vs {wpp}"
            );
        }
    }
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    for s in &model.scenarios {
        assert_conserved(&model.project(s).unwrap(), &s.name);
    }
}

#[test]
fn heavy_out_migration_is_clamped_and_reported() {
    let grid = AgeGrid::five_year();
    let pop = Population::new(grid, Array2::from_elem((2, grid.len()), 1000.0)).unwrap();
    let mut rates = immortal_rates(grid);
    rates.migration = Array2::from_elem((2, grid.len()), -5000.0);
    let (next, flows) = project_step(&pop, &rates).unwrap();
    assert!(next.counts().iter().all(|&v| v >= 0.0));
    assert!(flows.migration_clamped > 0.0);
    let change = next.total() - pop.total();
    let balance = flows.births.iter().sum::<f64>() - flows.deaths.iter().sum::<f64>()
        + flows.net_migration.iter().sum::<f64>();
    assert!((change - balance).abs() < 1e-9);
    // What could leave did leave: everyone.
    assert_eq!(next.total(), 0.0);
    assert!((flows.net_migration.iter().sum::<f64>() + pop.total()).abs() < 1e-9);
    assert!((flows.migration_clamped - (2.0 * 21.0 * 5000.0 - pop.total())).abs() < 1e-6);
}

#[test]
fn brass_model_reaches_the_plan_life_expectancy() {
    let model = model_file::load(&crate::common::root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    for (year, target) in [(2020, 82.82), (2025, 83.0)] {
        let m = plan
            .assumptions
            .mortality()
            .life_table(carecast::Sex::Male, year as f64, 1.0)
            .unwrap();
        let f = plan
            .assumptions
            .mortality()
            .life_table(carecast::Sex::Female, year as f64, 1.0)
            .unwrap();
        let both = (1.13 * m.e0() + f.e0()) / 2.13;
        assert!((both - target).abs() < 1e-6, "{year}: {both}");
        assert!((f.e0() - m.e0() - 4.5).abs() < 1e-6);
    }
}
