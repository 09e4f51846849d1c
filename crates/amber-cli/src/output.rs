//! Writing `amber predict`'s output as CSV, batch by batch.

use std::io::Write;

use amber_conformance::{Array, format_float};
use amber_estimators::Column;

/// Writes one CSV row per sample: a 1-D output gives one value per row, a 2-D output its
/// columns comma-separated. Floats use the shortest text that parses back to the same value
/// ([`format_float`]); strings are quoted when CSV requires it.
///
/// # Errors
/// The writer's I/O errors.
#[cfg(test)]
pub fn write_csv(array: &Array, out: impl Write) -> std::io::Result<()> {
    let mut sink = CsvSink::new(out);
    sink.write(std::slice::from_ref(array))?;
    sink.finish()
}

/// A CSV output written batch by batch: each call appends the batch's rows, the outputs of
/// one batch side by side (a multi-output `predict_proba`'s arrays, concatenated).
#[derive(Debug)]
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        let writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .flexible(true)
            .from_writer(out);
        Self { writer }
    }

    /// Appends one row per sample of `parts` (which have the same number of rows). A
    /// scalar is one row of one value; a table's missing cells are empty.
    ///
    /// # Errors
    /// The writer's I/O errors.
    pub fn write(&mut self, parts: &[Array]) -> std::io::Result<()> {
        let rows = parts
            .first()
            .map_or(0, |p| p.shape().first().copied().unwrap_or(1));
        let cells: Vec<Vec<String>> = parts.iter().map(cells_of).collect();
        let widths: Vec<usize> = parts
            .iter()
            .zip(&cells)
            .map(|(p, c)| {
                if p.shape().is_empty() {
                    1
                } else {
                    c.len() / rows.max(1)
                }
            })
            .collect();
        for i in 0..rows {
            for (c, &w) in cells.iter().zip(&widths) {
                for cell in c.iter().skip(i * w).take(w) {
                    self.writer.write_field(cell).map_err(csv_to_io)?;
                }
            }
            self.writer.write_record(None::<&[u8]>).map_err(csv_to_io)?;
        }
        Ok(())
    }

    /// Flushes the output.
    ///
    /// # Errors
    /// The writer's I/O errors.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Every cell of an output as CSV text, row-major.
fn cells_of(array: &Array) -> Vec<String> {
    match array {
        Array::Float(a) => a.iter().map(|&v| format_float(v)).collect(),
        Array::Int(a) => a.iter().map(i64::to_string).collect(),
        Array::Str(a) => a.iter().cloned().collect(),
        Array::Table { table, shape } => {
            let mut cells = Vec::with_capacity(shape[0] * shape[1]);
            for i in 0..shape[0] {
                for j in 0..shape[1] {
                    cells.push(match table.column(j) {
                        Some(Column::Numeric(v)) => {
                            v.get(i).map_or_else(String::new, |&x| format_float(x))
                        }
                        Some(Column::Text(t)) => t.get(i).unwrap_or_default().to_owned(),
                        None => String::new(),
                    });
                }
            }
            cells
        }
    }
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
