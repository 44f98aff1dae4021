//! A vector and its steps, and the rules serde cannot check (a valid id, well-formed
//! `one_of` choices, the event marker inside the script).

use crate::{
    AppEvent, Call, IcmpKind, Millis, Role, SegmentPattern, SegmentSpec, TcpState, TimerKind,
};
use serde::{Deserialize, Serialize};

/// The version of the schema written by this crate; a reader rejects other versions.
///
/// Version 2 added [`Step::OneOf`], [`SocketOptions::keep_listener`] and the event marker
/// ([`Vector::event_at`]). [`Step::Stays`] came later within version 2: only the long vectors
/// use it ([`Vector::is_long`]), and a reader that does not know it rejects them by name.
pub const SCHEMA_VERSION: u32 = 2;

/// One test vector: a scripted conversation with a target TCP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Schema version; must equal [`SCHEMA_VERSION`].
    pub version: u32,
    /// Unique identifier, e.g. `established/active/rst-seq-exact`; under a vectors root the file
    /// is `<id>.yaml` (see [`crate::path`]).
    pub id: String,
    /// The RFC 9293 state x event cells (or named scenarios) this vector covers.
    pub covers: Vec<String>,
    /// The requirements of RFC 9293 Appendix B this vector checks on the wire, by id
    /// (`MUST-10`, `SHLD-31`; see [`crate::requirements`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Whether the target opens actively (`connect`) or passively (`listen`).
    pub role: Role,
    /// Socket options the replayer sets on the target before the first call.
    #[serde(default, skip_serializing_if = "SocketOptions::is_default")]
    pub options: SocketOptions,
    /// One-line human description of what the vector checks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The script, executed in order.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    pub steps: Vec<Step>,
    /// Index in `steps` of the first step of the event under test: the steps before it are the
    /// setup that reaches the state under test. Not a key: the YAML text carries it as the
    /// comment line `# event under test` before that step ([`crate::EVENT_MARKER`]).
    #[serde(skip)]
    pub event_at: Option<usize>,
}

/// Socket options set on the target before the first call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocketOptions {
    /// TCP keepalive (RFC 1122 section 4.2.3.6), if enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Keepalive>,
    /// On a passive vector, the application keeps its listening socket open after `accept()`,
    /// so that a new SYN for the same port pair can reach a listener while the accepted
    /// connection sits in TIME-WAIT (RFC 1122 section 4.2.2.13). By default (`false`, omitted)
    /// the listener is closed once the connection is accepted: RFC 9293's passive OPEN makes
    /// one connection.
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_listener: bool,
    /// The target's application never reads (an `app: data` step checks what has piled up
    /// instead of reading it), and the connection's receive buffer holds this many octets:
    /// the receive window closes once they have arrived (RFC 9293 3.8.6, 3.10.7.4's zero
    /// window). Only a target that can make its buffer this small runs such a vector
    /// (`tcp-impl`; Linux's `SO_RCVBUF` has a floor of 2,304 octets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_buffer: Option<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl SocketOptions {
    /// True when no option is set (used to omit the field when serializing).
    pub fn is_default(&self) -> bool {
        self == &SocketOptions::default()
    }
}

/// Keepalive parameters (Linux: `SO_KEEPALIVE`, `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    /// Idle time before the first probe, in seconds.
    pub idle_s: u32,
    /// Interval between unanswered probes, in seconds.
    pub interval_s: u32,
    /// Number of unanswered probes after which the connection is dropped.
    pub count: u32,
}

