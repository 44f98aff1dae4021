//! One connection: the transmission control block and the RFC 9293 section 3.10 event
//! processing (user calls, segment arrival, timeouts). Sans-IO: segments to send are queued
//! in an outbox that the [`crate::Stack`] drains, and time is always passed in.

use crate::config::{Config, KeepaliveConfig};
use crate::congestion::{AckAction, NewReno};
use crate::error::TcpError;
use crate::reassembly::Reassembly;
use crate::rto::RtoEstimator;
use crate::seq::SeqNum;
use crate::state::State;
use crate::time::{earliest, Timestamp};
use crate::wire::{Flags, TcpHeader, TcpOptions};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

/// Default send MSS when the peer sends no MSS option (RFC 9293 section 3.7.1: 536 for
/// IPv4, RFC 8200 section 5 minimum MTU 1280 minus headers = 1220 for IPv6).
fn default_mss(v6: bool) -> u32 {
    if v6 {
        1220
    } else {
        536
    }
}

/// Largest window scale shift (RFC 7323 section 2.3).
const MAX_WSCALE: u8 = 14;

/// A segment the connection wants sent.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub header: TcpHeader,
    pub payload: Vec<u8>,
    /// For a TSO super-segment (payload larger than the MSS): the MSS to cut it at.
    pub gso_size: u16,
}

/// Counters a connection accumulates for the stack's [`crate::Stats`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnCounters {
    pub retransmits: u64,
    pub fast_retransmits: u64,
    pub rto_expiries: u64,
    pub challenge_acks: u64,
    pub challenge_acks_suppressed: u64,
    pub segments_in: u64,
    pub segments_out: u64,
}

/// The per-connection parameters copied from [`Config`].
#[derive(Clone, Debug)]
struct ConnParams {
    msl: Duration,
    max_retries: u32,
    syn_retries: u32,
    delayed_ack: Duration,
    ack_every: usize,
    nodelay: bool,
    keepalive: Option<KeepaliveConfig>,
    recv_buffer: usize,
    send_buffer: usize,
    window_scaling: bool,
    our_mss: u16,
    challenge_ack_limit: u32,
    tso: bool,
}

/// The transmission control block of one connection (RFC 9293 section 3.3.1).
#[derive(Debug)]
pub(crate) struct Connection {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    state: State,
    /// Created by a listener (passive OPEN): an RST in SYN-RECEIVED returns to LISTEN.
    passive: bool,
    p: ConnParams,

    // Send sequence space (RFC 9293 section 3.3.1, figure 4). `snd_max` is the highest
    // sequence number ever sent (RFC 9293's SND.NXT); `snd_nxt` moves back to SND.UNA
    // after a timeout so that the window is resent (go-back-N).
    iss: SeqNum,
    snd_una: SeqNum,
    snd_nxt: SeqNum,
    snd_max: SeqNum,
    snd_wnd: u32,
    snd_wl1: SeqNum,
    snd_wl2: SeqNum,
    max_snd_wnd: u32,
    snd_wscale: u8,
    rcv_wscale: u8,
    /// The peer's SYN carried the window scale option (RFC 7323 section 2.2).
    wscale_ok: bool,
    send_buf: VecDeque<u8>,
    /// Sequence number of our FIN once CLOSE was called (and the SYN is acknowledged).
    fin_seq: Option<SeqNum>,
    /// CLOSE was called before the connection was established.
    close_requested: bool,
    mss: u32,

    // Receive sequence space.
    irs: SeqNum,
    rcv_nxt: SeqNum,
    /// Right edge of the window last advertised (RCV.NXT + RCV.WND).
    rcv_adv: SeqNum,
    recv_buf: VecDeque<u8>,
    reasm: Reassembly,
    fin_received: bool,

    // Timers and their state.
    rto: RtoEstimator,
    rtx_deadline: Option<Timestamp>,
    retries: u32,
    /// Karn's algorithm (RFC 6298 section 3): one timed segment; cleared on retransmission.
    rtt_probe: Option<(SeqNum, Timestamp)>,
    syn_retransmitted: bool,
    persist_deadline: Option<Timestamp>,
    persist_backoff: u32,
    /// The sender SWS override timer fired: send a less-than-MSS segment now.
    sws_override: bool,
    cc: NewReno,
    ack_now: bool,
    delack_deadline: Option<Timestamp>,
    unacked_bytes: usize,
    keepalive_deadline: Option<Timestamp>,
    keepalive_probes: u32,
    timewait_deadline: Option<Timestamp>,
    orphan_deadline: Option<Timestamp>,
    orphaned: bool,

    challenge_window: Timestamp,
    challenge_count: u32,

    error: Option<TcpError>,
    established: bool,
    out: Vec<Outgoing>,
    pub counters: ConnCounters,
}

impl Connection {
    fn params(cfg: &Config, v6: bool) -> ConnParams {
        let ip_tcp = if v6 { 60 } else { 40 };
        ConnParams {
            msl: cfg.msl,
            max_retries: cfg.max_retries,
            syn_retries: cfg.syn_retries,
            delayed_ack: cfg.delayed_ack,
            ack_every: cfg.ack_every_segments.max(1) as usize,
            nodelay: cfg.nodelay,
            keepalive: cfg.keepalive,
            recv_buffer: cfg.recv_buffer.max(1),
            send_buffer: cfg.send_buffer.max(1),
            window_scaling: cfg.window_scaling,
            challenge_ack_limit: cfg.challenge_ack_limit,
            tso: cfg.tso,
            our_mss: cfg.mtu.saturating_sub(ip_tcp).clamp(64, 65535) as u16,
        }
    }

