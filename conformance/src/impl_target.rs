//! The `impl` target: this project's userspace stack (`tcp-impl`) on a TUN device it owns, the
//! replayer playing the peer through an `AF_PACKET` socket bound to the same interface.
//!
//! How packets cross (packet(7), drivers/net/tun.c): a packet sent on a `SOCK_DGRAM`
//! `AF_PACKET` socket bound to the TUN interface is handed to the device's transmit routine
//! (`dev_queue_xmit` -> `tun_net_xmit`), which queues it for the TUN fd: the stack's event loop
//! reads it as if the network had delivered it. A packet the stack writes to the TUN fd enters
//! the kernel as received on the interface (`netif_rx`), and every `ETH_P_ALL` packet socket on
//! that interface gets a copy (`PACKET_HOST`, [`Direction::Incoming`]) before the IP layer
//! looks at it. The interface has no IP address and forwarding is off in the job's fresh
//! namespace, so the kernel's IP layer drops those packets without answering: the stack and the
//! replayer are the only TCPs on the wire. Whatever the kernel itself sends out of the device
//! (IPv6 router solicitations, MLD reports) is [`Direction::Outgoing`], reaches the stack (which
//! drops it as not TCP) and is skipped by [`ImplTarget::capture`].

use crate::linux::{TARGET_V4, TARGET_V6};
use crate::target::{AppCheck, CallOutcome, Endpoints, Target};
use crate::timing::TimerProfile;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use tcp_impl::runtime::NetStack;
use tcp_impl::{Config, KeepaliveConfig, ListenerHandle, SocketHandle, State, TcpError};
use tcp_netlab::{Direction, PacketSocket, Rtnetlink, Tun};
use tcp_vectors::{AppEvent, Call, Role, SocketOptions, TcpState};

/// MTU of the TUN device.
pub const MTU: u32 = 1500;

/// Bound on an immediate reply from the stack: it answers in the same call, so this is only
/// slack for scheduling on a shared, loaded machine (the kernel's half of the path, the TUN
/// device and the packet socket, runs in softirq context, which a busy CPU defers to
/// `ksoftirqd`). The same bound as Linux's.
pub const RESPONSE: Duration = Duration::from_millis(200);

/// Backlog of the listener (`listen(fd, 8)` for Linux).
const BACKLOG: usize = 8;

/// The stack's configuration for replays: RFC defaults except the timers, shortened so that
/// the suite runs quickly and still ordered as Linux's are (delayed ACK < RTO minimum <
/// initial RTO < TIME-WAIT). The RTO minimum stays above the longest wait of a vector that
/// does not ask for a timer (an optional reply: delayed ACK + [`RESPONSE`], 240 ms), so no
/// retransmission comes where a vector expects silence, even when a loaded machine stretches
/// a replay.
pub fn replay_config() -> Config {
    Config {
        mtu: MTU as usize,
        initial_rto: Duration::from_secs(1),
        min_rto: Duration::from_millis(500),
        max_rto: Duration::from_secs(8),
        msl: Duration::from_secs(1),
        syn_retries: 3,
        max_retries: 5,
        ..Config::default()
    }
}

/// The userspace stack, started on a fresh TUN device in the calling thread's private network
/// namespace.
pub struct ImplTarget {
    net: NetStack,
    wire: PacketSocket,
    timers: TimerProfile,
    counter: u32,
    ends: Option<Endpoints>,
    role: Role,
    keepalive: Option<KeepaliveConfig>,
    /// `options.keep_listener`: the listener stays after `accept()`.
    keep_listener: bool,
    listener: Option<ListenerHandle>,
    conn: Option<SocketHandle>,
    accepted: bool,
    /// An error a failed call told the application and no `app` step matched yet.
    app_error: Option<TcpError>,
    /// Bytes of a `send` a blocking application would still be waiting in (before the
    /// connection can be accepted): sent as soon as it can (RFC 9293 3.10.2 queues them).
    pending_send: u32,
    /// A `close` waiting for the pending send or for the connection to be accepted
    /// (RFC 9293 3.10.4: CLOSE in SYN-RECEIVED sends FIN once possible).
    deferred_close: bool,
    /// Packets the stack wrote that [`Target::capture`] has read since the target was made.
    captured: u64,
}

