//! Decision trees and forests: `DecisionTreeClassifier`/`Regressor`, `ExtraTreeClassifier`/
//! `Regressor` (one tree), `RandomForestClassifier`/`Regressor` and `ExtraTreesClassifier`/
//! `Regressor` (many), single- and multi-output — the `TreeEnsemble` body.
//!
//! Mirrors scikit-learn 1.9.1 and 1.3.2 (`spec/estimators.md`, section "TreeEnsemble", has
//! the full math and the rules):
//! - traversal: `sklearn/tree/_tree.pyx`, `Tree._apply_dense`: `X` was cast to float32 by
//!   `_validate_X_predict` (`TREE_INPUT_F32`), so a split compares `(x as f32) as f64 <=
//!   threshold`; a NaN input follows the record's missing-goes-left bit; a value exactly at the
//!   threshold goes left; an input whose float32 rounding is infinite (an infinity, or a
//!   value beyond float32's range) is `E_INPUT`, as the cast's `check_array` refuses it;
//! - one tree: `sklearn/tree/_classes.py`, `BaseDecisionTree.predict` (the argmax of the
//!   leaf's raw value row for classifiers, numpy's argmax: ties to the lowest index; the value
//!   itself for regressors) and `DecisionTreeClassifier.predict_proba` (the value row as is for
//!   `FRACTIONS`, scikit-learn >= 1.4; for `COUNTS`, 1.3.2, the row divided by its numpy sum,
//!   a zero sum replaced by 1);
//! - forests: `sklearn/ensemble/_forest.py`, `ForestClassifier.predict_proba` and
//!   `ForestRegressor.predict` (`_accumulate_prediction`: per-tree outputs added in tree order
//!   to an array of zeros, then divided by the number of trees) and `ForestClassifier.predict`
//!   (argmax of that mean).
//!
//! Every output is bit-exact: the same IEEE operations in the same order as scikit-learn.
//!
//! **Zero-copy.** The runtime holds the container in an `Arc` (through [`TensorSource`]) and
//! the tensor-table positions of `nodes` and `values`; each prediction views the node records
//! as `&[Node]` (16-byte `#[repr(C)]` records read straight from the mapped file) and the
//! leaf values as `&[f64]`, in place. Loading validates every record once, in O(nodes),
//! without copying it. On a big-endian machine, or when a buffer is not 8-byte aligned (a
//! `Vec<u8>` handed to `Model::from_bytes` by an unusual allocator), nodes and values are
//! decoded into owned vectors at load instead: the documented copying fallback.
//!
//! **Speed.** A traversal reads one record per step, and picks the next one without a branch
//! (left or right is a coin toss to the branch predictor; a mispredicted step costs more than
//! the step itself). Up to eight traversals are in flight at once (for one row: eight trees;
//! for a batch: eight rows of a block), so that the cache misses of a large forest overlap
//! instead of queueing. Batches go tree by tree through blocks of many thousand rows, as
//! scikit-learn does (a tree's records are fetched once per block, then stay in cache while
//! the whole block passes through it), and large batches are split into one row chunk per
//! core (rayon). One row allocates nothing but its output (for up to 1,024 features).
//! Whatever the grouping, every output value receives its trees' contributions in tree order,
//! so results are identical to a one-row-at-a-time, single-threaded run
//! (`blocks_of_any_size_equal_rows_one_by_one`, `batches_in_parallel_equal_rows_one_by_one`).

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::Arc;

use amber_codec::model::{self, LeafValues, TreeInput};
use amber_codec::{CodecError, Container, DType, Element, cast_slice};
use ndarray::{Array2, ArrayD, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::linear::{Classes, argmax};
use crate::method::{Method, Prediction};
use crate::traits::{Estimator, Predict, PredictProba, check_width};

/// The feature word of a leaf.
pub(crate) const LEAF: u32 = u32::MAX;
/// Bit 31 of an internal node's feature word: missing values (NaN) go left.
pub(crate) const MISSING_LEFT: u32 = 1 << 31;
/// Bit 30 of an internal node's feature word: a categorical split, whose first 8 bytes are
/// a row of the category sets rather than a threshold.
pub(crate) const CATEGORICAL: u32 = 1 << 30;
/// Bits 0..29 of an internal node's feature word: the feature index.
const FEATURE_MASK: u32 = CATEGORICAL - 1;
/// Bytes of one node record.
pub(crate) const RECORD_BYTES: usize = 16;

/// One node record, laid out as in the file (`spec/estimators.md`, "TreeEnsemble"):
/// bytes 0..8 the threshold, 8..12 the feature word, 12..16 the right child (internal
/// nodes) or the leaf's row of `values` (leaves), all little-endian.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Node {
    /// The split threshold (internal nodes).
    pub(crate) threshold: f64,
    /// [`LEAF`], or [`MISSING_LEFT`] | feature index.
    pub(crate) feature: u32,
    /// Internal node: absolute index of the right child. Leaf: its row in `values`.
    pub(crate) next: u32,
}

// The record is exactly 16 bytes with the file's field offsets and no padding, so every
// 16-byte pattern is a valid `Node` (f64 and u32 accept any bits).
const _: () = {
    assert!(size_of::<Node>() == RECORD_BYTES);
    assert!(align_of::<Node>() == 8);
    assert!(std::mem::offset_of!(Node, threshold) == 0);
    assert!(std::mem::offset_of!(Node, feature) == 8);
    assert!(std::mem::offset_of!(Node, next) == 12);
};

impl Node {
    /// Decodes a record from its 16 little-endian bytes (the copying fallback).
    fn from_le(b: &[u8]) -> Option<Node> {
        Some(Node {
            threshold: f64::from_le_bytes(b.get(0..8)?.try_into().ok()?),
            feature: u32::from_le_bytes(b.get(8..12)?.try_into().ok()?),
            next: u32::from_le_bytes(b.get(12..16)?.try_into().ok()?),
        })
    }

    /// Encodes the record as the file stores it.
    #[cfg(test)]
    pub(crate) fn to_le(self) -> [u8; RECORD_BYTES] {
        let mut out = [0u8; RECORD_BYTES];
        out[0..8].copy_from_slice(&self.threshold.to_le_bytes());
        out[8..12].copy_from_slice(&self.feature.to_le_bytes());
        out[12..16].copy_from_slice(&self.next.to_le_bytes());
        out
    }
}

/// A record's 16 file bytes (tests that write node tensors).
#[cfg(test)]
pub(crate) fn record(threshold: f64, feature: u32, next: u32) -> Vec<u8> {
    Node {
        threshold,
        feature,
        next,
    }
    .to_le()
    .to_vec()
}

/// Views node-record bytes as records in place: `Some` on a little-endian machine when the
/// bytes are 8-byte aligned and hold whole records.
fn cast_nodes(bytes: &[u8]) -> Option<&[Node]> {
    if cfg!(target_endian = "little")
        && (bytes.as_ptr() as usize) % align_of::<Node>() == 0
        && bytes.len() % RECORD_BYTES == 0
    {
        // SAFETY: alignment — the pointer is a multiple of align_of::<Node>() = 8 (checked
        // above). Size — `bytes.len()` is a multiple of 16 = size_of::<Node>() (checked), so
        // the `len / 16` records lie exactly inside `bytes`. Validity — `Node` is `repr(C)`
        // with fields at offsets 0, 8, 12 and no padding (the const assertions above), made of
        // an f64 and two u32, for which every bit pattern is valid; on a little-endian machine
        // (checked) the file's little-endian fields are the native representation. Aliasing
        // and lifetime — the result is a shared borrow of `bytes`, which are never written
        // (a read-only map or an immutable buffer), and it cannot outlive them.
        Some(unsafe {
            std::slice::from_raw_parts(bytes.as_ptr().cast::<Node>(), bytes.len() / RECORD_BYTES)
        })
    } else {
        None
    }
}

/// What a tree runtime holds on to: the validated container, shared, so that node records and
/// leaf values are read in place for as long as the model lives.
pub(crate) trait TensorSource: Debug + Send + Sync {
    /// The bytes of tensor `index` of the table, its checksum verified on first use.
    fn tensor_bytes(&self, index: usize) -> amber_codec::Result<&[u8]>;
}

impl<B: Deref<Target = [u8]> + Debug + Send + Sync> TensorSource for Container<B> {
    fn tensor_bytes(&self, index: usize) -> amber_codec::Result<&[u8]> {
        Ok(self.tensor_by_index(index)?.bytes())
    }
}

/// Where a runtime array lives.
#[derive(Debug)]
enum Store<T> {
    /// In the container, viewed in place: the tensor's position in the table.
    Mapped(usize),
    /// Decoded at load (big-endian machine or unaligned buffer).
    Owned(Vec<T>),
}

/// The classes of each output, and where each output's columns are in a row of the flat
/// probability buffer.
#[derive(Debug)]
struct ClassOutputs {
    /// Leaves hold weighted counts (normalised per tree) rather than fractions.
    counts: bool,
    /// Per output: its labels.
    classes: Vec<Classes>,
    /// Per output: `(n_classes, first column)` in the flat buffer.
    columns: Vec<(usize, usize)>,
    /// Sum of the class counts: the flat buffer's width.
    width: usize,
    /// Whether every output's labels are of one kind (predict needs one output type).
    one_kind: bool,
}

/// What the leaves are.
#[derive(Debug)]
enum Kind {
    Regressor,
    Classifier(ClassOutputs),
}

/// A 256-bit category set: category `c` is bit `c % 32` of word `c / 32`.
type CategorySet = [u32; 8];

fn in_set(set: &CategorySet, code: usize) -> bool {
    set.get(code / 32)
        .is_some_and(|w| (w >> (code % 32)) & 1 == 1)
}

/// The category code scikit-learn < 1.4 computes for a non-negative, non-NaN `x`:
/// `<uint8_t>x` in `_predictor.pyx`, which x86-64 compiles to a truncation to int32
/// (`cvttsd2si`; 0x80000000 for 2^31 and above, and for infinity) keeping the low byte.
fn cast_code(x: f64) -> usize {
    if x < 2_147_483_648.0 {
        // 0 <= x < 2^31: the truncation fits i64 exactly.
        (x as i64 & 0xFF) as usize
    } else {
        0
    }
}

