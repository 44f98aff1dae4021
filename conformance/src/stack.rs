//! The narrow interface a target implements: socket primitives, a few queries, timing, and
//! the wire.
//!
//! A TCP implementation under test is a [`Stack`]: one endpoint per replay, driven through the
//! calls a sockets application makes (RFC 9293 3.10's user calls: OPEN active and passive,
//! SEND, RECEIVE, CLOSE, ABORT, plus accept), asked what an application can see (bytes
//! readable, end of stream, a pending error, whether the connection is established) and, where
//! the stack can tell, the RFC 9293 state of the replay's connection. Everything an
//! application does on top of these calls is shared by every target ([`crate::app::App`]):
//! waiting in a blocking `send` or `close`, retrying `accept`, keeping the errors it was told
//! for the `app` steps, and closing the listener once the connection is accepted unless the
//! vector keeps it. So a new target is one small file of primitives.
//!
//! Calls never block: one that a blocking application would wait in returns
//! [`SockError::WouldBlock`], and the application layer retries it.

pub use crate::footprint::Footprint;
use crate::target::Endpoints;
use crate::timing::TimerProfile;
use std::fmt;
use std::io;
use std::time::Duration;
use tcp_vectors::{SocketOptions, TcpState};

/// Why a socket call failed, in the terms of the BSD socket API (the errno an application
/// would see).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockError {
    /// `EAGAIN`: the call would block (no connection to accept yet, no buffer space, no data).
    WouldBlock,
    /// `ECONNRESET`: the connection was reset by the peer.
    Reset,
    /// `ECONNREFUSED`: the peer refused the connection (RST in SYN-SENT).
    Refused,
    /// `ETIMEDOUT`: the stack gave up retransmitting (or probing with keepalives).
    TimedOut,
    /// `EPIPE`: the connection is closing or closed for sending.
    Pipe,
    /// `ENOTCONN`: there is no connection.
    NotConnected,
    /// `EHOSTUNREACH` or `ENETUNREACH`: an ICMP error about the connection (RFC 9293 section
    /// 3.9.2.2: reported to the application, MUST-47, SHLD-25).
    Unreachable,
    /// Any other error, by its errno name (`EINVAL`, `EISCONN`, `errno 97`, ...).
    Other(String),
}

impl SockError {
    /// Whether the application is told this error as an event that an `app` step can match
    /// (reset, refused, timed out, unreachable) or that stands in for one (`EPIPE` where Linux
    /// reports a reset in CLOSE-WAIT so).
    pub fn is_event(&self) -> bool {
        matches!(
            self,
            SockError::Reset
                | SockError::Refused
                | SockError::TimedOut
                | SockError::Pipe
                | SockError::Unreachable
        )
    }
}

impl fmt::Display for SockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            SockError::WouldBlock => "EAGAIN",
            SockError::Reset => "ECONNRESET",
            SockError::Refused => "ECONNREFUSED",
            SockError::TimedOut => "ETIMEDOUT",
            SockError::Pipe => "EPIPE",
            SockError::NotConnected => "ENOTCONN",
            SockError::Unreachable => "EHOSTUNREACH",
            SockError::Other(name) => name,
        };
        f.write_str(name)
    }
}

/// What the application could read now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readable {
    /// Bytes a `recv` would return now.
    pub bytes: usize,
    /// The peer's FIN has been received and every byte before it read: `recv` returns 0.
    pub eof: bool,
}

/// The socket primitives and queries of a TCP implementation under test, for one endpoint
/// per replay. Calls never block.
pub trait Sockets {
    /// Short name for reports (`linux`, `smoltcp`, `exec:PROGRAM`).
    fn name(&self) -> &str;

    /// The timer constants that set every wait of a replay.
    fn timers(&self) -> &TimerProfile;

    /// Start a replay between `ends` with `options` (keepalive, applied to the connection
    /// the endpoint makes or accepts). Nothing is created or sent yet.
    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()>;

    /// Active OPEN towards `ends.peer` from `ends.target` (RFC 9293 3.10.1), without waiting
    /// for the handshake.
    fn connect(&mut self) -> Result<(), SockError>;

    /// Passive OPEN on `ends.target` (RFC 9293 3.10.1).
    fn listen(&mut self) -> Result<(), SockError>;

    /// Take an established connection from the listener as the application's connection;
    /// [`SockError::WouldBlock`] while there is none. The listening socket stays.
    fn accept(&mut self) -> Result<(), SockError>;

    /// Close the listening socket (the connection, if accepted, stays).
    fn unlisten(&mut self);

