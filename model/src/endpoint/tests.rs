//! Unit tests and properties of the endpoint transition function [`step`]: one test per rule of
//! RFC 9293 section 3.10 (and RFC 5961, RFC 1122 section 4.2.3.6, the mechanism switches), each
//! asserting the exact next endpoint and the exact outputs, then proptest properties over random
//! event sequences.
//!
//! Fixture numbers: our ISS is 100, the peer's ISS (our IRS) is 300, and the host's ISN clock
//! reads 500 when an event selects a new ISS; all taken modulo the model's sequence space of
//! 256 (so IRS is 44 and the ISN 244, and a literal such as 301 means IRS + 1).

use super::*;
use crate::fault::Fault;
use crate::mechanism::{Mechanisms, TimeWait, Variant};
use crate::policy::{Choice, Policy};
use crate::segment::{ctl, Segment, Seq};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tcp_vectors::{AppEvent, TcpState, TimerKind};
use TcpState::*;

/// Our initial send sequence number in the fixtures.
const ISS: Seq = Seq(100);
/// The peer's initial sequence number (our IRS) in the fixtures.
const IRS: Seq = Seq(44);
/// The value of the host's ISN clock passed to [`step`].
const ISN: Seq = Seq(244);

/// A sequence number written in a fixture: a [`Seq`], or a plain number (taken modulo the
/// sequence space).
trait AsSeq {
    fn seq(self) -> Seq;
}

impl AsSeq for Seq {
    fn seq(self) -> Seq {
        self
    }
}

