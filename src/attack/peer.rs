//! The legitimate peer: a small TCP sender that the attack plays on the wire, so that every
//! target is attacked through the same packets whatever stack it is.
//!
//! It opens a connection (RFC 9293 3.5: SYN, SYN,ACK, ACK; the SYN offers MSS 1460 and no
//! window scaling, so the target's window field is its window), sends a byte stream within
//! the target's window in segments of the target's MSS, and resends from SND.UNA when nothing
//! is acknowledged for [`RTO`] (go-back-N; no fast retransmit, so that a duplicate ACK never
//! makes it send). It receives no data. What it sees of the target is counted: every pure
//! ACK, and the duplicate ones (the same acknowledgment and window as the ACK before:
//! the ACKs an attack draws, RFC 5961's challenge ACKs among them, since the stream's own
//! ACKs advance).

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tcp_impl::wire::{self, Flags, TcpHeader, TcpOptions, TcpPacket};

/// Resend everything unacknowledged after this long without progress.
pub const RTO: Duration = Duration::from_secs(1);
/// SYN retransmissions before a connect is given up (1 s apart; given up 3 s after the first
/// SYN, as an application's `connect()` with a 3 s timeout would be).
const SYN_TRIES: u32 = 2;
/// The window the peer advertises (it receives no data).
const WINDOW: u16 = 65535;

/// Where the connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// SYN sent, no SYN,ACK yet.
    Opening,
    /// Synchronized.
    Established,
    /// The target refused the connection (a RST in reply to the SYN).
    Refused,
    /// No SYN,ACK after every retry.
    TimedOut,
    /// The target reset the established connection.
    Reset,
}

/// One connection of the legitimate peer.
#[derive(Debug)]
pub struct Peer {
    /// The peer's address and port.
    pub local: SocketAddr,
    /// The target's.
    pub remote: SocketAddr,
    phase: Phase,
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    /// The highest SND.NXT so far: a segment below it is sent again.
    snd_max: u32,
    rcv_nxt: u32,
    window: u32,
    mss: usize,
    data: Vec<u8>,
    opened: Instant,
    syn_tries: u32,
    last_syn: Instant,
    /// When the SYN,ACK arrived.
    connected: Option<Instant>,
    last_progress: Instant,
    last_ack: Option<(u32, u16)>,
    /// Pure ACKs the target sent on this connection.
    pub pure_acks: u64,
    /// Of those, the ones with the same acknowledgment and window as the ACK before.
    pub duplicate_acks: u64,
    /// The stream waits until this is false (a connection opened before its turn).
    pub hold: bool,
    /// Data segments the peer sent again (go-back-N after [`RTO`]): each may draw a
    /// duplicate ACK of its own.
    pub resent: u64,
    out: Vec<Vec<u8>>,
}

impl Peer {
    /// Open a connection from `local` to `remote` that will send `data`; the SYN is queued.
    pub fn connect(local: SocketAddr, remote: SocketAddr, iss: u32, data: Vec<u8>) -> Peer {
        let now = Instant::now();
        let mut p = Peer {
            local,
            remote,
            phase: Phase::Opening,
            iss,
            snd_una: iss,
            snd_nxt: iss.wrapping_add(1),
            snd_max: iss.wrapping_add(1),
            rcv_nxt: 0,
            window: 0,
            mss: 536,
            data,
            opened: now,
            syn_tries: 0,
            last_syn: now,
            connected: None,
            last_progress: now,
            last_ack: None,
            pure_acks: 0,
            duplicate_acks: 0,
            resent: 0,
            hold: false,
            out: Vec::new(),
        };
        p.send_syn();
        p
    }

    /// Where the connection is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Time from the first SYN to the SYN,ACK, once connected.
    pub fn connect_time(&self) -> Option<Duration> {
        self.connected.map(|c| c - self.opened)
    }

    /// The next sequence number the peer sends: the target's RCV.NXT once all is
    /// acknowledged.
    pub fn snd_nxt(&self) -> u32 {
        self.snd_nxt
    }

