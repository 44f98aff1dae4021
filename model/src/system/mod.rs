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

mod attacker;
mod ghost;

pub use ghost::{Fact, History};

use crate::config::{middlebox_timeout, Config, End, IsnClock, Scenario, ISN_SPACING};
use crate::endpoint::{step, Endpoint, Event, Output, Transition, UserCall};
use crate::fault::fault;
use crate::segment::{Segment, Seq};
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
    /// A RST a middlebox sends for a flow it has forgotten (it does not pass the middlebox).
    Middlebox,
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
    /// Ghost: what the segment is.
    pub tag: Tag,
    /// Sent since the last network event or tick: only now may the network lose or duplicate
    /// it. Losing or duplicating a segment later commutes with everything in between (the
    /// copy keeps the original's age), so deciding before any other network event or tick
    /// explores the same behaviours in fewer states. Application calls do not end it: a
    /// segment sent in the step that enables the next call can still be lost. (It is the last
    /// field, so clearing it keeps the network sorted.)
    pub fresh: bool,
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
#[derive(Debug, PartialEq, Eq, Serialize)]
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
    /// The application woke from idling and sent again ([`crate::config::App::wakes`]).
    pub woke: bool,
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
            | (self.woke as u64) << 39
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

/// What a middlebox does with a segment of a flow it has forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum MiddleboxKind {
    /// A stateful firewall: drops it silently.
    Firewall,
    /// A NAT (some of them): answers the sender with a RST.
    Nat,
}

/// A middlebox between the hosts with state for the one flow (connection) between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Middlebox {
    /// How it treats a forgotten flow.
    pub kind: MiddleboxKind,
    /// Ticks since the flow's last segment passed.
    pub idle: u8,
    /// The flow was idle for [`crate::config::middlebox_timeout`] ticks and is forgotten.
    pub forgotten: bool,
}

/// The state of the whole system.
///
/// Its identity (`Hash`, which the checker fingerprints) leaves out `history`: the violation
/// flags and facts there only ever become true, and only always- and sometimes-properties read
/// them, which the checker judges on every successor as generated, before duplicates merge
/// ([`crate::statespace`]). So a TCP state reached with different facts is one state.
#[derive(Debug, PartialEq, Eq, Serialize)]
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
    /// The middlebox between the hosts, in the middlebox scenario.
    pub middlebox: Option<Middlebox>,
    /// Ghost history.
    pub history: History,
}

impl SysState {
    /// Put a segment in flight, keeping the network sorted (it is a multiset).
    fn send(&mut self, f: Flight) {
        let i = self.net.partition_point(|g| *g <= f);
        self.net.insert(i, f);
    }
}

/// Cloned with bulk copies of the small vectors (a derived clone copies them element by
/// element, and the checker clones a state for every action).
impl Clone for SysState {
    fn clone(&self) -> Self {
        SysState {
            hosts: [self.hosts[0].clone(), self.hosts[1].clone()],
            net: SmallVec::from_slice(&self.net),
            losses_left: self.losses_left,
            dups_left: self.dups_left,
            crashes_left: self.crashes_left,
            attacks_left: self.attacks_left,
            time: self.time,
            middlebox: self.middlebox,
            history: self.history,
        }
    }
}

impl Clone for Host {
    fn clone(&self) -> Self {
        Host {
            ep: self.ep.clone(),
            phase: self.phase,
            incarnation: self.incarnation,
            clock: self.clock,
            received: self.received,
            eof_now: self.eof_now,
            restarts: self.restarts,
            synced: SmallVec::from_slice(&self.synced),
            peer_incarnation: self.peer_incarnation,
            crashed_in: self.crashed_in,
            broke: self.broke,
            silent: self.silent,
            woke: self.woke,
            incomplete: self.incomplete,
        }
    }
}

impl std::hash::Hash for SysState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hosts.hash(state);
        self.net.hash(state);
        self.losses_left.hash(state);
        self.dups_left.hash(state);
        self.crashes_left.hash(state);
        self.attacks_left.hash(state);
        self.time.hash(state);
        self.middlebox.hash(state);
    }
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
    /// A host's idle application wakes and sends again.
    Wake(u8),
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
    /// The state-space reductions in force.
    pub reductions: Reductions,
}

/// The state-space reductions of the model, each of which keeps every verdict (the README's
/// "Reductions" section argues why). Turning one off explores the unreduced space, to check
/// that claim: the verdicts and counterexamples must not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Reductions {
    /// A state's identity leaves out its ghost history (see [`SysState`]).
    pub history_out_of_identity: bool,
    /// Of two identical copies in flight, the original is delivered and the network's
    /// duplicate stays (see [`System::actions`]); identical copies share one fairness
    /// obligation.
    pub twin_delivery: bool,
}

