//! The sans-IO stack: demultiplexes IP packets to connections and listeners, answers
//! segments for no connection (RFC 9293 section 3.10.7.1), enforces listen backlogs, and
//! turns the connections' outgoing segments into IP packets.
//!
//! Nothing here reads a clock or touches a device: callers pass the time and move packets
//! (see [`crate::runtime`] for the TUN event loop and the in-memory tests for another driver).

use crate::config::{Config, IpFields, KeepaliveConfig};
use crate::error::TcpError;
use crate::isn::IsnGenerator;
use crate::report::{Report, Retries};
use crate::seq::SeqNum;
use crate::state::State;
use crate::syncookie::CookieJar;
use crate::tcb::{ConnCounters, Connection};
use crate::time::{earliest, Timestamp};
use crate::wire::icmp::{PROTOCOL_ICMP, PROTOCOL_ICMPV6};
use crate::wire::{
    self, Flags, IcmpError, IcmpKind, IcmpMessage, TcpHeader, TcpOptions, TcpPacket, WireError,
};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Names a connection of a [`Stack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketHandle(pub u64);

/// Names a listener of a [`Stack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerHandle(pub u64);

/// Counters of everything the stack dropped, answered or retransmitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// IP packets received: handed to [`Stack::receive`], or merged into one segment by
    /// receive coalescing ([`Stack::receive_coalesced`]), each counted.
    pub rx_packets: u64,
    /// Of `rx_packets`, those merged into a preceding packet by receive coalescing.
    pub rx_coalesced: u64,
    /// Packets dropped as malformed (the sum of the `rx_bad_*` and `rx_truncated` counters).
    pub rx_malformed: u64,
    /// Dropped: truncated header or a length field beyond the buffer.
    pub rx_truncated: u64,
    /// Dropped: IP header or TCP checksum did not verify.
    pub rx_bad_checksum: u64,
    /// Dropped: TCP data offset below 5 or beyond the segment.
    pub rx_bad_data_offset: u64,
    /// Dropped: a TCP option with an impossible length.
    pub rx_bad_options: u64,
    /// Dropped: other invalid IP headers (version, IHL, fragments, addresses, ports).
    pub rx_bad_ip: u64,
    /// Dropped: not TCP, nor an ICMP / ICMPv6 error about TCP (echo, neighbour discovery,
    /// multicast listener reports, an error about UDP, ...).
    pub rx_not_tcp: u64,
    /// ICMP and ICMPv6 errors about TCP segments received (well formed, addressed to the
    /// stack).
    pub rx_icmp: u64,
    /// Of `rx_icmp`, those not acted upon: Source Quench (MUST-55), no connection sent the
    /// quoted segment, or its sequence number is not in flight (RFC 5927 4.1).
    pub rx_icmp_ignored: u64,
    /// Dropped: addressed to an IP address that is not the stack's.
    pub rx_not_ours: u64,
    /// Segments for no connection and no listener (answered with RST unless they were RST).
    pub rx_no_socket: u64,
    /// SYNs dropped because a listener's backlog was full (and SYN cookies are off).
    pub syn_backlog_drops: u64,
    /// SYN,ACKs sent with a SYN cookie, keeping no state, because a listener's backlog was
    /// full (RFC 4987 section 3.6).
    pub syn_cookies_sent: u64,
    /// Connections created from a valid SYN cookie returned on an ACK.
    pub syn_cookies_accepted: u64,
    /// IP packets produced.
    pub tx_packets: u64,
    /// Segments not sent because their data had left the send buffer before the packet was
    /// built (never expected; the data is acknowledged or retransmitted later).
    pub tx_dropped_stale: u64,
    /// RST segments the stack sent for segments that match no connection.
    pub tx_rst_no_socket: u64,
    /// Segments retransmitted (timeouts, fast retransmits, SYN and SYN,ACK resends).
    pub retransmits: u64,
    /// Fast retransmits (RFC 5681 section 3.2).
    pub fast_retransmits: u64,
    /// Retransmission timer expiries.
    pub rto_expiries: u64,
    /// RFC 5961 challenge ACKs sent.
    pub challenge_acks: u64,
    /// Challenge ACKs suppressed by the RFC 5961 section 7 rate limit.
    pub challenge_acks_suppressed: u64,
    /// Out-of-order segments (or parts) not queued because the reassembly queue already
    /// held [`crate::reassembly::MAX_RUNS`] separate runs (the peer sends them again).
    pub rx_ooo_dropped: u64,
    /// TIME-WAIT connections replaced by a new SYN (RFC 1122 section 4.2.2.13).
    pub time_wait_reopened: u64,
    /// R1 reached (RFC 9293 3.8.3 (b)): negative advice passed to the IP layer (which has
    /// one directly attached link and no gateway to change: the advice is only counted) and
    /// reported to the application.
    pub negative_advice: u64,
    /// Asynchronous reports dropped because the application left [`crate::report::MAX_REPORTS`]
    /// of them untaken.
    pub reports_dropped: u64,
    /// Connections opened actively.
    pub active_opens: u64,
    /// Connections created from a listener (SYN received).
    pub passive_opens: u64,
}

impl Stats {
    fn count_wire_error(&mut self, e: WireError) {
        match e {
            WireError::NotTcp(_) => {
                self.rx_not_tcp += 1;
                return;
            }
            WireError::Truncated { .. } | WireError::BadLength { .. } => self.rx_truncated += 1,
            WireError::BadChecksum(_) => self.rx_bad_checksum += 1,
            WireError::BadDataOffset(_) => self.rx_bad_data_offset += 1,
            WireError::BadOption { .. } => self.rx_bad_options += 1,
            WireError::BadVersion(_)
            | WireError::BadHeaderLength(_)
            | WireError::Fragment
            | WireError::BadAddress => self.rx_bad_ip += 1,
        }
        self.rx_malformed += 1;
    }

    fn absorb(&mut self, c: ConnCounters) {
        self.retransmits += c.retransmits;
        self.fast_retransmits += c.fast_retransmits;
        self.rto_expiries += c.rto_expiries;
        self.challenge_acks += c.challenge_acks;
        self.challenge_acks_suppressed += c.challenge_acks_suppressed;
        self.rx_ooo_dropped += c.ooo_dropped;
        self.negative_advice += c.negative_advice;
        self.reports_dropped += c.reports_dropped;
    }
}

