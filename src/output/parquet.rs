//! Parquet outputs (`run --format parquet`): each table the CSV writer renders, with the same
//! columns and the same values, as a Parquet file of typed columns compressed with zstd.
//!
//! Tables are converted from their rendered CSV rows, chunk by chunk (one row group per chunk
//! of days, so a streamed run keeps a few days in memory), and generically over whatever
//! columns a table has: a column's type follows from its name ([`kind`]), so a table added to
//! the outputs comes along without code here. Reading back ([`to_csv`]) gives the CSV text of
//! the same values, which is how `diff`, `audit --results` and `report` read either format.
//!
//! Types, one rule for every table:
//! - money (`*_yuan`): `DECIMAL(18, 2)` on INT64, exact to the fen;
//! - quantities and prices (`*_mw`, `*_mwh`, `*price`, `k_*`, `performance_factor`, `rsi`,
//!   `hhi`, `quantity`): DOUBLE, the shortest float that reads back as the CSV's decimal;
//! - flags (`pivotal`, `three_pivotal_fail`, `sets_price`, `pivotal_sets_price`): BOOLEAN;
//! - `band`: INT64;
//! - everything else, times and days included: UTF-8 strings exactly as in the CSV (ISO
//!   `YYYY-MM-DD HH:MM` times and `YYYY-MM-DD` days, which `pandas.to_datetime` reads).
//!
//! An empty cell of a typed column is null; a text column's empty cell stays an empty string.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{
    Compression, DecimalType, LogicalType, Repetition, Type as Physical, ZstdLevel,
};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;
use rust_decimal::Decimal;

use super::Csv;

/// The format of a run's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// CSV files (the default).
    #[default]
    Csv,
    /// Parquet files, typed columns, zstd; statements/ and summary.json stay as they are.
    Parquet,
}

/// The file an output is written to in `format`: `clearing.csv` → `clearing.parquet`; files
/// that are not tables (see [`is_table`]) keep their names.
pub fn file_name(csv_name: &str, format: Format) -> String {
    match (format, csv_name.strip_suffix(".csv")) {
        (Format::Parquet, Some(stem)) if is_table(csv_name) => format!("{stem}.parquet"),
        _ => csv_name.to_string(),
    }
}

/// Whether `name` is a table written as Parquet in that format: a top-level CSV file (the
/// per-party statements under `statements/` stay CSV, one small file per party).
pub fn is_table(name: &str) -> bool {
    name.ends_with(".csv") && !name.contains('/')
}

/// A column's type in Parquet (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Money,
    Flag,
    Whole,
}

/// The type of the column named `column`, the same in every table.
pub fn kind(column: &str) -> Kind {
    const FLAGS: [&str; 5] = [
        "pivotal",
        "three_pivotal_fail",
        "sets_price",
        "pivotal_sets_price",
        "at_cap",
    ];
    const NUMBERS: [&str; 6] = [
        "performance_factor",
        "rsi",
        "hhi",
        "quantity",
        "energy",
        "congestion",
    ];
    if column.ends_with("_yuan") {
        Kind::Money
    } else if FLAGS.contains(&column) {
        Kind::Flag
    } else if column == "band" {
        Kind::Whole
    } else if column.ends_with("_mw")
        || column.ends_with("_mwh")
        || column.ends_with("price")
        || column.starts_with("k_")
        || NUMBERS.contains(&column)
    {
        Kind::Number
    } else {
        Kind::Text
    }
}

/// Money's scale: fen.
const MONEY_SCALE: u32 = 2;
const MONEY_PRECISION: i32 = 18;