    fn blank(
        cfg: &Config,
        local: SocketAddr,
        remote: SocketAddr,
        iss: SeqNum,
        passive: bool,
    ) -> Connection {
        let v6 = local.is_ipv6();
        let p = Self::params(cfg, v6);
        let rcv_wscale = if p.window_scaling {
            let mut s = 0u8;
            while s < MAX_WSCALE && (p.recv_buffer >> s) > 65535 {
                s += 1;
            }
            s
        } else {
            0
        };
        let mss = default_mss(v6);
        Connection {
            local,
            remote,
            state: State::Closed,
            passive,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            snd_wl1: SeqNum(0),
            snd_wl2: iss,
            max_snd_wnd: 0,
            snd_wscale: 0,
            rcv_wscale,
            wscale_ok: false,
            send_buf: VecDeque::new(),
            fin_seq: None,
            close_requested: false,
            mss,
            irs: SeqNum(0),
            rcv_nxt: SeqNum(0),
            rcv_adv: SeqNum(0),
            recv_buf: VecDeque::new(),
            reasm: Reassembly::default(),
            fin_received: false,
            rto: RtoEstimator::new(cfg.initial_rto, cfg.min_rto, cfg.max_rto),
            rtx_deadline: None,
            retries: 0,
            rtt_probe: None,
            syn_retransmitted: false,
            persist_deadline: None,
            persist_backoff: 0,
            sws_override: false,
            cc: NewReno::new(mss, iss),
            ack_now: false,
            delack_deadline: None,
            unacked_bytes: 0,
            keepalive_deadline: None,
            keepalive_probes: 0,
            timewait_deadline: None,
            orphan_deadline: None,
            orphaned: false,
            challenge_window: Timestamp::ZERO,
            challenge_count: 0,
            error: None,
            established: false,
            out: Vec::new(),
            counters: ConnCounters::default(),
            p,
        }
    }

    /// Active OPEN (RFC 9293 section 3.10.1): send a SYN and enter SYN-SENT.
    pub fn connect(
        now: Timestamp,
        cfg: &Config,
        local: SocketAddr,
        remote: SocketAddr,
        iss: u32,
    ) -> Connection {
        let mut c = Self::blank(cfg, local, remote, SeqNum(iss), false);
        c.state = State::SynSent;
        c.send_syn(now, false);
        c.snd_nxt = c.iss.plus(1);
        c.snd_max = c.snd_nxt;
        c.rtx_deadline = Some(now + c.rto.rto());
        c.rtt_probe = Some((c.snd_nxt, now));
        c
    }

    /// A SYN arrived at a listener (RFC 9293 section 3.10.7.2, third check): create the
    /// connection in SYN-RECEIVED and send SYN,ACK.
    pub fn accept_syn(
        now: Timestamp,
        cfg: &Config,
        local: SocketAddr,
        remote: SocketAddr,
        iss: u32,
        syn: &TcpHeader,
    ) -> Connection {
        let mut c = Self::blank(cfg, local, remote, SeqNum(iss), true);
        c.state = State::SynReceived;
        c.take_syn(syn);
        c.send_syn(now, true);
        c.snd_nxt = c.iss.plus(1);
        c.snd_max = c.snd_nxt;
        c.rtx_deadline = Some(now + c.rto.rto());
        c.rtt_probe = Some((c.snd_nxt, now));
        c.last_heard(now);
        c
    }

    /// Records the peer's SYN: IRS, RCV.NXT, send window and options (MSS, RFC 9293
    /// section 3.7.1; window scale, RFC 7323 section 2.2: in effect only if both sides sent it).
    fn take_syn(&mut self, syn: &TcpHeader) {
        self.irs = SeqNum(syn.seq);
        self.rcv_nxt = self.irs.plus(1);
        let mss = syn
            .options
            .mss
            .map(u32::from)
            .unwrap_or(default_mss(self.local.is_ipv6()));
        self.mss = mss.min(u32::from(self.p.our_mss)).max(64);
        self.cc.set_mss(self.mss);
        match syn.options.window_scale {
            Some(s) if self.p.window_scaling => {
                self.snd_wscale = s.min(MAX_WSCALE);
                self.wscale_ok = true;
            }
            _ => {
                self.snd_wscale = 0;
                self.rcv_wscale = 0;
            }
        }
        // The window of a SYN segment is never scaled (RFC 7323 section 2.2).
        self.snd_wnd = u32::from(syn.window);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = SeqNum(syn.seq);
        self.snd_wl2 = SeqNum(syn.ack);
        self.rcv_adv = self.rcv_nxt;
    }

    // ----------------------------------------------------------------------------------
    // Queries.

    pub fn state(&self) -> State {
        self.state
    }
    /// True once the connection has reached ESTABLISHED (even if it has closed since).
    pub fn was_established(&self) -> bool {
        self.established
    }
    pub fn error(&self) -> Option<TcpError> {
        self.error
    }
    pub fn readable(&self) -> usize {
        self.recv_buf.len()
    }
    /// End of stream: the peer's FIN arrived and every byte before it was read.
    pub fn at_eof(&self) -> bool {
        self.fin_received && self.recv_buf.is_empty()
    }
    /// Free space in the send buffer.
    pub fn send_space(&self) -> usize {
        self.p.send_buffer.saturating_sub(self.send_buf.len())
    }
    /// Bytes queued for sending and not yet acknowledged.
    pub fn send_queued(&self) -> usize {
        self.send_buf.len()
    }
    pub fn cwnd(&self) -> u32 {
        self.cc.cwnd()
    }
    pub fn srtt(&self) -> Option<Duration> {
        self.rto.srtt()
    }
    pub fn mss(&self) -> u32 {
        self.mss
    }

