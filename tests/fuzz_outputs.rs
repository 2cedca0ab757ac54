//! Output folders, mutated: `audit --results`, `diff` and `report` read files a person may
//! have edited, so each must answer Ok or Err on anything, never panic or hang.
//!
//! Cases per property: `PROPTEST_CASES` (default 32, a few seconds in debug). To fuzz longer:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz_outputs`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ancillary::scenario::Scenario;
use proptest::prelude::*;

type Files = BTreeMap<String, Vec<u8>>;

/// fr-basic and reserve-basic, run once: (scenario, output files).
fn runs() -> &'static Vec<(Scenario, Files)> {
    static RUNS: OnceLock<Vec<(Scenario, Files)>> = OnceLock::new();
    RUNS.get_or_init(|| {
        ["fr-basic", "reserve-basic", "peak-basic"]
            .iter()
            .map(|n| {
                let s = ancillary::scenario::load(&std::path::Path::new("scenarios").join(n))
                    .expect("shipped scenario loads");
                let r = ancillary::run::run(&s).expect("shipped scenario runs");
                let mut files = ancillary::output::render(&s, &r);
                ancillary::add_report(&s, &mut files).expect("report");
                files.remove("report.html");
                (s, files)
            })
            .collect()
    })
}

/// audit (against the run's own files as the re-run), diff against the original, report.
fn exercise(which: usize, mutated: &Files) {
    let (s, original) = &runs()[which];
    if let Ok(results) = ancillary::audit::results::parse(mutated.clone(), &s.horizon) {
        let _ = ancillary::audit::audit(s, &results, original);
    }
    let _ = ancillary::diff::diff(original, mutated, ancillary::diff::Tolerances::default());
    let _ = ancillary::output::report::render(mutated, None);
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

/// Replaces cell `col` of data line `line` (0 = header) of `file`.
fn set_cell(files: &mut Files, file: &str, line: usize, col: usize, value: &str) {
    let Some(bytes) = files.get(file) else { return };
    let text = String::from_utf8_lossy(bytes).to_string();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return;
    }
    let l = line % lines.len();
    let mut cells: Vec<String> = lines[l].split(',').map(String::from).collect();
    let c = col % cells.len();
    cells[c] = value.to_string();
    lines[l] = cells.join(",");
    files.insert(file.to_string(), (lines.join("\n") + "\n").into_bytes());
}

