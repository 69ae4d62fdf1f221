//! A planning model: a region's base population and its scenarios, checked
//! and ready to project. Built from a TOML model file by
//! [`crate::io::model_file`]; the core never reads files.

use crate::error::{Error, Result};
use crate::gap::{demand, gaps, DemandValue, GapValue};
use crate::indicators::{indicators, Indicator, IndicatorValue};
use crate::population::Population;
use crate::projection::{project, Assumptions, Projection};
use crate::regions::{
    project_regions, project_specs, InternalFlow, Region, RegionSpec, RegionalProjection,
};
use crate::standards::Service;

/// One named set of assumptions.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name, as `--scenario` takes it.
    pub name: String,
    /// Label for tables and charts.
    pub label: String,
    /// The label in Chinese, when the model gives one.
    pub label_zh: Option<String>,
    /// Fertility, mortality and migration.
    pub assumptions: Assumptions,
}

/// One scenario of a model, projected, with its indicators, the demand for
/// every service and the gaps against the plan's supply: what `carecast
/// gap`, `validate` and `report` start from ([`Model::run`]).
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The scenario's name.
    pub name: String,
    /// The deterministic projection.
    pub projection: Projection,
    /// Every indicator of the projection.
    pub indicators: Vec<IndicatorValue>,
    /// Every demand method of every service, by year.
    pub demand: Vec<DemandValue>,
    /// Primary demand against planned supply, by service and year.
    pub gaps: Vec<GapValue>,
}

/// The key years of a five-year plan's horizon when a model names none
/// (`[projection] key_years`): the 14th plan's target year and the next two
/// plan ends.
pub const DEFAULT_KEY_YEARS: [i32; 3] = [2025, 2030, 2035];

/// A validated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The region's name.
    pub name: String,
    /// The name in Chinese, when the model gives one.
    pub name_zh: Option<String>,
    /// Statements the model file flags as assumptions (not from a source).
    pub flags: Vec<String>,
    /// The same flags in Chinese, one per flag (empty: none given).
    pub flags_zh: Vec<String>,
    /// Year of the base population.
    pub base_year: i32,
    /// Last year projected.
    pub end_year: i32,
    /// Years a plan is judged in (summaries, key figures), ascending, within
    /// the horizon: the model's `key_years` or [`DEFAULT_KEY_YEARS`].
    pub key_years: Vec<i32>,
    /// Base population by sex and age.
    pub base: Population,
    /// Every scenario, in the model file's order.
    pub scenarios: Vec<Scenario>,
    /// The scenario run when none is asked for.
    pub default_scenario: String,
    /// Services with their standards and planned supply.
    pub services: Vec<Service>,
    /// Figures the plan states, to be set against the projection.
    pub stated: Vec<StatedFigure>,
    /// How uncertain the base population is (ensembles draw it).
    pub base_uncertainty: BaseUncertainty,
    /// The model's migration noise: the default of ensembles that do not
    /// set their own (`[uncertainty] migration_sd`).
    pub migration_noise: Option<crate::ensemble::MigrationNoise>,
    /// Published TFR and e0 bounds whose relative spread the model's
    /// ensembles borrow (`[uncertainty] calibration`), with the table.
    pub calibration: Option<(String, crate::ensemble::Calibration)>,
    /// The regions the model's population is the sum of (`[[subregion]]`;
    /// empty: one region, the model itself). Their bases sum to `base`.
    pub regions: Vec<RegionSpec>,
    /// Migration between the regions (`[[flow]]`).
    pub flows: Vec<InternalFlow>,
}

/// The uncertainty of a base population: a factor on the whole (the
/// registry or census total) and factors on age bands (the synthesized
/// structure: a calibration target, the rebuilt young children), each a 90%
/// interval drawn once per trajectory (split log-normal, median 1). A
/// group's factor is the total's times that of every band it lies in (in
/// proportion to its overlap). Empty: the base is certain.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaseUncertainty {
    /// Factor on every count.
    pub total: Option<crate::standards::FactorInterval>,
    /// Factors on age bands, in order.
    pub bands: Vec<(crate::age_grid::AgeRange, crate::standards::FactorInterval)>,
}

