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

// ---------------------------------------------------------------------------------------
// TCP headers fuzzed inside valid IP headers, through `Stack::receive`.

use proptest::prelude::*;
use std::net::IpAddr;

/// RFC 1071 sum, written out here so that the test does not rely on the codec's own.
fn ones_sum(data: &[u8]) -> u64 {
    data.chunks(2)
        .map(|c| u64::from(c[0]) << 8 | u64::from(*c.get(1).unwrap_or(&0)))
        .sum()
}

fn ones_finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn ip_octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The TCP checksum of `seg` (whose checksum field is taken as it is) from `src` to `dst`.
fn tcp_sum(src: IpAddr, dst: IpAddr, seg: &[u8]) -> u16 {
    let mut pseudo = ip_octets(src);
    pseudo.extend(ip_octets(dst));
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    ones_finish(ones_sum(&pseudo) + ones_sum(seg))
}

/// Raw TCP header fields; anything may be out of range.
#[derive(Clone, Debug)]
struct RawTcp {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    /// Data offset in words; `None`: exactly the options given (padded to a word).
    offset: Option<u8>,
    /// The low nibble of byte 12 (reserved bits and NS).
    reserved: u8,
    flags: u8,
    window: u16,
    urgent: u16,
    /// The options area as bytes (may be malformed).
    options: Vec<u8>,
    /// Byte that pads the options to a multiple of 4 when `offset` is `None`.
    pad: u8,
    payload: Vec<u8>,
    /// Checksum field; `None`: the correct one.
    checksum: Option<u16>,
    /// Cut the segment to this many bytes (after the checksum is computed).
    cut: Option<usize>,
}

