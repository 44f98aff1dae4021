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

/// What the trace shows about one direction of a connection: the most data the sender had
/// in flight at any moment, and whether it ever sent past the receiver's right edge.
struct Flight {
    /// Max over time of (highest SEQ + LEN sent) - (highest ACK the receiver had sent).
    max_flight: u64,
    /// Highest sequence offset (from the sender's ISS) the sender reached.
    max_sent: u64,
    /// Highest right edge (SEG.ACK + SEG.WND << shift) the receiver advertised.
    max_edge: u64,
    /// Sender segments that ended beyond the right edge advertised so far.
    overruns: Vec<(u64, u64)>,
}

/// Asserts that `sender` read `receiver`'s windows with the receiver's shift: more than
/// 65535 << (shift - 1) in flight (impossible with no shift or any smaller one), never past
/// the right edge read with that shift (a larger shift overruns it once the receiver stops
/// reading), and the window filled exactly.
fn assert_uses_peer_shift(f: &Flight, shift: u8, sender: &str, receiver: &str) {
    assert!(
        f.max_flight > 65535 << (shift - 1),
        "{sender} had at most {} bytes in flight",
        f.max_flight
    );
    assert!(
        f.overruns.is_empty(),
        "{sender} overran {receiver}'s window (end, edge): {:?}",
        &f.overruns[..f.overruns.len().min(3)]
    );
    assert_eq!(
        f.max_sent, f.max_edge,
        "{sender} fills {receiver}'s window exactly"
    );
}

/// Replays the trace for data sent in `dir`, reading the receiver's window fields with
/// `recv_shift` (never scaled on a SYN, RFC 7323 section 2.2). Offsets are relative to the
/// sender's ISS `iss`.
fn flight_in(net: &Net, dir: Dir, iss: u32, recv_shift: u8) -> Flight {
    let rel = |x: u32| u64::from(x.wrapping_sub(iss));
    let mut f = Flight {
        max_flight: 0,
        max_sent: 0,
        max_edge: 0,
        overruns: Vec::new(),
    };
    let mut acked = 0u64;
    for s in &net.seen {
        let t = &s.tcp;
        if s.dir == dir {
            if s.len == 0 {
                continue;
            }
            let end = rel(t.seq) + s.len as u64;
            if end > f.max_edge {
                f.overruns.push((end, f.max_edge));
            }
            f.max_sent = f.max_sent.max(end);
        } else if t.flags.contains(Flags::ACK) {
            let shift = if t.flags.contains(Flags::SYN) {
                0
            } else {
                recv_shift
            };
            acked = acked.max(rel(t.ack));
            f.max_edge = f.max_edge.max(rel(t.ack) + (u64::from(t.window) << shift));
        }
        f.max_flight = f.max_flight.max(f.max_sent.saturating_sub(acked));
    }
    f
}

/// Fills the receiver's window while it does not read: queues 1 MB and runs 2 s.
fn fill_without_reading(net: &mut Net, from_a: bool, h: SocketHandle) {
    let data = pattern(1_000_000);
    let mut sent = 0;
    loop {
        let r = if from_a {
            net.a.send(net.now, h, &data[sent..])
        } else {
            net.b.send(net.now, h, &data[sent..])
        };
        match r {
            Ok(n) if n > 0 && sent + n < data.len() => sent += n,
            _ => break,
        }
    }
    net.run_for(Duration::from_secs(2));
}

