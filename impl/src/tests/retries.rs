//! Excessive retransmission (RFC 9293 section 3.8.3): R1 passes negative advice and tells the
//! application (MUST-20, SHLD-9), R2 closes the connection (MUST-20), for SYNs too (MUST-22);
//! R2 is set per connection (MUST-21); R2 for a SYN lasts three minutes by default (MUST-23)
//! and for data over 100 s (SHLD-11); reports can be turned off (SHLD-20).

use super::*;
use crate::{Report, Retries};

/// Drops every segment from A to B from now on.
fn a_unheard(net: &mut Net) {
    net.set_filter(|dir, _, _| match dir {
        Dir::AtoB => Fate::Drop,
        Dir::BtoA => Fate::Deliver,
    });
}

/// Data segments A sent from local port `port` (the original and its retransmissions).
fn data_from(net: &Net, port: u16) -> usize {
    count(net, Dir::AtoB, |t, len| len > 0 && t.src_port == port)
}

/// RFC 9293 3.8.3 (MUST-20): at R1 retransmissions of the same segment the stack passes
/// negative advice and reports it, once; at R2 it closes the connection with a timeout.
#[test]
pub(super) fn r1_advises_and_r2_closes() {
    let (mut net, ha, _hb) = established(); // R1 3, R2 5 (fast_config)
    let port = net.a.info(ha).expect("info").local.port();
    a_unheard(&mut net);
    net.a.send(net.now, ha, b"lost").expect("send");
    assert!(net.run_until(Duration::from_secs(60), |n| data_from(n, port) == 3));
    assert_eq!(
        net.a.next_report(ha),
        Ok(None),
        "two retransmissions: below R1"
    );
    assert!(net.run_until(Duration::from_secs(60), |n| data_from(n, port) == 4));
    assert_eq!(
        net.a.next_report(ha),
        Ok(Some(Report::ExcessiveRetransmissions {
            retransmissions: 3,
            syn: false
        }))
    );
    assert_eq!(net.a.stats().negative_advice, 1);
    assert_eq!(net.a.state(ha), State::Established);
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.state(ha) == State::Closed));
    assert_eq!(
        data_from(&net, port),
        6,
        "the original and R2 = 5 retransmissions"
    );
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
    assert_eq!(net.a.next_report(ha), Ok(None), "advice once per segment");
    assert_eq!(net.a.stats().negative_advice, 1);
}

/// RFC 9293 3.8.3 (MUST-22): SYN retransmissions are handled the same way, including the
/// report at R1.
#[test]
pub(super) fn syn_retransmissions_advise_at_r1_and_close_at_r2() {
    let cfg = Config {
        r1_retries: 2,
        syn_retries: 4,
        ..fast_config()
    };
    let mut net = Net::new(cfg, fast_config());
    a_unheard(&mut net);
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    let syns = |n: &Net| count(n, Dir::AtoB, |t, _| t.flags == SYN);
    assert!(net.run_until(Duration::from_secs(60), |n| syns(n) == 3));
    assert_eq!(
        net.a.next_report(ha),
        Ok(Some(Report::ExcessiveRetransmissions {
            retransmissions: 2,
            syn: true
        }))
    );
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.state(ha) == State::Closed));
    assert_eq!(syns(&net), 5, "the SYN and R2 = 4 retransmissions");
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
}

/// RFC 9293 3.8.3 (d) (MUST-21): an application sets R2 for one connection: a connection
/// with R2 = 2 gives up after two retransmissions while another on the same stack keeps
/// the configured R2, and one with R2 "infinity" (`u32::MAX`) keeps retransmitting.
#[test]
pub(super) fn r2_is_set_per_connection() {
    let mut net = Net::new(fast_config(), fast_config());
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    let conns: Vec<SocketHandle> = (0..3)
        .map(|_| net.a.connect(net.now, net.b_sock(80)).expect("connect"))
        .collect();
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.accept_ready(lh) == 3));
    let bad = Retries {
        r1: 2,
        r2: 2,
        syn_r2: 3,
    };
    assert_eq!(
        net.a.set_retries(conns[0], bad),
        Err(TcpError::InvalidInput)
    );
    let short = Retries { r2: 3, ..bad };
    let endless = Retries {
        r2: u32::MAX,
        ..bad
    };
    net.a.set_retries(conns[0], short).expect("short R2");
    net.a.set_retries(conns[2], endless).expect("endless R2");
    assert_eq!(net.a.retries(conns[0]), Ok(short));
    assert_eq!(net.a.retries(conns[1]).expect("retries").r2, 5);
    a_unheard(&mut net);
    for &h in &conns {
        net.a.send(net.now, h, b"lost").expect("send");
    }
    let closed = |n: &Net, h| n.a.state(h) == State::Closed;
    assert!(net.run_until(Duration::from_secs(60), |n| closed(n, conns[0])));
    let port = |n: &Net, h| n.a.info(h).expect("info").local.port();
    assert_eq!(data_from(&net, port(&net, conns[0])), 4, "R2 = 3");
    assert_eq!(net.a.state(conns[1]), State::Established);
    assert!(net.run_until(Duration::from_secs(60), |n| closed(n, conns[1])));
    assert_eq!(
        data_from(&net, port(&net, conns[1])),
        6,
        "the configured R2 = 5"
    );
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.a.state(conns[2]), State::Established, "R2 infinite");
    assert!(data_from(&net, port(&net, conns[2])) > 100);
}

/// RFC 9293 3.8.3 (MUST-23): with the default configuration an unanswered SYN is
/// retransmitted for at least three minutes before the connection gives up.
#[test]
pub(super) fn syn_r2_lasts_three_minutes_by_default() {
    let mut net = Net::new(Config::default(), Config::default());
    a_unheard(&mut net);
    let start = net.now;
    let ha = net.a.connect(net.now, net.b_sock(80)).expect("connect");
    net.run_for(Duration::from_secs(180));
    assert_eq!(
        net.a.state(ha),
        State::SynSent,
        "still trying after 3 minutes"
    );
    assert!(net.run_until(Duration::from_secs(120), |n| n.a.state(ha) == State::Closed));
    assert_eq!(net.now.since(start), Duration::from_secs(183));
    assert_eq!(
        net.a.info(ha).expect("info").error,
        Some(TcpError::TimedOut)
    );
}

/// RFC 9293 3.8.3 (SHLD-11): with the default configuration R2 for data lasts well over
/// 100 s, even with the smallest RTO.
#[test]
fn data_r2_lasts_over_100_s_by_default() {
    let (mut net, ha, _hb) = established_with(Config::default(), Config::default(), false);
    a_unheard(&mut net);
    let start = net.now;
    net.a.send(net.now, ha, b"lost").expect("send");
    assert!(net.run_until(Duration::from_secs(3600), |n| n.a.state(ha)
        == State::Closed));
    assert!(
        net.now.since(start) > Duration::from_secs(100),
        "{:?}",
        net.now.since(start)
    );
}

/// RFC 9293 3.9.1.8 (SHLD-20): an application that does not want reports turns them off.
#[test]
fn reports_can_be_turned_off() {
    let (mut net, ha, _hb) = established();
    net.a.set_reports(ha, false).expect("reports off");
    a_unheard(&mut net);
    net.a.send(net.now, ha, b"lost").expect("send");
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.state(ha) == State::Closed));
    assert_eq!(net.a.next_report(ha), Ok(None));
    assert_eq!(
        net.a.stats().negative_advice,
        1,
        "the advice still goes to IP"
    );
}
