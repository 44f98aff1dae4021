//! The `lwip` engine: lwIP 2.2 (raw TCP API, `NO_SYS`, built by `tcp-lwip-sys`) on a TUN
//! device, with its own timers (`sys_check_timeouts` on the wall clock: the TCP timer every
//! 250 ms, RTO from 3 s, delayed ACKs on the 250 ms tick, TIME-WAIT 2 * `TCP_MSL` = 10 s with
//! this build's `TCP_MSL` of 5 s).
//!
//! lwIP keeps its state in C globals, so there is one per process: `--target lwip` runs each
//! job's lwIP in its own process, the exec adapter (`tcpspec-exec-adapter --stack lwip`,
//! [`crate::exec_server`]), driven through the exec protocol. The engine maps the socket
//! primitives onto the raw API as a sockets layer would: `tcp_connect`, `tcp_listen` with an
//! accept callback that queues established connections, `tcp_write` + `tcp_output`,
//! received data kept until the application reads it (then `tcp_recved` opens the window),
//! `tcp_shutdown(pcb, 0, 1)`, `tcp_abort`. The error callback reports `ERR_RST` (reset, or
//! refused before the connection was established) and `ERR_ABRT` (lwIP gave up: too many
//! retransmissions or unanswered keepalives: timed out). States come from lwIP's pcb lists by
//! 4-tuple (`enum tcp_state`).

use crate::engine_util::{
    eventfd, set_nonblocking, tcp_ports_flags, wait_for_work, wake, TunOwner,
};
use crate::stack::{Readable, SockError, Sockets};
use crate::target::{Endpoints, TARGET_V4, TARGET_V6};
use crate::timing::TimerProfile;
use crate::wire::{EngineTiming, TunEngine};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::io;
use std::net::IpAddr;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tcp_lwip_sys as sys;
use tcp_vectors::{SocketOptions, TcpState};

/// The lwIP version compiled in (`LWIP_VERSION` of `lwip/init.h`).
pub const LWIP_VERSION: &str = "2.2.1 (development sources of the lwip crate 0.3.15)";

/// The TUN fd lwIP's netif writes to.
static TUN_FD: AtomicI32 = AtomicI32::new(-1);
/// Packets written to it.
static TX_PACKETS: AtomicU64 = AtomicU64::new(0);
/// Whether this process's lwIP is taken (it keeps global state).
static TAKEN: AtomicBool = AtomicBool::new(false);
/// The last id given to a pcb (its callbacks' argument).
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// lwIP's netif output: one IP packet to the TUN device.
#[no_mangle]
extern "C" fn tcpspec_lwip_output(packet: *const u8, len: u16) {
    let fd = TUN_FD.load(Ordering::Relaxed);
    // SAFETY: lwIP hands a buffer of len bytes, valid for this call.
    if unsafe { libc::write(fd, packet.cast(), usize::from(len)) } >= 0 {
        TX_PACKETS.fetch_add(1, Ordering::Relaxed);
    }
}

/// lwIP's timers (`lwip/opt.h`, `lwip/priv/tcp_priv.h`, this build's `lwipopts.h`): the TCP
/// timer ticks every 250 ms (delayed ACKs go out on the tick), the slow timer every 500 ms
/// (the RTO, keepalive and TIME-WAIT are counted in its ticks, so they fire up to a tick
/// early or late; `LWIP_TCP_RTO_TIME` 3 s initially), TIME-WAIT 2 * `TCP_MSL` = 10 s.
pub fn timer_profile() -> TimerProfile {
    TimerProfile {
        response: Duration::from_millis(200),
        settle: Duration::from_millis(2),
        delayed_ack_max: Duration::from_millis(250),
        rto_initial: Duration::from_secs(3),
        rto_min: Duration::from_millis(500),
        rto_max: Duration::from_secs(60),
        time_wait: Duration::from_secs(10),
        granularity: Duration::from_millis(510),
        tick: Duration::from_millis(500),
    }
}

/// The vector schema's state of lwIP's `enum tcp_state`.
fn tcp_state(n: i32) -> Option<TcpState> {
    Some(match n {
        0 => TcpState::Closed,
        1 => TcpState::Listen,
        2 => TcpState::SynSent,
        3 => TcpState::SynReceived,
        4 => TcpState::Established,
        5 => TcpState::FinWait1,
        6 => TcpState::FinWait2,
        7 => TcpState::CloseWait,
        8 => TcpState::Closing,
        9 => TcpState::LastAck,
        10 => TcpState::TimeWait,
        _ => return None,
    })
}

