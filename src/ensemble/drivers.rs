//! Drivers of risk: how much of each gap's uncertainty each source causes.
//!
//! # Method: one source at a time
//!
//! The sources are the request's uncertain parts ([`Source`]): fertility,
//! mortality, migration, the base population, need (prevalence tables and
//! standards' intervals) and supply (delivery and attrition). For every
//! source the request draws, two more ensembles run with the same seed and
//! number of trajectories:
//!
//! * **alone**: that source uncertain, every other at its central value;
//! * **without**: every source uncertain but that one.
//!
//! For each demand with a supply and each year, the driver of a source is
//! its gap variance alone, `V_s = Var(demand − supply | only s)`, and its
//! **variance share** `V_s / Σ V_s'` over the sources. With independent
//! sources acting additively on the gap these are the first-order Sobol
//! indices (Saltelli et al. 2008, *Global Sensitivity Analysis: The
//! Primer*, ch. 1), and `Σ V_s` equals the full run's variance; the
//! difference between the two (reported as `gap_sd_all` beside each
//! `gap_sd_alone`) is the part due to interactions. P(shortfall) alone and
//! without each source show how far the risk itself moves: a source whose
//! removal drops P(shortfall) from 0.85 to 0.30 drives the risk even when
//! its variance share is modest, because the gap's median sits near zero.
//!
//! The runs share their random numbers with the full run (common random
//! numbers): supply and base draw from jumped copies of the block stream,
//! and a demographic source switched off keeps drawing at zero spread
//! (fertility, mortality and migration alike), so a trajectory of an alone
//! or without run differs from the full run's only in the sources switched
//! off. The shares then carry little Monte Carlo noise between sources.

use crate::error::Result;

use super::request::EnsembleRequest;
use super::summary::{EnsembleSummary, GapRisk};
use super::Stochastic;

/// An uncertainty source of an ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// TFR noise (calibrated or the own AR(1)).
    Fertility,
    /// Mortality noise (calibrated or the own random walk).
    Mortality,
    /// Noise on the net migration total.
    Migration,
    /// The base population's total and structure intervals.
    Base,
    /// Prevalence tables' and demands' own 90% intervals.
    Need,
    /// Delivery of planned additions and staff attrition.
    Supply,
}

impl Source {
    /// Every source, in output order.
    pub const ALL: [Source; 6] = [
        Source::Fertility,
        Source::Mortality,
        Source::Migration,
        Source::Base,
        Source::Need,
        Source::Supply,
    ];

    /// The name in tables (`risk_drivers.csv`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Fertility => "fertility",
            Source::Mortality => "mortality",
            Source::Migration => "migration",
            Source::Base => "base",
            Source::Need => "need",
            Source::Supply => "supply",
        }
    }

    /// `stochastic` with only this source uncertain (`alone = true`), or
    /// with every source but this one.
    pub fn switch(self, stochastic: Stochastic, alone: bool) -> Stochastic {
        let on = |s: Source| (s == self) == alone;
        let mut out = stochastic;
        out.certain_fertility = stochastic.certain_fertility || !on(Source::Fertility);
        out.certain_mortality = stochastic.certain_mortality || !on(Source::Mortality);
        // Off at zero spread, so its draws are still made.
        if !on(Source::Migration) {
            out.migration = stochastic
                .migration
                .map(|_| super::MigrationNoise { sd: 0.0 });
        }
        out.certain_base = stochastic.certain_base || !on(Source::Base);
        out.certain_need = stochastic.certain_need || !on(Source::Need);
        out.certain_supply = stochastic.certain_supply || !on(Source::Supply);
        out
    }
}

/// One source's part in one gap: a row of `risk_drivers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskDriver {
    /// Service id.
    pub service: String,
    /// Demand method.
    pub method: String,
    /// Year.
    pub year: i32,
    /// The source.
    pub source: Source,
    /// `V_s / Σ V_s'`: the source's share of the gap's variance (0 when no
    /// source moves the gap).
    pub variance_share: f64,
    /// Sd of the gap with only this source uncertain.
    pub gap_sd_alone: f64,
    /// Sd of the gap with every source uncertain.
    pub gap_sd_all: f64,
    /// P(shortfall) with only this source uncertain.
    pub p_shortfall_alone: f64,
    /// P(shortfall) with every source but this one.
    pub p_shortfall_without: f64,
    /// P(shortfall) with every source.
    pub p_shortfall_all: f64,
}

