//! The journal's records in the form a Redis master sends its writes to its replicas.
//!
//! A record holds the command as it ran plus the clock it ran at, which is all a replay
//! needs; a Redis replica needs what Redis itself propagates instead: relative TTLs made
//! absolute (`SET k v PXAT ms`, `PEXPIREAT`, RESTORE with `ABSTTL`), a TTL already past as
//! `DEL`, GETDEL as `DEL`, GETSET as `SET`, GETEX as `PEXPIREAT`/`PERSIST`, SET without its
//! `GET` flag, `SELECT` whenever the database changes, and a transaction or script of more
//! than one write between `MULTI` and `EXEC`. Everything else goes as it was logged: the
//! commands whose effect is not their arguments' are logged as what they did (SPOP as
//! SREM, LMPOP and BLPOP as LPOP, ZMPOP as ZPOPMIN, BLMOVE as LMOVE, INCRBYFLOAT as
//! `SET ... KEEPTTL`, HINCRBYFLOAT as HSET, XREADGROUP and XCLAIM as the XCLAIM and XGROUP
//! commands that set what they did), which is Redis's form too; so do the messages
//! (PUBLISH, SPUBLISH) logged while a replica follows (`persist::messages`).

use std::borrow::Cow;

use super::record::Record;
use crate::commands::args::is;

/// Which records a replica already has from the RDB file it was sent: those before the
/// journal position at which their keys' slot (or, for FUNCTION, the libraries) went
/// into the file. A write that spans slots is never split by the file (see
/// `Keyspace::settle_snapshot`), so one key decides.
#[derive(Debug, Clone, Default)]
pub struct Covered {
    pub slot_lsns: Vec<u64>,
    pub functions_lsn: u64,
}

impl Covered {
    fn has(&self, lsn: u64, args: &[&[u8]]) -> bool {
        let Some(name) = args.first() else { return true };
        if is(name, "function") {
            return lsn < self.functions_lsn;
        }
        // A message is not data the file could hold (SPUBLISH's shard channel only looks
        // like a key): it goes whenever it was published after the replica's start.
        if super::messages::is_message(args) {
            return false;
        }
        // Resolved to the subcommand: a container (XGROUP) names no key itself.
        let key = crate::commands::resolve(args)
            .ok()
            .and_then(|spec| spec.keys_of(args))
            .and_then(|keys| keys.first().copied());
        match key {
            Some(key) => {
                let slot = usize::from(crate::engine::slot::key_slot(key));
                self.slot_lsns.get(slot).is_some_and(|&taken| lsn < taken)
            }
            // Keyless writes (FLUSHALL, SWAPDB...) hold every shard, so every slot went
            // into the file before them.
            None => false,
        }
    }
}

/// One replica's stream: what it has selected.
#[derive(Debug, Clone, Default)]
pub struct RedisStream {
    db: Option<usize>,
}