/// What lwIP's callbacks report, in the thread that made the lwIP call.
enum Event {
    Data(usize, Vec<u8>),
    Fin(usize),
    Error(usize, sys::err_t),
    Accepted(*mut sys::tcp_pcb, usize),
    Connected(usize),
}

thread_local! {
    static EVENTS: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
}

fn push(e: Event) {
    EVENTS.with(|q| q.borrow_mut().push(e));
}

fn id_of(arg: *mut c_void) -> usize {
    arg as usize
}

unsafe extern "C" fn on_recv(
    arg: *mut c_void,
    _pcb: *mut sys::tcp_pcb,
    p: *mut sys::pbuf,
    _err: sys::err_t,
) -> sys::err_t {
    if p.is_null() {
        push(Event::Fin(id_of(arg)));
        return sys::ERR_OK;
    }
    // SAFETY: p is a valid pbuf chain that lwIP hands over; we copy it and free it.
    unsafe {
        let len = sys::tcpspec_pbuf_len(p);
        let mut data = vec![0u8; usize::from(len)];
        sys::pbuf_copy_partial(p, data.as_mut_ptr().cast(), len, 0);
        sys::pbuf_free(p);
        push(Event::Data(id_of(arg), data));
    }
    sys::ERR_OK
}

unsafe extern "C" fn on_err(arg: *mut c_void, err: sys::err_t) {
    push(Event::Error(id_of(arg), err));
}

unsafe extern "C" fn on_connected(
    arg: *mut c_void,
    _pcb: *mut sys::tcp_pcb,
    _err: sys::err_t,
) -> sys::err_t {
    push(Event::Connected(id_of(arg)));
    sys::ERR_OK
}

/// A new connection on the listener: its callbacks are set here, before lwIP goes on with
/// the segment that completed the handshake (a FIN on it reaches our receive callback, not
/// lwIP's default, which would close the connection).
unsafe extern "C" fn on_accept(
    _arg: *mut c_void,
    pcb: *mut sys::tcp_pcb,
    err: sys::err_t,
) -> sys::err_t {
    if err == sys::ERR_OK && !pcb.is_null() {
        // SAFETY: pcb is the live new pcb lwIP hands over.
        let id = unsafe { register(pcb) };
        push(Event::Accepted(pcb, id));
    }
    sys::ERR_OK
}

/// Give a pcb a fresh id as its callbacks' argument and our callbacks.
///
/// # Safety
/// `pcb` must be a live pcb, and the call made under the engine's lock.
unsafe fn register(pcb: *mut sys::tcp_pcb) -> usize {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) + 1;
    // SAFETY: as the caller promises; the callbacks live as long as the program.
    unsafe {
        sys::tcp_arg(pcb, id as *mut c_void);
        sys::tcp_recv(pcb, Some(on_recv));
        sys::tcp_err(pcb, Some(on_err));
    }
    id
}

/// A connection's pcb and what the application has been told on it.
#[derive(Default)]
struct Conn {
    pcb: Option<PcbPtr>,
    rx: VecDeque<u8>,
    eof: bool,
    established: bool,
    error: Option<SockError>,
}

/// A pcb pointer, used only under the engine's lock, in calls into lwIP.
#[derive(Clone, Copy, PartialEq, Eq)]
struct PcbPtr(*mut sys::tcp_pcb);

// SAFETY: lwIP's pcbs are used only under the engine's lock (one thread at a time).
unsafe impl Send for PcbPtr {}

/// lwIP and the replay's connections, behind the engine's lock.
struct Core {
    base: Instant,
    processed: u64,
    ends: Option<Endpoints>,
    options: SocketOptions,
    conns: HashMap<usize, Conn>,
    /// The application's connection (an id of `conns`).
    conn: Option<usize>,
    listener: Option<PcbPtr>,
    /// Established connections not yet accepted, oldest first.
    backlog: VecDeque<usize>,
    /// The connection's error has been reported by `take_error`.
    reported: bool,
    buf: Vec<u8>,
}

fn addr_bytes(a: IpAddr) -> (Vec<u8>, i32) {
    match a {
        IpAddr::V4(v4) => (v4.octets().to_vec(), 0),
        IpAddr::V6(v6) => (v6.octets().to_vec(), 1),
    }
}

