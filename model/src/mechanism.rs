//! Mechanism switches: each turns off one mechanism of TCP so that the model checker can show
//! what that mechanism is for (a counterexample to the property it protects).

use serde::Serialize;
use std::fmt;

/// How long an endpoint stays in TIME-WAIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeWait {
    /// 2*MSL, as RFC 9293 section 3.6 requires.
    TwoMsl,
    /// A TIME-WAIT shorter than 2*MSL (one tick).
    Short,
    /// No TIME-WAIT at all: the connection is deleted as soon as the last ACK is sent.
    None,
}

/// Which TCP mechanisms are on. [`Mechanisms::STANDARD`] is RFC 9293 TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Mechanisms {
    /// The three-way handshake (RFC 9293 section 3.5). When off, a passive endpoint enters
    /// ESTABLISHED as soon as it receives a SYN (a two-way handshake).
    pub three_way_handshake: bool,
    /// The TIME-WAIT state's duration.
    pub time_wait: TimeWait,
    /// ISNs from a clock (RFC 9293 section 3.4.1). When off, every incarnation uses ISN 0.
    pub isn_clock: bool,
    /// Keepalive probes on an idle connection (RFC 1122 section 4.2.3.6), when configured.
    pub keepalive: bool,
}

impl Mechanisms {
    /// Standard TCP: every mechanism on.
    pub const STANDARD: Mechanisms = Mechanisms {
        three_way_handshake: true,
        time_wait: TimeWait::TwoMsl,
        isn_clock: true,
        keepalive: true,
    };
}

/// A named variant of TCP checked by `check`: standard TCP or one mechanism switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// RFC 9293 TCP with every mechanism on.
    Standard,
    /// A two-way handshake: the passive side is ESTABLISHED on the SYN.
    TwoWayHandshake,
    /// No TIME-WAIT state.
    NoTimeWait,
    /// TIME-WAIT shorter than 2*MSL.
    ShortTimeWait,
    /// Every incarnation starts at the same ISN.
    ConstantIsn,
    /// No keepalive probes.
    NoKeepalive,
}

impl Variant {
    /// All variants, standard first.
    pub const ALL: [Variant; 6] = [
        Variant::Standard,
        Variant::TwoWayHandshake,
        Variant::NoTimeWait,
        Variant::ShortTimeWait,
        Variant::ConstantIsn,
        Variant::NoKeepalive,
    ];

    /// The mechanisms this variant runs with.
    pub fn mechanisms(self) -> Mechanisms {
        let s = Mechanisms::STANDARD;
        match self {
            Variant::Standard => s,
            Variant::TwoWayHandshake => Mechanisms {
                three_way_handshake: false,
                ..s
            },
            Variant::NoTimeWait => Mechanisms {
                time_wait: TimeWait::None,
                ..s
            },
            Variant::ShortTimeWait => Mechanisms {
                time_wait: TimeWait::Short,
                ..s
            },
            Variant::ConstantIsn => Mechanisms {
                isn_clock: false,
                ..s
            },
            Variant::NoKeepalive => Mechanisms {
                keepalive: false,
                ..s
            },
        }
    }

    /// Kebab-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Standard => "standard",
            Variant::TwoWayHandshake => "two-way-handshake",
            Variant::NoTimeWait => "no-time-wait",
            Variant::ShortTimeWait => "short-time-wait",
            Variant::ConstantIsn => "constant-isn",
            Variant::NoKeepalive => "no-keepalive",
        }
    }

    /// The property this switch must violate (the one its mechanism protects), if any.
    pub fn must_violate(self) -> Option<&'static str> {
        match self {
            Variant::Standard => None,
            Variant::TwoWayHandshake => Some("no_dirty_connection"),
            Variant::NoTimeWait | Variant::ShortTimeWait => Some("no_unexplained_reset"),
            Variant::ConstantIsn => Some("no_stale_segment_accepted"),
            Variant::NoKeepalive => Some("dead_peer_detected"),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
