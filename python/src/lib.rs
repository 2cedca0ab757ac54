//! `ancillary._ancillary`: the Rust side of the Python package. A thin layer over the
//! `ancillary` crate's public API: load a scenario (the CLI's validation), run it, render the
//! CLI's files in memory, write them with the CLI's safe output writer, audit, diff and
//! report. Everything here hands bytes to Python; the pandas side (`ancillary/__init__.py`)
//! reads them, so a DataFrame holds exactly what the CSV file the CLI writes holds.
//!
//! Runs release the GIL (`Python::detach`): a notebook can run scenarios on threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ancillary::ErrorKind;
use ancillary::scenario::Scenario;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString};

type Files = BTreeMap<String, Vec<u8>>;

pyo3::create_exception!(
    ancillary,
    InputError,
    PyValueError,
    "Bad scenario input, as the CLI reports it (exit 2): the message is the CLI's line, and \
     the attributes say where: `file` (e.g. 'units.csv'), `line` (the header is line 1; None \
     when the error is about a whole file), `column` (CSV column or scenario.toml key; may be \
     None), `rule` (the rule broken) and `kind` ('parse', 'invalid', 'missing_file', …)."
);

pyo3::create_exception!(
    ancillary,
    OutputError,
    PyOSError,
    "An output folder refused or not writable: another run holds it, or it exists and is not \
     an earlier ancillary output (pass force=True to write our files into it)."
);

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::MissingFile => "missing_file",
        ErrorKind::Unreadable => "unreadable",
        ErrorKind::MissingColumn => "missing_column",
        ErrorKind::Parse => "parse",
        ErrorKind::Invalid => "invalid",
        ErrorKind::UnknownReference => "unknown_reference",
        ErrorKind::Duplicate => "duplicate",
        ErrorKind::Refused => "refused",
        ErrorKind::Solver => "solver",
    }
}

/// The library's positioned error as `ancillary.InputError`, its position as attributes.
fn input_error(e: ancillary::InputError) -> PyErr {
    Python::attach(|py| {
        let err = InputError::new_err(e.to_string());
        let value = err.value(py);
        let set = || -> PyResult<()> {
            value.setattr("file", &e.file)?;
            value.setattr("line", e.line)?;
            value.setattr("column", e.column.as_deref())?;
            value.setattr("rule", &e.rule)?;
            value.setattr("kind", kind_name(e.kind))?;
            Ok(())
        };
        match set() {
            Ok(()) => err,
            Err(failed) => failed,
        }
    })
}

fn error(e: ancillary::Error) -> PyErr {
    match e {
        ancillary::Error::Input(e) => input_error(e),
        ancillary::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        ancillary::Error::OutputNotOurs(_) | ancillary::Error::Output(..) => {
            OutputError::new_err(e.to_string())
        }
    }
}

/// A loaded, validated scenario, with the files it was loaded from (for `with_settings`).
#[pyclass(module = "ancillary._ancillary", name = "_Scenario", frozen)]
struct PyScenario {
    files: Arc<Files>,
    scenario: Arc<Scenario>,
    path: Option<PathBuf>,
}

impl PyScenario {
    fn load(files: Files, path: Option<PathBuf>) -> Result<PyScenario, ancillary::InputError> {
        let scenario = ancillary::scenario::load_files(&files)?;
        Ok(PyScenario {
            files: Arc::new(files),
            scenario: Arc::new(scenario),
            path,
        })
    }

    fn toml_text(&self) -> &str {
        &self.scenario.config_text
    }
}

/// A Python value as a TOML value: bool, int, float, str; a `decimal.Decimal` (or anything
/// else whose `str` is a TOML number) by its text.
fn toml_value(value: &Bound<'_, PyAny>, key: &str) -> PyResult<toml_edit::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(value.extract::<bool>()?.into());
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(value.extract::<i64>()?.into());
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(value.extract::<f64>()?.into());
    }
    if value.is_instance_of::<PyString>() {
        return Ok(value.extract::<String>()?.into());
    }
    let text = value.str()?.to_string();
    match text.parse::<toml_edit::Value>() {
        Ok(v @ (toml_edit::Value::Integer(_) | toml_edit::Value::Float(_))) => Ok(v),
        _ => Err(PyTypeError::new_err(format!(
            "{key}: a setting is a bool, int, float, str or decimal.Decimal (or None to remove \
             the key), got {}",
            value.get_type().name()?
        ))),
    }
}

