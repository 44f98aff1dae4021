//! The exec adapter: smoltcp or lwIP behind the exec protocol (`conformance/README.md`), on
//! the TUN device the replayer hands over (`TCPSPEC_TUN_FD`).
//!
//! `tcpspec-exec-adapter --stack smoltcp|lwip`; the replayer runs it as
//! `--target "exec:tcpspec-exec-adapter --stack smoltcp"` (and `--target lwip` runs it with
//! `--stack lwip`: lwIP keeps global state, so each job's lwIP has its own process).
//! Diagnostics go to standard error; exit code 2 on bad arguments or environment, 1 when the
//! protocol's input or output fails.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitCode;
use tcp_conformance::engine_util::TunOwner;
use tcp_conformance::exec_protocol::ENV_TUN_FD;
use tcp_conformance::exec_server::serve;
use tcp_conformance::lwip_target::{LwipEngine, LWIP_VERSION};
use tcp_conformance::smoltcp_target::{SmoltcpEngine, SMOLTCP_VERSION};
use tcp_conformance::wire::TunEngine;

/// The inherited TUN fd named by `TCPSPEC_TUN_FD`.
fn tun_from_env() -> Result<TunOwner, String> {
    let text = std::env::var(ENV_TUN_FD).map_err(|_| format!("{ENV_TUN_FD} is not set"))?;
    let fd: i32 = text
        .parse()
        .map_err(|_| format!("{ENV_TUN_FD}={text:?} is not an fd number"))?;
    // SAFETY: F_GETFD only checks that the fd is open.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(format!("{ENV_TUN_FD}={fd} is not an open fd"));
    }
    // SAFETY: the fd is open and handed to this process to own.
    Ok(Box::new(unsafe { OwnedFd::from_raw_fd(fd) }))
}

fn run() -> Result<(), (u8, String)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stack = match args.as_slice() {
        [flag, name] if flag == "--stack" => name.clone(),
        _ => return Err((2, "usage: tcpspec-exec-adapter --stack smoltcp|lwip".into())),
    };
    let tun = tun_from_env().map_err(|e| (2, e))?;
    let (mut engine, label): (Box<dyn TunEngine>, String) = match stack.as_str() {
        "smoltcp" => (
            Box::new(SmoltcpEngine::start(tun).map_err(|e| (2, format!("smoltcp: {e}")))?),
            format!("smoltcp {SMOLTCP_VERSION}"),
        ),
        "lwip" => (
            Box::new(LwipEngine::start(tun).map_err(|e| (2, format!("lwip: {e}")))?),
            format!("lwIP {LWIP_VERSION}"),
        ),
        other => return Err((2, format!("unknown stack {other:?}: smoltcp or lwip"))),
    };
    serve(
        engine.as_mut(),
        &label,
        io::stdin().lock(),
        io::stdout().lock(),
    )
    .map_err(|e| (1, format!("exec protocol: {e}")))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("tcpspec-exec-adapter: {message}");
            ExitCode::from(code)
        }
    }
}