impl AsSeq for i32 {
    fn seq(self) -> Seq {
        Seq(self.rem_euclid(256) as u8)
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

/// The standard parameters of the brief: window 4, two retries, RTO 1, MSL 2, no keepalive.
fn params() -> Params {
    Params {
        wnd: 4,
        max_retries: 2,
        rto: 1,
        msl: 2,
        keepalive: None,
        mech: Mechanisms::STANDARD,
        listener: false,
        policy: Policy::MODEL,
        fault: Fault::None,
        receive_buffer: None,
    }
}

/// Standard parameters with keepalive on (idle 2, interval 1, two probes).
fn ka_params() -> Params {
    Params {
        keepalive: Some(KeepaliveParams {
            idle: 2,
            interval: 1,
            count: 2,
        }),
        ..params()
    }
}

/// Standard parameters with other mechanism switches.
fn mech_params(mech: Mechanisms) -> Params {
    Params { mech, ..params() }
}

/// A segment written the way RFC 9293 writes them: `flags` is any of `S`, `A`, `F`, `R`.
fn seg(flags: &str, seq: impl AsSeq, ack: impl AsSeq, len: u8) -> Segment {
    assert!(
        flags.chars().all(|c| "SAFR".contains(c)),
        "test fixture: unknown flag letter in {flags:?}"
    );
    let has = |c| flags.contains(c);
    Segment {
        flags: ctl(has('S'), has('A'), has('F'), has('R')),
        seq: seq.seq(),
        ack: ack.seq(),
        len,
    }
}

fn out(s: Segment) -> Output {
    Output::Send(s)
}

fn app(e: AppEvent) -> Output {
    Output::App(e)
}

fn err(e: CallError) -> Output {
    Output::Error(e)
}

/// LISTEN after a passive OPEN.
fn listen() -> Endpoint {
    Endpoint {
        state: Listen,
        passive: true,
        ..Endpoint::closed()
    }
}

/// SYN-SENT after an active OPEN with ISS 100: the SYN is in flight.
fn syn_sent() -> Endpoint {
    Endpoint {
        state: SynSent,
        iss: ISS,
        snd_una: ISS,
        snd_nxt: ISS + 1,
        rtx_timer: 1,
        ..Endpoint::closed()
    }
}

/// SYN-RECEIVED: the peer's SYN (IRS 300) received, our SYN,ACK (ISS 100) in flight.
fn syn_received(passive: bool) -> Endpoint {
    Endpoint {
        state: SynReceived,
        passive,
        iss: ISS,
        irs: IRS,
        snd_una: ISS,
        snd_nxt: ISS + 1,
        rcv_nxt: IRS + 1,
        rtx_timer: 1,
        ..Endpoint::closed()
    }
}

/// ESTABLISHED, idle: both SYNs acknowledged, nothing in flight, no timer.
fn established() -> Endpoint {
    Endpoint {
        state: Established,
        iss: ISS,
        irs: IRS,
        snd_una: ISS + 1,
        snd_nxt: ISS + 1,
        rcv_nxt: IRS + 1,
        ..Endpoint::closed()
    }
}

/// ESTABLISHED with `n` octets of ours in flight.
fn established_in_flight(n: u8) -> Endpoint {
    Endpoint {
        snd_nxt: ISS + 1 + n,
        rtx_timer: 1,
        ..established()
    }
}

/// FIN-WAIT-1: our FIN (sequence number 101) in flight.
fn fin_wait_1() -> Endpoint {
    Endpoint {
        state: FinWait1,
        snd_nxt: ISS + 2,
        fin_sent: true,
        rtx_timer: 1,
        ..established()
    }
}

/// FIN-WAIT-2: our FIN acknowledged.
fn fin_wait_2() -> Endpoint {
    Endpoint {
        state: FinWait2,
        snd_una: ISS + 2,
        snd_nxt: ISS + 2,
        fin_sent: true,
        ..established()
    }
}

/// CLOSE-WAIT: the peer's FIN (sequence number 301) received.
fn close_wait() -> Endpoint {
    Endpoint {
        state: CloseWait,
        rcv_nxt: IRS + 2,
        ..established()
    }
}

/// CLOSING: both FINs sent, ours not yet acknowledged.
fn closing() -> Endpoint {
    Endpoint {
        state: Closing,
        rcv_nxt: IRS + 2,
        ..fin_wait_1()
    }
}

/// LAST-ACK: the peer's FIN received, our FIN in flight.
fn last_ack() -> Endpoint {
    Endpoint {
        state: LastAck,
        snd_nxt: ISS + 2,
        fin_sent: true,
        rtx_timer: 1,
        ..close_wait()
    }
}

/// TIME-WAIT with a full 2*MSL (4 ticks) to go.
fn time_wait() -> Endpoint {
    Endpoint {
        state: TimeWait,
        rcv_nxt: IRS + 2,
        tw_timer: 4,
        ..fin_wait_2()
    }
}

/// One endpoint in each of the eleven states, from the fixtures above.
fn in_state(state: TcpState) -> Endpoint {
    match state {
        Closed => Endpoint::closed(),
        Listen => listen(),
        SynSent => syn_sent(),
        SynReceived => syn_received(true),
        Established => established(),
        FinWait1 => fin_wait_1(),
        FinWait2 => fin_wait_2(),
        CloseWait => close_wait(),
        Closing => closing(),
        LastAck => last_ack(),
        TimeWait => time_wait(),
    }
}

fn arrive_with(ep: &Endpoint, s: Segment, p: &Params) -> Transition {
    step(ep, &Event::Arrive(s), p, ISN)
}

fn arrive(ep: &Endpoint, s: Segment) -> Transition {
    arrive_with(ep, s, &params())
}

fn call_with(ep: &Endpoint, c: UserCall, p: &Params) -> Transition {
    step(ep, &Event::Call(c), p, ISN)
}

fn call(ep: &Endpoint, c: UserCall) -> Transition {
    call_with(ep, c, &params())
}

fn timer_of(ep: &mut Endpoint, kind: TimerKind) -> &mut u8 {
    match kind {
        TimerKind::Retransmission => &mut ep.rtx_timer,
        TimerKind::TimeWait => &mut ep.tw_timer,
        TimerKind::Keepalive => &mut ep.ka_timer,
    }
}

/// The timer `kind` runs down to zero and expires, as [`crate::system`] does it on a tick.
fn fire_with(ep: &Endpoint, kind: TimerKind, p: &Params) -> Transition {
    let mut e = ep.clone();
    *timer_of(&mut e, kind) = 0;
    step(&e, &Event::Timeout(kind), p, ISN)
}

fn fire(ep: &Endpoint, kind: TimerKind) -> Transition {
    fire_with(ep, kind, &params())
}

/// The transition leaves the endpoint alone and outputs nothing.
fn assert_no_effect(ep: &Endpoint, t: &Transition) {
    assert_eq!(&t.next, ep, "endpoint changed");
    assert_eq!(t.outputs.to_vec(), vec![], "unexpected outputs");
    assert!(!t.accepted && !t.reset && !t.timed_out && !t.isn_used);
}

// ---------------------------------------------------------------------------------------------
// Helpers of the TCB
// ---------------------------------------------------------------------------------------------

#[test]
fn tcb_helpers_count_sequence_space() {
    let e = fin_wait_1();
    assert_eq!(e.in_flight(), 1);
    assert!(!e.fin_acked());
    assert!(fin_wait_2().fin_acked());
    assert!(e.has_timer());
    assert!(!established().has_timer());
    assert_eq!(Endpoint::default(), Endpoint::closed());
    // RFC 9293 section 3.5: the synchronized states are ESTABLISHED and later.
    for s in TcpState::ALL {
        let sync = !matches!(s, Closed | Listen | SynSent | SynReceived);
        assert_eq!(in_state(s).is_synchronized(), sync, "{s:?}");
    }
}

#[test]
fn time_wait_ticks_follow_the_mechanism() {
    // RFC 9293 section 3.6: TIME-WAIT lasts 2*MSL; the switches shorten or remove it.
    let tw = |time_wait| {
        mech_params(Mechanisms {
            time_wait,
            ..Mechanisms::STANDARD
        })
        .time_wait_ticks()
    };
    assert_eq!(tw(TimeWait::TwoMsl), 4);
    assert_eq!(tw(TimeWait::Short), 1);
    assert_eq!(tw(TimeWait::None), 0);
}

#[test]
fn retransmission_segment_covers_syn_data_and_fin_from_snd_una() {
    // RFC 9293 section 3.10.8: retransmit from SND.UNA, with the controls still unacknowledged.
    assert_eq!(syn_sent().retransmission(), seg("S", ISS, 0, 0));
    assert_eq!(
        syn_received(true).retransmission(),
        seg("SA", ISS, IRS + 1, 0)
    );
    let data_fin = Endpoint {
        state: FinWait1,
        snd_nxt: ISS + 4,
        fin_sent: true,
        ..established()
    };
    assert_eq!(data_fin.retransmission(), seg("FA", ISS + 1, IRS + 1, 2));
    assert_eq!(
        established_in_flight(3).retransmission(),
        seg("A", ISS + 1, IRS + 1, 3)
    );
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.1: OPEN
// ---------------------------------------------------------------------------------------------

#[test]
fn open_active_sends_syn_with_iss_and_enters_syn_sent() {
    // RFC 9293 3.10.1 CLOSED, active: select an ISS, send <SEQ=ISS><CTL=SYN>, SND.UNA=ISS,
    // SND.NXT=ISS+1, enter SYN-SENT.
    let t = call(&Endpoint::closed(), UserCall::Open { passive: false });
    assert_eq!(
        t.next,
        Endpoint {
            state: SynSent,
            iss: ISN,
            snd_una: ISN,
            snd_nxt: ISN + 1,
            rtx_timer: 1,
            ..Endpoint::closed()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("S", ISN, 0, 0))]);
    assert!(t.isn_used);
    assert!(!t.accepted && !t.reset && !t.timed_out);
}

#[test]
fn open_passive_enters_listen() {
    // RFC 9293 3.10.1 CLOSED, passive: enter LISTEN; no segment, no ISS yet.
    let t = call(&Endpoint::closed(), UserCall::Open { passive: true });
    assert_eq!(t.next, listen());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(!t.isn_used);
}

#[test]
fn open_on_existing_connection_is_connection_already_exists() {
    // RFC 9293 3.10.1, every state but CLOSED: "error: connection already exists".
    for state in TcpState::ALL.into_iter().filter(|s| *s != Closed) {
        let ep = in_state(state);
        for passive in [false, true] {
            let t = call(&ep, UserCall::Open { passive });
            assert_eq!(t.next, ep, "{state:?}");
            assert_eq!(
                t.outputs.to_vec(),
                vec![err(CallError::ConnectionAlreadyExists)],
                "{state:?}"
            );
            assert!(!t.isn_used);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.1: SEGMENT ARRIVES in CLOSED
// ---------------------------------------------------------------------------------------------

#[test]
fn closed_ignores_rst() {
    // RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded."
    let ep = Endpoint::closed();
    for s in [
        seg("R", 50, 0, 0),
        seg("RA", 50, 77, 0),
        seg("SR", 50, 0, 3),
    ] {
        assert_no_effect(&ep, &arrive(&ep, s));
    }
}

#[test]
fn closed_answers_ackless_segment_with_rst_ack() {
    // RFC 9293 3.10.7.1: ACK bit off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN
    // counting SYN and FIN.
    let ep = Endpoint::closed();
    let cases = [
        (seg("S", 50, 0, 0), 51),
        (seg("F", 50, 0, 3), 54),
        (seg("", 50, 0, 2), 52),
        (seg("SF", 50, 0, 1), 53),
    ];
    for (s, ack) in cases {
        let t = arrive(&ep, s);
        assert_eq!(t.next, ep);
        assert_eq!(t.outputs.to_vec(), vec![out(seg("RA", 0, ack, 0))], "{s}");
        assert!(!t.accepted && !t.reset);
    }
}

#[test]
fn closed_answers_ack_segment_with_rst_at_seg_ack() {
    // RFC 9293 3.10.7.1: ACK bit on: <SEQ=SEG.ACK><CTL=RST>.
    let ep = Endpoint::closed();
    for s in [
        seg("A", 50, 77, 2),
        seg("SA", 50, 77, 0),
        seg("FA", 50, 77, 0),
    ] {
        let t = arrive(&ep, s);
        assert_eq!(t.next, ep);
        assert_eq!(t.outputs.to_vec(), vec![out(seg("R", 77, 0, 0))], "{s}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.2: SEGMENT ARRIVES in LISTEN
// ---------------------------------------------------------------------------------------------

#[test]
fn listen_ignores_rst() {
    // RFC 9293 3.10.7.2 first: "An incoming RST segment could not be valid ... ignored."
    let ep = listen();
    for s in [
        seg("R", IRS, 0, 0),
        seg("RA", IRS, 42, 0),
        seg("SR", IRS, 0, 0),
    ] {
        assert_no_effect(&ep, &arrive(&ep, s));
    }
}

#[test]
fn listen_answers_ack_with_rst_at_seg_ack() {
    // RFC 9293 3.10.7.2 second: any acknowledgment is bad: <SEQ=SEG.ACK><CTL=RST>. The ACK check
    // comes before the SYN check, so a SYN,ACK is refused too.
    let ep = listen();
    for s in [
        seg("A", IRS, 42, 0),
        seg("SA", IRS, 42, 0),
        seg("FA", IRS, 42, 2),
    ] {
        let t = arrive(&ep, s);
        assert_eq!(t.next, ep, "{s}");
        assert_eq!(t.outputs.to_vec(), vec![out(seg("R", 42, 0, 0))], "{s}");
        assert!(!t.isn_used && !t.accepted);
    }
}

#[test]
fn listen_syn_enters_syn_received_and_sends_syn_ack() {
    // RFC 9293 3.10.7.2 third: RCV.NXT=SEG.SEQ+1, IRS=SEG.SEQ, select ISS, send
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, SND.NXT=ISS+1, SND.UNA=ISS, enter SYN-RECEIVED.
    let t = arrive(&listen(), seg("S", IRS, 0, 0));
    assert_eq!(
        t.next,
        Endpoint {
            state: SynReceived,
            passive: true,
            iss: ISN,
            irs: IRS,
            snd_una: ISN,
            snd_nxt: ISN + 1,
            rcv_nxt: IRS + 1,
            rtx_timer: 1,
            ..Endpoint::closed()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("SA", ISN, IRS + 1, 0))]);
    assert!(t.isn_used && t.accepted);
}

#[test]
fn listen_drops_segment_without_syn_ack_or_rst() {
    // RFC 9293 3.10.7.2 fourth: other text or control: drop the segment and return.
    let ep = listen();
    for s in [seg("F", IRS, 0, 0), seg("", IRS, 0, 3), seg("F", IRS, 0, 2)] {
        assert_no_effect(&ep, &arrive(&ep, s));
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.3: SEGMENT ARRIVES in SYN-SENT
// ---------------------------------------------------------------------------------------------

#[test]
fn syn_sent_unacceptable_ack_gets_rst_at_seg_ack() {
    // RFC 9293 3.10.7.3 first: SEG.ACK =< ISS or SEG.ACK > SND.NXT: send <SEQ=SEG.ACK><CTL=RST>
    // and discard the segment.
    let ep = syn_sent();
    for ack in [ISS - 1, ISS, ISS + 2] {
        for flags in ["A", "SA", "FA"] {
            let t = arrive(&ep, seg(flags, IRS, ack, 0));
            assert_eq!(t.next, ep, "{flags} ack={ack}");
            assert_eq!(
                t.outputs.to_vec(),
                vec![out(seg("R", ack, 0, 0))],
                "{flags} ack={ack}"
            );
            assert!(!t.accepted);
        }
    }
}

#[test]
fn syn_sent_unacceptable_ack_with_rst_is_dropped() {
    // RFC 9293 3.10.7.3 first: "(unless the RST bit is set, if so drop the segment and return)".
    let ep = syn_sent();
    for ack in [ISS, ISS + 2] {
        assert_no_effect(&ep, &arrive(&ep, seg("RA", IRS, ack, 0)));
    }
}

#[test]
fn syn_sent_rst_with_acceptable_ack_is_refused() {
    // RFC 9293 3.10.7.3 second: with an acceptable ACK, signal the user, drop the segment, enter
    // CLOSED and delete the TCB.
    let t = arrive(&syn_sent(), seg("RA", 0, ISS + 1, 0));
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::Refused)]);
    assert!(t.reset && t.accepted);
}

#[test]
fn syn_sent_rst_without_ack_is_ignored() {
    // RFC 9293 3.10.7.3 second (RFC 5961 section 3): "Otherwise (no ACK), drop the segment".
    let ep = syn_sent();
    assert_no_effect(&ep, &arrive(&ep, seg("R", IRS, 0, 0)));
    assert_no_effect(&ep, &arrive(&ep, seg("SR", IRS, 0, 0)));
}

#[test]
fn syn_sent_acceptable_syn_ack_establishes() {
    // RFC 9293 3.10.7.3 fourth: IRS=SEG.SEQ, RCV.NXT=SEG.SEQ+1, SND.UNA=SEG.ACK; our SYN is
    // acknowledged: enter ESTABLISHED and send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    let t = arrive(&syn_sent(), seg("SA", IRS, ISS + 1, 0));
    assert_eq!(t.next, established());
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("A", ISS + 1, IRS + 1, 0)), app(AppEvent::Connected)]
    );
    assert!(t.accepted && !t.isn_used && !t.reset);
}

#[test]
fn syn_sent_syn_alone_is_simultaneous_open() {
    // RFC 9293 3.10.7.3 fourth: otherwise enter SYN-RECEIVED and send
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    let t = arrive(&syn_sent(), seg("S", IRS, 0, 0));
    assert_eq!(t.next, syn_received(false));
    assert_eq!(t.outputs.to_vec(), vec![out(seg("SA", ISS, IRS + 1, 0))]);
    assert!(t.accepted && !t.isn_used);
}

#[test]
fn syn_sent_drops_segment_without_syn_or_rst() {
    // RFC 9293 3.10.7.3 fifth: neither SYN nor RST: drop the segment and return.
    let ep = syn_sent();
    assert_no_effect(&ep, &arrive(&ep, seg("A", IRS, ISS + 1, 0)));
    assert_no_effect(&ep, &arrive(&ep, seg("F", IRS, 0, 2)));
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 first: sequence number check
// ---------------------------------------------------------------------------------------------

#[test]
fn acceptability_test_four_cases() {
    // RFC 9293 3.10.7.4 first: the four cases of SEG.LEN and RCV.WND (RCV.NXT = 301).
    let ep = established();
    let ok = |s: Segment, wnd: u8| ep.acceptable(&s, wnd, &params());
    // SEG.LEN = 0, RCV.WND = 0: SEG.SEQ = RCV.NXT.
    assert!(ok(seg("A", 301, 0, 0), 0));
    assert!(!ok(seg("A", 300, 0, 0), 0));
    assert!(!ok(seg("A", 302, 0, 0), 0));
    // SEG.LEN = 0, RCV.WND > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND.
    for seq in 301..=304 {
        assert!(ok(seg("A", seq, 0, 0), 4), "seq={seq}");
    }
    assert!(!ok(seg("A", 300, 0, 0), 4));
    assert!(!ok(seg("A", 305, 0, 0), 4));
    // SEG.LEN > 0, RCV.WND = 0: not acceptable (data, SYN or FIN alike).
    assert!(!ok(seg("A", 301, 0, 1), 0));
    assert!(!ok(seg("FA", 301, 0, 0), 0));
    assert!(!ok(seg("S", 301, 0, 0), 0));
    // SEG.LEN > 0, RCV.WND > 0: the first or the last octet lies in the window.
    assert!(ok(seg("A", 301, 0, 1), 4));
    assert!(ok(seg("A", 304, 0, 3), 4)); // first octet in, the rest beyond
    assert!(ok(seg("A", 298, 0, 4), 4)); // last octet (301) in
    assert!(ok(seg("FA", 297, 0, 4), 4)); // the FIN (301) is the last octet, in
    assert!(!ok(seg("A", 298, 0, 3), 4)); // 298..=300: all old
    assert!(!ok(seg("FA", 300, 0, 0), 4)); // a FIN at 300: old
    assert!(!ok(seg("A", 305, 0, 1), 4)); // beyond the window
    assert!(ok(seg("S", 304, 0, 0), 4));
    assert!(!ok(seg("S", 300, 0, 0), 4));
}

#[test]
fn unacceptable_segment_gets_ack_and_is_dropped() {
    // RFC 9293 3.10.7.4 first: not acceptable and not RST: send <SEQ=SND.NXT><ACK=RCV.NXT>
    // <CTL=ACK>, drop the segment and return. Same in SYN-RECEIVED and every synchronized state.
    for state in [
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        Closing,
        LastAck,
        TimeWait,
    ] {
        let ep = in_state(state);
        let ack = Segment::ack(ep.snd_nxt, ep.rcv_nxt);
        let beyond = ep.rcv_nxt + 4;
        let old = ep.rcv_nxt - 3;
        for s in [
            seg("A", beyond, ep.snd_nxt, 2),
            seg("A", beyond, ep.snd_nxt, 0),
            seg("A", old, ep.snd_nxt, 2),
            seg("SA", beyond, ep.snd_nxt, 0),
            seg("FA", beyond, ep.snd_nxt, 0),
            seg("", beyond, 0, 1),
        ] {
            let t = arrive(&ep, s);
            assert_eq!(t.next, ep, "{state:?} {s}");
            assert_eq!(t.outputs.to_vec(), vec![out(ack)], "{state:?} {s}");
            assert!(!t.accepted && !t.reset, "{state:?} {s}");
        }
    }
}

#[test]
fn unacceptable_rst_is_dropped_silently() {
    // RFC 9293 3.10.7.4 first: "If the RST bit is set ... drop it and return" (RFC 5961 3.2:
    // a RST outside the window is silently dropped).
    for state in [
        SynReceived,
        Established,
        FinWait1,
        CloseWait,
        LastAck,
        TimeWait,
    ] {
        let ep = in_state(state);
        for seq in [ep.rcv_nxt + 4, ep.rcv_nxt + 50, ep.rcv_nxt - 1] {
            assert_no_effect(&ep, &arrive(&ep, seg("R", seq, 0, 0)));
            assert_no_effect(&ep, &arrive(&ep, seg("RA", seq, ep.snd_nxt, 0)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 second, RFC 5961 section 3.2: RST
// ---------------------------------------------------------------------------------------------

#[test]
fn rst_exactly_at_rcv_nxt_resets_the_connection() {
    // RFC 5961 3.2 / RFC 9293 3.10.7.4 second: SEG.SEQ = RCV.NXT resets. ESTABLISHED,
    // FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: the user gets "connection reset", enter CLOSED.
    for state in [Established, FinWait1, FinWait2, CloseWait] {
        let ep = in_state(state);
        let t = arrive(&ep, seg("R", ep.rcv_nxt, 0, 0));
        assert_eq!(t.next, Endpoint::closed(), "{state:?}");
        assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::Reset)], "{state:?}");
        assert!(t.reset && t.accepted, "{state:?}");
    }
}

#[test]
fn rst_in_closing_or_last_ack_enters_closed_silently() {
    // RFC 9293 3.10.7.4 second, CLOSING and LAST-ACK: enter CLOSED, delete the TCB, return.
    for state in [Closing, LastAck] {
        let ep = in_state(state);
        let t = arrive(&ep, seg("RA", ep.rcv_nxt, ep.snd_nxt, 0));
        assert_eq!(t.next, Endpoint::closed(), "{state:?}");
        assert_eq!(t.outputs.to_vec(), vec![], "{state:?}");
        assert!(t.reset && t.accepted, "{state:?}");
    }
}

#[test]
fn rst_in_window_but_not_exact_gets_challenge_ack() {
    // RFC 5961 3.2: in the window but SEG.SEQ != RCV.NXT: send a challenge ACK
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and drop; no state change.
    for state in [
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        LastAck,
    ] {
        let ep = in_state(state);
        for seq in (1..4).map(|k| ep.rcv_nxt + k) {
            let t = arrive(&ep, seg("R", seq, 0, 0));
            assert_eq!(t.next, ep, "{state:?} seq={seq}");
            assert_eq!(
                t.outputs.to_vec(),
                vec![out(seg("A", ep.snd_nxt, ep.rcv_nxt, 0))],
                "{state:?} seq={seq}"
            );
            assert!(!t.reset && !t.accepted);
        }
    }
}

#[test]
fn rst_in_passive_syn_received_returns_to_listen() {
    // RFC 9293 3.10.7.4 second, SYN-RECEIVED from a passive OPEN: return to LISTEN; "the user
    // need not be informed".
    let t = arrive(&syn_received(true), seg("R", IRS + 1, 0, 0));
    assert_eq!(t.next, listen());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(!t.reset && t.accepted);
}

#[test]
fn rst_in_active_syn_received_is_refused() {
    // RFC 9293 3.10.7.4 second, SYN-RECEIVED from an active OPEN: "connection refused", CLOSED.
    let t = arrive(&syn_received(false), seg("R", IRS + 1, 0, 0));
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::Refused)]);
    assert!(t.reset && t.accepted);
}

#[test]
fn rst_in_time_wait_is_ignored() {
    // RFC 1337 fix F1 (the model's documented choice over RFC 9293's "enter CLOSED"): a RST in
    // TIME-WAIT is ignored, so TIME-WAIT cannot be assassinated.
    let ep = Endpoint {
        tw_timer: 3,
        ..time_wait()
    };
    for s in [
        seg("R", IRS + 2, 0, 0),
        seg("RA", IRS + 2, ISS + 2, 0),
        seg("R", IRS + 3, 0, 0),
    ] {
        assert_no_effect(&ep, &arrive(&ep, s));
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 fourth, RFC 5961 section 4.2: SYN
// ---------------------------------------------------------------------------------------------

#[test]
fn syn_in_synchronized_state_gets_challenge_ack() {
    // RFC 5961 4.2 / RFC 9293 3.10.7.4 fourth: a SYN in a synchronized state, in the window or
    // not, draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped.
    for state in [Established, FinWait1, FinWait2, CloseWait, Closing, LastAck] {
        let ep = in_state(state);
        let challenge = vec![out(seg("A", ep.snd_nxt, ep.rcv_nxt, 0))];
        for s in [
            seg("S", ep.rcv_nxt, 0, 0),
            seg("S", ep.rcv_nxt + 2, 0, 0),
            seg("SA", ep.rcv_nxt + 1, ep.snd_nxt, 0),
            seg("S", 1000, 0, 0),
        ] {
            let t = arrive(&ep, s);
            assert_eq!(t.next, ep, "{state:?} {s}");
            assert_eq!(t.outputs.to_vec(), challenge, "{state:?} {s}");
            assert!(!t.accepted && !t.reset);
        }
    }
}

#[test]
fn syn_in_passive_syn_received_returns_to_listen() {
    // RFC 9293 3.10.7.4 fourth, SYN-RECEIVED from a passive OPEN: return to LISTEN.
    let t = arrive(&syn_received(true), seg("S", IRS + 2, 0, 0));
    assert_eq!(t.next, listen());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(!t.reset);
}

#[test]
fn retransmitted_syn_in_syn_received_fails_the_acceptability_test() {
    // RFC 9293 3.10.7.4 first: the peer's retransmitted SYN lies at RCV.NXT-1, before the
    // window, so it is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and the passive
    // endpoint stays in SYN-RECEIVED.
    let ep = syn_received(true);
    let t = arrive(&ep, seg("S", IRS, 0, 0));
    assert_eq!(t.next, ep);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 1, 0))]);
}

#[test]
fn syn_in_active_syn_received_gets_challenge_ack() {
    // RFC 9293 3.10.7.4 fourth: from an active OPEN, SYN-RECEIVED is handled like the
    // synchronized states: challenge ACK.
    let ep = syn_received(false);
    let t = arrive(&ep, seg("S", IRS + 2, 0, 0));
    assert_eq!(t.next, ep);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 1, 0))]);
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 fifth: ACK
// ---------------------------------------------------------------------------------------------

