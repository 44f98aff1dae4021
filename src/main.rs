//! `tcpspec`: model-check TCP connection management, browse the state space, generate test
//! vectors, replay them against real TCP stacks (Linux, `impl`, smoltcp, lwIP, or any stack
//! behind the exec protocol), and export them as packetdrill scripts.

mod attack;
mod cli;
mod fuzz;
mod report;

/// mimalloc: the checker allocates states on its worker threads and frees most of them on
/// another, which glibc's allocator serves slowly (see the throughput benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Tests that drive the userspace stack take this lock: the fuzzer's power test seeds faults
/// into every thread of the process (`tcp_impl::fault::inject_everywhere`).
#[cfg(test)]
pub(crate) static STACK_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
use std::process::ExitCode;

/// Model-checked TCP connection management.
#[derive(Parser, Debug)]
#[command(name = "tcpspec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every property on standard TCP and on every mechanism switch.
    Check(cli::check::CheckArgs),
    /// Serve stateright's Explorer on 127.0.0.1 to browse the state space.
    Explore(cli::explore::ExploreArgs),
    /// Generate the conformance vectors from the model into vectors/.
    Generate(cli::generate::GenerateArgs),
    /// Print the RFC 9293 state x event matrix the vectors cover.
    Coverage(cli::coverage::CoverageArgs),
    /// Export the vectors packetdrill can express as packetdrill scripts.
    Export(cli::export::ExportArgs),
    /// Replay the vectors through a TUN device against a real TCP (root or a user namespace).
    Replay(tcp_conformance::ReplayArgs),
    /// Random walks against a target with the model as the oracle; failing walks are shrunk
    /// to vectors under vectors/found/.
    Fuzz(cli::fuzz::FuzzArgs),
    /// Attack a target in a private namespace: blind RST/SYN/data (RFC 5961), SYN flood.
    Attack(cli::attack::AttackArgs),
    /// Serve smoltcp or lwIP behind the exec protocol on the TUN device handed over as
    /// `TCPSPEC_TUN_FD` (what `replay --target lwip` runs, one process per job; the same as the
    /// program `tcpspec-exec-adapter`).
    #[command(hide = true)]
    ExecAdapter {
        /// `smoltcp` or `lwip`.
        #[arg(long)]
        stack: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => cli::check::run(&args),
        Command::Explore(args) => cli::explore::run(&args),
        Command::Generate(args) => cli::generate::run(&args),
        Command::Coverage(args) => cli::coverage::run(&args),
        Command::Export(args) => cli::export::run(&args),
        Command::Replay(args) => tcp_conformance::run_replay(&args),
        Command::Attack(args) => cli::attack::run(&args),
        Command::Fuzz(args) => cli::fuzz::run(&args),
        Command::ExecAdapter { stack } => {
            return match tcp_conformance::exec_server::run_adapter(&stack) {
                Ok(()) => ExitCode::SUCCESS,
                Err((code, message)) => {
                    eprintln!("tcpspec exec-adapter: {message}");
                    ExitCode::from(code)
                }
            };
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
