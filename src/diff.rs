//! `ancillary diff`: two output folders compared file by file and row by row, rows matched by
//! their natural keys (time, product, unit / party, item), numbers within tolerances: prices and
//! quantities within `price_tol`, money (`*_yuan` columns) within `money_tol` (default 0: to the
//! fen).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::InputError;
use crate::scenario::table::Table;

/// Tolerances, absolute.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    pub price: Decimal,
    pub money: Decimal,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            price: Decimal::new(1, 6),
            money: Decimal::ZERO,
        }
    }
}

/// One difference: where, and both values (empty when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub file: String,
    /// The row's key, e.g. `2024-03-01T00:15, fr`; empty for a whole file.
    pub key: String,
    pub column: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.key.is_empty() {
            write!(f, " [{}]", self.key)?;
        }
        if !self.column.is_empty() {
            write!(f, " {}", self.column)?;
        }
        write!(
            f,
            ": expected {}, actual {}",
            show(&self.expected),
            show(&self.actual)
        )
    }
}

fn show(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

/// The columns that identify a row in each output file.
fn key_columns(file: &str) -> &'static [&'static str] {
    match file {
        "clearing.csv" => &["time", "product", "zone"],
        "awards.csv" => &["time", "product", "unit", "band"],
        "settlement.csv" => &["day", "party", "product", "item", "role"],
        "rejected_offers.csv" => &["unit", "product", "start", "end"],
        "statement_monthly.csv" => &["month", "party", "product"],
        "performance_factors.csv" => &["day", "unit"],
        "statements/index.csv" => &["party"],
        "audit.csv" => &["clause", "rule"],
        "market_power.csv" => &["time", "product", "owner"],
        "storage.csv" => &["time", "unit"],
        f if f.starts_with("statements/") => &["period", "product", "item", "role"],
        _ => &[],
    }
}

fn is_money(column: &str) -> bool {
    column.ends_with("_yuan")
}

/// Compares two values of `column`: numbers within the column's tolerance, text exactly.
fn same(column: &str, a: &str, b: &str, tol: Tolerances) -> bool {
    if a == b {
        return true;
    }
    match (Decimal::from_str(a), Decimal::from_str(b)) {
        // checked: an edited file may hold -7.9e28 against 7.9e28, whose difference
        // overflows; such values are not the same under any tolerance.
        (Ok(x), Ok(y)) => x.checked_sub(y).is_some_and(|d| {
            d.abs()
                <= if is_money(column) {
                    tol.money
                } else {
                    tol.price
                }
        }),
        _ => false,
    }
}

type Rows = HashMap<Vec<String>, Vec<(String, String)>>;

fn keyed_rows(file: &str, bytes: &[u8]) -> Result<(Vec<String>, Rows), InputError> {
    let table = Table::parse(file, bytes)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .unwrap_or_default();
    // A key column one side lacks (an older output without `role`) reads as empty, so rows
    // still pair up across versions.
    let keys: Vec<&str> = key_columns(file).to_vec();
    let mut rows: Rows = HashMap::with_capacity(table.len());
    // The line each key was first read on, to name both lines of a repeated key.
    let mut first_line: HashMap<Vec<String>, u64> = HashMap::with_capacity(table.len());
    for (n, row) in table.rows().enumerate() {
        let mut key: Vec<String> = keys
            .iter()
            .map(|k| row.optional(k).unwrap_or("").to_string())
            .collect();
        if keys.is_empty() {
            key.push(format!("row {}", n + 1));
        }
        // ancillary writes each key once: a repeated key is an edited file, and which row to
        // pair with which would be a guess.
        if let Some(first) = first_line.get(&key) {
            return Err(InputError::new(
                crate::ErrorKind::Duplicate,
                file,
                format!(
                    "the row key ({}) = ({}) is repeated: already on line {first}; ancillary writes each key once, so this is not its output",
                    keys.join(", "),
                    key.join(", ")
                ),
            )
            .at_line(row.line)
            .at_column(keys.first().copied().unwrap_or("")));
        }
        first_line.insert(key.clone(), row.line);
        let values = header
            .iter()
            .map(|c| (c.clone(), row.optional(c).unwrap_or("").to_string()))
            .collect();
        rows.insert(key, values);
    }
    Ok((header, rows))
}

