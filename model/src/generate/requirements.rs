//! The requirements of RFC 9293 Appendix B that the model and its vectors check: which vector
//! checks which requirement on the wire (written into each vector as `requirements:`), and
//! what in the model (properties, switches, scenarios) stands for each requirement that
//! belongs to connection management.

use tcp_vectors::{AppEvent, Call, IcmpKind, OptionValue, Step, TcpState, Vector};

/// The requirements a vector checks, from the cell or scenario it covers, its options and
/// what it asserts. Only what the vector's own steps show is claimed:
///
/// - MUST-10 (simultaneous open): a SYN without ACK arriving in SYN-SENT, and the
///   simultaneous-open scenario;
/// - MUST-11 (SYN-RECEIVED remembers a passive or an active OPEN): a RST in SYN-RECEIVED,
///   after which the state is LISTEN (passive) or CLOSED (active);
/// - MUST-12 (the application is told how the connection ended): a vector that asserts the
///   application's reset, refusal, time-out or end of stream;
/// - MUST-13 (TIME-WAIT lasts 2 MSL): the TIME-WAIT timeout, and a retransmitted FIN answered
///   in TIME-WAIT;
/// - MUST-22 (SYN retransmitted as data is): the retransmission timeout in SYN-SENT and
///   SYN-RECEIVED;
/// - MUST-23 (a SYN retransmitted for at least three minutes): a vector that holds SYN-SENT
///   for that long (`stays`);
/// - MUST-24 (keep-alive turned on per connection): a vector that turns it on;
/// - MUST-26 (keep-alive only when idle): the probe that waits for outstanding data;
/// - MUST-29 (an unanswered probe is not a dead connection): the unanswered-probe scenario;
/// - MUST-30 (the urgent mechanism): a vector that sends or expects an urgent pointer;
/// - MUST-32 (the application told of urgent data): `app: urgent`;
/// - MUST-47 (soft errors reported to the application): `app: unreachable` after an `icmp`
///   step, which with a host or network unreachable is also SHLD-25;
/// - MUST-54 (ICMP errors acted on, directed to their connection): an `icmp` step whose
///   effect the vector asserts (the application told, or the connection ended);
/// - MUST-56 (no abort on a soft error): a soft `icmp` step in a state the vector then
///   asserts the connection is still in;
/// - MUST-62 (the urgent pointer points to the first non-urgent octet): an expected segment
///   whose urgent pointer is named;
/// - SHLD-26 (abort on Destination Unreachable 2-4): a hard `icmp` step after which the
///   connection is CLOSED;
/// - MUST-61 (PSH on the last segment of a SEND): a vector that asserts PSH on the segment
///   carrying the octets of a SEND;
/// - MUST-65 (no MSS option without SYN): a vector that asserts the MSS option absent on its
///   segments without SYN;
/// - SHLD-2 (a RST may carry data): a RST with text;
/// - SHLD-12 (a probe carries no data): the answered-probe scenario;
/// - SHLD-31 (out-of-order segments are queued): the out-of-order scenario and every vector
///   whose tail depends on that choice (`out-of-order`).
pub fn vector_requirements(v: &Vector) -> Vec<String> {
    let mut ids = Vec::new();
    for cover in &v.covers {
        let (state, event) = cover.split_once(" x ").unwrap_or(("", cover.as_str()));
        let syn_only = event.starts_with("SYN seq") || event.starts_with("SYN+text seq");
        if (state == "SYN-SENT" && syn_only) || event == "simultaneous-open" {
            ids.push("MUST-10");
        }
        if state == "SYN-RECEIVED" && event.starts_with("RST") {
            ids.push("MUST-11");
        }
        if event == "TIME-WAIT timeout" || event == "time-wait-answers-retransmitted-fin" {
            ids.push("MUST-13");
        }
        if (state == "SYN-SENT" || state == "SYN-RECEIVED") && event == "retransmission timeout" {
            ids.push("MUST-22");
        }
        match event {
            "keepalive-probe-after-data" => ids.push("MUST-26"),
            "keepalive-probe-unanswered" => ids.push("MUST-29"),
            "keepalive-probe-answered" => ids.push("SHLD-12"),
            "text-out-of-order-then-gap" => ids.push("SHLD-31"),
            _ => {}
        }
        if event.starts_with("RST+text") || event.starts_with("RST+ACK+text") {
            ids.push("SHLD-2");
        }
    }
    let told = |s: &Step| {
        matches!(
            s,
            Step::App(
                AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut | AppEvent::EndOfStream
            )
        )
    };
    let steps_tell = v.steps.iter().any(|s| match s {
        Step::OneOf(o) => o.branches.iter().all(|b| b.steps.iter().any(told)),
        s => told(s),
    });
    if steps_tell {
        ids.push("MUST-12");
    }
    if v.options.keepalive.is_some() {
        ids.push("MUST-24");
    }
    let expects = || {
        v.steps.iter().filter_map(|s| match s {
            Step::Expect(p) => Some(p),
            _ => None,
        })
    };
    if v.steps.iter().any(|s| {
        matches!(s, Step::Stays(h) if h.state == TcpState::SynSent
            && h.until >= super::scenarios::SYN_GIVE_UP_MIN)
    }) {
        ids.push("MUST-23");
    }
    if expects().any(|p| p.len > 0 && p.flags.psh) {
        ids.push("MUST-61");
    }
    let no_mss = |p: &&tcp_vectors::SegmentPattern| {
        p.options
            .as_ref()
            .is_some_and(|o| o.mss == Some(OptionValue::Absent))
    };
    if expects().any(|p| !p.flags.syn) && expects().filter(|p| !p.flags.syn).all(|p| no_mss(&p)) {
        ids.push("MUST-65");
    }
    if v.steps
        .iter()
        .any(|s| matches!(s, Step::OneOf(o) if o.choice == "out-of-order"))
    {
        ids.push("SHLD-31");
    }
    ids.extend(urgent_requirements(v));
    ids.extend(icmp_requirements(v));
    let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    ids.sort_by_key(|id| sort_key(id));
    ids.dedup();
    ids
}

