//! Workspace chores.
//!
//! `cargo run -p xtask -- gen-docs` writes the man pages (`man/`) and the shell
//! completions (`completions/`) of `aegisr-cli` and `aegisr-server` from their clap
//! definitions; `cargo run -p xtask -- gen-docs --check` only reports stale files. A
//! test below fails when the committed files are stale.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::CommandFactory;
use clap_complete::Shell;

/// Every generated file: its path from the workspace root and its contents.
fn generate() -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for command in [
        aegisr_cli::command(),
        aegisr_server::config::Cli::command(),
        aegisr_bench::cli::Args::command(),
        aegisr_tui::cli::Args::command(),
    ] {
        files.extend(man_pages(command.clone())?);
        files.extend(completions(command));
    }
    Ok(files)
}

/// `man/NAME.1`, plus `man/NAME-SUB.1` for each subcommand.
fn man_pages(mut command: clap::Command) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    // Propagates global options into the subcommands.
    command.build();
    let name = command.get_name().to_owned();
    let mut pages = vec![(PathBuf::from(format!("man/{name}.1")), render_man(command.clone())?)];
    for sub in command.get_subcommands() {
        let full = format!("{name}-{}", sub.get_name());
        // The workspace shares one version, so this crate's is theirs.
        let sub = sub
            .clone()
            .display_name(full.clone())
            .bin_name(format!("{name} {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((PathBuf::from(format!("man/{full}.1")), render_man(sub)?));
    }
    Ok(pages)
}

fn render_man(command: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out).context("rendering a man page")?;
    Ok(out)
}

/// Completions for bash, zsh and fish, named as each shell looks for them.
fn completions(mut command: clap::Command) -> Vec<(PathBuf, Vec<u8>)> {
    let name = command.get_name().to_owned();
    [(Shell::Bash, format!("{name}.bash")), (Shell::Zsh, format!("_{name}")), (Shell::Fish, format!("{name}.fish"))]
        .into_iter()
        .map(|(shell, file)| {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, name.clone(), &mut out);
            (PathBuf::from(format!("completions/{file}")), out)
        })
        .collect()
}

/// The workspace root (this crate's parent directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Paths whose committed contents differ from what would be generated.
fn stale(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(generate()?
        .into_iter()
        .filter(|(path, contents)| std::fs::read(root.join(path)).ok().as_ref() != Some(contents))
        .map(|(path, _)| path)
        .collect())
}

fn gen_docs(check: bool) -> anyhow::Result<()> {
    let root = root();
    if check {
        let stale = stale(&root)?;
        if !stale.is_empty() {
            bail!("stale generated files (run `cargo run -p xtask -- gen-docs`): {stale:?}");
        }
        return Ok(());
    }
    for (path, contents) in generate()? {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["gen-docs"] => gen_docs(false),
        ["gen-docs", "--check"] => gen_docs(true),
        _ => {
            eprintln!("usage: cargo run -p xtask -- gen-docs [--check]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_man_pages_and_completions_are_fresh() {
        let stale = stale(&root()).unwrap();
        assert!(stale.is_empty(), "stale generated files, run `cargo run -p xtask -- gen-docs`: {stale:?}");
    }

    #[test]
    fn generates_every_page_and_shell() {
        let paths: Vec<String> = generate().unwrap().into_iter().map(|(p, _)| p.display().to_string()).collect();
        for expected in [
            "man/aegisr-cli.1",
            "man/aegisr-cli-info.1",
            "man/aegisr-cli-bigkeys.1",
            "man/aegisr-server.1",
            "completions/aegisr-cli.bash",
            "completions/_aegisr-cli",
            "completions/aegisr-cli.fish",
            "completions/aegisr-server.fish",
        ] {
            assert!(paths.contains(&expected.to_owned()), "{expected} missing from {paths:?}");
        }
    }
}
