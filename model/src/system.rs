//! Two hosts joined by a network, as a stateright [`Model`].
//!
//! Each host has an endpoint ([`crate::endpoint`]), an application script
//! ([`crate::config::App`]), an ISN clock, and ghost (history) state that only the properties
//! read. The network is a multiset of segments in flight with their age; it reorders freely,
//! loses and duplicates within budgets, and a segment that is not delivered within MSL ticks is
//! dropped (which costs a loss unless it was a duplicate). Time advances by the `Tick` action.
//! In some scenarios a host crashes and reboots, and an off-path attacker injects segments.
//!
//! Ghosts are tied to connections: each host numbers its connections (incarnations), every
//! segment carries its sender's incarnation, and a connection knows the peer incarnation it
//! synchronized with. A connection that ends abnormally (ABORT, a crash, a RST or time-out that
//! such an event explains, a successful blind attack) is recorded per incarnation, so that it
//! excuses only what it concerns: the resets, time-outs and missing data of the connections
//! synchronized with it.

use crate::config::{Config, End, IsnClock, ISN_SPACING};
use crate::endpoint::{step, Endpoint, Event, Output, Transition, UserCall};
use crate::fault::fault;
use crate::segment::{ctl, Segment, Seq};
use crate::statespace::{fingerprint, Fair};
use serde::Serialize;
use smallvec::SmallVec;
use stateright::Model;
use tcp_vectors::{AppEvent, TcpState, TimerKind};

/// Index of a host: 0 is A, 1 is B.
pub type HostId = usize;

/// What the system knows a segment to be (ghost), for the reachability properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Tag {
    /// Nothing in particular.
    Plain,
    /// The ACK that completes a three-way handshake.
    HandshakeAck,
    /// The acknowledgment of a FIN.
    FinAck,
    /// A keepalive probe.
    Probe,
    /// The answer to a keepalive probe.
    ProbeAnswer,
}

/// A segment in the network, with the ghost identity of the endpoint that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Flight {
    /// Sending host (0 = A, 1 = B).
    pub from: u8,
    /// The segment.
    pub seg: Segment,
    /// Ticks spent in the network.
    pub age: u8,
    /// Ghost: the sending host's incarnation when it sent the segment.
    pub incarnation: u8,
    /// This copy was made by the network's duplication (it may age out without costing a loss).
    pub duplicate: bool,
    /// Sent since the last network event or tick: only now may the network lose or duplicate
    /// it. Losing or duplicating a segment later commutes with everything in between (the
    /// copy keeps the original's age), so deciding before any other network event or tick
    /// explores the same behaviours in fewer states. Application calls do not end it: a
    /// segment sent in the step that enables the next call can still be lost.
    pub fresh: bool,
    /// Ghost: what the segment is.
    pub tag: Tag,
}

impl std::hash::Hash for Flight {
    /// One word: the model checker fingerprints every state, and field-by-field hashing of
    /// the network dominated its time.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let w = self.seg.packed() as u64
            | (self.age as u64) << 32
            | (self.incarnation as u64) << 40
            | (self.from as u64) << 48
            | (self.duplicate as u64) << 50
            | (self.fresh as u64) << 51
            | (self.tag as u64) << 52;
        state.write_u64(w);
    }
}

/// Where an application is in its script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    /// About to open the next connection (active OPEN), once the endpoint is CLOSED.
    Ready,
    /// Opened (or listening), waiting to be connected.
    Waiting,
    /// Connected: about to SEND.
    Connected,
    /// Sent its data: about to end the connection (or idle).
    Sent,
    /// Closed or aborted its side: waiting for the connection to end.
    Closed,
    /// All incarnations done.
    Done,
    /// Crashed, and the application will start again (the host's TCP still answers from
    /// CLOSED meanwhile). A host that crashes for good is `Done`.
    Down,
}

