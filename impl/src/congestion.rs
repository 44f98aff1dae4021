//! Congestion control: slow start and congestion avoidance (RFC 5681 section 3.1), fast
//! retransmit and fast recovery with the NewReno modification (RFC 6582 section 3.2), and
//! the loss window after a timeout (RFC 5681 section 3.1, equation 4).
//!
//! This module only does the window arithmetic; the connection decides what to retransmit.

use crate::seq::SeqNum;

/// What the connection must do after an ACK was fed to the congestion controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckAction {
    /// Nothing beyond sending whatever the window now allows.
    None,
    /// Retransmit the first unacknowledged segment (fast retransmit, or a NewReno partial ACK).
    RetransmitFirst,
}

/// NewReno state of one connection, in bytes.
#[derive(Clone, Debug)]
pub struct NewReno {
    mss: u32,
    cwnd: u32,
    ssthresh: u32,
    dup_acks: u32,
    in_recovery: bool,
    /// RFC 6582 `recover`: the highest sequence number sent when recovery (or a timeout) began.
    recover: SeqNum,
    /// Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 section 3.1,
    /// the byte-counting variant of equation 3).
    acked_in_ca: u32,
}

impl NewReno {
    /// A controller for a connection with sender MSS `mss` whose first sequence number is `iss`.
    pub fn new(mss: u32, iss: SeqNum) -> NewReno {
        NewReno {
            mss,
            cwnd: Self::initial_window(mss),
            ssthresh: u32::MAX,
            dup_acks: 0,
            in_recovery: false,
            recover: iss,
            acked_in_ca: 0,
        }
    }

    /// RFC 5681 section 3.1 equation 1: IW = min(4*SMSS, max(2*SMSS, 4380)).
    pub fn initial_window(mss: u32) -> u32 {
        (4 * mss).min((2 * mss).max(4380))
    }

    /// Updates the MSS once the handshake has fixed it, resetting the initial window.
    pub fn set_mss(&mut self, mss: u32) {
        self.mss = mss.max(1);
        self.cwnd = Self::initial_window(self.mss);
    }

    /// The path MTU shrank (RFC 1191, RFC 8201): segments get smaller, the window in bytes
    /// stays (at least one new segment).
    pub fn reduce_mss(&mut self, mss: u32) {
        self.mss = mss.max(1);
        self.cwnd = self.cwnd.max(self.mss);
    }

    /// The congestion window.
    pub fn cwnd(&self) -> u32 {
        self.cwnd
    }

    /// The slow-start threshold.
    pub fn ssthresh(&self) -> u32 {
        self.ssthresh
    }

    /// True while in fast recovery.
    pub fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    /// Consecutive duplicate ACKs seen.
    pub fn dup_acks(&self) -> u32 {
        self.dup_acks
    }

    fn halve(&mut self, flight: u32) {
        // RFC 5681 equation 4: ssthresh = max(FlightSize / 2, 2*SMSS).
        self.ssthresh = (flight / 2).max(2 * self.mss);
    }

    /// An ACK that advanced SND.UNA by `acked` bytes to `ack`; `flight` is the data still
    /// outstanding after it.
    pub fn on_new_ack(&mut self, ack: SeqNum, acked: u32, flight: u32) -> AckAction {
        self.dup_acks = 0;
        if self.in_recovery {
            if ack.ge(self.recover) {
                // RFC 6582 section 3.2 step 3, full acknowledgment: deflate the window.
                self.cwnd = self.ssthresh.min(flight.max(self.mss) + self.mss);
                self.in_recovery = false;
                return AckAction::None;
            }
            // Step 4, partial acknowledgment: retransmit the first unacknowledged segment,
            // deflate by the amount acknowledged and add back one SMSS if it was >= SMSS.
            self.cwnd = self.cwnd.saturating_sub(acked);
            if acked >= self.mss {
                self.cwnd += self.mss;
            }
            self.cwnd = self.cwnd.max(self.mss);
            return AckAction::RetransmitFirst;
        }
        if self.cwnd < self.ssthresh {
            // Slow start, RFC 5681 equation 2: cwnd += min(N, SMSS).
            self.cwnd = self.cwnd.saturating_add(acked.min(self.mss));
        } else {
            // Congestion avoidance: one SMSS per window's worth of acknowledged bytes.
            self.acked_in_ca = self.acked_in_ca.saturating_add(acked);
            if self.acked_in_ca >= self.cwnd {
                self.acked_in_ca -= self.cwnd;
                self.cwnd = self.cwnd.saturating_add(self.mss);
            }
        }
        AckAction::None
    }

