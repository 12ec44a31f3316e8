//! Where a node following a Redis master left the master's stream, kept across a restart.
//!
//! A clean shutdown whose data reached the disk whole (the journal synced, or a snapshot
//! of everything) writes the master's address and replication id, the offset the data
//! holds and the database the stream had selected to `master-position` in the data
//! directory. The next start, following the same master, asks to continue from there
//! (`PSYNC <id> <offset + 1>`) instead of for the whole dataset again, as a Redis replica
//! continues from its RDB file's `repl-id` and `repl-offset`: no fork and no transfer on
//! the master for a replica's restart.
//!
//! Every start takes the file away (removed, and the removal synced) before anything can
//! change the data: a node that crashes later, or that started without following the
//! master and took writes of its own, never continues from a position its data has gone
//! past; it gets a full sync, which is always right.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's first line: what it is and its version.
const MAGIC: &str = "aegisr-master-position 1";

/// A point of a Redis master's replication stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub replid: String,
    /// The stream's bytes the data holds (what PSYNC continues after).
    pub offset: u64,
    /// The database the stream had selected there: the master selects it again only when
    /// it changes.
    pub db: usize,
}

fn path(dir: &Path) -> PathBuf {
    dir.join("master-position")
}

/// Writes `position` in the master `host:port`'s stream for the next start: under a
/// temporary name, synced, then renamed, so a crash leaves the old file or the new one.
pub fn save(dir: &Path, host: &str, port: u16, position: &Position) -> std::io::Result<()> {
    let text = format!("{MAGIC}\n{host} {port}\n{}\n{}\n{}\n", position.replid, position.offset, position.db);
    let temporary = dir.join("master-position.tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path(dir))?;
    sync_dir(dir)
}

/// The master a saved position is in the stream of, and the position.
pub type Saved = (String, u16, Position);

/// Takes the position saved at the last clean shutdown, if there is one. The file is
/// removed (and the removal synced) first: used once or not at all.
pub fn take(dir: &Path) -> Option<Saved> {
    let file = path(dir);
    let text = std::fs::read_to_string(&file).ok()?;
    if let Err(e) = std::fs::remove_file(&file).and_then(|()| sync_dir(dir)) {
        // Continuing now and crashing later could continue again from here: never.
        tracing::warn!("cannot remove {}: {e}; starting with a full sync", file.display());
        return None;
    }
    let saved = parse(&text);
    if saved.is_none() {
        tracing::warn!("{} is unreadable: a full sync when following a master", file.display());
    }
    saved
}

fn parse(text: &str) -> Option<Saved> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let (host, port) = lines.next()?.rsplit_once(' ')?;
    let port = port.parse().ok()?;
    let replid = lines.next()?.to_owned();
    let offset = lines.next()?.parse().ok()?;
    let db = lines.next()?.parse().ok()?;
    let well_formed = replid.len() == 40 && replid.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| (host.to_owned(), port, Position { replid, offset, db }))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_saved_position_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let position = Position { replid: "ab".repeat(20), offset: 12345, db: 3 };
        save(dir.path(), "127.0.0.1", 6379, &position).unwrap();
        assert_eq!(take(dir.path()), Some(("127.0.0.1".to_owned(), 6379, position.clone())));
        assert_eq!(take(dir.path()), None, "taken once");
        assert!(!path(dir.path()).exists());
        let id = "ab".repeat(20);
        for damaged in [
            String::new(),
            MAGIC.to_owned(),
            format!("aegisr-master-position 2\n127.0.0.1 6379\n{id}\n1\n0\n"),
            format!("{MAGIC}\n127.0.0.1\n{id}\n1\n0\n"),
            format!("{MAGIC}\n127.0.0.1 70000\n{id}\n1\n0\n"),
            format!("{MAGIC}\n127.0.0.1 6379\nabc\n1\n0\n"),
            format!("{MAGIC}\n127.0.0.1 6379\n{id}\n-1\n0\n"),
            format!("{MAGIC}\n127.0.0.1 6379\n{id}\n1\n"),
        ] {
            assert_eq!(parse(&damaged), None, "{damaged:?}");
        }
        assert!(parse(&format!("{MAGIC}\n::1 6379\n{id}\n1\n0\n")).is_some());
    }
}
