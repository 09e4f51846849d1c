//! The limits of `spec/format.md` §5. Each bounds the work or memory a hostile file can
//! cause before it is rejected; breaching one gives `E_LIMIT`.

/// Largest manifest accepted: 64 MiB. Stops a header that announces a huge manifest from
/// forcing a large allocation or a long decode before anything else is known to be sane.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Most tensors in one file: 65,536. Stops tensor tables whose decoding and validation cost
/// far more than the file's size suggests (an entry is ~20 bytes of manifest and ~150 bytes of
/// memory once decoded). Counted by the wire walk of check 10, before the manifest is decoded.
pub const MAX_TENSORS: usize = 65_536;

/// Most items in one manifest: 1,048,576 messages and elements of repeated fields. A decoded
/// message costs a reader up to a few hundred bytes for as little as 2 bytes of manifest; this
/// bounds what decoding a hostile 64 MiB manifest can allocate. Counted before decoding.
pub const MAX_MANIFEST_ITEMS: u64 = 1 << 20;

/// Most `Estimator` messages in one manifest: 65,536. An empty estimator is 2 bytes of
/// manifest and the largest message once decoded; this bounds their total. Counted before
/// decoding.
pub const MAX_ESTIMATORS: u64 = 1 << 16;

/// Deepest nesting of protobuf messages in the manifest: 100 (the manifest itself is at
/// depth 1). Stops stack exhaustion in recursive decoders; both reference runtimes (prost,
/// upb) accept at least this depth, so the limit decides, not the runtime a reader uses.
pub const MAX_MESSAGE_DEPTH: u32 = 100;

/// Highest tensor rank: 8. Stops shapes with absurd rank.
pub const MAX_RANK: usize = 8;

/// Deepest nesting of estimators (pipelines in pipelines) and of `Value`s (lists in lists):
/// 32. Stops trees that exhaust a recursive reader's stack.
pub const MAX_DEPTH: usize = 32;
