//! Regions inside a parent (a city's districts, a province's cities): each
//! region is projected with its own base and assumptions, migrants move
//! between regions by internal flows, and the parent is the sum of its
//! regions, its counts summed, never averaged.
//!
//! An internal flow moves persons from one region to another in every
//! step: a number a year, or a rate (a fraction of the origin's population
//! a year), spread over sex and age by fixed shares (a Rogers-Castro
//! schedule). Internal migrants move at the start of each step (and then
//! survive and bear children where they arrive). What leaves the origin
//! arrives in the destination, so internal migration sums to zero in every
//! step. A flow never takes more
//! than [`MAX_FLOW_SHARE`] of an origin group over a step: the excess is
//! not moved and is reported ([`RegionalProjection::capped`]).

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::path::Schedule;
use crate::population::{Population, Sex};
use crate::projection::{project_step, Assumptions, Projection, StepFlows};

/// The most of an origin's sex-age group a flow moves over one step.
pub const MAX_FLOW_SHARE: f64 = 0.5;

/// One region: a name, a base and its assumptions (on the parent's grid).
#[derive(Debug, Clone)]
pub struct Region {
    /// Name, as `--region` takes it.
    pub name: String,
    /// Base population.
    pub base: Population,
    /// Fertility, mortality and migration from outside the parent.
    pub assumptions: Assumptions,
}

/// A region of a model: its base, and how its assumptions depart from
/// those of the scenario being run (defaults: none).
#[derive(Debug, Clone)]
pub struct RegionSpec {
    /// Name, as `--region` takes it.
    pub name: String,
    /// The name in Chinese, when the model gives one.
    pub name_zh: Option<String>,
    /// The name in English reports, when the model gives one.
    pub label: Option<String>,
    /// Base population (on the model's grid, in its base year).
    pub base: Population,
    /// The region's TFR over the scenario's (1: the same).
    pub tfr_ratio: f64,
    /// Years added to the scenario's life expectancy, both sexes (0: the
    /// same; Brass mortality only).
    pub e0_difference: f64,
    /// The region's share of the scenario's net migration from outside the
    /// parent (by default its share of the parent's base).
    pub migration_share: f64,
    /// The region's own plan: services applied to its population alone
    /// (`[[service]]` with `region = "<name>"`).
    pub services: Vec<crate::standards::Service>,
}

impl RegionSpec {
    /// The region under the scenario assumptions `parent`.
    pub fn region(&self, parent: &Assumptions) -> Result<Region> {
        let at = |e: Error| e.context(format!("region {}", self.name));
        let mut a = parent.clone();
        if self.tfr_ratio != 1.0 {
            a = a
                .with_fertility(a.fertility().with_tfr_ratio(self.tfr_ratio).map_err(at)?)
                .map_err(at)?;
        }
        if self.e0_difference != 0.0 {
            a = a
                .with_mortality(
                    a.mortality()
                        .with_e0_gain(self.e0_difference, 0.0, 0.0)
                        .map_err(at)?,
                )
                .map_err(at)?;
        }
        if self.migration_share != 1.0 {
            a = a
                .with_migration(a.migration().scaled(self.migration_share).map_err(at)?)
                .map_err(at)?;
        }
        Ok(Region {
            name: self.name.clone(),
            base: self.base.clone(),
            assumptions: a,
        })
    }
}

/// Projects the regions `specs` under one scenario's `assumptions`, moving
/// `flows` between them.
pub fn project_specs(
    specs: &[RegionSpec],
    flows: &[InternalFlow],
    assumptions: &Assumptions,
    base_year: i32,
    end_year: i32,
) -> Result<RegionalProjection> {
    let regions = specs
        .iter()
        .map(|r| r.region(assumptions))
        .collect::<Result<Vec<_>>>()?;
    project_regions(&regions, flows, base_year, end_year)
}

/// How many migrants a flow moves.
#[derive(Debug, Clone)]
pub enum FlowSize {
    /// Persons a year.
    PerYear(Schedule),
    /// A fraction of the origin's population a year.
    Rate(Schedule),
}

/// Migrants moving from one region to another.
#[derive(Debug, Clone)]
pub struct InternalFlow {
    /// Index of the origin region.
    pub from: usize,
    /// Index of the destination region.
    pub to: usize,
    /// How many move.
    pub size: FlowSize,
    /// Shares by sex (rows male, female) and group, summing to 1.
    pub shares: Array2<f64>,
}

