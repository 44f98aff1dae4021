//! ICMP (RFC 792) and ICMPv6 (RFC 4443) error messages about TCP segments this host sent:
//! parsing with validation, and their classification for TCP (RFC 9293 section 3.9.2.2,
//! RFC 1122 section 4.2.3.9, RFC 5927).
//!
//! | message | kind | class |
//! | --- | --- | --- |
//! | ICMP Destination Unreachable 0, 6, 11 (network) | `NetUnreachable` | soft |
//! | ICMP Destination Unreachable 1, 7, 8, 12 (host) | `HostUnreachable` | soft |
//! | ICMP Destination Unreachable 2 (protocol) | `ProtocolUnreachable` | hard |
//! | ICMP Destination Unreachable 3 (port) | `PortUnreachable` | hard |
//! | ICMP Destination Unreachable 4 (fragmentation needed) | `PacketTooBig` | path MTU |
//! | ICMP Destination Unreachable 5 (source route failed) | `SourceRouteFailed` | soft |
//! | ICMP Destination Unreachable 9, 10, 13 (administratively prohibited) | `Prohibited` | hard |
//! | ICMP Destination Unreachable 14, 15 (precedence) | `Prohibited` | soft |
//! | ICMP Source Quench (4) | `SourceQuench` | discarded |
//! | ICMP Time Exceeded (11), Parameter Problem (12) | `TimeExceeded`, `ParameterProblem` | soft |
//! | ICMPv6 Destination Unreachable 0 (no route) | `NetUnreachable` | soft |
//! | ICMPv6 Destination Unreachable 2, 3 (beyond scope, address) | `HostUnreachable` | soft |
//! | ICMPv6 Destination Unreachable 1, 5, 6 (prohibited, policy, reject route) | `Prohibited` | hard |
//! | ICMPv6 Destination Unreachable 4 (port) | `PortUnreachable` | hard |
//! | ICMPv6 Packet Too Big (2) | `PacketTooBig` | path MTU |
//! | ICMPv6 Time Exceeded (3), Parameter Problem (4) | `TimeExceeded`, `ParameterProblem` | soft |
//!
//! RFC 9293 names the soft ones (ICMP unreachable 0, 1, 5, time exceeded, parameter
//! problem; ICMPv6 unreachable 0, 3, time exceeded, parameter problem) and the hard ones
//! (ICMP unreachable 2-4; code 4 is path MTU discovery's signal, RFC 1191, not a failure).
//! For the codes it does not name: administrative prohibition is hard, as a port unreachable
//! is (the path refuses the connection; Linux aborts an opening connection on them too);
//! the other unreachable codes are soft like the network and host ones they refine.

use super::checksum;
use super::ipv4::Ipv4Header;
use super::ipv6::Ipv6Header;
use super::tcp::PROTOCOL_TCP;
use super::WireError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// IP protocol number of ICMP.
pub const PROTOCOL_ICMP: u8 = 1;
/// IPv6 next header number of ICMPv6.
pub const PROTOCOL_ICMPV6: u8 = 58;

/// What an ICMP or ICMPv6 error says (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcmpKind {
    /// No route to the destination's network.
    NetUnreachable,
    /// The destination host cannot be reached.
    HostUnreachable,
    /// The destination does not speak TCP.
    ProtocolUnreachable,
    /// Nothing listens on the destination port.
    PortUnreachable,
    /// A source route failed.
    SourceRouteFailed,
    /// Communication administratively prohibited (a filter, a policy, a reject route).
    Prohibited,
    /// The segment was too big for a link on the path (ICMP fragmentation needed, ICMPv6
    /// Packet Too Big): path MTU discovery (RFC 1191, RFC 8201).
    PacketTooBig {
        /// The next-hop MTU the router reported (0 when it did not say).
        mtu: u32,
    },
    /// TTL / hop limit exceeded, or fragment reassembly time exceeded.
    TimeExceeded,
    /// A header field the router or destination could not process.
    ParameterProblem,
    /// ICMP Source Quench (deprecated by RFC 6633).
    SourceQuench,
}

/// An ICMP or ICMPv6 error about a TCP segment (RFC 9293 section 3.9.2.2): what it says and
/// who said it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    /// What it says.
    pub kind: IcmpKind,
    /// A hard error (RFC 9293 3.9.2.2): it aborts a connection that is opening. Soft errors
    /// never abort a connection (MUST-56).
    pub hard: bool,
    /// The ICMP type.
    pub icmp_type: u8,
    /// The ICMP code.
    pub code: u8,
    /// ICMPv6 rather than ICMP.
    pub v6: bool,
    /// Who sent the message: a router on the path, or the destination host.
    pub from: IpAddr,
}

