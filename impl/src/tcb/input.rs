//! Segment arrival (RFC 9293 section 3.10.7): SYN-SENT and the synchronized states, step by
//! step ("first" ... "eighth" as in section 3.10.7.4). CLOSED and LISTEN are the stack's
//! (`crate::stack`), since no connection exists there yet.

use super::*;

impl Connection {
    /// Processes one arriving segment addressed to this connection; in a batch
    /// ([`Connection::begin_batch`]) what it calls for is sent when the batch ends.
    pub fn on_segment(&mut self, now: Timestamp, h: &TcpHeader, payload: &[u8]) {
        self.counters.segments_in += 1;
        match self.state {
            State::SynSent => self.on_segment_syn_sent(now, h, payload),
            State::Closed | State::Listen => {}
            _ => self.on_segment_synchronized(now, h, payload),
        }
        if !self.batch {
            self.output(now);
        }
    }

    /// The segments that follow are a batch that was queued together (RFC 9293 3.10.7.4:
    /// "if the TCP endpoint is processing a series of queued segments, it MUST process them
    /// all before sending any ACK segments", MUST-59): until [`Connection::end_batch`], no
    /// acknowledgment and no data leaves; the ACKs the segments call for aggregate into one
    /// (MUST-58), and each out-of-order segment keeps its own duplicate ACK (RFC 5681 4.2:
    /// the sender's fast retransmit counts them). A SYN,ACK, a RST or a fast retransmission
    /// is no acknowledgment of the batch and leaves at once.
    pub fn begin_batch(&mut self) {
        self.batch = true;
    }

    /// True between [`Connection::begin_batch`] and [`Connection::end_batch`].
    pub fn in_batch(&self) -> bool {
        self.batch
    }

    /// The batch is processed: sends what it called for, the ACK first, then one duplicate
    /// ACK per out-of-order segment.
    pub fn end_batch(&mut self, now: Timestamp) {
        self.batch = false;
        self.output(now);
        if self.state != State::Closed {
            for _ in 0..std::mem::take(&mut self.dupacks_owed) {
                self.send_ack();
            }
        }
        self.dupacks_owed = 0;
    }

    /// RFC 9293 section 3.10.7.3, SYN-SENT.
    pub(super) fn on_segment_syn_sent(&mut self, now: Timestamp, h: &TcpHeader, payload: &[u8]) {
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
        // Fourth, the SYN bit (fifth: neither SYN nor RST, drop).
        if !h.flags.contains(Flags::SYN) {
            return;
        }
        self.take_syn(h);
        self.last_heard(now);
        if has_ack {
            self.ack_advances(now, ack);
        }
        let fin = h.flags.contains(Flags::FIN);
        if self.snd_una.gt(self.iss) {
            self.snd_wl1 = SeqNum(h.seq);
            self.snd_wl2 = ack;
            self.enter_established(now);
            // "Form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it." It leaves
            // when this segment is done (`output`), after the text and FIN below moved
            // RCV.NXT: one ACK for the SYN and the text (the RFC allows suppressing the
            // separate ACK of the SYN "when the received segment contains data that will
            // anyways generate an acknowledgment"; README: synack-text-ack).
            self.ack_now = true;
            // "If there are other controls or text in the segment, then continue processing
            // at the sixth step under Section 3.10.7.4 where the URG bit is checked."
            self.urgent_arrives(h);
            self.text_and_fin(now, self.rcv_nxt, payload, fin);
        } else {
            // Simultaneous open (RFC 9293 section 3.5, figure 8): a SYN without ACK. Answer
            // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and enter SYN-RECEIVED; "if there are other
            // controls or text in the segment, queue them for processing after the
            // ESTABLISHED state has been reached".
            self.state = State::SynReceived;
            self.send_syn(now, true);
            self.rtx_deadline = Some(now + self.rto.rto());
            self.queue_syn_text(payload, fin);
        }
    }

