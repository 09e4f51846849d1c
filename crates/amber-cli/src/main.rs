//! `amber`: inspect, validate and predict with Amber model files.
//!
//! Every failure is reported on stderr as `error: <CODE>: <message>`, the code being one of
//! `spec/format.md` §6, with exit status 1; usage errors exit with 2. No input file, however
//! damaged, makes a command panic.

mod inspect;
mod output;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amber_cli::{error, input};
use amber_conformance::Array;
use amber_estimators::{Method, Model};
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
    /// Show a file's format version, producer, estimator tree and tensor table
    ///
    /// The file is fully checked first (structure and every checksum), as by `amber
    /// validate`; a model the runtime refuses (E_MODEL, ...) is still shown, with the reason.
    ///
    /// With --json, one JSON document (inspect_version 1) with these fields, in this order:
    ///
    ///   inspect_version     1; bumped on any incompatible change
    ///   file, file_bytes    the path as given, the file size
    ///   format_version      "major.minor", e.g. "1.0"
    ///   required_features   [string]
    ///   producer            {name, version, library, library_version}
    ///   methods             ["predict", "predict_proba", ...] the runtime offers, or null
    ///   model_error         null, or {code, message} when the runtime refuses the model
    ///   estimator           the root estimator (below)
    ///   tensors             [{name, dtype, shape, offset, bytes, crc32}] in file order;
    ///                       dtype "f64", "f32", "i64", "i32", "u64", "u32", "u8", "bool";
    ///                       offset from the data section; crc32 as "0x%08x"
    ///
    /// An estimator is {producer_type, body, n_features_in, feature_names_in, params,
    /// attributes} plus one object named after its body:
    ///
    ///   body                "standard_scaler", "linear", "pipeline", "tree_ensemble",
    ///                       "isolation_forest", "feature_affine", "binarizer" or
    ///                       "normalizer"
    ///   params, attributes  [{name, value}], sorted by name
    ///   standard_scaler     {mean, scale, var, n_samples_seen}: tensor names or null
    ///   feature_affine      {sub, div, mul, add}: tensor names or null; clip: [lo, hi]
    ///                       or null
    ///   binarizer           {threshold}
    ///   normalizer          {norm}: "l1", "l2" or "max"
    ///   linear              {coef, intercept (null: zero), link, classes}; link "identity",
    ///                       "logistic", "ovr_logistic" or "softmax"; classes null or
    ///                       {kind: "int"|"float"|"str", values: [...]}
    ///   pipeline            {steps: [{name, passthrough, passthrough_is_none, estimator}]},
    ///                       estimator null for a passthrough step
    ///   tree_ensemble       {nodes, tree_offsets, values, input ("f32"|"f64"), leaf_values
    ///                       ("regression"|"fractions"|"counts"), classes: [one per output,
    ///                       as linear's], impurity, n_node_samples, weighted_n_node_samples,
    ///                       node_ids (tensor names or null), values_for_every_node}
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
    ///   .csv  one sample per line. If any cell of the first line is not a number, that line
    ///         is a header: when the model was fitted with feature names, columns are matched
    ///         to them by name, in any order, and a missing or extra column is an error
    ///         naming it; otherwise the columns are taken in order. Without a header, columns
    ///         are taken in order. Empty cells and nan are NaN; inf and -inf are accepted.
    ///
    /// A wrong number of columns, a missing or extra column, or a cell that is not a number
    /// is E_INPUT, with the line and column; a method the model lacks is E_METHOD.
    ///
    /// Output (--output), by extension; CSV on stdout without it:
    ///
    ///   .csv  one line per sample; 2-D outputs (predict_proba, ...) comma-separated, no
    ///         header. Floats are written with the fewest digits that read back to the
    ///         exact same value (1e-7 style outside [1e-5, 1e16); NaN, inf, -inf); string
    ///         labels quoted where CSV requires.
    ///   .npy  float64 (<f8), int64 labels (<i8) or string labels (numpy unicode, '<U'
    ///         followed by the longest label's length).
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
        } => predict(&file, &input, method.into(), output.as_deref()).map(|()| ExitCode::SUCCESS),
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

fn predict(file: &Path, input: &Path, method: Method, output: Option<&Path>) -> anyhow::Result<()> {
    let model = Model::open(file)?;
    // Refuse a method the model lacks before reading a possibly large input.
    if !model.methods().contains(&method) {
        // `run` produces the E_METHOD error with the model's name in it.
        model.run(
            method,
            ndarray::Array2::zeros((0, model.n_features_in())).view(),
        )?;
    }
    let x = match format_of(input) {
        Some(Format::Csv) => input::read_csv(
            input,
            &input::Expect {
                n_features: model.n_features_in(),
                names: model.feature_names(),
            },
        )?,
        // The value parser admitted only .npy and .csv.
        Some(Format::Npy) | None => input::read_npy(input)?,
    };
    let context = || format!("{method} on {}", input.display());
    if method == Method::PredictProba {
        let mut all = model.predict_proba_multi(x.view()).with_context(context)?;
        if all.len() > 1 {
            return write_per_output(&all, output);
        }
        let one = all.pop().map(|p| Array::Float(p.into_dyn()));
        let one = one.ok_or_else(|| anyhow::anyhow!("{}: no output", context()))?;
        return write_output(&one, output);
    }
    let result = model.run(method, x.view()).with_context(context)?;
    write_output(&result, output)
}

/// One array per model output (multi-output `predict_proba`): concatenated columns in CSV,
/// `<stem>.<o>.npy` files for `.npy`.
fn write_per_output(all: &[ndarray::Array2<f64>], output: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = output.filter(|p| format_of(p) == Some(Format::Npy)) {
        for (o, p) in all.iter().enumerate() {
            let file = path.with_extension(format!("{o}.npy"));
            let bytes = amber_conformance::npy::write(&Array::Float(p.clone().into_dyn()));
            std::fs::write(&file, bytes).map_err(|e| CliError::io(&file, e))?;
        }
        return Ok(());
    }
    let views: Vec<_> = all.iter().map(|p| p.view()).collect();
    let joined = ndarray::concatenate(ndarray::Axis(1), &views)
        .map_err(|e| anyhow::anyhow!("joining the outputs' columns: {e}"))?;
    write_output(&Array::Float(joined.into_dyn()), output)
}

fn write_output(result: &Array, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        None => {
            let mut bytes = Vec::new();
            output::write_csv(result, &mut bytes).map_err(|e| CliError::io("<stdout>", e))?;
            write_stdout(&bytes)
        }
        Some(path) => {
            let bytes = match format_of(path) {
                Some(Format::Npy) => amber_conformance::npy::write(result),
                Some(Format::Csv) | None => {
                    let mut bytes = Vec::new();
                    output::write_csv(result, &mut bytes).map_err(|e| CliError::io(path, e))?;
                    bytes
                }
            };
            std::fs::write(path, bytes).map_err(|e| CliError::io(path, e).into())
        }
    }
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
