//! RFC 9293 section 3.3.2 connection states.

use serde::{Deserialize, Serialize};
use std::fmt;

/// RFC 9293 section 3.3.2 connection states, written as in the RFC (`SYN-SENT`, `TIME-WAIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TcpState {
    /// No connection.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Waiting for a connection request.
    #[serde(rename = "LISTEN")]
    Listen,
    /// SYN sent, waiting for a matching SYN.
    #[serde(rename = "SYN-SENT")]
    SynSent,
    /// SYN received and sent, waiting for its acknowledgment.
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    /// Open: data flows both ways.
    #[serde(rename = "ESTABLISHED")]
    Established,
    /// Our FIN sent, waiting for its ACK or the peer's FIN.
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    /// Our FIN acknowledged, waiting for the peer's FIN.
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    /// Peer's FIN received, waiting for our application to close.
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    /// Both FINs sent (simultaneous close), waiting for the ACK of ours.
    #[serde(rename = "CLOSING")]
    Closing,
    /// Peer's FIN received after ours; waiting for the ACK of ours.
    #[serde(rename = "LAST-ACK")]
    LastAck,
    /// Waiting 2*MSL so that old duplicates die out.
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

impl TcpState {
    /// All eleven states in RFC order.
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// The RFC spelling, e.g. `SYN-SENT`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for s in TcpState::ALL {
            let text = serde_yaml::to_string(&s).expect("serializes");
            assert_eq!(text.trim(), s.name());
        }
    }
}
