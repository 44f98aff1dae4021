//! TUN devices (Documentation/networking/tuntap.rst): whole IP packets, no link header.

use crate::Error;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// `TUNSETIFF` = `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const IFF_TUN: libc::c_short = 0x0001;
const IFF_NO_PI: libc::c_short = 0x1000;
/// `sizeof(struct ifreq)` on Linux.
const IFREQ_SIZE: usize = 40;
const IFNAMSIZ: usize = 16;

/// A TUN device (`IFF_TUN | IFF_NO_PI`) created in the calling thread's network namespace.
///
/// Each `read` returns one IP packet sent by the kernel through the device; each `write`
/// injects one IP packet as if it had arrived on it. The device exists while this value (its
/// fd) exists: dropping it closes the fd and the kernel deletes the device.
#[derive(Debug)]
pub struct Tun {
    fd: OwnedFd,
    name: String,
    index: u32,
}

impl Tun {
    /// Create a TUN device named `name` (a `%d` in it is replaced by a free number, e.g.
    /// `tun%d`). The device starts down and unconfigured: see [`crate::Rtnetlink`].
    pub fn create(name: &str) -> Result<Tun, Error> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains('\0') {
            return Err(Error::new(
                format!("create TUN device {name:?}"),
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "name must be 1 to 15 bytes without NUL",
                ),
            ));
        }
        let path = c"/dev/net/tun";
        // SAFETY: path is a valid C string; the returned fd is owned right away.
        let raw = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if raw < 0 {
            let e = Error::last_os("open /dev/net/tun");
            return Err(match e.source.raw_os_error() {
                Some(libc::EACCES) | Some(libc::EPERM) => {
                    e.with_hint("run as root, or make /dev/net/tun accessible to your user")
                }
                Some(libc::ENOENT) => e.with_hint("load the tun module: modprobe tun"),
                _ => e,
            });
        }
        // SAFETY: raw is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut ifr = [0u8; IFREQ_SIZE];
        ifr[..name.len()].copy_from_slice(name.as_bytes());
        ifr[IFNAMSIZ..IFNAMSIZ + 2].copy_from_slice(&(IFF_TUN | IFF_NO_PI).to_ne_bytes());
        // SAFETY: ifr is a buffer of sizeof(struct ifreq) bytes, as TUNSETIFF expects.
        let rc = unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF as _, ifr.as_mut_ptr()) };
        if rc < 0 {
            let e = Error::last_os(format!("create TUN device {name:?} (TUNSETIFF)"));
            return Err(match e.source.raw_os_error() {
                Some(libc::EPERM) => {
                    e.with_hint("needs CAP_NET_ADMIN: run as root or in a user+network namespace")
                }
                _ => e,
            });
        }
        let actual_len = ifr[..IFNAMSIZ]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(IFNAMSIZ);
        let actual = String::from_utf8_lossy(&ifr[..actual_len]).into_owned();
        let cname = CString::new(actual.clone()).map_err(|e| {
            Error::new(
                format!("name of TUN device {actual:?}"),
                io::Error::new(io::ErrorKind::InvalidData, e),
            )
        })?;
        // SAFETY: cname is a valid C string.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            return Err(Error::last_os(format!(
                "look up ifindex of TUN device {actual}"
            )));
        }
        Ok(Tun {
            fd,
            name: actual,
            index,
        })
    }

    /// The device name the kernel chose (e.g. `tun0`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's interface index, for [`crate::Rtnetlink`] calls.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Switch `O_NONBLOCK` on or off; when on, [`Tun::recv`] fails with `WouldBlock` if no
    /// packet is queued.
    pub fn set_nonblocking(&self, on: bool) -> Result<(), Error> {
        // SAFETY: fcntl on an fd we own.
        let flags = unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_GETFL) };
        if flags < 0 {
            return Err(Error::last_os(format!("fcntl(F_GETFL) on {}", self.name)));
        }
        let new = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        // SAFETY: as above.
        if unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_SETFL, new) } < 0 {
            return Err(Error::last_os(format!("fcntl(F_SETFL) on {}", self.name)));
        }
        Ok(())
    }

    /// Inject one IP packet (IPv4 or IPv6, chosen by its version nibble).
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        // SAFETY: packet is a valid buffer of packet.len() bytes.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), packet.as_ptr().cast(), packet.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    /// Read one packet the kernel sent through the device into `buf` (use at least MTU bytes;
    /// a longer packet is truncated).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: buf is a valid writable buffer of buf.len() bytes.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Wait up to `timeout` for a packet to be readable. `Ok(false)` means the time passed.
    pub fn poll_readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        loop {
            // SAFETY: pfd is one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
            if rc >= 0 {
                return Ok(rc > 0 && pfd.revents & libc::POLLIN != 0);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Wait up to `timeout` for a packet and read it; `Ok(None)` if none came in time.
    /// Sub-millisecond remainders of `timeout` are rounded up to a whole millisecond.
    pub fn recv_timeout(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let rounded = timeout + Duration::from_nanos(999_999);
        if !self.poll_readable(rounded)? {
            return Ok(None);
        }
        match self.recv(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl AsFd for Tun {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Tun {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
