//! [`TableReader`]: CSV text as [`Table`] batches, columns matched to a model's input schema.
//!
//! The reader streams: it holds one batch of rows (65,536 by default) and one reused record
//! buffer, whatever the file's length, so a caller can predict batch by batch in bounded
//! memory. The rules (`spec/format.md` §5, "CSV input"):
//!
//! - RFC 4180 text: fields separated by commas, `"` quotes a field (which may then hold
//!   commas, newlines and `""` for a quote). Lines are numbered from 1, a quoted field's
//!   record counting from the line it starts on. Empty lines are skipped.
//! - The first line is the header, except for a model whose every input column is numeric
//!   (or unused): there a first line whose every cell is a number (or empty) is data, as
//!   the CLI has always read such files.
//! - With a header and a model fitted with names, each model column is the header column of
//!   the same name (or, failing that, the one whose name with surrounding whitespace removed
//!   is it), in any order. Extra columns are ignored ([`ExtraColumns::Ignore`], the
//!   default; a model whose columns are all numeric refuses them in the CLI, as
//!   scikit-learn's own estimators do, with [`ExtraColumns::Refuse`]). A column the model
//!   reads that is absent is [`EstimatorError::MissingColumn`]; an absent column of kind
//!   `Unused` becomes a column of missing values. A name the model reads given twice is
//!   `E_INPUT`.
//! - Otherwise (no header, or a model without names) columns are taken in order and the
//!   line must have exactly as many fields as the model has input columns.
//! - Every line must have as many fields as the first (`E_INPUT` naming the line).
//! - Numeric cells: what Python's `float()` accepts (`1`, ` -2.5e-3 `, `1_000.5`, `nan`,
//!   `-Infinity`, ...; surrounding whitespace as `str.isspace`, digits ASCII only), an empty
//!   or blank cell is missing (NaN), `True`/`TRUE`/`true` is 1 and `False`/`FALSE`/`false`
//!   is 0 (pandas' spellings of a bool column). Anything else is
//!   [`EstimatorError::Value`] naming the column, the data row and the line, and the value.
//! - String cells: the text as it is (not trimmed); an empty cell is missing (`None`).
//!   Cells must be UTF-8.
//! - `Any` cells (a pandas object column): within one batch, the column is numbers when every
//!   cell of it is numeric by the rule above, else strings (every cell's text as it is, empty
//!   cells missing). pandas infers a column's type the same way within each chunk it parses;
//!   pass a batch size of at least the row count for whole-file inference.
//! - `Unused` cells are not read: the column is all missing.
//!
//! ```
//! use amber_estimators::csv::TableReader;
//! use amber_estimators::{Column, ColumnKind};
//!
//! let schema = [("city".to_owned(), ColumnKind::String), ("age".to_owned(), ColumnKind::Numeric)];
//! let text = "age,city,ignored\n41,Paris,x\n,,y\n";
//! let mut reader = TableReader::new(text.as_bytes(), &schema)?;
//! let t = reader.next_batch()?.expect("the first batch is always given");
//! assert_eq!(t.names(), ["city", "age"]);
//! let Some(Column::Numeric(age)) = t.column(1) else { panic!() };
//! assert!(age[0] == 41.0 && age[1].is_nan());
//! assert!(reader.next_batch()?.is_none());
//! # Ok::<(), amber_estimators::EstimatorError>(())
//! ```

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use amber_codec::CodecError;
use csv::ByteRecord;

use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind, Table, TextColumn};

/// Rows per batch unless configured: 64 Ki rows of 16 columns are 8 MiB of numbers.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// What to do with header columns the model does not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExtraColumns {
    /// Skip them (what `ColumnTransformer` does with columns it was not fitted on).
    #[default]
    Ignore,
    /// `E_INPUT` naming them (what scikit-learn's other estimators do).
    Refuse,
}

/// How a [`TableReader`] reads: batch size and the treatment of extra columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    batch_rows: usize,
    extra: ExtraColumns,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            batch_rows: DEFAULT_BATCH_ROWS,
            extra: ExtraColumns::Ignore,
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

    /// Opens a reader over `source` with these options (reads the first line).
    ///
    /// # Errors
    /// As [`TableReader::new`].
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
    csv: csv::Reader<R>,
    plans: Vec<Plan>,
    /// Fields on every line.
    width: usize,
    batch_rows: usize,
    record: ByteRecord,
    /// The first line, when it is data rather than a header.
    pending: Option<ByteRecord>,
    /// Data rows before the current batch.
    batch_start: u64,
    /// Data rows read so far.
    rows: u64,
    /// The line of each row of the current batch.
    lines: Vec<u64>,
    /// A batch (possibly empty) has been returned.
    started: bool,
    finished: bool,
    scratch: Vec<u8>,
}

impl<R: Read> TableReader<R> {
    /// Opens a reader with the default [`CsvOptions`]: reads the first line and maps the
    /// columns.
    ///
    /// # Errors
    /// `E_INPUT` for a header without a column the model reads
    /// ([`EstimatorError::MissingColumn`]), a first line of the wrong width, or a name given
    /// twice; `E_IO` when `source` fails.
    pub fn new(source: R, columns: &[(String, ColumnKind)]) -> Result<Self> {
        Self::with_options(source, columns, CsvOptions::default())
    }

