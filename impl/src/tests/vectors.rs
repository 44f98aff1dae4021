//! The conformance vectors of RFC 9293's wire requirements (`vectors/scenario/`), each run
//! step by step against the stack with a peer played by hand and checked as the replayer
//! checks it: the same calls, the same segments in, the same fields asserted on the segments
//! out. The fault catalogue (`faults.rs`) runs each again with the requirement broken, so a
//! vector is shown to catch the break in the stack (the replayer cannot inject a test-only
//! fault into the stack it drives). Each test names its vector file.

use super::*;
use crate::Report;
use std::net::IpAddr;

/// The stack's segments (A's) from `from` on in `net.seen`.
fn sent_by_a(net: &Net, from: usize) -> Vec<&crate::testnet::Seen> {
    net.seen[from..]
        .iter()
        .filter(|s| s.dir == Dir::AtoB)
        .collect()
}

/// `vectors/scenario/push-on-last-segment.yaml` (MUST-61, RFC 9293 3.9.1.2): connect, the
/// peer's SYN,ACK, the handshake's ACK, then `send: 1`: the segment that carries the octet
/// is `PA seq=iss+1 ack=irs+1 len=1`.
#[test]
pub(super) fn push_on_last_segment() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(
        p.send(SYN_ACK, PEER_ISS, plus(iss, 1), &[]),
        [seg(ACK, plus(iss, 1), PEER_ISS + 1)]
    );
    assert_eq!(p.state(ha), State::Established);
    let now = p.net.now;
    p.net.a.send(now, ha, b"x").expect("send");
    let out = p.wait(MS);
    assert_eq!(out.len(), 1, "{out:?}");
    let data = out[0];
    assert_eq!(
        (data.seq, data.ack, data.len),
        (plus(iss, 1), PEER_ISS + 1, 1)
    );
    assert_eq!(
        data.flags, PSH_ACK,
        "the last segment of the SEND carries PSH"
    );
}

/// `vectors/scenario/mss-only-on-syn.yaml` (MUST-65, RFC 9293 3.7.1): a whole active
/// connection (handshake, one octet sent and acknowledged, our FIN acknowledged, the peer's
/// FIN answered in TIME-WAIT): the SYN may carry the MSS option, no other segment does.
#[test]
pub(super) fn mss_only_on_syn() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    let from = p.read;
    let mut script = vec![p.send(SYN_ACK, PEER_ISS, plus(iss, 1), &[])];
    let now = p.net.now;
    p.net.a.send(now, ha, b"x").expect("send");
    script.push(p.wait(MS));
    script.push(p.send(ACK, PEER_ISS + 1, plus(iss, 2), &[]));
    let now = p.net.now;
    p.net.a.shutdown(now, ha).expect("close");
    script.push(p.wait(MS));
    script.push(p.send(ACK, PEER_ISS + 1, plus(iss, 3), &[]));
    assert_eq!(p.state(ha), State::FinWait2);
    script.push(p.send(FIN_ACK, PEER_ISS + 1, plus(iss, 3), &[]));
    assert_eq!(p.state(ha), State::TimeWait);
    let out: Vec<Line> = script.into_iter().flatten().collect();
    assert_eq!(
        out,
        [
            seg(ACK, plus(iss, 1), PEER_ISS + 1),
            Line {
                len: 1,
                ..seg(PSH_ACK, plus(iss, 1), PEER_ISS + 1)
            },
            seg(FIN_ACK, plus(iss, 2), PEER_ISS + 1),
            seg(ACK, plus(iss, 3), PEER_ISS + 2),
        ]
    );
    let segments = sent_by_a(&p.net, from);
    assert_eq!(segments.len(), 4);
    for s in segments {
        assert_eq!(
            s.tcp.options.mss, None,
            "an MSS option without SYN: {:?}",
            s.tcp
        );
    }
    assert!(p.net.seen[0].tcp.flags.contains(Flags::SYN));
    assert!(
        p.net.seen[0].tcp.options.mss.is_some(),
        "the SYN has its MSS"
    );
}

