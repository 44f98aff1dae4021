//! Socket states through `NETLINK_SOCK_DIAG` (sock_diag(7), inet_diag), which lists also
//! SYN-RECEIVED request sockets, TIME-WAIT sockets and orphaned (closed) sockets.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tcp_netlab::netlink::NetlinkSocket;
use tcp_vectors::TcpState;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// Every Linux TCP state from `TCP_ESTABLISHED` (1) to `TCP_NEW_SYN_RECV` (12).
const ALL_STATES: u32 = 0x1ffe;

/// One TCP socket as inet_diag reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagSocket {
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (port 0 for a listener).
    pub remote: SocketAddr,
    /// The kernel's state number (`TCP_ESTABLISHED` = 1, ...).
    pub linux_state: u8,
    /// The pending timer (`idiag_timer`): 0 none, 1 retransmission (also loss probe and
    /// reordering timeouts, and a request's SYN,ACK retransmission), 2 keepalive (also the
    /// FIN-WAIT-2 timeout), 3 TIME-WAIT, 4 zero-window probe. The delayed-ACK timer is never
    /// reported.
    pub timer: u8,
    /// Time until that timer expires (`idiag_expires`, milliseconds).
    pub expires: std::time::Duration,
}

impl DiagSocket {
    /// The RFC 9293 state of a Linux state number (include/net/tcp_states.h).
    pub fn state(&self) -> Option<TcpState> {
        linux_state(self.linux_state)
    }
}

/// Map a Linux TCP state number to RFC 9293's; `TCP_NEW_SYN_RECV` request sockets are
/// SYN-RECEIVED, `TCP_CLOSE` is CLOSED.
pub fn linux_state(n: u8) -> Option<TcpState> {
    Some(match n {
        1 => TcpState::Established,
        2 => TcpState::SynSent,
        3 | 12 => TcpState::SynReceived,
        4 => TcpState::FinWait1,
        5 => TcpState::FinWait2,
        6 => TcpState::TimeWait,
        7 => TcpState::Closed,
        8 => TcpState::CloseWait,
        9 => TcpState::LastAck,
        10 => TcpState::Listen,
        11 => TcpState::Closing,
        _ => return None,
    })
}

/// A sock_diag connection in the calling thread's namespace.
#[derive(Debug)]
pub struct SockDiag {
    sock: NetlinkSocket,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn addr(family: u8, b: &[u8]) -> IpAddr {
    if family == libc::AF_INET as u8 {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    } else {
        let mut o = [0u8; 16];
        o.copy_from_slice(&b[..16]);
        IpAddr::V6(Ipv6Addr::from(o))
    }
}

impl SockDiag {
    /// Open the socket.
    pub fn open() -> io::Result<Self> {
        Ok(SockDiag {
            sock: NetlinkSocket::open(libc::NETLINK_SOCK_DIAG)?,
        })
    }

