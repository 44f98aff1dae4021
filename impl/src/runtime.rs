//! The event loop that drives a [`Stack`] on a TUN device, and std-like sockets on top.
//!
//! One background thread runs the timers and, by default, the device's receive side: it
//! waits (`ppoll`) for a packet or the next timer deadline, feeds packets to the stack
//! (merging in-order runs, [`crate::coalesce`]), runs the timers and writes the stack's
//! output to the device. Application threads call into the same stack under a mutex; their
//! output is written at once, and a condition variable wakes blocked readers, writers and
//! acceptors whenever anything happened.
//!
//! Hand-off of the device: a blocked application thread first reads what the device has
//! queued itself, and then, if no other application thread does, waits on the device
//! itself (the "device poller") instead of on the condition variable, while the event loop
//! stops watching the device and keeps only the timers. A packet then wakes one thread —
//! the one that wants it — instead of the event loop and then the application (two
//! wake-ups and a lock hand-over per packet). The event loop takes the device back within
//! [`HANDBACK`] once no application thread polls it; after a long wait ([`LONG_POLL`]) the
//! leaving poller wakes it at once instead, so that an idle stack does not tick.
//!
//! ```no_run
//! # fn demo(tun: std::os::fd::OwnedFd) -> std::io::Result<()> {
//! use std::io::{Read, Write};
//! use tcp_impl::runtime::NetStack;
//! let net = NetStack::new(tun, tcp_impl::Config::default(), vec!["192.0.2.2".parse().unwrap()])?;
//! let listener = net.listen("192.0.2.2:80".parse().unwrap())?;
//! let (mut stream, _peer) = listener.accept()?;
//! let mut buf = [0u8; 100];
//! let n = stream.read(&mut buf)?;
//! stream.write_all(&buf[..n])?;
//! # Ok(()) }
//! ```

use crate::coalesce::{CoalesceStats, Coalescer};
use crate::offload::{OffloadTun, VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, VNET_GSO_TCPV6, VNET_HDR_LEN};
use crate::{
    Config, ConnectionInfo, IpFields, KeepaliveConfig, ListenerHandle, Report, Retries,
    SocketHandle, Stack, State, Stats, TcpError, Timestamp,
};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Packets read per loop iteration before timers run and output is flushed.
const READ_BATCH: usize = 64;
/// While an application thread polls the device, the event loop checks this often whether
/// it still does (and takes the device back if not).
const HANDBACK: Duration = Duration::from_millis(1);
/// After an application thread has polled the device this long, the event loop stops
/// checking and sleeps; the poller wakes it when it leaves.
const LONG_POLL: Duration = Duration::from_millis(10);

/// Packets the device refused to take (counted and dropped, like a lossy link), and the
/// last device error.
#[derive(Default)]
struct DeviceErrors {
    tx_errors: u64,
    last: Option<String>,
}

struct Inner {
    stack: Stack,
    /// The deadline the event loop sleeps until (None: no timer, sleeps until a packet).
    sleeping_until: Option<Timestamp>,
    /// Device errors (packets it refused, the last error).
    errors: DeviceErrors,
    /// Reads packets from the device and merges in-order runs ([`crate::coalesce`]); used
    /// by the event loop and by application threads (see [`Shared::pump`]).
    rx: Coalescer,
    /// Merge runs of in-order segments (on by default).
    coalesce: bool,
    /// An application thread waits on the device (see the module documentation).
    app_polling: bool,
    /// When the current application poll began.
    app_poll_since: Instant,
    /// The event loop sleeps without watching the device and without a hand-back
    /// deadline: the application poller must wake it when it leaves.
    loop_parked: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    cond: Condvar,
    device: Box<dyn AsFd + Send + Sync>,
    /// Wakes the event loop.
    wake: OwnedFd,
    /// Wakes the application thread that polls the device.
    app_wake: OwnedFd,
    /// The device prefixes packets with a virtio-net header ([`crate::offload`]).
    vnet: bool,
    stop: AtomicBool,
    origin: Instant,
}

