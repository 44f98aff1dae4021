//! Data transfer: bulk, window scaling, MSS, loss and reordering, fast retransmit, NewReno, RTO, delayed ACK, zero window, SWS, TSO.

use super::*;

#[test]
fn bulk_both_ways_v4() {
    let (mut net, ha, hb) = established();
    let data = pattern(2_000_000);
    let got = transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(60));
    assert!(got == data, "A->B bytes differ");
    let got = transfer_b_to_a(&mut net, hb, ha, &data, Duration::from_secs(60));
    assert!(got == data, "B->A bytes differ");
    assert_eq!(net.a.stats().retransmits, 0);
}

#[test]
fn bulk_v6() {
    let (mut net, ha, hb) = established_with(fast_config(), fast_config(), true);
    let data = pattern(300_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(60)) == data);
}

#[test]
fn window_scaling_lets_more_than_64k_fly() {
    let (mut net, ha, hb) = established();
    net.latency = 20 * MS;
    let data = pattern(3_000_000);
    // Let the sender run ahead before the receiver reads anything.
    let mut sent = 0;
    while let Ok(n) = net.a.send(net.now, ha, &data[sent..]) {
        sent += n;
    }
    net.run_for(Duration::from_millis(400));
    let info = net.a.info(ha).expect("info");
    let in_flight_limit = info.cwnd;
    assert!(in_flight_limit > 65535, "cwnd {in_flight_limit}");
    let unacked = sent - info.send_queued;
    assert!(unacked > 65535 || info.send_queued < sent, "nothing moved");
    let max_window = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::BtoA && !s.tcp.flags.contains(Flags::SYN))
        .map(|s| u64::from(s.tcp.window) << 4)
        .max()
        .expect("acks");
    assert!(max_window > 65535, "scaled window {max_window}");
    let rest = transfer_a_to_b(&mut net, ha, hb, &data[..0], Duration::ZERO);
    assert!(rest.is_empty());
}

#[test]
fn peer_mss_limits_segment_size() {
    let cb = Config {
        mtu: 576,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(fast_config(), cb, false);
    let data = pattern(20_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(5)) == data);
    let biggest = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB)
        .map(|s| s.len)
        .max();
    assert_eq!(biggest, Some(536));
}

#[test]
fn loss_and_reordering_are_repaired() {
    let (mut net, ha, hb) = established();
    let mut n = 0u32;
    net.set_filter(move |_, _, len| {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let r = (n >> 16) % 100;
        if len > 0 && r < 3 {
            Fate::Drop
        } else if r < 8 {
            Fate::Delay(Duration::from_millis(u64::from(r) + 1))
        } else {
            Fate::Deliver
        }
    });
    let data = pattern(1_000_000);
    let got = transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(120));
    assert!(
        got == data,
        "bytes differ after loss/reorder ({} of {})",
        got.len(),
        data.len()
    );
    let got = transfer_b_to_a(&mut net, hb, ha, &data, Duration::from_secs(120));
    assert!(got == data, "bytes differ after loss/reorder B->A");
    let s = net.a.stats();
    assert!(s.retransmits > 0);
    assert!(s.fast_retransmits > 0, "{s:?}");
}

#[test]
fn single_loss_is_fast_retransmitted_without_timeout() {
    let (mut net, ha, hb) = established();
    let mut data_segments = 0;
    net.set_filter(move |dir, _, len| {
        if dir == Dir::AtoB && len > 0 {
            data_segments += 1;
            if data_segments == 20 {
                return Fate::Drop;
            }
        }
        Fate::Deliver
    });
    let data = pattern(200_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(10)) == data);
    let s = net.a.stats();
    assert_eq!(s.fast_retransmits, 1);
    assert_eq!(s.rto_expiries, 0);
    assert_eq!(s.retransmits, 1);
    // Three duplicate ACKs preceded the retransmission.
    let lost_seq = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.fate == Fate::Drop)
        .map(|s| s.tcp.seq)
        .next()
        .expect("dropped");
    assert!(count(&net, Dir::BtoA, |t, _| t.ack == lost_seq) >= 4);
}

#[test]
fn retransmission_timeout_backs_off_and_gives_up() {
    let (mut net, ha, _hb) = established();
    net.set_filter(|dir, _, _| {
        if dir == Dir::AtoB {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.a.send(net.now, ha, b"are you there?").expect("send");
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.a.state(ha), State::Closed);
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    let times: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0)
        .map(|s| s.at)
        .collect();
    assert_eq!(times.len(), 6, "original + max_retries");
    let gaps: Vec<_> = times.windows(2).map(|w| w[1].since(w[0])).collect();
    for w in gaps.windows(2) {
        assert!(
            w[1] >= w[0] * 2 || w[1] == Duration::from_secs(4),
            "{gaps:?}"
        );
    }
}

#[test]
fn delayed_ack_waits_for_the_timer_or_the_second_segment() {
    let (mut net, ha, _hb) = established();
    let before = net.seen.len();
    net.a.send(net.now, ha, b"x").expect("send");
    let sent_at = net.now;
    net.run_for(Duration::from_millis(100));
    let acks: Vec<_> = net.seen[before..]
        .iter()
        .filter(|s| s.dir == Dir::BtoA)
        .collect();
    assert_eq!(acks.len(), 1);
    // One segment: ACKed after the 40 ms delayed-ACK timer (plus 1 ms latency).
    assert_eq!(acks[0].at.since(sent_at), Duration::from_millis(41));
    // Two full segments: ACKed at once.
    let before = net.seen.len();
    net.a.send(net.now, ha, &pattern(2920)).expect("send");
    let sent_at = net.now;
    net.run_for(Duration::from_millis(100));
    let acks: Vec<_> = net.seen[before..]
        .iter()
        .filter(|s| s.dir == Dir::BtoA)
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].at.since(sent_at), Duration::from_millis(1));
}

