//! One named test per error variant, each triggered from a small hand-built byte string, plus
//! round-trip and layout properties of the writer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use amber_codec::model::{Body, Estimator, Labels, Linear, LinearLink, Param, Producer, Value};
use amber_codec::{
    ChecksumPolicy, CodecError, Container, DType, FileBytes, MAGIC, Reader, TensorData, encode,
};
use amber_schema::raw;
use prost::Message;

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn estimator(coef: &str, intercept: Option<&str>) -> Estimator {
    Estimator {
        producer_type: "sklearn.linear_model.LogisticRegression".into(),
        params: vec![Param {
            name: "C".into(),
            value: Value::Float(1.0),
        }],
        attributes: vec![],
        n_features_in: 3,
        feature_names_in: vec![],
        body: Body::Linear(Linear {
            coef: coef.into(),
            intercept: intercept.map(Into::into),
            link: LinearLink::Logistic,
            classes: Some(Labels::Int(vec![0, 1])),
        }),
    }
}

/// A valid file: two tensors, the second starting at offset 64 after padding.
fn valid() -> Vec<u8> {
    let coef = f64_bytes(&[1.0, -2.0, 0.5]);
    let intercept = f64_bytes(&[0.25]);
    encode(
        &[],
        &Producer {
            name: "test".into(),
            ..Producer::default()
        },
        &estimator("coef_", Some("intercept_")),
        &[
            TensorData {
                name: "coef_",
                dtype: DType::F64,
                shape: &[1, 3],
                bytes: &coef,
            },
            TensorData {
                name: "intercept_",
                dtype: DType::F64,
                shape: &[1],
                bytes: &intercept,
            },
        ],
    )
    .expect("a valid model encodes")
}

fn read(bytes: &[u8]) -> Result<Container<&[u8]>, CodecError> {
    Container::from_bytes(bytes)
}

