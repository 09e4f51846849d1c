//! Check 10 of `spec/format.md` §3, before any protobuf runtime sees the manifest: a walk of
//! its wire format against the schema's field tables (generated from `proto/` into
//! [`amber_schema::wire`]), enforcing the strict profile of §3.1, and the item counts that
//! check 10's limits bound.
//!
//! Protobuf runtimes disagree on what they tolerate (a known field with the wrong wire type is
//! an error in prost and an unknown field in upb; a repeated singular message is merged; an
//! overlong varint is accepted): a file that one reader accepts and another rejects, or that
//! two readers decode differently, must not exist. After this walk succeeds every conforming
//! runtime decodes the same message. The walk allocates nothing: it only counts, so the counts
//! are known before the decoder allocates anything for them.

use amber_schema::wire::{FieldKind, FieldSpec, MANIFEST, MESSAGES, MessageId, TENSOR_INFO};

use crate::error::{CodecError, Result};
use crate::limits::{MAX_ESTIMATORS, MAX_MANIFEST_ITEMS, MAX_MESSAGE_DEPTH, MAX_TENSORS};

/// What the walk counted, for the limits of check 10.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Messages plus elements of repeated fields (packed scalars included).
    pub items: u64,
    /// `Estimator` messages.
    pub estimators: u64,
    /// Entries of the tensor table.
    pub tensors: u64,
}

/// Walks `manifest` against the schema; the first fault met is reported: a violation of the
/// strict profile (`E_MANIFEST_DECODE`) or a count above its limit (`E_LIMIT`).
pub(crate) fn check(manifest: &[u8]) -> Result<Counts> {
    let mut walker = Walker {
        counts: Counts::default(),
        estimator: message_id("Estimator"),
    };
    walker.message(manifest, 0, MANIFEST, 1)?;
    Ok(walker.counts)
}

fn message_id(name: &str) -> Option<MessageId> {
    MESSAGES.iter().position(|m| m.name == name)
}

/// Largest field number protobuf allows.
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

const VARINT: u64 = 0;
const I64: u64 = 1;
const LEN: u64 = 2;
const I32: u64 = 5;

struct Walker {
    counts: Counts,
    estimator: Option<MessageId>,
}

/// Bytes of one message, read from the front; offsets are reported relative to the manifest.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn at(&self) -> usize {
        self.base + self.pos
    }

    fn fail(&self, reason: impl Into<String>) -> CodecError {
        CodecError::ManifestWire {
            offset: self.at(),
            field: String::new(),
            reason: reason.into(),
        }
    }

    /// A varint: at most 10 bytes, below 2^64, in its shortest form (rule W2).
    fn varint(&mut self) -> Result<u64> {
        let start = self.at();
        let mut value = 0u64;
        for i in 0..10u32 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.fail("a varint runs past the end of its message"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(wire_error(start, "a varint exceeds 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(wire_error(start, "a varint is not in its shortest form"));
                }
                return Ok(value);
            }
        }
        Err(wire_error(start, "a varint is longer than 10 bytes"))
    }

    fn take(&mut self, n: u64) -> Result<Cursor<'a>> {
        let base = self.at();
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.fail(format!("{n} bytes announced, fewer remain")))?;
        let bytes = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(Cursor {
            bytes,
            pos: 0,
            base,
        })
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

impl Walker {
    /// The limits of check 10, checked each time a count grows: the walk stops at the first
    /// fault it meets, a broken wire rule or a count above its limit.
    fn within_limits(&self) -> Result<()> {
        let c = &self.counts;
        let limits = [
            ("manifest items", MAX_MANIFEST_ITEMS, c.items),
            ("estimator count", MAX_ESTIMATORS, c.estimators),
            ("tensor count", MAX_TENSORS as u64, c.tensors),
        ];
        for (what, limit, found) in limits {
            if found > limit {
                return Err(CodecError::Limit { what, limit, found });
            }
        }
        Ok(())
    }

