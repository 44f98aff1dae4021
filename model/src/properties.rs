//! The properties the checker proves (or refutes), each named, documented, and stated with the
//! assumptions that limit what its proof covers.
//!
//! *Always* properties are safety: checked in every reachable state. *Eventually* properties
//! are liveness, checked by [`crate::statespace`]: every run that ends must end in a state
//! satisfying the condition, and no fair infinite run may avoid it forever (a loop without
//! progress, such as an ACK war, is a counterexample). *Sometimes* properties must be
//! reachable in some scenario, so that nothing above holds vacuously.

use crate::config::Scenario;
use crate::statespace::{Kind, Property};
use crate::system::{Fact, Phase, SysState, System};
use stateright::Expectation;
use tcp_vectors::TcpState;

/// A property with its documentation.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Name used in reports.
    pub name: &'static str,
    /// How it is checked.
    pub kind: Kind,
    /// One sentence saying what it means.
    pub doc: &'static str,
    /// What limits the proof (empty for reachability).
    pub assumes: &'static str,
    /// The scenarios it is checked in.
    pub scenarios: &'static [Scenario],
    /// The condition (for `Eventually`, the condition runs must reach).
    pub holds: fn(&System, &SysState) -> bool,
}

use Scenario::*;

const EVERY: &[Scenario] = &Scenario::ALL;
const CLOSING: &[Scenario] = &[ClientServer, PeerToPeer, Abort, FastReuse, BlindAttack];

/// A reachability property, checked in every scenario and judged over all of them together.
macro_rules! reach {
    ($name:literal, $doc:literal, |$s:ident| $cond:expr $(,)?) => {
        Spec {
            name: $name,
            kind: Kind::Sometimes,
            doc: $doc,
            assumes: "",
            scenarios: EVERY,
            holds: |_, $s| $cond,
        }
    };
}

