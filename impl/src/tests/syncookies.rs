//! SYN cookies (RFC 4987 section 3.6): a listener whose backlog is full answers SYNs with a
//! cookie and keeps nothing; a valid cookie returned on the ACK makes the connection; a forged,
//! mismatched or expired one is refused with a reset, as any ACK for a listener is (RFC 9293
//! 3.10.7.2).

use super::*;

/// B listens with a backlog of 1, already taken by the peer's first SYN (port 40000, which
/// gets an ordinary SYN,ACK and is left half-open).
fn full_listener() -> Peer {
    let cb = Config {
        backlog: 1,
        ..fast_config()
    };
    let mut p = Peer::to_listener(cb);
    let synack = p.send(SYN, PEER_ISS, 0, &[]);
    assert_eq!(synack.len(), 1, "the first SYN fills the backlog");
    assert_eq!(p.net.b.stats().syn_cookies_sent, 0);
    p.ports.0 = 40001;
    p
}

/// The peer (port 40001) sends a SYN with ISN `isn`, MSS 1460 and window scale 7 to the full
/// listener: returns B's SYN,ACK header (seq = the cookie).
fn cookie_synack(p: &mut Peer, isn: u32) -> TcpHeader {
    let syn = TcpHeader {
        src_port: p.ports.0,
        dst_port: p.ports.1,
        seq: isn,
        ack: 0,
        flags: SYN,
        window: 8192,
        urgent: 0,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            ..TcpOptions::default()
        },
    };
    p.net.inject(Dir::AtoB, &syn, &[]);
    let lines = p.wait(MS);
    assert_eq!(lines.len(), 1, "one SYN,ACK: {lines:?}");
    let h = last_from(&p.net, Dir::BtoA);
    assert_eq!(h.flags, SYN_ACK);
    assert_eq!(h.ack, isn.wrapping_add(1));
    h
}

#[test]
fn a_full_backlog_answers_with_a_cookie_that_makes_the_connection() {
    let mut p = full_listener();
    let opens = p.net.b.stats().passive_opens;
    let conns = p.net.b.connection_count();
    let synack = cookie_synack(&mut p, 5000);
    let stats = p.net.b.stats();
    assert_eq!(stats.syn_cookies_sent, 1);
    assert_eq!(stats.syn_backlog_drops, 0);
    assert_eq!(stats.passive_opens, opens, "no connection for a cookie");
    assert_eq!(p.net.b.connection_count(), conns, "nothing kept");
    assert_eq!(
        synack.options.mss,
        Some(1460),
        "the SYN,ACK offers B's MSS as usual"
    );
    let cookie = synack.seq;
    // The ACK returns the cookie: the connection exists, ESTABLISHED, with nothing to say.
    assert_eq!(p.send(ACK, 5001, cookie.wrapping_add(1), &[]), []);
    assert_eq!(p.net.b.stats().syn_cookies_accepted, 1);
    let hb = p
        .net
        .b
        .accept(p.lh())
        .expect("the cookie's connection is accepted");
    assert_eq!(p.net.b.state(hb), State::Established);
    // It carries data both ways.
    p.send(PSH_ACK, 5001, cookie.wrapping_add(1), b"hello");
    let acks = p.wait(100 * MS);
    assert_eq!(
        acks,
        [seg(ACK, cookie.wrapping_add(1), 5006)],
        "(delayed ACK)"
    );
    let mut buf = [0u8; 16];
    let n = p.net.b.recv(p.net.now, hb, &mut buf).expect("recv");
    assert_eq!(&buf[..n], b"hello");
    p.net.b.send(p.net.now, hb, b"world").expect("send");
    let out = p.wait(100 * MS);
    assert!(
        out.iter()
            .any(|l| l.seq == cookie.wrapping_add(1) && l.ack == 5006 && l.len == 5),
        "{out:?}"
    );
}

#[test]
pub(super) fn a_cookie_syn_ack_offers_no_window_scaling() {
    // RFC 4987 3.6: the cookie cannot remember the peer's window scale, so the SYN,ACK must
    // not agree to scaling (RFC 7323 2.2: then neither side scales).
    let mut p = full_listener();
    let synack = cookie_synack(&mut p, 5000);
    assert_eq!(synack.options.window_scale, None, "{synack:?}");
}

