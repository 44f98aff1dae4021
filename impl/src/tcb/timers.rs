//! Timers: retransmission (RFC 6298), persist / SWS override, delayed ACK, keepalive
//! (RFC 1122 section 4.2.3.6), TIME-WAIT and the orphan FIN-WAIT-2 timeout.

use super::*;

impl Connection {
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
            self.push(self.snd_una.minus(1), Flags::ACK, 0, TcpOptions::default());
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
    pub(super) fn on_retransmission_timeout(&mut self, now: Timestamp) {
        self.counters.rto_expiries += 1;
        match self.state {
            State::SynSent | State::SynReceived => {
                if self.r2_reached(true) {
                    let err = if self.passive {
                        None
                    } else {
                        Some(TcpError::TimedOut)
                    };
                    self.enter_closed(err);
                    return;
                }
                self.rto.back_off();
                self.rtt_probe = None;
                self.syn_retransmitted = true;
                self.counters.retransmits += 1;
                let with_ack = self.state == State::SynReceived;
                self.send_syn(now, with_ack);
                self.rtx_deadline = Some(now + self.rto.rto());
            }
            _ if self.snd_una == self.iss => {
                // CLOSE in SYN-RECEIVED and our SYN is still unacknowledged: resend the
                // SYN,ACK and the FIN behind it.
                if self.r2_reached(true) {
                    self.enter_closed(Some(TcpError::TimedOut));
                    return;
                }
                self.rto.back_off();
                self.rtt_probe = None;
                self.syn_retransmitted = true;
                self.counters.retransmits += 1;
                self.send_syn(now, true);
                if let Some(f) = self.fin_seq {
                    self.push(f, Flags::ACK | Flags::FIN, 0, TcpOptions::default());
                }
                self.rtx_deadline = Some(now + self.rto.rto());
            }
            _ => {
                if self.snd_una == self.snd_max {
                    return;
                }
                if !self.shrunk_to_zero_and_heard(now) && self.r2_reached(false) {
                    self.enter_closed(Some(TcpError::TimedOut));
                    return;
                }
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

    /// RFC 9293 3.8.6 (SHLD-17): the peer shrank its window to zero with our data in flight
    /// and still answers (within the largest RTO): the data beyond its right edge is not a
    /// failure of the path, and its retransmissions are probes that do not count toward R2
    /// (as Linux does, `tcp_retransmit_timer`). A peer silent for longer times out as usual.
    fn shrunk_to_zero_and_heard(&self, now: Timestamp) -> bool {
        self.snd_wnd == 0 && now.since(self.heard_at) <= self.rto.max()
    }

    /// RFC 9293 section 3.8.3 (MUST-20, MUST-22 for SYNs): true when the same segment has
    /// been retransmitted R2 times, so the connection must close. Otherwise counts the
    /// retransmission about to be made; when the count reaches R1, negative advice goes to
    /// the IP layer (RFC 1122 3.3.1.4; this stack's IP layer has one directly attached link
    /// and no gateway to change, so the advice is counted, `Stats::negative_advice`) and the
    /// application is told (SHLD-9), once per segment.
    fn r2_reached(&mut self, syn: bool) -> bool {
        let r2 = if syn {
            self.p.syn_retries
        } else {
            self.p.max_retries
        };
        if self.retries >= r2 {
            return true;
        }
        self.retries += 1;
        if self.retries == self.p.r1_retries && !fault!(NoR1Advice) {
            self.counters.negative_advice += 1;
            self.report(Report::ExcessiveRetransmissions {
                retransmissions: self.retries,
                syn,
            });
        }
        false
    }

    /// RFC 1122 section 4.2.3.6: after the idle time send a probe <SEQ=SND.NXT-1>, repeat
    /// every interval, and give up after `count` unanswered probes.
    pub(super) fn on_keepalive_timeout(&mut self, now: Timestamp) {
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
        self.push(self.snd_nxt.minus(1), Flags::ACK, 0, TcpOptions::default());
    }
}
