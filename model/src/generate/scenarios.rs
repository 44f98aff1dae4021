//! Scenario vectors: system behaviours and multi-step stories projected onto one endpoint,
//! each a script of stimuli.

use super::alphabet::{AckClass as A, Kind, SeqClass as Q, Stimulus};
use super::build::{build, realize, BuildError, Spec};
use super::params;
use crate::endpoint::{KeepaliveParams, Params, UserCall};
use tcp_vectors::{
    AppEvent, Call, Flags, IcmpKind, Keepalive, Millis, OptionValue, OptionsPattern, Role,
    SegmentPattern, SegmentSpec, SeqExpr, SeqVar, SocketOptions, Stays, Step, TcpState, TimerKind,
    Vector,
};

fn seg(kind: Kind, seq: Q, ack: Option<A>) -> Stimulus {
    Stimulus::Segment(kind, seq, ack)
}

fn text(kind: Kind) -> Kind {
    Kind { text: true, ..kind }
}

/// One scenario: id, description, script, socket options, parameters, and what the vector
/// asserts beyond the model's segments.
struct Script {
    id: &'static str,
    description: &'static str,
    stimuli: Vec<Stimulus>,
    options: SocketOptions,
    params: Params,
    /// Adds to the built vector what the wire must show and the model's segments do not carry
    /// (PSH, options), or how long a state must last; `None` for most scenarios.
    finish: Option<fn(&mut Vector)>,
}

/// How long a SYN must be retransmitted before the connection gives up: RFC 9293 section
/// 3.8.3 (MUST-23), "at least 3 minutes".
pub const SYN_GIVE_UP_MIN: Millis = Millis(180_000);

/// MUST-61 (RFC 9293 section 3.9.1.2): a sender that has no PUSH flag on SEND sets PSH on the
/// last segment of the data the application gave it. The segment that carries the octets of
/// the SEND must carry PSH (the replayer compares PSH only when a pattern names it).
fn push_on_data(v: &mut Vector) {
    for step in &mut v.steps {
        if let Step::Expect(p) = step {
            if p.len > 0 {
                p.flags.psh = true;
            }
        }
    }
}

/// MUST-65 (RFC 9293 section 3.7.1): the MSS option is sent only on a segment with SYN.
/// Every expected segment without SYN must carry no MSS option.
fn no_mss_without_syn(v: &mut Vector) {
    for step in &mut v.steps {
        if let Step::Expect(p) = step {
            if !p.flags.syn {
                p.options = Some(OptionsPattern {
                    mss: Some(OptionValue::Absent),
                    ..OptionsPattern::default()
                });
            }
        }
    }
}

/// MUST-23 (RFC 9293 section 3.8.3): R2 for a SYN gives at least three minutes of
/// retransmission. The model's run ends with the SYN sent in SYN-SENT; in place of its quiet
/// window the connection must stay SYN-SENT until [`SYN_GIVE_UP_MIN`] after the replay began,
/// retransmitting its SYN as its timer says (the target's own timers: no count of
/// retransmissions is fixed, since RFC 6298 lets the RTO and its back-off vary).
fn syn_kept_three_minutes(v: &mut Vector) {
    if let Some(Step::Quiet(_)) = v.steps.last() {
        v.steps.pop();
    }
    if let Some(Step::State(TcpState::SynSent)) = v.steps.last() {
        v.steps.pop();
    }
    v.event_at = Some(v.steps.len());
    v.steps.push(Step::Stays(Stays {
        state: TcpState::SynSent,
        until: SYN_GIVE_UP_MIN,
    }));
}

/// The quiet window that ends the vectors finished by hand below, as the model's runs end.
const END_QUIET: Millis = Millis(50);

/// Ends the model's run where it stands: its closing quiet window goes, and the event under
/// test starts at the steps a `finish` adds next.
fn event_from_here(v: &mut Vector) {
    if let Some(Step::Quiet(_)) = v.steps.last() {
        v.steps.pop();
    }
    v.event_at = Some(v.steps.len());
}

