//! The urgent mechanism (RFC 9293 3.8.5, with RFC 6093's reading of the pointer: it points to
//! the first octet after the urgent data): sending and receiving it (MUST-30), the pointer's
//! meaning (MUST-62), urgent data longer than 16 bits can point (MUST-31), the application
//! told when urgent data arrives or the pointer moves (MUST-32) and able to learn how much is
//! left (MUST-33); the URG of a segment processed in a zero window (MUST-66).

use super::*;
use crate::Report;

/// Reads at most `max` octets from B's connection `hb`.
fn read_b(net: &mut Net, hb: SocketHandle, max: usize) -> Vec<u8> {
    let mut buf = vec![0u8; max];
    let n = net.b.recv(net.now, hb, &mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// RFC 9293 3.8.5 (MUST-30, MUST-62): A sends six normal octets, then seven with the URGENT
/// flag. The segment carrying them has URG and a pointer to the octet after them; B is told
/// that 13 octets are urgent (everything before the mark), its read stops at the mark, and
/// the data after it is normal again.
#[test]
pub(super) fn urgent_data_is_sent_and_received() {
    let (mut net, ha, hb) = established();
    let start = next_seq(&net, Dir::AtoB);
    net.a.send(net.now, ha, b"normal").expect("send");
    net.run_for(MS);
    // Nagle would hold this segment (the first is unacknowledged); urgent data leaves.
    net.a
        .send_urgent(net.now, ha, b"URGENT!")
        .expect("send urgent");
    net.run_for(MS);
    let first = net.seen.iter().find(|s| s.dir == Dir::AtoB && s.len == 6);
    let first = first.expect("normal segment").tcp;
    assert!(!first.flags.contains(Flags::URG));
    let urg = last_from(&net, Dir::AtoB);
    assert_eq!(urg.seq, plus(start, 6));
    assert!(urg.flags.contains(Flags::URG), "{:?}", urg.flags);
    assert_eq!(
        urg.urgent, 7,
        "SEG.SEQ + SEG.UP is the first non-urgent octet"
    );
    assert_eq!(
        net.b.next_report(hb),
        Ok(Some(Report::Urgent { pending: 13 }))
    );
    assert_eq!(net.b.info(hb).expect("info").urgent, 13);
    net.a.send(net.now, ha, b"after").expect("send");
    net.run_for(100 * MS);
    assert_eq!(net.b.info(hb).expect("info").readable, 18);
    assert_eq!(
        read_b(&mut net, hb, 100),
        b"normalURGENT!",
        "stops at the mark"
    );
    assert_eq!(net.b.info(hb).expect("info").urgent, 0, "normal mode");
    assert_eq!(read_b(&mut net, hb, 100), b"after");
    let after = last_from(&net, Dir::AtoB);
    assert!(!after.flags.contains(Flags::URG), "{:?}", after.flags);
}

/// RFC 9293 3.8.5 (MUST-31): urgent data of any length. 100,000 urgent octets: every segment
/// carrying some of them has URG and points to their end, or 65535 octets on when the end is
/// further than the 16-bit field reaches; B ends up in urgent mode for all 100,000 and its
/// reads stop exactly at their end.
#[test]
pub(super) fn urgent_data_of_any_length() {
    let (mut net, ha, hb) = established();
    let start = next_seq(&net, Dir::AtoB);
    let end = plus(start, 100_000);
    let first = net.seen.len();
    let n = net
        .a
        .send_urgent(net.now, ha, &pattern(100_000))
        .expect("send");
    assert_eq!(n, 100_000);
    let arrived = |n: &mut Net| n.b.info(hb).expect("info").readable == 100_000;
    assert!(net.run_until(Duration::from_secs(1), arrived));
    let segments: Vec<_> = net.seen[first..]
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len > 0)
        .collect();
    assert!(segments.len() > 60);
    for s in segments {
        let ahead = end.wrapping_sub(s.tcp.seq);
        assert!(s.tcp.flags.contains(Flags::URG), "{:?}", s.tcp);
        assert_eq!(u32::from(s.tcp.urgent), ahead.min(65535), "{:?}", s.tcp);
    }
    assert_eq!(net.b.info(hb).expect("info").urgent, 100_000);
    let mut read = 0;
    while net.b.info(hb).expect("info").urgent > 0 {
        read += read_b(&mut net, hb, 4096).len();
    }
    assert_eq!(read, 100_000, "urgent mode ends exactly at the mark");
}

/// RFC 9293 3.8.5 (MUST-32): the application is told when an urgent pointer arrives while
/// no urgent data is pending, and whenever the pointer moves on; not for a pointer that
/// repeats the mark, nor for an old segment.
#[test]
pub(super) fn urgent_data_is_signalled_when_it_arrives_and_when_the_pointer_moves() {
    let (mut p, hb, y) = Peer::established(fast_config());
    let ack = plus(y, 1);
    let report = |p: &mut Peer| p.stack().next_report(hb).expect("report");
    p.send_urgent(PSH_ACK, 1001, ack, Some(3), b"abc");
    assert_eq!(report(&mut p), Some(Report::Urgent { pending: 3 }));
    p.send_urgent(PSH_ACK, 1004, ack, Some(0), b"de");
    assert_eq!(report(&mut p), None, "the same mark (1004)");
    p.send_urgent(PSH_ACK, 1006, ack, Some(2), b"fg");
    assert_eq!(report(&mut p), Some(Report::Urgent { pending: 7 }));
    assert_eq!(p.read(hb), b"abcdefg");
    p.send_urgent(PSH_ACK, 1001, ack, Some(3), b"abc");
    assert_eq!(report(&mut p), None, "an old segment");
    p.send_urgent(PSH_ACK, 1008, ack, Some(1), b"h");
    assert_eq!(report(&mut p), Some(Report::Urgent { pending: 1 }));
}

/// RFC 9293 3.8.5 (MUST-33): the application learns how much urgent data is left to read,
/// counted from what it has read (including urgent octets not yet arrived); a read stops
/// at the end of the urgent data.
#[test]
pub(super) fn the_application_learns_how_much_urgent_data_is_left() {
    let (mut p, hb, y) = Peer::established(fast_config());
    let ack = plus(y, 1);
    // Four octets arrive with a pointer ten octets on: ten urgent octets, six on their way.
    p.send_urgent(PSH_ACK, 1001, ack, Some(10), b"0123");
    assert_eq!(p.info(hb).urgent, 10);
    let now = p.net.now;
    let mut two = [0u8; 2];
    assert_eq!(p.stack().recv(now, hb, &mut two), Ok(2));
    assert_eq!(p.info(hb).urgent, 8);
    p.send(PSH_ACK, 1005, ack, b"456789ABCD");
    assert_eq!((p.info(hb).urgent, p.info(hb).readable), (8, 12));
    assert_eq!(p.read(hb), b"23456789");
    assert_eq!(p.info(hb).urgent, 0);
    assert_eq!(p.read(hb), b"ABCD");
}

/// RFC 9293 3.4 (MUST-66): the URG of a segment is processed even with a zero receive
/// window: its text is not taken, its urgent pointer is.
#[test]
pub(super) fn urg_is_processed_in_a_zero_window() {
    let (mut p, hb, y) = Peer::established(Config {
        recv_buffer: 4,
        window_scaling: false,
        ..fast_config()
    });
    let ack = plus(y, 1);
    assert_eq!(p.send(PSH_ACK, 1001, ack, b"full"), []);
    let answer = p.send_urgent(PSH_ACK, 1005, ack, Some(1), b"!");
    assert_eq!(answer, [seg(ACK, ack, 1005)]);
    assert_eq!(
        p.stack().next_report(hb),
        Ok(Some(Report::Urgent { pending: 5 }))
    );
    assert_eq!((p.info(hb).readable, p.info(hb).urgent), (4, 5));
}
