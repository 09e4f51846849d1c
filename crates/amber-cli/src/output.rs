//! Writing `amber predict`'s output as CSV or `.npy`.

use std::io::Write;

use amber_conformance::{Array, format_float};

/// Writes one CSV row per sample: a 1-D output gives one value per row, a 2-D output its
/// columns comma-separated. Floats use the shortest text that parses back to the same value
/// ([`format_float`]); strings are quoted when CSV requires it.
///
/// # Errors
/// The writer's I/O errors.
pub fn write_csv(array: &Array, out: impl Write) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .flexible(true)
        .from_writer(out);
    let cells: Vec<String> = match array {
        Array::Float(a) => a.iter().map(|&v| format_float(v)).collect(),
        Array::Int(a) => a.iter().map(i64::to_string).collect(),
        Array::Str(a) => a.iter().cloned().collect(),
    };
    let shape = array.shape();
    // Rows are the first axis; any further axes are flattened into the columns. A scalar is
    // one row of one value.
    let (rows, columns) = match shape.split_first() {
        None => (1, 1),
        Some((&rows, rest)) => (rows, rest.iter().product::<usize>()),
    };
    let mut cells = cells.into_iter();
    for _ in 0..rows {
        let row: Vec<String> = cells.by_ref().take(columns).collect();
        writer.write_record(&row).map_err(csv_to_io)?;
    }
    writer.flush()
}

fn csv_to_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{arr1, arr2};

    use super::*;

    fn csv(a: &Array) -> String {
        let mut out = Vec::new();
        write_csv(a, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_row_per_sample() {
        assert_eq!(csv(&Array::Int(arr1(&[1, -2]).into_dyn())), "1\n-2\n");
        assert_eq!(
            csv(&Array::Float(
                arr2(&[[0.5, 1e-7], [3.0, f64::NAN]]).into_dyn()
            )),
            "0.5,1e-7\n3,NaN\n"
        );
    }

    #[test]
    fn strings_are_quoted_when_needed() {
        let a = Array::Str(
            arr1(&[
                "plain".to_owned(),
                "a,b".to_owned(),
                "say \"hi\"".to_owned(),
            ])
            .into_dyn(),
        );
        assert_eq!(csv(&a), "plain\n\"a,b\"\n\"say \"\"hi\"\"\"\n");
    }

    #[test]
    fn floats_round_trip_through_the_text() {
        let values = [0.1 + 0.2, 1.0 / 3.0, -1e-310, 6.02214076e23, f64::MAX];
        let text = csv(&Array::Float(arr1(&values).into_dyn()));
        let back: Vec<f64> = text.lines().map(|l| l.parse().unwrap()).collect();
        assert!(
            values
                .iter()
                .zip(&back)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{text}"
        );
    }
}
