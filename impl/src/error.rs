//! Errors the stack reports to its user.

use std::io;
use thiserror::Error;

/// An error from a call on the stack, or the reason a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum TcpError {
    /// The call cannot make progress now (no data to read, no room to write, nothing to accept).
    #[error("operation would block")]
    WouldBlock,
    /// The peer reset the connection (RFC 9293 section 3.10.7.4, second step).
    #[error("connection reset by peer")]
    Reset,
    /// The peer refused the connection (RST in SYN-SENT).
    #[error("connection refused")]
    Refused,
    /// Retransmissions or keepalive probes went unanswered (RFC 9293 section 3.8.3, RFC 1122
    /// section 4.2.3.6).
    #[error("connection timed out")]
    TimedOut,
    /// The connection was aborted locally.
    #[error("connection aborted")]
    Aborted,
    /// The connection is not (or no longer) open for this operation.
    #[error("connection not open for this operation")]
    NotConnected,
    /// Sending after CLOSE (RFC 9293 section 3.10.2: "connection closing").
    #[error("connection closing")]
    Closing,
    /// The handle does not name a live socket or listener.
    #[error("invalid handle")]
    InvalidHandle,
    /// The local address and port are in use.
    #[error("address in use")]
    AddrInUse,
    /// The stack has no address of the needed family, or the address is not its own.
    #[error("address not available")]
    AddrNotAvailable,
    /// An argument is unusable (for example, addresses of different families).
    #[error("invalid input")]
    InvalidInput,
}

impl From<TcpError> for io::Error {
    fn from(e: TcpError) -> io::Error {
        let kind = match e {
            TcpError::WouldBlock => io::ErrorKind::WouldBlock,
            TcpError::Reset => io::ErrorKind::ConnectionReset,
            TcpError::Refused => io::ErrorKind::ConnectionRefused,
            TcpError::TimedOut => io::ErrorKind::TimedOut,
            TcpError::Aborted => io::ErrorKind::ConnectionAborted,
            TcpError::NotConnected => io::ErrorKind::NotConnected,
            TcpError::Closing => io::ErrorKind::BrokenPipe,
            TcpError::InvalidHandle | TcpError::InvalidInput => io::ErrorKind::InvalidInput,
            TcpError::AddrInUse => io::ErrorKind::AddrInUse,
            TcpError::AddrNotAvailable => io::ErrorKind::AddrNotAvailable,
        };
        io::Error::new(kind, e)
    }
}