/// One host: endpoint, application, ISN clock, and ghost history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Host {
    /// The TCP endpoint.
    pub ep: Endpoint,
    /// The application's position in its script.
    pub phase: Phase,
    /// Connections begun so far (the current incarnation number, from 1).
    pub incarnation: u8,
    /// ISN clock under [`IsnClock::FarAhead`]: ISNs selected so far; it survives crashes.
    pub clock: u8,
    /// Octets delivered to the application on the current connection.
    pub received: u8,
    /// The current connection's end-of-stream has reached the application.
    pub eof_now: bool,
    /// Times the application was restarted after a crash.
    pub restarts: u8,
    /// Ghost: (ISS, IRS) pairs this host's endpoints ever synchronized on (entered SYN-RECEIVED
    /// or ESTABLISHED with).
    pub synced: SmallVec<[(Seq, Seq); 4]>,
    /// Ghost: the peer's incarnation whose SYN the current connection synchronized with.
    pub peer_incarnation: Option<u8>,
    /// Ghost: the incarnation this host crashed in, if it crashed.
    pub crashed_in: Option<u8>,
    /// Ghost: bit `k` set when this host's incarnation `k` ended abnormally for a reason the
    /// run explains (ABORT, crash, blind attack within the RFC's odds, or a RST or time-out
    /// caused by such an end of the peer's connection).
    pub broke: u8,
    /// Ghost: the subset of `broke` that told the peer nothing (a crash, a time-out, a blind
    /// attacker's reset): the peer's connection may stay half-open without any loss.
    pub silent: u8,
    /// Ghost: a connection of this host ended without its application having all the data and
    /// end-of-stream, and nothing excuses it.
    pub incomplete: bool,
}

impl std::hash::Hash for Host {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.ep.hash(state);
        let opt = |o: Option<u8>| o.map_or(0, |x| x as u64 + 1);
        let w = self.phase as u64
            | (self.incarnation as u64) << 8
            | (self.clock as u64) << 16
            | (self.received as u64) << 24
            | (self.eof_now as u64) << 32
            | (self.incomplete as u64) << 33
            | (self.restarts as u64) << 34
            | opt(self.peer_incarnation) << 40
            | opt(self.crashed_in) << 48
            | (self.broke as u64) << 56;
        state.write_u64(w);
        state.write_u8(self.silent);
        state.write_usize(self.synced.len());
        for (a, b) in &self.synced {
            state.write_u16((a.0 as u16) << 8 | b.0 as u16);
        }
    }
}

/// Ghost facts about the whole run that the reachability properties read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Fact {
    /// An endpoint went from SYN-SENT to SYN-RECEIVED.
    SimultaneousOpen,
    /// TIME-WAIT acknowledged a retransmitted FIN.
    TimeWaitAbsorbedFin,
    /// Data arrived at an endpoint that had already sent its FIN.
    HalfCloseData,
    /// The ACK completing a handshake was lost.
    LostHandshakeAck,
    /// The acknowledgment of a FIN was lost.
    LostFinAck,
    /// A data segment of an earlier incarnation arrived at a later connection.
    OldDataAtLaterIncarnation,
    /// A RST arrived at an endpoint in TIME-WAIT.
    RstInTimeWait,
    /// A retransmission timer fired and resent a segment.
    Retransmission,
    /// A keepalive probe was answered and the answer arrived.
    KeepaliveAnswered,
    /// An endpoint sent an RFC 5961 challenge ACK.
    ChallengeAck,
    /// A half-open connection was discovered and reset after the peer rebooted.
    HalfOpenDiscovered,
    /// A connection was reset by the peer's ABORT.
    AbortResetPeer,
    /// An attacker's segment was answered by a challenge ACK.
    AttackChallenged,
}

impl Fact {
    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// Ghost facts about the whole run, read by the properties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct History {
    /// A connection was reset although nothing explains it.
    pub unexplained_reset: bool,
    /// An endpoint gave up on a peer that was alive and reachable.
    pub needless_timeout: bool,
    /// A segment of an earlier incarnation was accepted into a later one.
    pub stale_accepted: bool,
    /// An attacker's segment ended a connection without an exact RST.
    pub blind_reset: bool,
    /// An attacker's data was accepted although outside the window or RFC 5961's ACK range.
    pub blind_data: bool,
    /// The [`Fact`]s seen so far.
    pub facts: u16,
}

impl History {
    /// Whether `fact` has happened.
    pub fn has(&self, fact: Fact) -> bool {
        self.facts & fact.bit() != 0
    }

    fn note(&mut self, fact: Fact) {
        self.facts |= fact.bit();
    }
}