impl std::fmt::Debug for ImplTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImplTarget")
            .field("ends", &self.ends)
            .field("role", &self.role)
            .field("listener", &self.listener)
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

/// The errno a socket would report for a stack error, for transcripts and verdicts.
pub fn error_name(e: TcpError) -> &'static str {
    match e {
        TcpError::WouldBlock => "EAGAIN",
        TcpError::Reset => "ECONNRESET",
        TcpError::Refused => "ECONNREFUSED",
        TcpError::TimedOut => "ETIMEDOUT",
        TcpError::Aborted => "ECONNABORTED",
        TcpError::NotConnected => "ENOTCONN",
        TcpError::Closing => "EPIPE",
        TcpError::InvalidHandle => "EBADF",
        TcpError::AddrInUse => "EADDRINUSE",
        TcpError::AddrNotAvailable => "EADDRNOTAVAIL",
        TcpError::InvalidInput => "EINVAL",
    }
}

/// The vector schema's name for a stack state (both are RFC 9293 3.3.2's eleven states).
pub fn tcp_state(s: State) -> TcpState {
    match s {
        State::Closed => TcpState::Closed,
        State::Listen => TcpState::Listen,
        State::SynSent => TcpState::SynSent,
        State::SynReceived => TcpState::SynReceived,
        State::Established => TcpState::Established,
        State::FinWait1 => TcpState::FinWait1,
        State::FinWait2 => TcpState::FinWait2,
        State::CloseWait => TcpState::CloseWait,
        State::Closing => TcpState::Closing,
        State::LastAck => TcpState::LastAck,
        State::TimeWait => TcpState::TimeWait,
    }
}

impl ImplTarget {
    /// Create the TUN device (no address, MTU 1500, up), start the stack on it answering for
    /// 192.0.2.1 and 2001:db8::1, and bind the packet socket the replayer uses. Call this on a
    /// thread inside a private network namespace (see [`tcp_netlab::enter_private_netns`]).
    pub fn new() -> io::Result<Self> {
        let tun = Tun::create("tcpi%d")?;
        let index = tun.index();
        let mut rt = Rtnetlink::open()?;
        rt.set_mtu(index, MTU)?;
        rt.set_link_up(index)?;
        let wire = PacketSocket::bind(index)?;
        let config = replay_config();
        let timers = TimerProfile::impl_stack(&config, RESPONSE);
        let net = NetStack::new(
            tun,
            config,
            vec![IpAddr::V4(TARGET_V4), IpAddr::V6(TARGET_V6)],
        )?;
        Ok(ImplTarget {
            net,
            wire,
            timers,
            counter: 0,
            ends: None,
            role: Role::Active,
            keepalive: None,
            keep_listener: false,
            listener: None,
            conn: None,
            accepted: false,
            app_error: None,
            pending_send: 0,
            deferred_close: false,
            captured: 0,
        })
    }

    /// The connection of this replay's addresses the stack has, accepted or not.
    fn lookup(&self) -> Option<SocketHandle> {
        let ends = self.ends?;
        self.net.with_stack(|s, _| s.lookup(ends.target, ends.peer))
    }

    /// Take an established connection from the listener, if there is one, and close the
    /// listener: RFC 9293's passive OPEN makes one TCB, which the arriving SYN turns into the
    /// connection (3.10.7.2), so once the application has its connection the endpoint no
    /// longer listens (later SYNs to the port meet a closed port, 3.10.7.1). With
    /// `keep_listener` the listener stays, as an application's listening socket does.
    fn try_accept(&mut self) {
        if self.conn.is_some() || self.role != Role::Passive {
            return;
        }
        let Some(lh) = self.listener else { return };
        let (keepalive, keep_listener) = (self.keepalive, self.keep_listener);
        let got = self.net.with_stack(|s, now| {
            let h = s.accept(lh).ok()?;
            let _ = s.set_nodelay(h, true);
            if keepalive.is_some() {
                let _ = s.set_keepalive(now, h, keepalive);
            }
            if !keep_listener {
                s.unlisten(now, lh);
            }
            Some(h)
        });
        if let Some(h) = got {
            self.conn = Some(h);
            if !keep_listener {
                self.listener = None;
            }
            self.accepted = true;
        }
    }

