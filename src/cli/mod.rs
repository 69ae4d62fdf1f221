//! The `carecast` command line: argument definitions in one place, then one
//! module per subcommand. Errors become a one-paragraph message on stderr and
//! a non-zero exit status; nothing here panics on user input.
//!
//! The argument docs are clap's `--help` text, written for a terminal
//! (`[[service]]`, `<model>`), not rustdoc markup.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::private_intra_doc_links,
    rustdoc::invalid_html_tags
)]

mod gap;
mod plan;
mod project;
mod report;
mod say;
mod simulate;
mod summary;
mod sweep;
mod synthesize;
mod validate;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::io::{Format, Table};

const EXAMPLES: &str = "\
Examples:
  carecast project --model models/jiaxing.toml --out notebooks-out/jiaxing
  carecast project --model models/jiaxing.toml --scenario all --format parquet
  carecast project --wpp-dir ../shared/data/wpp2019 --country China --out notebooks-out/china
  carecast project --wpp-dir ../shared/data/wpp2019 --country 392 --step 1 --out notebooks-out/japan-1y
  carecast project --model models/shanghai_regions.toml --region huangpu
  carecast gap --model models/jiaxing.toml
  carecast gap --model models/jiaxing.toml --scenario all --years 2025,2030,2035
  carecast simulate --model models/jiaxing.toml --trajectories 10000 --seed 7
  carecast sweep --grid models/sweeps/jiaxing_tfr_e0.toml --out notebooks-out/sweep
  carecast sweep --grid models/sweeps/jiaxing_tfr_e0.toml --shard 2/4 --out notebooks-out/sweep-2
  carecast merge notebooks-out/sweep-1 notebooks-out/sweep-2 notebooks-out/sweep-3 notebooks-out/sweep-4 --out notebooks-out/sweep
  carecast report --model models/jiaxing.toml --lang zh --trajectories 10000
  carecast report --model models/shanghai.toml --lang en --out notebooks-out/shanghai-report
  carecast validate --model models/jiaxing.toml
  carecast synthesize --spec data/jiaxing/synthesis.toml --out data/jiaxing/base_2021.csv
  carecast template --out plan.xlsx --lang zh
  carecast import --plan plan.xlsx --out models/mycounty.toml";

/// Population projections for elderly-care and childcare planning.
#[derive(Debug, Parser)]
#[command(name = "carecast", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `carecast`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Project a model's scenarios (or a UN WPP 2019 country) with the
    /// cohort-component method; writes population and indicators tables.
    #[command(
        after_help = "Examples:\n  carecast project --model models/jiaxing.toml --out notebooks-out/jiaxing\n  carecast project --model models/jiaxing.toml --scenario all --format parquet\n  carecast project --wpp-dir ../shared/data/wpp2019 --country China --out notebooks-out/china\n  carecast project --wpp-dir ../shared/data/wpp2019 --country 392 --step 1 --out notebooks-out/japan-1y\n  carecast project --model models/shanghai_regions.toml --region huangpu"
    )]
    Project(ProjectArgs),
    /// Service demand against the plan's supply: demand.csv and gap.csv, and
    /// a table of the key years per service (and scenario).
    #[command(
        after_help = "Examples:\n  carecast gap --model models/jiaxing.toml\n  carecast gap --model models/jiaxing.toml --scenario all --years 2025,2030,2035 --out notebooks-out/jiaxing\n  carecast gap --model models/shanghai_regions.toml --region all --lang zh"
    )]
    Gap(GapArgs),
    /// A Monte Carlo ensemble of a scenario: quantiles of every indicator by
    /// year (quantiles.csv), bit-identical for a seed whatever the thread count.
    #[command(
        after_help = "Examples:\n  carecast simulate --model models/jiaxing.toml --trajectories 10000 --seed 7\n  carecast simulate --model models/jiaxing.toml --scenario all --tfr-volatility 0.08 --migration-sd 2000 --format parquet"
    )]
    Simulate(SimulateArgs),
    /// Run every point of a TOML grid (TFR, e0 gain, migration, standards,
    /// models...) as an ensemble; writes one tidy table (sweep.csv and
    /// sweep.parquet) and flags points likely to leave a service short.
    #[command(
        after_help = "Examples:\n  carecast sweep --grid models/sweeps/jiaxing_tfr_e0.toml --out notebooks-out/sweep\n  carecast sweep --grid models/sweeps/jiaxing_tfr_e0.toml --shard 3/8 --out out/shard-3\n\nShards: --shard K/N runs the K-th of N disjoint slices (1 <= K <= N); seeds come\nfrom each point's parameters, so `carecast merge` of all N outputs equals a\nsingle run byte for byte. See examples/cluster/ for Slurm and Kubernetes jobs."
    )]
    Sweep(SweepArgs),
    /// Combine the output folders of every shard of one sweep into the
    /// table a single run would have written.
    #[command(
        after_help = "Example:\n  carecast merge out/shard-1 out/shard-2 out/shard-3 --out notebooks-out/sweep"
    )]
    Merge(MergeArgs),
    /// A report for the plan document: charts (PNG, SVG and the CSV behind
    /// each), key figures for the plan's years, and a self-contained
    /// index.html, in English or Chinese.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Check a model file and every table it names; list all problems found.
    #[command(after_help = "Example:\n  carecast validate --model models/jiaxing.toml")]
    Validate(ValidateArgs),
    /// Build a base population from a reference structure raked to known
    /// totals (base synthesis), as specified in a TOML file.
    #[command(
        after_help = "Example:\n  carecast synthesize --spec data/jiaxing/synthesis.toml --out data/jiaxing/base_2021.csv"
    )]
    Synthesize(SynthesizeArgs),
    /// Write the plan workbook (.xlsx) a bureau fills in with its plan's
    /// figures: blank, or filled from a model (`--from`).
    #[command(
        after_help = "Examples:\n  carecast template --out plan.xlsx --lang zh\n  carecast template --from models/jiaxing.toml --synthesis data/jiaxing/synthesis.toml --out jiaxing-plan.xlsx"
    )]
    Template(TemplateArgs),
    /// Turn a filled plan workbook into a commented model file (with the
    /// synthesis spec and base it needs), checked before it is written.
    #[command(
        after_help = "Example:\n  carecast import --plan plan.xlsx --out models/mycounty.toml\n  carecast validate --model models/mycounty.toml"
    )]
    Import(ImportArgs),
}

