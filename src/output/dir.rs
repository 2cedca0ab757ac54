//! Writing an output folder all at once: files go to a hidden staging folder inside OUT_DIR,
//! then are renamed into place, so a failed run leaves nothing half-written and every write
//! stays inside OUT_DIR.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path};

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
        if !is_safe_relative(name) {
            return Err(Error::Output(
                out.to_path_buf(),
                format!("refusing to write {name:?}: not a plain relative path"),
            ));
        }
    }
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
    let staging = out.join(STAGING);
    let result = stage_and_commit(out, &staging, files, &earlier);
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
        if !existed {
            let _ = fs::remove_dir_all(out);
        }
    }
    result
}

fn stage_and_commit(
    out: &Path,
    staging: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    earlier: &[String],
) -> Result<(), Error> {
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(|e| Error::io(staging, e))?;
    }
    for (name, bytes) in files {
        let path = staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    // Everything is staged: now replace. Files of the earlier output that the new one lacks
    // go, so the folder never mixes two runs.
    for name in earlier {
        if !files.contains_key(name) {
            let path = out.join(name);
            if path.is_file() {
                fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    for name in files.keys() {
        let from = staging.join(name);
        let to = out.join(name);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
    }
    fs::remove_dir_all(staging).map_err(|e| Error::io(staging, e))?;
    Ok(())
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
