//! Bad input: every error names the file, the line (header = line 1), the column and the rule.

mod common;
use ancillary::ErrorKind;
use common::*;

const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s
C1,A,coal,600,300,2.0,1.0,30
S1,D,storage,100,0,,,
";

fn base() -> Case {
    Case::new("")
        .file("units.csv", UNITS)
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},10\n{T1},10\n{T2},10\n{T3},10\n"),
        )
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},60,6\n"),
        )
        .file(
            "fr_mileage.csv",
            &format!("time,unit,mileage_mw\n{T0},C1,5\n"),
        )
}

fn assert_at(e: &ancillary::InputError, file: &str, line: Option<u64>, column: Option<&str>) {
    assert_eq!(e.file, file, "{e}");
    assert_eq!(e.line, line, "{e}");
    assert_eq!(e.column.as_deref(), column, "{e}");
}

#[test]
fn base_case_loads() {
    base().load().unwrap();
}

#[test]
fn the_example_message_reads_as_the_issue_asks() {
    let units = "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,coal,600,300\nC2,A,coal,600,300\nC3,A,coal,-600,300\n";
    let e = base().file("units.csv", units).error();
    assert_eq!(
        e.to_string(),
        "units.csv line 4, column capacity_mw: must be > 0, got -600"
    );
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[test]
fn missing_file_and_column() {
    let e = base().without("units.csv").error();
    assert_eq!(
        (e.kind, e.file.as_str()),
        (ErrorKind::MissingFile, "units.csv")
    );
    let e = base().without("scenario.toml").error();
    assert_eq!(e.file, "scenario.toml");
    let e = base()
        .file("units.csv", "unit,owner,kind,min_output_mw\nC1,A,coal,0\n")
        .error();
    assert_eq!(e.kind, ErrorKind::MissingColumn);
    assert_at(&e, "units.csv", Some(1), Some("capacity_mw"));
    // Offers without mileage: the mileage file is needed.
    let e = base().without("fr_mileage.csv").error();
    assert_eq!(
        (e.kind, e.file.as_str()),
        (ErrorKind::MissingFile, "fr_mileage.csv")
    );
    assert!(
        e.rule.contains("or set [fr] expected_mileage_per_mw"),
        "{e}"
    );
    // Offers for a product whose requirement column is absent.
    let e = base()
        .file(
            "requirements.csv",
            &format!("time\n{T0}\n{T1}\n{T2}\n{T3}\n"),
        )
        .error();
    assert_at(&e, "requirements.csv", Some(1), Some("fr_mw"));
}

#[test]
fn unparsable_number_and_time() {
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},sixty,6\n"),
        )
        .error();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_at(&e, "fr_offers.csv", Some(2), Some("capacity_mw"));
    assert!(e.rule.contains("\"sixty\""));
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,01/03/2024,{END},60,6\n"),
        )
        .error();
    assert_at(&e, "fr_offers.csv", Some(2), Some("start"));
    let e = base()
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},10\n{T1},NaN\n{T2},10\n{T3},10\n"),
        )
        .error();
    assert_at(&e, "requirements.csv", Some(3), Some("fr_mw"));
}

#[test]
fn negative_where_it_cannot_be() {
    let e = base()
        .file(
            "fr_mileage.csv",
            &format!("time,unit,mileage_mw\n{T0},C1,-5\n"),
        )
        .error();
    assert_eq!(
        e.to_string(),
        "fr_mileage.csv line 2, column mileage_mw: must be ≥ 0, got -5"
    );
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},60,-1\n"),
        )
        .error();
    assert_at(&e, "fr_offers.csv", Some(2), Some("price_yuan_per_mw"));
}