impl Shared {
    fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    fn fd(&self) -> RawFd {
        self.device.as_fd().as_raw_fd()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the stack in whatever state it was; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes every queued packet to the device.
    fn flush(&self, inner: &mut Inner) {
        self.transmit(&mut inner.stack, &mut inner.errors);
    }

    /// Writes every packet the stack has queued to the device.
    fn transmit(&self, stack: &mut Stack, errors: &mut DeviceErrors) {
        let fd = self.fd();
        while let Some((p, gso_size)) = stack.pop_transmit_gso() {
            let n = if self.vnet {
                // An all-zero virtio-net header requests no offload; a TSO super-segment gets
                // a GSO header and a partial checksum for the device to complete.
                let hdr = if gso_size > 0 {
                    gso_header(&p, gso_size)
                } else {
                    [0u8; VNET_HDR_LEN]
                };
                let iov = [
                    libc::iovec {
                        iov_base: hdr.as_ptr() as *mut libc::c_void,
                        iov_len: hdr.len(),
                    },
                    libc::iovec {
                        iov_base: p.as_ptr() as *mut libc::c_void,
                        iov_len: p.len(),
                    },
                ];
                // SAFETY: two valid iovecs over live buffers; the device only reads them.
                unsafe { libc::writev(fd, iov.as_ptr(), 2) }
            } else {
                // SAFETY: p is a valid buffer; fd is the device, kept open by self.device.
                unsafe { libc::write(fd, p.as_ptr().cast(), p.len()) }
            };
            if n < 0 {
                errors.tx_errors += 1;
                errors.last = Some(format!("write to TUN: {}", io::Error::last_os_error()));
            }
            stack.recycle(p);
        }
    }

    fn wake_loop(&self) {
        signal(&self.wake);
    }

    /// Wakes the application thread polling the device, if any, so that it re-checks what
    /// it waits for (what the condition variable does for the others).
    fn wake_app_poller(&self, inner: &Inner) {
        if inner.app_polling {
            signal(&self.app_wake);
        }
    }

    /// Runs `f` on the stack, flushes output, wakes the loop if a timer moved earlier, and
    /// wakes blocked callers.
    fn with<R>(&self, f: impl FnOnce(&mut Stack, Timestamp) -> R) -> R {
        let mut inner = self.lock();
        let now = self.now();
        let r = f(&mut inner.stack, now);
        self.after_call(&mut inner);
        r
    }

    fn after_call(&self, inner: &mut Inner) {
        self.flush(inner);
        let next = inner.stack.next_deadline();
        let earlier = match (next, inner.sleeping_until) {
            (Some(n), Some(s)) => n < s,
            (Some(_), None) => true,
            _ => false,
        };
        if earlier {
            inner.sleeping_until = next;
            self.wake_loop();
        }
        self.wake_app_poller(inner);
        self.cond.notify_all();
    }

    /// Reads and processes packets already queued on the device (non-blocking), on the
    /// calling thread. A blocked reader or writer does this before sleeping, so that in the
    /// common case the data it waits for is handled without a thread hand-off. Returns the
    /// number of packets processed.
    fn pump(&self, inner: &mut Inner) -> usize {
        let now = self.now();
        self.read_device(inner, now)
    }

    /// Reads up to [`READ_BATCH`] queued packets from the device into the stack, writing
    /// the stack's answers as they come (an ACK leaves before the next packet is read, as
    /// a kernel's would, not after the whole batch).
    fn read_device(&self, inner: &mut Inner, now: Timestamp) -> usize {
        let Inner {
            stack,
            rx,
            coalesce,
            errors,
            ..
        } = inner;
        let mut sent = |s: &mut Stack| {
            if s.pending_transmit() > 0 {
                self.transmit(s, errors)
            }
        };
        if *coalesce {
            rx.read_batch(self.fd(), stack, now, READ_BATCH, &mut sent)
        } else {
            rx.read_batch_plain(self.fd(), stack, now, READ_BATCH, &mut sent)
        }
    }

    /// Retries `f` until it returns something other than `WouldBlock`, waiting for stack
    /// events in between, for at most `timeout`.
    fn block_on<R>(
        &self,
        timeout: Option<Duration>,
        mut f: impl FnMut(&mut Stack, Timestamp) -> Result<R, TcpError>,
    ) -> io::Result<R> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut inner = self.lock();
        loop {
            let now = self.now();
            match f(&mut inner.stack, now) {
                Err(TcpError::WouldBlock) => {}
                other => {
                    self.after_call(&mut inner);
                    return other.map_err(io::Error::from);
                }
            }
            let pumped = self.pump(&mut inner);
            self.after_call(&mut inner);
            if pumped > 0 {
                continue;
            }
            if self.stop.load(Ordering::Relaxed) {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the stack's event loop has stopped",
                ));
            }
            let left = match deadline {
                None => None,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
                    }
                    Some(left)
                }
            };
            inner = if inner.app_polling {
                match left {
                    None => self.cond.wait(inner).unwrap_or_else(|e| e.into_inner()),
                    Some(left) => {
                        self.cond
                            .wait_timeout(inner, left)
                            .unwrap_or_else(|e| e.into_inner())
                            .0
                    }
                }
            } else {
                self.poll_device(inner, left)
            };
        }
    }
}

