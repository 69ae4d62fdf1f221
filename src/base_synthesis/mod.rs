//! Base synthesis: a reference age-sex structure made into a region's base
//! population from the few figures the region publishes (total population,
//! persons 60+, children 0-2, ...) and, where known, its fertility history.
//!
//! 1. [`raking`]: the reference is raked to the known totals with a factor
//!    that is smooth in age, so no target leaves a step in the pyramid.
//! 2. [`back_projection`]: the ages born during the fertility history are
//!    rebuilt as the survivors of the births that history implies on the
//!    base's women (reverse-survived), and the whole is raked again. The two
//!    are repeated to a fixed point: the result meets every target exactly
//!    and its young ages are those its own women's fertility history gives
//!    (up to the smooth raking factor where a target covers them).
//! 3. [`diagnostics`]: births and age-step checks, with thresholds, for
//!    `synthesize` and `validate`.

pub mod back_projection;
pub mod diagnostics;
pub mod raking;

pub use back_projection::{rebuild_young_ages, BackProjection};
pub use diagnostics::{BaseDiagnostics, BirthsCheck};
pub use raking::{rake, RakeTarget, DEFAULT_SMOOTH_YEARS, RAKE_TOLERANCE};

use crate::error::{Error, Result};
use crate::population::Population;
use crate::projection::StepRates;

/// A synthesized base.
#[derive(Debug, Clone)]
pub struct Synthesis {
    /// The base population.
    pub population: Population,
    /// Births by step of the fertility history (empty without one): step's
    /// first year, (male, female), on the final base's women.
    pub history_births: Vec<(i32, [f64; 2])>,
}

/// Largest number of rake-and-rebuild rounds.
const MAX_ROUNDS: usize = 200;

/// Rakes `reference` to `targets` (smooth over `smooth_years`); with a
/// fertility history (`history[0]`: the rates of the step whose births are
/// the base's group 0, starting in `newest_step`; `history[k]`: `k` steps
/// earlier) rebuilds the ages born in it and rakes again, to a fixed point.
pub fn synthesize(
    reference: &Population,
    targets: &[RakeTarget],
    smooth_years: u32,
    history: &[StepRates],
    newest_step: i32,
) -> Result<Synthesis> {
    let raked = rake(reference, targets, smooth_years)?;
    if history.is_empty() {
        return Ok(Synthesis {
            population: raked,
            history_births: vec![],
        });
    }
    let young = history.len();
    let mut current = raked.clone();
    for _ in 0..MAX_ROUNDS {
        let rebuilt = rebuild_young_ages(&current, history, newest_step)?;
        // The raking starts from the first raked base with the rebuilt young
        // ages, so its factor is found afresh each round (never compounded).
        let mut spliced = raked.counts().clone();
        for s in 0..2 {
            for i in 0..young {
                spliced[[s, i]] = rebuilt.population.counts()[[s, i]];
            }
        }
        let next = rake(
            &Population::new(raked.grid(), spliced)?,
            targets,
            smooth_years,
        )?;
        let change = next
            .counts()
            .iter()
            .zip(current.counts())
            .map(|(a, b)| {
                if *b > 0.0 {
                    (a / b - 1.0).abs()
                } else {
                    a.abs()
                }
            })
            .fold(0.0_f64, f64::max);
        current = next;
        if change < 1e-11 {
            let births = rebuild_young_ages(&current, history, newest_step)?.births;
            return Ok(Synthesis {
                population: current,
                history_births: births,
            });
        }
    }
    Err(Error::NoConvergence {
        what: "base synthesis (raking with rebuilt young ages)".into(),
        detail: format!("no fixed point after {MAX_ROUNDS} rounds"),
    })
}