impl RedisStream {
    /// Appends `record` (logged at `lsn`) to `out` as Redis commands, leaving out what
    /// `covered` says the replica has.
    pub fn record(&mut self, record: &Record, lsn: u64, covered: &Covered, out: &mut Vec<u8>) {
        let commands: Vec<(usize, Vec<Cow<'_, [u8]>>)> = record
            .commands
            .iter()
            .filter_map(|command| {
                let args: Vec<&[u8]> = command.args.iter().map(|a| &a[..]).collect();
                if covered.has(lsn, &args) {
                    return None;
                }
                Some((command.db, redis_form(&args, record.at_ms)?))
            })
            .collect();
        let transaction = commands.len() > 1;
        for (at, (db, args)) in commands.iter().enumerate() {
            self.select(*db, out);
            if transaction && at == 0 {
                put(out, &[b"MULTI".as_slice()]);
            }
            put(out, args);
        }
        if transaction {
            put(out, &[b"EXEC".as_slice()]);
        }
    }

    fn select(&mut self, db: usize, out: &mut Vec<u8>) {
        if self.db != Some(db) {
            put(out, &[b"SELECT".as_slice(), db.to_string().as_bytes()]);
            self.db = Some(db);
        }
    }
}

/// Appends `args` as a RESP array of bulk strings.
pub fn put<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn number(arg: &[u8]) -> Option<i64> {
    std::str::from_utf8(arg).ok()?.parse().ok()
}

fn owned(text: &'static str) -> Cow<'static, [u8]> {
    Cow::Borrowed(text.as_bytes())
}

fn ms(value: i64) -> Cow<'static, [u8]> {
    Cow::Owned(value.to_string().into_bytes())
}

/// An expiry option's absolute time in milliseconds, from its option name and value.
fn absolute(option: &[u8], value: &[u8], at_ms: i64) -> Option<i64> {
    let n = number(value)?;
    if is(option, "ex") {
        Some(at_ms.saturating_add(n.saturating_mul(1000)))
    } else if is(option, "px") {
        Some(at_ms.saturating_add(n))
    } else if is(option, "exat") {
        Some(n.saturating_mul(1000))
    } else if is(option, "pxat") {
        Some(n)
    } else {
        None
    }
}

/// `command` as Redis propagates it (`None`: nothing to send).
fn redis_form<'a>(args: &[&'a [u8]], at_ms: i64) -> Option<Vec<Cow<'a, [u8]>>> {
    let as_is = || args.iter().map(|a| Cow::Borrowed(*a)).collect::<Vec<_>>();
    let name = *args.first()?;
    // A transaction's or a script's record holds its writes; the EXEC or EVAL around them
    // may be logged too (replay skips it), and a replica must not run it again.
    if ["multi", "exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"].iter().any(|n| is(name, n)) {
        return None;
    }
    let key = || Cow::Borrowed(args[1]);
    let del = || Some(vec![owned("DEL"), Cow::Borrowed(args[1])]);
    if is(name, "set") && args.len() >= 3 {
        let options = &args[3..];
        let expiry = options.windows(2).find_map(|pair| absolute(pair[0], pair[1], at_ms));
        if let Some(when) = expiry {
            return Some(vec![owned("SET"), key(), Cow::Borrowed(args[2]), owned("PXAT"), ms(when)]);
        }
        return Some(args.iter().filter(|a| !is(a, "get")).map(|a| Cow::Borrowed(*a)).collect());
    }
    if (is(name, "setex") || is(name, "psetex")) && args.len() == 4 {
        let n = number(args[2])?;
        let when =
            if is(name, "setex") { at_ms.saturating_add(n.saturating_mul(1000)) } else { at_ms.saturating_add(n) };
        return Some(vec![owned("SET"), key(), Cow::Borrowed(args[3]), owned("PXAT"), ms(when)]);
    }
    if ["expire", "pexpire", "expireat", "pexpireat"].iter().any(|n| is(name, n)) && args.len() >= 3 {
        let n = number(args[2])?;
        let when = match name.len() {
            6 => at_ms.saturating_add(n.saturating_mul(1000)),
            7 => at_ms.saturating_add(n),
            8 => n.saturating_mul(1000),
            _ => n,
        };
        if when <= at_ms {
            return del();
        }
        let mut out = vec![owned("PEXPIREAT"), key(), ms(when)];
        out.extend(args[3..].iter().map(|a| Cow::Borrowed(*a)));
        return Some(out);
    }
    if is(name, "getex") && args.len() >= 2 {
        if let Some(when) = args[2..].windows(2).find_map(|pair| absolute(pair[0], pair[1], at_ms)) {
            return if when <= at_ms { del() } else { Some(vec![owned("PEXPIREAT"), key(), ms(when)]) };
        }
        return args[2..].iter().any(|a| is(a, "persist")).then(|| vec![owned("PERSIST"), key()]);
    }
    if is(name, "getdel") && args.len() == 2 {
        return del();
    }
    if is(name, "getset") && args.len() == 3 {
        return Some(vec![owned("SET"), key(), Cow::Borrowed(args[2])]);
    }
    if is(name, "restore") && args.len() >= 4 {
        let absttl = args[4..].iter().any(|a| is(a, "absttl"));
        let ttl = number(args[2])?;
        if ttl > 0 && !absttl {
            let mut out = as_is();
            out[2] = ms(at_ms.saturating_add(ttl));
            out.push(owned("ABSTTL"));
            return Some(out);
        }
    }
    Some(as_is())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::persist::record::LoggedCommand;

    fn record(at_ms: i64, commands: &[(usize, &[&str])]) -> Record {
        Record {
            at_ms,
            commands: commands
                .iter()
                .map(|(db, args)| LoggedCommand {
                    db: *db,
                    args: args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect(),
                })
                .collect(),
        }
    }

    /// The stream as lists of arguments.
    fn commands(out: &[u8]) -> Vec<Vec<String>> {
        let text = String::from_utf8_lossy(out);
        let mut lines = text.split("\r\n");
        let mut all = Vec::new();
        while let Some(header) = lines.next().filter(|l| !l.is_empty()) {
            let count: usize = header[1..].parse().unwrap();
            all.push((0..count).map(|_| lines.nth(1).unwrap().to_owned()).collect());
        }
        all
    }

    fn stream(records: &[Record]) -> Vec<Vec<String>> {
        let mut stream = RedisStream::default();
        let mut out = Vec::new();
        for r in records {
            stream.record(r, 1000, &Covered::default(), &mut out);
        }
        commands(&out)
    }

    #[test]
    fn relative_ttls_become_absolute_and_past_ones_deletions() {
        let at = 1_700_000_000_000;
        let got = stream(&[
            record(at, &[(0, &["set", "k", "v", "EX", "10"])]),
            record(at, &[(0, &["SET", "k", "v", "nx", "px", "5"])]),
            record(at, &[(0, &["setex", "k", "2", "v"])]),
            record(at, &[(0, &["expire", "k", "3", "NX"])]),
            record(at, &[(0, &["pexpireat", "k", "5"])]),
            record(at, &[(0, &["getex", "k", "persist"])]),
            record(at, &[(0, &["getex", "k", "exat", "1700000001"])]),
            record(at, &[(0, &["restore", "k", "100", "payload", "REPLACE"])]),
            record(at, &[(0, &["getdel", "k"])]),
            record(at, &[(0, &["set", "k", "v", "GET"])]),
        ]);
        let expected: Vec<Vec<&str>> = vec![
            vec!["SELECT", "0"],
            vec!["SET", "k", "v", "PXAT", "1700000010000"],
            vec!["SET", "k", "v", "PXAT", "1700000000005"],
            vec!["SET", "k", "v", "PXAT", "1700000002000"],
            vec!["PEXPIREAT", "k", "1700000003000", "NX"],
            vec!["DEL", "k"],
            vec!["PERSIST", "k"],
            vec!["PEXPIREAT", "k", "1700000001000"],
            vec!["restore", "k", "1700000000100", "payload", "REPLACE", "ABSTTL"],
            vec!["DEL", "k"],
            vec!["set", "k", "v"],
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn transactions_of_several_writes_are_wrapped_and_databases_selected() {
        let got = stream(&[
            record(0, &[(0, &["exec"]), (0, &["incr", "a"]), (2, &["incr", "b"])]),
            record(0, &[(0, &["eval", "return 1", "0"])]),
            record(0, &[(2, &["incr", "c"])]),
            record(0, &[(1, &["del", "d"])]),
        ]);
        let expected: Vec<Vec<&str>> = vec![
            vec!["SELECT", "0"],
            vec!["MULTI"],
            vec!["incr", "a"],
            vec!["SELECT", "2"],
            vec!["incr", "b"],
            vec!["EXEC"],
            vec!["incr", "c"],
            vec!["SELECT", "1"],
            vec!["del", "d"],
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn what_the_file_holds_is_left_out() {
        let mut covered = Covered { slot_lsns: vec![0; crate::engine::slot::SLOT_COUNT], functions_lsn: 50 };
        let slot = usize::from(crate::engine::slot::key_slot(b"k"));
        covered.slot_lsns[slot] = 100;
        let mut stream = RedisStream::default();
        let mut out = Vec::new();
        stream.record(&record(0, &[(0, &["incr", "k"])]), 99, &covered, &mut out);
        stream.record(&record(0, &[(0, &["function", "load", "code"])]), 49, &covered, &mut out);
        stream.record(&record(0, &[(0, &["xgroup", "setid", "k", "g", "1-0"])]), 99, &covered, &mut out);
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
        stream.record(&record(0, &[(0, &["incr", "k"])]), 100, &covered, &mut out);
        stream.record(&record(0, &[(0, &["flushall"])]), 0, &covered, &mut out);
        // A message is never in the file, whatever its shard channel's slot.
        stream.record(&record(0, &[(0, &["spublish", "k", "m"])]), 99, &covered, &mut out);
        let expected: Vec<Vec<&str>> =
            vec![vec!["SELECT", "0"], vec!["incr", "k"], vec!["flushall"], vec!["spublish", "k", "m"]];
        assert_eq!(commands(&out), expected);
    }
}
