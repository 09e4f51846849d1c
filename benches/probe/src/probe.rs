//! `amber-bench-probe[-mimalloc] MODEL.amber X.(npy|csv) [options]`: times the Amber Rust
//! library in-process, the way `benches/harness/compare.py` times every peer, and prints one JSON
//! object.
//!
//! The input is a matrix (`X.npy`, predicted through `ArrayView2<f64>`) or a CSV with a header
//! (`X.csv`, read once, untimed, with `amber::csv::read_table` against the model's input
//! schema, and predicted through [`amber::Table`]: named columns, strings and missing values
//! as they are). Single-row calls take one-row views of the matrix, or one-row tables cut
//! from the table before the timed loop, as the harness pre-slices a DataFrame's rows for the
//! Python peers.
//!
//! - load: `Model::open` on the (page-cached) file, best of `--loads` (5); open + first
//!   prediction: `Model::open` then the timed method on one row, from a fresh open each time
//!   (what a process that starts, loads and answers one request pays), best of `--loads`;
//! - single row: the timed method on one row, median of `--calls` (1000) calls after
//!   `--warmup` (100) calls; call `i` uses row `i % n_rows`, as the harness does for peers;
//! - batch: the timed method on every row of X, best of `--batches` (3); rows/s = rows / best;
//!   on the calling thread's rayon pool (one thread under the harness's
//!   `RAYON_NUM_THREADS=1`), then again on a pool of every core
//!   (`std::thread::available_parallelism`).
//!
//! Then every method in `--methods` runs once on all of X and its output is written to
//! `OUT_DIR/<method>.npy` (f64, or i64 for integer labels) for the fidelity check.
//!
//! On failure it prints `{"error": "...", "code": "E_..."}` and exits with status 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use amber::{Column, Input, Method, Model, Prediction, Table, TextColumn};
use ndarray::{Array2, Axis};
use serde_json::{Value, json};

struct Args {
    model: PathBuf,
    input: PathBuf,
    out_dir: Option<PathBuf>,
    time_method: Method,
    methods: Vec<Method>,
    loads: usize,
    warmup: usize,
    calls: usize,
    batches: usize,
}

