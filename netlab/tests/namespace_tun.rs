//! End-to-end tests of netlab: a private namespace with a TUN device, configured through
//! rtnetlink, carrying a real kernel TCP handshake. They need root (CI runs as root); without
//! the privilege they fail with the error that says how to run them.

use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TransportSlice};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use tcp_netlab::{run_in_private_netns, Direction, Error, PacketSocket, Rtnetlink, Tun};

const TUN_V4: &str = "192.0.2.1";
const TUN_V6: &str = "2001:db8::1";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address literal")
}

/// Create `lab%d`, MTU 1400, 192.0.2.1/24 and 2001:db8::1/64, a route to 198.51.100.0/24.
fn lab() -> Result<Tun, Error> {
    let tun = Tun::create("lab%d")?;
    let mut rt = Rtnetlink::open()?;
    rt.set_mtu(tun.index(), 1400)?;
    rt.add_address(tun.index(), ip(TUN_V4), 24)?;
    rt.add_address(tun.index(), ip(TUN_V6), 64)?;
    rt.set_link_up(tun.index())?;
    rt.wait_addresses_ready(tun.index(), Duration::from_secs(2))?;
    rt.add_route(tun.index(), ip("198.51.100.0"), 24)?;
    Ok(tun)
}

/// A TCP segment seen on the TUN: addresses, ports, numbers and flags.
#[derive(Debug)]
struct Seen {
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    syn: bool,
    ackf: bool,
}

/// Read packets until a TCP segment to `dst:dport` arrives (skipping e.g. IPv6 router
/// solicitations and MLD reports the kernel sends when the link comes up).
fn next_tcp(tun: &Tun, dst: IpAddr, dport: u16) -> Seen {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut buf = vec![0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no TCP segment to {dst}:{dport} within 3 s"
        );
        let Some(n) = tun.recv_timeout(&mut buf, left).expect("read TUN") else {
            continue;
        };
        let Ok(p) = SlicedPacket::from_ip(&buf[..n]) else {
            continue;
        };
        let (src, d) = match &p.net {
            Some(NetSlice::Ipv4(v4)) => (
                IpAddr::V4(v4.header().source_addr()),
                IpAddr::V4(v4.header().destination_addr()),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                IpAddr::V6(v6.header().source_addr()),
                IpAddr::V6(v6.header().destination_addr()),
            ),
            _ => continue,
        };
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            continue;
        };
        if d == dst && t.destination_port() == dport {
            return Seen {
                src,
                dst: d,
                sport: t.source_port(),
                dport: t.destination_port(),
                seq: t.sequence_number(),
                ack: t.acknowledgment_number(),
                syn: t.syn(),
                ackf: t.ack(),
            };
        }
    }
}

/// Connect a kernel socket to `peer:80`, answer its SYN with a SYN+ACK written to the TUN, and
/// check that the connect completes and the kernel's final ACK arrives.
fn handshake_through_tun(tun: &Tun, peer: IpAddr, expect_src: IpAddr) {
    let addr = SocketAddr::new(peer, 80);
    let connector =
        thread::spawn(move || TcpStream::connect_timeout(&addr, Duration::from_secs(3)));
    let syn = next_tcp(tun, peer, 80);
    assert!(syn.syn && !syn.ackf, "first segment is a SYN: {syn:?}");
    assert_eq!(
        syn.src, expect_src,
        "source address chosen from the TUN's subnet"
    );
    let irs = 0x1234_5678u32;
    let builder = match (syn.dst, syn.src) {
        (IpAddr::V4(d), IpAddr::V4(s)) => PacketBuilder::ipv4(d.octets(), s.octets(), 64),
        (IpAddr::V6(d), IpAddr::V6(s)) => PacketBuilder::ipv6(d.octets(), s.octets(), 64),
        other => panic!("mixed address families {other:?}"),
    };
    let synack = builder
        .tcp(syn.dport, syn.sport, irs, 64000)
        .syn()
        .ack(syn.seq.wrapping_add(1));
    let mut pkt = Vec::new();
    synack.write(&mut pkt, &[]).expect("build SYN+ACK");
    tun.send(&pkt).expect("write SYN+ACK to TUN");
    let stream = connector
        .join()
        .expect("connector thread")
        .expect("connect completes after our SYN+ACK");
    assert_eq!(stream.peer_addr().expect("peer addr"), addr);
    let ack = next_tcp(tun, peer, 80);
    assert!(ack.ackf && !ack.syn, "third segment is a pure ACK: {ack:?}");
    assert_eq!(ack.seq, syn.seq.wrapping_add(1));
    assert_eq!(ack.ack, irs.wrapping_add(1));
}

