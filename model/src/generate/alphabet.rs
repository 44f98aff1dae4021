//! The events a generated vector can apply: user calls, timer expiries, and segments of RFC
//! 9293's whole alphabet (every combination of SYN, ACK, FIN and RST a peer can send, each
//! with and without text) at every sequence and acknowledgment class.

use super::numbers::{Numbers, IRS, ISS, STRAY_ACK, WND};
use crate::endpoint::{Endpoint, Event, UserCall};
use crate::segment::{ctl, Segment, Seq};
use tcp_vectors::{Flags, SegmentSpec, SeqExpr, SeqVar, TcpState, TimerKind};

/// Octets of text on a segment that carries text: more than one, so that trimming at either
/// edge of the window and partial overlap with RCV.NXT are exercised.
pub const TEXT: u8 = 2;

/// How far past the right edge a beyond-window segment lies in a vector: more than any
/// unscaled window (at most 65,535, RFC 9293 section 3.1; vectors never offer window scaling),
/// so the segment stays outside the window even if the target opened its window after the last
/// segment the replayer saw.
pub const BEYOND_MARGIN: u32 = 65_536;

/// A segment kind: the control bits a peer sets and whether the segment carries text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// [`TEXT`] octets of text.
    pub text: bool,
}

const fn kind(syn: bool, ack: bool, fin: bool, rst: bool, text: bool) -> Kind {
    Kind {
        syn,
        ack,
        fin,
        rst,
        text,
    }
}

impl Kind {
    /// The control-bit combinations a peer sends (RFC 9293 3.10.7): SYN, SYN,ACK, ACK, FIN
    /// (without ACK), FIN,ACK, SYN+FIN, RST, RST,ACK.
    const CONTROLS: [(bool, bool, bool, bool); 8] = [
        (true, false, false, false),
        (true, true, false, false),
        (false, true, false, false),
        (false, false, true, false),
        (false, true, true, false),
        (true, false, true, false),
        (false, false, false, true),
        (false, true, false, true),
    ];

    /// Every kind: each control combination without and with text.
    pub fn all() -> Vec<Kind> {
        let mut out = Vec::new();
        for (syn, ack, fin, rst) in Kind::CONTROLS {
            for text in [false, true] {
                out.push(kind(syn, ack, fin, rst, text));
            }
        }
        out
    }

    /// A SYN.
    pub const SYN: Kind = kind(true, false, false, false, false);
    /// A SYN,ACK.
    pub const SYN_ACK: Kind = kind(true, true, false, false, false);
    /// An ACK.
    pub const ACK: Kind = kind(false, true, false, false, false);
    /// An ACK with text.
    pub const DATA: Kind = kind(false, true, false, false, true);
    /// A FIN,ACK.
    pub const FIN_ACK: Kind = kind(false, true, true, false, false);
    /// A RST.
    pub const RST: Kind = kind(false, false, false, true, false);
    /// A RST,ACK.
    pub const RST_ACK: Kind = kind(false, true, false, true, false);

    /// The name in the coverage matrix, e.g. `SYN+ACK+text`.
    pub fn name(self) -> String {
        let mut parts = Vec::new();
        for (on, word) in [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.ack, "ACK"),
            (self.text, "text"),
        ] {
            if on {
                parts.push(word);
            }
        }
        parts.join("+")
    }

    /// The control flags.
    pub fn flags(self) -> Flags {
        ctl(self.syn, self.ack, self.fin, self.rst)
    }

    /// Octets of text.
    pub fn text_len(self) -> u8 {
        if self.text {
            TEXT
        } else {
            0
        }
    }
}

/// Sequence-number class of a segment the peer sends, relative to what the target expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqClass {
    /// RCV.NXT - 1: one number already received (with text, the segment straddles RCV.NXT).
    Old,
    /// Exactly RCV.NXT (or the peer's ISS when nothing is synchronized yet).
    Exact,
    /// RCV.NXT + 1: inside the window but past RCV.NXT.
    InWindow,
    /// RCV.NXT + RCV.WND - 1: the last number inside the window.
    LastInWindow,
    /// RCV.NXT + RCV.WND: the first number past the right edge of the window, the boundary of
    /// RFC 9293 3.10.7.4's acceptability test (`SEG.SEQ < RCV.NXT+RCV.WND`).
    WindowEdge,
    /// Well beyond the window (by [`BEYOND_MARGIN`] in a vector).
    BeyondWindow,
}

impl SeqClass {
    /// Every class, in matrix order.
    pub const ALL: [SeqClass; 6] = [
        SeqClass::Old,
        SeqClass::Exact,
        SeqClass::InWindow,
        SeqClass::LastInWindow,
        SeqClass::WindowEdge,
        SeqClass::BeyondWindow,
    ];

    /// The name in ids and the matrix.
    pub fn name(self) -> &'static str {
        match self {
            SeqClass::Old => "old",
            SeqClass::Exact => "exact",
            SeqClass::InWindow => "in-window",
            SeqClass::LastInWindow => "last-in-window",
            SeqClass::WindowEdge => "window-edge",
            SeqClass::BeyondWindow => "beyond-window",
        }
    }
}

