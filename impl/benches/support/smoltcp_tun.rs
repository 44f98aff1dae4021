//! smoltcp 0.14 driven over a TUN fd, for the throughput benchmark.
//!
//! Two drivers over the two TUN setups the benchmark measures:
//! - plain TUN: one IP packet per `read`/`write`, as smoltcp's own `TunTapInterface`;
//! - offload TUN (`IFF_VNET_HDR`, checksum/TSO offload, MTU 1500): every packet carries a
//!   virtio-net header. smoltcp has no GSO/GRO, so the driver does for it what a NIC driver
//!   without receive offload would leave to GSO: it cuts each TSO super-packet the kernel
//!   hands over into MSS-sized IPv4 segments (IP length, id and checksum, TCP sequence number
//!   and flags fixed per segment). The kernel leaves the TCP checksum of its packets to be
//!   completed (`NEEDS_CSUM`: they never crossed a wire), so smoltcp is told not to verify
//!   received TCP checksums there, as this stack does not verify such packets either.
//!   Transmitted packets get a zero header (no GSO, checksum complete).

use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet};
use smoltcp::phy::{self, Checksum, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address};
use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};

/// Length of `struct virtio_net_hdr`.
const VNET_HDR_LEN: usize = 10;
/// `VIRTIO_NET_HDR_GSO_NONE`.
const GSO_NONE: u8 = 0;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
const GSO_TCPV4: u8 = 1;
/// TCP flags that belong on the last segment of a split super-packet only (RFC 9293 3.1).
const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
/// CWR belongs on the first segment only (RFC 3168 6.1.2).
const TCP_CWR: u8 = 0x80;

/// Packets smoltcp wrote (reported with BENCH_ONLY, to compare ACK policies).
pub static SMOL_TX: AtomicU64 = AtomicU64::new(0);
/// TSO super-packets the offload driver cut up.
pub static SPLIT_IN: AtomicU64 = AtomicU64::new(0);
/// Segments made by the offload driver.
pub static SPLIT_OUT: AtomicU64 = AtomicU64::new(0);

/// A smoltcp device over a TUN fd; `offload` says whether packets carry a virtio-net header.
struct TunDevice {
    fd: RawFd,
    offload: bool,
    buf: Vec<u8>,
    /// Segments cut from the last super-packet, not yet handed to smoltcp.
    pending: VecDeque<Vec<u8>>,
}

struct Rx(Vec<u8>);
struct Tx {
    fd: RawFd,
    offload: bool,
}

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let head = if self.offload { VNET_HDR_LEN } else { 0 };
        let mut buf = vec![0u8; head + len];
        let r = f(&mut buf[head..]);
        SMOL_TX.fetch_add(1, Ordering::Relaxed);
        // SAFETY: writing a valid buffer to the TUN fd.
        unsafe { libc::write(self.fd, buf.as_ptr().cast(), buf.len()) };
        r
    }
}

impl TunDevice {
    /// Reads the next packet from the device (None: nothing queued).
    fn read_packet(&mut self) -> Option<Vec<u8>> {
        if let Some(p) = self.pending.pop_front() {
            return Some(p);
        }
        // SAFETY: reading into our buffer from the non-blocking TUN fd.
        let n = unsafe { libc::read(self.fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
        if n <= 0 {
            return None;
        }
        let pkt = &self.buf[..n as usize];
        if !self.offload {
            return Some(pkt.to_vec());
        }
        let (hdr, ip) = pkt.split_at(VNET_HDR_LEN.min(pkt.len()));
        if hdr.len() < VNET_HDR_LEN {
            return None;
        }
        let gso_size = u16::from_le_bytes([hdr[4], hdr[5]]) as usize;
        match hdr[1] {
            GSO_NONE => Some(ip.to_vec()),
            GSO_TCPV4 if gso_size > 0 => {
                split_tso_v4(ip, gso_size, &mut self.pending);
                SPLIT_IN.fetch_add(1, Ordering::Relaxed);
                SPLIT_OUT.fetch_add(self.pending.len() as u64, Ordering::Relaxed);
                self.pending.pop_front()
            }
            other => panic!("offload TUN handed smoltcp GSO type {other}, not TCPv4"),
        }
    }
}

impl phy::Device for TunDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _t: SmolInstant) -> Option<(Rx, Tx)> {
        let p = self.read_packet()?;
        Some((
            Rx(p),
            Tx {
                fd: self.fd,
                offload: self.offload,
            },
        ))
    }

