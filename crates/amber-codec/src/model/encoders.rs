//! Domain types of the encoder bodies (spec/estimators.md, "Categories", "OneHotEncoder",
//! "OrdinalEncoder"), each with its conversion from the raw manifest type beside it.
//!
//! The conversion checks what a typed value needs (known enum values, present messages);
//! the body rules on the values (ascending numbers, distinct strings, indices in range) are
//! the estimators crate's, where the lookups are built.

use amber_schema::raw;

use super::{Labels, labels_from_raw};
use crate::error::{CodecError, Result};
use crate::tensor::DType;

/// What an encoder's input column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CategoryKind {
    /// Numbers (NaN is missing).
    Numeric,
    /// Strings (a missing cell is missing).
    String,
}

/// One input column's categories, in scikit-learn's order: `numbers` or `strings`, then
/// None (`has_none`), then NaN (`has_nan`).
#[derive(Clone, Debug, PartialEq)]
pub struct Categories {
    /// Numeric or string column.
    pub kind: CategoryKind,
    /// `Numeric`: the non-missing categories.
    pub numbers: Vec<f64>,
    /// `String`: the non-missing categories.
    pub strings: Vec<String>,
    /// A category for Python's `None` (`String` only).
    pub has_none: bool,
    /// A last category for NaN (a missing cell).
    pub has_nan: bool,
    /// `Numeric`: the dtype scikit-learn held the categories in (rebuild only).
    pub dtype: Option<DType>,
    /// `String`: 0 for Python objects, else the width of numpy's `<Un` (rebuild only).
    pub str_width: u32,
    /// `String` objects: `numpy.str_`, not `str` (rebuild only).
    pub numpy_strings: bool,
}

impl Categories {
    /// Number of categories, missing ones included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.numbers.len()
            + self.strings.len()
            + usize::from(self.has_none)
            + usize::from(self.has_nan)
    }

    /// Whether there are none (a body rule refuses that).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a one-hot encoder does with a category unseen in training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneHotUnknown {
    /// `E_INPUT`.
    Error,
    /// All the column's outputs are 0.
    Zeros,
    /// The infrequent group's output when the column has one, else all 0.
    Infrequent,
}

/// One input column of a one-hot encoder.
#[derive(Clone, Debug, PartialEq)]
pub struct OneHotFeature {
    /// Its categories.
    pub categories: Categories,
    /// Indices into the categories grouped into one output.
    pub infrequent: Vec<u32>,
    /// The output left out, an index into the grouped outputs.
    pub drop: Option<u32>,
}

/// One 0/1 output per category (`OneHotEncoder`).
#[derive(Clone, Debug, PartialEq)]
pub struct OneHotEncoder {
    /// One per input column.
    pub features: Vec<OneHotFeature>,
    /// Unknown categories.
    pub unknown: OneHotUnknown,
    /// The output dtype.
    pub dtype: DType,
}

/// What an ordinal encoder does with a category unseen in training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrdinalUnknown {
    /// `E_INPUT`.
    Error,
    /// `unknown_value`.
    Value,
}

/// One input column of an ordinal encoder.
#[derive(Clone, Debug, PartialEq)]
pub struct OrdinalFeature {
    /// Its categories.
    pub categories: Categories,
    /// Indices into the categories (never the NaN one) that share one code.
    pub infrequent: Vec<u32>,
}

/// Each category's index (`OrdinalEncoder`).
#[derive(Clone, Debug, PartialEq)]
pub struct OrdinalEncoder {
    /// One per input column.
    pub features: Vec<OrdinalFeature>,
    /// Unknown categories.
    pub unknown: OrdinalUnknown,
    /// What an unknown category becomes (`Value`).
    pub unknown_value: f64,
    /// What the NaN category becomes.
    pub encoded_missing_value: f64,
    /// The output dtype.
    pub dtype: DType,
}

/// One input column of a target encoder.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetEncoderFeature {
    /// Its categories.
    pub categories: Categories,
    /// `n_categories * k`: category `j`'s output `c` is `encodings[j * k + c]`.
    pub encodings: Vec<f64>,
}

/// Each column's category encodings (`TargetEncoder`, transform).
#[derive(Clone, Debug, PartialEq)]
pub struct TargetEncoder {
    /// One per input column.
    pub features: Vec<TargetEncoderFeature>,
    /// What an unknown category gives, `k` values (one per output of a column).
    pub target_mean: Vec<f64>,
    /// The target's classes, for a rebuild.
    pub classes: Option<Labels>,
}