impl InternalFlow {
    /// Checks that the flow joins two different regions of `regions` and
    /// that its shares are by sex and group of `grid`.
    pub fn check(&self, regions: usize, grid: crate::age_grid::AgeGrid) -> Result<()> {
        if self.from >= regions || self.to >= regions || self.from == self.to {
            return Err(Error::invalid(
                "internal flow",
                format!("from region {} to region {}", self.from, self.to),
                "two different regions of the model",
            ));
        }
        if self.shares.dim() != (2, grid.len()) {
            return Err(Error::invalid(
                "internal flow shares",
                format!("{:?}", self.shares.dim()),
                format!("sex x group on {grid}"),
            ));
        }
        Ok(())
    }
}

/// Persons a flow could not move in one step (its origin had too few).
#[derive(Debug, Clone, PartialEq)]
pub struct CappedFlow {
    /// Index of the flow.
    pub flow: usize,
    /// First year of the step.
    pub year: i32,
    /// Persons not moved.
    pub persons: f64,
}

/// The regions' projections and the parent's.
#[derive(Debug, Clone)]
pub struct RegionalProjection {
    /// Every region's projection, in the order given.
    pub regions: Vec<Projection>,
    /// The parent: the sum of the regions in every year.
    pub parent: Projection,
    /// `moved[k][f]`: persons flow `f` moved in step `k`.
    pub moved: Vec<Vec<f64>>,
    /// Steps in which a flow was capped.
    pub capped: Vec<CappedFlow>,
}

/// The migrants of `flow` over the step from `year` (sex x group), capped
/// at [`MAX_FLOW_SHARE`] of the origin's groups; with what was capped.
fn flow_counts(flow: &InternalFlow, origin: &Population, year: i32) -> (Array2<f64>, f64) {
    let n = f64::from(origin.grid().width());
    let start = f64::from(year);
    let total = match &flow.size {
        FlowSize::PerYear(s) => s.for_step(start, n) * n,
        FlowSize::Rate(r) => r.for_step(start, n) * n * origin.total(),
    };
    let mut counts = &flow.shares * total.max(0.0);
    let mut capped = 0.0;
    for (c, &p) in counts.iter_mut().zip(origin.counts().iter()) {
        let most = MAX_FLOW_SHARE * p;
        if *c > most {
            capped += *c - most;
            *c = most;
        }
    }
    (counts, capped)
}

/// The parent's flows of a step: counts summed; its TFR the regions' age
/// rates weighted by their women of each age (so the parent's TFR is what
/// its summed births and women give), its e0 the regions' weighted by
/// their persons at the start of the step.
fn parent_flows(
    flows: &[StepFlows],
    rates: &[crate::projection::StepRates],
    starts: &[&Population],
    ends: &[Population],
) -> StepFlows {
    let mut out = StepFlows {
        births: [0.0; 2],
        deaths: [0.0; 2],
        net_migration: [0.0; 2],
        migration_clamped: 0.0,
        e0: [0.0; 2],
        tfr: 0.0,
    };
    for f in flows {
        for s in 0..2 {
            out.births[s] += f.births[s];
            out.deaths[s] += f.deaths[s];
            out.net_migration[s] += f.net_migration[s];
        }
        out.migration_clamped += f.migration_clamped;
    }
    let g = rates[0].asfr.len();
    let n = f64::from(starts[0].grid().width());
    let fem = Sex::Female.index();
    for i in 0..g {
        let (mut births, mut women) = (0.0, 0.0);
        for (r, rate) in rates.iter().enumerate() {
            let w = 0.5 * (starts[r].counts()[[fem, i]] + ends[r].counts()[[fem, i]]);
            births += rate.asfr[i] * w;
            women += w;
        }
        if women > 0.0 {
            out.tfr += births / women * n;
        }
    }
    for s in Sex::BOTH {
        let (mut sum, mut weight) = (0.0, 0.0);
        for (r, f) in flows.iter().enumerate() {
            let w = starts[r].of(s).sum();
            sum += f.e0[s.index()] * w;
            weight += w;
        }
        out.e0[s.index()] = if weight > 0.0 { sum / weight } else { f64::NAN };
    }
    out
}

/// Sums populations on one grid.
fn sum_of(pops: &[&Population]) -> Result<Population> {
    let mut counts = pops[0].counts().clone();
    for p in &pops[1..] {
        counts += p.counts();
    }
    Population::new(pops[0].grid(), counts)
}