/// A parsed ICMP or ICMPv6 error and the TCP segment it quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpMessage {
    /// The error.
    pub error: IcmpError,
    /// The quoted segment's source: a socket of this host.
    pub local: SocketAddr,
    /// The quoted segment's destination.
    pub remote: SocketAddr,
    /// The quoted segment's sequence number.
    pub seq: u32,
    /// The ICMP message's destination (this host).
    pub to: IpAddr,
}

/// Parses an IP packet carrying an ICMP or ICMPv6 message. Returns the error it reports
/// about a TCP segment; `Ok(None)` for any other message (echo, redirect, an error about
/// something that is not TCP); an error when it is malformed (a bad checksum, a quote too
/// short to name the connection).
pub fn parse_error(buf: &[u8]) -> Result<Option<IcmpMessage>, WireError> {
    match buf.first().map(|b| b >> 4) {
        Some(4) => parse_v4(buf),
        Some(6) => parse_v6(buf),
        Some(v) => Err(WireError::BadVersion(v)),
        None => Err(truncated(1, 0)),
    }
}

fn truncated(needed: usize, have: usize) -> WireError {
    WireError::Truncated {
        layer: "ICMP",
        needed,
        have,
    }
}

/// The fields of an ICMP or ICMPv6 error message (both versions share this layout).
struct Body<'a> {
    icmp_type: u8,
    code: u8,
    /// The four octets after the checksum.
    rest: [u8; 4],
    /// The packet the error is about, as much of it as was quoted.
    quoted: &'a [u8],
}

fn split(body: &[u8]) -> Result<Body<'_>, WireError> {
    if body.len() < 8 {
        return Err(truncated(8, body.len()));
    }
    Ok(Body {
        icmp_type: body[0],
        code: body[1],
        rest: [body[4], body[5], body[6], body[7]],
        quoted: &body[8..],
    })
}

fn parse_v4(buf: &[u8]) -> Result<Option<IcmpMessage>, WireError> {
    let (ip, body) = Ipv4Header::parse(buf)?;
    if ip.protocol != PROTOCOL_ICMP {
        return Err(WireError::NotTcp(ip.protocol));
    }
    if checksum::finish(checksum::add_bytes(0, body)) != 0 {
        return Err(WireError::BadChecksum("ICMP"));
    }
    let Body {
        icmp_type,
        code,
        rest,
        quoted,
    } = split(body)?;
    let Some((kind, hard)) = classify_v4(icmp_type, code, rest) else {
        return Ok(None);
    };
    let Some((local, remote, seq)) = quoted_v4(quoted)? else {
        return Ok(None);
    };
    let error = IcmpError {
        kind,
        hard,
        icmp_type,
        code,
        v6: false,
        from: IpAddr::V4(ip.src),
    };
    let to = IpAddr::V4(ip.dst);
    Ok(Some(IcmpMessage {
        error,
        local,
        remote,
        seq,
        to,
    }))
}

fn parse_v6(buf: &[u8]) -> Result<Option<IcmpMessage>, WireError> {
    let (ip, body) = Ipv6Header::parse(buf)?;
    if ip.next_header != PROTOCOL_ICMPV6 {
        return Err(WireError::NotTcp(ip.next_header));
    }
    let (src, dst) = (IpAddr::V6(ip.src), IpAddr::V6(ip.dst));
    let pseudo = checksum::pseudo_header_sum_for(src, dst, body.len(), PROTOCOL_ICMPV6);
    if checksum::finish(checksum::add_bytes(pseudo, body)) != 0 {
        return Err(WireError::BadChecksum("ICMPv6"));
    }
    let Body {
        icmp_type,
        code,
        rest,
        quoted,
    } = split(body)?;
    let Some((kind, hard)) = classify_v6(icmp_type, code, rest) else {
        return Ok(None);
    };
    let Some((local, remote, seq)) = quoted_v6(quoted)? else {
        return Ok(None);
    };
    let error = IcmpError {
        kind,
        hard,
        icmp_type,
        code,
        v6: true,
        from: src,
    };
    Ok(Some(IcmpMessage {
        error,
        local,
        remote,
        seq,
        to: dst,
    }))
}

