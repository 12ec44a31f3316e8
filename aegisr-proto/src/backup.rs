//! Backup files: `"AEGISRB1" | manifest_len: u32 LE | BackupManifest (protobuf) | data`
//! (see `admin.proto`), written from a `Backup` stream and sent back as a `Restore` stream.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use prost::Message as _;

use crate::client::ClientError;
use crate::v1::{BackupManifest, RestoreChunk, RestoreStart, restore_chunk::Part, restore_start::Mode};

/// The first bytes of a backup file.
pub const MAGIC: &[u8; 8] = b"AEGISRB1";
/// A manifest bigger than this is not one (it holds a checksum per MiB of data: 16 MiB
/// of manifest is a 4 TiB backup).
const MAX_MANIFEST: u32 = 16 << 20;
/// Bytes per data message sent by a restore.
const SEND_CHUNK: usize = 1 << 20;

fn bad(what: impl Into<String>) -> ClientError {
    ClientError::Backup(what.into())
}

/// Writes the file's magic and manifest.
pub(crate) fn write_header(writer: &mut impl Write, manifest: &BackupManifest) -> Result<(), ClientError> {
    let encoded = manifest.encode_to_vec();
    let len = u32::try_from(encoded.len()).map_err(|_| bad("the backup manifest is over 4 GiB"))?;
    writer.write_all(MAGIC)?;
    writer.write_all(&len.to_le_bytes())?;
    writer.write_all(&encoded)?;
    Ok(())
}

/// Reads a backup file's magic and manifest from `reader`, leaving it at the data: what
/// the backup holds, e.g. to show before restoring it.
pub fn read_manifest(reader: &mut impl Read) -> Result<BackupManifest, ClientError> {
    let mut head = [0u8; 12];
    reader.read_exact(&mut head).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => bad("not an Aegisr backup file (too short)"),
        _ => ClientError::Io(e),
    })?;
    if &head[..8] != MAGIC {
        return Err(bad("not an Aegisr backup file (bad magic)"));
    }
    let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if len > MAX_MANIFEST {
        return Err(bad(format!("damaged backup file: a manifest of {len} bytes")));
    }
    let mut encoded = Vec::new();
    reader.take(u64::from(len)).read_to_end(&mut encoded)?;
    if encoded.len() != len as usize {
        return Err(bad("damaged backup file: it ends inside its manifest"));
    }
    BackupManifest::decode(encoded.as_slice()).map_err(|e| bad(format!("damaged backup file: bad manifest ({e})")))
}

/// Checks data against a manifest's checksums as it arrives.
pub(crate) struct Checker<'m> {
    manifest: &'m BackupManifest,
    chunk: u64,
    received: u64,
    piece: u32,
    piece_len: u64,
    index: usize,
}