const REPORT_EXAMPLES: &str = "\
Examples:
  carecast report --model models/jiaxing.toml
  carecast report --model models/jiaxing.toml --lang zh --trajectories 10000 --seed 7
  carecast report --model models/jiaxing.toml --sweep notebooks-out/sweep --sweep-service caregivers
  carecast report --model models/lincang.toml --lang zh --font /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Chinese labels need a font with Chinese characters: carecast looks for Noto Sans
CJK and WenQuanYi fonts (Debian: apt-get install fonts-noto-cjk), or takes
--font PATH; CARECAST_FONTS (a list of font files) replaces the places it looks.
Without one the report is written in English.";

/// Output table format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// Comma-separated text.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// An Excel workbook.
    Xlsx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Xlsx => Format::Xlsx,
        }
    }
}

/// Arguments of `carecast project`.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Model file (TOML), e.g. models/jiaxing.toml.
    #[arg(long, conflicts_with_all = ["wpp_dir", "country"], required_unless_present = "wpp_dir")]
    pub model: Option<PathBuf>,
    /// Scenario to run; "all" runs every scenario (adds a `scenario` column).
    /// Default: the model's default scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// UN WPP 2019 folder (tab-separated files): project a country's medium variant.
    #[arg(long, requires = "country")]
    pub wpp_dir: Option<PathBuf>,
    /// UN country code or name (with --wpp-dir), e.g. 156 or China.
    #[arg(long)]
    pub country: Option<String>,
    /// Step and age-interval width in years for --wpp-dir: 5 (as published) or 1 (graduated).
    #[arg(long, default_value_t = 5, value_parser = parse_step)]
    pub step: u32,
    /// Last year of a --wpp-dir projection (a whole number of steps after 2020).
    #[arg(long, default_value_t = 2100)]
    pub end_year: i32,
    /// With a model of regions ([[subregion]]): `all` (the default: the
    /// parent as `total`, then every region), `total`, or one region's name.
    /// The tables get a `region` column.
    #[arg(long, conflicts_with = "wpp_dir")]
    pub region: Option<String>,
    /// Output folder and format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `carecast gap`.
