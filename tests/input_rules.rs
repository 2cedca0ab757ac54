//! Inputs that would silently change results, or hang: each is refused with its file, line
//! and column, or warned about, by one rule in the reader or the loader.

mod common;
use ancillary::ErrorKind;
use ancillary::product::Product;
use common::*;

const UNITS: &str = "unit,owner,kind,capacity_mw,min_output_mw,design_rate_pct_per_min,design_precision_pct,design_response_s
C1,A,coal,600,300,2.0,1.0,30
";

/// One coal unit offering 60 MW of FR at 6 元/MW against 10 MW asked in every interval, and
/// paying for it (metering, so no warning about allocation).
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
            // C1 is awarded FR in every interval, so it meters in every one (an award with
            // no mileage metered warns, issue 22).
            &format!("time,unit,mileage_mw\n{T0},C1,5\n{T1},C1,5\n{T2},C1,5\n{T3},C1,5\n"),
        )
        .file(
            "metering.csv",
            "day,party,role,energy_mwh\n2024-03-01,C1,generator,100\n",
        )
}

fn assert_at(e: &ancillary::InputError, file: &str, line: Option<u64>, column: Option<&str>) {
    assert_eq!(e.file, file, "{e}");
    assert_eq!(e.line, line, "{e}");
    assert_eq!(e.column.as_deref(), column, "{e}");
}

#[test]
fn base_case_runs_without_warnings() {
    // The starting point of every case below is clean, so each warning is the case's own.
    assert_eq!(base().run().warnings, Vec::<String>::new());
}

// ---- 1. file names ------------------------------------------------------------------------

#[test]
fn a_misspelt_offer_file_is_an_error_naming_the_known_one() {
    let offers = base().files["fr_offers.csv"].clone();
    let offers = String::from_utf8(offers).unwrap();
    for (given, known) in [
        ("fr_offer.csv", "fr_offers.csv"),
        ("FR_OFFERS.CSV", "fr_offers.csv"),
        ("peak-offers.csv", "peak_offers.csv"),
    ] {
        let e = base().without("fr_offers.csv").file(given, &offers).error();
        assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
        assert_at(&e, given, None, None);
        assert!(
            e.to_string()
                .starts_with(&format!("{given}: unknown file; did you mean {known}?")),
            "{e}"
        );
    }
}

