//! `carecast sweep` and `carecast merge`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::{out, wrote, MergeArgs, SweepArgs};
use crate::io::sweep_file::{
    check_shard_set, read_sweep, read_sweep_table, sweep_table, sweep_table_path, Manifest,
    SweepRow, SweepSpec, MANIFEST,
};
use crate::io::{Format, OutputSet};
use crate::model::Model;
use crate::sweep::{prepare_point, run_point, Parameter, Shard};

/// The models of a sweep, loaded once each.
struct Models {
    by_path: BTreeMap<PathBuf, Model>,
}

impl Models {
    fn load(spec: &SweepSpec) -> Result<Models> {
        let mut by_path = BTreeMap::new();
        for i in 0..spec.grid.len() {
            let Some(path) = spec.model_of(i) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(slot) = by_path.entry(path) {
                let model = crate::io::model_file::load(slot.key())?;
                slot.insert(model);
            }
        }
        Ok(Models { by_path })
    }

    fn of(&self, spec: &SweepSpec, index: usize) -> Result<&Model> {
        let path = spec
            .model_of(index)
            .context("the sweep names no model for this point")?;
        self.by_path
            .get(&path)
            .with_context(|| format!("model {} not loaded", path.display()))
    }
}

/// The staged outputs of a sweep (or a merge): both table formats and the manifest.
fn write_outputs(
    dir: &Path,
    parameters: &[Parameter],
    rows: &[SweepRow],
    manifest: &Manifest,
) -> Result<Vec<PathBuf>> {
    let csv = sweep_table(parameters, rows, Format::Csv)?;
    let parquet = sweep_table(parameters, rows, Format::Parquet)?;
    let mut output = OutputSet::new(dir)?;
    output.stage("sweep.csv", &csv)?;
    output.stage("sweep.parquet", &parquet)?;
    output.stage(MANIFEST, manifest.to_text()?.as_bytes())?;
    Ok(output.commit()?)
}

/// Points (by label) whose P(shortfall) exceeds the threshold, per service and year.
fn flags(rows: &[SweepRow], threshold: f64, labels: &dyn Fn(usize) -> String) -> String {
    let mut by: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    let mut points: Vec<usize> = rows.iter().map(|r| r.point).collect();
    points.dedup();
    for r in rows {
        if let Some(g) = r.gap {
            if g.p_shortfall > threshold {
                by.entry((r.quantity.clone(), r.year))
                    .or_default()
                    .push(r.point);
            }
        }
    }
    if by.is_empty() {
        return format!(
            "no point leaves a service short with P(shortfall) > {threshold} in the report years\n"
        );
    }
    let mut text = format!(
        "points leaving a service short with P(shortfall) > {threshold} (of {}):\n",
        points.len()
    );
    for ((service, year), list) in &by {
        let shown: Vec<String> = list.iter().take(3).map(|&p| labels(p)).collect();
        let more = if list.len() > 3 {
            format!(", ... {} more", list.len() - 3)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  {service} {year}: {} points ({}{more})\n",
            list.len(),
            shown.join(" | ")
        ));
    }
    text
}

pub fn run(args: &SweepArgs) -> Result<()> {
    let mut spec = read_sweep(&args.grid)?;
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    let shard = match &args.shard {
        Some(text) => Shard::parse(text).context("--shard")?,
        None => Shard::ALL,
    };
    let models = Models::load(&spec)?;
    // Check every point of the whole sweep before any work, so that a bad
    // parameter fails fast (and the same way on every shard).
    let settings = spec.point_settings();
    for i in 0..spec.grid.len() {
        let model = models.of(&spec, i)?;
        prepare_point(&spec.grid, &settings, model, i)
            .map_err(|e| e.context(spec.file.display().to_string()))?;
    }
    let id = spec.id()?;
    let points = shard.points(spec.grid.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(points.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "sweep [{bar:40}] {pos}/{len} points, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    };
    let start = std::time::Instant::now();
    let results: Vec<Result<Vec<SweepRow>>> = pool.install(|| {
        points
            .par_iter()
            .map(|&i| {
                let rows = models
                    .of(&spec, i)
                    .and_then(|model| Ok(run_point(&spec.grid, &settings, model, i)?));
                bar.inc(1);
                rows
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut rows = Vec::new();
    for r in results {
        rows.extend(r?);
    }
    let stem = args
        .grid
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "grid".into());
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("notebooks-out").join(format!("sweep-{stem}")));
    let parameters: Vec<Parameter> = spec
        .grid
        .axes()
        .iter()
        .map(|a| a.parameter.clone())
        .collect();
    let manifest = Manifest::new(id, &args.grid, spec.grid.len(), shard);
    let written = write_outputs(&dir, &parameters, &rows, &manifest)?;
    if !args.quiet {
        let elapsed = start.elapsed().as_secs_f64();
        let mut text = format!(
            "sweep {}: {} of {} points (shard {}/{}), {} trajectories each, in {:.1} s ({:.2} s per point)\n",
            args.grid.display(),
            points.len(),
            spec.grid.len(),
            shard.k,
            shard.n,
            spec.trajectories,
            elapsed,
            elapsed / points.len().max(1) as f64
        );
        text.push_str(&flags(&rows, spec.threshold, &|p| spec.grid.label(p)));
        text.push_str(&wrote(&written));
        out(&text);
    }
    Ok(())
}

pub fn merge(args: &MergeArgs) -> Result<()> {
    let shards: Vec<(PathBuf, Manifest)> = args
        .dirs
        .iter()
        .map(|dir| Ok((dir.clone(), Manifest::read(dir)?)))
        .collect::<Result<_>>()?;
    check_shard_set(&shards)?;
    let first = shards[0].1.clone();
    let mut parameters: Option<Vec<Parameter>> = None;
    let mut rows = Vec::new();
    for (dir, m) in &shards {
        let table = sweep_table_path(dir);
        let (params, part) = read_sweep_table(&table)?;
        if parameters.as_ref().is_some_and(|p| *p != params) {
            bail!(
                "{}: other parameter columns than the first shard's",
                table.display()
            );
        }
        if let Some(r) = part.iter().find(|r| !m.holds(r.point)) {
            bail!(
                "{}: sweep.csv: point {} does not belong to shard {}/{}",
                dir.display(),
                r.point,
                m.shard,
                m.shards
            );
        }
        parameters = Some(params);
        rows.extend(part);
    }
    // Stable: rows of a point keep their order.
    rows.sort_by_key(|r| r.point);
    let manifest = Manifest {
        shard: 1,
        shards: 1,
        ..first
    };
    let written = write_outputs(&args.out, &parameters.unwrap_or_default(), &rows, &manifest)?;
    if !args.quiet {
        out(&format!(
            "merged {} shards of sweep {} ({} points)\n{}",
            shards.len(),
            manifest.sweep_id,
            manifest.points,
            wrote(&written)
        ));
    }
    Ok(())
}
