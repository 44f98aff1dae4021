//! Runs the model checker over standard TCP and every mechanism switch and gathers a report:
//! for each variant and property, whether it holds, is violated or could not be decided within
//! the budget, with how many states were explored, how long it took, and the counterexample (or
//! example) as a chart.

use crate::chart::{chart, Chart};
use crate::config::{Budgets, Config, Scenario};
use crate::fault::Fault;
use crate::mechanism::Variant;
use crate::properties::{self, searchable};
use crate::statespace::{self, Budget, Kind, Stop, Trace, Verdict};
use crate::system::{Action, Reductions, SysState, System};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// The default state budget: about 9 GB of search structures and frontier at this model's
/// size per state (measured: 110 million states in 5.0 GiB), inside the memory budget.
pub const DEFAULT_MAX_STATES: usize = 200_000_000;
/// The default memory budget: the search stops itself before the process holds this much.
pub const DEFAULT_MAX_MEMORY: u64 = 12 << 30;

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Network budgets and application sizes.
    pub budgets: Budgets,
    /// Worker threads per exploration.
    pub threads: usize,
    /// Explore mechanism switches exhaustively (all properties, all scenarios) instead of
    /// stopping at the counterexample each switch must produce.
    pub exhaustive: bool,
    /// Variants to run, standard first.
    pub variants: Vec<Variant>,
    /// Scenarios to run (a switch runs only if the scenario of its counterexample is here).
    pub scenarios: Vec<Scenario>,
    /// When a search gives up.
    pub budget: Budget,
    /// The state-space reductions in force (all, unless a run checks that one keeps the
    /// verdicts).
    pub reductions: Reductions,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            budgets: Budgets::default(),
            threads: 2,
            exhaustive: false,
            variants: Variant::ALL.to_vec(),
            scenarios: Scenario::ALL.to_vec(),
            budget: Budget {
                max_states: DEFAULT_MAX_STATES,
                max_memory: DEFAULT_MAX_MEMORY,
            },
            reductions: Reductions::ALL,
        }
    }
}

/// A property's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Always/eventually: no counterexample in a complete exploration. Sometimes: reached.
    Holds,
    /// Always/eventually: a counterexample exists. Sometimes: unreachable.
    Violated,
    /// The exploration that had to decide it stopped at its budget first.
    Inconclusive,
}

impl Status {
    /// The word used in tables and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Violated => "violated",
            Status::Inconclusive => "inconclusive",
        }
    }
}

/// Why a run ended, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunEnd {
    /// Every reachable state explored.
    Complete,
    /// Stopped at the counterexample it was looking for.
    Found,
    /// Stopped at `--max-states`.
    StateBudget,
    /// Stopped at the memory budget.
    MemoryBudget,
}

/// One model-checking run: a variant in a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The variant.
    pub variant: Variant,
    /// The scenario.
    pub scenario: Scenario,
    /// Unique states explored.
    pub states: usize,
    /// Transitions between them.
    pub edges: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why it ended.
    pub end: RunEnd,
}

/// The verdict of one property under one variant.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The variant.
    pub variant: Variant,
    /// Property name.
    pub property: &'static str,
    /// `always`, `eventually` or `sometimes`.
    pub kind: &'static str,
    /// The verdict.
    pub status: Status,
    /// States explored by the runs that checked it.
    pub states: usize,
    /// Seconds spent by those runs.
    pub seconds: f64,
    /// The scenario whose run decided it (a counterexample's or example's).
    pub scenario: Option<Scenario>,
    /// The counterexample (violated always/eventually) as a chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Chart>,
    /// The counterexample's path in stateright's Explorer (`0/3/1/...`, see
    /// [`crate::explorer::explorer_path`]): `explore` with the same variant, scenario, budgets
    /// and reductions serves it at `#/steps/<path>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explorer_path: Option<String>,
    /// This is a property the variant's switch must violate.
    pub expected_violation: bool,
    /// Scenarios the property is checked in that this check did not run (`--scenario`): a
    /// sometimes-property not reached in the others is inconclusive, not violated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrun_scenarios: Vec<Scenario>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Budgets used.
    pub budgets: Budgets,
    /// The state and memory budget of each run.
    pub max_states: usize,
    /// The state-space reductions in force.
    pub reductions: Reductions,
    /// Every run.
    pub runs: Vec<Run>,
    /// Every verdict.
    pub outcomes: Vec<Outcome>,
    /// Total seconds.
    pub seconds: f64,
    /// Peak resident memory in bytes, when known.
    pub peak_memory: Option<u64>,
}

/// The report's bottom line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overall {
    /// Standard TCP satisfies every property and every switch produced its counterexamples.
    Ok,
    /// Something is wrong: these reasons.
    Failed(Vec<String>),
    /// Nothing is wrong so far, but these could not be decided within the budget.
    Inconclusive(Vec<String>),
}

