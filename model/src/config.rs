//! What a model-checking run explores: the scenario (application scripts), the network's
//! budgets, timer lengths in ticks and the mechanism switches.

use crate::endpoint::{KeepaliveParams, Params};
use crate::mechanism::{Mechanisms, Variant};
use serde::Serialize;
use std::fmt;

/// The applications the two hosts run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Host A is a client (connect, send, close; once per incarnation); host B is a server
    /// (listen, accept, send, close; listening again after each connection).
    ClientServer,
    /// Both hosts open actively at once (simultaneous open), send, and close.
    PeerToPeer,
    /// Host A connects and sends, then idles; it may crash (its TCP forgets the connection and
    /// its application is gone). Host B listens, accepts and idles with keepalive on.
    IdleCrash,
}

impl Scenario {
    /// All scenarios, in the order `check` runs them.
    pub const ALL: [Scenario; 3] = [
        Scenario::ClientServer,
        Scenario::PeerToPeer,
        Scenario::IdleCrash,
    ];

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ClientServer => "client-server",
            Scenario::PeerToPeer => "peer-to-peer",
            Scenario::IdleCrash => "idle-crash",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The knobs `check` exposes on the command line, shared by all scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Budgets {
    /// Segments the network may lose (an undelivered segment older than MSL counts as lost).
    pub losses: u8,
    /// Segments the network may duplicate.
    pub duplicates: u8,
    /// Connections each application makes one after the other on the same pair of ports.
    pub incarnations: u8,
    /// Octets each application sends per connection.
    pub bytes: u8,
    /// Whether host A may crash (in the idle-crash scenario).
    pub crash: bool,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            losses: 1,
            duplicates: 1,
            incarnations: 2,
            bytes: 1,
            crash: true,
        }
    }
}

/// One model-checking configuration: scenario, budgets, timers and mechanisms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// Application scripts.
    pub scenario: Scenario,
    /// Network budgets and application sizes.
    pub budgets: Budgets,
    /// Endpoint parameters of host A and host B (B has keepalive in the idle-crash scenario).
    pub params: [Params; 2],
}

/// Maximum segment lifetime in ticks.
pub const MSL: u8 = 2;
/// Retransmission timeout in ticks.
pub const RTO: u8 = 1;
/// Receive window in octets.
pub const WINDOW: u16 = 4;
/// Distance between successive ISNs of one host: larger than any incarnation's use of the
/// sequence space, so a fresh ISN puts old segments outside the new window.
pub const ISN_SPACING: u16 = 100;

impl Config {
    /// The configuration of `scenario` under `variant` with `budgets`.
    pub fn new(scenario: Scenario, variant: Variant, budgets: Budgets) -> Config {
        let mech: Mechanisms = variant.mechanisms();
        let base = Params {
            wnd: WINDOW,
            // Enough retries to outlast every loss and duplicate the network may inflict.
            max_retries: budgets.losses + budgets.duplicates + 1,
            rto: RTO,
            msl: MSL,
            keepalive: None,
            mech,
        };
        let server = match scenario {
            Scenario::IdleCrash => Params {
                keepalive: Some(KeepaliveParams {
                    idle: 2,
                    interval: 1,
                    count: budgets.losses + 1,
                }),
                ..base
            },
            _ => base,
        };
        let budgets = match scenario {
            Scenario::PeerToPeer => Budgets {
                incarnations: 1,
                crash: false,
                ..budgets
            },
            Scenario::ClientServer => Budgets {
                crash: false,
                ..budgets
            },
            Scenario::IdleCrash => Budgets {
                incarnations: 1,
                ..budgets
            },
        };
        Config {
            scenario,
            budgets,
            params: [base, server],
        }
    }

    /// The mechanisms in force.
    pub fn mechanisms(&self) -> Mechanisms {
        self.params[0].mech
    }
}
