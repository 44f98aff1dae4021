//! The exec adapter: smoltcp or lwIP behind the exec protocol (`conformance/README.md`), on
//! the TUN device the replayer hands over (`TCPSPEC_TUN_FD`).
//!
//! `tcpspec-exec-adapter --stack smoltcp|lwip`; the replayer runs it as
//! `--target "exec:tcpspec-exec-adapter --stack smoltcp"` (and `--target lwip` runs it with
//! `--stack lwip`: lwIP keeps global state, so each job's lwIP has its own process).
//! `tcpspec exec-adapter --stack smoltcp|lwip` is the same program inside the command-line
//! tool. Diagnostics go to standard error; exit code 2 on bad arguments or environment, 1 when
//! the protocol's input or output fails.

use std::process::ExitCode;
use tcp_conformance::exec_server::run_adapter;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, name] if flag == "--stack" => run_adapter(name),
        _ => Err((2, "usage: tcpspec-exec-adapter --stack smoltcp|lwip".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("tcpspec-exec-adapter: {message}");
            ExitCode::from(code)
        }
    }
}
