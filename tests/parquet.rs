//! `run --format parquet`: for every shipped scenario the Parquet tables hold the CSV tables'
//! values cell by cell, read back through the `parquet` crate's own row reader (not our
//! Parquet-to-CSV reading), and `diff` finds no difference between the two folders.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use ancillary::output::Format;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use rust_decimal::Decimal;

fn run(scenario: &Path, out: &Path, format: Format, report: bool) {
    ancillary::run_to_dir_showing(scenario, out, false, report, false, None, format).unwrap();
}

/// The files of a folder as they are on disk, name → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        let name = e
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        out.insert(name, std::fs::read(&e).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether a Parquet cell holds the CSV cell's value: text equal; numbers equal as the f64
/// the CSV text reads as; money equal as decimals, stored at scale 2 (fen); flags and whole
/// numbers as written; null for an empty cell.
fn same(field: &Field, csv: &str) -> bool {
    match field {
        Field::Null => csv.is_empty(),
        Field::Str(s) => s == csv,
        Field::Bool(b) => csv == if *b { "true" } else { "false" },
        Field::Long(i) => csv.parse::<i64>() == Ok(*i),
        Field::Double(x) => csv.parse::<f64>() == Ok(*x),
        Field::Decimal(d) => {
            let bytes = d.data();
            assert_eq!(d.scale(), 2, "money is stored in fen");
            assert_eq!(bytes.len(), 8, "money is DECIMAL on INT64");
            let fen = i64::from_be_bytes(bytes.try_into().unwrap());
            csv.parse::<Decimal>() == Ok(Decimal::new(fen, 2))
        }
        other => panic!("unexpected Parquet value {other:?}"),
    }
}

/// Compares one table cell by cell; returns the number of row groups and rows.
fn compare(name: &str, csv: &[u8], parquet: &[u8]) -> (usize, usize) {
    let mut reader = csv::Reader::from_reader(csv);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let pq = SerializedFileReader::new(bytes::Bytes::copy_from_slice(parquet)).unwrap();
    let columns: Vec<String> = pq
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(columns, header, "{name}: columns");
    let mut rows = pq.get_row_iter(None).unwrap();
    let mut n = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let row = rows
            .next()
            .unwrap_or_else(|| panic!("{name}: fewer rows"))
            .unwrap();
        n += 1;
        for ((column, field), cell) in row.get_column_iter().zip(&record) {
            assert!(
                same(field, cell),
                "{name} row {n} column {column}: Parquet {field:?}, CSV {cell:?}"
            );
        }
    }
    assert!(rows.next().is_none(), "{name}: more Parquet rows than CSV");
    (pq.metadata().num_row_groups(), n)
}

#[test]
fn every_shipped_scenario_holds_the_same_values_in_parquet_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let mut multi_group = false;
    for scenario in common::shipped_scenarios() {
        let stem = scenario.file_name().unwrap().to_string_lossy().to_string();
        let (c, p) = (
            tmp.path().join(format!("{stem}-csv")),
            tmp.path().join(&stem),
        );
        run(&scenario, &c, Format::Csv, false);
        run(&scenario, &p, Format::Parquet, false);
        let (csv, pq) = (files(&c), files(&p));

        // The same files but for the tables' extension; statements/ and the summary's
        // figures as with CSV.
        let renamed: Vec<String> = csv
            .keys()
            .map(|n| ancillary::output::parquet::file_name(n, Format::Parquet))
            .collect();
        assert_eq!(renamed, pq.keys().cloned().collect::<Vec<_>>(), "{stem}");
        for (name, bytes) in &csv {
            if name.starts_with("statements/") {
                assert_eq!(bytes, &pq[name], "{stem}: {name} as with CSV");
            } else if name.ends_with(".csv") {
                let pname = name.replace(".csv", ".parquet");
                let (groups, rows) = compare(&format!("{stem}/{pname}"), bytes, &pq[&pname]);
                // A table with no rows is one row group-less file; otherwise at least one.
                assert_eq!(groups == 0, rows == 0, "{stem}/{pname}");
                multi_group |= groups > 1;
            }
        }
        // The summary names the Parquet files and says the same otherwise.
        let summary = |f: &BTreeMap<String, Vec<u8>>| {
            let mut v: serde_json::Value = serde_json::from_slice(&f["summary.json"]).unwrap();
            let names = v["files"].take();
            (v, names)
        };
        let ((sc, nc), (sp, np)) = (summary(&csv), summary(&pq));
        assert_eq!(sc, sp, "{stem}: summary.json");
        let expected: Vec<String> = nc
            .as_array()
            .unwrap()
            .iter()
            .map(|n| ancillary::output::parquet::file_name(n.as_str().unwrap(), Format::Parquet))
            .collect();
        let listed: Vec<String> = np
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed, expected, "{stem}: summary's files");
        // The manifest lists every file written, the .parquet ones included.
        let manifest = String::from_utf8(pq[ancillary::output::dir::MANIFEST].clone()).unwrap();
        for name in pq.keys().filter(|n| *n != ancillary::output::dir::MANIFEST) {
            let digest = ancillary::output::dir::sha256_hex(&pq[name]);
            assert!(
                manifest.contains(&format!("{digest}  {name}\n")),
                "{stem}: {name}"
            );
        }

        // `diff` reads either format and finds nothing.
        let a = ancillary::audit::results::read_dir(&c).unwrap();
        let b = ancillary::audit::results::read_dir(&p).unwrap();
        let d = ancillary::diff::diff(&a, &b, ancillary::diff::Tolerances::default()).unwrap();
        assert!(d.is_empty(), "{stem}: {d:?}");
        // Read back, each table is the CSV's text exactly: the shipped amounts are written
        // to the fen and the quantities are short decimals that f64 keeps.
        for (name, bytes) in a.iter().filter(|(n, _)| n.ends_with(".csv")) {
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            assert_eq!(text(bytes), text(&b[name]), "{stem}: {name} read back");
        }
    }
    // A streamed run of more than one chunk writes a row group per chunk.
    assert!(
        multi_group,
        "no shipped scenario streamed in several chunks"
    );
}

