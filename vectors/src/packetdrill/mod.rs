//! Vectors as Linux packetdrill scripts (`tcpspec export --format packetdrill`).
//!
//! A vector that packetdrill can express becomes a `.pkt` script: the socket calls, `<` lines
//! for what the peer sends and `>` lines for what the target must send, with packetdrill's
//! relative sequence numbers (`irs+k` and `iss+k` become `k`), and `tcpi_state` assertions for
//! the states packetdrill can see through `TCP_INFO` on the socket under test. A vector it cannot
//! express is reported with a [`Reason`]. The translation goes through [`Event`]s: [`project`]
//! gives what a script can say of a vector, [`render`] writes it, and [`grammar::parse`] with
//! [`grammar::events`] reads a script back, so that a test can check the round trip.
//!
//! The mapping:
//! - active: `socket`, `fcntl(O_NONBLOCK)`, `connect` (`EINPROGRESS`); `connected`, `refused`
//!   and `timed_out` are `SO_ERROR` (0, `ECONNREFUSED`, `ETIMEDOUT`) on fd 3;
//! - passive: `socket`, `bind`, `listen` on fd 3, `accept` returns fd 4 (the listener is then
//!   closed unless `keep_listener`); `connected` is `SO_ERROR` 0 on fd 4;
//! - `send N` is `write(fd, ..., N) = N`, data and end-of-stream are `read(fd, ..., 1000)`
//!   returning N or 0, a reset is `read` failing with `ECONNRESET`; `close` is
//!   `shutdown(fd, SHUT_WR)`, `abort` is `SO_LINGER` 0 then `close(fd)`;
//! - a `timer` step makes the next `>` line's time `*` (any time); a `quiet` window is the time
//!   to the next line (at the end, a last `%{ pass }%` line): packetdrill reports an unexpected
//!   segment only when it differs from the next expected one, so a quiet window is weaker
//!   there than in the replayer;
//! - the socket under test's state is asserted with `%{ assert tcpi_state == TCP_... }%` except
//!   where `TCP_INFO` cannot show it: SYN-RECEIVED and ESTABLISHED on a listener before
//!   `accept` (the listener reports LISTEN), TIME-WAIT (Linux hands the connection to a
//!   timewait socket and the file descriptor's socket reports CLOSE), and anything after
//!   `abort` closed the descriptor.

pub mod grammar;

use crate::{AppEvent, Call, Flags, Role, SegmentPattern, SegmentSpec, SeqExpr, SeqVar};
use crate::{Step, TcpState, Vector};
use std::fmt::{self, Write};

/// Why a vector has no packetdrill script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// `one_of`, `expect_one_of` or `state_one_of`: a script states one behaviour.
    Alternatives,
    /// The vector makes no call: packetdrill drives a socket, and its relative numbers need one.
    NoSocket,
    /// A number is relative to the target's advertised window (`wnd`), which a script cannot
    /// name.
    WindowRelative,
    /// A number is neither `irs+k` in a segment sent nor `iss+k` in one expected (e.g. the stray
    /// acknowledgment 12345 before the target has an ISS).
    NotRelative,
    /// An expected segment leaves its sequence number open (a reopened connection's new ISS).
    OpenSequence,
    /// An expected segment constrains the window from below or names TCP options.
    WindowOrOptions,
    /// A timer's expiry shows in no segment (packetdrill's `*` time waits for a packet).
    TimerWithoutSegment,
    /// An application event or call with no socket to observe it on (before `accept`, or
    /// after `abort` closed the descriptor).
    NoConnectionSocket,
    /// A state held for a time while the target may retransmit (`stays`): a script states
    /// each segment and its time.
    StateHeld,
    /// Urgent data (a segment or `send` with an urgent pointer, or the application told of
    /// urgent data): this export writes no urgent pointers.
    UrgentData,
    /// An ICMP error sent to the target (`icmp`) or reported to its application: this export
    /// writes no `icmp` lines (they would quote the target's segment by its numbers).
    IcmpError,
}

impl Reason {
    /// Every reason, in the order reports list them.
    pub const ALL: [Reason; 11] = [
        Reason::Alternatives,
        Reason::NoSocket,
        Reason::WindowRelative,
        Reason::NotRelative,
        Reason::OpenSequence,
        Reason::WindowOrOptions,
        Reason::TimerWithoutSegment,
        Reason::NoConnectionSocket,
        Reason::StateHeld,
        Reason::UrgentData,
        Reason::IcmpError,
    ];