const USAGE: &str = "usage: amber-bench-probe MODEL.amber X.npy|X.csv [--out-dir DIR] \
    [--time-method predict] [--methods predict,predict_proba] [--loads 5] [--warmup 100] \
    [--calls 1000] [--batches 3]";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut args = Args {
        model: PathBuf::new(),
        input: PathBuf::new(),
        out_dir: None,
        time_method: Method::Predict,
        methods: vec![Method::Predict],
        loads: 5,
        warmup: 100,
        calls: 1000,
        batches: 3,
    };
    let number = |v: Option<String>, flag: &str| -> Result<usize, String> {
        v.ok_or_else(|| format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out-dir" => args.out_dir = Some(it.next().ok_or("--out-dir needs a value")?.into()),
            "--time-method" => {
                args.time_method = it
                    .next()
                    .ok_or("--time-method needs a value")?
                    .parse()
                    .map_err(|e| format!("{e}"))?;
            }
            "--methods" => {
                args.methods = it
                    .next()
                    .ok_or("--methods needs a value")?
                    .split(',')
                    .map(|m| m.parse::<Method>().map_err(|e| format!("{e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--loads" => args.loads = number(it.next(), "--loads")?.max(1),
            "--warmup" => args.warmup = number(it.next(), "--warmup")?,
            "--calls" => args.calls = number(it.next(), "--calls")?.max(1),
            "--batches" => args.batches = number(it.next(), "--batches")?.max(1),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"));
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [model, input] = <[PathBuf; 2]>::try_from(positional).map_err(|_| USAGE.to_owned())?;
    args.model = model;
    args.input = input;
    Ok(args)
}

/// An error with the spec's code when Amber gave one.
struct Failure {
    code: Option<&'static str>,
    message: String,
}

impl From<amber::EstimatorError> for Failure {
    fn from(e: amber::EstimatorError) -> Self {
        Self {
            code: Some(e.code()),
            message: e.to_string(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self {
            code: None,
            message,
        }
    }
}

fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match (v.get((n.saturating_sub(1)) / 2), v.get(n / 2)) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        _ => f64::NAN,
    }
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn write_output(dir: &Path, method: Method, p: &Prediction) -> Result<Value, Failure> {
    let path = dir.join(format!("{method}.npy"));
    let written = match p {
        Prediction::Float(a) => ndarray_npy::write_npy(&path, a),
        Prediction::Int(a) => ndarray_npy::write_npy(&path, a),
        Prediction::Str(_) | Prediction::Table { .. } => {
            return Ok(json!({"skipped": "strings are not written as .npy"}));
        }
    };
    written.map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(json!(path.display().to_string()))
}

/// The input rows: a matrix, or a table with its one-row tables cut in advance.
enum Rows {
    Dense(Array2<f64>),
    Table { all: Table, rows: Vec<Table> },
}

impl Rows {
    /// Reads X: `.csv` as a table of the model's input columns, anything else as `.npy`.
    fn read(path: &Path, model: &Model, single_calls: usize) -> Result<Rows, Failure> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let columns = model.input_columns()?;
            let all = amber::csv::read_table(std::io::BufReader::new(file), &columns)?;
            let n = all.n_rows().min(single_calls);
            let rows = (0..n)
                .map(|i| table_row(&all, i))
                .collect::<Result<_, _>>()?;
            return Ok(Rows::Table { all, rows });
        }
        let x: Array2<f64> =
            ndarray_npy::read_npy(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        Ok(Rows::Dense(x))
    }

    fn n_rows(&self) -> usize {
        match self {
            Rows::Dense(x) => x.nrows(),
            Rows::Table { all, .. } => all.n_rows(),
        }
    }

    /// Every row.
    fn all(&self) -> Input<'_> {
        match self {
            Rows::Dense(x) => Input::Dense(x.view()),
            Rows::Table { all, .. } => Input::Table(all),
        }
    }

    /// Row `i % n_rows` (for a table: of the rows cut in advance).
    fn row(&self, i: usize) -> Input<'_> {
        match self {
            Rows::Dense(x) => {
                let i = i % x.nrows();
                Input::Dense(x.slice_axis(Axis(0), (i..=i).into()))
            }
            // `rows` is empty only for an empty table, which `run` refuses first.
            Rows::Table { all, rows } => {
                Input::Table(rows.get(i % rows.len().max(1)).unwrap_or(all))
            }
        }
    }
}

/// Row `i` of `t` as a one-row table with the same names and column types.
fn table_row(t: &Table, i: usize) -> Result<Table, Failure> {
    let mut out = Table::new(1);
    for (j, name) in t.names().iter().enumerate() {
        let column = match t.column(j) {
            Some(Column::Numeric(v)) => Column::Numeric(vec![
                *v.get(i).ok_or_else(|| format!("row {i} out of range"))?,
            ]),
            Some(Column::Text(c)) => Column::Text(TextColumn::from_iter([c.get(i)])),
            None => return Err(Failure::from(format!("column {j} vanished"))),
        };
        out.push(name.clone(), column)?;
    }
    Ok(out)
}

fn run(args: &Args) -> Result<Value, Failure> {
    let file_bytes = std::fs::metadata(&args.model)
        .map_err(|e| format!("{}: {e}", args.model.display()))?
        .len();

    let mut load_s = Vec::with_capacity(args.loads);
    let mut model = None;
    for _ in 0..args.loads {
        let start = Instant::now();
        let m = Model::open(&args.model)?;
        load_s.push(seconds(start));
        model = Some(m);
    }
    let model = model.ok_or_else(|| "no load ran".to_owned())?;
    let x = Rows::read(&args.input, &model, args.calls.max(args.warmup))?;
    let n_rows = x.n_rows();
    if n_rows == 0 {
        return Err(Failure::from("the input has no rows".to_owned()));
    }

    let method = args.time_method;
    let mut open_first_s = Vec::with_capacity(args.loads);
    for _ in 0..args.loads {
        let start = Instant::now();
        let m = Model::open(&args.model)?;
        let out = m.run(method, x.row(0))?;
        open_first_s.push(seconds(start));
        std::hint::black_box(out);
    }
    for i in 0..args.warmup {
        std::hint::black_box(model.run(method, x.row(i))?);
    }
    let mut single_s = Vec::with_capacity(args.calls);
    for i in 0..args.calls {
        let row = x.row(i);
        let start = Instant::now();
        let out = model.run(method, row)?;
        single_s.push(seconds(start));
        std::hint::black_box(out);
    }
    let mut batch_s = Vec::with_capacity(args.batches);
    for _ in 0..args.batches {
        let start = Instant::now();
        let out = model.run(method, x.all())?;
        batch_s.push(seconds(start));
        std::hint::black_box(out);
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build()
        .map_err(|e| format!("building a {cores}-thread pool: {e}"))?;
    let mut batch_all_s = Vec::with_capacity(args.batches);
    for _ in 0..args.batches {
        let start = Instant::now();
        let out = pool.install(|| model.run(method, x.all()))?;
        batch_all_s.push(seconds(start));
        std::hint::black_box(out);
    }

    let mut outputs = serde_json::Map::new();
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for &m in &args.methods {
            let value = match model.run(m, x.all()) {
                Ok(p) => write_output(dir, m, &p)?,
                Err(e) => json!({"error": e.to_string(), "code": e.code()}),
            };
            outputs.insert(m.to_string(), value);
        }
    }

    let batch_best = best(&batch_s);
    Ok(json!({
        "model": args.model.display().to_string(),
        "file_bytes": file_bytes,
        "time_method": method.to_string(),
        "load_s": load_s,
        "load_best_s": best(&load_s),
        "open_first_s": open_first_s,
        "open_first_best_s": best(&open_first_s),
        "single_row_median_s": median(single_s.clone()),
        "single_row_s": single_s,
        "batch_rows": n_rows,
        "input": if matches!(x, Rows::Table { .. }) { "table" } else { "matrix" },
        "batch_s": batch_s,
        "batch_best_s": batch_best,
        "batch_rows_per_s": n_rows as f64 / batch_best,
        "batch_all_cores": cores,
        "batch_all_cores_s": batch_all_s,
        "batch_all_cores_rows_per_s": n_rows as f64 / best(&batch_all_s),
        "outputs": outputs,
    }))
}

/// Parses the arguments, measures, prints the JSON object.
pub fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(f) => {
            println!("{}", json!({"error": f.message, "code": f.code}));
            ExitCode::FAILURE
        }
    }
}
