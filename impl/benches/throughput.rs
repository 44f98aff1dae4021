//! Bulk throughput over a TUN device at MTU 1500, kernel <-> stack in both directions, for
//! this stack and for smoltcp 0.14, in one run. Needs root (network namespace + TUN).
//!
//! Four setups are measured in every run: each stack on a plain TUN and on the offload TUN
//! (`IFF_VNET_HDR` with TSO/checksum offload, MTU still 1500; smoltcp's drivers are in
//! `support/smoltcp_tun.rs`). Reported per setup and direction: MB/s, the ratio against
//! smoltcp on the same TUN (and, for this stack on the offload TUN, against smoltcp on the
//! plain one), CPU seconds per GB (and the kernel's share), the machine's busy share and how
//! busy the kernel side's socket thread was.
//!
//! ```text
//! cargo bench -p tcp-impl --bench throughput            # 1000 MB per direction, one run
//! BENCH_MB=400 BENCH_RUNS=3 cargo bench -p tcp-impl --bench throughput
//! BENCH_ONLY=smoltcp|impl|smoltcp-offload|offload BENCH_DIR=down|up ...  # one part (profiling)
//! BENCH_CC=reno BENCH_BUF_KB=1024 ...   # kernel congestion control, buffers (both stacks)
//! ```

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/smoltcp_tun.rs"]
mod smoltcp_tun;

use common::{make_offload_tun, make_tun, KERNEL_V4, STACK_V4};
use cpu::{CpuMark, CpuUse};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};
use tcp_impl::runtime::NetStack;
use tcp_impl::Config;

const CHUNK: usize = 256 * 1024;

