//! Reading and writing numpy's `.npy` format (versions 1.0, 2.0 and 3.0).
//!
//! Written here rather than taken from `ndarray-npy` because the corpus and the CLI need two
//! things it does not offer: reading a file whose dtype is only known after opening it, and
//! unicode string arrays (`<U{n}`), which is how numpy saves string class labels.
//!
//! Reading accepts little- and big-endian `f8`, `f4`, `i8`, `i4`, `i2`, `i1`, `u4`, `u2`,
//! `u1`, `u8` (values up to `i64::MAX`), `b1` and `U{n}`, in C or Fortran order. Floats become
//! [`Array::Float`] (`f4` widens exactly), integers and booleans [`Array::Int`], unicode
//! strings [`Array::Str`]. Object arrays (`|O`, pickled) are refused. Writing produces version
//! 1.0 files of `<f8`, `<i8` or `<U{n}`, which numpy ≥ 1.0 reads.

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use crate::array::Array;

/// The magic string every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Why a byte string is not a `.npy` file this module can read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// The file does not start with `\x93NUMPY` and a version.
    #[error("not a .npy file (bad magic)")]
    Magic,
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {major}.{minor}")]
    Version {
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The header dictionary is missing, truncated or malformed.
    #[error("malformed .npy header: {0}")]
    Header(String),
    /// A dtype this reader does not handle.
    #[error("unsupported .npy dtype {0:?} (expected a number, bool or unicode string dtype)")]
    Dtype(String),
    /// The data does not have the length the header announces.
    #[error(".npy data is {found} bytes, shape and dtype need {expected}")]
    Length {
        /// Bytes needed by the header's shape and dtype.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The shape's size overflows the address space.
    #[error(".npy shape {0:?} is too large")]
    Overflow(Vec<usize>),
    /// A value that cannot be represented (a `u8` above `i64::MAX`, an invalid code point).
    #[error(".npy value at flat index {index} is not representable: {reason}")]
    Value {
        /// Position in file order.
        index: usize,
        /// Why.
        reason: &'static str,
    },
}

/// The element type given by a header's `descr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Signed,
    Unsigned,
    Bool,
    /// UTF-32 code points, `size` bytes per element (4 per character).
    Unicode,
}

#[derive(Clone, Copy, Debug)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Self> {
        let mut chars = descr.chars();
        let order = chars.next()?;
        let big_endian = match order {
            '<' | '|' | '=' => false,
            '>' => true,
            _ => return None,
        };
        let kind = match chars.next()? {
            'f' => Kind::Float,
            'i' => Kind::Signed,
            'u' => Kind::Unsigned,
            'b' => Kind::Bool,
            'U' => Kind::Unicode,
            _ => return None,
        };
        let n: usize = chars.as_str().parse().ok()?;
        let size = match (kind, n) {
            (Kind::Float, 4 | 8)
            | (Kind::Signed | Kind::Unsigned, 1 | 2 | 4 | 8)
            | (Kind::Bool, 1) => n,
            (Kind::Unicode, _) => n.checked_mul(4)?,
            _ => return None,
        };
        Some(Self {
            kind,
            size,
            big_endian,
        })
    }
}

