//! The fixed 64-byte header (`spec/format.md` §1.1).

use crate::error::{CodecError, Result};

/// Amber's magic bytes, designed like PNG's to catch text-mode transfers.
pub const MAGIC: [u8; 8] = *b"\x89AMB\r\n\x1a\n";
/// Size of the header.
pub const HEADER_LEN: usize = 64;
/// The major version this crate reads and writes.
pub const FORMAT_MAJOR: u16 = 1;
/// The minor version this crate writes.
pub const FORMAT_MINOR: u16 = 0;
/// Alignment of the data section and of every tensor.
pub const ALIGN: u64 = 64;

/// `align64(n)`, or `None` on overflow.
#[must_use]
pub fn align64(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v & !(ALIGN - 1))
}

/// The header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub major: u16,
    pub minor: u16,
    pub manifest_length: u64,
    pub data_offset: u64,
    pub data_length: u64,
    pub file_length: u64,
    pub manifest_crc32: u32,
}

// Call sites pass constant offsets with `at + N <= 64`.
#[allow(clippy::indexing_slicing)]
fn u16_at(b: &[u8; HEADER_LEN], at: usize) -> u16 {
    let mut buf = [0u8; 2];
    buf.copy_from_slice(&b[at..at + 2]);
    u16::from_le_bytes(buf)
}
#[allow(clippy::indexing_slicing)]
fn u32_at(b: &[u8; HEADER_LEN], at: usize) -> u32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(buf)
}
#[allow(clippy::indexing_slicing)]
fn u64_at(b: &[u8; HEADER_LEN], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(buf)
}

impl Header {
    /// Runs checks 1–6 of `spec/format.md` §3 on a whole file.
    #[allow(clippy::indexing_slicing)] // fixed offsets into a [u8; 64]
    pub(crate) fn parse(file: &[u8]) -> Result<Self> {
        let file_len = file.len() as u64;
        let head = file.get(..MAGIC.len()).unwrap_or(file);
        if head.len() < MAGIC.len() {
            return Err(if MAGIC.starts_with(head) {
                CodecError::Truncated {
                    expected: HEADER_LEN as u64,
                    found: file_len,
                }
            } else {
                CodecError::Magic {
                    found: head.to_vec(),
                }
            });
        }
        if head != MAGIC {
            return Err(CodecError::Magic {
                found: head.to_vec(),
            });
        }
        let Some(b) = file
            .get(..HEADER_LEN)
            .and_then(|h| <&[u8; HEADER_LEN]>::try_from(h).ok())
        else {
            return Err(CodecError::Truncated {
                expected: HEADER_LEN as u64,
                found: file_len,
            });
        };
        let stored = u32_at(b, 60);
        let computed = crc32fast::hash(&b[..60]);
        if stored != computed {
            return Err(CodecError::HeaderChecksum { stored, computed });
        }
        let header = Self {
            major: u16_at(b, 8),
            minor: u16_at(b, 10),
            manifest_length: u64_at(b, 16),
            data_offset: u64_at(b, 24),
            data_length: u64_at(b, 32),
            file_length: u64_at(b, 40),
            manifest_crc32: u32_at(b, 48),
        };
        if header.major != FORMAT_MAJOR {
            return Err(CodecError::Version {
                major: header.major,
                minor: header.minor,
            });
        }
        let flags = u32_at(b, 12);
        if flags != 0 {
            return Err(CodecError::Header {
                field: "flags",
                reason: format!("reserved flags {flags:#x} must be 0"),
            });
        }
        if b[52..60].iter().any(|&x| x != 0) {
            return Err(CodecError::Header {
                field: "reserved",
                reason: "reserved bytes 52..60 must be 0".to_owned(),
            });
        }
        let expected_data_offset = (HEADER_LEN as u64)
            .checked_add(header.manifest_length)
            .and_then(align64);
        if expected_data_offset != Some(header.data_offset) {
            return Err(CodecError::Header {
                field: "data_offset",
                reason: format!(
                    "is {}, must be align64(64 + manifest_length {})",
                    header.data_offset, header.manifest_length
                ),
            });
        }
        if header.data_offset.checked_add(header.data_length) != Some(header.file_length) {
            return Err(CodecError::Header {
                field: "file_length",
                reason: format!(
                    "is {}, must be data_offset {} + data_length {}",
                    header.file_length, header.data_offset, header.data_length
                ),
            });
        }
        if file_len < header.file_length {
            return Err(CodecError::Truncated {
                expected: header.file_length,
                found: file_len,
            });
        }
        if file_len > header.file_length {
            return Err(CodecError::TrailingBytes {
                expected: header.file_length,
                found: file_len,
            });
        }
        Ok(header)
    }

    /// The 64 header bytes, checksum included.
    #[allow(clippy::indexing_slicing)] // fixed offsets into a [u8; 64]
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&self.major.to_le_bytes());
        b[10..12].copy_from_slice(&self.minor.to_le_bytes());
        b[16..24].copy_from_slice(&self.manifest_length.to_le_bytes());
        b[24..32].copy_from_slice(&self.data_offset.to_le_bytes());
        b[32..40].copy_from_slice(&self.data_length.to_le_bytes());
        b[40..48].copy_from_slice(&self.file_length.to_le_bytes());
        b[48..52].copy_from_slice(&self.manifest_crc32.to_le_bytes());
        let crc = crc32fast::hash(&b[..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
        b
    }
}
