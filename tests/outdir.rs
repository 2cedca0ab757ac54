//! OUT_DIR under concurrent, killed and forged conditions, with real processes: it always
//! holds the whole earlier output or the whole new one, never a mix; nothing we did not write
//! is deleted; no symbolic link inside it is followed; nothing is left beside it.
//! (Unix: the tests use symbolic links, FIFOs, `kill -9`, bash and `ulimit`.)
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ancillary"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn ancillary(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn spawn(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `scenario` into `out`, which must succeed.
fn run_ok(scenario: &str, out: &Path) {
    let o = ancillary(&["run", scenario, "--out", s(out)]);
    assert!(o.status.success(), "{scenario}: {}", stderr(&o));
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every entry under `dir` by relative name: file bytes, `<dir>`, or `<link>`; never follows
/// a link.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, b"<link>".to_vec());
            } else if meta.is_dir() {
                out.insert(rel, b"<dir>".to_vec());
                walk(base, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// The output of `scenario`, run alone into a fresh folder.
fn reference(root: &Path, scenario: &str) -> BTreeMap<String, Vec<u8>> {
    let out = root.join(format!("ref-{}", scenario.replace('/', "-")));
    let o = ancillary(&["run", scenario, "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    snapshot(&out)
}

fn which(
    snap: &BTreeMap<String, Vec<u8>>,
    refs: &[(&str, &BTreeMap<String, Vec<u8>>)],
) -> Option<String> {
    refs.iter()
        .find(|(_, r)| *r == snap)
        .map(|(n, _)| n.to_string())
}

#[test]
fn two_runs_into_one_folder_never_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let a = "scenarios/month-nonspot";
    let b = "scenarios/month-spot";
    let (ref_a, ref_b) = (reference(tmp.path(), a), reference(tmp.path(), b));
    let ref_fr = reference(tmp.path(), "scenarios/fr-basic");
    let refs = [(a, &ref_a), (b, &ref_b)];
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = work.join("out");
    let mut contended = 0;
    for trial in 0..6 {
        // An earlier output of a third scenario, as in the report that found the bug.
        let _ = std::fs::remove_dir_all(&out);
        let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
        assert!(o.status.success());
        assert_eq!(snapshot(&out), ref_fr);
        let (first, second) = if trial % 2 == 0 { (a, b) } else { (b, a) };
        let children = [first, second].map(|sc| (sc, spawn(&["run", sc, "--out", s(&out)])));
        let mut winners = Vec::new();
        for (sc, child) in children {
            let o = child.wait_with_output().unwrap();
            let err = stderr(&o);
            if o.status.success() {
                winners.push(sc);
            } else {
                assert_eq!(o.status.code(), Some(2), "{err}");
                assert!(err.contains("another ancillary run"), "{err}");
                assert!(!err.contains("ancillary-tmp"), "raw staging path: {err}");
                contended += 1;
            }
        }
        let now = snapshot(&out);
        let holds = which(&now, &refs).expect("the folder is a mix of two outputs");
        assert!(!winners.is_empty(), "trial {trial}: neither run succeeded");
        // A run that exited 0 alone owns the folder; when both did, they ran one after the other.
        if winners.len() == 1 {
            assert_eq!(holds, winners[0], "trial {trial}");
        }
        assert_eq!(names(&work), ["out"], "trial {trial}: left beside OUT_DIR");
    }
    // Started together, runs of ~0.5 s overlap: the lock must actually have been contended.
    assert!(contended > 0, "no trial had the two runs overlap");
}

#[test]
fn killed_runs_leave_the_earlier_or_the_new_output_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let a = "scenarios/month-nonspot";
    let b = "scenarios/month-spot";
    let (ref_a, ref_b) = (reference(tmp.path(), a), reference(tmp.path(), b));
    let refs = [(a, &ref_a), (b, &ref_b)];
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = work.join("out");
    assert!(ancillary(&["run", a, "--out", s(&out)]).status.success());
    // Time one whole run, so the kills spread over all of it and a little past its end.
    let start = std::time::Instant::now();
    assert!(ancillary(&["run", b, "--out", s(&out)]).status.success());
    let whole = start.elapsed().as_micros() as u64;
    let (mut before, mut after) = (0, 0);
    let mut seed: u64 = 0x2024_0301;
    let mut holds = b.to_string();
    for k in 0..16 {
        // Each try writes the other scenario, so a swap shows.
        let next = if holds == a { b } else { a };
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // The first kill at once (before any swap), the last two well past a whole run (after
        // it, however loaded the machine), the rest spread over 0 to 1.5 runs.
        let delay = match k {
            0 => 0,
            14 | 15 => whole * 6,
            _ => (seed >> 33) % (whole * 3 / 2 + 1),
        };
        let mut child = spawn(&["run", next, "--out", s(&out)]);
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = which(&snapshot(&out), &refs).unwrap_or_else(|| {
            panic!("killed after {delay} µs of ~{whole} µs: the folder is neither output")
        });
        if now == holds {
            before += 1;
        } else {
            after += 1;
        }
        holds = now;
    }
    eprintln!("16 kills over ~{whole} µs runs: {before} before the swap, {after} after");
    // Delays run from 0 to 1.5 runs: some kills land before the swap, some after the end.
    assert!(before > 0 && after > 0, "before {before}, after {after}");
    // The next run cleans up whatever the killed ones left, and is not refused.
    let next = if holds == a { b } else { a };
    let o = ancillary(&["run", next, "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(which(&snapshot(&out), &refs).as_deref(), Some(next));
    assert_eq!(names(&work), ["out"], "left beside OUT_DIR");
}

#[test]
fn a_forged_summary_or_manifest_deletes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("thesis");
    std::fs::create_dir_all(out.join("data")).unwrap();
    std::fs::write(out.join("thesis.docx"), "four years of work").unwrap();
    std::fs::write(out.join("data/raw.csv"), "t,x\n1,2\n").unwrap();
    std::fs::write(
        out.join("summary.json"),
        r#"{"program":"ancillary","files":["thesis.docx","data/raw.csv"]}"#,
    )
    .unwrap();
    let before = snapshot(&out);
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
    // A manifest naming the user's files with their true digests vouches for nothing: we
    // never write such names, so we never delete them.
    std::fs::write(
        out.join("ancillary.sha256"),
        "0ea3c0a8b1d9e2cbfa4b9b7d1cdd0a4e5b2e3cc4ba6b1a0e1e0c7c2a3b2e3cc4  thesis.docx\n",
    )
    .unwrap();
    let before = snapshot(&out);
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("ancillary.sha256 line 1"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&out), before);
    // --force writes our files beside theirs and leaves theirs alone.
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = snapshot(&out);
    assert_eq!(after["thesis.docx"], b"four years of work");
    assert_eq!(after["data/raw.csv"], b"t,x\n1,2\n");
    assert!(after.contains_key("clearing.csv"));
    // The folder is still not ours as a whole (the thesis is in it): a plain run is refused.
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("thesis.docx is not listed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_symbolic_link_inside_the_output_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("C1.csv"), "precious").unwrap();
    run_ok("scenarios/fr-basic", &out);
    std::fs::remove_dir_all(out.join("statements")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("statements")).unwrap();
    let before = snapshot(&out);
    for force in [false, true] {
        let mut args = vec!["run", "scenarios/fr-basic", "--out", s(&out)];
        if force {
            args.push("--force");
        }
        let o = ancillary(&args);
        assert_eq!(o.status.code(), Some(2), "force {force}");
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert_eq!(names(&victim), ["C1.csv"]);
        assert_eq!(std::fs::read(victim.join("C1.csv")).unwrap(), b"precious");
        assert_eq!(snapshot(&out), before);
    }
}

#[test]
fn an_output_changed_by_hand_is_not_ours_any_more() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = ancillary(&["run", "scenarios/peak-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("notes.txt is not listed"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    let mut clearing = std::fs::read(out.join("clearing.csv")).unwrap();
    clearing.extend_from_slice(b"edited\n");
    std::fs::write(out.join("clearing.csv"), &clearing).unwrap();
    let o = ancillary(&["run", "scenarios/peak-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("clearing.csv was changed after ancillary wrote it"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(out.join("clearing.csv")).unwrap(), clearing);
}

#[test]
fn report_and_audit_join_the_output_and_never_overwrite_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    let o = ancillary(&["report", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ancillary(&["audit", "scenarios/fr-basic", "--results", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let manifest = std::fs::read_to_string(out.join("ancillary.sha256")).unwrap();
    for f in ["report.html", "audit.csv", "audit.json", "clearing.csv"] {
        assert!(manifest.contains(&format!("  {f}\n")), "{f}: {manifest}");
    }
    // Still an intact output of ours: a new run replaces it without --force, and the report
    // and audit of the earlier run go with it.
    let o = ancillary(&["run", "scenarios/peak-basic", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("report.html").exists() && !out.join("audit.csv").exists());
    // --html FILE: an existing file is replaced only with --force.
    let html = tmp.path().join("mine.html");
    std::fs::write(&html, "my page").unwrap();
    let o = ancillary(&["report", s(&out), "--html", s(&html)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&html).unwrap(), b"my page");
    let o = ancillary(&["report", s(&out), "--html", s(&html), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // audit --out into a folder holding someone else's audit.csv.
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("audit.csv"), "their audit").unwrap();
    let o = ancillary(&["audit", "scenarios/fr-basic", "--out", s(&theirs)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(theirs.join("audit.csv")).unwrap(),
        b"their audit"
    );
    assert_eq!(
        names(tmp.path()),
        ["mine.html", "out", "theirs"],
        "left beside"
    );
}

/// Runs the binary with a file size limit of `kb` KiB, as a full disk would stop it. SIGXFSZ
/// is left at its default (killing the process), as a user's shell leaves it: the binary
/// ignores it itself, so the write fails with EFBIG.
fn with_file_limit(kb: u32, args: &[&str]) -> Output {
    let mut c = Command::new("bash");
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("-c")
        .arg(format!("trap - XFSZ; ulimit -f {kb}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_ancillary"))
        .args(args);
    c.output().unwrap()
}

#[test]
fn a_full_disk_leaves_the_earlier_output_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    let before = snapshot(&out);
    // month-spot's awards.csv is far over 8 KiB; the report of fr-basic is too.
    for args in [
        vec!["run", "scenarios/month-spot", "--out", s(&out)],
        vec!["report", s(&out)],
        vec!["audit", "scenarios/fr-basic", "--results", s(&out)],
    ] {
        let limit = if args[0] == "audit" { 1 } else { 8 };
        let o = with_file_limit(limit, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(snapshot(&out), before, "{args:?}");
        assert_eq!(names(tmp.path()), ["out"], "{args:?}: left beside");
    }
    let html = tmp.path().join("r.html");
    let o = with_file_limit(8, &["report", s(&out), "--html", s(&html)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(names(tmp.path()), ["out"], "left beside");
}

#[test]
fn a_party_named_index_keeps_its_statement() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("s");
    std::fs::create_dir(&scenario).unwrap();
    for e in std::fs::read_dir("scenarios/fr-basic").unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        // Unit C1 becomes "index": its statement must not land on statements/index.csv.
        let text = if p.extension().is_some_and(|x| x == "csv") {
            text.replace("C1,", "index,")
        } else {
            text
        };
        std::fs::write(scenario.join(p.file_name().unwrap()), text).unwrap();
    }
    let out = tmp.path().join("out");
    let o = ancillary(&["run", s(&scenario), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let index = std::fs::read_to_string(out.join("statements/index.csv")).unwrap();
    assert!(index.starts_with("party,file\n"), "{index}");
    let row = index
        .lines()
        .find(|l| l.starts_with("index,"))
        .expect("index listed");
    let file: PathBuf = out.join(row.trim_start_matches("index,"));
    assert!(file.is_file(), "{row}");
    assert!(
        std::fs::read_to_string(file)
            .unwrap()
            .starts_with("period,")
    );
}

#[test]
fn what_killed_runs_left_beside_is_cleaned_and_only_what_we_wrote_is_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    // As a kill leaves them: a whole output swapped out but not yet deleted (a copy of the
    // current one, manifest and all), a staging folder half written (its journal names the
    // folder and the file it created, by inode), and a stale lock file.
    let swapped = tmp.path().join(".out.ancillary-tmp-AAAAAA");
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&swapped)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let half = tmp.path().join(".out.ancillary-tmp-BBBBBB");
    std::fs::create_dir_all(half.join("statements")).unwrap();
    std::fs::write(half.join("awards.csv"), "time,product").unwrap();
    std::fs::write(
        half.join(".ancillary-staging"),
        format!(
            "{}\n{}\n",
            dir_line(&half),
            created_line(&half, "awards.csv")
        ),
    )
    .unwrap();
    std::fs::write(tmp.path().join(".out.ancillary-lock"), "99999").unwrap();
    // And one whose whole output holds a file nobody vouches for.
    let odd = tmp.path().join(".out.ancillary-tmp-CCCCCC");
    run_ok("scenarios/fr-basic", &odd);
    std::fs::write(odd.join("clearing.csv"), "edited by hand").unwrap();
    let o = ancillary(&["run", "scenarios/peak-basic", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let left = names(tmp.path());
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0], "out");
    // The edited file is kept, in sight, with nothing else of ours beside it.
    assert!(left[1].starts_with("out.ancillary-kept-"), "{left:?}");
    let kept = snapshot(&tmp.path().join(&left[1]));
    assert_eq!(kept.keys().collect::<Vec<_>>(), ["clearing.csv"]);
    assert_eq!(kept["clearing.csv"], b"edited by hand");
}

#[test]
fn reading_an_output_folder_never_blocks_on_a_fifo_or_a_device() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    let fifo = out.join("notes.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let zero = tmp.path().join("zero");
    std::fs::create_dir(&zero).unwrap();
    std::os::unix::fs::symlink("/dev/zero", zero.join("clearing.csv")).unwrap();
    // (A link is refused before anything is opened through it: see
    // a_reader_never_follows_a_link_inside_the_folder.)
    for (args, file, why) in [
        (
            vec!["report", s(&out), "--html", "/dev/null", "--force"],
            "notes.csv",
            "is not a regular file",
        ),
        (
            vec!["diff", s(&out), s(&out)],
            "notes.csv",
            "is not a regular file",
        ),
        (
            vec!["audit", "scenarios/fr-basic", "--results", s(&zero)],
            "clearing.csv",
            "is a symbolic link",
        ),
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(file) && err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn an_output_moved_aside_by_a_killed_swap_is_put_back() {
    // Where the system cannot exchange two folders, OUT_DIR is moved aside, the new output
    // renamed in, and the earlier one renamed to the staging name. Killed after the first
    // rename: OUT_DIR is absent, the earlier output sits at `….ancillary-tmp-XXXXXX-swap`
    // and the new one, whole, at `….ancillary-tmp-XXXXXX`.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let earlier = reference(tmp.path(), "scenarios/fr-basic");
    run_ok("scenarios/fr-basic", &out);
    std::fs::rename(&out, tmp.path().join(".out.ancillary-tmp-Q1w2E3-swap")).unwrap();
    let staged = tmp.path().join(".out.ancillary-tmp-Q1w2E3");
    run_ok("scenarios/peak-basic", &staged);
    std::fs::remove_dir_all(tmp.path().join("ref-scenarios-fr-basic")).unwrap();
    // The next command that takes the lock puts the earlier output back before anything else.
    let o = ancillary(&["report", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut now = snapshot(&out);
    assert!(now.remove("report.html").is_some());
    now.remove("ancillary.sha256");
    let mut earlier = earlier;
    earlier.remove("ancillary.sha256");
    assert_eq!(now, earlier);
    assert_eq!(names(tmp.path()), ["out"], "left beside");
}

#[test]
fn a_reader_never_sees_half_of_one_output_and_half_of_another() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = ("scenarios/month-nonspot", "scenarios/month-spot");
    let read = |dir: &Path| ancillary::audit::results::read_dir(dir).unwrap();
    let out = tmp.path().join("out");
    for sc in [a, b] {
        assert!(
            ancillary(&[
                "run",
                sc,
                "--out",
                s(&tmp.path().join(sc.replace('/', "-")))
            ])
            .status
            .success()
        );
    }
    let ref_a = read(&tmp.path().join(a.replace('/', "-")));
    let ref_b = read(&tmp.path().join(b.replace('/', "-")));
    assert!(ancillary(&["run", a, "--out", s(&out)]).status.success());
    // A writer swapping the two outputs back and forth while the folder is read, again and
    // again, by the reader `report`, `diff` and `audit --results` share.
    let writer = {
        let out = out.clone();
        std::thread::spawn(move || {
            for k in 0..8 {
                let sc = if k % 2 == 0 { b } else { a };
                let o = ancillary(&["run", sc, "--out", s(&out)]);
                assert!(o.status.success(), "{}", stderr(&o));
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        let files = read(&out);
        assert!(files == ref_a || files == ref_b, "a read mixed two outputs");
        reads += 1;
    }
    writer.join().unwrap();
    assert!(reads > 0);
}

#[test]
fn a_single_file_is_never_written_through_a_link_and_its_leftovers_are_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    // --html onto a link or a FIFO: refused even with --force, the target untouched.
    let target = tmp.path().join("target.txt");
    std::fs::write(&target, "keep").unwrap();
    let link = tmp.path().join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = tmp.path().join("fifo.html");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for html in [&link, &fifo] {
        let o = ancillary(&["report", s(&out), "--html", s(html), "--force"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("is not a regular file"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // What a killed writer of r.html left (its temporary file, its lock file naming the
    // process and the temporary file's inode and birth time) goes with the next write of
    // r.html.
    let temp = tmp.path().join(".r.html.ancillary-tmp-Zx9Yw8");
    std::fs::write(&temp, "half a page").unwrap();
    std::fs::write(
        tmp.path().join(".r.html.ancillary-lock"),
        format!("99999 {} {}", inode(&temp), born(&temp)),
    )
    .unwrap();
    let o = ancillary(&["report", s(&out), "--html", s(&tmp.path().join("r.html"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(tmp.path()),
        ["fifo.html", "link.html", "out", "r.html", "target.txt"]
    );
}

#[test]
fn an_empty_folder_made_beforehand_is_filled_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(snapshot(&out), reference(tmp.path(), "scenarios/fr-basic"));
}

#[test]
fn a_lock_file_planted_as_a_link_or_a_file_of_someone_else_is_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    let before = snapshot(&out);
    // A file outside, and a link to it at each lock file's name: OUT_DIR's (`run`) and the
    // page's (`report --html`).
    let outside = tmp.path().join("precious.txt");
    std::fs::write(&outside, "thesis, chapter 3\n").unwrap();
    let run_lock = tmp.path().join(".out.ancillary-lock");
    let html_lock = tmp.path().join(".r.html.ancillary-lock");
    std::os::unix::fs::symlink(&outside, &run_lock).unwrap();
    std::os::unix::fs::symlink(&outside, &html_lock).unwrap();
    let html = tmp.path().join("r.html");
    let runs: [&[&str]; 2] = [
        &["run", "scenarios/peak-basic", "--out", s(&out)],
        &["report", s(&out), "--html", s(&html)],
    ];
    for args in runs {
        let o = ancillary(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(
                "is a symbolic link; ancillary never writes or removes a file it did not create"
            ),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(std::fs::read(&outside).unwrap(), b"thesis, chapter 3\n");
    }
    assert!(!html.exists());
    assert_eq!(snapshot(&out), before, "OUT_DIR changed");
    // A hard link to the file, and a file of someone else's, at the lock file's name.
    std::fs::remove_file(&run_lock).unwrap();
    std::fs::hard_link(&outside, &run_lock).unwrap();
    let o = ancillary(runs[0]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("has other hard links"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(&run_lock).unwrap();
    std::fs::write(&run_lock, "notes").unwrap();
    let o = ancillary(runs[0]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds more than a process id"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&run_lock).unwrap(), b"notes");
    assert_eq!(std::fs::read(&outside).unwrap(), b"thesis, chapter 3\n");
    assert_eq!(snapshot(&out), before, "OUT_DIR changed");
    // A stale lock file of ours (a process id) is still reused and removed.
    std::fs::write(&run_lock, "99999").unwrap();
    run_ok("scenarios/peak-basic", &out);
    assert!(std::fs::symlink_metadata(&run_lock).is_err());
}

/// The first line of a staging folder's journal: `dir DEVICE INODE` of the folder.
fn dir_line(dir: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(dir).unwrap();
    format!("dir {} {}", m.dev(), m.ino())
}

fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::symlink_metadata(path).unwrap())
}

/// A file's birth time in nanoseconds since 1970, as the journal records it.
fn born(path: &Path) -> u128 {
    let m = std::fs::symlink_metadata(path).unwrap();
    let t = m.created().expect("a file system that keeps birth times");
    t.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// The journal line a run writes when it creates `dir/name`: `new INODE BIRTH NAME`.
fn created_line(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    format!("new {} {} {name}", inode(&path), born(&path))
}

#[test]
fn a_folder_of_the_staging_shape_that_nothing_vouches_for_is_kept_in_sight_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok("scenarios/fr-basic", &out);
    // Folders with the staging name's exact shape, and the `-swap` form, with no manifest:
    // somebody's files, which must survive whole. One holds a journal copied from elsewhere
    // (its `dir` line names another folder), which vouches for nothing.
    let plain = tmp.path().join(".out.ancillary-tmp-Ab12Cd");
    let swap = tmp.path().join(".out.ancillary-tmp-Ef34Gh-swap");
    let copied = tmp.path().join(".out.ancillary-tmp-Ij56Kl");
    for dir in [&plain, &swap, &copied] {
        std::fs::create_dir_all(dir.join("statements")).unwrap();
        std::fs::write(dir.join("awards.csv"), "mine").unwrap();
        std::fs::write(dir.join("statements/U1.csv"), "also mine").unwrap();
    }
    std::fs::write(
        copied.join(".ancillary-staging"),
        format!(
            "{}\n{}\n",
            dir_line(&plain),
            created_line(&copied, "awards.csv")
        ),
    )
    .unwrap();
    // A journal of its own, but a file it does not name: that file is kept, the named one
    // goes.
    let mixed = tmp.path().join(".out.ancillary-tmp-Mn78Op");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::write(mixed.join("clearing.csv"), "half written").unwrap();
    std::fs::write(mixed.join("notes.txt"), "mine").unwrap();
    std::fs::write(
        mixed.join(".ancillary-staging"),
        format!(
            "{}\n{}\n",
            dir_line(&mixed),
            created_line(&mixed, "clearing.csv")
        ),
    )
    .unwrap();
    // A temporary file of the single-file shape that no lock file names.
    let loose = tmp.path().join(".out.ancillary-tmp-Qr90St");
    std::fs::write(&loose, "my draft").unwrap();
    let expected: Vec<BTreeMap<String, Vec<u8>>> = [&plain, &swap, &copied, &mixed]
        .iter()
        .map(|d| snapshot(d))
        .collect();
    let o = ancillary(&["run", "scenarios/peak-basic", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let left = names(tmp.path());
    // OUT_DIR and five folders or files kept in sight: nothing hidden is left.
    assert_eq!(left.len(), 6, "{left:?}");
    assert_eq!(left[0], "out");
    let mut kept: Vec<BTreeMap<String, Vec<u8>>> = Vec::new();
    let mut loose_kept = Vec::new();
    for name in &left[1..] {
        assert!(name.starts_with("out.ancillary-kept-"), "{left:?}");
        let path = tmp.path().join(name);
        if path.is_dir() {
            kept.push(snapshot(&path));
        } else {
            loose_kept.push(std::fs::read(&path).unwrap());
        }
    }
    assert_eq!(loose_kept, [b"my draft".to_vec()]);
    // The three folders nothing vouches for, byte for byte; of the fourth, only the file its
    // journal does not name.
    let mut want: Vec<BTreeMap<String, Vec<u8>>> = expected[..3].to_vec();
    want.push(BTreeMap::from([(
        "notes.txt".to_string(),
        b"mine".to_vec(),
    )]));
    kept.sort();
    want.sort();
    assert_eq!(kept, want);
}

#[test]
fn a_swap_shaped_folder_that_is_not_our_output_is_never_put_in_place() {
    // OUT_DIR absent, and beside it a folder of the `-swap` shape holding the user's own
    // file: not an earlier output of ours (no manifest), so it must not become OUT_DIR (where
    // --force would then overwrite the file) but be kept in sight whole.
    for force in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let swap = tmp.path().join(".out.ancillary-tmp-ZZZZZZ-swap");
        std::fs::create_dir(&swap).unwrap();
        std::fs::write(swap.join("awards.csv"), "my hand-made awards").unwrap();
        let mut args = vec!["run", "scenarios/fr-basic", "--out", s(&out)];
        if force {
            args.push("--force");
        }
        let o = ancillary(&args);
        assert!(o.status.success(), "force {force}: {}", stderr(&o));
        let left = names(tmp.path());
        assert_eq!(left.len(), 2, "force {force}: {left:?}");
        assert_eq!(left[0], "out");
        assert!(left[1].starts_with("out.ancillary-kept-"), "{left:?}");
        assert_eq!(
            snapshot(&tmp.path().join(&left[1])),
            BTreeMap::from([("awards.csv".into(), b"my hand-made awards".to_vec())])
        );
        // OUT_DIR is the new output alone: its awards.csv is ours.
        let awards = std::fs::read(out.join("awards.csv")).unwrap();
        assert_ne!(awards, b"my hand-made awards");
        assert!(snapshot(&out).contains_key("ancillary.sha256"));
    }
}

/// `sha256sum NAMES > ancillary.sha256` in `dir`, as a user who read the manifest's format
/// would write it.
fn sha256sum_manifest(dir: &Path, names: &[&str]) {
    let o = Command::new("sha256sum")
        .args(names)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    std::fs::write(dir.join("ancillary.sha256"), o.stdout).unwrap();
}

#[test]
fn a_manifest_written_by_sha256sum_does_not_make_a_folder_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(
        out.join("budget.csv"),
        "month,budget_yuan\n2024-03,120000\n",
    )
    .unwrap();
    std::fs::write(out.join("notes.json"), r#"{"owner": "me"}"#).unwrap();
    sha256sum_manifest(&out, &["budget.csv", "notes.json"]);
    let before = snapshot(&out);
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no summary.json"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
    // A summary.json that claims to be ours but lists other files than the manifest does.
    std::fs::write(
        out.join("summary.json"),
        r#"{"program":"ancillary","files":["budget.csv","summary.json"]}"#,
    )
    .unwrap();
    sha256sum_manifest(&out, &["budget.csv", "notes.json", "summary.json"]);
    let before = snapshot(&out);
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ancillary.sha256 lists notes.json, which summary.json does not"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&out), before);
    // One that does not say it was written by ancillary, listing exactly the manifest's names.
    std::fs::write(
        out.join("summary.json"),
        r#"{"files":["budget.csv","notes.json","summary.json"]}"#,
    )
    .unwrap();
    sha256sum_manifest(&out, &["budget.csv", "notes.json", "summary.json"]);
    let before = snapshot(&out);
    let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(r#""program": "ancillary""#),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&out), before);
    // Our own output, with the report and the audit added, is still replaced without --force.
    let ours = tmp.path().join("ours");
    run_ok("scenarios/fr-basic", &ours);
    for args in [
        vec!["report", s(&ours)],
        vec!["audit", "scenarios/fr-basic", "--results", s(&ours)],
    ] {
        let o = ancillary(&args);
        assert!(o.status.code() != Some(2), "{args:?}: {}", stderr(&o));
    }
    let manifest = std::fs::read_to_string(ours.join("ancillary.sha256")).unwrap();
    assert!(manifest.contains("  report.html\n") && manifest.contains("  audit.csv\n"));
    run_ok("scenarios/peak-basic", &ours);
    assert!(!ours.join("report.html").exists());
}

#[test]
fn a_reader_never_follows_a_link_inside_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok("scenarios/fr-basic", &a);
    run_ok("scenarios/fr-basic", &b);
    // b's clearing.csv moved outside and linked back: the same bytes, so a reader that
    // followed the link would find no differences.
    let outside = tmp.path().join("outside-clearing.csv");
    std::fs::rename(b.join("clearing.csv"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, b.join("clearing.csv")).unwrap();
    // A statement linked the same way, in a subfolder.
    let c = tmp.path().join("c");
    run_ok("scenarios/fr-basic", &c);
    let statement = tmp.path().join("outside-C1.csv");
    std::fs::rename(c.join("statements/C1.csv"), &statement).unwrap();
    std::os::unix::fs::symlink(&statement, c.join("statements/C1.csv")).unwrap();
    let html = tmp.path().join("r.html");
    for (args, link) in [
        (vec!["diff", s(&a), s(&b)], "clearing.csv"),
        (vec!["report", s(&b), "--html", s(&html)], "clearing.csv"),
        (
            vec!["audit", "scenarios/fr-basic", "--results", s(&b)],
            "clearing.csv",
        ),
        (vec!["diff", s(&a), s(&c)], "statements/C1.csv"),
    ] {
        let o = ancillary(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(link) && err.contains("is a symbolic link"),
            "{args:?}: {err}"
        );
    }
    assert!(!html.exists());
}

#[test]
fn report_html_into_the_output_folder_is_refused_and_the_folder_stays_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_ok("scenarios/fr-basic", &out);
    let before = snapshot(&out);
    // The page itself, a new subfolder of OUT_DIR, and OUT_DIR reached through `..`.
    let via_dots = tmp.path().join("o/statements/../page.html");
    for html in [
        out.join("report.html"),
        out.join("plots/page.html"),
        via_dots,
    ] {
        let o = ancillary(&["report", s(&out), "--html", s(&html)]);
        assert_eq!(o.status.code(), Some(2), "{html:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("use `ancillary report {}`", s(&out))),
            "{}",
            stderr(&o)
        );
        assert_eq!(snapshot(&out), before, "{html:?}");
    }
    // Still ours: the next run replaces it without --force.
    run_ok("scenarios/peak-basic", &out);
    // A path beside OUT_DIR whose name starts the same is outside it.
    let beside = tmp.path().join("o-report.html");
    let o = ancillary(&["report", s(&out), "--html", s(&beside)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(beside.exists());
}

/// Runs `args`, killed if still running after 60 s (a failure).
fn within_a_minute(args: &[&str]) -> Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn readers_read_only_our_files_and_a_bounded_total() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    run_ok("scenarios/fr-basic", &good);
    // Beside an output of ours, a sparse 1 GiB file the manifest does not list: a few bytes
    // on disk, 1 GiB to read. Refused by name from the listing, before anything is read.
    let junk = tmp.path().join("junk");
    run_ok("scenarios/fr-basic", &junk);
    std::fs::File::create(junk.join("zeros.bin"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    // A folder made by hand (no manifest): files whose names run could not have written are
    // left unread, and a sparse 5 GiB clearing.csv is over the 4 GiB a reader reads from a
    // folder (twice the 2 GiB of one input file), refused before it is opened.
    let hand = tmp.path().join("hand");
    std::fs::create_dir(&hand).unwrap();
    std::fs::File::create(hand.join("clearing.csv"))
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    let html = tmp.path().join("r.html");
    for (args, why) in [
        (
            vec!["diff", s(&good), s(&junk)],
            "zeros.bin: is not listed in ancillary.sha256",
        ),
        (
            vec!["report", s(&junk), "--html", s(&html)],
            "zeros.bin: is not listed in ancillary.sha256",
        ),
        (
            vec!["audit", "scenarios/fr-basic", "--results", s(&junk)],
            "zeros.bin: is not listed in ancillary.sha256",
        ),
        (
            vec!["diff", s(&good), s(&hand)],
            "holds 5368709120 bytes of output files, more than the 4294967296",
        ),
    ] {
        let o = within_a_minute(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    // Without the big file, the hand-made folder's other files are not read: a notes.txt
    // that is not UTF-8 is no error, and diff finds the tables alone differ.
    std::fs::remove_file(hand.join("clearing.csv")).unwrap();
    std::fs::copy(good.join("clearing.csv"), hand.join("clearing.csv")).unwrap();
    std::fs::write(hand.join("notes.txt"), [0xff, 0xfe]).unwrap();
    let o = within_a_minute(&["diff", s(&good), s(&hand)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(!out.contains("notes.txt"), "{out}");
}

#[test]
fn a_users_file_in_a_killed_runs_staging_folder_is_kept_even_on_a_reused_inode() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A real run killed while it writes its row files: its staging folder holds clearing.csv
    // and awards.csv, each noted in its journal by inode and birth time.
    let mut staging = None;
    for _ in 0..20 {
        let mut child = spawn(&["run", "scenarios/month-spot", "--out", s(&out)]);
        let start = std::time::Instant::now();
        while staging.is_none() && start.elapsed() < Duration::from_secs(30) {
            for e in std::fs::read_dir(tmp.path()).unwrap() {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if name.starts_with(".out.ancillary-tmp-")
                    && path.join("awards.csv").exists()
                    && path.join("clearing.csv").exists()
                {
                    let _ = child.kill();
                    staging = Some(path);
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        if staging.as_ref().is_some_and(|p| p.exists()) && !out.exists() {
            break;
        }
        // Finished or swapped in before the kill: start again from nothing.
        staging = None;
        for e in std::fs::read_dir(tmp.path()).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    let staging = staging.expect("a run killed while writing its staging folder");
    // The user removes awards.csv and writes a file of that name: ext4 and tmpfs hand the
    // freed inode straight back, so the inode alone would vouch for it; its birth time does not.
    let awards = staging.join("awards.csv");
    std::fs::remove_file(&awards).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    std::fs::write(&awards, "MY notes B (new file)").unwrap();
    // And a whole file, noted `done` with its size and time, then rewritten in place.
    let notes = staging.join("summary.json");
    std::fs::write(&notes, "{}").unwrap();
    let m = std::fs::symlink_metadata(&notes).unwrap();
    let modified = m
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let journal = staging.join(".ancillary-staging");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(&format!(
        "{}\ndone {} 2 {modified} summary.json\n",
        created_line(&staging, "summary.json"),
        inode(&notes)
    ));
    std::fs::write(&journal, text).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    std::fs::write(&notes, "MY notes A (in place)").unwrap();
    assert_eq!(std::fs::symlink_metadata(&notes).unwrap().len(), 21);
    // The next run cleans up: the killed run's own files go, the user's two are kept in sight.
    run_ok("scenarios/fr-basic", &out);
    let left = names(tmp.path());
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[1].starts_with("out.ancillary-kept-"), "{left:?}");
    let kept = snapshot(&tmp.path().join(&left[1]));
    assert_eq!(kept["awards.csv"], b"MY notes B (new file)");
    assert_eq!(kept["summary.json"], b"MY notes A (in place)");
    // clearing.csv, the killed run's own, is not among them.
    assert!(!kept.contains_key("clearing.csv"), "{:?}", kept.keys());
}

#[test]
fn deleting_the_earlier_output_never_follows_a_folder_swapped_for_a_link() {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use std::os::unix::fs::MetadataExt;
    // The earlier output, once swapped out to the staging name, has its files deleted. A
    // process that exchanges its statements/ with a link to a folder of the user's (one
    // atomic renameat2 EXCHANGE) between the scan and the deletes must not make ancillary
    // delete the user's files there. The exchange is made as soon as the old output shows at
    // the staging name, before or during its deletes (before the fix the first try lost the
    // user's files here); 30 tries.
    let names7 = ["C1", "C2", "CS1", "G1", "S1", "W1", "index"];
    let mut hits = 0;
    for _ in 0..30 {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("p");
        let victim = tmp.path().join("victim");
        std::fs::create_dir_all(&parent).unwrap();
        std::fs::create_dir_all(&victim).unwrap();
        for q in names7 {
            std::fs::write(victim.join(format!("{q}.csv")), format!("precious {q}")).unwrap();
        }
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let out = parent.join("out");
        run_ok("scenarios/fr-basic", &out);
        let ino = std::fs::metadata(&out).unwrap().ino();
        let sniper = {
            let (parent, link) = (parent.clone(), link.clone());
            std::thread::spawn(move || {
                let end = std::time::Instant::now() + Duration::from_secs(5);
                while std::time::Instant::now() < end {
                    for e in std::fs::read_dir(&parent).unwrap().flatten() {
                        let name = e.file_name().to_string_lossy().to_string();
                        if name.starts_with(".out.ancillary-tmp-")
                            && e.metadata().is_ok_and(|m| m.ino() == ino)
                            && renameat_with(
                                CWD,
                                e.path().join("statements"),
                                CWD,
                                &link,
                                RenameFlags::EXCHANGE,
                            )
                            .is_ok()
                        {
                            return true;
                        }
                    }
                }
                false
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        run_ok("scenarios/fr-basic", &out);
        if sniper.join().unwrap() {
            hits += 1;
        }
        // Whatever the timing, the user's folder is whole.
        let kept: Vec<String> = names(&victim);
        assert_eq!(
            kept.len(),
            7,
            "files deleted outside OUT_DIR: {kept:?} left"
        );
        for q in names7 {
            let text = std::fs::read_to_string(victim.join(format!("{q}.csv"))).unwrap();
            assert_eq!(text, format!("precious {q}"));
        }
    }
    eprintln!("30 tries, the exchange made in {hits}");
}

#[test]
fn run_force_never_writes_through_a_folder_swapped_for_a_link() {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use std::sync::atomic::{AtomicBool, Ordering};
    // A folder not ours (so --force writes file by file) whose statements/ another process
    // keeps exchanging with a link to the user's folder, as fast as it can: each statement
    // must land in OUT_DIR/statements or the run fail, never replace a file through the link.
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let names7 = ["C1", "C2", "CS1", "G1", "S1", "W1", "index"];
    for q in names7 {
        std::fs::write(victim.join(format!("{q}.csv")), format!("precious {q}")).unwrap();
    }
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("statements")).unwrap();
    std::os::unix::fs::symlink("../victim", out.join(".alt")).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flipper = {
        let (stop, out) = (stop.clone(), out.clone());
        std::thread::spawn(move || {
            let (a, b) = (out.join("statements"), out.join(".alt"));
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if renameat_with(CWD, &a, CWD, &b, RenameFlags::EXCHANGE).is_ok() {
                    flips += 1;
                }
            }
            flips
        })
    };
    let mut ok = 0;
    for _ in 0..20 {
        let o = ancillary(&["run", "scenarios/fr-basic", "--out", s(&out), "--force"]);
        ok += o.status.success() as u32;
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    eprintln!("20 runs with --force ({ok} succeeded) against {flips} exchanges");
    assert!(flips > 0);
    assert_eq!(names(&victim).len(), 7, "{:?}", names(&victim));
    for q in names7 {
        let text = std::fs::read_to_string(victim.join(format!("{q}.csv"))).unwrap();
        assert_eq!(text, format!("precious {q}"), "victim/{q}.csv replaced");
    }
}
