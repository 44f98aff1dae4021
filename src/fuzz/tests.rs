//! The fuzzer against the userspace stack (root: each job makes its own namespace): a clean
//! stack passes a fixed budget, the same seed gives the same walks and verdicts, and every
//! fault of the stack's fuzz list (`tcp_impl::fault::Fault::FOUND_BY_FUZZ`) seeded into it is
//! found within a stated budget, next to the verdict of the whole suite (IPv4) on it.

use super::*;
use tcp_conformance::loader::load_dir;
use tcp_conformance::runner::run_vectors;
use tcp_conformance::{IpChoice, ReplayArgs};
use tcp_impl::fault::{inject_everywhere, Fault};

/// Walks each seeded fault of [`FOUND_IN_CI`] may take to be found in CI.
const POWER_BUDGET: usize = 100;

/// Walks each fault may take when the whole table is measured (`TCPSPEC_FUZZ_TABLE`): the
/// stated budget of [`FOUND_IN_TABLE`].
const TABLE_BUDGET: usize = 500;

fn config(walks: usize) -> Config {
    config_for(TargetKind::Impl, walks)
}

fn config_for(target: TargetKind, walks: usize) -> Config {
    let deviations = deviations_for(&target, None).unwrap_or_else(|e| panic!("{e:#}"));
    let choices = choices::choices_for(&target).unwrap_or_else(|e| panic!("{e:#}"));
    Config {
        target,
        seed: 1,
        walks,
        depth: 12,
        jobs: 2,
        shrink_budget: 20,
        stop_at_failure: false,
        deviations,
        only: None,
        choices,
    }
}

/// Each failing walk of a run, with its failure.
fn failures(r: &Report) -> Vec<String> {
    r.walks
        .iter()
        .filter_map(|w| match &w.verdict {
            Verdict::Fail(f) => Some(format!("walk {}: {f}", w.index)),
            _ => None,
        })
        .collect()
}

