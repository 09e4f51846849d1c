//! [`TableReader`]: CSV text as [`Table`] batches, columns matched to a model's input schema.
//!
//! The reader streams: it holds one batch of rows (65,536 by default) and one reused record
//! buffer, whatever the file's length, so a caller can predict batch by batch in bounded
//! memory. The rules are `spec/format.md` §7.1, "CSV input": a CSV is read as
//! `pandas.read_csv(path)` reads it with its defaults, then converted as scikit-learn converts
//! such a frame, with the departures the spec lists (each one a refusal or a row kept, never
//! a different value). In short:
//!
//! - RFC 4180 text: fields separated by commas (or [`CsvOptions::delimiter`]), `"` quotes a
//!   field (which may then hold delimiters, line breaks and `""` for a quote). Lines are
//!   numbered from 1, a quoted field's record counting from the line it starts on. Empty
//!   lines, and lines of spaces and tabs only (outside quotes), are skipped, as pandas'
//!   `skip_blank_lines` does. Every line must have as many fields as the first (`E_INPUT`
//!   naming the line).
//! - [`Header::Detect`] (the default): with a model fitted with names, the first line is the
//!   header when it names every column the model reads, data when every cell of it is a
//!   number (or missing), else a header that does not fit: `E_INPUT` naming the columns it
//!   lacks, and saying that a file without a header is read with [`Header::Absent`]. With a
//!   model without names, the first line is the header when a cell of a numeric column is not
//!   a number, data when every cell is a number, else `E_INPUT` (it could be either: say
//!   which with [`Header::Present`] or [`Header::Absent`]). No row is ever dropped unseen.
//! - With a header and a model fitted with names, each model column is the header field of
//!   exactly the same name (pandas keeps a name's spaces, quoted or not, and scikit-learn
//!   compares names exactly), in any order. Extra columns are ignored
//!   ([`ExtraColumns::Ignore`], the default; a model whose columns are all numeric refuses
//!   them in the CLI, as scikit-learn's own estimators do, with [`ExtraColumns::Refuse`]). An
//!   absent column of kind `Unused` becomes a column of missing values. A name the model
//!   reads given twice is `E_INPUT`.
//! - Otherwise (no header, or a model without names) columns are taken in order and the
//!   line must have exactly as many fields as the model has input columns.
//! - A cell that is one of pandas' default missing-value strings ([`NA_VALUES`]: the empty
//!   cell, `NA`, `NaN`, `null`, `None`, `N/A`, ..., compared exactly) is missing in every
//!   column: NaN in a numeric column, `None` in a string one.
//! - Numeric cells: what Python's `float()` accepts (`1`, ` -2.5e-3 `, `1_000.5`, `nan`,
//!   `-Infinity`, ...; surrounding whitespace as `str.isspace`, digits ASCII only), and
//!   `True`/`TRUE`/`true` is 1 and `False`/`FALSE`/`false` is 0 (pandas' spellings of a bool
//!   column). Anything else, a blank cell of spaces included (pandas keeps it as text, which
//!   `float()` refuses), is [`EstimatorError::Value`] naming the column, the data row and the
//!   line, and the value.
//! - String cells: the text as it is (not trimmed). Cells must be UTF-8.
//! - `Any` cells (a pandas object column): within one batch, the column is numbers when every
//!   cell of it is numeric by the rule above, else strings (every cell's text as it is,
//!   missing cells `None`). pandas infers a column's type the same way within each chunk it
//!   parses; pass a batch size of at least the row count for whole-file inference.
//! - `Unused` cells are not read: the column is all missing.
//! - An input without a data row (an empty file, a header alone) is `E_INPUT`, as
//!   scikit-learn refuses 0 samples.
//!
//! ```
//! use amber_estimators::csv::{CsvOptions, Header, TableReader};
//! use amber_estimators::{Column, ColumnKind};
//!
//! let schema = [("city".to_owned(), ColumnKind::String), ("age".to_owned(), ColumnKind::Numeric)];
//! let text = "age,city,ignored\n41,Paris,x\nNA,null,y\n";
//! let mut reader = TableReader::new(text.as_bytes(), &schema)?;
//! let t = reader.next_batch()?.expect("a file with rows gives a first batch");
//! assert_eq!(t.names(), ["city", "age"]);
//! let Some(Column::Numeric(age)) = t.column(1) else { panic!() };
//! assert!(age[0] == 41.0 && age[1].is_nan());
//! assert!(reader.next_batch()?.is_none());
//!
//! // A file without a header, semicolon-separated: columns in the model's order.
//! let t = CsvOptions::default()
//!     .header(Header::Absent)
//!     .delimiter(b';')
//!     .open("Lyon;3\n".as_bytes(), &schema)?
//!     .read_all()?;
//! let Some(Column::Text(city)) = t.column(0) else { panic!() };
//! assert_eq!(city.get(0), Some("Lyon"));
//! # Ok::<(), amber_estimators::EstimatorError>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::PathBuf;

use amber_codec::CodecError;
use csv::ByteRecord;

use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind, Table, TextColumn};

/// Rows per batch unless configured: 64 Ki rows of 16 columns are 8 MiB of numbers.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// pandas' default missing-value strings, `pandas._libs.parsers.STR_NA_VALUES` (the same 19
/// in pandas 2.2 and 3.1; `pandas/tests/io/parser/test_na_values.py` lists them), which
/// `pandas.read_csv` reads as missing unless told `keep_default_na=False`. A cell is missing
/// when it is one of them exactly: compared as bytes, not trimmed (` NA` is text), quoted or
/// not (`"NA"` is missing too).
pub const NA_VALUES: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Whether a cell is one of [`NA_VALUES`] (a `match`, which the compiler turns into length and
/// byte comparisons; `NA_VALUES` itself is what the tests check it against).
fn is_na(cell: &[u8]) -> bool {
    matches!(
        cell,
        b"" | b"#N/A"
            | b"#N/A N/A"
            | b"#NA"
            | b"-1.#IND"
            | b"-1.#QNAN"
            | b"-NaN"
            | b"-nan"
            | b"1.#IND"
            | b"1.#QNAN"
            | b"<NA>"
            | b"N/A"
            | b"NA"
            | b"NULL"
            | b"NaN"
            | b"None"
            | b"n/a"
            | b"nan"
            | b"null"
    )
}

/// What to do with header columns the model does not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExtraColumns {
    /// Skip them (what `ColumnTransformer` does with columns it was not fitted on).
    #[default]
    Ignore,
    /// `E_INPUT` naming them (what scikit-learn's other estimators do).
    Refuse,
}

/// Whether the first line is a header (`spec/format.md` §7.1, "Header").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// Decide from the line and the model (module docs): a line naming the model's columns
    /// is a header, a line of numbers only is data, and a line that could be either is
    /// `E_INPUT` rather than a guess.
    #[default]
    Detect,
    /// The first line is the header (`pandas.read_csv(path, header=0)`).
    Present,
    /// There is no header: the first line is data and columns are taken in the model's order
    /// (`pandas.read_csv(path, header=None)`; `amber predict --no-header`).
    Absent,
}

