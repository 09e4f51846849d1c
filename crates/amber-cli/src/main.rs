//! `amber`: inspect, validate and predict with Amber model files.
//!
//! Every failure is reported on stderr as `error: <CODE>: <message>`, the code being one of
//! `spec/format.md` §6, with exit status 1; usage errors exit with 2. No input file, however
//! damaged, makes a command panic.

mod inspect;
mod output;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amber_cli::{error, input};
use amber_conformance::Array;
use amber_estimators::csv::{CsvOptions, Header};
use amber_estimators::{ColumnKind, Method, Model};
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{CliError, describe, is_broken_pipe};

/// Inspect, validate and run Amber model files (.amber): scikit-learn models in a portable,
/// checksummed format, predicted here with no Python.
///
/// Errors are printed on stderr as `error: <CODE>: <message>`, where CODE is a stable code of
/// the format spec (E_IO, E_TRUNCATED, E_TENSOR_CHECKSUM, E_MODEL, E_METHOD, E_INPUT, ...).
/// Exit status: 0 on success, 1 on any error, 2 on a usage error.
#[derive(Debug, Parser)]
#[command(
    name = "amber",
    version,
    after_help = "Run `amber <COMMAND> --help` for each command's details: the input and \
                  output formats of predict, the JSON document of inspect --json."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a file's SHA-256, format version, producer, estimator tree and tensor table
    ///
    /// The file is fully checked first (structure and every checksum), as by `amber
    /// validate`; a model the runtime refuses (E_MODEL, ...) is still shown, with the reason.
    ///
    /// With --json, one JSON document (inspect_version 1) with these fields, in this order:
    ///
    ///   inspect_version     1; bumped on any incompatible change
    ///   file, file_bytes    the path as given, the file size
    ///   sha256              SHA-256 of the whole file, lowercase hex (as sha256sum prints
    ///                       it): the model's identity, the same for the same model saved
    ///                       again, from Python or Rust (canonical bytes)
    ///   format_version      "major.minor", e.g. "1.0"
    ///   required_features   [string]
    ///   producer            {name, version, library, library_version}
    ///   methods             ["predict", "predict_proba", ...] the runtime offers, or null
    ///   model_error         null, or {code, message} when the runtime refuses the model
    ///   input               the input schema, [{name, kind}] with kind "numeric",
    ///                       "string", "any" or "unused"; null when every column is numeric
    ///   estimator           the root estimator (below)
    ///   tensors             [{name, dtype, shape, offset, bytes, crc32}] in file order;
    ///                       dtype "f64", "f32", "i64", "i32", "u64", "u32", "u8", "bool";
    ///                       offset from the data section; crc32 as "0x%08x"
    ///
    /// An estimator is {producer_type, body, n_features_in, feature_names_in, params,
    /// attributes} plus one object named after its body:
    ///
    ///   body                the body's kind, one of: "standard_scaler",
    ///                       "column_transformer", "feature_union", "voting", "stacking",
    ///                       "calibration", "multiclass", "multi_output",
    ///                       "transformed_target", "function_transformer",
    ///                       "threshold_classifier", "bagging", "ada_boost", "linear",
    ///                       "pipeline", "tree_ensemble", "boosting", "isolation_forest",
    ///                       "feature_affine", "binarizer", "normalizer", "one_hot_encoder",
    ///                       "ordinal_encoder", "target_encoder", "simple_imputer",
    ///                       "missing_indicator" or "knn_imputer"
    ///   params, attributes  [{name, value}], sorted by name
    ///   standard_scaler     {mean, scale, var, n_samples_seen}: tensor names or null
    ///   feature_affine      {sub, div, mul, add}: tensor names or null; clip: [lo, hi]
    ///                       or null
    ///   binarizer           {threshold}
    ///   normalizer          {norm}: "l1", "l2" or "max"
    ///   imputer             (simple_imputer, missing_indicator, knn_imputer)
    ///                       {missing_values ("nan", "none", a number or a quoted string),
    ///                       fills (simple_imputer: numbers or quoted strings; else []),
    ///                       keep_empty, indicator_features (tensor name or null),
    ///                       error_on_new, n_neighbors, weights ("uniform"|"distance"|
    ///                       "uniform_all"), fit_x (knn_imputer: tensor name; else null)}
    ///   one_hot_encoder,    {unknown, target_mean (target_encoder only), unknown_value,
    ///   ordinal_encoder,    encoded_missing_value (ordinal_encoder only), dtype, columns:
    ///   target_encoder      [{kind "numeric"|"string", n_categories, has_none, has_nan,
    ///                       n_infrequent, drop}]}; unknown "error", "zeros", "infrequent"
    ///                       (one-hot), "error", "value" (ordinal) or "target_mean"
    ///   linear              {coef, intercept (null: zero), link, classes}; link "identity",
    ///                       "logistic", "ovr_logistic" or "softmax"; classes null or
    ///                       {kind: "int"|"float"|"str", values: [...]}
    ///   pipeline            {steps: [{name, passthrough, passthrough_is_none, estimator}]},
    ///                       estimator null for a passthrough step
    ///   branches            (column_transformer, feature_union; voting, stacking: their
    ///                       members) [{name, columns (input indices; empty: every
    ///                       column), action "estimator"|"passthrough"|"drop", weight
    ///                       (null: none), stack_method (stacking only: "predict",
    ///                       "predict_proba", "decision_function", null when dropped),
    ///                       estimator}]
    ///   voting              {rule "hard"|"soft"|"mean", classes (as linear's; null for
    ///                       "mean"), flatten_transform}
    ///   stacking            {passthrough, classes (as linear's; null for a regressor),
    ///                       final_estimator (an estimator)}
    ///   calibration         {classes (as linear's), classifiers: [{response
    ///                       "decision_function"|"predict_proba", class_indices,
    ///                       calibrators: [{kind "sigmoid", a, b} | {kind "isotonic",
    ///                       x_thresholds, y_thresholds (tensor names)}], estimator}]}
    ///   multiclass          {strategy "one_vs_rest"|"one_vs_one"|"output_code", classes
    ///                       (as linear's), multilabel, threshold, ties ("first"|"last"
    ///                       for one_vs_rest, else null), code_book (output_code: tensor
    ///                       name, else null), members: [{score "decision_function"|
    ///                       "predict_proba"|"predict"|"constant", constant (a constant
    ///                       member's label), estimator}]}
    ///   multi_output        {kind "classifier"|"regressor"|"classifier_chain"|
    ///                       "regressor_chain", order and chain_method ("predict"|
    ///                       "predict_proba"|"predict_log_proba"|"decision_function"; chains
    ///                       only), members: [estimator]}
    ///   transformed_target  {squeeze, regressor, transformer (estimators)}
    ///   function_transformer {func, inverse_func ("None" or numpy's name, e.g.
    ///                       "numpy.log1p"), validate}
    ///   threshold_classifier {score "predict_proba"|"decision_function", positive (class
    ///                       index), threshold, estimator}
    ///   bagging             {classes (as linear's; null for a regressor), members:
    ///                       [{features (input column indices), estimator}]}
    ///   ada_boost           {algorithm "samme"|"samme_r" (null for a regressor: weighted
    ///                       median), classes, weights (tensor name), members: [estimator]}
    ///   tree_ensemble       {nodes, tree_offsets, values, input ("f32"|"f64"), leaf_values
    ///                       ("regression"|"fractions"|"counts"), classes: [one per output,
    ///                       as linear's], impurity, n_node_samples, weighted_n_node_samples,
    ///                       node_ids (tensor names or null), values_for_every_node}
    ///   boosting            {trees (as tree_ensemble), n_columns, scale, baseline (tensor
    ///                       name, or null when init gives the start), init (an estimator
    ///                       or null), init_link (null or "predict", "logit", "half_logit",
    ///                       "log", "symmetric_log", "logit_log1p", "half_logit_log1p"),
    ///                       init_eps, link ("identity", "exp", "logistic",
    ///                       "half_logistic", "softmax" or "logsumexp"), classes (as
    ///                       linear's; null for a regressor), decision (null for a
    ///                       regressor, "raw_at_least_zero", "raw_above_zero" or
    ///                       "proba_argmax")}
    ///   preprocessor        (boosting) the estimator that codes categories before the
    ///                       trees, or absent
    ///   isolation_forest    {trees (as tree_ensemble), denominator, offset}
    ///
    /// A value is null (None), a boolean, an integer, a float (always written with a
    /// fraction or an exponent), a string or an array (list); what JSON lacks is tagged:
    /// {"float": "nan"|"inf"|"-inf"}, {"tuple": [...]}, {"dict": [[key, value], ...]},
    /// {"tensor": "<tensor name>"}.
    #[command(verbatim_doc_comment)]
    Inspect {
        /// The model file.
        file: PathBuf,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Check files completely: structure, every checksum and every estimator rule
    ///
    /// Runs every structural check and every checksum of the format, then builds the model
    /// as for prediction, so that a body breaking a rule of the estimators spec (E_MODEL) is
    /// caught too. Prints one line per file, `OK <file>: format 1.0, <n> tensors, <bytes> bytes` or
    /// `FAIL <file>: <CODE>: <message>`, and exits with 0 only if every file is valid.
    Validate {
        /// The model files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },

    /// Run a model on an input (.npy or .csv) and print or save its output
    ///
    /// Input (--input), by extension:
    ///
    ///   .npy  a 2-D array, samples x features, of float64; float32, integer and bool
    ///         arrays are converted to float64. A 1-D array is refused (as scikit-learn
    ///         does): reshape it to (1, n) for one sample, or (n, 1) for one feature.
    ///   .csv  read as pandas.read_csv(X.csv) reads it with its defaults (spec/format.md
    ///         section 7.1): one sample per line, fields separated by commas (--delimiter),
    ///         RFC 4180 quoting ("a, ""b""" is one field), UTF-8; empty lines and lines of
    ///         spaces and tabs are skipped.
    ///         Header: for a model fitted with column names, the first line is the header
    ///         when it names every column the model reads, and data when it is numbers
    ///         only; a first line that is neither is E_INPUT listing the columns it lacks
    ///         (a file without a header: pass --no-header). For a model without names, the
    ///         first line is the header when a numeric column holds text there, data when it
    ///         is numbers only, and E_INPUT when it could be either (pass --header or
    ///         --no-header). No line is ever dropped silently.
    ///         With a header and a model fitted with names, columns are matched to them by
    ///         name, exactly (a quoted " space " is the name " space ", as pandas reads
    ///         it), in any order; extra columns are ignored when the model reads strings
    ///         (ColumnTransformer does so) and an error for an all-numeric model
    ///         (scikit-learn's estimators refuse them). Otherwise columns are taken in order
    ///         and their count must be the model's.
    ///         Missing cells, in every column: pandas' default NA strings, exactly: the empty
    ///         cell, NA, NaN, nan, -NaN, -nan, null, NULL, None, N/A, n/a, #N/A, #N/A N/A,
    ///         #NA, <NA>, 1.#IND, -1.#IND, 1.#QNAN, -1.#QNAN (quoted or not; " NA" with
    ///         spaces is text). Numeric cells: what Python's float() accepts (1, -2.5e-3,
    ///         1_000, inf, -Infinity, surrounding spaces), True/False are 1/0; a blank cell
    ///         of spaces is not a number. String cells: the text as is. A column of either
    ///         kind (pandas object, passed through) is numbers within a batch only when
    ///         every cell of the batch is a number, else strings.
    ///
    /// The CSV is streamed: read, predicted and written --batch-rows rows at a time, so
    /// memory stays bounded whatever the file's length; a terminal (stderr) shows rows
    /// done and rows/s (--progress / --no-progress override).
    ///
    /// A wrong number of columns or fields, a missing or extra column, or a cell that is not
    /// a number is E_INPUT naming the line (from 1, the header being line 1), the column,
    /// the row (from 0, the first data row being row 0) and the value; so are values the
    /// model refuses (an unseen category where the encoder says handle_unknown="error"; a
    /// NaN, an infinity or a value beyond float32's range where scikit-learn raises on it:
    /// spec/estimators.md section 1 lists each body's rule).
    /// An input without a data row (an empty file, a header alone, a 0-row .npy) is
    /// E_INPUT, as scikit-learn refuses 0 samples. A method the model lacks is E_METHOD.
    ///
    /// Output (--output), by extension; CSV on stdout without it:
    ///
    ///   .csv  one line per sample; 2-D outputs (predict_proba, ...) comma-separated, no
    ///         header. Floats are written with the fewest digits that read back to the
    ///         exact same value (1e-7 style outside [1e-5, 1e16); NaN, inf, -inf); string
    ///         labels quoted where CSV requires.
    ///   .npy  float64 (<f8), int64 labels (<i8) or string labels (numpy unicode, '<U'
    ///         followed by the longest label's length). Numbers are written batch by
    ///         batch after a header rewritten with the row count at the end; string
    ///         labels, whose width is the longest label's, are kept until the end (only
    ///         they: never the input). CSV output is written batch by batch. Files are
    ///         written as OUT.partial and renamed when complete: a failed run leaves none.
    ///         A transform whose output holds strings (a table) can only be written as
    ///         CSV (missing cells empty); .npy is E_INPUT.
    ///         A soft VotingClassifier's transform with flatten_transform=False is
    ///         3-D, [members, n_samples, n_classes]: written only from a .npy input to a
    ///         .npy output; from a CSV input or to CSV it is E_INPUT.
    ///
    /// Multi-output models: predict gives one column per output (n_samples x n_outputs).
    /// predict_proba gives one array per output (scikit-learn's list): in CSV, each row holds
    /// the probabilities of output 0, then those of output 1, and so on, concatenated (no
    /// header); with --output OUT.npy, one file per output, OUT.0.npy, OUT.1.npy, ... (the
    /// corpus's naming), and OUT.npy itself is not written.
    #[command(verbatim_doc_comment)]
    Predict {
        /// The model file.
        file: PathBuf,
        /// The input samples: X.npy or X.csv.
        #[arg(long, short, value_name = "X.npy|X.csv", value_parser = npy_or_csv)]
        input: PathBuf,
        /// The method to run.
        #[arg(long, short, value_enum, default_value_t = MethodArg::Predict)]
        method: MethodArg,
        /// Write the output to this file (OUT.npy or OUT.csv) instead of stdout.
        #[arg(long, short, value_name = "OUT.npy|OUT.csv", value_parser = npy_or_csv)]
        output: Option<PathBuf>,
        /// The CSV input's field delimiter: one ASCII character (`;`, `|`, ...); `\t` or a
        /// tab character for tab-separated files.
        #[arg(long, short, value_name = "C", default_value = ",", value_parser = delimiter)]
        delimiter: u8,
        /// The CSV input has no header: its first line is data, columns in the model's order
        /// (pandas' header=None).
        #[arg(long, conflicts_with = "header")]
        no_header: bool,
        /// The CSV input's first line is its header, even if it reads as data (pandas'
        /// header=0); for a model without column names whose first line could be either.
        #[arg(long)]
        header: bool,
        /// Rows read and predicted at a time from a CSV input.
        #[arg(long, value_name = "N", default_value_t = PREDICT_BATCH_ROWS,
              value_parser = batch_rows)]
        batch_rows: usize,
        /// Show progress on stderr even when it is not a terminal.
        #[arg(long, overrides_with = "no_progress")]
        progress: bool,
        /// Show no progress, even on a terminal.
        #[arg(long, overrides_with = "progress")]
        no_progress: bool,
    },

    /// Serve the conformance testee protocol on stdin/stdout with the Rust implementation
    /// (see the amber-conformance README); for `amber-conformance --testee "amber testee"`.
    #[command(hide = true)]
    Testee,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum MethodArg {
    /// Labels (classifiers) or values (regressors).
    Predict,
    /// Class probabilities, one column per class.
    PredictProba,
    /// Raw classifier scores.
    DecisionFunction,
    /// A transformer's output.
    Transform,
    /// Per-sample scores of an outlier detector (IsolationForest).
    ScoreSamples,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Predict => Self::Predict,
            MethodArg::PredictProba => Self::PredictProba,
            MethodArg::DecisionFunction => Self::DecisionFunction,
            MethodArg::Transform => Self::Transform,
            MethodArg::ScoreSamples => Self::ScoreSamples,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Npy,
    Csv,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "npy" => Some(Format::Npy),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

fn npy_or_csv(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    match format_of(&path) {
        Some(_) => Ok(path),
        None => Err(
            "the file name must end in .npy or .csv (the extension decides the format)".to_owned(),
        ),
    }
}

/// `amber predict`'s rows per CSV batch. Measured on the `tabular` bench pipeline over
/// 1,000,000 rows: CPU time is lowest around 4096 rows (1.7 s user; 2.3 s at 65,536, whose
/// wider intermediate matrices leave the caches) and peak memory is 16 MB (125 MB at 65,536).
const PREDICT_BATCH_ROWS: usize = 4096;

/// `--delimiter`: one ASCII byte, `\t` spelled out or not; `csv::CsvOptions` refuses a quote
/// or a line break with `E_INPUT` naming it.
fn delimiter(s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        br"\t" => Ok(b'\t'),
        _ => Err("one ASCII character (\\t for a tab)".to_owned()),
    }
}

