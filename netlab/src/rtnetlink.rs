//! Interface configuration through rtnetlink (rtnetlink(7)): link up, MTU, addresses, routes.

use crate::netlink::{attributes, MessageBuilder, NetlinkSocket, NLM_F_CREATE, NLM_F_EXCL};
use crate::Error;
use std::net::IpAddr;

const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_SETLINK: u16 = 19;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_STATS64: u16 = 23;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;
/// `IFA_F_TENTATIVE`: duplicate address detection has not finished.
pub const IFA_F_TENTATIVE: u32 = 0x40;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RT_TABLE_MAIN: u8 = 254;
const RTPROT_STATIC: u8 = 4;
const RT_SCOPE_LINK: u8 = 253;
const RTN_UNICAST: u8 = 1;
const IFF_UP: u32 = 1;

/// A link's packet counters (`struct rtnl_link_stats64`, the first eight fields). For a TUN
/// device, `rx` counts the packets written to its file descriptor (received by the kernel) and
/// `tx` those the kernel queued for reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Packets dropped on receive.
    pub rx_dropped: u64,
    /// Packets dropped on transmit.
    pub tx_dropped: u64,
}

/// An rtnetlink connection in the calling thread's network namespace.
#[derive(Debug)]
pub struct Rtnetlink {
    sock: NetlinkSocket,
}

fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[0] = libc::AF_UNSPEC as u8;
    m[4..8].copy_from_slice(&(index as i32).to_ne_bytes());
    m[8..12].copy_from_slice(&flags.to_ne_bytes());
    m[12..16].copy_from_slice(&change.to_ne_bytes());
    m
}

fn family_and_bytes(addr: IpAddr) -> (u8, Vec<u8>) {
    match addr {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    }
}

impl Rtnetlink {
    /// Open a `NETLINK_ROUTE` socket in the calling thread's namespace.
    pub fn open() -> Result<Self, Error> {
        Ok(Rtnetlink {
            sock: NetlinkSocket::open(libc::NETLINK_ROUTE)?,
        })
    }

    /// Set the link with this index administratively up (`IFF_UP`).
    pub fn set_link_up(&mut self, index: u32) -> Result<(), Error> {
        let m = MessageBuilder::new(&ifinfomsg(index, IFF_UP, IFF_UP));
        self.sock.request_ack(
            &format!("set link ifindex {index} up"),
            RTM_SETLINK,
            0,
            m.payload(),
        )
    }

    /// Set the MTU of the link with this index.
    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<(), Error> {
        let mut m = MessageBuilder::new(&ifinfomsg(index, 0, 0));
        m.attr_u32(IFLA_MTU, mtu);
        self.sock.request_ack(
            &format!("set MTU {mtu} on ifindex {index}"),
            RTM_NEWLINK,
            0,
            m.payload(),
        )
    }