fn settings_error(key: &str, rule: impl Into<String>) -> ancillary::InputError {
    ancillary::InputError::new(ErrorKind::Invalid, "scenario.toml", rule).at_column(key)
}

/// `text` with dotted `key` set to `value` (or removed, for `None`), the rest of the text kept
/// as written: comments, order, and the comment after a replaced value.
fn set_key(
    doc: &mut toml_edit::DocumentMut,
    key: &str,
    value: Option<toml_edit::Value>,
) -> Result<(), ancillary::InputError> {
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(settings_error(
            key,
            "a setting's key is a dotted scenario.toml key, e.g. caps.fr_mileage_price_yuan_per_mw",
        ));
    }
    let (leaf, sections) = parts.split_last().expect("split gives one part at least");
    let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    for (depth, part) in sections.iter().enumerate() {
        if value.is_none() && !table.contains_key(part) {
            return Ok(());
        }
        let item = table.entry(part).or_insert(toml_edit::table());
        table = item.as_table_like_mut().ok_or_else(|| {
            settings_error(
                key,
                format!(
                    "{} is a value, not a section, so {key} cannot be set",
                    parts[..=depth].join(".")
                ),
            )
        })?;
    }
    match (table.get_mut(leaf), value) {
        (Some(item), _) if item.is_table_like() => Err(settings_error(
            key,
            format!("{key} is a section; set one of its keys"),
        )),
        (Some(_), None) => {
            table.remove(leaf);
            Ok(())
        }
        (Some(item), Some(mut v)) => {
            if let Some(old) = item.as_value() {
                *v.decor_mut() = old.decor().clone();
            }
            *item = toml_edit::Item::Value(v);
            Ok(())
        }
        (None, Some(v)) => {
            table.insert(leaf, toml_edit::Item::Value(v));
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

/// How deep `config`'s dicts may nest: scenario.toml's sections are two deep at most, and a
/// deeper config (10,000 dicts) would overflow the stack converting it.
const MAX_CONFIG_DEPTH: usize = 16;

/// A dotted key cut to its first parts, for a message about a key nested too deep.
fn shown_key(dotted: &str) -> String {
    let parts: Vec<&str> = dotted.split('.').collect();
    if parts.len() <= MAX_CONFIG_DEPTH + 1 {
        dotted.to_string()
    } else {
        format!("{}.….{}", parts[..4].join("."), parts[parts.len() - 1])
    }
}

/// `config` (nested dicts, or dotted keys) as scenario.toml's text. A dict nested more than
/// [`MAX_CONFIG_DEPTH`] deep, or one that contains itself, is an `InputError`.
fn config_toml(config: &Bound<'_, PyDict>) -> PyResult<String> {
    fn add(
        doc: &mut toml_edit::DocumentMut,
        prefix: &str,
        table: &Bound<'_, PyDict>,
        // The dicts from the top down to `table` (by identity), to notice a cycle.
        path: &mut Vec<*mut pyo3::ffi::PyObject>,
    ) -> PyResult<()> {
        path.push(table.as_ptr());
        for (key, value) in table.iter() {
            let key: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err("a config key is a str"))?;
            let dotted = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            if let Ok(inner) = value.cast::<PyDict>() {
                if path.contains(&inner.as_ptr()) {
                    return Err(input_error(settings_error(
                        &shown_key(&dotted),
                        format!(
                            "the config contains itself: {} is a dict that holds it, so it has no end as scenario.toml",
                            shown_key(&dotted)
                        ),
                    )));
                }
                if path.len() >= MAX_CONFIG_DEPTH {
                    return Err(input_error(settings_error(
                        &shown_key(&dotted),
                        format!(
                            "the config nests dicts more than {MAX_CONFIG_DEPTH} deep; scenario.toml's sections are at most two deep"
                        ),
                    )));
                }
                add(doc, &dotted, inner, path)?;
            } else if value.is_none() {
                continue;
            } else {
                let v = if let Ok(list) = value.cast::<pyo3::types::PyList>() {
                    let mut array = toml_edit::Array::new();
                    for item in list.iter() {
                        array.push_formatted(toml_value(&item, &dotted)?);
                    }
                    toml_edit::Value::Array(array)
                } else {
                    toml_value(&value, &dotted)?
                };
                set_key(doc, &dotted, Some(v)).map_err(input_error)?;
            }
        }
        path.pop();
        Ok(())
    }
    let mut doc = toml_edit::DocumentMut::new();
    add(&mut doc, "", config, &mut Vec::new())?;
    Ok(doc.to_string())
}

#[pymethods]
impl PyScenario {
    /// Validates a scenario given as its files' bytes (name → bytes, the CSV files of the
    /// contract) and its configuration as a dict (scenario.toml's keys), as `ancillary run`
    /// validates a folder: `Scenario.from_frames` hands its DataFrames here as CSV.
    #[staticmethod]
    fn from_files(
        py: Python<'_>,
        files: BTreeMap<String, Vec<u8>>,
        config: &Bound<'_, PyDict>,
    ) -> PyResult<PyScenario> {
        let mut files = files;
        files.insert("scenario.toml".into(), config_toml(config)?.into_bytes());
        py.detach(|| PyScenario::load(files, None))
            .map_err(input_error)
    }

    /// Reads and validates a scenario folder as `ancillary run` does.
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: PathBuf) -> PyResult<PyScenario> {
        let loaded = py.detach(|| {
            let files = ancillary::scenario::read_files(&path)?;
            PyScenario::load(files, Some(path))
        });
        loaded.map_err(input_error)
    }

    /// A copy with dotted `scenario.toml` keys set (`None` removes a key), validated again.
    fn with_settings(&self, py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<PyScenario> {
        let mut doc: toml_edit::DocumentMut = self.toml_text().parse().map_err(|e| {
            input_error(ancillary::InputError::new(
                ErrorKind::Parse,
                "scenario.toml",
                format!("{e}"),
            ))
        })?;
        for (key, value) in settings.iter() {
            let key: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err("a setting's key is a str"))?;
            let value = if value.is_none() {
                None
            } else {
                Some(toml_value(&value, &key)?)
            };
            set_key(&mut doc, &key, value).map_err(input_error)?;
        }
        let mut files = (*self.files).clone();
        files.insert("scenario.toml".into(), doc.to_string().into_bytes());
        let path = self.path.clone();
        py.detach(|| PyScenario::load(files, path))
            .map_err(input_error)
    }

    /// `scenario.toml` as loaded (after any `with_settings`).
    #[getter]
    fn toml(&self) -> &str {
        self.toml_text()
    }

    #[getter]
    fn name(&self) -> &str {
        &self.scenario.config.name
    }

    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// What loading noticed without refusing (unknown files or columns, …).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.scenario.warnings.clone()
    }

    /// `sha256:…` over the scenario's files, as in `summary.json`.
    #[getter]
    fn input_digest(&self) -> String {
        format!("sha256:{}", self.scenario.input_digest)
    }

    /// The names of the files the scenario was loaded from (`scenario.toml` and its CSV
    /// files), in name order.
    fn input_names(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// One input file's bytes, as loaded (`None` where the scenario has no such file).
    fn input_file<'py>(&self, py: Python<'py>, name: &str) -> Option<Bound<'py, PyBytes>> {
        self.files.get(name).map(|b| PyBytes::new(py, b))
    }

    /// `scenario.toml` as JSON (tables as objects), for `Scenario.config()`.
    fn config_json(&self) -> PyResult<String> {
        let table: toml::Table = self.toml_text().parse().map_err(|e| {
            input_error(ancillary::InputError::new(
                ErrorKind::Parse,
                "scenario.toml",
                format!("{e}"),
            ))
        })?;
        serde_json::to_string(&table).map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// A run's output files, rendered in memory exactly as `ancillary run` writes them.
#[pyclass(module = "ancillary._ancillary", name = "_Run", frozen)]
struct PyRun {
    scenario: Arc<Scenario>,
    /// The run itself, for writing its tables in another format (None for an output folder
    /// read back, whose files are all there is).
    result: Option<Arc<ancillary::run::RunResult>>,
    files: Arc<Files>,
    warnings: Vec<String>,
}

/// The tables' format by name, as `run --format` takes it.
fn format(name: &str) -> PyResult<ancillary::output::Format> {
    match name {
        "csv" => Ok(ancillary::output::Format::Csv),
        "parquet" => Ok(ancillary::output::Format::Parquet),
        _ => Err(PyValueError::new_err(format!(
            "format is \"csv\" or \"parquet\", got {name:?}"
        ))),
    }
}

/// A scenario and a run of it, as `ancillary run` renders it.
fn run_one(s: &Arc<Scenario>) -> Result<PyRun, ancillary::InputError> {
    let result = ancillary::run::run(s)?;
    let files = ancillary::output::render(s, &result);
    Ok(PyRun {
        scenario: Arc::clone(s),
        warnings: result.warnings.clone(),
        result: Some(Arc::new(result)),
        files: Arc::new(files),
    })
}

/// `scenario` with the LP solver set as `run --solver` sets it: in the loaded configuration,
/// not in scenario.toml, so the input digest (and every output byte) is unchanged.
fn with_solver(scenario: &PyScenario, solver: Option<&str>) -> PyResult<Arc<Scenario>> {
    use ancillary::scenario::config::LpSolver;
    let Some(name) = solver else {
        return Ok(Arc::clone(&scenario.scenario));
    };
    let solver = match name {
        "clarabel" => LpSolver::Clarabel,
        "highs" => LpSolver::Highs,
        _ => {
            return Err(PyValueError::new_err(format!(
                "solver is \"clarabel\" or \"highs\", got {name:?}"
            )));
        }
    };
    if !solver.built_in() {
        return Err(PyValueError::new_err(format!(
            "{name} is not built in: reinstall with pip install ./python \
             --config-settings=build-args=\"--features highs\", or use clarabel, which gives \
             the same results"
        )));
    }
    let mut s = (*scenario.scenario).clone();
    s.config.clearing.solver = Some(solver);
    Ok(Arc::new(s))
}

#[pymethods]
impl PyRun {
    /// The names of the files, as written under the output folder (`statements/C1.csv`, …),
    /// without the manifest (`ancillary.sha256`), which `write` adds.
    fn names(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// One file's bytes, or None when the run does not write it.
    fn file<'py>(&self, py: Python<'py>, name: &str) -> Option<Bound<'py, PyBytes>> {
        self.files.get(name).map(|b| PyBytes::new(py, b))
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Writes the files into `out` with the CLI's writer (`ancillary run --out OUT`, or with
    /// `--report`): the folder is swapped in whole, and an existing folder is replaced only
    /// when it is an intact earlier ancillary output, unless `force`.
    /// `format` "parquet" writes the tables as `run --format parquet` does.
    #[pyo3(signature = (out, force = false, report = false, format = "csv"))]
    fn write(
        &self,
        py: Python<'_>,
        out: PathBuf,
        force: bool,
        report: bool,
        format: &str,
    ) -> PyResult<()> {
        let format = self::format(format)?;
        py.detach(|| {
            let mut files = match (format, &self.result) {
                (ancillary::output::Format::Csv, _) => (*self.files).clone(),
                // The summary lists the files as written, so it is rendered for the format.
                (_, Some(result)) => {
                    ancillary::output::render_listed(&self.scenario, result, format)
                }
                (_, None) => {
                    return Err(ancillary::Error::Output(
                        out.clone(),
                        "an output folder read back is written in its own format only".into(),
                    ));
                }
            };
            if report {
                ancillary::add_report(&self.scenario, &mut files)?;
            }
            let files = ancillary::as_format(files, format, &out)?;
            ancillary::output::dir::write(&out, &files, force)
        })
        .map_err(error)
    }

    /// The self-contained HTML report (`ancillary run --report`'s `report.html`), with the
    /// audit of these results in it. `at` picks the offer stacks' interval.
    #[pyo3(signature = (at = None))]
    fn report_html(&self, py: Python<'_>, at: Option<String>) -> PyResult<String> {
        py.detach(|| {
            // As `ancillary::add_report`, with `at`: the audit of these files goes in.
            let parsed =
                ancillary::audit::results::parse((*self.files).clone(), &self.scenario.horizon)?;
            let checks = ancillary::audit::audit(&self.scenario, &parsed, &self.files)?;
            let mut files = (*self.files).clone();
            files.insert("audit.csv".into(), ancillary::audit::to_csv(&checks));
            ancillary::output::report::render(&files, at.as_deref())
        })
        .map_err(input_error)
    }
}

/// Runs a loaded scenario (with `solver` in place of its `[clearing] solver`, as `run
/// --solver`); the GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (scenario, solver = None))]
fn run(py: Python<'_>, scenario: &PyScenario, solver: Option<&str>) -> PyResult<PyRun> {
    let s = with_solver(scenario, solver)?;
    py.detach(|| run_one(&s)).map_err(input_error)
}

/// Runs scenarios on `jobs` threads of the Rust thread pool (all cores when None), the GIL
/// released meanwhile. One scenario's failure never stops the others: its place in the list
/// holds its `InputError` instead of a run.
#[pyfunction]
#[pyo3(signature = (scenarios, jobs = None, solver = None))]
fn batch(
    py: Python<'_>,
    scenarios: Vec<PyRef<'_, PyScenario>>,
    jobs: Option<usize>,
    solver: Option<&str>,
) -> PyResult<Vec<Py<PyAny>>> {
    use rayon::prelude::*;
    let loaded: Vec<Arc<Scenario>> = scenarios
        .iter()
        .map(|s| with_solver(s, solver))
        .collect::<PyResult<_>>()?;
    let threads = jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PyValueError::new_err(format!("cannot start {threads} threads: {e}")))?;
    let runs: Vec<Result<PyRun, ancillary::InputError>> =
        py.detach(|| pool.install(|| loaded.par_iter().map(run_one).collect()));
    runs.into_iter()
        .map(|r| match r {
            Ok(run) => Ok(Py::new(py, run)?.into_any()),
            Err(e) => Ok(input_error(e).into_value(py).into_any()),
        })
        .collect()
}

