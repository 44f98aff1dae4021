//! Tunables of the stack, with the RFC defaults where an RFC gives one.

use std::time::Duration;
use thiserror::Error;

/// A [`Config`] value the stack cannot work with, naming the field and the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid stack configuration: {field} {problem}")]
pub struct ConfigError {
    /// The field, as named in [`Config`].
    pub field: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

/// Largest receive buffer: the largest window RFC 7323 section 2.3 allows (2^30 bytes).
pub const MAX_RECV_BUFFER: usize = 1 << 30;

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
            // RFC 9293 3.8.4 (MUST-28): the interval defaults to no less than two hours.
            idle: Duration::from_secs(if fault!(KeepaliveIdleShort) {
                3600
            } else {
                2 * 3600
            }),
            interval: Duration::from_secs(75),
            count: 9,
        }
    }
}

/// The IP header fields an application chooses for the segments of a connection (RFC 9293
/// section 3.9.1.1: OPEN's Diffserv parameter; 3.9.1.9; 3.9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpFields {
    /// IPv4 time to live / IPv6 hop limit of every segment (MUST-49: configurable). At
    /// least 1.
    pub ttl: u8,
    /// Differentiated Services codepoint of every segment (RFC 2474; MUST-48), 0 to 63;
    /// written into the upper six bits of the IPv4 TOS octet / IPv6 traffic class (the ECN
    /// bits stay zero: this stack is not ECN-capable).
    pub dscp: u8,
}

impl IpFields {
    /// Checks the TTL (at least 1) and the codepoint (six bits).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ttl == 0 {
            return Err(ConfigError {
                field: "ip.ttl",
                problem: "is 0; a packet needs a TTL / hop limit of at least 1".into(),
            });
        }
        if self.dscp > 63 {
            return Err(ConfigError {
                field: "ip.dscp",
                problem: format!("is {}; a DSCP has six bits (0 to 63)", self.dscp),
            });
        }
        Ok(())
    }

    /// The IPv4 TOS octet / IPv6 traffic class these fields make.
    pub fn tos(&self) -> u8 {
        self.dscp << 2
    }
}

