//! What a model-checking run explores: the scenario (the two applications' scripts and the
//! environment), the network's budgets, timer lengths in ticks and the mechanism switches.

use crate::endpoint::{KeepaliveParams, Params};
use crate::fault::Fault;
use crate::mechanism::{Mechanisms, Variant};
use crate::policy::Policy;
use serde::Serialize;
use std::fmt;

/// The situations the checker explores, each a pair of application scripts plus what the
/// environment may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Host A is a client (connect, send, close; once per incarnation); host B is a server
    /// (listen, accept, send, close after the client's end-of-stream; listening again after
    /// each connection).
    ClientServer,
    /// Both hosts open actively at once (simultaneous open), send, and close.
    PeerToPeer,
    /// Host A connects, sends and idles; it may crash (its TCP forgets the connection and its
    /// application is gone) and may then reboot and connect again on the same ports while B
    /// still holds the old connection (RFC 9293 Figure 10, RFC 5961 section 4). Host B listens,
    /// accepts and idles with keepalive on, and listens again when its connection ends.
    IdleCrash,
    /// Host A connects and aborts (ABORT: a RST); host B is the server. Neither sends data, so
    /// that the RST is the only way B can learn of the abort (any segment of B's would draw a
    /// RST from A's CLOSED endpoint anyway). One
    /// connection: a client that reconnects at once after an abort pumps segments into the
    /// network without waiting for any, and their orderings multiply the state space past
    /// 40 million states; the half-open connection a lost RST leaves behind is explored by the
    /// reboot in the idle-crash scenario instead.
    Abort,
    /// Like client-server, but A sends three octets per connection and the ISN clock ticks
    /// with time (one number every two ticks) instead of far ahead of any connection: a connection's
    /// sequence numbers outrun the clock (RFC 9293 3.4.1), so a new incarnation's numbers
    /// overlap the old one's and only TIME-WAIT keeps old duplicates out.
    FastReuse,
    /// Client-server with one connection and an off-path attacker (RFC 5961) that knows the
    /// ports but not the numbers: it injects RST, SYN and data segments with sequence and
    /// acknowledgment numbers of every class into a synchronized connection.
    BlindAttack,
    /// A middlebox between the hosts keeps per-flow state and forgets a flow idle for
    /// [`middlebox_timeout`] ticks; its next segment is then dropped (a firewall) or answered
    /// with a RST (some NATs); both kinds are explored. Host A connects, sends, idles, and may
    /// wake at any time to send again; host B accepts and idles with keepalive on. The seed's
    /// second job of keepalive: keeping an idle connection alive through the middlebox.
    Middlebox,
}

impl Scenario {
    /// All scenarios, in the order `check` runs them.
    pub const ALL: [Scenario; 7] = [
        Scenario::ClientServer,
        Scenario::PeerToPeer,
        Scenario::IdleCrash,
        Scenario::Abort,
        Scenario::FastReuse,
        Scenario::BlindAttack,
        Scenario::Middlebox,
    ];

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ClientServer => "client-server",
            Scenario::PeerToPeer => "peer-to-peer",
            Scenario::IdleCrash => "idle-crash",
            Scenario::Abort => "abort",
            Scenario::FastReuse => "fast-reuse",
            Scenario::BlindAttack => "blind-attack",
            Scenario::Middlebox => "middlebox",
        }
    }

    /// The two applications: host A's and host B's.
    pub fn apps(self, budgets: &Budgets) -> [App; 2] {
        use End::*;
        let inc = budgets.incarnations;
        let n = budgets.bytes;
        let app = |active, sends, end, incarnations| App {
            active,
            sends,
            end,
            incarnations,
            wakes: false,
        };
        match self {
            Scenario::ClientServer => [app(true, n, Close, inc), app(false, n, CloseAfterEof, inc)],
            Scenario::PeerToPeer => [app(true, n, Close, 1), app(true, n, Close, 1)],
            Scenario::IdleCrash => [app(true, n, Idle, 1), app(false, 0, Idle, 2)],
            Scenario::Abort => [app(true, 0, Abort, 1), app(false, 0, CloseAfterEof, 1)],
            Scenario::FastReuse => [app(true, 3, Close, 2), app(false, 0, CloseAfterEof, 2)],
            Scenario::BlindAttack => [app(true, n, Close, 1), app(false, n, CloseAfterEof, 1)],
            Scenario::Middlebox => [
                App {
                    wakes: true,
                    ..app(true, n, Idle, 1)
                },
                app(false, 0, Idle, 1),
            ],
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How an application ends each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum End {
    /// CLOSE right after sending.
    Close,
    /// CLOSE once the peer's end-of-stream has arrived (the seed's four-way close).
    CloseAfterEof,
    /// ABORT right after sending.
    Abort,
    /// Never end: keep the connection open, idle.
    Idle,
}

/// One application's script, repeated for each incarnation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct App {
    /// Active OPEN (connect) rather than passive (listen, accept).
    pub active: bool,
    /// Octets sent per connection.
    pub sends: u8,
    /// How each connection ends.
    pub end: End,
    /// Connections made one after the other on the same ports.
    pub incarnations: u8,
    /// After idling, the application may wake at any time and send `sends` octets once more.
    pub wakes: bool,
}

/// How a host's ISN clock runs (RFC 9293 section 3.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum IsnClock {
    /// The clock is always far ahead of what a connection uses: successive ISNs of a host are
    /// [`ISN_SPACING`] apart (an abstraction of a fast clock, RFC 9293's 4 microseconds).
    FarAhead,
    /// The clock advances with time (one number every two ticks, and one per ISN chosen),
    /// slower than a connection uses numbers.
    Ticking,
}

