//! The `smoltcp` target: smoltcp 0.14 on a TUN device it owns, driven by its own event-loop
//! thread on the wall clock (its own timers: RTO 1 s to 60 s, delayed ACK 10 ms, TIME-WAIT
//! 10 s), the replayer on an `AF_PACKET` socket ([`crate::wire`]).
//!
//! smoltcp's socket API (`smoltcp::socket::tcp::Socket`) is one TCB per socket: a listening
//! socket becomes the connection when a SYN arrives, as RFC 9293's passive OPEN does, and
//! returns to LISTEN on a RST in SYN-RECEIVED. So `accept` takes the listening socket once it
//! is synchronized and opens a fresh listening socket on the port in its place (closed again
//! by the application layer unless the vector keeps its listener). Its states are RFC 9293's
//! eleven (`tcp::State`). It reports no errors to the application: a reset, a refusal or a
//! time-out is read off the connection's state changes here ([`Core::observe`]): a change to
//! CLOSED while processing a RST from the peer is a reset (refused in SYN-SENT and in the
//! SYN-RECEIVED of a simultaneous open); one on a
//! timer from any state but TIME-WAIT and LAST-ACK is smoltcp's `timeout` expiring.
//!
//! Options as an application sets them: no Nagle (`set_nagle_enabled(false)`), keepalive
//! `set_keep_alive(idle)` with `set_timeout(idle + count * interval)`, smoltcp's only way to
//! give up on an unanswering peer (it has a single keepalive interval).

use crate::app::App;
use crate::engine_util::{
    eventfd, random_seed, set_nonblocking, tcp_ports_flags, wait_for_work, wake, TunOwner,
};
use crate::stack::{Footprint, Readable, SockError, Sockets};
use crate::target::{Endpoints, TARGET_V4, TARGET_V6};
use crate::timing::TimerProfile;
use crate::wire::{tun_for_stack, EngineTiming, OnTun, TunEngine, MTU};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::tcp::{self, RecvError};
use smoltcp::time::{Duration as SmolDuration, Instant as SmolInstant};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tcp_vectors::{SocketOptions, TcpState};

/// The smoltcp version this target links (reports and deviations name it).
pub const SMOLTCP_VERSION: &str = "0.14.0";

/// Size of each socket's receive and send buffers: the window stays below 65536, so no window
/// scaling is needed (smoltcp derives its shift from the receive buffer's size).
const BUFFER: usize = 65535;

/// smoltcp's timers (src/socket/tcp.rs): `RTTE_INITIAL_RTO` and `RTTE_MIN_RTO` 1 s,
/// `RTTE_MAX_RTO` 60 s, `ACK_DELAY_DEFAULT` 10 ms, `CLOSE_DELAY` (TIME-WAIT) 10 s.
pub fn timer_profile() -> TimerProfile {
    TimerProfile {
        response: Duration::from_millis(200),
        settle: Duration::from_millis(2),
        delayed_ack_max: Duration::from_millis(10),
        rto_initial: Duration::from_secs(1),
        rto_min: Duration::from_secs(1),
        rto_max: Duration::from_secs(60),
        time_wait: Duration::from_secs(10),
        granularity: Duration::from_millis(10),
        tick: Duration::ZERO,
    }
}

/// The vector schema's name for a smoltcp state (both are RFC 9293 3.3.2's eleven states).
pub fn tcp_state(s: tcp::State) -> TcpState {
    match s {
        tcp::State::Closed => TcpState::Closed,
        tcp::State::Listen => TcpState::Listen,
        tcp::State::SynSent => TcpState::SynSent,
        tcp::State::SynReceived => TcpState::SynReceived,
        tcp::State::Established => TcpState::Established,
        tcp::State::FinWait1 => TcpState::FinWait1,
        tcp::State::FinWait2 => TcpState::FinWait2,
        tcp::State::CloseWait => TcpState::CloseWait,
        tcp::State::Closing => TcpState::Closing,
        tcp::State::LastAck => TcpState::LastAck,
        tcp::State::TimeWait => TcpState::TimeWait,
    }
}

