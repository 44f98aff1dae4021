//! One connection: the transmission control block and the RFC 9293 section 3.10 event
//! processing (user calls, segment arrival, timeouts). Sans-IO: segments to send are queued
//! in an outbox that the [`crate::Stack`] drains, and time is always passed in.

use crate::config::{Config, IpFields, KeepaliveConfig};
use crate::congestion::{AckAction, NewReno};
use crate::error::TcpError;
use crate::reassembly::Reassembly;
use crate::report::{Report, MAX_REPORTS};
use crate::rto::RtoEstimator;
use crate::seq::SeqNum;
use crate::state::State;
use crate::time::{earliest, Timestamp};
use crate::wire::{Flags, TcpHeader, TcpOptions};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

mod icmp;
mod input;
mod output;
mod timers;
mod user;

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

/// A segment the connection wants sent. Its payload is `payload_len` bytes of the send
/// buffer from sequence number `header.seq`, copied straight into the packet when the
/// stack builds it ([`Connection::copy_out_into`], before anything else touches the
/// connection).
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub header: TcpHeader,
    pub payload_len: usize,
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
    pub ooo_dropped: u64,
    pub segments_in: u64,
    pub segments_out: u64,
    pub negative_advice: u64,
    pub reports_dropped: u64,
}

/// The per-connection parameters copied from [`Config`].
#[derive(Clone, Debug)]
struct ConnParams {
    msl: Duration,
    r1_retries: u32,
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
    /// Asynchronous reports are queued for the application (RFC 9293 3.9.1.8; SHLD-20: it
    /// may turn them off).
    reports: bool,
    /// TTL and Diffserv codepoint of the connection's segments (MUST-48, MUST-49).
    ip: IpFields,
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
    /// SND.UP (RFC 9293 3.8.5 with RFC 6093's reading): the sequence number of the first
    /// octet after the urgent data queued, while some of it is unacknowledged.
    snd_up: Option<SeqNum>,
    mss: u32,

    // Receive sequence space.
    irs: SeqNum,
    rcv_nxt: SeqNum,
    /// Right edge of the window last advertised (RCV.NXT + RCV.WND).
    rcv_adv: SeqNum,
    recv_buf: VecDeque<u8>,
    reasm: Reassembly,
    fin_received: bool,
    /// The sequence number of the next octet the application reads.
    rcv_read: SeqNum,
    /// RCV.UP: the first octet after the urgent data the peer announced, while the
    /// application has not read up to it (urgent mode, RFC 9293 3.8.5).
    rcv_up: Option<SeqNum>,

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
    /// Segments queued together are being processed (MUST-59): ACKs wait for the end.
    batch: bool,
    /// Duplicate ACKs owed for out-of-order segments of the current batch.
    dupacks_owed: u32,
    delack_deadline: Option<Timestamp>,
    unacked_bytes: usize,
    keepalive_deadline: Option<Timestamp>,
    keepalive_probes: u32,
    /// When the last acceptable segment arrived.
    heard_at: Timestamp,
    timewait_deadline: Option<Timestamp>,
    orphan_deadline: Option<Timestamp>,
    orphaned: bool,

    challenge_window: Timestamp,
    challenge_count: u32,

    error: Option<TcpError>,
    /// The last ICMP error about the connection (RFC 9293 3.9.2.2, SHLD-25).
    icmp: Option<crate::wire::IcmpError>,
    /// Asynchronous reports not yet taken by the application.
    reports: VecDeque<Report>,
    established: bool,
    out: Vec<Outgoing>,
    pub counters: ConnCounters,
}