impl Shared {
    /// Becomes the device poller: waits, without the lock, until the device has a packet,
    /// the poller is woken ([`Shared::wake_app_poller`]) or `timeout` passes; then hands
    /// the device back (waking the event loop if it sleeps without watching it).
    fn poll_device<'a>(
        &'a self,
        mut inner: MutexGuard<'a, Inner>,
        timeout: Option<Duration>,
    ) -> MutexGuard<'a, Inner> {
        inner.app_polling = true;
        inner.app_poll_since = Instant::now();
        drop(inner);
        let mut fds = [
            libc::pollfd {
                fd: self.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.app_wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        ppoll(&mut fds, timeout);
        if fds[1].revents & libc::POLLIN != 0 {
            drain(&self.app_wake);
        }
        let mut inner = self.lock();
        inner.app_polling = false;
        if inner.loop_parked {
            inner.loop_parked = false;
            self.wake_loop();
        }
        inner
    }
}

/// Adds one to an eventfd (wakes whoever polls it).
fn signal(fd: &OwnedFd) {
    let one: u64 = 1;
    // SAFETY: writing 8 bytes to an eventfd we own.
    unsafe {
        libc::write(
            fd.as_raw_fd(),
            (&one as *const u64).cast(),
            std::mem::size_of::<u64>(),
        )
    };
}

/// Resets an eventfd's counter.
fn drain(fd: &OwnedFd) {
    let mut v: u64 = 0;
    // SAFETY: reading 8 bytes from our eventfd into v.
    unsafe {
        libc::read(
            fd.as_raw_fd(),
            (&mut v as *mut u64).cast(),
            std::mem::size_of::<u64>(),
        )
    };
}

/// `ppoll` on `fds` for at most `timeout` (`None`: no limit). Returns its result.
fn ppoll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> libc::c_int {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: fds is a slice of valid pollfds; ts_ptr is null or points to ts.
    unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    }
}