impl Core {
    /// Tell lwIP the time and run its timers.
    fn tick(&mut self) {
        let ms = self.base.elapsed().as_millis() as u32;
        // SAFETY: plain calls into lwIP under the engine's lock.
        unsafe {
            sys::tcpspec_set_now(ms);
            sys::sys_check_timeouts();
        }
        self.drain();
    }

    /// Apply what lwIP's callbacks reported.
    fn drain(&mut self) {
        let events = EVENTS.with(|q| std::mem::take(&mut *q.borrow_mut()));
        for e in events {
            match e {
                Event::Data(id, data) => self.conns.entry(id).or_default().rx.extend(data),
                Event::Fin(id) => self.conns.entry(id).or_default().eof = true,
                Event::Connected(id) => {
                    if let Some(c) = self.conns.get_mut(&id) {
                        c.established = true;
                    }
                }
                Event::Error(id, err) => {
                    if let Some(c) = self.conns.get_mut(&id) {
                        c.pcb = None; // lwIP has freed it
                        c.error = match err {
                            sys::ERR_RST if c.established => Some(SockError::Reset),
                            sys::ERR_RST => Some(SockError::Refused),
                            sys::ERR_ABRT => Some(SockError::TimedOut),
                            _ => None,
                        };
                    }
                }
                Event::Accepted(pcb, id) => {
                    let conn = self.conns.entry(id).or_default();
                    conn.pcb = Some(PcbPtr(pcb));
                    conn.established = true;
                    self.configure(pcb);
                    self.backlog.push_back(id);
                }
            }
        }
    }

    /// Register a pcb's callbacks under a fresh id.
    fn new_conn(&mut self, pcb: PcbPtr) -> usize {
        // SAFETY: pcb is a live pcb, and we hold the engine's lock.
        let id = unsafe { register(pcb.0) };
        self.conns.insert(
            id,
            Conn {
                pcb: Some(pcb),
                ..Conn::default()
            },
        );
        id
    }

    /// No Nagle, and the vector's keepalive.
    fn configure(&self, pcb: *mut sys::tcp_pcb) {
        // SAFETY: pcb is a live pcb.
        unsafe {
            sys::tcpspec_tcp_nodelay(pcb);
            if let Some(k) = self.options.keepalive {
                sys::tcpspec_tcp_keepalive(
                    pcb,
                    k.idle_s.saturating_mul(1000),
                    k.interval_s.saturating_mul(1000),
                    k.count,
                );
            }
        }
    }

    fn ends(&self) -> Result<Endpoints, SockError> {
        self.ends
            .ok_or_else(|| SockError::Other("no replay begun".into()))
    }

    /// A pcb bound to the target's address.
    fn bound(&self) -> Result<*mut sys::tcp_pcb, SockError> {
        let ends = self.ends()?;
        let (a, is6) = addr_bytes(ends.target.ip());
        let mut err: sys::err_t = 0;
        // SAFETY: a holds 4 or 16 bytes as is6 says; err is a valid out-parameter.
        let pcb = unsafe { sys::tcpspec_tcp_bound(a.as_ptr(), is6, ends.target.port(), &mut err) };
        if pcb.is_null() {
            return Err(lwip_error("bind", err));
        }
        Ok(pcb)
    }

    /// The application's connection.
    fn conn(&mut self) -> Result<&mut Conn, SockError> {
        let id = self.conn.ok_or(SockError::NotConnected)?;
        self.conns.get_mut(&id).ok_or(SockError::NotConnected)
    }

    /// The application's connection's pcb, if lwIP still has it.
    fn live_pcb(&mut self) -> Option<*mut sys::tcp_pcb> {
        let c = self.conn().ok()?;
        let pcb = c.pcb?;
        // SAFETY: only compares the pointer with lwIP's lists.
        if unsafe { sys::tcpspec_tcp_alive(pcb.0) } == 0 {
            c.pcb = None;
            return None;
        }
        Some(pcb.0)
    }

    fn end(&mut self) {
        for (_, c) in self.conns.drain() {
            if let Some(pcb) = c.pcb {
                // SAFETY: the pcb is checked against lwIP's lists before it is aborted.
                unsafe {
                    if sys::tcpspec_tcp_alive(pcb.0) != 0 {
                        sys::tcp_err(pcb.0, None);
                        sys::tcp_abort(pcb.0);
                    }
                }
            }
        }
        if let Some(l) = self.listener.take() {
            // SAFETY: as above.
            unsafe {
                if sys::tcpspec_tcp_alive(l.0) != 0 {
                    sys::tcp_close(l.0);
                }
            }
        }
        self.drain();
        EVENTS.with(|q| q.borrow_mut().clear());
        self.conn = None;
        self.backlog.clear();
        self.ends = None;
        self.options = SocketOptions::default();
        self.reported = false;
    }
}