#[test]
fn window_scaling_uses_the_peers_shift_and_lets_more_than_64k_fly() {
    // Different buffers give different shifts: A 200000 bytes -> shift 2, B 120000 -> 1.
    let ca = Config {
        recv_buffer: 200_000,
        ..fast_config()
    };
    let cb = Config {
        recv_buffer: 120_000,
        ..fast_config()
    };
    let (mut net, ha, hb) = established_with(ca, cb, false);
    let (syn, synack) = (net.seen[0].tcp, net.seen[1].tcp);
    assert_eq!(syn.flags, Flags::SYN);
    assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
    let a_shift = syn.options.window_scale.expect("A offers window scaling");
    let b_shift = synack
        .options
        .window_scale
        .expect("B accepts window scaling");
    assert_eq!((a_shift, b_shift), (2, 1));
    // RFC 7323 section 2.2: the window field of a SYN or SYN,ACK is never scaled (scaled,
    // these would be 200000 >> 2 = 50000 and 120000 >> 1 = 60000).
    assert_eq!(syn.window, 65535);
    assert_eq!(synack.window, 65535);
    // From then on each side scales what it advertises by its own shift: A's handshake ACK
    // announces its whole buffer.
    let ack = net.seen[2].tcp;
    assert_eq!(ack.flags, Flags::ACK);
    assert_eq!(u32::from(ack.window) << a_shift, 200_000);

    // A -> B: grow cwnd while B reads, then let B's window fill without reading.
    let warm = pattern(1_000_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &warm, Duration::from_secs(10)) == warm);
    fill_without_reading(&mut net, true, ha);
    assert_uses_peer_shift(
        &flight_in(&net, Dir::AtoB, syn.seq, b_shift),
        b_shift,
        "A",
        "B",
    );

    // B -> A: the same with A's shift.
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = net.b.recv(net.now, hb, &mut buf) {
        if n == 0 {
            break;
        }
    }
    let got = transfer_b_to_a(&mut net, hb, ha, &warm, Duration::from_secs(10));
    assert!(got == warm);
    fill_without_reading(&mut net, false, hb);
    assert_uses_peer_shift(
        &flight_in(&net, Dir::BtoA, synack.seq, a_shift),
        a_shift,
        "B",
        "A",
    );
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
    let gaps = data_gaps_a_to_b(&net);
    assert_eq!(gaps.len(), 5, "original + max_retries");
    for w in gaps.windows(2) {
        assert!(
            w[1] >= w[0] * 2 || w[1] == Duration::from_secs(4),
            "{gaps:?}"
        );
    }
}

/// The times between consecutive data segments from A (transmissions and retransmissions).
fn data_gaps_a_to_b(net: &Net) -> Vec<Duration> {
    let times: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0)
        .map(|s| s.at)
        .collect();
    times.windows(2).map(|w| w[1].since(w[0])).collect()
}

