//! Codec tests, cross-checked against etherparse in both directions.

use super::*;
use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TcpOptionElement, TransportSlice};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

fn v6(a: [u8; 16]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(a))
}

fn header(seq: u32, ack: u32, flags: u8, window: u16, options: TcpOptions) -> TcpHeader {
    TcpHeader {
        src_port: 40000,
        dst_port: 80,
        seq,
        ack,
        flags: Flags(flags),
        window,
        urgent: 0,
        options,
    }
}

fn our_packet(src: IpAddr, dst: IpAddr, h: &TcpHeader, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    build_packet(&mut out, src, dst, h, payload, 7);
    out
}

/// Checks that etherparse reads back exactly what we wrote, including both checksums.
fn check_with_etherparse(bytes: &[u8], h: &TcpHeader, payload: &[u8]) {
    let sliced = SlicedPacket::from_ip(bytes).expect("etherparse accepts our packet");
    let tcp = match sliced.transport {
        Some(TransportSlice::Tcp(t)) => t,
        other => panic!("not TCP: {other:?}"),
    };
    assert_eq!(tcp.source_port(), h.src_port);
    assert_eq!(tcp.destination_port(), h.dst_port);
    assert_eq!(tcp.sequence_number(), h.seq);
    assert_eq!(tcp.acknowledgment_number(), h.ack);
    assert_eq!(tcp.syn(), h.flags.contains(Flags::SYN));
    assert_eq!(tcp.ack(), h.flags.contains(Flags::ACK));
    assert_eq!(tcp.fin(), h.flags.contains(Flags::FIN));
    assert_eq!(tcp.rst(), h.flags.contains(Flags::RST));
    assert_eq!(tcp.psh(), h.flags.contains(Flags::PSH));
    assert_eq!(tcp.urg(), h.flags.contains(Flags::URG));
    assert_eq!(tcp.ece(), h.flags.contains(Flags::ECE));
    assert_eq!(tcp.cwr(), h.flags.contains(Flags::CWR));
    assert!(!tcp.ns(), "the reserved bits stay clear");
    assert_eq!(tcp.urgent_pointer(), h.urgent);
    assert_eq!(tcp.window_size(), h.window);
    assert_eq!(tcp.payload(), payload);
    let mut mss = None;
    let mut ws = None;
    let mut sackp = false;
    let mut ts = None;
    for o in tcp.options_iterator() {
        match o.expect("etherparse parses our options") {
            TcpOptionElement::MaximumSegmentSize(m) => mss = Some(m),
            TcpOptionElement::WindowScale(w) => ws = Some(w),
            TcpOptionElement::SelectiveAcknowledgementPermitted => sackp = true,
            TcpOptionElement::Timestamp(a, b) => ts = Some((a, b)),
            _ => {}
        }
    }
    assert_eq!(mss, h.options.mss);
    assert_eq!(ws, h.options.window_scale);
    assert_eq!(sackp, h.options.sack_permitted);
    assert_eq!(ts, h.options.timestamps);
    let expected = match sliced.net {
        Some(NetSlice::Ipv4(ip)) => {
            let ih = ip.header().to_header();
            assert_eq!(ih.header_checksum, ih.calc_header_checksum());
            tcp.to_header()
                .calc_checksum_ipv4_raw(ih.source, ih.destination, payload)
                .expect("small")
        }
        Some(NetSlice::Ipv6(ip)) => {
            let ih = ip.header().to_header();
            tcp.to_header()
                .calc_checksum_ipv6_raw(ih.source, ih.destination, payload)
                .expect("small")
        }
        other => panic!("not IP: {other:?}"),
    };
    assert_eq!(tcp.checksum(), expected);
}

