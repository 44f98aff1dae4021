//! The choices RFC 9293 and its updates leave to an implementation, in one place.
//!
//! The model takes one alternative of each ([`Policy::MODEL`]: the first name of each choice),
//! and the step function consults the policy wherever a rule offers a choice. The vector
//! generator runs the step function again with each choice flipped: where the outcome differs,
//! the vector lists both behaviours as a `one_of` step named after the choice, and the
//! replayer reports which one each target took (its *choices profile*).

use serde::Serialize;

/// A choice the RFCs leave open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Choice {
    /// An exact RST in TIME-WAIT: RFC 1337 (fix F1) ignores it, so a stray RST cannot cut
    /// TIME-WAIT short ("TIME-WAIT assassination"); RFC 9293 3.10.7.4 (second) closes.
    RstInTimeWait,
    /// An in-window, inexact RST in TIME-WAIT: RFC 1337 ignores it; RFC 5961 3.2 answers with
    /// a challenge ACK as in every synchronized state.
    RstInWindowTimeWait,
    /// Text and controls on a SYN in LISTEN: RFC 9293 3.10.7.2 says they "should be queued for
    /// processing later" (after ESTABLISHED); an implementation may drop them, as one without
    /// TCP Fast Open does, and the peer retransmits them.
    SynText,
    /// The ACK of a SYN,ACK that carries text (RFC 9293 3.10.7.3): sent on its own before the
    /// text is processed, or suppressed because the text generates an acknowledgment anyway.
    SynAckTextAck,
    /// A SYN in TIME-WAIT with SEG.SEQ above RCV.NXT while a listener exists: RFC 5961 4.2
    /// (and RFC 9293's synchronized-state rule) answers with a challenge ACK; RFC 1122
    /// 4.2.2.13 lets the connection reopen with a larger ISS.
    TimeWaitSyn,
    /// Segments beyond RCV.NXT: RFC 9293 3.10.7.4 says they "SHOULD be held for later
    /// processing"; an implementation may drop them (the sender retransmits).
    OutOfOrder,
}

impl Choice {
    /// Every choice, in report order.
    pub const ALL: [Choice; 6] = [
        Choice::RstInTimeWait,
        Choice::RstInWindowTimeWait,
        Choice::SynText,
        Choice::SynAckTextAck,
        Choice::TimeWaitSyn,
        Choice::OutOfOrder,
    ];

    /// The kebab-case key used in vectors, reports and the stacks' READMEs.
    pub fn key(self) -> &'static str {
        match self {
            Choice::RstInTimeWait => "rst-in-time-wait",
            Choice::RstInWindowTimeWait => "rst-in-window-time-wait",
            Choice::SynText => "syn-text",
            Choice::SynAckTextAck => "synack-text-ack",
            Choice::TimeWaitSyn => "time-wait-syn",
            Choice::OutOfOrder => "out-of-order",
        }
    }

    /// The two alternatives' names: the model's own first.
    pub fn alternatives(self) -> [&'static str; 2] {
        match self {
            Choice::RstInTimeWait => ["ignored", "closes"],
            Choice::RstInWindowTimeWait => ["ignored", "challenge-ack"],
            Choice::SynText => ["queued", "dropped"],
            Choice::SynAckTextAck => ["separate", "combined"],
            Choice::TimeWaitSyn => ["challenge-ack", "reopens"],
            Choice::OutOfOrder => ["held", "dropped"],
        }
    }

    /// The RFC clauses behind the choice.
    pub fn rfc(self) -> &'static str {
        match self {
            Choice::RstInTimeWait => "RFC 9293 3.10.7.4 (second); RFC 1337 F1",
            Choice::RstInWindowTimeWait => "RFC 5961 3.2; RFC 1337 F1",
            Choice::SynText => "RFC 9293 3.10.7.2 (third: should be queued)",
            Choice::SynAckTextAck => "RFC 9293 3.10.7.3 (fourth)",
            Choice::TimeWaitSyn => "RFC 5961 4.2; RFC 1122 4.2.2.13; RFC 6191",
            Choice::OutOfOrder => "RFC 9293 3.10.7.4 (first: SHOULD be held)",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which alternative of each [`Choice`] an endpoint takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Policy {
    /// Bit `c` set: choice `c` takes its second alternative.
    flipped: u8,
}

impl Policy {
    /// The model's own choices: the first alternative of every choice.
    pub const MODEL: Policy = Policy { flipped: 0 };

    /// Whether `choice` takes its second alternative.
    pub fn alt(self, choice: Choice) -> bool {
        self.flipped & choice.bit() != 0
    }

    /// This policy with `choice`'s alternative swapped.
    pub fn flip(self, choice: Choice) -> Policy {
        Policy {
            flipped: self.flipped ^ choice.bit(),
        }
    }

    /// The name of the alternative taken for `choice`.
    pub fn name(self, choice: Choice) -> &'static str {
        choice.alternatives()[self.alt(choice) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipping_one_choice_leaves_the_others() {
        let p = Policy::MODEL.flip(Choice::SynText);
        assert!(p.alt(Choice::SynText) && !p.alt(Choice::OutOfOrder));
        assert_eq!(p.name(Choice::SynText), "dropped");
        assert_eq!(p.flip(Choice::SynText), Policy::MODEL);
        let keys: std::collections::BTreeSet<_> = Choice::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(keys.len(), Choice::ALL.len(), "keys are unique");
    }
}