fn schema(columns: &[String]) -> parquet::errors::Result<Arc<Type>> {
    let fields = columns
        .iter()
        .map(|c| {
            let b = match kind(c) {
                Kind::Text => Type::primitive_type_builder(c, Physical::BYTE_ARRAY)
                    .with_logical_type(Some(LogicalType::String)),
                Kind::Number => Type::primitive_type_builder(c, Physical::DOUBLE),
                Kind::Money => Type::primitive_type_builder(c, Physical::INT64)
                    .with_logical_type(Some(LogicalType::Decimal(DecimalType {
                        scale: MONEY_SCALE as i32,
                        precision: MONEY_PRECISION,
                    })))
                    .with_precision(MONEY_PRECISION)
                    .with_scale(MONEY_SCALE as i32),
                Kind::Flag => Type::primitive_type_builder(c, Physical::BOOLEAN),
                Kind::Whole => Type::primitive_type_builder(c, Physical::INT64),
            };
            b.with_repetition(Repetition::OPTIONAL)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    Ok(Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    ))
}

/// A column's values of one row group, with Parquet's definition levels (0 null, 1 present).
enum Values {
    Text(Vec<ByteArray>),
    Number(Vec<f64>),
    Money(Vec<i64>),
    Flag(Vec<bool>),
    Whole(Vec<i64>),
}

struct Column {
    values: Values,
    defined: Vec<i16>,
}

/// A cell that does not read as its column's type: a bug in the writer, reported as an error
/// naming the table, row and column rather than a panic.
fn bad_cell(table: &str, row: usize, column: &str, cell: &str, rule: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "{table}: row {row}, column {column}: {cell:?} {rule} (Parquet output)"
    ))
}

impl Column {
    fn new(kind: Kind) -> Column {
        let values = match kind {
            Kind::Text => Values::Text(Vec::new()),
            Kind::Number => Values::Number(Vec::new()),
            Kind::Money => Values::Money(Vec::new()),
            Kind::Flag => Values::Flag(Vec::new()),
            Kind::Whole => Values::Whole(Vec::new()),
        };
        Column {
            values,
            defined: Vec::new(),
        }
    }

    /// Adds one cell; `Err` holds the rule the cell broke.
    fn push(&mut self, cell: &str) -> Result<(), &'static str> {
        if cell.is_empty() && !matches!(self.values, Values::Text(_)) {
            self.defined.push(0);
            return Ok(());
        }
        self.defined.push(1);
        match &mut self.values {
            Values::Text(v) => v.push(ByteArray::from(cell.as_bytes().to_vec())),
            Values::Number(v) => v.push(cell.parse().map_err(|_| "is not a number")?),
            Values::Whole(v) => v.push(cell.parse().map_err(|_| "is not a whole number")?),
            Values::Flag(v) => v.push(match cell {
                "true" => true,
                "false" => false,
                _ => return Err("is not true or false"),
            }),
            Values::Money(v) => {
                let d: Decimal = cell.parse().map_err(|_| "is not an amount")?;
                let mut fen = d;
                fen.rescale(MONEY_SCALE);
                if fen != d {
                    return Err("is not whole fen");
                }
                let m = i64::try_from(fen.mantissa()).map_err(|_| "is too large")?;
                v.push(m);
            }
        }
        Ok(())
    }
}

/// A table being written as Parquet, a row group at a time.
pub struct Table<W: Write + Send> {
    name: String,
    columns: Vec<String>,
    writer: SerializedFileWriter<W>,
    rows: usize,
}

fn io(e: parquet::errors::ParquetError) -> std::io::Error {
    std::io::Error::other(e)
}

