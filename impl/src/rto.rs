//! The retransmission timer's value per RFC 6298: SRTT/RTTVAR smoothing (section 2), the
//! 1-second lower bound (configurable), exponential backoff (section 5.5) and Karn's
//! algorithm (section 3: no samples from retransmitted segments, enforced by the caller
//! through the connection's single timed segment, cleared on retransmission).

use std::time::Duration;

/// Clock granularity G of RFC 6298 section 2.
const GRANULARITY: Duration = Duration::from_millis(1);

/// RTT estimator and RTO.
#[derive(Clone, Debug)]
pub struct RtoEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    backoff: u32,
    min: Duration,
    max: Duration,
}

impl RtoEstimator {
    /// A fresh estimator: RTO = `initial` until the first sample (RFC 6298 section 2.1).
    pub fn new(initial: Duration, min: Duration, max: Duration) -> RtoEstimator {
        RtoEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial,
            backoff: 0,
            min,
            max,
        }
    }

    /// Feeds one RTT measurement (RFC 6298 sections 2.2 and 2.3) and clears the backoff.
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(r);
                // RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|; SRTT <- 7/8 SRTT + 1/8 R'
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        self.rto = (srtt + GRANULARITY.max(self.rttvar * 4)).clamp(self.min, self.max);
        self.backoff = 0;
    }

    /// The upper bound of the RTO (RFC 6298 section 2.5).
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The current timeout including backoff.
    pub fn rto(&self) -> Duration {
        let factor = 1u32 << self.backoff.min(16);
        (self.rto * factor).min(self.max)
    }

    /// Doubles the timeout after an expiry (RFC 6298 section 5.5).
    pub fn back_off(&mut self) {
        if self.rto() < self.max {
            self.backoff += 1;
        }
    }

    /// RFC 6298 section 5.7: if the SYN or SYN-ACK was retransmitted and no sample was
    /// taken, the RTO is reset to 3 s when data transmission begins.
    pub fn reset_after_syn_loss(&mut self) {
        if self.srtt.is_none() {
            self.rto = Duration::from_secs(3).clamp(self.min, self.max);
            self.backoff = 0;
        }
    }

    /// The smoothed RTT, if any sample was taken.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RtoEstimator {
        RtoEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn first_sample_sets_srtt_and_rttvar() {
        let mut e = est();
        assert_eq!(e.rto(), Duration::from_secs(1));
        e.sample(Duration::from_millis(100));
        // SRTT = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4*50 = 300 ms.
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn later_samples_smooth() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        e.sample(Duration::from_millis(200));
        // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 87.5 + 25 = 112.5; RTO = 362.5 ms.
        assert_eq!(e.rto(), Duration::from_micros(362_500));
    }

    #[test]
    fn clamps_and_backs_off() {
        let mut e = est();
        e.sample(Duration::from_millis(1));
        assert_eq!(e.rto(), Duration::from_millis(200));
        e.back_off();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(800));
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(Duration::from_millis(1));
        assert_eq!(e.rto(), Duration::from_millis(200));
    }

    #[test]
    fn syn_loss_sets_three_seconds() {
        let mut e = est();
        e.back_off();
        e.reset_after_syn_loss();
        assert_eq!(e.rto(), Duration::from_secs(3));
    }
}