/// How a [`TableReader`] reads: batch size, delimiter, header and the treatment of extra
/// columns. A builder: `CsvOptions::default().delimiter(b';').header(Header::Absent)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    batch_rows: usize,
    extra: ExtraColumns,
    delimiter: u8,
    header: Header,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            batch_rows: DEFAULT_BATCH_ROWS,
            extra: ExtraColumns::Ignore,
            delimiter: b',',
            header: Header::Detect,
        }
    }
}

impl CsvOptions {
    /// Rows per batch (at least 1; 0 is taken as 1).
    #[must_use]
    pub fn batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// What to do with columns the model does not read.
    #[must_use]
    pub fn extra_columns(mut self, extra: ExtraColumns) -> Self {
        self.extra = extra;
        self
    }

    /// The field delimiter, one ASCII byte other than `"`, `\r` and `\n` (`b','` unless set;
    /// `b'\t'` for tab-separated files). Another byte makes [`CsvOptions::open`] fail with
    /// `E_INPUT`.
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Whether the first line is a header ([`Header::Detect`] unless set).
    #[must_use]
    pub fn header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }

    /// Opens a reader over `source` with these options (reads the first line).
    ///
    /// # Errors
    /// As [`TableReader::new`], and `E_INPUT` for a delimiter [`CsvOptions::delimiter`]
    /// does not take.
    pub fn open<R: Read>(
        self,
        source: R,
        columns: &[(String, ColumnKind)],
    ) -> Result<TableReader<R>> {
        TableReader::with_options(source, columns, self)
    }
}

/// Where a model column's cells come from.
#[derive(Debug)]
struct Plan {
    name: String,
    kind: ColumnKind,
    /// The CSV field, or `None`: not read (kind `Unused`), all missing.
    field: Option<usize>,
}

/// A streaming CSV reader giving [`Table`] batches whose columns are the model's, in the
/// model's order and with its names (module docs give the rules).
#[derive(Debug)]
pub struct TableReader<R> {
    csv: csv::Reader<BlankLines<R>>,
    plans: Vec<Plan>,
    /// Fields on every line.
    width: usize,
    batch_rows: usize,
    record: ByteRecord,
    /// The first line and its number, when it is data rather than a header.
    pending: Option<(ByteRecord, u64)>,
    /// The line the record in `record` starts on.
    line: u64,
    /// Data rows before the current batch.
    batch_start: u64,
    /// Data rows read so far.
    rows: u64,
    /// The line of each row of the current batch.
    lines: Vec<u64>,
    finished: bool,
    scratch: Vec<u8>,
}

impl<R: Read> TableReader<R> {
    /// Opens a reader with the default [`CsvOptions`]: reads the first line and maps the
    /// columns.
    ///
    /// # Errors
    /// `E_INPUT` for an input without a line, a header that does not name a column the
    /// model reads, a first line of the wrong width or that could be a header as well as
    /// data, or a name given twice; `E_IO` when `source` fails.
    pub fn new(source: R, columns: &[(String, ColumnKind)]) -> Result<Self> {
        Self::with_options(source, columns, CsvOptions::default())
    }

    fn with_options(
        source: R,
        columns: &[(String, ColumnKind)],
        options: CsvOptions,
    ) -> Result<Self> {
        let delimiter = options.delimiter;
        if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'\r' | b'\n') {
            return Err(EstimatorError::Table {
                reason: format!(
                    "the delimiter {:?} cannot separate CSV fields: give one ASCII character \
                     other than a quote or a line break",
                    char::from(delimiter)
                ),
            });
        }
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(BlankLines::new(source, delimiter));
        let mut first = ByteRecord::new();
        let mut scratch = Vec::new();
        if !csv.read_byte_record(&mut first).map_err(csv_error)? {
            return Err(no_rows());
        }
        let line = csv.get_mut().next_start();
        let header = match options.header {
            Header::Present => true,
            Header::Absent => false,
            Header::Detect => detect_header(&first, line, columns, &mut scratch)?,
        };
        let plans = plan(&first, line, header, columns, options.extra)?;
        Ok(Self {
            csv,
            plans,
            width: first.len(),
            batch_rows: options.batch_rows,
            record: ByteRecord::new(),
            pending: (!header).then_some((first, line)),
            line,
            batch_start: 0,
            rows: 0,
            lines: Vec::new(),
            finished: false,
            scratch,
        })
    }

    /// The next batch of at most the configured number of rows; `None` once the input is
    /// exhausted.
    ///
    /// # Errors
    /// `E_INPUT` for an input without a data row (a header alone: the first call), a line of
    /// the wrong width or a cell its column cannot take (naming the column, data row, line
    /// and value); `E_IO` when the source fails.
    pub fn next_batch(&mut self) -> Result<Option<Table>> {
        if self.finished {
            return Ok(None);
        }
        let cap = self.batch_rows.min(DEFAULT_BATCH_ROWS);
        let mut builders: Vec<Builder> = self.plans.iter().map(|p| Builder::new(p, cap)).collect();
        self.lines.clear();
        self.batch_start = self.rows;
        while self.lines.len() < self.batch_rows && self.read_record()? {
            let line = self.line;
            if self.record.len() != self.width {
                return Err(EstimatorError::Table {
                    reason: format!(
                        "line {line} has {} fields, expected {}",
                        self.record.len(),
                        self.width
                    ),
                });
            }
            let at = Cell {
                row: self.rows,
                line,
            };
            for (builder, plan) in builders.iter_mut().zip(&self.plans) {
                let Some(field) = plan.field else { continue };
                let bytes = self.record.get(field).unwrap_or_default();
                builder.push(bytes, plan, at, &mut self.scratch)?;
            }
            self.lines.push(line);
            self.rows += 1;
        }
        if self.lines.is_empty() {
            if self.rows == 0 {
                return Err(no_rows());
            }
            return Ok(None);
        }
        let n = self.lines.len();
        let mut table = Table::new(n);
        for (builder, plan) in builders.into_iter().zip(&self.plans) {
            table.push(plan.name.clone(), builder.finish(n))?;
        }
        Ok(Some(table))
    }

    /// Reads every remaining row into one table (whole-column inference for `Any`).
    ///
    /// # Errors
    /// As [`TableReader::next_batch`]; `E_INPUT` too when no row remains.
    pub fn read_all(mut self) -> Result<Table> {
        self.batch_rows = usize::MAX;
        self.next_batch()?.ok_or_else(no_rows)
    }

    /// The 0-based data row of the last batch's first row (rows before it in the file).
    #[must_use]
    pub fn batch_start(&self) -> u64 {
        self.batch_start
    }

    /// The 1-based line of each row of the last batch.
    #[must_use]
    pub fn lines(&self) -> &[u64] {
        &self.lines
    }

    /// Data rows read so far.
    #[must_use]
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    fn read_record(&mut self) -> Result<bool> {
        if let Some((first, line)) = self.pending.take() {
            self.record = first;
            self.line = line;
            return Ok(true);
        }
        let got = self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?;
        self.finished = !got;
        if got {
            self.line = self.csv.get_mut().next_start();
        }
        Ok(got)
    }
}