    fn transmit(&mut self, _t: SmolInstant) -> Option<Tx> {
        Some(Tx {
            fd: self.fd,
            offload: self.offload,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 1500;
        if self.offload {
            c.checksum.tcp = Checksum::Tx;
        }
        c
    }
}

/// Cuts an IPv4/TCP TSO super-packet into segments of at most `mss` payload bytes, as the
/// kernel's software GSO would (`tcp_gso_segment`): each gets the IP header with its own
/// total length, id (incremented) and header checksum, and the TCP header with its own
/// sequence number; FIN and PSH stay on the last segment, CWR on the first. The TCP
/// checksum is left as the kernel wrote it (partial, not verified; see the module doc).
fn split_tso_v4(ip: &[u8], mss: usize, out: &mut VecDeque<Vec<u8>>) {
    let ihl = usize::from(ip.first().map_or(0, |b| b & 0x0f)) * 4;
    let doff = usize::from(ip.get(ihl + 12).map_or(0, |b| b >> 4)) * 4;
    let head = ihl + doff;
    assert!(
        ihl >= 20 && doff >= 20 && ip.len() > head,
        "offload TUN handed smoltcp a TSO packet without IPv4/TCP headers ({} bytes)",
        ip.len()
    );
    let id = u16::from_be_bytes([ip[4], ip[5]]);
    let seq = u32::from_be_bytes([ip[ihl + 4], ip[ihl + 5], ip[ihl + 6], ip[ihl + 7]]);
    let flags = ip[ihl + 13];
    let payload = &ip[head..];
    let count = payload.len().div_ceil(mss);
    for (i, chunk) in payload.chunks(mss).enumerate() {
        let mut seg = Vec::with_capacity(head + chunk.len());
        seg.extend_from_slice(&ip[..head]);
        seg.extend_from_slice(chunk);
        let total = (head + chunk.len()) as u16;
        seg[2..4].copy_from_slice(&total.to_be_bytes());
        seg[4..6].copy_from_slice(&id.wrapping_add(i as u16).to_be_bytes());
        seg[10..12].copy_from_slice(&[0, 0]);
        let sum = ipv4_header_checksum(&seg[..ihl]);
        seg[10..12].copy_from_slice(&sum.to_be_bytes());
        let s = seq.wrapping_add((i * mss) as u32);
        seg[ihl + 4..ihl + 8].copy_from_slice(&s.to_be_bytes());
        let mut f = flags;
        if i + 1 < count {
            f &= !(TCP_FIN | TCP_PSH);
        }
        if i > 0 {
            f &= !TCP_CWR;
        }
        seg[ihl + 13] = f;
        out.push_back(seg);
    }
}

/// The RFC 791 header checksum (RFC 1071 one's-complement sum) of `h`, checksum field zero.
fn ipv4_header_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn wait_readable(fd: RawFd, timeout: Option<smoltcp::time::Duration>) {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.map_or(-1, |d| d.total_millis().min(100) as libc::c_int);
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

/// Drives smoltcp on the TUN `fd` (192.0.2.2 on the kernel's 192.0.2.0/24): `receive` true
/// = listen on port 7000 and read `total` bytes the kernel sends; false = connect to the
/// kernel's port 7001 and send `total` bytes. Returns the bytes moved.
pub fn smol_run(fd: RawFd, offload: bool, receive: bool, total: usize, buffer: usize) -> usize {
    let mut dev = TunDevice {
        fd,
        offload,
        buf: vec![0u8; 65536 + VNET_HDR_LEN],
        pending: VecDeque::new(),
    };
    let now = SmolInstant::now;
    let mut iface = Interface::new(IfaceConfig::new(HardwareAddress::Ip), &mut dev, now());
    iface.update_ip_addrs(|a| {
        a.push(IpCidr::new(IpAddress::v4(192, 0, 2, 2), 24))
            .expect("addr");
    });
    iface
        .routes_mut()
        .add_default_ipv4_route(Ipv4Address::new(192, 0, 2, 1))
        .expect("route");
    let sock = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; buffer]),
        tcp::SocketBuffer::new(vec![0u8; buffer]),
    );
    let mut sockets = SocketSet::new(vec![]);
    let h = sockets.add(sock);
    {
        let s = sockets.get_mut::<tcp::Socket>(h);
        if receive {
            s.listen(7000).expect("listen");
        } else {
            s.connect(iface.context(), (IpAddress::v4(192, 0, 2, 1), 7001), 49152)
                .expect("connect");
        }
    }
    let data = vec![0xa5u8; 256 * 1024];
    let mut done = 0usize;
    let mut closed = false;
    loop {
        iface.poll(now(), &mut dev, &mut sockets);
        let s = sockets.get_mut::<tcp::Socket>(h);
        if receive {
            while s.can_recv() {
                match s.recv(|b| (b.len(), b.len())) {
                    Ok(n) => done += n,
                    Err(_) => break,
                }
            }
        } else {
            while done < total && s.can_send() {
                let n = (total - done).min(data.len());
                match s.send_slice(&data[..n]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => done += k,
                }
            }
        }
        if done >= total && !closed {
            s.close();
            closed = true;
        }
        if closed
            && (!s.is_open() || matches!(s.state(), tcp::State::TimeWait | tcp::State::Closed))
        {
            break;
        }
        // Segments already cut from a super-packet are waiting: poll again at once.
        if dev.pending.is_empty() {
            let delay = iface.poll_delay(now(), &sockets);
            wait_readable(fd, delay);
        }
    }
    done
}

