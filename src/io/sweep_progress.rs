//! A sweep's progress on disk, so that a killed sweep (a pre-empted or
//! requeued job, a full disk, Ctrl-C) resumes where it stopped.
//!
//! A sweep writing to `OUT` keeps its progress in `OUT/.carecast-progress/`:
//! `progress.toml` (which sweep, shard and chunk size) and one file per
//! finished chunk, `chunk-NNNNNN.parquet`, holding the sweep rows of a run
//! of consecutive points of the shard. A chunk is written to a temporary
//! name, flushed to disk and only then renamed: a chunk file that exists
//! is complete, and a half-written one (a kill during its write) is a
//! temporary that the next run deletes. The same command run again finds
//! the finished chunks, computes only the others and writes the tables
//! from all chunks, byte for byte as an uninterrupted run; then the
//! progress folder is removed. Progress of a different sweep (another grid,
//! model file, seed, shard or carecast version: another sweep id) is never
//! resumed: the run is refused unless told to start over.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::sweep_file::{read_sweep_table, sweep_table, Manifest};
use crate::io::tables::Format;
use crate::sweep::{Parameter, SweepRow};

/// The progress folder's name inside a sweep's output folder.
pub const PROGRESS_DIR: &str = ".carecast-progress";
const PROGRESS_FILE: &str = "progress.toml";

/// Environment variable for the kill tests: `N` makes the process abort in
/// the middle of writing its `N`-th chunk (half the bytes written, not yet
/// renamed), as a kill at the worst moment would.
pub const ABORT_IN_CHUNK_ENV: &str = "CARECAST_TEST_ABORT_IN_CHUNK";

/// What a progress folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ProgressRecord {
    sweep_id: String,
    sweep_file: String,
    points: usize,
    shard: usize,
    shards: usize,
    chunk_points: usize,
}

/// The progress of one sweep run (one shard) in its output folder.
#[derive(Debug)]
pub struct Progress {
    dir: PathBuf,
    record: ProgressRecord,
    /// Points of this shard, in order.
    points: Vec<usize>,
    written: std::sync::atomic::AtomicUsize,
}

/// A chunk found finished when a sweep resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkState {
    /// To compute.
    Missing,
    /// Finished in an earlier run.
    Finished,
}

