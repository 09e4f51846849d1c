//! The limits of `spec/format.md` §5. Each bounds the work or memory a hostile file can
//! cause before it is rejected; breaching one gives `E_LIMIT`.

/// Largest manifest accepted: 64 MiB. Stops a header that announces a huge manifest from
/// forcing a large allocation or a long decode before anything else is known to be sane.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Most tensors in one file: 1,000,000. Stops tensor tables whose validation costs far more
/// than the file's size suggests.
pub const MAX_TENSORS: usize = 1_000_000;

/// Highest tensor rank: 8. Stops shapes with absurd rank.
pub const MAX_RANK: usize = 8;

/// Deepest nesting of estimators (pipelines in pipelines) and of `Value`s (lists in lists):
/// 32. Stops trees that exhaust a recursive reader's stack.
pub const MAX_DEPTH: usize = 32;