/// One step of a vector's script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The target's application makes a call on its socket.
    Call(Call),
    /// The target must send exactly this segment next (within the timer tolerance).
    Expect(SegmentPattern),
    /// The RFC allows several behaviours: the target must do exactly one of these sequences of
    /// segments. An empty alternative means "send nothing" (checked over a quiet window).
    ExpectOneOf(Vec<Vec<SegmentPattern>>),
    /// The peer (replayer) sends this segment to the target.
    Send(SegmentSpec),
    /// The target's connection must now be in this RFC 9293 state.
    State(TcpState),
    /// The target's connection must be in one of these states (RFC allows several).
    StateOneOf(Vec<TcpState>),
    /// The target's application must observe this event.
    App(AppEvent),
    /// The named timer of the target is expected to expire next: the replayer lets time pass,
    /// waiting for the following `expect`/`state` for as long as the target's timer needs.
    Timer(TimerKind),
    /// The target must send nothing for this long.
    Quiet(Millis),
    /// The RFCs allow several behaviours here, each a sequence of observations: the target must
    /// match exactly one branch, and the report records which one it took.
    OneOf(OneOf),
    /// The connection stays in a state until a time after the replay began, while the target's
    /// timers run: meanwhile the target may only repeat (retransmit) the last segment it was
    /// expected to send. For a requirement on how long a timer lets a connection live, e.g.
    /// RFC 9293's MUST-23 (a SYN retransmitted for at least three minutes).
    Stays(Stays),
    /// The peer lets this much time pass, sending nothing; the target must send nothing
    /// either. Unlike `quiet`, the whole time passes even when the target can show that
    /// nothing will happen: what follows is meant to meet the target's timers that much later
    /// (a random walk of `tcpspec fuzz` waits before a FIN retransmitted into TIME-WAIT).
    Wait(Millis),
    /// The peer's side of the network sends an ICMP (IPv4) or ICMPv6 error of this kind to the
    /// target, quoting the last segment the target sent (its IP header and at least the first
    /// eight octets of its TCP header): from the peer's address for a port unreachable, from
    /// a router's documentation address otherwise (RFC 9293 section 3.9.2.2).
    Icmp(IcmpKind),
}

/// A state held until a time (see [`Step::Stays`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stays {
    /// The state the connection must be in throughout.
    pub state: TcpState,
    /// Until when, counted from the start of the replay (the vector's first step).
    pub until: Millis,
}

/// A [`Step::Stays`] longer than this makes a vector long ([`Vector::is_long`]).
pub const LONG: Millis = Millis(60_000);

impl Step {
    /// Whether the step only observes the target (`expect`, `app`, `state`, `quiet`): the steps a
    /// [`Branch`] may hold. Sending, calling and waiting for a timer act on the target.
    pub fn is_observation(&self) -> bool {
        matches!(
            self,
            Step::Expect(_) | Step::App(_) | Step::State(_) | Step::Quiet(_)
        )
    }

    /// The step's key in the YAML text, e.g. `expect` or `one_of`.
    pub fn key(&self) -> &'static str {
        match self {
            Step::Call(_) => "call",
            Step::Expect(_) => "expect",
            Step::ExpectOneOf(_) => "expect_one_of",
            Step::Send(_) => "send",
            Step::State(_) => "state",
            Step::StateOneOf(_) => "state_one_of",
            Step::App(_) => "app",
            Step::Timer(_) => "timer",
            Step::Quiet(_) => "quiet",
            Step::OneOf(_) => "one_of",
            Step::Stays(_) => "stays",
            Step::Wait(_) => "wait",
            Step::Icmp(_) => "icmp",
        }
    }
}

/// A choice the RFCs leave open, and the behaviours they allow (see [`Step::OneOf`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneOf {
    /// The name of the choice, e.g. `rst-in-time-wait` (lowercase letters, digits and `-`).
    pub choice: String,
    /// The allowed behaviours, at least two, with distinct names.
    pub branches: Vec<Branch>,
}

/// One allowed behaviour of a [`OneOf`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The name of the behaviour, e.g. `ignored` or `closes` (lowercase letters, digits and `-`).
    pub name: String,
    /// What the target does in this behaviour: observation steps only (see
    /// [`Step::is_observation`]), at least one.
    pub steps: Vec<Step>,
}

/// Where a rule of [`Vector::check`] is broken, so that a reader can name the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// A top-level key, e.g. `id`.
    Key(&'static str),
    /// The step at this index.
    Step(usize),
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?} must be a non-empty name of lowercase letters, digits and `-`"
        ))
    }
}

