//! `one_of` (schema version 2): where the RFCs allow several behaviours, a vector names the
//! choice and gives each allowed behaviour as a branch of observations (`expect`, `app`,
//! `state`, `quiet`); the target must match exactly one branch.
//!
//! The replayer observes the target once ([`crate::replay`]): it watches the wire for as long
//! as the most demanding branch needs ([`horizon`]), or until the target shows that it can send
//! nothing more before then, and reads the connection's state at the end. This module judges
//! every branch against that one observation ([`fit`]) without touching the target; the
//! application events a branch names are checked afterwards by the replayer, only for the
//! branches whose segments and state fit, because checking one consumes what it saw (the bytes
//! read, the error taken), as an `app` step does.
//!
//! What a branch's steps mean against the observation:
//!
//! - `expect`: the next segment not yet taken by this branch matches, within the reply window
//!   counted from the previous segment the branch took (or from the start; a `timer` step just
//!   before the `one_of` gives the first `expect` its timer's window instead);
//! - `quiet: d`: no segment comes within `d` of the previous one the branch took; a `quiet`
//!   after the branch's last `expect` (or in a branch without one) means that nothing more
//!   comes while the `one_of` is watched at all, so that a branch in which the target sends
//!   nothing is told apart from one in which it sends, however late the other branch's
//!   segment may come within its window;
//! - `state`: the state read at the end of the observation;
//! - `app`: the application observes the event (checked by the replayer, see above).
//!
//! Segments after the last one the matching branch takes stay on the wire for the steps that
//! follow the `one_of` (a common continuation).

use crate::matching::{compare, describe_pattern, describe_segment};
use crate::replay::FailureKind;
use crate::segment::Segment;
use crate::symbols::Symbols;
use crate::timing::{TimerProfile, Window};
use std::time::Duration;
use tcp_vectors::{AppEvent, Branch, Step, TcpState};

/// What the target did during a `one_of`, observed once for every branch.
#[derive(Clone, Debug)]
pub struct Observation {
    /// The segments the target sent, in order, each with its arrival time counted from the
    /// start of the observation (a segment left on the wire by an earlier step counts as
    /// arriving at the start).
    pub segments: Vec<(Segment, Duration)>,
    /// The window of the first `expect` when a `timer` step came just before the `one_of`
    /// (times then count from the timer's start); `None`: reply windows.
    pub first: Option<Window>,
    /// How long the wire was watched.
    pub watched: Duration,
    /// The connection's state at the end, when a branch names one.
    pub state: Option<TcpState>,
}

/// A branch whose segments and state fit the observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    /// How many of the observed segments, from the first, the branch takes.
    pub consumed: usize,
    /// The application events the branch names, in order, still to be checked.
    pub apps: Vec<AppEvent>,
}

/// Where a branch first differs from the observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The kind of difference, as a plain step would report it.
    pub kind: FailureKind,
    /// What the branch says and what the target did.
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// How long the wire must be watched for this branch: the reply (or timer) windows of its
/// `expect` steps one after the other, its `quiet` windows, and at least the reply bound for a
/// `state` or `app` step (the timer's window when a timer step came before).
pub fn horizon(branch: &Branch, timers: &TimerProfile, first: Option<Window>) -> Duration {
    let mut first = first;
    let mut t = Duration::ZERO;
    for step in &branch.steps {
        match step {
            Step::Expect(p) => t += first.take().unwrap_or(timers.reply_window(p)).latest,
            Step::Quiet(d) => {
                first = None;
                t += Duration::from_millis(d.0);
            }
            _ => t = t.max(first.map_or(timers.response, |w| w.latest)),
        }
    }
    t
}

