//! Reading a container: checks 1–15 of `spec/format.md` §3, then typed access to the
//! manifest and zero-copy tensor views.

use std::collections::HashMap;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::OnceLock;

use amber_schema::raw;
use prost::Message;

use crate::error::{CodecError, Result};
use crate::header::{HEADER_LEN, Header, align64};
use crate::limits::{MAX_MANIFEST_BYTES, MAX_RANK};
use crate::model::{Estimator, InputSchema, Producer, TensorInfo};
use crate::tensor::{DType, TensorView};
use crate::wire;
use crate::writer::{TensorData, encode_with_input};

/// Features this reader implements (`spec/format.md` §2). Format 1.0 defines none.
pub const KNOWN_FEATURES: &[&str] = &[];

/// When tensor checksums are verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChecksumPolicy {
    /// Every tensor's CRC-32 is verified while opening (the default): a file that opens is
    /// known to be intact.
    #[default]
    Eager,
    /// A tensor's CRC-32 is verified the first time it is accessed through
    /// [`Container::tensor`]. Opening then costs O(manifest), not O(file); a damaged tensor
    /// is reported by the access that first touches it.
    Deferred,
}

/// The validated manifest of a container.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// Required features (all known to this reader, or the file would not have opened).
    pub required_features: Vec<String>,
    /// Who wrote the file.
    pub producer: Producer,
    /// The tensor table, in file order.
    pub tensors: Vec<TensorInfo>,
    /// The model.
    pub estimator: Estimator,
    /// The model's input columns (names and kinds); `None` when every column is numeric.
    pub input: Option<InputSchema>,
}

/// A configurable reader. [`Reader::default`] applies the spec's limits and verifies every
/// checksum.
#[derive(Clone, Debug)]
pub struct Reader {
    max_manifest_bytes: u64,
    checksums: ChecksumPolicy,
}

impl Default for Reader {
    fn default() -> Self {
        Self {
            max_manifest_bytes: MAX_MANIFEST_BYTES,
            checksums: ChecksumPolicy::Eager,
        }
    }
}

/// Builds a [`Reader`].
#[derive(Clone, Debug, Default)]
pub struct ReaderBuilder {
    reader: Reader,
}

impl ReaderBuilder {
    /// Lowers (or raises) the manifest size limit, [`MAX_MANIFEST_BYTES`] by default.
    #[must_use]
    pub fn max_manifest_bytes(mut self, limit: u64) -> Self {
        self.reader.max_manifest_bytes = limit;
        self
    }

    /// Chooses when tensor checksums are verified; [`ChecksumPolicy::Eager`] by default.
    #[must_use]
    pub fn checksums(mut self, policy: ChecksumPolicy) -> Self {
        self.reader.checksums = policy;
        self
    }

    /// The reader.
    #[must_use]
    pub fn build(self) -> Reader {
        self.reader
    }
}

/// The bytes of an opened file: a read-only memory map, or a heap buffer for files too small
/// to be worth mapping.
#[derive(Debug)]
pub enum FileBytes {
    /// Memory-mapped.
    Mapped(memmap2::Mmap),
    /// Read into memory.
    Owned(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
            Self::Owned(v) => v,
        }
    }
}

/// Files smaller than this are read rather than mapped: a map costs more than a read there.
const MMAP_THRESHOLD: u64 = 64 << 10;

impl Reader {
    /// A builder to configure a reader.
    #[must_use]
    pub fn builder() -> ReaderBuilder {
        ReaderBuilder::default()
    }

