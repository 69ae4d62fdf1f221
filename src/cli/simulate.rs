//! `carecast simulate`: a Monte Carlo ensemble of one or all scenarios.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::{out, SelectedModel, SimulateArgs};
use crate::ensemble::{
    simulate, EnsembleSpec, EnsembleSummary, MigrationNoise, Stochastic, TfrNoise,
};
use crate::io::export::quantiles_table;
use crate::io::Format;
use crate::Indicator;

pub fn run(args: &SimulateArgs) -> Result<()> {
    let format: Format = args.output.format.into();
    let sel = SelectedModel::load(&args.model, args.scenario.as_deref())?;
    let model = &sel.model;
    let stochastic = Stochastic {
        // Always present so that its parameters are checked; zero volatility
        // gives a factor of exactly 1.
        tfr: Some(TfrNoise {
            persistence: args.tfr_persistence,
            volatility: args.tfr_volatility,
        }),
        migration: (args.migration_sd != 0.0).then_some(MigrationNoise {
            sd: args.migration_sd,
        }),
    };
    let spec = EnsembleSpec {
        trajectories: args.trajectories,
        seed: args.seed,
        stochastic,
    };
    spec.stochastic.check().context("stochastic assumptions")?;
    if args.trajectories == 0 {
        anyhow::bail!("--trajectories: found 0, expected at least 1");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let mut results: Vec<(String, EnsembleSummary)> = Vec::new();
    let start = std::time::Instant::now();
    for s in sel.selected() {
        let bar = if args.output.quiet {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(args.trajectories as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{bar:40}] {pos}/{len} trajectories, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(s.name.clone());
            bar
        };
        let summary = pool.install(|| {
            simulate(
                &model.base,
                model.base_year,
                model.end_year,
                &s.assumptions,
                &spec,
                &|done| bar.set_position(done as u64),
            )
        })?;
        bar.finish_and_clear();
        results.push((s.name.clone(), summary));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let items: Vec<(Option<&str>, &EnsembleSummary)> = results
        .iter()
        .map(|(n, s)| (sel.several.then_some(n.as_str()), s))
        .collect();
    let table = quantiles_table(&items, format)?;
    let wrote = args.output.write(&sel.stem, vec![("quantiles", table)])?;
    if !args.output.quiet {
        let mut text = format!(
            "{}: {} trajectories per scenario, seed {}, in {:.2} s\n",
            model.name, args.trajectories, args.seed, elapsed
        );
        for (name, summary) in &results {
            text.push_str(&format!("scenario {name}\n"));
            for year in [2025, 2030, 2035, model.end_year] {
                if !summary.years.contains(&year) {
                    continue;
                }
                let band = |ind: Indicator, pct: bool| {
                    summary.get(year, ind).map(|s| {
                        if pct {
                            format!(
                                "{:.2}% (90%: {:.2}-{:.2}%)",
                                100.0 * s.p50,
                                100.0 * s.p05,
                                100.0 * s.p95
                            )
                        } else {
                            format!("{:.0} (90%: {:.0}-{:.0})", s.p50, s.p05, s.p95)
                        }
                    })
                };
                text.push_str(&format!(
                    "  {year}: 60+ share {}; births {}; aged 0-2 {}\n",
                    band(Indicator::Share60Plus, true).unwrap_or_default(),
                    band(Indicator::Births, false).unwrap_or_default(),
                    band(Indicator::Pop0To2, false).unwrap_or_default(),
                ));
            }
        }
        text.push_str(&wrote);
        out(&text);
    }
    Ok(())
}