fn etherparse_options(o: &TcpOptions) -> Vec<TcpOptionElement> {
    let mut v = Vec::new();
    if let Some(m) = o.mss {
        v.push(TcpOptionElement::MaximumSegmentSize(m));
    }
    if let Some(w) = o.window_scale {
        v.push(TcpOptionElement::WindowScale(w));
    }
    if o.sack_permitted {
        v.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if let Some((a, b)) = o.timestamps {
        v.push(TcpOptionElement::Timestamp(a, b));
    }
    v
}

/// Builds a packet with etherparse (every control bit; the urgent pointer is only settable
/// with URG there) for our parser to read back.
fn etherparse_packet(v6_family: bool, h: &TcpHeader, payload: &[u8]) -> Vec<u8> {
    let ip = if v6_family {
        PacketBuilder::ipv6(
            [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            64,
        )
    } else {
        PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
    };
    let mut b = ip.tcp(h.src_port, h.dst_port, h.seq, h.window);
    if h.flags.contains(Flags::SYN) {
        b = b.syn();
    }
    if h.flags.contains(Flags::ACK) {
        b = b.ack(h.ack);
    }
    if h.flags.contains(Flags::FIN) {
        b = b.fin();
    }
    if h.flags.contains(Flags::RST) {
        b = b.rst();
    }
    if h.flags.contains(Flags::PSH) {
        b = b.psh();
    }
    if h.flags.contains(Flags::URG) {
        b = b.urg(h.urgent);
    }
    if h.flags.contains(Flags::ECE) {
        b = b.ece();
    }
    if h.flags.contains(Flags::CWR) {
        b = b.cwr();
    }
    let b = b
        .options(&etherparse_options(&h.options))
        .expect("options fit");
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("write to vec");
    out
}

fn arb_options() -> impl Strategy<Value = TcpOptions> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(0u8..15),
        any::<bool>(),
        proptest::option::of((any::<u32>(), any::<u32>())),
    )
        .prop_map(
            |(mss, window_scale, sack_permitted, timestamps)| TcpOptions {
                mss,
                window_scale,
                sack_permitted,
                timestamps,
            },
        )
}

/// All eight control bits, URG, ECE and CWR included, with every combination likely.
fn arb_flags() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        // URG, ECE and CWR on a plain ACK (the common shapes on a real connection).
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(u, e, c, p)| {
            0x10 | u8::from(u) << 5 | u8::from(e) << 6 | u8::from(c) << 7 | u8::from(p) << 3
        }),
    ]
}

/// An urgent pointer, mostly nonzero, including the extremes.
fn arb_urgent() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), Just(1), Just(u16::MAX), any::<u16>()]
}

proptest! {
    #[test]
    fn ours_to_etherparse(seq: u32, ack: u32, flags in arb_flags(), window: u16,
                          urgent in arb_urgent(),
                          options in arb_options(),
                          payload in proptest::collection::vec(any::<u8>(), 0..300),
                          family6: bool) {
        let mut h = header(seq, ack, flags, window, options);
        // Our encoder writes the urgent pointer whether or not URG is set.
        h.urgent = urgent;
        if !h.flags.contains(Flags::ACK) {
            h.ack = 0;
        }
        let (src, dst) = if family6 {
            (v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]))
        } else {
            (v4([192, 0, 2, 1]), v4([198, 51, 100, 7]))
        };
        let bytes = our_packet(src, dst, &h, &payload);
        check_with_etherparse(&bytes, &h, &payload);
        // And we read back what we wrote.
        let p = parse_packet(&bytes).expect("we parse our own packet");
        prop_assert_eq!(p.tcp, h);
        prop_assert_eq!(p.payload, &payload[..]);
        prop_assert_eq!((p.src, p.dst), (src, dst));
    }

    #[test]
    fn etherparse_to_ours(seq: u32, ack: u32, flags in arb_flags(), window: u16,
                          urgent in arb_urgent(),
                          options in arb_options(),
                          payload in proptest::collection::vec(any::<u8>(), 0..300),
                          family6: bool) {
        let mut h = header(seq, ack, flags, window, options);
        if !h.flags.contains(Flags::ACK) {
            h.ack = 0;
        }
        if h.flags.contains(Flags::URG) {
            h.urgent = urgent;
        }
        let bytes = etherparse_packet(family6, &h, &payload);
        let p = parse_packet(&bytes).expect("we parse etherparse's packet");
        prop_assert_eq!(p.tcp, h);
        prop_assert_eq!(p.payload, &payload[..]);
    }

    /// Arbitrary bytes never panic the parser, and a single flipped bit in a valid packet is
    /// either rejected or (if it hit a field the checksums do not cover) parsed.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = parse_packet(&bytes);
    }

    #[test]
    fn flipped_bit_in_tcp_is_caught(bit in 0usize..(20 * 8 + 16 * 8)) {
        let h = header(1000, 2000, 0x18, 512, TcpOptions::default());
        let payload = [0xabu8; 16];
        let mut bytes = our_packet(v4([192, 0, 2, 1]), v4([192, 0, 2, 2]), &h, &payload);
        bytes[20 + bit / 8] ^= 1 << (bit % 8);
        prop_assert!(parse_packet(&bytes).is_err());
    }
}

fn sample_v4() -> Vec<u8> {
    let h = header(
        1,
        2,
        0x12,
        1000,
        TcpOptions {
            mss: Some(1460),
            ..TcpOptions::default()
        },
    );
    our_packet(v4([192, 0, 2, 1]), v4([192, 0, 2, 2]), &h, b"hello")
}