impl<R: Read> Iterator for TableReader<R> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

/// Reads a whole CSV input as one table of the model's columns.
///
/// # Errors
/// As [`TableReader::new`] and [`TableReader::next_batch`].
pub fn read_table(source: impl Read, columns: &[(String, ColumnKind)]) -> Result<Table> {
    TableReader::new(source, columns)?.read_all()
}

fn no_rows() -> EstimatorError {
    EstimatorError::Table {
        reason: "the input has no data rows (scikit-learn refuses 0 samples: at least one row \
                 is needed)"
            .to_owned(),
    }
}

fn csv_error(e: csv::Error) -> EstimatorError {
    let line = e.position().map(csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(source) => EstimatorError::Codec(CodecError::Io {
            path: PathBuf::from("<CSV input>"),
            source,
        }),
        other => EstimatorError::Table {
            reason: match line {
                Some(line) => format!("line {line}: malformed CSV: {other:?}"),
                None => format!("malformed CSV: {other:?}"),
            },
        },
    }
}

/// [`Header::Detect`]: whether the first line is a header (module docs).
fn detect_header(
    first: &ByteRecord,
    line: u64,
    columns: &[(String, ColumnKind)],
    scratch: &mut Vec<u8>,
) -> Result<bool> {
    let mut number = |cell: &[u8]| parse_number(cell, scratch).is_some();
    if columns.iter().any(|(n, _)| !n.is_empty()) {
        let mut read = columns.iter().filter(|(_, k)| *k != ColumnKind::Unused);
        let names_them = read.clone().next().is_some()
            && read.all(|(n, _)| first.iter().any(|c| c == n.as_bytes()));
        // A line that does not name the columns is a header all the same unless it is numbers
        // only; `plan` then says which columns it lacks.
        return Ok(names_them || !first.iter().all(number));
    }
    let mut undecided = false;
    for ((_, kind), cell) in columns.iter().zip(first.iter()) {
        match kind {
            ColumnKind::Numeric if !number(cell) => return Ok(true),
            ColumnKind::String => undecided = true,
            ColumnKind::Any if !number(cell) => undecided = true,
            _ => {}
        }
    }
    if undecided {
        return Err(EstimatorError::Table {
            reason: format!(
                "line {line} could be a header or data: the model was fitted without column \
                 names and its first line has text where the model reads text; say which \
                 (amber predict --header or --no-header; Header::Present or Header::Absent)"
            ),
        });
    }
    Ok(false)
}

/// Maps each model column to its CSV field.
fn plan(
    first: &ByteRecord,
    line: u64,
    header: bool,
    columns: &[(String, ColumnKind)],
    extra: ExtraColumns,
) -> Result<Vec<Plan>> {
    let named = columns.iter().any(|(n, _)| !n.is_empty());
    if !(header && named) {
        if first.len() != columns.len() {
            let what = if header {
                "the header".to_owned()
            } else {
                format!("line {line}")
            };
            return Err(EstimatorError::Table {
                reason: format!(
                    "{what} has {} columns, the model expects {} features",
                    first.len(),
                    columns.len()
                ),
            });
        }
        return Ok(columns
            .iter()
            .enumerate()
            .map(|(i, (name, kind))| Plan {
                name: name.clone(),
                kind: *kind,
                field: (*kind != ColumnKind::Unused).then_some(i),
            })
            .collect());
    }
    let names: Vec<String> = first
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let fields = match_header(&names, columns, line)?;
    if extra == ExtraColumns::Refuse {
        let unexpected: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| !fields.contains(&Some(*i)))
            .map(|(_, n)| format!("{n:?}"))
            .collect();
        if !unexpected.is_empty() {
            return Err(EstimatorError::Table {
                reason: format!(
                    "the header does not match the model's feature names: unexpected {}",
                    unexpected.join(", ")
                ),
            });
        }
    }
    Ok(columns
        .iter()
        .zip(fields)
        .map(|((name, kind), field)| Plan {
            name: name.clone(),
            kind: *kind,
            field: field.filter(|_| *kind != ColumnKind::Unused),
        })
        .collect())
}

/// For each model column, its header field, by exact name; the header on `line`.
fn match_header(
    names: &[String],
    columns: &[(String, ColumnKind)],
    line: u64,
) -> Result<Vec<Option<usize>>> {
    let mut exact: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        exact.entry(n.as_str()).or_default().push(i);
    }
    let mut fields = Vec::with_capacity(columns.len());
    let mut missing = Vec::new();
    for (name, kind) in columns {
        match exact.get(name.as_str()).map(Vec::as_slice) {
            Some(&[i]) => fields.push(Some(i)),
            Some(_) => {
                return Err(EstimatorError::Table {
                    reason: format!("column {name:?} appears more than once in the header"),
                });
            }
            None => {
                if *kind != ColumnKind::Unused {
                    missing.push(name.as_str());
                }
                fields.push(None);
            }
        }
    }
    if missing.is_empty() {
        return Ok(fields);
    }
    Err(EstimatorError::Table {
        reason: missing_message(names, columns, &missing, line),
    })
}

/// Why a header does not fit: the columns it lacks, near misses by surrounding spaces, and
/// (when the line is as wide as the model) that the file may have no header.
fn missing_message(
    names: &[String],
    columns: &[(String, ColumnKind)],
    missing: &[&str],
    line: u64,
) -> String {
    let listed: Vec<String> = missing.iter().map(|n| format!("{n:?}")).collect();
    let mut reason = format!(
        "the header (line {line}) does not name every column the model reads: no column {}",
        listed.join(", ")
    );
    let near: Vec<String> = missing
        .iter()
        .filter_map(|m| {
            let found = names.iter().find(|n| n.trim() == m.trim())?;
            Some(format!("{found:?} is not {m:?}"))
        })
        .collect();
    if !near.is_empty() {
        reason.push_str(&format!(
            "; names are matched exactly, spaces included, as pandas.read_csv keeps them ({})",
            near.join(", ")
        ));
    }
    if names.len() == columns.len() {
        reason.push_str(&format!(
            "; if line {line} is data, the file has no header: read it with --no-header \
             (amber predict) or Header::Absent"
        ));
    }
    reason
}

