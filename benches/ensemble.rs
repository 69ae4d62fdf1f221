//! Ensemble and sweep benchmarks on the default model (Jiaxing, single
//! years 0-100+, two sexes, 2021-2050). Throughput is in cohort-years
//! (trajectories x ages x sexes x years), the figure the numpy peer prints.
//!
//! * `ensemble/tfr_noise`: TFR noise only (the peer's kind of work, the
//!   fused kernel), with every service's demand and gap risk;
//! * `ensemble/all_noise`: TFR, mortality and migration noise (the general
//!   clamping step where migration can turn negative);
//! * `sweep/4_points`: four points of a TFR x e0-gain grid, 512 trajectories
//!   each, through the library's `sweep::run_point` as `carecast sweep`
//!   runs them (setup, demand forms, ensemble, table rows);
//! * `regional_ensemble/R`: China (WPP 2019, single years, 2020-2050)
//!   split into R = 1, 4 and 16 equal regions with a ring of internal flows
//!   at 0.2% a year, 10,000 trajectories with TFR and mortality noise;
//!   cost should grow about linearly with R (`regional_ensemble/none`:
//!   the same ensemble without regions).

use carecast::ensemble::{MigrationNoise, MortalityNoise, TfrNoise};
use carecast::io::model_file;
use carecast::sweep::{run_point, Axis, Grid, Parameter, PointSettings, Value};
use carecast::{EnsembleRequest, EnsembleSpec, Stochastic};
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;

fn benches(c: &mut Criterion) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let model = model_file::load(&root.join("models/jiaxing.toml")).expect("default model");
    let plan = model.scenario("plan").unwrap();
    let grid = model.base.grid();
    let steps = (model.end_year - model.base_year) as u64;
    let cells = |n: usize| n as u64 * grid.len() as u64 * 2 * steps;

    let mut group = c.benchmark_group("ensemble");
    group.sample_size(10);
    let tfr_only = Stochastic {
        tfr: Some(TfrNoise::default()),
        ..Stochastic::default()
    };
    let all = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        migration: Some(MigrationNoise { sd: 1000.0 }),
        certain_need: false,
        certain_supply: false,
        certain_base: false,
        own_noise: false,
        certain_fertility: false,
        certain_mortality: false,
    };
    for (name, stochastic) in [("tfr_noise", tfr_only), ("all_noise", all)] {
        let n = 8192;
        group.throughput(Throughput::Elements(cells(n)));
        group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
            b.iter(|| {
                let spec = EnsembleSpec {
                    trajectories: n,
                    seed: 1,
                    stochastic,
                    keep: 0,
                };
                EnsembleRequest::for_model(&model, &plan.assumptions, &model.services, spec)
                    .unwrap()
                    .run(&|_| {})
                    .unwrap()
            })
        });
    }
    group.finish();

    let sweep = Grid::new(vec![
        Axis {
            parameter: Parameter::Tfr,
            values: vec![Value::Number(0.81), Value::Number(1.3)],
        },
        Axis {
            parameter: Parameter::E0Gain,
            values: vec![Value::Number(0.0), Value::Number(2.0)],
        },
    ])
    .unwrap();
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    let per_point = 512;
    let settings = PointSettings {
        scenario: Some("plan".into()),
        trajectories: per_point,
        seed: 7,
        years: None,
        stochastic: all,
        model_migration: false,
    };
    group.throughput(Throughput::Elements(cells(per_point) * sweep.len() as u64));
    group.bench_function("4_points", |b| {
        b.iter(|| {
            (0..sweep.len())
                .into_par_iter()
                .map(|i| run_point(&sweep, &settings, &model, i).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

fn regional(c: &mut Criterion) {
    use carecast::regions::RegionSpec;
    let stochastic = Stochastic {
        tfr: Some(TfrNoise::default()),
        mortality: Some(MortalityNoise::default()),
        ..Stochastic::default()
    };
    let n = 10_000;
    let run = |base: &carecast::Population,
               assumptions: &carecast::Assumptions,
               regions: &[RegionSpec],
               flows: &[carecast::regions::InternalFlow]| {
        let spec = EnsembleSpec {
            trajectories: n,
            seed: 1,
            stochastic,
            keep: 0,
        };
        EnsembleRequest::new(base, 2020, 2050, assumptions, spec, Vec::new())
            .unwrap()
            .with_regions(regions, flows)
            .unwrap()
            .run(&|_| {})
            .unwrap()
    };
    let mut group = c.benchmark_group("regional_ensemble");
    group.sample_size(10);
    // The same ensemble of one population, without regions: the yardstick.
    let (base, assumptions, _, _) = common::china_in_parts(1);
    let cells = |regions: usize| (n * regions * base.grid().len() * 2 * 30) as u64;
    group.throughput(Throughput::Elements(cells(1)));
    group.bench_function("none", |b| b.iter(|| run(&base, &assumptions, &[], &[])));
    for count in [1usize, 4, 16] {
        let (base, assumptions, part, flows) = common::china_in_parts(count);
        let specs: Vec<RegionSpec> = (0..count)
            .map(|i| RegionSpec {
                name: format!("r{i}"),
                name_zh: None,
                label: None,
                base: part.clone(),
                tfr_ratio: 1.0,
                e0_difference: 0.0,
                migration_share: 1.0 / count as f64,
                services: Vec::new(),
            })
            .collect();
        group.throughput(Throughput::Elements(cells(count)));
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| run(&base, &assumptions, &specs, &flows))
        });
    }
    group.finish();
}

criterion_group!(ensemble, benches, regional);
criterion_main!(ensemble);
