//! The TCP segment as the model sees it: control bits, sequence and acknowledgment numbers and
//! a payload length (RFC 9293 section 3.1). Sequence numbers are small absolute integers: the
//! model never wraps (ISNs are spaced far enough apart per incarnation, see [`crate::host`]);
//! the real 32-bit modular arithmetic lives in `impl/`.

use serde::Serialize;
use std::fmt;
use tcp_vectors::Flags;

/// A sequence number in the model's (non-wrapping) sequence space.
pub type Seq = u16;

/// One TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
    pub fn seg_len(&self) -> u16 {
        self.len as u16 + self.flags.syn as u16 + self.flags.fin as u16
    }

    /// `<SEQ=seq><CTL=RST>`.
    pub fn rst(seq: Seq) -> Segment {
        Segment {
            flags: ctl(false, false, false, true),
            seq,
            ack: 0,
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
            ack: 0,
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