/// Builds the virtio-net header for a TSO packet. Its TCP checksum field already holds the
/// pseudo-header sum, as `CHECKSUM_PARTIAL` requires ([`Stack::set_tso_partial_checksum`]
/// is on for a virtio-net device); the device fills in each segment's checksum.
fn gso_header(p: &[u8], gso_size: u16) -> [u8; VNET_HDR_LEN] {
    let v6 = p.first().is_some_and(|b| b >> 4 == 6);
    let ip_len = if v6 {
        crate::wire::ipv6::HEADER_LEN
    } else {
        usize::from(p.first().map_or(5, |b| b & 0x0f)) * 4
    };
    let tcp_hl = p.get(ip_len + 12).map_or(20, |b| usize::from(b >> 4) * 4);
    if p.len() < ip_len + tcp_hl {
        return [0u8; VNET_HDR_LEN];
    }
    let mut h = [0u8; VNET_HDR_LEN];
    h[0] = VNET_F_NEEDS_CSUM;
    h[1] = if v6 { VNET_GSO_TCPV6 } else { VNET_GSO_TCPV4 };
    h[2..4].copy_from_slice(&((ip_len + tcp_hl) as u16).to_ne_bytes());
    h[4..6].copy_from_slice(&gso_size.to_ne_bytes());
    h[6..8].copy_from_slice(&(ip_len as u16).to_ne_bytes());
    h[8..10].copy_from_slice(&16u16.to_ne_bytes());
    h
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a valid fd.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn event_loop(shared: Arc<Shared>) {
    let fd = shared.fd();
    while !shared.stop.load(Ordering::Relaxed) {
        let (timeout, watch_device) = {
            let mut inner = shared.lock();
            let next = inner.stack.next_deadline();
            inner.sleeping_until = next;
            let mut timeout = next.map(|d| d.since(shared.now()));
            // An application thread polls the device: keep out of its way, but check back
            // soon unless it has been waiting for long (then it wakes us when it leaves).
            let watch_device = !inner.app_polling;
            if !watch_device {
                if inner.app_poll_since.elapsed() < LONG_POLL {
                    timeout = Some(timeout.map_or(HANDBACK, |t| t.min(HANDBACK)));
                } else {
                    inner.loop_parked = true;
                }
            }
            (timeout, watch_device)
        };
        let mut fds = [
            libc::pollfd {
                // A negative fd is ignored by ppoll.
                fd: if watch_device { fd } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: shared.wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let rc = ppoll(&mut fds, timeout);
        if rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            let mut inner = shared.lock();
            inner.errors.last = Some(format!("ppoll: {}", io::Error::last_os_error()));
            drop(inner);
            std::thread::sleep(Duration::from_millis(1));
        }
        if fds[1].revents & libc::POLLIN != 0 {
            drain(&shared.wake);
        }
        let mut inner = shared.lock();
        inner.loop_parked = false;
        let now = shared.now();
        let mut changed = false;
        if !inner.app_polling {
            changed = shared.read_device(&mut inner, now) > 0;
        }
        if inner.stack.next_deadline().is_some_and(|d| d <= now) {
            inner.stack.on_timer(now);
            changed = true;
        }
        shared.flush(&mut inner);
        if changed {
            shared.wake_app_poller(&inner);
        }
        drop(inner);
        if changed {
            shared.cond.notify_all();
        }
    }
}

/// A [`Stack`] running on a TUN device (or any fd that reads and writes whole IP packets).
pub struct NetStack {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl NetStack {
    /// Starts the stack on `device` (e.g. a `tcp_netlab::Tun`, or the raw TUN fd), answering
    /// for the IP addresses `addrs`. The device is switched to non-blocking mode. A
    /// configuration that fails [`Config::validate`] is refused (`InvalidInput`, naming the
    /// field).
    pub fn new<D: AsFd + Send + Sync + 'static>(
        device: D,
        config: Config,
        addrs: Vec<IpAddr>,
    ) -> io::Result<NetStack> {
        Self::start(Box::new(device), false, config, addrs)
    }

    /// Starts the stack on a TUN device with a virtio-net header and offloads
    /// ([`OffloadTun`]): the kernel may pass large TCP segments and leave its TCP checksums
    /// to be completed, and the stack sends super-segments of up to ~63 KB that the kernel
    /// cuts at the MSS (TSO, [`Config::tso`] is switched on). The link MTU is unchanged.
    pub fn new_offload(
        device: OffloadTun,
        config: Config,
        addrs: Vec<IpAddr>,
    ) -> io::Result<NetStack> {
        let config = Config {
            tso: true,
            ..config
        };
        Self::start(Box::new(device), true, config, addrs)
    }

    fn start(
        device: Box<dyn AsFd + Send + Sync>,
        vnet: bool,
        config: Config,
        addrs: Vec<IpAddr>,
    ) -> io::Result<NetStack> {
        config
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        set_nonblocking(device.as_fd().as_raw_fd())?;
        // SAFETY: eventfd returns a new fd or -1.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh fd we own.
        let wake = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: as above.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh fd we own.
        let app_wake = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut stack = Stack::new(config, addrs);
        // A virtio-net device completes the checksums of the segments it cuts.
        stack.set_tso_partial_checksum(vnet);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                stack,
                sleeping_until: None,
                errors: DeviceErrors::default(),
                rx: Coalescer::new(vnet),
                coalesce: true,
                app_polling: false,
                app_poll_since: Instant::now(),
                loop_parked: false,
            }),
            cond: Condvar::new(),
            device,
            wake,
            app_wake,
            vnet,
            stop: AtomicBool::new(false),
            origin: Instant::now(),
        });
        let s2 = shared.clone();
        let thread = std::thread::Builder::new()
            .name("tcp-impl-loop".into())
            .spawn(move || event_loop(s2))?;
        Ok(NetStack {
            shared,
            thread: Some(thread),
        })
    }

    /// The stack's clock now (the time base of [`Stack`] calls made through
    /// [`NetStack::with_stack`]).
    pub fn now(&self) -> Timestamp {
        self.shared.now()
    }

    /// Runs `f` with exclusive access to the sans-IO stack; output it causes is written to the
    /// device right after. This is the low-level door for a conformance runner: every
    /// [`Stack`] call (listen, accept, connect, send, recv, shutdown, abort, state, info,
    /// set_keepalive) is available with handles.
    pub fn with_stack<R>(&self, f: impl FnOnce(&mut Stack, Timestamp) -> R) -> R {
        self.shared.with(f)
    }

    /// Counters of the stack.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stack.stats()
    }

    /// Counters of receive coalescing ([`crate::coalesce`]).
    pub fn coalesce_stats(&self) -> CoalesceStats {
        self.shared.lock().rx.stats
    }

    /// Turns receive coalescing ([`crate::coalesce`]) on (the default) or off; off, every
    /// packet read goes to the stack as it is.
    pub fn set_receive_coalescing(&self, on: bool) {
        self.shared.lock().coalesce = on;
    }

    /// Packets the device refused, and the last device error.
    pub fn device_errors(&self) -> (u64, Option<String>) {
        let inner = self.shared.lock();
        (inner.errors.tx_errors, inner.errors.last.clone())
    }

    /// Passive OPEN on `addr` with the configured backlog.
    pub fn listen(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        let lh = self.shared.with(|s, _| s.listen(addr, None))?;
        Ok(TcpListener {
            shared: self.shared.clone(),
            handle: lh,
            local: addr,
        })
    }

    /// Active OPEN to `remote`; blocks until ESTABLISHED or failure (refused, timed out).
    pub fn connect(&self, remote: SocketAddr) -> io::Result<TcpStream> {
        let h = self.shared.with(|s, now| s.connect(now, remote))?;
        self.established(h)
    }

    /// Active OPEN with the TTL / hop limit and Diffserv codepoint of every segment, the SYN
    /// included (MUST-48, MUST-49); blocks like [`NetStack::connect`].
    pub fn connect_with(&self, remote: SocketAddr, ip: IpFields) -> io::Result<TcpStream> {
        let h = self
            .shared
            .with(|s, now| s.connect_with(now, None, remote, ip))?;
        self.established(h)
    }

    /// Waits until the connection `h` is established (or failed) and wraps it.
    fn established(&self, h: SocketHandle) -> io::Result<TcpStream> {
        let stream = self.stream_from_handle(h);
        self.shared.block_on(None, |s, _| match s.info(h) {
            Some(i) if i.established => Ok(()),
            Some(ConnectionInfo { error: Some(e), .. }) => Err(e),
            Some(i) if i.state == State::Closed => Err(TcpError::NotConnected),
            Some(_) => Err(TcpError::WouldBlock),
            None => Err(TcpError::InvalidHandle),
        })?;
        Ok(stream)
    }

    /// Wraps a handle obtained through [`NetStack::with_stack`] into a stream.
    pub fn stream_from_handle(&self, handle: SocketHandle) -> TcpStream {
        TcpStream {
            shared: self.shared.clone(),
            handle,
            read_timeout: None,
            write_timeout: None,
        }
    }
}

