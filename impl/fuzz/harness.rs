//! The fuzzing harness of the userspace stack: one function per libFuzzer target, shared with
//! the regression test `impl/tests/fuzz_corpus.rs`, which runs each over the corpus kept in
//! `impl/fuzz/corpus/<target>/` (so that every input a fuzzer found stays a test).
//!
//! Each function takes arbitrary bytes and panics only when the stack breaks one of the
//! invariants it checks: a panic inside the stack, a packet of its own that does not parse, a
//! parse that does not survive a rebuild, or coalesced delivery that differs from plain.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tcp_impl::coalesce::Coalescer;
use tcp_impl::wire::{self, Flags, TcpHeader, TcpOptions};
use tcp_impl::{Config, SocketHandle, Stack, Timestamp};

/// The stack's address and the peer's (documentation addresses, RFC 5737).
const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const PORT: u16 = 80;
const PEER_ISS: u32 = 1000;

/// The wire codec: any input parses or is refused without panicking (IP and TCP, and as an
/// ICMP error); a packet that parses, rebuilt from what was parsed, parses to the same
/// header and payload.
pub fn wire(data: &[u8]) {
    let _ = wire::icmp::parse_error(data);
    let _ = wire::parse_packet_with(data, false);
    let Ok(p) = wire::parse_packet(data) else {
        return;
    };
    let mut rebuilt = Vec::new();
    wire::build_packet(&mut rebuilt, p.src, p.dst, &p.tcp, p.payload, 0);
    let q = match wire::parse_packet(&rebuilt) {
        Ok(q) => q,
        Err(e) => panic!("a rebuilt packet does not parse: {e} ({:?})", p.tcp),
    };
    assert_eq!(q.tcp, p.tcp, "header changed by a rebuild");
    assert_eq!(q.payload, p.payload, "payload changed by a rebuild");
    assert_eq!(
        (q.src, q.dst),
        (p.src, p.dst),
        "addresses changed by a rebuild"
    );
}

/// Reads fuzz input a byte at a time (zeros once it runs out).
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// The peer the fuzzer plays, and what it has learnt of the stack's numbers.
struct Session {
    stack: Stack,
    now: Timestamp,
    listener: tcp_impl::ListenerHandle,
    accepted: Vec<SocketHandle>,
    /// Per peer port (40000 + i): the stack's next sequence number as last seen, and the
    /// peer's own next sequence number.
    numbers: [(u32, u32); 2],
    /// Bytes the application read.
    read: usize,
}

impl Session {
    fn new(config: Config) -> Session {
        let mut stack = Stack::new(config, vec![LOCAL]);
        let listener = stack
            .listen(SocketAddr::new(LOCAL, PORT), Some(4))
            .expect("a listener on a fresh stack");
        Session {
            stack,
            now: Timestamp::ZERO,
            listener,
            accepted: Vec::new(),
            numbers: [(0, PEER_ISS); 2],
            read: 0,
        }
    }

    /// Hands a segment from the peer's port `40000 + i` to the stack.
    fn deliver(&mut self, i: usize, h: &TcpHeader, payload: &[u8]) {
        let mut p = Vec::new();
        let h = TcpHeader {
            src_port: 40000 + i as u16,
            dst_port: PORT,
            ..*h
        };
        wire::build_packet(&mut p, PEER, LOCAL, &h, payload, 0);
        self.stack.receive(self.now, &p);
        self.drain();
    }

    /// Takes every packet the stack sends: each must parse, come from the stack's address
    /// and port, and go to the peer; the stack's numbers are learnt from them.
    fn drain(&mut self) {
        while let Some(p) = self.stack.pop_transmit() {
            let seg = match wire::parse_packet(&p) {
                Ok(seg) => seg,
                Err(e) => panic!("the stack sent a packet that does not parse: {e}"),
            };
            assert_eq!((seg.src, seg.dst), (LOCAL, PEER), "addresses");
            assert_eq!(seg.tcp.src_port, PORT, "source port");
            let i = seg.tcp.dst_port.wrapping_sub(40000) as usize;
            if let Some(n) = self.numbers.get_mut(i) {
                let ctl = u32::from(seg.tcp.flags.contains(Flags::SYN))
                    + u32::from(seg.tcp.flags.contains(Flags::FIN));
                n.0 = seg.tcp.seq.wrapping_add(seg.payload.len() as u32 + ctl);
            }
            self.stack.recycle(p);
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        self.stack.on_timer(self.now);
        self.drain();
    }

    /// A three-way handshake from port 40000: SYN, the stack's SYN,ACK, ACK; then accept.
    fn handshake(&mut self) -> Option<SocketHandle> {
        let syn = header(Flags::SYN, PEER_ISS, 0, 65535);
        self.deliver(0, &syn, &[]);
        let ack = header(Flags::ACK, PEER_ISS + 1, self.numbers[0].0, 65535);
        self.numbers[0].1 = PEER_ISS + 1;
        self.deliver(0, &ack, &[]);
        let h = self.stack.accept(self.listener).ok()?;
        self.accepted.push(h);
        Some(h)
    }
}

fn header(flags: Flags, seq: u32, ack: u32, window: u16) -> TcpHeader {
    TcpHeader {
        src_port: 40000,
        dst_port: PORT,
        seq,
        ack,
        flags,
        window,
        urgent: 0,
        options: TcpOptions::default(),
    }
}

/// Bytes `0, 1, 2, ...` (mod 251) starting at stream offset `from`.
fn text(from: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| ((from as usize + k) % 251) as u8)
        .collect()
}