/// A lwIP error as a socket error.
fn lwip_error(what: &str, err: sys::err_t) -> SockError {
    match err {
        sys::ERR_WOULDBLOCK | sys::ERR_MEM => SockError::WouldBlock,
        sys::ERR_RST => SockError::Reset,
        sys::ERR_CONN => SockError::NotConnected,
        sys::ERR_USE => SockError::Other(format!("{what}: EADDRINUSE")),
        sys::ERR_ISCONN => SockError::Other(format!("{what}: EISCONN")),
        other => SockError::Other(format!("{what}: lwIP error {other}")),
    }
}

/// lwIP on a TUN device, in an event-loop thread of this process.
pub struct LwipEngine {
    core: Arc<Mutex<CoreCell>>,
    wake: Arc<OwnedFd>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    timers: TimerProfile,
}

/// The core with the TUN fd it reads.
struct CoreCell {
    core: Core,
    fd: RawFd,
}

impl std::fmt::Debug for LwipEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LwipEngine").finish_non_exhaustive()
    }
}

/// Whether an IP packet carries TCP (no extension headers).
fn is_tcp(p: &[u8]) -> bool {
    tcp_ports_flags(p).is_some()
}

impl CoreCell {
    /// Read every packet queued on the TUN device into lwIP, then run its timers.
    fn poll(&mut self) {
        loop {
            let fd = self.fd;
            let buf = &mut self.core.buf;
            // SAFETY: reading into our buffer from the non-blocking TUN fd.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            let pkt = &self.core.buf[..n as usize];
            // What the replayer injects: TCP, and the ICMP errors of its `icmp` steps.
            let tcp = is_tcp(pkt) || crate::icmp::is_error(pkt);
            let ms = self.core.base.elapsed().as_millis() as u32;
            // SAFETY: pkt is a valid buffer of n bytes; lwIP copies it.
            unsafe {
                sys::tcpspec_set_now(ms);
                sys::tcpspec_lwip_input(pkt.as_ptr(), n as u16);
            }
            self.core.drain();
            if tcp {
                self.core.processed += 1;
            }
        }
        self.core.tick();
    }
}

