//! Amber's manifest types, generated from `proto/amber/v1/amber.proto` at build time.
//!
//! Nothing here is written by hand: `build.rs` compiles the schema with protox and
//! prost-build. These raw types are for the codec's use; other crates see validated domain
//! types built from them with `TryFrom`.

#![deny(missing_docs)]

/// The generated `amber.v1` protobuf types. Never edit: change `proto/` instead.
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::restriction)]
pub mod raw {
    include!(concat!(env!("OUT_DIR"), "/amber.v1.rs"));
}