/// Prints the kernel sender's retransmissions and window (profiling aid for BENCH_ONLY).
fn print_tcp_info(s: &std::net::TcpStream) {
    // SAFETY: tcp_info is plain data; getsockopt writes at most `len` bytes into it.
    let mut ti: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: a valid socket fd and a buffer of `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut ti as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        println!(
            "  kernel sender: total_retrans {}, snd_cwnd {}, rtt {} us, min_rtt {} us, \
             busy {} us, limited by receive window {} us, by send buffer {} us",
            ti.tcpi_total_retrans,
            ti.tcpi_snd_cwnd,
            ti.tcpi_rtt,
            ti.tcpi_min_rtt,
            ti.tcpi_busy_time,
            ti.tcpi_rwnd_limited,
            ti.tcpi_sndbuf_limited
        );
    }
}

/// BENCH_CC=name sets the kernel's congestion control in the benchmark's namespaces, for
/// both stacks (default: the host's; a namespace may only pick an allowed one, e.g. reno).
fn set_congestion_control() -> Result<(), tcp_netlab::Error> {
    match std::env::var("BENCH_CC") {
        Ok(cc) => std::fs::write("/proc/sys/net/ipv4/tcp_congestion_control", &cc)
            .map_err(|e| tcp_netlab::Error::new(format!("BENCH_CC={cc}"), e)),
        Err(_) => Ok(()),
    }
}

/// Socket buffer size for both stacks (the same for both): BENCH_BUF_KB, default 1 MiB
/// (this stack's default).
fn buffer_bytes() -> usize {
    std::env::var("BENCH_BUF_KB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(Config::default().recv_buffer, |kb| kb * 1024)
}

/// This stack's configuration: the defaults, with the benchmark's buffer size.
fn impl_config() -> Config {
    Config {
        recv_buffer: buffer_bytes(),
        send_buffer: buffer_bytes(),
        ..Config::default()
    }
}

/// Spawns a named thread (names show in the per-thread CPU report and in `perf`).
fn spawn_named<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("spawn a benchmark thread")
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// The kernel side's transfer: its duration and the CPU time of the thread that ran the
/// socket calls (the kernel's TCP work done in them, plus the softirqs it ran).
#[derive(Clone, Copy, Debug, Default)]
struct PeerTime {
    elapsed: Duration,
    thread_cpu: Duration,
}

/// Kernel sends `total` bytes to `addr`; returns when the peer has read them all (it closes).
fn kernel_send(addr: SocketAddr, total: usize) -> PeerTime {
    let mut s = std::net::TcpStream::connect(addr).expect("kernel connect");
    let buf = vec![0x5au8; CHUNK];
    let t = Instant::now();
    let cpu = cpu::thread_cpu_time();
    let mut left = total;
    while left > 0 {
        let n = left.min(CHUNK);
        s.write_all(&buf[..n]).expect("kernel write");
        left -= n;
    }
    if std::env::var("BENCH_ONLY").is_ok() {
        print_tcp_info(&s);
    }
    s.shutdown(Shutdown::Write).expect("shutdown");
    // Wait for the receiver's FIN: everything was read.
    let mut b = [0u8; 1];
    let _ = s.read(&mut b);
    PeerTime {
        elapsed: t.elapsed(),
        thread_cpu: cpu::thread_cpu_time().saturating_sub(cpu),
    }
}

/// Kernel receives until end of stream; returns bytes and time from first byte.
fn kernel_recv(l: std::net::TcpListener) -> (usize, PeerTime) {
    let (mut s, _) = l.accept().expect("kernel accept");
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    let mut start = None;
    loop {
        let n = s.read(&mut buf).expect("kernel read");
        if n == 0 {
            break;
        }
        start.get_or_insert_with(|| (Instant::now(), cpu::thread_cpu_time()));
        total += n;
    }
    let peer = start.map_or(PeerTime::default(), |(t, c)| PeerTime {
        elapsed: t.elapsed(),
        thread_cpu: cpu::thread_cpu_time().saturating_sub(c),
    });
    (total, peer)
}

/// One direction of one setup: throughput and the CPU it took.
#[derive(Clone, Copy, Debug, Default)]
struct Figure {
    /// MB/s (10^6 bytes), timed by the kernel side.
    mbps: f64,
    /// CPU used from before the connection to after the last byte.
    cpu: CpuUse,
    /// Share of one core the kernel side's socket thread was busy during the transfer
    /// (near 1: the kernel's side of this one connection was the bottleneck).
    peer_busy: f64,
}

/// Which directions to run: BENCH_DIR=down or BENCH_DIR=up runs one (for profiling).
fn runs_direction(down: bool) -> bool {
    match std::env::var("BENCH_DIR").as_deref() {
        Ok("down") => down,
        Ok("up") => !down,
        _ => true,
    }
}

/// Runs `f` (one direction's transfer, returning the kernel side's time) and measures it.
fn measured(
    total: usize,
    f: impl FnOnce() -> Result<PeerTime, tcp_netlab::Error>,
) -> Result<Figure, tcp_netlab::Error> {
    let mark = CpuMark::now();
    let peer = f()?;
    Ok(Figure {
        mbps: mbps(total, peer.elapsed),
        cpu: mark.used(),
        peer_busy: peer.thread_cpu.as_secs_f64() / peer.elapsed.as_secs_f64().max(1e-9),
    })
}

fn bench_impl(total: usize, config: Config, offload: bool) -> (Figure, Figure) {
    tcp_netlab::run_in_private_netns(move || -> Result<_, tcp_netlab::Error> {
        set_congestion_control()?;
        let net = if offload {
            NetStack::new_offload(make_offload_tun()?, config, vec![STACK_V4])
        } else {
            NetStack::new(make_tun()?, config, vec![STACK_V4])
        }
        .map_err(|e| tcp_netlab::Error::new("start tcp-impl", e))?;
        let mut down = Figure::default();
        if runs_direction(true) {
            down = measured(total, || impl_down(&net, total))?;
        }
        let mut up = Figure::default();
        if runs_direction(false) {
            up = measured(total, || impl_up(&net, total))?;
        }
        Ok((down, up))
    })
    .unwrap_or_else(|e| panic!("tcp-impl benchmark setup failed (needs root): {e}"))
}

/// Kernel -> stack: the kernel sends `total` bytes, the stack reads them; returns the time.
fn impl_down(net: &NetStack, total: usize) -> Result<PeerTime, tcp_netlab::Error> {
    let addr = SocketAddr::new(STACK_V4, 7000);
    let listener = net
        .listen(addr)
        .map_err(|e| tcp_netlab::Error::new("listen", e))?;
    let k = spawn_named("kernel-send", move || kernel_send(addr, total));
    let (mut s, _) = listener
        .accept()
        .map_err(|e| tcp_netlab::Error::new("accept", e))?;
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0;
    let cpu_before = cpu::thread_cpu();
    loop {
        let n = s
            .read(&mut buf)
            .map_err(|e| tcp_netlab::Error::new("read", e))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if std::env::var("BENCH_ONLY").is_ok() {
        cpu::print_cpu_delta(&cpu_before, &cpu::thread_cpu());
    }
    s.shutdown(Shutdown::Write)
        .map_err(|e| tcp_netlab::Error::new("shutdown", e))?;
    let down = k.join().expect("kernel sender");
    assert_eq!(got, total);
    if std::env::var("BENCH_ONLY").is_ok() {
        println!("tcp-impl while receiving: {:?}", net.stats());
        println!("receive coalescing: {:?}", net.coalesce_stats());
    }
    Ok(down)
}

/// Stack -> kernel: the stack sends `total` bytes, the kernel reads them; returns the time.
fn impl_up(net: &NetStack, total: usize) -> Result<PeerTime, tcp_netlab::Error> {
    let kaddr = SocketAddr::new(KERNEL_V4, 7001);
    let kl = std::net::TcpListener::bind(kaddr).expect("bind");
    let k = spawn_named("kernel-recv", move || kernel_recv(kl));
    let mut c = net
        .connect(kaddr)
        .map_err(|e| tcp_netlab::Error::new("connect", e))?;
    let data = vec![0xa5u8; CHUNK];
    let mut left = total;
    while left > 0 {
        let n = left.min(CHUNK);
        c.write_all(&data[..n])
            .map_err(|e| tcp_netlab::Error::new("write", e))?;
        left -= n;
    }
    c.shutdown(Shutdown::Write)
        .map_err(|e| tcp_netlab::Error::new("shutdown", e))?;
    let (n, up) = k.join().expect("kernel receiver");
    assert_eq!(n, total);
    Ok(up)
}

/// smoltcp on a plain or an offload TUN (see `support/smoltcp_tun.rs` for its drivers).
fn bench_smoltcp(total: usize, offload: bool) -> (Figure, Figure) {
    tcp_netlab::run_in_private_netns(move || -> Result<_, tcp_netlab::Error> {
        set_congestion_control()?;
        let tun: Box<dyn AsFd + Send> = if offload {
            Box::new(make_offload_tun()?)
        } else {
            Box::new(make_tun()?)
        };
        let fd = tun.as_fd().as_raw_fd();
        set_nonblocking(fd)?;
        let addr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)), 7000);
        let buffer = buffer_bytes();
        let mut down = Figure::default();
        if runs_direction(true) {
            down = measured(total, || {
                let k = spawn_named("kernel-send", move || kernel_send(addr, total));
                let cpu_before = cpu::thread_cpu();
                let got = smoltcp_tun::smol_run(fd, offload, true, total, buffer);
                if std::env::var("BENCH_ONLY").is_ok() {
                    cpu::print_cpu_delta(&cpu_before, &cpu::thread_cpu());
                }
                let d = k.join().expect("kernel sender");
                assert_eq!(got, total);
                Ok(d)
            })?;
            if std::env::var("BENCH_ONLY").is_ok() {
                use std::sync::atomic::Ordering::Relaxed;
                println!(
                    "smoltcp sent {} packets while receiving; the driver cut {} TSO packets \
                     into {} segments",
                    smoltcp_tun::SMOL_TX.load(Relaxed),
                    smoltcp_tun::SPLIT_IN.load(Relaxed),
                    smoltcp_tun::SPLIT_OUT.load(Relaxed)
                );
            }
        }
        let mut up = Figure::default();
        if runs_direction(false) {
            up = measured(total, || {
                let kl = std::net::TcpListener::bind(SocketAddr::new(KERNEL_V4, 7001))
                    .map_err(|e| tcp_netlab::Error::new("bind the kernel listener", e))?;
                let k = spawn_named("kernel-recv", move || kernel_recv(kl));
                smoltcp_tun::smol_run(fd, offload, false, total, buffer);
                let (n, d) = k.join().expect("kernel receiver");
                assert_eq!(n, total);
                Ok(d)
            })?;
        }
        drop(tun);
        Ok((down, up))
    })
    .unwrap_or_else(|e| panic!("smoltcp benchmark setup failed (needs root): {e}"))
}

fn set_nonblocking(fd: std::os::fd::RawFd) -> Result<(), tcp_netlab::Error> {
    // SAFETY: fcntl on a valid fd.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(tcp_netlab::Error::new(
            "make the TUN fd non-blocking",
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// The four setups of every run: each stack on each TUN setup.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Setup {
    SmolPlain,
    ImplPlain,
    SmolOffload,
    ImplOffload,
}

const SETUPS: [Setup; 4] = [
    Setup::SmolPlain,
    Setup::ImplPlain,
    Setup::SmolOffload,
    Setup::ImplOffload,
];

impl Setup {
    /// Position in `SETUPS` (and in a `Run`): the declaration order.
    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Setup::SmolPlain => "smoltcp plain",
            Setup::ImplPlain => "tcp-impl plain",
            Setup::SmolOffload => "smoltcp offload",
            Setup::ImplOffload => "tcp-impl offload",
        }
    }

    /// The name BENCH_ONLY takes.
    fn key(self) -> &'static str {
        match self {
            Setup::SmolPlain => "smoltcp",
            Setup::ImplPlain => "impl",
            Setup::SmolOffload => "smoltcp-offload",
            Setup::ImplOffload => "offload",
        }
    }

    fn run(self, total: usize) -> (Figure, Figure) {
        match self {
            Setup::SmolPlain => bench_smoltcp(total, false),
            Setup::ImplPlain => bench_impl(total, impl_config(), false),
            Setup::SmolOffload => bench_smoltcp(total, true),
            Setup::ImplOffload => bench_impl(total, impl_config(), true),
        }
    }
}

/// One run: (down, up) per setup, in `SETUPS` order.
type Run = [(Figure, Figure); 4];

fn main() {
    // A stuck transfer must not hang the benchmark forever.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(900));
        eprintln!("throughput benchmark did not finish within 900 s");
        std::process::exit(1);
    });
    smoltcp_tun::split_check();
    // `cargo bench` passes `--bench`; ignore arguments.
    let mb: usize = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let total = mb * 1_000_000;
    // BENCH_ONLY=<setup> runs one setup (for profiling).
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let Some(setup) = SETUPS.iter().find(|s| s.key() == only) else {
            let keys: Vec<&str> = SETUPS.iter().map(|s| s.key()).collect();
            eprintln!("BENCH_ONLY={only:?}: expected one of {}", keys.join(", "));
            std::process::exit(2);
        };
        let (d, u) = setup.run(total);
        println!(
            "{} only: kernel -> stack {:.1} MB/s, stack -> kernel {:.1} MB/s",
            setup.name(),
            d.mbps,
            u.mbps
        );
        return;
    }
    // BENCH_RUNS=n repeats the whole comparison (each run measures all four setups, so
    // every ratio compares numbers taken moments apart under the same load).
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut all: Vec<Run> = Vec::new();
    for run in 1..=runs {
        let figures = SETUPS.map(|s| s.run(total));
        println!("run {run}/{runs}, {mb} MB per direction, MTU 1500:");
        report(&figures, total);
        all.push(figures);
    }
    if runs > 1 {
        summary(&all, total);
    }
}

const DIRECTIONS: [&str; 2] = ["kernel -> stack", "stack -> kernel"];

fn pick(f: (Figure, Figure), dir: usize) -> Figure {
    if dir == 0 {
        f.0
    } else {
        f.1
    }
}

/// The smoltcp setup on the same TUN as `setup`.
fn same_tun_smoltcp(setup: Setup) -> Setup {
    match setup {
        Setup::SmolPlain | Setup::ImplPlain => Setup::SmolPlain,
        Setup::SmolOffload | Setup::ImplOffload => Setup::SmolOffload,
    }
}

/// The ratio column of one setup: against smoltcp on the same TUN, and for this stack on the
/// offload TUN also against smoltcp on the plain TUN (smoltcp's own kind of driver).
fn ratios(run: &Run, i: usize, dir: usize) -> String {
    let setup = SETUPS[i];
    let me = pick(run[i], dir).mbps;
    let base = |s: Setup| pick(run[s.index()], dir).mbps;
    match setup {
        Setup::SmolPlain | Setup::SmolOffload => String::new(),
        Setup::ImplPlain => format!("{:.2}x", me / base(Setup::SmolPlain)),
        Setup::ImplOffload => format!(
            "{:.2}x ({:.2}x vs smoltcp plain)",
            me / base(same_tun_smoltcp(setup)),
            me / base(Setup::SmolPlain)
        ),
    }
}

/// Prints one run: MB/s, ratios, CPU seconds per GB of the whole process (and the kernel's
/// share of it), the machine's busy share of its 2 cores, and how busy the kernel side's
/// socket thread was (of one core).
fn report(run: &Run, bytes: usize) {
    for (dir, name) in DIRECTIONS.iter().enumerate() {
        println!(
            "  {name:<18} {:>9}  {:<34} {:>14} {:>8} {:>13}",
            "MB/s", "ratio (same TUN)", "CPU s/GB (sys)", "machine", "kernel socket"
        );
        for (i, setup) in SETUPS.iter().enumerate() {
            let f = pick(run[i], dir);
            println!(
                "  {:<18} {:>9.1}  {:<34} {:>6.2} ({:>3.0}%) {:>7.0}% {:>12.0}%",
                setup.name(),
                f.mbps,
                ratios(run, i, dir),
                f.cpu.seconds_per_gb(bytes),
                f.cpu.sys_share() * 100.0,
                f.cpu.machine_busy * 100.0,
                f.peer_busy * 100.0
            );
        }
    }
}

/// (min, median, max) of `v`.
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median, v[n - 1])
}

/// Prints min-max ranges (median in brackets) of every figure and ratio over the runs.
fn summary(all: &[Run], bytes: usize) {
    println!(
        "over {} runs, min-max [median]; ratios are per run, against smoltcp on the same TUN:",
        all.len()
    );
    for (dir, name) in DIRECTIONS.iter().enumerate() {
        println!("  {name}:");
        for (i, setup) in SETUPS.iter().enumerate() {
            let m = spread(all.iter().map(|r| pick(r[i], dir).mbps).collect());
            let cpu = spread(
                all.iter()
                    .map(|r| pick(r[i], dir).cpu.seconds_per_gb(bytes))
                    .collect(),
            );
            let peer = spread(all.iter().map(|r| pick(r[i], dir).peer_busy).collect());
            let mut line = format!(
                "    {:<18} {:>6.0}-{:<6.0} MB/s [{:.0}], CPU {:.2} s/GB, kernel socket {:.0}%",
                setup.name(),
                m.0,
                m.2,
                m.1,
                cpu.1,
                peer.1 * 100.0
            );
            let base = same_tun_smoltcp(*setup);
            if base != *setup {
                let b = base.index();
                let r = spread(
                    all.iter()
                        .map(|run| pick(run[i], dir).mbps / pick(run[b], dir).mbps)
                        .collect(),
                );
                line += &format!("  {:.2}-{:.2}x [{:.2}x]", r.0, r.2, r.1);
            }
            if *setup == Setup::ImplOffload {
                let r = spread(
                    all.iter()
                        .map(|run| {
                            pick(run[i], dir).mbps / pick(run[Setup::SmolPlain.index()], dir).mbps
                        })
                        .collect(),
                );
                line += &format!(", vs smoltcp plain {:.2}-{:.2}x [{:.2}x]", r.0, r.2, r.1);
            }
            println!("{line}");
        }
    }
}