/// The urgent mechanism's requirements a vector checks (RFC 9293 section 3.8.5).
fn urgent_requirements(v: &Vector) -> Vec<&'static str> {
    let mut ids = Vec::new();
    let sends = v.steps.iter().any(|s| match s {
        Step::Send(spec) => spec.urg.is_some(),
        Step::Expect(p) => p.urg.is_some(),
        Step::Call(c) => matches!(c, Call::SendUrgent(_)),
        _ => false,
    });
    if sends {
        ids.push("MUST-30");
    }
    if v.steps.contains(&Step::App(AppEvent::Urgent)) {
        ids.push("MUST-32");
    }
    if v.steps
        .iter()
        .any(|s| matches!(s, Step::Expect(p) if p.urg.is_some()))
    {
        ids.push("MUST-62");
    }
    ids
}

/// The ICMP requirements a vector checks (RFC 9293 section 3.9.2.2, RFC 1122 4.2.3.9): from
/// each `icmp` step and the observations after it.
fn icmp_requirements(v: &Vector) -> Vec<&'static str> {
    let mut ids = Vec::new();
    let mut state = None;
    for (i, step) in v.steps.iter().enumerate() {
        let Step::Icmp(kind) = step else {
            if let Step::State(s) = step {
                state = Some(*s);
            }
            continue;
        };
        let after = &v.steps[i + 1..];
        let told = after.contains(&Step::App(AppEvent::Unreachable));
        let closed = after.contains(&Step::State(TcpState::Closed));
        let stays = state.is_some_and(|s| after.contains(&Step::State(s)) && s != TcpState::Closed);
        if told || closed {
            ids.push("MUST-54");
        }
        if kind.is_soft() {
            if told {
                ids.extend(["MUST-47", "SHLD-25"]);
            }
            if stays && !closed {
                ids.push("MUST-56");
            }
        } else if closed && *kind == IcmpKind::PortUnreachable {
            ids.push("SHLD-26");
        }
    }
    ids
}

