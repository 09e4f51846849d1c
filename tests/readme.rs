//! The README's Rust examples are compiled as doctests (`src/lib.rs`, `ReadmeDoctests`); a
//! doctest sees every dependency of this package, so this test checks what the compiler
//! cannot: that the examples name no crate but `amber` and the standard library, as a user
//! who depends on `amber` alone writes them.

use std::path::Path;

/// The ```rust blocks of the README, with the line each starts on.
fn rust_blocks(readme: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) if info.split(',').next() == Some("rust") => {
                current = Some((i + 1, String::new()));
            }
            (Some(_), Some("")) => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```rust block");
    blocks
}

/// The roots of the paths in `code` (`x` of `x::y`, not preceded by `::`) that are neither
/// `amber`, the standard library, a primitive type nor a local path.
fn foreign_roots(code: &str) -> Vec<String> {
    const ALLOWED: &[&str] = &[
        "amber", "std", "core", "alloc", "crate", "self", "super", "f32", "f64", "i8", "i16",
        "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "bool", "char",
        "str",
    ];
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let before = code.get(..i).unwrap_or_default();
        let root: String = before
            .chars()
            .rev()
            .take_while(|c| ident(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let preceded_by_path = before
            .get(..before.len() - root.len())
            .is_some_and(|b| b.ends_with("::"));
        let lowercase = root.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if !root.is_empty() && lowercase && !preceded_by_path && !ALLOWED.contains(&root.as_str()) {
            out.push(root);
        }
    }
    out
}

#[test]
fn readme_rust_examples_use_amber_alone() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .unwrap_or_default();
    let blocks = rust_blocks(&readme);
    assert!(blocks.len() >= 2, "the README's Rust examples: {blocks:?}");
    for (line, code) in &blocks {
        let foreign = foreign_roots(code);
        assert!(
            foreign.is_empty(),
            "README.md line {line}: the example names {foreign:?}, which a user of `amber` \
             does not have (use `amber::ndarray`)"
        );
    }
}

#[test]
fn foreign_roots_finds_a_crate_the_user_lacks() {
    assert_eq!(
        foreign_roots("let x = ndarray::array![[1.0]];"),
        vec!["ndarray".to_owned()]
    );
    assert!(foreign_roots("let x = amber::ndarray::array![[f64::NAN]];").is_empty());
    assert!(foreign_roots("use amber::{Model, Prediction::Int};").is_empty());
}