    /// Opens and validates a file, memory-mapping it when it is large.
    ///
    /// The map is read-only and private to this process; as with every mmap reader, another
    /// process truncating or rewriting the file while it is open is undefined behaviour the
    /// OS cannot prevent, so treat `.amber` files as immutable once written.
    ///
    /// # Errors
    /// `E_IO` when the file cannot be read; otherwise the first failed check of the spec.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Container<FileBytes>> {
        let path = path.as_ref();
        let io = |source| CodecError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let bytes = if len >= MMAP_THRESHOLD {
            // SAFETY: the map is read-only; see the doc comment above on concurrent changes
            // to the underlying file, which no reader of a mapped file can rule out.
            FileBytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(io)?)
        } else {
            FileBytes::Owned(std::fs::read(path).map_err(io)?)
        };
        self.read(bytes)
    }

    /// Validates a container held in memory (`Vec<u8>`, `&[u8]`, a map, ...).
    ///
    /// # Errors
    /// The first failed check of `spec/format.md` §3.
    pub fn read<B: Deref<Target = [u8]>>(&self, bytes: B) -> Result<Container<B>> {
        let file: &[u8] = &bytes;
        let header = Header::parse(file)?;
        if header.manifest_length > self.max_manifest_bytes {
            return Err(CodecError::Limit {
                what: "manifest_length",
                limit: self.max_manifest_bytes,
                found: header.manifest_length,
            });
        }
        // Header::parse proved file.len() == file_length == data_offset + data_length and
        // data_offset >= 64 + manifest_length, so these ranges are in bounds; `get` keeps
        // that proof local.
        let out_of_bounds = || CodecError::Truncated {
            expected: header.file_length,
            found: file.len() as u64,
        };
        let manifest_end = HEADER_LEN + to_usize(header.manifest_length)?;
        let data_offset = to_usize(header.data_offset)?;
        let manifest_bytes = file
            .get(HEADER_LEN..manifest_end)
            .ok_or_else(out_of_bounds)?;
        let computed = crc32fast::hash(manifest_bytes);
        if computed != header.manifest_crc32 {
            return Err(CodecError::ManifestChecksum {
                stored: header.manifest_crc32,
                computed,
            });
        }
        check_zero(file, manifest_end, data_offset)?;
        // Check 10: the strict wire profile and the item limits, before prost allocates.
        wire::check(manifest_bytes)?;
        let raw = raw::Manifest::decode(manifest_bytes)?;
        if let Some(name) = raw
            .required_features
            .iter()
            .find(|f| !KNOWN_FEATURES.contains(&f.as_str()))
        {
            return Err(CodecError::Feature { name: name.clone() });
        }
        let tensors = validate_table(raw.tensors, header.data_length)?;
        let data = file.get(data_offset..).ok_or_else(out_of_bounds)?;
        let mut cursor = 0usize;
        for t in &tensors {
            let start = to_usize(t.offset)?;
            check_zero(data, cursor, start).map_err(|e| shift_padding(e, data_offset))?;
            cursor = start + to_usize(t.length)?;
        }
        let checked: Vec<OnceLock<()>> = tensors.iter().map(|_| OnceLock::new()).collect();
        if self.checksums == ChecksumPolicy::Eager {
            // Check 14 comes before the estimator is looked at (check 15).
            let mut parts = Vec::with_capacity(tensors.len());
            for t in &tensors {
                let start = to_usize(t.offset)?;
                parts.push(
                    data.get(start..start + to_usize(t.length)?)
                        .ok_or_else(out_of_bounds)?,
                );
            }
            let computed = crc32_all(&parts);
            for ((t, slot), computed) in tensors.iter().zip(&checked).zip(computed) {
                if computed != t.crc32 {
                    return Err(CodecError::TensorChecksum {
                        tensor: t.name.clone(),
                        stored: t.crc32,
                        computed,
                    });
                }
                let _ = slot.set(());
            }
        }
        let index: HashMap<String, usize> = tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let Some(raw_estimator) = raw.estimator else {
            return Err(CodecError::model("manifest", "estimator is absent"));
        };
        let container = Container {
            data_offset,
            version: (header.major, header.minor),
            manifest: Manifest {
                required_features: raw.required_features,
                producer: raw.producer.map(Producer::from).unwrap_or_default(),
                tensors,
                estimator: Estimator::try_from(raw_estimator)?,
                input: raw.input.map(InputSchema::try_from).transpose()?,
            },
            index,
            checked,
            bytes,
        };
        let mut missing = None;
        container
            .manifest
            .estimator
            .visit_tensor_refs("estimator", &mut |context, name| {
                if missing.is_none() && !container.index.contains_key(name) {
                    missing = Some(CodecError::TensorRef {
                        context: context.to_owned(),
                        name: name.to_owned(),
                    });
                }
            });
        match missing {
            Some(e) => Err(e),
            None => Ok(container),
        }
    }
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| CodecError::Limit {
        what: "offset on this platform",
        limit: usize::MAX as u64,
        found: v,
    })
}