#[test]
fn segment_without_ack_is_dropped_in_synchronized_states() {
    // RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return".
    for state in [SynReceived, Established, FinWait2, CloseWait] {
        let ep = in_state(state);
        for s in [seg("", ep.rcv_nxt, 0, 2), seg("F", ep.rcv_nxt, 0, 0)] {
            assert_no_effect(&ep, &arrive(&ep, s));
        }
    }
}

#[test]
fn ack_above_snd_nxt_is_acked_and_dropped() {
    // RFC 5961 5.2 / RFC 9293 3.10.7.4 fifth: SEG.ACK > SND.NXT: send an ACK, drop the segment
    // (its data and FIN are not processed) and return.
    let ep = established_in_flight(2);
    for s in [
        seg("A", IRS + 1, ISS + 4, 2),
        seg("FA", IRS + 1, ISS + 4, 0),
        seg("A", IRS + 1, ISS + 20, 0),
    ] {
        let t = arrive(&ep, s);
        assert_eq!(t.next, ep, "{s}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("A", ISS + 3, IRS + 1, 0))],
            "{s}"
        );
        assert!(!t.accepted);
    }
}

#[test]
fn ack_too_old_is_acked_and_dropped() {
    // RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT] (MAX.SND.WND is the
    // window, 4); an older one draws an ACK and is dropped, one at the edge is a duplicate.
    let ep = Endpoint {
        snd_una: ISS + 10,
        snd_nxt: ISS + 12,
        rtx_timer: 1,
        ..established()
    };
    let t = arrive(&ep, seg("A", IRS + 1, ISS + 5, 2));
    assert_eq!(t.next, ep);
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("A", ISS + 12, IRS + 1, 0))]
    );
    // SEG.ACK = SND.UNA - 4: a duplicate; its data is processed.
    let t = arrive(&ep, seg("A", IRS + 1, ISS + 6, 2));
    assert_eq!(
        t.next,
        Endpoint {
            rcv_nxt: IRS + 3,
            ..ep.clone()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(2)), out(seg("A", ISS + 12, IRS + 3, 0))]
    );
}

