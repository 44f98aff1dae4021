//! Segments: what the peer sends ([`SegmentSpec`]) and what the target must send
//! ([`SegmentPattern`]), with the window and option constraints a pattern may name.

use crate::{Flags, ParseError, SeqExpr};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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
    /// The urgent pointer, as an offset from `seq` (RFC 9293 section 3.8.5, with RFC 6093's
    /// reading: SEG.SEQ + SEG.UP is the first octet after the urgent data); only with the URG
    /// flag (`U`), which needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urg: Option<u32>,
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
    /// Expected urgent pointer (the field as sent: an offset from SEG.SEQ), if constrained;
    /// only with the URG flag (`U`). RFC 9293 section 3.8.5 (MUST-62): SEG.SEQ + SEG.UP is the
    /// first octet after the urgent data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urg: Option<u32>,
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

crate::text_serde!(WindowPattern);
crate::text_serde!(OptionValue);

#[cfg(test)]
mod tests {
    use super::*;

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
}
