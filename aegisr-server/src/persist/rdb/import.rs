//! Loading a Redis RDB file into the node: a `dump.rdb` in a data directory Aegisr has
//! written nothing to, at start (see `persist::start`), after which the node's own snapshot
//! takes over; and a Redis master's file, when this node follows one (`resp::master_link`).

use std::path::Path;

use super::file::Loaded;
use crate::persist::{codec, recovery, snapshot};
use crate::server::Server;

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{what} at offset {offset}")]
    Damaged { offset: u64, what: String },
    #[error("key '{0}' is in the file twice")]
    Duplicate(String),
    #[error("cannot load its function libraries: {0:#}")]
    Functions(anyhow::Error),
}

/// Loads the RDB file at `path` into the node, whose keyspace holds none of its keys: every
/// key not yet expired, with its TTL, then the function libraries (taken out of the
/// `Loaded` returned). `each_key` is called with the count after each key.
pub fn load_into(server: &Server, path: &Path, mut each_key: impl FnMut(u64)) -> Result<Loaded, LoadError> {
    let limits = codec::Limits::from_config(&server.config);
    let keyspace = &server.keyspace;
    let mut duplicate = None;
    let mut keys = 0;
    let mut loaded = super::file::load(path, keyspace.databases(), &limits, crate::engine::now_ms(), |entry| {
        let mut locked = keyspace.lock_key(entry.db, entry.key);
        if locked.exists_in(entry.db, entry.key) {
            duplicate.get_or_insert_with(|| String::from_utf8_lossy(entry.key).into_owned());
            return;
        }
        locked.set_in(entry.db, entry.key, entry.value);
        if let Some(at) = entry.expiry {
            locked.load_expiry(entry.db, entry.key, at);
        }
        drop(locked);
        keys += 1;
        each_key(keys);
    })
    .map_err(|(offset, what)| LoadError::Damaged { offset, what })?;
    if let Some(key) = duplicate {
        return Err(LoadError::Duplicate(key));
    }
    let codes: Vec<bytes::Bytes> = std::mem::take(&mut loaded.functions).into_iter().map(bytes::Bytes::from).collect();
    crate::persist::load_functions(server, &codes).map_err(LoadError::Functions)?;
    Ok(loaded)
}

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
    let loaded = load_into(server, &path, |_| {}).map_err(|e| match e {
        LoadError::Damaged { .. } => anyhow::anyhow!(
            "{}: {e}; the node will not start on a damaged RDB file (move it out of {} to start without it; redis-check-rdb tells more)",
            path.display(),
            dir.display()
        ),
        e => anyhow::anyhow!("{}: {e}; the node will not start on it", path.display()),
    })?;
    tracing::info!(
        "Redis RDB file {} imported: {} keys ({} already expired, not loaded) in {:.3} s",
        path.display(),
        loaded.keys,
        loaded.expired,
        started.elapsed().as_secs_f64()
    );
    Ok(Some(loaded.keys))
}
