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