#[test]
fn zero_window_is_probed_and_reopens() {
    let cb = Config {
        recv_buffer: 4096,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(fast_config(), cb, false);
    let data = pattern(20_000);
    let mut sent = 0;
    while let Ok(n) = net.a.send(net.now, ha, &data[sent..]) {
        sent += n;
    }
    net.run_for(Duration::from_secs(3));
    // B's buffer is full and advertised zero; A probes rather than giving up.
    assert_eq!(net.b.info(hb).expect("info").readable, 4096);
    assert_eq!(last_from(&net, Dir::BtoA).window, 0);
    let probes = count(&net, Dir::AtoB, |t, len| len == 0 && t.flags == Flags::ACK);
    assert!(probes >= 2, "probes {probes}");
    assert_eq!(net.a.state(ha), State::Established);
    // Reading reopens the window; everything queued arrives.
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1000];
    let end = net.now + Duration::from_secs(10);
    while got.len() < sent && net.now < end {
        while let Ok(n) = net.b.recv(net.now, hb, &mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        net.run_for(MS);
    }
    assert!(got == data[..sent]);
}

#[test]
fn slow_reader_never_advertises_a_silly_window() {
    let cb = Config {
        recv_buffer: 8192,
        window_scaling: false,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(fast_config(), cb, false);
    let data = pattern(100_000);
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = [0u8; 100];
    let end = net.now + Duration::from_secs(30);
    while got.len() < data.len() && net.now < end {
        while let Ok(n) = net.a.send(net.now, ha, &data[sent..]) {
            sent += n;
            if sent == data.len() {
                break;
            }
        }
        // Read 100 bytes at a time: far less than an MSS.
        if let Ok(n) = net.b.recv(net.now, hb, &mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        net.run_for(MS);
    }
    assert!(got == data);
    // The advertised right edge (ACK + window) only ever moves right in steps of at least
    // min(buffer / 2, MSS) = 1460 bytes (RFC 9293 section 3.8.6.2.2).
    let edges: Vec<u32> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::BtoA && !s.tcp.flags.contains(Flags::SYN))
        .map(|s| s.tcp.ack.wrapping_add(u32::from(s.tcp.window)))
        .collect();
    let openings = edges
        .windows(2)
        .map(|w| w[1].wrapping_sub(w[0]))
        .filter(|d| *d != 0)
        .min()
        .expect("window opened");
    assert!(openings >= 1460, "smallest opening {openings}");
    // And A never sent tiny segments while the window was small.
    let tiny = count(&net, Dir::AtoB, |_, len| len > 0 && len < 1000);
    let sizes: Vec<usize> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0 && s.len < 1000)
        .map(|s| s.len)
        .collect();
    assert!(tiny <= 2, "{tiny} tiny segments {sizes:?}");
}

#[test]
fn two_losses_in_one_window_recover_with_newreno_partial_ack() {
    let (mut net, ha, hb) = established();
    // Grow the window first.
    let warm = pattern(300_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &warm, Duration::from_secs(5)) == warm);
    let mut n = 0;
    net.set_filter(move |dir, _, len| {
        if dir == Dir::AtoB && len > 0 {
            n += 1;
            if n == 3 || n == 6 {
                return Fate::Drop;
            }
        }
        Fate::Deliver
    });
    let data = pattern(200_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(10)) == data);
    let s = net.a.stats();
    assert_eq!(s.rto_expiries, 0, "{s:?}");
    assert_eq!(
        s.fast_retransmits, 1,
        "one fast retransmit, then a partial-ACK retransmit"
    );
    assert_eq!(s.retransmits, 2);
}

#[test]
fn rto_is_three_seconds_after_a_lost_syn() {
    let ca = Config {
        max_rto: Duration::from_secs(60),
        ..fast_config()
    };
    let mut net = Net::new(ca, fast_config());
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
    assert!(net.run_until(Duration::from_secs(2), |n| n.b.accept_ready(lh) > 0));
    // Now lose the first data segment: it is resent after 3 s (RFC 6298 section 5.7).
    net.set_filter(|dir, _, len| {
        if dir == Dir::AtoB && len > 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.a.send(net.now, ha, b"data").expect("send");
    let sent = net.now;
    net.run_until(Duration::from_secs(5), |n| {
        n.seen
            .iter()
            .filter(|s| s.dir == Dir::AtoB && s.len > 0)
            .count()
            >= 2
    });
    assert_eq!(net.now.since(sent), Duration::from_secs(3));
}

#[test]
fn tso_builds_super_segments_cut_at_the_mss() {
    let ca = Config {
        tso: true,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(ca, fast_config(), false);
    let data = pattern(1_000_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(10)) == data);
    let biggest = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB)
        .map(|s| s.len)
        .max()
        .expect("data");
    assert!(
        biggest > 1460 && biggest % 1460 == 0,
        "biggest segment {biggest}"
    );
    assert!(biggest <= 63_000);
}
