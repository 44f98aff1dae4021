//! RFC 5961 and the acceptability test of RFC 9293 section 3.10.7.4.

use super::*;

#[test]
fn rst_exact_in_window_and_outside() {
    let (mut net, _ha, hb) = established();
    let exact = forged(&net, Flags::RST, 0, Some(0));
    let far = forged(&net, Flags::RST, 5_000_000, Some(0));
    // In window but not RCV.NXT: challenge ACK, connection stays (RFC 5961 section 3.2).
    let before = net.seen.len();
    net.inject(Dir::AtoB, &forged(&net, Flags::RST, 100, Some(0)), &[]);
    net.run_for(MS);
    assert_eq!(net.b.state(hb), State::Established);
    let reply: Vec<_> = net.seen[before..]
        .iter()
        .filter(|s| s.dir == Dir::BtoA)
        .collect();
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].tcp.flags, Flags::ACK);
    assert_eq!(net.b.stats().challenge_acks, 1);
    // Outside the window: silently dropped.
    let before = net.seen.len();
    net.inject(Dir::AtoB, &far, &[]);
    net.run_for(MS);
    assert_eq!(net.b.state(hb), State::Established);
    assert_eq!(net.seen.len(), before + 1, "only the injected RST");
    // Exactly RCV.NXT: reset.
    net.inject(Dir::AtoB, &exact, &[]);
    net.run_for(MS);
    assert_eq!(net.b.state(hb), State::Closed);
    assert_eq!(net.b.info(hb).expect("info").error, Some(TcpError::Reset));
}

#[test]
fn syn_on_established_connection_gets_challenge_ack() {
    let (mut net, _ha, hb) = established();
    let base = forged(&net, Flags::SYN, 0, Some(0));
    for delta in [0u32, 1000, 0x8000_0000] {
        let before = net.seen.len();
        let h = TcpHeader {
            seq: base.seq.wrapping_add(delta),
            ..base
        };
        net.inject(Dir::AtoB, &h, &[]);
        net.run_for(MS);
        assert_eq!(net.b.state(hb), State::Established);
        let reply = &net.seen[before + 1..];
        assert_eq!(reply.len(), 1, "delta {delta}");
        assert_eq!(reply[0].tcp.flags, Flags::ACK);
    }
}

#[test]
pub(super) fn unacceptable_segment_is_answered_with_ack() {
    let (mut net, _ha, hb) = established();
    let before = net.seen.len();
    // Old data entirely before RCV.NXT.
    net.inject(Dir::AtoB, &forged(&net, Flags::ACK, -100, None), b"old");
    net.run_for(MS);
    let reply = &net.seen[before + 1..];
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].tcp.flags, Flags::ACK);
    assert_eq!(net.b.info(hb).expect("info").readable, 0);
}

#[test]
fn ack_of_unsent_data_is_answered_and_dropped() {
    let (mut net, _ha, hb) = established();
    let last_b = last_from(&net, Dir::BtoA);
    let before = net.seen.len();
    let h = forged(&net, Flags::ACK, 0, Some(last_b.seq.wrapping_add(10_000)));
    net.inject(Dir::AtoB, &h, b"data");
    net.run_for(100 * MS);
    let reply = &net.seen[before + 1..];
    assert_eq!(reply.len(), 1);
    assert_eq!(
        reply[0].tcp.ack, h.seq,
        "data of the bad segment not accepted"
    );
    assert_eq!(net.b.info(hb).expect("info").readable, 0);
}

#[test]
fn blind_old_ack_gets_challenge_ack() {
    let (mut net, _ha, hb) = established();
    let last_b = last_from(&net, Dir::BtoA);
    let h = forged(
        &net,
        Flags::ACK,
        0,
        Some(last_b.seq.wrapping_sub(3_000_000)),
    );
    net.inject(Dir::AtoB, &h, b"data");
    net.run_for(MS);
    assert_eq!(net.b.stats().challenge_acks, 1);
    assert_eq!(net.b.info(hb).expect("info").readable, 0);
}

