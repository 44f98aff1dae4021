//! The text form of a vector: written here, one step per line in YAML flow style, so that a
//! vector reads like a packetdrill script; read with serde_yaml.
//!
//! The writer names the fields through serde (a step or pattern is serialized to a
//! `serde_yaml::Value` and printed in flow style), so the names live in one place: the serde
//! attributes of the types. What serde cannot say, the writer adds: the comment line
//! [`EVENT_MARKER`] before the first step of the event under test ([`Vector::event_at`]), which
//! the reader recovers from the text.

use crate::schema::Place;
use crate::{Step, Vector, VectorError};
use serde_yaml::Value;
use std::fmt::Write as _;

/// The comment line before the first step of the event under test (see [`Vector::event_at`]).
pub const EVENT_MARKER: &str = "# event under test";

/// Indentation of a step item (`  - `) under `steps:`.
const STEP_INDENT: &str = "  ";

impl Vector {
    /// Write the canonical text: the header keys, then one line per step (a `one_of` takes one
    /// line per branch), with [`EVENT_MARKER`] before the event under test. Fails if the vector
    /// breaks a rule of [`Vector::check`].
    pub fn to_yaml(&self) -> Result<String, VectorError> {
        self.check()?;
        let mut out = String::new();
        let mut line = |key: &str, value: String| {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{key}: {value}");
        };
        line("version", self.version.to_string());
        line("id", scalar(&self.id));
        line("covers", flow(&to_value(&self.covers)?));
        line("role", flow(&to_value(&self.role)?));
        if !self.requirements.is_empty() {
            line("requirements", flow(&to_value(&self.requirements)?));
        }
        if !self.options.is_default() {
            line("options", flow(&to_value(&self.options)?));
        }
        if !self.description.is_empty() {
            line("description", scalar(&self.description));
        }
        out.push_str("steps:\n");
        for (i, step) in self.steps.iter().enumerate() {
            if self.event_at == Some(i) {
                let _ = writeln!(out, "{STEP_INDENT}{EVENT_MARKER}");
            }
            match step {
                Step::OneOf(one_of) => {
                    let inner = format!("{STEP_INDENT}    ");
                    let _ = writeln!(out, "{STEP_INDENT}- one_of:");
                    let _ = writeln!(out, "{inner}choice: {}", scalar(&one_of.choice));
                    let _ = writeln!(out, "{inner}branches:");
                    for branch in &one_of.branches {
                        let _ = writeln!(out, "{inner}  - {}", flow(&to_value(branch)?));
                    }
                }
                _ => {
                    let value = to_value(step)?;
                    // A step is a map of one key (`expect: {...}`): written without the braces.
                    let text = flow(&value);
                    let bare = text
                        .strip_prefix('{')
                        .and_then(|t| t.strip_suffix('}'))
                        .unwrap_or(&text);
                    let _ = writeln!(out, "{STEP_INDENT}- {bare}");
                }
            }
        }
        Ok(out)
    }

    /// Parse a vector from YAML text, recover the event marker, and check the rules of
    /// [`Vector::check`]. Errors carry line and column where known.
    pub fn from_yaml(text: &str) -> Result<Vector, VectorError> {
        let mut v: Vector = serde_yaml::from_str(text).map_err(|e| VectorError {
            line: e.location().map(|l| l.line()),
            column: e.location().map(|l| l.column()),
            message: e.to_string(),
        })?;
        let layout = Layout::of(text);
        v.event_at = layout.event_at(v.steps.len())?;
        v.problem().map_err(|(place, message)| {
            let line = match place {
                Place::Key(key) => key_line(text, key),
                Place::Step(i) if layout.steps.len() == v.steps.len() => {
                    layout.steps.get(i).copied()
                }
                Place::Step(_) => None,
            };
            VectorError::at_line(line, message)
        })?;
        Ok(v)
    }
}

/// A value as serde writes it, enums as single-key maps (`call: connect`, `app: {data: 1}`).
fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, VectorError> {
    serde_yaml::with::singleton_map_recursive::serialize(value, serde_yaml::value::Serializer)
        .map_err(|e| VectorError::at_line(None, format!("cannot write the vector: {e}")))
}

/// A value in YAML flow style on one line.
fn flow(value: &Value) -> String {
    match value {
        Value::Null => "~".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Tagged(t) => format!("{} {}", t.tag, flow(&t.value)),
    }
}

