//! A minimal netlink socket (netlink(7)): hand-written messages, acks and dumps.
//!
//! Used for rtnetlink here and for `NETLINK_SOCK_DIAG` by the conformance replayer. Messages
//! are built in host byte order, as netlink requires.

use crate::Error;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLMSG_ERROR`: an error (or, with error 0, an acknowledgment).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multipart reply.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`: ask for an acknowledgment.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_EXCL`.
pub const NLM_F_EXCL: u16 = 0x200;
/// `NLM_F_CREATE`.
pub const NLM_F_CREATE: u16 = 0x400;

/// Round up to netlink's 4-byte alignment.
pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A netlink message being built: a fixed header struct followed by attributes.
#[derive(Clone, Debug, Default)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

impl MessageBuilder {
    /// A message whose payload starts with the bytes of a fixed header (e.g. `ifaddrmsg`).
    pub fn new(fixed: &[u8]) -> Self {
        let mut buf = fixed.to_vec();
        buf.resize(align4(buf.len()), 0);
        MessageBuilder {
            buf,
            nests: Vec::new(),
        }
    }

    /// Append an attribute (`struct rtattr` / `struct nlattr`: u16 length, u16 type, data).
    pub fn attr(&mut self, kind: u16, data: &[u8]) -> &mut Self {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Append a `u32` attribute.
    pub fn attr_u32(&mut self, kind: u16, value: u32) -> &mut Self {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// Open a nested attribute; close it with [`MessageBuilder::end_nest`].
    pub fn begin_nest(&mut self, kind: u16) -> &mut Self {
        self.nests.push(self.buf.len());
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self
    }

    /// Close the innermost nested attribute.
    pub fn end_nest(&mut self) -> &mut Self {
        if let Some(start) = self.nests.pop() {
            let len = (self.buf.len() - start) as u16;
            self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// The payload bytes (everything after `nlmsghdr`).
    pub fn payload(&self) -> &[u8] {
        &self.buf
    }
}

/// One message of a reply: its type, flags and payload (after `nlmsghdr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `nlmsg_type`.
    pub kind: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// The payload.
    pub payload: Vec<u8>,
}