fn code(bytes: &[u8]) -> &'static str {
    match read(bytes) {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Rewrites the header CRC so a header edit reaches the check after the checksum.
fn fix_header_crc(b: &mut [u8]) {
    let crc = crc32fast::hash(&b[..60]);
    b[60..64].copy_from_slice(&crc.to_le_bytes());
}

/// Replaces the manifest with `raw` (re-framing the whole file and fixing every checksum).
fn with_manifest(b: &[u8], edit: impl FnOnce(&mut raw::Manifest)) -> Vec<u8> {
    let len = u64_at(b, 16) as usize;
    let data_offset = u64_at(b, 24) as usize;
    let mut m = raw::Manifest::decode(&b[64..64 + len]).expect("valid manifest");
    edit(&mut m);
    frame(&m.encode_to_vec(), &b[data_offset..])
}

/// Frames manifest bytes and a data section into a file with correct header fields and CRCs.
fn frame(manifest: &[u8], data: &[u8]) -> Vec<u8> {
    let data_offset = (64 + manifest.len()).div_ceil(64) * 64;
    let mut out = vec![0u8; 64];
    out[..8].copy_from_slice(&MAGIC);
    out[8..10].copy_from_slice(&1u16.to_le_bytes());
    out[16..24].copy_from_slice(&(manifest.len() as u64).to_le_bytes());
    out[24..32].copy_from_slice(&(data_offset as u64).to_le_bytes());
    out[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
    out[40..48].copy_from_slice(&((data_offset + data.len()) as u64).to_le_bytes());
    out[48..52].copy_from_slice(&crc32fast::hash(manifest).to_le_bytes());
    fix_header_crc(&mut out);
    out.extend_from_slice(manifest);
    out.resize(data_offset, 0);
    out.extend_from_slice(data);
    out
}

#[test]
fn valid_file_opens_and_views_tensors() {
    let b = valid();
    let c = read(&b).expect("valid");
    assert_eq!(c.version(), (1, 0));
    let coef = c
        .tensor("coef_")
        .expect("coef")
        .array::<f64>()
        .expect("f64");
    assert_eq!(coef.shape(), &[1, 3]);
    assert_eq!(
        coef.iter().copied().collect::<Vec<_>>(),
        vec![1.0, -2.0, 0.5]
    );
    // The second tensor is 64-byte aligned in the file.
    let t = &c.manifest().tensors[1];
    assert_eq!(t.offset, 64);
}

#[test]
fn tensor_view_is_zero_copy_when_aligned() {
    let b = valid();
    let c = read(&b).expect("valid");
    let view = c.tensor("coef_").expect("coef");
    let array = view.array::<f64>().expect("f64");
    if (view.bytes().as_ptr() as usize) % 8 == 0 {
        assert!(
            array.is_view(),
            "aligned little-endian tensors must be borrowed"
        );
        assert_eq!(array.as_ptr().cast::<u8>(), view.bytes().as_ptr());
    }
}

#[test]
fn tensor_view_copies_when_misaligned() {
    // Shift the whole file by one byte in a buffer so the tensor is not 8-aligned.
    let b = valid();
    let mut shifted = vec![0u8; b.len() + 1];
    shifted[1..].copy_from_slice(&b);
    let slice = &shifted[1..];
    let c = read(slice).expect("valid");
    let view = c.tensor("coef_").expect("coef");
    let array = view.array::<f64>().expect("f64");
    assert_eq!(
        array.iter().copied().collect::<Vec<_>>(),
        vec![1.0, -2.0, 0.5]
    );
    if (view.bytes().as_ptr() as usize) % 8 != 0 {
        assert!(!array.is_view());
    }
}

#[test]
fn wrong_dtype_view_is_e_model() {
    let b = valid();
    let c = read(&b).expect("valid");
    let err = c.tensor("coef_").expect("coef").array::<i64>().unwrap_err();
    assert_eq!(err.code(), "E_MODEL");
}

#[test]
fn encoding_is_deterministic_and_reencode_is_identity() {
    let a = valid();
    assert_eq!(a, valid());
    let c = read(&a).expect("valid");
    assert_eq!(c.reencode().expect("reencode"), a);
}

#[test]
fn file_length_is_exact_and_padding_zero() {
    let b = valid();
    assert_eq!(u64_at(&b, 40) as usize, b.len());
    assert_eq!(u64_at(&b, 24) % 64, 0);
}

#[test]
fn every_single_byte_change_is_detected() {
    let b = valid();
    for i in 0..b.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut m = b.clone();
            m[i] ^= flip;
            assert_ne!(
                code(&m),
                "OK",
                "flipping byte {i} by {flip:#x} went unnoticed"
            );
        }
    }
}

#[test]
fn every_removed_or_added_byte_is_detected() {
    let b = valid();
    for i in 0..b.len() {
        let mut m = b.clone();
        m.remove(i);
        assert_ne!(code(&m), "OK", "removing byte {i} went unnoticed");
        let mut m = b.clone();
        m.insert(i, 0);
        assert_ne!(code(&m), "OK", "inserting a byte at {i} went unnoticed");
    }
}

#[test]
fn every_truncation_is_detected() {
    let b = valid();
    for n in 0..b.len() {
        assert_ne!(code(&b[..n]), "OK", "truncation to {n} went unnoticed");
    }
}

#[test]
fn test_magic() {
    assert_eq!(code(b"PK\x03\x04 this is a zip"), "E_MAGIC");
    assert_eq!(code(b"\x89AMC"), "E_MAGIC");
    let mut b = valid();
    b[0] = b'A';
    assert_eq!(code(&b), "E_MAGIC");
}

#[test]
fn test_text_mode_damage() {
    // LF -> CRLF conversion of the magic's final byte.
    let b = valid();
    let mut m = b[..7].to_vec();
    m.extend_from_slice(b"\r\n");
    m.extend_from_slice(&b[8..]);
    assert_eq!(code(&m), "E_MAGIC");
    // CRLF -> LF.
    let mut m = b[..4].to_vec();
    m.extend_from_slice(&b[5..]);
    assert_eq!(code(&m), "E_MAGIC");
}

