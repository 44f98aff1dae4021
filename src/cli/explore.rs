//! `explore`: stateright's Explorer, a web page for walking the state space by hand.

use anyhow::{bail, Result};
use clap::Args;
use stateright::Model;
use std::process::ExitCode;
use tcp_model::config::{Budgets, Config, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::system::System;

/// Options of `explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// Variant to explore.
    #[arg(long, default_value = "standard")]
    pub variant: String,
    /// Scenario: client-server, peer-to-peer, idle-crash, abort, fast-reuse or blind-attack.
    #[arg(long, default_value = "client-server")]
    pub scenario: String,
    /// Port on 127.0.0.1 to serve on.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
}

/// Run `explore` (serves until interrupted).
pub fn run(args: &ExploreArgs) -> Result<ExitCode> {
    let Some(variant) = Variant::ALL.into_iter().find(|v| v.name() == args.variant) else {
        bail!("unknown variant {:?}", args.variant);
    };
    let Some(scenario) = Scenario::ALL
        .into_iter()
        .find(|s| s.name() == args.scenario)
    else {
        bail!("unknown scenario {:?}", args.scenario);
    };
    let addr = ("127.0.0.1", args.port);
    eprintln!(
        "Explorer for {variant} / {scenario}: open http://127.0.0.1:{}/ (Ctrl-C to stop)",
        args.port
    );
    System::new(Config::new(scenario, variant, Budgets::default()))
        .checker()
        .serve(addr);
    Ok(ExitCode::SUCCESS)
}
