//! The conformance vector schema (version [`SCHEMA_VERSION`]) and the TCP vocabulary that the
//! model writes and the replayer reads: connection states, flags, calls, application events,
//! timers, symbolic sequence numbers, segment patterns, and the rule that ties a vector's id to
//! its file ([`path`]).
//!
//! A vector is a scripted conversation between a *target* (the TCP implementation under test,
//! driven through its socket API) and a *peer* played by the replayer. Numbers are symbolic:
//! `iss` is the target's initial send sequence number (learned from its first SYN or SYN+ACK),
//! `irs` is the peer's initial sequence number (chosen by the replayer), and `wnd` is the last
//! receive window the target advertised. `vectors/README.md` describes the schema in prose.
//!
//! The text form has one step per line, like a packetdrill script ([`Vector::to_yaml`]):
//!
//! ```yaml
//! version: 2
//! id: established/active/rst-seq-exact
//! covers: [ESTABLISHED x RST seq exact]
//! role: active
//! steps:
//!   - call: connect
//!   - expect: {flags: S, seq: iss}
//!   - state: SYN-SENT
//!   - send: {flags: SA, seq: irs, ack: iss+1}
//!   - expect: {flags: A, seq: iss+1, ack: irs+1}
//!   - app: connected
//!   - state: ESTABLISHED
//!   # event under test
//!   - send: {flags: R, seq: irs+1}
//!   - app: reset
//!   - state: CLOSED
//!   - quiet: 50ms
//! ```

#![warn(missing_docs)]

/// Serialize a type through its `Display` and deserialize it through its `FromStr`, accepting
/// a YAML number where the text is one (`0`, `64240`).
macro_rules! text_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = <serde_yaml::Value as serde::Deserialize>::deserialize(d)?;
                let text = match v {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Number(n) => n.to_string(),
                    other => {
                        return Err(serde::de::Error::custom(format!(
                            "expected a string, found {other:?}"
                        )))
                    }
                };
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_serde;

mod error;
mod events;
mod flags;
mod millis;
pub mod packetdrill;
pub mod path;
mod pattern;
pub mod requirements;
mod schema;
mod seq;
mod state;
mod yaml;

pub use error::{ParseError, VectorError};
pub use events::{AppEvent, Call, IcmpKind, Role, TimerKind};
pub use flags::Flags;
pub use millis::Millis;
pub use pattern::{OptionValue, OptionsPattern, SegmentPattern, SegmentSpec, WindowPattern};
pub use schema::{
    Branch, Keepalive, OneOf, SocketOptions, Stays, Step, Vector, LONG, SCHEMA_VERSION,
};
pub use seq::{SeqExpr, SeqVar};
pub use state::TcpState;
pub use yaml::EVENT_MARKER;
