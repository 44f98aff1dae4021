//! The exec protocol: JSON lines between the replayer and a stack running as a process
//! (`--target exec:PROGRAM`). Documented in `conformance/README.md`, section *The exec
//! protocol*.
//!
//! The process owns a TUN device that the replayer created in its namespace and handed over
//! (environment `TCPSPEC_TUN_FD`: an inherited fd, one IP packet per `read`/`write`;
//! `TCPSPEC_TUN_NAME`: its name). It first writes a [`Hello`] line; then, for every
//! [`Request`] line on its standard input, it writes exactly one [`Reply`] line on its
//! standard output. At the end of its input it ends the replay and exits.

use crate::stack::SockError;
use crate::timing::TimerProfile;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;
use tcp_vectors::Keepalive;

/// The protocol's name and version, the first field of [`Hello`].
pub const PROTOCOL: &str = "tcpspec-exec/1";

/// Environment variable: the number of the inherited TUN fd.
pub const ENV_TUN_FD: &str = "TCPSPEC_TUN_FD";

/// Environment variable: the name of the TUN device.
pub const ENV_TUN_NAME: &str = "TCPSPEC_TUN_NAME";

/// The process's first line: who it is and its timers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// Always [`PROTOCOL`].
    pub protocol: String,
    /// The stack's name and version, for reports (`smoltcp 0.14.0`).
    pub stack: String,
    /// The stack's timers, which set every wait of a replay.
    pub timers: Timers,
}

/// [`TimerProfile`] in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timers {
    /// Bound on an immediate reply.
    pub response_ms: u64,
    /// How long the wire is watched before the stack is asked whether anything can come.
    pub settle_ms: u64,
    /// Longest delay of a pure ACK.
    pub delayed_ack_max_ms: u64,
    /// Initial retransmission timeout.
    pub rto_initial_ms: u64,
    /// Smallest retransmission timeout.
    pub rto_min_ms: u64,
    /// Largest retransmission timeout.
    pub rto_max_ms: u64,
    /// TIME-WAIT length.
    pub time_wait_ms: u64,
    /// How early a timer may appear to fire.
    pub granularity_ms: u64,
    /// The period of a stack whose timers fire on a periodic tick (0: exact timers).
    #[serde(default)]
    pub tick_ms: u64,
}

impl From<&TimerProfile> for Timers {
    fn from(t: &TimerProfile) -> Self {
        let ms = |d: Duration| d.as_millis() as u64;
        Timers {
            response_ms: ms(t.response),
            settle_ms: ms(t.settle),
            delayed_ack_max_ms: ms(t.delayed_ack_max),
            rto_initial_ms: ms(t.rto_initial),
            rto_min_ms: ms(t.rto_min),
            rto_max_ms: ms(t.rto_max),
            time_wait_ms: ms(t.time_wait),
            granularity_ms: ms(t.granularity),
            tick_ms: ms(t.tick),
        }
    }
}

impl From<&Timers> for TimerProfile {
    fn from(t: &Timers) -> Self {
        let d = Duration::from_millis;
        TimerProfile {
            response: d(t.response_ms),
            settle: d(t.settle_ms),
            delayed_ack_max: d(t.delayed_ack_max_ms),
            rto_initial: d(t.rto_initial_ms),
            rto_min: d(t.rto_min_ms),
            rto_max: d(t.rto_max_ms),
            time_wait: d(t.time_wait_ms),
            granularity: d(t.granularity_ms),
            tick: d(t.tick_ms),
        }
    }
}

/// One request line. Calls never block: one that would returns the error `EAGAIN`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Start a replay: the target's and the peer's address, and keepalive for the connection
    /// made or accepted. Reply: `null`.
    Begin {
        /// The stack's address and port.
        target: SocketAddr,
        /// The peer's (the replayer's).
        peer: SocketAddr,
        /// Keepalive options (RFC 1122 4.2.3.6), if the vector sets them.
        keepalive: Option<Keepalive>,
    },
    /// Active OPEN from `target` to `peer`. Reply: `null`.
    Connect,
    /// Passive OPEN on `target`. Reply: `null`.
    Listen,
    /// Take an established connection from the listener (`EAGAIN` while none). Reply: `null`.
    Accept,
    /// Close the listener. Reply: `null`.
    Unlisten,
    /// SEND: `data` in hexadecimal. Reply: the number of bytes taken.
    Send {
        /// The bytes, hex.
        data: String,
    },
    /// RECEIVE up to `max` bytes. Reply: the bytes in hexadecimal; `""` is the end of the
    /// stream (nothing to read is `EAGAIN`).
    Recv {
        /// At most this many bytes.
        max: usize,
    },
    /// CLOSE as `shutdown(SHUT_WR)`. Reply: `null`.
    Shutdown,
    /// ABORT the connection. Reply: `null`.
    Abort,
    /// What could be read now. Reply: `{"bytes": n, "eof": bool}` (or the connection's error).
    Readable,
    /// The connection's error not yet reported, taken. Reply: an errno name or `null`.
    TakeError,
    /// Whether the connection is established. Reply: `true` or `false`.
    Connected,
    /// The RFC 9293 state of the replay's 4-tuple (`"SYN-RECEIVED"`), `null` for none.
    State,
    /// TCP packets read from the TUN device and processed so far. Reply: a number.
    Processed,
    /// Reply: `{"tx_packets": n, "next_timer_us": n | null}`: packets written to the TUN
    /// device so far and the time until the stack's earliest timer, read at one instant.
    Timing,
    /// End the replay: abort the connection, close the listener. Reply: `null`.
    End,
}