    fn note_error(&mut self, e: TcpError) {
        if matches!(
            e,
            TcpError::Reset | TcpError::Refused | TcpError::TimedOut | TcpError::Closing
        ) {
            self.app_error = Some(e);
        }
    }

    fn failed(&mut self, what: &str, e: TcpError) -> CallOutcome {
        self.note_error(e);
        CallOutcome::Failed(format!("{what}: {}", error_name(e)))
    }

    /// Finish blocked calls that can now complete: accept, send the pending bytes, then the
    /// deferred close.
    fn settle(&mut self) {
        if self.pending_send == 0 && !self.deferred_close {
            return;
        }
        self.try_accept();
        let Some(h) = self.conn else { return };
        if self.pending_send > 0 {
            let data = crate::segment::payload_pattern(self.pending_send);
            match self.net.with_stack(|s, now| s.send(now, h, &data)) {
                Ok(sent) => self.pending_send -= (sent as u32).min(self.pending_send),
                Err(TcpError::WouldBlock) => return,
                Err(e) => {
                    self.note_error(e);
                    self.pending_send = 0;
                }
            }
        }
        if self.pending_send == 0 && self.deferred_close {
            self.deferred_close = false;
            if let Err(e) = self.net.with_stack(|s, now| s.shutdown(now, h)) {
                self.note_error(e);
            }
        }
    }

    fn send(&mut self, n: u32) -> CallOutcome {
        self.settle();
        self.try_accept();
        let Some(h) = self.conn else {
            if self.role == Role::Passive && self.lookup().is_some() {
                self.pending_send += n;
                return CallOutcome::Blocked(
                    "send waits until the connection can be accepted".into(),
                );
            }
            return CallOutcome::Failed("send: no connection".into());
        };
        if self.pending_send > 0 {
            self.pending_send += n;
            return CallOutcome::Blocked("send waits behind earlier data".into());
        }
        let data = crate::segment::payload_pattern(n);
        match self.net.with_stack(|s, now| s.send(now, h, &data)) {
            Ok(sent) if sent as u32 == n => CallOutcome::Sent(n),
            Ok(sent) => {
                self.pending_send = n - sent as u32;
                CallOutcome::Blocked(format!("send took {sent} bytes and waits for buffer space"))
            }
            Err(TcpError::WouldBlock) => {
                self.pending_send = n;
                CallOutcome::Blocked("send waits for buffer space".into())
            }
            Err(e) => self.failed("send", e),
        }
    }

    fn close_call(&mut self) -> CallOutcome {
        self.settle();
        self.try_accept();
        if self.conn.is_some() && self.pending_send > 0 {
            self.deferred_close = true;
            return CallOutcome::Blocked("close waits for the pending send".into());
        }
        if self.conn.is_none() && self.role == Role::Passive && self.lookup().is_some() {
            self.deferred_close = true;
            return CallOutcome::Blocked("close waits until the connection can be accepted".into());
        }
        if let Some(h) = self.conn {
            match self.net.with_stack(|s, now| s.shutdown(now, h)) {
                Ok(()) => CallOutcome::Done,
                Err(e) => self.failed("shutdown(SHUT_WR)", e),
            }
        } else {
            // CLOSE in LISTEN (or before anything was accepted): close the listener.
            if let Some(lh) = self.listener.take() {
                self.net.with_stack(|s, now| s.unlisten(now, lh));
            }
            CallOutcome::Done
        }
    }