/// The knobs `check` exposes on the command line, shared by all scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Budgets {
    /// Segments the network may lose (an undelivered segment older than MSL counts as lost).
    pub losses: u8,
    /// Segments the network may duplicate.
    pub duplicates: u8,
    /// Connections each application makes one after the other on the same pair of ports (in
    /// the client-server and abort scenarios).
    pub incarnations: u8,
    /// Octets each application sends per connection.
    pub bytes: u8,
    /// Whether host A may crash (in the idle-crash scenario).
    pub crash: bool,
    /// Segments the off-path attacker may inject (in the blind-attack scenario).
    pub attacks: u8,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            losses: 1,
            duplicates: 1,
            incarnations: 2,
            bytes: 1,
            crash: true,
            attacks: 1,
        }
    }
}

/// One model-checking configuration: scenario, budgets, apps, timers and mechanisms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// The scenario.
    pub scenario: Scenario,
    /// Network budgets and application sizes, as they apply to this scenario.
    pub budgets: Budgets,
    /// Host A's and host B's applications.
    pub apps: [App; 2],
    /// Endpoint parameters of host A and host B (B has keepalive in the idle-crash scenario).
    pub params: [Params; 2],
    /// How the ISN clocks run.
    pub isn_clock: IsnClock,
}

/// Maximum segment lifetime in ticks.
pub const MSL: u8 = 2;
/// Retransmission timeout in ticks.
pub const RTO: u8 = 1;
/// Receive window in octets.
pub const WINDOW: u8 = 4;
/// Ticks of idleness after which the middlebox forgets a flow (real NATs: minutes), at the
/// default budgets.
pub const MIDDLEBOX_TIMEOUT: u8 = 4;

/// Ticks of idleness after which the middlebox forgets a flow when the network may lose
/// `losses` segments: [`MIDDLEBOX_TIMEOUT`], or longer when keepalive needs room for that many
/// lost probes one tick apart after at least one idle tick (idle + losses < timeout). A
/// middlebox that forgets faster than any keepalive can probe through the losses is outside
/// what `idle_connection_survives` assumes.
pub fn middlebox_timeout(losses: u8) -> u8 {
    MIDDLEBOX_TIMEOUT.max(losses.saturating_add(2))
}

/// Distance between successive ISNs of one host under [`IsnClock::FarAhead`]: larger than any
/// incarnation's use of the sequence space, so a fresh ISN puts old numbers outside the new
/// window.
pub const ISN_SPACING: u8 = 100;

impl Config {
    /// The configuration of `scenario` under `variant` with `budgets`.
    pub fn new(scenario: Scenario, variant: Variant, budgets: Budgets) -> Config {
        Config::with_fault(scenario, variant, budgets, Fault::None)
    }

    /// The configuration with a seeded fault in both hosts (only [`Fault::None`] exists
    /// outside test builds).
    pub fn with_fault(
        scenario: Scenario,
        variant: Variant,
        budgets: Budgets,
        fault: Fault,
    ) -> Config {
        let mech: Mechanisms = variant.mechanisms();
        let base = Params {
            wnd: WINDOW,
            // Enough retries to outlast every loss and duplicate the network may inflict.
            max_retries: budgets.losses + budgets.duplicates + 1,
            rto: RTO,
            msl: MSL,
            keepalive: None,
            mech,
            listener: false,
            policy: Policy::MODEL,
            fault,
            receive_buffer: None,
        };
        let server = match scenario {
            Scenario::Middlebox => Params {
                keepalive: Some(KeepaliveParams {
                    // More frequent than the middlebox forgets, with room for the lost probes
                    // the loss budget allows; the slow-keepalive switch idles past it (RFC
                    // 1122's default of two hours against NAT timeouts of minutes).
                    idle: if mech.slow_keepalive {
                        middlebox_timeout(budgets.losses) + 1
                    } else {
                        middlebox_timeout(budgets.losses) - 1 - budgets.losses
                    },
                    interval: 1,
                    count: budgets.losses + 1,
                }),
                ..base
            },
            Scenario::IdleCrash => Params {
                keepalive: Some(KeepaliveParams {
                    // Longer than a SYN's retries take to give up (RFC 1122: two hours against
                    // minutes), so that a rebooted peer's reconnection does not rely on it.
                    idle: (base.max_retries + 2) * RTO,
                    interval: 1,
                    count: budgets.losses + 1,
                }),
                ..base
            },
            _ => base,
        };
        let budgets = Budgets {
            crash: budgets.crash && scenario == Scenario::IdleCrash,
            // The attacker is the adversary of the blind-attack scenario: the network may
            // still lose segments but makes no duplicates there (with both, the attacker's
            // classes times the network's choices make some 20 million states).
            duplicates: if scenario == Scenario::BlindAttack {
                0
            } else {
                budgets.duplicates
            },
            attacks: if scenario == Scenario::BlindAttack {
                budgets.attacks
            } else {
                0
            },
            ..budgets
        };
        Config {
            scenario,
            budgets,
            apps: scenario.apps(&budgets),
            params: [base, server],
            isn_clock: match scenario {
                Scenario::FastReuse => IsnClock::Ticking,
                _ => IsnClock::FarAhead,
            },
        }
    }

    /// The mechanisms in force.
    pub fn mechanisms(&self) -> Mechanisms {
        self.params[0].mech
    }
}
