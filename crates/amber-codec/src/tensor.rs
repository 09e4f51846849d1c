//! Tensor element types and views of tensor bytes as `ndarray` arrays.

use std::borrow::Cow;

use amber_schema::raw;
use ndarray::{ArrayView, CowArray, IxDyn};

use crate::error::{CodecError, Result};
use crate::model::TensorInfo;

/// A tensor's element type (`spec/format.md` §1.3). Elements are little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE 754 binary64.
    F64,
    /// IEEE 754 binary32.
    F32,
    /// Signed 64-bit integer.
    I64,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Boolean stored as one byte, 0 or 1.
    Bool,
}

impl DType {
    /// Size of one element in bytes.
    #[must_use]
    pub fn size(self) -> u64 {
        match self {
            Self::F64 | Self::I64 | Self::U64 => 8,
            Self::F32 | Self::I32 | Self::U32 => 4,
            Self::U8 | Self::Bool => 1,
        }
    }

    /// Byte length of a tensor of this dtype and `shape`: `product(shape) * size`, or `None`
    /// when a dimension, the element count or the byte length, computed exactly, is 2^63 or
    /// more (`spec/format.md` §1.3: what a signed 64-bit index, as numpy's, can address).
    #[must_use]
    pub fn byte_length(self, shape: &[u64]) -> Option<u64> {
        const LIMIT: u64 = 1 << 63;
        if shape.iter().any(|&d| d >= LIMIT) {
            return None;
        }
        if shape.contains(&0) {
            return Some(0);
        }
        shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .and_then(|n| n.checked_mul(self.size()))
            .filter(|&n| n < LIMIT)
    }

    /// The short name used by `amber inspect` and numpy (`f64`, `i32`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::F64 => "f64",
            Self::F32 => "f32",
            Self::I64 => "i64",
            Self::I32 => "i32",
            Self::U8 => "u8",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::Bool => "bool",
        }
    }

    /// Converts the raw enum value of the tensor table; `None` for unspecified or unknown.
    #[must_use]
    pub fn from_raw(value: i32) -> Option<Self> {
        match raw::DType::try_from(value).ok()? {
            raw::DType::DtypeUnspecified => None,
            raw::DType::DtypeF64 => Some(Self::F64),
            raw::DType::DtypeF32 => Some(Self::F32),
            raw::DType::DtypeI64 => Some(Self::I64),
            raw::DType::DtypeI32 => Some(Self::I32),
            raw::DType::DtypeU8 => Some(Self::U8),
            raw::DType::DtypeU32 => Some(Self::U32),
            raw::DType::DtypeU64 => Some(Self::U64),
            raw::DType::DtypeBool => Some(Self::Bool),
        }
    }
}

impl From<DType> for raw::DType {
    fn from(d: DType) -> Self {
        match d {
            DType::F64 => Self::DtypeF64,
            DType::F32 => Self::DtypeF32,
            DType::I64 => Self::DtypeI64,
            DType::I32 => Self::DtypeI32,
            DType::U8 => Self::DtypeU8,
            DType::U32 => Self::DtypeU32,
            DType::U64 => Self::DtypeU64,
            DType::Bool => Self::DtypeBool,
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A numeric element type that a tensor can be viewed as.
///
/// Implemented for the plain numeric types only (every bit pattern is a valid value); boolean
/// tensors are viewed as `u8`.
pub trait Element: sealed::Sealed + Copy + 'static {
    /// The matching tensor dtype.
    const DTYPE: DType;
    /// Decodes one element from little-endian bytes (exactly `DTYPE.size()` of them).
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($t:ty, $d:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = $d;
            fn from_le(bytes: &[u8]) -> Self {
                let mut buf = [0u8; std::mem::size_of::<$t>()];
                buf.copy_from_slice(bytes);
                <$t>::from_le_bytes(buf)
            }
        }
    };
}
element!(f64, DType::F64);
element!(f32, DType::F32);
element!(i64, DType::I64);
element!(i32, DType::I32);
element!(u8, DType::U8);
element!(u32, DType::U32);
element!(u64, DType::U64);

/// A validated tensor: its table entry and its bytes inside the container.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a> {
    info: &'a TensorInfo,
    bytes: &'a [u8],
}

