//! The journal's record format. A frame is `u32 LE payload length | u32 LE CRC32C of the
//! payload | payload`; the payload is one command, or one transaction's commands, in the
//! deterministic form they ran in, with the clock they ran at:
//!
//! ```text
//! payload  = kind:u8 at_ms:i64LE body
//! kind 1   = db:varint argc:varint (len:varint bytes){argc}        one command
//! kind 2   = count:varint (db:varint argc:varint (len:varint bytes){argc}){count}
//!                                                                   MULTI/EXEC, all or nothing
//! ```
//!
//! Kind 2 also holds the commands one command is logged as when Redis propagates it as
//! several (XREADGROUP as an XCLAIM per entry delivered, see `persist::capture`).
//!
//! Replaying a record runs its commands again with the engine's clock set to `at_ms`, so a
//! relative TTL, a lazily expired key or an XADD `*` ID comes out as it did the first time.

use bytes::Bytes;

pub(crate) use crate::types::listpack::{put_varint, read_varint};

/// Bytes before a frame's payload.
pub const FRAME_HEADER: usize = 8;
/// Largest payload a reader accepts: a bigger length field is corruption, not a record
/// (the biggest command the RESP door lets in is far smaller than this).
pub const MAX_PAYLOAD: usize = 1 << 34;

const KIND_COMMAND: u8 = 1;
const KIND_MULTI: u8 = 2;

/// One command as it is logged: the database it ran in and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCommand {
    pub db: usize,
    pub args: Vec<Bytes>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub at_ms: i64,
    /// One command, or a transaction's commands in order.
    pub commands: Vec<LoggedCommand>,
}

/// Appends `db` and `args` in the body form of one command.
pub(crate) fn put_command(out: &mut Vec<u8>, db: usize, args: &[&[u8]]) {
    put_varint(out, db);
    put_varint(out, args.len());
    for arg in args {
        put_varint(out, arg.len());
        out.extend_from_slice(arg);
    }
}

/// Appends a whole frame for one command, encoded by `body` (see [`put_command`]).
pub(crate) fn put_frame(out: &mut Vec<u8>, at_ms: i64, multi_count: Option<usize>, body: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER]);
    match multi_count {
        None => out.push(KIND_COMMAND),
        Some(_) => out.push(KIND_MULTI),
    }
    out.extend_from_slice(&at_ms.to_le_bytes());
    if let Some(count) = multi_count {
        put_varint(out, count);
    }
    out.extend_from_slice(body);
    seal_frame(out, start);
}

/// Fills in the length and checksum of the frame that starts at `start` and runs to the end.
fn seal_frame(out: &mut [u8], start: usize) {
    let payload = &out[start + FRAME_HEADER..];
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let crc = crc32c::crc32c(payload);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The input ends inside the frame (a torn write when it is the end of the log).
    Truncated,
    /// The checksum does not match, or the payload does not parse.
    Corrupt(String),
}

/// Reads the frame at the start of `input`: the record and the frame's length.
pub fn read_frame(input: &[u8]) -> Result<(Record, usize), FrameError> {
    if input.len() < FRAME_HEADER {
        return Err(FrameError::Truncated);
    }
    let len = u32::from_le_bytes([input[0], input[1], input[2], input[3]]) as usize;
    let crc = u32::from_le_bytes([input[4], input[5], input[6], input[7]]);
    if len > MAX_PAYLOAD {
        return Err(FrameError::Corrupt(format!("record length {len} is impossible")));
    }
    let Some(payload) = input.get(FRAME_HEADER..FRAME_HEADER + len) else {
        return Err(FrameError::Truncated);
    };
    if crc32c::crc32c(payload) != crc {
        return Err(FrameError::Corrupt("checksum mismatch".into()));
    }
    let record = parse_payload(payload).map_err(FrameError::Corrupt)?;
    Ok((record, FRAME_HEADER + len))
}

