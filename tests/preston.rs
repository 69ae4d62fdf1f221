//! The textbook projection step: Preston, Heuveline & Guillot (2001), Box 6.2,
//! Sweden 1993 females in 5-year groups with net migrants half at the start
//! and half at the end. Births by age of mother and the end population must
//! match the book to the unit after rounding.

use carecast::{project_step, AgeGrid, Population, StepRates, SurvivalRatios};
use ndarray::{Array1, Array2};

struct Row {
    pop: f64,
    lx: f64,
    migrants: f64,
    asfr: f64,
    births: f64,
    end_female: f64,
    end_male: f64,
}

fn read() -> Vec<Row> {
    let path = crate::common::shared().join("data/preston-sweden-1993/sweden_1993_5x5.csv");
    let text = std::fs::read_to_string(&path).expect("the Preston table in ../shared");
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|c| c.parse().unwrap()).collect();
            Row {
                pop: v[1],
                lx: v[2],
                migrants: v[3],
                asfr: v[4],
                births: v[5],
                end_female: v[6],
                end_male: v[7],
            }
        })
        .collect()
}

#[test]
fn sweden_1993_matches_the_book() {
    let rows = read();
    let grid = AgeGrid::new(5, 85).unwrap();
    assert_eq!(rows.len(), grid.len());
    let lx: Vec<f64> = rows.iter().map(|r| r.lx).collect();
    // The book projects females; males get identical inputs here, as in the
    // expected columns (which use the female life table for both).
    let survival = SurvivalRatios::from_person_years(grid, 100_000.0, &lx).unwrap();
    let column = |f: fn(&Row) -> f64| Array1::from_iter(rows.iter().map(f));
    let pop = column(|r| r.pop);
    let migrants = column(|r| r.migrants);
    let base = Population::new(
        grid,
        Array2::from_shape_fn((2, grid.len()), |(_, i)| pop[i]),
    )
    .unwrap();
    let rates = StepRates {
        survival: [survival.clone(), survival],
        asfr: column(|r| r.asfr),
        srb: 1.05,
        migration: Array2::from_shape_fn((2, grid.len()), |(_, i)| migrants[i]),
        e0: [f64::NAN; 2],
        tfr: 0.0,
    };
    let (end, flows) = project_step(&base, &rates).unwrap();

    // Births by age of mother: 5 · asfr · (women at start + half the migrants + women at end) / 2.
    let start_f = &pop + &(&migrants * 0.5);
    for (i, r) in rows.iter().enumerate() {
        let by_age = 5.0 * r.asfr * 0.5 * (start_f[i] + end.counts()[[1, i]]);
        assert_eq!(
            by_age.round(),
            r.births,
            "births to women aged {}",
            grid.label(i)
        );
    }
    let total_births: f64 = rows.iter().map(|r| r.births).sum();
    assert!((flows.births.iter().sum::<f64>() - total_births).abs() < 1.0);

    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            end.counts()[[1, i]].round(),
            r.end_female,
            "females {}",
            grid.label(i)
        );
        assert_eq!(
            end.counts()[[0, i]].round(),
            r.end_male,
            "males {}",
            grid.label(i)
        );
    }
    // Conservation: change = births − deaths + net migration.
    let change = end.total() - base.total();
    let balance = flows.births.iter().sum::<f64>() - flows.deaths.iter().sum::<f64>()
        + flows.net_migration.iter().sum::<f64>();
    assert!((change - balance).abs() < 1e-6 * base.total());
    assert!((flows.net_migration.iter().sum::<f64>() - 2.0 * migrants.sum()).abs() < 1e-6);
}
