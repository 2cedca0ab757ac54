//! The `ancillary` binary: exit codes, messages, and what lands in OUT_DIR.

use std::path::Path;
use std::process::Command;

fn ancillary(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ancillary"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn runs_a_shipped_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let (code, _, err) = ancillary(&["run", "scenarios/fr-basic", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for f in [
        "clearing.csv",
        "awards.csv",
        "settlement.csv",
        "rejected_offers.csv",
        "summary.json",
        "performance_factors.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(!out.join(".ancillary-staging").exists());
    // The warning about C2's unpaid mileage is on stderr.
    assert!(err.contains("warning: unit C2"), "{err}");
    // Then a line of totals per product (summary.json's figures: 118.75 of 121.25 MW on
    // average, short in 1 of 4 intervals, 5,976.90 yuan paid, one offer refused), then where
    // the files are.
    let fr = "fr: 118.75 of 121.25 MW cleared on average over 4 intervals (short in 1), price up to 15 yuan/MW, paid 5,976.90 yuan; 1 offer refused (reasons in rejected_offers.csv)\nwrote ";
    assert!(err.contains(fr), "{err}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("s");
    std::fs::create_dir(&scenario).unwrap();
    for f in [
        "scenario.toml",
        "requirements.csv",
        "fr_offers.csv",
        "fr_mileage.csv",
        "fr_performance.csv",
    ] {
        std::fs::copy(Path::new("scenarios/fr-basic").join(f), scenario.join(f)).unwrap();
    }
    std::fs::write(
        scenario.join("units.csv"),
        "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,coal,600,700\n",
    )
    .unwrap();
    let out = tmp.path().join("o");
    let (code, _, err) = ancillary(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("units.csv line 2, column min_output_mw"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn continuous_spot_with_peak_is_refused_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("s");
    std::fs::create_dir(&scenario).unwrap();
    for e in std::fs::read_dir("scenarios/peak-basic").unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), scenario.join(e.file_name())).unwrap();
    }
    let toml = read(&scenario.join("scenario.toml"))
        .replace("spot_market = \"none\"", "spot_market = \"continuous\"");
    std::fs::write(scenario.join("scenario.toml"), toml).unwrap();
    let out = tmp.path().join("o");
    let (code, _, err) = ancillary(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("peak market does not run where the spot market runs continuously"),
        "{err}"
    );
    assert!(err.contains("二(一)"), "{err}");
    assert!(!out.exists());
}

#[test]
fn existing_folder_is_left_alone_unless_forced_or_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let o = out.to_str().unwrap();
    let (code, _, err) = ancillary(&["run", "scenarios/fr-basic", "--out", o]);
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    assert!(!out.join("summary.json").exists());
    // --force writes our files beside the user's.
    let (code, _, _) = ancillary(&["run", "scenarios/fr-basic", "--out", o, "--force"]);
    assert_eq!(code, 0);
    assert_eq!(read(&out.join("notes.txt")), "keep me");
    assert!(out.join("summary.json").is_file());
    // An earlier ancillary output is replaced without --force; files the new run does not
    // write go (performance_factors.csv: reserve-basic has no FR).
    let fresh = tmp.path().join("fresh");
    let f = fresh.to_str().unwrap();
    assert_eq!(ancillary(&["run", "scenarios/fr-basic", "--out", f]).0, 0);
    assert!(fresh.join("performance_factors.csv").exists());
    assert_eq!(
        ancillary(&["run", "scenarios/reserve-basic", "--out", f]).0,
        0
    );
    assert!(!fresh.join("performance_factors.csv").exists());
    assert!(read(&fresh.join("clearing.csv")).contains("reserve"));
}

#[test]
fn same_inputs_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for o in [&a, &b] {
        assert_eq!(
            ancillary(&[
                "run",
                "scenarios/jiangsu-typical-day",
                "--out",
                o.to_str().unwrap()
            ])
            .0,
            0
        );
    }
    for f in [
        "clearing.csv",
        "awards.csv",
        "settlement.csv",
        "rejected_offers.csv",
        "summary.json",
    ] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f}");
    }
}