/// An output folder of `ancillary run` read back (either format; Parquet tables as the CSV
/// text of the same values), for `Result.from_dir`.
#[pyfunction]
fn read_output(py: Python<'_>, scenario: &PyScenario, path: PathBuf) -> PyResult<PyRun> {
    let files = py
        .detach(|| ancillary::audit::results::read_dir(&path))
        .map_err(input_error)?;
    let warnings = files
        .get("summary.json")
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| {
            v["warnings"].as_array().map(|w| {
                w.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
        })
        .unwrap_or_default();
    Ok(PyRun {
        scenario: Arc::clone(&scenario.scenario),
        result: None,
        files: Arc::new(files),
        warnings,
    })
}

/// `audit.csv`'s bytes for `scenario` against `results` (a fresh run when None), as
/// `ancillary audit SCENARIO [--results DIR]` computes them: the scenario is run again for
/// the reproduction check (notice 196 §五(七)).
#[pyfunction]
#[pyo3(signature = (scenario, results = None))]
fn audit<'py>(
    py: Python<'py>,
    scenario: &PyScenario,
    results: Option<&PyRun>,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = Arc::clone(&scenario.scenario);
    let given = results.map(|r| Arc::clone(&r.files));
    let csv = py
        .detach(|| -> Result<Vec<u8>, ancillary::InputError> {
            // As `audit_dir`: a scenario the rules refuse is audited with no results.
            let rerun = match ancillary::run::run(&s) {
                Ok(r) => ancillary::output::render(&s, &r),
                Err(e) if e.kind == ErrorKind::Refused => Files::new(),
                Err(e) => return Err(e),
            };
            let files = given.map_or_else(|| rerun.clone(), |f| (*f).clone());
            let parsed = if files.is_empty() {
                ancillary::audit::results::Results::default()
            } else {
                ancillary::audit::results::parse(files, &s.horizon)?
            };
            let checks = ancillary::audit::audit(&s, &parsed, &rerun)?;
            Ok(ancillary::audit::to_csv(&checks))
        })
        .map_err(input_error)?;
    Ok(PyBytes::new(py, &csv))
}

