//! Amber's manifest types, generated from `proto/amber/v1/amber.proto` at build time.
//!
//! Nothing here is written by hand but the few type definitions of [`wire`]: `build.rs`
//! compiles the schema with protox and prost-build. These raw types are for the codec's use;
//! other crates see validated domain types built from them with `TryFrom`.

#![deny(missing_docs)]

/// The generated `amber.v1` protobuf types. Never edit: change `proto/` instead.
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::restriction)]
pub mod raw {
    include!(concat!(env!("OUT_DIR"), "/amber.v1.rs"));
}

/// The schema as tables of fields, for a reader that walks the wire format itself
/// (`spec/format.md` §3, check 10). The tables are generated from `proto/` by `build.rs`.
pub mod wire {
    /// Position of a message in [`MESSAGES`].
    pub type MessageId = usize;

    /// A field's type, as far as the wire format is concerned.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum FieldKind {
        /// `int32`: a varint holding a sign-extended 32-bit value.
        Int32,
        /// `int64`: a varint.
        Int64,
        /// `uint32`: a varint below 2^32.
        Uint32,
        /// `uint64`: a varint.
        Uint64,
        /// `bool`: a varint, 0 or 1.
        Bool,
        /// An enum: like `int32`.
        Enum,
        /// `double`: 8 bytes.
        Double,
        /// `fixed32`: 4 bytes.
        Fixed32,
        /// `string`: length-delimited UTF-8.
        String,
        /// A message: length-delimited, of the given type.
        Message(MessageId),
    }

    /// One field of a message.
    #[derive(Clone, Copy, Debug)]
    pub struct FieldSpec {
        /// The field number.
        pub number: u32,
        /// The field name (for error messages).
        pub name: &'static str,
        /// Its type.
        pub kind: FieldKind,
        /// `repeated`.
        pub repeated: bool,
        /// The index of its oneof in the message, if it is a member of one.
        pub oneof: Option<u32>,
    }

    /// One message: its name and its fields, sorted by number.
    #[derive(Clone, Copy, Debug)]
    pub struct MessageSpec {
        /// The message name, without the package.
        pub name: &'static str,
        /// The fields, sorted by number.
        pub fields: &'static [FieldSpec],
    }

    impl MessageSpec {
        /// The field numbered `number`, if the schema has one.
        #[must_use]
        pub fn field(&self, number: u32) -> Option<&'static FieldSpec> {
            self.fields
                .binary_search_by_key(&number, |f| f.number)
                .ok()
                .and_then(|i| self.fields.get(i))
        }
    }

    include!(concat!(env!("OUT_DIR"), "/wire_schema.rs"));
}
