//! Output folders that are never torn, never lost and never mixed.
//!
//! - **One writer at a time.** Every write into OUT_DIR holds an exclusive lock (`flock`) on
//!   `.NAME.ancillary-lock` beside it. A second run into the same folder fails at once with a
//!   plain message. The lock goes with its process, so a killed run never leaves it held.
//! - **Whole or nothing.** The new output is built in a hidden folder beside OUT_DIR, on the
//!   same file system, synced to disk, and swapped in by one atomic rename (`renameat2` with
//!   `RENAME_EXCHANGE` on Linux, `renameatx_np` with `RENAME_SWAP` on macOS). A reader, or a
//!   crash at any instant, sees the whole earlier output or the whole new one.
//! - **Only what we wrote is replaced.** An earlier output is recognised only by its manifest,
//!   `ancillary.sha256` (one `digest  name` line per file, as `sha256sum -c` reads it), and
//!   only when every file in the folder is listed there with a matching digest, no entry is a
//!   symbolic link, every listed name is one we could have written, and its `summary.json`
//!   says `"program": "ancillary"` and lists the same names. Anything else is not
//!   ours: refused without `--force`, and with it our files are written in one by one and
//!   nothing else is touched. No file whose digest does not match is ever deleted.
//! - **Stale staging is cleaned.** Whoever holds the lock removes the hidden folders a killed
//!   run left beside OUT_DIR, deleting only files that match their manifest or, in a folder
//!   killed before its manifest, that its journal (`.ancillary-staging`, which names the folder
//!   itself and each file created in it by inode and birth time, and once whole by inode, size
//!   and modification time) names; anything else is renamed into sight as
//!   `NAME.ancillary-kept-…`. A `-swap` folder is put back only when it is an intact output. The lock file itself is never followed through a link, and
//!   one that is not a lock file of ours is refused untouched.
//! - **No symbolic link inside OUT_DIR is followed.** (OUT_DIR itself may be one: the user named
//!   it, and it is resolved first.)

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The manifest of an output folder: the files we wrote and their SHA-256 digests.
pub const MANIFEST: &str = "ancillary.sha256";

/// The most bytes a manifest may have (a year's output lists a few thousand files).
const MANIFEST_LIMIT: u64 = 64 << 20;

/// How many reasons a refusal names.
const REASONS_SHOWN: usize = 3;

/// A relative path of plain components only: nothing can escape the folder.
pub fn is_safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// A name we could have written: a top-level `.csv`, `.parquet`, `.json` or `.html` file, or a statement
/// under `statements/`. A forged manifest can never make us delete anything else.
pub fn could_be_ours(name: &str) -> bool {
    if !is_safe_relative(name) || name.contains('\\') {
        return false;
    }
    let parts: Vec<&str> = name.split('/').collect();
    match parts[..] {
        [file] => {
            file != MANIFEST
                && [".csv", ".parquet", ".json", ".html"]
                    .iter()
                    .any(|e| file.ends_with(e))
        }
        ["statements", file] => file.ends_with(".csv"),
        _ => false,
    }
}

/// Writes `files` (relative name → bytes) as the whole output in `out` (what `run` does).
///
/// - `out` absent: created, filled, done.
/// - `out` an intact earlier output of ours: replaced by the new one in one step.
/// - `out` anything else: refused unless `force`, in which case the new files are written
///   into it one by one, and nothing else there is touched.
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

/// Adds `files` to the output in `out` (what `report` and `audit` do), keeping the rest.
///
/// An intact output of ours is swapped for a copy with the files added (the other files
/// hard-linked, not copied). Any other folder gets the files one by one; a file of that name
/// that we did not write is replaced only with `force`.
pub fn add(out: &Path, files: &BTreeMap<String, Vec<u8>>, force: bool) -> Result<(), Error> {
    lock(out)?.add(files, force)
}

/// Writes one file at `path` through a temporary file beside it, renamed into place only
/// when whole (a full disk leaves nothing behind). An existing file is replaced only when
/// `replace` is set.
pub fn write_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), Error> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.is_file() {
            return Err(Error::Output(
                path.to_path_buf(),
                "exists and is not a regular file (a link, folder, FIFO or device is never replaced): choose another file".into(),
            ));
        }
        if !replace {
            return Err(Error::Output(
                path.to_path_buf(),
                "exists; choose another file, or pass --force to replace it".into(),
            ));
        }
    }
    // The same lock and cleanup as a folder: one writer at a time, and the temporary file of a
    // killed writer removed by the next.
    let lock = lock(path)?;
    let place = &lock.place;
    let mut tmp = tempfile::Builder::new()
        .prefix(&place.beside("tmp-"))
        .rand_bytes(STAGING_RANDOM)
        .tempfile_in(&place.parent)
        .map_err(|e| place.error(format!("cannot create a temporary file beside it: {e}")))?;
    // So that the next writer, if this one is killed, knows the temporary file for ours.
    // By inode and birth time: a file that later reuses the inode is born later. (Where the
    // file system keeps no birth time nothing is noted, and a leftover is kept in sight.)
    if let Ok(meta) = tmp.as_file().metadata()
        && let Some(born) = meta.created().ok().and_then(nanos)
    {
        let _ = write!(&lock.file, " {} {born}", inode(&meta));
    }
    let written = tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all());
    written.map_err(|e| place.error(format!("cannot write it: {e}")))?;
    let persisted = if replace {
        tmp.persist(&place.path).map(drop)
    } else {
        tmp.persist_noclobber(&place.path).map(drop)
    };
    persisted.map_err(|e| place.error(format!("cannot write it: {}", e.error)))?;
    sync_dir(&place.parent);
    Ok(())
}

fn check_name(out: &Path, name: &str) -> Result<(), Error> {
    if is_safe_relative(name) && name != MANIFEST {
        Ok(())
    } else {
        Err(Error::Output(
            out.to_path_buf(),
            format!("refusing to write {name:?}: not a plain relative path of ours"),
        ))
    }
}

/// OUT_DIR as the user named it and as an absolute path, with its parent and name.
struct Place {
    shown: PathBuf,
    path: PathBuf,
    parent: PathBuf,
    name: OsString,
}

impl Place {
    fn resolve(out: &Path) -> Result<Place, Error> {
        let shown = out.to_path_buf();
        let path = match fs::symlink_metadata(out) {
            // An existing OUT_DIR (or a link the user named as OUT_DIR) is resolved first.
            Ok(_) => fs::canonicalize(out).map_err(|e| Error::io(out, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = out
                    .file_name()
                    .ok_or_else(|| Error::Output(shown.clone(), "names no folder".into()))?;
                let parent = match out.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                fs::canonicalize(parent)
                    .map_err(|e| Error::io(parent, e))?
                    .join(name)
            }
            Err(e) => return Err(Error::io(out, e)),
        };
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Error::Output(shown, "is a file system's root".into()));
        };
        Ok(Place {
            parent: parent.to_path_buf(),
            name: name.to_os_string(),
            path: path.clone(),
            shown,
        })
    }

    /// `.NAME.ancillary-WHAT`, beside OUT_DIR.
    fn beside(&self, what: &str) -> OsString {
        let mut s = OsString::from(".");
        s.push(&self.name);
        s.push(".ancillary-");
        s.push(what);
        s
    }

    fn error(&self, what: impl Into<String>) -> Error {
        Error::Output(self.shown.clone(), what.into())
    }

    /// Whether `name` is one of our staging folders for OUT_DIR: `.NAME.ancillary-tmp-` and
    /// exactly the six random characters the staging folder gets, optionally `-swap` (an
    /// earlier output moved aside). Nothing else is ever cleaned up, so another folder's
    /// staging (`a.ancillary-tmp-x` gives `.a.ancillary-tmp-x.ancillary-tmp-…`) is safe.
    /// `Some(true)` for a moved-aside earlier output.
    fn staging_kind(&self, name: &OsStr) -> Option<bool> {
        let prefix = self.beside("tmp-");
        let rest = name
            .as_encoded_bytes()
            .strip_prefix(prefix.as_encoded_bytes())?;
        let (random, swapped) = match rest.strip_suffix(b"-swap") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        (random.len() == STAGING_RANDOM && random.iter().all(u8::is_ascii_alphanumeric))
            .then_some(swapped)
    }
}