#[test]
fn ack_advances_snd_una_and_restarts_retransmission() {
    // RFC 9293 3.10.7.4 fifth, ESTABLISHED: SND.UNA < SEG.ACK =< SND.NXT sets SND.UNA; the
    // timer restarts for what remains and stops when nothing does (RFC 6298 5.2, 5.3).
    let ep = Endpoint {
        retries: 1,
        ..established_in_flight(3)
    };
    let t = arrive(&ep, seg("A", IRS + 1, ISS + 2, 0));
    assert_eq!(
        t.next,
        Endpoint {
            snd_una: ISS + 2,
            retries: 0,
            ..established_in_flight(3)
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(t.accepted);
    let t = arrive(&ep, seg("A", IRS + 1, ISS + 4, 0));
    assert_eq!(
        t.next,
        Endpoint {
            snd_una: ISS + 4,
            snd_nxt: ISS + 4,
            ..established()
        }
    );
}

#[test]
fn syn_received_acceptable_ack_establishes() {
    // RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED.
    let t = arrive(&syn_received(true), seg("A", IRS + 1, ISS + 1, 0));
    assert_eq!(
        t.next,
        Endpoint {
            passive: true,
            ..established()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::Connected)]);
    assert!(t.accepted && !t.reset);
}

#[test]
fn syn_received_ack_with_data_establishes_then_delivers() {
    // RFC 9293 3.10.7.4 fifth then seventh: after entering ESTABLISHED, processing continues
    // with the segment text.
    let t = arrive(&syn_received(false), seg("A", IRS + 1, ISS + 1, 2));
    assert_eq!(
        t.next,
        Endpoint {
            rcv_nxt: IRS + 3,
            ..established()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::Connected),
            app(AppEvent::Data(2)),
            out(seg("A", ISS + 1, IRS + 3, 0))
        ]
    );
}

#[test]
fn syn_received_unacceptable_ack_gets_rst_at_seg_ack() {
    // RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: not acceptable: <SEQ=SEG.ACK><CTL=RST>.
    let ep = syn_received(true);
    for ack in [ISS, ISS + 2, ISS + 9] {
        let t = arrive(&ep, seg("A", IRS + 1, ack, 0));
        assert_eq!(t.next, ep, "ack={ack}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("R", ack, 0, 0))],
            "ack={ack}"
        );
        assert!(!t.accepted);
    }
}

#[test]
fn fin_wait_1_ack_of_fin_enters_fin_wait_2() {
    // RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: if our FIN is now acknowledged, enter FIN-WAIT-2.
    let t = arrive(&fin_wait_1(), seg("A", IRS + 1, ISS + 2, 0));
    assert_eq!(t.next, fin_wait_2());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(t.accepted);
}

#[test]
fn closing_ack_of_fin_enters_time_wait() {
    // RFC 9293 3.10.7.4 fifth, CLOSING: if the ACK acknowledges our FIN, enter TIME-WAIT.
    let t = arrive(&closing(), seg("A", IRS + 2, ISS + 2, 0));
    assert_eq!(t.next, time_wait());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(t.accepted);
}

#[test]
fn closing_ack_not_of_fin_is_ignored() {
    // RFC 9293 3.10.7.4 fifth, CLOSING: "otherwise, ignore the segment".
    let ep = closing();
    assert_no_effect(&ep, &arrive(&ep, seg("A", IRS + 2, ISS + 1, 0)));
}

#[test]
fn closing_fin_whose_ack_is_not_of_our_fin_is_ignored() {
    // RFC 9293 3.10.7.4 fifth, CLOSING: "otherwise, ignore the segment": the FIN step is not
    // reached, so a FIN carried by such a segment is neither taken nor acknowledged.
    let ep = closing();
    for ack in [ISS, ISS + 1] {
        assert_no_effect(&ep, &arrive(&ep, seg("FA", IRS + 2, ack, 0)));
    }
}

#[test]
fn simultaneous_open_syn_ack_repeating_the_syn_establishes() {
    // RFC 9293 Figure 8, line 6: in SYN-RECEIVED after a simultaneous open, the peer's
    // SYN,ACK repeats its SYN at IRS; the old SYN is trimmed and the ACK processed.
    let t = arrive(&syn_received(false), seg("SA", IRS, ISS + 1, 0));
    assert_eq!(t.next, established());
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::Connected)]);
    assert!(t.accepted && !t.reset);
    // A repeat whose ACK would not complete the handshake is an old segment: first check,
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    let ep = syn_received(false);
    for ack in [ISS, ISS + 2] {
        let t = arrive(&ep, seg("SA", IRS, ack, 0));
        assert_eq!(t.next, ep, "ack={ack}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("A", ISS + 1, IRS + 1, 0))],
            "ack={ack}"
        );
    }
    // A passively opened SYN-RECEIVED has no such repeat: the old SYN is unacceptable.
    let ep = syn_received(true);
    let t = arrive(&ep, seg("SA", IRS, ISS + 1, 0));
    assert_eq!(t.next, ep);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 1, 0))]);
}

#[test]
fn last_ack_ack_of_fin_enters_closed() {
    // RFC 9293 3.10.7.4 fifth, LAST-ACK: if our FIN is acknowledged, delete the TCB, CLOSED.
    let t = arrive(&last_ack(), seg("A", IRS + 2, ISS + 2, 0));
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(t.accepted && !t.reset);
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 seventh: segment text
// ---------------------------------------------------------------------------------------------

#[test]
fn in_order_data_is_delivered_and_acked() {
    // RFC 9293 3.10.7.4 seventh: deliver the text, advance RCV.NXT, send
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    for state in [Established, FinWait1, FinWait2] {
        let ep = in_state(state);
        let t = arrive(&ep, seg("A", IRS + 1, ep.snd_una, 3));
        assert_eq!(
            t.next,
            Endpoint {
                rcv_nxt: IRS + 4,
                ..ep.clone()
            },
            "{state:?}"
        );
        assert_eq!(
            t.outputs.to_vec(),
            vec![
                app(AppEvent::Data(3)),
                out(seg("A", ep.snd_nxt, IRS + 4, 0))
            ],
            "{state:?}"
        );
        assert!(t.accepted);
    }
}

#[test]
fn out_of_order_data_is_held_or_dropped_and_acks_rcv_nxt() {
    // RFC 9293 3.10.7.4 first: segments beyond RCV.NXT "SHOULD be held for later processing"
    // (the model's choice; dropping them is the other). Either way nothing is delivered yet
    // and the ACK is of RCV.NXT.
    let ep = established();
    for (s, held, held_fin) in [
        (seg("A", IRS + 2, ISS + 1, 2), 0b0110, None),
        (seg("A", IRS + 4, ISS + 1, 1), 0b1000, None),
        (seg("FA", IRS + 3, ISS + 1, 0), 0, Some(2)),
    ] {
        let t = arrive(&ep, s);
        let kept = Endpoint {
            held,
            held_fin,
            ..ep.clone()
        };
        assert_eq!(t.next, kept, "{s}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("A", ISS + 1, IRS + 1, 0))],
            "{s}"
        );
        assert!(!t.accepted);
        let dropping = Params {
            policy: Policy::MODEL.flip(Choice::OutOfOrder),
            ..params()
        };
        let t = step(&ep, &Event::Arrive(s), &dropping, ISN);
        assert_eq!(t.next, ep, "{s}: dropped");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("A", ISS + 1, IRS + 1, 0))],
            "{s}"
        );
    }
}

#[test]
fn held_data_is_delivered_when_the_gap_fills() {
    // The gap filler delivers itself and everything held after it, and the ACK covers all.
    let t = arrive(&established(), seg("A", IRS + 3, ISS + 1, 2));
    let t = arrive(&t.next, seg("A", IRS + 1, ISS + 1, 2));
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(4)), out(seg("A", ISS + 1, IRS + 5, 0))]
    );
    assert_eq!((t.next.rcv_nxt, t.next.held), (IRS + 5, 0));
    // A held FIN is processed once the data before it is in.
    let t = arrive(&established(), seg("FA", IRS + 2, ISS + 1, 1));
    let t = arrive(&t.next, seg("A", IRS + 1, ISS + 1, 1));
    assert_eq!(t.next.state, CloseWait);
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::Data(2)),
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 1, IRS + 4, 0))
        ]
    );
}

