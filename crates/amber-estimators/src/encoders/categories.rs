//! One input column's categories (spec/estimators.md, "Categories"): the body rules, and the
//! lookup that finds a cell's category, built once at load.
//!
//! Mirrors scikit-learn's `sklearn/utils/_encode.py` (`_check_unknown`, `_encode`) as
//! `_BaseEncoder._transform` (`sklearn/preprocessing/_encoders.py`) calls them:
//!
//! - numeric categories: a number equal (`==`, so `-0.0` is `0.0`) to a category is that
//!   category (`np.searchsorted`, after `np.isin` found it); NaN is the NaN category when
//!   there is one, else unknown; infinity is refused, as `check_array` refuses it;
//! - string categories: a string equal to a category is that category (a Python `dict`
//!   lookup, here a hash map); a missing cell is NaN, as `pandas.read_csv` makes an empty
//!   cell: the NaN category, else unknown. A `None` category (an object column that held
//!   `None` in training) is an ordinary category no table cell falls in.

use std::collections::HashMap;

use amber_codec::DType;
use amber_codec::model::{Categories, CategoryKind};

use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind};

/// Where a cell falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Category `j` (an index into the column's categories).
    Category(usize),
    /// None of them.
    Unknown,
}

/// A validated column of categories, ready to look cells up.
#[derive(Clone, Debug)]
pub(crate) struct Lookup {
    /// Ascending, finite (numeric columns).
    numbers: Vec<f64>,
    /// String -> index (string columns).
    strings: HashMap<String, usize>,
    kind: CategoryKind,
    /// The NaN category's index: where a NaN number or a missing text cell falls.
    nan: Option<usize>,
    len: usize,
}

/// The largest integer every smaller one of which an f64 holds exactly.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

impl Lookup {
    /// Checks the Categories rules at `path` and builds the lookup.
    pub(crate) fn build(c: &Categories, path: &str) -> Result<Self> {
        // Rule 2: at least one category.
        if c.is_empty() {
            return Err(EstimatorError::model(path, "has no category"));
        }
        match c.kind {
            CategoryKind::Numeric => check_numeric(c, path)?,
            CategoryKind::String => check_strings(c, path)?,
        }
        let mut strings = HashMap::with_capacity(c.strings.len());
        for (j, s) in c.strings.iter().enumerate() {
            if strings.insert(s.clone(), j).is_some() {
                return Err(EstimatorError::model(
                    format!("{path}.strings"),
                    format!("{s:?} is listed twice"),
                ));
            }
        }
        let len = c.len();
        Ok(Self {
            numbers: c.numbers.clone(),
            strings,
            kind: c.kind,
            nan: c.has_nan.then(|| len - 1),
            len,
        })
    }

    /// Number of categories.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The NaN category's index, when there is one.
    pub(crate) fn nan_index(&self) -> Option<usize> {
        self.nan
    }

    /// The kind of column the categories are looked up in.
    pub(crate) fn column_kind(&self) -> ColumnKind {
        match self.kind {
            CategoryKind::Numeric => ColumnKind::Numeric,
            CategoryKind::String => ColumnKind::String,
        }
    }

    fn number(&self, v: f64) -> Found {
        if v.is_nan() {
            return self.nan.map_or(Found::Unknown, Found::Category);
        }
        // Ascending and NaN-free (rule 3), so the comparison is total.
        match self.numbers.binary_search_by(|c| c.total_cmp(&v)) {
            Ok(j) => Found::Category(j),
            // -0.0 sorts before 0.0 in total order but equals it.
            Err(j) => [j.wrapping_sub(1), j]
                .into_iter()
                .find(|&k| self.numbers.get(k) == Some(&v))
                .map_or(Found::Unknown, Found::Category),
        }
    }

    fn text(&self, cell: Option<&str>) -> Found {
        let found = match cell {
            Some(s) => self.strings.get(s).copied(),
            None => self.nan,
        };
        found.map_or(Found::Unknown, Found::Category)
    }

