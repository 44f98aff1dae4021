//! An in-memory network joining two [`Stack`]s, with a virtual clock, latency, and a
//! per-packet filter that can drop, delay (reorder) or record segments. Used by the unit
//! tests of the protocol rules; everything is deterministic.

use crate::wire::{self, TcpHeader};
use crate::{Config, Stack, Timestamp};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Which way a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From stack A to stack B.
    AtoB,
    /// From stack B to stack A.
    BtoA,
}

/// What the filter decides for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Deliver after the link latency.
    Deliver,
    /// Lose it.
    Drop,
    /// Deliver after the latency plus this extra delay (reordering).
    Delay(Duration),
}

/// One recorded segment.
#[derive(Clone, Debug)]
pub struct Seen {
    pub dir: Dir,
    pub at: Timestamp,
    pub tcp: TcpHeader,
    pub len: usize,
    pub fate: Fate,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 TOS octet / IPv6 traffic class.
    pub tos: u8,
}

/// The TTL (hop limit) and TOS octet (traffic class) of an IP packet.
pub fn ttl_and_tos(p: &[u8]) -> (u8, u8) {
    match p.first().map(|b| b >> 4) {
        Some(4) if p.len() >= 20 => (p[8], p[1]),
        Some(6) if p.len() >= 40 => (p[7], (p[0] << 4) | (p[1] >> 4)),
        _ => (0, 0),
    }
}

type Filter = Box<dyn FnMut(Dir, &TcpHeader, usize) -> Fate>;

/// Two stacks and the wire between them.
pub struct Net {
    pub a: Stack,
    pub b: Stack,
    pub now: Timestamp,
    pub latency: Duration,
    in_flight: Vec<(Timestamp, u64, Dir, Vec<u8>)>,
    order: u64,
    pub seen: Vec<Seen>,
    filter: Filter,
    pub a_addr: IpAddr,
    pub b_addr: IpAddr,
}

impl Net {
    /// Two IPv4 stacks (192.0.2.1 and 192.0.2.2) with 1 ms one-way latency.
    pub fn new(ca: Config, cb: Config) -> Net {
        Self::with_addrs(
            ca,
            cb,
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
        )
    }

    /// Two IPv6 stacks (2001:db8::1 and 2001:db8::2).
    pub fn new_v6(ca: Config, cb: Config) -> Net {
        Self::with_addrs(
            ca,
            cb,
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        )
    }

    fn with_addrs(ca: Config, cb: Config, a_addr: IpAddr, b_addr: IpAddr) -> Net {
        Net {
            a: Stack::new(ca, vec![a_addr]),
            b: Stack::new(cb, vec![b_addr]),
            now: Timestamp(1_000_000),
            latency: Duration::from_millis(1),
            in_flight: Vec::new(),
            order: 0,
            seen: Vec::new(),
            filter: Box::new(|_, _, _| Fate::Deliver),
            a_addr,
            b_addr,
        }
    }

    /// B's socket address on `port`.
    pub fn b_sock(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.b_addr, port)
    }

    /// A's socket address on `port`.
    pub fn a_sock(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.a_addr, port)
    }

    /// Installs the packet filter.
    pub fn set_filter(&mut self, f: impl FnMut(Dir, &TcpHeader, usize) -> Fate + 'static) {
        self.filter = Box::new(f);
    }

    /// Removes the filter (deliver everything).
    pub fn clear_filter(&mut self) {
        self.filter = Box::new(|_, _, _| Fate::Deliver);
    }

    /// Moves packets the stacks produced onto the wire.
    fn collect(&mut self) {
        loop {
            let mut moved = false;
            while let Some(p) = self.a.pop_transmit() {
                self.launch(Dir::AtoB, p);
                moved = true;
            }
            while let Some(p) = self.b.pop_transmit() {
                self.launch(Dir::BtoA, p);
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    fn launch(&mut self, dir: Dir, p: Vec<u8>) {
        let parsed = wire::parse_packet(&p).expect("stacks emit valid packets");
        let fate = (self.filter)(dir, &parsed.tcp, parsed.payload.len());
        let (ttl, tos) = ttl_and_tos(&p);
        self.seen.push(Seen {
            dir,
            at: self.now,
            tcp: parsed.tcp,
            len: parsed.payload.len(),
            fate,
            ttl,
            tos,
        });
        let at = match fate {
            Fate::Drop => return,
            Fate::Deliver => self.now + self.latency,
            Fate::Delay(d) => self.now + self.latency + d,
        };
        self.order += 1;
        self.in_flight.push((at, self.order, dir, p));
    }

    /// Puts a hand-made packet on the wire now (no filter).
    pub fn inject(&mut self, dir: Dir, tcp: &TcpHeader, payload: &[u8]) {
        let (src, dst) = match dir {
            Dir::AtoB => (self.a_addr, self.b_addr),
            Dir::BtoA => (self.b_addr, self.a_addr),
        };
        let mut p = Vec::new();
        wire::build_packet(&mut p, src, dst, tcp, payload, 0);
        let (ttl, tos) = ttl_and_tos(&p);
        self.seen.push(Seen {
            dir,
            at: self.now,
            tcp: *tcp,
            len: payload.len(),
            fate: Fate::Deliver,
            ttl,
            tos,
        });
        self.order += 1;
        self.in_flight.push((self.now, self.order, dir, p));
    }

    /// Delivers a raw byte buffer to B as if it came from the wire.
    pub fn raw_to_b(&mut self, bytes: &[u8]) {
        self.b.receive(self.now, bytes);
        self.collect();
    }

    fn next_event(&self) -> Option<Timestamp> {
        let wire_next = self.in_flight.iter().map(|(t, ..)| *t).min();
        [wire_next, self.a.next_deadline(), self.b.next_deadline()]
            .into_iter()
            .fold(None, crate::time::earliest)
    }

    /// Processes everything due now (deliveries in order, then timers).
    fn settle(&mut self) {
        loop {
            self.collect();
            self.in_flight.sort_by_key(|(t, o, ..)| (*t, *o));
            let due = self.in_flight.first().is_some_and(|(t, ..)| *t <= self.now);
            if !due {
                break;
            }
            let (_, _, dir, p) = self.in_flight.remove(0);
            match dir {
                Dir::AtoB => self.b.receive(self.now, &p),
                Dir::BtoA => self.a.receive(self.now, &p),
            }
        }
        self.a.on_timer(self.now);
        self.b.on_timer(self.now);
        self.collect();
    }

    /// Runs the network for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.settle();
        while let Some(t) = self.next_event() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.settle();
        }
        self.now = end;
        self.settle();
    }

    /// Runs until `pred` holds (checked after every event) or `limit` passes; returns
    /// whether `pred` held.
    pub fn run_until(&mut self, limit: Duration, mut pred: impl FnMut(&mut Net) -> bool) -> bool {
        let end = self.now + limit;
        self.settle();
        loop {
            if pred(self) {
                return true;
            }
            match self.next_event() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.settle();
                }
                _ => {
                    self.now = end;
                    self.settle();
                    return pred(self);
                }
            }
        }
    }
}