impl Progress {
    /// Opens the progress of the run described by `manifest` in `out`,
    /// running `points` (the shard's points, in order) in chunks of
    /// `chunk_points`: a new progress folder, or the existing one of the
    /// same sweep and shard (keeping its chunk size), with the state of
    /// every chunk. With `restart`, existing progress is discarded first.
    /// Progress of another sweep or shard is refused.
    pub fn open(
        out: &Path,
        manifest: &Manifest,
        points: Vec<usize>,
        chunk_points: usize,
        restart: bool,
    ) -> Result<(Progress, Vec<ChunkState>)> {
        let dir = out.join(PROGRESS_DIR);
        let io = |e: std::io::Error, what: &str| Error::io(dir.display(), format!("{what}: {e}"));
        let wanted = ProgressRecord {
            sweep_id: manifest.sweep_id.clone(),
            sweep_file: manifest.sweep_file.clone(),
            points: manifest.points,
            shard: manifest.shard,
            shards: manifest.shards,
            chunk_points: chunk_points.max(1),
        };
        if restart && dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| io(e, "cannot remove the progress of the earlier run"))?;
        }
        let record_path = dir.join(PROGRESS_FILE);
        let record = if record_path.is_file() {
            let text = std::fs::read_to_string(&record_path)
                .map_err(|e| Error::io(record_path.display(), format!("cannot read it: {e}")))?;
            let found: ProgressRecord = crate::io::parse_toml(
                &text,
                "the progress record of a sweep (written by carecast sweep)",
            )
            .map_err(|e| {
                e.context(format!(
                    "{} (start over with --restart)",
                    record_path.display()
                ))
            })?;
            let same = found.sweep_id == wanted.sweep_id
                && found.points == wanted.points
                && found.shard == wanted.shard
                && found.shards == wanted.shards;
            if !same {
                return Err(Error::invalid(
                    format!("{}", out.display()),
                    format!(
                        "the unfinished progress of another sweep: {} shard {}/{} (sweep id {}, {} points)",
                        found.sweep_file, found.shard, found.shards, found.sweep_id, found.points
                    ),
                    format!(
                        "progress of this sweep, {} shard {}/{} (sweep id {}): the grid, a model file, the seed, the shard or the carecast version changed. \
                         Resume with the same ones, start over with --restart (discards the finished points), or write to another --out",
                        wanted.sweep_file, wanted.shard, wanted.shards, wanted.sweep_id
                    ),
                ));
            }
            found
        } else {
            std::fs::create_dir_all(&dir)
                .map_err(|e| io(e, "cannot create the progress folder"))?;
            let text = toml::to_string(&wanted).map_err(|e| Error::io(PROGRESS_FILE, e))?;
            write_durably(&dir, PROGRESS_FILE, text.as_bytes(), false)?;
            wanted
        };
        let progress = Progress {
            dir,
            record,
            points,
            written: std::sync::atomic::AtomicUsize::new(0),
        };
        let states = progress.scan()?;
        Ok((progress, states))
    }

    /// Points per chunk.
    pub fn chunk_points(&self) -> usize {
        self.record.chunk_points
    }

    /// Number of chunks of the shard.
    pub fn chunks(&self) -> usize {
        self.points.len().div_ceil(self.record.chunk_points)
    }

    /// The points of chunk `chunk`, in order.
    pub fn chunk(&self, chunk: usize) -> &[usize] {
        let from = (chunk * self.record.chunk_points).min(self.points.len());
        let to = (from + self.record.chunk_points).min(self.points.len());
        &self.points[from..to]
    }

    fn chunk_name(chunk: usize) -> String {
        format!("chunk-{chunk:06}.parquet")
    }

    /// The file of chunk `chunk`.
    pub fn chunk_path(&self, chunk: usize) -> PathBuf {
        self.dir.join(Self::chunk_name(chunk))
    }

    /// Deletes the temporaries of killed writes and checks every finished
    /// chunk: a chunk that cannot be read back or holds other points is
    /// reported on stderr and computed again.
    fn scan(&self) -> Result<Vec<ChunkState>> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| {
            Error::io(
                self.dir.display(),
                format!("cannot list the progress folder: {e}"),
            )
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let mut states = vec![ChunkState::Missing; self.chunks()];
        for (c, state) in states.iter_mut().enumerate() {
            let path = self.chunk_path(c);
            if !path.is_file() {
                continue;
            }
            match self.read_chunk(c) {
                Ok(_) => *state = ChunkState::Finished,
                Err(e) => {
                    eprintln!("warning: {e}; its points are computed again");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        Ok(states)
    }

    /// Writes chunk `chunk` durably (temporary, flush to disk, rename).
    pub fn write_chunk(
        &self,
        chunk: usize,
        parameters: &[Parameter],
        rows: &[SweepRow],
    ) -> Result<()> {
        let bytes = sweep_table(parameters, rows, Format::Parquet)?;
        let nth = self
            .written
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let abort = std::env::var(ABORT_IN_CHUNK_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            == Some(nth);
        write_durably(&self.dir, &Self::chunk_name(chunk), &bytes, abort)
    }

    /// Reads chunk `chunk` back, checking that its rows are of its points.
    pub fn read_chunk(&self, chunk: usize) -> Result<Vec<SweepRow>> {
        let path = self.chunk_path(chunk);
        let (_, rows) = read_sweep_table(&path)?;
        let points = self.chunk(chunk);
        if let Some(r) = rows
            .iter()
            .find(|r| points.binary_search(&r.point).is_err())
        {
            return Err(Error::invalid(
                path.display().to_string(),
                format!("a row of point {}", r.point),
                format!(
                    "rows of the points of chunk {chunk} ({} to {})",
                    points.first().copied().unwrap_or(0),
                    points.last().copied().unwrap_or(0)
                ),
            ));
        }
        if rows.windows(2).any(|w| w[1].point < w[0].point) {
            return Err(Error::invalid(
                path.display().to_string(),
                "rows out of point order",
                "rows in point order",
            ));
        }
        Ok(rows)
    }

    /// Removes the progress folder (the tables are written).
    pub fn remove(self) -> Result<()> {
        std::fs::remove_dir_all(&self.dir).map_err(|e| {
            Error::io(
                self.dir.display(),
                format!("cannot remove the progress folder: {e}"),
            )
        })
    }
}

/// Writes `dir/name` so that it exists only complete: a temporary, flushed
/// to disk, renamed. With `abort`, the process aborts halfway through the
/// temporary (for the kill tests).
fn write_durably(dir: &Path, name: &str, bytes: &[u8], abort: bool) -> Result<()> {
    use std::io::Write;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&temp);
        Error::io(target.display(), format!("cannot write: {e}"))
    };
    let mut file = std::fs::File::create(&temp).map_err(fail)?;
    if abort {
        let half = bytes.len() / 2;
        let _ = file
            .write_all(&bytes[..half])
            .and_then(|()| file.sync_all());
        std::process::abort();
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    drop(file);
    std::fs::rename(&temp, &target).map_err(fail)?;
    // Make the rename itself durable where the platform allows.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
