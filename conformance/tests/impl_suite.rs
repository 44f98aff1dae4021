//! The whole vector suite against the `impl` target (the userspace stack of `impl/` on its own
//! TUN device, the replayer on an `AF_PACKET` socket), over IPv4 and IPv6, with the shipped
//! deviations: nothing may fail, and the verdicts are a snapshot, so that a change in the
//! stack or the vectors shows up as a diff.
//!
//! Needs root (a private network namespace, a TUN device, an `AF_PACKET` socket); without it
//! the test fails with the error and how to run it. It runs the replays on 8 jobs: every job
//! mostly waits (quiet windows, timers), and the stack's timers are short (see
//! `tcp_conformance::impl_target::replay_config`), so the suite takes about half a minute.

use indicatif::ProgressBar;
use std::path::PathBuf;
use tcp_conformance::deviations::Deviations;
use tcp_conformance::loader::load_dir;
use tcp_conformance::report::Verdict;
use tcp_conformance::runner::{run_vectors, IMPL_DEVIATIONS};
use tcp_conformance::{IpChoice, ReplayArgs, TargetKind};

/// Parallel replay jobs (each its own namespace, TUN device and stack).
const JOBS: usize = 8;

#[test]
fn the_whole_suite_passes_on_the_impl_target_over_ipv4_and_ipv6() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let vectors = load_dir(&dir, None).expect("the shipped vectors load");
    assert!(!vectors.is_empty(), "no vectors in {}", dir.display());
    let deviations = Deviations::parse(IMPL_DEVIATIONS, "conformance/deviations/impl.yaml")
        .expect("the shipped impl deviations parse");
    let mut args = ReplayArgs::new(TargetKind::Impl, &dir);
    args.jobs = JOBS;
    args.ip = IpChoice::Both;
    let report =
        run_vectors(&vectors, &args, &deviations, &ProgressBar::hidden()).unwrap_or_else(|e| {
            panic!(
                "the impl suite could not run: {e:#}\n\
                 It needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for the TUN \
                 device, CAP_NET_RAW for the AF_PACKET socket): run it as root, or inside \
                 `unshare --user --map-root-user --net -- cargo test -p tcp-conformance \
                 --test impl_suite`."
            )
        });
    print!("{}", report.summary());
    assert_eq!(
        report.results.len(),
        2 * vectors.len(),
        "one result per vector and IP version"
    );
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
        "{} unlisted failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    insta::assert_snapshot!("impl_suite_verdicts", report.verdicts_text());
}