impl Drop for NetStack {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake_loop();
        signal(&self.shared.app_wake);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.shared.cond.notify_all();
    }
}

/// A listening socket, like `std::net::TcpListener`.
pub struct TcpListener {
    shared: Arc<Shared>,
    handle: ListenerHandle,
    local: SocketAddr,
}

impl TcpListener {
    /// Blocks until a connection is established and returns it with the peer's address.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let lh = self.handle;
        let h = self.shared.block_on(None, |s, _| s.accept(lh))?;
        let peer = self
            .shared
            .with(|s, _| s.info(h).map(|i| i.remote))
            .ok_or_else(|| io::Error::from(TcpError::InvalidHandle))?;
        Ok((
            TcpStream {
                shared: self.shared.clone(),
                handle: h,
                read_timeout: None,
                write_timeout: None,
            },
            peer,
        ))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The listener's handle in the underlying [`Stack`].
    pub fn handle(&self) -> ListenerHandle {
        self.handle
    }

    /// The TTL and Diffserv codepoint of the connections it accepts from now on, from their
    /// SYN,ACK (MUST-48, MUST-49).
    pub fn set_ip_fields(&self, ip: IpFields) -> io::Result<()> {
        let lh = self.handle;
        Ok(self.shared.with(|s, _| s.set_listener_ip_fields(lh, ip))?)
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let lh = self.handle;
        self.shared.with(|s, now| s.unlisten(now, lh));
    }
}

