//! Opening: handshakes, refusals, simultaneous open, SYN retries, backlog, SYN-SENT and SYN-RECEIVED checks.

use super::*;

#[test]
fn three_way_handshake_v4_with_options() {
    let (net, _, _) = established();
    let syn = net.seen[0].tcp;
    assert_eq!(syn.flags, Flags::SYN);
    assert_eq!(syn.options.mss, Some(1460));
    assert!(syn.options.window_scale.is_some());
    let synack = net.seen[1].tcp;
    assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
    assert_eq!(synack.ack, syn.seq.wrapping_add(1));
    let ack = net.seen[2].tcp;
    assert_eq!(ack.flags, Flags::ACK);
    assert_eq!(ack.seq, syn.seq.wrapping_add(1));
    assert_eq!(ack.ack, synack.seq.wrapping_add(1));
}

#[test]
fn three_way_handshake_v6_mss() {
    let (net, ha, _) = established_with(fast_config(), fast_config(), true);
    assert_eq!(net.seen[0].tcp.options.mss, Some(1440));
    assert_eq!(net.a.info(ha).expect("info").mss, 1440);
}

#[test]
fn connect_to_closed_port_is_refused() {
    let mut net = Net::new(fast_config(), fast_config());
    let remote = net.b_sock(81);
    let ha = net.a.connect(net.now, remote).expect("connect");
    net.run_for(10 * MS);
    assert_eq!(net.a.state(ha), State::Closed);
    assert_eq!(net.a.info(ha).expect("info").error, Some(TcpError::Refused));
    let rst = last_from(&net, Dir::BtoA);
    // RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    assert_eq!(rst.flags, Flags::RST | Flags::ACK);
    assert_eq!(rst.ack, net.seen[0].tcp.seq.wrapping_add(1));
    assert_eq!(net.b.stats().tx_rst_no_socket, 1);
}

#[test]
fn simultaneous_open() {
    let mut net = Net::new(fast_config(), fast_config());
    let (a, b) = (net.a_sock(5000), net.b_sock(6000));
    // Both SYNs cross on the wire.
    let ha = net.a.connect_from(net.now, a, b).expect("a connect");
    let hb = net.b.connect_from(net.now, b, a).expect("b connect");
    net.run_for(MS / 2);
    net.run_for(MS);
    assert!(
        [net.a.state(ha), net.b.state(hb)].contains(&State::SynReceived)
            || net.a.state(ha) == State::Established
    );
    net.run_for(50 * MS);
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.state(hb), State::Established);
    // Each side sent SYN, then SYN,ACK (RFC 9293 figure 8).
    assert_eq!(
        count(&net, Dir::AtoB, |t, _| t.flags == Flags::SYN | Flags::ACK),
        1
    );
    assert_eq!(
        count(&net, Dir::BtoA, |t, _| t.flags == Flags::SYN | Flags::ACK),
        1
    );
    let got = transfer_a_to_b(&mut net, ha, hb, b"hello", Duration::from_secs(1));
    assert_eq!(got, b"hello");
}