impl<W: Write + Send> Table<W> {
    /// Starts table `name` (for messages) of `columns` in `out`.
    pub fn new(name: &str, columns: &[&str], out: W) -> std::io::Result<Table<W>> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        // Level 3 (zstd's default): on a year of awards, higher levels cost far more time
        // than they save bytes.
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(io)?))
            .set_created_by(format!("ancillary {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(out, schema(&columns).map_err(io)?, Arc::new(props))
            .map_err(io)?;
        Ok(Table {
            name: name.to_string(),
            columns,
            writer,
            rows: 0,
        })
    }

    /// Writes CSV rows (no header, as [`super::render_rows`] gives them) as one row group;
    /// no rows, no row group.
    pub fn write_rows(&mut self, csv_rows: &[u8]) -> std::io::Result<()> {
        if csv_rows.is_empty() {
            return Ok(());
        }
        let mut columns: Vec<Column> = self.columns.iter().map(|c| Column::new(kind(c))).collect();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_rows);
        let mut record = csv::StringRecord::new();
        while reader
            .read_record(&mut record)
            .map_err(std::io::Error::other)?
        {
            self.rows += 1;
            if record.len() != columns.len() {
                return Err(std::io::Error::other(format!(
                    "{}: row {} has {} cells for {} columns (Parquet output)",
                    self.name,
                    self.rows,
                    record.len(),
                    columns.len()
                )));
            }
            for ((column, cell), name) in columns.iter_mut().zip(&record).zip(&self.columns) {
                column
                    .push(cell)
                    .map_err(|rule| bad_cell(&self.name, self.rows, name, cell, rule))?;
            }
        }
        let mut group = self.writer.next_row_group().map_err(io)?;
        for column in &columns {
            let mut w = group
                .next_column()
                .map_err(io)?
                .ok_or_else(|| std::io::Error::other("fewer Parquet columns than the schema"))?;
            let def = Some(&column.defined[..]);
            match &column.values {
                Values::Text(v) => w.typed::<ByteArrayType>().write_batch(v, def, None),
                Values::Number(v) => w.typed::<DoubleType>().write_batch(v, def, None),
                Values::Money(v) | Values::Whole(v) => {
                    w.typed::<Int64Type>().write_batch(v, def, None)
                }
                Values::Flag(v) => w.typed::<BoolType>().write_batch(v, def, None),
            }
            .map_err(io)?;
            w.close().map_err(io)?;
        }
        group.close().map_err(io)?;
        Ok(())
    }

    /// Writes the footer and gives back the output.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.into_inner().map_err(io)
    }
}

/// A whole CSV table (header first) as Parquet bytes, in one row group.
pub fn from_csv(name: &str, csv_bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let header_end = csv_header_end(csv_bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&csv_bytes[..header_end]);
    let mut header = csv::StringRecord::new();
    reader
        .read_record(&mut header)
        .map_err(std::io::Error::other)?;
    let columns: Vec<&str> = header.iter().collect();
    let mut table = Table::new(name, &columns, Vec::new())?;
    table.write_rows(&csv_bytes[header_end..])?;
    table.finish()
}

/// Where the header line of a CSV file ends (column names never hold a line break).
fn csv_header_end(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1)
}

/// Every table of `files` (see [`is_table`]) converted to Parquet and renamed; other files
/// as they are.
pub fn convert(
    files: std::collections::BTreeMap<String, Vec<u8>>,
) -> std::io::Result<std::collections::BTreeMap<String, Vec<u8>>> {
    use rayon::prelude::*;
    files
        .into_par_iter()
        .map(|(name, bytes)| {
            if is_table(&name) {
                Ok((file_name(&name, Format::Parquet), from_csv(&name, &bytes)?))
            } else {
                Ok((name, bytes))
            }
        })
        .collect()
}

/// A Parquet table read back as the CSV text of the same values: money to the fen
/// (`12.30`), numbers as the shortest decimal of their float, text as it is.
///
/// Refused before anything is decoded: a file claiming more rows or values than its size
/// allows ([`check_size`]), so that a small file cannot keep a reader busy for minutes.
pub fn to_csv(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    // The parquet crate's decoders assert on some damaged pages (a bit-packed run longer than
    // its buffer): a damaged file is the user's error to hear about, never a crash.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_as_csv(name, bytes)))
        .unwrap_or_else(|_| {
            Err(format!(
                "{name}: not a readable Parquet file: its data is damaged (the parquet reader failed on it)"
            ))
        })
}

