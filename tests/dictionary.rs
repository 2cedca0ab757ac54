//! The output data dictionary (issue 26): every column a run writes has one entry, with unit
//! and meaning, and `docs/outputs.md` carries the dictionary as generated.

use std::collections::BTreeSet;
use std::path::Path;

use ancillary::output::dictionary::{COLUMNS, markdown};

/// Every (file, column) a run writes: the row files' and the monthly statement's declared
/// headers, and the headers of the files rendered for fr-basic and month-spot (settlement,
/// rejected offers, the statements; a party's statement stands for all).
fn written() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut add = |file: &str, columns: &mut dyn Iterator<Item = &str>| {
        for c in columns {
            out.insert((file.to_string(), c.to_string()));
        }
    };
    for (file, columns) in ancillary::output::ROW_FILES
        .iter()
        .chain([&ancillary::output::STATEMENT_MONTHLY])
    {
        add(file, &mut columns.iter().copied());
    }
    for name in ["fr-basic", "month-spot"] {
        let s = ancillary::scenario::load(&Path::new("scenarios").join(name)).unwrap();
        let r = ancillary::run::run(&s).unwrap();
        for (file, bytes) in ancillary::output::render(&s, &r) {
            if !file.ends_with(".csv") {
                continue;
            }
            let text = String::from_utf8(bytes).unwrap();
            let header = text.lines().next().unwrap_or_default().to_string();
            let file = match file.strip_prefix("statements/") {
                Some("index.csv") => file.clone(),
                Some(_) => "statements/PARTY.csv".to_string(),
                None => file.clone(),
            };
            add(&file, &mut header.split(','));
        }
    }
    out
}

#[test]
fn every_column_written_has_one_entry_with_a_meaning() {
    let mut listed = BTreeSet::new();
    for c in COLUMNS {
        assert!(
            listed.insert((c.file.to_string(), c.name.to_string())),
            "{} {} twice",
            c.file,
            c.name
        );
        assert!(!c.meaning.is_empty(), "{} {}", c.file, c.name);
    }
    assert_eq!(listed, written());
}

#[test]
fn docs_outputs_carries_the_dictionary_as_generated() {
    let path = Path::new("docs/outputs.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- dictionary: start -->\n", "<!-- dictionary: end -->");
    let a = doc.find(start).expect("start marker") + start.len();
    let b = doc.find(end).expect("end marker");
    let generated = markdown();
    if std::env::var_os("ANCILLARY_BLESS").is_some() {
        std::fs::write(path, format!("{}{generated}{}", &doc[..a], &doc[b..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[a..b],
        generated,
        "run ANCILLARY_BLESS=1 cargo test --test dictionary"
    );
}
