//! An independent userspace TCP stack (RFC 9293) that runs on a Linux TUN device.
//!
//! Layers, bottom up:
//! - [`wire`]: IPv4/IPv6/TCP header codec with checksums, and ICMP/ICMPv6 errors about TCP
//!   segments; malformed input is a typed [`wire::WireError`], never a panic.
//! - [`seq`], [`isn`], [`rto`], [`congestion`], [`reassembly`]: the arithmetic pieces
//!   (sequence space, RFC 6528 ISNs, RFC 6298 RTO, RFC 5681/6582 NewReno, out-of-order queue).
//! - [`Stack`]: the sans-IO protocol engine (connections, listeners, timers, ICMP errors);
//!   time is an input ([`Timestamp`]), packets go in and out as byte buffers; what the
//!   application is told without asking comes as [`report`]s.
//!
//! Each rule of RFC 9293 Appendix B is listed, with its tests, in the crate's README; a
//! test-only list of seeded faults (`fault.rs`, absent from a normal build) shows that each
//! new rule's test catches its breakage.
//! - [`runtime`]: an event-loop thread that drives a [`Stack`] on a TUN file descriptor,
//!   with std-like [`runtime::TcpListener`] and [`runtime::TcpStream`].
//!
//! The stack shares nothing with the project's model crate except the wire format.

#![warn(missing_docs)]

#[macro_use]
#[cfg_attr(feature = "seeded-faults", allow(unreachable_pub))]
pub mod fault;
pub mod coalesce;
pub mod config;
pub mod congestion;
pub mod direct;
mod error;
pub mod isn;
pub mod offload;
pub mod reassembly;
pub mod report;
pub mod rto;
pub mod runtime;
pub mod seq;
mod stack;
mod state;
pub mod syncookie;
mod tcb;
pub mod time;
pub mod wire;

pub use config::{Config, ConfigError, IpFields, KeepaliveConfig};
pub use error::TcpError;
pub use report::{Report, Retries};
pub use stack::{ConnectionInfo, ListenerHandle, SocketHandle, Stack, Stats};
pub use state::State;
pub use time::Timestamp;
pub use wire::{IcmpError, IcmpKind};

#[cfg(test)]
mod testnet;
#[cfg(test)]
mod tests;
