//! lwIP 2.2 (the C stack of many embedded devices), compiled by cargo with the `cc` crate
//! (`build.rs`), and a small hand-written FFI to its raw TCP API (`lwip/tcp.h`) and to the
//! glue of `port/glue.c`.
//!
//! lwIP is configured with `NO_SYS = 1` (`port/lwipopts.h`): no threads, and every call,
//! callback and timer runs in the caller's thread. Its state is global (one stack per
//! process), so the caller serializes every call, and only one user may run per process.
//! The clock is the caller's ([`tcpspec_set_now`], read by lwIP's `sys_now`), and the one
//! netif writes its packets through the `tcpspec_lwip_output` symbol, which the user of this
//! crate defines (`#[no_mangle] extern "C" fn tcpspec_lwip_output(packet: *const u8, len:
//! u16)`).
//!
//! The sources under `lwip/` are lwIP's (BSD licence, `lwip/COPYING`), taken unmodified from
//! the `lwip` crate 0.3.15 (`src/`: lwIP 2.2.1 development sources); only the files this build
//! uses are kept.

#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_void};

/// `err_t`: lwIP's error codes (`lwip/err.h`).
pub type err_t = i8;
/// No error.
pub const ERR_OK: err_t = 0;
/// Out of memory.
pub const ERR_MEM: err_t = -1;
/// Operation would block / not enough buffer space.
pub const ERR_WOULDBLOCK: err_t = -7;
/// Address in use.
pub const ERR_USE: err_t = -8;
/// Already connected.
pub const ERR_ISCONN: err_t = -10;
/// Not connected.
pub const ERR_CONN: err_t = -11;
/// The connection was aborted (by `tcp_abort`, or by lwIP giving up: too many
/// retransmissions or unanswered keepalives).
pub const ERR_ABRT: err_t = -13;
/// The connection was reset by the peer.
pub const ERR_RST: err_t = -14;
/// The connection was closed (the pcb is freed after a close the application had not asked
/// for: the end of LAST-ACK without `tcp_close`).
pub const ERR_CLSD: err_t = -15;

/// `enum tcp_state` (`lwip/tcpbase.h`), RFC 9293's eleven states in lwIP's numbering.
pub const TCP_STATES: [&str; 11] = [
    "CLOSED",
    "LISTEN",
    "SYN-SENT",
    "SYN-RECEIVED",
    "ESTABLISHED",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "CLOSE-WAIT",
    "CLOSING",
    "LAST-ACK",
    "TIME-WAIT",
];

/// `TCP_WRITE_FLAG_COPY`: `tcp_write` copies the data.
pub const TCP_WRITE_FLAG_COPY: u8 = 0x01;

/// `struct tcp_pcb`, opaque: only lwIP and the glue read its fields.
#[repr(C)]
pub struct tcp_pcb {
    _opaque: [u8; 0],
}

/// `struct pbuf`, opaque: read through [`pbuf_copy_partial`] and [`tcpspec_pbuf_len`].
#[repr(C)]
pub struct pbuf {
    _opaque: [u8; 0],
}

/// `tcp_recv_fn`: data (`p`), or the peer's FIN (`p` null).
pub type tcp_recv_fn =
    unsafe extern "C" fn(arg: *mut c_void, pcb: *mut tcp_pcb, p: *mut pbuf, err: err_t) -> err_t;
/// `tcp_err_fn`: the pcb is already freed when this is called.
pub type tcp_err_fn = unsafe extern "C" fn(arg: *mut c_void, err: err_t);
/// `tcp_accept_fn`: a new connection on a listening pcb.
pub type tcp_accept_fn =
    unsafe extern "C" fn(arg: *mut c_void, newpcb: *mut tcp_pcb, err: err_t) -> err_t;
/// `tcp_connected_fn`: an active OPEN reached ESTABLISHED.
pub type tcp_connected_fn =
    unsafe extern "C" fn(arg: *mut c_void, pcb: *mut tcp_pcb, err: err_t) -> err_t;