    /// Add `addr/prefix` to the link. IPv6 addresses get `IFA_F_NODAD`, so they are usable at
    /// once instead of after duplicate address detection (RFC 4862 section 5.4).
    pub fn add_address(&mut self, index: u32, addr: IpAddr, prefix: u8) -> Result<(), Error> {
        let (family, bytes) = family_and_bytes(addr);
        let nodad = if addr.is_ipv6() { IFA_F_NODAD } else { 0 };
        let mut fixed = [0u8; 8];
        fixed[0] = family;
        fixed[1] = prefix;
        fixed[2] = nodad as u8;
        fixed[3] = 0; // RT_SCOPE_UNIVERSE
        fixed[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut m = MessageBuilder::new(&fixed);
        m.attr(IFA_LOCAL, &bytes).attr(IFA_ADDRESS, &bytes);
        if nodad != 0 {
            m.attr_u32(IFA_FLAGS, nodad);
        }
        self.sock.request_ack(
            &format!("add address {addr}/{prefix} to ifindex {index}"),
            RTM_NEWADDR,
            NLM_F_CREATE | NLM_F_EXCL,
            m.payload(),
        )
    }

    /// Add a device route `dst/prefix dev <index>` to the main table (no gateway: TUN is
    /// point-to-point, packets for the prefix go straight to the device).
    pub fn add_route(&mut self, index: u32, dst: IpAddr, prefix: u8) -> Result<(), Error> {
        let (family, bytes) = family_and_bytes(dst);
        let fixed = [
            family,
            prefix,
            0,
            0,
            RT_TABLE_MAIN,
            RTPROT_STATIC,
            RT_SCOPE_LINK,
            RTN_UNICAST,
            0,
            0,
            0,
            0,
        ];
        let mut m = MessageBuilder::new(&fixed);
        m.attr(RTA_DST, &bytes).attr_u32(RTA_OIF, index);
        self.sock.request_ack(
            &format!("add route {dst}/{prefix} dev ifindex {index}"),
            RTM_NEWROUTE,
            NLM_F_CREATE | NLM_F_EXCL,
            m.payload(),
        )
    }

    /// Every address of the link with this index: `(address, prefix length, IFA_F_* flags)`.
    pub fn addresses(&mut self, index: u32) -> Result<Vec<(IpAddr, u8, u32)>, Error> {
        let fixed = [0u8; 8];
        let m = MessageBuilder::new(&fixed);
        let replies = self.sock.dump("list addresses", RTM_GETADDR, m.payload())?;
        let mut out = Vec::new();
        for r in replies {
            let p = &r.payload;
            if p.len() < 8 || u32::from_ne_bytes([p[4], p[5], p[6], p[7]]) != index {
                continue;
            }
            let mut flags = u32::from(p[2]);
            let mut addr = None;
            for (kind, value) in attributes(&p[8..]) {
                match (kind, value.len()) {
                    (IFA_FLAGS, 4) => {
                        flags = u32::from_ne_bytes([value[0], value[1], value[2], value[3]])
                    }
                    (IFA_ADDRESS, 4) if addr.is_none() => {
                        addr = Some(IpAddr::from([value[0], value[1], value[2], value[3]]));
                    }
                    (IFA_ADDRESS, 16) => {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(value);
                        addr = Some(IpAddr::from(o));
                    }
                    _ => {}
                }
            }
            if let Some(a) = addr {
                out.push((a, p[1], flags));
            }
        }
        Ok(out)
    }

    /// Wait until every IPv6 address of the link has left the tentative state. Even with
    /// `IFA_F_NODAD`, the kernel finishes address setup in a work queue after the link comes
    /// up, and until then the address does not receive packets reliably.
    pub fn wait_addresses_ready(
        &mut self,
        index: u32,
        timeout: std::time::Duration,
    ) -> Result<(), Error> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let tentative: Vec<IpAddr> = self
                .addresses(index)?
                .into_iter()
                .filter(|(_, _, flags)| flags & IFA_F_TENTATIVE != 0)
                .map(|(a, _, _)| a)
                .collect();
            if tentative.is_empty() {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                return Err(Error::new(
                    format!("wait for addresses {tentative:?} on ifindex {index} to leave the tentative state"),
                    std::io::Error::from(std::io::ErrorKind::TimedOut),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// The packet counters of the link with this index (`RTM_GETLINK`, `IFLA_STATS64`).
    pub fn link_stats(&mut self, index: u32) -> Result<LinkStats, Error> {
        let op = format!("read the counters of ifindex {index}");
        let m = MessageBuilder::new(&ifinfomsg(index, 0, 0));
        let reply = self.sock.request_one(&op, RTM_GETLINK, m.payload())?;
        let value = reply
            .payload
            .get(16..)
            .into_iter()
            .flat_map(attributes)
            .find(|(kind, _)| *kind == IFLA_STATS64)
            .map(|(_, value)| value)
            .filter(|v| v.len() >= 64)
            .ok_or_else(|| {
                Error::new(
                    format!("{op}: no IFLA_STATS64 in the reply"),
                    std::io::Error::from(std::io::ErrorKind::InvalidData),
                )
            })?;
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&value[8 * i..8 * i + 8]);
            u64::from_ne_bytes(b)
        };
        Ok(LinkStats {
            rx_packets: field(0),
            tx_packets: field(1),
            rx_bytes: field(2),
            tx_bytes: field(3),
            rx_errors: field(4),
            tx_errors: field(5),
            rx_dropped: field(6),
            tx_dropped: field(7),
        })
    }

    /// The `(index, name)` of every link in this namespace.
    pub fn links(&mut self) -> Result<Vec<(u32, String)>, Error> {
        let m = MessageBuilder::new(&ifinfomsg(0, 0, 0));
        let replies = self.sock.dump("list links", RTM_GETLINK, m.payload())?;
        let mut out = Vec::new();
        for r in replies {
            if r.payload.len() < 16 {
                continue;
            }
            let index =
                i32::from_ne_bytes([r.payload[4], r.payload[5], r.payload[6], r.payload[7]]) as u32;
            for (kind, value) in attributes(&r.payload[16..]) {
                if kind == IFLA_IFNAME {
                    let name = value.split(|&b| b == 0).next().unwrap_or(&[]);
                    out.push((index, String::from_utf8_lossy(name).into_owned()));
                }
            }
        }
        Ok(out)
    }
}
