//! A TUN device with a virtio-net header (`IFF_VNET_HDR`) and receive offloads
//! (`TUNSETOFFLOAD`: checksum, TSO4, TSO6), so that the kernel may hand the stack one large
//! TCP segment (up to 64 KB) instead of many MTU-sized ones, and may leave the TCP checksum
//! of its packets to be completed (it is computed locally and never crossed a wire).
//!
//! `tcp-netlab` creates plain TUN devices only, so this module opens its own (a minimal
//! workaround kept inside this crate). Configure the device afterwards with
//! `tcp_netlab::Rtnetlink` through [`OffloadTun::index`]. The link MTU is unchanged (1500):
//! the offload only changes how many packets cross the device boundary, as on virtio-net.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `TUNSETIFF` = `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
/// `TUNSETOFFLOAD` = `_IOW('T', 208, unsigned int)`.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
const IFF_TUN: libc::c_short = 0x0001;
const IFF_NO_PI: libc::c_short = 0x1000;
const IFF_VNET_HDR: libc::c_short = 0x4000;
const TUN_F_CSUM: libc::c_uint = 0x01;
const TUN_F_TSO4: libc::c_uint = 0x02;
const TUN_F_TSO6: libc::c_uint = 0x04;
const IFREQ_SIZE: usize = 40;
const IFNAMSIZ: usize = 16;

/// Length of `struct virtio_net_hdr` (without the mergeable-buffers field).
pub const VNET_HDR_LEN: usize = 10;
/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the TCP checksum holds only the pseudo-header sum.
pub const VNET_F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
pub const VNET_GSO_TCPV4: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV6`.
pub const VNET_GSO_TCPV6: u8 = 4;

/// A TUN device opened with `IFF_VNET_HDR` and checksum/TSO offloads enabled.
#[derive(Debug)]
pub struct OffloadTun {
    fd: OwnedFd,
    name: String,
    index: u32,
}

impl OffloadTun {
    /// Creates the device `name` (`%d` is replaced by a free number) in the calling
    /// thread's network namespace. Needs CAP_NET_ADMIN.
    pub fn create(name: &str) -> io::Result<OffloadTun> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("TUN name {name:?} must be 1 to 15 bytes without NUL"),
            ));
        }
        // SAFETY: a valid C string; the fd is owned right away.
        let raw = unsafe { libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut ifr = [0u8; IFREQ_SIZE];
        ifr[..name.len()].copy_from_slice(name.as_bytes());
        let flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
        ifr[IFNAMSIZ..IFNAMSIZ + 2].copy_from_slice(&flags.to_ne_bytes());
        // SAFETY: ifr is sizeof(struct ifreq) bytes, as TUNSETIFF expects.
        if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF as _, ifr.as_mut_ptr()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        // SAFETY: TUNSETOFFLOAD takes the flags by value.
        if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETOFFLOAD as _, offloads) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = ifr[..IFNAMSIZ]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(IFNAMSIZ);
        let actual = String::from_utf8_lossy(&ifr[..len]).into_owned();
        let cname = CString::new(actual.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        // SAFETY: cname is a valid C string.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OffloadTun {
            fd,
            name: actual,
            index,
        })
    }

    /// The device name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface index (for rtnetlink configuration).
    pub fn index(&self) -> u32 {
        self.index
    }
}

impl AsFd for OffloadTun {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