    /// Looks up every cell of `column` (named `name`), calling `each(row, found)`.
    ///
    /// # Errors
    /// `E_INPUT` for a column of the other kind, or an infinite number.
    pub(crate) fn each(
        &self,
        column: &Column,
        name: &str,
        mut each: impl FnMut(usize, Found) -> Result<()>,
    ) -> Result<()> {
        match (self.kind, column) {
            (CategoryKind::Numeric, Column::Numeric(values)) => {
                for (row, &v) in values.iter().enumerate() {
                    if v.is_infinite() {
                        return Err(infinite(name, row, v));
                    }
                    each(row, self.number(v))?;
                }
                Ok(())
            }
            (CategoryKind::String, Column::Text(cells)) => {
                for (row, cell) in cells.iter().enumerate() {
                    each(row, self.text(cell))?;
                }
                Ok(())
            }
            _ => Err(EstimatorError::ColumnKind {
                column: name.to_owned(),
                expected: self.column_kind(),
                found: column.kind(),
            }),
        }
    }

    /// Looks up the numbers of a dense column (`values`, column `j`), calling
    /// `each(row, value, found)`.
    ///
    /// # Errors
    /// `E_INPUT` when the categories are strings (a dense matrix has no strings), or for an
    /// infinite number.
    pub(crate) fn each_number(
        &self,
        values: impl Iterator<Item = f64>,
        j: usize,
        mut each: impl FnMut(usize, f64, Found) -> Result<()>,
    ) -> Result<()> {
        if self.kind == CategoryKind::String {
            return Err(EstimatorError::ColumnKind {
                column: format!("#{j}"),
                expected: ColumnKind::String,
                found: ColumnKind::Numeric,
            });
        }
        for (row, v) in values.enumerate() {
            if v.is_infinite() {
                return Err(infinite(&format!("#{j}"), row, v));
            }
            each(row, v, self.number(v))?;
        }
        Ok(())
    }
}

fn infinite(name: &str, row: usize, v: f64) -> EstimatorError {
    EstimatorError::Value {
        column: name.to_owned(),
        row,
        value: format!("{v}"),
        reason: "an encoder needs finite numbers or NaN (scikit-learn refuses infinity)".into(),
    }
}

/// `E_INPUT` for a category unseen in training where the encoder refuses unknown ones.
pub(crate) fn unknown_category(column: &Column, name: &str, row: usize) -> EstimatorError {
    let missing = match column {
        Column::Numeric(v) => v.get(row).is_some_and(|x| x.is_nan()),
        Column::Text(t) => t.is_missing(row),
    };
    EstimatorError::Value {
        column: name.to_owned(),
        row,
        value: column.describe(row),
        reason: unknown_reason(missing),
    }
}

/// `E_INPUT` for an unknown number of dense column `j` (handle_unknown="error").
pub(crate) fn unknown_number(j: usize, row: usize, value: f64) -> EstimatorError {
    EstimatorError::Value {
        column: format!("#{j}"),
        row,
        value: format!("{value}"),
        reason: unknown_reason(value.is_nan()),
    }
}

fn unknown_reason(missing: bool) -> String {
    let what = if missing {
        "a missing value (NaN), and this column had none in training"
    } else {
        "this category was not seen in training"
    };
    format!("{what}; the encoder has handle_unknown=\"error\"")
}

