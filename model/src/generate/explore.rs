//! One endpoint (the *target*) explored breadth-first from a socket not yet opened, to find the
//! shortest ordinary path to each state a vector starts from.

use super::alphabet::{apply_form, stimuli, Applied, Kind, SeqClass, Stimulus};
use super::numbers::ISS;
use crate::endpoint::{step, Endpoint, Event, Output, Params, Transition, UserCall};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use tcp_vectors::{AppEvent, Role, TcpState};

/// Exploration depth (events) when searching for the shortest path to each state.
const MAX_DEPTH: usize = 9;

/// The target as explored: its endpoint and how it was opened.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The endpoint.
    pub ep: Endpoint,
    /// Active or passive, once opened.
    pub role: Option<Role>,
    /// Whether the application has accepted the (passive) connection.
    pub accepted: bool,
}

impl Target {
    /// A socket not yet opened.
    pub fn new() -> Target {
        Target {
            ep: Endpoint::closed(),
            role: None,
            accepted: false,
        }
    }
}

impl Default for Target {
    fn default() -> Self {
        Target::new()
    }
}

/// Why a user call cannot be scripted on the target through a socket API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoCall {
    /// One socket per vector: it is already opened.
    AlreadyOpened,
    /// No socket exists to call on.
    NoSocket,
    /// Before `accept()` the application has no socket for the connection.
    BeforeAccept,
    /// `send()` before the connection is established fails on a socket.
    SendBeforeEstablished,
}

impl fmt::Display for NoCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoCall::AlreadyOpened => "one socket per vector: already opened",
            NoCall::NoSocket => "no socket to call on",
            NoCall::BeforeAccept => {
                "before accept() the application has no socket for the connection"
            }
            NoCall::SendBeforeEstablished => {
                "send() before the connection is established fails on a socket"
            }
        })
    }
}

/// Why a user call cannot be made on the target through a socket API, if it cannot.
pub fn call_unavailable(t: &Target, call: UserCall) -> Option<NoCall> {
    match call {
        UserCall::Open { .. } if t.role.is_some() => Some(NoCall::AlreadyOpened),
        UserCall::Open { .. } => None,
        _ if t.role.is_none() => Some(NoCall::NoSocket),
        _ if t.role == Some(Role::Passive) && !t.accepted => Some(NoCall::BeforeAccept),
        UserCall::Send(_) if matches!(t.ep.state, TcpState::SynSent | TcpState::SynReceived) => {
            Some(NoCall::SendBeforeEstablished)
        }
        _ => None,
    }
}

/// Apply an event to the target; `None` if the event cannot be scripted (see
/// [`call_unavailable`]) or the call only returns an error.
pub fn advance(t: &Target, applied: &Applied, p: &Params) -> Option<(Target, Transition)> {
    if let Event::Call(call) = applied.event {
        if call_unavailable(t, call).is_some() {
            return None;
        }
    }
    let tr = step(&t.ep, &applied.event, p, ISS);
    if tr.outputs.iter().any(|o| matches!(o, Output::Error(_))) {
        return None;
    }
    let mut next = Target {
        ep: tr.next.clone(),
        role: t.role,
        accepted: t.accepted,
    };
    if let Event::Call(UserCall::Open { passive }) = applied.event {
        next.role = Some(if passive { Role::Passive } else { Role::Active });
    }
    if tr.outputs.contains(&Output::App(AppEvent::Connected)) {
        next.accepted = true;
    }
    Some((next, tr))
}

/// A representative target: its role, state, and whether it has data or control in flight
/// (ESTABLISHED and CLOSE-WAIT are represented both idle and with unacknowledged data, so that
/// the retransmission timer and the acknowledgment classes are exercised in both).
pub type RepKey = (Option<Role>, TcpState, bool);

/// The shortest ordinary path (as stimuli) to a representative of each [`RepKey`].
pub fn representatives(p: &Params) -> BTreeMap<RepKey, Vec<Stimulus>> {
    let start = Target::new();
    let mut seen: HashSet<Target> = HashSet::from([start.clone()]);
    let mut queue: VecDeque<(Target, Vec<Stimulus>)> = VecDeque::from([(start, Vec::new())]);
    let mut reps = BTreeMap::new();
    while let Some((t, path)) = queue.pop_front() {
        reps.entry((t.role, t.ep.state, t.ep.in_flight() > 0))
            .or_insert_with(|| path.clone());
        if path.len() >= MAX_DEPTH {
            continue;
        }
        let mut order: Vec<Stimulus> = stimuli(&t.ep)
            .into_iter()
            .filter(|s| ordinary_path_step(&t.ep, *s))
            .collect();
        order.sort_by_key(preference);
        for s in order {
            let applied = apply_form(&t.ep, s);
            let Some((next, _)) = advance(&t, &applied, p) else {
                continue;
            };
            if seen.insert(next.clone()) {
                let mut path = path.clone();
                path.push(s);
                queue.push_back((next, path));
            }
        }
    }
    reps
}

/// Whether a stimulus may lead *to* a state in a vector's preamble. The event under test may be
/// anything; the way there keeps to what applications and peers ordinarily do, so that a
/// difference in an exotic corner (CLOSE during a simultaneous open, text on a SYN) does not
/// colour every vector after it: CLOSE, ABORT and SEND only on an established connection, and
/// segments of the classic kinds only.
fn ordinary_path_step(ep: &Endpoint, s: Stimulus) -> bool {
    match s {
        Stimulus::Call(UserCall::Open { .. }) => true,
        Stimulus::Call(_) => matches!(ep.state, TcpState::Established | TcpState::CloseWait),
        Stimulus::Segment(kind, _, _) => ORDINARY.contains(&kind),
        Stimulus::Timer(_) => true,
    }
}

/// The segment kinds a preamble uses, in order of preference.
const ORDINARY: [Kind; 7] = [
    Kind::SYN_ACK,
    Kind::ACK,
    Kind::FIN_ACK,
    Kind::DATA,
    Kind::SYN,
    Kind::RST,
    Kind::RST_ACK,
];

/// Among paths of equal length, prefer the ordinary: SYN,ACK, ACK, FIN and data before SYN and
/// RST, exact numbers before old, in-window and beyond, and an acknowledgment of everything
/// (or of SND.UNA) before an old or impossible one.
fn preference(s: &Stimulus) -> (u8, u8, u8) {
    match s {
        Stimulus::Call(_) => (0, 0, 0),
        Stimulus::Segment(kind, seq, ack) => {
            let k = ORDINARY.iter().position(|x| x == kind).unwrap_or(9) as u8;
            let q = SeqClass::ALL.iter().position(|x| x == seq).unwrap_or(9) as u8;
            let q = if *seq == SeqClass::Exact { 0 } else { q + 1 };
            use super::alphabet::AckClass;
            let a = match ack {
                None | Some(AckClass::Exact) => 0,
                Some(AckClass::Una) => 1,
                Some(AckClass::Old) => 2,
                Some(AckClass::Beyond) => 3,
                Some(AckClass::TooOld) => 4,
            };
            (1 + k, q, a)
        }
        Stimulus::Timer(_) => (20, 0, 0),
    }
}
