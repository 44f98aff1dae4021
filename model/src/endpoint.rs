//! One TCP endpoint as a pure, deterministic transition function (RFC 9293 section 3.10, with
//! RFC 5961's defences against blind attacks, RFC 1122 section 4.2.3.6 keepalive and RFC 1122
//! section 4.2.2.13's TIME-WAIT reopen).
//!
//! [`step`] maps an endpoint and an [`Event`] (a user call, an arriving segment or a timer
//! expiry) to the next endpoint and its [`Output`]s (segments sent, and what the application is
//! told). It knows nothing of ghosts, networks or other hosts: those live in [`crate::system`].
//!
//! Sequence numbers are modular ([`crate::segment::Seq`]). Where RFC 9293 leaves a choice, the
//! rule consults the endpoint's [`Policy`] ([`crate::policy`] lists every choice); the model's
//! own choices are [`Policy::MODEL`], and the vector generator ([`crate::generate`]) runs the
//! step under each alternative to list what the RFCs allow.

use crate::fault::{fault, Fault};
use crate::mechanism::{Mechanisms, TimeWait};
use crate::policy::{Choice, Policy};
use crate::segment::{ctl, Segment, Seq};
use serde::Serialize;
use smallvec::SmallVec;
use tcp_vectors::{AppEvent, TcpState, TimerKind};

/// Keepalive parameters in ticks (RFC 1122 section 4.2.3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct KeepaliveParams {
    /// Idle ticks before the first probe.
    pub idle: u8,
    /// Ticks between unanswered probes.
    pub interval: u8,
    /// Unanswered probes after which the connection is dropped.
    pub count: u8,
}

/// Fixed parameters of an endpoint: window, timers in ticks, retry bound, mechanisms, the
/// RFC choices it makes, and (in test builds) a seeded fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Params {
    /// RCV.WND, and the window assumed for the peer (SND.WND and MAX.SND.WND); octets.
    pub wnd: u8,
    /// Retransmissions of one segment before giving up (RFC 9293 section 3.8.3, R2).
    pub max_retries: u8,
    /// Retransmission timeout in ticks (a constant: RFC 6298 estimation is `impl/`'s business).
    pub rto: u8,
    /// Maximum segment lifetime in ticks (RFC 9293 section 3.4.2).
    pub msl: u8,
    /// Keepalive, when the application turned it on.
    pub keepalive: Option<KeepaliveParams>,
    /// Mechanism switches.
    pub mech: Mechanisms,
    /// The application keeps a listening socket on the port after accepting the connection
    /// (needed for a TIME-WAIT connection to reopen on a new SYN, RFC 1122 4.2.2.13).
    pub listener: bool,
    /// The alternative taken wherever the RFCs leave a choice.
    pub policy: Policy,
    /// A seeded fault ([`Fault::None`] outside tests).
    pub fault: Fault,
}

impl Params {
    /// TIME-WAIT duration in ticks for the configured mechanism (0: no TIME-WAIT).
    pub fn time_wait_ticks(&self) -> u8 {
        if fault!(self, TimeWaitOneMsl) {
            return self.msl;
        }
        match self.mech.time_wait {
            TimeWait::TwoMsl => 2 * self.msl,
            TimeWait::Short => 1,
            TimeWait::None => 0,
        }
    }

    /// Retransmissions before giving up.
    pub fn retries(&self) -> u8 {
        if fault!(self, NoRetransmission) {
            0
        } else {
            self.max_retries
        }
    }

    fn keepalive(&self) -> Option<KeepaliveParams> {
        self.keepalive.filter(|_| self.mech.keepalive)
    }
}

/// The transmission control block of one endpoint plus its state (RFC 9293 section 3.3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Connection state.
    pub state: TcpState,
    /// The connection came from a passive OPEN (RST and SYN in SYN-RECEIVED return to LISTEN;
    /// the listener is still there for a TIME-WAIT reopen).
    pub passive: bool,
    /// ISS: initial send sequence number.
    pub iss: Seq,
    /// IRS: initial receive sequence number.
    pub irs: Seq,
    /// SND.UNA: oldest unacknowledged sequence number.
    pub snd_una: Seq,
    /// SND.NXT: next sequence number to send.
    pub snd_nxt: Seq,
    /// RCV.NXT: next sequence number expected.
    pub rcv_nxt: Seq,
    /// Octets the user has SENT that are not yet segmentized.
    pub queued: u8,
    /// The user has called CLOSE and the FIN is not yet sent.
    pub fin_queued: bool,
    /// Our FIN has been sent (it occupies sequence number SND.NXT-1 until acknowledged).
    pub fin_sent: bool,
    /// Retransmissions of the oldest unacknowledged segment so far.
    pub retries: u8,
    /// Ticks until the retransmission timer expires; 0 when off.
    pub rtx_timer: u8,
    /// Ticks until the TIME-WAIT timer expires; 0 when off.
    pub tw_timer: u8,
    /// Ticks until the keepalive timer expires; 0 when off.
    pub ka_timer: u8,
    /// Unanswered keepalive probes sent.
    pub ka_probes: u8,
    /// Octets of text that came with the peer's SYN, queued until ESTABLISHED (RFC 9293
    /// 3.10.7.2 and 3.10.7.3); they start at IRS+1.
    pub syn_text: u8,
    /// A FIN that came with the peer's SYN (after its text), queued likewise.
    pub syn_fin: bool,
    /// Out-of-order octets held for later processing (RFC 9293 3.10.7.4): bit `i` is the octet
    /// at RCV.NXT+i.
    pub held: u8,
    /// A held out-of-order FIN, at RCV.NXT plus this offset.
    pub held_fin: Option<u8>,
}