impl Default for IpFields {
    /// TTL 64 ([`crate::wire::DEFAULT_TTL`]), DSCP 0 (default forwarding).
    fn default() -> Self {
        IpFields {
            ttl: crate::wire::DEFAULT_TTL,
            dscp: 0,
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
    /// Retransmissions of the same segment after which negative advice goes to the IP layer
    /// and the application gets a report (RFC 9293 section 3.8.3, R1; SHLD-10: at least 3).
    pub r1_retries: u32,
    /// Retransmissions of a data segment or FIN before giving up with a timeout error
    /// (RFC 9293 section 3.8.3, R2; SHLD-11: at least 100 s, here about 520 s or more with
    /// the default RTO bounds).
    pub max_retries: u32,
    /// Retransmissions of a SYN or SYN-ACK before giving up (RFC 9293 section 3.8.3, R2 for
    /// SYN). MUST-23 asks for at least three minutes of retransmission: the default, 7,
    /// gives up 183 s after the first SYN with the default RTO (1 s doubling, at most 60 s).
    /// The application may give up sooner (ABORT, or a smaller value per connection).
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
    /// Answer SYNs for a listener whose backlog is full with SYN cookies (RFC 4987 section
    /// 3.6), keeping no state, instead of dropping them: on by default, used only when
    /// needed (Linux's `net.ipv4.tcp_syncookies = 1`).
    pub syn_cookies: bool,
    /// TTL / hop limit and Diffserv codepoint of new connections' segments (each connection
    /// may change its own, [`crate::Stack::set_ip_fields`]).
    pub ip: IpFields,
    /// The device segments large sends itself (TSO): build segments of up to ~63 KB, cut at
    /// the MSS by the device. Set by `NetStack::new_offload`; off otherwise.
    pub tso: bool,
}

impl Config {
    /// Checks every value against the rule it must follow; the first broken one is
    /// reported. [`crate::runtime::NetStack`] checks its configuration with this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: String| Err(ConfigError { field, problem });
        // IPv4 header (20) + TCP header (20) + at least one byte (RFC 791's minimum MTU is
        // 68; RFC 8200 section 5 asks 1280 of IPv6 links, which the stack does not enforce).
        if !(68..=65535).contains(&self.mtu) {
            return bad("mtu", format!("is {}; it must be 68 to 65535", self.mtu));
        }
        if self.recv_buffer == 0 || self.recv_buffer > MAX_RECV_BUFFER {
            return bad(
                "recv_buffer",
                format!(
                    "is {}; it must be 1 to 2^30 bytes (RFC 7323 2.3)",
                    self.recv_buffer
                ),
            );
        }
        if self.send_buffer == 0 {
            return bad("send_buffer", "is 0; it must be at least 1 byte".into());
        }
        if self.min_rto.is_zero() || self.min_rto > self.max_rto {
            return bad(
                "min_rto",
                format!(
                    "is {:?}; it must be above zero and at most max_rto ({:?})",
                    self.min_rto, self.max_rto
                ),
            );
        }
        if self.initial_rto < self.min_rto || self.initial_rto > self.max_rto {
            return bad(
                "initial_rto",
                format!(
                    "is {:?}; it must lie between min_rto ({:?}) and max_rto ({:?})",
                    self.initial_rto, self.min_rto, self.max_rto
                ),
            );
        }
        // RFC 1122 section 4.2.3.2: the delay MUST be less than 0.5 seconds.
        if self.delayed_ack >= Duration::from_millis(500) {
            return bad(
                "delayed_ack",
                format!(
                    "is {:?}; RFC 1122 4.2.3.2 requires less than 500 ms",
                    self.delayed_ack
                ),
            );
        }
        if self.ack_every_segments == 0 {
            return bad("ack_every_segments", "is 0; it must be at least 1".into());
        }
        if self.backlog == 0 {
            return bad("backlog", "is 0; it must be at least 1".into());
        }
        self.ip.validate()?;
        if let Some(k) = self.keepalive {
            if k.idle.is_zero() || k.interval.is_zero() || k.count == 0 {
                return bad(
                    "keepalive",
                    format!("is {k:?}; idle, interval and count must all be above zero"),
                );
            }
        }
        Ok(())
    }
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
            r1_retries: 3,
            max_retries: 15,
            // RFC 9293 3.8.3 (MUST-23): 1+2+4+8+16+32+60 s of retransmission, then 60 s more.
            syn_retries: if fault!(SynR2Short) { 6 } else { 7 },
            delayed_ack: Duration::from_millis(40),
            ack_every_segments: 2,
            nodelay: false,
            // RFC 9293 3.8.4 (MUST-25): keep-alives default to off.
            keepalive: if fault!(KeepaliveOnByDefault) {
                Some(KeepaliveConfig::default())
            } else {
                None
            },
            backlog: 128,
            challenge_ack_limit: 100,
            syn_cookies: true,
            ip: IpFields::default(),
            tso: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let d = Config::default();
        let cases: Vec<(Config, &str)> = vec![
            (
                Config {
                    mtu: 40,
                    ..d.clone()
                },
                "mtu",
            ),
            (
                Config {
                    recv_buffer: 0,
                    ..d.clone()
                },
                "recv_buffer",
            ),
            (
                Config {
                    recv_buffer: MAX_RECV_BUFFER + 1,
                    ..d.clone()
                },
                "recv_buffer",
            ),
            (
                Config {
                    send_buffer: 0,
                    ..d.clone()
                },
                "send_buffer",
            ),
            (
                Config {
                    min_rto: Duration::from_secs(120),
                    ..d.clone()
                },
                "min_rto",
            ),
            (
                Config {
                    initial_rto: Duration::from_millis(1),
                    ..d.clone()
                },
                "initial_rto",
            ),
            (
                Config {
                    delayed_ack: Duration::from_millis(500),
                    ..d.clone()
                },
                "delayed_ack",
            ),
            (
                Config {
                    ack_every_segments: 0,
                    ..d.clone()
                },
                "ack_every_segments",
            ),
            (
                Config {
                    backlog: 0,
                    ..d.clone()
                },
                "backlog",
            ),
            (
                Config {
                    keepalive: Some(KeepaliveConfig {
                        count: 0,
                        ..KeepaliveConfig::default()
                    }),
                    ..d.clone()
                },
                "keepalive",
            ),
            (
                Config {
                    ip: IpFields { ttl: 0, dscp: 0 },
                    ..d.clone()
                },
                "ip.ttl",
            ),
            (
                Config {
                    ip: IpFields { ttl: 64, dscp: 64 },
                    ..d.clone()
                },
                "ip.dscp",
            ),
        ];
        for (c, field) in cases {
            let e = c.validate().expect_err(field);
            assert_eq!(e.field, field);
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
