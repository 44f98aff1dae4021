//! The Internet checksum (RFC 1071) and the TCP pseudo-headers of RFC 9293 section 3.1
//! (IPv4) and RFC 8200 section 8.1 (IPv6).

use std::net::IpAddr;

/// Adds `data` as a sequence of big-endian 16-bit words to the running sum `acc`
/// (an odd trailing byte is padded with zero, RFC 1071 section 4.1).
pub fn add_bytes(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Sum the four 16-bit words of the 64-bit chunk.
        acc += (w >> 48) + ((w >> 32) & 0xffff) + ((w >> 16) & 0xffff) + (w & 0xffff);
    }
    let mut rest = chunks.remainder().chunks_exact(2);
    for c in &mut rest {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = rest.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
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
    acc + tcp_len as u64 + u64::from(super::tcp::PROTOCOL_TCP)
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
}
