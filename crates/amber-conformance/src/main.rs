//! `amber-conformance`: runs the conformance corpus against an Amber implementation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use amber_conformance::{Corpus, InProcess, Process, Testee, run};
use clap::Parser;

/// Run the Amber conformance corpus (tests/vectors) against an implementation.
///
/// For every valid case, each listed method's output is compared with the expected output
/// (exactly, or within the case's rtol/atol) and the model is re-encoded, which must give
/// the original bytes; every invalid file must be rejected with exactly its stated error
/// code. One line per check:
///
///   PASS <case> <method> (max abs diff X)      FAIL <case> <method>: <reason>
///   PASS <case> reencode                        FAIL <case> reencode: <reason>
///   PASS invalid/<name> <CODE>                  FAIL invalid/<name>: expected E_X, got E_Y|ok
///
/// then `N passed, N failed`. Exit status: 0 when nothing failed, 1 when a check failed,
/// 2 when the corpus or the testee could not be used at all.
#[derive(Debug, Parser)]
#[command(name = "amber-conformance", version, verbatim_doc_comment)]
struct Args {
    /// The corpus directory (holding valid/ and invalid/).
    #[arg(long, value_name = "DIR", default_value_os_t = amber_conformance::default_vectors_dir())]
    vectors: PathBuf,

    /// Test another implementation: a command speaking the testee protocol on stdin/stdout
    /// (see the amber-conformance README), split on whitespace, e.g.
    /// "/path/to/python -m amber.testee" or "amber testee". Without it, the Rust
    /// implementation is tested in-process.
    #[arg(long, value_name = "COMMAND")]
    testee: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let corpus = match Corpus::load(&args.vectors) {
        Ok(corpus) => corpus,
        Err(e) => {
            eprintln!("error: corpus: {e}");
            return ExitCode::from(2);
        }
    };
    let mut testee: Box<dyn Testee> = match &args.testee {
        None => Box::new(InProcess),
        Some(command) => match Process::spawn(command) {
            Ok(p) => Box::new(p),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let stdout = std::io::stdout();
    let summary = run(&corpus, testee.as_mut(), &mut |outcome| {
        let _ = writeln!(stdout.lock(), "{outcome}");
    });
    drop(testee);
    println!("{summary}");
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
