//! The conformance vectors of RFC 9293's wire requirements (`vectors/scenario/`), each run
//! step by step against the stack with a peer played by hand and checked as the replayer
//! checks it: the same calls, the same segments in, the same fields asserted on the segments
//! out. The fault catalogue (`faults.rs`) runs each again with the requirement broken, so a
//! vector is shown to catch the break in the stack (the replayer cannot inject a test-only
//! fault into the stack it drives). Each test names its vector file.

use super::*;

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