impl std::hash::Hash for Endpoint {
    /// Every field packed into two words (fields are small; the packing is injective), which
    /// hashes much faster than field by field: the model checker fingerprints every state.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let b = |x: bool| x as u64;
        let w0 = self.state as u64
            | b(self.passive) << 4
            | b(self.fin_queued) << 5
            | b(self.fin_sent) << 6
            | b(self.syn_fin) << 7
            | (self.iss.0 as u64) << 8
            | (self.irs.0 as u64) << 16
            | (self.snd_una.0 as u64) << 24
            | (self.snd_nxt.0 as u64) << 32
            | (self.rcv_nxt.0 as u64) << 40
            | (self.queued as u64) << 48
            | (self.retries as u64) << 56;
        let w1 = self.rtx_timer as u64
            | (self.tw_timer as u64) << 8
            | (self.ka_timer as u64) << 16
            | (self.ka_probes as u64) << 24
            | (self.syn_text as u64) << 32
            | (self.held as u64) << 40
            | self.held_fin.map_or(0, |f| f as u64 + 1) << 48;
        state.write_u64(w0);
        state.write_u64(w1);
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::closed()
    }
}

/// A user call (RFC 9293 section 3.10.1 to 3.10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum UserCall {
    /// OPEN, active or passive.
    Open {
        /// Passive OPEN (LISTEN) when true.
        passive: bool,
    },
    /// SEND of this many octets.
    Send(u8),
    /// CLOSE: no more data to send.
    Close,
    /// ABORT.
    Abort,
}

/// Something that happens to an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Event {
    /// The application calls the user interface.
    Call(UserCall),
    /// A segment arrives (RFC 9293 section 3.10.7).
    Arrive(Segment),
    /// A timer expires (RFC 9293 section 3.10.8, RFC 1122 section 4.2.3.6).
    Timeout(TimerKind),
}

/// Errors returned to a user call (RFC 9293 section 3.10 wording).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CallError {
    /// "error: connection does not exist".
    ConnectionDoesNotExist,
    /// "error: connection already exists".
    ConnectionAlreadyExists,
    /// "error: connection closing".
    ConnectionClosing,
    /// "error: connection not open" (SEND on a LISTEN endpoint; this model does not turn a
    /// passive endpoint active on SEND, an option RFC 9293 section 3.10.2 leaves open).
    NotOpen,
}

/// What an endpoint does in response to an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Output {
    /// A segment is sent to the peer.
    Send(Segment),
    /// The application is told something.
    App(AppEvent),
    /// The user call fails.
    Error(CallError),
}

/// The result of [`step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The endpoint after the event.
    pub next: Endpoint,
    /// Segments sent and application notifications, in order.
    pub outputs: SmallVec<[Output; 4]>,
    /// The event consumed a value of the host's ISN clock.
    pub isn_used: bool,
    /// An arriving segment was accepted: it passed the sequence and acknowledgment checks and
    /// changed the connection (data, FIN, acknowledgment, state, or reset).
    pub accepted: bool,
    /// An arriving RST (or, without RFC 5961, a SYN) ended the connection (not counting a
    /// passive SYN-RECEIVED going back to LISTEN, which the user need not be told about).
    pub reset: bool,
    /// The connection was given up by a timer (retransmission or keepalive) and the
    /// application told (a passive half-open connection dropped back to LISTEN is not).
    pub timed_out: bool,
    /// A half-open passive connection was dropped back to LISTEN by the retransmission timer.
    pub half_open_dropped: bool,
    /// The answer to an in-window RST or SYN, or an out-of-range ACK (RFC 5961).
    pub challenge_ack: bool,
    /// A TIME-WAIT connection was reopened by a new SYN (RFC 1122 4.2.2.13).
    pub reopened: bool,
}

impl Endpoint {
    /// An endpoint with no TCB.
    pub fn closed() -> Endpoint {
        Endpoint {
            state: TcpState::Closed,
            passive: false,
            iss: Seq(0),
            irs: Seq(0),
            snd_una: Seq(0),
            snd_nxt: Seq(0),
            rcv_nxt: Seq(0),
            queued: 0,
            fin_queued: false,
            fin_sent: false,
            retries: 0,
            rtx_timer: 0,
            tw_timer: 0,
            ka_timer: 0,
            ka_probes: 0,
            syn_text: 0,
            syn_fin: false,
            held: 0,
            held_fin: None,
        }
    }

    /// LISTEN after a passive OPEN.
    pub fn listening() -> Endpoint {
        Endpoint {
            state: TcpState::Listen,
            passive: true,
            ..Endpoint::closed()
        }
    }

