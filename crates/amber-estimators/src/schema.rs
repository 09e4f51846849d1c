//! The input schema (`spec/format.md` §7): the model's input columns, checked against what
//! its estimators read, and inputs matched to it by name.

use std::sync::Arc;

use amber_codec::Manifest;
use amber_codec::model::{self, Body};

use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind, Table};
use crate::traits::Estimator;

/// `MAX_UNBACKED_FEATURES` of `spec/format.md` §7: `max(2^20, 16 * file_length)`.
pub(crate) fn max_unbacked_features(file_length: usize) -> usize {
    (1usize << 20).max(file_length.saturating_mul(16))
}

/// Whether `est` or an estimator inside it reads columns by kind (strings, or columns it
/// drops or passes through): the bodies of `spec/format.md` §7 whose input kinds are not
/// simply "every column numeric".
pub(crate) fn kind_bearing(est: &model::Estimator) -> bool {
    match &est.body {
        Body::ColumnTransformer(_)
        | Body::FeatureUnion(_)
        | Body::OneHotEncoder(_)
        | Body::OrdinalEncoder(_)
        | Body::TargetEncoder(_)
        | Body::SimpleImputer(_)
        | Body::MissingIndicator(_)
        | Body::KnnImputer(_) => true,
        Body::Pipeline(p) => p
            .steps
            .iter()
            .filter_map(|s| s.estimator.as_ref())
            .any(kind_bearing),
        Body::Boosting(b) => {
            b.preprocessor.is_some() || b.init.as_ref().is_some_and(|(e, _)| kind_bearing(e))
        }
        Body::Voting(_)
        | Body::Stacking(_)
        | Body::Calibration(_)
        | Body::Multiclass(_)
        | Body::MultiOutput(_)
        | Body::TransformedTarget(_)
        | Body::ThresholdClassifier(_)
        | Body::Bagging(_)
        | Body::AdaBoost(_) => est.nested().into_iter().any(kind_bearing),
        _ => false,
    }
}

/// Rule 5 (`E_LIMIT`): in a model with an input schema or a kind-bearing body, no estimator
/// declares more than `MAX_UNBACKED_FEATURES` input features, so deriving the kinds (one per
/// column) allocates no more than the file backs. Checked before anything is built.
pub(crate) fn check_limit(m: &Manifest, file_length: usize) -> Result<()> {
    if m.input.is_none() && !kind_bearing(&m.estimator) {
        return Ok(());
    }
    let limit = max_unbacked_features(file_length);
    let mut stack = vec![&m.estimator];
    while let Some(est) = stack.pop() {
        if est.n_features_in > limit as u64 {
            return Err(amber_codec::CodecError::Limit {
                what: "n_features_in of a model with an input schema (MAX_UNBACKED_FEATURES)",
                limit: limit as u64,
                found: est.n_features_in,
            }
            .into());
        }
        stack.extend(est.nested());
    }
    Ok(())
}

/// The model's input columns when the file or its bodies say more than "every column
/// numeric": the file's schema when present, checked against what the estimators read
/// (schema rules 1-3), else, for a kind-bearing model, rule 4 (every derived kind numeric)
/// and the feature names. `None` for a model whose columns are all numeric by construction
/// (its columns are listed on demand: `Model::input_columns`).
pub(crate) fn columns(
    m: &Manifest,
    root: &dyn Estimator,
) -> Result<Option<Vec<(String, ColumnKind)>>> {
    let bearing = kind_bearing(&m.estimator);
    let names = feature_names(&m.estimator);
    let Some(schema) = &m.input else {
        if !bearing {
            return Ok(None);
        }
        let derived = root.input_kinds();
        let not_numeric = derived
            .iter()
            .enumerate()
            .find(|(_, k)| **k != ColumnKind::Numeric);
        if let Some((j, k)) = not_numeric {
            return Err(EstimatorError::model(
                "input",
                format!(
                    "is absent, so every column is numeric, and the model reads {k} values in \
                     column {j}"
                ),
            ));
        }
        return Ok(None);
    };
    // Rule 1: one column per input feature (compared before any kind is derived).
    if schema.columns.len() != root.n_features_in() {
        return Err(EstimatorError::model(
            "input.columns",
            format!(
                "has {} columns, and the model reads {}",
                schema.columns.len(),
                root.n_features_in()
            ),
        ));
    }
    let derived = if bearing {
        root.input_kinds()
    } else {
        vec![ColumnKind::Numeric; schema.columns.len()]
    };
    let mut out = Vec::with_capacity(derived.len());
    for (j, (c, &kind)) in schema.columns.iter().zip(&derived).enumerate() {
        // Rule 2: the names are the root's feature names (all empty without them).
        let want = names.and_then(|n| n.get(j)).map_or("", String::as_str);
        if c.name != want {
            return Err(EstimatorError::model(
                format!("input.columns[{j}].name"),
                format!(
                    "is {:?}, and the model's feature name there is {want:?}",
                    c.name
                ),
            ));
        }
        // Rule 3: each kind is what the estimators read there.
        let given = from_codec(c.kind);
        if given != kind {
            return Err(EstimatorError::model(
                format!("input.columns[{j}].kind"),
                format!("is {given}, and the model reads {kind} values there"),
            ));
        }
        out.push((c.name.clone(), kind));
    }
    Ok(Some(out))
}