impl<'a> TensorView<'a> {
    pub(crate) fn new(info: &'a TensorInfo, bytes: &'a [u8]) -> Self {
        Self { info, bytes }
    }

    /// The table entry.
    #[must_use]
    pub fn info(&self) -> &'a TensorInfo {
        self.info
    }

    /// The raw little-endian bytes.
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The shape as `usize`s.
    ///
    /// # Errors
    /// `E_SHAPE` if a dimension does not fit this platform's `usize`.
    pub fn shape(&self) -> Result<Vec<usize>> {
        self.info
            .shape
            .iter()
            .map(|&d| {
                usize::try_from(d).map_err(|_| CodecError::Shape {
                    tensor: self.info.name.clone(),
                    reason: format!("dimension {d} does not fit in usize"),
                })
            })
            .collect()
    }

    /// Views the tensor as an array of `T`.
    ///
    /// Zero-copy (borrowed) when the bytes are aligned for `T` and the machine is
    /// little-endian — always the case for a memory-mapped file or a heap buffer on x86-64
    /// and aarch64, since tensors are 64-byte aligned in the file. Otherwise the elements are
    /// decoded into an owned array.
    ///
    /// # Errors
    /// `E_MODEL` if the tensor's dtype is not `T`'s.
    pub fn array<T: Element>(&self) -> Result<CowArray<'a, T, IxDyn>> {
        if self.info.dtype != T::DTYPE {
            return Err(CodecError::model(
                format!("tensor {:?}", self.info.name),
                format!("dtype is {}, expected {}", self.info.dtype, T::DTYPE),
            ));
        }
        let shape = IxDyn(&self.shape()?);
        let elements: Cow<'a, [T]> = match cast_slice::<T>(self.bytes) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(
                self.bytes
                    .chunks_exact(std::mem::size_of::<T>())
                    .map(T::from_le)
                    .collect(),
            ),
        };
        let array = match elements {
            Cow::Borrowed(s) => ArrayView::from_shape(shape, s).map(CowArray::from),
            Cow::Owned(v) => ndarray::Array::from_shape_vec(shape, v).map(CowArray::from),
        };
        array.map_err(|e| CodecError::Shape {
            tensor: self.info.name.clone(),
            reason: e.to_string(),
        })
    }
}

/// Views little-endian `bytes` as a slice of `T` without copying, when that is possible: the
/// machine is little-endian, `bytes` starts at an address aligned for `T` and its length is a
/// multiple of `T`'s size. `None` otherwise; the caller then decodes with [`Element::from_le`].
///
/// Tensors start at 64-byte aligned file offsets (`spec/format.md` §1.3), so for a mapped file
/// (page-aligned) or a heap buffer on x86-64 and aarch64 this is always `Some`.
#[must_use]
pub fn cast_slice<T: Element>(bytes: &[u8]) -> Option<&[T]> {
    let size = std::mem::size_of::<T>();
    if cfg!(target_endian = "little")
        && (bytes.as_ptr() as usize) % std::mem::align_of::<T>() == 0
        && bytes.len() % size == 0
    {
        // SAFETY: the pointer is aligned for T (checked just above) and the slice holds
        // exactly `len / size` whole elements (also checked), all inside `bytes`; T is a plain
        // numeric type (the sealed `Element` impls) for which every bit pattern is valid, and
        // on a little-endian machine the file's byte order is the native one. The result
        // borrows `bytes`, so it cannot outlive them.
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_slice_borrows_aligned_bytes_and_refuses_the_rest() {
        let values = [1.5f64, -2.0, 3.25];
        let mut buf = [0u8; 40];
        // An 8-aligned window of the buffer holds the values' bytes.
        let at = buf.as_ptr().align_offset(8);
        for (dst, src) in buf[at..at + 24]
            .iter_mut()
            .zip(values.iter().flat_map(|v| v.to_le_bytes()))
        {
            *dst = src;
        }
        let aligned = &buf[at..at + 24];
        if cfg!(target_endian = "little") {
            assert_eq!(cast_slice::<f64>(aligned), Some(&values[..]));
        }
        // Misaligned start, or a length that is not whole elements.
        assert_eq!(cast_slice::<f64>(&buf[at + 1..at + 9]), None);
        assert_eq!(cast_slice::<f64>(&aligned[..7]), None);
    }
}
