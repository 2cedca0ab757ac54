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
