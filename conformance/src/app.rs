//! The application every target shares: a sockets program that makes the vector's calls on a
//! [`Stack`] and watches what it is told.
//!
//! What an application does on top of the socket primitives is the same for every stack, so
//! it lives here once:
//!
//! - a `send` or `close` a blocking application would wait in is finished as soon as it can
//!   be: `send` before the connection is established or accepted keeps its bytes and sends
//!   them then (RFC 9293 3.10.2 queues them); `close` behind pending data, or on a passive
//!   connection still in SYN-RECEIVED, is applied once the connection is accepted and the data
//!   sent (3.10.4: CLOSE in SYN-RECEIVED sends FIN once possible);
//! - `accept` is retried whenever the connection is needed;
//! - once the connection is accepted the listener is closed: RFC 9293's passive OPEN is one
//!   TCB that becomes the connection (3.10.7.2), so a later SYN meets a closed port as the
//!   model expects; with `options.keep_listener` the listener stays (RFC 1122 4.2.2.13 needs
//!   it to reopen a connection in TIME-WAIT);
//! - the errors the application is told (reset, refused, timed out, `EPIPE`), by a failed
//!   call or by the stack, are kept until an `app` step matches them;
//! - the application events: `connected`, `data n` (the bytes are then read, as the model's
//!   application does), `end_of_stream` (taken, as RECEIVE returns it), `urgent` (urgent
//!   data signalled, RFC 9293 3.8.5), the errors (`unreachable` for a reported ICMP error);
//! - a connection the stack no longer has is in LISTEN while the application listens and has
//!   accepted nothing (RFC 9293 3.10.7.3: a passively opened connection returns to LISTEN),
//!   otherwise CLOSED.

use crate::stack::{SockError, Stack};
use crate::target::{AppCheck, CallOutcome, Endpoints, Target};
use crate::timing::TimerProfile;
use std::io;
use std::time::{Duration, Instant};
use tcp_vectors::{AppEvent, Call, Role, SocketOptions, TcpState};

/// The application layer over a stack: implements the replayer's [`Target`].
#[derive(Debug)]
pub struct App<S> {
    stack: S,
    /// Replays started so far (sets each replay's ports).
    counter: u32,
    ends: Option<Endpoints>,
    role: Role,
    /// `options.keep_listener`: the listening socket stays open after `accept()`.
    keep_listener: bool,
    /// The application has a listening socket.
    listening: bool,
    /// The application has a connection (made by `connect` or taken by `accept`).
    conn: bool,
    /// `accept` returned the connection during this replay.
    accepted: bool,
    /// An error the application has been told and no `app` step has matched yet.
    app_error: Option<SockError>,
    /// Bytes of a `send` a blocking application would still be waiting in.
    pending_send: u32,
    /// A `close` waiting for the pending send or for the connection to be accepted.
    deferred_close: bool,
    /// `options.receive_buffer`: the application does not read what arrives.
    stalled: bool,
    /// Bytes a stalled application has been told of and left unread.
    unread: usize,
}

impl<S: Stack> App<S> {
    /// The application over `stack`.
    pub fn over(stack: S) -> Self {
        App {
            stack,
            counter: 0,
            ends: None,
            role: Role::Active,
            keep_listener: false,
            listening: false,
            conn: false,
            accepted: false,
            app_error: None,
            pending_send: 0,
            deferred_close: false,
            stalled: false,
            unread: 0,
        }
    }

    /// The stack under the application.
    pub fn stack(&mut self) -> &mut S {
        &mut self.stack
    }

    /// The stack, without the application (`tcpspec attack` drives the socket primitives
    /// itself).
    pub fn into_stack(self) -> S {
        self.stack
    }

    /// Whether a blocked call is still to be finished.
    fn blocked(&self) -> bool {
        self.pending_send > 0 || self.deferred_close
    }

    /// Take an established connection from the listener, if there is one, and close the
    /// listener unless the vector keeps it.
    fn try_accept(&mut self) {
        if self.conn || self.role != Role::Passive || !self.listening {
            return;
        }
        if self.stack.accept().is_ok() {
            self.conn = true;
            self.accepted = true;
            if !self.keep_listener {
                self.stack.unlisten();
                self.listening = false;
            }
        }
    }

