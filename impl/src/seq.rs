//! Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4).
//!
//! Sequence numbers are compared by the sign of their 32-bit wrapping difference, so `a < b`
//! means "b is less than 2^31 ahead of a". This relation is not transitive over the whole
//! space, which is why [`SeqNum`] does not implement `Ord`.

use std::fmt;

/// A TCP sequence (or acknowledgment) number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// `self + n` modulo 2^32.
    pub fn plus(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }
    /// `self - n` modulo 2^32.
    pub fn minus(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(n))
    }
    /// The distance from `earlier` to `self`, modulo 2^32 (meaningful when `earlier <= self`).
    pub fn since(self, earlier: SeqNum) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }
    /// `self < other` in sequence space.
    pub fn lt(self, other: SeqNum) -> bool {
        (self.0.wrapping_sub(other.0) as i32) < 0
    }
    /// `self <= other` in sequence space.
    pub fn le(self, other: SeqNum) -> bool {
        (self.0.wrapping_sub(other.0) as i32) <= 0
    }
    /// `self > other` in sequence space.
    pub fn gt(self, other: SeqNum) -> bool {
        other.lt(self)
    }
    /// `self >= other` in sequence space.
    pub fn ge(self, other: SeqNum) -> bool {
        other.le(self)
    }
    /// `lo <= self < lo + len`: the window test used throughout RFC 9293 section 3.10.7.4.
    pub fn in_window(self, lo: SeqNum, len: u32) -> bool {
        self.since(lo) < len
    }
    /// The later of two sequence numbers.
    pub fn max(self, other: SeqNum) -> SeqNum {
        if self.lt(other) {
            other
        } else {
            self
        }
    }
}

impl fmt::Debug for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_around() {
        let a = SeqNum(u32::MAX - 10);
        let b = a.plus(20);
        assert_eq!(b, SeqNum(9));
        assert!(a.lt(b) && b.gt(a) && a.le(a) && a.ge(a));
        assert_eq!(b.since(a), 20);
        assert!(SeqNum(5).in_window(a, 30));
        assert!(!SeqNum(20).in_window(a, 30));
        assert!(!a.in_window(a, 0));
    }

    proptest! {
        #[test]
        fn order_is_antisymmetric(a: u32, d in 1u32..(1 << 31)) {
            let x = SeqNum(a);
            let y = x.plus(d);
            prop_assert!(x.lt(y));
            prop_assert!(!y.lt(x));
            prop_assert!(y.gt(x));
            prop_assert_eq!(y.since(x), d);
            prop_assert_eq!(y.minus(d), x);
        }
    }
}
