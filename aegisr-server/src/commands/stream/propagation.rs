//! What the consumer-group reads and claims are logged as: the commands Redis 7.0
//! propagates for them (t_stream.c), which set the group's state to what the command left
//! rather than run it again. XREADGROUP and XCLAIM depend on the clock (delivery times,
//! XCLAIM's IDLE and min-idle-time) and on the group as it was; run again on a replica, or
//! from the journal, they would deliver or claim something else.
//!
//! * each PEL entry a command delivered or claimed: `XCLAIM key group consumer 0 id TIME
//!   <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <group's last id>`
//!   (`streamPropagateXCLAIM`); a pending entry dropped because its stream entry is gone,
//!   the same with what it was (the XCLAIM drops it wherever it is run);
//! * the group's last id moved by an XREADGROUP with NOACK (no XCLAIM carries it), or by
//!   XCLAIM's LASTID when nothing was claimed: `XGROUP SETID key group <id> ENTRIESREAD
//!   <n>` (`streamPropagateGroupID`);
//! * a consumer XREADGROUP created that no XCLAIM creates: `XGROUP CREATECONSUMER key
//!   group consumer` (`streamPropagateConsumerCreation`).
//!
//! Two things go beyond Redis 7.0, which leaves its replicas and its AOF behind there: an
//! XREADGROUP reading a consumer's history counts each entry it finds as delivered again
//! (time and count), logged here as the XCLAIM that sets it, so a replica and a restarted
//! node keep the counts XPENDING shows; and a consumer created by a read that delivered
//! nothing is logged as created (as Redis does since redis/redis#14963). What Redis 7.0 does
//! propagate keeps its exact form: its own test suite reads it (multi.tcl).

use crate::persist::capture::Logged;
use crate::types::stream::{Pending, Stream, StreamId};

/// `XCLAIM` setting the pending entry `at` of `group` to `pending`.
fn claim(log: &mut Logged, key: &[u8], group: &[u8], at: StreamId, pending: &Pending, last_id: StreamId) {
    let (at, last_id) = (at.format(), last_id.format());
    let (mut time, mut count) = (itoa::Buffer::new(), itoa::Buffer::new());
    log.push(&[
        b"XCLAIM",
        key,
        group,
        &pending.consumer,
        b"0",
        &at,
        b"TIME",
        time.format(pending.delivery_time).as_bytes(),
        b"RETRYCOUNT",
        count.format(pending.delivery_count).as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        &last_id,
    ]);
}

/// `XGROUP SETID` setting the group's last id and read counter.
fn set_id(log: &mut Logged, key: &[u8], group: &[u8], last_id: StreamId, entries_read: i64) {
    let last_id = last_id.format();
    let mut read = itoa::Buffer::new();
    log.push(&[b"XGROUP", b"SETID", key, group, &last_id, b"ENTRIESREAD", read.format(entries_read).as_bytes()]);
}

/// `XGROUP CREATECONSUMER`.
fn create_consumer(log: &mut Logged, key: &[u8], group: &[u8], consumer: &[u8]) {
    log.push(&[b"XGROUP", b"CREATECONSUMER", key, group, consumer]);
}

/// Logs an XREADGROUP `>` that delivered `ids` to `consumer` (`created`: by this read) as
/// Redis 7.0 propagates it: an XCLAIM per entry, each carrying the group's last id as it
/// then was; with NOACK the consumer's creation and the group's new last id instead.
pub(super) fn read_new(
    log: &mut Logged,
    stream: &Stream,
    key: &[u8],
    group: &[u8],
    (consumer, created): (&[u8], bool),
    noack: bool,
    ids: &[StreamId],
) {
    let Some(g) = stream.group(group) else { return };
    if created && (noack || ids.is_empty()) {
        create_consumer(log, key, group, consumer);
    }
    if noack {
        if !ids.is_empty() {
            set_id(log, key, group, g.last_id, g.entries_read);
        }
        return;
    }
    for &id in ids {
        if let Some(pending) = g.pel.get(&id) {
            // Each delivered entry is past the group's last id before it: its own id.
            claim(log, key, group, id, pending, id);
        }
    }
}

/// Logs an XREADGROUP of `consumer`'s history: an XCLAIM per entry delivered again (with
/// its new time and count), and the consumer's creation when the read created it.
pub(super) fn read_history(
    log: &mut Logged,
    stream: &Stream,
    key: &[u8],
    group: &[u8],
    (consumer, created): (&[u8], bool),
    found: &[(StreamId, bool)],
) {
    let Some(g) = stream.group(group) else { return };
    if created {
        // A new consumer has no history: no XCLAIM creates it.
        create_consumer(log, key, group, consumer);
    }
    for &(id, exists) in found {
        if let Some(pending) = g.pel.get(&id).filter(|_| exists) {
            claim(log, key, group, id, pending, g.last_id);
        }
    }
}

/// What XCLAIM and XAUTOCLAIM are logged as: an XCLAIM setting each PEL entry they
/// changed, with the group's last id; or, when they changed none but XCLAIM's LASTID moved
/// the group (`moved`), the group's new last id.
pub(super) fn claims(
    log: &mut Logged,
    stream: &Stream,
    key: &[u8],
    group: &[u8],
    changes: &[(StreamId, Pending)],
    moved: bool,
) {
    let Some(g) = stream.group(group) else { return };
    for (id, pending) in changes {
        claim(log, key, group, *id, pending, g.last_id);
    }
    if changes.is_empty() && moved {
        set_id(log, key, group, g.last_id, g.entries_read);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::persist::record;

    fn text(log: &Logged) -> Vec<String> {
        let (count, body) = log.encoded();
        let mut frame = Vec::new();
        record::put_frame(&mut frame, 0, Some(count), body);
        let (read, _) = record::read_frame(&frame).unwrap();
        read.commands
            .iter()
            .map(|c| c.args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn the_forms_are_redis_7_0s() {
        let mut log = Logged::new(3);
        let pending =
            Pending { consumer: Arc::from(&b"alice"[..]), delivery_time: 1_700_000_000_123, delivery_count: 3 };
        claim(&mut log, b"s", b"g", StreamId::new(5, 1), &pending, StreamId::new(7, 0));
        set_id(&mut log, b"s", b"g", StreamId::new(7, 0), -1);
        create_consumer(&mut log, b"s", b"g", b"bob");
        assert_eq!(
            text(&log),
            [
                "XCLAIM s g alice 0 5-1 TIME 1700000000123 RETRYCOUNT 3 FORCE JUSTID LASTID 7-0",
                "XGROUP SETID s g 7-0 ENTRIESREAD -1",
                "XGROUP CREATECONSUMER s g bob",
            ]
        );
    }
}
