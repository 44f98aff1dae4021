//! ICMP and ICMPv6 errors (RFC 9293 3.9.2.2, RFC 5927, RFC 1191 / RFC 8201), injected as
//! IP packets built with etherparse (not with the stack's own codec): hard errors abort an
//! opening connection (MUST-54), soft errors never abort one (MUST-56) and are reported to
//! the application (MUST-47), Source Quench is discarded (MUST-55), an error goes to the
//! connection that sent the quoted segment and only if that segment could be in flight
//! (RFC 5927), a hard error in a synchronized state counts as soft (RFC 5927 5.2), and a
//! Packet Too Big lowers the MSS.

use super::*;
use crate::wire::{self, IcmpError, IcmpKind};
use crate::Report;
use etherparse::PacketBuilder;
use std::net::{IpAddr, SocketAddr};

/// An ICMP message's type, code and the four octets after its checksum.
pub(super) type Msg = (u8, u8, [u8; 4]);

/// A router on the path (a documentation address).
pub(super) fn router(v6: bool) -> IpAddr {
    if v6 {
        "2001:db8:ffff::1".parse().expect("v6")
    } else {
        IpAddr::from([198, 51, 100, 1])
    }
}

/// An ICMP or ICMPv6 error (`icmp_type`, `code`, the four octets after the checksum `rest`)
/// from `from` to the sender of `seg`, quoting the IP header and the first eight octets of
/// `seg` as it went from `src` to `dst` (only their addresses count: the ports are `seg`'s).
pub(super) fn icmp_error(
    from: IpAddr,
    (src, dst): (SocketAddr, SocketAddr),
    seg: &TcpHeader,
    (icmp_type, code, rest): (u8, u8, [u8; 4]),
) -> Vec<u8> {
    let mut original = Vec::new();
    wire::build_packet(&mut original, src.ip(), dst.ip(), seg, &[], 1);
    let quoted = if src.is_ipv6() { 48 } else { 28 };
    icmp_packet(from, src.ip(), (icmp_type, code, rest), &original[..quoted])
}

/// An ICMP or ICMPv6 message from `from` to `to` whose body after the first eight octets is
/// `quote`.
fn icmp_packet(
    from: IpAddr,
    to: IpAddr,
    (t, code, rest): (u8, u8, [u8; 4]),
    quote: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    match (from, to) {
        (IpAddr::V4(f), IpAddr::V4(to)) => {
            let b = PacketBuilder::ipv4(f.octets(), to.octets(), 64).icmpv4_raw(t, code, rest);
            b.write(&mut out, quote).expect("ICMP");
        }
        (IpAddr::V6(f), IpAddr::V6(to)) => {
            let b = PacketBuilder::ipv6(f.octets(), to.octets(), 64).icmpv6_raw(t, code, rest);
            b.write(&mut out, quote).expect("ICMPv6");
        }
        _ => panic!("one family"),
    }
    out
}

/// A connects to B:80 and its segments are lost on the way: A stays in SYN-SENT. Returns
/// the net, A's handle, its SYN and the connection's sockets.
fn opening(v6: bool) -> (Net, SocketHandle, TcpHeader, (SocketAddr, SocketAddr)) {
    let mut net = if v6 {
        Net::new_v6(fast_config(), fast_config())
    } else {
        Net::new(fast_config(), fast_config())
    };
    net.set_filter(|dir, _, _| match dir {
        Dir::AtoB => Fate::Drop,
        Dir::BtoA => Fate::Deliver,
    });
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(MS);
    let syn = net.seen[0].tcp;
    let ends = (net.a_sock(syn.src_port), net.b_sock(80));
    (net, ha, syn, ends)
}

/// Hands `packet` to A as if it came from the network; runs the net for 1 ms.
fn to_a(net: &mut Net, packet: &[u8]) {
    net.a.receive(net.now, packet);
    net.run_for(MS);
}

/// Destination Unreachable with `code`: type 3 (ICMP) or 1 (ICMPv6).
pub(super) fn unreachable(v6: bool, code: u8) -> Msg {
    (if v6 { 1 } else { 3 }, code, [0; 4])
}

