//! A reader of the packetdrill scripts [`super::render`] writes, following packetdrill's own
//! grammar (its `lexer.l` and `parser.y`) for the constructs they use: `event_time action`
//! lines, where a time is `0`, `+0.050` or `*`, and an action a TCP packet (`<`/`>` flags
//! `start:end(len)` [`ack N`] [`win N`] [`<options>` | `<...>`]), a system call
//! (`name(args) = value [ERRNO (note)]`, with packetdrill's expressions: `...`, integers,
//! symbols, `A|B`, `[..]`, `{onoff=.., linger=..}`), or a `%{ python }%` snippet; comments are
//! `//` and `/* */`. System calls and symbols must be ones packetdrill knows on Linux. Then
//! [`events`] turns a parsed script back into [`Event`]s for the round trip.

use super::{Event, ACCEPTED_FD, FIRST_FD, READ_ALL};
use crate::{AppEvent, Call, Flags, TcpState};

/// A token of packetdrill's lexer.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Word(String),
    Ellipsis,
    Code(String),
    Char(char),
}

/// A syntax error, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrammarError {
    /// The line of the script.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for GrammarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// When an event happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Time {
    /// Seconds after the previous event (`+0.050`).
    Relative(f64),
    /// Seconds since the script's start (`0`).
    Absolute(f64),
    /// Any time (`*`).
    Any,
}

/// A packetdrill expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `...`
    Ellipsis,
    /// An integer.
    Int(i64),
    /// A symbol, e.g. `SOL_SOCKET`.
    Symbol(String),
    /// `A|B`.
    Or(Box<Expr>, Box<Expr>),
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `{onoff=1, linger=0}`.
    Linger(i64, i64),
}

/// One event's action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A TCP packet: inbound (`<`) or not, flags, start, end, length, ack, window, options
    /// given (`<...>` or a list).
    Packet {
        /// `<`: the script injects it.
        inbound: bool,
        /// Flags.
        flags: Flags,
        /// Relative start sequence number.
        start: u32,
        /// Relative end.
        end: u32,
        /// Payload length.
        len: u32,
        /// Relative acknowledgment.
        ack: Option<u32>,
        /// Window.
        win: Option<u32>,
    },
    /// A system call, its arguments, its result and errno.
    Syscall {
        /// The call's name.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// What it returns.
        result: Expr,
        /// The errno it sets, with packetdrill's note.
        errno: Option<String>,
    },
    /// A `%{ ... }%` Python snippet.
    Code(String),
}

/// A parsed script.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// Its events, with their lines.
    pub events: Vec<(usize, Time, Action)>,
}

/// System calls packetdrill implements on Linux that these scripts use.
const SYSCALLS: [&str; 12] = [
    "socket",
    "setsockopt",
    "getsockopt",
    "fcntl",
    "connect",
    "bind",
    "listen",
    "accept",
    "write",
    "read",
    "shutdown",
    "close",
];

