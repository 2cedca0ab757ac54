//! A run cut into chunks of days — and a run streamed to disk chunk by chunk — writes exactly
//! the bytes of a run over the whole horizon in one piece (the independent method: one chunk
//! is the pipeline with no cutting at all).

mod common;

use std::collections::BTreeMap;

use ancillary::scenario::Scenario;
use ancillary::scenario::slice::Chunks;
use common::Case;
use sha2::Digest;

fn whole(s: &Scenario) -> BTreeMap<String, Vec<u8>> {
    let r = ancillary::run::run_in(s, &Chunks::by_days(s, 0)).unwrap();
    ancillary::output::render(s, &r)
}

fn cut(s: &Scenario, days: usize) -> BTreeMap<String, Vec<u8>> {
    let r = ancillary::run::run_in(s, &Chunks::by_days(s, days)).unwrap();
    ancillary::output::render(s, &r)
}

fn streamed(s: &Scenario) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("out");
    ancillary::stream_to_dir(s, &dir, false).unwrap();
    let mut files = ancillary::audit::results::read_dir(&dir).unwrap();
    // The manifest lists every other file with its SHA-256, as `sha256sum` writes it (the
    // streamed files' digests are taken as they grow: here they are taken from the bytes).
    let manifest = files.remove(ancillary::output::dir::MANIFEST).unwrap();
    let expected: String = files
        .iter()
        .map(|(name, bytes)| {
            let digest: String = sha2::Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{digest}  {name}\n")
        })
        .collect();
    assert_eq!(String::from_utf8(manifest).unwrap(), expected);
    files
}

fn assert_same(name: &str, a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{name}: file lists differ"
    );
    for (file, bytes) in a {
        assert!(
            bytes == &b[file],
            "{name}: {file} differs between a whole and a chunked run"
        );
    }
}

#[test]
fn shipped_scenarios_chunked_and_streamed_equal_whole() {
    for dir in common::shipped_scenarios() {
        let name = dir.display().to_string();
        let s = ancillary::scenario::load(&dir).unwrap();
        let reference = whole(&s);
        assert_same(&name, &reference, &cut(&s, 1));
        assert_same(&name, &reference, &streamed(&s));
    }
}

#[test]
fn generated_weeks_chunked_and_streamed_equal_whole() {
    for (seed, continuous) in [(3, false), (4, true)] {
        let files = ancillary::generate::scenario(ancillary::generate::Size {
            units: 24,
            days: 9,
            interval_minutes: 60,
            seed,
            continuous,
        })
        .unwrap();
        let files: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect();
        let s = ancillary::scenario::load_files(&files).unwrap();
        if continuous {
            // Energy is cleared by the LP, which keeps the horizon in one chunk.
            assert_eq!(ancillary::run::chunks(&s).unwrap().len(), 1);
        } else {
            // Merit order: one chunk a day, and the generator's offers are daily, so 9 days
            // give 9 chunks.
            assert_eq!(ancillary::run::chunks(&s).unwrap().len(), 9);
        }
        let reference = whole(&s);
        for days in [1, 2, 4] {
            assert_same(
                &format!("seed {seed}, {days} days"),
                &reference,
                &cut(&s, days),
            );
        }
        assert_same(&format!("seed {seed} streamed"), &reference, &streamed(&s));
    }
}

#[test]
fn no_cut_splits_an_offer() {
    // Three days of 12-hour intervals (0–5). S1's first offer runs from day 1 noon to day 2
    // noon (intervals 1–2), so days 1 and 2 stay together; its others end and start at day
    // 3's midnight, so without S2 the chunks are intervals [0, 4) and [4, 6).
    let toml = "name = \"t\"\nprovince = \"Jiangsu\"\nspot_market = \"none\"\ninterval_minutes = 720\nstart = \"2024-03-01T00:00\"\nintervals = 6\n";
    let mut case = Case::new("");
    case.files
        .insert("scenario.toml".into(), toml.as_bytes().to_vec());
    let s = case
        .file(
            "units.csv",
            "unit,owner,kind,capacity_mw,min_output_mw\nS1,A,coal,100,0\nS2,B,coal,100,0\n",
        )
        .file(
            "requirements.csv",
            "time,reserve_mw\n2024-03-01T00:00,10\n2024-03-01T12:00,10\n2024-03-02T00:00,10\n2024-03-02T12:00,10\n2024-03-03T00:00,10\n2024-03-03T12:00,10\n",
        )
        .file(
            "reserve_offers.csv",
            "unit,start,end,capacity_mw,price_yuan_per_mwh\nS1,2024-03-01T12:00,2024-03-02T12:00,50,20\nS2,2024-03-01T00:00,2024-03-04T00:00,50,30\nS1,2024-03-02T12:00,2024-03-03T00:00,50,20\nS1,2024-03-03T00:00,2024-03-04T00:00,50,25\n",
        )
        .load()
        .unwrap();
    // S2's offer spans all three days: one chunk.
    assert_eq!(Chunks::by_days(&s, 1).ranges, vec![0..6]);
    let s2 = {
        let mut s2 = s.clone();
        s2.reserve_offers.retain(|o| o.unit == 0);
        s2
    };
    assert_eq!(Chunks::by_days(&s2, 1).ranges, vec![0..4, 4..6]);
    assert_same("straddling", &whole(&s2), &cut(&s2, 1));
}
