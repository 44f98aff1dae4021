//! Sending: data, FIN and ACK segments within the windows, retransmission of the first
//! unacknowledged segment, silly window avoidance and Nagle.

use super::*;

impl Connection {
    /// Appends `len` bytes of the send buffer starting at sequence number `seq` to `out`
    /// (the payload of a segment from [`Connection::take_output`]). Returns false, and
    /// appends nothing, if those bytes are not all in the buffer (they were acknowledged
    /// and dropped since the segment was queued): the caller then drops the segment rather
    /// than send wrong data, and retransmission recovers as from a loss.
    pub fn copy_out_into(&self, out: &mut Vec<u8>, seq: SeqNum, len: usize) -> bool {
        if len == 0 {
            // Control segments and probes carry no data (their sequence number may lie
            // outside the buffer, e.g. SND.UNA - 1).
            return true;
        }
        let off = seq.since(self.snd_una) as usize;
        let fits = seq.ge(self.snd_una) && off + len <= self.send_buf.len();
        debug_assert!(fits, "segment {seq:?}+{len} outside the send buffer");
        if !fits {
            return false;
        }
        let (a, b) = self.send_buf.as_slices();
        if off < a.len() {
            let end = (off + len).min(a.len());
            out.extend_from_slice(&a[off..end]);
            out.extend_from_slice(&b[..len - (end - off)]);
        } else {
            let o = off - a.len();
            out.extend_from_slice(&b[o..o + len]);
        }
        true
    }

    /// Resends the first unacknowledged segment (fast retransmit, RFC 5681 section 3.2; or
    /// a NewReno partial ACK), leaving SND.NXT alone.
    pub(super) fn retransmit_first(&mut self, now: Timestamp) {
        if self.snd_una == self.iss {
            // Only our SYN is outstanding; the retransmission timer resends it.
            return;
        }
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
        let mut flags = Flags::ACK;
        if with_fin {
            flags = flags | Flags::FIN;
        }
        self.counters.retransmits += 1;
        self.rtt_probe = None;
        self.push(self.snd_una, flags, len, TcpOptions::default());
        self.rtx_deadline = Some(now + self.rto.rto());
    }

    /// Sends what the windows allow: data (with sender-side silly window avoidance, RFC 9293
    /// section 3.8.6.2.1, and Nagle, RFC 1122 section 4.2.3.4), our FIN, and pending ACKs.
    pub(super) fn output(&mut self, now: Timestamp) {
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
                    // RFC 9293 3.7.4 (MUST-17): the application can turn Nagle off per connection.
                    let nodelay = self.p.nodelay && !fault!(NagleNotDisabled);
                    let nagle_ok = nodelay || flight == 0;
                    let big = len >= self.max_snd_wnd / 2;
                    // Urgent data leaves at once, as if pushed (RFC 9293 3.8.5: "timely
                    // delivery of the urgent information ... is enhanced").
                    let urgent = self.snd_up.is_some_and(|up| up.gt(self.snd_nxt));
                    if !(full || (all && nagle_ok) || big || self.sws_override || urgent) {
                        break;
                    }
                }
                let mut flags = Flags::ACK;
                // RFC 9293 3.9.1.2 (MUST-61): SEND has no PUSH flag, so the segment that
                // empties the buffer carries PSH.
                if len > 0 && len == unsent && !fault!(NoPushOnLastSegment) {
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
                self.push(self.snd_nxt, flags, len as usize, TcpOptions::default());
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
    pub(super) fn max_segment(&self) -> u32 {
        if self.p.tso {
            self.mss * (63_000 / self.mss).max(1)
        } else {
            self.mss
        }
    }

    pub(super) fn persist_interval(&self) -> Duration {
        let base = self.rto.rto();
        (base * (1u32 << self.persist_backoff.min(10))).min(Duration::from_secs(60))
    }
}
