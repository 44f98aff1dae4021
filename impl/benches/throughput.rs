//! Bulk throughput over a TUN device at MTU 1500, kernel <-> stack in both directions, for
//! this stack and for smoltcp 0.14 driven over the same TUN setup, in one run. Reported as
//! MB/s and as the ratio tcp-impl / smoltcp. Needs root (network namespace + TUN).
//!
//! Three setups are measured in every run: smoltcp on a plain TUN, this stack on a plain
//! TUN, and this stack on the offload TUN (`IFF_VNET_HDR` with TSO/checksum offload, MTU
//! still 1500); both ratios are against the smoltcp figure of the same run.
//!
//! ```text
//! cargo bench -p tcp-impl --bench throughput            # 100 MB per direction, one run
//! BENCH_MB=400 BENCH_RUNS=3 cargo bench -p tcp-impl --bench throughput
//! BENCH_ONLY=impl|offload|smoltcp BENCH_DIR=down|up ...  # one setup / direction (profiling)
//! BENCH_CC=reno BENCH_BUF_KB=1024 ...   # kernel congestion control, buffers (both stacks)
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use common::{make_offload_tun, make_tun, KERNEL_V4, STACK_V4};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
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

/// Kernel sends `total` bytes to `addr`; returns when the peer has read them all (it closes).
fn kernel_send(addr: SocketAddr, total: usize) -> Duration {
    let mut s = std::net::TcpStream::connect(addr).expect("kernel connect");
    let buf = vec![0x5au8; CHUNK];
    let t = Instant::now();
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
    t.elapsed()
}

/// Kernel receives until end of stream; returns bytes and time from first byte.
fn kernel_recv(l: std::net::TcpListener) -> (usize, Duration) {
    let (mut s, _) = l.accept().expect("kernel accept");
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    let mut start = None;
    loop {
        let n = s.read(&mut buf).expect("kernel read");
        if n == 0 {
            break;
        }
        start.get_or_insert_with(Instant::now);
        total += n;
    }
    (total, start.map_or(Duration::ZERO, |t| t.elapsed()))
}

fn bench_impl(total: usize, config: Config, offload: bool) -> (f64, f64) {
    tcp_netlab::run_in_private_netns(move || -> Result<(f64, f64), tcp_netlab::Error> {
        set_congestion_control()?;
        let net = if offload {
            NetStack::new_offload(make_offload_tun()?, config, vec![STACK_V4])
        } else {
            NetStack::new(make_tun()?, config, vec![STACK_V4])
        }
        .map_err(|e| tcp_netlab::Error::new("start tcp-impl", e))?;
        // BENCH_DIR=down or BENCH_DIR=up runs one direction (for profiling).
        let dir = std::env::var("BENCH_DIR").unwrap_or_default();
        let mut down = Duration::ZERO;
        if dir != "up" {
            down = impl_down(&net, total)?;
        }
        let mut up = Duration::ZERO;
        if dir != "down" {
            up = impl_up(&net, total)?;
        }
        Ok((mbps(total, down), mbps(total, up)))
    })
    .unwrap_or_else(|e| panic!("tcp-impl benchmark setup failed (needs root): {e}"))
}

/// Kernel -> stack: the kernel sends `total` bytes, the stack reads them; returns the time.
fn impl_down(net: &NetStack, total: usize) -> Result<Duration, tcp_netlab::Error> {
    {
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
        let cpu_before = thread_cpu();
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
            print_cpu_delta(&cpu_before, &thread_cpu());
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
}

/// Stack -> kernel: the stack sends `total` bytes, the kernel reads them; returns the time.
fn impl_up(net: &NetStack, total: usize) -> Result<Duration, tcp_netlab::Error> {
    {
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
}

/// CPU time (user + system, in clock ticks) of every thread of this process, by thread id.
fn thread_cpu() -> Vec<(String, String, u64)> {
    let mut v = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return v;
    };
    for e in dir.flatten() {
        let tid = e.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map_or("?", |(c, _)| c)
            .to_string();
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the comm.
        let t = f.get(11).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        v.push((tid, comm, t));
    }
    v
}

/// Prints each thread's CPU time (ms) between two snapshots (profiling aid for BENCH_ONLY).
fn print_cpu_delta(before: &[(String, String, u64)], after: &[(String, String, u64)]) {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    for (tid, comm, t) in after {
        let b = before
            .iter()
            .find(|(x, _, _)| x == tid)
            .map_or(0, |(_, _, t)| *t);
        let ms = (t - b.min(*t)) * 1000 / hz;
        if ms > 0 {
            println!("  thread {tid} {comm}: {ms} ms CPU");
        }
    }
}

/// A smoltcp device over the TUN fd (one IP packet per read/write).
struct TunDevice {
    fd: RawFd,
    buf: Vec<u8>,
}

/// Packets smoltcp wrote (reported with BENCH_ONLY, to compare ACK policies).
static SMOL_TX: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct Rx(Vec<u8>);
struct Tx(RawFd);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        SMOL_TX.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: writing a valid buffer to the TUN fd.
        unsafe { libc::write(self.0, buf.as_ptr().cast(), len) };
        r
    }
}

