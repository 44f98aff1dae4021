//! Receive coalescing in software, like Linux GRO: the packets the device has queued are
//! read in a batch, and consecutive in-order data segments of one connection are merged
//! into one segment (at most one IP packet's worth, 64 KB) before the stack sees them.
//!
//! Why: on a plain TUN device every MTU-sized segment otherwise costs the stack one
//! segment-processing pass and, with "an ACK for at least every second full-sized segment"
//! (RFC 5681 section 4.2, RFC 1122 section 4.2.3.2), one ACK per two segments, each ACK
//! being a write into the kernel. A receiver with receive offload (LRO/GRO, or the offload
//! TUN of [`crate::offload`]) processes a coalesced super-segment as one segment and sends
//! one ACK for it; the same happens here. The ACK rules themselves are unchanged:
//! - a merged run covering two or more full-sized segments is acknowledged at once, as any
//!   segment of that size is (RFC 5681 section 4.2: "at least every second full-sized
//!   segment" counts the segments the TCP receives after coalescing);
//! - the packets merged were already queued when the batch was read, so the ACK leaves at
//!   most one batch (microseconds) later than per-segment processing would send it; the
//!   500 ms limit of RFC 1122 section 4.2.3.2 / RFC 5681 section 4.2 is never approached;
//! - a run is started only at RCV.NXT ([`Stack::is_next_in_order`]): out-of-order segments
//!   are delivered one by one, so each still produces its duplicate ACK (RFC 5681 section
//!   4.2) and fast retransmit (section 3.2) sees the usual count;
//! - the packets read together are one batch ([`Stack::begin_batch`]): "if the TCP endpoint
//!   is processing a series of queued segments, it MUST process them all before sending any
//!   ACK segments" (RFC 9293 3.10.7.4, MUST-59). Each connection sends its ACK (one for all
//!   it took in order, then one duplicate ACK per out-of-order segment) once every packet of
//!   the batch went through the stack; merging a run into one segment is the first step of
//!   that aggregation (MUST-58);
//! - only plain ACK segments are merged (PSH may end a run; SYN, FIN, RST, URG, ECN marks,
//!   IP options or differing TCP options, windows or ACK numbers end it), so nothing but
//!   the data boundaries is lost, as in GRO. Senders that count bytes (RFC 3465) grow
//!   their window the same; a sender counting ACKs grows it more slowly, as with any
//!   receiver that uses receive offload.
//!
//! Every merged segment's checksums are verified here (unless the device says the kernel
//! left the TCP checksum to be completed, see [`crate::offload`]); a packet that fails any
//! check is handed to the stack unchanged, which counts it.
//!
//! To save a copy, a packet that may continue the current run is read with `readv` so that
//! its headers land in a scratch buffer and its payload right after the run's payload.

use crate::offload::{VNET_F_NEEDS_CSUM, VNET_HDR_LEN};
use crate::wire::checksum;
use crate::{Stack, Timestamp};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;

/// Largest packet read from the device (a 64 KB GSO packet plus the virtio-net header).
const MAX_PACKET: usize = 65536 + 64;
/// Largest IP packet a run may grow to (the IPv4 total length is 16 bits; the IPv6 payload
/// length too, and the run keeps the same bound for both).
const MAX_RUN_IP: usize = 65535;
/// Largest header block: virtio-net header, IPv6 header, TCP header with options.
const MAX_HDR: usize = VNET_HDR_LEN + 40 + 60;
const TCP_ACK: u8 = 0x10;
const TCP_PSH: u8 = 0x08;

/// The run being built: the first packet's headers at the start of the arena, followed by
/// the payloads of every merged segment.
#[derive(Clone, Copy, Debug)]
struct Run {
    /// Length of the virtio-net, IP and TCP headers.
    hdr: usize,
    /// Length of the IP header.
    ip_len: usize,
    v6: bool,
    /// Sequence number right after the run's data.
    next_seq: u32,
    /// Packets merged so far (the first included).
    packets: u64,
    /// Payload length of the first segment: a longer one never joins the run, a shorter
    /// one ends it (as in GRO).
    seg_size: usize,
}

/// What became of a packet read while a run was open.
enum Merge {
    /// Joined the run; more may follow.
    More,
    /// Joined the run and ends it (PSH or a short segment).
    Last,
    /// Not part of the run.
    No,
}

/// Counters of the coalescer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoalesceStats {
    /// Packets read from the device.
    pub packets: u64,
    /// Segments handed to the stack (merged runs count once).
    pub delivered: u64,
    /// Segments merged into an earlier one.
    pub merged: u64,
}

/// Reads packets from a device fd and hands them to a [`Stack`], merging in-order runs.
#[derive(Debug)]
pub struct Coalescer {
    /// Length of the virtio-net header in front of every packet (0 on a plain TUN).
    vnet: usize,
    arena: Vec<u8>,
    scratch: [u8; MAX_HDR],
    run: Option<Run>,
    /// Bytes of `arena` the run occupies.
    end: usize,
    /// What it has done so far.
    pub stats: CoalesceStats,
}

impl Coalescer {
    /// A coalescer for a device whose packets carry a virtio-net header (`vnet`) or not.
    pub fn new(vnet: bool) -> Coalescer {
        Coalescer {
            vnet: if vnet { VNET_HDR_LEN } else { 0 },
            arena: vec![0u8; VNET_HDR_LEN + MAX_RUN_IP + MAX_PACKET],
            scratch: [0u8; MAX_HDR],
            run: None,
            end: 0,
            stats: CoalesceStats::default(),
        }
    }