#[test]
fn min_output_above_capacity_and_duplicate_units() {
    let e = base()
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,coal,300,350\n",
        )
        .error();
    assert_at(&e, "units.csv", Some(2), Some("min_output_mw"));
    let e = base()
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,coal,300,0\nC1,B,gas,300,0\n",
        )
        .error();
    assert_eq!(e.kind, ErrorKind::Duplicate);
    assert_at(&e, "units.csv", Some(3), Some("unit"));
    assert!(e.rule.contains("line 2"));
    let e = base()
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,lignite,300,0\n",
        )
        .error();
    assert_at(&e, "units.csv", Some(2), Some("kind"));
}

#[test]
fn offers_unknown_unit_bad_span_and_capacity() {
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nX9,{T0},{END},60,6\n"),
        )
        .error();
    assert_eq!(e.kind, ErrorKind::UnknownReference);
    assert_at(&e, "fr_offers.csv", Some(2), Some("unit"));
    assert!(e.rule.contains("\"X9\""));
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T1},{T1},60,6\n"),
        )
        .error();
    assert_at(&e, "fr_offers.csv", Some(2), Some("end"));
    let e = base()
        .file(
            "fr_offers.csv",
            &format!(
                "unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},2024-03-01T02:00,60,6\n"
            ),
        )
        .error();
    assert_at(&e, "fr_offers.csv", Some(2), Some("end"));
    assert!(e.rule.contains("outside the scenario's horizon"));
    let e = base()
        .file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nS1,{T0},{END},120,6\n"),
        )
        .error();
    assert_eq!(
        e.to_string(),
        "fr_offers.csv line 2, column capacity_mw: must not exceed unit S1's capacity_mw 100, got 120"
    );
    // Two offers of one unit for the same interval.
    let e = base().file("fr_offers.csv", &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{T2},60,6\nC1,{T1},{END},60,6\n")).error();
    assert_at(&e, "fr_offers.csv", Some(3), Some("start"));
}

#[test]
fn performance_values_must_be_positive() {
    let e = base()
        .file(
            "fr_performance.csv",
            "unit,rate_pct_per_min,precision_pct,response_s\nC1,2,0,30\n",
        )
        .error();
    assert_eq!(
        e.to_string(),
        "fr_performance.csv line 2, column precision_pct: must be > 0, got 0"
    );
    let e = base().file("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s\nC1,A,coal,600,0,2,1,\n").error();
    assert_at(&e, "units.csv", Some(2), Some("design_response_s"));
}

#[test]
fn settings_errors_name_the_key_and_line() {
    let mut c = base();
    c.files.insert(
        "scenario.toml".into(),
        toml("[fr]\nweights = { rate = 0.5, precision = 0.3, response = 0.3 }\n").into_bytes(),
    );
    let e = c.error();
    assert_at(&e, "scenario.toml", Some(8), Some("fr.weights"));
    assert!(e.rule.contains("sum to 1"), "{e}");
    c.files.insert(
        "scenario.toml".into(),
        toml("[fr]\nperformace = \"product\"\n").into_bytes(),
    );
    let e = c.error();
    assert_eq!((e.file.as_str(), e.line), ("scenario.toml", Some(8)));
    assert!(e.rule.contains("performace"), "{e}");
    c.files.insert(
        "scenario.toml".into(),
        toml("")
            .replace("interval_minutes = 15", "interval_minutes = 7")
            .into_bytes(),
    );
    let e = c.error();
    assert_at(&e, "scenario.toml", Some(4), Some("interval_minutes"));
    c.files.insert(
        "scenario.toml".into(),
        toml("")
            .replace("2024-03-01T00:00", "March 1st")
            .into_bytes(),
    );
    assert_at(&c.error(), "scenario.toml", Some(5), Some("start"));
}

#[test]
fn requirements_cover_the_horizon_once() {
    let e = base()
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},10\n{T1},10\n{T3},10\n"),
        )
        .error();
    assert!(e.rule.contains("2024-03-01T00:30"), "{e}");
    let e = base()
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},10\n{T0},10\n{T2},10\n{T3},10\n"),
        )
        .error();
    assert_at(&e, "requirements.csv", Some(3), Some("time"));
    let e = base()
        .file(
            "requirements.csv",
            &format!("time,fr_mw\n{T0},10\n2024-03-01T00:10,10\n{T2},10\n{T3},10\n"),
        )
        .error();
    assert_at(&e, "requirements.csv", Some(3), Some("time"));
}