/// Acknowledgment class of a segment the peer sends, relative to the target's send sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AckClass {
    /// SND.UNA - 1: below anything still unacknowledged (an old duplicate's number).
    Old,
    /// SND.UNA: acknowledges nothing new (a duplicate acknowledgment).
    Una,
    /// SND.NXT: acknowledges everything sent.
    Exact,
    /// SND.NXT + 1: acknowledges something never sent.
    Beyond,
    /// Below SND.UNA - MAX.SND.WND, the oldest acknowledgment RFC 5961 5.2 accepts: by one
    /// more than the largest window the peer offers (65,535 in a vector, the model's window
    /// inside the model). Not in [`AckClass::ALL`]: the random walks use it (`tcpspec fuzz`),
    /// the matrix of single-event vectors does not.
    TooOld,
}

impl AckClass {
    /// Every class, in matrix order.
    pub const ALL: [AckClass; 4] = [
        AckClass::Old,
        AckClass::Una,
        AckClass::Exact,
        AckClass::Beyond,
    ];

    /// The name in ids and the matrix.
    pub fn name(self) -> &'static str {
        match self {
            AckClass::Old => "old",
            AckClass::Una => "una",
            AckClass::Exact => "exact",
            AckClass::Beyond => "beyond",
            AckClass::TooOld => "too-old",
        }
    }
}

/// An event class applied to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stimulus {
    /// A user call.
    Call(UserCall),
    /// A segment from the peer: kind, sequence and (for kinds with ACK) acknowledgment class.
    Segment(Kind, SeqClass, Option<AckClass>),
    /// A timer of the target expires.
    Timer(TimerKind),
}

impl Stimulus {
    /// The event-class name used in `covers` and in the coverage matrix.
    pub fn class_name(&self) -> String {
        match self {
            Stimulus::Call(c) => match c {
                UserCall::Open { passive: false } => "OPEN (active)".into(),
                UserCall::Open { passive: true } => "OPEN (passive)".into(),
                UserCall::Send(_) => "SEND".into(),
                UserCall::Close => "CLOSE".into(),
                UserCall::Abort => "ABORT".into(),
            },
            Stimulus::Segment(kind, seq, ack) => {
                let mut s = format!("{} seq {}", kind.name(), seq.name());
                if let Some(a) = ack {
                    s.push_str(&format!(" ack {}", a.name()));
                }
                s
            }
            Stimulus::Timer(t) => match t {
                TimerKind::Retransmission => "retransmission timeout".into(),
                TimerKind::TimeWait => "TIME-WAIT timeout".into(),
                TimerKind::Keepalive => "keepalive timeout".into(),
            },
        }
    }

    /// The event part of a vector id, e.g. `synack-text-seq-exact-ack-una`.
    pub fn slug(&self) -> String {
        self.class_name()
            .to_lowercase()
            .replace(['(', ')'], "")
            .replace(['+', ' '], "-")
    }
}

/// Whether the target has chosen an ISS (acknowledgment classes exist).
pub fn has_iss(ep: &Endpoint) -> bool {
    !matches!(ep.state, TcpState::Closed | TcpState::Listen)
}

/// Whether the target has a receive window (sequence classes beyond "exact" exist).
pub fn has_irs(ep: &Endpoint) -> bool {
    !matches!(
        ep.state,
        TcpState::Closed | TcpState::Listen | TcpState::SynSent
    )
}

/// Every segment class that exists for `ep`: window classes once RCV.NXT is known, ack classes
/// once the target has an ISS.
pub fn segment_stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let seqs: &[SeqClass] = if has_irs(ep) {
        &SeqClass::ALL
    } else {
        &[SeqClass::Exact]
    };
    let acks: &[AckClass] = if has_iss(ep) {
        &AckClass::ALL
    } else {
        &[AckClass::Exact]
    };
    let mut out = Vec::new();
    for kind in Kind::all() {
        for &seq in seqs {
            if kind.ack {
                out.extend(acks.iter().map(|&a| Stimulus::Segment(kind, seq, Some(a))));
            } else {
                out.push(Stimulus::Segment(kind, seq, None));
            }
        }
    }
    out
}

/// The user calls.
pub fn call_stimuli() -> Vec<Stimulus> {
    [
        UserCall::Open { passive: false },
        UserCall::Open { passive: true },
        UserCall::Send(1),
        UserCall::Close,
        UserCall::Abort,
    ]
    .into_iter()
    .map(Stimulus::Call)
    .collect()
}

/// The timers running in `ep`.
pub fn timer_stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let mut out = Vec::new();
    if ep.rtx_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::Retransmission));
    }
    if ep.tw_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::TimeWait));
    }
    if ep.ka_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::Keepalive));
    }
    out
}

/// Every stimulus for `ep`.
pub fn stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let mut all = call_stimuli();
    all.extend(segment_stimuli(ep));
    all.extend(timer_stimuli(ep));
    all
}

/// A concrete model event plus the symbolic form of its segment (if any) for the vector.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The event as the model sees it.
    pub event: Event,
    /// The segment as the vector writes it.
    pub spec: Option<SegmentSpec>,
}

