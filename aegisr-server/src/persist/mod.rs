//! Persistence: the append-only journal of every write, recovery at start, and the tools
//! that check a data directory. A node keeps its data in `--dir` unless started with
//! `--persistence none`.
//!
//! The journal is one stream for the whole node rather than one per shard, a deliberate
//! change from the first design: one file means one sync serves every writer under
//! `appendfsync always`, and a MULTI/EXEC over several shards is one record, so it replays
//! all or nothing without a cross-file commit protocol. Appends still happen under the
//! shard locks the command holds, so the stream's order is the data's order.

pub mod capture;
pub mod check;
pub mod codec;
pub mod journal;
pub mod record;
pub mod recovery;

use std::path::PathBuf;

use anyhow::Context as _;

use crate::commands::Session;
use crate::server::Server;
use journal::{FsyncPolicy, Journal};

/// How the node keeps its data, from the `persistence` and `appendonly` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Memory only: nothing is read or written.
    None,
    /// Every write is logged to the journal.
    Journal,
}

impl Mode {
    pub fn of(config: &crate::config::ConfigStore) -> Mode {
        if config.string("persistence") == "none" || !config.bool("appendonly") { Mode::None } else { Mode::Journal }
    }
}

/// The data directory from the configuration, created if missing.
pub fn data_dir(server: &Server) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(server.config.string("dir"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(dir)
}

/// Loads the data directory into the keyspace and starts the journal. Runs before any
/// listener opens, so no client sees a half-loaded dataset.
pub fn start(server: &Server) -> anyhow::Result<()> {
    let mode = Mode::of(&server.config);
    if mode == Mode::None {
        tracing::info!("persistence is off: the data lives in memory only");
        return Ok(());
    }
    let dir = data_dir(server)?;
    tracing::info!("loading the data directory {}", dir.display());
    let next_lsn = recovery::replay_journal(server, &dir, &|_, _| false)?;
    // Replaying counted its commands like clients' ones: start the statistics afresh.
    server.metrics.reset();
    let journal = Journal::open(&dir, next_lsn, server.config.shared_limits())
        .with_context(|| format!("cannot open the journal in {}", dir.display()))?;
    server.keyspace.set_journal(journal);
    tracing::info!("journal open at LSN {next_lsn} (appendfsync {})", server.config.string("appendfsync"));
    Ok(())
}

/// Writes out and syncs the journal before the node exits.
pub fn stop(server: &Server) {
    if let Some(journal) = server.keyspace.journal() {
        journal.close();
        tracing::info!("journal synced and closed");
    }
}

/// Under `appendfsync always`, waits until the records of the session's writes are on
/// disk; call it before sending the session's replies.
pub async fn durable(server: &Server, session: &mut Session) {
    let end = std::mem::take(&mut session.journal_end);
    if end == 0 {
        return;
    }
    if let Some(journal) = server.keyspace.journal()
        && journal.policy() == FsyncPolicy::Always
    {
        journal.wait_durable(end).await;
    }
}

/// INFO persistence, with Redis's field names.
pub fn info_fields(server: &Server) -> Vec<(String, String)> {
    let journal = server.keyspace.journal();
    let info = journal.map(Journal::info);
    let mut fields = vec![
        ("loading".to_owned(), "0".to_owned()),
        ("aof_enabled".to_owned(), u8::from(journal.is_some()).to_string()),
        ("aof_rewrite_in_progress".to_owned(), "0".to_owned()),
        ("aof_rewrite_scheduled".to_owned(), "0".to_owned()),
    ];
    if let Some(info) = info {
        let status = if info.last_write_ok { "ok" } else { "err" };
        fields.extend([
            ("aof_last_write_status".to_owned(), status.to_owned()),
            ("aof_last_bgrewrite_status".to_owned(), "ok".to_owned()),
            ("aof_current_size".to_owned(), info.appended_lsn.saturating_sub(info.current_segment_start).to_string()),
            ("aof_fsync_policy".to_owned(), info.policy.to_owned()),
            ("aof_appended_offset".to_owned(), info.appended_lsn.to_string()),
            ("aof_written_offset".to_owned(), info.written_lsn.to_string()),
            ("aof_synced_offset".to_owned(), info.synced_lsn.to_string()),
            ("aof_buffer_length".to_owned(), info.appended_lsn.saturating_sub(info.written_lsn).to_string()),
        ]);
        if let Some(error) = info.last_error {
            fields.push(("aof_last_error".to_owned(), error));
        }
    } else {
        fields.push(("aof_last_write_status".to_owned(), "ok".to_owned()));
    }
    fields
}