/// An output folder's files, or a run's.
fn output_files(py: Python<'_>, side: &Bound<'_, PyAny>) -> PyResult<Arc<Files>> {
    if let Ok(run) = side.cast::<PyRun>() {
        return Ok(Arc::clone(&run.get().files));
    }
    let dir: PathBuf = side.extract().map_err(|_| {
        PyTypeError::new_err("diff compares output folders (str or os.PathLike) or Results")
    })?;
    if !dir.is_dir() {
        return Err(input_error(ancillary::InputError::new(
            ErrorKind::MissingFile,
            dir.display().to_string(),
            "is not a folder",
        )));
    }
    py.detach(|| ancillary::audit::results::read_dir(&dir))
        .map(Arc::new)
        .map_err(input_error)
}

/// A tolerance as the CLI's `--price-tol` / `--money-tol` reads it.
fn tolerance(name: &str, text: &str) -> PyResult<rust_decimal::Decimal> {
    use std::str::FromStr;
    rust_decimal::Decimal::from_str(text)
        .or_else(|_| rust_decimal::Decimal::from_scientific(text))
        .ok()
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| PyValueError::new_err(format!("{name} must be a number ≥ 0, got {text:?}")))
}

/// One difference: file, key, column, expected, actual, and the CLI's line for it.
type DifferenceRow = (String, String, String, String, String, String);

