//! Implementations under test, and the testee protocol that lets any program be one.
//!
//! The runner talks to a [`Testee`]. [`InProcess`] is the Rust implementation called
//! directly; [`Process`] is any program speaking the protocol (JSON lines over stdin and
//! stdout, described once in `tests/vectors/README.md`, "Testee protocol"); [`serve`] is
//! the server side of that protocol, which `amber testee` runs over [`InProcess`] so the
//! protocol path is tested with a Rust testee.

use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use ndarray::Ix2;
use serde::{Deserialize, Serialize};

use crate::array::Array;
use crate::corpus::{read_array, write_array};
use crate::error::{ConformanceError, Result};

/// A request of the testee protocol: `{"id": N, "op": ..., ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Echoed in the response.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
}

/// The operations of the testee protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// Load `model`, run `method` on the 2-D array in `input` (`.npy`) and write the result to
    /// `output`, as `.npy` (`f64`, `i64` or `<U`) or `.json` (a nested array) by extension; or,
    /// when `output` is a list, one array per model output to each path in order.
    Predict {
        /// Absolute path of the model.
        model: PathBuf,
        /// Absolute path of the input `.npy`.
        input: PathBuf,
        /// `predict`, `predict_proba`, `decision_function`, `transform` or `score_samples`.
        method: String,
        /// Absolute path(s) to write the output to.
        output: OutputPaths,
    },
    /// Fully validate `model` (every check of the format spec, and the estimator rules).
    Validate {
        /// Absolute path of the model.
        model: PathBuf,
    },
    /// Read `model` and write it again with the implementation's canonical writer.
    Reencode {
        /// Absolute path of the model.
        model: PathBuf,
        /// Absolute path to write the re-encoded file to.
        output: PathBuf,
    },
}

/// Where a `predict` request's result goes: one path, or one per model output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutputPaths {
    /// `"output": "/abs/out.npy"`: the method's one array.
    One(PathBuf),
    /// `"output": ["/abs/out.0.npy", "/abs/out.1.npy"]`: one array per model output, in output
    /// order (`predict_proba` of a multi-output classifier). A testee whose model has another
    /// number of outputs answers `E_REQUEST`.
    PerOutput(Vec<PathBuf>),
}

/// A response: `{"id": N, "ok": true}` or `{"id": N, "ok": false, "code": ..., "message": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The request's id (`null` when the request could not be parsed far enough to know it).
    pub id: Option<u64>,
    /// Whether the request succeeded.
    pub ok: bool,
    /// On failure, the spec's error code (`E_...`); `E_REQUEST` for a malformed request,
    /// `E_INTERNAL` for a bug in the testee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// On failure, a human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a testee did not produce a result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TesteeError {
    /// The implementation refused, with an error code (e.g. `E_TRUNCATED`, `E_METHOD`).
    #[error("{code}: {message}")]
    Rejected {
        /// The code.
        code: String,
        /// The explanation.
        message: String,
    },
    /// The harness failed: the testee crashed, panicked, broke the protocol, or wrote an
    /// unreadable output.
    #[error("{0}")]
    Harness(String),
}

impl TesteeError {
    fn rejected(code: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Rejected {
            code: code.into(),
            message: message.to_string(),
        }
    }

    /// The error code: the implementation's, or `E_HARNESS` for a harness failure.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Rejected { code, .. } => code,
            Self::Harness(_) => "E_HARNESS",
        }
    }
}

/// An output file format a testee may be asked to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.npy`.
    Npy,
    /// `.json`.
    Json,
}

impl OutputFormat {
    /// The format the extension of `path` names (`.json`, else `.npy`).
    #[must_use]
    pub fn of(path: &Path) -> Self {
        if path.extension().is_some_and(|e| e == "json") {
            Self::Json
        } else {
            Self::Npy
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Npy => "npy",
            Self::Json => "json",
        }
    }
}

/// An implementation under test.
pub trait Testee {
    /// Fully validates a model file.
    ///
    /// # Errors
    /// The code the implementation rejects the file with.
    fn validate(&mut self, model: &Path) -> Result<(), TesteeError>;

    /// Runs `method` of the model on the 2-D input `.npy`. `format` is how an out-of-process
    /// testee should hand the result back.
    ///
    /// # Errors
    /// The code the implementation fails with.
    fn predict(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        format: OutputFormat,
    ) -> Result<Array, TesteeError>;