/// Judge `branch` against `obs` (segments and state; the application events it names are
/// returned for the replayer to check). `Err` is the branch's first difference.
pub fn fit(
    branch: &Branch,
    obs: &Observation,
    timers: &TimerProfile,
    sym: &Symbols,
) -> Result<Fit, Mismatch> {
    let miss = |kind, message: String| Err(Mismatch { kind, message });
    let last_expect = branch
        .steps
        .iter()
        .rposition(|s| matches!(s, Step::Expect(_)));
    let mut first = obs.first;
    let mut next = 0;
    let mut at = Duration::ZERO;
    let mut apps = Vec::new();
    for (i, step) in branch.steps.iter().enumerate() {
        match step {
            Step::Expect(p) => {
                let window = first.take().unwrap_or(timers.reply_window(p));
                let Some((seg, when)) = obs.segments.get(next) else {
                    return miss(
                        FailureKind::Missing,
                        format!(
                            "expected {} within {}, nothing arrived",
                            describe_pattern(p),
                            ms(window.latest)
                        ),
                    );
                };
                let got = describe_segment(seg, sym);
                let diffs: Vec<String> =
                    compare(p, seg, sym).iter().map(|d| d.to_string()).collect();
                if !diffs.is_empty() {
                    return miss(
                        FailureKind::Field,
                        format!(
                            "expected {}, got {got}: {}",
                            describe_pattern(p),
                            diffs.join("; ")
                        ),
                    );
                }
                let after = when.saturating_sub(at);
                if after > window.latest {
                    return miss(
                        FailureKind::Missing,
                        format!(
                            "expected {} within {}, got {got} only later",
                            describe_pattern(p),
                            ms(window.latest)
                        ),
                    );
                }
                if after < window.earliest {
                    return miss(
                        FailureKind::Timing,
                        format!(
                            "got {got} before {}, the earliest its timer can fire",
                            ms(window.earliest)
                        ),
                    );
                }
                next += 1;
                at = *when;
            }
            Step::Quiet(d) => {
                first = None;
                let d = Duration::from_millis(d.0);
                if let Some((seg, when)) = obs.segments.get(next) {
                    let got = describe_segment(seg, sym);
                    let to_the_end = last_expect.is_none_or(|e| e < i);
                    if to_the_end {
                        return miss(
                            FailureKind::Extra,
                            format!("got {got}, where this branch sends nothing (more)"),
                        );
                    }
                    if when.saturating_sub(at) <= d {
                        return miss(
                            FailureKind::Extra,
                            format!("got {got} during a quiet window of {}", ms(d)),
                        );
                    }
                }
                at += d;
            }
            Step::State(want) => {
                if obs.state != Some(*want) {
                    let is = obs
                        .state
                        .map_or_else(|| "unknown".to_string(), |s| s.to_string());
                    return miss(
                        FailureKind::State,
                        format!("expected {want}, the connection is {is}"),
                    );
                }
            }
            Step::App(e) => apps.push(*e),
            other => {
                return miss(
                    FailureKind::Vector,
                    format!(
                        "a branch holds only expect, app, state and quiet, not `{}`",
                        other.key()
                    ),
                )
            }
        }
    }
    Ok(Fit {
        consumed: next,
        apps,
    })
}

