//! What happens in a conversation besides segments: how the target opens, the calls its
//! application makes, what its application is told, and its timers.

use serde::{Deserialize, Serialize};

/// How the target opens its side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The target calls `connect()`; the peer plays the server.
    Active,
    /// The target calls `listen()`; the peer plays the client.
    Passive,
}

/// A call the target's application makes (RFC 9293 section 3.10 user interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Active OPEN (section 3.10.1): `connect()`.
    Connect,
    /// Passive OPEN (section 3.10.1): `listen()`.
    Listen,
    /// Take the established connection from the listen queue: `accept()`.
    Accept,
    /// SEND (section 3.10.2) of this many bytes: `send()`.
    Send(u32),
    /// SEND of this many bytes with the URGENT flag (section 3.8.5, 3.10.2): the urgent data
    /// ends after the last of them; `send(MSG_OOB)`.
    SendUrgent(u32),
    /// RECEIVE (section 3.10.3) of up to this many bytes: `recv()`.
    Receive(u32),
    /// CLOSE (section 3.10.4): no more data will be sent; `shutdown(SHUT_WR)`.
    Close,
    /// ABORT (section 3.10.5): `SO_LINGER` 0 then `close()`.
    Abort,
}

/// What the target's application is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppEvent {
    /// The connection is established (`connect()` completes, `accept()` returns).
    Connected,
    /// This many bytes are readable.
    Data(u32),
    /// End of stream: the peer's FIN was received and all data before it read.
    EndOfStream,
    /// The connection was reset (`ECONNRESET`).
    Reset,
    /// The connection was refused (RST in SYN-SENT, `ECONNREFUSED`).
    Refused,
    /// The connection timed out (retransmission or keepalive gave up, `ETIMEDOUT`).
    TimedOut,
    /// Urgent data arrived (RFC 9293 section 3.8.5, MUST-32: the application is told
    /// asynchronously; `poll()` reports `POLLPRI`). Checked before the urgent octets are read.
    Urgent,
    /// An ICMP error that does not end the connection was reported (RFC 9293 section 3.9.2.2,
    /// MUST-47, SHLD-25: a soft error such as Destination Unreachable, host; `SO_ERROR` gives
    /// `EHOSTUNREACH` or `ENETUNREACH`).
    Unreachable,
}

/// An ICMP or ICMPv6 error the peer's side of the network sends to the target about the
/// target's last segment (RFC 9293 section 3.9.2.2, RFC 1122 section 4.2.3.9, RFC 5927).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IcmpKind {
    /// Destination Unreachable, port (ICMP type 3 code 3, ICMPv6 type 1 code 4), from the
    /// peer's host: a hard error (RFC 1122 4.2.3.9: SHOULD abort the connection, SHLD-26).
    PortUnreachable,
    /// Destination Unreachable, host (ICMP type 3 code 1, ICMPv6 type 1 code 3, address
    /// unreachable), from a router: a soft error (MUST-56: MUST NOT abort).
    HostUnreachable,
}

impl IcmpKind {
    /// Whether RFC 1122 section 4.2.3.9 counts the error as soft (MUST-56: no abort).
    pub fn is_soft(self) -> bool {
        matches!(self, IcmpKind::HostUnreachable)
    }
}

/// A timer of the target (RFC 9293 section 3.8.1, RFC 1122 section 4.2.3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimerKind {
    /// Retransmission timeout (RFC 6298).
    Retransmission,
    /// The 2*MSL TIME-WAIT timeout.
    TimeWait,
    /// The keepalive idle or probe interval.
    Keepalive,
}
