//! Shared code of the fuzz targets: the container framing (so a mutated manifest or tensor
//! still passes the checksums and reaches the decoder and the model rules), the
//! structure-aware mutator built on it, and the "open and run every method" harness.
//!
//! The framing is written here from `spec/format.md` §1, not taken from the codec under
//! test, so that a bug in the codec's writer cannot hide the same bug in its reader.

use amber::{ColumnKind, EstimatorError, Input, Model, Prediction, Table, TextColumn};
use amber_schema::raw;
use ndarray::{Array2, ArrayView2};
use prost::Message;

/// `\x89AMB\r\n\x1a\n`.
pub const MAGIC: [u8; 8] = *b"\x89AMB\r\n\x1a\n";
/// The fixed header size.
pub const HEADER_LEN: usize = 64;
/// The widest input the harness builds: a model declaring more features is opened but not run.
pub const MAX_COLUMNS: usize = 256;
/// Rows of the harness's input.
pub const ROWS: usize = 8;

fn align64(n: usize) -> usize {
    n.div_ceil(64).saturating_mul(64)
}

fn u64_at(file: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = file.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The manifest and data section of a file, as its header places them, if it has a header
/// that places them inside the file.
pub fn split(file: &[u8]) -> Option<(&[u8], &[u8])> {
    if file.get(..8)? != MAGIC {
        return None;
    }
    let manifest_len = usize::try_from(u64_at(file, 16)?).ok()?;
    let data_offset = usize::try_from(u64_at(file, 24)?).ok()?;
    let manifest = file.get(HEADER_LEN..HEADER_LEN.checked_add(manifest_len)?)?;
    let data = file.get(data_offset..).unwrap_or_default();
    Some((manifest, data))
}

/// A file of version 1.0 holding `manifest` and `data`, with correct lengths, padding and
/// header and manifest checksums (the tensor checksums are the manifest's business).
pub fn frame(manifest: &[u8], data: &[u8]) -> Vec<u8> {
    let data_offset = align64(HEADER_LEN + manifest.len());
    let mut file = Vec::with_capacity(data_offset + data.len());
    file.extend_from_slice(&MAGIC);
    file.extend_from_slice(&1u16.to_le_bytes());
    file.extend_from_slice(&0u16.to_le_bytes());
    file.extend_from_slice(&0u32.to_le_bytes());
    for n in [
        manifest.len(),
        data_offset,
        data.len(),
        data_offset + data.len(),
    ] {
        file.extend_from_slice(&(n as u64).to_le_bytes());
    }
    file.extend_from_slice(&crc32fast::hash(manifest).to_le_bytes());
    file.extend_from_slice(&[0u8; 8]);
    let header_crc = crc32fast::hash(&file);
    file.extend_from_slice(&header_crc.to_le_bytes());
    file.extend_from_slice(manifest);
    file.resize(data_offset, 0);
    file.extend_from_slice(data);
    file
}

/// Rewrites the header and manifest checksums of `file` in place, leaving every other field
/// as it is (so a mutated length or flag still reaches its own check).
pub fn repair_header_crcs(file: &mut [u8]) {
    if let Some((manifest, _)) = split(file) {
        let crc = crc32fast::hash(manifest).to_le_bytes();
        if let Some(slot) = file.get_mut(48..52) {
            slot.copy_from_slice(&crc);
        }
    }
    if file.len() >= HEADER_LEN {
        let crc = crc32fast::hash(file.get(..60).unwrap_or_default()).to_le_bytes();
        if let Some(slot) = file.get_mut(60..64) {
            slot.copy_from_slice(&crc);
        }
    }
}

/// The manifest re-encoded with every tensor's `crc32` set to the checksum of the bytes its
/// entry points at, or `None` when it does not decode or every checksum is already right
/// (then the manifest's own bytes, unknown fields and all, are kept).
pub fn repair_tensor_crcs(manifest: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = raw::Manifest::decode(manifest).ok()?;
    let mut changed = false;
    for t in &mut decoded.tensors {
        let start = usize::try_from(t.offset).ok()?;
        let end = start.checked_add(usize::try_from(t.length).ok()?)?;
        let crc = crc32fast::hash(data.get(start..end)?);
        if crc != t.crc32 {
            t.crc32 = crc;
            changed = true;
        }
    }
    changed.then(|| decoded.encode_to_vec())
}

/// A small deterministic generator for the mutator's choices.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 33) as usize % n.max(1)
    }
}

