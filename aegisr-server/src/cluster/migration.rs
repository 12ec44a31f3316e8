//! Live resharding, run by the source group's primary: mark a batch of slots migrating
//! (one Raft entry), copy their keys to the target's primary while serving (each key is
//! sent with RESTORE after ASKING over the target's gRPC door, then deleted here only if it
//! did not change meanwhile), then flip ownership (one Raft entry). During the move a key
//! missing here is asked for at the target (`-ASK`), as in Redis Cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aegisr_proto::Client;
use bytes::Bytes;

use super::control::ControlPlane;
use super::map::{Change, ChangeError, ClusterMap, GroupId};
use crate::server::Server;

/// Slots marked migrating together (one Raft entry to begin, one to finish).
const SLOTS_PER_BATCH: usize = 512;
/// Keys copied per round trip to the target.
const KEYS_PER_ROUND: usize = 128;
/// Rounds (10 ms apart) a target may redirect while it catches up with the map.
const TARGET_CATCH_UP_TRIES: u32 = 500;
/// How long the source waits for the target to apply a batch's flip before redirecting its
/// slots with MOVED anyway.
const HANDOFF_WAIT: Duration = Duration::from_secs(2);

/// Moves, in batches, the slots this node's group must give away by the map's rebalance
/// plan, until there are none. Only a group's primary moves its slots.
pub async fn rebalance(server: Arc<Server>, control: Arc<ControlPlane>) -> anyhow::Result<u64> {
    let me = control.me();
    let mut moved = 0;
    loop {
        let map = control.map();
        let Some(mine) = map.members.get(&me).and_then(|m| m.group).filter(|_| map.is_primary(me)) else {
            return Ok(moved);
        };
        // Finish what a previous run left migrating from this group first.
        let mut batch: Vec<(u16, GroupId)> =
            map.migrations.iter().filter(|(_, m)| m.from == mine).map(|(s, m)| (*s, m.to)).collect();
        let resuming = !batch.is_empty();
        if !resuming {
            batch = map.rebalance_plan().into_iter().filter(|(slot, _)| map.owner(*slot) == Some(mine)).collect();
        }
        let Some(&(_, to)) = batch.first() else { return Ok(moved) };
        let slots: Vec<u16> = batch.iter().filter(|(_, t)| *t == to).map(|(s, _)| *s).take(SLOTS_PER_BATCH).collect();
        if !resuming {
            propose(&control, Change::BeginMigrations { slots: slots.clone(), to }).await?;
        }
        wait_for_map(&server, Duration::from_secs(10), |m| slots.iter().all(|s| m.migrations.contains_key(s))).await?;
        let target = target_address(&control.map(), to)?;
        let source = super::endpoint::source_addr(&server.config);
        let channel = super::endpoint::endpoint(target.clone(), source)?
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the target primary at {target}: {e}"))?;
        // The nodes of a cluster share their password (requirepass), as Redis's nodes
        // share masterauth: the target's Data service may require it.
        let password = server.config.string("requirepass");
        let mut client = if password.is_empty() {
            Client::from_channel(channel)
        } else {
            Client::with_credentials(channel, None, &password)?
        };
        for &slot in &slots {
            moved += move_keys(&server, &mut client, slot).await?;
        }
        // The last pass: no write admitted earlier is still to run, none is admitted
        // meanwhile, so nothing is left behind when the slots flip.
        {
            let _closed = server.migration_fence.close().await;
            for &slot in &slots {
                moved += move_keys(&server, &mut client, slot).await?;
            }
        }
        let finished = propose(&control, Change::FinishMigrations { slots: slots.clone() }).await;
        confirm_handoff(&server, &mut client, &slots, to).await;
        finished?;
        tracing::info!("moved {} slots to group {to} ({moved} keys so far)", slots.len());
    }
}

/// Writes admitted to slots this node is migrating away (see `commands::redirect`), and
/// whether a migration's last pass has them paused.
#[derive(Debug, Default)]
pub struct WriteFence {
    admitted: AtomicUsize,
    closed: AtomicBool,
}

/// A write admitted through the fence, until it has run.
#[derive(Debug)]
pub struct Admitted(Arc<WriteFence>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The fence closed for a last pass; it opens when dropped.
struct Closed<'a>(&'a WriteFence);

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.0.closed.store(false, Ordering::SeqCst);
    }
}

impl WriteFence {
    /// Admits a write, unless a last pass runs (the caller answers TRYAGAIN). Counted
    /// before the check, so a closing pass either sees it or it sees the pass (SeqCst).
    pub fn admit(self: &Arc<Self>) -> Option<Admitted> {
        self.admitted.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Admitted(self.clone()))
    }

    /// Pauses new writes and waits for the admitted ones to have run.
    async fn close(&self) -> Closed<'_> {
        self.closed.store(true, Ordering::SeqCst);
        let closed = Closed(self);
        while self.admitted.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        closed
    }
}

