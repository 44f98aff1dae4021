//! A model-checked specification of TCP connection management.
//!
//! - [`endpoint`]: one endpoint's pure transition function (RFC 9293, RFC 5961, RFC 1122).
//! - [`system`]: two hosts, their applications and a lossy network, as a stateright model.
//! - [`properties`]: what the checker proves; [`mechanism`]: the switches that break it.
//! - [`generate`]: the conformance vectors; their schema and the vocabulary (states, flags, app
//!   events, timers) are the `tcp-vectors` crate.

pub mod chart;
pub mod check;
pub mod config;
pub mod endpoint;
pub mod generate;
pub mod mechanism;
pub mod properties;
pub mod segment;
pub mod system;
