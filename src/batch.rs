//! Many scenarios at once: `ancillary batch` runs folders in parallel (rayon), `ancillary
//! sweep` runs the cross product of settings of one scenario. Each scenario's outputs are
//! exactly those of `ancillary run` on it alone, whatever the number of threads: scenarios are
//! independent and each run is sequential and deterministic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, InputError};
use crate::output::names;
use crate::product::Product;
use crate::settlement::Item;
use crate::settlement::money::Yuan;

/// A scenario's files (name → bytes), or why they could not be read.
type Files = Result<BTreeMap<String, Vec<u8>>, InputError>;

/// One scenario to run and the folder (under the output root) its outputs go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub folder: String,
    pub dir: PathBuf,
}

/// What one scenario gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub job: Job,
    pub result: Result<Totals, String>,
    pub wall: Duration,
}

/// Compensation per product, for summaries.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub products: Vec<Product>,
    pub compensation: BTreeMap<Product, Yuan>,
    pub shortfall_intervals: usize,
}

const PRODUCTS: [Product; 3] = [Product::Fr, Product::Peak, Product::Reserve];

/// The scenario folders named by `args`: a folder holding `scenario.toml` is a scenario; any
/// other folder stands for the scenarios directly inside it. Sorted by path, each once; output
/// folders are the scenario folders' names, made distinct with a short hash of the path where
/// two share a name.
pub fn collect(args: &[PathBuf]) -> Result<Vec<Job>, InputError> {
    let mut dirs = Vec::new();
    for a in args {
        if a.join("scenario.toml").is_file() {
            dirs.push(a.clone());
        } else if a.is_dir() {
            let entries = std::fs::read_dir(a).map_err(|e| {
                InputError::new(
                    ErrorKind::Unreadable,
                    a.display().to_string(),
                    format!("cannot read the folder: {e}"),
                )
            })?;
            let found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("scenario.toml").is_file())
                .collect();
            if found.is_empty() {
                return Err(InputError::new(
                    ErrorKind::MissingFile,
                    a.display().to_string(),
                    "holds no scenario (no scenario.toml in it or in its folders)",
                ));
            }
            dirs.extend(found);
        } else {
            return Err(InputError::new(
                ErrorKind::MissingFile,
                a.display().to_string(),
                "is not a scenario folder",
            ));
        }
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    dirs.sort_by_key(|p| canonical(p));
    dirs.dedup_by_key(|p| canonical(p));
    let base = |p: &Path| {
        names::encode(&p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        ))
    };
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for d in &dirs {
        *count.entry(base(d).to_lowercase()).or_default() += 1;
    }
    Ok(dirs
        .into_iter()
        .map(|dir| {
            let mut folder = base(&dir);
            if count[&folder.to_lowercase()] > 1 {
                let h = Sha256::digest(canonical(&dir).to_string_lossy().as_bytes());
                folder = format!("{folder}-{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3]);
            }
            Job { folder, dir }
        })
        .collect())
}

/// The `k`-th (1-based) of `n` deterministic slices of `jobs`: every `n`-th job from the
/// `k`-th, so that the shards cover the list exactly once.
pub fn shard(jobs: Vec<Job>, k: usize, n: usize) -> Vec<Job> {
    jobs.into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k - 1)
        .map(|(_, j)| j)
        .collect()
}

/// Loads, runs and renders one scenario from its files (with `report.html` when `report`),
/// the tables in `format`; returns the outputs and the totals.
pub fn run_files(
    files: &BTreeMap<String, Vec<u8>>,
    report: bool,
    format: crate::output::Format,
) -> Result<(BTreeMap<String, Vec<u8>>, Totals), InputError> {
    let s = crate::scenario::load_files(files)?;
    let r = crate::run::run(&s)?;
    let mut totals = Totals::default();
    for p in PRODUCTS {
        if r.clearing.iter().any(|c| c.product == p) {
            totals.products.push(p);
            totals
                .compensation
                .insert(p, crate::run::total_item(&r, p, Item::Compensation));
        }
    }
    totals.shortfall_intervals = r
        .clearing
        .iter()
        .filter(|c| !c.shortfall_mw.is_zero() && c.zone.is_none())
        .count();
    let mut out = crate::output::render_listed(&s, &r, format);
    if report {
        crate::add_report(&s, &mut out)?;
    }
    if format == crate::output::Format::Parquet {
        // Converting our own CSV fails only on a bug of ours; said as an error, not a panic.
        out = crate::output::parquet::convert(out).map_err(|e| {
            InputError::new(
                ErrorKind::Invalid,
                "outputs",
                format!("cannot write Parquet: {e}"),
            )
        })?;
    }
    Ok((out, totals))
}