/// Projects `regions` from `base_year` to `end_year`, moving `flows`
/// between them in every step.
pub fn project_regions(
    regions: &[Region],
    flows: &[InternalFlow],
    base_year: i32,
    end_year: i32,
) -> Result<RegionalProjection> {
    let Some(first) = regions.first() else {
        return Err(Error::invalid("regions", "none", "at least one region"));
    };
    let grid = first.base.grid();
    for r in regions {
        if r.base.grid() != grid || r.assumptions.grid() != grid {
            return Err(Error::invalid(
                format!("region {}", r.name),
                format!("a base on {}", r.base.grid()),
                format!("every region on one grid ({grid})"),
            ));
        }
    }
    for f in flows {
        f.check(regions.len(), grid)?;
    }
    let n = grid.width() as i32;
    if end_year < base_year || (end_year - base_year) % n != 0 {
        return Err(Error::invalid(
            "projection horizon",
            format!("{base_year} to {end_year}"),
            format!("an end year at or after the base year, a whole number of {n}-year steps"),
        ));
    }
    let mut projections: Vec<Projection> = regions
        .iter()
        .map(|r| Projection {
            years: vec![base_year],
            populations: vec![r.base.clone()],
            flows: Vec::new(),
        })
        .collect();
    let bases: Vec<&Population> = regions.iter().map(|r| &r.base).collect();
    let mut parent = Projection {
        years: vec![base_year],
        populations: vec![sum_of(&bases)?],
        flows: Vec::new(),
    };
    let (mut moved, mut capped) = (Vec::new(), Vec::new());
    let mut year = base_year;
    while year < end_year {
        let rates = regions
            .iter()
            .map(|r| r.assumptions.step_rates(year))
            .collect::<Result<Vec<_>>>()?;
        // Internal migrants move at the start of the step, each flow taking
        // from what the flows before it left in its origin.
        let mut moved_in: Vec<Array2<f64>> = projections
            .iter()
            .map(|p| {
                p.populations
                    .last()
                    .unwrap_or(&regions[0].base)
                    .counts()
                    .clone()
            })
            .collect();
        let mut step_moved = Vec::with_capacity(flows.len());
        for (k, f) in flows.iter().enumerate() {
            let origin = Population::new(grid, moved_in[f.from].clone())?;
            let (counts, not_moved) = flow_counts(f, &origin, year);
            moved_in[f.from] -= &counts;
            moved_in[f.to] += &counts;
            step_moved.push(counts.sum());
            if not_moved > 0.0 {
                capped.push(CappedFlow {
                    flow: k,
                    year,
                    persons: not_moved,
                });
            }
        }
        let moved_starts = moved_in
            .into_iter()
            .map(|c| Population::new(grid, c.mapv(|v| v.max(0.0))))
            .collect::<Result<Vec<_>>>()?;
        let starts: Vec<&Population> = moved_starts.iter().collect();
        let mut ends = Vec::with_capacity(regions.len());
        let mut step_flows = Vec::with_capacity(regions.len());
        for (r, start) in starts.iter().enumerate() {
            let (next, mut f) = project_step(start, &rates[r])
                .map_err(|e| e.context(format!("region {}", regions[r].name)))?;
            // Net migration counts the internal movers too.
            let before = projections[r]
                .populations
                .last()
                .unwrap_or(&regions[0].base);
            for s in Sex::BOTH {
                f.net_migration[s.index()] += start.of(s).sum() - before.of(s).sum();
            }
            ends.push(next);
            step_flows.push(f);
        }
        let parent_step = parent_flows(&step_flows, &rates, &starts, &ends);
        let end_refs: Vec<&Population> = ends.iter().collect();
        let total = sum_of(&end_refs)?;
        year += n;
        for ((p, end), f) in projections.iter_mut().zip(ends).zip(step_flows) {
            p.years.push(year);
            p.populations.push(end);
            p.flows.push(f);
        }
        parent.years.push(year);
        parent.populations.push(total);
        parent.flows.push(parent_step);
        moved.push(step_moved);
    }
    Ok(RegionalProjection {
        regions: projections,
        parent,
        moved,
        capped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::age_grid::AgeGrid;
    use crate::fertility::Fertility;
    use crate::migration::{Migration, RogersCastro};
    use crate::path::{PeriodSeries, YearPath};
    use ndarray::Array1;

    fn grid() -> AgeGrid {
        AgeGrid::new(5, 100).unwrap()
    }

    /// A flat population of `per_group` in every group.
    fn flat(per_group: f64) -> Population {
        let g = grid();
        Population::new(g, Array2::from_elem((2, g.len()), per_group)).unwrap()
    }

    /// Mortality at `level` (1: the reference) and a constant `tfr`.
    fn assumptions(tfr: f64, level: f64, migration: Migration) -> Assumptions {
        let g = grid();
        let ages = crate::life_table::ages_for_grid(g);
        let mx = |k: f64| -> Array1<f64> {
            ages.iter()
                .map(|&a| (0.0005 + 0.00004 * (0.085 * f64::from(a)).exp()) * k)
                .collect()
        };
        let mortality =
            crate::mortality::fixed_periods(ages.clone(), mx(1.2 * level), mx(0.8 * level))
                .unwrap();
        let mut pattern = Array1::<f64>::zeros(g.len());
        for group in 3..10 {
            pattern[group] = 1.0;
        }
        pattern /= pattern.sum();
        let fertility = Fertility::new(
            Schedule::Path(YearPath::constant(tfr)),
            PeriodSeries::new("pattern", vec![(1900.0, 2200.0, pattern)], false).unwrap(),
            Schedule::Path(YearPath::constant(1.06)),
        )
        .unwrap();
        Assumptions::new(g, mortality, fertility, migration).unwrap()
    }

    fn shares() -> Array2<f64> {
        let by_age = RogersCastro::default().shares_on(grid()).unwrap();
        let mut s = Array2::zeros((2, grid().len()));
        s.row_mut(0).assign(&(&by_age * 0.5));
        s.row_mut(1).assign(&(&by_age * 0.5));
        s
    }

    #[test]
    fn the_parent_is_the_sum_and_internal_migration_sums_to_zero() {
        let regions = vec![
            Region {
                name: "a".into(),
                base: flat(1000.0),
                assumptions: assumptions(1.1, 0.9, Migration::None),
            },
            Region {
                name: "b".into(),
                base: flat(3000.0),
                assumptions: assumptions(1.6, 1.1, Migration::None),
            },
        ];
        let flows = vec![InternalFlow {
            from: 1,
            to: 0,
            size: FlowSize::PerYear(Schedule::Path(YearPath::constant(500.0))),
            shares: shares(),
        }];
        let p = project_regions(&regions, &flows, 2020, 2050).unwrap();
        for (k, total) in p.parent.populations.iter().enumerate() {
            let sum = p.regions[0].populations[k].counts() + p.regions[1].populations[k].counts();
            for (a, b) in total.counts().iter().zip(sum.iter()) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0));
            }
        }
        // 500 a year over 5-year steps; the parent's net migration is zero.
        for (k, f) in p.parent.flows.iter().enumerate() {
            assert!((p.moved[k][0] - 2500.0).abs() < 1e-6, "{:?}", p.moved[k]);
            let net = f.net_migration[0] + f.net_migration[1];
            assert!(net.abs() < 1e-6, "step {k}: {net}");
            // Conservation in every region.
            for r in &p.regions {
                let (a, b) = (&r.populations[k], &r.populations[k + 1]);
                let fl = &r.flows[k];
                let change = b.total() - a.total();
                let balance = fl.births[0] + fl.births[1] - fl.deaths[0] - fl.deaths[1]
                    + fl.net_migration[0]
                    + fl.net_migration[1];
                assert!((change - balance).abs() < 1e-6 * a.total());
            }
        }
        assert!(p.capped.is_empty());
    }

    #[test]
    fn identical_halves_reproduce_the_whole() {
        let whole = flat(2000.0);
        let a = assumptions(1.3, 1.0, Migration::None);
        let single = crate::projection::project(&whole, 2020, 2070, &a).unwrap();
        let half = Region {
            name: "h".into(),
            base: flat(1000.0),
            assumptions: a.clone(),
        };
        let two = vec![
            half.clone(),
            Region {
                name: "i".into(),
                ..half
            },
        ];
        let p = project_regions(&two, &[], 2020, 2070).unwrap();
        for (x, y) in p.parent.populations.iter().zip(&single.populations) {
            for (a, b) in x.counts().iter().zip(y.counts().iter()) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} {b}");
            }
        }
        for (x, y) in p.parent.flows.iter().zip(&single.flows) {
            assert!((x.tfr - y.tfr).abs() < 1e-12 && (x.e0[1] - y.e0[1]).abs() < 1e-9);
        }
    }

    #[test]
    fn a_flow_that_would_empty_its_origin_is_capped_and_reported() {
        let regions = vec![
            Region {
                name: "small".into(),
                base: flat(10.0),
                assumptions: assumptions(1.5, 1.0, Migration::None),
            },
            Region {
                name: "big".into(),
                base: flat(1000.0),
                assumptions: assumptions(1.5, 1.0, Migration::None),
            },
        ];
        let flows = vec![InternalFlow {
            from: 0,
            to: 1,
            size: FlowSize::PerYear(Schedule::Path(YearPath::constant(10_000.0))),
            shares: shares(),
        }];
        let p = project_regions(&regions, &flows, 2020, 2030).unwrap();
        assert!(!p.capped.is_empty());
        for pop in &p.regions[0].populations {
            assert!(pop.counts().iter().all(|&c| c >= 0.0));
        }
        // What was capped was not moved: still zero-sum.
        for f in &p.parent.flows {
            assert!((f.net_migration[0] + f.net_migration[1]).abs() < 1e-6);
        }
    }
}
