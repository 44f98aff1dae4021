//! RFC 9293 requirements the stack met without a test asserting them, and the address
//! checks of OPEN: Nagle off per connection (MUST-17), keep-alive defaults (MUST-25,
//! MUST-28), passive OPENs that leave other records alone (MUST-41, MUST-42), OPEN to a
//! broadcast or multicast address (MUST-46), segments to or from such addresses (MUST-57,
//! MUST-63), PSH on the last buffered segment (MUST-61), the MSS option on SYNs only
//! (MUST-65). Each is shown to catch its fault in `faults.rs`.

use super::*;
use crate::wire;
use std::net::{IpAddr, SocketAddr};

/// RFC 9293 3.7.4 (MUST-17): with Nagle's algorithm a small segment waits while data is
/// unacknowledged; after `set_nodelay(true)` the connection sends it at once.
#[test]
pub(super) fn nodelay_disables_nagle() {
    let (mut net, ha, _hb) = established();
    // B's acknowledgments are late: A's first segment stays unacknowledged meanwhile.
    net.set_filter(|dir, _, _| match dir {
        Dir::BtoA => Fate::Delay(Duration::from_millis(200)),
        Dir::AtoB => Fate::Deliver,
    });
    let start = net.seen.len();
    let sent = |net: &Net| -> usize {
        net.seen[start..]
            .iter()
            .filter(|s| s.dir == Dir::AtoB)
            .map(|s| s.len)
            .sum()
    };
    net.a.send(net.now, ha, &[1; 10]).expect("send");
    net.run_for(MS);
    net.a.send(net.now, ha, &[2; 10]).expect("send");
    net.run_for(5 * MS);
    assert_eq!(sent(&net), 10, "Nagle holds the second small segment");
    net.a.set_nodelay(ha, true).expect("nodelay");
    net.a.send(net.now, ha, &[3; 10]).expect("send");
    net.run_for(MS);
    assert_eq!(
        sent(&net),
        30,
        "without Nagle the queued bytes leave at once"
    );
}

/// RFC 9293 3.8.4 (MUST-25): keep-alives are off unless the application turns them on: an
/// idle connection of the default configuration sends nothing for three hours.
#[test]
pub(super) fn keepalive_is_off_by_default() {
    assert_eq!(Config::default().keepalive, None);
    let (mut net, ha, hb) = established_with(Config::default(), Config::default(), false);
    let start = net.seen.len();
    net.run_for(Duration::from_secs(3 * 3600));
    assert_eq!(net.seen.len(), start, "an idle connection stays silent");
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.state(hb), State::Established);
}

/// RFC 9293 3.8.4 (MUST-28): the keep-alive interval defaults to no less than two hours:
/// with keep-alive turned on with the default parameters, the first probe comes after two
/// hours of silence, not before.
#[test]
pub(super) fn keepalive_idle_defaults_to_two_hours() {
    let (mut net, ha, _hb) = established();
    net.a
        .set_keepalive(net.now, ha, Some(KeepaliveConfig::default()))
        .expect("keepalive");
    let start = net.seen.len();
    net.run_for(Duration::from_secs(2 * 3600) - MS);
    assert_eq!(net.seen.len(), start, "no probe before two hours");
    net.run_for(2 * MS);
    let probe = &net.seen[start];
    assert_eq!((probe.dir, probe.len), (Dir::AtoB, 0), "the first probe");
}

/// B listens on port 80 and accepts A's connection; returns the listener and both handles.
fn accepted(net: &mut Net) -> (ListenerHandle, SocketHandle, SocketHandle) {
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.accept_ready(lh) > 0));
    let hb = net.b.accept(lh).expect("accept");
    (lh, ha, hb)
}