/// A string as a YAML scalar: plain where that reads back as the same string in flow context,
/// else double-quoted.
fn scalar(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` can be written plain: only letters, digits, spaces and `-+._()/=;'`, starting with
/// a letter, a digit, `.`, `(` or `-` followed by a non-space, not ending in a space, and read
/// by YAML as a string (or as an integer written the way it reads back, e.g. `0`, `64240`).
fn is_plain(s: &str) -> bool {
    let safe = |c: char| c.is_ascii_alphanumeric() || " -+._()/=;'".contains(c);
    let mut chars = s.chars();
    let start_ok = match (chars.next(), chars.next()) {
        (Some(c), _) if c.is_ascii_alphanumeric() || c == '.' || c == '(' => true,
        (Some('-'), Some(c)) => c != ' ',
        _ => false,
    };
    if !start_ok || !s.chars().all(safe) || s.ends_with(' ') {
        return false;
    }
    match serde_yaml::from_str::<Value>(s) {
        Ok(Value::String(read)) => read == s,
        Ok(Value::Number(n)) => n.is_i64() && n.to_string() == s,
        _ => false,
    }
}

/// The 1-based line of a top-level key.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// Where the steps and event markers are in a vector's text.
struct Layout {
    /// The 1-based line of each step item under `steps:` (block style only).
    steps: Vec<usize>,
    /// Each marker: its 1-based line and the number of step items before it.
    markers: Vec<(usize, usize)>,
}

impl Layout {
    fn of(text: &str) -> Layout {
        let mut layout = Layout {
            steps: Vec::new(),
            markers: Vec::new(),
        };
        let mut lines = text.lines().enumerate();
        if !lines.any(|(_, l)| l.starts_with("steps:")) {
            return layout;
        }
        let mut indent = None;
        for (n, line) in lines {
            let body = line.trim_start();
            let depth = line.len() - body.len();
            if depth == 0 && !body.is_empty() && !body.starts_with(['-', '#']) {
                break; // the next top-level key
            }
            if body.trim_end() == EVENT_MARKER {
                layout.markers.push((n + 1, layout.steps.len()));
            } else if (body.starts_with("- ") || body.trim_end() == "-")
                && *indent.get_or_insert(depth) == depth
            {
                layout.steps.push(n + 1);
            }
        }
        layout
    }

    /// The index of the first step of the event under test, from the one marker if any.
    fn event_at(&self, steps: usize) -> Result<Option<usize>, VectorError> {
        let Some(&(line, at)) = self.markers.first() else {
            return Ok(None);
        };
        if let Some(&(second, _)) = self.markers.get(1) {
            return Err(VectorError::at_line(
                Some(second),
                format!("a second `{EVENT_MARKER}` marker (the first is on line {line})"),
            ));
        }
        if self.steps.len() != steps {
            return Err(VectorError::at_line(
                Some(line),
                format!(
                    "`{EVENT_MARKER}` needs the steps written as a block list, one `- ` item \
                     per step"
                ),
            ));
        }
        if at >= steps {
            return Err(VectorError::at_line(
                Some(line),
                format!("no step follows `{EVENT_MARKER}`"),
            ));
        }
        Ok(Some(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn pattern(flags: &str, seq: &str, ack: Option<&str>) -> SegmentPattern {
        SegmentPattern {
            flags: flags.parse().unwrap(),
            seq: Some(seq.parse().unwrap()),
            ack: ack.map(|a| a.parse().unwrap()),
            len: 0,
            window: None,
            options: None,
            urg: None,
        }
    }

    fn example() -> Vector {
        Vector {
            version: SCHEMA_VERSION,
            id: "time-wait/active/rst-seq-exact".into(),
            covers: vec!["TIME-WAIT x RST seq exact".into()],
            requirements: vec!["MUST-13".into()],
            role: Role::Active,
            options: SocketOptions::default(),
            description: "RFC 9293: closes; RFC 1337 # ignores \"it\"".into(),
            steps: vec![
                Step::Call(Call::Connect),
                Step::Expect(pattern("S", "iss", None)),
                Step::Send(SegmentSpec {
                    flags: "SA".parse().unwrap(),
                    seq: SeqExpr::new(SeqVar::Irs, 0),
                    ack: Some(SeqExpr::new(SeqVar::Iss, 1)),
                    len: 0,
                    urg: None,
                }),
                Step::Call(Call::Send(3)),
                Step::ExpectOneOf(vec![vec![], vec![pattern("A", "iss+1", Some("irs+1"))]]),
                Step::State(TcpState::Established),
                Step::Send(SegmentSpec {
                    flags: "R".parse().unwrap(),
                    seq: SeqExpr::new(SeqVar::Irs, 1),
                    ack: None,
                    len: 0,
                    urg: None,
                }),
                Step::OneOf(OneOf {
                    choice: "rst-in-time-wait".into(),
                    branches: vec![
                        Branch {
                            name: "ignored".into(),
                            steps: vec![Step::State(TcpState::TimeWait)],
                        },
                        Branch {
                            name: "closes".into(),
                            steps: vec![Step::App(AppEvent::Reset), Step::State(TcpState::Closed)],
                        },
                    ],
                }),
                Step::StateOneOf(vec![TcpState::TimeWait, TcpState::Closed]),
                Step::Quiet(Millis(50)),
            ],
            event_at: Some(6),
        }
    }

    #[test]
    fn one_line_per_step_with_the_event_marker() {
        let v = example();
        let text = v.to_yaml().unwrap();
        let want = r#"version: 2
id: time-wait/active/rst-seq-exact
covers: [TIME-WAIT x RST seq exact]
role: active
requirements: [MUST-13]
description: "RFC 9293: closes; RFC 1337 # ignores \"it\""
steps:
  - call: connect
  - expect: {flags: S, seq: iss}
  - send: {flags: SA, seq: irs, ack: iss+1}
  - call: {send: 3}
  - expect_one_of: [[], [{flags: A, seq: iss+1, ack: irs+1}]]
  - state: ESTABLISHED
  # event under test
  - send: {flags: R, seq: irs+1}
  - one_of:
      choice: rst-in-time-wait
      branches:
        - {name: ignored, steps: [{state: TIME-WAIT}]}
        - {name: closes, steps: [{app: reset}, {state: CLOSED}]}
  - state_one_of: [TIME-WAIT, CLOSED]
  - quiet: 50ms
"#;
        assert_eq!(text, want);
        assert_eq!(Vector::from_yaml(&text).unwrap(), v);
    }

    #[test]
    fn options_windows_and_keep_listener_round_trip() {
        let mut v = example();
        v.role = Role::Passive;
        v.event_at = None;
        v.description.clear();
        v.options = SocketOptions {
            keepalive: Some(Keepalive {
                idle_s: 1,
                interval_s: 2,
                count: 3,
            }),
            keep_listener: true,
            receive_buffer: Some(4),
        };
        let mut p = pattern("SA", "iss", Some("irs+1"));
        p.window = Some(WindowPattern::AtLeast(1024));
        p.options = Some(OptionsPattern {
            mss: Some(OptionValue::Value(1460)),
            wscale: Some(OptionValue::Absent),
            sack_permitted: Some(false),
            timestamps: None,
        });
        v.steps.push(Step::Expect(p));
        v.steps.push(Step::App(AppEvent::Data(2)));
        let text = v.to_yaml().unwrap();
        assert!(
            text.contains(
                "options: {keepalive: {idle_s: 1, interval_s: 2, count: 3}, keep_listener: true, \
                 receive_buffer: 4}"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "- expect: {flags: SA, seq: iss, ack: irs+1, window: \">= 1024\", options: \
                 {mss: 1460, wscale: absent, sack_permitted: false}}"
            ),
            "{text}"
        );
        assert!(text.contains("- app: {data: 2}"), "{text}");
        assert!(!text.contains('#'), "no marker without event_at: {text}");
        assert_eq!(Vector::from_yaml(&text).unwrap(), v);
        v.options.keep_listener = false;
        assert!(!v.to_yaml().unwrap().contains("keep_listener"));
    }

    #[test]
    fn strings_are_quoted_when_yaml_would_read_them_otherwise() {
        for s in [
            "plain words",
            "a: b",
            "a #b",
            "[x]",
            "{x}",
            "x, y",
            "- x",
            "-x",
            ">= 1024",
            "true",
            "null",
            "~",
            "1e3",
            "0x1F",
            ".inf",
            "1.50",
            "64240",
            "'quoted'",
            "it's; fine",
            "\"dq\"",
            "back\\slash",
            "line\nbreak",
            "trailing ",
            " leading",
            "",
            "*alias",
            "&anchor",
            "!tag",
            "%dir",
            "@at",
            "`tick`",
            "ünïcödé",
        ] {
            let text = format!("k: {}", scalar(s));
            let read: std::collections::BTreeMap<String, String> = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{s:?} written as {text:?}: {e}"));
            assert_eq!(read["k"], s, "{text}");
            let text = format!("k: [{}]", scalar(s));
            let read: std::collections::BTreeMap<String, Vec<String>> =
                serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(read["k"], [s], "{text}");
        }
        assert_eq!(
            scalar("ESTABLISHED x RST seq exact"),
            "ESTABLISHED x RST seq exact"
        );
        assert_eq!(scalar("iss+1"), "iss+1");
        assert_eq!(scalar("a; it's b"), "a; it's b");
        assert_eq!(scalar("0"), "0");
    }

    #[test]
    fn block_style_files_are_read_too() {
        let text = "version: 2\nid: a/b\ncovers:\n- x\nrole: active\nsteps:\n- call: connect\n\
                    - expect:\n    flags: S\n    seq: iss\n# event under test\n- quiet: 1s\n";
        let v = Vector::from_yaml(text).unwrap();
        assert_eq!(v.event_at, Some(2));
        assert_eq!(v.steps[2], Step::Quiet(Millis(1000)));
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text =
            "version: 2\nid: x\ncovers: []\nrole: active\nsteps:\n  - expect: { flags: Q }\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        assert!(e.message.contains("unknown flag letter"), "{e}");
        let text = "# a comment\nversion: 9\nid: x\ncovers: []\nrole: active\nsteps: []\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert!(e.message.contains("version 9"), "{e}");
        assert_eq!(e.line, Some(2), "{e}");
        let text = "version: 2\nid: a/../b\ncovers: []\nrole: active\nsteps: []\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("`..`"), "{e}");
        let text = "version: 2\nid: x\ncovers: []\nrole: active\nrequirements: [MUST-70]\n\
                    steps: []\n";
        let e = Vector::from_yaml(text).unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("unknown requirement \"MUST-70\""), "{e}");
    }

    #[test]
    fn bad_markers_and_branches_are_errors_at_their_line() {
        let head = "version: 2\nid: x\ncovers: []\nrole: active\nsteps:\n";
        let cases = [
            ("  - call: connect\n  # event under test\n", 7, "no step follows"),
            (
                "  # event under test\n  - call: connect\n  # event under test\n  - quiet: 1s\n",
                8,
                "second",
            ),
            (
                "  - call: connect\n  - one_of:\n      choice: c\n      branches:\n        \
                 - {name: a, steps: [{state: CLOSED}]}\n        - {name: b, steps: [{call: close}]}\n",
                7,
                "branch b has a `call` step",
            ),
            (
                "  - one_of: {choice: c, branches: [{name: a, steps: [{quiet: 1s}]}]}\n",
                6,
                "at least two",
            ),
            (
                "  - one_of: {choice: c, branches: [{name: a, steps: [{quiet: 1s}]}, {name: a, steps: [{quiet: 1s}]}]}\n",
                6,
                "appears twice",
            ),
            (
                "  - one_of: {choice: C, branches: []}\n",
                6,
                "lowercase",
            ),
            (
                "  - one_of: {choice: c, branches: [{name: a, steps: []}, {name: b, steps: [{quiet: 1s}]}]}\n",
                6,
                "no steps",
            ),
        ];
        for (steps, line, what) in cases {
            let text = format!("{head}{steps}");
            let e = Vector::from_yaml(&text).expect_err(&text);
            assert_eq!(e.line, Some(line), "{e}\n{text}");
            assert!(e.message.contains(what), "{e}\n{text}");
        }
        let text = format!("{head}  [{{call: connect}},\n  # event under test\n  {{quiet: 1s}}]\n");
        let e = Vector::from_yaml(&text).expect_err("marker in flow style");
        assert!(e.message.contains("block list"), "{e}");
        let mut v = example();
        v.event_at = Some(99);
        assert!(v.to_yaml().unwrap_err().message.contains("only 10 steps"));
    }
}
