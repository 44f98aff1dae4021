//! The `replay` subcommand's arguments (a clap `Args` struct the root crate flattens in).

use clap::{Args, ValueEnum};

use std::path::PathBuf;

/// Which TCP implementation the vectors are replayed against (`--target`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// `linux`: the Linux kernel's TCP, driven through its socket API.
    Linux,
    /// `impl`: this project's userspace stack in `impl/`, owning a TUN device; the replayer
    /// injects and captures through an `AF_PACKET` socket on it, with the stack's timers
    /// shortened.
    Impl,
    /// `smoltcp`: smoltcp 0.14 on a TUN device, with its own timers.
    Smoltcp,
    /// `lwip`: lwIP (the C stack, raw API, built by `tcp-lwip-sys`) on a TUN device, with its
    /// own timers.
    Lwip,
    /// `exec:PROGRAM [ARGS]`: any stack, in a process that speaks the line protocol of
    /// `conformance/README.md` on its standard input and output and owns a TUN device the
    /// replayer hands it.
    Exec(ExecCommand),
}

/// The program (and its arguments) of an `exec:` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCommand {
    /// The program to run (a path, or a name looked up in `PATH`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl TargetKind {
    /// The name used in reports and for the deviations file (`deviations/<name>.yaml`):
    /// `linux`, `impl`, `smoltcp`, `lwip`, or `exec:PROGRAM`.
    pub fn name(&self) -> String {
        match self {
            TargetKind::Linux => "linux".into(),
            TargetKind::Impl => "impl".into(),
            TargetKind::Smoltcp => "smoltcp".into(),
            TargetKind::Lwip => "lwip".into(),
            TargetKind::Exec(c) => format!("exec:{}", c.program),
        }
    }
}

impl std::str::FromStr for TargetKind {
    type Err = String;

    /// `linux`, `impl`, `smoltcp`, `lwip`, or `exec:PROGRAM [ARGS]` (one argument, split at
    /// white space: `--target "exec:tcpspec-exec-adapter --stack smoltcp"`).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "linux" => Ok(TargetKind::Linux),
            "impl" => Ok(TargetKind::Impl),
            "smoltcp" => Ok(TargetKind::Smoltcp),
            "lwip" => Ok(TargetKind::Lwip),
            _ => {
                let Some(command) = s.strip_prefix("exec:") else {
                    return Err(format!(
                        "unknown target {s:?}: expected linux, impl, smoltcp, lwip or \
                         exec:PROGRAM [ARGS]"
                    ));
                };
                let mut words = command.split_whitespace().map(String::from);
                let program = words
                    .next()
                    .ok_or_else(|| format!("target {s:?}: exec: needs a program"))?;
                Ok(TargetKind::Exec(ExecCommand {
                    program,
                    args: words.collect(),
                }))
            }
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

/// `replay --target linux|impl|smoltcp|lwip|exec:... [--filter ...] [--jobs N] [--pcap DIR] [--junit FILE] [--json]`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// The implementation to test: linux, impl, smoltcp, lwip, or exec:PROGRAM [ARGS] (a
    /// process speaking the line protocol of conformance/README.md).
    #[arg(long, default_value = "linux", value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<TargetKind>()))]
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
    /// Deviations file; default the shipped `conformance/deviations/<target>.yaml` (none for
    /// an `exec:` target).
    #[arg(long)]
    pub deviations: Option<PathBuf>,
    /// Write the deterministic report (verdicts and reasons, no timings) to this file, e.g.
    /// for a snapshot review.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Also replay the long vectors (a state held for minutes, e.g. MUST-23's SYN kept three
    /// minutes; see `Vector::is_long`), which are left out by default.
    #[arg(long)]
    pub long: bool,
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
            long: false,
        }
    }
}