/// An open netlink socket of one protocol (`NETLINK_ROUTE`, `NETLINK_SOCK_DIAG`, ...), bound
/// in the namespace of the thread that opened it. Closed on drop.
#[derive(Debug)]
pub struct NetlinkSocket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl NetlinkSocket {
    /// Open and bind a netlink socket of `protocol` (e.g. `libc::NETLINK_ROUTE`).
    pub fn open(protocol: libc::c_int) -> Result<Self, Error> {
        // SAFETY: plain socket(2) call; the fd is owned right away.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if raw < 0 {
            return Err(Error::last_os(format!(
                "open netlink socket (protocol {protocol})"
            )));
        }
        // SAFETY: raw is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; zero is a valid value (pid 0: kernel assigns).
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: addr is a valid sockaddr_nl of the given size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &addr as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(Error::last_os(format!(
                "bind netlink socket (protocol {protocol})"
            )));
        }
        Ok(NetlinkSocket {
            fd,
            seq: 1,
            buf: vec![0; 1 << 16],
        })
    }

    fn send(&mut self, op: &str, kind: u16, flags: u16, payload: &[u8]) -> Result<u32, Error> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let len = NLMSG_HDRLEN + payload.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as u32).to_ne_bytes());
        msg.extend_from_slice(&kind.to_ne_bytes());
        msg.extend_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        msg.extend_from_slice(&seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(payload);
        // SAFETY: msg is a valid buffer of msg.len() bytes.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if n < 0 {
            return Err(Error::last_os(format!("{op}: send netlink request")));
        }
        Ok(seq)
    }

    /// Receive messages answering `seq`, calling `each` for every one until `done` says so.
    fn receive(
        &mut self,
        op: &str,
        seq: u32,
        mut each: impl FnMut(Message) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        loop {
            // SAFETY: buf is a valid writable buffer of buf.len() bytes.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::new(format!("{op}: receive netlink reply"), e));
            }
            let data = &self.buf[..n as usize];
            let mut off = 0;
            let mut messages = Vec::new();
            while off + NLMSG_HDRLEN <= data.len() {
                let len =
                    u32::from_ne_bytes([data[off], data[off + 1], data[off + 2], data[off + 3]])
                        as usize;
                if len < NLMSG_HDRLEN || off + len > data.len() {
                    return Err(Error::new(
                        format!("{op}: parse netlink reply"),
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("bad message length {len}"),
                        ),
                    ));
                }
                let kind = u16::from_ne_bytes([data[off + 4], data[off + 5]]);
                let flags = u16::from_ne_bytes([data[off + 6], data[off + 7]]);
                let mseq = u32::from_ne_bytes([
                    data[off + 8],
                    data[off + 9],
                    data[off + 10],
                    data[off + 11],
                ]);
                if mseq == seq {
                    messages.push(Message {
                        kind,
                        flags,
                        payload: data[off + NLMSG_HDRLEN..off + len].to_vec(),
                    });
                }
                off += align4(len);
            }
            for m in messages {
                if m.kind == NLMSG_ERROR {
                    let code = m
                        .payload
                        .get(..4)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(-libc::EBADMSG);
                    if code != 0 {
                        return Err(Error::new(
                            op.to_string(),
                            io::Error::from_raw_os_error(-code),
                        ));
                    }
                    return Ok(());
                }
                if m.kind == NLMSG_DONE {
                    return Ok(());
                }
                if each(m)? {
                    return Ok(());
                }
            }
        }
    }

    /// Send a request with `NLM_F_ACK` and wait for its acknowledgment. A negative ack becomes
    /// an [`Error`] whose operation is `op` (e.g. `set MTU 1500 on ifindex 3`).
    pub fn request_ack(
        &mut self,
        op: &str,
        kind: u16,
        flags: u16,
        payload: &[u8],
    ) -> Result<(), Error> {
        let seq = self.send(op, kind, flags | NLM_F_ACK, payload)?;
        self.receive(op, seq, |_| Ok(false))
    }

    /// Send a request without `NLM_F_DUMP` and return its single reply message; a negative
    /// `NLMSG_ERROR` becomes an [`Error`] whose operation is `op` (e.g. `ENOENT` from a
    /// sock_diag lookup of a socket that does not exist).
    pub fn request_one(&mut self, op: &str, kind: u16, payload: &[u8]) -> Result<Message, Error> {
        let seq = self.send(op, kind, 0, payload)?;
        let mut reply = None;
        self.receive(op, seq, |m| {
            reply = Some(m);
            Ok(true)
        })?;
        reply.ok_or_else(|| {
            Error::new(
                format!("{op}: no reply"),
                io::Error::from(io::ErrorKind::UnexpectedEof),
            )
        })
    }

    /// Send a dump request (`NLM_F_DUMP`) and collect every reply message until `NLMSG_DONE`.
    pub fn dump(&mut self, op: &str, kind: u16, payload: &[u8]) -> Result<Vec<Message>, Error> {
        let seq = self.send(op, kind, NLM_F_DUMP, payload)?;
        let mut out = Vec::new();
        self.receive(op, seq, |m| {
            out.push(m);
            Ok(false)
        })?;
        Ok(out)
    }
}

impl AsFd for NetlinkSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for NetlinkSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Iterate over the attributes (`u16` length, `u16` type, data) in `data`.
pub fn attributes(data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut off = 0;
    std::iter::from_fn(move || {
        if off + 4 > data.len() {
            return None;
        }
        let len = u16::from_ne_bytes([data[off], data[off + 1]]) as usize;
        let kind = u16::from_ne_bytes([data[off + 2], data[off + 3]]);
        if len < 4 || off + len > data.len() {
            return None;
        }
        let value = &data[off + 4..off + len];
        off += align4(len);
        Some((kind & 0x3fff, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_aligns_and_nests() {
        let mut b = MessageBuilder::new(&[1, 2, 3]);
        b.attr(7, &[9]).begin_nest(8).attr_u32(1, 5).end_nest();
        let p = b.payload();
        assert_eq!(&p[..4], &[1, 2, 3, 0]);
        let attrs: Vec<_> = attributes(&p[4..]).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0], (7, &[9u8][..]));
        assert_eq!(attrs[1].0, 8);
        let inner: Vec<_> = attributes(attrs[1].1).collect();
        assert_eq!(inner, vec![(1, &5u32.to_ne_bytes()[..])]);
    }
}
