//! What stateright's Explorer shows of this model, in the words of the `check` charts: each
//! action named as the chart names it (`B: rcv S seq=100 from A`, `network loses ...`, `tick`,
//! `B: close()`), a one-line summary per host and for the segments in flight, and the path so
//! far drawn as a message-sequence chart in SVG. Also the Explorer address of a counterexample
//! (`#/steps/...`, the indices of the path's actions), which `check` prints.

use crate::chart::{Chart, StepEvent};
use crate::endpoint::UserCall;
use crate::statespace::Trace;
use crate::system::{Action, Flight, Host, SysState, System, Tag};
use stateright::Model;
use std::fmt::Write;

fn host(h: u8) -> char {
    if h == 0 {
        'A'
    } else {
        'B'
    }
}

fn call_text(call: &UserCall) -> String {
    match call {
        UserCall::Open { passive: false } => "connect()".into(),
        UserCall::Open { passive: true } => "listen()".into(),
        UserCall::Send(n) => format!("send({n} bytes)"),
        UserCall::Close => "close()".into(),
        UserCall::Abort => "abort()".into(),
    }
}

/// The chart's note on a delivered segment: where an old copy or the middlebox's RST came
/// from (nothing for an ordinary segment).
fn origin(f: &Flight) -> String {
    if f.tag == Tag::Middlebox {
        " [from the MIDDLEBOX]".into()
    } else if f.duplicate || f.age > 0 {
        format!(
            " [old copy, age {}, from incarnation {}]",
            f.age, f.incarnation
        )
    } else {
        String::new()
    }
}

/// An action as the charts name it: `A: connect()`, `B: rcv S seq=100 from A`,
/// `network loses S seq=100 (from A)`, `network duplicates ...`, `tick`, `A: crash ...`.
pub fn action_name(action: &Action) -> String {
    match action {
        Action::Call(h, call) => format!("{}: {}", host(*h), call_text(call)),
        Action::Deliver(f) => format!(
            "{}: rcv {} from {}{}",
            host(1 - f.from),
            f.seg,
            host(f.from),
            origin(f)
        ),
        Action::Lose(f) => format!("network loses {} (from {})", f.seg, host(f.from)),
        Action::Duplicate(f) => format!("network duplicates {} (from {})", f.seg, host(f.from)),
        Action::Tick => "tick".into(),
        Action::Crash(h, false) => format!("{}: crash (for good)", host(*h)),
        Action::Crash(h, true) => format!("{}: crash (reboots later)", host(*h)),
        Action::Reboot(h) => format!("{}: reboot", host(*h)),
        Action::Inject(h, seg) => format!("{}: rcv {seg} [from the ATTACKER]", host(*h)),
        Action::Wake(h) => format!("{}: the idle application wakes: send again", host(*h)),
    }
}

/// One line for a host: its TCP state, the TCB, timers, the application and the ghosts.
fn host_line(sys: &System, s: &SysState, h: usize) -> String {
    let x: &Host = &s.hosts[h];
    let e = &x.ep;
    let role = match (sys.config.apps[h].active, sys.config.apps[1 - h].active) {
        (true, true) => "peer",
        (true, false) => "client",
        _ => "server",
    };
    let mut line = format!("{} ({role}) {:<12}", host(h as u8), e.state.name());
    if e.state != tcp_vectors::TcpState::Closed && e.state != tcp_vectors::TcpState::Listen {
        let _ = write!(line, " ISS={}", e.iss.0);
        if e.state != tcp_vectors::TcpState::SynSent {
            let _ = write!(line, " IRS={}", e.irs.0);
        }
        let _ = write!(line, " SND.UNA={} SND.NXT={}", e.snd_una.0, e.snd_nxt.0);
        if e.state != tcp_vectors::TcpState::SynSent {
            let _ = write!(line, " RCV.NXT={}", e.rcv_nxt.0);
        }
    }
    let mut extra = Vec::new();
    if e.queued > 0 {
        extra.push(format!("{} queued", e.queued));
    }
    if e.fin_queued {
        extra.push("FIN queued".into());
    }
    if e.fin_sent {
        extra.push("FIN sent".into());
    }
    for (ticks, name) in [
        (e.rtx_timer, "rtx"),
        (e.tw_timer, "time-wait"),
        (e.ka_timer, "keepalive"),
    ] {
        if ticks > 0 {
            extra.push(format!("{name} timer {ticks}"));
        }
    }
    if e.retries > 0 {
        extra.push(format!("{} retries", e.retries));
    }
    if !extra.is_empty() {
        let _ = write!(line, " ({})", extra.join(", "));
    }
    let _ = write!(
        line,
        " | app {:?}, connection {}, received {}{}",
        x.phase,
        x.incarnation,
        x.received,
        if x.eof_now { ", end-of-stream" } else { "" }
    );
    line
}

