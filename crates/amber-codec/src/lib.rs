//! The Amber container: framing, checksums, limits, zero-copy tensor views and a canonical
//! writer, as `spec/format.md` specifies them.
//!
//! Data flows one way: bytes → [`Reader`] (checks 1–15 of the spec, each failure a typed
//! [`CodecError`] with a stable code) → a [`Container`] holding the validated [`Manifest`]
//! and giving [`TensorView`]s of its tensors, zero-copy where aligned. Nothing here knows how
//! to predict: that is `amber-estimators`' job.
//!
//! ```no_run
//! let container = amber_codec::Container::open("model.amber")?;
//! println!("{:?}", container.manifest().producer);
//! # Ok::<(), amber_codec::CodecError>(())
//! ```

#![deny(missing_docs)]

mod container;
mod error;
mod header;
pub mod limits;
pub mod model;
mod tensor;
mod wire;
mod writer;

pub use container::{
    ChecksumPolicy, Container, FileBytes, KNOWN_FEATURES, Manifest, Reader, ReaderBuilder,
};
pub use error::{CodecError, Result};
pub use header::{FORMAT_MAJOR, FORMAT_MINOR, MAGIC};
pub use tensor::{DType, Element, TensorView, cast_slice};
pub use writer::{TensorData, encode, encode_with_input};