impl Report {
    /// Standard TCP violates nothing and every switch breaks the properties it protects.
    pub fn success(&self) -> bool {
        self.overall() == Overall::Ok
    }

    /// The bottom line, with reasons.
    pub fn overall(&self) -> Overall {
        let mut failed = Vec::new();
        let mut undecided = Vec::new();
        for o in &self.outcomes {
            let what = format!("{} {}", o.variant, o.property);
            match (
                o.variant == Variant::Standard,
                o.expected_violation,
                o.status,
            ) {
                (true, _, Status::Violated) => {
                    failed.push(format!("standard TCP violates {}", o.property))
                }
                (false, true, Status::Holds) => failed.push(format!(
                    "switch {} does not produce a counterexample to {}",
                    o.variant, o.property
                )),
                (_, _, Status::Inconclusive) if !o.unrun_scenarios.is_empty() => {
                    let names: Vec<&str> = o.unrun_scenarios.iter().map(|s| s.name()).collect();
                    undecided.push(format!(
                        "{what}: not reached in the scenarios run; it is also checked in {} \
                         (run without --scenario, or add those)",
                        names.join(", ")
                    ))
                }
                (_, _, Status::Inconclusive) => undecided.push(format!(
                    "{what}: inconclusive: {} states explored",
                    o.states
                )),
                _ => {}
            }
        }
        if !failed.is_empty() {
            Overall::Failed(failed)
        } else if !undecided.is_empty() {
            Overall::Inconclusive(undecided)
        } else {
            Overall::Ok
        }
    }
}

/// Progress of a running check, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// The run in progress.
    pub variant: Variant,
    /// Its scenario.
    pub scenario: Scenario,
    /// Runs finished so far.
    pub runs_done: usize,
    /// Runs planned in all.
    pub runs_total: usize,
    /// States explored by the current run so far.
    pub states: usize,
    /// Resident memory in bytes, when known.
    pub memory: Option<u64>,
}

/// One planned run: the variant, the scenario, and the properties it stops at (none: explore
/// everything).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// The variant.
    pub variant: Variant,
    /// The scenario.
    pub scenario: Scenario,
    /// Stop at the first counterexample to one of these.
    pub stop_on: Vec<&'static str>,
}

/// The runs `opts` asks for, in order: standard TCP over every scenario, explored completely;
/// each switch in the scenario that shows each counterexample it must produce, stopping there
/// (or, with `exhaustive`, over every scenario completely).
pub fn plan(opts: &CheckOptions) -> Vec<Planned> {
    let mut plan = Vec::new();
    for &variant in &opts.variants {
        let expected = variant.must_violate();
        if variant == Variant::Standard || opts.exhaustive {
            for &scenario in &opts.scenarios {
                plan.push(Planned {
                    variant,
                    scenario,
                    stop_on: Vec::new(),
                });
            }
            continue;
        }
        for &(property, scenario) in expected {
            if !opts.scenarios.contains(&scenario) {
                continue;
            }
            plan.push(Planned {
                variant,
                scenario,
                stop_on: vec![property],
            });
        }
    }
    plan
}

type Found = Trace<SysState, Action>;

/// What one run decided, per property.
struct RunResult {
    run: Run,
    system: System,
    verdicts: BTreeMap<&'static str, Verdict<SysState, Action>>,
}

fn run_one(
    planned: &Planned,
    opts: &CheckOptions,
    fault: Fault,
    on_progress: &mut dyn FnMut(usize, Option<u64>),
) -> RunResult {
    let config = Config::with_fault(planned.scenario, planned.variant, opts.budgets, fault);
    let system = System::with_reductions(config, opts.reductions);
    let props = searchable(planned.scenario);
    let e = statespace::explore(
        &system,
        &props,
        statespace::Options {
            threads: opts.threads,
            budget: opts.budget,
            stop_on: planned.stop_on.clone(),
            progress: &mut |p| on_progress(p.states, p.memory),
        },
    );
    let end = match e.stop {
        Stop::Complete => RunEnd::Complete,
        Stop::Decided(_) => RunEnd::Found,
        Stop::StateBudget => RunEnd::StateBudget,
        Stop::MemoryBudget => RunEnd::MemoryBudget,
    };
    RunResult {
        run: Run {
            variant: planned.variant,
            scenario: planned.scenario,
            states: e.states,
            edges: e.edges,
            seconds: e.seconds,
            end,
        },
        system,
        verdicts: e.verdicts.into_iter().collect(),
    }
}