/// libFuzzer's own mutation of `bytes`, growing up to `max` bytes.
fn mutate_bytes(
    bytes: &[u8],
    max: usize,
    raw: &mut impl FnMut(&mut [u8], usize, usize) -> usize,
) -> Vec<u8> {
    let max = max.max(bytes.len()).max(1);
    let mut buf = bytes.to_vec();
    buf.resize(max, 0);
    let n = raw(&mut buf, bytes.len(), max);
    buf.truncate(n.min(max));
    buf
}

/// The structure-aware mutator of the `model` target. It splits the file into manifest and
/// data section, mutates one of them with libFuzzer's byte mutator and frames the result with
/// correct lengths and checksums, so that the mutation reaches the protobuf decoder, the
/// tensor table and the estimator rules instead of dying at a checksum. Now and then it
/// mutates the whole file as raw bytes and only repairs the two header checksums, so the
/// header checks are still exercised. Returns the new size, as libFuzzer's mutator does.
pub fn mutate(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    mut raw: impl FnMut(&mut [u8], usize, usize) -> usize,
) -> usize {
    let mut rng = Rng(u64::from(seed) | 1 << 40);
    let Some(file) = data.get(..size) else {
        return raw(data, size, max_size);
    };
    let Some((manifest, section)) = split(file) else {
        return raw(data, size, max_size);
    };
    let mut choice = rng.below(10);
    if choice >= 7 && section.is_empty() {
        choice = 1;
    }
    let mutated = match choice {
        0 => {
            // Raw bytes, header checksums repaired: the header fields' own checks.
            let n = raw(data, size, max_size);
            if let Some(file) = data.get_mut(..n) {
                repair_header_crcs(file);
            }
            return n;
        }
        1..=6 => {
            let room = max_size.saturating_sub(HEADER_LEN + 64 + section.len());
            let manifest = mutate_bytes(manifest, room, &mut raw);
            frame(&manifest, section)
        }
        _ => {
            // Same length, so the tensor table still places every tensor; then the tensor
            // checksums are repaired, so the mutated values reach the model.
            let mut mutated = mutate_bytes(section, section.len(), &mut raw);
            mutated.resize(section.len(), 0);
            let section = mutated;
            let manifest = repair_tensor_crcs(manifest, &section).unwrap_or(manifest.to_vec());
            frame(&manifest, &section)
        }
    };
    if mutated.len() > max_size {
        return raw(data, size, max_size);
    }
    if let Some(dst) = data.get_mut(..mutated.len()) {
        dst.copy_from_slice(&mutated);
    }
    mutated.len()
}

/// The harness's input: `ROWS` rows of `n` columns taken from special values and from the
/// file's own bytes read as `f64` (which include tree thresholds and category values, so
/// inputs land on split points), and their negatives.
pub fn input_from(file: &[u8], n: usize) -> Array2<f64> {
    let special = [0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300];
    let from_file: Vec<f64> = file
        .chunks_exact(8)
        .skip(HEADER_LEN / 8)
        .filter_map(|c| c.try_into().ok().map(f64::from_le_bytes))
        .collect();
    Array2::from_shape_fn((ROWS, n), |(r, c)| match r {
        0..=3 => special.get((r + c) % special.len()).copied().unwrap_or(0.0),
        _ if from_file.is_empty() => r as f64,
        _ => {
            let v = from_file
                .get((r * n + c) % from_file.len())
                .copied()
                .unwrap_or(0.0);
            if r % 2 == 0 { v } else { -v }
        }
    })
}