/// `vectors/scenario/syn-retransmitted-three-minutes.yaml` (MUST-23, RFC 9293 3.8.3) with the
/// stack's default configuration: nobody answers the SYN; until 180 s after connect the
/// connection stays SYN-SENT and everything it sends repeats its SYN.
#[test]
pub(super) fn syn_retransmitted_three_minutes() {
    let mut net = Net::new(Config::default(), Config::default());
    net.set_filter(|dir, _, _| {
        if dir == Dir::AtoB {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let start = net.now;
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(MS);
    let syn = net.seen[0].tcp;
    assert!(syn.flags.contains(Flags::SYN));
    while net.now.since(start) < Duration::from_secs(180) {
        assert_eq!(
            net.a.state(ha),
            State::SynSent,
            "stays SYN-SENT until 180 s (at {:?})",
            net.now.since(start)
        );
        net.run_for(Duration::from_millis(100));
    }
    assert_eq!(net.a.state(ha), State::SynSent);
    let sent = sent_by_a(&net, 0);
    assert!(sent.len() > 1, "the SYN is retransmitted");
    assert!(sent.iter().all(|s| s.tcp == syn), "only repeats of the SYN");
}

/// The peer's SYN,ACK to A's SYN in SYN-SENT (`send: {flags: SA, seq: irs, ack: iss+1}`),
/// answered by the handshake's ACK: the connection is ESTABLISHED.
fn handshake(p: &mut Peer, ha: SocketHandle, iss: u32) {
    assert_eq!(
        p.send(SYN_ACK, PEER_ISS, plus(iss, 1), &[]),
        [seg(ACK, plus(iss, 1), PEER_ISS + 1)]
    );
    assert_eq!(p.state(ha), State::Established);
}

/// Runs the net until the stack under test sends something (at most 5 s): the segments of
/// the first millisecond in which it did (a `timer` step and the `expect` after it).
fn until_sent(p: &mut Peer) -> Vec<Line> {
    for _ in 0..5000 {
        let out = p.wait(MS);
        if !out.is_empty() {
            return out;
        }
    }
    Vec::new()
}

/// An ICMP error `msg` from `from` about `quoted`, a segment A sent to the peer, handed to
/// A (an `icmp` step); what A sent in the next millisecond.
fn icmp_to_a(p: &mut Peer, from: IpAddr, quoted: &TcpHeader, msg: super::icmp::Msg) -> Vec<Line> {
    let ends = (p.net.a_sock(quoted.src_port), p.net.b_sock(quoted.dst_port));
    let packet = super::icmp::icmp_error(from, ends, quoted, msg);
    let now = p.net.now;
    p.net.a.receive(now, &packet);
    p.wait(MS)
}

/// `vectors/scenario/urgent-data-received.yaml` (MUST-30, MUST-32, RFC 9293 3.8.5): after the
/// handshake the peer sends one octet with URG and SEG.UP = 1: the application is told of
/// urgent data (`app: urgent`, the stack's `Report::Urgent`) before it reads the octet in the
/// stream (`app: {data: 1}`), which is acknowledged (`A seq=iss+1 ack=irs+2`).
#[test]
pub(super) fn urgent_data_received() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    handshake(&mut p, ha, iss);
    let mut out = p.send_urgent(ACK, PEER_ISS + 1, plus(iss, 1), Some(1), b"a");
    let mut told = false;
    while let Ok(Some(r)) = p.stack().next_report(ha) {
        told |= matches!(r, Report::Urgent { .. });
    }
    assert!(told, "the application is told of urgent data");
    assert_eq!(p.read(ha), b"a", "the urgent octet is in the stream");
    out.extend(p.wait(200 * MS));
    assert_eq!(out, [seg(ACK, plus(iss, 1), PEER_ISS + 2)]);
    assert_eq!(p.state(ha), State::Established);
}

/// `vectors/scenario/urgent-data-sent.yaml` (MUST-30, MUST-62, RFC 9293 3.8.5): after the
/// handshake the application sends one octet as urgent data: its segment is
/// `AU seq=iss+1 ack=irs+1 len=1` with SEG.UP = 1, the first octet after the urgent data.
#[test]
pub(super) fn urgent_data_sent() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    handshake(&mut p, ha, iss);
    let from = p.net.seen.len();
    let now = p.net.now;
    p.net.a.send_urgent(now, ha, b"x").expect("send urgent");
    let out = p.wait(MS);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        (out[0].seq, out[0].ack, out[0].len),
        (plus(iss, 1), PEER_ISS + 1, 1)
    );
    let sent = sent_by_a(&p.net, from);
    let urgent = sent[0].tcp;
    assert!(urgent.flags.contains(Flags::URG), "{:?}", urgent.flags);
    assert_eq!(
        urgent.urgent, 1,
        "SEG.SEQ + SEG.UP is the first non-urgent octet"
    );
    assert_eq!(p.state(ha), State::Established);
}