/// The state of the whole system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SysState {
    /// Host A and host B.
    pub hosts: [Host; 2],
    /// Segments in flight (sorted: a multiset).
    pub net: SmallVec<[Flight; 8]>,
    /// Losses the network may still inflict.
    pub losses_left: u8,
    /// Duplicates the network may still make.
    pub dups_left: u8,
    /// Crashes that may still happen.
    pub crashes_left: u8,
    /// Segments the attacker may still inject.
    pub attacks_left: u8,
    /// Ticks so far, modulo 256 (only under [`IsnClock::Ticking`]; 0 otherwise).
    pub time: u8,
    /// Ghost history.
    pub history: History,
}

/// What can happen next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// The network delivers this segment.
    Deliver(Flight),
    /// The network loses this segment.
    Lose(Flight),
    /// The network duplicates this segment.
    Duplicate(Flight),
    /// One tick of time: segments age, timers run down and may expire.
    Tick,
    /// A host's application makes a user call.
    Call(u8, UserCall),
    /// A host crashes: its TCP forgets the connection and its application stops, for good
    /// (`false`) or until it reboots (`true`).
    Crash(u8, bool),
    /// A crashed host's application starts again.
    Reboot(u8),
    /// The off-path attacker's segment arrives at a host.
    Inject(u8, Segment),
}

/// Where an arriving segment came from.
#[derive(Clone, Copy, Debug)]
enum Cause {
    Peer(Flight),
    Attacker(Segment),
}

/// The two-host system under a [`Config`].
#[derive(Clone, Debug)]
pub struct System {
    /// What is explored.
    pub config: Config,
}

impl System {
    /// The system for `config`.
    pub fn new(config: Config) -> System {
        System { config }
    }

    /// The ISN host `h`'s clock gives now. Under [`IsnClock::FarAhead`] successive ISNs of a
    /// host are [`ISN_SPACING`] apart. Under [`IsnClock::Ticking`] the clock advances one
    /// number every two ticks, and one more per ISN chosen: a real clock (RFC 9293 3.4.1, one
    /// number per 4 microseconds) always moves between two choices, however close together the
    /// model's coarse time puts them. With the constant-ISN switch every incarnation gets the
    /// first.
    pub fn isn(&self, s: &SysState, h: HostId) -> Seq {
        let host = &s.hosts[h];
        let reading = match (self.config.mechanisms().isn_clock, self.config.isn_clock) {
            (false, _) => 0,
            (true, IsnClock::FarAhead) => host.clock.wrapping_mul(ISN_SPACING),
            (true, IsnClock::Ticking) => host.clock.wrapping_add(s.time / 2),
        };
        Seq(100u8
            .wrapping_add(reading)
            .wrapping_add(if h == 0 { 0 } else { 128 }))
    }

    /// True when no action is enabled: the run is over.
    pub fn is_terminal(&self, s: &SysState) -> bool {
        let mut actions = Vec::new();
        self.actions(s, &mut actions);
        actions.is_empty()
    }

    /// Octets host `h`'s application must receive per connection.
    fn expected(&self, h: HostId) -> u8 {
        self.config.apps[1 - h].sends
    }

    /// Whether the end of host `h`'s incarnation `k` is excused: it, or the peer's connection it
    /// was synchronized with, ended abnormally for a reason the run explains. A connection that
    /// never synchronized is excused by any explained abnormal end of the peer's.
    fn excused(&self, s: &SysState, h: HostId) -> bool {
        self.explained(s, h)
    }

    /// Whether what happens to host `h`'s current connection is explained: the connection
    /// itself was already broken for an explained reason (a successful blind attack, say), or
    /// the peer's connection it synchronized with ended abnormally (or, before synchronizing,
    /// any of the peer's did).
    pub fn explained(&self, s: &SysState, h: HostId) -> bool {
        let host = &s.hosts[h];
        let peer = &s.hosts[1 - h];
        bit(host.broke, host.incarnation)
            || match host.peer_incarnation {
                Some(j) => bit(peer.broke, j),
                None => peer.broke != 0,
            }
    }

    /// Whether host `h`'s current connection may be left where it is for good: it was itself
    /// broken for an explained reason; or it is synchronized and the peer's connection it
    /// synchronized with ended abnormally without telling it (crash, time-out, blind reset) or
    /// with a RST the network may have lost; or it is still opening (a server in LISTEN)
    /// and a connection of the peer's ended abnormally (a client that gave up or aborted).
    pub fn may_hang(&self, s: &SysState, h: HostId) -> bool {
        let host = &s.hosts[h];
        let peer = &s.hosts[1 - h];
        let lost_something = s.losses_left < self.config.budgets.losses;
        bit(host.broke, host.incarnation)
            || match host.peer_incarnation {
                Some(j) => bit(peer.silent, j) || (bit(peer.broke, j) && lost_something),
                None => peer.broke != 0,
            }
    }

