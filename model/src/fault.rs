//! Seeded faults: deliberate bugs the model's properties exist to catch.
//!
//! A property that no bug can break proves nothing, so each fault below is a one-place mutation
//! of the step function or the system that a reviewer might plausibly make, and the test suite
//! (`crate::faults` tests) checks that a named property of *standard* TCP reports it. The
//! variants exist only in test builds (`#[cfg(test)]`): a normal build, and so the command
//! line, has only [`Fault::None`] and cannot switch a fault on.

use serde::Serialize;

/// A seeded fault (only [`Fault::None`] outside test builds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Fault {
    /// The correct model.
    #[default]
    None,
    /// The retransmission timer gives up at its first expiry (R2 = 0 retries).
    #[cfg(test)]
    NoRetransmission,
    /// SYN-RECEIVED answers an unacceptable ACK with an ACK instead of a RST.
    #[cfg(test)]
    SynReceivedAcksBadAck,
    /// Any RST inside the window resets (RFC 793), not only an exact one (RFC 5961 3.2).
    #[cfg(test)]
    InWindowRstResets,
    /// TIME-WAIT lasts one MSL instead of two.
    #[cfg(test)]
    TimeWaitOneMsl,
    /// A keepalive probe is sent at SND.NXT, which a live peer need not answer.
    #[cfg(test)]
    KeepaliveProbeAtSndNxt,
    /// A FIN in FIN-WAIT-2 deletes the TCB instead of entering TIME-WAIT.
    #[cfg(test)]
    FinWait2SkipsTimeWait,
    /// LAST-ACK closes on any acceptable ACK, not only the one acknowledging our FIN.
    #[cfg(test)]
    LastAckClosesOnAnyAck,
    /// The acceptability test lets one number before RCV.NXT in and the text step does not
    /// trim the old part, so an old duplicate octet is delivered twice.
    #[cfg(test)]
    AcceptsOneOld,
    /// ABORT deletes the TCB without sending the RST.
    #[cfg(test)]
    AbortSendsNoRst,
    /// A retransmission leaves out the FIN it should repeat.
    #[cfg(test)]
    RetransmitsWithoutFin,
    /// SYN-SENT accepts a SYN,ACK whose ACK does not acknowledge its SYN.
    #[cfg(test)]
    SynSentAcceptsAnyAck,
    /// A retransmitted FIN in TIME-WAIT is acknowledged but does not restart the 2*MSL timer.
    #[cfg(test)]
    TimeWaitNoRestart,
    /// The ISN clock does not survive a crash: it starts again from zero.
    #[cfg(test)]
    RebootForgetsIsnClock,
}

/// `fault!(params, Variant)`: whether the seeded fault is on (always false outside tests).
macro_rules! fault {
    ($params:expr, $variant:ident) => {{
        #[cfg(test)]
        let on = $params.fault == $crate::fault::Fault::$variant;
        #[cfg(not(test))]
        let on = {
            let _ = &$params;
            false
        };
        on
    }};
}

pub(crate) use fault;
