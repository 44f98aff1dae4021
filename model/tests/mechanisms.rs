//! Every mechanism switch must make the checker find a counterexample to the property its
//! mechanism protects, and standard TCP must satisfy every property. The counterexample charts
//! are insta snapshots: a change to the model shows up as a chart diff to review.

use tcp_model::check::{check, CheckOptions, Outcome, Status};
use tcp_model::config::Budgets;
use tcp_model::mechanism::Variant;

fn run(variants: &[Variant], budgets: Budgets) -> Vec<Outcome> {
    let opts = CheckOptions {
        budgets,
        threads: 2,
        exhaustive: false,
        variants: variants.to_vec(),
    };
    check(&opts, &mut |_| {}).outcomes
}

fn expected(outcomes: &[Outcome], variant: Variant) -> &Outcome {
    let name = variant
        .must_violate()
        .expect("a switch protects a property");
    outcomes
        .iter()
        .find(|o| o.variant == variant && o.property == name)
        .expect("the switch's property was checked")
}

fn assert_switch_breaks(variant: Variant) {
    let outcomes = run(&[variant], Budgets::default());
    let o = expected(&outcomes, variant);
    assert_eq!(
        o.status,
        Status::Violated,
        "{variant} must violate {}",
        o.property
    );
    let chart = o
        .counterexample
        .as_ref()
        .expect("a violated property has a chart");
    insta::assert_snapshot!(format!("{variant}"), chart.to_text());
}

#[test]
fn two_way_handshake_lets_an_old_syn_make_a_dirty_connection() {
    assert_switch_breaks(Variant::TwoWayHandshake);
}

#[test]
fn without_time_wait_a_retransmitted_fin_meets_a_reset() {
    assert_switch_breaks(Variant::NoTimeWait);
}

#[test]
fn a_short_time_wait_lets_the_retransmitted_fin_meet_a_reset() {
    assert_switch_breaks(Variant::ShortTimeWait);
}

#[test]
fn constant_isn_lets_an_old_segment_into_a_new_incarnation() {
    assert_switch_breaks(Variant::ConstantIsn);
}

#[test]
fn without_keepalive_a_crashed_peer_goes_unnoticed() {
    assert_switch_breaks(Variant::NoKeepalive);
}

#[test]
fn counterexamples_are_deterministic() {
    let a = run(&[Variant::ShortTimeWait], Budgets::default());
    let b = run(&[Variant::ShortTimeWait], Budgets::default());
    let chart = |o: &[Outcome]| {
        expected(o, Variant::ShortTimeWait)
            .counterexample
            .as_ref()
            .map(|c| c.to_text())
    };
    assert_eq!(chart(&a), chart(&b));
}

#[test]
fn the_two_way_chart_tells_the_seeds_story() {
    // The seed: A's SYN is delayed in the network; the connection is made and used with a
    // later copy; then the old SYN arrives and B (two-way handshake) is ESTABLISHED alone.
    let outcomes = run(&[Variant::TwoWayHandshake], Budgets::default());
    let chart = expected(&outcomes, Variant::TwoWayHandshake)
        .counterexample
        .clone()
        .expect("chart")
        .to_text();
    assert!(chart.contains("DUPLICATES S seq=100"), "{chart}");
    let last = chart
        .lines()
        .rev()
        .find(|l| l.contains("rcv S seq=100"))
        .expect("old SYN arrives");
    assert!(
        last.contains("old copy") && last.contains("ESTABLISHED"),
        "{chart}"
    );
}

#[test]
fn standard_tcp_satisfies_every_property_with_one_incarnation() {
    // The default (two incarnations) is checked end to end by tests/cli.rs; one incarnation
    // keeps this test at a few seconds.
    let budgets = Budgets {
        incarnations: 1,
        ..Budgets::default()
    };
    let outcomes = run(&[Variant::Standard], budgets);
    assert!(
        outcomes.len() >= 20,
        "every property reported: {}",
        outcomes.len()
    );
    for o in &outcomes {
        assert_eq!(
            o.status,
            Status::Holds,
            "standard TCP: {} {:?}",
            o.property,
            o.status
        );
    }
}