#[test]
fn ipv4_handshake_on_the_tun_subnet() {
    run_in_private_netns(|| {
        let tun = lab()?;
        handshake_through_tun(&tun, ip("192.0.2.2"), ip(TUN_V4));
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

#[test]
fn ipv6_handshake_on_the_tun_subnet() {
    run_in_private_netns(|| {
        let tun = lab()?;
        handshake_through_tun(&tun, ip("2001:db8::2"), ip(TUN_V6));
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

#[test]
fn routed_prefix_reaches_the_tun() {
    run_in_private_netns(|| {
        let tun = lab()?;
        handshake_through_tun(&tun, ip("198.51.100.7"), ip(TUN_V4));
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

/// The TUN device's receive counter counts each packet written to it, and a write is
/// processed by the time it returns: the kernel's RST to a SYN for a closed port is already
/// queued on the device (what the conformance runner's Linux target relies on for its
/// processing barrier).
#[test]
fn link_stats_count_packets_written_and_processed_on_return() {
    run_in_private_netns(|| {
        let tun = lab()?;
        let mut rt = Rtnetlink::open()?;
        let before = rt.link_stats(tun.index())?;
        let mut syn = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 2], [192, 0, 2, 1], 64)
            .tcp(40000, 9, 1000, 64000)
            .syn()
            .write(&mut syn, &[])
            .expect("build SYN");
        for _ in 0..3 {
            tun.send(&syn).expect("write SYN to TUN");
        }
        let after = rt.link_stats(tun.index())?;
        assert_eq!(
            after.rx_packets,
            before.rx_packets + 3,
            "{before:?} {after:?}"
        );
        let mut buf = vec![0u8; 2048];
        let mut rsts = 0;
        while let Some(n) = tun
            .recv_timeout(&mut buf, Duration::ZERO)
            .expect("read TUN")
        {
            let Ok(p) = SlicedPacket::from_ip(&buf[..n]) else {
                continue;
            };
            if let Some(TransportSlice::Tcp(t)) = &p.transport {
                if t.rst() && t.destination_port() == 40000 {
                    rsts += 1;
                }
            }
        }
        assert_eq!(rsts, 3, "each RST queued before its write returned");
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

#[test]
fn namespace_is_private_and_torn_down_with_the_fd() {
    let names = run_in_private_netns(|| {
        let mut rt = Rtnetlink::open()?;
        let tun = lab()?;
        let mut names: Vec<String> = rt.links()?.into_iter().map(|(_, n)| n).collect();
        names.sort();
        let during = names.clone();
        let name = tun.name().to_string();
        drop(tun);
        let after: Vec<String> = rt.links()?.into_iter().map(|(_, n)| n).collect();
        assert!(!after.contains(&name), "{name} gone after drop: {after:?}");
        Ok::<_, Error>(during)
    })
    .expect("namespace with TUN");
    assert_eq!(
        names.len(),
        2,
        "only lo and the TUN exist in the namespace: {names:?}"
    );
    assert!(names.iter().any(|n| n == "lo"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("lab")), "{names:?}");
}

#[test]
fn netlink_errors_name_the_operation() {
    let err = run_in_private_netns(|| {
        let mut rt = Rtnetlink::open()?;
        rt.add_route(9999, ip("198.51.100.0"), 24)
    })
    .expect_err("route to a device that does not exist");
    let text = err.to_string();
    assert!(
        text.contains("add route 198.51.100.0/24 dev ifindex 9999"),
        "{text}"
    );
    assert_eq!(err.source.raw_os_error(), Some(libc::ENODEV), "{text}");
}

/// Drop every capability of the calling thread (capset(2) is per thread).
fn drop_all_capabilities_of_this_thread() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and data have the layout capset(2) expects for version 3.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut Header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}

#[test]
fn missing_privilege_gives_an_error_that_says_how_to_run() {
    let err = thread::spawn(|| {
        drop_all_capabilities_of_this_thread();
        tcp_netlab::enter_private_netns().expect_err("no CAP_SYS_ADMIN, no namespace")
    })
    .join()
    .expect("thread");
    let text = err.to_string();
    assert!(text.contains("unshare(CLONE_NEWNET)"), "{text}");
    assert!(text.contains("run as root"), "{text}");
    assert!(
        text.contains("unshare --user --map-root-user --net"),
        "{text}"
    );
}

#[test]
fn nonblocking_read_reports_would_block() {
    run_in_private_netns(|| {
        let tun = Tun::create("lab%d")?;
        tun.set_nonblocking(true)?;
        let mut buf = [0u8; 64];
        let e = tun
            .recv(&mut buf)
            .expect_err("nothing is queued on a down device");
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        assert_eq!(
            tun.recv_timeout(&mut buf, Duration::from_millis(5))
                .expect("poll"),
            None
        );
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

/// A SYN written to the TUN fd (as a userspace stack would) is seen by an `AF_PACKET` socket as
/// incoming; the kernel's RST reply as outgoing; and a packet sent on the `AF_PACKET` socket
/// comes out of the TUN fd.
#[test]
fn packet_socket_sees_both_directions_and_injects_into_the_tun() {
    run_in_private_netns(|| {
        let tun = lab()?;
        let cap = PacketSocket::bind(tun.index())?;
        let mut syn = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 2], [192, 0, 2, 1], 64)
            .tcp(40000, 9, 77, 1000)
            .syn()
            .write(&mut syn, &[])
            .expect("build SYN");
        tun.send(&syn).expect("write SYN to the TUN");
        let mut buf = vec![0u8; 2048];
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        while seen.len() < 2 && Instant::now() < deadline {
            if let Some((n, dir)) = cap
                .recv_timeout(&mut buf, Duration::from_millis(50))
                .expect("capture")
            {
                if let Ok(p) = SlicedPacket::from_ip(&buf[..n]) {
                    if let Some(TransportSlice::Tcp(t)) = &p.transport {
                        seen.push((dir, t.syn(), t.rst(), t.destination_port()));
                    }
                }
            }
        }
        assert_eq!(
            seen,
            vec![
                (Direction::Incoming, true, false, 9),
                (Direction::Outgoing, false, true, 40000)
            ]
        );
        let rst = next_tcp(&tun, ip("192.0.2.2"), 40000);
        assert_eq!(rst.ack, 78, "the kernel's RST answers our SYN");

        let mut probe = Vec::new();
        PacketBuilder::ipv6(ip6("2001:db8::1"), ip6("2001:db8::9"), 64)
            .tcp(1234, 5678, 1, 1000)
            .syn()
            .write(&mut probe, &[])
            .expect("build probe");
        cap.send(&probe).expect("inject through AF_PACKET");
        let got = next_tcp(&tun, ip("2001:db8::9"), 5678);
        assert_eq!((got.sport, got.seq, got.syn), (1234, 1, true));
        Ok::<_, Error>(())
    })
    .expect("namespace with TUN");
}

fn ip6(s: &str) -> [u8; 16] {
    match ip(s) {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(_) => panic!("{s} is not IPv6"),
    }
}
