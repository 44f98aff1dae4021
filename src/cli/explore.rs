//! `explore`: stateright's Explorer, a web page for walking the state space by hand, served on
//! 127.0.0.1 only. Actions are named as the `check` charts name them, each state is summed up
//! in a line per host and one for the network, and the path so far is drawn as a
//! message-sequence chart (`tcp_model::explorer`). With `--counterexample P` it first finds the
//! variant's counterexample to property P, as `check` does, and prints the address that opens
//! the Explorer at it.

use crate::cli::check::{parse_reduction, parse_scenario, parse_variant, BudgetArgs};
use crate::report::explorer_url;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use stateright::Model;
use std::process::ExitCode;
use tcp_model::check::{check, scenario_of, CheckOptions, Status};
use tcp_model::config::{Config, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::properties;
use tcp_model::system::{Reductions, System};

/// Options of `explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// Variant to explore.
    #[arg(long, default_value = "standard", value_parser = parse_variant)]
    pub variant: Variant,
    /// Scenario: client-server, peer-to-peer, idle-crash, abort, fast-reuse, blind-attack or
    /// middlebox. Default: client-server, or with `--counterexample` the scenario `check` finds
    /// that counterexample in.
    #[arg(long, value_parser = parse_scenario)]
    pub scenario: Option<Scenario>,
    /// Open at the variant's counterexample to this property (as `check` finds it).
    #[arg(long)]
    pub counterexample: Option<String>,
    /// The network's budgets and the applications' sizes.
    #[command(flatten)]
    pub budgets: BudgetArgs,
    /// Explore without this state-space reduction (history, twins); repeatable.
    #[arg(long = "without-reduction", value_parser = parse_reduction)]
    pub without_reductions: Vec<String>,
    /// Port on 127.0.0.1 to serve on.
    #[arg(long, default_value_t = crate::report::DEFAULT_PORT)]
    pub port: u16,
}

/// Find the counterexample as `check` does, and return its Explorer path.
fn find_counterexample(
    args: &ExploreArgs,
    property: &str,
    scenario: Scenario,
    reductions: Reductions,
) -> Result<String> {
    let Some(spec) = properties::spec(property) else {
        let names: Vec<&str> = properties::ALL.iter().map(|p| p.name).collect();
        bail!(
            "--counterexample {property:?}: no such property; expected one of {}",
            names.join(", ")
        );
    };
    let opts = CheckOptions {
        budgets: args.budgets.budgets(),
        variants: vec![args.variant],
        scenarios: vec![scenario],
        // As `check` runs it: a switch's run stops at the counterexample it must produce;
        // any other property needs the whole space.
        exhaustive: !args
            .variant
            .must_violate()
            .iter()
            .any(|(p, _)| *p == spec.name),
        reductions,
        ..CheckOptions::default()
    };
    eprintln!(
        "finding {}'s counterexample to {property} in {scenario}...",
        args.variant
    );
    let report = check(&opts, &mut |_| {});
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.variant == args.variant && o.property == spec.name)
        .ok_or_else(|| {
            anyhow!(
                "--counterexample {property}: {} is not checked in scenario {scenario}",
                spec.name
            )
        })?;
    match (outcome.status, &outcome.explorer_path) {
        (Status::Violated, Some(path)) => Ok(path.clone()),
        (Status::Violated, None) => bail!(
            "--counterexample {property}: {} in {scenario} has no counterexample path (a \
             sometimes-property is violated by being unreachable)",
            args.variant
        ),
        (status, _) => bail!(
            "--counterexample {property}: {} {} in {scenario} ({}): there is no counterexample",
            args.variant,
            status.word(),
            if status == Status::Holds {
                "the property holds"
            } else {
                "the check was inconclusive"
            }
        ),
    }
}

/// Run `explore` (serves until interrupted).
pub fn run(args: &ExploreArgs) -> Result<ExitCode> {
    let reductions = args
        .without_reductions
        .iter()
        .fold(Reductions::ALL, |r, name| r.without(name).unwrap_or(r));
    let scenario = match (&args.scenario, &args.counterexample) {
        (Some(s), _) => *s,
        (None, Some(p)) => scenario_of(args.variant, p),
        (None, None) => Scenario::ClientServer,
    };
    let path = match &args.counterexample {
        Some(p) => Some(find_counterexample(args, p, scenario, reductions)?),
        None => None,
    };
    let addr = ("127.0.0.1", args.port);
    // stateright's server panics when it cannot listen: find out first, and say where.
    std::net::TcpListener::bind(addr)
        .with_context(|| format!("explore: cannot listen on 127.0.0.1:{}", args.port))?;
    let url = match &path {
        Some(p) => explorer_url(p, args.port),
        None => format!("http://127.0.0.1:{}/", args.port),
    };
    eprintln!(
        "Explorer for {} / {scenario}: open {url} (Ctrl-C to stop)",
        args.variant
    );
    let config = Config::new(scenario, args.variant, args.budgets.budgets());
    System::with_reductions(config, reductions)
        .checker()
        .serve(addr);
    Ok(ExitCode::SUCCESS)
}
