//! `amber-bench-probe-mimalloc`: the probe of `probe.rs` with mimalloc as the global
//! allocator, the one the `amber` CLI links. The table path allocates its intermediate
//! matrices afresh for every batch; glibc's malloc returns such large blocks to the system
//! and faults them in again on the next batch, mimalloc keeps them. The two probes side by
//! side show what that costs a program that keeps the system allocator.

#[path = "probe.rs"]
mod probe;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    probe::main()
}