impl phy::Device for TunDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _t: SmolInstant) -> Option<(Rx, Tx)> {
        // SAFETY: reading into our buffer from the non-blocking TUN fd.
        let n = unsafe { libc::read(self.fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
        if n <= 0 {
            return None;
        }
        Some((Rx(self.buf[..n as usize].to_vec()), Tx(self.fd)))
    }

    fn transmit(&mut self, _t: SmolInstant) -> Option<Tx> {
        Some(Tx(self.fd))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

fn wait_readable(fd: RawFd, timeout: Option<smoltcp::time::Duration>) {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.map_or(-1, |d| d.total_millis().min(100) as libc::c_int);
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

fn now() -> SmolInstant {
    SmolInstant::now()
}

/// Drives smoltcp: `receive` true = kernel sends to smoltcp, else smoltcp sends to kernel.
fn smol_run(fd: RawFd, receive: bool, total: usize) -> usize {
    let mut dev = TunDevice {
        fd,
        buf: vec![0u8; 65536],
    };
    let mut iface = Interface::new(IfaceConfig::new(HardwareAddress::Ip), &mut dev, now());
    iface.update_ip_addrs(|a| {
        a.push(IpCidr::new(IpAddress::v4(192, 0, 2, 2), 24))
            .expect("addr");
    });
    iface
        .routes_mut()
        .add_default_ipv4_route(Ipv4Address::new(192, 0, 2, 1))
        .expect("route");
    let sock = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; buffer_bytes()]),
        tcp::SocketBuffer::new(vec![0u8; buffer_bytes()]),
    );
    let mut sockets = SocketSet::new(vec![]);
    let h = sockets.add(sock);
    {
        let s = sockets.get_mut::<tcp::Socket>(h);
        if receive {
            s.listen(7000).expect("listen");
        } else {
            s.connect(iface.context(), (IpAddress::v4(192, 0, 2, 1), 7001), 49152)
                .expect("connect");
        }
    }
    let data = vec![0xa5u8; CHUNK];
    let mut done = 0usize;
    let mut closed = false;
    loop {
        iface.poll(now(), &mut dev, &mut sockets);
        let s = sockets.get_mut::<tcp::Socket>(h);
        if receive {
            while s.can_recv() {
                match s.recv(|b| (b.len(), b.len())) {
                    Ok(n) => done += n,
                    Err(_) => break,
                }
            }
            if done >= total && !closed {
                s.close();
                closed = true;
            }
            if closed && !s.is_open() {
                break;
            }
        } else {
            while done < total && s.can_send() {
                let n = (total - done).min(CHUNK);
                match s.send_slice(&data[..n]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => done += k,
                }
            }
            if done >= total && !closed {
                s.close();
                closed = true;
            }
            if closed && !s.is_open() {
                break;
            }
        }
        if closed && matches!(s.state(), tcp::State::TimeWait | tcp::State::Closed) {
            break;
        }
        let delay = iface.poll_delay(now(), &sockets);
        wait_readable(fd, delay);
    }
    done
}

fn bench_smoltcp(total: usize) -> (f64, f64) {
    tcp_netlab::run_in_private_netns(move || -> Result<(f64, f64), tcp_netlab::Error> {
        set_congestion_control()?;
        let tun = make_tun()?;
        tun.set_nonblocking(true)?;
        let fd = tun.as_raw_fd();
        let addr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)), 7000);
        let dir = std::env::var("BENCH_DIR").unwrap_or_default();
        let mut down = Duration::ZERO;
        if dir != "up" {
            let k = spawn_named("kernel-send", move || kernel_send(addr, total));
            let cpu_before = thread_cpu();
            let got = smol_run(fd, true, total);
            if std::env::var("BENCH_ONLY").is_ok() {
                print_cpu_delta(&cpu_before, &thread_cpu());
            }
            down = k.join().expect("kernel sender");
            if std::env::var("BENCH_ONLY").is_ok() {
                let n = SMOL_TX.load(std::sync::atomic::Ordering::Relaxed);
                println!("smoltcp sent {n} packets while receiving");
            }
            assert_eq!(got, total);
        }
        if dir == "down" {
            return Ok((mbps(total, down), 0.0));
        }
        let kl = std::net::TcpListener::bind(SocketAddr::new(KERNEL_V4, 7001)).expect("bind");
        let k = spawn_named("kernel-recv", move || kernel_recv(kl));
        smol_run(fd, false, total);
        let (n, up) = k.join().expect("kernel receiver");
        assert_eq!(n, total);
        drop(tun);
        Ok((mbps(total, down), mbps(total, up)))
    })
    .unwrap_or_else(|e| panic!("smoltcp benchmark setup failed (needs root): {e}"))
}

