//! A target's memory while it is attacked (`tcpspec attack --kind syn-flood`): where each kind
//! of stack's memory can be read, and a meter that keeps the peak.
//!
//! - The Linux kernel: the buffer memory charged to the namespace's TCP sockets, from
//!   sock_diag (`SK_MEMINFO`), and the sockets themselves, request sockets included
//!   ([`crate::sockdiag::SockDiag::tcp_memory`]). `/proc/net/sockstat`'s `mem` is not used:
//!   the kernel keeps it for the whole host, not per namespace.
//! - A stack in a child process (`exec:`, lwIP): the child's peak resident set size
//!   (`VmHWM` of `/proc/PID/status`, reset to its current size when the meter starts by
//!   writing 5 to `/proc/PID/clear_refs`, proc(5)).
//! - A stack in a thread of this process (`impl`, smoltcp): the same for this process; the
//!   figure then includes the attacker's own memory, and says so.

use crate::sockdiag::SockDiag;
use serde::Serialize;
use std::io;

/// Where a stack's memory can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footprint {
    /// The kernel's TCP sockets in the calling thread's network namespace.
    KernelSockets,
    /// A process's resident memory; `shared`: the process also runs the attacker.
    Process {
        /// The process.
        pid: u32,
        /// The process is this one, which also runs the attacker and its bookkeeping.
        shared: bool,
    },
}

impl Footprint {
    /// This process, whose thread runs the stack.
    pub fn this_process() -> Footprint {
        Footprint::Process {
            pid: std::process::id(),
            shared: true,
        }
    }

    /// What the figure measures, for reports.
    pub fn describe(&self) -> &'static str {
        match self {
            Footprint::KernelSockets => {
                "buffer memory charged to the namespace's TCP sockets (sock_diag SK_MEMINFO: \
                 rmem_alloc + wmem_queued + fwd_alloc + optmem)"
            }
            Footprint::Process { shared: false, .. } => {
                "peak resident set size of the stack's process (VmHWM, reset at the start)"
            }
            Footprint::Process { shared: true, .. } => {
                "peak resident set size of this process, which runs the stack and the attacker \
                 (VmHWM, reset at the start)"
            }
        }
    }
}

/// The memory a meter saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryPeak {
    /// What is measured ([`Footprint::describe`]).
    pub what: &'static str,
    /// Bytes when the meter started.
    pub start_bytes: u64,
    /// The most bytes seen.
    pub peak_bytes: u64,
    /// The kernel's target: the most TCP sockets seen in the namespace, request sockets
    /// included (`None` elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_sockets: Option<u64>,
    /// The kernel's target: the most request sockets (SYN-RECEIVED) seen, whose memory the
    /// kernel does not report (`None` elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_requests: Option<u64>,
}

/// Keeps the peak of a [`Footprint`] over the samples taken.
#[derive(Debug)]
pub struct MemoryMeter {
    footprint: Footprint,
    diag: Option<SockDiag>,
    /// `VmHWM` was reset, so it covers the time between samples; otherwise `VmRSS` is read.
    hwm_reset: bool,
    peak: MemoryPeak,
}

impl MemoryMeter {
    /// Start measuring: the current memory is the start, and a process's peak is reset to it.
    pub fn start(footprint: Footprint) -> io::Result<MemoryMeter> {
        let (diag, hwm_reset) = match footprint {
            Footprint::KernelSockets => (Some(SockDiag::open()?), false),
            Footprint::Process { pid, .. } => (
                None,
                std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok(),
            ),
        };
        let mut meter = MemoryMeter {
            footprint,
            diag,
            hwm_reset,
            peak: MemoryPeak {
                what: footprint.describe(),
                start_bytes: 0,
                peak_bytes: 0,
                peak_sockets: None,
                peak_requests: None,
            },
        };
        let start = meter.read(false)?;
        meter.peak.start_bytes = start;
        meter.peak.peak_bytes = start;
        Ok(meter)
    }

    /// Read the memory now (for a process: its peak since the start) and keep the peak.
    pub fn sample(&mut self) -> io::Result<()> {
        let bytes = self.read(self.hwm_reset)?;
        self.peak.peak_bytes = self.peak.peak_bytes.max(bytes);
        Ok(())
    }

    /// What the meter saw.
    pub fn peak(&self) -> MemoryPeak {
        self.peak.clone()
    }

    fn read(&mut self, hwm: bool) -> io::Result<u64> {
        match (self.footprint, self.diag.as_mut()) {
            (Footprint::KernelSockets, Some(diag)) => {
                let m = diag.tcp_memory()?;
                let most = |old: Option<u64>, new: u64| Some(old.unwrap_or(0).max(new));
                self.peak.peak_sockets = most(self.peak.peak_sockets, m.sockets);
                self.peak.peak_requests = most(self.peak.peak_requests, m.requests);
                Ok(m.bytes)
            }
            (Footprint::Process { pid, .. }, _) => {
                status_kib(pid, if hwm { "VmHWM:" } else { "VmRSS:" }).map(|k| k * 1024)
            }
            (Footprint::KernelSockets, None) => Err(io::Error::other("no sock_diag socket")),
        }
    }
}

/// A `kB` field of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> io::Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no {field} in /proc/{pid}/status")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_resident_size_and_its_peak_covers_an_allocation() {
        let mut meter = MemoryMeter::start(Footprint::this_process()).expect("start");
        let start = meter.peak().start_bytes;
        assert!(start > 0);
        // 64 MiB touched and freed between two samples: the peak still shows it (a process
        // may reset its own high-water mark).
        assert!(meter.hwm_reset, "VmHWM could not be reset");
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        drop(big);
        meter.sample().expect("sample");
        let peak = meter.peak();
        assert!(peak.peak_bytes >= start + (60 << 20), "{peak:?}");
    }
}