fn batch_rows(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a number of rows, at least 1".to_owned()),
    }
}

/// `amber predict` streams batches whose matrices are freed and allocated again each batch:
/// glibc's malloc hands those pages back to the system and faults them in again (about a
/// third of a 1M-row CSV run in system time), mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, json } => inspect(&file, json).map(|()| ExitCode::SUCCESS),
        Command::Validate { files } => Ok(validate(&files)),
        Command::Predict {
            file,
            input,
            method,
            output,
            delimiter,
            no_header,
            header,
            batch_rows,
            progress,
            no_progress,
        } => {
            let show = if progress {
                true
            } else if no_progress {
                false
            } else {
                std::io::stderr().is_terminal()
            };
            let header = if no_header {
                Header::Absent
            } else if header {
                Header::Present
            } else {
                Header::Detect
            };
            let request = Request {
                input: &input,
                method: method.into(),
                output: output.as_deref(),
                csv: CsvOptions::default()
                    .batch_rows(batch_rows)
                    .delimiter(delimiter)
                    .header(header),
                progress: show,
            };
            predict(&file, &request).map(|()| ExitCode::SUCCESS)
        }
        Command::Testee => testee().map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        if is_broken_pipe(&e) {
            // The reader of our stdout went away (`amber ... | head`): nothing to report.
            return ExitCode::SUCCESS;
        }
        eprintln!("error: {}", inspect::printable(&describe(&e)));
        ExitCode::FAILURE
    })
}