    /// SEND (RFC 9293 3.10.2) on the application's connection: how many bytes were taken.
    fn send(&mut self, data: &[u8]) -> Result<usize, SockError>;

    /// SEND with the URGENT flag (RFC 9293 3.8.5, 3.10.2): how many bytes were taken; the
    /// urgent data ends after the last of them. By default the stack has no urgent mechanism
    /// and the call fails (`EOPNOTSUPP`), so that a vector that needs it fails there.
    fn send_urgent(&mut self, _data: &[u8]) -> Result<usize, SockError> {
        Err(SockError::Other(
            "EOPNOTSUPP (the stack offers no urgent data)".into(),
        ))
    }

    /// Whether the application has been told that urgent data arrived (RFC 9293 3.8.5,
    /// MUST-32) and has not read past it. By default the stack has no such signal.
    fn urgent(&mut self) -> Result<bool, SockError> {
        Err(SockError::Other(
            "EOPNOTSUPP (the stack tells the application of no urgent data)".into(),
        ))
    }

    /// RECEIVE (RFC 9293 3.10.3): bytes read into `buf`; `Ok(0)` is the end of the stream.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError>;

    /// CLOSE (RFC 9293 3.10.4) as `shutdown(SHUT_WR)`: no more data to send, FIN after the
    /// queued data.
    fn shutdown(&mut self) -> Result<(), SockError>;

    /// ABORT (RFC 9293 3.10.5) of the application's connection: RST where the state sends
    /// one, and the connection is gone.
    fn abort(&mut self);

    /// What the application could read from its connection now.
    fn readable(&mut self) -> Result<Readable, SockError>;

    /// An error the stack has for the application's connection and has not reported yet
    /// (`SO_ERROR`), taken.
    fn take_error(&mut self) -> Option<SockError>;

    /// Whether the application's connection is established (it has a peer).
    fn connected(&mut self) -> bool;

    /// The RFC 9293 state of the replay's connection (its 4-tuple), accepted or not, or left
    /// to finish on its own; `None` when the stack has no connection for it.
    fn state(&mut self) -> io::Result<Option<TcpState>>;

    /// Wait up to `max` for something the application could observe to change (or less: the
    /// caller asks again).
    fn wait(&mut self, max: Duration) {
        std::thread::sleep(max.min(Duration::from_millis(1)));
    }

    /// End the replay: abort the connection and close the listener, so that the next replay
    /// starts clean.
    fn end(&mut self);
}

/// A TCP implementation under test as the application layer drives it: its socket primitives,
/// timing, the processing barrier and the wire.
pub trait Stack: Sockets {
    /// How long the stack is certain to do nothing (send no segment, change no state), or
    /// `None` when it cannot tell (the replayer then waits out the whole window). Asked only
    /// after the wire has been watched for the settle time and once the stack has processed
    /// every packet injected ([`Stack::processed`]); a stack first sends anything it would
    /// merely delay (a delayed ACK), then reports the time until its earliest timer.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        Ok(None)
    }

    /// How many packets given to [`Stack::inject`] the stack has processed since it was made
    /// (the processing barrier, [`crate::target::Target::processed`]).
    fn processed(&mut self) -> io::Result<u64>;

    /// Deliver one IP packet from the peer to the stack.
    fn inject(&mut self, packet: &[u8]) -> io::Result<()>;

    /// Wait up to `timeout` for one IP packet the stack sent; `Ok(None)` if none came.
    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>>;

    /// The stack's own counts of its defences, where it keeps them.
    fn defence_counters(&mut self) -> DefenceCounters {
        DefenceCounters::default()
    }

    /// Where the stack's memory can be measured, if anywhere.
    fn footprint(&self) -> Option<Footprint> {
        None
    }
}

/// What a stack counts of its own defences under attack (`tcpspec attack`), where it keeps
/// such a count; `None` where it does not (the attack then counts on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefenceCounters {
    /// RFC 5961 challenge ACKs sent (sections 3.2, 4.2, 5.2), since the stack was made.
    pub challenge_acks: Option<u64>,
    /// SYN,ACKs sent with a SYN cookie (RFC 4987 section 3.6), since the stack was made.
    pub syn_cookies_sent: Option<u64>,
}

/// The error of a target that cannot run a vector's `options.receive_buffer` (an application
/// that does not read, with a buffer of `octets`): its stack cannot make a buffer that small.
pub fn no_receive_buffer(target: &str, octets: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "options.receive_buffer: {target} cannot give a connection a receive buffer of \
             {octets} octets (only tcp-impl can)"
        ),
    )
}
