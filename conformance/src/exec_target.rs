//! The `exec:` target: any stack, in any language, as a process that speaks the exec protocol
//! ([`crate::exec_protocol`], documented in `conformance/README.md`) and owns a TUN device
//! that the replayer creates in the job's namespace and hands over as an inherited fd. The
//! replayer injects and captures on the device's interface ([`crate::wire`]), as for the
//! other userspace stacks. `--target lwip` is this target with the exec adapter running lwIP
//! (one lwIP per process, [`crate::lwip_target`]).

use crate::app::App;
use crate::exec_protocol::{
    hex, sock_error, unhex, Hello, Reply, Request, ENV_TUN_FD, ENV_TUN_NAME, PROTOCOL,
};
use crate::stack::{Footprint, Readable, SockError, Sockets};
use crate::target::Endpoints;
use crate::timing::TimerProfile;
use crate::wire::{tun_for_stack, EngineTiming, OnTun, TunEngine};
use serde_json::Value;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;
use tcp_vectors::{SocketOptions, TcpState};

/// The fd number the TUN device has in the process.
pub const CHILD_TUN_FD: i32 = 3;

/// How long the process may take to answer one request (or to say hello).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// A target whose stack runs in another process: the replayer's target.
pub type ExecTarget = App<OnTun<ExecEngine>>;

impl ExecTarget {
    /// Create a TUN device in the calling thread's namespace and start `program` with `args`
    /// on it; `name` is the target's name in reports.
    pub fn spawn(program: &str, args: &[String], name: &str) -> io::Result<Self> {
        Ok(App::over(ExecEngine::on_tun(program, args, name)?))
    }
}

impl ExecEngine {
    /// The stack of [`ExecTarget::spawn`], without the application layer.
    pub fn on_tun(program: &str, args: &[String], name: &str) -> io::Result<OnTun<ExecEngine>> {
        let (tun, wire) = tun_for_stack("tcpx%d")?;
        let engine = ExecEngine::spawn(&tun, program, args, name)?;
        Ok(OnTun { engine, wire })
    }
}

/// The exec adapter shipped with the replayer (which runs smoltcp or lwIP behind the exec
/// protocol), as a program and the arguments that come before `--stack`:
/// `TCPSPEC_EXEC_ADAPTER` if set; else `tcpspec-exec-adapter` beside the running program or
/// one folder up (a test binary runs from `target/<profile>/deps`); else, when the running
/// program is the command-line tool `tcpspec`, that program itself with `exec-adapter`.
pub fn adapter_program() -> io::Result<(PathBuf, Vec<String>)> {
    if let Some(p) = std::env::var_os("TCPSPEC_EXEC_ADAPTER") {
        return Ok((PathBuf::from(p), Vec::new()));
    }
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join("tcpspec-exec-adapter");
        if candidate.is_file() {
            return Ok((candidate, Vec::new()));
        }
        if d.file_name().is_some_and(|n| n != "deps") {
            break;
        }
        dir = d.parent();
    }
    if exe.file_name().is_some_and(|n| n == "tcpspec") {
        return Ok((exe, vec!["exec-adapter".to_string()]));
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "the exec adapter tcpspec-exec-adapter is not beside {} (build it with `cargo build \
             --release -p tcp-conformance --bin tcpspec-exec-adapter`, or set \
             TCPSPEC_EXEC_ADAPTER)",
            exe.display()
        ),
    ))
}

/// A stack in a child process, driven through the exec protocol.
pub struct ExecEngine {
    name: String,
    /// The stack and version the process said hello with.
    stack: String,
    timers: TimerProfile,
    child: Child,
    /// The process's input; `None` once closed.
    stdin: Option<ChildStdin>,
    lines: Receiver<io::Result<String>>,
}

impl std::fmt::Debug for ExecEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecEngine")
            .field("name", &self.name)
            .field("stack", &self.stack)
            .finish_non_exhaustive()
    }
}

