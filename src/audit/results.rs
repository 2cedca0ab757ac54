//! An output folder read back: the audit checks results as files, so it can check any run's
//! results (or a tampered copy), not only the one in memory.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::Horizon;
use crate::scenario::horizon::parse_time;
use crate::scenario::table::{Row, Table};

#[derive(Debug, Clone)]
pub struct Clearing {
    pub interval: usize,
    pub product: String,
    /// The zone of a zonal minimum's row (`zone`); empty for the system-wide row, and where
    /// the column is absent (outputs from before zones were cleared).
    pub zone: String,
    pub price: Decimal,
    /// `shortfall_mw`, where given.
    pub shortfall_mw: Option<Decimal>,
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Award {
    pub interval: usize,
    pub product: String,
    pub unit: String,
    pub cleared_mw: Decimal,
    /// `offered_mw` and `offer_price` (0 where absent): which energy segments had room left.
    pub offered_mw: Decimal,
    pub offer_price: Decimal,
    /// `ranking_price`, where given (FR: the offer over K, the price the marginal offer sets).
    pub ranking_price: Option<Decimal>,
    pub performance_factor: Option<Decimal>,
    pub paid_price: Decimal,
    /// The depth band of a peak award (empty for other products).
    pub band: Option<u32>,
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Settlement {
    pub day: String,
    pub party: String,
    pub product: String,
    pub item: String,
    pub amount: Decimal,
    /// The payer's role on allocation rows (`role`; empty elsewhere or absent).
    pub role: Option<String>,
    /// `lost_opportunity_yuan` (§五(八) split), where given.
    pub lost_opportunity: Option<Decimal>,
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Factor {
    pub day: String,
    pub unit: String,
    pub k: Decimal,
    pub line: u64,
}

/// The parts of an output folder the audit reads.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub clearing: Vec<Clearing>,
    pub awards: Vec<Award>,
    pub settlement: Vec<Settlement>,
    pub factors: Vec<Factor>,
    pub rejected: Vec<(String, String, String)>, // unit, product, reason
    pub input_digest: Option<String>,
    /// The engine that cleared the run, from `summary.json`.
    pub engine: Option<String>,
    /// Every file, for the reproducibility check.
    pub files: BTreeMap<String, Vec<u8>>,
}

fn interval(row: &Row, horizon: &Horizon) -> Result<usize, InputError> {
    let t = row.text("time")?;
    parse_time(t)
        .and_then(|t| horizon.index_at(t))
        .ok_or_else(|| {
            row.error(
                ErrorKind::Invalid,
                "time",
                format!("{t} is not an interval of the scenario"),
            )
        })
}

fn table(
    files: &BTreeMap<String, Vec<u8>>,
    name: &str,
    columns: &[&str],
) -> Result<Option<Table>, InputError> {
    match files.get(name) {
        None => Ok(None),
        Some(bytes) => {
            let t = Table::parse(name, bytes)?;
            t.require(columns)?;
            Ok(Some(t))
        }
    }
}

/// Reads an output folder's files (name → bytes) against the scenario's horizon.
pub fn parse(files: BTreeMap<String, Vec<u8>>, horizon: &Horizon) -> Result<Results, InputError> {
    let mut r = Results::default();
    let Some(summary) = files.get("summary.json") else {
        return Err(InputError::new(
            ErrorKind::MissingFile,
            "summary.json",
            "the results folder has no summary.json: is it an ancillary output?",
        ));
    };
    let summary: serde_json::Value = serde_json::from_slice(summary).map_err(|e| {
        InputError::new(
            ErrorKind::Unreadable,
            "summary.json",
            format!("is not valid JSON: {e}"),
        )
    })?;
    r.input_digest = summary
        .get("input_digest")
        .and_then(|v| v.as_str())
        .map(|s| s.trim_start_matches("sha256:").to_string());
    r.engine = summary
        .get("engine")
        .and_then(|v| v.as_str())
        .map(String::from);
    if let Some(t) = table(&files, "clearing.csv", &["time", "product", "price"])? {
        for row in t.rows() {
            r.clearing.push(Clearing {
                interval: interval(&row, horizon)?,
                product: row.text("product")?.to_string(),
                zone: row.optional("zone").unwrap_or_default().to_string(),
                price: row.decimal("price")?,
                shortfall_mw: row.optional_decimal("shortfall_mw")?,
                line: row.line,
            });
        }
    }
    if let Some(t) = table(
        &files,
        "awards.csv",
        &["time", "product", "unit", "cleared_mw", "paid_price"],
    )? {
        for row in t.rows() {
            r.awards.push(Award {
                interval: interval(&row, horizon)?,
                product: row.text("product")?.to_string(),
                unit: row.text("unit")?.to_string(),
                cleared_mw: row.decimal("cleared_mw")?,
                offered_mw: row.optional_decimal("offered_mw")?.unwrap_or_default(),
                offer_price: row.optional_decimal("offer_price")?.unwrap_or_default(),
                ranking_price: row.optional_decimal("ranking_price")?,
                performance_factor: row.optional_decimal("performance_factor")?,
                paid_price: row.decimal("paid_price")?,
                band: match row.optional("band") {
                    Some(_) => Some(row.whole("band")?),
                    None => None,
                },
                line: row.line,
            });
        }
    }
    if let Some(t) = table(
        &files,
        "settlement.csv",
        &["day", "party", "product", "item", "amount_yuan"],
    )? {
        for row in t.rows() {
            r.settlement.push(Settlement {
                day: row.text("day")?.to_string(),
                party: row.text("party")?.to_string(),
                product: row.text("product")?.to_string(),
                item: row.text("item")?.to_string(),
                amount: row.decimal("amount_yuan")?,
                role: row.optional("role").map(str::to_string),
                lost_opportunity: row.optional_decimal("lost_opportunity_yuan")?,
                line: row.line,
            });
        }
    }
    if let Some(t) = table(
        &files,
        "performance_factors.csv",
        &["day", "unit", "performance_factor"],
    )? {
        for row in t.rows() {
            r.factors.push(Factor {
                day: row.text("day")?.to_string(),
                unit: row.text("unit")?.to_string(),
                k: row.decimal("performance_factor")?,
                line: row.line,
            });
        }
    }
    if let Some(t) = table(
        &files,
        "rejected_offers.csv",
        &["unit", "product", "reason"],
    )? {
        for row in t.rows() {
            r.rejected.push((
                row.text("unit")?.to_string(),
                row.text("product")?.to_string(),
                row.text("reason")?.to_string(),
            ));
        }
    }
    r.files = files;
    Ok(r)
}

/// Reads an output folder's files into name → bytes.
///
/// - Only files of ours are read: where the folder has a manifest (`ancillary.sha256`), the
///   files it lists, and a file it does not list is refused by name; where it has none (made by
///   hand), the files whose names `run` could have written (top-level `.csv`, `.parquet`,
///   `.json`, `.html`, `statements/*.csv`), the rest left unread.
/// - A symbolic link, FIFO or device inside the folder is refused by name, never opened.
/// - At most [`FOLDER_LIMIT`] bytes in all (each file at most
///   [`crate::scenario::folder::MAX_FILE_BYTES`]), checked from the listing before any file
///   is read, and one copy of the files held at a time.
/// - A folder of ours is read whole, never half before and half after a run swapped a new
///   output in: the files must match the manifest read with them, else the folder is read
///   again. A folder that differs from its manifest the same way twice (edited by hand, or
///   made elsewhere) is taken as it is: checking it is the audit's job.
pub fn read_dir(dir: &std::path::Path) -> Result<BTreeMap<String, Vec<u8>>, InputError> {
    read_dir_as_csv(dir).map(|(files, _)| files)
}

/// The most bytes [`read_dir`] reads from one folder, all files together (twice the most one
/// input file may hold).
pub const FOLDER_LIMIT: u64 = 2 * crate::scenario::folder::MAX_FILE_BYTES;

/// [`read_dir`], also saying which format the folder's tables were written in.
pub fn read_dir_as_csv(
    dir: &std::path::Path,
) -> Result<(BTreeMap<String, Vec<u8>>, crate::output::Format), InputError> {
    // Of the earlier read only the digests are kept: one copy of the files at a time.
    let mut previous: Option<BTreeMap<String, String>> = None;
    for _ in 0..8 {
        let files = read_once(dir)?;
        let digests = digests(&files);
        if matches_manifest(&files, &digests) || previous.as_ref() == Some(&digests) {
            return tables_as_csv(dir, files);
        }
        drop(files);
        previous = Some(digests);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(InputError::new(
        ErrorKind::Unreadable,
        dir.display().to_string(),
        "kept changing while being read (another run writing it?): try again when it is done",
    ))
}

/// The folder's tables as CSV, whichever format they were written in (`run --format`): each
/// `NAME.parquet` read back as `NAME.csv` of the same values, so that `diff`, `audit` and
/// `report` read either. A table in both formats, or a folder with neither `clearing.csv` nor
/// `clearing.parquet` (not a run's output), is an error.
fn tables_as_csv(
    dir: &std::path::Path,
    mut files: BTreeMap<String, Vec<u8>>,
) -> Result<(BTreeMap<String, Vec<u8>>, crate::output::Format), InputError> {
    let format = if files.contains_key("clearing.parquet") {
        crate::output::Format::Parquet
    } else {
        crate::output::Format::Csv
    };
    let shown = |name: &str| dir.join(name).display().to_string();
    let parquet: Vec<String> = files
        .keys()
        .filter(|n| n.ends_with(".parquet") && !n.contains('/'))
        .cloned()
        .collect();
    for name in parquet {
        let csv = format!("{}.csv", name.trim_end_matches(".parquet"));
        if files.contains_key(&csv) {
            return Err(InputError::new(
                ErrorKind::Invalid,
                shown(&name),
                format!(
                    "{csv} is there too: an output folder holds each table in one format, so which to read is unclear; remove one"
                ),
            ));
        }
        let bytes = files.remove(&name).unwrap_or_default();
        let text = crate::output::parquet::to_csv(&name, bytes)
            .map_err(|e| InputError::new(ErrorKind::Unreadable, shown(&name), e))?;
        files.insert(csv, text);
    }
    if !files.contains_key("clearing.csv") {
        return Err(InputError::new(
            ErrorKind::MissingFile,
            dir.display().to_string(),
            "holds neither clearing.csv nor clearing.parquet: not an output folder of ancillary run",
        ));
    }
    Ok((files, format))
}

/// Each file's SHA-256, as the manifest writes it.
fn digests(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|(name, bytes)| (name.clone(), crate::output::dir::sha256_hex(bytes)))
        .collect()
}

/// True when `files` has no manifest, or every file but the manifest is listed in it with the
/// digest of the bytes read, and every listed file was read.
fn matches_manifest(files: &BTreeMap<String, Vec<u8>>, digests: &BTreeMap<String, String>) -> bool {
    use crate::output::dir::{MANIFEST, parse_manifest};
    let Some(manifest) = files.get(MANIFEST) else {
        return true;
    };
    let Some(listed) = std::str::from_utf8(manifest)
        .ok()
        .and_then(|text| parse_manifest(text).ok())
    else {
        return false;
    };
    digests
        .iter()
        .filter(|(name, _)| name.as_str() != MANIFEST)
        .all(|(name, digest)| listed.get(name) == Some(digest))
        && listed.keys().all(|n| files.contains_key(n))
}

fn link_refused(path: &std::path::Path) -> InputError {
    InputError::new(
        ErrorKind::Unreadable,
        path.display().to_string(),
        "is a symbolic link: a reader of an output folder never follows a link inside it (ancillary never writes one); replace it with the file itself",
    )
}

/// Reads the regular file at `path` of at most `limit` bytes, never through a symbolic link
/// (`O_NOFOLLOW`: a link put in its place after the folder was listed fails to open) and never
/// blocking on a FIFO (`O_NONBLOCK`); `Ok(None)` when it is gone.
fn read_no_follow(path: &std::path::Path, limit: u64) -> Result<Option<Vec<u8>>, InputError> {
    use std::io::Read;
    let shown = || path.display().to_string();
    let cannot = |e: std::io::Error| {
        InputError::new(ErrorKind::Unreadable, shown(), format!("cannot read: {e}"))
    };
    let not_regular = || {
        InputError::new(
            ErrorKind::Unreadable,
            shown(),
            "is not a regular file (a folder, FIFO or device is never read as output): replace it with the file itself",
        )
    };
    let too_large = || {
        InputError::new(
            ErrorKind::Unreadable,
            shown(),
            format!("is larger than {limit} bytes, the most an output file is read with"),
        )
    };
    // Checked before opening, without following: opening a device may have effects.
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(link_refused(path)),
        Ok(m) if !m.is_file() => return Err(not_regular()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => link_refused(path),
                _ => cannot(e),
            });
        }
    };
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > limit {
        return Err(too_large());
    }
    // Through `take`: a file that grows while being read still stops at the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

