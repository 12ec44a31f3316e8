//! Crash-safe files of the control plane: an append-only file of framed records (length
//! and CRC32C before each JSON payload, so a torn tail is recognised and dropped at load),
//! and whole-file replacement through a synced temporary file and a rename.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// Bytes before each payload: its length and its CRC32C, both u32 little endian.
const HEADER: usize = 8;
/// A record larger than this is taken for damage (cluster log entries are small).
const MAX_RECORD: usize = 64 << 20;

/// Frames `payload` as one record.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&l| l as usize <= MAX_RECORD)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// The records of `bytes` up to the first incomplete or damaged one, and the length of the
/// valid prefix (where the next record must be written).
pub fn unframe(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else { break };
        if crc32c::crc32c(payload) != crc {
            break;
        }
        records.push(payload);
        at += HEADER + len;
    }
    (records, at)
}

/// Reads a whole file; a missing file reads as `None`.
pub fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match File::open(path) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces `path` with `bytes` atomically: a reader (or a restart after a crash) sees the
/// old content or the new, never a mix.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

/// Makes a rename or a file creation in `path`'s directory durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// Opens `path` for appending at `valid_len`, cutting whatever follows (a torn record).
pub fn open_append(path: &Path, valid_len: usize) -> io::Result<File> {
    let f = OpenOptions::new().create(true).read(true).write(true).truncate(false).open(path)?;
    f.set_len(valid_len as u64)?;
    f.sync_all()?;
    let mut f = f;
    io::Seek::seek(&mut f, io::SeekFrom::End(0))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_or_damaged_tail_ends_the_records() {
        let mut bytes = Vec::new();
        frame(b"one", &mut bytes).unwrap();
        frame(b"two", &mut bytes).unwrap();
        let whole = bytes.len();
        frame(b"three", &mut bytes).unwrap();
        let (records, len) = unframe(&bytes);
        assert_eq!(records, vec![&b"one"[..], b"two", b"three"]);
        assert_eq!(len, bytes.len());
        let (records, len) = unframe(&bytes[..bytes.len() - 1]);
        assert_eq!(records.len(), 2);
        assert_eq!(len, whole);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(unframe(&bytes).1, whole);
    }
}
