//! Verdicts and their reports: summary table, JSON, JUnit XML, and a deterministic text for
//! snapshot review (no timings, no random numbers).

use crate::deviations::Deviation;
use crate::replay::{Choice, Failure};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The verdict of one vector over one IP version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every step held.
    Pass,
    /// A step did not hold and no deviation entry covers it (or a stale entry was found).
    Fail,
    /// A step did not hold and a deviation entry covers it.
    Deviation,
}

impl Verdict {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Deviation => "deviation",
        }
    }
}

/// Decide the verdict of a replay from the difference that ended it (if any), the differences
/// it went on past because an entry explains them (with the entry's index), and the entries
/// that cover the vector (see [`crate::deviations::Deviations::covering`]); returns the
/// verdict and its explanation.
pub fn classify(
    failure: Option<&Failure>,
    explained: &[(Failure, usize)],
    covering: &[(usize, &Deviation)],
) -> (Verdict, String) {
    let entry = |i: usize| covering.iter().find(|(j, _)| *j == i).map(|(_, d)| *d);
    let listed: Vec<String> = explained
        .iter()
        .map(|(f, i)| match entry(*i) {
            Some(d) => format!("{f} [{}; {}]", d.does, d.rfc),
            None => f.to_string(),
        })
        .collect();
    if let Some(f) = failure {
        let text = f.to_string();
        let mut detail = if covering.is_empty() {
            text
        } else {
            let texts: Vec<String> = covering
                .iter()
                .flat_map(|(_, d)| d.observed.iter().map(|o| format!("{o:?}")))
                .collect();
            format!(
                "{text} (deviations are listed, but none of their `observed` texts occurs: {})",
                texts.join(", ")
            )
        };
        if !listed.is_empty() {
            detail = format!("{detail}; after listed deviations: {}", listed.join(" | "));
        }
        return (Verdict::Fail, detail);
    }
    if !listed.is_empty() {
        return (Verdict::Deviation, listed.join(" | "));
    }
    if covering.iter().any(|(_, d)| !d.is_pattern()) {
        return (
            Verdict::Fail,
            "listed as a deviation, but the target behaved as the vector says: remove the stale entry".into(),
        );
    }
    (Verdict::Pass, String::new())
}

/// The result of one vector over one IP version.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    /// Vector id.
    pub id: String,
    /// `v4` or `v6`.
    pub ip: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall-clock milliseconds of the replay.
    pub millis: f64,
    /// Whether the vector waits for a target timer (retransmission, keepalive, TIME-WAIT),
    /// which costs the timer's length; timing statistics are also given without these.
    pub timers: bool,
    /// Why it failed or deviates (empty for a pass).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// For a deviation: the entry that covers it (its id or pattern, and its `observed` text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The branch the target took at each `one_of` of the vector it got through.
    pub choices: Vec<Choice>,
    /// What happened, for anything but a pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transcript: Vec<String>,
}

/// Totals over a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Totals {
    /// Replays (vectors x IP versions).
    pub total: usize,
    /// Passes.
    pub pass: usize,
    /// Listed deviations.
    pub deviation: usize,
    /// Failures.
    pub fail: usize,
    /// Median milliseconds per replay.
    pub median_ms: f64,
    /// 95th-percentile milliseconds per replay.
    pub p95_ms: f64,
    /// Median milliseconds per replay of vectors without timer steps.
    pub median_ms_without_timers: f64,
    /// 95th-percentile milliseconds per replay of vectors without timer steps.
    pub p95_ms_without_timers: f64,
    /// Wall-clock milliseconds of the whole run.
    pub wall_ms: f64,
}

/// A finished (or interrupted) run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Target name.
    pub target: String,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// Parallel jobs used.
    pub jobs: usize,
    /// True if Ctrl-C stopped the run early.
    pub interrupted: bool,
    /// Results sorted by id, then IP version.
    pub results: Vec<CaseResult>,
    /// Every deviation entry, in file order, with the number of replays it covered.
    pub deviation_use: Vec<DeviationUse>,
    /// Whether the run replayed every vector over both IP versions, so that an entry that
    /// covered nothing is stale rather than merely filtered out.
    pub complete: bool,
    /// Wall-clock duration of the run.
    #[serde(skip)]
    pub wall: Duration,
}

