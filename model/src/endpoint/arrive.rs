//! RFC 9293 section 3.10.7, SEGMENT ARRIVES: the rules for CLOSED, LISTEN, SYN-SENT, and
//! SYN-RECEIVED and the synchronized states, step by step ("first" ... "eighth"), with RFC
//! 5961's defences and the RFC choices of [`crate::policy`].

use super::{Endpoint, Output, Stepper};
use crate::fault::fault;
use crate::policy::Choice;
use crate::segment::{ctl, Segment, Seq};
use tcp_vectors::{AppEvent, TcpState};

/// RFC 9293 section 3.10.7: SEGMENT ARRIVES.
pub(super) fn arrive(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    use TcpState::*;
    match s.t.next.state {
        Closed => arrive_closed(s, seg),
        Listen => arrive_listen(s, seg, isn),
        SynSent => arrive_syn_sent(s, seg),
        TimeWait if reopens_time_wait(s, seg) => reopen_time_wait(s, seg),
        _ => arrive_other(s, seg),
    }
}

/// Section 3.10.7.1: CLOSED. Everything but a RST is answered with a RST.
fn arrive_closed(s: &mut Stepper<'_>, seg: &Segment) {
    if seg.flags.rst {
        return;
    }
    if seg.flags.ack {
        s.send(Segment::rst(seg.ack));
    } else {
        s.send(Segment::rst_ack(Seq(0), seg.seq + seg.seg_len()));
    }
}

/// Section 3.10.7.2: LISTEN.
fn arrive_listen(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    if seg.flags.rst {
        return; // first: an incoming RST is ignored.
    }
    if seg.flags.ack {
        // second: any acknowledgment is bad in LISTEN: <SEQ=SEG.ACK><CTL=RST>.
        return s.send(Segment::rst(seg.ack));
    }
    if !seg.flags.syn {
        return; // fourth: other text or control: drop.
    }
    accept_syn(s, seg, isn);
}

/// Section 3.10.7.2, third: a SYN opens the connection. RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
/// select ISS, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, enter SYN-RECEIVED; "any other
/// control or text should be queued for processing later" (a choice: queued or dropped).
fn accept_syn(s: &mut Stepper<'_>, seg: &Segment, isn: Seq) {
    s.t.isn_used = true;
    s.t.accepted = true;
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    e.iss = isn;
    e.snd_una = isn;
    e.snd_nxt = isn + 1;
    e.state = TcpState::SynReceived;
    if !s.p.policy.alt(Choice::SynText) {
        s.queue_syn_controls(seg);
    }
    s.send(Segment::syn_ack(isn, seg.seq + 1));
    s.update_rtx();
    if !s.p.mech.three_way_handshake {
        // Mechanism switch: a two-way handshake trusts the SYN alone.
        s.enter_established();
    }
}

/// Section 3.10.7.3: SYN-SENT.
fn arrive_syn_sent(s: &mut Stepper<'_>, seg: &Segment) {
    let e = &s.t.next;
    // first: the ACK is acceptable if SND.UNA < SEG.ACK =< SND.NXT (ISS < SEG.ACK too).
    let ack_ok = seg.flags.ack
        && (fault!(s.p, SynSentAcceptsAnyAck) || (e.iss.lt(seg.ack) && seg.ack.le(e.snd_nxt)));
    if seg.flags.ack && !ack_ok {
        if !seg.flags.rst {
            s.send(Segment::rst(seg.ack));
        }
        return;
    }
    // second: RST. Acceptable only if it acknowledges our SYN (RFC 5961 section 3).
    if seg.flags.rst {
        if ack_ok {
            s.t.accepted = true;
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Refused);
        }
        return;
    }
    // fourth: SYN.
    if !seg.flags.syn {
        return; // fifth: neither SYN nor RST: drop.
    }
    s.t.accepted = true;
    let any_ack = fault!(s.p, SynSentAcceptsAnyAck);
    let e = s.ep();
    e.irs = seg.seq;
    e.rcv_nxt = seg.seq + 1;
    if ack_ok {
        e.snd_una = if any_ack { e.snd_nxt } else { seg.ack };
    }
    if e.iss.lt(e.snd_una) {
        // Our SYN is acknowledged: ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        // (suppressed, as a choice, when text or a FIN will be acknowledged anyway), then
        // "continue processing at the sixth step" with the text and FIN.
        e.retries = 0;
        s.update_rtx();
        let more = seg.len > 0 || seg.flags.fin;
        if !(more && s.p.policy.alt(Choice::SynAckTextAck)) {
            s.send_ack();
        }
        s.enter_established();
        if more {
            let rest = Segment {
                flags: ctl(false, true, seg.flags.fin, false),
                seq: seg.seq + 1,
                ..*seg
            };
            text_and_fin(s, &rest);
        }
    } else {
        // Simultaneous open: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>;
        // other controls or text are queued until ESTABLISHED.
        e.state = TcpState::SynReceived;
        let syn_ack = Segment::syn_ack(e.iss, e.rcv_nxt);
        s.queue_syn_controls(seg);
        s.send(syn_ack);
    }
}

