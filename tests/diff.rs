//! `ancillary diff`: catches a one-fen change and a price change beyond tolerance.

use std::collections::BTreeMap;

use ancillary::diff::{Tolerances, diff};
use rust_decimal::Decimal;

fn outputs() -> BTreeMap<String, Vec<u8>> {
    let s = ancillary::scenario::load(std::path::Path::new("scenarios/fr-basic")).unwrap();
    ancillary::output::render(&s, &ancillary::run::run(&s).unwrap())
}

fn edit(
    files: &BTreeMap<String, Vec<u8>>,
    file: &str,
    from: &str,
    to: &str,
) -> BTreeMap<String, Vec<u8>> {
    let mut out = files.clone();
    let text = String::from_utf8(out[file].clone()).unwrap();
    assert!(text.contains(from));
    out.insert(file.into(), text.replacen(from, to, 1).into_bytes());
    out
}

#[test]
fn equal_outputs_have_no_differences() {
    let a = outputs();
    assert!(diff(&a, &a, Tolerances::default()).unwrap().is_empty());
}

#[test]
fn one_fen_is_a_difference() {
    let a = outputs();
    let b = edit(&a, "settlement.csv", "2314.89", "2314.90");
    let d = diff(&a, &b, Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].to_string(),
        "settlement.csv [2024-03-01, S1, fr, compensation] amount_yuan: expected 2314.89, actual 2314.90"
    );
    // Within a money tolerance of 0.01 it is not.
    let tol = Tolerances {
        money: Decimal::new(1, 2),
        ..Tolerances::default()
    };
    assert!(diff(&a, &b, tol).unwrap().is_empty());
}

#[test]
fn price_beyond_tolerance() {
    let a = outputs();
    // 8.8889 → 8.88891: 1e-5 apart, beyond the default 1e-6, within 1e-4.
    let b = edit(&a, "clearing.csv", ",8.8889,yuan/MW", ",8.88891,yuan/MW");
    let d = diff(&a, &b, Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].key, "2024-03-01T00:30, fr");
    assert_eq!(
        (d[0].expected.as_str(), d[0].actual.as_str()),
        ("8.8889", "8.88891")
    );
    let tol = Tolerances {
        price: Decimal::new(1, 4),
        ..Tolerances::default()
    };
    assert!(diff(&a, &b, tol).unwrap().is_empty());
}

#[test]
fn rows_are_matched_by_key_not_position() {
    let a = outputs();
    // Reordered rows are the same rows.
    let text = String::from_utf8(a["clearing.csv"].clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let mut b = a.clone();
    b.insert(
        "clearing.csv".into(),
        (lines.join("\n") + "\n").into_bytes(),
    );
    assert!(diff(&a, &b, Tolerances::default()).unwrap().is_empty());
    // A missing row and a missing file are differences.
    let b = edit(
        &a,
        "clearing.csv",
        "2024-03-01T00:45,fr,,160,150,10,15,yuan/MW,C2,notice-196\n",
        "",
    );
    let d = diff(&a, &b, Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].column.as_str(), d[0].expected.as_str()),
        ("row", "present")
    );
    let mut b = a.clone();
    b.remove("rejected_offers.csv");
    assert_eq!(
        diff(&a, &b, Tolerances::default()).unwrap()[0].column,
        "file"
    );
}

#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_ancillary");
    let tmp = tempfile::tempdir().unwrap();
    let (x, y) = (tmp.path().join("x"), tmp.path().join("y"));
    for o in [&x, &y] {
        assert!(
            std::process::Command::new(bin)
                .args(["run", "scenarios/fr-basic", "--out", o.to_str().unwrap()])
                .output()
                .unwrap()
                .status
                .success()
        );
    }
    let run = |extra: &[&str]| {
        let mut args = vec!["diff", x.to_str().unwrap(), y.to_str().unwrap()];
        args.extend_from_slice(extra);
        std::process::Command::new(bin)
            .args(&args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let s = std::fs::read_to_string(y.join("settlement.csv"))
        .unwrap()
        .replace("1779.45", "1779.46");
    std::fs::write(y.join("settlement.csv"), s).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expected 1779.45, actual 1779.46"));
    assert_eq!(run(&["--money-tol", "0.01"]).status.code(), Some(0));
    assert_eq!(run(&["--price-tol", "-1"]).status.code(), Some(2));
    let out = std::process::Command::new(bin)
        .args(["diff", x.to_str().unwrap(), "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_repeated_key_is_refused_naming_both_lines() {
    let a = outputs();
    // fr-basic's clearing.csv: the header and 4 rows (lines 2-5); line 2 again as line 6.
    let text = String::from_utf8(a["clearing.csv"].clone()).unwrap();
    let second = text.lines().nth(1).unwrap().to_string();
    let mut b = a.clone();
    b.insert(
        "clearing.csv".into(),
        format!("{text}{second}\n").into_bytes(),
    );
    let e = diff(&a, &b, Tolerances::default()).unwrap_err();
    assert_eq!(e.file, "clearing.csv", "{e}");
    assert_eq!(e.line, Some(6), "{e}");
    assert_eq!(e.column.as_deref(), Some("time"), "{e}");
    assert!(
        e.rule.starts_with("in the actual output, the row key (time, product, zone) = (2024-03-01T00:00, fr, ) is repeated: already on line 2"),
        "{e}"
    );
    // The other way round, it is the expected output's.
    let e = diff(&b, &a, Tolerances::default()).unwrap_err();
    assert!(e.rule.starts_with("in the expected output,"), "{e}");
}

#[test]
fn many_unique_rows_are_matched_by_key() {
    // 20,000 clearing rows with distinct times (minute k), in opposite orders on the two
    // sides, and one price changed (row 12,345: 6 → 7): exactly that one difference.
    let header = "time,product,zone,requirement_mw,cleared_mw,shortfall_mw,price\n";
    let row = |k: usize, price: u32| format!("2024-03-01T00:00+{k:05},fr,,70,70,0,{price}\n",);
    let mut a = header.to_string();
    let mut b = header.to_string();
    for k in 0..20_000 {
        a.push_str(&row(k, 6));
    }
    for k in (0..20_000).rev() {
        b.push_str(&row(k, if k == 12_345 { 7 } else { 6 }));
    }
    let one = |t: String| BTreeMap::from([("clearing.csv".to_string(), t.into_bytes())]);
    let d = diff(&one(a), &one(b), Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].key, "2024-03-01T00:00+12345, fr");
    assert_eq!((d[0].expected.as_str(), d[0].actual.as_str()), ("6", "7"));
}

#[test]
fn summary_file_lists_are_compared_and_only_the_version_is_skipped() {
    let a = outputs();
    // fr-basic's summary.json lists "awards.csv" first (files are listed in name order).
    let b = edit(&a, "summary.json", "\"awards.csv\"", "\"nothing.csv\"");
    let d = diff(&a, &b, Tolerances::default()).unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, "summary.json");
    assert_eq!(d[0].column, "files");
    // The program version alone differs: no difference.
    let text = String::from_utf8(a["summary.json"].clone()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let version = v["version"].as_str().unwrap().to_string();
    let b = edit(
        &a,
        "summary.json",
        &format!("\"version\": \"{version}\""),
        "\"version\": \"0.0.0-other\"",
    );
    assert!(diff(&a, &b, Tolerances::default()).unwrap().is_empty());
}