fn wild() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("NaN".to_string()),
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("1e30".to_string()),
        Just("79228162514264337593543950335".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just(String::new()),
        Just("\"".to_string()),
        Just("2024-13-45T99:99".to_string()),
        Just("Party".to_string()),
        Just("net".to_string()),
        (-1e12f64..1e12).prop_map(|v| v.to_string()),
        "[ -~]{0,6}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Cell(usize, usize, usize, String),
    DropColumn(usize, usize),
    Header(usize, usize, String),
    UpperHeader(usize),
    Truncate(usize, usize),
    DuplicateRow(usize, usize),
    Remove(usize),
    Bytes(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let f = 0usize..64;
    prop_oneof![
        4 => (f.clone(), 0usize..200, 0usize..12, wild()).prop_map(|(a, b, c, d)| Mutation::Cell(a, b, c, d)),
        1 => (f.clone(), 0usize..12).prop_map(|(a, b)| Mutation::DropColumn(a, b)),
        1 => (f.clone(), 0usize..12, wild()).prop_map(|(a, b, c)| Mutation::Header(a, b, c)),
        1 => f.clone().prop_map(Mutation::UpperHeader),
        1 => (f.clone(), 0usize..5000).prop_map(|(a, b)| Mutation::Truncate(a, b)),
        1 => (f.clone(), 0usize..200).prop_map(|(a, b)| Mutation::DuplicateRow(a, b)),
        1 => f.clone().prop_map(Mutation::Remove),
        1 => (f, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(a, b)| Mutation::Bytes(a, b)),
    ]
}

fn apply(files: &mut Files, m: &Mutation) {
    let names: Vec<String> = files.keys().cloned().collect();
    let name = |k: usize| names[k % names.len()].clone();
    let text = |files: &Files, n: &str| String::from_utf8_lossy(&files[n]).to_string();
    match m {
        Mutation::Cell(f, line, col, v) => set_cell(files, &name(*f), *line, *col, v),
        Mutation::Header(f, col, v) => set_cell(files, &name(*f), 0, *col, v),
        Mutation::DropColumn(f, col) => {
            let n = name(*f);
            let t = text(files, &n);
            let out: Vec<String> = t
                .lines()
                .map(|l| {
                    let mut c: Vec<&str> = l.split(',').collect();
                    if !c.is_empty() {
                        c.remove(col % c.len());
                    }
                    c.join(",")
                })
                .collect();
            files.insert(n, (out.join("\n") + "\n").into_bytes());
        }
        Mutation::UpperHeader(f) => {
            let n = name(*f);
            let t = text(files, &n);
            let mut lines: Vec<String> = t.lines().map(String::from).collect();
            if let Some(h) = lines.first_mut() {
                *h = h.to_uppercase();
            }
            files.insert(n, (lines.join("\n") + "\n").into_bytes());
        }
        Mutation::Truncate(f, at) => {
            let n = name(*f);
            let b = files[&n].clone();
            files.insert(n, b[..(*at).min(b.len())].to_vec());
        }
        Mutation::DuplicateRow(f, line) => {
            let n = name(*f);
            let t = text(files, &n);
            let mut lines: Vec<String> = t.lines().map(String::from).collect();
            if !lines.is_empty() {
                let l = lines[line % lines.len()].clone();
                lines.push(l);
            }
            files.insert(n, (lines.join("\n") + "\n").into_bytes());
        }
        Mutation::Remove(f) => {
            files.remove(&name(*f));
        }
        Mutation::Bytes(f, b) => {
            files.insert(name(*f), b.clone());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_output_folders(which in 0usize..3, ms in proptest::collection::vec(mutation(), 1..5)) {
        let mut files = runs()[which].1.clone();
        for m in &ms {
            if files.is_empty() {
                break;
            }
            apply(&mut files, m);
        }
        exercise(which, &files);
    }
}

// Seed: a renamed header (`Party`) in settlement.csv panicked with "no entry found for key";
// now it is an error naming the file, the header line and the column.
#[test]
fn renamed_header_is_a_positioned_error() {
    let mut files = runs()[0].1.clone();
    set_cell(&mut files, "settlement.csv", 0, 1, "Party");
    let e = ancillary::output::report::render(&files, None).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.column.as_deref()),
        ("settlement.csv", Some(1), Some("party"))
    );
    // statement_monthly.csv: net_yuan (its 7th column) renamed `net`.
    let mut files = runs()[0].1.clone();
    set_cell(&mut files, "statement_monthly.csv", 0, 6, "net");
    let e = ancillary::output::report::render(&files, None).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.column.as_deref()),
        ("statement_monthly.csv", Some("net_yuan"))
    );
}

// Seed: a price of inf (or NaN, 1e308) in clearing.csv made the report spin forever in the
// chart axes; an amount likewise in settlement.csv. Now: an error at the cell.
#[test]
fn non_finite_numbers_are_positioned_errors() {
    for (file, col, name) in [
        ("clearing.csv", 6, "price"),
        ("settlement.csv", 6, "amount_yuan"),
    ] {
        for v in ["inf", "NaN", "1e308", "-inf"] {
            let mut files = runs()[0].1.clone();
            let header = String::from_utf8_lossy(&files[file])
                .lines()
                .next()
                .unwrap()
                .to_string();
            assert_eq!(header.split(',').nth(col), Some(name), "{header}");
            set_cell(&mut files, file, 1, col, v);
            let e = ancillary::output::report::render(&files, None).unwrap_err();
            // Data line 1 is line 2 of the file (the header is line 1).
            assert_eq!(
                (e.file.as_str(), e.line, e.column.as_deref()),
                (file, Some(2), Some(name)),
                "{v}"
            );
        }
    }
    // A large but finite price (1e29, above any decimal) still draws: axes stay ordered.
    let mut files = runs()[0].1.clone();
    set_cell(&mut files, "clearing.csv", 1, 6, "-1e29");
    set_cell(&mut files, "clearing.csv", 2, 6, "-1e29");
    assert!(ancillary::output::report::render(&files, None).is_ok());
}

// Found by the property above: `diff` of a price of 7.9e28 against −7.9e28 overflowed the
// subtraction. They differ; the difference is reported.
#[test]
fn diff_of_opposite_extreme_values_is_a_difference() {
    let (_, original) = &runs()[0];
    let mut a = original.clone();
    let mut b = original.clone();
    set_cell(
        &mut a,
        "clearing.csv",
        1,
        6,
        "79228162514264337593543950335",
    );
    set_cell(
        &mut b,
        "clearing.csv",
        1,
        6,
        "-79228162514264337593543950335",
    );
    let d = ancillary::diff::diff(&a, &b, ancillary::diff::Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].file.as_str(), d[0].column.as_str()),
        ("clearing.csv", "price")
    );
}
