//! Protocol-rule tests: two stacks joined by the in-memory [`Net`], virtual time.

use crate::testnet::{Dir, Fate, Net};
use crate::wire::{Flags, TcpHeader, TcpOptions};
use crate::{Config, KeepaliveConfig, SocketHandle, State, TcpError};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn fast_config() -> Config {
    Config {
        msl: Duration::from_secs(1),
        initial_rto: Duration::from_millis(200),
        min_rto: Duration::from_millis(50),
        max_rto: Duration::from_secs(4),
        max_retries: 5,
        syn_retries: 3,
        ..Config::default()
    }
}

/// A connects to B:80; returns the net and both handles once both are ESTABLISHED.
fn established_with(ca: Config, cb: Config, v6: bool) -> (Net, SocketHandle, SocketHandle) {
    let mut net = if v6 {
        Net::new_v6(ca, cb)
    } else {
        Net::new(ca, cb)
    };
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let now = net.now;
    let remote = net.b_sock(80);
    let ha = net.a.connect(now, remote).expect("connect");
    assert_eq!(net.a.state(ha), State::SynSent);
    let ok = net.run_until(Duration::from_secs(5), |n| n.b.accept_ready(lh) > 0);
    assert!(ok, "handshake did not complete");
    let hb = net.b.accept(lh).expect("accept");
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.state(hb), State::Established);
    (net, ha, hb)
}

