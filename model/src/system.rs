//! Two hosts joined by a network, as a stateright [`Model`].
//!
//! Each host has an endpoint ([`crate::endpoint`]), an application script ([`App`]), an ISN
//! clock that survives crashes, and ghost (history) state that only the properties read. The
//! network is a multiset of segments in flight with their age; it reorders freely, loses and
//! duplicates within budgets, and a segment that is not delivered within MSL ticks is dropped
//! (which costs a loss unless it was a duplicate). Time advances by the `Tick` action.

use crate::config::{Config, Scenario, ISN_SPACING};
use crate::endpoint::{step, Endpoint, Event, Output, Transition, UserCall};
use crate::segment::{Segment, Seq};
use serde::Serialize;
use stateright::Model;
use tcp_vectors::{AppEvent, TcpState, TimerKind};

/// Index of a host: 0 is A, 1 is B.
pub type HostId = usize;

/// A segment in the network, with the ghost identity of the endpoint that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
    /// Sent by the step just taken: only now may the network lose or duplicate it. (Losing or
    /// duplicating a segment later would commute with everything in between, since the copy
    /// keeps the original's age; deciding at once explores the same behaviours in fewer
    /// states.)
    pub fresh: bool,
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
    /// Sent its data: about to CLOSE (or idle, in the idle-crash scenario).
    Sent,
    /// Closed its side: waiting for the connection to end.
    Closed,
    /// All incarnations done.
    Done,
}

/// One host: endpoint, application, ISN clock, and ghost history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Host {
    /// The TCP endpoint.
    pub ep: Endpoint,
    /// The application's position in its script.
    pub phase: Phase,
    /// Connections begun so far (the current incarnation number).
    pub incarnation: u8,
    /// ISN clock (RFC 9293 section 3.4.1): ISNs selected so far; it survives crashes.
    pub clock: u8,
    /// Octets delivered to the application, over all incarnations.
    pub received: u8,
    /// End-of-stream notifications delivered to the application.
    pub eofs: u8,
    /// The current connection's end-of-stream has arrived.
    pub eof_now: bool,
    /// Ghost: (ISS, IRS) pairs this host's endpoints ever synchronized on (entered SYN-RECEIVED
    /// or ESTABLISHED with).
    pub synced: Vec<(Seq, Seq)>,
    /// Ghost: the peer's incarnation whose SYN the current connection synchronized with.
    pub peer_incarnation: Option<u8>,
    /// Ghost: the incarnation this host crashed in, if it crashed.
    pub crashed_in: Option<u8>,
}

/// Ghost facts about the whole run, read by the properties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct History {
    /// Someone aborted, crashed, or gave up on a timer: resets are explained.
    pub excuse: bool,
    /// A connection was reset although nobody aborted, crashed or timed out.
    pub unexplained_reset: bool,
    /// A segment of an earlier incarnation was accepted into a later one.
    pub stale_accepted: bool,
    /// An endpoint went from SYN-SENT to SYN-RECEIVED (simultaneous open).
    pub simultaneous_open: bool,
    /// TIME-WAIT acknowledged a retransmitted FIN.
    pub time_wait_absorbed_fin: bool,
    /// Data arrived at an endpoint that had already closed its side (half-close).
    pub half_close_data: bool,
}

