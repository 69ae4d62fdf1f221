//! Sweep files (TOML grids), sweep tables and shard manifests.
//!
//! ```toml
//! [sweep]
//! model = "../models/jiaxing.toml"   # relative to this file (or a `model` axis)
//! scenario = "plan"                  # default: the model's default scenario
//! trajectories = 500
//! seed = 42
//! years = [2025, 2030, 2035]         # default: every fifth year after the base
//! threshold = 0.5                    # flag points with P(shortfall) above it
//!
//! [grid]                             # the cartesian product, in this order
//! tfr = [0.81, 1.0, 1.3, 1.62]
//! e0_gain = [0.0, 2.0]
//! "standard.caregivers" = [27, 30]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ensemble::{EnsembleSpec, MigrationNoise, MortalityNoise, Stochastic, TfrNoise};
use crate::error::{Error, Result};
use crate::io::tables::{read_text_table, ColumnData, Format, Table};
use crate::sweep::{fnv1a, Axis, Grid, Parameter, PointSettings, Shard, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweepFile {
    sweep: RawSweep,
    #[serde(default)]
    grid: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    scenario: Option<String>,
    trajectories: usize,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    years: Option<Vec<i32>>,
    #[serde(default = "half")]
    threshold: f64,
    #[serde(default = "tfr_volatility")]
    tfr_volatility: f64,
    #[serde(default = "tfr_persistence")]
    tfr_persistence: f64,
    #[serde(default = "mortality_sd")]
    mortality_sd: f64,
    #[serde(default)]
    migration_sd: Option<f64>,
    #[serde(default)]
    certain_need: bool,
    #[serde(default)]
    certain_supply: bool,
    #[serde(default)]
    certain_base: bool,
    #[serde(default)]
    own_noise: bool,
}

fn half() -> f64 {
    0.5
}
fn tfr_volatility() -> f64 {
    TfrNoise::default().volatility
}
fn tfr_persistence() -> f64 {
    TfrNoise::default().persistence
}
fn mortality_sd() -> f64 {
    MortalityNoise::default().sd
}

/// A parsed sweep file.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The sweep file.
    pub file: PathBuf,
    /// The model file when the grid has no `model` axis (resolved).
    pub model: Option<PathBuf>,
    /// The scenario run at every point (default: the model's).
    pub scenario: Option<String>,
    /// Trajectories per point.
    pub trajectories: usize,
    /// Seed of every point's ensemble.
    pub seed: u64,
    /// Years reported (default: every fifth year).
    pub years: Option<Vec<i32>>,
    /// Points with P(shortfall) above this are flagged.
    pub threshold: f64,
    /// The noise, before the grid changes it.
    pub stochastic: Stochastic,
    /// The sweep sets no `migration_sd`: each point takes its model's.
    pub model_migration: bool,
    /// The points.
    pub grid: Grid,
}

impl SweepSpec {
    /// The settings every point of the sweep runs with.
    pub fn point_settings(&self) -> PointSettings {
        PointSettings {
            scenario: self.scenario.clone(),
            trajectories: self.trajectories,
            seed: self.seed,
            years: self.years.clone(),
            stochastic: self.stochastic,
            model_migration: self.model_migration,
        }
    }

    /// Resolves a model path written in the sweep file.
    pub fn resolve(&self, written: &str) -> PathBuf {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        dir.join(written)
    }

    /// The model file of point `index`.
    pub fn model_of(&self, index: usize) -> Option<PathBuf> {
        match self.grid.value_of(index, &Parameter::Model) {
            Some(Value::Text(m)) => Some(self.resolve(&m)),
            _ => self.model.clone(),
        }
    }