    /// Runs `method` and returns one array per model output, in output order: the list
    /// scikit-learn returns from `predict_proba` of a multi-output classifier. A single-output
    /// model (or a method with one output) gives one array. `formats` has one entry per
    /// expected output.
    ///
    /// # Errors
    /// The code the implementation fails with.
    fn predict_per_output(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        formats: &[OutputFormat],
    ) -> Result<Vec<Array>, TesteeError>;

    /// Re-encodes a model file with the implementation's writer.
    ///
    /// # Errors
    /// The code the implementation fails with.
    fn reencode(&mut self, model: &Path) -> Result<Vec<u8>, TesteeError>;
}

/// The Rust implementation (`amber-codec` + `amber-estimators`), called in-process.
#[derive(Clone, Copy, Debug, Default)]
pub struct InProcess;

fn estimator_error(e: &amber_estimators::EstimatorError) -> TesteeError {
    TesteeError::rejected(e.code(), e)
}

impl InProcess {
    fn load(
        model: &Path,
        input: &Path,
        method: &str,
    ) -> Result<(amber_estimators::Model, amber_estimators::Method, Input), TesteeError> {
        let method: amber_estimators::Method = method
            .parse()
            .map_err(|_| TesteeError::rejected("E_METHOD", format!("unknown method {method:?}")))?;
        let model = amber_estimators::Model::open(model).map_err(|e| estimator_error(&e))?;
        if input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            let columns = model.input_columns().map_err(|e| estimator_error(&e))?;
            let table = read_csv(input, &columns)?;
            return Ok((model, method, Input::Table(table)));
        }
        let x = match read_array(input) {
            Ok(Array::Float(x)) => x,
            // Integer inputs are converted, as numpy would when calling scikit-learn.
            Ok(Array::Int(x)) => x.mapv(|v| v as f64),
            Ok(Array::Str(_) | Array::Table { .. }) => {
                return Err(TesteeError::rejected("E_INPUT", "input holds strings"));
            }
            Err(ConformanceError::Io { path, source }) => {
                return Err(TesteeError::rejected(
                    "E_IO",
                    format!("{}: {source}", path.display()),
                ));
            }
            Err(e) => return Err(TesteeError::rejected("E_INPUT", e)),
        };
        let x = x.into_dimensionality::<Ix2>().map_err(|_| {
            TesteeError::rejected("E_INPUT", "input must be a 2-D array (samples x features)")
        })?;
        Ok((model, method, Input::Dense(x)))
    }
}

/// A loaded input: a matrix from `.npy`, or a table from CSV.
enum Input {
    Dense(ndarray::Array2<f64>),
    Table(amber_estimators::Table),
}

impl Input {
    fn as_input(&self) -> amber_estimators::Input<'_> {
        match self {
            Self::Dense(x) => amber_estimators::Input::Dense(x.view()),
            Self::Table(t) => amber_estimators::Input::Table(t),
        }
    }
}

/// Reads a CSV input with the model's input schema, as `amber predict` does
/// (`amber_estimators::csv`): columns by header name, strings where the model reads them.
fn read_csv(
    path: &Path,
    columns: &[(String, amber_estimators::ColumnKind)],
) -> Result<amber_estimators::Table, TesteeError> {
    let file = std::fs::File::open(path)
        .map_err(|e| TesteeError::rejected("E_IO", format!("{}: {e}", path.display())))?;
    amber_estimators::csv::read_table(std::io::BufReader::new(file), columns)
        .map_err(|e| TesteeError::rejected(e.code(), format!("{}: {e}", path.display())))
}

impl Testee for InProcess {
    fn validate(&mut self, model: &Path) -> Result<(), TesteeError> {
        amber_estimators::Model::open(model)
            .map(drop)
            .map_err(|e| estimator_error(&e))
    }

    fn predict(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        _format: OutputFormat,
    ) -> Result<Array, TesteeError> {
        let (model, method, x) = Self::load(model, input, method)?;
        model
            .run(method, x.as_input())
            .map_err(|e| estimator_error(&e))
    }

    fn predict_per_output(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        _formats: &[OutputFormat],
    ) -> Result<Vec<Array>, TesteeError> {
        let (model, method, x) = Self::load(model, input, method)?;
        if method == amber_estimators::Method::PredictProba {
            let all = model
                .predict_proba_multi(x.as_input())
                .map_err(|e| estimator_error(&e))?;
            return Ok(all
                .into_iter()
                .map(|p| Array::Float(p.into_dyn()))
                .collect());
        }
        model
            .run(method, x.as_input())
            .map(|p| vec![p])
            .map_err(|e| estimator_error(&e))
    }

