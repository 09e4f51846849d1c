//! The canonical writer (`spec/format.md` §4).

use amber_schema::raw;
use prost::Message;

use crate::error::{CodecError, Result};
use crate::header::{FORMAT_MAJOR, FORMAT_MINOR, HEADER_LEN, Header, align64};
use crate::limits::{MAX_MANIFEST_BYTES, MAX_RANK, MAX_TENSORS};
use crate::model::{Estimator, InputSchema, Producer, TensorInfo};
use crate::tensor::DType;

/// One tensor to write: name, type, shape and its little-endian bytes.
#[derive(Clone, Copy, Debug)]
pub struct TensorData<'a> {
    /// Unique name.
    pub name: &'a str,
    /// Element type.
    pub dtype: DType,
    /// Row-major dimensions.
    pub shape: &'a [u64],
    /// `product(shape) * dtype.size()` little-endian bytes.
    pub bytes: &'a [u8],
}

/// Writes a container: header, canonical manifest, and the tensors in the given order (which
/// must be the canonical order of `spec/format.md` §4 for the bytes to be canonical).
///
/// # Errors
/// `E_SHAPE` when a tensor's bytes do not match its shape, `E_TENSOR_NAME` for an empty or
/// repeated name, `E_LIMIT` when a limit of the spec would be exceeded — a file a reader
/// would refuse is never written.
pub fn encode(
    required_features: &[String],
    producer: &Producer,
    estimator: &Estimator,
    tensors: &[TensorData<'_>],
) -> Result<Vec<u8>> {
    encode_with_input(required_features, producer, estimator, None, tensors)
}

/// [`encode`], with the model's input schema (`spec/format.md` §5) when some input column
/// is not numeric.
///
/// # Errors
/// As [`encode`].
pub fn encode_with_input(
    required_features: &[String],
    producer: &Producer,
    estimator: &Estimator,
    input: Option<&InputSchema>,
    tensors: &[TensorData<'_>],
) -> Result<Vec<u8>> {
    if tensors.len() > MAX_TENSORS {
        return Err(CodecError::Limit {
            what: "tensor count",
            limit: MAX_TENSORS as u64,
            found: tensors.len() as u64,
        });
    }
    let mut table = Vec::with_capacity(tensors.len());
    let mut seen = std::collections::HashSet::with_capacity(tensors.len());
    let mut end = 0u64;
    for (index, t) in tensors.iter().enumerate() {
        if t.name.is_empty() || !seen.insert(t.name) {
            return Err(CodecError::TensorName {
                index,
                name: t.name.to_owned(),
                reason: if t.name.is_empty() {
                    "an empty"
                } else {
                    "a duplicate"
                },
            });
        }
        if t.shape.len() > MAX_RANK {
            return Err(CodecError::Limit {
                what: "tensor rank",
                limit: MAX_RANK as u64,
                found: t.shape.len() as u64,
            });
        }
        let expected = t.dtype.byte_length(t.shape);
        if expected != Some(t.bytes.len() as u64) {
            return Err(CodecError::Shape {
                tensor: t.name.to_owned(),
                reason: format!(
                    "{} bytes given, shape {:?} of {} needs {expected:?}",
                    t.bytes.len(),
                    t.shape,
                    t.dtype
                ),
            });
        }
        let offset = if index == 0 {
            0
        } else {
            align64(end).ok_or_else(|| overflow(t.name))?
        };
        end = offset
            .checked_add(t.bytes.len() as u64)
            .ok_or_else(|| overflow(t.name))?;
        table.push(raw::TensorInfo::from(TensorInfo {
            name: t.name.to_owned(),
            dtype: t.dtype,
            shape: t.shape.to_vec(),
            offset,
            length: t.bytes.len() as u64,
            crc32: crc32fast::hash(t.bytes),
        }));
    }
    let manifest = raw::Manifest {
        required_features: required_features.to_vec(),
        producer: Some(producer.clone().into()),
        tensors: table,
        estimator: Some(estimator.clone().into()),
        input: input.cloned().map(raw::InputSchema::from),
    };
    let manifest_bytes = manifest.encode_to_vec();
    let manifest_length = manifest_bytes.len() as u64;
    if manifest_length > MAX_MANIFEST_BYTES {
        return Err(CodecError::Limit {
            what: "manifest_length",
            limit: MAX_MANIFEST_BYTES,
            found: manifest_length,
        });
    }
    let data_offset = align64(HEADER_LEN as u64 + manifest_length).ok_or_else(|| overflow(""))?;
    let header = Header {
        major: FORMAT_MAJOR,
        minor: FORMAT_MINOR,
        manifest_length,
        data_offset,
        data_length: end,
        file_length: data_offset + end,
        manifest_crc32: crc32fast::hash(&manifest_bytes),
    };
    let total = usize::try_from(header.file_length).map_err(|_| overflow(""))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&manifest_bytes);
    for (t, info) in tensors.iter().zip(&manifest.tensors) {
        // Zero padding up to the tensor's offset (data_offset + offset is within `total`).
        let start = usize::try_from(data_offset + info.offset).map_err(|_| overflow(t.name))?;
        // Offsets only grow and the first is past the manifest, so this only pads.
        out.resize(start, 0);
        out.extend_from_slice(t.bytes);
    }
    out.resize(total, 0);
    Ok(out)
}

fn overflow(name: &str) -> CodecError {
    CodecError::Shape {
        tensor: name.to_owned(),
        reason: "file size overflows 64 bits".to_owned(),
    }
}