/// Random characters in a staging folder's name.
const STAGING_RANDOM: usize = 6;

/// An exclusive hold on an output folder, released (and its lock file removed) on drop or
/// when the process ends, however it ends.
pub struct Lock {
    place: Place,
    path: PathBuf,
    file: fs::File,
}

/// Takes the lock on `out`, or fails at once when another run holds it.
pub fn lock(out: &Path) -> Result<Lock, Error> {
    let place = Place::resolve(out)?;
    let path = place.parent.join(place.beside("lock"));
    // The holder removes the lock file as it leaves: a lock taken on a file that is no longer
    // at `path` locks nothing, so take it again.
    for _ in 0..16 {
        let (mut file, left) = open_lock_file(&place, &path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                // The process id, before the temporary file's inode a `write_file` adds.
                let who = match pid.split_whitespace().next().unwrap_or("") {
                    "" => "another ancillary run".to_string(),
                    pid => format!("another ancillary run (process {pid})"),
                };
                return Err(place.error(format!(
                    "{who} is writing this folder; wait for it to finish, or choose another folder"
                )));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(place.error(format!("cannot lock it: {e}")));
            }
        }
        if still_at(&file, &path) {
            let _ = file.set_len(0);
            let _ = write!(file, "{}", std::process::id());
            let lock = Lock { place, path, file };
            // First thing under the lock: put back or clean up what a killed run left. A
            // lock file left with an inode after the process id names the temporary file its
            // killed `write_file` made.
            let left = String::from_utf8_lossy(&left).into_owned();
            let fields: Vec<&str> = left.split_whitespace().collect();
            let temp_file = match fields[..] {
                [_, ino, born] => ino.parse::<u64>().ok().zip(born.parse::<u128>().ok()),
                _ => None,
            };
            lock.clean_stale(temp_file)?;
            return Ok(lock);
        }
    }
    Err(place.error("cannot lock it: its lock file keeps changing"))
}

/// The most bytes a lock file of ours holds (a process id, and a temporary file's inode and
/// birth time in nanoseconds: 10 + 1 + 20 + 1 + 20 digits and spaces, rounded up).
const LOCK_LIMIT: u64 = 64;

/// Opens (or creates) the lock file at `path`, never through a symbolic link and never a
/// file that is not a lock file of ours: a link, a folder, a FIFO, a file with other hard
/// links, or one holding anything but a process id is refused, untouched (the lock file is
/// truncated and removed later, so anything else there would be lost).
fn open_lock_file(place: &Place, path: &Path) -> Result<(fs::File, Vec<u8>), Error> {
    let refuse = |why: &str| {
        place.error(format!(
            "its lock file {} {why}; ancillary never writes or removes a file it did not create: move it away, or choose another folder",
            path.display()
        ))
    };
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NOFOLLOW: a link planted at the lock file's name fails to open (ELOOP) instead
        // of its target being truncated. O_NONBLOCK: a FIFO there never blocks the open.
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) => {
            return Err(match fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => refuse("is a symbolic link"),
                _ => place.error(format!("cannot create its lock file: {e}")),
            });
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| place.error(format!("cannot read its lock file: {e}")))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file"));
    }
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(&meta) > 1 {
        return Err(refuse("has other hard links"));
    }
    if meta.len() > LOCK_LIMIT {
        return Err(refuse("holds more than a process id"));
    }
    let mut text = Vec::new();
    (&file)
        .take(LOCK_LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(|e| place.error(format!("cannot read its lock file: {e}")))?;
    // A process id, and after a space the inode of the temporary file a `write_file` made.
    if !text.iter().all(|b| b.is_ascii_digit() || *b == b' ') {
        return Err(refuse("holds more than a process id"));
    }
    (&file)
        .rewind()
        .map_err(|e| place.error(format!("cannot read its lock file: {e}")))?;
    Ok((file, text))
}

#[cfg(unix)]
fn still_at(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &fs::File, path: &Path) -> bool {
    path.exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held; the file closes (and unlocks) after this. (Windows cannot
        // remove a file another process holds open: there the lock file stays, reused.)
        #[cfg(unix)]
        let _ = fs::remove_file(&self.path);
    }
}

impl Lock {
    /// Removes what killed runs left beside OUT_DIR. Only the lock holder creates staging
    /// folders, so while we hold it every one there is stale. Nothing is deleted that a
    /// manifest or a staging journal does not vouch for; the rest is kept in sight.
    fn clean_stale(&self, temp_file: Option<(u64, u128)>) -> Result<(), Error> {
        let Ok(entries) = fs::read_dir(&self.place.parent) else {
            return Ok(());
        };
        let mut stale: Vec<(PathBuf, bool)> = Vec::new();
        for e in entries.flatten() {
            let Some(swapped) = self.place.staging_kind(&e.file_name()) else {
                continue;
            };
            match fs::symlink_metadata(e.path()) {
                Ok(m) if m.is_dir() => stale.push((e.path(), swapped)),
                // The temporary file of a killed `write_file`, which noted its inode in the
                // lock file; any other file of that name is not ours.
                Ok(m) if m.is_file() && !swapped => {
                    // (Where files have no inode, nothing vouches for one: it is kept.)
                    let born = m.created().ok().and_then(nanos);
                    if cfg!(unix)
                        && temp_file.is_some_and(|(i, b)| i == inode(&m) && Some(b) == born)
                    {
                        let _ = fs::remove_file(e.path());
                    } else {
                        keep_in_sight(&self.place, &e.path());
                    }
                }
                _ => {}
            }
        }
        // A folder moved aside by the two-rename swap is an earlier output: where the swap
        // did not finish, it goes back into place before anything is deleted.
        stale.sort_by_key(|(_, swapped)| !swapped);
        for (path, swapped) in stale {
            // Only an intact earlier output of ours (as the replace rule recognises one) is
            // put back; a folder of that shape holding anything else is somebody's, and goes
            // the way of any other stale folder below (kept in sight, nothing unvouched deleted).
            if swapped
                && fs::symlink_metadata(&self.place.path).is_err()
                && matches!(scan(&path), Ok(Earlier::Ours(_)))
            {
                fs::rename(&path, &self.place.path).map_err(|e| {
                    self.place.error(format!(
                        "cannot put back the earlier output a killed run moved aside: {e}"
                    ))
                })?;
            } else if fs::symlink_metadata(path.join(MANIFEST)).is_ok() {
                // A whole output (staged, or swapped out): delete what its manifest vouches for.
                let snap = match scan(&path) {
                    Ok(Earlier::Ours(snap)) => snap,
                    Ok(Earlier::Foreign(f)) => f.ours,
                    _ => Snapshot {
                        manifest: BTreeMap::new(),
                        entries: BTreeMap::new(),
                    },
                };
                remove_verified(&self.place, &path, &snap);
            } else {
                // A staging folder the killed run had not finished: delete the files its
                // journal names with their inodes; anything else is somebody's, kept.
                let journal = read_journal(&path);
                remove_vouched(&self.place, &path, |name, stamp| {
                    journal.as_ref().is_some_and(|j| {
                        name == JOURNAL || j.get(name).is_some_and(|e| e.vouches(stamp))
                    })
                });
            }
        }
        Ok(())
    }

