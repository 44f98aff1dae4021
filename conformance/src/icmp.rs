//! ICMP and ICMPv6 errors the replayer sends to the target about a segment it sent (a vector's
//! `icmp` step; RFC 9293 section 3.9.2.2, RFC 1122 section 4.2.3.9, RFC 5927).
//!
//! The error quotes the target's segment as it went out: for IPv4 its IP header and the first
//! eight octets of its TCP header (RFC 792's minimum, which holds the ports and the sequence
//! number that RFC 5927 section 4.1 checks), for ICMPv6 the whole packet (RFC 4443 section 3.1:
//! as much as fits the minimum MTU). A port unreachable comes from the peer's host itself; a
//! host unreachable from a router on the way, at a documentation address inside the namespace
//! (192.0.2.254, 2001:db8::fe).

use etherparse::PacketBuilder;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use tcp_vectors::IcmpKind;

/// The router that reports a host unreachable over IPv4 (RFC 5737 documentation range).
pub const ROUTER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
/// The router that reports a host unreachable over IPv6 (RFC 3849 documentation prefix).
pub const ROUTER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xfe);

/// ICMPv6 packets quote at most this much: the minimum IPv6 MTU (RFC 8200 section 5) less
/// the IPv6 and ICMPv6 headers.
const V6_QUOTE_MAX: usize = 1280 - 40 - 8;

/// ICMP's type and code for `kind`: Destination Unreachable (3) port (3) or host (1); ICMPv6
/// Destination Unreachable (1) port (4) or address (3) (RFC 792, RFC 4443 section 3.1).
fn type_code(kind: IcmpKind, v6: bool) -> (u8, u8) {
    match (kind, v6) {
        (IcmpKind::PortUnreachable, false) => (3, 3),
        (IcmpKind::HostUnreachable, false) => (3, 1),
        (IcmpKind::PortUnreachable, true) => (1, 4),
        (IcmpKind::HostUnreachable, true) => (1, 3),
    }
}

/// Who sends an error of `kind` about a segment to `peer`: the peer's host for a port
/// unreachable, a router for a host unreachable.
pub fn reporter(kind: IcmpKind, peer: IpAddr) -> IpAddr {
    match (kind, peer) {
        (IcmpKind::PortUnreachable, _) => peer,
        (IcmpKind::HostUnreachable, IpAddr::V4(_)) => IpAddr::V4(ROUTER_V4),
        (IcmpKind::HostUnreachable, IpAddr::V6(_)) => IpAddr::V6(ROUTER_V6),
    }
}

/// The IP packet of an ICMP (IPv4) or ICMPv6 error of `kind` about `quoted`, an IP packet the
/// target sent: from [`reporter`] to the quoted packet's source. Fails on a quoted packet
/// that is not IPv4 or IPv6 with room for eight octets of transport header.
pub fn error_about(kind: IcmpKind, quoted: &[u8]) -> Result<Vec<u8>, String> {
    let first = *quoted.first().ok_or("no segment to quote")?;
    let mut out = Vec::new();
    match first >> 4 {
        4 => {
            let ihl = usize::from(first & 0x0f) * 4;
            let end = ihl + 8;
            if ihl < 20 || quoted.len() < end {
                return Err(format!(
                    "an IPv4 packet of {} octets to quote",
                    quoted.len()
                ));
            }
            let at = |i: usize| [quoted[i], quoted[i + 1], quoted[i + 2], quoted[i + 3]];
            let (src, dst) = (Ipv4Addr::from(at(12)), Ipv4Addr::from(at(16)));
            let from = match reporter(kind, IpAddr::V4(dst)) {
                IpAddr::V4(a) => a,
                IpAddr::V6(_) => return Err("an IPv6 reporter for an IPv4 packet".into()),
            };
            let (t, code) = type_code(kind, false);
            PacketBuilder::ipv4(from.octets(), src.octets(), 64)
                .icmpv4_raw(t, code, [0; 4])
                .write(&mut out, &quoted[..end])
                .map_err(|e| format!("cannot build the ICMP error: {e}"))?;
        }
        6 => {
            if quoted.len() < 48 {
                return Err(format!(
                    "an IPv6 packet of {} octets to quote",
                    quoted.len()
                ));
            }
            let addr = |i: usize| {
                let mut a = [0u8; 16];
                a.copy_from_slice(&quoted[i..i + 16]);
                Ipv6Addr::from(a)
            };
            let (src, dst) = (addr(8), addr(24));
            let from = match reporter(kind, IpAddr::V6(dst)) {
                IpAddr::V6(a) => a,
                IpAddr::V4(_) => return Err("an IPv4 reporter for an IPv6 packet".into()),
            };
            let (t, code) = type_code(kind, true);
            let end = quoted.len().min(V6_QUOTE_MAX);
            PacketBuilder::ipv6(from.octets(), src.octets(), 64)
                .icmpv6_raw(t, code, [0; 4])
                .write(&mut out, &quoted[..end])
                .map_err(|e| format!("cannot build the ICMPv6 error: {e}"))?;
        }
        v => return Err(format!("IP version {v} in the packet to quote")),
    }
    Ok(out)
}

