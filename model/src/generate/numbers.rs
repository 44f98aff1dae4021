//! The numbers inside the generator's model runs, and how a vector writes them: symbolically,
//! relative to the target's ISS (`iss`), the peer's (`irs`) and the window (`wnd`).
//!
//! The model's sequence space has 256 numbers; the target's ISS and the peer's lie half the
//! space apart, so every number within a quarter space of one of them is written relative to
//! it.

use crate::segment::Seq;
use tcp_vectors::{SegmentPattern, SeqExpr, SeqVar};

/// The target's ISS inside the model (written `iss` in vectors).
pub const ISS: Seq = Seq(16);
/// The peer's ISS inside the model (written `irs` in vectors), half the space from ISS.
pub const IRS: Seq = Seq(144);
/// The acknowledgment number the peer uses before the target has chosen an ISS, inside the
/// model (a quarter of the space from both ISS and IRS).
pub const STRAY_ACK: Seq = Seq(80);
/// How [`STRAY_ACK`] is written in vectors: an absolute number.
const STRAY_ACK_WRITTEN: i64 = 12345;
/// The receive window inside the model; vectors write window-relative numbers with `wnd`.
pub const WND: u8 = 8;
/// Numbers closer than this to ISS, IRS or the stray acknowledgment are written relative to it.
const NEAR: i64 = 40;

/// Conversions between model numbers and vector expressions.
pub struct Numbers;

impl Numbers {
    /// The signed distance from `base` to `v` in sequence space.
    pub fn dist(base: Seq, v: Seq) -> i64 {
        v.minus(base) as i8 as i64
    }

    /// `v`'s offset from IRS.
    pub fn irs_offset(v: Seq) -> i64 {
        Numbers::dist(IRS, v)
    }

    /// `v` written as `iss+k`.
    pub fn iss_relative(v: Seq) -> SeqExpr {
        SeqExpr::new(SeqVar::Iss, Numbers::dist(ISS, v))
    }

    /// A number not related to either ISN: the stray acknowledgment (written as the absolute
    /// number the replayer sends), or the raw value.
    pub fn absolute(v: Seq) -> SeqExpr {
        let offset = if Numbers::dist(STRAY_ACK, v).abs() < NEAR {
            STRAY_ACK_WRITTEN + Numbers::dist(STRAY_ACK, v)
        } else {
            v.0 as i64
        };
        SeqExpr {
            vars: vec![],
            offset,
        }
    }

    /// How a number in the peer's sequence space is written. The peer's numbers stay below
    /// IRS + [`WND`] on the ordinary paths, so a model number at or past that was derived from
    /// a window-relative one ([`super::alphabet::SeqClass`]: the last number in the window,
    /// the window's edge, beyond it) and is written relative to `wnd` too: offsets in
    /// [WND, 2*WND) as `irs+wnd+k`, offsets in [2*WND, 3*WND) as beyond the window.
    pub fn irs_relative(v: Seq) -> SeqExpr {
        let off = Numbers::irs_offset(v);
        let w = i64::from(WND);
        if off >= 2 * w {
            SeqExpr::with_window(SeqVar::Irs, off - 2 * w + i64::from(super::BEYOND_MARGIN))
        } else if off >= w {
            SeqExpr::with_window(SeqVar::Irs, off - w)
        } else {
            SeqExpr::new(SeqVar::Irs, off)
        }
    }

    /// How a number the target sends is written: relative to ISS when the target knows its ISS
    /// and the number is near it, else to IRS, else absolute.
    fn written(v: Seq, knows_iss: bool) -> SeqExpr {
        let near = |base: Seq| Numbers::dist(base, v).abs() < NEAR;
        if knows_iss && near(ISS) {
            Numbers::iss_relative(v)
        } else if near(IRS) {
            Numbers::irs_relative(v)
        } else {
            Numbers::absolute(v)
        }
    }

    /// The pattern of a segment the target sends. `knows_iss`: the target had an ISS before
    /// (or this segment carries its SYN). A SYN of a reopened connection (RFC 1122 4.2.2.13)
    /// has a new ISS that no vector variable names: its number is left free.
    pub fn pattern(seg: &crate::segment::Segment, knows_iss: bool) -> SegmentPattern {
        let free_seq = seg.flags.syn && Numbers::dist(ISS, seg.seq).abs() >= NEAR;
        SegmentPattern {
            flags: seg.flags,
            seq: (!free_seq).then(|| Numbers::written(seg.seq, knows_iss)),
            ack: seg.flags.ack.then(|| {
                if Numbers::dist(IRS, seg.ack).abs() < NEAR {
                    Numbers::irs_relative(seg.ack)
                } else {
                    Numbers::written(seg.ack, true)
                }
            }),
            len: seg.len as u32,
            // The model's window is abstract and it has no options: the vectors leave both free.
            window: None,
            options: None,
            // The model has no urgent pointer.
            urg: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_numbers_past_the_window_are_written_relative_to_it() {
        assert_eq!(Numbers::irs_relative(IRS + 3).to_string(), "irs+3");
        assert_eq!(Numbers::irs_relative(IRS - 1).to_string(), "irs-1");
        assert_eq!(
            Numbers::irs_relative(IRS + WND + 2).to_string(),
            "irs+wnd+2"
        );
        assert_eq!(
            Numbers::irs_relative(IRS + 2 * WND + 1).to_string(),
            "irs+wnd+65537"
        );
    }
}