#[test]
fn test_truncated() {
    assert_eq!(code(b""), "E_TRUNCATED");
    assert_eq!(code(&MAGIC[..5]), "E_TRUNCATED");
    let b = valid();
    assert_eq!(code(&b[..63]), "E_TRUNCATED");
    assert_eq!(code(&b[..b.len() - 1]), "E_TRUNCATED");
}

#[test]
fn test_trailing_bytes() {
    let mut b = valid();
    b.push(0);
    assert_eq!(code(&b), "E_TRAILING_BYTES");
}

#[test]
fn test_header_checksum() {
    let mut b = valid();
    b[20] ^= 1;
    assert_eq!(code(&b), "E_HEADER_CHECKSUM");
}

#[test]
fn test_version() {
    let mut b = valid();
    b[8..10].copy_from_slice(&2u16.to_le_bytes());
    fix_header_crc(&mut b);
    let err = read(&b).unwrap_err();
    assert_eq!(err.code(), "E_VERSION");
    // Any minor of major 1 is accepted.
    let mut b = valid();
    b[10..12].copy_from_slice(&7u16.to_le_bytes());
    fix_header_crc(&mut b);
    assert_eq!(read(&b).expect("minor 7").version(), (1, 7));
}

#[test]
fn test_header_flags_reserved_and_offsets() {
    let b = valid();
    for (at, value) in [(12usize, 1u8), (55, 1)] {
        let mut m = b.clone();
        m[at] = value;
        fix_header_crc(&mut m);
        assert_eq!(code(&m), "E_HEADER", "byte {at}");
    }
    let mut m = b.clone();
    let off = u64_at(&b, 24) + 64;
    m[24..32].copy_from_slice(&off.to_le_bytes());
    fix_header_crc(&mut m);
    assert_eq!(code(&m), "E_HEADER");
    let mut m = b.clone();
    m[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    fix_header_crc(&mut m);
    assert_eq!(code(&m), "E_HEADER", "overflowing data_length");
    let mut m = b;
    m[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    fix_header_crc(&mut m);
    assert_eq!(code(&m), "E_HEADER", "overflowing manifest_length");
}

#[test]
fn test_limit_manifest_size() {
    let b = valid();
    let len = u64_at(&b, 16);
    let err = Reader::builder()
        .max_manifest_bytes(len - 1)
        .build()
        .read(&b[..])
        .unwrap_err();
    assert_eq!(err.code(), "E_LIMIT");
}

#[test]
fn test_manifest_checksum() {
    let mut b = valid();
    b[70] ^= 0x10;
    assert_eq!(code(&b), "E_MANIFEST_CHECKSUM");
}

#[test]
fn test_padding_after_manifest() {
    let mut b = valid();
    let manifest_end = 64 + u64_at(&b, 16) as usize;
    let data_offset = u64_at(&b, 24) as usize;
    assert!(
        manifest_end < data_offset,
        "this fixture has manifest padding"
    );
    b[data_offset - 1] = 1;
    let err = read(&b).unwrap_err();
    assert_eq!(err.code(), "E_PADDING");
}

#[test]
fn test_padding_between_tensors() {
    let mut b = valid();
    let data_offset = u64_at(&b, 24) as usize;
    b[data_offset + 30] = 7; // coef_ is 24 bytes, the next tensor starts at 64
    assert!(matches!(
        read(&b).unwrap_err(),
        CodecError::Padding { offset, value: 7 } if offset as usize == data_offset + 30
    ));
}

#[test]
fn test_manifest_decode() {
    let b = valid();
    let data_offset = u64_at(&b, 24) as usize;
    let m = frame(&[0xff, 0xff, 0xff], &b[data_offset..]);
    assert_eq!(code(&m), "E_MANIFEST_DECODE");
}

#[test]
fn test_feature() {
    let b = with_manifest(&valid(), |m| {
        m.required_features.push("x-unknown".into());
    });
    let err = read(&b).unwrap_err();
    assert_eq!(err.code(), "E_FEATURE");
    assert!(err.to_string().contains("x-unknown"));
}

#[test]
fn test_tensor_name_empty_and_duplicate() {
    let b = with_manifest(&valid(), |m| m.tensors[0].name.clear());
    assert_eq!(code(&b), "E_TENSOR_NAME");
    let b = with_manifest(&valid(), |m| m.tensors[1].name = "coef_".into());
    assert_eq!(code(&b), "E_TENSOR_NAME");
}

#[test]
fn test_dtype() {
    let b = with_manifest(&valid(), |m| m.tensors[0].dtype = 99);
    assert_eq!(code(&b), "E_DTYPE");
    let b = with_manifest(&valid(), |m| m.tensors[0].dtype = 0);
    assert_eq!(code(&b), "E_DTYPE");
}

#[test]
fn test_limit_rank() {
    let b = with_manifest(&valid(), |m| m.tensors[0].shape = vec![1; 9]);
    assert_eq!(code(&b), "E_LIMIT");
}

#[test]
fn test_shape() {
    let b = with_manifest(&valid(), |m| m.tensors[0].shape = vec![1, 4]);
    assert_eq!(code(&b), "E_SHAPE");
    let b = with_manifest(&valid(), |m| m.tensors[0].shape = vec![u64::MAX, 4]);
    assert_eq!(code(&b), "E_SHAPE");
}

#[test]
fn test_tensor_layout() {
    let b = with_manifest(&valid(), |m| m.tensors[1].offset = 32);
    assert_eq!(code(&b), "E_TENSOR_LAYOUT");
    let b = with_manifest(&valid(), |m| m.tensors[0].offset = 64);
    assert_eq!(code(&b), "E_TENSOR_LAYOUT");
    // Dropping the last entry leaves data the table does not account for.
    let b = with_manifest(&valid(), |m| {
        m.tensors.pop();
    });
    assert_eq!(code(&b), "E_TENSOR_LAYOUT");
}

#[test]
fn test_tensor_checksum() {
    let mut b = valid();
    let data_offset = u64_at(&b, 24) as usize;
    b[data_offset + 3] ^= 0x20;
    assert_eq!(code(&b), "E_TENSOR_CHECKSUM");
}

#[test]
fn deferred_checksums_report_on_first_use() {
    let mut b = valid();
    let data_offset = u64_at(&b, 24) as usize;
    b[data_offset + 3] ^= 0x20;
    let reader = Reader::builder()
        .checksums(ChecksumPolicy::Deferred)
        .build();
    let c = reader.read(&b[..]).expect("opens with deferred checksums");
    assert_eq!(
        c.tensor("intercept_").map(|_| ()).map_err(|e| e.code()),
        Ok(())
    );
    assert_eq!(c.tensor("coef_").unwrap_err().code(), "E_TENSOR_CHECKSUM");
    assert_eq!(
        c.verify_checksums().unwrap_err().code(),
        "E_TENSOR_CHECKSUM"
    );
}

#[test]
fn test_tensor_ref() {
    let b = with_manifest(&valid(), |m| {
        if let Some(raw::estimator::Body::Linear(l)) =
            m.estimator.as_mut().and_then(|e| e.body.as_mut())
        {
            l.coef = "nope".into();
        }
    });
    assert_eq!(code(&b), "E_TENSOR_REF");
}

#[test]
fn test_unknown_estimator() {
    let b = with_manifest(&valid(), |m| {
        if let Some(e) = m.estimator.as_mut() {
            e.body = None;
        }
    });
    assert_eq!(code(&b), "E_UNKNOWN_ESTIMATOR");
}

#[test]
fn test_model_missing_estimator_and_bad_link() {
    let b = with_manifest(&valid(), |m| m.estimator = None);
    assert_eq!(code(&b), "E_MODEL");
    let b = with_manifest(&valid(), |m| {
        if let Some(raw::estimator::Body::Linear(l)) =
            m.estimator.as_mut().and_then(|e| e.body.as_mut())
        {
            l.link = 42;
        }
    });
    assert_eq!(code(&b), "E_MODEL");
}

#[test]
fn test_limit_value_depth() {
    let mut v = raw::Value {
        kind: Some(raw::value::Kind::IntValue(1)),
    };
    for _ in 0..40 {
        v = raw::Value {
            kind: Some(raw::value::Kind::ListValue(raw::ValueList {
                items: vec![v],
                is_tuple: false,
            })),
        };
    }
    let b = with_manifest(&valid(), |m| {
        if let Some(e) = m.estimator.as_mut() {
            e.params = vec![raw::Param {
                name: "deep".into(),
                value: Some(v),
            }];
        }
    });
    assert_eq!(code(&b), "E_LIMIT");
}

#[test]
fn test_io() {
    let err = Container::open("/nonexistent/model.amber").unwrap_err();
    assert_eq!(err.code(), "E_IO");
}

#[test]
fn open_maps_large_files_and_reads_small_ones() {
    let dir = std::env::temp_dir().join(format!("amber-codec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A tensor of 128 KiB pushes the file over the mmap threshold.
    let coef: Vec<f64> = (0..16_384).map(f64::from).collect();
    let bytes = f64_bytes(&coef);
    let est = estimator("coef_", None);
    let file = encode(
        &[],
        &Producer::default(),
        &est,
        &[TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[1, 16_384],
            bytes: &bytes,
        }],
    )
    .expect("encode");
    for (name, data) in [("big.amber", &file), ("small.amber", &valid())] {
        let path = dir.join(name);
        std::fs::write(&path, data).expect("write");
        let c = Container::open(&path).expect("open");
        assert_eq!(c.bytes(), &data[..]);
    }
    let c = Container::open(dir.join("big.amber")).expect("open");
    assert!(matches!(c.source(), FileBytes::Mapped(_)));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn writer_rejects_mismatched_bytes() {
    let err = encode(
        &[],
        &Producer::default(),
        &estimator("coef_", None),
        &[TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[1, 3],
            bytes: &[0u8; 23],
        }],
    )
    .unwrap_err();
    assert_eq!(err.code(), "E_SHAPE");
}

/// `spec/format.md` §4: a `double` field without presence holding `-0.0` is a default value
/// and is omitted, as `+0.0` is; a `Value`'s `float_value` (a oneof member, so present)
/// keeps its `-0.0`. The expected manifest is written out by hand from the wire format;
/// `python/tests/test_reader.py::test_negative_zero_is_omitted_as_the_rust_writer_does`
/// checks the Python writer against the same bytes.
#[test]
fn negative_zero_in_a_field_without_presence_is_omitted() {
    let est = Estimator {
        producer_type: "x".into(),
        params: vec![Param {
            name: "t".into(),
            value: Value::Float(-0.0),
        }],
        attributes: vec![],
        n_features_in: 0,
        feature_names_in: vec![],
        body: Body::Binarizer(amber_codec::model::Binarizer { threshold: -0.0 }),
    };
    let file = encode(&[], &Producer::default(), &est, &[]).unwrap();
    let manifest: &[u8] = &[
        0x12, 0x00, // producer: an empty message
        0x22, 0x16, // estimator, 22 bytes
        0x0a, 0x01, b'x', // producer_type "x"
        0x12, 0x0e, 0x0a, 0x01, b't', // params[0]: name "t"
        0x12, 0x09, 0x21, 0, 0, 0, 0, 0, 0, 0, 0x80, // value: float_value -0.0
        0xba, 0x01, 0x00, // binarizer (field 23): threshold -0.0 omitted
    ];
    assert_eq!(u64_at(&file, 16), manifest.len() as u64);
    assert_eq!(&file[64..64 + manifest.len()], manifest);
}
