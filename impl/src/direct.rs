//! A [`Stack`] on the real clock whose packets are passed by the caller instead of a device:
//! `inject` delivers an IP packet to the stack, `capture` waits (running the stack's timers)
//! for the next packet the stack sends. This is the simplest way for a test runner to play
//! the peer without any TUN device; [`crate::runtime::NetStack`] is the way to put the
//! stack on a real TUN device.

use crate::{Config, Stack, Timestamp};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A stack driven by explicit packet injection and capture, on the wall clock.
#[derive(Debug)]
pub struct DirectStack {
    stack: Stack,
    origin: Instant,
}

impl DirectStack {
    /// A stack answering for `addrs`.
    pub fn new(config: Config, addrs: Vec<IpAddr>) -> DirectStack {
        DirectStack {
            stack: Stack::new(config, addrs),
            origin: Instant::now(),
        }
    }

    /// The stack's clock now.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    /// Runs `f` on the stack with the current time (user calls: listen, connect, send, ...).
    pub fn with_stack<R>(&mut self, f: impl FnOnce(&mut Stack, Timestamp) -> R) -> R {
        let now = self.now();
        self.stack.on_timer(now);
        f(&mut self.stack, now)
    }

    /// Read-only access to the stack (state, info, stats).
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// Delivers one IP packet from the peer.
    pub fn inject(&mut self, packet: &[u8]) {
        let now = self.now();
        self.stack.on_timer(now);
        self.stack.receive(now, packet);
    }

    /// Waits up to `timeout` for the next packet the stack sends, running its timers
    /// (retransmission, delayed ACK, keepalive, TIME-WAIT) as they come due.
    pub fn capture(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let end = Instant::now() + timeout;
        loop {
            let now = self.now();
            self.stack.on_timer(now);
            if let Some(p) = self.stack.pop_transmit() {
                return Some(p);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let until_timer = self
                .stack
                .next_deadline()
                .map_or(left, |d| d.since(self.now()));
            std::thread::sleep(left.min(until_timer).max(Duration::from_micros(50)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{self, Flags, TcpHeader, TcpOptions};
    use crate::State;

    #[test]
    fn plays_a_handshake_and_a_retransmission_by_hand() {
        let cfg = Config {
            initial_rto: Duration::from_millis(30),
            min_rto: Duration::from_millis(10),
            ..Config::default()
        };
        let me: IpAddr = "192.0.2.2".parse().unwrap();
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let mut d = DirectStack::new(cfg, vec![me]);
        let h = d
            .with_stack(|s, now| s.connect(now, (peer, 80).into()))
            .expect("connect");
        let syn = d.capture(Duration::from_millis(100)).expect("SYN");
        let p = wire::parse_packet(&syn).expect("valid");
        assert_eq!(p.tcp.flags, Flags::SYN);
        // Say nothing: the SYN is retransmitted after the initial RTO.
        let t = Instant::now();
        let again = d
            .capture(Duration::from_millis(500))
            .expect("retransmitted SYN");
        assert!(t.elapsed() >= Duration::from_millis(20));
        assert_eq!(
            wire::parse_packet(&again).expect("valid").tcp.seq,
            p.tcp.seq
        );
        // Answer with SYN,ACK; expect the ACK and ESTABLISHED.
        let synack = TcpHeader {
            src_port: 80,
            dst_port: p.tcp.src_port,
            seq: 5000,
            ack: p.tcp.seq.wrapping_add(1),
            flags: Flags::SYN | Flags::ACK,
            window: 8192,
            urgent: 0,
            options: TcpOptions::default(),
        };
        let mut pkt = Vec::new();
        wire::build_packet(&mut pkt, peer, me, &synack, &[], 1);
        d.inject(&pkt);
        let ack = d.capture(Duration::from_millis(100)).expect("ACK");
        let a = wire::parse_packet(&ack).expect("valid");
        assert_eq!(a.tcp.flags, Flags::ACK);
        assert_eq!(a.tcp.ack, 5001);
        assert_eq!(d.stack().state(h), State::Established);
        assert_eq!(d.capture(Duration::from_millis(20)), None);
    }
}
