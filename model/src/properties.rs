//! The properties the checker proves (or refutes), each named and documented.
//!
//! *Always* properties are safety: checked in every reachable state. *Eventually* properties
//! are liveness: checked in every terminal state (a state in which nothing can happen any
//! more). Every run of the system is finite except for cycles that keep time from mattering
//! (the network and the timers are bounded), so "every terminal state satisfies P" is the same
//! as "every maximal run ends in P" for the stable conditions used here. This formulation is
//! used instead of stateright's `eventually`, whose documentation warns of false negatives
//! where paths join. *Sometimes* properties must be reachable, so that nothing above holds
//! vacuously.

use crate::config::Scenario;
use crate::system::{SysState, System};
use stateright::{Expectation, Property};
use tcp_vectors::TcpState;

/// How a property is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Safety: in every reachable state.
    Always,
    /// Liveness: in every terminal state.
    Eventually,
    /// Reachability: in some reachable state.
    Sometimes,
}

impl Kind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Eventually => "eventually",
            Kind::Sometimes => "sometimes",
        }
    }
}

/// A property with its documentation.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Name used in reports.
    pub name: &'static str,
    /// How it is checked.
    pub kind: Kind,
    /// One sentence saying what it means.
    pub doc: &'static str,
    /// The condition (for `Eventually`, the condition a terminal state must meet).
    pub holds: fn(&System, &SysState) -> bool,
}

/// Every property, in report order.
pub const ALL: &[Spec] = &[
    Spec {
        name: "no_dirty_connection",
        kind: Kind::Always,
        doc: "no endpoint is ESTABLISHED (or later) on an (ISS, IRS) pair its peer never \
              synchronized on and is not still opening with (RFC 9293 section 3.5)",
        holds: no_dirty_connection,
    },
    Spec {
        name: "no_stale_segment_accepted",
        kind: Kind::Always,
        doc: "no segment sent by an earlier incarnation of the peer is accepted into a later \
              connection (RFC 9293 sections 3.4.1 and 3.6.1)",
        holds: |_, s| !s.history.stale_accepted,
    },
    Spec {
        name: "no_unexplained_reset",
        kind: Kind::Always,
        doc: "no connection is reset unless someone aborted, crashed or timed out",
        holds: |_, s| !s.history.unexplained_reset,
    },
    Spec {
        name: "orderly_close",
        kind: Kind::Eventually,
        doc: "with no abort or crash, both applications get all the data and end-of-stream of \
              every connection, and both endpoints end CLOSED",
        holds: orderly_close,
    },
    Spec {
        name: "dead_peer_detected",
        kind: Kind::Eventually,
        doc: "an idle endpoint whose peer crashed does not stay ESTABLISHED (RFC 1122 section \
              4.2.3.6)",
        holds: dead_peer_detected,
    },
    Spec {
        name: "reach_closed",
        kind: Kind::Sometimes,
        doc: "CLOSED is reachable",
        holds: |_, s| in_state(s, TcpState::Closed),
    },
    Spec {
        name: "reach_listen",
        kind: Kind::Sometimes,
        doc: "LISTEN is reachable",
        holds: |_, s| in_state(s, TcpState::Listen),
    },
    Spec {
        name: "reach_syn_sent",
        kind: Kind::Sometimes,
        doc: "SYN-SENT is reachable",
        holds: |_, s| in_state(s, TcpState::SynSent),
    },
    Spec {
        name: "reach_syn_received",
        kind: Kind::Sometimes,
        doc: "SYN-RECEIVED is reachable",
        holds: |_, s| in_state(s, TcpState::SynReceived),
    },
    Spec {
        name: "reach_established",
        kind: Kind::Sometimes,
        doc: "ESTABLISHED is reachable",
        holds: |_, s| in_state(s, TcpState::Established),
    },
    Spec {
        name: "reach_fin_wait_1",
        kind: Kind::Sometimes,
        doc: "FIN-WAIT-1 is reachable",
        holds: |_, s| in_state(s, TcpState::FinWait1),
    },
    Spec {
        name: "reach_fin_wait_2",
        kind: Kind::Sometimes,
        doc: "FIN-WAIT-2 is reachable",
        holds: |_, s| in_state(s, TcpState::FinWait2),
    },
    Spec {
        name: "reach_close_wait",
        kind: Kind::Sometimes,
        doc: "CLOSE-WAIT is reachable",
        holds: |_, s| in_state(s, TcpState::CloseWait),
    },
    Spec {
        name: "reach_closing",
        kind: Kind::Sometimes,
        doc: "CLOSING is reachable",
        holds: |_, s| in_state(s, TcpState::Closing),
    },
    Spec {
        name: "reach_last_ack",
        kind: Kind::Sometimes,
        doc: "LAST-ACK is reachable",
        holds: |_, s| in_state(s, TcpState::LastAck),
    },
    Spec {
        name: "reach_time_wait",
        kind: Kind::Sometimes,
        doc: "TIME-WAIT is reachable",
        holds: |_, s| in_state(s, TcpState::TimeWait),
    },
    Spec {
        name: "simultaneous_open",
        kind: Kind::Sometimes,
        doc: "both ends send SYN before receiving one (SYN-SENT to SYN-RECEIVED)",
        holds: |_, s| s.history.simultaneous_open,
    },
    Spec {
        name: "simultaneous_close",
        kind: Kind::Sometimes,
        doc: "both ends close before receiving the other's FIN (both pass through CLOSING)",
        holds: |_, s| s.hosts.iter().all(|h| h.ep.state == TcpState::Closing),
    },
    Spec {
        name: "time_wait_absorbs_retransmitted_fin",
        kind: Kind::Sometimes,
        doc: "TIME-WAIT acknowledges a retransmitted FIN (the peer's last ACK was lost)",
        holds: |_, s| s.history.time_wait_absorbed_fin,
    },
    Spec {
        name: "half_close_transfer",
        kind: Kind::Sometimes,
        doc: "data arrives at an endpoint that has already sent its FIN (half-close)",
        holds: |_, s| s.history.half_close_data,
    },
];

