//! Every shipped scenario, run and compared with its golden outputs in `tests/golden/NAME/`
//! through `ancillary diff`'s comparison (prices to 1e-6, money to the fen).
//!
//! After an intended change, bless new goldens with
//! `ANCILLARY_BLESS=1 cargo test --test golden`, then review `git diff tests/golden`.

mod common;

use std::path::Path;

#[test]
fn shipped_scenarios_match_their_goldens() {
    let bless = std::env::var_os("ANCILLARY_BLESS").is_some();
    let names = common::shipped_scenarios();
    assert!(names.len() >= 6, "{names:?}");
    let mut failures = Vec::new();
    for dir in names {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let s = ancillary::scenario::load(&dir).unwrap();
        let r = ancillary::run::run(&s).unwrap();
        let actual = ancillary::output::render(&s, &r);
        let golden = Path::new("tests/golden").join(&name);
        if bless {
            let _ = std::fs::remove_dir_all(&golden);
            ancillary::output::dir::write(&golden, &actual, false).unwrap();
            continue;
        }
        assert!(
            golden.is_dir(),
            "no golden for {name}: run ANCILLARY_BLESS=1 cargo test --test golden"
        );
        let expected = ancillary::audit::results::read_dir(&golden).unwrap();
        let differences = ancillary::diff::diff(&expected, &actual, Default::default()).unwrap();
        for d in differences.iter().take(20) {
            failures.push(format!("{name}: {d}"));
        }
    }
    assert!(
        failures.is_empty(),
        "outputs differ from the goldens (bless with ANCILLARY_BLESS=1 cargo test --test golden if intended):\n{}",
        failures.join("\n")
    );
}