/// The most bytes a manifest is read with (as the writer's check of an earlier output).
const MANIFEST_LIMIT: u64 = 64 << 20;

fn read_once(dir: &std::path::Path) -> Result<BTreeMap<String, Vec<u8>>, InputError> {
    use crate::output::dir::{MANIFEST, could_be_ours, parse_manifest};
    let shown = |name: &str| dir.join(name).display().to_string();
    let cannot = |e: std::io::Error| {
        InputError::new(
            ErrorKind::Unreadable,
            dir.display().to_string(),
            format!("cannot read the folder: {e}"),
        )
    };
    // The manifest first: it says which files to read.
    let manifest = read_no_follow(&dir.join(MANIFEST), MANIFEST_LIMIT)?;
    let listed = match &manifest {
        None => None,
        Some(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                InputError::new(ErrorKind::Unreadable, shown(MANIFEST), "is not UTF-8 text")
            })?;
            let listed = parse_manifest(text).map_err(|why| {
                InputError::new(
                    ErrorKind::Unreadable,
                    shown(MANIFEST),
                    format!("{why}: not a manifest of ancillary's (remove it to read a folder made by hand)"),
                )
            })?;
            Some(listed)
        }
    };
    // Then the listing, without following links and without opening anything: which files to
    // read and how many bytes they hold.
    let mut wanted: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut total: u64 = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&folder)
            .map_err(cannot)?
            .collect::<Result<_, _>>()
            .map_err(cannot)?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let kind = e.file_type().map_err(cannot)?;
            if kind.is_symlink() {
                return Err(link_refused(&path));
            }
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !kind.is_file() {
                return Err(InputError::new(
                    ErrorKind::Unreadable,
                    path.display().to_string(),
                    "is not a regular file (a folder, FIFO or device is never read as output): replace it with the file itself",
                ));
            }
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if name == MANIFEST {
                continue;
            }
            match &listed {
                Some(l) if !l.contains_key(&name) => {
                    return Err(InputError::new(
                        ErrorKind::Invalid,
                        path.display().to_string(),
                        format!(
                            "is not listed in {MANIFEST}: not a file ancillary wrote; move it out of the folder"
                        ),
                    ));
                }
                None if !could_be_ours(&name) => continue,
                _ => {}
            }
            total = total.saturating_add(e.metadata().map_err(cannot)?.len());
            wanted.push((name, path));
        }
    }
    if total > FOLDER_LIMIT {
        return Err(InputError::new(
            ErrorKind::Unreadable,
            dir.display().to_string(),
            format!(
                "holds {total} bytes of output files, more than the {FOLDER_LIMIT} ({} GiB) a reader reads from one folder",
                FOLDER_LIMIT >> 30
            ),
        ));
    }
    let mut out = BTreeMap::new();
    if let Some(bytes) = manifest {
        out.insert(MANIFEST.to_string(), bytes);
    }
    let mut left = FOLDER_LIMIT;
    for (name, path) in wanted {
        // Each file within what is left of the bound: one that grew since the listing still
        // stops there.
        let limit = left.min(crate::scenario::folder::MAX_FILE_BYTES);
        if let Some(bytes) = read_no_follow(&path, limit)? {
            left -= bytes.len() as u64;
            out.insert(name, bytes);
        }
    }
    Ok(out)
}
