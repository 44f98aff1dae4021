//! TIME-WAIT (RFC 9293 section 3.10.7.4, RFC 1122 section 4.2.2.13, RFC 5961, RFC 1337):
//! the retransmitted FIN, RSTs, and a new SYN reopening the connection.

use super::*;
use crate::Timestamp;

/// B, having sent 5 bytes, closed first and the peer's FIN arrived: B is in TIME-WAIT with
/// SND.NXT = ISS+7 and RCV.NXT = 1002. Returns B's handle, its ISS and the moment TIME-WAIT
/// began.
fn time_wait_at_b() -> (Peer, SocketHandle, u32, Timestamp) {
    let (mut p, hb, y) = Peer::established(fast_config());
    let now = p.net.now;
    p.net.b.send(now, hb, b"hello").expect("send");
    p.net.b.shutdown(now, hb).expect("close");
    let sent = p.wait(MS);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1], seg(FIN_ACK, plus(y, 6), 1001));
    assert_eq!(p.send(ACK, 1001, plus(y, 7), &[]), []);
    assert_eq!(p.state(hb), State::FinWait2);
    let t0 = p.net.now;
    assert_eq!(
        p.send(FIN_ACK, 1001, plus(y, 7), &[]),
        [seg(ACK, plus(y, 7), 1002)]
    );
    assert_eq!(p.state(hb), State::TimeWait);
    (p, hb, y, t0)
}

#[test]
fn syn_beyond_rcv_nxt_reopens_with_an_iss_past_the_old_incarnation() {
    // RFC 1122 4.2.2.13 (time-wait-syn: reopens): a SYN with SEG.SEQ > RCV.NXT and a
    // listener on the port: the TIME-WAIT TCB goes, the listener takes the SYN, and the new
    // ISS is old SND.NXT + 65535 + 2 (as Linux), above every sequence number used before.
    let (mut p, hb, y) = {
        let (p, hb, y, _) = time_wait_at_b();
        (p, hb, y)
    };
    let reply = p.send(SYN, 5000, 0, &[]);
    assert_eq!(reply, [seg(SYN_ACK, plus(y, 7 + 65537), 5001)]);
    assert_eq!(p.state(hb), State::Closed);
    assert_eq!(p.net.b.stats().time_wait_reopened, 1);
    assert_eq!(
        p.send(ACK, 5001, plus(y, 7 + 65538), &[]),
        [],
        "the new incarnation is established"
    );
    let h2 = p.net.b.accept(p.lh()).expect("accept");
    assert_eq!(p.state(h2), State::Established);
}

#[test]
fn syn_not_beyond_rcv_nxt_or_without_listener_gets_a_challenge_ack() {
    // time-wait-syn: otherwise the SYN is handled as in any synchronized state: an RFC 5961
    // section 4.2 challenge ACK (or the first step's ACK for one before RCV.NXT).
    let (mut p, hb, y, _) = time_wait_at_b();
    let challenge = [seg(ACK, plus(y, 7), 1002)];
    for seq in [1002, 1001, 1000] {
        assert_eq!(p.send(SYN, seq, 0, &[]), challenge, "seq {seq}");
        assert_eq!(p.state(hb), State::TimeWait);
    }
    let now = p.net.now;
    let lh = p.lh();
    p.net.b.unlisten(now, lh);
    assert_eq!(p.send(SYN, 5000, 0, &[]), challenge);
    assert_eq!(p.state(hb), State::TimeWait);
    assert_eq!(p.net.b.stats().time_wait_reopened, 0);
}

#[test]
fn syn_for_a_full_backlog_leaves_time_wait_alone() {
    // The listener could not take the SYN: the old TCB stays and challenges it.
    let (mut p, hb, y, _) = time_wait_at_b();
    for port in 0..128 {
        let h = TcpHeader {
            src_port: 41000 + port,
            dst_port: 80,
            seq: 7,
            ack: 0,
            flags: SYN,
            window: 8192,
            urgent: 0,
            options: TcpOptions::default(),
        };
        p.net.inject(Dir::AtoB, &h, &[]);
    }
    p.wait(MS);
    assert_eq!(p.net.b.pending(p.lh()).len(), 128);
    assert_eq!(p.send(SYN, 5000, 0, &[]), [seg(ACK, plus(y, 7), 1002)]);
    assert_eq!(p.state(hb), State::TimeWait);
}

#[test]
fn rst_in_time_wait_exact_closes_and_in_window_is_challenged() {
    // rst-in-window-time-wait: challenge-ack (RFC 5961 section 3.2 in every synchronized
    // state); rst-in-time-wait: closes (RFC 9293 3.10.7.4, second step; RFC 1337 would
    // ignore it).
    let (mut p, hb, y, _) = time_wait_at_b();
    assert_eq!(p.send(RST, 1003, 0, &[]), [seg(ACK, plus(y, 7), 1002)]);
    assert_eq!(p.state(hb), State::TimeWait);
    assert_eq!(p.send(RST, 1001, 0, &[]), []);
    assert_eq!(p.state(hb), State::TimeWait);
    assert_eq!(p.send(RST, 1002, 0, &[]), []);
    assert_eq!(p.state(hb), State::Closed);
    assert_eq!(p.info(hb).error, None);
}

#[test]
fn only_the_retransmitted_fin_restarts_the_time_wait_timer() {
    // RFC 9293 3.10.7.4, TIME-WAIT: the retransmission of the peer's FIN (at RCV.NXT-1) is
    // acknowledged and restarts the 2 MSL timeout. Any other unacceptable FIN is only
    // answered (first step).
    let (mut p, hb, y, t0) = time_wait_at_b();
    p.wait(Duration::from_millis(500));
    for seq in [1002 + 10_000_000, 1000] {
        assert_eq!(
            p.send(FIN_ACK, seq, plus(y, 7), &[]),
            [seg(ACK, plus(y, 7), 1002)]
        );
    }
    assert!(p
        .net
        .run_until(Duration::from_secs(5), |n| n.b.state(hb) != State::TimeWait));
    assert_eq!(p.net.now.since(t0), Duration::from_secs(2), "2 MSL from t0");
    // The retransmitted FIN does restart it.
    let (mut p, hb, y, _) = time_wait_at_b();
    p.wait(Duration::from_millis(500));
    let t1 = p.net.now;
    assert_eq!(
        p.send(FIN_ACK, 1001, plus(y, 7), &[]),
        [seg(ACK, plus(y, 7), 1002)]
    );
    assert!(p
        .net
        .run_until(Duration::from_secs(5), |n| n.b.state(hb) != State::TimeWait));
    assert_eq!(p.net.now.since(t1), Duration::from_secs(2), "2 MSL from t1");
}

#[test]
fn text_and_fin_after_the_peer_fin_in_close_wait() {
    // RFC 9293 3.10.7.4, seventh step, CLOSE-WAIT: text "should not occur since a FIN has
    // been received" and is ignored. A FIN behind such text cannot be processed; like any
    // FIN out of order it is answered with <ACK=RCV.NXT> at once.
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(
        p.send(FIN_ACK, 1001, plus(y, 1), &[]),
        [seg(ACK, plus(y, 1), 1002)]
    );
    assert_eq!(p.state(hb), State::CloseWait);
    assert_eq!(p.send(PSH_ACK, 1002, plus(y, 1), b"x"), []);
    assert_eq!(
        p.send(FIN_ACK, 1002, plus(y, 1), b"x"),
        [seg(ACK, plus(y, 1), 1002)]
    );
    let info = p.info(hb);
    assert_eq!((info.state, info.readable), (State::CloseWait, 0));
}