/// Parses a `.npy` file.
///
/// # Errors
/// [`NpyError`] when the bytes are not a readable `.npy` file. Never panics, whatever the
/// bytes.
pub fn read(bytes: &[u8]) -> Result<Array, NpyError> {
    if bytes.get(..6) != Some(MAGIC.as_slice()) {
        return Err(NpyError::Magic);
    }
    let (major, minor) = match (bytes.get(6), bytes.get(7)) {
        (Some(&major), Some(&minor)) => (major, minor),
        _ => return Err(NpyError::Magic),
    };
    let (header_start, header_len) = match major {
        1 => (
            10,
            bytes
                .get(8..10)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map(|b| usize::from(u16::from_le_bytes(b))),
        ),
        2 | 3 => (
            12,
            bytes
                .get(8..12)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .and_then(|b| usize::try_from(u32::from_le_bytes(b)).ok()),
        ),
        _ => return Err(NpyError::Version { major, minor }),
    };
    if minor != 0 {
        return Err(NpyError::Version { major, minor });
    }
    let header_len = header_len.ok_or_else(|| NpyError::Header("truncated".to_owned()))?;
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .ok_or_else(|| NpyError::Header("truncated".to_owned()))?;
    // Version 3.0 allows UTF-8 in the header; 1.0 and 2.0 are latin-1, in practice ASCII.
    let header = std::str::from_utf8(header)
        .map_err(|_| NpyError::Header("header is not text".to_owned()))?;
    let (descr, fortran_order, shape) = parse_header(header)?;
    // A zero-width dtype (`<U0`, which numpy itself never writes: it widens to `<U1`) would
    // let a 128-byte file declare a billion elements that need no data bytes.
    let dtype = Dtype::parse(&descr)
        .filter(|d| d.size > 0)
        .ok_or(NpyError::Dtype(descr))?;
    let data = bytes.get(data_start..).unwrap_or_default();
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let Some(expected) = count.and_then(|n| n.checked_mul(dtype.size)) else {
        return Err(NpyError::Overflow(shape));
    };
    if expected != data.len() {
        return Err(NpyError::Length {
            expected,
            found: data.len(),
        });
    }
    let shape_builder = IxDyn(&shape).set_f(fortran_order);
    // The length check above proves the element count matches the shape, so `from_shape_vec`
    // cannot fail; its error is still mapped rather than unwrapped.
    let shape_error = |_| NpyError::Length {
        expected,
        found: data.len(),
    };
    let chunks = data.chunks_exact(dtype.size.max(1));
    Ok(match dtype.kind {
        Kind::Float => {
            let values = chunks.map(|c| read_float(c, dtype.big_endian)).collect();
            Array::Float(ArrayD::from_shape_vec(shape_builder, values).map_err(shape_error)?)
        }
        Kind::Signed | Kind::Unsigned | Kind::Bool => {
            let values = chunks
                .enumerate()
                .map(|(index, c)| read_int(c, dtype, index))
                .collect::<Result<Vec<_>, _>>()?;
            Array::Int(ArrayD::from_shape_vec(shape_builder, values).map_err(shape_error)?)
        }
        Kind::Unicode => {
            let values: Vec<String> = chunks
                .enumerate()
                .map(|(index, c)| read_unicode(c, dtype.big_endian, index))
                .collect::<Result<_, _>>()?;
            Array::Str(ArrayD::from_shape_vec(shape_builder, values).map_err(shape_error)?)
        }
    })
}

fn ordered<const N: usize>(chunk: &[u8], big_endian: bool) -> [u8; N] {
    // The value's bytes, little-endian first, zero-extended to N bytes.
    let mut out = [0u8; N];
    if big_endian {
        out.iter_mut()
            .zip(chunk.iter().rev())
            .for_each(|(o, b)| *o = *b);
    } else {
        out.iter_mut().zip(chunk).for_each(|(o, b)| *o = *b);
    }
    out
}

fn read_float(chunk: &[u8], big_endian: bool) -> f64 {
    match chunk.len() {
        4 => f64::from(f32::from_le_bytes(ordered(chunk, big_endian))),
        _ => f64::from_le_bytes(ordered(chunk, big_endian)),
    }
}

fn read_int(chunk: &[u8], dtype: Dtype, index: usize) -> Result<i64, NpyError> {
    let b = ordered::<8>(chunk, dtype.big_endian);
    let value = match (dtype.kind, chunk.len()) {
        (Kind::Bool, _) => match chunk.first() {
            Some(0) => 0,
            Some(1) => 1,
            _ => {
                return Err(NpyError::Value {
                    index,
                    reason: "a bool that is neither 0 nor 1",
                });
            }
        },
        // `ordered` put the value's bytes first, little-endian, so a narrow value sits in the
        // low bytes of `b`; sign-extend signed ones.
        (Kind::Signed, 1) => i64::from(i8::from_le_bytes([b[0]])),
        (Kind::Signed, 2) => i64::from(i16::from_le_bytes([b[0], b[1]])),
        (Kind::Signed, 4) => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        (Kind::Signed, _) => i64::from_le_bytes(b),
        (Kind::Unsigned, _) => {
            i64::try_from(u64::from_le_bytes(b)).map_err(|_| NpyError::Value {
                index,
                reason: "an unsigned value above i64::MAX",
            })?
        }
        (Kind::Float | Kind::Unicode, _) => 0,
    };
    Ok(value)
}

