//! Robustness: malformed and random segments.

use super::*;

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
    for seed in [0x1234_5678u32, 0xdead_beef, 0x0bad_f00d, 0x7777_0001] {
        fuzz_one_seed(seed);
    }
}

fn fuzz_one_seed(seed: u32) {
    let mut x = seed;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    // Three phases: data flowing, after A's CLOSE, after both CLOSEs; segments near and far
    // from the real sequence numbers, with random flags, windows and lengths.
    for phase in 0..3 {
        let (mut net, ha, hb) = established();
        net.a.send(net.now, ha, &pattern(50_000)).expect("send");
        net.b.send(net.now, hb, &pattern(20_000)).expect("send");
        if phase >= 1 {
            net.a.shutdown(net.now, ha).expect("close a");
        }
        if phase >= 2 {
            net.b.shutdown(net.now, hb).expect("close b");
        }
        net.run_for(2 * MS);
        let base = forged(&net, Flags::ACK, 0, None);
        for i in 0..2000u32 {
            let spread = if i % 2 == 0 { 6000 } else { 400_000 };
            let h = TcpHeader {
                seq: base
                    .seq
                    .wrapping_add(rnd() % spread)
                    .wrapping_sub(spread / 2),
                ack: base
                    .ack
                    .wrapping_add(rnd() % spread)
                    .wrapping_sub(spread / 2),
                flags: Flags((rnd() & 0x3f) as u8),
                window: rnd() as u16,
                ..base
            };
            let len = (rnd() % 1600) as usize;
            net.inject(Dir::AtoB, &h, &vec![0x55; len]);
            if i % 10 == 0 {
                net.run_for(MS);
            }
        }
        net.run_for(Duration::from_secs(5));
        let s = net.b.stats();
        assert!(s.rx_packets >= 2000, "{s:?}");
        // Whatever the fuzzed connection became, both stacks still make new connections.
        let lh = net.b.listen(net.b_sock(8080), None).expect("listen");
        let c = net.a.connect(net.now, net.b_sock(8080)).expect("connect");
        assert!(net.run_until(Duration::from_secs(5), |n| n.b.accept_ready(lh) > 0));
        let d = net.b.accept(lh).expect("accept");
        let data = pattern(30_000);
        assert!(transfer_a_to_b(&mut net, c, d, &data, Duration::from_secs(5)) == data);
    }
}
