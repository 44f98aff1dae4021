//! The Linux kernel target: a kernel socket driven through libc, the replayer owning the TUN
//! device and playing the peer, states read through sock_diag.

use crate::app::App;
use crate::linux_sys::{
    abort_fd, check, errno_name, has_peer, netstat_counter, poll_now, recv, set_int, sock_error,
    sockaddr, take_so_error, tcp_socket, wait_fd,
};
use crate::sockdiag::SockDiag;
use crate::stack::{DefenceCounters, Footprint, Readable, SockError, Sockets, Stack};
use crate::target::{Endpoints, TARGET_V4, TARGET_V6};
use crate::timing::TimerProfile;
use std::io;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;
use tcp_netlab::{Rtnetlink, Tun};
use tcp_vectors::{SocketOptions, TcpState};

/// MTU of the TUN device.
pub const MTU: u32 = 1500;

/// The Linux kernel's TCP with the shared application layer: the replayer's target.
pub type LinuxTarget = App<LinuxStack>;

/// The Linux kernel's TCP in the calling thread's private network namespace.
#[derive(Debug)]
pub struct LinuxStack {
    tun: Tun,
    /// Reads the TUN device's counters ([`Stack::processed`]).
    rt: Rtnetlink,
    diag: SockDiag,
    timers: TimerProfile,
    ends: Option<Endpoints>,
    options: SocketOptions,
    listener: Option<OwnedFd>,
    conn: Option<OwnedFd>,
}

impl LinuxTarget {
    /// Create the TUN device and configure it (192.0.2.1/24, 2001:db8::1/64, up). Call this on
    /// a thread inside a private network namespace (see [`tcp_netlab::enter_private_netns`]).
    pub fn new() -> io::Result<Self> {
        Ok(App::over(LinuxStack::new()?))
    }
}

impl LinuxStack {
    /// The stack of [`LinuxTarget::new`], without the application layer.
    pub fn new() -> io::Result<Self> {
        let tun = Tun::create("tcpc%d")?;
        let mut rt = Rtnetlink::open()?;
        rt.set_mtu(tun.index(), MTU)?;
        rt.add_address(tun.index(), IpAddr::V4(TARGET_V4), 24)?;
        rt.add_address(tun.index(), IpAddr::V6(TARGET_V6), 64)?;
        rt.set_link_up(tun.index())?;
        rt.wait_addresses_ready(tun.index(), Duration::from_secs(5))?;
        Ok(LinuxStack {
            tun,
            rt,
            diag: SockDiag::open()?,
            timers: TimerProfile::linux_from_sysctls(),
            ends: None,
            options: SocketOptions::default(),
            listener: None,
            conn: None,
        })
    }

    fn ends(&self) -> Result<Endpoints, SockError> {
        self.ends
            .ok_or_else(|| SockError::Other("no replay begun".into()))
    }