/// `vectors/scenario/icmp-port-unreachable-in-syn-sent.yaml` (MUST-54, SHLD-26, RFC 9293
/// 3.9.2.2): the peer's host answers the SYN with Destination Unreachable (port): the
/// connection is CLOSED, the application told it was refused (`app: refused`), and nothing
/// more is sent (`quiet`).
#[test]
pub(super) fn icmp_port_unreachable_in_syn_sent() {
    let (mut p, ha, _iss) = Peer::to_syn_sent();
    let syn = p.net.seen[0].tcp;
    let host = p.net.b_addr;
    let out = icmp_to_a(&mut p, host, &syn, super::icmp::unreachable(false, 3));
    assert_eq!(out, []);
    let info = p.info(ha);
    assert_eq!(info.state, State::Closed);
    assert_eq!(info.error, Some(TcpError::Refused));
    assert_eq!(p.wait(Duration::from_secs(5)), [], "quiet");
}

/// `vectors/scenario/icmp-host-unreachable-in-syn-sent.yaml` (MUST-56, RFC 9293 3.9.2.2): a
/// router answers the SYN with Destination Unreachable (host): the connection stays
/// SYN-SENT and its retransmission timer sends the SYN again.
#[test]
pub(super) fn icmp_host_unreachable_in_syn_sent() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    let syn = p.net.seen[0].tcp;
    let router = super::icmp::router(false);
    let out = icmp_to_a(&mut p, router, &syn, super::icmp::unreachable(false, 1));
    assert_eq!(out, []);
    assert_eq!(p.state(ha), State::SynSent);
    assert_eq!(until_sent(&mut p), [seg(SYN, iss, 0)]);
    assert_eq!(p.state(ha), State::SynSent);
}

/// `vectors/scenario/icmp-host-unreachable-in-established.yaml` (MUST-47, SHLD-25, MUST-56,
/// MUST-54, RFC 9293 3.9.2.2): a router answers the segment carrying the application's octet
/// with Destination Unreachable (host): the application is told (`app: unreachable`, the
/// stack's `Report::Icmp`), the connection stays ESTABLISHED and retransmits the octet.
#[test]
pub(super) fn icmp_host_unreachable_in_established() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    handshake(&mut p, ha, iss);
    let now = p.net.now;
    p.net.a.send(now, ha, b"x").expect("send");
    let data = p.wait(MS);
    assert_eq!(data.len(), 1, "{data:?}");
    let quoted = last_from(&p.net, Dir::AtoB);
    let router = super::icmp::router(false);
    let out = icmp_to_a(&mut p, router, &quoted, super::icmp::unreachable(false, 1));
    assert_eq!(out, []);
    let mut told = false;
    while let Ok(Some(r)) = p.stack().next_report(ha) {
        told |= matches!(r, Report::Icmp(_));
    }
    assert!(told, "the application is told of the soft error");
    assert_eq!(p.state(ha), State::Established);
    assert_eq!(until_sent(&mut p), data, "the octet again");
    assert_eq!(p.state(ha), State::Established);
}
