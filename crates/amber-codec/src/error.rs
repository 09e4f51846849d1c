//! The codec's error type. Every variant maps to one stable code of `spec/format.md` §6.

use std::path::PathBuf;

/// `Result` with [`CodecError`] as the default error.
pub type Result<T, E = CodecError> = std::result::Result<T, E>;

/// Why a file (or a value to be written) was rejected.
///
/// Each variant carries the data needed to say which check failed and where; [`code`]
/// gives the spec's stable error code.
///
/// [`code`]: CodecError::code
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The file could not be read.
    #[error("E_IO: cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The first bytes are not Amber's magic (not an Amber file, or text-mode damage).
    #[error("E_MAGIC: not an Amber file (bad magic bytes {found:02x?})")]
    Magic {
        /// Up to the first 8 bytes of the file.
        found: Vec<u8>,
    },
    /// The file ends before the header does, or before the length the header gives.
    #[error("E_TRUNCATED: file is {found} bytes, expected at least {expected}")]
    Truncated {
        /// The length required.
        expected: u64,
        /// The actual length.
        found: u64,
    },
    /// Bytes follow the end of the file as the header gives it.
    #[error("E_TRAILING_BYTES: file is {found} bytes, header says {expected}")]
    TrailingBytes {
        /// `file_length` from the header.
        expected: u64,
        /// The actual length.
        found: u64,
    },
    /// The header's CRC-32 does not match.
    #[error("E_HEADER_CHECKSUM: header crc32 is {computed:#010x}, stored {stored:#010x}")]
    HeaderChecksum {
        /// The CRC stored in the header.
        stored: u32,
        /// The CRC computed over header bytes 0..60.
        computed: u32,
    },
    /// A major format version this reader does not implement.
    #[error("E_VERSION: format version {major}.{minor} is not supported (this reader reads 1.x)")]
    Version {
        /// The file's major version.
        major: u16,
        /// The file's minor version.
        minor: u16,
    },
    /// Header fields are inconsistent or a reserved field is set.
    #[error("E_HEADER: {field}: {reason}")]
    Header {
        /// The offending header field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A limit of `spec/format.md` §5 is exceeded.
    #[error("E_LIMIT: {what} is {found}, the limit is {limit}")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// The limit.
        limit: u64,
        /// What the file asks for.
        found: u64,
    },
    /// The manifest's CRC-32 does not match.
    #[error("E_MANIFEST_CHECKSUM: manifest crc32 is {computed:#010x}, stored {stored:#010x}")]
    ManifestChecksum {
        /// The CRC stored in the header.
        stored: u32,
        /// The CRC computed over the manifest.
        computed: u32,
    },
    /// A padding byte is not zero.
    #[error("E_PADDING: padding byte at file offset {offset} is {value:#04x}, must be 0")]
    Padding {
        /// Absolute file offset of the first non-zero padding byte.
        offset: u64,
        /// Its value.
        value: u8,
    },
    /// The manifest bytes are not a valid `amber.v1.Manifest`.
    #[error("E_MANIFEST_DECODE: manifest is not a valid amber.v1.Manifest: {0}")]
    ManifestDecode(#[from] prost::DecodeError),
    /// The manifest breaks a rule of the strict wire profile (`spec/format.md` §3.1).
    #[error(
        "E_MANIFEST_DECODE: manifest byte {offset}: {}{reason}",
        field_prefix(field)
    )]
    ManifestWire {
        /// Offset in the manifest of the tag or value at fault.
        offset: usize,
        /// `Message.field` where the fault is (empty when not within a known field).
        field: String,
        /// The broken rule.
        reason: String,
    },
    /// The file requires a feature this reader does not implement.
    #[error("E_FEATURE: required feature {name:?} is not implemented by this reader")]
    Feature {
        /// The feature's name.
        name: String,
    },
    /// A tensor name is empty or used twice.
    #[error("E_TENSOR_NAME: tensor #{index} has {reason} name {name:?}")]
    TensorName {
        /// Position in the tensor table.
        index: usize,
        /// The name.
        name: String,
        /// "an empty" or "a duplicate".
        reason: &'static str,
    },
    /// A tensor's dtype is unspecified or unknown.
    #[error("E_DTYPE: tensor {tensor:?} has unknown dtype {value}")]
    DType {
        /// The tensor.
        tensor: String,
        /// The raw enum value.
        value: i32,
    },
    /// A tensor's length does not match its shape and dtype, or the size overflows.
    #[error("E_SHAPE: tensor {tensor:?}: {reason}")]
    Shape {
        /// The tensor.
        tensor: String,
        /// What does not add up.
        reason: String,
    },
    /// A tensor is not where the canonical layout puts it.
    #[error("E_TENSOR_LAYOUT: tensor {tensor:?}: {reason}")]
    TensorLayout {
        /// The tensor (empty when the data section as a whole is wrong).
        tensor: String,
        /// Expected vs found.
        reason: String,
    },
    /// A tensor's CRC-32 does not match.
    #[error(
        "E_TENSOR_CHECKSUM: tensor {tensor:?} crc32 is {computed:#010x}, stored {stored:#010x}"
    )]
    TensorChecksum {
        /// The tensor.
        tensor: String,
        /// The CRC in the tensor table.
        stored: u32,
        /// The CRC computed over its bytes.
        computed: u32,
    },
    /// The estimator refers to a tensor that is not in the table.
    #[error("E_TENSOR_REF: {context} refers to tensor {name:?}, which is not in the tensor table")]
    TensorRef {
        /// Where the reference is (estimator path and field).
        context: String,
        /// The missing name.
        name: String,
    },
    /// An estimator body that is absent or unknown to this reader.
    #[error(
        "E_UNKNOWN_ESTIMATOR: estimator {context} ({producer_type}) has no body this reader knows"
    )]
    UnknownEstimator {
        /// Estimator path in the tree.
        context: String,
        /// The producer type recorded for it.
        producer_type: String,
    },
    /// The estimator violates a rule of `spec/estimators.md`.
    #[error("E_MODEL: {context}: {reason}")]
    Model {
        /// Estimator path and field.
        context: String,
        /// The broken rule.
        reason: String,
    },
}

