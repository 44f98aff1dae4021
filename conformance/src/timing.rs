//! How long to wait for what: derived from the target's timers, not from a flat constant.
//!
//! Linux's values (include/net/tcp.h, kernel timer wheel):
//! - a reply to a segment or call is computed at once, in the softirq of the packet; only
//!   scheduling delays it, so it gets a short bound ([`TimerProfile::response`]);
//! - a pure ACK may be delayed: `TCP_DELACK_MIN` 40 ms, at most `TCP_DELACK_MAX` 200 ms
//!   (RFC 9293 section 3.8.6.3 allows up to 500 ms; RFC 1122 section 4.2.3.2);
//! - the retransmission timer starts at `TCP_TIMEOUT_INIT` 1 s and never goes below
//!   `TCP_RTO_MIN` 200 ms (RFC 6298 sections 2.1 and 2.4); SYNs are retransmitted with a
//!   linear timeout for the first `tcp_syn_linear_timeouts` tries, so consecutive timeouts are
//!   only known to lie between the minimum and the exponentially backed-off initial value;
//! - TIME-WAIT lasts `TCP_TIMEWAIT_LEN` 60 s (RFC 9293 section 3.4.2 asks for 2 MSL);
//! - keepalive fires after the configured idle time, then every interval (RFC 1122 4.2.3.6);
//! - kernel timers never fire early (at most one jiffy, 4 ms at HZ=250) but may fire late by
//!   up to 1/8 of their length (timer-wheel level granularity).

use std::time::Duration;
use tcp_vectors::{Keepalive, SegmentPattern, TimerKind};

/// When something is allowed to happen, relative to a reference instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Anything before this is too early.
    pub earliest: Duration,
    /// Anything after this is missing.
    pub latest: Duration,
}

/// The timer constants of one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerProfile {
    /// Bound on an immediate reply (scheduling and processing only).
    pub response: Duration,
    /// How long to watch the wire at the start of a quiet window before the target's timers
    /// are asked whether anything else can come: long enough for a reply the target computed
    /// but whose transmission was deferred (Linux runs the receive path of a TUN write and the
    /// send path of a call in the caller's context, so replies are normally on the wire before
    /// the write or call returns; only a deferred transmit softirq is left to wait for).
    pub settle: Duration,
    /// Longest delay of a pure ACK.
    pub delayed_ack_max: Duration,
    /// Initial retransmission timeout.
    pub rto_initial: Duration,
    /// Smallest retransmission timeout.
    pub rto_min: Duration,
    /// Largest retransmission timeout.
    pub rto_max: Duration,
    /// TIME-WAIT length.
    pub time_wait: Duration,
    /// Clock granularity: how early a timer may appear to fire (one jiffy).
    pub granularity: Duration,
    /// The period of the stack's timer tick, for a stack whose timers fire only on a
    /// periodic tick (lwIP's 500 ms slow timer): a timer may fire that much after its
    /// nominal time. Zero for stacks with exact timers (Linux's 1/8 wheel slack is counted
    /// apart).
    pub tick: Duration,
}

impl TimerProfile {
    /// Linux's constants (HZ=250 assumed for the granularity; a 4 ms jiffy).
    pub fn linux() -> Self {
        TimerProfile {
            response: Duration::from_millis(200),
            settle: Duration::from_millis(2),
            delayed_ack_max: Duration::from_millis(200),
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(120),
            time_wait: Duration::from_secs(60),
            granularity: Duration::from_millis(4),
            tick: Duration::ZERO,
        }
    }

