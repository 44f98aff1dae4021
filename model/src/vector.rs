//! The conformance test vector schema (version [`SCHEMA_VERSION`]).
//!
//! A vector is a scripted conversation between a *target* (the TCP implementation under test,
//! driven through its socket API) and a *peer* played by the replayer. Numbers are symbolic:
//! `iss` is the target's initial send sequence number (learned from its first SYN or SYN+ACK),
//! `irs` is the peer's initial sequence number (chosen by the replayer), and `wnd` is the last
//! receive window the target advertised. See `vectors/README.md` for the prose description.
//!
//! The YAML form is the one in `../shared/DESIGN.md`:
//!
//! ```yaml
//! version: 1
//! id: syn-sent/rcv-syn-ack/acceptable
//! covers: [SYN-SENT x SYN+ACK (acceptable ack)]
//! role: active
//! steps:
//!   - call: connect
//!   - expect: { flags: S, seq: iss }
//!   - send: { flags: SA, seq: irs, ack: iss+1 }
//!   - expect: { flags: A, seq: iss+1, ack: irs+1 }
//!   - state: ESTABLISHED
//!   - quiet: 50ms
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The version of the schema written by this crate; a loader rejects other versions.
pub const SCHEMA_VERSION: u32 = 1;

/// One test vector: a scripted conversation with a target TCP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Schema version; must equal [`SCHEMA_VERSION`].
    pub version: u32,
    /// Unique identifier, also the file name (with `/` replaced by `__`) under `vectors/`.
    pub id: String,
    /// The RFC 9293 state x event cells (or named scenarios) this vector covers.
    pub covers: Vec<String>,
    /// Whether the target opens actively (`connect`) or passively (`listen`).
    pub role: Role,
    /// Socket options the replayer sets on the target before the first call.
    #[serde(default, skip_serializing_if = "SocketOptions::is_default")]
    pub options: SocketOptions,
    /// One-line human description of what the vector checks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The script, executed in order.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    pub steps: Vec<Step>,
}

/// How the target opens its side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The target calls `connect()`; the peer plays the server.
    Active,
    /// The target calls `listen()`; the peer plays the client.
    Passive,
}

/// Socket options set on the target before the first call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocketOptions {
    /// TCP keepalive (RFC 1122 section 4.2.3.6), if enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Keepalive>,
}

impl SocketOptions {
    /// True when no option is set (used to omit the field when serializing).
    pub fn is_default(&self) -> bool {
        self == &SocketOptions::default()
    }
}

/// Keepalive parameters (Linux: `SO_KEEPALIVE`, `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    /// Idle time before the first probe, in seconds.
    pub idle_s: u32,
    /// Interval between unanswered probes, in seconds.
    pub interval_s: u32,
    /// Number of unanswered probes after which the connection is dropped.
    pub count: u32,
}

/// One step of a vector's script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The target's application makes a call on its socket.
    Call(Call),
    /// The target must send exactly this segment next (within the timer tolerance).
    Expect(SegmentPattern),
    /// The RFC allows several behaviours: the target must do exactly one of these sequences of
    /// segments. An empty alternative means "send nothing" (checked over a quiet window).
    ExpectOneOf(Vec<Vec<SegmentPattern>>),
    /// The peer (replayer) sends this segment to the target.
    Send(SegmentSpec),
    /// The target's connection must now be in this RFC 9293 state.
    State(TcpState),
    /// The target's connection must be in one of these states (RFC allows several).
    StateOneOf(Vec<TcpState>),
    /// The target's application must observe this event.
    App(AppEvent),
    /// The named timer of the target is expected to expire next: the replayer lets time pass,
    /// waiting for the following `expect`/`state` for as long as the target's timer needs.
    Timer(TimerKind),
    /// The target must send nothing for this long.
    Quiet(Millis),
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

/// A segment the peer sends. Unnamed fields take the replayer's default (window: a fixed
/// documented value; no options beyond what the role needs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// Control flags, e.g. `SA` for SYN+ACK (see [`Flags`]).
    pub flags: Flags,
    /// Sequence number.
    pub seq: SeqExpr,
    /// Acknowledgment number; required when `flags` has `A`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<SeqExpr>,
    /// Payload length in bytes (the replayer fills the payload with a known pattern).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub len: u32,
}