/// Categorical splits (HistGradientBoosting): the sets of the splits, the categories seen in
/// training per categorical feature and, for scikit-learn >= 1.4 files, each feature's
/// category values in code order. Small (32 bytes per split), so copied at load.
#[derive(Debug, Default)]
struct Categorical {
    /// Per categorical split: the categories that go left.
    sets: Vec<CategorySet>,
    /// The categorical features, strictly increasing: feature `features[j]`'s row of `known`
    /// (and of `values`) is `j`. A sorted list rather than a table per input feature, whose
    /// size would come from `n_features_in`, which no tensor backs.
    features: Vec<u32>,
    /// Per categorical feature: the categories seen in training.
    known: Vec<CategorySet>,
    /// Per categorical feature: its category values, strictly increasing; `None` for the
    /// integer-part codes of scikit-learn < 1.4.
    values: Option<Vec<Vec<f64>>>,
}

impl Categorical {
    /// The row of `known` (and of `values`) of input feature `feature`, if it is categorical.
    #[inline]
    fn row(&self, feature: usize) -> Option<usize> {
        let feature = u32::try_from(feature).ok()?;
        self.features.binary_search(&feature).ok()
    }

    /// Whether `x` (feature `feature`) goes left at the categorical split `node`
    /// (`_predict_one_from_raw_data` in `_predictor.pyx`): NaN, a negative value (integer
    /// codes) and a value that is no known category go where missing values go; a category
    /// of the split's set goes left; any other known category goes right.
    #[inline]
    fn goes_left(&self, node: &Node, feature: usize, x: f64) -> Option<bool> {
        let missing = node.feature & MISSING_LEFT != 0;
        if x.is_nan() {
            return Some(missing);
        }
        let row = self.row(feature)?;
        let code = match &self.values {
            Some(values) => {
                let values = values.get(row)?;
                // `==` as numpy compares: -0.0 finds 0.0.
                let at = values.partition_point(|&v| v < x);
                match values.get(at) {
                    Some(&v) if v == x => at,
                    _ => return Some(missing),
                }
            }
            None if x < 0.0 => return Some(missing),
            None => cast_code(x),
        };
        let set = self
            .sets
            .get(usize::try_from(node.threshold.to_bits()).ok()?)?;
        Some(if in_set(set, code) {
            true
        } else if in_set(self.known.get(row)?, code) {
            false
        } else {
            missing
        })
    }
}

/// How a batch combines its trees.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// A forest's mean (or one tree's value) of what `Leaf` says each leaf contributes.
    Mean(Leaf),
    /// Boosting: tree `t` adds `scale * value` to column `t % width` of rows that come in
    /// holding their starting values.
    Boost { scale: f64 },
}

/// A validated tree ensemble.
#[derive(Debug)]
pub(crate) struct TreeEnsemble {
    source: Arc<dyn TensorSource>,
    nodes: Store<Node>,
    values: Store<f64>,
    /// The first record of each tree, in tree order.
    roots: Vec<usize>,
    n_features: usize,
    f32_input: bool,
    n_outputs: usize,
    /// `values`' last dimension, `C`.
    n_columns: usize,
    kind: Kind,
    /// Categorical splits, when the ensemble has any.
    categorical: Option<Categorical>,
}

/// What one tree contributes for one leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    /// Regression: column 0 of each output.
    Value,
    /// The first `n_classes_o` columns of each output, as stored.
    Raw,
    /// The same divided by their numpy sum (a zero sum counts as 1): `COUNTS` probabilities.
    Normalized,
}

/// The arrays of one prediction call, viewed in place.
struct Forest<'a> {
    nodes: &'a [Node],
    values: &'a [f64],
    roots: &'a [usize],
    /// `n_outputs * n_columns`: one row of `values`.
    row_len: usize,
}

/// The categorical context of ensembles without categorical splits (never consulted).
static NO_CATEGORIES: Categorical = Categorical {
    sets: Vec::new(),
    features: Vec::new(),
    known: Vec::new(),
    values: None,
};

/// Rows below which a batch runs on the calling thread: thread hand-off costs more than it
/// saves on small batches (one row must stay a tight, allocation-free loop).
const PARALLEL_MIN_ROWS: usize = 64;
/// Tree traversals (rows x trees) below which a batch runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 8192;
/// Row chunks per thread of a parallel batch. One: each chunk fetches every tree once, and
/// the more rows share that fetch the better (on 2 cores, rf_big ran at 98 k rows/s in one
/// chunk per thread, 78 k in two, 77 k in four), which outweighs rebalancing the chunks of a
/// thread slowed down by other work.
const PARALLEL_CHUNKS_PER_THREAD: usize = 1;

/// Traversals in flight at once: independent chains of loads that the CPU overlaps.
const LANES: usize = 8;
/// Input values per block of a batch (8 MiB of f64): a block is as many rows as that holds
/// — 52,428 rows of 20 features, so a typical batch is one block. Each tree is applied to the
/// whole block before the next tree (scikit-learn's order), so its records are fetched from
/// memory once per block and then hit in cache for every row. With blocks of 64 rows every
/// tree was fetched again for each block: single-threaded, the `rf_big` bench model ran at
/// 30 k rows/s that way and 86 k in one block (`rf_clf`: 140 k and 240 k). The bound keeps
/// the float32-rounded copy of very wide or very long inputs from growing without limit.
const BLOCK_VALUES: usize = 1 << 20;
/// Trees in flight together when a block has fewer than [`LANES`] rows (one row).
const TREE_CHUNK: usize = 64;
/// Input values a block may hold on the stack (8 KiB).
const STACK_VALUES: usize = 1024;

/// One traversal in flight: the job it serves, its cursor and its input row.
#[derive(Clone, Copy)]
struct Lane<'a> {
    job: usize,
    cursor: usize,
    x: &'a [f64],
}

/// Runs `leaves.len()` traversals — job `j` starts at record `root(j)` with input `row(j)` —
/// and stores in `leaves[j]` the row of `values` that job `j` reaches. Up to [`LANES`] run
/// at once, each lane taking the next job as soon as its own ends, so that their memory loads
/// overlap. `None` only when an index is out of range, which the load-time validation rules
/// out.
///
/// A step reads one record: a leaf (feature word [`LEAF`]) ends the job; otherwise a NaN
/// input follows the missing-goes-left bit, and any other goes left exactly when
/// `x <= threshold`, where `x` was rounded through float32 beforehand for `TREE_INPUT_F32`
/// (scikit-learn's float32 `X`): `(x as f32) as f64 <= threshold`. With `CAT` (an ensemble
/// with categorical splits), a record with the categorical bit goes where
/// [`Categorical::goes_left`] says; without, that test is compiled out of the loop.
#[inline]
fn descend<'a, const CAT: bool>(
    nodes: &[Node],
    cats: &Categorical,
    root: impl Fn(usize) -> Option<usize>,
    row: impl Fn(usize) -> Option<&'a [f64]>,
    leaves: &mut [usize],
) -> Option<()> {
    let n_jobs = leaves.len();
    let mut lanes = [Lane {
        job: 0,
        cursor: 0,
        x: &[],
    }; LANES];
    let mut next = 0;
    for lane in lanes.iter_mut().take(n_jobs) {
        *lane = Lane {
            job: next,
            cursor: root(next)?,
            x: row(next)?,
        };
        next += 1;
    }
    let lanes = lanes.get_mut(..next)?;
    let mut active = next;
    while active > 0 {
        for lane in lanes.iter_mut() {
            if lane.job == usize::MAX {
                continue;
            }
            let node = nodes.get(lane.cursor)?;
            if node.feature == LEAF {
                *leaves.get_mut(lane.job)? = node.next as usize;
                if next < n_jobs {
                    *lane = Lane {
                        job: next,
                        cursor: root(next)?,
                        x: row(next)?,
                    };
                    next += 1;
                } else {
                    lane.job = usize::MAX;
                    active -= 1;
                }
                continue;
            }
            // For TREE_INPUT_F32 the row was rounded through float32 beforehand (`fill_rows`:
            // `_validate_X_predict` cast X to float32; the comparison is in float64). A NaN
            // fails `<=` and goes where the missing-values bit says; written without branches,
            // as the comparison's outcome is unpredictable.
            let feature = (node.feature & FEATURE_MASK) as usize;
            let v = *lane.x.get(feature)?;
            let left = if CAT && node.feature & CATEGORICAL != 0 {
                cats.goes_left(node, feature, v)?
            } else {
                (v <= node.threshold) | (v.is_nan() & (node.feature & MISSING_LEFT != 0))
            };
            // Validation proved i + 1 < right < end of the tree: every step moves forward.
            // Selected by a mask rather than `if left { .. } else { .. }`, which LLVM compiled
            // to a jump: mispredicted on half the steps, it cost more than the step (the mask
            // form compiles to a conditional move; batches ran twice as fast).
            let right = node.next as usize;
            let mask = usize::from(left).wrapping_neg();
            lane.cursor = right ^ ((right ^ (lane.cursor + 1)) & mask);
        }
    }
    Some(())
}