impl Connection {
    fn params(cfg: &Config, v6: bool) -> ConnParams {
        let ip_tcp = if v6 { 60 } else { 40 };
        ConnParams {
            msl: cfg.msl,
            r1_retries: cfg.r1_retries,
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
            reports: true,
            ip: cfg.ip,
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
            snd_up: None,
            mss,
            irs: SeqNum(0),
            rcv_nxt: SeqNum(0),
            rcv_adv: SeqNum(0),
            recv_buf: VecDeque::new(),
            reasm: Reassembly::default(),
            fin_received: false,
            rcv_read: SeqNum(0),
            rcv_up: None,
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
            batch: false,
            dupacks_owed: 0,
            delack_deadline: None,
            unacked_bytes: 0,
            keepalive_deadline: None,
            keepalive_probes: 0,
            heard_at: Timestamp::ZERO,
            timewait_deadline: None,
            orphan_deadline: None,
            orphaned: false,
            challenge_window: Timestamp::ZERO,
            challenge_count: 0,
            error: None,
            icmp: None,
            reports: VecDeque::new(),
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
    /// connection in SYN-RECEIVED and send SYN,ACK. Its text and FIN are queued for
    /// processing once ESTABLISHED is reached.
    pub fn accept_syn(
        now: Timestamp,
        cfg: &Config,
        local: SocketAddr,
        remote: SocketAddr,
        iss: u32,
        syn: &TcpHeader,
        text: &[u8],
    ) -> Connection {
        let mut c = Self::blank(cfg, local, remote, SeqNum(iss), true);
        c.state = State::SynReceived;
        c.take_syn(syn);
        c.queue_syn_text(text, syn.flags.contains(Flags::FIN));
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
        self.rcv_read = self.rcv_nxt;
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
        // The window of our SYN (sent, or about to be sent on the SYN,ACK) starts at the
        // peer's SEG.SEQ+1: the text on its SYN or SYN,ACK may fill it.
        self.rcv_adv = self.rcv_nxt.plus(self.syn_window());
    }

    /// The window field of our SYN or SYN,ACK: the empty receive buffer, unscaled (RFC 7323
    /// section 2.2), at most 65535.
    fn syn_window(&self) -> u32 {
        self.p.recv_buffer.min(65535) as u32
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
    /// The current RTO, backoff included.
    pub fn rto(&self) -> Duration {
        self.rto.rto()
    }
    pub fn mss(&self) -> u32 {
        self.mss
    }
    /// RCV.NXT: the next sequence number expected from the peer.
    pub fn rcv_nxt(&self) -> u32 {
        self.rcv_nxt.0
    }

    /// RFC 1122 section 4.2.2.13 (and RFC 9293 section 3.10.7.4, fourth step, TIME-WAIT;
    /// RFC 6191): a new SYN whose sequence number is beyond the old incarnation's RCV.NXT
    /// (modulo 2^32) may reopen the connection from TIME-WAIT. Returns the ISS for the new
    /// incarnation: larger than any sequence number the old one used, old SND.NXT + 65535 + 2
    /// as on Linux (`tcp_timewait_state_process`), so that the old incarnation's segments
    /// still in the network fall outside the new one's window.
    pub fn syn_may_reopen(&self, h: &TcpHeader) -> Option<u32> {
        let may = self.state == State::TimeWait
            && h.flags.contains(Flags::SYN)
            && !h.flags.contains(Flags::ACK)
            && !h.flags.contains(Flags::RST)
            && SeqNum(h.seq).gt(self.rcv_nxt);
        may.then(|| self.snd_max.plus(65535 + 2).0)
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

    /// Queues a segment at `seq` carrying the `payload_len` send-buffer bytes from `seq`.
    fn push(&mut self, seq: SeqNum, flags: Flags, payload_len: usize, options: TcpOptions) {
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
        // RFC 9293 3.2 (MUST-65): the MSS option goes on SYNs only (`syn_options`).
        let options = if fault!(MssOnEverySegment) {
            TcpOptions {
                mss: Some(self.p.our_mss),
                ..options
            }
        } else {
            options
        };
        let (flags, urgent) = self.urgent_field(seq, flags);
        self.counters.segments_out += 1;
        self.out.push(Outgoing {
            header: TcpHeader {
                src_port: self.local.port(),
                dst_port: self.remote.port(),
                seq: seq.0,
                ack,
                flags,
                window,
                urgent,
                options,
            },
            gso_size: if payload_len > self.mss as usize {
                self.mss as u16
            } else {
                0
            },
            payload_len,
        });
    }

    /// The URG bit and urgent field of a segment at `seq` (RFC 9293 3.8.5, RFC 6093 section
    /// 4): set on every segment (but SYNs and RSTs) while SND.UP is ahead of `seq`; the field
    /// is SND.UP - SEG.SEQ, pointing to the octet after the urgent data (MUST-62), or 65535
    /// when the urgent data ends further ahead than 16 bits can say: the pointer then moves
    /// on with every segment until it reaches SND.UP (MUST-31: urgent data of any length).
    fn urgent_field(&self, seq: SeqNum, flags: Flags) -> (Flags, u16) {
        let carries = flags.contains(Flags::ACK)
            && !flags.contains(Flags::SYN)
            && !flags.contains(Flags::RST);
        match self.snd_up {
            Some(up) if carries && up.gt(seq) => {
                let offset = up.since(seq) - u32::from(fault!(UrgentPointsToLastOctet));
                let field = if fault!(UrgentOffsetWraps) {
                    offset as u16
                } else {
                    offset.min(65535) as u16
                };
                (flags | Flags::URG, field)
            }
            _ => (flags, 0),
        }
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
        self.push(self.iss, flags, 0, opts);
    }

    /// An ACK <SEQ=SND.NXT><ACK=RCV.NXT>.
    fn send_ack(&mut self) {
        if self.batch {
            // It waits for the end of the batch (MUST-59), merged with the others.
            self.ack_now = true;
            return;
        }
        self.push(self.snd_nxt, Flags::ACK, 0, TcpOptions::default());
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
        if fault!(ChallengeAckStale) {
            let rcv_nxt = self.rcv_nxt;
            self.rcv_nxt = self.irs.plus(1);
            self.push(self.snd_nxt, Flags::ACK, 0, TcpOptions::default());
            self.rcv_nxt = rcv_nxt;
            return;
        }
        self.send_ack();
    }

    /// A reset <SEQ=seq><CTL=RST>.
    fn send_rst(&mut self, seq: SeqNum) {
        self.push(seq, Flags::RST, 0, TcpOptions::default());
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
        self.heard_at = now;
        self.keepalive_probes = 0;
        self.keepalive_deadline = match self.p.keepalive {
            Some(k) if self.keepalive_applies() => Some(now + k.idle),
            _ => None,
        };
    }

    /// Queues an asynchronous report for the application (RFC 9293 3.9.1.8), unless it
    /// turned them off; the oldest is dropped when the queue is full.
    fn report(&mut self, r: Report) {
        if !self.p.reports {
            return;
        }
        if self.reports.len() == MAX_REPORTS {
            self.reports.pop_front();
            self.counters.reports_dropped += 1;
        }
        self.reports.push_back(r);
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
}
