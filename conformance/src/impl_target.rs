//! The `impl` target: this project's userspace stack (`tcp-impl`) on a TUN device it owns, the
//! replayer playing the peer through an `AF_PACKET` socket bound to the same interface
//! ([`crate::wire`]).

use crate::app::App;
use crate::stack::{DefenceCounters, Footprint, Readable, SockError, Sockets};
use crate::target::{Endpoints, TARGET_V4, TARGET_V6};
use crate::timing::TimerProfile;
use crate::wire::{tun_for_stack, EngineTiming, OnTun, TunEngine, MTU};
use std::io;
use std::net::IpAddr;
use std::time::Duration;
use tcp_impl::runtime::NetStack;
use tcp_impl::{Config, KeepaliveConfig, ListenerHandle, Report, SocketHandle, State, TcpError};
use tcp_vectors::{SocketOptions, TcpState};

/// Bound on an immediate reply from the stack: it answers in the same call, so this is only
/// slack for scheduling on a shared, loaded machine (the kernel's half of the path, the TUN
/// device and the packet socket, runs in softirq context, which a busy CPU defers to
/// `ksoftirqd`). The same bound as Linux's.
pub const RESPONSE: Duration = Duration::from_millis(200);

/// Backlog of the listener (`listen(fd, 8)` for Linux).
const BACKLOG: usize = 8;

/// R2 for a SYN in [`replay_config`]: retransmissions before the connection gives up.
pub const REPLAY_SYN_RETRIES: u32 = 24;

/// The stack's configuration for replays: RFC defaults except the timers, shortened so that
/// the suite runs quickly and still ordered as Linux's are (delayed ACK < RTO minimum <
/// initial RTO < TIME-WAIT). The RTO minimum stays above the longest wait of a vector that
/// does not ask for a timer (an optional reply: delayed ACK + [`RESPONSE`], 240 ms), so no
/// retransmission comes where a vector expects silence, even when a loaded machine stretches
/// a replay. R2 for a SYN still meets MUST-23 (RFC 9293 3.8.3, at least three minutes of
/// retransmission): with these RTOs (1 s doubling to 8 s) [`REPLAY_SYN_RETRIES`]
/// retransmissions give up 1 + 2 + 4 + 22 * 8 = 183 s after the first SYN, as the default's 7
/// do with RFC 6298's 60 s maximum.
pub fn replay_config() -> Config {
    Config {
        mtu: MTU as usize,
        initial_rto: Duration::from_secs(1),
        min_rto: Duration::from_millis(500),
        max_rto: Duration::from_secs(8),
        msl: Duration::from_secs(1),
        syn_retries: REPLAY_SYN_RETRIES,
        max_retries: 5,
        ..Config::default()
    }
}

/// The userspace stack with the shared application layer: the replayer's target.
pub type ImplTarget = App<OnTun<ImplStack>>;

/// The userspace stack, started on a fresh TUN device in the calling thread's private network
/// namespace.
pub struct ImplStack {
    net: NetStack,
    timers: TimerProfile,
    ends: Option<Endpoints>,
    keepalive: Option<KeepaliveConfig>,
    listener: Option<ListenerHandle>,
    conn: Option<SocketHandle>,
    /// The connection's error as last reported by [`Stack::take_error`].
    reported: Option<TcpError>,
    /// An urgent-data report (RFC 9293 3.8.5, MUST-32) taken from the stack and not yet
    /// asked for ([`Sockets::urgent`]).
    urgent_told: bool,
    /// An ICMP error report (RFC 9293 3.9.2.2, MUST-47) taken from the stack and not yet
    /// handed to the application ([`Sockets::take_error`]).
    icmp_told: bool,
}

impl std::fmt::Debug for ImplStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImplStack")
            .field("ends", &self.ends)
            .field("listener", &self.listener)
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

/// The socket error of a stack error.
pub fn sock_error(e: TcpError) -> SockError {
    match e {
        TcpError::WouldBlock => SockError::WouldBlock,
        TcpError::Reset => SockError::Reset,
        TcpError::Refused => SockError::Refused,
        TcpError::TimedOut => SockError::TimedOut,
        TcpError::Closing => SockError::Pipe,
        TcpError::NotConnected => SockError::NotConnected,
        TcpError::Aborted => SockError::Other("ECONNABORTED".into()),
        TcpError::InvalidHandle => SockError::Other("EBADF".into()),
        TcpError::AddrInUse => SockError::Other("EADDRINUSE".into()),
        TcpError::AddrNotAvailable => SockError::Other("EADDRNOTAVAIL".into()),
        TcpError::InvalidInput => SockError::Other("EINVAL".into()),
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
        Ok(App::over(ImplStack::on_tun(replay_config())?))
    }
}

