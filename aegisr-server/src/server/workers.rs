//! Worker threads, one event loop each. A connection is handed to one worker when it is
//! accepted and stays there: its reads, commands and writes all run on that thread, with
//! no work stealing and no cross-thread wake-ups on the request path (Principle 2: work
//! stays on the thread that read the request). Shards are shared, behind short locks, so
//! any worker serves any key.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The running workers.
pub struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    threads: Vec<std::thread::JoinHandle<()>>,
    tracker: TaskTracker,
}

impl Workers {
    /// Starts `count` workers. They run until `shutdown` is cancelled, then finish the
    /// tasks on `tracker` (10 s at most) and stop.
    pub fn start(count: usize, shutdown: &CancellationToken, tracker: &TaskTracker) -> std::io::Result<Workers> {
        let mut handles = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        for index in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            handles.push(runtime.handle().clone());
            let (shutdown, tracker) = (shutdown.clone(), tracker.clone());
            let thread = std::thread::Builder::new().name(format!("aegisr-worker-{index}")).spawn(move || {
                runtime.block_on(async move {
                    shutdown.cancelled().await;
                    let _ = tokio::time::timeout(Duration::from_secs(10), tracker.wait()).await;
                });
            })?;
            threads.push(thread);
        }
        Ok(Workers { handles, next: AtomicUsize::new(0), threads, tracker: tracker.clone() })
    }

    /// Runs `task` on the next worker, round robin.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        self.tracker.spawn_on(task, &self.handles[index]);
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
