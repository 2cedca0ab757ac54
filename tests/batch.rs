//! `ancillary batch` and `ancillary sweep`: same bytes at any thread count, a broken scenario
//! isolated, shards covering the list exactly once, distinct folders for same-named scenarios.

use std::path::{Path, PathBuf};
use std::process::Command;

use ancillary::batch::{self, Job};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ancillary"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ancillary::audit::results::read_dir(dir)
        .unwrap()
        .into_iter()
        .collect()
}

fn copy_scenario(from: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn same_bytes_with_one_or_two_threads_as_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two, alone) = (
        tmp.path().join("one"),
        tmp.path().join("two"),
        tmp.path().join("alone"),
    );
    let small = [
        "scenarios/fr-basic",
        "scenarios/peak-basic",
        "scenarios/reserve-basic",
        "scenarios/jiangsu-typical-day",
    ];
    for (dir, jobs) in [(&one, "1"), (&two, "2")] {
        let mut c = bin();
        c.args(["batch", "--out", dir.to_str().unwrap(), "--jobs", jobs])
            .args(small);
        assert!(c.output().unwrap().status.success());
    }
    for name in [
        "fr-basic",
        "peak-basic",
        "reserve-basic",
        "jiangsu-typical-day",
    ] {
        let a = tree(&one.join(name));
        assert_eq!(a, tree(&two.join(name)), "{name}");
        let out = alone.join(name);
        assert!(
            bin()
                .args([
                    "run",
                    &format!("scenarios/{name}"),
                    "--out",
                    out.to_str().unwrap()
                ])
                .output()
                .unwrap()
                .status
                .success()
        );
        assert_eq!(a, tree(&out), "{name}");
    }
}