/// ICMP (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1): the kind and hardness of an error
/// type, `None` for messages that are not errors about a segment.
fn classify_v4(icmp_type: u8, code: u8, rest: [u8; 4]) -> Option<(IcmpKind, bool)> {
    use IcmpKind::*;
    Some(match (icmp_type, code) {
        (3, 0 | 6 | 11) => (NetUnreachable, false),
        (3, 1 | 7 | 8 | 12) => (HostUnreachable, false),
        (3, 2) => (ProtocolUnreachable, true),
        (3, 3) => (PortUnreachable, true),
        // RFC 1191: the next-hop MTU is in the low 16 bits of the second word.
        (3, 4) => {
            let mtu = u32::from(u16::from_be_bytes([rest[2], rest[3]]));
            (PacketTooBig { mtu }, false)
        }
        (3, 5) => (SourceRouteFailed, false),
        (3, 9 | 10 | 13) => (Prohibited, true),
        (3, _) => (Prohibited, false),
        (4, _) => (SourceQuench, false),
        (11, _) => (TimeExceeded, false),
        (12, _) => (ParameterProblem, false),
        _ => return None,
    })
}

/// ICMPv6 (RFC 4443 section 3): the kind and hardness of an error type, `None` for
/// informational messages.
fn classify_v6(icmp_type: u8, code: u8, rest: [u8; 4]) -> Option<(IcmpKind, bool)> {
    use IcmpKind::*;
    Some(match (icmp_type, code) {
        (1, 0) => (NetUnreachable, false),
        (1, 4) => (PortUnreachable, true),
        (1, 1 | 5 | 6) => (Prohibited, true),
        (1, _) => (HostUnreachable, false),
        (2, _) => (
            PacketTooBig {
                mtu: u32::from_be_bytes(rest),
            },
            false,
        ),
        (3, _) => (TimeExceeded, false),
        (4, _) => (ParameterProblem, false),
        _ => return None,
    })
}

/// Ports and sequence number: the first eight octets of a TCP header (RFC 792 quotes at
/// least these).
fn quoted_tcp(tcp: &[u8]) -> Result<(u16, u16, u32), WireError> {
    if tcp.len() < 8 {
        return Err(truncated(8, tcp.len()));
    }
    let src = u16::from_be_bytes([tcp[0], tcp[1]]);
    let dst = u16::from_be_bytes([tcp[2], tcp[3]]);
    Ok((
        src,
        dst,
        u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
    ))
}

type Quoted = Option<(SocketAddr, SocketAddr, u32)>;

/// The IPv4 packet an ICMP error quotes: its header (possibly with options) and at least
/// eight octets of TCP. Its checksum and lengths are not checked: a router may have changed
/// the header and cut the packet short.
fn quoted_v4(q: &[u8]) -> Result<Quoted, WireError> {
    if q.len() < 20 {
        return Err(truncated(20, q.len()));
    }
    if q[0] >> 4 != 4 {
        return Err(WireError::BadVersion(q[0] >> 4));
    }
    let ihl = usize::from(q[0] & 0x0f) * 4;
    if ihl < 20 || q.len() < ihl {
        return Err(WireError::BadHeaderLength(q[0] & 0x0f));
    }
    if q[9] != PROTOCOL_TCP {
        return Ok(None);
    }
    let src = Ipv4Addr::new(q[12], q[13], q[14], q[15]);
    let dst = Ipv4Addr::new(q[16], q[17], q[18], q[19]);
    let (sp, dp, seq) = quoted_tcp(&q[ihl..])?;
    let local = SocketAddr::new(IpAddr::V4(src), sp);
    Ok(Some((local, SocketAddr::new(IpAddr::V4(dst), dp), seq)))
}

/// The IPv6 packet an ICMPv6 error quotes: the fixed header with TCP as the next header
/// (extension headers are not walked, as on receipt) and at least eight octets of TCP.
fn quoted_v6(q: &[u8]) -> Result<Quoted, WireError> {
    if q.len() < 40 {
        return Err(truncated(40, q.len()));
    }
    if q[0] >> 4 != 6 {
        return Err(WireError::BadVersion(q[0] >> 4));
    }
    if q[6] != PROTOCOL_TCP {
        return Ok(None);
    }
    let mut src = [0u8; 16];
    src.copy_from_slice(&q[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&q[24..40]);
    let (sp, dp, seq) = quoted_tcp(&q[40..])?;
    let local = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(src)), sp);
    let remote = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(dst)), dp);
    Ok(Some((local, remote, seq)))
}