impl TreeEnsemble {
    /// The node records and leaf values, viewed in place (verifying the values' checksum on
    /// first use when the reader deferred it).
    fn forest(&self) -> Result<Forest<'_>> {
        let broken = |what: &str| {
            EstimatorError::model(
                "tree_ensemble",
                format!("the {what} tensor is no longer aligned as it was at load"),
            )
        };
        let nodes = match &self.nodes {
            Store::Owned(v) => v.as_slice(),
            Store::Mapped(i) => {
                cast_nodes(self.source.tensor_bytes(*i)?).ok_or_else(|| broken("nodes"))?
            }
        };
        let values = match &self.values {
            Store::Owned(v) => v.as_slice(),
            Store::Mapped(i) => {
                cast_slice::<f64>(self.source.tensor_bytes(*i)?).ok_or_else(|| broken("values"))?
            }
        };
        Ok(Forest {
            nodes,
            values,
            roots: &self.roots,
            row_len: self.n_outputs.saturating_mul(self.n_columns),
        })
    }

    /// Adds (or, with `assign`, stores) the contribution of the leaf at row `leaf` of
    /// `values` to one output row `out`.
    #[inline]
    fn contribute(
        &self,
        f: &Forest<'_>,
        leaf: usize,
        what: Leaf,
        assign: bool,
        out: &mut [f64],
    ) -> Option<()> {
        let start = leaf.checked_mul(f.row_len)?;
        let put = |slot: &mut f64, v: f64| {
            if assign {
                *slot = v;
            } else {
                *slot += v;
            }
        };
        // The common shapes first, with nothing to dispatch per column: one regression output
        // (one value), and the stored rows of a one-output classifier (`FRACTIONS`, or one
        // tree's raw row), whose columns are the output row as is.
        match (&self.kind, what, &mut *out) {
            (Kind::Regressor, _, [slot]) => {
                put(slot, *f.values.get(start)?);
                return Some(());
            }
            (Kind::Classifier(c), Leaf::Raw, out) if c.columns.len() == 1 => {
                let src = f.values.get(start..start.checked_add(out.len())?)?;
                for (d, &v) in out.iter_mut().zip(src) {
                    put(d, v);
                }
                return Some(());
            }
            _ => {}
        }
        let row = f.values.get(start..start.checked_add(f.row_len)?)?;
        match (&self.kind, what) {
            (Kind::Regressor, _) | (Kind::Classifier(_), Leaf::Value) => {
                for (o, slot) in out.iter_mut().enumerate() {
                    put(slot, *row.get(o * self.n_columns)?);
                }
            }
            (Kind::Classifier(c), Leaf::Raw | Leaf::Normalized) => {
                for (o, &(n_classes, first)) in c.columns.iter().enumerate() {
                    let base = o * self.n_columns;
                    let src = row.get(base..base + n_classes)?;
                    let dst = out.get_mut(first..first + n_classes)?;
                    if what == Leaf::Normalized {
                        let sum = crate::numerics::numpy_sum(src);
                        let normalizer = if sum == 0.0 { 1.0 } else { sum };
                        for (d, &v) in dst.iter_mut().zip(src) {
                            put(d, v / normalizer);
                        }
                    } else {
                        for (d, &v) in dst.iter_mut().zip(src) {
                            put(d, v);
                        }
                    }
                }
            }
        }
        Some(())
    }

    /// A block of rows (`xs`: `rows x n_features`, row-major) into `out` (`width` values per
    /// row). [`Mode::Mean`]: a single tree's contribution as is, or the forest's mean —
    /// contributions added in tree order onto zeros, then divided by the number of trees.
    /// [`Mode::Boost`]: `scale * value` of tree `t` added, in tree order, to column
    /// `t % width` of the rows as they come in.
    ///
    /// Traversals run [`LANES`] at a time (across the block's rows, tree by tree, when the
    /// block has that many rows; across trees for fewer rows) so that their memory loads
    /// overlap. Each output value still receives its trees' contributions in tree order, so
    /// the grouping never changes a result.
    #[allow(clippy::too_many_arguments)]
    fn fill_block<const CAT: bool>(
        &self,
        f: &Forest<'_>,
        cats: &Categorical,
        xs: &[f64],
        mode: Mode,
        width: usize,
        out: &mut [f64],
        scratch: &mut Vec<usize>,
    ) -> Option<()> {
        let n_features = self.n_features;
        let row = |r: usize| xs.get(r * n_features..(r + 1) * n_features);
        let single = f.roots.len() == 1;
        let add = |t: usize, leaf: usize, o: &mut [f64]| -> Option<()> {
            match mode {
                Mode::Mean(what) => self.contribute(f, leaf, what, single, o),
                Mode::Boost { scale } => {
                    *o.get_mut(t % width)? += scale * *f.values.get(leaf)?;
                    Some(())
                }
            }
        };
        if matches!(mode, Mode::Mean(_)) && !single {
            out.fill(0.0);
        }
        let rows = out.len() / width;
        if rows >= LANES {
            // Tree by tree, the block's rows in flight together.
            scratch.resize(rows, 0);
            let leaves = scratch.as_mut_slice();
            for (t, &root) in f.roots.iter().enumerate() {
                descend::<CAT>(f.nodes, cats, |_| Some(root), row, leaves)?;
                for (&leaf, o) in leaves.iter().zip(out.chunks_exact_mut(width)) {
                    add(t, leaf, o)?;
                }
            }
        } else {
            // Few rows: row by row, up to TREE_CHUNK trees in flight together; contributions
            // are then added in tree order.
            let mut leaves = [0usize; TREE_CHUNK];
            for (r, o) in out.chunks_exact_mut(width).enumerate() {
                let x = row(r)?;
                for (c, trees) in f.roots.chunks(TREE_CHUNK).enumerate() {
                    let leaves = leaves.get_mut(..trees.len())?;
                    descend::<CAT>(
                        f.nodes,
                        cats,
                        |j| trees.get(j).copied(),
                        |_| Some(x),
                        leaves,
                    )?;
                    for (j, &leaf) in leaves.iter().enumerate() {
                        add(c * TREE_CHUNK + j, leaf, o)?;
                    }
                }
            }
        }
        if matches!(mode, Mode::Mean(_)) && !single {
            let n_trees = f.roots.len() as f64;
            for v in out.iter_mut() {
                *v /= n_trees;
            }
        }
        Some(())
    }

    /// Rows `first..` of `x` into `out` (`width` values per row), in blocks of `block_rows`
    /// rows. `false` if a record pointed out of range (impossible after validation).
    #[allow(clippy::too_many_arguments)]
    fn fill_rows(
        &self,
        f: &Forest<'_>,
        x: &ArrayView2<'_, f64>,
        first: usize,
        mode: Mode,
        width: usize,
        block_rows: usize,
        out: &mut [f64],
    ) -> bool {
        // Input values of one block, rounded through float32 once here rather than at every
        // node for TREE_INPUT_F32, and in row-major order whatever the input's layout: on the
        // stack when they fit (one row of up to STACK_VALUES features allocates nothing),
        // else in a buffer reused across the chunk.
        let mut stack = [0.0f64; STACK_VALUES];
        let mut heap = Vec::new();
        let mut scratch = Vec::new();
        let block_rows = block_rows.max(1);
        for (b, out_block) in out.chunks_mut(block_rows * width).enumerate() {
            let start = first + b * block_rows;
            let block = x.slice(ndarray::s![start..start + out_block.len() / width, ..]);
            let xs: &[f64] = match block.as_slice() {
                Some(s) if !self.f32_input => s,
                _ => {
                    let n = block.len();
                    let buf = if n <= STACK_VALUES {
                        stack.get_mut(..n).unwrap_or_default()
                    } else {
                        heap.resize(n, 0.0);
                        heap.as_mut_slice()
                    };
                    for (d, &v) in buf.iter_mut().zip(block.iter()) {
                        *d = if self.f32_input {
                            f64::from(v as f32)
                        } else {
                            v
                        };
                    }
                    buf
                }
            };
            let done = match &self.categorical {
                None => self.fill_block::<false>(
                    f,
                    &NO_CATEGORIES,
                    xs,
                    mode,
                    width,
                    out_block,
                    &mut scratch,
                ),
                Some(cats) => {
                    self.fill_block::<true>(f, cats, xs, mode, width, out_block, &mut scratch)
                }
            };
            if done.is_none() {
                return false;
            }
        }
        true
    }

    /// `[n_samples, width]`: each row's contributions, sequentially for small batches and in
    /// parallel over row chunks for large ones (same per-row code, same results).
    fn fill(&self, x: ArrayView2<'_, f64>, what: Leaf, width: usize) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        // scikit-learn's tree and forest `_validate_X_predict` cast to float32 and refuse
        // infinities ("allow-nan"): spec/estimators.md, TreeEnsemble rule on inputs.
        if self.f32_input {
            finite::check(
                x,
                Refuse::Float32Infinite,
                "a tree ensemble refuses infinities and values beyond float32's range (it \
                 reads its input as float32)",
            )?;
        }
        let n = x.nrows();
        let len = n.checked_mul(width).ok_or_else(|| {
            EstimatorError::model(
                "tree_ensemble",
                format!("{n} rows of {width} outputs do not fit in memory"),
            )
        })?;
        let mut out = vec![0.0; len];
        self.run(x, Mode::Mean(what), width, &mut out)?;
        to_array(out, n, width)
    }

    /// Runs `mode` over every row of `x` into `out` (`width` values per row, row-major).
    fn run(&self, x: ArrayView2<'_, f64>, mode: Mode, width: usize, out: &mut [f64]) -> Result<()> {
        check_width(&x, self.n_features)?;
        let f = self.forest()?;
        let n = x.nrows();
        if width == 0 || n == 0 {
            return Ok(());
        }
        let block = (BLOCK_VALUES / self.n_features.max(1)).max(LANES);
        let threads = rayon::current_num_threads();
        let parallel = threads > 1
            && n >= PARALLEL_MIN_ROWS
            && n.saturating_mul(self.roots.len()) >= PARALLEL_MIN_WORK;
        let ok = if parallel {
            let rows = n
                .div_ceil(threads * PARALLEL_CHUNKS_PER_THREAD)
                .max(PARALLEL_MIN_ROWS);
            out.par_chunks_mut(rows * width)
                .enumerate()
                .map(|(c, chunk)| self.fill_rows(&f, &x, c * rows, mode, width, block, chunk))
                .reduce(|| true, |a, b| a && b)
        } else {
            self.fill_rows(&f, &x, 0, mode, width, block, out)
        };
        if ok {
            Ok(())
        } else {
            Err(EstimatorError::model(
                "tree_ensemble",
                "a node record points out of range (the file changed after it was validated)",
            ))
        }
    }

    /// Whether the trees compare the float32 rounding of the input (`TREE_INPUT_F32`).
    pub(crate) fn reads_f32(&self) -> bool {
        self.f32_input
    }

    /// The number of trees.
    pub(crate) fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// The largest `|value|` of any node (0 for none).
    pub(crate) fn max_abs_value(&self) -> Result<f64> {
        Ok(self
            .forest()?
            .values
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs())))
    }

    /// Boosting and isolation forests: for every row `r` of `x` and every tree `t` in order,
    /// `raw[[r, t % k]] += scale * value`, where `value` is the leaf tree `t` reaches and
    /// `k = raw.ncols()`. `raw` comes in holding each row's starting values. Only for trees
    /// built by [`build_raw_trees`] (one output, one value per leaf).
    pub(crate) fn add_scaled_leaves(
        &self,
        x: ArrayView2<'_, f64>,
        scale: f64,
        raw: &mut Array2<f64>,
    ) -> Result<()> {
        let k = raw.ncols();
        if raw.nrows() != x.nrows() || k == 0 || !matches!(self.kind, Kind::Regressor) {
            return Err(EstimatorError::model(
                "trees",
                format!(
                    "raw scores [{}, {k}] do not fit {} rows of single-output trees",
                    raw.nrows(),
                    x.nrows()
                ),
            ));
        }
        match raw.as_slice_mut() {
            Some(out) => self.run(x, Mode::Boost { scale }, k, out),
            None => {
                let mut out: Vec<f64> = raw.iter().copied().collect();
                self.run(x, Mode::Boost { scale }, k, &mut out)?;
                for (d, v) in raw.iter_mut().zip(out) {
                    *d = v;
                }
                Ok(())
            }
        }
    }

    fn classes(&self) -> Option<&ClassOutputs> {
        match &self.kind {
            Kind::Classifier(c) => Some(c),
            Kind::Regressor => None,
        }
    }

    /// Probabilities, one `[n_samples, n_classes_o]` array per output.
    fn probabilities(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        let c = self
            .classes()
            .ok_or_else(|| not_a_classifier("predict_proba"))?;
        let what = if c.counts {
            Leaf::Normalized
        } else {
            Leaf::Raw
        };
        let flat = self.fill(x, what, c.width)?;
        Ok(split_columns(flat, &c.columns))
    }
}