    /// Text and a FIN that came on a SYN (RFC 9293 section 3.10.7.2, LISTEN; 3.10.7.3, a
    /// SYN without ACK in SYN-SENT) wait for ESTABLISHED in the out-of-order queue, at
    /// RCV.NXT (which stays at SEG.SEQ+1: the SYN,ACK acknowledges the SYN only). The queue is
    /// bounded by the receive window; the excess is dropped, and a FIN after it too (README:
    /// syn-text).
    pub(super) fn queue_syn_text(&mut self, payload: &[u8], fin: bool) {
        let room = self.rcv_window() as usize;
        let data = &payload[..payload.len().min(room)];
        let fin = fin && payload.len() < room;
        if !data.is_empty() || fin {
            self.reasm.insert(self.rcv_nxt, self.rcv_nxt, data, fin);
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
        if self.snd_up.is_some_and(|up| ack.ge(up)) {
            // Every urgent octet is acknowledged: the send side leaves urgent mode.
            self.snd_up = None;
        }
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

    /// RCV.WND: what is left of the window last advertised.
    pub(super) fn rcv_window(&self) -> u32 {
        if self.rcv_adv.gt(self.rcv_nxt) {
            self.rcv_adv.since(self.rcv_nxt)
        } else {
            0
        }
    }

    /// RFC 9293 section 3.10.7.4: the states from SYN-RECEIVED on.
    pub(super) fn on_segment_synchronized(
        &mut self,
        now: Timestamp,
        h: &TcpHeader,
        payload: &[u8],
    ) {
        let (seq, syn) = self.trim_repeated_syn(h, payload.len());
        let fin = h.flags.contains(Flags::FIN);
        let rst = h.flags.contains(Flags::RST);
        let seg_len = payload.len() as u32 + u32::from(syn) + u32::from(fin);
        if fault!(BlindDataAccepted) && !payload.is_empty() && !syn && !rst {
            let at = self.rcv_nxt;
            self.text_and_fin(now, at, payload, false);
            return;
        }

        // First: sequence number check.
        if !self.acceptable(seq, seg_len) {
            self.on_unacceptable(now, h, seq, payload);
            return;
        }
        self.last_heard(now);
        // Second: the RST bit.
        if rst {
            self.on_rst(now, seq);
            return;
        }
        // (Third, security, does not apply.) Fourth: the SYN bit.
        if syn {
            self.on_syn(now);
            return;
        }
        // Fifth: the ACK field. "If the ACK bit is off, drop the segment and return."
        if !h.flags.contains(Flags::ACK) || !self.on_ack(now, h, seq, payload.len()) {
            return;
        }
        // Sixth: the URG bit.
        self.urgent_arrives(h);
        self.text_and_fin(now, seq, payload, fin);
    }

    /// Sixth step: the URG bit (RFC 9293 3.10.7.4, 3.8.5; RFC 6093 section 4: SEG.SEQ +
    /// SEG.UP is the first octet after the urgent data). In ESTABLISHED, FIN-WAIT-1 and
    /// FIN-WAIT-2, RCV.UP <- max(RCV.UP, SEG.SEQ + SEG.UP); whenever that puts a pointer ahead
    /// of what the application has read where none was (urgent mode begins), or moves it on,
    /// the application is told (MUST-32). A pointer that would recede, or that points at data
    /// already read, changes nothing (3.8.5: "robust to invalid urgent pointer values"). After
    /// a FIN the URG is ignored.
    fn urgent_arrives(&mut self, h: &TcpHeader) {
        let in_data_state = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if !h.flags.contains(Flags::URG) || !in_data_state || fault!(UrgentIgnored) {
            return;
        }
        let up = SeqNum(h.seq).plus(u32::from(h.urgent));
        let advances = match self.rcv_up {
            Some(old) => up.gt(old),
            None => up.gt(self.rcv_read),
        };
        if !advances {
            return;
        }
        self.rcv_up = Some(up);
        if !fault!(UrgentNotSignalled) {
            let pending = self.urgent_pending();
            self.report(Report::Urgent { pending });
        }
    }

    /// The sequence number and SYN bit to process. Our SYN is unacknowledged (SYN-RECEIVED,
    /// or FIN-WAIT-1/CLOSING after a CLOSE in SYN-RECEIVED) and, after a simultaneous open
    /// (RFC 9293 section 3.5, figure 8, lines 5-6), the peer's SYN,ACK repeats the SYN we
    /// already have and acknowledges ours: that SYN is old and trimmed off (only the new
    /// parts of a segment are processed), the rest goes on as an ACK at RCV.NXT. Only a
    /// SYN,ACK that carries nothing else: with text or a FIN it is a SYN in a synchronized
    /// state like any other, answered with RFC 5961 4.2's challenge ACK (as Linux does).
    ///
    /// Any other repeat of the SYN is left to the sequence number check: a retransmitted SYN
    /// (no ACK) lies before RCV.NXT, so it is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    /// and dropped; our own SYN,ACK is repeated by its retransmission timer.
    fn trim_repeated_syn(&self, h: &TcpHeader, payload_len: usize) -> (SeqNum, bool) {
        let seq = SeqNum(h.seq);
        let syn = h.flags.contains(Flags::SYN);
        let syn_unacked = self.snd_una == self.iss
            && matches!(
                self.state,
                State::SynReceived | State::FinWait1 | State::Closing
            );
        let ack_acceptable = h.flags.contains(Flags::ACK)
            && self.snd_una.lt(SeqNum(h.ack))
            && SeqNum(h.ack).le(self.snd_max);
        let rst = h.flags.contains(Flags::RST);
        let bare = payload_len == 0 && !h.flags.contains(Flags::FIN);
        if syn_unacked && syn && bare && !rst && seq == self.irs && !self.passive && ack_acceptable
        {
            (seq.plus(1), false)
        } else {
            (seq, syn)
        }
    }

    /// RFC 9293 section 3.10.7.4, first step: the four cases of the acceptability test.
    /// SEG.LEN counts the text, SYN and FIN (also on a RST).
    fn acceptable(&self, seq: SeqNum, seg_len: u32) -> bool {
        match (seg_len, self.rcv_window()) {
            (0, 0) => seq == self.rcv_nxt,
            (0, w) => seq.in_window(self.rcv_nxt, w),
            (_, 0) => false,
            (l, w) => seq.in_window(self.rcv_nxt, w) || seq.plus(l - 1).in_window(self.rcv_nxt, w),
        }
    }

    /// An unacceptable segment: "an acknowledgment should be sent in reply (unless the RST
    /// bit is set ...)" and the segment dropped (RFC 9293 section 3.10.7.4, first step).
    fn on_unacceptable(&mut self, now: Timestamp, h: &TcpHeader, seq: SeqNum, payload: &[u8]) {
        let syn = h.flags.contains(Flags::SYN);
        let rst = h.flags.contains(Flags::RST);
        let fin = h.flags.contains(Flags::FIN);
        if self.rcv_window() == 0 && seq == self.rcv_nxt && !syn {
            // With a zero window "special allowance should be made to accept valid ACKs,
            // URGs, and RSTs" (MUST-66: "process the RST and URG fields of all incoming
            // segments, even when the receive window is zero"): process the segment trimmed
            // to the window, i.e. without its text and FIN (an ACK is sent back either way,
            // unless it is a RST).
            if rst && fault!(ZeroWindowDropsRst) {
                return;
            }
            if !rst && fault!(ZeroWindowAckIgnored) {
                self.ack_now = true;
                return;
            }
            let mut keep = !Flags::FIN.0;
            if fault!(ZeroWindowDropsUrg) {
                keep &= !Flags::URG.0;
            }
            let trimmed = TcpHeader {
                flags: Flags(h.flags.0 & keep),
                ..*h
            };
            self.on_segment_synchronized(now, &trimmed, &[]);
            self.ack_now |= !rst;
            return;
        }
        if rst {
            return;
        }
        // TIME-WAIT: "The only thing that can arrive in this state is a retransmission of
        // the remote FIN. Acknowledge it, and restart the 2 MSL timeout" (fifth step). That
        // FIN lies at RCV.NXT-1, so it fails this check; no other segment restarts the timer.
        let end = seq.plus(payload.len() as u32);
        if self.state == State::TimeWait
            && fin
            && end.plus(1) == self.rcv_nxt
            && !fault!(TimeWaitFinNoRestart)
        {
            self.timewait_deadline = Some(now + self.p.msl * 2);
        }
        if !fault!(UnacceptableNotAcked) {
            self.ack_now = true;
        }
    }

    /// Second step: the RST bit, with RFC 5961 section 3.2: reset only on an exact match of
    /// RCV.NXT, otherwise a challenge ACK. A RST's text (RFC 1122 section 4.2.2.12:
    /// diagnostics) is never delivered.
    fn on_rst(&mut self, now: Timestamp, seq: SeqNum) {
        if seq != self.rcv_nxt && !fault!(RstInWindowResets) {
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
            // CLOSING, LAST-ACK, TIME-WAIT: enter CLOSED (in TIME-WAIT RFC 1337 would ignore
            // it instead; README: rst-in-time-wait).
            _ => self.enter_closed(None),
        }
    }

    /// Fourth step: the SYN bit (RFC 9293 section 3.10.7.4; RFC 5961 section 4.2). A SYN in
    /// TIME-WAIT that may open a new incarnation never gets here: the stack hands it to the
    /// listener first (`Stack::time_wait_reopen`).
    fn on_syn(&mut self, now: Timestamp) {
        if self.state == State::SynReceived && self.passive {
            // "Return this connection to the LISTEN state": drop the embryonic TCB.
            self.enter_closed(None);
        } else if fault!(SynResetsSynchronized) {
            self.send_rst(self.snd_max);
            self.enter_closed(Some(TcpError::Reset));
        } else {
            self.challenge_ack(now);
        }
    }

    /// Fifth step, with the ACK bit on: SYN-RECEIVED's handshake check, the ACK processing,
    /// and the state changes an ACK of our FIN causes. Returns false when the segment is done.
    fn on_ack(&mut self, now: Timestamp, h: &TcpHeader, seq: SeqNum, payload_len: usize) -> bool {
        let ack = SeqNum(h.ack);
        if self.state == State::SynReceived {
            if !(self.snd_una.lt(ack) && ack.le(self.snd_max)) {
                self.send_rst(ack);
                return false;
            }
            self.ack_advances(now, ack);
            self.snd_wnd = u32::from(h.window) << self.snd_wscale;
            self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            self.enter_established(now);
        }
        if !self.process_ack(now, h, seq, ack, payload_len) {
            return false;
        }
        match self.state {
            State::FinWait1 if self.fin_acked() => {
                self.state = State::FinWait2;
                self.last_heard(now);
                if self.orphaned {
                    self.orphan_deadline = Some(now + self.p.msl * 2);
                }
            }
            // "If the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
            // ignore the segment."
            State::Closing => {
                if self.fin_acked() {
                    self.enter_time_wait(now);
                }
                return false;
            }
            // LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter the CLOSED
            // state, and return." Otherwise processing goes on (the eighth step has a
            // LAST-ACK case: a FIN is acknowledged).
            State::LastAck if self.fin_acked() => {
                self.enter_closed(None);
                return false;
            }
            _ => {}
        }
        true
    }

    /// Seventh and eighth steps: the segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2
    /// only, then the FIN.
    pub(super) fn text_and_fin(&mut self, now: Timestamp, seq: SeqNum, payload: &[u8], fin: bool) {
        let accepts_data = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if accepts_data && self.orphaned && seq.plus(payload.len() as u32).gt(self.rcv_nxt) {
            // New text for an application that closed and reads no more (RFC 9293 3.6.1,
            // SHLD-3): reset, to show that data was lost.
            self.send_rst(self.snd_max);
            self.enter_closed(None);
            return;
        }
        let fin_ready = if accepts_data {
            self.process_text(now, seq, payload, fin)
        } else {
            self.fin_after_fin(seq, payload.len(), fin)
        };
        if fin_ready {
            self.process_fin(now);
        }
    }

    /// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: segment text "should not occur since a FIN
    /// has been received from the remote side. Ignore the segment text" (seventh step).
    /// Returns true for a FIN at RCV.NXT (any text before it is old), which the eighth step
    /// processes in every state: RCV.NXT advances over it and it is acknowledged. Any other
    /// FIN cannot be processed, and is acknowledged at once like any segment out of order
    /// (RFC 5681 section 4.2: an immediate duplicate ACK).
    fn fin_after_fin(&mut self, seq: SeqNum, text_len: usize, fin: bool) -> bool {
        if fin && seq.plus(text_len as u32) == self.rcv_nxt {
            return true;
        }
        self.ack_now |= fin;
        false
    }

    /// Eighth step: the FIN is in order. "Advance RCV.NXT over the FIN, and send an
    /// acknowledgment for the FIN."
    fn process_fin(&mut self, now: Timestamp) {
        self.rcv_nxt = self.rcv_nxt.plus(1);
        self.fin_received = true;
        self.ack_now = true;
        match self.state {
            State::Established => self.state = State::CloseWait,
            State::FinWait1 if self.fin_acked() => self.enter_time_wait(now),
            State::FinWait1 => self.state = State::Closing,
            State::FinWait2 if !fault!(FinWait2IgnoresFin) => self.enter_time_wait(now),
            // "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
            State::TimeWait if !fault!(TimeWaitFinNoRestart) => {
                self.timewait_deadline = Some(now + self.p.msl * 2)
            }
            // CLOSE-WAIT, CLOSING, LAST-ACK: remain.
            _ => {}
        }
        if !self.keepalive_applies() {
            self.keepalive_deadline = None;
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
        if ack.lt(self.snd_una.minus(self.max_snd_wnd)) && !fault!(AckRangeUnchecked) {
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

    /// Seventh step: accepts the part of `payload` inside the window (RFC 9293 section
    /// 3.10.7.4, first step: "only the new parts" and nothing beyond the window, the FIN
    /// included); in order it is delivered, ahead of RCV.NXT it is held (README:
    /// out-of-order). Returns true when a FIN (of this segment, or one held earlier) is next
    /// in sequence.
    pub(super) fn process_text(
        &mut self,
        now: Timestamp,
        seq: SeqNum,
        payload: &[u8],
        fin: bool,
    ) -> bool {
        // Text and a FIN that came on the SYN were held at RCV.NXT until ESTABLISHED
        // (`queue_syn_text`): they are processed first, as if they had just arrived.
        if self.deliver_held() {
            return true;
        }
        let ack_owed = self.ack_now;
        let (start, data, fin) = self.trim_to_window(seq, payload, fin);
        if start != self.rcv_nxt {
            if data.is_empty() && !fin {
                return false;
            }
            // Out of order: hold it and send an immediate duplicate ACK (RFC 5681 section
            // 4.2, RFC 1122 section 4.2.2.21); in a batch, its own one once the batch is
            // processed (`end_batch`), which also says what trimming it would have said.
            if !self.reasm.insert(self.rcv_nxt, start, data, fin) {
                self.counters.ooo_dropped += 1;
            }
            if self.batch {
                self.ack_now = ack_owed;
                self.dupacks_owed += 1;
            } else {
                self.ack_now = !fault!(NoDupAckOutOfOrder);
            }
            return false;
        }
        let gap_was_open = !self.reasm.is_empty();
        self.recv_buf.extend(data);
        self.rcv_nxt = self.rcv_nxt.plus(data.len() as u32);
        if data.is_empty() {
            return fin;
        }
        if gap_was_open {
            // Text that fills (part of) a gap is acknowledged at once (RFC 5681 section 4.2).
            self.ack_now = true;
            if fault!(HeldTextForgotten) {
                return fin;
            }
            return self.deliver_held() || fin;
        }
        self.delay_ack(now, data.len());
        fin
    }

    /// Trims a segment to the receive window (RFC 9293 section 3.10.7.4, first step): the
    /// part before RCV.NXT is old; the part past the right edge, and a FIN that would lie at
    /// or past it, are not accepted, and the ACK telling the peer so goes out at once.
    /// Returns the new start, text and FIN.
    fn trim_to_window<'a>(
        &mut self,
        seq: SeqNum,
        payload: &'a [u8],
        fin: bool,
    ) -> (SeqNum, &'a [u8], bool) {
        let mut data = payload;
        let mut start = seq;
        let mut fin = fin;
        if start.lt(self.rcv_nxt) && !fault!(OldPartNotTrimmed) {
            let skip = (self.rcv_nxt.since(start) as usize).min(data.len());
            data = &data[skip..];
            start = self.rcv_nxt;
        }
        let room = if self.rcv_adv.gt(start) {
            self.rcv_adv.since(start) as usize
        } else {
            0
        };
        if fin && data.len() >= room {
            fin = false;
            self.ack_now = true;
        }
        if data.len() > room {
            data = &data[..room];
            self.ack_now = true;
        }
        (start, data, fin)
    }

    /// Delivers held text that RCV.NXT has reached, acknowledging it at once (held text now
    /// in order is a gap filled, RFC 5681 section 4.2). Returns true when a held FIN
    /// follows it.
    fn deliver_held(&mut self) -> bool {
        if self.reasm.is_empty() {
            return false;
        }
        let (more, fin) = self.reasm.pop_ready(self.rcv_nxt);
        if more.is_empty() && !fin {
            return false;
        }
        self.recv_buf.extend(&more);
        if !fault!(ReassembledNotAcknowledged) {
            self.rcv_nxt = self.rcv_nxt.plus(more.len() as u32);
        }
        self.ack_now = true;
        fin
    }

    /// Delayed ACK (RFC 1122 section 4.2.3.2, RFC 5681 section 4.2): at least every second
    /// full-sized segment, and within the delayed-ACK timeout.
    fn delay_ack(&mut self, now: Timestamp, len: usize) {
        self.unacked_bytes += len;
        let full = usize::from(self.p.our_mss).min(self.mss as usize);
        if self.unacked_bytes >= self.p.ack_every * full {
            self.ack_now = true;
        } else if self.delack_deadline.is_none() {
            self.delack_deadline = Some(now + self.p.delayed_ack);
        }
    }
}