fn read_unicode(chunk: &[u8], big_endian: bool, index: usize) -> Result<String, NpyError> {
    let mut s = String::with_capacity(chunk.len() / 4);
    for c in chunk.chunks_exact(4) {
        let code = u32::from_le_bytes(ordered(c, big_endian));
        if code == 0 {
            // numpy pads with NULs; a string ends at the first one.
            break;
        }
        s.push(char::from_u32(code).ok_or(NpyError::Value {
            index,
            reason: "an invalid unicode code point",
        })?);
    }
    Ok(s)
}

/// Parses the header, a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header(header: &str) -> Result<(String, bool, Vec<usize>), NpyError> {
    let bad = |what: &str| NpyError::Header(format!("{what} in {:?}", header.trim_end()));
    let mut p = Parser {
        rest: header.trim(),
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect('{').ok_or_else(|| bad("expected '{'"))?;
    loop {
        if p.eat('}') {
            break;
        }
        let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
        p.expect(':').ok_or_else(|| bad("expected ':'"))?;
        match key.as_str() {
            "descr" => descr = Some(p.string().ok_or_else(|| bad("descr must be a string"))?),
            "fortran_order" => {
                fortran = Some(
                    p.boolean()
                        .ok_or_else(|| bad("fortran_order must be a bool"))?,
                );
            }
            "shape" => shape = Some(p.tuple().ok_or_else(|| bad("shape must be a tuple"))?),
            _ => return Err(bad(&format!("unknown key {key:?}"))),
        }
        if !p.eat(',') {
            p.expect('}').ok_or_else(|| bad("expected ',' or '}'"))?;
            break;
        }
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err(bad("missing descr, fortran_order or shape")),
    }
}

struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        self.rest = self.rest.trim_start();
        match self.rest.strip_prefix(c) {
            Some(r) => {
                self.rest = r;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn string(&mut self) -> Option<String> {
        self.rest = self.rest.trim_start();
        let quote = self
            .rest
            .chars()
            .next()
            .filter(|&q| q == '\'' || q == '"')?;
        let body = self.rest.get(1..)?;
        let end = body.find(quote)?;
        let s = body.get(..end)?.to_owned();
        self.rest = body.get(end + 1..)?;
        Some(s)
    }

    fn boolean(&mut self) -> Option<bool> {
        self.rest = self.rest.trim_start();
        for (word, value) in [("True", true), ("False", false)] {
            if let Some(r) = self.rest.strip_prefix(word) {
                self.rest = r;
                return Some(value);
            }
        }
        None
    }

    fn tuple(&mut self) -> Option<Vec<usize>> {
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(')') {
                return Some(dims);
            }
            self.rest = self.rest.trim_start();
            let digits = self.rest.find(|c: char| !c.is_ascii_digit())?;
            // Python 2 era writers append `L` to longs.
            dims.push(self.rest.get(..digits)?.parse().ok()?);
            self.rest = self.rest.get(digits..)?;
            let _ = self.eat('L');
            if !self.eat(',') {
                self.expect(')')?;
                return Some(dims);
            }
        }
    }
}

/// A version 1.0 `.npy` header of exactly `len` bytes (a multiple of 64, padded with spaces
/// as numpy pads) for data of `descr` (`<f8`, `<i8`, ...) and `shape` that follows it; `None`
/// when it does not fit in `len`. For writers that stream the data and learn the row count at
/// the end: they reserve `len` bytes, then write this header over them.
#[must_use]
pub fn header_of_len(descr: &str, shape: &[usize], len: usize) -> Option<Vec<u8>> {
    let shape = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let fixed = MAGIC.len() + 4;
    if fixed + dict.len() + 1 > len || len % 64 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&u16::try_from(len - fixed).ok()?.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(len - 1, b' ');
    out.push(b'\n');
    Some(out)
}