/// The state of the whole system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SysState {
    /// Host A and host B.
    pub hosts: [Host; 2],
    /// Segments in flight (sorted: a multiset).
    pub net: Vec<Flight>,
    /// Losses the network may still inflict.
    pub losses_left: u8,
    /// Duplicates the network may still make.
    pub dups_left: u8,
    /// Crashes that may still happen.
    pub crashes_left: u8,
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
    /// A host crashes (forgets its TCB) and restarts its application.
    Crash(u8),
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

    /// The ISN host `h`'s clock gives now. ISNs of successive incarnations are
    /// [`ISN_SPACING`] apart; with the constant-ISN switch every incarnation gets the first.
    pub fn isn(&self, h: HostId, host: &Host) -> Seq {
        let ticks = if self.config.mechanisms().isn_clock {
            host.clock as Seq
        } else {
            0
        };
        ISN_SPACING * (ticks + 1) + 50 * h as Seq
    }

    fn is_server(&self, h: HostId) -> bool {
        h == 1 && self.config.scenario != Scenario::PeerToPeer
    }

    /// Whether host `h`'s application closes now: clients and peers close right after
    /// sending; a server closes once it has read the client's end-of-stream (the seed's
    /// four-way close: B acknowledges A's FIN, finishes, then sends its own). Nobody closes in
    /// the idle-crash scenario.
    fn closes_now(&self, h: HostId, host: &Host) -> bool {
        match self.config.scenario {
            Scenario::IdleCrash => false,
            _ if self.is_server(h) => host.eof_now,
            _ => true,
        }
    }

    /// Whether host `h`'s application sends data (the idle-crash server only listens).
    fn sends(&self, h: HostId) -> bool {
        !(self.config.scenario == Scenario::IdleCrash && self.is_server(h))
    }

    /// True when no action is enabled: the run is over.
    pub fn is_terminal(&self, s: &SysState) -> bool {
        let mut actions = Vec::new();
        self.actions(s, &mut actions);
        actions.is_empty()
    }

    /// Apply an event to host `h` and everything it causes (network, application, ghosts).
    fn apply(&self, s: &mut SysState, h: HostId, ev: Event, cause: Option<&Flight>) {
        let host = &s.hosts[h];
        let before = host.ep.state;
        let params = &self.config.params[h];
        let t: Transition = step(&host.ep, &ev, params, self.isn(h, host));
        self.record_ghosts(s, h, before, &t, cause);
        let host = &mut s.hosts[h];
        if t.isn_used && self.config.mechanisms().isn_clock {
            host.clock += 1;
        }
        host.ep = t.next;
        for out in &t.outputs {
            match *out {
                Output::Send(seg) => {
                    let incarnation = s.hosts[h].incarnation;
                    s.net.push(Flight {
                        from: h as u8,
                        seg,
                        age: 0,
                        incarnation,
                        duplicate: false,
                        fresh: true,
                    });
                }
                Output::App(ev) => self.tell_app(s, h, ev),
                Output::Error(_) => {}
            }
        }
        s.net.sort();
        self.after_event(s, h);
    }

    fn record_ghosts(
        &self,
        s: &mut SysState,
        h: HostId,
        before: TcpState,
        t: &Transition,
        cause: Option<&Flight>,
    ) {
        let after = t.next.state;
        let history = &mut s.history;
        if t.timed_out {
            history.excuse = true;
        }
        if t.reset && !history.excuse {
            history.unexplained_reset = true;
        }
        if before == TcpState::SynSent && after == TcpState::SynReceived {
            history.simultaneous_open = true;
        }
        if let Some(f) = cause {
            if before == TcpState::TimeWait && t.accepted && f.seg.flags.fin {
                history.time_wait_absorbed_fin = true;
            }
            if f.seg.len > 0
                && matches!(before, TcpState::FinWait1 | TcpState::FinWait2)
                && t.outputs
                    .contains(&Output::App(AppEvent::Data(f.seg.len as u32)))
            {
                history.half_close_data = true;
            }
            let host = &mut s.hosts[h];
            if t.accepted && matches!(before, TcpState::Listen | TcpState::SynSent) {
                if f.seg.flags.syn {
                    host.peer_incarnation = Some(f.incarnation);
                }
            } else if t.accepted && host.peer_incarnation.is_some_and(|p| f.incarnation < p) {
                s.history.stale_accepted = true;
            }
        }
        let host = &mut s.hosts[h];
        if matches!(after, TcpState::SynReceived | TcpState::Established) && before != after {
            let pair = (t.next.iss, t.next.irs);
            if !host.synced.contains(&pair) {
                host.synced.push(pair);
            }
        }
        if matches!(after, TcpState::Closed | TcpState::Listen) {
            host.peer_incarnation = None;
        }
    }

    fn tell_app(&self, s: &mut SysState, h: HostId, ev: AppEvent) {
        let host = &mut s.hosts[h];
        match ev {
            AppEvent::Connected => {
                if host.phase == Phase::Waiting {
                    host.phase = Phase::Connected;
                }
            }
            AppEvent::Data(n) => host.received = host.received.saturating_add(n as u8),
            AppEvent::EndOfStream => {
                host.eofs += 1;
                host.eof_now = true;
            }
            AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut => {}
        }
    }

    /// The application notices that its connection is over and moves to the next incarnation;
    /// a server listens again at once.
    fn after_event(&self, s: &mut SysState, h: HostId) {
        let host = &s.hosts[h];
        let over = host.ep.state == TcpState::Closed
            && matches!(
                host.phase,
                Phase::Waiting | Phase::Connected | Phase::Sent | Phase::Closed
            );
        if !over {
            return;
        }
        let more = host.incarnation < self.config.budgets.incarnations;
        if !more {
            s.hosts[h].phase = Phase::Done;
        } else if self.is_server(h) {
            self.listen(s, h);
        } else {
            s.hosts[h].phase = Phase::Ready;
        }
    }

    fn listen(&self, s: &mut SysState, h: HostId) {
        let host = &mut s.hosts[h];
        host.incarnation += 1;
        host.eof_now = false;
        host.phase = Phase::Waiting;
        host.ep = step(
            &host.ep,
            &Event::Call(UserCall::Open { passive: true }),
            &self.config.params[h],
            0,
        )
        .next;
    }

    /// The user call host `h`'s application makes next, if any.
    fn next_call(&self, h: HostId, host: &Host) -> Option<UserCall> {
        match host.phase {
            Phase::Ready if host.ep.state == TcpState::Closed => {
                Some(UserCall::Open { passive: false })
            }
            Phase::Connected if self.sends(h) => Some(UserCall::Send(self.config.budgets.bytes)),
            Phase::Sent if self.closes_now(h, host) => Some(UserCall::Close),
            _ => None,
        }
    }

    fn call(&self, s: &mut SysState, h: HostId, call: UserCall) {
        let host = &mut s.hosts[h];
        match call {
            UserCall::Open { .. } => {
                host.incarnation += 1;
                host.eof_now = false;
                host.phase = Phase::Waiting;
            }
            UserCall::Send(_) => host.phase = Phase::Sent,
            UserCall::Close => host.phase = Phase::Closed,
            UserCall::Abort => {
                s.history.excuse = true;
                host.phase = Phase::Closed;
            }
        }
        self.apply(s, h, Event::Call(call), None);
    }

    /// One tick. Only duplicates can be in flight (see [`System::tick_enabled`]): they age, and
    /// those older than MSL die. Then every running timer runs down, and expires at zero.
    fn tick(&self, s: &mut SysState) {
        let msl = self.config.params[0].msl;
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

    /// Host `h` crashes: it forgets its connection and its application stops (a dead peer).
    /// The machine itself stays up, so its TCP answers later segments from CLOSED.
    fn crash(&self, s: &mut SysState, h: HostId) {
        s.crashes_left -= 1;
        s.history.excuse = true;
        let host = &mut s.hosts[h];
        host.crashed_in = Some(host.incarnation);
        host.ep = Endpoint::closed();
        host.peer_incarnation = None;
        host.phase = Phase::Done;
    }
}