    /// Keep an error the application would see as an event, for the next `app` step.
    fn note_error(&mut self, e: &SockError) {
        if e.is_event() {
            self.app_error = Some(e.clone());
        }
    }

    fn failed(&mut self, what: &str, e: SockError) -> CallOutcome {
        self.note_error(&e);
        CallOutcome::Failed(format!("{what}: {e}"))
    }

    /// Whether the stack has a connection for this replay that the application has not
    /// accepted yet (a blocking call waits for it).
    fn unaccepted_connection(&mut self) -> bool {
        !self.conn && self.role == Role::Passive && matches!(self.stack.state(), Ok(Some(_)))
    }

    /// Finish blocked calls that can now complete: accept, send the pending bytes, then the
    /// deferred close.
    fn settle(&mut self) {
        if !self.blocked() {
            return;
        }
        self.try_accept();
        if !self.conn {
            return;
        }
        if self.pending_send > 0 {
            let data = crate::segment::payload_pattern(self.pending_send);
            match self.stack.send(&data) {
                Ok(sent) => self.pending_send -= (sent as u32).min(self.pending_send),
                Err(SockError::WouldBlock) => return,
                Err(e) => {
                    self.note_error(&e);
                    self.pending_send = 0;
                }
            }
        }
        if self.pending_send == 0 && self.deferred_close {
            self.deferred_close = false;
            if let Err(e) = self.stack.shutdown() {
                self.note_error(&e);
            }
        }
    }

    fn send(&mut self, n: u32) -> CallOutcome {
        self.settle();
        self.try_accept();
        if !self.conn {
            if self.unaccepted_connection() {
                self.pending_send += n;
                return CallOutcome::Blocked(
                    "send waits until the connection can be accepted".into(),
                );
            }
            return CallOutcome::Failed("send: no connection".into());
        }
        if self.pending_send > 0 {
            self.pending_send += n;
            return CallOutcome::Blocked("send waits behind earlier data".into());
        }
        let data = crate::segment::payload_pattern(n);
        match self.stack.send(&data) {
            Ok(sent) if sent as u32 >= n => CallOutcome::Sent(n),
            Ok(sent) => {
                self.pending_send = n - sent as u32;
                CallOutcome::Blocked(format!("send took {sent} bytes and waits for the rest"))
            }
            Err(SockError::WouldBlock) => {
                self.pending_send = n;
                CallOutcome::Blocked(if self.stack.connected() {
                    "send waits for buffer space".into()
                } else {
                    "send waits for the connection".into()
                })
            }
            Err(e) => self.failed("send", e),
        }
    }

    /// SEND with the URGENT flag on an established connection: all or nothing (the vectors
    /// send a few octets; a stack that takes fewer fails the call).
    fn send_urgent(&mut self, n: u32) -> CallOutcome {
        self.settle();
        self.try_accept();
        if !self.conn || self.blocked() {
            return CallOutcome::Failed("send urgent: no established connection to send on".into());
        }
        let data = crate::segment::payload_pattern(n);
        match self.stack.send_urgent(&data) {
            Ok(sent) if sent as u32 >= n => CallOutcome::Sent(n),
            Ok(sent) => CallOutcome::Failed(format!("send urgent took {sent} of {n} bytes")),
            Err(e) => self.failed("send urgent", e),
        }
    }

    fn close_call(&mut self) -> CallOutcome {
        self.settle();
        self.try_accept();
        if self.conn && self.pending_send > 0 {
            self.deferred_close = true;
            return CallOutcome::Blocked("close waits for the pending send".into());
        }
        if self.unaccepted_connection() {
            self.deferred_close = true;
            return CallOutcome::Blocked("close waits until the connection can be accepted".into());
        }
        if self.conn {
            match self.stack.shutdown() {
                Ok(()) => CallOutcome::Done,
                Err(e) => self.failed("shutdown(SHUT_WR)", e),
            }
        } else {
            // CLOSE in LISTEN (or before anything was accepted): close the listener.
            if self.listening {
                self.stack.unlisten();
                self.listening = false;
            }
            CallOutcome::Done
        }
    }