/// Check every planned run and gather the report. `progress` is called often while a run is
/// exploring.
pub fn check(opts: &CheckOptions, progress: &mut dyn FnMut(Progress)) -> Report {
    let start = Instant::now();
    let plan = plan(opts);
    let mut results = Vec::new();
    let mut peak = None;
    for (i, planned) in plan.iter().enumerate() {
        let mut on_progress = |states, memory: Option<u64>| {
            peak = peak.max(memory);
            progress(Progress {
                variant: planned.variant,
                scenario: planned.scenario,
                runs_done: i,
                runs_total: plan.len(),
                states,
                memory,
            })
        };
        results.push(run_one(planned, opts, Fault::None, &mut on_progress));
    }
    let outcomes = verdicts(opts, &results);
    Report {
        budgets: opts.budgets,
        max_states: opts.budget.max_states,
        reductions: opts.reductions,
        runs: results.iter().map(|r| r.run.clone()).collect(),
        outcomes,
        seconds: start.elapsed().as_secs_f64(),
        peak_memory: peak.max(statespace::resident_memory()),
    }
}

fn verdicts(opts: &CheckOptions, results: &[RunResult]) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for &variant in &opts.variants {
        for spec in properties::ALL {
            let expected = variant.must_violate().iter().any(|(p, _)| *p == spec.name);
            let full = variant == Variant::Standard || opts.exhaustive;
            if !full && !expected {
                continue; // a switch's run only answers for the properties it must break
            }
            let runs: Vec<&RunResult> = results
                .iter()
                .filter(|r| r.run.variant == variant && r.verdicts.contains_key(spec.name))
                .filter(|r| full || r.run.scenario == scenario_of(variant, spec.name))
                .collect();
            if runs.is_empty() {
                continue;
            }
            let unrun = spec
                .scenarios
                .iter()
                .copied()
                .filter(|s| full && !opts.scenarios.contains(s))
                .collect();
            outcomes.push(combine(variant, spec, &runs, expected, unrun));
        }
    }
    outcomes
}

/// The scenario in which `variant` must show its counterexample to `property` (client-server
/// for a property the variant need not violate).
pub fn scenario_of(variant: Variant, property: &str) -> Scenario {
    variant
        .must_violate()
        .iter()
        .find(|(p, _)| *p == property)
        .map(|(_, s)| *s)
        .unwrap_or(Scenario::ClientServer)
}

/// One outcome from the verdicts of the runs that checked a property.
fn combine(
    variant: Variant,
    spec: &properties::Spec,
    runs: &[&RunResult],
    expected: bool,
    unrun_scenarios: Vec<Scenario>,
) -> Outcome {
    let decisive = runs.iter().find_map(|r| match &r.verdicts[spec.name] {
        Verdict::Violated(t) | Verdict::Reached(t) => Some((r, t)),
        _ => None,
    });
    let undecided = runs
        .iter()
        .any(|r| matches!(r.verdicts[spec.name], Verdict::Undecided));
    // Scenarios not run matter only to a sometimes-property that no run reached or left open.
    let unrun_scenarios = match (spec.kind, decisive.is_some(), undecided) {
        (Kind::Sometimes, false, false) => unrun_scenarios,
        _ => Vec::new(),
    };
    let status = match (spec.kind, decisive.is_some(), undecided) {
        (Kind::Sometimes, true, _) => Status::Holds,
        (_, true, _) => Status::Violated,
        (_, false, true) => Status::Inconclusive,
        (Kind::Sometimes, false, false) if !unrun_scenarios.is_empty() => Status::Inconclusive,
        (Kind::Sometimes, false, false) => Status::Violated,
        (_, false, false) => Status::Holds,
    };
    let (counterexample, explorer_path) = match (spec.kind, decisive) {
        (Kind::Always | Kind::Eventually, Some((r, t))) => (
            Some(chart(&r.system, t)),
            crate::explorer::explorer_path(&r.system, t),
        ),
        _ => (None, None),
    };
    Outcome {
        variant,
        property: spec.name,
        kind: spec.kind.name(),
        status,
        states: runs.iter().map(|r| r.run.states).sum(),
        seconds: runs.iter().map(|r| r.run.seconds).sum(),
        scenario: decisive.map(|(r, _)| r.run.scenario),
        counterexample,
        explorer_path,
        expected_violation: expected,
        unrun_scenarios,
    }
}

/// Check standard TCP with a seeded fault, stopping at the first violation of any always or
/// eventually property: the properties that reported it, with their scenarios and charts.
/// Test builds only can name a fault other than [`Fault::None`].
pub fn check_fault(
    fault: Fault,
    budgets: Budgets,
    scenarios: &[Scenario],
) -> Vec<(Scenario, &'static str, Found)> {
    let opts = CheckOptions {
        budgets,
        ..CheckOptions::default()
    };
    let mut found = Vec::new();
    for &scenario in scenarios {
        let stop_on = properties::for_scenario(scenario)
            .into_iter()
            .filter(|p| p.kind != Kind::Sometimes)
            .map(|p| p.name)
            .collect();
        let planned = Planned {
            variant: Variant::Standard,
            scenario,
            stop_on,
        };
        let r = run_one(&planned, &opts, fault, &mut |_, _| {});
        for (name, v) in r.verdicts {
            if let Verdict::Violated(t) = v {
                found.push((scenario, name, t));
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
