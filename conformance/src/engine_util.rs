//! What the userspace engines running on a TUN fd share: who owns the device, waking an
//! event loop, nonblocking reads, TCP recognition, random seeds.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// What owns an engine's TUN device (the device lives while its fd is open).
pub type TunOwner = Box<dyn AsRawFd + Send>;

/// A fresh nonblocking `eventfd`, to wake an event loop.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain eventfd(2); the fd is owned at once.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::other(format!(
            "eventfd: {}",
            io::Error::last_os_error()
        )));
    }
    // SAFETY: fd is a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Wake the event loop that polls `fd` (an `eventfd`).
pub fn wake(fd: &OwnedFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: an 8-byte write to an eventfd.
    unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), 8) };
}

/// Make reads of `fd` return at once when nothing is queued.
pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on an fd the caller owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::other(format!(
            "fcntl(O_NONBLOCK) on fd {fd}: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// 64 random bits from the kernel.
pub fn random_seed() -> io::Result<u64> {
    let mut b = [0u8; 8];
    // SAFETY: b is a valid buffer of 8 bytes.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != 8 {
        return Err(io::Error::other("getrandom gave fewer than 8 bytes"));
    }
    Ok(u64::from_ne_bytes(b))
}

/// Wait until `tun` has a packet, `wake` was written to, or `ms` passed; then empty `wake`.
pub fn wait_for_work(tun: RawFd, wake: &OwnedFd, ms: libc::c_int) {
    let mut fds = [
        libc::pollfd {
            fd: tun,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: two valid pollfds.
    unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    let mut drain = [0u8; 8];
    // SAFETY: reading a nonblocking eventfd into an 8-byte buffer.
    unsafe { libc::read(wake.as_raw_fd(), drain.as_mut_ptr().cast(), 8) };
}

/// The TCP header's source port, destination port and flags of an IPv4 or IPv6 packet (no
/// IPv6 extension headers); `None` for anything but TCP.
pub fn tcp_ports_flags(p: &[u8]) -> Option<(u16, u16, u8)> {
    let at = match p.first()? >> 4 {
        4 if *p.get(9)? == 6 => usize::from(p[0] & 0x0f) * 4,
        6 if *p.get(6)? == 6 => 40,
        _ => return None,
    };
    let h = p.get(at..at + 14)?;
    Some((
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
        h[13],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_is_recognized_over_both_ip_versions_and_nothing_else() {
        let mut v4 = vec![0u8; 40];
        v4[0] = 0x45;
        v4[9] = 6;
        v4[20..22].copy_from_slice(&40001u16.to_be_bytes());
        v4[22..24].copy_from_slice(&10001u16.to_be_bytes());
        v4[33] = 0x14;
        assert_eq!(tcp_ports_flags(&v4), Some((40001, 10001, 0x14)));
        let mut v6 = vec![0u8; 60];
        v6[0] = 0x60;
        v6[6] = 6;
        v6[53] = 0x02;
        assert_eq!(tcp_ports_flags(&v6), Some((0, 0, 0x02)));
        v4[9] = 17;
        assert_eq!(tcp_ports_flags(&v4), None);
        assert_eq!(tcp_ports_flags(&v6[..50]), None);
    }
}
