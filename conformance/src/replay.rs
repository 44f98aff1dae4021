//! Replay one vector against a target and decide whether it conforms.
//!
//! Steps run in order. The first step that does not hold ends the replay with a [`Failure`]
//! naming the step and what differed: a missing segment, an extra one (during a quiet window,
//! or a repeat of one already matched), a reordered one (it matches a later `expect`), a field
//! (flags, seq, ack, len), a timing bound, a state, an application event, or a `one_of` none of
//! whose branches matched ([`crate::one_of`]).
//!
//! Before every step but `send`, the replayer waits until the target has processed every
//! packet injected so far (the processing barrier, [`crate::target::Driven`]): a check never
//! reads the target before it has seen the peer's last segment.

use crate::matching::{compare, describe_pattern, describe_segment};
use crate::one_of::{self, Observation};
use crate::pcap::Capture;
use crate::segment::{self, Segment};
use crate::symbols::Symbols;
use crate::target::{AppCheck, CallOutcome, Driven, Endpoints, Target};
use crate::timing::Window;
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};
use tcp_vectors::{
    AppEvent, IcmpKind, Millis, OneOf, Role, SegmentPattern, Stays, Step, TcpState, TimerKind,
    Vector,
};

/// The longest a replay waits for one timer (a vector asking for more, e.g. keepalive with
/// Linux's default idle time of two hours, fails as a vector error instead of hanging).
pub const MAX_TIMER_WAIT: Duration = Duration::from_secs(300);

/// How often a `stays` step reads the connection's state.
pub const STAYS_POLL: Duration = Duration::from_millis(100);

/// The window the peer advertises in every segment it sends (no window scaling offered).
pub const PEER_WINDOW: u16 = 65535;

/// The longest the replayer waits for the target to process the packets it injected (the
/// processing barrier) before the replay fails with a `target` error naming both counts. A
/// target processes a packet in well under a millisecond; this is slack for a loaded machine.
pub const PROCESSING_TIMEOUT: Duration = Duration::from_secs(1);

/// What kind of difference ended a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// An expected segment did not arrive in time.
    Missing,
    /// A segment arrived where none (or not this one again) was expected.
    Extra,
    /// A segment arrived before an earlier expected one.
    Reordered,
    /// A segment arrived but a constrained field differed.
    Field,
    /// The right segment or state came too early or too late for the target's timer.
    Timing,
    /// The connection was in another state.
    State,
    /// The application did not observe the event.
    App,
    /// No branch of a `one_of` matched what the target did (each branch's first difference
    /// is named).
    OneOf,
    /// The vector cannot be executed (e.g. uses `iss` before the target's SYN).
    Vector,
    /// The target or the machinery failed (an OS error), or the run was interrupted.
    Target,
}

impl FailureKind {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Missing => "missing",
            FailureKind::Extra => "extra",
            FailureKind::Reordered => "reordered",
            FailureKind::Field => "field",
            FailureKind::Timing => "timing",
            FailureKind::State => "state",
            FailureKind::App => "app",
            FailureKind::OneOf => "one_of",
            FailureKind::Vector => "vector",
            FailureKind::Target => "target",
        }
    }
}

/// Why a replay did not conform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// 1-based index of the step.
    pub step: usize,
    /// The kind of difference.
    pub kind: FailureKind,
    /// What was expected and what happened.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {}: {}: {}",
            self.step,
            self.kind.name(),
            self.message
        )
    }
}

/// The result of one replay.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The first difference no deviation entry explains; `None` when every other step held.
    pub failure: Option<Failure>,
    /// Differences a deviation entry explains (with the entry's index), in step order. The
    /// replay went on past each one whose entry allows it (so what followed was still checked)
    /// and ended at one whose entry does not.
    pub deviations: Vec<(Failure, usize)>,
    /// One line per event: calls, segments in (`>`) and out (`<`), checks.
    pub transcript: Vec<String>,
    /// The packets of this replay, both directions.
    pub capture: Capture,
    /// Wall-clock duration of the replay.
    pub elapsed: Duration,
    /// The branch the target took at each `one_of` it reached, in step order.
    pub choices: Vec<Choice>,
}

/// The branch a target took at a `one_of`: which of the behaviours the RFCs allow it shows.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Choice {
    /// The name of the choice, e.g. `rst-in-time-wait`.
    pub choice: String,
    /// The branch that matched, e.g. `closes`; `None` when none did (the replay failed there,
    /// or deviates where a deviation entry explains it).
    pub branch: Option<String>,
}

/// A timer step waiting for the step it applies to.
#[derive(Clone, Copy, Debug)]
struct PendingTimer {
    kind: TimerKind,
    base: Instant,
    window: Window,
}

struct Replay<'a> {
    target: &'a mut dyn Target,
    /// Packets injected into `target` since it was made, and how many of them it was last
    /// seen to have processed ([`Driven`]).
    injected: &'a mut u64,
    processed: &'a mut u64,
    vector: &'a Vector,
    ends: Endpoints,
    sym: Symbols,
    backlog: VecDeque<(Segment, Instant)>,
    matched: Vec<(usize, Segment)>,
    /// The last packet of this connection the target sent, as it was on the wire: what an
    /// `icmp` step quotes.
    last_sent: Option<Vec<u8>>,
    capture: Capture,
    transcript: Vec<String>,
    pending: Option<PendingTimer>,
    retransmissions: u32,
    /// SYNs the target has sent in this replay (more than one: its SYN timed out).
    syns_seen: u32,
    /// How many segments had been matched when the target last sent a SYN.
    last_syn_at: Option<usize>,
    keepalives: u32,
    last_target_tx: Instant,
    last_peer_tx: Instant,
    /// When the target last sent a segment that occupies sequence space (data, SYN or FIN):
    /// the retransmission timer runs from there (RFC 6298 section 5.1), not from a pure ACK.
    last_target_seq_tx: Instant,
    /// The peer sent something that occupies sequence space (data, SYN or FIN) and the target
    /// has sent no ACK since: a delayed ACK may be owed, which no target shows as a timer.
    ack_owed: bool,
    /// Where the peer's FIN ends (SEG.SEQ + SEG.LEN of the last FIN it sent before the
    /// target was in TIME-WAIT): a FIN there in TIME-WAIT is a retransmission of it.
    peer_fin_at: Option<u32>,
    /// The last state a `state` step saw.
    seen_state: Option<TcpState>,
    /// When the target's TIME-WAIT timeout last (re)started, as far as the replay can tell:
    /// the peer's segment after which the target was first seen in TIME-WAIT, or the peer's
    /// last retransmission of its FIN in TIME-WAIT (RFC 9293 3.10.7.4, TIME-WAIT: "restart
    /// the 2 MSL timeout"). Other segments in TIME-WAIT do not restart it.
    time_wait_base: Option<Instant>,
    buf: Vec<u8>,
    step: usize,
    start: Instant,
    choices: Vec<Choice>,
}

fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl Replay<'_> {
    /// Add a transcript line, stamped with milliseconds since the replay started.
    fn note(&mut self, line: String) {
        let t = self.start.elapsed().as_secs_f64() * 1000.0;
        self.transcript.push(format!("{t:8.2}ms {line}"));
    }

    fn fail(&self, kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            step: self.step,
            kind,
            message: message.into(),
        }
    }

    fn os(&self, what: &str, e: std::io::Error) -> Failure {
        self.fail(FailureKind::Target, format!("{what}: {e}"))
    }

    /// The next segment of this connection from the target, waiting until `deadline`.
    fn next_segment(&mut self, deadline: Instant) -> Result<Option<(Segment, Instant)>, Failure> {
        if let Some(s) = self.backlog.pop_front() {
            return Ok(Some(s));
        }
        loop {
            if crate::interrupt::interrupted() {
                return Err(self.fail(FailureKind::Target, "interrupted"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let slice = (deadline - now).min(Duration::from_millis(100));
            let mut buf = std::mem::take(&mut self.buf);
            let got = self.target.capture(&mut buf, slice);
            let n = match got {
                Ok(Some(n)) => n,
                Ok(None) => {
                    self.buf = buf;
                    continue;
                }
                Err(e) => {
                    self.buf = buf;
                    return Err(self.os("read from the target's wire", e));
                }
            };
            let at = Instant::now();
            let seg = segment::parse(&buf[..n]);
            if let Some(seg) = seg.filter(|s| s.src == self.ends.target && s.dst == self.ends.peer)
            {
                self.capture.record(&buf[..n]);
                self.last_sent = Some(buf[..n].to_vec());
                self.buf = buf;
                if seg.flags.syn && self.sym.iss.is_none() {
                    self.sym.iss = Some(seg.seq);
                }
                if seg.flags.syn {
                    self.syns_seen += 1;
                    self.last_syn_at = Some(self.matched.len());
                }
                // A reset's window field says nothing of the receive window (Linux and this
                // project's stack send 0): `wnd` stays the last window the target offered.
                if !seg.flags.rst || self.sym.wnd.is_none() {
                    self.sym.wnd = Some(u32::from(seg.window));
                }
                self.last_target_tx = at;
                if seg.flags.ack {
                    // Any segment with ACK carries the current RCV.NXT: nothing is owed now.
                    self.ack_owed = false;
                }
                if seg.len > 0 || seg.flags.syn || seg.flags.fin {
                    self.last_target_seq_tx = at;
                }
                self.note(format!("< {}", describe_segment(&seg, &self.sym)));
                return Ok(Some((seg, at)));
            }
            self.buf = buf;
        }
    }

    /// Where waits for the current step start and how long they may take.
    fn window_for(&mut self, reply: Window) -> (Instant, Window, Option<TimerKind>) {
        match self.pending.take() {
            Some(p) => (p.base, p.window, Some(p.kind)),
            None => (Instant::now(), reply, None),
        }
    }

    fn too_early(
        &self,
        base: Instant,
        at: Instant,
        window: Window,
        timer: Option<TimerKind>,
    ) -> Option<Failure> {
        let after = at.saturating_duration_since(base);
        if after < window.earliest {
            let name = timer
                .map(|k| format!("{k:?}"))
                .unwrap_or_else(|| "reply".into());
            Some(self.fail(
                FailureKind::Timing,
                format!(
                    "came before {}, the earliest the {name} timer can fire",
                    ms(window.earliest)
                ),
            ))
        } else {
            None
        }
    }

    /// Explain a segment that does not match `p` at the current step.
    fn explain_mismatch(&self, p: &SegmentPattern, seg: &Segment) -> Failure {
        let got = describe_segment(seg, &self.sym);
        for (j, later) in self.vector.steps.iter().enumerate().skip(self.step) {
            match later {
                Step::Expect(q) => {
                    if compare(q, seg, &self.sym).is_empty() {
                        return self.fail(
                            FailureKind::Reordered,
                            format!(
                                "got {got}, which step {} expects, before {} (step {})",
                                j + 1,
                                describe_pattern(p),
                                self.step
                            ),
                        );
                    }
                }
                Step::Timer(_) | Step::Call(_) => {}
                _ => break,
            }
        }
        for (k, earlier) in &self.matched {
            if earlier == seg
                || (earlier.flags == seg.flags
                    && earlier.seq == seg.seq
                    && earlier.ack == seg.ack
                    && earlier.len == seg.len)
            {
                return self.fail(
                    FailureKind::Extra,
                    format!(
                        "got {got} again (a repeat of step {k}) where {} was expected",
                        describe_pattern(p)
                    ),
                );
            }
        }
        let diffs: Vec<String> = compare(p, seg, &self.sym)
            .iter()
            .map(|d| d.to_string())
            .collect();
        self.fail(
            FailureKind::Field,
            format!(
                "expected {}, got {got}: {}",
                describe_pattern(p),
                diffs.join("; ")
            ),
        )
    }

    fn expect(&mut self, p: &SegmentPattern) -> Result<(), Failure> {
        let reply = self.target.timers().reply_window(p);
        let (base, window, timer) = self.window_for(reply);
        let Some((seg, at)) = self.wait_segment(base + window.latest, timer.is_none())? else {
            return Err(self.fail(
                FailureKind::Missing,
                format!(
                    "expected {} within {}, nothing arrived",
                    describe_pattern(p),
                    ms(window.latest)
                ),
            ));
        };
        if !compare(p, &seg, &self.sym).is_empty() {
            return Err(self.explain_mismatch(p, &seg));
        }
        if let Some(f) = self.too_early(base, at, window, timer) {
            return Err(f);
        }
        self.matched.push((self.step, seg));
        Ok(())
    }

    fn expect_one_of(&mut self, alts: &[Vec<SegmentPattern>]) -> Result<(), Failure> {
        let timers = self.target.timers().clone();
        let first_latest = alts
            .iter()
            .filter_map(|a| a.first())
            .map(|p| timers.reply_window(p).latest)
            .max()
            .unwrap_or(timers.response);
        let reply = Window {
            earliest: Duration::ZERO,
            latest: first_latest,
        };
        let (base, window, timer) = self.window_for(reply);
        let allows_nothing = alts.iter().any(|a| a.is_empty());
        let listing = alts
            .iter()
            .map(|a| {
                if a.is_empty() {
                    "nothing".to_string()
                } else {
                    a.iter()
                        .map(describe_pattern)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            })
            .collect::<Vec<_>>()
            .join(" | ");
        let Some((seg, at)) = self.wait_segment(base + window.latest, timer.is_none())? else {
            if allows_nothing {
                return Ok(());
            }
            return Err(self.fail(
                FailureKind::Missing,
                format!(
                    "expected one of [{listing}] within {}, nothing arrived",
                    ms(window.latest)
                ),
            ));
        };
        if let Some(f) = self.too_early(base, at, window, timer) {
            return Err(f);
        }
        let mut candidates: Vec<&Vec<SegmentPattern>> = alts
            .iter()
            .filter(|a| {
                a.first()
                    .is_some_and(|p| compare(p, &seg, &self.sym).is_empty())
            })
            .collect();
        if candidates.is_empty() {
            let kind = if allows_nothing {
                FailureKind::Extra
            } else {
                FailureKind::Field
            };
            return Err(self.fail(
                kind,
                format!(
                    "got {}, which starts none of [{listing}]",
                    describe_segment(&seg, &self.sym)
                ),
            ));
        }
        self.matched.push((self.step, seg));
        let mut k = 1;
        loop {
            let complete = candidates.iter().any(|a| a.len() == k);
            let longer: Vec<&Vec<SegmentPattern>> =
                candidates.iter().copied().filter(|a| a.len() > k).collect();
            if longer.is_empty() {
                return Ok(());
            }
            let wait = longer
                .iter()
                .map(|a| timers.reply_window(&a[k]).latest)
                .max()
                .unwrap_or(timers.response);
            let Some((seg, at)) = self.wait_segment(Instant::now() + wait, true)? else {
                if complete {
                    return Ok(());
                }
                return Err(self.fail(
                    FailureKind::Missing,
                    format!(
                        "segment {} of [{listing}] did not arrive within {}",
                        k + 1,
                        ms(wait)
                    ),
                ));
            };
            let matching: Vec<&Vec<SegmentPattern>> = longer
                .into_iter()
                .filter(|a| compare(&a[k], &seg, &self.sym).is_empty())
                .collect();
            if matching.is_empty() {
                if complete {
                    self.backlog.push_front((seg, at));
                    return Ok(());
                }
                return Err(self.fail(
                    FailureKind::Field,
                    format!(
                        "segment {} was {}, which continues none of [{listing}]",
                        k + 1,
                        describe_segment(&seg, &self.sym)
                    ),
                ));
            }
            self.matched.push((self.step, seg));
            candidates = matching;
            k += 1;
        }
    }

    fn send(&mut self, spec: &tcp_vectors::SegmentSpec) -> Result<(), Failure> {
        self.sym.wnd_at_send = self.sym.wnd;
        let seq = self
            .sym
            .eval(&spec.seq)
            .map_err(|e| self.fail(FailureKind::Vector, e))?;
        let ack = match (&spec.ack, spec.flags.ack) {
            (Some(a), _) => self
                .sym
                .eval(a)
                .map_err(|e| self.fail(FailureKind::Vector, e))?,
            (None, true) => {
                return Err(self.fail(FailureKind::Vector, "send with flag A needs an ack"))
            }
            (None, false) => 0,
        };
        let urgent = match spec.urg.map(u16::try_from) {
            None => 0,
            Some(Ok(u)) => u,
            Some(Err(_)) => {
                return Err(self.fail(
                    FailureKind::Vector,
                    "an urgent pointer above 65535 does not fit the field",
                ))
            }
        };
        let seg = Segment {
            src: self.ends.peer,
            dst: self.ends.target,
            flags: spec.flags,
            seq,
            ack,
            window: PEER_WINDOW,
            len: spec.len,
            urgent,
            options: Default::default(),
        };
        let pkt = segment::build(&seg, &segment::payload_pattern(spec.len))
            .map_err(|e| self.fail(FailureKind::Target, e))?;
        self.note(format!("> {}", describe_segment(&seg, &self.sym)));
        self.capture.record(&pkt);
        self.target
            .inject(&pkt)
            .map_err(|e| self.os("write to the target's wire", e))?;
        *self.injected += 1;
        self.last_peer_tx = Instant::now();
        if spec.flags.fin && !spec.flags.rst {
            let fin_at = seq.wrapping_add(spec.len);
            if self.seen_state != Some(TcpState::TimeWait) {
                self.peer_fin_at = Some(fin_at);
            } else if self.peer_fin_at == Some(fin_at) {
                self.time_wait_base = Some(self.last_peer_tx);
            }
        }
        // Text on a RST is never acknowledged (RFC 1122 4.2.2.12: it explains the reset).
        if !spec.flags.rst && (spec.len > 0 || spec.flags.syn || spec.flags.fin) {
            self.ack_owed = true;
        }
        // The retransmission timer's backoff lasts until new data is acknowledged (RFC 6298
        // 5.7, Karn's algorithm), which the replayer cannot judge (an ACK may be unacceptable,
        // or come on a segment that is dropped): a peer segment does not end it, and a timer
        // step after other segments may wait for the backed-off timeout. The earliest a
        // retransmission may come does not depend on the count.
        self.keepalives = 0;
        Ok(())
    }

    fn state(&mut self, allowed: &[TcpState]) -> Result<(), Failure> {
        let reply = Window {
            earliest: Duration::ZERO,
            latest: self.target.timers().response,
        };
        let (base, window, timer) = self.window_for(reply);
        let deadline = base + window.latest;
        let settle_end = Instant::now() + self.target.timers().settle;
        let mut asked = false;
        loop {
            let now_state = self
                .target
                .state()
                .map_err(|e| self.os("read the socket state (sock_diag)", e))?;
            let now = Instant::now();
            if allowed.contains(&now_state) {
                if let Some(f) = self.too_early(base, now, window, timer) {
                    return Err(self.fail(
                        FailureKind::Timing,
                        format!("state {now_state} {}", f.message),
                    ));
                }
                if now_state == TcpState::TimeWait && self.seen_state != Some(TcpState::TimeWait) {
                    self.time_wait_base = Some(self.last_peer_tx);
                }
                self.seen_state = Some(now_state);
                self.note(format!("= {now_state}"));
                return Ok(());
            }
            if crate::interrupt::interrupted() {
                return Err(self.fail(FailureKind::Target, "interrupted"));
            }
            // The state changes only on a packet, a call or a timer: once settled, a target that
            // shows no timer fires before the deadline will not reach the state in time.
            let proven = timer.is_none() && !asked && now >= settle_end && {
                asked = true;
                self.proven_still_until(deadline, false)?
            };
            if proven {
                self.note(format!(
                    "state stays {now_state}: no timer of the target fires before {}",
                    ms(deadline.saturating_duration_since(base))
                ));
            }
            if now >= deadline || proven {
                let want = allowed
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(" or ");
                return Err(self.fail(
                    FailureKind::State,
                    format!(
                        "expected {want} within {}, the connection is {now_state}",
                        ms(window.latest)
                    ),
                ));
            }
            // Poll every millisecond for replies; long timer windows (TIME-WAIT: 60 s) at a
            // thousandth of their length, at most every 20 ms.
            let pause =
                (window.latest / 1000).clamp(Duration::from_millis(1), Duration::from_millis(20));
            std::thread::sleep(pause);
        }
    }

    /// Whether the target's last segment that occupies sequence space was its SYN (the
    /// timer now retransmits the SYN, not data).
    fn synchronizing(&self) -> bool {
        self.last_syn_at
            .is_some_and(|at| at + 1 >= self.matched.len())
    }

    fn timer(&mut self, kind: TimerKind) -> Result<(), Failure> {
        let timers = self.target.timers().clone();
        let keepalive = self.vector.options.keepalive;
        let (nth, base) = match kind {
            TimerKind::Retransmission => {
                self.retransmissions += 1;
                (self.retransmissions - 1, self.last_target_seq_tx)
            }
            TimerKind::Keepalive => {
                self.keepalives += 1;
                let base = if self.keepalives == 1 {
                    self.last_peer_tx
                } else {
                    self.last_target_tx
                };
                (self.keepalives - 1, base)
            }
            TimerKind::TimeWait => (
                0,
                self.time_wait_base
                    .unwrap_or(self.last_peer_tx.max(self.last_target_tx)),
            ),
        };
        let mut window = timers.timer_window(kind, nth, keepalive);
        if kind == TimerKind::Retransmission && self.syns_seen > 1 && !self.synchronizing() {
            // RFC 6298 5.7: once a SYN has timed out, the RTO is at least 3 s when data
            // transmission begins (Linux: TCP_TIMEOUT_FALLBACK), backed off from there.
            let fallback = Duration::from_secs(3)
                .saturating_mul(1u32 << nth.min(16))
                .min(timers.rto_max.max(Duration::from_secs(3)));
            window.latest = window
                .latest
                .max(fallback + fallback / 8 + timers.tick + timers.response);
        }
        if window.latest > MAX_TIMER_WAIT {
            return Err(self.fail(
                FailureKind::Vector,
                format!(
                    "the {kind:?} timer may take up to {}, longer than a replay waits ({})",
                    ms(window.latest),
                    ms(MAX_TIMER_WAIT)
                ),
            ));
        }
        self.note(format!(
            "~ timer {kind:?} #{} within {}..{}",
            nth + 1,
            ms(window.earliest),
            ms(window.latest)
        ));
        self.pending = Some(PendingTimer { kind, base, window });
        Ok(())
    }

    /// The processing barrier: wait until the target has processed every packet injected into
    /// it ([`Target::processed`]), so that what follows observes the target after the peer's
    /// last segment. A target that does not get there within [`PROCESSING_TIMEOUT`], or that
    /// reports more packets than were injected, fails the replay with a `target` error naming
    /// both counts.
    fn barrier(&mut self) -> Result<(), Failure> {
        let want = *self.injected;
        if *self.processed == want {
            return Ok(());
        }
        let start = Instant::now();
        loop {
            let got = self
                .target
                .processed()
                .map_err(|e| self.os("ask the target how many packets it has processed", e))?;
            *self.processed = got;
            if got == want {
                return Ok(());
            }
            if got > want {
                return Err(self.fail(
                    FailureKind::Target,
                    format!(
                        "the target reports {got} packets processed, but only {want} were \
                         injected into it"
                    ),
                ));
            }
            if crate::interrupt::interrupted() {
                return Err(self.fail(FailureKind::Target, "interrupted"));
            }
            if start.elapsed() >= PROCESSING_TIMEOUT {
                return Err(self.fail(
                    FailureKind::Target,
                    format!(
                        "the target has processed {got} of the {want} packets injected into it \
                         after {}",
                        ms(PROCESSING_TIMEOUT)
                    ),
                ));
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    fn run_step(&mut self, step: &Step) -> Result<(), Failure> {
        if !matches!(step, Step::Send(_) | Step::Icmp(_)) {
            self.barrier()?;
        }
        match step {
            Step::Call(c) => {
                let out = self
                    .target
                    .call(*c)
                    .map_err(|e| self.os(&format!("call {c:?}"), e))?;
                let note = match out {
                    CallOutcome::Done => String::new(),
                    CallOutcome::Sent(n) => format!(" -> sent {n}"),
                    CallOutcome::Received(n) => format!(" -> received {n}"),
                    CallOutcome::Failed(e) => format!(" -> failed: {e}"),
                    CallOutcome::Blocked(e) => format!(" -> blocks: {e}"),
                };
                self.note(format!("call {c:?}{note}"));
                Ok(())
            }
            Step::Expect(p) => self.expect(p),
            Step::ExpectOneOf(alts) => self.expect_one_of(alts),
            Step::Send(spec) => self.send(spec),
            Step::State(s) => self.state(&[*s]),
            Step::StateOneOf(ss) => self.state(ss),
            Step::App(e) => self.app(*e),
            Step::Timer(k) => self.timer(*k),
            Step::Quiet(d) => self.quiet(Duration::from_millis(d.0), d),
            Step::OneOf(o) => self.one_of(o),
            Step::Stays(h) => self.stays(h),
            Step::Wait(d) => self.wait(Duration::from_millis(d.0), d),
            Step::Icmp(kind) => self.icmp(*kind),
        }
    }

    /// Send the target an ICMP or ICMPv6 error of `kind` quoting the last packet of this
    /// connection it sent (RFC 9293 section 3.9.2.2; see [`crate::icmp`]).
    fn icmp(&mut self, kind: IcmpKind) -> Result<(), Failure> {
        let Some(quoted) = self.last_sent.clone() else {
            return Err(self.fail(
                FailureKind::Vector,
                "an `icmp` step before the target sent anything to quote",
            ));
        };
        let pkt = crate::icmp::error_about(kind, &quoted)
            .map_err(|e| self.fail(FailureKind::Target, e))?;
        let from = crate::icmp::reporter(kind, self.ends.peer.ip());
        let what =
            segment::parse(&quoted).map_or_else(|| "?".into(), |s| describe_segment(&s, &self.sym));
        self.note(format!("> icmp {kind:?} from {from} quoting {what}"));
        self.capture.record(&pkt);
        self.target
            .inject(&pkt)
            .map_err(|e| self.os("write to the target's wire", e))?;
        *self.injected += 1;
        self.last_peer_tx = Instant::now();
        Ok(())
    }

    /// The connection must stay in `h.state` until `h.until` after the replay began, while the
    /// target's timers run: the state is read every [`STAYS_POLL`], and every segment the
    /// target sends meanwhile must repeat the last one matched (a retransmission: same flags,
    /// sequence and acknowledgment numbers, length). Repeats count as retransmissions for a
    /// `timer` step that follows.
    fn stays(&mut self, h: &Stays) -> Result<(), Failure> {
        self.pending = None;
        let until = self.start + Duration::from_millis(h.until.0);
        let last = self.matched.last().map(|(k, seg)| (*k, seg.clone()));
        self.note(format!("~ stays {} until {}", h.state, h.until));
        let mut repeats = 0u32;
        loop {
            let now_state = self
                .target
                .state()
                .map_err(|e| self.os("read the socket state", e))?;
            let elapsed = ms(self.start.elapsed());
            if now_state != h.state {
                return Err(self.fail(
                    FailureKind::State,
                    format!(
                        "expected {} until {}, the connection is {now_state} at {elapsed} \
                         (after {repeats} retransmissions)",
                        h.state, h.until
                    ),
                ));
            }
            let now = Instant::now();
            if now >= until {
                self.note(format!(
                    "= {} at {elapsed}, after {repeats} retransmissions",
                    h.state
                ));
                return Ok(());
            }
            let slice_end = (now + STAYS_POLL).min(until);
            while let Some((seg, _)) = self.next_segment(slice_end)? {
                let repeat = last.as_ref().is_some_and(|(_, l)| {
                    l.flags == seg.flags && l.seq == seg.seq && l.ack == seg.ack && l.len == seg.len
                });
                if !repeat {
                    let what = match &last {
                        Some((k, l)) => {
                            format!("a repeat of step {k} ({})", describe_segment(l, &self.sym))
                        }
                        None => "nothing".to_string(),
                    };
                    return Err(self.fail(
                        FailureKind::Extra,
                        format!(
                            "got {} while the connection stays {} (only {what} may come)",
                            describe_segment(&seg, &self.sym),
                            h.state
                        ),
                    ));
                }
                repeats += 1;
                self.retransmissions += 1;
            }
        }
    }

    /// Observe the target once and find the one branch of `o` that matches
    /// ([`crate::one_of`]): watch the wire for as long as the most demanding branch needs (or
    /// until the target shows that nothing more can come), read the state if a branch names
    /// one, judge every branch, then check the application events of the branches that still
    /// fit. Exactly one branch must match; two that both match are a `vector` error.
    fn one_of(&mut self, o: &OneOf) -> Result<(), Failure> {
        let timers = self.target.timers().clone();
        let pending = self.pending.take();
        let (base, first) = match pending {
            Some(p) => (p.base, Some(p.window)),
            None => (Instant::now(), None),
        };
        let watch = o
            .branches
            .iter()
            .map(|b| one_of::horizon(b, &timers, first))
            .max()
            .unwrap_or(timers.response);
        let mut segments = Vec::new();
        while let Some((seg, at)) = self.wait_segment(base + watch, pending.is_none())? {
            segments.push((seg, at.saturating_duration_since(base)));
        }
        let names_state = o
            .branches
            .iter()
            .any(|b| b.steps.iter().any(|s| matches!(s, Step::State(_))));
        let state = if names_state {
            Some(
                self.target
                    .state()
                    .map_err(|e| self.os("read the socket state", e))?,
            )
        } else {
            None
        };
        let obs = Observation {
            segments,
            first,
            watched: base.elapsed(),
            state,
        };
        let seen = one_of::describe(&obs, &self.sym, false);
        let timed = one_of::describe(&obs, &self.sym, true);
        self.note(format!("one_of {}: {timed}", o.choice));
        let mut results: Vec<Result<one_of::Fit, one_of::Mismatch>> = o
            .branches
            .iter()
            .map(|b| one_of::fit(b, &obs, &timers, &self.sym))
            .collect();
        // Application events last, and only for branches that fit so far: a check that
        // succeeds consumes what it saw (bytes read, an error taken). Each event is checked
        // once; later branches naming it get the same answer.
        let mut checked: Vec<(AppEvent, AppCheck)> = Vec::new();
        for r in &mut results {
            let Ok(fit) = r else { continue };
            for &event in &fit.apps {
                let answer = match checked.iter().find(|(e, _)| *e == event) {
                    Some((_, a)) => a.clone(),
                    None => {
                        let a = self
                            .target
                            .check_app(event, Duration::ZERO)
                            .map_err(|e| self.os("check the application", e))?;
                        checked.push((event, a.clone()));
                        a
                    }
                };
                if let AppCheck::NotSeen(saw) = answer {
                    *r = Err(one_of::Mismatch {
                        kind: FailureKind::App,
                        message: format!("expected {event:?}, the application saw: {saw}"),
                    });
                    break;
                }
            }
        }
        let matching: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
        for (b, r) in o.branches.iter().zip(&results) {
            if let Err(m) = r {
                self.note(format!("  branch {} does not match: {m}", b.name));
            }
        }
        match matching.as_slice() {
            [] => {
                let why = o
                    .branches
                    .iter()
                    .zip(&results)
                    .filter_map(|(b, r)| r.as_ref().err().map(|m| format!("{}: {m}", b.name)))
                    .collect::<Vec<_>>()
                    .join(" | ");
                self.choices.push(Choice {
                    choice: o.choice.clone(),
                    branch: None,
                });
                Err(self.fail(
                    FailureKind::OneOf,
                    format!(
                        "{}: no branch matches what the target did ({seen}): {why}",
                        o.choice
                    ),
                ))
            }
            [i] => {
                let consumed = results[*i].as_ref().map_or(0, |f| f.consumed);
                let mut segments = obs.segments.into_iter().map(|(seg, t)| (seg, base + t));
                for (seg, _) in segments.by_ref().take(consumed) {
                    self.matched.push((self.step, seg));
                }
                // What the branch did not take stays on the wire for the following steps.
                for (k, got) in segments.enumerate() {
                    self.backlog.insert(k, got);
                }
                let branch = &o.branches[*i].name;
                self.note(format!("one_of {} -> {branch}", o.choice));
                self.choices.push(Choice {
                    choice: o.choice.clone(),
                    branch: Some(branch.clone()),
                });
                Ok(())
            }
            [i, j, ..] => Err(self.fail(
                FailureKind::Vector,
                format!(
                    "one_of {}: branches {} and {} both match what the target did ({seen}); \
                     the branches of a one_of must exclude each other",
                    o.choice, o.branches[*i].name, o.branches[*j].name
                ),
            )),
        }
    }

    /// The application must observe `event`: within the pending timer's window, or else within
    /// the reply bound, ended early once the target shows that nothing can change before it.
    fn app(&mut self, event: AppEvent) -> Result<(), Failure> {
        let start = Instant::now();
        let (deadline, may_prove) = match self.pending.take() {
            Some(p) => (p.base + p.window.latest, false),
            None => (start + self.target.timers().response, true),
        };
        let check = |r: &mut Self, until: Instant| {
            r.target
                .check_app(event, until.saturating_duration_since(Instant::now()))
                .map_err(|err| r.os("check the application", err))
        };
        let first_until = if may_prove {
            (start + self.target.timers().settle).min(deadline)
        } else {
            deadline
        };
        let mut seen = check(self, first_until)?;
        if let AppCheck::NotSeen(saw) = &seen {
            if may_prove && self.proven_still_until(deadline, false)? {
                self.note(format!(
                    "the application saw {saw}, and no timer of the target fires before {}",
                    ms(deadline.saturating_duration_since(start))
                ));
            } else if first_until < deadline {
                seen = check(self, deadline)?;
            }
        }
        match seen {
            AppCheck::Seen => {
                self.note(format!("app {event:?}"));
                Ok(())
            }
            AppCheck::NotSeen(saw) => Err(self.fail(
                FailureKind::App,
                format!("expected {event:?}, the application saw: {saw}"),
            )),
        }
    }

    /// Nothing may arrive for `length` (see [`Replay::wait_segment`]).
    /// Let `length` pass in full (no proof from the target's timers ends it early); nothing
    /// may arrive meanwhile.
    fn wait(&mut self, length: Duration, shown: &Millis) -> Result<(), Failure> {
        self.pending = None;
        match self.wait_segment(Instant::now() + length, false)? {
            None => Ok(()),
            Some((seg, _)) => Err(self.fail(
                FailureKind::Extra,
                format!(
                    "got {} while the peer waited {shown}",
                    describe_segment(&seg, &self.sym)
                ),
            )),
        }
    }

    fn quiet(&mut self, length: Duration, shown: &Millis) -> Result<(), Failure> {
        self.pending = None;
        match self.wait_segment(Instant::now() + length, true)? {
            None => Ok(()),
            Some((seg, _)) => Err(self.fail(
                FailureKind::Extra,
                format!(
                    "got {} during a quiet window of {shown}",
                    describe_segment(&seg, &self.sym)
                ),
            )),
        }
    }

    /// Whether the target can show that nothing will happen before `deadline`: asked after
    /// the wire has been watched for the target's settle time (anything the target owes is
    /// on the wire by then). A delayed ACK the question makes the target send is left on the
    /// wire for the caller to read. With `segments`, the question is whether any segment can
    /// come: then a delayed ACK that may still be owed (which no timer report shows, and which
    /// the target could not be made to send at once) also rules the proof out; it changes no
    /// state and no application event, so it does not matter otherwise.
    fn proven_still_until(&mut self, deadline: Instant, segments: bool) -> Result<bool, Failure> {
        let silent = self
            .target
            .silent_for()
            .map_err(|e| self.os("ask the target for its timers", e))?;
        let Some(silent) = silent else {
            return Ok(false);
        };
        if segments {
            // A delayed ACK the target was asked to send at once is on the wire by now.
            if let Some(got) = self.next_segment(Instant::now() + Duration::from_millis(1))? {
                self.backlog.push_front(got);
                return Ok(false);
            }
            if self.ack_owed {
                return Ok(false);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        Ok(silent > left + self.target.timers().granularity)
    }

    /// The next segment before `deadline`. With `may_prove`, the wire is watched for the
    /// target's settle time and then, if the target shows from its timers that nothing can
    /// be sent before `deadline` ([`Target::silent_for`]), the wait ends there: no segment.
    /// Otherwise (or for a target that cannot tell) the wire is watched until `deadline`.
    fn wait_segment(
        &mut self,
        deadline: Instant,
        may_prove: bool,
    ) -> Result<Option<(Segment, Instant)>, Failure> {
        if !may_prove {
            return self.next_segment(deadline);
        }
        let start = Instant::now();
        let settle_end = (start + self.target.timers().settle).min(deadline);
        if let Some(got) = self.next_segment(settle_end)? {
            return Ok(Some(got));
        }
        if self.proven_still_until(deadline, true)? {
            self.note(format!(
                "nothing on the wire after {}, and no timer of the target fires before {}",
                ms(start.elapsed()),
                ms(deadline.saturating_duration_since(start))
            ));
            return Ok(None);
        }
        self.next_segment(deadline)
    }
}

/// Replay `vector` against the target between `ends`, stopping at the first difference. The
/// target's endpoint is opened before the first step and closed (aborted) after the last,
/// whatever happened. Pass the same [`Driven`] for every replay of one target.
pub fn replay(target: &mut Driven<'_>, vector: &Vector, ends: Endpoints) -> Outcome {
    replay_explained(target, vector, ends, &|_| None)
}

/// Replay `vector`, where `explain` attributes a difference to a deviation entry (its index,
/// and whether the replay may go on). A difference attributed to an entry that lets the
/// replay go on counts as done (a segment that differed is consumed) and the next step runs,
/// so such a listed difference early in a vector never hides the rest of it; one attributed to
/// another entry ends the replay as a listed deviation. The first difference `explain` does
/// not attribute ends the replay as a failure.
pub fn replay_explained(
    driven: &mut Driven<'_>,
    vector: &Vector,
    ends: Endpoints,
    explain: &dyn Fn(&Failure) -> Option<(usize, bool)>,
) -> Outcome {
    let start = Instant::now();
    let mut r = Replay {
        target: &mut *driven.target,
        injected: &mut driven.injected,
        processed: &mut driven.processed,
        vector,
        ends,
        sym: Symbols::for_vector(&vector.id),
        backlog: VecDeque::new(),
        matched: Vec::new(),
        last_sent: None,
        capture: Capture::new(),
        transcript: Vec::new(),
        pending: None,
        retransmissions: 0,
        syns_seen: 0,
        last_syn_at: None,
        keepalives: 0,
        last_target_tx: start,
        last_peer_tx: start,
        last_target_seq_tx: start,
        ack_owed: false,
        peer_fin_at: None,
        seen_state: None,
        time_wait_base: None,
        buf: vec![0u8; 65536],
        step: 0,
        start,
        choices: Vec::new(),
    };
    let mut failure = if vector.options.keep_listener && vector.role != Role::Passive {
        Some(r.fail(
            FailureKind::Vector,
            "keep_listener applies to a passive vector (one that listens) only",
        ))
    } else {
        match r.target.open(ends, vector.role, &vector.options) {
            Ok(()) => None,
            Err(e) => Some(r.os("open the target's socket", e)),
        }
    };
    let mut deviations = Vec::new();
    if failure.is_none() {
        for (i, step) in vector.steps.iter().enumerate() {
            r.step = i + 1;
            if let Err(f) = r.run_step(step) {
                match explain(&f) {
                    Some((entry, true)) => {
                        r.note(format!("! listed deviation, the replay goes on: {f}"));
                        deviations.push((f, entry));
                    }
                    Some((entry, false)) => {
                        r.note(format!("! listed deviation, the replay ends: {f}"));
                        deviations.push((f, entry));
                        break;
                    }
                    None => {
                        failure = Some(f);
                        break;
                    }
                }
            }
        }
    }
    if failure.is_some() || !deviations.is_empty() {
        // The state as of the peer's last segment (unless the target is what failed).
        if failure
            .as_ref()
            .is_none_or(|f| f.kind != FailureKind::Target)
        {
            let _ = r.barrier();
        }
        match r.target.state() {
            Ok(s) => r.note(format!("= {s} (state when the replay stopped)")),
            Err(e) => r.note(format!("= state unknown when the replay stopped: {e}")),
        }
    }
    r.target.close();
    Outcome {
        failure,
        deviations,
        transcript: r.transcript,
        capture: r.capture,
        elapsed: start.elapsed(),
        choices: r.choices,
    }
}

#[cfg(test)]
mod tests {
    //! The verdict engine against a scripted target: packets the "target" sends become
    //! readable once the peer has injected a given number of packets, so every branch of the
    //! matching logic is exercised deterministically, without a kernel.
    use super::*;
    use crate::target::{AppCheck, CallOutcome};
    use crate::timing::TimerProfile;
    use std::io;
    use tcp_vectors::{AppEvent, Call, Role, SocketOptions};

    const ISS: u32 = 1000;

    struct Scripted {
        timers: TimerProfile,
        ends: Endpoints,
        /// (number of peer packets that must have been injected, flags, seq, ack, len)
        script: Vec<(usize, &'static str, u32, u32, u32)>,
        injected: usize,
        next: usize,
        /// What `silent_for` answers.
        silent: Option<Duration>,
        /// How long the latest injected packet takes to be processed (`None`: at once).
        lag: Option<Duration>,
        last_inject: Option<Instant>,
        /// The state after each number of processed packets (ESTABLISHED beyond the list).
        states: Vec<TcpState>,
        /// The application events the application observes (`None`: every one).
        apps: Option<Vec<AppEvent>>,
    }

    impl Scripted {
        fn processed_now(&self) -> usize {
            match (self.lag, self.last_inject) {
                (Some(lag), Some(at)) if at.elapsed() < lag => self.injected - 1,
                _ => self.injected,
            }
        }
    }

    impl Target for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn timers(&self) -> &TimerProfile {
            &self.timers
        }
        fn endpoints(&mut self, _ipv6: bool) -> Endpoints {
            self.ends
        }
        fn open(&mut self, _: Endpoints, _: Role, _: &SocketOptions) -> io::Result<()> {
            Ok(())
        }
        fn call(&mut self, _: Call) -> io::Result<CallOutcome> {
            Ok(CallOutcome::Done)
        }
        fn check_app(&mut self, event: AppEvent, _: Duration) -> io::Result<AppCheck> {
            Ok(match &self.apps {
                Some(seen) if !seen.contains(&event) => AppCheck::NotSeen("nothing".into()),
                _ => AppCheck::Seen,
            })
        }
        fn state(&mut self) -> io::Result<TcpState> {
            let n = self.processed_now();
            Ok(self.states.get(n).copied().unwrap_or(TcpState::Established))
        }
        fn inject(&mut self, _: &[u8]) -> io::Result<()> {
            self.injected += 1;
            self.last_inject = Some(Instant::now());
            Ok(())
        }
        fn processed(&mut self) -> io::Result<u64> {
            Ok(self.processed_now() as u64)
        }
        fn silent_for(&mut self) -> io::Result<Option<Duration>> {
            Ok(self.silent)
        }
        fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
            match self.script.get(self.next) {
                Some(&(after, flags, seq, ack, len)) if after <= self.injected => {
                    self.next += 1;
                    let seg = Segment {
                        src: self.ends.target,
                        dst: self.ends.peer,
                        flags: flags
                            .parse()
                            .map_err(|e| io::Error::other(format!("{e}")))?,
                        seq,
                        ack,
                        window: 1000,
                        len,
                        urgent: 0,
                        options: Default::default(),
                    };
                    let pkt = segment::build(&seg, &segment::payload_pattern(len))
                        .map_err(io::Error::other)?;
                    buf[..pkt.len()].copy_from_slice(&pkt);
                    Ok(Some(pkt.len()))
                }
                _ => {
                    std::thread::sleep(timeout.min(Duration::from_millis(1)));
                    Ok(None)
                }
            }
        }
        fn close(&mut self) {}
    }

    fn run(
        steps: &str,
        script: Vec<(usize, &'static str, u32, u32, u32)>,
    ) -> (Option<Failure>, Vec<String>) {
        let (f, t, _) = run_silent(steps, script, None);
        (f, t)
    }

    fn run_silent(
        steps: &str,
        script: Vec<(usize, &'static str, u32, u32, u32)>,
        silent: Option<Duration>,
    ) -> (Option<Failure>, Vec<String>, Duration) {
        let out = run_explained(steps, script, silent, &|_| None);
        (out.failure, out.transcript, out.elapsed)
    }

    /// Replay `steps` (after the vector header) against a scripted target.
    fn run_explained(
        steps: &str,
        script: Vec<(usize, &'static str, u32, u32, u32)>,
        silent: Option<Duration>,
        explain: &dyn Fn(&Failure) -> Option<(usize, bool)>,
    ) -> Outcome {
        let text = format!(
            "version: {}\nid: t\ncovers: []\nrole: active\nsteps:\n{steps}",
            tcp_vectors::SCHEMA_VERSION
        );
        run_text(&text, script, silent, explain)
    }

    /// Replay a whole vector text against the scripted target.
    fn run_text(
        text: &str,
        script: Vec<(usize, &'static str, u32, u32, u32)>,
        silent: Option<Duration>,
        explain: &dyn Fn(&Failure) -> Option<(usize, bool)>,
    ) -> Outcome {
        run_on(text, &mut scripted(script, silent), explain)
    }

    fn scripted(
        script: Vec<(usize, &'static str, u32, u32, u32)>,
        silent: Option<Duration>,
    ) -> Scripted {
        let mut timers = TimerProfile::linux();
        timers.response = Duration::from_millis(30);
        timers.delayed_ack_max = Duration::from_millis(10);
        Scripted {
            timers,
            ends: Endpoints {
                target: "192.0.2.1:1000".parse().unwrap(),
                peer: "192.0.2.2:2000".parse().unwrap(),
            },
            script,
            injected: 0,
            next: 0,
            silent,
            lag: None,
            last_inject: None,
            states: Vec::new(),
            apps: None,
        }
    }

    /// Replay a whole vector text against a prepared scripted target.
    fn run_on(
        text: &str,
        t: &mut Scripted,
        explain: &dyn Fn(&Failure) -> Option<(usize, bool)>,
    ) -> Outcome {
        let v = Vector::from_yaml(text).expect("test vector parses");
        let ends = t.ends;
        replay_explained(&mut Driven::new(t), &v, ends, explain)
    }

    fn active(steps: &str) -> String {
        format!(
            "version: {}\nid: t\ncovers: []\nrole: active\nsteps:\n{steps}",
            tcp_vectors::SCHEMA_VERSION
        )
    }

    #[test]
    fn a_quiet_window_ends_early_only_when_the_target_shows_no_timer_can_send() {
        let steps =
            format!("{HANDSHAKE}  - expect: {{ flags: A, seq: iss+1 }}\n  - quiet: 100ms\n");
        let script = || vec![(0, "S", ISS, 0, 0), (1, "A", ISS + 1, irs() + 1, 0)];
        let (f, t, took) = run_silent(&steps, script(), Some(Duration::MAX));
        assert_eq!(f, None, "{t:?}");
        assert!(took < Duration::from_millis(100), "proven silent: {took:?}");
        assert!(t.iter().any(|l| l.contains("no timer")), "{t:?}");
        // A timer due inside the window, or a target that cannot tell: watched to the end.
        for silent in [Some(Duration::from_millis(30)), None] {
            let (f, t, took) = run_silent(&steps, script(), silent);
            assert_eq!(f, None, "{t:?}");
            assert!(took >= Duration::from_millis(100), "{silent:?}: {took:?}");
        }
    }

    #[test]
    fn a_listed_difference_ends_the_replay_unless_its_entry_lets_it_go_on() {
        let steps = format!(
            "{HANDSHAKE}  - expect: {{ flags: A, seq: iss+1 }}\n  - expect: {{ flags: FA, seq: iss+1 }}\n"
        );
        let script = || {
            vec![
                (0, "S", ISS, 0, 0),
                (1, "RA", ISS + 1, irs() + 1, 0),
                (1, "A", ISS + 1, irs() + 1, 0),
            ]
        };
        let run_with = |explain: &dyn Fn(&Failure) -> Option<(usize, bool)>| {
            run_explained(&steps, script(), None, explain)
        };
        let rst_ack = |f: &Failure| f.to_string().contains("got RA");
        let field = |f: &Failure| rst_ack(f).then_some((7, true));
        // Going on: the RST,ACK is consumed, the next step meets the plain ACK where it expects
        // a FIN: a second difference, which no entry explains.
        let out = run_with(&field);
        assert_eq!(out.deviations.len(), 1);
        assert_eq!(out.deviations[0].1, 7);
        let f = out
            .failure
            .expect("the FIN step fails after the listed difference");
        assert_eq!((f.step, f.kind), (5, FailureKind::Field), "{f}");
        // Ending there: a deviation, the FIN step never runs.
        let out = run_with(&|f: &Failure| rst_ack(f).then_some((7, false)));
        assert_eq!((out.failure, out.deviations.len()), (None, 1));
        // Not listed: a failure at the first difference.
        let out = run_with(&|_: &Failure| None);
        assert_eq!(out.failure.map(|f| f.step), Some(4));
        assert!(out.deviations.is_empty());
    }

    #[test]
    fn a_possibly_owed_delayed_ack_keeps_the_window_open() {
        // The peer's SYN,ACK is not acknowledged yet: the target may still send a delayed
        // ACK, which no timer report shows, so silence is not proven.
        let steps = format!("{HANDSHAKE}  - quiet: 100ms\n");
        let (f, t, took) = run_silent(&steps, vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        assert_eq!(f, None, "{t:?}");
        assert!(took >= Duration::from_millis(100), "{took:?}");
    }

    #[test]
    fn a_state_or_app_check_ends_early_when_nothing_can_change() {
        let steps = format!("{HANDSHAKE}  - state: CLOSED\n");
        let (f, t, took) = run_silent(&steps, vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        assert_eq!(f.map(|f| f.kind), Some(FailureKind::State), "{t:?}");
        assert!(
            took < Duration::from_millis(30),
            "the reply bound is 30 ms: {took:?}"
        );
        let (f, _, took) = run_silent(&steps, vec![(0, "S", ISS, 0, 0)], None);
        assert_eq!(f.map(|f| f.kind), Some(FailureKind::State));
        assert!(took >= Duration::from_millis(30), "{took:?}");
    }

    #[test]
    fn a_segment_already_sent_is_an_extra_even_if_no_timer_is_pending() {
        let steps = format!("{HANDSHAKE}  - quiet: 100ms\n");
        let script = vec![(0, "S", ISS, 0, 0), (1, "A", ISS + 1, irs() + 1, 0)];
        let (f, _, _) = run_silent(&steps, script, Some(Duration::MAX));
        let f = f.expect("the ACK arrives during the settle time");
        assert_eq!((f.step, f.kind), (4, FailureKind::Extra), "{f}");
    }

    const HANDSHAKE: &str = "  - call: connect\n  - expect: { flags: S, seq: iss }\n  - send: { flags: SA, seq: irs, ack: iss+1 }\n";

    fn irs() -> u32 {
        Symbols::for_vector("t").irs
    }

    #[test]
    fn one_of_prefers_the_longer_alternative_when_it_continues() {
        let steps = format!("{HANDSHAKE}  - expect_one_of:\n      - [{{ flags: A, seq: iss+1 }}]\n      - [{{ flags: A, seq: iss+1 }}, {{ flags: FA, seq: iss+1 }}]\n  - quiet: 20ms\n");
        let script = vec![
            (0, "S", ISS, 0, 0),
            (1, "A", ISS + 1, irs() + 1, 0),
            (1, "FA", ISS + 1, irs() + 1, 0),
        ];
        let (f, t) = run(&steps, script);
        assert_eq!(f, None, "{t:?}");
    }

    #[test]
    fn one_of_gives_back_a_segment_that_continues_no_alternative() {
        let steps = format!("{HANDSHAKE}  - expect_one_of:\n      - [{{ flags: A, seq: iss+1 }}]\n      - [{{ flags: A, seq: iss+1 }}, {{ flags: FA, seq: iss+1 }}]\n  - expect: {{ flags: RA, seq: iss+1 }}\n");
        let script = vec![
            (0, "S", ISS, 0, 0),
            (1, "A", ISS + 1, irs() + 1, 0),
            (1, "RA", ISS + 1, irs() + 1, 0),
        ];
        let (f, t) = run(&steps, script);
        assert_eq!(f, None, "the RST is matched by the next step: {t:?}");
    }

    #[test]
    fn one_of_with_nothing_allowed_passes_on_silence_and_flags_an_extra() {
        let steps = format!(
            "{HANDSHAKE}  - expect_one_of:\n      - []\n      - [{{ flags: R, seq: iss+1 }}]\n"
        );
        let (f, _) = run(&steps, vec![(0, "S", ISS, 0, 0)]);
        assert_eq!(f, None);
        let (f, _) = run(
            &steps,
            vec![(0, "S", ISS, 0, 0), (1, "A", ISS + 1, irs() + 1, 0)],
        );
        let f = f.expect("an ACK is neither nothing nor a RST");
        assert_eq!((f.step, f.kind), (4, FailureKind::Extra), "{f}");
    }

    #[test]
    fn a_repeated_segment_is_an_extra_naming_the_first_step() {
        let steps = format!("{HANDSHAKE}  - expect: {{ flags: A, seq: iss+1, ack: irs+1 }}\n  - expect: {{ flags: FA, seq: iss+1 }}\n");
        let script = vec![
            (0, "S", ISS, 0, 0),
            (1, "A", ISS + 1, irs() + 1, 0),
            (1, "A", ISS + 1, irs() + 1, 0),
        ];
        let (f, _) = run(&steps, script);
        let f = f.expect("duplicate ACK");
        assert_eq!((f.step, f.kind), (5, FailureKind::Extra), "{f}");
        assert!(f.message.contains("a repeat of step 4"), "{f}");
    }

    #[test]
    fn a_timer_longer_than_a_replay_waits_is_a_vector_error() {
        let steps = format!("{HANDSHAKE}  - timer: keepalive\n");
        let (f, _) = run(&steps, vec![(0, "S", ISS, 0, 0)]);
        let f = f.expect("no keepalive option: Linux's 7200 s idle time");
        assert_eq!((f.step, f.kind), (4, FailureKind::Vector), "{f}");
    }

    #[test]
    fn a_missing_segment_names_its_window_and_a_late_iss_use_is_a_vector_error() {
        let steps = format!("{HANDSHAKE}  - expect: {{ flags: FA, seq: iss+1 }}\n");
        let (f, _) = run(&steps, vec![(0, "S", ISS, 0, 0)]);
        let f = f.expect("no FIN");
        assert_eq!(f.kind, FailureKind::Missing);
        assert!(f.message.contains("within 30ms"), "{f}");
        let (f, _) = run("  - send: { flags: S, seq: iss }\n", vec![]);
        assert_eq!(f.map(|f| f.kind), Some(FailureKind::Vector));
    }

    #[test]
    fn keep_listener_belongs_to_passive_vectors() {
        let text = format!(
            "version: {}\nid: t\ncovers: []\nrole: active\noptions: {{keep_listener: true}}\n\
             steps:\n  - call: connect\n",
            tcp_vectors::SCHEMA_VERSION
        );
        let out = run_text(&text, vec![], None, &|_| None);
        let f = out.failure.expect("fails");
        assert_eq!((f.step, f.kind), (0, FailureKind::Vector), "{f}");
        assert!(f.message.contains("keep_listener"), "{f}");
    }

    /// After the handshake: a RST at RCV.NXT, then `tail`.
    fn after_rst(tail: &str) -> String {
        active(&format!(
            "{HANDSHAKE}  - send: {{ flags: R, seq: irs+1 }}\n{tail}"
        ))
    }

    #[test]
    fn checks_wait_until_the_target_has_processed_what_was_injected() {
        // The RST takes 20 ms to be processed; until then the state is still ESTABLISHED.
        let mut t = scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        t.lag = Some(Duration::from_millis(20));
        t.states = vec![TcpState::SynSent, TcpState::Established, TcpState::Closed];
        let out = run_on(&after_rst("  - state: ESTABLISHED\n"), &mut t, &|_| None);
        let f = out
            .failure
            .expect("ESTABLISHED is read only before the RST is processed");
        assert_eq!((f.step, f.kind), (5, FailureKind::State), "{f}");
        assert!(f.message.ends_with("the connection is CLOSED"), "{f}");
        let mut t = scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        t.lag = Some(Duration::from_millis(20));
        t.states = vec![TcpState::SynSent, TcpState::Established, TcpState::Closed];
        let out = run_on(&after_rst("  - state: CLOSED\n"), &mut t, &|_| None);
        assert_eq!(out.failure, None, "{:?}", out.transcript);
    }

    #[test]
    fn a_target_that_does_not_process_what_was_injected_is_a_target_error() {
        let mut t = scripted(vec![(0, "S", ISS, 0, 0)], None);
        t.lag = Some(Duration::MAX);
        let out = run_on(&after_rst("  - quiet: 1ms\n"), &mut t, &|_| None);
        let f = out.failure.expect("never processed");
        assert_eq!((f.step, f.kind), (5, FailureKind::Target), "{f}");
        assert!(
            f.message
                .contains("has processed 1 of the 2 packets injected into it after 1000ms"),
            "{f}"
        );
    }

    const TIME_WAIT_RST: &str =
        "  - one_of:\n      choice: rst-in-time-wait\n      branches:\n        \
        - {name: ignored, steps: [{state: TIME-WAIT}, {quiet: 5ms}]}\n        \
        - {name: closes, steps: [{app: reset}, {state: CLOSED}]}\n";

    #[test]
    fn one_of_records_the_one_branch_that_matches() {
        let mut t = scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        t.states = vec![TcpState::SynSent, TcpState::TimeWait, TcpState::Closed];
        let out = run_on(&after_rst(TIME_WAIT_RST), &mut t, &|_| None);
        assert_eq!(out.failure, None, "{:?}", out.transcript);
        assert_eq!(
            out.choices,
            [Choice {
                choice: "rst-in-time-wait".into(),
                branch: Some("closes".into())
            }]
        );
        // The same observation, but the application is not told: no branch.
        let mut t = scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX));
        t.states = vec![TcpState::SynSent, TcpState::TimeWait, TcpState::Closed];
        t.apps = Some(vec![]);
        let out = run_on(&after_rst(TIME_WAIT_RST), &mut t, &|_| None);
        let f = out.failure.expect("no branch");
        assert_eq!((f.step, f.kind), (5, FailureKind::OneOf), "{f}");
        assert!(
            f.message.contains(
                "ignored: state: expected TIME-WAIT, the connection is CLOSED | closes: app: \
                 expected Reset, the application saw: nothing"
            ),
            "{f}"
        );
        assert_eq!(out.choices.len(), 1);
        assert_eq!(out.choices[0].branch, None, "recorded as no branch");
    }

    #[test]
    fn one_of_tells_a_silent_branch_from_one_that_sends_and_leaves_the_rest_on_the_wire() {
        let steps = |tail: &str| {
            active(&format!(
                "{HANDSHAKE}  - send: {{ flags: R, seq: irs+3 }}\n  - one_of:\n      \
                 choice: rst-in-window-time-wait\n      branches:\n        \
                 - {{name: ignored, steps: [{{quiet: 5ms}}]}}\n        \
                 - {{name: challenge-ack, steps: [{{expect: {{flags: A, ack: irs+1}}}}]}}\n{tail}"
            ))
        };
        let taken = |out: &Outcome| out.choices.first().and_then(|c| c.branch.clone());
        // Silence: the quiet branch.
        let out = run_on(
            &steps(""),
            &mut scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX)),
            &|_| None,
        );
        assert_eq!(out.failure, None, "{:?}", out.transcript);
        assert_eq!(taken(&out).as_deref(), Some("ignored"));
        // A challenge ACK, then a FIN the step after the one_of expects.
        let script = || {
            vec![
                (0, "S", ISS, 0, 0),
                (2, "A", ISS + 1, irs() + 1, 0),
                (2, "FA", ISS + 1, irs() + 1, 0),
            ]
        };
        let out = run_on(
            &steps("  - expect: { flags: FA, seq: iss+1 }\n"),
            &mut scripted(script(), None),
            &|_| None,
        );
        assert_eq!(out.failure, None, "{:?}", out.transcript);
        assert_eq!(taken(&out).as_deref(), Some("challenge-ack"));
        // Left on the wire, the FIN is an extra for a quiet step that follows.
        let out = run_on(
            &steps("  - quiet: 5ms\n"),
            &mut scripted(script(), None),
            &|_| None,
        );
        let f = out.failure.expect("the FIN is extra");
        assert_eq!((f.step, f.kind), (6, FailureKind::Extra), "{f}");
    }

    #[test]
    fn two_branches_that_both_match_are_a_vector_error() {
        let text = active(&format!(
            "{HANDSHAKE}  - one_of:\n      choice: c\n      branches:\n        \
             - {{name: a, steps: [{{state: ESTABLISHED}}]}}\n        \
             - {{name: b, steps: [{{app: connected}}]}}\n"
        ));
        let out = run_on(
            &text,
            &mut scripted(vec![(0, "S", ISS, 0, 0)], Some(Duration::MAX)),
            &|_| None,
        );
        let f = out.failure.expect("ambiguous");
        assert_eq!((f.step, f.kind), (4, FailureKind::Vector), "{f}");
        assert!(f.message.contains("branches a and b both match"), "{f}");
    }

    /// `stays`: the state holds until the time, counted from the start, with any number of
    /// repeats of the last segment; another segment is `extra`, another state a `state`
    /// failure naming when and after how many retransmissions.
    #[test]
    fn a_held_state_allows_only_retransmissions_until_its_time() {
        let text = active(
            "  - call: connect\n  - expect: { flags: S, seq: iss }\n  \
             - stays: { state: SYN-SENT, until: 300ms }\n",
        );
        let syn = (0, "S", ISS, 0, 0);
        let mut t = scripted(vec![syn, syn, syn], None);
        t.states = vec![TcpState::SynSent];
        let out = run_on(&text, &mut t, &|_| None);
        assert_eq!(out.failure, None, "{:?}", out.transcript);
        assert!(
            out.elapsed >= Duration::from_millis(300),
            "{:?}",
            out.elapsed
        );
        let last = out.transcript.last().expect("a transcript");
        assert!(last.contains("after 2 retransmissions"), "{last}");

        let mut t = scripted(vec![syn, (0, "SA", ISS, 5, 0)], None);
        t.states = vec![TcpState::SynSent];
        let f = run_on(&text, &mut t, &|_| None).failure.expect("an extra");
        assert_eq!((f.step, f.kind), (3, FailureKind::Extra), "{f}");
        assert!(f.message.contains("only a repeat of step 2"), "{f}");

        let mut t = scripted(vec![syn, syn], None);
        t.states = vec![TcpState::Closed];
        let f = run_on(&text, &mut t, &|_| None).failure.expect("a state");
        assert_eq!((f.step, f.kind), (3, FailureKind::State), "{f}");
        assert!(
            f.message
                .contains("expected SYN-SENT until 300ms, the connection is CLOSED at"),
            "{f}"
        );
    }
}
