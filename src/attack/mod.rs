//! `tcpspec attack`: blind in-window attacks (RFC 5961) and a SYN flood (RFC 4987) against a
//! target, inside a private network namespace on a TUN device (see [`lab`]).
//!
//! Targets: `linux` (the kernel's TCP in the namespace) and `impl` (the userspace stack on the
//! device). In each attack one side is the target and the other the legitimate peer: against
//! Linux the peer is the userspace stack, against the userspace stack it is Linux.
//!
//! - `blind-rst`, `blind-syn`, `blind-data`: a bulk transfer from the peer to the target; the
//!   attacker knows only the 4-tuple and sends `count` RSTs, SYNs or data segments with random
//!   sequence and acknowledgment numbers, as from the peer. Reported: whether the connection
//!   was reset, the bytes the target's application read that the peer did not send, the
//!   challenge ACKs the target sent, and whether its challenge-ACK limit is per connection
//!   (an idle second connection still gets its challenge ACK after the first exhausted the
//!   limit: the side channel of CVE-2016-5696 needs a global limit).
//! - `syn-flood`: `count` SYNs from spoofed addresses of 198.51.100.0/24 as fast as the device
//!   takes them, while the peer connects 10 times and sends 64 KB each time. Reported: the
//!   connects that succeeded and their latency, the SYNs per second sent, the SYN cookies the
//!   target sent, and the connections it holds.

pub mod lab;
#[cfg(test)]
mod tests;

use anyhow::{bail, Context, Result};
use lab::{kernel_counter, kernel_tcp_sockets, Lab, KERNEL, SPOOFED_NET, STACK};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};
use tcp_impl::wire::{Flags, TcpHeader, TcpOptions};
use tcp_impl::Config;

/// Which side is attacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The Linux kernel's TCP, in the namespace.
    Linux,
    /// This project's userspace stack.
    Impl,
}

/// What the attacker sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// RSTs with random sequence numbers.
    BlindRst,
    /// SYNs with random sequence numbers.
    BlindSyn,
    /// Data (ACK + 64 octets) with random sequence and acknowledgment numbers.
    BlindData,
    /// SYNs from spoofed sources.
    SynFlood,
}

/// The result of a blind attack.
#[derive(Debug, Serialize)]
pub struct BlindReport {
    /// Segments the attacker sent.
    pub sent: u64,
    /// The attacked connection was reset (or aborted) by the attack.
    pub connection_reset: bool,
    /// Bytes of the bulk transfer the target's application read.
    pub bytes_read: u64,
    /// Bytes the peer sent.
    pub bytes_sent: u64,
    /// Bytes read that differ from what the peer sent, or that it never sent.
    pub injected_bytes: u64,
    /// Challenge ACKs the target sent during the attack.
    pub challenge_acks: u64,
    /// Whether a second, idle connection still got a challenge ACK right after the attack
    /// (`Some(true)`: the limit is per connection).
    pub limit_per_connection: Option<bool>,
    /// Seconds the attack took.
    pub seconds: f64,
}

/// The result of a SYN flood.
#[derive(Debug, Serialize)]
pub struct FloodReport {
    /// Spoofed SYNs sent.
    pub sent: u64,
    /// SYNs per second the attacker sent (while sending: the flood comes in 10 bursts, each
    /// followed by a legitimate connect).
    pub syns_per_second: f64,
    /// Connects attempted by the legitimate peer during the flood.
    pub connects: u32,
    /// Connects that succeeded and moved their data intact.
    pub connects_ok: u32,
    /// Median and maximum connect latency in milliseconds (of the successful ones).
    pub connect_ms_median: f64,
    /// See `connect_ms_median`.
    pub connect_ms_max: f64,
    /// SYN cookies the target sent: the spoofed SYNs it answered beyond its backlog (the rest
    /// of `sent`, less `connections_held`, were lost before the target read them, e.g. in the
    /// TUN device's queue).
    pub syn_cookies_sent: u64,
    /// Connections the target held when the flood ended (Linux: TCP sockets in use; impl:
    /// connections in its tables).
    pub connections_held: u64,
}