fn to_array(out: Vec<f64>, n: usize, width: usize) -> Result<Array2<f64>> {
    Array2::from_shape_vec((n, width), out)
        .map_err(|e| EstimatorError::model("tree_ensemble", e.to_string()))
}

/// The flat buffer cut into one array per output (the whole buffer for one output).
fn split_columns(flat: Array2<f64>, columns: &[(usize, usize)]) -> Vec<Array2<f64>> {
    if let [_] = columns {
        return vec![flat];
    }
    columns
        .iter()
        .map(|&(n, first)| flat.slice(ndarray::s![.., first..first + n]).to_owned())
        .collect()
}

/// Only reachable if a method is called that `as_*` did not offer.
fn not_a_classifier(method: &str) -> EstimatorError {
    EstimatorError::model("tree_ensemble", format!("a regressor has no {method}"))
}

/// The labels at `indices` (`[n_samples, n_outputs]`, row-major) as one array of the classes'
/// type: `[n_samples]` for one output, else `[n_samples, n_outputs]`.
fn labels(c: &ClassOutputs, indices: &[usize], n: usize) -> Result<Prediction> {
    fn pick<T: Clone>(
        per_output: &[&[T]],
        indices: &[usize],
        shape: &[usize],
    ) -> Result<ArrayD<T>> {
        let values = indices
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                per_output
                    .get(k % per_output.len())
                    .and_then(|labels| labels.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        EstimatorError::model("tree_ensemble.classes", "no class for a column")
                    })
            })
            .collect::<Result<Vec<T>>>()?;
        ArrayD::from_shape_vec(shape, values)
            .map_err(|e| EstimatorError::model("tree_ensemble", e.to_string()))
    }
    let n_outputs = c.classes.len();
    let shape: Vec<usize> = if n_outputs == 1 {
        vec![n]
    } else {
        vec![n, n_outputs]
    };
    let mixed = || EstimatorError::model("tree_ensemble.classes", "labels of different kinds");
    Ok(match c.classes.first() {
        Some(Classes::Int(_)) => {
            let per: Option<Vec<&[i64]>> = c
                .classes
                .iter()
                .map(|k| match k {
                    Classes::Int(v) => Some(v.as_slice()),
                    _ => None,
                })
                .collect();
            Prediction::Int(pick(&per.ok_or_else(mixed)?, indices, &shape)?)
        }
        Some(Classes::Float(_)) => {
            let per: Option<Vec<&[f64]>> = c
                .classes
                .iter()
                .map(|k| match k {
                    Classes::Float(v) => Some(v.as_slice()),
                    _ => None,
                })
                .collect();
            Prediction::Float(pick(&per.ok_or_else(mixed)?, indices, &shape)?)
        }
        Some(Classes::Str(_)) => {
            let per: Option<Vec<&[String]>> = c
                .classes
                .iter()
                .map(|k| match k {
                    Classes::Str(v) => Some(v.as_slice()),
                    _ => None,
                })
                .collect();
            Prediction::Str(pick(&per.ok_or_else(mixed)?, indices, &shape)?)
        }
        None => return Err(mixed()),
    })
}

impl Predict for TreeEnsemble {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        match &self.kind {
            Kind::Regressor => {
                let out = self.fill(x, Leaf::Value, self.n_outputs)?;
                Ok(Prediction::Float(if self.n_outputs == 1 {
                    out.index_axis_move(Axis(1), 0).into_dyn()
                } else {
                    out.into_dyn()
                }))
            }
            Kind::Classifier(c) => {
                // One tree: scikit-learn's tree predict takes the argmax of the raw value row;
                // a forest the argmax of the mean probabilities.
                let what = match (self.roots.len(), c.counts) {
                    (1, _) | (_, false) => Leaf::Raw,
                    (_, true) => Leaf::Normalized,
                };
                let flat = self.fill(x, what, c.width)?;
                let mut indices = Vec::with_capacity(flat.nrows() * c.columns.len());
                for row in flat.rows() {
                    for &(n_classes, first) in &c.columns {
                        let segment = row.slice(ndarray::s![first..first + n_classes]);
                        indices.push(argmax(segment).unwrap_or(0));
                    }
                }
                labels(c, &indices, flat.nrows())
            }
        }
    }
}

impl PredictProba for TreeEnsemble {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if self.n_outputs > 1 {
            return Err(EstimatorError::MultiOutputProba {
                n_outputs: self.n_outputs,
            });
        }
        let mut all = self.probabilities(x)?;
        all.pop()
            .ok_or_else(|| EstimatorError::model("tree_ensemble", "no outputs"))
    }

    fn predict_proba_multi(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        self.probabilities(x)
    }
}

impl Estimator for TreeEnsemble {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn predicts_1d(&self) -> bool {
        self.n_outputs == 1
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (&self.kind, method) {
            (Kind::Regressor, Method::Predict) => Some(self.n_outputs),
            (Kind::Classifier(c), Method::PredictProba) => match c.columns.as_slice() {
                [(n_classes, _)] => Some(*n_classes),
                _ => None,
            },
            (Kind::Classifier(c), Method::Predict) => {
                let numeric = c.one_kind && c.classes.first().is_some_and(Classes::is_numeric);
                numeric.then_some(if self.n_outputs == 1 {
                    1
                } else {
                    self.n_outputs
                })
            }
            _ => None,
        }
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        match &self.kind {
            Kind::Classifier(c) if !c.one_kind => None,
            _ => Some(self),
        }
    }
    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.classes().map(|_| self as &dyn PredictProba)
    }
}

// ---------------------------------------------------------------------------- loading

/// Builds the runtime of a `TreeEnsemble` body, checking every rule of `spec/estimators.md`
/// ("TreeEnsemble") in one O(nodes) pass over the records, which it does not copy.
pub(crate) fn build<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static>(
    c: &Arc<Container<B>>,
    t: &model::TreeEnsemble,
    n_features: usize,
    path: &str,
) -> Result<TreeEnsemble> {
    build_trees(c, t, n_features, &format!("{path}.tree_ensemble"))
}

/// Builds the trees of a `Boosting` or `IsolationForest` body (`context` names the message,
/// e.g. `estimator.boosting.trees`): the TreeEnsemble rules, plus regression leaves with
/// one output and one value each.
pub(crate) fn build_raw_trees<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static>(
    c: &Arc<Container<B>>,
    t: &model::TreeEnsemble,
    n_features: usize,
    context: &str,
) -> Result<TreeEnsemble> {
    let bad = |f: &str, reason: &str| EstimatorError::model(format!("{context}.{f}"), reason);
    if t.leaf_values != LeafValues::Regression {
        return Err(bad("leaf_values", "must be LEAF_VALUES_REGRESSION"));
    }
    let trees = build_trees(c, t, n_features, context)?;
    if trees.n_outputs != 1 || trees.n_columns != 1 {
        return Err(bad(
            "values",
            &format!(
                "must have one output and one column, has {} and {}",
                trees.n_outputs, trees.n_columns
            ),
        ));
    }
    Ok(trees)
}

/// A u32/u64/f64 tensor's elements, copied (small tensors only).
fn read_vec<T: Element, B: Deref<Target = [u8]>>(c: &Container<B>, index: usize) -> Result<Vec<T>> {
    let view = c.tensor_by_index(index)?;
    Ok(view
        .bytes()
        .chunks_exact(size_of::<T>())
        .map(T::from_le)
        .collect())
}