    fn stage(self, earlier: Earlier, mode: Mode) -> Result<Staged, Error> {
        let tmp = tempfile::Builder::new()
            .prefix(&self.place.beside("tmp-"))
            .rand_bytes(STAGING_RANDOM)
            .tempdir_in(&self.place.parent)
            .map_err(|e| {
                self.place
                    .error(format!("cannot create a staging folder beside it: {e}"))
            })?
            .keep();
        let journal = start_journal(&tmp).map_err(|e| {
            self.place
                .error(format!("cannot create a staging folder beside it: {e}"))
        })?;
        Ok(Staged {
            lock: self,
            journal: Some(journal),
            tmp,
            earlier,
            mode,
            digests: BTreeMap::new(),
            open: BTreeMap::new(),
            names: BTreeSet::new(),
            carried: BTreeSet::new(),
            created: BTreeSet::new(),
            force: false,
            committed: false,
        })
    }

    /// Starts a whole new output in OUT_DIR (see [`write`]). What costs nothing to check (a
    /// file not listed, a link, no manifest) is refused at once; the digests of a large
    /// earlier output are read while the new one is computed, and checked at commit.
    pub fn replace(self, force: bool) -> Result<Staged, Error> {
        let listing = listed(&self.place.path).map_err(|e| self.place.error(e))?;
        let earlier = match listing {
            None => Earlier::Absent,
            Some(l) if l.entries.is_empty() => Earlier::Empty,
            Some(l) if !l.reasons.is_empty() => {
                let earlier = l.verify(&self.place.path);
                if let Earlier::Foreign(f) = &earlier
                    && !force
                {
                    return Err(self.place.error(not_ours(f)));
                }
                earlier
            }
            Some(l) => {
                let dir = self.place.path.clone();
                Earlier::Pending(std::thread::spawn(move || l.verify(&dir)))
            }
        };
        let mut staged = self.stage(earlier, Mode::Replace)?;
        staged.force = force;
        Ok(staged)
    }

    /// Adds files to the output in OUT_DIR (see [`add`]).
    pub fn add(self, files: &BTreeMap<String, Vec<u8>>, force: bool) -> Result<(), Error> {
        for name in files.keys() {
            check_name(&self.place.shown, name)?;
        }
        let earlier = scan(&self.place.path).map_err(|e| self.place.error(e))?;
        if let Earlier::Foreign(f) = &earlier
            && !force
        {
            let path = &self.place.path;
            for name in files.keys() {
                if fs::symlink_metadata(path.join(name)).is_ok()
                    && !f.ours.manifest.contains_key(name)
                {
                    return Err(self.place.error(format!(
                        "{name} exists there and is not ours; remove it, or pass --force to replace it"
                    )));
                }
            }
        }
        let mut staged = self.stage(earlier, Mode::Add)?;
        if let Earlier::Ours(snap) = &staged.earlier {
            // The rest of the output travels with the new files, as hard links where the file
            // system allows (no copy of a large output).
            for (name, digest) in &snap.manifest {
                if files.contains_key(name) {
                    continue;
                }
                let from = staged.lock.place.path.join(name);
                let to = staged.staging_path(name)?;
                if fs::hard_link(&from, &to).is_err() {
                    fs::copy(&from, &to)
                        .map_err(|e| staged.lock.place.error(format!("cannot copy {name}: {e}")))?;
                }
                let meta = fs::symlink_metadata(&to)
                    .map_err(|e| staged.lock.place.error(format!("cannot copy {name}: {e}")))?;
                if let Some(journal) = &mut staged.journal {
                    writeln!(
                        journal,
                        "{}\n{}",
                        created_line(&meta, name),
                        done_line(&meta, name)
                    )
                    .map_err(|e| {
                        staged
                            .lock
                            .place
                            .error(format!("cannot write {JOURNAL}: {e}"))
                    })?;
                }
                staged.digests.insert(name.clone(), digest.clone());
                staged.carried.insert(name.clone());
            }
        }
        for (name, bytes) in files {
            staged.write(name, bytes)?;
        }
        staged.commit()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The new files are the whole output.
    Replace,
    /// The new files join what is there.
    Add,
}

/// What an entry looked like when OUT_DIR was scanned: if anything differs by the time we
/// swap or delete, somebody else touched it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dir: bool,
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
    /// When the file was created (`statx` birth time), where the file system keeps it.
    born: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            dir: meta.is_dir(),
            len: if meta.is_dir() { 0 } else { meta.len() },
            modified: meta.modified().ok(),
            inode,
            born: meta.created().ok(),
        }
    }
}

/// An intact output of ours: its manifest and every entry as scanned.
struct Snapshot {
    manifest: BTreeMap<String, String>,
    entries: BTreeMap<String, Stamp>,
}

/// A folder that is not (wholly) ours: why, and the files in it that are ours after all.
struct Foreign {
    reasons: Vec<String>,
    ours: Snapshot,
}

impl Foreign {
    fn summary(&self) -> String {
        let mut s = self
            .reasons
            .iter()
            .take(REASONS_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if self.reasons.len() > REASONS_SHOWN {
            s.push_str(&format!(
                "; and {} more",
                self.reasons.len() - REASONS_SHOWN
            ));
        }
        s
    }
}

enum Earlier {
    Absent,
    /// An empty folder (made beforehand, or a mount point): nothing in it to keep.
    Empty,
    Ours(Snapshot),
    Foreign(Foreign),
    /// Being verified alongside the run ([`Lock::replace`]).
    Pending(std::thread::JoinHandle<Earlier>),
}

fn not_ours(f: &Foreign) -> String {
    format!(
        "exists and is not an intact ancillary output ({}); choose another folder, or pass --force to write our files into it and leave the rest",
        f.summary()
    )
}

/// Every entry under `dir` by relative name (`/`-separated), never following a link; what
/// cannot be ours (links, devices, names that are not UTF-8) goes to `reasons`.
fn walk(dir: &Path, reasons: &mut Vec<String>) -> io::Result<BTreeMap<String, Stamp>> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        for entry in fs::read_dir(&path)? {
            let entry = entry?;
            let Some(file) = entry.file_name().to_str().map(String::from) else {
                reasons.push(format!(
                    "{rel}{:?} has a name that is not UTF-8",
                    entry.file_name()
                ));
                continue;
            };
            let name = format!("{rel}{file}");
            let meta = fs::symlink_metadata(entry.path())?;
            if meta.file_type().is_symlink() {
                reasons.push(format!("{name} is a symbolic link"));
            } else if meta.is_dir() {
                entries.insert(name.clone(), Stamp::of(&meta));
                stack.push((entry.path(), format!("{name}/")));
            } else if meta.is_file() {
                entries.insert(name, Stamp::of(&meta));
            } else {
                reasons.push(format!("{name} is not a regular file"));
            }
        }
    }
    Ok(entries)
}