#[test]
fn overlapping_retransmission_delivers_only_new_data() {
    // RFC 9293 3.10.7.4 first: "If a segment's contents straddle the boundary between old and
    // new, only the new parts are processed." 299..=302 with RCV.NXT 301: two new octets.
    let t = arrive(&established(), seg("A", IRS - 1, ISS + 1, 4));
    assert_eq!(
        t.next,
        Endpoint {
            rcv_nxt: IRS + 3,
            ..established()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(2)), out(seg("A", ISS + 1, IRS + 3, 0))]
    );
}

#[test]
fn text_after_peer_fin_is_ignored() {
    // RFC 9293 3.10.7.4 seventh, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not
    // occur since a FIN has been received from the remote side. Ignore the segment text."
    for state in [CloseWait, Closing, LastAck] {
        let ep = in_state(state);
        let t = arrive(&ep, seg("A", ep.rcv_nxt, ep.snd_una, 2));
        assert_eq!(t.next, ep, "{state:?}");
        assert_eq!(t.outputs.to_vec(), vec![], "{state:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.7.4 eighth: FIN
// ---------------------------------------------------------------------------------------------

#[test]
fn fin_in_established_enters_close_wait() {
    // RFC 9293 3.10.7.4 eighth: signal "connection closing", advance RCV.NXT over the FIN, ACK
    // it; ESTABLISHED enters CLOSE-WAIT.
    let t = arrive(&established(), seg("FA", IRS + 1, ISS + 1, 0));
    assert_eq!(t.next, close_wait());
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 1, IRS + 2, 0))
        ]
    );
    assert!(t.accepted);
}

#[test]
fn fin_with_data_delivers_then_closes_with_one_ack() {
    // RFC 9293 3.10.7.4 seventh then eighth: the text first, then the FIN; a single ACK.
    let t = arrive(&established(), seg("FA", IRS + 1, ISS + 1, 2));
    assert_eq!(
        t.next,
        Endpoint {
            rcv_nxt: IRS + 4,
            ..close_wait()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::Data(2)),
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 1, IRS + 4, 0))
        ]
    );
}

#[test]
fn fin_in_fin_wait_1_acking_our_fin_enters_time_wait() {
    // RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this
    // segment), then enter TIME-WAIT, start the time-wait timer, turn off the other timers".
    let t = arrive(&fin_wait_1(), seg("FA", IRS + 1, ISS + 2, 0));
    assert_eq!(t.next, time_wait());
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 2, IRS + 2, 0))
        ]
    );
}

#[test]
fn fin_in_fin_wait_1_without_ack_of_our_fin_enters_closing() {
    // RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: "otherwise, enter the CLOSING state".
    let t = arrive(&fin_wait_1(), seg("FA", IRS + 1, ISS + 1, 0));
    assert_eq!(t.next, closing());
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 2, IRS + 2, 0))
        ]
    );
}

#[test]
fn fin_in_fin_wait_2_enters_time_wait() {
    // RFC 9293 3.10.7.4 eighth, FIN-WAIT-2: enter TIME-WAIT, start the time-wait timer.
    let t = arrive(&fin_wait_2(), seg("FA", IRS + 1, ISS + 2, 0));
    assert_eq!(t.next, time_wait());
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 2, IRS + 2, 0))
        ]
    );
}

#[test]
fn time_wait_retransmitted_fin_is_acked_and_restarts_2msl() {
    // RFC 9293 3.10.7.4 eighth, TIME-WAIT: "Remain in the TIME-WAIT state. Restart the 2 MSL
    // time-wait timeout." The retransmitted FIN (at RCV.NXT-1) is acknowledged.
    let ep = Endpoint {
        tw_timer: 1,
        ..time_wait()
    };
    for s in [
        seg("FA", IRS + 1, ISS + 2, 0),
        seg("FA", IRS - 1, ISS + 2, 2),
    ] {
        let t = arrive(&ep, s);
        assert_eq!(t.next, time_wait(), "{s}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("A", ISS + 2, IRS + 2, 0))],
            "{s}"
        );
        assert!(t.accepted && !t.reset);
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.2: SEND
// ---------------------------------------------------------------------------------------------

#[test]
fn send_without_connection_is_error() {
    // RFC 9293 3.10.2 CLOSED: "error: connection does not exist"; LISTEN: this model does not
    // turn a passive endpoint active ("connection not open").
    let t = call(&Endpoint::closed(), UserCall::Send(2));
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(
        t.outputs.to_vec(),
        vec![err(CallError::ConnectionDoesNotExist)]
    );
    let t = call(&listen(), UserCall::Send(2));
    assert_eq!(t.next, listen());
    assert_eq!(t.outputs.to_vec(), vec![err(CallError::NotOpen)]);
}

#[test]
fn send_after_close_is_connection_closing() {
    // RFC 9293 3.10.2 FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT:
    // "error: connection closing".
    for state in [FinWait1, FinWait2, Closing, LastAck, TimeWait] {
        let ep = in_state(state);
        let t = call(&ep, UserCall::Send(2));
        assert_eq!(t.next, ep, "{state:?}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![err(CallError::ConnectionClosing)],
            "{state:?}"
        );
    }
}

#[test]
fn send_in_syn_sent_is_queued_then_sent_on_established() {
    // RFC 9293 3.10.2 SYN-SENT: "Queue the data for transmission after entering ESTABLISHED".
    let t = call(&syn_sent(), UserCall::Send(3));
    assert_eq!(
        t.next,
        Endpoint {
            queued: 3,
            ..syn_sent()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![]);
    let t = arrive(&t.next, seg("SA", IRS, ISS + 1, 0));
    assert_eq!(
        t.next,
        Endpoint {
            snd_nxt: ISS + 4,
            rtx_timer: 1,
            ..established()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            out(seg("A", ISS + 1, IRS + 1, 0)),
            app(AppEvent::Connected),
            out(seg("A", ISS + 1, IRS + 1, 3))
        ]
    );
}

#[test]
fn send_in_syn_received_is_queued_then_sent_on_established() {
    // RFC 9293 3.10.2 SYN-RECEIVED: queue the data until ESTABLISHED.
    let t = call(&syn_received(true), UserCall::Send(2));
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert_eq!(t.next.queued, 2);
    let t = arrive(&t.next, seg("A", IRS + 1, ISS + 1, 0));
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Connected), out(seg("A", ISS + 1, IRS + 1, 2))]
    );
    assert_eq!(
        t.next,
        Endpoint {
            passive: true,
            snd_nxt: ISS + 3,
            rtx_timer: 1,
            ..established()
        }
    );
}

#[test]
fn send_in_established_is_limited_by_the_window() {
    // RFC 9293 3.10.2 / 3.8.6: send no more than the window allows (wnd 4): of 6 octets, 4 leave
    // at once and 2 stay queued; with the window full, a further SEND only queues.
    let t = call(&established(), UserCall::Send(6));
    let after = Endpoint {
        queued: 2,
        ..established_in_flight(4)
    };
    assert_eq!(t.next, after);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 1, 4))]);
    let t = call(&after, UserCall::Send(1));
    assert_eq!(
        t.next,
        Endpoint {
            queued: 3,
            ..after.clone()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![]);
}

#[test]
fn send_fills_only_the_rest_of_the_window() {
    // RFC 9293 3.8.6: with 2 octets in flight, only 2 more fit in a window of 4.
    let t = call(&established_in_flight(2), UserCall::Send(3));
    assert_eq!(
        t.next,
        Endpoint {
            queued: 1,
            ..established_in_flight(4)
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 3, IRS + 1, 2))]);
}

#[test]
fn send_in_close_wait_is_sent() {
    // RFC 9293 3.10.2 CLOSE-WAIT: segmentize the buffer and send it.
    let t = call(&close_wait(), UserCall::Send(2));
    assert_eq!(
        t.next,
        Endpoint {
            snd_nxt: ISS + 3,
            rtx_timer: 1,
            ..close_wait()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 2, 2))]);
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.4: CLOSE
// ---------------------------------------------------------------------------------------------

#[test]
fn close_in_established_sends_fin_and_enters_fin_wait_1() {
    // RFC 9293 3.10.4 ESTABLISHED: form a FIN segment, send it, enter FIN-WAIT-1.
    let t = call(&established(), UserCall::Close);
    assert_eq!(t.next, fin_wait_1());
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("FA", ISS + 1, IRS + 1, 0))]
    );
}

#[test]
fn close_with_queued_data_sends_fin_with_the_last_data() {
    // RFC 9293 3.10.4: the FIN follows all data queued by earlier SENDs.
    let ep = Endpoint {
        queued: 2,
        ..established()
    };
    let t = call(&ep, UserCall::Close);
    assert_eq!(
        t.next,
        Endpoint {
            state: FinWait1,
            snd_nxt: ISS + 4,
            fin_sent: true,
            rtx_timer: 1,
            ..established()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("FA", ISS + 1, IRS + 1, 2))]
    );
}

#[test]
fn close_with_data_beyond_the_window_holds_the_fin() {
    // RFC 9293 3.10.4: the FIN waits behind data the window does not yet admit.
    let ep = Endpoint {
        queued: 2,
        ..established_in_flight(4)
    };
    let t = call(&ep, UserCall::Close);
    assert_eq!(
        t.next,
        Endpoint {
            state: FinWait1,
            fin_queued: true,
            ..ep.clone()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![]);
}

#[test]
fn close_in_close_wait_sends_fin_and_enters_last_ack() {
    // RFC 9293 3.10.4 CLOSE-WAIT: queue the FIN, enter LAST-ACK (sent at once here).
    let t = call(&close_wait(), UserCall::Close);
    assert_eq!(t.next, last_ack());
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("FA", ISS + 1, IRS + 2, 0))]
    );
}