#[test]
fn lost_syn_is_retransmitted_and_karn_skips_the_sample() {
    let ca = fast_config();
    let mut net = Net::new(ca.clone(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let mut first = true;
    net.set_filter(move |dir, t, _| {
        if dir == Dir::AtoB && t.flags == Flags::SYN && first {
            first = false;
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    let t0 = net.now;
    assert!(net.run_until(Duration::from_secs(2), |n| n.b.accept_ready(lh) > 0));
    let syns: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.tcp.flags == Flags::SYN)
        .collect();
    assert_eq!(syns.len(), 2);
    assert_eq!(syns[1].at.since(t0), ca.initial_rto);
    // Karn: the only round trip was of a retransmitted SYN: no RTT sample.
    assert_eq!(net.a.info(ha).expect("info").srtt, None);
}

#[test]
fn syn_retries_give_up_with_timeout_and_backoff() {
    let mut net = Net::new(fast_config(), fast_config());
    net.set_filter(|_, _, _| Fate::Drop);
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.a.state(ha), State::Closed);
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    let times: Vec<_> = net.seen.iter().map(|s| s.at).collect();
    assert_eq!(times.len(), 4, "SYN + 3 retries");
    let gaps: Vec<_> = times.windows(2).map(|w| w[1].since(w[0])).collect();
    assert_eq!(
        gaps,
        vec![
            Duration::from_millis(200),
            Duration::from_millis(400),
            Duration::from_millis(800)
        ]
    );
}

#[test]
fn syn_backlog_is_bounded() {
    // Without SYN cookies (with them, see tests::syncookies).
    let cb = Config {
        syn_cookies: false,
        ..fast_config()
    };
    let mut net = Net::new(fast_config(), cb);
    let lh = net.b.listen(net.b_sock(80), Some(2)).expect("listen");
    let mut hs = Vec::new();
    for _ in 0..3 {
        hs.push(net.a.connect(net.now, net.b_sock(80)).expect("connect"));
        net.run_for(10 * MS);
    }
    assert_eq!(net.b.accept_ready(lh), 2);
    assert_eq!(net.b.stats().syn_backlog_drops, 1);
    assert_eq!(net.a.state(hs[2]), State::SynSent);
    // Accepting one makes room; the third SYN's retransmission gets in.
    net.b.accept(lh).expect("accept");
    net.run_for(Duration::from_millis(500));
    assert_eq!(net.a.state(hs[2]), State::Established);
}

#[test]
fn ack_to_listener_gets_reset() {
    let mut net = Net::new(fast_config(), fast_config());
    net.b.listen(net.b_sock(80), None).expect("listen");
    let h = TcpHeader {
        src_port: 1234,
        dst_port: 80,
        seq: 1,
        ack: 777,
        flags: Flags::ACK,
        window: 1000,
        urgent: 0,
        options: TcpOptions::default(),
    };
    net.inject(Dir::AtoB, &h, &[]);
    net.run_for(MS);
    let rst = last_from(&net, Dir::BtoA);
    assert_eq!(rst.flags, Flags::RST);
    assert_eq!(rst.seq, 777);
}

#[test]
fn syn_sent_bad_ack_gets_reset_and_rst_needs_acceptable_ack() {
    let (mut net, ha, syn) = syn_sent();
    // ACK that does not acknowledge our SYN: <SEQ=SEG.ACK><CTL=RST>, still SYN-SENT.
    net.inject(
        Dir::BtoA,
        &reply_to(&syn, Flags::SYN | Flags::ACK, 7000, syn.seq.wrapping_add(5)),
        &[],
    );
    net.run_for(MS);
    let rst = last_from(&net, Dir::AtoB);
    assert_eq!(rst.flags, Flags::RST);
    assert_eq!(rst.seq, syn.seq.wrapping_add(5));
    assert_eq!(net.a.state(ha), State::SynSent);
    // RST without ACK, or with an unacceptable ACK: ignored.
    net.inject(Dir::BtoA, &reply_to(&syn, Flags::RST, 0, 0), &[]);
    net.inject(
        Dir::BtoA,
        &reply_to(&syn, Flags::RST | Flags::ACK, 0, syn.seq),
        &[],
    );
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::SynSent);
    // RST acknowledging the SYN: refused.
    net.inject(
        Dir::BtoA,
        &reply_to(&syn, Flags::RST | Flags::ACK, 0, syn.seq.wrapping_add(1)),
        &[],
    );
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::Closed);
    assert_eq!(net.a.info(ha).expect("info").error, Some(TcpError::Refused));
}

#[test]
fn close_in_syn_sent_deletes_the_tcb() {
    let (mut net, ha, _) = syn_sent();
    net.a.shutdown(net.now, ha).expect("close");
    assert_eq!(net.a.state(ha), State::Closed);
    let before = net.seen.len();
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.seen.len(), before, "no more SYNs");
}