/// Reads `dir/ancillary.sha256`: name → digest, each name one we could have written.
fn read_manifest(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let path = dir.join(MANIFEST);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() && m.len() <= MANIFEST_LIMIT => {}
        Ok(m) if m.is_file() => return Err(format!("{MANIFEST} is too large")),
        Ok(_) => return Err(format!("{MANIFEST} is not a regular file")),
        Err(_) => return Err(format!("it has no {MANIFEST}")),
    }
    let text = fs::read_to_string(&path).map_err(|e| format!("{MANIFEST} is unreadable: {e}"))?;
    parse_manifest(&text)
}

/// A manifest's text: name → digest, each name one we could have written, or why not.
pub fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut manifest = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let bad = || format!("{MANIFEST} line {} is not \"SHA256  NAME\"", i + 1);
        let (digest, name) = line.split_once("  ").ok_or_else(bad)?;
        let hex = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex || !could_be_ours(name) {
            return Err(bad());
        }
        manifest.insert(name.to_string(), digest.to_ascii_lowercase());
    }
    Ok(manifest)
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes` as the manifest writes it (lower-case hex).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn digest_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// The files `report` and `audit` add to an output after its `summary.json` was written.
const ADDED_LATER: [&str; 3] = ["report.html", "audit.csv", "audit.json"];

/// The most bytes a `summary.json` of ours may have when a folder is checked.
const SUMMARY_LIMIT: u64 = 64 << 20;

/// A manifest alone proves little (`sha256sum` writes the same lines): an output of ours also
/// has a `summary.json` that parses, says `"program": "ancillary"`, and whose `files` list is
/// exactly the manifest's names, but for the files `report` and `audit` add later
/// ([`ADDED_LATER`]).
fn summary_agrees(dir: &Path, manifest: &BTreeMap<String, String>) -> Result<(), String> {
    const SUMMARY: &str = "summary.json";
    let path = dir.join(SUMMARY);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() && m.len() <= SUMMARY_LIMIT => {}
        Ok(_) => return Err(format!("{SUMMARY} is not a summary of ours")),
        Err(_) => return Err(format!("it has no {SUMMARY}")),
    }
    let text = fs::read(&path).map_err(|e| format!("{SUMMARY} is unreadable: {e}"))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|_| format!("{SUMMARY} is not JSON written by ancillary"))?;
    if value.get("program").and_then(|p| p.as_str()) != Some("ancillary") {
        return Err(format!("{SUMMARY} does not say \"program\": \"ancillary\""));
    }
    let files: Option<BTreeSet<&str>> = value
        .get("files")
        .and_then(|f| f.as_array())
        .and_then(|f| f.iter().map(|n| n.as_str()).collect());
    let Some(files) = files else {
        return Err(format!("{SUMMARY} has no \"files\" list of names"));
    };
    let listed: BTreeSet<&str> = manifest.keys().map(String::as_str).collect();
    let missing = files.iter().find(|n| !listed.contains(*n));
    let extra = listed
        .iter()
        .find(|n| !files.contains(*n) && !ADDED_LATER.contains(n));
    match (missing, extra) {
        (Some(n), _) => Err(format!("{SUMMARY} lists {n}, which {MANIFEST} does not")),
        (_, Some(n)) => Err(format!("{MANIFEST} lists {n}, which {SUMMARY} does not")),
        _ => Ok(()),
    }
}

/// What `dir` holds: nothing, an intact output of ours, or something else.
fn scan(dir: &Path) -> Result<Earlier, String> {
    Ok(match listed(dir)? {
        None => Earlier::Absent,
        Some(l) => l.verify(dir),
    })
}

/// The cheap half of [`scan`]: every entry and the manifest, without reading a file.
struct Listing {
    entries: BTreeMap<String, Stamp>,
    manifest: BTreeMap<String, String>,
    reasons: Vec<String>,
}

fn listed(dir: &Path) -> Result<Option<Listing>, String> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
        Ok(m) if !m.is_dir() => return Err("exists and is not a folder".into()),
        Ok(_) => {}
    }
    let mut reasons = Vec::new();
    let entries = walk(dir, &mut reasons).map_err(|e| format!("cannot read it: {e}"))?;
    let manifest = read_manifest(dir).unwrap_or_else(|r| {
        reasons.insert(0, r);
        BTreeMap::new()
    });
    if !manifest.is_empty()
        && let Err(r) = summary_agrees(dir, &manifest)
    {
        reasons.insert(0, r);
    }
    for (name, stamp) in &entries {
        let listed = manifest.contains_key(name) || name == MANIFEST;
        let a_folder_of_ours = stamp.dir && name == "statements";
        if !listed && !a_folder_of_ours {
            reasons.push(format!("{name} is not listed in {MANIFEST}"));
        }
    }
    Ok(Some(Listing {
        entries,
        manifest,
        reasons,
    }))
}

impl Listing {
    /// The costly half: every listed file's digest against the manifest.
    fn verify(self, dir: &Path) -> Earlier {
        let Listing {
            entries,
            manifest,
            mut reasons,
        } = self;
        let checked: Vec<(&String, &String, bool)> = manifest
            .par_iter()
            .filter(|(name, _)| entries.get(*name).is_some_and(|s| !s.dir))
            .map(|(name, digest)| {
                let ok = digest_file(&dir.join(name)).is_ok_and(|d| d == *digest);
                (name, digest, ok)
            })
            .collect();
        let mut verified = BTreeMap::new();
        for (name, digest, ok) in checked {
            if ok {
                verified.insert(name.clone(), digest.clone());
            } else {
                reasons.push(format!("{name} was changed after ancillary wrote it"));
            }
        }
        let snapshot = Snapshot {
            manifest: verified,
            entries,
        };
        if reasons.is_empty() {
            Earlier::Ours(snapshot)
        } else {
            Earlier::Foreign(Foreign {
                reasons,
                ours: snapshot,
            })
        }
    }
}

/// Deletes from `dir` the files `snap` vouches for (listed, verified, unchanged since) and
/// the folders that leaves empty. If anything else is left, `dir` is kept in sight as
/// `NAME.ancillary-kept-SECONDS-PID-N` beside OUT_DIR: somebody put it there, and it is theirs.
/// Best effort: the new output is in place by now, and whatever is left is cleaned next time.
fn remove_verified(place: &Place, dir: &Path, snap: &Snapshot) {
    remove_vouched(place, dir, |name, stamp| {
        // The journal too: a kill between writing the manifest and removing it leaves both.
        name == MANIFEST
            || name == JOURNAL
            || (snap.manifest.contains_key(name) && snap.entries.get(name) == Some(stamp))
    });
}

/// Deletes from `dir` the regular files `vouched` accepts and the folders that leaves empty;
/// if anything is left, `dir` is kept in sight (see [`remove_verified`]).
fn remove_vouched(place: &Place, dir: &Path, vouched: impl Fn(&str, &Stamp) -> bool) {
    let mut reasons = Vec::new();
    let now = walk(dir, &mut reasons).unwrap_or_default();
    let mut left = !reasons.is_empty();
    for (name, stamp) in &now {
        if stamp.dir {
            continue;
        }
        if !vouched(name, stamp) || remove_file_at(dir, &now, name, stamp).is_err() {
            left = true;
        }
    }
    // Deepest folders first; a folder that is not empty stays.
    for name in now.iter().filter(|(_, s)| s.dir).map(|(n, _)| n).rev() {
        let _ = fs::remove_dir(dir.join(name));
    }
    if fs::remove_dir(dir).is_err() && (left || dir.exists()) {
        keep_in_sight(place, dir);
    }
}

/// Deletes the file `name` under `dir` that was scanned as `stamp` (with the folders on its
/// way in `scanned`). On Unix no path component is resolved twice: `dir` and each folder on the
/// way are opened without following a link (`O_NOFOLLOW | O_DIRECTORY`), each checked to be
/// the folder scanned (same inode), and the file is checked on that handle (`fstatat`, same
/// inode and size, a regular file) and removed from it (`unlinkat`). A folder swapped for a
/// link after the scan fails to open, so nothing outside `dir` can be deleted.
#[cfg(unix)]
fn remove_file_at(
    dir: &Path,
    scanned: &BTreeMap<String, Stamp>,
    name: &str,
    stamp: &Stamp,
) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, fstat, openat, statat, unlinkat};
    let folder = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = openat(CWD, dir, folder, Mode::empty())?;
    let parts: Vec<&str> = name.split('/').collect();
    let (file, folders) = parts
        .split_last()
        .ok_or_else(|| io::Error::other("empty name"))?;
    let mut rel = String::new();
    for part in folders {
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str(part);
        let next = openat(&fd, *part, folder, Mode::empty())?;
        let seen = scanned.get(&rel).map(|s| s.inode);
        if seen != Some(fstat(&next)?.st_ino as u64) {
            return Err(io::Error::other("a folder changed since it was scanned"));
        }
        fd = next;
    }
    let st = statat(&fd, *file, AtFlags::SYMLINK_NOFOLLOW)?;
    let regular = FileType::from_raw_mode(st.st_mode as _) == FileType::RegularFile;
    if !regular || st.st_ino as u64 != stamp.inode || st.st_size as u64 != stamp.len {
        return Err(io::Error::other("the file changed since it was scanned"));
    }
    unlinkat(&fd, *file, AtFlags::empty()).map_err(io::Error::from)
}

#[cfg(not(unix))]
fn remove_file_at(
    dir: &Path,
    _scanned: &BTreeMap<String, Stamp>,
    name: &str,
    _stamp: &Stamp,
) -> io::Result<()> {
    fs::remove_file(dir.join(name))
}

/// Renames `path` (a folder or file beside OUT_DIR that is not ours to delete) to
/// `NAME.ancillary-kept-SECONDS-PID-N`, where its owner sees it.
fn keep_in_sight(place: &Place, path: &Path) {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for n in 0..100 {
        let mut kept = place.name.clone();
        kept.push(format!(".ancillary-kept-{secs}-{}-{n}", std::process::id()));
        let kept = place.parent.join(kept);
        if fs::symlink_metadata(&kept).is_err() && fs::rename(path, &kept).is_ok() {
            break;
        }
    }
}

/// The journal of a staging folder: its first line `dir DEVICE INODE` names the folder it
/// was made in (so a copy of a staging folder vouches for nothing), then per file the run
/// created there a line `new INODE BIRTH NAME` when it is created and `done INODE SIZE MTIME
/// NAME` when it is whole (times in nanoseconds since 1970, BIRTH `-` where the file system
/// keeps no birth time). The files of a run killed before its manifest are recognised by it:
/// a whole file by name, inode, size and modification time all matching its `done` line; a
/// file the kill caught being written (no `done` line) by name, inode and birth time (a new
/// file that reuses a freed inode is born later). Anything else is kept in sight.
const JOURNAL: &str = ".ancillary-staging";

