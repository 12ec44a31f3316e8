//! CPU time used by the process, from getrusage(2), for INFO cpu and Prometheus.

/// `(system, user)` seconds used by `who`.
fn usage(who: libc::c_int) -> (f64, f64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable rusage; getrusage only writes into it.
    let rc = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
    if rc != 0 {
        return (0.0, 0.0);
    }
    // SAFETY: zero-initialised, then filled by a successful getrusage.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (seconds(usage.ru_stime), seconds(usage.ru_utime))
}

/// CPU seconds of the whole process and of its children.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub sys: f64,
    pub user: f64,
    pub sys_children: f64,
    pub user_children: f64,
}

pub fn times() -> CpuTimes {
    let (sys, user) = usage(libc::RUSAGE_SELF);
    let (sys_children, user_children) = usage(libc::RUSAGE_CHILDREN);
    CpuTimes { sys, user, sys_children, user_children }
}