#[test]
fn close_in_listen_or_syn_sent_deletes_the_tcb() {
    // RFC 9293 3.10.4 LISTEN and SYN-SENT: delete the TCB, enter CLOSED; no segment.
    for ep in [listen(), syn_sent()] {
        let t = call(&ep, UserCall::Close);
        assert_eq!(t.next, Endpoint::closed(), "{:?}", ep.state);
        assert_eq!(t.outputs.to_vec(), vec![]);
    }
}

#[test]
fn close_in_syn_received_without_data_sends_fin_at_once() {
    // RFC 9293 3.10.4 SYN-RECEIVED: "If no SENDs have been issued and there is no pending data
    // to send, then form a FIN segment and send it, and enter FIN-WAIT-1 state".
    let t = call(&syn_received(true), UserCall::Close);
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("FA", ISS + 1, IRS + 1, 0))]
    );
    assert_eq!(t.next.state, FinWait1);
    assert!(t.next.fin_sent);
}

#[test]
fn close_in_syn_received_with_data_queues_the_fin_until_established() {
    // RFC 9293 3.10.4 SYN-RECEIVED: "otherwise, queue for processing after entering
    // ESTABLISHED state".
    let ep = Endpoint {
        queued: 1,
        ..syn_received(true)
    };
    let t = call(&ep, UserCall::Close);
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(t.next.fin_queued);
    let t = arrive(&t.next, seg("A", IRS + 1, ISS + 1, 0));
    assert_eq!(t.next.state, FinWait1);
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::Connected),
            out(seg("FA", ISS + 1, IRS + 1, 1))
        ]
    );
}

#[test]
fn queued_data_is_sent_when_an_ack_opens_the_window() {
    // RFC 9293 3.10.2: data SENT beyond the window waits, and goes out when an ACK makes room.
    let t = call(&established(), UserCall::Send(6));
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 1, IRS + 1, 4))]);
    let t = arrive(&t.next, seg("A", IRS + 1, ISS + 5, 0));
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 5, IRS + 1, 2))]);
    assert_eq!(t.next.snd_una, ISS + 5);
    assert_eq!(t.next.snd_nxt, ISS + 7);
    assert_eq!(t.next.rtx_timer, 1);
}

#[test]
fn live_peer_answering_every_probe_is_not_timed_out() {
    // RFC 1122 4.2.3.6: the answer to a probe (a duplicate ACK) shows the peer is alive.
    let p = ka_params();
    let mut ep = Endpoint {
        ka_timer: 2,
        ..established()
    };
    for _ in 0..3 {
        let t = fire_with(&ep, TimerKind::Keepalive, &p);
        assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS, IRS + 1, 0))]);
        ep = arrive_with(&t.next, seg("A", IRS + 1, ISS + 1, 0), &p).next;
        assert_eq!(ep.ka_probes, 0);
    }
}

#[test]
fn data_beyond_the_receive_window_is_trimmed() {
    // RFC 9293 3.10.7.4 first: only the part of a segment inside the window is taken.
    let t = arrive(&established(), seg("A", IRS + 1, ISS + 1, 6));
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(4)), out(seg("A", ISS + 1, IRS + 5, 0))]
    );
}

/// An application that never reads, with a receive buffer of `b` octets.
fn stalled_reader(b: u8) -> Params {
    Params {
        receive_buffer: Some(b),
        ..params()
    }
}

#[test]
fn an_application_that_does_not_read_closes_the_window() {
    // RFC 9293 3.8.6: RCV.WND is what is left of the buffer; text past it is trimmed.
    let p = stalled_reader(3);
    let t = arrive_with(&established(), seg("A", IRS + 1, ISS + 1, 2), &p);
    assert_eq!(t.next.unread, 2);
    assert_eq!(t.next.rcv_wnd(&p), 1);
    let t = arrive_with(&t.next, seg("A", IRS + 3, ISS + 1, 2), &p);
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(1)), out(seg("A", ISS + 1, IRS + 4, 0))]
    );
    assert_eq!(t.next.rcv_wnd(&p), 0);
    // An application that reads keeps the whole window.
    let t = arrive(&established(), seg("A", IRS + 1, ISS + 1, 2));
    assert_eq!(
        (t.next.unread, t.next.rcv_wnd(&params())),
        (0, params().wnd)
    );
}

#[test]
fn a_zero_window_still_takes_valid_acks_and_rsts() {
    // RFC 9293 3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable, but
    // special allowance should be made to accept valid ACKs, URGs, and RSTs" (MUST-66).
    let p = stalled_reader(2);
    let full = Endpoint {
        unread: 2,
        rcv_nxt: IRS + 3,
        snd_nxt: ISS + 3,
        rtx_timer: 1,
        ..established()
    };
    assert_eq!(full.rcv_wnd(&p), 0);
    // Text at RCV.NXT acknowledging our two octets: the ACK is taken, the text is not, and
    // the answer acknowledges RCV.NXT.
    let t = arrive_with(&full, seg("A", IRS + 3, ISS + 3, 1), &p);
    assert_eq!(t.next.snd_una, ISS + 3);
    assert_eq!(t.next.rtx_timer, 0);
    assert_eq!(t.next.rcv_nxt, IRS + 3);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 3, IRS + 3, 0))]);
    // A FIN at RCV.NXT finds no room either: the connection stays ESTABLISHED.
    let t = arrive_with(&full, seg("FA", IRS + 3, ISS + 3, 0), &p);
    assert_eq!((t.next.state, t.next.snd_una), (Established, ISS + 3));
    // A RST with text at RCV.NXT resets.
    let t = arrive_with(&full, seg("R", IRS + 3, 0, 1), &p);
    assert_eq!(t.next.state, Closed);
    // Text elsewhere is unacceptable as before: an ACK, nothing taken.
    let t = arrive_with(&full, seg("A", IRS + 4, ISS + 3, 1), &p);
    assert_eq!(t.next.snd_una, ISS + 1);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 3, IRS + 3, 0))]);
}

#[test]
fn fin_beyond_the_receive_window_is_not_processed() {
    let t = arrive(&established(), seg("FA", IRS + 1, ISS + 1, 4));
    assert_eq!(
        t.outputs.to_vec(),
        vec![app(AppEvent::Data(4)), out(seg("A", ISS + 1, IRS + 5, 0))]
    );
    assert_eq!(t.next.state, Established);
}

#[test]
fn close_when_closing_or_closed_is_error() {
    // RFC 9293 3.10.4: CLOSED: "connection does not exist"; FIN-WAIT-1, FIN-WAIT-2, CLOSING,
    // LAST-ACK, TIME-WAIT: "connection closing".
    let t = call(&Endpoint::closed(), UserCall::Close);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(
        t.outputs.to_vec(),
        vec![err(CallError::ConnectionDoesNotExist)]
    );
    for state in [FinWait1, FinWait2, Closing, LastAck, TimeWait] {
        let ep = in_state(state);
        let t = call(&ep, UserCall::Close);
        assert_eq!(t.next, ep, "{state:?}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![err(CallError::ConnectionClosing)],
            "{state:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.5: ABORT
// ---------------------------------------------------------------------------------------------

#[test]
fn abort_in_synchronized_state_sends_rst_at_snd_nxt() {
    // RFC 9293 3.10.5 SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: send
    // <SEQ=SND.NXT><CTL=RST>, delete the TCB, enter CLOSED.
    for state in [SynReceived, Established, FinWait1, FinWait2, CloseWait] {
        let ep = in_state(state);
        let t = call(&ep, UserCall::Abort);
        assert_eq!(t.next, Endpoint::closed(), "{state:?}");
        assert_eq!(
            t.outputs.to_vec(),
            vec![out(seg("R", ep.snd_nxt, 0, 0))],
            "{state:?}"
        );
    }
    let t = call(&established_in_flight(3), UserCall::Abort);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("R", ISS + 4, 0, 0))]);
}

#[test]
fn abort_without_peer_state_sends_nothing() {
    // RFC 9293 3.10.5 LISTEN, SYN-SENT: delete the TCB; CLOSING, LAST-ACK, TIME-WAIT: respond
    // "ok" and delete the TCB; no segment either way.
    for state in [Listen, SynSent, Closing, LastAck, TimeWait] {
        let t = call(&in_state(state), UserCall::Abort);
        assert_eq!(t.next, Endpoint::closed(), "{state:?}");
        assert_eq!(t.outputs.to_vec(), vec![], "{state:?}");
    }
    let t = call(&Endpoint::closed(), UserCall::Abort);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(
        t.outputs.to_vec(),
        vec![err(CallError::ConnectionDoesNotExist)]
    );
}

// ---------------------------------------------------------------------------------------------
// RFC 9293 section 3.10.8: timeouts
// ---------------------------------------------------------------------------------------------

#[test]
fn retransmission_timeout_resends_syn_in_syn_sent() {
    // RFC 9293 3.10.8 RETRANSMISSION TIMEOUT: send the segment at the front of the
    // retransmission queue again, reinitialize the timer.
    let t = fire(&syn_sent(), TimerKind::Retransmission);
    assert_eq!(
        t.next,
        Endpoint {
            retries: 1,
            ..syn_sent()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("S", ISS, 0, 0))]);
    assert!(!t.timed_out);
}

#[test]
fn retransmission_timeout_resends_syn_ack_in_syn_received() {
    // RFC 9293 3.10.8: the SYN,ACK is retransmitted from SND.UNA = ISS.
    let t = fire(&syn_received(true), TimerKind::Retransmission);
    assert_eq!(
        t.next,
        Endpoint {
            retries: 1,
            ..syn_received(true)
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("SA", ISS, IRS + 1, 0))]);
}

#[test]
fn retransmission_timeout_resends_data_and_fin() {
    // RFC 9293 3.10.8: everything from SND.UNA: 2 data octets and the FIN.
    let ep = Endpoint {
        state: FinWait1,
        snd_nxt: ISS + 4,
        fin_sent: true,
        rtx_timer: 1,
        retries: 1,
        ..established()
    };
    let t = fire(&ep, TimerKind::Retransmission);
    assert_eq!(
        t.next,
        Endpoint {
            retries: 2,
            ..ep.clone()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("FA", ISS + 1, IRS + 1, 2))]
    );
}