/// The TCP segment `t` describes, from `src` to `dst`.
fn raw_segment(t: &RawTcp, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let mut opts = t.options.clone();
    if t.offset.is_none() {
        while !opts.len().is_multiple_of(4) {
            opts.push(t.pad);
        }
    }
    let offset = t.offset.unwrap_or(((20 + opts.len()) / 4) as u8);
    let mut s = Vec::with_capacity(20 + opts.len() + t.payload.len());
    s.extend_from_slice(&t.src_port.to_be_bytes());
    s.extend_from_slice(&t.dst_port.to_be_bytes());
    s.extend_from_slice(&t.seq.to_be_bytes());
    s.extend_from_slice(&t.ack.to_be_bytes());
    s.push(offset << 4 | (t.reserved & 0x0f));
    s.push(t.flags);
    s.extend_from_slice(&t.window.to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(&t.urgent.to_be_bytes());
    s.extend_from_slice(&opts);
    s.extend_from_slice(&t.payload);
    let sum = t.checksum.unwrap_or_else(|| tcp_sum(src, dst, &s));
    s[16..18].copy_from_slice(&sum.to_be_bytes());
    if let Some(n) = t.cut {
        s.truncate(n);
    }
    s
}

/// Valid IP header fields around a segment.
#[derive(Clone, Debug)]
struct RawIp {
    /// IPv4: four bytes of IP options (NOPs and EOL), IHL 6.
    ip_options: bool,
    ident: u16,
    dont_fragment: bool,
    ttl: u8,
    tos: u8,
    flow: u32,
    /// Link-layer padding after the IP packet (ignored by a correct parser).
    padding: Vec<u8>,
}

/// An IP packet (IPv4 or IPv6 by the family of the addresses) with a correct header and
/// header checksum, carrying `seg`.
fn wrap_ip(ip: &RawIp, src: IpAddr, dst: IpAddr, seg: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let hl = if ip.ip_options { 24 } else { 20 };
            p.push(0x40 | (hl / 4) as u8);
            p.push(ip.tos);
            p.extend_from_slice(&((hl + seg.len()) as u16).to_be_bytes());
            p.extend_from_slice(&ip.ident.to_be_bytes());
            p.extend_from_slice(&[if ip.dont_fragment { 0x40 } else { 0 }, 0]);
            p.extend_from_slice(&[ip.ttl, 6, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            if ip.ip_options {
                p.extend_from_slice(&[1, 1, 1, 0]);
            }
            let sum = ones_finish(ones_sum(&p));
            p[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let flow = ip.flow & 0x000f_ffff;
            p.push(0x60 | ip.tos >> 4);
            p.push(ip.tos << 4 | (flow >> 16) as u8);
            p.extend_from_slice(&(flow as u16).to_be_bytes());
            p.extend_from_slice(&(seg.len() as u16).to_be_bytes());
            p.extend_from_slice(&[6, ip.ttl]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
        }
        _ => panic!("mixed families"),
    }
    p.extend_from_slice(seg);
    p.extend_from_slice(&ip.padding);
    p
}

/// What a correct receiver must do with a segment: the counter it lands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    NotOurs,
    Truncated,
    BadDataOffset,
    BadChecksum,
    BadOptions,
    BadIp,
}

/// RFC 9293 section 3.1 / 3.2 option rules, written independently of the codec: EOL ends
/// the list, NOP is one byte, every other option has a length byte of at least 2 that stays
/// inside the area, and the options the stack knows have their fixed lengths.
fn options_valid(mut o: &[u8]) -> bool {
    loop {
        match o {
            [] | [0, ..] => return true,
            [1, rest @ ..] => o = rest,
            [_] => return false,
            [kind, len, ..] => {
                let len = usize::from(*len);
                let fixed = match kind {
                    2 => Some(4),
                    3 => Some(3),
                    4 => Some(2),
                    8 => Some(10),
                    _ => None,
                };
                if len < 2 || len > o.len() || fixed.is_some_and(|f| f != len) {
                    return false;
                }
                o = &o[len..];
            }
        }
    }
}

/// The expected verdict for segment `seg` from `src` to `dst` at a stack owning `ours`
/// (checks in the codec's order: addresses, TCP length, data offset, checksum, options,
/// ports, then the destination).
fn verdict(seg: &[u8], src: IpAddr, dst: IpAddr, ours: IpAddr) -> Verdict {
    let usable = |a: IpAddr| match a {
        IpAddr::V4(a) => !(a.is_broadcast() || a.is_multicast() || a.is_unspecified()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    };
    if !usable(src) || !usable(dst) {
        return Verdict::BadIp;
    }
    if seg.len() < 20 {
        return Verdict::Truncated;
    }
    let hl = usize::from(seg[12] >> 4) * 4;
    if hl < 20 || hl > seg.len() {
        return Verdict::BadDataOffset;
    }
    if tcp_sum(src, dst, seg) != 0 {
        return Verdict::BadChecksum;
    }
    if !options_valid(&seg[20..hl]) {
        return Verdict::BadOptions;
    }
    if seg[0..2] == [0, 0] || seg[2..4] == [0, 0] {
        return Verdict::BadIp;
    }
    if dst != ours {
        return Verdict::NotOurs;
    }
    Verdict::Accepted
}

/// The receive-side drop counters, by verdict.
fn drop_counters(s: &crate::Stats) -> [(Verdict, u64); 6] {
    [
        (Verdict::NotOurs, s.rx_not_ours),
        (Verdict::Truncated, s.rx_truncated),
        (Verdict::BadDataOffset, s.rx_bad_data_offset),
        (Verdict::BadChecksum, s.rx_bad_checksum),
        (Verdict::BadOptions, s.rx_bad_options),
        (Verdict::BadIp, s.rx_bad_ip),
    ]
}

/// Delivers `packet` to B and checks that it was counted once as received and, if it is to
/// be dropped, once in exactly the counter `expected` names (nothing else, rx_not_tcp
/// included: every packet here is TCP); an accepted one moves no drop counter.
fn deliver_and_account(net: &mut Net, packet: &[u8], expected: Verdict) {
    let before = net.b.stats();
    net.raw_to_b(packet);
    let after = net.b.stats();
    assert_eq!(after.rx_packets, before.rx_packets + 1, "{expected:?}");
    assert_eq!(after.rx_not_tcp, before.rx_not_tcp);
    for ((v, b), (_, a)) in drop_counters(&before)
        .into_iter()
        .zip(drop_counters(&after))
    {
        let want = b + u64::from(v == expected);
        assert_eq!(a, want, "counter for {v:?}, packet expected {expected:?}");
    }
    let malformed = u64::from(!matches!(expected, Verdict::Accepted | Verdict::NotOurs));
    assert_eq!(after.rx_malformed, before.rx_malformed + malformed);
    assert_eq!(
        after.rx_malformed,
        after.rx_truncated
            + after.rx_bad_checksum
            + after.rx_bad_data_offset
            + after.rx_bad_options
            + after.rx_bad_ip,
        "rx_malformed is the sum of its parts"
    );
}

/// One option, well formed or not: the known ones with their lengths, unknown kinds, and
/// lengths of 0, 1 or past the end.
fn arb_option() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0]),
        Just(vec![1]),
        any::<u16>().prop_map(|m| vec![2, 4, (m >> 8) as u8, m as u8]),
        (0u8..20).prop_map(|w| vec![3, 3, w]),
        Just(vec![4, 2]),
        proptest::collection::vec(any::<u8>(), 8).prop_map(|b| {
            let mut v = vec![8, 10];
            v.extend(b);
            v
        }),
        // Any kind with a length that may be 0, 1, wrong for the kind or beyond the area,
        // and a body that may be shorter or longer than the length says.
        (
            prop_oneof![Just(2u8), Just(3), Just(4), Just(8), any::<u8>()],
            prop_oneof![0u8..12, Just(40), Just(41), any::<u8>()],
            proptest::collection::vec(any::<u8>(), 0..12),
        )
            .prop_map(|(k, l, b)| {
                let mut v = vec![k, l];
                v.extend(b);
                v
            }),
        // A kind as the last byte, without its length.
        any::<u8>().prop_map(|k| vec![k]),
    ]
}