/// Nanoseconds since 1970 (what the journal records of a time).
fn nanos(t: SystemTime) -> Option<u128> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos())
}

fn created_line(meta: &fs::Metadata, name: &str) -> String {
    let born = meta
        .created()
        .ok()
        .and_then(nanos)
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    format!("new {} {born} {name}", inode(meta))
}

fn done_line(meta: &fs::Metadata, name: &str) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(nanos)
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    format!("done {} {} {modified} {name}", inode(meta), meta.len())
}

/// What a journal says of one file (its last `new` line and any `done` line after it).
#[derive(Debug, Default)]
struct JournalEntry {
    /// Inode and birth time, from `new`.
    created: Option<(u64, Option<u128>)>,
    /// Inode, size and modification time, from `done`.
    done: Option<(u64, u64, Option<u128>)>,
}

impl JournalEntry {
    fn vouches(&self, stamp: &Stamp) -> bool {
        let modified = stamp.modified.and_then(nanos);
        let born = stamp.born.and_then(nanos);
        match (self.done, self.created) {
            // Whole: only an exact match (a file rewritten in place has another size or time).
            (Some((ino, len, Some(m))), _) => {
                ino == stamp.inode && len == stamp.len && Some(m) == modified
            }
            (Some(_), _) => false,
            // Caught being written: the same file, born when it was.
            (None, Some((ino, Some(b)))) => ino == stamp.inode && Some(b) == born,
            _ => false,
        }
    }
}

/// The most bytes a journal may have (one short line per file).
const JOURNAL_LIMIT: u64 = 64 << 20;

fn inode(meta: &fs::Metadata) -> u64 {
    #[cfg(unix)]
    return std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    return {
        let _ = meta;
        0
    };
}

fn device(meta: &fs::Metadata) -> u64 {
    #[cfg(unix)]
    return std::os::unix::fs::MetadataExt::dev(meta);
    #[cfg(not(unix))]
    return {
        let _ = meta;
        0
    };
}

/// Creates the journal in a new staging folder `dir`.
fn start_journal(dir: &Path) -> io::Result<fs::File> {
    let meta = fs::symlink_metadata(dir)?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(JOURNAL))?;
    writeln!(file, "dir {} {}", device(&meta), inode(&meta))?;
    Ok(file)
}

/// A journal's files by name, or `None` where `dir` has no journal of its own.
fn read_journal(dir: &Path) -> Option<BTreeMap<String, JournalEntry>> {
    // Where files have no inode the journal cannot tell our files from others: it vouches for
    // nothing, and a killed run's staging folder is kept in sight.
    if !cfg!(unix) {
        return None;
    }
    let path = dir.join(JOURNAL);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > JOURNAL_LIMIT {
        return None;
    }
    let text = fs::read_to_string(&path).ok()?;
    let here = fs::symlink_metadata(dir).ok()?;
    if text.lines().next()? != format!("dir {} {}", device(&here), inode(&here)) {
        return None;
    }
    let mut files: BTreeMap<String, JournalEntry> = BTreeMap::new();
    let time = |t: &str| -> Option<Option<u128>> {
        if t == "-" {
            Some(None)
        } else {
            t.parse().ok().map(Some)
        }
    };
    // Whole lines only: a kill mid-line leaves a partial last line, which vouches for nothing.
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    for line in text[..whole].lines().skip(1) {
        let fields: Vec<&str> = line.splitn(5, ' ').collect();
        match fields[..] {
            ["new", ino, born, ..] => {
                let name = line.splitn(4, ' ').nth(3).unwrap_or("");
                if let (Ok(ino), Some(born)) = (ino.parse(), time(born)) {
                    // A file created again starts over.
                    files.insert(
                        name.to_string(),
                        JournalEntry {
                            created: Some((ino, born)),
                            done: None,
                        },
                    );
                }
            }
            ["done", ino, len, modified, name] => {
                if let (Ok(ino), Ok(len), Some(m)) = (ino.parse(), len.parse(), time(modified)) {
                    files.entry(name.to_string()).or_default().done = Some((ino, len, m));
                }
            }
            _ => {}
        }
    }
    Some(files)
}