/// The whole stack, statefully: a listener; the fuzzer plays two peers (ports 40000 and
/// 40001) that send segments of any flags with numbers near the stack's (so that they reach
/// every state: SYN-RECEIVED, ESTABLISHED, the closing states, TIME-WAIT), lets time pass,
/// and makes the application accept, send, read, shut down, abort and release. Every packet
/// the stack sends must parse.
pub fn stack(data: &[u8]) {
    let mut input = Input { data };
    let mut s = Session::new(Config::default());
    let mut buf = vec![0u8; 4096];
    let mut steps = 0;
    while !input.is_empty() && steps < 256 {
        steps += 1;
        let op = input.u8();
        let conn = s
            .accepted
            .get(usize::from(op >> 4) % s.accepted.len().max(1))
            .copied();
        match op % 8 {
            0 | 1 => {
                // A segment: flags, numbers near the expected ones, window, text.
                let i = usize::from(op & 8 != 0);
                let flags = Flags(input.u8() & 0x3f);
                let seq_delta = i32::from(input.u8() as i8) * i32::from(1 + (input.u8() & 3));
                let ack_delta = i32::from(input.u8() as i8);
                let window = input.u16();
                let len = usize::from(input.u8() % 64);
                let (their, ours) = s.numbers[i];
                let seq = ours.wrapping_add_signed(seq_delta);
                let ack = their.wrapping_add_signed(ack_delta);
                let mut h = header(flags, seq, ack, window);
                if flags.contains(Flags::URG) {
                    h.urgent = u16::from(input.u8());
                }
                if flags.contains(Flags::SYN) {
                    h.options.mss = Some(536 + u16::from(input.u8()) * 4);
                }
                let payload = text(seq.wrapping_sub(PEER_ISS + 1), len);
                s.deliver(i, &h, &payload);
                // The peer advances its own number when the stack should have taken it.
                let ctl =
                    u32::from(flags.contains(Flags::SYN)) + u32::from(flags.contains(Flags::FIN));
                if seq_delta == 0 {
                    s.numbers[i].1 = seq.wrapping_add(len as u32 + ctl);
                }
            }
            2 => s.advance(Duration::from_millis(u64::from(input.u8()) * 20)),
            3 => {
                if let Ok(h) = s.stack.accept(s.listener) {
                    s.accepted.push(h);
                }
            }
            4 => {
                if let Some(h) = conn {
                    let n = usize::from(input.u8()) * 16;
                    let _ = s.stack.send(s.now, h, &text(0, n));
                    s.drain();
                }
            }
            5 => {
                if let Some(h) = conn {
                    if let Ok(n) = s.stack.recv(s.now, h, &mut buf) {
                        s.read += n;
                    }
                    s.drain();
                }
            }
            6 => {
                if let Some(h) = conn {
                    match input.u8() % 3 {
                        0 => drop(s.stack.shutdown(s.now, h)),
                        1 => drop(s.stack.abort(h)),
                        _ => drop(s.stack.release(s.now, h)),
                    }
                    s.drain();
                }
            }
            _ => {
                if s.accepted.is_empty() {
                    s.handshake();
                }
            }
        }
    }
    // Let every timer run out: TIME-WAIT, retransmissions, keep-alives.
    for _ in 0..64 {
        match s.stack.next_deadline() {
            Some(t) if t > s.now => {
                let d = t.since(s.now);
                s.advance(d);
            }
            Some(_) => s.advance(Duration::from_millis(1)),
            None => break,
        }
    }
}