#[test]
fn rto_doubles_on_each_expiry_up_to_max_rto() {
    // RFC 6298 section 5.5: RTO <- RTO * 2 on each expiry; section 2.5: a maximum may be
    // placed on it (here 1 s, reached after five doublings of 50 ms).
    let ca = Config {
        max_rto: Duration::from_secs(1),
        max_retries: 8,
        ..fast_config()
    };
    let (mut net, ha, _hb) = established_with(ca, fast_config(), false);
    let rto0 = net.a.info(ha).expect("info").rto;
    assert_eq!(
        rto0,
        Duration::from_millis(50),
        "min_rto after a 2 ms handshake RTT"
    );
    net.set_filter(|dir, _, _| {
        if dir == Dir::AtoB {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.a.send(net.now, ha, b"anyone?").expect("send");
    net.run_for(Duration::from_secs(20));
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    let gaps = data_gaps_a_to_b(&net);
    let expected: Vec<_> = (0..8)
        .map(|i| (rto0 * (1 << i)).min(Duration::from_secs(1)))
        .collect();
    assert_eq!(gaps, expected);
}

/// Karn's algorithm (RFC 6298 section 3) after a timeout: a data segment is lost, resent
/// when the RTO expires, and the ACK of the retransmission comes late. That ACK is ambiguous
/// and gives no RTT sample; the backed-off RTO stays in force for new data until a segment
/// that was never retransmitted is acknowledged (RFC 6298 section 5, note after rule 5.7).
#[test]
fn karn_after_timeout_no_sample_and_backoff_kept_until_a_fresh_sample() {
    let (mut net, ha, _hb) = established();
    let info = net.a.info(ha).expect("info");
    let srtt0 = info.srtt.expect("handshake RTT sample");
    let rto0 = info.rto;
    assert_eq!(rto0, Duration::from_millis(50));
    let end = next_seq(&net, Dir::AtoB).wrapping_add(100);
    let mut lost = false;
    net.set_filter(move |dir, t, len| match dir {
        Dir::AtoB if len > 0 && !lost => {
            lost = true;
            Fate::Drop
        }
        Dir::BtoA if t.ack == end => Fate::Delay(30 * MS),
        _ => Fate::Deliver,
    });
    net.a.send(net.now, ha, &pattern(100)).expect("send");
    let t0 = net.now;
    assert!(net.run_until(Duration::from_secs(1), |n| {
        n.a.info(ha).expect("info").send_queued == 0
    }));
    let s = net.a.stats();
    assert_eq!((s.rto_expiries, s.retransmits), (1, 1), "{s:?}");
    // The ACK arrived long after both transmissions (a sample would be >= 100 ms) ...
    assert!(net.now.since(t0) > 2 * rto0, "{:?}", net.now.since(t0));
    let info = net.a.info(ha).expect("info");
    // ... and was not used: SRTT is the handshake's, the RTO still backed off.
    assert_eq!(
        info.srtt,
        Some(srtt0),
        "sample taken from a retransmitted segment"
    );
    assert_eq!(info.rto, 2 * rto0, "backoff dropped without a fresh sample");

    // New data, never retransmitted (one small segment: after the timeout cwnd is one
    // segment). B's delayed ACK (40 ms) is held 20 ms more, so it arrives after rto0 but
    // before 2 * rto0: with the backed-off RTO in force nothing is resent, and the ACK is a
    // valid sample that collapses the RTO.
    let end = next_seq(&net, Dir::AtoB).wrapping_add(100);
    net.set_filter(move |dir, t, _| {
        if dir == Dir::BtoA && t.ack == end {
            Fate::Delay(20 * MS)
        } else {
            Fate::Deliver
        }
    });
    net.a.send(net.now, ha, &pattern(100)).expect("send");
    let t1 = net.now;
    assert!(net.run_until(Duration::from_secs(1), |n| {
        n.a.info(ha).expect("info").send_queued == 0
    }));
    let rtt = net.now.since(t1);
    assert!(rtt > rto0 && rtt < 2 * rto0, "ACK after {rtt:?}");
    let s = net.a.stats();
    assert_eq!(
        (s.rto_expiries, s.retransmits),
        (1, 1),
        "resent with a collapsed RTO: {s:?}"
    );
    let info = net.a.info(ha).expect("info");
    assert!(info.srtt > Some(srtt0), "no fresh sample: {:?}", info.srtt);
    assert!(
        info.rto < 2 * rto0,
        "backoff kept after a fresh sample: {:?}",
        info.rto
    );
}

/// Karn's algorithm after a fast retransmit: the timed segment is lost, resent on three
/// duplicate ACKs, and the ACK covering the retransmission is late. No sample is taken.
#[test]
fn karn_after_fast_retransmit_no_sample() {
    let (mut net, ha, hb) = established();
    let warm = pattern(100_000);
    assert!(transfer_a_to_b(&mut net, ha, hb, &warm, Duration::from_secs(5)) == warm);
    net.run_for(Duration::from_millis(200));
    let before = net.a.stats();
    let srtt0 = net.a.info(ha).expect("info").srtt;
    assert!(srtt0.is_some());
    let first = next_seq(&net, Dir::AtoB);
    let end = first.wrapping_add(6 * 1460);
    let mut lost = false;
    net.set_filter(move |dir, t, len| match dir {
        Dir::AtoB if len > 0 && t.seq == first && !lost => {
            lost = true;
            Fate::Drop
        }
        Dir::BtoA if t.ack == end => Fate::Delay(20 * MS),
        _ => Fate::Deliver,
    });
    // Six segments at once; the first (the timed one) is lost, the other five bring
    // duplicate ACKs.
    net.a.send(net.now, ha, &pattern(6 * 1460)).expect("send");
    let t0 = net.now;
    assert!(net.run_until(Duration::from_secs(1), |n| {
        n.a.info(ha).expect("info").send_queued == 0
    }));
    assert!(net.now.since(t0) >= 20 * MS);
    let s = net.a.stats();
    assert_eq!(s.fast_retransmits - before.fast_retransmits, 1, "{s:?}");
    assert_eq!(s.retransmits - before.retransmits, 1, "{s:?}");
    assert_eq!(s.rto_expiries, before.rto_expiries, "{s:?}");
    assert_eq!(
        net.a.info(ha).expect("info").srtt,
        srtt0,
        "sample taken from a retransmitted segment"
    );
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
    // It never moves left (RFC 9293 3.8.6, SHLD-14: the receiver does not shrink the window).
    let moves: Vec<u32> = edges.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    assert!(
        moves.iter().all(|d| *d < 1 << 31),
        "the right edge moved left"
    );
    let openings = moves
        .into_iter()
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

#[test]
fn no_window_update_when_the_window_field_cannot_grow() {
    // The peer's SYN has no window scale option, so the window field caps B's window at
    // 65535 (RFC 7323 section 2.2). Reading from B's larger buffer cannot widen it: no
    // window update is worth a segment.
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(p.send(PSH_ACK, 1001, plus(y, 1), &pattern(1000)), []);
    assert_eq!(p.wait(50 * MS), [seg(ACK, plus(y, 1), 2001)]);
    assert_eq!(p.read(hb).len(), 1000);
    assert_eq!(p.wait(100 * MS), []);
}