async fn propose(control: &ControlPlane, change: Change) -> anyhow::Result<()> {
    match control.propose(change).await? {
        Ok(()) => Ok(()),
        // Another run got there first: the state it leaves is the one wanted.
        Err(ChangeError::AlreadyMigrating(_) | ChangeError::NotMigrating(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Waits until this node's routing shows a map for which `ready` holds.
async fn wait_for_map(server: &Server, within: Duration, ready: impl Fn(&ClusterMap) -> bool) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if server.router.get().is_some_and(|r| ready(&r.load().map)) {
            return Ok(());
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "the cluster map did not arrive in time");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until the target routes by a map in which it owns `slots` (its `CLUSTER INFO`
/// epoch reaches the one this node's routing has them flipped at; epochs only grow along
/// the log), at most [`HANDOFF_WAIT`]; until then this node sends their clients to the
/// target with ASK rather than MOVED (see `Routing::handed_off`).
async fn confirm_handoff(server: &Server, client: &mut Client, slots: &[u16], to: GroupId) {
    let flipped = |m: &ClusterMap| slots.iter().all(|s| m.owner(*s) == Some(to));
    if wait_for_map(server, HANDOFF_WAIT, flipped).await.is_ok() {
        let epoch = server.router.get().map_or(0, |r| r.load().map.epoch);
        let deadline = tokio::time::Instant::now() + HANDOFF_WAIT;
        loop {
            let theirs = client.execute(["CLUSTER", "INFO"]).await.ok().and_then(|reply| {
                reply
                    .as_str()?
                    .lines()
                    .find_map(|l| l.strip_prefix("cluster_current_epoch:")?.trim().parse::<u64>().ok())
            });
            if theirs.is_some_and(|e| e >= epoch) {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::debug!(
                    "the target of {} slots did not show their flip within {} s",
                    slots.len(),
                    HANDOFF_WAIT.as_secs()
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    if let Some(router) = server.router.get() {
        router.handoff_confirmed(slots);
    }
}

fn target_address(map: &ClusterMap, group: GroupId) -> anyhow::Result<String> {
    let primary = map.primary_of(group).ok_or_else(|| anyhow::anyhow!("group {group} has no primary"))?;
    Ok(format!("http://{}", super::control::address(&primary.host, primary.grpc_port)))
}

/// Copies every key of `slot` to the target and deletes it here; returns how many moved.
async fn move_keys(server: &Server, client: &mut Client, slot: u16) -> anyhow::Result<u64> {
    let mut moved = 0;
    let mut target_waits = 0;
    loop {
        let keys = server.keyspace.keys_in_slot(0, slot, KEYS_PER_ROUND, None);
        if keys.is_empty() {
            return Ok(moved);
        }
        let dumped: Vec<(Bytes, Vec<u8>, i64)> =
            keys.into_iter().filter_map(|k| dump(server, &k).map(|(p, at)| (k, p, at))).collect();
        let mut commands = Vec::with_capacity(dumped.len() * 2);
        for (key, payload, at) in &dumped {
            commands.push(vec![Bytes::from_static(b"ASKING")]);
            commands.push(vec![
                Bytes::from_static(b"RESTORE"),
                key.clone(),
                Bytes::from(at.to_string()),
                Bytes::from(payload.clone()),
                Bytes::from_static(b"REPLACE"),
                Bytes::from_static(b"ABSTTL"),
            ]);
        }
        let replies = client.pipeline(commands).await.map_err(|e| anyhow::anyhow!("sending keys: {e}"))?;
        let refused = replies.iter().find_map(|reply| match &reply.kind {
            Some(aegisr_proto::v1::reply::Kind::Error(e)) => Some(e.message.clone()),
            _ => None,
        });
        if let Some(refused) = refused {
            // The target applies the map a moment after the leader: until it knows the
            // slot is coming, it redirects. Anything else is an error.
            anyhow::ensure!(
                refused.starts_with("MOVED") && target_waits < TARGET_CATCH_UP_TRIES,
                "the target refused a key of slot {slot}: {refused}"
            );
            target_waits += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        for (key, payload, _) in &dumped {
            if delete_if_unchanged(server, key, payload) {
                moved += 1;
            }
        }
    }
}

/// The key's DUMP payload and absolute deadline (0: none), if it is (still) here.
fn dump(server: &Server, key: &[u8]) -> Option<(Vec<u8>, i64)> {
    let mut locked = server.keyspace.lock_key(0, key);
    let payload = crate::commands::dump::payload(locked.peek(key)?.value());
    let at = locked.expiry(key).flatten().unwrap_or(0);
    Some((payload, at))
}

/// Deletes `key` (journaled, so replicas and recovery see it) if its value is still the
/// one sent; a key written meanwhile stays and is sent again.
fn delete_if_unchanged(server: &Server, key: &Bytes, sent: &[u8]) -> bool {
    let args: [&[u8]; 2] = [b"DEL", key];
    let logged = server.keyspace.persistent();
    if logged {
        crate::persist::capture::arm(0, &args, None);
    }
    let deleted = {
        let mut locked = server.keyspace.lock_key(0, key);
        let same = locked.peek(key).is_some_and(|e| crate::commands::dump::payload(e.value()) == sent);
        same && locked.remove(key).is_some()
    };
    if logged {
        crate::persist::capture::disarm();
        let _ = crate::persist::capture::take_last_end();
    }
    deleted
}