/// RFC 9293 3.9.1.1 (MUST-41): every passive OPEN creates a new record in LISTEN or returns
/// an error; it never affects a record that exists. A second OPEN on a listened address
/// fails and leaves the listener and its connection alone; an OPEN on the wildcard address
/// of the same port makes a new listener beside them.
#[test]
pub(super) fn passive_open_leaves_existing_records_alone() {
    let mut net = Net::new(fast_config(), fast_config());
    let (lh, ha, hb) = accepted(&mut net);
    assert_eq!(net.b.listen(net.b_sock(80), None), Err(TcpError::AddrInUse));
    let any = SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 80);
    let wildcard = net.b.listen(any, None).expect("wildcard listen");
    assert_ne!(wildcard, lh);
    let got = transfer_a_to_b(&mut net, ha, hb, b"still here", Duration::from_secs(1));
    assert_eq!(got, b"still here", "the accepted connection is untouched");
    // The first listener still takes connections to its address.
    let h2 = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.accept_ready(lh) > 0));
    assert_eq!(net.a.state(h2), State::Established);
    assert_eq!(net.b.accept_ready(wildcard), 0);
}

/// RFC 9293 3.9.1.1 (MUST-42): an application can LISTEN on a port while a connection with
/// the same local port is in SYN-SENT; both then work.
#[test]
pub(super) fn listen_on_the_port_of_an_opening_connection() {
    let mut net = Net::new(fast_config(), fast_config());
    // B's SYN toward A:7000 is lost: B stays in SYN-SENT.
    net.set_filter(|dir, t, _| {
        if dir == Dir::BtoA && t.dst_port == 7000 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let opening = net
        .b
        .connect_from(net.now, net.b_sock(5000), net.a_sock(7000))
        .expect("connect");
    net.run_for(MS);
    assert_eq!(net.b.state(opening), State::SynSent);
    let lh = net.b.listen(net.b_sock(5000), None).expect("listen");
    let ha = net.a.connect(net.now, net.b_sock(5000)).expect("connect");
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.accept_ready(lh) > 0));
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.state(opening), State::SynSent);
}

/// RFC 9293 3.9.1.1 (MUST-46): an active OPEN to a broadcast, multicast or unspecified
/// address is an error, and no segment is sent.
#[test]
pub(super) fn open_to_broadcast_or_multicast_is_an_error() {
    let mut v4 = Stack::new(fast_config(), vec![IpAddr::from([192, 0, 2, 2])]);
    let mut v6 = Stack::new(fast_config(), vec!["2001:db8::2".parse().expect("v6")]);
    let now = crate::Timestamp(1_000_000);
    for remote in [
        "255.255.255.255:80",
        "224.0.0.1:80",
        "239.1.2.3:80",
        "0.0.0.0:80",
    ] {
        let remote: SocketAddr = remote.parse().expect("address");
        assert_eq!(
            v4.connect(now, remote),
            Err(TcpError::InvalidInput),
            "{remote}"
        );
    }
    for remote in ["[ff02::1]:80", "[ff05::2]:80", "[::]:80"] {
        let remote: SocketAddr = remote.parse().expect("address");
        assert_eq!(
            v6.connect(now, remote),
            Err(TcpError::InvalidInput),
            "{remote}"
        );
    }
    assert_eq!((v4.pending_transmit(), v6.pending_transmit()), (0, 0));
    assert_eq!(v4.stats().active_opens + v6.stats().active_opens, 0);
}

/// A SYN from `src` to `dst` (port 80) as an IP packet.
fn syn_packet(src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let h = TcpHeader {
        src_port: 40000,
        dst_port: 80,
        seq: PEER_ISS,
        ack: 0,
        flags: SYN,
        window: 8192,
        urgent: 0,
        options: TcpOptions::default(),
    };
    let mut p = Vec::new();
    wire::build_packet(&mut p, src, dst, &h, &[], 1);
    p
}