    /// RFC 1122 section 4.2.2.13 (and RFC 9293 section 3.10.7.4, TIME-WAIT): a new SYN
    /// whose sequence number is beyond the old incarnation's RCV.NXT may reopen the
    /// connection from TIME-WAIT, so the old one can be dropped in its favour.
    pub fn syn_may_reopen(&self, h: &TcpHeader) -> bool {
        self.state == State::TimeWait
            && h.flags.contains(Flags::SYN)
            && !h.flags.contains(Flags::ACK)
            && !h.flags.contains(Flags::RST)
            && SeqNum(h.seq).gt(self.rcv_nxt)
    }

    /// Drains the segments waiting to be sent.
    pub fn take_output(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.out)
    }

    /// The earliest time at which [`Connection::on_timer`] has work to do.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        [
            self.rtx_deadline,
            self.persist_deadline,
            self.delack_deadline,
            self.keepalive_deadline,
            self.timewait_deadline,
            self.orphan_deadline,
        ]
        .into_iter()
        .fold(None, earliest)
    }

    // ----------------------------------------------------------------------------------
    // Segment construction.

    /// The window field to advertise, and the update of the advertised right edge. The
    /// right edge never moves left (RFC 9293 section 3.8.6.2.2: do not shrink the window).
    ///
    /// Receiver-side silly window avoidance (RFC 9293 section 3.8.6.2.2): the right edge
    /// moves only in steps of at least min(buffer / 2, MSS), so a slow reader never
    /// advertises tiny windows.
    fn window_field(&mut self, syn: bool) -> u16 {
        let free = self.p.recv_buffer.saturating_sub(self.recv_buf.len()) as u32;
        let shift = if syn { 0 } else { self.rcv_wscale };
        let edge = self.rcv_nxt.plus((free >> shift).min(65535) << shift);
        if edge.gt(self.rcv_adv) && (syn || edge.since(self.rcv_adv) >= self.sws_threshold()) {
            self.rcv_adv = edge;
        }
        let wnd = if self.rcv_adv.gt(self.rcv_nxt) {
            self.rcv_adv.since(self.rcv_nxt)
        } else {
            0
        };
        (wnd >> shift).min(65535) as u16
    }

    /// The window increment worth announcing: min(buffer / 2, MSS).
    fn sws_threshold(&self) -> u32 {
        (self.p.recv_buffer as u32 / 2).min(self.mss).max(1)
    }

    fn push(&mut self, seq: SeqNum, flags: Flags, payload: Vec<u8>, options: TcpOptions) {
        let syn = flags.contains(Flags::SYN);
        let ack = if flags.contains(Flags::ACK) {
            self.rcv_nxt.0
        } else {
            0
        };
        let window = if flags.contains(Flags::RST) && !flags.contains(Flags::ACK) {
            0
        } else {
            self.window_field(syn)
        };
        if flags.contains(Flags::ACK) {
            // Every segment carrying an ACK satisfies pending ACK obligations.
            self.ack_now = false;
            self.delack_deadline = None;
            self.unacked_bytes = 0;
        }
        self.counters.segments_out += 1;
        self.out.push(Outgoing {
            header: TcpHeader {
                src_port: self.local.port(),
                dst_port: self.remote.port(),
                seq: seq.0,
                ack,
                flags,
                window,
                urgent: 0,
                options,
            },
            gso_size: if payload.len() > self.mss as usize {
                self.mss as u16
            } else {
                0
            },
            payload,
        });
    }

    fn syn_options(&self, reply: bool) -> TcpOptions {
        TcpOptions {
            mss: Some(self.p.our_mss),
            // RFC 7323 section 2.2: a SYN,ACK may carry the option only if the SYN did.
            window_scale: if self.p.window_scaling && (!reply || self.wscale_ok) {
                Some(self.rcv_wscale)
            } else {
                None
            },
            sack_permitted: false,
            timestamps: None,
        }
    }

    fn send_syn(&mut self, _now: Timestamp, with_ack: bool) {
        let flags = if with_ack {
            Flags::SYN | Flags::ACK
        } else {
            Flags::SYN
        };
        let opts = self.syn_options(with_ack);
        self.push(self.iss, flags, Vec::new(), opts);
    }

    /// An ACK <SEQ=SND.NXT><ACK=RCV.NXT>.
    fn send_ack(&mut self) {
        self.push(self.snd_nxt, Flags::ACK, Vec::new(), TcpOptions::default());
    }

    /// RFC 5961 challenge ACK (sections 3.2, 4.2 and 5.2).
    ///
    /// Throttled per RFC 5961 section 7: at most `challenge_ack_limit` per second per
    /// connection; the rest are counted and suppressed.
    fn challenge_ack(&mut self, now: Timestamp) {
        if now.since(self.challenge_window) >= Duration::from_secs(1) {
            self.challenge_window = now;
            self.challenge_count = 0;
        }
        if self.challenge_count >= self.p.challenge_ack_limit {
            self.counters.challenge_acks_suppressed += 1;
            return;
        }
        self.challenge_count += 1;
        self.counters.challenge_acks += 1;
        self.send_ack();
    }

    /// A reset <SEQ=seq><CTL=RST>.
    fn send_rst(&mut self, seq: SeqNum) {
        self.push(seq, Flags::RST, Vec::new(), TcpOptions::default());
    }

    // ----------------------------------------------------------------------------------
    // State changes.

    /// Gives back buffer capacity a finished direction no longer needs (a TIME-WAIT or
    /// CLOSED connection may live on for minutes; its unread data is kept).
    fn release_memory(&mut self) {
        if self.send_buf.is_empty() {
            self.send_buf = VecDeque::new();
        }
        self.recv_buf.shrink_to_fit();
        self.reasm = Reassembly::default();
    }

    fn enter_closed(&mut self, error: Option<TcpError>) {
        self.state = State::Closed;
        if self.error.is_none() {
            self.error = error;
        }
        if error.is_some() {
            // RFC 9293 section 3.10.7.4: on reset, queues are flushed.
            self.send_buf.clear();
            self.recv_buf.clear();
        }
        self.rtx_deadline = None;
        self.persist_deadline = None;
        self.delack_deadline = None;
        self.keepalive_deadline = None;
        self.timewait_deadline = None;
        self.orphan_deadline = None;
        self.ack_now = false;
        self.release_memory();
    }

    fn enter_time_wait(&mut self, now: Timestamp) {
        self.state = State::TimeWait;
        self.release_memory();
        self.rtx_deadline = None;
        self.persist_deadline = None;
        self.keepalive_deadline = None;
        self.orphan_deadline = None;
        self.timewait_deadline = Some(now + self.p.msl * 2);
    }

    fn enter_established(&mut self, now: Timestamp) {
        self.state = State::Established;
        self.established = true;
        if self.syn_retransmitted {
            self.rto.reset_after_syn_loss();
        }
        self.last_heard(now);
        if self.close_requested {
            self.close_requested = false;
            self.begin_close();
        }
    }

    /// A segment arrived: restarts the keepalive idle timer (RFC 1122 section 4.2.3.6).
    fn last_heard(&mut self, now: Timestamp) {
        self.keepalive_probes = 0;
        self.keepalive_deadline = match self.p.keepalive {
            Some(k) if self.keepalive_applies() => Some(now + k.idle),
            _ => None,
        };
    }

    fn keepalive_applies(&self) -> bool {
        matches!(
            self.state,
            State::Established | State::CloseWait | State::FinWait2
        )
    }

    /// The sequence number right after our last data byte (where our FIN goes).
    fn data_end(&self) -> SeqNum {
        self.fin_seq
            .unwrap_or_else(|| self.snd_una.plus(self.send_buf.len() as u32))
    }

    fn fin_acked(&self) -> bool {
        self.fin_seq.is_some_and(|f| self.snd_una.gt(f))
    }

    fn begin_close(&mut self) {
        self.fin_seq = Some(self.snd_una.plus(self.send_buf.len() as u32));
        self.state = match self.state {
            State::CloseWait => State::LastAck,
            _ => State::FinWait1,
        };
    }

    // ----------------------------------------------------------------------------------
    // User calls (RFC 9293 section 3.10.2 - 3.10.5).

    /// SEND: queues as much of `data` as fits in the send buffer.
    pub fn send(&mut self, now: Timestamp, data: &[u8]) -> Result<usize, TcpError> {
        match self.state {
            State::SynSent | State::SynReceived if !self.close_requested => {}
            State::Established | State::CloseWait => {}
            State::Closed => return Err(self.error.unwrap_or(TcpError::NotConnected)),
            _ => return Err(TcpError::Closing),
        }
        let n = data.len().min(self.send_space());
        if n == 0 {
            return Err(TcpError::WouldBlock);
        }
        self.send_buf.extend(&data[..n]);
        self.output(now);
        Ok(n)
    }

    /// RECEIVE: copies buffered in-order data into `buf`. `Ok(0)` means end of stream.
    pub fn recv(&mut self, now: Timestamp, buf: &mut [u8]) -> Result<usize, TcpError> {
        if self.recv_buf.is_empty() {
            if let Some(e) = self.error {
                return Err(e);
            }
            if self.fin_received || buf.is_empty() {
                return Ok(0);
            }
            if self.state == State::Closed {
                return Err(TcpError::NotConnected);
            }
            return Err(TcpError::WouldBlock);
        }
        let before = self.rcv_adv.since(self.rcv_nxt);
        let n = buf.len().min(self.recv_buf.len());
        let (a, b) = self.recv_buf.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        self.recv_buf.drain(..n);
        // Receiver-side silly window avoidance (RFC 9293 section 3.8.6.2.2): announce the
        // opened window once it grew by min(buffer / 2, MSS).
        let free = self.p.recv_buffer.saturating_sub(self.recv_buf.len()) as u32;
        let threshold = self.sws_threshold();
        if matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) && free.saturating_sub(before) >= threshold
        {
            self.ack_now = true;
        }
        self.output(now);
        Ok(n)
    }

    /// CLOSE (RFC 9293 section 3.10.4): no more data will be sent; a FIN follows the queued
    /// data.
    pub fn close(&mut self, now: Timestamp) -> Result<(), TcpError> {
        match self.state {
            // "Delete the TCB"; any queued SENDs are answered "closing".
            State::SynSent => self.enter_closed(None),
            // Queue the FIN until ESTABLISHED (our SYN must be acknowledged first).
            State::SynReceived => self.close_requested = true,
            State::Established | State::CloseWait => self.begin_close(),
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => return Err(TcpError::Closing),
            State::Closed | State::Listen => {
                return Err(self.error.unwrap_or(TcpError::NotConnected))
            }
        }
        self.output(now);
        Ok(())
    }

    /// ABORT (RFC 9293 section 3.10.5): send RST in SYN-RECEIVED and the synchronized
    /// states that have not closed, then drop the TCB.
    pub fn abort(&mut self) {
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => self.send_rst(self.snd_max),
            _ => {}
        }
        self.enter_closed(None);
        self.send_buf.clear();
        self.recv_buf.clear();
    }

    /// The application released its handle: the connection finishes on its own, and an
    /// orphan in FIN-WAIT-2 is dropped after 2*MSL rather than waiting forever.
    pub fn orphan(&mut self, now: Timestamp) {
        self.orphaned = true;
        if self.state == State::FinWait2 {
            self.orphan_deadline = Some(now + self.p.msl * 2);
        }
    }

    /// Turns keepalive on or off (RFC 1122 section 4.2.3.6).
    pub fn set_keepalive(&mut self, now: Timestamp, k: Option<KeepaliveConfig>) {
        self.p.keepalive = k;
        self.last_heard(now);
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.p.nodelay = nodelay;
    }

    // ----------------------------------------------------------------------------------
    // Segment arrival (RFC 9293 section 3.10.7).

    /// Processes one arriving segment addressed to this connection.
    pub fn on_segment(&mut self, now: Timestamp, h: &TcpHeader, payload: &[u8]) {
        self.counters.segments_in += 1;
        match self.state {
            State::SynSent => self.on_segment_syn_sent(now, h),
            State::Closed | State::Listen => {}
            _ => self.on_segment_synchronized(now, h, payload),
        }
        self.output(now);
    }

    /// RFC 9293 section 3.10.7.3, SYN-SENT.
    fn on_segment_syn_sent(&mut self, now: Timestamp, h: &TcpHeader) {
        let ack = SeqNum(h.ack);
        let has_ack = h.flags.contains(Flags::ACK);
        // First, check the ACK bit.
        if has_ack && (ack.le(self.iss) || ack.gt(self.snd_max)) {
            if !h.flags.contains(Flags::RST) {
                self.send_rst(ack);
            }
            return;
        }
        // Second, the RST bit: valid only if it acknowledges our SYN (RFC 5961 section 3.2).
        if h.flags.contains(Flags::RST) {
            if has_ack {
                self.enter_closed(Some(TcpError::Refused));
            }
            return;
        }
        // Fourth, the SYN bit.
        if !h.flags.contains(Flags::SYN) {
            return;
        }
        self.take_syn(h);
        self.last_heard(now);
        if has_ack {
            self.ack_advances(now, ack);
        }
        if self.snd_una.gt(self.iss) {
            self.snd_wl1 = SeqNum(h.seq);
            self.snd_wl2 = ack;
            self.enter_established(now);
            self.ack_now = true;
        } else {
            // Simultaneous open (RFC 9293 section 3.5, figure 8): SYN,ACK with our ISS.
            self.state = State::SynReceived;
            self.send_syn(now, true);
            self.rtx_deadline = Some(now + self.rto.rto());
        }
    }

    /// Advances SND.UNA to `ack` (ACK of new data or of our SYN/FIN), taking an RTT sample
    /// if the timed segment is covered (Karn: the probe is cleared on retransmission).
    fn ack_advances(&mut self, now: Timestamp, ack: SeqNum) -> u32 {
        let acked = ack.since(self.snd_una);
        // Sequence space before the data (our SYN) carries no bytes.
        let syn_part = u32::from(self.snd_una == self.iss);
        let data_acked = (acked.saturating_sub(syn_part) as usize).min(self.send_buf.len());
        self.send_buf.drain(..data_acked);
        self.snd_una = ack;
        if self.snd_nxt.lt(ack) {
            self.snd_nxt = ack;
        }
        if let Some((s, t)) = self.rtt_probe {
            if ack.ge(s) {
                self.rto.sample(now.since(t));
                self.rtt_probe = None;
            }
        }
        self.retries = 0;
        self.rtx_deadline = if self.snd_una == self.snd_max {
            None
        } else {
            Some(now + self.rto.rto())
        };
        acked
    }

    /// RFC 9293 section 3.10.7.4: the states from SYN-RECEIVED on.
    fn on_segment_synchronized(&mut self, now: Timestamp, h: &TcpHeader, payload: &[u8]) {
        let mut seq = SeqNum(h.seq);
        let mut syn = h.flags.contains(Flags::SYN);
        let fin = h.flags.contains(Flags::FIN);
        let rst = h.flags.contains(Flags::RST);

        if self.state == State::SynReceived && syn && !rst && seq == self.irs {
            if !h.flags.contains(Flags::ACK) {
                // A retransmitted SYN means our SYN,ACK was lost: resend it (RFC 9293
                // section 3.8.1 retransmission; Linux does the same).
                self.counters.retransmits += 1;
                self.send_syn(now, true);
                return;
            }
            // Simultaneous open (RFC 9293 section 3.5, figure 8): the peer's SYN,ACK repeats
            // the SYN we already have. Trim that SYN and go on with the ACK it carries.
            seq = seq.plus(1);
            syn = false;
        }
        let seg_len = payload.len() as u32 + u32::from(syn) + u32::from(fin);

        // First: sequence number check (RFC 9293 section 3.10.7.4, the four cases).
        let rcv_wnd = if self.rcv_adv.gt(self.rcv_nxt) {
            self.rcv_adv.since(self.rcv_nxt)
        } else {
            0
        };
        let acceptable = match (seg_len, rcv_wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, w) => seq.in_window(self.rcv_nxt, w),
            (_, 0) => false,
            (l, w) => seq.in_window(self.rcv_nxt, w) || seq.plus(l - 1).in_window(self.rcv_nxt, w),
        };
        if !acceptable {
            if !rst {
                // A retransmitted FIN in TIME-WAIT restarts the 2*MSL timer (RFC 9293
                // section 3.10.7.4, eighth step, TIME-WAIT).
                if self.state == State::TimeWait && fin {
                    self.timewait_deadline = Some(now + self.p.msl * 2);
                }
                self.ack_now = true;
            }
            return;
        }
        self.last_heard(now);

        // Second: the RST bit, with RFC 5961 section 3.2: reset only on an exact match of
        // RCV.NXT, otherwise a challenge ACK.
        if rst {
            if seq != self.rcv_nxt {
                self.challenge_ack(now);
                return;
            }
            match self.state {
                // Passive open: "return to LISTEN"; the listener still exists, this TCB goes.
                State::SynReceived if self.passive => self.enter_closed(None),
                State::SynReceived => self.enter_closed(Some(TcpError::Refused)),
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.enter_closed(Some(TcpError::Reset))
                }
                _ => self.enter_closed(None),
            }
            return;
        }

        // Fourth: the SYN bit (RFC 9293 section 3.10.7.4; RFC 5961 section 4.2).
        if syn {
            if self.state == State::SynReceived && self.passive {
                // "Return this connection to the LISTEN state": drop the embryonic TCB.
                self.enter_closed(None);
            } else {
                self.challenge_ack(now);
            }
            return;
        }

        // Fifth: the ACK field.
        if !h.flags.contains(Flags::ACK) {
            return;
        }
        let ack = SeqNum(h.ack);
        if self.state == State::SynReceived {
            if self.snd_una.lt(ack) && ack.le(self.snd_max) {
                self.ack_advances(now, ack);
                self.snd_wnd = u32::from(h.window) << self.snd_wscale;
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seq;
                self.snd_wl2 = ack;
                self.enter_established(now);
            } else {
                self.send_rst(ack);
                return;
            }
        }
        if !self.process_ack(now, h, seq, ack, payload.len()) {
            return;
        }
        match self.state {
            State::FinWait1 if self.fin_acked() => {
                self.state = State::FinWait2;
                self.last_heard(now);
                if self.orphaned {
                    self.orphan_deadline = Some(now + self.p.msl * 2);
                }
            }
            State::Closing => {
                if self.fin_acked() {
                    self.enter_time_wait(now);
                }
                return;
            }
            State::LastAck => {
                if self.fin_acked() {
                    self.enter_closed(None);
                }
                return;
            }
            _ => {}
        }

        // Sixth (URG) is not implemented: the urgent pointer is ignored (RFC 6093 advises
        // against its use).

        // Seventh: segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only.
        let accepts_data = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        let mut fin_ready = false;
        if accepts_data {
            fin_ready = self.process_text(now, seq, payload, fin);
        } else if fin && seq.plus(payload.len() as u32) == self.rcv_nxt {
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a retransmitted FIN.
            fin_ready = false;
            self.ack_now = true;
            if self.state == State::TimeWait {
                self.timewait_deadline = Some(now + self.p.msl * 2);
            }
        }

        // Eighth: the FIN bit.
        if fin_ready {
            self.rcv_nxt = self.rcv_nxt.plus(1);
            self.fin_received = true;
            self.ack_now = true;
            match self.state {
                State::Established => self.state = State::CloseWait,
                State::FinWait1 => {
                    if self.fin_acked() {
                        self.enter_time_wait(now);
                    } else {
                        self.state = State::Closing;
                    }
                }
                State::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
            if !self.keepalive_applies() {
                self.keepalive_deadline = None;
            }
        }
    }

    /// The ACK processing of the fifth step for synchronized states. Returns false when the
    /// segment must be dropped.
    fn process_ack(
        &mut self,
        now: Timestamp,
        h: &TcpHeader,
        seq: SeqNum,
        ack: SeqNum,
        payload_len: usize,
    ) -> bool {
        // RFC 9293: an ACK for something not yet sent is answered with an ACK and dropped.
        if ack.gt(self.snd_max) {
            self.ack_now = true;
            return false;
        }
        // RFC 5961 section 5.2: acceptable only if SND.UNA - MAX.SND.WND <= SEG.ACK.
        if ack.lt(self.snd_una.minus(self.max_snd_wnd)) {
            self.challenge_ack(now);
            return false;
        }
        let wnd = u32::from(h.window) << self.snd_wscale;
        if ack.gt(self.snd_una) {
            let acked = self.ack_advances(now, ack);
            let flight = self.snd_max.since(self.snd_una);
            if self.cc.on_new_ack(ack, acked, flight) == AckAction::RetransmitFirst {
                self.retransmit_first(now);
            }
        } else if ack == self.snd_una
            && payload_len == 0
            && !h.flags.contains(Flags::SYN)
            && !h.flags.contains(Flags::FIN)
            && wnd == self.snd_wnd
            && self.snd_max != self.snd_una
        {
            // A duplicate ACK, RFC 5681 section 2.
            let flight = self.snd_max.since(self.snd_una);
            if self.cc.on_dup_ack(ack, flight, self.snd_max) == AckAction::RetransmitFirst {
                self.counters.fast_retransmits += 1;
                self.retransmit_first(now);
            }
        }
        // Window update (RFC 9293 section 3.10.7.4, fifth step).
        if self.snd_una.le(ack)
            && (self.snd_wl1.lt(seq) || (self.snd_wl1 == seq && self.snd_wl2.le(ack)))
        {
            self.snd_wnd = wnd;
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
            if wnd > 0 {
                self.persist_deadline = None;
                self.persist_backoff = 0;
            }
        }
        true
    }

    /// Accepts the part of `payload` inside the window; returns true when the FIN (of this
    /// segment, or one queued earlier out of order) is now next in sequence.
    fn process_text(&mut self, now: Timestamp, seq: SeqNum, payload: &[u8], fin: bool) -> bool {
        let mut data = payload;
        let mut start = seq;
        let mut fin = fin;
        // Trim to the window: the part before RCV.NXT is old, the part past the advertised
        // edge is not accepted (and a FIN after it is not either).
        if start.lt(self.rcv_nxt) {
            let skip = (self.rcv_nxt.since(start) as usize).min(data.len());
            data = &data[skip..];
            start = self.rcv_nxt;
        }
        let room = if self.rcv_adv.gt(start) {
            self.rcv_adv.since(start) as usize
        } else {
            0
        };
        if data.len() > room {
            data = &data[..room];
            fin = false;
        }
        if start != self.rcv_nxt {
            if data.is_empty() && !fin {
                return false;
            }
            // Out of order: queue it and send an immediate duplicate ACK (RFC 5681 section 4.2).
            self.reasm.insert(self.rcv_nxt, start, data, fin);
            self.ack_now = true;
            return false;
        }
        let gap_was_open = !self.reasm.is_empty();
        self.recv_buf.extend(data);
        self.rcv_nxt = self.rcv_nxt.plus(data.len() as u32);
        let mut fin_ready = fin;
        if gap_was_open {
            let (more, queued_fin) = self.reasm.pop_ready(self.rcv_nxt);
            self.recv_buf.extend(&more);
            self.rcv_nxt = self.rcv_nxt.plus(more.len() as u32);
            fin_ready |= queued_fin;
            // Filling a gap is acknowledged at once (RFC 5681 section 4.2).
            self.ack_now = true;
        }
        if !data.is_empty() {
            // Delayed ACK (RFC 1122 section 4.2.3.2, RFC 5681 section 4.2): at least every
            // second full-sized segment, and within the delayed-ACK timeout.
            self.unacked_bytes += data.len();
            let full = usize::from(self.p.our_mss).min(self.mss as usize);
            if self.unacked_bytes >= self.p.ack_every * full {
                self.ack_now = true;
            } else if self.delack_deadline.is_none() {
                self.delack_deadline = Some(now + self.p.delayed_ack);
            }
        }
        fin_ready
    }

    // ----------------------------------------------------------------------------------
    // Sending.

    /// Copies `len` bytes of the send buffer starting at sequence number `seq`.
    fn copy_out(&self, seq: SeqNum, len: usize) -> Vec<u8> {
        let off = seq.since(self.snd_una) as usize;
        let mut v = Vec::with_capacity(len);
        let (a, b) = self.send_buf.as_slices();
        if off < a.len() {
            let end = (off + len).min(a.len());
            v.extend_from_slice(&a[off..end]);
            let rest = len - (end - off);
            v.extend_from_slice(&b[..rest]);
        } else {
            let o = off - a.len();
            v.extend_from_slice(&b[o..o + len]);
        }
        v
    }

    /// Resends the first unacknowledged segment (fast retransmit, RFC 5681 section 3.2; or
    /// a NewReno partial ACK), leaving SND.NXT alone.
    fn retransmit_first(&mut self, now: Timestamp) {
        let end = self.data_end();
        let avail = if self.snd_una.lt(end) {
            end.since(self.snd_una)
        } else {
            0
        };
        let len = avail.min(self.mss) as usize;
        let with_fin = self.fin_seq == Some(self.snd_una.plus(len as u32))
            && self.snd_max.gt(self.snd_una.plus(len as u32));
        if len == 0 && !with_fin {
            return;
        }
        let payload = self.copy_out(self.snd_una, len);
        let mut flags = Flags::ACK;
        if with_fin {
            flags = flags | Flags::FIN;
        }
        self.counters.retransmits += 1;
        self.rtt_probe = None;
        self.push(self.snd_una, flags, payload, TcpOptions::default());
        self.rtx_deadline = Some(now + self.rto.rto());
    }

    /// Sends what the windows allow: data (with sender-side silly window avoidance, RFC 9293
    /// section 3.8.6.2.1, and Nagle, RFC 1122 section 4.2.3.4), our FIN, and pending ACKs.
    fn output(&mut self, now: Timestamp) {
        let can_send = matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        );
        if can_send {
            loop {
                let end = self.data_end();
                let unsent = if self.snd_nxt.lt(end) {
                    end.since(self.snd_nxt)
                } else {
                    0
                };
                let flight = self.snd_nxt.since(self.snd_una);
                let wnd = self.snd_wnd.min(self.cc.cwnd());
                let usable = wnd.saturating_sub(flight);
                let len = unsent.min(self.max_segment()).min(usable);
                let with_fin = self.fin_seq == Some(self.snd_nxt.plus(len));
                if len == 0 && !with_fin {
                    break;
                }
                if len > 0 && !with_fin {
                    let full = len >= self.mss;
                    let all = len == unsent;
                    let nagle_ok = self.p.nodelay || flight == 0;
                    let big = len >= self.max_snd_wnd / 2;
                    if !(full || (all && nagle_ok) || big || self.sws_override) {
                        break;
                    }
                }
                let payload = self.copy_out(self.snd_nxt, len as usize);
                let mut flags = Flags::ACK;
                if len > 0 && len == unsent {
                    flags = flags | Flags::PSH;
                }
                if with_fin {
                    flags = flags | Flags::FIN;
                }
                let is_retransmission = self.snd_nxt.lt(self.snd_max);
                if is_retransmission {
                    self.counters.retransmits += 1;
                } else if self.rtt_probe.is_none() {
                    self.rtt_probe = Some((self.snd_nxt.plus(len + u32::from(with_fin)), now));
                }
                self.push(self.snd_nxt, flags, payload, TcpOptions::default());
                self.snd_nxt = self.snd_nxt.plus(len + u32::from(with_fin));
                if self.snd_nxt.gt(self.snd_max) {
                    self.snd_max = self.snd_nxt;
                }
                if self.rtx_deadline.is_none() {
                    self.rtx_deadline = Some(now + self.rto.rto());
                }
            }
            self.sws_override = false;
            // Data waits and nothing is in flight: either the window is zero (probe it, RFC
            // 9293 section 3.8.6.1) or too small to be worth a segment (send anyway when
            // the override timer fires, RFC 9293 section 3.8.6.2.1).
            let end = self.data_end();
            let waiting = self.snd_nxt.lt(end);
            if waiting && self.snd_una == self.snd_max {
                if self.persist_deadline.is_none() {
                    self.persist_deadline = Some(now + self.persist_interval());
                }
            } else {
                self.persist_deadline = None;
            }
        }
        if self.ack_now && self.state != State::Closed {
            self.send_ack();
        }
    }

    /// Largest segment to build: the MSS, or with TSO a multiple of it below 64 KB that the
    /// device cuts into MSS-sized segments.
    fn max_segment(&self) -> u32 {
        if self.p.tso {
            self.mss * (63_000 / self.mss).max(1)
        } else {
            self.mss
        }
    }

    fn persist_interval(&self) -> Duration {
        let base = self.rto.rto();
        (base * (1u32 << self.persist_backoff.min(10))).min(Duration::from_secs(60))
    }

    // ----------------------------------------------------------------------------------
    // Timers.

    /// Runs every timer that is due at `now`.
    pub fn on_timer(&mut self, now: Timestamp) {
        if self.timewait_deadline.is_some_and(|d| d <= now) {
            // The 2*MSL timeout (RFC 9293 section 3.10.8).
            self.enter_closed(None);
            return;
        }
        if self.orphan_deadline.is_some_and(|d| d <= now) {
            self.enter_closed(None);
            return;
        }
        if self.rtx_deadline.is_some_and(|d| d <= now) {
            self.rtx_deadline = None;
            self.on_retransmission_timeout(now);
            if self.state == State::Closed {
                return;
            }
        }
        if self.persist_deadline.is_some_and(|d| d <= now) && self.snd_wnd > 0 {
            // Sender SWS override: send what the small window allows.
            self.persist_deadline = None;
            self.sws_override = true;
        } else if self.persist_deadline.is_some_and(|d| d <= now) {
            // Zero-window probe: a segment at SND.UNA-1 that the peer must acknowledge with
            // its current window.
            self.persist_backoff += 1;
            self.persist_deadline = Some(now + self.persist_interval());
            self.push(
                self.snd_una.minus(1),
                Flags::ACK,
                Vec::new(),
                TcpOptions::default(),
            );
        }
        if self.delack_deadline.is_some_and(|d| d <= now) {
            self.delack_deadline = None;
            self.ack_now = true;
        }
        if self.keepalive_deadline.is_some_and(|d| d <= now) {
            self.on_keepalive_timeout(now);
            if self.state == State::Closed {
                return;
            }
        }
        self.output(now);
    }

    /// RFC 6298 section 5.4 - 5.6 and RFC 9293 section 3.8.3 (R2: give up).
    fn on_retransmission_timeout(&mut self, now: Timestamp) {
        self.counters.rto_expiries += 1;
        match self.state {
            State::SynSent | State::SynReceived => {
                if self.retries >= self.p.syn_retries {
                    let err = if self.passive {
                        None
                    } else {
                        Some(TcpError::TimedOut)
                    };
                    self.enter_closed(err);
                    return;
                }
                self.retries += 1;
                self.rto.back_off();
                self.rtt_probe = None;
                self.syn_retransmitted = true;
                self.counters.retransmits += 1;
                let with_ack = self.state == State::SynReceived;
                self.send_syn(now, with_ack);
                self.rtx_deadline = Some(now + self.rto.rto());
            }
            _ => {
                if self.snd_una == self.snd_max {
                    return;
                }
                if self.retries >= self.p.max_retries {
                    self.enter_closed(Some(TcpError::TimedOut));
                    return;
                }
                self.retries += 1;
                let flight = self.snd_max.since(self.snd_una);
                self.cc.on_timeout(flight, self.snd_max);
                self.rto.back_off();
                self.rtt_probe = None;
                // Go back: resend from SND.UNA as the (now one-segment) window allows.
                self.snd_nxt = self.snd_una;
                self.rtx_deadline = Some(now + self.rto.rto());
                self.output(now);
                if self.snd_nxt == self.snd_una {
                    // Nothing fit (zero window): resend the first segment regardless.
                    self.retransmit_first(now);
                }
                self.rtx_deadline = Some(now + self.rto.rto());
            }
        }
    }

    /// RFC 1122 section 4.2.3.6: after the idle time send a probe <SEQ=SND.NXT-1>, repeat
    /// every interval, and give up after `count` unanswered probes.
    fn on_keepalive_timeout(&mut self, now: Timestamp) {
        let Some(k) = self.p.keepalive else {
            self.keepalive_deadline = None;
            return;
        };
        if !self.keepalive_applies() || self.snd_una != self.snd_max {
            // Outstanding data is watched by the retransmission timer instead.
            self.keepalive_deadline = Some(now + k.idle);
            return;
        }
        if self.keepalive_probes >= k.count {
            self.enter_closed(Some(TcpError::TimedOut));
            return;
        }
        self.keepalive_probes += 1;
        self.keepalive_deadline = Some(now + k.interval);
        self.push(
            self.snd_nxt.minus(1),
            Flags::ACK,
            Vec::new(),
            TcpOptions::default(),
        );
    }
}