impl Reductions {
    /// Every reduction, as `check` runs by default.
    pub const ALL: Reductions = Reductions {
        history_out_of_identity: true,
        twin_delivery: true,
    };
    /// The names `check --without-reduction` takes, each with what it turns off.
    pub const NAMES: [(&'static str, &'static str); 2] = [
        ("history", "ghost history out of a state's identity"),
        (
            "twins",
            "an original and its identical duplicate delivered as one",
        ),
    ];

    /// The names of the reductions that are off.
    pub fn off(self) -> Vec<&'static str> {
        Reductions::NAMES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| self.without(name) == Some(self))
            .collect()
    }

    /// These reductions without the one named `name` (one of [`Reductions::NAMES`]).
    pub fn without(self, name: &str) -> Option<Reductions> {
        match name {
            "history" => Some(Reductions {
                history_out_of_identity: false,
                ..self
            }),
            "twins" => Some(Reductions {
                twin_delivery: false,
                ..self
            }),
            _ => None,
        }
    }
}

impl Default for Reductions {
    fn default() -> Self {
        Reductions::ALL
    }
}

impl System {
    /// The system for `config`, with every reduction.
    pub fn new(config: Config) -> System {
        System::with_reductions(config, Reductions::ALL)
    }

    /// The system for `config` with the given reductions.
    pub fn with_reductions(config: Config, reductions: Reductions) -> System {
        System { config, reductions }
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
                    let tag = ghost::tag_of(&before, &ev, &t, &seg, cause);
                    let incarnation = s.hosts[h].incarnation;
                    s.send(Flight {
                        from: h as u8,
                        seg,
                        age: 0,
                        incarnation,
                        duplicate: false,
                        fresh: true,
                        tag,
                    });
                }
                Output::App(ev) => self.tell_app(s, h, ev),
                Output::Error(_) => {}
            }
        }
        self.after_event(s, h, &before);
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
            // The model's endpoint tells neither of urgent data nor of ICMP errors.
            AppEvent::Reset
            | AppEvent::Refused
            | AppEvent::TimedOut
            | AppEvent::Urgent
            | AppEvent::Unreachable => {}
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
        if let Some(mb) = &mut s.middlebox {
            if !mb.forgotten {
                mb.idle += 1;
                mb.forgotten = mb.idle >= middlebox_timeout(self.config.budgets.losses);
            }
        }
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
        let waiting = !s.net.is_empty()
            || s.hosts.iter().any(|h| h.ep.has_timer())
            || s.middlebox.is_some_and(|m| !m.forgotten);
        s.net.iter().all(|f| f.duplicate) && waiting
    }

    /// A segment reaches the middlebox on its way: a remembered flow is refreshed and the
    /// segment passes; a forgotten flow's segment is dropped, and a NAT answers its sender with
    /// `<SEQ=SEG.ACK><CTL=RST>` (or, without ACK, `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`).
    /// Returns whether the segment passes. The middlebox's own RST does not pass through it.
    fn through_middlebox(&self, s: &mut SysState, f: &Flight) -> bool {
        let Some(mb) = &mut s.middlebox else {
            return true;
        };
        if f.tag == Tag::Middlebox {
            return true;
        }
        if !mb.forgotten {
            mb.idle = 0;
            return true;
        }
        if mb.kind == MiddleboxKind::Nat && !f.seg.flags.rst {
            let rst = if f.seg.flags.ack {
                Segment::rst(f.seg.ack)
            } else {
                Segment::rst_ack(Seq(0), f.seg.seq + f.seg.seg_len())
            };
            let to = 1 - f.from as usize;
            let incarnation = s.hosts[to].incarnation;
            s.send(Flight {
                from: to as u8,
                seg: rst,
                age: 0,
                incarnation,
                duplicate: false,
                fresh: true,
                tag: Tag::Middlebox,
            });
        }
        false
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

    fn initial_host(&self) -> Host {
        Host {
            ep: Endpoint::closed(),
            phase: Phase::Ready,
            incarnation: 0,
            clock: 0,
            received: 0,
            eof_now: false,
            restarts: 0,
            woke: false,
            synced: SmallVec::new(),
            peer_incarnation: None,
            crashed_in: None,
            broke: 0,
            silent: 0,
            incomplete: false,
        }
    }
}

/// Whether bit `k` of an incarnation mask is set.
fn bit(mask: u8, k: u8) -> bool {
    k < 8 && mask & (1 << k) != 0
}

