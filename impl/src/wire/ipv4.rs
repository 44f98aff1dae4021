//! The IPv4 header (RFC 791 section 3.1): parsing with validation, and emission.

use super::checksum;
use super::WireError;
use std::net::Ipv4Addr;

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = 20;

/// The fields of an IPv4 header this stack uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol number of the payload (6 for TCP).
    pub protocol: u8,
    /// The Differentiated Services field (RFC 2474: DSCP in the upper six bits) and ECN
    /// (RFC 3168: the lower two), once the Type of Service.
    pub tos: u8,
    /// Time to live.
    pub ttl: u8,
    /// Identification field.
    pub identification: u16,
    /// Don't Fragment flag.
    pub dont_fragment: bool,
    /// Length of the payload in bytes (total length minus header length).
    pub payload_len: usize,
}

impl Ipv4Header {
    /// Parses and validates an IPv4 header at the start of `buf`, returning the header and
    /// its payload (trimmed to the total length, so link padding is ignored). IP options are
    /// skipped. Fragments are rejected: this stack does not reassemble them.
    pub fn parse(buf: &[u8]) -> Result<(Ipv4Header, &[u8]), WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: "IPv4",
                needed: HEADER_LEN,
                have: buf.len(),
            });
        }
        let version = buf[0] >> 4;
        if version != 4 {
            return Err(WireError::BadVersion(version));
        }
        let ihl = buf[0] & 0x0f;
        let header_len = usize::from(ihl) * 4;
        if ihl < 5 || header_len > buf.len() {
            return Err(WireError::BadHeaderLength(ihl));
        }
        let total_len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if total_len < header_len || total_len > buf.len() {
            return Err(WireError::BadLength {
                layer: "IPv4",
                claimed: total_len,
                have: buf.len(),
            });
        }
        if checksum::finish(checksum::add_bytes(0, &buf[..header_len])) != 0 {
            return Err(WireError::BadChecksum("IPv4 header"));
        }
        let flags_frag = u16::from_be_bytes([buf[6], buf[7]]);
        let more_fragments = flags_frag & 0x2000 != 0;
        if more_fragments || flags_frag & 0x1fff != 0 {
            return Err(WireError::Fragment);
        }
        let header = Ipv4Header {
            src: Ipv4Addr::new(buf[12], buf[13], buf[14], buf[15]),
            dst: Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]),
            protocol: buf[9],
            tos: buf[1],
            ttl: buf[8],
            identification: u16::from_be_bytes([buf[4], buf[5]]),
            dont_fragment: flags_frag & 0x4000 != 0,
            payload_len: total_len - header_len,
        };
        Ok((header, &buf[header_len..total_len]))
    }

    /// Writes this header (20 bytes, no options, checksum filled in) into `out[..20]`.
    /// `out` must be at least [`HEADER_LEN`] bytes long.
    pub fn emit(&self, out: &mut [u8]) {
        let total = (HEADER_LEN + self.payload_len) as u16;
        out[0] = 0x45;
        out[1] = self.tos;
        out[2..4].copy_from_slice(&total.to_be_bytes());
        out[4..6].copy_from_slice(&self.identification.to_be_bytes());
        let flags: u16 = if self.dont_fragment { 0x4000 } else { 0 };
        out[6..8].copy_from_slice(&flags.to_be_bytes());
        out[8] = self.ttl;
        out[9] = self.protocol;
        out[10..12].copy_from_slice(&[0, 0]);
        out[12..16].copy_from_slice(&self.src.octets());
        out[16..20].copy_from_slice(&self.dst.octets());
        let sum = checksum::finish(checksum::add_bytes(0, &out[..HEADER_LEN]));
        out[10..12].copy_from_slice(&sum.to_be_bytes());
    }
}