fn check_zero(bytes: &[u8], start: usize, end: usize) -> Result<()> {
    if let Some(pos) = bytes
        .get(start..end)
        .and_then(|pad| pad.iter().position(|&b| b != 0))
    {
        let at = start + pos;
        return Err(CodecError::Padding {
            offset: at as u64,
            value: bytes.get(at).copied().unwrap_or_default(),
        });
    }
    Ok(())
}

fn shift_padding(e: CodecError, by: usize) -> CodecError {
    match e {
        CodecError::Padding { offset, value } => CodecError::Padding {
            offset: offset + by as u64,
            value,
        },
        other => other,
    }
}

/// Check 12: every entry is well formed and exactly where the canonical layout puts it.
/// (`MAX_TENSORS` was checked by the wire walk of check 10, before decoding.)
fn validate_table(raw: Vec<raw::TensorInfo>, data_length: u64) -> Result<Vec<TensorInfo>> {
    let mut seen = std::collections::HashSet::with_capacity(raw.len());
    let mut tensors = Vec::with_capacity(raw.len());
    let mut end = 0u64;
    for (index, t) in raw.into_iter().enumerate() {
        if t.name.is_empty() || !seen.insert(t.name.clone()) {
            return Err(CodecError::TensorName {
                index,
                reason: if t.name.is_empty() {
                    "an empty"
                } else {
                    "a duplicate"
                },
                name: t.name,
            });
        }
        let Some(dtype) = DType::from_raw(t.dtype) else {
            return Err(CodecError::DType {
                tensor: t.name,
                value: t.dtype,
            });
        };
        if t.shape.len() > MAX_RANK {
            return Err(CodecError::Limit {
                what: "tensor rank",
                limit: MAX_RANK as u64,
                found: t.shape.len() as u64,
            });
        }
        match dtype.byte_length(&t.shape) {
            None => {
                return Err(CodecError::Shape {
                    tensor: t.name,
                    reason: format!(
                        "shape {:?} of {dtype}: a dimension or the byte length is 2^63 or more",
                        t.shape
                    ),
                });
            }
            Some(n) if n != t.length => {
                return Err(CodecError::Shape {
                    tensor: t.name,
                    reason: format!(
                        "length is {} bytes, shape {:?} of {dtype} needs {n}",
                        t.length, t.shape
                    ),
                });
            }
            Some(_) => {}
        }
        let expected_offset = if index == 0 { Some(0) } else { align64(end) };
        if expected_offset != Some(t.offset) {
            return Err(CodecError::TensorLayout {
                tensor: t.name,
                reason: format!("offset is {}, expected {expected_offset:?}", t.offset),
            });
        }
        end = match t.offset.checked_add(t.length) {
            Some(e) if e <= data_length => e,
            _ => {
                return Err(CodecError::TensorLayout {
                    tensor: t.name,
                    reason: format!(
                        "ends past the data section ({} + {} > {data_length})",
                        t.offset, t.length
                    ),
                });
            }
        };
        tensors.push(TensorInfo {
            name: t.name,
            dtype,
            shape: t.shape,
            offset: t.offset,
            length: t.length,
            crc32: t.crc32,
        });
    }
    if end != data_length {
        return Err(CodecError::TensorLayout {
            tensor: String::new(),
            reason: format!("data_length is {data_length}, the tensors end at {end}"),
        });
    }
    Ok(tensors)
}