fn check_error(e: &EstimatorError) {
    let code = e.code();
    assert!(
        code.starts_with("E_") && code.len() > 2,
        "an error without a code: {e}"
    );
}

/// The rows of an output: its first axis, except for a 3-D one (a soft `VotingClassifier`'s
/// `transform` without `flatten_transform`, `[members, n, classes]`), whose second axis.
fn rows_of(prediction: &Prediction) -> Option<usize> {
    let shape = match prediction {
        Prediction::Float(a) => a.shape(),
        Prediction::Int(a) => a.shape(),
        Prediction::Str(a) => a.shape(),
        Prediction::Table { shape, .. } => return Some(shape[0]),
    };
    match shape {
        [_, n, _] => Some(*n),
        _ => shape.first().copied(),
    }
}

fn check<T>(result: amber::Result<T>, rows: impl Fn(&T) -> Option<usize>, n: usize) {
    match result {
        Ok(out) => assert_eq!(rows(&out), Some(n), "an output without a row per sample"),
        Err(e) => check_error(&e),
    }
}

/// Runs every method of `model` on `x`: none may panic, every error must carry a code and
/// every output must have one row per sample.
pub fn run_methods(model: &Model, x: ArrayView2<'_, f64>) {
    run_on(model, x.into(), x.nrows());
}

/// The strings a table input draws from: the printable runs of the file's manifest (category
/// and fill values are there), an empty string and a few that are never categories.
fn strings_of(file: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = vec![String::new(), "NaN".into(), "\u{e9}t\u{e9}".into()];
    let manifest = file.get(HEADER_LEN..).unwrap_or_default();
    for run in manifest.split(|b| !b.is_ascii_graphic() && *b != b' ') {
        if (1..=24).contains(&run.len()) && out.len() < 64 {
            out.push(String::from_utf8_lossy(run).into_owned());
        }
    }
    out
}

/// A table by the model's input schema: numeric (and any, unused) columns from `x`, string
/// columns from [`strings_of`], one missing cell in each.
pub fn table_from(
    file: &[u8],
    columns: &[(String, ColumnKind)],
    x: ArrayView2<'_, f64>,
) -> Option<Table> {
    let words = strings_of(file);
    let mut table = Table::new(x.nrows());
    for (j, (name, kind)) in columns.iter().enumerate() {
        let column = x.column(j.min(x.ncols().checked_sub(1)?));
        let pushed = if *kind == ColumnKind::String {
            let mut text = TextColumn::with_capacity(x.nrows(), 16 * x.nrows());
            for r in 0..x.nrows() {
                let word = words.get((r * 7 + j * 3) % words.len()).map(String::as_str);
                text.push(if r == 2 { None } else { word });
            }
            table.push_text(name.clone(), text)
        } else {
            table.push_numeric(name.clone(), column.to_vec())
        };
        pushed.ok()?;
    }
    Some(table)
}

/// [`run_methods`] on `x`, and when the model's schema has a column that is not numeric, on
/// a table built by [`table_from`] too.
pub fn run_all(model: &Model, file: &[u8], x: ArrayView2<'_, f64>) {
    run_methods(model, x);
    let Ok(columns) = model.input_columns() else {
        return;
    };
    if columns.iter().any(|(_, k)| *k != ColumnKind::Numeric) {
        if let Some(table) = table_from(file, &columns, x) {
            run_on(model, (&table).into(), x.nrows());
        }
    }
}

fn run_on(model: &Model, x: Input<'_>, n: usize) {
    check(model.predict(x), rows_of, n);
    check(model.predict_proba(x), |a| Some(a.nrows()), n);
    match model.predict_proba_multi(x) {
        Ok(outputs) => outputs.iter().for_each(|a| assert_eq!(a.nrows(), n)),
        Err(e) => check_error(&e),
    }
    check(
        model.decision_function(x),
        |a| a.shape().first().copied(),
        n,
    );
    check(model.transform(x), |a| Some(a.nrows()), n);
    check(model.score_samples(x), |a| Some(a.len()), n);
    check(model.run(amber::Method::Transform, x), rows_of, n);
}

