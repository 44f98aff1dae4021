//! Tunables of the stack, with the RFC defaults where an RFC gives one.

use std::time::Duration;

/// Keepalive parameters (RFC 1122 section 4.2.3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepaliveConfig {
    /// Idle time before the first probe (RFC 1122: no less than two hours by default).
    pub idle: Duration,
    /// Interval between unanswered probes.
    pub interval: Duration,
    /// Unanswered probes after which the connection is dropped with a timeout error.
    pub count: u32,
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        KeepaliveConfig {
            idle: Duration::from_secs(2 * 3600),
            interval: Duration::from_secs(75),
            count: 9,
        }
    }
}

/// Configuration of a [`crate::Stack`] and the connections it creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The link MTU; the MSS option is derived from it (RFC 9293 section 3.7.1).
    pub mtu: usize,
    /// Receive buffer per connection in bytes; sets the window and the window scale.
    pub recv_buffer: usize,
    /// Send buffer per connection in bytes.
    pub send_buffer: usize,
    /// Offer window scaling (RFC 7323 section 2).
    pub window_scaling: bool,
    /// Maximum segment lifetime; TIME-WAIT lasts 2 * MSL (RFC 9293 section 3.4.2).
    pub msl: Duration,
    /// Initial retransmission timeout (RFC 6298 section 2.1: 1 s).
    pub initial_rto: Duration,
    /// Lower bound of the RTO (RFC 6298 section 2.4: 1 s; Linux uses 200 ms).
    pub min_rto: Duration,
    /// Upper bound of the RTO (RFC 6298 section 2.5: at least 60 s).
    pub max_rto: Duration,
    /// Retransmissions of a data segment or FIN before giving up with a timeout error
    /// (RFC 9293 section 3.8.3, R2).
    pub max_retries: u32,
    /// Retransmissions of a SYN or SYN-ACK before giving up (RFC 9293 section 3.8.3, R2 for SYN).
    pub syn_retries: u32,
    /// Delayed-ACK timeout (RFC 1122 4.2.3.2 and RFC 5681 section 4.2: under 500 ms).
    pub delayed_ack: Duration,
    /// Full-sized segments received before an ACK is sent without waiting for the delayed-ACK
    /// timer. RFC 5681 section 4.2 (SHOULD): at least every second one, so the default is 2;
    /// larger values give stretch ACKs (fewer packets, slower sender window growth).
    pub ack_every_segments: u32,
    /// Disable Nagle's algorithm (RFC 1122 section 4.2.3.4) for new connections.
    pub nodelay: bool,
    /// Keepalive for new connections; `None` disables it (RFC 1122: off by default).
    pub keepalive: Option<KeepaliveConfig>,
    /// Default listen backlog: SYN-RECEIVED plus not-yet-accepted connections per listener.
    pub backlog: usize,
    /// Challenge ACKs per second and connection (RFC 5961 section 7 throttling).
    pub challenge_ack_limit: u32,
    /// The device segments large sends itself (TSO): build segments of up to ~63 KB, cut at
    /// the MSS by the device. Set by `NetStack::new_offload`; off otherwise.
    pub tso: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mtu: 1500,
            recv_buffer: 1 << 20,
            send_buffer: 1 << 20,
            window_scaling: true,
            msl: Duration::from_secs(30),
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(60),
            max_retries: 15,
            syn_retries: 6,
            delayed_ack: Duration::from_millis(40),
            ack_every_segments: 2,
            nodelay: false,
            keepalive: None,
            backlog: 128,
            challenge_ack_limit: 100,
            tso: false,
        }
    }
}
