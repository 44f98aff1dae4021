//! Stand-alone `replay` command for trying the replayer before the root crate wires it in:
//! `cargo run -p tcp-conformance --example replay -- --target linux --vectors DIR [...]`.

use clap::Parser;
use std::process::ExitCode;
use tcp_conformance::{run_replay, ReplayArgs};

/// Replay TCP test vectors against a target through a TUN device.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    replay: ReplayArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_replay(&cli.replay) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("replay: {e:#}");
            ExitCode::from(2)
        }
    }
}