/// What is in flight: each segment with its direction, age and origin.
fn flight_line(s: &SysState) -> String {
    if s.net.is_empty() {
        return "in flight: nothing".into();
    }
    let items: Vec<String> = s
        .net
        .iter()
        .map(|f| {
            let mut t = format!("{} {}->{}", f.seg, host(f.from), host(1 - f.from));
            if f.duplicate {
                t.push_str(" (copy)");
            }
            if f.age > 0 {
                let _ = write!(t, " (age {})", f.age);
            }
            if f.tag == Tag::Middlebox {
                t.push_str(" (middlebox)");
            }
            t
        })
        .collect();
    format!("in flight: {}", items.join("; "))
}

/// The state in a few lines: one per host, one for what is in flight, one for what the
/// environment may still do.
pub fn state_summary(sys: &System, s: &SysState) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", host_line(sys, s, 0));
    let _ = writeln!(out, "{}", host_line(sys, s, 1));
    let _ = writeln!(out, "{}", flight_line(s));
    let mut env = format!(
        "network may still lose {} and duplicate {}",
        s.losses_left, s.dups_left
    );
    if s.crashes_left > 0 {
        let _ = write!(env, "; crashes left {}", s.crashes_left);
    }
    if s.attacks_left > 0 {
        let _ = write!(env, "; attacker segments left {}", s.attacks_left);
    }
    if let Some(m) = s.middlebox {
        let _ = write!(
            env,
            "; middlebox {:?}, idle {} tick(s){}",
            m.kind,
            m.idle,
            if m.forgotten { ", flow FORGOTTEN" } else { "" }
        );
    }
    let _ = write!(out, "{env}");
    out
}

/// The Explorer's address of a path from an initial state (`0/3/1/...`: the initial state's
/// index, then each action's index among the actions enabled where it was taken), as
/// stateright's `Path::encode` writes it. `None` if the path is not one of `sys`'s.
pub fn explorer_path(sys: &System, trace: &Trace<SysState, Action>) -> Option<String> {
    let (first, _) = trace.steps.first()?;
    let init = sys.init_states().iter().position(|s| s == first)?;
    let mut parts = vec![init.to_string()];
    let mut actions = Vec::new();
    for (state, action) in &trace.steps {
        let Some(action) = action else { continue };
        actions.clear();
        sys.actions(state, &mut actions);
        parts.push(actions.iter().position(|a| a == action)?.to_string());
    }
    Some(parts.join("/"))
}