/// Checks the splitter on a synthetic super-packet (run once at the benchmark's start, so a
/// broken splitter fails loudly instead of skewing the smoltcp figure).
pub fn split_check() {
    let mss = 1000;
    let mut p = vec![0u8; 40 + 2500];
    p[0] = 0x45;
    p[4..6].copy_from_slice(&7u16.to_be_bytes());
    p[20 + 4..20 + 8].copy_from_slice(&100u32.to_be_bytes());
    p[20 + 12] = 5 << 4;
    p[20 + 13] = TCP_FIN | TCP_PSH | TCP_CWR | 0x10;
    for (i, b) in p[40..].iter_mut().enumerate() {
        *b = i as u8;
    }
    let mut out = VecDeque::new();
    split_tso_v4(&p, mss, &mut out);
    let segs: Vec<Vec<u8>> = out.into_iter().collect();
    assert_eq!(segs.len(), 3, "2500 bytes at MSS 1000 make 3 segments");
    let mut joined = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let len = u16::from_be_bytes([s[2], s[3]]) as usize;
        assert_eq!(len, s.len(), "segment {i}: IP total length");
        assert_eq!(
            ipv4_header_checksum(&s[..20]),
            0,
            "segment {i}: IP checksum"
        );
        assert_eq!(
            u16::from_be_bytes([s[4], s[5]]),
            7 + i as u16,
            "segment {i}: IP id"
        );
        let seq = u32::from_be_bytes([s[24], s[25], s[26], s[27]]);
        assert_eq!(seq, 100 + (i * mss) as u32, "segment {i}: sequence number");
        let f = s[33];
        assert_eq!(
            f & TCP_FIN != 0,
            i == 2,
            "segment {i}: FIN on the last only"
        );
        assert_eq!(
            f & TCP_PSH != 0,
            i == 2,
            "segment {i}: PSH on the last only"
        );
        assert_eq!(
            f & TCP_CWR != 0,
            i == 0,
            "segment {i}: CWR on the first only"
        );
        joined.extend_from_slice(&s[40..]);
    }
    assert_eq!(joined, p[40..], "the payload survives the split in order");
}