impl<'a> EnsembleRequest<'a> {
    /// The sources this request draws (in [`Source::ALL`] order).
    pub fn sources(&self) -> Vec<Source> {
        let st = &self.spec.stochastic;
        let calibrated = self.calibration.is_some();
        let present = |s: Source| match s {
            Source::Fertility => {
                !st.certain_fertility && (calibrated || st.tfr.is_some_and(|t| t.volatility > 0.0))
            }
            Source::Mortality => {
                !st.certain_mortality && (calibrated || st.mortality.is_some_and(|m| m.sd > 0.0))
            }
            Source::Migration => st.migration.is_some_and(|m| m.sd > 0.0),
            Source::Base => !st.certain_base && !self.base_uncertainty.is_certain(),
            Source::Need => {
                !st.certain_need
                    && self
                        .all_demands()
                        .any(|d| d.uncertainty.is_some() || d.table.is_some())
            }
            Source::Supply => {
                !st.certain_supply && self.all_demands().any(|d| d.supply_risk.is_some())
            }
        };
        Source::ALL.into_iter().filter(|&s| present(s)).collect()
    }

    /// The drivers of every gap risk of `full` (this request's own run):
    /// runs two ensembles per source (see the module); `progress(done)`
    /// counts trajectories over all of them, `2 · sources · n` in total.
    /// With regions, the parent's (see [`EnsembleRequest::area_risk_drivers`]).
    pub fn risk_drivers(
        &self,
        full: &EnsembleSummary,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<RiskDriver>> {
        Ok(self.area_risk_drivers(full, progress)?.swap_remove(0))
    }

    /// [`EnsembleRequest::risk_drivers`] of the parent, then of every
    /// region (`full.regions` in order), from the same runs.
    pub fn area_risk_drivers(
        &self,
        full: &EnsembleSummary,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Vec<RiskDriver>>> {
        let sources = self.sources();
        let n = self.spec.trajectories;
        let mut runs: Vec<(EnsembleSummary, EnsembleSummary)> = Vec::new();
        for (i, &source) in sources.iter().enumerate() {
            let run = |alone: bool| {
                let request = self.with_stochastic(source.switch(self.spec.stochastic, alone))?;
                let offset = (2 * i + usize::from(!alone)) * n;
                request.run(&|done| progress(offset + done))
            };
            runs.push((run(true)?, run(false)?));
        }
        let mut out = Vec::with_capacity(1 + full.regions.len());
        for a in 0..=full.regions.len() {
            let pick = |s| risks_of(s, a);
            let area_runs: Vec<(&[GapRisk], &[GapRisk])> =
                runs.iter().map(|(x, y)| (pick(x), pick(y))).collect();
            out.push(drivers_of(pick(full), &sources, &area_runs));
        }
        Ok(out)
    }
}

/// The gap risks of area `a` of a run (0: the parent, `1 + r`: region `r`).
fn risks_of(s: &EnsembleSummary, a: usize) -> &[GapRisk] {
    match a {
        0 => &s.risks,
        _ => &s.regions[a - 1].1.risks,
    }
}

/// The drivers of every risk of `full`, from each source's run alone and
/// without it (same demands and years: every run lists its risks in the
/// full run's order).
fn drivers_of(
    full: &[GapRisk],
    sources: &[Source],
    runs: &[(&[GapRisk], &[GapRisk])],
) -> Vec<RiskDriver> {
    let mut drivers = Vec::new();
    for (r, risk) in full.iter().enumerate() {
        let total: f64 = runs
            .iter()
            .map(|(alone, _)| alone[r].shortfall_sd.powi(2))
            .sum();
        for (source, (alone, without)) in sources.iter().zip(runs) {
            let (a, w) = (&alone[r], &without[r]);
            debug_assert!(
                (&a.service, &a.method, a.year) == (&risk.service, &risk.method, risk.year)
                    && (&w.service, &w.method, w.year) == (&risk.service, &risk.method, risk.year)
            );
            drivers.push(RiskDriver {
                service: risk.service.clone(),
                method: risk.method.clone(),
                year: risk.year,
                source: *source,
                variance_share: if total > 0.0 {
                    a.shortfall_sd.powi(2) / total
                } else {
                    0.0
                },
                gap_sd_alone: a.shortfall_sd,
                gap_sd_all: risk.shortfall_sd,
                p_shortfall_alone: a.p_shortfall,
                p_shortfall_without: w.p_shortfall,
                p_shortfall_all: risk.p_shortfall,
            });
        }
    }
    drivers
}

/// The driver with the largest variance share of `service`'s gap by
/// `method` in `year`; `None` when no source moves it.
pub fn top_driver<'a>(
    drivers: &'a [RiskDriver],
    service: &str,
    method: &str,
    year: i32,
) -> Option<&'a RiskDriver> {
    drivers
        .iter()
        .filter(|d| d.service == service && d.method == method && d.year == year)
        .filter(|d| d.variance_share > 0.0)
        .max_by(|a, b| a.variance_share.total_cmp(&b.variance_share))
}
