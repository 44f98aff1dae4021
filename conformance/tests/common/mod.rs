//! What the fixture tests of both targets share: where the fixtures are, how a folder of them
//! is replayed, and the check that a failing fixture fails for the reason it names.

#![allow(dead_code)] // each test file uses its own part

use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use tcp_conformance::deviations::Deviations;
use tcp_conformance::loader::{load_dir, LoadedVector};
use tcp_conformance::report::{Report, Verdict};
use tcp_conformance::runner::{run_vectors, IMPL_DEVIATIONS, LINUX_DEVIATIONS};
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
    let (text, name) = match kind {
        TargetKind::Linux => (LINUX_DEVIATIONS, "linux.yaml"),
        TargetKind::Impl => (IMPL_DEVIATIONS, "impl.yaml"),
    };
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
