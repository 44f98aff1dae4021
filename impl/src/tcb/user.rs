//! User calls on a connection (RFC 9293 sections 3.10.2 - 3.10.5) and socket options.

use super::*;
use crate::report::Retries;

impl Connection {
    /// SEND: queues as much of `data` as fits in the send buffer.
    pub fn send(&mut self, now: Timestamp, data: &[u8]) -> Result<usize, TcpError> {
        let n = self.queue(data)?;
        self.output(now);
        Ok(n)
    }

    /// SEND with the URGENT flag (RFC 9293 3.10.2, "SND.UP <- SND.NXT"; RFC 6093 section 4:
    /// the urgent pointer marks the octet after the last urgent one): queues as much of
    /// `data` as fits, and the urgent data now ends after it. "To send an urgent indication,
    /// the user must also send at least one data octet" (3.8.5): empty `data` is
    /// `InvalidInput`.
    pub fn send_urgent(&mut self, now: Timestamp, data: &[u8]) -> Result<usize, TcpError> {
        if data.is_empty() {
            return Err(TcpError::InvalidInput);
        }
        let n = self.queue(data)?;
        self.snd_up = Some(self.data_end());
        self.output(now);
        Ok(n)
    }

    /// Appends as much of `data` to the send buffer as fits, in the states that take SENDs.
    fn queue(&mut self, data: &[u8]) -> Result<usize, TcpError> {
        match self.state {
            State::SynSent | State::SynReceived if !self.close_requested => {}
            State::Established | State::CloseWait => {}
            State::Closed => return Err(self.error.unwrap_or(TcpError::NotConnected)),
            _ => return Err(TcpError::Closing),
        }
        let n = data.len().min(self.send_space());
        if n == 0 {
            return Err(TcpError::WouldBlock);
        }
        self.send_buf.extend(&data[..n]);
        Ok(n)
    }

    /// Urgent octets the application has not read yet (RFC 9293 3.8.5, MUST-33): the next
    /// that many octets of the stream, counted from what it has read up to RCV.UP (some may
    /// still be on their way); 0 outside urgent mode.
    pub fn urgent_pending(&self) -> usize {
        let Some(up) = self.rcv_up else {
            return 0;
        };
        let from = if fault!(UrgentCountFromRcvNxt) {
            self.rcv_nxt
        } else {
            self.rcv_read
        };
        if up.gt(from) {
            up.since(from) as usize
        } else {
            0
        }
    }

