//! Every mechanism switch must make the checker find a counterexample to each property its
//! mechanism protects, and standard TCP must satisfy every property. The counterexample charts
//! are insta snapshots: a change to the model shows up as a chart diff to review. The state
//! counts of the scenarios are pinned too, and the exploration engine is checked against
//! stateright's own breadth-first checker.

use stateright::{Checker, Model};
use tcp_model::check::{check, CheckOptions, Outcome, Status};
use tcp_model::config::{Budgets, Config, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::statespace::{self, Budget};
use tcp_model::system::{Reductions, System};

fn run(variants: &[Variant], budgets: Budgets, scenarios: &[Scenario]) -> Vec<Outcome> {
    let opts = CheckOptions {
        budgets,
        variants: variants.to_vec(),
        scenarios: scenarios.to_vec(),
        ..CheckOptions::default()
    };
    check(&opts, &mut |_| {}).outcomes
}

fn assert_switch_breaks(variant: Variant) {
    let outcomes = run(&[variant], Budgets::default(), &Scenario::ALL);
    for (property, scenario) in variant.must_violate() {
        let o = outcomes
            .iter()
            .find(|o| o.variant == variant && o.property == *property)
            .expect("the switch's property was checked");
        assert_eq!(
            o.status,
            Status::Violated,
            "{variant} must violate {property}"
        );
        assert_eq!(o.scenario, Some(*scenario), "{variant}: {property}");
        let chart = o
            .counterexample
            .as_ref()
            .expect("a violated property has a chart");
        insta::assert_snapshot!(format!("{variant}__{property}"), chart.to_text());
    }
}

#[test]
fn two_way_handshake_lets_an_old_syn_make_a_dirty_connection() {
    assert_switch_breaks(Variant::TwoWayHandshake);
}

#[test]
fn without_time_wait_a_retransmitted_fin_meets_a_reset_and_an_old_ack_a_new_connection() {
    assert_switch_breaks(Variant::NoTimeWait);
}

#[test]
fn a_short_time_wait_lets_the_retransmitted_fin_meet_a_reset_and_old_segments_in() {
    assert_switch_breaks(Variant::ShortTimeWait);
}

#[test]
fn constant_isn_lets_an_old_segment_into_a_new_incarnation() {
    assert_switch_breaks(Variant::ConstantIsn);
}

#[test]
fn without_keepalive_a_crashed_peer_goes_unnoticed_and_a_middlebox_forgets_the_flow() {
    assert_switch_breaks(Variant::NoKeepalive);
}

#[test]
fn keepalive_slower_than_the_middlebox_forgets_does_not_keep_the_flow() {
    assert_switch_breaks(Variant::SlowKeepalive);
}

#[test]
fn rfc793_rst_processing_lets_a_blind_in_window_rst_reset() {
    assert_switch_breaks(Variant::Rfc793Rst);
}

#[test]
fn rfc793_syn_processing_lets_a_blind_in_window_syn_reset() {
    assert_switch_breaks(Variant::Rfc793Syn);
}

#[test]
fn without_the_ack_range_check_blind_data_gets_in() {
    assert_switch_breaks(Variant::NoAckRangeCheck);
}

#[test]
fn counterexamples_are_deterministic() {
    let chart = |o: Vec<Outcome>| {
        o.into_iter()
            .find(|o| o.property == "no_unexplained_reset")
            .and_then(|o| o.counterexample)
            .map(|c| c.to_text())
    };
    let a = run(
        &[Variant::ShortTimeWait],
        Budgets::default(),
        &Scenario::ALL,
    );
    let b = run(
        &[Variant::ShortTimeWait],
        Budgets::default(),
        &Scenario::ALL,
    );
    assert!(chart(a.clone()).is_some());
    assert_eq!(chart(a), chart(b));
}

#[test]
fn the_two_way_chart_tells_the_seeds_story() {
    // The seed: A's SYN is delayed in the network; the connection is made and used with a
    // later copy; then the old SYN arrives and B (two-way handshake) is ESTABLISHED alone.
    let outcomes = run(
        &[Variant::TwoWayHandshake],
        Budgets::default(),
        &Scenario::ALL,
    );
    let chart = outcomes
        .iter()
        .find_map(|o| o.counterexample.clone())
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
fn standard_tcp_satisfies_every_property_in_the_small_scenarios() {
    // The default configuration (every scenario) is checked end to end by tests/cli.rs; the
    // small scenarios keep this test at a few seconds. Reachability is judged over all
    // scenarios together, so only safety and liveness are asserted here.
    let outcomes = run(
        &[Variant::Standard],
        Budgets::default(),
        &[
            Scenario::IdleCrash,
            Scenario::Abort,
            Scenario::FastReuse,
            Scenario::Middlebox,
        ],
    );
    let decided: Vec<_> = outcomes.iter().filter(|o| o.kind != "sometimes").collect();
    assert!(decided.len() >= 7, "{decided:?}");
    for o in decided {
        assert_eq!(
            o.status,
            Status::Holds,
            "standard TCP: {} {:?}",
            o.property,
            o.status
        );
    }
}

/// Standard TCP's whole state space in `scenario` with the default budgets.
fn explore_standard(
    scenario: Scenario,
) -> (
    System,
    statespace::Exploration<tcp_model::system::SysState, tcp_model::system::Action>,
) {
    let sys = System::new(Config::new(scenario, Variant::Standard, Budgets::default()));
    let e = statespace::explore(
        &sys,
        &tcp_model::properties::searchable(scenario),
        statespace::Options {
            threads: 2,
            budget: Budget {
                max_states: 10_000_000,
                max_memory: 8 << 30,
            },
            stop_on: Vec::new(),
            progress: &mut |_| {},
        },
    );
    (sys, e)
}

/// The unique states of each small scenario under standard TCP and the default budgets,
/// pinned so that every change to the state space is a reviewed diff (the large scenarios are
/// pinned by tests/cli.rs, which runs the default check).
#[test]
fn state_counts_are_pinned() {
    let count = |scenario| {
        let (_, e) = explore_standard(scenario);
        assert!(e.stop.complete());
        e.states
    };
    insta::assert_snapshot!(
        "state_counts",
        format!(
            "idle-crash {}\nabort {}\nfast-reuse {}\nmiddlebox {}\n",
            count(Scenario::IdleCrash),
            count(Scenario::Abort),
            count(Scenario::FastReuse),
            count(Scenario::Middlebox)
        )
    );
}

/// The exploration engine (`statespace`) sees exactly the states stateright's own checker sees.
#[test]
fn the_engine_agrees_with_stateright() {
    for scenario in [Scenario::Abort, Scenario::IdleCrash] {
        let (sys, ours) = explore_standard(scenario);
        let theirs = sys.clone().checker().threads(2).spawn_bfs().join();
        assert_eq!(
            ours.states,
            theirs.unique_state_count(),
            "{scenario}: unique states"
        );
        assert!(sys.init_states().len() == 1);
    }
}

/// Each state-space reduction keeps every verdict and every counterexample chart: the small
/// scenarios under every variant, with all reductions, without each, and without both. And
/// each reduction is in force: the standard runs explore fewer states with it.
#[test]
fn reductions_keep_every_verdict_and_counterexample() {
    let scenarios = [
        Scenario::IdleCrash,
        Scenario::Abort,
        Scenario::FastReuse,
        Scenario::Middlebox,
    ];
    let check_with = |reductions| {
        let opts = CheckOptions {
            scenarios: scenarios.to_vec(),
            reductions,
            ..CheckOptions::default()
        };
        let report = check(&opts, &mut |_| {});
        let verdicts: Vec<_> = report
            .outcomes
            .iter()
            .map(|o| {
                let chart = o.counterexample.as_ref().map(|c| c.to_text());
                (o.variant, o.property, o.scenario, o.status, chart)
            })
            .collect();
        let standard: usize = report
            .runs
            .iter()
            .filter(|r| r.variant == Variant::Standard)
            .map(|r| r.states)
            .sum();
        (verdicts, standard)
    };
    let (reduced, reduced_states) = check_with(Reductions::ALL);
    assert!(
        reduced.iter().any(|v| v.4.is_some()),
        "some charts compared"
    );
    let without_both = Reductions::ALL
        .without("history")
        .and_then(|r| r.without("twins"))
        .expect("both reductions exist");
    for (name, _) in Reductions::NAMES {
        let without = Reductions::ALL.without(name).expect("a named reduction");
        let (verdicts, states) = check_with(without);
        assert_eq!(
            verdicts, reduced,
            "without {name}: verdicts or charts changed"
        );
        assert!(
            reduced_states < states,
            "without {name}: {states} states, with it {reduced_states}: not in force"
        );
    }
    let (verdicts, _) = check_with(without_both);
    assert_eq!(verdicts, reduced, "without any reduction");
}
