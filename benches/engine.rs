//! Deterministic engine benchmarks. Throughput is in cohort-years
//! (age groups x sexes x steps), so criterion prints our metric.
//!
//! * `single_year_80y`: China (UN WPP 2019 inputs) in single years and annual
//!   steps, 101 ages x 2 sexes x 80 years, with rates built each step
//!   (`full`) and with the pure step alone on precomputed rates (`step_only`);
//! * `wpp_5y`: China in 5-year groups and steps, 2020-2100, as the UN does;
//! * `regions/R`: China in single years 2020-2050 split into R equal regions
//!   (R = 1, 4, 16) with a ring of internal flows (each region sends 0.2%
//!   of its residents a year to the next), the parent summed every step:
//!   the cost should grow about linearly with R.
//!
//! Needs ../shared/data/wpp2019 beside the checkout.

use std::path::PathBuf;

use carecast::io::wpp::read_country;
use carecast::{project, project_step, AgeGrid};
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn wpp_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/wpp2019")
}

fn engine(c: &mut Criterion) {
    let inputs = read_country(&wpp_dir(), 156, 2020).expect("WPP 2019 data in ../shared");
    let mut group = c.benchmark_group("engine");
    for grid in [AgeGrid::single_years(), AgeGrid::five_year()] {
        let base = inputs.base(grid).unwrap();
        let assumptions = inputs.assumptions(grid).unwrap();
        let steps = 80 / grid.width() as usize;
        let cohort_years = (grid.len() * 2 * steps) as u64;
        group.throughput(Throughput::Elements(cohort_years));
        let label = if grid.width() == 1 {
            "single_year_80y"
        } else {
            "wpp_5y"
        };
        group.bench_with_input(BenchmarkId::new("full", label), &grid, |b, _| {
            b.iter(|| project(&base, 2020, 2100, &assumptions).unwrap())
        });
        let rates: Vec<_> = (0..steps)
            .map(|k| {
                assumptions
                    .step_rates(2020 + (k as i32) * grid.width() as i32)
                    .unwrap()
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("step_only", label), &grid, |b, _| {
            b.iter(|| {
                let mut pop = base.clone();
                for r in &rates {
                    pop = project_step(&pop, r).unwrap().0;
                }
                pop
            })
        });
    }
    group.finish();
}

fn regions(c: &mut Criterion) {
    use carecast::regions::{project_regions, Region};
    let mut group = c.benchmark_group("regions");
    for count in [1usize, 4, 16] {
        let (_, assumptions, part, flows) = common::china_in_parts(count);
        let grid = part.grid();
        let regions: Vec<Region> = (0..count)
            .map(|i| Region {
                name: format!("r{i}"),
                base: part.clone(),
                assumptions: assumptions.clone(),
            })
            .collect();
        group.throughput(Throughput::Elements((count * grid.len() * 2 * 30) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| project_regions(&regions, &flows, 2020, 2050).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, engine, regions);
criterion_main!(benches);