    /// Apply an event to host `h` and everything it causes (network, application, ghosts).
    fn apply(&self, s: &mut SysState, h: HostId, ev: Event, cause: Option<Cause>) {
        let before = s.hosts[h].ep.clone();
        let params = &self.config.params[h];
        let t: Transition = step(&before, &ev, params, self.isn(s, h));
        self.record_ghosts(s, h, &before, &ev, &t, cause);
        if t.isn_used && self.config.mechanisms().isn_clock {
            s.hosts[h].clock = s.hosts[h].clock.wrapping_add(1);
        }
        s.hosts[h].ep = t.next.clone();
        for out in &t.outputs {
            match *out {
                Output::Send(seg) => {
                    let tag = tag_of(&before, &ev, &t, &seg, cause);
                    s.net.push(Flight {
                        from: h as u8,
                        seg,
                        age: 0,
                        incarnation: s.hosts[h].incarnation,
                        duplicate: false,
                        fresh: true,
                        tag,
                    });
                }
                Output::App(ev) => self.tell_app(s, h, ev),
                Output::Error(_) => {}
            }
        }
        s.net.sort();
        self.after_event(s, h, &before);
    }

    fn record_ghosts(
        &self,
        s: &mut SysState,
        h: HostId,
        before: &Endpoint,
        ev: &Event,
        t: &Transition,
        cause: Option<Cause>,
    ) {
        let after = t.next.state;
        if t.challenge_ack {
            s.history.note(Fact::ChallengeAck);
            if matches!(cause, Some(Cause::Attacker(_))) {
                s.history.note(Fact::AttackChallenged);
            }
        }
        if before.state == TcpState::SynSent && after == TcpState::SynReceived {
            s.history.note(Fact::SimultaneousOpen);
        }
        if let Event::Timeout(TimerKind::Retransmission) = ev {
            if t.outputs.iter().any(|o| matches!(o, Output::Send(_))) {
                s.history.note(Fact::Retransmission);
            }
        }
        if t.timed_out {
            self.record_time_out(s, h, ev);
        }
        match cause {
            Some(Cause::Attacker(seg)) => self.record_attack(s, h, before, t, &seg),
            Some(Cause::Peer(f)) => self.record_delivery(s, h, before, t, &f),
            None => {}
        }
        let host = &mut s.hosts[h];
        if matches!(after, TcpState::SynReceived | TcpState::Established) && before.state != after {
            let pair = (t.next.iss, t.next.irs);
            if !host.synced.contains(&pair) {
                host.synced.push(pair);
            }
        }
        if after == TcpState::Listen && before.state != TcpState::Listen {
            // A half-open passive connection went back to LISTEN: it synchronized with nobody.
            // (A connection that reaches CLOSED keeps its peer until the application has
            // accounted for it, in `after_event`.)
            host.peer_incarnation = None;
        }
    }

    /// A time-out is explained when the peer's connection ended abnormally, or when the
    /// network lost more segments than the retries cover; otherwise it gave up on a live peer.
    fn record_time_out(&self, s: &mut SysState, h: HostId, ev: &Event) {
        let p = &self.config.params[h];
        let needed = match ev {
            Event::Timeout(TimerKind::Keepalive) => p.keepalive.map_or(1, |ka| ka.count),
            _ => p.max_retries + 1,
        };
        let used = self.config.budgets.losses - s.losses_left;
        let k = s.hosts[h].incarnation;
        if self.explained(s, h) || used >= needed {
            s.hosts[h].broke |= 1 << k;
            s.hosts[h].silent |= 1 << k;
        } else {
            s.history.needless_timeout = true;
        }
    }

