//! What the fixture tests of both targets share: where the fixtures are, how a folder of them
//! is replayed, and the check that a failing fixture fails for the reason it names.

#![allow(dead_code)] // each test file uses its own part

use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tcp_conformance::deviations::Deviations;
use tcp_conformance::loader::{load_dir, LoadedVector};
use tcp_conformance::report::{Report, Verdict};
use tcp_conformance::runner::run_vectors;
use tcp_conformance::targets::shipped_deviations;
use tcp_conformance::{ReplayArgs, TargetKind};

/// A folder of `tests/fixtures`.
pub fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(sub)
}

/// The fixtures below `tests/fixtures/<sub>`.
pub fn load(sub: &str) -> Vec<LoadedVector> {
    load_dir(&fixtures(sub), None).expect("fixtures load")
}

/// The deviations shipped for a target (`conformance/deviations/<target>.yaml`).
pub fn shipped(kind: TargetKind) -> Deviations {
    let (text, name) = shipped_deviations(&kind).expect("the target ships deviations");
    Deviations::parse(text, name).expect("the shipped deviations parse")
}

/// Replay the fixtures below `tests/fixtures/<sub>` (optionally only the ids containing
/// `filter`) against a target over IPv4 and IPv6. Needs root: without it the test fails with
/// the error, which says how to run it.
pub fn run_on(
    kind: TargetKind,
    sub: &str,
    filter: Option<&str>,
    deviations: &Deviations,
    pcap: Option<PathBuf>,
) -> Report {
    let mut args = ReplayArgs::new(kind, fixtures(sub));
    args.pcap = pcap;
    args.filter = filter.map(String::from);
    let vectors = load_dir(&args.vectors, filter).expect("fixtures load");
    run_vectors(&vectors, &args, deviations, &ProgressBar::hidden())
        .unwrap_or_else(|e| panic!("the replay could not run (it needs root): {e:#}"))
}

/// Every replay of `report` passed.
pub fn assert_all_pass(report: &Report) {
    for r in &report.results {
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{} [{}]: {}\n{}",
            r.id,
            r.ip,
            r.detail,
            r.transcript.join("\n")
        );
    }
}

/// Every replay of `report` failed, with a detail that starts with the reason its fixture's
/// description names ("must fail with: ...").
pub fn assert_fail_for_the_named_reason(report: &Report, vectors: &[LoadedVector]) {
    assert_eq!(report.results.len(), 2 * vectors.len());
    for r in &report.results {
        let v = vectors
            .iter()
            .find(|v| v.vector.id == r.id)
            .expect("result of a fixture");
        let want = v
            .vector
            .description
            .strip_prefix("must fail with: ")
            .expect("fail fixtures say why");
        assert_eq!(r.verdict, Verdict::Fail, "{} [{}]", r.id, r.ip);
        assert!(
            r.detail.starts_with(want),
            "{} [{}]:\n  got  {}\n  want {want}\n{}",
            r.id,
            r.ip,
            r.detail,
            r.transcript.join("\n")
        );
    }
}

/// One row of the README's table: the choice the stack makes and the other allowed ones.
#[derive(Debug)]
pub struct Row {
    /// The choice the stack makes.
    pub choice: String,
    /// The other behaviours the RFCs allow.
    pub also_allowed: Vec<String>,
}

/// The table "RFC choices this stack makes" of impl/README.md: key -> row. Panics (the test
/// fails) when the section or its table is missing or a row is malformed.
pub fn readme_choices() -> BTreeMap<String, Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../impl/README.md");
    let text = std::fs::read_to_string(&path).expect("impl/README.md");
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("RFC choices this stack makes"))
        .expect("impl/README.md has a section \"RFC choices this stack makes\"");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [key, choice, also, ..] = cells[..] else {
            panic!("a row of the RFC choices table with fewer than three cells: {line}");
        };
        if key == "key" || key.starts_with("---") {
            continue;
        }
        let also_allowed = also.split(',').map(|a| a.trim().to_string()).collect();
        let row = Row {
            choice: choice.to_string(),
            also_allowed,
        };
        assert!(
            rows.insert(key.to_string(), row).is_none(),
            "key {key} twice"
        );
    }
    assert!(!rows.is_empty(), "the RFC choices table has no rows");
    rows
}

/// Where a target's choices profile disagrees with the README's table: a choice made that has
/// no row, or a choice other than the row's (several branches of one choice, or none of the
/// allowed ones, count as other).
pub fn disagreements(
    readme: &BTreeMap<String, Row>,
    profile: &tcp_conformance::report::ChoiceProfile,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (key, taken) in profile {
        let branches: Vec<Option<&str>> = taken.keys().map(Option::as_deref).collect();
        let chose = branches
            .iter()
            .map(|b| b.unwrap_or("no allowed branch"))
            .collect::<Vec<_>>()
            .join(" and ");
        match readme.get(key) {
            None => wrong.push(format!(
                "{key}: the stack chose {chose}; the README has no row"
            )),
            Some(row) if branches != [Some(row.choice.as_str())] => wrong.push(format!(
                "{key}: the README says {}, the stack chose {chose}",
                row.choice
            )),
            Some(_) => {}
        }
    }
    wrong
}

/// The whole suite ran against a target over both IP versions: nothing failed and no shipped
/// deviation entry is stale. Returns the report's summary for further messages.
pub fn assert_suite_conforms(report: &Report, vectors: usize) -> String {
    let summary = report.summary();
    assert!(!report.interrupted, "{summary}");
    for ip in ["v4", "v6"] {
        assert_eq!(
            report.results.iter().filter(|r| r.ip == ip).count(),
            vectors,
            "every vector over {ip}"
        );
    }
    let failures: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| {
            format!(
                "{} [{}]: {}\n{}",
                r.id,
                r.ip,
                r.detail,
                r.transcript.join("\n")
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} unlisted differences from the model:\n{}\n{summary}",
        failures.len(),
        failures.join("\n\n")
    );
    let unused: Vec<&str> = report
        .unused_deviations()
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert!(
        unused.is_empty(),
        "stale deviation entries {unused:?}\n{summary}"
    );
    summary
}

/// The generated vectors' folder.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// The verdict lines of a verdicts text (everything before the "RFC choices" table).
pub fn verdict_lines(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| !l.starts_with("RFC choices"))
        .collect()
}
