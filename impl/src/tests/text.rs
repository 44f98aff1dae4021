//! Segment text in ESTABLISHED (RFC 9293 section 3.10.7.4, first and seventh steps): only the
//! part inside the window is processed, the part before RCV.NXT is trimmed, segments that
//! begin later are held (out-of-order: held) and delivered when the gap fills, and a FIN
//! beyond the data waits for it. The peer's ISS is 1000, so B's RCV.NXT starts at 1001.

use super::*;

/// B with a 10-byte window (no window scaling), established with a peer played by hand.
fn small_window() -> (Peer, SocketHandle, u32) {
    Peer::established(Config {
        recv_buffer: 10,
        window_scaling: false,
        ..fast_config()
    })
}

#[test]
fn several_segments_of_several_bytes_are_acknowledged_every_second_full_segment() {
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(p.send(PSH_ACK, 1001, plus(y, 1), b"abc"), []);
    assert_eq!(p.send(PSH_ACK, 1004, plus(y, 1), b"def"), []);
    assert_eq!(p.send(PSH_ACK, 1007, plus(y, 1), b"ghij"), []);
    // Small segments: one delayed ACK for all of them (RFC 1122 4.2.3.2).
    assert_eq!(p.wait(50 * MS), [seg(ACK, plus(y, 1), 1011)]);
    assert_eq!(p.read(hb), b"abcdefghij");
}

#[test]
fn text_partly_before_rcv_nxt_is_trimmed() {
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(p.send(PSH_ACK, 1001, plus(y, 1), b"abc"), []);
    // RCV.NXT is 1004; a segment from 1002 overlaps it: only "def" is new.
    assert_eq!(p.send(PSH_ACK, 1002, plus(y, 1), b"bcdef"), []);
    assert_eq!(p.wait(50 * MS), [seg(ACK, plus(y, 1), 1007)]);
    assert_eq!(p.read(hb), b"abcdef");
}

#[test]
fn out_of_order_text_is_held_and_delivered_when_the_gap_fills() {
    let (mut p, hb, y) = Peer::established(fast_config());
    // Each out-of-order segment gets an immediate duplicate ACK (RFC 5681 section 4.2).
    let dup = [seg(ACK, plus(y, 1), 1001)];
    assert_eq!(p.send(PSH_ACK, 1007, plus(y, 1), b"ghi"), dup);
    assert_eq!(p.send(PSH_ACK, 1004, plus(y, 1), b"def"), dup);
    assert_eq!(p.info(hb).readable, 0);
    // The segment that fills the gap: everything is delivered and acknowledged at once.
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(y, 1), b"abc"),
        [seg(ACK, plus(y, 1), 1010)]
    );
    assert_eq!(p.read(hb), b"abcdefghi");
}

#[test]
fn a_pure_ack_while_a_gap_is_open_is_not_answered() {
    // RFC 5681 section 4.2: an immediate ACK for a segment that fills (part of) a gap; an
    // ACK that carries no text fills nothing and is not answered.
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(
        p.send(PSH_ACK, 1004, plus(y, 1), b"def"),
        [seg(ACK, plus(y, 1), 1001)]
    );
    assert_eq!(p.send(ACK, 1001, plus(y, 1), &[]), []);
    assert_eq!(p.info(hb).readable, 0);
    // In-order text that does not reach the held segment fills part of the gap.
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(y, 1), b"a"),
        [seg(ACK, plus(y, 1), 1002)]
    );
}

#[test]
fn fin_beyond_the_data_is_held_until_in_order() {
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(
        p.send(FIN_ACK, 1004, plus(y, 1), b"def"),
        [seg(ACK, plus(y, 1), 1001)]
    );
    assert_eq!(p.state(hb), State::Established);
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(y, 1), b"abc"),
        [seg(ACK, plus(y, 1), 1008)]
    );
    assert_eq!(p.state(hb), State::CloseWait);
    assert_eq!(p.read(hb), b"abcdef");
    assert!(p.info(hb).eof);
}

#[test]
fn a_lone_fin_ahead_of_rcv_nxt_is_held() {
    let (mut p, hb, y) = Peer::established(fast_config());
    assert_eq!(
        p.send(FIN_ACK, 1004, plus(y, 1), &[]),
        [seg(ACK, plus(y, 1), 1001)]
    );
    assert_eq!(p.state(hb), State::Established);
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(y, 1), b"abc"),
        [seg(ACK, plus(y, 1), 1005)]
    );
    assert_eq!(p.state(hb), State::CloseWait);
}

#[test]
fn text_beyond_the_window_is_trimmed_and_acknowledged_at_once() {
    // RCV.WND is 10: of 15 bytes at RCV.NXT the first 10 are taken; the rest and the FIN
    // after them lie beyond the window and are not processed (first step). The ACK goes out
    // at once, so that the peer learns how much was taken.
    let text = pattern(15);
    for flags in [PSH_ACK, FIN_ACK] {
        let (mut p, hb, y) = small_window();
        assert_eq!(
            p.send(flags, 1001, plus(y, 1), &text),
            [seg(ACK, plus(y, 1), 1011)],
            "{flags:?}"
        );
        assert_eq!(p.state(hb), State::Established);
        assert_eq!(p.read(hb), &text[..10]);
    }
}

#[test]
fn a_fin_at_the_window_edge_is_not_processed() {
    // Ten bytes fill the window exactly; the FIN would take sequence number 1011 =
    // RCV.NXT + RCV.WND, which is outside the window.
    let (mut p, hb, y) = small_window();
    assert_eq!(
        p.send(FIN_ACK, 1001, plus(y, 1), &pattern(10)),
        [seg(ACK, plus(y, 1), 1011)]
    );
    assert_eq!(p.state(hb), State::Established);
    assert_eq!(p.info(hb).readable, 10);
}

#[test]
fn sequence_classes_of_a_text_segment() {
    let (mut p, hb, y) = small_window();
    let dup = [seg(ACK, plus(y, 1), 1001)];
    // Old (RCV.NXT-1, wholly before RCV.NXT), window edge (RCV.NXT+RCV.WND) and beyond:
    // unacceptable, answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped.
    for seq in [1000, 1011, 1012, 1_000_000] {
        let text: &[u8] = if seq == 1000 { b"x" } else { b"xyz" };
        assert_eq!(p.send(PSH_ACK, seq, plus(y, 1), text), dup, "seq {seq}");
    }
    // In window (RCV.NXT+1) and last in window (RCV.NXT+RCV.WND-1): held; of the latter
    // only the byte inside the window.
    assert_eq!(p.send(PSH_ACK, 1002, plus(y, 1), b"b"), dup);
    assert_eq!(p.send(PSH_ACK, 1010, plus(y, 1), b"jkl"), dup);
    assert_eq!(p.info(hb).readable, 0);
    // Exact (RCV.NXT): delivered, with what was held, up to the window's edge.
    assert_eq!(
        p.send(PSH_ACK, 1001, plus(y, 1), b"a"),
        [seg(ACK, plus(y, 1), 1003)]
    );
    assert_eq!(
        p.send(PSH_ACK, 1003, plus(y, 1), b"cdefghi"),
        [seg(ACK, plus(y, 1), 1011)]
    );
    assert_eq!(p.read(hb), b"abcdefghij");
}
