//! TCP segments on the wire: parse what the target sends, build what the peer sends.
//! (RFC 9293 section 3.1 header format; IPv4 and IPv6 through etherparse.)

use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TcpOptionElement, TransportSlice};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use tcp_vectors::Flags;

/// The fields of one TCP segment that the replayer looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Control flags.
    pub flags: Flags,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when `flags.ack`).
    pub ack: u32,
    /// Window field as sent (unscaled: the peer never offers window scaling).
    pub window: u16,
    /// Payload length.
    pub len: u32,
    /// The urgent pointer field (meaningful when `flags.urg`; RFC 9293 section 3.8.5: an
    /// offset from `seq` to the first octet after the urgent data).
    pub urgent: u16,
    /// The TCP options it carries (only in parsed segments; the peer sends none).
    pub options: SegmentOptions,
}

/// The TCP options of a segment that patterns can name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Maximum segment size (RFC 9293 section 3.7.1).
    pub mss: Option<u16>,
    /// Window scale shift count (RFC 7323 section 2).
    pub wscale: Option<u8>,
    /// SACK-permitted (RFC 2018).
    pub sack_permitted: bool,
    /// Timestamps (RFC 7323 section 3).
    pub timestamps: bool,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} seq={} ack={} win={} len={}",
            self.flags, self.seq, self.ack, self.window, self.len
        )
    }
}

/// Parse an IP packet; `None` if it is not a well-formed TCP segment (e.g. an IPv6 router
/// solicitation the kernel sends when the link comes up).
pub fn parse(packet: &[u8]) -> Option<Segment> {
    let p = SlicedPacket::from_ip(packet).ok()?;
    let (src, dst) = match &p.net {
        Some(NetSlice::Ipv4(v4)) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
        ),
        Some(NetSlice::Ipv6(v6)) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
        ),
        _ => return None,
    };
    let Some(TransportSlice::Tcp(t)) = &p.transport else {
        return None;
    };
    let mut options = SegmentOptions::default();
    for o in t.options_iterator() {
        // A malformed option list ends the parse of options; the segment itself stands.
        let Ok(o) = o else { break };
        match o {
            TcpOptionElement::MaximumSegmentSize(m) => options.mss = Some(m),
            TcpOptionElement::WindowScale(w) => options.wscale = Some(w),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_permitted = true,
            TcpOptionElement::Timestamp(..) => options.timestamps = true,
            _ => {}
        }
    }
    Some(Segment {
        src: SocketAddr::new(src, t.source_port()),
        dst: SocketAddr::new(dst, t.destination_port()),
        flags: Flags {
            syn: t.syn(),
            fin: t.fin(),
            rst: t.rst(),
            psh: t.psh(),
            ack: t.ack(),
            urg: t.urg(),
        },
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        window: t.window_size(),
        len: t.payload().len() as u32,
        urgent: t.urgent_pointer(),
        options,
    })
}

/// The payload the peer sends for `len` bytes: a known repeating pattern.
pub fn payload_pattern(len: u32) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Build the IP packet for a segment from `src` to `dst` (both the same IP version). The ack
/// field is written only with the ACK flag; no TCP options.
pub fn build(segment: &Segment, payload: &[u8]) -> Result<Vec<u8>, String> {
    let builder = match (segment.src.ip(), segment.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        (s, d) => return Err(format!("mixed IP versions {s} -> {d}")),
    };
    let mut b = builder.tcp(
        segment.src.port(),
        segment.dst.port(),
        segment.seq,
        segment.window,
    );
    let f = segment.flags;
    if f.syn {
        b = b.syn();
    }
    if f.fin {
        b = b.fin();
    }
    if f.rst {
        b = b.rst();
    }
    if f.psh {
        b = b.psh();
    }
    if f.ack {
        b = b.ack(segment.ack);
    }
    if f.urg {
        b = b.urg(segment.urgent);
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload)
        .map_err(|e| format!("cannot build segment {segment}: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_then_parse_round_trips_v4_and_v6() {
        for (s, d) in [
            ("192.0.2.2:4000", "192.0.2.1:5000"),
            ("[2001:db8::2]:4000", "[2001:db8::1]:5000"),
        ] {
            let seg = Segment {
                src: s.parse().unwrap(),
                dst: d.parse().unwrap(),
                flags: "FPAU".parse().unwrap(),
                seq: 0xffff_fff0,
                ack: 7,
                window: 1234,
                len: 5,
                urgent: 3,
                options: Default::default(),
            };
            let pkt = build(&seg, &payload_pattern(5)).unwrap();
            assert_eq!(parse(&pkt), Some(seg));
        }
    }

    #[test]
    fn non_tcp_is_skipped() {
        assert_eq!(parse(&[0x60, 0, 0, 0]), None);
        assert_eq!(parse(&[]), None);
    }
}