/// A connection, like `std::net::TcpStream`: `Read`, `Write`, `shutdown`, plus `abort`.
/// Dropping it closes gracefully (FIN), like closing a socket without `SO_LINGER`.
pub struct TcpStream {
    shared: Arc<Shared>,
    handle: SocketHandle,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl TcpStream {
    /// The connection's handle in the underlying [`Stack`].
    pub fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// RFC 9293 state of the connection.
    pub fn state(&self) -> State {
        let h = self.handle;
        self.shared.with(|s, _| s.state(h))
    }

    /// A snapshot of the connection.
    pub fn info(&self) -> Option<ConnectionInfo> {
        let h = self.handle;
        self.shared.with(|s, _| s.info(h))
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.info()
            .map(|i| i.remote)
            .ok_or_else(|| TcpError::InvalidHandle.into())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.info()
            .map(|i| i.local)
            .ok_or_else(|| TcpError::InvalidHandle.into())
    }

    /// `Write` half: CLOSE, a FIN follows the queued data (`shutdown(SHUT_WR)`). `Read`
    /// has no wire effect (as in Linux); `Both` is the same as `Write`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let h = self.handle;
        match how {
            Shutdown::Read => Ok(()),
            Shutdown::Write | Shutdown::Both => {
                self.shared.with(|s, now| s.shutdown(now, h))?;
                Ok(())
            }
        }
    }

    /// ABORT: send RST and drop the connection (like `SO_LINGER` 0 then `close`).
    pub fn abort(&self) -> io::Result<()> {
        let h = self.handle;
        self.shared.with(|s, _| s.abort(h))?;
        Ok(())
    }

