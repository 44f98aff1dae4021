//! Initial sequence numbers per RFC 6528 section 3 (and RFC 9293 section 3.4.1):
//! `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`, where `M` is a timer
//! ticking every 4 microseconds and `F` a keyed pseudo-random function. `F` here is
//! SipHash-2-4 (Aumasson and Bernstein, 2012; Linux uses it for the same purpose) under a
//! 128-bit secret key drawn for each stack from the kernel's random source (`getrandom(2)`).

use crate::time::Timestamp;
use std::net::{IpAddr, SocketAddr};

/// Generates ISNs for a stack; each stack has its own secret key.
#[derive(Clone, Debug)]
pub struct IsnGenerator {
    key: (u64, u64),
}

impl Default for IsnGenerator {
    fn default() -> Self {
        Self::new()
    }
}

impl IsnGenerator {
    /// A generator with a fresh random key.
    pub fn new() -> IsnGenerator {
        IsnGenerator { key: random_key() }
    }

    /// The ISN for a connection from `local` to `remote` opened at `now`.
    pub fn isn(&self, now: Timestamp, local: SocketAddr, remote: SocketAddr) -> u32 {
        // F's input: local address, local port, remote address, remote port (RFC 6528 3).
        let f = siphash24(self.key, &tuple_bytes(local, remote)) as u32;
        let m = (now.micros() / 4) as u32;
        m.wrapping_add(f)
    }
}

/// The 4-tuple as 36 bytes: each address as IPv6 (IPv4 mapped), then its port, local first.
pub(crate) fn tuple_bytes(local: SocketAddr, remote: SocketAddr) -> [u8; 36] {
    let mut msg = [0u8; 36];
    for (i, a) in [local, remote].into_iter().enumerate() {
        let octets = match a.ip() {
            IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
            IpAddr::V6(v) => v.octets(),
        };
        msg[i * 18..i * 18 + 16].copy_from_slice(&octets);
        msg[i * 18 + 16..i * 18 + 18].copy_from_slice(&a.port().to_be_bytes());
    }
    msg
}

/// A 128-bit key from `getrandom(2)`. Should the call fail (it does not on Linux 3.17 and
/// later once the pool is initialised), the key comes from std's per-process random hash
/// keys instead, which are seeded from the same source.
pub(crate) fn random_key() -> (u64, u64) {
    let mut buf = [0u8; 16];
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writing at most the remaining bytes of `buf`.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n > 0 {
            filled += n as usize;
        } else if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            use std::hash::BuildHasher;
            let s = std::collections::hash_map::RandomState::new();
            return (s.hash_one(0u8), s.hash_one(1u8));
        }
    }
    let (a, b) = buf.split_at(8);
    (
        u64::from_le_bytes(a.try_into().unwrap_or_default()),
        u64::from_le_bytes(b.try_into().unwrap_or_default()),
    )
}

/// SipHash-2-4 of `msg` under the key `(k0, k1)` (the key's two little-endian halves).
pub(crate) fn siphash24((k0, k1): (u64, u64), msg: &[u8]) -> u64 {
    let mut v = [
        0x736f_6d65_7073_6575 ^ k0,
        0x646f_7261_6e64_6f6d ^ k1,
        0x6c79_6765_6e65_7261 ^ k0,
        0x7465_6462_7974_6573 ^ k1,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut compress = |m: u64| {
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    };
    let mut chunks = msg.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        compress(u64::from_le_bytes(w));
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    last[7] = msg.len() as u8;
    compress(u64::from_le_bytes(last));
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seq::SeqNum;

    fn addrs() -> (SocketAddr, SocketAddr) {
        (
            "192.0.2.1:80".parse().unwrap(),
            "192.0.2.2:4000".parse().unwrap(),
        )
    }

    /// The reference vectors of the SipHash paper (appendix A) and its `vectors.h`: key
    /// 00 01 .. 0f, message 00 01 .. (len-1).
    #[test]
    fn siphash_matches_the_reference_vectors() {
        let key = (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
        let msg: Vec<u8> = (0..64).collect();
        assert_eq!(siphash24(key, &msg[..0]), 0x726f_db47_dd0e_0e31);
        assert_eq!(siphash24(key, &msg[..15]), 0xa129_ca61_49be_45e5);
        assert_eq!(siphash24(key, &msg[..8]), 0x93f5_f579_9a93_2462);
        assert_eq!(siphash24(key, &msg[..63]), 0x958a_324c_eb06_4572);
    }

    #[test]
    fn same_tuple_advances_with_the_clock() {
        let g = IsnGenerator::new();
        let (l, r) = addrs();
        let a = g.isn(Timestamp(1_000_000), l, r);
        let b = g.isn(Timestamp(1_000_000 + 4_000), l, r);
        assert_eq!(b.wrapping_sub(a), 1000);
        assert!(SeqNum(a).lt(SeqNum(b)));
    }

    #[test]
    fn different_tuples_and_keys_differ() {
        let g = IsnGenerator::new();
        let (l, r) = addrs();
        let other: SocketAddr = "192.0.2.2:4001".parse().unwrap();
        // With a 32-bit keyed hash a collision has probability 2^-32; treat it as a failure.
        assert_ne!(g.isn(Timestamp(0), l, r), g.isn(Timestamp(0), l, other));
        let g2 = IsnGenerator::new();
        assert_ne!(g.isn(Timestamp(0), l, r), g2.isn(Timestamp(0), l, r));
    }
}
