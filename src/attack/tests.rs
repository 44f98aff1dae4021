//! The attacks against the in-process targets (Linux, impl, smoltcp; root: each attack makes
//! its own namespace), and the power of each check: a target that lacks a defence is
//! reported as lacking it. lwIP and `exec:` are attacked through the command line in
//! `tests/cli.rs`.

use super::blind::Limit;
use super::*;

/// Small attacks, so that the suite stays quick.
fn quick(count: u64) -> Options {
    Options {
        bulk: 256 * 1024,
        connects: 3,
        ..Options::new(count)
    }
}

fn blind_on(target: &TargetKind, kind: Kind, options: &Options) -> BlindReport {
    let r = run(target, kind, options).unwrap_or_else(|e| panic!("{e:#}"));
    r.blind
        .unwrap_or_else(|| panic!("{kind:?}: no blind report"))
}

fn flood_on(target: &TargetKind, options: &Options) -> FloodReport {
    let r = run(target, Kind::SynFlood, options).unwrap_or_else(|e| panic!("{e:#}"));
    r.flood.expect("a flood report")
}

const BLIND: [Kind; 3] = [Kind::BlindRst, Kind::BlindSyn, Kind::BlindData];

#[test]
fn blind_attacks_neither_reset_nor_inject_on_linux_and_impl() {
    let _only = crate::STACK_TESTS.lock();
    for target in [TargetKind::Linux, TargetKind::Impl] {
        for kind in BLIND {
            let b = blind_on(&target, kind, &quick(2000));
            let what = format!("{target:?} {kind:?}: {b:?}");
            assert!(!b.connection_reset, "{what}");
            assert_eq!(b.injected_bytes, 0, "{what}");
            assert!(b.data_verified, "{what}");
            assert_eq!(b.limit.verdict, Limit::PerConnection, "{what}");
            // Both count their challenge ACKs; every SYN is owed one (RFC 5961 4.2), which
            // Linux sends as a challenge ACK whatever the SYN's sequence number, so the wire
            // sees exactly what it counts.
            let counted = b.challenge_acks_counted_by_target.expect("a count");
            if kind == Kind::BlindSyn {
                assert!(b.acks_drawn_on_wire > 0, "{what}");
                if target == TargetKind::Linux {
                    assert_eq!(b.acks_drawn_on_wire, counted, "{what}");
                }
            }
        }
    }
}

#[test]
fn blind_attacks_on_smoltcp_are_measured_from_the_wire() {
    let _only = crate::STACK_TESTS.lock();
    for kind in BLIND {
        let b = blind_on(&TargetKind::Smoltcp, kind, &quick(2000));
        let what = format!("{kind:?}: {b:?}");
        // smoltcp 0.14 takes any RST inside the window (conformance/findings/
        // smoltcp-rst-in-window.md): a random RST may land there, so a reset is possible.
        if kind != Kind::BlindRst {
            assert!(!b.connection_reset, "{what}");
            assert!(b.data_verified, "{what}");
        }
        assert_eq!(b.injected_bytes, 0, "{what}");
        assert_eq!(b.challenge_acks_counted_by_target, None, "{what}");
        // smoltcp 0.14 drops a SYN in ESTABLISHED without a challenge ACK
        // (conformance/findings/smoltcp-syn-no-challenge-ack.md): its limit cannot be seen.
        assert_eq!(b.limit.verdict, Limit::NoChallengeAck, "{what}");
    }
}

#[test]
fn without_an_attack_the_wire_counts_no_drawn_ack() {
    let _only = crate::STACK_TESTS.lock();
    // The transfer's own ACKs advance or open the window: none is counted as drawn.
    for target in [TargetKind::Linux, TargetKind::Impl, TargetKind::Smoltcp] {
        let b = blind_on(&target, Kind::BlindData, &quick(0));
        assert_eq!(b.acks_drawn_on_wire, 0, "{target:?}: {b:?}");
        assert!(b.data_verified, "{target:?}: {b:?}");
    }
}

#[test]
fn a_global_challenge_ack_limit_is_reported_global() {
    let _only = crate::STACK_TESTS.lock();
    // Linux before 4.7 shared one limit among all connections (CVE-2016-5696); since 6.0 it
    // is per namespace and off by default. One challenge ACK per second for the namespace
    // brings the old behaviour back: the other connection's SYN goes unanswered.
    let mut options = quick(0);
    options
        .sysctls
        .push(("net/ipv4/tcp_challenge_ack_limit".into(), "1".into()));
    let b = blind_on(&TargetKind::Linux, Kind::BlindSyn, &options);
    assert_eq!(b.limit.verdict, Limit::Global, "{b:?}");
}

#[test]
fn a_legitimate_client_connects_during_a_syn_flood_on_linux_and_impl() {
    let _only = crate::STACK_TESTS.lock();
    for target in [TargetKind::Linux, TargetKind::Impl] {
        let f = flood_on(&target, &quick(1500));
        let what = format!("{target:?}: {f:?}");
        assert_eq!(f.connects_ok, f.connects, "{what}");
        assert_eq!(f.processed, f.sent, "{what}");
        assert!(
            f.syn_cookies_counted_by_target.is_some_and(|c| c > 0),
            "{what}"
        );
        assert!(f.syn_acks_to_spoofed > 0, "{what}");
        let m = f
            .memory
            .as_ref()
            .unwrap_or_else(|| panic!("no memory: {what}"));
        assert!(m.peak_bytes >= m.start_bytes, "{what}");
        if target == TargetKind::Linux {
            // The listener and the backlog's request sockets at least.
            assert!(m.peak_requests.is_some_and(|r| r > 0), "{what}");
        }
    }
}

#[test]
fn without_syn_cookies_the_flood_keeps_the_client_out() {
    let _only = crate::STACK_TESTS.lock();
    let options = Options {
        impl_config: Some(tcp_impl::Config {
            syn_cookies: false,
            ..tcp_conformance::impl_target::replay_config()
        }),
        ..quick(1500)
    };
    let f = flood_on(&TargetKind::Impl, &options);
    assert!(f.connects_ok < f.connects, "{f:?}");
    assert_eq!(f.failures.len() as u32, f.connects - f.connects_ok, "{f:?}");
    assert_eq!(f.syn_cookies_counted_by_target, Some(0), "{f:?}");
}

#[test]
fn a_flood_on_smoltcp_reports_each_failed_connect_and_the_memory() {
    let _only = crate::STACK_TESTS.lock();
    let f = flood_on(&TargetKind::Smoltcp, &quick(600));
    assert_eq!(f.processed, f.sent, "{f:?}");
    assert_eq!(f.failures.len() as u32, f.connects - f.connects_ok, "{f:?}");
    assert_eq!(f.syn_cookies_counted_by_target, None, "{f:?}");
    assert!(f.memory.is_some(), "{f:?}");
}

#[test]
fn a_stack_that_takes_blind_data_is_reported_injected() {
    let _only = crate::STACK_TESTS.lock();
    // The power of the injected-bytes check: impl with its acceptability test and RFC 5961
    // 5.2's range removed (a test-only fault, for every thread: the stack runs its own).
    let _seeded = tcp_impl::fault::inject_everywhere(tcp_impl::fault::Fault::BlindDataAccepted);
    let b = blind_on(&TargetKind::Impl, Kind::BlindData, &quick(2000));
    assert!(b.injected_bytes > 0, "{b:?}");
}