/// Reads the contract's files of a scenario folder.
pub fn read_scenario(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, InputError> {
    if !dir.join("scenario.toml").is_file() {
        return Err(InputError::new(
            ErrorKind::MissingFile,
            dir.display().to_string(),
            "is not a scenario folder",
        ));
    }
    crate::scenario::read_files(dir)
}

/// How a batch or sweep runs: threads, reports, progress.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub threads: usize,
    /// Also write `report.html` for each scenario.
    pub report: bool,
    /// No progress on stderr.
    pub quiet: bool,
    /// The tables' format.
    pub format: crate::output::Format,
}

/// Runs named jobs (name, files) on `threads` threads, writing each job's outputs to
/// `out_root/name`. One failure never stops the others.
fn run_parallel(
    work: Vec<(Job, Files)>,
    out_root: &Path,
    options: Options,
) -> Result<Vec<Outcome>, Error> {
    run_parallel_with(work, out_root, options, |_, files| {
        run_files(files, options.report, options.format)
    })
}

/// [`run_parallel`] with the run of one scenario given, so that a test can give one that
/// panics.
fn run_parallel_with<F>(
    work: Vec<(Job, Files)>,
    out_root: &Path,
    options: Options,
    run: F,
) -> Result<Vec<Outcome>, Error>
where
    F: Fn(
            &Job,
            &BTreeMap<String, Vec<u8>>,
        ) -> Result<(BTreeMap<String, Vec<u8>>, Totals), InputError>
        + Sync,
{
    let threads = options.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            Error::Output(
                out_root.to_path_buf(),
                format!("cannot start {threads} threads: {e}"),
            )
        })?;
    // A file (or anything but a folder) at the output root: say so, as `run` does, rather
    // than "File exists (os error 17)" from creating the folder.
    if std::fs::metadata(out_root).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::Output(
            out_root.to_path_buf(),
            "exists and is not a folder; choose another folder for the outputs".into(),
        ));
    }
    std::fs::create_dir_all(out_root).map_err(|e| Error::io(out_root, e))?;
    let progress = crate::progress::Progress::new(work.len() as u64, "scenarios", options.quiet);
    let outcomes = pool.install(|| {
        work.into_par_iter()
            .map(|(job, files)| {
                let start = Instant::now();
                let result = isolated(|| {
                    files
                        .map_err(Error::from)
                        .and_then(|files| run(&job, &files).map_err(Error::from))
                        .and_then(|(out, totals)| {
                            crate::output::dir::write(&out_root.join(&job.folder), &out, false)?;
                            Ok(totals)
                        })
                        .map_err(|e| e.to_string())
                });
                let wall = start.elapsed();
                let status = if result.is_ok() { "ok" } else { "FAILED" };
                progress.item(&format!(
                    "{} {status} {:.2} s",
                    job.folder,
                    wall.as_secs_f64()
                ));
                Outcome { job, result, wall }
            })
            .collect::<Vec<_>>()
    });
    progress.finish();
    Ok(outcomes)
}

/// Runs one scenario's work so that a panic (a bug of ours, never the user's) becomes that
/// scenario's failure instead of the whole batch's. Its staging folder is removed as the
/// panic unwinds.
fn isolated<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(format!(
            "internal error (a bug in ancillary; please report it with this scenario): {what}"
        ))
    })
}