/// Rule 3 of "Categories": numeric categories.
fn check_numeric(c: &Categories, path: &str) -> Result<()> {
    if !c.strings.is_empty() || c.has_none || c.str_width != 0 || c.numpy_strings {
        return Err(EstimatorError::model(
            path,
            "numeric categories have no strings, has_none, str_width or numpy_strings",
        ));
    }
    let pairs = c.numbers.iter().zip(c.numbers.iter().skip(1));
    for (j, (a, b)) in pairs.enumerate() {
        if a.partial_cmp(b) != Some(std::cmp::Ordering::Less) {
            return Err(EstimatorError::model(
                format!("{path}.numbers"),
                format!("[{}] = {b} does not exceed [{j}] = {a}", j + 1),
            ));
        }
    }
    if let Some(v) = c.numbers.iter().find(|v| !v.is_finite()) {
        return Err(EstimatorError::model(
            format!("{path}.numbers"),
            format!("{v} is not finite (NaN is has_nan)"),
        ));
    }
    let dtype = c.dtype.ok_or_else(|| {
        EstimatorError::model(format!("{path}.dtype"), "numeric categories need a dtype")
    })?;
    let fits = |v: f64| match dtype {
        DType::F64 => true,
        // Exactly an f32 value: the cast is the check.
        #[allow(clippy::cast_possible_truncation)]
        DType::F32 => f64::from(v as f32) == v,
        DType::I64 => v.fract() == 0.0 && v.abs() <= EXACT_INT,
        DType::I32 => v.fract() == 0.0 && (-2_147_483_648.0..=2_147_483_647.0).contains(&v),
        DType::U8 => v.fract() == 0.0 && (0.0..=255.0).contains(&v),
        DType::U32 => v.fract() == 0.0 && (0.0..=4_294_967_295.0).contains(&v),
        DType::U64 => v.fract() == 0.0 && (0.0..=EXACT_INT).contains(&v),
        DType::Bool => v == 0.0 || v == 1.0,
    };
    if let Some(v) = c.numbers.iter().find(|&&v| !fits(v)) {
        return Err(EstimatorError::model(
            format!("{path}.numbers"),
            format!("{v} is not a {dtype} value"),
        ));
    }
    if c.has_nan && !matches!(dtype, DType::F64 | DType::F32) {
        return Err(EstimatorError::model(
            format!("{path}.has_nan"),
            format!("{dtype} categories cannot hold NaN"),
        ));
    }
    Ok(())
}