const LEFT: f64 = 230.0;
const RIGHT: f64 = 460.0;
const WIDTH: f64 = 860.0;
const ROW: f64 = 22.0;
const ARROW: f64 = 26.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Chart {
    /// Render as an SVG message-sequence chart, the picture of [`Chart::to_text`]: A's
    /// lifeline on the left, B's on the right, time downward; each step numbered, each segment
    /// an arrow from its sender to its receiver, losses, duplicates and ticks across the
    /// middle, state changes beside the lifeline.
    pub fn to_svg(&self) -> String {
        let mut body = String::new();
        let text = |out: &mut String, x: f64, y: f64, anchor: &str, class: &str, t: &str| {
            let _ = writeln!(
                out,
                r#"<text x="{x:.0}" y="{y:.0}" text-anchor="{anchor}" class="{class}">{}</text>"#,
                esc(t)
            );
        };
        let mut y = 20.0;
        text(
            &mut body,
            LEFT,
            y,
            "middle",
            "head",
            &format!("A ({})", self.a_role),
        );
        text(
            &mut body,
            RIGHT,
            y,
            "middle",
            "head",
            &format!("B ({})", self.b_role),
        );
        y += 18.0;
        text(&mut body, LEFT, y, "middle", "state", self.initial.0.name());
        text(
            &mut body,
            RIGHT,
            y,
            "middle",
            "state",
            self.initial.1.name(),
        );
        let top = y + 6.0;
        y += 10.0;
        let mut prev = self.initial;
        for st in &self.steps {
            y += ROW;
            if self.loops_after == Some(st.step - 1) {
                text(
                    &mut body,
                    (LEFT + RIGHT) / 2.0,
                    y,
                    "middle",
                    "loop",
                    ">>> loop: from here the run repeats forever >>>",
                );
                y += ROW;
            }
            text(&mut body, 12.0, y, "start", "num", &st.step.to_string());
            let a_change = (st.a != prev.0).then(|| format!("-> {}", st.a));
            let b_change = (st.b != prev.1).then(|| format!("-> {}", st.b));
            prev = (st.a, st.b);
            let (who, what, class) = match &st.event {
                StepEvent::Call { host, call } => (Some(*host), call.clone(), "call"),
                StepEvent::Deliver {
                    host,
                    segment,
                    duplicate,
                    age,
                    sender_incarnation,
                    middlebox,
                } => {
                    let t = crate::chart::delivery_text(
                        segment,
                        *duplicate,
                        *age,
                        *sender_incarnation,
                        *middlebox,
                    );
                    (
                        Some(*host),
                        t,
                        if *age > 0 || *duplicate { "old" } else { "rcv" },
                    )
                }
                StepEvent::Lose { from, segment } => (
                    None,
                    format!("~~ network LOSES {segment} (from {from}) ~~"),
                    "net",
                ),
                StepEvent::Duplicate { from, segment } => (
                    None,
                    format!("++ network DUPLICATES {segment} (from {from}) ++"),
                    "net",
                ),
                StepEvent::Tick => (None, "......... one tick passes .........".into(), "tick"),
                StepEvent::Crash { host } => (Some(*host), "*** CRASH ***".into(), "bad"),
                StepEvent::Reboot { host } => (Some(*host), "*** REBOOT ***".into(), "call"),
                StepEvent::Wake { host } => (Some(*host), "wakes: send again".into(), "call"),
                StepEvent::MiddleboxDrop { from, segment } => (
                    None,
                    format!("## MIDDLEBOX DROPS {segment} (from {from}) ##"),
                    "bad",
                ),
                StepEvent::Inject { host, segment } => (
                    Some(*host),
                    format!("rcv {segment} [from the ATTACKER]"),
                    "bad",
                ),
            };
            match who {
                Some('A') => text(&mut body, LEFT - 8.0, y, "end", class, &what),
                Some(_) => text(&mut body, RIGHT + 8.0, y, "start", class, &what),
                None => text(&mut body, (LEFT + RIGHT) / 2.0, y, "middle", class, &what),
            }
            if let Some(c) = a_change {
                let dy = if who == Some('A') { 14.0 } else { 0.0 };
                text(&mut body, LEFT - 8.0, y + dy, "end", "state", &c);
                if dy > 0.0 {
                    y += dy;
                }
            }
            if let Some(c) = b_change {
                let dy = if who.is_some_and(|h| h != 'A') {
                    14.0
                } else {
                    0.0
                };
                text(&mut body, RIGHT + 8.0, y + dy, "start", "state", &c);
                if dy > 0.0 {
                    y += dy;
                }
            }
            for (from, seg) in &st.sent {
                let (x1, x2) = if *from == 'A' {
                    (LEFT, RIGHT)
                } else {
                    (RIGHT, LEFT)
                };
                let y1 = y + 6.0;
                let y2 = y1 + ARROW - 8.0;
                let _ = writeln!(
                    body,
                    r#"<line x1="{x1:.0}" y1="{y1:.0}" x2="{x2:.0}" y2="{y2:.0}" class="seg" marker-end="url(#arrow)"/>"#
                );
                text(
                    &mut body,
                    (LEFT + RIGHT) / 2.0,
                    (y1 + y2) / 2.0 - 6.0,
                    "middle",
                    "seglabel",
                    &seg.to_string(),
                );
                y += ARROW;
            }
            for n in &st.notes {
                y += 15.0;
                text(
                    &mut body,
                    (LEFT + RIGHT) / 2.0,
                    y,
                    "middle",
                    "note",
                    &format!("({n})"),
                );
            }
        }
        if let Some(k) = self.loops_after {
            y += ROW;
            text(
                &mut body,
                (LEFT + RIGHT) / 2.0,
                y,
                "middle",
                "loop",
                &format!("<<< back to the state after step {k}: the loop repeats forever <<<"),
            );
        }
        y += ROW;
        let bottom = y - 14.0;
        text(&mut body, 12.0, y, "start", "num", "end");
        text(&mut body, LEFT, y, "middle", "state", prev.0.name());
        text(&mut body, RIGHT, y, "middle", "state", prev.1.name());
        let height = y + 12.0;
        let mut out = String::new();
        let _ = writeln!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="msc" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="monospace" font-size="12">
<style>
.msc text {{ fill: #222; }} .msc .head {{ font-weight: bold; font-size: 13px; }}
.msc .state {{ fill: #1a5fb4; font-weight: bold; }} .msc .num {{ fill: #888; }}
.msc .net {{ fill: #a51d2d; }} .msc .bad {{ fill: #a51d2d; font-weight: bold; }}
.msc .old {{ fill: #c64600; }} .msc .tick {{ fill: #666; }} .msc .note {{ fill: #555; font-style: italic; }}
.msc .loop {{ fill: #813d9c; }} .msc .seglabel {{ fill: #26a269; }}
.msc .life {{ stroke: #999; stroke-dasharray: 4 3; }} .msc .seg {{ stroke: #26a269; stroke-width: 1.5; }}
</style>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#26a269"/></marker></defs>
<rect width="{WIDTH}" height="{height:.0}" fill="#fdfdfd"/>
<line x1="{LEFT}" y1="{top:.0}" x2="{LEFT}" y2="{bottom:.0}" class="life"/>
<line x1="{RIGHT}" y1="{top:.0}" x2="{RIGHT}" y2="{bottom:.0}" class="life"/>"##
        );
        out.push_str(&body);
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Budgets, Config, Scenario};
    use crate::mechanism::Variant;

    fn two_way() -> System {
        System::new(Config::new(
            Scenario::ClientServer,
            Variant::TwoWayHandshake,
            Budgets::default(),
        ))
    }

    /// Walk `n` steps, always taking the first action, as the Explorer would by index 0.
    fn walk(sys: &System, n: usize) -> Trace<SysState, Action> {
        let mut s = sys.init_states().remove(0);
        let mut steps = Vec::new();
        for _ in 0..n {
            let mut actions = Vec::new();
            sys.actions(&s, &mut actions);
            let Some(a) = actions.first().copied() else {
                break;
            };
            let next = sys
                .next_state(&s, a)
                .expect("an enabled action has a successor");
            steps.push((s, Some(a)));
            s = next;
        }
        steps.push((s, None));
        Trace {
            steps,
            cycle_start: None,
        }
    }

    #[test]
    fn actions_are_named_as_the_charts_name_them() {
        let sys = two_way();
        let t = walk(&sys, 2);
        let names: Vec<String> = t
            .steps
            .iter()
            .filter_map(|(_, a)| a.as_ref().map(action_name))
            .collect();
        assert_eq!(names[0], "A: connect()");
        assert!(names[1].starts_with("B: rcv S seq="), "{names:?}");
        assert!(names[1].ends_with(" from A"), "{names:?}");
        let f = match t.steps[1].1 {
            Some(Action::Deliver(f)) => f,
            other => panic!("expected a delivery, got {other:?}"),
        };
        assert_eq!(
            action_name(&Action::Lose(f)),
            format!("network loses {} (from A)", f.seg)
        );
        assert_eq!(action_name(&Action::Tick), "tick");
    }

    #[test]
    fn the_summary_has_a_line_per_host_and_for_the_network() {
        let sys = two_way();
        let t = walk(&sys, 1);
        let s = &t.steps[1].0;
        let summary = state_summary(&sys, s);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines.len(), 4, "{summary}");
        assert!(lines[0].starts_with("A (client) SYN-SENT"), "{summary}");
        assert!(lines[1].starts_with("B (server) LISTEN"), "{summary}");
        assert!(lines[2].starts_with("in flight: S seq="), "{summary}");
        assert!(lines[2].contains("A->B"), "{summary}");
    }

    #[test]
    fn a_path_encodes_as_action_indices_and_draws_as_a_chart() {
        let sys = two_way();
        let t = walk(&sys, 3);
        assert_eq!(explorer_path(&sys, &t).as_deref(), Some("0/0/0/0"));
        let svg = crate::chart::chart(&sys, &t).to_svg();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(">connect()</text>"), "{svg}");
        assert!(svg.contains("-&gt; SYN-SENT"), "{svg}");
        assert!(svg.contains("marker-end"), "a segment is an arrow: {svg}");
        let other = System::new(Config::new(
            Scenario::PeerToPeer,
            Variant::Standard,
            Budgets::default(),
        ));
        assert_eq!(explorer_path(&other, &t), None, "a path of another model");
    }
}