/// RFC 9293 3.9.2.3 (MUST-57): a SYN addressed to a broadcast or multicast address is
/// silently discarded, even by a host whose IP layer delivers such packets to TCP (here:
/// the stack answers for the limited broadcast address and a multicast group) and with a
/// listener on the wildcard address.
#[test]
pub(super) fn segments_to_broadcast_or_multicast_are_discarded() {
    let peer4 = IpAddr::from([192, 0, 2, 1]);
    let peer6: IpAddr = "2001:db8::1".parse().expect("v6");
    let cases: [(IpAddr, IpAddr, &str); 3] = [
        (peer4, IpAddr::from([255, 255, 255, 255]), "0.0.0.0:80"),
        (peer4, IpAddr::from([224, 0, 0, 1]), "0.0.0.0:80"),
        (peer6, "ff02::1".parse().expect("v6"), "[::]:80"),
    ];
    for (src, dst, any) in cases {
        let mut s = Stack::new(fast_config(), vec![dst]);
        s.listen(any.parse().expect("wildcard"), None)
            .expect("listen");
        s.receive(crate::Timestamp(1_000_000), &syn_packet(src, dst));
        assert_eq!(s.pending_transmit(), 0, "no answer to a SYN for {dst}");
        assert_eq!(s.connection_count(), 0, "no connection for {dst}");
        assert_eq!(s.stats().rx_bad_ip, 1, "counted for {dst}");
    }
}

/// RFC 9293 3.9.2.3 (MUST-63): a SYN whose source is not a unicast address (broadcast,
/// multicast, unspecified) is ignored.
#[test]
pub(super) fn syn_from_an_invalid_source_is_ignored() {
    let ours = IpAddr::from([192, 0, 2, 2]);
    for src in ["255.255.255.255", "224.0.0.5", "0.0.0.0"] {
        let src: IpAddr = src.parse().expect("address");
        let mut s = Stack::new(fast_config(), vec![ours]);
        s.listen(SocketAddr::new(ours, 80), None).expect("listen");
        s.receive(crate::Timestamp(1_000_000), &syn_packet(src, ours));
        assert_eq!(s.pending_transmit(), 0, "no answer to a SYN from {src}");
        assert_eq!(s.connection_count(), 0, "no connection from {src}");
    }
}

/// RFC 9293 3.9.1.2 (MUST-61): SEND has no PUSH flag, so the segment that empties the send
/// buffer carries PSH, and the full segments before it do not.
#[test]
pub(super) fn the_last_buffered_segment_carries_psh() {
    let (mut net, ha, hb) = established();
    let data = pattern(5000);
    let start = net.seen.len();
    let got = transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(1));
    assert_eq!(got, data);
    let segs: Vec<_> = net.seen[start..]
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0)
        .collect();
    let (last, rest) = segs.split_last().expect("data segments");
    assert!(last.tcp.flags.contains(Flags::PSH), "{:?}", last.tcp.flags);
    assert!(rest.iter().all(|s| !s.tcp.flags.contains(Flags::PSH)));
}

/// RFC 9293 3.2 (MUST-65): the MSS option is sent on SYN segments only: a handshake, data
/// both ways and a close carry it on the SYN and the SYN,ACK and nowhere else.
#[test]
pub(super) fn mss_option_only_on_syns() {
    let (mut net, ha, hb) = established();
    transfer_a_to_b(&mut net, ha, hb, &pattern(3000), Duration::from_secs(1));
    transfer_b_to_a(&mut net, hb, ha, &pattern(3000), Duration::from_secs(1));
    net.a.shutdown(net.now, ha).expect("close");
    net.b.shutdown(net.now, hb).expect("close");
    net.run_for(Duration::from_millis(100));
    assert!(net.seen.len() > 10);
    for s in &net.seen {
        let syn = s.tcp.flags.contains(Flags::SYN);
        assert_eq!(s.tcp.options.mss.is_some(), syn, "{:?}", s.tcp);
    }
}

// ----------------------------------------------------------------------------------------
// Requirements the stack met that no test asserted on its own.

/// RFC 9293 3.1 (MUST-1): the window is an unsigned number: a receiver without window
/// scaling that advertises 65535 (above 2^15) gets 65535 octets in flight, not a negative
/// window.
#[test]
fn a_window_above_32767_is_unsigned() {
    let ca = Config {
        recv_buffer: 65535,
        window_scaling: false,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(ca, fast_config(), false);
    assert_eq!(last_from(&net, Dir::AtoB).window, 65535);
    net.b.send(net.now, hb, &pattern(100_000)).expect("send");
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.a.info(ha).expect("info").readable, 65535);
}

