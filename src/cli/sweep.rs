//! `carecast sweep` and `carecast merge`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::{out, wrote, MergeArgs, SweepArgs};
use crate::io::sweep_file::{
    check_shard_set, read_sweep, read_sweep_table, sweep_table_path, Manifest, SweepRow, SweepSpec,
    SweepTableWriter, MANIFEST,
};
use crate::io::sweep_progress::{ChunkState, Progress, PROGRESS_DIR};
use crate::io::OutputSet;
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

/// Points per progress chunk by default: a chunk of Jiaxing points at
/// 1,000 trajectories takes about a second on two cores.
pub const CHUNK_POINTS: usize = 16;

/// The rows of every point with P(shortfall) above a threshold, gathered
/// as the tables are written.
struct Flags {
    threshold: f64,
    /// Per service and year: the points flagged and the first few of them
    /// (all that is shown, so memory does not grow with the points).
    by: BTreeMap<(String, i32), (usize, Vec<usize>)>,
}

/// Flagged points named per service and year; the rest are counted.
const FLAGS_SHOWN: usize = 3;

impl Flags {
    fn new(threshold: f64) -> Flags {
        Flags {
            threshold,
            by: BTreeMap::new(),
        }
    }

    fn see(&mut self, rows: &[SweepRow]) {
        for r in rows {
            if let Some(g) = r.gap {
                if g.p_shortfall > self.threshold {
                    let name = match r.region.as_deref() {
                        Some(region) if region != "total" => format!("{region}/{}", r.quantity),
                        _ => r.quantity.clone(),
                    };
                    let (count, shown) = self.by.entry((name, r.year)).or_default();
                    *count += 1;
                    if shown.len() < FLAGS_SHOWN {
                        shown.push(r.point);
                    }
                }
            }
        }
    }

    /// Points (by label) whose P(shortfall) exceeds the threshold, per
    /// service and year, of `points` points run.
    fn text(&self, points: usize, labels: &dyn Fn(usize) -> String) -> String {
        let threshold = self.threshold;
        if self.by.is_empty() {
            return format!(
                "no point leaves a service short with P(shortfall) > {threshold} in the report years\n"
            );
        }
        let mut text = format!(
            "points leaving a service short with P(shortfall) > {threshold} (of {points}):\n"
        );
        for ((service, year), (count, list)) in &self.by {
            let shown: Vec<String> = list.iter().map(|&p| labels(p)).collect();
            let more = if *count > list.len() {
                format!(", ... {} more", count - list.len())
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  {service} {year}: {count} points ({}{more})\n",
                shown.join(" | ")
            ));
        }
        text
    }
}

