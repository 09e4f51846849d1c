//! Writing `amber predict`'s output batch by batch: CSV rows as they come, `.npy` files
//! streamed after a header rewritten at the end.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use amber_cli::error::CliError;
use amber_conformance::npy;

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

/// Where `amber predict`'s outputs go, batch by batch. CSV is written as batches come (to
/// stdout, or to a file). `.npy` of numbers is streamed after a reserved header that is
/// rewritten with the row count at the end; string labels (whose `<U` width is the longest
/// label's) are kept and written at the end. A file is written as `OUT.partial` and renamed
/// when complete, so a failed run leaves no partial OUT.
pub enum Sink {
    /// CSV rows.
    Csv(Box<CsvSink<Box<dyn Write>>>, Option<Partial>),
    /// One `.npy` per model output.
    Npy(Vec<NpyOut>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Csv(_, partial) => f.debug_tuple("Csv").field(partial).finish(),
            Self::Npy(outs) => f.debug_tuple("Npy").field(&outs.len()).finish(),
        }
    }
}

impl Sink {
    /// A sink for `output` (stdout when `None`), `.npy` when `npy`; a model with several
    /// outputs (a multi-output `predict_proba`) writes `<stem>.<o>.npy` per output, the
    /// corpus's naming, and not OUT.npy itself.
    ///
    /// # Errors
    /// `E_IO` when a file cannot be created.
    pub fn open(output: Option<&Path>, npy: bool, n_outputs: usize) -> anyhow::Result<Self> {
        match output {
            Some(path) if npy => {
                let paths: Vec<PathBuf> = if n_outputs == 1 {
                    vec![path.to_owned()]
                } else {
                    (0..n_outputs)
                        .map(|o| path.with_extension(format!("{o}.npy")))
                        .collect()
                };
                Ok(Self::Npy(paths.into_iter().map(NpyOut::Pending).collect()))
            }
            Some(path) => {
                let (file, partial) = Partial::create(path)?;
                let out: Box<dyn Write> = Box::new(BufWriter::new(file));
                Ok(Self::Csv(Box::new(CsvSink::new(out)), Some(partial)))
            }
            None => {
                let out: Box<dyn Write> = Box::new(BufWriter::new(std::io::stdout()));
                Ok(Self::Csv(Box::new(CsvSink::new(out)), None))
            }
        }
    }

    /// Appends one batch's outputs.
    ///
    /// # Errors
    /// `E_IO` on a write failure; `E_INPUT` for a table with strings into `.npy`.
    pub fn write(&mut self, batch: Vec<Array>) -> anyhow::Result<()> {
        match self {
            Self::Csv(sink, partial) => sink
                .write(&batch)
                .map_err(|e| CliError::io(Partial::name(partial.as_ref()), e).into()),
            Self::Npy(outs) => {
                for (out, part) in outs.iter_mut().zip(batch) {
                    out.write(part)?;
                }
                Ok(())
            }
        }
    }

    /// Completes the output: flushes, writes `.npy` headers, renames partial files.
    ///
    /// # Errors
    /// `E_IO` on a write failure.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Csv(sink, partial) => {
                (*sink)
                    .finish()
                    .map_err(|e| CliError::io(Partial::name(partial.as_ref()), e))?;
                partial.map_or(Ok(()), Partial::commit)
            }
            Self::Npy(outs) => outs.into_iter().try_for_each(NpyOut::finish),
        }
    }
}

/// One `.npy` output.
#[derive(Debug)]
pub enum NpyOut {
    /// No batch yet: the kind of the output decides.
    Pending(PathBuf),
    /// Numbers, streamed after `reserved` header bytes.
    Stream {
        /// The file, under its temporary name.
        out: BufWriter<File>,
        /// Its names.
        partial: Partial,
        /// `<f8` or `<i8`.
        descr: &'static str,
        /// Header bytes reserved at the start.
        reserved: usize,
        /// Rows so far.
        rows: usize,
        /// The shape past the first axis, the same for every batch.
        inner: Vec<usize>,
    },
    /// String labels, kept.
    Keep(PathBuf, Vec<Array>),
}

impl NpyOut {
    fn write(&mut self, part: Array) -> anyhow::Result<()> {
        if let Self::Pending(path) = self {
            let path = std::mem::take(path);
            *self = match &part {
                Array::Table { .. } => return Err(CliError::NpyTable { path }.into()),
                Array::Str(_) => Self::Keep(path, Vec::new()),
                Array::Float(_) | Array::Int(_) => Self::stream(&path, &part)?,
            };
        }
        match self {
            Self::Keep(_, parts) => parts.push(part),
            Self::Stream {
                out,
                partial,
                descr,
                rows,
                inner,
                ..
            } => {
                let (n, rest) = part.shape().split_first().unwrap_or((&1, &[]));
                let same = rest == inner.as_slice() && descr_of(&part) == Some(*descr);
                if !same {
                    let what = format!(
                        "a batch's output is {:?}, earlier ones {inner:?}",
                        part.shape()
                    );
                    return Err(anyhow::anyhow!("{}: {what}", partial.path.display()));
                }
                *rows += n;
                let io = |e| CliError::io(&partial.temporary, e);
                match &part {
                    Array::Float(a) => a.iter().try_for_each(|v| out.write_all(&v.to_le_bytes())),
                    Array::Int(a) => a.iter().try_for_each(|v| out.write_all(&v.to_le_bytes())),
                    Array::Str(_) | Array::Table { .. } => Ok(()),
                }
                .map_err(io)?;
            }
            Self::Pending(_) => {}
        }
        Ok(())
    }