fn categories_from_raw(c: Option<raw::Categories>, path: &str) -> Result<Categories> {
    let c = c.ok_or_else(|| CodecError::model(path, "is absent"))?;
    let kind = match raw::CategoryKind::try_from(c.kind) {
        Ok(raw::CategoryKind::Numeric) => CategoryKind::Numeric,
        Ok(raw::CategoryKind::String) => CategoryKind::String,
        Ok(raw::CategoryKind::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{path}.kind"),
                format!("{} is not a known category kind", c.kind),
            ));
        }
    };
    let dtype = match c.dtype {
        0 => None,
        d => Some(DType::from_raw(d).ok_or_else(|| {
            CodecError::model(format!("{path}.dtype"), format!("{d} is not a known dtype"))
        })?),
    };
    Ok(Categories {
        kind,
        numbers: c.numbers,
        strings: c.strings,
        has_none: c.has_none,
        has_nan: c.has_nan,
        dtype,
        str_width: c.str_width,
        numpy_strings: c.numpy_strings,
    })
}

fn categories_to_raw(c: Categories) -> raw::Categories {
    raw::Categories {
        kind: match c.kind {
            CategoryKind::Numeric => raw::CategoryKind::Numeric,
            CategoryKind::String => raw::CategoryKind::String,
        } as i32,
        numbers: c.numbers,
        strings: c.strings,
        has_none: c.has_none,
        has_nan: c.has_nan,
        dtype: c.dtype.map_or(0, |d| raw::DType::from(d) as i32),
        str_width: c.str_width,
        numpy_strings: c.numpy_strings,
    }
}

fn output_dtype(d: i32, path: &str) -> Result<DType> {
    DType::from_raw(d).ok_or_else(|| {
        CodecError::model(
            format!("{path}.dtype"),
            format!("{d} is not a known output dtype"),
        )
    })
}

pub(super) fn one_hot_from_raw(b: raw::OneHotEncoder, path: &str) -> Result<OneHotEncoder> {
    let unknown = match raw::OneHotUnknown::try_from(b.unknown) {
        Ok(raw::OneHotUnknown::Error) => OneHotUnknown::Error,
        Ok(raw::OneHotUnknown::Zeros) => OneHotUnknown::Zeros,
        Ok(raw::OneHotUnknown::Infrequent) => OneHotUnknown::Infrequent,
        Ok(raw::OneHotUnknown::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{path}.unknown"),
                format!("{} is not a known unknown-category rule", b.unknown),
            ));
        }
    };
    let features = b
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(OneHotFeature {
                categories: categories_from_raw(
                    f.categories,
                    &format!("{path}.features[{i}].categories"),
                )?,
                infrequent: f.infrequent,
                drop: f.drop,
            })
        })
        .collect::<Result<_>>()?;
    Ok(OneHotEncoder {
        features,
        unknown,
        dtype: output_dtype(b.dtype, path)?,
    })
}

pub(super) fn one_hot_to_raw(b: OneHotEncoder) -> raw::OneHotEncoder {
    raw::OneHotEncoder {
        features: b
            .features
            .into_iter()
            .map(|f| raw::OneHotFeature {
                categories: Some(categories_to_raw(f.categories)),
                infrequent: f.infrequent,
                drop: f.drop,
            })
            .collect(),
        unknown: match b.unknown {
            OneHotUnknown::Error => raw::OneHotUnknown::Error,
            OneHotUnknown::Zeros => raw::OneHotUnknown::Zeros,
            OneHotUnknown::Infrequent => raw::OneHotUnknown::Infrequent,
        } as i32,
        dtype: raw::DType::from(b.dtype) as i32,
    }
}

pub(super) fn ordinal_from_raw(b: raw::OrdinalEncoder, path: &str) -> Result<OrdinalEncoder> {
    let unknown = match raw::OrdinalUnknown::try_from(b.unknown) {
        Ok(raw::OrdinalUnknown::Error) => OrdinalUnknown::Error,
        Ok(raw::OrdinalUnknown::Value) => OrdinalUnknown::Value,
        Ok(raw::OrdinalUnknown::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{path}.unknown"),
                format!("{} is not a known unknown-category rule", b.unknown),
            ));
        }
    };
    let features = b
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(OrdinalFeature {
                categories: categories_from_raw(
                    f.categories,
                    &format!("{path}.features[{i}].categories"),
                )?,
                infrequent: f.infrequent,
            })
        })
        .collect::<Result<_>>()?;
    Ok(OrdinalEncoder {
        features,
        unknown,
        unknown_value: b.unknown_value,
        encoded_missing_value: b.encoded_missing_value,
        dtype: output_dtype(b.dtype, path)?,
    })
}

