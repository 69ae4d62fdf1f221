//! The workload of `../shared/peers/numpy_ensemble.py`, run by carecast's
//! ensemble engine: the same synthetic inputs (population, mortality,
//! fertility pattern, migration schedule, TFR path 1.1 -> 0.85 with AR(1)
//! noise φ = 0.8, σ = 0.05), single years 0-100+, two sexes, annual steps.
//! carecast computes all 17 indicators (the peer 5) and their quantiles.
//!
//! Usage: cargo run --release --example peer_ensemble -- --trajectories N --years Y [--seed S] [--threads T]
//! Prints one line: "cohort-years/s: X  wall-s: T", like the peer.

use carecast::life_table::single_ages;
use carecast::mortality::fixed_periods;
use carecast::path::{PeriodSeries, Schedule, YearPath};
use carecast::{
    AgeGrid, Assumptions, EnsembleRequest, EnsembleSpec, Fertility, Migration, Population,
    Stochastic, TfrNoise,
};
use ndarray::{Array1, Array2};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--trajectories", 10_000) as usize;
    let years = arg(&args, "--years", 30) as i32;
    let seed = arg(&args, "--seed", 42);
    let threads = arg(&args, "--threads", 0) as usize;

    let grid = AgeGrid::single_years();
    let a = grid.len();
    let ages: Vec<f64> = (0..a).map(|i| i as f64).collect();
    let base: Vec<f64> = ages
        .iter()
        .map(|x| (2.0e4 * (-((x - 50.0) / 40.0).powi(2)).exp()).max(1e3))
        .collect();
    let counts = Array2::from_shape_fn(
        (2, a),
        |(s, i)| if s == 0 { base[i] * 1.02 } else { base[i] },
    );
    let pop = Population::new(grid, counts)?;
    let mx: Array1<f64> = ages.iter().map(|x| 1e-4 * (0.085 * x).exp()).collect();
    let mortality = fixed_periods(single_ages(100), &mx * 1.3, mx.clone())?;
    let mut pattern = Array1::<f64>::zeros(a);
    for x in 15..50 {
        pattern[x] = (-((x as f64 - 29.0) / 5.5).powi(2)).exp();
    }
    pattern /= pattern.sum();
    let start = 2020.0;
    let tfr = YearPath::new(
        "tfr",
        vec![(start, 1.1), (start + f64::from(years - 1), 0.85)],
    )?;
    let fertility = Fertility::new(
        Schedule::Path(tfr),
        PeriodSeries::new("pattern", vec![(0.0, 1.0, pattern)], false)?,
        Schedule::Path(YearPath::constant(1.06)),
    )?;
    let mig = Array2::from_shape_fn((2, a), |(_, i)| {
        50.0 * (-((ages[i] - 25.0) / 8.0).powi(2)).exp()
    });
    let assumptions = Assumptions::new(grid, mortality, fertility, Migration::Counts(mig))?;
    let spec = EnsembleSpec {
        trajectories: n,
        seed,
        stochastic: Stochastic {
            tfr: Some(TfrNoise {
                persistence: 0.8,
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
        keep: 0,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let t0 = std::time::Instant::now();
    let summary = pool.install(|| {
        EnsembleRequest::new(&pop, 2020, 2020 + years, &assumptions, spec, Vec::new())?.run(&|_| {})
    })?;
    let wall = t0.elapsed().as_secs_f64();
    let share = summary
        .get(2020 + years, carecast::Indicator::Share60Plus)
        .ok_or("no summary")?;
    assert!(share.p50.is_finite());
    let cohort_years = (n as f64) * f64::from(years) * 2.0 * a as f64;
    println!(
        "cohort-years/s: {:.4e}  wall-s: {wall:.3}",
        cohort_years / wall
    );
    Ok(())
}