/// Every property, in report order.
pub const ALL: &[Spec] = &[
    Spec {
        name: "no_dirty_connection",
        kind: Kind::Always,
        doc: "no endpoint is ESTABLISHED (or later) on an (ISS, IRS) pair its peer never \
              synchronized on and is not still opening with (RFC 9293 section 3.5)",
        assumes: "segments are not corrupted (the checksum is perfect) and nobody but the \
                  peer and the blind attacker sends",
        scenarios: EVERY,
        holds: no_dirty_connection,
    },
    Spec {
        name: "no_stale_segment_accepted",
        kind: Kind::Always,
        doc: "no segment sent by an earlier incarnation of the peer is accepted into a later \
              connection (RFC 9293 sections 3.4.1 and 3.6.1)",
        assumes: "no segment outlives MSL; the ISN clock survives a crash; under the far-ahead \
                  clock successive ISNs are 100 apart in a space of 256",
        scenarios: EVERY,
        holds: |_, s| !s.history.stale_accepted,
    },
    Spec {
        name: "no_unexplained_reset",
        kind: Kind::Always,
        doc: "no connection is reset unless the peer's connection it was synchronized with \
              ended abnormally (ABORT, crash, an explained reset or time-out, a blind attack \
              within RFC 5961's odds)",
        assumes: "the blind attacker's resets are judged by no_blind_reset instead",
        scenarios: EVERY,
        holds: |_, s| !s.history.unexplained_reset,
    },
    Spec {
        name: "no_needless_timeout",
        kind: Kind::Always,
        doc: "no endpoint gives up (retransmission or keepalive) on a peer whose connection is \
              alive, unless the network lost more segments than its retries cover",
        assumes: "R2 is losses + duplicates + 1 retries and the keepalive count is losses + 1: \
                  more than the loss budget can defeat",
        scenarios: EVERY,
        holds: |_, s| !s.history.needless_timeout,
    },
    Spec {
        name: "no_blind_reset",
        kind: Kind::Always,
        doc: "an off-path attacker never ends a synchronized connection except with a RST at \
              exactly RCV.NXT (RFC 5961 sections 3 and 4)",
        assumes: "the attacker injects into synchronized connections only (RFC 5961's scope; \
                  a SYN into a passive SYN-RECEIVED returns it to LISTEN by RFC 9293), with a \
                  budget of --attacks segments",
        scenarios: &[BlindAttack],
        holds: |_, s| !s.history.blind_reset,
    },
    Spec {
        name: "no_blind_data",
        kind: Kind::Always,
        doc: "an off-path attacker's data is accepted only inside the window with an \
              acknowledgment in [SND.UNA - MAX.SND.WND, SND.NXT] (RFC 5961 section 5)",
        assumes: "as no_blind_reset; MAX.SND.WND is the fixed window",
        scenarios: &[BlindAttack],
        holds: |_, s| !s.history.blind_data,
    },
    Spec {
        name: "orderly_close",
        kind: Kind::Eventually,
        doc: "every run ends with both applications done and both endpoints CLOSED, every \
              connection having delivered all the data and end-of-stream to each application, \
              except connections ended, or left half-open, by an explained ABORT, crash, reset, \
              time-out or blind attack",
        assumes: "fairness: a segment that stays in flight is eventually delivered or lost, and \
                  time passes when it may; applications act as soon as they can",
        scenarios: CLOSING,
        holds: orderly_close,
    },
    Spec {
        name: "dead_peer_detected",
        kind: Kind::Eventually,
        doc: "an idle endpoint whose peer crashed does not stay ESTABLISHED (RFC 1122 section \
              4.2.3.6)",
        assumes: "keepalive is on at the idle end (idle 2 ticks, interval 1, losses + 1 probes)",
        scenarios: &[IdleCrash],
        holds: dead_peer_detected,
    },
    Spec {
        name: "reconnects_after_reboot",
        kind: Kind::Eventually,
        doc: "a host that crashed and rebooted ends up ESTABLISHED on a new connection with its \
              peer, whose half-open connection is discovered and reset (RFC 9293 Figure 10, \
              RFC 5961 section 4)",
        assumes: "the rebooted host reuses the same ports; the ISN clock survives the crash",
        scenarios: &[IdleCrash],
        holds: reconnects_after_reboot,
    },
    Spec {
        name: "idle_connection_survives",
        kind: Kind::Eventually,
        doc: "an idle connection whose ends are alive and whose applications want it open is \
              not broken by a middlebox forgetting it: data sent after the idle time arrives, and \
              both ends stay ESTABLISHED (RFC 1122 section 4.2.3.6; the seed's second job of \
              keepalive)",
        assumes: "the middlebox forgets a flow after 4 idle ticks (losses + 2 under more than 2 \
                  losses) and keepalive probes sooner, with room for every loss (idle = timeout \
                  - 1 - losses, interval 1): keepalive must be more frequent than the middlebox \
                  forgets",
        scenarios: &[Middlebox],
        holds: idle_connection_survives,
    },
    reach!("reach_closed", "CLOSED is reachable", |s| in_state(
        s,
        TcpState::Closed
    )),
    reach!("reach_listen", "LISTEN is reachable", |s| in_state(
        s,
        TcpState::Listen
    )),
    reach!("reach_syn_sent", "SYN-SENT is reachable", |s| in_state(
        s,
        TcpState::SynSent
    )),
    reach!("reach_syn_received", "SYN-RECEIVED is reachable", |s| {
        in_state(s, TcpState::SynReceived)
    }),
    reach!("reach_established", "ESTABLISHED is reachable", |s| {
        in_state(s, TcpState::Established)
    }),
    reach!("reach_fin_wait_1", "FIN-WAIT-1 is reachable", |s| in_state(
        s,
        TcpState::FinWait1
    )),
    reach!("reach_fin_wait_2", "FIN-WAIT-2 is reachable", |s| in_state(
        s,
        TcpState::FinWait2
    )),
    reach!("reach_close_wait", "CLOSE-WAIT is reachable", |s| in_state(
        s,
        TcpState::CloseWait
    )),
    reach!("reach_closing", "CLOSING is reachable", |s| in_state(
        s,
        TcpState::Closing
    )),
    reach!("reach_last_ack", "LAST-ACK is reachable", |s| in_state(
        s,
        TcpState::LastAck
    )),
    reach!("reach_time_wait", "TIME-WAIT is reachable", |s| in_state(
        s,
        TcpState::TimeWait
    )),
    reach!(
        "simultaneous_open",
        "both ends send SYN before receiving one (SYN-SENT to SYN-RECEIVED)",
        |s| s.history.has(Fact::SimultaneousOpen),
    ),
    reach!(
        "simultaneous_close",
        "both ends close before receiving the other's FIN (both in CLOSING)",
        |s| s.hosts.iter().all(|h| h.ep.state == TcpState::Closing),
    ),
    reach!(
        "time_wait_absorbs_retransmitted_fin",
        "TIME-WAIT acknowledges a retransmitted FIN (the peer's last ACK was lost)",
        |s| s.history.has(Fact::TimeWaitAbsorbedFin),
    ),
    reach!(
        "half_close_transfer",
        "data arrives at an endpoint that has already sent its FIN (half-close)",
        |s| s.history.has(Fact::HalfCloseData),
    ),
    reach!(
        "lost_handshake_ack",
        "the ACK that completes the three-way handshake is lost",
        |s| s.history.has(Fact::LostHandshakeAck),
    ),
    reach!("lost_fin_ack", "the acknowledgment of a FIN is lost", |s| {
        s.history.has(Fact::LostFinAck)
    }),
    reach!(
        "old_data_at_later_incarnation",
        "an old duplicate data segment of one connection arrives at a later one",
        |s| s.history.has(Fact::OldDataAtLaterIncarnation),
    ),
    reach!(
        "rst_in_time_wait",
        "a RST arrives at an endpoint in TIME-WAIT",
        |s| { s.history.has(Fact::RstInTimeWait) }
    ),
    reach!(
        "retransmission_fired",
        "a retransmission timer fires and resends",
        |s| s.history.has(Fact::Retransmission),
    ),
    reach!(
        "keepalive_answered",
        "a keepalive probe is answered by a live peer and the answer arrives",
        |s| s.history.has(Fact::KeepaliveAnswered),
    ),
    reach!(
        "challenge_ack_sent",
        "an RFC 5961 challenge ACK is sent",
        |s| { s.history.has(Fact::ChallengeAck) }
    ),
    reach!(
        "half_open_discovered",
        "a half-open connection is reset after its peer rebooted",
        |s| s.history.has(Fact::HalfOpenDiscovered),
    ),
    reach!(
        "abort_resets_peer",
        "the RST of an ABORT resets the peer's connection",
        |s| s.history.has(Fact::AbortResetPeer),
    ),
    reach!(
        "woken_data_delivered",
        "an idle application wakes and its data arrives through the middlebox",
        |s| {
            let (a, b) = (&s.hosts[0], &s.hosts[1]);
            // Woke, and everything A sent (twice at least one octet) is acknowledged.
            a.woke && a.ep.in_flight() == 0 && b.received >= 2
        },
    ),
    reach!(
        "blind_attack_challenged",
        "an off-path attacker's segment draws a challenge ACK",
        |s| s.history.has(Fact::AttackChallenged),
    ),
];