#[test]
fn retransmission_gives_up_after_max_retries() {
    // RFC 9293 3.8.3 (R2) and 3.10.8: after max_retries retransmissions the connection is
    // given up: CLOSED and "connection timed out".
    for ep in [
        syn_sent(),
        syn_received(false),
        established_in_flight(2),
        fin_wait_1(),
        last_ack(),
    ] {
        let ep = Endpoint { retries: 2, ..ep };
        let t = fire(&ep, TimerKind::Retransmission);
        assert_eq!(t.next, Endpoint::closed(), "{:?}", ep.state);
        assert_eq!(
            t.outputs.to_vec(),
            vec![app(AppEvent::TimedOut)],
            "{:?}",
            ep.state
        );
        assert!(t.timed_out && !t.reset);
    }
}

#[test]
fn retransmission_sequence_from_syn_sent_to_timeout() {
    // RFC 9293 3.10.8 with max_retries 2: SYN, SYN again, SYN again, then give up.
    let mut ep = syn_sent();
    for retries in 1..=2 {
        let t = fire(&ep, TimerKind::Retransmission);
        assert_eq!(t.outputs.to_vec(), vec![out(seg("S", ISS, 0, 0))]);
        assert_eq!(t.next.retries, retries);
        assert_eq!(t.next.rtx_timer, 1);
        ep = t.next;
    }
    let t = fire(&ep, TimerKind::Retransmission);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::TimedOut)]);
    assert!(t.timed_out);
}

#[test]
fn retransmission_gives_up_in_passive_syn_received_back_to_listen() {
    // A half-open passive connection whose SYN,ACK is never acknowledged returns to LISTEN
    // (the user of a passive OPEN was never told of it).
    let ep = Endpoint {
        retries: 2,
        ..syn_received(true)
    };
    let t = fire(&ep, TimerKind::Retransmission);
    assert_eq!(t.next, listen());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(
        t.half_open_dropped && !t.timed_out,
        "no application is told"
    );
}

#[test]
fn retransmission_timeout_with_nothing_in_flight_stops_the_timer() {
    // RFC 6298 5.2: with all outstanding data acknowledged the timer is turned off; a stale
    // expiry sends nothing.
    let t = step(
        &Endpoint {
            rtx_timer: 1,
            ..established()
        },
        &Event::Timeout(TimerKind::Retransmission),
        &params(),
        ISN,
    );
    assert_eq!(t.next, established());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(!t.timed_out);
}

#[test]
fn time_wait_timeout_deletes_the_tcb() {
    // RFC 9293 3.10.8 TIME-WAIT TIMEOUT: delete the TCB, enter CLOSED.
    let t = fire(&time_wait(), TimerKind::TimeWait);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![]);
    assert!(!t.timed_out);
    // Outside TIME-WAIT the event changes nothing.
    let ep = established();
    assert_no_effect(&ep, &fire(&ep, TimerKind::TimeWait));
}

// ---------------------------------------------------------------------------------------------
// RFC 1122 section 4.2.3.6: keepalive
// ---------------------------------------------------------------------------------------------

#[test]
fn keepalive_armed_on_established() {
    // RFC 1122 4.2.3.6: the idle timer runs from the start of an ESTABLISHED connection.
    let t = arrive_with(&syn_sent(), seg("SA", IRS, ISS + 1, 0), &ka_params());
    assert_eq!(
        t.next,
        Endpoint {
            ka_timer: 2,
            ..established()
        }
    );
}

#[test]
fn keepalive_probe_on_idle_connection() {
    // RFC 1122 4.2.3.6: a keep-alive segment <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data.
    let t = fire_with(&established(), TimerKind::Keepalive, &ka_params());
    assert_eq!(
        t.next,
        Endpoint {
            ka_timer: 1,
            ka_probes: 1,
            ..established()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS, IRS + 1, 0))]);
    assert!(!t.timed_out);
}

#[test]
fn keepalive_gives_up_after_count_unanswered_probes() {
    // RFC 1122 4.2.3.6: after `count` unanswered probes the connection is dead: CLOSED and
    // "connection timed out".
    let p = ka_params();
    let mut ep = Endpoint {
        ka_timer: 2,
        ..established()
    };
    for probes in 1..=2 {
        let t = fire_with(&ep, TimerKind::Keepalive, &p);
        assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS, IRS + 1, 0))]);
        assert_eq!(t.next.ka_probes, probes);
        assert_eq!(t.next.ka_timer, 1);
        ep = t.next;
    }
    let t = fire_with(&ep, TimerKind::Keepalive, &p);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![app(AppEvent::TimedOut)]);
    assert!(t.timed_out);
}

#[test]
fn keepalive_rearmed_by_segment_acknowledging_new_data() {
    // RFC 1122 4.2.3.6: an arriving acknowledgment restarts the idle interval and forgets the
    // unanswered probes.
    let ep = Endpoint {
        ka_timer: 1,
        ka_probes: 1,
        ..established_in_flight(2)
    };
    let t = arrive_with(&ep, seg("A", IRS + 1, ISS + 3, 0), &ka_params());
    assert_eq!(
        t.next,
        Endpoint {
            snd_una: ISS + 3,
            snd_nxt: ISS + 3,
            ka_timer: 2,
            ..established()
        }
    );
    assert_eq!(t.outputs.to_vec(), vec![]);
}

#[test]
fn keepalive_not_probing_while_data_outstanding() {
    // RFC 1122 4.2.3.6: probes only on an idle connection; with data in flight or queued the
    // idle interval starts again and no probe is sent.
    for ep in [
        established_in_flight(2),
        Endpoint {
            queued: 1,
            ..established_in_flight(4)
        },
    ] {
        let t = fire_with(&ep, TimerKind::Keepalive, &ka_params());
        assert_eq!(
            t.next,
            Endpoint {
                ka_timer: 2,
                ..ep.clone()
            }
        );
        assert_eq!(t.outputs.to_vec(), vec![]);
    }
}

#[test]
fn keepalive_stops_outside_established() {
    // The model probes in ESTABLISHED only; elsewhere the expiry just stops the timer.
    for state in [CloseWait, FinWait1, FinWait2] {
        let ep = in_state(state);
        let t = fire_with(&ep, TimerKind::Keepalive, &ka_params());
        assert_eq!(t.next, ep, "{state:?}");
        assert_eq!(t.outputs.to_vec(), vec![], "{state:?}");
    }
}

#[test]
fn keepalive_switched_off_sends_nothing() {
    // Mechanism switch: with mech.keepalive false (or no keepalive configured) nothing is sent
    // and the timer is never armed.
    let off = Params {
        mech: Mechanisms {
            keepalive: false,
            ..Mechanisms::STANDARD
        },
        ..ka_params()
    };
    for p in [off, params()] {
        let ep = Endpoint {
            ka_probes: 2,
            ..established()
        };
        let t = fire_with(&ep, TimerKind::Keepalive, &p);
        assert_eq!(t.next, ep);
        assert_eq!(t.outputs.to_vec(), vec![]);
        assert!(!t.timed_out);
        let t = arrive_with(&syn_sent(), seg("SA", IRS, ISS + 1, 0), &p);
        assert_eq!(t.next, established());
    }
}

// ---------------------------------------------------------------------------------------------
// Mechanism switches
// ---------------------------------------------------------------------------------------------

#[test]
fn two_way_handshake_establishes_on_syn() {
    // Switch three_way_handshake off: LISTEN + SYN goes straight to ESTABLISHED.
    let p = mech_params(Variant::TwoWayHandshake.mechanisms());
    let t = arrive_with(&listen(), seg("S", IRS, 0, 0), &p);
    assert_eq!(
        t.next,
        Endpoint {
            state: Established,
            passive: true,
            iss: ISN,
            irs: IRS,
            snd_una: ISN,
            snd_nxt: ISN + 1,
            rcv_nxt: IRS + 1,
            rtx_timer: 1,
            ..Endpoint::closed()
        }
    );
    assert_eq!(
        t.outputs.to_vec(),
        vec![out(seg("SA", ISN, IRS + 1, 0)), app(AppEvent::Connected)]
    );
    assert!(t.accepted && t.isn_used);
}

#[test]
fn no_time_wait_closes_after_final_ack() {
    // Switch time_wait None: the final ACK is still sent, then the TCB is deleted at once.
    let p = mech_params(Variant::NoTimeWait.mechanisms());
    let t = arrive_with(&fin_wait_2(), seg("FA", IRS + 1, ISS + 2, 0), &p);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(
        t.outputs.to_vec(),
        vec![
            app(AppEvent::EndOfStream),
            out(seg("A", ISS + 2, IRS + 2, 0))
        ]
    );
    let t = arrive_with(&closing(), seg("A", IRS + 2, ISS + 2, 0), &p);
    assert_eq!(t.next, Endpoint::closed());
    assert_eq!(t.outputs.to_vec(), vec![]);
}