/// Whether a SYN in TIME-WAIT reopens the connection (RFC 1122 4.2.2.13, a choice): a plain
/// SYN above RCV.NXT, on a connection that came from a passive OPEN whose listener is still
/// there.
fn reopens_time_wait(s: &Stepper<'_>, seg: &Segment) -> bool {
    let e = &s.t.next;
    s.p.policy.alt(Choice::TimeWaitSyn)
        && s.p.listener
        && e.passive
        && seg.flags.syn
        && !seg.flags.ack
        && !seg.flags.rst
        && e.rcv_nxt.lt(seg.seq)
}

/// RFC 1122 4.2.2.13: the new SYN starts a new connection whose ISS is larger than any number
/// the old incarnation used.
fn reopen_time_wait(s: &mut Stepper<'_>, seg: &Segment) {
    let iss = s.t.next.snd_nxt + 64;
    s.t.next = Endpoint::listening();
    s.t.reopened = true;
    accept_syn(s, seg, iss);
}

/// Section 3.10.7.4: SYN-RECEIVED and the synchronized states.
fn arrive_other(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let e = &s.t.next;
    let wnd = e.rcv_wnd(s.p);

    // TIME-WAIT, eighth: "The only thing that can arrive in this state is a retransmission of
    // the remote FIN. Acknowledge it, and restart the 2 MSL timeout." A retransmitted FIN
    // carries the FIN at RCV.NXT-1, so it fails the acceptability test; it is recognised here.
    if e.state == TimeWait
        && seg.flags.fin
        && !seg.flags.rst
        && !seg.flags.syn
        && seg.seq + seg.len + 1 == e.rcv_nxt
    {
        s.t.accepted = true;
        s.send_ack();
        if !fault!(s.p, TimeWaitNoRestart) {
            s.ep().tw_timer = s.p.time_wait_ticks();
        }
        return;
    }

    // Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN,ACK repeats its SYN at
    // IRS and acknowledges ours. The SYN is old and the ACK new, so the SYN is trimmed off
    // (section 3.10.7.4: only the new parts of a segment are processed) and the rest is taken
    // as an ACK at RCV.NXT. A repeat whose ACK would not complete the handshake is just an
    // old segment (first check below).
    if e.completes_simultaneous_open(seg) {
        let mut rest = *seg;
        rest.flags.syn = false;
        rest.seq = e.rcv_nxt;
        return arrive_other(s, &rest);
    }

    // first, with a zero window: "If the RCV.WND is zero, no segments will be acceptable,
    // but special allowance should be made to accept valid ACKs, URGs, and RSTs" (MUST-66).
    // A segment at RCV.NXT is processed without the text and FIN the window has no room
    // for, and the text is acknowledged as an unacceptable segment's is (RCV.NXT again),
    // unless the segment is a RST or an answer already went.
    if wnd == 0 && seg.seq == e.rcv_nxt && (seg.len > 0 || seg.flags.fin) && !seg.flags.syn {
        let mut rest = *seg;
        rest.len = 0;
        rest.flags.fin = false;
        let sent = |s: &Stepper<'_>| {
            s.t.outputs
                .iter()
                .filter(|o| matches!(o, Output::Send(_)))
                .count()
        };
        let before = sent(s);
        arrive_other(s, &rest);
        let open = s.t.next.state == SynReceived || s.t.next.is_synchronized();
        if !seg.flags.rst && open && sent(s) == before {
            s.send_ack();
        }
        return;
    }

    // first: sequence number check.
    if !e.acceptable(seg, wnd, s.p) {
        if !seg.flags.rst {
            s.send_ack();
        }
        return;
    }

    // second: RST.
    if seg.flags.rst {
        return arrive_rst(s, seg);
    }

    // fourth: SYN.
    if seg.flags.syn {
        return arrive_syn(s);
    }

    // fifth: ACK. Without it the segment is dropped (a FIN without ACK included).
    if !seg.flags.ack {
        return;
    }
    if !arrive_ack(s, seg) {
        return;
    }
    if s.t.next.state == Established {
        // Any acceptable segment shows the peer is alive (RFC 1122 section 4.2.3.6), the
        // answer to a probe (a duplicate ACK) included.
        s.arm_keepalive();
    }

    // seventh and eighth: text and FIN.
    text_and_fin(s, seg);
}

