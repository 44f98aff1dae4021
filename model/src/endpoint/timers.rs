//! RFC 9293 section 3.10.8 (retransmission, TIME-WAIT) and RFC 1122 section 4.2.3.6
//! (keepalive): what an endpoint does when one of its timers expires.

use super::{Endpoint, Stepper};
use crate::fault::fault;
use crate::segment::Segment;
use tcp_vectors::{AppEvent, TcpState, TimerKind};

/// RFC 9293 section 3.10.8 (retransmission, TIME-WAIT) and RFC 1122 section 4.2.3.6
/// (keepalive) timeouts.
pub(super) fn timeout(s: &mut Stepper<'_>, kind: TimerKind) {
    use TcpState::*;
    match kind {
        TimerKind::Retransmission => {
            let rto = s.p.rto;
            let e = &s.t.next;
            if e.in_flight() == 0 {
                s.ep().rtx_timer = 0;
                return;
            }
            if e.retries >= s.p.retries() {
                // Give up (section 3.8.3, R2).
                if e.state == SynReceived && e.passive {
                    // A half-open passive connection is dropped back to LISTEN; no
                    // application has it yet.
                    s.t.half_open_dropped = true;
                    s.t.next = Endpoint::listening();
                } else {
                    s.t.timed_out = true;
                    s.delete_tcb();
                    s.tell(AppEvent::TimedOut);
                }
                return;
            }
            let without_fin = fault!(s.p, RetransmitsWithoutFin);
            let e = s.ep();
            e.retries += 1;
            e.rtx_timer = rto;
            let mut seg = e.retransmission();
            if without_fin && seg.flags.fin {
                seg.flags.fin = false;
            }
            s.send(seg);
        }
        TimerKind::TimeWait => {
            if s.t.next.state == TimeWait {
                s.delete_tcb();
            }
        }
        TimerKind::Keepalive => keepalive_timeout(s),
    }
}

/// RFC 1122 section 4.2.3.6: probe an idle connection, and drop it after `count` unanswered
/// probes.
fn keepalive_timeout(s: &mut Stepper<'_>) {
    let Some(ka) = s.p.keepalive() else {
        s.ep().ka_timer = 0;
        return;
    };
    let probe_at_snd_nxt = fault!(s.p, KeepaliveProbeAtSndNxt);
    let e = s.ep();
    if e.state != TcpState::Established {
        e.ka_timer = 0;
        return;
    }
    if e.in_flight() > 0 || e.queued > 0 {
        // Not idle: the retransmission timer watches the peer.
        e.ka_timer = ka.idle;
        return;
    }
    if e.ka_probes >= ka.count {
        s.t.timed_out = true;
        s.delete_tcb();
        s.tell(AppEvent::TimedOut);
        return;
    }
    // A probe: <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data. The number is old, so the
    // peer must answer it (first step of 3.10.7.4); one at SND.NXT would need no answer.
    e.ka_probes += 1;
    e.ka_timer = ka.interval;
    let seq = if probe_at_snd_nxt {
        e.snd_nxt
    } else {
        e.snd_nxt - 1
    };
    let probe = Segment::ack(seq, e.rcv_nxt);
    s.send(probe);
}