/// Loads and checks the categorical tensors of `t` (all present or all absent).
fn build_categorical<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    t: &model::TreeEnsemble,
    n_features: usize,
    context: &str,
) -> Result<Option<Categorical>> {
    let bad = |f: &str, reason: String| EstimatorError::model(format!("{context}.{f}"), reason);
    let (sets_name, known_name, features_name) = match (
        &t.categories,
        &t.known_categories,
        &t.categorical_features,
    ) {
        (None, None, None) => {
            if t.category_values.is_some() || t.category_value_offsets.is_some() {
                return Err(bad(
                    "category_values",
                    "present without categorical splits".to_owned(),
                ));
            }
            return Ok(None);
        }
        (Some(a), Some(b), Some(f)) => (a, b, f),
        _ => {
            return Err(bad(
                    "categories",
                    "categories, known_categories and categorical_features are all present or all absent"
                        .to_owned(),
                ));
        }
    };
    let shape_of = |name: &str, f: &str, dtype: DType| -> Result<(usize, Vec<usize>)> {
        let index = index_of(c, name)?;
        let info = c
            .manifest()
            .tensors
            .get(index)
            .ok_or_else(|| bad(f, "not in the tensor table".to_owned()))?;
        let shape = typed_shape(&info.shape, info.dtype, dtype)
            .map_err(|why| bad(f, format!("tensor {name:?} {why}")))?;
        Ok((index, shape))
    };
    let sets_of = |index: usize| -> Result<Vec<CategorySet>> {
        let words: Vec<u32> = read_vec(c, index)?;
        Ok(words
            .chunks_exact(8)
            .map(|w| {
                let mut set = [0u32; 8];
                set.copy_from_slice(w);
                set
            })
            .collect())
    };
    let (sets_index, sets_shape) = shape_of(sets_name, "categories", DType::U32)?;
    let (known_index, known_shape) = shape_of(known_name, "known_categories", DType::U32)?;
    let (features_index, features_shape) =
        shape_of(features_name, "categorical_features", DType::U32)?;
    let m = match (
        sets_shape.as_slice(),
        known_shape.as_slice(),
        features_shape.as_slice(),
    ) {
        ([_, 8], [m, 8], [m2]) if m == m2 && *m >= 1 => *m,
        _ => {
            return Err(bad(
                "categories",
                format!(
                    "shapes {sets_shape:?}, {known_shape:?}, {features_shape:?}: expected [n_sets, 8], [n, 8], [n] with n >= 1"
                ),
            ));
        }
    };
    let features: Vec<u32> = read_vec(c, features_index)?;
    // Strictly increasing (so a binary search finds a feature's row) and below n_features_in.
    let mut previous = None;
    for (row, &f) in features.iter().enumerate() {
        if previous >= Some(f) || f as usize >= n_features {
            return Err(bad(
                "categorical_features",
                format!(
                    "entry {row} ({f}) must be below n_features_in {n_features} and above the previous entry"
                ),
            ));
        }
        previous = Some(f);
    }
    let values = match (&t.category_values, &t.category_value_offsets) {
        (None, None) => None,
        (Some(values_name), Some(offsets_name)) => {
            let (values_index, values_shape) =
                shape_of(values_name, "category_values", DType::F64)?;
            let (offsets_index, offsets_shape) =
                shape_of(offsets_name, "category_value_offsets", DType::U64)?;
            if values_shape.len() != 1 || offsets_shape != [m + 1] {
                return Err(bad(
                    "category_values",
                    format!(
                        "shapes {values_shape:?} and {offsets_shape:?}: expected [total] and [{}]",
                        m + 1
                    ),
                ));
            }
            let all: Vec<f64> = read_vec(c, values_index)?;
            let offsets: Vec<u64> = read_vec(c, offsets_index)?;
            let mut per_feature = Vec::with_capacity(m);
            for (row, w) in offsets.windows(2).enumerate() {
                let &[a, b] = w else { continue };
                let slice = usize::try_from(a)
                    .ok()
                    .zip(usize::try_from(b).ok())
                    .and_then(|(a, b)| all.get(a..b))
                    .filter(|s| !s.is_empty() && s.len() <= 256)
                    .filter(|s| s.iter().all(|v| !v.is_nan()))
                    .filter(|s| s.windows(2).all(|p| matches!(p, [x, y] if x < y)));
                match slice {
                    Some(s) if row > 0 || a == 0 => per_feature.push(s.to_vec()),
                    _ => {
                        return Err(bad(
                            "category_values",
                            format!(
                                "feature row {row}: values {a}..{b} must be 1 to 256 strictly increasing numbers inside the tensor, the first feature starting at 0"
                            ),
                        ));
                    }
                }
            }
            if offsets.last().copied() != Some(all.len() as u64) {
                return Err(bad(
                    "category_value_offsets",
                    format!("must end at the {} category values", all.len()),
                ));
            }
            Some(per_feature)
        }
        _ => {
            return Err(bad(
                "category_values",
                "category_values and category_value_offsets are both present or both absent"
                    .to_owned(),
            ));
        }
    };
    let known = sets_of(known_index)?;
    // With category values, a feature's codes are positions among its values: the known
    // codes are exactly 0 .. n_values (what scikit-learn >= 1.4's bin mapper, fitted on the
    // encoder's output, knows), so that a reader may take them from either.
    if let Some(per_feature) = &values {
        for (row, (set, v)) in known.iter().zip(per_feature).enumerate() {
            if *set != first_codes(v.len()) {
                return Err(bad(
                    "known_categories",
                    format!(
                        "row {row} must hold exactly the codes 0..{} of its {} category values",
                        v.len(),
                        v.len()
                    ),
                ));
            }
        }
    }
    Ok(Some(Categorical {
        sets: sets_of(sets_index)?,
        features,
        known,
        values,
    }))
}

/// The category set of codes `0 .. n` (`n <= 256`).
fn first_codes(n: usize) -> CategorySet {
    let mut set = [0u32; 8];
    for code in 0..n.min(256) {
        if let Some(word) = set.get_mut(code / 32) {
            *word |= 1 << (code % 32);
        }
    }
    set
}

/// Builds and checks one TreeEnsemble message; `context` names it in errors.
fn build_trees<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static>(
    c: &Arc<Container<B>>,
    t: &model::TreeEnsemble,
    n_features: usize,
    context: &str,
) -> Result<TreeEnsemble> {
    let field = |f: &str| format!("{context}.{f}");
    let bad = |f: &str, reason: String| EstimatorError::model(field(f), reason);

    // nodes: u8 [N, 16], N >= 1. Its checksum is verified here (first use) before the records
    // are trusted, so a damaged record is E_TENSOR_CHECKSUM rather than E_MODEL.
    let nodes_index = index_of(c, &t.nodes)?;
    let nodes_view = c.tensor_by_index(nodes_index)?;
    let nodes_shape = typed_shape(&nodes_view.info().shape, nodes_view.info().dtype, DType::U8)
        .map_err(|why| bad("nodes", format!("tensor {:?} {why}", t.nodes)))?;
    let n_nodes = match nodes_shape.as_slice() {
        [n, w] if *n >= 1 && *w == RECORD_BYTES => *n,
        _ => {
            return Err(bad(
                "nodes",
                format!(
                    "tensor {:?} has shape {nodes_shape:?}, expected [n_nodes >= 1, 16]",
                    t.nodes
                ),
            ));
        }
    };
    let mapped = cast_nodes(nodes_view.bytes());
    let owned: Vec<Node> = match mapped {
        Some(_) => Vec::new(),
        // The copying fallback: decode every record once.
        None => nodes_view
            .bytes()
            .chunks_exact(RECORD_BYTES)
            .filter_map(Node::from_le)
            .collect(),
    };
    let nodes: &[Node] = mapped.unwrap_or(&owned);

    // tree_offsets: u64 [T + 1], T >= 1, 0 first, strictly increasing, N last.
    let offsets_view = c.tensor_by_index(index_of(c, &t.tree_offsets)?)?;
    let offsets_shape = typed_shape(
        &offsets_view.info().shape,
        offsets_view.info().dtype,
        DType::U64,
    )
    .map_err(|why| bad("tree_offsets", format!("tensor {:?} {why}", t.tree_offsets)))?;
    if !matches!(offsets_shape.as_slice(), [k] if *k >= 2) {
        return Err(bad(
            "tree_offsets",
            format!(
                "tensor {:?} has shape {offsets_shape:?}, expected [n_trees + 1] with n_trees >= 1",
                t.tree_offsets
            ),
        ));
    }
    let offsets: Vec<u64> = match cast_slice::<u64>(offsets_view.bytes()) {
        Some(s) => s.to_vec(),
        None => offsets_view
            .bytes()
            .chunks_exact(8)
            .map(<u64 as Element>::from_le)
            .collect(),
    };
    if offsets.first() != Some(&0) {
        return Err(bad("tree_offsets", "must start at 0".to_owned()));
    }
    if let Some(w) = offsets
        .windows(2)
        .position(|w| matches!(w, [a, b] if a >= b))
    {
        return Err(bad(
            "tree_offsets",
            format!("must be strictly increasing; entry {} is not", w + 1),
        ));
    }
    if offsets.last() != Some(&(n_nodes as u64)) {
        return Err(bad(
            "tree_offsets",
            format!(
                "must end at n_nodes = {n_nodes}, ends at {:?}",
                offsets.last()
            ),
        ));
    }
    // Every offset is now <= n_nodes, which fits usize.
    let bounds: Vec<usize> = offsets.iter().map(|&o| o as usize).collect();

    // values: f64 [R, n_outputs, C], n_outputs >= 1, C >= 1. Only its table entry is read
    // here: its bytes (and, when deferred, its checksum) are first touched by a prediction.
    let values_index = index_of(c, &t.values)?;
    let values_info = c
        .manifest()
        .tensors
        .get(values_index)
        .ok_or_else(|| bad("values", "not in the tensor table".to_owned()))?;
    let values_shape = typed_shape(&values_info.shape, values_info.dtype, DType::F64)
        .map_err(|why| bad("values", format!("tensor {:?} {why}", t.values)))?;
    let (n_rows, n_outputs, n_columns) = match values_shape.as_slice() {
        [r, o, k] if *o >= 1 && *k >= 1 => (*r, *o, *k),
        _ => {
            return Err(bad(
                "values",
                format!(
                    "tensor {:?} has shape {values_shape:?}, expected [n_rows, n_outputs >= 1, n_columns >= 1]",
                    t.values
                ),
            ));
        }
    };
    if t.values_for_every_node && n_rows != n_nodes {
        return Err(bad(
            "values",
            format!("values_for_every_node is set, so it needs {n_nodes} rows, not {n_rows}"),
        ));
    }

    // leaf_values and classes.
    let kind = match t.leaf_values {
        LeafValues::Regression => {
            if !t.classes.is_empty() {
                return Err(bad("classes", "a regressor has no classes".to_owned()));
            }
            if n_columns != 1 {
                return Err(bad(
                    "values",
                    format!("a regressor's values have 1 column per output, not {n_columns}"),
                ));
            }
            Kind::Regressor
        }
        LeafValues::Fractions | LeafValues::Counts => {
            if t.classes.len() != n_outputs {
                return Err(bad(
                    "classes",
                    format!(
                        "a classifier needs one list of classes per output: {} for {n_outputs} outputs",
                        t.classes.len()
                    ),
                ));
            }
            let mut columns = Vec::with_capacity(n_outputs);
            let mut width = 0;
            for (o, labels) in t.classes.iter().enumerate() {
                let m = labels.len();
                if m == 0 || m > n_columns {
                    return Err(bad(
                        "classes",
                        format!(
                            "output {o} has {m} classes; it needs 1 to {n_columns} (values' columns)"
                        ),
                    ));
                }
                if let Some(label) = crate::registry::repeated_label(labels) {
                    return Err(bad(
                        "classes",
                        format!("output {o} lists class {label} twice"),
                    ));
                }
                columns.push((m, width));
                width += m;
            }
            let classes: Vec<Classes> = t.classes.iter().cloned().map(Classes::from).collect();
            let one_kind = classes.windows(2).all(|w| match w {
                [a, b] => std::mem::discriminant(a) == std::mem::discriminant(b),
                _ => true,
            });
            Kind::Classifier(ClassOutputs {
                counts: t.leaf_values == LeafValues::Counts,
                classes,
                columns,
                width,
                one_kind,
            })
        }
    };

    let categorical = build_categorical(c, t, n_features, context)?;
    let node_ids = provenance(c, t, n_nodes, &bounds, context)?;
    check_values(c, values_index, &kind, n_outputs, n_columns, context)?;

    // The records, tree by tree: O(n_nodes), no copy.
    let mut n_leaves = 0usize;
    for (tree, (start, end)) in trees(&bounds).enumerate() {
        let records = nodes.get(start..end).unwrap_or_default();
        for (i, node) in (start..).zip(records) {
            let at = || format!("tree {tree} (records {start}..{end}), record {i}");
            if node.feature == LEAF {
                if node.next as usize >= n_rows {
                    return Err(bad(
                        "nodes",
                        format!(
                            "{}: leaf points at row {} of values, which has {n_rows} rows",
                            at(),
                            node.next
                        ),
                    ));
                }
                // Rule 7: the row the layout prescribes, so that every reader finds a leaf's
                // value in the same place whether it follows `next` or the node order.
                let id = node_ids
                    .as_ref()
                    .map_or(Some(i - start), |ids| ids.get(i).map(|&id| id as usize));
                let want = if t.values_for_every_node {
                    id.map(|id| start + id)
                } else {
                    Some(n_leaves)
                };
                if want != Some(node.next as usize) {
                    return Err(bad(
                        "nodes",
                        format!(
                            "{}: leaf points at row {} of values; the layout prescribes row {} ({})",
                            at(),
                            node.next,
                            want.map_or_else(|| "?".to_owned(), |w| w.to_string()),
                            if t.values_for_every_node {
                                "its tree's first record plus its node id"
                            } else {
                                "the number of leaf records before it"
                            }
                        ),
                    ));
                }
                n_leaves += 1;
                continue;
            }
            let feature = (node.feature & FEATURE_MASK) as usize;
            if feature >= n_features {
                return Err(bad(
                    "nodes",
                    format!(
                        "{}: splits on feature {feature}, the model has {n_features}",
                        at()
                    ),
                ));
            }
            if node.feature & CATEGORICAL != 0 {
                let ok = categorical.as_ref().is_some_and(|cats| {
                    cats.row(feature).is_some()
                        && usize::try_from(node.threshold.to_bits())
                            .is_ok_and(|s| s < cats.sets.len())
                });
                if !ok {
                    return Err(bad(
                        "nodes",
                        format!(
                            "{}: a categorical split needs a categorical feature ({feature}) and a category set in range (set {})",
                            at(),
                            node.threshold.to_bits()
                        ),
                    ));
                }
            } else if categorical
                .as_ref()
                .is_some_and(|c| c.row(feature).is_some())
            {
                // Rule 11: a categorical feature is only split on categories (readers map
                // its values to codes for those splits alone).
                return Err(bad(
                    "nodes",
                    format!(
                        "{}: a numeric split on feature {feature}, which is categorical",
                        at()
                    ),
                ));
            }
            if i + 1 >= end {
                return Err(bad(
                    "nodes",
                    format!(
                        "{}: an internal node needs its left child (record {}) inside the tree",
                        at(),
                        i + 1
                    ),
                ));
            }
            let right = node.next as usize;
            if right <= i + 1 || right >= end {
                return Err(bad(
                    "nodes",
                    format!(
                        "{}: right child {right} must be after the left child {} and before {end}",
                        at(),
                        i + 1
                    ),
                ));
            }
        }
    }

    if !t.values_for_every_node && n_leaves != n_rows {
        return Err(bad(
            "values",
            format!("holds leaves only, so it needs one row per leaf: {n_leaves}, not {n_rows}"),
        ));
    }

    // Zero-copy for the values when the file's buffer is 8-byte aligned on a little-endian
    // machine (tensors sit at multiples of 64 from it); otherwise decode them now.
    let values_store = if cfg!(target_endian = "little")
        && (c.bytes().as_ptr() as usize) % align_of::<f64>() == 0
    {
        Store::Mapped(values_index)
    } else {
        let view = c.tensor_by_index(values_index)?;
        Store::Owned(
            view.bytes()
                .chunks_exact(8)
                .map(<f64 as Element>::from_le)
                .collect(),
        )
    };
    let nodes_store = match mapped {
        Some(_) => Store::Mapped(nodes_index),
        None => Store::Owned(owned),
    };

    let source: Arc<dyn TensorSource> = c.clone();
    Ok(TreeEnsemble {
        source,
        nodes: nodes_store,
        values: values_store,
        roots: bounds
            .split_last()
            .map(|(_, r)| r.to_vec())
            .unwrap_or_default(),
        n_features,
        f32_input: t.input == TreeInput::F32,
        n_outputs,
        n_columns,
        kind,
        categorical,
    })
}

