//! `amber-bench-probe`: the probe of `probe.rs` with the system allocator, as a Rust program
//! that links the Amber library gets it unless it chooses another.

mod probe;

fn main() -> std::process::ExitCode {
    probe::main()
}
