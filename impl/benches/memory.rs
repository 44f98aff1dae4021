//! Memory per connection, measured: two stacks joined in memory (no TUN, no root), a counting
//! allocator around the system's, and `BENCH_CONNS` connections (default 10,000) between them.
//!
//! Printed: the heap the two stacks hold with no connection, with every connection
//! established and idle, with `BENCH_UNREAD_KB` (default 16) KB unread in each client's
//! receive buffer and as much unacknowledged in each server's send buffer, and after all are
//! closed; each per connection and side. Also the configured bounds per connection (send and
//! receive buffers; the reassembly queue lives inside the receive window) and the bytes of a
//! half-open connection ([`Stack::half_open_bytes`]).
//!
//! ```text
//! cargo bench -p tcp-impl --bench memory
//! BENCH_CONNS=2000 BENCH_UNREAD_KB=64 cargo bench -p tcp-impl --bench memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;
use tcp_impl::{Config, SocketHandle, Stack, State, Timestamp};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded with the caller's pointer, layout and size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

/// Two stacks and virtual time.
struct Pair {
    client: Stack,
    server: Stack,
    now: Timestamp,
}

impl Pair {
    /// Moves packets both ways until neither stack has any to send, then advances time by
    /// `step` and runs timers.
    fn pump(&mut self, step: Duration) {
        loop {
            let mut moved = false;
            while let Some(p) = self.client.pop_transmit() {
                self.server.receive(self.now, &p);
                moved = true;
            }
            while let Some(p) = self.server.pop_transmit() {
                self.client.receive(self.now, &p);
                moved = true;
            }
            if !moved {
                break;
            }
        }
        self.now = self.now + step;
        self.client.on_timer(self.now);
        self.server.on_timer(self.now);
    }
}

fn per(bytes: isize, conns: usize) -> String {
    format!(
        "{:>12} bytes  {:>9.0} per connection and side",
        bytes,
        bytes as f64 / conns as f64 / 2.0
    )
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"memory".contains(a.as_str()))
    {
        return;
    }
    let conns = env_number("BENCH_CONNS", 10_000).clamp(1, 16_000);
    let unread = env_number("BENCH_UNREAD_KB", 16) * 1024;
    let config = Config {
        backlog: conns + 1,
        ..Config::default()
    };
    let before = live();
    let mut pair = Pair {
        client: Stack::new(config.clone(), vec![CLIENT]),
        server: Stack::new(config.clone(), vec![SERVER]),
        now: Timestamp::ZERO,
    };
    let empty = live() - before;
    let lh = match pair.server.listen(SocketAddr::new(SERVER, 80), None) {
        Ok(lh) => lh,
        Err(e) => panic!("listen: {e}"),
    };
    let mut clients: Vec<SocketHandle> = Vec::with_capacity(conns);
    for _ in 0..conns {
        match pair.client.connect(pair.now, SocketAddr::new(SERVER, 80)) {
            Ok(h) => clients.push(h),
            Err(e) => panic!("connect {}: {e}", clients.len()),
        }
    }
    pair.pump(Duration::from_millis(1));
    let mut servers = Vec::with_capacity(conns);
    while let Ok(h) = pair.server.accept(lh) {
        servers.push(h);
    }
    let established = clients
        .iter()
        .filter(|h| pair.client.state(**h) == State::Established)
        .count();
    assert_eq!(established, conns, "every connection established");
    assert_eq!(servers.len(), conns, "every connection accepted");
    // Let the delayed ACKs and timers settle.
    pair.pump(Duration::from_millis(500));
    let idle = live() - before;

    let data = vec![7u8; unread];
    for h in &servers {
        let mut sent = 0;
        while sent < data.len() {
            match pair.server.send(pair.now, *h, &data[sent..]) {
                Ok(n) if n > 0 => sent += n,
                _ => break,
            }
        }
    }
    for _ in 0..20 {
        pair.pump(Duration::from_millis(50));
    }
    let loaded = live() - before;

    for h in clients.iter().chain(&servers) {
        let _ = pair.client.abort(*h);
        let _ = pair.server.abort(*h);
    }
    for h in &clients {
        let _ = pair.client.release(pair.now, *h);
    }
    for h in &servers {
        let _ = pair.server.release(pair.now, *h);
    }
    pair.pump(Duration::from_secs(1));
    let closed = live() - before;

    println!(
        "memory: {conns} connections between two in-memory stacks (heap bytes held, counting \
         allocator)"
    );
    println!("  two empty stacks              {:>12} bytes", empty);
    println!(
        "  established, idle             {}",
        per(idle - empty, conns)
    );
    println!(
        "  {} KB unread at each client   {}",
        unread / 1024,
        per(loaded - empty, conns)
    );
    println!(
        "  all aborted and released      {:>12} bytes ({} and {} connections left: what stays \
         is the tables' minimum and the packet buffers kept for reuse)",
        closed - empty,
        pair.client.connection_count(),
        pair.server.connection_count()
    );
    println!(
        "bounds per connection: send buffer {} bytes, receive buffer {} bytes (the reassembly \
         queue holds only what the receive window admits); a half-open connection {} bytes; \
         beyond a listener's backlog, SYN cookies hold none",
        config.send_buffer,
        config.recv_buffer,
        Stack::half_open_bytes()
    );
}