    /// A segment from the peer arrived: resets, stale segments, and reachability facts.
    fn record_delivery(
        &self,
        s: &mut SysState,
        h: HostId,
        before: &Endpoint,
        t: &Transition,
        f: &Flight,
    ) {
        let k = s.hosts[h].incarnation;
        if t.reset {
            if self.explained(s, h) {
                s.hosts[h].broke |= 1 << k;
                let peer = &s.hosts[1 - h];
                if peer.restarts > 0 && s.hosts[h].peer_incarnation == peer.crashed_in {
                    s.history.note(Fact::HalfOpenDiscovered);
                } else if peer.crashed_in.is_none() {
                    s.history.note(Fact::AbortResetPeer);
                }
            } else {
                s.history.unexplained_reset = true;
            }
        }
        if f.seg.flags.rst && before.state == TcpState::TimeWait {
            s.history.note(Fact::RstInTimeWait);
        }
        if before.state == TcpState::TimeWait && t.accepted && f.seg.flags.fin {
            s.history.note(Fact::TimeWaitAbsorbedFin);
        }
        if f.tag == Tag::ProbeAnswer {
            s.history.note(Fact::KeepaliveAnswered);
        }
        let host = &s.hosts[h];
        if f.seg.len > 0 && host.incarnation >= 2 && host.peer_incarnation != Some(f.incarnation) {
            s.history.note(Fact::OldDataAtLaterIncarnation);
        }
        if f.seg.len > 0
            && matches!(before.state, TcpState::FinWait1 | TcpState::FinWait2)
            && t.outputs
                .iter()
                .any(|o| matches!(o, Output::App(AppEvent::Data(_))))
        {
            s.history.note(Fact::HalfCloseData);
        }
        let host = &mut s.hosts[h];
        if t.accepted && matches!(before.state, TcpState::Listen | TcpState::SynSent) {
            if f.seg.flags.syn {
                host.peer_incarnation = Some(f.incarnation);
            }
        } else if t.accepted && host.peer_incarnation.is_some_and(|p| f.incarnation < p) {
            s.history.stale_accepted = true;
        }
    }

    /// An attacker's segment arrived. RFC 5961 allows it to end a connection only as an exact
    /// RST (SEG.SEQ = RCV.NXT), and to feed data only inside the window with an acknowledgment
    /// in [SND.UNA - MAX.SND.WND, SND.NXT]; what it achieves within those odds excuses the
    /// connection it hit.
    fn record_attack(
        &self,
        s: &mut SysState,
        h: HostId,
        before: &Endpoint,
        t: &Transition,
        seg: &Segment,
    ) {
        let k = s.hosts[h].incarnation;
        let wnd = self.config.params[h].wnd;
        // Within RFC 5961's odds: an exact RST, or a segment in the window whose
        // acknowledgment is in range (which may carry data, or complete a close).
        let exact_rst = seg.flags.rst && seg.seq == before.rcv_nxt;
        let acceptable = !seg.flags.rst
            && !seg.flags.syn
            && seg.flags.ack
            && seg.seq.in_window(before.rcv_nxt, wnd)
            && before.ack_in_range(seg.ack, wnd);
        let ended = matches!(t.next.state, TcpState::Closed | TcpState::Listen);
        if ended {
            if exact_rst || acceptable {
                s.hosts[h].broke |= 1 << k;
                s.hosts[h].silent |= 1 << k;
            } else {
                s.history.blind_reset = true;
            }
        }
        // Fed: taken at RCV.NXT, or held out of order to be delivered later.
        let fed = !ended
            && (t.next.rcv_nxt != before.rcv_nxt
                || t.next.held != before.held
                || t.next.held_fin != before.held_fin);
        if fed {
            if acceptable {
                s.hosts[h].broke |= 1 << k;
                s.hosts[h].silent |= 1 << k;
            } else {
                s.history.blind_data = true;
            }
        }
    }

    fn tell_app(&self, s: &mut SysState, h: HostId, ev: AppEvent) {
        let sends = self.config.apps[h].sends;
        let host = &mut s.hosts[h];
        match ev {
            AppEvent::Connected => {
                if host.phase == Phase::Waiting {
                    host.phase = if sends > 0 {
                        Phase::Connected
                    } else {
                        Phase::Sent
                    };
                }
            }
            AppEvent::Data(n) => host.received = host.received.saturating_add(n as u8),
            AppEvent::EndOfStream => host.eof_now = true,
            AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut => {}
        }
    }