/// The hard errors of each family (RFC 9293 3.9.2.2 and `wire::icmp`'s table).
fn hard_errors(v6: bool) -> Vec<(Msg, IcmpKind)> {
    use IcmpKind::*;
    if v6 {
        vec![
            (unreachable(true, 4), PortUnreachable),
            (unreachable(true, 1), Prohibited),
        ]
    } else {
        vec![
            (unreachable(false, 3), PortUnreachable),
            (unreachable(false, 2), ProtocolUnreachable),
            (unreachable(false, 13), Prohibited),
        ]
    }
}

/// The soft errors of each family (RFC 9293 3.9.2.2).
fn soft_errors(v6: bool) -> Vec<(Msg, IcmpKind)> {
    use IcmpKind::*;
    if v6 {
        vec![
            (unreachable(true, 0), NetUnreachable),
            (unreachable(true, 3), HostUnreachable),
            ((3, 0, [0; 4]), TimeExceeded),
            ((4, 1, [0; 4]), ParameterProblem),
        ]
    } else {
        vec![
            (unreachable(false, 0), NetUnreachable),
            (unreachable(false, 1), HostUnreachable),
            (unreachable(false, 5), SourceRouteFailed),
            ((11, 0, [0; 4]), TimeExceeded),
            ((12, 0, [0; 4]), ParameterProblem),
        ]
    }
}

/// RFC 9293 3.9.2.2 (MUST-54): TCP acts on an ICMP error, directing it to the connection
/// that caused it: a hard error about the SYN of a connection in SYN-SENT ends it; the
/// application learns it was refused and why.
#[test]
pub(super) fn a_hard_error_aborts_an_opening_connection() {
    for v6 in [false, true] {
        for (msg, kind) in hard_errors(v6) {
            let (mut net, ha, syn, ends) = opening(v6);
            to_a(&mut net, &icmp_error(router(v6), ends, &syn, msg));
            let info = net.a.info(ha).expect("info");
            assert_eq!(info.state, State::Closed, "{kind:?}");
            assert_eq!(info.error, Some(TcpError::Refused), "{kind:?}");
            let e = info.icmp.expect("the cause");
            assert_eq!((e.kind, e.hard, e.v6, e.from), (kind, true, v6, router(v6)));
        }
    }
}

/// RFC 9293 3.9.2.2 (MUST-54) in SYN-RECEIVED: a hard error about the SYN,ACK of a passive
/// connection returns it to LISTEN (the connection goes, the listener stays).
#[test]
fn a_hard_error_returns_a_passive_opening_to_listen() {
    let mut p = Peer::to_listener(fast_config());
    let synack = p.send(SYN, PEER_ISS, 0, &[]);
    let lh = p.lh();
    let pending = p.net.b.pending(lh);
    assert_eq!((synack.len(), pending.len()), (1, 1));
    let sent = p.net.seen.iter().rev().find(|s| s.dir == Dir::BtoA);
    let sent = sent.expect("SYN,ACK").tcp;
    let ends = (p.net.b_sock(80), p.net.a_sock(40000));
    let port_unreachable = icmp_error(p.net.a_addr, ends, &sent, unreachable(false, 3));
    p.net.raw_to_b(&port_unreachable);
    assert_eq!(p.net.b.pending(lh), []);
    assert_eq!(p.net.b.connection_count(), 0);
    let again = p.send(SYN, PEER_ISS, 0, &[]);
    assert_eq!(again.len(), 1, "still listening");
}

/// RFC 9293 3.9.2.2 (MUST-56): soft errors never abort a connection, opening or open; the
/// opening one still completes when its SYN gets through.
#[test]
pub(super) fn soft_errors_never_abort() {
    for v6 in [false, true] {
        let (mut net, ha, syn, ends) = opening(v6);
        for (msg, kind) in soft_errors(v6) {
            to_a(&mut net, &icmp_error(router(v6), ends, &syn, msg));
            assert_eq!(net.a.state(ha), State::SynSent, "{kind:?}");
            assert_eq!(
                net.a.info(ha).expect("info").icmp.map(|e| e.kind),
                Some(kind)
            );
        }
        let lh = net.b.listen(net.b_sock(80), None).expect("listen");
        net.clear_filter();
        assert!(net.run_until(Duration::from_secs(5), |n| n.b.accept_ready(lh) > 0));
        assert_eq!(net.a.state(ha), State::Established);
    }
}

