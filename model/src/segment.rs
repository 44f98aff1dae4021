//! The TCP segment as the model sees it: control bits, sequence and acknowledgment numbers and
//! a payload length (RFC 9293 section 3.1), over a small sequence space that wraps.
//!
//! RFC 9293 section 3.4 does all sequence arithmetic modulo 2^32 and compares numbers only
//! within half the space. The model does the same modulo [`SEQ_SPACE`] (2^8), so that a
//! connection can outrun the ISN clock and old numbers come round again in a state space small
//! enough to explore. [`Seq`] therefore has no `<`: comparisons are the methods [`Seq::lt`],
//! [`Seq::le`] and [`Seq::in_window`], which read "before" and "after" within half the space.

use serde::Serialize;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use tcp_vectors::Flags;

/// Size of the model's sequence space: numbers are taken modulo 256.
pub const SEQ_SPACE: u16 = 256;

/// A sequence number modulo [`SEQ_SPACE`]. Addition and subtraction wrap; order is modular
/// (RFC 9293 section 3.4: `a < b` when `b - a` is less than half the space), hence methods
/// instead of `PartialOrd`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Seq(pub u8);

impl Seq {
    /// `self < other` in the modular order: `other` lies within the half-space after `self`.
    pub fn lt(self, other: Seq) -> bool {
        (other.0.wrapping_sub(self.0) as i8) > 0
    }

    /// `self =< other` in the modular order.
    pub fn le(self, other: Seq) -> bool {
        self == other || self.lt(other)
    }

    /// `lo =< self < lo + len`: inside the window of `len` numbers starting at `lo`.
    pub fn in_window(self, lo: Seq, len: u8) -> bool {
        self.0.wrapping_sub(lo.0) < len
    }

    /// `self - other` as a distance (modulo the space).
    pub fn minus(self, other: Seq) -> u8 {
        self.0.wrapping_sub(other.0)
    }

    /// The later of two numbers in the modular order.
    pub fn max(self, other: Seq) -> Seq {
        if self.lt(other) {
            other
        } else {
            self
        }
    }
}

impl Add<u8> for Seq {
    type Output = Seq;
    fn add(self, n: u8) -> Seq {
        Seq(self.0.wrapping_add(n))
    }
}

impl AddAssign<u8> for Seq {
    fn add_assign(&mut self, n: u8) {
        self.0 = self.0.wrapping_add(n);
    }
}

impl Sub<u8> for Seq {
    type Output = Seq;
    fn sub(self, n: u8) -> Seq {
        Seq(self.0.wrapping_sub(n))
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Control bits.
    #[serde(serialize_with = "flags_as_string")]
    pub flags: Flags,
    /// SEG.SEQ.
    pub seq: Seq,
    /// SEG.ACK (meaningful only when `flags.ack`).
    pub ack: Seq,
    /// Number of data octets carried.
    pub len: u8,
}

impl Segment {
    /// A total order for keeping segments sorted (the network is a multiset); it is the order
    /// of the raw numbers, not the modular order of sequence space.
    fn key(&self) -> (Flags, u8, u8, u8) {
        (self.flags, self.seq.0, self.ack.0, self.len)
    }
}

impl Segment {
    /// The segment packed into 32 bits (flags, SEQ, ACK, length): distinct segments give
    /// distinct words, so it serves for hashing.
    pub fn packed(&self) -> u32 {
        let f = &self.flags;
        let bits = f.syn as u32
            | (f.fin as u32) << 1
            | (f.rst as u32) << 2
            | (f.psh as u32) << 3
            | (f.ack as u32) << 4
            | (f.urg as u32) << 5;
        bits | (self.seq.0 as u32) << 8 | (self.ack.0 as u32) << 16 | (self.len as u32) << 24
    }
}

impl std::hash::Hash for Segment {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u32(self.packed());
    }
}

impl PartialOrd for Segment {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Segment {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

fn flags_as_string<S: serde::Serializer>(f: &Flags, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(f)
}

/// Build [`Flags`] from the four control bits the model uses.
pub const fn ctl(syn: bool, ack: bool, fin: bool, rst: bool) -> Flags {
    Flags {
        syn,
        fin,
        rst,
        psh: false,
        ack,
        urg: false,
    }
}

impl Segment {
    /// SEG.LEN as RFC 9293 section 3.4 counts it: data octets plus one for SYN and one for FIN.
    pub fn seg_len(&self) -> u8 {
        self.len + self.flags.syn as u8 + self.flags.fin as u8
    }

    /// The number just past the segment's data (SEG.SEQ + data length; a SYN's data starts
    /// after the SYN).
    pub fn data_end(&self) -> Seq {
        self.seq + self.flags.syn as u8 + self.len
    }

    /// `<SEQ=seq><CTL=RST>`.
    pub fn rst(seq: Seq) -> Segment {
        Segment {
            flags: ctl(false, false, false, true),
            seq,
            ack: Seq(0),
            len: 0,
        }
    }

    /// `<SEQ=seq><ACK=ack><CTL=RST,ACK>`.
    pub fn rst_ack(seq: Seq, ack: Seq) -> Segment {
        Segment {
            flags: ctl(false, true, false, true),
            seq,
            ack,
            len: 0,
        }
    }

    /// `<SEQ=seq><ACK=ack><CTL=ACK>` with no data.
    pub fn ack(seq: Seq, ack: Seq) -> Segment {
        Segment {
            flags: ctl(false, true, false, false),
            seq,
            ack,
            len: 0,
        }
    }

    /// `<SEQ=seq><CTL=SYN>`.
    pub fn syn(seq: Seq) -> Segment {
        Segment {
            flags: ctl(true, false, false, false),
            seq,
            ack: Seq(0),
            len: 0,
        }
    }

    /// `<SEQ=seq><ACK=ack><CTL=SYN,ACK>`.
    pub fn syn_ack(seq: Seq, ack: Seq) -> Segment {
        Segment {
            flags: ctl(true, true, false, false),
            seq,
            ack,
            len: 0,
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} seq={}", self.flags, self.seq)?;
        if self.flags.ack {
            write!(f, " ack={}", self.ack)?;
        }
        if self.len > 0 {
            write!(f, " len={}", self.len)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_modular_within_half_the_space() {
        assert!(
            Seq(250).lt(Seq(3)),
            "3 comes after 250 once the space wraps"
        );
        assert!(!Seq(3).lt(Seq(250)));
        assert!(
            Seq(10).lt(Seq(137)) && !Seq(10).lt(Seq(138)),
            "half the space"
        );
        assert!(Seq(7).le(Seq(7)) && !Seq(7).lt(Seq(7)));
        assert!(Seq(254).in_window(Seq(250), 5) && !Seq(255).in_window(Seq(250), 5));
        assert!(Seq(1).in_window(Seq(253), 5), "a window that wraps");
        assert_eq!(Seq(2).minus(Seq(250)), 8);
        assert_eq!(Seq(255) + 3, Seq(2));
        assert_eq!(Seq(1) - 3, Seq(254));
        assert_eq!(Seq(250).max(Seq(2)), Seq(2));
    }
}
