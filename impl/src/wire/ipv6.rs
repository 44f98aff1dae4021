//! The IPv6 fixed header (RFC 8200 section 3): parsing with validation, and emission.
//! Extension headers are not walked: a packet whose next header is not TCP is rejected.

use super::WireError;
use std::net::Ipv6Addr;

/// Length of the IPv6 fixed header.
pub const HEADER_LEN: usize = 40;

/// The fields of an IPv6 header this stack uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Header {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header (6 for TCP).
    pub next_header: u8,
    /// Traffic class: the Differentiated Services field and ECN, as IPv4's TOS octet.
    pub traffic_class: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Length of the payload in bytes.
    pub payload_len: usize,
}

impl Ipv6Header {
    /// Parses and validates an IPv6 header at the start of `buf`, returning the header and
    /// its payload (trimmed to the payload length).
    pub fn parse(buf: &[u8]) -> Result<(Ipv6Header, &[u8]), WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: "IPv6",
                needed: HEADER_LEN,
                have: buf.len(),
            });
        }
        let version = buf[0] >> 4;
        if version != 6 {
            return Err(WireError::BadVersion(version));
        }
        let payload_len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
        if HEADER_LEN + payload_len > buf.len() {
            return Err(WireError::BadLength {
                layer: "IPv6",
                claimed: payload_len,
                have: buf.len() - HEADER_LEN,
            });
        }
        let mut src = [0u8; 16];
        src.copy_from_slice(&buf[8..24]);
        let mut dst = [0u8; 16];
        dst.copy_from_slice(&buf[24..40]);
        let header = Ipv6Header {
            src: Ipv6Addr::from(src),
            dst: Ipv6Addr::from(dst),
            next_header: buf[6],
            traffic_class: (buf[0] << 4) | (buf[1] >> 4),
            hop_limit: buf[7],
            flow_label: u32::from_be_bytes([0, buf[1] & 0x0f, buf[2], buf[3]]),
            payload_len,
        };
        Ok((header, &buf[HEADER_LEN..HEADER_LEN + payload_len]))
    }

    /// Writes this header into `out[..40]` (`out` must be at least [`HEADER_LEN`] bytes).
    pub fn emit(&self, out: &mut [u8]) {
        let fl = self.flow_label & 0x000f_ffff;
        // Version 6, the traffic class, then the 20-bit flow label.
        out[0] = 0x60 | (self.traffic_class >> 4);
        out[1] = (self.traffic_class << 4) | ((fl >> 16) & 0x0f) as u8;
        out[2] = (fl >> 8) as u8;
        out[3] = fl as u8;
        out[4..6].copy_from_slice(&(self.payload_len as u16).to_be_bytes());
        out[6] = self.next_header;
        out[7] = self.hop_limit;
        out[8..24].copy_from_slice(&self.src.octets());
        out[24..40].copy_from_slice(&self.dst.octets());
    }
}
