//! The whole vector suite against this machine's Linux kernel, over IPv4 and IPv6, with the
//! shipped deviations (conformance/deviations/linux.yaml): nothing may fail, every deviation
//! entry must still cover something, and the verdict of every replay is an insta snapshot, so
//! that a different kernel (or a model change) shows up as a diff to review with
//! `cargo insta review`. Needs root (CI runs as root); without it the test fails with the
//! error that says how to run it. It takes about a minute: Linux's TIME-WAIT lasts 60 s and
//! the TIME-WAIT vectors wait it out.

use std::path::Path;
use tcp_conformance::runner::run_suite;
use tcp_conformance::TargetKind;

#[test]
fn linux_conformance_report_matches_its_snapshot() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let report = match run_suite(&vectors, TargetKind::Linux) {
        Ok(r) => r,
        Err(e) => panic!(
            "the suite could not run: {e:#}\n(it needs root, or a user namespace with \
             CAP_NET_ADMIN: run `sudo -E cargo test --release -p tcp-conformance --test linux_suite`)"
        ),
    };
    let summary = report.summary();
    let totals = report.totals();
    assert!(!report.interrupted, "{summary}");
    assert_eq!(
        totals.fail, 0,
        "unlisted differences from the model:\n{summary}"
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
    assert!(totals.pass > totals.deviation, "{summary}");
    insta::assert_snapshot!("linux_report", report.verdicts_text());
}