impl ImplStack {
    /// The stack of [`ImplTarget::new`] configured by `config`, without the application layer.
    pub fn on_tun(config: Config) -> io::Result<OnTun<ImplStack>> {
        let (tun, wire) = tun_for_stack("tcpi%d")?;
        let timers = TimerProfile::impl_stack(&config, RESPONSE);
        let net = NetStack::new(
            tun,
            config,
            vec![IpAddr::V4(TARGET_V4), IpAddr::V6(TARGET_V6)],
        )?;
        let engine = ImplStack {
            net,
            timers,
            ends: None,
            keepalive: None,
            listener: None,
            conn: None,
            reported: None,
            urgent_told: false,
            icmp_told: false,
        };
        Ok(OnTun { engine, wire })
    }

    fn conn(&self) -> Result<SocketHandle, SockError> {
        self.conn.ok_or(SockError::NotConnected)
    }

    /// Take the connection's asynchronous reports (RFC 9293 3.9.1.8: ICMP errors, urgent
    /// data; excessive retransmissions are not an application event of the vectors) into
    /// `urgent_told` and `icmp_told`.
    fn take_reports(&mut self) {
        let Some(h) = self.conn else { return };
        let reports: Vec<Report> = self
            .net
            .with_stack(|s, _| std::iter::from_fn(|| s.next_report(h).ok().flatten()).collect());
        for r in reports {
            match r {
                Report::Urgent { .. } => self.urgent_told = true,
                Report::Icmp(_) => self.icmp_told = true,
                Report::ExcessiveRetransmissions { .. } => {}
            }
        }
    }

    fn ends(&self) -> Result<Endpoints, SockError> {
        self.ends
            .ok_or_else(|| SockError::Other("no replay begun".into()))
    }
}

impl Sockets for ImplStack {
    fn name(&self) -> &str {
        "impl"
    }

    fn timers(&self) -> &TimerProfile {
        &self.timers
    }

    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()> {
        self.end();
        // The vector's receive buffer, for the connections this replay makes (the stack
        // takes a connection's buffer from its configuration when it makes the connection).
        let recv_buffer = match options.receive_buffer {
            Some(0) => {
                return Err(io::Error::other(
                    "options.receive_buffer: 0 octets (a buffer needs at least one)",
                ))
            }
            Some(n) => n as usize,
            None => replay_config().recv_buffer,
        };
        self.net.with_stack(|s, _| {
            let mut config = s.config().clone();
            config.recv_buffer = recv_buffer;
            s.set_config(config);
        });
        self.ends = Some(ends);
        self.keepalive = options.keepalive.map(|k| KeepaliveConfig {
            idle: Duration::from_secs(u64::from(k.idle_s)),
            interval: Duration::from_secs(u64::from(k.interval_s)),
            count: k.count,
        });
        Ok(())
    }

    fn connect(&mut self) -> Result<(), SockError> {
        let (ends, keepalive) = (self.ends()?, self.keepalive);
        let h = self
            .net
            .with_stack(|s, now| {
                let h = s.connect_from(now, ends.target, ends.peer)?;
                s.set_nodelay(h, true)?;
                if keepalive.is_some() {
                    s.set_keepalive(now, h, keepalive)?;
                }
                Ok(h)
            })
            .map_err(sock_error)?;
        self.conn = Some(h);
        Ok(())
    }

    fn listen(&mut self) -> Result<(), SockError> {
        let ends = self.ends()?;
        let lh = self
            .net
            .with_stack(|s, _| s.listen(ends.target, Some(BACKLOG)))
            .map_err(sock_error)?;
        self.listener = Some(lh);
        Ok(())
    }

    fn accept(&mut self) -> Result<(), SockError> {
        let lh = self.listener.ok_or(SockError::NotConnected)?;
        let keepalive = self.keepalive;
        let h = self
            .net
            .with_stack(|s, now| {
                let h = s.accept(lh)?;
                let _ = s.set_nodelay(h, true);
                if keepalive.is_some() {
                    let _ = s.set_keepalive(now, h, keepalive);
                }
                Ok(h)
            })
            .map_err(sock_error)?;
        self.conn = Some(h);
        Ok(())
    }

