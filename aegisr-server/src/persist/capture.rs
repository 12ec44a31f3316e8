//! What the command running on this thread writes to the journal.
//!
//! A write command is armed here (its arguments encoded once) before it runs; the engine's
//! [`crate::engine::Locked`] appends it to the journal when it releases its shards, if it
//! changed something. Appending under the shard locks is what orders the journal: two
//! commands on one shard are logged in the order they ran. Inside EXEC the commands collect
//! into one batch that EXEC appends as a single record while it still holds its shards, so
//! a transaction replays all or nothing.

use std::cell::RefCell;

use super::journal::Journal;
use super::record;

#[derive(Default)]
struct Capture {
    /// The running command's body (`record::put_command` form) while armed.
    body: Vec<u8>,
    /// How many commands `body` holds: 1, or what [`log_as_many`] gave (0: log nothing).
    count: usize,
    armed: bool,
    /// Inside EXEC: the bodies of its commands that changed something, and their count.
    batch: Vec<u8>,
    batch_count: usize,
    batch_at: i64,
    in_batch: bool,
    /// End of the last record this thread appended, for `appendfsync always`.
    last_end: u64,
    /// The hash slots of the armed command's keys, worked out only while a snapshot
    /// runs; `None`: not known (every slot of its shards counts).
    slots: Option<smallvec::SmallVec<[u16; 4]>>,
}

thread_local! {
    static CAPTURE: RefCell<Capture> = RefCell::new(Capture::default());
}

/// Arms the journal for a write command about to run in `db`; `slots` are its keys'
/// hash slots when a snapshot is running (see `Keyspace::settle_snapshot`).
pub(crate) fn arm(db: usize, args: &[&[u8]], slots: Option<smallvec::SmallVec<[u16; 4]>>) {
    CAPTURE.with_borrow_mut(|c| {
        c.body.clear();
        record::put_command(&mut c.body, db, args);
        c.count = 1;
        c.armed = true;
        c.slots = slots;
    });
}

/// The armed command's key slots, if known.
pub(crate) fn slots() -> Option<smallvec::SmallVec<[u16; 4]>> {
    CAPTURE.with_borrow(|c| c.slots.clone())
}

/// Logs `args` instead of the command's own arguments (SPOP as SREM of what it popped):
/// for the few commands whose effect is not a function of their arguments and the data.
/// Call it before releasing the shards.
pub(crate) fn log_as(db: usize, args: &[&[u8]]) {
    CAPTURE.with_borrow_mut(|c| {
        if c.armed {
            c.body.clear();
            record::put_command(&mut c.body, db, args);
            c.count = 1;
        }
    });
}

/// The commands a command is logged as when Redis propagates it as several others, or
/// as none (XREADGROUP as an XCLAIM per entry it delivered, nothing when it delivered
/// nothing): encoded as they are added, for [`log_as_many`].
#[derive(Debug)]
pub(crate) struct Logged {
    db: usize,
    body: Vec<u8>,
    count: usize,
}

impl Logged {
    /// No commands yet, to be logged as run in `db`.
    pub(crate) fn new(db: usize) -> Logged {
        Logged { db, body: Vec::new(), count: 0 }
    }

    /// Adds a command (its arguments, name first).
    pub(crate) fn push(&mut self, args: &[&[u8]]) {
        record::put_command(&mut self.body, self.db, args);
        self.count += 1;
    }

    /// How many commands, and their body as a record holds them.
    #[cfg(test)]
    pub(crate) fn encoded(&self) -> (usize, &[u8]) {
        (self.count, &self.body)
    }
}

/// Logs `logged` instead of the command's own arguments. Several commands make one record,
/// as a transaction's do: replayed together, and sent to a Redis replica between MULTI and
/// EXEC, as Redis wraps what one command propagates; none logs nothing. Call it before
/// releasing the shards.
pub(crate) fn log_as_many(logged: &Logged) {
    CAPTURE.with_borrow_mut(|c| {
        if c.armed {
            c.body.clear();
            c.body.extend_from_slice(&logged.body);
            c.count = logged.count;
        }
    });
}

/// Logs nothing for the running command, unless it says otherwise later (`log_as_many`):
/// for a command logged only as what it turns out to do, which fails or does nothing after
/// it has looked its keys up.
pub(crate) fn log_nothing() {
    CAPTURE.with_borrow_mut(|c| c.count = 0);
}

/// Logs a pop as Redis propagates it: `<name> key`, or `<name> key <count>` with the
/// count popped (LMPOP as LPOP, BZPOPMIN as ZPOPMIN...).
pub(crate) fn log_pop(db: usize, name: &[u8], key: &[u8], count: Option<usize>) {
    match count {
        Some(n) => log_as(db, &[name, key, itoa::Buffer::new().format(n).as_bytes()]),
        None => log_as(db, &[name, key]),
    }
}