#[derive(Debug, Args)]
pub struct GapArgs {
    /// Model file (TOML) with [[service]] sections.
    #[arg(long)]
    pub model: PathBuf,
    /// Scenario to run; "all" runs every scenario and compares them.
    /// Default: the model's default scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Key years of the printed table, sorted: years and spans, e.g.
    /// 2025,2030 or 2025-2035 [default: the model's key years, else
    /// 2025,2030,2035].
    #[arg(long, value_delimiter = ',', value_parser = parse_year_span)]
    pub years: Vec<(i32, i32)>,
    /// With a model of regions ([[subregion]]): `all` (the default: the
    /// parent as `total`, then every region with its own plan), `total`,
    /// or one region's name. The tables get a `region` column.
    #[arg(long)]
    pub region: Option<String>,
    /// Output folder and format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `carecast simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Model file (TOML).
    #[arg(long, conflicts_with_all = ["wpp_dir", "country"], required_unless_present = "wpp_dir")]
    pub model: Option<PathBuf>,
    /// UN WPP 2019 folder: a country's medium variant with TFR and e0
    /// noise calibrated to the UN's own 80% and 95% bounds (needs the
    /// tfrproj*, e0Mproj*, e0Fproj* files); migration stays deterministic.
    #[arg(long, requires = "country")]
    pub wpp_dir: Option<PathBuf>,
    /// UN country code or name (with --wpp-dir), e.g. 156 or China.
    #[arg(long)]
    pub country: Option<String>,
    /// Step and age-interval width in years for --wpp-dir: 5 (as published) or 1 (graduated).
    #[arg(long, default_value_t = 5, value_parser = parse_step)]
    pub step: u32,
    /// Last year of a --wpp-dir ensemble (a whole number of steps after 2020).
    #[arg(long, default_value_t = 2100)]
    pub end_year: i32,
    /// Scenario to run; "all" runs every scenario (adds a `scenario` column).
    /// Default: the model's default scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// With a model of regions ([[subregion]]): `all` (the default: the
    /// parent as `total`, then every region with its own plan), `total`,
    /// or one region's name. The tables get a `region` column.
    #[arg(long, conflicts_with = "wpp_dir")]
    pub region: Option<String>,
    /// Number of trajectories per scenario.
    #[arg(long, short = 'n', default_value_t = 1000)]
    pub trajectories: usize,
    /// Random seed: the same seed gives the same result on any number of threads.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// σ of the AR(1) deviation of log TFR, per year (0: no TFR noise).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub tfr_volatility: f64,
    /// φ of the AR(1) deviation of log TFR, in (-1, 1).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub tfr_persistence: f64,
    /// σ of the yearly random walk of the log factor on probabilities of
    /// dying, a Lee-Carter-style index (0: mortality as the scenario says).
    #[arg(long, default_value_t = 0.015, allow_negative_numbers = true)]
    pub mortality_sd: f64,
    /// Standard deviation of the annual net migration total, persons a year
    /// (0: none) [default: the model's `[uncertainty] migration_sd`, else 0].
    #[arg(long, allow_negative_numbers = true)]
    pub migration_sd: Option<f64>,
    /// Take need and standards as certain: no draw of the prevalence
    /// tables' or the demands' 90% intervals (every demand factor 1).
    #[arg(long)]
    pub certain_need: bool,
    /// Take supply as planned: no draw of the services' delivery shares or
    /// staff attrition (every supply path the plan's).
    #[arg(long)]
    pub certain_supply: bool,
    /// Take the base population as certain: no draw of the model's base
    /// total or structure intervals.
    #[arg(long)]
    pub certain_base: bool,
    /// Take fertility as the scenario says: no TFR noise, calibrated or not.
    #[arg(long)]
    pub certain_fertility: bool,
    /// Take mortality as the scenario says: no mortality noise, calibrated or not.
    #[arg(long)]
    pub certain_mortality: bool,
    /// Use the TFR and mortality noise options above even where the model
    /// borrows a calibration to published bounds ([uncertainty] calibration),
    /// which otherwise replaces them.
    #[arg(long)]
    pub own_noise: bool,
    /// Risk level α of the robust build schedule (robust_plan.csv): the
    /// smallest non-decreasing stock with P(shortfall) <= α in every year.
    #[arg(long, default_value_t = crate::ensemble::DEFAULT_ALPHA, value_parser = parse_alpha, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Also run one ensemble per uncertainty source alone and one without
    /// it (12 more runs of -n trajectories) and write risk_drivers.csv: the
    /// share of each gap's variance due to each source.
    #[arg(long)]
    pub drivers: bool,
    /// Keep the first N whole trajectories (every indicator, every year) in
    /// trajectories.csv, e.g. for spaghetti plots.
    #[arg(long, default_value_t = 0)]
    pub keep: usize,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder and format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where and how tables are written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output folder [default: notebooks-out/<model or country>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Table format of the outputs: a file per table (csv, parquet), or
    /// one workbook with a sheet per table (xlsx).
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    pub format: FormatArg,
    /// Language of the terminal summary and of an xlsx workbook's sheet
    /// and column labels.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
    /// Start each CSV with a UTF-8 byte-order mark, so that Excel (Chinese
    /// Windows above all) opens Chinese text correctly when double-clicked.
    #[arg(long)]
    pub bom: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

impl OutputArgs {
    /// Whether the terminal summary is in Chinese.
    pub fn zh(&self) -> bool {
        self.lang == LangArg::Zh
    }

    /// The output folder: `--out`, or `notebooks-out/<default_name>`.
    pub fn dir(&self, default_name: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("notebooks-out").join(default_name))
    }

    /// Writes `tables` (name without extension, table) into the folder, all
    /// or none: a file per table, or one workbook `<command>.xlsx` with a
    /// sheet per table; returns the "wrote ..." line.
    pub fn write(
        &self,
        command: &str,
        default_name: &str,
        tables: Vec<(&str, Table)>,
    ) -> anyhow::Result<String> {
        let format: Format = self.format.into();
        let mut output = crate::io::OutputSet::new(&self.dir(default_name))?;
        if format == Format::Xlsx {
            let sheets: Vec<(&str, &Table)> = tables.iter().map(|(n, t)| (*n, t)).collect();
            let zh = self.lang == LangArg::Zh;
            let bytes = crate::io::workbook::encode_workbook(&sheets, zh)?;
            output.stage(&format!("{command}.xlsx"), &bytes)?;
        } else {
            for (name, table) in tables {
                let mut bytes = table.encode(format)?;
                if format == Format::Csv && self.bom {
                    bytes.splice(0..0, crate::io::tables::UTF8_BOM);
                }
                output.stage(&format!("{name}.{}", format.extension()), &bytes)?;
            }
        }
        Ok(wrote(&output.commit()?))
    }
}

/// Arguments of `carecast sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep file (TOML): [sweep] settings and a [grid] of parameter lists.
    #[arg(long)]
    pub grid: PathBuf,
    /// Run only the K-th of N disjoint slices of the points (1 <= K <= N).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Override the sweep file's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder [default: notebooks-out/sweep-<grid file name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Discard the finished points of an unfinished earlier run into the
    /// same folder and start over (by default a sweep resumes them).
    #[arg(long)]
    pub restart: bool,
    /// Points per progress chunk: a killed sweep loses at most the chunks
    /// being computed. A resumed sweep keeps the size it started with.
    #[arg(long, value_name = "N", default_value_t = crate::cli::sweep::CHUNK_POINTS)]
    pub chunk_points: usize,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `carecast merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output folders of the shards (each with sweep_manifest.toml and sweep.csv).
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Output folder for the merged table.
    #[arg(long)]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Language of a report.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LangArg {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
}

/// Arguments of `carecast report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Model file (TOML), e.g. models/jiaxing.toml.
    #[arg(long)]
    pub model: PathBuf,
    /// Central scenario (the ensemble's); every scenario is drawn.
    /// Default: the model's default scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// With a model of regions ([[subregion]]): `all` (the default: the
    /// parent's report with small multiples of every region and the region
    /// table), `total` (the parent alone), or one region's name (that
    /// region's own report, from the same ensemble).
    #[arg(long)]
    pub region: Option<String>,
    /// Language of titles, labels, legends and the table.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
    /// Trajectories of the ensemble around the central scenario.
    #[arg(long, short = 'n', default_value_t = 10_000)]
    pub trajectories: usize,
    /// Random seed: the same seed gives the same report on any number of threads.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Risk level α of the robust build schedule: the smallest
    /// non-decreasing stock with P(shortfall) <= α in every year.
    #[arg(long, default_value_t = crate::ensemble::DEFAULT_ALPHA, value_parser = parse_alpha, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Years of the key-figures table, sorted: years and spans, e.g.
    /// 2025,2030 or 2025-2035 [default: the model's key years, else
    /// 2025,2030,2035].
    #[arg(long, value_delimiter = ',', value_parser = parse_year_span)]
    pub years: Vec<(i32, i32)>,
    /// Output folder of `carecast sweep` (sweep.csv): adds a heat-map of
    /// P(shortfall) over the sweep's first two numeric parameters.
    #[arg(long)]
    pub sweep: Option<PathBuf>,
    /// Service of the heat-map [default: caregivers, nursery_places or beds, if swept].
    #[arg(long, requires = "sweep")]
    pub sweep_service: Option<String>,
    /// Year of the heat-map [default: 2025 if the points differ there, else
    /// the year in which they differ most].
    #[arg(long, requires = "sweep")]
    pub sweep_year: Option<i32>,
    /// Font file (.ttf, .otf, .ttc) for the charts' text [default: found on the system].
    #[arg(long)]
    pub font: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder [default: notebooks-out/<model>-report].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `carecast validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Model file (TOML).
    #[arg(long)]
    pub model: PathBuf,
    /// Language of the listing.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
}

/// Arguments of `carecast synthesize`.
#[derive(Debug, Args)]
pub struct SynthesizeArgs {
    /// Synthesis specification (TOML).
    #[arg(long)]
    pub spec: PathBuf,
    /// Output table (.csv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// Language of the summary.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `carecast template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The workbook to write (.xlsx).
    #[arg(long)]
    pub out: PathBuf,
    /// Sheet names, columns and explanations in Chinese (zh) or English (en).
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    /// Fill the workbook with this model's figures.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// With --from: the synthesis spec the model's base was made with; the
    /// workbook then gives the base as its targets (base_targets sheet)
    /// instead of the base table itself.
    #[arg(long, requires = "from")]
    pub synthesis: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `carecast import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The filled plan workbook (.xlsx), as `carecast template` writes it.
    #[arg(long)]
    pub plan: PathBuf,
    /// The model file to write (NAME.toml); NAME.synthesis.toml and
    /// NAME.base.csv are written beside it when the workbook gives the base
    /// as targets or as a table.
    #[arg(long)]
    pub out: PathBuf,
    /// Language of the summary.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A UN WPP 2019 country, its base and medium-variant assumptions on the
/// grid of `step` (5: as published, 1: graduated), from 2020.
pub(crate) struct WppCountry {
    pub code: u32,
    pub name: String,
    pub grid: crate::AgeGrid,
    pub base: crate::population::Population,
    pub assumptions: crate::projection::Assumptions,
}

/// Reads `country` (a code or a name) from the WPP folder `dir`.
pub(crate) fn load_wpp_country(
    dir: &std::path::Path,
    country: &str,
    step: u32,
) -> anyhow::Result<WppCountry> {
    let (code, name) = crate::io::wpp::resolve_country(dir, country)?;
    let grid = if step == 1 {
        crate::AgeGrid::single_years()
    } else {
        crate::AgeGrid::five_year()
    };
    let inputs = crate::io::wpp::read_country(dir, code, 2020)?;
    Ok(WppCountry {
        code,
        name,
        grid,
        base: inputs.base(grid)?,
        assumptions: inputs.assumptions(grid)?,
    })
}

/// A risk level α in (0, 1).
fn parse_alpha(text: &str) -> Result<f64, String> {
    let alpha: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("found {text:?}, expected a probability in (0, 1), e.g. 0.10"))?;
    crate::ensemble::check_alpha(alpha).map_err(|e| e.to_string())?;
    Ok(alpha)
}

/// A year (`2030`) or an inclusive span of years (`2025-2035`).
fn parse_year_span(text: &str) -> Result<(i32, i32), String> {
    let expected =
        || format!("found {text:?}, expected a year such as 2030 or a span such as 2025-2035");
    let year = |t: &str| t.trim().parse::<i32>().map_err(|_| expected());
    match text.trim().split_once('-') {
        None => year(text).map(|y| (y, y)),
        Some((a, b)) => {
            let (from, to) = (year(a)?, year(b)?);
            if from > to {
                return Err(format!(
                    "found {text:?}, expected a span whose first year is not after its last"
                ));
            }
            Ok((from, to))
        }
    }
}

fn parse_step(text: &str) -> Result<u32, String> {
    match text {
        "1" => Ok(1),
        "5" => Ok(5),
        _ => Err(format!("found {text:?}, expected 1 or 5 (years)")),
    }
}

/// Runs the command line; returns the process exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match &cli.command {
        Command::Project(a) => project::run(a),
        Command::Gap(a) => gap::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Merge(a) => sweep::merge(a),
        Command::Report(a) => report::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Synthesize(a) => synthesize::run(a),
        Command::Template(a) => plan::template(a),
        Command::Import(a) => plan::import(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!(": {cause}"));
            }
            let _ = writeln!(std::io::stderr(), "{}", msg.trim_end());
            ExitCode::from(1)
        }
    }
}

/// Loads `--model`, resolves `--scenario` (default, one, or "all"), and
/// names the default output folder after the model file.
pub(crate) struct SelectedModel {
    pub model: crate::Model,
    /// Names of the selected scenarios.
    pub scenarios: Vec<String>,
    /// Whether `--scenario all` was asked (outputs get a `scenario` column).
    pub several: bool,
    /// The model file's stem, for `notebooks-out/<stem>`.
    pub stem: String,
}

impl SelectedModel {
    pub fn load(path: &std::path::Path, scenario: Option<&str>) -> anyhow::Result<SelectedModel> {
        let model = crate::io::model_file::load(path)?;
        for w in model.input_warnings() {
            eprintln!("warning: {}: {w}", path.display());
        }
        let scenarios = model
            .select(scenario)
            .map_err(|e| e.context(path.display().to_string()))?
            .into_iter()
            .map(|s| s.name.clone())
            .collect();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(SelectedModel {
            model,
            scenarios,
            several: scenario == Some("all"),
            stem,
        })
    }

    /// The selected scenarios, in order.
    pub fn selected(&self) -> impl Iterator<Item = &crate::Scenario> {
        self.scenarios
            .iter()
            .filter_map(|n| self.model.scenario(n).ok())
    }
}

/// A progress bar over an ensemble's trajectories (hidden with `--quiet`).
pub(crate) fn trajectory_bar(trajectories: usize, prefix: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(trajectories as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:40}] {pos}/{len} trajectories, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar
}

/// The drivers of `summary`'s risks (`request`'s own run) on `pool`, with
/// a progress bar over their `2 · sources` runs.
pub(crate) fn run_drivers(
    pool: &rayon::ThreadPool,
    request: &crate::ensemble::EnsembleRequest,
    summary: &crate::ensemble::EnsembleSummary,
    label: &str,
    quiet: bool,
) -> crate::Result<Vec<Vec<crate::ensemble::RiskDriver>>> {
    let runs = 2 * request.sources().len();
    let bar = trajectory_bar(runs * request.spec().trajectories, label, quiet);
    let drivers =
        pool.install(|| request.area_risk_drivers(summary, &|done| bar.set_position(done as u64)))?;
    bar.finish_and_clear();
    Ok(drivers)
}

/// The "wrote a, b, c" line after outputs are committed.
pub(crate) fn wrote(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!("wrote {}\n", names.join(", "))
}

/// Writes to stdout, ignoring a closed pipe (`carecast ... | head`).
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_project_arguments() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "carecast",
            "project",
            "--model",
            "m.toml",
            "--scenario",
            "all",
            "--format",
            "parquet",
        ])?;
        match cli.command {
            Command::Project(a) => {
                assert_eq!(a.scenario.as_deref(), Some("all"));
                assert_eq!(a.output.format, FormatArg::Parquet);
                assert_eq!(a.step, 5);
            }
            _ => panic!("not project"),
        }
        let wpp = Cli::try_parse_from([
            "carecast",
            "project",
            "--wpp-dir",
            "d",
            "--country",
            "156",
            "--step",
            "1",
        ])?;
        assert!(matches!(
            wpp.command,
            Command::Project(ProjectArgs { step: 1, .. })
        ));
        assert!(Cli::try_parse_from(["carecast", "project"]).is_err());
        assert!(Cli::try_parse_from([
            "carecast",
            "project",
            "--wpp-dir",
            "d",
            "--country",
            "1",
            "--step",
            "3"
        ])
        .is_err());
        assert!(
            Cli::try_parse_from(["carecast", "project", "--model", "m", "--format", "ods"])
                .is_err()
        );
        Ok(())
    }
}