    /// Linux's constants, with the minimum and maximum RTO read from the calling thread's
    /// namespace (`net.ipv4.tcp_rto_min_us`, `net.ipv4.tcp_rto_max_ms`, on kernels that have them)
    /// when they exist, so that a tuned kernel gets matching windows.
    pub fn linux_from_sysctls() -> Self {
        let read = |name: &str| -> Option<u64> {
            std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let mut t = TimerProfile::linux();
        if let Some(us) = read("tcp_rto_min_us").filter(|&us| us > 0) {
            t.rto_min = Duration::from_micros(us);
        }
        if let Some(ms) = read("tcp_rto_max_ms").filter(|&ms| ms > 0) {
            t.rto_max = Duration::from_millis(ms);
        }
        t
    }

    /// The timers of this project's userspace stack (`impl/`) running with `config`: every
    /// bound is the stack's own timer, so a replay waits exactly as long as the stack needs.
    ///
    /// - `response`: the stack answers a segment or call at once (in its event-loop thread or
    ///   the caller's), so only scheduling delays a reply; the bound is the slack for that on
    ///   a loaded machine;
    /// - a pure ACK may wait for the delayed-ACK timer, `config.delayed_ack` (RFC 1122
    ///   4.2.3.2);
    /// - the RTO starts at `config.initial_rto` and stays within `config.min_rto` ..
    ///   `config.max_rto` (RFC 6298 2.1, 2.4, 2.5);
    /// - TIME-WAIT lasts 2 * `config.msl` (RFC 9293 3.4.2);
    /// - timers are checked against a microsecond clock and never fire early. They can only
    ///   *appear* early: the replayer counts a retransmission from the last segment it saw,
    ///   while the timer runs from the segment it retransmits (RFC 6298 5.1: a pure ACK sent
    ///   in between does not restart it); the granularity is the slack for that gap, which is
    ///   well under a millisecond on an idle machine and a few milliseconds on a loaded one;
    /// - `settle`: the stack's event loop reads an injected packet and writes its reply within
    ///   well under a millisecond on an idle machine; the impl target's `silent_for` does not
    ///   rely on it (packets in are counted by the processing barrier, packets out by the
    ///   target, see `crate::impl_target`), so it only sets how soon the replayer asks.
    pub fn impl_stack(config: &tcp_impl::Config, response: Duration) -> Self {
        TimerProfile {
            response,
            settle: Duration::from_millis(2),
            delayed_ack_max: config.delayed_ack,
            rto_initial: config.initial_rto,
            rto_min: config.min_rto,
            rto_max: config.max_rto,
            time_wait: config.msl.saturating_mul(2),
            granularity: Duration::from_millis(10),
            tick: Duration::ZERO,
        }
    }

    /// A timer of nominal length `t` fires within `[t - granularity, t + t/8 + tick +
    /// response]`.
    fn around(&self, t: Duration) -> Window {
        Window {
            earliest: t.saturating_sub(self.granularity),
            latest: t + t / 8 + self.tick + self.response,
        }
    }

    /// The wait for a segment that is a direct reply: a pure ACK may be delayed.
    pub fn reply_window(&self, p: &SegmentPattern) -> Window {
        let pure_ack = p.flags.ack && !p.flags.syn && !p.flags.fin && !p.flags.rst && p.len == 0;
        let latest = if pure_ack {
            self.delayed_ack_max + self.response
        } else {
            self.response
        };
        Window {
            earliest: Duration::ZERO,
            latest,
        }
    }

    /// The window of the `nth` consecutive expiry (0-based) of a timer.
    pub fn timer_window(&self, kind: TimerKind, nth: u32, keepalive: Option<Keepalive>) -> Window {
        match kind {
            TimerKind::Retransmission => {
                let backed_off = self
                    .rto_initial
                    .saturating_mul(1u32 << nth.min(16))
                    .min(self.rto_max);
                Window {
                    earliest: self.rto_min.saturating_sub(self.granularity),
                    latest: backed_off + backed_off / 8 + self.tick + self.response,
                }
            }
            TimerKind::TimeWait => self.around(self.time_wait),
            TimerKind::Keepalive => {
                let secs = match keepalive {
                    Some(k) if nth == 0 => k.idle_s,
                    Some(k) => k.interval_s,
                    // Linux's defaults: tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s.
                    None if nth == 0 => 7200,
                    None => 75,
                };
                self.around(Duration::from_secs(u64::from(secs)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_acks_may_be_delayed_other_replies_not() {
        let t = TimerProfile::linux();
        let ack: SegmentPattern = serde_yaml::from_str("{ flags: A }").unwrap();
        let fin: SegmentPattern = serde_yaml::from_str("{ flags: FA }").unwrap();
        assert_eq!(t.reply_window(&ack).latest, Duration::from_millis(400));
        assert_eq!(t.reply_window(&fin).latest, Duration::from_millis(200));
    }

    #[test]
    fn retransmission_backs_off_and_keepalive_uses_idle_then_interval() {
        let t = TimerProfile::linux();
        let w0 = t.timer_window(TimerKind::Retransmission, 0, None);
        let w2 = t.timer_window(TimerKind::Retransmission, 2, None);
        assert_eq!(w0.earliest, Duration::from_millis(196));
        assert_eq!(w0.latest, Duration::from_millis(1325));
        assert_eq!(w2.latest, Duration::from_millis(4700));
        let k = Keepalive {
            idle_s: 1,
            interval_s: 2,
            count: 1,
        };
        assert_eq!(
            t.timer_window(TimerKind::Keepalive, 0, Some(k)).earliest,
            Duration::from_millis(996)
        );
        assert_eq!(
            t.timer_window(TimerKind::Keepalive, 1, Some(k)).earliest,
            Duration::from_millis(1996)
        );
    }

    #[test]
    fn impl_profile_follows_the_stack_config() {
        let c = tcp_impl::Config {
            msl: Duration::from_millis(300),
            initial_rto: Duration::from_millis(250),
            min_rto: Duration::from_millis(120),
            delayed_ack: Duration::from_millis(30),
            ..tcp_impl::Config::default()
        };
        let t = TimerProfile::impl_stack(&c, Duration::from_millis(80));
        assert_eq!(t.time_wait, Duration::from_millis(600));
        let ack: SegmentPattern = serde_yaml::from_str("{ flags: A }").unwrap();
        assert_eq!(t.reply_window(&ack).latest, Duration::from_millis(110));
        let w1 = t.timer_window(TimerKind::Retransmission, 1, None);
        assert_eq!(w1.earliest, Duration::from_millis(110));
        assert_eq!(
            w1.latest,
            Duration::from_millis(500 + 62 + 80) + Duration::from_micros(500)
        );
    }

    #[test]
    fn sysctls_only_refine_the_rto_bounds() {
        let t = TimerProfile::linux_from_sysctls();
        let d = TimerProfile::linux();
        assert_eq!(
            (t.response, t.time_wait, t.rto_initial),
            (d.response, d.time_wait, d.rto_initial)
        );
        assert!(t.rto_min > Duration::ZERO && t.rto_min <= t.rto_max);
    }
}