fn arb_options_area() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(arb_option(), 0..6).prop_map(|o| {
            let mut v = o.concat();
            v.truncate(40);
            v
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..=40),
    ]
}

/// Where a fuzzed segment goes on B.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// The established connection's 4-tuple, sequence and ACK numbers near the real ones
    /// (offsets) or anywhere.
    Established(i32, i32, Option<(u32, u32)>),
    /// B's listener, from another port of A.
    Listener(u16, u32, u32),
    /// Any ports (closed ones, port 0), any numbers.
    Anywhere(u16, u16, u32, u32),
    /// To an address that is not B's.
    NotOurs,
    /// From a multicast source.
    MulticastSource,
}

fn arb_target() -> impl Strategy<Value = Target> {
    prop_oneof![
        6 => (-70_000i32..70_000, -70_000i32..70_000, proptest::option::weighted(0.2, any::<(u32, u32)>()))
            .prop_map(|(s, a, r)| Target::Established(s, a, r)),
        3 => (1u16.., any::<u32>(), any::<u32>()).prop_map(|(p, s, a)| Target::Listener(p, s, a)),
        1 => (prop_oneof![Just(0u16), any::<u16>()], prop_oneof![Just(0u16), Just(81), any::<u16>()], any::<u32>(), any::<u32>())
            .prop_map(|(sp, dp, s, a)| Target::Anywhere(sp, dp, s, a)),
        1 => Just(Target::NotOurs),
        1 => Just(Target::MulticastSource),
    ]
}

#[derive(Clone, Debug)]
struct FuzzSeg {
    target: Target,
    tcp: RawTcp,
    ip: RawIp,
}

