//! The attack lab: a private network namespace with one TUN device. The kernel owns
//! 192.0.2.1 on it; the userspace stack (`tcp-impl`) answers for 192.0.2.2 through the
//! device. The attacker's spoofed segments reach the kernel by being written into the device
//! and reach the userspace stack through a raw socket, whose packets the kernel routes out
//! through the device. Spoofed SYNs come from 198.51.100.0/24, routed into the device too.
//! Only documentation addresses are used, and nothing leaves the namespace.

use anyhow::{anyhow, Context, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use tcp_impl::runtime::NetStack;
use tcp_impl::wire::{self, TcpHeader};
use tcp_impl::Config;
use tcp_netlab::{Rtnetlink, Tun};

/// The kernel's address on the TUN link.
pub const KERNEL: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
/// The userspace stack's address.
pub const STACK: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
/// Where spoofed SYNs claim to come from (a /24 of documentation addresses).
pub const SPOOFED_NET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 0);

/// The lab, set up inside the current (private) namespace.
pub struct Lab {
    /// The userspace stack on the device.
    pub stack: NetStack,
    /// A second descriptor of the device: a packet written here reaches the kernel.
    to_kernel: OwnedFd,
    /// A raw socket: a packet sent here is routed out through the device to the stack.
    to_stack: OwnedFd,
}

impl Lab {
    /// Create the device, its addresses and routes, the stack and the injection paths. Call
    /// it inside a private network namespace.
    pub fn new(config: Config) -> Result<Lab> {
        let tun = Tun::create("atk%d").context("create the TUN device")?;
        let mut rt = Rtnetlink::open().context("open rtnetlink")?;
        rt.set_mtu(tun.index(), 1500).context("set the MTU")?;
        rt.add_address(tun.index(), KERNEL, 24)
            .context("add the kernel's address")?;
        rt.set_link_up(tun.index()).context("bring the device up")?;
        rt.add_route(tun.index(), IpAddr::V4(SPOOFED_NET), 24)
            .context("route the spoofed sources into the device")?;
        // SAFETY: dup of a valid descriptor; the new one is owned below.
        let dup = unsafe { libc::dup(tun.as_raw_fd()) };
        if dup < 0 {
            return Err(std::io::Error::last_os_error()).context("dup the TUN descriptor");
        }
        // SAFETY: `dup` is a fresh descriptor nobody else owns.
        let to_kernel = unsafe { OwnedFd::from_raw_fd(dup) };
        // SAFETY: plain socket(2); the result is checked.
        let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error()).context("open a raw socket");
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let to_stack = unsafe { OwnedFd::from_raw_fd(raw) };
        let stack = NetStack::new(tun, config, vec![STACK])
            .map_err(|e| anyhow!("start the userspace stack on the TUN device: {e}"))?;
        Ok(Lab {
            stack,
            to_kernel,
            to_stack,
        })
    }

    /// Put a spoofed segment on the wire toward `dst` (the kernel or the stack), from `src`.
    pub fn inject(&self, src: SocketAddr, dst: SocketAddr, tcp: &TcpHeader, payload: &[u8]) {
        let tcp = TcpHeader {
            src_port: src.port(),
            dst_port: dst.port(),
            ..*tcp
        };
        let mut p = Vec::with_capacity(60 + payload.len());
        wire::build_packet(&mut p, src.ip(), dst.ip(), &tcp, payload, 0);
        if dst.ip() == KERNEL {
            // SAFETY: writing `p.len()` bytes from `p` to an owned descriptor.
            unsafe { libc::write(self.to_kernel.as_raw_fd(), p.as_ptr().cast(), p.len()) };
        } else {
            let IpAddr::V4(ip) = dst.ip() else {
                return;
            };
            // SAFETY: sockaddr_in is plain data, filled in before the call.
            let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_addr.s_addr = u32::from_ne_bytes(ip.octets());
            // SAFETY: `p` and `sin` are valid for the lengths given.
            unsafe {
                libc::sendto(
                    self.to_stack.as_raw_fd(),
                    p.as_ptr().cast(),
                    p.len(),
                    0,
                    (&sin as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            };
        }
    }
}

/// A counter of the namespace's TCP statistics (`/proc/thread-self/net/netstat` or `snmp`),
/// e.g. `TcpExt` / `TCPChallengeACK`; 0 when absent.
pub fn kernel_counter(section: &str, name: &str) -> u64 {
    let mut found = 0;
    for file in [
        "/proc/thread-self/net/netstat",
        "/proc/thread-self/net/snmp",
    ] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.chunks(2) {
            let [head, values] = pair else { continue };
            let prefix = format!("{section}:");
            if !head.starts_with(&prefix) || !values.starts_with(&prefix) {
                continue;
            }
            let names = head.split_whitespace().skip(1);
            let nums = values.split_whitespace().skip(1);
            for (n, v) in names.zip(nums) {
                if n == name {
                    found = v.parse().unwrap_or(0);
                }
            }
        }
    }
    found
}

/// TCP sockets the namespace's kernel holds (`/proc/thread-self/net/sockstat`, `TCP: inuse`).
pub fn kernel_tcp_sockets() -> u64 {
    std::fs::read_to_string("/proc/thread-self/net/sockstat")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("TCP:")).and_then(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words
                    .iter()
                    .position(|w| *w == "inuse")
                    .and_then(|i| words.get(i + 1))
                    .and_then(|v| v.parse().ok())
            })
        })
        .unwrap_or(0)
}