/// RFC 9293 3.9.1.8 (MUST-47), 3.9.2.2 (SHLD-25): each soft error is reported to the
/// application as it arrives.
#[test]
pub(super) fn soft_errors_are_reported() {
    for v6 in [false, true] {
        let (mut net, ha, syn, ends) = opening(v6);
        for (msg, kind) in soft_errors(v6) {
            to_a(&mut net, &icmp_error(router(v6), ends, &syn, msg));
            let (icmp_type, code, _) = msg;
            let want = IcmpError {
                kind,
                hard: false,
                icmp_type,
                code,
                v6,
                from: router(v6),
            };
            assert_eq!(net.a.next_report(ha), Ok(Some(Report::Icmp(want))));
            assert_eq!(net.a.next_report(ha), Ok(None));
        }
    }
}

/// A connection with one data segment in flight (lost on the way to B): the net, A's
/// handle, that segment and the connection's sockets.
fn data_in_flight() -> (Net, SocketHandle, TcpHeader, (SocketAddr, SocketAddr)) {
    let (mut net, ha, _hb) = established();
    net.set_filter(|dir, _, _| match dir {
        Dir::AtoB => Fate::Drop,
        Dir::BtoA => Fate::Deliver,
    });
    net.a.send(net.now, ha, b"in flight").expect("send");
    net.run_for(MS);
    let seg = last_from(&net, Dir::AtoB);
    let ends = (net.a_sock(seg.src_port), net.b_sock(80));
    (net, ha, seg, ends)
}

/// RFC 5927 section 5.2 (and so SHLD-26 is followed only while opening): a hard error about
/// a segment of a synchronized connection is taken as a soft one, reported, not an abort.
#[test]
pub(super) fn a_hard_error_in_a_synchronized_state_is_soft() {
    let (mut net, ha, seg, ends) = data_in_flight();
    let port_unreachable = icmp_error(net.b_addr, ends, &seg, unreachable(false, 3));
    to_a(&mut net, &port_unreachable);
    assert_eq!(net.a.state(ha), State::Established);
    let report = net.a.next_report(ha).expect("report");
    let kind = match report {
        Some(Report::Icmp(e)) => Some((e.kind, e.hard)),
        _ => None,
    };
    assert_eq!(kind, Some((IcmpKind::PortUnreachable, true)));
}

/// RFC 5927 section 4.1: an error whose quoted sequence number is not in flight (below
/// SND.UNA, beyond SND.NXT) is ignored; one at SND.UNA is acted upon.
#[test]
pub(super) fn an_error_quoting_a_sequence_number_not_in_flight_is_ignored() {
    let (mut net, ha, syn, ends) = opening(false);
    for seq in [
        syn.seq.wrapping_sub(1),
        syn.seq.wrapping_add(2),
        syn.seq ^ 0x8000_0000,
    ] {
        let forged = TcpHeader { seq, ..syn };
        to_a(
            &mut net,
            &icmp_error(router(false), ends, &forged, unreachable(false, 3)),
        );
        assert_eq!(net.a.state(ha), State::SynSent, "quoted {seq}");
    }
    assert_eq!(net.a.stats().rx_icmp_ignored, 3);
    to_a(
        &mut net,
        &icmp_error(router(false), ends, &syn, unreachable(false, 3)),
    );
    assert_eq!(net.a.state(ha), State::Closed);
}

