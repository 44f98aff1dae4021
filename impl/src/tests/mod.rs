//! Protocol-rule tests: two stacks joined by the in-memory [`Net`], virtual time.

use crate::testnet::{Dir, Fate, Net};

use crate::wire::{Flags, TcpHeader, TcpOptions};

use crate::{Config, KeepaliveConfig, SocketHandle, State, TcpError};

use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

mod closing;
mod data;
mod keepalive;
mod limits;
mod opening;
mod rfc5961;
mod robustness;

fn fast_config() -> Config {
    Config {
        msl: Duration::from_secs(1),
        initial_rto: Duration::from_millis(200),
        min_rto: Duration::from_millis(50),
        max_rto: Duration::from_secs(4),
        max_retries: 5,
        syn_retries: 3,
        ..Config::default()
    }
}

/// A connects to B:80; returns the net and both handles once both are ESTABLISHED.
fn established_with(ca: Config, cb: Config, v6: bool) -> (Net, SocketHandle, SocketHandle) {
    let mut net = if v6 {
        Net::new_v6(ca, cb)
    } else {
        Net::new(ca, cb)
    };
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let now = net.now;
    let remote = net.b_sock(80);
    let ha = net.a.connect(now, remote).expect("connect");
    assert_eq!(net.a.state(ha), State::SynSent);
    let ok = net.run_until(Duration::from_secs(5), |n| n.b.accept_ready(lh) > 0);
    assert!(ok, "handshake did not complete");
    let hb = net.b.accept(lh).expect("accept");
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.state(hb), State::Established);
    (net, ha, hb)
}

fn established() -> (Net, SocketHandle, SocketHandle) {
    established_with(fast_config(), fast_config(), false)
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Sends `data` from A's `ha` to B's `hb`, reading on B, until all arrived or `limit` passes.
fn transfer_a_to_b(
    net: &mut Net,
    ha: SocketHandle,
    hb: SocketHandle,
    data: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let end = net.now + limit;
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() && net.now < end {
        while sent < data.len() {
            match net.a.send(net.now, ha, &data[sent..]) {
                Ok(n) => sent += n,
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("send failed: {e}"),
            }
        }
        loop {
            match net.b.recv(net.now, hb, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        net.run_for(MS);
    }
    got
}

fn transfer_b_to_a(
    net: &mut Net,
    hb: SocketHandle,
    ha: SocketHandle,
    data: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let end = net.now + limit;
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() && net.now < end {
        while sent < data.len() {
            match net.b.send(net.now, hb, &data[sent..]) {
                Ok(n) => sent += n,
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("send failed: {e}"),
            }
        }
        loop {
            match net.a.recv(net.now, ha, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        net.run_for(MS);
    }
    got
}

fn count(net: &Net, dir: Dir, pred: impl Fn(&TcpHeader, usize) -> bool) -> usize {
    net.seen
        .iter()
        .filter(|s| s.dir == dir && pred(&s.tcp, s.len))
        .count()
}

fn last_from(net: &Net, dir: Dir) -> TcpHeader {
    net.seen
        .iter()
        .rev()
        .find(|s| s.dir == dir)
        .expect("a segment was sent")
        .tcp
}

/// The sequence number right after the last segment sent in `dir` (the sender's SND.NXT
/// once nothing was retransmitted).
fn next_seq(net: &Net, dir: Dir) -> u32 {
    let s = net
        .seen
        .iter()
        .rev()
        .find(|s| s.dir == dir)
        .expect("a segment was sent");
    let ctl =
        u32::from(s.tcp.flags.contains(Flags::SYN)) + u32::from(s.tcp.flags.contains(Flags::FIN));
    s.tcp.seq.wrapping_add(s.len as u32 + ctl)
}

/// A segment from A to B on an established connection, using A's current numbers.
fn forged(net: &Net, flags: Flags, seq_delta: i64, ack: Option<u32>) -> TcpHeader {
    let last_a = last_from(net, Dir::AtoB);
    TcpHeader {
        src_port: last_a.src_port,
        dst_port: last_a.dst_port,
        seq: (i64::from(last_a.seq) + seq_delta) as u32,
        ack: ack.unwrap_or(last_a.ack),
        flags,
        window: 1000,
        urgent: 0,
        options: TcpOptions::default(),
    }
}

fn keepalive(idle_ms: u64, interval_ms: u64, count: u32) -> Option<KeepaliveConfig> {
    Some(KeepaliveConfig {
        idle: Duration::from_millis(idle_ms),
        interval: Duration::from_millis(interval_ms),
        count,
    })
}

/// Puts A in SYN-SENT toward a B that does not answer (B's packets are dropped), and
/// returns A's SYN.
fn syn_sent() -> (Net, SocketHandle, TcpHeader) {
    let mut net = Net::new(fast_config(), fast_config());
    net.set_filter(|dir, _, _| {
        if dir == Dir::AtoB {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(MS);
    let syn = net.seen[0].tcp;
    (net, ha, syn)
}

fn reply_to(syn: &TcpHeader, flags: Flags, seq: u32, ack: u32) -> TcpHeader {
    TcpHeader {
        src_port: syn.dst_port,
        dst_port: syn.src_port,
        seq,
        ack,
        flags,
        window: 8192,
        urgent: 0,
        options: TcpOptions::default(),
    }
}
