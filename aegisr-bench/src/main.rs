//! The `aegisr-bench` binary; everything lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    aegisr_bench::main_entry()
}
