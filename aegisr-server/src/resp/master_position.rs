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
//! The start takes the file away (removed, and the removal synced) before the link
//! starts: a node that crashes later never continues from a position its data has gone
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

/// Takes the position saved for the master `host:port`, if there is one. Any file there
/// is removed (and the removal synced) first: used once or not at all.
pub fn take(dir: &Path, host: &str, port: u16) -> Option<Position> {
    let file = path(dir);
    let text = std::fs::read_to_string(&file).ok()?;
    if let Err(e) = std::fs::remove_file(&file).and_then(|()| sync_dir(dir)) {
        // Continuing now and crashing later could continue again from here: never.
        tracing::warn!("cannot remove {}: {e}; starting with a full sync", file.display());
        return None;
    }
    let position = parse(&text, host, port);
    if position.is_none() {
        tracing::info!("{} is for another master or unreadable: starting with a full sync", file.display());
    }
    position
}

fn parse(text: &str, host: &str, port: u16) -> Option<Position> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC || lines.next()? != format!("{host} {port}") {
        return None;
    }
    let replid = lines.next()?.to_owned();
    let offset = lines.next()?.parse().ok()?;
    let db = lines.next()?.parse().ok()?;
    let well_formed = replid.len() == 40 && replid.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(Position { replid, offset, db })
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_saved_position_is_taken_once_for_its_master_only() {
        let dir = tempfile::tempdir().unwrap();
        let position = Position { replid: "ab".repeat(20), offset: 12345, db: 3 };
        save(dir.path(), "127.0.0.1", 6379, &position).unwrap();
        assert_eq!(take(dir.path(), "127.0.0.1", 6379), Some(position.clone()));
        assert_eq!(take(dir.path(), "127.0.0.1", 6379), None, "taken once");
        save(dir.path(), "127.0.0.1", 6379, &position).unwrap();
        assert_eq!(take(dir.path(), "127.0.0.1", 6380), None, "another master");
        assert!(!path(dir.path()).exists(), "removed all the same");
        for damaged in ["", MAGIC, "aegisr-master-position 2\n127.0.0.1 6379\n", "x\n127.0.0.1 6379\nid\n1\n0\n"] {
            assert_eq!(parse(damaged, "127.0.0.1", 6379), None, "{damaged:?}");
        }
        let short_id = format!("{MAGIC}\n127.0.0.1 6379\nabc\n1\n0\n");
        assert_eq!(parse(&short_id, "127.0.0.1", 6379), None);
        let bad_offset = format!("{MAGIC}\n127.0.0.1 6379\n{}\n-1\n0\n", "ab".repeat(20));
        assert_eq!(parse(&bad_offset, "127.0.0.1", 6379), None);
    }
}
