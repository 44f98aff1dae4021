//! The Linux kernel target: a kernel socket driven through libc, the replayer owning the TUN
//! device and playing the peer, states read through sock_diag.

use crate::sockdiag::SockDiag;
use crate::target::{AppCheck, CallOutcome, Endpoints, Target};
use crate::timing::TimerProfile;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};
use tcp_netlab::{Rtnetlink, Tun};
use tcp_vectors::{AppEvent, Call, Role, SocketOptions, TcpState};

/// The target's IPv4 address (on the TUN).
pub const TARGET_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The peer's IPv4 address (played by the replayer, reached through the TUN).
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// The target's IPv6 address.
pub const TARGET_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// The peer's IPv6 address.
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
/// MTU of the TUN device.
pub const MTU: u32 = 1500;

/// The Linux kernel's TCP in the calling thread's private network namespace.
#[derive(Debug)]
pub struct LinuxTarget {
    tun: Tun,
    /// Reads the TUN device's counters ([`Target::processed`]).
    rt: Rtnetlink,
    diag: SockDiag,
    timers: TimerProfile,
    counter: u32,
    ends: Option<Endpoints>,
    role: Role,
    /// `options.keep_listener`: the listening socket stays open after `accept()`.
    keep_listener: bool,
    listener: Option<OwnedFd>,
    conn: Option<OwnedFd>,
    accepted: bool,
    /// An error the application has been told (by a failed call or `SO_ERROR`) and not yet
    /// matched by an `app` step.
    app_error: Option<i32>,
    /// Bytes of a `send` that would block (before the connection is established or
    /// accepted): a blocking application waits in `send()`; the replayer sends them as soon as
    /// it can (RFC 9293 3.10.2: SEND before ESTABLISHED queues the data).
    pending_send: u32,
    /// A `close` made while a `send` was still pending, or on a passive connection that could
    /// not be accepted yet (SYN-RECEIVED): applied as soon as the connection is accepted and
    /// the pending data is sent (RFC 9293 3.10.4: CLOSE in SYN-RECEIVED sends FIN once
    /// possible).
    deferred_close: bool,
}

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
        other => return format!("errno {other}"),
    };
    name.to_string()
}

