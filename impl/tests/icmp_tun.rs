//! ICMP and ICMPv6 over a real TUN device (RFC 9293 section 3.9.2.2), in a private network
//! namespace with documentation addresses only:
//!
//! - errors the Linux kernel itself sends when it forwards the stack's segments: Time
//!   Exceeded for a SYN sent with a TTL / hop limit of 1 (the connection's own TTL, MUST-49),
//!   Destination Unreachable for a network it has no route to (soft: reported, MUST-47,
//!   MUST-56) and for a prohibit route (hard: the opening connection ends, MUST-54);
//! - a Port Unreachable written into the device through a packet socket: it ends an opening
//!   connection, and only is reported on an established one (RFC 5927 section 5.2).
//!
//! Needs root (CI runs as root); without it the tests fail with a message saying so.

mod common;

use common::{in_lab, KERNEL_V4, KERNEL_V6};
use etherparse::PacketBuilder;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tcp_impl::runtime::NetStack;
use tcp_impl::wire::{self, Flags};
use tcp_impl::{Config, IcmpError, IcmpKind, IpFields, Report, SocketHandle, State, TcpError};
use tcp_netlab::netlink::{MessageBuilder, NetlinkSocket};
use tcp_netlab::{Direction, PacketSocket, Rtnetlink};

/// The lab's TUN device (see `common::make_tun`).
fn tun_index() -> u32 {
    let mut rt = Rtnetlink::open().expect("rtnetlink");
    let links = rt.links().expect("links");
    let tun = links.iter().find(|(_, name)| name.starts_with("impl"));
    tun.expect("the lab's TUN device").0
}

