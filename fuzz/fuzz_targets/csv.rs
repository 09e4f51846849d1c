//! The CLI's CSV reader (`crates/amber-cli/src/input.rs`) on arbitrary text. Byte 0 picks the
//! model's feature count (0..=8), byte 1 whether it has feature names (`a`, `b`, ...); the
//! rest is the file. Every rejection is `E_INPUT`; an accepted file has the model's width.
#![no_main]

use std::path::Path;

use amber_cli::input::{Expect, read_csv_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (Some(&n), Some(&named)) = (data.first(), data.get(1)) else {
        return;
    };
    let n = usize::from(n % 9);
    let names: Vec<String> = (b'a'..)
        .take(n)
        .map(|c| char::from(c).to_string())
        .collect();
    let expect = Expect {
        n_features: n,
        names: (named & 1 == 1).then_some(names.as_slice()),
    };
    let text = data.get(2..).unwrap_or_default();
    match read_csv_from(Path::new("fuzz.csv"), text, &expect) {
        Ok(x) => assert_eq!(x.ncols(), n),
        Err(e) => assert_eq!(e.code(), "E_INPUT", "{e}"),
    }
});
