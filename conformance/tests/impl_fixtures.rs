//! The replayer against the `impl` target (the userspace stack of `impl/`) on hand-written
//! fixture vectors:
//!
//! - `fixtures/fail/barrier`: checks that only a processed segment makes wrong (a state, an
//!   application event, a quiet window right after the peer's segment) must fail here as they
//!   do on Linux, although the stack processes what the replayer injects in its own thread;
//! - `fixtures/choices`: one `one_of` vector per RFC choice a vector can observe; the branches
//!   the stack takes must be the choices `impl/README.md` states in its table "RFC choices
//!   this stack makes", every row of which is either observed or listed here as one no vector
//!   can observe;
//! - the TIME-WAIT vector without a kept listener, where no reopening is possible.
//!
//! Needs root (a private network namespace, a TUN device, an `AF_PACKET` socket); without it
//! the tests fail with the error and how to run them. Each takes well under a second.

mod common;

use common::{assert_all_pass, assert_fail_for_the_named_reason, load, run_on, shipped};
use tcp_conformance::report::Verdict;
use tcp_conformance::TargetKind;
use tcp_vectors::Step;

/// Rows of the README's table that no vector can observe, and why: the replayer's windows
/// accept an ACK whether it comes at once or after the delayed-ACK timer, and a rate limit of
/// 100 challenge ACKs per second needs more segments than a vector sends.
const NOT_OBSERVABLE: [&str; 3] = ["out-of-order-ack", "delayed-ack", "challenge-ack-rate"];

#[test]
fn barrier_fixtures_fail_on_the_impl_target_for_the_named_reason() {
    let report = run_on(
        TargetKind::Impl,
        "fail/barrier",
        None,
        &shipped(TargetKind::Impl),
        None,
    );
    print!("{}", report.summary());
    assert_fail_for_the_named_reason(&report, &load("fail/barrier"));
}

#[test]
fn a_syn_in_time_wait_without_a_kept_listener_gets_an_ack() {
    let report = run_on(
        TargetKind::Impl,
        "pass",
        Some("time-wait/syn-without-listener"),
        &shipped(TargetKind::Impl),
        None,
    );
    assert_eq!(report.results.len(), 2);
    assert_all_pass(&report);
}

#[test]
fn the_stacks_rfc_choices_are_the_ones_its_readme_names() {
    let report = run_on(
        TargetKind::Impl,
        "choices",
        None,
        &shipped(TargetKind::Impl),
        None,
    );
    print!("{}", report.summary());
    for r in &report.results {
        assert_eq!(
            (r.verdict, r.choices.len()),
            (Verdict::Pass, 1),
            "{} [{}]: {}\n{}",
            r.id,
            r.ip,
            r.detail,
            r.transcript.join("\n")
        );
    }
    let readme = common::readme_choices();
    let profile = report.choice_profile();
    let mut wrong = common::disagreements(&readme, &profile);
    for key in NOT_OBSERVABLE {
        if !readme.contains_key(key) {
            wrong.push(format!(
                "{key}: listed as not observable, but the README has no row"
            ));
        }
    }
    for key in readme.keys() {
        let observed = profile.contains_key(key);
        if observed == NOT_OBSERVABLE.contains(&key.as_str()) {
            wrong.push(format!(
                "{key}: {}",
                if observed {
                    "observed, but listed as not observable"
                } else {
                    "no fixture observes it (write one in fixtures/choices, or list it in \
                     NOT_OBSERVABLE with the reason)"
                }
            ));
        }
    }
    // The fixtures' branches are the README's choice and its "also allowed" column.
    for v in load("choices") {
        for step in &v.vector.steps {
            let Step::OneOf(o) = step else { continue };
            let Some(row) = readme.get(&o.choice) else {
                continue;
            };
            let mut named: Vec<&str> = o.branches.iter().map(|b| b.name.as_str()).collect();
            let mut allowed: Vec<&str> = row.also_allowed.iter().map(String::as_str).collect();
            allowed.push(&row.choice);
            named.sort_unstable();
            allowed.sort_unstable();
            if named != allowed {
                wrong.push(format!(
                    "{}: the branches {named:?} are not the README's choice and also-allowed \
                     {allowed:?}",
                    v.vector.id
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "impl/README.md's RFC choices disagree with what the stack did:\n  {}\n{}",
        wrong.join("\n  "),
        report.choices_text()
    );
}