/// smoltcp with the shared application layer: the replayer's target.
pub type SmoltcpTarget = App<OnTun<SmoltcpEngine>>;

impl SmoltcpTarget {
    /// Create a TUN device in the calling thread's namespace and start smoltcp on it.
    pub fn new() -> io::Result<Self> {
        Ok(App::over(SmoltcpEngine::on_tun()?))
    }
}

impl SmoltcpEngine {
    /// The stack of [`SmoltcpTarget::new`], without the application layer.
    pub fn on_tun() -> io::Result<OnTun<SmoltcpEngine>> {
        let (tun, wire) = tun_for_stack("tcps%d")?;
        let engine = SmoltcpEngine::start(Box::new(tun))?;
        Ok(OnTun { engine, wire })
    }
}

/// The smoltcp device: one IP packet per `read`/`write` on the TUN fd.
struct TunDevice {
    fd: RawFd,
    buf: Vec<u8>,
    /// TCP packets and ICMP errors (the replayer's `icmp` steps) handed to smoltcp during the
    /// current poll.
    tcp_in: u64,
    /// Whether one of them was a RST of the replay's connection.
    rst_in: Option<(u16, u16)>,
    rst_seen: bool,
    tx: u64,
}

struct Rx(Vec<u8>);

struct Tx<'a> {
    fd: RawFd,
    tx: &'a mut u64,
}

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        // SAFETY: writing a valid buffer to the TUN fd.
        if unsafe { libc::write(self.fd, buf.as_ptr().cast(), buf.len()) } == len as isize {
            *self.tx += 1;
        }
        r
    }
}