impl OneOf {
    fn check(&self) -> Result<(), String> {
        check_name("the one_of choice", &self.choice)?;
        let choice = &self.choice;
        if self.branches.len() < 2 {
            return Err(format!(
                "one_of {choice} has {} branch(es): it needs at least two allowed behaviours",
                self.branches.len()
            ));
        }
        for (i, b) in self.branches.iter().enumerate() {
            check_name("the branch name", &b.name)?;
            if self.branches[..i].iter().any(|o| o.name == b.name) {
                return Err(format!("one_of {choice}: branch {} appears twice", b.name));
            }
            if b.steps.is_empty() {
                return Err(format!(
                    "one_of {choice}: branch {} has no steps (write `quiet` for \"nothing\")",
                    b.name
                ));
            }
            if let Some(s) = b.steps.iter().find(|s| !s.is_observation()) {
                return Err(format!(
                    "one_of {choice}: branch {} has a `{}` step; branches hold only expect, app, \
                     state and quiet",
                    b.name,
                    s.key()
                ));
            }
        }
        Ok(())
    }
}

impl Vector {
    /// Whether the vector holds a state for longer than [`LONG`] (a [`Step::Stays`]): the
    /// replayer leaves such vectors out unless asked for them (`replay --long`), so that the
    /// whole suite stays minutes long.
    pub fn is_long(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::Stays(h) if h.until > LONG))
    }

    /// Check what the types alone do not: the version, the id (see [`crate::path::check_id`]),
    /// every `one_of` (a named choice, at least two distinctly named branches of observation
    /// steps), and that the event marker points at a step.
    pub fn check(&self) -> Result<(), crate::VectorError> {
        self.problem()
            .map_err(|(_, message)| crate::VectorError::at_line(None, message))
    }

    /// Like [`Vector::check`], with the place of the problem.
    pub(crate) fn problem(&self) -> Result<(), (Place, String)> {
        if self.version != SCHEMA_VERSION {
            return Err((
                Place::Key("version"),
                format!(
                    "schema version {} is not supported (this build reads version \
                     {SCHEMA_VERSION})",
                    self.version
                ),
            ));
        }
        crate::path::check_id(&self.id).map_err(|e| (Place::Key("id"), e.0))?;
        for id in &self.requirements {
            if crate::requirements::requirement(id).is_none() {
                return Err((
                    Place::Key("requirements"),
                    format!(
                        "unknown requirement {id:?}: RFC 9293 Appendix B has MUST-1 to MUST-69 \
                         and SHLD-1 to SHLD-31"
                    ),
                ));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::OneOf(one_of) => one_of.check().map_err(|e| (Place::Step(i), e))?,
                Step::Stays(h) if h.until == Millis(0) => {
                    return Err((
                        Place::Step(i),
                        "a `stays` step needs a time after the start (`until` above 0)".into(),
                    ))
                }
                Step::Send(spec) if spec.flags.urg != spec.urg.is_some() => {
                    return Err((
                        Place::Step(i),
                        "a `send` with flag U needs `urg` (the urgent pointer), and `urg` needs \
                         flag U"
                            .into(),
                    ))
                }
                Step::Expect(p) if p.urg.is_some() && !p.flags.urg => {
                    return Err((
                        Place::Step(i),
                        "an `expect` with `urg` (the urgent pointer) needs flag U".into(),
                    ))
                }
                _ => {}
            }
        }
        match self.event_at {
            Some(at) if at >= self.steps.len() => Err((
                Place::Key("steps"),
                format!(
                    "the event under test starts at step {} but there are only {} steps",
                    at + 1,
                    self.steps.len()
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_keys_are_the_serde_keys() {
        let steps = [
            Step::Call(Call::Close),
            Step::Expect(SegmentPattern {
                flags: Default::default(),
                seq: None,
                ack: None,
                len: 0,
                window: None,
                options: None,
                urg: None,
            }),
            Step::ExpectOneOf(vec![]),
            Step::Send(SegmentSpec {
                flags: Default::default(),
                seq: "irs".parse().unwrap(),
                ack: None,
                len: 0,
                urg: None,
            }),
            Step::State(TcpState::Closed),
            Step::StateOneOf(vec![]),
            Step::App(AppEvent::Reset),
            Step::Timer(TimerKind::TimeWait),
            Step::Quiet(Millis(1)),
            Step::OneOf(OneOf {
                choice: "c".into(),
                branches: vec![],
            }),
            Step::Stays(Stays {
                state: TcpState::SynSent,
                until: Millis(180_000),
            }),
            Step::Wait(Millis(1)),
            Step::Icmp(IcmpKind::PortUnreachable),
        ];
        for step in steps {
            let value = serde_yaml::with::singleton_map_recursive::serialize(
                &step,
                serde_yaml::value::Serializer,
            )
            .unwrap();
            let map = value.as_mapping().expect("a single-key map");
            let key = map.keys().next().and_then(|k| k.as_str());
            assert_eq!(key, Some(step.key()));
            assert_eq!(
                step.is_observation(),
                matches!(step.key(), "expect" | "app" | "state" | "quiet")
            );
        }
    }

    #[test]
    fn a_long_stay_makes_a_long_vector_and_a_stay_needs_a_time() {
        let text = "version: 2\nid: scenario/x\ncovers: [x]\nrole: active\nsteps:\n  \
                    - call: connect\n  - expect: {flags: S, seq: iss}\n  \
                    - stays: {state: SYN-SENT, until: 180s}\n";
        let v = Vector::from_yaml(text).unwrap();
        assert_eq!(
            v.steps[2],
            Step::Stays(Stays {
                state: TcpState::SynSent,
                until: Millis(180_000)
            })
        );
        assert!(v.is_long());
        assert_eq!(Vector::from_yaml(&v.to_yaml().unwrap()).unwrap(), v);
        let short = text.replace("180s", "60s");
        assert!(!Vector::from_yaml(&short).unwrap().is_long());
        let zero = text.replace("180s", "0ms");
        let e = Vector::from_yaml(&zero).unwrap_err();
        assert!(e.to_string().contains("until"), "{e}");
    }

    #[test]
    fn urgent_pointers_and_icmp_errors_read_back_and_urg_goes_with_flag_u() {
        let head = "version: 2\nid: scenario/x\ncovers: [x]\nrole: active\nsteps:\n  \
                    - call: connect\n  - expect: {flags: S, seq: iss}\n";
        let text = format!(
            "{head}  - icmp: host-unreachable\n  - send: {{flags: UPA, seq: irs+1, ack: iss+1, \
             len: 2, urg: 2}}\n  - app: urgent\n  - app: unreachable\n  - call: {{send_urgent: \
             1}}\n  - expect: {{flags: UA, len: 1, urg: 1}}\n"
        );
        let v = Vector::from_yaml(&text).unwrap();
        assert_eq!(v.steps[2], Step::Icmp(IcmpKind::HostUnreachable));
        assert!(matches!(&v.steps[3], Step::Send(s) if s.urg == Some(2) && s.flags.urg));
        assert_eq!(v.steps[4], Step::App(AppEvent::Urgent));
        assert_eq!(v.steps[5], Step::App(AppEvent::Unreachable));
        assert_eq!(v.steps[6], Step::Call(Call::SendUrgent(1)));
        assert!(matches!(&v.steps[7], Step::Expect(p) if p.urg == Some(1)));
        assert_eq!(Vector::from_yaml(&v.to_yaml().unwrap()).unwrap(), v);
        for bad in [
            "  - send: {flags: UA, seq: irs+1, ack: iss+1, len: 1}\n",
            "  - send: {flags: A, seq: irs+1, ack: iss+1, len: 1, urg: 1}\n",
            "  - expect: {flags: A, len: 1, urg: 1}\n",
        ] {
            let e = Vector::from_yaml(&format!("{head}{bad}")).unwrap_err();
            assert!(e.message.contains("flag U"), "{bad}: {e}");
            assert_eq!(e.line, Some(8), "{bad}");
        }
    }
}