/// MUST-30, MUST-32 (RFC 9293 section 3.8.5): the peer sends one octet of urgent data (URG,
/// SEG.UP = 1: the pointer points to the octet after it, RFC 6093): the application is told
/// of urgent data before it reads the octet, which stays in the stream. One octet, so that
/// every reading of where a read stops (at the end of the urgent data, or, as BSD's mark, at
/// its last octet) reads it whole. The model has no urgent pointer: the steps after the
/// handshake are written here.
fn urgent_data_arrives(v: &mut Vector) {
    event_from_here(v);
    let irs = |k| SeqExpr::new(SeqVar::Irs, k);
    let iss = |k| SeqExpr::new(SeqVar::Iss, k);
    v.steps.extend([
        Step::Send(SegmentSpec {
            flags: Flags {
                ack: true,
                urg: true,
                ..Flags::default()
            },
            seq: irs(1),
            ack: Some(iss(1)),
            len: 1,
            urg: Some(1),
        }),
        Step::App(AppEvent::Urgent),
        Step::App(AppEvent::Data(1)),
        Step::Expect(SegmentPattern {
            flags: Flags {
                ack: true,
                ..Flags::default()
            },
            seq: Some(iss(1)),
            ack: Some(irs(2)),
            len: 0,
            window: None,
            options: None,
            urg: None,
        }),
        Step::State(TcpState::Established),
        Step::Quiet(END_QUIET),
    ]);
}

/// MUST-30, MUST-62 (RFC 9293 section 3.8.5): the application sends its octet as urgent
/// data; the segment that carries it has URG and SEG.UP = 1, the offset of the first octet
/// after the urgent data.
fn urgent_data_sent(v: &mut Vector) {
    for step in &mut v.steps {
        match step {
            Step::Call(Call::Send(n)) => *step = Step::Call(Call::SendUrgent(*n)),
            Step::Expect(p) if p.len > 0 => {
                p.flags.urg = true;
                p.urg = Some(p.len);
            }
            _ => {}
        }
    }
}

/// MUST-54, SHLD-26 (RFC 9293 section 3.9.2.2, RFC 1122 4.2.3.9): the peer's host answers the
/// SYN with Destination Unreachable (port), a hard error: the opening connection is aborted,
/// the application is told, and nothing more is sent.
fn port_unreachable_aborts_syn_sent(v: &mut Vector) {
    event_from_here(v);
    v.steps.extend([
        Step::Icmp(IcmpKind::PortUnreachable),
        Step::App(AppEvent::Refused),
        Step::State(TcpState::Closed),
        Step::Quiet(END_QUIET),
    ]);
}

/// MUST-56 (RFC 9293 section 3.9.2.2, RFC 1122 4.2.3.9): a router answers the SYN with
/// Destination Unreachable (host), a soft error: the connection stays SYN-SENT and
/// retransmits its SYN when its timer expires.
fn host_unreachable_keeps_syn_sent(v: &mut Vector) {
    event_from_here(v);
    let syn = v.steps.iter().find_map(|s| match s {
        Step::Expect(p) if p.flags.syn => Some(p.clone()),
        _ => None,
    });
    v.steps.push(Step::Icmp(IcmpKind::HostUnreachable));
    v.steps.push(Step::State(TcpState::SynSent));
    if let Some(syn) = syn {
        v.steps.push(Step::Timer(TimerKind::Retransmission));
        v.steps.push(Step::Expect(syn));
    }
    v.steps.push(Step::State(TcpState::SynSent));
    v.steps.push(Step::Quiet(END_QUIET));
}