impl phy::Device for TunDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _t: SmolInstant) -> Option<(Rx, Tx<'_>)> {
        // SAFETY: reading into our buffer from the non-blocking TUN fd.
        let n = unsafe { libc::read(self.fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
        if n <= 0 {
            return None;
        }
        let pkt = self.buf[..n as usize].to_vec();
        if let Some((src, dst, flags)) = tcp_ports_flags(&pkt) {
            self.tcp_in += 1;
            if flags & 0x04 != 0 && self.rst_in == Some((src, dst)) {
                self.rst_seen = true;
            }
        } else if crate::icmp::is_error(&pkt) {
            self.tcp_in += 1;
        }
        Some((
            Rx(pkt),
            Tx {
                fd: self.fd,
                tx: &mut self.tx,
            },
        ))
    }

    fn transmit(&mut self, _t: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx {
            fd: self.fd,
            tx: &mut self.tx,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = MTU as usize;
        c
    }
}

/// The stack and the replay's sockets, behind the engine's lock.
struct Core {
    iface: Interface,
    sockets: SocketSet<'static>,
    device: TunDevice,
    base: Instant,
    /// TCP packets and ICMP errors fully processed (the processing barrier).
    processed: u64,
    ends: Option<Endpoints>,
    options: SocketOptions,
    conn: Option<SocketHandle>,
    listener: Option<SocketHandle>,
    /// Every socket of the current replay (removed when it ends).
    owned: Vec<SocketHandle>,
    /// The application's connection's state when last observed.
    last: tcp::State,
    /// An error inferred from the connection's state changes, not yet reported.
    error: Option<SockError>,
    /// The application aborted the connection: its end is no error.
    quiet_end: bool,
    /// [`Core::error`] has been reported by `take_error`.
    reported: bool,
}

fn endpoint(a: SocketAddr) -> IpEndpoint {
    IpEndpoint::new(IpAddress::from(a.ip()), a.port())
}

impl Core {
    fn now(&self) -> SmolInstant {
        SmolInstant::from_micros(self.base.elapsed().as_micros() as i64)
    }

    /// Run smoltcp: take what the device has, process it, send what is due; then read the
    /// connection's state change.
    fn poll(&mut self) {
        let now = self.now();
        self.iface.poll(now, &mut self.device, &mut self.sockets);
        self.processed += std::mem::take(&mut self.device.tcp_in);
        self.observe();
    }

    /// Infer what the application is told from the connection's state change: smoltcp keeps
    /// no error. A change to CLOSED while a RST of the peer was processed is a reset (refused
    /// in SYN-SENT and in the SYN-RECEIVED of a simultaneous open); any other change to CLOSED
    /// but the ends of TIME-WAIT and LAST-ACK is the socket's `timeout` (smoltcp's
    /// `dispatch()`: "timeout exceeded").
    fn observe(&mut self) {
        let rst = std::mem::take(&mut self.device.rst_seen);
        let Some(h) = self.conn else { return };
        let now = self.sockets.get::<tcp::Socket>(h).state();
        let was = std::mem::replace(&mut self.last, now);
        if now != tcp::State::Closed || was == tcp::State::Closed || self.quiet_end {
            return;
        }
        self.error = match was {
            // RFC 9293 3.10.7.4 (second, SYN-RECEIVED): an actively opened connection reset
            // before it was established was refused.
            tcp::State::SynSent | tcp::State::SynReceived if rst => Some(SockError::Refused),
            _ if rst => Some(SockError::Reset),
            tcp::State::TimeWait | tcp::State::LastAck => None,
            _ => Some(SockError::TimedOut),
        };
    }

    fn socket(&mut self) -> tcp::Socket<'static> {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUFFER]),
            tcp::SocketBuffer::new(vec![0; BUFFER]),
        );
        s.set_nagle_enabled(false);
        if let Some(k) = self.options.keepalive {
            let secs = |s: u32| SmolDuration::from_secs(u64::from(s));
            s.set_keep_alive(Some(secs(k.idle_s)));
            s.set_timeout(Some(
                secs(k.idle_s) + secs(k.interval_s.saturating_mul(k.count)),
            ));
        }
        s
    }

    fn conn(&mut self) -> Result<&mut tcp::Socket<'static>, SockError> {
        let h = self.conn.ok_or(SockError::NotConnected)?;
        Ok(self.sockets.get_mut::<tcp::Socket>(h))
    }

    /// A new listening socket on the target's address.
    fn listen(&mut self) -> Result<SocketHandle, SockError> {
        let ends = self
            .ends
            .ok_or_else(|| SockError::Other("no replay begun".into()))?;
        let mut s = self.socket();
        s.listen(endpoint(ends.target))
            .map_err(|e| SockError::Other(format!("listen: {e}")))?;
        let h = self.sockets.add(s);
        self.owned.push(h);
        Ok(h)
    }

    fn end(&mut self) {
        for h in self.owned.drain(..) {
            self.sockets.remove(h);
        }
        self.conn = None;
        self.listener = None;
        self.ends = None;
        self.options = SocketOptions::default();
        self.device.rst_in = None;
        self.last = tcp::State::Closed;
        self.error = None;
        self.quiet_end = false;
        self.reported = false;
    }
}

/// smoltcp running on a TUN device in its own event-loop thread.
pub struct SmoltcpEngine {
    core: Arc<Mutex<Core>>,
    /// Wakes the event loop after a call (its next timer may have moved).
    wake: Arc<OwnedFd>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    timers: TimerProfile,
}

impl std::fmt::Debug for SmoltcpEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmoltcpEngine").finish_non_exhaustive()
    }
}

