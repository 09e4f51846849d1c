//! [`Table`]: named columns of numbers or strings, the input of models that read strings.
//!
//! A model fitted on a pandas DataFrame knows its columns by name, and some of them hold
//! strings (categories an encoder maps to numbers). A `Table` holds such an input: each
//! column a name and either numbers ([`Column::Numeric`], NaN is missing) or strings
//! ([`Column::Text`], `None` is missing: what pandas' `None` and `NaN` are in an object
//! column). [`Model`](crate::Model) matches a table's columns to the model's input schema by
//! name, in any order (`spec/format.md` §7, "Input schema"), so a table built from a CSV
//! header or a DataFrame's columns can be passed as it is.
//!
//! ```
//! use amber_estimators::{Table, TextColumn};
//!
//! let mut t = Table::new(2);
//! t.push_numeric("age", vec![41.0, f64::NAN])?;
//! t.push_text("city", TextColumn::from_iter([Some("Paris"), None]))?;
//! assert_eq!(t.n_rows(), 2);
//! assert_eq!(t.names(), ["age", "city"]);
//! # Ok::<(), amber_estimators::EstimatorError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2};

use crate::error::{EstimatorError, Result};

/// What a model's input column holds (`spec/format.md` §7, `ColumnKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Numbers (f64; NaN is missing).
    Numeric,
    /// Strings (a missing cell is allowed where the consuming step accepts it).
    String,
    /// Either: a pandas object column whose consumers accept numbers and strings.
    Any,
    /// Read by no step (a column `ColumnTransformer` drops): it may be absent from the input.
    Unused,
}

impl ColumnKind {
    /// Whether a column holding `column` satisfies this kind.
    #[must_use]
    pub fn accepts(self, column: &Column) -> bool {
        match (self, column) {
            (Self::Any | Self::Unused, _)
            | (Self::Numeric, Column::Numeric(_))
            | (Self::String, Column::Text(_)) => true,
            (Self::Numeric, Column::Text(_)) | (Self::String, Column::Numeric(_)) => false,
        }
    }

    /// The spec's name of the kind, for messages: `numeric`, `string`, `any`, `unused`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Numeric => "numeric",
            Self::String => "string",
            Self::Any => "any",
            Self::Unused => "unused",
        }
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A column of optional strings, stored as one buffer and offsets (no allocation per cell).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    bytes: String,
    /// `ends[i]` is where cell `i` ends in `bytes`; it starts at `ends[i - 1]` (or 0).
    ends: Vec<usize>,
    /// `missing[i]`: cell `i` is missing (its byte range is empty).
    missing: Vec<bool>,
}

impl TextColumn {
    /// An empty column with room for `rows` cells of `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Self {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
            missing: Vec::with_capacity(rows),
        }
    }

    /// Appends a cell: `None` is missing.
    pub fn push(&mut self, cell: Option<&str>) {
        if let Some(s) = cell {
            self.bytes.push_str(s);
        }
        self.ends.push(self.bytes.len());
        self.missing.push(cell.is_none());
    }

    /// Cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i`: `None` when missing or out of range.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        if *self.missing.get(i)? {
            return None;
        }
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(prev) => *self.ends.get(prev)?,
            None => 0,
        };
        // Every end is a `bytes.len()` taken after a whole `&str` was pushed, so the range
        // is on character boundaries.
        self.bytes.get(start..end)
    }

    /// Whether cell `i` is missing (`false` out of range).
    #[must_use]
    pub fn is_missing(&self, i: usize) -> bool {
        self.missing.get(i).copied().unwrap_or(false)
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<'a> FromIterator<Option<&'a str>> for TextColumn {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(iter: I) -> Self {
        let mut c = TextColumn::default();
        for cell in iter {
            c.push(cell);
        }
        c
    }
}

impl fmt::Debug for TextColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().take(8)).finish()?;
        if self.len() > 8 {
            write!(f, " ({} cells)", self.len())?;
        }
        Ok(())
    }
}

/// One column's cells.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Numbers; NaN is missing.
    Numeric(Vec<f64>),
    /// Strings; `None` is missing.
    Text(TextColumn),
}

impl Column {
    /// Cells.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Numeric(v) => v.len(),
            Self::Text(t) => t.len(),
        }
    }

    /// Whether there are no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the column holds, as a kind (`Numeric` or `String`).
    #[must_use]
    pub fn kind(&self) -> ColumnKind {
        match self {
            Self::Numeric(_) => ColumnKind::Numeric,
            Self::Text(_) => ColumnKind::String,
        }
    }

    /// Cell `i` for messages: the number, the quoted string, or `missing`.
    #[must_use]
    pub fn describe(&self, i: usize) -> String {
        match self {
            Self::Numeric(v) => v
                .get(i)
                .map_or_else(|| "missing".into(), |x| format!("{x}")),
            Self::Text(t) => t
                .get(i)
                .map_or_else(|| "missing".into(), |s| format!("{s:?}")),
        }
    }
}