/// The columns of a model whose every column is numeric: its feature names (or empty
/// names), all `Numeric`. `E_LIMIT` when the declared width cannot be allocated.
pub(crate) fn numeric_columns(m: &Manifest, n: usize) -> Result<Vec<(String, ColumnKind)>> {
    let names = feature_names(&m.estimator);
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| amber_codec::CodecError::Limit {
            what: "input columns",
            limit: 0,
            found: n as u64,
        })?;
    for j in 0..n {
        let name = names.and_then(|v| v.get(j)).cloned().unwrap_or_default();
        out.push((name, ColumnKind::Numeric));
    }
    Ok(out)
}

/// The root's feature names, or a pipeline's first estimator's (as `Model::feature_names`).
pub(crate) fn feature_names(root: &model::Estimator) -> Option<&[String]> {
    let mut est = root;
    loop {
        if !est.feature_names_in.is_empty() {
            return Some(&est.feature_names_in);
        }
        let Body::Pipeline(p) = &est.body else {
            return None;
        };
        est = p.steps.iter().find_map(|s| s.estimator.as_ref())?;
    }
}

fn from_codec(k: model::ColumnKind) -> ColumnKind {
    match k {
        model::ColumnKind::Numeric => ColumnKind::Numeric,
        model::ColumnKind::String => ColumnKind::String,
        model::ColumnKind::Any => ColumnKind::Any,
        model::ColumnKind::Unused => ColumnKind::Unused,
    }
}

/// `x`'s columns in the model's input order: by name when the model has names (any order,
/// extra columns ignored), by position when neither has names; each of the kind the model
/// reads; a column no step reads may be absent (an all-missing column stands in).
pub(crate) fn resolve(columns: &[(String, ColumnKind)], x: &Table) -> Result<Table> {
    let named = columns.iter().any(|(n, _)| !n.is_empty());
    let unnamed_input = x.names().iter().all(String::is_empty);
    let mut out = Table::new(x.n_rows());
    if (!named || unnamed_input) && x.n_columns() != columns.len() {
        return Err(EstimatorError::Input {
            expected: columns.len(),
            found: x.n_columns(),
        });
    }
    for (j, (name, kind)) in columns.iter().enumerate() {
        let at = if named && !unnamed_input {
            x.position(name)
        } else {
            Some(j)
        };
        let Some(at) = at else {
            if *kind == ColumnKind::Unused {
                let missing = Column::Numeric(vec![f64::NAN; x.n_rows()]);
                out.push_shared(name.clone(), Arc::new(missing));
                continue;
            }
            return Err(EstimatorError::MissingColumn {
                column: name.clone(),
                kind: *kind,
            });
        };
        let Some((_, column)) = x.shared_columns().nth(at) else {
            return Err(EstimatorError::Input {
                expected: at + 1,
                found: x.n_columns(),
            });
        };
        if !kind.accepts(column) {
            return Err(EstimatorError::ColumnKind {
                column: x.label(at),
                expected: *kind,
                found: column.kind(),
            });
        }
        out.push_shared(name.clone(), Arc::clone(column));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TextColumn;

    fn cols() -> Vec<(String, ColumnKind)> {
        vec![
            ("a".into(), ColumnKind::Numeric),
            ("b".into(), ColumnKind::String),
            ("c".into(), ColumnKind::Unused),
        ]
    }

    fn table(names: [&str; 2]) -> Table {
        let mut t = Table::new(1);
        t.push_text(names[0], TextColumn::from_iter([Some("x")]))
            .unwrap();
        t.push_numeric(names[1], vec![1.5]).unwrap();
        t
    }

    #[test]
    fn columns_match_by_name_in_any_order() {
        let r = resolve(&cols(), &table(["b", "a"])).unwrap();
        assert_eq!(r.names(), ["a", "b", "c"]);
        assert_eq!(r.column(0), Some(&Column::Numeric(vec![1.5])));
        assert!(matches!(r.column(2), Some(Column::Numeric(v)) if v[0].is_nan()));
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = resolve(&cols(), &table(["b", "z"])).unwrap_err();
        assert!(err.to_string().contains("\"a\""), "{err}");
        assert_eq!(err.code(), "E_INPUT");
    }

    #[test]
    fn a_column_of_the_wrong_kind_is_named() {
        let err = resolve(&cols(), &table(["a", "b"])).unwrap_err();
        assert!(
            matches!(err, EstimatorError::ColumnKind { ref column, .. } if column == "a"),
            "{err}"
        );
    }
}
