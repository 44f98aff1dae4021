//! Keepalive (RFC 1122 section 4.2.3.6).

use super::*;

#[test]
fn keepalive_probes_an_idle_peer_and_keeps_a_live_one() {
    let (mut net, ha, _hb) = established();
    net.a
        .set_keepalive(net.now, ha, keepalive(1000, 200, 3))
        .expect("keepalive");
    net.run_for(Duration::from_millis(3500));
    let probes: Vec<_> = net
        .seen
        .iter()
        .filter(|s| s.dir == Dir::AtoB && s.len == 0 && s.at > crate::Timestamp(1_010_000))
        .collect();
    assert_eq!(probes.len(), 3, "one probe per idle period, each answered");
    let ack_b = last_from(&net, Dir::BtoA);
    assert_eq!(
        probes[0].tcp.seq,
        ack_b.ack.wrapping_sub(1),
        "probe is SND.NXT-1"
    );
    assert_eq!(net.a.state(ha), State::Established);
}

#[test]
fn keepalive_times_out_a_dead_peer() {
    let (mut net, ha, _hb) = established();
    net.a
        .set_keepalive(net.now, ha, keepalive(1000, 200, 3))
        .expect("keepalive");
    net.set_filter(|dir, _, _| {
        if dir == Dir::BtoA {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let start = net.now;
    net.run_until(Duration::from_secs(5), |n| n.a.state(ha) == State::Closed);
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    // idle + count * interval.
    assert_eq!(net.now.since(start), Duration::from_millis(1600));
}