    /// When host `h`'s connection is over, the application checks what it got and moves to the
    /// next incarnation; a server listens again at once.
    fn after_event(&self, s: &mut SysState, h: HostId, before: &Endpoint) {
        let host = &s.hosts[h];
        let over = host.ep.state == TcpState::Closed
            && matches!(
                host.phase,
                Phase::Waiting | Phase::Connected | Phase::Sent | Phase::Closed
            );
        if !over {
            return;
        }
        let (k, phase) = (host.incarnation, host.phase);
        let more = k < self.config.apps[h].incarnations + host.restarts;
        let complete = host.received == self.expected(h) && host.eof_now;
        let synchronized = before.is_synchronized() || before.state == TcpState::SynReceived;
        if !complete && !self.excused(s, h) && (synchronized || phase != Phase::Waiting) {
            s.hosts[h].incomplete = true;
        }
        s.hosts[h].peer_incarnation = None;
        let app = self.config.apps[h];
        if !more {
            s.hosts[h].phase = Phase::Done;
        } else if app.active {
            s.hosts[h].phase = Phase::Ready;
        } else {
            self.listen(s, h);
        }
    }

    fn listen(&self, s: &mut SysState, h: HostId) {
        let host = &mut s.hosts[h];
        host.incarnation += 1;
        host.eof_now = false;
        host.received = 0;
        host.phase = Phase::Waiting;
        host.ep = Endpoint::listening();
    }

    /// The user call host `h`'s application makes next, if any.
    fn next_call(&self, h: HostId, host: &Host) -> Option<UserCall> {
        let app = &self.config.apps[h];
        match host.phase {
            Phase::Ready if host.ep.state == TcpState::Closed => {
                Some(UserCall::Open { passive: false })
            }
            Phase::Connected => Some(UserCall::Send(app.sends)),
            Phase::Sent => match app.end {
                End::Close => Some(UserCall::Close),
                End::CloseAfterEof if host.eof_now => Some(UserCall::Close),
                End::Abort => Some(UserCall::Abort),
                End::CloseAfterEof | End::Idle => None,
            },
            _ => None,
        }
    }

    fn call(&self, s: &mut SysState, h: HostId, call: UserCall) {
        let host = &mut s.hosts[h];
        match call {
            UserCall::Open { .. } => {
                host.incarnation += 1;
                host.eof_now = false;
                host.received = 0;
                host.phase = Phase::Waiting;
            }
            UserCall::Send(_) => host.phase = Phase::Sent,
            UserCall::Close => host.phase = Phase::Closed,
            UserCall::Abort => {
                host.broke |= 1 << host.incarnation;
                host.phase = Phase::Closed;
            }
        }
        self.apply(s, h, Event::Call(call), None);
    }

    /// One tick. Only duplicates can be in flight (see [`System::tick_enabled`]): they age, and
    /// those older than MSL die. Then every running timer runs down, and expires at zero.
    fn tick(&self, s: &mut SysState) {
        let msl = self.config.params[0].msl;
        if self.config.isn_clock == IsnClock::Ticking {
            s.time = s.time.wrapping_add(1);
        }
        for f in &mut s.net {
            f.age += 1;
        }
        s.net.retain(|f| f.age <= msl);
        for h in 0..2 {
            for kind in [
                TimerKind::Retransmission,
                TimerKind::TimeWait,
                TimerKind::Keepalive,
            ] {
                let ep = &mut s.hosts[h].ep;
                let timer = match kind {
                    TimerKind::Retransmission => &mut ep.rtx_timer,
                    TimerKind::TimeWait => &mut ep.tw_timer,
                    TimerKind::Keepalive => &mut ep.ka_timer,
                };
                if *timer == 0 {
                    continue;
                }
                *timer -= 1;
                if *timer == 0 {
                    self.apply(s, h, Event::Timeout(kind), None);
                }
            }
        }
    }

    /// Time may pass when every segment in flight is a delayed duplicate and something is
    /// waiting for time (a timer, or a duplicate that will age out). This is the model's time
    /// scale: a round trip is shorter than a tick and a tick is at most the RTO (RFC 6298
    /// section 2.4 keeps the RTO above the round-trip time), so every segment the network
    /// neither loses nor duplicates arrives before the next tick, and the retransmission timer
    /// never fires spuriously. Duplicates may arrive at any time within MSL: they are the old
    /// segments the handshake, the ISN clock and TIME-WAIT defend against.
    pub fn tick_enabled(&self, s: &SysState) -> bool {
        s.net.iter().all(|f| f.duplicate)
            && (!s.net.is_empty() || s.hosts.iter().any(|h| h.ep.has_timer()))
    }