    /// Reads up to `max` packets already queued on the non-blocking `fd` and processes them;
    /// returns how many were read. Nothing is held back when it returns.
    ///
    /// The packets read are one batch for the stack ([`Stack::begin_batch`]): every
    /// connection processes all of its queued segments before it acknowledges any (RFC 9293
    /// 3.10.7.4, MUST-59), and sends one ACK for them (plus a duplicate ACK per out-of-order
    /// segment) when the batch ends. `sent` is called after every segment handed to the stack
    /// and once after the batch, so that the driver writes what the stack sends (a SYN,ACK,
    /// a RST at once; the batch's ACKs at its end) without waiting for anything else.
    pub fn read_batch(
        &mut self,
        fd: RawFd,
        stack: &mut Stack,
        now: Timestamp,
        max: usize,
        sent: &mut dyn FnMut(&mut Stack),
    ) -> usize {
        let mut count = 0;
        stack.begin_batch();
        while count < max {
            let got = match self.run {
                Some(run) => self.read_continuation(fd, stack, now, run, sent),
                None => self.read_fresh(fd, stack, now, sent),
            };
            if !got {
                break;
            }
            count += 1;
        }
        self.flush(stack, now, sent);
        stack.end_batch(now);
        sent(stack);
        self.stats.packets += count as u64;
        count
    }

    /// Like [`Coalescer::read_batch`] without merging: every packet goes to the stack as
    /// it was read.
    pub fn read_batch_plain(
        &mut self,
        fd: RawFd,
        stack: &mut Stack,
        now: Timestamp,
        max: usize,
        sent: &mut dyn FnMut(&mut Stack),
    ) -> usize {
        let mut count = 0;
        stack.begin_batch();
        while count < max {
            // SAFETY: the arena is valid for MAX_PACKET bytes from its start.
            let n = unsafe { libc::read(fd, self.arena.as_mut_ptr().cast(), MAX_PACKET) };
            if n <= 0 {
                break;
            }
            count += 1;
            self.stats.delivered += 1;
            deliver(stack, now, &self.arena[..n as usize], self.vnet > 0);
            sent(stack);
        }
        stack.end_batch(now);
        sent(stack);
        self.stats.packets += count as u64;
        count
    }

    /// No run: reads one packet to the start of the arena.
    fn read_fresh(
        &mut self,
        fd: RawFd,
        stack: &mut Stack,
        now: Timestamp,
        sent: &mut dyn FnMut(&mut Stack),
    ) -> bool {
        // SAFETY: the arena is valid for MAX_PACKET bytes from its start.
        let n = unsafe { libc::read(fd, self.arena.as_mut_ptr().cast(), MAX_PACKET) };
        if n <= 0 {
            return false;
        }
        self.start_or_deliver(stack, now, n as usize, sent);
        true
    }

    /// A run is open: reads one packet with its headers into the scratch buffer and its
    /// payload right after the run's data, then merges it or puts it back together.
    fn read_continuation(
        &mut self,
        fd: RawFd,
        stack: &mut Stack,
        now: Timestamp,
        run: Run,
        sent: &mut dyn FnMut(&mut Stack),
    ) -> bool {
        let h = run.hdr;
        let iov = [
            libc::iovec {
                iov_base: self.scratch.as_mut_ptr().cast(),
                iov_len: h,
            },
            libc::iovec {
                // SAFETY: end <= VNET_HDR_LEN + MAX_RUN_IP, so end + MAX_PACKET is in the arena.
                iov_base: unsafe { self.arena.as_mut_ptr().add(self.end) }.cast(),
                iov_len: MAX_PACKET,
            },
        ];
        // SAFETY: two iovecs over live buffers of the stated lengths.
        let n = unsafe { libc::readv(fd, iov.as_ptr(), 2) };
        if n <= 0 {
            return false;
        }
        let n = n as usize;
        match self.try_merge(run, n) {
            Merge::More => return true,
            Merge::Last => {
                self.flush(stack, now, sent);
                return true;
            }
            Merge::No => {}
        }
        // Not part of the run: deliver the run, then reassemble this packet at the start.
        let body_at = self.end;
        self.flush(stack, now, sent);
        let head = n.min(h);
        let body = n - head;
        self.arena.copy_within(body_at..body_at + body, head);
        self.arena[..head].copy_from_slice(&self.scratch[..head]);
        self.start_or_deliver(stack, now, n, sent);
        true
    }

    /// The packet at `arena[..n]` starts a run if it can, or goes to the stack as it is.
    fn start_or_deliver(
        &mut self,
        stack: &mut Stack,
        now: Timestamp,
        n: usize,
        sent: &mut dyn FnMut(&mut Stack),
    ) {
        match self.run_start(stack, n) {
            Some(run) => {
                self.run = Some(run);
                self.end = n;
            }
            None => {
                self.stats.delivered += 1;
                deliver(stack, now, &self.arena[..n], self.vnet > 0);
                sent(stack);
            }
        }
    }

    /// Whether the packet at `arena[..n]` may start a run: a valid, in-order, plain ACK data
    /// segment with room for at least one more segment of its size.
    fn run_start(&self, stack: &Stack, n: usize) -> Option<Run> {
        let v = self.vnet;
        let buf = &self.arena[..n];
        let p = buf.get(v..)?;
        let (v6, ip_len) = ip_shape(p)?;
        let tcp = p.get(ip_len..)?;
        let hl = tcp_shape(tcp)?;
        if tcp[13] != TCP_ACK {
            return None;
        }
        let payload = tcp.len() - hl;
        if payload == 0 || p.len() + payload > MAX_RUN_IP {
            return None;
        }
        if !self.checksum_ok(buf, v6, ip_len, &[]) {
            return None;
        }
        // Everything else the stack checks (TCP options, addresses, ports): a packet it
        // would drop goes to it alone, so that it is counted as dropped once per packet
        // (the packets that would join the run carry the same headers).
        let seg = crate::wire::parse_packet_with(p, false).ok()?;
        if !stack.is_next_in_order(seg.dst_socket(), seg.src_socket(), seg.tcp.seq) {
            return None;
        }
        Some(Run {
            hdr: v + ip_len + hl,
            ip_len,
            v6,
            next_seq: seg.tcp.seq.wrapping_add(payload as u32),
            packets: 1,
            seg_size: payload,
        })
    }

