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