/// `ancillary batch`: runs `jobs` and writes their outputs under `out_root`.
pub fn run_batch(jobs: Vec<Job>, out_root: &Path, options: Options) -> Result<Vec<Outcome>, Error> {
    let work = jobs
        .into_iter()
        .map(|job| {
            let files = read_scenario(&job.dir);
            (job, files)
        })
        .collect();
    run_parallel(work, out_root, options)
}

/// `batch_summary.csv`: `scenario, folder, status, products, fr_yuan, peak_yuan, reserve_yuan,
/// shortfall_intervals, wall_s, error`.
pub fn summary_csv(outcomes: &[Outcome]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scenario",
        "folder",
        "status",
        "products",
        "fr_yuan",
        "peak_yuan",
        "reserve_yuan",
        "shortfall_intervals",
        "wall_s",
        "error",
    ])
    .expect("memory");
    for o in outcomes {
        let (status, products, money, shortfall, error) = match &o.result {
            Ok(t) => (
                "ok",
                t.products
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                PRODUCTS.map(|p| {
                    t.compensation
                        .get(&p)
                        .map(|y| y.to_string())
                        .unwrap_or_default()
                }),
                t.shortfall_intervals.to_string(),
                String::new(),
            ),
            Err(e) => (
                "error",
                String::new(),
                [String::new(), String::new(), String::new()],
                String::new(),
                e.clone(),
            ),
        };
        w.write_record([
            o.job.dir.display().to_string().as_str(),
            &o.job.folder,
            status,
            &products,
            &money[0],
            &money[1],
            &money[2],
            &shortfall,
            &format!("{:.3}", o.wall.as_secs_f64()),
            &error,
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// The summary's file name: `batch_summary.csv`, or per shard `batch_summary.shard-K-of-N.csv`.
pub fn summary_name(shard: Option<(usize, usize)>) -> String {
    match shard {
        Some((k, n)) => format!("batch_summary.shard-{k}-of-{n}.csv"),
        None => "batch_summary.csv".into(),
    }
}

/// `ancillary batch --merge`: joins the shard summaries under `out_root` into
/// `batch_summary.csv`, sorted by scenario. Fails if a shard of the set is missing.
pub fn merge(out_root: &Path) -> Result<(usize, usize), Error> {
    let mut shards: BTreeMap<usize, (usize, PathBuf)> = BTreeMap::new();
    let entries = std::fs::read_dir(out_root).map_err(|e| Error::io(out_root, e))?;
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name
            .strip_prefix("batch_summary.shard-")
            .and_then(|r| r.strip_suffix(".csv"))
        else {
            continue;
        };
        let Some((k, n)) = rest.split_once("-of-") else {
            continue;
        };
        if let (Ok(k), Ok(n)) = (k.parse::<usize>(), n.parse::<usize>()) {
            shards.insert(k, (n, e.path()));
        }
    }
    let n = shards.values().next().map(|(n, _)| *n).ok_or_else(|| {
        Error::Output(
            out_root.to_path_buf(),
            "holds no batch_summary.shard-K-of-N.csv to merge".into(),
        )
    })?;
    if shards.values().any(|(m, _)| *m != n) || (1..=n).any(|k| !shards.contains_key(&k)) {
        let have: Vec<String> = shards
            .iter()
            .map(|(k, (m, _))| format!("{k}/{m}"))
            .collect();
        return Err(Error::Output(
            out_root.to_path_buf(),
            format!(
                "has shards {} but a complete set 1..{n} of {n} is needed",
                have.join(", ")
            ),
        ));
    }
    let mut header = None;
    let mut rows: Vec<csv::StringRecord> = Vec::new();
    for (_, path) in shards.values() {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        header = Some(
            r.headers()
                .map_err(|e| Error::Output(path.clone(), e.to_string()))?
                .clone(),
        );
        for rec in r.records() {
            rows.push(rec.map_err(|e| Error::Output(path.clone(), e.to_string()))?);
        }
    }
    rows.sort_by(|a, b| a.get(0).cmp(&b.get(0)));
    let mut w = csv::Writer::from_writer(Vec::new());
    if let Some(h) = header {
        w.write_record(&h).expect("memory");
    }
    for r in &rows {
        w.write_record(r).expect("memory");
    }
    let path = out_root.join("batch_summary.csv");
    std::fs::write(&path, w.into_inner().expect("memory")).map_err(|e| Error::io(&path, e))?;
    Ok((n, rows.len()))
}

/// One `--set key=v1,v2,…` of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Dotted TOML key, e.g. `caps.fr_mileage_price_yuan_per_mw`.
    pub key: String,
    pub values: Vec<String>,
}

impl std::str::FromStr for Setting {
    type Err = String;
    fn from_str(s: &str) -> Result<Setting, String> {
        let (key, values) = s
            .split_once('=')
            .ok_or_else(|| format!("expected key=v1,v2,…, got {s:?}"))?;
        let values: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if key.trim().is_empty() || values.is_empty() {
            return Err(format!("expected key=v1,v2,…, got {s:?}"));
        }
        Ok(Setting {
            key: key.trim().to_string(),
            values,
        })
    }
}

/// A value as TOML would read it (`15`, `0.5`, `true`, `"uniform"`), or a bare word as a string.
fn toml_value(raw: &str) -> toml_edit::Value {
    raw.parse::<toml_edit::Value>()
        .unwrap_or_else(|_| toml_edit::Value::from(raw))
}

/// A `scenario.toml` as a sweep variant changed it, and where its lines came from.
struct Edited {
    text: String,
    /// Per line of `text`: the user's line number (1-based), or `None` for a line a `--set`
    /// wrote or changed.
    origin: Vec<Option<u64>>,
    /// This variant's settings, `key=value`.
    sets: Vec<String>,
}

/// `text` (the user's `scenario.toml`) with each dotted key set to its value. Edited in place
/// with `toml_edit`: every other line, comment and key stays as the user wrote it, a key set
/// in a table keeps the table's other keys (and serde's defaults for absent ones), and a key
/// absent from the file is added to its table (as a dotted key where the table is absent).
fn set_keys(text: &str, sets: &[(&str, &str)]) -> Result<Edited, InputError> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let mut err = InputError::new(ErrorKind::Parse, "scenario.toml", e.message().trim());
        if let Some(span) = e.span() {
            err = err.at_line(text[..span.start.min(text.len())].matches('\n').count() as u64 + 1);
        }
        err
    })?;
    for (key, raw) in sets {
        let invalid = |rule: String| {
            InputError::new(ErrorKind::Invalid, "scenario.toml", rule).at_column(*key)
        };
        let parts: Vec<&str> = key.split('.').map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(invalid(format!(
                "--set {key}: not a dotted key such as caps.fr_mileage_price_yuan_per_mw"
            )));
        }
        let (leaf, sections) = parts.split_last().expect("split gives at least one part");
        let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
        for p in sections {
            if !table.contains_key(p) {
                let mut t = toml_edit::Table::new();
                t.set_dotted(true);
                table.insert(p, toml_edit::Item::Table(t));
            }
            table = table
                .get_mut(p)
                .and_then(toml_edit::Item::as_table_like_mut)
                .ok_or_else(|| invalid(format!("{p} is not a section, so {key} cannot be set")))?;
        }
        let value = toml_value(raw);
        match table.get_mut(leaf) {
            // In place, keeping the user's spacing and comment.
            Some(toml_edit::Item::Value(old)) => {
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
            }
            Some(toml_edit::Item::Table(_) | toml_edit::Item::ArrayOfTables(_)) => {
                return Err(invalid(format!(
                    "{key} is a section: set its keys one by one, e.g. {key}.NAME=VALUE"
                )));
            }
            _ => {
                table.insert(leaf, toml_edit::Item::Value(value));
            }
        }
    }
    let edited = doc.to_string();
    let (old, new): (Vec<&str>, Vec<&str>) = (text.lines().collect(), edited.lines().collect());
    let mut origin = vec![None; new.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let (tag, old_lines, new_lines) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            for (o, n) in old_lines.zip(new_lines) {
                origin[n] = Some(o as u64 + 1);
            }
        }
    }
    Ok(Edited {
        text: edited,
        origin,
        sets: sets.iter().map(|(k, v)| format!("{k}={v}")).collect(),
    })
}

