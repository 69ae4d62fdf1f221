//! The raw form of a model file, as serde reads it: one struct per section,
//! unknown keys rejected. Nothing here is checked yet (see the parent module).

use serde::Deserialize;

use crate::age_grid::AgeGrid;
use crate::error::Result;
use crate::migration::RogersCastro;
use crate::path::YearPath;

/// A value that is constant or given by `[year, value]` points.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PathSpec {
    Constant(f64),
    Points(Vec<(f64, f64)>),
}

impl PathSpec {
    pub(crate) fn to_path(&self, key: &str) -> Result<YearPath> {
        match self {
            PathSpec::Constant(v) => YearPath::new(key, vec![(0.0, *v)]),
            PathSpec::Points(p) => YearPath::new(key, p.clone()),
        }
    }
}

/// A fraction as plans write it: a number (`0.55`) or a percentage
/// (`"55%"`, also with a full-width `％`), held as the fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction(f64);

impl Fraction {
    /// The value as a fraction (a percentage divided by 100).
    pub fn value(self) -> f64 {
        self.0
    }

    /// A percentage written as text ("55%", "55 %", "55％").
    fn from_text(text: &str) -> Option<Fraction> {
        let t = text.trim();
        t.strip_suffix('%')
            .or_else(|| t.strip_suffix('％'))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .map(|v| Fraction(v / 100.0))
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Fraction;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fraction (0.55) or a percentage (\"55%\")")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Fraction, E> {
                Ok(Fraction(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Fraction, E> {
                Ok(Fraction(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Fraction, E> {
                Ok(Fraction(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Fraction, E> {
                Fraction::from_text(v).ok_or_else(|| {
                    E::custom(format!(
                        "{v:?}, which is neither a fraction (0.55) nor a percentage (\"55%\")"
                    ))
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A fraction that is constant or given by `[year, fraction]` points.
#[derive(Debug, Clone)]
pub enum FractionSpec {
    Constant(Fraction),
    Points(Vec<(f64, Fraction)>),
}

impl<'de> Deserialize<'de> for FractionSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::IntoDeserializer;
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FractionSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fraction (0.55), a percentage (\"55%\") or [[year, fraction], ...]")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(FractionSpec::Constant(Fraction(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(FractionSpec::Constant(Fraction(v as f64)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(FractionSpec::Constant(Fraction(v as f64)))
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<Self::Value, E> {
                Fraction::deserialize(v.into_deserializer()).map(FractionSpec::Constant)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut points = Vec::new();
                while let Some(point) = seq.next_element::<(f64, Fraction)>()? {
                    points.push(point);
                }
                Ok(FractionSpec::Points(points))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl FractionSpec {
    pub(crate) fn to_path(&self, key: &str) -> Result<YearPath> {
        match self {
            FractionSpec::Constant(v) => YearPath::new(key, vec![(0.0, v.value())]),
            FractionSpec::Points(p) => {
                YearPath::new(key, p.iter().map(|&(y, v)| (y, v.value())).collect())
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub region: RawRegion,
    pub projection: RawProjection,
    pub base: RawBase,
    pub mortality: RawMortality,
    pub fertility: RawFertility,
    #[serde(default)]
    pub migration: Option<RawMigration>,
    #[serde(rename = "scenario", default)]
    pub scenarios: Vec<RawScenario>,
    /// Named population bases, e.g. `elderly = "60+"`; see [`crate::standards::DEFAULT_BASES`].
    #[serde(default)]
    pub populations: std::collections::BTreeMap<String, String>,
    #[serde(rename = "service", default)]
    pub services: Vec<RawService>,
    /// Figures the plan itself states (marked on the report's charts).
    #[serde(rename = "stated", default)]
    pub stated: Vec<RawStated>,
    /// `[uncertainty]`: the model's own ensemble settings.
    #[serde(default)]
    pub uncertainty: Option<RawUncertainty>,
    /// `[[subregion]]`: the regions the model's population is the sum of.
    #[serde(rename = "subregion", default)]
    pub subregions: Vec<RawSubregion>,
    /// `[[flow]]`: migration between the regions.
    #[serde(rename = "flow", default)]
    pub flows: Vec<RawFlow>,
}

/// `[[subregion]]`: one region of the model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubregion {
    /// Name, as `--region` takes it.
    pub name: String,
    /// The name in Chinese.
    #[serde(default)]
    pub name_zh: Option<String>,
    /// The name in English reports (default: `name`, capitalised).
    #[serde(default)]
    pub label: Option<String>,
    /// Its base table (`sex,age,<value_column>`), or `"remainder"`: the
    /// model's base minus the other regions'.
    pub population: String,
    /// Column of the table with the counts.
    #[serde(default = "default_population_column")]
    pub value_column: String,
    /// The region's TFR over the scenario's.
    #[serde(default)]
    pub tfr_ratio: Option<f64>,
    /// Years added to the scenario's e0.
    #[serde(default)]
    pub e0_difference: Option<f64>,
    /// Its share of the net migration from outside the model.
    #[serde(default)]
    pub migration_share: Option<Fraction>,
}

/// `[[flow]]`: migrants moving from one region to another.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    /// The origin region.
    pub from: String,
    /// The destination region.
    pub to: String,
    /// Persons a year.
    #[serde(default)]
    pub per_year: Option<PathSpec>,
    /// Or a fraction of the origin's population a year.
    #[serde(default)]
    pub rate: Option<FractionSpec>,
    /// Share of the migrants who are male (default 0.5).
    #[serde(default)]
    pub male_share: Option<Fraction>,
}

/// `[uncertainty]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUncertainty {
    /// Standard deviation of the annual net migration total, persons a
    /// year: the default of `simulate --migration-sd`, `report` and sweeps.
    #[serde(default)]
    pub migration_sd: Option<f64>,
    /// A table of published TFR and e0 bounds (`quantity,start,end,l95,
    /// l80,median,u80,u95`) whose relative spread the model borrows.
    #[serde(default)]
    pub calibration: Option<String>,
}

/// `[[stated]]`: a figure the plan or a census states, e.g. the share aged
/// 60+ in the base year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStated {
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: String,
    /// The region whose plan this is (a `[[subregion]]`); none: the model's.
    #[serde(default)]
    pub region: Option<String>,
    pub label: String,
    #[serde(default)]
    pub label_zh: Option<String>,
    /// "beds", "persons", "places", "m2".
    pub unit: String,
    #[serde(rename = "demand", default)]
    pub demands: Vec<RawDemand>,
    #[serde(default)]
    pub supply: Option<RawSupply>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum DemandKind {
    Ratio,
    Share,
    Need,
    Absolute,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    pub name: String,
    pub method: DemandKind,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub per_1000: Option<PathSpec>,
    #[serde(default)]
    pub per_10000: Option<PathSpec>,
    #[serde(default)]
    pub fraction: Option<FractionSpec>,
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub prevalence: Option<String>,
    #[serde(default)]
    pub use_rate: Option<FractionSpec>,
    #[serde(default)]
    pub per_user: Option<f64>,
    #[serde(default)]
    pub value: Option<PathSpec>,
    /// 90% interval of a factor on this demand (standards uncertainty).
    #[serde(default)]
    pub uncertainty_90: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum RawInterpolation {
    Linear,
    Step,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupply {
    #[serde(default)]
    pub points: Option<Vec<(f64, f64)>>,
    #[serde(default)]
    pub interpolation: Option<RawInterpolation>,
    #[serde(default)]
    pub build_rate: Option<RawBuildRate>,
    /// The plan states no supply for this service.
    #[serde(default)]
    pub unknown: Option<bool>,
    /// A ratio target's population base ("elderly", "60+").
    #[serde(default)]
    pub base: Option<String>,
    /// A ratio target: units per 1,000 of the base, by year.
    #[serde(default)]
    pub per_1000: Option<PathSpec>,
    /// A ratio target: units per 10,000 of the base, by year.
    #[serde(default)]
    pub per_10000: Option<PathSpec>,
    /// The scenario whose projection resolves a ratio target (default: the
    /// model's default scenario).
    #[serde(default)]
    pub on_scenario: Option<String>,
    /// The base population the plan states, `[[year, persons], ...]`, to
    /// resolve a ratio target on instead of a projection.
    #[serde(default)]
    pub population: Option<Vec<(f64, f64)>>,
    /// Median share of the planned additions delivered on time.
    #[serde(default)]
    pub delivery: Option<Fraction>,
    /// 90% interval of that share.
    #[serde(default)]
    pub delivery_90: Option<[Fraction; 2]>,
    /// Median annual attrition of the stock (staff who leave).
    #[serde(default)]
    pub attrition: Option<Fraction>,
    /// 90% interval of the annual attrition.
    #[serde(default)]
    pub attrition_90: Option<[Fraction; 2]>,
    /// The annual attrition the plan's recruitment allows for (default:
    /// `attrition`).
    #[serde(default)]
    pub planned_attrition: Option<Fraction>,
    /// The most the service can add in a year (the robust schedule's
    /// limit).
    #[serde(default)]
    pub max_build_per_year: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuildRate {
    pub year: f64,
    pub stock: f64,
    pub per_year: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub name: String,
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub flags_zh: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProjection {
    pub base_year: i32,
    pub end_year: i32,
    #[serde(default = "default_step")]
    pub step: u32,
    #[serde(default = "default_open_age")]
    pub open_age: u32,
    pub default_scenario: String,
    /// Years the plan is judged in [default: 2025, 2030, 2035 within the horizon].
    #[serde(default)]
    pub key_years: Option<Vec<i32>>,
}

fn default_step() -> u32 {
    1
}
fn default_open_age() -> u32 {
    AgeGrid::DEFAULT_OPEN_AGE
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBase {
    /// Table `sex,age,<value_column>` (optional `year`).
    pub population: String,
    #[serde(default = "default_population_column")]
    pub value_column: String,
    #[serde(default)]
    pub year: Option<i32>,
    /// 90% interval of a factor on the whole base (its registry or census
    /// total), drawn once per trajectory.
    #[serde(default)]
    pub total_90: Option<[f64; 2]>,
    /// 90% intervals of factors on age bands of the base (its synthesized
    /// structure), each drawn once per trajectory.
    #[serde(default)]
    pub structure_90: Vec<RawBandFactor>,
}

/// A factor on one age band of the base.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBandFactor {
    /// Ages, e.g. "0-4".
    pub ages: String,
    /// 90% interval of the factor on them.
    pub factor_90: [f64; 2],
}

fn default_population_column() -> String {
    "population".into()
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum MortalityMethod {
    /// A standard schedule moved to e0 targets (Brass relational logit).
    Brass,
    /// mx by period from a table.
    Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMortality {
    pub method: MortalityMethod,
    /// `sex,age,mx` (abridged 0,1,5,... or single years); with `table`, an
    /// optional `year` column gives each period's first year.
    #[serde(default)]
    pub standard: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    /// Both-sexes e0 path; split by `sex_gap` (female minus male, years).
    #[serde(default)]
    pub e0: Option<PathSpec>,
    #[serde(default)]
    pub sex_gap: Option<f64>,
    #[serde(default)]
    pub e0_male: Option<PathSpec>,
    #[serde(default)]
    pub e0_female: Option<PathSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFertility {
    /// `age,percent_asfr` by 5-year group of mother.
    pub pattern: String,
    /// Sex ratio at birth, males per female.
    pub srb: PathSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMigration {
    /// Net migrants per year (persons), spread by the Rogers-Castro schedule.
    #[serde(default)]
    pub net_per_year: Option<PathSpec>,
    #[serde(default = "half")]
    pub male_share: f64,
    #[serde(default)]
    pub schedule: Option<RogersCastro>,
    /// Or a table `sex,age,net_per_year`.
    #[serde(default)]
    pub counts: Option<String>,
}

fn half() -> f64 {
    0.5
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The label in Chinese, for reports.
    #[serde(default)]
    pub label_zh: Option<String>,
    pub tfr: PathSpec,
    #[serde(default)]
    pub e0: Option<PathSpec>,
    #[serde(default)]
    pub net_migration_per_year: Option<PathSpec>,
}