/// One attack's report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The target.
    pub target: Target,
    /// The attack.
    pub kind: Kind,
    /// The blind attack's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blind: Option<BlindReport>,
    /// The flood's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flood: Option<FloodReport>,
}

/// A small deterministic generator (xorshift64*), so that a seed repeats an attack.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The bulk transfer's bytes: a pattern with a long period, so injected bytes show.
fn pattern(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Bytes of the bulk transfer in a blind attack.
const BULK: usize = 4 << 20;
const PORT: u16 = 80;

/// Run one attack inside a fresh namespace.
pub fn run(target: Target, kind: Kind, count: u64, seed: u64) -> Result<Report> {
    // The stack gives up an opening connection after 3 SYN retries (about 15 s), so that a
    // connect the flood defeats fails instead of waiting minutes.
    let config = Config {
        syn_retries: 3,
        ..Config::default()
    };
    run_with(target, kind, count, seed, config)
}

/// [`run`] with the userspace stack configured by `config`.
pub fn run_with(
    target: Target,
    kind: Kind,
    count: u64,
    seed: u64,
    config: Config,
) -> Result<Report> {
    let result = tcp_netlab::run_in_private_netns(move || -> Result<Report> {
        let lab = Lab::new(config)?;
        let mut rng = Rng(seed.max(1));
        match kind {
            Kind::SynFlood => Ok(Report {
                target,
                kind,
                blind: None,
                flood: Some(flood(&lab, target, count, &mut rng)?),
            }),
            _ => Ok(Report {
                target,
                kind,
                blind: Some(blind(&lab, target, kind, count, &mut rng)?),
                flood: None,
            }),
        }
    });
    result.context(
        "the attack needs its own network namespace and TUN device: run it as root (or with \
         CAP_SYS_ADMIN and CAP_NET_ADMIN)",
    )
}

/// The target's challenge-ACK count.
fn challenge_acks(lab: &Lab, target: Target) -> u64 {
    match target {
        Target::Linux => kernel_counter("TcpExt", "TCPChallengeACK"),
        Target::Impl => lab.stack.stats().challenge_acks,
    }
}

/// A connection from the peer to the target: (the peer's writer, the target's reader, the
/// peer's address, the target's address).
type Pair = (
    Box<dyn Write + Send>,
    Box<dyn Read + Send>,
    SocketAddr,
    SocketAddr,
);

fn connect_pair(lab: &Lab, target: Target, listener: &Listener) -> Result<Pair> {
    match (target, listener) {
        (Target::Linux, Listener::Kernel(l)) => {
            let c = lab
                .stack
                .connect(SocketAddr::new(KERNEL, PORT))
                .context("the userspace peer connects to Linux")?;
            let (s, _) = l.accept().context("Linux accepts")?;
            let peer = c.local_addr().context("the peer's address")?;
            Ok((
                Box::new(c),
                Box::new(s),
                peer,
                SocketAddr::new(KERNEL, PORT),
            ))
        }
        (Target::Impl, Listener::Stack(l)) => {
            // Linux's peer gives up after 3 s (the userspace peer after its 3 SYN retries).
            let c =
                TcpStream::connect_timeout(&SocketAddr::new(STACK, PORT), Duration::from_secs(3))
                    .context("Linux connects to the userspace stack")?;
            let (s, _) = l.accept().context("the userspace stack accepts")?;
            let peer = c.local_addr().context("the peer's address")?;
            Ok((Box::new(c), Box::new(s), peer, SocketAddr::new(STACK, PORT)))
        }
        _ => bail!("listener and target disagree"),
    }
}

/// The target's listener.
enum Listener {
    Kernel(TcpListener),
    Stack(tcp_impl::runtime::TcpListener),
}

fn listen(lab: &Lab, target: Target) -> Result<Listener> {
    Ok(match target {
        Target::Linux => Listener::Kernel(
            TcpListener::bind(SocketAddr::new(KERNEL, PORT)).context("Linux listens")?,
        ),
        Target::Impl => Listener::Stack(
            lab.stack
                .listen(SocketAddr::new(STACK, PORT))
                .context("the userspace stack listens")?,
        ),
    })
}

fn blind(lab: &Lab, target: Target, kind: Kind, count: u64, rng: &mut Rng) -> Result<BlindReport> {
    let listener = listen(lab, target)?;
    let (mut writer, mut reader, peer, victim) = connect_pair(lab, target, &listener)?;
    // Two idle connections for the challenge-ACK limit: one exhausted, one probed.
    let (_spent_w, _spent_r, spent_peer, _) = connect_pair(lab, target, &listener)?;
    let (_idle_w, _idle_r, idle_peer, _) = connect_pair(lab, target, &listener)?;
    let data = pattern(BULK);
    let sent_data = data.clone();
    let sender = std::thread::spawn(move || -> u64 {
        let mut sent = 0;
        for chunk in sent_data.chunks(64 * 1024) {
            if writer.write_all(chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        drop(writer);
        sent
    });
    let reader_thread = std::thread::spawn(move || -> (Vec<u8>, bool) {
        let mut got = Vec::with_capacity(BULK);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (got, false),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => return (got, true),
            }
        }
    });
    let before = challenge_acks(lab, target);
    let start = Instant::now();
    let segment = |rng: &mut Rng| {
        let r = rng.next();
        let (flags, payload) = match kind {
            Kind::BlindRst => (Flags::RST, 0),
            Kind::BlindSyn => (Flags::SYN, 0),
            _ => (Flags::ACK | Flags::PSH, 64),
        };
        (
            TcpHeader {
                src_port: 0,
                dst_port: 0,
                seq: r as u32,
                ack: (r >> 32) as u32,
                flags,
                window: 65535,
                urgent: 0,
                options: TcpOptions::default(),
            },
            payload,
        )
    };
    let junk = [0x41u8; 64];
    for _ in 0..count {
        let (h, n) = segment(rng);
        lab.inject(peer, victim, &h, &junk[..n]);
    }
    let seconds = start.elapsed().as_secs_f64();
    let challenge_acks = challenge_acks(lab, target).saturating_sub(before);
    let bytes_sent = sender.join().unwrap_or(0);
    let (got, errored) = reader_thread.join().unwrap_or_else(|_| (Vec::new(), true));
    let limit_per_connection = Some(limit_is_per_connection(
        lab, target, spent_peer, idle_peer, victim, rng,
    ));
    let differing = got.iter().zip(&data).filter(|(a, b)| a != b).count() as u64;
    let extra = (got.len() as u64).saturating_sub(bytes_sent);
    Ok(BlindReport {
        sent: count,
        connection_reset: errored || (got.len() as u64) < bytes_sent,
        bytes_read: got.len() as u64,
        bytes_sent,
        injected_bytes: differing + extra,
        challenge_acks,
        limit_per_connection,
        seconds,
    })
}

/// Segments the target sent to the legitimate peer's side so far (the userspace stack's
/// received packets when Linux is the target, its sent packets when it is the target).
fn target_replies(lab: &Lab, target: Target) -> u64 {
    let s = lab.stack.stats();
    match target {
        Target::Linux => s.rx_packets,
        Target::Impl => s.tx_packets,
    }
}

/// The side channel of CVE-2016-5696 needs a challenge-ACK limit shared by all connections.
/// 200 SYNs (each owed a challenge ACK, RFC 5961 4.2) exhaust the limit on one idle
/// connection; then one SYN on another idle connection: whether the target still answers it.
fn limit_is_per_connection(
    lab: &Lab,
    target: Target,
    spent: SocketAddr,
    probed: SocketAddr,
    victim: SocketAddr,
    rng: &mut Rng,
) -> bool {
    // Linux owes a challenge ACK to a SYN of any sequence number (RFC 5961 4.2); the userspace
    // stack answers a SYN outside the window with a plain, unlimited ACK (RFC 9293 3.10.7.4,
    // first check), so its SYNs are put at RCV.NXT to reach the limited challenge ACK.
    let seq_for = |peer: SocketAddr, rng: &mut Rng| match target {
        Target::Linux => rng.next() as u32,
        Target::Impl => lab
            .stack
            .with_stack(|s, _| s.rcv_nxt(victim, peer))
            .unwrap_or_else(|| rng.next() as u32),
    };
    let syn = |seq: u32| TcpHeader {
        src_port: 0,
        dst_port: 0,
        seq,
        ack: 0,
        flags: Flags::SYN,
        window: 65535,
        urgent: 0,
        options: TcpOptions::default(),
    };
    for _ in 0..200 {
        let seq = seq_for(spent, rng);
        lab.inject(spent, victim, &syn(seq), &[]);
    }
    std::thread::sleep(Duration::from_millis(50));
    let before = target_replies(lab, target);
    let seq = seq_for(probed, rng);
    lab.inject(probed, victim, &syn(seq), &[]);
    std::thread::sleep(Duration::from_millis(100));
    target_replies(lab, target) > before
}

fn flood(lab: &Lab, target: Target, count: u64, rng: &mut Rng) -> Result<FloodReport> {
    let listener = listen(lab, target)?;
    let victim = SocketAddr::new(
        if target == Target::Linux {
            KERNEL
        } else {
            STACK
        },
        PORT,
    );
    let cookies_before = match target {
        Target::Linux => kernel_counter("TcpExt", "SyncookiesSent"),
        Target::Impl => lab.stack.stats().syn_cookies_sent,
    };
    let mut injecting = Duration::ZERO;
    let per_connect = count / 10;
    let mut latencies = Vec::new();
    let mut connects_ok = 0;
    let payload = pattern(64 * 1024);
    for round in 0..10u32 {
        let burst = Instant::now();
        for _ in 0..per_connect {
            let r = rng.next();
            let [a, b, c, _] = SPOOFED_NET.octets();
            let src = SocketAddr::new(
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, 1 + (r % 254) as u8)),
                1024 + ((r >> 8) % 60000) as u16,
            );
            let h = TcpHeader {
                src_port: 0,
                dst_port: 0,
                seq: (r >> 16) as u32,
                ack: 0,
                flags: Flags::SYN,
                window: 65535,
                urgent: 0,
                options: TcpOptions {
                    mss: Some(1460),
                    ..TcpOptions::default()
                },
            };
            lab.inject(src, victim, &h, &[]);
        }
        injecting += burst.elapsed();
        let t = Instant::now();
        let ok = connect_and_send(lab, target, &listener, &payload)
            .with_context(|| format!("legitimate connect {round}"));
        if ok.is_ok() {
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            connects_ok += 1;
        }
    }
    let seconds = injecting.as_secs_f64();
    let sent = per_connect * 10;
    let (cookies, held) = match target {
        Target::Linux => (
            kernel_counter("TcpExt", "SyncookiesSent").saturating_sub(cookies_before),
            kernel_tcp_sockets(),
        ),
        Target::Impl => (
            lab.stack.stats().syn_cookies_sent - cookies_before,
            lab.stack.with_stack(|s, _| s.connection_count() as u64),
        ),
    };
    latencies.sort_by(f64::total_cmp);
    Ok(FloodReport {
        sent,
        syns_per_second: sent as f64 / seconds.max(1e-9),
        connects: 10,
        connects_ok,
        connect_ms_median: latencies.get(latencies.len() / 2).copied().unwrap_or(0.0),
        connect_ms_max: latencies.last().copied().unwrap_or(0.0),
        syn_cookies_sent: cookies,
        connections_held: held,
    })
}

/// The legitimate peer connects, sends `payload`, and the target reads it all, unchanged.
fn connect_and_send(lab: &Lab, target: Target, listener: &Listener, payload: &[u8]) -> Result<()> {
    let (mut w, mut r, _, _) = connect_pair(lab, target, listener)?;
    let data = payload.to_vec();
    let writer = std::thread::spawn(move || w.write_all(&data));
    let mut got = vec![0u8; payload.len()];
    r.read_exact(&mut got)?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
    if got != payload {
        bail!("the data arrived changed");
    }
    Ok(())
}
