//! SYN cookies (RFC 4987 section 3.6): when a listener's backlog is full, its SYN,ACK carries
//! an ISS that encodes what the connection needs, and no state is kept; the ACK that completes
//! the handshake brings the cookie back (SEG.ACK - 1), and a valid one recreates the
//! connection.
//!
//! The cookie, 32 bits, as in Bernstein's design and Linux's `cookie_v4_init_sequence`:
//!
//! | bits  | what |
//! |-------|------|
//! | 31-27 | `t`: a counter that advances every [`PERIOD`], modulo 32 |
//! | 26-24 | the index of the peer's MSS, rounded down, in [`MSS_TABLE`] |
//! | 23-0  | SipHash-2-4 under the stack's secret key of (`t`, the MSS index, both addresses and ports, the peer's ISN), truncated |
//!
//! A cookie is accepted while `t` is the current counter or the one before (64 to 128
//! seconds, as Linux's two minutes), and only with the same addresses, ports and peer ISN
//! (SEG.SEQ - 1 of the ACK). A blind attacker must guess 24 bits per try.
//!
//! What a cookie cannot carry is lost, as RFC 4987 section 3.6 says: the window scale option
//! (a SYN,ACK with a cookie offers none, so both sides send unscaled windows: RFC 7323 section
//! 2.2), text or FIN on the SYN (not acknowledged, so the peer sends them again), and an MSS
//! between two entries of the table (rounded down).

use crate::isn::{random_key, siphash24, tuple_bytes};
use crate::time::Timestamp;
use std::net::SocketAddr;
use std::time::Duration;

/// How often the cookie counter `t` advances.
pub const PERIOD: Duration = Duration::from_secs(64);

/// The MSS values a cookie can carry (the peer's MSS is rounded down to one of them): the
/// IPv4 minimum, the IPv6 minimum less headers, and common path MTUs less headers.
pub const MSS_TABLE: [u16; 8] = [536, 1220, 1300, 1360, 1400, 1440, 1460, 8960];

/// Makes and checks SYN cookies under a secret key of the stack's own.
#[derive(Clone, Debug)]
pub struct CookieJar {
    key: (u64, u64),
}

impl Default for CookieJar {
    fn default() -> Self {
        Self::new()
    }
}

/// The counter `t` at `now`, modulo 32.
fn counter(now: Timestamp) -> u32 {
    ((now.micros() / PERIOD.as_micros() as u64) % 32) as u32
}

impl CookieJar {
    /// A jar with a fresh random key (`getrandom(2)`, as the ISN generator's).
    pub fn new() -> CookieJar {
        CookieJar { key: random_key() }
    }

    /// The 24-bit keyed hash of a cookie's inputs.
    fn hash(&self, t: u32, mss_index: u32, local: SocketAddr, remote: SocketAddr, isn: u32) -> u32 {
        let mut msg = [0u8; 44];
        msg[..36].copy_from_slice(&tuple_bytes(local, remote));
        let isn = if fault!(CookieIgnoresPeerIsn) { 0 } else { isn };
        msg[36..40].copy_from_slice(&isn.to_be_bytes());
        msg[40..44].copy_from_slice(&(t << 8 | mss_index).to_be_bytes());
        (siphash24(self.key, &msg) as u32) & 0x00ff_ffff
    }

    /// The cookie (our ISS) for a SYN from `remote` to `local` with sequence number `isn`
    /// and MSS option `mss` (RFC 9293's default of 536 when absent), made at `now`.
    pub fn make(
        &self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        isn: u32,
        mss: u16,
    ) -> u32 {
        let index = MSS_TABLE.iter().rposition(|m| *m <= mss).unwrap_or(0) as u32;
        let t = counter(now);
        t << 27 | index << 24 | self.hash(t, index, local, remote, isn)
    }

    /// The MSS a valid cookie carries, or `None`: `cookie` is SEG.ACK - 1 and `isn` SEG.SEQ - 1
    /// of an ACK from `remote` to `local` arriving at `now`.
    pub fn check(
        &self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        isn: u32,
        cookie: u32,
    ) -> Option<u16> {
        let t = cookie >> 27;
        let index = (cookie >> 24) & 7;
        let now_t = counter(now);
        let age = now_t.wrapping_sub(t) % 32;
        let max_age = if fault!(CookieNeverExpires) { 31 } else { 1 };
        if age > max_age {
            return None;
        }
        (cookie & 0x00ff_ffff == self.hash(t, index, local, remote, isn)).then(|| mss_of(cookie))
    }
}

/// The MSS a cookie carries (its bits 26-24 index [`MSS_TABLE`]).
pub fn mss_of(cookie: u32) -> u16 {
    MSS_TABLE[((cookie >> 24) & 7) as usize]
}
