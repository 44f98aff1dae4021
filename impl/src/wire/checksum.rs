//! The Internet checksum (RFC 1071) and the TCP pseudo-headers of RFC 9293 section 3.1
//! (IPv4) and RFC 8200 section 8.1 (IPv6).

use std::net::IpAddr;

/// Adds `data` as a sequence of big-endian 16-bit words to the running sum `acc`
/// (an odd trailing byte is padded with zero, RFC 1071 section 4.1).
///
/// The bulk is summed as native-endian 32-bit halves of 64-bit words in two accumulators
/// (no carries to propagate, and the compiler vectorizes it), folded to 16 bits and
/// byte-swapped to big-endian order at the end: the one's complement sum is independent
/// of byte order up to that swap (RFC 1071 section 2(B)).
pub fn add_bytes(acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    let (mut lo, mut hi) = (0u64, 0u64);
    for c in &mut chunks {
        let w = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        lo += w & 0xffff_ffff;
        hi += w >> 32;
    }
    // Each accumulator holds at most len / 8 values below 2^32: no overflow below 2^34 bytes
    // (with the halves folded to 33 bits first, their sum cannot overflow either).
    let mut bulk = fold32(lo) + fold32(hi);
    while bulk > 0xffff {
        bulk = (bulk & 0xffff) + (bulk >> 16);
    }
    let mut acc = acc + u64::from(u16::from_be(bulk as u16));
    // The remainder starts at a multiple of 8, hence on a 16-bit word boundary.
    let mut rest = chunks.remainder().chunks_exact(2);
    for c in &mut rest {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = rest.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds a sum of 32-bit values to at most 33 bits, keeping it congruent modulo 2^16 - 1.
fn fold32(x: u64) -> u64 {
    (x & 0xffff_ffff) + (x >> 32)
}

/// Folds a running sum to 16 bits and returns its one's complement: the checksum field value.
/// Verifying a buffer that includes its checksum field yields 0.
pub fn finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The running sum of the TCP pseudo-header for `src`, `dst` and a TCP segment of
/// `tcp_len` bytes (protocol 6). Both addresses must be of the same family.
pub fn pseudo_header_sum(src: IpAddr, dst: IpAddr, tcp_len: usize) -> u64 {
    pseudo_header_sum_for(src, dst, tcp_len, super::tcp::PROTOCOL_TCP)
}

/// The running sum of a pseudo-header for `src`, `dst`, a payload of `len` bytes and the
/// upper-layer `protocol` (TCP, or ICMPv6: RFC 4443 section 2.3 uses RFC 8200's).
pub fn pseudo_header_sum_for(src: IpAddr, dst: IpAddr, len: usize, protocol: u8) -> u64 {
    let mut acc = 0;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = add_bytes(acc, &s.octets());
            acc = add_bytes(acc, &d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            acc = add_bytes(acc, &s.octets());
            acc = add_bytes(acc, &d.octets());
        }
        (s, d) => {
            acc = add_bytes(acc, &ip_bytes(s));
            acc = add_bytes(acc, &ip_bytes(d));
        }
    }
    acc + len as u64 + u64::from(protocol)
}

fn ip_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(add_bytes(0, &data)), !0xddf2);
    }

    #[test]
    fn odd_length_is_padded() {
        assert_eq!(add_bytes(0, &[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    #[test]
    fn chunked_sum_matches_word_sum() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
        let mut slow = 0u64;
        for c in data.chunks(2) {
            slow += u64::from(c[0]) << 8 | u64::from(*c.get(1).unwrap_or(&0));
        }
        assert_eq!(finish(add_bytes(0, &data)), finish(slow));
    }

    /// The word-by-word definition of RFC 1071.
    fn reference(acc: u64, data: &[u8]) -> u64 {
        data.chunks(2).fold(acc, |a, c| {
            a + (u64::from(c[0]) << 8 | u64::from(*c.get(1).unwrap_or(&0)))
        })
    }

    proptest::proptest! {
        #[test]
        fn fast_sum_matches_the_definition(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            acc in 0u64..1 << 40,
        ) {
            proptest::prop_assert_eq!(finish(add_bytes(acc, &data)), finish(reference(acc, &data)));
        }
    }
}