/// Turn a stimulus into a concrete model event (numbers relative to `ep`) and its symbolic
/// segment.
pub fn apply_form(ep: &Endpoint, stimulus: Stimulus) -> Applied {
    apply_form_in(ep, stimulus, None)
}

/// [`apply_form`] for an endpoint whose receive window is `rcv_wnd` when it is not the
/// model's whole window ([`WND`]): an application that does not read
/// ([`crate::endpoint::Params::receive_buffer`]). The classes at the window's right edge are
/// then at that window's edge, and written as plain offsets from IRS, which the target's
/// advertised window (the vectors' `wnd`, read from the wire) no longer gives.
pub fn apply_form_in(ep: &Endpoint, stimulus: Stimulus, rcv_wnd: Option<u8>) -> Applied {
    match stimulus {
        Stimulus::Call(c) => Applied {
            event: Event::Call(c),
            spec: None,
        },
        Stimulus::Timer(t) => Applied {
            event: Event::Timeout(t),
            spec: None,
        },
        Stimulus::Segment(kind, seq_class, ack_class) => {
            let (seq, seq_expr) = match (seq_class, rcv_wnd) {
                (SeqClass::LastInWindow | SeqClass::WindowEdge, Some(w)) => {
                    let edge = seq_of(ep, SeqClass::Exact).0 + w;
                    let v = if seq_class == SeqClass::WindowEdge {
                        edge
                    } else {
                        edge - 1
                    };
                    (v, Numbers::irs_relative(v))
                }
                _ => seq_of(ep, seq_class),
            };
            let (ack, ack_expr) = match ack_class {
                None => (Seq(0), None),
                Some(a) => {
                    let (v, e) = ack_of(ep, a);
                    (v, Some(e))
                }
            };
            let seg = Segment {
                flags: kind.flags(),
                seq,
                ack,
                len: kind.text_len(),
            };
            Applied {
                event: Event::Arrive(seg),
                spec: Some(SegmentSpec {
                    flags: seg.flags,
                    seq: seq_expr,
                    ack: ack_expr,
                    len: kind.text_len() as u32,
                    urg: None,
                }),
            }
        }
    }
}

/// The model's sequence number for a class, and how the vector writes it.
fn seq_of(ep: &Endpoint, class: SeqClass) -> (Seq, SeqExpr) {
    let base = if has_irs(ep) { ep.rcv_nxt } else { IRS };
    let rel = Numbers::irs_offset(base);
    match class {
        SeqClass::Old => (base - 1, SeqExpr::new(SeqVar::Irs, rel - 1)),
        SeqClass::Exact => (base, SeqExpr::new(SeqVar::Irs, rel)),
        SeqClass::InWindow => (base + 1, SeqExpr::new(SeqVar::Irs, rel + 1)),
        SeqClass::LastInWindow => (base + (WND - 1), SeqExpr::with_window(SeqVar::Irs, rel - 1)),
        SeqClass::WindowEdge => (base + WND, SeqExpr::with_window(SeqVar::Irs, rel)),
        // The model's window is small, so its own value is one window past the edge; the
        // vector's is [`BEYOND_MARGIN`] past it. Both are simply beyond the window.
        SeqClass::BeyondWindow => (
            base + 2 * WND,
            SeqExpr::with_window(SeqVar::Irs, rel + i64::from(BEYOND_MARGIN)),
        ),
    }
}

/// The model's acknowledgment number for a class, and how the vector writes it.
fn ack_of(ep: &Endpoint, class: AckClass) -> (Seq, SeqExpr) {
    if !has_iss(ep) {
        return (STRAY_ACK, Numbers::absolute(STRAY_ACK));
    }
    let v = match class {
        AckClass::Old => ep.snd_una - 1,
        AckClass::Una => ep.snd_una,
        AckClass::Exact => ep.snd_nxt,
        AckClass::Beyond => ep.snd_nxt + 1,
        AckClass::TooOld => {
            let v = ep.snd_una - (WND + 1);
            let written = Numbers::dist(ISS, ep.snd_una) - i64::from(u16::MAX) - 1;
            return (v, SeqExpr::new(SeqVar::Iss, written));
        }
    };
    (v, Numbers::iss_relative(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_every_kind_with_and_without_text() {
        let kinds = Kind::all();
        assert_eq!(kinds.len(), 16);
        let names: Vec<String> = kinds.iter().map(|k| k.name()).collect();
        for n in [
            "SYN",
            "SYN+text",
            "SYN+ACK+text",
            "FIN",
            "SYN+FIN+text",
            "RST+ACK+text",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
        }
        let mut ep = Endpoint::closed();
        ep.state = TcpState::Established;
        // 8 kinds without ACK x 6 classes + 8 with ACK x 6 x 4.
        assert_eq!(segment_stimuli(&ep).len(), 8 * 6 + 8 * 6 * 4);
        let slug =
            Stimulus::Segment(Kind::DATA, SeqClass::LastInWindow, Some(AckClass::Una)).slug();
        assert_eq!(slug, "ack-text-seq-last-in-window-ack-una");
    }
}
