//! Worker threads, one event loop each. A connection is handed to one worker when it is
//! accepted: its reads, commands and writes all run on that thread, with no work stealing
//! and no cross-thread wake-ups on the request path (Principle 2: work stays on the thread
//! that read the request). Shards are shared, behind short locks, so any worker serves any
//! key. Which worker that is, and when a connection moves to another between two of its
//! batches, is the [`super::balancer`]'s choice, made from the load it measures.
//!
//! A command that may run for long (a Lua script) is a *job*: the connection hands it to
//! [`off_loop`] and awaits it. The worker's thread runs it between two turns of its event
//! loop, right after the turn in which it was handed over, still on the thread that read
//! the request and with no wake-up of another thread (the loop's `block_on` returns, the
//! thread runs the jobs, then goes back into the loop). If a job turns out to be long (it
//! calls [`let_others_run`]: a script does once it has run for
//! [`crate::scripting::LONG_SCRIPT_MS`]), the worker's stand-in thread takes the event loop
//! over while the job runs, so the worker's other clients are served meanwhile (they get
//! BUSY and may SCRIPT KILL it, as Redis answers everyone while a script runs), and hands
//! it back when the job is done. This relies on tokio's current-thread runtime letting
//! several threads call `block_on`: the one holding the runtime's core drives every task,
//! timer and socket, and when it leaves, another takes the core. So a worker's tasks are
//! only ever polled by one thread at a time, its own or its stand-in.
//!
//! Jobs run one at a time on the node: a worker takes the node's [`Turn`] for all the jobs
//! of one turn of its loop. They are scripts, which lock every shard and so run one at a
//! time anyway; taking turns by batch rather than fighting over the shards script by script
//! costs one sleep and wake-up of the waiting worker per batch instead of several per
//! script (with two workers running EVAL, that fight was a quarter of their time). A worker
//! that waits for its turn longer than [`TURN_PATIENCE`] (another worker's script is a long
//! one) lets its stand-in serve its clients meanwhile. The turn belongs to the node (its
//! [`Workers`]), not the process: nodes started in one process (tests) do not wait on each
//! other.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::runtime::{Handle, Runtime};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Held by the worker of the node running jobs (see the module docs).
type Turn = Arc<parking_lot::Mutex<()>>;

/// How long a worker waits for its turn before its stand-in takes its event loop over.
/// Longer than [`crate::scripting::LONG_SCRIPT_MS`]: a batch of short scripts (another
/// worker's clients pipelining EVAL) may hold the turn for a millisecond or two, and a
/// stand-in called for that only hands the loop over and back, two thread wake-ups for
/// nothing. While another worker's long script runs, this worker's clients wait for it
/// anyway (until busy-reply-threshold), bar SCRIPT KILL and the like, which wait this long.
const TURN_PATIENCE: Duration = Duration::from_millis(5);

