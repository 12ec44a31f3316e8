//! The DEBUG subcommands that walk or reload the keys: OBJECT, DIGEST, DIGEST-VALUE,
//! RELOAD, LOADAOF and POPULATE.

use bytes::Bytes;

use super::digest;
use crate::commands::Ctx;
use crate::commands::errors::{CommandError, CommandResult};
use crate::engine::ScanFilter;
use crate::persist::codec;
use crate::types::Value;

/// Every key of every database, listed before any shard is locked for the walk (keys
/// deleted meanwhile are skipped).
fn all_keys(ctx: &Ctx<'_>) -> Vec<Vec<Bytes>> {
    let keyspace = &ctx.server.keyspace;
    let everything = ScanFilter { pattern: None, kind: None };
    (0..keyspace.db_sizes(ctx.tx).len()).map(|db| keyspace.keys(db, &everything, ctx.tx)).collect()
}

/// DEBUG OBJECT: Redis's one-line summary of a key's value (the serialized length is
/// that of Aegisr's codec). A key past its deadline is described, not expired, as Redis
/// does (its tests use DEBUG OBJECT to see that such a key is still there).
pub fn object(ctx: &mut Ctx<'_>, key: &[u8]) -> CommandResult {
    let line = {
        let mut locked = ctx.lock(key);
        let now = locked.now();
        let Some(entry) = locked.stored(key) else {
            return Err(CommandError::err("no such key"));
        };
        let mut encoded = Vec::new();
        codec::encode_value(entry.value(), &mut encoded);
        let idle = entry.idle_secs(now);
        // Redis's LRU clock: seconds, 24 bits.
        let lru = (u64::try_from(now / 1000).unwrap_or(0).saturating_sub(idle)) & 0xFF_FFFF;
        format!(
            "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{lru} lru_seconds_idle:{idle}",
            std::ptr::from_ref(entry),
            entry.encoding(),
            encoded.len(),
        )
    };
    ctx.out.simple(&line);
    Ok(())
}

/// DEBUG DIGEST: the signature of all databases, 40 zeros when they are empty.
pub fn digest(ctx: &mut Ctx<'_>) {
    let keys = all_keys(ctx);
    let mut total = [0u8; 20];
    {
        let mut locked = ctx.lock_all();
        for (db, names) in keys.iter().enumerate() {
            let mut database = [0u8; 20];
            let mut any = false;
            for name in names {
                let expires = matches!(locked.expiry_in(db, name), Some(Some(_)));
                let Some(entry) = locked.peek_in(db, name) else { continue };
                digest::xor_into(&mut database, &digest::key(name, &digest::value(entry.value()), expires));
                any = true;
            }
            if any {
                digest::add_database(&mut total, db, &database);
            }
        }
    }
    ctx.out.simple(&crate::acl::user::hex(&total));
}

/// DEBUG DIGEST-VALUE: the signature of each named key's value (zeros for a missing key).
pub fn digest_value(ctx: &mut Ctx<'_>, keys: &[&[u8]]) {
    let digests: Vec<[u8; 20]> = keys
        .iter()
        .map(|key| {
            let mut locked = ctx.lock(key);
            locked.peek(key).map_or([0u8; 20], |entry| digest::value(entry.value()))
        })
        .collect();
    ctx.out.array(digests.len());
    for d in &digests {
        ctx.out.simple(&crate::acl::user::hex(d));
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: every key goes through the persistence codec
/// and back, as Redis saves and loads its RDB file: what a restart would give (encodings
/// chosen again under the current limits, expiry kept). Done with every shard held, so no
/// client sees a half reloaded dataset. Aegisr always reloads what it holds, so NOSAVE
/// changes nothing; NOFLUSH without MERGE loads every key and function on top of itself,
/// which Redis refuses as duplicates, and so does this.
pub fn reload(ctx: &mut Ctx<'_>, options: &[&[u8]]) -> CommandResult {
    let (mut merge, mut flush) = (false, true);
    for option in options {
        match () {
            () if option.eq_ignore_ascii_case(b"merge") => merge = true,
            () if option.eq_ignore_ascii_case(b"noflush") => flush = false,
            () if option.eq_ignore_ascii_case(b"nosave") => {}
            () => return Err(CommandError::err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")),
        }
    }
    let keys = all_keys(ctx);
    let functions = ctx.server.scripting.functions.codes();
    if !flush && !merge && (keys.iter().any(|db| !db.is_empty()) || !functions.is_empty()) {
        tracing::warn!("DEBUG RELOAD NOFLUSH without MERGE: every key and function would load twice; nothing changed");
        return Err(CommandError::err("Error trying to load the RDB dump"));
    }
    let limits = codec::Limits::from_config(&ctx.server.config);
    let mut replaced = Vec::new();
    {
        let mut locked = ctx.lock_all();
        for (db, names) in keys.iter().enumerate() {
            for name in names {
                let Some(expiry) = locked.expiry_in(db, name) else { continue };
                let Some(entry) = locked.peek_in(db, name) else { continue };
                let mut encoded = Vec::new();
                codec::encode_value(entry.value(), &mut encoded);
                let value = codec::decode_value_with(&encoded, &limits)
                    .map_err(|e| CommandError::err(format!("Error trying to load the RDB dump: {e}")))?;
                replaced.extend(locked.remove_in(db, name));
                locked.set_in(db, name, value);
                if expiry.is_some() {
                    locked.set_expiry_in(db, name, expiry);
                }
            }
        }
    }
    // The old values are freed once no shard is held.
    drop(replaced);
    ctx.out.ok();
    Ok(())
}

/// DEBUG LOADAOF: the dataset is replaced by what the data directory holds
/// ([`crate::persist::reload_from_disk`]).
pub fn load_journal(ctx: &mut Ctx<'_>) -> CommandResult {
    crate::persist::reload_from_disk(ctx.server).map_err(|e| CommandError::err(format!("{e:#}")))?;
    ctx.out.ok();
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size]: string keys `<prefix>:<n>` holding `value:<n>`,
/// cut or zero-padded to `size` bytes when one is given; existing keys are left alone.
pub fn populate(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let positive = |arg: &[u8]| {
        crate::types::string::parse_i64(arg)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| CommandError::err("value is out of range, must be positive"))
    };
    let count = positive(args[0])?;
    let prefix: &[u8] = args.get(1).map_or(b"key", |p| &p[..]);
    let size = match args.get(2) {
        Some(arg) => positive(arg)?,
        None => 0,
    };
    // A value no client could have sent is not made here either (nor allocated in vain).
    let max_bulk = ctx.server.config.limits().proto_max_bulk_len.load(std::sync::atomic::Ordering::Relaxed);
    if size > max_bulk {
        return Err(CommandError::err("value size is larger than proto-max-bulk-len"));
    }
    let size = usize::try_from(size).unwrap_or(0);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for i in 0..count {
        let number = itoa::Buffer::new().format(i).to_owned();
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(number.as_bytes());
        let mut locked = ctx.lock(&key);
        if locked.exists(&key) {
            continue;
        }
        let mut value = format!("value:{number}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        locked.set(&key, Value::from_bytes(&value));
    }
    ctx.out.ok();
    Ok(())
}