    /// True in the synchronized states (RFC 9293 section 3.5: ESTABLISHED and later).
    pub fn is_synchronized(&self) -> bool {
        use TcpState::*;
        matches!(
            self.state,
            Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck | TimeWait
        )
    }

    /// Octets of our sequence space sent and not yet acknowledged.
    pub fn in_flight(&self) -> u8 {
        self.snd_nxt.minus(self.snd_una)
    }

    /// True when some timer is running (time matters to this endpoint).
    pub fn has_timer(&self) -> bool {
        self.rtx_timer > 0 || self.tw_timer > 0 || self.ka_timer > 0
    }

    /// Our FIN has been sent and acknowledged.
    pub fn fin_acked(&self) -> bool {
        self.fin_sent && self.snd_una == self.snd_nxt
    }

    /// The segment that retransmits everything from SND.UNA (SYN, data and FIN as needed).
    fn retransmission(&self) -> Segment {
        let syn = self.snd_una == self.iss && self.in_flight() > 0;
        let fin = self.fin_sent;
        let len = self.in_flight() - syn as u8 - fin as u8;
        let ack = self.state != TcpState::SynSent;
        Segment {
            flags: ctl(syn, ack, fin, false),
            seq: self.snd_una,
            ack: if ack { self.rcv_nxt } else { Seq(0) },
            len,
        }
    }

    /// Whether `seg` is the peer's SYN,ACK that, after a simultaneous open, repeats its SYN at
    /// IRS and acknowledges ours (RFC 9293 Figure 8, line 6): it completes the handshake. Only
    /// a SYN,ACK that carries nothing else: with text or a FIN it is a SYN in a synchronized
    /// state like any other (RFC 5961 4.2's challenge ACK).
    pub fn completes_simultaneous_open(&self, seg: &Segment) -> bool {
        self.state == TcpState::SynReceived
            && !self.passive
            && seg.flags.syn
            && seg.flags.ack
            && !seg.flags.rst
            && !seg.flags.fin
            && seg.len == 0
            && seg.seq + 1 == self.rcv_nxt
            && self.snd_una.lt(seg.ack)
            && seg.ack.le(self.snd_nxt)
    }

    /// RFC 9293 section 3.10.7.4, first: the segment acceptability test (the four cases of
    /// SEG.LEN and RCV.WND being zero or not).
    pub fn acceptable(&self, seg: &Segment, wnd: u8, p: &Params) -> bool {
        let (lo, wnd) = if fault!(p, AcceptsOneOld) {
            (self.rcv_nxt - 1, wnd + 1)
        } else {
            (self.rcv_nxt, wnd)
        };
        let in_window = |s: Seq| s.in_window(lo, wnd);
        match (seg.seg_len(), wnd) {
            (0, 0) => seg.seq == self.rcv_nxt,
            (0, _) => in_window(seg.seq),
            (_, 0) => false,
            (n, _) => in_window(seg.seq) || in_window(seg.seq + (n - 1)),
        }
    }

    /// RFC 5961 section 5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT.
    pub fn ack_in_range(&self, ack: Seq, max_snd_wnd: u8) -> bool {
        (self.snd_una - max_snd_wnd).le(ack) && ack.le(self.snd_nxt)
    }
}

/// Working state of one [`step`]: the transition being built.
struct Stepper<'a> {
    t: Transition,
    p: &'a Params,
}