    fn reencode(&mut self, model: &Path) -> Result<Vec<u8>, TesteeError> {
        amber_codec::Container::open(model)
            .and_then(|c| c.reencode())
            .map_err(|e| TesteeError::rejected(e.code(), &e))
    }
}

/// Calls `f`, turning a panic into a harness failure, so one panicking case fails alone
/// rather than ending the run.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, TesteeError>) -> Result<T, TesteeError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown payload".to_owned());
        Err(TesteeError::Harness(format!("panicked: {message}")))
    })
}

/// A testee subprocess speaking the protocol. Outputs go to a private temporary directory
/// and are read back, then deleted.
#[derive(Debug)]
pub struct Process {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    scratch: tempfile::TempDir,
    /// Set when the subprocess stopped answering; every later request fails with it.
    broken: Option<String>,
}

impl Process {
    /// Starts `command`: a program and its arguments separated by whitespace (no shell
    /// quoting), e.g. `"/usr/bin/python3 -m amber.testee"`.
    ///
    /// # Errors
    /// [`ConformanceError::Testee`] when the command is empty or cannot be started.
    pub fn spawn(command: &str) -> Result<Self> {
        let mut words = command.split_whitespace();
        let program = words
            .next()
            .ok_or_else(|| ConformanceError::Testee("empty testee command".to_owned()))?;
        let mut child = Command::new(program)
            .args(words)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| ConformanceError::Testee(format!("cannot start {command:?}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            // Both were requested as pipes above, so both are present.
            let _ = child.kill();
            return Err(ConformanceError::Testee(
                "no pipes to the testee".to_owned(),
            ));
        };
        let scratch = tempfile::Builder::new()
            .prefix("amber-conformance-")
            .tempdir()
            .map_err(|e| {
                ConformanceError::Testee(format!("cannot create a temporary directory: {e}"))
            })?;
        Ok(Self {
            command: command.to_owned(),
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            next_id: 1,
            scratch,
            broken: None,
        })
    }

    fn call(&mut self, id: u64, op: Op) -> Result<(), TesteeError> {
        if let Some(reason) = &self.broken {
            return Err(TesteeError::Harness(format!("testee unusable: {reason}")));
        }
        let result = self.exchange(&Request { id, op });
        if let Err(TesteeError::Harness(reason)) = &result {
            self.broken = Some(reason.clone());
        }
        result
    }

    fn exchange(&mut self, request: &Request) -> Result<(), TesteeError> {
        let harness = TesteeError::Harness;
        let mut line = serde_json::to_string(request)
            .map_err(|e| harness(format!("cannot encode request: {e}")))?;
        line.push('\n');
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| harness("stdin closed".to_owned()))?;
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| harness(format!("cannot write to {:?}: {e}", self.command)))?;
        let mut answer = String::new();
        let n = self
            .stdout
            .read_line(&mut answer)
            .map_err(|e| harness(format!("cannot read from {:?}: {e}", self.command)))?;
        if n == 0 {
            return Err(harness(format!(
                "{:?} closed its stdout without answering request {}",
                self.command, request.id
            )));
        }
        let response: Response = serde_json::from_str(&answer)
            .map_err(|e| harness(format!("malformed response {:?}: {e}", answer.trim_end())))?;
        if response.id != Some(request.id) {
            return Err(harness(format!(
                "response to request {} carries id {:?}",
                request.id, response.id
            )));
        }
        if response.ok {
            Ok(())
        } else {
            Err(TesteeError::Rejected {
                code: response.code.unwrap_or_else(|| "(no code)".to_owned()),
                message: response.message.unwrap_or_default(),
            })
        }
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

impl Testee for Process {
    fn validate(&mut self, model: &Path) -> Result<(), TesteeError> {
        let id = self.fresh_id();
        self.call(
            id,
            Op::Validate {
                model: model.to_owned(),
            },
        )
    }

    fn predict(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        format: OutputFormat,
    ) -> Result<Array, TesteeError> {
        let id = self.fresh_id();
        let output = self
            .scratch
            .path()
            .join(format!("output-{id}.{}", format.extension()));
        self.call(
            id,
            Op::Predict {
                model: model.to_owned(),
                input: input.to_owned(),
                method: method.to_owned(),
                output: OutputPaths::One(output.clone()),
            },
        )?;
        let result = read_array(&output)
            .map_err(|e| TesteeError::Harness(format!("cannot read the testee's output: {e}")));
        let _ = std::fs::remove_file(&output);
        result
    }

