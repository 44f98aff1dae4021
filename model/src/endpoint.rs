//! One TCP endpoint as a pure, deterministic transition function (RFC 9293 section 3.10, with
//! RFC 5961's challenge ACKs and RFC 1122 section 4.2.3.6 keepalive).
//!
//! [`step`] maps an endpoint and an [`Event`] (a user call, an arriving segment or a timer
//! expiry) to the next endpoint and its [`Output`]s (segments sent, and what the application is
//! told). It knows nothing of ghosts, networks or other hosts: those live in [`crate::system`].
//!
//! Where RFC 9293 leaves a choice, this model takes the one written in each rule's comment; the
//! vector generator ([`crate::generate`]) lists the alternatives the RFC allows.

use crate::mechanism::{Mechanisms, TimeWait};
use crate::segment::{ctl, Segment, Seq};
use serde::Serialize;
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

/// Fixed parameters of an endpoint: window, timers in ticks, retry bound, mechanisms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Params {
    /// RCV.WND, and the window assumed for the peer (SND.WND); octets.
    pub wnd: u16,
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
}

impl Params {
    /// TIME-WAIT duration in ticks for the configured mechanism (0: no TIME-WAIT).
    pub fn time_wait_ticks(&self) -> u8 {
        match self.mech.time_wait {
            TimeWait::TwoMsl => 2 * self.msl,
            TimeWait::Short => 1,
            TimeWait::None => 0,
        }
    }

    fn keepalive(&self) -> Option<KeepaliveParams> {
        self.keepalive.filter(|_| self.mech.keepalive)
    }
}

/// The transmission control block of one endpoint plus its state (RFC 9293 section 3.3.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Endpoint {
    /// Connection state.
    pub state: TcpState,
    /// The connection came from a passive OPEN (RST and SYN in SYN-RECEIVED return to LISTEN).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
    pub outputs: Vec<Output>,
    /// The event consumed a value of the host's ISN clock.
    pub isn_used: bool,
    /// An arriving segment was accepted: it passed the sequence and acknowledgment checks and
    /// changed the connection (data, FIN, acknowledgment, state, or reset).
    pub accepted: bool,
    /// An arriving RST ended the connection (not counting a passive SYN-RECEIVED going back to
    /// LISTEN, which RFC 9293 says the user need not be told about).
    pub reset: bool,
    /// The connection was given up by a timer (retransmission or keepalive).
    pub timed_out: bool,
}

impl Endpoint {
    /// An endpoint with no TCB.
    pub fn closed() -> Endpoint {
        Endpoint {
            state: TcpState::Closed,
            passive: false,
            iss: 0,
            irs: 0,
            snd_una: 0,
            snd_nxt: 0,
            rcv_nxt: 0,
            queued: 0,
            fin_queued: false,
            fin_sent: false,
            retries: 0,
            rtx_timer: 0,
            tw_timer: 0,
            ka_timer: 0,
            ka_probes: 0,
        }
    }