/// Named columns of equal length. Cloning is cheap: columns are shared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    n_rows: usize,
    names: Vec<String>,
    columns: Vec<Arc<Column>>,
}

impl Table {
    /// An empty table of `n_rows` rows, to push columns into.
    #[must_use]
    pub fn new(n_rows: usize) -> Self {
        Self {
            n_rows,
            names: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Appends a column of numbers.
    ///
    /// # Errors
    /// `E_INPUT` when its length is not the table's row count or the name is taken.
    pub fn push_numeric(&mut self, name: impl Into<String>, values: Vec<f64>) -> Result<()> {
        self.push(name.into(), Column::Numeric(values))
    }

    /// Appends a column of strings.
    ///
    /// # Errors
    /// As [`Table::push_numeric`].
    pub fn push_text(&mut self, name: impl Into<String>, values: TextColumn) -> Result<()> {
        self.push(name.into(), Column::Text(values))
    }

    /// Appends a column.
    ///
    /// # Errors
    /// As [`Table::push_numeric`].
    pub fn push(&mut self, name: String, column: Column) -> Result<()> {
        if column.len() != self.n_rows {
            return Err(EstimatorError::Table {
                reason: format!(
                    "column {name:?} has {} rows, the table {}",
                    column.len(),
                    self.n_rows
                ),
            });
        }
        if !name.is_empty() && self.names.contains(&name) {
            return Err(EstimatorError::Table {
                reason: format!("column {name:?} is given twice"),
            });
        }
        self.push_shared(name, Arc::new(column));
        Ok(())
    }

    /// Appends a shared column whose length was checked.
    pub(crate) fn push_shared(&mut self, name: String, column: Arc<Column>) {
        debug_assert_eq!(column.len(), self.n_rows);
        self.names.push(name);
        self.columns.push(column);
    }

    /// Rows.
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Columns.
    #[must_use]
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// The column names, in order (empty strings for unnamed columns).
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Column `i`.
    #[must_use]
    pub fn column(&self, i: usize) -> Option<&Column> {
        self.columns.get(i).map(AsRef::as_ref)
    }

    /// The index of the column named `name`.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The columns with their names, shared.
    pub(crate) fn shared_columns(&self) -> impl Iterator<Item = (&String, &Arc<Column>)> {
        self.names.iter().zip(&self.columns)
    }

    /// The columns at `indices`, in that order (shared, not copied).
    ///
    /// # Errors
    /// `E_INPUT` when an index is out of range.
    pub(crate) fn select(&self, indices: &[usize]) -> Result<Table> {
        let mut out = Table::new(self.n_rows);
        for &i in indices {
            let column = self.columns.get(i).ok_or(EstimatorError::Input {
                expected: i + 1,
                found: self.columns.len(),
            })?;
            let name = self.names.get(i).cloned().unwrap_or_default();
            out.push_shared(name, Arc::clone(column));
        }
        Ok(out)
    }

    /// The table of a dense matrix's columns, unnamed.
    #[must_use]
    pub fn from_dense(x: ArrayView2<'_, f64>) -> Table {
        let mut out = Table::new(x.nrows());
        for col in x.columns() {
            out.push_shared(String::new(), Arc::new(Column::Numeric(col.to_vec())));
        }
        out
    }

    /// The columns as one `[n_rows, n_columns]` matrix of numbers.
    ///
    /// # Errors
    /// `E_INPUT` naming the first column that holds strings (and its first value): a numeric
    /// step never coerces text.
    pub fn to_dense(&self) -> Result<Array2<f64>> {
        let mut out = Array2::zeros((self.n_rows, self.columns.len()));
        for (j, column) in self.columns.iter().enumerate() {
            match column.as_ref() {
                Column::Numeric(v) => {
                    for (dst, &src) in out.column_mut(j).iter_mut().zip(v) {
                        *dst = src;
                    }
                }
                Column::Text(t) => {
                    let row = (0..t.len()).find(|&i| !t.is_missing(i)).unwrap_or(0);
                    return Err(EstimatorError::Value {
                        column: self.label(j),
                        row,
                        value: column.describe(row),
                        reason: "a numeric step needs numbers here, and strings are never \
                                 converted"
                            .into(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Column `j` for messages: its name, or `#j` when unnamed.
    #[must_use]
    pub fn label(&self, j: usize) -> String {
        match self.names.get(j) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("#{j}"),
        }
    }

    /// Rows `range` of every column, copied.
    pub(crate) fn rows(&self, range: std::ops::Range<usize>) -> Table {
        let mut out = Table::new(range.len());
        for (name, column) in self.names.iter().zip(&self.columns) {
            let part = match column.as_ref() {
                Column::Numeric(v) => Column::Numeric(v.get(range.clone()).unwrap_or(&[]).to_vec()),
                Column::Text(t) => Column::Text(range.clone().map(|i| t.get(i)).collect()),
            };
            out.push_shared(name.clone(), Arc::new(part));
        }
        out
    }

    /// The rows of `parts`, one table after the other (same columns in each).
    pub(crate) fn stack(parts: &[Table]) -> Result<Table> {
        let Some(first) = parts.first() else {
            return Ok(Table::new(0));
        };
        let n_rows = parts.iter().map(Table::n_rows).sum();
        let mut out = Table::new(n_rows);
        for (j, name) in first.names.iter().enumerate() {
            let column = match first.column(j) {
                Some(Column::Numeric(_)) => {
                    let mut v = Vec::with_capacity(n_rows);
                    for p in parts {
                        let Some(Column::Numeric(x)) = p.column(j) else {
                            return Err(stack_mismatch(j));
                        };
                        v.extend_from_slice(x);
                    }
                    Column::Numeric(v)
                }
                _ => {
                    let mut t = TextColumn::default();
                    for p in parts {
                        let Some(Column::Text(x)) = p.column(j) else {
                            return Err(stack_mismatch(j));
                        };
                        x.iter().for_each(|c| t.push(c));
                    }
                    Column::Text(t)
                }
            };
            out.push(name.clone(), column)?;
        }
        Ok(out)
    }

    /// Whether every column holds numbers.
    #[must_use]
    pub fn is_numeric(&self) -> bool {
        self.columns
            .iter()
            .all(|c| matches!(c.as_ref(), Column::Numeric(_)))
    }
}

fn stack_mismatch(j: usize) -> EstimatorError {
    EstimatorError::Table {
        reason: format!("column {j} holds numbers in one part and strings in another"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Table {
        let mut t = Table::new(3);
        t.push_numeric("a", vec![1.0, f64::NAN, 3.0]).unwrap();
        t.push_text("b", TextColumn::from_iter([Some("x"), None, Some("")]))
            .unwrap();
        t
    }

    #[test]
    fn text_cells_round_trip_with_missing_and_empty() {
        let t = sample();
        let Some(Column::Text(b)) = t.column(1) else {
            panic!("text column")
        };
        assert_eq!(b.iter().collect::<Vec<_>>(), [Some("x"), None, Some("")]);
        assert!(b.is_missing(1) && !b.is_missing(2));
        assert_eq!(b.get(7), None);
    }

    #[test]
    fn lengths_and_names_are_checked() {
        let mut t = sample();
        assert_eq!(
            t.push_numeric("c", vec![1.0]).unwrap_err().code(),
            "E_INPUT"
        );
        assert_eq!(
            t.push_numeric("a", vec![0.0; 3]).unwrap_err().code(),
            "E_INPUT"
        );
    }

    #[test]
    fn dense_round_trip_keeps_every_bit() {
        let x = array![[1.0, -0.0], [f64::NAN, 1e-300]];
        let back = Table::from_dense(x.view()).to_dense().unwrap();
        for (a, b) in x.iter().zip(back.iter()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn strings_never_become_numbers() {
        let err = sample().to_dense().unwrap_err();
        assert_eq!(err.code(), "E_INPUT");
        let msg = err.to_string();
        assert!(msg.contains("\"b\"") && msg.contains("\"x\""), "{msg}");
    }

    #[test]
    fn select_shares_columns_in_the_given_order() {
        let t = sample().select(&[1, 0]).unwrap();
        assert_eq!(t.names(), ["b", "a"]);
        assert!(sample().select(&[2]).is_err());
    }

    #[test]
    fn kinds_accept_their_columns() {
        let t = sample();
        let (a, b) = (t.column(0).unwrap(), t.column(1).unwrap());
        assert!(ColumnKind::Numeric.accepts(a) && !ColumnKind::Numeric.accepts(b));
        assert!(ColumnKind::String.accepts(b) && !ColumnKind::String.accepts(a));
        assert!(ColumnKind::Any.accepts(a) && ColumnKind::Unused.accepts(b));
    }
}