impl Edited {
    /// `e` as the user should read it: a line of the edited `scenario.toml` becomes the line of
    /// the user's own file it came from, or, for a line a `--set` wrote, says so.
    fn place(&self, mut e: InputError) -> InputError {
        if e.file != crate::scenario::config::FILE {
            return e;
        }
        let Some(line) = e.line else {
            return e;
        };
        match self.origin.get(line as usize - 1).copied().flatten() {
            Some(user_line) => e.line = Some(user_line),
            None => {
                // The --set whose dotted key holds this line's key (`b = 3`, `weights.rate =
                // 0.5`, `[fr.weights]`), or every --set of the variant.
                let text = self.text.lines().nth(line as usize - 1).unwrap_or("");
                let written: Vec<&str> = text
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['[', ']'])
                    .split('.')
                    .map(|p| p.trim().trim_matches(['"', '\'']))
                    .collect();
                let named: Vec<&String> = self
                    .sets
                    .iter()
                    .filter(|s| {
                        let key = s.split_once('=').map_or(s.as_str(), |(k, _)| k);
                        let parts: Vec<&str> = key.split('.').map(str::trim).collect();
                        parts
                            .windows(written.len())
                            .any(|w| w == written.as_slice())
                    })
                    .collect();
                let shown: Vec<&String> = if named.is_empty() {
                    self.sets.iter().collect()
                } else {
                    named
                };
                let list: Vec<String> = shown.iter().map(|s| format!("--set {s}")).collect();
                e.line = None;
                e.rule = format!("{} (in what {} wrote)", e.rule, list.join(" and "));
            }
        }
        e
    }
}

