//! The whole vector suite against the `impl` target (the userspace stack of `impl/` on its own
//! TUN device, the replayer on an `AF_PACKET` socket), over IPv4 and IPv6, with the shipped
//! deviations (`conformance/deviations/impl.yaml`): nothing may fail, no entry may be stale,
//! and the verdicts are an insta snapshot, so that a change in the stack or the vectors shows
//! up as a diff (`cargo insta review`).
//!
//! Needs root (a private network namespace, a TUN device, an `AF_PACKET` socket); without it
//! the test fails with the error and how to run it. It takes about 10 s: the stack's timers
//! are short (`tcp_conformance::impl_target::replay_config`), and quiet windows end as soon as
//! the stack shows that no timer can fire in them.
//!
//! Where a vector allows several behaviours (`one_of`), the branch the stack takes is the choice
//! `impl/README.md` states in its table "RFC choices this stack makes": the whole suite's
//! choices profile is checked against that table.

mod common;

use std::path::Path;
use tcp_conformance::loader::load_dir;
use tcp_conformance::report::Verdict;
use tcp_conformance::runner::run_suite;
use tcp_conformance::TargetKind;

#[test]
fn the_whole_suite_passes_on_the_impl_target_over_ipv4_and_ipv6() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut vectors = load_dir(&dir, None).expect("the shipped vectors load");
    // The long vectors (minutes each) are left out, as `replay` does without `--long`.
    vectors.retain(|v| !v.vector.is_long());
    let report = run_suite(&dir, TargetKind::Impl).unwrap_or_else(|e| {
        panic!(
            "the impl suite could not run: {e:#}\n\
             It needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for the TUN device, \
             CAP_NET_RAW for the AF_PACKET socket): run it as root, e.g. `sudo -E cargo test \
             --release -p tcp-conformance --test impl_suite`, or inside `unshare --user \
             --map-root-user --net`."
        )
    });
    let summary = report.summary();
    assert!(!report.interrupted, "{summary}");
    for ip in ["v4", "v6"] {
        assert_eq!(
            report.results.iter().filter(|r| r.ip == ip).count(),
            vectors.len(),
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
    let wrong = common::disagreements(&common::readme_choices(), &report.choice_profile());
    assert!(
        wrong.is_empty(),
        "the stack's RFC choices differ from impl/README.md:\n{}\n{}",
        wrong.join("\n"),
        report.choices_text()
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
    insta::assert_snapshot!("impl_suite_verdicts", report.verdicts_text());
}
