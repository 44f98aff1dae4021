//! RFC 9293 Appendix B, "TCP Requirement Summary": every MUST and SHOULD with its id, in the
//! RFC's order, paraphrased in one line. Vectors name the ids they check (`requirements:`),
//! and `tcpspec coverage --rfc` prints the table with what checks each one.

/// One requirement of RFC 9293 Appendix B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Its id, `MUST-n` or `SHLD-n` (the RFC's own labels).
    pub id: &'static str,
    /// What it requires, in one line.
    pub text: &'static str,
}

/// Every MUST and SHOULD of RFC 9293 Appendix B (69 MUSTs, 31 SHOULDs).
pub const RFC9293: &[Requirement] = &[
    Requirement {
        id: "MUST-1",
        text: "Treat the window as an unsigned number",
    },
    Requirement {
        id: "MUST-2",
        text: "The sender computes the checksum",
    },
    Requirement {
        id: "MUST-3",
        text: "The receiver checks the checksum",
    },
    Requirement {
        id: "MUST-4",
        text: "Support the mandatory options (EOL, NOP, MSS)",
    },
    Requirement {
        id: "MUST-5",
        text: "Receive a TCP option in any segment",
    },
    Requirement {
        id: "MUST-6",
        text: "Ignore options not implemented",
    },
    Requirement {
        id: "MUST-7",
        text: "Cope with an illegal option length",
    },
    Requirement {
        id: "MUST-8",
        text: "A clock-driven ISN generator",
    },
    Requirement {
        id: "MUST-9",
        text: "The ISN's function is not computable from outside (MUST NOT)",
    },
    Requirement {
        id: "MUST-10",
        text: "Support simultaneous open",
    },
    Requirement {
        id: "MUST-11",
        text: "SYN-RECEIVED remembers a passive or an active OPEN",
    },
    Requirement {
        id: "MUST-12",
        text: "Tell the application whether the connection closed normally or was aborted",
    },
    Requirement {
        id: "MUST-13",
        text: "TIME-WAIT lasts 2 MSL",
    },
    Requirement {
        id: "MUST-14",
        text: "Send and receive the MSS option",
    },
    Requirement {
        id: "MUST-15",
        text: "Default send MSS: 536 (IPv4), 1220 (IPv6)",
    },
    Requirement {
        id: "MUST-16",
        text: "The effective send MSS is the smaller of the peer's MSS and what IP can send",
    },
    Requirement {
        id: "MUST-17",
        text: "The application can disable Nagle per connection",
    },
    Requirement {
        id: "MUST-18",
        text: "Karn's algorithm",
    },
    Requirement {
        id: "MUST-19",
        text: "Exponential backoff, slow start, congestion avoidance",
    },
    Requirement {
        id: "MUST-20",
        text: "Negative advice to IP at R1 retransmissions; close at R2",
    },
    Requirement {
        id: "MUST-21",
        text: "The application can set R2 per connection",
    },
    Requirement {
        id: "MUST-22",
        text: "SYN retransmissions handled the same way, the application told",
    },
    Requirement {
        id: "MUST-23",
        text: "R2 for a SYN: at least three minutes of retransmission",
    },
    Requirement {
        id: "MUST-24",
        text: "The application can turn keep-alives on or off per connection",
    },
    Requirement {
        id: "MUST-25",
        text: "Keep-alives default to off",
    },
    Requirement {
        id: "MUST-26",
        text: "Keep-alives only on an idle connection (nothing outstanding, nothing heard)",
    },
    Requirement {
        id: "MUST-27",
        text: "The keep-alive interval is configurable",
    },
    Requirement {
        id: "MUST-28",
        text: "The keep-alive interval defaults to at least two hours",
    },
    Requirement {
        id: "MUST-29",
        text: "One unanswered probe is not a dead connection",
    },
    Requirement {
        id: "MUST-30",
        text: "Support the urgent mechanism",
    },
    Requirement {
        id: "MUST-31",
        text: "Urgent data of any length",
    },
    Requirement {
        id: "MUST-32",
        text: "Tell the application asynchronously of urgent data and of the pointer's advance",
    },
    Requirement {
        id: "MUST-33",
        text: "The application can learn how much urgent data is left",
    },
    Requirement {
        id: "MUST-34",
        text: "Robust against a shrinking window",
    },
    Requirement {
        id: "MUST-35",
        text: "Probe a zero window the standard way",
    },
    Requirement {
        id: "MUST-36",
        text: "The sender probes a zero window",
    },
    Requirement {
        id: "MUST-37",
        text: "A window may stay zero indefinitely while probes are answered",
    },
    Requirement {
        id: "MUST-38",
        text: "Sender SWS avoidance",
    },
    Requirement {
        id: "MUST-39",
        text: "Receiver SWS avoidance",
    },
    Requirement {
        id: "MUST-40",
        text: "An ACK is delayed less than 0.5 s",
    },
    Requirement {
        id: "MUST-41",
        text: "A passive OPEN affects no existing record (MUST NOT)",
    },
    Requirement {
        id: "MUST-42",
        text: "LISTEN on a port while a connection with that local port is opening",
    },
    Requirement {
        id: "MUST-43",
        text: "OPEN takes an optional local IP address",
    },
    Requirement {
        id: "MUST-44",
        text: "Ask IP for a source address when OPEN gives none",
    },
    Requirement {
        id: "MUST-45",
        text: "Otherwise use the connection's local address",
    },
    Requirement {
        id: "MUST-46",
        text: "Reject an OPEN to a broadcast or multicast address",
    },
    Requirement {
        id: "MUST-47",
        text: "A mechanism to report soft errors to the application",
    },
    Requirement {
        id: "MUST-48",
        text: "The application specifies the Diffserv field of its segments",
    },
    Requirement {
        id: "MUST-49",
        text: "The TTL is configurable",
    },
    Requirement {
        id: "MUST-50",
        text: "Ignore IP options TCP does not understand",
    },
    Requirement {
        id: "MUST-51",
        text: "The application can give a source route at an active OPEN",
    },
    Requirement {
        id: "MUST-52",
        text: "The application's source route overrides a received one",
    },
    Requirement {
        id: "MUST-53",
        text: "Save a received source route and answer along it",
    },
    Requirement {
        id: "MUST-54",
        text: "Act on ICMP errors, directed to the connection that caused them",
    },
    Requirement {
        id: "MUST-55",
        text: "Silently discard Source Quench",
    },
    Requirement {
        id: "MUST-56",
        text: "No abort on a soft error: Destination Unreachable 0, 1, 5, Time Exceeded, Parameter Problem (MUST NOT)",
    },
    Requirement {
        id: "MUST-57",
        text: "Silently discard a segment to a broadcast or multicast address",
    },
    Requirement {
        id: "MUST-58",
        text: "Aggregate ACKs whenever possible",
    },
    Requirement {
        id: "MUST-59",
        text: "Process all queued segments before sending an ACK",
    },
    Requirement {
        id: "MUST-60",
        text: "Without a PUSH flag on SEND, never buffer data indefinitely (MUST NOT)",
    },
    Requirement {
        id: "MUST-61",
        text: "Without a PUSH flag on SEND, PSH on the last buffered segment",
    },
    Requirement {
        id: "MUST-62",
        text: "The urgent pointer points to the first non-urgent octet",
    },
    Requirement {
        id: "MUST-63",
        text: "Ignore a SYN from an invalid source address",
    },
    Requirement {
        id: "MUST-64",
        text: "Process options wherever they begin",
    },
    Requirement {
        id: "MUST-65",
        text: "No MSS option on a segment without SYN (MUST NOT)",
    },
    Requirement {
        id: "MUST-66",
        text: "Process RST and URG even with a zero window",
    },
    Requirement {
        id: "MUST-67",
        text: "The MSS sent is based on MMS_R",
    },
    Requirement {
        id: "MUST-68",
        text: "Every option but EOL and NOP has a length",
    },
    Requirement {
        id: "MUST-69",
        text: "The header after an EOL is zero padding",
    },
    Requirement {
        id: "SHLD-1",
        text: "A secure ISN generator with a pseudorandom function",
    },
    Requirement {
        id: "SHLD-2",
        text: "A RST may carry data",
    },
    Requirement {
        id: "SHLD-3",
        text: "A RST shows data lost at a half-duplex close",
    },
    Requirement {
        id: "SHLD-4",
        text: "Timestamps to reduce TIME-WAIT",
    },
    Requirement {
        id: "SHLD-5",
        text: "Send the MSS option unless it is the default",
    },
    Requirement {
        id: "SHLD-6",
        text: "The MSS accounts for a varying MTU",
    },
    Requirement {
        id: "SHLD-7",
        text: "The Nagle algorithm",
    },
    Requirement {
        id: "SHLD-8",
        text: "Support ECN",
    },
    Requirement {
        id: "SHLD-9",
        text: "Tell the application at R1, before R2",
    },
    Requirement {
        id: "SHLD-10",
        text: "R1 of at least 3 retransmissions",
    },
    Requirement {
        id: "SHLD-11",
        text: "R2 of at least 100 s",
    },
    Requirement {
        id: "SHLD-12",
        text: "Keep-alives carry no data",
    },
    Requirement {
        id: "SHLD-13",
        text: "Applications do not use the urgent mechanism (SHOULD NOT)",
    },
    Requirement {
        id: "SHLD-14",
        text: "The receiver does not shrink the window (SHOULD NOT)",
    },
    Requirement {
        id: "SHLD-15",
        text: "No new data when the window shrinks (SHOULD NOT)",
    },
    Requirement {
        id: "SHLD-16",
        text: "Retransmit old unacknowledged data within the window",
    },
    Requirement {
        id: "SHLD-17",
        text: "No time-out for data past the right window edge (SHOULD NOT)",
    },
    Requirement {
        id: "SHLD-18",
        text: "Delayed ACKs",
    },
    Requirement {
        id: "SHLD-19",
        text: "An ACK at least every second full-sized segment",
    },
    Requirement {
        id: "SHLD-20",
        text: "The application can turn error reports off",
    },
    Requirement {
        id: "SHLD-21",
        text: "The application can change the Diffserv field during the connection",
    },
    Requirement {
        id: "SHLD-22",
        text: "The Diffserv field goes to IP unchanged",
    },
    Requirement {
        id: "SHLD-23",
        text: "Applications do not change the Diffserv field during a connection (SHOULD NOT)",
    },
    Requirement {
        id: "SHLD-24",
        text: "A later source route overrides an earlier one",
    },
    Requirement {
        id: "SHLD-25",
        text: "Tell the application of Destination Unreachable 0, 1, 5",
    },
    Requirement {
        id: "SHLD-26",
        text: "Abort the connection on Destination Unreachable 2-4",
    },
    Requirement {
        id: "SHLD-27",
        text: "The sender collapses successive PSH bits",
    },
    Requirement {
        id: "SHLD-28",
        text: "Full-sized segments whenever possible",
    },
    Requirement {
        id: "SHLD-29",
        text: "The first zero-window probe after an RTO",
    },
    Requirement {
        id: "SHLD-30",
        text: "Exponential backoff of zero-window probes",
    },
    Requirement {
        id: "SHLD-31",
        text: "Queue out-of-order segments",
    },
];

/// The requirement with this id, if RFC 9293 Appendix B has it.
pub fn requirement(id: &str) -> Option<&'static Requirement> {
    RFC9293.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_69_musts_and_31_shoulds_in_order() {
        let count = |p: &str| RFC9293.iter().filter(|r| r.id.starts_with(p)).count();
        assert_eq!((count("MUST-"), count("SHLD-")), (69, 31));
        for (prefix, n) in [("MUST-", 69), ("SHLD-", 31)] {
            for k in 1..=n {
                assert!(
                    requirement(&format!("{prefix}{k}")).is_some(),
                    "{prefix}{k}"
                );
            }
        }
        assert!(requirement("MUST-70").is_none());
    }
}