#[test]
fn the_report_path_writes_the_same_parquet_values_as_the_streamed_one() {
    // `--report` renders in memory and converts whole tables (one row group); the streamed
    // run converts chunk by chunk. Read back, the same values.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Path::new("scenarios/month-nonspot");
    let (s, r) = (tmp.path().join("s"), tmp.path().join("r"));
    run(scenario, &s, Format::Parquet, false);
    run(scenario, &r, Format::Parquet, true);
    let mut a = ancillary::audit::results::read_dir(&s).unwrap();
    let mut b = ancillary::audit::results::read_dir(&r).unwrap();
    for name in ["report.html", ancillary::output::dir::MANIFEST] {
        a.remove(name);
        b.remove(name);
    }
    assert_eq!(a, b);
    assert!(files(&r).contains_key("clearing.parquet"));
}

#[test]
fn a_folder_with_a_table_in_both_formats_or_none_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p");
    run(Path::new("scenarios/fr-basic"), &p, Format::Parquet, false);
    // Without its manifest (which would refuse the unlisted clearing.csv first).
    std::fs::remove_file(p.join("ancillary.sha256")).unwrap();
    std::fs::write(p.join("clearing.csv"), "time\n").unwrap();
    let e = ancillary::audit::results::read_dir(&p).unwrap_err();
    assert!(e.to_string().contains("clearing.parquet"), "{e}");
    assert!(e.to_string().contains("clearing.csv is there too"), "{e}");

    std::fs::remove_file(p.join("clearing.csv")).unwrap();
    std::fs::remove_file(p.join("clearing.parquet")).unwrap();
    let e = ancillary::audit::results::read_dir(&p).unwrap_err();
    assert!(
        e.to_string()
            .contains("neither clearing.csv nor clearing.parquet"),
        "{e}"
    );
}

#[test]
fn a_damaged_parquet_table_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p");
    run(Path::new("scenarios/fr-basic"), &p, Format::Parquet, false);
    std::fs::remove_file(p.join("ancillary.sha256")).unwrap();
    std::fs::write(p.join("awards.parquet"), b"PAR1 not really").unwrap();
    let e = ancillary::audit::results::read_dir(&p).unwrap_err();
    assert!(e.to_string().contains("awards.parquet"), "{e}");
}

/// A Parquet file of `rows` rows of one INT64 column `band`, all 0, zstd: a few kilobytes
/// however many rows (dictionary and run-length encoding).
fn many_rows(rows: usize) -> Vec<u8> {
    use parquet::data_type::Int64Type;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    let schema =
        std::sync::Arc::new(parse_message_type("message t { required int64 band; }").unwrap());
    let props = std::sync::Arc::new(
        WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .build(),
    );
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).unwrap();
    let mut group = w.next_row_group().unwrap();
    let mut col = group.next_column().unwrap().unwrap();
    col.typed::<Int64Type>()
        .write_batch(&vec![0; rows], None, None)
        .unwrap();
    col.close().unwrap();
    group.close().unwrap();
    w.into_inner().unwrap()
}

