//! Text and controls on a SYN (RFC 9293 sections 3.10.7.2 and 3.10.7.3): queued in LISTEN
//! and on a crossing SYN until ESTABLISHED is reached, processed at once on a SYN,ACK.

use super::*;

#[test]
fn text_on_a_syn_in_listen_is_queued_until_established() {
    // 3.10.7.2: RCV.NXT = SEG.SEQ+1, "any other control or text should be queued for
    // processing later": the SYN,ACK acknowledges the SYN only.
    let mut p = Peer::to_listener(fast_config());
    let reply = p.send(SYN, 1000, 0, b"hello");
    let y = reply[0].seq;
    assert_eq!(reply, [seg(SYN_ACK, y, 1001)]);
    let hb = p.net.b.pending(p.lh())[0];
    assert_eq!(p.info(hb).readable, 0);
    // The handshake's ACK: ESTABLISHED, then the queued text is processed as if it had just
    // arrived: delivered, RCV.NXT past it, acknowledged at once (held text now in order).
    assert_eq!(
        p.send(ACK, 1001, plus(y, 1), &[]),
        [seg(ACK, plus(y, 1), 1006)]
    );
    assert_eq!(p.net.b.accept(p.lh()), Ok(hb));
    assert_eq!(p.read(hb), b"hello");
    assert_eq!(p.wait(100 * MS), []);
}

#[test]
fn queued_syn_text_comes_before_the_text_of_the_handshake_ack() {
    let mut p = Peer::to_listener(fast_config());
    let y = p.send(SYN, 1000, 0, b"hello")[0].seq;
    // The peer's ACK carries the text after its SYN's.
    assert_eq!(
        p.send(PSH_ACK, 1006, plus(y, 1), b" world"),
        [seg(ACK, plus(y, 1), 1012)]
    );
    let hb = p.net.b.accept(p.lh()).expect("accept");
    assert_eq!(p.read(hb), b"hello world");
}

#[test]
fn fin_on_a_syn_in_listen_is_processed_once_established() {
    for text in [&b""[..], b"hi"] {
        let mut p = Peer::to_listener(fast_config());
        let y = p.send(SYN_FIN, 1000, 0, text)[0].seq;
        let hb = p.net.b.pending(p.lh())[0];
        assert_eq!(p.state(hb), State::SynReceived);
        // ESTABLISHED, then the queued text and FIN: CLOSE-WAIT, RCV.NXT past the FIN.
        let fin_ack = 1001 + text.len() as u32 + 1;
        assert_eq!(
            p.send(ACK, 1001, plus(y, 1), &[]),
            [seg(ACK, plus(y, 1), fin_ack)]
        );
        assert_eq!(p.state(hb), State::CloseWait);
        assert_eq!(p.read(hb), text);
        assert!(p.info(hb).eof);
    }
}

#[test]
fn syn_text_beyond_the_window_is_dropped() {
    // The queue is bounded by the window the SYN,ACK advertises (4 bytes here): the excess,
    // and the FIN after it, are dropped (the peer sends them again).
    let cb = Config {
        recv_buffer: 4,
        window_scaling: false,
        ..fast_config()
    };
    let mut p = Peer::to_listener(cb);
    let y = p.send(SYN_FIN, 1000, 0, b"0123456789")[0].seq;
    assert_eq!(last_from(&p.net, Dir::BtoA).window, 4);
    assert_eq!(
        p.send(ACK, 1001, plus(y, 1), &[]),
        [seg(ACK, plus(y, 1), 1005)]
    );
    let hb = p.net.b.accept(p.lh()).expect("accept");
    assert_eq!(p.state(hb), State::Established);
    assert_eq!(p.read(hb), b"0123");
}

#[test]
fn text_on_a_crossing_syn_is_processed_once_established() {
    // 3.10.7.3, SYN without ACK in SYN-SENT: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>;
    // "If there are other controls or text in the segment, queue them for processing after
    // the ESTABLISHED state has been reached".
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(p.send(SYN, 5000, 0, b"abc"), [seg(SYN_ACK, iss, 5001)]);
    assert_eq!(p.state(ha), State::SynReceived);
    assert_eq!(p.info(ha).readable, 0);
    // The peer's SYN,ACK (RFC 9293 figure 8, line 6) completes the handshake; the queued
    // text is delivered and acknowledged.
    assert_eq!(
        p.send(SYN_ACK, 5000, plus(iss, 1), &[]),
        [seg(ACK, plus(iss, 1), 5004)]
    );
    assert_eq!(p.state(ha), State::Established);
    assert_eq!(p.read(ha), b"abc");
}

