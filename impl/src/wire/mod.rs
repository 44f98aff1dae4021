//! The wire format: IPv4, IPv6 and TCP headers, checksums, the combined parse/build of an
//! IP packet carrying one TCP segment, and ICMP / ICMPv6 errors about TCP segments. This is
//! the only thing the stack shares with any other TCP: everything here is fixed by RFC 791,
//! RFC 8200, RFC 9293, RFC 792 and RFC 4443.

pub mod checksum;
mod error;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;

pub use error::WireError;
pub use icmp::{IcmpError, IcmpKind, IcmpMessage};
pub use ipv4::Ipv4Header;
pub use ipv6::Ipv6Header;
pub use tcp::{Flags, TcpHeader, TcpOptions};

use std::net::{IpAddr, SocketAddr};

/// A parsed IP packet carrying a TCP segment; the payload borrows from the input buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPacket<'a> {
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address.
    pub dst: IpAddr,
    /// The TCP header.
    pub tcp: TcpHeader,
    /// The segment's data.
    pub payload: &'a [u8],
}

impl TcpPacket<'_> {
    /// The sender's socket address.
    pub fn src_socket(&self) -> SocketAddr {
        SocketAddr::new(self.src, self.tcp.src_port)
    }
    /// The receiver's socket address.
    pub fn dst_socket(&self) -> SocketAddr {
        SocketAddr::new(self.dst, self.tcp.dst_port)
    }
}

/// Parses an IP packet (IPv4 or IPv6, chosen by the version nibble) that must carry TCP.
pub fn parse_packet(buf: &[u8]) -> Result<TcpPacket<'_>, WireError> {
    parse_packet_with(buf, true)
}

/// Like [`parse_packet`]; `verify_tcp_checksum` false skips the TCP checksum (see
/// [`TcpHeader::parse_unverified`]). IP header checks always apply.
pub fn parse_packet_with(
    buf: &[u8],
    verify_tcp_checksum: bool,
) -> Result<TcpPacket<'_>, WireError> {
    let version = buf.first().map(|b| b >> 4).ok_or(WireError::Truncated {
        layer: "IP",
        needed: 1,
        have: 0,
    })?;
    let (src, dst, segment) = match version {
        4 => {
            let (h, payload) = Ipv4Header::parse(buf)?;
            if h.protocol != tcp::PROTOCOL_TCP {
                return Err(WireError::NotTcp(h.protocol));
            }
            (IpAddr::V4(h.src), IpAddr::V4(h.dst), payload)
        }
        6 => {
            let (h, payload) = Ipv6Header::parse(buf)?;
            if h.next_header != tcp::PROTOCOL_TCP {
                return Err(WireError::NotTcp(h.next_header));
            }
            (IpAddr::V6(h.src), IpAddr::V6(h.dst), payload)
        }
        v => return Err(WireError::BadVersion(v)),
    };
    // RFC 9293 3.9.2.3 (RFC 1122 4.2.3.10): a segment addressed to a broadcast or multicast
    // address is silently discarded (MUST-57), and so is one from such a source, an invalid
    // source address (MUST-63): neither belongs to any connection.
    let bad_src = !is_unicast(src) && !fault!(InvalidSourceAccepted);
    let bad_dst = !is_unicast(dst) && !fault!(BroadcastSegmentAccepted);
    if bad_src || bad_dst {
        return Err(WireError::BadAddress);
    }
    let (tcp, payload) = if verify_tcp_checksum {
        TcpHeader::parse(segment, src, dst)?
    } else {
        TcpHeader::parse_unverified(segment)?
    };
    if tcp.src_port == 0 || tcp.dst_port == 0 {
        return Err(WireError::BadAddress);
    }
    Ok(TcpPacket {
        src,
        dst,
        tcp,
        payload,
    })
}

/// True for an address that can be one end of a TCP connection: not a broadcast, multicast
/// or unspecified address (RFC 1122 3.2.1.3, 4.2.3.10). An IPv4 subnet's directed broadcast
/// address cannot be told from a host's without the prefix, which the stack is not given.
pub fn is_unicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => !(a.is_broadcast() || a.is_multicast() || a.is_unspecified()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    }
}

/// Default TTL / hop limit of packets this stack sends (RFC 1700's recommended 64).
pub const DEFAULT_TTL: u8 = 64;

/// Builds an IP packet carrying `tcp` and `payload` from `src` to `dst` (same family),
/// appending it to `out`. `ident` is the IPv4 identification field (ignored for IPv6).
pub fn build_packet(
    out: &mut Vec<u8>,
    src: IpAddr,
    dst: IpAddr,
    tcp: &TcpHeader,
    payload: &[u8],
    ident: u16,
) {
    let ip = PacketIp {
        src,
        dst,
        ident,
        ttl: DEFAULT_TTL,
        tos: 0,
    };
    build_packet_with(out, ip, tcp, payload.len(), false, |o| {
        o.extend_from_slice(payload)
    });
}

/// The IP fields of a packet to build: addresses (same family) and the IPv4
/// identification (ignored for IPv6).
#[derive(Clone, Copy, Debug)]
pub struct PacketIp {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IPv4 identification.
    pub ident: u16,
    /// IPv4 time to live / IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 TOS octet / IPv6 traffic class: DSCP << 2, ECN bits zero (not ECN-capable).
    pub tos: u8,
}

/// Like [`build_packet`], with the payload appended by `fill` (which should append
/// `payload_len` bytes; the packet is cut or zero-padded to that length otherwise), so that
/// it can be copied straight from where it is kept. With `partial_checksum` the TCP
/// checksum field holds only the pseudo-header sum, for a device that completes it.
pub fn build_packet_with(
    out: &mut Vec<u8>,
    ip: PacketIp,
    tcp: &TcpHeader,
    payload_len: usize,
    partial_checksum: bool,
    fill: impl FnOnce(&mut Vec<u8>),
) {
    let hl = tcp.header_len();
    let tcp_len = hl + payload_len;
    let start = out.len();
    let ip_len = match (ip.src, ip.dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => ipv4::HEADER_LEN,
        (IpAddr::V6(_), IpAddr::V6(_)) => ipv6::HEADER_LEN,
        // A connection's addresses always share a family (the stack checks this when the
        // connection is made), so this arm is never reached; emit nothing rather than panic.
        _ => return,
    };
    out.reserve(ip_len + tcp_len);
    out.resize(start + ip_len + hl, 0);
    fill(out);
    out.resize(start + ip_len + tcp_len, 0);
    match (ip.src, ip.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Ipv4Header {
            src: s,
            dst: d,
            protocol: tcp::PROTOCOL_TCP,
            tos: ip.tos,
            ttl: ip.ttl,
            identification: ip.ident,
            dont_fragment: true,
            payload_len: tcp_len,
        }
        .emit(&mut out[start..]),
        (IpAddr::V6(s), IpAddr::V6(d)) => Ipv6Header {
            src: s,
            dst: d,
            next_header: tcp::PROTOCOL_TCP,
            traffic_class: ip.tos,
            hop_limit: ip.ttl,
            flow_label: 0,
            payload_len: tcp_len,
        }
        .emit(&mut out[start..]),
        _ => return,
    }
    tcp.emit_header(&mut out[start + ip_len..], ip.src, ip.dst, partial_checksum);
}

#[cfg(test)]
mod tests;
