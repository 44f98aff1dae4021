//! `attack`: blind in-window attacks and a SYN flood against a target (see [`crate::attack`]).

use crate::attack::{self, Kind, Report, Target};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;

/// The target of `attack`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TargetArg {
    /// The Linux kernel's TCP, in a private namespace.
    Linux,
    /// This project's userspace stack on the TUN device.
    Impl,
}

/// The attack.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    /// RSTs with random sequence numbers into an established connection.
    BlindRst,
    /// SYNs with random sequence numbers into an established connection.
    BlindSyn,
    /// Data with random sequence and acknowledgment numbers into an established connection.
    BlindData,
    /// SYNs from spoofed addresses while a legitimate client connects.
    SynFlood,
}

/// Options of `attack`.
#[derive(Args, Debug)]
pub struct AttackArgs {
    /// The TCP attacked.
    #[arg(long, value_enum)]
    pub target: TargetArg,
    /// The attack.
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Segments the attacker sends.
    #[arg(long, default_value_t = 100_000)]
    pub count: u64,
    /// Seed of the attacker's random numbers (the same seed sends the same segments).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `attack`.
pub fn run(args: &AttackArgs) -> Result<ExitCode> {
    let target = match args.target {
        TargetArg::Linux => Target::Linux,
        TargetArg::Impl => Target::Impl,
    };
    let kind = match args.kind {
        KindArg::BlindRst => Kind::BlindRst,
        KindArg::BlindSyn => Kind::BlindSyn,
        KindArg::BlindData => Kind::BlindData,
        KindArg::SynFlood => Kind::SynFlood,
    };
    let report = attack::run(target, kind, args.count, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn text(r: &Report) -> String {
    let mut out = format!("attack {:?} on {:?}\n", r.kind, r.target);
    if let Some(b) = &r.blind {
        out += &format!(
            "  {} segments in {:.2} s; connection reset: {}; bytes read {} of {} sent; \
             injected bytes accepted: {}; challenge ACKs: {}; challenge-ACK limit per \
             connection: {}\n",
            b.sent,
            b.seconds,
            b.connection_reset,
            b.bytes_read,
            b.bytes_sent,
            b.injected_bytes,
            b.challenge_acks,
            match b.limit_per_connection {
                Some(true) => "yes",
                Some(false) => "no (global)",
                None => "not measured (no challenge ACK)",
            }
        );
    }
    if let Some(f) = &r.flood {
        out += &format!(
            "  {} spoofed SYNs ({:.0}/s); legitimate connects {}/{} (median {:.1} ms, max {:.1} \
             ms); SYN cookies sent {}; connections held {}\n",
            f.sent,
            f.syns_per_second,
            f.connects_ok,
            f.connects,
            f.connect_ms_median,
            f.connect_ms_max,
            f.syn_cookies_sent,
            f.connections_held
        );
    }
    out
}