/// Section 3.10.7.4, second: RST, with RFC 5961 section 3.2 (only an exact match resets; an
/// in-window RST draws a challenge ACK) and, in TIME-WAIT, the RFC 1337 choice.
fn arrive_rst(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let e = &s.t.next;
    let exact = seg.seq == e.rcv_nxt;
    if e.state == TimeWait {
        let (choice, alt) = if exact {
            (Choice::RstInTimeWait, "closes")
        } else {
            (Choice::RstInWindowTimeWait, "challenge-ack")
        };
        if s.p.policy.name(choice) != alt {
            // RFC 1337 fix F1: a stray RST (answering an old duplicate) must not cut
            // TIME-WAIT short ("TIME-WAIT assassination").
            return;
        }
    }
    let rfc793 = !s.p.mech.rst_exact_match || fault!(s.p, InWindowRstResets);
    if !exact && !rfc793 {
        return s.challenge_ack();
    }
    s.t.accepted = true;
    match e.state {
        SynReceived if e.passive => {
            // Return to LISTEN; the user need not be informed.
            s.t.next = Endpoint::listening();
        }
        SynReceived => {
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Refused);
        }
        Established | FinWait1 | FinWait2 | CloseWait => {
            s.t.reset = true;
            s.delete_tcb();
            s.tell(AppEvent::Reset);
        }
        _ => {
            // CLOSING, LAST-ACK, TIME-WAIT: enter CLOSED.
            s.t.reset = true;
            s.delete_tcb();
        }
    }
}

/// Section 3.10.7.4, fourth: SYN. A passive SYN-RECEIVED returns to LISTEN; otherwise RFC 5961
/// section 4.2's challenge ACK (RFC 793 reset the connection on a SYN in the window).
fn arrive_syn(s: &mut Stepper<'_>) {
    let e = &s.t.next;
    if e.state == TcpState::SynReceived && e.passive {
        s.t.next = Endpoint::listening();
        return;
    }
    if s.p.mech.syn_challenge_ack {
        return s.challenge_ack();
    }
    // RFC 793: "If the SYN is in the window it is an error, send a reset ... enter the CLOSED
    // state".
    let seq = e.snd_nxt;
    s.t.accepted = true;
    s.t.reset = true;
    s.send(Segment::rst(seq));
    s.delete_tcb();
    s.tell(AppEvent::Reset);
}

/// Section 3.10.7.4, fifth: ACK. Returns whether processing goes on to the text.
fn arrive_ack(s: &mut Stepper<'_>, seg: &Segment) -> bool {
    use TcpState::*;
    let wnd = s.p.wnd;
    let e = &s.t.next;
    if e.state == SynReceived {
        if e.snd_una.lt(seg.ack) && seg.ack.le(e.snd_nxt) {
            s.t.accepted = true;
            s.ep().snd_una = seg.ack;
            s.update_rtx();
            s.enter_established();
            return true;
        }
        // <SEQ=SEG.ACK><CTL=RST>.
        if fault!(s.p, SynReceivedAcksBadAck) {
            s.send_ack();
        } else {
            s.send(Segment::rst(seg.ack));
        }
        return false;
    }
    // SEG.ACK > SND.NXT acknowledges something not yet sent: send an ACK and drop. RFC 5961
    // section 5.2 also drops (with a challenge ACK) an ACK below SND.UNA - MAX.SND.WND; without
    // that check an old ACK is merely ignored and the text processed.
    if e.snd_nxt.lt(seg.ack) {
        s.send_ack();
        return false;
    }
    if s.p.mech.ack_range_check && !e.ack_in_range(seg.ack, wnd) {
        s.challenge_ack();
        return false;
    }
    if e.snd_una.lt(seg.ack) {
        s.t.accepted = true;
        let e = s.ep();
        e.snd_una = seg.ack;
        e.retries = 0;
        e.rtx_timer = 0;
        s.update_rtx();
        // The window has room again: send what SEND and CLOSE queued (section 3.10.2).
        s.transmit();
    }
    let any_ack_closes = fault!(s.p, LastAckClosesOnAnyAck);
    let e = &s.t.next;
    match e.state {
        FinWait1 if e.fin_acked() => s.ep().state = FinWait2,
        Closing if e.fin_acked() => {
            s.enter_time_wait();
            return false;
        }
        // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
        // ignore the segment" (fifth, CLOSING).
        Closing => return false,
        LastAck if e.fin_acked() || any_ack_closes => {
            s.delete_tcb();
            return false;
        }
        _ => {}
    }
    true
}