/// A reader that blanks lines of spaces and tabs (outside quoted fields) so that the CSV
/// parser skips them as the empty lines they are to pandas (`skip_blank_lines=True` skips
/// a line of whitespace; a quoted `"  "` is a cell). The line break is kept. It also notes
/// the line each record starts on ([`BlankLines::next_start`]), which the parser's own
/// positions get wrong after skipped empty lines. Quote tracking is the CSV parser's
/// (`csv-core`): a `"` opens a quoted field only as a field's first byte, `""` inside one is
/// a quote, after the closing quote the field goes on unquoted up to the next delimiter or
/// line break, and a UTF-8 byte-order mark at the start is not part of the first field
/// (`blank_lines_are_exactly_the_records_of_blanks` checks this against the parser).
#[derive(Debug)]
struct BlankLines<R> {
    inner: R,
    delimiter: u8,
    state: Scan,
    /// Byte-order-mark bytes seen at the start, or `None` once past it.
    bom: Option<usize>,
    /// Spaces and tabs at the start of the current line, held until the line shows whether
    /// it has anything else (bounded by the line's length, as the parser's record is).
    held: Vec<u8>,
    /// The current line (from 1; `\r\n`, `\n` and a lone `\r` end one) and whether its last
    /// byte was `\r`.
    line: u64,
    after_cr: bool,
    /// The last byte scanned (a quote after a delimiter opens a quoted field).
    prev: u8,
    /// The line each record scanned but not yet taken starts on: the CSV parser's own
    /// record positions count from the end of the previous record, so skipped empty lines
    /// would shift them. At most one entry per two bytes of a scanned chunk.
    starts: VecDeque<u64>,
    /// Scanned bytes not yet given out, from `out_at`.
    out: Vec<u8>,
    out_at: usize,
    chunk: Box<[u8]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    LineStart,
    /// Past a line's first byte, outside quotes.
    InLine,
    Quoted,
    /// A `"` inside a quoted field: `""` or the closing quote.
    QuoteInQuoted,
}

const BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

impl<R> BlankLines<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        Self {
            inner,
            delimiter,
            state: Scan::LineStart,
            bom: Some(0),
            held: Vec::new(),
            line: 1,
            after_cr: false,
            prev: b'\n',
            starts: VecDeque::new(),
            out: Vec::new(),
            out_at: 0,
            chunk: vec![0; 64 * 1024].into_boxed_slice(),
        }
    }

    /// The line the next record the parser gives starts on (1 if unknown).
    fn next_start(&mut self) -> u64 {
        self.starts.pop_front().unwrap_or(1)
    }

    /// Scans one chunk of input into `out`: bytes are copied in runs, a blank run at a line
    /// start held until the line shows what it is. Inside a line only a quote or a line
    /// break can change the state (a quote opens a field when it follows a delimiter), so
    /// the runs between them are skipped in one search.
    fn scan(&mut self, chunk: &[u8]) {
        let d = self.delimiter;
        let (mut state, mut line, mut after_cr, mut prev) =
            (self.state, self.line, self.after_cr, self.prev);
        let special = |c: &u8| matches!(*c, b'\n' | b'\r' | b'"');
        let mut copied = 0;
        let mut i = 0;
        while let Some(&b) = chunk.get(i) {
            if let Some(seen) = self.bom {
                let next = (BOM.get(seen) == Some(&b)).then_some(seen + 1);
                self.bom = next.filter(|&s| s < BOM.len());
                if next.is_some() {
                    i += 1;
                    continue;
                }
            }
            if matches!(state, Scan::InLine | Scan::Quoted) && !special(&b) {
                let run = chunk.get(i..).unwrap_or_default();
                let k = run.iter().position(special).unwrap_or(run.len());
                prev = k
                    .checked_sub(1)
                    .and_then(|j| run.get(j))
                    .copied()
                    .unwrap_or(prev);
                after_cr = false;
                i += k;
                continue;
            }
            let end = b == b'\n' || b == b'\r';
            if state == Scan::LineStart {
                if (b == b' ' || b == b'\t') && b != d {
                    self.out
                        .extend_from_slice(chunk.get(copied..i).unwrap_or_default());
                    self.held.push(b);
                    prev = b;
                    i += 1;
                    copied = i;
                    continue;
                }
                if !self.held.is_empty() {
                    if end {
                        // A blank line: its spaces go, its line break stays.
                        self.held.clear();
                    } else {
                        // Not blank: the spaces begin an unquoted field, and the record.
                        self.out.append(&mut self.held);
                        state = Scan::InLine;
                        self.starts.push_back(line);
                    }
                } else if !end {
                    self.starts.push_back(line);
                }
            }
            match b {
                b'\r' => line += 1,
                b'\n' if !after_cr => line += 1,
                _ => {}
            }
            after_cr = b == b'\r';
            state = match state {
                Scan::Quoted if b == b'"' => Scan::QuoteInQuoted,
                Scan::Quoted => Scan::Quoted,
                Scan::QuoteInQuoted if b == b'"' => Scan::Quoted,
                Scan::LineStart if b == b'"' => Scan::Quoted,
                Scan::InLine if b == b'"' && prev == d => Scan::Quoted,
                _ if end => Scan::LineStart,
                _ => Scan::InLine,
            };
            prev = b;
            i += 1;
        }
        self.out
            .extend_from_slice(chunk.get(copied..).unwrap_or_default());
        (self.state, self.line, self.after_cr, self.prev) = (state, line, after_cr, prev);
    }
}

impl<R: Read> Read for BlankLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_at == self.out.len() {
            self.out.clear();
            self.out_at = 0;
            let mut chunk = std::mem::take(&mut self.chunk);
            let read = self.inner.read(&mut chunk);
            let n = *read.as_ref().unwrap_or(&0);
            self.scan(chunk.get(..n).unwrap_or_default());
            self.chunk = chunk;
            if read? == 0 {
                // The end: spaces held are a last blank line's.
                self.held.clear();
                return Ok(0);
            }
        }
        let rest = self.out.get(self.out_at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.out_at += n;
        Ok(n)
    }
}

/// A cell's place, for messages.
#[derive(Clone, Copy, Debug)]
struct Cell {
    /// 0-based data row.
    row: u64,
    /// 1-based line.
    line: u64,
}

/// One batch column being built.
#[derive(Debug)]
enum Builder {
    Numeric(Vec<f64>),
    Text(TextColumn),
    /// The text always; the numbers while every cell so far is numeric.
    Any(TextColumn, Option<Vec<f64>>),
    /// Not read: all missing, as text for a `String` column (an empty input has no fields
    /// at all), as NaN numbers otherwise.
    Absent {
        text: bool,
    },
}

impl Builder {
    fn new(plan: &Plan, cap: usize) -> Self {
        if plan.field.is_none() {
            return Self::Absent {
                text: plan.kind == ColumnKind::String,
            };
        }
        match plan.kind {
            ColumnKind::Numeric => Self::Numeric(Vec::with_capacity(cap)),
            ColumnKind::String => Self::Text(TextColumn::with_capacity(cap, cap * 8)),
            ColumnKind::Any => Self::Any(
                TextColumn::with_capacity(cap, cap * 8),
                Some(Vec::with_capacity(cap)),
            ),
            ColumnKind::Unused => Self::Absent { text: false },
        }
    }