    /// Check once whether the application observes `event`; `Err` says what it sees instead.
    fn app_once(&mut self, event: AppEvent) -> Result<(), String> {
        self.try_accept();
        if !self.conn {
            return Err("the application has no connection (accept() would block)".into());
        }
        if let Some(e) = self.stack.take_error() {
            self.note_error(&e);
            if self.app_error.as_ref() != Some(&e) {
                return Err(format!("socket error {e}"));
            }
        }
        let want_error = match event {
            AppEvent::Reset => Some(SockError::Reset),
            AppEvent::Refused => Some(SockError::Refused),
            AppEvent::TimedOut => Some(SockError::TimedOut),
            AppEvent::Unreachable => Some(SockError::Unreachable),
            _ => None,
        };
        if let Some(want) = want_error {
            return match self.app_error.take() {
                Some(e) if e == want => Ok(()),
                Some(e) => {
                    let message = format!("error {e} instead of {want}");
                    self.app_error = Some(e);
                    Err(message)
                }
                None => Err("no error".into()),
            };
        }
        match event {
            AppEvent::Connected => match &self.app_error {
                Some(e) => Err(format!("error {e}")),
                None if self.stack.connected() => Ok(()),
                None => Err("not connected (the connection is not established)".into()),
            },
            AppEvent::Data(n) => {
                let readable = self
                    .stack
                    .readable()
                    .map_err(|e| format!("readable: {e}"))?;
                if self.stalled {
                    // An application that does not read: the data piles up.
                    let want = self.unread + n as usize;
                    if readable.bytes != want {
                        return Err(format!(
                            "{} bytes readable, {} of them unread before",
                            readable.bytes, self.unread
                        ));
                    }
                    self.unread = want;
                    return Ok(());
                }
                if readable.bytes != n as usize {
                    return Err(format!("{} bytes readable", readable.bytes));
                }
                // The application reads what it was given, as the model's application does: a
                // later end of stream is then the next thing RECEIVE returns.
                let mut buf = vec![0u8; n as usize];
                match self.stack.recv(&mut buf) {
                    Ok(got) if got == n as usize => Ok(()),
                    Ok(got) => Err(format!("{n} bytes readable, but recv returned {got}")),
                    Err(e) => Err(format!("{n} bytes readable, but recv failed: {e}")),
                }
            }
            AppEvent::EndOfStream => match self.stack.readable() {
                // A stalled application has not read what came before the FIN, so RECEIVE
                // cannot return the end of stream yet: the connection's state shows that the
                // FIN arrived (RFC 9293 3.10.7.4, eighth).
                Ok(r) if self.stalled && r.bytes == self.unread && r.bytes > 0 => {
                    match self.stack.state() {
                        Ok(Some(
                            TcpState::CloseWait
                            | TcpState::LastAck
                            | TcpState::Closing
                            | TcpState::TimeWait,
                        )) => Ok(()),
                        Ok(other) => Err(format!(
                            "{} unread bytes and no FIN (state {other:?})",
                            r.bytes
                        )),
                        Err(e) => Err(format!("state: {e}")),
                    }
                }
                Ok(r) if r.bytes > 0 => Err("unread data before any end of stream".into()),
                Ok(r) if r.eof => {
                    // The application takes the end of stream, as the model's RECEIVE returns
                    // it: the stack's receive queue is empty again, as after `data n`.
                    let _ = self.stack.recv(&mut [0u8; 1]);
                    Ok(())
                }
                Ok(_) => Err("no end of stream (recv would block)".into()),
                Err(e) => {
                    self.note_error(&e);
                    Err(format!("recv error {e}"))
                }
            },
            AppEvent::Urgent => match self.stack.urgent() {
                Ok(true) => Ok(()),
                Ok(false) => Err("no urgent data signalled".into()),
                Err(e) => Err(format!("urgent: {e}")),
            },
            AppEvent::Reset | AppEvent::Refused | AppEvent::TimedOut | AppEvent::Unreachable => {
                Err("unreachable".into())
            }
        }
    }
}

impl<S: Stack> Target for App<S> {
    fn name(&self) -> &str {
        self.stack.name()
    }

    fn timers(&self) -> &TimerProfile {
        self.stack.timers()
    }

    fn endpoints(&mut self, ipv6: bool) -> Endpoints {
        self.counter = self.counter.wrapping_add(1);
        crate::target::nth_endpoints(self.counter, ipv6)
    }