/// MUST-47, SHLD-25, MUST-56 (RFC 9293 section 3.9.2.2): a router answers the segment that
/// carries the application's octet with Destination Unreachable (host), a soft error: the
/// application is told, the connection stays ESTABLISHED and retransmits the octet.
fn host_unreachable_reported_in_established(v: &mut Vector) {
    event_from_here(v);
    let data = v.steps.iter().rev().find_map(|s| match s {
        Step::Expect(p) if p.len > 0 => Some(p.clone()),
        _ => None,
    });
    v.steps.push(Step::Icmp(IcmpKind::HostUnreachable));
    v.steps.push(Step::App(AppEvent::Unreachable));
    v.steps.push(Step::State(TcpState::Established));
    if let Some(data) = data {
        v.steps.push(Step::Timer(TimerKind::Retransmission));
        v.steps.push(Step::Expect(data));
    }
    v.steps.push(Step::State(TcpState::Established));
    v.steps.push(Step::Quiet(END_QUIET));
}

fn scripts() -> Vec<Script> {
    let listen = Stimulus::Call(UserCall::Open { passive: true });
    let connect = Stimulus::Call(UserCall::Open { passive: false });
    let close = Stimulus::Call(UserCall::Close);
    let send = Stimulus::Call(UserCall::Send(1));
    let exact = Some(A::Exact);
    let plain = |id, description, stimuli| Script {
        id,
        description,
        stimuli,
        options: SocketOptions::default(),
        params: params(),
        finish: None,
    };
    let finished = |id, description, stimuli, finish| Script {
        finish: Some(finish),
        ..plain(id, description, stimuli)
    };
    let established = |more: Vec<Stimulus>| {
        let mut s = vec![connect, seg(Kind::SYN_ACK, Q::Exact, exact)];
        s.extend(more);
        s
    };
    vec![
        plain(
            "scenario/dirty-connection-as-server",
            "an old duplicate SYN: SYN-RECEIVED, the peer answers the SYN,ACK with RST, back to LISTEN",
            vec![listen, seg(Kind::SYN, Q::Exact, None), seg(Kind::RST, Q::Exact, None)],
        ),
        plain(
            "scenario/simultaneous-open",
            "both ends send SYN: SYN-SENT, SYN-RECEIVED, then ESTABLISHED",
            vec![connect, seg(Kind::SYN, Q::Exact, None), seg(Kind::SYN_ACK, Q::Exact, exact)],
        ),
        plain(
            "scenario/simultaneous-close",
            "both ends send FIN: FIN-WAIT-1, CLOSING, TIME-WAIT",
            established(vec![
                close,
                seg(Kind::FIN_ACK, Q::Exact, Some(A::Una)),
                seg(Kind::ACK, Q::Exact, exact),
            ]),
        ),
        plain(
            "scenario/time-wait-answers-retransmitted-fin",
            "the peer did not get our last ACK and retransmits its FIN: TIME-WAIT acknowledges it",
            established(vec![
                close,
                seg(Kind::ACK, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Old, exact),
            ]),
        ),
        plain(
            "scenario/half-close-data-after-fin",
            "we close; the peer keeps sending data, which we receive in FIN-WAIT-2",
            established(vec![
                close,
                seg(Kind::ACK, Q::Exact, exact),
                seg(Kind::DATA, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Exact, exact),
            ]),
        ),
        plain(
            "scenario/passive-close-with-data",
            "the peer closes first; we send data in CLOSE-WAIT, then close: LAST-ACK, CLOSED",
            vec![
                listen,
                seg(Kind::SYN, Q::Exact, None),
                seg(Kind::ACK, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Exact, exact),
                send,
                close,
                seg(Kind::ACK, Q::Exact, exact),
            ],
        ),
        plain(
            "scenario/text-two-segments",
            "two segments of text in order: each delivered and acknowledged (RFC 9293 3.10.7.4 seventh)",
            established(vec![
                seg(Kind::DATA, Q::Exact, exact),
                seg(Kind::DATA, Q::Exact, exact),
            ]),
        ),
        plain(
            "scenario/text-overlapping-rcv-nxt",
            "a segment that straddles RCV.NXT: only its new part is taken (RFC 9293 3.10.7.4 first)",
            established(vec![
                seg(Kind::DATA, Q::Exact, exact),
                seg(Kind::DATA, Q::Old, exact),
            ]),
        ),
        plain(
            "scenario/text-out-of-order-then-gap",
            "text beyond RCV.NXT, then the text that fills the gap: held, it is delivered with it",
            established(vec![
                seg(Kind::DATA, Q::InWindow, exact),
                seg(Kind::DATA, Q::Exact, exact),
            ]),
        ),
        plain(
            "scenario/text-on-syn-then-handshake",
            "a SYN with text in LISTEN, then the handshake's ACK: queued text is delivered once ESTABLISHED",
            vec![
                listen,
                seg(text(Kind::SYN), Q::Exact, None),
                seg(Kind::ACK, Q::Exact, exact),
            ],
        ),
        plain(
            "scenario/text-on-crossing-syn",
            "a crossing SYN with text: queued in SYN-RECEIVED, delivered once ESTABLISHED (RFC 9293 3.10.7.3)",
            vec![
                connect,
                seg(text(Kind::SYN), Q::Exact, None),
                seg(Kind::ACK, Q::Exact, exact),
            ],
        ),
        Script {
            id: "scenario/time-wait-reopen",
            description: "a new SYN above RCV.NXT for a connection in TIME-WAIT while the listener is \
                          still open: a challenge ACK, or the connection reopens (RFC 1122 4.2.2.13)",
            stimuli: vec![
                listen,
                seg(Kind::SYN, Q::Exact, None),
                seg(Kind::ACK, Q::Exact, exact),
                close,
                seg(Kind::ACK, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Exact, exact),
                seg(Kind::SYN, Q::BeyondWindow, None),
            ],
            options: SocketOptions {
                keep_listener: true,
                ..SocketOptions::default()
            },
            params: Params {
                listener: true,
                ..params()
            },
            finish: None,
        },
        finished(
            "scenario/push-on-last-segment",
            "the application sends one octet: the segment that carries it, the last of the \
             SEND, has PSH (RFC 9293 3.9.1.2, MUST-61)",
            established(vec![send]),
            push_on_data,
        ),
        finished(
            "scenario/mss-only-on-syn",
            "a whole connection, data and close: no segment without SYN carries the MSS option \
             (RFC 9293 3.7.1, MUST-65)",
            established(vec![
                send,
                seg(Kind::ACK, Q::Exact, exact),
                close,
                seg(Kind::ACK, Q::Exact, exact),
                seg(Kind::FIN_ACK, Q::Exact, exact),
            ]),
            no_mss_without_syn,
        ),
        finished(
            "scenario/syn-retransmitted-three-minutes",
            "no answer to the SYN: the connection stays SYN-SENT, retransmitting, for three \
             minutes (RFC 9293 3.8.3, MUST-23; a long vector: `replay --long`)",
            vec![connect],
            syn_kept_three_minutes,
        ),
        finished(
            "scenario/urgent-data-received",
            "the peer sends one octet of urgent data (URG, pointer 1): the application is told \
             of urgent data, then reads the octet in the stream (RFC 9293 3.8.5, MUST-30, \
             MUST-32)",
            established(vec![]),
            urgent_data_arrives,
        ),
        finished(
            "scenario/urgent-data-sent",
            "the application sends one octet as urgent data: its segment has URG and a pointer \
             to the octet after it (RFC 9293 3.8.5, MUST-30, MUST-62)",
            established(vec![send]),
            urgent_data_sent,
        ),
        finished(
            "scenario/icmp-port-unreachable-in-syn-sent",
            "the SYN meets ICMP Destination Unreachable (port), a hard error: the opening \
             connection is aborted and the application told (RFC 9293 3.9.2.2, MUST-54, \
             SHLD-26)",
            vec![connect],
            port_unreachable_aborts_syn_sent,
        ),
        finished(
            "scenario/icmp-host-unreachable-in-syn-sent",
            "the SYN meets ICMP Destination Unreachable (host), a soft error: the connection \
             stays SYN-SENT and retransmits its SYN (RFC 9293 3.9.2.2, MUST-56)",
            vec![connect],
            host_unreachable_keeps_syn_sent,
        ),
        finished(
            "scenario/icmp-host-unreachable-in-established",
            "data meets ICMP Destination Unreachable (host), a soft error: the application is \
             told, the connection stays ESTABLISHED and retransmits (RFC 9293 3.9.2.2, MUST-47, \
             SHLD-25, MUST-56)",
            established(vec![send]),
            host_unreachable_reported_in_established,
        ),
        keepalive(
            "scenario/keepalive-probe-answered",
            "an idle connection probes with SEG.SEQ = SND.NXT-1; the answer keeps it open",
            vec![
                connect,
                seg(Kind::SYN_ACK, Q::Exact, exact),
                Stimulus::Timer(TimerKind::Keepalive),
                seg(Kind::ACK, Q::Exact, exact),
                Stimulus::Timer(TimerKind::Keepalive),
            ],
        ),
        keepalive(
            "scenario/keepalive-probe-after-data",
            "data is sent and acknowledged, then the connection idles: the probe comes the \
             keepalive idle time after the last segment (what keeps a middlebox's flow alive)",
            vec![
                connect,
                seg(Kind::SYN_ACK, Q::Exact, exact),
                Stimulus::Call(UserCall::Send(1)),
                seg(Kind::ACK, Q::Exact, exact),
                Stimulus::Timer(TimerKind::Keepalive),
                seg(Kind::ACK, Q::Exact, exact),
                Stimulus::Timer(TimerKind::Keepalive),
            ],
        ),
        keepalive(
            "scenario/keepalive-probe-unanswered",
            "unanswered probes: after the probe count the connection times out",
            vec![
                connect,
                seg(Kind::SYN_ACK, Q::Exact, exact),
                Stimulus::Timer(TimerKind::Keepalive),
                Stimulus::Timer(TimerKind::Keepalive),
                Stimulus::Timer(TimerKind::Keepalive),
            ],
        ),
    ]
}