    /// The sweep's identity: a hash of everything that decides its results
    /// (the parsed spec and the bytes of every model file it names), so
    /// shards of different sweeps are never merged.
    pub fn id(&self) -> Result<String> {
        let mut text = format!(
            "{:?}|{}|{}|{:?}|{:?}|{:?}|{}|{}",
            self.scenario,
            self.trajectories,
            self.seed,
            self.years,
            self.stochastic,
            self.grid,
            self.threshold,
            self.model_migration
        );
        let mut models: Vec<PathBuf> = (0..self.grid.len())
            .filter_map(|i| self.model_of(i))
            .collect();
        models.sort();
        models.dedup();
        for m in models {
            let bytes = std::fs::read(&m)
                .map_err(|e| Error::io(m.display(), format!("cannot read the model file: {e}")))?;
            text.push_str(&format!("|{:016x}", fnv1a(&bytes)));
        }
        Ok(format!(
            "{:016x}-{}",
            fnv1a(text.as_bytes()),
            env!("CARGO_PKG_VERSION")
        ))
    }
}

/// Reads and checks a sweep file.
pub fn read_sweep(path: &Path) -> Result<SweepSpec> {
    let file = path.display().to_string();
    let (text, _) = crate::io::text_file::read_text(path, "sweep file")?;
    let raw: RawSweepFile =
        crate::io::parse_toml(&text, "a sweep file with [sweep] and [grid] (see README)")
            .map_err(|e| e.context(&file))?;
    let at = |e: Error| e.context(&file);
    let mut axes = Vec::new();
    for (key, value) in raw.grid.iter().flatten() {
        let parameter = Parameter::parse(key).map_err(at)?;
        let items = match value {
            toml::Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let values = items
            .iter()
            .map(|v| match v {
                toml::Value::Integer(i) => Ok(Value::Number(*i as f64)),
                toml::Value::Float(f) => Ok(Value::Number(*f)),
                toml::Value::String(s) => Ok(Value::Text(s.clone())),
                other => Err(Error::invalid(
                    format!("{file}: grid parameter {key}"),
                    other,
                    "numbers or text",
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        axes.push(Axis { parameter, values });
    }
    let grid = Grid::new(axes).map_err(at)?;
    let s = raw.sweep;
    if !(s.threshold >= 0.0 && s.threshold <= 1.0) {
        return Err(at(Error::invalid(
            "sweep threshold",
            s.threshold,
            "a probability in [0, 1]",
        )));
    }
    let has_model_axis = grid.axes().iter().any(|a| a.parameter == Parameter::Model);
    if s.model.is_none() && !has_model_axis {
        return Err(at(Error::invalid(
            "sweep model",
            "none",
            "model = \"path/to/model.toml\" in [sweep] or a model list in [grid]",
        )));
    }
    let stochastic = Stochastic {
        tfr: Some(TfrNoise {
            persistence: s.tfr_persistence,
            volatility: s.tfr_volatility,
        }),
        mortality: Some(MortalityNoise { sd: s.mortality_sd }),
        migration: s
            .migration_sd
            .filter(|&sd| sd != 0.0)
            .map(|sd| MigrationNoise { sd }),
        certain_need: s.certain_need,
        certain_supply: s.certain_supply,
        certain_base: s.certain_base,
        own_noise: s.own_noise,
        certain_fertility: false,
        certain_mortality: false,
    };
    // The ensemble's own check: at least one trajectory, noise in range.
    EnsembleSpec {
        trajectories: s.trajectories,
        seed: s.seed,
        stochastic,
        keep: 0,
    }
    .check()
    .map_err(|e| at(e.context("[sweep]")))?;
    let mut spec = SweepSpec {
        file: path.to_path_buf(),
        model: None,
        scenario: s.scenario,
        trajectories: s.trajectories,
        seed: s.seed,
        years: s.years,
        threshold: s.threshold,
        stochastic,
        model_migration: s.migration_sd.is_none(),
        grid,
    };
    spec.model = s.model.map(|m| spec.resolve(&m));
    Ok(spec)
}

pub use crate::sweep::{GapColumns, SweepRow};

const FIXED: [&str; 12] = [
    "year",
    "kind",
    "quantity",
    "p05",
    "p50",
    "p95",
    "mean",
    "p_shortfall",
    "shortfall_p50",
    "shortfall_p90",
    "capacity_needed_p90",
    "supply",
];

/// `point,<parameters>,year,kind,quantity,p05,p50,p95,mean,p_shortfall,
/// shortfall_p50,shortfall_p90,capacity_needed_p90,supply` (gap columns
/// empty on indicator rows). Rows of a model of regions add a `region`
/// column after `year` (`total` for the parent).
pub fn sweep_table(parameters: &[Parameter], rows: &[SweepRow], format: Format) -> Result<Vec<u8>> {
    let regional = rows.iter().any(|r| r.region.is_some());
    sweep_columns(parameters, rows, regional).encode(format)
}

/// The columns of the sweep table of `rows` (see [`sweep_table`]), with
/// the `region` column when `regional` (`total` where a row has none).
pub fn sweep_columns(parameters: &[Parameter], rows: &[SweepRow], regional: bool) -> Table {
    let names: Vec<String> = parameters.iter().map(Parameter::name).collect();
    let mut cols: Vec<(&str, ColumnData)> =
        vec![("point", ColumnData::ints(rows, |r| r.point as i32))];
    for (i, parameter) in parameters.iter().enumerate() {
        let data = if parameter.is_text() {
            ColumnData::texts(rows, |r| r.values[i].to_string())
        } else {
            ColumnData::floats(rows, |r| match &r.values[i] {
                Value::Number(v) => *v,
                Value::Text(_) => f64::NAN,
            })
        };
        cols.push((names[i].as_str(), data));
    }
    let f = |g: fn(&SweepRow) -> f64| ColumnData::Float(rows.iter().map(g).collect());
    let o = |g: fn(&GapColumns) -> f64| ColumnData::opt_floats(rows, |r| r.gap.as_ref().map(g));
    cols.push(("year", ColumnData::ints(rows, |r| r.year)));
    if regional {
        cols.push((
            "region",
            ColumnData::texts(rows, |r| r.region.clone().unwrap_or_else(|| "total".into())),
        ));
    }
    cols.extend([
        ("kind", ColumnData::texts(rows, |r| r.kind.clone())),
        ("quantity", ColumnData::texts(rows, |r| r.quantity.clone())),
        ("p05", f(|r| r.p05)),
        ("p50", f(|r| r.p50)),
        ("p95", f(|r| r.p95)),
        ("mean", f(|r| r.mean)),
        ("p_shortfall", o(|g| g.p_shortfall)),
        ("shortfall_p50", o(|g| g.shortfall_p50)),
        ("shortfall_p90", o(|g| g.shortfall_p90)),
        ("capacity_needed_p90", o(|g| g.capacity_needed_p90)),
        ("supply", o(|g| g.supply)),
    ]);
    Table::new(cols)
}

/// Rows per row group of a sweep's Parquet table, and per batch of its
/// CSV table, as [`SweepTableWriter`] writes them. A sweep of fewer rows
/// is one group, as a table written at once.
pub const SWEEP_ROWS_PER_GROUP: usize = 65_536;

/// Writes a sweep's `sweep.csv` and `sweep.parquet` as a stream of rows
/// in point order, so that memory stays flat however many points a sweep
/// has: rows are buffered up to [`SWEEP_ROWS_PER_GROUP`] and written as
/// one CSV batch and one Parquet row group. The bytes depend only on the
/// rows, not on how they were pushed (a single run and a merge of shards
/// write the same files). Both files are staged in an
/// [`OutputSet`](crate::io::output::OutputSet) and appear on its commit.
pub struct SweepTableWriter {
    parameters: Vec<Parameter>,
    csv_path: PathBuf,
    csv: Option<std::io::BufWriter<std::fs::File>>,
    parquet_path: PathBuf,
    parquet: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
    /// Whether the table has a `region` column (a sweep of a model of regions).
    regional: bool,
    pending: Vec<SweepRow>,
    rows: usize,
}

impl SweepTableWriter {
    /// A writer staging `sweep.csv` and `sweep.parquet` in `output`.
    pub fn new(
        output: &mut crate::io::output::OutputSet,
        parameters: &[Parameter],
        regional: bool,
    ) -> SweepTableWriter {
        SweepTableWriter {
            parameters: parameters.to_vec(),
            regional,
            csv_path: output.stage_path("sweep.csv"),
            csv: None,
            parquet_path: output.stage_path("sweep.parquet"),
            parquet: None,
            pending: Vec::new(),
            rows: 0,
        }
    }

    /// Rows written so far (pushed, whether flushed or not).
    pub fn rows(&self) -> usize {
        self.rows + self.pending.len()
    }

    /// Appends rows (in point order).
    /// At most one group of rows is held (its buffer reused), so memory
    /// does not grow with the rows written.
    pub fn push(&mut self, rows: Vec<SweepRow>) -> Result<()> {
        let mut rows = rows.into_iter();
        loop {
            if self.pending.capacity() < SWEEP_ROWS_PER_GROUP {
                self.pending
                    .reserve_exact(SWEEP_ROWS_PER_GROUP - self.pending.len());
            }
            let room = SWEEP_ROWS_PER_GROUP - self.pending.len();
            self.pending.extend(rows.by_ref().take(room));
            if self.pending.len() < SWEEP_ROWS_PER_GROUP {
                return Ok(());
            }
            let mut group = std::mem::take(&mut self.pending);
            self.write_group(&group)?;
            group.clear();
            self.pending = group;
        }
    }

    fn write_group(&mut self, group: &[SweepRow]) -> Result<()> {
        use polars::prelude::{CsvWriter, ParquetWriter, SerWriter};
        let table = sweep_columns(&self.parameters, group, self.regional);
        let csv_err = |e: &dyn std::fmt::Display| {
            Error::io(self.csv_path.display(), format!("cannot write: {e}"))
        };
        let parquet_err = |e: &dyn std::fmt::Display| {
            Error::io(self.parquet_path.display(), format!("cannot write: {e}"))
        };
        let first = self.csv.is_none();
        if first {
            let file = std::fs::File::create(&self.csv_path).map_err(|e| csv_err(&e))?;
            self.csv = Some(std::io::BufWriter::new(file));
        }
        if let Some(csv) = self.csv.as_mut() {
            let mut df = table.data_frame(Format::Csv)?;
            CsvWriter::new(csv)
                .include_header(first)
                .finish(&mut df)
                .map_err(|e| csv_err(&e))?;
        }
        let df = table.data_frame(Format::Parquet)?;
        if self.parquet.is_none() {
            let file = std::fs::File::create(&self.parquet_path).map_err(|e| parquet_err(&e))?;
            let writer = ParquetWriter::new(file)
                .batched(df.schema())
                .map_err(|e| parquet_err(&e))?;
            self.parquet = Some(writer);
        }
        if let Some(parquet) = self.parquet.as_mut() {
            parquet.write_batch(&df).map_err(|e| parquet_err(&e))?;
        }
        self.rows += group.len();
        Ok(())
    }

    /// Writes the last rows and closes both files (still staged).
    pub fn finish(mut self) -> Result<()> {
        let group = std::mem::take(&mut self.pending);
        if self.csv.is_none() && group.is_empty() {
            // No rows at all: the empty tables, as written at once.
            for (path, format) in [
                (&self.csv_path, Format::Csv),
                (&self.parquet_path, Format::Parquet),
            ] {
                let bytes = sweep_columns(&self.parameters, &[], self.regional).encode(format)?;
                std::fs::write(path, bytes)
                    .map_err(|e| Error::io(path.display(), format!("cannot write: {e}")))?;
            }
            return Ok(());
        }
        if !group.is_empty() {
            self.write_group(&group)?;
        }
        if let Some(mut csv) = self.csv.take() {
            use std::io::Write;
            csv.flush()
                .and_then(|()| csv.get_ref().sync_all())
                .map_err(|e| Error::io(self.csv_path.display(), format!("cannot write: {e}")))?;
        }
        if let Some(parquet) = self.parquet.take() {
            parquet.finish().map_err(|e| {
                Error::io(self.parquet_path.display(), format!("cannot write: {e}"))
            })?;
        }
        Ok(())
    }
}

/// Reads a sweep table written by [`sweep_table`] (CSV) back into its
/// parameters (the columns between `point` and `year`) and rows.
/// The table of a sweep's output folder to read back: `sweep.parquet`,
/// which holds every bit (the CSV's numbers are rounded to
/// [`crate::io::tables::CSV_SIGNIFICANT_DIGITS`]), else `sweep.csv`.
pub fn sweep_table_path(dir: &Path) -> std::path::PathBuf {
    let parquet = dir.join("sweep.parquet");
    if parquet.is_file() {
        parquet
    } else {
        dir.join("sweep.csv")
    }
}

/// Reads a sweep table (CSV or Parquet) back.
pub fn read_sweep_table(path: &Path) -> Result<(Vec<Parameter>, Vec<SweepRow>)> {
    let t = read_text_table(path)?;
    let names = t.columns();
    let end = names
        .iter()
        .position(|n| n == "year")
        .unwrap_or(names.len());
    let parameters = names
        .get(1..end)
        .unwrap_or(&[])
        .iter()
        .map(|n| Parameter::parse(n).map_err(|e| e.context(t.file())))
        .collect::<Result<Vec<_>>>()?;
    let regional = names.iter().any(|n| n == "region");
    let mut expected = vec!["point".to_string()];
    expected.extend(parameters.iter().map(Parameter::name));
    expected.extend(FIXED.iter().map(|s| s.to_string()));
    let mut allowed: Vec<&str> = expected.iter().map(String::as_str).collect();
    t.only_columns(&[&allowed[..], &["region"]].concat())?;
    let mut c: Vec<usize> = allowed
        .iter()
        .map(|n| t.require(n))
        .collect::<Result<_>>()?;
    // The optional `region` column is looked up last, past the fixed ones.
    let region_col = if regional {
        allowed.push("region");
        c.push(t.require("region")?);
        Some(c.len() - 1)
    } else {
        None
    };
    let float = |row: usize, col: usize| -> Result<f64> {
        let s = t.text(row, col)?;
        s.parse::<f64>().map_err(|_| {
            Error::invalid(
                format!("{}: row {}, column {}", t.file(), row + 1, allowed[col]),
                format!("{s:?}"),
                "a number",
            )
        })
    };
    let opt = |row: usize, col: usize| -> Result<Option<f64>> {
        match t.text(row, c[col]) {
            Ok(_) => float(row, c[col]).map(Some),
            Err(_) => Ok(None),
        }
    };
    let na = parameters.len();
    let mut rows = Vec::with_capacity(t.height());
    for r in 0..t.height() {
        let point = t.integer(r, c[0])?;
        let values = parameters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if p.is_text() {
                    t.text(r, c[1 + i]).map(|s| Value::Text(s.to_string()))
                } else {
                    float(r, c[1 + i]).map(Value::Number)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let k = 1 + na;
        let gap = match (
            opt(r, k + 7)?,
            opt(r, k + 8)?,
            opt(r, k + 9)?,
            opt(r, k + 10)?,
            opt(r, k + 11)?,
        ) {
            (Some(a), Some(b), Some(c), Some(d), Some(e)) => Some(GapColumns {
                p_shortfall: a,
                shortfall_p50: b,
                shortfall_p90: c,
                capacity_needed_p90: d,
                supply: e,
            }),
            _ => None,
        };
        rows.push(SweepRow {
            point: usize::try_from(point).map_err(|_| {
                Error::invalid(
                    format!("{}: row {}, column point", t.file(), r + 1),
                    point,
                    "a point number >= 0",
                )
            })?,
            values,
            year: i32::try_from(t.integer(r, c[k])?).unwrap_or(i32::MIN),
            region: match region_col {
                Some(rc) => Some(t.text(r, c[rc])?.to_string()),
                None => None,
            },
            kind: t.text(r, c[k + 1])?.to_string(),
            quantity: t.text(r, c[k + 2])?.to_string(),
            p05: float(r, c[k + 3])?,
            p50: float(r, c[k + 4])?,
            p95: float(r, c[k + 5])?,
            mean: float(r, c[k + 6])?,
            gap,
        });
    }
    Ok((parameters, rows))
}

/// What a sweep run wrote: which sweep, which shard, which points.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Fingerprint of the sweep file and grid, the same for every shard.
    pub sweep_id: String,
    /// The sweep file, as given.
    pub sweep_file: String,
    /// Points of the whole sweep.
    pub points: usize,
    /// This shard, 1-based.
    pub shard: usize,
    /// Number of shards.
    pub shards: usize,
}

/// The manifest's file name in an output folder.
pub const MANIFEST: &str = "sweep_manifest.toml";

impl Manifest {
    /// The manifest of shard `shard` of a sweep of `points` points.
    pub fn new(id: String, file: &Path, points: usize, shard: Shard) -> Manifest {
        Manifest {
            sweep_id: id,
            sweep_file: file.display().to_string(),
            points,
            shard: shard.k,
            shards: shard.n,
        }
    }

    /// Whether point `point` belongs to this manifest's shard.
    pub fn holds(&self, point: usize) -> bool {
        point % self.shards.max(1) == self.shard.saturating_sub(1)
    }

    /// The manifest as TOML.
    pub fn to_text(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::io(MANIFEST, e))
    }

    /// Reads `dir/sweep_manifest.toml`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::io(
                &file,
                format!("cannot read it ({e}); expected the output folder of a sweep"),
            )
        })?;
        crate::io::parse_toml(&text, "a manifest written by carecast sweep")
            .map_err(|e| e.context(&file))
    }
}

