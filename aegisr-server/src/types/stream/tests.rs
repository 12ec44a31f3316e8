//! The stream against a plain ordered map of entries: appends, ranges both ways, deletion
//! and trimming, across block boundaries.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

type Model = BTreeMap<StreamId, Vec<(Vec<u8>, Vec<u8>)>>;

fn small() -> StreamLimits {
    StreamLimits { node_max_entries: 4, node_max_bytes: 64 }
}

fn pairs_of(entry: &EntryRef<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    entry.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
}

fn flat(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect()
}

fn model_range(model: &Model, start: StreamId, end: StreamId, rev: bool, count: usize) -> Vec<StreamId> {
    if start > end {
        return Vec::new();
    }
    let ids = model.range(start..=end).map(|(id, _)| *id);
    let limit = if count == 0 { usize::MAX } else { count };
    if rev { ids.rev().take(limit).collect() } else { ids.take(limit).collect() }
}

fn check(stream: &Stream, model: &Model) {
    assert_eq!(stream.len(), model.len() as u64);
    let all = stream.range(StreamId::MIN, StreamId::MAX, false, 0);
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), model.keys().copied().collect::<Vec<_>>());
    for entry in &all {
        assert_eq!(&pairs_of(entry), &model[&entry.id]);
    }
    assert_eq!(stream.first_id(), model.keys().next().copied().unwrap_or_default());
    assert_eq!(stream.last_live_id(), model.keys().next_back().copied().unwrap_or_default());
}

#[derive(Debug, Clone)]
enum Op {
    Add { ms_step: u64, seq: u64, fields: Vec<(u8, u8)> },
    Delete(usize),
    TrimLen(u64, bool),
    TrimMin(usize, bool),
    Range { a: usize, b: usize, rev: bool, count: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..3, 0u64..200, prop::collection::vec((0u8..3, any::<u8>()), 1..4))
            .prop_map(|(ms_step, seq, fields)| Op::Add { ms_step, seq, fields }),
        2 => any::<usize>().prop_map(Op::Delete),
        1 => (0u64..30, any::<bool>()).prop_map(|(n, a)| Op::TrimLen(n, a)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, a)| Op::TrimMin(i, a)),
        2 => (any::<usize>(), any::<usize>(), any::<bool>(), 0usize..5)
            .prop_map(|(a, b, rev, count)| Op::Range { a, b, rev, count }),
    ]
}

proptest! {
    #[test]
    fn matches_an_ordered_map(ops in prop::collection::vec(op(), 1..120)) {
        let mut stream = Stream::new();
        let mut model = Model::new();
        // Every ID ever added, so that operations also name deleted and trimmed ones.
        let mut seen: Vec<StreamId> = Vec::new();
        for op in ops {
            match op {
                Op::Add { ms_step, seq, fields } => {
                    let last = stream.last_id();
                    let id = StreamId::new(last.ms + ms_step, if ms_step == 0 { last.seq + 1 + seq } else { seq });
                    let pairs: Vec<(Vec<u8>, Vec<u8>)> =
                        fields.iter().map(|(f, v)| (vec![b'f', *f], vec![*v; usize::from(*v % 7)])).collect();
                    let got = stream.add(NewId::Explicit(id), &flat(&pairs), 0, small());
                    if id == StreamId::MIN {
                        prop_assert_eq!(got, Err(AddError::NotGreater));
                    } else {
                        prop_assert_eq!(got, Ok(id));
                        model.insert(id, pairs);
                        seen.push(id);
                    }
                }
                Op::Delete(i) if !seen.is_empty() => {
                    let id = seen[i % seen.len()];
                    prop_assert_eq!(stream.delete(id), model.remove(&id).is_some());
                }
                Op::Delete(_) => {}
                Op::TrimLen(max, approx) => {
                    let before = model.len() as u64;
                    let removed = stream.trim(Trim::MaxLen(max), approx, 0);
                    for _ in 0..removed {
                        model.pop_first();
                    }
                    if approx {
                        prop_assert!(stream.len() >= max.min(before));
                    } else {
                        prop_assert_eq!(stream.len(), max.min(before));
                    }
                }
                Op::TrimMin(i, approx) if !seen.is_empty() => {
                    let min = seen[i % seen.len()];
                    let removed = stream.trim(Trim::MinId(min), approx, 0);
                    let below = model.range(..min).count() as u64;
                    if approx {
                        prop_assert!(removed <= below);
                    } else {
                        prop_assert_eq!(removed, below);
                    }
                    for _ in 0..removed {
                        model.pop_first();
                    }
                }
                Op::TrimMin(..) => {}
                Op::Range { a, b, rev, count } if !seen.is_empty() => {
                    let (start, end) = (seen[a % seen.len()], seen[b % seen.len()]);
                    let got: Vec<StreamId> = stream.range(start, end, rev, count).iter().map(|e| e.id).collect();
                    prop_assert_eq!(got, model_range(&model, start, end, rev, count));
                }
                Op::Range { .. } => {}
            }
            check(&stream, &model);
        }
    }
}