fn diff_csv(
    file: &str,
    a: &[u8],
    b: &[u8],
    tol: Tolerances,
    out: &mut Vec<Difference>,
) -> Result<(), InputError> {
    let side = |which: &'static str| {
        move |mut e: InputError| {
            e.rule = format!("in the {which} output, {}", e.rule);
            e
        }
    };
    let (ha, ra) = keyed_rows(file, a).map_err(side("expected"))?;
    let (hb, rb) = keyed_rows(file, b).map_err(side("actual"))?;
    if ha != hb {
        out.push(Difference {
            file: file.into(),
            key: String::new(),
            column: "header".into(),
            expected: ha.join(","),
            actual: hb.join(","),
        });
    }
    let keys: BTreeSet<&Vec<String>> = ra.keys().chain(rb.keys()).collect();
    for key in keys {
        // Empty trailing key cells (no role on a compensation row) are not shown.
        let shown = key.len() - key.iter().rev().take_while(|k| k.is_empty()).count();
        let label = key[..shown.max(1)].join(", ");
        match (ra.get(key), rb.get(key)) {
            (Some(x), Some(y)) => {
                let y: BTreeMap<&str, &str> =
                    y.iter().map(|(c, v)| (c.as_str(), v.as_str())).collect();
                for (column, va) in x {
                    let vb = y.get(column.as_str()).copied().unwrap_or("");
                    if !same(column, va, vb, tol) {
                        out.push(Difference {
                            file: file.into(),
                            key: label.clone(),
                            column: column.clone(),
                            expected: va.clone(),
                            actual: vb.into(),
                        });
                    }
                }
            }
            (Some(_), None) => out.push(Difference {
                file: file.into(),
                key: label,
                column: "row".into(),
                expected: "present".into(),
                actual: String::new(),
            }),
            (None, Some(_)) => out.push(Difference {
                file: file.into(),
                key: label,
                column: "row".into(),
                expected: String::new(),
                actual: "present".into(),
            }),
            (None, None) => {}
        }
    }
    Ok(())
}

/// A summary's `files` list with each top-level table `NAME.parquet` named `NAME.csv`, as the
/// readers read it ([`crate::audit::results::read_dir`]): a CSV output and a Parquet output of
/// the same run list the same files.
fn files_as_read(files: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match files {
        Value::Array(names) => Value::Array(
            names
                .iter()
                .map(|n| match n.as_str() {
                    Some(s) if !s.contains('/') && s.ends_with(".parquet") => {
                        Value::String(format!("{}.csv", s.trim_end_matches(".parquet")))
                    }
                    _ => n.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn diff_json(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    tol: Tolerances,
    out: &mut Vec<Difference>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                // The program version may change without the results changing; nothing else
                // is skipped (the file list included: a file missing from it is a difference).
                if path.is_empty() && k == "version" {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let (xa, ya) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if path.is_empty() && k == "files" {
                    // Tables are compared as read, whichever format they were written in.
                    diff_json(&p, &files_as_read(xa), &files_as_read(ya), tol, out);
                } else {
                    diff_json(&p, xa, ya, tol, out);
                }
            }
        }
        (Value::String(x), Value::String(y)) if same(path, x, y, tol) => {}
        _ if a == b => {}
        _ => out.push(Difference {
            file: "summary.json".into(),
            key: String::new(),
            column: path.into(),
            expected: a.to_string(),
            actual: b.to_string(),
        }),
    }
}

/// Every difference between two output folders' files (name → bytes).
pub fn diff(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
    tol: Tolerances,
) -> Result<Vec<Difference>, InputError> {
    let mut out = Vec::new();
    // The manifest holds digests of the other files (and of summary.json, with the program
    // version): compared file by file already, and within tolerances.
    let names: BTreeSet<&String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|n| n.as_str() != crate::output::dir::MANIFEST)
        .collect();
    for name in names {
        match (expected.get(name), actual.get(name)) {
            (Some(a), Some(b)) if name.ends_with(".csv") => diff_csv(name, a, b, tol, &mut out)?,
            (Some(a), Some(b)) if name.ends_with(".json") => {
                let parse = |bytes: &[u8]| {
                    serde_json::from_slice::<serde_json::Value>(bytes).map_err(|e| {
                        InputError::new(
                            crate::ErrorKind::Unreadable,
                            name.as_str(),
                            format!("is not valid JSON: {e}"),
                        )
                    })
                };
                diff_json("", &parse(a)?, &parse(b)?, tol, &mut out);
            }
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => out.push(Difference {
                file: name.clone(),
                key: String::new(),
                column: String::new(),
                expected: "these bytes".into(),
                actual: "other bytes".into(),
            }),
            (Some(_), None) => out.push(Difference {
                file: name.clone(),
                key: String::new(),
                column: "file".into(),
                expected: "present".into(),
                actual: String::new(),
            }),
            (None, Some(_)) => out.push(Difference {
                file: name.clone(),
                key: String::new(),
                column: "file".into(),
                expected: String::new(),
                actual: "present".into(),
            }),
            (None, None) => {}
        }
    }
    Ok(out)
}
