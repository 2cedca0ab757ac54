//! Party names come from users' files and become file names under `statements/`. A name can
//! hold anything, so it is encoded: what every common file system accepts is kept (letters of
//! any script, digits, `-`, `_`, `.` and spaces inside), everything else becomes `%XX` per UTF-8
//! byte, and the result can never be a path (`/`, `\`, `..`) or a reserved device name.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

const MAX_BYTES: usize = 150;
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn keep(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')
}

/// The encoded stem (no extension) for `name`.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let last = name.chars().count().saturating_sub(1);
    for (i, c) in name.chars().enumerate() {
        // A leading dot would hide the file (and `..` would climb); trailing dots and spaces
        // are dropped by Windows.
        let edge =
            (i == 0 && c == '.') || (i == last && matches!(c, '.' | ' ')) || (i == 0 && c == ' ');
        if keep(c) && !edge {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    let stem = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    if out.len() > MAX_BYTES {
        let mut cut = MAX_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('~');
        out.push_str(&short_hash(name));
    }
    out
}

fn short_hash(name: &str) -> String {
    Sha256::digest(name.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The index of the statements, `statements/index.csv`: no party's file may take its name.
pub const INDEX_STEM: &str = "index";

/// File names for `parties` (in order), distinct from each other even on case-insensitive file
/// systems, and from [`INDEX_STEM`]: a party named `index` gets `index~<hash>.csv`.
pub fn statement_files(parties: &[&str]) -> Vec<String> {
    let mut taken = HashSet::from([INDEX_STEM.to_string()]);
    parties
        .iter()
        .map(|p| {
            let mut stem = encode(p);
            if !taken.insert(stem.to_lowercase()) {
                stem = format!("{stem}~{}", short_hash(p));
                taken.insert(stem.to_lowercase());
            }
            format!("{stem}.csv")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::dir::is_safe_relative;

    #[test]
    fn hostile_names_stay_inside() {
        for (name, want) in [
            ("C1", "C1"),
            ("华能南京电厂", "华能南京电厂"),
            ("../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"),
            ("..", "%2E%2E"),
            ("a/b\\c", "a%2Fb%5Cc"),
            ("CON", "_CON"),
            ("con.txt", "_con.txt"),
            ("x:y*z?", "x%3Ay%2Az%3F"),
            ("", "%00"),
            ("trailing.", "trailing%2E"),
            ("nul\0byte", "nul%00byte"),
        ] {
            let e = encode(name);
            assert_eq!(e, want, "{name:?}");
            assert!(is_safe_relative(&format!("statements/{e}.csv")), "{name:?}");
        }
        assert!(encode(&"长".repeat(200)).len() <= MAX_BYTES + 9);
    }

    #[test]
    fn case_collisions_get_distinct_files() {
        let files = statement_files(&["Ab", "AB", "ab"]);
        let lower: HashSet<String> = files.iter().map(|f| f.to_lowercase()).collect();
        assert_eq!(lower.len(), 3);
        assert_eq!(files[0], "Ab.csv");
    }

    #[test]
    fn no_party_takes_the_index_file() {
        // "index" and "INDEX" both fold to the index's stem; each gets its own hashed name.
        let files = statement_files(&["index", "INDEX", "Index.csv"]);
        let lower: HashSet<String> = files.iter().map(|f| f.to_lowercase()).collect();
        assert_eq!(lower.len(), 3);
        assert!(!lower.contains("index.csv"), "{files:?}");
        assert!(files[0].starts_with("index~"), "{files:?}");
        assert_eq!(files[2], "Index.csv.csv");
    }
}