fn fuzz(c: &Config) -> Report {
    run(c, &ProgressBar::hidden()).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn a_clean_stack_passes_the_ci_budget_and_the_same_seed_walks_the_same() {
    let _only = crate::STACK_TESTS.lock();
    let c = config(120);
    let first = fuzz(&c);
    let (pass, dev, fail) = first.totals();
    let failures = failures(&first);
    assert_eq!(fail, 0, "{failures:#?}");
    assert_eq!(pass + dev, 120);
    // Walks end two events after their connection closes (measured: 932 events, 7.8 a walk).
    assert!(
        first.events() > 120 * 6,
        "walks are {} events in all",
        first.events()
    );
    // The same seed, one job instead of two: the same walks, the same verdicts.
    let again = fuzz(&Config {
        walks: 30,
        jobs: 1,
        ..c.clone()
    });
    for (a, b) in again.walks.iter().zip(&first.walks) {
        assert_eq!(a.events, b.events, "walk {}", a.index);
        assert_eq!(a.verdict, b.verdict, "walk {}", a.index);
    }
    // Another seed walks elsewhere.
    let other = fuzz(&Config {
        walks: 30,
        seed: 2,
        ..c
    });
    assert_ne!(
        other.walks.iter().map(|w| &w.events).collect::<Vec<_>>(),
        first.walks[..30]
            .iter()
            .map(|w| &w.events)
            .collect::<Vec<_>>()
    );
}

/// The seeded faults the fuzzer finds within [`POWER_BUDGET`] walks of seed 1, hunted in
/// every CI run (measured: the walk that found each is in the README's table).
const FOUND_IN_CI: &[Fault] = &[
    Fault::TimeWaitFinNoRestart,
    Fault::ZeroWindowAckIgnored,
    Fault::RstInWindowResets,
    Fault::SynResetsSynchronized,
    Fault::ChallengeAckStale,
    Fault::AbortSilent,
    Fault::FinWait2IgnoresFin,
    Fault::UnacceptableNotAcked,
];

/// The seeded faults the fuzzer finds within the stated [`TABLE_BUDGET`] of seed 1 but not
/// within CI's: hunted by the table run (`TCPSPEC_FUZZ_TABLE`), which fails if one is not
/// found.
const FOUND_IN_TABLE: &[Fault] = &[
    Fault::AckRangeUnchecked,
    Fault::HeldTextForgotten,
    Fault::ReassembledNotAcknowledged,
    Fault::OldPartNotTrimmed,
];

/// The seeded faults the fuzzer cannot find, and why (README: "What the fuzzer cannot
/// find"); the table run hunts them too and reports what it sees.
const NOT_FOUND: &[(Fault, &str)] = &[(
    Fault::NoDupAckOutOfOrder,
    "the duplicate ACK still comes as a delayed ACK, which a replay must allow",
)];

#[test]
fn seeded_faults_are_found_by_the_fuzzer() {
    let _only = crate::STACK_TESTS.lock();
    for f in Fault::FOUND_BY_FUZZ {
        let lists = [
            FOUND_IN_CI.contains(f),
            FOUND_IN_TABLE.contains(f),
            NOT_FOUND.iter().any(|(n, _)| n == f),
        ];
        assert_eq!(
            lists.iter().filter(|&&l| l).count(),
            1,
            "{f:?} must be in exactly one list"
        );
    }
    // With TCPSPEC_FUZZ_TABLE set, every fault is hunted and the whole suite (IPv4) is
    // replayed against it too: the README's table (about 25 minutes); with
    // TCPSPEC_FUZZ_TABLE=fuzz, the hunt only.
    let table_env = std::env::var("TCPSPEC_FUZZ_TABLE").ok();
    let table = table_env.is_some();
    let with_suite = table && table_env.as_deref() != Some("fuzz");
    // The suite as CI replays it: without the long vectors (`replay --long`).
    let vectors: Vec<_> = load_dir(std::path::Path::new("vectors"), None)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|v| !v.vector.is_long())
        .collect();
    let mut lines = Vec::new();
    let mut missed = Vec::new();
    // TCPSPEC_FUZZ_FAULTS=A,B limits the table to these faults.
    let only = std::env::var("TCPSPEC_FUZZ_FAULTS").ok();
    for &fault in Fault::FOUND_BY_FUZZ {
        if !table && !FOUND_IN_CI.contains(&fault) {
            continue;
        }
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|n| n == format!("{fault:?}")))
        {
            continue;
        }
        let _seeded = inject_everywhere(fault);
        let budget = if table { TABLE_BUDGET } else { POWER_BUDGET };
        let c = config(budget);
        let suite = if with_suite {
            let mut suite_args = ReplayArgs::new(TargetKind::Impl, "vectors");
            suite_args.ip = IpChoice::V4;
            // The suite's own list: the walk-only entries name cells no suite vector shows
            // them in, and would be stale there.
            let suite_deviations = tcp_conformance::runner::load_deviations(&suite_args)
                .unwrap_or_else(|e| panic!("{e:#}"));
            let r = run_vectors(
                &vectors,
                &suite_args,
                &suite_deviations,
                &ProgressBar::hidden(),
            )
            .unwrap_or_else(|e| panic!("{e:#}"));
            let failing: Vec<&str> = r
                .results
                .iter()
                .filter(|c| c.verdict == tcp_conformance::report::Verdict::Fail)
                .map(|c| c.id.as_str())
                .collect();
            eprintln!("{fault:?}: the suite fails {failing:?}");
            format!(
                "suite {} of {} replays fail; ",
                r.totals().fail,
                r.totals().total
            )
        } else {
            String::new()
        };
        // CI only has to find the fault; the table shrinks what it finds, for its sizes.
        let report = fuzz(&Config {
            stop_at_failure: true,
            shrink_budget: if table { c.shrink_budget } else { 0 },
            ..c
        });
        let found = report.first_failure().map(|w| {
            let size = w.found.as_ref().map_or(0, |f| f.events_after);
            (w.index + 1, size)
        });
        if let Some(w) = report.first_failure() {
            let found = w.found.as_ref();
            eprintln!(
                "{fault:?}: walk {}: {}\n{}",
                w.index + 1,
                found.map_or(String::new(), |f| f.failure.clone()),
                found.map_or(String::new(), |f| f.vector.to_yaml().unwrap_or_default())
            );
        } else {
            eprintln!("{fault:?}: not found");
        }
        lines.push(format!(
            "{fault:?} ({}): {suite}fuzz: {}",
            fault.requirement(),
            match found {
                Some((walks, size)) => format!("found in walk {walks}, shrunk to {size} events"),
                None => format!("not found in {budget} walks"),
            }
        ));
        let must = FOUND_IN_CI.contains(&fault) || (table && FOUND_IN_TABLE.contains(&fault));
        if must && found.is_none() {
            missed.push(fault);
        }
    }
    println!("{}", lines.join("\n"));
    assert!(
        missed.is_empty(),
        "not found: {missed:?}\n{}",
        lines.join("\n")
    );
}

#[test]
fn linux_passes_the_ci_budget_with_its_listed_deviations() {
    // Linux's listed deviations (its suite list and the walk-only one) explain every
    // difference a fixed budget of walks meets; a new one fails here.
    let r = fuzz(&config_for(TargetKind::Linux, 100));
    let failures = failures(&r);
    assert!(failures.is_empty(), "{failures:#?}");
    let (pass, _, _) = r.totals();
    assert!(
        pass > 50,
        "only {pass} of 100 walks passed: {:?}",
        r.totals()
    );
}
