//! Reading one CSV file of a scenario, keeping each record's line so that every error can say
//! where it is. Typed accessors turn a cell into a value or into an [`InputError`].

use std::path::Path;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use csv::StringRecord;
use rust_decimal::Decimal;

use crate::error::{ErrorKind, InputError};
use crate::scenario::horizon::parse_time;

/// Largest magnitude accepted for any number in a scenario. It keeps every product of
/// price × quantity × time far inside `Decimal`'s range, so arithmetic never overflows.
pub const MAX_ABS_NUMBER: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A CSV file read into memory: header, records and the line each record starts on.
///
/// Cells are kept in one text buffer with their end offsets, not as a record each: a year of
/// 15-minute mileage for 300 units is seven million rows, and one allocation per row would
/// cost more than reading them.
pub struct Table {
    pub file: String,
    /// Header names with their positions; a handful, so a scan beats hashing per cell.
    columns: Vec<(String, usize)>,
    /// The records, part by part as they were read (one part unless read in parallel).
    parts: Vec<Part>,
    /// Records before each part (for reading by record index).
    starts: Vec<usize>,
    len: usize,
    /// Cells per record (the header's width: rows of another width are refused).
    width: usize,
    /// The contract's entry for the file, if it is one: in debug builds every column asked
    /// for must be declared there, so that the header check and the parsers cannot drift.
    spec: Option<&'static crate::scenario::FileSpec>,
}

/// Above this size, a file without quotes is read in parallel parts.
const PARALLEL_BYTES: usize = 4 << 20;

/// Records of one part of a file, as [`Table`] keeps them (offsets from the part's start).
struct Part {
    text: String,
    ends: Vec<usize>,
    records: Vec<(u64, usize)>,
}

impl Part {
    /// Reads whole records; `lines_before` is the line count before the part, so that lines
    /// are the file's.
    fn read(file: &str, bytes: &[u8], width: usize, lines_before: u64) -> Result<Part, InputError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut part = Part {
            text: String::with_capacity(bytes.len()),
            ends: Vec::new(),
            records: Vec::new(),
        };
        let mut record = StringRecord::new();
        // Lines are counted here from each record's byte offset: the file's line of a record
        // is 1 + the line breaks before it.
        let (mut counted_to, mut breaks) = (0usize, lines_before);
        let mut line_at = |byte: usize| {
            breaks += bytes[counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = byte;
            breaks + 1
        };
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let mut err = csv_error(file, &e);
                    if let Some(p) = e.position() {
                        err.line = Some(line_at((p.byte() as usize).min(bytes.len())));
                    }
                    return Err(err);
                }
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            // csv reports a record after blank lines at the first blank line: step over them.
            let mut start = record.position().map_or(0, |p| p.byte() as usize);
            while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
                start += 1;
            }
            let line = line_at(start);
            // A record over several lines with a quote in it: a quote left open swallowed the
            // line breaks, and that, not the count of fields (which may even come out right,
            // when the last cell swallows the lines), is what to fix. No cell of the format
            // holds a line break.
            let end = (reader.position().byte() as usize).min(bytes.len());
            let raw = &bytes[start..end];
            let inner = raw.trim_ascii_end();
            // A cell quoted over lines and closed (an even count of quotes) with the width
            // right is left to the cell's own checks (a line break in an id is refused there).
            let open_quote = raw.iter().filter(|&&b| b == b'"').count() % 2 == 1;
            let spans_lines = inner.contains(&b'\n') && (open_quote || record.len() != width);
            if record.len() != width || spans_lines {
                if let Some(q) = raw.iter().position(|&b| b == b'"')
                    && spans_lines
                {
                    let quote_line = line_at(start + q);
                    let rule = if end >= bytes.len() {
                        "the quote (\") opened on this line is never closed, so the rest of the file reads as one cell: close it or remove it".to_string()
                    } else {
                        let close_line = line_at(start + inner.len());
                        format!(
                            "the quote (\") opened on this line closes only on line {close_line}, so the lines between read as one cell: close it on its own line or remove it"
                        )
                    };
                    return Err(
                        InputError::new(ErrorKind::Unreadable, file, rule).at_line(quote_line)
                    );
                }
                return Err(InputError::new(
                    ErrorKind::Unreadable,
                    file,
                    format!("has {} fields where the header has {width}", record.len()),
                )
                .at_line(line));
            }
            part.records.push((line, part.ends.len()));
            for cell in record.iter() {
                part.text.push_str(cell.trim());
                part.ends.push(part.text.len());
            }
        }
        Ok(part)
    }
}