    fn with_options(
        source: R,
        columns: &[(String, ColumnKind)],
        options: CsvOptions,
    ) -> Result<Self> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(source);
        let mut first = ByteRecord::new();
        let mut scratch = Vec::new();
        let got = csv.read_byte_record(&mut first).map_err(csv_error)?;
        let (plans, width, pending) = if !got {
            // An empty input: no rows, columns as the model's (Unused ones read nothing).
            let plans = columns
                .iter()
                .map(|(name, kind)| Plan {
                    name: name.clone(),
                    kind: *kind,
                    field: None,
                })
                .collect();
            (plans, columns.len(), None)
        } else {
            let header = is_header(&first, columns, &mut scratch);
            let plans = plan(&first, header, columns, options.extra)?;
            (plans, first.len(), (!header).then_some(first))
        };
        Ok(Self {
            csv,
            plans,
            width,
            batch_rows: options.batch_rows,
            record: ByteRecord::new(),
            pending,
            batch_start: 0,
            rows: 0,
            lines: Vec::new(),
            started: false,
            finished: !got,
            scratch,
        })
    }

    /// The next batch of at most the configured number of rows. The first call always gives
    /// a table (with no rows for an input without data), so that a caller learns the output
    /// shape; later calls give `None` once the input is exhausted.
    ///
    /// # Errors
    /// `E_INPUT` for a line of the wrong width or a cell its column cannot take (naming the
    /// column, data row, line and value); `E_IO` when the source fails.
    pub fn next_batch(&mut self) -> Result<Option<Table>> {
        if self.finished && self.started {
            return Ok(None);
        }
        let cap = self.batch_rows.min(DEFAULT_BATCH_ROWS);
        let mut builders: Vec<Builder> = self.plans.iter().map(|p| Builder::new(p, cap)).collect();
        self.lines.clear();
        self.batch_start = self.rows;
        while self.lines.len() < self.batch_rows && self.read_record()? {
            let line = self.record.position().map_or(0, csv::Position::line);
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
        if self.lines.is_empty() && self.started {
            return Ok(None);
        }
        self.started = true;
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
    /// As [`TableReader::next_batch`].
    pub fn read_all(mut self) -> Result<Table> {
        self.batch_rows = usize::MAX;
        // The first call always yields a table.
        Ok(self.next_batch()?.unwrap_or_default())
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
        if let Some(first) = self.pending.take() {
            self.record = first;
            return Ok(true);
        }
        let got = self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?;
        self.finished = !got;
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

/// Whether the first line is a header (module docs).
fn is_header(first: &ByteRecord, columns: &[(String, ColumnKind)], scratch: &mut Vec<u8>) -> bool {
    let numeric_model = columns
        .iter()
        .all(|(_, k)| matches!(k, ColumnKind::Numeric | ColumnKind::Unused));
    !numeric_model
        || first
            .iter()
            .any(|cell| parse_number(cell, scratch).is_none())
}

/// Maps each model column to its CSV field.
fn plan(
    first: &ByteRecord,
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
                format!("line {}", first.position().map_or(1, csv::Position::line))
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
    let fields = match_header(&names, columns)?;
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

/// For each model column, its header field: by exact name, else by the name trimmed.
fn match_header(names: &[String], columns: &[(String, ColumnKind)]) -> Result<Vec<Option<usize>>> {
    let mut exact: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut trimmed: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        exact.entry(n.as_str()).or_default().push(i);
        trimmed.entry(n.trim()).or_default().push(i);
    }
    let mut fields = Vec::with_capacity(columns.len());
    for (name, kind) in columns {
        let found = exact
            .get(name.as_str())
            .or_else(|| trimmed.get(name.as_str()));
        match found.map(Vec::as_slice) {
            Some(&[i]) => fields.push(Some(i)),
            Some(_) => {
                return Err(EstimatorError::Table {
                    reason: format!("column {name:?} appears more than once in the header"),
                });
            }
            None if *kind == ColumnKind::Unused => fields.push(None),
            None => {
                return Err(EstimatorError::MissingColumn {
                    column: name.clone(),
                    kind: *kind,
                });
            }
        }
    }
    Ok(fields)
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

/// A string cell: `None` when empty.
fn text_cell<'a>(bytes: &'a [u8], plan: &Plan, at: Cell) -> Result<Option<&'a str>> {
    if bytes.is_empty() {
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
            "not a number ({}); a numeric column takes what Python's float() reads, an \
             empty cell (missing) or True/False",
            place(at)
        ),
    }
}

fn place(at: Cell) -> String {
    format!("line {}, data row {} counting from 1", at.line, at.row + 1)
}

/// A numeric cell by the module's rules: `None` when it is not one.
fn parse_number(cell: &[u8], scratch: &mut Vec<u8>) -> Option<f64> {
    let cell = trim(cell)?;
    if cell.is_empty() {
        return Some(f64::NAN);
    }
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
        // Beyond float(): empty and blank cells are missing, pandas' bools are 1 and 0.
        for (text, want) in [("", nan), ("  ", nan), ("True", 1.0), ("false", 0.0)] {
            let got = parse_number(text.as_bytes(), &mut scratch).unwrap();
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{text:?}"
            );
        }
        assert_eq!(parse_number(b"Yes", &mut scratch), None);
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
        assert!(
            matches!(&e, EstimatorError::MissingColumn { column, .. } if column == "b"),
            "{e}"
        );
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
    fn empty_inputs_give_one_empty_batch() {
        let s = schema(&[("a", ColumnKind::Numeric), ("b", ColumnKind::String)]);
        for text in ["", "a,b\n"] {
            let mut r = TableReader::new(text.as_bytes(), &s).unwrap();
            let t = r.next_batch().unwrap().unwrap();
            assert_eq!((t.n_rows(), t.n_columns()), (0, 2));
            // Each column of its schema kind, also when the input has no line at all.
            for (j, (_, kind)) in s.iter().enumerate() {
                assert!(kind.accepts(t.column(j).unwrap()), "{text:?}: column {j}");
            }
            assert!(r.next_batch().unwrap().is_none());
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