impl SmoltcpEngine {
    /// Start smoltcp on the TUN device `tun` (an IP-level device: one packet per read and
    /// write), answering for 192.0.2.1/24 and 2001:db8::1/64.
    pub fn start(tun: TunOwner) -> io::Result<Self> {
        let fd = tun.as_raw_fd();
        set_nonblocking(fd)?;
        let mut device = TunDevice {
            fd,
            buf: vec![0u8; 65536],
            tcp_in: 0,
            rst_in: None,
            rst_seen: false,
            tx: 0,
        };
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = random_seed()?;
        let base = Instant::now();
        let mut iface = Interface::new(config, &mut device, SmolInstant::from_micros(0));
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(IpAddress::from(IpAddr::V4(TARGET_V4)), 24));
            let _ = a.push(IpCidr::new(IpAddress::from(IpAddr::V6(TARGET_V6)), 64));
        });
        let core = Arc::new(Mutex::new(Core {
            iface,
            sockets: SocketSet::new(Vec::new()),
            device,
            base,
            processed: 0,
            ends: None,
            options: SocketOptions::default(),
            conn: None,
            listener: None,
            owned: Vec::new(),
            last: tcp::State::Closed,
            error: None,
            quiet_end: false,
            reported: false,
        }));
        let wake = Arc::new(eventfd()?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (core, wake, stop) = (core.clone(), wake.clone(), stop.clone());
            std::thread::Builder::new()
                .name("smoltcp".into())
                .spawn(move || event_loop(&core, tun, &wake, &stop))?
        };
        Ok(SmoltcpEngine {
            core,
            wake,
            stop,
            thread: Some(thread),
            timers: timer_profile(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic in the event loop poisons the lock; the core's data stays usable.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the core, then let smoltcp act on it at once and wake the event loop.
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        let r = {
            let mut core = self.lock();
            let r = f(&mut core);
            core.poll();
            r
        };
        wake(&self.wake);
        r
    }
}

/// Poll smoltcp whenever its TUN device has a packet, a call woke it, or its next timer is
/// due.
fn event_loop(core: &Mutex<Core>, tun: TunOwner, wake: &OwnedFd, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let delay = {
            let mut c = core.lock().unwrap_or_else(|p| p.into_inner());
            c.poll();
            let now = c.now();
            let Core { iface, sockets, .. } = &mut *c;
            iface.poll_delay(now, sockets)
        };
        let ms = delay.map_or(100, |d| d.total_millis().min(100)) as libc::c_int;
        wait_for_work(tun.as_raw_fd(), wake, ms);
    }
}

impl Drop for SmoltcpEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        wake(&self.wake);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Sockets for SmoltcpEngine {
    fn name(&self) -> &str {
        "smoltcp"
    }

    fn timers(&self) -> &TimerProfile {
        &self.timers
    }

    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()> {
        if let Some(n) = options.receive_buffer {
            return Err(crate::stack::no_receive_buffer(self.name(), n));
        }
        self.with(|c| {
            c.end();
            c.ends = Some(ends);
            c.options = options.clone();
            c.device.rst_in = Some((ends.peer.port(), ends.target.port()));
        });
        Ok(())
    }