    fn message(&mut self, bytes: &[u8], base: usize, id: MessageId, depth: u32) -> Result<()> {
        let mut cur = Cursor {
            bytes,
            pos: 0,
            base,
        };
        if depth > MAX_MESSAGE_DEPTH {
            return Err(cur.fail(format!(
                "messages nest deeper than MAX_MESSAGE_DEPTH ({MAX_MESSAGE_DEPTH})"
            )));
        }
        let spec = MESSAGES
            .get(id)
            .ok_or_else(|| cur.fail("internal: unknown message id"))?;
        self.counts.items += 1;
        if id == TENSOR_INFO {
            self.counts.tensors += 1;
        }
        if Some(id) == self.estimator {
            self.counts.estimators += 1;
        }
        self.within_limits()?;
        // Singular fields seen, by position in `spec.fields` (build.rs keeps every message
        // under 128 fields), and oneofs with a member seen, by oneof index.
        let mut seen = 0u128;
        let mut oneofs = 0u64;
        while !cur.done() {
            let tag_at = cur.at();
            let tag = cur.varint()?;
            let (number, wire) = (tag >> 3, tag & 7);
            if number == 0 || number > MAX_FIELD_NUMBER {
                return Err(CodecError::ManifestWire {
                    offset: tag_at,
                    field: spec.name.to_owned(),
                    reason: format!("field number {number} is not valid"),
                });
            }
            let found = u32::try_from(number)
                .ok()
                .and_then(|n| spec.fields.iter().enumerate().find(|(_, f)| f.number == n));
            let Some((index, f)) = found else {
                skip(&mut cur, wire, tag_at)?;
                continue;
            };
            let fail = |reason: &str| wire_error(tag_at, reason).in_field(spec.name, f.name);
            if !f.repeated {
                let bit = 1u128.checked_shl(index as u32).unwrap_or(0);
                if seen & bit != 0 {
                    return Err(fail("a singular field appears twice"));
                }
                seen |= bit;
                if let Some(o) = f.oneof {
                    let bit = 1u64.checked_shl(o).unwrap_or(0);
                    if oneofs & bit != 0 {
                        return Err(fail("a second member of its oneof is set"));
                    }
                    oneofs |= bit;
                }
            }
            self.field(&mut cur, f, wire, depth)
                .map_err(|e| e.in_field(spec.name, f.name))?;
        }
        Ok(())
    }

    fn field(&mut self, cur: &mut Cursor<'_>, f: &FieldSpec, wire: u64, depth: u32) -> Result<()> {
        let expected = wire_type(f.kind);
        if wire == expected {
            if f.repeated {
                self.counts.items += 1;
                self.within_limits()?;
            }
            return self.value(cur, f.kind, depth);
        }
        if f.repeated && wire == LEN && expected != LEN {
            // A packed run of scalars: whole elements only (rule W4).
            let n = cur.varint()?;
            let mut run = cur.take(n)?;
            while !run.done() {
                self.counts.items += 1;
                self.within_limits()?;
                self.value(&mut run, f.kind, depth)?;
            }
            return Ok(());
        }
        let packed = if f.repeated && expected != LEN {
            " or 2 (packed)"
        } else {
            ""
        };
        Err(cur.fail(format!(
            "wire type {wire}, the schema's type needs {expected}{packed}"
        )))
    }

    fn value(&mut self, cur: &mut Cursor<'_>, kind: FieldKind, depth: u32) -> Result<()> {
        let at = cur.at();
        let bad = |reason: &str| wire_error(at, reason);
        match kind {
            FieldKind::Int64 | FieldKind::Uint64 => cur.varint().map(drop),
            FieldKind::Int32 | FieldKind::Enum => {
                let v = cur.varint()?;
                // Two's complement of a 32-bit value, sign-extended to 64 bits (rule W5).
                if (1 << 31..=u64::MAX - (1 << 31)).contains(&v) {
                    Err(bad("an int32 or enum value is outside 32 bits"))
                } else {
                    Ok(())
                }
            }
            FieldKind::Uint32 => match cur.varint()? {
                v if v <= u64::from(u32::MAX) => Ok(()),
                _ => Err(bad("a uint32 value is outside 32 bits")),
            },
            FieldKind::Bool => match cur.varint()? {
                0 | 1 => Ok(()),
                _ => Err(bad("a bool value is neither 0 nor 1")),
            },
            FieldKind::Double => cur.take(8).map(drop),
            FieldKind::Fixed32 => cur.take(4).map(drop),
            FieldKind::String => {
                let n = cur.varint()?;
                let s = cur.take(n)?;
                std::str::from_utf8(s.bytes)
                    .map(drop)
                    .map_err(|_| bad("a string is not valid UTF-8"))
            }
            FieldKind::Message(id) => {
                let n = cur.varint()?;
                let sub = cur.take(n)?;
                self.message(sub.bytes, sub.base, id, depth + 1)
            }
        }
    }
}