struct Cursor<'a> {
    input: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.input.get(self.at).ok_or("payload ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<usize, String> {
        let (n, next) = read_varint(self.input, self.at).ok_or("bad varint")?;
        self.at = next;
        Ok(n)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.input.len()).ok_or("argument runs past the payload")?;
        let slice = &self.input[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn left(&self) -> usize {
        self.input.len() - self.at
    }

    fn command(&mut self) -> Result<LoggedCommand, String> {
        let db = self.varint()?;
        let argc = self.varint()?;
        // Every argument takes at least one byte: a bigger count is corruption.
        if argc == 0 || argc > self.left() {
            return Err(format!("impossible argument count {argc}"));
        }
        let mut args = Vec::with_capacity(argc);
        for _ in 0..argc {
            let len = self.varint()?;
            args.push(Bytes::copy_from_slice(self.bytes(len)?));
        }
        Ok(LoggedCommand { db, args })
    }
}

fn parse_payload(payload: &[u8]) -> Result<Record, String> {
    let mut cursor = Cursor { input: payload, at: 0 };
    let kind = cursor.byte()?;
    let at = cursor.bytes(8)?;
    let at_ms = i64::from_le_bytes([at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7]]);
    let commands = match kind {
        KIND_COMMAND => vec![cursor.command()?],
        KIND_MULTI => {
            let count = cursor.varint()?;
            if count > cursor.left() {
                return Err(format!("impossible command count {count}"));
            }
            (0..count).map(|_| cursor.command()).collect::<Result<_, _>>()?
        }
        other => return Err(format!("unknown record kind {other}")),
    };
    if cursor.left() != 0 {
        return Err("trailing bytes after the record".into());
    }
    Ok(Record { at_ms, commands })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    fn put(out: &mut Vec<u8>, db: usize, words: &[&str]) {
        put_command(out, db, &words.iter().map(|w| w.as_bytes()).collect::<Vec<_>>());
    }

    #[test]
    fn a_command_and_a_transaction_round_trip() {
        let mut log = Vec::new();
        let mut body = Vec::new();
        put(&mut body, 3, &["SET", "k", "v", "EX", "10"]);
        put_frame(&mut log, 1_700_000_000_123, None, &body);
        let mut multi = Vec::new();
        put(&mut multi, 0, &["INCR", "a"]);
        put(&mut multi, 1, &["DEL", "b", ""]);
        put_frame(&mut log, 42, Some(2), &multi);

        let (first, used) = read_frame(&log).unwrap();
        assert_eq!(first.at_ms, 1_700_000_000_123);
        assert_eq!(first.commands, vec![LoggedCommand { db: 3, args: args(&["SET", "k", "v", "EX", "10"]) }]);
        let (second, used2) = read_frame(&log[used..]).unwrap();
        assert_eq!(used + used2, log.len());
        assert_eq!(second.commands.len(), 2);
        assert_eq!(second.commands[1], LoggedCommand { db: 1, args: args(&["DEL", "b", ""]) });
    }

    #[test]
    fn every_cut_is_truncated_and_every_flip_is_caught() {
        let mut log = Vec::new();
        let mut body = Vec::new();
        put(&mut body, 0, &["RPUSH", "list", "a", "bb", "ccc"]);
        put_frame(&mut log, 7, None, &body);
        for cut in 0..log.len() {
            assert_eq!(read_frame(&log[..cut]).unwrap_err(), FrameError::Truncated, "cut at {cut}");
        }
        for byte in FRAME_HEADER..log.len() {
            for bit in 0..8 {
                let mut bad = log.clone();
                bad[byte] ^= 1 << bit;
                assert!(matches!(read_frame(&bad), Err(FrameError::Corrupt(_))), "flip {byte}:{bit}");
            }
        }
    }

    #[test]
    fn hostile_lengths_do_not_allocate() {
        // A valid checksum over a payload claiming 2^40 arguments.
        let mut payload = vec![KIND_COMMAND];
        payload.extend_from_slice(&0i64.to_le_bytes());
        put_varint(&mut payload, 0);
        put_varint(&mut payload, 1 << 40);
        let mut frame = Vec::new();
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        assert!(matches!(read_frame(&frame), Err(FrameError::Corrupt(_))));
    }
}
