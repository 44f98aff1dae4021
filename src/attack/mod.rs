//! `tcpspec attack`: blind in-window attacks (RFC 5961) and a SYN flood (RFC 4987) against
//! any target of `replay` (linux, impl, smoltcp, lwip, `exec:PROGRAM`), inside a private
//! network namespace, through the same TUN machinery ([`lab`]).
//!
//! The lab plays both the legitimate peer ([`peer`], at 192.0.2.2) and the attacker on the
//! target's wire; the target (at 192.0.2.1, port 80) listens and its application reads.
//!
//! - `blind-rst`, `blind-syn`, `blind-data` ([`blind`]): the peer sends a bulk transfer; the
//!   attacker knows only the 4-tuple and sends `count` RSTs, SYNs or 64-octet data segments
//!   with random sequence and acknowledgment numbers, spread over the transfer.
//! - `syn-flood` ([`flood`]): `count` SYNs from spoofed addresses of 192.0.2.0/24 (on the
//!   target's link, so that every target, the kernel included, routes its answers onto the
//!   wire), in bursts, each followed by a legitimate connect that sends 64 KB.

pub mod blind;
pub mod flood;
pub mod lab;
pub mod peer;
#[cfg(test)]
mod tests;

use anyhow::{Context, Result};
use lab::{Lab, Reader, Stray};
use peer::{Peer, Phase};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tcp_conformance::target::{Endpoints, PEER_V4, TARGET_V4};
use tcp_conformance::TargetKind;
use tcp_vectors::SocketOptions;

pub use blind::BlindReport;
pub use flood::FloodReport;

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

/// How an attack runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Segments the attacker sends.
    pub count: u64,
    /// Seed of the attacker's random numbers.
    pub seed: u64,
    /// Bytes of the bulk transfer of a blind attack.
    pub bulk: usize,
    /// Legitimate connects during a flood.
    pub connects: u32,
    /// The `impl` target's configuration (default: `replay`'s).
    pub impl_config: Option<tcp_impl::Config>,
    /// Kernel settings written in the namespace before the target is made, as paths under
    /// `/proc/sys/` and values (default: `net/ipv4/tcp_syncookies` = 1).
    pub sysctls: Vec<(String, String)>,
}

impl Options {
    /// `count` segments with the defaults: seed 1, 4 MiB of bulk transfer, 10 connects,
    /// SYN cookies on in the kernel.
    pub fn new(count: u64) -> Options {
        Options {
            count,
            seed: 1,
            bulk: 4 << 20,
            connects: 10,
            impl_config: None,
            sysctls: vec![("net/ipv4/tcp_syncookies".into(), "1".into())],
        }
    }
}

/// One attack's report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The target, by its `--target` name.
    pub target: String,
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
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is taken as 1).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A transfer's bytes: a pattern with a long period, so injected bytes show.
pub fn pattern(n: usize) -> Vec<u8> {
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

/// The target's listening address.
pub const TARGET: SocketAddr = SocketAddr::new(IpAddr::V4(TARGET_V4), 80);

/// The legitimate peer's address with `port`.
pub fn peer_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(PEER_V4), port)
}

/// Run one attack against `target` inside a fresh private namespace.
pub fn run(target: &TargetKind, kind: Kind, options: &Options) -> Result<Report> {
    let target = target.clone();
    let options = options.clone();
    let result = tcp_netlab::run_in_private_netns(move || -> Result<Report> {
        for (path, value) in &options.sysctls {
            std::fs::write(format!("/proc/sys/{path}"), value)
                .with_context(|| format!("set {path} = {value} in the namespace"))?;
        }
        let stack = tcp_conformance::targets::make_stack(&target, options.impl_config.clone())?;
        let mut lab = Lab::new(stack);
        // The replay's peer is the attacked connection's (a stack that reads a reset off
        // its connection's packets, smoltcp's, watches this 4-tuple).
        let ends = Endpoints {
            target: TARGET,
            peer: peer_addr(blind::VICTIM_PORT),
        };
        lab.stack
            .begin(ends, &SocketOptions::default())
            .context("begin")?;
        lab.stack
            .listen()
            .map_err(|e| anyhow::anyhow!("the target listens on {TARGET}: {e}"))?;
        let mut rng = Rng::new(options.seed);
        let (blind, flood) = match kind {
            Kind::SynFlood => (None, Some(flood::run(&mut lab, &options, &mut rng)?)),
            _ => (Some(blind::run(&mut lab, kind, &options, &mut rng)?), None),
        };
        lab.stack.end();
        Ok(Report {
            target: target.name(),
            kind,
            blind,
            flood,
        })
    });
    result.context(
        "the attack needs its own network namespace and TUN device: run it as root (or with \
         CAP_SYS_ADMIN and CAP_NET_ADMIN)",
    )
}