/// A validated container over bytes `B` (a map, a `Vec<u8>`, a borrowed slice, ...).
#[derive(Debug)]
pub struct Container<B> {
    bytes: B,
    data_offset: usize,
    version: (u16, u16),
    manifest: Manifest,
    index: HashMap<String, usize>,
    /// Set once a tensor's checksum has been verified.
    checked: Vec<OnceLock<()>>,
}

impl Container<FileBytes> {
    /// Opens and fully validates a file with the default [`Reader`].
    ///
    /// # Errors
    /// See [`Reader::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Reader::default().open(path)
    }
}

impl<B: Deref<Target = [u8]>> Container<B> {
    /// Validates a container held in memory with the default [`Reader`].
    ///
    /// # Errors
    /// See [`Reader::read`].
    pub fn from_bytes(bytes: B) -> Result<Self> {
        Reader::default().read(bytes)
    }

    /// The file's format version, `(major, minor)`.
    #[must_use]
    pub fn version(&self) -> (u16, u16) {
        self.version
    }

    /// The validated manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// What holds the bytes (for a file: whether it was mapped or read).
    #[must_use]
    pub fn source(&self) -> &B {
        &self.bytes
    }

    /// The whole file.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The position of the tensor named `name` in the tensor table, for
    /// [`Container::tensor_by_index`]; `None` when there is no such tensor.
    #[must_use]
    pub fn tensor_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The tensor at position `i` of the tensor table, its checksum verified (now, if it was
    /// deferred and this is its first use). Looking a tensor up by position skips the name
    /// lookup of [`Container::tensor`], for callers that access it on every prediction.
    ///
    /// # Errors
    /// `E_MODEL` if there is no tensor `i`; `E_TENSOR_CHECKSUM` if its bytes changed.
    pub fn tensor_by_index(&self, i: usize) -> Result<TensorView<'_>> {
        let info = self
            .manifest
            .tensors
            .get(i)
            .ok_or_else(|| CodecError::model("tensor table", format!("no tensor #{i}")))?;
        // The table was validated against data_length and the file length, so the range is
        // in bounds; `get` keeps the check local rather than trusting that proof.
        let start = self.data_offset + to_usize(info.offset)?;
        let bytes = self
            .bytes
            .get(start..start + to_usize(info.length)?)
            .ok_or_else(|| CodecError::TensorLayout {
                tensor: info.name.clone(),
                reason: "outside the file".to_owned(),
            })?;
        if let Some(slot) = self.checked.get(i) {
            if slot.get().is_none() {
                let computed = crc32fast::hash(bytes);
                if computed != info.crc32 {
                    return Err(CodecError::TensorChecksum {
                        tensor: info.name.clone(),
                        stored: info.crc32,
                        computed,
                    });
                }
                let _ = slot.set(());
            }
        }
        Ok(TensorView::new(info, bytes))
    }

