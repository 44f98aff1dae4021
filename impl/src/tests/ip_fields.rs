//! The IP header fields an application chooses per connection (RFC 9293 3.9.1.9 and 3.9.2):
//! the TTL / hop limit (MUST-49) and the Diffserv codepoint (MUST-48), on every segment of
//! the connection (SYN, SYN,ACK, data, ACKs, FIN, RST), for an active and a passive OPEN,
//! IPv4 and IPv6, changeable during the connection (SHLD-21).

use super::*;
use crate::IpFields;

/// A opens a connection with `a` (SYN included), B's listener gives its connections `b`;
/// data both ways, a close both ways. Returns the net with every segment recorded.
fn exchange(v6: bool, a: IpFields, b: IpFields) -> Net {
    let mut net = if v6 {
        Net::new_v6(fast_config(), fast_config())
    } else {
        Net::new(fast_config(), fast_config())
    };
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    net.b
        .set_listener_ip_fields(lh, b)
        .expect("listener fields");
    let remote = net.b_sock(80);
    let ha = net
        .a
        .connect_with(net.now, None, remote, a)
        .expect("connect");
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.accept_ready(lh) > 0));
    let hb = net.b.accept(lh).expect("accept");
    transfer_a_to_b(&mut net, ha, hb, &pattern(3000), Duration::from_secs(1));
    transfer_b_to_a(&mut net, hb, ha, &pattern(3000), Duration::from_secs(1));
    net.a.shutdown(net.now, ha).expect("close");
    net.b.shutdown(net.now, hb).expect("close");
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.a.state(ha), State::TimeWait);
    net
}

/// Every segment sent in `dir` has `field`; there are at least six.
fn all_have(net: &Net, dir: Dir, field: impl Fn(&crate::testnet::Seen) -> u8, want: u8) {
    let got: Vec<u8> = net
        .seen
        .iter()
        .filter(|s| s.dir == dir)
        .map(field)
        .collect();
    assert!(got.len() >= 6, "{dir:?}: {got:?}");
    assert!(
        got.iter().all(|&v| v == want),
        "{dir:?}: {got:?}, want {want}"
    );
}

/// A connection whose fields change after the handshake: the next segments, and the RST of
/// an ABORT, carry the new ones. Returns the net and A's handle.
fn changed_then_aborted(ip: IpFields) -> (Net, SocketHandle) {
    let (mut net, ha, hb) = established();
    assert_eq!(net.a.ip_fields(ha), Ok(IpFields::default()));
    net.a.set_ip_fields(ha, ip).expect("fields");
    let from = net.seen.len();
    transfer_a_to_b(&mut net, ha, hb, b"changed", Duration::from_secs(1));
    net.a.abort(ha).expect("abort");
    net.run_for(MS);
    net.seen.drain(..from);
    assert_eq!(last_from(&net, Dir::AtoB).flags, RST);
    (net, ha)
}

/// RFC 9293 3.9.2 (MUST-49): the TTL / hop limit is configurable per connection and written
/// into every segment of it; a TTL of 0 is refused.
#[test]
pub(super) fn ttl_is_set_per_connection_on_every_segment() {
    for v6 in [false, true] {
        let net = exchange(
            v6,
            IpFields { ttl: 7, dscp: 0 },
            IpFields { ttl: 9, dscp: 0 },
        );
        all_have(&net, Dir::AtoB, |s| s.ttl, 7);
        all_have(&net, Dir::BtoA, |s| s.ttl, 9);
    }
    let (net, ha) = changed_then_aborted(IpFields { ttl: 3, dscp: 0 });
    let a_segments = net.seen.iter().filter(|s| s.dir == Dir::AtoB);
    assert!(a_segments.clone().count() >= 2);
    assert!(a_segments.clone().all(|s| s.ttl == 3));
    let mut net = net;
    let zero = IpFields { ttl: 0, dscp: 0 };
    assert_eq!(net.a.set_ip_fields(ha, zero), Err(TcpError::InvalidInput));
    let remote = net.b_sock(80);
    let refused = net.a.connect_with(net.now, None, remote, zero);
    assert_eq!(refused, Err(TcpError::InvalidInput));
}

/// RFC 9293 3.9.1.9 (MUST-48): the application specifies the Diffserv field of the segments
/// of a connection: its codepoint is in the upper six bits of every segment's TOS octet /
/// traffic class (the ECN bits zero); a codepoint over six bits is refused.
#[test]
pub(super) fn dscp_is_set_per_connection_on_every_segment() {
    for v6 in [false, true] {
        let net = exchange(
            v6,
            IpFields { ttl: 64, dscp: 46 },
            IpFields { ttl: 64, dscp: 10 },
        );
        all_have(&net, Dir::AtoB, |s| s.tos, 46 << 2);
        all_have(&net, Dir::BtoA, |s| s.tos, 10 << 2);
    }
    let (net, ha) = changed_then_aborted(IpFields { ttl: 64, dscp: 8 });
    let a_segments = net.seen.iter().filter(|s| s.dir == Dir::AtoB);
    assert!(a_segments.clone().count() >= 2);
    assert!(a_segments.clone().all(|s| s.tos == 8 << 2));
    let mut net = net;
    let bad = IpFields { ttl: 64, dscp: 64 };
    assert_eq!(net.a.set_ip_fields(ha, bad), Err(TcpError::InvalidInput));
}