/// A segment the target must send. Only the named fields are compared; `len` is always
/// compared (default 0). PSH, URG, ECE and CWR are ignored unless present in `flags`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentPattern {
    /// Control flags (SYN, ACK, FIN, RST compared exactly).
    pub flags: Flags,
    /// Expected sequence number, if constrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<SeqExpr>,
    /// Expected acknowledgment number, if constrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<SeqExpr>,
    /// Expected payload length.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub len: u32,
    /// Expected window field (as sent, unscaled), if constrained: `64240` or `">= 1024"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowPattern>,
    /// Expected TCP options, if constrained (only the named ones are compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<OptionsPattern>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A constraint on the window field of a segment (RFC 9293 section 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowPattern {
    /// Exactly this value.
    Exactly(u16),
    /// This value or more (`>= N`).
    AtLeast(u16),
}

impl WindowPattern {
    /// Whether a window field satisfies the constraint.
    pub fn allows(self, window: u16) -> bool {
        match self {
            WindowPattern::Exactly(w) => window == w,
            WindowPattern::AtLeast(w) => window >= w,
        }
    }
}

impl fmt::Display for WindowPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowPattern::Exactly(w) => write!(f, "{w}"),
            WindowPattern::AtLeast(w) => write!(f, ">= {w}"),
        }
    }
}

impl FromStr for WindowPattern {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            ParseError(format!(
                "bad window {s:?}: expected e.g. `64240` or `>= 1024`"
            ))
        };
        match s.trim().strip_prefix(">=") {
            Some(n) => n
                .trim()
                .parse()
                .map(WindowPattern::AtLeast)
                .map_err(|_| bad()),
            None => s
                .trim()
                .parse()
                .map(WindowPattern::Exactly)
                .map_err(|_| bad()),
        }
    }
}

/// Whether a TCP option with a value is present, and with which value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionValue {
    /// The option must not be present (`absent`).
    Absent,
    /// The option must be present with this value.
    Value(u32),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Absent => f.write_str("absent"),
            OptionValue::Value(v) => write!(f, "{v}"),
        }
    }
}

impl FromStr for OptionValue {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "absent" => Ok(OptionValue::Absent),
            n => n.parse().map(OptionValue::Value).map_err(|_| {
                ParseError(format!(
                    "bad option value {s:?}: expected a number or `absent`"
                ))
            }),
        }
    }
}

/// TCP options a segment must (or must not) carry; unnamed options are not compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsPattern {
    /// Maximum segment size (RFC 9293 section 3.7.1): a value or `absent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<OptionValue>,
    /// Window scale shift count (RFC 7323 section 2): a value or `absent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wscale: Option<OptionValue>,
    /// SACK-permitted (RFC 2018): present or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sack_permitted: Option<bool>,
    /// Timestamps (RFC 7323 section 3): present or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<bool>,
}

/// RFC 9293 section 3.3.2 connection states, written as in the RFC (`SYN-SENT`, `TIME-WAIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TcpState {
    /// No connection.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Waiting for a connection request.
    #[serde(rename = "LISTEN")]
    Listen,
    /// SYN sent, waiting for a matching SYN.
    #[serde(rename = "SYN-SENT")]
    SynSent,
    /// SYN received and sent, waiting for its acknowledgment.
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    /// Open: data flows both ways.
    #[serde(rename = "ESTABLISHED")]
    Established,
    /// Our FIN sent, waiting for its ACK or the peer's FIN.
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    /// Our FIN acknowledged, waiting for the peer's FIN.
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    /// Peer's FIN received, waiting for our application to close.
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    /// Both FINs sent (simultaneous close), waiting for the ACK of ours.
    #[serde(rename = "CLOSING")]
    Closing,
    /// Peer's FIN received after ours; waiting for the ACK of ours.
    #[serde(rename = "LAST-ACK")]
    LastAck,
    /// Waiting 2*MSL so that old duplicates die out.
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