/// Symbols from packetdrill's Linux symbol table (`symbols_linux.c`) that these scripts use.
const SYMBOLS: [&str; 21] = [
    "SOCK_STREAM",
    "IPPROTO_TCP",
    "SOL_SOCKET",
    "SO_REUSEADDR",
    "SO_ERROR",
    "SO_LINGER",
    "SO_KEEPALIVE",
    "TCP_KEEPIDLE",
    "TCP_KEEPINTVL",
    "TCP_KEEPCNT",
    "F_SETFL",
    "O_RDWR",
    "O_NONBLOCK",
    "SHUT_WR",
    "EINPROGRESS",
    "ECONNRESET",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "SOL_TCP",
    "AF_INET",
    "SOCK_DGRAM",
];

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, GrammarError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut out = Vec::new();
    let err = |line, message: String| GrammarError { line, message };
    while i < b.len() {
        let c = b[i] as char;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
        } else if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with("/*") {
            let end = text[i + 2..]
                .find("*/")
                .ok_or_else(|| err(line, "unterminated /* comment".into()))?;
            line += text[i..i + 2 + end].matches('\n').count();
            i += end + 4;
        } else if text[i..].starts_with("%{") {
            let end = text[i + 2..]
                .find("}%")
                .ok_or_else(|| err(line, "unterminated %{ code }%".into()))?;
            let code = text[i + 2..i + 2 + end].trim().to_string();
            out.push((line, Tok::Code(code)));
            line += text[i..i + 2 + end].matches('\n').count();
            i += end + 4;
        } else if text[i..].starts_with("...") {
            out.push((line, Tok::Ellipsis));
            i += 3;
        } else if c.is_ascii_digit()
            || (c == '-' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
            || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let s = &text[start..i];
            let tok = if s.contains('.') {
                Tok::Float(
                    s.parse()
                        .map_err(|_| err(line, format!("bad number {s:?}")))?,
                )
            } else {
                Tok::Int(
                    s.parse()
                        .map_err(|_| err(line, format!("bad integer {s:?}")))?,
                )
            };
            out.push((line, tok));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((line, Tok::Word(text[start..i].to_string())));
        } else {
            out.push((line, Tok::Char(c)));
            i += c.len_utf8();
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
}

