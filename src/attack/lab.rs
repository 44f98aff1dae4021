//! The attack's lab: one target's stack, made by the conformance crate in the private
//! namespace exactly as `replay` makes it (`tcp_conformance::targets::make_stack`: Linux on a
//! TUN device the lab writes into, or a userspace stack on a TUN device with the lab on an
//! `AF_PACKET` socket bound to it), and the wire to it. Everything the target receives the
//! lab injects (the legitimate peer's segments and the attacker's), and everything it sends
//! the lab captures, so an attack is the same packets on every target.
//!
//! Injection is paced by the target's own processed-packet count (the replayer's processing
//! barrier): at most [`AHEAD`] packets wait in the device for the target, far below the TUN
//! device's queue of 500, so none is dropped there and the rate is the highest the target
//! takes. What the target sends is read every few injections, before the capture socket's
//! buffer (or, for Linux, the device's queue) could overflow.

use anyhow::{Context, Result};
use std::time::{Duration, Instant};
use tcp_conformance::stack::{SockError, Stack};
use tcp_impl::wire::{self, Flags, TcpPacket};

use super::peer::Peer;

/// Packets injected beyond those the target has processed.
pub const AHEAD: u64 = 64;
/// Injections between two reads of what the target sent.
const DRAIN_EVERY: u32 = 8;

/// What the target sent to addresses other than the peer's (the spoofed sources of a flood).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stray {
    /// SYN,ACKs.
    pub syn_acks: u64,
    /// RSTs.
    pub rsts: u64,
    /// Anything else.
    pub other: u64,
}

/// The target and its wire.
pub struct Lab {
    /// The target's stack (socket primitives, counters, wire).
    pub stack: Box<dyn Stack>,
    injected: u64,
    processed: u64,
    since_drain: u32,
    captured: Vec<Vec<u8>>,
    buf: Vec<u8>,
}

impl Lab {
    /// The lab around a freshly made stack (nothing injected into it yet).
    pub fn new(stack: Box<dyn Stack>) -> Lab {
        Lab {
            stack,
            injected: 0,
            processed: 0,
            since_drain: 0,
            captured: Vec::new(),
            buf: vec![0u8; 65536],
        }
    }

    /// Packets the target has processed, as it last said.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Give the target one IP packet, waiting while [`AHEAD`] are still unprocessed.
    pub fn inject(&mut self, packet: &[u8]) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.injected - self.processed >= AHEAD {
            self.processed = self
                .stack
                .processed()
                .context("the target's processed count")?;
            if self.injected - self.processed < AHEAD {
                break;
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "the target processed {} of {} packets and no more in 10 s",
                    self.processed,
                    self.injected
                );
            }
            self.drain(Duration::from_micros(200))?;
        }
        self.stack.inject(packet).context("inject a packet")?;
        self.injected += 1;
        self.since_drain += 1;
        if self.since_drain >= DRAIN_EVERY {
            self.drain(Duration::ZERO)?;
        }
        Ok(())
    }

    /// Read what the target sent, waiting up to `wait` for the first packet.
    pub fn drain(&mut self, wait: Duration) -> Result<()> {
        self.since_drain = 0;
        let mut timeout = wait;
        while let Some(n) = self
            .stack
            .capture(&mut self.buf, timeout)
            .context("capture the target's packets")?
        {
            self.captured.push(self.buf[..n].to_vec());
            timeout = Duration::ZERO;
        }
        Ok(())
    }

    /// Wait up to `timeout` until the target has processed every packet injected; whether it
    /// did.
    pub fn barrier(&mut self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            self.processed = self
                .stack
                .processed()
                .context("the target's processed count")?;
            if self.processed >= self.injected {
                return Ok(true);
            }
            if Instant::now() > deadline {
                return Ok(false);
            }
            self.drain(Duration::from_millis(1))?;
        }
    }

    /// Hand what the target sent to the peers it is for (the rest is tallied in `stray`),
    /// let the peers act, and put what they send on the wire.
    pub fn pump(&mut self, peers: &mut [&mut Peer], stray: &mut Stray) -> Result<()> {
        self.drain(Duration::ZERO)?;
        for packet in std::mem::take(&mut self.captured) {
            let Ok(p) = wire::parse_packet(&packet) else {
                continue;
            };
            dispatch(&p, peers, stray);
        }
        for peer in peers.iter_mut() {
            peer.poll();
            for packet in peer.take_out() {
                self.inject(&packet)?;
            }
        }
        Ok(())
    }
}

fn dispatch(p: &TcpPacket<'_>, peers: &mut [&mut Peer], stray: &mut Stray) {
    if let Some(peer) = peers
        .iter_mut()
        .find(|q| q.local == p.dst_socket() && q.remote == p.src_socket())
    {
        peer.on_segment(p);
        return;
    }
    if p.dst == super::peer_addr(0).ip() {
        return; // a connection of the peer's that has ended
    }
    let f = p.tcp.flags;
    if f.contains(Flags::SYN) && f.contains(Flags::ACK) {
        stray.syn_acks += 1;
    } else if f.contains(Flags::RST) {
        stray.rsts += 1;
    } else {
        stray.other += 1;
    }
}

/// What the target's application read, as it reads: the bytes so far and how it ended.
#[derive(Debug, Default)]
pub struct Reader {
    /// Bytes read.
    pub got: Vec<u8>,
    /// The error the application was told (reset, ...), if any.
    pub error: Option<SockError>,
    /// `recv` returned the end of the stream.
    pub eof: bool,
}

impl Reader {
    /// Read everything the application's connection has now.
    pub fn read(&mut self, stack: &mut dyn Stack) {
        let mut buf = [0u8; 16384];
        while self.error.is_none() && !self.eof {
            match stack.recv(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => self.got.extend_from_slice(&buf[..n]),
                Err(SockError::WouldBlock) => return,
                Err(e) => self.error = Some(e),
            }
        }
    }
}