fn main() {
    // A stuck transfer must not hang the benchmark forever.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(600));
        eprintln!("throughput benchmark did not finish within 600 s");
        std::process::exit(1);
    });
    // `cargo bench` passes `--bench`; ignore arguments.
    let mb: usize = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let total = mb * 1_000_000;
    // BENCH_ONLY=impl or BENCH_ONLY=smoltcp runs one side (for profiling).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only == "impl" {
        let (d, u) = bench_impl(total, impl_config(), false);
        println!("tcp-impl only: kernel -> stack {d:.1} MB/s, stack -> kernel {u:.1} MB/s");
        return;
    }
    if only == "offload" {
        let (d, u) = bench_impl(total, impl_config(), true);
        println!("tcp-impl offload only: kernel -> stack {d:.1} MB/s, stack -> kernel {u:.1} MB/s");
        return;
    }
    if only == "smoltcp" {
        let (d, u) = bench_smoltcp(total);
        println!("smoltcp only: kernel -> stack {d:.1} MB/s, stack -> kernel {u:.1} MB/s");
        return;
    }
    // BENCH_RUNS=n repeats the whole comparison (each run measures all three setups, so
    // every ratio compares numbers taken moments apart under the same load).
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut all = Vec::new();
    for run in 1..=runs {
        let smol = bench_smoltcp(total);
        let plain = bench_impl(total, impl_config(), false);
        // The same stack on a TUN device with a virtio-net header and TSO/checksum offload
        // (the kernel hands over up to 64 KB per packet; the link MTU is still 1500).
        let offload = bench_impl(total, impl_config(), true);
        println!("run {run}/{runs}, {mb} MB per direction, MTU 1500:");
        report(smol, plain, offload);
        all.push((smol, plain, offload));
    }
    if runs > 1 {
        println!("ranges over {runs} runs (min-max; ratios are per run, against the same run's smoltcp):");
        summary(&all);
    }
}

type Pair = (f64, f64);

/// Prints one run: MB/s per setup and direction, and the ratios against smoltcp.
fn report(smol: Pair, plain: Pair, offload: Pair) {
    println!(
        "  {:<16} {:>14} {:>26} {:>26}",
        "direction", "smoltcp plain", "tcp-impl plain (ratio)", "tcp-impl offload (ratio)"
    );
    for (name, pick) in [("kernel -> stack", 0usize), ("stack -> kernel", 1usize)] {
        let get = |p: Pair| if pick == 0 { p.0 } else { p.1 };
        let (s, p, o) = (get(smol), get(plain), get(offload));
        println!(
            "  {name:<16} {s:>9.1} MB/s {p:>12.1} MB/s ({:>5.2}x) {o:>12.1} MB/s ({:>5.2}x)",
            p / s,
            o / s
        );
    }
}

/// Prints min-max ranges of every figure and ratio over several runs, and the median ratio.
fn summary(all: &[(Pair, Pair, Pair)]) {
    // (min, median, max) of one figure over the runs.
    let stats = |f: &dyn Fn(&(Pair, Pair, Pair)) -> f64| {
        let mut v: Vec<f64> = all.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let median = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        (v[0], median, v[v.len() - 1])
    };
    for (name, pick) in [("kernel -> stack", 0usize), ("stack -> kernel", 1usize)] {
        let get = move |p: Pair| if pick == 0 { p.0 } else { p.1 };
        let s = stats(&|r| get(r.0));
        let p = stats(&|r| get(r.1));
        let o = stats(&|r| get(r.2));
        let pr = stats(&|r| get(r.1) / get(r.0));
        let or = stats(&|r| get(r.2) / get(r.0));
        println!(
            "  {name}: smoltcp {:.0}-{:.0} MB/s; tcp-impl plain {:.0}-{:.0} MB/s \
             ({:.2}-{:.2}x, median {:.2}x); offload {:.0}-{:.0} MB/s ({:.2}-{:.2}x, median {:.2}x)",
            s.0, s.2, p.0, p.2, pr.0, pr.2, pr.1, o.0, o.2, or.0, or.2, or.1
        );
    }
}