    fn open(&mut self, ends: Endpoints, role: Role, options: &SocketOptions) -> io::Result<()> {
        self.close();
        self.stack.begin(ends, options)?;
        self.ends = Some(ends);
        self.role = role;
        self.keep_listener = options.keep_listener;
        self.stalled = options.receive_buffer.is_some();
        self.unread = 0;
        Ok(())
    }

    fn call(&mut self, call: Call) -> io::Result<CallOutcome> {
        if self.ends.is_none() {
            return Err(io::Error::other("call before open"));
        }
        Ok(match call {
            Call::Connect => {
                // Active OPEN on an endpoint that is not listening and has no connection
                // (RFC 9293 3.10.1), whichever role the vector's first call suggests.
                if self.conn || self.listening {
                    return Ok(CallOutcome::Failed("connect: EISCONN".into()));
                }
                self.role = Role::Active;
                match self.stack.connect() {
                    Ok(()) => {
                        self.conn = true;
                        CallOutcome::Done
                    }
                    Err(e) => self.failed("connect", e),
                }
            }
            Call::Listen => {
                if self.conn || self.listening {
                    return Ok(CallOutcome::Failed("listen: EINVAL".into()));
                }
                self.role = Role::Passive;
                match self.stack.listen() {
                    Ok(()) => {
                        self.listening = true;
                        CallOutcome::Done
                    }
                    Err(e) => self.failed("listen", e),
                }
            }
            Call::Accept => {
                self.try_accept();
                CallOutcome::Done
            }
            Call::Send(n) => self.send(n),
            Call::SendUrgent(n) => self.send_urgent(n),
            Call::Receive(n) => {
                self.try_accept();
                if !self.conn {
                    return Ok(CallOutcome::Failed("recv: no connection".into()));
                }
                let mut buf = vec![0u8; n as usize];
                match self.stack.recv(&mut buf) {
                    Ok(k) => {
                        self.unread = self.unread.saturating_sub(k);
                        CallOutcome::Received(k as u32)
                    }
                    Err(e) => self.failed("recv", e),
                }
            }
            Call::Close => self.close_call(),
            Call::Abort => {
                self.try_accept();
                if self.conn {
                    self.stack.abort();
                    self.conn = false;
                } else if self.listening {
                    self.stack.unlisten();
                    self.listening = false;
                }
                CallOutcome::Done
            }
        })
    }

    fn check_app(&mut self, event: AppEvent, wait: Duration) -> io::Result<AppCheck> {
        let deadline = Instant::now() + wait;
        loop {
            self.settle();
            match self.app_once(event) {
                Ok(()) => return Ok(AppCheck::Seen),
                Err(saw) => {
                    let now = Instant::now();
                    if now >= deadline || crate::interrupt::interrupted() {
                        return Ok(AppCheck::NotSeen(saw));
                    }
                    self.stack
                        .wait((deadline - now).min(Duration::from_millis(2)));
                }
            }
        }
    }

    fn state(&mut self) -> io::Result<TcpState> {
        self.settle();
        if self.ends.is_none() {
            return Err(io::Error::other("state before open"));
        }
        if let Some(s) = self.stack.state()? {
            return Ok(s);
        }
        // No connection: a passive endpoint whose application accepted nothing yet is its
        // listener (RFC 9293 3.10.7.3: a passively opened connection returns to LISTEN).
        if self.role == Role::Passive && !self.accepted && self.listening {
            Ok(TcpState::Listen)
        } else {
            Ok(TcpState::Closed)
        }
    }

    fn silent_for(&mut self) -> io::Result<Option<Duration>> {
        if self.blocked() {
            return Ok(None); // the application itself is about to act
        }
        self.stack.silent_for()
    }

    fn inject(&mut self, packet: &[u8]) -> io::Result<()> {
        self.stack.inject(packet)
    }

    fn processed(&mut self) -> io::Result<u64> {
        self.stack.processed()
    }

    fn capture(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.settle();
        let slice = if self.blocked() {
            timeout.min(Duration::from_millis(1))
        } else {
            timeout
        };
        self.stack.capture(buf, slice)
    }

    fn close(&mut self) {
        self.stack.end();
        self.ends = None;
        self.conn = false;
        self.listening = false;
        self.accepted = false;
        self.keep_listener = false;
        self.app_error = None;
        self.pending_send = 0;
        self.deferred_close = false;
    }
}