    /// The TCP socket with this local and remote address, found by an exact lookup (a hash
    /// lookup in the kernel, unlike a dump, which walks the whole established hash table that
    /// a new namespace shares with the host: about 8 ms here). If no such connection exists
    /// the kernel falls back to a listener on the local port. `None` when there is neither.
    pub fn lookup(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> io::Result<Option<DiagSocket>> {
        let family = if local.is_ipv6() {
            libc::AF_INET6
        } else {
            libc::AF_INET
        } as u8;
        let mut req = [0u8; 56];
        req[0] = family;
        req[1] = libc::IPPROTO_TCP as u8;
        req[4..8].copy_from_slice(&ALL_STATES.to_ne_bytes());
        req[8..10].copy_from_slice(&local.port().to_be_bytes());
        req[10..12].copy_from_slice(&remote.port().to_be_bytes());
        let put = |buf: &mut [u8], a: IpAddr| match a {
            IpAddr::V4(v4) => buf[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => buf[..16].copy_from_slice(&v6.octets()),
        };
        put(&mut req[12..28], local.ip());
        put(&mut req[28..44], remote.ip());
        // idiag_if = 0 (bytes 44..48); idiag_cookie = INET_DIAG_NOCOOKIE (all ones).
        req[48..56].copy_from_slice(&[0xff; 8]);
        match self.sock.request_one(
            "sock_diag lookup of a TCP socket",
            SOCK_DIAG_BY_FAMILY,
            &req,
        ) {
            Ok(m) => Ok(parse_msg(&m.payload)),
            Err(e) if e.source.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every TCP socket of the family (`ipv6` or IPv4) in this namespace.
    pub fn tcp_sockets(&mut self, ipv6: bool) -> io::Result<Vec<DiagSocket>> {
        let family = if ipv6 { libc::AF_INET6 } else { libc::AF_INET } as u8;
        // struct inet_diag_req_v2: family, protocol, ext, pad, states, inet_diag_sockid (48).
        let mut req = [0u8; 56];
        req[0] = family;
        req[1] = libc::IPPROTO_TCP as u8;
        req[4..8].copy_from_slice(&ALL_STATES.to_ne_bytes());
        let replies = self
            .sock
            .dump("sock_diag dump of TCP sockets", SOCK_DIAG_BY_FAMILY, &req)?;
        let mut out = Vec::new();
        for r in replies {
            out.extend(parse_msg(&r.payload));
        }
        Ok(out)
    }
}

/// `INET_DIAG_SKMEMINFO`: the attribute (and, as `1 << (7 - 1)`, the request's extension
/// bit) carrying a socket's `SK_MEMINFO_*` array (linux/sock_diag.h).
const INET_DIAG_SKMEMINFO: u16 = 7;

/// The memory of a namespace's TCP sockets as sock_diag reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpMemory {
    /// Bytes charged to the sockets: `SK_MEMINFO_RMEM_ALLOC + WMEM_QUEUED + FWD_ALLOC +
    /// OPTMEM`, summed (the socket structures themselves are not reported).
    pub bytes: u64,
    /// TCP sockets of every state, request sockets (SYN-RECEIVED) included.
    pub sockets: u64,
    /// Of `sockets`, request sockets (SYN-RECEIVED: inet_diag reports a `TCP_NEW_SYN_RECV`
    /// request as `TCP_SYN_RECV`), which carry no memory report.
    pub requests: u64,
}

impl SockDiag {
    /// The memory of every TCP socket in this namespace, both families (a dump: milliseconds,
    /// see [`SockDiag::lookup`]).
    pub fn tcp_memory(&mut self) -> io::Result<TcpMemory> {
        let mut total = TcpMemory::default();
        for family in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
            let mut req = [0u8; 56];
            req[0] = family;
            req[1] = libc::IPPROTO_TCP as u8;
            req[2] = 1 << (INET_DIAG_SKMEMINFO - 1);
            req[4..8].copy_from_slice(&ALL_STATES.to_ne_bytes());
            let replies =
                self.sock
                    .dump("sock_diag dump of TCP memory", SOCK_DIAG_BY_FAMILY, &req)?;
            for r in replies {
                let Some(msg) = parse_msg(&r.payload) else {
                    continue;
                };
                total.sockets += 1;
                if matches!(msg.linux_state, 3 | 12) {
                    total.requests += 1;
                }
                let attrs = r.payload.get(72..).unwrap_or_default();
                for (kind, data) in tcp_netlab::netlink::attributes(attrs) {
                    if kind != INET_DIAG_SKMEMINFO {
                        continue;
                    }
                    let word = |i: usize| {
                        data.get(i * 4..i * 4 + 4).map_or(0, |b| {
                            u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        })
                    };
                    // SK_MEMINFO_RMEM_ALLOC 0, WMEM_QUEUED 5, FWD_ALLOC 4, OPTMEM 6.
                    total.bytes += word(0) + word(5) + word(4) + word(6);
                }
            }
        }
        Ok(total)
    }
}

/// Parse a `struct inet_diag_msg`: family, state, timer, retrans, sockid (sport, dport,
/// src[16], dst[16], if, cookie[2]), expires, rqueue, wqueue, uid, inode.
fn parse_msg(p: &[u8]) -> Option<DiagSocket> {
    if p.len() < 72 {
        return None;
    }
    Some(DiagSocket {
        local: SocketAddr::new(addr(p[0], &p[8..24]), be16(&p[4..6])),
        remote: SocketAddr::new(addr(p[0], &p[24..40]), be16(&p[6..8])),
        linux_state: p[1],
        timer: p[2],
        expires: std::time::Duration::from_millis(u64::from(u32::from_ne_bytes([
            p[52], p[53], p[54], p[55],
        ]))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rfc_state_but_closed_has_a_linux_number() {
        let mapped: Vec<TcpState> = (1..=12).filter_map(linux_state).collect();
        for s in TcpState::ALL {
            assert!(mapped.contains(&s), "{s} has no Linux state");
        }
        assert_eq!(linux_state(12), Some(TcpState::SynReceived));
        assert_eq!(linux_state(13), None);
    }
}
