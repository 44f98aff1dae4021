//! The std-like runtime (event loop, blocking `Read`/`Write`, accept, connect, timeouts,
//! shutdown, abort) with two stacks joined by a datagram socketpair instead of a TUN device:
//! each datagram is one IP packet. Needs no privilege and touches no network.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;
use tcp_impl::runtime::NetStack;
use tcp_impl::{Config, KeepaliveConfig, State, TcpError};

const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

fn pair(config: Config) -> (NetStack, NetStack) {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: socketpair writes two new fds into `fds`.
    let rc = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, fds.as_mut_ptr()) };
    assert_eq!(rc, 0, "socketpair: {}", std::io::Error::last_os_error());
    for fd in fds {
        // Room for a window's worth of packets in flight.
        let size: libc::c_int = 8 << 20;
        // SAFETY: setsockopt with a valid int on our fd.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    }
    // SAFETY: both fds are fresh and owned from here on.
    let (fa, fb) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let a = NetStack::new(fa, config.clone(), vec![A]).expect("stack A");
    let b = NetStack::new(fb, config, vec![B]).expect("stack B");
    (a, b)
}

fn fast() -> Config {
    Config {
        msl: Duration::from_millis(200),
        ..Config::default()
    }
}

#[test]
fn blocking_streams_move_data_both_ways() {
    let (a, b) = pair(fast());
    let addr = SocketAddr::new(B, 80);
    let listener = b.listen(addr).expect("listen");
    let server = std::thread::spawn(move || {
        let (mut s, peer) = listener.accept().expect("accept");
        assert_eq!(peer.ip(), A);
        let mut got = Vec::new();
        s.read_to_end(&mut got).expect("server read");
        s.write_all(&got).expect("echo");
        s.shutdown(Shutdown::Write).expect("shutdown");
        let st = s
            .wait_for_state(Duration::from_secs(5), |st| st == State::Closed)
            .expect("closed");
        (got.len(), st)
    });
    let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 253) as u8).collect();
    let c = a.connect(addr).expect("connect");
    assert_eq!(c.state(), State::Established);
    // One thread writes while this one reads, through `&TcpStream`.
    let back = std::thread::scope(|scope| {
        scope.spawn(|| {
            (&c).write_all(&data).expect("client write");
            c.shutdown(Shutdown::Write).expect("client shutdown");
        });
        let mut back = Vec::new();
        (&c).read_to_end(&mut back).expect("client read");
        back
    });
    assert!(back == data, "echoed bytes differ");
    let (n, st) = server.join().expect("server");
    assert_eq!(n, data.len());
    assert_eq!(st, State::Closed);
    // The client closed first: TIME-WAIT, then CLOSED after 2*MSL.
    assert_eq!(c.state(), State::TimeWait);
    let st = c
        .wait_for_state(Duration::from_secs(5), |st| st == State::Closed)
        .expect("time-wait ends");
    assert_eq!(st, State::Closed);
}

#[test]
fn read_timeout_abort_and_refused() {
    let (a, b) = pair(fast());
    let addr = SocketAddr::new(B, 81);
    let listener = b.listen(addr).expect("listen");
    let mut c = a.connect(addr).expect("connect");
    let (s, _) = listener.accept().expect("accept");
    c.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 8];
    let err = c.read(&mut buf).expect_err("nothing to read");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    s.abort().expect("abort");
    c.set_read_timeout(Some(Duration::from_secs(5)));
    let err = c.read(&mut buf).expect_err("reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    let err = a
        .connect(SocketAddr::new(B, 9))
        .err()
        .expect("nobody listens");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn dropping_a_stream_closes_it_gracefully() {
    let (a, b) = pair(fast());
    let addr = SocketAddr::new(B, 82);
    let listener = b.listen(addr).expect("listen");
    let mut c = a.connect(addr).expect("connect");
    let (mut s, _) = listener.accept().expect("accept");
    c.write_all(b"last words").expect("write");
    drop(c);
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("read to FIN");
    assert_eq!(got, b"last words");
    assert_eq!(s.state(), State::CloseWait);
    drop(s);
    // Both sides finish on their own; the stacks forget them.
    let t = std::time::Instant::now();
    while (a.with_stack(|st, _| st.connection_count()) > 0
        || b.with_stack(|st, _| st.connection_count()) > 0)
        && t.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(a.with_stack(|st, _| st.connection_count()), 0);
    assert_eq!(b.with_stack(|st, _| st.connection_count()), 0);
}

#[test]
fn a_blocked_reader_learns_at_once_that_a_timer_ended_the_connection() {
    // The reader blocked in `read` waits on the device itself (the event loop keeps to the
    // timers); when the keepalive timer gives up on the silent peer, the event loop must
    // wake it, not leave it sleeping until its own read timeout.
    let (a, b) = pair(fast());
    let addr = SocketAddr::new(B, 83);
    let listener = b.listen(addr).expect("listen");
    let c = a.connect(addr).expect("connect");
    let (mut s, _) = listener.accept().expect("accept");
    // A falls silent: its event loop stops and its stream is never closed (no FIN, no RST).
    std::mem::forget(c);
    drop(a);
    s.set_keepalive(Some(KeepaliveConfig {
        idle: Duration::from_millis(50),
        interval: Duration::from_millis(20),
        count: 2,
    }))
    .expect("keepalive");
    let read_timeout = Duration::from_secs(10);
    s.set_read_timeout(Some(read_timeout));
    let t = std::time::Instant::now();
    let mut buf = [0u8; 8];
    let err = s.read(&mut buf).expect_err("the peer is gone");
    let waited = t.elapsed();
    assert_eq!(s.info().and_then(|i| i.error), Some(TcpError::TimedOut));
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert!(
        waited < read_timeout / 2,
        "the reader slept {waited:?}: the keepalive timeout did not wake it"
    );
}