/// The `model` target: open `file`; when it opens and declares at most [`MAX_COLUMNS`]
/// features, run every method on an input built from the file.
pub fn open_and_run(file: &[u8]) {
    match Model::from_bytes(file.to_vec()) {
        Ok(model) => {
            let n = model.n_features_in();
            if n <= MAX_COLUMNS {
                let x = input_from(file, n);
                run_all(&model, file, x.view());
            }
        }
        Err(e) => check_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harness reaches the methods: every valid corpus model opens and predicts on the
    /// input built from its own bytes.
    #[test]
    fn corpus_models_open_and_predict() {
        let vectors =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/valid");
        let (mut predicted, mut tables) = (0, 0);
        for entry in std::fs::read_dir(vectors).expect("tests/vectors/valid") {
            let file = std::fs::read(entry.expect("an entry").path().join("model.amber"))
                .expect("a model");
            let model = Model::from_bytes(file.clone()).expect("a valid model opens");
            let x = input_from(&file, model.n_features_in());
            run_all(&model, &file, x.view());
            predicted +=
                usize::from(model.predict(x.view()).is_ok() || model.transform(x.view()).is_ok());
            let columns = model.input_columns().expect("a schema");
            if columns.iter().any(|(_, k)| *k == ColumnKind::String) {
                let table = table_from(&file, &columns, x.view()).expect("a table");
                tables += usize::from(
                    model.predict(&table).is_ok()
                        || model.run(amber::Method::Transform, &table).is_ok(),
                );
            }
        }
        assert!(predicted > 100, "only {predicted} corpus models predicted");
        // The table path is reached too: string models predict on strings from their file
        // (most refuse them with E_INPUT: an encoder with handle_unknown="error" meets a
        // string that is not one of its categories in some row).
        assert!(
            tables >= 5,
            "only {tables} string models predicted on a table"
        );
    }

    #[test]
    fn the_mutator_keeps_checksums_valid() {
        let vectors =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/valid");
        let seed = std::fs::read(vectors.join("logistic_binary/model.amber")).expect("a model");
        let (mut reached, mut tried) = (0, 0);
        for round in 0..200u32 {
            let mut buf = seed.clone();
            buf.resize(seed.len() * 2, 0);
            // A stand-in for libFuzzer's mutator: flip one byte.
            let n = mutate(
                &mut buf,
                seed.len(),
                seed.len() * 2,
                round,
                |data, size, _| {
                    if let Some(b) = data.get_mut((round as usize * 7919) % size.max(1)) {
                        *b ^= 0x5a;
                    }
                    size
                },
            );
            let code = amber_codec::Reader::default()
                .read(buf.get(..n).unwrap_or_default())
                .err()
                .map(|e| e.code());
            tried += 1;
            // Past the header and manifest checksums: the change reached the decoder or later.
            if !matches!(
                code,
                Some("E_HEADER_CHECKSUM" | "E_MANIFEST_CHECKSUM" | "E_TENSOR_CHECKSUM")
            ) {
                reached += 1;
            }
        }
        assert!(
            reached * 10 >= tried * 8,
            "{reached} of {tried} mutants passed the checksums"
        );
    }

    #[test]
    fn frame_then_split_gives_the_parts_back() {
        let file = frame(b"abc", &[1, 2, 3]);
        assert_eq!(file.len(), 128 + 3);
        assert_eq!(split(&file), Some((&b"abc"[..], &[1u8, 2, 3][..])));
        let codec = amber_codec::Reader::default().read(file.as_slice());
        // The manifest is not a protobuf Manifest, but the framing passes every check before.
        assert_eq!(codec.err().map(|e| e.code()), Some("E_MANIFEST_DECODE"));
    }
}
