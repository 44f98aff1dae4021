//! The libc calls of the Linux target: socket addresses, options, errors, polling.

use crate::stack::SockError;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Name of an errno value, for transcripts and verdicts.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        libc::ECONNRESET => "ECONNRESET",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EPIPE => "EPIPE",
        libc::ENOTCONN => "ENOTCONN",
        libc::EAGAIN => "EAGAIN",
        libc::EINPROGRESS => "EINPROGRESS",
        libc::EALREADY => "EALREADY",
        libc::EISCONN => "EISCONN",
        libc::EINVAL => "EINVAL",
        libc::EBADF => "EBADF",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        other => return format!("errno {other}"),
    };
    name.to_string()
}

/// The socket error of an errno value.
pub fn sock_error(e: i32) -> SockError {
    match e {
        libc::EAGAIN => SockError::WouldBlock,
        libc::ECONNRESET => SockError::Reset,
        libc::ECONNREFUSED => SockError::Refused,
        libc::ETIMEDOUT => SockError::TimedOut,
        libc::EPIPE => SockError::Pipe,
        libc::ENOTCONN => SockError::NotConnected,
        libc::EHOSTUNREACH | libc::ENETUNREACH => SockError::Unreachable,
        other => SockError::Other(errno_name(other)),
    }
}

/// The errno of the last failed call.
pub fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `rc` as a result: `Err(errno)` when negative.
pub fn check(rc: libc::c_int) -> Result<libc::c_int, i32> {
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(rc)
    }
}

/// A `sockaddr_in` or `sockaddr_in6` for `addr`, with its length.
pub fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin =
                unsafe { &mut *(&mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr_in6)
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// `setsockopt` of one `int`.
pub fn set_int(
    fd: RawFd,
    level: libc::c_int,
    opt: libc::c_int,
    value: libc::c_int,
) -> Result<(), i32> {
    // SAFETY: value is a c_int of the size passed.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

/// `SO_ERROR`, which takes the pending error.
pub fn take_so_error(fd: RawFd) -> Option<i32> {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: err and len are valid out-parameters of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut err as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    };
    (rc == 0 && err != 0).then_some(err)
}

/// A new nonblocking TCP socket of `addr`'s family.
pub fn tcp_socket(addr: SocketAddr) -> Result<OwnedFd, i32> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: plain socket(2); the fd is owned at once.
    let raw = check(unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: raw is a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Close `fd` with `SO_LINGER` 0: the kernel sends RST and forgets the connection at once.
pub fn abort_fd(fd: OwnedFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: linger is a valid struct linger of the size passed.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(fd);
}

/// Wait up to `timeout` (at most a second) for `events` on `fd`.
pub fn wait_fd(fd: RawFd, events: libc::c_short, timeout: Duration) {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().clamp(0, 1000) as libc::c_int;
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

/// Whether `poll` reports `events` on `fd` now.
pub fn poll_now(fd: RawFd, events: libc::c_short) -> Result<bool, i32> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    check(unsafe { libc::poll(&mut pfd, 1, 0) })?;
    Ok(pfd.revents & events != 0)
}

/// Whether the socket has a peer (`getpeername` succeeds).
pub fn has_peer(fd: RawFd) -> bool {
    // SAFETY: ss/len are valid out-parameters.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: as above.
    unsafe { libc::getpeername(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0 }
}

/// `recv` without blocking, with `flags` added; `Err(errno)` on failure.
pub fn recv(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> Result<usize, i32> {
    // SAFETY: buf is a valid buffer of buf.len() bytes.
    let rc = unsafe {
        libc::recv(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags | libc::MSG_DONTWAIT,
        )
    };
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(rc as usize)
    }
}

/// A counter of the calling thread's namespace's TCP statistics (`/proc/thread-self/net/netstat`
/// or `snmp`), e.g. `TcpExt` / `TCPChallengeACK`; `None` when the kernel has no such counter.
pub fn netstat_counter(section: &str, name: &str) -> Option<u64> {
    let prefix = format!("{section}:");
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
            if !head.starts_with(&prefix) || !values.starts_with(&prefix) {
                continue;
            }
            let names = head.split_whitespace().skip(1);
            let mut nums = values.split_whitespace().skip(1);
            for n in names {
                let v = nums.next();
                if n == name {
                    return v.and_then(|v| v.parse().ok());
                }
            }
        }
    }
    None
}
