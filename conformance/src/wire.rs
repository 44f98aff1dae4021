//! Userspace stacks that own a TUN device: the engine's interface ([`TunEngine`]), the
//! replayer's side of the device ([`PacketWire`]), and the two joined into a [`Stack`]
//! ([`OnTun`]).
//!
//! How packets cross (packet(7), drivers/net/tun.c): a packet sent on a `SOCK_DGRAM`
//! `AF_PACKET` socket bound to the TUN interface is handed to the device's transmit routine
//! (`dev_queue_xmit` -> `tun_net_xmit`), which queues it for the TUN fd: the stack reads it as
//! if the network had delivered it. A packet the stack writes to the TUN fd enters the kernel
//! as received on the interface (`netif_rx`), and every `ETH_P_ALL` packet socket on that
//! interface gets a copy (`PACKET_HOST`, [`Direction::Incoming`]) before the IP layer looks at
//! it. The interface has no IP address and forwarding is off in the job's fresh namespace, so
//! the kernel's IP layer drops those packets without answering: the stack and the replayer are
//! the only TCPs on the wire. Whatever the kernel itself sends out of the device (IPv6 router
//! solicitations, MLD reports) is [`Direction::Outgoing`], reaches the stack (which drops it
//! as not TCP) and is skipped by [`PacketWire::capture`].

use crate::stack::{DefenceCounters, Footprint, Readable, SockError, Sockets, Stack};
use crate::target::Endpoints;
use crate::timing::TimerProfile;
use std::io;
use std::time::{Duration, Instant};
use tcp_netlab::{Direction, PacketSocket, Rtnetlink, Tun};
use tcp_vectors::{SocketOptions, TcpState};

/// MTU of the TUN devices of userspace stacks.
pub const MTU: u32 = 1500;

/// A TUN device for a userspace stack in the calling thread's namespace: no address (the
/// kernel stays off the wire), MTU 1500, up. Returns the device (for the stack) and the
/// replayer's wire on it.
pub fn tun_for_stack(name: &str) -> io::Result<(Tun, PacketWire)> {
    let tun = Tun::create(name)?;
    let index = tun.index();
    let mut rt = Rtnetlink::open()?;
    rt.set_mtu(index, MTU)?;
    rt.set_link_up(index)?;
    let wire = PacketWire {
        socket: PacketSocket::bind(index)?,
        captured: 0,
    };
    Ok((tun, wire))
}

/// What a stack that owns a TUN device tells about its timing, read at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineTiming {
    /// Packets the stack has written to its TUN device since it was made.
    pub tx_packets: u64,
    /// Time until its earliest timer (a delayed ACK included); `None` when none runs.
    pub next_timer: Option<Duration>,
}

/// A userspace stack running on a TUN device it owns (in its own thread or process): its
/// socket primitives, plus the counters that make the processing barrier and the proof of
/// silence exact.
pub trait TunEngine: Sockets {
    /// TCP packets read from the TUN device and fully processed since the stack was made.
    fn processed(&mut self) -> io::Result<u64>;

    /// Packets written so far and the earliest timer, read at one instant.
    fn timing(&mut self) -> io::Result<EngineTiming>;

    /// The stack's own counts of its defences ([`Stack::defence_counters`]).
    fn defence_counters(&mut self) -> DefenceCounters {
        DefenceCounters::default()
    }

    /// Where the stack's memory can be measured ([`Stack::footprint`]).
    fn footprint(&self) -> Option<Footprint> {
        None
    }
}

/// The replayer's `AF_PACKET` socket on a stack's TUN interface.
#[derive(Debug)]
pub struct PacketWire {
    socket: PacketSocket,
    /// Packets the stack wrote that [`PacketWire::capture`] has read.
    captured: u64,
}

impl PacketWire {
    /// Hand one IP packet to the stack (it reads it from its TUN fd).
    pub fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.socket.send(packet).map(|_| ())
    }

    /// The next packet the stack wrote, waiting up to `timeout`.
    pub fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.socket.recv_timeout(buf, left)? {
                Some((n, Direction::Incoming)) => {
                    self.captured += 1;
                    return Ok(Some(n));
                }
                // Sent out of the interface by the kernel itself (towards the stack).
                Some((_, Direction::Outgoing)) if !left.is_zero() => continue,
                _ => return Ok(None),
            }
        }
    }

    /// Packets of the stack read so far: once this equals the number the stack says it wrote,
    /// nothing it sent is still on its way.
    pub fn captured(&self) -> u64 {
        self.captured
    }
}

/// A [`TunEngine`] with the replayer's wire on its device: a [`Stack`].
#[derive(Debug)]
pub struct OnTun<E> {
    /// The stack.
    pub engine: E,
    /// The replayer's side of the stack's TUN device.
    pub wire: PacketWire,
}

impl<E: TunEngine> Sockets for OnTun<E> {
    fn name(&self) -> &str {
        self.engine.name()
    }
    fn timers(&self) -> &TimerProfile {
        self.engine.timers()
    }
    fn begin(&mut self, ends: Endpoints, options: &SocketOptions) -> io::Result<()> {
        self.engine.begin(ends, options)
    }
    fn connect(&mut self) -> Result<(), SockError> {
        self.engine.connect()
    }
    fn listen(&mut self) -> Result<(), SockError> {
        self.engine.listen()
    }
    fn accept(&mut self) -> Result<(), SockError> {
        self.engine.accept()
    }
    fn unlisten(&mut self) {
        self.engine.unlisten()
    }
    fn send(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.engine.send(data)
    }
    fn send_urgent(&mut self, data: &[u8]) -> Result<usize, SockError> {
        self.engine.send_urgent(data)
    }
    fn urgent(&mut self) -> Result<bool, SockError> {
        self.engine.urgent()
    }
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        self.engine.recv(buf)
    }
    fn shutdown(&mut self) -> Result<(), SockError> {
        self.engine.shutdown()
    }
    fn abort(&mut self) {
        self.engine.abort()
    }
    fn readable(&mut self) -> Result<Readable, SockError> {
        self.engine.readable()
    }
    fn take_error(&mut self) -> Option<SockError> {
        self.engine.take_error()
    }
    fn connected(&mut self) -> bool {
        self.engine.connected()
    }
    fn state(&mut self) -> io::Result<Option<TcpState>> {
        self.engine.state()
    }
    fn wait(&mut self, max: Duration) {
        self.engine.wait(max)
    }
    fn end(&mut self) {
        self.engine.end()
    }
}

impl<E: TunEngine> Stack for OnTun<E> {
    /// Nothing can happen before the stack's earliest timer once every packet injected has
    /// been processed by the stack (the replayer asks only then: the processing barrier) and
    /// every packet the stack wrote has been read by the replayer: the stack's own transmit
    /// counter against the wire's count, so the answer never depends on how fast the stack's
    /// thread or the kernel's softirq ran. While a packet is in flight the answer is `None`.
    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        let timing = self.engine.timing()?;
        if timing.tx_packets > self.wire.captured() {
            return Ok(None);
        }
        Ok(Some(timing.next_timer.unwrap_or(Duration::MAX)))
    }

    fn processed(&mut self) -> io::Result<u64> {
        self.engine.processed()
    }

    fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.wire.inject(packet)
    }

    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.wire.capture(buf, timeout)
    }

    fn defence_counters(&mut self) -> DefenceCounters {
        self.engine.defence_counters()
    }

    fn footprint(&self) -> Option<Footprint> {
        self.engine.footprint()
    }
}