    /// Packets to put on the wire, taken.
    pub fn take_out(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.out)
    }

    fn emit(&mut self, seq: u32, flags: Flags, payload: &[u8], mss: Option<u16>) {
        let h = TcpHeader {
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq,
            ack: if flags.contains(Flags::ACK) {
                self.rcv_nxt
            } else {
                0
            },
            flags,
            window: WINDOW,
            urgent: 0,
            options: TcpOptions {
                mss,
                ..TcpOptions::default()
            },
        };
        let mut p = Vec::with_capacity(40 + payload.len());
        wire::build_packet(&mut p, self.local.ip(), self.remote.ip(), &h, payload, 0);
        self.out.push(p);
    }

    fn send_syn(&mut self) {
        self.last_syn = Instant::now();
        self.emit(self.iss, Flags::SYN, &[], Some(1460));
    }

    /// A segment the target sent on this connection.
    pub fn on_segment(&mut self, p: &TcpPacket<'_>) {
        let h = &p.tcp;
        match self.phase {
            Phase::Opening => {
                let acks_syn = h.flags.contains(Flags::ACK) && h.ack == self.iss.wrapping_add(1);
                if h.flags.contains(Flags::RST) && acks_syn {
                    self.phase = Phase::Refused;
                } else if h.flags.contains(Flags::SYN) && acks_syn {
                    self.phase = Phase::Established;
                    self.connected = Some(Instant::now());
                    self.last_progress = Instant::now();
                    self.rcv_nxt = h.seq.wrapping_add(1);
                    self.snd_una = h.ack;
                    self.window = u32::from(h.window);
                    self.mss = usize::from(h.options.mss.unwrap_or(536).min(1460));
                    self.emit(self.snd_nxt, Flags::ACK, &[], None);
                }
            }
            Phase::Established => self.on_synchronized(p),
            _ => {}
        }
    }

    fn on_synchronized(&mut self, p: &TcpPacket<'_>) {
        let h = &p.tcp;
        if h.flags.contains(Flags::RST) {
            // RFC 5961 3.2 as the target's own RST would be: exactly at RCV.NXT.
            if h.seq == self.rcv_nxt {
                self.phase = Phase::Reset;
            }
            return;
        }
        if h.flags.contains(Flags::SYN) {
            // The SYN,ACK again: our ACK was lost.
            self.emit(self.snd_nxt, Flags::ACK, &[], None);
            return;
        }
        if !h.flags.contains(Flags::ACK) {
            return;
        }
        let advance = h.ack.wrapping_sub(self.snd_una);
        let outstanding = self.snd_max.wrapping_sub(self.snd_una);
        if advance > 0 && advance <= outstanding {
            self.snd_una = h.ack;
            self.last_progress = Instant::now();
            if self.snd_nxt.wrapping_sub(self.snd_una) as i32 <= 0 {
                self.snd_nxt = self.snd_una;
            }
        }
        if h.ack.wrapping_sub(self.snd_una) == 0 {
            self.window = u32::from(h.window);
        }
        let pure = p.payload.is_empty() && !h.flags.contains(Flags::FIN);
        if pure {
            self.pure_acks += 1;
            if self.last_ack == Some((h.ack, h.window)) {
                self.duplicate_acks += 1;
            }
            self.last_ack = Some((h.ack, h.window));
        }
    }

    /// Send what the window allows, and resend what timed out.
    pub fn poll(&mut self) {
        let now = Instant::now();
        match self.phase {
            Phase::Opening => {
                let wait = Duration::from_secs(1);
                if now - self.last_syn < wait {
                    return;
                }
                if self.syn_tries >= SYN_TRIES {
                    self.phase = Phase::TimedOut;
                } else {
                    self.syn_tries += 1;
                    self.send_syn();
                }
            }
            Phase::Established if !self.hold => self.send_data(now),
            _ => {}
        }
    }

    fn send_data(&mut self, now: Instant) {
        let start = self.iss.wrapping_add(1);
        let outstanding = self.snd_max.wrapping_sub(self.snd_una);
        if outstanding > 0 && now - self.last_progress >= RTO {
            // Go back N: everything unacknowledged again.
            self.snd_nxt = self.snd_una;
            self.last_progress = now;
        }
        // A zero window is probed with one byte after the timeout.
        let window = if self.window == 0 && now - self.last_progress >= RTO {
            1
        } else {
            self.window
        };
        loop {
            let sent = self.snd_nxt.wrapping_sub(start) as usize;
            let in_flight = self.snd_nxt.wrapping_sub(self.snd_una);
            let room = window.saturating_sub(in_flight) as usize;
            let left = self.data.len().saturating_sub(sent);
            let n = left.min(room).min(self.mss);
            if n == 0 {
                return;
            }
            let seq = self.snd_nxt;
            let chunk = self.data[sent..sent + n].to_vec();
            self.emit(seq, Flags::ACK | Flags::PSH, &chunk, None);
            if self.snd_max.wrapping_sub(seq) as i32 > 0 {
                self.resent += 1;
            }
            self.snd_nxt = seq.wrapping_add(n as u32);
            if self.snd_nxt.wrapping_sub(self.snd_max) as i32 > 0 {
                self.snd_max = self.snd_nxt;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn addr(last: u8, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), port)
    }

    fn reply(peer: &mut Peer, seq: u32, ack: u32, flags: Flags, window: u16, mss: Option<u16>) {
        let h = TcpHeader {
            src_port: peer.remote.port(),
            dst_port: peer.local.port(),
            seq,
            ack,
            flags,
            window,
            urgent: 0,
            options: TcpOptions {
                mss,
                ..TcpOptions::default()
            },
        };
        let p = TcpPacket {
            src: peer.remote.ip(),
            dst: peer.local.ip(),
            tcp: h,
            payload: &[],
        };
        peer.on_segment(&p);
    }

    #[test]
    fn handshake_window_and_duplicate_acks() {
        let mut p = Peer::connect(addr(2, 4000), addr(1, 80), 1000, vec![7u8; 3000]);
        let syn = p.take_out();
        assert_eq!(syn.len(), 1);
        reply(
            &mut p,
            5000,
            1001,
            Flags::SYN | Flags::ACK,
            2000,
            Some(1000),
        );
        assert_eq!(p.phase(), Phase::Established);
        assert_eq!(p.take_out().len(), 1, "the handshake's ACK");
        p.poll();
        // A window of 2,000 in segments of the target's MSS.
        let data = p.take_out();
        assert_eq!(data.len(), 2);
        assert_eq!(p.snd_nxt(), 3001);
        reply(&mut p, 5001, 3001, Flags::ACK, 2000, None);
        p.poll();
        assert_eq!(
            p.take_out().len(),
            1,
            "the last 1,000 bytes once 2,000 are acknowledged"
        );
        // The same ACK twice more: two duplicates; an advancing one is none.
        reply(&mut p, 5001, 3001, Flags::ACK, 2000, None);
        reply(&mut p, 5001, 3001, Flags::ACK, 2000, None);
        assert_eq!((p.pure_acks, p.duplicate_acks), (3, 2));
        reply(&mut p, 5001, 4001, Flags::ACK, 2000, None);
        assert_eq!(p.duplicate_acks, 2);
        assert_eq!(p.snd_nxt(), 4001);
        // Only the target's RST at RCV.NXT resets.
        reply(&mut p, 5002, 0, Flags::RST, 0, None);
        assert_eq!(p.phase(), Phase::Established);
        reply(&mut p, 5001, 0, Flags::RST, 0, None);
        assert_eq!(p.phase(), Phase::Reset);
    }

    #[test]
    fn a_reset_answer_to_the_syn_is_a_refusal() {
        let mut p = Peer::connect(addr(2, 4001), addr(1, 80), 77, Vec::new());
        reply(&mut p, 0, 78, Flags::RST | Flags::ACK, 0, None);
        assert_eq!(p.phase(), Phase::Refused);
        assert_eq!(p.connect_time(), None);
    }
}