fn read_as_csv(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let bad =
        |e: parquet::errors::ParquetError| format!("{name}: not a readable Parquet file: {e}");
    let file_bytes = bytes.len() as u64;
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(bad)?;
    let claimed = check_size(name, file_bytes, reader.metadata())?;
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut c = Csv::new(&header);
    for (n, row) in reader.get_row_iter(None).map_err(bad)?.enumerate() {
        // The rows decoded never pass what the metadata claimed and was checked against.
        if n as u64 >= claimed {
            return Err(format!(
                "{name}: holds more rows than its metadata says ({claimed}): not a file ancillary wrote"
            ));
        }
        let row = row.map_err(bad)?;
        for (_, field) in row.get_column_iter() {
            c.text(&cell(field).map_err(|e| format!("{name}: {e}"))?);
        }
        c.end();
    }
    Ok(c.bytes())
}

/// Rows a Parquet table may hold without regard to its size.
pub const FREE_ROWS: u64 = 100_000;
/// Rows per byte of the file a Parquet table may hold beyond [`FREE_ROWS`]. ancillary's own
/// tables hold at most about 2.6 (awards of 400 generated units over 2 days of 5-minute
/// intervals: 483,840 rows in 185,545 bytes; 2.0 at 15 minutes); a file of millions of
/// repeated rows in a few kilobytes holds hundreds.
pub const ROWS_PER_BYTE: u64 = 16;
/// Values (rows × columns) a Parquet table may hold without regard to its size.
pub const FREE_VALUES: u64 = 1_000_000;
/// Values per byte beyond [`FREE_VALUES`] (ancillary's own: at most about 26, the same
/// awards table).
pub const VALUES_PER_BYTE: u64 = 128;

/// Checks what a Parquet file's metadata claims against its size in bytes: at most
/// [`FREE_ROWS`] + [`ROWS_PER_BYTE`] rows and [`FREE_VALUES`] + [`VALUES_PER_BYTE`] values
/// per byte, and no more uncompressed data than an input file may have
/// ([`crate::scenario::folder::MAX_FILE_BYTES`]). Returns the rows claimed.
pub fn check_size(
    name: &str,
    file_bytes: u64,
    meta: &parquet::file::metadata::ParquetMetaData,
) -> Result<u64, String> {
    let groups = meta.row_groups();
    let rows = groups.iter().try_fold(0u64, |sum, g| {
        sum.checked_add(u64::try_from(g.num_rows()).ok()?)
    });
    let uncompressed = groups
        .iter()
        .flat_map(|g| g.columns())
        .try_fold(0u64, |sum, c| {
            sum.checked_add(u64::try_from(c.uncompressed_size()).ok()?)
        });
    // Every column chunk inside the file: the parquet crate asserts (panics) on a negative
    // offset or length, and reads past the end otherwise.
    for c in groups.iter().flat_map(|g| g.columns()) {
        let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
        let inside = u64::try_from(start)
            .ok()
            .zip(u64::try_from(c.compressed_size()).ok())
            .and_then(|(s, l)| s.checked_add(l))
            .is_some_and(|end| end <= file_bytes)
            && c.data_page_offset() >= 0;
        if !inside {
            return Err(format!(
                "{name}: its metadata places a column chunk outside the file: not a readable Parquet file"
            ));
        }
    }
    let columns = meta.file_metadata().schema_descr().num_columns().max(1) as u64;
    let (Some(rows), Some(uncompressed)) = (rows, uncompressed) else {
        return Err(format!(
            "{name}: its metadata gives a negative or overflowing row count or size: not a file ancillary wrote"
        ));
    };
    let max_rows = FREE_ROWS.saturating_add(ROWS_PER_BYTE.saturating_mul(file_bytes));
    let max_values = FREE_VALUES.saturating_add(VALUES_PER_BYTE.saturating_mul(file_bytes));
    let values = rows.saturating_mul(columns);
    if rows > max_rows || values > max_values {
        return Err(format!(
            "{name}: claims {rows} rows of {columns} columns in {file_bytes} bytes, more than ancillary reads from a Parquet file of that size ({FREE_ROWS} rows and {FREE_VALUES} values, plus {ROWS_PER_BYTE} rows and {VALUES_PER_BYTE} values per byte; its own files hold at most about 2.6 and 26); write the output as CSV (run --format csv) to compare or audit it"
        ));
    }
    let cap = crate::scenario::folder::MAX_FILE_BYTES;
    if uncompressed > cap {
        return Err(format!(
            "{name}: claims {uncompressed} bytes uncompressed, over the {cap}-byte limit of any file ancillary reads"
        ));
    }
    Ok(rows)
}

