//! The `.npy` readers on arbitrary bytes: the conformance crate's `npy::read` (an accepted
//! array must survive `write` then `read` unchanged) and the CLI's input reader built on it
//! (every rejection is `E_INPUT`).
#![no_main]

use std::path::Path;

use amber_conformance::{Array, npy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = npy::read(data) {
        let again = npy::read(&npy::write(&array)).expect("a written array reads back");
        assert!(same(&array, &again), "write then read changed the array");
    }
    if let Err(e) = amber_cli::input::npy_from_bytes(Path::new("fuzz.npy"), data) {
        assert_eq!(e.code(), "E_INPUT", "{e}");
    }
});

/// Equal shapes and values, NaNs compared by bits.
fn same(a: &Array, b: &Array) -> bool {
    match (a, b) {
        (Array::Float(x), Array::Float(y)) => {
            x.shape() == y.shape() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
        }
        (Array::Int(x), Array::Int(y)) => x == y,
        (Array::Str(x), Array::Str(y)) => x == y,
        _ => false,
    }
}
