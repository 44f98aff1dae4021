//! CPU accounting for the throughput benchmark: the whole process's user and system time
//! (every thread: the stack's, smoltcp's and the kernel socket's, including the kernel's TCP
//! and TUN work done in their system calls and in the softirqs they run), so that each
//! setup's cost per gigabyte can be compared and the ceiling it puts on 2 cores read off;
//! and the whole machine's busy time (`/proc/stat`), which also holds softirq work done on an
//! otherwise idle core, to show whether the machine was saturated.

use std::time::Duration;

/// The process's and the machine's CPU time so far.
#[derive(Clone, Copy, Debug)]
pub struct CpuMark {
    user: Duration,
    sys: Duration,
    /// Machine-wide busy and total jiffies (all cores).
    machine: (u64, u64),
}

/// CPU used between two marks.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// User time of all threads.
    pub user: Duration,
    /// System time of all threads.
    pub sys: Duration,
    /// Busy share of the whole machine (all cores, every process, softirqs), 0 to 1.
    pub machine_busy: f64,
}

/// Busy and total jiffies of all cores from the first line of `/proc/stat` (zeros if it
/// cannot be read: the machine figure then reads 0).
fn machine_jiffies() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: u64 = f.iter().take(8).sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

impl CpuMark {
    /// The process's CPU time now (`getrusage(RUSAGE_SELF)`).
    pub fn now() -> CpuMark {
        // SAFETY: rusage is plain data, filled in by getrusage.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to an rusage.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        CpuMark {
            user: timeval(ru.ru_utime),
            sys: timeval(ru.ru_stime),
            machine: machine_jiffies(),
        }
    }

    /// CPU used since this mark.
    pub fn used(&self) -> CpuUse {
        let now = CpuMark::now();
        CpuUse {
            user: now.user.saturating_sub(self.user),
            sys: now.sys.saturating_sub(self.sys),
            machine_busy: {
                let busy = now.machine.0.saturating_sub(self.machine.0) as f64;
                let total = now.machine.1.saturating_sub(self.machine.1) as f64;
                if total > 0.0 {
                    busy / total
                } else {
                    0.0
                }
            },
        }
    }
}

impl CpuUse {
    /// CPU seconds (user + system) spent per gigabyte moved.
    pub fn seconds_per_gb(&self, bytes: usize) -> f64 {
        (self.user + self.sys).as_secs_f64() / (bytes as f64 / 1e9)
    }

    /// Share of the CPU time spent in the kernel.
    pub fn sys_share(&self) -> f64 {
        let all = (self.user + self.sys).as_secs_f64();
        if all == 0.0 {
            0.0
        } else {
            self.sys.as_secs_f64() / all
        }
    }
}

/// CPU time (user + system) of the calling thread (`getrusage(RUSAGE_THREAD)`).
pub fn thread_cpu_time() -> Duration {
    // SAFETY: rusage is plain data, filled in by getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to an rusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    timeval(ru.ru_utime) + timeval(ru.ru_stime)
}

/// CPU time (user + system, in clock ticks) of every thread of this process, by thread id.
pub fn thread_cpu() -> Vec<(String, String, u64)> {
    let mut v = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return v;
    };
    for e in dir.flatten() {
        let tid = e.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map_or("?", |(c, _)| c)
            .to_string();
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the comm.
        let t = f.get(11).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        v.push((tid, comm, t));
    }
    v
}

/// Prints each thread's CPU time (ms) between two snapshots (profiling aid for BENCH_ONLY).
pub fn print_cpu_delta(before: &[(String, String, u64)], after: &[(String, String, u64)]) {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    for (tid, comm, t) in after {
        let b = before
            .iter()
            .find(|(x, _, _)| x == tid)
            .map_or(0, |(_, _, t)| *t);
        let ms = (t - b.min(*t)) * 1000 / hz;
        if ms > 0 {
            println!("  thread {tid} {comm}: {ms} ms CPU");
        }
    }
}
