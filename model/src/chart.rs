//! Counterexamples (and examples) as message-sequence charts: two columns, host A and host B,
//! time running downward, every segment with its flags, sequence and acknowledgment numbers,
//! losses and duplicates marked. The same steps serialize to JSON.

use crate::config::Scenario;
use crate::segment::Segment;
use crate::statespace::Trace;
use crate::system::{Action, Flight, SysState, System, Tag};
use serde::Serialize;
use std::fmt::Write;
use tcp_vectors::TcpState;

/// What happened in one step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepEvent {
    /// An application called its endpoint.
    Call {
        /// Host name, `A` or `B`.
        host: char,
        /// The call, e.g. `connect()`.
        call: String,
    },
    /// A segment arrived.
    Deliver {
        /// Receiving host.
        host: char,
        /// The segment.
        segment: Segment,
        /// It was a copy made by the network.
        duplicate: bool,
        /// Ticks it spent in the network.
        age: u8,
        /// The sender's incarnation (ghost), for reading old-duplicate stories.
        sender_incarnation: u8,
        /// Sent by the middlebox (a NAT's RST for a forgotten flow), not the peer.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        middlebox: bool,
    },
    /// The network lost a segment.
    Lose {
        /// Sending host.
        from: char,
        /// The segment.
        segment: Segment,
    },
    /// The network duplicated a segment (the copy may arrive any time within MSL).
    Duplicate {
        /// Sending host.
        from: char,
        /// The segment.
        segment: Segment,
    },
    /// One tick of time passed.
    Tick,
    /// A host crashed, forgetting its connection; its application is gone.
    Crash {
        /// The host.
        host: char,
    },
    /// A crashed host's application started again.
    Reboot {
        /// The host.
        host: char,
    },
    /// A host's idle application woke and sent again.
    Wake {
        /// The host.
        host: char,
    },
    /// A middlebox dropped a segment of a flow it had forgotten (a NAT also answers its
    /// sender with a RST, drawn as a segment sent).
    MiddleboxDrop {
        /// Sending host.
        from: char,
        /// The segment.
        segment: Segment,
    },
    /// The off-path attacker's segment arrived at a host.
    Inject {
        /// The receiving host.
        host: char,
        /// The segment.
        segment: Segment,
    },
}

/// One step of a chart: the event, the segments it made hosts send, and the resulting states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChartStep {
    /// 1-based step number.
    pub step: usize,
    /// What happened.
    pub event: StepEvent,
    /// Segments sent as a consequence, with their sender.
    pub sent: Vec<(char, Segment)>,
    /// Host A's state after the step.
    pub a: TcpState,
    /// Host B's state after the step.
    pub b: TcpState,
    /// Notes on what the applications were told or what the ghosts recorded.
    pub notes: Vec<String>,
}

/// A whole chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// Role of host A (`client`, `peer`).
    pub a_role: &'static str,
    /// Role of host B (`server`, `peer`).
    pub b_role: &'static str,
    /// States before the first step.
    pub initial: (TcpState, TcpState),
    /// The steps.
    pub steps: Vec<ChartStep>,
    /// For a run that loops forever: the step after which the loop starts (the state after
    /// it recurs after the last step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loops_after: Option<usize>,
}

fn host_name(h: u8) -> char {
    if h == 0 {
        'A'
    } else {
        'B'
    }
}

fn call_text(call: &crate::endpoint::UserCall) -> String {
    use crate::endpoint::UserCall::*;
    match call {
        Open { passive: false } => "connect()".into(),
        Open { passive: true } => "listen()".into(),
        Send(n) => format!("send({n} bytes)"),
        Close => "close()".into(),
        Abort => "abort()".into(),
    }
}

/// Segments in `after` that were not in `before` (multiset difference, ignoring the fresh mark).
fn new_flights(before: &[Flight], after: &[Flight]) -> Vec<Flight> {
    let mut old: Vec<Flight> = before
        .iter()
        .map(|f| Flight { fresh: false, ..*f })
        .collect();
    let mut out = Vec::new();
    for f in after {
        let key = Flight { fresh: false, ..*f };
        if let Some(i) = old.iter().position(|g| *g == key) {
            old.remove(i);
        } else if !f.duplicate {
            out.push(*f);
        }
    }
    out
}