fn check(rc: libc::c_int) -> Result<libc::c_int, i32> {
    if rc < 0 {
        Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(rc)
    }
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
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

fn set_int(fd: RawFd, level: libc::c_int, opt: libc::c_int, value: libc::c_int) -> Result<(), i32> {
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

fn take_so_error(fd: RawFd) -> Option<i32> {
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

/// Close `fd` with `SO_LINGER` 0: the kernel sends RST and forgets the connection at once.
fn abort_fd(fd: OwnedFd) {
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

fn wait_fd(fd: RawFd, events: libc::c_short, timeout: Duration) {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().clamp(0, 1000) as libc::c_int;
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

impl LinuxTarget {
    /// Create the TUN device and configure it (192.0.2.1/24, 2001:db8::1/64, up). Call this on
    /// a thread inside a private network namespace (see [`tcp_netlab::enter_private_netns`]).
    pub fn new() -> io::Result<Self> {
        let tun = Tun::create("tcpc%d")?;
        let mut rt = Rtnetlink::open()?;
        rt.set_mtu(tun.index(), MTU)?;
        rt.add_address(tun.index(), IpAddr::V4(TARGET_V4), 24)?;
        rt.add_address(tun.index(), IpAddr::V6(TARGET_V6), 64)?;
        rt.set_link_up(tun.index())?;
        rt.wait_addresses_ready(tun.index(), Duration::from_secs(5))?;
        Ok(LinuxTarget {
            tun,
            rt,
            diag: SockDiag::open()?,
            timers: TimerProfile::linux_from_sysctls(),
            counter: 0,
            ends: None,
            role: Role::Active,
            keep_listener: false,
            listener: None,
            conn: None,
            accepted: false,
            app_error: None,
            pending_send: 0,
            deferred_close: false,
        })
    }

    fn conn_fd(&self) -> Option<RawFd> {
        self.conn.as_ref().map(|f| f.as_raw_fd())
    }

    /// Take a queued connection from the listener, if there is one.
    fn try_accept(&mut self) {
        if self.conn.is_some() || self.role != Role::Passive {
            return;
        }
        let Some(l) = &self.listener else { return };
        // SAFETY: accept4 with null address pointers is allowed.
        let rc = unsafe {
            libc::accept4(
                l.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if rc >= 0 {
            // SAFETY: rc is a fresh fd we own.
            self.conn = Some(unsafe { OwnedFd::from_raw_fd(rc) });
            self.accepted = true;
            // RFC 9293's passive OPEN is one TCB that becomes the connection (3.10.7.2): there
            // is no listener left behind it, so a later SYN meets a closed port, as in the
            // model. Closing the listening socket gives Linux the same single-TCB shape,
            // unless the vector asks the application to keep listening (`keep_listener`).
            if !self.keep_listener {
                self.listener = None;
            }
        }
    }

    /// Send bytes on the connection without blocking; `Err(errno)` on failure.
    fn send_now(fd: RawFd, n: u32) -> Result<u32, i32> {
        let data = crate::segment::payload_pattern(n);
        // SAFETY: data is a valid buffer of data.len() bytes.
        let rc = unsafe {
            libc::send(
                fd,
                data.as_ptr().cast(),
                data.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO))
        } else {
            Ok(rc as u32)
        }
    }

    /// Finish blocked calls that can now complete: accept the connection, send pending
    /// bytes, then apply a deferred close.
    fn settle(&mut self) {
        if self.pending_send == 0 && !self.deferred_close {
            return;
        }
        self.try_accept();
        let Some(fd) = self.conn_fd() else { return };
        if self.pending_send > 0 {
            match Self::send_now(fd, self.pending_send) {
                Ok(sent) => self.pending_send -= sent.min(self.pending_send),
                Err(libc::EAGAIN) => return,
                Err(e) => {
                    self.note_error(e);
                    self.pending_send = 0;
                }
            }
        }
        if self.pending_send == 0 && self.deferred_close {
            self.deferred_close = false;
            // SAFETY: shutdown on an fd we own.
            if let Err(e) = check(unsafe { libc::shutdown(fd, libc::SHUT_WR) }) {
                self.note_error(e);
            }
        }
    }

    /// Whether the socket has a peer (getpeername succeeds): the connection is established.
    fn is_connected(&self, fd: RawFd) -> bool {
        // SAFETY: ss/len are valid out-parameters.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: as above.
        unsafe { libc::getpeername(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0 }
    }

    /// Whether the kernel has a connection (of any state) for this replay's addresses.
    fn connection_exists(&mut self) -> bool {
        let Some(ends) = self.ends else { return false };
        matches!(self.diag.lookup(ends.target, ends.peer), Ok(Some(s)) if s.remote == ends.peer)
    }

    fn note_error(&mut self, e: i32) {
        if matches!(
            e,
            libc::ECONNRESET | libc::ECONNREFUSED | libc::ETIMEDOUT | libc::EPIPE
        ) {
            self.app_error = Some(e);
        }
    }

    fn failed(&mut self, what: &str, e: i32) -> CallOutcome {
        self.note_error(e);
        CallOutcome::Failed(format!("{what}: {}", errno_name(e)))
    }

    /// Check once whether the application observes `event`; `Err` says what it sees instead.
    fn app_once(&mut self, event: AppEvent) -> Result<(), String> {
        self.try_accept();
        let Some(fd) = self.conn_fd() else {
            return Err("the application has no connection (accept() would block)".into());
        };
        if let Some(e) = take_so_error(fd) {
            self.note_error(e);
            if self.app_error != Some(e) {
                return Err(format!("socket error {}", errno_name(e)));
            }
        }
        let want_error = match event {
            AppEvent::Reset => Some(libc::ECONNRESET),
            AppEvent::Refused => Some(libc::ECONNREFUSED),
            AppEvent::TimedOut => Some(libc::ETIMEDOUT),
            _ => None,
        };
        if let Some(want) = want_error {
            return match self.app_error {
                Some(e) if e == want => {
                    self.app_error = None;
                    Ok(())
                }
                Some(e) => Err(format!(
                    "error {} instead of {}",
                    errno_name(e),
                    errno_name(want)
                )),
                None => Err("no error".into()),
            };
        }
        match event {
            AppEvent::Connected => {
                if let Some(e) = self.app_error {
                    return Err(format!("error {}", errno_name(e)));
                }
                // SAFETY: ss/len are valid out-parameters.
                let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                let rc = unsafe {
                    libc::getpeername(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len)
                };
                if rc == 0 {
                    Ok(())
                } else {
                    Err("not connected (getpeername: ENOTCONN)".into())
                }
            }
            AppEvent::Data(n) => {
                let mut avail: libc::c_int = 0;
                // SAFETY: FIONREAD writes one c_int.
                check(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut avail) })
                    .map_err(|e| format!("FIONREAD: {}", errno_name(e)))?;
                if avail as u32 == n {
                    // The application reads what it was given, as the model's application
                    // does: a later end of stream is then the next thing `recv` returns.
                    let mut buf = vec![0u8; n as usize];
                    // SAFETY: buf is a valid buffer of buf.len() bytes.
                    let got = unsafe {
                        libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
                    };
                    if got == n as isize {
                        Ok(())
                    } else {
                        Err(format!("{avail} bytes readable, but recv returned {got}"))
                    }
                } else {
                    Err(format!("{avail} bytes readable"))
                }
            }
            AppEvent::EndOfStream => {
                let mut b = [0u8; 1];
                // SAFETY: b is a valid 1-byte buffer.
                let n = unsafe {
                    libc::recv(
                        fd,
                        b.as_mut_ptr().cast(),
                        1,
                        libc::MSG_PEEK | libc::MSG_DONTWAIT,
                    )
                };
                match n {
                    0 => {
                        // The application takes the end of stream, as the model's RECEIVE
                        // returns it: a plain recv() consumes the FIN's buffer, so the receive
                        // queue is empty again, as after `data n`. (A peek would leave it
                        // queued, and Linux 6.17+'s tcp_sequence() then refuses any segment
                        // reaching past the window's right edge: TCP_INVALID_END_SEQUENCE.)
                        // SAFETY: b is a valid 1-byte buffer.
                        let _ =
                            unsafe { libc::recv(fd, b.as_mut_ptr().cast(), 1, libc::MSG_DONTWAIT) };
                        Ok(())
                    }
                    n if n > 0 => Err("unread data before any end of stream".into()),
                    _ => {
                        let e = io::Error::last_os_error()
                            .raw_os_error()
                            .unwrap_or(libc::EIO);
                        if e == libc::EAGAIN {
                            Err("no end of stream (recv would block)".into())
                        } else {
                            self.note_error(e);
                            Err(format!("recv error {}", errno_name(e)))
                        }
                    }
                }
            }
            AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut => Err("unreachable".into()),
        }
    }
}

impl Target for LinuxTarget {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn timers(&self) -> &TimerProfile {
        &self.timers
    }

    fn endpoints(&mut self, ipv6: bool) -> Endpoints {
        self.counter = self.counter.wrapping_add(1);
        crate::target::nth_endpoints(self.counter, ipv6)
    }

    fn open(&mut self, ends: Endpoints, role: Role, options: &SocketOptions) -> io::Result<()> {
        self.close();
        let domain = if ends.target.is_ipv6() {
            libc::AF_INET6
        } else {
            libc::AF_INET
        };
        // SAFETY: plain socket(2); the fd is owned at once.
        let raw = unsafe {
            libc::socket(
                domain,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let os = |what: &str, e: i32| {
            io::Error::new(
                io::Error::from_raw_os_error(e).kind(),
                format!("{what}: {}", errno_name(e)),
            )
        };
        if ends.target.is_ipv6() {
            set_int(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)
                .map_err(|e| os("IPV6_V6ONLY", e))?;
        }
        // The model has no Nagle's algorithm (RFC 1122 section 4.2.3.4, a SHOULD): it sends data
        // as soon as the window allows, which is what an application gets with TCP_NODELAY
        // (inherited by accepted sockets).
        set_int(raw, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1).map_err(|e| os("TCP_NODELAY", e))?;
        if let Some(k) = options.keepalive {
            let secs = |v: u32| libc::c_int::try_from(v).unwrap_or(libc::c_int::MAX);
            set_int(raw, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)
                .map_err(|e| os("SO_KEEPALIVE", e))?;
            set_int(raw, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs(k.idle_s))
                .map_err(|e| os("TCP_KEEPIDLE", e))?;
            set_int(
                raw,
                libc::IPPROTO_TCP,
                libc::TCP_KEEPINTVL,
                secs(k.interval_s),
            )
            .map_err(|e| os("TCP_KEEPINTVL", e))?;
            set_int(raw, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, secs(k.count))
                .map_err(|e| os("TCP_KEEPCNT", e))?;
        }
        let (ss, len) = sockaddr(ends.target);
        // SAFETY: ss holds a valid sockaddr of length len.
        check(unsafe { libc::bind(raw, &ss as *const _ as *const libc::sockaddr, len) })
            .map_err(|e| os("bind", e))?;
        self.ends = Some(ends);
        self.role = role;
        self.keep_listener = options.keep_listener;
        match role {
            Role::Active => self.conn = Some(fd),
            Role::Passive => self.listener = Some(fd),
        }
        Ok(())
    }

    fn call(&mut self, call: Call) -> io::Result<CallOutcome> {
        let ends = self
            .ends
            .ok_or_else(|| io::Error::other("call before open"))?;
        Ok(match call {
            Call::Connect => {
                let Some(fd) = self.conn_fd() else {
                    return Ok(CallOutcome::Failed("connect: no active socket".into()));
                };
                let (ss, len) = sockaddr(ends.peer);
                // SAFETY: ss holds a valid sockaddr of length len.
                match check(unsafe {
                    libc::connect(fd, &ss as *const _ as *const libc::sockaddr, len)
                }) {
                    Ok(_) | Err(libc::EINPROGRESS) => CallOutcome::Done,
                    Err(e) => self.failed("connect", e),
                }
            }
            Call::Listen => {
                let Some(l) = &self.listener else {
                    return Ok(CallOutcome::Failed("listen: no passive socket".into()));
                };
                // SAFETY: listen on an fd we own.
                match check(unsafe { libc::listen(l.as_raw_fd(), 8) }) {
                    Ok(_) => CallOutcome::Done,
                    Err(e) => self.failed("listen", e),
                }
            }
            Call::Accept => {
                self.try_accept();
                CallOutcome::Done
            }
            Call::Send(n) => {
                self.settle();
                self.try_accept();
                let Some(fd) = self.conn_fd() else {
                    if self.role == Role::Passive && self.connection_exists() {
                        self.pending_send += n;
                        return Ok(CallOutcome::Blocked(
                            "send waits until the connection can be accepted".into(),
                        ));
                    }
                    return Ok(CallOutcome::Failed("send: no connection".into()));
                };
                if self.pending_send > 0 {
                    self.pending_send += n;
                    return Ok(CallOutcome::Blocked(
                        "send waits behind earlier data".into(),
                    ));
                }
                match Self::send_now(fd, n) {
                    Ok(sent) => CallOutcome::Sent(sent),
                    Err(libc::EAGAIN) if !self.is_connected(fd) => {
                        self.pending_send = n;
                        CallOutcome::Blocked("send waits for the connection".into())
                    }
                    Err(e) => self.failed("send", e),
                }
            }
            Call::Receive(n) => {
                self.try_accept();
                let Some(fd) = self.conn_fd() else {
                    return Ok(CallOutcome::Failed("recv: no connection".into()));
                };
                let mut buf = vec![0u8; n as usize];
                // SAFETY: buf is a valid buffer of buf.len() bytes.
                let rc = unsafe {
                    libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
                };
                if rc < 0 {
                    let e = io::Error::last_os_error()
                        .raw_os_error()
                        .unwrap_or(libc::EIO);
                    self.failed("recv", e)
                } else {
                    CallOutcome::Received(rc as u32)
                }
            }
            Call::Close => {
                self.settle();
                self.try_accept();
                if self.conn.is_some() && self.pending_send > 0 {
                    self.deferred_close = true;
                    return Ok(CallOutcome::Blocked(
                        "close waits for the pending send".into(),
                    ));
                }
                if self.conn.is_none() && self.role == Role::Passive && self.connection_exists() {
                    self.deferred_close = true;
                    return Ok(CallOutcome::Blocked(
                        "close waits until the connection can be accepted".into(),
                    ));
                }
                if let Some(fd) = self.conn_fd() {
                    // SAFETY: shutdown on an fd we own.
                    match check(unsafe { libc::shutdown(fd, libc::SHUT_WR) }) {
                        Ok(_) => CallOutcome::Done,
                        Err(e) => self.failed("shutdown(SHUT_WR)", e),
                    }
                } else {
                    // CLOSE in LISTEN (or before anything was accepted): close the listener.
                    self.listener = None;
                    CallOutcome::Done
                }
            }
            Call::Abort => {
                self.try_accept();
                if let Some(fd) = self.conn.take() {
                    abort_fd(fd);
                } else if let Some(l) = self.listener.take() {
                    abort_fd(l);
                }
                CallOutcome::Done
            }
        })
    }

    fn check_app(&mut self, event: AppEvent, wait: Duration) -> io::Result<AppCheck> {
        let deadline = Instant::now() + wait;
        loop {
            self.settle();
            match self.app_once(event) {
                Ok(()) => return Ok(AppCheck::Seen),
                Err(saw) => {
                    let now = Instant::now();
                    if now >= deadline || crate::interrupt::interrupted() {
                        return Ok(AppCheck::NotSeen(saw));
                    }
                    let left = (deadline - now).min(Duration::from_millis(2));
                    match (self.conn_fd(), &self.listener) {
                        (Some(fd), _) => {
                            wait_fd(fd, libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP, left)
                        }
                        (None, Some(l)) => wait_fd(l.as_raw_fd(), libc::POLLIN, left),
                        (None, None) => std::thread::sleep(left),
                    }
                }
            }
        }
    }

    fn state(&mut self) -> io::Result<TcpState> {
        self.settle();
        let ends = self
            .ends
            .ok_or_else(|| io::Error::other("state before open"))?;
        let found = self.diag.lookup(ends.target, ends.peer)?;
        let Some(s) = found else {
            return Ok(TcpState::Closed);
        };
        let state = s.state().ok_or_else(|| {
            io::Error::other(format!("unknown Linux TCP state {}", s.linux_state))
        })?;
        if s.remote == ends.peer {
            return Ok(state);
        }
        // The lookup fell back to the listener: the connection has no socket. A passive
        // endpoint whose application accepted nothing yet is its listener (RFC 9293 3.10.7.3:
        // a passively opened connection returns to LISTEN); otherwise the connection is CLOSED.
        if self.role == Role::Passive && !self.accepted && state == TcpState::Listen {
            Ok(TcpState::Listen)
        } else {
            Ok(TcpState::Closed)
        }
    }

    /// Linux sends a segment or changes a connection's state only in reply to a packet or a
    /// call, both processed before the write or the call returns (a TUN write runs the
    /// receive path in the writer's context), or when a timer fires. A scheduled delayed ACK
    /// is sent at once by `TCP_QUICKACK`; every other timer is reported by sock_diag with its
    /// expiry.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        if self.pending_send > 0 || self.deferred_close {
            return Ok(None); // the application itself is about to act
        }
        let ends = self
            .ends
            .ok_or_else(|| io::Error::other("silent_for before open"))?;
        let Some(s) = self.diag.lookup(ends.target, ends.peer)? else {
            return Ok(Some(Duration::MAX)); // no socket at all: nothing can send
        };
        if s.remote != ends.peer {
            return Ok(Some(Duration::MAX)); // only the listener, which has no timers that send
        }
        match self.conn_fd() {
            // TCP_QUICKACK sends a scheduled delayed ACK now (tcp_sock_set_quickack()).
            Some(fd) => {
                set_int(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1)
                    .map_err(|e| io::Error::other(format!("TCP_QUICKACK: {}", errno_name(e))))?;
            }
            // An unaccepted connection may owe a delayed ACK that nothing can flush.
            None if s.timer != 3 && s.linux_state != 12 => return Ok(None),
            None => {}
        }
        Ok(Some(match s.timer {
            0 => Duration::MAX,
            // Every other timer may send a segment or change the state (TIME-WAIT's ends it).
            _ => s.expires,
        }))
    }

    fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.tun.send(packet).map(|_| ())
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

    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.settle();
        let slice = if self.pending_send > 0 || self.deferred_close {
            timeout.min(Duration::from_millis(1))
        } else {
            timeout
        };
        self.tun.recv_timeout(buf, slice)
    }

    fn close(&mut self) {
        if let Some(fd) = self.conn.take() {
            abort_fd(fd);
        }
        if let Some(fd) = self.listener.take() {
            abort_fd(fd);
        }
        self.ends = None;
        self.accepted = false;
        self.keep_listener = false;
        self.app_error = None;
        self.pending_send = 0;
        self.deferred_close = false;
    }
}

impl Drop for LinuxTarget {
    fn drop(&mut self) {
        self.close();
    }
}
