//! Conformance vectors generated from the endpoint model.
//!
//! One endpoint (the *target*) is explored against an adversarial peer and application: every
//! user call, every segment of RFC 9293's alphabet ([`alphabet`]: SYN, SYN,ACK, ACK, FIN,
//! FIN,ACK, SYN+FIN, RST, RST,ACK, each with and without text, at every sequence and
//! acknowledgment class) and every running timer. For each reachable cell (RFC 9293 state x
//! event class) the vector is the shortest ordinary script that reaches the state
//! ([`explore`]), applies the event, and checks what the model says must follow ([`mod@build`]):
//! the segments sent, what the application is told, the state, and a quiet window; where the
//! RFCs allow several behaviours, a `one_of` lists each. Scenario vectors ([`scenarios`])
//! project multi-step stories onto one endpoint. Numbers are symbolic ([`numbers`]).

pub mod alphabet;
pub mod build;
pub mod explore;
pub mod numbers;
pub mod requirements;
pub mod scenarios;
pub mod walk;

use crate::endpoint::{Endpoint, Params, UserCall};
use crate::fault::Fault;
use crate::mechanism::Mechanisms;
use crate::policy::Policy;
use alphabet::{apply_form, has_irs, has_iss, stimuli, Stimulus};
use build::{build, realize, target_after, BuildError, Spec};
use explore::{advance, call_unavailable, representatives, NoCall};
use std::collections::BTreeMap;
use std::fmt;
use tcp_vectors::{Role, SocketOptions, TcpState, Vector};

pub use alphabet::BEYOND_MARGIN;

/// The endpoint parameters vectors are generated with.
pub fn params() -> Params {
    Params {
        wnd: numbers::WND,
        max_retries: 2,
        rto: 1,
        msl: 2,
        keepalive: None,
        mech: Mechanisms::STANDARD,
        listener: false,
        policy: Policy::MODEL,
        fault: Fault::None,
        receive_buffer: None,
    }
}

/// Why a cell of the matrix has no vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unreachable {
    /// A socket API cannot make the call here.
    Call(NoCall),
    /// The call only returns an error (RFC 9293 section 3.10).
    CallFails,
    /// The timer does not run in this state.
    TimerNotRunning,
    /// No receive window yet: only the exact sequence class exists.
    NoWindowYet,
    /// No ISS yet: no acknowledgment number to be relative to.
    NoIssYet,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreachable::Call(c) => c.fmt(f),
            Unreachable::CallFails => {
                f.write_str("the call fails with an error (RFC 9293 section 3.10)")
            }
            Unreachable::TimerNotRunning => f.write_str("the timer does not run in this state"),
            Unreachable::NoWindowYet => {
                f.write_str("no receive window yet: only the exact sequence class exists")
            }
            Unreachable::NoIssYet => f.write_str("no acknowledgment number to be relative to yet"),
        }
    }
}

/// Why a cell has no vector, or the vector that covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellStatus {
    /// Covered by this vector id.
    Covered(String),
    /// Cannot happen, for this reason.
    Unreachable(Unreachable),
}

/// The generated vectors and the state x event matrix they cover.
pub struct Generated {
    /// The vectors, sorted by id.
    pub vectors: Vec<Vector>,
    /// (state, event class) -> status.
    pub matrix: BTreeMap<(TcpState, String), CellStatus>,
}

/// Why the vectors could not be generated: a vector the model cannot express (a bug in the
/// model or the generator, reported with the vector's id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateError {
    /// The vector.
    pub id: String,
    /// What went wrong.
    pub error: BuildError,
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot generate {}: {:?}", self.id, self.error)
    }
}

impl std::error::Error for GenerateError {}

/// Every event class of the matrix, in row order.
pub fn event_classes() -> Vec<String> {
    let mut ep = Endpoint::closed();
    ep.state = TcpState::Established;
    ep.rtx_timer = 1;
    ep.tw_timer = 1;
    ep.ka_timer = 1;
    stimuli(&ep).iter().map(|s| s.class_name()).collect()
}

pub(crate) fn role_name(role: Option<Role>, state: TcpState, in_flight: bool) -> String {
    let mut name = match role {
        Some(Role::Active) => "active",
        Some(Role::Passive) => "passive",
        None => "no-socket",
    }
    .to_string();
    if in_flight && matches!(state, TcpState::Established | TcpState::CloseWait) {
        name.push_str("-unacked-data");
    }
    name
}

