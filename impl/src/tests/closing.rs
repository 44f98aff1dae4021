//! Closing: orderly and simultaneous close, FIN retransmission, TIME-WAIT, abort, release, orphans.

use super::*;

#[test]
fn orderly_close_active_and_passive_sides() {
    let (mut net, ha, hb) = established();
    net.a.shutdown(net.now, ha).expect("close");
    assert_eq!(net.a.state(ha), State::FinWait1);
    net.run_for(10 * MS);
    assert_eq!(net.a.state(ha), State::FinWait2);
    assert_eq!(net.b.state(hb), State::CloseWait);
    let mut buf = [0u8; 10];
    assert_eq!(net.b.recv(net.now, hb, &mut buf), Ok(0), "end of stream");
    // Half-close: B can still send.
    let got = transfer_b_to_a(&mut net, hb, ha, b"late data", Duration::from_secs(1));
    assert_eq!(got, b"late data");
    net.b.shutdown(net.now, hb).expect("close");
    assert_eq!(net.b.state(hb), State::LastAck);
    net.run_for(10 * MS);
    assert_eq!(net.b.state(hb), State::Closed);
    assert_eq!(net.b.info(hb).expect("info").error, None);
    assert_eq!(net.a.state(ha), State::TimeWait);
    let entered = net.now;
    // TIME-WAIT lasts 2*MSL (here 2 s).
    net.run_until(Duration::from_secs(5), |n| n.a.state(ha) != State::TimeWait);
    let lasted = net.now.since(entered);
    assert!(
        lasted >= Duration::from_millis(1990) && lasted <= Duration::from_secs(2),
        "{lasted:?}"
    );
    assert_eq!(net.a.state(ha), State::Closed);
}

#[test]
fn simultaneous_close_goes_through_closing() {
    let (mut net, ha, hb) = established();
    net.a.shutdown(net.now, ha).expect("close a");
    net.b.shutdown(net.now, hb).expect("close b");
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::Closing);
    assert_eq!(net.b.state(hb), State::Closing);
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::TimeWait);
    assert_eq!(net.b.state(hb), State::TimeWait);
}