/// A table holding strings as an array of its cells' text (numbers in Rust's shortest
/// round-trip form, missing cells empty).
fn table_cells(table: &amber_estimators::Table, shape: [usize; 2]) -> ndarray::ArrayD<String> {
    let mut cells = Vec::with_capacity(shape[0] * shape[1]);
    for i in 0..shape[0] {
        for j in 0..shape[1] {
            cells.push(match table.column(j) {
                Some(amber_estimators::Column::Numeric(v)) => {
                    v.get(i).map_or_else(String::new, |x| format!("{x:?}"))
                }
                Some(amber_estimators::Column::Text(t)) => t.get(i).unwrap_or("").to_owned(),
                None => String::new(),
            });
        }
    }
    ndarray::Array2::from_shape_vec((shape[0], shape[1]), cells).map_or_else(
        |_| ndarray::ArrayD::from_elem(vec![0], String::new()),
        |a| a.into_dyn(),
    )
}

/// Encodes an array as a version 1.0 `.npy` file: `<f8`, `<i8`, or `<U{n}` with `n` the
/// longest string's length in characters (at least 1, as numpy does).
#[must_use]
pub fn write(array: &Array) -> Vec<u8> {
    let (descr, data) = match array {
        Array::Table { table, shape } => return write(&Array::Str(table_cells(table, *shape))),
        Array::Float(a) => (
            "<f8".to_owned(),
            a.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
        ),
        Array::Int(a) => (
            "<i8".to_owned(),
            a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        Array::Str(a) => {
            let width = a
                .iter()
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
                .max(1);
            let mut data = Vec::with_capacity(a.len() * width * 4);
            for s in a {
                let n = s.chars().count();
                data.extend(s.chars().flat_map(|c| u32::from(c).to_le_bytes()));
                data.resize(data.len() + (width - n) * 4, 0);
            }
            (format!("<U{width}"), data)
        }
    };
    let shape = array.shape();
    let shape = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // numpy pads the header with spaces and a final newline so the data starts 64-aligned.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // Shapes of arrays that fit in memory keep the header far below 64 KiB.
    out.extend_from_slice(
        &u16::try_from(header.len())
            .unwrap_or(u16::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, arr2};

    use super::*;

    #[test]
    fn a_header_of_any_length_reads_back_and_the_shortest_is_writes() {
        let a = Array::Float(arr2(&[[1.5, -2.0], [0.0, 3.0], [f64::MAX, 1e-300]]).into_dyn());
        let data: Vec<u8> = [1.5f64, -2.0, 0.0, 3.0, f64::MAX, 1e-300]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        // 71 bytes unpadded: numpy's (and `write`'s) header is 128.
        assert_eq!(
            header_of_len("<f8", &[3, 2], 128).unwrap(),
            write(&a)[..128]
        );
        let mut long = header_of_len("<f8", &[3, 2], 256).unwrap();
        assert_eq!(long.len(), 256);
        long.extend_from_slice(&data);
        assert_eq!(read(&long).unwrap(), a);
        assert!(header_of_len("<f8", &[3, 2], 64).is_none());
        assert!(header_of_len("<f8", &[3, 2], 200).is_none());
    }

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
            if fortran { "True" } else { "False" }
        );
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn round_trips_each_kind() {
        let arrays = [
            Array::Float(arr2(&[[1.5, f64::NAN], [-0.0, 1e300]]).into_dyn()),
            Array::Int(
                ArrayD::from_shape_vec(IxDyn(&[3]), vec![i64::MIN, 0, i64::MAX])
                    .unwrap_or_default(),
            ),
            Array::Str(
                ArrayD::from_shape_vec(IxDyn(&[2]), vec!["a".to_owned(), "ünï".to_owned()])
                    .unwrap_or_default(),
            ),
            Array::Float(ArrayD::zeros(IxDyn(&[0, 4]))),
            Array::Float(ArrayD::from_elem(IxDyn(&[]), 2.0)),
        ];
        for a in arrays {
            let bytes = write(&a);
            let back = read(&bytes);
            match (&a, &back) {
                (Array::Float(x), Ok(Array::Float(y))) => {
                    assert_eq!(x.shape(), y.shape());
                    assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()));
                }
                _ => assert_eq!(Ok(&a), back.as_ref().map_err(ToString::to_string)),
            }
        }
    }

    #[test]
    fn header_is_64_aligned() {
        let bytes = write(&Array::Float(arr2(&[[1.0]]).into_dyn()));
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes[10 + header_len - 1], b'\n');
    }

    #[test]
    fn reads_narrow_big_endian_and_fortran() {
        let f4 = npy("<f4", false, "(2,)", &[0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbf]);
        assert_eq!(
            read(&f4).ok(),
            Some(Array::Float(
                ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.5, -1.0]).unwrap_or_default()
            ))
        );
        let i4be = npy(">i4", false, "(1,)", &[0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(
            read(&i4be).ok(),
            Some(Array::Int(ArrayD::from_elem(IxDyn(&[1]), -2)))
        );
        // Fortran order: column-major [[1, 2], [3, 4]] is stored 1, 3, 2, 4.
        let data: Vec<u8> = [1i64, 3, 2, 4]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let f = npy("<i8", true, "(2, 2)", &data);
        assert_eq!(
            read(&f).ok(),
            Some(Array::Int(arr2(&[[1, 2], [3, 4]]).into_dyn()))
        );
        let b1 = npy("|b1", false, "(2,)", &[1, 0]);
        assert_eq!(
            read(&b1).ok(),
            Some(Array::Int(
                ArrayD::from_shape_vec(IxDyn(&[2]), vec![1, 0]).unwrap_or_default()
            ))
        );
        let u2 = npy("<U2", false, "(1,)", &[b'x', 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            read(&u2).ok(),
            Some(Array::Str(ArrayD::from_elem(IxDyn(&[1]), "x".to_owned())))
        );
    }

    #[test]
    fn test_zero_width_dtype_is_refused() {
        // 200 million empty strings in 128 bytes: each would cost a String.
        let bytes = npy("<U0", false, "(200000000,)", &[]);
        assert!(matches!(read(&bytes), Err(NpyError::Dtype(_))));
    }

    #[test]
    fn test_fuzz_finding_u0_huge_shape() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/hostile/fuzz-npy-oom-u0-huge-shape.npy"
        );
        let bytes = std::fs::read(path).unwrap_or_default();
        assert!(!bytes.is_empty(), "{path} is missing");
        assert!(matches!(read(&bytes), Err(NpyError::Dtype(_))));
    }

    #[test]
    fn rejects_bad_files_without_panicking() {
        assert!(matches!(read(b"hello"), Err(NpyError::Magic)));
        assert!(matches!(
            read(&npy("|O", false, "(1,)", &[0; 8])),
            Err(NpyError::Dtype(_))
        ));
        assert!(matches!(
            read(&npy("<f8", false, "(2,)", &[0; 8])),
            Err(NpyError::Length { .. })
        ));
        assert!(matches!(
            read(&npy(
                "<f8",
                false,
                "(99999999999, 99999999999, 99999999999)",
                &[]
            )),
            Err(NpyError::Overflow(_))
        ));
        assert!(matches!(
            read(&npy("<u8", false, "(1,)", &[0xff; 8])),
            Err(NpyError::Value { .. })
        ));
        let valid = write(&Array::Float(arr2(&[[1.0, 2.0]]).into_dyn()));
        for len in 0..valid.len() {
            let _ = read(&valid[..len]);
        }
        for i in 0..valid.len() {
            let mut v = valid.clone();
            v[i] ^= 0xff;
            let _ = read(&v);
        }
    }
}