/// Whether an IP packet is an ICMP or ICMPv6 error message (ICMP Destination Unreachable,
/// Source Quench, Time Exceeded, Parameter Problem; ICMPv6 types 1 to 4): what the userspace
/// targets count as processed beside TCP (the replayer injects nothing else; the kernel's own
/// ICMPv6 on a new device, router solicitations and MLD reports, are not errors).
pub fn is_error(packet: &[u8]) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(4) => {
            let ihl = usize::from(packet[0] & 0x0f) * 4;
            packet.len() > ihl
                && packet.get(9) == Some(&1)
                && matches!(packet[ihl], 3 | 4 | 11 | 12)
        }
        // Only a packet whose first next header is ICMPv6 (the replayer adds no extension
        // headers).
        Some(6) => packet.get(6) == Some(&58) && matches!(packet.get(40), Some(1..=4)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{self, Segment};
    use etherparse::{Icmpv4Type, Icmpv6Type, NetSlice, SlicedPacket, TransportSlice};

    fn syn(src: &str, dst: &str) -> Vec<u8> {
        let seg = Segment {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            flags: "S".parse().unwrap(),
            seq: 0x0102_0304,
            ack: 0,
            window: 1000,
            len: 0,
            urgent: 0,
            options: Default::default(),
        };
        segment::build(&seg, &[]).unwrap()
    }

    #[test]
    fn a_v4_error_quotes_the_ip_header_and_eight_octets_from_the_reporter() {
        let quoted = syn("192.0.2.1:10001", "192.0.2.2:40001");
        for (kind, from, code) in [
            (IcmpKind::PortUnreachable, Ipv4Addr::new(192, 0, 2, 2), 3),
            (IcmpKind::HostUnreachable, ROUTER_V4, 1),
        ] {
            let pkt = error_about(kind, &quoted).unwrap();
            assert!(is_error(&pkt));
            let p = SlicedPacket::from_ip(&pkt).unwrap();
            let Some(NetSlice::Ipv4(ip)) = &p.net else {
                panic!("IPv4")
            };
            assert_eq!(ip.header().source_addr(), from);
            assert_eq!(ip.header().destination_addr(), Ipv4Addr::new(192, 0, 2, 1));
            let Some(TransportSlice::Icmpv4(icmp)) = &p.transport else {
                panic!("ICMP")
            };
            assert!(matches!(
                icmp.icmp_type(),
                Icmpv4Type::DestinationUnreachable(_)
            ));
            assert_eq!(icmp.code_u8(), code);
            assert_eq!(icmp.payload(), &quoted[..28]);
        }
    }

    #[test]
    fn a_v6_error_quotes_the_whole_packet() {
        let quoted = syn("[2001:db8::1]:10001", "[2001:db8::2]:40001");
        let pkt = error_about(IcmpKind::HostUnreachable, &quoted).unwrap();
        assert!(is_error(&pkt));
        let p = SlicedPacket::from_ip(&pkt).unwrap();
        let Some(NetSlice::Ipv6(ip)) = &p.net else {
            panic!("IPv6")
        };
        assert_eq!(ip.header().source_addr(), ROUTER_V6);
        let Some(TransportSlice::Icmpv6(icmp)) = &p.transport else {
            panic!("ICMPv6")
        };
        assert!(matches!(
            icmp.icmp_type(),
            Icmpv6Type::DestinationUnreachable(_)
        ));
        assert_eq!(icmp.code_u8(), 3);
        assert_eq!(icmp.payload(), &quoted[..]);
        assert!(!is_error(&quoted), "a segment is not an ICMP error");
    }

    #[test]
    fn nothing_to_quote_is_an_error() {
        assert!(error_about(IcmpKind::PortUnreachable, &[]).is_err());
        assert!(error_about(IcmpKind::PortUnreachable, &[0x45, 0, 0]).is_err());
        assert!(error_about(IcmpKind::PortUnreachable, &[0x20; 60]).is_err());
    }
}
