//! The TCP header and options (RFC 9293 section 3.1 and 3.2; window scale and timestamps
//! from RFC 7323, SACK-permitted from RFC 2018): parsing with validation, and emission with
//! the pseudo-header checksum.

use super::checksum;
use super::WireError;
use std::fmt;
use std::net::IpAddr;

/// IP protocol number of TCP.
pub const PROTOCOL_TCP: u8 = 6;
/// Length of a TCP header without options.
pub const HEADER_LEN: usize = 20;
/// Largest TCP header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;

/// The TCP control bits (RFC 9293 section 3.1).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u8);

impl Flags {
    /// FIN: no more data from sender.
    pub const FIN: Flags = Flags(0x01);
    /// SYN: synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x02);
    /// RST: reset the connection.
    pub const RST: Flags = Flags(0x04);
    /// PSH: push function.
    pub const PSH: Flags = Flags(0x08);
    /// ACK: acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x10);
    /// URG: urgent pointer field is significant.
    pub const URG: Flags = Flags(0x20);
    /// ECE: ECN-Echo (RFC 3168).
    pub const ECE: Flags = Flags(0x40);
    /// CWR: congestion window reduced (RFC 3168).
    pub const CWR: Flags = Flags(0x80);

    /// True when every bit of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, char); 8] = [
            (Flags::SYN, 'S'),
            (Flags::FIN, 'F'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::ACK, 'A'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'C'),
        ];
        let mut s = String::new();
        for (flag, c) in NAMES {
            if self.contains(flag) {
                s.push(c);
            }
        }
        if s.is_empty() {
            s.push('.');
        }
        f.write_str(&s)
    }
}

/// The TCP options this stack understands. Unknown options are skipped (RFC 9293
/// section 3.2: "a TCP implementation MUST be able to receive a TCP option in any segment"
/// and ignore those it does not implement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum Segment Size (kind 2, RFC 9293 section 3.7.1); only meaningful on SYN.
    pub mss: Option<u16>,
    /// Window scale shift count (kind 3, RFC 7323 section 2); only meaningful on SYN.
    pub window_scale: Option<u8>,
    /// SACK permitted (kind 4, RFC 2018). Parsed; this stack does not implement SACK.
    pub sack_permitted: bool,
    /// Timestamps TSval and TSecr (kind 8, RFC 7323 section 3). Parsed and ignored.
    pub timestamps: Option<(u32, u32)>,
}

impl TcpOptions {
    /// Bytes these options take on the wire, padded to a multiple of 4.
    pub fn wire_len(&self) -> usize {
        let mut n: usize = 0;
        if self.mss.is_some() {
            n += 4;
        }
        if self.window_scale.is_some() {
            n += 3;
        }
        if self.sack_permitted {
            n += 2;
        }
        if self.timestamps.is_some() {
            n += 10;
        }
        n.div_ceil(4) * 4
    }

    fn parse(mut opts: &[u8]) -> Result<TcpOptions, WireError> {
        let mut out = TcpOptions::default();
        while let Some(&kind) = opts.first() {
            match kind {
                0 => break,
                1 => {
                    opts = &opts[1..];
                    continue;
                }
                _ => {}
            }
            let len = usize::from(*opts.get(1).ok_or(WireError::BadOption { kind })?);
            if len < 2 || len > opts.len() {
                return Err(WireError::BadOption { kind });
            }
            let body = &opts[2..len];
            match (kind, len) {
                (2, 4) => out.mss = Some(u16::from_be_bytes([body[0], body[1]])),
                (3, 3) => out.window_scale = Some(body[0]),
                (4, 2) => out.sack_permitted = true,
                (8, 10) => {
                    out.timestamps = Some((
                        u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                        u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                    ))
                }
                (2, _) | (3, _) | (4, _) | (8, _) => return Err(WireError::BadOption { kind }),
                _ => {} // unknown option: skipped using its length
            }
            opts = &opts[len..];
        }
        Ok(out)
    }

    fn emit(&self, out: &mut [u8]) {
        let mut i = 0;
        if let Some(mss) = self.mss {
            out[i..i + 4].copy_from_slice(&[2, 4, (mss >> 8) as u8, mss as u8]);
            i += 4;
        }
        if self.sack_permitted {
            out[i..i + 2].copy_from_slice(&[4, 2]);
            i += 2;
        }
        if let Some((val, ecr)) = self.timestamps {
            out[i..i + 2].copy_from_slice(&[8, 10]);
            out[i + 2..i + 6].copy_from_slice(&val.to_be_bytes());
            out[i + 6..i + 10].copy_from_slice(&ecr.to_be_bytes());
            i += 10;
        }
        if let Some(ws) = self.window_scale {
            out[i..i + 3].copy_from_slice(&[3, 3, ws]);
            i += 3;
        }
        // Pad with NOPs (no End of Option List is sent, so no header byte follows one:
        // RFC 9293 3.1, MUST-69).
        let end = self.wire_len();
        while i < end {
            out[i] = 1;
            i += 1;
        }
    }
}