/// Swaps the new output `a` with the earlier one at `b` in one step where the system can.
/// Elsewhere (or on a file system that cannot) by renames: `b` aside to `a-swap`, `a` to `b`
/// — rolled back if that fails — then `a-swap` to `a`; `b` is absent for an instant, and a
/// kill in between leaves `a-swap`, which the next run puts back ([`Lock::clean_stale`]).
/// Returns where the earlier output is now.
fn swap(a: &Path, b: &Path) -> io::Result<PathBuf> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(a.to_path_buf()),
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP => {}
            Err(e) => return Err(e.into()),
        }
    }
    swap_by_renames(a, b)
}

/// [`swap`] where the system cannot exchange two folders in one step.
fn swap_by_renames(a: &Path, b: &Path) -> io::Result<PathBuf> {
    let mut aside = a.as_os_str().to_os_string();
    aside.push("-swap");
    let aside = PathBuf::from(aside);
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        fs::rename(&aside, b)?;
        return Err(e);
    }
    Ok(match fs::rename(&aside, a) {
        Ok(()) => a.to_path_buf(),
        Err(_) => aside,
    })
}

/// Makes a folder's entries durable (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// A file being appended to, with its digest kept as it grows.
struct OpenFile {
    writer: BufWriter<fs::File>,
    hasher: Sha256,
}

/// An output folder being written: files go to a staging folder beside OUT_DIR, by whole
/// buffers or appended piece by piece, and replace the earlier output only at
/// [`Staged::commit`]. Dropped uncommitted (an error on the way), it removes what it staged.
pub struct Staged {
    lock: Lock,
    tmp: PathBuf,
    /// The staging folder's journal: every file created in it, by inode (closed at commit).
    journal: Option<fs::File>,
    earlier: Earlier,
    mode: Mode,
    /// Finished files in the staging folder and their digests.
    digests: BTreeMap<String, String>,
    open: BTreeMap<String, OpenFile>,
    /// Files the caller writes itself through [`Staged::create`], digested from disk at commit.
    created: BTreeSet<String>,
    /// The files staged by this run (not those carried over by [`add`]).
    names: BTreeSet<String>,
    /// The files carried over from the earlier output by [`add`] (on disk already).
    carried: BTreeSet<String>,
    /// Whether a folder that is not ours may be written into (`--force`).
    force: bool,
    committed: bool,
}

impl Staged {
    /// Locks `out`, checks it as [`write`] does and creates an empty staging folder beside it.
    pub fn begin(out: &Path, force: bool) -> Result<Staged, Error> {
        lock(out)?.replace(force)
    }

    fn error(&self, name: &str, e: io::Error) -> Error {
        self.lock.place.error(format!("cannot write {name}: {e}"))
    }

