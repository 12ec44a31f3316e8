//! Moving from Redis: a Redis `dump.rdb` in a data directory Aegisr has written nothing to
//! is loaded at start (see `persist::start`), then the node's own snapshot takes over.

use std::path::Path;

use anyhow::Context as _;

use crate::persist::{codec, recovery, snapshot};
use crate::server::Server;

/// A Redis RDB file (`dbfilename`, dump.rdb by default) in a data directory Aegisr has
/// written nothing to yet (no snapshot, no journal): loaded into the empty node, so a
/// Redis's data moves over by starting Aegisr on its directory, or on a copy of its file.
/// Returns the keys loaded, `None` if there was nothing to import. A damaged file stops
/// the start, as damage in Aegisr's own files does.
pub fn import_dump(server: &Server, dir: &Path) -> anyhow::Result<Option<u64>> {
    let path = dir.join(server.config.string("dbfilename"));
    if !path.is_file() {
        return Ok(None);
    }
    let config = &server.config;
    if config.bool("cluster-enabled") || !config.string("join").trim().is_empty() {
        // Its keys would land on this node whatever slots the cluster gives it.
        tracing::warn!(
            "{} is not read: a cluster node takes keys through the cluster (import it into a standalone node, then add that node or MIGRATE the keys)",
            path.display()
        );
        return Ok(None);
    }
    if snapshot::newest(dir)?.is_some() || !recovery::segments(dir)?.is_empty() {
        tracing::info!(
            "{} is not read: the node's own snapshot and journal in {} hold its data (it was imported before, or the node never used it)",
            path.display(),
            dir.display()
        );
        return Ok(None);
    }
    if dir.join("appendonlydir").exists() || dir.join("appendonly.aof").exists() {
        tracing::warn!(
            "{} holds Redis AOF files too, which are not read: if that Redis ran with appendonly yes, its newest writes may be in them and not in {}",
            dir.display(),
            path.display()
        );
    }
    let started = std::time::Instant::now();
    let limits = codec::Limits::from_config(&server.config);
    let keyspace = &server.keyspace;
    let mut duplicate = None;
    let loaded = super::file::load(&path, keyspace.databases(), &limits, crate::engine::now_ms(), |entry| {
        let mut locked = keyspace.lock_key(entry.db, entry.key);
        if locked.exists_in(entry.db, entry.key) {
            duplicate.get_or_insert_with(|| String::from_utf8_lossy(entry.key).into_owned());
            return;
        }
        locked.set_in(entry.db, entry.key, entry.value);
        if let Some(at) = entry.expiry {
            locked.load_expiry(entry.db, entry.key, at);
        }
    })
    .map_err(|(offset, what)| {
        anyhow::anyhow!(
            "{}: {what} at offset {offset}; the node will not start on a damaged RDB file (move it out of {} to start without it; redis-check-rdb tells more)",
            path.display(),
            dir.display()
        )
    })?;
    if let Some(key) = duplicate {
        anyhow::bail!("{}: key '{key}' is in the file twice; the node will not start on it", path.display());
    }
    let codes: Vec<bytes::Bytes> = loaded.functions.into_iter().map(bytes::Bytes::from).collect();
    crate::persist::load_functions(server, &codes)
        .with_context(|| format!("cannot load the function libraries of {}", path.display()))?;
    tracing::info!(
        "Redis RDB file {} imported: {} keys ({} already expired, not loaded) in {:.3} s",
        path.display(),
        loaded.keys,
        loaded.expired,
        started.elapsed().as_secs_f64()
    );
    Ok(Some(loaded.keys))
}