    fn listening() -> Endpoint {
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
    pub fn in_flight(&self) -> u16 {
        self.snd_nxt - self.snd_una
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
        let syn = self.snd_una == self.iss && self.snd_nxt > self.iss;
        let fin = self.fin_sent;
        let len = self.in_flight() - syn as u16 - fin as u16;
        let ack = self.state != TcpState::SynSent;
        Segment {
            flags: ctl(syn, ack, fin, false),
            seq: self.snd_una,
            ack: if ack { self.rcv_nxt } else { 0 },
            len: len as u8,
        }
    }

    /// Whether `seg` is the peer's SYN,ACK that, after a simultaneous open, repeats its SYN at
    /// IRS and acknowledges ours (RFC 9293 Figure 8, line 6): it completes the handshake.
    pub fn completes_simultaneous_open(&self, seg: &Segment) -> bool {
        self.state == TcpState::SynReceived
            && !self.passive
            && seg.flags.syn
            && seg.flags.ack
            && !seg.flags.rst
            && seg.seq.wrapping_add(1) == self.rcv_nxt
            && self.snd_una < seg.ack
            && seg.ack <= self.snd_nxt
    }

    /// RFC 9293 section 3.10.7.4, first: the segment acceptability test (the four cases of
    /// SEG.LEN and RCV.WND being zero or not).
    pub fn acceptable(&self, seg: &Segment, wnd: u16) -> bool {
        let in_window = |s: Seq| self.rcv_nxt <= s && s < self.rcv_nxt + wnd;
        match (seg.seg_len(), wnd) {
            (0, 0) => seg.seq == self.rcv_nxt,
            (0, _) => in_window(seg.seq),
            (_, 0) => false,
            (n, _) => in_window(seg.seq) || in_window(seg.seq + n - 1),
        }
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

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`: the reply to an unacceptable segment and the RFC
    /// 5961 challenge ACK.
    fn send_ack(&mut self) {
        let e = &self.t.next;
        self.send(Segment::ack(e.snd_nxt, e.rcv_nxt));
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
        let n = (e.queued as u16).min(room) as u8;
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
        e.snd_nxt += n as u16 + fin as u16;
        e.queued -= n;
        if fin {
            e.fin_queued = false;
            e.fin_sent = true;
        }
        self.send(seg);
        self.update_rtx();
    }

    fn enter_established(&mut self) {
        self.ep().state = TcpState::Established;
        self.arm_keepalive();
        self.tell(AppEvent::Connected);
        if self.t.next.fin_queued {
            // A CLOSE issued in SYN-RECEIVED was queued until ESTABLISHED (section 3.10.4).
            self.ep().state = TcpState::FinWait1;
        }
        self.transmit();
    }
}

/// The transition function: what `ep` does when `ev` happens. `isn` is the current value of
/// the host's ISN clock (RFC 9293 section 3.4.1), used if the event selects an ISS.
pub fn step(ep: &Endpoint, ev: &Event, p: &Params, isn: Seq) -> Transition {
    let mut s = Stepper {
        t: Transition {
            next: ep.clone(),
            outputs: Vec::new(),
            isn_used: false,
            accepted: false,
            reset: false,
            timed_out: false,
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
                s.send(Segment::rst(seq));
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
            let (rto, max_retries) = (s.p.rto, s.p.max_retries);
            let e = &s.t.next;
            if e.in_flight() == 0 {
                s.ep().rtx_timer = 0;
                return;
            }
            if e.retries >= max_retries {
                // Give up (section 3.8.3, R2): the connection times out.
                s.t.timed_out = true;
                if e.state == SynReceived && e.passive {
                    // A half-open passive connection is dropped back to LISTEN.
                    s.t.next = Endpoint::listening();
                } else {
                    s.delete_tcb();
                    s.tell(AppEvent::TimedOut);
                }
                return;
            }
            let e = s.ep();
            e.retries += 1;
            e.rtx_timer = rto;
            let seg = e.retransmission();
            s.send(seg);
        }
        TimerKind::TimeWait => {
            if s.t.next.state == TimeWait {
                s.delete_tcb();
            }
        }
        TimerKind::Keepalive => {
            let Some(ka) = s.p.keepalive() else {
                s.ep().ka_timer = 0;
                return;
            };
            let e = s.ep();
            if e.state != Established {
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
            // A probe: <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data; the peer must ACK it.
            e.ka_probes += 1;
            e.ka_timer = ka.interval;
            let probe = Segment::ack(e.snd_nxt - 1, e.rcv_nxt);
            s.send(probe);
        }
    }
}

/// RFC 9293 section 3.10.7: SEGMENT ARRIVES.
fn arrive(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    use TcpState::*;
    match s.t.next.state {
        Closed => arrive_closed(s, seg),
        Listen => arrive_listen(s, seg, isn),
        SynSent => arrive_syn_sent(s, seg),
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
        s.send(Segment::rst_ack(0, seg.seq + seg.seg_len()));
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
    // third: SYN. RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, select ISS, send SYN,ACK.
    s.t.isn_used = true;
    s.t.accepted = true;
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    e.iss = isn;
    e.snd_una = isn;
    e.snd_nxt = isn + 1;
    e.state = TcpState::SynReceived;
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
    let ack_ok = seg.flags.ack && e.iss < seg.ack && seg.ack <= e.snd_nxt;
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
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    if ack_ok {
        e.snd_una = seg.ack;
    }
    if e.snd_una > e.iss {
        // Our SYN is acknowledged: ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
        e.retries = 0;
        s.update_rtx();
        s.send_ack();
        s.enter_established();
    } else {
        // Simultaneous open: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        e.state = TcpState::SynReceived;
        let syn_ack = Segment::syn_ack(e.iss, e.rcv_nxt);
        s.send(syn_ack);
    }
}

/// Section 3.10.7.4: SYN-RECEIVED and the synchronized states.
fn arrive_other(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let wnd = s.p.wnd;
    let e = &s.t.next;

    // TIME-WAIT, fifth: "The only thing that can arrive in this state is a retransmission of the
    // remote FIN. Acknowledge it, and restart the 2 MSL timeout." A retransmitted FIN carries
    // the FIN at RCV.NXT-1, so it fails the acceptability test; it is recognised here first.
    if e.state == TimeWait
        && seg.flags.fin
        && !seg.flags.rst
        && seg.seq + seg.len as u16 + 1 == e.rcv_nxt
    {
        s.t.accepted = true;
        s.send_ack();
        s.ep().tw_timer = s.p.time_wait_ticks();
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
    if !e.acceptable(seg, wnd) {
        if !seg.flags.rst {
            s.send_ack();
        }
        return;
    }

    // second: RST (RFC 5961 section 3.2: exact match resets, in-window gets a challenge ACK).
    if seg.flags.rst && e.state == TimeWait {
        // RFC 9293 would enter CLOSED; this model takes RFC 1337's fix F1 and ignores RST in
        // TIME-WAIT, so that a stray RST (answering an old duplicate) cannot cut TIME-WAIT short
        // ("TIME-WAIT assassination"). Both behaviours are listed as allowed in the vectors.
        return;
    }
    if seg.flags.rst {
        if seg.seq != e.rcv_nxt {
            return s.send_ack();
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
                // CLOSING, LAST-ACK: enter CLOSED. Our FIN was never acknowledged: reset.
                s.t.reset = true;
                s.delete_tcb();
            }
        }
        return;
    }

    // fourth: SYN.
    if seg.flags.syn {
        if e.state == SynReceived && e.passive {
            // RFC 9293: a passive SYN-RECEIVED returns to LISTEN.
            s.t.next = Endpoint::listening();
            return;
        }
        // RFC 5961 section 4.2: challenge ACK, drop.
        return s.send_ack();
    }

    // fifth: ACK.
    if !seg.flags.ack {
        return;
    }
    if e.state == SynReceived {
        if e.snd_una < seg.ack && seg.ack <= e.snd_nxt {
            s.t.accepted = true;
            let e = s.ep();
            e.snd_una = seg.ack;
            s.update_rtx();
            s.enter_established();
        } else {
            return s.send(Segment::rst(seg.ack));
        }
    } else {
        // RFC 5961 section 5.2: acceptable ACKs are in [SND.UNA - MAX.SND.WND, SND.NXT];
        // anything else (including SEG.ACK > SND.NXT, section 3.10.7.4) is answered by an ACK
        // and dropped.
        let e = &s.t.next;
        if seg.ack > e.snd_nxt || seg.ack + wnd < e.snd_una {
            return s.send_ack();
        }
        if e.snd_una < seg.ack {
            s.t.accepted = true;
            let e = s.ep();
            e.snd_una = seg.ack;
            e.retries = 0;
            e.rtx_timer = 0;
            s.update_rtx();
            // The window has room again: send what SEND and CLOSE queued (section 3.10.2).
            s.transmit();
        }
        let e = &s.t.next;
        match e.state {
            FinWait1 if e.fin_acked() => s.ep().state = FinWait2,
            Closing if e.fin_acked() => {
                s.enter_time_wait();
                return;
            }
            // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
            // ignore the segment" (fifth, CLOSING).
            Closing => return,
            LastAck if e.fin_acked() => {
                s.delete_tcb();
                return;
            }
            _ => {}
        }
    }
    if s.t.next.state == Established {
        // Any acceptable segment shows the peer is alive (RFC 1122 section 4.2.3.6), the
        // answer to a probe (a duplicate ACK) included.
        s.arm_keepalive();
    }

    // seventh: segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 only).
    let mut need_ack = false;
    let e = &s.t.next;
    let data_end = seg.seq + seg.len as u16;
    let window_end = e.rcv_nxt + wnd;
    if seg.len > 0 && matches!(e.state, Established | FinWait1 | FinWait2) {
        if seg.seq > e.rcv_nxt {
            // Out of order: RFC 9293 says such segments SHOULD be held for later processing;
            // this model keeps no reassembly queue and only acknowledges RCV.NXT.
            need_ack = true;
        } else if data_end > e.rcv_nxt {
            // Only the part inside the receive window is taken (section 3.10.7.4, first: the
            // segment is trimmed to the window).
            let taken_end = data_end.min(window_end);
            let new = (taken_end - e.rcv_nxt) as u32;
            s.t.accepted = true;
            s.ep().rcv_nxt = taken_end;
            s.tell(AppEvent::Data(new));
            need_ack = true;
        }
    }

    // eighth: FIN, processed only when everything before it has arrived and it lies inside the
    // window (a FIN beyond it is trimmed off like data). The ACK is sent
    // before the state changes, so that it leaves even when TIME-WAIT is switched off.
    let e = &s.t.next;
    if seg.flags.fin && data_end == e.rcv_nxt && data_end < window_end {
        s.t.accepted = true;
        s.ep().rcv_nxt += 1;
        s.tell(AppEvent::EndOfStream);
        s.send_ack();
        let e = &s.t.next;
        match e.state {
            SynReceived | Established => s.ep().state = CloseWait,
            FinWait1 if e.fin_acked() => s.enter_time_wait(),
            FinWait1 => s.ep().state = Closing,
            FinWait2 => s.enter_time_wait(),
            _ => {}
        }
    } else if need_ack || seg.flags.fin {
        s.send_ack();
    }
}

#[cfg(test)]
mod tests;