/// A snapshot of one connection, for a runner or a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The RFC 9293 state.
    pub state: State,
    /// Local address.
    pub local: SocketAddr,
    /// Remote address.
    pub remote: SocketAddr,
    /// The connection reached ESTABLISHED at some point (`connect`/`accept` completed).
    pub established: bool,
    /// In-order bytes ready to read.
    pub readable: usize,
    /// The peer's FIN arrived and everything before it was read.
    pub eof: bool,
    /// Why the connection ended, if it ended badly.
    pub error: Option<TcpError>,
    /// Bytes queued for sending and not yet acknowledged.
    pub send_queued: usize,
    /// Free space in the send buffer.
    pub send_space: usize,
    /// Congestion window in bytes.
    pub cwnd: u32,
    /// Send MSS.
    pub mss: u32,
    /// Smoothed RTT, once measured.
    pub srtt: Option<Duration>,
    /// Current retransmission timeout, including any exponential backoff (RFC 6298 section
    /// 5.5) still in force. Read-only view of the RTO estimator.
    pub rto: Duration,
    /// Asynchronous reports waiting for [`Stack::next_report`].
    pub reports: usize,
    /// The last ICMP or ICMPv6 error about the connection (RFC 9293 3.9.2.2, SHLD-25): a
    /// soft error, or the hard error that ended it (then `error` is `Refused`).
    pub icmp: Option<IcmpError>,
    /// Urgent mode (RFC 9293 3.8.5, MUST-33): the next `urgent` octets the application
    /// reads are urgent data (some may not have arrived yet); 0 in normal mode.
    pub urgent: usize,
}

/// The IP fields of a connection's packet: its addresses and the TTL and Diffserv
/// codepoint it chose (RFC 9293 3.9.1.9 MUST-48, 3.9.2 MUST-49), on every segment.
fn packet_ip(local: SocketAddr, remote: SocketAddr, ident: u16, f: IpFields) -> wire::PacketIp {
    let default = IpFields::default();
    wire::PacketIp {
        src: local.ip(),
        dst: remote.ip(),
        ident,
        ttl: if fault!(TtlNotApplied) {
            default.ttl
        } else {
            f.ttl
        },
        tos: if fault!(DscpNotApplied) {
            default.tos()
        } else {
            f.tos()
        },
    }
}

#[derive(Debug)]
struct Listener {
    local: SocketAddr,
    /// IP fields of the connections it creates, from their SYN,ACK on.
    ip: IpFields,
    backlog: usize,
    /// Connections in SYN-RECEIVED.
    embryonic: Vec<SocketHandle>,
    /// Established connections not yet accepted.
    ready: VecDeque<SocketHandle>,
}

#[derive(Debug)]
struct Entry {
    conn: Connection,
    /// The listener whose queue holds this connection until it is accepted.
    listener: Option<ListenerHandle>,
    /// The application holds the handle (false for unaccepted and released connections).
    owned: bool,
}

/// A userspace TCP stack without I/O: feed it IP packets and time, take IP packets out.
#[derive(Debug)]
pub struct Stack {
    config: Config,
    addrs: Vec<IpAddr>,
    isn: IsnGenerator,
    /// SYN cookies for listeners whose backlog is full.
    cookies: CookieJar,
    conns: HashMap<SocketHandle, Entry>,
    tuples: HashMap<(SocketAddr, SocketAddr), SocketHandle>,
    listeners: HashMap<ListenerHandle, Listener>,
    listen_addrs: HashMap<SocketAddr, ListenerHandle>,
    next_id: u64,
    next_port: u16,
    ip_ident: u16,
    /// Packets to send, each with its TSO segment size (0: an ordinary packet).
    tx: VecDeque<(Vec<u8>, u16)>,
    /// Packet buffers given back by the driver ([`Stack::recycle`]), reused by `emit`.
    spare: Vec<Vec<u8>>,
    /// TSO super-segments carry only the pseudo-header sum in their checksum field.
    tso_partial_checksum: bool,
    /// Packets read together are being processed ([`Stack::begin_batch`]).
    batching: bool,
    /// Connections that received segments of the current batch.
    batched: Vec<SocketHandle>,
    stats: Stats,
}

/// Packet buffers kept for reuse ([`Stack::recycle`]).
const MAX_SPARE_BUFFERS: usize = 128;

/// First ephemeral port (RFC 6335 section 6: 49152-65535).
const EPHEMERAL_FIRST: u16 = 49152;