    /// The tensor named `name`, its checksum verified (now, if it was deferred).
    ///
    /// # Errors
    /// `E_TENSOR_REF` if there is no such tensor; `E_TENSOR_CHECKSUM` if its bytes changed.
    pub fn tensor(&self, name: &str) -> Result<TensorView<'_>> {
        let i = *self.index.get(name).ok_or_else(|| CodecError::TensorRef {
            context: "lookup".to_owned(),
            name: name.to_owned(),
        })?;
        self.tensor_by_index(i)
    }

    /// Verifies every tensor checksum not verified yet (check 14).
    ///
    /// # Errors
    /// `E_TENSOR_CHECKSUM` for the first damaged tensor, in table order.
    pub fn verify_checksums(&self) -> Result<()> {
        (0..self.manifest.tensors.len()).try_for_each(|i| self.tensor_by_index(i).map(|_| ()))
    }

    /// Writes this container again with the canonical writer. For a file written by any
    /// conforming writer the result is byte-identical to [`Container::bytes`].
    ///
    /// # Errors
    /// Any error of [`encode`].
    pub fn reencode(&self) -> Result<Vec<u8>> {
        let tensors = (0..self.manifest.tensors.len())
            .map(|i| {
                let view = self.tensor_by_index(i)?;
                let info = view.info();
                Ok(TensorData {
                    name: &info.name,
                    dtype: info.dtype,
                    shape: &info.shape,
                    bytes: view.bytes(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        encode_with_input(
            &self.manifest.required_features,
            &self.manifest.producer,
            &self.manifest.estimator,
            self.manifest.input.as_ref(),
            &tensors,
        )
    }
}

/// Bytes per checksum job when a file's tensors are verified on several cores.
const CRC_CHUNK: usize = 4 << 20;
/// Tensor bytes below which checksums are computed on the calling thread (starting threads
/// costs more than it saves).
const CRC_PARALLEL_MIN: usize = 16 << 20;

/// The CRC-32 of each part. Large inputs are cut into [`CRC_CHUNK`] pieces, hashed on every
/// core (`std::thread::available_parallelism`), and each part's pieces combined in order
/// (`crc32fast::Hasher::combine`): the same values as hashing each part whole, in a fraction
/// of the time — verifying checksums is most of what opening a large file costs.
fn crc32_all(parts: &[&[u8]]) -> Vec<u32> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads < 2 || total < CRC_PARALLEL_MIN {
        return parts.iter().map(|p| crc32fast::hash(p)).collect();
    }
    // (part, piece) in file order; every part has at least one piece (an empty one hashes to
    // the empty CRC).
    let pieces: Vec<(usize, &[u8])> = parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let chunks = p.chunks(CRC_CHUNK).map(move |c| (i, c));
            let empty = p.is_empty().then_some((i, &p[..]));
            chunks.chain(empty)
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut hashed: Vec<Option<crc32fast::Hasher>> = vec![None; pieces.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(pieces.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(_, bytes)) = pieces.get(k) else {
                            break;
                        };
                        let mut h = crc32fast::Hasher::new();
                        h.update(bytes);
                        done.push((k, h));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            // A worker only hashes bytes; it cannot panic short of a bug in crc32fast, and
            // then the missing pieces below fall back to hashing on this thread.
            if let Ok(done) = w.join() {
                for (k, h) in done {
                    if let Some(slot) = hashed.get_mut(k) {
                        *slot = Some(h);
                    }
                }
            }
        }
    });
    let mut out: Vec<crc32fast::Hasher> = parts.iter().map(|_| crc32fast::Hasher::new()).collect();
    for ((i, bytes), h) in pieces.iter().zip(hashed) {
        let h = h.unwrap_or_else(|| {
            let mut h = crc32fast::Hasher::new();
            h.update(bytes);
            h
        });
        if let Some(acc) = out.get_mut(*i) {
            acc.combine(&h);
        }
    }
    out.into_iter().map(crc32fast::Hasher::finalize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_on_every_core_equal_whole_part_hashes() {
        // Above the parallel threshold, with parts that are empty, smaller than a piece, an
        // exact multiple of it, and neither.
        let n = CRC_PARALLEL_MIN + 3 * CRC_CHUNK + 12_345;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let bytes: Vec<u8> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        let cuts = [0, 0, 100, CRC_CHUNK + 100, 3 * CRC_CHUNK + 100, n - 1, n];
        let parts: Vec<&[u8]> = cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        let expected: Vec<u32> = parts.iter().map(|p| crc32fast::hash(p)).collect();
        assert_eq!(crc32_all(&parts), expected);
        // Below the threshold: the sequential path.
        assert_eq!(crc32_all(&parts[..3]), expected[..3]);
    }
}
