//! `backup FILE` and `restore FILE [--merge] [--yes]`: the Admin Backup and Restore
//! streams, with a progress bar on stderr when it is a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use aegisr_proto::v1::BackupManifest;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};

/// A byte-counting bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(action: &str) -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(None, target);
    let template = format!("{action} [{{bar:40}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} eta {{eta}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn problem(what: String) -> ConnectionError {
    ConnectionError::new(what)
}

/// `1.5 MiB`-style sizes for messages.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// How long ago `created_ms` (Unix ms) was, roughly.
pub(crate) fn age(created_ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - created_ms).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn describe(manifest: &BackupManifest) -> String {
    format!(
        "{} keys, {}, taken {} from node {}",
        manifest.key_count,
        size(manifest.total_bytes),
        age(manifest.created_ms, now_ms()),
        manifest.run_id
    )
}

pub(super) async fn backup(
    connection: &mut Connection,
    output: &Output,
    file: &Path,
    force: bool,
) -> Result<Status, ConnectionError> {
    if file.exists() && !force {
        return Err(problem(format!("{} exists; pass --force to overwrite it", file.display())));
    }
    // Written beside the target and renamed at the end: FILE is the whole backup or nothing.
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let created =
        std::fs::File::create(&partial).map_err(|e| problem(format!("Cannot create {}: {e}", partial.display())))?;
    let bar = progress_bar("backup ");
    let result = connection
        .backup(std::io::BufWriter::with_capacity(1 << 20, created), |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    let manifest = match result {
        Ok(manifest) => manifest,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    if let Err(e) =
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).and_then(|()| std::fs::rename(&partial, file))
    {
        let _ = std::fs::remove_file(&partial);
        return Err(problem(format!("Cannot write {}: {e}", file.display())));
    }
    output.text(&format!("Backup written to {}: {}\n", file.display(), describe(&manifest)));
    Ok(Status::Ok)
}

pub(super) async fn restore(
    connection: &mut Connection,
    output: &Output,
    file: &Path,
    merge: bool,
    yes: bool,
) -> Result<Status, ConnectionError> {
    let open = || std::fs::File::open(file).map_err(|e| problem(format!("Cannot open {}: {e}", file.display())));
    let manifest = aegisr_proto::read_manifest(&mut std::io::BufReader::new(open()?))
        .map_err(|e| problem(format!("{}: {e}", file.display())))?;
    if !yes {
        let effect =
            if merge { "overwriting the keys it holds".to_owned() } else { "REPLACING ALL the node's data".to_owned() };
        if !std::io::stdin().is_terminal() {
            return Err(problem(format!(
                "Restoring {} into {} would be {effect}; pass --yes to confirm without a terminal",
                file.display(),
                connection.addr()
            )));
        }
        eprint!("Restore {} ({}) into {}, {effect}? [y/N] ", file.display(), describe(&manifest), connection.addr());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            output.text("Restore cancelled.\n");
            return Ok(Status::Failed);
        }
    }
    let bar = progress_bar("restore");
    let progress = bar.clone();
    let reader = std::io::BufReader::with_capacity(1 << 20, open()?);
    let result = connection
        .restore(reader, merge, move |sent, total| {
            progress.set_length(total);
            progress.set_position(sent);
            if sent >= total {
                // All sent: the node now checks the whole backup and swaps it in.
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                    progress.set_style(style);
                }
                progress.set_message("sent; the node is verifying and loading the backup");
                progress.enable_steady_tick(std::time::Duration::from_millis(100));
            }
        })
        .await;
    bar.finish_and_clear();
    let reply = result?;
    let pause = if reply.pause_ms == 0 { "under 1 ms".to_owned() } else { format!("{} ms", reply.pause_ms) };
    let mut line = format!(
        "Restored {} keys from {} ({}; {} keys dropped); clients held for {pause}",
        reply.keys_loaded,
        file.display(),
        if merge { "merged" } else { "replaced" },
        reply.keys_replaced,
    );
    line.push_str(if reply.snapshot_written { "; snapshot written.\n" } else { " (persistence off: memory only).\n" });
    output.text(&line);
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
        assert_eq!(age(0, 5_000), "5 s ago");
        assert_eq!(age(0, 7_200_000), "2 h ago");
        assert_eq!(age(0, 864_000_000), "10 days ago");
        assert_eq!(age(10, 0), "0 s ago");
    }
}