    /// Host `h` crashes: it forgets its connection and its application stops (a dead peer),
    /// for good or until it reboots. The machine itself stays up, so its TCP answers later
    /// segments from CLOSED.
    fn crash(&self, s: &mut SysState, h: HostId, reboots: bool) {
        s.crashes_left -= 1;
        let host = &mut s.hosts[h];
        host.crashed_in = Some(host.incarnation);
        host.broke |= 1 << host.incarnation;
        host.silent |= 1 << host.incarnation;
        host.ep = Endpoint::closed();
        host.peer_incarnation = None;
        host.phase = if reboots { Phase::Down } else { Phase::Done };
    }

    /// Host `h`'s application starts again after a crash and opens a new connection on the
    /// same ports. The ISN clock survives the crash (RFC 9293 3.4.3's quiet time is then not
    /// needed); a seeded fault resets it.
    fn reboot(&self, s: &mut SysState, h: HostId) {
        let host = &mut s.hosts[h];
        host.restarts += 1;
        host.phase = Phase::Ready;
        if fault!(self.config.params[h], RebootForgetsIsnClock) {
            host.clock = 0;
        }
    }

    /// The attacker's segments against host `h`: RST, SYN and one octet of data, at every
    /// sequence class (old, exact, in-window, last in the window, the window's edge, beyond)
    /// and, for data, every acknowledgment class (below RFC 5961's range, old, SND.UNA,
    /// SND.NXT, beyond). The attacker knows the ports, not the numbers: trying every class is
    /// how the model covers every guess.
    fn injections(&self, ep: &Endpoint, h: HostId) -> Vec<Segment> {
        let wnd = self.config.params[h].wnd;
        let n = ep.rcv_nxt;
        let seqs = [n - 1, n, n + 1, n + (wnd - 1), n + wnd, n + 2 * wnd];
        let acks = [
            ep.snd_una - (wnd + 1),
            ep.snd_una - 1,
            ep.snd_una,
            ep.snd_nxt,
            ep.snd_nxt + 1,
        ];
        let mut out = Vec::new();
        for &seq in &seqs {
            for (syn, rst) in [(false, true), (true, false)] {
                out.push(Segment {
                    flags: ctl(syn, false, false, rst),
                    seq,
                    ack: Seq(0),
                    len: 0,
                });
            }
            for &ack in &acks {
                out.push(Segment {
                    flags: ctl(false, true, false, false),
                    seq,
                    ack,
                    len: 1,
                });
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn initial_host(&self) -> Host {
        Host {
            ep: Endpoint::closed(),
            phase: Phase::Ready,
            incarnation: 0,
            clock: 0,
            received: 0,
            eof_now: false,
            restarts: 0,
            synced: SmallVec::new(),
            peer_incarnation: None,
            crashed_in: None,
            broke: 0,
            silent: 0,
            incomplete: false,
        }
    }
}

fn bit(mask: u8, k: u8) -> bool {
    k < 8 && mask & (1 << k) != 0
}

/// The ghost tag of a segment sent by a transition.
fn tag_of(
    before: &Endpoint,
    ev: &Event,
    t: &Transition,
    seg: &Segment,
    cause: Option<Cause>,
) -> Tag {
    let pure_ack = seg.flags == ctl(false, true, false, false) && seg.len == 0;
    if let Event::Timeout(TimerKind::Keepalive) = ev {
        return Tag::Probe;
    }
    if let Some(Cause::Peer(f)) = cause {
        if f.tag == Tag::Probe {
            return Tag::ProbeAnswer;
        }
    }
    if pure_ack && before.state == TcpState::SynSent && t.next.is_synchronized() {
        return Tag::HandshakeAck;
    }
    let fin_seen = t
        .outputs
        .iter()
        .any(|o| matches!(o, Output::App(AppEvent::EndOfStream)));
    let absorbed = before.state == TcpState::TimeWait && t.accepted;
    if pure_ack && (fin_seen || absorbed) {
        return Tag::FinAck;
    }
    Tag::Plain
}

/// The key of the fairness obligation to deliver `f` (its identity without age or marks).
fn delivery_key(f: &Flight) -> u64 {
    fingerprint(&(f.from, f.seg, f.incarnation, f.duplicate, f.tag))
}

const TICK_KEY: u64 = 0x7469_636b;

impl Fair for System {
    /// The network must eventually deliver a segment that stays in flight, and time must pass
    /// when it can.
    fn obligations(&self, s: &SysState, out: &mut Vec<u64>) {
        out.extend(s.net.iter().map(delivery_key));
        if self.tick_enabled(s) {
            out.push(TICK_KEY);
        }
    }

    fn discharges(&self, _: &SysState, a: &Action) -> Option<u64> {
        match a {
            Action::Deliver(f) => Some(delivery_key(f)),
            Action::Tick => Some(TICK_KEY),
            _ => None,
        }
    }
}

impl Model for System {
    type State = SysState;
    type Action = Action;

    fn init_states(&self) -> Vec<SysState> {
        let b = &self.config.budgets;
        let mut s = SysState {
            hosts: [self.initial_host(), self.initial_host()],
            net: SmallVec::new(),
            losses_left: b.losses,
            dups_left: b.duplicates,
            crashes_left: b.crash as u8,
            attacks_left: b.attacks,
            time: 0,
            history: History::default(),
        };
        for h in 0..2 {
            if !self.config.apps[h].active {
                self.listen(&mut s, h);
            }
        }
        vec![s]
    }

    fn actions(&self, s: &SysState, actions: &mut Vec<Action>) {
        // Applications act as soon as they can: a user call that is enabled happens before any
        // network event or tick (both hosts' calls are offered, in either order). The network
        // still interleaves the two hosts arbitrarily; letting applications also dawdle
        // multiplies the state space some twentyfold without new behaviour of TCP.
        for (h, host) in s.hosts.iter().enumerate() {
            if let Some(call) = self.next_call(h, host) {
                actions.push(Action::Call(h as u8, call));
            }
        }
        if !actions.is_empty() {
            return;
        }
        let mut last: Option<&Flight> = None;
        for f in &s.net {
            if last == Some(f) {
                continue; // identical copies give identical successors
            }
            last = Some(f);
            actions.push(Action::Deliver(*f));
            if s.losses_left > 0 && f.fresh && !f.duplicate {
                // A duplicate needs no loss: it may simply age out.
                actions.push(Action::Lose(*f));
            }
            if s.dups_left > 0 && f.fresh {
                actions.push(Action::Duplicate(*f));
            }
        }
        for (h, host) in s.hosts.iter().enumerate() {
            if s.crashes_left > 0 && h == 0 && host.ep.state != TcpState::Closed {
                actions.push(Action::Crash(h as u8, false));
                actions.push(Action::Crash(h as u8, true));
            }
            if host.phase == Phase::Down {
                actions.push(Action::Reboot(h as u8));
            }
            if s.attacks_left > 0 && host.ep.is_synchronized() {
                for seg in self.injections(&host.ep, h) {
                    actions.push(Action::Inject(h as u8, seg));
                }
            }
        }
        if self.tick_enabled(s) {
            actions.push(Action::Tick);
        }
    }

    fn next_state(&self, last: &SysState, action: Action) -> Option<SysState> {
        let mut s = last.clone();
        if !matches!(
            action,
            Action::Lose(_) | Action::Duplicate(_) | Action::Call(..)
        ) {
            for f in &mut s.net {
                f.fresh = false;
            }
        }
        match action {
            Action::Deliver(f) => {
                let f = Flight { fresh: false, ..f };
                let i = s.net.iter().position(|g| *g == f)?;
                s.net.remove(i);
                let to = 1 - f.from as usize;
                self.apply(&mut s, to, Event::Arrive(f.seg), Some(Cause::Peer(f)));
            }
            Action::Lose(f) => {
                let i = s.net.iter().position(|g| *g == f)?;
                s.net.remove(i);
                s.losses_left -= 1;
                match f.tag {
                    Tag::HandshakeAck => s.history.note(Fact::LostHandshakeAck),
                    Tag::FinAck => s.history.note(Fact::LostFinAck),
                    _ => {}
                }
            }
            Action::Duplicate(f) => {
                s.dups_left -= 1;
                s.net.push(Flight {
                    duplicate: true,
                    fresh: false,
                    ..f
                });
                s.net.sort();
            }
            Action::Tick => self.tick(&mut s),
            Action::Call(h, call) => self.call(&mut s, h as usize, call),
            Action::Crash(h, reboots) => self.crash(&mut s, h as usize, reboots),
            Action::Reboot(h) => self.reboot(&mut s, h as usize),
            Action::Inject(h, seg) => {
                s.attacks_left -= 1;
                self.apply(
                    &mut s,
                    h as usize,
                    Event::Arrive(seg),
                    Some(Cause::Attacker(seg)),
                );
            }
        }
        Some(s)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        crate::properties::for_stateright(self.config.scenario)
    }
}
