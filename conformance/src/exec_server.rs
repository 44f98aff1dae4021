//! The process side of the exec protocol ([`crate::exec_protocol`]): serve a [`TunEngine`]
//! on standard input and output. The exec adapter ([`run_adapter`]: the program
//! `tcpspec-exec-adapter`, and `tcpspec exec-adapter`) runs smoltcp or lwIP this way; a stack
//! in another language implements the same lines.

use crate::engine_util::TunOwner;
use crate::exec_protocol::{hex, unhex, Hello, Reply, Request, Timers, ENV_TUN_FD, PROTOCOL};
use crate::lwip_target::{LwipEngine, LWIP_VERSION};
use crate::smoltcp_target::{SmoltcpEngine, SMOLTCP_VERSION};
use crate::stack::SockError;
use crate::target::Endpoints;
use crate::wire::TunEngine;
use serde_json::{json, Value};
use std::io::{self, BufRead, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use tcp_vectors::SocketOptions;

/// The stacks the exec adapter serves.
pub const ADAPTER_STACKS: [&str; 2] = ["smoltcp", "lwip"];

/// The exec adapter: serve `stack` (`smoltcp` or `lwip`) behind the exec protocol on standard
/// input and output, on the TUN device inherited as `TCPSPEC_TUN_FD`, until the input ends.
/// `Err((2, why))` for a bad stack name or environment, `Err((1, why))` when the protocol's
/// input or output fails.
pub fn run_adapter(stack: &str) -> Result<(), (u8, String)> {
    let tun = tun_from_env().map_err(|e| (2, e))?;
    let (mut engine, label): (Box<dyn TunEngine>, String) = match stack {
        "smoltcp" => (
            Box::new(SmoltcpEngine::start(tun).map_err(|e| (2, format!("smoltcp: {e}")))?),
            format!("smoltcp {SMOLTCP_VERSION}"),
        ),
        "lwip" => (
            Box::new(LwipEngine::start(tun).map_err(|e| (2, format!("lwip: {e}")))?),
            format!("lwIP {LWIP_VERSION}"),
        ),
        other => {
            return Err((
                2,
                format!("unknown stack {other:?}: {}", ADAPTER_STACKS.join(" or ")),
            ))
        }
    };
    serve(
        engine.as_mut(),
        &label,
        io::stdin().lock(),
        io::stdout().lock(),
    )
    .map_err(|e| (1, format!("exec protocol: {e}")))
}

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

/// Write the hello line, then answer every request line until the input ends; then end the
/// replay. `stack` names the stack and its version for the hello.
pub fn serve(
    engine: &mut dyn TunEngine,
    stack: &str,
    input: impl BufRead,
    mut output: impl Write,
) -> io::Result<()> {
    let hello = Hello {
        protocol: PROTOCOL.into(),
        stack: stack.into(),
        timers: Timers::from(engine.timers()),
    };
    writeln!(output, "{}", serde_json::to_string(&hello)?)?;
    output.flush()?;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        let reply = match Request::parse_line(&line) {
            Ok(request) => answer(engine, request),
            Err(e) => Reply::Fatal(format!("request line {}: {e}", n + 1)),
        };
        writeln!(output, "{}", serde_json::to_string(&reply)?)?;
        output.flush()?;
    }
    engine.end();
    Ok(())
}

fn done(r: Result<(), SockError>) -> Reply {
    match r {
        Ok(()) => Reply::Ok(Value::Null),
        Err(e) => Reply::Err(e.to_string()),
    }
}

/// Carry out one request.
fn answer(engine: &mut dyn TunEngine, request: Request) -> Reply {
    match request {
        Request::Begin {
            target,
            peer,
            keepalive,
        } => {
            let options = SocketOptions {
                keepalive,
                ..SocketOptions::default()
            };
            match engine.begin(Endpoints { target, peer }, &options) {
                Ok(()) => Reply::Ok(Value::Null),
                Err(e) => Reply::Fatal(format!("begin: {e}")),
            }
        }
        Request::Connect => done(engine.connect()),
        Request::Listen => done(engine.listen()),
        Request::Accept => done(engine.accept()),
        Request::Unlisten => {
            engine.unlisten();
            Reply::Ok(Value::Null)
        }
        Request::Send { data } => match unhex(&data) {
            Ok(bytes) => match engine.send(&bytes) {
                Ok(n) => Reply::Ok(json!(n)),
                Err(e) => Reply::Err(e.to_string()),
            },
            Err(e) => Reply::Fatal(format!("send: {e}")),
        },
        Request::Recv { max } => {
            let mut buf = vec![0u8; max];
            match engine.recv(&mut buf) {
                Ok(n) => Reply::Ok(json!(hex(&buf[..n]))),
                Err(e) => Reply::Err(e.to_string()),
            }
        }
        Request::Shutdown => done(engine.shutdown()),
        Request::Abort => {
            engine.abort();
            Reply::Ok(Value::Null)
        }
        Request::Readable => match engine.readable() {
            Ok(r) => Reply::Ok(json!({"bytes": r.bytes, "eof": r.eof})),
            Err(e) => Reply::Err(e.to_string()),
        },
        Request::TakeError => Reply::Ok(json!(engine.take_error().map(|e| e.to_string()))),
        Request::Connected => Reply::Ok(json!(engine.connected())),
        Request::State => match engine.state() {
            Ok(s) => Reply::Ok(json!(s.map(|s| s.name()))),
            Err(e) => Reply::Fatal(format!("state: {e}")),
        },
        Request::Processed => match engine.processed() {
            Ok(n) => Reply::Ok(json!(n)),
            Err(e) => Reply::Fatal(format!("processed: {e}")),
        },
        Request::Timing => match engine.timing() {
            Ok(t) => Reply::Ok(json!({
                "tx_packets": t.tx_packets,
                "next_timer_us": t.next_timer.map(|d| d.as_micros() as u64),
            })),
            Err(e) => Reply::Fatal(format!("timing: {e}")),
        },
        Request::End => {
            engine.end();
            Reply::Ok(Value::Null)
        }
    }
}