    /// A streamed output for `first`'s kind and shape, its header room reserved.
    fn stream(path: &Path, first: &Array) -> anyhow::Result<Self> {
        let descr = descr_of(first).unwrap_or("<f8");
        let inner = first.shape().get(1..).unwrap_or_default().to_vec();
        // Room for the header of the largest row count.
        let widest: Vec<usize> = std::iter::once(usize::MAX)
            .chain(inner.iter().copied())
            .collect();
        let reserved = (1..64)
            .map(|k| k * 64)
            .find(|&len| npy::header_of_len(descr, &widest, len).is_some())
            .ok_or_else(|| {
                anyhow::anyhow!("{}: an output of {} axes", path.display(), inner.len() + 1)
            })?;
        let (file, partial) = Partial::create(path)?;
        let mut out = BufWriter::new(file);
        out.write_all(&vec![b' '; reserved])
            .map_err(|e| CliError::io(&partial.temporary, e))?;
        Ok(Self::Stream {
            out,
            partial,
            descr,
            reserved,
            rows: 0,
            inner,
        })
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Pending(_) => Ok(()),
            Self::Keep(path, parts) => {
                let all = concat(parts)?;
                let (file, partial) = Partial::create(&path)?;
                let mut out = BufWriter::new(file);
                out.write_all(&npy::write(&all))
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::io(&partial.temporary, e))?;
                drop(out);
                partial.commit()
            }
            Self::Stream {
                mut out,
                partial,
                descr,
                reserved,
                rows,
                inner,
            } => {
                let shape: Vec<usize> = std::iter::once(rows).chain(inner).collect();
                let header = npy::header_of_len(descr, &shape, reserved)
                    .ok_or_else(|| anyhow::anyhow!("{}: header", partial.path.display()))?;
                let io = |e| CliError::io(&partial.temporary, e);
                out.flush().map_err(io)?;
                let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
                file.seek(SeekFrom::Start(0))
                    .and_then(|_| file.write_all(&header))
                    .and_then(|()| file.flush())
                    .map_err(io)?;
                drop(file);
                partial.commit()
            }
        }
    }
}

fn descr_of(a: &Array) -> Option<&'static str> {
    match a {
        Array::Float(_) => Some("<f8"),
        Array::Int(_) => Some("<i8"),
        Array::Str(_) | Array::Table { .. } => None,
    }
}

/// An output file written under a temporary name (`OUT.partial`), removed unless committed.
#[derive(Debug)]
pub struct Partial {
    temporary: PathBuf,
    path: PathBuf,
    done: bool,
}

impl Partial {
    fn create(path: &Path) -> anyhow::Result<(File, Partial)> {
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(".partial");
        let partial = Partial {
            temporary: path.with_file_name(name),
            path: path.to_owned(),
            done: false,
        };
        let file = File::create(&partial.temporary).map_err(|e| CliError::io(path, e))?;
        Ok((file, partial))
    }

    /// Gives the file its name.
    fn commit(mut self) -> anyhow::Result<()> {
        std::fs::rename(&self.temporary, &self.path).map_err(|e| CliError::io(&self.path, e))?;
        self.done = true;
        Ok(())
    }

    /// The output's name for messages: the file, or stdout.
    fn name(partial: Option<&Partial>) -> PathBuf {
        partial.map_or_else(|| "<stdout>".into(), |p| p.temporary.clone())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            // Best effort: the run has already failed with the error that matters.
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// The batches' arrays of one output, joined along the rows.
fn concat(parts: Vec<Array>) -> anyhow::Result<Array> {
    if parts.len() == 1 {
        return parts
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no output"));
    }
    let views: Option<Vec<_>> = parts
        .iter()
        .map(|p| match p {
            Array::Str(a) => Some(a.view()),
            _ => None,
        })
        .collect();
    let views = views.ok_or_else(|| anyhow::anyhow!("the batches' outputs differ in kind"))?;
    let joined = ndarray::concatenate(ndarray::Axis(0), &views)
        .map_err(|e| anyhow::anyhow!("joining the batches' outputs: {e}"))?;
    Ok(Array::Str(joined))
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