    fn staging_path(&self, name: &str) -> Result<PathBuf, Error> {
        check_name(&self.lock.place.shown, name)?;
        let path = self.tmp.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| self.error(name, e))?;
        }
        Ok(path)
    }

    /// Records a file just created in the staging folder in its journal, so that the cleanup
    /// after a kill knows it for ours.
    fn note(&mut self, name: &str, file: &fs::File) -> Result<(), Error> {
        let meta = file.metadata().map_err(|e| self.error(name, e))?;
        if let Some(journal) = &mut self.journal {
            writeln!(journal, "{}", created_line(&meta, name))
                .map_err(|e| self.error(JOURNAL, e))?;
        }
        Ok(())
    }

    /// Records in the journal that the staged file `name` is whole, as it is on disk now.
    fn note_done(&mut self, name: &str) -> Result<(), Error> {
        let meta = fs::symlink_metadata(self.tmp.join(name)).map_err(|e| self.error(name, e))?;
        if let Some(journal) = &mut self.journal {
            writeln!(journal, "{}", done_line(&meta, name)).map_err(|e| self.error(JOURNAL, e))?;
        }
        Ok(())
    }

    /// Stages a whole file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.staging_path(name)?;
        // Never through a hard link to the earlier output.
        let _ = fs::remove_file(&path);
        let file = fs::File::create(&path).map_err(|e| self.error(name, e))?;
        self.note(name, &file)?;
        let written = (&file).write_all(bytes);
        written.map_err(|e| self.error(name, e))?;
        drop(file);
        self.note_done(name)?;
        self.digests.insert(name.to_string(), sha256_hex(bytes));
        self.names.insert(name.to_string());
        Ok(())
    }

    /// Appends to a staged file, creating it (with `header` first) on the first call.
    pub fn append(&mut self, name: &str, header: &[u8], bytes: &[u8]) -> Result<(), Error> {
        if !self.open.contains_key(name) {
            let path = self.staging_path(name)?;
            let file = fs::File::create(&path).map_err(|e| self.error(name, e))?;
            self.note(name, &file)?;
            let mut f = OpenFile {
                writer: BufWriter::with_capacity(1 << 20, file),
                hasher: Sha256::new(),
            };
            f.writer
                .write_all(header)
                .map_err(|e| self.error(name, e))?;
            f.hasher.update(header);
            self.open.insert(name.to_string(), f);
            self.names.insert(name.to_string());
        }
        let written = match self.open.get_mut(name) {
            Some(f) => {
                f.hasher.update(bytes);
                f.writer.write_all(bytes)
            }
            None => Err(io::Error::other("not open")),
        };
        written.map_err(|e| self.error(name, e))
    }

    /// Creates a staged file for the caller to write (a Parquet table, a row group at a
    /// time); its digest is taken from what is on disk at [`Staged::commit`], so the caller
    /// must have finished writing it by then.
    pub fn create(&mut self, name: &str) -> Result<fs::File, Error> {
        let path = self.staging_path(name)?;
        // Never through a hard link to the earlier output.
        let _ = fs::remove_file(&path);
        let file = fs::File::create(&path).map_err(|e| self.error(name, e))?;
        self.note(name, &file)?;
        self.created.insert(name.to_string());
        self.names.insert(name.to_string());
        Ok(file)
    }

    /// The files staged so far, by name.
    pub fn names(&self) -> &BTreeSet<String> {
        &self.names
    }

    /// Everything is staged: finish the files, write the manifest, and put the new output in
    /// place of the earlier one (see the module doc).
    pub fn commit(mut self) -> Result<(), Error> {
        for (name, f) in std::mem::take(&mut self.open) {
            let OpenFile { writer, hasher } = f;
            writer
                .into_inner()
                .map_err(|e| self.error(&name, e.into_error()))?;
            self.note_done(&name)?;
            self.digests.insert(name, hex(&hasher.finalize()));
        }
        for name in std::mem::take(&mut self.created) {
            let digest = digest_file(&self.tmp.join(&name)).map_err(|e| self.error(&name, e))?;
            self.note_done(&name)?;
            self.digests.insert(name, digest);
        }
        // On disk before the swap, so a machine that stops at any instant has the whole new
        // output or the earlier one. Synced together: one at a time, a few hundred statement
        // files would each wait for the disk.
        self.digests
            .par_iter()
            .filter(|(name, _)| !self.carried.contains(*name))
            .try_for_each(|(name, _)| {
                fs::File::open(self.tmp.join(name))
                    .and_then(|f| f.sync_all())
                    .map_err(|e| self.error(name, e))
            })?;
        let manifest: String = self
            .digests
            .iter()
            .map(|(name, digest)| format!("{digest}  {name}\n"))
            .collect();
        // Written aside and renamed: a staging folder with a manifest is always a whole output
        // (what the cleanup of a killed run relies on).
        let partial = self.tmp.join(".manifest.partial");
        let written = fs::File::create(&partial)
            .and_then(|mut f| f.write_all(manifest.as_bytes()).and_then(|()| f.sync_all()))
            .and_then(|()| fs::rename(&partial, self.tmp.join(MANIFEST)));
        written.map_err(|e| self.error(MANIFEST, e))?;
        // The manifest vouches for the files now; the journal goes before the folder is
        // OUT_DIR.
        self.journal = None;
        fs::remove_file(self.tmp.join(JOURNAL)).map_err(|e| self.error(JOURNAL, e))?;
        sync_dir(&self.tmp.join("statements"));
        sync_dir(&self.tmp);
        let mut earlier = std::mem::replace(&mut self.earlier, Earlier::Absent);
        if let Earlier::Pending(handle) = earlier {
            earlier = handle.join().unwrap_or_else(|_| {
                Earlier::Foreign(Foreign {
                    reasons: vec!["its files could not be verified".into()],
                    ours: Snapshot {
                        manifest: BTreeMap::new(),
                        entries: BTreeMap::new(),
                    },
                })
            });
            if let Earlier::Foreign(f) = &earlier
                && !self.force
            {
                return Err(self.lock.place.error(not_ours(f)));
            }
        }
        match &earlier {
            Earlier::Absent => {
                let place = &self.lock.place;
                fs::rename(&self.tmp, &place.path).map_err(|e| {
                    place.error(format!("appeared while this run was writing it ({e})"))
                })?;
                self.committed = true;
            }
            Earlier::Empty => {
                // Renaming over an empty folder replaces it in one step; a mount point cannot
                // be replaced, so its files go in one by one.
                if fs::rename(&self.tmp, &self.lock.place.path).is_err() {
                    self.commit_file_by_file(&Snapshot {
                        manifest: BTreeMap::new(),
                        entries: BTreeMap::new(),
                    })?;
                }
                self.committed = true;
            }
            Earlier::Ours(snap) => {
                let place = &self.lock.place;
                let mut reasons = Vec::new();
                let now =
                    walk(&place.path, &mut reasons).map_err(|e| Error::io(&place.shown, e))?;
                if let Some(name) = changed(&snap.entries, &now).or(reasons.first().cloned()) {
                    return Err(place.error(format!(
                        "changed while this run was writing it ({name}); nothing was replaced"
                    )));
                }
                let earlier_at = swap(&self.tmp, &place.path)
                    .map_err(|e| place.error(format!("cannot swap the new output in: {e}")))?;
                self.committed = true;
                sync_dir(&self.lock.place.parent);
                remove_verified(&self.lock.place, &earlier_at, snap);
            }
            Earlier::Foreign(foreign) => {
                self.commit_file_by_file(&foreign.ours)?;
                self.committed = true;
            }
            Earlier::Pending(_) => {
                return Err(self
                    .lock
                    .place
                    .error("its earlier output was never verified"));
            }
        }
        sync_dir(&self.lock.place.parent);
        Ok(())
    }

    /// Into a folder that is not ours (with `--force`): each file renamed in on its own, never
    /// through a symbolic link; the manifest, last, lists only our files.
    fn commit_file_by_file(&self, ours: &Snapshot) -> Result<(), Error> {
        let place = &self.lock.place;
        let mut digests = self.digests.clone();
        for name in self.digests.keys() {
            move_into(place, &self.tmp.join(name), name)?;
        }
        for (name, digest) in &ours.manifest {
            if digests.contains_key(name) {
                continue;
            }
            if self.mode == Mode::Add {
                digests.insert(name.clone(), digest.clone());
            } else {
                // A file of our earlier output that the new one lacks, unchanged since scanned.
                let path = place.path.join(name);
                let now = fs::symlink_metadata(&path).ok().map(|m| Stamp::of(&m));
                if let Some(stamp) = now.filter(|n| Some(n) == ours.entries.get(name)) {
                    let _ = remove_file_at(&place.path, &ours.entries, name, &stamp);
                }
            }
        }
        let manifest: String = digests
            .iter()
            .map(|(name, digest)| format!("{digest}  {name}\n"))
            .collect();
        let staged = self.tmp.join(MANIFEST);
        fs::write(&staged, manifest).map_err(|e| self.error(MANIFEST, e))?;
        move_into(place, &staged, MANIFEST)?;
        let _ = fs::remove_dir_all(&self.tmp);
        sync_dir(&place.path);
        Ok(())
    }
}

/// Moves the staged file `from` to `OUT_DIR/name` (see [`move_in`]). On Unix no path component
/// inside OUT_DIR is resolved twice: OUT_DIR and each folder on the way are opened without
/// following a link (`O_NOFOLLOW | O_DIRECTORY`, created where missing), and the file is
/// renamed into the last one's handle (`renameat`). A folder swapped for a link at any
/// instant fails to open, so nothing is written outside OUT_DIR.
#[cfg(unix)]
fn move_into(place: &Place, from: &Path, name: &str) -> Result<(), Error> {
    use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, mkdirat, openat, renameat, statat};
    use rustix::io::Errno;
    let folder = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let parts: Vec<&str> = name.split('/').collect();
    let Some((file, folders)) = parts.split_last() else {
        return Err(place.error(format!("refusing to write {name:?}")));
    };
    let refuse = |i: usize, e: Errno| -> Error {
        let rel = parts[..=i].join("/");
        if e == Errno::LOOP || e == Errno::NOTDIR {
            match fs::symlink_metadata(place.path.join(&rel)) {
                Ok(m) if m.file_type().is_symlink() => place.error(format!(
                    "{rel} is a symbolic link there; ancillary never writes through one"
                )),
                _ => place.error(format!("{rel} is a file there where a folder is needed")),
            }
        } else {
            place.error(format!("cannot move {name} in: {rel}: {e}"))
        }
    };
    if fs::symlink_metadata(&place.path).is_err() {
        fs::create_dir(&place.path).map_err(|e| Error::io(&place.shown, e))?;
    }
    let mut fd = openat(CWD, &place.path, folder, Mode::empty())
        .map_err(|e| place.error(format!("cannot open it without following a link: {e}")))?;
    for (i, part) in folders.iter().enumerate() {
        fd = match openat(&fd, *part, folder, Mode::empty()) {
            Ok(next) => next,
            Err(Errno::NOENT) => {
                match mkdirat(&fd, *part, Mode::from_bits_truncate(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(refuse(i, e)),
                }
                openat(&fd, *part, folder, Mode::empty()).map_err(|e| refuse(i, e))?
            }
            Err(e) => return Err(refuse(i, e)),
        };
    }
    if let Ok(st) = statat(&fd, *file, AtFlags::SYMLINK_NOFOLLOW)
        && FileType::from_raw_mode(st.st_mode as _) == FileType::Directory
    {
        return Err(place.error(format!("{name} is a folder there")));
    }
    let cannot = |e: io::Error| place.error(format!("cannot move {name} in: {e}"));
    match renameat(CWD, from, &fd, *file) {
        Ok(()) => Ok(()),
        Err(Errno::XDEV) => {
            // OUT_DIR a mount point: copied into a temporary file in the same handle, synced,
            // and renamed there: still whole or nothing.
            let part = format!("{file}.ancillary-part");
            let create = OFlags::WRONLY
                | OFlags::CREATE
                | OFlags::TRUNC
                | OFlags::NOFOLLOW
                | OFlags::CLOEXEC;
            let out = openat(&fd, part.as_str(), create, Mode::from_bits_truncate(0o666))
                .map_err(|e| cannot(e.into()))?;
            let mut out = fs::File::from(out);
            let copied = fs::File::open(from)
                .and_then(|mut src| io::copy(&mut src, &mut out))
                .and_then(|_| out.sync_all())
                .and_then(|()| renameat(&fd, part.as_str(), &fd, *file).map_err(io::Error::from));
            if let Err(e) = copied {
                let _ = rustix::fs::unlinkat(&fd, part.as_str(), AtFlags::empty());
                return Err(cannot(e));
            }
            fs::remove_file(from).map_err(cannot)
        }
        Err(e) => Err(cannot(e.into())),
    }
}

