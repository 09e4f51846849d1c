//! Tables larger than one chunk of `Model::run_table`: the same outputs as row by row, in
//! order, and errors numbered by the input's rows.

use std::fs;
use std::path::{Path, PathBuf};

use amber_estimators::{Method, Model, Prediction};

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/valid")
        .join(name)
}

/// `input.csv` with its data rows repeated `times` times, and one block's row count.
fn repeated_csv(dir: &Path, times: usize) -> (String, usize) {
    let text = fs::read_to_string(dir.join("input.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut out = format!("{header}\n");
    for _ in 0..times {
        for r in &rows {
            out.push_str(r);
            out.push('\n');
        }
    }
    (out, rows.len())
}

fn floats(p: Prediction) -> ndarray::ArrayD<f64> {
    match p {
        Prediction::Float(a) => a,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_table_of_many_chunks_predicts_each_row_as_alone() {
    let dir = case("column_transformer_tabular-sk1.9.1");
    let model = Model::open(dir.join("model.amber")).unwrap();
    let columns = model.input_columns().unwrap();
    let (one, n) = repeated_csv(&dir, 1);
    let (many, _) = repeated_csv(&dir, 60); // 3,600 rows: several chunks, a partial last one
    let block = amber_estimators::csv::read_table(one.as_bytes(), &columns).unwrap();
    let all = amber_estimators::csv::read_table(many.as_bytes(), &columns).unwrap();
    let want = floats(model.run_table(Method::PredictProba, &block).unwrap());
    let got = floats(model.run_table(Method::PredictProba, &all).unwrap());
    assert_eq!(got.shape(), [60 * n, 2]);
    for k in 0..60 {
        let part = got.slice(ndarray::s![k * n..(k + 1) * n, ..]).into_dyn();
        assert_eq!(part, want, "block {k}");
    }
}

#[test]
fn an_error_in_a_later_chunk_names_the_inputs_row() {
    let dir = case("one_hot_encoder_strings-sk1.9.1");
    let model = Model::open(dir.join("model.amber")).unwrap();
    let columns = model.input_columns().unwrap();
    let (mut text, n) = repeated_csv(&dir, 60);
    // A city never seen in training (handle_unknown="error"), as the last row.
    let last = text.lines().nth(1).unwrap().to_owned();
    let header = text.lines().next().unwrap().to_owned();
    let city = header.split(',').position(|c| c == "city").unwrap();
    let mut cells: Vec<String> = last.split(',').map(str::to_owned).collect();
    cells[city] = "Atlantis".to_owned();
    text.push_str(&cells.join(","));
    text.push('\n');
    let x = amber_estimators::csv::read_table(text.as_bytes(), &columns).unwrap();
    let err = model.run_table(Method::Transform, &x).unwrap_err();
    assert_eq!(err.code(), "E_INPUT");
    let msg = err.to_string();
    assert!(msg.contains(&format!("row {}", 60 * n)), "{msg}");
    assert!(msg.contains("Atlantis"), "{msg}");
}
