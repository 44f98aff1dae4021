//! `check`: run the model checker and print the report.

use crate::report;
use anyhow::Result;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;
use std::time::Duration;
use tcp_model::check::{check, CheckOptions, Overall};
use tcp_model::statespace::Budget;

/// Exit code of a check that stopped at its budget before deciding everything (and found
/// nothing wrong before that).
pub const INCONCLUSIVE: u8 = 3;
use tcp_model::config::{Budgets, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::system::Reductions;

/// On or off.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// The network's budgets and the applications' sizes, shared by `check` and `explore` (a
/// counterexample's Explorer path holds only in the model with the same budgets).
#[derive(Args, Debug, Clone)]
pub struct BudgetArgs {
    /// Segments the network may lose.
    #[arg(long, default_value_t = 1)]
    pub losses: u8,
    /// Segments the network may duplicate.
    #[arg(long, default_value_t = 1)]
    pub duplicates: u8,
    /// Successive connections on the same ports (client-server scenario).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub incarnations: u8,
    /// Bytes each application sends per connection.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=8))]
    pub bytes: u8,
    /// Whether host A may crash (and reboot) in the idle-crash scenario.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub crash: OnOff,
    /// Segments the off-path attacker may inject in the blind-attack scenario.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=4))]
    pub attacks: u8,
}

impl BudgetArgs {
    /// The budgets these options give.
    pub fn budgets(&self) -> Budgets {
        Budgets {
            losses: self.losses,
            duplicates: self.duplicates,
            incarnations: self.incarnations,
            bytes: self.bytes,
            crash: matches!(self.crash, OnOff::On),
            attacks: self.attacks,
        }
    }
}

/// The options that give `budgets` where they differ from the defaults, e.g. ` --losses 2`.
pub fn budget_flags(budgets: &Budgets) -> String {
    let d = Budgets::default();
    let mut out = String::new();
    for (name, value, default) in [
        ("losses", budgets.losses, d.losses),
        ("duplicates", budgets.duplicates, d.duplicates),
        ("incarnations", budgets.incarnations, d.incarnations),
        ("bytes", budgets.bytes, d.bytes),
        ("attacks", budgets.attacks, d.attacks),
    ] {
        if value != default {
            out.push_str(&format!(" --{name} {value}"));
        }
    }
    if budgets.crash != d.crash {
        out.push_str(if budgets.crash {
            " --crash on"
        } else {
            " --crash off"
        });
    }
    out
}

/// Options of `check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Checker threads for exhaustive runs.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// The network's budgets and the applications' sizes.
    #[command(flatten)]
    pub budgets: BudgetArgs,
    /// Stop a run after this many unique states and report it inconclusive (exit code 3)
    /// instead of risking running out of memory.
    #[arg(long, default_value_t = tcp_model::check::DEFAULT_MAX_STATES)]
    pub max_states: usize,
    /// Stop a run when the process holds more than this many MiB of memory (inconclusive,
    /// exit code 3).
    #[arg(long, default_value_t = tcp_model::check::DEFAULT_MAX_MEMORY >> 20)]
    pub max_memory_mib: u64,
    /// Explore every switch exhaustively instead of stopping at its counterexample.
    #[arg(long)]
    pub exhaustive: bool,
    /// Only these variants (standard, two-way-handshake, no-time-wait, short-time-wait,
    /// constant-isn, no-keepalive, rfc793-rst, rfc793-syn, no-ack-range-check); repeatable.
    /// Default: all.
    #[arg(long = "variant", value_parser = parse_variant)]
    pub variants: Vec<Variant>,
    /// Only these scenarios (client-server, peer-to-peer, idle-crash, abort, fast-reuse,
    /// blind-attack); repeatable. Default: all.
    #[arg(long = "scenario", value_parser = parse_scenario)]
    pub scenarios: Vec<Scenario>,
    /// Explore without this state-space reduction (history, twins), to confirm that it keeps
    /// every verdict and counterexample; repeatable. Default: every reduction on.
    #[arg(long = "without-reduction", value_parser = parse_reduction)]
    pub without_reductions: Vec<String>,
    /// Print a machine-readable JSON report instead of the table and charts.
    #[arg(long)]
    pub json: bool,
}

/// Parse a `--without-reduction` name.
pub fn parse_reduction(s: &str) -> Result<String, String> {
    if Reductions::ALL.without(s).is_some() {
        return Ok(s.to_string());
    }
    let names: Vec<String> = Reductions::NAMES
        .iter()
        .map(|(name, what)| format!("{name} ({what})"))
        .collect();
    Err(format!(
        "unknown reduction {s:?}; expected one of {}",
        names.join(", ")
    ))
}

/// Parse a `--variant` name.
pub fn parse_variant(s: &str) -> Result<Variant, String> {
    Variant::ALL
        .into_iter()
        .find(|v| v.name() == s)
        .ok_or_else(|| {
            let names: Vec<_> = Variant::ALL.iter().map(|v| v.name()).collect();
            format!(
                "unknown variant {s:?}; expected one of {}",
                names.join(", ")
            )
        })
}

/// Parse a `--scenario` name.
pub fn parse_scenario(s: &str) -> Result<Scenario, String> {
    Scenario::ALL
        .into_iter()
        .find(|v| v.name() == s)
        .ok_or_else(|| {
            let names: Vec<_> = Scenario::ALL.iter().map(|v| v.name()).collect();
            format!(
                "unknown scenario {s:?}; expected one of {}",
                names.join(", ")
            )
        })
}

/// Run `check`.
pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let mut variants = if args.variants.is_empty() {
        Variant::ALL.to_vec()
    } else {
        args.variants.clone()
    };
    variants.sort();
    variants.dedup();
    let mut scenarios = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenarios.clone()
    };
    scenarios.sort();
    scenarios.dedup();
    let reductions = args
        .without_reductions
        .iter()
        .fold(Reductions::ALL, |r, name| r.without(name).unwrap_or(r));
    let opts = CheckOptions {
        budgets: args.budgets.budgets(),
        threads: args.threads.max(1),
        exhaustive: args.exhaustive,
        variants,
        scenarios,
        budget: Budget {
            max_states: args.max_states,
            max_memory: args.max_memory_mib.saturating_mul(1 << 20),
        },
        reductions,
    };
    let total = tcp_model::check::plan(&opts).len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] run {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let report = check(&opts, &mut |p| {
        bar.set_position(p.runs_done as u64);
        bar.set_message(format!(
            "{} / {}: {} states{}",
            p.variant,
            p.scenario,
            p.states,
            p.memory
                .map(|m| format!(", {} MiB", m >> 20))
                .unwrap_or_default()
        ));
    });
    bar.finish_and_clear();
    if args.json {
        println!("{}", report::json(&report)?);
    } else {
        print!("{}", report::text(&report));
    }
    Ok(match report.overall() {
        Overall::Ok => ExitCode::SUCCESS,
        Overall::Failed(_) => ExitCode::FAILURE,
        Overall::Inconclusive(_) => ExitCode::from(INCONCLUSIVE),
    })
}