fn established() -> (Net, SocketHandle, SocketHandle) {
    established_with(fast_config(), fast_config(), false)
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Sends `data` from A's `ha` to B's `hb`, reading on B, until all arrived or `limit` passes.
fn transfer_a_to_b(
    net: &mut Net,
    ha: SocketHandle,
    hb: SocketHandle,
    data: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let end = net.now + limit;
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() && net.now < end {
        while sent < data.len() {
            match net.a.send(net.now, ha, &data[sent..]) {
                Ok(n) => sent += n,
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("send failed: {e}"),
            }
        }
        loop {
            match net.b.recv(net.now, hb, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        net.run_for(MS);
    }
    got
}

fn transfer_b_to_a(
    net: &mut Net,
    hb: SocketHandle,
    ha: SocketHandle,
    data: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let end = net.now + limit;
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() && net.now < end {
        while sent < data.len() {
            match net.b.send(net.now, hb, &data[sent..]) {
                Ok(n) => sent += n,
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("send failed: {e}"),
            }
        }
        loop {
            match net.a.recv(net.now, ha, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(TcpError::WouldBlock) => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        net.run_for(MS);
    }
    got
}

fn count(net: &Net, dir: Dir, pred: impl Fn(&TcpHeader, usize) -> bool) -> usize {
    net.seen
        .iter()
        .filter(|s| s.dir == dir && pred(&s.tcp, s.len))
        .count()
}

fn last_from(net: &Net, dir: Dir) -> TcpHeader {
    net.seen
        .iter()
        .rev()
        .find(|s| s.dir == dir)
        .expect("a segment was sent")
        .tcp
}

// ------------------------------------------------------------------------------------
// Opening.

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
    let mut net = Net::new(fast_config(), fast_config());
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

// ------------------------------------------------------------------------------------
// Data transfer.

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

// ------------------------------------------------------------------------------------
// Closing.

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

// ------------------------------------------------------------------------------------
// RFC 5961 and the acceptability test.

/// A segment from A to B on an established connection, using A's current numbers.
fn forged(net: &Net, flags: Flags, seq_delta: i64, ack: Option<u32>) -> TcpHeader {
    let last_a = last_from(net, Dir::AtoB);
    TcpHeader {
        src_port: last_a.src_port,
        dst_port: last_a.dst_port,
        seq: (i64::from(last_a.seq) + seq_delta) as u32,
        ack: ack.unwrap_or(last_a.ack),
        flags,
        window: 1000,
        urgent: 0,
        options: TcpOptions::default(),
    }
}

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

// ------------------------------------------------------------------------------------
// Keepalive.

fn keepalive(idle_ms: u64, interval_ms: u64, count: u32) -> Option<KeepaliveConfig> {
    Some(KeepaliveConfig {
        idle: Duration::from_millis(idle_ms),
        interval: Duration::from_millis(interval_ms),
        count,
    })
}

#[test]
fn keepalive_probes_an_idle_peer_and_keeps_a_live_one() {
    let (mut net, ha, _hb) = established();
    net.a
        .set_keepalive(net.now, ha, keepalive(1000, 200, 3))
        .expect("keepalive");
    net.run_for(Duration::from_millis(3500));
    let probes: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len == 0 && s.at > crate::Timestamp(1_010_000))
        .collect();
    assert_eq!(probes.len(), 3, "one probe per idle period, each answered");
    let ack_b = last_from(&net, Dir::BtoA);
    assert_eq!(
        probes[0].tcp.seq,
        ack_b.ack.wrapping_sub(1),
        "probe is SND.NXT-1"
    );
    assert_eq!(net.a.state(ha), State::Established);
}

#[test]
fn keepalive_times_out_a_dead_peer() {
    let (mut net, ha, _hb) = established();
    net.a
        .set_keepalive(net.now, ha, keepalive(1000, 200, 3))
        .expect("keepalive");
    net.set_filter(|dir, _, _| {
        if dir == Dir::BtoA {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let start = net.now;
    net.run_until(Duration::from_secs(5), |n| n.a.state(ha) == State::Closed);
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    // idle + count * interval.
    assert_eq!(net.now.since(start), Duration::from_millis(1600));
}

// ------------------------------------------------------------------------------------
// Robustness.

#[test]
fn malformed_packets_are_counted_not_fatal() {
    let (mut net, _ha, hb) = established();
    let good = {
        let mut p = Vec::new();
        let h = forged(&net, Flags::ACK, 0, None);
        crate::wire::build_packet(&mut p, net.a_addr, net.b_addr, &h, b"abc", 1);
        p
    };
    let mut bad_sum = good.clone();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 1;
    let mut bad_off = good.clone();
    bad_off[32] = 0x40;
    net.raw_to_b(&bad_sum);
    net.raw_to_b(&bad_off);
    net.raw_to_b(&good[..30]);
    net.raw_to_b(&[]);
    net.raw_to_b(&[0xff; 80]);
    let s = net.b.stats();
    assert_eq!(s.rx_bad_checksum, 1);
    assert_eq!(s.rx_bad_data_offset, 1);
    assert!(s.rx_truncated >= 2);
    assert_eq!(s.rx_malformed, 5);
    assert_eq!(net.b.state(hb), State::Established);
    assert_eq!(net.b.info(hb).expect("info").readable, 0);
}

#[test]
fn random_segments_never_panic() {
    let (mut net, _ha, _hb) = established();
    let mut x = 0x1234_5678u32;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let base = forged(&net, Flags::ACK, 0, None);
    for _ in 0..5000 {
        let h = TcpHeader {
            seq: base.seq.wrapping_add(rnd() % 200_000).wrapping_sub(100_000),
            ack: base.ack.wrapping_add(rnd() % 200_000).wrapping_sub(100_000),
            flags: Flags((rnd() & 0x3f) as u8),
            window: rnd() as u16,
            ..base
        };
        let len = (rnd() % 100) as usize;
        net.inject(Dir::AtoB, &h, &vec![0x55; len]);
        net.run_for(MS);
    }
    // Whatever state it ended in, the stacks kept working.
    let _ = net.b.stats();
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

// ------------------------------------------------------------------------------------
// More SYN-SENT / SYN-RECEIVED rules, orphans, NewReno partial ACKs, RFC 6298 5.7.

/// Puts A in SYN-SENT toward a B that does not answer (B's packets are dropped), and
/// returns A's SYN.
fn syn_sent() -> (Net, SocketHandle, TcpHeader) {
    let mut net = Net::new(fast_config(), fast_config());
    net.set_filter(|dir, _, _| {
        if dir == Dir::AtoB {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(MS);
    let syn = net.seen[0].tcp;
    (net, ha, syn)
}

fn reply_to(syn: &TcpHeader, flags: Flags, seq: u32, ack: u32) -> TcpHeader {
    TcpHeader {
        src_port: syn.dst_port,
        dst_port: syn.src_port,
        seq,
        ack,
        flags,
        window: 8192,
        urgent: 0,
        options: TcpOptions::default(),
    }
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
    // A retransmitted SYN is answered with the SYN,ACK again.
    net.inject(Dir::AtoB, &syn, &[]);
    net.run_for(MS);
    let again = last_from(&net, Dir::BtoA);
    assert_eq!(
        (again.flags, again.seq),
        (Flags::SYN | Flags::ACK, synack.seq)
    );
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