/// RFC 9293 3.5 (MUST-11): SYN-RECEIVED remembers how it was reached: a RST there returns a
/// passive connection to LISTEN without telling anyone, and refuses an active one (3.10.7.4,
/// second step).
#[test]
fn syn_received_remembers_a_passive_or_an_active_open() {
    let mut p = Peer::to_listener(fast_config());
    let synack = p.send(SYN, PEER_ISS, 0, &[]);
    assert_eq!(synack.len(), 1);
    assert_eq!(p.send(RST, PEER_ISS + 1, 0, &[]), []);
    assert_eq!(p.net.b.connection_count(), 0, "back to LISTEN");
    assert_eq!(p.send(SYN, PEER_ISS, 0, &[]).len(), 1, "still listening");
    // Simultaneous open: A in SYN-SENT gets a SYN and enters SYN-RECEIVED.
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(
        p.send(SYN, PEER_ISS, 0, &[]),
        [seg(SYN_ACK, iss, PEER_ISS + 1)]
    );
    assert_eq!(p.state(ha), State::SynReceived);
    assert_eq!(p.send(RST, PEER_ISS + 1, 0, &[]), []);
    let info = p.info(ha);
    assert_eq!(
        (info.state, info.error),
        (State::Closed, Some(TcpError::Refused))
    );
}

/// RFC 9293 3.8.4 (MUST-26): keep-alives go only when no data is outstanding: while a
/// segment waits for its acknowledgment, only it is retransmitted, however short the
/// keep-alive idle time.
#[test]
fn no_keepalive_while_data_is_outstanding() {
    let ca = Config {
        max_retries: 15,
        ..fast_config()
    };
    let (mut net, ha, _hb) = established_with(ca, fast_config(), false);
    net.a
        .set_keepalive(net.now, ha, keepalive(100, 100, 2))
        .expect("keepalive");
    net.set_filter(|dir, _, _| match dir {
        Dir::AtoB => Fate::Drop,
        Dir::BtoA => Fate::Deliver,
    });
    let start = net.seen.len();
    net.a.send(net.now, ha, b"unacknowledged").expect("send");
    net.run_for(Duration::from_secs(2));
    let from_a: Vec<_> = net.seen[start..]
        .iter()
        .filter(|s| s.dir == Dir::AtoB)
        .collect();
    assert!(from_a.len() >= 4, "the segment and its retransmissions");
    assert!(from_a.iter().all(|s| s.len == 14), "no keep-alive probe");
    assert_eq!(net.a.state(ha), State::Established);
}

/// RFC 9293 3.8.6 (MUST-34, SHLD-15): the sender survives a window that shrinks below what
/// is in flight: it sends no new data past the new right edge, and goes on once the window
/// opens again.
#[test]
fn a_shrinking_window_is_survived() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    let una = plus(iss, 1);
    assert_eq!(p.send_window(SYN_ACK, PEER_ISS, una, 4000).len(), 1);
    assert_eq!(p.state(ha), State::Established);
    let now = p.net.now;
    p.stack().send(now, ha, &pattern(10_000)).expect("send");
    let sent = p.wait(MS);
    let end = sent
        .iter()
        .map(|l| plus(l.seq, l.len as u32))
        .max()
        .expect("data");
    assert!(end.wrapping_sub(una) > 1000, "in flight: {sent:?}");
    // One segment acknowledged, the right edge moved left of what is in flight.
    let ack = plus(una, 536);
    let quiet = p.send_window(ACK, PEER_ISS + 1, ack, 100);
    assert!(quiet.iter().all(|l| l.len == 0), "no new data: {quiet:?}");
    assert_eq!(p.state(ha), State::Established);
    // Everything acknowledged, the window open again: new data flows from there.
    let more = p.send_window(ACK, PEER_ISS + 1, end, 8000);
    assert_eq!(more.first().map(|l| (l.seq, l.len > 0)), Some((end, true)));
}

