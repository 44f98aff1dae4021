//! Protocol-rule tests: two stacks joined by the in-memory [`Net`], or one of them against a
//! peer played by hand ([`Peer`]); virtual time.

use crate::testnet::{Dir, Fate, Net};

use crate::wire::{Flags, TcpHeader, TcpOptions};

use crate::{Config, KeepaliveConfig, ListenerHandle, SocketHandle, Stack, State, TcpError};

use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

mod closing;
mod data;
mod faults;
mod icmp;
mod ip_fields;
mod keepalive;
mod limits;
mod musts;
mod opening;
mod retries;
mod rfc5961;
mod robustness;
mod states;
mod syn_text;
mod syncookies;
mod text;
mod time_wait;
mod urgent;
mod vectors;

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

// ----------------------------------------------------------------------------------------
// A peer played by hand, and its segments as lines of a packet trace.

const SYN: Flags = Flags::SYN;
const SYN_ACK: Flags = Flags(Flags::SYN.0 | Flags::ACK.0);
const SYN_FIN: Flags = Flags(Flags::SYN.0 | Flags::FIN.0);
const ACK: Flags = Flags::ACK;
const PSH_ACK: Flags = Flags(Flags::PSH.0 | Flags::ACK.0);
const FIN: Flags = Flags::FIN;
const FIN_ACK: Flags = Flags(Flags::FIN.0 | Flags::ACK.0);
const RST: Flags = Flags::RST;

/// The peer's initial sequence number: the stack's RCV.NXT is 1001 once synchronized.
const PEER_ISS: u32 = 1000;

/// One segment as a line of a packet trace: control bits, SEG.SEQ, SEG.ACK (0 without the
/// ACK bit) and how many bytes of text it carries.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Line {
    flags: Flags,
    seq: u32,
    ack: u32,
    len: usize,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<SEQ={}><ACK={}><CTL={:?}> +{}",
            self.seq, self.ack, self.flags, self.len
        )
    }
}

/// `<SEQ=seq><ACK=ack><CTL=flags>` without text.
fn seg(flags: Flags, seq: u32, ack: u32) -> Line {
    Line {
        flags,
        seq,
        ack,
        len: 0,
    }
}

/// A peer played by hand against one stack of a [`Net`], the stack under test: the test
/// injects the peer's segments; the stack's segments are recorded and lost, so that the
/// other stack of the net takes no part.
struct Peer {
    net: Net,
    /// The direction of the peer's segments (toward the stack under test).
    to: Dir,
    /// The peer's port and the port of the stack under test.
    ports: (u16, u16),
    /// The listener of the stack under test, if it is B.
    listener: Option<ListenerHandle>,
    /// Entries of `net.seen` already looked at.
    read: usize,
}

impl Peer {
    /// B (configured with `cb`) listens on port 80; the peer is A's address, port 40000.
    fn to_listener(cb: Config) -> Peer {
        let mut net = Net::new(fast_config(), cb);
        let lh = net.b.listen(net.b_sock(80), None).expect("listen");
        net.set_filter(|dir, _, _| {
            if dir == Dir::BtoA {
                Fate::Drop
            } else {
                Fate::Deliver
            }
        });
        Peer {
            net,
            to: Dir::AtoB,
            ports: (40000, 80),
            listener: Some(lh),
            read: 0,
        }
    }

    /// A connects to B:80 and the peer plays B (A's SYN is lost on the way); returns A's
    /// handle and ISS.
    fn to_syn_sent() -> (Peer, SocketHandle, u32) {
        let (net, ha, syn) = syn_sent();
        let read = net.seen.len();
        let peer = Peer {
            net,
            to: Dir::BtoA,
            ports: (syn.dst_port, syn.src_port),
            listener: None,
            read,
        };
        (peer, ha, syn.seq)
    }

    /// B (configured with `cb`) and the peer (ISS [`PEER_ISS`]) complete a handshake:
    /// returns B's accepted handle and B's ISS. B's RCV.NXT is 1001, its SND.NXT ISS+1.
    fn established(cb: Config) -> (Peer, SocketHandle, u32) {
        let mut p = Peer::to_listener(cb);
        let synack = p.send(SYN, PEER_ISS, 0, &[]);
        let y = synack[0].seq;
        assert_eq!(synack, [seg(SYN_ACK, y, PEER_ISS + 1)]);
        assert_eq!(p.send(ACK, PEER_ISS + 1, y.wrapping_add(1), &[]), []);
        let hb = p.net.b.accept(p.lh()).expect("accept");
        (p, hb, y)
    }

    fn lh(&self) -> ListenerHandle {
        self.listener.expect("B listens")
    }

    /// The stack under test.
    fn stack(&mut self) -> &mut Stack {
        match self.to {
            Dir::AtoB => &mut self.net.b,
            Dir::BtoA => &mut self.net.a,
        }
    }

    fn state(&mut self, h: SocketHandle) -> State {
        self.stack().state(h)
    }

    fn info(&mut self, h: SocketHandle) -> crate::ConnectionInfo {
        self.stack().info(h).expect("info")
    }

    /// Reads everything readable on `h` (the stack's window updates are left for `wait`).
    fn read(&mut self, h: SocketHandle) -> Vec<u8> {
        let now = self.net.now;
        let mut buf = vec![0u8; 1 << 16];
        let n = self.stack().recv(now, h, &mut buf).unwrap_or(0);
        buf.truncate(n);
        buf
    }

    /// Injects a segment from the peer, runs the net for 1 ms and returns what the stack
    /// under test sent meanwhile.
    fn send(&mut self, flags: Flags, seq: u32, ack: u32, text: &[u8]) -> Vec<Line> {
        self.send_urgent(flags, seq, ack, None, text)
    }

    /// Like [`Peer::send`]; with `Some(up)` the segment has the URG bit and SEG.UP = `up`.
    fn send_urgent(
        &mut self,
        flags: Flags,
        seq: u32,
        ack: u32,
        up: Option<u16>,
        text: &[u8],
    ) -> Vec<Line> {
        let h = TcpHeader {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            seq,
            ack,
            flags: if up.is_some() {
                flags | Flags::URG
            } else {
                flags
            },
            window: 8192,
            urgent: up.unwrap_or(0),
            options: TcpOptions::default(),
        };
        self.net.inject(self.to, &h, text);
        self.wait(MS)
    }

    /// Like [`Peer::send`] without text, advertising the window `window` (unscaled: the tests
    /// that use it negotiate no window scaling).
    fn send_window(&mut self, flags: Flags, seq: u32, ack: u32, window: u16) -> Vec<Line> {
        let h = TcpHeader {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            seq,
            ack,
            flags,
            window,
            urgent: 0,
            options: TcpOptions::default(),
        };
        self.net.inject(self.to, &h, &[]);
        self.wait(MS)
    }

    /// Runs the net for `d` and returns what the stack under test sent meanwhile.
    fn wait(&mut self, d: Duration) -> Vec<Line> {
        self.net.run_for(d);
        let lines = self.net.seen[self.read..]
            .iter()
            .filter(|s| s.dir != self.to)
            .map(|s| Line {
                flags: s.tcp.flags,
                seq: s.tcp.seq,
                ack: s.tcp.ack,
                len: s.len,
            })
            .collect();
        self.read = self.net.seen.len();
        lines
    }
}

/// `x + n` in sequence space (modulo 2^32).
fn plus(x: u32, n: u32) -> u32 {
    x.wrapping_add(n)
}