/// The properties checked in `scenario`, in report order.
pub fn for_scenario(scenario: Scenario) -> Vec<&'static Spec> {
    ALL.iter()
        .filter(|p| p.scenarios.contains(&scenario))
        .collect()
}

/// Look a property up by name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    ALL.iter().find(|p| p.name == name)
}

/// The properties of `scenario` for [`crate::statespace::explore`].
pub fn searchable(scenario: Scenario) -> Vec<Property<System>> {
    for_scenario(scenario)
        .into_iter()
        .map(|p| Property {
            name: p.name,
            kind: p.kind,
            holds: p.holds,
        })
        .collect()
}

/// The properties of `scenario` for stateright's Explorer (display only: `check` decides
/// properties with [`crate::statespace`], whose `eventually` sees loops).
pub fn for_stateright(scenario: Scenario) -> Vec<stateright::Property<System>> {
    for_scenario(scenario)
        .into_iter()
        .map(|p| stateright::Property {
            expectation: match p.kind {
                Kind::Always => Expectation::Always,
                Kind::Eventually => Expectation::Eventually,
                Kind::Sometimes => Expectation::Sometimes,
            },
            name: p.name,
            condition: p.holds,
        })
        .collect()
}

fn in_state(s: &SysState, state: TcpState) -> bool {
    s.hosts.iter().any(|h| h.ep.state == state)
}

fn no_dirty_connection(_: &System, s: &SysState) -> bool {
    (0..2).all(|h| {
        let me = &s.hosts[h].ep;
        let peer = &s.hosts[1 - h];
        !me.is_synchronized()
            || peer.synced.contains(&(me.irs, me.iss))
            || (peer.ep.state == TcpState::SynSent && peer.ep.iss == me.irs)
    })
}

fn orderly_close(m: &System, s: &SysState) -> bool {
    (0..2).all(|h| {
        let me = &s.hosts[h];
        // Done and CLOSED; or left where an explained abnormal end put it: a server still
        // listening for a client that gave up, an idle endpoint half-open after its peer
        // crashed or was reset by a blind attack (finding that out is keepalive's job,
        // dead_peer_detected), or after the RST of its peer's ABORT was lost.
        !me.incomplete
            && ((me.phase == Phase::Done && me.ep.state == TcpState::Closed) || m.may_hang(s, h))
    })
}

fn dead_peer_detected(_: &System, s: &SysState) -> bool {
    (0..2).all(|h| {
        let me = &s.hosts[h];
        let peer = &s.hosts[1 - h];
        !(me.ep.state == TcpState::Established
            && me.peer_incarnation.is_some()
            && peer.crashed_in.is_some()
            && me.peer_incarnation <= peer.crashed_in)
    })
}

fn idle_connection_survives(m: &System, s: &SysState) -> bool {
    let (a, b) = (&s.hosts[0], &s.hosts[1]);
    let sent = m.config.apps[0].sends;
    !a.woke
        || (a.ep.state == TcpState::Established
            && b.ep.state == TcpState::Established
            && b.received == 2 * sent
            && a.ep.in_flight() == 0)
}

fn reconnects_after_reboot(_: &System, s: &SysState) -> bool {
    let (a, b) = (&s.hosts[0], &s.hosts[1]);
    a.restarts == 0
        || (a.ep.state == TcpState::Established
            && b.ep.state == TcpState::Established
            && b.ep.irs == a.ep.iss
            && b.ep.iss == a.ep.irs)
}
