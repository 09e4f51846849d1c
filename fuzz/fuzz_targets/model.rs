//! `Model::from_bytes` and every method on a small input, with a structure-aware mutator that
//! keeps the checksums valid (`amber_fuzz::mutate`), so mutations reach the protobuf decoder,
//! the tensor table and the estimator rules.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| amber_fuzz::open_and_run(data));

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    amber_fuzz::mutate(data, size, max_size, seed, fuzzer_mutate)
});
