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
