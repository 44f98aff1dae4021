//! `attack`: blind in-window attacks and a SYN flood against any target of `replay` (see
//! [`crate::attack`]).

use crate::attack::{self, Kind, Options, Report};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use tcp_conformance::TargetKind;

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
    /// The TCP attacked, as for `replay`: linux, impl, smoltcp, lwip, or "exec:PROGRAM
    /// [ARGS]".
    #[arg(long, value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<TargetKind>()))]
    pub target: TargetKind,
    /// The attack.
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Segments the attacker sends.
    #[arg(long, default_value_t = 100_000)]
    pub count: u64,
    /// Seed of the attacker's random numbers (the same seed sends the same segments).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// KiB of the bulk transfer a blind attack is made against.
    #[arg(long, default_value_t = 4096)]
    pub bulk_kib: usize,
    /// Legitimate connects during a SYN flood (the SYNs come in as many bursts).
    #[arg(long, default_value_t = 10)]
    pub connects: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `attack`.
pub fn run(args: &AttackArgs) -> Result<ExitCode> {
    let kind = match args.kind {
        KindArg::BlindRst => Kind::BlindRst,
        KindArg::BlindSyn => Kind::BlindSyn,
        KindArg::BlindData => Kind::BlindData,
        KindArg::SynFlood => Kind::SynFlood,
    };
    let options = Options {
        seed: args.seed,
        bulk: args.bulk_kib * 1024,
        connects: args.connects,
        ..Options::new(args.count)
    };
    let report = attack::run(&args.target, kind, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn or_not_counted(v: Option<u64>) -> String {
    v.map_or_else(|| "not counted by the target".into(), |n| n.to_string())
}

fn text(r: &Report) -> String {
    let mut out = format!("attack {:?} on {}\n", r.kind, r.target);
    if let Some(b) = &r.blind {
        out += &format!(
            "  {} segments in {:.2} s; transfer: {}; connection reset: {}\n  bytes read {} of {} \
             sent, data verified: {}; injected bytes accepted: {}\n  ACKs drawn (on the wire): \
             {} (peer resent {}); challenge ACKs counted by the target: {}\n  challenge-ACK \
             limit: {:?} ({} of {} SYNs answered, the other connection's SYN answered {} \
             times)\n",
            b.sent,
            b.seconds,
            b.outcome,
            b.connection_reset,
            b.bytes_read,
            b.bytes_sent,
            b.data_verified,
            b.injected_bytes,
            b.acks_drawn_on_wire,
            b.peer_resent,
            or_not_counted(b.challenge_acks_counted_by_target),
            b.limit.verdict,
            b.limit.answered,
            b.limit.syns,
            b.limit.other_connection_answered,
        );
    }
    if let Some(f) = &r.flood {
        let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2} ms"));
        out += &format!(
            "  {} spoofed SYNs, {} processed ({:.0}/s); answered with {} SYN,ACKs and {} \
             RSTs; SYN cookies counted by the target: {}\n  legitimate connects {}/{} \
             (median {}, max {})\n",
            f.sent,
            f.processed,
            f.syns_per_second,
            f.syn_acks_to_spoofed,
            f.rsts_to_spoofed,
            or_not_counted(f.syn_cookies_counted_by_target),
            f.connects_ok,
            f.connects,
            ms(f.connect_ms_median),
            ms(f.connect_ms_max),
        );
        for why in &f.failures {
            out += &format!("    {why}\n");
        }
        match (&f.memory, &f.memory_not_measured) {
            (Some(m), _) => {
                out += &format!(
                    "  memory: {} bytes at the start, peak {} bytes (+{}): {}",
                    m.start_bytes,
                    m.peak_bytes,
                    m.peak_bytes.saturating_sub(m.start_bytes),
                    m.what
                );
                if let (Some(s), Some(q)) = (m.peak_sockets, m.peak_requests) {
                    out += &format!("; at most {s} TCP sockets, {q} of them request sockets");
                }
                out += "\n";
            }
            (None, Some(why)) => out += &format!("  memory: not measured ({why})\n"),
            (None, None) => out += "  memory: not measured\n",
        }
    }
    out
}