    fn predict_per_output(
        &mut self,
        model: &Path,
        input: &Path,
        method: &str,
        formats: &[OutputFormat],
    ) -> Result<Vec<Array>, TesteeError> {
        let id = self.fresh_id();
        let outputs: Vec<PathBuf> = formats
            .iter()
            .enumerate()
            .map(|(k, f)| {
                self.scratch
                    .path()
                    .join(format!("output-{id}.{k}.{}", f.extension()))
            })
            .collect();
        self.call(
            id,
            Op::Predict {
                model: model.to_owned(),
                input: input.to_owned(),
                method: method.to_owned(),
                output: OutputPaths::PerOutput(outputs.clone()),
            },
        )?;
        let result = outputs
            .iter()
            .map(|path| {
                read_array(path).map_err(|e| {
                    TesteeError::Harness(format!("cannot read the testee's output: {e}"))
                })
            })
            .collect();
        for path in &outputs {
            let _ = std::fs::remove_file(path);
        }
        result
    }

    fn reencode(&mut self, model: &Path) -> Result<Vec<u8>, TesteeError> {
        let id = self.fresh_id();
        let output = self.scratch.path().join(format!("reencoded-{id}.amber"));
        self.call(
            id,
            Op::Reencode {
                model: model.to_owned(),
                output: output.clone(),
            },
        )?;
        let result = std::fs::read(&output)
            .map_err(|e| TesteeError::Harness(format!("cannot read the testee's output: {e}")));
        let _ = std::fs::remove_file(&output);
        result
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Closing stdin is the protocol's "end of session"; give the testee a moment to exit
        // on its own before killing it.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the testee protocol: reads requests from `input` line by line until it ends,
/// runs each on `testee`, writes each response as one line to `output` and flushes it.
///
/// A line that is not a valid request gets `E_REQUEST`; a panic in the testee gets
/// `E_INTERNAL`; neither ends the session.
///
/// # Errors
/// Only I/O errors on `input` or `output`.
pub fn serve(
    input: impl BufRead,
    mut output: impl Write,
    testee: &mut dyn Testee,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let response = respond(&line, testee);
        // Serialising a plain struct of strings and numbers cannot fail.
        let text = serde_json::to_string(&response).unwrap_or_default();
        writeln!(output, "{text}")?;
        output.flush()?;
    }
    Ok(())
}

fn respond(line: &str, testee: &mut dyn Testee) -> Response {
    let request = match serde_json::from_str::<Request>(line) {
        Ok(request) => request,
        Err(e) => {
            let id = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64));
            return Response {
                id,
                ok: false,
                code: Some("E_REQUEST".to_owned()),
                message: Some(format!("malformed request: {e}")),
            };
        }
    };
    let result = guard(|| match &request.op {
        Op::Validate { model } => testee.validate(model),
        Op::Predict {
            model,
            input,
            method,
            output,
        } => match output {
            OutputPaths::One(output) => {
                let array = testee.predict(model, input, method, OutputFormat::of(output))?;
                write_array(output, &array).map_err(|e| TesteeError::rejected("E_IO", e))
            }
            OutputPaths::PerOutput(outputs) => {
                let formats: Vec<OutputFormat> =
                    outputs.iter().map(|p| OutputFormat::of(p)).collect();
                let arrays = testee.predict_per_output(model, input, method, &formats)?;
                if arrays.len() != outputs.len() {
                    return Err(TesteeError::rejected(
                        "E_REQUEST",
                        format!(
                            "output lists {} paths, the model's {method} has {} outputs",
                            outputs.len(),
                            arrays.len()
                        ),
                    ));
                }
                outputs.iter().zip(&arrays).try_for_each(|(path, array)| {
                    write_array(path, array).map_err(|e| TesteeError::rejected("E_IO", e))
                })
            }
        },
        Op::Reencode { model, output } => {
            let bytes = testee.reencode(model)?;
            std::fs::write(output, bytes)
                .map_err(|e| TesteeError::rejected("E_IO", format!("{}: {e}", output.display())))
        }
    });
    match result {
        Ok(()) => Response {
            id: Some(request.id),
            ok: true,
            code: None,
            message: None,
        },
        Err(e) => Response {
            id: Some(request.id),
            ok: false,
            code: Some(match &e {
                TesteeError::Rejected { code, .. } => code.clone(),
                TesteeError::Harness(_) => "E_INTERNAL".to_owned(),
            }),
            message: Some(match e {
                TesteeError::Rejected { message, .. } => message,
                TesteeError::Harness(message) => message,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_the_documented_shape() {
        let r = Request {
            id: 7,
            op: Op::Predict {
                model: "/m.amber".into(),
                input: "/x.npy".into(),
                method: "predict".into(),
                output: OutputPaths::One("/o.npy".into()),
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":7,"op":"predict","model":"/m.amber","input":"/x.npy","method":"predict","output":"/o.npy"}"#
        );
        let v = Request {
            id: 1,
            op: Op::Validate { model: "/m".into() },
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"id":1,"op":"validate","model":"/m"}"#
        );
        let ok = Response {
            id: Some(1),
            ok: true,
            code: None,
            message: None,
        };
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"id":1,"ok":true}"#);
        let multi = Request {
            id: 8,
            op: Op::Predict {
                model: "/m".into(),
                input: "/x.npy".into(),
                method: "predict_proba".into(),
                output: OutputPaths::PerOutput(vec!["/o.0.npy".into(), "/o.1.npy".into()]),
            },
        };
        let text = serde_json::to_string(&multi).unwrap();
        assert_eq!(
            text,
            r#"{"id":8,"op":"predict","model":"/m","input":"/x.npy","method":"predict_proba","output":["/o.0.npy","/o.1.npy"]}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), multi);
    }

    struct Fixed;

    impl Testee for Fixed {
        fn validate(&mut self, model: &Path) -> Result<(), TesteeError> {
            if model.ends_with("bad.amber") {
                Err(TesteeError::rejected("E_MAGIC", "nope"))
            } else if model.ends_with("panic.amber") {
                panic!("boom")
            } else {
                Ok(())
            }
        }
        fn predict(
            &mut self,
            _: &Path,
            _: &Path,
            _: &str,
            _: OutputFormat,
        ) -> Result<Array, TesteeError> {
            Ok(Array::Str(ndarray::arr1(&["a".to_owned()]).into_dyn()))
        }
        fn predict_per_output(
            &mut self,
            _: &Path,
            _: &Path,
            _: &str,
            _: &[OutputFormat],
        ) -> Result<Vec<Array>, TesteeError> {
            Ok(vec![
                Array::Int(ndarray::arr1(&[1]).into_dyn()),
                Array::Int(ndarray::arr1(&[2]).into_dyn()),
            ])
        }
        fn reencode(&mut self, _: &Path) -> Result<Vec<u8>, TesteeError> {
            Ok(b"bytes".to_vec())
        }
    }

    #[test]
    fn serve_answers_each_line() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.json");
        let re = dir.path().join("r.amber");
        let o0 = dir.path().join("o.0.json");
        let o1 = dir.path().join("o.1.json");
        let input = format!(
            "{}\n\n{}\n{}\nnot json\n{{\"id\": 5, \"op\": \"dance\"}}\n{}\n{}\n{}\n{}\n",
            r#"{"id":1,"op":"validate","model":"/ok.amber"}"#,
            r#"{"id":2,"op":"validate","model":"/bad.amber"}"#,
            r#"{"id":3,"op":"validate","model":"/panic.amber"}"#,
            serde_json::json!({"id": 6, "op": "predict", "model": "/m", "input": "/x.npy", "method": "predict", "output": out}),
            serde_json::json!({"id": 7, "op": "reencode", "model": "/m", "output": re}),
            serde_json::json!({"id": 8, "op": "predict", "model": "/m", "input": "/x.npy", "method": "predict_proba", "output": [o0, o1]}),
            serde_json::json!({"id": 9, "op": "predict", "model": "/m", "input": "/x.npy", "method": "predict_proba", "output": [o0]}),
        );
        let mut written = Vec::new();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        serve(input.as_bytes(), &mut written, &mut Fixed).unwrap();
        std::panic::set_hook(prev);
        let lines: Vec<Response> = String::from_utf8(written)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let summary: Vec<_> = lines
            .iter()
            .map(|r| (r.id, r.ok, r.code.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(1), true, None),
                (Some(2), false, Some("E_MAGIC")),
                (Some(3), false, Some("E_INTERNAL")),
                (None, false, Some("E_REQUEST")),
                (Some(5), false, Some("E_REQUEST")),
                (Some(6), true, None),
                (Some(7), true, None),
                (Some(8), true, None),
                (Some(9), false, Some("E_REQUEST")),
            ]
        );
        assert_eq!(std::fs::read_to_string(&o1).unwrap(), "[2]");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), r#"["a"]"#);
        assert_eq!(std::fs::read(&re).unwrap(), b"bytes");
    }
}