impl TcpState {
    /// All eleven states in RFC order.
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// The RFC spelling, e.g. `SYN-SENT`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// TCP control flags, written as letters: `S` SYN, `A` ACK, `F` FIN, `R` RST, `P` PSH, `U` URG.
/// Letters may come in any order when parsed; they are written in the order `S`, `F`, `R`, `P`,
/// `A`, `U` (e.g. `SA`, `FA`, `RA`); `.` is a segment with no flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flags {
    /// SYN: synchronize sequence numbers.
    pub syn: bool,
    /// FIN: no more data from sender.
    pub fin: bool,
    /// RST: reset the connection.
    pub rst: bool,
    /// PSH: push function.
    pub psh: bool,
    /// ACK: acknowledgment field is significant.
    pub ack: bool,
    /// URG: urgent pointer field is significant.
    pub urg: bool,
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack, 'A'),
            (self.urg, 'U'),
        ];
        let mut any = false;
        for (on, c) in letters {
            if on {
                write!(f, "{c}")?;
                any = true;
            }
        }
        if !any {
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// Error from parsing a symbolic field of a vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl FromStr for Flags {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut flags = Flags::default();
        if s == "." {
            return Ok(flags);
        }
        if s.is_empty() {
            return Err(ParseError(
                "empty flags: write `.` for a segment without flags".into(),
            ));
        }
        for c in s.chars() {
            let slot = match c {
                'S' => &mut flags.syn,
                'F' => &mut flags.fin,
                'R' => &mut flags.rst,
                'P' => &mut flags.psh,
                'A' => &mut flags.ack,
                'U' => &mut flags.urg,
                other => {
                    return Err(ParseError(format!(
                        "unknown flag letter {other:?} in {s:?} (expected letters of SFRPAU)"
                    )))
                }
            };
            if *slot {
                return Err(ParseError(format!("flag letter {c:?} repeated in {s:?}")));
            }
            *slot = true;
        }
        Ok(flags)
    }
}

/// A symbolic variable in a [`SeqExpr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqVar {
    /// The target's initial send sequence number.
    Iss,
    /// The peer's initial sequence number (chosen by the replayer).
    Irs,
    /// The receive window last advertised by the target.
    Wnd,
}

impl SeqVar {
    fn name(self) -> &'static str {
        match self {
            SeqVar::Iss => "iss",
            SeqVar::Irs => "irs",
            SeqVar::Wnd => "wnd",
        }
    }
}

/// A symbolic 32-bit sequence-space value: an optional base variable plus further terms and a
/// constant, e.g. `iss`, `iss+1`, `irs+wnd+1`, `irs-1`, `0`. Evaluated modulo 2^32.
/// Written with the variables first and the constant last.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeqExpr {
    /// Variables added together (usually one: `iss` or `irs`, possibly followed by `wnd`).
    pub vars: Vec<SeqVar>,
    /// Constant offset added to the variables.
    pub offset: i64,
}

impl SeqExpr {
    /// `var + offset`.
    pub fn new(var: SeqVar, offset: i64) -> Self {
        SeqExpr {
            vars: vec![var],
            offset,
        }
    }

    /// `var + wnd + offset`.
    pub fn with_window(var: SeqVar, offset: i64) -> Self {
        SeqExpr {
            vars: vec![var, SeqVar::Wnd],
            offset,
        }
    }

    /// Evaluate with concrete values of the variables, modulo 2^32.
    pub fn eval(&self, iss: u32, irs: u32, wnd: u32) -> u32 {
        let mut v: u32 = 0;
        for var in &self.vars {
            v = v.wrapping_add(match var {
                SeqVar::Iss => iss,
                SeqVar::Irs => irs,
                SeqVar::Wnd => wnd,
            });
        }
        // Truncation to the sequence space is the point: arithmetic is modulo 2^32.
        v.wrapping_add(self.offset as u32)
    }
}