/// One value as the CSV writes it.
fn cell(field: &Field) -> Result<String, String> {
    Ok(match field {
        Field::Null => String::new(),
        Field::Str(s) => s.clone(),
        Field::Bool(b) => b.to_string(),
        Field::Long(i) => i.to_string(),
        Field::Int(i) => i.to_string(),
        // Rust writes the shortest decimal that reads back as the same float, never with an
        // exponent; zero without a sign, as the CSV writer does.
        Field::Double(x) if *x == 0.0 => "0".into(),
        Field::Double(x) => x.to_string(),
        Field::Decimal(d) => {
            let data = d.data();
            if data.len() > 16 {
                return Err("a decimal wider than 128 bits".into());
            }
            // Big-endian two's complement, sign-extended to 128 bits.
            let fill = if data.first().is_some_and(|b| b & 0x80 != 0) {
                0xff
            } else {
                0
            };
            let mut wide = [fill; 16];
            wide[16 - data.len()..].copy_from_slice(data);
            let scale = u32::try_from(d.scale()).map_err(|_| "a negative decimal scale")?;
            Decimal::try_from_i128_with_scale(i128::from_be_bytes(wide), scale)
                .map_err(|e| format!("a decimal out of range: {e}"))?
                .to_string()
        }
        other => return Err(format!("a value of an unexpected type: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_typed_by_name() {
        assert_eq!(kind("amount_yuan"), Kind::Money);
        assert_eq!(kind("lost_opportunity_yuan"), Kind::Money);
        assert_eq!(kind("cleared_mw"), Kind::Number);
        assert_eq!(kind("soc_mwh"), Kind::Number);
        assert_eq!(kind("ranking_price"), Kind::Number);
        assert_eq!(kind("zone"), Kind::Text);
        assert_eq!(kind("price"), Kind::Number);
        assert_eq!(kind("k_rate"), Kind::Number);
        assert_eq!(kind("price_unit"), Kind::Text);
        assert_eq!(kind("time"), Kind::Text);
        assert_eq!(kind("pivotal"), Kind::Flag);
        assert_eq!(kind("band"), Kind::Whole);
    }

    #[test]
    fn a_table_reads_back_as_the_same_values() {
        // One row of each type, one of empties: quoting (the comma in "a,b"), a negative
        // amount in fen, a float that is not a short binary fraction (0.1), null cells.
        let csv = "time,unit,cleared_mw,amount_yuan,band,pivotal\n\
                   2024-03-01 00:00,\"a,b\",0.1,-12.34,2,true\n\
                   2024-03-01 00:15,,,,,\n";
        let pq = from_csv("t.csv", csv.as_bytes()).unwrap();
        assert_eq!(&pq[..4], b"PAR1");
        let back = String::from_utf8(to_csv("t.parquet", pq).unwrap()).unwrap();
        // The empty text cell comes back an empty string, the typed ones null: both empty.
        assert_eq!(back, csv);
    }

    #[test]
    fn amounts_not_in_whole_fen_are_an_error_not_a_rounding() {
        let e = from_csv("s.csv", b"amount_yuan\n0.005\n").unwrap_err();
        assert!(e.to_string().contains("row 1, column amount_yuan"), "{e}");
        assert!(e.to_string().contains("whole fen"), "{e}");
    }
}
