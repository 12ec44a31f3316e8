//! Which worker serves which connection. Under `worker-placement adaptive` (the default)
//! connections gather on worker 0 while it keeps up, and spread to the other workers only
//! when it is saturated *and* the machine has a core to spare; when the load falls away
//! they gather again. `spread` keeps the same number of connections on every worker.
//!
//! Why not spread always: a second worker only helps when it gets a core of its own. On a
//! machine whose other cores are busy (the clients themselves, in a benchmark on the same
//! host) two workers share one core with the clients, and each request costs more (cache
//! lines of shards and connections moving between cores, more wake-ups) than on one
//! worker. And with one worker, commands sent by different clients are served in the order
//! they arrived, as one Redis serves them; clients that rely on that (a blocking command
//! sent on one connection, then a write on another without waiting) see Redis's order.
//!
//! The load is read from `/proc` every [`TICK`]: each worker thread's CPU time and the
//! machine's idle time. A connection moves between two of its batches (see
//! `Seat::should_move`), with its session and buffers; its socket is registered with
//! the new worker's event loop.

use std::time::Duration;

/// How often the balancer looks at the load.
pub const TICK: Duration = Duration::from_millis(250);
/// A worker this busy (share of one core) is saturated.
const HOT: f64 = 0.85;
/// A worker below this can take over clients from a saturated one.
const COOL: f64 = 0.5;
/// Cores the machine must have idle before a saturated worker hands clients over.
const SPARE: f64 = 0.6;
/// Below this much CPU for all workers together, connections gather on worker 0 again...
const QUIET: f64 = 0.4;
/// ...once the load has stayed that low this many ticks in a row.
const QUIET_TICKS: u32 = 4;

/// Whether `worker-placement` is `spread` (else `adaptive`).
pub fn spread_configured(config: &crate::config::ConfigStore) -> bool {
    config.string("worker-placement") == "spread"
}

/// The load the balancer saw over its last tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    /// CPU each worker thread used, in cores (0.5: half of one core's time).
    pub busy: Vec<f64>,
    /// Connections each worker serves.
    pub clients: Vec<usize>,
    /// Cores the machine left idle.
    pub spare: f64,
}

/// What the workers do until the next tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// For each worker: how many of its connections leave, and for which worker.
    pub moves: Vec<(usize, usize)>,
    /// The worker that takes the next accepted connection.
    pub place: usize,
}

/// The adaptive policy (see the module docs). `quiet` counts the ticks in a row the load
/// has been low; the caller keeps it between ticks.
pub fn adaptive(load: &Load, quiet: &mut u32) -> Plan {
    let workers = load.busy.len();
    let mut moves = vec![(0, 0); workers];
    let mut busy = load.busy.clone();
    let total: f64 = busy.iter().sum();
    *quiet = if total < QUIET { quiet.saturating_add(1) } else { 0 };
    if *quiet >= QUIET_TICKS {
        for (worker, clients) in load.clients.iter().enumerate().skip(1) {
            moves[worker] = (*clients, 0);
        }
        return Plan { moves, place: 0 };
    }
    let mut spare = load.spare;
    for from in 0..workers {
        if busy[from] < HOT || spare < SPARE || load.clients[from] < 2 {
            continue;
        }
        let Some(to) = least_busy(&busy, |w| w != from && busy[w] < COOL) else { break };
        // Half the difference in load moves, assuming the worker's clients load it evenly;
        // the next tick corrects what that assumption got wrong.
        let share = (busy[from] - busy[to]) / 2.0;
        let leaving =
            ((load.clients[from] as f64 * share / busy[from]).ceil() as usize).clamp(1, load.clients[from] - 1);
        moves[from] = (leaving, to);
        busy[from] -= share;
        busy[to] += share;
        spare -= share;
    }
    // New connections: to the least busy worker already serving, or worker 0; to another
    // only when those are saturated and a core is spare.
    let serving = |w: usize| w == 0 || load.clients[w] > 0 || moves.iter().any(|&(n, to)| n > 0 && to == w);
    let mut place = least_busy(&busy, serving).unwrap_or(0);
    if busy[place] >= HOT && spare >= SPARE {
        place = least_busy(&busy, |_| true).unwrap_or(place);
    }
    Plan { moves, place }
}