#[test]
pub(super) fn a_forged_or_mismatched_cookie_is_refused_with_a_reset() {
    let mut p = full_listener();
    let cookie = cookie_synack(&mut p, 5000).seq;
    // A blind guess of the cookie.
    let guess = cookie.wrapping_add(0x0100_0000 + 12345);
    assert_eq!(
        p.send(ACK, 5001, guess.wrapping_add(1), &[]),
        [seg(RST, guess.wrapping_add(1), 0)]
    );
    // The right cookie with another SEG.SEQ: not the SYN the cookie answered.
    assert_eq!(
        p.send(ACK, 7001, cookie.wrapping_add(1), &[]),
        [seg(RST, cookie.wrapping_add(1), 0)]
    );
    // The right cookie from another port.
    p.ports.0 = 40002;
    assert_eq!(
        p.send(ACK, 5001, cookie.wrapping_add(1), &[]),
        [seg(RST, cookie.wrapping_add(1), 0)]
    );
    assert_eq!(p.net.b.stats().syn_cookies_accepted, 0);
}

#[test]
pub(super) fn an_expired_cookie_is_refused() {
    let mut p = full_listener();
    let cookie = cookie_synack(&mut p, 5000).seq;
    // Two periods later the counter has moved on by two: the cookie is too old.
    p.wait(2 * crate::syncookie::PERIOD + Duration::from_secs(1));
    assert_eq!(
        p.send(ACK, 5001, cookie.wrapping_add(1), &[]),
        [seg(RST, cookie.wrapping_add(1), 0)]
    );
    assert_eq!(p.net.b.stats().syn_cookies_accepted, 0);
}

#[test]
fn without_cookies_a_full_backlog_drops_the_syn() {
    let cb = Config {
        backlog: 1,
        syn_cookies: false,
        ..fast_config()
    };
    let mut p = Peer::to_listener(cb);
    assert_eq!(p.send(SYN, PEER_ISS, 0, &[]).len(), 1);
    p.ports.0 = 40001;
    assert_eq!(p.send(SYN, 5000, 0, &[]), []);
    let stats = p.net.b.stats();
    assert_eq!((stats.syn_backlog_drops, stats.syn_cookies_sent), (1, 0));
}

/// Spoofed SYNs from 1,000 ports that never answer fill B's backlog of 8; a real client (A,
/// port chosen by A) still connects at once and moves 100 KB, and B never holds more than the
/// backlog's half-open connections.
#[test]
pub(super) fn a_legitimate_client_connects_during_a_syn_flood() {
    let cb = Config {
        backlog: 8,
        ..fast_config()
    };
    let mut net = Net::new(fast_config(), cb);
    let lh = net.b.listen(net.b_sock(80), None).expect("listen");
    // The spoofed sources never answer: B's segments to their ports are lost.
    net.set_filter(|dir, h, _| {
        if dir == Dir::BtoA && (1000..2000).contains(&h.dst_port) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    for port in 1000..2000u16 {
        let syn = TcpHeader {
            src_port: port,
            dst_port: 80,
            seq: u32::from(port) * 7919,
            ack: 0,
            flags: SYN,
            window: 8192,
            urgent: 0,
            options: TcpOptions::default(),
        };
        net.inject(Dir::AtoB, &syn, &[]);
    }
    net.run_for(MS);
    assert_eq!(net.b.connection_count(), 8, "only the backlog is kept");
    let bytes = Stack::half_open_bytes();
    println!(
        "half-open connection: {bytes} bytes; 1,000 SYNs held {} of them",
        8
    );
    assert_eq!(net.b.stats().syn_cookies_sent, 992);
    let remote = net.b_sock(80);
    let ha = net.a.connect(net.now, remote).expect("connect");
    let connected = net.run_until(Duration::from_millis(50), |n| n.b.accept_ready(lh) > 0);
    assert!(connected, "the client did not get in during the flood");
    let hb = net.b.accept(lh).expect("accept");
    assert_eq!(net.a.state(ha), State::Established);
    assert_eq!(net.b.stats().syn_cookies_accepted, 1);
    let data = pattern(100_000);
    let got = transfer_a_to_b(&mut net, ha, hb, &data, Duration::from_secs(5));
    assert!(got == data, "the transfer arrived intact");
    assert!(net.b.connection_count() <= 9);
}