impl Stack {
    /// A stack that owns the IP addresses `addrs` (packets to other addresses are dropped).
    ///
    /// The configuration is taken as it is; check one that comes from outside with
    /// [`Config::validate`] first (`NetStack` does).
    pub fn new(config: Config, addrs: Vec<IpAddr>) -> Stack {
        let isn = IsnGenerator::new();
        // Start the ephemeral search at a key-dependent port (RFC 6056 flavour).
        let start = isn.isn(
            Timestamp::ZERO,
            SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::from(([0, 0, 0, 0], 0)),
        );
        Stack {
            config,
            addrs,
            isn,
            cookies: CookieJar::new(),
            conns: HashMap::new(),
            tuples: HashMap::new(),
            listeners: HashMap::new(),
            listen_addrs: HashMap::new(),
            next_id: 1,
            next_port: EPHEMERAL_FIRST + (start % 16384) as u16,
            ip_ident: 0,
            tx: VecDeque::new(),
            spare: Vec::new(),
            tso_partial_checksum: false,
            batching: false,
            batched: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// The configuration new connections get.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the configuration for connections created from now on.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// The addresses the stack answers for.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addrs
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        for e in self.conns.values() {
            s.absorb(e.conn.counters);
        }
        s
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    // ----------------------------------------------------------------------------------
    // Packets in and out.

    /// Takes the next IP packet to transmit.
    pub fn pop_transmit(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front().map(|(p, _)| p)
    }

    /// Takes the next IP packet with its TSO segment size: non-zero only when
    /// [`Config::tso`] is on and the packet carries more than one MSS of data, which the
    /// device must cut into segments of that size.
    pub fn pop_transmit_gso(&mut self) -> Option<(Vec<u8>, u16)> {
        self.tx.pop_front()
    }

    /// Number of IP packets waiting to be transmitted.
    pub fn pending_transmit(&self) -> usize {
        self.tx.len()
    }

    /// The earliest time at which [`Stack::on_timer`] has work to do.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.conns
            .values()
            .map(|e| e.conn.next_deadline())
            .fold(None, earliest)
    }

    /// Gives a transmitted packet's buffer back for reuse (saves an allocation, and the
    /// page faults of a fresh one, per packet). Optional.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < MAX_SPARE_BUFFERS {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// With `on`, a TSO super-segment (non-zero segment size from
    /// [`Stack::pop_transmit_gso`]) carries in its TCP checksum field only the
    /// pseudo-header sum, for a device that completes the checksum of every segment it cuts
    /// (virtio-net `NEEDS_CSUM`); the stack then does not sum the payload. Off by default.
    pub fn set_tso_partial_checksum(&mut self, on: bool) {
        self.tso_partial_checksum = on;
    }

    fn emit(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        h: &TcpHeader,
        payload: &[u8],
        gso_size: u16,
    ) {
        let mut buf = self.spare.pop().unwrap_or_default();
        self.ip_ident = self.ip_ident.wrapping_add(1);
        wire::build_packet(&mut buf, src.ip(), dst.ip(), h, payload, self.ip_ident);
        if !buf.is_empty() {
            self.stats.tx_packets += 1;
            self.tx.push_back((buf, gso_size));
        }
    }

    /// Moves a connection's outgoing segments to the transmit queue and updates the
    /// listener queues and tables after whatever just happened to it.
    fn after(&mut self, h: SocketHandle) {
        let Some(e) = self.conns.get_mut(&h) else {
            return;
        };
        let out = e.conn.take_output();
        let (local, remote) = (e.conn.local, e.conn.remote);
        let fields = e.conn.ip_fields();
        let state = e.conn.state();
        let established = e.conn.was_established();
        let listener = e.listener;
        let owned = e.owned;
        for seg in out {
            // The payload is copied from the send buffer straight into the packet.
            let mut buf = self.spare.pop().unwrap_or_default();
            self.ip_ident = self.ip_ident.wrapping_add(1);
            let ip = packet_ip(local, remote, self.ip_ident, fields);
            let partial = seg.gso_size > 0 && self.tso_partial_checksum;
            let mut complete = true;
            let seq = SeqNum(seg.header.seq);
            wire::build_packet_with(&mut buf, ip, &seg.header, seg.payload_len, partial, |o| {
                complete = e.conn.copy_out_into(o, seq, seg.payload_len);
            });
            if complete && !buf.is_empty() {
                self.stats.tx_packets += 1;
                self.tx.push_back((buf, seg.gso_size));
            } else {
                self.stats.tx_dropped_stale += 1;
            }
        }
        let mut queued = false;
        if let Some(lh) = listener {
            if let Some(l) = self.listeners.get_mut(&lh) {
                if established && l.embryonic.contains(&h) {
                    l.embryonic.retain(|x| *x != h);
                    l.ready.push_back(h);
                }
                // An embryonic connection that dies just returns to LISTEN (RFC 9293
                // 3.10.7.4); an established one stays queued, so that `accept` still returns
                // it and the application learns how it ended (as with Linux sockets).
                if state == State::Closed {
                    l.embryonic.retain(|x| *x != h);
                }
                queued = l.ready.contains(&h);
            }
        }
        if state == State::Closed {
            // A closed connection no longer answers for its 4-tuple (RFC 9293 section
            // 3.10.7.1 applies to later segments); an owned handle keeps its final status.
            if self.tuples.get(&(local, remote)) == Some(&h) {
                self.tuples.remove(&(local, remote));
            }
            if !owned && !queued {
                self.remove(h);
            }
        }
    }

    fn remove(&mut self, h: SocketHandle) {
        if let Some(e) = self.conns.remove(&h) {
            self.stats.absorb(e.conn.counters);
            if self.tuples.get(&(e.conn.local, e.conn.remote)) == Some(&h) {
                self.tuples.remove(&(e.conn.local, e.conn.remote));
            }
            if let Some(l) = e.listener.and_then(|lh| self.listeners.get_mut(&lh)) {
                l.embryonic.retain(|x| *x != h);
                l.ready.retain(|x| *x != h);
            }
            self.shrink_tables();
        }
    }

    /// Capacity of the connection table (tests of [`Stack::shrink_tables`]).
    #[cfg(test)]
    pub(crate) fn table_capacity(&self) -> usize {
        self.conns.capacity().max(self.tuples.capacity())
    }

    /// Gives back the memory of the connection tables once they are less than a quarter
    /// full (after a flood or a burst of connections), keeping room to double. Shrinking
    /// rehashes what is left, so it costs O(connections) at most once per halving.
    fn shrink_tables(&mut self) {
        const MIN_CAPACITY: usize = 1024;
        let n = self.conns.len();
        if self.conns.capacity() > MIN_CAPACITY && n * 4 < self.conns.capacity() {
            self.conns.shrink_to((n * 2).max(MIN_CAPACITY / 2));
        }
        let n = self.tuples.len();
        if self.tuples.capacity() > MIN_CAPACITY && n * 4 < self.tuples.capacity() {
            self.tuples.shrink_to((n * 2).max(MIN_CAPACITY / 2));
        }
    }

    /// Processes one IP packet from the network. Malformed packets are counted in
    /// [`Stats`] and dropped.
    pub fn receive(&mut self, now: Timestamp, packet: &[u8]) {
        self.receive_with(now, packet, true)
    }

    /// The packets handed to [`Stack::receive`] until [`Stack::end_batch`] were queued
    /// together (read from the device in one go): each connection processes all of its
    /// segments before it sends any acknowledgment (RFC 9293 3.10.7.4, MUST-59), so their
    /// ACKs aggregate (MUST-58) into one per connection, plus one duplicate ACK per
    /// out-of-order segment (RFC 5681 4.2). Without a batch every segment is answered as it
    /// is processed. [`Stack::end_batch`] must follow before timers run or the application
    /// calls in: until then those connections acknowledge nothing.
    pub fn begin_batch(&mut self) {
        self.batching = true;
    }

    /// The batch is processed: every connection that took part sends what it called for.
    pub fn end_batch(&mut self, now: Timestamp) {
        self.batching = false;
        for h in std::mem::take(&mut self.batched) {
            if let Some(e) = self.conns.get_mut(&h) {
                e.conn.end_batch(now);
            }
            self.after(h);
        }
    }

    /// Processes one segment that receive coalescing ([`crate::coalesce`]) built from
    /// `packets` consecutive in-order IP packets (every checksum already verified); they
    /// are counted as `packets` received packets.
    pub fn receive_coalesced(&mut self, now: Timestamp, packet: &[u8], packets: u64) {
        let extra = packets.saturating_sub(1);
        self.stats.rx_packets += extra;
        self.stats.rx_coalesced += extra;
        self.receive_with(now, packet, false)
    }

    /// Like [`Stack::receive`], for a packet whose TCP checksum a local device left
    /// incomplete (`verify_tcp_checksum` false; see [`crate::offload`]).
    pub fn receive_with(&mut self, now: Timestamp, packet: &[u8], verify_tcp_checksum: bool) {
        self.stats.rx_packets += 1;
        let p = match wire::parse_packet_with(packet, verify_tcp_checksum) {
            Ok(p) => p,
            Err(WireError::NotTcp(PROTOCOL_ICMP | PROTOCOL_ICMPV6)) => {
                self.receive_icmp(now, packet);
                return;
            }
            Err(e) => {
                self.stats.count_wire_error(e);
                return;
            }
        };
        if !self.addrs.contains(&p.dst) {
            self.stats.rx_not_ours += 1;
            return;
        }
        let key = (p.dst_socket(), p.src_socket());
        if let Some(&h) = self.tuples.get(&key) {
            if let Some((lh, iss)) = self.time_wait_reopen(h, &p) {
                self.listen_segment(now, lh, &p, Some(iss));
                return;
            }
            if let Some(e) = self.conns.get_mut(&h) {
                if self.batching && !e.conn.in_batch() && !fault!(AckBeforeQueueProcessed) {
                    e.conn.begin_batch();
                    self.batched.push(h);
                }
                e.conn.on_segment(now, &p.tcp, p.payload);
                self.after(h);
                return;
            }
        }
        match self.listener_for(&p) {
            Some(lh) => self.listen_segment(now, lh, &p, None),
            None => {
                self.stats.rx_no_socket += 1;
                self.reset_for(&p);
            }
        }
    }

    /// An ICMP or ICMPv6 message (RFC 9293 3.9.2.2): an error about a TCP segment goes to
    /// the connection that sent it (MUST-54), which decides what it means.
    fn receive_icmp(&mut self, now: Timestamp, packet: &[u8]) {
        let msg = match wire::icmp::parse_error(packet) {
            Ok(Some(m)) => m,
            Ok(None) => {
                self.stats.rx_not_tcp += 1;
                return;
            }
            Err(e) => {
                self.stats.count_wire_error(e);
                return;
            }
        };
        if !self.addrs.contains(&msg.to) {
            self.stats.rx_not_ours += 1;
            return;
        }
        self.stats.rx_icmp += 1;
        if !self.icmp_for_connection(now, &msg) {
            self.stats.rx_icmp_ignored += 1;
        }
    }

    /// Directs an ICMP error to its connection. Source Quench is silently discarded (RFC
    /// 9293 3.9.2.2, MUST-55; RFC 6633). Returns whether the connection acted on it.
    fn icmp_for_connection(&mut self, now: Timestamp, msg: &IcmpMessage) -> bool {
        if msg.error.kind == IcmpKind::SourceQuench && !fault!(SourceQuenchActedOn) {
            return false;
        }
        let Some(h) = self.icmp_target(msg) else {
            return false;
        };
        let acted = match self.conns.get_mut(&h) {
            Some(e) => e.conn.on_icmp(now, msg.error, msg.seq),
            None => false,
        };
        self.after(h);
        acted
    }

    /// The connection that sent the quoted segment: the one with its 4-tuple (MUST-54:
    /// "directing it to the connection that created the error"; RFC 5927 section 4).
    fn icmp_target(&self, msg: &IcmpMessage) -> Option<SocketHandle> {
        if fault!(IcmpPortsUnchecked) {
            let same_hosts = |(l, r): &(SocketAddr, SocketAddr)| {
                l.ip() == msg.local.ip() && r.ip() == msg.remote.ip()
            };
            return self
                .tuples
                .iter()
                .filter(|(k, _)| same_hosts(k))
                .map(|(_, h)| *h)
                .min();
        }
        self.tuples.get(&(msg.local, msg.remote)).copied()
    }

    /// RFC 1122 section 4.2.2.13: a SYN for connection `h` in TIME-WAIT, beyond its RCV.NXT,
    /// with a listener on the port that has room for it, reopens the connection: the
    /// TIME-WAIT TCB is deleted and the listener takes the SYN with the ISS this returns
    /// (README: time-wait-syn). Otherwise the TIME-WAIT connection processes the SYN (a
    /// challenge ACK).
    fn time_wait_reopen(
        &mut self,
        h: SocketHandle,
        p: &TcpPacket<'_>,
    ) -> Option<(ListenerHandle, u32)> {
        let iss = self.conns.get(&h)?.conn.syn_may_reopen(&p.tcp)?;
        let lh = self.listener_for(p).filter(|lh| self.has_room(*lh))?;
        self.stats.time_wait_reopened += 1;
        self.tuples.remove(&(p.dst_socket(), p.src_socket()));
        if let Some(e) = self.conns.get_mut(&h) {
            e.conn.abort();
        }
        self.after(h);
        Some((lh, iss))
    }

    /// The listener's backlog (SYN-RECEIVED plus unaccepted connections) has room.
    fn has_room(&self, lh: ListenerHandle) -> bool {
        self.listeners
            .get(&lh)
            .is_some_and(|l| l.embryonic.len() + l.ready.len() < l.backlog)
    }

    /// The listener for a segment's destination: exact address first, then the wildcard.
    fn listener_for(&self, p: &TcpPacket<'_>) -> Option<ListenerHandle> {
        self.listen_addrs
            .get(&p.dst_socket())
            .or_else(|| {
                let any = match p.dst {
                    IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                    IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                };
                self.listen_addrs.get(&SocketAddr::new(any, p.tcp.dst_port))
            })
            .copied()
    }

    /// RFC 9293 section 3.10.7.1: a segment for a closed port is answered with a reset
    /// (unless it is itself a reset).
    fn reset_for(&mut self, p: &TcpPacket<'_>) {
        let t = &p.tcp;
        if t.flags.contains(Flags::RST) {
            return;
        }
        let (seq, ack, flags) = if t.flags.contains(Flags::ACK) {
            (t.ack, 0, Flags::RST)
        } else {
            let len = p.payload.len() as u32
                + u32::from(t.flags.contains(Flags::SYN))
                + u32::from(t.flags.contains(Flags::FIN));
            (0, t.seq.wrapping_add(len), Flags::RST | Flags::ACK)
        };
        let h = TcpHeader {
            src_port: t.dst_port,
            dst_port: t.src_port,
            seq,
            ack,
            flags,
            window: 0,
            urgent: 0,
            options: TcpOptions::default(),
        };
        self.stats.tx_rst_no_socket += 1;
        self.emit(p.dst_socket(), p.src_socket(), &h, &[], 0);
    }

    /// RFC 9293 section 3.10.7.2, LISTEN. `iss` is given for a connection reopened from
    /// TIME-WAIT; otherwise the ISN generator chooses it (RFC 6528).
    fn listen_segment(
        &mut self,
        now: Timestamp,
        lh: ListenerHandle,
        p: &TcpPacket<'_>,
        iss: Option<u32>,
    ) {
        let t = &p.tcp;
        // First: an incoming RST is ignored.
        if t.flags.contains(Flags::RST) {
            return;
        }
        // Second: any acknowledgment is bad: <SEQ=SEG.ACK><CTL=RST>. Unless it returns a
        // SYN cookie this listener sent (RFC 4987 section 3.6): then the connection is made.
        if t.flags.contains(Flags::ACK) {
            if t.flags.contains(Flags::SYN) || !self.accept_cookie(now, lh, p) {
                self.reset_for(p);
            }
            return;
        }
        // Fourth: "any other control or text-bearing segment (not containing SYN)": drop.
        if !t.flags.contains(Flags::SYN) {
            return;
        }
        // Third: the SYN.
        if !self.has_room(lh) {
            if self.config.syn_cookies && iss.is_none() && !fault!(NoSynCookies) {
                self.send_cookie(now, lh, p);
            } else {
                // Bounded SYN backlog: drop (the peer retransmits), like Linux without cookies.
                self.stats.syn_backlog_drops += 1;
            }
            return;
        }
        let local = p.dst_socket();
        let remote = p.src_socket();
        let iss = iss.unwrap_or_else(|| self.isn.isn(now, local, remote));
        let mut conn = Connection::accept_syn(now, &self.config, local, remote, iss, t, p.payload);
        if let Some(l) = self.listeners.get(&lh) {
            conn.set_ip_fields(l.ip);
        }
        let h = SocketHandle(self.new_id());
        self.stats.passive_opens += 1;
        self.tuples.insert((local, remote), h);
        self.conns.insert(
            h,
            Entry {
                conn,
                listener: Some(lh),
                owned: false,
            },
        );
        if let Some(l) = self.listeners.get_mut(&lh) {
            l.embryonic.push(h);
        }
        self.after(h);
    }

    /// The SYN that a connection made from a SYN cookie remembers: the peer's ISN and the MSS
    /// the cookie carries, nothing else (no window scale, no text, no FIN: RFC 4987 3.6).
    fn cookie_syn(t: &TcpHeader, isn: u32, mss: u16) -> TcpHeader {
        TcpHeader {
            seq: isn,
            ack: 0,
            flags: Flags::SYN,
            options: TcpOptions {
                mss: Some(mss),
                window_scale: if fault!(CookieOffersWindowScale) {
                    t.options.window_scale
                } else {
                    None
                },
                ..TcpOptions::default()
            },
            ..*t
        }
    }

    /// RFC 4987 section 3.6: answer a SYN for a full listener with a SYN,ACK whose ISS is a
    /// cookie, and keep nothing. The SYN,ACK is the one a SYN-RECEIVED connection would send
    /// (same window and IP fields), made by a connection that is dropped at once.
    fn send_cookie(&mut self, now: Timestamp, lh: ListenerHandle, p: &TcpPacket<'_>) {
        let t = &p.tcp;
        let (local, remote) = (p.dst_socket(), p.src_socket());
        let peer_mss = t
            .options
            .mss
            .unwrap_or(if local.is_ipv6() { 1220 } else { 536 });
        let cookie = self.cookies.make(now, local, remote, t.seq, peer_mss);
        let syn = Self::cookie_syn(t, t.seq, crate::syncookie::mss_of(cookie));
        let mut conn = Connection::accept_syn(now, &self.config, local, remote, cookie, &syn, &[]);
        if let Some(l) = self.listeners.get(&lh) {
            conn.set_ip_fields(l.ip);
        }
        let h = SocketHandle(self.new_id());
        self.conns.insert(
            h,
            Entry {
                conn,
                listener: None,
                owned: false,
            },
        );
        self.after(h);
        self.remove(h);
        self.stats.syn_cookies_sent += 1;
    }

    /// An ACK for a listener that may return a SYN cookie (SEG.ACK - 1, for the SYN whose
    /// SEG.SEQ was this SEG.SEQ - 1). A valid one, with room in the accept queue, makes the
    /// connection as SYN-RECEIVED would have been, and the ACK is processed by it (RFC 9293
    /// 3.10.7.4: it becomes ESTABLISHED). `false` when the ACK is not a valid cookie.
    fn accept_cookie(&mut self, now: Timestamp, lh: ListenerHandle, p: &TcpPacket<'_>) -> bool {
        let t = &p.tcp;
        if !self.config.syn_cookies || t.flags.contains(Flags::RST) {
            return false;
        }
        let (local, remote) = (p.dst_socket(), p.src_socket());
        let (isn, cookie) = (t.seq.wrapping_sub(1), t.ack.wrapping_sub(1));
        let Some(mss) = self.cookies.check(now, local, remote, isn, cookie) else {
            return false;
        };
        let Some(l) = self.listeners.get(&lh) else {
            return false;
        };
        if l.ready.len() >= l.backlog {
            // The accept queue is full: drop the ACK; the peer's data or a retransmission
            // returns the cookie again (as Linux does).
            self.stats.syn_backlog_drops += 1;
            return true;
        }
        let ip = l.ip;
        let syn = Self::cookie_syn(t, isn, mss);
        let mut conn = Connection::accept_syn(now, &self.config, local, remote, cookie, &syn, &[]);
        conn.set_ip_fields(ip);
        // The SYN,ACK went out with the cookie; the recreated connection does not send it again.
        drop(conn.take_output());
        conn.on_segment(now, t, p.payload);
        let h = SocketHandle(self.new_id());
        self.stats.passive_opens += 1;
        self.stats.syn_cookies_accepted += 1;
        self.tuples.insert((local, remote), h);
        self.conns.insert(
            h,
            Entry {
                conn,
                listener: Some(lh),
                owned: false,
            },
        );
        if let Some(l) = self.listeners.get_mut(&lh) {
            l.embryonic.push(h);
        }
        self.after(h);
        true
    }

    /// Bytes a half-open (SYN-RECEIVED) connection holds in the stack's tables: its entry in
    /// the connection table and in the 4-tuple table (each with hashbrown's control byte, at
    /// its maximum load of 7/8) and its slot in the listener's queue. Send and receive buffers
    /// are allocated on first use, so a half-open connection has none. A listener holds at
    /// most its backlog of them; beyond it, SYN cookies hold nothing.
    pub fn half_open_bytes() -> usize {
        let conn = std::mem::size_of::<(SocketHandle, Entry)>() + 1;
        let tuple = std::mem::size_of::<((SocketAddr, SocketAddr), SocketHandle)>() + 1;
        (conn + tuple) * 8 / 7 + std::mem::size_of::<SocketHandle>()
    }

    /// Runs every timer due at `now`.
    pub fn on_timer(&mut self, now: Timestamp) {
        let due: Vec<SocketHandle> = self
            .conns
            .iter()
            .filter(|(_, e)| e.conn.next_deadline().is_some_and(|d| d <= now))
            .map(|(h, _)| *h)
            .collect();
        for h in due {
            if let Some(e) = self.conns.get_mut(&h) {
                e.conn.on_timer(now);
            }
            self.after(h);
        }
    }

    // ----------------------------------------------------------------------------------
    // User calls.

    fn owns(&self, ip: IpAddr) -> bool {
        ip.is_unspecified() || self.addrs.contains(&ip)
    }

    /// Passive OPEN (RFC 9293 section 3.10.1) on `local` (the IP may be unspecified).
    /// `backlog` bounds SYN-RECEIVED plus unaccepted connections; `None` uses the config.
    pub fn listen(
        &mut self,
        local: SocketAddr,
        backlog: Option<usize>,
    ) -> Result<ListenerHandle, TcpError> {
        if !self.owns(local.ip()) || local.port() == 0 {
            return Err(TcpError::AddrNotAvailable);
        }
        // No connection can be made to a broadcast or multicast address (RFC 1122 4.2.3.10).
        if !local.ip().is_unspecified() && !wire::is_unicast(local.ip()) {
            return Err(TcpError::InvalidInput);
        }
        // RFC 9293 3.9.1.1 (MUST-41): a passive OPEN creates a new record in LISTEN or
        // returns an error; it never affects a record that exists.
        if let Some(&old) = self.listen_addrs.get(&local) {
            if !fault!(ListenReplaces) {
                return Err(TcpError::AddrInUse);
            }
            self.unlisten(Timestamp::ZERO, old);
        }
        // MUST-42: listening on a port is allowed while connections with the same local port
        // exist (in SYN-SENT, SYN-RECEIVED or any other state): they are told apart by the
        // remote socket.
        if fault!(ListenRefusedOnBusyPort)
            && self.tuples.keys().any(|(l, _)| l.port() == local.port())
        {
            return Err(TcpError::AddrInUse);
        }
        let lh = ListenerHandle(self.new_id());
        self.listeners.insert(
            lh,
            Listener {
                local,
                ip: self.config.ip,
                backlog: backlog.unwrap_or(self.config.backlog).max(1),
                embryonic: Vec::new(),
                ready: VecDeque::new(),
            },
        );
        self.listen_addrs.insert(local, lh);
        Ok(lh)
    }

    /// The address a listener listens on.
    pub fn listener_addr(&self, lh: ListenerHandle) -> Option<SocketAddr> {
        self.listeners.get(&lh).map(|l| l.local)
    }

    /// Takes an established connection from the listener's queue.
    pub fn accept(&mut self, lh: ListenerHandle) -> Result<SocketHandle, TcpError> {
        let l = self.listeners.get_mut(&lh).ok_or(TcpError::InvalidHandle)?;
        let h = l.ready.pop_front().ok_or(TcpError::WouldBlock)?;
        if let Some(e) = self.conns.get_mut(&h) {
            e.owned = true;
            e.listener = None;
        }
        Ok(h)
    }

    /// Connections waiting in a listener's accept queue.
    pub fn accept_ready(&self, lh: ListenerHandle) -> usize {
        self.listeners.get(&lh).map_or(0, |l| l.ready.len())
    }

    /// Closes a listener; connections it has not handed out are reset.
    pub fn unlisten(&mut self, now: Timestamp, lh: ListenerHandle) {
        if let Some(l) = self.listeners.remove(&lh) {
            self.listen_addrs.remove(&l.local);
            for h in l.embryonic.into_iter().chain(l.ready) {
                if let Some(e) = self.conns.get_mut(&h) {
                    e.conn.abort();
                    e.listener = None;
                }
                self.after(h);
            }
        }
        let _ = now;
    }

    fn pick_local(&mut self, remote: SocketAddr) -> Result<SocketAddr, TcpError> {
        let ip = self
            .addrs
            .iter()
            .find(|a| a.is_ipv4() == remote.is_ipv4())
            .copied()
            .ok_or(TcpError::AddrNotAvailable)?;
        for _ in 0..16384 {
            let port = self.next_port;
            self.next_port = if self.next_port == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                self.next_port + 1
            };
            let local = SocketAddr::new(ip, port);
            if !self.tuples.contains_key(&(local, remote))
                && !self.listen_addrs.contains_key(&local)
            {
                return Ok(local);
            }
        }
        Err(TcpError::AddrInUse)
    }