#[test]
fn other_unknown_files_warn_and_documentation_passes_in_silence() {
    let r = base()
        .file("notes.csv", "a\n1\n")
        .file("README.md", "# about\n")
        .file(".DS_Store", "")
        .file("units.csv~", "backup")
        .run();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with("notes.csv: unknown file"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_requirement_without_an_offer_file_clears_short_at_the_cap_and_warns() {
    let req = format!(
        "time,fr_mw,reserve_mw,peak_mw\n{T0},10,0,0\n{T1},10,5,0\n{T2},10,0,20\n{T3},10,0,0\n"
    );
    for engine in ["merit_order", "lp"] {
        let r = Case::new(&format!("[clearing]\nengine = \"{engine}\"\n"))
            .file("units.csv", UNITS)
            .file("requirements.csv", &req)
            .run();
        // FR asks 10 MW in all 4 intervals, reserve 5 MW in T1, peak 20 MW in T2: one row
        // each, all short by the whole requirement, priced at the cap — FR 15 元/MW (notice
        // 196 §三(四)), reserve 469.2 元/MWh (the energy cap, §四(六): without a spot market
        // Jiangsu's coal benchmark 0.391 元/kWh + 20 %, 发改价格〔2021〕1439号), peak 391 元/MWh
        // (Jiangsu coal benchmark 0.391 元/kWh × 1000, §二(二)).
        let rows: Vec<_> = r
            .clearing
            .iter()
            .map(|c| (c.interval, c.product, c.shortfall_mw, c.price))
            .collect();
        assert_eq!(
            rows,
            vec![
                (0, Product::Fr, d("10"), d("15")),
                (1, Product::Fr, d("10"), d("15")),
                (1, Product::Reserve, d("5"), d("469.2")),
                (2, Product::Fr, d("10"), d("15")),
                (2, Product::Peak, d("20"), d("391")),
                (3, Product::Fr, d("10"), d("15")),
            ],
            "{engine}"
        );
        let about: Vec<_> = r
            .warnings
            .iter()
            .filter(|w| w.contains("but there is no"))
            .collect();
        assert_eq!(about.len(), 3, "{engine}: {:?}", r.warnings);
        assert!(
            about[0].contains("fr_mw > 0 in 4 interval(s) but there is no fr_offers.csv"),
            "{about:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn from_a_folder_misspellings_fail_warnings_reach_summary_json_and_fifos_do_not_hang() {
    let root = std::env::temp_dir().join(format!("ancillary-input-rules-{}", std::process::id()));
    let dir = root.join("scenario");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in &base().files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(dir.join("notes.csv"), "a\n1\n").unwrap();
    // A folder inside the scenario (an output folder, say) is passed over.
    std::fs::create_dir(dir.join("out")).unwrap();
    let out = root.join("out");
    ancillary::run_to_dir(&dir, &out, false, false).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let warnings = summary["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("notes.csv: unknown file")
    );

    std::fs::rename(dir.join("fr_offers.csv"), dir.join("PEAK_OFFERS.CSV")).unwrap();
    let e = ancillary::scenario::load(&dir).unwrap_err();
    assert!(e.rule.contains("did you mean peak_offers.csv?"), "{e}");
    std::fs::remove_file(dir.join("PEAK_OFFERS.CSV")).unwrap();

    // A FIFO would block the read forever; /dev/zero would fill memory.
    let fifo = dir.join("fr_mileage.csv");
    std::fs::remove_file(&fifo).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let e = ancillary::scenario::load(&dir).unwrap_err();
    assert_at(&e, "fr_mileage.csv", None, None);
    assert!(e.rule.starts_with("is not a regular file"), "{e}");
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_file(dir.join("units.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("units.csv")).unwrap();
    let e = ancillary::scenario::load(&dir).unwrap_err();
    assert_at(&e, "units.csv", None, None);
    assert!(e.rule.starts_with("is not a regular file"), "{e}");
    // A link to a regular file is read as the file.
    std::fs::remove_file(dir.join("units.csv")).unwrap();
    std::fs::write(root.join("fleet.csv"), UNITS).unwrap();
    std::os::unix::fs::symlink(root.join("fleet.csv"), dir.join("units.csv")).unwrap();
    ancillary::scenario::load(&dir).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}

// ---- 2. column names ----------------------------------------------------------------------

#[test]
fn a_misspelt_optional_column_is_an_error_naming_the_known_one() {
    let actuals = format!("time,unit,reserve_available_MW\n{T0},C1,0\n");
    let e = base().file("actuals.csv", &actuals).error();
    assert_at(&e, "actuals.csv", Some(1), Some("reserve_available_MW"));
    assert!(
        e.rule
            .starts_with("unknown column; did you mean reserve_available_mw?"),
        "{e}"
    );
    let units = UNITS
        .replace("design_response_s", "design_response_s,capacity_payments")
        .replace(",30\n", ",30,true\n");
    let e = base().file("units.csv", &units).error();
    assert_at(&e, "units.csv", Some(1), Some("capacity_payments"));
    assert!(e.rule.contains("did you mean capacity_payment?"), "{e}");
}

#[test]
fn another_unknown_column_is_a_warning() {
    let units = UNITS
        .replace("design_response_s", "design_response_s,notes")
        .replace(",30\n", ",30,big one\n");
    let r = base().file("units.csv", &units).run();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with("units.csv line 1, column notes: unknown column, ignored"),
        "{:?}",
        r.warnings
    );
}

// ---- 3. header-only files -----------------------------------------------------------------

#[test]
fn a_file_with_a_header_and_no_rows_is_an_error() {
    let e = base()
        .file("fr_mileage.csv", "time,unit,mileage_mw\n")
        .error();
    assert_at(&e, "fr_mileage.csv", Some(1), None);
    assert!(e.rule.starts_with("has a header but no rows"), "{e}");
    let e = base()
        .without("fr_mileage.csv")
        .file("agc_setpoints.csv", "time,unit,setpoint_mw\n\n")
        .error();
    assert_at(&e, "agc_setpoints.csv", Some(1), None);
}

// ---- 4 and 8. numbers ---------------------------------------------------------------------

#[test]
fn numbers_are_read_as_a_spreadsheet_writes_them() {
    let offer = |mw: &str| {
        base().file(
            "fr_offers.csv",
            &format!("unit,start,end,capacity_mw,price_yuan_per_mw\nC1,{T0},{END},{mw},6\n"),
        )
    };
    for bad in ["1_000", "2__5", "60_"] {
        let e = offer(bad).error();
        assert_eq!(e.kind, ErrorKind::Parse, "{e}");
        assert_at(&e, "fr_offers.csv", Some(2), Some("capacity_mw"));
        assert!(e.rule.contains("`_` is not read"), "{e}");
    }
    // 1e300 is a number, beyond the range: say the range.
    let e = offer("1e300").error();
    assert_eq!(
        e.to_string(),
        "fr_offers.csv line 2, column capacity_mw: must be within ±1000000000, got 1e300"
    );
    // Positive values that would become 0.
    for tiny in ["1e-300", "0.000000000000000000000000000000001"] {
        let e = offer(tiny).error();
        assert!(e.rule.starts_with("must be 0 or at least 1e-28"), "{e}");
    }
    // 6e1 = 60 and .5e2 = 50 are plain numbers: the first offer clears 10 MW either way.
    for ok in ["6e1", ".5e2", "+60"] {
        let r = offer(ok).run();
        assert_eq!(cleared(&r, Product::Fr, 0, 0), d("10"), "{ok}");
    }
}

#[test]
fn an_unterminated_quote_is_named_where_it_opens() {
    // The quote opens on line 3 and never closes: lines 3–4 read as one record.
    let units = format!("{UNITS}\"C2,A,coal,600,300,2,1,30\nC3,A,coal,600,300,2,1,30\n");
    let e = base().file("units.csv", &units).error();
    assert_at(&e, "units.csv", Some(3), None);
    assert!(
        e.rule
            .starts_with("the quote (\") opened on this line is never closed"),
        "{e}"
    );
    // Closed on line 4, after the line break: named too.
    let units =
        format!("{UNITS}\"C2,A,coal,600,300,2,1,30\nC3\",A,coal\nC4,A,coal,600,300,2,1,30\n");
    let e = base().file("units.csv", &units).error();
    assert_at(&e, "units.csv", Some(3), None);
    assert!(e.rule.contains("closes only on line 4"), "{e}");
}

// ---- 5. days outside the horizon ----------------------------------------------------------

#[test]
fn a_performance_day_outside_the_horizon_is_an_error() {
    let perf = "unit,rate_pct_per_min,precision_pct,response_s,day\nC1,2,1,30,2024-03-01\nC1,2,1,30,2024-03-02\n";
    let e = base().file("fr_performance.csv", perf).error();
    assert_at(&e, "fr_performance.csv", Some(3), Some("day"));
    assert_eq!(
        e.rule,
        "must be a day of the horizon (2024-03-01 to 2024-03-01), got 2024-03-02"
    );
}

// ---- 6. settings that underflow or slip a unit --------------------------------------------

#[test]
fn tiny_or_per_kw_settings_are_refused() {
    for (section, key) in [
        ("caps", "performance_factor"),
        ("caps", "fr_mileage_price_yuan_per_mw"),
        ("penalty", "reserve_unavailable_multiple"),
        ("allocation", "user_share"),
    ] {
        let e = base()
            .file(
                "scenario.toml",
                &toml(&format!("[{section}]\n{key} = 1e-300\n")),
            )
            .error();
        // The key's line: 6 horizon lines, then the section header.
        assert_at(
            &e,
            "scenario.toml",
            Some(8),
            Some(&format!("{section}.{key}")),
        );
        assert!(e.rule.contains("1e-9"), "{e}");
    }
    let e = base()
        .file(
            "scenario.toml",
            &toml("[caps]\nfr_mileage_price_yuan_per_mw = 0.015\n"),
        )
        .error();
    assert_at(
        &e,
        "scenario.toml",
        Some(8),
        Some("caps.fr_mileage_price_yuan_per_mw"),
    );
    for word in ["元/kW", "元/MW", "1000"] {
        assert!(e.rule.contains(word), "{e}");
    }
}

// ---- 7. ids -------------------------------------------------------------------------------

#[test]
fn ids_that_would_break_outputs_are_refused() {
    for (bad, why) in [
        ("=1+1", "formula"),
        ("+C1", "formula"),
        ("-C1", "formula"),
        ("@C1", "formula"),
        ("C;1", "marginal_unit"),
        ("\"C\n1\"", "control character"),
        ("C\t1", "control character"),
        ("C\u{0}1", "control character"),
    ] {
        let units = UNITS.replace("\nC1,A,", &format!("\n{bad},A,"));
        let e = base().file("units.csv", &units).error();
        assert_at(&e, "units.csv", Some(2), Some("unit"));
        assert!(e.rule.contains(why), "{bad:?}: {e}");
        let owner = UNITS.replace("\nC1,A,", &format!("\nC1,{bad},"));
        let e = base().file("units.csv", &owner).error();
        assert_at(&e, "units.csv", Some(2), Some("owner"));
    }
    let metering = "day,party,role,energy_mwh\n2024-03-01,=HYPERLINK(\"x\"),user,10\n";
    let e = base().file("metering.csv", metering).error();
    assert_at(&e, "metering.csv", Some(2), Some("party"));
}
