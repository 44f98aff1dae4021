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
