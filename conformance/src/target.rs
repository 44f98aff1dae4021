//! The interface between the replayer and what it drives: an application over an
//! implementation under test.
//!
//! The replayer drives a [`Target`]: one endpoint at a time (opened per vector), the
//! application's calls and events, the connection's state, timing and the wire. Every target
//! is the shared application layer ([`crate::app::App`]) over a stack's socket primitives
//! ([`crate::stack::Stack`]); only the replayer's own unit tests implement [`Target`]
//! directly. For Linux the replayer owns the TUN fd itself; the userspace stacks own theirs,
//! and the replayer injects and captures through an `AF_PACKET` socket on it
//! ([`crate::wire::PacketWire`]).
//!
//! The processing barrier: the replayer counts the packets it injects into a target
//! ([`Driven`]) and, before any step that observes the target or makes a call, waits until
//! the target reports that it has processed as many ([`Target::processed`]). So a `state`,
//! `app`, `quiet` or `one_of` check never reads the target before it has seen the peer's last
//! segment, whatever the target's own path from the wire to its TCP (synchronous for Linux,
//! an event-loop thread for the `impl` stack). Targets only count; the waiting is the
//! replayer's ([`crate::replay`]).

use crate::timing::TimerProfile;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tcp_vectors::{AppEvent, Call, Role, SocketOptions, TcpState};

/// The target's IPv4 address (RFC 5737 documentation range).
pub const TARGET_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The peer's IPv4 address (played by the replayer).
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// The target's IPv6 address (RFC 3849 documentation prefix).
pub const TARGET_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// The peer's IPv6 address.
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

/// Addresses of the `n`-th replay of a job: the target at 192.0.2.1 / 2001:db8::1, port
/// 10000 + n, the peer at 192.0.2.2 / 2001:db8::2, port 40000 + n (n counted modulo 20000),
/// so that no state of an earlier replay of the job (e.g. TIME-WAIT) matches a later one.
/// Documentation addresses only (RFC 5737, RFC 3849).
pub fn nth_endpoints(n: u32, ipv6: bool) -> Endpoints {
    use std::net::IpAddr;
    let n = (n % 20000) as u16;
    let (t, p) = if ipv6 {
        (IpAddr::V6(TARGET_V6), IpAddr::V6(PEER_V6))
    } else {
        (IpAddr::V4(TARGET_V4), IpAddr::V4(PEER_V4))
    };
    Endpoints {
        target: SocketAddr::new(t, 10000 + n),
        peer: SocketAddr::new(p, 40000 + n),
    }
}

/// Addresses of one replay: the target's socket and the peer the replayer plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The target's address and port.
    pub target: SocketAddr,
    /// The peer's (replayer's) address and port.
    pub peer: SocketAddr,
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// It succeeded (or, for a nonblocking connect/accept, is in progress).
    Done,
    /// `recv` returned this many bytes.
    Received(u32),
    /// `send` accepted this many bytes.
    Sent(u32),
    /// It would block (a blocking application waits here); the replayer finishes it later,
    /// as soon as it can (e.g. `send` before the connection is established).
    Blocked(String),
    /// It failed with this error (e.g. `EPIPE`): recorded in the transcript; an error the
    /// application would see as an event (reset, refused, timed out) is kept for `app` steps.
    Failed(String),
}

/// The result of checking an application event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppCheck {
    /// The application observed the event.
    Seen,
    /// It did not; what it observed instead.
    NotSeen(String),
}

/// An implementation under test, prepared inside the job's private network namespace.
pub trait Target {
    /// Short name for reports (`linux`).
    fn name(&self) -> &str;

    /// The timer constants that set every wait.
    fn timers(&self) -> &TimerProfile;

    /// The addresses for the `n`-th replay of this target over IPv6 or IPv4. Ports differ
    /// between replays so that no state of an earlier vector (e.g. TIME-WAIT) interferes.
    fn endpoints(&mut self, ipv6: bool) -> Endpoints;

    /// Prepare a fresh endpoint for one vector: create the socket, apply `options`, bind it to
    /// `ends.target`. Nothing is sent yet.
    fn open(&mut self, ends: Endpoints, role: Role, options: &SocketOptions) -> io::Result<()>;

    /// Make an application call (nonblocking: `connect` and `accept` may complete later).
    fn call(&mut self, call: Call) -> io::Result<CallOutcome>;

    /// Wait up to `wait` for the application to observe `event`.
    fn check_app(&mut self, event: AppEvent, wait: Duration) -> io::Result<AppCheck>;

    /// The RFC 9293 state of the endpoint's connection (`CLOSED` when it has none).
    fn state(&mut self) -> io::Result<TcpState>;

    /// How long the target is certain to do nothing (send no segment, change no state),
    /// judged from its own state, or `None` when it cannot tell (the replayer then waits out
    /// the whole window). Called after the replayer has watched the wire for the target's
    /// settle time, and only once the target has processed every packet injected
    /// ([`Target::processed`]); an implementation first makes the target send anything it
    /// would merely delay (a delayed ACK), then reports the time until its earliest timer.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        Ok(None)
    }

    /// Deliver one IP packet from the peer to the target.
    fn inject(&mut self, packet: &[u8]) -> io::Result<()>;

    /// How many of the packets given to [`Target::inject`] since the target was made it has
    /// processed: taken from its wire and run through its TCP, so that any state change,
    /// application event and reply they cause has happened. Counted by the target itself (its
    /// stack's or device's counters), never from the replayer's count: the replayer waits
    /// until this reaches the number it injected ([`Driven`]), and fails the replay with a
    /// `target` error naming both counts when it does not in time.
    fn processed(&mut self) -> io::Result<u64>;

    /// Wait up to `timeout` for one IP packet the target sent; `Ok(None)` if none came.
    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>>;

    /// Release the endpoint (abort what is left) so that the next vector starts clean.
    fn close(&mut self);
}

/// A target as the replayer drives it across its replays: the target, how many packets the
/// replayer has injected into it since it was made, and how many of them the target was last
/// seen to have processed. The counts are the replayer's side of the processing barrier
/// ([`Target::processed`]); they span replays, so that a packet of an earlier replay that the
/// target processes late is never taken for one of the current replay. Make one per target and
/// pass it to every replay ([`crate::replay::replay`]).
pub struct Driven<'t> {
    /// The target.
    pub target: &'t mut dyn Target,
    /// Packets given to [`Target::inject`] during replays through this value.
    pub(crate) injected: u64,
    /// The largest count [`Target::processed`] has reported.
    pub(crate) processed: u64,
}

impl<'t> Driven<'t> {
    /// Start driving a target that nothing has been injected into yet.
    pub fn new(target: &'t mut dyn Target) -> Self {
        Driven {
            target,
            injected: 0,
            processed: 0,
        }
    }

    /// Packets injected so far.
    pub fn injected(&self) -> u64 {
        self.injected
    }
}
