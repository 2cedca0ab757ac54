//! What the loader accepts as a scenario's files and columns, checked the same way for every
//! file: only regular files of bounded size are read (a FIFO would block `run` forever, a link
//! to `/dev/zero` would fill memory); a file or column name close to one the contract knows is
//! an error (a misspelling must not silently drop a product or a column and change results);
//! other unknown names are warnings.

use std::io::Read;
use std::path::Path;

use crate::error::{ErrorKind, InputError};

/// Largest input file read, bytes (2 GiB). The largest file of `ancillary generate --units
/// 300` is `fr_mileage.csv`: 1,523,834 bytes for 2 days (measured), so 279 MB for a year of
/// 15-minute intervals and about 840 MB at 5 minutes. 2 GiB leaves room for wider rows and
/// longer ids, while a runaway input is refused before it exhausts memory.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Reads the input file at `path` (`name` in errors): `Ok(None)` when there is none. Only a
/// regular file (or a link to one) of at most [`MAX_FILE_BYTES`] is read.
pub fn read_input(path: &Path, name: &str) -> Result<Option<Vec<u8>>, InputError> {
    read_limited(path, name, MAX_FILE_BYTES)
}

fn read_limited(path: &Path, name: &str, limit: u64) -> Result<Option<Vec<u8>>, InputError> {
    let cannot = |e: std::io::Error| {
        InputError::new(ErrorKind::Unreadable, name, format!("cannot read: {e}"))
    };
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    check_meta(&meta, name, limit)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    // And again on the file opened, in case the path changed in between.
    let meta = file.metadata().map_err(cannot)?;
    check_meta(&meta, name, limit)?;
    // Read through `take`: a file that grows while being read still stops at the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(name, limit));
    }
    Ok(Some(bytes))
}

fn check_meta(meta: &std::fs::Metadata, name: &str, limit: u64) -> Result<(), InputError> {
    if !meta.is_file() {
        return Err(InputError::new(
            ErrorKind::Unreadable,
            name,
            "is not a regular file (a folder, FIFO or device is never read as input): replace it with the file itself",
        ));
    }
    if meta.len() > limit {
        return Err(too_large(name, limit));
    }
    Ok(())
}

fn too_large(name: &str, limit: u64) -> InputError {
    InputError::new(
        ErrorKind::Unreadable,
        name,
        format!(
            "is larger than {limit} bytes ({} MiB), the most an input file may hold: split the scenario into shorter horizons",
            limit >> 20
        ),
    )
}

/// A name compared leniently: ASCII case folded, `-` and spaces read as `_`.
fn folded(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The known name `given` most likely stands for, if any: the same name up to case, `-` and
/// spaces, or within a small edit distance (one edit for names of up to five characters, two
/// otherwise: short names are close to each other by chance).
pub fn near_miss<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let g = folded(given);
    known
        .iter()
        .map(|k| (strsim::osa_distance(&g, &folded(k)), *k))
        .filter(|(d, k)| *d <= if k.chars().count() <= 5 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// What the loader does with a file in a scenario folder that the contract does not name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stranger {
    /// Hidden files, office lock files, editor backups and documentation: nothing to say.
    Ignored,
    /// Close to a known file: an error, naming it.
    Misspelt(&'static str),
    /// Anything else: a warning.
    Unknown,
}

/// Extensions of files people keep beside the data to explain it (`SOURCE.md`, `LICENSE.md`,
/// a README): never scenario input.
const DOCUMENTATION: [&str; 6] = ["md", "txt", "pdf", "rst", "html", "htm"];

/// Classifies a file name that is not one of `known`.
pub fn stranger(name: &str, known: &[&'static str]) -> Stranger {
    // `.DS_Store`, `.units.csv.swp`, Excel's `~$units.csv` lock, `units.csv~` backups.
    if name.starts_with('.') || name.starts_with("~$") || name.ends_with('~') {
        return Stranger::Ignored;
    }
    if let Some(k) = near_miss(name, known) {
        return Stranger::Misspelt(k);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let readme = name.to_ascii_lowercase().starts_with("readme")
        || name.to_ascii_lowercase().starts_with("license");
    if readme || extension.is_some_and(|e| DOCUMENTATION.contains(&e.as_str())) {
        return Stranger::Ignored;
    }
    Stranger::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 3] = ["fr_offers.csv", "peak_offers.csv", "units.csv"];

    #[test]
    fn names_close_to_known_ones_are_misspellings() {
        // One letter short, case, a hyphen: all stand for a known file.
        for (given, known) in [
            ("fr_offer.csv", "fr_offers.csv"),
            ("PEAK_OFFERS.CSV", "peak_offers.csv"),
            ("peak-offers.csv", "peak_offers.csv"),
            ("unit.csv", "units.csv"),
        ] {
            assert_eq!(
                stranger(given, &KNOWN),
                Stranger::Misspelt(known),
                "{given}"
            );
        }
        for given in [
            ".DS_Store",
            "~$units.csv",
            "units.csv~",
            "SOURCE.md",
            "README",
        ] {
            assert_eq!(stranger(given, &KNOWN), Stranger::Ignored, "{given}");
        }
        // "notes.csv" is 4 edits from units.csv (n→u, o→n, t→i, e→t): unknown, not close.
        assert_eq!(stranger("notes.csv", &KNOWN), Stranger::Unknown);
    }

    #[test]
    fn short_names_need_to_be_closer() {
        // "id" is 2 edits from "day" (a 3-letter name allows 1); "days" is 1.
        assert_eq!(near_miss("id", &["day"]), None);
        assert_eq!(near_miss("days", &["day"]), Some("day"));
        assert_eq!(
            near_miss("reserve_available_MW", &["reserve_available_mw"]),
            Some("reserve_available_mw")
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = std::env::temp_dir().join(format!("ancillary-folder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("units.csv");
        std::fs::write(&file, b"0123456789").unwrap();
        // 10 bytes: read at a limit of 10, refused at 9.
        assert_eq!(
            read_limited(&file, "units.csv", 10).unwrap().unwrap().len(),
            10
        );
        let e = read_limited(&file, "units.csv", 9).unwrap_err();
        assert!(e.rule.contains("larger than 9 bytes"), "{}", e.rule);
        let e = read_input(Path::new("/dev/zero"), "units.csv").unwrap_err();
        assert!(e.rule.contains("not a regular file"), "{}", e.rule);
        assert_eq!(
            read_input(&dir.join("absent.csv"), "absent.csv").unwrap(),
            None
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
