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
use crate::policy::Policy;
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
    /// The application's receive buffer, when it never reads (RCV.WND is then what is left
    /// of it, and falls to zero once it is full, RFC 9293 3.8.6); `None`: it reads every
    /// octet as it arrives, and RCV.WND stays [`Params::wnd`].
    pub receive_buffer: Option<u8>,
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
    /// Octets delivered that the application has not read: counted only under a
    /// [`Params::receive_buffer`], where they close the receive window.
    #[serde(skip_serializing_if = "is_zero")]
    pub unread: u8,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
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
            | self.held_fin.map_or(0, |f| f as u64 + 1) << 48
            | (self.unread as u64) << 56;
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
            unread: 0,
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

    /// RCV.WND (RFC 9293 3.3.1): the window, less what an application that does not read
    /// holds of its buffer ([`Params::receive_buffer`]).
    pub fn rcv_wnd(&self, p: &Params) -> u8 {
        match p.receive_buffer {
            None => p.wnd,
            Some(b) => b.saturating_sub(self.unread).min(p.wnd),
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
            arrive::text_and_fin(self, &seg);
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
        let wnd = self.t.next.rcv_wnd(self.p);
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
        Event::Arrive(seg) => arrive::arrive(&mut s, seg, isn),
        Event::Timeout(kind) => timers::timeout(&mut s, *kind),
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

mod arrive;
mod timers;

#[cfg(test)]
mod tests;