/// Orders ids as the RFC does: the MUSTs by number, then the SHOULDs.
pub fn sort_key(id: &str) -> (bool, u32) {
    let (kind, n) = id.split_once('-').unwrap_or((id, "0"));
    (kind != "MUST", n.parse().unwrap_or(0))
}

/// What in the model stands for each connection-management requirement: the properties it
/// proves, the switches whose counterexamples show the requirement's purpose, the scenarios.
pub const MODEL_MAP: &[(&str, &str)] = &[
    (
        "MUST-8",
        "ISN clock (config::IsnClock); constant-isn switch breaks no_stale_segment_accepted",
    ),
    (
        "MUST-10",
        "simultaneous open in peer-to-peer; sometimes simultaneous_open; orderly_close holds",
    ),
    (
        "MUST-11",
        "SYN-RECEIVED returns to LISTEN (passive) or CLOSED (active) on RST; no_dirty_connection",
    ),
    (
        "MUST-12",
        "applications told reset / end of stream; no_unexplained_reset, orderly_close",
    ),
    (
        "MUST-13",
        "TIME-WAIT 2*MSL; no-time-wait and short-time-wait switches break \
         no_stale_segment_accepted and no_unexplained_reset",
    ),
    (
        "MUST-20",
        "R2: max_retries outlasts the loss budget; no_needless_timeout, retransmission_fired",
    ),
    (
        "MUST-22",
        "SYN and SYN,ACK retransmitted on the RTO like data; lost_handshake_ack",
    ),
    (
        "MUST-24",
        "keepalive per connection (idle-crash, middlebox); dead_peer_detected, \
         idle_connection_survives; no-keepalive switch",
    ),
    (
        "MUST-26",
        "probes only when nothing is outstanding (RFC 1122 4.2.3.6); keepalive_answered",
    ),
    (
        "MUST-28",
        "slow-keepalive switch: the long default does not keep a flow through a middlebox",
    ),
    (
        "MUST-29",
        "losses + 1 probes before giving up; dead_peer_detected under the loss budget",
    ),
];

/// The model's entry for requirement `id`, if it has one.
pub fn model_covers(id: &str) -> Option<&'static str> {
    MODEL_MAP
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, what)| *what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_named_is_in_rfc_9293_appendix_b() {
        for (id, _) in MODEL_MAP {
            assert!(tcp_vectors::requirements::requirement(id).is_some(), "{id}");
        }
    }

    #[test]
    fn ids_sort_as_the_rfc_lists_them() {
        let mut ids = vec!["SHLD-2", "MUST-13", "MUST-2", "SHLD-12"];
        ids.sort_by_key(|id| sort_key(id));
        assert_eq!(ids, ["MUST-2", "MUST-13", "SHLD-2", "SHLD-12"]);
    }

    #[test]
    fn the_urgent_and_icmp_scenarios_name_what_their_steps_check() {
        let vectors = crate::generate::scenarios::scenarios().expect("scenarios");
        let named = |id: &str| {
            vectors
                .iter()
                .find(|v| v.id == id)
                .unwrap_or_else(|| panic!("{id}"))
                .requirements
                .clone()
        };
        assert_eq!(
            named("scenario/urgent-data-received"),
            ["MUST-30", "MUST-32"]
        );
        assert_eq!(named("scenario/urgent-data-sent"), ["MUST-30", "MUST-62"]);
        assert_eq!(
            named("scenario/icmp-port-unreachable-in-syn-sent"),
            ["MUST-12", "MUST-54", "SHLD-26"]
        );
        assert_eq!(
            named("scenario/icmp-host-unreachable-in-syn-sent"),
            ["MUST-56"]
        );
        assert_eq!(
            named("scenario/icmp-host-unreachable-in-established"),
            ["MUST-47", "MUST-54", "MUST-56", "SHLD-25"]
        );
        // A soft error after which the connection is CLOSED shows no MUST-56.
        let mut aborted = vectors
            .iter()
            .find(|v| v.id == "scenario/icmp-host-unreachable-in-syn-sent")
            .expect("vector")
            .clone();
        aborted.steps.push(Step::State(TcpState::Closed));
        assert!(!vector_requirements(&aborted).contains(&"MUST-56".to_string()));
    }
}
