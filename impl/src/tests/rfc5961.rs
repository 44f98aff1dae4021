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
fn unacceptable_segment_is_answered_with_ack() {
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
