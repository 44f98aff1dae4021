//! A model-checked specification of TCP connection management.
//!
//! - [`segment`]: segments over a small, wrapping sequence space.
//! - [`endpoint`]: one endpoint's pure transition function (RFC 9293, RFC 5961, RFC 1122);
//!   [`policy`]: the choices the RFCs leave open; [`mechanism`]: the switches that remove a
//!   mechanism; [`fault`]: seeded bugs (test builds only).
//! - [`config`]: scenarios, budgets and timers; [`system`]: two hosts, their applications, a
//!   lossy network, crashes and an off-path attacker, as a stateright model.
//! - [`properties`]: what the checker proves; [`statespace`]: the exploration that decides
//!   them (with loops for liveness, and budgets); [`check`]: the runs and the report;
//!   [`chart`]: counterexamples as message-sequence charts; [`explorer`]: what stateright's
//!   Explorer shows (actions named as the charts name them, state summaries, SVG charts).
//! - [`generate`]: conformance vectors from the endpoint; their schema and the vocabulary
//!   (states, flags, app events, timers) are the `tcp-vectors` crate.

pub mod chart;
pub mod check;
pub mod config;
pub mod endpoint;
pub mod explorer;
pub mod fault;
pub mod generate;
pub mod mechanism;
pub mod policy;
pub mod properties;
pub mod segment;
pub mod statespace;
pub mod system;

#[cfg(test)]
mod faults;
