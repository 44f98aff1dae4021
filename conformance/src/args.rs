//! The `replay` subcommand's arguments (a clap `Args` struct the root crate flattens in).

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Which TCP implementation the vectors are replayed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// The Linux kernel's TCP, driven through its socket API.
    Linux,
    /// This project's userspace stack in `impl/`, owning a TUN device; the replayer injects and
    /// captures through an `AF_PACKET` socket on it, with the stack's timers shortened.
    Impl,
}

impl TargetKind {
    /// The name used in reports and for the deviations file (`deviations/<name>.yaml`).
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Linux => "linux",
            TargetKind::Impl => "impl",
        }
    }
}

/// Which IP versions every vector is replayed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IpChoice {
    /// IPv4 and IPv6 (the default: every vector runs over both).
    Both,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// Parallel jobs unless `--jobs` says otherwise.
pub const DEFAULT_JOBS: usize = 8;

/// `replay --target linux [--filter ...] [--jobs N] [--pcap DIR] [--junit FILE] [--json]`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// The implementation to test.
    #[arg(long, value_enum, default_value_t = TargetKind::Linux)]
    pub target: TargetKind,
    /// Directory of vector files (`*.yaml`, searched recursively).
    #[arg(long, default_value = "vectors")]
    pub vectors: PathBuf,
    /// Only replay vectors whose id contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Parallel jobs; each has its own network namespace and TUN device. Jobs mostly wait on
    /// the target (quiet windows, timers), so more jobs than cores pay off.
    #[arg(long, default_value_t = DEFAULT_JOBS)]
    pub jobs: usize,
    /// IP versions to replay over.
    #[arg(long, value_enum, default_value_t = IpChoice::Both)]
    pub ip: IpChoice,
    /// Write one pcap (LINKTYPE_RAW) per vector and IP version into this directory.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Write a JUnit XML report to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Print the results as JSON on standard output instead of the summary table.
    #[arg(long)]
    pub json: bool,
    /// Deviations file; default `conformance/deviations/<target>.yaml` if it exists.
    #[arg(long)]
    pub deviations: Option<PathBuf>,
    /// Write the deterministic report (verdicts and reasons, no timings) to this file, e.g.
    /// for a snapshot review.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

impl ReplayArgs {
    /// Arguments with every default, replaying `vectors` against `target`.
    pub fn new(target: TargetKind, vectors: impl Into<PathBuf>) -> Self {
        ReplayArgs {
            target,
            vectors: vectors.into(),
            filter: None,
            jobs: DEFAULT_JOBS,
            ip: IpChoice::Both,
            pcap: None,
            junit: None,
            json: false,
            deviations: None,
            report: None,
        }
    }
}