/// About `n` ranges covering `bytes`, each but the last ending just after a line break.
fn cut_after_newlines(bytes: &[u8], n: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (bytes.len() * k / n).max(start);
        let Some(nl) = bytes[target..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let end = target + nl + 1;
        if end > start {
            ranges.push(start..end);
            start = end;
        }
    }
    ranges.push(start..bytes.len());
    ranges
}

impl Table {
    /// Parses CSV bytes. `file` is the name used in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Table, InputError> {
        // Cells are trimmed as they are stored: csv's own trimming rebuilds every record.
        // Flexible: a first record of the wrong width is reported by `Part::read`, which can
        // tell a quote left open from a short row.
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
        let mut columns: Vec<(String, usize)> = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim_start_matches('\u{feff}').trim().to_string();
            if name.is_empty() {
                continue;
            }
            if columns.iter().any(|(c, _)| *c == name) {
                return Err(InputError::new(
                    ErrorKind::Duplicate,
                    file,
                    "the header names this column twice",
                )
                .at_line(1)
                .at_column(name));
            }
            columns.push((name, i));
        }
        let width = header.len();
        // The records after the header, in parts cut after a line break: a file without
        // quotes has no line break inside a cell, so each part is whole records and the parts
        // are read in parallel (a year of mileage is hundreds of MB). With quotes, one part.
        // The body starts where the first record does (csv skips blank lines before it).
        let mut first = StringRecord::new();
        let header_end = match reader.read_record(&mut first) {
            Ok(true) => first.position().map_or(0, |p| p.byte() as usize),
            Ok(false) => bytes.len(),
            Err(e) => return Err(csv_error(file, &e)),
        }
        .min(bytes.len());
        let body = &bytes[header_end..];
        let parts = if body.len() > PARALLEL_BYTES && !body.contains(&b'"') {
            cut_after_newlines(body, rayon::current_num_threads().max(1) * 4)
        } else {
            std::iter::once(0..body.len()).collect()
        };
        Table::from_parts(file, columns, width, bytes, header_end, body, parts)
    }

    fn from_parts(
        file: &str,
        columns: Vec<(String, usize)>,
        width: usize,
        bytes: &[u8],
        header_end: usize,
        body: &[u8],
        parts: Vec<std::ops::Range<usize>>,
    ) -> Result<Table, InputError> {
        use rayon::prelude::*;
        let newlines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
        let counts: Vec<u64> = parts
            .par_iter()
            .map(|r| newlines(&body[r.clone()]))
            .collect();
        let mut lines_before = newlines(&bytes[..header_end]);
        let mut offsets = Vec::with_capacity(parts.len());
        for c in &counts {
            offsets.push(lines_before);
            lines_before += c;
        }
        let read: Vec<Result<Part, InputError>> = parts
            .par_iter()
            .zip(&offsets)
            .map(|(r, &offset)| Part::read(file, &body[r.clone()], width, offset))
            .collect();
        let parts = read
            .into_iter()
            .collect::<Result<Vec<Part>, InputError>>()?;
        let mut starts = Vec::with_capacity(parts.len());
        let mut len = 0;
        for part in &parts {
            starts.push(len);
            len += part.records.len();
        }
        Ok(Table {
            file: file.to_string(),
            columns,
            parts,
            starts,
            len,
            width,
            spec: crate::scenario::spec_of(file),
        })
    }

    /// Reads `dir/file`; `Ok(None)` when the file does not exist. Only a regular file of at
    /// most [`crate::scenario::folder::MAX_FILE_BYTES`] is read.
    pub fn read_optional(dir: &Path, file: &str) -> Result<Option<(Table, Vec<u8>)>, InputError> {
        match crate::scenario::folder::read_input(&dir.join(file), file)? {
            Some(bytes) => Ok(Some((Table::parse(file, &bytes)?, bytes))),
            None => Ok(None),
        }
    }

    /// Reads `dir/file`, which must exist.
    pub fn read_required(dir: &Path, file: &str) -> Result<(Table, Vec<u8>), InputError> {
        Table::read_optional(dir, file)?.ok_or_else(|| {
            InputError::new(
                ErrorKind::MissingFile,
                file,
                format!("required file is missing from {}", dir.display()),
            )
        })
    }

    /// Fails on the first of `columns` that the header lacks, with a hint where the header
    /// comes close: the name in another case, or a header that is one column holding `;` or a
    /// tab (a file saved with another delimiter).
    pub fn require(&self, columns: &[&str]) -> Result<(), InputError> {
        for column in columns {
            if !self.has(column) {
                let mut rule = String::from("required column is missing from the header");
                if let [(only, _)] = self.columns.as_slice()
                    && let Some(delimiter) = [(';', "semicolons"), ('\t', "tabs")]
                        .into_iter()
                        .find(|(c, _)| only.contains(*c))
                {
                    rule.push_str(&format!(
                        "; the header is one column separated by {}: save the file with commas as the delimiter (CSV)",
                        delimiter.1
                    ));
                } else if let Some((other, _)) = self
                    .columns
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(column))
                {
                    rule.push_str(&format!(
                        "; the header has {other:?}, which differs only in case: column names are lower case"
                    ));
                }
                return Err(InputError::new(ErrorKind::MissingColumn, &self.file, rule)
                    .at_line(1)
                    .at_column(*column));
            }
        }
        Ok(())
    }

    pub fn has(&self, column: &str) -> bool {
        self.column(column).is_some()
    }

    /// The header's column names, in file order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(c, _)| c.as_str())
    }

    fn column(&self, name: &str) -> Option<usize> {
        debug_assert!(
            self.spec.is_none_or(|s| s.columns().any(|c| c == name)),
            "{} reads column {name}, which scenario::CONTRACT does not declare",
            self.file
        );
        self.columns
            .iter()
            .find(|(c, _)| c == name)
            .map(|&(_, i)| i)
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.parts.iter().flat_map(move |part| {
            part.records.iter().map(move |&(line, first)| Row {
                table: self,
                part,
                line,
                first,
            })
        })
    }

    /// Records `range` by index (for reading parts of a long file in parallel).
    pub fn rows_in(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = Row<'_>> {
        self.parts
            .iter()
            .zip(&self.starts)
            .flat_map(move |(part, &start)| {
                let from = range.start.clamp(start, start + part.records.len()) - start;
                let to = range.end.clamp(start, start + part.records.len()) - start;
                part.records[from..to]
                    .iter()
                    .map(move |&(line, first)| Row {
                        table: self,
                        part,
                        line,
                        first,
                    })
            })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Smallest magnitude of a non-zero number: `Decimal` keeps 28 decimal places, and a smaller
/// number would become 0 (a positive price or quantity silently read as none).
pub const MIN_ABS_NONZERO: &str = "1e-28";

/// A number as a spreadsheet writes one: an optional sign, digits with at most one `.`, an
/// optional exponent (`1.5e3`). Anything `Decimal` would also take but a person would not mean
/// is refused: `_` (`1_000` is 1000 to Rust, `2__5` is 25), so are values beyond
/// ±[`MAX_ABS_NUMBER`] and non-zero values that would round to 0. The error is the rule, for
/// the caller to place.
pub fn parse_number(s: &str) -> Result<Decimal, (ErrorKind, String)> {
    if !is_plain_number(s) {
        let hint = if s.contains('_') {
            " (`_` is not read as a digit separator: write 1000, not 1_000)"
        } else {
            ""
        };
        return Err((
            ErrorKind::Parse,
            format!("must be a number like 12, -0.5 or 1.5e3{hint}, got {s:?}"),
        ));
    }
    let too_large = || {
        (
            ErrorKind::Invalid,
            format!("must be within ±{MAX_ABS_NUMBER}, got {s}"),
        )
    };
    let too_small = || {
        (
            ErrorKind::Invalid,
            format!(
                "must be 0 or at least {MIN_ABS_NONZERO} in size (numbers keep 28 decimal places), got {s}"
            ),
        )
    };
    // The syntax is plain, so the only ways `Decimal` fails are too many digits or too
    // large an exponent either way: f64 (same syntax) says which way.
    let value = Decimal::from_str(s).map_err(|_| match s.parse::<f64>() {
        Ok(v) if v.abs() < 1.0 => too_small(),
        _ => too_large(),
    })?;
    if value.abs() > MAX_ABS_NUMBER {
        return Err(too_large());
    }
    // Digits beyond 28 places round away: only a non-zero mantissa reading as 0 is refused.
    if value.is_zero() && mantissa(s).bytes().any(|b| matches!(b, b'1'..=b'9')) {
        return Err(too_small());
    }
    Ok(value.normalize())
}

/// The part of a number before its exponent.
fn mantissa(s: &str) -> &str {
    s.split(['e', 'E']).next().unwrap_or(s)
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_plain_number(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (m, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let m = m.strip_prefix(['+', '-']).unwrap_or(m);
    let mantissa_ok = match m.split_once('.') {
        Some((int, frac)) => {
            (digits(int) || int.is_empty())
                && (digits(frac) || frac.is_empty())
                && !(int.is_empty() && frac.is_empty())
        }
        None => digits(m),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// A CSV file's rows as maps from column name to cell, for readers that only display or
/// forward values (reports, imports); the scenario loader uses [`Table`] for typed cells.
pub fn named_rows(
    file: &str,
    bytes: &[u8],
) -> Result<Vec<std::collections::BTreeMap<String, String>>, InputError> {
    let mut r = csv::Reader::from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.map_err(|e| csv_error(file, &e))?;
            Ok(header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect())
        })
        .collect()
}

fn csv_error(file: &str, e: &csv::Error) -> InputError {
    let line = e.position().map(|p| p.line());
    let rule = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        _ => format!("is not valid CSV: {e}"),
    };
    let err = InputError::new(ErrorKind::Unreadable, file, rule);
    match line {
        Some(line) => err.at_line(line),
        None => err,
    }
}

/// One record of a [`Table`], with typed, positioned accessors.
pub struct Row<'a> {
    table: &'a Table,
    part: &'a Part,
    pub line: u64,
    /// Index of the record's first cell in its part's `ends`.
    first: usize,
}

impl<'a> Row<'a> {
    pub fn file(&self) -> &str {
        &self.table.file
    }

    /// An error positioned at this row and `column`.
    pub fn error(&self, kind: ErrorKind, column: &str, rule: impl Into<String>) -> InputError {
        InputError::new(kind, &self.table.file, rule)
            .at_line(self.line)
            .at_column(column)
    }

    /// The cell, or `None` when the column is absent or the cell empty.
    pub fn optional(&self, column: &str) -> Option<&'a str> {
        let i = self.table.column(column)?;
        if i >= self.table.width {
            return None;
        }
        let t = self.part;
        let start = if self.first + i == 0 {
            0
        } else {
            t.ends[self.first + i - 1]
        };
        Some(&t.text[start..t.ends[self.first + i]]).filter(|s| !s.is_empty())
    }

    /// The cell, which must be present and non-empty.
    pub fn text(&self, column: &str) -> Result<&'a str, InputError> {
        self.optional(column)
            .ok_or_else(|| self.error(ErrorKind::Parse, column, "must not be empty"))
    }

    /// An id or name that outputs repeat (a unit, an owner, a metering party): non-empty, and
    /// safe to write raw into every output CSV — no control characters (a tab or line break
    /// would shift or split rows), no leading `=`, `+`, `-` or `@` (a spreadsheet would run it
    /// as a formula), and no `;`, which separates tied units in `clearing.csv`'s
    /// `marginal_unit`.
    pub fn id(&self, column: &str) -> Result<&'a str, InputError> {
        let s = self.text(column)?;
        let bad = |why: &str| self.error(ErrorKind::Invalid, column, format!("{why}, got {s:?}"));
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(bad(&format!(
                "must not hold a control character (here U+{:04X}): outputs write ids as they are",
                c as u32
            )));
        }
        if s.starts_with(['=', '+', '-', '@']) {
            return Err(bad(
                "must not start with =, +, - or @, which a spreadsheet opening the outputs would run as a formula",
            ));
        }
        if s.contains(';') {
            return Err(bad(
                "must not contain ;, which separates tied units in clearing.csv's marginal_unit",
            ));
        }
        Ok(s)
    }

    pub fn decimal(&self, column: &str) -> Result<Decimal, InputError> {
        let s = self.text(column)?;
        self.parse_decimal(column, s)
    }

    pub fn optional_decimal(&self, column: &str) -> Result<Option<Decimal>, InputError> {
        self.optional(column)
            .map(|s| self.parse_decimal(column, s))
            .transpose()
    }

    fn parse_decimal(&self, column: &str, s: &str) -> Result<Decimal, InputError> {
        parse_number(s).map_err(|(kind, rule)| self.error(kind, column, rule))
    }

    /// A number ≥ 0.
    pub fn non_negative(&self, column: &str) -> Result<Decimal, InputError> {
        let v = self.decimal(column)?;
        self.check(column, v, v >= Decimal::ZERO, "must be ≥ 0")
    }

    /// A number > 0.
    pub fn positive(&self, column: &str) -> Result<Decimal, InputError> {
        let v = self.decimal(column)?;
        self.check(column, v, v > Decimal::ZERO, "must be > 0")
    }

    pub fn optional_positive(&self, column: &str) -> Result<Option<Decimal>, InputError> {
        match self.optional_decimal(column)? {
            Some(v) => self
                .check(column, v, v > Decimal::ZERO, "must be > 0")
                .map(Some),
            None => Ok(None),
        }
    }

    pub fn optional_non_negative(&self, column: &str) -> Result<Option<Decimal>, InputError> {
        match self.optional_decimal(column)? {
            Some(v) => self
                .check(column, v, v >= Decimal::ZERO, "must be ≥ 0")
                .map(Some),
            None => Ok(None),
        }
    }

    fn check(&self, column: &str, v: Decimal, ok: bool, rule: &str) -> Result<Decimal, InputError> {
        if ok {
            Ok(v)
        } else {
            Err(self.error(ErrorKind::Invalid, column, format!("{rule}, got {v}")))
        }
    }

    /// A positive whole number (bands, counts).
    pub fn whole(&self, column: &str) -> Result<u32, InputError> {
        let s = self.text(column)?;
        s.parse::<u32>().ok().filter(|&n| n >= 1).ok_or_else(|| {
            self.error(
                ErrorKind::Parse,
                column,
                format!("must be a whole number ≥ 1, got {s:?}"),
            )
        })
    }

    pub fn time(&self, column: &str) -> Result<NaiveDateTime, InputError> {
        let s = self.text(column)?;
        parse_time(s).ok_or_else(|| {
            self.error(
                ErrorKind::Parse,
                column,
                format!("must be a time like 2024-03-01T00:15, got {s:?}"),
            )
        })
    }

    pub fn date(&self, column: &str) -> Result<NaiveDate, InputError> {
        let s = self.text(column)?;
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            self.error(
                ErrorKind::Parse,
                column,
                format!("must be a date like 2024-03-01, got {s:?}"),
            )
        })
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, any case); empty or absent is `false`.
    pub fn flag(&self, column: &str) -> Result<bool, InputError> {
        let cell = self.optional(column);
        match cell.map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(_) => Err(self.error(
                ErrorKind::Parse,
                column,
                format!(
                    "must be true or false (or 1/0, yes/no, in any case), got {:?}",
                    cell.unwrap_or_default()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_trimmed_blank_rows_skipped_lines_kept() {
        // Row 2 pads with spaces and a full-width space (U+3000), line 3 is blank, line 4
        // holds a quoted cell with a comma.
        let t = Table::parse(
            "x.csv",
            " a ,b\n  U1\u{3000}, 2.50 \n,\n\"U,2\",3\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows[0].text("a").unwrap(), "U1");
        assert_eq!(rows[0].decimal("b").unwrap(), Decimal::new(25, 1));
        assert_eq!((rows[0].line, rows[1].line), (2, 4));
        assert_eq!(rows[1].text("a").unwrap(), "U,2");
        assert!(t.has("a") && !t.has("c"));
    }

    /// Reading in parts gives the table read in one piece, lines and errors included.
    #[test]
    fn parts_read_like_one_piece() {
        let mut csv = String::from("time,unit,mileage_mw\n");
        for i in 0..500 {
            csv += &format!("T{i}, U{} ,{}.5\n", i % 7, i);
            if i % 97 == 0 {
                csv += ",,\n\n"; // blank rows count as lines but give no record
            }
        }
        let whole = Table::parse("m.csv", csv.as_bytes()).unwrap();
        let bytes = csv.as_bytes();
        let header_end = csv.find('\n').unwrap() + 1;
        let body = &bytes[header_end..];
        for n in [2, 3, 16, 1000] {
            let parts = cut_after_newlines(body, n);
            assert_eq!(parts.first().unwrap().start, 0);
            assert_eq!(parts.last().unwrap().end, body.len());
            let cut = Table::from_parts(
                "m.csv",
                whole.columns.clone(),
                3,
                bytes,
                header_end,
                body,
                parts,
            )
            .unwrap();
            let cells = |t: &Table| -> Vec<(u64, String, String, String)> {
                t.rows()
                    .map(|r| {
                        let c = |k| r.optional(k).unwrap_or_default().to_string();
                        (r.line, c("time"), c("unit"), c("mileage_mw"))
                    })
                    .collect()
            };
            assert_eq!(cells(&cut), cells(&whole), "{n} parts");
            // By hand: header 1, T0 2, ",," 3, blank 4, so T1 on line 5, trimmed.
            assert_eq!(cells(&cut)[1], (5, "T1".into(), "U1".into(), "1.5".into()));
            let by_index: Vec<u64> = (0..cut.len())
                .flat_map(|k| cut.rows_in(k..k + 1))
                .map(|r| r.line)
                .collect();
            assert_eq!(
                by_index,
                cells(&whole).iter().map(|c| c.0).collect::<Vec<_>>()
            );
        }
        // A short row deep in the file: the same error, at the file's line, whole or in parts.
        let bad = csv.replace("T400, U1 ,400.5\n", "T400\n");
        let whole = Table::parse("m.csv", bad.as_bytes()).err().unwrap();
        let bytes = bad.as_bytes();
        let body = &bytes[header_end..];
        let cut = Table::from_parts(
            "m.csv",
            vec![],
            3,
            bytes,
            header_end,
            body,
            cut_after_newlines(body, 5),
        )
        .err()
        .unwrap();
        assert_eq!(cut, whole);
        // 1 header + 400 rows + 5 blank-row pairs (i = 0, 97, …, 388) before it.
        assert_eq!(whole.line, Some(1 + 400 + 10 + 1));
    }

    #[test]
    fn numbers_are_plain_or_refused() {
        for (s, v) in [
            ("12", "12"),
            ("-0.5", "-0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e+3", "1000"),
            ("+2E-1", "0.2"),
        ] {
            assert_eq!(
                parse_number(s).unwrap(),
                v.parse::<Decimal>().unwrap(),
                "{s}"
            );
        }
        for s in [
            "1_000", "1e", "e3", ".", "-", "1.2.3", "0x10", "1,5", "NaN", "inf", "1e3.5",
        ] {
            assert_eq!(parse_number(s).unwrap_err().0, ErrorKind::Parse, "{s}");
        }
        // 1e-28 is the smallest non-zero Decimal keeps; 1e-29 would be 0.
        assert!(parse_number("1e-28").is_ok());
        assert!(
            parse_number("1e-29")
                .unwrap_err()
                .1
                .contains("at least 1e-28")
        );
        assert!(
            parse_number("-1000000001")
                .unwrap_err()
                .1
                .contains("±1000000000")
        );
    }

    #[test]
    fn a_quote_left_open_is_named_wherever_it_is() {
        for (text, line) in [
            // On the first row, on a later row, in the last column (the width comes out right).
            (&b"a,b,c\n1,\"x,3\n4,5,6\n"[..], 2),
            (&b"a,b,c\n1,2,3\n4,\"x,6\n7,8,9\n"[..], 3),
            (&b"a,b,c\n1,2,\"3\n4,5,6\n"[..], 2),
        ] {
            let e = Table::parse("x.csv", text).err().unwrap();
            assert_eq!(e.line, Some(line), "{e}");
            assert!(e.rule.contains("the quote (\") opened on this line"), "{e}");
        }
    }

    #[test]
    fn a_short_row_is_an_error_at_its_line() {
        let e = Table::parse("x.csv", b"a,b\n1,2\n3\n").err().unwrap();
        assert_eq!(e.line, Some(3));
        assert!(
            e.rule.contains("1 fields where the header has 2"),
            "{}",
            e.rule
        );
    }
}