    /// A short name, e.g. `alternatives`.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Alternatives => "alternatives",
            Reason::NoSocket => "no-socket",
            Reason::WindowRelative => "window-relative",
            Reason::NotRelative => "not-relative",
            Reason::OpenSequence => "open-sequence",
            Reason::WindowOrOptions => "window-or-options",
            Reason::TimerWithoutSegment => "timer-without-segment",
            Reason::NoConnectionSocket => "no-connection-socket",
            Reason::StateHeld => "state-held",
            Reason::UrgentData => "urgent-data",
            Reason::IcmpError => "icmp-error",
        }
    }

    /// What the reason means, in a sentence.
    pub fn text(self) -> &'static str {
        match self {
            Reason::Alternatives => {
                "the RFCs allow several behaviours (`*_one_of`); a script states one"
            }
            Reason::NoSocket => "the vector makes no call: packetdrill needs a socket",
            Reason::WindowRelative => {
                "a number relative to the target's advertised window (`wnd`), which a script \
                 cannot name"
            }
            Reason::NotRelative => "a number relative to neither initial sequence number",
            Reason::OpenSequence => "an expected segment leaves its sequence number open",
            Reason::WindowOrOptions => {
                "an expected segment constrains the window from below or names options"
            }
            Reason::TimerWithoutSegment => "a timer whose expiry shows in no segment",
            Reason::NoConnectionSocket => {
                "an application event with no socket to observe it on (before accept or after \
                 abort)"
            }
            Reason::StateHeld => {
                "a state held for a time while any number of retransmissions may come (`stays`)"
            }
            Reason::UrgentData => {
                "urgent data (an urgent pointer sent or expected, `send_urgent`, `app: urgent`): \
                 the export writes no urgent pointers"
            }
            Reason::IcmpError => {
                "an ICMP error injected (`icmp`) or reported (`app: unreachable`): the export \
                 writes no `icmp` lines"
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where and why a vector cannot be a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotExpressible {
    /// Why.
    pub reason: Reason,
    /// The step (0-based) that cannot be expressed, if one step is to blame.
    pub step: Option<usize>,
}

/// What a script says, line by line: a vector as packetdrill sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The application's call.
    Call(Call),
    /// The peer sends (`<`): flags, relative sequence number, relative acknowledgment, length.
    In(Flags, u32, Option<u32>, u32),
    /// The target must send (`>`), likewise.
    Out(Flags, u32, Option<u32>, u32),
    /// What the application is told.
    App(AppEvent),
    /// The socket under test's state (only where `TCP_INFO` shows it).
    State(TcpState),
    /// A timer expires: the next segment may come at any time.
    Wait,
    /// Nothing may happen for this many milliseconds.
    Quiet(u64),
}

/// The descriptor of the listening socket (passive) or the connecting one (active).
pub const FIRST_FD: u32 = 3;
/// The descriptor `accept` returns.
pub const ACCEPTED_FD: u32 = 4;
/// The count `read` asks for when the application takes what arrived.
pub const READ_ALL: u32 = 1000;

fn relative(e: &SeqExpr, base: SeqVar, step: usize) -> Result<u32, NotExpressible> {
    let fail = |reason| NotExpressible {
        reason,
        step: Some(step),
    };
    if e.vars.contains(&SeqVar::Wnd) {
        return Err(fail(Reason::WindowRelative));
    }
    if e.vars != [base] {
        return Err(fail(Reason::NotRelative));
    }
    // Relative numbers are modulo 2^32, as packetdrill adds them to the ISN.
    Ok(e.offset as u32)
}

fn incoming(s: &SegmentSpec, step: usize) -> Result<Event, NotExpressible> {
    let seq = relative(&s.seq, SeqVar::Irs, step)?;
    let ack = match &s.ack {
        Some(a) => Some(relative(a, SeqVar::Iss, step)?),
        None => None,
    };
    Ok(Event::In(s.flags, seq, ack, s.len))
}

fn outgoing(p: &SegmentPattern, step: usize) -> Result<Event, NotExpressible> {
    let fail = |reason| NotExpressible {
        reason,
        step: Some(step),
    };
    if p.options.is_some() || matches!(p.window, Some(crate::WindowPattern::AtLeast(_))) {
        return Err(fail(Reason::WindowOrOptions));
    }
    if p.window.is_some() {
        return Err(fail(Reason::WindowOrOptions));
    }
    let seq = match &p.seq {
        Some(e) => relative(e, SeqVar::Iss, step)?,
        None => return Err(fail(Reason::OpenSequence)),
    };
    let ack = match &p.ack {
        Some(a) => Some(relative(a, SeqVar::Irs, step)?),
        None if p.flags.ack => return Err(fail(Reason::OpenSequence)),
        None => None,
    };
    Ok(Event::Out(p.flags, seq, ack, p.len))
}

/// What a script can say of `v`, or why it cannot.
pub fn project(v: &Vector) -> Result<Vec<Event>, NotExpressible> {
    if !v.steps.iter().any(|s| matches!(s, Step::Call(_))) {
        return Err(NotExpressible {
            reason: Reason::NoSocket,
            step: None,
        });
    }
    let mut out = Vec::new();
    // The socket under test: the connecting socket (active) or, once accepted, the connection
    // (passive); `None` before accept; closed after abort.
    let mut connection = v.role == Role::Active;
    let mut closed = false;
    let mut waiting = None;
    for (i, step) in v.steps.iter().enumerate() {
        let fail = |reason| NotExpressible {
            reason,
            step: Some(i),
        };
        if waiting.is_some() && !matches!(step, Step::Expect(_) | Step::Quiet(_)) {
            return Err(fail(Reason::TimerWithoutSegment));
        }
        match step {
            Step::Call(c) => {
                match c {
                    Call::SendUrgent(_) => return Err(fail(Reason::UrgentData)),
                    Call::Accept => connection = true,
                    Call::Connect | Call::Listen => {}
                    _ if !connection || closed => return Err(fail(Reason::NoConnectionSocket)),
                    Call::Abort => closed = true,
                    _ => {}
                }
                out.push(Event::Call(*c));
            }
            Step::Send(s) if s.urg.is_some() => return Err(fail(Reason::UrgentData)),
            Step::Expect(p) if p.urg.is_some() => return Err(fail(Reason::UrgentData)),
            Step::App(AppEvent::Urgent) => return Err(fail(Reason::UrgentData)),
            Step::App(AppEvent::Unreachable) | Step::Icmp(_) => {
                return Err(fail(Reason::IcmpError))
            }
            Step::Send(s) => out.push(incoming(s, i)?),
            Step::Expect(p) => {
                if waiting.take().is_some() {
                    out.push(Event::Wait);
                }
                out.push(outgoing(p, i)?);
            }
            Step::App(a) => {
                if !connection || closed {
                    return Err(fail(Reason::NoConnectionSocket));
                }
                out.push(Event::App(*a));
            }
            Step::State(s) => {
                let visible = match s {
                    TcpState::TimeWait => false,
                    TcpState::Listen => !connection,
                    _ => connection && !closed,
                };
                if visible {
                    out.push(Event::State(*s));
                }
            }
            Step::Timer(_) => waiting = Some(i),
            Step::Quiet(ms) | Step::Wait(ms) => out.push(Event::Quiet(ms.0)),
            Step::ExpectOneOf(_) | Step::StateOneOf(_) | Step::OneOf(_) => {
                return Err(fail(Reason::Alternatives))
            }
            Step::Stays(_) => return Err(fail(Reason::StateHeld)),
        }
    }
    if let Some(i) = waiting {
        return Err(NotExpressible {
            reason: Reason::TimerWithoutSegment,
            step: Some(i),
        });
    }
    Ok(out)
}

/// Packetdrill's flags: S, F, R, P (and U) as letters, `.` for ACK, `-` for none.
pub fn flags_text(f: Flags) -> String {
    let mut s = String::new();
    for (on, c) in [
        (f.syn, 'S'),
        (f.fin, 'F'),
        (f.rst, 'R'),
        (f.psh, 'P'),
        (f.urg, 'U'),
    ] {
        if on {
            s.push(c);
        }
    }
    if f.ack {
        s.push('.');
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

/// The `TCP_INFO` name of a state, as packetdrill's Python snippets know it.
pub fn tcpi_name(s: TcpState) -> &'static str {
    match s {
        TcpState::Closed => "TCP_CLOSE",
        TcpState::Listen => "TCP_LISTEN",
        TcpState::SynSent => "TCP_SYN_SENT",
        TcpState::SynReceived => "TCP_SYN_RECV",
        TcpState::Established => "TCP_ESTABLISHED",
        TcpState::FinWait1 => "TCP_FIN_WAIT1",
        TcpState::FinWait2 => "TCP_FIN_WAIT2",
        TcpState::CloseWait => "TCP_CLOSE_WAIT",
        TcpState::Closing => "TCP_CLOSING",
        TcpState::LastAck => "TCP_LAST_ACK",
        TcpState::TimeWait => "TCP_TIME_WAIT",
    }
}

/// The script for `v`, or why there is none.
pub fn to_script(v: &Vector) -> Result<String, NotExpressible> {
    let events = project(v)?;
    Ok(render(v, &events))
}

/// Write the script of `events` (from [`project`] of `v`).
pub fn render(v: &Vector, events: &[Event]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// {}: {}", v.id, v.covers.join(", "));
    if !v.description.is_empty() {
        let _ = writeln!(out, "// {}", v.description);
    }
    let _ = writeln!(
        out,
        "// Generated by `tcpspec export --format packetdrill` from vectors/{}.yaml: do not edit.",
        v.id
    );
    let mut lines: Vec<String> = Vec::new();
    let mut quiet: u64 = 0;
    let mut any_time = false;
    let mut first = true;
    let mut fd = FIRST_FD;
    let mut line = |lines: &mut Vec<String>, quiet: &mut u64, any_time: &mut bool, text: String| {
        let time = if *any_time {
            "*".to_string()
        } else if first {
            "0".to_string()
        } else if *quiet > 0 {
            format!("+{}.{:03}", *quiet / 1000, *quiet % 1000)
        } else {
            "+0".to_string()
        };
        first = false;
        *quiet = 0;
        *any_time = false;
        lines.push(format!("{time:>6} {text}"));
    };
    let setup = [
        "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3".to_string(),
        "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0".to_string(),
    ];
    for s in setup {
        line(&mut lines, &mut quiet, &mut any_time, s);
    }
    if let Some(k) = v.options.keepalive {
        for (opt, level, value) in [
            ("SO_KEEPALIVE", "SOL_SOCKET", 1),
            ("TCP_KEEPIDLE", "IPPROTO_TCP", k.idle_s),
            ("TCP_KEEPINTVL", "IPPROTO_TCP", k.interval_s),
            ("TCP_KEEPCNT", "IPPROTO_TCP", k.count),
        ] {
            line(
                &mut lines,
                &mut quiet,
                &mut any_time,
                format!("setsockopt(3, {level}, {opt}, [{value}], 4) = 0"),
            );
        }
    }
    for e in events {
        let texts: Vec<String> = match e {
            Event::Quiet(ms) => {
                quiet += ms;
                continue;
            }
            Event::Wait => {
                any_time = true;
                continue;
            }
            Event::Call(Call::Connect) => vec![
                "fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0".into(),
                "connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)".into(),
            ],
            Event::Call(Call::Listen) => {
                vec!["bind(3, ..., ...) = 0".into(), "listen(3, 1) = 0".into()]
            }
            Event::Call(Call::Accept) => {
                fd = ACCEPTED_FD;
                let mut t = vec![format!("accept(3, ..., ...) = {ACCEPTED_FD}")];
                if !v.options.keep_listener {
                    t.push("close(3) = 0".into());
                }
                t
            }
            Event::Call(Call::Send(n)) => vec![format!("write({fd}, ..., {n}) = {n}")],
            // Not projected (`Reason::UrgentData`); written as packetdrill would say it.
            Event::Call(Call::SendUrgent(n)) => {
                vec![format!("send({fd}, ..., {n}, MSG_OOB) = {n}")]
            }
            Event::Call(Call::Receive(n)) => vec![format!("read({fd}, ..., {n}) = {n}")],
            Event::Call(Call::Close) => vec![format!("shutdown({fd}, SHUT_WR) = 0")],
            Event::Call(Call::Abort) => vec![
                format!("setsockopt({fd}, SOL_SOCKET, SO_LINGER, {{onoff=1, linger=0}}, 8) = 0"),
                format!("close({fd}) = 0"),
            ],
            Event::In(flags, seq, ack, len) => {
                let mut t = format!(
                    "< {} {seq}:{}({len})",
                    flags_text(*flags),
                    seq.wrapping_add(*len)
                );
                if let Some(a) = ack {
                    let _ = write!(t, " ack {a}");
                }
                t.push_str(" win 65535");
                if flags.syn {
                    t.push_str(" <mss 1460>");
                }
                vec![t]
            }
            Event::Out(flags, seq, ack, len) => {
                let mut t = format!(
                    "> {} {seq}:{}({len})",
                    flags_text(*flags),
                    seq.wrapping_add(*len)
                );
                if let Some(a) = ack {
                    let _ = write!(t, " ack {a}");
                }
                if flags.syn {
                    t.push_str(" <...>");
                }
                vec![t]
            }
            Event::App(a) => vec![match a {
                AppEvent::Connected => {
                    format!("getsockopt({fd}, SOL_SOCKET, SO_ERROR, [0], [4]) = 0")
                }
                AppEvent::Refused => {
                    format!("getsockopt({fd}, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0")
                }
                AppEvent::TimedOut => {
                    format!("getsockopt({fd}, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0")
                }
                AppEvent::Data(n) => format!("read({fd}, ..., {READ_ALL}) = {n}"),
                AppEvent::EndOfStream => format!("read({fd}, ..., {READ_ALL}) = 0"),
                AppEvent::Reset => format!(
                    "read({fd}, ..., {READ_ALL}) = -1 ECONNRESET (Connection reset by peer)"
                ),
                // Not projected (`Reason::UrgentData`, `Reason::IcmpError`); written as
                // packetdrill would say them.
                AppEvent::Urgent => {
                    format!("poll([{{fd={fd}, events=POLLPRI, revents=POLLPRI}}], 1, 0) = 1")
                }
                AppEvent::Unreachable => {
                    format!("getsockopt({fd}, SOL_SOCKET, SO_ERROR, [EHOSTUNREACH], [4]) = 0")
                }
            }],
            Event::State(s) => vec![format!(
                "%{{ assert tcpi_state == {}, tcpi_state }}%",
                tcpi_name(*s)
            )],
        };
        for t in texts {
            line(&mut lines, &mut quiet, &mut any_time, t);
        }
    }
    if quiet > 0 {
        line(&mut lines, &mut quiet, &mut any_time, "%{ pass }%".into());
    }
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Every vector below a folder, as scripts or with the reason there is none.
#[derive(Debug, Default)]
pub struct Export {
    /// Each exported vector's id and script, sorted by id.
    pub scripts: Vec<(String, String)>,
    /// Each vector not exported, with why, sorted by id.
    pub not_exported: Vec<(String, NotExpressible)>,
}

impl Export {
    /// How many vectors were not exported for each reason (every reason, zeros included).
    pub fn by_reason(&self) -> Vec<(Reason, usize)> {
        Reason::ALL
            .iter()
            .map(|r| {
                let n = self
                    .not_exported
                    .iter()
                    .filter(|(_, e)| e.reason == *r)
                    .count();
                (*r, n)
            })
            .collect()
    }
}

/// Read every vector below `dir` (see [`crate::path::yaml_files`]) and export each.
pub fn export_dir(dir: &std::path::Path) -> Result<Export, String> {
    let mut export = Export::default();
    let files = crate::path::yaml_files(dir).map_err(|e| format!("reading vectors: {e}"))?;
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let v = Vector::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        match to_script(&v) {
            Ok(script) => export.scripts.push((v.id, script)),
            Err(why) => export.not_exported.push((v.id, why)),
        }
    }
    export.scripts.sort();
    export.not_exported.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_written_as_packetdrill_writes_them() {
        let f = |s: &str| flags_text(s.parse().expect("flags"));
        assert_eq!(f("SA"), "S.");
        assert_eq!(f("FA"), "F.");
        assert_eq!(f("F"), "F");
        assert_eq!(f("A"), ".");
        assert_eq!(f("RA"), "R.");
        assert_eq!(f("SF"), "SF");
        assert_eq!(f("."), "-");
    }
}