    /// Check once whether the application observes `event`; `Err` says what it sees instead.
    fn app_once(&mut self, event: AppEvent) -> Result<(), String> {
        self.try_accept();
        let Some(h) = self.conn else {
            return Err("the application has no connection (accept() would block)".into());
        };
        let Some(info) = self.net.with_stack(|s, _| s.info(h)) else {
            return Err("the connection's handle is gone".into());
        };
        let error = self.app_error.or(info.error);
        let want_error = match event {
            AppEvent::Reset => Some(TcpError::Reset),
            AppEvent::Refused => Some(TcpError::Refused),
            AppEvent::TimedOut => Some(TcpError::TimedOut),
            _ => None,
        };
        if let Some(want) = want_error {
            return match error {
                Some(e) if e == want => Ok(()),
                Some(e) => Err(format!(
                    "error {} instead of {}",
                    error_name(e),
                    error_name(want)
                )),
                None => Err("no error".into()),
            };
        }
        match event {
            AppEvent::Connected => match error {
                Some(e) => Err(format!("error {}", error_name(e))),
                None if info.established => Ok(()),
                None => Err(format!("not connected (state {})", info.state)),
            },
            AppEvent::Data(n) => {
                if info.readable != n as usize {
                    return Err(format!("{} bytes readable", info.readable));
                }
                // The application reads what it was given, as the model's application does: a
                // later end of stream is then the next thing RECEIVE returns.
                let mut buf = vec![0u8; n as usize];
                match self.net.with_stack(|s, now| s.recv(now, h, &mut buf)) {
                    Ok(got) if got == n as usize => Ok(()),
                    Ok(got) => Err(format!("{n} bytes readable, but recv returned {got}")),
                    Err(e) => Err(format!(
                        "{n} bytes readable, but recv failed: {}",
                        error_name(e)
                    )),
                }
            }
            AppEvent::EndOfStream => {
                if info.readable > 0 {
                    Err("unread data before any end of stream".into())
                } else if let Some(e) = error {
                    Err(format!("recv error {}", error_name(e)))
                } else if info.eof {
                    Ok(())
                } else {
                    Err("no end of stream (recv would block)".into())
                }
            }
            AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut => Err("unreachable".into()),
        }
    }
}