fn notes(before: &SysState, after: &SysState) -> Vec<String> {
    let mut notes = Vec::new();
    for h in 0..2 {
        let (b, a) = (&before.hosts[h], &after.hosts[h]);
        let name = host_name(h as u8);
        if a.received > b.received {
            notes.push(format!(
                "{name}'s application receives {} byte(s)",
                a.received - b.received
            ));
        }
        if a.eof_now && !b.eof_now {
            notes.push(format!("{name}'s application reads end-of-stream"));
        }
        if a.crashed_in != b.crashed_in {
            notes.push(format!("{name} forgets its connection (crash)"));
        }
        if a.incomplete && !b.incomplete {
            notes.push(format!(
                "{name}'s connection ended without all its data and end-of-stream, and nothing \
                 excuses it"
            ));
        }
    }
    if let (Some(b), Some(a)) = (before.middlebox, after.middlebox) {
        if a.forgotten && !b.forgotten {
            notes.push(format!(
                "the middlebox ({:?}) forgets the flow after {} idle ticks",
                a.kind, a.idle
            ));
        }
    }
    let (hb, ha) = (&before.history, &after.history);
    let flags = [
        (
            ha.unexplained_reset && !hb.unexplained_reset,
            "a connection is reset although nothing explains it",
        ),
        (
            ha.stale_accepted && !hb.stale_accepted,
            "a segment of an earlier incarnation is accepted into a later one",
        ),
        (
            ha.needless_timeout && !hb.needless_timeout,
            "an endpoint gives up on a live, reachable peer",
        ),
        (
            ha.blind_reset && !hb.blind_reset,
            "the attacker ends a connection without an exact RST",
        ),
        (
            ha.blind_data && !hb.blind_data,
            "the attacker's data is accepted outside the window or RFC 5961's ACK range",
        ),
    ];
    for (happened, text) in flags {
        if happened {
            notes.push(text.into());
        }
    }
    notes
}

/// Build the chart of a run: each state with the action taken from it, the last state with
/// none; a lasso marks where its loop starts.
pub fn chart(sys: &System, trace: &Trace<SysState, Action>) -> Chart {
    let path = &trace.steps;
    let (a_role, b_role) = match sys.config.scenario {
        Scenario::PeerToPeer => ("peer", "peer"),
        _ => ("client", "server"),
    };
    let initial = path
        .first()
        .map(|(s, _)| (s.hosts[0].ep.state, s.hosts[1].ep.state))
        .unwrap_or((TcpState::Closed, TcpState::Closed));
    let mut steps = Vec::new();
    for (i, w) in path.windows(2).enumerate() {
        let (before, Some(action)) = (&w[0].0, w[0].1) else {
            continue;
        };
        let after = &w[1].0;
        let event = match action {
            Action::Call(h, call) => StepEvent::Call {
                host: host_name(h),
                call: call_text(&call),
            },
            Action::Deliver(f)
                if before.middlebox.is_some_and(|m| m.forgotten) && f.tag != Tag::Middlebox =>
            {
                StepEvent::MiddleboxDrop {
                    from: host_name(f.from),
                    segment: f.seg,
                }
            }
            Action::Deliver(f) => StepEvent::Deliver {
                host: host_name(1 - f.from),
                segment: f.seg,
                duplicate: f.duplicate,
                age: f.age,
                sender_incarnation: f.incarnation,
                middlebox: f.tag == Tag::Middlebox,
            },
            Action::Lose(f) => StepEvent::Lose {
                from: host_name(f.from),
                segment: f.seg,
            },
            Action::Duplicate(f) => StepEvent::Duplicate {
                from: host_name(f.from),
                segment: f.seg,
            },
            Action::Tick => StepEvent::Tick,
            Action::Crash(h, _) => StepEvent::Crash { host: host_name(h) },
            Action::Reboot(h) => StepEvent::Reboot { host: host_name(h) },
            Action::Wake(h) => StepEvent::Wake { host: host_name(h) },
            Action::Inject(h, segment) => StepEvent::Inject {
                host: host_name(h),
                segment,
            },
        };
        let sent = new_flights(&before.net, &after.net)
            .into_iter()
            .map(|f| (host_name(f.from), f.seg))
            .collect();
        steps.push(ChartStep {
            step: i + 1,
            event,
            sent,
            a: after.hosts[0].ep.state,
            b: after.hosts[1].ep.state,
            notes: notes(before, after),
        });
    }
    Chart {
        a_role,
        b_role,
        initial,
        steps,
        loops_after: trace.cycle_start,
    }
}

const COL: usize = 42;

