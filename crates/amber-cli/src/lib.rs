//! The library half of the `amber` command: its input readers and error type, in a library
//! so that the fuzz targets in `fuzz/` can drive the CSV and `.npy` readers on arbitrary
//! bytes (see FUZZING.md). The command itself is `src/main.rs`.

pub mod error;
pub mod input;
