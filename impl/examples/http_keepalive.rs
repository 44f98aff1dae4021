//! A tiny HTTP/1.1 server on the userspace stack, and a client on the Linux kernel's TCP,
//! in a private network namespace joined by a TUN device. The client fetches N resources
//! twice: once over one keep-alive connection, once with `Connection: close` (one connection
//! per request). It reports, for each, how many TCP handshakes the server saw and how long it
//! took: HTTP keep-alive saves a three-way handshake (and a TIME-WAIT) per request.
//!
//! Run as root (it creates a network namespace and a TUN device):
//!
//! ```text
//! cargo run --release -p tcp-impl --example http_keepalive -- [N] [BODY_BYTES]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use common::{in_lab, STACK_V4};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tcp_impl::runtime::{NetStack, TcpStream};
use tcp_impl::Config;

/// Reads one request head; returns whether the client asked to close, or None at EOF.
fn read_request(r: &mut impl BufRead) -> io::Result<Option<bool>> {
    let mut line = String::new();
    let mut close = false;
    let mut first = true;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if first {
            if !line.starts_with("GET ") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not a GET request: {line:?}"),
                ));
            }
            first = false;
        }
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:") && l.contains("close") {
            close = true;
        }
        if line == "\r\n" {
            return Ok(Some(close));
        }
    }
}

/// Serves requests on one connection until the client closes or asks to.
fn serve(stream: TcpStream, body: &[u8]) -> io::Result<usize> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(&stream);
    let mut served = 0;
    while let Some(close) = read_request(&mut reader)? {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        let mut response = head.into_bytes();
        response.extend_from_slice(body);
        (&stream).write_all(&response)?;
        served += 1;
        if close {
            break;
        }
    }
    Ok(served)
}

/// Kernel-side client: sends `n` requests, over one connection or one connection each.
fn client(addr: SocketAddr, n: usize, keep_alive: bool) -> io::Result<usize> {
    let mut bytes = 0;
    let mut conn: Option<BufReader<std::net::TcpStream>> = None;
    for i in 0..n {
        if conn.is_none() {
            let s = std::net::TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            conn = Some(BufReader::new(s));
        }
        let Some(r) = conn.as_mut() else {
            return Err(io::Error::other("no connection"));
        };
        let req = format!(
            "GET /item/{i} HTTP/1.1\r\nHost: 192.0.2.2\r\n{}\r\n",
            if keep_alive {
                ""
            } else {
                "Connection: close\r\n"
            }
        );
        r.get_mut().write_all(req.as_bytes())?;
        let mut len = None;
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "response head",
                ));
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse::<usize>().ok();
            }
            if line == "\r\n" {
                break;
            }
        }
        let len = len.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no length"))?;
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        bytes += len;
        if !keep_alive {
            conn = None;
        }
    }
    Ok(bytes)
}

fn run(net: &NetStack, n: usize, body_len: usize, keep_alive: bool, port: u16) -> (u64, Duration) {
    let addr = SocketAddr::new(STACK_V4, port);
    let listener = net.listen(addr).expect("listen");
    let before = net.stats().passive_opens;
    let body: Vec<u8> = (0..body_len).map(|i| (i % 251) as u8).collect();
    let server = std::thread::spawn(move || {
        let mut served = 0;
        while served < n {
            let (s, _) = listener.accept().expect("accept");
            served += serve(s, &body).expect("serve");
        }
        served
    });
    let start = Instant::now();
    let got = client(addr, n, keep_alive).expect("client");
    let elapsed = start.elapsed();
    assert_eq!(got, n * body_len);
    assert_eq!(server.join().expect("server"), n);
    (net.stats().passive_opens - before, elapsed)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let body: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    in_lab(Config::default(), move |net| {
        let (h1, t1) = run(net, n, body, true, 8080);
        let (h2, t2) = run(net, n, body, false, 8081);
        println!("{n} requests of {body} bytes, server on the userspace stack, client on Linux:");
        println!(
            "  keep-alive:       {h1:4} handshakes, {:8.2?} total, {:7.1?} per request",
            t1,
            t1 / n as u32
        );
        println!(
            "  Connection: close {h2:4} handshakes, {:8.2?} total, {:7.1?} per request",
            t2,
            t2 / n as u32
        );
        println!(
            "  keep-alive saved {} handshakes and took {:.2}x the time of one connection per request",
            h2.saturating_sub(h1),
            t1.as_secs_f64() / t2.as_secs_f64()
        );
    });
}