#[test]
fn not_csv_or_not_utf8() {
    let e = base().file("units.csv", "unit,owner\nC1,A,coal\n").error();
    assert_eq!((e.kind, e.line), (ErrorKind::Unreadable, Some(2)));
    let mut c = base();
    c.files
        .insert("fr_offers.csv".into(), b"unit,start\n\xff\xfe,1\n".to_vec());
    assert_eq!(c.error().kind, ErrorKind::Unreadable);
}

#[test]
fn both_mileage_files_is_ambiguous() {
    let e = base()
        .file("agc_setpoints.csv", "time,unit,setpoint_mw\n")
        .error();
    assert_eq!(e.file, "agc_setpoints.csv");
}

#[test]
fn expected_mileage_must_be_positive_finite_and_at_most_1000() {
    // Line 8 of the TOML: the six horizon lines, then [fr] on line 7.
    for bad in ["0", "-1", "1000.5", "nan", "inf", "1e-12"] {
        let mut c = base().without("fr_mileage.csv");
        c.files.insert(
            "scenario.toml".into(),
            toml(&format!("[fr]\nexpected_mileage_per_mw = {bad}\n")).into_bytes(),
        );
        let e = c.error();
        assert_at(
            &e,
            "scenario.toml",
            Some(8),
            Some("fr.expected_mileage_per_mw"),
        );
        assert_eq!(e.kind, ErrorKind::Invalid, "{bad}: {e}");
        assert!(e.rule.contains("and 1000"), "{bad}: {e}");
    }
    // The bounds themselves load.
    for good in ["1000", "0.5"] {
        let mut c = base().without("fr_mileage.csv");
        c.files.insert(
            "scenario.toml".into(),
            toml(&format!("[fr]\nexpected_mileage_per_mw = {good}\n")).into_bytes(),
        );
        c.load().unwrap();
    }
}

/// Issue 26: a header that differs only in case, or a file saved with `;` or tabs, gets the
/// missing-column error with a hint that says what is wrong.
#[test]
fn a_near_miss_header_says_what_is_wrong() {
    let e = base()
        .file("units.csv", &UNITS.replacen("unit,owner", "Unit,owner", 1))
        .error();
    assert_eq!(e.kind, ErrorKind::MissingColumn, "{e}");
    assert_at(&e, "units.csv", Some(1), Some("unit"));
    assert!(
        e.rule.ends_with(
            "the header has \"Unit\", which differs only in case: column names are lower case"
        ),
        "{e}"
    );
    for (delimiter, word) in [(";", "semicolons"), ("\t", "tabs")] {
        let e = base()
            .file("units.csv", &UNITS.replace(',', delimiter))
            .error();
        assert_eq!(e.kind, ErrorKind::MissingColumn, "{e}");
        assert!(e.rule.contains(&format!("separated by {word}")), "{e}");
        assert!(
            e.rule
                .ends_with("save the file with commas as the delimiter (CSV)"),
            "{e}"
        );
    }
}

/// A flag's error names the accepted spellings and quotes the cell as written (`Y`, not `y`).
#[test]
fn a_flag_error_lists_what_is_accepted() {
    let e = base()
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw,capacity_payment,design_rate_pct_per_min,design_precision_pct,design_response_s\nC1,A,coal,600,300,Y,2.0,1.0,30\n",
        )
        .error();
    assert_at(&e, "units.csv", Some(2), Some("capacity_payment"));
    assert!(
        e.rule
            .contains("must be true or false (or 1/0, yes/no, in any case), got \"Y\""),
        "{e}"
    );
}