fn arb_fuzz_seg(correct_checksum: bool) -> impl Strategy<Value = FuzzSeg> {
    let checksum = if correct_checksum {
        Just(None).boxed()
    } else {
        proptest::option::weighted(0.8, any::<u16>()).boxed()
    };
    let tcp = (
        (
            proptest::option::weighted(0.25, 0u8..16),
            any::<u8>(),
            prop_oneof![
                any::<u8>(),
                Just(0x10u8),
                Just(0x18),
                Just(0x02),
                Just(0x12)
            ],
            any::<u16>(),
            any::<u16>(),
        ),
        arb_options_area(),
        prop_oneof![Just(0u8), Just(1), any::<u8>()],
        proptest::collection::vec(any::<u8>(), 0..64),
        checksum,
        proptest::option::weighted(0.1, 0usize..80),
    )
        .prop_map(
            |((offset, reserved, flags, window, urgent), options, pad, payload, checksum, cut)| {
                RawTcp {
                    src_port: 0,
                    dst_port: 0,
                    seq: 0,
                    ack: 0,
                    offset,
                    reserved,
                    flags,
                    window,
                    urgent,
                    options,
                    pad,
                    payload,
                    checksum,
                    cut,
                }
            },
        );
    let ip = (
        any::<bool>(),
        any::<u16>(),
        any::<bool>(),
        1u8..,
        any::<u8>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(
            |(ip_options, ident, dont_fragment, ttl, tos, flow, padding)| RawIp {
                ip_options,
                ident,
                dont_fragment,
                ttl,
                tos,
                flow,
                padding,
            },
        );
    (arb_target(), tcp, ip).prop_map(|(target, tcp, ip)| FuzzSeg { target, tcp, ip })
}

/// Sends `segs` to B, which has a listener on port 80 and an established connection from A,
/// checking each packet's accounting; the net runs in between so that answers flow.
fn run_fuzzed_segments(v6: bool, segs: &[FuzzSeg]) {
    let (mut net, _ha, hb) = established_with(fast_config(), fast_config(), v6);
    let conn = net.b.info(hb).expect("info");
    let (other, multicast): (IpAddr, IpAddr) = if v6 {
        ("2001:db8::99".parse().unwrap(), "ff02::1".parse().unwrap())
    } else {
        ("192.0.2.99".parse().unwrap(), "224.0.0.1".parse().unwrap())
    };
    for f in segs {
        let base = forged(&net, Flags::ACK, 0, None);
        let mut t = f.tcp.clone();
        let (mut src, mut dst) = (net.a_addr, net.b_addr);
        (t.src_port, t.dst_port, t.seq, t.ack) = match f.target {
            Target::Established(ds, da, raw) => {
                let (seq, ack) = raw.unwrap_or((
                    base.seq.wrapping_add(ds as u32),
                    base.ack.wrapping_add(da as u32),
                ));
                (conn.remote.port(), conn.local.port(), seq, ack)
            }
            Target::Listener(p, s, a) => (p, conn.local.port(), s, a),
            Target::Anywhere(sp, dp, s, a) => (sp, dp, s, a),
            Target::NotOurs => {
                dst = other;
                (conn.remote.port(), conn.local.port(), base.seq, base.ack)
            }
            Target::MulticastSource => {
                src = multicast;
                (1234, conn.local.port(), base.seq, base.ack)
            }
        };
        let seg = raw_segment(&t, src, dst);
        let expected = verdict(&seg, src, dst, net.b_addr);
        let packet = wrap_ip(&f.ip, src, dst, &seg);
        deliver_and_account(&mut net, &packet, expected);
        net.run_for(MS);
    }
    // Whatever happened, the stack still runs its timers and answers (the net's collector
    // parses every packet B sends: they must all be valid).
    net.run_for(Duration::from_secs(2));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    /// Random TCP headers (data offset, flags, options with any lengths, payload) with a
    /// correct TCP checksum inside valid IPv4 and IPv6 packets reach option parsing and the
    /// LISTEN and ESTABLISHED paths: no panic, and each packet is counted as received once
    /// and, if dropped, in exactly the one counter its defect names.
    #[test]
    fn fuzzed_tcp_headers_with_correct_checksums_are_accounted_for(
        v6: bool,
        segs in proptest::collection::vec(arb_fuzz_seg(true), 1..5),
    ) {
        run_fuzzed_segments(v6, &segs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// As above with the TCP checksum field mostly random.
    #[test]
    fn fuzzed_tcp_headers_with_any_checksum_are_accounted_for(
        v6: bool,
        segs in proptest::collection::vec(arb_fuzz_seg(false), 1..5),
    ) {
        run_fuzzed_segments(v6, &segs);
    }
}

/// A hand-made segment with the given raw options area from A on the connection (or to
/// the listener from a new port with `syn`), as an IP packet.
fn with_options(net: &Net, options: &[u8], syn: bool, payload: &[u8]) -> Vec<u8> {
    let base = forged(net, Flags::ACK | Flags::PSH, 0, None);
    let t = RawTcp {
        src_port: if syn { 4444 } else { base.src_port },
        dst_port: base.dst_port,
        seq: if syn { 77 } else { base.seq },
        ack: if syn { 0 } else { base.ack },
        offset: None,
        reserved: 0,
        flags: if syn { Flags::SYN.0 } else { base.flags.0 },
        window: 5000,
        urgent: 0,
        options: options.to_vec(),
        pad: 0,
        payload: payload.to_vec(),
        checksum: None,
        cut: None,
    };
    let ip = RawIp {
        ip_options: false,
        ident: 1,
        dont_fragment: true,
        ttl: 64,
        tos: 0,
        flow: 0,
        padding: Vec::new(),
    };
    wrap_ip(
        &ip,
        net.a_addr,
        net.b_addr,
        &raw_segment(&t, net.a_addr, net.b_addr),
    )
}

#[test]
fn segments_with_bad_options_are_counted_and_dropped() {
    let bad: [&[u8]; 7] = [
        &[2, 3, 5, 0],  // MSS with length 3
        &[3, 4, 7, 0],  // window scale with length 4
        &[4, 3, 0, 0],  // SACK-permitted with length 3
        &[8, 10, 0, 0], // timestamps running past the options area
        &[1, 1, 30, 9], // unknown option running past the data offset
        &[30, 0, 1, 1], // length 0
        &[1, 1, 1, 2],  // a kind without its length byte
    ];
    for v6 in [false, true] {
        let (mut net, _ha, hb) = established_with(fast_config(), fast_config(), v6);
        net.run_for(Duration::from_secs(1));
        for opts in bad {
            for syn in [false, true] {
                let before = net.b.stats();
                let info = net.b.info(hb);
                let conns = net.b.connection_count();
                let seen = net.seen.len();
                net.raw_to_b(&with_options(&net, opts, syn, b"abc"));
                net.run_for(10 * MS);
                let after = net.b.stats();
                let what = format!("v6 {v6}, SYN {syn}, options {opts:?}");
                assert_eq!(after.rx_bad_options, before.rx_bad_options + 1, "{what}");
                assert_eq!(
                    after,
                    crate::Stats {
                        rx_packets: before.rx_packets + 1,
                        rx_malformed: before.rx_malformed + 1,
                        rx_bad_options: before.rx_bad_options + 1,
                        ..before
                    },
                    "{what}: only the drop is counted"
                );
                assert_eq!(net.b.info(hb), info, "{what}: connection unchanged");
                assert_eq!(net.b.connection_count(), conns, "{what}: no passive open");
                assert_eq!(net.seen.len(), seen, "{what}: nothing was sent");
            }
        }
        // The same segment with a well-formed options area is taken: the drops above were
        // for the options alone.
        let acks = count(&net, Dir::BtoA, |_, _| true);
        net.raw_to_b(&with_options(&net, &[1, 1, 1, 0], false, b"abc"));
        net.run_for(Duration::from_secs(1));
        assert_eq!(net.b.info(hb).expect("info").readable, 3);
        assert!(
            count(&net, Dir::BtoA, |_, _| true) > acks,
            "the data was acknowledged"
        );
        assert_eq!(net.b.state(hb), State::Established);
    }
}