/// Stages the manifest beside the tables and moves all into place.
fn commit_outputs(mut output: OutputSet, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    output.stage(MANIFEST, manifest.to_text()?.as_bytes())?;
    Ok(output.commit()?)
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
    // The check runs on the worker threads (each shard checks every point,
    // so its cost is the overhead of sharding); the first bad point in grid
    // order is reported whatever the thread count.
    let settings = spec.point_settings();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let checks: Vec<Result<()>> = pool.install(|| {
        (0..spec.grid.len())
            .into_par_iter()
            .map(|i| {
                let model = models.of(&spec, i)?;
                prepare_point(&spec.grid, &settings, model, i)
                    .map_err(|e| e.context(spec.file.display().to_string()))?;
                Ok(())
            })
            .collect()
    });
    checks.into_iter().collect::<Result<()>>()?;
    let id = spec.id()?;
    let points = shard.points(spec.grid.len());
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
    // Check the output folder before any work.
    let output = OutputSet::new(&dir)?;
    let (progress, states) = Progress::open(
        &dir,
        &manifest,
        points.clone(),
        args.chunk_points,
        args.restart,
    )?;
    let todo: Vec<usize> = (0..progress.chunks())
        .filter(|&c| states[c] == ChunkState::Missing)
        .collect();
    let done_points: usize = (0..progress.chunks())
        .filter(|&c| states[c] == ChunkState::Finished)
        .map(|c| progress.chunk(c).len())
        .sum();
    if done_points > 0 && !args.quiet {
        eprintln!(
            "resuming: {done_points} of {} points finished in an earlier run (in {})",
            points.len(),
            dir.join(PROGRESS_DIR).display()
        );
    }
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
        bar.set_position(done_points as u64);
        bar.reset_eta();
        bar
    };
    let start = std::time::Instant::now();
    // Chunks run in parallel on the pool, and so do the points of a chunk;
    // one writer thread, outside the pool, writes each chunk as soon as its
    // points are done. Writing on a pool thread would let that thread, while
    // it waits for the Parquet encoder's own threads, steal and start
    // further chunks on top of its stack: memory would grow with the points.
    // The channel holds at most one chunk per thread, so memory stays flat.
    let (finished, to_write) =
        std::sync::mpsc::sync_channel::<(usize, Vec<SweepRow>)>(pool.current_num_threads());
    let (results, written): (Vec<Result<()>>, Result<()>) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| -> Result<()> {
            for (c, rows) in to_write {
                progress.write_chunk(c, &parameters, &rows)?;
            }
            Ok(())
        });
        let results = pool.install(|| {
            todo.par_iter()
                .map(|&c| {
                    let rows: Vec<Vec<SweepRow>> = progress
                        .chunk(c)
                        .par_iter()
                        .map(|&i| {
                            let rows = models
                                .of(&spec, i)
                                .and_then(|model| Ok(run_point(&spec.grid, &settings, model, i)?));
                            bar.inc(1);
                            rows
                        })
                        .collect::<Result<_>>()?;
                    // A send fails only when the writer has stopped on an
                    // error, which is reported below.
                    finished
                        .send((c, rows.concat()))
                        .map_err(|_| anyhow::anyhow!("the chunk writer stopped"))
                })
                .collect()
        });
        drop(finished);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the chunk writer panicked")));
        (results, written)
    });
    let first_error = written
        .err()
        .or_else(|| results.into_iter().find_map(Result::err));
    bar.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e.context(format!(
            "the sweep stopped; its finished points are kept in {}: run the same command again to resume",
            dir.join(PROGRESS_DIR).display()
        )));
    }
    // Every chunk is on disk: write the tables from them, in point order.
    let mut output = output;
    let regional = models.by_path.values().any(|m| !m.regions.is_empty());
    let mut writer = SweepTableWriter::new(&mut output, &parameters, regional);
    let mut flags = Flags::new(spec.threshold);
    for c in 0..progress.chunks() {
        let mut rows = progress.read_chunk(c)?;
        for r in &mut rows {
            r.values = spec
                .grid
                .point(r.point)
                .into_iter()
                .map(|(_, v)| v.clone())
                .collect();
        }
        flags.see(&rows);
        writer.push(rows)?;
    }
    writer.finish()?;
    let written = commit_outputs(output, &manifest)?;
    progress.remove()?;
    if !args.quiet {
        let elapsed = start.elapsed().as_secs_f64();
        let computed = points.len() - done_points;
        let mut text = format!(
            "sweep {}: {} of {} points (shard {}/{}), {} trajectories each, in {:.1} s ({:.2} s per point{})\n",
            args.grid.display(),
            points.len(),
            spec.grid.len(),
            shard.k,
            shard.n,
            spec.trajectories,
            elapsed,
            elapsed / computed.max(1) as f64,
            if done_points > 0 {
                format!("; {done_points} resumed")
            } else {
                String::new()
            }
        );
        text.push_str(&flags.text(points.len(), &|p| spec.grid.label(p)));
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
    let mut output = OutputSet::new(&args.out)?;
    let regional = rows.iter().any(|r: &SweepRow| r.region.is_some());
    let mut writer = SweepTableWriter::new(&mut output, &parameters.unwrap_or_default(), regional);
    writer.push(rows)?;
    writer.finish()?;
    let written = commit_outputs(output, &manifest)?;
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