    /// `send()` on the connection, never blocking and never raising SIGPIPE, with `flags`
    /// added (`MSG_OOB` for urgent data).
    fn send_with(&self, data: &[u8], flags: libc::c_int) -> Result<usize, SockError> {
        let fd = self.conn_fd()?;
        // SAFETY: data is a valid buffer of data.len() bytes.
        let rc = unsafe {
            libc::send(
                fd,
                data.as_ptr().cast(),
                data.len(),
                flags | libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        check(rc as libc::c_int)
            .map(|_| rc as usize)
            .map_err(sock_error)
    }

    fn conn_fd(&self) -> Result<RawFd, SockError> {
        self.conn
            .as_ref()
            .map(|f| f.as_raw_fd())
            .ok_or(SockError::NotConnected)
    }

    /// A socket bound to the target's address, with `TCP_NODELAY`, `SO_OOBINLINE`,
    /// `IP_RECVERR` (or `IPV6_RECVERR`) and the vector's keepalive options (all inherited by
    /// accepted sockets).
    fn bound_socket(&self) -> Result<OwnedFd, SockError> {
        let ends = self.ends()?;
        let named = |what: &str, e: i32| SockError::Other(format!("{what}: {}", errno_name(e)));
        let fd = tcp_socket(ends.target).map_err(|e| named("socket", e))?;
        let raw = fd.as_raw_fd();
        if ends.target.is_ipv6() {
            set_int(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)
                .map_err(|e| named("IPV6_V6ONLY", e))?;
        }
        // The model has no Nagle's algorithm (RFC 1122 section 4.2.3.4, a SHOULD): it sends data
        // as soon as the window allows, which is what an application gets with TCP_NODELAY.
        set_int(raw, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
            .map_err(|e| named("TCP_NODELAY", e))?;
        // Urgent data stays in the stream, as RFC 9293 3.8.5 has it (RFC 6093 section 6:
        // applications should use SO_OOBINLINE); without it Linux takes the last urgent octet
        // out of the stream (BSD's one octet of "out-of-band" data).
        set_int(raw, libc::SOL_SOCKET, libc::SO_OOBINLINE, 1)
            .map_err(|e| named("SO_OOBINLINE", e))?;
        // An ICMP error that does not end the connection reaches the application through
        // SO_ERROR (RFC 9293 3.9.2.2, MUST-47); without IP_RECVERR Linux keeps a soft error
        // to itself (sk_err_soft) until the connection times out.
        let recverr = if ends.target.is_ipv6() {
            (libc::IPPROTO_IPV6, libc::IPV6_RECVERR, "IPV6_RECVERR")
        } else {
            (libc::IPPROTO_IP, libc::IP_RECVERR, "IP_RECVERR")
        };
        set_int(raw, recverr.0, recverr.1, 1).map_err(|e| named(recverr.2, e))?;
        if let Some(k) = self.options.keepalive {
            let secs = |v: u32| libc::c_int::try_from(v).unwrap_or(libc::c_int::MAX);
            for (level, opt, value, what) in [
                (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1, "SO_KEEPALIVE"),
                (
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPIDLE,
                    secs(k.idle_s),
                    "TCP_KEEPIDLE",
                ),
                (
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPINTVL,
                    secs(k.interval_s),
                    "TCP_KEEPINTVL",
                ),
                (
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPCNT,
                    secs(k.count),
                    "TCP_KEEPCNT",
                ),
            ] {
                set_int(raw, level, opt, value).map_err(|e| named(what, e))?;
            }
        }
        let (ss, len) = sockaddr(ends.target);
        // SAFETY: ss holds a valid sockaddr of length len.
        check(unsafe { libc::bind(raw, &ss as *const _ as *const libc::sockaddr, len) })
            .map_err(|e| named("bind", e))?;
        Ok(fd)
    }
}

impl Sockets for LinuxStack {
    fn name(&self) -> &str {
        "linux"
    }

    fn timers(&self) -> &TimerProfile {
        &self.timers
    }

    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()> {
        if let Some(n) = options.receive_buffer {
            return Err(crate::stack::no_receive_buffer(self.name(), n));
        }
        self.end();
        self.ends = Some(ends);
        self.options = options.clone();
        Ok(())
    }

    fn connect(&mut self) -> Result<(), SockError> {
        let fd = self.bound_socket()?;
        let (ss, len) = sockaddr(self.ends()?.peer);
        // SAFETY: ss holds a valid sockaddr of length len.
        match check(unsafe {
            libc::connect(
                fd.as_raw_fd(),
                &ss as *const _ as *const libc::sockaddr,
                len,
            )
        }) {
            Ok(_) | Err(libc::EINPROGRESS) => {
                self.conn = Some(fd);
                Ok(())
            }
            Err(e) => Err(sock_error(e)),
        }
    }

    fn listen(&mut self) -> Result<(), SockError> {
        let fd = self.bound_socket()?;
        // SAFETY: listen on an fd we own.
        check(unsafe { libc::listen(fd.as_raw_fd(), 8) }).map_err(sock_error)?;
        self.listener = Some(fd);
        Ok(())
    }

    fn accept(&mut self) -> Result<(), SockError> {
        let l = self.listener.as_ref().ok_or(SockError::NotConnected)?;
        // SAFETY: accept4 with null address pointers is allowed.
        let rc = check(unsafe {
            libc::accept4(
                l.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        })
        .map_err(sock_error)?;
        // SAFETY: rc is a fresh fd we own.
        self.conn = Some(unsafe { OwnedFd::from_raw_fd(rc) });
        Ok(())
    }

    fn unlisten(&mut self) {
        self.listener = None;
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.send_with(data, 0)
    }

    /// `send(MSG_OOB)`: Linux's urgent pointer then points to the octet after the last one
    /// sent (tcp_transmit_skb writes SND.UP - SEG.SEQ, with SND.UP the end of the data).
    fn send_urgent(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.send_with(data, libc::MSG_OOB)
    }

    /// `poll` reports `POLLPRI` (tcp_poll: the urgent pointer arrived and the application has
    /// not read past the urgent data).
    fn urgent(&mut self) -> Result<bool, SockError> {
        poll_now(self.conn_fd()?, libc::POLLPRI).map_err(sock_error)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        recv(self.conn_fd()?, buf, 0).map_err(sock_error)
    }

    fn shutdown(&mut self) -> Result<(), SockError> {
        // SAFETY: shutdown on an fd we own.
        check(unsafe { libc::shutdown(self.conn_fd()?, libc::SHUT_WR) })
            .map(|_| ())
            .map_err(sock_error)
    }

    fn abort(&mut self) {
        if let Some(fd) = self.conn.take() {
            abort_fd(fd);
        }
    }

    /// `FIONREAD`, and with nothing to read a peeking `recv`: 0 is the end of the stream.
    fn readable(&mut self) -> Result<Readable, SockError> {
        let fd = self.conn_fd()?;
        let mut avail: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int.
        check(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut avail) }).map_err(sock_error)?;
        if avail > 0 {
            return Ok(Readable {
                bytes: avail as usize,
                eof: false,
            });
        }
        match recv(fd, &mut [0u8; 1], libc::MSG_PEEK) {
            Ok(0) => Ok(Readable {
                bytes: 0,
                eof: true,
            }),
            Ok(n) => Ok(Readable {
                bytes: n,
                eof: false,
            }),
            Err(libc::EAGAIN) => Ok(Readable::default()),
            Err(e) => Err(sock_error(e)),
        }
    }

    fn take_error(&mut self) -> Option<SockError> {
        take_so_error(self.conn_fd().ok()?).map(sock_error)
    }

    fn connected(&mut self) -> bool {
        self.conn_fd().is_ok_and(has_peer)
    }

    /// sock_diag's exact lookup of the 4-tuple; when the connection has no socket the kernel's
    /// lookup falls back to the listener, which is not the connection.
    fn state(&mut self) -> io::Result<Option<TcpState>> {
        let Some(ends) = self.ends else {
            return Ok(None);
        };
        let Some(s) = self.diag.lookup(ends.target, ends.peer)? else {
            return Ok(None);
        };
        if s.remote != ends.peer {
            return Ok(None);
        }
        s.state()
            .map(Some)
            .ok_or_else(|| io::Error::other(format!("unknown Linux TCP state {}", s.linux_state)))
    }

    fn wait(&mut self, max: Duration) {
        match (&self.conn, &self.listener) {
            (Some(fd), _) => wait_fd(
                fd.as_raw_fd(),
                libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP | libc::POLLPRI,
                max,
            ),
            (None, Some(l)) => wait_fd(l.as_raw_fd(), libc::POLLIN, max),
            (None, None) => std::thread::sleep(max),
        }
    }

    fn end(&mut self) {
        if let Some(fd) = self.conn.take() {
            abort_fd(fd);
        }
        if let Some(fd) = self.listener.take() {
            abort_fd(fd);
        }
        self.ends = None;
        self.options = SocketOptions::default();
    }
}

impl Stack for LinuxStack {
    /// Linux sends a segment or changes a connection's state only in reply to a packet or a
    /// call, both processed before the write or the call returns (a TUN write runs the
    /// receive path in the writer's context), or when a timer fires. A scheduled delayed ACK
    /// is sent at once by `TCP_QUICKACK`; every other timer is reported by sock_diag with its
    /// expiry.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        let ends = self
            .ends
            .ok_or_else(|| io::Error::other("silent_for before a replay began"))?;
        let Some(s) = self.diag.lookup(ends.target, ends.peer)? else {
            return Ok(Some(Duration::MAX)); // no socket at all: nothing can send
        };
        if s.remote != ends.peer {
            return Ok(Some(Duration::MAX)); // only the listener, which has no timers that send
        }
        match self.conn_fd() {
            // TCP_QUICKACK sends a scheduled delayed ACK now (tcp_sock_set_quickack()).
            Ok(fd) => {
                set_int(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1)
                    .map_err(|e| io::Error::other(format!("TCP_QUICKACK: {}", errno_name(e))))?;
            }
            // An unaccepted connection may owe a delayed ACK that nothing can flush.
            Err(_) if s.timer != 3 && s.linux_state != 12 => return Ok(None),
            Err(_) => {}
        }
        Ok(Some(match s.timer {
            0 => Duration::MAX,
            // Every other timer may send a segment or change the state (TIME-WAIT's ends it).
            _ => s.expires,
        }))
    }

    /// The TUN device's receive counter: packets written to its fd, which only the replayer
    /// writes. The kernel counts a packet after running it through its receive path
    /// (`tun_get_user()` hands it to `netif_receive_skb()` with bottom halves disabled, in the
    /// writer's context, and then adds it to the device's `rx_packets`), and with no RPS
    /// configured in the job's namespace nothing defers that path to another CPU. So the count
    /// equals the packets injected as soon as each write returns; reading it rather than
    /// assuming it keeps the barrier a real check for this target too.
    fn processed(&mut self) -> io::Result<u64> {
        Ok(self.rt.link_stats(self.tun.index())?.rx_packets)
    }

    fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.tun.send(packet).map(|_| ())
    }

    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.tun.recv_timeout(buf, timeout)
    }

    /// The namespace's `TcpExt` counters `TCPChallengeACK` and `SyncookiesSent`.
    fn defence_counters(&mut self) -> DefenceCounters {
        DefenceCounters {
            challenge_acks: netstat_counter("TcpExt", "TCPChallengeACK"),
            syn_cookies_sent: netstat_counter("TcpExt", "SyncookiesSent"),
        }
    }

    fn footprint(&self) -> Option<Footprint> {
        Some(Footprint::KernelSockets)
    }
}

impl Drop for LinuxStack {
    fn drop(&mut self) {
        self.end();
    }
}