impl fmt::Display for SeqExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, var) in self.vars.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(var.name())?;
        }
        match (self.vars.is_empty(), self.offset) {
            (true, n) => write!(f, "{n}"),
            (false, 0) => Ok(()),
            (false, n) if n > 0 => write!(f, "+{n}"),
            (false, n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for SeqExpr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(ParseError("empty sequence expression".into()));
        }
        let mut vars = Vec::new();
        let mut offset: i64 = 0;
        let mut rest = compact.as_str();
        let mut sign = 1i64;
        if let Some(r) = rest.strip_prefix('-') {
            sign = -1;
            rest = r;
        }
        loop {
            let end = rest.find(['+', '-']).unwrap_or(rest.len());
            let term = &rest[..end];
            match term {
                "iss" | "irs" | "wnd" if sign < 0 => {
                    return Err(ParseError(format!(
                        "in {s:?}: a variable cannot be subtracted ({term})"
                    )))
                }
                "iss" => vars.push(SeqVar::Iss),
                "irs" => vars.push(SeqVar::Irs),
                "wnd" => vars.push(SeqVar::Wnd),
                number => {
                    let n: i64 = number.parse().map_err(|_| {
                        ParseError(format!(
                            "in {s:?}: {number:?} is neither iss, irs, wnd nor an integer"
                        ))
                    })?;
                    offset += sign * n;
                }
            }
            if end == rest.len() {
                break;
            }
            sign = if rest.as_bytes()[end] == b'-' { -1 } else { 1 };
            rest = &rest[end + 1..];
        }
        Ok(SeqExpr { vars, offset })
    }
}

/// A duration in milliseconds, written `50ms` or `2s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1000 && self.0.is_multiple_of(1000) {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

impl FromStr for Millis {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError(format!("bad duration {s:?}: expected e.g. `50ms` or `2s`"));
        if let Some(n) = s.strip_suffix("ms") {
            n.trim().parse().map(Millis).map_err(|_| bad())
        } else if let Some(n) = s.strip_suffix('s') {
            n.trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(1000))
                .map(Millis)
                .ok_or_else(bad)
        } else {
            Err(bad())
        }
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // YAML may present `0` or `50` as a number; accept both forms.
                let v = serde_yaml::Value::deserialize(d)?;
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

string_serde!(Flags);
string_serde!(SeqExpr);
string_serde!(Millis);
string_serde!(WindowPattern);
string_serde!(OptionValue);

impl Vector {
    /// The file name this vector is stored under in `vectors/` (`/` becomes `__`).
    pub fn file_name(&self) -> String {
        format!("{}.yaml", self.id.replace('/', "__"))
    }

    /// Serialize to the canonical YAML text.
    pub fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        serde_yaml::to_string(self)
    }

    /// Parse a vector from YAML text and check its version. Errors carry line and column.
    pub fn from_yaml(text: &str) -> Result<Vector, VectorError> {
        let v: Vector = serde_yaml::from_str(text).map_err(|e| VectorError {
            line: e.location().map(|l| l.line()),
            column: e.location().map(|l| l.column()),
            message: e.to_string(),
        })?;
        if v.version != SCHEMA_VERSION {
            // The line of the `version:` key, so that the error points at it.
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("version:"))
                .map(|i| i + 1);
            return Err(VectorError {
                line,
                column: line.map(|_| 1),
                message: format!(
                    "schema version {} is not supported (this build reads version {SCHEMA_VERSION})",
                    v.version
                ),
            });
        }
        Ok(v)
    }
}