/// Rule 4 of "Categories": string categories (distinct: checked as the map is built).
fn check_strings(c: &Categories, path: &str) -> Result<()> {
    if !c.numbers.is_empty() || c.dtype.is_some() {
        return Err(EstimatorError::model(
            path,
            "string categories have no numbers or dtype",
        ));
    }
    if c.str_width == 0 {
        return Ok(());
    }
    if c.has_none || c.has_nan || c.numpy_strings {
        return Err(EstimatorError::model(
            path,
            "fixed-width (str_width > 0) categories are not objects: no None, NaN or \
             numpy_strings",
        ));
    }
    let width = usize::try_from(c.str_width).unwrap_or(usize::MAX);
    if let Some(s) = c
        .strings
        .iter()
        .find(|s| s.chars().count() > width || s.ends_with('\0'))
    {
        return Err(EstimatorError::model(
            format!("{path}.strings"),
            format!("{s:?} is not a str{} value", c.str_width),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::table::TextColumn;

    pub(crate) fn numeric(numbers: &[f64], has_nan: bool) -> Categories {
        Categories {
            kind: CategoryKind::Numeric,
            numbers: numbers.to_vec(),
            strings: vec![],
            has_none: false,
            has_nan,
            dtype: Some(DType::F64),
            str_width: 0,
            numpy_strings: false,
        }
    }

    pub(crate) fn strings(strings: &[&str], has_none: bool, has_nan: bool) -> Categories {
        Categories {
            kind: CategoryKind::String,
            numbers: vec![],
            strings: strings.iter().map(|s| (*s).to_owned()).collect(),
            has_none,
            has_nan,
            dtype: None,
            str_width: 0,
            numpy_strings: false,
        }
    }

    fn found(l: &Lookup, column: &Column) -> Vec<Found> {
        let mut out = vec![];
        l.each(column, "c", |_, f| {
            out.push(f);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn numbers_match_by_equality_and_nan_is_its_category() {
        let l = Lookup::build(&numeric(&[-1.0, 0.0, 2.5], true), "c").unwrap();
        let col = Column::Numeric(vec![-0.0, 2.5, 2.4, f64::NAN, -1.0]);
        use Found::{Category, Unknown};
        assert_eq!(
            found(&l, &col),
            [Category(1), Category(2), Unknown, Category(3), Category(0)]
        );
        let no_nan = Lookup::build(&numeric(&[0.0], false), "c").unwrap();
        assert_eq!(found(&no_nan, &Column::Numeric(vec![f64::NAN])), [Unknown]);
    }

    #[test]
    fn a_missing_cell_is_nan_never_none() {
        use Found::{Category, Unknown};
        let cells = Column::Text(TextColumn::from_iter([None, Some("b"), Some("z")]));
        let both = Lookup::build(&strings(&["b", "a"], true, true), "c").unwrap();
        assert_eq!(found(&both, &cells), [Category(3), Category(0), Unknown]);
        let none = Lookup::build(&strings(&["b", "a"], true, false), "c").unwrap();
        assert_eq!(found(&none, &cells), [Unknown, Category(0), Unknown]);
        let neither = Lookup::build(&strings(&["b"], false, false), "c").unwrap();
        assert_eq!(found(&neither, &cells), [Unknown, Category(0), Unknown]);
    }

    #[test]
    fn infinity_and_the_wrong_kind_are_e_input() {
        let l = Lookup::build(&numeric(&[0.0], false), "c").unwrap();
        let e = l
            .each(&Column::Numeric(vec![0.0, f64::INFINITY]), "age", |_, _| {
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(&e, EstimatorError::Value { row: 1, .. }), "{e}");
        let text = Column::Text(TextColumn::from_iter([Some("0")]));
        let e = l.each(&text, "age", |_, _| Ok(())).unwrap_err();
        assert!(matches!(e, EstimatorError::ColumnKind { .. }));
        let s = Lookup::build(&strings(&["a"], false, false), "c").unwrap();
        let e = s
            .each_number([1.0].into_iter(), 3, |_, _, _| Ok(()))
            .unwrap_err();
        assert!(
            e.to_string().contains("\"#3\"") && e.to_string().contains("string"),
            "{e}"
        );
    }

    #[test]
    fn rule_2_no_category() {
        let e = Lookup::build(&numeric(&[], false), "p").unwrap_err();
        assert!(e.to_string().contains("no category"), "{e}");
    }

    #[test]
    fn rule_3_numbers_ascending_finite_and_of_their_dtype() {
        for (numbers, dtype, has_nan, says) in [
            (vec![1.0, 1.0], DType::F64, false, "does not exceed"),
            (vec![2.0, 1.0], DType::F64, false, "does not exceed"),
            (vec![f64::INFINITY], DType::F64, false, "not finite"),
            (vec![0.1], DType::F32, false, "not a f32"),
            (vec![1.5], DType::I64, false, "not a i64"),
            (vec![300.0], DType::U8, false, "not a u8"),
            (vec![2.0], DType::Bool, false, "not a bool"),
            (vec![1.0], DType::I32, true, "cannot hold NaN"),
        ] {
            let mut c = numeric(&numbers, has_nan);
            c.dtype = Some(dtype);
            let e = Lookup::build(&c, "p").unwrap_err();
            assert!(e.to_string().contains(says), "{numbers:?} {dtype}: {e}");
        }
        let mut c = numeric(&[1.0], false);
        c.dtype = None;
        assert!(Lookup::build(&c, "p").is_err());
        c = numeric(&[1.0], false);
        c.has_none = true;
        assert!(Lookup::build(&c, "p").is_err());
    }

    #[test]
    fn rule_4_strings_distinct_and_within_their_width() {
        let e = Lookup::build(&strings(&["a", "a"], false, false), "p").unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let mut c = strings(&["abc"], false, false);
        c.str_width = 2;
        assert!(Lookup::build(&c, "p").is_err());
        c.str_width = 3;
        assert!(Lookup::build(&c, "p").is_ok());
        c.has_nan = true;
        assert!(Lookup::build(&c, "p").is_err());
        let mut c = strings(&["a"], false, false);
        c.numbers = vec![1.0];
        assert!(Lookup::build(&c, "p").is_err());
    }
}