/// Writes `packets` into a datagram socket pair (one read per packet, as a TUN device
/// gives them) and returns the reading end, or `None` if the pair cannot be made.
fn packet_fd(packets: &[Vec<u8>]) -> Option<(libc::c_int, libc::c_int)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_NONBLOCK,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r != 0 {
        return None;
    }
    for p in packets {
        // SAFETY: writing `p.len()` bytes from `p`.
        unsafe { libc::write(fds[1], p.as_ptr().cast(), p.len()) };
    }
    Some((fds[0], fds[1]))
}

/// Receive coalescing, differentially: two stacks with an established connection each
/// receive the same segments of one consistent byte stream (data near RCV.NXT, in and out of
/// order, overlapping, sometimes with PSH or a changed window, and the FIN where the stream
/// ends), one through [`Coalescer::read_batch`] (merging runs of
/// in-order segments) and one through [`Coalescer::read_batch_plain`]; after every batch
/// the two applications must have read the same bytes and the connections be in the same
/// state.
pub fn coalesce(data: &[u8]) {
    let mut input = Input { data };
    let mut merged = Session::new(Config::default());
    let mut plain = Session::new(Config::default());
    let (Some(hm), Some(hp)) = (merged.handshake(), plain.handshake()) else {
        panic!("the handshake failed");
    };
    let mut coalescer = Coalescer::new(false);
    let mut reference = Coalescer::new(false);
    let mut next = PEER_ISS + 1;
    let end = (1 + u32::from(input.u16() % 1024)) * 16;
    let (mut got_m, mut got_p) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; 65536];
    for _ in 0..16 {
        if input.is_empty() {
            break;
        }
        let count = 1 + usize::from(input.u8() % 16);
        let mut batch_m = Vec::new();
        let mut batch_p = Vec::new();
        for _ in 0..count {
            let shape = input.u8();
            let len = 1 + usize::from(input.u8()) * 8;
            let seq = match shape % 4 {
                0 => next.wrapping_add(u32::from(input.u8()) * 8),
                1 => next.wrapping_sub(u32::from(input.u8())),
                _ => next,
            };
            // The peer is consistent: one byte stream that ends at `end`, where its FIN is.
            let offset = seq.wrapping_sub(PEER_ISS + 1);
            if offset >= end {
                continue;
            }
            let len = len.min((end - offset) as usize);
            let mut flags = Flags::ACK;
            if shape & 0x10 != 0 {
                flags = flags | Flags::PSH;
            }
            if shape & 0x20 != 0 && offset + len as u32 == end {
                flags = flags | Flags::FIN;
            }
            let window = if shape & 0x80 != 0 { 65535 } else { 32768 };
            let payload = text(seq.wrapping_sub(PEER_ISS + 1), len);
            for (session, batch) in [(&merged, &mut batch_m), (&plain, &mut batch_p)] {
                let h = TcpHeader {
                    src_port: 40000,
                    ..header(flags, seq, session.numbers[0].0, window)
                };
                let mut p = Vec::new();
                wire::build_packet(&mut p, PEER, LOCAL, &h, &payload, 0);
                batch.push(p);
            }
            if seq == next {
                next = next.wrapping_add(len as u32);
            }
        }
        let (Some(fm), Some(fp)) = (packet_fd(&batch_m), packet_fd(&batch_p)) else {
            return; // no descriptors left: nothing to compare
        };
        coalescer.read_batch(fm.0, &mut merged.stack, merged.now, 64, &mut |_| {});
        reference.read_batch_plain(fp.0, &mut plain.stack, plain.now, 64, &mut |_| {});
        for fd in [fm.0, fm.1, fp.0, fp.1] {
            // SAFETY: closing descriptors this function opened.
            unsafe { libc::close(fd) };
        }
        merged.drain();
        plain.drain();
        for (session, h, got) in [(&mut merged, hm, &mut got_m), (&mut plain, hp, &mut got_p)] {
            while let Ok(n) = session.stack.recv(session.now, h, &mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert_eq!(
            got_m.len(),
            got_p.len(),
            "coalesced and plain read differ in length"
        );
        assert!(got_m == got_p, "coalesced and plain read different bytes");
        assert_eq!(
            merged.stack.state(hm),
            plain.stack.state(hp),
            "coalesced and plain connections differ in state"
        );
        merged.advance(Duration::from_millis(50));
        plain.advance(Duration::from_millis(50));
    }
}
