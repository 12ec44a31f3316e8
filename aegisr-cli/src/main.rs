//! `aegisr-cli`: see the library for everything.

fn main() -> std::process::ExitCode {
    aegisr_cli::run()
}