#[test]
fn a_small_parquet_file_of_millions_of_rows_is_refused_at_once() {
    // 2,000,000 rows in a few kilobytes: over 100,000 + 16 rows per byte (below 1,700,000
    // rows while the file is under 100,000 bytes, checked here). ancillary's own tables hold
    // about 2 rows per byte.
    let bytes = many_rows(2_000_000);
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let e = match ancillary::output::parquet::to_csv("clearing.parquet", bytes.clone()) {
        Err(e) => e,
        Ok(csv) => panic!("read back as {} bytes of CSV", csv.len()),
    };
    assert!(
        e.contains(&format!(
            "claims 2000000 rows of 1 columns in {} bytes",
            bytes.len()
        )),
        "{e}"
    );
    // A table within the bounds still reads: 1,000 rows.
    let back = ancillary::output::parquet::to_csv("clearing.parquet", many_rows(1_000)).unwrap();
    assert_eq!(back.len(), "band\n".len() + 1_000 * "0\n".len());

    // The three readers, as processes, on a folder holding it: refused, exit 2, at once.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("h");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("clearing.parquet"), &bytes).unwrap();
    let d = dir.to_str().unwrap();
    let html = tmp.path().join("r.html");
    let runs: [&[&str]; 3] = [
        &["diff", d, d],
        &["report", d, "--html", html.to_str().unwrap()],
        &["audit", "scenarios/fr-basic", "--results", d],
    ];
    for args in runs {
        let start = std::time::Instant::now();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ancillary"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        eprintln!("{args:?}: {:?}", start.elapsed());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("claims 2000000 rows"), "{args:?}: {err}");
    }
    assert!(!html.exists());
}

mod fuzz {
    //! Issue 25's fuzz target for the Parquet readers: random row counts and mutated bytes,
    //! read back as `diff`, `report` and `audit --results` read a table. Each gives the rows
    //! or an error, never a panic, and never more rows than the bounds allow.
    use super::many_rows;
    use ancillary::output::parquet::{FREE_ROWS, ROWS_PER_BYTE, to_csv};
    use proptest::prelude::*;

    /// The rows a file of `bytes` bytes may hold (see `parquet::check_size`).
    fn bound(bytes: usize) -> u64 {
        FREE_ROWS + ROWS_PER_BYTE * bytes as u64
    }

    /// A real table: fr-basic's clearing, as `run --format parquet` writes it.
    fn clearing() -> Vec<u8> {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        BYTES
            .get_or_init(|| {
                let s =
                    ancillary::scenario::load(std::path::Path::new("scenarios/fr-basic")).unwrap();
                let out = ancillary::output::render(&s, &ancillary::run::run(&s).unwrap());
                ancillary::output::parquet::from_csv("clearing.csv", &out["clearing.csv"]).unwrap()
            })
            .clone()
    }

    proptest! {
        // Each case writes up to 2,000,000 values: 8 cases, a few seconds in debug.
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

        /// 10^0 to 10^6.3 (2,000,000) rows: read whole within the bound, refused beyond it.
        #[test]
        fn any_row_count_is_read_or_refused(exp in prop_oneof![Just(6.3), 0.0f64..6.3]) {
            let rows = 10f64.powf(exp) as usize;
            let bytes = many_rows(rows);
            let start = std::time::Instant::now();
            match to_csv("t.parquet", bytes.clone()) {
                Ok(csv) => {
                    prop_assert!(rows as u64 <= bound(bytes.len()));
                    prop_assert_eq!(csv.len(), "band\n".len() + rows * "0\n".len());
                }
                Err(e) => {
                    prop_assert!(rows as u64 > bound(bytes.len()), "{rows} rows: {e}");
                    prop_assert!(e.contains("claims"), "{e}");
                    // Refused from the metadata alone.
                    prop_assert!(start.elapsed().as_secs() < 2, "{:?}", start.elapsed());
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// A real table with bytes overwritten, or cut short: rows or an error, no panic.
        #[test]
        fn mutated_bytes_are_an_error_not_a_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes = clearing();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(c) = cut {
                bytes.truncate(c.index(bytes.len()));
            }
            let n = bytes.len();
            if let Ok(csv) = to_csv("clearing.parquet", bytes) {
                let rows = csv.iter().filter(|&&b| b == b'\n').count() as u64;
                prop_assert!(rows <= bound(n) + 1, "{rows} rows from {n} bytes");
            }
        }
    }
}