impl Parser {
    fn line(&self) -> usize {
        self.toks
            .get(self.at)
            .or(self.toks.last())
            .map_or(0, |(l, _)| *l)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, GrammarError> {
        Err(GrammarError {
            line: self.line(),
            message: message.into(),
        })
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|(_, t)| t.clone());
        self.at += 1;
        t
    }
    fn char(&mut self, c: char) -> Result<(), GrammarError> {
        match self.next() {
            Some(Tok::Char(d)) if d == c => Ok(()),
            other => self.err(format!("expected {c:?}, found {other:?}")),
        }
    }
    fn eat_char(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Char(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn int(&mut self) -> Result<i64, GrammarError> {
        match self.next() {
            Some(Tok::Int(n)) => Ok(n),
            other => self.err(format!("expected an integer, found {other:?}")),
        }
    }
    fn u32(&mut self, what: &str) -> Result<u32, GrammarError> {
        let n = self.int()?;
        u32::try_from(n).or_else(|_| self.err(format!("{what} {n} is out of range (u32)")))
    }
    fn time(&mut self) -> Result<f64, GrammarError> {
        match self.next() {
            Some(Tok::Int(n)) if n >= 0 => Ok(n as f64),
            Some(Tok::Float(f)) if f >= 0.0 => Ok(f),
            other => self.err(format!("expected a time, found {other:?}")),
        }
    }

    /// `event_time: '+' time | time | '*'`
    fn event_time(&mut self) -> Result<Time, GrammarError> {
        if self.eat_char('*') {
            Ok(Time::Any)
        } else if self.eat_char('+') {
            Ok(Time::Relative(self.time()?))
        } else {
            Ok(Time::Absolute(self.time()?))
        }
    }

    /// `flags: WORD | '.' | WORD '.' | '-'`
    fn flags(&mut self) -> Result<Flags, GrammarError> {
        let mut f = Flags::default();
        if self.eat_char('-') {
            return Ok(f);
        }
        if let Some(Tok::Word(w)) = self.peek().cloned() {
            self.at += 1;
            for c in w.chars() {
                let slot = match c {
                    'S' => &mut f.syn,
                    'F' => &mut f.fin,
                    'R' => &mut f.rst,
                    'P' => &mut f.psh,
                    'U' => &mut f.urg,
                    _ => return self.err(format!("unknown TCP flag {c:?} in {w:?}")),
                };
                *slot = true;
            }
        }
        if self.eat_char('.') {
            f.ack = true;
        } else if f == Flags::default() {
            return self.err("expected TCP flags (S, F, R, P, '.', or '-')");
        }
        Ok(f)
    }

    /// `tcp_packet_spec: direction flags seq opt_ack opt_window opt_tcp_options`
    fn packet(&mut self, inbound: bool) -> Result<Action, GrammarError> {
        let flags = self.flags()?;
        let start = self.u32("start sequence number")?;
        self.char(':')?;
        let end = self.u32("end sequence number")?;
        self.char('(')?;
        let len = self.u32("payload length")?;
        self.char(')')?;
        if end.wrapping_sub(start) != len {
            return self.err(format!(
                "{start}:{end}({len}): the end must be the start plus the length"
            ));
        }
        let ack = if self.eat_word("ack") {
            Some(self.u32("ack")?)
        } else {
            None
        };
        let win = if self.eat_word("win") {
            Some(self.u32("win")?)
        } else {
            None
        };
        if self.eat_char('<') {
            if self.peek() == Some(&Tok::Ellipsis) {
                self.at += 1;
            } else {
                loop {
                    match self.next() {
                        Some(Tok::Word(w)) if w == "mss" || w == "wscale" => {
                            self.int()?;
                        }
                        Some(Tok::Word(w)) if w == "nop" || w == "sackOK" || w == "eol" => {}
                        Some(Tok::Word(w)) if w == "TS" => {
                            if !self.eat_word("val") {
                                return self.err("TS needs val N ecr N");
                            }
                            self.int()?;
                            if !self.eat_word("ecr") {
                                return self.err("TS needs val N ecr N");
                            }
                            self.int()?;
                        }
                        other => return self.err(format!("unknown TCP option {other:?}")),
                    }
                    if !self.eat_char(',') {
                        break;
                    }
                }
            }
            self.char('>')?;
        }
        if inbound && win.is_none() {
            return self.err("an inbound packet needs `win N`");
        }
        if flags.ack != ack.is_some() {
            return self.err("`ack N` goes with the ACK flag ('.') and only with it");
        }
        Ok(Action::Packet {
            inbound,
            flags,
            start,
            end,
            len,
            ack,
            win,
        })
    }

    /// `expression` (the kinds these scripts use).
    fn expr(&mut self) -> Result<Expr, GrammarError> {
        let e = match self.next() {
            Some(Tok::Ellipsis) => Expr::Ellipsis,
            Some(Tok::Int(n)) => Expr::Int(n),
            Some(Tok::Word(w)) if w.chars().all(|c| c.is_ascii_digit()) => {
                return self.err(format!("bad word {w:?}"))
            }
            Some(Tok::Word(w)) => {
                if !SYMBOLS.contains(&w.as_str()) {
                    return self.err(format!("unknown symbol {w}"));
                }
                Expr::Symbol(w)
            }
            Some(Tok::Char('[')) => {
                let mut items = Vec::new();
                if !self.eat_char(']') {
                    loop {
                        items.push(self.expr()?);
                        if self.eat_char(']') {
                            break;
                        }
                        self.char(',')?;
                    }
                }
                Expr::Array(items)
            }
            Some(Tok::Char('{')) => {
                // linger: '{' ONOFF '=' INTEGER ',' LINGER '=' INTEGER '}'
                if !self.eat_word("onoff") {
                    return self.err("expected {onoff=N, linger=N}");
                }
                self.char('=')?;
                let on = self.int()?;
                self.char(',')?;
                if !self.eat_word("linger") {
                    return self.err("expected linger=N");
                }
                self.char('=')?;
                let secs = self.int()?;
                self.char('}')?;
                Expr::Linger(on, secs)
            }
            other => return self.err(format!("expected an expression, found {other:?}")),
        };
        if self.eat_char('|') {
            return Ok(Expr::Or(Box::new(e), Box::new(self.expr()?)));
        }
        Ok(e)
    }

    /// `syscall_spec: function_name function_arguments '=' expression opt_errno opt_note`
    fn syscall(&mut self, name: String) -> Result<Action, GrammarError> {
        if !SYSCALLS.contains(&name.as_str()) {
            return self.err(format!("unknown system call {name}"));
        }
        self.char('(')?;
        let mut args = Vec::new();
        if !self.eat_char(')') {
            loop {
                args.push(self.expr()?);
                if self.eat_char(')') {
                    break;
                }
                self.char(',')?;
            }
        }
        self.char('=')?;
        let result = self.expr()?;
        let errno = match self.peek().cloned() {
            Some(Tok::Word(w)) if w.starts_with('E') => {
                self.at += 1;
                if !SYMBOLS.contains(&w.as_str()) {
                    return self.err(format!("unknown errno {w}"));
                }
                // opt_errno: WORD note -- the note is required.
                self.char('(')?;
                let mut words = 0;
                while let Some(Tok::Word(_)) = self.peek() {
                    self.at += 1;
                    words += 1;
                }
                if words == 0 {
                    return self.err("an errno's note needs words");
                }
                self.char(')')?;
                Some(w)
            }
            _ => None,
        };
        if errno.is_some() != (result == Expr::Int(-1)) {
            return self.err("an errno goes with a result of -1 and only with it");
        }
        Ok(Action::Syscall {
            name,
            args,
            result,
            errno,
        })
    }

    fn event(&mut self) -> Result<(usize, Time, Action), GrammarError> {
        let time = self.event_time()?;
        let line = self.line();
        let action = match self.next() {
            Some(Tok::Char('<')) => self.packet(true)?,
            Some(Tok::Char('>')) => self.packet(false)?,
            Some(Tok::Code(c)) => Action::Code(c),
            Some(Tok::Word(w)) => self.syscall(w)?,
            other => return self.err(format!("expected an action, found {other:?}")),
        };
        if time == Time::Any && !matches!(action, Action::Packet { inbound: false, .. }) {
            return self.err("`*` is for outbound packets");
        }
        Ok((line, time, action))
    }
}

/// Parse a script by packetdrill's grammar (the subset above).
pub fn parse(text: &str) -> Result<Script, GrammarError> {
    let mut p = Parser {
        toks: lex(text)?,
        at: 0,
    };
    let mut events = Vec::new();
    while p.peek().is_some() {
        let e = p.event()?;
        if events.is_empty() && !matches!(e.1, Time::Absolute(_)) {
            return Err(GrammarError {
                line: e.0,
                message: "the first event needs an absolute time".into(),
            });
        }
        events.push(e);
    }
    if events.is_empty() {
        return Err(GrammarError {
            line: 1,
            message: "no events".into(),
        });
    }
    Ok(Script { events })
}

fn int_arg(args: &[Expr], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(Expr::Int(n)) => Some(*n),
        _ => None,
    }
}

fn state_of(name: &str) -> Option<TcpState> {
    use TcpState::*;
    [
        Closed,
        Listen,
        SynSent,
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        Closing,
        LastAck,
        TimeWait,
    ]
    .into_iter()
    .find(|s| super::tcpi_name(*s) == name)
}

/// The [`Event`]s a parsed script stands for (the inverse of [`super::render`]).
pub fn events(script: &Script) -> Result<Vec<Event>, GrammarError> {
    let mut out = Vec::new();
    for (line, time, action) in &script.events {
        let fail = |message: String| GrammarError {
            line: *line,
            message,
        };
        match time {
            Time::Relative(t) if *t > 0.0 => out.push(Event::Quiet((t * 1000.0).round() as u64)),
            Time::Any => out.push(Event::Wait),
            _ => {}
        }
        match action {
            Action::Packet {
                inbound,
                flags,
                start,
                len,
                ack,
                ..
            } => out.push(if *inbound {
                Event::In(*flags, *start, *ack, *len)
            } else {
                Event::Out(*flags, *start, *ack, *len)
            }),
            Action::Code(c) if c == "pass" => {}
            Action::Code(c) => {
                let name = c
                    .strip_prefix("assert tcpi_state == ")
                    .and_then(|r| r.strip_suffix(", tcpi_state"))
                    .and_then(state_of)
                    .ok_or_else(|| fail(format!("not a tcpi_state assertion: {c:?}")))?;
                out.push(Event::State(name));
            }
            Action::Syscall {
                name,
                args,
                result,
                errno,
            } => {
                let fd = int_arg(args, 0);
                let res = match result {
                    Expr::Int(n) => Some(*n),
                    _ => None,
                };
                let opt = |i: usize| match args.get(i) {
                    Some(Expr::Symbol(s)) => s.as_str(),
                    _ => "",
                };
                match (name.as_str(), errno.as_deref()) {
                    ("socket" | "fcntl" | "bind", _) => {}
                    ("setsockopt", _) => {}
                    ("connect", Some("EINPROGRESS")) => out.push(Event::Call(Call::Connect)),
                    ("listen", None) => out.push(Event::Call(Call::Listen)),
                    ("accept", None) if res == Some(ACCEPTED_FD as i64) => {
                        out.push(Event::Call(Call::Accept))
                    }
                    ("close", None) if fd == Some(FIRST_FD as i64) && accepted(&out) => {}
                    ("close", None) => out.push(Event::Call(Call::Abort)),
                    ("shutdown", None) => out.push(Event::Call(Call::Close)),
                    ("write", None) => {
                        let n = res.ok_or_else(|| fail("write returns a count".into()))?;
                        out.push(Event::Call(Call::Send(n as u32)));
                    }
                    ("read", Some("ECONNRESET")) => out.push(Event::App(AppEvent::Reset)),
                    ("read", None) => {
                        let n = res.ok_or_else(|| fail("read returns a count".into()))?;
                        match (int_arg(args, 2), n) {
                            (Some(c), 0) if c == READ_ALL as i64 => {
                                out.push(Event::App(AppEvent::EndOfStream))
                            }
                            (Some(c), n) if c == READ_ALL as i64 => {
                                out.push(Event::App(AppEvent::Data(n as u32)))
                            }
                            (_, n) => out.push(Event::Call(Call::Receive(n as u32))),
                        }
                    }
                    ("getsockopt", None) if opt(2) == "SO_ERROR" => {
                        let app = match args.get(3) {
                            Some(Expr::Array(v)) => match v.first() {
                                Some(Expr::Int(0)) => AppEvent::Connected,
                                Some(Expr::Symbol(s)) if s == "ECONNREFUSED" => AppEvent::Refused,
                                Some(Expr::Symbol(s)) if s == "ETIMEDOUT" => AppEvent::TimedOut,
                                other => return Err(fail(format!("SO_ERROR of {other:?}"))),
                            },
                            other => return Err(fail(format!("SO_ERROR into {other:?}"))),
                        };
                        out.push(Event::App(app));
                    }
                    (n, e) => return Err(fail(format!("unexpected call {n} (errno {e:?})"))),
                }
            }
        }
    }
    Ok(out)
}

fn accepted(events: &[Event]) -> bool {
    events.contains(&Event::Call(Call::Accept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_rejects_what_packetdrill_rejects() {
        let ok =
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 65535 <mss 1460>\n";
        assert!(parse(ok).is_ok(), "{:?}", parse(ok));
        for (bad, why) in [
            (
                "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
                "relative first time",
            ),
            ("0 < S 0:0(0) <mss 1460>\n", "inbound without win"),
            ("0 < S 0:1(0) win 1\n", "end is not start plus length"),
            ("0 > . 1:1(0)\n", "ACK flag without ack"),
            ("0 > X 1:1(0)\n", "unknown flag"),
            (
                "0 connect(3, ..., ...) = -1 EINPROGRESS\n",
                "errno without note",
            ),
            ("0 frobnicate(3) = 0\n", "unknown call"),
            (
                "0 setsockopt(3, SOL_SOCKET, SO_NOPE, [1], 4) = 0\n",
                "unknown symbol",
            ),
            (
                "0 read(3, ..., 1000) = 0\n* read(3, ..., 1000) = 0\n",
                "* on a call",
            ),
            ("0 %{ assert tcpi_state == TCP_CLOSE\n", "unterminated code"),
            ("0 > S 0:0(0) <wat>\n", "unknown option"),
        ] {
            assert!(parse(bad).is_err(), "{why}: {bad}");
        }
    }
}
