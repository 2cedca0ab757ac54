//! Writing an output folder all at once: files go to a hidden staging folder inside OUT_DIR,
//! then are renamed into place, so a failed run leaves nothing half-written and every write
//! stays inside OUT_DIR.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

const STAGING: &str = ".ancillary-staging";

/// True when `dir/summary.json` says `"program": "ancillary"`: an earlier output of ours,
/// which a new run may replace.
pub fn is_ancillary_output(dir: &Path) -> bool {
    earlier_files(dir).is_some()
}

/// The files an earlier output listed, if `dir` holds one.
fn earlier_files(dir: &Path) -> Option<Vec<String>> {
    let bytes = fs::read(dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if v.get("program")?.as_str()? != "ancillary" {
        return None;
    }
    // Files added after the summary was written (report, audit) belong to the output too.
    let mut files: Vec<String> = v
        .get("files")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str().map(String::from))
        .filter(|f| is_safe_relative(f))
        .collect();
    files.extend(["report.html", "audit.csv", "audit.json"].map(String::from));
    Some(files)
}

/// A relative path of plain components only: nothing can escape the folder.
pub fn is_safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Writes `files` (relative name → bytes) into `out`.
///
/// - `out` absent: created, filled, done.
/// - `out` an earlier ancillary output: its listed files are replaced by the new ones.
/// - `out` anything else: refused unless `force`, in which case the new files are written into
///   it and nothing else there is touched.
pub fn write(out: &Path, files: &BTreeMap<String, Vec<u8>>, force: bool) -> Result<(), Error> {
    for name in files.keys() {
        check_name(out, name)?;
    }
    let mut staged = Staged::begin(out, force)?;
    for (name, bytes) in files {
        staged.write(name, bytes)?;
    }
    staged.commit()
}

fn check_name(out: &Path, name: &str) -> Result<(), Error> {
    if is_safe_relative(name) {
        Ok(())
    } else {
        Err(Error::Output(
            out.to_path_buf(),
            format!("refusing to write {name:?}: not a plain relative path"),
        ))
    }
}

/// An output folder being written: files go to the staging folder, by whole buffers or
/// appended piece by piece, and replace the earlier output only at [`Staged::commit`]. Dropped
/// uncommitted (an error on the way), it removes what it staged, and `out` itself when it
/// created it.
pub struct Staged {
    out: PathBuf,
    staging: PathBuf,
    existed: bool,
    earlier: Vec<String>,
    open: BTreeMap<String, BufWriter<fs::File>>,
    names: BTreeSet<String>,
    committed: bool,
}

impl Staged {
    /// Checks `out` as [`write`] does and creates an empty staging folder inside it.
    pub fn begin(out: &Path, force: bool) -> Result<Staged, Error> {
        let existed = out.exists();
        let earlier = if existed {
            if !out.is_dir() {
                return Err(Error::Output(
                    out.to_path_buf(),
                    "exists and is not a folder".into(),
                ));
            }
            let earlier = earlier_files(out);
            if earlier.is_none() && !force {
                return Err(Error::OutputNotOurs(out.to_path_buf()));
            }
            earlier.unwrap_or_default()
        } else {
            fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
            Vec::new()
        };
        let staged = Staged {
            out: out.to_path_buf(),
            staging: out.join(STAGING),
            existed,
            earlier,
            open: BTreeMap::new(),
            names: BTreeSet::new(),
            committed: false,
        };
        if staged.staging.exists() {
            fs::remove_dir_all(&staged.staging).map_err(|e| Error::io(&staged.staging, e))?;
        }
        fs::create_dir_all(&staged.staging).map_err(|e| Error::io(&staged.staging, e))?;
        Ok(staged)
    }

    fn path(&self, name: &str) -> Result<PathBuf, Error> {
        check_name(&self.out, name)?;
        let path = self.staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(path)
    }

    /// Stages a whole file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path(name)?;
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        self.names.insert(name.to_string());
        Ok(())
    }

    /// Appends to a staged file, creating it (with `header` first) on the first call.
    pub fn append(&mut self, name: &str, header: &[u8], bytes: &[u8]) -> Result<(), Error> {
        if !self.open.contains_key(name) {
            let path = self.path(name)?;
            let file = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            w.write_all(header).map_err(|e| Error::io(&path, e))?;
            self.open.insert(name.to_string(), w);
            self.names.insert(name.to_string());
        }
        let w = self.open.get_mut(name).expect("opened above");
        w.write_all(bytes)
            .map_err(|e| Error::io(self.staging.join(name), e))
    }

    /// The files staged so far, by name.
    pub fn names(&self) -> &BTreeSet<String> {
        &self.names
    }

    /// Everything is staged: replace the earlier output. Files of the earlier output that the
    /// new one lacks go, so the folder never mixes two runs.
    pub fn commit(mut self) -> Result<(), Error> {
        for (name, mut w) in std::mem::take(&mut self.open) {
            w.flush()
                .map_err(|e| Error::io(self.staging.join(&name), e))?;
        }
        for name in &self.earlier {
            if !self.names.contains(name) {
                let path = self.out.join(name);
                if path.is_file() {
                    fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                }
            }
        }
        for name in &self.names {
            let from = self.staging.join(name);
            let to = self.out.join(name);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
        fs::remove_dir_all(&self.staging).map_err(|e| Error::io(&self.staging, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            self.open.clear();
            let _ = fs::remove_dir_all(&self.staging);
            if !self.existed {
                let _ = fs::remove_dir_all(&self.out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert!(is_safe_relative("clearing.csv"));
        assert!(is_safe_relative("statements/U1.csv"));
        assert!(!is_safe_relative("../x.csv"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("statements/../../x"));
        assert!(!is_safe_relative(""));
    }
}