impl Stepper<'_> {
    fn ep(&mut self) -> &mut Endpoint {
        &mut self.t.next
    }

    fn send(&mut self, seg: Segment) {
        self.t.outputs.push(Output::Send(seg));
    }

    fn tell(&mut self, ev: AppEvent) {
        self.t.outputs.push(Output::App(ev));
    }

    fn error(&mut self, e: CallError) {
        self.t.outputs.push(Output::Error(e));
    }

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`: the reply to an unacceptable segment and the
    /// acknowledgment of text and FIN.
    fn send_ack(&mut self) {
        let e = &self.t.next;
        self.send(Segment::ack(e.snd_nxt, e.rcv_nxt));
    }

    /// RFC 5961's challenge ACK: the same segment, recorded as such.
    fn challenge_ack(&mut self) {
        self.t.challenge_ack = true;
        self.send_ack();
    }

    /// Delete the TCB (enter CLOSED).
    fn delete_tcb(&mut self) {
        self.t.next = Endpoint::closed();
    }

    /// Arm the retransmission timer if something is in flight, else stop it.
    fn update_rtx(&mut self) {
        let rto = self.p.rto;
        let e = self.ep();
        if e.in_flight() == 0 {
            e.rtx_timer = 0;
            e.retries = 0;
        } else if e.rtx_timer == 0 {
            e.rtx_timer = rto;
        }
    }

    fn arm_keepalive(&mut self) {
        if let Some(ka) = self.p.keepalive() {
            let e = self.ep();
            e.ka_timer = ka.idle;
            e.ka_probes = 0;
        }
    }

    fn enter_time_wait(&mut self) {
        let ticks = self.p.time_wait_ticks();
        if ticks == 0 {
            // Mechanism switch: no TIME-WAIT, the TCB is deleted at once.
            self.delete_tcb();
            return;
        }
        let e = self.ep();
        e.state = TcpState::TimeWait;
        e.rtx_timer = 0;
        e.retries = 0;
        e.ka_timer = 0;
        e.tw_timer = ticks;
    }

    /// RFC 9293 section 3.10.2 and 3.10.4: segmentize queued data, then the FIN once all data
    /// is out, within the peer's window.
    fn transmit(&mut self) {
        use TcpState::*;
        let wnd = self.p.wnd;
        let e = self.ep();
        if !matches!(e.state, Established | CloseWait | FinWait1 | LastAck) || e.fin_sent {
            return;
        }
        let room = wnd.saturating_sub(e.in_flight());
        let n = e.queued.min(room);
        let fin = e.fin_queued && n == e.queued;
        if n == 0 && !fin {
            return;
        }
        let seg = Segment {
            flags: ctl(false, true, fin, false),
            seq: e.snd_nxt,
            ack: e.rcv_nxt,
            len: n,
        };
        e.snd_nxt += n + fin as u8;
        e.queued -= n;
        if fin {
            e.fin_queued = false;
            e.fin_sent = true;
        }
        self.send(seg);
        self.update_rtx();
    }

    /// Enter ESTABLISHED: tell the application, process what came with the SYN, send what
    /// SEND and CLOSE queued.
    fn enter_established(&mut self) {
        self.ep().state = TcpState::Established;
        self.arm_keepalive();
        self.tell(AppEvent::Connected);
        // Text and a FIN that came with the SYN were queued "for processing after the
        // ESTABLISHED state has been reached" (RFC 9293 3.10.7.2 and 3.10.7.3).
        let (text, fin) = {
            let e = self.ep();
            let queued = (e.syn_text, e.syn_fin);
            e.syn_text = 0;
            e.syn_fin = false;
            queued
        };
        if text > 0 || fin {
            let seg = Segment {
                flags: ctl(false, true, fin, false),
                seq: self.t.next.irs + 1,
                ack: self.t.next.snd_nxt,
                len: text,
            };
            text_and_fin(self, &seg);
        }
        if self.t.next.fin_queued {
            // A CLOSE issued in SYN-RECEIVED was queued until ESTABLISHED (section 3.10.4).
            let e = self.ep();
            e.state = match e.state {
                TcpState::CloseWait => TcpState::LastAck,
                _ => TcpState::FinWait1,
            };
        }
        self.transmit();
    }

    /// The segment's text and FIN, taken from a SYN, are queued for after ESTABLISHED, as far as
    /// the receive window goes.
    fn queue_syn_controls(&mut self, seg: &Segment) {
        let wnd = self.p.wnd;
        let e = self.ep();
        e.syn_text = seg.len.min(wnd);
        e.syn_fin = seg.flags.fin && seg.len < wnd;
    }
}

/// The transition function: what `ep` does when `ev` happens. `isn` is the current value of
/// the host's ISN clock (RFC 9293 section 3.4.1), used if the event selects an ISS.
pub fn step(ep: &Endpoint, ev: &Event, p: &Params, isn: Seq) -> Transition {
    let mut s = Stepper {
        t: Transition {
            next: ep.clone(),
            outputs: SmallVec::new(),
            isn_used: false,
            accepted: false,
            reset: false,
            timed_out: false,
            half_open_dropped: false,
            challenge_ack: false,
            reopened: false,
        },
        p,
    };
    match ev {
        Event::Call(call) => user_call(&mut s, *call, isn),
        Event::Arrive(seg) => arrive(&mut s, seg, isn),
        Event::Timeout(kind) => timeout(&mut s, *kind),
    }
    s.t
}

/// RFC 9293 sections 3.10.1 (OPEN), 3.10.2 (SEND), 3.10.4 (CLOSE), 3.10.5 (ABORT).
fn user_call(s: &mut Stepper<'_>, call: UserCall, isn: Seq) {
    use TcpState::*;
    let state = s.t.next.state;
    match call {
        UserCall::Open { passive } => {
            if state != Closed {
                return s.error(CallError::ConnectionAlreadyExists);
            }
            if passive {
                s.t.next = Endpoint::listening();
                return;
            }
            // Active OPEN: select an ISS, send <SEQ=ISS><CTL=SYN>, enter SYN-SENT.
            s.t.isn_used = true;
            let e = s.ep();
            e.state = SynSent;
            e.iss = isn;
            e.snd_una = isn;
            e.snd_nxt = isn + 1;
            s.send(Segment::syn(isn));
            s.update_rtx();
        }
        UserCall::Send(n) => match state {
            Closed => s.error(CallError::ConnectionDoesNotExist),
            Listen => s.error(CallError::NotOpen),
            // Queued for transmission after entering ESTABLISHED.
            SynSent | SynReceived => s.ep().queued += n,
            Established | CloseWait => {
                s.ep().queued += n;
                s.transmit();
            }
            FinWait1 | FinWait2 | Closing | LastAck | TimeWait => {
                s.error(CallError::ConnectionClosing)
            }
        },
        UserCall::Close => match state {
            Closed => s.error(CallError::ConnectionDoesNotExist),
            Listen | SynSent => s.delete_tcb(),
            SynReceived if s.t.next.queued == 0 => {
                // Nothing to send: form a FIN and enter FIN-WAIT-1 at once.
                let e = s.ep();
                e.fin_queued = true;
                e.state = FinWait1;
                s.transmit();
            }
            // Data queued: the FIN waits for ESTABLISHED, after the data.
            SynReceived => s.ep().fin_queued = true,
            Established => {
                let e = s.ep();
                e.fin_queued = true;
                e.state = FinWait1;
                s.transmit();
            }
            CloseWait => {
                let e = s.ep();
                e.fin_queued = true;
                e.state = LastAck;
                s.transmit();
            }
            FinWait1 | FinWait2 | Closing | LastAck | TimeWait => {
                s.error(CallError::ConnectionClosing)
            }
        },
        UserCall::Abort => match state {
            Closed => s.error(CallError::ConnectionDoesNotExist),
            Listen | SynSent | Closing | LastAck | TimeWait => s.delete_tcb(),
            SynReceived | Established | FinWait1 | FinWait2 | CloseWait => {
                // Send <SEQ=SND.NXT><CTL=RST> and delete the TCB.
                let seq = s.t.next.snd_nxt;
                if !fault!(s.p, AbortSendsNoRst) {
                    s.send(Segment::rst(seq));
                }
                s.delete_tcb();
            }
        },
    }
}

/// RFC 9293 section 3.10.8 (retransmission, TIME-WAIT) and RFC 1122 section 4.2.3.6
/// (keepalive) timeouts.
fn timeout(s: &mut Stepper<'_>, kind: TimerKind) {
    use TcpState::*;
    match kind {
        TimerKind::Retransmission => {
            let rto = s.p.rto;
            let e = &s.t.next;
            if e.in_flight() == 0 {
                s.ep().rtx_timer = 0;
                return;
            }
            if e.retries >= s.p.retries() {
                // Give up (section 3.8.3, R2).
                if e.state == SynReceived && e.passive {
                    // A half-open passive connection is dropped back to LISTEN; no
                    // application has it yet.
                    s.t.half_open_dropped = true;
                    s.t.next = Endpoint::listening();
                } else {
                    s.t.timed_out = true;
                    s.delete_tcb();
                    s.tell(AppEvent::TimedOut);
                }
                return;
            }
            let without_fin = fault!(s.p, RetransmitsWithoutFin);
            let e = s.ep();
            e.retries += 1;
            e.rtx_timer = rto;
            let mut seg = e.retransmission();
            if without_fin && seg.flags.fin {
                seg.flags.fin = false;
            }
            s.send(seg);
        }
        TimerKind::TimeWait => {
            if s.t.next.state == TimeWait {
                s.delete_tcb();
            }
        }
        TimerKind::Keepalive => keepalive_timeout(s),
    }
}

/// RFC 1122 section 4.2.3.6: probe an idle connection, and drop it after `count` unanswered
/// probes.
fn keepalive_timeout(s: &mut Stepper<'_>) {
    let Some(ka) = s.p.keepalive() else {
        s.ep().ka_timer = 0;
        return;
    };
    let probe_at_snd_nxt = fault!(s.p, KeepaliveProbeAtSndNxt);
    let e = s.ep();
    if e.state != TcpState::Established {
        e.ka_timer = 0;
        return;
    }
    if e.in_flight() > 0 || e.queued > 0 {
        // Not idle: the retransmission timer watches the peer.
        e.ka_timer = ka.idle;
        return;
    }
    if e.ka_probes >= ka.count {
        s.t.timed_out = true;
        s.delete_tcb();
        s.tell(AppEvent::TimedOut);
        return;
    }
    // A probe: <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data. The number is old, so the
    // peer must answer it (first step of 3.10.7.4); one at SND.NXT would need no answer.
    e.ka_probes += 1;
    e.ka_timer = ka.interval;
    let seq = if probe_at_snd_nxt {
        e.snd_nxt
    } else {
        e.snd_nxt - 1
    };
    let probe = Segment::ack(seq, e.rcv_nxt);
    s.send(probe);
}

/// RFC 9293 section 3.10.7: SEGMENT ARRIVES.
fn arrive(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    use TcpState::*;
    match s.t.next.state {
        Closed => arrive_closed(s, seg),
        Listen => arrive_listen(s, seg, isn),
        SynSent => arrive_syn_sent(s, seg),
        TimeWait if reopens_time_wait(s, seg) => reopen_time_wait(s, seg),
        _ => arrive_other(s, seg),
    }
}

/// Section 3.10.7.1: CLOSED. Everything but a RST is answered with a RST.
fn arrive_closed(s: &mut Stepper<'_>, seg: &Segment) {
    if seg.flags.rst {
        return;
    }
    if seg.flags.ack {
        s.send(Segment::rst(seg.ack));
    } else {
        s.send(Segment::rst_ack(Seq(0), seg.seq + seg.seg_len()));
    }
}

/// Section 3.10.7.2: LISTEN.
fn arrive_listen(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    if seg.flags.rst {
        return; // first: an incoming RST is ignored.
    }
    if seg.flags.ack {
        // second: any acknowledgment is bad in LISTEN: <SEQ=SEG.ACK><CTL=RST>.
        return s.send(Segment::rst(seg.ack));
    }
    if !seg.flags.syn {
        return; // fourth: other text or control: drop.
    }
    accept_syn(s, seg, isn);
}

/// Section 3.10.7.2, third: a SYN opens the connection. RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
/// select ISS, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, enter SYN-RECEIVED; "any other
/// control or text should be queued for processing later" (a choice: queued or dropped).
fn accept_syn(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    s.t.isn_used = true;
    s.t.accepted = true;
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    e.iss = isn;
    e.snd_una = isn;
    e.snd_nxt = isn + 1;
    e.state = TcpState::SynReceived;
    if !s.p.policy.alt(Choice::SynText) {
        s.queue_syn_controls(seg);
    }
    s.send(Segment::syn_ack(isn, seg.seq + 1));
    s.update_rtx();
    if !s.p.mech.three_way_handshake {
        // Mechanism switch: a two-way handshake trusts the SYN alone.
        s.enter_established();
    }
}

/// Section 3.10.7.3: SYN-SENT.
fn arrive_syn_sent(s: &mut Stepper<'_>, seg: &Segment) {
    let e = &s.t.next;
    // first: the ACK is acceptable if SND.UNA < SEG.ACK =< SND.NXT (ISS < SEG.ACK too).
    let ack_ok = seg.flags.ack
        && (fault!(s.p, SynSentAcceptsAnyAck) || (e.iss.lt(seg.ack) && seg.ack.le(e.snd_nxt)));
    if seg.flags.ack && !ack_ok {
        if !seg.flags.rst {
            s.send(Segment::rst(seg.ack));
        }
        return;
    }
    // second: RST. Acceptable only if it acknowledges our SYN (RFC 5961 section 3).
    if seg.flags.rst {
        if ack_ok {
            s.t.accepted = true;
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Refused);
        }
        return;
    }
    // fourth: SYN.
    if !seg.flags.syn {
        return; // fifth: neither SYN nor RST: drop.
    }
    s.t.accepted = true;
    let any_ack = fault!(s.p, SynSentAcceptsAnyAck);
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    if ack_ok {
        e.snd_una = if any_ack { e.snd_nxt } else { seg.ack };
    }
    if e.iss.lt(e.snd_una) {
        // Our SYN is acknowledged: ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        // (suppressed, as a choice, when text or a FIN will be acknowledged anyway), then
        // "continue processing at the sixth step" with the text and FIN.
        e.retries = 0;
        s.update_rtx();
        let more = seg.len > 0 || seg.flags.fin;
        if !(more && s.p.policy.alt(Choice::SynAckTextAck)) {
            s.send_ack();
        }
        s.enter_established();
        if more {
            let rest = Segment {
                flags: ctl(false, true, seg.flags.fin, false),
                seq: seg.seq + 1,
                ..*seg
            };
            text_and_fin(s, &rest);
        }
    } else {
        // Simultaneous open: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>;
        // other controls or text are queued until ESTABLISHED.
        e.state = TcpState::SynReceived;
        let syn_ack = Segment::syn_ack(e.iss, e.rcv_nxt);
        s.queue_syn_controls(seg);
        s.send(syn_ack);
    }
}

/// Whether a SYN in TIME-WAIT reopens the connection (RFC 1122 4.2.2.13, a choice): a plain
/// SYN above RCV.NXT, on a connection that came from a passive OPEN whose listener is still
/// there.
fn reopens_time_wait(s: &Stepper<'_>, seg: &Segment) -> bool {
    let e = &s.t.next;
    s.p.policy.alt(Choice::TimeWaitSyn)
        && s.p.listener
        && e.passive
        && seg.flags.syn
        && !seg.flags.ack
        && !seg.flags.rst
        && e.rcv_nxt.lt(seg.seq)
}

/// RFC 1122 4.2.2.13: the new SYN starts a new connection whose ISS is larger than any number
/// the old incarnation used.
fn reopen_time_wait(s: &mut Stepper<'_>, seg: &Segment) {
    let iss = s.t.next.snd_nxt + 64;
    s.t.next = Endpoint::listening();
    s.t.reopened = true;
    accept_syn(s, seg, iss);
}

/// Section 3.10.7.4: SYN-RECEIVED and the synchronized states.
fn arrive_other(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let wnd = s.p.wnd;
    let e = &s.t.next;

    // TIME-WAIT, eighth: "The only thing that can arrive in this state is a retransmission of
    // the remote FIN. Acknowledge it, and restart the 2 MSL timeout." A retransmitted FIN
    // carries the FIN at RCV.NXT-1, so it fails the acceptability test; it is recognised here.
    if e.state == TimeWait
        && seg.flags.fin
        && !seg.flags.rst
        && !seg.flags.syn
        && seg.seq + seg.len + 1 == e.rcv_nxt
    {
        s.t.accepted = true;
        s.send_ack();
        if !fault!(s.p, TimeWaitNoRestart) {
            s.ep().tw_timer = s.p.time_wait_ticks();
        }
        return;
    }

    // Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN,ACK repeats its SYN at
    // IRS and acknowledges ours. The SYN is old and the ACK new, so the SYN is trimmed off
    // (section 3.10.7.4: only the new parts of a segment are processed) and the rest is taken
    // as an ACK at RCV.NXT. A repeat whose ACK would not complete the handshake is just an
    // old segment (first check below).
    if e.completes_simultaneous_open(seg) {
        let mut rest = *seg;
        rest.flags.syn = false;
        rest.seq = e.rcv_nxt;
        return arrive_other(s, &rest);
    }

    // first: sequence number check.
    if !e.acceptable(seg, wnd, s.p) {
        if !seg.flags.rst {
            s.send_ack();
        }
        return;
    }

    // second: RST.
    if seg.flags.rst {
        return arrive_rst(s, seg);
    }

    // fourth: SYN.
    if seg.flags.syn {
        return arrive_syn(s);
    }

    // fifth: ACK. Without it the segment is dropped (a FIN without ACK included).
    if !seg.flags.ack {
        return;
    }
    if !arrive_ack(s, seg) {
        return;
    }
    if s.t.next.state == Established {
        // Any acceptable segment shows the peer is alive (RFC 1122 section 4.2.3.6), the
        // answer to a probe (a duplicate ACK) included.
        s.arm_keepalive();
    }

    // seventh and eighth: text and FIN.
    text_and_fin(s, seg);
}

/// Section 3.10.7.4, second: RST, with RFC 5961 section 3.2 (only an exact match resets; an
/// in-window RST draws a challenge ACK) and, in TIME-WAIT, the RFC 1337 choice.
fn arrive_rst(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let e = &s.t.next;
    let exact = seg.seq == e.rcv_nxt;
    if e.state == TimeWait {
        let (choice, alt) = if exact {
            (Choice::RstInTimeWait, "closes")
        } else {
            (Choice::RstInWindowTimeWait, "challenge-ack")
        };
        if s.p.policy.name(choice) != alt {
            // RFC 1337 fix F1: a stray RST (answering an old duplicate) must not cut
            // TIME-WAIT short ("TIME-WAIT assassination").
            return;
        }
    }
    let rfc793 = !s.p.mech.rst_exact_match || fault!(s.p, InWindowRstResets);
    if !exact && !rfc793 {
        return s.challenge_ack();
    }
    s.t.accepted = true;
    match e.state {
        SynReceived if e.passive => {
            // Return to LISTEN; the user need not be informed.
            s.t.next = Endpoint::listening();
        }
        SynReceived => {
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Refused);
        }
        Established | FinWait1 | FinWait2 | CloseWait => {
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Reset);
        }
        _ => {
            // CLOSING, LAST-ACK, TIME-WAIT: enter CLOSED.
            s.t.reset = true;
            s.delete_tcb();
        }
    }
}

/// Section 3.10.7.4, fourth: SYN. A passive SYN-RECEIVED returns to LISTEN; otherwise RFC 5961
/// section 4.2's challenge ACK (RFC 793 reset the connection on a SYN in the window).
fn arrive_syn(s: &mut Stepper<'_>) {
    let e = &s.t.next;
    if e.state == TcpState::SynReceived && e.passive {
        s.t.next = Endpoint::listening();
        return;
    }
    if s.p.mech.syn_challenge_ack {
        return s.challenge_ack();
    }
    // RFC 793: "If the SYN is in the window it is an error, send a reset ... enter the CLOSED
    // state".
    let seq = e.snd_nxt;
    s.t.accepted = true;
    s.t.reset = true;
    s.send(Segment::rst(seq));
    s.delete_tcb();
    s.tell(AppEvent::Reset);
}

/// Section 3.10.7.4, fifth: ACK. Returns whether processing goes on to the text.
fn arrive_ack(s: &mut Stepper<'_>, seg: &Segment) -> bool {
    use TcpState::*;
    let wnd = s.p.wnd;
    let e = &s.t.next;
    if e.state == SynReceived {
        if e.snd_una.lt(seg.ack) && seg.ack.le(e.snd_nxt) {
            s.t.accepted = true;
            s.ep().snd_una = seg.ack;
            s.update_rtx();
            s.enter_established();
            return true;
        }
        // <SEQ=SEG.ACK><CTL=RST>.
        if fault!(s.p, SynReceivedAcksBadAck) {
            s.send_ack();
        } else {
            s.send(Segment::rst(seg.ack));
        }
        return false;
    }
    // SEG.ACK > SND.NXT acknowledges something not yet sent: send an ACK and drop. RFC 5961
    // section 5.2 also drops (with a challenge ACK) an ACK below SND.UNA - MAX.SND.WND; without
    // that check an old ACK is merely ignored and the text processed.
    if e.snd_nxt.lt(seg.ack) {
        s.send_ack();
        return false;
    }
    if s.p.mech.ack_range_check && !e.ack_in_range(seg.ack, wnd) {
        s.challenge_ack();
        return false;
    }
    if e.snd_una.lt(seg.ack) {
        s.t.accepted = true;
        let e = s.ep();
        e.snd_una = seg.ack;
        e.retries = 0;
        e.rtx_timer = 0;
        s.update_rtx();
        // The window has room again: send what SEND and CLOSE queued (section 3.10.2).
        s.transmit();
    }
    let any_ack_closes = fault!(s.p, LastAckClosesOnAnyAck);
    let e = &s.t.next;
    match e.state {
        FinWait1 if e.fin_acked() => s.ep().state = FinWait2,
        Closing if e.fin_acked() => {
            s.enter_time_wait();
            return false;
        }
        // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
        // ignore the segment" (fifth, CLOSING).
        Closing => return false,
        LastAck if e.fin_acked() || any_ack_closes => {
            s.delete_tcb();
            return false;
        }
        _ => {}
    }
    true
}

/// Section 3.10.7.4, seventh (text) and eighth (FIN) for a segment that passed the checks.
/// Only the part inside the receive window is taken; text beyond RCV.NXT is held or dropped
/// (a choice), and an in-order FIN ends the peer's stream.
fn text_and_fin(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let wnd = s.p.wnd;
    let receiving = matches!(s.t.next.state, Established | FinWait1 | FinWait2);
    // The window the segment arrived to: a FIN at or past its right edge is trimmed off, even
    // when the data before it fills the window.
    let fin_in_window = (seg.seq + seg.len).in_window(s.t.next.rcv_nxt, wnd);
    let mut need_ack = false;
    if seg.len > 0 && receiving {
        need_ack = true;
        let e = &s.t.next;
        let offset = seg.seq.minus(e.rcv_nxt);
        if fault!(s.p, AcceptsOneOld) && seg.seq + 1 == e.rcv_nxt {
            // Seeded fault: the old octet is taken as new.
            s.t.accepted = true;
            s.tell(AppEvent::Data(seg.len as u32));
            s.ep().rcv_nxt = seg.seq + seg.len;
        } else if seg.seq.le(e.rcv_nxt) && e.rcv_nxt.lt(seg.seq + seg.len) {
            // In order (its old part trimmed off): deliver up to the right edge of the window.
            let new = (seg.seq + seg.len).minus(e.rcv_nxt).min(wnd);
            deliver(s, new);
        } else if e.rcv_nxt.lt(seg.seq) && offset < wnd && !s.p.policy.alt(Choice::OutOfOrder) {
            // Out of order: held for later processing, as far as the window goes.
            let e = s.ep();
            for i in offset..(offset + seg.len).min(wnd) {
                e.held |= 1 << i;
            }
        }
    }
    if seg.flags.fin && receiving_fin(s.t.next.state) {
        let e = &s.t.next;
        let fin_at = seg.seq + seg.len;
        let offset = fin_at.minus(e.rcv_nxt);
        if fin_at == e.rcv_nxt && fin_in_window {
            return fin(s);
        }
        if e.rcv_nxt.lt(fin_at) && offset < wnd && !s.p.policy.alt(Choice::OutOfOrder) {
            s.ep().held_fin = Some(offset);
        }
        need_ack = true;
    }
    if s.t.next.held_fin == Some(0) {
        return fin(s);
    }
    if need_ack {
        s.send_ack();
    }
}

/// Whether a FIN is processed in `state` (eighth step: not in CLOSED, LISTEN or SYN-SENT;
/// the synchronized states and SYN-RECEIVED act on it).
fn receiving_fin(state: TcpState) -> bool {
    !matches!(
        state,
        TcpState::Closed | TcpState::Listen | TcpState::SynSent
    )
}

/// Deliver `n` in-order octets at RCV.NXT, then whatever held octets they make contiguous.
fn deliver(s: &mut Stepper<'_>, n: u8) {
    let e = s.ep();
    let mut total = n;
    e.rcv_nxt += n;
    e.held = e.held.checked_shr(n as u32).unwrap_or(0);
    e.held_fin = e.held_fin.and_then(|f| f.checked_sub(n));
    while e.held & 1 != 0 {
        e.held >>= 1;
        e.rcv_nxt += 1;
        e.held_fin = e.held_fin.and_then(|f| f.checked_sub(1));
        total += 1;
    }
    s.t.accepted = true;
    s.tell(AppEvent::Data(total as u32));
}

/// Section 3.10.7.4, eighth: the FIN at RCV.NXT. Advance RCV.NXT over it, tell the user the
/// stream ended, acknowledge it, and change state. The ACK is sent before the state changes,
/// so that it leaves even when TIME-WAIT is switched off.
fn fin(s: &mut Stepper<'_>) {
    use TcpState::*;
    s.t.accepted = true;
    let e = s.ep();
    e.rcv_nxt += 1;
    e.held = 0;
    e.held_fin = None;
    s.tell(AppEvent::EndOfStream);
    s.send_ack();
    let e = &s.t.next;
    match e.state {
        SynReceived | Established => s.ep().state = CloseWait,
        FinWait1 if e.fin_acked() => s.enter_time_wait(),
        FinWait1 => s.ep().state = Closing,
        FinWait2 if fault!(s.p, FinWait2SkipsTimeWait) => s.delete_tcb(),
        FinWait2 => s.enter_time_wait(),
        TimeWait => s.ep().tw_timer = s.p.time_wait_ticks(),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