/// Whether a vector keeps the listening socket: a SYN arriving for a passive connection in
/// TIME-WAIT, where a listener is what lets the connection reopen (RFC 1122 4.2.2.13).
fn keeps_listener(role: Option<Role>, state: TcpState, s: Stimulus) -> bool {
    role == Some(Role::Passive)
        && state == TcpState::TimeWait
        && matches!(s, Stimulus::Segment(k, _, _) if k.syn && !k.ack)
}

/// Why stimulus `s` has no vector from target `t`.
fn unreachable_reason(t: &explore::Target, s: Stimulus) -> Unreachable {
    match s {
        Stimulus::Call(c) => {
            call_unavailable(t, c).map_or(Unreachable::CallFails, Unreachable::Call)
        }
        Stimulus::Timer(_) => Unreachable::TimerNotRunning,
        Stimulus::Segment(..) => Unreachable::CallFails,
    }
}

/// Generate every vector.
pub fn generate() -> Result<Generated, GenerateError> {
    let p = params();
    let mut vectors: BTreeMap<String, Vector> = BTreeMap::new();
    let mut matrix = BTreeMap::new();
    for ((role, state, in_flight), stims) in representatives(&p) {
        let fail = |id: &str, error| GenerateError {
            id: id.to_string(),
            error,
        };
        let path =
            realize(&stims, &p).ok_or_else(|| fail("(representative)", BuildError::Unscripted))?;
        let t = target_after(&path, &p)
            .ok_or_else(|| fail("(representative)", BuildError::Unscripted))?;
        let role_name = role_name(role, state, in_flight);
        for s in stimuli(&t.ep) {
            let key = (state, s.class_name());
            let listener = keeps_listener(role, state, s);
            let vp = Params { listener, ..p };
            let applied = apply_form(&t.ep, s);
            if advance(&t, &applied, &vp).is_none() {
                matrix
                    .entry(key)
                    .or_insert(CellStatus::Unreachable(unreachable_reason(&t, s)));
                continue;
            }
            let id = format!("{}/{}/{}", state.name().to_lowercase(), role_name, s.slug());
            let mut full = path.clone();
            full.push(applied);
            // Without a socket yet, the stimulus itself opens one and sets the role.
            let vrole = role.unwrap_or(match s {
                Stimulus::Call(UserCall::Open { passive: false }) => Role::Active,
                _ => Role::Passive,
            });
            let spec = Spec {
                id: id.clone(),
                covers: vec![format!("{} x {}", state.name(), s.class_name())],
                role: vrole,
                options: SocketOptions {
                    keep_listener: listener,
                    ..SocketOptions::default()
                },
                description: String::new(),
            };
            let v = build(spec, &full, &vp).map_err(|e| fail(&id, e))?;
            matrix.insert(key, CellStatus::Covered(id.clone()));
            vectors.insert(id, v);
        }
    }
    let scenarios = scenarios::scenarios().map_err(|(id, error)| GenerateError { id, error })?;
    for v in scenarios {
        if v.id.starts_with("scenario/keepalive") {
            // Keepalive only runs when the socket asks for it, so its cell is covered by the
            // scenario vectors that set the option.
            matrix.insert(
                (TcpState::Established, "keepalive timeout".to_string()),
                CellStatus::Covered(v.id.clone()),
            );
        }
        vectors.insert(v.id.clone(), v);
    }
    fill_unreachable(&mut matrix);
    Ok(Generated {
        vectors: vectors.into_values().collect(),
        matrix,
    })
}

/// Cells never reached: timers that are not running in the state, segment classes that need a
/// window or an ISS before one exists.
fn fill_unreachable(matrix: &mut BTreeMap<(TcpState, String), CellStatus>) {
    let mut probe = Endpoint::closed();
    for state in TcpState::ALL {
        probe.state = state;
        for class in event_classes() {
            matrix.entry((state, class.clone())).or_insert_with(|| {
                CellStatus::Unreachable(if class.contains("timeout") {
                    Unreachable::TimerNotRunning
                } else if !has_irs(&probe) && !class.contains("seq exact") {
                    Unreachable::NoWindowYet
                } else if !has_iss(&probe) {
                    Unreachable::NoIssYet
                } else {
                    Unreachable::NoWindowYet
                })
            });
        }
    }
}