/// RFC 9293 3.8.6.1 (MUST-35, MUST-36, MUST-37): a zero window is probed, the first time an
/// RTO after it closed (SHLD-29), then at intervals that grow exponentially (SHLD-30), and as long as the probes are answered the connection stays
/// open, here ten minutes (far past R2 of retransmissions: probes are not retransmissions).
#[test]
fn a_zero_window_may_stay_closed_indefinitely() {
    let cb = Config {
        recv_buffer: 4096,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(fast_config(), cb, false);
    net.a.send(net.now, ha, &pattern(20_000)).expect("send");
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.info(hb).expect("info").readable, 4096);
    let probes: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len == 0 && s.tcp.flags == ACK)
        .map(|s| s.at)
        .collect();
    assert!(probes.len() >= 10, "probes {probes:?}");
    let probes = &probes[1..]; // the handshake's ACK
                               // SHLD-29: the first probe waits an RTO (at least the minimum) after the window closed.
    let closed = net
        .seen
        .iter()
        .find(|s| s.dir == Dir::BtoA && s.tcp.window == 0);
    let closed = closed.expect("a zero window").at;
    assert!(probes[0].since(closed) >= fast_config().min_rto);
    // SHLD-30: the interval between probes grows exponentially (up to a minute).
    let gaps: Vec<Duration> = probes[1..]
        .iter()
        .zip(probes.iter())
        .map(|(b, a)| b.since(*a))
        .collect();
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
    assert!(gaps[gaps.len() - 1] >= gaps[0] * 8, "{gaps:?}");
}

/// RFC 9293 3.8.6.2.1 (MUST-38) and 3.9.1.2 (MUST-60): the sender does not fill a small
/// usable window (less than a segment and less than half the largest window seen) with a
/// small segment at once, but does not hold the data indefinitely either: the override
/// timer sends it.
#[test]
fn sender_sws_avoidance_waits_for_the_override_timer() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    let una = plus(iss, 1);
    p.send_window(SYN_ACK, PEER_ISS, una, 4000);
    let now = p.net.now;
    p.stack().send(now, ha, &pattern(10_000)).expect("send");
    let sent = p.wait(MS);
    let end = sent
        .iter()
        .map(|l| plus(l.seq, l.len as u32))
        .max()
        .expect("data");
    // All acknowledged, 100 octets of window: worth no segment yet.
    assert_eq!(p.send_window(ACK, PEER_ISS + 1, end, 100), []);
    let later = p.wait(Duration::from_secs(2));
    let first = later
        .iter()
        .find(|l| l.len > 0)
        .expect("the override timer sends");
    assert_eq!((first.seq, first.len), (end, 100));
}

/// RFC 9293 3.9.1.1 (MUST-44, MUST-45): an OPEN without a local address gets one from the
/// IP layer, of the remote's family, and every later segment of the connection uses it.
#[test]
fn an_open_gets_a_local_address_of_the_remote_family() {
    let v4 = IpAddr::from([192, 0, 2, 2]);
    let v6: IpAddr = "2001:db8::2".parse().expect("v6");
    let mut s = Stack::new(fast_config(), vec![v4, v6]);
    let now = crate::Timestamp(1_000_000);
    for (remote, local) in [("[2001:db8::1]:80", v6), ("192.0.2.1:80", v4)] {
        let remote: SocketAddr = remote.parse().expect("address");
        s.connect(now, remote).expect("connect");
        let syn = s.pop_transmit().expect("SYN");
        let syn = wire::parse_packet(&syn).expect("valid");
        assert_eq!((syn.src, syn.dst), (local, remote.ip()));
        let synack = TcpHeader {
            src_port: 80,
            dst_port: syn.tcp.src_port,
            seq: PEER_ISS,
            ack: syn.tcp.seq.wrapping_add(1),
            flags: SYN_ACK,
            window: 8192,
            urgent: 0,
            options: TcpOptions::default(),
        };
        let mut p = Vec::new();
        wire::build_packet(&mut p, remote.ip(), local, &synack, &[], 1);
        s.receive(now, &p);
        let ack = s.pop_transmit().expect("ACK");
        assert_eq!(wire::parse_packet(&ack).expect("valid").src, local);
    }
}