    fn push(&mut self, bytes: &[u8], plan: &Plan, at: Cell, scratch: &mut Vec<u8>) -> Result<()> {
        match self {
            Self::Numeric(v) => {
                let x =
                    parse_number(bytes, scratch).ok_or_else(|| not_a_number(bytes, plan, at))?;
                v.push(x);
            }
            Self::Text(t) => t.push(text_cell(bytes, plan, at)?),
            Self::Any(t, numbers) => {
                if let Some(v) = numbers {
                    match parse_number(bytes, scratch) {
                        Some(x) => v.push(x),
                        None => *numbers = None,
                    }
                }
                t.push(text_cell(bytes, plan, at)?);
            }
            Self::Absent { .. } => {}
        }
        Ok(())
    }

    fn finish(self, n: usize) -> Column {
        match self {
            Self::Numeric(v) | Self::Any(_, Some(v)) => Column::Numeric(v),
            Self::Text(t) | Self::Any(t, None) => Column::Text(t),
            Self::Absent { text: false } => Column::Numeric(vec![f64::NAN; n]),
            Self::Absent { text: true } => {
                let mut t = TextColumn::with_capacity(n, 0);
                (0..n).for_each(|_| t.push(None));
                Column::Text(t)
            }
        }
    }
}

/// A string cell: `None` when missing ([`NA_VALUES`]).
fn text_cell<'a>(bytes: &'a [u8], plan: &Plan, at: Cell) -> Result<Option<&'a str>> {
    if is_na(bytes) {
        return Ok(None);
    }
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| EstimatorError::Value {
            column: plan.name.clone(),
            row: usize::try_from(at.row).unwrap_or(usize::MAX),
            value: format!("{:?}", String::from_utf8_lossy(bytes)),
            reason: format!("not UTF-8 text ({}); CSV input must be UTF-8", place(at)),
        })
}

fn not_a_number(bytes: &[u8], plan: &Plan, at: Cell) -> EstimatorError {
    EstimatorError::Value {
        column: plan.name.clone(),
        row: usize::try_from(at.row).unwrap_or(usize::MAX),
        value: format!("{:?}", String::from_utf8_lossy(bytes)),
        reason: format!(
            "not a number ({}); a numeric column takes what Python's float() reads, \
             True/False, or a missing cell (empty, NA, NaN, null, None, N/A, ... as \
             pandas.read_csv reads them)",
            place(at)
        ),
    }
}

fn place(at: Cell) -> String {
    format!("line {}, data row {} counting from 1", at.line, at.row + 1)
}

/// A numeric cell by the module's rules: `None` when it is not one.
fn parse_number(cell: &[u8], scratch: &mut Vec<u8>) -> Option<f64> {
    if is_na(cell) {
        return Some(f64::NAN);
    }
    // Blank is not missing: pandas keeps `"  "` as text and float() refuses it.
    let cell = trim(cell).filter(|c| !c.is_empty())?;
    match cell {
        b"True" | b"TRUE" | b"true" => return Some(1.0),
        b"False" | b"FALSE" | b"false" => return Some(0.0),
        _ => {}
    }
    // Rust's grammar is Python's on ASCII but for the digit separators.
    let text = std::str::from_utf8(cell).ok()?;
    if let Ok(x) = text.parse::<f64>() {
        return Some(x);
    }
    if !cell.contains(&b'_') {
        return None;
    }
    // PEP 515: an underscore only between two digits.
    scratch.clear();
    for (i, &b) in cell.iter().enumerate() {
        if b == b'_' {
            let before = i.checked_sub(1).and_then(|j| cell.get(j));
            let after = cell.get(i + 1);
            if !(before.is_some_and(u8::is_ascii_digit) && after.is_some_and(u8::is_ascii_digit)) {
                return None;
            }
        } else {
            scratch.push(b);
        }
    }
    std::str::from_utf8(scratch).ok()?.parse().ok()
}