extern "C" {
    /// Set the clock lwIP's `sys_now()` returns (milliseconds).
    pub fn tcpspec_set_now(ms: u32);
    /// `lwip_init()` and one IP-level netif for `ip4`/`prefix4` and `ip6` (16 bytes).
    pub fn tcpspec_lwip_init(ip4: *const u8, prefix4: u8, ip6: *const u8);
    /// Hand one IP packet to the netif's input.
    pub fn tcpspec_lwip_input(packet: *const u8, len: u16);
    /// A new pcb bound to `addr`:`port`; null with `*err` set on failure.
    pub fn tcpspec_tcp_bound(
        addr: *const u8,
        is6: c_int,
        port: u16,
        err: *mut err_t,
    ) -> *mut tcp_pcb;
    /// `tcp_connect` to `addr`:`port`.
    pub fn tcpspec_tcp_connect(
        pcb: *mut tcp_pcb,
        addr: *const u8,
        is6: c_int,
        port: u16,
        connected: tcp_connected_fn,
    ) -> err_t;
    /// `SOF_KEEPALIVE` with `keep_idle`, `keep_intvl` (ms) and `keep_cnt`.
    pub fn tcpspec_tcp_keepalive(pcb: *mut tcp_pcb, idle_ms: u32, intvl_ms: u32, count: u32);
    /// `tcp_nagle_disable`.
    pub fn tcpspec_tcp_nodelay(pcb: *mut tcp_pcb);
    /// `p->tot_len`.
    pub fn tcpspec_pbuf_len(p: *const pbuf) -> u16;
    /// `pcb->state`.
    pub fn tcpspec_tcp_state(pcb: *const tcp_pcb) -> c_int;
    /// `tcp_sndbuf(pcb)`.
    pub fn tcpspec_tcp_sndbuf(pcb: *const tcp_pcb) -> u32;
    /// The state of the active or TIME-WAIT pcb of a 4-tuple, -1 for none (`*found` = it).
    pub fn tcpspec_tcp_lookup(
        local: *const u8,
        lport: u16,
        remote: *const u8,
        rport: u16,
        is6: c_int,
        found: *mut *mut tcp_pcb,
    ) -> c_int;
    /// Whether `pcb` is on one of lwIP's pcb lists.
    pub fn tcpspec_tcp_alive(pcb: *const tcp_pcb) -> c_int;
    /// `sys_timeouts_sleeptime()`: ms until lwIP's next timer, `u32::MAX` for none.
    pub fn tcpspec_sleeptime() -> u32;
    /// Send every delayed ACK now (`TF_ACK_DELAY` -> `tcp_ack_now` + `tcp_output`); returns
    /// how many were sent.
    pub fn tcpspec_flush_delayed_acks() -> c_int;

    /// `tcp_arg`.
    pub fn tcp_arg(pcb: *mut tcp_pcb, arg: *mut c_void);
    /// `tcp_recv`.
    pub fn tcp_recv(pcb: *mut tcp_pcb, recv: Option<tcp_recv_fn>);
    /// `tcp_err`.
    pub fn tcp_err(pcb: *mut tcp_pcb, err: Option<tcp_err_fn>);
    /// `tcp_accept`.
    pub fn tcp_accept(pcb: *mut tcp_pcb, accept: Option<tcp_accept_fn>);
    /// `tcp_listen_with_backlog`: frees `pcb` and returns the listening pcb (null on failure).
    pub fn tcp_listen_with_backlog(pcb: *mut tcp_pcb, backlog: u8) -> *mut tcp_pcb;
    /// `tcp_write`: queue data (sent by `tcp_output`).
    pub fn tcp_write(pcb: *mut tcp_pcb, data: *const c_void, len: u16, flags: u8) -> err_t;
    /// `tcp_output`.
    pub fn tcp_output(pcb: *mut tcp_pcb) -> err_t;
    /// `tcp_recved`: the application took `len` bytes (opens the window).
    pub fn tcp_recved(pcb: *mut tcp_pcb, len: u16);
    /// `tcp_shutdown`.
    pub fn tcp_shutdown(pcb: *mut tcp_pcb, shut_rx: c_int, shut_tx: c_int) -> err_t;
    /// `tcp_close`: the application lets go of the pcb.
    pub fn tcp_close(pcb: *mut tcp_pcb) -> err_t;
    /// `tcp_abort`: RST and free (calls the error callback with `ERR_ABRT`).
    pub fn tcp_abort(pcb: *mut tcp_pcb);
    /// `pbuf_copy_partial`.
    pub fn pbuf_copy_partial(p: *const pbuf, data: *mut c_void, len: u16, offset: u16) -> u16;
    /// `pbuf_free`.
    pub fn pbuf_free(p: *mut pbuf) -> u8;
    /// `sys_check_timeouts`: run lwIP's timers that are due.
    pub fn sys_check_timeouts();
}
