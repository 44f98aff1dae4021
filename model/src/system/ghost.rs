//! Ghost (history) state the properties read, and how each transition updates it: which
//! connection an abnormal end excuses, what a reset or a time-out is explained by, what a
//! blind attack achieved, and the reachability facts.

use super::{bit, Cause, Flight, HostId, SysState, System, Tag};
use crate::endpoint::{Endpoint, Event, Output, Transition};
use crate::segment::{ctl, Segment, Seq};
use serde::Serialize;
use tcp_vectors::{AppEvent, TcpState, TimerKind};

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

    pub(super) fn note(&mut self, fact: Fact) {
        self.facts |= fact.bit();
    }
}

impl System {
    /// Whether the end of host `h`'s incarnation `k` is excused: it, or the peer's connection it
    /// was synchronized with, ended abnormally for a reason the run explains. A connection that
    /// never synchronized is excused by any explained abnormal end of the peer's.
    pub(super) fn excused(&self, s: &SysState, h: HostId) -> bool {
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

    pub(super) fn record_ghosts(
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
            // A set, kept sorted so that the order pairs were added in is not state.
            let raw = |(a, b): &(Seq, Seq)| (a.0, b.0);
            if let Err(i) = host.synced.binary_search_by_key(&raw(&pair), raw) {
                host.synced.insert(i, pair);
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
}

/// The ghost tag of a segment sent by a transition.
pub(super) fn tag_of(
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
