//! The seeded-fault suite: each fault of [`crate::fault::Fault`], switched on in both hosts of
//! standard TCP, must be reported by a named property on the default budgets. The table in the
//! README (model section, "Seeded faults") lists the same pairs.

use crate::check::check_fault;
use crate::config::{Budgets, Scenario};
use crate::fault::Fault;
use std::time::Instant;

/// Each fault, the scenario that shows it, and the properties allowed to report it first.
const EXPECTED: &[(Fault, Scenario, &[&str])] = &[
    (
        Fault::NoRetransmission,
        Scenario::ClientServer,
        &["no_needless_timeout"],
    ),
    (
        Fault::SynReceivedAcksBadAck,
        Scenario::ClientServer,
        &["orderly_close"],
    ),
    (
        Fault::InWindowRstResets,
        Scenario::BlindAttack,
        &["no_blind_reset"],
    ),
    (
        Fault::TimeWaitOneMsl,
        Scenario::FastReuse,
        &["no_stale_segment_accepted"],
    ),
    (
        Fault::KeepaliveProbeAtSndNxt,
        Scenario::IdleCrash,
        &["no_needless_timeout"],
    ),
    (
        Fault::FinWait2SkipsTimeWait,
        Scenario::ClientServer,
        &["no_unexplained_reset"],
    ),
    (
        Fault::LastAckClosesOnAnyAck,
        Scenario::ClientServer,
        &["no_unexplained_reset", "orderly_close"],
    ),
    (
        Fault::AcceptsOneOld,
        Scenario::ClientServer,
        &["no_unexplained_reset", "orderly_close"],
    ),
    (Fault::AbortSendsNoRst, Scenario::Abort, &["orderly_close"]),
    (
        Fault::RetransmitsWithoutFin,
        Scenario::ClientServer,
        &["no_needless_timeout", "orderly_close"],
    ),
    (
        Fault::SynSentAcceptsAnyAck,
        Scenario::ClientServer,
        &["no_dirty_connection"],
    ),
    (
        Fault::TimeWaitNoRestart,
        Scenario::ClientServer,
        &["no_unexplained_reset"],
    ),
    (
        Fault::RebootForgetsIsnClock,
        Scenario::IdleCrash,
        &["no_stale_segment_accepted"],
    ),
];

/// The budgets a fault is checked with: the default ones, except for a fault that needs more
/// losses than the default to show (TIME-WAIT's restart matters only when the peer's FIN is
/// retransmitted past 2*MSL: the first ACK of its FIN and those of three retransmissions lost).
fn budgets(fault: Fault) -> Budgets {
    match fault {
        Fault::TimeWaitNoRestart => Budgets {
            losses: 4,
            duplicates: 0,
            incarnations: 1,
            ..Budgets::default()
        },
        _ => Budgets::default(),
    }
}

/// Run one fault's check and return the properties that reported it.
fn reported(fault: Fault, scenario: Scenario) -> Vec<&'static str> {
    let start = Instant::now();
    let found = check_fault(fault, budgets(fault), &[scenario]);
    let names: Vec<&'static str> = found.iter().map(|(_, p, _)| *p).collect();
    println!(
        "{fault:?} in {scenario}: {names:?} ({:.2} s)",
        start.elapsed().as_secs_f64()
    );
    names
}

fn assert_caught(fault: Fault) {
    let (_, scenario, allowed) = EXPECTED
        .iter()
        .find(|(f, _, _)| *f == fault)
        .expect("every fault has a row");
    let names = reported(fault, *scenario);
    assert!(
        names.iter().any(|n| allowed.contains(n)),
        "{fault:?} in {scenario}: reported by {names:?}, expected one of {allowed:?}"
    );
}

#[test]
fn the_correct_model_reports_nothing_in_the_fault_scenarios() {
    // The baseline the faults are measured against: without a fault the same searches find
    // no violation (the complete runs are `check`'s; here the small scenarios suffice).
    for scenario in [Scenario::IdleCrash, Scenario::Abort, Scenario::FastReuse] {
        assert!(reported(Fault::None, scenario).is_empty(), "{scenario}");
    }
}

#[test]
fn no_retransmission_is_a_needless_timeout() {
    assert_caught(Fault::NoRetransmission);
}

#[test]
fn a_syn_received_that_acks_a_bad_ack_loops_forever() {
    // No run ends: the two ends answer each other's ACKs forever, and only the loop search
    // of eventually-properties can see it (there is no terminal state to check).
    let found = check_fault(
        Fault::SynReceivedAcksBadAck,
        Budgets::default(),
        &[Scenario::ClientServer],
    );
    let (_, name, trace) = found.first().expect("the fault is reported");
    assert_eq!(*name, "orderly_close");
    let start = trace.cycle_start.expect("the counterexample is a loop");
    let sys = crate::system::System::new(crate::config::Config::with_fault(
        Scenario::ClientServer,
        crate::mechanism::Variant::Standard,
        Budgets::default(),
        Fault::SynReceivedAcksBadAck,
    ));
    let text = crate::chart::chart(&sys, trace).to_text();
    println!("{text}");
    assert!(text.contains("the loop repeats forever"), "{text}");
    assert_eq!(
        trace.steps[start].0,
        trace.steps[trace.steps.len() - 1].0,
        "the loop returns to where it started"
    );
}

#[test]
fn an_in_window_rst_resetting_is_a_blind_reset() {
    assert_caught(Fault::InWindowRstResets);
}

#[test]
fn a_time_wait_of_one_msl_lets_an_old_segment_in() {
    assert_caught(Fault::TimeWaitOneMsl);
}

#[test]
fn a_probe_at_snd_nxt_kills_a_live_connection() {
    assert_caught(Fault::KeepaliveProbeAtSndNxt);
}

#[test]
fn fin_wait_2_without_time_wait_resets_the_peer() {
    assert_caught(Fault::FinWait2SkipsTimeWait);
}

#[test]
fn last_ack_closing_on_any_ack_loses_the_close() {
    assert_caught(Fault::LastAckClosesOnAnyAck);
}

#[test]
fn accepting_an_old_octet_delivers_it_twice() {
    assert_caught(Fault::AcceptsOneOld);
}

#[test]
fn an_abort_without_rst_leaves_the_peer_hanging() {
    assert_caught(Fault::AbortSendsNoRst);
}

#[test]
fn a_retransmission_without_its_fin_never_closes() {
    assert_caught(Fault::RetransmitsWithoutFin);
}

#[test]
fn syn_sent_accepting_any_ack_makes_a_dirty_connection() {
    assert_caught(Fault::SynSentAcceptsAnyAck);
}

#[test]
fn time_wait_not_restarted_resets_the_peer() {
    assert_caught(Fault::TimeWaitNoRestart);
}

#[test]
fn an_isn_clock_that_forgets_lets_old_segments_in_after_a_reboot() {
    assert_caught(Fault::RebootForgetsIsnClock);
}