#[test]
fn a_crossing_syn_ack_with_text_is_a_syn_in_a_synchronized_state() {
    // Figure 8's exception covers a SYN,ACK that only repeats the SYN; one that also carries
    // text is a SYN in SYN-RECEIVED after an active OPEN, handled "per the directions for
    // synchronized states" (3.10.7.4 fourth): RFC 5961 4.2's challenge ACK, and the segment is
    // dropped.
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(p.send(SYN, 5000, 0, &[]), [seg(SYN_ACK, iss, 5001)]);
    assert_eq!(
        p.send(SYN_ACK, 5000, plus(iss, 1), b"ab"),
        [seg(ACK, plus(iss, 1), 5001)]
    );
    assert_eq!(p.state(ha), State::SynReceived);
    assert_eq!(p.info(ha).readable, 0);
}

#[test]
fn fin_on_a_crossing_syn_is_processed_once_established() {
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(p.send(SYN_FIN, 5000, 0, b"ab"), [seg(SYN_ACK, iss, 5001)]);
    assert_eq!(p.state(ha), State::SynReceived);
    assert_eq!(
        p.send(SYN_ACK, 5000, plus(iss, 1), &[]),
        [seg(ACK, plus(iss, 1), 5004)]
    );
    assert_eq!(p.state(ha), State::CloseWait);
    assert_eq!(p.read(ha), b"ab");
    assert!(p.info(ha).eof);
}

#[test]
fn text_on_a_syn_ack_is_delivered_and_acknowledged_with_the_syn() {
    // 3.10.7.3: ESTABLISHED, send the ACK, and "if there are other controls or text in the
    // segment, then continue processing at the sixth step under Section 3.10.7.4". The stack
    // sends one ACK for the SYN and the text (synack-text-ack: combined).
    let (mut p, ha, iss) = Peer::to_syn_sent();
    assert_eq!(
        p.send(SYN_ACK, 5000, plus(iss, 1), b"hello"),
        [seg(ACK, plus(iss, 1), 5006)]
    );
    assert_eq!(p.state(ha), State::Established);
    assert_eq!(p.read(ha), b"hello");
    assert_eq!(p.wait(100 * MS), []);
}

#[test]
fn fin_on_a_syn_ack_enters_close_wait() {
    for text in [&b""[..], b"hi"] {
        let (mut p, ha, iss) = Peer::to_syn_sent();
        let fin_ack = 5001 + text.len() as u32 + 1;
        assert_eq!(
            p.send(Flags(SYN_ACK.0 | FIN.0), 5000, plus(iss, 1), text),
            [seg(ACK, plus(iss, 1), fin_ack)]
        );
        assert_eq!(p.state(ha), State::CloseWait);
        assert_eq!(p.read(ha), text);
        assert!(p.info(ha).eof);
    }
}

#[test]
fn syn_ack_text_beyond_the_syn_window_is_trimmed() {
    // The SYN advertised the window (unscaled, RFC 7323 section 2.2) the SYN,ACK's text may
    // fill: 4 bytes here. The rest, and the FIN after it, lie beyond it.
    let ca = Config {
        recv_buffer: 4,
        window_scaling: false,
        ..fast_config()
    };
    let mut net = Net::new(ca, fast_config());
    net.set_filter(|_, _, _| Fate::Drop);
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(MS);
    let syn = net.seen[0].tcp;
    assert_eq!(syn.window, 4);
    let read = net.seen.len();
    let mut p = Peer {
        net,
        to: Dir::BtoA,
        ports: (syn.dst_port, syn.src_port),
        listener: None,
        read,
    };
    let iss = syn.seq;
    assert_eq!(
        p.send(Flags(SYN_ACK.0 | FIN.0), 5000, plus(iss, 1), b"0123456789"),
        [seg(ACK, plus(iss, 1), 5005)]
    );
    assert_eq!(p.state(ha), State::Established);
    assert_eq!(p.read(ha), b"0123");
}