/// The cell without the surrounding whitespace Python's `float()` strips (`str.isspace`'s
/// ASCII six and Unicode's White_Space, which is `char::is_whitespace`); `None` when the
/// cell is not UTF-8 and has non-ASCII bytes at an end.
fn trim(cell: &[u8]) -> Option<&[u8]> {
    let ascii = cell.trim_ascii();
    let ends_ascii =
        ascii.first().is_none_or(u8::is_ascii) && ascii.last().is_none_or(u8::is_ascii);
    if ends_ascii {
        return Some(ascii);
    }
    std::str::from_utf8(cell).ok().map(|s| s.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(cols: &[(&str, ColumnKind)]) -> Vec<(String, ColumnKind)> {
        cols.iter().map(|(n, k)| ((*n).to_owned(), *k)).collect()
    }

    fn numbers(t: &Table, j: usize) -> Vec<f64> {
        match t.column(j) {
            Some(Column::Numeric(v)) => v.clone(),
            other => panic!("not numbers: {other:?}"),
        }
    }

    fn texts(t: &Table, j: usize) -> Vec<Option<String>> {
        match t.column(j) {
            Some(Column::Text(c)) => c.iter().map(|s| s.map(str::to_owned)).collect(),
            other => panic!("not text: {other:?}"),
        }
    }

    /// Python 3.11's `float()` on each string (`None`: ValueError), printed by the venv.
    #[test]
    fn numbers_follow_python_float() {
        let nan = f64::NAN;
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("-2.5e-3", Some(-0.0025)),
            (" 3 ", Some(3.0)),
            ("\t4\n", Some(4.0)),
            ("nan", Some(nan)),
            ("-nan", Some(nan)),
            ("+nan", Some(nan)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("iNfInItY", Some(f64::INFINITY)),
            ("+inf", Some(f64::INFINITY)),
            ("1_000", Some(1000.0)),
            ("1_000.5_5", Some(1000.55)),
            ("1e1_0", Some(1e10)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("1_.5", None),
            ("1._5", None),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1.e5", Some(1e5)),
            (".e5", None),
            ("e5", None),
            ("5e", None),
            (".", None),
            ("0x10", None),
            ("1e1000", Some(f64::INFINITY)),
            ("-0", Some(-0.0)),
            ("1e-400", Some(0.0)),
            ("infinityx", None),
            ("nan(1)", None),
            ("\u{1c}7\u{1f}", None),
            ("\u{a0}8\u{3000}", Some(8.0)),
            ("\u{2000}0.5", Some(0.5)),
            ("1,5", None),
            ("1 2", None),
            ("+-1", None),
            ("++1", None),
            ("1e+05", Some(1e5)),
            ("0001", Some(1.0)),
        ];
        let mut scratch = Vec::new();
        for (text, want) in cases {
            let got = parse_number(text.as_bytes(), &mut scratch);
            let same = match (got, want) {
                (Some(g), Some(w)) => g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                (None, None) => true,
                _ => false,
            };
            assert!(same, "{text:?}: got {got:?}, Python gives {want:?}");
        }
        // Beyond float(): pandas' missing strings are NaN, its bools are 1 and 0.
        for (text, want) in [
            ("", nan),
            ("NA", nan),
            ("null", nan),
            ("True", 1.0),
            ("false", 0.0),
        ] {
            let got = parse_number(text.as_bytes(), &mut scratch).unwrap();
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{text:?}"
            );
        }
        assert_eq!(parse_number(b"Yes", &mut scratch), None);
        // A blank cell is text to pandas (not one of its missing strings) and float()
        // refuses it; so is a missing string with spaces around it.
        assert_eq!(parse_number(b"  ", &mut scratch), None);
        assert_eq!(parse_number(b" NA", &mut scratch), None);
        assert_eq!(parse_number(b"\xff1", &mut scratch), None);
    }

    #[test]
    fn columns_by_name_in_any_order_extra_ignored() {
        let s = schema(&[("city", ColumnKind::String), ("age", ColumnKind::Numeric)]);
        let text = "zip,age,city\n75001,41,Paris\n,, \n69001,3,\"Lyon, \"\"2\"\"\"\n";
        let t = read_table(text.as_bytes(), &s).unwrap();
        assert_eq!(t.names(), ["city", "age"]);
        assert_eq!(
            texts(&t, 0),
            [
                Some("Paris".into()),
                Some(" ".into()),
                Some("Lyon, \"2\"".into())
            ]
        );
        let age = numbers(&t, 1);
        assert!(age[0] == 41.0 && age[1].is_nan() && age[2] == 3.0);
    }

    #[test]
    fn a_missing_column_is_named_an_unused_one_is_missing_values() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::String)]);
        let e = read_table("a,c\n1,x\n".as_bytes(), &s).unwrap_err();
        assert_eq!(e.code(), "E_INPUT");
        assert!(e.to_string().contains("no column \"b\""), "{e}");
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::Unused)]);
        let t = read_table("a\n1\n2\n".as_bytes(), &s).unwrap();
        assert!(numbers(&t, 1).iter().all(|x| x.is_nan()));
        // Present but unused: not parsed, so not refused.
        let t = read_table("b,a\nnot a number,1\n".as_bytes(), &s).unwrap();
        assert!(numbers(&t, 1)[0].is_nan());
    }

    #[test]
    fn refusing_extra_columns_names_them() {
        let s = schema(&[("a", ColumnKind::Numeric)]);
        let e = CsvOptions::default()
            .extra_columns(ExtraColumns::Refuse)
            .open("a,shoe\n1,2\n".as_bytes(), &s)
            .unwrap_err();
        assert!(e.to_string().contains("unexpected \"shoe\""), "{e}");
        let e = read_table("a,a\n1,2\n".as_bytes(), &s).unwrap_err();
        assert!(
            e.to_string().contains("\"a\" appears more than once"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_number_names_column_row_line_and_value() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::Numeric)]);
        // Line 4 is the second data row's continuation: the third data row starts on line 5.
        let text = "a,b\n1,2\n\"3\n\",4\n5,five\n";
        let e = read_table(text.as_bytes(), &s).unwrap_err();
        let EstimatorError::Value {
            column,
            row,
            value,
            reason,
        } = &e
        else {
            panic!("{e}")
        };
        assert_eq!(
            (column.as_str(), *row, value.as_str()),
            ("b", 2, "\"five\"")
        );
        assert!(reason.contains("line 5, data row 3"), "{reason}");
        assert_eq!(e.code(), "E_INPUT");
    }

    #[test]
    fn ragged_lines_and_wrong_widths_say_where() {
        let s = schema(&[("", ColumnKind::Numeric), ("", ColumnKind::Numeric)]);
        let e = read_table("1,2\n3\n".as_bytes(), &s).unwrap_err();
        assert!(
            e.to_string().contains("line 2 has 1 fields, expected 2"),
            "{e}"
        );
        let e = read_table("1,2,3\n".as_bytes(), &s).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 1 has 3 columns, the model expects 2"),
            "{e}"
        );
        let e = read_table("p,q,r\n1,2,3\n".as_bytes(), &s).unwrap_err();
        assert!(e.to_string().contains("the header has 3 columns"), "{e}");
    }

    #[test]
    fn numeric_models_read_headerless_files_string_models_never() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::Numeric)]);
        let t = read_table("1,2\n3,4\n".as_bytes(), &s).unwrap();
        assert_eq!(
            (numbers(&t, 0), numbers(&t, 1)),
            (vec![1.0, 3.0], vec![2.0, 4.0])
        );
        let s = schema(&[("a", ColumnKind::String)]);
        let t = read_table("a\n1\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("1".into())]);
    }

    #[test]
    fn any_columns_are_numbers_only_when_the_whole_batch_is() {
        let s = schema(&[("x", ColumnKind::Any)]);
        let text = "x\n1\n\n2.5\nred\n3\n4\n";
        let mut r = CsvOptions::default()
            .batch_rows(2)
            .open(text.as_bytes(), &s)
            .unwrap();
        let b1 = r.next_batch().unwrap().unwrap();
        assert_eq!(numbers(&b1, 0), [1.0, 2.5]);
        let b2 = r.next_batch().unwrap().unwrap();
        assert_eq!(texts(&b2, 0), [Some("red".into()), Some("3".into())]);
        let b3 = r.next_batch().unwrap().unwrap();
        assert_eq!(numbers(&b3, 0), [4.0]);
        assert!(r.next_batch().unwrap().is_none());
        let whole = read_table(text.as_bytes(), &s).unwrap();
        assert_eq!(texts(&whole, 0)[2], Some("red".into()));
    }

    #[test]
    fn batches_cover_every_row_once_with_their_lines() {
        let s = schema(&[("a", ColumnKind::Numeric)]);
        let text: String = std::iter::once("a\n".to_owned())
            .chain((0..7).map(|i| format!("{i}\n")))
            .collect();
        let mut r = CsvOptions::default()
            .batch_rows(3)
            .open(text.as_bytes(), &s)
            .unwrap();
        let mut all = Vec::new();
        let mut starts = Vec::new();
        while let Some(t) = r.next_batch().unwrap() {
            starts.push((r.batch_start(), r.lines().to_vec()));
            all.extend(numbers(&t, 0));
        }
        assert_eq!(all, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(starts[1], (3, vec![5, 6, 7]));
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn an_input_without_data_rows_is_refused() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::String)]);
        for text in ["", "\n\n", "  \n", "a,b\n", "a,b\n\n \t\n"] {
            let e = TableReader::new(text.as_bytes(), &s).and_then(|mut r| r.next_batch());
            let e = e.unwrap_err();
            assert_eq!(e.code(), "E_INPUT", "{text:?}");
            assert!(e.to_string().contains("no data rows"), "{text:?}: {e}");
        }
        let e = read_table("a,b\n".as_bytes(), &s).unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
    }

    /// `pandas.read_csv`'s defaults (spec §7.1): each string of `STR_NA_VALUES` is missing in
    /// every column kind, compared exactly, quoted or not; other text is kept.
    #[test]
    fn pandas_missing_strings_are_missing_in_every_kind() {
        let listed = NA_VALUES.iter().all(|v| is_na(v.as_bytes()));
        assert!(listed, "is_na must take every NA_VALUES string");
        for other in [
            "na",
            "Na",
            "NAN",
            "Null",
            "none",
            " NA",
            "NA ",
            "N/a",
            "#N/A  N/A",
            "-",
        ] {
            assert!(
                !is_na(other.as_bytes()),
                "{other:?} is not one of pandas' strings"
            );
        }
        let s = schema(&[
            ("n", ColumnKind::Numeric),
            ("s", ColumnKind::String),
            ("a", ColumnKind::Any),
        ]);
        let cells: Vec<String> = NA_VALUES.iter().map(|v| format!("\"{v}\"")).collect();
        let text: String = std::iter::once("n,s,a\n".to_owned())
            .chain(NA_VALUES.iter().map(|v| format!("{v},{v},{v}\n")))
            .chain(cells.iter().map(|c| format!("{c},{c},{c}\n")))
            .chain(["1, NA ,2\n".to_owned()])
            .collect();
        let t = read_table(text.as_bytes(), &s).unwrap();
        let rows = 2 * NA_VALUES.len();
        let n = numbers(&t, 0);
        assert!(n.iter().take(rows).all(|x| x.is_nan()) && n.get(rows) == Some(&1.0));
        let text_col = texts(&t, 1);
        assert!(
            text_col.iter().take(rows).all(Option::is_none),
            "{text_col:?}"
        );
        assert_eq!(text_col.get(rows), Some(&Some(" NA ".to_owned())));
        let any = numbers(&t, 2);
        assert!(any.iter().take(rows).all(|x| x.is_nan()) && any.get(rows) == Some(&2.0));
        // An Any column with text beside the missing strings is text, those cells missing.
        let s = schema(&[("a", ColumnKind::Any)]);
        let t = read_table("a\nNA\nred\nnull\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [None, Some("red".into()), None]);
        // In a numeric column, a missing string with spaces is a bad cell, as float() says.
        let s = schema(&[("n", ColumnKind::Numeric)]);
        let e = read_table("n\n1\n NA\n".as_bytes(), &s).unwrap_err();
        assert!(e.to_string().contains("\" NA\""), "{e}");
        let e = read_table(
            "n,m\n1,2\n  ,3\n".as_bytes(),
            &schema(&[("n", ColumnKind::Numeric), ("m", ColumnKind::Numeric)]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn lines_of_spaces_and_tabs_are_skipped_outside_quotes_and_keep_line_numbers() {
        let s = schema(&[("a", ColumnKind::String), ("b", ColumnKind::Numeric)]);
        // Line 3 is blank, line 5 is blank inside the quoted field that starts on line 4.
        let text = "a,b\nx,1\n \t \n\"p\n  \nq\",2\n\t\ny,bad\n";
        let e = read_table(text.as_bytes(), &s).unwrap_err();
        assert!(e.to_string().contains("line 8, data row 3"), "{e}");
        let t = read_table(&text.as_bytes()[..text.len() - 6], &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("x".into()), Some("p\n  \nq".into())]);
        assert_eq!(numbers(&t, 1), [1.0, 2.0]);
        // A quoted blank cell is a cell (one column: a line of its own), and spaces before a
        // delimiter are a field.
        let s = schema(&[("a", ColumnKind::String)]);
        let t = read_table("a\n\"  \"\n  \nz\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("  ".into()), Some("z".into())]);
        let s = schema(&[("a", ColumnKind::String), ("b", ColumnKind::String)]);
        let t = read_table("a,b\n  ,\"\"\"\"\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("  ".into())]);
        assert_eq!(texts(&t, 1), [Some("\"".into())]);
        // With tab as the delimiter a tab is a field separator, not a blank.
        let t = CsvOptions::default()
            .delimiter(b'\t')
            .open("a\tb\n\t\n \nx\ty\n".as_bytes(), &s)
            .unwrap()
            .read_all()
            .unwrap();
        assert_eq!(texts(&t, 0), [None, Some("x".into())]);
        // CRLF ends, a byte-order mark, and a blank last line without a line break.
        let t = read_table(&b"\xef\xbb\xbf\"a\",b\r\n  \r\nx,y\r\n\t"[..], &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("x".into())]);
    }

    #[test]
    fn blank_lines_survive_any_read_size() {
        // The adapter gives the same bytes whatever the caller's buffer.
        let text = b"a,b\n  \n\"x\n \n\",1\n\t\t\n2,3\n   ";
        let mut whole = Vec::new();
        BlankLines::new(&text[..], b',')
            .read_to_end(&mut whole)
            .unwrap();
        assert_eq!(whole, b"a,b\n\n\"x\n \n\",1\n\n2,3\n");
        let mut bytewise = Vec::new();
        let mut r = BlankLines::new(&text[..], b',');
        let mut one = [0u8; 1];
        while r.read(&mut one).unwrap() == 1 {
            bytewise.extend_from_slice(&one);
        }
        assert_eq!(bytewise, whole);
    }

    /// On generated text (fields of letters, blanks, quoted fields with line breaks, quotes
    /// and blanks inside, CR, LF and CRLF ends, blank lines), the records through the
    /// adapter are the parser's own records but for those that are one unquoted field of
    /// spaces and tabs; a quoted field here always holds a letter, so such a record is a
    /// blank line.
    #[test]
    fn blank_lines_are_exactly_the_records_of_blanks() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let pieces = [
            "a",
            "bc",
            " ",
            "\t",
            ",",
            "\n",
            "\r\n",
            "\r",
            "\"q\"",
            "\"q\n \n,\"\"\"",
            " \t ",
        ];
        let records = |bytes: &[u8], adapt: bool| -> Vec<Vec<Vec<u8>>> {
            let source: Box<dyn Read + '_> = if adapt {
                Box::new(BlankLines::new(bytes, b','))
            } else {
                Box::new(bytes)
            };
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(source);
            let mut out = Vec::new();
            let mut rec = ByteRecord::new();
            while r.read_byte_record(&mut rec).unwrap() {
                out.push(rec.iter().map(<[u8]>::to_vec).collect());
            }
            out
        };
        for _ in 0..2000 {
            let text: String = (0..next(40))
                .map(|_| {
                    pieces
                        .get(usize::try_from(next(11)).unwrap())
                        .unwrap()
                        .to_owned()
                })
                .collect();
            let want: Vec<_> = records(text.as_bytes(), false)
                .into_iter()
                .filter(|r: &Vec<Vec<u8>>| {
                    !(r.len() == 1
                        && r.iter()
                            .all(|f| f.iter().all(|b| *b == b' ' || *b == b'\t')))
                })
                .collect();
            assert_eq!(records(text.as_bytes(), true), want, "{text:?}");
        }
    }

    #[test]
    fn header_names_are_matched_exactly_spaces_included() {
        // pandas reads `" space "` (and an unquoted ` space `) as the name " space ".
        let s = schema(&[(" space ", ColumnKind::String), ("b", ColumnKind::Numeric)]);
        for text in ["\" space \",b\nx,1\n", " space ,b\nx,1\n"] {
            let t = read_table(text.as_bytes(), &s).unwrap();
            assert_eq!(texts(&t, 0), [Some("x".into())], "{text:?}");
        }
        // A model fitted on "space" does not read " space ": scikit-learn compares names
        // exactly, so the pandas path refuses it too. The message says why.
        let s = schema(&[("space", ColumnKind::String), ("b", ColumnKind::Numeric)]);
        let e = read_table("\" space \",b\nx,1\n".as_bytes(), &s).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("no column \"space\""), "{e}");
        assert!(e.contains("\" space \" is not \"space\""), "{e}");
        // Exact matches win over near ones.
        let t = read_table("\" space \",space,b\n1,2,3\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("2".into())]);
    }

    #[test]
    fn a_headerless_file_for_a_string_model_is_refused_or_read_without_a_header() {
        let s = schema(&[("city", ColumnKind::String), ("age", ColumnKind::Numeric)]);
        let text = "Lyon,41\nParis,3\n";
        let e = read_table(text.as_bytes(), &s).unwrap_err();
        assert_eq!(e.code(), "E_INPUT");
        let e = e.to_string();
        assert!(e.contains("no column \"city\", \"age\""), "{e}");
        assert!(e.contains("--no-header"), "{e}");
        let t = CsvOptions::default()
            .header(Header::Absent)
            .open(text.as_bytes(), &s)
            .unwrap()
            .read_all()
            .unwrap();
        assert_eq!(texts(&t, 0), [Some("Lyon".into()), Some("Paris".into())]);
        assert_eq!(numbers(&t, 1), [41.0, 3.0]);
        // A first line of numbers only is data, whatever the kinds.
        let t = read_table("7,41\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("7".into())]);
        // A header of another width gets no --no-header hint: it cannot be data.
        let e = read_table("town\nLyon\n".as_bytes(), &s).unwrap_err();
        assert!(!e.to_string().contains("--no-header"), "{e}");
    }

    #[test]
    fn a_first_line_naming_the_columns_is_a_header_even_of_numbers() {
        let s = schema(&[("1", ColumnKind::Numeric), ("2", ColumnKind::Numeric)]);
        let t = read_table("2,1\n5,6\n".as_bytes(), &s).unwrap();
        assert_eq!((numbers(&t, 0), numbers(&t, 1)), (vec![6.0], vec![5.0]));
        let t = read_table("3,4\n5,6\n".as_bytes(), &s).unwrap();
        assert_eq!(numbers(&t, 0), [3.0, 5.0]);
        // Forced either way.
        let t = CsvOptions::default()
            .header(Header::Absent)
            .open("2,1\n5,6\n".as_bytes(), &s)
            .unwrap()
            .read_all()
            .unwrap();
        assert_eq!(numbers(&t, 0), [2.0, 5.0]);
        let e = CsvOptions::default()
            .header(Header::Present)
            .open("3,4\n5,6\n".as_bytes(), &s)
            .unwrap_err();
        assert!(e.to_string().contains("no column \"1\", \"2\""), "{e}");
    }

    #[test]
    fn without_names_a_line_that_could_be_either_is_refused() {
        let s = schema(&[("", ColumnKind::String), ("", ColumnKind::Numeric)]);
        // "age" where a number is read: a header.
        let t = read_table("city,age\nLyon,1\n".as_bytes(), &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("Lyon".into())]);
        // Text where text is read and a number where one is: either.
        let e = read_table("Lyon,1\nParis,2\n".as_bytes(), &s).unwrap_err();
        assert_eq!(e.code(), "E_INPUT");
        assert!(e.to_string().contains("--header or --no-header"), "{e}");
        for (header, want) in [
            (Header::Present, vec![2.0]),
            (Header::Absent, vec![1.0, 2.0]),
        ] {
            let t = CsvOptions::default()
                .header(header)
                .open("Lyon,1\nParis,2\n".as_bytes(), &s)
                .unwrap()
                .read_all()
                .unwrap();
            assert_eq!(numbers(&t, 1), want, "{header:?}");
        }
        // Numbers only, where an Any column reads them: data.
        let s = schema(&[("", ColumnKind::Any), ("", ColumnKind::Numeric)]);
        let t = read_table("1,2\n3,4\n".as_bytes(), &s).unwrap();
        assert_eq!(numbers(&t, 0), [1.0, 3.0]);
        let e = read_table("x,2\n3,4\n".as_bytes(), &s).unwrap_err();
        assert!(e.to_string().contains("could be a header or data"), "{e}");
    }

    #[test]
    fn delimiters_are_one_ascii_byte() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::String)]);
        for (delimiter, text) in [
            (b';', "a;b\n1,5;\"x;y\"\n"),
            (b'\t', "a\tb\n1,5\t\"x\ty\"\n"),
        ] {
            let e = CsvOptions::default()
                .delimiter(delimiter)
                .open(text.as_bytes(), &s);
            // "1,5" is not a number (float() takes no decimal comma; nor does pandas).
            let e = e.unwrap().read_all().unwrap_err();
            assert!(e.to_string().contains("\"1,5\""), "{e}");
            let text = text.replace("1,5", "1.5");
            let t = CsvOptions::default()
                .delimiter(delimiter)
                .open(text.as_bytes(), &s)
                .unwrap()
                .read_all()
                .unwrap();
            assert_eq!(numbers(&t, 0), [1.5]);
            let sep = char::from(delimiter);
            assert_eq!(texts(&t, 1), [Some(format!("x{sep}y"))]);
        }
        for bad in [b'"', b'\n', b'\r', 0xa7] {
            let e = CsvOptions::default()
                .delimiter(bad)
                .open("a\n1\n".as_bytes(), &s)
                .unwrap_err();
            assert_eq!(e.code(), "E_INPUT");
            assert!(e.to_string().contains("delimiter"), "{e}");
        }
    }

    #[test]
    fn a_bom_and_crlf_line_ends_are_not_part_of_the_cells() {
        let s = schema(&[("city", ColumnKind::String), ("n", ColumnKind::Numeric)]);
        let t = read_table(&b"\xef\xbb\xbfcity,n\r\nLyon,1\r\n\"a\r\nb\",2\r\n"[..], &s).unwrap();
        assert_eq!(texts(&t, 0), [Some("Lyon".into()), Some("a\r\nb".into())]);
        assert_eq!(numbers(&t, 1), [1.0, 2.0]);
    }

    #[test]
    fn invalid_utf8_text_is_refused_by_line() {
        let s = schema(&[("a", ColumnKind::String)]);
        let e = read_table(&b"a\nok\n\xff\n"[..], &s).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
