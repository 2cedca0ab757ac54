//! Many scenarios at once: `ancillary batch` runs folders in parallel (rayon), `ancillary
//! sweep` runs the cross product of settings of one scenario. Each scenario's outputs are
//! exactly those of `ancillary run` on it alone, whatever the number of threads: scenarios are
//! independent and each run is sequential and deterministic.

use std::collections::BTreeMap;
use std::io::IsTerminal;
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

/// Loads, runs and renders one scenario from its files (with `report.html` when `report`);
/// returns the outputs and the totals.
pub fn run_files(
    files: &BTreeMap<String, Vec<u8>>,
    report: bool,
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
        .filter(|c| !c.shortfall_mw.is_zero())
        .count();
    let mut out = crate::output::render(&s, &r);
    if report {
        crate::add_report(&s, &mut out)?;
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

/// Progress on a terminal as a bar, otherwise one plain line per finished scenario.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            total,
            done: 0.into(),
        }
    }

    fn finished(&self, name: &str, ok: bool, wall: Duration) {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let status = if ok { "ok" } else { "FAILED" };
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{name} {status}"));
                bar.inc(1);
            }
            None => eprintln!(
                "[{n}/{}] {name} {status} {:.2} s",
                self.total,
                wall.as_secs_f64()
            ),
        }
    }

    fn close(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Runs named jobs (name, files) on `threads` threads, writing each job's outputs to
/// `out_root/name`. One failure never stops the others.
fn run_parallel(
    work: Vec<(Job, Files)>,
    out_root: &Path,
    threads: usize,
    report: bool,
) -> Result<Vec<Outcome>, Error> {
    run_parallel_with(work, out_root, threads, |files| run_files(files, report))
}

/// [`run_parallel`] with the run of one scenario given, so that a test can give one that
/// panics.
fn run_parallel_with<F>(
    work: Vec<(Job, Files)>,
    out_root: &Path,
    threads: usize,
    run: F,
) -> Result<Vec<Outcome>, Error>
where
    F: Fn(&BTreeMap<String, Vec<u8>>) -> Result<(BTreeMap<String, Vec<u8>>, Totals), InputError>
        + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            Error::Output(
                out_root.to_path_buf(),
                format!("cannot start {threads} threads: {e}"),
            )
        })?;
    std::fs::create_dir_all(out_root).map_err(|e| Error::io(out_root, e))?;
    let progress = Progress::new(work.len());
    let outcomes = pool.install(|| {
        work.into_par_iter()
            .map(|(job, files)| {
                let start = Instant::now();
                let result = isolated(|| {
                    files
                        .map_err(Error::from)
                        .and_then(|files| run(&files).map_err(Error::from))
                        .and_then(|(out, totals)| {
                            crate::output::dir::write(&out_root.join(&job.folder), &out, false)?;
                            Ok(totals)
                        })
                        .map_err(|e| e.to_string())
                });
                let wall = start.elapsed();
                progress.finished(&job.folder, result.is_ok(), wall);
                Outcome { job, result, wall }
            })
            .collect::<Vec<_>>()
    });
    progress.close();
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
pub fn run_batch(
    jobs: Vec<Job>,
    out_root: &Path,
    threads: usize,
    report: bool,
) -> Result<Vec<Outcome>, Error> {
    let work = jobs
        .into_iter()
        .map(|job| {
            let files = read_scenario(&job.dir);
            (job, files)
        })
        .collect();
    run_parallel(work, out_root, threads, report)
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
fn toml_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// `scenario.toml` text with `key` (dotted) set to `raw`.
fn set_key(text: &str, key: &str, raw: &str) -> Result<String, InputError> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        InputError::new(ErrorKind::Parse, "scenario.toml", e.message().to_string())
    })?;
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = &mut table;
    for p in &parts[..parts.len() - 1] {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| {
                InputError::new(
                    ErrorKind::Invalid,
                    "scenario.toml",
                    format!("{p} is not a section, so {key} cannot be set"),
                )
                .at_column(key)
            })?;
    }
    cur.insert(parts[parts.len() - 1].to_string(), toml_value(raw));
    toml::to_string(&table)
        .map_err(|e| InputError::new(ErrorKind::Invalid, "scenario.toml", e.to_string()))
}

/// `ancillary sweep`: the cross product of `settings` applied to one scenario, run as a batch.
/// Returns each variant's settings and outcome, in order.
pub fn run_sweep(
    scenario: &Path,
    settings: &[Setting],
    out_root: &Path,
    threads: usize,
    report: bool,
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
    for combo in &combos {
        let mut t = text.clone();
        let mut label = Vec::new();
        for (s, v) in settings.iter().zip(combo) {
            t = set_key(&t, &s.key, v)?;
            label.push(format!("{}-{v}", s.key));
        }
        let mut files = base.clone();
        files.insert("scenario.toml".into(), t.into_bytes());
        let job = Job {
            folder: names::encode(&label.join("__")),
            dir: scenario.to_path_buf(),
        };
        work.push((job, Ok(files)));
    }
    let outcomes = run_parallel(work, out_root, threads, report)?;
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
        let outcomes = run_parallel_with(work, root.path(), 2, |f| {
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