    /// A duplicate ACK (RFC 5681 section 2 definition) for `ack` == SND.UNA; `flight` is the
    /// outstanding data and `snd_max` the highest sequence number sent.
    pub fn on_dup_ack(&mut self, ack: SeqNum, flight: u32, snd_max: SeqNum) -> AckAction {
        self.dup_acks += 1;
        if self.in_recovery {
            // RFC 6582 step 2 (RFC 5681 step 4): inflate by one SMSS per additional dup ACK.
            self.cwnd = self.cwnd.saturating_add(self.mss);
            return AckAction::None;
        }
        // RFC 6582 step 1: on the third duplicate, enter recovery only if the ACK covers more
        // than `recover` (avoids multiple fast retransmits for one window of losses).
        if self.dup_acks == 3 && ack.minus(1).ge(self.recover) {
            self.in_recovery = true;
            self.recover = snd_max;
            self.halve(flight);
            self.cwnd = self.ssthresh + 3 * self.mss;
            return AckAction::RetransmitFirst;
        }
        AckAction::None
    }

    /// The retransmission timer expired (RFC 5681 section 3.1, equations 4 and the loss
    /// window; RFC 6582 section 3.2 step 4 on timeouts: `recover` = highest sent).
    pub fn on_timeout(&mut self, flight: u32, snd_max: SeqNum) {
        self.halve(flight);
        self.cwnd = self.mss;
        self.in_recovery = false;
        self.dup_acks = 0;
        self.recover = snd_max;
        self.acked_in_ca = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    #[test]
    fn initial_window_rfc5681() {
        assert_eq!(NewReno::initial_window(1460), 4380);
        assert_eq!(NewReno::initial_window(536), 2144);
        assert_eq!(NewReno::initial_window(9000), 18000);
    }

    #[test]
    fn slow_start_then_avoidance() {
        let mut cc = NewReno::new(MSS, SeqNum(0));
        let w0 = cc.cwnd();
        cc.on_new_ack(SeqNum(1000), 1000, 0);
        assert_eq!(cc.cwnd(), w0 + MSS);
        cc.on_timeout(8000, SeqNum(9000));
        assert_eq!(cc.cwnd(), MSS);
        assert_eq!(cc.ssthresh(), 4000);
        // Slow start up to ssthresh...
        for i in 0..3 {
            cc.on_new_ack(SeqNum(10_000 + i * 1000), 1000, 0);
        }
        assert_eq!(cc.cwnd(), 4000);
        // ...then one MSS per cwnd of acknowledged bytes.
        for i in 0..4 {
            cc.on_new_ack(SeqNum(20_000 + i * 1000), 1000, 0);
        }
        assert_eq!(cc.cwnd(), 5000);
    }

    #[test]
    fn fast_retransmit_and_newreno_recovery() {
        let mut cc = NewReno::new(MSS, SeqNum(0));
        let una = SeqNum(1000);
        let snd_max = SeqNum(11_000);
        assert_eq!(cc.on_dup_ack(una, 10_000, snd_max), AckAction::None);
        assert_eq!(cc.on_dup_ack(una, 10_000, snd_max), AckAction::None);
        assert_eq!(
            cc.on_dup_ack(una, 10_000, snd_max),
            AckAction::RetransmitFirst
        );
        assert!(cc.in_recovery());
        assert_eq!(cc.ssthresh(), 5000);
        assert_eq!(cc.cwnd(), 8000);
        cc.on_dup_ack(una, 10_000, snd_max);
        assert_eq!(cc.cwnd(), 9000);
        // Partial ACK: retransmit again and deflate.
        assert_eq!(
            cc.on_new_ack(SeqNum(3000), 2000, 8000),
            AckAction::RetransmitFirst
        );
        assert_eq!(cc.cwnd(), 8000);
        assert!(cc.in_recovery());
        // Full ACK exits recovery with cwnd = min(ssthresh, flight + MSS).
        assert_eq!(cc.on_new_ack(snd_max, 8000, 0), AckAction::None);
        assert!(!cc.in_recovery());
        assert_eq!(cc.cwnd(), 2000);
    }

    #[test]
    fn no_second_fast_retransmit_below_recover() {
        let mut cc = NewReno::new(MSS, SeqNum(0));
        cc.on_timeout(10_000, SeqNum(11_000));
        for _ in 0..3 {
            assert_eq!(
                cc.on_dup_ack(SeqNum(5000), 6000, SeqNum(11_000)),
                AckAction::None
            );
        }
        assert!(!cc.in_recovery());
    }
}