impl LwipEngine {
    /// Start lwIP on the TUN device `tun` (one IP packet per read and write), answering for
    /// 192.0.2.1/24 and 2001:db8::1/64. Fails if this process already runs a lwIP.
    pub fn start(tun: TunOwner) -> io::Result<Self> {
        if TAKEN.swap(true, Ordering::SeqCst) {
            return Err(io::Error::other(
                "lwIP keeps its state in C globals: one lwIP per process (--target lwip runs \
                 each job's lwIP in its own exec adapter process)",
            ));
        }
        let fd = tun.as_raw_fd();
        set_nonblocking(fd)?;
        TUN_FD.store(fd, Ordering::SeqCst);
        let (v4, _) = addr_bytes(IpAddr::V4(TARGET_V4));
        let (v6, _) = addr_bytes(IpAddr::V6(TARGET_V6));
        // SAFETY: v4 holds 4 bytes, v6 16; lwIP is initialized once per process (TAKEN).
        unsafe { sys::tcpspec_lwip_init(v4.as_ptr(), 24, v6.as_ptr()) };
        let core = Arc::new(Mutex::new(CoreCell {
            core: Core {
                base: Instant::now(),
                processed: 0,
                ends: None,
                options: SocketOptions::default(),
                conns: HashMap::new(),
                conn: None,
                listener: None,
                backlog: VecDeque::new(),
                reported: false,
                buf: vec![0u8; 65536],
            },
            fd,
        }));
        let wake = Arc::new(eventfd()?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (core, wake, stop) = (core.clone(), wake.clone(), stop.clone());
            std::thread::Builder::new()
                .name("lwip".into())
                .spawn(move || event_loop(&core, tun, &wake, &stop))?
        };
        Ok(LwipEngine {
            core,
            wake,
            stop,
            thread: Some(thread),
            timers: timer_profile(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, CoreCell> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the core (lwIP's clock set first), apply the callbacks, wake the loop.
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        let r = {
            let mut cell = self.lock();
            let ms = cell.core.base.elapsed().as_millis() as u32;
            // SAFETY: sets lwIP's clock under the lock.
            unsafe { sys::tcpspec_set_now(ms) };
            let r = f(&mut cell.core);
            cell.core.drain();
            r
        };
        wake(&self.wake);
        r
    }
}

fn event_loop(core: &Mutex<CoreCell>, tun: TunOwner, wake: &OwnedFd, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let sleep = {
            let mut c = core.lock().unwrap_or_else(|p| p.into_inner());
            c.poll();
            // SAFETY: plain call into lwIP under the lock.
            unsafe { sys::tcpspec_sleeptime() }
        };
        wait_for_work(tun.as_raw_fd(), wake, sleep.min(100) as libc::c_int);
    }
}

impl Drop for LwipEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        wake(&self.wake);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Sockets for LwipEngine {
    fn name(&self) -> &str {
        "lwip"
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
        });
        Ok(())
    }

    fn connect(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let ends = c.ends()?;
            let pcb = c.bound()?;
            c.configure(pcb);
            let id = c.new_conn(PcbPtr(pcb));
            let (a, is6) = addr_bytes(ends.peer.ip());
            // SAFETY: pcb is live, a holds the address bytes is6 says.
            let err = unsafe {
                sys::tcpspec_tcp_connect(pcb, a.as_ptr(), is6, ends.peer.port(), on_connected)
            };
            if err != sys::ERR_OK {
                return Err(lwip_error("connect", err));
            }
            c.conn = Some(id);
            Ok(())
        })
    }

    fn listen(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let pcb = c.bound()?;
            // SAFETY: pcb is live; tcp_listen frees it and returns the listening pcb.
            let l = unsafe { sys::tcp_listen_with_backlog(pcb, 8) };
            if l.is_null() {
                return Err(SockError::Other("listen: lwIP has no memory".into()));
            }
            // SAFETY: l is the live listening pcb.
            unsafe { sys::tcp_accept(l, Some(on_accept)) };
            c.listener = Some(PcbPtr(l));
            Ok(())
        })
    }

    fn accept(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            if c.listener.is_none() {
                return Err(SockError::NotConnected);
            }
            let id = c.backlog.pop_front().ok_or(SockError::WouldBlock)?;
            c.conn = Some(id);
            Ok(())
        })
    }

    fn unlisten(&mut self) {
        self.with(|c| {
            if let Some(l) = c.listener.take() {
                // SAFETY: the listening pcb is ours until closed.
                unsafe { sys::tcp_close(l.0) };
            }
        })
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.with(|c| {
            let Some(pcb) = c.live_pcb() else {
                return Err(c.conn()?.error.clone().unwrap_or(SockError::Pipe));
            };
            // SAFETY: pcb is live.
            let state = unsafe { sys::tcpspec_tcp_state(pcb) };
            if state == 2 || state == 3 {
                return Err(SockError::WouldBlock); // a blocking send waits for ESTABLISHED
            }
            // SAFETY: as above.
            let room = unsafe { sys::tcpspec_tcp_sndbuf(pcb) } as usize;
            let n = data.len().min(room).min(usize::from(u16::MAX));
            if n == 0 {
                return Err(SockError::WouldBlock);
            }
            // SAFETY: data holds at least n bytes; lwIP copies them.
            let err = unsafe {
                sys::tcp_write(
                    pcb,
                    data.as_ptr().cast(),
                    n as u16,
                    sys::TCP_WRITE_FLAG_COPY,
                )
            };
            if err != sys::ERR_OK {
                return Err(lwip_error("send", err).pipe_if_conn());
            }
            // SAFETY: as above.
            unsafe { sys::tcp_output(pcb) };
            Ok(n)
        })
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        self.with(|c| {
            let pcb = c.live_pcb();
            let conn = c.conn()?;
            if conn.rx.is_empty() {
                if conn.eof {
                    return Ok(0);
                }
                return Err(conn.error.clone().unwrap_or(if pcb.is_some() {
                    SockError::WouldBlock
                } else {
                    SockError::NotConnected
                }));
            }
            let n = buf.len().min(conn.rx.len());
            for (b, x) in buf.iter_mut().zip(conn.rx.drain(..n)) {
                *b = x;
            }
            if let Some(pcb) = pcb {
                // SAFETY: pcb is live; n fits the window lwIP gave.
                unsafe { sys::tcp_recved(pcb, n as u16) };
            }
            Ok(n)
        })
    }

    fn shutdown(&mut self) -> Result<(), SockError> {
        self.with(|c| {
            let Some(pcb) = c.live_pcb() else {
                return Err(SockError::NotConnected);
            };
            // SAFETY: pcb is live; in SYN-SENT lwIP frees it (checked by live_pcb later).
            let err = unsafe { sys::tcp_shutdown(pcb, 0, 1) };
            if err != sys::ERR_OK {
                return Err(lwip_error("shutdown", err));
            }
            c.live_pcb();
            Ok(())
        })
    }

    fn abort(&mut self) {
        self.with(|c| {
            if let Some(pcb) = c.live_pcb() {
                // SAFETY: pcb is live; without the error callback our own abort is no error.
                unsafe {
                    sys::tcp_err(pcb, None);
                    sys::tcp_abort(pcb);
                }
            }
            c.conn = None;
        })
    }

    fn readable(&mut self) -> Result<Readable, SockError> {
        self.with(|c| {
            let conn = c.conn()?;
            if conn.rx.is_empty() && !conn.eof {
                if let Some(e) = conn.error.clone() {
                    return Err(e);
                }
            }
            Ok(Readable {
                bytes: conn.rx.len(),
                eof: conn.rx.is_empty() && conn.eof,
            })
        })
    }

    fn take_error(&mut self) -> Option<SockError> {
        self.with(|c| {
            let e = c.conn().ok()?.error.clone()?;
            if c.reported {
                return None;
            }
            c.reported = true;
            Some(e)
        })
    }

    fn connected(&mut self) -> bool {
        self.with(|c| {
            c.live_pcb().is_some_and(|pcb| {
                // SAFETY: pcb is live.
                unsafe { sys::tcpspec_tcp_state(pcb) >= 4 }
            })
        })
    }

    fn state(&mut self) -> io::Result<Option<TcpState>> {
        Ok(self.with(|c| {
            let ends = c.ends?;
            let (l, is6) = addr_bytes(ends.target.ip());
            let (r, _) = addr_bytes(ends.peer.ip());
            let mut found = std::ptr::null_mut();
            // SAFETY: l and r hold the address bytes is6 says; found is an out-parameter.
            let n = unsafe {
                sys::tcpspec_tcp_lookup(
                    l.as_ptr(),
                    ends.target.port(),
                    r.as_ptr(),
                    ends.peer.port(),
                    is6,
                    &mut found,
                )
            };
            tcp_state(n).filter(|s| *s != TcpState::Closed)
        }))
    }

    fn end(&mut self) {
        self.with(Core::end);
    }
}

