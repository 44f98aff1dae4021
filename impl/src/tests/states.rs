//! The control segments of the alphabet in each state (RFC 9293 section 3.10.7, RFC 5961),
//! against a peer played by hand (ISS 1000).

use super::*;

/// B brought into `state` by the peer; returns B's handle, RCV.NXT and SND.NXT.
fn b_in(state: State) -> (Peer, SocketHandle, u32, u32) {
    use State::*;
    if state == SynReceived {
        let mut p = Peer::to_listener(fast_config());
        let y = p.send(SYN, 1000, 0, &[])[0].seq;
        let hb = p.net.b.pending(p.lh())[0];
        return (p, hb, 1001, plus(y, 1));
    }
    let (mut p, hb, y) = Peer::established(fast_config());
    // B's CLOSE: its FIN, <SEQ=ISS+1><ACK=rcv_nxt><CTL=FIN,ACK>.
    let close = |p: &mut Peer, rcv_nxt: u32| {
        let now = p.net.now;
        p.net.b.shutdown(now, hb).expect("close");
        assert_eq!(p.wait(MS), [seg(FIN_ACK, plus(y, 1), rcv_nxt)]);
    };
    match state {
        CloseWait | LastAck => {
            p.send(FIN_ACK, 1001, plus(y, 1), &[]);
            if state == LastAck {
                close(&mut p, 1002);
            }
        }
        FinWait1 | FinWait2 | Closing | TimeWait => {
            close(&mut p, 1001);
            match state {
                FinWait2 => p.send(ACK, 1001, plus(y, 2), &[]),
                Closing => p.send(FIN_ACK, 1001, plus(y, 1), &[]),
                TimeWait => p.send(FIN_ACK, 1001, plus(y, 2), &[]),
                _ => vec![],
            };
        }
        _ => {}
    }
    assert_eq!(p.state(hb), state);
    let peer_fin = matches!(state, CloseWait | LastAck | Closing | TimeWait);
    let our_fin = matches!(state, LastAck | FinWait1 | FinWait2 | Closing | TimeWait);
    let rcv = 1001 + u32::from(peer_fin);
    (p, hb, rcv, plus(y, 1 + u32::from(our_fin)))
}

#[test]
fn control_segments_in_syn_received_and_the_synchronized_states() {
    use State::*;
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
        let (mut p, hb, rcv, snd) = b_in(state);
        let ack = [seg(ACK, snd, rcv)];
        // A RST in the window but not at RCV.NXT: challenge ACK (RFC 5961 section 3.2).
        assert_eq!(
            p.send(RST, rcv + 1, 0, &[]),
            ack,
            "{state:?}: RST in window"
        );
        // A FIN without ACK at RCV.NXT passes the first step, and the fifth drops it.
        assert_eq!(p.send(FIN, rcv, 0, &[]), [], "{state:?}: FIN without ACK");
        // An old segment (before RCV.NXT): the first step's <SEQ=SND.NXT><ACK=RCV.NXT><ACK>.
        assert_eq!(p.send(ACK, rcv - 1, snd, &[]), ack, "{state:?}: old");
        // An ACK of something not yet sent: a challenge ACK (RFC 5961 section 5.2); in
        // SYN-RECEIVED <SEQ=SEG.ACK><CTL=RST> (3.10.7.4, fifth step).
        let unsent = plus(snd, 1);
        let expected = if state == SynReceived {
            [seg(RST, unsent, 0)]
        } else {
            ack
        };
        assert_eq!(p.send(ACK, rcv, unsent, &[]), expected, "{state:?}: ack");
        // SYN and SYN+FIN at RCV.NXT: challenge ACK (RFC 5961 section 4.2); a passive
        // SYN-RECEIVED returns to LISTEN instead (3.10.7.4, fourth step).
        if state == SynReceived {
            assert_eq!(p.send(SYN_FIN, rcv, 0, &[]), [], "{state:?}: SYN");
            assert_eq!(p.state(hb), Closed);
            assert!(p.net.b.pending(p.lh()).is_empty());
            continue;
        }
        for flags in [SYN, SYN_FIN] {
            assert_eq!(p.send(flags, rcv, 0, &[]), ack, "{state:?}: {flags:?}");
        }
        assert_eq!(p.state(hb), state);
        // A RST at exactly RCV.NXT: CLOSED (in TIME-WAIT too: rst-in-time-wait: closes).
        assert_eq!(p.send(RST, rcv, 0, b"text"), [], "{state:?}: RST exact");
        assert_eq!(p.state(hb), Closed, "{state:?}");
    }
}

#[test]
fn every_kind_of_segment_in_listen() {
    // RFC 9293 3.10.7.2: RST ignored; any ACK <SEQ=SEG.ACK><CTL=RST>; other segments
    // without SYN dropped; a SYN (with FIN too) answered with SYN,ACK.
    let mut p = Peer::to_listener(fast_config());
    let rst_ack = Flags(RST.0 | ACK.0);
    for (flags, text) in [
        (RST, &b""[..]),
        (rst_ack, b"x"),
        (Flags(SYN.0 | RST.0), b""),
        (FIN, b""),
        (Flags(0), b"x"),
    ] {
        assert_eq!(p.send(flags, 5, 777, text), [], "{flags:?}");
    }
    for flags in [ACK, PSH_ACK, FIN_ACK, SYN_ACK, Flags(SYN_ACK.0 | FIN.0)] {
        assert_eq!(p.send(flags, 5, 777, b"x"), [seg(RST, 777, 0)], "{flags:?}");
    }
    assert!(p.net.b.pending(p.lh()).is_empty());
    let reply = p.send(SYN_FIN, 5, 0, &[]);
    assert_eq!(reply, [seg(SYN_ACK, reply[0].seq, 6)]);
}

#[test]
fn every_kind_of_segment_for_a_closed_port() {
    // RFC 9293 3.10.7.1: a RST is dropped; with ACK <SEQ=SEG.ACK><CTL=RST>; without
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN counting text, SYN and FIN.
    let mut p = Peer::to_listener(fast_config());
    p.ports.1 = 81;
    let rst_ack = Flags(RST.0 | ACK.0);
    for (flags, text, expected) in [
        (SYN, &b""[..], seg(rst_ack, 0, 101)),
        (SYN, b"abc", seg(rst_ack, 0, 104)),
        (SYN_FIN, b"abc", seg(rst_ack, 0, 105)),
        (FIN, b"", seg(rst_ack, 0, 101)),
        (Flags(0), b"ab", seg(rst_ack, 0, 102)),
        (ACK, b"ab", seg(RST, 777, 0)),
        (SYN_ACK, b"", seg(RST, 777, 0)),
    ] {
        assert_eq!(p.send(flags, 100, 777, text), [expected], "{flags:?}");
    }
    assert_eq!(p.send(RST, 100, 0, b"x"), []);
    assert_eq!(p.send(rst_ack, 100, 777, &[]), []);
}
