//! The whole vector suite against lwIP 2.2 (raw API, its own timers, `TCP_MSL` 5 s), each
//! job's lwIP in its own exec adapter process on a TUN device, over IPv4 and IPv6, with the
//! shipped deviations (`conformance/deviations/lwip.yaml`): nothing may fail, no entry may be
//! stale, and the verdicts are an insta snapshot.
//!
//! Needs root. About 2.5 minutes: lwIP's timers tick every 250 ms (delayed ACKs wait for the
//! tick) and its first RTO is 3 s.

mod common;

use tcp_conformance::loader::load_dir;
use tcp_conformance::runner::run_suite;
use tcp_conformance::TargetKind;

#[test]
fn the_whole_suite_conforms_on_lwip_or_deviates_as_listed() {
    std::env::set_var(
        "TCPSPEC_EXEC_ADAPTER",
        env!("CARGO_BIN_EXE_tcpspec-exec-adapter"),
    );
    let dir = common::vectors_dir();
    let mut vectors = load_dir(&dir, None).expect("the shipped vectors load");
    // The long vectors (minutes each) are left out, as `replay` does without `--long`.
    vectors.retain(|v| !v.vector.is_long());
    let report = run_suite(&dir, TargetKind::Lwip)
        .unwrap_or_else(|e| panic!("the lwip suite could not run (it needs root): {e:#}"));
    common::assert_suite_conforms(&report, vectors.len());
    insta::assert_snapshot!("lwip_suite_verdicts", report.verdicts_text());
}