/// `send` on a connection lwIP no longer sends on is `EPIPE`.
trait PipeIfConn {
    fn pipe_if_conn(self) -> SockError;
}

impl PipeIfConn for SockError {
    fn pipe_if_conn(self) -> SockError {
        match self {
            SockError::NotConnected => SockError::Pipe,
            other => other,
        }
    }
}

impl TunEngine for LwipEngine {
    /// TCP packets handed to lwIP's netif input (which processes them before it returns).
    fn processed(&mut self) -> io::Result<u64> {
        Ok(self.lock().core.processed)
    }

    /// Packets written, and the time until lwIP's next timer (`sys_timeouts_sleeptime`): with
    /// `NO_SYS` lwIP acts only on input, calls and its timers, so nothing can happen before.
    /// A delayed ACK is sent first (`tcpspec_flush_delayed_acks`, as Linux's `TCP_QUICKACK`),
    /// so that it is on the wire, not left to the next 250 ms tick, whose phase would decide
    /// whether it lands inside a quiet window.
    fn timing(&mut self) -> io::Result<EngineTiming> {
        let mut cell = self.lock();
        cell.poll();
        // SAFETY: plain call into lwIP under the lock.
        unsafe { sys::tcpspec_flush_delayed_acks() };
        // SAFETY: plain call into lwIP under the lock.
        let sleep = unsafe { sys::tcpspec_sleeptime() };
        Ok(EngineTiming {
            tx_packets: TX_PACKETS.load(Ordering::SeqCst),
            next_timer: (sleep != u32::MAX).then(|| Duration::from_millis(u64::from(sleep))),
        })
    }
}