/// Rule 8 of `spec/estimators.md` section 5.2: the provenance tensors' dtypes and shapes, and
/// `node_ids`, within each tree, a permutation of `0 .. tree size` that gives the tree's first
/// record (its root) id 0. Returns the ids.
fn provenance<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    t: &model::TreeEnsemble,
    n_nodes: usize,
    bounds: &[usize],
    context: &str,
) -> Result<Option<Vec<u32>>> {
    let bad = |f: &str, reason: String| EstimatorError::model(format!("{context}.{f}"), reason);
    for (name, f, dtype) in [
        (&t.impurity, "impurity", DType::F64),
        (&t.n_node_samples, "n_node_samples", DType::I64),
        (
            &t.weighted_n_node_samples,
            "weighted_n_node_samples",
            DType::F64,
        ),
        (&t.node_ids, "node_ids", DType::U32),
    ] {
        let Some(name) = name else { continue };
        let info = c
            .manifest()
            .tensors
            .get(index_of(c, name)?)
            .ok_or_else(|| bad(f, "not in the tensor table".to_owned()))?;
        let shape = typed_shape(&info.shape, info.dtype, dtype)
            .map_err(|why| bad(f, format!("tensor {name:?} {why}")))?;
        if shape != [n_nodes] {
            return Err(bad(
                f,
                format!("tensor {name:?} has shape {shape:?}, expected [{n_nodes}]"),
            ));
        }
    }
    let Some(name) = &t.node_ids else {
        return Ok(None);
    };
    let view = c.tensor_by_index(index_of(c, name)?)?;
    let ids: Vec<u32> = match cast_slice::<u32>(view.bytes()) {
        Some(s) => s.to_vec(),
        None => view
            .bytes()
            .chunks_exact(4)
            .map(<u32 as Element>::from_le)
            .collect(),
    };
    let mut seen = Vec::new();
    for (tree, (start, end)) in trees(bounds).enumerate() {
        if ids.get(start) != Some(&0) {
            return Err(bad(
                "node_ids",
                format!("tree {tree}: its first record (the root) must have id 0"),
            ));
        }
        seen.clear();
        seen.resize(end - start, false);
        for &id in ids.get(start..end).unwrap_or_default() {
            match seen.get_mut(id as usize) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(bad(
                        "node_ids",
                        format!(
                            "tree {tree}: ids must be a permutation of 0..{}; {id} is out of range or repeated",
                            end - start
                        ),
                    ));
                }
            }
        }
    }
    Ok(Some(ids))
}

/// Rule 12 of `spec/estimators.md` section 5.2: every element of `values` is finite; a
/// classifier's are `>= 0`, and its padding columns (`k >= n_classes_o` of output `o`) are 0.
/// One pass over the tensor, which verifies its checksum here if the reader deferred it.
fn check_values<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    values_index: usize,
    kind: &Kind,
    n_outputs: usize,
    n_columns: usize,
    context: &str,
) -> Result<()> {
    let view = c.tensor_by_index(values_index)?;
    let row_len = n_outputs.saturating_mul(n_columns).max(1);
    let classes: Option<&[(usize, usize)]> = match kind {
        Kind::Regressor => None,
        Kind::Classifier(cls) => Some(&cls.columns),
    };
    for (at, bytes) in view.bytes().chunks_exact(8).enumerate() {
        let v = <f64 as Element>::from_le(bytes);
        let (o, k) = ((at % row_len) / n_columns.max(1), at % n_columns.max(1));
        let why = match classes {
            _ if !v.is_finite() => "is not finite",
            Some(columns) => match columns.get(o) {
                Some(&(m, _)) if k >= m && v != 0.0 => {
                    "is padding (a column past its output's classes) and not 0"
                }
                _ if v < 0.0 => "is a negative class weight",
                _ => continue,
            },
            None => continue,
        };
        let (r, o, k) = (at / row_len, o, k);
        return Err(EstimatorError::model(
            format!("{context}.values"),
            format!("element [{r}, {o}, {k}] ({v}) {why}"),
        ));
    }
    Ok(())
}

/// `(first record, end)` of each tree, from the validated offsets.
fn trees(bounds: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    bounds.windows(2).filter_map(|w| match w {
        [start, end] => Some((*start, *end)),
        _ => None,
    })
}

fn index_of<B: Deref<Target = [u8]>>(c: &Container<B>, name: &str) -> Result<usize> {
    c.tensor_index(name).ok_or_else(|| {
        CodecError::TensorRef {
            context: "tree_ensemble".to_owned(),
            name: name.to_owned(),
        }
        .into()
    })
}

/// The shape as `usize`s, or why the dtype or a dimension does not fit.
fn typed_shape(shape: &[u64], found: DType, expected: DType) -> Result<Vec<usize>, String> {
    if found != expected {
        return Err(format!("has dtype {found}, expected {expected}"));
    }
    shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d} does not fit in usize")))
        .collect()
}