/// Checks that `shards` (output folder, manifest) are every shard of one
/// sweep and one split, each once.
pub fn check_shard_set(shards: &[(PathBuf, Manifest)]) -> Result<()> {
    let Some((first_dir, first)) = shards.first() else {
        return Err(Error::invalid(
            "merge",
            "no output folders",
            "the output folders of every shard",
        ));
    };
    for (i, (dir, m)) in shards.iter().enumerate() {
        let at = |e: Error| e.context(dir.display().to_string());
        if m.sweep_id != first.sweep_id || m.points != first.points {
            return Err(at(Error::invalid(
                "sweep",
                format!(
                    "{} ({} points), but {} holds sweep {} ({} points)",
                    m.sweep_id,
                    m.points,
                    first_dir.display(),
                    first.sweep_id,
                    first.points
                ),
                "shards of one sweep (same sweep file, seed and models)",
            )));
        }
        if m.shards != first.shards {
            return Err(at(Error::invalid(
                "shard",
                format!(
                    "{}/{}, but {} is shard {}/{}",
                    m.shard,
                    m.shards,
                    first_dir.display(),
                    first.shard,
                    first.shards
                ),
                "shards of one split",
            )));
        }
        if let Some((other, _)) = shards[..i].iter().find(|(_, o)| o.shard == m.shard) {
            return Err(at(Error::invalid(
                "shard",
                format!("{}/{}, also in {}", m.shard, m.shards, other.display()),
                "each shard once",
            )));
        }
    }
    let missing: Vec<String> = (1..=first.shards)
        .filter(|k| !shards.iter().any(|(_, m)| m.shard == *k))
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            format!("merge of sweep {}", first.sweep_id),
            format!("missing shards {}", missing.join(", ")),
            format!("all {} output folders", first.shards),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, k: usize, n: usize) -> (PathBuf, Manifest) {
        let m = Manifest::new(id.into(), Path::new("g.toml"), 10, Shard { k, n });
        (PathBuf::from(format!("out-{id}-{k}-{n}")), m)
    }

    #[test]
    fn a_shard_set_is_every_shard_of_one_sweep_once() {
        assert!(check_shard_set(&[shard("a", 2, 2), shard("a", 1, 2)]).is_ok());
        let err = |set: &[(PathBuf, Manifest)]| check_shard_set(set).unwrap_err().to_string();
        let e = err(&[shard("a", 1, 2), shard("b", 2, 2)]);
        assert!(
            e.contains("out-b-2-2") && e.contains("shards of one sweep"),
            "{e}"
        );
        let e = err(&[shard("a", 1, 2), shard("a", 2, 3)]);
        assert!(e.contains("shards of one split"), "{e}");
        let e = err(&[shard("a", 1, 2), shard("a", 1, 2)]);
        assert!(e.contains("each shard once"), "{e}");
        let e = err(&[shard("a", 1, 3), shard("a", 3, 3)]);
        assert!(e.contains("missing shards 2/3"), "{e}");
        let (_, m) = shard("a", 2, 3);
        assert!(m.holds(1) && m.holds(4) && !m.holds(0) && !m.holds(2));
    }
}