#[test]
fn short_time_wait_lasts_one_tick() {
    // Switch time_wait Short: TIME-WAIT lasts one tick, also after a retransmitted FIN.
    let p = mech_params(Variant::ShortTimeWait.mechanisms());
    let short = Endpoint {
        tw_timer: 1,
        ..time_wait()
    };
    let t = arrive_with(&fin_wait_2(), seg("FA", IRS + 1, ISS + 2, 0), &p);
    assert_eq!(t.next, short);
    let t = arrive_with(
        &Endpoint {
            tw_timer: 0,
            ..short.clone()
        },
        seg("FA", IRS + 1, ISS + 2, 0),
        &p,
    );
    assert_eq!(t.next, short);
    assert_eq!(t.outputs.to_vec(), vec![out(seg("A", ISS + 2, IRS + 2, 0))]);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// A random event, with sequence numbers relative to the endpoint it meets.
#[derive(Clone, Debug)]
enum Action {
    Call(UserCall),
    Arrive {
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
        /// 0: RCV.NXT, 1: IRS, 2: RCV.NXT+RCV.WND, 3: a fixed 300.
        seq_base: u8,
        seq_off: i8,
        /// 0: SND.UNA, 1: SND.NXT, 2: ISS, 3: zero.
        ack_base: u8,
        ack_off: i8,
        len: u8,
    },
    /// The timer expires, if it is running.
    Fire(TimerKind),
}

fn user_call() -> impl Strategy<Value = UserCall> {
    prop_oneof![
        Just(UserCall::Open { passive: false }),
        Just(UserCall::Open { passive: true }),
        (1u8..=6).prop_map(UserCall::Send),
        Just(UserCall::Close),
        Just(UserCall::Abort),
    ]
}

/// An offset from a base sequence number: exactly the base half of the time (the segment a
/// well-behaved peer would send), else a little before or after it.
fn near() -> impl Strategy<Value = i8> {
    prop_oneof![1 => Just(0i8), 1 => -3i8..=5]
}

fn action() -> impl Strategy<Value = Action> {
    let arrive = (
        (
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.08),
        ),
        (0u8..4, near(), 0u8..4, near(), 0u8..=5),
    )
        .prop_map(
            |((syn, ack, fin, rst), (seq_base, seq_off, ack_base, ack_off, len))| Action::Arrive {
                syn,
                ack,
                fin,
                rst,
                seq_base,
                seq_off,
                ack_base,
                ack_off,
                len,
            },
        );
    let timer = prop_oneof![
        Just(TimerKind::Retransmission),
        Just(TimerKind::TimeWait),
        Just(TimerKind::Keepalive),
    ];
    prop_oneof![
        1 => user_call().prop_map(Action::Call),
        5 => arrive,
        2 => timer.prop_map(Action::Fire),
    ]
}

fn start() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        Just(Endpoint::closed()),
        Just(listen()),
        Just(established()),
        Just(established_in_flight(2)),
        Just(syn_sent()),
        Just(syn_received(true)),
        Just(fin_wait_1()),
        Just(fin_wait_2()),
        Just(close_wait()),
        Just(closing()),
        Just(last_ack()),
        Just(time_wait()),
    ]
}

/// Random parameters with a window of at least `min_wnd` (a fixture with data in flight needs
/// a window that admitted it).
fn any_params(min_wnd: u8) -> impl Strategy<Value = Params> {
    (
        min_wnd..=4,
        0u8..=2,
        1u8..=2,
        1u8..=2,
        any::<bool>(),
        prop::sample::select(Variant::ALL.to_vec()),
        any::<u8>(),
    )
        .prop_map(
            |(wnd, max_retries, rto, msl, ka, variant, choices)| Params {
                wnd,
                max_retries,
                rto,
                msl,
                keepalive: ka.then_some(KeepaliveParams {
                    idle: 2,
                    interval: 1,
                    count: 2,
                }),
                mech: variant.mechanisms(),
                listener: choices & 0x80 != 0,
                // Every combination of the RFC choices.
                policy: Choice::ALL.iter().fold(Policy::MODEL, |p, &c| {
                    if choices & (1 << c as u8) != 0 {
                        p.flip(c)
                    } else {
                        p
                    }
                }),
                fault: Fault::None,
                receive_buffer: None,
            },
        )
}

fn offset(base: Seq, off: i8) -> Seq {
    Seq(base.0.wrapping_add(off as u8))
}

/// The concrete event for `a` at endpoint `ep`, and the endpoint as the event finds it (a
/// timer that expires has run down to zero). None when a timer that is not running is chosen.
fn resolve(a: &Action, ep: &Endpoint, p: &Params) -> Option<(Endpoint, Event)> {
    match *a {
        Action::Call(c) => Some((ep.clone(), Event::Call(c))),
        Action::Arrive {
            syn,
            ack,
            fin,
            rst,
            seq_base,
            seq_off,
            ack_base,
            ack_off,
            len,
        } => {
            let seq = match seq_base {
                0 => ep.rcv_nxt,
                1 => ep.irs,
                2 => ep.rcv_nxt + p.wnd,
                _ => IRS,
            };
            let ack_no = match ack_base {
                0 => ep.snd_una,
                1 => ep.snd_nxt,
                2 => ep.iss,
                _ => Seq(0),
            };
            let s = Segment {
                flags: ctl(syn, ack, fin, rst),
                seq: offset(seq, seq_off),
                ack: offset(ack_no, ack_off),
                len,
            };
            Some((ep.clone(), Event::Arrive(s)))
        }
        Action::Fire(kind) => {
            let mut e = ep.clone();
            let timer = timer_of(&mut e, kind);
            if *timer == 0 {
                return None;
            }
            *timer = 0;
            Some((e, Event::Timeout(kind)))
        }
    }
}

/// States in which unacknowledged sequence space is retransmitted.
fn retransmits(state: TcpState) -> bool {
    matches!(
        state,
        SynSent | SynReceived | Established | FinWait1 | CloseWait | Closing | LastAck
    )
}

/// The invariants every transition keeps, and the rules for unacceptable segments.
fn check_step(
    pre: &Endpoint,
    ev: &Event,
    p: &Params,
    isn: Seq,
) -> Result<Transition, TestCaseError> {
    let t = step(pre, ev, p, isn);
    prop_assert_eq!(&t, &step(pre, ev, p, isn), "step is not deterministic");
    let n = &t.next;
    prop_assert!(n.snd_una.le(n.snd_nxt), "SND.UNA > SND.NXT: {:?}", n);
    prop_assert!(
        n.in_flight() <= p.wnd + 2,
        "in flight {} beyond window {} + SYN + FIN: {:?}",
        n.in_flight(),
        p.wnd,
        n
    );
    if n.in_flight() > 0 && retransmits(n.state) {
        prop_assert!(n.rtx_timer > 0, "data in flight without a timer: {:?}", n);
    }
    if n.state == Closed {
        prop_assert_eq!(n, &Endpoint::closed());
    }
    if let Event::Arrive(s) = ev {
        if pre.state == Closed {
            // RFC 9293 3.10.7.1: at most one RST, never a change.
            prop_assert_eq!(n, pre);
            let rst = t
                .outputs
                .iter()
                .all(|o| matches!(o, Output::Send(r) if r.flags.rst));
            prop_assert!(rst && t.outputs.len() == usize::from(!s.flags.rst));
        }
        let retransmitted_fin = pre.state == TimeWait
            && s.flags.fin
            && !s.flags.rst
            && s.seq + s.len + 1 == pre.rcv_nxt;
        let repeated_syn = pre.completes_simultaneous_open(s);
        // A SYN beyond RCV.NXT in TIME-WAIT may reopen the connection before any window
        // test (RFC 1122 4.2.2.13, RFC 6191; the `time-wait-syn` choice's `reopens`).
        let reopening = t.reopened;
        let checked = pre.state == SynReceived || pre.is_synchronized();
        // With a zero window a segment at RCV.NXT is taken without its text and FIN (RFC
        // 9293 3.10.7.4 first: "special allowance ... to accept valid ACKs, URGs, and RSTs").
        let zero_window_allowance = pre.rcv_wnd(p) == 0
            && s.seq == pre.rcv_nxt
            && !s.flags.syn
            && (s.len > 0 || s.flags.fin);
        if checked && zero_window_allowance && !t.reset {
            prop_assert_eq!(n.rcv_nxt, pre.rcv_nxt, "zero window took {}", s);
            prop_assert!(
                !t.outputs
                    .iter()
                    .any(|o| matches!(o, Output::App(AppEvent::Data(_)))),
                "zero window delivered {}",
                s
            );
        }
        if checked
            && !retransmitted_fin
            && !repeated_syn
            && !reopening
            && !zero_window_allowance
            && !pre.acceptable(s, pre.rcv_wnd(p), p)
        {
            // RFC 9293 3.10.7.4 first.
            prop_assert_eq!(n, pre, "unacceptable segment {} changed the endpoint", s);
            let expected = if s.flags.rst {
                vec![]
            } else {
                vec![Output::Send(Segment::ack(pre.snd_nxt, pre.rcv_nxt))]
            };
            prop_assert_eq!(&t.outputs.to_vec(), &expected, "unacceptable segment {}", s);
            prop_assert!(!t.accepted && !t.reset);
        }
    }
    Ok(t)
}

fn run(ep: Endpoint, p: &Params, isn: Seq, actions: &[Action]) -> Result<(), TestCaseError> {
    let mut ep = ep;
    for (i, a) in actions.iter().enumerate() {
        let Some((pre, ev)) = resolve(a, &ep, p) else {
            continue;
        };
        let t = check_step(&pre, &ev, p, isn + 100u8.wrapping_mul(i as u8))?;
        ep = t.next;
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Random event sequences from CLOSED keep every invariant.
    #[test]
    fn invariants_hold_from_closed(
        p in any_params(0),
        isn in any::<u8>().prop_map(Seq),
        actions in prop::collection::vec(action(), 1..40),
    ) {
        run(Endpoint::closed(), &p, isn, &actions)?;
    }

    /// Random event sequences from LISTEN, ESTABLISHED and other fixtures keep every invariant.
    #[test]
    fn invariants_hold_from_fixtures(
        ep in start(),
        p in any_params(2),
        isn in any::<u8>().prop_map(Seq),
        actions in prop::collection::vec(action(), 1..40),
    ) {
        run(ep, &p, isn, &actions)?;
    }

    /// User calls and timer expiries alone, from ESTABLISHED (no peer answers): every step keeps
    /// the invariants, through retransmission give-ups and keepalive probes.
    #[test]
    fn invariants_hold_with_calls_and_timers(
        p in any_params(0),
        isn in any::<u8>().prop_map(Seq),
        actions in prop::collection::vec(
            prop_oneof![
                2 => user_call().prop_map(Action::Call),
                1 => prop_oneof![
                    Just(TimerKind::Retransmission),
                    Just(TimerKind::TimeWait),
                    Just(TimerKind::Keepalive),
                ].prop_map(Action::Fire),
            ],
            1..20,
        ),
    ) {
        run(established(), &p, isn, &actions)?;
    }
}