impl BaseUncertainty {
    /// Whether nothing is drawn.
    pub fn is_certain(&self) -> bool {
        self.total.is_none() && self.bands.is_empty()
    }

    /// Checks every interval (`0 < low <= 1 <= high`).
    pub fn check(&self) -> Result<()> {
        if let Some(t) = &self.total {
            t.check().map_err(|e| e.context("base total_90"))?;
        }
        for (ages, f) in &self.bands {
            f.check()
                .map_err(|e| e.context(format!("base structure_90 ages {ages}")))?;
        }
        Ok(())
    }
}

/// A figure a plan (or a census) states for one indicator and year, e.g.
/// 27.58% aged 60+ in 2021 (a share as a fraction: 0.2758).
#[derive(Debug, Clone, PartialEq)]
pub struct StatedFigure {
    /// The indicator stated.
    pub indicator: Indicator,
    /// Year.
    pub year: i32,
    /// Value (shares as fractions).
    pub value: f64,
    /// Where the figure comes from, as the model file says.
    pub source: String,
}

impl StatedFigure {
    /// Checks the indicator's name and the value (shares in [0, 1]).
    pub fn new(indicator: &str, year: i32, value: f64, source: &str) -> Result<StatedFigure> {
        let found = Indicator::ALL
            .into_iter()
            .find(|i| i.name() == indicator)
            .ok_or_else(|| {
                let names: Vec<&str> = Indicator::ALL.iter().map(|i| i.name()).collect();
                Error::invalid(
                    "indicator",
                    format!("{indicator:?}"),
                    format!("one of {}", names.join(", ")),
                )
            })?;
        let ok = value.is_finite() && value >= 0.0 && (!found.is_share() || value <= 1.0);
        if !ok {
            let expected = if found.is_share() {
                "a fraction in [0, 1] (27.58% is 0.2758)"
            } else {
                "a number >= 0"
            };
            return Err(Error::invalid("value", value, expected));
        }
        Ok(StatedFigure {
            indicator: found,
            year,
            value,
            source: source.to_string(),
        })
    }
}

/// A base cell above this many persons is implausible for any region
/// (a unit or typing error, such as thousands written as persons twice).
pub const PLAUSIBLE_CELL_MAX: f64 = 1e10;

/// How far (relative) a stated figure of the base year may be from the
/// base before [`Model::input_warnings`] warns.
pub const STATED_BASE_TOLERANCE: f64 = 0.01;

impl Model {
    /// Warnings about implausible inputs: base cells above
    /// [`PLAUSIBLE_CELL_MAX`], naming the row (sex and age); stated figures
    /// of the base year (total, 60+, shares) more than
    /// [`STATED_BASE_TOLERANCE`] from the base's own value.
    pub fn input_warnings(&self) -> Vec<String> {
        self.input_warnings_in(false)
    }

    /// [`Model::input_warnings`] in Chinese (`zh`) or English.
    pub fn input_warnings_in(&self, zh: bool) -> Vec<String> {
        let mut out = Vec::new();
        let grid = self.base.grid();
        for sex in crate::population::Sex::BOTH {
            for (i, &v) in self.base.of(sex).iter().enumerate() {
                if v > PLAUSIBLE_CELL_MAX && zh {
                    out.push(format!(
                        "基期人口：{} {} 岁一行为 {v:e} 人，超过100亿（单位错误？人数应以人计）",
                        if sex == crate::population::Sex::Male {
                            "男性"
                        } else {
                            "女性"
                        },
                        grid.lower(i)
                    ));
                } else if v > PLAUSIBLE_CELL_MAX {
                    out.push(format!(
                        "base population: the row for {} age {} holds {v:e} persons, above 10 billion \
                         (a unit error? counts are persons)",
                        sex.label(),
                        grid.lower(i)
                    ));
                }
            }
        }
        for f in self.stated.iter().filter(|f| f.year == self.base_year) {
            let Some(v) = f.indicator.value(&self.base, None) else {
                continue;
            };
            if f.value > 0.0 && (v / f.value - 1.0).abs() > STATED_BASE_TOLERANCE && zh {
                out.push(format!(
                    "基期人口：{} 在 {} 年的基期数值为 {v:.6}，规划陈述为 {}（{}）；相差超过1%",
                    f.indicator.name(),
                    f.year,
                    f.value,
                    f.source
                ));
            } else if f.value > 0.0 && (v / f.value - 1.0).abs() > STATED_BASE_TOLERANCE {
                out.push(format!(
                    "base population: {} in {} is {v:.6} in the base but {} as stated ({}); \
                     more than 1% apart",
                    f.indicator.name(),
                    f.year,
                    f.value,
                    f.source
                ));
            }
        }
        out
    }