    /// Blocks reads for at most this long (`None`: forever).
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
    }

    /// Blocks writes for at most this long (`None`: forever).
    pub fn set_write_timeout(&mut self, t: Option<Duration>) {
        self.write_timeout = t;
    }

    /// Disables (`true`) or enables Nagle's algorithm.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let h = self.handle;
        self.shared.with(|s, _| s.set_nodelay(h, nodelay))?;
        Ok(())
    }

    /// Keepalive parameters (RFC 1122 section 4.2.3.6); `None` turns keepalive off.
    pub fn set_keepalive(&self, k: Option<KeepaliveConfig>) -> io::Result<()> {
        let h = self.handle;
        self.shared.with(|s, now| s.set_keepalive(now, h, k))?;
        Ok(())
    }

    /// SEND with the URGENT flag (RFC 9293 3.8.5): writes like `write` (blocking until some
    /// of `buf` is queued), and the urgent data ends after the last octet queued.
    pub fn send_urgent(&self, buf: &[u8]) -> io::Result<usize> {
        let h = self.handle;
        self.shared
            .block_on(self.write_timeout, |s, now| s.send_urgent(now, h, buf))
    }

    /// Urgent octets not yet read (RFC 9293 3.8.5, MUST-33): the next that many octets read
    /// are urgent data, and a read stops after them; 0 in normal mode.
    pub fn urgent_pending(&self) -> io::Result<usize> {
        let h = self.handle;
        Ok(self.shared.with(|s, _| s.urgent_pending(h))?)
    }

    /// Sets the TTL / hop limit and Diffserv codepoint of the segments sent from now on
    /// (MUST-48, MUST-49, SHLD-21).
    pub fn set_ip_fields(&self, ip: IpFields) -> io::Result<()> {
        let h = self.handle;
        Ok(self.shared.with(|s, _| s.set_ip_fields(h, ip))?)
    }

    /// Takes the oldest asynchronous report (RFC 9293 3.9.1.8: ICMP errors, excessive
    /// retransmissions, urgent data), if any.
    pub fn next_report(&self) -> io::Result<Option<Report>> {
        let h = self.handle;
        Ok(self.shared.with(|s, _| s.next_report(h))?)
    }

    /// Turns asynchronous reports on (the default) or off (SHLD-20).
    pub fn set_reports(&self, on: bool) -> io::Result<()> {
        let h = self.handle;
        Ok(self.shared.with(|s, _| s.set_reports(h, on))?)
    }

    /// Sets the connection's retransmission thresholds R1 and R2 (RFC 9293 3.8.3, MUST-21).
    pub fn set_retries(&self, r: Retries) -> io::Result<()> {
        let h = self.handle;
        Ok(self.shared.with(|s, _| s.set_retries(h, r))?)
    }

    /// Blocks until the state satisfies `pred` or `timeout` passes; returns the state.
    pub fn wait_for_state(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(State) -> bool,
    ) -> io::Result<State> {
        let h = self.handle;
        self.shared.block_on(Some(timeout), |s, _| {
            let st = s.state(h);
            if pred(st) {
                Ok(st)
            } else {
                Err(TcpError::WouldBlock)
            }
        })
    }

    fn read_impl(&self, buf: &mut [u8]) -> io::Result<usize> {
        let h = self.handle;
        self.shared
            .block_on(self.read_timeout, |s, now| match s.recv(now, h, buf) {
                Err(TcpError::NotConnected) => Ok(0),
                other => other,
            })
    }

    fn write_impl(&self, buf: &[u8]) -> io::Result<usize> {
        let h = self.handle;
        if buf.is_empty() {
            return Ok(0);
        }
        self.shared
            .block_on(self.write_timeout, |s, now| s.send(now, h, buf))
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_impl(buf)
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_impl(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_impl(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_impl(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|s, now| {
            let _ = s.release(now, h);
        });
    }
}