fn wire_error(offset: usize, reason: &str) -> CodecError {
    CodecError::ManifestWire {
        offset,
        field: String::new(),
        reason: reason.to_owned(),
    }
}

fn wire_type(kind: FieldKind) -> u64 {
    match kind {
        FieldKind::Int32
        | FieldKind::Int64
        | FieldKind::Uint32
        | FieldKind::Uint64
        | FieldKind::Bool
        | FieldKind::Enum => VARINT,
        FieldKind::Double => I64,
        FieldKind::Fixed32 => I32,
        FieldKind::String | FieldKind::Message(_) => LEN,
    }
}

/// An unknown field: its wire type must be one of 0, 1, 2, 5 and its bytes must be there
/// (rules W1, W3, W9); its content is not interpreted.
fn skip(cur: &mut Cursor<'_>, wire: u64, tag_at: usize) -> Result<()> {
    match wire {
        VARINT => cur.varint().map(drop),
        I64 => cur.take(8).map(drop),
        LEN => {
            let n = cur.varint()?;
            cur.take(n).map(drop)
        }
        I32 => cur.take(4).map(drop),
        _ => Err(wire_error(
            tag_at,
            &format!("wire type {wire} is not allowed (groups and types 6, 7 are not)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> String {
        match check(bytes) {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{}: {e}", e.code()),
        }
    }

    // Manifest fields: 1 required_features (string, repeated), 2 producer, 3 tensors,
    // 4 estimator. Estimator: 1 producer_type, 4 n_features_in (uint64), 16.. the body oneof.

    #[test]
    fn empty_manifest_is_well_formed() {
        assert_eq!(
            check(&[]).ok(),
            Some(Counts {
                items: 1,
                ..Counts::default()
            })
        );
    }

    #[test]
    fn test_wire_type_mismatch_on_known_field() {
        // Manifest.estimator (4) as a varint.
        assert!(
            code(&[0x20, 0x01]).starts_with("E_MANIFEST_DECODE"),
            "{}",
            code(&[0x20, 1])
        );
        // Manifest.producer (2) as fixed64.
        let mut b = vec![0x11];
        b.extend([0; 8]);
        assert!(code(&b).starts_with("E_MANIFEST_DECODE"));
    }

    #[test]
    fn test_unknown_field_is_skipped_but_must_be_well_formed() {
        assert_eq!(code(&[0x78, 0x05]), "ok"); // field 15, varint
        assert!(code(&[0x7a, 0x05, 0x00]).starts_with("E_MANIFEST_DECODE")); // LEN past end
        assert!(code(&[0x7b]).starts_with("E_MANIFEST_DECODE")); // group start
    }

    #[test]
    fn test_overlong_and_oversized_varints() {
        // Estimator { n_features_in: 1 } written with a redundant continuation byte.
        assert!(code(&[0x22, 0x03, 0x20, 0x81, 0x00]).starts_with("E_MANIFEST_DECODE"));
        assert_eq!(code(&[0x22, 0x02, 0x20, 0x01]), "ok");
        // An 11-byte varint, and a 10-byte one above 2^64.
        let mut long = vec![0x22, 0x0c, 0x20];
        long.extend([0xff; 10]);
        long.push(0x01);
        assert!(code(&long).starts_with("E_MANIFEST_DECODE"));
        let mut big = vec![0x22, 0x0b, 0x20];
        big.extend([0xff; 9]);
        big.push(0x02);
        assert!(code(&big).starts_with("E_MANIFEST_DECODE"));
    }

    #[test]
    fn test_invalid_utf8_string() {
        // required_features = ["\xff"].
        assert!(code(&[0x0a, 0x01, 0xff]).starts_with("E_MANIFEST_DECODE"));
        assert_eq!(code(&[0x0a, 0x01, b'a']), "ok");
    }

    #[test]
    fn test_singular_field_twice_and_second_oneof_member() {
        // Two producers.
        assert!(code(&[0x12, 0x00, 0x12, 0x00]).starts_with("E_MANIFEST_DECODE"));
        // Estimator with two body members (16 standard_scaler, 17 linear).
        let est = [0x82, 0x01, 0x00, 0x8a, 0x01, 0x00];
        let mut b = vec![0x22, est.len() as u8];
        b.extend(est);
        assert!(code(&b).contains("oneof"), "{}", code(&b));
        // The same member twice is a singular field twice.
        let est = [0x8a, 0x01, 0x00, 0x8a, 0x01, 0x00];
        let mut b = vec![0x22, est.len() as u8];
        b.extend(est);
        assert!(code(&b).contains("twice"), "{}", code(&b));
        // Repeated fields may repeat.
        assert_eq!(code(&[0x0a, 0x00, 0x0a, 0x00]), "ok");
    }

    #[test]
    fn test_enum_bool_and_uint32_ranges() {
        // TensorInfo { dtype: 2^32 + 1 } inside Manifest.tensors.
        let t = [0x10, 0x81, 0x80, 0x80, 0x80, 0x10];
        let mut b = vec![0x1a, t.len() as u8];
        b.extend(t);
        assert!(code(&b).contains("32 bits"), "{}", code(&b));
        // dtype -1 (10-byte sign extension) is a valid int32.
        let t = [
            0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        let mut b = vec![0x1a, t.len() as u8];
        b.extend(t);
        assert_eq!(code(&b), "ok");
    }

    #[test]
    fn test_packed_and_unpacked_repeated_scalars() {
        // TensorInfo.shape (3): packed [1, 2], then one unpacked 3.
        let t = [0x1a, 0x02, 0x01, 0x02, 0x18, 0x03];
        let mut b = vec![0x1a, t.len() as u8];
        b.extend(t);
        let counts = check(&b).ok();
        assert_eq!(
            counts.map(|c| (c.items, c.tensors)),
            Some((1 + 1 + 3 + 1, 1))
        );
        // A packed run that ends inside a varint.
        let t = [0x1a, 0x01, 0x81];
        let mut b = vec![0x1a, t.len() as u8];
        b.extend(t);
        assert!(code(&b).starts_with("E_MANIFEST_DECODE"));
    }

    #[test]
    fn test_message_depth_limit() {
        // Estimator(2) > Param(3) > Value(4) > ValueList(5) > Value(6) > ... nested `n` deep.
        fn nest(levels: usize) -> Vec<u8> {
            // Innermost: an empty Value.
            let mut v: Vec<u8> = Vec::new();
            for _ in 0..levels {
                // ValueList { items: [v] } then Value { list_value: that }.
                let list = wrap(0x0a, &v);
                v = wrap(0x32, &list);
            }
            let param = wrap(0x12, &v); // Param.value
            let est = wrap(0x12, &param); // Estimator.params
            wrap(0x22, &est) // Manifest.estimator
        }
        fn wrap(tag: u8, inner: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            let mut n = inner.len();
            while n >= 0x80 {
                out.push((n as u8) | 0x80);
                n >>= 7;
            }
            out.push(n as u8);
            out.extend_from_slice(inner);
            out
        }
        // The innermost Value of `levels` lists sits at depth 4 + 2 * levels.
        assert_eq!(code(&nest(48)), "ok"); // depth 100
        assert!(code(&nest(49)).contains("MAX_MESSAGE_DEPTH"));
    }

    #[test]
    fn test_limits_are_checked_as_counts_grow() {
        let over: Vec<u8> = [0x1a, 0x00].repeat(MAX_TENSORS + 1);
        assert!(code(&over).contains("tensor count"), "{}", code(&over));
        // A wire fault met before the limit is crossed wins; one met after does not.
        let mut before = vec![0x20, 0x01];
        before.extend(&over);
        assert!(code(&before).starts_with("E_MANIFEST_DECODE"));
        let mut after = over.clone();
        after.extend([0x20, 0x01]);
        assert!(code(&after).starts_with("E_LIMIT"));
    }
}