#[test]
fn bad_tcp_checksum_is_typed() {
    let mut p = sample_v4();
    let last = p.len() - 1;
    p[last] ^= 0xff;
    assert_eq!(parse_packet(&p), Err(WireError::BadChecksum("TCP")));
}

#[test]
fn bad_ip_checksum_is_typed() {
    let mut p = sample_v4();
    p[8] ^= 1; // TTL
    assert_eq!(parse_packet(&p), Err(WireError::BadChecksum("IPv4 header")));
}

#[test]
fn truncated_tcp_header_is_typed() {
    let h = header(1, 2, 0x10, 1000, TcpOptions::default());
    let full = our_packet(v4([192, 0, 2, 1]), v4([192, 0, 2, 2]), &h, b"");
    // Cut the TCP header to 12 bytes and fix up the IPv4 total length and checksum.
    let mut p = full[..32].to_vec();
    p[2..4].copy_from_slice(&32u16.to_be_bytes());
    p[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum::finish(checksum::add_bytes(0, &p[..20]));
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    assert!(matches!(
        parse_packet(&p),
        Err(WireError::Truncated { layer: "TCP", .. })
    ));
    assert!(matches!(
        parse_packet(&full[..10]),
        Err(WireError::Truncated { layer: "IPv4", .. })
    ));
}

#[test]
fn bad_data_offset_is_typed() {
    let mut p = sample_v4();
    p[20 + 12] = 4 << 4; // data offset 4 words < 5
    assert_eq!(parse_packet(&p), Err(WireError::BadDataOffset(4)));
    p[20 + 12] = 15 << 4; // 60 bytes > segment
    assert_eq!(parse_packet(&p), Err(WireError::BadDataOffset(15)));
}

/// Builds a v4 packet whose TCP options area is exactly `opts` (a multiple of 4 bytes), with
/// valid checksums, so that only the option is wrong.
fn with_raw_options(opts: &[u8]) -> Vec<u8> {
    let h = header(1, 2, 0x02, 1000, TcpOptions::default());
    let src = v4([192, 0, 2, 1]);
    let dst = v4([192, 0, 2, 2]);
    let mut seg = vec![0u8; 20];
    h.emit(&mut seg, &[], src, dst);
    seg[12] = (((20 + opts.len()) / 4) as u8) << 4;
    seg[16..18].copy_from_slice(&[0, 0]);
    seg.extend_from_slice(opts);
    let sum = checksum::add_bytes(checksum::pseudo_header_sum(src, dst, seg.len()), &seg);
    seg[16..18].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    let mut out = vec![0u8; 20];
    Ipv4Header {
        src: Ipv4Addr::new(192, 0, 2, 1),
        dst: Ipv4Addr::new(192, 0, 2, 2),
        protocol: 6,
        tos: 0,
        ttl: 64,
        identification: 0,
        dont_fragment: true,
        payload_len: seg.len(),
    }
    .emit(&mut out);
    out.extend_from_slice(&seg);
    out
}

#[test]
fn bad_options_are_typed() {
    // MSS with length 3.
    assert_eq!(
        parse_packet(&with_raw_options(&[2, 3, 5, 0])),
        Err(WireError::BadOption { kind: 2 })
    );
    // Length 0 (would loop forever if accepted).
    assert_eq!(
        parse_packet(&with_raw_options(&[30, 0, 1, 1])),
        Err(WireError::BadOption { kind: 30 })
    );
    // Length running past the options area.
    assert_eq!(
        parse_packet(&with_raw_options(&[8, 10, 0, 0])),
        Err(WireError::BadOption { kind: 8 })
    );
    // Kind without a length byte.
    assert_eq!(
        parse_packet(&with_raw_options(&[1, 1, 1, 2])),
        Err(WireError::BadOption { kind: 2 })
    );
    // Unknown option with a sane length is skipped; EOL ends the list.
    let bytes = with_raw_options(&[30, 2, 2, 4, 5, 0xb4, 0, 0]);
    let p = parse_packet(&bytes).expect("valid");
    assert_eq!(p.tcp.options.mss, Some(1460));
}

#[test]
fn fragments_and_other_protocols_are_rejected() {
    let mut p = sample_v4();
    p[6] |= 0x20; // MF
    p[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum::finish(checksum::add_bytes(0, &p[..20]));
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(parse_packet(&p), Err(WireError::Fragment));
    let mut q = sample_v4();
    q[9] = 17;
    q[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum::finish(checksum::add_bytes(0, &q[..20]));
    q[10..12].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(parse_packet(&q), Err(WireError::NotTcp(17)));
}

#[test]
fn ipv6_length_mismatch_is_typed() {
    let h = header(1, 2, 0x10, 1000, TcpOptions::default());
    let mut p = etherparse_packet(true, &h, b"abc");
    p[4..6].copy_from_slice(&500u16.to_be_bytes());
    assert!(matches!(
        parse_packet(&p),
        Err(WireError::BadLength { layer: "IPv6", .. })
    ));
}

#[test]
fn ipv6_bad_tcp_checksum_and_truncation_are_typed() {
    let h = header(1, 2, 0x10, 1000, TcpOptions::default());
    let good = etherparse_packet(true, &h, b"abcdef");
    assert!(parse_packet(&good).is_ok());
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    assert_eq!(parse_packet(&bad), Err(WireError::BadChecksum("TCP")));
    assert!(matches!(
        parse_packet(&good[..30]),
        Err(WireError::Truncated { layer: "IPv6", .. })
    ));
    // A pseudo-header covers the addresses: changing the source breaks the checksum.
    let mut moved = good.clone();
    moved[23] ^= 1;
    assert_eq!(parse_packet(&moved), Err(WireError::BadChecksum("TCP")));
    // The unverified parse (device checksum offload) accepts it.
    assert!(parse_packet_with(&moved, false).is_ok());
}

#[test]
fn partial_checksum_completes_to_the_full_one() {
    // A device with checksum offload sums the segment from the TCP header on, with the
    // field holding the pseudo-header sum, and stores the complement (CHECKSUM_PARTIAL).
    let payload: Vec<u8> = (0..3001u32).map(|i| (i * 13 % 251) as u8).collect();
    for (src, dst, ip_len) in [
        (v4([192, 0, 2, 2]), v4([192, 0, 2, 1]), 20),
        (
            v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
            v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            40,
        ),
    ] {
        let h = header(7, 9, 0x18, 1000, TcpOptions::default());
        let full = our_packet(src, dst, &h, &payload);
        let mut partial = Vec::new();
        let ip = PacketIp {
            src,
            dst,
            ident: 7,
            ttl: 64,
            tos: 0,
        };
        build_packet_with(&mut partial, ip, &h, payload.len(), true, |o| {
            o.extend_from_slice(&payload)
        });
        assert_ne!(
            partial[ip_len + 16..ip_len + 18],
            full[ip_len + 16..ip_len + 18]
        );
        let completed = checksum::finish(checksum::add_bytes(0, &partial[ip_len..]));
        partial[ip_len + 16..ip_len + 18].copy_from_slice(&completed.to_be_bytes());
        assert!(
            partial == full,
            "completed packet differs from the fully summed one"
        );
    }
}

/// RFC 9293 3.2 (MUST-64): options are processed wherever they begin, not only on word
/// boundaries.
#[test]
fn options_need_no_word_alignment() {
    for opts in [
        &[1u8, 2, 4, 5, 0xb4, 3, 3, 7][..], // MSS at offset 1, window scale at 5
        &[3, 3, 7, 2, 4, 5, 0xb4, 0],       // MSS at offset 3
    ] {
        let p = with_raw_options(opts);
        let tcp = parse_packet(&p).expect("valid").tcp;
        assert_eq!(tcp.options.mss, Some(1460), "{opts:?}");
        assert_eq!(tcp.options.window_scale, Some(7), "{opts:?}");
    }
}

/// RFC 9293 3.1 (MUST-68, MUST-69): every option this stack sends but EOL and NOP has a
/// length, and the header after an End of Option List is zeros: the stack pads with NOPs
/// and never sends an EOL followed by anything else.
#[test]
fn emitted_options_have_lengths_and_clean_padding() {
    for bits in 0u8..16 {
        let o = TcpOptions {
            mss: (bits & 1 != 0).then_some(1460),
            window_scale: (bits & 2 != 0).then_some(7),
            sack_permitted: bits & 4 != 0,
            timestamps: (bits & 8 != 0).then_some((1, 2)),
        };
        let h = header(1, 2, 0x12, 1000, o);
        let mut seg = vec![0u8; h.header_len()];
        h.emit(&mut seg, &[], v4([192, 0, 2, 1]), v4([192, 0, 2, 2]));
        let mut area = &seg[20..];
        while let Some(&kind) = area.first() {
            match kind {
                0 => {
                    assert!(area.iter().all(|&b| b == 0), "{o:?}: after EOL {area:?}");
                    break;
                }
                1 => area = &area[1..],
                _ => {
                    let len = usize::from(area[1]);
                    assert!(len >= 2 && len <= area.len(), "{o:?}: {area:?}");
                    area = &area[len..];
                }
            }
        }
        assert_eq!(
            parse_packet(&our_packet(v4([192, 0, 2, 1]), v4([192, 0, 2, 2]), &h, &[]))
                .expect("valid")
                .tcp
                .options,
            o
        );
    }
}
