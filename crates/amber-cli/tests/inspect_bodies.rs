//! `amber inspect` over the whole corpus: every body is named (never `unknown`), every field
//! of the JSON document is documented by `--help`, the help's body list is the schema's, and
//! `sha256` is the file's SHA-256 as `sha256sum` computes it.

// Test code: clippy.toml allows these in #[test] functions but not in the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use amber_schema::wire::MESSAGES;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_amber");

fn amber(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "amber") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut out = Vec::new();
    walk(&root, &mut out);
    out.sort();
    assert!(out.len() > 100, "the corpus is at {}", root.display());
    out
}

/// The oneof `body` of `Estimator` in proto/ (through the schema's generated field tables).
fn schema_bodies() -> BTreeSet<String> {
    let estimator = MESSAGES.iter().find(|m| m.name == "Estimator").unwrap();
    estimator
        .fields
        .iter()
        .filter(|f| f.oneof.is_some())
        .map(|f| f.name.to_owned())
        .collect()
}

/// Every `body` of the estimator tree, and every object key anywhere in the document.
fn walk_json(v: &Value, bodies: &mut Vec<String>, keys: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(body)) = map.get("body") {
                bodies.push(body.clone());
            }
            for (k, inner) in map {
                keys.insert(k.clone());
                walk_json(inner, bodies, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk_json(i, bodies, keys)),
        _ => {}
    }
}

struct Inspected {
    file: PathBuf,
    json: Value,
}

/// `amber inspect --json` on every corpus file it accepts (damaged files it refuses are
/// skipped: `validate` tests cover them), with the text output checked on the way.
fn inspect_corpus() -> Vec<Inspected> {
    let mut out = Vec::new();
    for file in corpus_files() {
        let json = amber(&[&"inspect", &"--json", &file]);
        if !json.status.success() {
            continue;
        }
        let text = amber(&[&"inspect", &file]);
        assert!(
            text.status.success(),
            "{}: text fails, JSON works",
            file.display()
        );
        let text = String::from_utf8(text.stdout).unwrap();
        let unnamed = text
            .lines()
            .find(|l| l.trim_start().starts_with("body:") && l.trim_end().ends_with("unknown"));
        assert!(unnamed.is_none(), "{}: {unnamed:?}", file.display());
        let json = serde_json::from_slice(&json.stdout).unwrap();
        out.push(Inspected { file, json });
    }
    assert!(out.len() > 100);
    out
}

/// The `--help` names of the body kinds: the quoted words of the `body` entry.
fn help_bodies(help: &str) -> BTreeSet<String> {
    let start = help
        .find("  body  ")
        .expect("a `body` entry in inspect --help");
    let rest = &help[start..];
    let end = rest
        .find("params, attributes")
        .expect("the entry after `body`");
    rest[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Whether `word` is in `text` as a whole word (identifier characters on neither side).
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn inspect_help() -> String {
    let help = amber(&[&"inspect", &"--help"]);
    assert!(help.status.success());
    String::from_utf8(help.stdout).unwrap()
}

#[test]
fn inspect_names_every_body_of_the_corpus_and_help_documents_every_field() {
    let schema = schema_bodies();
    assert_eq!(schema.len(), 27, "the schema's bodies: {schema:?}");
    let help = inspect_help();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    for Inspected { file, json } in inspect_corpus() {
        let mut bodies = Vec::new();
        walk_json(&json, &mut bodies, &mut keys);
        assert!(!bodies.is_empty(), "{}: no estimator", file.display());
        for body in bodies {
            assert!(
                schema.contains(&body),
                "{}: body {body:?} is not a body of the schema",
                file.display()
            );
            *seen.entry(body).or_default() += 1;
        }
    }
    // The corpus has a file of every body, so each name above was checked on a real file.
    let unseen: Vec<_> = schema.iter().filter(|b| !seen.contains_key(*b)).collect();
    assert!(
        unseen.is_empty(),
        "no corpus file has these bodies: {unseen:?}"
    );
    let undocumented: Vec<_> = keys.iter().filter(|k| !has_word(&help, k)).collect();
    assert!(
        undocumented.is_empty(),
        "inspect --help does not document these JSON fields: {undocumented:?}"
    );
}

#[test]
fn inspect_help_lists_exactly_the_schemas_bodies() {
    assert_eq!(help_bodies(&inspect_help()), schema_bodies());
}

#[test]
fn inspect_sha256_is_the_files_sha256() {
    let files: Vec<PathBuf> = corpus_files().into_iter().step_by(7).collect();
    // The reference digests: coreutils' sha256sum over the same files.
    let sums = Command::new("sha256sum").args(&files).output().unwrap();
    assert!(sums.status.success());
    let sums = String::from_utf8(sums.stdout).unwrap();
    let mut checked = 0;
    for (file, line) in files.iter().zip(sums.lines()) {
        let expected = line.split_whitespace().next().unwrap();
        let json = amber(&[&"inspect", &"--json", file]);
        if !json.status.success() {
            continue;
        }
        let json: Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(json["sha256"], expected, "{}", file.display());
        let text = String::from_utf8(amber(&[&"inspect", file]).stdout).unwrap();
        assert!(
            text.lines()
                .any(|l| l == format!("sha256:            {expected}")),
            "{}:\n{text}",
            file.display()
        );
        checked += 1;
    }
    assert!(checked > 50);
}

#[test]
fn inspect_sha256_of_a_known_file() {
    // Computed with `sha256sum` and Python's hashlib; corpus files never change.
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/valid/gb_classifier_init_forest_multiclass-sk1.3.2/model.amber");
    let json = amber(&[&"inspect", &"--json", &file]);
    assert!(json.status.success());
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        json["sha256"],
        "61f77493531d0d04747c704e4c397a1c224d771b3cbedb30a6abfe11dfa251bc"
    );
    assert_eq!(json["estimator"]["body"], "boosting");
    assert_eq!(json["estimator"]["boosting"]["link"], "logsumexp");
    assert_eq!(json["estimator"]["boosting"]["init_link"], "log");
    assert_eq!(
        json["estimator"]["boosting"]["init"]["body"],
        "tree_ensemble"
    );
}
