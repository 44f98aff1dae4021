//! The attacks against both targets (root: each makes its own namespace), and the power of
//! each check: a target configured to lack the defence is reported as lacking it.

use super::*;

const BLIND: u64 = 20_000;

fn blind_on(target: Target, kind: Kind) -> BlindReport {
    let r = run(target, kind, BLIND, 7).unwrap_or_else(|e| panic!("{e:#}"));
    r.blind
        .unwrap_or_else(|| panic!("{kind:?}: no blind report"))
}

#[test]
fn blind_attacks_neither_reset_nor_inject_on_either_target() {
    for target in [Target::Impl, Target::Linux] {
        for kind in [Kind::BlindRst, Kind::BlindSyn, Kind::BlindData] {
            let b = blind_on(target, kind);
            assert!(!b.connection_reset, "{target:?} {kind:?}: {b:?}");
            assert_eq!(b.injected_bytes, 0, "{target:?} {kind:?}: {b:?}");
            assert_eq!(b.bytes_read, b.bytes_sent, "{target:?} {kind:?}: {b:?}");
            assert_eq!(
                b.limit_per_connection,
                Some(true),
                "{target:?} {kind:?}: {b:?}"
            );
        }
    }
}

#[test]
fn a_target_without_challenge_acks_is_not_reported_per_connection() {
    // With no challenge ACK at all, the probe after another connection's SYNs is unanswered:
    // the check reports what a global limit would show.
    let config = Config {
        challenge_ack_limit: 0,
        syn_retries: 3,
        ..Config::default()
    };
    let r =
        run_with(Target::Impl, Kind::BlindSyn, 1000, 7, config).unwrap_or_else(|e| panic!("{e:#}"));
    let b = r.blind.expect("a blind report");
    assert_eq!(b.limit_per_connection, Some(false), "{b:?}");
}

#[test]
fn a_legitimate_client_connects_during_a_syn_flood_on_either_target() {
    for target in [Target::Impl, Target::Linux] {
        let r = run(target, Kind::SynFlood, 5000, 7).unwrap_or_else(|e| panic!("{e:#}"));
        let f = r.flood.expect("a flood report");
        assert_eq!(f.connects_ok, f.connects, "{target:?}: {f:?}");
        assert!(f.syn_cookies_sent > 0, "{target:?}: {f:?}");
    }
}

#[test]
fn without_syn_cookies_the_flood_keeps_the_client_out() {
    let config = Config {
        syn_cookies: false,
        syn_retries: 1,
        ..Config::default()
    };
    let r =
        run_with(Target::Impl, Kind::SynFlood, 5000, 7, config).unwrap_or_else(|e| panic!("{e:#}"));
    let f = r.flood.expect("a flood report");
    assert!(f.connects_ok < f.connects, "{f:?}");
    assert_eq!(f.syn_cookies_sent, 0, "{f:?}");
}
