//! A TUN lab for the interop tests and the example: a private network namespace with one
//! TUN device; the kernel owns 192.0.2.1 and 2001:db8::1 on it, the stack answers for
//! 192.0.2.2 and 2001:db8::2 through the device's fd.

#![allow(dead_code)]

pub mod http;

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;
use tcp_impl::offload::OffloadTun;
use tcp_impl::runtime::NetStack;
use tcp_impl::Config;
use tcp_netlab::{run_in_private_netns, Rtnetlink, Tun};

/// The kernel's IPv4 address on the TUN link.
pub const KERNEL_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
/// The stack's IPv4 address.
pub const STACK_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
/// The kernel's IPv6 address.
pub const KERNEL_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
/// The stack's IPv6 address.
pub const STACK_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));

/// Runs `f` in a fresh namespace with the lab set up. Panics with a clear message when the
/// namespace or TUN device cannot be made (a missing privilege is a failure, not a skip).
pub fn in_lab<F>(config: Config, f: F)
where
    F: FnOnce(&NetStack) + Send + 'static,
{
    lab(config, false, f)
}

/// Like [`in_lab`], with the TUN device opened with a virtio-net header and checksum/TSO
/// offloads ([`tcp_impl::offload::OffloadTun`]); the link MTU is still 1500.
pub fn in_offload_lab<F>(config: Config, f: F)
where
    F: FnOnce(&NetStack) + Send + 'static,
{
    lab(config, true, f)
}

fn lab<F>(config: Config, offload: bool, f: F)
where
    F: FnOnce(&NetStack) + Send + 'static,
{
    // A hung test must fail, not stall CI: give every lab two minutes.
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watchdog.recv_timeout(Duration::from_secs(120)).is_err() {
            eprintln!("TUN interop test did not finish within 120 s: aborting the test process");
            std::process::exit(101);
        }
    });
    let result = run_in_private_netns(move || -> Result<(), tcp_netlab::Error> {
        let addrs = vec![STACK_V4, STACK_V6];
        let net = if offload {
            let tun = make_offload_tun()?;
            NetStack::new_offload(tun, config, addrs)
        } else {
            NetStack::new(make_tun()?, config, addrs)
        }
        .map_err(|e| tcp_netlab::Error::new("start the stack on the TUN device", e))?;
        f(&net);
        Ok(())
    });
    let _ = done.send(());
    if let Err(e) = result {
        panic!(
            "TUN interop test could not set up its network namespace and TUN device: {e}. \
             These tests need root (or CAP_SYS_ADMIN + CAP_NET_ADMIN and /dev/net/tun); \
             run them as root, e.g. `sudo -E cargo test -p tcp-impl --test interop_tun`."
        );
    }
}

/// Creates the lab's TUN device in the current namespace: MTU 1500, the kernel's addresses,
/// link up. Call it inside a private namespace.
pub fn make_tun() -> Result<Tun, tcp_netlab::Error> {
    let tun = Tun::create("impl%d")?;
    let mut rt = Rtnetlink::open()?;
    rt.set_mtu(tun.index(), 1500)?;
    rt.add_address(tun.index(), KERNEL_V4, 24)?;
    rt.add_address(tun.index(), KERNEL_V6, 64)?;
    rt.set_link_up(tun.index())?;
    Ok(tun)
}

/// The offload variant of [`make_tun`].
pub fn make_offload_tun() -> Result<OffloadTun, tcp_netlab::Error> {
    let tun = OffloadTun::create("impl%d")
        .map_err(|e| tcp_netlab::Error::new("create a TUN device with IFF_VNET_HDR", e))?;
    let mut rt = Rtnetlink::open()?;
    rt.set_mtu(tun.index(), 1500)?;
    rt.add_address(tun.index(), KERNEL_V4, 24)?;
    rt.add_address(tun.index(), KERNEL_V6, 64)?;
    rt.set_link_up(tun.index())?;
    Ok(tun)
}

/// A deterministic byte stream with a long (prime) period, so shifted or reordered data
/// cannot match by accident.
pub struct Pattern {
    buf: Vec<u8>,
}

impl Default for Pattern {
    fn default() -> Self {
        Self::new()
    }
}

impl Pattern {
    /// The pattern (period 1,000,003 bytes).
    pub fn new() -> Pattern {
        let mut x = 0x9e37_79b9u32;
        let buf = (0..1_000_003)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        Pattern { buf }
    }

    /// Writes `total` bytes of the pattern to `w`.
    pub fn write_to(&self, w: &mut impl Write, total: usize) -> io::Result<()> {
        let mut off = 0;
        while off < total {
            let start = off % self.buf.len();
            let n = (self.buf.len() - start).min(total - off).min(256 * 1024);
            w.write_all(&self.buf[start..start + n])?;
            off += n;
        }
        Ok(())
    }

    /// Reads `r` to end of stream, checking every byte; returns the count, or an error that
    /// names the first wrong offset.
    pub fn read_and_verify(&self, r: &mut impl Read) -> io::Result<usize> {
        let mut buf = vec![0u8; 256 * 1024];
        let mut off = 0usize;
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok(off);
            }
            for (i, b) in buf[..n].iter().enumerate() {
                if *b != self.buf[(off + i) % self.buf.len()] {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("byte {} differs", off + i),
                    ));
                }
            }
            off += n;
        }
    }
}
