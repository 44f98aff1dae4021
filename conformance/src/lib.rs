//! Conformance replayer (issues 4, 12): replays the model's test vectors against a real TCP
//! (Linux, this project's stack, smoltcp, lwIP, or any stack behind the exec protocol) through
//! a TUN device in a private network namespace, and reports a verdict per vector and IP version.
//!
//! The entry point for the command line is [`run_replay`] with [`ReplayArgs`]. The pieces:
//!
//! - [`loader`]: read a directory of vector files (errors name the file and line);
//! - [`segment`]: parse the target's IP/TCP packets, build the peer's;
//! - [`symbols`]: map `iss`, `irs`, `wnd` to numbers;
//! - [`matching`]: compare a segment with a pattern, field by field;
//! - [`timing`]: the target's timer granularity, which sets every wait;
//! - [`target`]: the replayer's [`target::Target`] (and [`target::Driven`], the replayer's
//!   count of the packets it injected, for the processing barrier); every target is the
//!   shared application layer [`app::App`] over a stack's socket primitives
//!   ([`stack::Sockets`], [`stack::Stack`]); userspace stacks on a TUN device are
//!   [`wire::TunEngine`]s joined to the replayer's `AF_PACKET` socket by [`wire::OnTun`];
//! - the targets ([`targets`] makes them by name): [`linux`] (the kernel, with [`linux_sys`]
//!   and [`sockdiag`]), [`impl_target`] (the stack of `impl/`), [`smoltcp_target`],
//!   [`lwip_target`] (run in the exec adapter), [`exec_target`] (any stack behind the exec
//!   protocol: [`exec_protocol`], [`exec_server`]), with [`engine_util`];
//! - [`replay`]: run one vector and decide its verdict; [`one_of`]: judge the branches of a
//!   `one_of` against what the target did;
//! - [`deviations`]: the per-target list of known, justified differences;
//! - [`report`], [`pcap`]: output; [`runner`]: jobs, progress, Ctrl-C;
//! - [`footprint`]: a target's memory, for `tcpspec attack`; [`targets::make_stack`] gives
//!   the attack a target's stack without the replayer's application layer.

pub mod app;
pub mod args;
pub mod deviations;
pub mod engine_util;
pub mod exec_protocol;
pub mod exec_server;
pub mod exec_target;
pub mod footprint;
pub mod icmp;
pub mod impl_target;
pub mod interrupt;
pub mod linux;
pub mod linux_sys;
pub mod loader;
pub mod lwip_target;
pub mod matching;
pub mod one_of;
pub mod pcap;
pub mod replay;
pub mod report;
pub mod runner;
pub mod segment;
pub mod smoltcp_target;
pub mod sockdiag;
pub mod stack;
pub mod symbols;
pub mod target;
pub mod targets;
pub mod timing;
pub mod wire;

pub use args::{ExecCommand, IpChoice, ReplayArgs, TargetKind};
pub use runner::{run_replay, run_suite};