impl ExecEngine {
    /// Start `program` with the TUN device `tun` as its fd [`CHILD_TUN_FD`] and read its hello.
    pub fn spawn(
        tun: &impl AsRawFd,
        program: &str,
        args: &[String],
        name: &str,
    ) -> io::Result<Self> {
        let fd = tun.as_raw_fd();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env(ENV_TUN_FD, CHILD_TUN_FD.to_string())
            .env(ENV_TUN_NAME, tun_name(fd))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: dup2 and fcntl are async-signal-safe; they run in the child between fork and
        // exec and give the TUN fd a fixed number without close-on-exec (dup2 onto itself
        // would keep the flag, so then it is cleared).
        unsafe {
            cmd.pre_exec(move || {
                let rc = if fd == CHILD_TUN_FD {
                    libc::fcntl(fd, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, CHILD_TUN_FD)
                };
                if rc < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("start {program}: {e}")))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => return Err(io::Error::other(format!("{program}: no pipes"))),
        };
        let (tx, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("exec-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })?;
        let mut engine = ExecEngine {
            name: name.to_string(),
            stack: String::new(),
            timers: TimerProfile::linux(),
            child,
            stdin: Some(stdin),
            lines,
        };
        let hello_line = engine.read_line("hello")?;
        let hello: Hello = serde_json::from_str(&hello_line).map_err(|e| {
            io::Error::other(format!("{program}: bad hello line {hello_line:?}: {e}"))
        })?;
        if hello.protocol != PROTOCOL {
            return Err(io::Error::other(format!(
                "{program} speaks {:?}, not {PROTOCOL}",
                hello.protocol
            )));
        }
        engine.timers = TimerProfile::from(&hello.timers);
        engine.stack = hello.stack;
        Ok(engine)
    }

    /// The stack and version the process named in its hello.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    fn read_line(&mut self, what: &str) -> io::Result<String> {
        match self.lines.recv_timeout(ANSWER_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{}: no answer to {what} within {} s",
                    self.name,
                    ANSWER_TIMEOUT.as_secs()
                ),
            )),
            Err(RecvTimeoutError::Disconnected) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: the process ended (before answering {what})", self.name),
            )),
        }
    }

    /// Send one request and read its reply: `Ok(Ok(value))`, `Ok(Err(errno))`, or an
    /// `io::Error` for a fatal reply, a bad line or a dead process.
    fn call(&mut self, request: &Request) -> io::Result<Result<Value, SockError>> {
        let line = serde_json::to_string(request)?;
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other(format!("{}: input closed", self.name)))?;
        writeln!(stdin, "{line}")
            .and_then(|_| stdin.flush())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: write {line}: {e}", self.name)))?;
        let answer = self.read_line(&line)?;
        match serde_json::from_str::<Reply>(&answer) {
            Ok(Reply::Ok(v)) => Ok(Ok(v)),
            Ok(Reply::Err(name)) => Ok(Err(sock_error(&name))),
            Ok(Reply::Fatal(why)) => Err(io::Error::other(format!(
                "{}: {line} failed: {why}",
                self.name
            ))),
            Err(e) => Err(io::Error::other(format!(
                "{}: bad reply {answer:?} to {line}: {e}",
                self.name
            ))),
        }
    }

    /// A call whose transport failure is a socket error for the application layer.
    fn sock(&mut self, request: &Request) -> Result<Value, SockError> {
        match self.call(request) {
            Ok(r) => r,
            Err(e) => Err(SockError::Other(format!("exec: {e}"))),
        }
    }

    fn unit(&mut self, request: &Request) -> Result<(), SockError> {
        self.sock(request).map(|_| ())
    }
}

/// The name of the TUN device behind `fd` (`TUNGETIFF`), or empty when it cannot be read.
fn tun_name(fd: i32) -> String {
    let mut ifr = [0u8; 40];
    // SAFETY: TUNGETIFF writes a struct ifreq (40 bytes) into ifr.
    let rc = unsafe { libc::ioctl(fd, 0x800454d2, ifr.as_mut_ptr()) };
    if rc < 0 {
        return String::new();
    }
    let end = ifr[..16].iter().position(|&b| b == 0).unwrap_or(16);
    String::from_utf8_lossy(&ifr[..end]).into_owned()
}

fn bad(what: &str, v: &Value) -> io::Error {
    io::Error::other(format!(
        "exec: the reply to {what} is not what the protocol says: {v}"
    ))
}