/// A TCP header (RFC 9293 section 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (significant when ACK is set).
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// Window field as sent (not scaled).
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options.
    pub options: TcpOptions,
}

impl TcpHeader {
    /// Header length in bytes including options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.wire_len()
    }

    /// Parses and validates a TCP segment carried from `src` to `dst`, verifying the checksum
    /// over the pseudo-header, and returns the header and the payload.
    pub fn parse(
        segment: &[u8],
        src: IpAddr,
        dst: IpAddr,
    ) -> Result<(TcpHeader, &[u8]), WireError> {
        Self::parse_inner(segment, Some((src, dst)))
    }

    /// Like [`TcpHeader::parse`] but without verifying the checksum: for segments whose
    /// checksum a local device left to be completed (virtio-net `NEEDS_CSUM`, i.e. they were
    /// generated on this host and never crossed a wire).
    pub fn parse_unverified(segment: &[u8]) -> Result<(TcpHeader, &[u8]), WireError> {
        Self::parse_inner(segment, None)
    }

    fn parse_inner(
        segment: &[u8],
        verify: Option<(IpAddr, IpAddr)>,
    ) -> Result<(TcpHeader, &[u8]), WireError> {
        if segment.len() < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: "TCP",
                needed: HEADER_LEN,
                have: segment.len(),
            });
        }
        let offset = segment[12] >> 4;
        let header_len = usize::from(offset) * 4;
        if offset < 5 || header_len > segment.len() {
            return Err(WireError::BadDataOffset(offset));
        }
        if let Some((src, dst)) = verify {
            let sum = checksum::add_bytes(
                checksum::pseudo_header_sum(src, dst, segment.len()),
                segment,
            );
            if checksum::finish(sum) != 0 {
                return Err(WireError::BadChecksum("TCP"));
            }
        }
        let options = TcpOptions::parse(&segment[HEADER_LEN..header_len])?;
        let be16 = |i: usize| u16::from_be_bytes([segment[i], segment[i + 1]]);
        let be32 = |i: usize| {
            u32::from_be_bytes([segment[i], segment[i + 1], segment[i + 2], segment[i + 3]])
        };
        let header = TcpHeader {
            src_port: be16(0),
            dst_port: be16(2),
            seq: be32(4),
            ack: be32(8),
            flags: Flags(segment[13]),
            window: be16(14),
            urgent: be16(18),
            options,
        };
        Ok((header, &segment[header_len..]))
    }

    /// Writes the header followed by `payload` into `out` (which must hold
    /// `header_len() + payload.len()` bytes) and fills in the checksum for `src` -> `dst`.
    /// Returns the number of bytes written.
    pub fn emit(&self, out: &mut [u8], payload: &[u8], src: IpAddr, dst: IpAddr) -> usize {
        let hl = self.header_len();
        let total = hl + payload.len();
        out[hl..total].copy_from_slice(payload);
        self.emit_header(&mut out[..total], src, dst, false);
        total
    }

    /// Writes the header into the first [`TcpHeader::header_len`] bytes of `segment`, whose
    /// rest already holds the payload, and fills in the checksum: the full one, or with
    /// `partial` only the pseudo-header sum (not complemented), which a device with checksum
    /// offload completes (virtio-net `NEEDS_CSUM`, Linux `CHECKSUM_PARTIAL`).
    pub fn emit_header(&self, segment: &mut [u8], src: IpAddr, dst: IpAddr, partial: bool) {
        let hl = self.header_len();
        let total = segment.len();
        let out = segment;
        out[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        out[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        out[4..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..12].copy_from_slice(&self.ack.to_be_bytes());
        out[12] = ((hl / 4) as u8) << 4;
        out[13] = self.flags.0;
        out[14..16].copy_from_slice(&self.window.to_be_bytes());
        out[16..18].copy_from_slice(&[0, 0]);
        out[18..20].copy_from_slice(&self.urgent.to_be_bytes());
        self.options.emit(&mut out[HEADER_LEN..hl]);
        let pseudo = checksum::pseudo_header_sum(src, dst, total);
        let field = if partial {
            !checksum::finish(pseudo)
        } else {
            checksum::finish(checksum::add_bytes(pseudo, &out[..total]))
        };
        out[16..18].copy_from_slice(&field.to_be_bytes());
    }
}
