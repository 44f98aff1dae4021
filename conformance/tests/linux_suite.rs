//! The whole vector suite against this machine's Linux kernel, over IPv4 and IPv6, with the
//! shipped deviations (conformance/deviations/linux.yaml): nothing may fail, every deviation
//! entry must still cover something, and the verdict of every replay is an insta snapshot, so
//! that a different kernel (or a model change) shows up as a diff to review with
//! `cargo insta review`. Needs root (CI runs as root); without it the test fails with the
//! error that says how to run it. It takes about a minute: Linux's TIME-WAIT lasts 60 s and
//! the TIME-WAIT vectors wait it out.
//!
//! An entry that names no generated vector is not judged by this run; it must then name a
//! fixture of `tests/fixtures/choices` (whose own test judges it) or a long vector (which the
//! suite leaves out and `replay --long` judges), so that an entry left behind by a renamed
//! vector still fails here.
//!
//! A vector that expects more than the RFCs say is not a Linux deviation: the model is
//! corrected instead (the last one: a crossing SYN,ACK that carries text is a SYN in a
//! synchronized state, not Figure 8's repeat).

use std::path::Path;
use tcp_conformance::deviations::Deviations;
use tcp_conformance::loader::load_dir;
use tcp_conformance::report::Verdict;
use tcp_conformance::runner::run_suite;
use tcp_conformance::targets::LINUX_DEVIATIONS;
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
    let unexplained: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| format!("{} [{}]: {}", r.id, r.ip, r.detail))
        .collect();
    assert!(
        unexplained.is_empty(),
        "unlisted differences from the model:\n{}\n{summary}",
        unexplained.join("\n")
    );
    assert_eq!(totals.fail, 0, "{summary}");
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
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/choices");
    let mut fixtures = load_dir(&fixtures, None).expect("the choices fixtures load");
    let long = load_dir(&vectors, None).expect("the vectors load");
    fixtures.extend(long.into_iter().filter(|v| v.vector.is_long()));
    let shipped = Deviations::parse(LINUX_DEVIATIONS, "linux.yaml").expect("deviations parse");
    for (i, d) in report.deviation_use.iter().enumerate() {
        if d.applicable {
            continue;
        }
        let names_a_fixture_or_long = fixtures.iter().any(|v| {
            [false, true].into_iter().any(|ipv6| {
                shipped
                    .covering(&v.vector.id, ipv6)
                    .iter()
                    .any(|(j, _)| *j == i)
            })
        });
        assert!(
            names_a_fixture_or_long,
            "entry {} names neither a generated vector nor a choices fixture nor a long \
             vector: it is stale",
            d.id
        );
    }
    insta::assert_snapshot!("linux_report", report.verdicts_text());
}