/// A keepalive scenario (RFC 1122 section 4.2.3.6): the option set on the socket.
fn keepalive(id: &'static str, description: &'static str, stimuli: Vec<Stimulus>) -> Script {
    Script {
        id,
        description,
        stimuli,
        options: SocketOptions {
            keepalive: Some(Keepalive {
                idle_s: 1,
                interval_s: 1,
                count: 2,
            }),
            ..SocketOptions::default()
        },
        params: Params {
            keepalive: Some(KeepaliveParams {
                idle: 1,
                interval: 1,
                count: 2,
            }),
            ..params()
        },
        finish: None,
    }
}

/// Every scenario vector.
pub fn scenarios() -> Result<Vec<Vector>, (String, BuildError)> {
    let mut out = Vec::new();
    for s in scripts() {
        let fail = |e| (s.id.to_string(), e);
        let path = realize(&s.stimuli, &s.params).ok_or_else(|| fail(BuildError::Unscripted))?;
        let role = match s.stimuli.first() {
            Some(Stimulus::Call(UserCall::Open { passive: false })) => Role::Active,
            _ => Role::Passive,
        };
        let spec = Spec {
            id: s.id.to_string(),
            covers: vec![s.id.trim_start_matches("scenario/").to_string()],
            role,
            options: s.options.clone(),
            description: s.description.to_string(),
        };
        let mut vector = build(spec, &path, &s.params).map_err(fail)?;
        if let Some(finish) = s.finish {
            finish(&mut vector);
            vector.requirements = super::requirements::vector_requirements(&vector);
        }
        out.push(vector);
    }
    Ok(out)
}