/// `--solver` picks the LP solver and changes no byte: joint-spot-day (LP, batteries) run with
/// Clarabel named and with the build's default (HiGHS in a `--features highs` build, so there
/// the two solvers are compared through the command line too).
#[test]
fn the_solver_flag_changes_no_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (code, _, err) = ancillary(&[
        "run",
        "scenarios/joint-spot-day",
        "--out",
        a.to_str().unwrap(),
        "--solver",
        "clarabel",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ancillary(&[
        "run",
        "scenarios/joint-spot-day",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let manifest = read(&a.join("ancillary.sha256"));
    assert_eq!(manifest, read(&b.join("ancillary.sha256")));
    assert!(manifest.contains("storage.csv"), "{manifest}");
    // A solver the build lacks, or none such: usage errors, nothing written.
    let c = tmp.path().join("c");
    let (code, _, err) = ancillary(&[
        "run",
        "scenarios/fr-basic",
        "--out",
        c.to_str().unwrap(),
        "--solver",
        "simplex",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("expected clarabel or highs"), "{err}");
    if !cfg!(feature = "highs") {
        let (code, _, err) = ancillary(&[
            "run",
            "scenarios/fr-basic",
            "--out",
            c.to_str().unwrap(),
            "--solver",
            "highs",
        ]);
        assert_eq!(code, 2);
        assert!(
            err.contains("highs is not built in") && err.contains("--features highs"),
            "{err}"
        );
    }
    assert!(!c.exists());
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    assert_eq!(ancillary(&["run"]).0, 2);
    assert_eq!(ancillary(&["frobnicate"]).0, 2);
    let (code, out, _) = ancillary(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("ancillary run scenarios/fr-basic --out"));
    let (code, _, err) = ancillary(&[
        "run",
        "no/such/folder",
        "--out",
        "/tmp/never-written-by-ancillary",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a scenario folder"), "{err}");
}

#[test]
fn many_warnings_are_cut_short_on_stderr_and_kept_whole_in_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("s");
    let out = tmp.path().join("o");
    let (code, _, err) = ancillary(&[
        "generate",
        "--units",
        "60",
        "--days",
        "1",
        "--seed",
        "2",
        "--out",
        scenario.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ancillary(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value =
        serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let all = summary["warnings"].as_array().unwrap().len();
    assert!(
        all > 20,
        "the generated day should warn about more than 20 units, got {all}"
    );
    // 20 warnings shown, then one line counting the rest.
    let shown = err
        .lines()
        .filter(|l| l.starts_with("warning: unit"))
        .count();
    assert_eq!(shown, 20, "{err}");
    assert!(err.contains(&format!("… and {} more", all - 20)), "{err}");
}

/// Every file under `dir`, relative, with `/` (statements/… as `statements/`).
fn written(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type().unwrap().is_dir() {
            names.insert(format!("{name}/"));
        } else {
            names.insert(name);
        }
    }
    names
}

#[test]
fn help_run_lists_exactly_the_files_runs_write() {
    let listed: std::collections::BTreeSet<String> = ancillary::output::RUN_FILES
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    // What runs write: FR and peak (fr-basic), storage in joint clearing (joint-spot-day),
    // each with --report. Together they write every file of the list and nothing else.
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for s in ["fr-basic", "joint-spot-day"] {
        let out = tmp.path().join(s);
        let (code, _, err) = ancillary(&[
            "run",
            &format!("scenarios/{s}"),
            "--out",
            out.to_str().unwrap(),
            "--report",
        ]);
        assert_eq!(code, 0, "{err}");
        let files = written(&out);
        assert!(
            files.is_subset(&listed),
            "{s} writes {files:?}, the list is {listed:?}"
        );
        seen.extend(files);
    }
    // A network cleared with energy (the three-bus case of tests/network_clearing.rs) adds
    // nodal prices and flows.
    let net = tmp.path().join("network-in");
    std::fs::create_dir(&net).unwrap();
    let t = |h: u32| format!("2024-03-01T00:{:02}", h * 15);
    for (name, text) in [
        ("scenario.toml", "name = \"t\"\nprovince = \"Jiangsu\"\nspot_market = \"continuous\"\ninterval_minutes = 15\nstart = \"2024-03-01T00:00\"\nintervals = 2\n".to_string()),
        ("units.csv", "unit,owner,kind,capacity_mw,min_output_mw,bus\nG1,A,coal,200,0,b1\nG2,B,gas,200,0,b2\n".to_string()),
        ("buses.csv", "bus,zone\nb1,n\nb2,n\nb3,s\n".to_string()),
        ("lines.csv", "line,from_bus,to_bus,reactance_pu,limit_mw\nL12,b1,b2,0.1,\nL13,b1,b3,0.1,80\nL23,b2,b3,0.1,\n".to_string()),
        ("bus_loads.csv", format!("time,bus,load_mw\n{},b3,150\n{},b3,150\n", t(0), t(1))),
        ("requirements.csv", format!("time,fr_mw,reserve_mw\n{},0,0\n{},0,0\n", t(0), t(1))),
        ("energy_offers.csv", format!("unit,start,end,segment,mw,price_yuan_per_mwh\nG1,{0},{1},1,200,10\nG2,{0},{1},1,200,30\n", t(0), t(2))),
    ] {
        std::fs::write(net.join(name), text).unwrap();
    }
    let out = tmp.path().join("network");
    let (code, _, err) = ancillary(&["run", net.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let files = written(&out);
    assert!(files.is_subset(&listed), "the network writes {files:?}");
    assert!(files.contains("nodal_prices.csv") && files.contains("flows.csv"));
    seen.extend(files);
    assert_eq!(seen, listed);
    // The help names each, and so does the table of docs/outputs.md.
    for args in [&["help", "run"][..], &["run", "--help"]] {
        let (code, out, _) = ancillary(args);
        assert_eq!(code, 0);
        for name in &listed {
            assert!(
                out.contains(&format!("  {name}")),
                "{args:?} lacks {name}:\n{out}"
            );
        }
    }
    let readme = read(Path::new("docs/outputs.md"));
    let section = readme.split("## What a run writes").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let in_readme: std::collections::BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| {
            let name = l.split('`').next().unwrap();
            // statements/PARTY.csv stands for the folder.
            match name.split_once('/') {
                Some((dir, _)) => format!("{dir}/"),
                None => name.to_string(),
            }
        })
        .collect();
    assert_eq!(in_readme, listed);
}

#[test]
fn every_subcommand_has_help_with_examples() {
    for cmd in [
        "run", "audit", "diff", "batch", "sweep", "report", "new", "import", "generate", "caps",
    ] {
        let (code, out, err) = ancillary(&["help", cmd]);
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(out.contains("Usage: ancillary"), "{cmd}: {out}");
        if cmd != "import" {
            assert!(out.contains("Examples:"), "{cmd}: {out}");
        }
    }
}

#[test]
fn audit_says_where_its_files_go_and_when_they_are_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("s");
    let (code, _, err) = ancillary(&["new", scenario.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, table, err) = ancillary(&["audit", scenario.to_str().unwrap()]);
    assert_eq!(code, 0, "{table}{err}");
    assert!(
        err.contains("audit.csv and audit.json not written: give --out DIR to keep them"),
        "{err}"
    );
    // Nowhere: not in the scenario, not in the working folder.
    assert!(!scenario.join("audit.csv").exists());
    assert!(!Path::new("audit.csv").exists());
    let (_, help, _) = ancillary(&["help", "audit"]);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("With neither, nothing is written."), "{help}");
    assert!(
        help.contains("with neither, they are not written"),
        "{help}"
    );
    let out = tmp.path().join("a");
    let (code, _, err) = ancillary(&[
        "audit",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("audit.csv").is_file() && out.join("audit.json").is_file());
}

#[test]
fn a_long_run_shows_days_cleared_and_quiet_hides_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o = out.to_str().unwrap();
    // month-nonspot: 30 days, cleared a day at a time. Off a terminal, a line per tenth of
    // the horizon: days 3, 6, …, 30.
    let (code, _, err) = ancillary(&["run", "scenarios/month-nonspot", "--out", o]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("cleared ")).collect();
    let want: Vec<String> = (1..=10)
        .map(|k| format!("cleared {}/30 days ({} %)", 3 * k, 10 * k))
        .collect();
    assert_eq!(lines, want, "{err}");
    // --quiet: no progress; warnings still show.
    for flag in ["--quiet", "-q"] {
        let (code, _, err) = ancillary(&["run", "scenarios/month-nonspot", "--out", o, flag]);
        assert_eq!(code, 0, "{err}");
        assert!(!err.lines().any(|l| l.starts_with("cleared ")), "{err}");
        assert!(err.contains("warning: "), "{err}");
    }
    // --report clears the same chunks in memory, and counts them too.
    let (code, _, err) = ancillary(&["run", "scenarios/month-nonspot", "--out", o, "--report"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("cleared ")).count(),
        10,
        "{err}"
    );
    // One day is one chunk: nothing to count.
    let (code, _, err) = ancillary(&["run", "scenarios/fr-basic", "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.lines().any(|l| l.starts_with("cleared ")), "{err}");
}

#[test]
fn fresh_scaffolds_run_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for spot in ["none", "continuous"] {
        let dir = tmp.path().join(format!("study-{spot}"));
        let (code, _, err) = ancillary(&["new", dir.to_str().unwrap(), "--spot", spot]);
        assert_eq!(code, 0, "{err}");
        let out = tmp.path().join(format!("o-{spot}"));
        let (code, _, err) =
            ancillary(&["run", dir.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("warning"), "{spot}: {err}");
        let summary: serde_json::Value =
            serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
        assert_eq!(summary["warnings"], serde_json::json!([]), "{spot}");
        assert_eq!(summary["scenario"]["name"], format!("study-{spot}"));
        // Why: the FR requirement (112 MW and up) exceeds the 110 MW the offers hold without
        // the last-ranked one, so every FR offer is awarded in every interval (its mileage is
        // paid), and FR is never short (offers hold 130 MW, the most asked is 124).
        let awards = read(&out.join("awards.csv"));
        let fr: Vec<&str> = awards.lines().filter(|l| l.contains(",fr,")).collect();
        assert_eq!(fr.len(), 16, "{spot}: 4 offers × 4 intervals");
        for row in fr {
            let cleared: f64 = row.split(',').nth(4).unwrap().parse().unwrap();
            assert!(cleared > 0.0, "{spot}: {row}");
        }
        for row in read(&out.join("clearing.csv"))
            .lines()
            .filter(|l| l.contains(",fr,"))
        {
            // time, product, zone, requirement_mw, cleared_mw, shortfall_mw, …
            assert_eq!(
                row.split(',').nth(5),
                Some("0"),
                "{spot}: shortfall in {row}"
            );
        }
    }
}

#[test]
fn new_names_the_scenario_after_its_folder_and_quotes_what_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my \"study\" \\ 调峰");
    let (code, _, err) = ancillary(&["new", dir.to_str().unwrap(), "--province", "广东"]);
    assert_eq!(code, 0, "{err}");
    let toml: toml::Table = read(&dir.join("scenario.toml")).parse().unwrap();
    assert_eq!(toml["name"].as_str(), Some("my \"study\" \\ 调峰"));
    // The province is written as the table names it.
    assert_eq!(toml["province"].as_str(), Some("Guangdong"));
    let out = tmp.path().join("o");
    let (code, _, err) = ancillary(&["run", dir.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn new_refuses_a_province_whose_scaffold_would_not_run() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    for (province, says) in [
        (
            "Atlantis",
            "\"Atlantis\" is not a provincial grid in data/provinces.csv. The grids are: Beijing (北京), Tianjin (天津), Hebei South (冀南), Hebei North (冀北),",
        ),
        // Every grid is listed, Tibet among them as having no benchmark.
        ("Atlantis", "Tibet (西藏, no benchmark), Shaanxi (陕西)"),
        ("Atlantis", "Xinjiang (新疆); or \"none\""),
        (
            "Jiangsu\"x",
            "is not a provincial grid in data/provinces.csv; did you mean Jiangsu?",
        ),
        ("", "\"\" is not a provincial grid"),
        // No benchmark, so a peak market has no default cap (二(二)).
        (
            "Tibet",
            "give --peak-cap and --peak-cap-source, or use --spot continuous",
        ),
        ("Hebei", "Hebei South (冀南) or Hebei North (冀北)"),
        ("内蒙古", "name the grid, Mengxi (蒙西) or Mengdong (蒙东)"),
    ] {
        let dir = at("refused");
        let (code, _, err) = ancillary(&["new", dir.to_str().unwrap(), "--province", province]);
        assert_eq!(code, 2, "{province}: {err}");
        assert!(err.contains(says), "{province}: {err}");
        assert!(!dir.exists(), "{province}");
    }
    // A cap above the province's benchmark (Jiangsu 0.391 yuan/kWh = 391 yuan/MWh) would be
    // clamped with a warning: refused. An unsourced cap where there is no benchmark too.
    for (args, says) in [
        (
            &["--peak-cap", "391.5"][..],
            "exceeds Jiangsu's limit 391 yuan/MWh",
        ),
        (
            &["--province", "Tibet", "--peak-cap", "300"],
            "--peak-cap-source: is needed",
        ),
        (
            &["--spot", "continuous", "--peak-cap", "300"],
            "no peak market",
        ),
    ] {
        let dir = at("refused");
        let (code, _, err) = ancillary(&[&["new", dir.to_str().unwrap()][..], args].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!dir.exists());
    }
    // Tibet with a sourced cap runs; the run says the cap cannot be checked (its only warning).
    let dir = at("tibet");
    let (code, _, err) = ancillary(&[
        "new",
        dir.to_str().unwrap(),
        "--province",
        "Tibet",
        "--peak-cap",
        "300",
        "--peak-cap-source",
        "Xizang \"price\" notice",
    ]);
    assert_eq!(code, 0, "{err}");
    let toml: toml::Table = read(&dir.join("scenario.toml")).parse().unwrap();
    assert_eq!(
        toml["caps"]["peak_price_yuan_per_mwh"].as_float(),
        Some(300.0)
    );
    assert_eq!(
        toml["caps"]["peak_price_source"].as_str(),
        Some("Xizang \"price\" notice")
    );
    let (code, _, err) = ancillary(&[
        "run",
        dir.to_str().unwrap(),
        "--out",
        at("o").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("warning: ").count(), 1, "{err}");
    assert!(
        err.contains("cannot be checked against a grid-parity price"),
        "{err}"
    );
    // Where spot runs continuously there is no peak market, so Tibet needs no cap. (A whole
    // province with two grids, Hebei, is refused above whatever the spot market: it names no
    // grid.)
    let dir = at("tibet-spot");
    let (code, _, err) = ancillary(&[
        "new",
        dir.to_str().unwrap(),
        "--province",
        "Tibet",
        "--spot",
        "continuous",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ancillary(&[
        "run",
        dir.to_str().unwrap(),
        "--out",
        at("o2").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn caps_says_what_applies_in_a_grid_with_clause_and_source() {
    // Hunan (湖南): benchmark 0.45 yuan/kWh → peak cap 450 yuan/MWh (二(二)); no spot row, so
    // the energy cap is 0.45 × 1.2 × 1000 = 540 (四(六)), the reserve cap with it.
    let (code, out, err) = ancillary(&["caps", "湖南省", "--date", "2024-03-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Hunan (湖南) on 2024-03-01"), "{out}");
    for line in [
        "peak price            450 yuan/MWh  二(二)",
        "FR mileage price      15 yuan/MW    三(四)",
        "performance factor K  2             三(四)",
        "energy-market price   540 yuan/MWh  四(六)",
        "reserve price         540 yuan/MWh  四(六)",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(out.contains("(data/provinces.csv)"), "{out}");
    // Shandong on the day its continuous spot began: no peak market, the spot cap 1500.
    let (_, out, _) = ancillary(&["caps", "Shandong", "--date", "2021-12-01"]);
    assert!(out.contains("no peak market"), "{out}");
    assert!(out.contains("1500 yuan/MWh"), "{out}");
    // Not exactly one grid, or not a day: exit 2, naming why.
    let (code, _, err) = ancillary(&["caps", "Hebei"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Hebei South (冀南) or Hebei North (冀北)"),
        "{err}"
    );
    let (code, _, err) = ancillary(&["caps", "Hunan", "--date", "2024-13-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("--date"), "{err}");
}

/// Issue 26: the README's five-minute tutorial runs as written. Every `ancillary …` command of
/// its section (in `sh` blocks and in inline code) runs in a fresh folder and exits 0; the
/// `text` block's row replaces the row of the same unit in the file the step names; the run
/// prints what the block's comments show (`…` standing for any text).
#[test]
fn the_readme_tutorial_runs_as_written() {
    let readme = read(Path::new("README.md"));
    let section = readme
        .split("## Five minutes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README has its tutorial");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_ancillary");
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    let mut block: Option<&str> = None;
    let mut edit: Vec<String> = Vec::new();
    for line in section.lines() {
        let t = line.trim();
        if let Some(kind) = t.strip_prefix("```") {
            block = if block.is_some() { None } else { Some(kind) };
            continue;
        }
        match block {
            Some("sh") if t.starts_with("ancillary ") => commands.push((t.to_string(), vec![])),
            Some("sh") if t.starts_with("# ") => {
                if let Some((_, expect)) = commands.last_mut() {
                    expect.push(t[2..].to_string());
                }
            }
            Some("text") => edit.push(t.to_string()),
            None => {
                // Inline commands, e.g. `ancillary report out/my-study`.
                for (i, code) in t.split('`').enumerate() {
                    if i % 2 == 1
                        && code.starts_with("ancillary ")
                        && code.split_whitespace().count() > 2
                        && !commands.iter().any(|(c, _)| c == code)
                    {
                        commands.push((code.to_string(), vec![]));
                    }
                }
            }
            _ => {}
        }
    }
    let names: Vec<&str> = commands.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "ancillary new my-study --province Jiangsu",
            "ancillary run my-study --out out/my-study",
            "ancillary report out/my-study",
            "ancillary audit my-study",
            "ancillary caps Jiangsu"
        ]
    );
    for (k, (command, expect)) in commands.iter().enumerate() {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = Command::new(bin)
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{command}: {err}");
        for e in expect {
            let parts: Vec<&str> = e.split('…').collect();
            let found = err.lines().any(|l| {
                let mut rest = l;
                parts.iter().enumerate().all(|(i, p)| match rest.find(p) {
                    Some(at) if i > 0 || at == 0 => {
                        rest = &rest[at + p.len()..];
                        true
                    }
                    _ => false,
                })
            });
            assert!(found, "{command}: no line like {e:?} in\n{err}");
        }
        if k == 0 {
            // Step 2's edit, applied after `new`: the text block is the header and one row.
            let file = dir.join("my-study/fr_offers.csv");
            let text = read(&file);
            assert_eq!(text.lines().next(), Some(edit[0].as_str()));
            let unit = edit[1].split(',').next().unwrap();
            let edited: Vec<String> = text
                .lines()
                .map(|l| {
                    if l.starts_with(&format!("{unit},")) {
                        edit[1].clone()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            assert_ne!(edited.join("\n"), text.trim_end(), "the edit changes a row");
            std::fs::write(&file, edited.join("\n") + "\n").unwrap();
        }
    }
    assert!(dir.join("out/my-study/report.html").is_file());
    assert!(dir.join("out/my-study/settlement.csv").is_file());
}