    /// Merges the packet just read (headers in `scratch[..run.hdr]`, `n - run.hdr` payload
    /// bytes at `arena[end..]`) into the run if it continues it exactly.
    fn try_merge(&mut self, run: Run, n: usize) -> Merge {
        let h = run.hdr;
        if n <= h {
            return Merge::No;
        }
        let payload = n - h;
        let v = self.vnet;
        let s = &self.scratch[..h];
        let f = &self.arena[..h];
        if payload > run.seg_size || self.end + payload > v + MAX_RUN_IP || s[..v] != f[..v] {
            return Merge::No;
        }
        let (ip, fip) = (&s[v..], &f[v..]);
        let same_ip = if run.v6 {
            ip[..4] == fip[..4]
                && ip[6..40] == fip[6..40]
                && usize::from(u16::from_be_bytes([ip[4], ip[5]])) == n - v - 40
        } else {
            ip[..2] == fip[..2]
                && ip[6..10] == fip[6..10]
                && ip[12..20] == fip[12..20]
                && usize::from(u16::from_be_bytes([ip[2], ip[3]])) == n - v
                && checksum::finish(checksum::add_bytes(0, &ip[..run.ip_len])) == 0
        };
        if !same_ip {
            return Merge::No;
        }
        let (t, ft) = (&ip[run.ip_len..], &fip[run.ip_len..]);
        let flags = t[13];
        let same_tcp = t[..4] == ft[..4]
            && t[8..13] == ft[8..13]
            && (flags == TCP_ACK || flags == TCP_ACK | TCP_PSH)
            && t[14..16] == ft[14..16]
            && t[18..] == ft[18..]
            && u32::from_be_bytes([t[4], t[5], t[6], t[7]]) == run.next_seq;
        if !same_tcp {
            return Merge::No;
        }
        let body = &self.arena[self.end..self.end + payload];
        if !self.checksum_ok(s, run.v6, run.ip_len, body) {
            return Merge::No;
        }
        self.end += payload;
        self.stats.merged += 1;
        if flags & TCP_PSH != 0 {
            let at = v + run.ip_len + 13;
            self.arena[at] |= TCP_PSH;
        }
        self.run = Some(Run {
            next_seq: run.next_seq.wrapping_add(payload as u32),
            packets: run.packets + 1,
            ..run
        });
        // GRO ends a run at a pushed or short segment: the next one would not join anyway.
        if flags & TCP_PSH != 0 || payload < run.seg_size {
            Merge::Last
        } else {
            Merge::More
        }
    }

    /// TCP checksum of the segment whose headers are `head` (virtio-net header first) and
    /// whose payload continues with `more`; true when it verifies or the device says the
    /// kernel left it to be completed.
    fn checksum_ok(&self, head: &[u8], v6: bool, ip_len: usize, more: &[u8]) -> bool {
        let v = self.vnet;
        if v > 0 && head[0] & VNET_F_NEEDS_CSUM != 0 {
            return true;
        }
        let p = &head[v..];
        let (src, dst) = addresses(p, v6);
        let seg = &p[ip_len..];
        let sum = checksum::pseudo_header_sum(src, dst, seg.len() + more.len());
        // The TCP header has an even length, so the payload continues on a word boundary.
        let sum = checksum::add_bytes(checksum::add_bytes(sum, seg), more);
        checksum::finish(sum) == 0
    }

