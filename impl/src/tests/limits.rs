//! Resource limits a peer must not be able to exceed.

use super::*;
use crate::reassembly::MAX_RUNS;

#[test]
fn out_of_order_runs_are_bounded_and_the_connection_recovers() {
    let (mut net, ha, hb) = established();
    let extra = 50;
    let data = pattern(2 * (MAX_RUNS + extra) + 2);
    // One byte of A's coming data at every other sequence number ahead of RCV.NXT (as a
    // peer's tiny segments with gaps would arrive): each would be a run of its own. Only
    // MAX_RUNS are queued; the rest are counted and dropped.
    for i in 0..MAX_RUNS + extra {
        let off = 2 * i + 1;
        let h = forged(&net, Flags::ACK, off as i64, None);
        net.inject(Dir::AtoB, &h, &data[off..=off]);
    }
    net.run_for(MS);
    assert_eq!(net.b.stats().rx_ooo_dropped, extra as u64);
    assert_eq!(net.b.info(hb).expect("info").readable, 0);
    // A's real transmission fills the gaps: the stream arrives whole and in order, the
    // queued bytes used where they fit, the dropped ones taken from A's segments.
    let got = transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(5));
    assert!(got == data, "the stream differs");
    assert_eq!(net.b.state(hb), State::Established);
}

/// The connection tables give their memory back once connections go: 3,000 connections,
/// all aborted, leave tables of the minimum size.
#[test]
fn connection_tables_shrink_when_connections_go() {
    let cb = Config {
        backlog: 4000,
        ..fast_config()
    };
    let mut net = Net::new(fast_config(), cb);
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let remote = net.b_sock(80);
    let hs: Vec<SocketHandle> = (0..3000)
        .map(|_| net.a.connect(net.now, remote).expect("connect"))
        .collect();
    net.run_for(10 * MS);
    assert_eq!(net.b.accept_ready(lh), 3000);
    let grown = net.a.table_capacity();
    assert!(grown >= 3000, "{grown}");
    for h in hs {
        net.a.abort(h).expect("abort");
        net.a.release(net.now, h).expect("release");
    }
    net.run_for(10 * MS);
    assert_eq!(net.a.connection_count(), 0);
    let shrunk = net.a.table_capacity();
    assert!(shrunk <= 1024, "{grown} -> {shrunk}");
}