/// Whether a write command is running on this thread (armed and not yet logged).
pub(crate) fn armed() -> bool {
    CAPTURE.with_borrow(|c| c.armed)
}

/// Forgets an armed command that changed nothing.
pub(crate) fn disarm() {
    CAPTURE.with_borrow_mut(|c| {
        c.armed = false;
        release_if_big(&mut c.body);
    });
}

/// The room a thread's record buffers keep between commands: a big command's (a SADD of
/// 100,000 members) is freed once logged, not kept for the thread's life.
const KEEP_AT_MOST: usize = 64 * 1024;

fn release_if_big(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEEP_AT_MOST {
        *buffer = Vec::new();
    }
}

/// Appends the armed command (once) at time `at_ms`: to the journal, or to the
/// transaction's batch inside EXEC. Called with the command's shards still held.
pub(crate) fn commit(journal: &Journal, at_ms: i64) {
    CAPTURE.with_borrow_mut(|c| {
        if !c.armed {
            return;
        }
        c.armed = false;
        if c.count == 0 {
            // The command logged itself as nothing (`log_as_many`).
        } else if c.in_batch {
            if c.batch_count == 0 {
                c.batch_at = at_ms;
            }
            c.batch.extend_from_slice(&c.body);
            c.batch_count += c.count;
        } else {
            // Several commands for one: a record of the transaction kind, so they replay
            // (and reach a replica) together.
            let multi = (c.count > 1).then_some(c.count);
            c.last_end = journal.append(at_ms, multi, &c.body);
        }
        release_if_big(&mut c.body);
    });
}

/// Appends `DEL key` in `db` at once: a deletion the engine makes on its own (eviction),
/// outside any command's record. Call it with the key's shard held.
pub(crate) fn log_deletion(journal: &Journal, db: usize, key: &[u8]) {
    let mut body = Vec::with_capacity(key.len() + 16);
    record::put_command(&mut body, db, &[b"DEL", key]);
    journal.append(crate::engine::now_ms(), None, &body);
}

/// Appends `args` in `db`, a command that changes no data but that Redis sends its
/// replicas (PUBLISH, see `persist::messages`), in the order it ran: into the running
/// transaction's or script's record when there is one (Redis sends it between their MULTI
/// and EXEC), else as a record of its own at once. Returns the end of the record appended
/// (0 inside a transaction, whose record EXEC appends).
pub(crate) fn log_unarmed(journal: &Journal, db: usize, args: &[&[u8]]) -> u64 {
    CAPTURE.with_borrow_mut(|c| {
        if c.in_batch {
            if c.batch_count == 0 {
                c.batch_at = crate::engine::now_ms();
            }
            record::put_command(&mut c.batch, db, args);
            c.batch_count += 1;
            return 0;
        }
        let mut body = Vec::with_capacity(args.iter().map(|a| a.len() + 4).sum::<usize>() + 4);
        record::put_command(&mut body, db, args);
        journal.append(crate::engine::now_ms(), None, &body)
    })
}

/// Appends `DEL key` for a key that expired (met expired by a command, or swept), while a
/// replica streams the writes (`Backlog::enabled`): a Redis replica deletes an expired key
/// only when its master says so. Replay needs none of these (it runs on the logged
/// clock, so keys expire as they did), so without replicas nothing is logged. Call it with
/// the key's shard held.
pub(crate) fn log_expiry(journal: &Journal, db: usize, key: &[u8]) {
    if journal.backlog().enabled() {
        log_deletion(journal, db, key);
    }
}

/// Runs `f` with this thread's capture set aside: commands `f` runs on another node's
/// keyspace (DEBUG LOADAOF's staging node) neither see nor change what the command running
/// here has armed or batched.
pub(crate) fn isolated<T>(f: impl FnOnce() -> T) -> T {
    let saved = CAPTURE.with_borrow_mut(std::mem::take);
    let result = f();
    CAPTURE.with_borrow_mut(|c| *c = saved);
    result
}

/// Starts collecting a transaction's commands (EXEC, shards held).
pub(crate) fn begin_batch() {
    CAPTURE.with_borrow_mut(|c| {
        c.in_batch = true;
        c.batch.clear();
        c.batch_count = 0;
    });
}

/// Appends the transaction's commands as one record; call it before releasing the shards.
pub(crate) fn end_batch(journal: Option<&Journal>) {
    CAPTURE.with_borrow_mut(|c| {
        c.in_batch = false;
        if c.batch_count > 0
            && let Some(journal) = journal
        {
            c.last_end = journal.append(c.batch_at, Some(c.batch_count), &c.batch);
        }
        c.batch_count = 0;
        c.batch.clear();
        release_if_big(&mut c.batch);
    });
}

/// The end of the last record this thread appended, cleared: what the caller's reply must
/// wait for under `appendfsync always`.
pub(crate) fn take_last_end() -> u64 {
    CAPTURE.with_borrow_mut(|c| std::mem::take(&mut c.last_end))
}
