//! The whole vector suite against smoltcp 0.14 (its own timers, on a TUN device, the replayer
//! on an `AF_PACKET` socket), over IPv4 and IPv6, with the shipped deviations
//! (`conformance/deviations/smoltcp.yaml`): nothing may fail, no entry may be stale, and the
//! verdicts are an insta snapshot, so that a new smoltcp (or a vector change) shows up as a
//! diff (`cargo insta review`). The exec test (`exec_suite.rs`) compares the same stack driven
//! through the exec protocol with this snapshot.
//!
//! Needs root (a private network namespace, a TUN device, an `AF_PACKET` socket). About
//! 90 s: smoltcp's TIME-WAIT is 10 s and its RTO 1 s.

mod common;

use tcp_conformance::loader::load_dir;
use tcp_conformance::runner::run_suite;
use tcp_conformance::TargetKind;

#[test]
fn the_whole_suite_conforms_on_smoltcp_or_deviates_as_listed() {
    let dir = common::vectors_dir();
    let mut vectors = load_dir(&dir, None).expect("the shipped vectors load");
    // The long vectors (minutes each) are left out, as `replay` does without `--long`.
    vectors.retain(|v| !v.vector.is_long());
    let report = run_suite(&dir, TargetKind::Smoltcp)
        .unwrap_or_else(|e| panic!("the smoltcp suite could not run (it needs root): {e:#}"));
    common::assert_suite_conforms(&report, vectors.len());
    insta::assert_snapshot!("smoltcp_suite_verdicts", report.verdicts_text());
}
