//! Codec throughput next to the machine's own limits, measured in the same run.
//!
//! For each model size, one criterion group measures, over the same number of bytes (the
//! file's length):
//!
//! - `encode`: `amber_codec::encode` from in-memory tensors to a fresh `Vec<u8>` (one CRC-32
//!   pass and one copy into newly allocated memory);
//! - `decode`: `Container::from_bytes` on bytes in memory, every checksum verified (one CRC-32
//!   pass plus the manifest);
//! - `decode_deferred`: the same with `ChecksumPolicy::Deferred` (manifest only: O(manifest),
//!   so its "throughput" is only the file size divided by a constant);
//! - `open_verify`: `Container::open` on a page-cached file (mmap above 64 KiB, then every
//!   checksum);
//! - the references: `ref_memcpy` (copy into a buffer that already exists), `ref_alloc_copy`
//!   (`to_vec`: allocate and copy, the least any encoder returning a `Vec` must do),
//!   `ref_crc32` (`crc32fast::hash` over bytes in memory) and `ref_mmap_crc32` (map the file and
//!   hash it: the least any verifying open must do).
//!
//! After criterion's own report, the bench prints each codec figure as a percentage of
//! memcpy, of CRC-32 and of its own limit (encode: alloc_copy + crc32; decode: crc32;
//! open_verify: mmap_crc32), from the estimates criterion saved in this run.
//!
//! Run: `cargo bench --bench codec` (about two minutes), or `cargo bench --bench codec --
//! --quick` for a rough figure in a fraction of that.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use amber_codec::{ChecksumPolicy, Container, Reader, TensorData, encode};
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};

/// One model size: its name (the criterion group is `codec-<name>`) and its file bytes.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    /// Criterion settings: bigger inputs get fewer samples so the run stays short.
    sample_size: usize,
    measurement: Duration,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            // The shape of the `linear` bench model: scaler + 10-class logistic, 100 features.
            name: "linear-10KiB",
            bytes: common::scaler_logistic_pipeline(100, 10, 1),
            sample_size: 50,
            measurement: Duration::from_secs(2),
        },
        Case {
            name: "1MiB",
            bytes: common::linear_regression(128, 1024, 2),
            sample_size: 30,
            measurement: Duration::from_secs(2),
        },
        Case {
            name: "256MiB",
            bytes: common::linear_regression(4096, 8192, 3),
            sample_size: 10,
            measurement: Duration::from_secs(4),
        },
    ]
}

fn bench_case(c: &mut Criterion, case: &Case, dir: &Path) {
    let path = dir.join(format!("codec-{}.amber", case.name));
    std::fs::write(&path, &case.bytes).expect("write the bench file");
    let len = case.bytes.len();
    let container = Container::from_bytes(&case.bytes[..]).expect("the synthetic model is valid");
    let manifest = container.manifest();
    let tensors: Vec<TensorData<'_>> = manifest
        .tensors
        .iter()
        .map(|info| TensorData {
            name: &info.name,
            dtype: info.dtype,
            shape: &info.shape,
            bytes: container.tensor(&info.name).expect("tensor").bytes(),
        })
        .collect();
    let deferred = Reader::builder()
        .checksums(ChecksumPolicy::Deferred)
        .build();

    let mut g: BenchmarkGroup<'_, WallTime> = c.benchmark_group(format!("codec-{}", case.name));
    g.throughput(Throughput::Bytes(len as u64))
        .sample_size(case.sample_size)
        .measurement_time(case.measurement)
        .warm_up_time(Duration::from_millis(500));

    g.bench_function("encode", |b| {
        b.iter(|| {
            encode(
                &manifest.required_features,
                &manifest.producer,
                &manifest.estimator,
                black_box(&tensors),
            )
            .unwrap()
        });
    });
    g.bench_function("decode", |b| {
        b.iter(|| Container::from_bytes(black_box(&case.bytes[..])).unwrap());
    });
    g.bench_function("decode_deferred", |b| {
        b.iter(|| deferred.read(black_box(&case.bytes[..])).unwrap());
    });
    g.bench_function("open_verify", |b| {
        b.iter(|| Container::open(black_box(&path)).unwrap());
    });

    let mut dst = vec![0u8; len];
    g.bench_function("ref_memcpy", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&case.bytes)));
    });
    g.bench_function("ref_alloc_copy", |b| {
        b.iter(|| black_box(&case.bytes).to_vec());
    });
    g.bench_function("ref_crc32", |b| {
        b.iter(|| crc32fast::hash(black_box(&case.bytes)));
    });
    g.bench_function("ref_mmap_crc32", |b| {
        b.iter(|| {
            let file = std::fs::File::open(black_box(&path)).unwrap();
            // SAFETY: the bench owns this file and does not change it while it is mapped.
            let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
            crc32fast::hash(&map)
        });
    });
    g.finish();
}

/// Where criterion writes its estimates: the same rule criterion applies.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("criterion")
}

/// Criterion's typical time per iteration in nanoseconds (the slope when it fitted one, the
/// mean otherwise), if this run measured it.
fn estimate_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let file = criterion_dir()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let fresh = std::fs::metadata(&file).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let pick = |key: &str| json.get(key)?.get("point_estimate")?.as_f64();
    pick("slope").or_else(|| pick("mean"))
}

fn print_summary(cases: &[Case], since: SystemTime) {
    println!();
    println!("codec throughput as a share of this machine's limits (measured in this run)");
    println!(
        "{:<14} {:<16} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "size", "operation", "GB/s", "memcpy", "crc32", "% memcpy", "% crc32", "% limit"
    );
    for case in cases {
        let group = format!("codec-{}", case.name);
        let bytes = case.bytes.len() as f64;
        let gbps = |ns: f64| bytes / ns; // bytes per ns = GB/s
        let t = |f: &str| estimate_ns(&group, f, since);
        let (Some(memcpy), Some(crc)) = (t("ref_memcpy"), t("ref_crc32")) else {
            continue;
        };
        let limits = [
            ("encode", t("ref_alloc_copy").map(|a| a + crc)),
            ("decode", Some(crc)),
            ("decode_deferred", Some(crc)),
            ("open_verify", t("ref_mmap_crc32")),
        ];
        for (op, limit) in limits {
            let Some(ns) = t(op) else { continue };
            let pct = |reference: f64| 100.0 * reference / ns;
            println!(
                "{:<14} {:<16} {:>9.2} {:>9.2} {:>9.2} {:>9.0}% {:>8.0}% {:>9}",
                case.name,
                op,
                gbps(ns),
                gbps(memcpy),
                gbps(crc),
                pct(memcpy),
                pct(crc),
                limit.map_or_else(|| "-".to_owned(), |l| format!("{:.0}%", pct(l))),
            );
        }
    }
    println!(
        "(% X = op throughput / X throughput on the same bytes. limit: encode = alloc_copy + \
         crc32 time, decode = crc32, open_verify = mmap + crc32; decode_deferred skips the \
         CRC, so it can exceed 100%.)"
    );
}

fn main() {
    let since = SystemTime::now() - Duration::from_secs(1);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).expect("create the bench temp dir");
    let mut c = Criterion::default().configure_from_args();
    let cases = cases();
    for case in &cases {
        bench_case(&mut c, case, &dir);
    }
    c.final_summary();
    print_summary(&cases, since);
}
