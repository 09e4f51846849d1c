//! The CLI's CSV readers (`crates/amber-cli/src/input.rs`, over `amber::csv::TableReader`) on
//! arbitrary text. Four bytes describe the model, the rest is the file:
//! - byte 0: the number of input columns (0..=8);
//! - byte 1: bit 0, whether the columns have names (`a`, `b`, ...); bits 1-3, the batch size
//!   in rows (1..=7; 0 reads everything as one batch); bits 4-5, the header rule (detect,
//!   present, absent); bits 6-7, the delimiter (`,`, `;`, tab, `"`, which must be refused);
//! - bytes 2-3 (little-endian): two bits per column, its kind (numeric, string, any, unused).
//!
//! The streaming reader must reject with `E_INPUT` only, and every batch it gives has one
//! column per schema column, of a kind the schema accepts, all as long as the batch. A model
//! whose columns are all numeric is also read by `read_csv_from` (the `.csv` matrix path),
//! which must give a matrix of the model's width or `E_INPUT`.
#![no_main]

use std::path::Path;

use amber::ColumnKind;
use amber::csv::{CsvOptions, Header};
use amber_cli::input::{Expect, open_csv_from, read_csv_from, table_error};
use libfuzzer_sys::fuzz_target;

fn kind(bits: u16) -> ColumnKind {
    match bits & 3 {
        0 => ColumnKind::Numeric,
        1 => ColumnKind::String,
        2 => ColumnKind::Any,
        _ => ColumnKind::Unused,
    }
}

fuzz_target!(|data: &[u8]| {
    let [n, flags, k0, k1, text @ ..] = data else {
        return;
    };
    let n = usize::from(n % 9);
    let named = flags & 1 == 1;
    let batch = match (flags >> 1) & 7 {
        0 => usize::MAX,
        b => usize::from(b),
    };
    let header = match (flags >> 4) & 3 {
        1 => Header::Present,
        2 => Header::Absent,
        _ => Header::Detect,
    };
    let delimiter = match flags >> 6 {
        0 => b',',
        1 => b';',
        2 => b'\t',
        _ => b'"',
    };
    let options = CsvOptions::default()
        .batch_rows(batch)
        .header(header)
        .delimiter(delimiter);
    let bits = u16::from_le_bytes([*k0, *k1]);
    let names: Vec<String> = (b'a'..)
        .take(n)
        .map(|c| char::from(c).to_string())
        .collect();
    let columns: Vec<(String, ColumnKind)> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let name = if named { name.clone() } else { String::new() };
            (name, kind(bits >> (2 * j)))
        })
        .collect();
    let path = Path::new("fuzz.csv");

    match open_csv_from(path, text, &columns, options) {
        Err(e) => assert_eq!(e.code(), "E_INPUT", "{e}"),
        Ok(mut reader) => loop {
            match reader.next_batch() {
                Ok(Some(table)) => {
                    assert_eq!(table.n_columns(), n);
                    assert!(table.n_rows() <= batch);
                    for (j, (_, want)) in columns.iter().enumerate() {
                        let column = table.column(j).expect("one column per schema column");
                        assert!(want.accepts(column), "column {j}: {want:?}");
                        assert_eq!(column.len(), table.n_rows());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let e = table_error(path, e);
                    assert_eq!(e.code(), "E_INPUT", "{e}");
                    break;
                }
            }
        },
    }

    if columns.iter().all(|(_, k)| *k == ColumnKind::Numeric) {
        let expect = Expect {
            n_features: n,
            names: named.then_some(names.as_slice()),
        };
        match read_csv_from(path, text, &expect) {
            Ok(x) => assert_eq!(x.ncols(), n),
            Err(e) => assert_eq!(e.code(), "E_INPUT", "{e}"),
        }
    }
});