/// Pump the wire until `done` says so or `timeout` passes; whether it did.
pub fn pump_until(
    lab: &mut Lab,
    peers: &mut [&mut Peer],
    stray: &mut Stray,
    timeout: Duration,
    mut done: impl FnMut(&mut Lab, &[&mut Peer]) -> bool,
) -> Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        lab.pump(peers, stray)?;
        if done(lab, peers) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        lab.drain(Duration::from_micros(500))?;
    }
}

/// Open a connection from the peer's `port` to the target and wait for its handshake; with
/// `accept`, also until the target's application has accepted it. The connection holds its
/// stream ([`Peer::hold`]): nothing else is pumped while it opens, so another connection
/// sending meanwhile would miss its acknowledgments. `Err` with the reason when it did not
/// connect.
pub fn open(
    lab: &mut Lab,
    port: u16,
    iss: u32,
    data: Vec<u8>,
    accept: bool,
    stray: &mut Stray,
) -> Result<std::result::Result<Peer, String>> {
    let mut peer = Peer::connect(peer_addr(port), TARGET, iss, data);
    peer.hold = true;
    let mut accepted = !accept;
    pump_until(
        lab,
        &mut [&mut peer],
        stray,
        Duration::from_secs(5),
        |lab, peers| {
            if peers[0].phase() == Phase::Established && !accepted {
                accepted = lab.stack.accept().is_ok();
            }
            peers[0].phase() != Phase::Opening && accepted
        },
    )?;
    Ok(match (peer.phase(), accepted) {
        (Phase::Established, true) => Ok(peer),
        (Phase::Established, false) => {
            Err("connected, but the application accepted nothing".into())
        }
        (Phase::Opening, _) => Err("still opening after 5 s".into()),
        (Phase::Refused, _) => Err("refused (RST)".into()),
        (Phase::TimedOut, _) => Err("no SYN,ACK after 3 SYNs (3 s)".into()),
        (Phase::Reset, _) => Err("reset".into()),
    })
}

/// Drive a connection's transfer to the end: the peer sends, the target's application
/// reads. Stops when all is read, when the connection fails, or after `stall` without
/// progress.
pub fn transfer(
    lab: &mut Lab,
    peer: &mut Peer,
    reader: &mut Reader,
    want: usize,
    stall: Duration,
    stray: &mut Stray,
) -> Result<()> {
    let mut last = (0, Instant::now());
    peer.hold = false;
    pump_until(
        lab,
        &mut [peer],
        stray,
        Duration::from_secs(3600),
        |lab, peers| {
            reader.read(lab.stack.as_mut());
            if reader.got.len() != last.0 {
                last = (reader.got.len(), Instant::now());
            }
            let failed = !matches!(peers[0].phase(), Phase::Established);
            reader.got.len() >= want
                || reader.error.is_some()
                || reader.eof
                || failed
                || last.1.elapsed() > stall
        },
    )?;
    Ok(())
}

/// The spoofed source of the `r`-th random number: an address of the target's link
/// (192.0.2.3-254: neither the target nor the peer) and a port from 1024 on.
pub fn spoofed(r: u64) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3 + (r % 252) as u8)),
        1024 + ((r >> 8) % 64000) as u16,
    )
}