impl Request {
    /// Parse one request line, refusing unknown ops and unknown fields. (serde's
    /// `deny_unknown_fields` does not reach the unit variants of an internally tagged enum:
    /// `{"op":"connect","extra":1}` would parse, so the line's keys are checked against the
    /// request's own.)
    pub fn parse_line(line: &str) -> Result<Request, String> {
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let request: Request = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let known = serde_json::to_value(&request).map_err(|e| e.to_string())?;
        if let (Some(given), Some(known)) = (value.as_object(), known.as_object()) {
            if let Some(extra) = given.keys().find(|k| !known.contains_key(*k)) {
                return Err(format!("unknown field `{extra}`"));
            }
        }
        Ok(request)
    }
}

/// One reply line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// The call succeeded; its value.
    Ok(serde_json::Value),
    /// The call failed with this errno name (`EAGAIN`, `ECONNRESET`, `ECONNREFUSED`,
    /// `ETIMEDOUT`, `EPIPE`, `ENOTCONN`, `EHOSTUNREACH`, or any other).
    Err(String),
    /// The request could not be understood or the stack failed; the replay fails with this.
    Fatal(String),
}

/// The socket error of an errno name.
pub fn sock_error(name: &str) -> SockError {
    match name {
        "EAGAIN" => SockError::WouldBlock,
        "ECONNRESET" => SockError::Reset,
        "ECONNREFUSED" => SockError::Refused,
        "ETIMEDOUT" => SockError::TimedOut,
        "EPIPE" => SockError::Pipe,
        "ENOTCONN" => SockError::NotConnected,
        "EHOSTUNREACH" | "ENETUNREACH" => SockError::Unreachable,
        other => SockError::Other(other.to_string()),
    }
}

/// Bytes as lowercase hexadecimal.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hexadecimal as bytes; the error names the first bad position.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("hex data of odd length {}", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex digits at offset {i}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_are_the_documented_lines() {
        let r = Request::parse_line(
            r#"{"op":"begin","target":"192.0.2.1:10001","peer":"192.0.2.2:40001","keepalive":null}"#,
        )
        .expect("begin parses");
        assert!(matches!(r, Request::Begin { .. }));
        let r = Request::parse_line(
            r#"{"op":"begin","target":"[2001:db8::1]:10001","peer":"[2001:db8::2]:40001","keepalive":{"idle_s":1,"interval_s":1,"count":2}}"#,
        )
        .expect("begin over IPv6 with keepalive parses");
        assert!(matches!(
            r,
            Request::Begin {
                keepalive: Some(_),
                ..
            }
        ));
        assert_eq!(
            Request::parse_line(r#"{"op":"send","data":"0001"}"#),
            Ok(Request::Send {
                data: "0001".into()
            })
        );
        assert_eq!(
            serde_json::to_string(&Request::Recv { max: 2 }).expect("serializes"),
            r#"{"op":"recv","max":2}"#
        );
        assert_eq!(
            serde_json::to_string(&Reply::Err("EAGAIN".into())).expect("serializes"),
            r#"{"err":"EAGAIN"}"#
        );
        assert_eq!(
            Request::parse_line(r#"{"op":"connect","extra":1}"#),
            Err("unknown field `extra`".into()),
            "unknown fields of a unit request are refused"
        );
        assert!(
            Request::parse_line(r#"{"op":"recv","max":2,"more":true}"#).is_err(),
            "unknown fields of a request with fields are refused"
        );
        assert!(Request::parse_line(r#"{"op":"fly"}"#).is_err());
        assert!(Request::parse_line("not json").is_err());
    }

    #[test]
    fn hex_round_trips_and_names_bad_input() {
        assert_eq!(unhex(&hex(&[0, 1, 0xab])), Ok(vec![0, 1, 0xab]));
        assert_eq!(unhex("abc"), Err("hex data of odd length 3".into()));
        assert_eq!(unhex("zz"), Err("bad hex digits at offset 0".into()));
        assert_eq!(sock_error("ECONNRESET"), SockError::Reset);
        assert_eq!(sock_error("EINVAL"), SockError::Other("EINVAL".into()));
    }
}