    /// The scenario called `name`.
    pub fn scenario(&self, name: &str) -> Result<&Scenario> {
        self.scenarios
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                Error::invalid(
                    "scenario",
                    format!("{name:?}"),
                    format!(
                        "one of {} (or \"all\")",
                        self.scenarios
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// The services' ids, comma-separated (for messages).
    pub fn service_ids(&self) -> String {
        let ids: Vec<&str> = self.services.iter().map(|s| s.id.as_str()).collect();
        ids.join(", ")
    }

    /// Scenarios selected by `name`: the default for `None`, every one for `"all"`.
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&Scenario>> {
        match name {
            None => Ok(vec![self.scenario(&self.default_scenario)?]),
            Some("all") => Ok(self.scenarios.iter().collect()),
            Some(n) => Ok(vec![self.scenario(n)?]),
        }
    }

    /// The years of a projection: the base year, then every step to the end.
    /// The key years to show, sorted and each once: those asked for
    /// (`asked`: years or inclusive spans `(from, to)`, a span taking the
    /// projection's years within it), or the model's own within the horizon
    /// when nothing is asked. A year or span with no projected year in it
    /// is an error naming it.
    pub fn key_years_for(&self, asked: &[(i32, i32)]) -> Result<Vec<i32>> {
        if asked.is_empty() {
            return Ok(self
                .key_years
                .iter()
                .copied()
                .filter(|y| (self.base_year..=self.end_year).contains(y))
                .collect());
        }
        let projected = self.years();
        let mut years = Vec::new();
        for &(from, to) in asked {
            let within: Vec<i32> = projected
                .iter()
                .copied()
                .filter(|y| (from..=to).contains(y))
                .collect();
            if within.is_empty() {
                let found = if from == to {
                    from.to_string()
                } else {
                    format!("{from}-{to}")
                };
                return Err(Error::invalid(
                    "key year",
                    found,
                    match self.base.grid().width() {
                        1 => format!(
                            "years of the projection, {}-{}",
                            self.base_year, self.end_year
                        ),
                        n => format!(
                            "years of the projection, {}-{} (every {n} years)",
                            self.base_year, self.end_year
                        ),
                    },
                ));
            }
            years.extend(within);
        }
        years.sort_unstable();
        years.dedup();
        Ok(years)
    }

    /// The projection's years: the base year, then one per step.
    pub fn years(&self) -> Vec<i32> {
        let step = self.base.grid().width() as usize;
        (self.base_year..=self.end_year).step_by(step).collect()
    }

    /// The regions `--region` selects: `all` (or none asked) every region
    /// after the parent (`total`), `total` the parent alone, or one region.
    /// A model without regions has none, and takes no `--region`.
    pub fn select_regions(&self, asked: Option<&str>) -> Result<Vec<String>> {
        if self.regions.is_empty() {
            return match asked {
                None => Ok(Vec::new()),
                Some(a) => Err(Error::invalid(
                    "--region",
                    format!("{a:?}"),
                    "no --region: the model has no [[subregion]]s",
                )),
            };
        }
        let names: Vec<String> = std::iter::once("total".to_string())
            .chain(self.regions.iter().map(|r| r.name.clone()))
            .collect();
        match asked {
            None | Some("all") => Ok(names),
            Some(a) if names.iter().any(|n| n == a) => Ok(vec![a.to_string()]),
            Some(a) => Err(Error::invalid(
                "--region",
                format!("{a:?}"),
                format!("all, or one of {}", names.join(", ")),
            )),
        }
    }

    /// Region `name` seen as a model of its own, for a report's regional
    /// views: its base, its own services and its names (English: `label`,
    /// else the name with a capital, underscores as spaces; Chinese:
    /// `name_zh`), with no
    /// regions and none of the parent's stated figures.
    pub fn region_view(&self, name: &str) -> Option<Model> {
        let r = self.regions.iter().find(|r| r.name == name)?;
        let label = r.label.clone().unwrap_or_else(|| {
            let spaced = r.name.replace('_', " ");
            match spaced.get(..1) {
                Some(first) => first.to_uppercase() + &spaced[1..],
                None => spaced,
            }
        });
        Some(Model {
            name: label,
            name_zh: r.name_zh.clone(),
            base: r.base.clone(),
            services: r.services.clone(),
            stated: Vec::new(),
            regions: Vec::new(),
            flows: Vec::new(),
            ..self.clone()
        })
    }

    /// The services of `region`: the parent's (`None` or `total`), or that
    /// region's own plan.
    pub fn services_of(&self, region: Option<&str>) -> &[Service] {
        self.regions
            .iter()
            .find(|r| Some(r.name.as_str()) == region)
            .map_or(&self.services[..], |r| &r.services[..])
    }

    /// Projects `scenario` and sizes every service against the plan.
    pub fn run(&self, scenario: &Scenario) -> Result<ScenarioRun> {
        let projection = self.project(scenario)?;
        Self::run_on(scenario, projection, &self.services)
    }

    /// [`Model::run`] of the parent (`total`, its services on the sum of
    /// the regions) and of every region (its own services on its own
    /// projection), in the model's order. A model without regions gives
    /// its one run as `total`.
    pub fn run_regions(&self, scenario: &Scenario) -> Result<Vec<(String, ScenarioRun)>> {
        let rp = self.project_regions(scenario)?;
        let mut out = vec![(
            "total".to_string(),
            Self::run_on(scenario, rp.parent, &self.services)?,
        )];
        for (r, p) in self.regions.iter().zip(rp.regions) {
            let run = Self::run_on(scenario, p, &r.services)
                .map_err(|e| e.context(format!("region {}", r.name)))?;
            out.push((r.name.clone(), run));
        }
        Ok(out)
    }

    /// Sizes `services` on `projection`, a projection of `scenario`.
    fn run_on(
        scenario: &Scenario,
        projection: Projection,
        services: &[Service],
    ) -> Result<ScenarioRun> {
        let demand = demand(services, &projection)
            .map_err(|e| e.context(format!("scenario {}", scenario.name)))?;
        let gaps = gaps(services, &demand);
        Ok(ScenarioRun {
            name: scenario.name.clone(),
            indicators: indicators(&projection),
            projection,
            demand,
            gaps,
        })
    }

    /// Projects one scenario over the model's horizon (with regions: the
    /// sum of its regions).
    pub fn project(&self, scenario: &Scenario) -> Result<Projection> {
        if !self.regions.is_empty() {
            return Ok(self.project_regions(scenario)?.parent);
        }
        project(
            &self.base,
            self.base_year,
            self.end_year,
            &scenario.assumptions,
        )
        .map_err(|e| e.context(format!("scenario {}", scenario.name)))
    }

    /// Projects one scenario region by region, with the migration between
    /// them; the parent is their sum. A model without regions is one region.
    pub fn project_regions(&self, scenario: &Scenario) -> Result<RegionalProjection> {
        let at = |e: Error| e.context(format!("scenario {}", scenario.name));
        if self.regions.is_empty() {
            let whole = Region {
                name: String::new(),
                base: self.base.clone(),
                assumptions: scenario.assumptions.clone(),
            };
            return project_regions(&[whole], &[], self.base_year, self.end_year).map_err(at);
        }
        project_specs(
            &self.regions,
            &self.flows,
            &scenario.assumptions,
            self.base_year,
            self.end_year,
        )
        .map_err(at)
    }
}