/// The `spread` policy: every worker serves as many connections as the others (to one),
/// and accepted connections go to each worker in turn (`next` counts them).
pub fn spread(clients: &[usize], next: usize) -> Plan {
    let workers = clients.len().max(1);
    let fair = clients.iter().sum::<usize>().div_ceil(workers);
    let fewest = (0..clients.len()).min_by_key(|&w| clients[w]).unwrap_or(0);
    let moves = clients.iter().map(|&n| if n > fair { (n - fair, fewest) } else { (0, 0) }).collect();
    Plan { moves, place: next % workers }
}

/// The least busy worker of those `eligible` (the lowest index among equals).
fn least_busy(busy: &[f64], eligible: impl Fn(usize) -> bool) -> Option<usize> {
    (0..busy.len()).filter(|&w| eligible(w)).min_by(|&a, &b| busy[a].total_cmp(&busy[b]))
}

/// Reads the CPU time of the worker threads and of the machine from `/proc` (Linux).
pub struct Sampler {
    /// Each worker thread's `/proc/<pid>/task/<tid>/stat`.
    threads: Vec<String>,
    last: Option<Reading>,
}

#[derive(Clone)]
struct Reading {
    /// Each worker's user + system time, in clock ticks.
    threads: Vec<u64>,
    /// The machine's time since boot, all states, summed over its cores; and idle.
    total: u64,
    idle: u64,
    cores: usize,
}

impl Sampler {
    /// A sampler of the threads whose stat files are given (see [`thread_stat_path`]).
    pub fn new(threads: Vec<String>) -> Sampler {
        Sampler { threads, last: None }
    }

    /// The busy share of each worker and the spare cores since the last call; `None` on
    /// the first call, or where `/proc` cannot be read (the caller then keeps its plan).
    pub fn sample(&mut self) -> Option<(Vec<f64>, f64)> {
        let now = self.read();
        let last = std::mem::replace(&mut self.last, now.clone())?;
        let now = now?;
        // Ticks of one core's time elapsed: the same clock as the threads' times, whatever
        // its rate.
        let per_core = now.total.checked_sub(last.total)? as f64 / now.cores.max(1) as f64;
        if per_core <= 0.0 {
            return None;
        }
        let busy = now.threads.iter().zip(&last.threads).map(|(n, l)| n.saturating_sub(*l) as f64 / per_core).collect();
        let spare = now.idle.saturating_sub(last.idle) as f64 / per_core;
        Some((busy, spare))
    }

    fn read(&self) -> Option<Reading> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let (total, idle, cores) = machine_times(&stat)?;
        let threads = self
            .threads
            .iter()
            .map(|path| std::fs::read_to_string(path).ok().and_then(|s| thread_time(&s)))
            .collect::<Option<Vec<u64>>>()?;
        Some(Reading { threads, total, idle, cores })
    }
}

/// Whether the load can be read at all (Linux); elsewhere connections are spread evenly.
pub fn measurable() -> bool {
    std::path::Path::new("/proc/stat").exists() && thread_stat_path().is_some()
}

/// Where the calling thread's CPU times are (`None` off Linux).
pub fn thread_stat_path() -> Option<String> {
    let own = std::fs::read_link("/proc/thread-self").ok()?;
    Some(format!("/proc/{}/stat", own.display()))
}

/// From `/proc/stat`: all the machine's time (every state of every core), its idle time
/// (idle and iowait), and its number of cores.
fn machine_times(stat: &str) -> Option<(u64, u64, usize)> {
    let mut lines = stat.lines();
    let fields: Vec<u64> =
        lines.next()?.strip_prefix("cpu ")?.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user's).
    let total = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    let cores = lines.take_while(|l| l.starts_with("cpu")).count();
    Some((total, idle, cores))
}

/// From a thread's `stat`: its user + system time. The name field may hold spaces and
/// parentheses, so fields are counted from the last ')'.
fn thread_time(stat: &str) -> Option<u64> {
    thread_user_system(stat).map(|(user, system)| user + system)
}