impl Sockets for ExecEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn timers(&self) -> &TimerProfile {
        &self.timers
    }

    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()> {
        if let Some(n) = options.receive_buffer {
            return Err(crate::stack::no_receive_buffer(self.name(), n));
        }
        self.call(&Request::Begin {
            target: ends.target,
            peer: ends.peer,
            keepalive: options.keepalive,
        })?
        .map(|_| ())
        .map_err(|e| io::Error::other(format!("begin: {e}")))
    }

    fn connect(&mut self) -> Result<(), SockError> {
        self.unit(&Request::Connect)
    }

    fn listen(&mut self) -> Result<(), SockError> {
        self.unit(&Request::Listen)
    }

    fn accept(&mut self) -> Result<(), SockError> {
        self.unit(&Request::Accept)
    }

    fn unlisten(&mut self) {
        let _ = self.unit(&Request::Unlisten);
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        let v = self.sock(&Request::Send { data: hex(data) })?;
        v.as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| SockError::Other(bad("send", &v).to_string()))
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        let v = self.sock(&Request::Recv { max: buf.len() })?;
        let data = v
            .as_str()
            .map(unhex)
            .and_then(Result::ok)
            .filter(|d| d.len() <= buf.len())
            .ok_or_else(|| SockError::Other(bad("recv", &v).to_string()))?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    fn shutdown(&mut self) -> Result<(), SockError> {
        self.unit(&Request::Shutdown)
    }

    fn abort(&mut self) {
        let _ = self.unit(&Request::Abort);
    }

    fn readable(&mut self) -> Result<Readable, SockError> {
        let v = self.sock(&Request::Readable)?;
        match (v["bytes"].as_u64(), v["eof"].as_bool()) {
            (Some(bytes), Some(eof)) => Ok(Readable {
                bytes: bytes as usize,
                eof,
            }),
            _ => Err(SockError::Other(bad("readable", &v).to_string())),
        }
    }

    fn take_error(&mut self) -> Option<SockError> {
        match self.sock(&Request::TakeError) {
            Ok(Value::String(name)) => Some(sock_error(&name)),
            Ok(_) => None,
            Err(e) => Some(e),
        }
    }

    fn connected(&mut self) -> bool {
        matches!(self.sock(&Request::Connected), Ok(Value::Bool(true)))
    }

    fn state(&mut self) -> io::Result<Option<TcpState>> {
        match self.call(&Request::State)? {
            Ok(Value::Null) => Ok(None),
            Ok(Value::String(s)) => serde_json::from_value::<TcpState>(Value::String(s.clone()))
                .map(Some)
                .map_err(|e| io::Error::other(format!("exec: state {s:?}: {e}"))),
            Ok(v) => Err(bad("state", &v)),
            Err(e) => Err(io::Error::other(format!("exec: state: {e}"))),
        }
    }

    fn end(&mut self) {
        let _ = self.call(&Request::End);
    }
}

impl TunEngine for ExecEngine {
    fn processed(&mut self) -> io::Result<u64> {
        match self.call(&Request::Processed)? {
            Ok(v) => v.as_u64().ok_or_else(|| bad("processed", &v)),
            Err(e) => Err(io::Error::other(format!("exec: processed: {e}"))),
        }
    }

    fn timing(&mut self) -> io::Result<EngineTiming> {
        let v = match self.call(&Request::Timing)? {
            Ok(v) => v,
            Err(e) => return Err(io::Error::other(format!("exec: timing: {e}"))),
        };
        let tx_packets = v["tx_packets"].as_u64().ok_or_else(|| bad("timing", &v))?;
        let next_timer = match &v["next_timer_us"] {
            Value::Null => None,
            n => Some(Duration::from_micros(
                n.as_u64().ok_or_else(|| bad("timing", &v))?,
            )),
        };
        Ok(EngineTiming {
            tx_packets,
            next_timer,
        })
    }

    /// The child process (the exec protocol reports no defence counters).
    fn footprint(&self) -> Option<Footprint> {
        Some(Footprint::Process {
            pid: self.child.id(),
            shared: false,
        })
    }
}

impl Drop for ExecEngine {
    /// Close the process's input (it ends the replay and exits); kill it if it does not
    /// within a second. Only this process, by its id.
    fn drop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