/// Why a vector file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorError {
    /// 1-based line of the error, when known.
    pub line: Option<usize>,
    /// 1-based column of the error, when known.
    pub column: Option<usize>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for VectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for VectorError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Vector {
        Vector {
            version: SCHEMA_VERSION,
            id: "syn-sent/rcv-syn-ack/acceptable".into(),
            covers: vec!["SYN-SENT x SYN+ACK (acceptable ack)".into()],
            role: Role::Active,
            options: SocketOptions::default(),
            description: String::new(),
            steps: vec![
                Step::Call(Call::Connect),
                Step::Expect(SegmentPattern {
                    flags: "S".parse().unwrap(),
                    seq: Some(SeqExpr::new(SeqVar::Iss, 0)),
                    ack: None,
                    len: 0,
                    window: None,
                    options: None,
                }),
                Step::Send(SegmentSpec {
                    flags: "SA".parse().unwrap(),
                    seq: SeqExpr::new(SeqVar::Irs, 0),
                    ack: Some(SeqExpr::new(SeqVar::Iss, 1)),
                    len: 0,
                }),
                Step::Call(Call::Send(3)),
                Step::ExpectOneOf(vec![vec![], vec![]]),
                Step::State(TcpState::Established),
                Step::Quiet(Millis(50)),
            ],
        }
    }

    #[test]
    fn yaml_round_trip_uses_plain_maps() {
        let v = example();
        let text = v.to_yaml().unwrap();
        assert!(text.contains("- call: connect"), "{text}");
        assert!(text.contains("- call:\n    send: 3"), "{text}");
        assert!(text.contains("flags: SA"), "{text}");
        assert!(text.contains("state: ESTABLISHED"), "{text}");
        assert!(text.contains("quiet: 50ms"), "{text}");
        assert!(!text.contains('!'), "no YAML tags: {text}");
        assert_eq!(Vector::from_yaml(&text).unwrap(), v);
    }

    #[test]
    fn seq_expr_parses_and_prints() {
        for s in [
            "iss",
            "iss+1",
            "irs+wnd+1",
            "irs-1",
            "0",
            "irs+wnd+5",
            "iss-100",
        ] {
            let e: SeqExpr = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
        }
        let e: SeqExpr = "irs+1+wnd".parse().unwrap();
        assert_eq!(
            e.to_string(),
            "irs+wnd+1",
            "canonical form: variables first"
        );
        assert_eq!(e.eval(0, u32::MAX, 10), 10);
        assert!("foo+1".parse::<SeqExpr>().is_err());
        assert!("1-iss".parse::<SeqExpr>().is_err());
    }

    #[test]
    fn flags_reject_unknown_letters() {
        assert_eq!("AS".parse::<Flags>().unwrap().to_string(), "SA");
        assert!("SX".parse::<Flags>().is_err());
        assert!("SS".parse::<Flags>().is_err());
    }

    #[test]
    fn window_and_options_are_compared_only_when_named() {
        let p: SegmentPattern = serde_yaml::from_str("{ flags: SA }").unwrap();
        assert_eq!((p.window, p.options), (None, None));
        let p: SegmentPattern = serde_yaml::from_str(
            "{ flags: SA, window: '>= 1024', options: { mss: 1460, wscale: absent, timestamps: false } }",
        )
        .unwrap();
        let w = p.window.expect("window");
        assert!(w.allows(1024) && w.allows(64240) && !w.allows(63));
        let o = p.options.expect("options");
        assert_eq!(o.mss, Some(OptionValue::Value(1460)));
        assert_eq!(o.wscale, Some(OptionValue::Absent));
        assert_eq!((o.sack_permitted, o.timestamps), (None, Some(false)));
        let p: SegmentPattern = serde_yaml::from_str("{ flags: A, window: 7 }").unwrap();
        assert!(p.window.expect("window").allows(7) && !p.window.expect("window").allows(8));
        assert!(serde_yaml::from_str::<SegmentPattern>("{ flags: A, window: lots }").is_err());
        assert!(
            serde_yaml::from_str::<SegmentPattern>("{ flags: A, options: { mss: big } }").is_err()
        );
        assert!(
            serde_yaml::from_str::<SegmentPattern>("{ flags: A, options: { sack: true } }")
                .is_err()
        );
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text =
            "version: 1\nid: x\ncovers: []\nrole: active\nsteps:\n  - expect: { flags: Q }\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        assert!(e.message.contains("unknown flag letter"), "{e}");
        let text = "# a comment\nversion: 9\nid: x\ncovers: []\nrole: active\nsteps: []\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert!(e.message.contains("version 9"), "{e}");
        assert_eq!(e.line, Some(2), "{e}");
        let e = "99999999999999999999s".parse::<Millis>().unwrap_err();
        assert!(e.0.contains("bad duration"), "{e:?}");
        assert!(
            "18446744073709552s".parse::<Millis>().is_err(),
            "overflow is an error"
        );
    }
}