/// RFC 9293 3.9.2.2 (MUST-54): an error goes to the connection that sent the quoted segment,
/// told apart by its 4-tuple: of two connections between the same hosts only the one whose
/// ports the quote carries is affected; a quote no connection matches changes nothing.
#[test]
pub(super) fn an_error_goes_to_the_connection_that_sent_the_segment() {
    let (mut net, first, _, _) = opening(false);
    let second = net.a.connect(net.now, net.b_sock(81)).expect("connect");
    net.run_for(MS);
    let syn = net.seen.iter().rev().find(|s| s.dir == Dir::AtoB);
    let syn = syn.expect("second SYN").tcp;
    let ends = (net.a_sock(syn.src_port), net.b_sock(81));
    let stray = TcpHeader {
        dst_port: 82,
        ..syn
    };
    to_a(
        &mut net,
        &icmp_error(router(false), ends, &stray, unreachable(false, 3)),
    );
    assert_eq!(
        (net.a.state(first), net.a.state(second)),
        (State::SynSent, State::SynSent)
    );
    to_a(
        &mut net,
        &icmp_error(router(false), ends, &syn, unreachable(false, 3)),
    );
    assert_eq!(net.a.state(second), State::Closed);
    assert_eq!(net.a.state(first), State::SynSent);
}

/// RFC 9293 3.9.2.2 (MUST-55): a Source Quench is silently discarded: no report, no change
/// of the connection, nothing sent.
#[test]
pub(super) fn source_quench_is_silently_discarded() {
    let (mut net, ha, seg, ends) = data_in_flight();
    let before = net.a.info(ha).expect("info");
    let sent = net.seen.len();
    let quench = icmp_error(net.b_addr, ends, &seg, (4, 0, [0; 4]));
    to_a(&mut net, &quench);
    assert_eq!(net.a.next_report(ha), Ok(None));
    let after = net.a.info(ha).expect("info");
    assert_eq!(
        (after.cwnd, after.icmp, after.state),
        (before.cwnd, None, before.state)
    );
    assert_eq!(net.seen.len(), sent, "nothing sent");
    assert_eq!(net.a.stats().rx_icmp_ignored, 1);
}

/// RFC 1191 / RFC 8201: a Packet Too Big lowers the send MSS to the next-hop MTU (not below
/// the minimum MTU's) and what is in flight is sent again in smaller segments.
#[test]
fn packet_too_big_lowers_the_mss() {
    let (mut net, ha, seg, ends) = data_in_flight();
    assert_eq!(net.a.info(ha).expect("info").mss, 1460);
    net.a.send(net.now, ha, &pattern(4000)).expect("send");
    net.run_for(MS);
    let mtu = 1280u16.to_be_bytes();
    let too_big = icmp_error(router(false), ends, &seg, (3, 4, [0, 0, mtu[0], mtu[1]]));
    let sent = net.seen.len();
    to_a(&mut net, &too_big);
    assert_eq!(net.a.info(ha).expect("info").mss, 1240);
    let resent = net.seen[sent..]
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0);
    assert!(resent.clone().count() > 0 && resent.clone().all(|s| s.len <= 1240));
    assert_eq!(
        net.a.next_report(ha),
        Ok(None),
        "path MTU discovery is no error"
    );
    // An MTU below IPv4's minimum of 576 is raised to it.
    let tiny = icmp_error(router(false), ends, &seg, (3, 4, [0, 0, 0, 68]));
    to_a(&mut net, &tiny);
    assert_eq!(net.a.info(ha).expect("info").mss, 536);
    net.clear_filter();
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        net.a.info(ha).expect("info").send_queued,
        0,
        "all delivered"
    );
}

/// Malformed ICMP messages (a bad checksum, a quote too short to name the connection) are
/// counted and dropped; messages that are not errors about TCP are ignored.
#[test]
fn malformed_or_unrelated_icmp_is_dropped() {
    let (mut net, ha, syn, ends) = opening(false);
    let mut bad_sum = icmp_error(router(false), ends, &syn, unreachable(false, 3));
    bad_sum[22] ^= 0xff;
    to_a(&mut net, &bad_sum);
    let mut original = Vec::new();
    wire::build_packet(&mut original, ends.0.ip(), ends.1.ip(), &syn, &[], 1);
    let short = icmp_packet(
        router(false),
        ends.0.ip(),
        unreachable(false, 3),
        &original[..24],
    );
    to_a(&mut net, &short);
    assert_eq!(net.a.stats().rx_malformed, 2);
    let echo = icmp_error(router(false), ends, &syn, (8, 0, [0; 4]));
    to_a(&mut net, &echo);
    assert_eq!(net.a.stats().rx_not_tcp, 1);
    assert_eq!(net.a.state(ha), State::SynSent);
}