#[test]
fn a_broken_scenario_is_reported_and_the_others_run() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("input/broken");
    copy_scenario("scenarios/fr-basic", &broken);
    std::fs::write(
        broken.join("units.csv"),
        "unit,owner,kind,capacity_mw,min_output_mw\nC1,A,coal,-1,0\n",
    )
    .unwrap();
    let good = tmp.path().join("input/good");
    copy_scenario("scenarios/reserve-basic", &good);
    let out = tmp.path().join("out");
    let o = bin()
        .args([
            "batch",
            tmp.path().join("input").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let summary = std::fs::read_to_string(out.join("batch_summary.csv")).unwrap();
    let broken_row = summary.lines().find(|l| l.contains(",broken,")).unwrap();
    assert!(
        broken_row.contains(",error,")
            && broken_row.contains("units.csv line 2, column capacity_mw"),
        "{broken_row}"
    );
    let good_row = summary.lines().find(|l| l.contains(",good,")).unwrap();
    assert!(good_row.contains(",ok,reserve,,,323575.00,"), "{good_row}");
    assert!(out.join("good/summary.json").is_file());
    assert!(!out.join("broken").exists());
}

#[test]
fn same_folder_names_never_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a/day"), tmp.path().join("b/day"));
    copy_scenario("scenarios/fr-basic", &a);
    copy_scenario("scenarios/peak-basic", &b);
    let jobs = batch::collect(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_ne!(jobs[0].folder, jobs[1].folder);
    assert!(jobs.iter().all(|j| j.folder.starts_with("day-")));
    // The same scenario named twice runs once.
    assert_eq!(batch::collect(&[a.clone(), a.clone()]).unwrap().len(), 1);
}

#[test]
fn shards_cover_the_list_exactly_once_and_merge() {
    let jobs: Vec<Job> = (0..10)
        .map(|i| Job {
            folder: format!("s{i}"),
            dir: PathBuf::from(format!("s{i}")),
        })
        .collect();
    for n in 1..=4 {
        let mut seen: Vec<String> = (1..=n)
            .flat_map(|k| batch::shard(jobs.clone(), k, n))
            .map(|j| j.folder)
            .collect();
        seen.sort();
        let mut all: Vec<String> = jobs.iter().map(|j| j.folder.clone()).collect();
        all.sort();
        assert_eq!(seen, all, "n = {n}");
    }
    // Through the command line: two shards, then --merge.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for k in ["1/2", "2/2"] {
        let o = bin()
            .args([
                "batch",
                "scenarios/fr-basic",
                "scenarios/peak-basic",
                "scenarios/reserve-basic",
                "--out",
                out.to_str().unwrap(),
                "--shard",
                k,
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    assert!(out.join("batch_summary.shard-1-of-2.csv").is_file());
    assert!(
        bin()
            .args(["batch", "--merge", "--out", out.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .success()
    );
    let merged = std::fs::read_to_string(out.join("batch_summary.csv")).unwrap();
    assert_eq!(merged.lines().count(), 4); // header + 3 scenarios, each once
    assert_eq!(
        bin()
            .args(["batch", "scenarios", "--out", "/tmp/x", "--shard", "3/2"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn sweep_runs_the_cross_product() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let o = bin()
        .args([
            "sweep",
            "scenarios/fr-basic",
            "--set",
            "caps.fr_mileage_price_yuan_per_mw=5,15",
            "--set",
            "fr.ranking=price,price_over_k",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = std::fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    assert_eq!(table.lines().count(), 5); // header + 2 × 2
    // Cap 15 with price_over_k is fr-basic itself: 5976.90.
    let row = table
        .lines()
        .find(|l| l.starts_with("15,price_over_k,"))
        .unwrap();
    assert!(row.contains(",ok,5976.90,"), "{row}");
    // Cap 5: every offer (6, 4, 12, 10, 16) but C2's 4 is refused; C2's 30 MW cannot meet any
    // interval's requirement, so every price is the cap 5 and C2 (K 0.45) is paid
    // 5 × 0.45 × (10 + 12 + 18 + 20) = 135.00.
    let row = table
        .lines()
        .find(|l| l.starts_with("5,price_over_k,"))
        .unwrap();
    assert!(row.contains(",ok,135.00,"), "{row}");
}

/// The error of the one variant of a sweep of `scenario` with `set`, from sweep_summary.csv.
fn sweep_error(scenario: &Path, set: &str, out: &Path) -> String {
    let o = bin()
        .args(["sweep", scenario.to_str().unwrap(), "--set", set])
        .args(["--out", out.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let table = std::fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(table.as_bytes());
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(&row[1], "error", "{table}");
    row[row.len() - 1].to_string()
}

#[test]
fn sweep_errors_name_the_users_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("s");
    copy_scenario("scenarios/fr-basic", &s);
    // Weights that do not sum to 1, below comments and a [caps] table that the sweep adds a
    // key to (the added line must not shift what the error says).
    let toml = std::fs::read_to_string(s.join("scenario.toml")).unwrap().replace(
        "[fr]\n",
        "[fr]\n# a comment the sweep must keep\n\nweights = { rate = 0.5, precision = 0.5, response = 0.5 }   # sums to 1.5\n",
    );
    std::fs::write(s.join("scenario.toml"), &toml).unwrap();
    let line = toml.lines().position(|l| l.starts_with("weights")).unwrap() + 1;
    // `run` names that line: the independent reference.
    let o = bin()
        .args(["run", s.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("run"))
        .output()
        .unwrap();
    let run_err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        run_err.contains(&format!("scenario.toml line {line}, key fr.weights")),
        "{run_err}"
    );
    // reserve_price_yuan_per_mwh is not in the file: the sweep adds it to [caps], above.
    let err = sweep_error(
        &s,
        "caps.reserve_price_yuan_per_mwh=50",
        &tmp.path().join("a"),
    );
    assert!(
        err.starts_with(&format!("scenario.toml line {line}, key fr.weights: ")),
        "{err}"
    );
    assert!(!err.contains("--set"), "{err}");
}

#[test]
fn sweep_errors_in_a_set_value_name_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let err = sweep_error(
        Path::new("scenarios/fr-basic"),
        "caps.performance_factor=two",
        &tmp.path().join("a"),
    );
    assert!(err.contains("expected f64"), "{err}");
    assert!(err.contains("--set caps.performance_factor=two"), "{err}");
    // The line of the value is the one --set wrote, not a line of the user's file.
    assert!(!err.contains(" line "), "{err}");
}

#[test]
fn sweep_sets_one_key_of_a_table_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    // fr-basic has no [fr] weights: the others take their defaults (0.25, 0.25), so a rate
    // of 0.5 sums to 1.
    let out = tmp.path().join("a");
    let o = bin()
        .args([
            "sweep",
            "scenarios/fr-basic",
            "--set",
            "fr.weights.rate=0.5",
        ])
        .args(["--set", "fr.performance=weighted", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // --quiet: no "[1/1] … ok" line, only where the summary is.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("[1/1]") && err.trim_end().ends_with("sweep_summary.csv"),
        "{err}"
    );
    // A file with weights 0.2 / 0.4 / 0.4: setting rate to 0.2 again must keep precision and
    // response at 0.4 (the defaults 0.25 would sum to 0.7 and fail), so the variant gives
    // what `run` gives on the file itself.
    let s = tmp.path().join("s");
    copy_scenario("scenarios/fr-basic", &s);
    let toml = std::fs::read_to_string(s.join("scenario.toml"))
        .unwrap()
        .replace(
            "performance = \"product\"",
            "performance = \"weighted\"\nweights = { rate = 0.2, precision = 0.4, response = 0.4 }",
        );
    std::fs::write(s.join("scenario.toml"), toml).unwrap();
    let out = tmp.path().join("b");
    let o = bin()
        .args([
            "sweep",
            s.to_str().unwrap(),
            "--set",
            "fr.weights.rate=0.2,0.6",
        ])
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1)); // 0.6 + 0.4 + 0.4 fails
    let table = std::fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    let alone = tmp.path().join("alone");
    assert!(
        bin()
            .args(["run", s.to_str().unwrap(), "--out"])
            .arg(&alone)
            .output()
            .unwrap()
            .status
            .success()
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(alone.join("summary.json")).unwrap())
            .unwrap();
    let fr = summary["products"]["fr"]["compensation_yuan"]
        .as_str()
        .unwrap();
    assert!(table.contains(&format!("0.2,ok,{fr},")), "{fr}\n{table}");
    assert!(
        table.contains("0.6,error,")
            && table.contains("sum to 1")
            && table.contains("--set fr.weights.rate=0.6"),
        "{table}"
    );
}

#[test]
fn an_output_root_that_is_a_file_is_named_as_one() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("results.txt");
    std::fs::write(&file, "mine").unwrap();
    let o = bin()
        .args(["batch", "scenarios/fr-basic", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    // Was "File exists (os error 17)".
    assert!(err.contains("exists and is not a folder"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
}