pub(super) fn ordinal_to_raw(b: OrdinalEncoder) -> raw::OrdinalEncoder {
    raw::OrdinalEncoder {
        features: b
            .features
            .into_iter()
            .map(|f| raw::OrdinalFeature {
                categories: Some(categories_to_raw(f.categories)),
                infrequent: f.infrequent,
            })
            .collect(),
        unknown: match b.unknown {
            OrdinalUnknown::Error => raw::OrdinalUnknown::Error,
            OrdinalUnknown::Value => raw::OrdinalUnknown::Value,
        } as i32,
        unknown_value: b.unknown_value,
        encoded_missing_value: b.encoded_missing_value,
        dtype: raw::DType::from(b.dtype) as i32,
    }
}

pub(super) fn target_from_raw(b: raw::TargetEncoder, path: &str) -> Result<TargetEncoder> {
    let features = b
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(TargetEncoderFeature {
                categories: categories_from_raw(
                    f.categories,
                    &format!("{path}.features[{i}].categories"),
                )?,
                encodings: f.encodings,
            })
        })
        .collect::<Result<_>>()?;
    let classes = b
        .classes
        .map(|c| labels_from_raw(c, &format!("{path}.classes")))
        .transpose()?;
    Ok(TargetEncoder {
        features,
        target_mean: b.target_mean,
        classes,
    })
}

pub(super) fn target_to_raw(b: TargetEncoder) -> raw::TargetEncoder {
    raw::TargetEncoder {
        features: b
            .features
            .into_iter()
            .map(|f| raw::TargetEncoderFeature {
                categories: Some(categories_to_raw(f.categories)),
                encodings: f.encodings,
            })
            .collect(),
        target_mean: b.target_mean,
        classes: b.classes.map(raw::Labels::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_categories(kind: i32) -> raw::Categories {
        raw::Categories {
            kind,
            strings: vec!["a".into()],
            ..Default::default()
        }
    }

    #[test]
    fn one_hot_round_trips() {
        let b = raw::OneHotEncoder {
            features: vec![raw::OneHotFeature {
                categories: Some(raw_categories(raw::CategoryKind::String as i32)),
                infrequent: vec![0],
                drop: Some(0),
            }],
            unknown: raw::OneHotUnknown::Infrequent as i32,
            dtype: raw::DType::DtypeF32 as i32,
        };
        let d = one_hot_from_raw(b.clone(), "e").unwrap();
        assert_eq!(d.features[0].categories.len(), 1);
        assert_eq!(one_hot_to_raw(d), b);
    }

    #[test]
    fn unknown_category_kind_is_e_model() {
        let b = raw::OrdinalEncoder {
            features: vec![raw::OrdinalFeature {
                categories: Some(raw_categories(9)),
                infrequent: vec![],
            }],
            unknown: raw::OrdinalUnknown::Error as i32,
            dtype: raw::DType::DtypeF64 as i32,
            ..Default::default()
        };
        let e = ordinal_from_raw(b, "e").unwrap_err();
        assert_eq!(e.code(), "E_MODEL");
        assert!(e.to_string().contains("features[0].categories.kind"), "{e}");
    }

    #[test]
    fn absent_categories_and_unspecified_enums_are_e_model() {
        let b = raw::OneHotEncoder {
            features: vec![raw::OneHotFeature::default()],
            unknown: raw::OneHotUnknown::Error as i32,
            dtype: raw::DType::DtypeF64 as i32,
        };
        assert!(
            one_hot_from_raw(b, "e")
                .unwrap_err()
                .to_string()
                .contains("absent")
        );
        let b = raw::OrdinalEncoder {
            dtype: raw::DType::DtypeF64 as i32,
            ..Default::default()
        };
        assert!(
            ordinal_from_raw(b, "e")
                .unwrap_err()
                .to_string()
                .contains("unknown")
        );
        let b = raw::OneHotEncoder {
            unknown: raw::OneHotUnknown::Error as i32,
            ..Default::default()
        };
        assert!(
            one_hot_from_raw(b, "e")
                .unwrap_err()
                .to_string()
                .contains("dtype")
        );
    }
}