/// RFC 9293 3.9.2 (MUST-50): IP options TCP does not understand are ignored. A SYN carrying
/// a loose source route is answered as any other, straight to its source and with no
/// options: this stack's IP layer implements no source routing, so there is no route to
/// specify, override or save (MUST-51 to MUST-53 do not apply).
#[test]
fn ip_options_are_ignored_and_source_routes_not_used() {
    let ours = IpAddr::from([192, 0, 2, 2]);
    let mut s = Stack::new(fast_config(), vec![ours]);
    s.listen(SocketAddr::new(ours, 80), None).expect("listen");
    let plain = syn_packet(IpAddr::from([192, 0, 2, 1]), ours);
    // IHL 7: a loose source route option (type 131, length 7, pointer 4, 198.51.100.9) and
    // an end-of-list octet.
    let options = [131u8, 7, 4, 198, 51, 100, 9, 0];
    let mut p = plain[..20].to_vec();
    p.extend_from_slice(&options);
    p.extend_from_slice(&plain[20..]);
    p[0] = 0x47;
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p[10..12].copy_from_slice(&[0, 0]);
    let sum = wire::checksum::finish(wire::checksum::add_bytes(0, &p[..28]));
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    s.receive(crate::Timestamp(1_000_000), &p);
    let synack = s.pop_transmit().expect("SYN,ACK");
    assert_eq!(synack[0], 0x45, "no IP options");
    let synack = wire::parse_packet(&synack).expect("valid");
    assert_eq!(synack.dst, IpAddr::from([192, 0, 2, 1]));
    assert_eq!(synack.tcp.flags, SYN_ACK);
}

/// RFC 9293 3.8.6 (SHLD-17): data in flight beyond a right edge that shrank to zero does not
/// time the connection out while the peer answers its retransmissions; once the window
/// opens, the data flows.
#[test]
fn data_beyond_a_window_shrunk_to_zero_does_not_time_out() {
    let (mut p, ha, iss) = Peer::to_syn_sent(); // R2 = 5 retransmissions
    let una = plus(iss, 1);
    p.send_window(SYN_ACK, PEER_ISS, una, 4000);
    let now = p.net.now;
    p.stack().send(now, ha, &pattern(2000)).expect("send");
    let sent = p.wait(MS);
    let end = sent
        .iter()
        .map(|l| plus(l.seq, l.len as u32))
        .max()
        .expect("data");
    assert_eq!(p.send_window(ACK, PEER_ISS + 1, una, 0), []);
    let mut retransmissions = 0;
    for _ in 0..120 {
        let lines = p.wait(Duration::from_secs(1));
        if lines.iter().any(|l| l.len > 0) {
            retransmissions += 1;
            p.send_window(ACK, PEER_ISS + 1, una, 0);
        }
    }
    assert!(retransmissions > 5, "{retransmissions}");
    assert_eq!(p.state(ha), State::Established);
    let more = p.send_window(ACK, PEER_ISS + 1, end, 8000);
    assert_eq!(more.first().map(|l| (l.seq, l.len > 0)), Some((end, true)));
}

/// RFC 9293 3.6.1 (SHLD-3): once the application has closed (released) a connection it can
/// read no more; data it left unread, and data that arrives after, are lost, and a RST says
/// so instead of a FIN.
#[test]
fn data_lost_at_close_is_shown_by_a_reset() {
    let (mut net, ha, hb) = established();
    net.a.send(net.now, ha, b"unread").expect("send");
    net.run_for(50 * MS);
    assert_eq!(net.b.info(hb).expect("info").readable, 6);
    net.b.release(net.now, hb).expect("close");
    net.run_for(10 * MS);
    assert_eq!(last_from(&net, Dir::BtoA).flags, RST);
    assert_eq!(net.a.info(ha).expect("info").error, Some(TcpError::Reset));
    let (mut net, ha, hb) = established();
    net.b.release(net.now, hb).expect("close");
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::CloseWait, "nothing was lost: a FIN");
    net.a.send(net.now, ha, b"too late").expect("send");
    net.run_for(10 * MS);
    assert_eq!(last_from(&net, Dir::BtoA).flags, RST);
    assert_eq!(net.a.info(ha).expect("info").error, Some(TcpError::Reset));
}