impl Target for ImplTarget {
    fn name(&self) -> &'static str {
        "impl"
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
        self.ends = Some(ends);
        self.role = role;
        self.keep_listener = options.keep_listener;
        self.keepalive = options.keepalive.map(|k| KeepaliveConfig {
            idle: Duration::from_secs(u64::from(k.idle_s)),
            interval: Duration::from_secs(u64::from(k.interval_s)),
            count: k.count,
        });
        Ok(())
    }

    fn call(&mut self, call: Call) -> io::Result<CallOutcome> {
        let ends = self
            .ends
            .ok_or_else(|| io::Error::other("call before open"))?;
        Ok(match call {
            Call::Connect => {
                // Active OPEN on an endpoint that is not listening and has no connection
                // (RFC 9293 3.10.1), whichever role the vector's first call suggests.
                if self.conn.is_some() || self.listener.is_some() {
                    return Ok(CallOutcome::Failed("connect: EISCONN".into()));
                }
                self.role = Role::Active;
                let keepalive = self.keepalive;
                let r = self.net.with_stack(|s, now| {
                    let h = s.connect_from(now, ends.target, ends.peer)?;
                    s.set_nodelay(h, true)?;
                    if keepalive.is_some() {
                        s.set_keepalive(now, h, keepalive)?;
                    }
                    Ok(h)
                });
                match r {
                    Ok(h) => {
                        self.conn = Some(h);
                        CallOutcome::Done
                    }
                    Err(e) => self.failed("connect", e),
                }
            }
            Call::Listen => {
                if self.conn.is_some() || self.listener.is_some() {
                    return Ok(CallOutcome::Failed("listen: EINVAL".into()));
                }
                self.role = Role::Passive;
                match self
                    .net
                    .with_stack(|s, _| s.listen(ends.target, Some(BACKLOG)))
                {
                    Ok(lh) => {
                        self.listener = Some(lh);
                        CallOutcome::Done
                    }
                    Err(e) => self.failed("listen", e),
                }
            }
            Call::Accept => {
                self.try_accept();
                CallOutcome::Done
            }
            Call::Send(n) => self.send(n),
            Call::Receive(n) => {
                self.try_accept();
                let Some(h) = self.conn else {
                    return Ok(CallOutcome::Failed("recv: no connection".into()));
                };
                let mut buf = vec![0u8; n as usize];
                match self.net.with_stack(|s, now| s.recv(now, h, &mut buf)) {
                    Ok(k) => CallOutcome::Received(k as u32),
                    Err(e) => self.failed("recv", e),
                }
            }
            Call::Close => self.close_call(),
            Call::Abort => {
                self.try_accept();
                if let Some(h) = self.conn.take() {
                    self.net.with_stack(|s, now| {
                        let _ = s.abort(h);
                        let _ = s.release(now, h);
                    });
                } else if let Some(lh) = self.listener.take() {
                    self.net.with_stack(|s, now| s.unlisten(now, lh));
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
                Ok(()) => {
                    if matches!(
                        event,
                        AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut
                    ) {
                        self.app_error = None;
                    }
                    return Ok(AppCheck::Seen);
                }
                Err(saw) => {
                    let now = Instant::now();
                    if now >= deadline || crate::interrupt::interrupted() {
                        return Ok(AppCheck::NotSeen(saw));
                    }
                    std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
                }
            }
        }
    }

    fn state(&mut self) -> io::Result<TcpState> {
        self.settle();
        if self.ends.is_none() {
            return Err(io::Error::other("state before open"));
        }
        // The connection of this 4-tuple, wherever it is (owned, unaccepted, or finishing on
        // its own after the application let go of it).
        let found = self
            .lookup()
            .map(|h| self.net.with_stack(|s, _| s.state(h)));
        if let Some(s) = found.filter(|s| *s != State::Closed) {
            return Ok(tcp_state(s));
        }
        // No connection: a passive endpoint whose application accepted nothing yet is its
        // listener (RFC 9293 3.10.7.4: a passively opened connection returns to LISTEN).
        if self.role == Role::Passive && !self.accepted && self.listener.is_some() {
            Ok(TcpState::Listen)
        } else {
            Ok(TcpState::Closed)
        }
    }

    /// Nothing can happen before the stack's earliest timer once every packet injected has
    /// been processed by the stack (the replayer asks only then: the processing barrier,
    /// [`Target::processed`]) and every packet the stack wrote has been read by the replayer:
    /// the stack's own transmit counter against this target's count, so the answer never
    /// depends on how fast the event loop or the kernel's softirq ran. While a packet is in
    /// flight, or a blocked call is about to act, the answer is `None`. The earliest timer is
    /// the stack's over all its connections (a delayed ACK included), a safe bound for this
    /// replay's connection.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        if self.pending_send > 0 || self.deferred_close {
            return Ok(None);
        }
        let (stats, next, now) = self
            .net
            .with_stack(|s, now| (s.stats(), s.next_deadline(), now));
        if stats.tx_packets > self.captured {
            return Ok(None);
        }
        Ok(Some(next.map_or(Duration::MAX, |d| d.since(now))))
    }

    fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.wire.send(packet).map(|_| ())
    }

    /// The stack's TCP packets received: every IP packet it read from the TUN device
    /// (`Stats::rx_packets`, counted under the stack's lock together with the processing, so
    /// a counted packet has had all its effects) except the kernel's own noise on the device
    /// (IPv6 router solicitations and MLD reports, not TCP, or with headers the stack does not
    /// parse). The replayer injects only well-formed TCP, so once this reaches the number it
    /// injected, the stack has processed all of it.
    fn processed(&mut self) -> io::Result<u64> {
        let stats = self.net.stats();
        Ok(stats
            .rx_packets
            .saturating_sub(stats.rx_not_tcp)
            .saturating_sub(stats.rx_malformed))
    }

    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.settle();
        let slice = if self.pending_send > 0 || self.deferred_close {
            timeout.min(Duration::from_millis(1))
        } else {
            timeout
        };
        let deadline = Instant::now() + slice;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.wire.recv_timeout(buf, left)? {
                Some((n, Direction::Incoming)) => {
                    self.captured += 1;
                    return Ok(Some(n));
                }
                // Sent out of the interface by the kernel itself (towards the stack).
                Some((_, Direction::Outgoing)) if !left.is_zero() => continue,
                _ => return Ok(None),
            }
        }
    }

    fn close(&mut self) {
        let conn = self.conn.take();
        let listener = self.listener.take();
        self.net.with_stack(|s, now| {
            if let Some(h) = conn {
                let _ = s.abort(h);
                let _ = s.release(now, h);
            }
            if let Some(lh) = listener {
                s.unlisten(now, lh);
            }
        });
        self.ends = None;
        self.accepted = false;
        self.keep_listener = false;
        self.keepalive = None;
        self.app_error = None;
        self.pending_send = 0;
        self.deferred_close = false;
    }
}

impl Drop for ImplTarget {
    fn drop(&mut self) {
        self.close();
    }
}
