//! DUMP and RESTORE (and RESTORE-ASKING, RESTORE for a slot being imported, as a
//! cluster's migration sends it): a value as an opaque payload and back, with Redis 7's
//! framing and errors: a body, then a version (2 bytes LE) and a CRC-64 (Redis's polynomial,
//! 8 bytes LE) of everything before it.
//!
//! Two bodies: Redis's (an RDB value, version 10, `persist::rdb`), which DUMP and MIGRATE
//! send for every type Redis has, so a Redis restores them; and Aegisr's own (the value
//! codec, `persist::codec`, under [`DUMP_VERSION`], far above any RDB version so a Redis
//! refuses it rather than misreading it), for bloom filters and for moving slots between
//! Aegisr nodes. RESTORE takes both, and Redis's of every RDB version up to 11.

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult};
use crate::persist::codec::{self, CODEC_VERSION, Limits};
use crate::types::{Value, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: Flags::READONLY,
        keys: KeyRange::FIRST,
        group: Group::Generic,
        since: "2.6.0",
        summary: "Returns a serialized representation of the value stored at a key.",
        syntax: "key",
        handler: Some(dump),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        keys: KeyRange::FIRST,
        group: Group::Generic,
        acl: &["@dangerous"],
        since: "2.6.0",
        summary: "Creates a key from the serialized representation of a value.",
        syntax: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
        handler: Some(restore),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "restore-asking",
        arity: -4,
        flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::ASKING),
        keys: KeyRange::FIRST,
        group: Group::Generic,
        acl: &["@dangerous"],
        since: "3.0.0",
        summary: "An internal command for migrating keys in a cluster: RESTORE as if ASKING came first.",
        syntax: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
        handler: Some(restore),
        ..CommandSpec::BASE
    },
];

/// Redis's CRC-64 (Jones polynomial, reflected), the checksum of DUMP payloads.
use crate::persist::rdb::CRC64;

/// Bytes after the encoded value: version (2) and checksum (8).
const TRAILER: usize = 10;

/// The version DUMP payloads carry: the codec version in the low byte, under a tag above
/// every RDB version (Redis 7.0 writes 10, 7.2 writes 11 and refuses anything above its
/// own). With the bare codec version (1) Redis accepted Aegisr's payloads and stored the
/// wrong value (an integer restored as a string of codec bytes).
const DUMP_VERSION: u16 = 0xAE00 | CODEC_VERSION;

/// What DUMP and MIGRATE send: Redis's payload, which any Redis 7 restores, for every type
/// Redis has; Aegisr's own for a bloom filter (RedisBloom's format is the module's).
pub fn portable_payload(value: ValueRef<'_>) -> Vec<u8> {
    match crate::persist::rdb::dump_body(value) {
        Some(body) => seal(body, crate::persist::rdb::VERSION),
        None => payload(value),
    }
}

/// Aegisr's own payload of `value`: what a cluster moves between its nodes (built and
/// read without a detour through Redis's encodings).
pub fn payload(value: ValueRef<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    codec::encode_value(value, &mut out);
    seal(out, DUMP_VERSION)
}

/// Appends the trailer of a payload to `body`: `version` and the CRC-64 of both.
pub fn seal(mut body: Vec<u8>, version: u16) -> Vec<u8> {
    body.extend_from_slice(&version.to_le_bytes());
    let crc = CRC64.checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// The body of a payload sealed with `version`, if its version is that and its checksum
/// right (Redis's `verifyDumpPayload`).
pub fn unseal(payload: &[u8], version: u16) -> Option<&[u8]> {
    unseal_any(payload).filter(|(v, _)| *v == version).map(|(_, body)| body)
}

/// The version and body of a payload whose checksum is right.
fn unseal_any(payload: &[u8]) -> Option<(u16, &[u8])> {
    let body_end = payload.len().checked_sub(TRAILER)?;
    let (checked, crc) = payload.split_at(body_end + 2);
    let version = u16::from_le_bytes([checked[body_end], checked[body_end + 1]]);
    let crc = u64::from_le_bytes(crc.try_into().ok()?);
    (CRC64.checksum(checked) == crc).then_some((version, &payload[..body_end]))
}

/// The value of a DUMP payload: Aegisr's own, or Redis's (an RDB value of version 11 or
/// older, as Redis 7.2 and earlier dump it, so keys come over from a Redis by RESTORE or
/// its MIGRATE), with Redis's errors for a wrong version or checksum and for a body that
/// does not decode.
pub fn decode_payload(payload: &[u8], config: &crate::config::ConfigStore) -> Result<Value, CommandError> {
    let limits = Limits::from_config(config);
    match unseal_any(payload) {
        Some((DUMP_VERSION, body)) => codec::decode_value_with(body, &limits).map_err(|_| CommandError::BadDataFormat),
        Some((version, body)) if crate::persist::rdb::read::reads_version(version) => {
            crate::persist::rdb::read::decode_dump(body, &limits).map_err(|_| CommandError::BadDataFormat)
        }
        _ => Err(CommandError::DumpPayload),
    }
}

fn dump(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let payload = {
        let mut locked = ctx.lock(args[1]);
        locked.read(args[1]).map(|entry| portable_payload(entry.value()))
    };
    match payload {
        Some(bytes) => ctx.out.bulk(&bytes),
        None => ctx.out.null(),
    }
    Ok(())
}

/// RESTORE's options.
#[derive(Debug, Default, PartialEq, Eq)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    idle_secs: Option<u64>,
    freq: Option<u8>,
}