impl CodecError {
    /// The stable error code of `spec/format.md` §6, e.g. `"E_CHECKSUM"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "E_IO",
            Self::Magic { .. } => "E_MAGIC",
            Self::Truncated { .. } => "E_TRUNCATED",
            Self::TrailingBytes { .. } => "E_TRAILING_BYTES",
            Self::HeaderChecksum { .. } => "E_HEADER_CHECKSUM",
            Self::Version { .. } => "E_VERSION",
            Self::Header { .. } => "E_HEADER",
            Self::Limit { .. } => "E_LIMIT",
            Self::ManifestChecksum { .. } => "E_MANIFEST_CHECKSUM",
            Self::Padding { .. } => "E_PADDING",
            Self::ManifestDecode(_) | Self::ManifestWire { .. } => "E_MANIFEST_DECODE",
            Self::Feature { .. } => "E_FEATURE",
            Self::TensorName { .. } => "E_TENSOR_NAME",
            Self::DType { .. } => "E_DTYPE",
            Self::Shape { .. } => "E_SHAPE",
            Self::TensorLayout { .. } => "E_TENSOR_LAYOUT",
            Self::TensorChecksum { .. } => "E_TENSOR_CHECKSUM",
            Self::TensorRef { .. } => "E_TENSOR_REF",
            Self::UnknownEstimator { .. } => "E_UNKNOWN_ESTIMATOR",
            Self::Model { .. } => "E_MODEL",
        }
    }

    /// A wire-profile error located in `message.field`, unless it already names a field.
    #[must_use]
    pub(crate) fn in_field(self, message: &str, field_name: &str) -> Self {
        match self {
            Self::ManifestWire {
                offset,
                field,
                reason,
            } if field.is_empty() => Self::ManifestWire {
                offset,
                field: format!("{message}.{field_name}"),
                reason,
            },
            other => other,
        }
    }

    /// Shorthand for a [`CodecError::Model`].
    pub fn model(context: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Model {
            context: context.into(),
            reason: reason.into(),
        }
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}
