//! A node's cluster identity, `<dir>/cluster/node.json`: a random Raft id and a random
//! 40-hex-digit name (what Redis clients see), made at the first start and kept for good.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files;
use crate::cluster::map::NodeId;

const FILE: &str = "node.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: NodeId,
    pub name: String,
}

impl Identity {
    /// The identity kept in `dir`, made (and synced) if there is none.
    pub fn load_or_create(dir: &Path) -> io::Result<Identity> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        if let Some(bytes) = files::read_optional(&path)? {
            return serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::other(format!("{} is damaged: {e}", path.display())));
        }
        let identity = Identity {
            // 0 is kept out: some tools read it as "no node".
            id: fastrand::u64(1..),
            name: (0..40).map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)])).collect(),
        };
        files::replace(&path, &serde_json::to_vec(&identity).map_err(io::Error::other)?)?;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path()).unwrap();
        assert_eq!(first.name.len(), 40);
        assert!(first.name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(Identity::load_or_create(dir.path()).unwrap(), first);
    }
}