/// The kernel forwards packets in this namespace (IPv4 and IPv6).
fn forwarding_on() {
    for f in [
        "/proc/sys/net/ipv4/conf/all/forwarding",
        "/proc/sys/net/ipv6/conf/all/forwarding",
    ] {
        std::fs::write(f, "1").unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

/// `ip route add prohibit <dst>/<prefix>`: the kernel answers packets it would forward there
/// with ICMP "administratively prohibited" (IPv4 code 13, ICMPv6 code 1).
fn prohibit_route(dst: IpAddr, prefix: u8) {
    const RTM_NEWROUTE: u16 = 24;
    const NLM_F_CREATE: u16 = 0x400;
    const NLM_F_EXCL: u16 = 0x200;
    const RTA_DST: u16 = 1;
    const RTN_PROHIBIT: u8 = 8;
    let (family, bytes) = match dst {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    };
    // struct rtmsg: family, dst_len, src_len, tos, table (main), protocol (static), scope
    // (universe), type, flags.
    let rtmsg = [family, prefix, 0, 0, 254, 4, 0, RTN_PROHIBIT, 0, 0, 0, 0];
    let mut m = MessageBuilder::new(&rtmsg);
    m.attr(RTA_DST, &bytes);
    let mut sock = NetlinkSocket::open(libc::NETLINK_ROUTE).expect("netlink");
    sock.request_ack(
        "add a prohibit route",
        RTM_NEWROUTE,
        NLM_F_CREATE | NLM_F_EXCL,
        m.payload(),
    )
    .expect("prohibit route");
}

/// Opens a connection from the stack to `remote` with the TTL / hop limit `ttl`.
fn open(net: &NetStack, remote: SocketAddr, ttl: u8) -> SocketHandle {
    let ip = IpFields { ttl, dscp: 46 };
    net.with_stack(|s, now| s.connect_with(now, None, remote, ip))
        .expect("connect")
}

/// Waits (up to 5 s) until the connection has a report or has closed.
fn report_or_close(net: &NetStack, h: SocketHandle) -> Option<Report> {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        let (report, state) = net.with_stack(|s, _| (s.next_report(h), s.state(h)));
        match report.expect("report") {
            Some(r) => return Some(r),
            None if state == State::Closed => return None,
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    None
}

/// Waits (up to 5 s) until the connection has closed; true if it did.
fn closes(net: &NetStack, h: SocketHandle) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if net.with_stack(|s, _| s.state(h)) == State::Closed {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// The ICMP error of a report, if it is one.
fn icmp(r: Option<Report>) -> Option<IcmpError> {
    match r {
        Some(Report::Icmp(e)) => Some(e),
        _ => None,
    }
}

/// Waits for the next packet the stack writes to the device whose TCP header satisfies
/// `pred`; returns the whole IP packet.
fn captured(cap: &PacketSocket, pred: impl Fn(&wire::TcpPacket<'_>) -> bool) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        let got = cap.recv_timeout(&mut buf, Duration::from_millis(100));
        if let Ok(Some((n, Direction::Incoming))) = got {
            if wire::parse_packet(&buf[..n]).is_ok_and(|p| pred(&p)) {
                return buf[..n].to_vec();
            }
        }
    }
    panic!("the stack did not send the packet looked for");
}

/// An ICMP (IPv4) or ICMPv6 Port Unreachable from `from`, quoting `packet` (the IP header
/// and the first eight octets of its TCP header), built with etherparse.
fn port_unreachable(from: IpAddr, packet: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match (from, wire::parse_packet(packet).expect("TCP").src) {
        (IpAddr::V4(f), IpAddr::V4(to)) => PacketBuilder::ipv4(f.octets(), to.octets(), 64)
            .icmpv4_raw(3, 3, [0; 4])
            .write(&mut out, &packet[..28]),
        (IpAddr::V6(f), IpAddr::V6(to)) => PacketBuilder::ipv6(f.octets(), to.octets(), 64)
            .icmpv6_raw(1, 4, [0; 4])
            .write(&mut out, &packet[..48]),
        _ => panic!("one family"),
    }
    .expect("ICMP");
    out
}

/// The kernel forwards a SYN sent with TTL 1 (hop limit 1) no further and answers with Time
/// Exceeded: a soft error, reported, the connection still opening. The SYN carried the
/// connection's TTL and DSCP.
#[test]
fn kernel_time_exceeded_for_a_ttl_of_1_is_a_soft_error() {
    in_lab(Config::default(), |net| {
        let index = tun_index();
        forwarding_on();
        let mut rt = Rtnetlink::open().expect("rtnetlink");
        rt.add_route(index, "198.51.100.0".parse().expect("v4"), 25)
            .expect("route");
        rt.add_route(index, "2001:db8:1::".parse().expect("v6"), 64)
            .expect("route");
        let cap = PacketSocket::bind(index).expect("packet socket");
        for (remote, kernel) in [
            ("198.51.100.1:80", KERNEL_V4),
            ("[2001:db8:1::1]:80", KERNEL_V6),
        ] {
            let remote: SocketAddr = remote.parse().expect("address");
            let h = open(net, remote, 1);
            let syn = captured(&cap, |p| p.dst_socket() == remote);
            let (ttl, tos) = match syn[0] >> 4 {
                4 => (syn[8], syn[1]),
                _ => (syn[7], (syn[0] << 4) | (syn[1] >> 4)),
            };
            assert_eq!((ttl, tos), (1, 46 << 2), "{remote}: the SYN's TTL and DSCP");
            let e = icmp(report_or_close(net, h)).expect("an ICMP report");
            assert_eq!(
                (e.kind, e.hard, e.from),
                (IcmpKind::TimeExceeded, false, kernel)
            );
            assert_eq!(
                net.with_stack(|s, _| s.state(h)),
                State::SynSent,
                "{remote}"
            );
            net.with_stack(|s, _| s.abort(h)).expect("abort");
        }
    });
}

/// The kernel answers a SYN for a network it has no route to with Destination Unreachable
/// (no route: soft, reported), and one for a prohibit route with "administratively
/// prohibited" (hard: the opening connection ends, refused).
#[test]
fn kernel_destination_unreachable_soft_and_hard() {
    in_lab(Config::default(), |net| {
        forwarding_on();
        prohibit_route("198.51.100.128".parse().expect("v4"), 26);
        prohibit_route("2001:db8:3::".parse().expect("v6"), 64);
        let no_route = [
            ("198.51.100.200:80", KERNEL_V4),
            ("[2001:db8:2::1]:80", KERNEL_V6),
        ];
        for (remote, kernel) in no_route {
            let h = open(net, remote.parse().expect("address"), 64);
            let e = icmp(report_or_close(net, h)).expect("an ICMP report");
            assert_eq!(
                (e.kind, e.hard, e.from),
                (IcmpKind::NetUnreachable, false, kernel)
            );
            assert_eq!(
                net.with_stack(|s, _| s.state(h)),
                State::SynSent,
                "{remote}"
            );
            net.with_stack(|s, _| s.abort(h)).expect("abort");
        }
        for remote in ["198.51.100.130:80", "[2001:db8:3::1]:80"] {
            let h = open(net, remote.parse().expect("address"), 64);
            assert_eq!(report_or_close(net, h), None, "{remote}: no report, an end");
            let info = net.with_stack(|s, _| s.info(h)).expect("info");
            assert_eq!(info.error, Some(TcpError::Refused), "{remote}");
            let e = info.icmp.expect("the cause");
            assert_eq!((e.kind, e.hard), (IcmpKind::Prohibited, true), "{remote}");
        }
    });
}

/// A Port Unreachable written into the device: it ends an opening connection (the SYN goes
/// nowhere: the kernel does not forward here), and is only reported on an established one
/// (RFC 5927 section 5.2), which goes on working.
#[test]
fn injected_port_unreachable_ends_an_opening_connection_only() {
    in_lab(Config::default(), |net| {
        let cap = PacketSocket::bind(tun_index()).expect("packet socket");
        for remote in ["198.51.100.10:80", "[2001:db8:1::10]:80"] {
            let remote: SocketAddr = remote.parse().expect("address");
            let h = open(net, remote, 64);
            let syn = captured(&cap, |p| p.dst_socket() == remote);
            cap.send(&port_unreachable(remote.ip(), &syn))
                .expect("inject");
            // (Without a route the kernel may first answer the IPv6 SYN with "no route": a
            // soft error, which leaves the connection opening.)
            assert!(closes(net, h), "{remote}: the connection ends");
            let info = net.with_stack(|s, _| s.info(h)).expect("info");
            assert_eq!(info.error, Some(TcpError::Refused), "{remote}");
            assert_eq!(info.icmp.map(|e| e.kind), Some(IcmpKind::PortUnreachable));
        }
        let addr = SocketAddr::new(KERNEL_V4, 9000);
        let kernel = std::net::TcpListener::bind(addr).expect("kernel listen");
        let stream = net.connect(addr).expect("connect");
        let (_peer, _) = kernel.accept().expect("accept");
        // The handshake's ACK: its sequence number is SND.NXT, in flight for RFC 5927 4.1.
        let ack = captured(&cap, |p| {
            p.dst_socket() == addr && p.tcp.flags == Flags::ACK
        });
        cap.send(&port_unreachable(KERNEL_V4, &ack))
            .expect("inject");
        let e = icmp(report_or_close(net, stream.handle())).expect("an ICMP report");
        assert_eq!((e.kind, e.hard), (IcmpKind::PortUnreachable, true));
        assert_eq!(stream.state(), State::Established);
        assert_eq!(stream.next_report().expect("report"), None);
    });
}
