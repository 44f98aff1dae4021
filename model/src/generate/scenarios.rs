//! Scenario vectors: system behaviours and multi-step stories projected onto one endpoint,
//! each a script of stimuli.

use super::alphabet::{AckClass as A, Kind, SeqClass as Q, Stimulus};
use super::build::{build, realize, BuildError, Spec};
use super::params;
use crate::endpoint::{KeepaliveParams, Params, UserCall};
use tcp_vectors::{Keepalive, Role, SocketOptions, TimerKind, Vector};

fn seg(kind: Kind, seq: Q, ack: Option<A>) -> Stimulus {
    Stimulus::Segment(kind, seq, ack)
}

fn text(kind: Kind) -> Kind {
    Kind { text: true, ..kind }
}

/// One scenario: id, description, script, socket options, parameters.
struct Script {
    id: &'static str,
    description: &'static str,
    stimuli: Vec<Stimulus>,
    options: SocketOptions,
    params: Params,
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
        },
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
        out.push(build(spec, &path, &s.params).map_err(fail)?);
    }
    Ok(out)
}
