//! The `meshgate` command: parse arguments, run, map the result to an exit code.
use std::process::ExitCode;

use clap::Parser;

// The global allocator is mimalloc, installed by regorus (its `allocator-memory-limits`
// feature: a mimalloc that counts live bytes, for `policy-memory-mb`). Evaluation allocates and
// frees many small values per product, across threads; with glibc malloc a quarter of a
// check's samples were in malloc/free (perf, 10k products).

fn main() -> ExitCode {
    let cli = match meshgate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Usage errors exit 2; --help and --version exit 0.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    ExitCode::from(meshgate::cli::run(cli))
}
