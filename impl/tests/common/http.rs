//! A tiny HTTP/1.1 server on the userspace stack and a client on the Linux kernel's TCP, for
//! the `http_keepalive` example and its test: the client fetches N resources over one
//! keep-alive connection, or with `Connection: close` (one connection per request), and
//! [`run`] reports how many TCP handshakes the server saw and how long it took.

use super::STACK_V4;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tcp_impl::runtime::{NetStack, TcpStream};

/// The resource served: `len` bytes of a fixed pattern (the client checks every byte).
pub fn resource(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Reads one request head; returns whether the client asked to close, or None at EOF.
pub fn read_request(r: &mut impl BufRead) -> io::Result<Option<bool>> {
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
pub fn serve(stream: TcpStream, body: &[u8]) -> io::Result<usize> {
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
pub fn client(addr: SocketAddr, n: usize, keep_alive: bool, body_len: usize) -> io::Result<usize> {
    let expected = resource(body_len);
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
        if body != expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("response {i}: the body differs from the resource served"),
            ));
        }
        bytes += len;
        if !keep_alive {
            conn = None;
        }
    }
    Ok(bytes)
}

pub fn run(
    net: &NetStack,
    n: usize,
    body_len: usize,
    keep_alive: bool,
    port: u16,
) -> (u64, Duration) {
    let addr = SocketAddr::new(STACK_V4, port);
    let listener = net.listen(addr).expect("listen");
    let before = net.stats().passive_opens;
    let body = resource(body_len);
    let server = std::thread::spawn(move || {
        let mut served = 0;
        while served < n {
            let (s, _) = listener.accept().expect("accept");
            served += serve(s, &body).expect("serve");
        }
        served
    });
    let start = Instant::now();
    let got = client(addr, n, keep_alive, body_len).expect("client");
    let elapsed = start.elapsed();
    assert_eq!(got, n * body_len);
    assert_eq!(server.join().expect("server"), n);
    (net.stats().passive_opens - before, elapsed)
}