#[test]
fn challenge_acks_are_rate_limited() {
    let cb = Config {
        challenge_ack_limit: 5,
        ..fast_config()
    };
    let (mut net, _ha, hb) = established_with(fast_config(), cb, false);
    let base = forged(&net, Flags::RST, 100, Some(0));
    for _ in 0..20 {
        net.inject(Dir::AtoB, &base, &[]);
    }
    net.run_for(MS);
    let s = net.b.stats();
    assert_eq!(s.challenge_acks, 5);
    assert_eq!(s.challenge_acks_suppressed, 15);
    // A second later the budget is back.
    net.run_for(Duration::from_secs(1));
    net.inject(Dir::AtoB, &base, &[]);
    net.run_for(MS);
    assert_eq!(net.b.stats().challenge_acks, 6);
    assert_eq!(net.b.state(hb), State::Established);
}

#[test]
fn zero_window_still_accepts_the_ack_of_a_data_segment() {
    let cb = Config {
        recv_buffer: 4096,
        window_scaling: false,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(fast_config(), cb, false);
    net.a.send(net.now, ha, &pattern(4096)).expect("fill B");
    net.run_for(100 * MS);
    assert_eq!(net.b.info(hb).expect("info").readable, 4096);
    assert_eq!(last_from(&net, Dir::BtoA).window, 0);
    // B sends; A's pure ACKs are lost, so B's data stays unacknowledged.
    net.set_filter(|dir, _, len| {
        if dir == Dir::AtoB && len == 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.b.send(net.now, hb, b"hello").expect("send");
    net.run_for(100 * MS);
    assert_eq!(net.b.info(hb).expect("info").send_queued, 5);
    // A data segment at RCV.NXT into B's zero window: its text is dropped, its ACK is not.
    let h = forged(&net, Flags::ACK | Flags::PSH, 0, None);
    net.inject(Dir::AtoB, &h, b"0123456789");
    net.run_for(MS);
    let info = net.b.info(hb).expect("info");
    assert_eq!(info.send_queued, 0, "the ACK was processed");
    assert_eq!(info.readable, 4096, "the text was not");
    assert_eq!(last_from(&net, Dir::BtoA).ack, h.seq);
}

#[test]
fn ack_of_unsent_data_is_a_throttled_challenge_ack() {
    let cb = Config {
        challenge_ack_limit: 3,
        ..fast_config()
    };
    let (mut net, _ha, hb) = established_with(fast_config(), cb, false);
    let last = last_from(&net, Dir::AtoB);
    // SEG.ACK > SND.NXT: RFC 5961 section 5.2 answers with a (challenge) ACK and drops it.
    let h = forged(&net, Flags::ACK, 0, Some(last.ack.wrapping_add(1000)));
    let before = net.seen.len();
    for _ in 0..10 {
        net.inject(Dir::AtoB, &h, b"data");
    }
    net.run_for(MS);
    let replies = net.seen[before..]
        .iter()
        .filter(|s| s.dir == Dir::BtoA)
        .count();
    assert_eq!(replies, 3, "only the section 7 budget is answered");
    let s = net.b.stats();
    assert_eq!((s.challenge_acks, s.challenge_acks_suppressed), (3, 7));
    let info = net.b.info(hb).expect("info");
    assert_eq!(info.readable, 0, "the segments were dropped, text and all");
    assert_eq!(info.state, State::Established);
}

#[test]
fn rst_text_counts_in_seg_len_and_is_not_delivered() {
    // RFC 1122 4.2.2.12: a RST may carry (diagnostic) text; it is processed as a RST and the
    // text is not delivered. RFC 9293 3.10.7.4 counts the text in SEG.LEN: a RST at
    // RCV.NXT-1 with 2 bytes ends inside the window, so it is acceptable but not exact: an
    // RFC 5961 section 3.2 challenge ACK.
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(p.send(RST, 1000, 0, b"no"), [seg(ACK, plus(y, 1), 1001)]);
    assert_eq!(p.net.b.stats().challenge_acks, 1);
    // With 1 byte it lies wholly before RCV.NXT: unacceptable, and a RST is never answered.
    assert_eq!(p.send(RST, 1000, 0, b"n"), []);
    assert_eq!(p.state(hb), State::Established);
    // Exactly at RCV.NXT: reset; the text is not delivered.
    assert_eq!(p.send(RST, 1001, 0, b"bye"), []);
    assert_eq!(p.state(hb), State::Closed);
    let info = p.info(hb);
    assert_eq!((info.error, info.readable), (Some(TcpError::Reset), 0));
}

/// RFC 9293 3.4 (MUST-66): a RST is processed even with a zero receive window.
#[test]
pub(super) fn rst_with_text_into_a_zero_window_resets() {
    // RFC 9293 3.10.7.4, first step: with RCV.WND = 0 no segment with text is acceptable,
    // "but special allowance should be made to accept valid ACKs, URGs, and RSTs".
    let (mut p, hb, y) = Peer::established(Config {
        recv_buffer: 4,
        window_scaling: false,
        ..fast_config()
    });
    assert_eq!(p.send(PSH_ACK, 1001, plus(y, 1), b"full"), []);
    assert_eq!(p.send(RST, 1005, 0, b"diagnostic"), []);
    assert_eq!(p.state(hb), State::Closed);
    assert_eq!(p.info(hb).error, Some(TcpError::Reset));
}

#[test]
fn syn_fin_in_a_synchronized_state_gets_a_challenge_ack() {
    // The fourth step (SYN: RFC 5961 section 4.2 challenge ACK) comes before the FIN.
    let (mut p, hb, y) = Peer::established(fast_config());
    let challenge = [seg(ACK, plus(y, 1), 1001)];
    let syn_fin_ack = Flags(SYN_FIN.0 | ACK.0);
    for (i, (flags, seq, text)) in [
        (SYN_FIN, 1001, &b""[..]),
        (syn_fin_ack, 1001, b"abc"),
        (SYN_FIN, 1500, b""),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(p.send(flags, seq, plus(y, 1), text), challenge, "{flags:?}");
        assert_eq!(p.net.b.stats().challenge_acks, i as u64 + 1);
    }
    let info = p.info(hb);
    assert_eq!((info.state, info.readable), (State::Established, 0));
}

#[test]
fn fin_without_ack_is_dropped_after_the_sequence_check() {
    // RFC 9293 3.10.7.4, fifth step: "if the ACK bit is off drop the segment and return".
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(p.send(FIN, 1001, 0, &[]), []);
    assert_eq!(p.send(FIN, 1001, 0, b"abc"), []);
    assert_eq!(p.send(Flags(FIN.0 | Flags::PSH.0), 1001, 0, b"abc"), []);
    let info = p.info(hb);
    assert_eq!((info.state, info.readable), (State::Established, 0));
    // An old one fails the sequence check first: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    assert_eq!(p.send(FIN, 1000, 0, &[]), [seg(ACK, plus(y, 1), 1001)]);
}

#[test]
fn fin_without_ack_in_syn_received_is_dropped() {
    let mut p = Peer::to_listener(fast_config());
    let y = p.send(SYN, 1000, 0, &[])[0].seq;
    let hb = p.net.b.pending(p.lh())[0];
    assert_eq!(p.send(FIN, 1001, 0, b"abc"), []);
    assert_eq!(p.state(hb), State::SynReceived);
    // With the ACK: ESTABLISHED, text, FIN: CLOSE-WAIT.
    assert_eq!(
        p.send(FIN_ACK, 1001, plus(y, 1), b"abc"),
        [seg(ACK, plus(y, 1), 1005)]
    );
    assert_eq!(p.state(hb), State::CloseWait);
    assert_eq!(p.read(hb), b"abc");
}

#[test]
fn acknowledgment_classes_of_a_text_segment() {
    // B has 10 bytes in flight: SND.UNA = ISS+1, SND.NXT = ISS+11.
    let (mut p, hb, y) = Peer::established(fast_config());
    let now = p.net.now;
    p.net.b.send(now, hb, b"0123456789").expect("send");
    let data = p.wait(MS);
    assert_eq!(data.len(), 1);
    let (una, nxt) = (plus(y, 1), plus(y, 11));
    // SND.NXT+1 acknowledges something not yet sent: a challenge ACK, the segment (text
    // and all) dropped (RFC 5961 section 5.2).
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(nxt, 1), b"a"),
        [seg(ACK, nxt, 1001)]
    );
    assert_eq!(p.info(hb).readable, 0);
    // SND.UNA-1 and SND.UNA: old but within MAX.SND.WND: acceptable, the text is taken.
    assert_eq!(p.send(PSH_ACK, 1001, una.wrapping_sub(1), b"a"), []);
    assert_eq!(p.send(PSH_ACK, 1002, una, b"b"), []);
    assert_eq!(p.info(hb).send_queued, 10);
    // SND.NXT: everything is acknowledged.
    assert_eq!(p.send(PSH_ACK, 1003, nxt, b"c"), []);
    assert_eq!(p.info(hb).send_queued, 0);
    assert_eq!(p.read(hb), b"abc");
}