impl From<model::Labels> for Classes {
    fn from(l: model::Labels) -> Self {
        match l {
            model::Labels::Int(v) => Classes::Int(v),
            model::Labels::Float(v) => Classes::Float(v),
            model::Labels::Str(v) => Classes::Str(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use ndarray::{ShapeBuilder, array};

    /// An internal record: feature `f`, threshold `t`, right child `right`.
    fn split(f: u32, t: f64, right: u32, missing_left: bool) -> Node {
        Node {
            threshold: t,
            feature: f | if missing_left { MISSING_LEFT } else { 0 },
            next: right,
        }
    }

    fn leaf(row: u32) -> Node {
        Node {
            threshold: 0.0,
            feature: LEAF,
            next: row,
        }
    }

    #[derive(Debug)]
    struct NoSource;
    impl TensorSource for NoSource {
        fn tensor_bytes(&self, _: usize) -> amber_codec::Result<&[u8]> {
            Err(CodecError::model("test", "no tensors"))
        }
    }

    /// A runtime over owned arrays (the copying path; the mapped path is covered by the
    /// integration tests, which load real files).
    fn ensemble(
        nodes: Vec<Node>,
        roots: Vec<usize>,
        values: Vec<f64>,
        n_outputs: usize,
        n_columns: usize,
        kind: Kind,
    ) -> TreeEnsemble {
        TreeEnsemble {
            source: Arc::new(NoSource),
            nodes: Store::Owned(nodes),
            values: Store::Owned(values),
            roots,
            n_features: 2,
            f32_input: true,
            n_outputs,
            n_columns,
            kind,
            categorical: None,
        }
    }

    fn classifier(counts: bool, n_classes: &[usize], classes: Vec<Classes>) -> Kind {
        let mut columns = vec![];
        let mut width = 0;
        for &m in n_classes {
            columns.push((m, width));
            width += m;
        }
        Kind::Classifier(ClassOutputs {
            counts,
            classes,
            columns,
            width,
            one_kind: true,
        })
    }

    /// One stump on feature 0 at `t` (NaN goes `missing_left`): left leaf row 0, right row 1.
    fn stump_regressor(t: f64, missing_left: bool) -> TreeEnsemble {
        ensemble(
            vec![split(0, t, 2, missing_left), leaf(0), leaf(1)],
            vec![0],
            vec![-1.0, 1.0],
            1,
            1,
            Kind::Regressor,
        )
    }

    fn predict_f64(e: &TreeEnsemble, x: Array2<f64>) -> Vec<f64> {
        match e.predict(x.view()).unwrap() {
            Prediction::Float(a) => a.iter().copied().collect(),
            other => panic!("{other:?}"),
        }
    }

    /// A categorical stump on feature 0 (left set {1, 3}, known {0, 1, 2, 3}, missing goes
    /// `missing_left`): left leaf -1, right leaf 1. `values`: the category values of
    /// feature 0 (scikit-learn >= 1.4), or `None` for integer-part codes.
    fn categorical_stump(missing_left: bool, values: Option<Vec<f64>>) -> TreeEnsemble {
        let mut e = stump_regressor(0.0, missing_left);
        let mut node = split(0, 0.0, 2, missing_left);
        node.feature |= CATEGORICAL;
        node.threshold = f64::from_bits(0);
        e.nodes = Store::Owned(vec![node, leaf(0), leaf(1)]);
        e.f32_input = false;
        e.categorical = Some(Categorical {
            sets: vec![[0b1010, 0, 0, 0, 0, 0, 0, 0]],
            features: vec![0],
            known: vec![[0b1111, 0, 0, 0, 0, 0, 0, 0]],
            values: values.map(|v| vec![v]),
        });
        e
    }

    fn column(values: &[f64]) -> Array2<f64> {
        Array2::from_shape_fn(
            (values.len(), 2),
            |(r, c)| if c == 0 { values[r] } else { 0.0 },
        )
    }

    #[test]
    fn categorical_integer_codes_follow_the_uint8_cast() {
        // Measured with scikit-learn 1.3.2 on x86-64 (see spec/estimators.md): the code is
        // trunc(x) mod 256 below 2^31 and 0 from 2^31 up (and for infinity); negative
        // values and unknown codes go where missing values go.
        let e = categorical_stump(true, None);
        let x = column(&[
            1.0,
            1.9,
            3.0,
            0.0,
            -0.0,
            2.0,
            257.0,
            259.5,
            -0.5,
            f64::NAN,
            4.0,
            2_147_483_648.0 + 1.0,
            f64::INFINITY,
            2_147_483_648.0 - 256.0 + 3.0,
        ]);
        let expected = [
            -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0,
        ];
        assert_eq!(predict_f64(&e, x.clone()), expected);
        // Missing to the right: every missing-direction row flips, the others stay.
        let e = categorical_stump(false, None);
        let flipped = [
            -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0,
        ];
        assert_eq!(predict_f64(&e, x), flipped);
    }

    #[test]
    fn categorical_values_map_by_equality_and_unknowns_are_missing() {
        // Codes 0..4 are the values -2.5, 0, 7, 1000: left set {1, 3} = {0, 1000}.
        let e = categorical_stump(false, Some(vec![-2.5, 0.0, 7.0, 1000.0]));
        let x = column(&[0.0, -0.0, 1000.0, -2.5, 7.0, 7.5, 1.0, f64::NAN, 3.0]);
        let expected = [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(predict_f64(&e, x.clone()), expected);
        let e = categorical_stump(true, Some(vec![-2.5, 0.0, 7.0, 1000.0]));
        let expected = [-1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0];
        assert_eq!(predict_f64(&e, x), expected);
    }

    #[test]
    fn boosting_adds_scaled_leaves_to_columns_in_tree_order() {
        // Four stumps on feature 0 at 0.5; trees 0 and 2 feed column 0, 1 and 3 column 1.
        let nodes = (0..4u32)
            .flat_map(|t| {
                [
                    split(0, 0.5, 3 * t + 2, false),
                    leaf(2 * t),
                    leaf(2 * t + 1),
                ]
            })
            .collect();
        let values = vec![0.1, 0.2, 0.3, 0.7, 1e16, -1e16, 1.0, 3.0];
        let e = ensemble(
            nodes,
            vec![0, 3, 6, 9],
            values.clone(),
            1,
            1,
            Kind::Regressor,
        );
        let x = column(&[0.0, 1.0]);
        let mut raw = array![[1.0, -1.0], [2.0, -2.0]];
        e.add_scaled_leaves(x.view(), 0.1, &mut raw).unwrap();
        let scale = 0.1;
        let expected = [
            [
                1.0 + scale * values[0] + scale * values[4],
                -1.0 + scale * values[2] + scale * values[6],
            ],
            [
                2.0 + scale * values[1] + scale * values[5],
                -2.0 + scale * values[3] + scale * values[7],
            ],
        ];
        for (r, row) in expected.iter().enumerate() {
            for (k, &v) in row.iter().enumerate() {
                assert_eq!(raw[[r, k]].to_bits(), v.to_bits(), "row {r} column {k}");
            }
        }
        // Batches of every size, sequential or in parallel, give the same bits.
        let many = column(&(0..5000).map(|i| f64::from(i % 2)).collect::<Vec<_>>());
        let mut raw = Array2::from_elem((5000, 2), 0.5);
        e.add_scaled_leaves(many.view(), scale, &mut raw).unwrap();
        for (r, row) in raw.rows().into_iter().enumerate() {
            let mut one = Array2::from_elem((1, 2), 0.5);
            e.add_scaled_leaves(many.slice(ndarray::s![r..r + 1, ..]), scale, &mut one)
                .unwrap();
            assert_eq!(row, one.row(0));
        }
        let mut wrong = Array2::zeros((3, 2));
        assert!(e.add_scaled_leaves(x.view(), 1.0, &mut wrong).is_err());
    }

    #[test]
    fn nan_follows_the_missing_bit() {
        let x = array![[f64::NAN, 0.0]];
        assert_eq!(predict_f64(&stump_regressor(0.5, true), x.clone()), [-1.0]);
        assert_eq!(predict_f64(&stump_regressor(0.5, false), x), [1.0]);
    }

    #[test]
    fn value_at_the_threshold_goes_left() {
        let e = stump_regressor(0.5, false);
        assert_eq!(
            predict_f64(&e, array![[0.5, 0.0], [0.500_000_1, 0.0]]),
            [-1.0, 1.0]
        );
    }

    #[test]
    fn f64_just_above_an_f32_threshold_goes_left_after_the_cast() {
        // scikit-learn's thresholds are midpoints of float32 values; here the threshold is a
        // float32 value itself, and x the next float64 above it: as float64 it is greater,
        // but rounded to float32 it equals the threshold, so it goes left.
        let t = f64::from(0.1f32);
        let x = f64::from_bits(t.to_bits() + 1);
        assert!(x > t);
        assert_eq!(f64::from(x as f32), t);
        let mut e = stump_regressor(t, false);
        assert_eq!(predict_f64(&e, array![[x, 0.0]]), [-1.0]);
        // TREE_INPUT_F64 compares as is: it goes right.
        e.f32_input = false;
        assert_eq!(predict_f64(&e, array![[x, 0.0]]), [1.0]);
    }

    #[test]
    fn float32_trees_refuse_what_the_cast_makes_infinite_and_take_nan() {
        let e = stump_regressor(1e30, false);
        // scikit-learn's float32 cast, then `ensure_all_finite="allow-nan"`: infinities and
        // values beyond float32's range are E_INPUT at their row and column.
        for bad in [f64::INFINITY, f64::NEG_INFINITY, 1e39, -1e300] {
            match e.predict(array![[0.0, 0.0], [0.0, bad]].view()) {
                Err(EstimatorError::NotFinite {
                    row: 1, column: 1, ..
                }) => {}
                other => panic!("{bad}: {other:?}"),
            }
        }
        // float32's largest value is kept, and NaN follows the missing-values bit.
        let x = array![[f64::from(f32::MAX), 0.0], [f64::NAN, 0.0]];
        assert_eq!(predict_f64(&e, x), [1.0, 1.0]);
    }

    #[test]
    fn float64_trees_compare_infinities_as_ieee_says() {
        let mut e = stump_regressor(1e30, false);
        e.f32_input = false;
        // 1e300 is above 1e30: right. -inf: left.
        assert_eq!(
            predict_f64(&e, array![[1e300, 0.0], [f64::NEG_INFINITY, 0.0]]),
            [1.0, -1.0]
        );
    }

    /// Two stumps on feature 0 at 0.5, leaf rows per tree, 3 classes, one output.
    fn two_tree_classifier(counts: bool, values: Vec<f64>) -> TreeEnsemble {
        ensemble(
            vec![
                split(0, 0.5, 2, false),
                leaf(0),
                leaf(1),
                split(0, 0.5, 5, false),
                leaf(2),
                leaf(3),
            ],
            vec![0, 3],
            values,
            1,
            3,
            classifier(counts, &[3], vec![Classes::Int(vec![10, 20, 30])]),
        )
    }

    #[test]
    fn counts_are_normalised_per_tree_and_a_zero_row_is_kept_zero() {
        // Tree 0: left counts [1, 3, 0] (sum 4), right [0, 0, 0] (sum 0 -> divide by 1).
        // Tree 1: left [2, 2, 4], right [0, 5, 0].
        let e = two_tree_classifier(
            true,
            vec![1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 4.0, 0.0, 5.0, 0.0],
        );
        let p = e
            .predict_proba(array![[0.0, 0.0], [1.0, 0.0]].view())
            .unwrap();
        let left = [
            (0.0 + 1.0 / 4.0 + 2.0 / 8.0) / 2.0,
            (0.0 + 3.0 / 4.0 + 2.0 / 8.0) / 2.0,
            (0.0 + 0.0 / 4.0 + 4.0 / 8.0) / 2.0,
        ];
        let right = [0.0, (0.0 + 0.0 + 5.0 / 5.0) / 2.0, 0.0];
        assert_eq!(p.row(0).to_vec(), left);
        assert_eq!(p.row(1).to_vec(), right);
    }

    #[test]
    fn single_tree_counts_proba_is_the_normalised_row() {
        let e = ensemble(
            vec![split(0, 0.5, 2, false), leaf(0), leaf(1)],
            vec![0],
            vec![1.0, 2.0, 0.0, 0.0],
            1,
            2,
            classifier(true, &[2], vec![Classes::Int(vec![0, 1])]),
        );
        let p = e
            .predict_proba(array![[0.0, 0.0], [1.0, 0.0]].view())
            .unwrap();
        assert_eq!(p, array![[1.0 / 3.0, 2.0 / 3.0], [0.0, 0.0]]);
    }

    #[test]
    fn forest_tie_goes_to_the_lowest_class() {
        // Fractions: left leaves [0.5, 0.5, 0] and [0, 0.5, 0.5] average to [0.25, 0.5, 0.25];
        // right leaves [0.6, 0, 0.4] and [0.4, 0, 0.6] tie classes 10 and 30 at 0.5.
        let e = two_tree_classifier(
            false,
            vec![0.5, 0.5, 0.0, 0.6, 0.0, 0.4, 0.0, 0.5, 0.5, 0.4, 0.0, 0.6],
        );
        let got = e.predict(array![[0.0, 0.0], [1.0, 0.0]].view()).unwrap();
        assert_eq!(got, Prediction::Int(array![20, 10].into_dyn()));
    }

    #[test]
    fn forest_mean_is_a_sum_from_zero_divided_by_the_tree_count() {
        let e = ensemble(
            vec![leaf(0), leaf(1), leaf(2)],
            vec![0, 1, 2],
            vec![0.1, 0.2, 0.3],
            1,
            1,
            Kind::Regressor,
        );
        let want = ((0.0 + 0.1) + 0.2 + 0.3) / 3.0;
        assert_eq!(predict_f64(&e, array![[0.0, 0.0]]), [want]);
        assert_ne!(want, (0.1 + 0.2 + 0.3) * (1.0 / 3.0));
    }

    #[test]
    fn single_tree_predict_uses_the_raw_row() {
        // Counts [3, 1] at the leaf: the argmax of the raw row is class "a".
        let e = ensemble(
            vec![leaf(0)],
            vec![0],
            vec![3.0, 1.0],
            1,
            2,
            classifier(true, &[2], vec![Classes::Str(vec!["a".into(), "b".into()])]),
        );
        assert_eq!(
            e.predict(array![[0.0, 0.0]].view()).unwrap(),
            Prediction::Str(array!["a".to_owned()].into_dyn())
        );
    }

    #[test]
    fn single_tree_regressor_returns_the_value_as_is() {
        // A forest would add -0.0 to 0.0 and get 0.0; one tree keeps the sign.
        let e = ensemble(vec![leaf(0)], vec![0], vec![-0.0], 1, 1, Kind::Regressor);
        let got = predict_f64(&e, array![[0.0, 0.0]]);
        assert_eq!(got[0].to_bits(), (-0.0f64).to_bits());
    }

    /// Two outputs: output 0 has 2 classes, output 1 has 3 (C = 3, padded).
    fn multi_output() -> TreeEnsemble {
        ensemble(
            vec![split(1, 0.0, 2, false), leaf(0), leaf(1)],
            vec![0],
            vec![
                0.25, 0.75, 0.0, 0.2, 0.3, 0.5, // row 0: output 0, output 1
                1.0, 0.0, 0.0, 0.0, 1.0, 0.0, // row 1
            ],
            2,
            3,
            classifier(
                false,
                &[2, 3],
                vec![Classes::Int(vec![0, 1]), Classes::Int(vec![5, 6, 7])],
            ),
        )
    }

    #[test]
    fn multi_output_shapes() {
        let e = multi_output();
        let x = array![[0.0, -1.0], [0.0, 1.0], [0.0, 1.0]];
        let p = e.predict_proba_multi(x.view()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].shape(), [3, 2]);
        assert_eq!(p[1].shape(), [3, 3]);
        assert_eq!(p[0].row(0).to_vec(), [0.25, 0.75]);
        assert_eq!(p[1].row(0).to_vec(), [0.2, 0.3, 0.5]);
        assert_eq!(
            e.predict(x.view()).unwrap(),
            Prediction::Int(array![[1, 7], [0, 6], [0, 6]].into_dyn())
        );
        let err = e.predict_proba(x.view()).unwrap_err();
        assert_eq!(err.code(), "E_METHOD");
        assert!(err.to_string().contains("predict_proba_multi"), "{err}");
    }

    #[test]
    fn multi_output_regression_is_2d() {
        let e = ensemble(
            vec![leaf(0)],
            vec![0],
            vec![1.5, -2.5],
            2,
            1,
            Kind::Regressor,
        );
        let got = e.predict(array![[0.0, 0.0]].view()).unwrap();
        assert_eq!(got, Prediction::Float(array![[1.5, -2.5]].into_dyn()));
        let e: &dyn Estimator = &e;
        assert_eq!(e.methods(), vec![Method::Predict]);
    }

    #[test]
    fn mixed_label_kinds_have_no_predict() {
        let mut e = multi_output();
        if let Kind::Classifier(c) = &mut e.kind {
            c.classes[1] = Classes::Str(vec!["x".into(), "y".into(), "z".into()]);
            c.one_kind = false;
        }
        let e: &dyn Estimator = &e;
        assert_eq!(e.methods(), vec![Method::PredictProba]);
    }

    #[test]
    fn batches_in_parallel_equal_rows_one_by_one() {
        // 3 trees, enough rows to take the parallel path.
        let e = two_tree_classifier(
            true,
            vec![1.0, 3.0, 0.0, 0.0, 2.0, 7.0, 2.0, 2.0, 4.0, 0.0, 5.0, 1.0],
        );
        let n = 20_000;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| ((i * 7 + j) % 13) as f64 / 12.0);
        let batch = e.predict_proba(x.view()).unwrap();
        for i in (0..n).step_by(997) {
            let one = e.predict_proba(x.slice(ndarray::s![i..=i, ..])).unwrap();
            assert_eq!(one.row(0), batch.row(i));
        }
        // A Fortran-order input gives the same.
        let mut xf = Array2::zeros((n, 2).f());
        xf.assign(&x);
        assert!(xf.row(0).as_slice().is_none());
        assert_eq!(e.predict_proba(xf.view()).unwrap(), batch);
    }

    /// Every grouping of a batch — blocks of any size, with fewer rows than lanes or more,
    /// on one thread — against rows one by one: the same bits, for each kind of leaf.
    #[test]
    fn blocks_of_any_size_equal_rows_one_by_one() {
        let counts = two_tree_classifier(
            true,
            vec![1.0, 3.0, 0.0, 0.0, 2.0, 7.0, 2.0, 2.0, 4.0, 0.0, 5.0, 1.0],
        );
        let fractions = two_tree_classifier(
            false,
            vec![0.1, 0.7, 0.2, 0.3, 0.3, 0.4, 0.6, 0.2, 0.2, 0.05, 0.9, 0.05],
        );
        let regressor = ensemble(
            vec![
                split(0, 0.5, 2, false),
                leaf(0),
                leaf(1),
                split(1, 0.25, 7, true),
                split(0, 0.75, 6, false),
                leaf(2),
                leaf(3),
                leaf(4),
            ],
            vec![0, 3],
            vec![0.1, -0.2, 0.3, 1e-17, 7.0],
            1,
            1,
            Kind::Regressor,
        );
        let n = 300;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            if (i + j) % 17 == 0 {
                f64::NAN
            } else {
                ((i * 7 + j * 3) % 13) as f64 / 12.0
            }
        });
        for (e, what, width) in [
            (&counts, Leaf::Normalized, 3),
            (&fractions, Leaf::Raw, 3),
            (&regressor, Leaf::Value, 1),
        ] {
            let f = e.forest().unwrap();
            let mut one_by_one = vec![0.0; n * width];
            for (i, o) in one_by_one.chunks_exact_mut(width).enumerate() {
                assert!(e.fill_rows(&f, &x.view(), i, Mode::Mean(what), width, 1, o));
            }
            for block_rows in [2, 7, 8, 9, 64, 299, 300, 1000] {
                let mut out = vec![0.0; n * width];
                assert!(e.fill_rows(
                    &f,
                    &x.view(),
                    0,
                    Mode::Mean(what),
                    width,
                    block_rows,
                    &mut out
                ));
                let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&out),
                    bits(&one_by_one),
                    "{what:?}, blocks of {block_rows}"
                );
            }
        }
    }

    #[test]
    fn records_round_trip_through_bytes() {
        let n = split(3, 0.25, 9, true);
        let bytes = n.to_le();
        assert_eq!(Node::from_le(&bytes), Some(n));
        if let Some(view) = cast_nodes(&[0u8; 0]) {
            assert!(view.is_empty());
        }
    }

    #[test]
    fn wrong_width_is_e_input() {
        let e = stump_regressor(0.5, false);
        let err = e.predict(Array2::zeros((1, 3)).view());
        assert!(matches!(
            err,
            Err(EstimatorError::Input {
                expected: 2,
                found: 3
            })
        ));
    }
}