/// `ancillary sweep`: the cross product of `settings` applied to one scenario, run as a batch.
/// Returns each variant's settings and outcome, in order. Errors in a variant's
/// `scenario.toml` name the user's line, or the `--set` that wrote it.
pub fn run_sweep(
    scenario: &Path,
    settings: &[Setting],
    out_root: &Path,
    options: Options,
) -> Result<Vec<(Vec<String>, Outcome)>, Error> {
    let base = read_scenario(scenario)?;
    // read_scenario checked the file exists, but it may go between the check and the read.
    let toml = base.get("scenario.toml").ok_or_else(|| {
        InputError::new(
            ErrorKind::MissingFile,
            "scenario.toml",
            "is not in the scenario folder",
        )
    })?;
    let text = String::from_utf8(toml.clone()).map_err(|_| {
        InputError::new(
            ErrorKind::Unreadable,
            "scenario.toml",
            "is not valid UTF-8 text",
        )
    })?;
    // The cross product, first setting slowest.
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for s in settings {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                s.values
                    .iter()
                    .map(move |v| [c.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    let mut work = Vec::with_capacity(combos.len());
    let mut edits = BTreeMap::new();
    for combo in &combos {
        let sets: Vec<(&str, &str)> = settings
            .iter()
            .zip(combo)
            .map(|(s, v)| (s.key.as_str(), v.as_str()))
            .collect();
        let edited = set_keys(&text, &sets)?;
        let label: Vec<String> = sets.iter().map(|(k, v)| format!("{k}-{v}")).collect();
        let mut files = base.clone();
        files.insert("scenario.toml".into(), edited.text.clone().into_bytes());
        let job = Job {
            folder: names::encode(&label.join("__")),
            dir: scenario.to_path_buf(),
        };
        edits.insert(job.folder.clone(), edited);
        work.push((job, Ok(files)));
    }
    let outcomes = run_parallel_with(work, out_root, options, |job, files| {
        run_files(files, options.report, options.format).map_err(|e| match edits.get(&job.folder) {
            Some(edited) => edited.place(e),
            None => e,
        })
    })?;
    Ok(combos.into_iter().zip(outcomes).collect())
}

/// `sweep_summary.csv`: one row per setting combination with its totals.
pub fn sweep_csv(settings: &[Setting], rows: &[(Vec<String>, Outcome)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = settings.iter().map(|s| s.key.clone()).collect();
    header.extend(
        [
            "status",
            "fr_yuan",
            "peak_yuan",
            "reserve_yuan",
            "total_yuan",
            "shortfall_intervals",
            "folder",
            "error",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("memory");
    for (values, o) in rows {
        let mut rec = values.clone();
        match &o.result {
            Ok(t) => {
                let total: Yuan = t.compensation.values().copied().sum();
                rec.push("ok".into());
                rec.extend(PRODUCTS.map(|p| {
                    t.compensation
                        .get(&p)
                        .map(|y| y.to_string())
                        .unwrap_or_default()
                }));
                rec.push(total.to_string());
                rec.push(t.shortfall_intervals.to_string());
                rec.push(o.job.folder.clone());
                rec.push(String::new());
            }
            Err(e) => {
                rec.push("error".into());
                rec.extend(std::iter::repeat_n(String::new(), 5));
                rec.push(o.job.folder.clone());
                rec.push(e.clone());
            }
        }
        w.write_record(&rec).expect("memory");
    }
    w.into_inner().expect("memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_scenario_fails_alone() {
        let root = tempfile::tempdir().unwrap();
        let job = |name: &str| Job {
            folder: name.into(),
            dir: PathBuf::from(name),
        };
        let files = |tag: &[u8]| Ok(BTreeMap::from([("tag".to_string(), tag.to_vec())]));
        let work = vec![(job("bad"), files(b"bad")), (job("good"), files(b"good"))];
        let options = Options {
            threads: 2,
            report: false,
            quiet: true,
            format: crate::output::Format::Csv,
        };
        let outcomes = run_parallel_with(work, root.path(), options, |_, f| {
            if f["tag"] == b"bad" {
                panic!("boom");
            }
            let out = BTreeMap::from([("clearing.csv".to_string(), b"time\n".to_vec())]);
            Ok((out, Totals::default()))
        })
        .unwrap();
        let by = |name: &str| outcomes.iter().find(|o| o.job.folder == name).unwrap();
        let err = by("bad").result.as_ref().unwrap_err();
        assert!(
            err.contains("internal error") && err.contains("boom"),
            "{err}"
        );
        assert!(by("good").result.is_ok());
        assert!(root.path().join("good/clearing.csv").is_file());
        // The panicking job left no folder and no staging behind.
        let left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(left, ["good"], "{left:?}");
    }
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    #[test]
    fn keys_are_set_in_place_and_lines_mapped_back() {
        let text = "name = \"x\"   # n\n\n[caps]\na = 1.0   # keep\n[fr]\nranking = \"price\"\n";
        let e = set_keys(
            text,
            &[
                ("caps.a", "2"),
                ("caps.b", "3"),
                ("fr.weights.rate", "0.5"),
                ("new.k", "yes"),
            ],
        )
        .unwrap();
        // Comments and spacing stay; a new key joins its table, or is dotted where the table
        // is absent (at the root, before the first header).
        assert_eq!(
            e.text,
            "name = \"x\"   # n\nnew.k = \"yes\"\n\n[caps]\na = 2   # keep\nb = 3\n[fr]\nranking = \"price\"\nweights.rate = 0.5\n"
        );
        // Lines of the user's file keep their numbers; the four lines --set wrote have none.
        assert_eq!(
            e.origin,
            [
                Some(1),
                None,
                Some(2),
                Some(3),
                None,
                None,
                Some(5),
                Some(6),
                None
            ]
        );
        let at = |line| InputError::new(ErrorKind::Invalid, "scenario.toml", "bad").at_line(line);
        assert_eq!(e.place(at(8)).line, Some(6));
        let ours = e.place(at(9));
        assert_eq!(ours.line, None);
        assert_eq!(ours.rule, "bad (in what --set fr.weights.rate=0.5 wrote)");
        // A key of a value that is not a table cannot be set.
        let err = set_keys(text, &[("name.x", "1")]).err().unwrap();
        assert!(err.rule.contains("name is not a section"), "{err}");
    }
}