/// From a thread's `stat`: its user and system times, in clock ticks.
pub fn thread_user_system(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(busy: &[f64], clients: &[usize], spare: f64) -> Load {
        Load { busy: busy.to_vec(), clients: clients.to_vec(), spare }
    }

    #[test]
    fn connections_stay_on_worker_zero_while_it_keeps_up() {
        let mut quiet = 0;
        let plan = adaptive(&load(&[0.7, 0.0], &[50, 0], 1.2), &mut quiet);
        assert_eq!(plan, Plan { moves: vec![(0, 0), (0, 0)], place: 0 });
    }

    #[test]
    fn a_saturated_worker_keeps_its_clients_when_no_core_is_spare() {
        // A benchmark on the same two-core machine uses the other core.
        let mut quiet = 0;
        let plan = adaptive(&load(&[0.98, 0.0], &[50, 0], 0.1), &mut quiet);
        assert_eq!(plan, Plan { moves: vec![(0, 0), (0, 0)], place: 0 });
    }

    #[test]
    fn a_saturated_worker_hands_half_its_load_to_an_idle_one_when_a_core_is_spare() {
        let mut quiet = 0;
        let plan = adaptive(&load(&[1.0, 0.0, 0.0, 0.0], &[50, 0, 0, 0], 2.9), &mut quiet);
        assert_eq!(plan.moves[0], (25, 1));
        assert_eq!(plan.moves[1..], [(0, 0); 3]);
        // Once both run hot, nothing moves; new connections go to the least busy.
        let plan = adaptive(&load(&[0.95, 0.9, 0.0, 0.0], &[25, 25, 0, 0], 0.3), &mut quiet);
        assert_eq!(plan.moves, vec![(0, 0); 4]);
        assert_eq!(plan.place, 1);
        // With cores to spare, both hot workers hand some to the idle ones, one each.
        let plan = adaptive(&load(&[0.95, 0.9, 0.0, 0.0], &[25, 25, 0, 0], 2.0), &mut quiet);
        assert_eq!(plan.moves[0].1, 2);
        assert_eq!(plan.moves[1].1, 3);
        assert!(plan.moves[0].0 >= 1 && plan.moves[0].0 < 25);
    }

    #[test]
    fn a_single_connection_does_not_move() {
        let mut quiet = 0;
        let plan = adaptive(&load(&[1.0, 0.0], &[1, 0], 1.0), &mut quiet);
        assert_eq!(plan.moves, vec![(0, 0), (0, 0)]);
    }

    #[test]
    fn connections_gather_on_worker_zero_after_a_quiet_second() {
        let mut quiet = 0;
        let idle = load(&[0.1, 0.1, 0.05], &[3, 4, 2], 2.7);
        for _ in 1..QUIET_TICKS {
            assert_eq!(adaptive(&idle, &mut quiet).moves, vec![(0, 0); 3]);
        }
        assert_eq!(adaptive(&idle, &mut quiet), Plan { moves: vec![(0, 0), (4, 0), (2, 0)], place: 0 });
        // A busy tick starts the count again.
        let busy = load(&[0.6, 0.1, 0.05], &[9, 0, 0], 2.2);
        assert_eq!(adaptive(&busy, &mut quiet).moves, vec![(0, 0); 3]);
        assert_eq!(quiet, 0);
    }

    #[test]
    fn spread_evens_the_counts_and_places_in_turn() {
        assert_eq!(spread(&[4, 0], 7), Plan { moves: vec![(2, 1), (0, 0)], place: 1 });
        assert_eq!(spread(&[2, 1], 3), Plan { moves: vec![(0, 0), (0, 0)], place: 1 });
        assert_eq!(spread(&[0, 5, 1], 0), Plan { moves: vec![(0, 0), (3, 0), (0, 0)], place: 0 });
    }

    #[test]
    fn proc_files_are_read_as_the_kernel_writes_them() {
        let stat =
            "cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 50 2 25 400 10 0 1 1 0 0\ncpu1 50 3 25 400 10 1 1 2 0 0\nintr 1\n";
        assert_eq!(machine_times(stat), Some((981, 820, 2)));
        let thread = "4242 (aegisr-worker (0)) S 1 2 3 0 -1 4194368 10 0 0 0 1234 567 0 0 20 0 1 0 99";
        assert_eq!(thread_time(thread), Some(1801));
        assert_eq!(thread_time("garbage"), None);
        assert_eq!(machine_times("nonsense"), None);
    }

    #[test]
    fn this_thread_can_be_sampled_on_linux() {
        let Some(path) = thread_stat_path() else { return };
        let mut sampler = Sampler::new(vec![path]);
        assert!(sampler.sample().is_none(), "the first sample has nothing to compare with");
        let until = std::time::Instant::now() + Duration::from_millis(30);
        let mut spin = 0u64;
        while std::time::Instant::now() < until {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        let (busy, spare) = sampler.sample().unwrap_or_else(|| panic!("a second sample"));
        assert_eq!(busy.len(), 1);
        assert!(busy[0] >= 0.0 && spare >= 0.0);
    }
}
