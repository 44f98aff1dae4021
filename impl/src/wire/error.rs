//! Typed errors for malformed or unsupported packets.

use thiserror::Error;

/// Why an incoming packet was dropped by the codec. Every variant is counted by the stack
/// (see [`crate::Stats`]); none of them panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum WireError {
    /// The buffer ends before the header (or the length a header claims) does.
    #[error("truncated {layer} packet: need {needed} bytes, have {have}")]
    Truncated {
        /// Which header was being read ("IPv4", "IPv6", "TCP").
        layer: &'static str,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The IP version nibble is neither 4 nor 6 (or not the one expected).
    #[error("unsupported IP version {0}")]
    BadVersion(u8),
    /// IPv4 IHL below 5 words or beyond the packet (RFC 791 section 3.1).
    #[error("bad IPv4 header length {0} words")]
    BadHeaderLength(u8),
    /// The IPv4 total length or IPv6 payload length disagrees with the buffer.
    #[error("bad {layer} length field {claimed} (buffer {have})")]
    BadLength {
        /// Which header.
        layer: &'static str,
        /// The length the header claims.
        claimed: usize,
        /// Bytes available.
        have: usize,
    },
    /// A header checksum did not verify.
    #[error("bad {0} checksum")]
    BadChecksum(&'static str),
    /// A fragment (MF set or non-zero offset): this stack does not reassemble IP fragments.
    #[error("IPv4 fragment (not reassembled)")]
    Fragment,
    /// Not TCP (or an IPv6 extension header this stack does not walk).
    #[error("unsupported protocol / next header {0}")]
    NotTcp(u8),
    /// TCP data offset below 5 words or beyond the segment (RFC 9293 section 3.1).
    #[error("bad TCP data offset {0} words")]
    BadDataOffset(u8),
    /// A TCP option with an impossible length (RFC 9293 section 3.1, 3.2).
    #[error("bad TCP option kind {kind}")]
    BadOption {
        /// The option kind byte.
        kind: u8,
    },
    /// A source or destination address that cannot be a TCP endpoint (RFC 9293 3.10.7.1:
    /// broadcast or multicast), or a zero port.
    #[error("bad endpoint address or port")]
    BadAddress,
}