#[test]
fn fin_after_queued_data_and_lost_fin_is_retransmitted() {
    let (mut net, ha, hb) = established();
    let mut dropped = false;
    net.set_filter(move |dir, t, _| {
        if dir == Dir::AtoB && t.flags.contains(Flags::FIN) && !dropped {
            dropped = true;
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let data = pattern(10_000);
    net.a.send(net.now, ha, &data).expect("send");
    net.a.shutdown(net.now, ha).expect("close");
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.b.state(hb), State::CloseWait);
    let mut buf = vec![0u8; 20_000];
    let n = net.b.recv(net.now, hb, &mut buf).expect("data");
    assert!(buf[..n] == data[..]);
    assert_eq!(net.b.recv(net.now, hb, &mut buf), Ok(0));
    assert_eq!(
        count(&net, Dir::AtoB, |t, _| t.flags.contains(Flags::FIN)),
        2
    );
}

#[test]
fn retransmitted_fin_in_time_wait_is_acked_and_restarts_the_timer() {
    let (mut net, ha, hb) = established();
    net.a.shutdown(net.now, ha).expect("close");
    net.run_for(10 * MS);
    // Drop A's final ACK so that B retransmits its FIN.
    net.set_filter(|dir, t, _| {
        if dir == Dir::AtoB && t.flags == Flags::ACK {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.b.shutdown(net.now, hb).expect("close");
    net.run_for(10 * MS);
    assert_eq!(net.a.state(ha), State::TimeWait);
    assert_eq!(net.b.state(hb), State::LastAck);
    net.run_for(Duration::from_millis(900));
    let t_refin = net
        .seen
        .iter()
        .rev()
        .find(|s| s.dir == Dir::BtoA && s.tcp.flags.contains(Flags::FIN))
        .expect("fin")
        .at;
    assert!(count(&net, Dir::BtoA, |t, _| t.flags.contains(Flags::FIN)) >= 2);
    net.clear_filter();
    net.run_until(Duration::from_secs(10), |n| n.a.state(ha) == State::Closed);
    // 2*MSL counted again from the last retransmitted FIN, not from the first.
    assert!(net.now.since(t_refin) >= Duration::from_millis(1990));
}

#[test]
fn abort_sends_reset_and_peer_sees_it() {
    let (mut net, ha, hb) = established();
    net.a.abort(ha).expect("abort");
    assert_eq!(net.a.state(ha), State::Closed);
    net.run_for(10 * MS);
    let rst = last_from(&net, Dir::AtoB);
    assert_eq!(rst.flags, Flags::RST);
    assert_eq!(net.b.state(hb), State::Closed);
    assert_eq!(net.b.info(hb).expect("info").error, Some(TcpError::Reset));
    let mut buf = [0u8; 4];
    assert_eq!(net.b.recv(net.now, hb, &mut buf), Err(TcpError::Reset));
    assert_eq!(net.b.send(net.now, hb, b"x"), Err(TcpError::Reset));
}

#[test]
fn release_closes_gracefully_and_forgets() {
    let (mut net, ha, hb) = established();
    net.a.release(net.now, ha).expect("release");
    net.run_for(10 * MS);
    assert_eq!(net.b.state(hb), State::CloseWait);
    net.b.release(net.now, hb).expect("release");
    net.run_for(Duration::from_secs(3));
    assert_eq!(net.a.connection_count(), 0);
    assert_eq!(net.b.connection_count(), 0);
}

#[test]
fn orphaned_fin_wait_2_is_dropped_after_2msl() {
    let (mut net, ha, hb) = established();
    net.a.release(net.now, ha).expect("release");
    net.run_for(10 * MS);
    assert_eq!(net.a.state(ha), State::FinWait2);
    assert_eq!(net.b.state(hb), State::CloseWait);
    // B never closes; A's orphan gives up after 2*MSL (2 s here).
    net.run_for(Duration::from_millis(2100));
    assert_eq!(net.a.connection_count(), 0);
}

#[test]
fn new_syn_reopens_a_time_wait_connection() {
    let mut net = Net::new(fast_config(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let (a, b) = (net.a_sock(40000), net.b_sock(80));
    let ha = net.a.connect_from(net.now, a, b).expect("connect");
    net.run_for(10 * MS);
    let hb = net.b.accept(lh).expect("accept");
    // B closes first, so B ends in TIME-WAIT.
    net.b.shutdown(net.now, hb).expect("close b");
    net.run_for(10 * MS);
    net.a.shutdown(net.now, ha).expect("close a");
    net.run_for(10 * MS);
    assert_eq!(net.b.state(hb), State::TimeWait);
    assert_eq!(net.a.state(ha), State::Closed);
    net.a.release(net.now, ha).expect("release");
    // A reconnects from the same port; its new ISN is ahead of the old sequence space.
    net.run_for(100 * MS);
    let ha2 = net.a.connect_from(net.now, a, b).expect("reconnect");
    net.run_for(10 * MS);
    assert_eq!(net.a.state(ha2), State::Established);
    assert_eq!(net.b.stats().time_wait_reopened, 1);
    assert!(net.b.lookup(b, a).is_some());
    assert_eq!(net.b.pending(lh).len(), 1);
}

#[test]
fn close_in_syn_received_sends_fin_at_once() {
    let mut net = Net::new(fast_config(), fast_config());
    let (a, b) = (net.a_sock(5000), net.b_sock(6000));
    let ha = net.a.connect_from(net.now, a, b).expect("a connect");
    let hb = net.b.connect_from(net.now, b, a).expect("b connect");
    net.run_for(MS);
    assert_eq!(net.a.state(ha), State::SynReceived);
    assert_eq!(net.b.state(hb), State::SynReceived);
    let iss_a = net.seen[0].tcp.seq;
    // RFC 9293 3.10.4, SYN-RECEIVED: no data pending, so FIN now and FIN-WAIT-1.
    net.a.shutdown(net.now, ha).expect("close");
    assert_eq!(net.a.state(ha), State::FinWait1);
    net.run_for(Duration::ZERO);
    let fin = last_from(&net, Dir::AtoB);
    assert_eq!(fin.flags, Flags::ACK | Flags::FIN);
    assert_eq!(fin.seq, iss_a.wrapping_add(1));
    net.run_for(20 * MS);
    assert_eq!(net.a.state(ha), State::FinWait2);
    assert_eq!(net.b.state(hb), State::CloseWait);
    net.b.shutdown(net.now, hb).expect("close b");
    net.run_for(20 * MS);
    assert_eq!(net.a.state(ha), State::TimeWait);
    assert_eq!(net.b.state(hb), State::Closed);
    assert_eq!(net.b.info(hb).expect("info").error, None);
}

#[test]
fn fin_sent_in_syn_received_is_retransmitted_with_the_syn_ack() {
    let mut net = Net::new(fast_config(), fast_config());
    // B's SYN,ACKs never arrive, and A's first FIN is lost: A's SYN stays unacknowledged
    // until A's retransmission timer resends SYN,ACK and FIN together.
    let mut fin_dropped = false;
    net.set_filter(move |dir, t, _| match dir {
        Dir::BtoA if t.flags == Flags::SYN | Flags::ACK => Fate::Drop,
        Dir::AtoB if t.flags.contains(Flags::FIN) && !fin_dropped => {
            fin_dropped = true;
            Fate::Drop
        }
        _ => Fate::Deliver,
    });
    let (a, b) = (net.a_sock(5000), net.b_sock(6000));
    let ha = net.a.connect_from(net.now, a, b).expect("a connect");
    let hb = net.b.connect_from(net.now, b, a).expect("b connect");
    net.run_for(MS);
    net.a.shutdown(net.now, ha).expect("close");
    assert_eq!(net.a.state(ha), State::FinWait1);
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.a.state(ha), State::FinWait2);
    assert_eq!(net.b.state(hb), State::CloseWait);
    assert!(count(&net, Dir::AtoB, |t, _| t.flags == Flags::SYN | Flags::ACK) >= 2);
    assert!(count(&net, Dir::AtoB, |t, _| t.flags.contains(Flags::FIN)) >= 2);
}

/// B in CLOSE-WAIT after A's FIN; returns the sequence number of A's FIN as B saw it.
fn close_wait_at_b() -> (Net, SocketHandle, SocketHandle, u32) {
    let (mut net, ha, hb) = established();
    net.a.shutdown(net.now, ha).expect("close a");
    net.run_for(10 * MS);
    assert_eq!(net.b.state(hb), State::CloseWait);
    let fin = last_from(&net, Dir::AtoB);
    assert!(fin.flags.contains(Flags::FIN));
    (net, ha, hb, fin.seq)
}

#[test]
fn fin_at_rcv_nxt_after_the_peer_fin_is_acknowledged_in_close_wait() {
    // RFC 9293 3.10.7.4, eighth step: a FIN at RCV.NXT advances RCV.NXT over it and is
    // acknowledged; CLOSE-WAIT "remains in the CLOSE-WAIT state".
    let (mut net, _ha, hb, x) = close_wait_at_b();
    let again = TcpHeader {
        seq: x.wrapping_add(1),
        ..last_from(&net, Dir::AtoB)
    };
    net.inject(Dir::AtoB, &again, &[]);
    net.run_for(MS);
    let ack = last_from(&net, Dir::BtoA);
    assert_eq!((ack.flags, ack.ack), (Flags::ACK, x.wrapping_add(2)));
    assert_eq!(net.b.state(hb), State::CloseWait);
}

#[test]
fn out_of_order_fin_in_close_wait_gets_an_immediate_duplicate_ack() {
    // RFC 5681 section 4.2: an out-of-order segment is answered at once with a duplicate ACK;
    // the FIN beyond RCV.NXT is not processed (RFC 9293 3.10.7.4).
    let (mut net, _ha, hb, x) = close_wait_at_b();
    let ahead = TcpHeader {
        seq: x.wrapping_add(2),
        ..last_from(&net, Dir::AtoB)
    };
    let before = net.seen.len();
    net.inject(Dir::AtoB, &ahead, &[]);
    net.run_for(MS);
    let replies: Vec<_> = net.seen[before..]
        .iter()
        .filter(|s| s.dir == Dir::BtoA)
        .collect();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        (replies[0].tcp.flags, replies[0].tcp.ack),
        (Flags::ACK, x.wrapping_add(1))
    );
    assert_eq!(net.b.state(hb), State::CloseWait);
    // Text alone beyond RCV.NXT is ignored in CLOSE-WAIT (seventh step): no reply.
    let data = TcpHeader {
        flags: Flags::ACK,
        ..ahead
    };
    let before = net.seen.len();
    net.inject(Dir::AtoB, &data, b"x");
    net.run_for(MS);
    assert_eq!(net.seen.len(), before + 1, "only the injected segment");
}

#[test]
fn fin_in_last_ack_that_does_not_ack_ours_is_still_processed() {
    // RFC 9293 3.10.7.4, fifth step, LAST-ACK: only an ACK of our FIN ends processing
    // ("delete the TCB ... and return"); otherwise the eighth step acknowledges a FIN.
    let (mut net, _ha, hb, x) = close_wait_at_b();
    // B's FIN never reaches A.
    net.set_filter(|dir, t, _| {
        if dir == Dir::BtoA && t.flags.contains(Flags::FIN) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.b.shutdown(net.now, hb).expect("close b");
    net.run_for(MS);
    assert_eq!(net.b.state(hb), State::LastAck);
    let b_fin = last_from(&net, Dir::BtoA);
    let fin = TcpHeader {
        seq: x.wrapping_add(1),
        ack: b_fin.seq,
        ..last_from(&net, Dir::AtoB)
    };
    net.inject(Dir::AtoB, &fin, &[]);
    net.run_for(MS);
    let ack = last_from(&net, Dir::BtoA);
    assert_eq!((ack.flags, ack.ack), (Flags::ACK, x.wrapping_add(2)));
    assert_eq!(net.b.state(hb), State::LastAck);
}
