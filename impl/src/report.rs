//! Asynchronous reports to the application (RFC 9293 section 3.9.1.8, the ERROR_REPORT
//! upcall): what happened to a connection without being the answer to a call: ICMP errors,
//! excessive retransmission, urgent data. A connection
//! queues them until the application takes them ([`crate::Stack::next_report`]); the
//! application may turn them off ([`crate::Stack::set_reports`], SHLD-20).

use crate::wire::IcmpError;

/// Reports a connection keeps for the application; when more arrive, the oldest are dropped
/// (and counted in [`crate::Stats::reports_dropped`]).
pub const MAX_REPORTS: usize = 32;

/// One asynchronous report (RFC 9293 section 3.9.1.8: "ICMP error message arrived",
/// "excessive retransmissions", "urgent pointer advance").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// An ICMP or ICMPv6 error about the connection that did not end it: a soft error, or a
    /// hard one in a synchronized state (RFC 9293 3.9.2.2, MUST-47, SHLD-25; RFC 5927 5.2).
    Icmp(IcmpError),
    /// The same segment was retransmitted R1 times (RFC 9293 section 3.8.3 (b), (e)): the
    /// path may be failing. Negative advice was passed to the IP layer; the connection goes
    /// on until R2.
    ExcessiveRetransmissions {
        /// Retransmissions of that segment so far (R1).
        retransmissions: u32,
        /// The segment is our SYN or SYN,ACK (RFC 9293 3.8.3: SYNs are handled the same way).
        syn: bool,
    },
    /// Urgent data (RFC 9293 3.8.5, MUST-32): the peer's urgent pointer arrived while none
    /// was pending, or moved on. The next `pending` octets the application reads (some may
    /// not have arrived yet) are urgent data; [`crate::Stack::recv`] stops at the end of
    /// them.
    Urgent {
        /// Urgent octets left to read (as [`crate::ConnectionInfo::urgent`]).
        pending: usize,
    },
}

/// The retransmission thresholds of one connection (RFC 9293 section 3.8.3), counted in
/// retransmissions of the same segment (3.8.3 (a) allows a count; the RTO and its backoff
/// convert it to time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retries {
    /// R1: at this many retransmissions negative advice is passed to the IP layer and the
    /// application gets [`Report::ExcessiveRetransmissions`] (SHLD-10: at least 3).
    pub r1: u32,
    /// R2 for data and FIN segments: after this many retransmissions the connection closes
    /// with [`crate::TcpError::TimedOut`]. `u32::MAX` never gives up (3.8.3 (d):
    /// "infinity").
    pub r2: u32,
    /// R2 for a SYN or SYN,ACK.
    pub syn_r2: u32,
}