#[test]
fn syn_received_bad_ack_gets_reset() {
    let mut net = Net::new(fast_config(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    // The test plays A by hand; A's stack must not answer B's segments with resets.
    net.set_filter(|dir, _, _| {
        if dir == Dir::BtoA {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let syn = TcpHeader {
        src_port: 40000,
        dst_port: 80,
        seq: 1000,
        ack: 0,
        flags: Flags::SYN,
        window: 8192,
        urgent: 0,
        options: TcpOptions::default(),
    };
    net.inject(Dir::AtoB, &syn, &[]);
    net.run_for(MS);
    let synack = last_from(&net, Dir::BtoA);
    assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
    let hb = net.b.pending(lh)[0];
    assert_eq!(net.b.state(hb), State::SynReceived);
    let bad = TcpHeader {
        seq: 1001,
        ack: synack.seq.wrapping_add(100),
        flags: Flags::ACK,
        ..syn
    };
    net.inject(Dir::AtoB, &bad, &[]);
    net.run_for(MS);
    let rst = last_from(&net, Dir::BtoA);
    assert_eq!(rst.flags, Flags::RST);
    assert_eq!(rst.seq, bad.ack);
    assert_eq!(net.b.state(hb), State::SynReceived);
    // A retransmitted SYN lies before RCV.NXT: RFC 9293 3.10.7.4 first step answers
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and drops it; the state stays SYN-RECEIVED.
    net.inject(Dir::AtoB, &syn, &[]);
    net.run_for(MS);
    let again = last_from(&net, Dir::BtoA);
    assert_eq!(
        (again.flags, again.seq, again.ack),
        (Flags::ACK, synack.seq.wrapping_add(1), 1001)
    );
    assert_eq!(net.b.state(hb), State::SynReceived);
    // RST at RCV.NXT returns to LISTEN: the embryonic connection is gone.
    net.inject(
        Dir::AtoB,
        &TcpHeader {
            seq: 1001,
            flags: Flags::RST,
            ack: 0,
            ..syn
        },
        &[],
    );
    net.run_for(MS);
    assert!(net.b.pending(lh).is_empty());
    assert_eq!(net.b.state(hb), State::Closed);
}

#[test]
fn pending_connections_are_visible_before_accept() {
    let mut net = Net::new(fast_config(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    // Drop A's handshake ACK so that B stays in SYN-RECEIVED.
    net.set_filter(|dir, t, _| {
        if dir == Dir::AtoB && t.flags == Flags::ACK {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(5 * MS);
    let pending = net.b.pending(lh);
    assert_eq!(pending.len(), 1);
    assert_eq!(net.b.state(pending[0]), State::SynReceived);
    let local = net.a.info(ha).expect("info").local;
    assert_eq!(net.b.lookup(net.b_sock(80), local), Some(pending[0]));
    net.clear_filter();
    // B retransmits SYN,ACK; A answers; B establishes.
    net.run_for(Duration::from_millis(500));
    assert_eq!(net.b.state(pending[0]), State::Established);
    assert_eq!(net.b.accept(lh), Ok(pending[0]));
}

#[test]
fn connection_reset_before_accept_is_still_accepted() {
    let mut net = Net::new(fast_config(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(10 * MS);
    assert_eq!(net.b.accept_ready(lh), 1);
    net.a.abort(ha).expect("abort");
    net.run_for(10 * MS);
    // Like Linux: accept returns the connection, which reports the reset.
    let hb = net.b.accept(lh).expect("accept");
    assert_eq!(net.b.state(hb), State::Closed);
    let mut buf = [0u8; 4];
    assert_eq!(net.b.recv(net.now, hb, &mut buf), Err(TcpError::Reset));
}

#[test]
fn repeated_syn_ack_in_simultaneous_open_needs_an_acceptable_ack() {
    // RFC 9293 section 3.5, simultaneous open: the peer's SYN,ACK repeats its SYN and
    // acknowledges ours, which completes the handshake. A repeat whose ACK is not acceptable
    // fails the sequence number check (3.10.7.4, first step): <SEQ=SND.NXT><ACK=RCV.NXT><ACK>.
    let (mut net, ha, syn) = syn_sent();
    net.inject(Dir::BtoA, &reply_to(&syn, Flags::SYN, 5000, 0), &[]);
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::SynReceived);
    for bad_ack in [syn.seq, syn.seq.wrapping_sub(1), syn.seq.wrapping_add(2)] {
        let before = net.seen.len();
        net.inject(
            Dir::BtoA,
            &reply_to(&syn, Flags::SYN | Flags::ACK, 5000, bad_ack),
            &[],
        );
        net.run_for(MS);
        let replies: Vec<_> = net.seen[before..]
            .iter()
            .filter(|s| s.dir == Dir::AtoB)
            .collect();
        assert_eq!(replies.len(), 1, "ack {bad_ack}");
        assert_eq!(
            (replies[0].tcp.flags, replies[0].tcp.seq, replies[0].tcp.ack),
            (Flags::ACK, syn.seq.wrapping_add(1), 5001),
            "ack {bad_ack}"
        );
        assert_eq!(net.a.state(ha), State::SynReceived);
    }
    net.inject(
        Dir::BtoA,
        &reply_to(&syn, Flags::SYN | Flags::ACK, 5000, syn.seq.wrapping_add(1)),
        &[],
    );
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::Established);
}

/// The stack under test (A connecting if `active`, else B listening) gets a hand-made SYN
/// (or SYN,ACK) without an MSS option from a peer the test plays, then sends 20000 bytes,
/// acknowledged by hand. Returns its send MSS and the largest data segment it sent.
fn largest_segment_after_a_syn_without_mss(v6: bool, active: bool) -> (u32, usize) {
    let mut net = if v6 {
        Net::new_v6(fast_config(), fast_config())
    } else {
        Net::new(fast_config(), fast_config())
    };
    // `out`: what the stack under test sends (lost: the other stack plays no part).
    let (out, back) = if active {
        (Dir::AtoB, Dir::BtoA)
    } else {
        (Dir::BtoA, Dir::AtoB)
    };
    net.set_filter(move |dir, _, _| {
        if dir == out {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let no_options = TcpOptions::default();
    assert_eq!(no_options.mss, None);
    let h = if active {
        let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
        net.run_for(MS);
        let syn = net.seen[0].tcp;
        assert_eq!(syn.flags, Flags::SYN);
        let synack = reply_to(&syn, Flags::SYN | Flags::ACK, 5000, syn.seq.wrapping_add(1));
        assert_eq!(synack.options, no_options);
        net.inject(back, &synack, &[]);
        net.run_for(MS);
        ha
    } else {
        let lh = net.b.listen(net.b_sock(80), None).expect("listen");
        let syn = TcpHeader {
            src_port: 40000,
            dst_port: 80,
            seq: 5000,
            ack: 0,
            flags: Flags::SYN,
            window: 8192,
            urgent: 0,
            options: no_options,
        };
        net.inject(back, &syn, &[]);
        net.run_for(MS);
        let synack = last_from(&net, out);
        assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
        let ack = TcpHeader {
            seq: 5001,
            ack: synack.seq.wrapping_add(1),
            flags: Flags::ACK,
            ..syn
        };
        net.inject(back, &ack, &[]);
        net.run_for(MS);
        net.b.accept(lh).expect("accept")
    };
    fn stack(net: &mut Net, active: bool) -> &mut crate::Stack {
        if active {
            &mut net.a
        } else {
            &mut net.b
        }
    }
    assert_eq!(stack(&mut net, active).state(h), State::Established);
    let now = net.now;
    assert_eq!(
        stack(&mut net, active).send(now, h, &pattern(20_000)),
        Ok(20_000)
    );
    let first = net.seen.iter().find(|s| s.dir == out).expect("sent").tcp;
    for _ in 0..200 {
        net.run_for(MS);
        if stack(&mut net, active).info(h).expect("info").send_queued == 0 {
            break;
        }
        let ack = TcpHeader {
            src_port: first.dst_port,
            dst_port: first.src_port,
            seq: 5001,
            ack: next_seq(&net, out),
            flags: Flags::ACK,
            window: 8192,
            urgent: 0,
            options: TcpOptions::default(),
        };
        net.inject(back, &ack, &[]);
    }
    net.run_for(MS);
    let info = stack(&mut net, active).info(h).expect("info");
    assert_eq!(info.send_queued, 0, "all data acknowledged");
    let largest = net
        .seen
        .iter()
        .filter(|s| s.dir == out)
        .map(|s| s.len)
        .max()
        .expect("data sent");
    (info.mss, largest)
}

#[test]
fn mss_defaults_to_536_without_the_option_v4() {
    // RFC 9293 section 3.7.1 (MUST-15): no MSS option received -> send MSS 536 for IPv4
    // (our own MSS, 1460, is larger and not the limit).
    for active in [false, true] {
        assert_eq!(
            largest_segment_after_a_syn_without_mss(false, active),
            (536, 536),
            "active open: {active}"
        );
    }
}

#[test]
fn mss_defaults_to_1220_without_the_option_v6() {
    // RFC 9293 section 3.7.1 (MUST-15): 1220 for IPv6 (the RFC 8200 minimum MTU of 1280
    // minus 60 bytes of headers); our own MSS, 1440, is larger.
    for active in [false, true] {
        assert_eq!(
            largest_segment_after_a_syn_without_mss(true, active),
            (1220, 1220),
            "active open: {active}"
        );
    }
}
