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

use common::http::run;
use common::in_lab;
use tcp_impl::Config;

/// Parses the optional positional argument `name` (a positive integer), or exits with a
/// message saying what was wrong.
fn arg(value: Option<String>, name: &str, default: usize) -> usize {
    let Some(v) = value else {
        return default;
    };
    match v.parse::<usize>() {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("http_keepalive: {name} must be a positive integer, got {v:?}");
            eprintln!("usage: http_keepalive [N] [BODY_BYTES]   (defaults: 200 1024)");
            std::process::exit(2);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n = arg(args.next(), "N", 200);
    let body = arg(args.next(), "BODY_BYTES", 1024);
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
        // The seed's point, checked: one handshake for all requests, against one each.
        if h1 != 1 || h2 != n as u64 {
            eprintln!("unexpected handshake counts: {h1} with keep-alive (expected 1), {h2} without (expected {n})");
            std::process::exit(1);
        }
    });
}