#[test]
fn auto_ids_follow_the_clock_and_the_last_id() {
    let mut s = Stream::new();
    let limits = StreamLimits::default();
    assert_eq!(s.add(NewId::Auto, &[b"a", b"1"], 100, limits), Ok(StreamId::new(100, 0)));
    assert_eq!(s.add(NewId::Auto, &[b"a", b"1"], 100, limits), Ok(StreamId::new(100, 1)));
    // A clock going backwards does not move IDs back.
    assert_eq!(s.add(NewId::Auto, &[b"a", b"1"], 50, limits), Ok(StreamId::new(100, 2)));
    assert_eq!(s.add(NewId::AutoSeq(100), &[b"a", b"1"], 0, limits), Ok(StreamId::new(100, 3)));
    assert_eq!(s.add(NewId::AutoSeq(99), &[b"a", b"1"], 0, limits), Err(AddError::NotGreater));
    assert_eq!(s.add(NewId::AutoSeq(200), &[b"a", b"1"], 0, limits), Ok(StreamId::new(200, 0)));
    assert_eq!(s.add(NewId::Explicit(StreamId::new(200, 0)), &[b"a", b"1"], 0, limits), Err(AddError::NotGreater));
    assert_eq!(s.add(NewId::Explicit(StreamId::MAX), &[b"a", b"1"], 0, limits), Ok(StreamId::MAX));
    assert_eq!(s.add(NewId::Auto, &[b"a", b"1"], 0, limits), Err(AddError::Exhausted));
    assert_eq!((s.len(), s.entries_added()), (6, 6));
}

#[test]
fn blocks_split_at_the_entry_limit_and_approximate_trims_drop_whole_blocks() {
    let mut s = Stream::new();
    let limits = StreamLimits { node_max_entries: 100, node_max_bytes: 4096 };
    for i in 1..=1000 {
        s.add(NewId::Explicit(StreamId::new(i, 0)), &[b"f", b"v"], 0, limits).unwrap();
    }
    assert_eq!(s.block_count(), 10);
    assert_eq!(s.trim(Trim::MaxLen(950), true, 0), 0, "no whole block can go");
    assert_eq!(s.trim(Trim::MaxLen(850), true, 0), 100);
    assert_eq!(s.trim(Trim::MaxLen(850), false, 0), 50);
    assert_eq!(s.len(), 850);
    assert_eq!(s.first_id(), StreamId::new(151, 0));
    // LIMIT counts whole blocks: a block of 50 live entries fits, the next 100 do not.
    assert_eq!(s.trim(Trim::MaxLen(0), true, 120), 50);
    assert_eq!(s.trim(Trim::MinId(StreamId::new(450, 0)), true, 0), 200);
    assert_eq!(s.trim(Trim::MinId(StreamId::new(450, 0)), false, 0), 49);
    assert_eq!(s.first_id(), StreamId::new(450, 0));
}

#[test]
fn deletion_tracks_first_and_max_deleted_ids() {
    let mut s = Stream::new();
    for i in 1..=5 {
        s.add(NewId::Explicit(StreamId::new(i, 0)), &[b"f", b"v"], 0, StreamLimits::default()).unwrap();
    }
    assert!(s.delete(StreamId::new(3, 0)));
    assert!(!s.delete(StreamId::new(3, 0)));
    assert_eq!(s.max_deleted_id(), StreamId::new(3, 0));
    assert!(s.delete(StreamId::new(1, 0)));
    assert_eq!(s.first_id(), StreamId::new(2, 0));
    assert_eq!(s.max_deleted_id(), StreamId::new(3, 0));
    for i in [2, 4, 5] {
        assert!(s.delete(StreamId::new(i, 0)));
    }
    assert_eq!((s.len(), s.first_id(), s.last_id()), (0, StreamId::MIN, StreamId::new(5, 0)));
    assert_eq!(s.block_count(), 0);
}

#[test]
fn group_lag_and_delivery() {
    let mut s = Stream::new();
    let limits = StreamLimits::default();
    for i in 1..=4 {
        s.add(NewId::Explicit(StreamId::new(i, 0)), &[b"f", b"v"], 0, limits).unwrap();
    }
    assert!(s.create_group(b"g", StreamId::MIN, ENTRIES_READ_UNKNOWN));
    assert!(!s.create_group(b"g", StreamId::MIN, 0));
    assert_eq!(s.lag(s.group(b"g").unwrap()), Some(4));
    let alice: Arc<[u8]> = Arc::from(&b"alice"[..]);
    s.group_mut(b"g").unwrap().consumer(b"alice", 10);
    let got = s.read_new(b"g", &alice, 3, false, 10).unwrap();
    assert_eq!(got, [StreamId::new(1, 0), StreamId::new(2, 0), StreamId::new(3, 0)]);
    let g = s.group(b"g").unwrap();
    assert_eq!((g.entries_read, g.pel.len(), g.last_id), (3, 3, StreamId::new(3, 0)));
    assert_eq!(s.lag(g), Some(1));
    // A deletion after the group's position makes the lag unknown.
    s.delete(StreamId::new(4, 0));
    assert_eq!(s.lag(s.group(b"g").unwrap()), None);
    // The history: re-delivery counts; deleted entries are reported missing.
    s.delete(StreamId::new(2, 0));
    let history = s.read_history(b"g", b"alice", StreamId::MIN, 0, 20).unwrap();
    assert_eq!(history, [(StreamId::new(1, 0), true), (StreamId::new(2, 0), false), (StreamId::new(3, 0), true)]);
    assert_eq!(s.group(b"g").unwrap().pel[&StreamId::new(1, 0)].delivery_count, 2);
    // XAUTOCLAIM drops the deleted one and claims the idle ones.
    let request = AutoClaim { min_idle: 5, start: StreamId::MIN, count: 10, justid: false };
    let claimed = s.auto_claim(b"g", b"bob", request, 30).unwrap();
    assert_eq!(claimed.claimed, [StreamId::new(1, 0), StreamId::new(3, 0)]);
    assert_eq!(claimed.deleted, [StreamId::new(2, 0)]);
    assert_eq!(claimed.next, StreamId::MIN);
    let g = s.group(b"g").unwrap();
    assert!(g.consumers[&b"alice"[..]].pending.is_empty());
    assert_eq!(g.consumers[&b"bob"[..]].pending.len(), 2);
    // Delivered, re-read from the history, then claimed.
    assert_eq!(g.pel[&StreamId::new(3, 0)].delivery_count, 3);
}