/// Parses the options after the payload as Redis's `restoreCommand` does: IDLETIME and
/// FREQ exclude each other (the second one is a syntax error), and each needs a value.
fn parse_options(rest: &[&[u8]]) -> Result<RestoreOptions, CommandError> {
    let mut opts = RestoreOptions::default();
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        let has_value = i + 1 < rest.len();
        if args::is(arg, "replace") {
            opts.replace = true;
        } else if args::is(arg, "absttl") {
            opts.absttl = true;
        } else if args::is(arg, "idletime") && has_value && opts.freq.is_none() {
            let idle = args::int(rest[i + 1])?;
            let idle = u64::try_from(idle).map_err(|_| CommandError::err("Invalid IDLETIME value, must be >= 0"))?;
            opts.idle_secs = Some(idle);
            i += 1;
        } else if args::is(arg, "freq") && has_value && opts.idle_secs.is_none() {
            let freq = args::int(rest[i + 1])?;
            let freq =
                u8::try_from(freq).map_err(|_| CommandError::err("Invalid FREQ value, must be >= 0 and <= 255"))?;
            opts.freq = Some(freq);
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    Ok(opts)
}

/// The TTL argument: milliseconds, 0 for none, never negative.
fn parse_ttl(arg: &[u8]) -> Result<i64, CommandError> {
    let ttl = args::int(arg)?;
    if ttl < 0 {
        return Err(CommandError::err("Invalid TTL value, must be >= 0"));
    }
    Ok(ttl)
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. As in Redis, FREQ
/// sets the key's LFU counter under an LFU `maxmemory-policy` and IDLETIME its idle time
/// under the others.
fn restore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let opts = parse_options(&args[4..])?;
    // Redis checks, in order: options, an existing key, the TTL, the checksum, the body.
    // The payload is checked and decoded here, before locking; the errors after BUSYKEY
    // wait until the key has been looked at.
    let checked = parse_ttl(args[2]).and_then(|ttl| Ok((ttl, decode_payload(args[3], &ctx.server.config)?)));
    let (outcome, old) = {
        let mut locked = ctx.lock(key);
        if !opts.replace && locked.exists(key) {
            return Err(CommandError::BusyKey);
        }
        let (ttl, value) = checked?;
        let old = if opts.replace { locked.remove(key) } else { None };
        let now = locked.now();
        // Relative TTLs count from now; one so large the sum overflows is already past,
        // as the wrapped sum is in Redis.
        let deadline = match (ttl, opts.absttl) {
            (0, _) => None,
            (ttl, true) => Some(ttl),
            (ttl, false) => Some(now.checked_add(ttl).unwrap_or(i64::MIN)),
        };
        let outcome = if deadline.is_some_and(|at| at <= now) {
            // Already expired: the key is not created (an old one REPLACE removed stays
            // deleted), and the reply is still OK.
            Outcome { event: old.is_some().then_some("del"), value: Some(value) }
        } else {
            locked.set(key, value);
            if deadline.is_some() {
                locked.set_expiry(key, deadline);
            }
            if opts.idle_secs.is_some() || opts.freq.is_some() {
                locked.restore_access(key, opts.idle_secs, opts.freq);
            }
            Outcome { event: Some("restore"), value: None }
        };
        (outcome, old)
    };
    if let Some(event) = outcome.event {
        ctx.notify(Class::Generic, event, key);
    }
    ctx.out.ok();
    // Large values are freed after the lock is released.
    drop((old, outcome.value));
    Ok(())
}

/// What RESTORE did under the lock: the event to publish, and a value not stored.
struct Outcome {
    event: Option<&'static str>,
    value: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unseal_ours(payload: &[u8]) -> Option<&[u8]> {
        unseal(payload, DUMP_VERSION)
    }

    fn b<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn payloads_verify_and_reject_damage() {
        let p = payload(ValueRef::Str(b"hello"));
        assert_eq!(unseal_ours(&p), Some(&p[..p.len() - TRAILER]));
        for i in 0..p.len() {
            let mut bad = p.clone();
            bad[i] ^= 0x10;
            assert_eq!(unseal_ours(&bad), None, "flipped byte {i}");
        }
        assert_eq!(unseal_ours(&p[..9]), None);
        assert_eq!(unseal_ours(b""), None);
    }

    #[test]
    fn crc_is_redis_crc64() {
        // Redis's crc64 self-test value.
        assert_eq!(CRC64.checksum(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn options() {
        assert_eq!(parse_options(&[]), Ok(RestoreOptions::default()));
        let o = parse_options(&b(&["REPLACE", "absttl", "IdleTime", "5"])).unwrap();
        assert_eq!(o, RestoreOptions { replace: true, absttl: true, idle_secs: Some(5), freq: None });
        assert_eq!(parse_options(&b(&["freq", "255"])).unwrap().freq, Some(255));
        assert_eq!(parse_options(&b(&["idletime", "1", "freq", "2"])), Err(CommandError::Syntax));
        assert_eq!(parse_options(&b(&["freq", "2", "idletime", "1"])), Err(CommandError::Syntax));
        assert_eq!(parse_options(&b(&["idletime"])), Err(CommandError::Syntax));
        assert_eq!(parse_options(&b(&["idletime", "x"])), Err(CommandError::NotInteger));
        assert_eq!(
            parse_options(&b(&["idletime", "-1"])),
            Err(CommandError::err("Invalid IDLETIME value, must be >= 0"))
        );
        assert_eq!(
            parse_options(&b(&["freq", "256"])),
            Err(CommandError::err("Invalid FREQ value, must be >= 0 and <= 255"))
        );
        assert_eq!(parse_options(&b(&["bogus"])), Err(CommandError::Syntax));
    }
}
