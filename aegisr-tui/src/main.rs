//! `aegisr-tui HOST:PORT...`: see `aegisr_tui::cli::Args`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = aegisr_tui::cli::Args::parse();
    match aegisr_tui::run::run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aegisr-tui: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