/// The observed segments (and state) in a line: with `times`, when each came and how long the
/// wire was watched (for the transcript); without, only what happened (for the verdict, which
/// stays the same from run to run).
pub fn describe(obs: &Observation, sym: &Symbols, times: bool) -> String {
    let sent = if obs.segments.is_empty() {
        "nothing".to_string()
    } else {
        obs.segments
            .iter()
            .map(|(s, t)| match times {
                true => format!("{} after {}", describe_segment(s, sym), ms(*t)),
                false => describe_segment(s, sym),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!("sent {sent}");
    if times {
        s.push_str(&format!(" (watched {})", ms(obs.watched)));
    }
    if let Some(state) = obs.state {
        s.push_str(&format!(", state {state}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(text: &str) -> Branch {
        serde_yaml::with::singleton_map_recursive::deserialize(serde_yaml::Deserializer::from_str(
            text,
        ))
        .expect("branch parses")
    }

    fn seg(flags: &str, ack: u32) -> Segment {
        Segment {
            src: "192.0.2.1:1".parse().unwrap(),
            dst: "192.0.2.2:2".parse().unwrap(),
            flags: flags.parse().unwrap(),
            seq: 1001,
            ack,
            window: 1000,
            len: 0,
            urgent: 0,
            options: Default::default(),
        }
    }

    fn setup() -> (TimerProfile, Symbols) {
        let mut sym = Symbols::for_vector("t");
        sym.iss = Some(1000);
        let mut timers = TimerProfile::linux();
        timers.response = Duration::from_millis(30);
        timers.delayed_ack_max = Duration::from_millis(10);
        (timers, sym)
    }

    fn obs(segments: Vec<(Segment, u64)>, state: Option<TcpState>) -> Observation {
        Observation {
            segments: segments
                .into_iter()
                .map(|(s, t)| (s, Duration::from_millis(t)))
                .collect(),
            first: None,
            watched: Duration::from_millis(40),
            state,
        }
    }

    #[test]
    fn the_horizon_is_the_windows_of_a_branch_in_turn() {
        let (timers, _) = setup();
        let b = branch("{name: b, steps: [{expect: {flags: A}}, {expect: {flags: FA}}]}");
        // A pure ACK: delayed ACK (10) + reply (30); then a FIN: reply (30).
        assert_eq!(horizon(&b, &timers, None), Duration::from_millis(70));
        let q = branch("{name: q, steps: [{state: TIME-WAIT}, {quiet: 50ms}]}");
        assert_eq!(horizon(&q, &timers, None), Duration::from_millis(80));
        let timer = Window {
            earliest: Duration::from_millis(100),
            latest: Duration::from_millis(500),
        };
        assert_eq!(
            horizon(&b, &timers, Some(timer)),
            Duration::from_millis(530)
        );
    }

    #[test]
    fn a_quiet_branch_is_told_apart_from_one_that_sends_late() {
        let (timers, sym) = setup();
        let irs = sym.irs;
        let quiet = branch("{name: ignored, steps: [{state: TIME-WAIT}, {quiet: 5ms}]}");
        let ack = branch("{name: challenge-ack, steps: [{expect: {flags: A, ack: irs+2}}]}");
        // The ACK comes after the quiet branch's 5 ms: still not "nothing".
        let sent = obs(vec![(seg("A", irs + 2), 20)], Some(TcpState::TimeWait));
        let m = fit(&quiet, &sent, &timers, &sym).expect_err("something was sent");
        assert_eq!(m.kind, FailureKind::Extra, "{m}");
        assert_eq!(
            fit(&ack, &sent, &timers, &sym),
            Ok(Fit {
                consumed: 1,
                apps: vec![]
            })
        );
        let silent = obs(vec![], Some(TcpState::TimeWait));
        assert!(fit(&quiet, &silent, &timers, &sym).is_ok());
        let m = fit(&ack, &silent, &timers, &sym).expect_err("nothing was sent");
        assert_eq!(m.kind, FailureKind::Missing, "{m}");
    }

    #[test]
    fn each_branch_names_its_first_difference() {
        let (timers, sym) = setup();
        let irs = sym.irs;
        let b = branch(
            "{name: b, steps: [{expect: {flags: A, ack: irs+1}}, {app: {data: 3}}, \
             {state: ESTABLISHED}]}",
        );
        let m = fit(&b, &obs(vec![(seg("A", irs + 4), 1)], None), &timers, &sym)
            .expect_err("wrong ack");
        assert_eq!(m.kind, FailureKind::Field);
        assert!(m.message.contains("ack differs"), "{m}");
        let late = obs(vec![(seg("A", irs + 1), 45)], None);
        let m = fit(&b, &late, &timers, &sym).expect_err("too late");
        assert_eq!(m.kind, FailureKind::Missing);
        assert!(m.message.contains("within 40ms, got A"), "{m}");
        let ok = obs(vec![(seg("A", irs + 1), 1)], Some(TcpState::CloseWait));
        let m = fit(&b, &ok, &timers, &sym).expect_err("wrong state");
        assert_eq!(
            m.to_string(),
            "state: expected ESTABLISHED, the connection is CLOSE-WAIT"
        );
        let ok = obs(vec![(seg("A", irs + 1), 1)], Some(TcpState::Established));
        assert_eq!(
            fit(&b, &ok, &timers, &sym),
            Ok(Fit {
                consumed: 1,
                apps: vec![AppEvent::Data(3)]
            })
        );
    }

    #[test]
    fn a_quiet_before_a_later_expect_covers_its_own_length_only() {
        let (timers, sym) = setup();
        let irs = sym.irs;
        let b = branch("{name: b, steps: [{quiet: 5ms}, {expect: {flags: A, ack: irs+1}}]}");
        let early = obs(vec![(seg("A", irs + 1), 3)], None);
        assert_eq!(
            fit(&b, &early, &timers, &sym).map_err(|m| m.kind),
            Err(FailureKind::Extra)
        );
        let later = obs(vec![(seg("A", irs + 1), 8)], None);
        assert!(fit(&b, &later, &timers, &sym).is_ok());
    }
}
