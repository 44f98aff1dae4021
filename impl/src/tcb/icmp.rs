//! ICMP and ICMPv6 errors about a segment of this connection (RFC 9293 section 3.9.2.2,
//! RFC 5927, RFC 1191 / RFC 8201). The stack has already directed the error to the
//! connection by the quoted segment's 4-tuple (MUST-54).

use super::*;
use crate::wire::{IcmpError, IcmpKind};

impl Connection {
    /// Acts on an ICMP error whose quoted segment had sequence number `seq`. Returns false
    /// when the error is not believed: the quoted segment is not one in flight (RFC 5927
    /// section 4.1).
    ///
    /// - Hard errors (port or protocol unreachable, prohibited) abort a connection that is
    ///   opening (RFC 9293 3.9.2.2, SHLD-26; RFC 5461). In a synchronized state they are
    ///   taken as soft errors, as RFC 5927 section 5.2 recommends, so that a forged ICMP
    ///   message cannot reset an established connection.
    /// - Soft errors never abort the connection (MUST-56); they are reported to the
    ///   application (MUST-47, SHLD-25) and kept as the connection's last ICMP error.
    /// - Fragmentation needed / Packet Too Big lowers the send MSS (path MTU discovery).
    pub fn on_icmp(&mut self, now: Timestamp, e: IcmpError, seq: u32) -> bool {
        if fault!(IcmpIgnored) || !self.quotes_a_segment_in_flight(SeqNum(seq)) {
            return false;
        }
        match e.kind {
            IcmpKind::PacketTooBig { mtu } => self.path_mtu_shrinks(now, mtu),
            _ if e.hard && self.aborts_on_hard_errors() => self.abort_on_icmp(e),
            _ => self.soft_error(e),
        }
        true
    }

    /// The last ICMP error that concerned the connection (a soft one, or the hard one that
    /// ended it).
    pub fn icmp_error(&self) -> Option<IcmpError> {
        self.icmp
    }

    /// RFC 5927 section 4.1: an ICMP error is acted upon only if the segment it quotes could
    /// be in flight, SND.UNA =< SEG.SEQ =< SND.NXT (RFC 5927 writes `< SND.NXT`; SND.NXT
    /// itself is taken too, as Linux does, so that the error about a segment that carries no
    /// data, such as a pure ACK, still counts). A blind attacker has to guess it.
    fn quotes_a_segment_in_flight(&self, seq: SeqNum) -> bool {
        fault!(IcmpSeqUnchecked) || (seq.ge(self.snd_una) && seq.le(self.snd_max))
    }

    fn aborts_on_hard_errors(&self) -> bool {
        matches!(self.state, State::SynSent | State::SynReceived)
            || fault!(HardErrorAbortsSynchronized)
    }

    /// A hard error ends the connection: a passive one in SYN-RECEIVED just goes (its
    /// listener stays, as after a RST, RFC 9293 3.10.7.4); the application of an active one
    /// is told the connection was refused, and `icmp_error` says why.
    fn abort_on_icmp(&mut self, e: IcmpError) {
        self.icmp = Some(e);
        let error = match self.state {
            State::SynReceived if self.passive => None,
            State::SynSent | State::SynReceived => Some(TcpError::Refused),
            _ => Some(TcpError::Reset),
        };
        self.enter_closed(error);
    }

    /// A soft error (MUST-56: never an abort): kept, and reported (MUST-47).
    fn soft_error(&mut self, e: IcmpError) {
        if fault!(SoftErrorAborts) && matches!(self.state, State::SynSent | State::SynReceived) {
            return self.abort_on_icmp(e);
        }
        self.icmp = Some(e);
        if !fault!(SoftErrorNotReported) {
            self.report(Report::Icmp(e));
        }
    }

    /// Path MTU discovery (RFC 1191 for IPv4, RFC 8201 for IPv6): the segment did not fit a
    /// link of `mtu` octets. The effective send MSS (RFC 9293 3.7.1, MUST-16: limited by what
    /// the IP layer can send) shrinks to fit, never below what the minimum MTU allows (576
    /// for IPv4, RFC 1122 3.3.3; 1280 for IPv6, RFC 8201 section 4: so a forged message
    /// cannot make segments tiny, RFC 5927 section 7), and what is in flight is sent again at
    /// the new size. Only a synchronized connection's MSS is known; a SYN is not affected.
    fn path_mtu_shrinks(&mut self, now: Timestamp, mtu: u32) {
        let (floor, headers) = if self.local.is_ipv6() {
            (1280, 60)
        } else {
            (576, 40)
        };
        let mss = mtu.max(floor) - headers;
        if !self.state.is_synchronized() || mss >= self.mss {
            return;
        }
        self.mss = mss;
        self.cc.reduce_mss(mss);
        if self.snd_una != self.snd_max {
            self.rtt_probe = None;
            self.snd_nxt = self.snd_una;
            self.output(now);
        }
    }
}