    /// RECEIVE: copies buffered in-order data into `buf`. `Ok(0)` means end of stream.
    pub fn recv(&mut self, now: Timestamp, buf: &mut [u8]) -> Result<usize, TcpError> {
        if self.recv_buf.is_empty() {
            if let Some(e) = self.error {
                return Err(e);
            }
            if self.fin_received || buf.is_empty() {
                return Ok(0);
            }
            if self.state == State::Closed {
                return Err(TcpError::NotConnected);
            }
            return Err(TcpError::WouldBlock);
        }
        let before = self.rcv_adv.since(self.rcv_nxt);
        // Urgent data and the data after it never share a read (RFC 9293 3.9.1.3): a read
        // stops at the end of the urgent data, and urgent mode ends there.
        let to_mark = match self.rcv_up {
            Some(up) if up.gt(self.rcv_read) => up.since(self.rcv_read) as usize,
            _ => usize::MAX,
        };
        let n = buf.len().min(self.recv_buf.len()).min(to_mark);
        let (a, b) = self.recv_buf.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        self.recv_buf.drain(..n);
        self.rcv_read = self.rcv_read.plus(n as u32);
        if self.rcv_up.is_some_and(|up| self.rcv_read.ge(up)) {
            self.rcv_up = None;
        }
        // A window update of its own is sent only when the sender may be held back by the
        // window it was last told. Receiver-side silly window avoidance (RFC 9293 section
        // 3.8.6.2.2, RFC 1122 section 4.2.3.3) allows moving the right edge once it can grow
        // by min(buffer / 2, MSS); and, as in Linux (`tcp_cleanup_rbuf`), the update is
        // worth a segment only while less than half of the buffer is still advertised:
        // otherwise the sender has at least half a buffer of data to send, whose ACKs
        // (RFC 5681 section 4.2) carry the new window anyway. A zero or small window is
        // always reopened by an update (no deadlock, RFC 9293 section 3.8.6.1). The window
        // can grow only as far as the window field can say (65535 << the shift): without
        // window scaling a buffer larger than that never makes an update worth sending.
        let free = self.p.recv_buffer.saturating_sub(self.recv_buf.len()) as u32;
        let free = free.min(65535 << self.rcv_wscale);
        let threshold = self.sws_threshold();
        let half = (self.p.recv_buffer / 2) as u32;
        if matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) && free.saturating_sub(before) >= threshold
            && before < half
        {
            self.ack_now = true;
        }
        self.output(now);
        Ok(n)
    }

    /// CLOSE (RFC 9293 section 3.10.4): no more data will be sent; a FIN follows the queued
    /// data.
    pub fn close(&mut self, now: Timestamp) -> Result<(), TcpError> {
        match self.state {
            // "Delete the TCB"; any queued SENDs are answered "closing".
            State::SynSent => self.enter_closed(None),
            // No data pending: "form a FIN segment and send it, and enter FIN-WAIT-1".
            State::SynReceived if self.send_buf.is_empty() => {
                self.fin_seq = Some(self.iss.plus(1));
                self.state = State::FinWait1;
            }
            // Otherwise the FIN is queued until ESTABLISHED.
            State::SynReceived => self.close_requested = true,
            State::Established | State::CloseWait => self.begin_close(),
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => return Err(TcpError::Closing),
            State::Closed | State::Listen => {
                return Err(self.error.unwrap_or(TcpError::NotConnected))
            }
        }
        self.output(now);
        Ok(())
    }

    /// ABORT (RFC 9293 section 3.10.5): send RST in SYN-RECEIVED and the synchronized
    /// states that have not closed, then drop the TCB.
    pub fn abort(&mut self) {
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait
                if !fault!(AbortSilent) =>
            {
                self.send_rst(self.snd_max)
            }
            _ => {}
        }
        self.enter_closed(None);
        self.send_buf.clear();
        self.recv_buf.clear();
    }

    /// The application released its handle: the connection finishes on its own, and an
    /// orphan in FIN-WAIT-2 is dropped after 2*MSL rather than waiting forever.
    pub fn orphan(&mut self, now: Timestamp) {
        self.orphaned = true;
        if self.state == State::FinWait2 {
            self.orphan_deadline = Some(now + self.p.msl * 2);
        }
    }

    /// Turns keepalive on or off (RFC 1122 section 4.2.3.6).
    pub fn set_keepalive(&mut self, now: Timestamp, k: Option<KeepaliveConfig>) {
        self.p.keepalive = k;
        self.last_heard(now);
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.p.nodelay = nodelay;
    }
}

impl Connection {
    /// Takes the oldest asynchronous report (RFC 9293 3.9.1.8).
    pub fn next_report(&mut self) -> Option<Report> {
        self.reports.pop_front()
    }

    /// Reports waiting for the application.
    pub fn reports_pending(&self) -> usize {
        self.reports.len()
    }

    /// Turns asynchronous reports on or off (SHLD-20); off also drops the waiting ones.
    pub fn set_reports(&mut self, on: bool) {
        self.p.reports = on;
        if !on {
            self.reports.clear();
        }
    }

    /// The connection's retransmission thresholds.
    pub fn retries(&self) -> Retries {
        Retries {
            r1: self.p.r1_retries,
            r2: self.p.max_retries,
            syn_r2: self.p.syn_retries,
        }
    }

    /// Sets R1 and R2 for this connection (RFC 9293 3.8.3 (d), MUST-21).
    pub fn set_retries(&mut self, r: Retries) {
        if fault!(R2NotPerConnection) {
            return;
        }
        self.p.r1_retries = r.r1;
        self.p.max_retries = r.r2;
        self.p.syn_retries = r.syn_r2;
    }
}

impl Connection {
    /// The IP header fields of the connection's segments.
    pub fn ip_fields(&self) -> IpFields {
        self.p.ip
    }

    /// Sets the TTL and Diffserv codepoint of the segments sent from now on (RFC 9293
    /// 3.9.1.9: SHLD-21 lets the application change them during the connection).
    pub fn set_ip_fields(&mut self, ip: IpFields) {
        self.p.ip = ip;
    }
}