impl Chart {
    /// Render as text: A on the left, B on the right, time downward.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let a_head = format!("A ({})", self.a_role);
        let b_head = format!("B ({})", self.b_role);
        let _ = writeln!(out, "{:>4}  {:<w$}  {}", "", a_head, b_head, w = COL);
        let _ = writeln!(
            out,
            "{:>4}  {:<w$}  {}",
            "",
            self.initial.0.name(),
            self.initial.1.name(),
            w = COL
        );
        let mut prev = self.initial;
        for st in &self.steps {
            if self.loops_after == Some(st.step - 1) {
                let _ = writeln!(
                    out,
                    "{:>4}  >>> loop: from here the run repeats forever >>>",
                    ""
                );
            }
            let a_change = (st.a != prev.0).then(|| format!("-> {}", st.a));
            let b_change = (st.b != prev.1).then(|| format!("-> {}", st.b));
            prev = (st.a, st.b);
            let (mut left, mut right) = (String::new(), String::new());
            let mut middle = None;
            match &st.event {
                StepEvent::Call { host, call } => {
                    if *host == 'A' {
                        left = call.clone();
                    } else {
                        right = call.clone();
                    }
                }
                StepEvent::Deliver {
                    host,
                    segment,
                    duplicate,
                    age,
                    sender_incarnation,
                    middlebox,
                } => {
                    let text =
                        delivery_text(segment, *duplicate, *age, *sender_incarnation, *middlebox);
                    if *host == 'A' {
                        left = text;
                    } else {
                        right = text;
                    }
                }
                StepEvent::Lose { from, segment } => {
                    middle = Some(format!("    ~~ network LOSES {segment} (from {from}) ~~"));
                }
                StepEvent::Duplicate { from, segment } => {
                    middle = Some(format!(
                        "    ++ network DUPLICATES {segment} (from {from}); the copy lingers ++"
                    ));
                }
                StepEvent::Tick => middle = Some("    ......... one tick passes .........".into()),
                StepEvent::Crash { host } => {
                    let text = "*** CRASH: connection forgotten ***".to_string();
                    if *host == 'A' {
                        left = text;
                    } else {
                        right = text;
                    }
                }
                StepEvent::Reboot { host } => {
                    let text = "*** REBOOT: the application starts again ***".to_string();
                    if *host == 'A' {
                        left = text;
                    } else {
                        right = text;
                    }
                }
                StepEvent::Wake { host } => {
                    let text = "the idle application wakes: send again".to_string();
                    if *host == 'A' {
                        left = text;
                    } else {
                        right = text;
                    }
                }
                StepEvent::MiddleboxDrop { from, segment } => {
                    middle = Some(format!(
                        "    ## MIDDLEBOX DROPS {segment} (from {from}): it forgot the flow ##"
                    ));
                }
                StepEvent::Inject { host, segment } => {
                    let text = format!("rcv {segment} [from the ATTACKER]");
                    if *host == 'A' {
                        left = text;
                    } else {
                        right = text;
                    }
                }
            }
            if let Some(m) = middle {
                let _ = writeln!(out, "{:>4}{}", st.step, m);
                if a_change.is_some() || b_change.is_some() {
                    let _ = writeln!(
                        out,
                        "{:>4}  {:<w$}  {}",
                        "",
                        a_change.clone().unwrap_or_default(),
                        b_change.clone().unwrap_or_default(),
                        w = COL
                    );
                }
            } else {
                if let Some(c) = &a_change {
                    left = join(&left, c);
                }
                if let Some(c) = &b_change {
                    right = join(&right, c);
                }
                let _ = writeln!(out, "{:>4}  {:<w$}  {}", st.step, left, right, w = COL);
            }
            for (from, seg) in &st.sent {
                let label = format!(" {seg} ");
                if *from == 'A' {
                    let dashes = (COL + 2).saturating_sub(label.len() + 2).max(3);
                    let _ = writeln!(out, "{:>4}  {}{}>", "", label, "-".repeat(dashes));
                } else {
                    let dashes = (COL + 2).saturating_sub(2).max(3);
                    let _ = writeln!(out, "{:>4}  <{}{}", "", "-".repeat(dashes), label);
                }
            }
            for n in &st.notes {
                let _ = writeln!(out, "{:>4}  ({n})", "");
            }
        }
        if let Some(k) = self.loops_after {
            let _ = writeln!(
                out,
                "{:>4}  <<< back to the state after step {k}: the loop repeats forever <<<",
                ""
            );
        }
        let _ = writeln!(
            out,
            "{:>4}  {:<w$}  {}",
            "end",
            prev.0.name(),
            prev.1.name(),
            w = COL
        );
        out.lines()
            .map(|l| l.trim_end().to_string() + "\n")
            .collect()
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a} {b}")
    }
}

/// How a chart (and the Explorer) names a delivery: `rcv <segment>`, marked when it came from
/// the middlebox or is an old copy.
pub(crate) fn delivery_text(
    segment: &impl std::fmt::Display,
    duplicate: bool,
    age: u8,
    sender_incarnation: u8,
    middlebox: bool,
) -> String {
    let mut text = format!("rcv {segment}");
    if middlebox {
        text.push_str(" [from the MIDDLEBOX]");
    } else if duplicate || age > 0 {
        text.push_str(&format!(
            " [old copy, age {age}, from incarnation {sender_incarnation}]"
        ));
    }
    text
}
