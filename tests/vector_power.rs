//! The power of RFC 9293's wire vectors (`vectors/scenario/`), shown through the replayer
//! itself: each vector file is replayed against `tcp-impl` on its TUN device as shipped (it
//! must pass) and again with the stack's seeded fault that breaks the vector's requirement
//! (`tcp_impl::fault`, test builds only; it must fail). `impl/src/tests/vectors.rs` does the
//! same with each vector's script in virtual time; this test runs the vector files, so a
//! vector that stopped asserting what it claims would be caught here.
//!
//! One test, run alone in its own process: a fault seeded for every thread
//! (`inject_everywhere`) must reach the stack's thread in the replay's network namespace and
//! must not reach any other test. Needs root (a private network namespace, a TUN device).
//! The long MUST-23 vector (three minutes) is left to `impl/src/tests/vectors.rs`.

use std::path::Path;
use tcp_conformance::loader::load_dir;
use tcp_conformance::report::Verdict;
use tcp_conformance::runner::{load_deviations, run_vectors};
use tcp_conformance::{IpChoice, ReplayArgs, TargetKind};
use tcp_impl::fault::{inject_everywhere, Fault};

/// Each vector, and the faults that break the requirement it checks.
const CASES: &[(&str, &[Fault])] = &[
    (
        "scenario/push-on-last-segment",
        &[Fault::NoPushOnLastSegment],
    ),
    ("scenario/mss-only-on-syn", &[Fault::MssOnEverySegment]),
    (
        "scenario/urgent-data-received",
        &[Fault::UrgentNotSignalled, Fault::UrgentIgnored],
    ),
    (
        "scenario/urgent-data-sent",
        &[Fault::UrgentPointsToLastOctet],
    ),
    (
        "scenario/icmp-port-unreachable-in-syn-sent",
        &[Fault::IcmpIgnored],
    ),
    (
        "scenario/icmp-host-unreachable-in-syn-sent",
        &[Fault::SoftErrorAborts],
    ),
    (
        "scenario/icmp-host-unreachable-in-established",
        &[Fault::SoftErrorNotReported, Fault::IcmpIgnored],
    ),
];

/// The verdicts of one vector replayed against `tcp-impl` over IPv4 and IPv6, with what a
/// failure said.
fn replay(id: &str) -> Vec<(Verdict, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut vectors = load_dir(&dir, Some(id)).expect("the shipped vectors load");
    vectors.retain(|v| v.vector.id == id);
    assert_eq!(vectors.len(), 1, "{id} is one vector");
    let mut args = ReplayArgs::new(TargetKind::Impl, &dir);
    args.ip = IpChoice::Both;
    let deviations = load_deviations(&args).expect("impl's deviations");
    let report = run_vectors(
        &vectors,
        &args,
        &deviations,
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap_or_else(|e| panic!("the replay could not run (it needs root): {e:#}"));
    report
        .results
        .into_iter()
        .map(|r| (r.verdict, r.detail))
        .collect()
}

#[test]
fn each_requirement_vector_passes_and_fails_with_its_seeded_fault() {
    for (id, faults) in CASES {
        let clean = replay(id);
        assert_eq!(clean.len(), 2, "{id}: IPv4 and IPv6");
        for (verdict, detail) in &clean {
            assert_eq!(*verdict, Verdict::Pass, "{id} as shipped: {detail}");
        }
        for fault in *faults {
            let seeded = inject_everywhere(*fault);
            let broken = replay(id);
            drop(seeded);
            for (verdict, detail) in &broken {
                assert_eq!(
                    *verdict,
                    Verdict::Fail,
                    "{id} with {fault:?} ({}) must fail: {detail}",
                    fault.requirement()
                );
            }
        }
    }
}