/// How often one deviation entry applied in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviationUse {
    /// The entry's id or pattern.
    pub id: String,
    /// The entry's `observed` texts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<String>,
    /// Replays it turned into a `deviation` verdict.
    pub replays: usize,
    /// Whether the run replayed a vector (over an IP version) the entry names: an entry for
    /// vectors the run does not have cannot be judged stale by it (e.g. an entry for a
    /// hand-written fixture in a run of the generated vectors).
    pub applicable: bool,
}

/// How reports write a `one_of` at which no allowed branch matched.
pub const NO_BRANCH: &str = "(no allowed branch)";

/// The RFC choices a target made over a run: for each choice (a `one_of`'s name), the branches
/// it took and in how many replays each (`None`: no allowed branch matched).
pub type ChoiceProfile = BTreeMap<String, BTreeMap<Option<String>, usize>>;

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report {
    /// Entries that covered nothing in a complete run (stale: the target no longer deviates
    /// there, or the vectors changed); empty for a filtered run.
    pub fn unused_deviations(&self) -> Vec<&DeviationUse> {
        if !self.complete || self.interrupted {
            return Vec::new();
        }
        self.deviation_use
            .iter()
            .filter(|d| d.applicable && d.replays == 0)
            .collect()
    }

    /// The branches the target took at each RFC choice over the run, with their replay counts.
    pub fn choice_profile(&self) -> ChoiceProfile {
        let mut profile = ChoiceProfile::new();
        for c in self.results.iter().flat_map(|r| &r.choices) {
            *profile
                .entry(c.choice.clone())
                .or_default()
                .entry(c.branch.clone())
                .or_default() += 1;
        }
        profile
    }

    /// The table "RFC choices": one row per choice, the branch(es) taken and in how many
    /// replays; a choice the target made differently in different vectors shows each branch
    /// (and is marked), one at which it took none of the allowed branches shows that. Empty
    /// when no replay reached a `one_of`.
    pub fn choices_text(&self) -> String {
        let profile = self.choice_profile();
        let mut s = String::new();
        if profile.is_empty() {
            return s;
        }
        let width = profile.keys().map(|k| k.len()).max().unwrap_or(0).max(6);
        let _ = writeln!(s, "RFC choices ({}):", self.target);
        let _ = writeln!(s, "  {:<width$}  branch taken (replays)", "choice");
        for (choice, branches) in &profile {
            let taken = branches
                .iter()
                .map(|(b, n)| format!("{} ({n})", b.as_deref().unwrap_or(NO_BRANCH)))
                .collect::<Vec<_>>()
                .join(", ");
            let mark = if branches.len() > 1 {
                "   <- not the same in every vector"
            } else {
                ""
            };
            let _ = writeln!(s, "  {choice:<width$}  {taken}{mark}");
        }
        s
    }

    fn deviation_use_text(&self, s: &mut String) {
        if self.deviation_use.is_empty() {
            return;
        }
        let _ = writeln!(s, "deviation entries (replays covered):");
        // A filtered run only names the entries it used; a complete one names all those it
        // could use, so that an entry covering nothing stands out.
        let shown = self
            .deviation_use
            .iter()
            .filter(|d| (self.complete && d.applicable) || d.replays > 0);
        for d in shown {
            let label = crate::deviations::label(&d.id, &d.observed);
            let _ = writeln!(s, "  {:>4}  {label}", d.replays);
        }
        let elsewhere = self
            .deviation_use
            .iter()
            .filter(|d| self.complete && !d.applicable)
            .count();
        if elsewhere > 0 {
            let _ = writeln!(
                s,
                "entries that name only vectors this run does not have (not judged): {elsewhere}"
            );
        }
        let unused = self.unused_deviations();
        if !unused.is_empty() {
            let _ = writeln!(
                s,
                "{} entries covered nothing in this complete run: they are stale",
                unused.len()
            );
        }
    }

    /// Counts and timing statistics.
    pub fn totals(&self) -> Totals {
        let mut ms: Vec<f64> = self.results.iter().map(|r| r.millis).collect();
        ms.sort_by(f64::total_cmp);
        let mut quick: Vec<f64> = self
            .results
            .iter()
            .filter(|r| !r.timers)
            .map(|r| r.millis)
            .collect();
        quick.sort_by(f64::total_cmp);
        let count = |v: Verdict| self.results.iter().filter(|r| r.verdict == v).count();
        Totals {
            total: self.results.len(),
            pass: count(Verdict::Pass),
            deviation: count(Verdict::Deviation),
            fail: count(Verdict::Fail),
            median_ms: percentile(&ms, 50.0),
            p95_ms: percentile(&ms, 95.0),
            median_ms_without_timers: percentile(&quick, 50.0),
            p95_ms_without_timers: percentile(&quick, 95.0),
            wall_ms: self.wall.as_secs_f64() * 1000.0,
        }
    }

    /// The human summary: a table of verdicts per IP version, timings, then every deviation
    /// and failure with its reason.
    pub fn summary(&self) -> String {
        let t = self.totals();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "target {} (kernel {}), {} replays, {} jobs{}",
            self.target,
            self.kernel,
            t.total,
            self.jobs,
            if self.interrupted {
                ", INTERRUPTED"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "{:<6} {:>6} {:>10} {:>6}",
            "", "pass", "deviation", "fail"
        );
        for ip in ["v4", "v6"] {
            let c = |v: Verdict| {
                self.results
                    .iter()
                    .filter(|r| r.ip == ip && r.verdict == v)
                    .count()
            };
            let label = if ip == "v4" { "IPv4" } else { "IPv6" };
            let _ = writeln!(
                s,
                "{label:<6} {:>6} {:>10} {:>6}",
                c(Verdict::Pass),
                c(Verdict::Deviation),
                c(Verdict::Fail)
            );
        }
        let _ = writeln!(
            s,
            "{:<6} {:>6} {:>10} {:>6}",
            "total", t.pass, t.deviation, t.fail
        );
        let _ = writeln!(
            s,
            "per replay: median {:.2} ms, p95 {:.2} ms; without timer steps: median {:.2} ms, \
             p95 {:.2} ms; whole run {:.2} s",
            t.median_ms,
            t.p95_ms,
            t.median_ms_without_timers,
            t.p95_ms_without_timers,
            t.wall_ms / 1000.0
        );
        for (title, v) in [
            ("deviations", Verdict::Deviation),
            ("failures", Verdict::Fail),
        ] {
            let list: Vec<&CaseResult> = self.results.iter().filter(|r| r.verdict == v).collect();
            if !list.is_empty() {
                let _ = writeln!(s, "{title}:");
                for r in list {
                    let _ = writeln!(s, "  {} [{}]: {}", r.id, r.ip, r.detail);
                }
            }
        }
        s.push_str(&self.choices_text());
        self.deviation_use_text(&mut s);
        s
    }

    /// Deterministic text of every verdict and reason: the snapshot of a target's conformance.
    /// A replay that went through a `one_of` names the branch it took (`{choice=branch}`), and
    /// the "RFC choices" table follows the verdicts.
    pub fn verdicts_text(&self) -> String {
        let mut s = String::new();
        for r in &self.results {
            let _ = write!(s, "{} [{}] {}", r.id, r.ip, r.verdict.name());
            if !r.choices.is_empty() {
                let taken: Vec<String> = r
                    .choices
                    .iter()
                    .map(|c| {
                        let b = c.branch.as_deref().unwrap_or(NO_BRANCH);
                        format!("{}={b}", c.choice)
                    })
                    .collect();
                let _ = write!(s, " {{{}}}", taken.join(", "));
            }
            match (&r.entry, r.detail.is_empty()) {
                (Some(entry), _) => {
                    let _ = write!(s, ": {entry}");
                }
                (None, false) => {
                    let _ = write!(s, ": {}", r.detail);
                }
                (None, true) => {}
            }
            s.push('\n');
        }
        s.push_str(&self.choices_text());
        self.deviation_use_text(&mut s);
        s
    }

    /// JSON: per replay `id`, `ip`, `verdict`, `millis`, `timers`, `choices` (a list of
    /// `{choice, branch}`, `branch` null where no allowed branch matched) (and `detail`,
    /// `transcript` when not a pass), plus `totals` and `choices` (the profile: choice ->
    /// branch -> replays, [`NO_BRANCH`] for none).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "target": self.target,
            "kernel": self.kernel,
            "jobs": self.jobs,
            "interrupted": self.interrupted,
            "results": self.results,
            "deviation_use": self.deviation_use,
            "choices": self
                .choice_profile()
                .into_iter()
                .map(|(choice, branches)| {
                    let branches: BTreeMap<String, usize> = branches
                        .into_iter()
                        .map(|(b, n)| (b.unwrap_or_else(|| NO_BRANCH.to_string()), n))
                        .collect();
                    (choice, branches)
                })
                .collect::<BTreeMap<_, _>>(),
            "totals": self.totals(),
        })
    }

    /// JUnit XML: one test case per replay; a deviation is reported as skipped with its
    /// justification (it is not a pass), a failure as a failure.
    pub fn to_junit(&self) -> String {
        let t = self.totals();
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(s, "<testsuite name=\"conformance-{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            xml_escape(&self.target), t.total, t.fail, t.deviation, t.wall_ms / 1000.0);
        for r in &self.results {
            let _ = write!(
                s,
                "  <testcase classname=\"conformance.{}.{}\" name=\"{}\" time=\"{:.4}\"",
                xml_escape(&self.target),
                r.ip,
                xml_escape(&r.id),
                r.millis / 1000.0
            );
            match r.verdict {
                Verdict::Pass => s.push_str("/>\n"),
                Verdict::Fail => {
                    let _ = writeln!(
                        s,
                        ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>",
                        xml_escape(&r.detail),
                        xml_escape(&r.transcript.join("\n"))
                    );
                }
                Verdict::Deviation => {
                    let _ = writeln!(
                        s,
                        ">\n    <skipped message=\"deviation: {}\"/>\n  </testcase>",
                        xml_escape(&r.detail)
                    );
                }
            }
        }
        s.push_str("</testsuite>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::FailureKind;

    fn failure() -> Failure {
        Failure {
            step: 3,
            kind: FailureKind::State,
            message: "expected LISTEN".into(),
        }
    }

    fn deviation(observed: Option<&str>) -> Deviation {
        Deviation {
            id: "x".into(),
            ip: Default::default(),
            does: "stays".into(),
            rfc: "real deviation".into(),
            observed: observed.map(String::from).into_iter().collect(),
            continues: false,
        }
    }

    #[test]
    fn verdict_logic() {
        let none = deviation(None);
        let mut pattern = deviation(Some("state"));
        pattern.id = "*".into();
        let f = failure();
        assert_eq!(classify(None, &[], &[]).0, Verdict::Pass);
        assert_eq!(classify(Some(&f), &[], &[]).0, Verdict::Fail);
        assert_eq!(
            classify(None, &[(f.clone(), 0)], &[(0, &none)]),
            (
                Verdict::Deviation,
                "step 3: state: expected LISTEN [stays; real deviation]".into()
            )
        );
        assert_eq!(
            classify(None, &[], &[(0, &none)]).0,
            Verdict::Fail,
            "stale entry"
        );
        assert_eq!(
            classify(None, &[], &[(0, &pattern)]).0,
            Verdict::Pass,
            "patterns are not stale"
        );
        // A difference after a listed one still fails, and says what went before.
        let (v, detail) = classify(Some(&f), &[(f.clone(), 0)], &[(0, &pattern)]);
        assert_eq!(v, Verdict::Fail);
        assert!(detail.contains("after listed deviations"), "{detail}");
    }

    #[test]
    fn the_choices_table_shows_every_branch_a_target_took() {
        let result = |id: &str, choice: &str, branch: Option<&str>| CaseResult {
            id: id.into(),
            ip: "v4",
            verdict: Verdict::Pass,
            millis: 1.0,
            timers: false,
            detail: String::new(),
            entry: None,
            choices: vec![Choice {
                choice: choice.into(),
                branch: branch.map(String::from),
            }],
            transcript: Vec::new(),
        };
        let report = Report {
            target: "t".into(),
            kernel: "k".into(),
            jobs: 1,
            interrupted: false,
            results: vec![
                result("a", "syn-text", Some("queued")),
                result("b", "syn-text", Some("dropped")),
                result("c", "syn-text", Some("queued")),
                result("d", "synack-text-ack", None),
            ],
            deviation_use: Vec::new(),
            complete: true,
            wall: Duration::ZERO,
        };
        let text = report.choices_text();
        assert!(
            text.contains("syn-text         dropped (1), queued (2)   <- not the same"),
            "{text}"
        );
        assert!(
            text.contains("synack-text-ack  (no allowed branch) (1)"),
            "{text}"
        );
        assert!(report
            .verdicts_text()
            .contains("d [v4] pass {synack-text-ack=(no allowed branch)}"));
        let json = report.to_json();
        assert_eq!(json["choices"]["syn-text"]["queued"], 2);
        assert_eq!(
            json["results"][3]["choices"][0]["branch"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