/// The running workers.
pub struct Workers {
    placement: Arc<Placement>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Where connections are served: shared by the workers' connections, the door that places
/// them, and the balancer that moves them.
struct Placement {
    handles: Vec<Handle>,
    tracker: TaskTracker,
    /// Connections each worker serves.
    clients: Vec<AtomicUsize>,
    /// For each worker, how many of its connections should move, and to which worker.
    leaving: Vec<AtomicUsize>,
    leave_to: Vec<AtomicUsize>,
    /// The worker that takes the next accepted connection (`adaptive`).
    place: AtomicUsize,
    /// Connections accepted so far (`spread` places them in turn).
    accepted: AtomicUsize,
    /// Each worker thread's CPU times file, once the thread has started.
    stat_paths: parking_lot::Mutex<Vec<Option<String>>>,
    /// The load can be measured (Linux's `/proc`); else connections are spread evenly.
    measurable: bool,
}

/// A connection's place: counted in its worker's clients while the connection lives.
pub struct Seat {
    placement: Arc<Placement>,
    worker: usize,
}

/// A job handed to a worker's thread: runs, stores its result, and returns the waker of
/// the task awaiting it.
type Job = Box<dyn FnOnce() -> Option<Waker> + Send>;

/// What a worker's thread, its stand-in thread and its tasks share.
struct Worker {
    runtime: Runtime,
    /// Jobs handed over by the worker's tasks, not yet run.
    jobs: parking_lot::Mutex<Vec<Job>>,
    /// Wakes the worker thread's `block_on` so that it returns and runs the jobs.
    loop_waker: AtomicWaker,
    /// The running job wants the stand-in thread to drive the event loop.
    stand_in_wanted: AtomicBool,
    /// Wakes the stand-in's `block_on` when the job is done, so it hands the loop back.
    stand_in_waker: AtomicWaker,
    /// The stand-in sleeps on this between jobs; `true` tells it to stop.
    stand_in_stop: parking_lot::Mutex<bool>,
    stand_in_wake: parking_lot::Condvar,
}

thread_local! {
    /// The worker whose event loop this thread runs: set on a worker's thread and on its
    /// stand-in, for their whole life.
    static CURRENT: RefCell<Option<Arc<Worker>>> = const { RefCell::new(None) };
    /// True while this thread runs a job (what [`let_others_run`] acts on).
    static IN_JOB: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Workers {
    /// Starts `count` workers. They run until `shutdown` is cancelled, then finish the
    /// tasks on `tracker` (10 s at most) and stop.
    pub fn start(count: usize, shutdown: &CancellationToken, tracker: &TaskTracker) -> std::io::Result<Workers> {
        let count = count.max(1);
        let runtimes = (0..count)
            .map(|_| tokio::runtime::Builder::new_current_thread().enable_all().build())
            .collect::<std::io::Result<Vec<Runtime>>>()?;
        let counters = || (0..count).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>();
        let placement = Arc::new(Placement {
            handles: runtimes.iter().map(|r| r.handle().clone()).collect(),
            tracker: tracker.clone(),
            clients: counters(),
            leaving: counters(),
            leave_to: counters(),
            place: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            stat_paths: parking_lot::Mutex::new(vec![None; count]),
            measurable: super::balancer::measurable(),
        });
        let mut threads = Vec::with_capacity(count);
        let turn = Turn::default();
        let (started, started_all) = std::sync::mpsc::channel::<()>();
        for (index, runtime) in runtimes.into_iter().enumerate() {
            let worker = Arc::new(Worker {
                runtime,
                jobs: parking_lot::Mutex::new(Vec::new()),
                loop_waker: AtomicWaker::new(),
                stand_in_wanted: AtomicBool::new(false),
                stand_in_waker: AtomicWaker::new(),
                stand_in_stop: parking_lot::Mutex::new(false),
                stand_in_wake: parking_lot::Condvar::new(),
            });
            let stand_in = {
                let worker = worker.clone();
                std::thread::Builder::new()
                    .name(format!("aegisr-worker-{index}-stand-in"))
                    .spawn(move || stand_in(&worker))?
            };
            let (shutdown, tracker, turn, placement, started) =
                (shutdown.clone(), tracker.clone(), turn.clone(), placement.clone(), started.clone());
            let thread = std::thread::Builder::new().name(format!("aegisr-worker-{index}")).spawn(move || {
                placement.stat_paths.lock()[index] = super::balancer::thread_stat_path();
                drop(started);
                run_worker(worker, stand_in, &turn, &shutdown, &tracker);
            })?;
            threads.push(thread);
        }
        // Every thread has recorded its CPU times file when every sender is gone.
        drop(started);
        while started_all.recv().is_ok() {}
        Ok(Workers { placement, threads })
    }

    /// Runs a new connection's `task` on the worker the placement picks: in turn under
    /// `spread`, else the one the balancer chose.
    pub fn spawn_connection<F, T>(&self, spread: bool, task: T)
    where
        T: FnOnce(Seat) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let placement = &self.placement;
        let workers = placement.handles.len();
        let spread = spread || !placement.measurable;
        let accepted = placement.accepted.fetch_add(1, Ordering::Relaxed);
        let worker = if spread { accepted % workers } else { placement.place.load(Ordering::Relaxed) % workers };
        placement.clients[worker].fetch_add(1, Ordering::Relaxed);
        let seat = Seat { placement: placement.clone(), worker };
        placement.tracker.spawn_on(task(seat), &placement.handles[worker]);
    }

    /// Connections each worker serves.
    pub fn clients(&self) -> Vec<usize> {
        self.placement.clients.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }

    /// Moves connections between workers by the load until shutdown (see
    /// [`super::balancer`]); `spread` says which policy is configured now.
    pub async fn balance(&self, shutdown: &CancellationToken, spread: impl Fn() -> bool) {
        let placement = &self.placement;
        if placement.handles.len() < 2 {
            return;
        }
        // The worker threads recorded their files before `start` returned.
        let paths = placement.stat_paths.lock().iter().cloned().collect::<Option<Vec<_>>>();
        let mut sampler = paths.map(super::balancer::Sampler::new);
        if let Some(sampler) = &mut sampler {
            // The first reading, which the first tick's is compared with.
            sampler.sample();
        }
        let mut quiet = 0;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(super::balancer::TICK) => {}
            }
            let clients = self.clients();
            let plan = if spread() || !placement.measurable {
                super::balancer::spread(&clients, placement.accepted.load(Ordering::Relaxed))
            } else {
                let Some((busy, spare)) = sampler.as_mut().and_then(super::balancer::Sampler::sample) else { continue };
                super::balancer::adaptive(&super::balancer::Load { busy, clients, spare }, &mut quiet)
            };
            for (worker, (leaving, to)) in plan.moves.into_iter().enumerate() {
                placement.leave_to[worker].store(to, Ordering::Relaxed);
                placement.leaving[worker].store(leaving, Ordering::Relaxed);
            }
            placement.place.store(plan.place, Ordering::Relaxed);
        }
    }

    /// CPU seconds the worker threads used, system then user (INFO's `*_main_thread`
    /// fields: the workers run the commands, as Redis's main thread does); zeros where
    /// `/proc` cannot say.
    pub fn cpu_seconds(&self) -> (f64, f64) {
        // SAFETY: sysconf only reads a constant of the system.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks <= 0 {
            return (0.0, 0.0);
        }
        let (user, system) = self
            .placement
            .stat_paths
            .lock()
            .iter()
            .flatten()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .filter_map(|stat| super::balancer::thread_user_system(&stat))
            .fold((0, 0), |(u, s), (user, system)| (u + user, s + system));
        (system as f64 / ticks as f64, user as f64 / ticks as f64)
    }

    /// Waits for every worker thread to stop (after shutdown).
    pub fn join(self) {
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a worker thread panicked");
            }
        }
    }
}

