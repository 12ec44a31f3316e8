//! Reading a whole RDB file, Redis's `dump.rdb` (versions 1 to 11): the header, the
//! opcodes between keys (databases, expiry times, aux fields, function libraries), every
//! key's value (`read`), and the checksum at the end. The file is read as it goes, so
//! memory holds one value at a time, not the file.

use std::path::Path;

use super::read::{Cursor, RdbError, read_value};
use super::*;
use crate::persist::codec;
use crate::types::Value;

const OPCODE_FUNCTION: u8 = 246;
const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME: u8 = 253;

/// What a file held besides its keys, and how many keys it had.
#[derive(Debug, Default)]
pub struct Loaded {
    pub keys: u64,
    /// Keys whose expiry time had passed: not loaded, as a Redis primary drops them.
    pub expired: u64,
    /// FUNCTION LOAD codes of its function libraries.
    pub functions: Vec<Vec<u8>>,
}

/// One key read from the file.
pub struct Entry<'k> {
    pub db: usize,
    pub key: &'k [u8],
    pub value: Value,
    pub expiry: Option<i64>,
}

/// Reads the RDB file at `path` into `on_entry`, one key at a time, dropping keys that
/// expired before `now_ms`. `databases`: a SELECTDB beyond them is an error. Errors give
/// the byte offset and what is wrong there.
pub fn load(
    path: &Path,
    databases: usize,
    limits: &codec::Limits,
    now_ms: i64,
    mut on_entry: impl FnMut(Entry<'_>),
) -> Result<Loaded, (u64, String)> {
    let file = std::fs::File::open(path).map_err(|e| (0, format!("cannot open: {e}")))?;
    let len = file.metadata().map_err(|e| (0, format!("cannot read: {e}")))?.len();
    let mut r = Cursor::reader(std::io::BufReader::with_capacity(1 << 20, file), len);
    let fail = |r: &Cursor<'_>, e: RdbError| (r.at, e.0.to_owned());
    let mut header = [0u8; 9];
    for byte in &mut header {
        *byte = r.u8().map_err(|_| (0, "not an RDB file (too short)".to_owned()))?;
    }
    let version = header
        .strip_prefix(b"REDIS")
        .and_then(|digits| std::str::from_utf8(digits).ok()?.parse::<u16>().ok())
        .ok_or((0, "not an RDB file (no REDIS signature)".to_owned()))?;
    if version == 0 || version > NEWEST_READ {
        return Err((5, format!("RDB version {version}: this node reads versions 1 to {NEWEST_READ}")));
    }
    let mut loaded = Loaded::default();
    let mut db = 0usize;
    let mut expiry: Option<i64> = None;
    loop {
        let at = r.at;
        let opcode = r.u8().map_err(|e| fail(&r, e))?;
        match opcode {
            OPCODE_EOF => break,
            OPCODE_AUX => {
                r.string().and_then(|_| r.string()).map_err(|e| fail(&r, e))?;
            }
            OPCODE_RESIZEDB => {
                r.len().and_then(|_| r.len()).map_err(|e| fail(&r, e))?;
            }
            OPCODE_SELECTDB => {
                let n = r.len().map_err(|e| fail(&r, e))?;
                db = usize::try_from(n)
                    .ok()
                    .filter(|&n| n < databases)
                    .ok_or_else(|| (at, format!("database {n} does not exist here (databases is {databases})")))?;
            }
            OPCODE_EXPIRETIME_MS => expiry = Some(r.u64_le().map_err(|e| fail(&r, e))? as i64),
            OPCODE_EXPIRETIME => expiry = Some(i64::from(r.u32_le().map_err(|e| fail(&r, e))?) * 1000),
            OPCODE_FREQ => {
                r.u8().map_err(|e| fail(&r, e))?;
            }
            OPCODE_IDLE => {
                r.len().map_err(|e| fail(&r, e))?;
            }
            OPCODE_FUNCTION2 => loaded.functions.push(r.string().map_err(|e| fail(&r, e))?.into_owned()),
            OPCODE_FUNCTION => return Err((at, "function data of Redis 7.0's release candidates is not read".into())),
            OPCODE_MODULE_AUX => return Err((at, "module data (a Redis module's aux field) is not read".into())),
            kind => {
                let key = r.string().map_err(|e| fail(&r, e))?.into_owned();
                let value = read_value(kind, &mut r, limits)
                    .map_err(|e| (at, format!("key '{}': {}", String::from_utf8_lossy(&key), e.0)))?;
                let at_ms = expiry.take();
                if at_ms.is_some_and(|at| at <= now_ms) {
                    loaded.expired += 1;
                    continue;
                }
                on_entry(Entry { db, key: &key, value, expiry: at_ms });
                loaded.keys += 1;
            }
        }
    }
    if version >= 5 {
        let computed = r.checksum().unwrap_or_default();
        let stored = r.u64_le().map_err(|e| fail(&r, e))?;
        // 0: written with `rdbchecksum no`.
        if stored != 0 && stored != computed {
            return Err((r.at - 8, "checksum mismatch".into()));
        }
    }
    Ok(loaded)
}
