//! Private network namespaces and TUN devices for tests, configured through rtnetlink.
//!
//! Everything here is plain `libc`: no `ip` subprocesses, no daemons. The usual shape is
//!
//! ```no_run
//! use tcp_netlab::{run_in_private_netns, Rtnetlink, Tun};
//! let answer = run_in_private_netns(|| {
//!     let tun = Tun::create("lab%d")?;
//!     let mut rt = Rtnetlink::open()?;
//!     rt.set_mtu(tun.index(), 1500)?;
//!     rt.add_address(tun.index(), "192.0.2.1".parse().unwrap(), 24)?;
//!     rt.add_address(tun.index(), "2001:db8::1".parse().unwrap(), 64)?;
//!     rt.set_link_up(tun.index())?;
//!     rt.wait_addresses_ready(tun.index(), std::time::Duration::from_secs(2))?;
//!     // ... kernel sockets created on this thread now talk to the TUN fd ...
//!     Ok::<_, tcp_netlab::Error>(tun.name().to_string())
//! });
//! ```
//!
//! Teardown is automatic: a namespace made by [`enter_private_netns`] belongs to its thread and
//! to the file descriptors opened in it; when the thread has exited and the last such fd is
//! closed (every type here closes its fd on drop), the kernel destroys the namespace and the
//! TUN device with it. Nothing is ever mounted or named in the host, so even a killed process
//! leaves nothing behind.

mod error;
pub mod netlink;
mod netns;
mod packet;
mod rtnetlink;
mod tun;

pub use error::Error;
pub use netns::{enter_private_netns, run_in_private_netns, spawn_in_private_netns};
pub use packet::{Direction, PacketSocket};
pub use rtnetlink::{LinkStats, Rtnetlink, IFA_F_TENTATIVE};
pub use tun::Tun;