impl<'m> Checker<'m> {
    pub(crate) fn new(manifest: &'m BackupManifest) -> Result<Checker<'m>, ClientError> {
        let chunk = u64::from(manifest.chunk_size);
        if chunk == 0 || manifest.total_bytes.div_ceil(chunk) != manifest.chunk_crc32c.len() as u64 {
            return Err(bad("the backup's manifest is inconsistent (chunk size and checksums)"));
        }
        Ok(Checker { manifest, chunk, received: 0, piece: 0, piece_len: 0, index: 0 })
    }

    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    pub(crate) fn push(&mut self, mut data: &[u8]) -> Result<(), ClientError> {
        let total = self.manifest.total_bytes;
        if self.received + data.len() as u64 > total {
            return Err(bad(format!("the backup stream has more than its {total} bytes")));
        }
        while !data.is_empty() {
            let take = (self.chunk - self.piece_len).min(data.len() as u64) as usize;
            self.piece = crc32c::crc32c_append(self.piece, &data[..take]);
            self.piece_len += take as u64;
            self.received += take as u64;
            data = &data[take..];
            if self.piece_len == self.chunk || self.received == total {
                if self.manifest.chunk_crc32c.get(self.index) != Some(&self.piece) {
                    return Err(bad(format!("chunk {} of the backup stream fails its checksum", self.index)));
                }
                self.index += 1;
                self.piece = 0;
                self.piece_len = 0;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<(), ClientError> {
        if self.received != self.manifest.total_bytes {
            return Err(bad(format!(
                "the backup stream ended after {} of its {} bytes",
                self.received, self.manifest.total_bytes
            )));
        }
        Ok(())
    }
}

/// A backup file being sent as a `Restore` stream.
pub(crate) struct BackupFileReader<R> {
    reader: R,
    manifest: BackupManifest,
    failure: Arc<Mutex<Option<std::io::Error>>>,
}

impl<R: Read + Send + 'static> BackupFileReader<R> {
    pub(crate) fn open(mut reader: R) -> Result<Self, ClientError> {
        let manifest = read_manifest(&mut reader)?;
        Ok(BackupFileReader { reader, manifest, failure: Arc::default() })
    }

    /// Where a read error is left when the data could not be read.
    pub(crate) fn failure(&self) -> Arc<Mutex<Option<std::io::Error>>> {
        self.failure.clone()
    }

    /// The restore's messages: the start, then the data as it is read (a read error ends
    /// them, and is left in `failure`).
    pub(crate) fn into_chunks(
        self,
        merge: bool,
        mut progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> impl Iterator<Item = RestoreChunk> + Send + 'static {
        let BackupFileReader { mut reader, manifest, failure } = self;
        let total = manifest.total_bytes;
        let mode = if merge { Mode::Merge } else { Mode::Replace };
        let start =
            RestoreChunk { part: Some(Part::Start(RestoreStart { manifest: Some(manifest), mode: mode.into() })) };
        let mut sent = 0u64;
        let data = std::iter::from_fn(move || {
            let mut buf = vec![0u8; SEND_CHUNK];
            let mut filled = 0;
            while filled < buf.len() {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        if let Ok(mut slot) = failure.lock() {
                            *slot = Some(e);
                        }
                        return None;
                    }
                }
            }
            if filled == 0 {
                return None;
            }
            buf.truncate(filled);
            sent += filled as u64;
            progress(sent, total);
            Some(RestoreChunk { part: Some(Part::Data(buf.into())) })
        });
        std::iter::once(start).chain(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(data: &[u8], chunk: u32) -> BackupManifest {
        BackupManifest {
            format_version: 1,
            total_bytes: data.len() as u64,
            chunk_size: chunk,
            chunk_crc32c: data.chunks(chunk as usize).map(crc32c::crc32c).collect(),
            crc32c: crc32c::crc32c(data),
            ..BackupManifest::default()
        }
    }

    #[test]
    fn header_round_trips_and_bad_files_are_named() {
        let m = manifest(b"hello world", 4);
        let mut file = Vec::new();
        write_header(&mut file, &m).unwrap();
        file.extend_from_slice(b"hello world");
        let mut reader = file.as_slice();
        assert_eq!(read_manifest(&mut reader).unwrap(), m);
        assert_eq!(reader, b"hello world");
        let err = read_manifest(&mut &b"NOTABACKUPFILE"[..]).unwrap_err().to_string();
        assert!(err.contains("bad magic"), "{err}");
        let err = read_manifest(&mut &file[..14]).unwrap_err().to_string();
        assert!(err.contains("ends inside its manifest"), "{err}");
    }

    #[test]
    fn checker_finds_flipped_and_missing_bytes_whatever_the_message_sizes() {
        let data: Vec<u8> = (0..100u8).collect();
        let m = manifest(&data, 16);
        let mut ok = Checker::new(&m).unwrap();
        for piece in data.chunks(7) {
            ok.push(piece).unwrap();
        }
        ok.finish().unwrap();
        let mut flipped = data.clone();
        flipped[40] ^= 1;
        let mut check = Checker::new(&m).unwrap();
        let err = flipped.chunks(30).find_map(|p| check.push(p).err()).unwrap().to_string();
        assert!(err.contains("chunk 2"), "{err}");
        let mut short = Checker::new(&m).unwrap();
        short.push(&data[..64]).unwrap();
        assert!(short.finish().unwrap_err().to_string().contains("64 of its 100"));
    }
}