/// The fairness obligation to deliver `f` (its identity without age or `fresh`). Under the
/// twin-delivery reduction identical copies share it, whether the network made them or not:
/// a receiver cannot tell copies apart, so neither can fairness. Without it, a duplicate's
/// obligation is its own.
fn delivery_key(f: &Flight, twin_delivery: bool) -> u64 {
    let duplicate = f.duplicate && !twin_delivery;
    fingerprint(&(f.from, f.seg, f.incarnation, duplicate, f.tag))
}

/// Whether `f` is a network-made duplicate with an identical original beside it (same
/// sender, segment, age, incarnation and tag). Of two identical copies in flight, the one
/// delivered is the original and the one left is the duplicate, free to be delayed up to
/// MSL: delivering the duplicate instead would leave an original that must still arrive
/// before the next tick, a state whose every run the other state can also take (with the
/// same effects on both hosts, and more freedom of timing). The README's "Reductions"
/// section argues why every verdict is kept.
fn has_original_twin(net: &[Flight], f: &Flight) -> bool {
    f.duplicate
        && net.iter().any(|g| {
            !g.duplicate
                && (g.from, g.seg, g.age, g.incarnation, g.tag)
                    == (f.from, f.seg, f.age, f.incarnation, f.tag)
        })
}

const TICK_KEY: u64 = 0x7469_636b;

impl Fair for System {
    /// The network must eventually deliver a segment that stays in flight, and time must pass
    /// when it can.
    fn obligations(&self, s: &SysState, out: &mut Vec<u64>) {
        let twins = self.reductions.twin_delivery;
        out.extend(s.net.iter().map(|f| delivery_key(f, twins)));
        if self.tick_enabled(s) {
            out.push(TICK_KEY);
        }
    }

    fn discharges(&self, _: &SysState, a: &Action) -> Option<u64> {
        match a {
            Action::Deliver(f) => Some(delivery_key(f, self.reductions.twin_delivery)),
            Action::Tick => Some(TICK_KEY),
            _ => None,
        }
    }

    /// With the history reduction, a state's `Hash` (which leaves out `history`); without
    /// it, the state and its history.
    fn fingerprint(&self, s: &SysState) -> u64 {
        if self.reductions.history_out_of_identity {
            fingerprint(s)
        } else {
            fingerprint(&(s, &s.history))
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
            middlebox: None,
            history: History::default(),
        };
        for h in 0..2 {
            if !self.config.apps[h].active {
                self.listen(&mut s, h);
            }
        }
        if self.config.scenario != Scenario::Middlebox {
            return vec![s];
        }
        [MiddleboxKind::Firewall, MiddleboxKind::Nat]
            .into_iter()
            .map(|kind| SysState {
                middlebox: Some(Middlebox {
                    kind,
                    idle: 0,
                    forgotten: false,
                }),
                ..s.clone()
            })
            .collect()
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
            if !(self.reductions.twin_delivery && has_original_twin(&s.net, f)) {
                actions.push(Action::Deliver(*f));
            }
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
            let app = &self.config.apps[h];
            if app.wakes
                && !host.woke
                && host.phase == Phase::Sent
                && host.ep.state == TcpState::Established
            {
                actions.push(Action::Wake(h as u8));
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
                if self.through_middlebox(&mut s, &f) {
                    let to = 1 - f.from as usize;
                    self.apply(&mut s, to, Event::Arrive(f.seg), Some(Cause::Peer(f)));
                }
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
                s.send(Flight {
                    duplicate: true,
                    fresh: false,
                    ..f
                });
            }
            Action::Tick => self.tick(&mut s),
            Action::Call(h, call) => self.call(&mut s, h as usize, call),
            Action::Crash(h, reboots) => self.crash(&mut s, h as usize, reboots),
            Action::Reboot(h) => self.reboot(&mut s, h as usize),
            Action::Wake(h) => {
                let h = h as usize;
                s.hosts[h].woke = true;
                let n = self.config.apps[h].sends;
                self.apply(&mut s, h, Event::Call(UserCall::Send(n)), None);
            }
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

    /// The action as the charts name it ([`crate::explorer::action_name`]).
    fn format_action(&self, action: &Action) -> String {
        crate::explorer::action_name(action)
    }

    /// The state the action leads to, one line per host and for the network
    /// ([`crate::explorer::state_summary`]).
    fn format_step(&self, last_state: &SysState, action: Action) -> Option<String> {
        self.next_state(last_state, action)
            .map(|s| crate::explorer::state_summary(self, &s))
    }

    /// The path so far as a message-sequence chart.
    fn as_svg(&self, path: stateright::Path<SysState, Action>) -> Option<String> {
        let trace = crate::statespace::Trace {
            steps: path.into_vec(),
            cycle_start: None,
        };
        Some(crate::chart::chart(self, &trace).to_svg())
    }
}