    fn connect(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let ends = c
                .ends
                .ok_or_else(|| SockError::Other("no replay begun".into()))?;
            let mut s = c.socket();
            s.connect(
                c.iface.context(),
                endpoint(ends.peer),
                endpoint(ends.target),
            )
            .map_err(|e| SockError::Other(format!("connect: {e}")))?;
            let h = c.sockets.add(s);
            c.owned.push(h);
            c.conn = Some(h);
            c.last = tcp::State::SynSent;
            Ok(())
        })
    }

    fn listen(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let h = c.listen()?;
            c.listener = Some(h);
            Ok(())
        })
    }

    /// The listening socket, once synchronized, is the connection; a new one listens.
    fn accept(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let l = c.listener.ok_or(SockError::NotConnected)?;
            let state = c.sockets.get::<tcp::Socket>(l).state();
            if matches!(
                state,
                tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed
            ) {
                return Err(SockError::WouldBlock);
            }
            c.conn = Some(l);
            c.last = state;
            c.listener = Some(c.listen()?);
            Ok(())
        })
    }

    fn unlisten(&mut self) {
        self.with(|c| {
            if let Some(h) = c.listener.take() {
                c.sockets.get_mut::<tcp::Socket>(h).abort();
            }
        })
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.with(|c| {
            let s = c.conn()?;
            match s.send_slice(data) {
                Ok(n) => Ok(n),
                Err(_) => match s.state() {
                    tcp::State::SynSent | tcp::State::SynReceived => Err(SockError::WouldBlock),
                    _ => Err(c.error.clone().unwrap_or(SockError::Pipe)),
                },
            }
        })
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        self.with(|c| {
            let s = c.conn()?;
            match s.recv_slice(buf) {
                Ok(0) => Err(SockError::WouldBlock),
                Ok(n) => Ok(n),
                Err(RecvError::Finished) => Ok(0),
                Err(RecvError::InvalidState) => {
                    Err(c.error.clone().unwrap_or(SockError::NotConnected))
                }
            }
        })
    }

    fn shutdown(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            c.conn()?.close();
            Ok(())
        })
    }

    fn abort(&mut self) {
        self.with(|c| {
            if let Ok(s) = c.conn() {
                s.abort();
            }
            c.quiet_end = true;
            c.conn = None;
        })
    }

    /// Bytes in the receive buffer; the end of the stream is smoltcp's `RecvError::Finished`
    /// (the peer's FIN received and every byte before it read).
    fn readable(&mut self) -> Result<Readable, SockError> {
        self.with(|c| {
            let s = c.conn()?;
            let bytes = s.recv_queue();
            let eof = bytes == 0 && matches!(s.recv_slice(&mut []), Err(RecvError::Finished));
            if bytes == 0 && !eof && s.state() == tcp::State::Closed {
                if let Some(e) = c.error.clone() {
                    return Err(e);
                }
            }
            Ok(Readable { bytes, eof })
        })
    }

    fn take_error(&mut self) -> Option<SockError> {
        // The error stays for `recv` and `send`; it is reported once.
        let mut core = self.lock();
        let e = core.error.clone()?;
        if core.reported {
            return None;
        }
        core.reported = true;
        Some(e)
    }

    fn connected(&mut self) -> bool {
        self.with(|c| {
            c.conn().is_ok_and(|s| {
                !matches!(
                    s.state(),
                    tcp::State::Closed
                        | tcp::State::Listen
                        | tcp::State::SynSent
                        | tcp::State::SynReceived
                )
            })
        })
    }

    /// The state of the socket that holds the replay's 4-tuple; a socket that listens, or
    /// is closed, is not the connection.
    fn state(&mut self) -> io::Result<Option<TcpState>> {
        Ok(self.with(|c| {
            let ends = c.ends?;
            let (local, remote) = (endpoint(ends.target), endpoint(ends.peer));
            c.owned.iter().find_map(|&h| {
                let s = c.sockets.get::<tcp::Socket>(h);
                let live = !matches!(s.state(), tcp::State::Closed | tcp::State::Listen);
                (live && s.local_endpoint() == Some(local) && s.remote_endpoint() == Some(remote))
                    .then(|| tcp_state(s.state()))
            })
        }))
    }

    fn end(&mut self) {
        self.with(Core::end);
    }
}

impl TunEngine for SmoltcpEngine {
    /// TCP packets and ICMP errors smoltcp read from its device and processed in a completed
    /// poll.
    fn processed(&mut self) -> io::Result<u64> {
        Ok(self.lock().processed)
    }

    /// Packets written and `Interface::poll_delay` (retransmission, delayed ACK, keepalive,
    /// timeout and TIME-WAIT timers of every socket), after a poll that sent what was due.
    fn timing(&mut self) -> io::Result<EngineTiming> {
        let mut c = self.lock();
        c.poll();
        let now = c.now();
        let Core {
            iface,
            sockets,
            device,
            ..
        } = &mut *c;
        let next = iface.poll_delay(now, sockets);
        Ok(EngineTiming {
            tx_packets: device.tx,
            next_timer: next.map(|d| Duration::from_micros(d.total_micros())),
        })
    }

    /// smoltcp runs in a thread of this process (it counts no challenge ACKs or cookies).
    fn footprint(&self) -> Option<Footprint> {
        Some(Footprint::this_process())
    }
}