/// Section 3.10.7.4, seventh (text) and eighth (FIN) for a segment that passed the checks.
/// Only the part inside the receive window is taken; text beyond RCV.NXT is held or dropped
/// (a choice), and an in-order FIN ends the peer's stream.
pub(super) fn text_and_fin(s: &mut Stepper<'_>, seg: &Segment) {
    use TcpState::*;
    let wnd = s.t.next.rcv_wnd(s.p);
    let receiving = matches!(s.t.next.state, Established | FinWait1 | FinWait2);
    // The window the segment arrived to: a FIN at or past its right edge is trimmed off, even
    // when the data before it fills the window.
    let fin_in_window = (seg.seq + seg.len).in_window(s.t.next.rcv_nxt, wnd);
    let mut need_ack = false;
    if seg.len > 0 && receiving {
        need_ack = true;
        let e = &s.t.next;
        let offset = seg.seq.minus(e.rcv_nxt);
        if fault!(s.p, AcceptsOneOld) && seg.seq + 1 == e.rcv_nxt {
            // Seeded fault: the old octet is taken as new.
            s.t.accepted = true;
            s.tell(AppEvent::Data(seg.len as u32));
            s.ep().rcv_nxt = seg.seq + seg.len;
        } else if seg.seq.le(e.rcv_nxt) && e.rcv_nxt.lt(seg.seq + seg.len) {
            // In order (its old part trimmed off): deliver up to the right edge of the window.
            let new = (seg.seq + seg.len).minus(e.rcv_nxt).min(wnd);
            deliver(s, new);
        } else if e.rcv_nxt.lt(seg.seq) && offset < wnd && !s.p.policy.alt(Choice::OutOfOrder) {
            // Out of order: held for later processing, as far as the window goes.
            let e = s.ep();
            for i in offset..(offset + seg.len).min(wnd) {
                e.held |= 1 << i;
            }
        }
    }
    if seg.flags.fin && receiving_fin(s.t.next.state) {
        let e = &s.t.next;
        let fin_at = seg.seq + seg.len;
        let offset = fin_at.minus(e.rcv_nxt);
        if fin_at == e.rcv_nxt && fin_in_window {
            return fin(s);
        }
        if e.rcv_nxt.lt(fin_at) && offset < wnd && !s.p.policy.alt(Choice::OutOfOrder) {
            s.ep().held_fin = Some(offset);
        }
        need_ack = true;
    }
    if s.t.next.held_fin == Some(0) {
        return fin(s);
    }
    if need_ack {
        s.send_ack();
    }
}

/// Whether a FIN is processed in `state` (eighth step: not in CLOSED, LISTEN or SYN-SENT;
/// the synchronized states and SYN-RECEIVED act on it).
fn receiving_fin(state: TcpState) -> bool {
    !matches!(
        state,
        TcpState::Closed | TcpState::Listen | TcpState::SynSent
    )
}

/// Deliver `n` in-order octets at RCV.NXT, then whatever held octets they make contiguous.
fn deliver(s: &mut Stepper<'_>, n: u8) {
    let counted = s.p.receive_buffer.is_some();
    let e = s.ep();
    let mut total = n;
    e.rcv_nxt += n;
    e.held = e.held.checked_shr(n as u32).unwrap_or(0);
    e.held_fin = e.held_fin.and_then(|f| f.checked_sub(n));
    while e.held & 1 != 0 {
        e.held >>= 1;
        e.rcv_nxt += 1;
        e.held_fin = e.held_fin.and_then(|f| f.checked_sub(1));
        total += 1;
    }
    if counted {
        e.unread += total;
    }
    s.t.accepted = true;
    s.tell(AppEvent::Data(total as u32));
}

/// Section 3.10.7.4, eighth: the FIN at RCV.NXT. Advance RCV.NXT over it, tell the user the
/// stream ended, acknowledge it, and change state. The ACK is sent before the state changes,
/// so that it leaves even when TIME-WAIT is switched off.
fn fin(s: &mut Stepper<'_>) {
    use TcpState::*;
    s.t.accepted = true;
    let e = s.ep();
    e.rcv_nxt += 1;
    e.held = 0;
    e.held_fin = None;
    s.tell(AppEvent::EndOfStream);
    s.send_ack();
    let e = &s.t.next;
    match e.state {
        SynReceived | Established => s.ep().state = CloseWait,
        FinWait1 if e.fin_acked() => s.enter_time_wait(),
        FinWait1 => s.ep().state = Closing,
        FinWait2 if fault!(s.p, FinWait2SkipsTimeWait) => s.delete_tcb(),
        FinWait2 => s.enter_time_wait(),
        TimeWait => s.ep().tw_timer = s.p.time_wait_ticks(),
        _ => {}
    }
}
