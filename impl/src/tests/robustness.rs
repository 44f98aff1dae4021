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
