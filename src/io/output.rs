//! Writing a set of output files so that none is ever half-written: every
//! file goes to a temporary name in the target folder first; only when all
//! are written are they renamed into place. On failure the temporaries are
//! removed and existing files are left as they were.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Files staged for one output folder.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
}

impl OutputSet {
    /// Creates `dir` if needed and checks that it can be written.
    pub fn new(dir: &Path) -> Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::io(
                dir.display(),
                "exists and is not a folder (expected an output folder)",
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::io(
                dir.display(),
                format!("cannot create the output folder: {e}"),
            )
        })?;
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` to a temporary file that becomes `name` on [`commit`](Self::commit).
    pub fn stage(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let temp = self.stage_path(name);
        if let Err(e) = std::fs::write(&temp, bytes) {
            self.abandon();
            return Err(Error::io(
                self.dir.join(name).display(),
                format!("cannot write: {e}"),
            ));
        }
        Ok(())
    }

    /// Registers `name` and returns the temporary path to write it to
    /// (for files written as a stream); it becomes `name` on
    /// [`commit`](Self::commit).
    pub fn stage_path(&mut self, name: &str) -> PathBuf {
        let target = self.dir.join(name);
        let temp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        self.staged.push((temp.clone(), target));
        temp
    }

    /// Renames every staged file into place; returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let staged = std::mem::take(&mut self.staged);
        let mut done = Vec::new();
        for (i, (temp, target)) in staged.iter().enumerate() {
            if let Err(e) = std::fs::rename(temp, target) {
                for (t, _) in &staged[i..] {
                    let _ = std::fs::remove_file(t);
                }
                return Err(Error::io(
                    target.display(),
                    format!("cannot move into place: {e}"),
                ));
            }
            done.push(target.clone());
        }
        Ok(done)
    }

    /// Removes every staged temporary.
    pub fn abandon(&mut self) {
        for (temp, _) in self.staged.drain(..) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        self.abandon();
    }
}