/// Every difference between two outputs, as `ancillary diff` finds them.
#[pyfunction]
fn diff(
    py: Python<'_>,
    expected: &Bound<'_, PyAny>,
    actual: &Bound<'_, PyAny>,
    price_tol: &str,
    money_tol: &str,
) -> PyResult<Vec<DifferenceRow>> {
    let tol = ancillary::diff::Tolerances {
        price: tolerance("price_tol", price_tol)?,
        money: tolerance("money_tol", money_tol)?,
    };
    let (a, b) = (output_files(py, expected)?, output_files(py, actual)?);
    let differences = py
        .detach(|| ancillary::diff::diff(&a, &b, tol))
        .map_err(input_error)?;
    Ok(differences
        .into_iter()
        .map(|d| {
            let line = d.to_string();
            (d.file, d.key, d.column, d.expected, d.actual, line)
        })
        .collect())
}

/// The files of the scenario contract (`units.csv`, …, `scenario.toml`).
#[pyfunction]
fn scenario_files() -> Vec<&'static str> {
    ancillary::scenario::FILES.to_vec()
}

/// The columns of the files a run writes only when it has rows for them.
#[pyfunction]
fn optional_headers() -> BTreeMap<&'static str, Vec<&'static str>> {
    use ancillary::output::{MARKET_POWER, PERFORMANCE_FACTORS, STORAGE};
    [MARKET_POWER, PERFORMANCE_FACTORS, STORAGE]
        .into_iter()
        .map(|(name, columns)| (name, columns.to_vec()))
        .collect()
}

#[pymodule]
fn _ancillary(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("OutputError", m.py().get_type::<OutputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyScenario>()?;
    m.add_class::<PyRun>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(batch, m)?)?;
    m.add_function(wrap_pyfunction!(scenario_files, m)?)?;
    m.add_function(wrap_pyfunction!(read_output, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(optional_headers, m)?)?;
    Ok(())
}
