//! Segment arrival (RFC 9293 section 3.10.7): SYN-SENT and the synchronized states.

use super::*;

impl Connection {
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
    pub(super) fn on_segment_syn_sent(&mut self, now: Timestamp, h: &TcpHeader) {
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
    pub(super) fn ack_advances(&mut self, now: Timestamp, ack: SeqNum) -> u32 {
        let acked = ack.since(self.snd_una);
        // Sequence space before the data (our SYN) carries no bytes.
        let syn_part = u32::from(self.snd_una == self.iss);
        let data_acked = (acked.saturating_sub(syn_part) as usize).min(self.send_buf.len());
        self.send_buf.drain(..data_acked);
        self.snd_una = ack;
        if self.snd_una.gt(self.iss) {
            // Our SYN is acknowledged: the connection is (or was) synchronized.
            self.established = true;
        }
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
    pub(super) fn on_segment_synchronized(
        &mut self,
        now: Timestamp,
        h: &TcpHeader,
        payload: &[u8],
    ) {
        let mut seq = SeqNum(h.seq);
        let mut syn = h.flags.contains(Flags::SYN);
        let fin = h.flags.contains(Flags::FIN);
        let rst = h.flags.contains(Flags::RST);

        // Our SYN is unacknowledged (SYN-RECEIVED, or FIN-WAIT-1/CLOSING after a CLOSE in
        // SYN-RECEIVED) and the peer repeats its SYN.
        let syn_unacked = self.snd_una == self.iss
            && matches!(
                self.state,
                State::SynReceived | State::FinWait1 | State::Closing
            );
        // A retransmitted SYN (no ACK) is left to the sequence number check below: it lies
        // before RCV.NXT, so it is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and
        // dropped (RFC 9293 section 3.10.7.4, first step); our own SYN,ACK is repeated by its
        // retransmission timer.
        let ack_acceptable = h.flags.contains(Flags::ACK)
            && self.snd_una.lt(SeqNum(h.ack))
            && SeqNum(h.ack).le(self.snd_max);
        if syn_unacked && syn && !rst && seq == self.irs && !self.passive && ack_acceptable {
            // Simultaneous open (RFC 9293 section 3.5, figure 8, lines 5-6): the peer's
            // SYN,ACK repeats the SYN we already have and acknowledges ours. Trim that SYN and
            // go on with the ACK it carries. Any other repeat of the SYN fails the sequence
            // number check.
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
            if rcv_wnd == 0 && seq == self.rcv_nxt && !syn && !rst && seg_len > 0 {
                // RFC 9293 section 3.10.7.4: with a zero window, "special allowance should be
                // made to accept valid ACKs": process the segment trimmed to the window, i.e.
                // without its text and FIN (an ACK is sent back either way).
                let trimmed = TcpHeader {
                    flags: Flags(h.flags.0 & !Flags::FIN.0),
                    ..*h
                };
                self.on_segment_synchronized(now, &trimmed, &[]);
                self.ack_now = true;
                return;
            }
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
            // RFC 9293 section 3.10.7.4, fifth step, LAST-ACK: "If our FIN is now
            // acknowledged, delete the TCB, enter the CLOSED state, and return." Otherwise
            // processing goes on (the eighth step has a LAST-ACK case: a FIN is acknowledged).
            State::LastAck if self.fin_acked() => {
                self.enter_closed(None);
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
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN at RCV.NXT. The text is ignored
            // (seventh step: "this should not occur since a FIN has been received"); the
            // eighth step applies in every state: advance RCV.NXT over the FIN and acknowledge
            // it; the state stays, TIME-WAIT restarts its 2 MSL timeout.
            fin_ready = true;
            if self.state == State::TimeWait {
                self.timewait_deadline = Some(now + self.p.msl * 2);
            }
        } else if fin && seq != self.rcv_nxt {
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN out of order. It cannot be
            // processed yet, and is acknowledged at once like any out-of-order segment (RFC
            // 5681 section 4.2: an immediate duplicate ACK). Text alone is ignored (seventh
            // step).
            self.ack_now = true;
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
    pub(super) fn process_ack(
        &mut self,
        now: Timestamp,
        h: &TcpHeader,
        seq: SeqNum,
        ack: SeqNum,
        payload_len: usize,
    ) -> bool {
        // RFC 9293 3.10.7.4 (fifth step): an ACK for something not yet sent is answered
        // with an ACK and dropped. RFC 5961 section 5.2 makes that ACK a challenge ACK, so
        // it is throttled like the others (section 7).
        if ack.gt(self.snd_max) {
            self.challenge_ack(now);
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
    pub(super) fn process_text(
        &mut self,
        now: Timestamp,
        seq: SeqNum,
        payload: &[u8],
        fin: bool,
    ) -> bool {
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
            if !self.reasm.insert(self.rcv_nxt, start, data, fin) {
                self.counters.ooo_dropped += 1;
            }
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
}