impl Seat {
    /// Called by a connection between two batches: where it goes now if its worker is
    /// handing connections over (the seat is that worker's from then on).
    pub fn should_move(&mut self) -> Option<Destination> {
        let placement = &self.placement;
        let leaving = &placement.leaving[self.worker];
        // What every batch pays: one load of a counter that is almost always 0.
        if leaving.load(Ordering::Relaxed) == 0 {
            return None;
        }
        leaving.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).ok()?;
        let to = placement.leave_to[self.worker].load(Ordering::Relaxed);
        if to == self.worker || to >= placement.handles.len() {
            return None;
        }
        placement.clients[self.worker].fetch_sub(1, Ordering::Relaxed);
        placement.clients[to].fetch_add(1, Ordering::Relaxed);
        self.worker = to;
        Some(Destination { handle: placement.handles[to].clone(), tracker: placement.tracker.clone() })
    }
}

/// The worker a connection moves to.
pub struct Destination {
    handle: Handle,
    tracker: TaskTracker,
}

impl Destination {
    /// Runs `task` (the rest of the connection) there.
    pub fn spawn<F>(self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn_on(task, &self.handle)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.placement.clients[self.worker].fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the worker thread does after a turn of its event loop.
enum Step {
    Jobs,
    Stop,
}

/// A worker thread: its event loop, and the jobs its tasks hand over, until shutdown.
fn run_worker(
    worker: Arc<Worker>,
    stand_in: std::thread::JoinHandle<()>,
    turn: &Turn,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) {
    CURRENT.with_borrow_mut(|current| *current = Some(worker.clone()));
    let mut jobs: Vec<Job> = Vec::new();
    // The tasks whose jobs are done, woken from inside the loop (a local wake-up).
    let mut done: Vec<Waker> = Vec::new();
    let mut drain_until = None;
    loop {
        let step = worker.runtime.block_on(async {
            for waker in done.drain(..) {
                waker.wake();
            }
            let handed_over = std::future::poll_fn(|cx| {
                worker.loop_waker.register(cx.waker());
                let mut queued = worker.jobs.lock();
                if queued.is_empty() {
                    return Poll::Pending;
                }
                std::mem::swap(&mut *queued, &mut jobs);
                Poll::Ready(())
            });
            let stopped = async {
                shutdown.cancelled().await;
                let until = *drain_until.get_or_insert_with(|| tokio::time::Instant::now() + Duration::from_secs(10));
                let _ = tokio::time::timeout_at(until, tracker.wait()).await;
            };
            tokio::select! {
                biased;
                () = handed_over => Step::Jobs,
                () = stopped => Step::Stop,
            }
        });
        match step {
            Step::Jobs => {
                let _turn = turn.try_lock_for(TURN_PATIENCE).unwrap_or_else(|| {
                    worker.call_stand_in();
                    turn.lock()
                });
                // The runtime's context (spawning, timers) is there for the jobs' commands.
                let _context = worker.runtime.enter();
                for job in jobs.drain(..) {
                    IN_JOB.set(true);
                    let waker = job();
                    IN_JOB.set(false);
                    // The stand-in, if it took the loop, hands it back.
                    if worker.stand_in_wanted.swap(false, Ordering::AcqRel) {
                        worker.stand_in_waker.wake();
                    }
                    done.extend(waker);
                }
            }
            Step::Stop => break,
        }
    }
    *worker.stand_in_stop.lock() = true;
    worker.stand_in_wake.notify_one();
    if stand_in.join().is_err() {
        tracing::error!("a worker's stand-in thread panicked");
    }
    CURRENT.with_borrow_mut(|current| *current = None);
    // The last reference: the runtime (and any task left) is dropped here, off any loop.
    drop(worker);
}

/// A worker's stand-in thread: drives the worker's event loop while a long job runs.
fn stand_in(worker: &Arc<Worker>) {
    CURRENT.with_borrow_mut(|current| *current = Some(worker.clone()));
    loop {
        {
            let mut stop = worker.stand_in_stop.lock();
            while !*stop && !worker.stand_in_wanted.load(Ordering::Acquire) {
                worker.stand_in_wake.wait(&mut stop);
            }
            if *stop {
                break;
            }
        }
        // Takes the runtime's core (free: the worker thread is in its job) and drives
        // every task of the worker until the job is done.
        worker.runtime.block_on(std::future::poll_fn(|cx| {
            worker.stand_in_waker.register(cx.waker());
            if worker.stand_in_wanted.load(Ordering::Acquire) { Poll::Pending } else { Poll::Ready(()) }
        }));
    }
    CURRENT.with_borrow_mut(|current| *current = None);
}

/// Called from a job that turns out to be long (a script's Lua hook): the worker's
/// stand-in thread takes the event loop over until the job is done. Nothing outside a job.
pub fn let_others_run() {
    if !IN_JOB.get() {
        return;
    }
    CURRENT.with_borrow(|current| {
        if let Some(worker) = current {
            worker.call_stand_in();
        }
    });
}

impl Worker {
    /// Has the stand-in drive the event loop until the running (or next) job is done.
    fn call_stand_in(&self) {
        if !self.stand_in_wanted.swap(true, Ordering::AcqRel) {
            // Under the lock the stand-in checks the flag under: it cannot miss it.
            let _stop = self.stand_in_stop.lock();
            self.stand_in_wake.notify_one();
        }
    }
}

/// Runs `job` on this worker's thread outside its event loop (see the module docs) and
/// returns its result: for a command that may run for long, so that the worker's other
/// clients can be served meanwhile if it does. Called elsewhere than from a worker's task
/// (the gRPC door, tests), `job` runs in place. A job that panics panics the awaiting task,
/// as the command would have run in it.
pub async fn off_loop<R: Send + 'static>(job: impl FnOnce() -> R + Send + 'static) -> R {
    let Some(worker) = CURRENT.with_borrow(Clone::clone) else {
        return job();
    };
    let slot = Arc::new(parking_lot::Mutex::new(Slot::<R> { result: None, waker: None }));
    let filled = slot.clone();
    let job: Job = Box::new(move || {
        let result = std::panic::catch_unwind(AssertUnwindSafe(job));
        let mut slot = filled.lock();
        slot.result = Some(result);
        slot.waker.take()
    });
    let was_empty = {
        let mut jobs = worker.jobs.lock();
        jobs.push(job);
        jobs.len() == 1
    };
    if was_empty {
        worker.loop_waker.wake();
    }
    drop(worker);
    let result = std::future::poll_fn(|cx| {
        let mut slot = slot.lock();
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    slot.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    })
    .await;
    match result {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Where a job leaves its result for the task awaiting it.
struct Slot<R> {
    result: Option<std::thread::Result<R>>,
    waker: Option<Waker>,
}