#[cfg(not(unix))]
fn move_into(place: &Place, from: &Path, name: &str) -> Result<(), Error> {
    let to = real_path_inside(place, name)?;
    if fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
        return Err(place.error(format!("{name} is a folder there")));
    }
    move_in(from, &to).map_err(|e| place.error(format!("cannot move {name} in: {e}")))
}

#[cfg(not(unix))]
/// Renames `from` to `to`; where they are on different file systems (OUT_DIR a mount point),
/// copies into a temporary file beside `to`, synced, and renames that: still whole or nothing.
fn move_in(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            let mut part = to.as_os_str().to_os_string();
            part.push(".ancillary-part");
            let part = PathBuf::from(part);
            let copied = fs::copy(from, &part)
                .and_then(|_| fs::File::open(&part)?.sync_all())
                .and_then(|()| fs::rename(&part, to));
            if copied.is_err() {
                let _ = fs::remove_file(&part);
            }
            copied?;
            fs::remove_file(from)
        }
        other => other,
    }
}

/// `OUT_DIR/name`, after checking that no folder on the way is a symbolic link (and creating
/// the folders that are missing). (Where folders cannot be opened as handles.)
#[cfg(not(unix))]
fn real_path_inside(place: &Place, name: &str) -> Result<PathBuf, Error> {
    let mut path = place.path.clone();
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(place.error("is not a folder")),
        Err(_) => fs::create_dir(&path).map_err(|e| Error::io(&place.shown, e))?,
    }
    let parts: Vec<&OsStr> = Path::new(name).iter().collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        if i + 1 == parts.len() {
            break;
        }
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(place.error(format!(
                    "{} is a symbolic link there; ancillary never writes through one",
                    Path::new(name)
                        .iter()
                        .take(i + 1)
                        .collect::<PathBuf>()
                        .display()
                )));
            }
            Ok(_) => {
                return Err(place.error(format!(
                    "{} is a file there where a folder is needed",
                    Path::new(name)
                        .iter()
                        .take(i + 1)
                        .collect::<PathBuf>()
                        .display()
                )));
            }
            Err(_) => fs::create_dir(&path).map_err(|e| Error::io(&place.shown, e))?,
        }
    }
    Ok(path)
}

/// The first entry that differs between two scans.
fn changed(before: &BTreeMap<String, Stamp>, now: &BTreeMap<String, Stamp>) -> Option<String> {
    before
        .iter()
        .find(|(name, stamp)| now.get(*name) != Some(stamp))
        .map(|(name, _)| name.clone())
        .or_else(|| now.keys().find(|n| !before.contains_key(*n)).cloned())
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            self.open.clear();
            let _ = fs::remove_dir_all(&self.tmp);
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

    #[test]
    fn the_two_rename_swap_rolls_back() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("new"), tmp.path().join("out"));
        fs::create_dir(&a).unwrap();
        fs::write(a.join("x"), "new").unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(b.join("x"), "old").unwrap();
        let earlier = swap_by_renames(&a, &b).unwrap();
        assert_eq!(earlier, a);
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "new");
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "old");
        // The new output is gone before the second rename: OUT_DIR is put back as it was.
        fs::remove_dir_all(&a).unwrap();
        assert!(swap_by_renames(&a, &b).is_err());
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "new");
        let mut left: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["out"]);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn moving_in_across_file_systems_copies_whole() {
        // /dev/shm (tmpfs) and the temporary folder are different file systems on Linux
        // machines that have both; where they are not, rename works and so does the test.
        let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        let disk = tempfile::tempdir().unwrap();
        let (from, to) = (shm.path().join("a.csv"), disk.path().join("a.csv"));
        fs::write(&from, "x,y\n1,2\n").unwrap();
        let place = Place {
            shown: disk.path().to_path_buf(),
            path: disk.path().to_path_buf(),
            parent: disk.path().parent().unwrap().to_path_buf(),
            name: disk.path().file_name().unwrap().to_os_string(),
        };
        move_into(&place, &from, "a.csv").unwrap();
        assert_eq!(fs::read_to_string(&to).unwrap(), "x,y\n1,2\n");
        assert!(!from.exists());
        let left: Vec<_> = fs::read_dir(disk.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn only_our_own_staging_names_are_cleaned() {
        let place = Place {
            shown: PathBuf::from("a"),
            path: PathBuf::from("/x/a"),
            parent: PathBuf::from("/x"),
            name: OsString::from("a"),
        };
        let kind = |n: &str| place.staging_kind(OsStr::new(n));
        assert_eq!(kind(".a.ancillary-tmp-Ab12Cd"), Some(false));
        assert_eq!(kind(".a.ancillary-tmp-Ab12Cd-swap"), Some(true));
        // Another OUT_DIR's staging, whose name happens to start the same way.
        assert_eq!(kind(".a.ancillary-tmp-x.ancillary-tmp-Ab12Cd"), None);
        assert_eq!(kind(".a.ancillary-tmp-Ab12"), None);
        assert_eq!(kind(".a.ancillary-lock"), None);
        assert_eq!(kind("a"), None);
    }

    #[test]
    fn a_manifest_can_only_name_files_we_could_write() {
        assert!(could_be_ours("clearing.csv"));
        assert!(could_be_ours("statements/C1.csv"));
        assert!(could_be_ours("report.html"));
        assert!(!could_be_ours("thesis.docx"));
        assert!(!could_be_ours("data/raw.csv"));
        assert!(!could_be_ours("statements/x/y.csv"));
        assert!(!could_be_ours(MANIFEST));
        assert!(!could_be_ours("../clearing.csv"));
    }
}