fn inspect(file: &Path, json: bool) -> anyhow::Result<()> {
    let container = amber_codec::Container::open(file)?;
    // The runtime's verdict (methods, or why it refuses the model). The container above has
    // passed every codec check, so a failure here is an estimator rule.
    let model_check = Model::from_bytes(container.bytes().to_vec())
        .map(|m| m.methods().iter().map(|m| m.as_str().to_owned()).collect())
        .map_err(|e| (e.code().to_owned(), e.to_string()));
    let report = inspect::Report::new(file, &container, model_check);
    let text = if json {
        let mut text = inspect::to_json(&report)?;
        text.push('\n');
        text
    } else {
        inspect::render(&report, &container)
    };
    write_stdout(text.as_bytes())
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut all_ok = true;
    for file in files {
        let line = match Model::open(file) {
            Ok(model) => {
                let (major, minor) = model.version();
                let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
                format!(
                    "OK {}: format {major}.{minor}, {} tensors, {bytes} bytes",
                    file.display(),
                    model.manifest().tensors.len()
                )
            }
            Err(e) => {
                all_ok = false;
                let message = describe(&e.into());
                format!(
                    "FAIL {}: {}",
                    inspect::printable(&file.display().to_string()),
                    inspect::printable(&message)
                )
            }
        };
        if let Err(e) = write_stdout(format!("{line}\n").as_bytes()) {
            if !is_broken_pipe(&e) {
                eprintln!("error: {}", describe(&e));
            }
            return ExitCode::FAILURE;
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What `amber predict` was asked to do.
#[derive(Debug)]
struct Request<'a> {
    input: &'a Path,
    method: Method,
    output: Option<&'a Path>,
    /// How a CSV input is read (batch size, delimiter, header).
    csv: CsvOptions,
    progress: bool,
}

fn predict(file: &Path, request: &Request<'_>) -> anyhow::Result<()> {
    let model = Model::open(file)?;
    let method = request.method;
    // Refuse a method the model lacks before reading a possibly large input.
    if !model.methods().contains(&method) {
        // `run` produces the E_METHOD error with the model's name in it.
        model.run(
            method,
            ndarray::Array2::zeros((0, model.n_features_in())).view(),
        )?;
    }
    let input = request.input;
    if format_of(input) == Some(Format::Csv) {
        return predict_csv(&model, request);
    }
    // The value parser admitted only .npy and .csv.
    let x = input::read_npy(input)?;
    if x.nrows() == 0 {
        return Err(no_rows(input).into());
    }
    let context = || format!("{method} on {}", input.display());
    let parts = run_batch(&model, method, amber_estimators::Input::Dense(x.view()))
        .with_context(context)?;
    let npy_out = request
        .output
        .is_some_and(|p| format_of(p) == Some(Format::Npy));
    if !npy_out {
        rows_first(method, &parts)?;
    }
    let mut sink = open_sink(request.output, parts.len())?;
    sink.write(parts)?;
    sink.finish()
}

/// The CSV input, batch by batch: each batch predicted and written before the next is read.
fn predict_csv(model: &Model, request: &Request<'_>) -> anyhow::Result<()> {
    let (input, method) = (request.input, request.method);
    let columns = model.input_columns()?;
    let numeric = columns.iter().all(|(_, k)| *k == ColumnKind::Numeric);
    // The reader refuses an input without a data row (E_INPUT, as scikit-learn's
    // check_array refuses 0 samples), so every batch it gives has rows.
    let mut reader = input::open_csv(input, &columns, request.csv)?;
    let mut sink: Option<output::Sink> = None;
    let mut progress = Progress::new(request.progress);
    while let Some(batch) = reader
        .next_batch()
        .map_err(|e| input::table_error(input, e))?
    {
        // An all-numeric model takes the matrix in its column order (the reader's order).
        let dense = if numeric {
            Some(batch.to_dense()?)
        } else {
            None
        };
        let x = match &dense {
            Some(x) => amber_estimators::Input::Dense(x.view()),
            None => amber_estimators::Input::Table(&batch),
        };
        let parts = run_batch(model, method, x).map_err(|e| in_file(e, &reader, request))?;
        rows_first(method, &parts)?;
        let sink = match &mut sink {
            Some(sink) => sink,
            None => sink.insert(open_sink(request.output, parts.len())?),
        };
        sink.write(parts)?;
        progress.update(reader.rows_read());
    }
    progress.finish(reader.rows_read());
    match sink {
        Some(sink) => sink.finish(),
        // The reader gives at least one batch, so a sink was opened.
        None => Ok(()),
    }
}

/// `E_INPUT` unless every output has its rows on its first axis (at most 2-D), as batches
/// of rows and CSV rows need.
fn rows_first(method: Method, parts: &[Array]) -> Result<(), CliError> {
    match parts.iter().find(|p| p.shape().len() > 2) {
        Some(p) => Err(CliError::RowsNotFirst {
            method,
            shape: p.shape().to_vec(),
        }),
        None => Ok(()),
    }
}

/// `E_INPUT` for an input without a data row.
fn no_rows(input: &Path) -> CliError {
    input::table_error(
        input,
        amber_estimators::EstimatorError::Table {
            reason: "the input has no data rows (scikit-learn refuses 0 samples: at least one \
                     row is needed)"
                .to_owned(),
        },
    )
}

/// One batch's outputs: one array, or one per output for a multi-output `predict_proba`.
fn run_batch(
    model: &Model,
    method: Method,
    x: amber_estimators::Input<'_>,
) -> amber_estimators::Result<Vec<Array>> {
    if method == Method::PredictProba {
        let all = model.predict_proba_multi(x)?;
        return Ok(all
            .into_iter()
            .map(|p| Array::Float(p.into_dyn()))
            .collect());
    }
    model.run(method, x).map(|p| vec![p])
}

/// A model's error on a batch, with the batch's offset added to its row and the file's line
/// named, so that both are the file's.
fn in_file<R: std::io::Read>(
    error: amber_estimators::EstimatorError,
    reader: &amber_estimators::csv::TableReader<R>,
    request: &Request<'_>,
) -> anyhow::Error {
    use amber_estimators::EstimatorError as E;
    let start = usize::try_from(reader.batch_start()).unwrap_or(usize::MAX);
    let line = |row: usize| reader.lines().get(row).copied();
    let (error, line) = match error {
        E::Value {
            column,
            row,
            value,
            reason,
        } => (
            E::Value {
                column,
                row: row.saturating_add(start),
                value,
                reason,
            },
            line(row),
        ),
        E::NotFinite {
            row,
            column,
            value,
            body,
        } => (
            E::NotFinite {
                row: row.saturating_add(start),
                column,
                value,
                body,
            },
            line(row),
        ),
        other => (other, None),
    };
    let at = match (line, reader.lines()) {
        (Some(l), _) => format!("line {l}"),
        (None, [first, .., last]) => format!("lines {first}-{last}"),
        (None, [only]) => format!("line {only}"),
        (None, []) => "no rows".to_owned(),
    };
    anyhow::Error::new(error).context(format!(
        "{} on {}, {at}",
        request.method,
        request.input.display()
    ))
}

/// Rows done and rows/s on stderr, at most four times a second, when enabled; a run that
/// fails ends the progress line first, so the error starts a line of its own.
#[derive(Debug)]
struct Progress {
    enabled: bool,
    start: std::time::Instant,
    shown: Option<std::time::Instant>,
    finished: bool,
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown.is_some() && !self.finished {
            eprintln!();
        }
    }
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            start: std::time::Instant::now(),
            shown: None,
            finished: false,
        }
    }

    fn update(&mut self, rows: u64) {
        if !self.enabled || self.shown.is_some_and(|t| t.elapsed().as_millis() < 250) {
            return;
        }
        self.shown = Some(std::time::Instant::now());
        eprint!("\r{}", self.line(rows));
    }

    fn finish(&mut self, rows: u64) {
        self.finished = true;
        if self.enabled {
            eprintln!("\r{}", self.line(rows));
        }
    }

    fn line(&self, rows: u64) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { rows as f64 / secs } else { 0.0 };
        format!("{rows} rows, {rate:.0} rows/s, {secs:.1} s")
    }
}

/// The output's sink: `--output`'s format, or CSV on stdout.
fn open_sink(output: Option<&Path>, n_outputs: usize) -> anyhow::Result<output::Sink> {
    let npy = output.is_some_and(|p| format_of(p) == Some(Format::Npy));
    output::Sink::open(output, npy, n_outputs)
}

fn testee() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    amber_conformance::testee::serve(
        stdin.lock(),
        stdout.lock(),
        &mut amber_conformance::InProcess,
    )
    .map_err(|e| CliError::io("<stdio>", e).into())
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::io("<stdout>", e).into())
}