impl Model for System {
    type State = SysState;
    type Action = Action;

    fn init_states(&self) -> Vec<SysState> {
        let host = Host {
            ep: Endpoint::closed(),
            phase: Phase::Ready,
            incarnation: 0,
            clock: 0,
            received: 0,
            eofs: 0,
            eof_now: false,
            synced: Vec::new(),
            peer_incarnation: None,
            crashed_in: None,
        };
        let b = &self.config.budgets;
        let mut s = SysState {
            hosts: [host.clone(), host],
            net: Vec::new(),
            losses_left: b.losses,
            dups_left: b.duplicates,
            crashes_left: b.crash as u8,
            history: History::default(),
        };
        if self.is_server(1) {
            self.listen(&mut s, 1);
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
        if s.crashes_left > 0
            && self.config.scenario == Scenario::IdleCrash
            && s.hosts[0].ep.state != TcpState::Closed
        {
            actions.push(Action::Crash(0));
        }
        if self.tick_enabled(s) {
            actions.push(Action::Tick);
        }
    }

    fn next_state(&self, last: &SysState, action: Action) -> Option<SysState> {
        let mut s = last.clone();
        if !matches!(action, Action::Lose(_) | Action::Duplicate(_)) {
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
                self.apply(&mut s, to, Event::Arrive(f.seg), Some(&f));
            }
            Action::Lose(f) => {
                let i = s.net.iter().position(|g| *g == f)?;
                s.net.remove(i);
                s.losses_left -= 1;
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
            Action::Crash(h) => self.crash(&mut s, h as usize),
        }
        Some(s)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        crate::properties::for_scenario(self.config.scenario)
    }
}