/// The properties checked in `scenario`.
pub fn names_for(scenario: Scenario) -> Vec<&'static str> {
    let mut names = vec![
        "no_dirty_connection",
        "no_stale_segment_accepted",
        "no_unexplained_reset",
    ];
    match scenario {
        Scenario::ClientServer | Scenario::PeerToPeer => names.push("orderly_close"),
        Scenario::IdleCrash => names.push("dead_peer_detected"),
    }
    if scenario != Scenario::IdleCrash {
        // Reachability is judged over the client-server and peer-to-peer runs together.
        names.extend(
            ALL.iter()
                .filter(|p| p.kind == Kind::Sometimes)
                .map(|p| p.name),
        );
    }
    names
}

/// Look a property up by name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    ALL.iter().find(|p| p.name == name)
}

/// The stateright properties for `scenario`, in [`names_for`] order.
pub fn for_scenario(scenario: Scenario) -> Vec<Property<System>> {
    names_for(scenario)
        .into_iter()
        .filter_map(spec)
        .map(to_stateright)
        .collect()
}

fn to_stateright(p: &'static Spec) -> Property<System> {
    // stateright wants a plain fn pointer; look the spec up again by name inside it.
    macro_rules! by_name {
        ($($name:literal),*) => {
            match p.name {
                $($name => |m: &System, s: &SysState| evaluate($name, m, s),)*
                _ => unreachable!("property list and dispatch table disagree"),
            }
        };
    }
    let condition: fn(&System, &SysState) -> bool = by_name!(
        "no_dirty_connection",
        "no_stale_segment_accepted",
        "no_unexplained_reset",
        "orderly_close",
        "dead_peer_detected",
        "reach_closed",
        "reach_listen",
        "reach_syn_sent",
        "reach_syn_received",
        "reach_established",
        "reach_fin_wait_1",
        "reach_fin_wait_2",
        "reach_close_wait",
        "reach_closing",
        "reach_last_ack",
        "reach_time_wait",
        "simultaneous_open",
        "simultaneous_close",
        "time_wait_absorbs_retransmitted_fin",
        "half_close_transfer"
    );
    Property {
        expectation: match p.kind {
            Kind::Always | Kind::Eventually => Expectation::Always,
            Kind::Sometimes => Expectation::Sometimes,
        },
        name: p.name,
        condition,
    }
}

/// Evaluate property `name` on a state as the checker does (terminal states for
/// `Eventually`).
pub fn evaluate(name: &str, m: &System, s: &SysState) -> bool {
    let Some(p) = spec(name) else { return false };
    match p.kind {
        Kind::Eventually => !m.is_terminal(s) || (p.holds)(m, s),
        _ => (p.holds)(m, s),
    }
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
    let b = &m.config.budgets;
    let want = b.bytes.saturating_mul(b.incarnations);
    s.history.excuse
        || s.hosts.iter().all(|h| {
            h.ep.state == TcpState::Closed && h.received == want && h.eofs == b.incarnations
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