    /// Active OPEN to `remote` from an ephemeral port of the stack's address of the same
    /// family. The SYN is queued at once; the connection is usable when
    /// [`ConnectionInfo::established`] turns true.
    pub fn connect(
        &mut self,
        now: Timestamp,
        remote: SocketAddr,
    ) -> Result<SocketHandle, TcpError> {
        let local = self.pick_local(remote)?;
        self.connect_from(now, local, remote)
    }

    /// Active OPEN from a given local address and port.
    pub fn connect_from(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SocketHandle, TcpError> {
        let ip = self.config.ip;
        self.connect_with(now, Some(local), remote, ip)
    }

    /// Active OPEN with the IP fields of every segment, the SYN included (RFC 9293 3.9.1.1:
    /// OPEN's Diffserv parameter, MUST-48; the TTL, MUST-49), from `local` or, when `None`,
    /// from an ephemeral port of the stack's address of the remote's family.
    pub fn connect_with(
        &mut self,
        now: Timestamp,
        local: Option<SocketAddr>,
        remote: SocketAddr,
        ip: IpFields,
    ) -> Result<SocketHandle, TcpError> {
        ip.validate().map_err(|_| TcpError::InvalidInput)?;
        let local = match local {
            Some(l) => l,
            None => self.pick_local(remote)?,
        };
        if local.is_ipv4() != remote.is_ipv4() || remote.port() == 0 || local.port() == 0 {
            return Err(TcpError::InvalidInput);
        }
        // RFC 9293 3.9.1.1 (MUST-46): an OPEN to an invalid remote address (broadcast,
        // multicast, unspecified) is rejected as an error; no segment is sent.
        if !wire::is_unicast(remote.ip()) && !fault!(OpenToBroadcast) {
            return Err(TcpError::InvalidInput);
        }
        if !wire::is_unicast(local.ip()) {
            return Err(TcpError::InvalidInput);
        }
        if !self.addrs.contains(&local.ip()) {
            return Err(TcpError::AddrNotAvailable);
        }
        if self.tuples.contains_key(&(local, remote)) {
            return Err(TcpError::AddrInUse);
        }
        let iss = self.isn.isn(now, local, remote);
        let mut conn = Connection::connect(now, &self.config, local, remote, iss);
        conn.set_ip_fields(ip);
        let h = SocketHandle(self.new_id());
        self.stats.active_opens += 1;
        self.tuples.insert((local, remote), h);
        self.conns.insert(
            h,
            Entry {
                conn,
                listener: None,
                owned: true,
            },
        );
        self.after(h);
        Ok(h)
    }

    fn with_conn<R>(
        &mut self,
        h: SocketHandle,
        f: impl FnOnce(&mut Connection) -> R,
    ) -> Result<R, TcpError> {
        let e = self.conns.get_mut(&h).ok_or(TcpError::InvalidHandle)?;
        let r = f(&mut e.conn);
        self.after(h);
        Ok(r)
    }

    /// SEND: queues bytes; returns how many were taken (`WouldBlock` if none fit).
    pub fn send(
        &mut self,
        now: Timestamp,
        h: SocketHandle,
        data: &[u8],
    ) -> Result<usize, TcpError> {
        self.with_conn(h, |c| c.send(now, data))?
    }

    /// SEND with the URGENT flag (RFC 9293 3.8.5, 3.10.2; MUST-30): queues bytes like
    /// [`Stack::send`], and the urgent data now ends after the last of them. Every segment
    /// carrying data before that end has URG set and points to it (RFC 6093), until it is
    /// acknowledged; the bytes leave at once (Nagle does not hold urgent data).
    pub fn send_urgent(
        &mut self,
        now: Timestamp,
        h: SocketHandle,
        data: &[u8],
    ) -> Result<usize, TcpError> {
        self.with_conn(h, |c| c.send_urgent(now, data))?
    }

    /// Urgent octets not yet read (RFC 9293 3.8.5, MUST-33): the next that many octets of
    /// the stream are urgent; 0 in normal mode. A [`Stack::recv`] stops at the end of them.
    pub fn urgent_pending(&self, h: SocketHandle) -> Result<usize, TcpError> {
        self.conns
            .get(&h)
            .map(|e| e.conn.urgent_pending())
            .ok_or(TcpError::InvalidHandle)
    }

    /// RECEIVE: reads in-order bytes; `Ok(0)` is end of stream, `WouldBlock` means wait.
    /// In urgent mode a read stops at the end of the urgent data (RFC 9293 3.9.1.3).
    pub fn recv(
        &mut self,
        now: Timestamp,
        h: SocketHandle,
        buf: &mut [u8],
    ) -> Result<usize, TcpError> {
        self.with_conn(h, |c| c.recv(now, buf))?
    }

    /// CLOSE (RFC 9293 section 3.10.4), i.e. `shutdown(SHUT_WR)`: a FIN follows the queued
    /// data; receiving continues.
    pub fn shutdown(&mut self, now: Timestamp, h: SocketHandle) -> Result<(), TcpError> {
        self.with_conn(h, |c| c.close(now))?
    }

    /// ABORT (RFC 9293 section 3.10.5): RST and forget. The handle stays valid (state
    /// CLOSED) until [`Stack::release`].
    pub fn abort(&mut self, h: SocketHandle) -> Result<(), TcpError> {
        self.with_conn(h, |c| c.abort())
    }

    /// The application is done with the handle (like `close()` on a socket): sends FIN if
    /// not yet sent and lets the connection finish (TIME-WAIT included) on its own. The
    /// application can read no more (a half-duplex close, RFC 9293 3.6.1 MAY-1): if it left
    /// data unread, or data arrives later, the connection is reset to show that data was
    /// lost (SHLD-3), as Linux does.
    pub fn release(&mut self, now: Timestamp, h: SocketHandle) -> Result<(), TcpError> {
        let e = self.conns.get_mut(&h).ok_or(TcpError::InvalidHandle)?;
        e.owned = false;
        if e.conn.readable() > 0 {
            e.conn.abort();
        } else if matches!(
            e.conn.state(),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        ) {
            let _ = e.conn.close(now);
        }
        e.conn.orphan(now);
        self.after(h);
        Ok(())
    }

    /// The RFC 9293 state of a connection; CLOSED for a handle that is gone.
    pub fn state(&self, h: SocketHandle) -> State {
        self.conns.get(&h).map_or(State::Closed, |e| e.conn.state())
    }

    /// A snapshot of a connection.
    pub fn info(&self, h: SocketHandle) -> Option<ConnectionInfo> {
        self.conns.get(&h).map(|e| {
            let c = &e.conn;
            ConnectionInfo {
                state: c.state(),
                local: c.local,
                remote: c.remote,
                established: c.was_established(),
                readable: c.readable(),
                eof: c.at_eof(),
                error: c.error(),
                send_queued: c.send_queued(),
                send_space: c.send_space(),
                cwnd: c.cwnd(),
                mss: c.mss(),
                srtt: c.srtt(),
                rto: c.rto(),
                reports: c.reports_pending(),
                icmp: c.icmp_error(),
                urgent: c.urgent_pending(),
            }
        })
    }

    /// Sets keepalive on a connection (RFC 1122 section 4.2.3.6); `None` turns it off.
    pub fn set_keepalive(
        &mut self,
        now: Timestamp,
        h: SocketHandle,
        k: Option<KeepaliveConfig>,
    ) -> Result<(), TcpError> {
        self.with_conn(h, |c| c.set_keepalive(now, k))
    }

    /// The TTL and Diffserv codepoint of a connection's segments.
    pub fn ip_fields(&self, h: SocketHandle) -> Result<IpFields, TcpError> {
        self.conns
            .get(&h)
            .map(|e| e.conn.ip_fields())
            .ok_or(TcpError::InvalidHandle)
    }

    /// Sets the TTL / hop limit and Diffserv codepoint of a connection's segments from the
    /// next one on (MUST-48, MUST-49; SHLD-21: also during the connection). `InvalidInput`
    /// for a TTL of 0 or a codepoint over 63.
    pub fn set_ip_fields(&mut self, h: SocketHandle, ip: IpFields) -> Result<(), TcpError> {
        ip.validate().map_err(|_| TcpError::InvalidInput)?;
        self.with_conn(h, |c| c.set_ip_fields(ip))
    }

    /// Sets the IP fields of the connections a listener creates, from their SYN,ACK on
    /// (OPEN's Diffserv parameter on a passive OPEN).
    pub fn set_listener_ip_fields(
        &mut self,
        lh: ListenerHandle,
        ip: IpFields,
    ) -> Result<(), TcpError> {
        ip.validate().map_err(|_| TcpError::InvalidInput)?;
        let l = self.listeners.get_mut(&lh).ok_or(TcpError::InvalidHandle)?;
        l.ip = ip;
        Ok(())
    }

    /// Takes the oldest asynchronous report of a connection (RFC 9293 3.9.1.8: ICMP errors,
    /// excessive retransmissions, urgent data); `None` when there is none.
    pub fn next_report(&mut self, h: SocketHandle) -> Result<Option<Report>, TcpError> {
        self.with_conn(h, |c| c.next_report())
    }

    /// Turns a connection's asynchronous reports on (the default) or off (RFC 9293
    /// 3.9.1.8, SHLD-20); off drops the waiting ones too.
    pub fn set_reports(&mut self, h: SocketHandle, on: bool) -> Result<(), TcpError> {
        self.with_conn(h, |c| c.set_reports(on))
    }

    /// A connection's retransmission thresholds R1 and R2 (RFC 9293 3.8.3).
    pub fn retries(&self, h: SocketHandle) -> Result<Retries, TcpError> {
        self.conns
            .get(&h)
            .map(|e| e.conn.retries())
            .ok_or(TcpError::InvalidHandle)
    }

    /// Sets R1 and R2 for one connection (RFC 9293 3.8.3 (d), MUST-21); they apply from the
    /// next retransmission. R2 must be greater than R1 (3.8.3 (c)): `InvalidInput`
    /// otherwise. `u32::MAX` as R2 never gives up.
    pub fn set_retries(&mut self, h: SocketHandle, r: Retries) -> Result<(), TcpError> {
        if r.r2 <= r.r1 {
            return Err(TcpError::InvalidInput);
        }
        self.with_conn(h, |c| c.set_retries(r))
    }

    /// Disables (`true`) or enables Nagle's algorithm on a connection.
    pub fn set_nodelay(&mut self, h: SocketHandle, nodelay: bool) -> Result<(), TcpError> {
        self.with_conn(h, |c| c.set_nodelay(nodelay))
    }

    /// The live connection with this local and remote address, if any (for a runner that
    /// knows the 4-tuple from the wire).
    pub fn lookup(&self, local: SocketAddr, remote: SocketAddr) -> Option<SocketHandle> {
        self.tuples.get(&(local, remote)).copied()
    }

    /// Connections a listener holds that were not accepted yet: SYN-RECEIVED ones first,
    /// then established ones in accept order. Their state can be queried with
    /// [`Stack::state`] before `accept`.
    pub fn pending(&self, lh: ListenerHandle) -> Vec<SocketHandle> {
        self.listeners.get(&lh).map_or(Vec::new(), |l| {
            l.embryonic.iter().chain(l.ready.iter()).copied().collect()
        })
    }

    /// True when `seq` is RCV.NXT of the connection from `remote` to `local`, i.e. a segment
    /// starting there is in order. Receive coalescing ([`crate::runtime`]) merges only runs
    /// that start in order, so that every out-of-order segment still gets its own immediate
    /// duplicate ACK (RFC 5681 section 4.2), which the sender's fast retransmit counts.
    pub fn is_next_in_order(&self, local: SocketAddr, remote: SocketAddr, seq: u32) -> bool {
        self.tuples
            .get(&(local, remote))
            .and_then(|h| self.conns.get(h))
            .is_some_and(|e| e.conn.rcv_nxt() == seq)
    }

    /// RCV.NXT of the connection with this local and remote address, if any (for a tool that
    /// must put a segment inside the window, such as the attack lab's challenge-ACK probe).
    pub fn rcv_nxt(&self, local: SocketAddr, remote: SocketAddr) -> Option<u32> {
        self.tuples
            .get(&(local, remote))
            .and_then(|h| self.conns.get(h))
            .map(|e| e.conn.rcv_nxt())
    }

    /// Number of connections the stack tracks (including TIME-WAIT and unaccepted ones).
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Handles of all connections in a given state (for diagnostics and tests).
    pub fn connections_in(&self, state: State) -> Vec<SocketHandle> {
        let mut v: Vec<_> = self
            .conns
            .iter()
            .filter(|(_, e)| e.conn.state() == state)
            .map(|(h, _)| *h)
            .collect();
        v.sort();
        v
    }
}