    fn unlisten(&mut self) {
        if let Some(lh) = self.listener.take() {
            self.net.with_stack(|s, now| s.unlisten(now, lh));
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        let h = self.conn()?;
        self.net
            .with_stack(|s, now| s.send(now, h, data))
            .map_err(sock_error)
    }

    fn send_urgent(&mut self, data: &[u8]) -> Result<usize, SockError> {
        let h = self.conn()?;
        self.net
            .with_stack(|s, now| s.send_urgent(now, h, data))
            .map_err(sock_error)
    }

    /// The stack's `Report::Urgent` (MUST-32), taken once.
    fn urgent(&mut self) -> Result<bool, SockError> {
        self.conn()?;
        self.take_reports();
        Ok(std::mem::take(&mut self.urgent_told))
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        let h = self.conn()?;
        self.net
            .with_stack(|s, now| s.recv(now, h, buf))
            .map_err(sock_error)
    }

    fn shutdown(&mut self) -> Result<(), SockError> {
        let h = self.conn()?;
        self.net
            .with_stack(|s, now| s.shutdown(now, h))
            .map_err(sock_error)
    }

    fn abort(&mut self) {
        if let Some(h) = self.conn.take() {
            self.net.with_stack(|s, now| {
                let _ = s.abort(h);
                let _ = s.release(now, h);
            });
        }
    }

    /// `ConnectionInfo`: readable bytes and end of stream; a connection error is what a
    /// `recv` would return.
    fn readable(&mut self) -> Result<Readable, SockError> {
        let h = self.conn()?;
        let info = self
            .net
            .with_stack(|s, _| s.info(h))
            .ok_or_else(|| SockError::Other("EBADF (the connection's handle is gone)".into()))?;
        if info.readable == 0 {
            if let Some(e) = info.error {
                return Err(sock_error(e));
            }
        }
        Ok(Readable {
            bytes: info.readable,
            eof: info.eof,
        })
    }

    /// The connection's error (`ConnectionInfo::error`, which stays), reported once; else an
    /// ICMP error the stack reported without ending the connection (`Report::Icmp`), as
    /// `EHOSTUNREACH`.
    fn take_error(&mut self) -> Option<SockError> {
        let h = self.conn.as_ref().copied()?;
        let error = self.net.with_stack(|s, _| s.info(h))?.error;
        if error != self.reported {
            self.reported = error;
            if let Some(e) = error {
                return Some(sock_error(e));
            }
        }
        self.take_reports();
        std::mem::take(&mut self.icmp_told).then_some(SockError::Unreachable)
    }

    fn connected(&mut self) -> bool {
        let Some(h) = self.conn else { return false };
        self.net
            .with_stack(|s, _| s.info(h))
            .is_some_and(|i| i.established)
    }

    /// The state of the connection of this 4-tuple, wherever it is (owned, unaccepted, or
    /// finishing on its own after the application let go of it).
    fn state(&mut self) -> io::Result<Option<TcpState>> {
        let Some(ends) = self.ends else {
            return Ok(None);
        };
        let state = self.net.with_stack(|s, _| {
            s.lookup(ends.target, ends.peer)
                .map(|h| s.state(h))
                .filter(|s| *s != State::Closed)
        });
        Ok(state.map(tcp_state))
    }

    fn end(&mut self) {
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
        self.keepalive = None;
        self.reported = None;
        self.urgent_told = false;
        self.icmp_told = false;
    }
}

impl TunEngine for ImplStack {
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

    /// The stack's transmit counter and earliest timer over all its connections (a delayed
    /// ACK included: a safe bound for this replay's connection), under one lock.
    fn timing(&mut self) -> io::Result<EngineTiming> {
        let (tx_packets, next, now) = self
            .net
            .with_stack(|s, now| (s.stats().tx_packets, s.next_deadline(), now));
        Ok(EngineTiming {
            tx_packets,
            next_timer: next.map(|d| d.since(now)),
        })
    }

    /// `Stats::challenge_acks` and `Stats::syn_cookies_sent`.
    fn defence_counters(&mut self) -> DefenceCounters {
        let stats = self.net.stats();
        DefenceCounters {
            challenge_acks: Some(stats.challenge_acks),
            syn_cookies_sent: Some(stats.syn_cookies_sent),
        }
    }

    /// The stack runs in a thread of this process.
    fn footprint(&self) -> Option<Footprint> {
        Some(Footprint::this_process())
    }
}

impl Drop for ImplStack {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod replay_config_tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use tcp_impl::{Stack, State, Timestamp};

    /// MUST-23 under the replay's short timers: the stack, run in virtual time with no answer
    /// to its SYN, is still SYN-SENT three minutes after connect and gives up at 183 s, having
    /// sent the SYN 1 + REPLAY_SYN_RETRIES times.
    #[test]
    fn the_replay_config_keeps_a_syn_three_minutes() {
        let mut stack = Stack::new(
            replay_config(),
            vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))],
        );
        let start = Timestamp::from_duration(Duration::from_secs(1));
        let peer = SocketAddr::from(([192, 0, 2, 2], 80));
        let h = stack.connect(start, peer).expect("connect");
        let mut syns = 0;
        let mut now = start;
        let mut closed_at = None;
        while now.since(start) < Duration::from_secs(400) {
            while stack.pop_transmit().is_some() {
                syns += 1;
            }
            if stack.state(h) == State::Closed {
                closed_at = Some(now.since(start));
                break;
            }
            if now.since(start) < Duration::from_secs(180) {
                assert_eq!(stack.state(h), State::SynSent, "at {:?}", now.since(start));
            }
            now = stack.next_deadline().expect("a running timer");
            stack.on_timer(now);
        }
        assert_eq!(closed_at, Some(Duration::from_secs(183)));
        assert_eq!(syns, 1 + REPLAY_SYN_RETRIES);
    }
}