    /// Hands the run (if any) to the stack as one segment.
    fn flush(&mut self, stack: &mut Stack, now: Timestamp, sent: &mut dyn FnMut(&mut Stack)) {
        let Some(run) = self.run.take() else {
            return;
        };
        let v = self.vnet;
        let end = self.end;
        self.end = 0;
        let p = &mut self.arena[v..end];
        let len = p.len();
        if run.v6 {
            p[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
        } else {
            p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            p[10..12].copy_from_slice(&[0, 0]);
            let c = checksum::finish(checksum::add_bytes(0, &p[..run.ip_len]));
            p[10..12].copy_from_slice(&c.to_be_bytes());
        }
        self.stats.delivered += 1;
        // Every part's TCP checksum was verified above (or vouched for by the device).
        stack.receive_coalesced(now, p, run.packets);
        sent(stack);
    }
}

/// Version and header length of an IP packet that may join a run: IPv4 without options
/// or fragmentation, or IPv6 with TCP as the next header; the length field must match.
fn ip_shape(p: &[u8]) -> Option<(bool, usize)> {
    match p.first()? >> 4 {
        4 => {
            if p.len() < 20 || p[0] != 0x45 || p[9] != 6 || p[6] & 0x3f != 0 || p[7] != 0 {
                return None;
            }
            let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
            let ok = total == p.len() && checksum::finish(checksum::add_bytes(0, &p[..20])) == 0;
            ok.then_some((false, 20))
        }
        6 => {
            if p.len() < 40 || p[6] != 6 {
                return None;
            }
            let payload = usize::from(u16::from_be_bytes([p[4], p[5]]));
            (payload + 40 == p.len()).then_some((true, 40))
        }
        _ => None,
    }
}

/// TCP header length of a segment, if it is well formed.
fn tcp_shape(t: &[u8]) -> Option<usize> {
    let hl = usize::from(*t.get(12)? >> 4) * 4;
    (hl >= 20 && hl <= t.len()).then_some(hl)
}

/// Source and destination address of an IP header of the given version.
fn addresses(p: &[u8], v6: bool) -> (IpAddr, IpAddr) {
    if v6 {
        let mut s = [0u8; 16];
        let mut d = [0u8; 16];
        s.copy_from_slice(&p[8..24]);
        d.copy_from_slice(&p[24..40]);
        (Ipv6Addr::from(s).into(), Ipv6Addr::from(d).into())
    } else {
        (
            Ipv4Addr::new(p[12], p[13], p[14], p[15]).into(),
            Ipv4Addr::new(p[16], p[17], p[18], p[19]).into(),
        )
    }
}

/// Hands one packet read from the device to the stack, stripping the virtio-net header if
/// the device has one. A packet whose header says `NEEDS_CSUM` was built by the local kernel
/// with the TCP checksum left to be completed: it is not verified.
pub(crate) fn deliver(stack: &mut Stack, now: Timestamp, buf: &[u8], vnet: bool) {
    if !vnet {
        stack.receive(now, buf);
        return;
    }
    if buf.len() < VNET_HDR_LEN {
        // Counted as malformed by the parser.
        stack.receive(now, &[]);
        return;
    }
    let needs_csum = buf[0] & VNET_F_NEEDS_CSUM != 0;
    stack.receive_with(now, &buf[VNET_HDR_LEN..], !needs_csum);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::{self, Flags, TcpHeader, TcpOptions};
    use crate::{Config, SocketHandle, TcpError};
    use std::net::SocketAddr;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    const ME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const MSS: usize = 1460;
    /// The peer's first data sequence number (its ISN is 1000).
    const DATA: u32 = 1001;

    /// A non-blocking `AF_UNIX` datagram socketpair standing in for the TUN device (one
    /// datagram = one packet): the stack's end and the test's end.
    fn datagram_pair() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: socketpair writes two fds into the array.
        let rc = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK,
                0,
                fds.as_mut_ptr(),
            )
        };
        assert_eq!(rc, 0, "socketpair: {}", std::io::Error::last_os_error());
        // SAFETY: both fds are fresh and ours.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// A stack with one established connection from PEER:40000 to ME:80, and a datagram
    /// socketpair standing in for the device (one datagram = one packet).
    struct Lab {
        stack: Stack,
        h: SocketHandle,
        our_seq: u32,
        dev: OwnedFd,
        peer: OwnedFd,
    }

    fn header(seq: u32, ack: u32, flags: Flags) -> TcpHeader {
        TcpHeader {
            src_port: 40000,
            dst_port: 80,
            seq,
            ack,
            flags,
            window: 65535,
            urgent: 0,
            options: TcpOptions::default(),
        }
    }

    fn packet(h: &TcpHeader, payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        wire::build_packet(&mut p, PEER, ME, h, payload, 7);
        p
    }

    fn lab() -> Lab {
        let now = Timestamp::ZERO;
        let mut stack = Stack::new(Config::default(), vec![ME]);
        let lh = stack.listen(SocketAddr::new(ME, 80), None).expect("listen");
        let mut syn = header(1000, 0, Flags::SYN);
        syn.options.mss = Some(MSS as u16);
        stack.receive(now, &packet(&syn, &[]));
        let synack = stack.pop_transmit().expect("SYN,ACK");
        let our_seq = wire::parse_packet(&synack).expect("valid").tcp.seq + 1;
        stack.receive(now, &packet(&header(DATA, our_seq, Flags::ACK), &[]));
        let h = stack.accept(lh).expect("established");
        let (dev, peer) = datagram_pair();
        Lab {
            stack,
            h,
            our_seq,
            dev,
            peer,
        }
    }

    impl Lab {
        /// Queues a data segment at `seq` with `len` pattern bytes on the "device".
        fn queue(&self, seq: u32, len: usize, flags: Flags) {
            self.queue_raw(&packet(
                &header(seq, self.our_seq, flags),
                &pattern(seq, len),
            ));
        }

        fn queue_raw(&self, p: &[u8]) {
            // SAFETY: a valid buffer written to our socket.
            let n = unsafe { libc::write(self.peer.as_raw_fd(), p.as_ptr().cast(), p.len()) };
            assert_eq!(n, p.len() as isize);
        }

        fn read(&mut self, c: &mut Coalescer) -> usize {
            c.read_batch(
                self.dev.as_raw_fd(),
                &mut self.stack,
                Timestamp::ZERO,
                64,
                &mut |_| {},
            )
        }

        /// The ACK numbers of every segment the stack sent since the last call.
        fn acks(&mut self) -> Vec<u32> {
            std::iter::from_fn(|| self.stack.pop_transmit())
                .map(|p| wire::parse_packet(&p).expect("valid").tcp.ack)
                .collect()
        }

        fn received(&mut self) -> Vec<u8> {
            let mut buf = vec![0u8; 1 << 20];
            match self.stack.recv(Timestamp::ZERO, self.h, &mut buf) {
                Ok(n) => buf[..n].to_vec(),
                Err(TcpError::WouldBlock) => Vec::new(),
                Err(e) => panic!("recv: {e}"),
            }
        }
    }

    /// The bytes of the stream at sequence numbers seq.. (a byte's value depends on its place).
    fn pattern(seq: u32, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| {
                let k = seq.wrapping_sub(DATA) as usize + i;
                (k * 7 + k / 253) as u8
            })
            .collect()
    }

    fn seq_at(k: usize) -> u32 {
        DATA + (k * MSS) as u32
    }

    #[test]
    fn an_in_order_run_becomes_one_segment_and_one_ack() {
        let mut lab = lab();
        let mut c = Coalescer::new(false);
        for k in 0..9 {
            lab.queue(seq_at(k), MSS, Flags::ACK);
        }
        lab.queue(seq_at(9), MSS, Flags::ACK | Flags::PSH);
        let before = lab.stack.stats().rx_packets;
        assert_eq!(lab.read(&mut c), 10);
        assert_eq!(c.stats.merged, 9);
        assert_eq!(c.stats.delivered, 1);
        // Every packet read is counted as received by the stack, merged or not.
        assert_eq!(lab.stack.stats().rx_packets - before, 10);
        assert_eq!(lab.stack.stats().rx_coalesced, 9);
        // Ten full-sized segments in one run: acknowledged at once, by a single ACK.
        assert_eq!(lab.acks(), vec![seq_at(10)]);
        assert_eq!(lab.received(), pattern(DATA, 10 * MSS));
    }

    /// RFC 9293 3.10.7.4 (MUST-59): segments queued together are all processed before any
    /// ACK leaves. Four in-order segments that cannot be merged (each pushed) and two out of
    /// order behind a gap: one ACK for the four, then one duplicate ACK per out-of-order
    /// segment, all written after the sixth packet went through the stack (per segment,
    /// the second and fourth would each have been acknowledged at once).
    #[test]
    pub(crate) fn queued_segments_are_all_processed_before_any_ack() {
        let mut lab = lab();
        let mut c = Coalescer::new(false);
        for k in 0..4 {
            lab.queue(seq_at(k), MSS, Flags::ACK | Flags::PSH);
        }
        lab.queue(seq_at(5), MSS, Flags::ACK);
        lab.queue(seq_at(6), MSS, Flags::ACK);
        let before = lab.stack.stats().rx_packets;
        let mut written = Vec::new();
        let mut sent = |s: &mut Stack| {
            while let Some(p) = s.pop_transmit() {
                let ack = wire::parse_packet(&p).expect("valid").tcp.ack;
                written.push((s.stats().rx_packets - before, ack));
            }
        };
        let fd = lab.dev.as_raw_fd();
        assert_eq!(
            c.read_batch(fd, &mut lab.stack, Timestamp::ZERO, 64, &mut sent),
            6
        );
        assert_eq!(c.stats.merged, 0);
        let ack = seq_at(4);
        assert_eq!(written, vec![(6, ack), (6, ack), (6, ack)]);
    }

    #[test]
    fn out_of_order_segments_each_get_their_duplicate_ack() {
        let mut lab = lab();
        let mut c = Coalescer::new(false);
        // Segment 0 is lost; 1..=4 arrive back to back.
        for k in 1..5 {
            lab.queue(seq_at(k), MSS, Flags::ACK);
        }
        assert_eq!(lab.read(&mut c), 4);
        assert_eq!(c.stats.merged, 0);
        assert_eq!(lab.acks(), vec![DATA; 4], "one duplicate ACK per segment");
        // The retransmission fills the gap: acknowledged at once, up to the end.
        lab.queue(seq_at(0), MSS, Flags::ACK);
        lab.read(&mut c);
        assert_eq!(lab.acks(), vec![seq_at(5)]);
        assert_eq!(lab.received(), pattern(DATA, 5 * MSS));
    }

    #[test]
    fn a_corrupted_segment_is_not_merged_and_is_counted() {
        let mut lab = lab();
        let mut c = Coalescer::new(false);
        lab.queue(seq_at(0), MSS, Flags::ACK);
        lab.queue(seq_at(1), MSS, Flags::ACK);
        let mut bad = packet(
            &header(seq_at(2), lab.our_seq, Flags::ACK),
            &pattern(seq_at(2), MSS),
        );
        bad[100] ^= 0x40;
        lab.queue_raw(&bad);
        lab.queue(seq_at(3), MSS, Flags::ACK);
        assert_eq!(lab.read(&mut c), 4);
        assert_eq!(c.stats.merged, 1);
        assert_eq!(lab.stack.stats().rx_bad_checksum, 1);
        // Segments 0 and 1 (one run, one ACK), then 3 out of order (duplicate ACK).
        assert_eq!(lab.acks(), vec![seq_at(2), seq_at(2)]);
        assert_eq!(lab.received(), pattern(DATA, 2 * MSS));
    }

    #[test]
    fn a_pure_ack_or_a_fin_ends_the_run() {
        let mut lab = lab();
        let mut c = Coalescer::new(false);
        lab.queue(seq_at(0), MSS, Flags::ACK);
        lab.queue(seq_at(1), MSS, Flags::ACK);
        lab.queue_raw(&packet(&header(seq_at(2), lab.our_seq, Flags::ACK), &[]));
        lab.queue(seq_at(2), MSS, Flags::ACK);
        lab.queue(seq_at(3), 100, Flags::ACK | Flags::FIN);
        assert_eq!(lab.read(&mut c), 5);
        assert_eq!(c.stats.merged, 1);
        assert_eq!(c.stats.delivered, 4);
        let mut data = lab.received();
        data.extend(lab.received());
        assert_eq!(data, pattern(DATA, 3 * MSS + 100));
        assert_eq!(
            lab.stack.state(lab.h),
            crate::State::CloseWait,
            "the FIN was processed"
        );
    }

    #[test]
    fn with_a_virtio_header_a_kernel_left_checksum_is_trusted() {
        let mut lab = lab();
        let mut c = Coalescer::new(true);
        for k in 0..4 {
            let mut p = packet(
                &header(seq_at(k), lab.our_seq, Flags::ACK),
                &pattern(seq_at(k), MSS),
            );
            // CHECKSUM_PARTIAL: the field holds anything but the full checksum.
            p[36] ^= 0xff;
            let mut v = vec![0u8; VNET_HDR_LEN];
            v[0] = VNET_F_NEEDS_CSUM;
            v.extend(p);
            lab.queue_raw(&v);
        }
        assert_eq!(lab.read(&mut c), 4);
        assert_eq!(c.stats.merged, 3);
        assert_eq!(lab.acks(), vec![seq_at(4)]);
        assert_eq!(lab.received(), pattern(DATA, 4 * MSS));
    }

    // -----------------------------------------------------------------------------------
    // Fuzzing the device input path: random and mutated packets, with and without the
    // virtio-net header, read by `read_batch` (coalescing) and by `read_batch_plain`.

    use proptest::prelude::*;

    const ME6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
    const PEER6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));

    /// A stack with a listener on ME:80 and a connection from PEER:40000 established
    /// through it (IPv4 or IPv6), and a datagram socketpair as the device.
    struct FuzzLab {
        stack: Stack,
        me: IpAddr,
        peer: IpAddr,
        our_seq: u32,
        dev: OwnedFd,
        wire: OwnedFd,
    }

    fn fuzz_lab(v6: bool) -> FuzzLab {
        let (me, peer) = if v6 { (ME6, PEER6) } else { (ME, PEER) };
        let now = Timestamp::ZERO;
        let mut stack = Stack::new(Config::default(), vec![me]);
        let lh = stack.listen(SocketAddr::new(me, 80), None).expect("listen");
        let build = |h: &TcpHeader| {
            let mut p = Vec::new();
            wire::build_packet(&mut p, peer, me, h, &[], 7);
            p
        };
        let mut syn = header(1000, 0, Flags::SYN);
        syn.options.mss = Some(MSS as u16);
        stack.receive(now, &build(&syn));
        let synack = stack.pop_transmit().expect("SYN,ACK");
        let our_seq = wire::parse_packet(&synack).expect("valid").tcp.seq + 1;
        stack.receive(now, &build(&header(DATA, our_seq, Flags::ACK)));
        stack.accept(lh).expect("established");
        let (dev, wire) = datagram_pair();
        FuzzLab {
            stack,
            me,
            peer,
            our_seq,
            dev,
            wire,
        }
    }

    /// One packet to fuzz with: a data segment of the connection (or random bytes), then a
    /// mutation, then optional repairs of the length fields and checksums so that the
    /// mutation reaches the code behind them.
    #[derive(Clone, Debug)]
    struct FuzzPacket {
        /// Random bytes instead of a segment.
        garbage: Option<Vec<u8>>,
        /// Sequence number: the next in order (`None`) or that plus an offset.
        seq_offset: Option<i32>,
        payload_len: usize,
        flags: u8,
        /// This packet's own TCP options area instead of the case's.
        options: Option<Vec<u8>>,
        mutation: Mutation,
        fix_length: bool,
        fix_ip_checksum: bool,
        fix_tcp_checksum: bool,
        /// This packet's own virtio-net header instead of the case's.
        vnet: Option<[u8; VNET_HDR_LEN]>,
    }

    #[derive(Clone, Debug)]
    enum Mutation {
        None,
        /// Cut the IP packet to `n % len` bytes (at least one).
        Truncate(usize),
        /// Set the byte at `i % len`.
        SetByte(usize, u8),
        /// Set the IPv4 total length / IPv6 payload length.
        IpLength(u16),
        /// Set the TCP data offset nibble.
        DataOffset(u8),
        /// Set the IPv4 IHL nibble / IPv6 next header.
        IpHeader(u8),
    }

    fn arb_mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            8 => Just(Mutation::None),
            2 => any::<usize>().prop_map(Mutation::Truncate),
            2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
            1 => any::<u16>().prop_map(Mutation::IpLength),
            1 => (0u8..16).prop_map(Mutation::DataOffset),
            1 => any::<u8>().prop_map(Mutation::IpHeader),
        ]
    }

    fn arb_options_area() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => Just(Vec::new()),
            1 => Just(vec![1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
            1 => proptest::collection::vec(
                prop_oneof![Just(0u8), Just(1), Just(2), Just(3), Just(8), any::<u8>()],
                0..=40,
            ),
        ]
    }

    fn arb_vnet() -> impl Strategy<Value = [u8; VNET_HDR_LEN]> {
        prop_oneof![
            Just([0u8; VNET_HDR_LEN]),
            Just({
                let mut v = [0u8; VNET_HDR_LEN];
                v[0] = VNET_F_NEEDS_CSUM;
                v
            }),
            // flags, gso_type, hdr_len, gso_size, csum_start, csum_offset: anything.
            any::<[u8; VNET_HDR_LEN]>(),
        ]
    }

    /// An in-order full-sized segment (runs form), or anything.
    fn arb_fuzz_packet() -> impl Strategy<Value = FuzzPacket> {
        prop_oneof![
            1 => Just(clean_packet()),
            1 => arb_any_fuzz_packet(),
        ]
    }

    fn clean_packet() -> FuzzPacket {
        FuzzPacket {
            garbage: None,
            seq_offset: None,
            payload_len: MSS,
            flags: TCP_ACK,
            options: None,
            mutation: Mutation::None,
            fix_length: false,
            fix_ip_checksum: false,
            fix_tcp_checksum: false,
            vnet: None,
        }
    }

    fn arb_any_fuzz_packet() -> impl Strategy<Value = FuzzPacket> {
        (
            proptest::option::weighted(0.05, proptest::collection::vec(any::<u8>(), 1..200)),
            proptest::option::weighted(0.15, -3000i32..3000),
            prop_oneof![4 => Just(MSS), 1 => 0..=MSS, 1 => MSS..3 * MSS],
            prop_oneof![8 => Just(0x10u8), 1 => Just(0x18), 1 => any::<u8>()],
            proptest::option::weighted(0.1, arb_options_area()),
            arb_mutation(),
            (any::<bool>(), any::<bool>(), any::<bool>()),
            proptest::option::weighted(0.1, arb_vnet()),
        )
            .prop_map(
                |(garbage, seq_offset, payload_len, flags, options, mutation, fixes, vnet)| {
                    FuzzPacket {
                        garbage,
                        seq_offset,
                        payload_len,
                        flags,
                        options,
                        mutation,
                        fix_length: fixes.0,
                        fix_ip_checksum: fixes.1,
                        fix_tcp_checksum: fixes.2,
                        vnet,
                    }
                },
            )
    }

    /// Repairs what the flags ask for, as far as the (possibly mutated) headers allow.
    fn repair(p: &mut [u8], v6: bool, length: bool, ip_sum: bool, tcp_sum: bool) {
        let ip_len = if v6 { 40 } else { 20 };
        if p.len() < ip_len {
            return;
        }
        if length {
            let l = if v6 { p.len() - 40 } else { p.len() };
            let at = if v6 { 4 } else { 2 };
            p[at..at + 2].copy_from_slice(&(l as u16).to_be_bytes());
        }
        if tcp_sum && p.len() >= ip_len + 18 {
            let (src, dst) = addresses(p, v6);
            p[ip_len + 16..ip_len + 18].copy_from_slice(&[0, 0]);
            let seg = &p[ip_len..];
            let sum = checksum::add_bytes(checksum::pseudo_header_sum(src, dst, seg.len()), seg);
            let sum = checksum::finish(sum);
            p[ip_len + 16..ip_len + 18].copy_from_slice(&sum.to_be_bytes());
        }
        if ip_sum && !v6 {
            p[10..12].copy_from_slice(&[0, 0]);
            let sum = checksum::finish(checksum::add_bytes(0, &p[..20]));
            p[10..12].copy_from_slice(&sum.to_be_bytes());
        }
    }

    impl FuzzLab {
        /// The bytes of `f` as the device would hand them over, given the next in-order
        /// sequence number (advanced past an in-order segment) and the case's defaults.
        fn bytes(
            &self,
            f: &FuzzPacket,
            next: &mut u32,
            options: &[u8],
            vnet: Option<[u8; VNET_HDR_LEN]>,
        ) -> Vec<u8> {
            let v6 = self.me.is_ipv6();
            let mut p = match &f.garbage {
                Some(g) => g.clone(),
                None => {
                    let seq = match f.seq_offset {
                        None => *next,
                        Some(d) => next.wrapping_add(d as u32),
                    };
                    if f.seq_offset.is_none() {
                        *next = next.wrapping_add(f.payload_len as u32);
                    }
                    let h = TcpHeader {
                        flags: Flags(f.flags),
                        ..header(seq, self.our_seq, Flags::ACK)
                    };
                    let mut p = Vec::new();
                    let payload = pattern(seq, f.payload_len);
                    wire::build_packet(&mut p, self.peer, self.me, &h, &payload, 7);
                    // Splice in the raw options area, padded with NOPs to a word.
                    let mut opts = f.options.clone().unwrap_or_else(|| options.to_vec());
                    while !opts.len().is_multiple_of(4) {
                        opts.push(1);
                    }
                    let at = if v6 { 40 } else { 20 };
                    p.splice(at + 20..at + 20, opts.iter().copied());
                    p[at + 12] = (((20 + opts.len()) / 4) as u8) << 4;
                    repair(&mut p, v6, true, true, true);
                    p
                }
            };
            let len = p.len();
            match f.mutation {
                Mutation::None => {}
                Mutation::Truncate(n) => p.truncate((n % len).max(1)),
                Mutation::SetByte(i, b) => {
                    // Not the ACK number: the two stacks compared below have their own ISNs,
                    // and the same bytes would acknowledge different things.
                    let ack = if v6 { 48..52 } else { 28..32 };
                    let i = i % len;
                    p[if ack.contains(&i) { (i + 4) % len } else { i }] = b;
                }
                Mutation::IpLength(l) if len >= 6 => {
                    let at = if v6 { 4 } else { 2 };
                    p[at..at + 2].copy_from_slice(&l.to_be_bytes());
                }
                Mutation::DataOffset(o) => {
                    let at = if v6 { 52 } else { 32 };
                    if let Some(b) = p.get_mut(at) {
                        *b = o << 4 | (*b & 0x0f);
                    }
                }
                Mutation::IpHeader(b) if v6 && len > 6 => p[6] = b,
                Mutation::IpHeader(b) => p[0] = 0x40 | (b & 0x0f),
                Mutation::IpLength(_) => {}
            }
            repair(
                &mut p,
                v6,
                f.fix_length,
                f.fix_ip_checksum,
                f.fix_tcp_checksum,
            );
            match f.vnet.or(vnet) {
                Some(h) => [&h[..], &p].concat(),
                None => p,
            }
        }

        /// Everything the connection has to read, or how it ended.
        fn read_all(&mut self) -> Result<Vec<u8>, TcpError> {
            let h = self.conn();
            let mut buf = vec![0u8; 1 << 21];
            match self.stack.recv(Timestamp::ZERO, h, &mut buf) {
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(TcpError::WouldBlock) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }

        fn conn(&self) -> SocketHandle {
            let (local, remote) = (
                SocketAddr::new(self.me, 80),
                SocketAddr::new(self.peer, 40000),
            );
            self.stack
                .lookup(local, remote)
                .unwrap_or(SocketHandle(u64::MAX))
        }

        fn state(&self) -> crate::State {
            self.stack.state(self.conn())
        }

        /// Writes `packets` to the device and reads them all with `read`, in batches of
        /// `batch` (draining early if the socket buffer fills).
        fn run(
            &mut self,
            packets: &[Vec<u8>],
            batch: usize,
            read: &mut dyn FnMut(RawFd, &mut Stack, usize) -> usize,
        ) -> usize {
            let mut count = 0;
            for p in packets {
                loop {
                    // SAFETY: a valid buffer written to our socket.
                    let n =
                        unsafe { libc::write(self.wire.as_raw_fd(), p.as_ptr().cast(), p.len()) };
                    if n == p.len() as isize {
                        break;
                    }
                    let e = std::io::Error::last_os_error();
                    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "write: {e}");
                    count += read(self.dev.as_raw_fd(), &mut self.stack, batch);
                }
            }
            loop {
                let n = read(self.dev.as_raw_fd(), &mut self.stack, batch);
                if n == 0 {
                    break;
                }
                count += n;
            }
            count
        }
    }

    /// The counters every packet must land in, whichever way it was read.
    fn drop_counters(s: &crate::Stats) -> [u64; 8] {
        [
            s.rx_packets,
            s.rx_malformed,
            s.rx_truncated,
            s.rx_bad_checksum,
            s.rx_bad_data_offset,
            s.rx_bad_options,
            s.rx_bad_ip,
            s.rx_not_tcp + s.rx_not_ours,
        ]
    }

    fn fuzz_device_input(
        v6: bool,
        vnet: bool,
        case_vnet: [u8; VNET_HDR_LEN],
        case_options: &[u8],
        batch: usize,
        fuzz: &[FuzzPacket],
    ) {
        let case_vnet = vnet.then_some(case_vnet);
        let mut coalesced = fuzz_lab(v6);
        let mut plain = fuzz_lab(v6);
        let bytes = |lab: &FuzzLab| {
            let mut next = DATA;
            fuzz.iter()
                .map(|f| {
                    let mut b = lab.bytes(f, &mut next, case_options, case_vnet);
                    if !vnet {
                        b.truncate(b.len().max(1));
                    }
                    b
                })
                .collect::<Vec<_>>()
        };
        let (pc, pp) = (bytes(&coalesced), bytes(&plain));
        let n = fuzz.len();
        let before = (coalesced.stack.stats(), plain.stack.stats());

        let mut c = Coalescer::new(vnet);
        let read = coalesced.run(&pc, batch, &mut |fd, stack, max| {
            c.read_batch(fd, stack, Timestamp::ZERO, max, &mut |s| {
                while s.pop_transmit().is_some() {}
            })
        });
        assert_eq!(read, n, "every packet read");
        assert_eq!(c.stats.packets, n as u64);
        assert_eq!(c.stats.delivered + c.stats.merged, n as u64);
        let mut q = Coalescer::new(vnet);
        let read = plain.run(&pp, batch, &mut |fd, stack, max| {
            q.read_batch_plain(fd, stack, Timestamp::ZERO, max, &mut |s| {
                while s.pop_transmit().is_some() {}
            })
        });
        assert_eq!(read, n);
        assert_eq!((q.stats.packets, q.stats.delivered), (n as u64, n as u64));

        let (a, b) = (coalesced.stack.stats(), plain.stack.stats());
        for s in [&a, &b] {
            assert_eq!(
                s.rx_malformed,
                s.rx_truncated
                    + s.rx_bad_checksum
                    + s.rx_bad_data_offset
                    + s.rx_bad_options
                    + s.rx_bad_ip
            );
        }
        assert_eq!(a.rx_packets - before.0.rx_packets, n as u64);
        assert_eq!(a.rx_coalesced - before.0.rx_coalesced, c.stats.merged);
        assert_eq!(b.rx_packets - before.1.rx_packets, n as u64);
        // Merging changes how many segments the stack processes, never how a packet is
        // classified: the drop counters agree with packet-by-packet delivery.
        let diff = |x: [u64; 8], y: [u64; 8]| -> Vec<u64> {
            x.iter().zip(y).map(|(x, y)| x - y).collect()
        };
        assert_eq!(
            diff(drop_counters(&a), drop_counters(&before.0)),
            diff(drop_counters(&b), drop_counters(&before.1)),
            "coalesced vs plain: packets, malformed, truncated, checksum, offset, options, ip, other"
        );
        // And the application reads the same bytes.
        // The bytes read and the state agree too, unless the peer contradicted itself: a
        // packet changed into a valid one that holds other bytes for the same sequence
        // numbers (a payload or data offset changed under a repaired or device-trusted
        // checksum), or a SYN or FIN (possibly out of order) with data beyond it. Then
        // which copy a receiver keeps is its choice, and merging changes what it sees first.
        let consistent = fuzz.iter().all(|f| {
            let trusted = f
                .vnet
                .or(case_vnet)
                .is_some_and(|h| h[0] & VNET_F_NEEDS_CSUM != 0);
            let rewrites = matches!(f.mutation, Mutation::SetByte(..) | Mutation::DataOffset(_));
            f.garbage.is_some()
                || (f.flags & 0x03 == 0 && !(rewrites && (f.fix_tcp_checksum || trusted)))
        });
        if consistent {
            let (x, y) = (coalesced.read_all(), plain.read_all());
            let summary =
                |r: &Result<Vec<u8>, TcpError>| r.as_ref().map(|d| d.len()).map_err(|e| *e);
            assert!(
                x == y,
                "data received differs: {:?} vs {:?}",
                summary(&x),
                summary(&y)
            );
            assert_eq!(coalesced.state(), plain.state());
        }
    }

    /// Found by the fuzz test below: a run used to be started without checking the TCP
    /// options, so the stack saw n in-order segments with a malformed option as one merged
    /// segment and counted one drop for n packets.
    #[test]
    fn a_run_of_segments_with_a_malformed_option_is_dropped_per_packet() {
        for v6 in [false, true] {
            let mut lab = fuzz_lab(v6);
            let mut c = Coalescer::new(false);
            let mut next = DATA;
            let packets: Vec<_> = (0..3)
                .map(|_| lab.bytes(&clean_packet(), &mut next, &[2, 1, 1, 1], None))
                .collect();
            let read = lab.run(&packets, 64, &mut |fd, stack, max| {
                c.read_batch(fd, stack, Timestamp::ZERO, max, &mut |_| {})
            });
            assert_eq!(read, 3);
            assert_eq!(c.stats.merged, 0);
            let s = lab.stack.stats();
            assert_eq!((s.rx_bad_options, s.rx_malformed), (3, 3));
            assert_eq!(lab.stack.pop_transmit(), None, "dropped, not acknowledged");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

        /// Random and mutated packets through the device input path: no panic, every packet
        /// read and counted as received once, merged or not, and dropped ones counted as
        /// they are when the same packets are read without coalescing.
        #[test]
        fn fuzzed_device_input_is_accounted_for(
            v6: bool,
            vnet: bool,
            case_vnet in arb_vnet(),
            case_options in arb_options_area(),
            batch in prop_oneof![Just(64usize), 1usize..8],
            lead in prop_oneof![3 => Just(0usize), 1 => 40usize..50],
            fuzz in proptest::collection::vec(arb_fuzz_packet(), 1..40),
        ) {
            // `lead` clean in-order segments first: a run that reaches the 64 KB bound.
            let clean = clean_packet();
            let all: Vec<FuzzPacket> = std::iter::repeat_n(clean, lead).chain(fuzz).collect();
            fuzz_device_input(v6, vnet, case_vnet, &case_options, batch, &all);
        }
    }
}
