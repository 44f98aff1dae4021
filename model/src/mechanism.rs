//! Mechanism switches: each turns off one mechanism of TCP so that the model checker can show
//! what that mechanism is for (a counterexample to the property it protects).

use crate::config::Scenario;
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
    /// Keepalive idles longer than a middlebox remembers an idle flow (the middlebox scenario
    /// only): RFC 1122's default of two hours against NAT timeouts of minutes.
    pub slow_keepalive: bool,
    /// RFC 5961 section 3.2: only a RST at exactly RCV.NXT resets; an in-window one draws a
    /// challenge ACK. When off, any RST in the window resets (RFC 793).
    pub rst_exact_match: bool,
    /// RFC 5961 section 4.2: a SYN in a synchronized state draws a challenge ACK. When off, a
    /// SYN in the window resets the connection (RFC 793).
    pub syn_challenge_ack: bool,
    /// RFC 5961 section 5.2: an ACK below SND.UNA - MAX.SND.WND is dropped with a challenge
    /// ACK. When off, such an old ACK is ignored and the segment's text processed (RFC 793).
    pub ack_range_check: bool,
}

impl Mechanisms {
    /// Standard TCP: every mechanism on.
    pub const STANDARD: Mechanisms = Mechanisms {
        three_way_handshake: true,
        time_wait: TimeWait::TwoMsl,
        isn_clock: true,
        keepalive: true,
        slow_keepalive: false,
        rst_exact_match: true,
        syn_challenge_ack: true,
        ack_range_check: true,
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
    /// Keepalive probes, but less often than the middlebox forgets an idle flow.
    SlowKeepalive,
    /// Any RST inside the window resets (RFC 793 before RFC 5961).
    Rfc793Rst,
    /// A SYN inside the window resets (RFC 793 before RFC 5961).
    Rfc793Syn,
    /// No RFC 5961 section 5.2 range check on acknowledgment numbers.
    NoAckRangeCheck,
}

impl Variant {
    /// All variants, standard first.
    pub const ALL: [Variant; 10] = [
        Variant::Standard,
        Variant::TwoWayHandshake,
        Variant::NoTimeWait,
        Variant::ShortTimeWait,
        Variant::ConstantIsn,
        Variant::NoKeepalive,
        Variant::SlowKeepalive,
        Variant::Rfc793Rst,
        Variant::Rfc793Syn,
        Variant::NoAckRangeCheck,
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
            Variant::SlowKeepalive => Mechanisms {
                slow_keepalive: true,
                ..s
            },
            Variant::Rfc793Rst => Mechanisms {
                rst_exact_match: false,
                ..s
            },
            Variant::Rfc793Syn => Mechanisms {
                syn_challenge_ack: false,
                ..s
            },
            Variant::NoAckRangeCheck => Mechanisms {
                ack_range_check: false,
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
            Variant::SlowKeepalive => "slow-keepalive",
            Variant::Rfc793Rst => "rfc793-rst",
            Variant::Rfc793Syn => "rfc793-syn",
            Variant::NoAckRangeCheck => "no-ack-range-check",
        }
    }

    /// The counterexamples this switch must produce: each property its mechanism protects,
    /// with the scenario that shows it (empty for standard TCP).
    pub fn must_violate(self) -> &'static [(&'static str, Scenario)] {
        use Scenario::*;
        match self {
            Variant::Standard => &[],
            Variant::TwoWayHandshake => &[("no_dirty_connection", ClientServer)],
            Variant::NoTimeWait | Variant::ShortTimeWait => &[
                ("no_unexplained_reset", ClientServer),
                ("no_stale_segment_accepted", FastReuse),
            ],
            Variant::ConstantIsn => &[("no_stale_segment_accepted", ClientServer)],
            Variant::NoKeepalive => &[
                ("dead_peer_detected", IdleCrash),
                ("idle_connection_survives", Middlebox),
            ],
            Variant::SlowKeepalive => &[("idle_connection_survives", Middlebox)],
            Variant::Rfc793Rst | Variant::Rfc793Syn => &[("no_blind_reset", BlindAttack)],
            Variant::NoAckRangeCheck => &[("no_blind_data", BlindAttack)],
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
