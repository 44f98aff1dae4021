//! Runs the model checker over standard TCP and every mechanism switch and gathers a report:
//! for each variant and property, whether it holds or is violated, with how many states were
//! explored, how long it took, and the counterexample (or example) as a chart.

use crate::chart::{chart, Chart};
use crate::config::{Budgets, Config, Scenario};
use crate::mechanism::Variant;
use crate::properties::{self, Kind};
use crate::system::{Action, SysState, System};
use serde::Serialize;
use stateright::{Checker, HasDiscoveries, Model};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Network budgets and application sizes.
    pub budgets: Budgets,
    /// Checker threads for exhaustive runs.
    pub threads: usize,
    /// Explore mechanism switches exhaustively (all properties) instead of stopping at the
    /// counterexample to the property each switch must break.
    pub exhaustive: bool,
    /// Variants to run, standard first.
    pub variants: Vec<Variant>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            budgets: Budgets::default(),
            threads: 2,
            exhaustive: false,
            variants: Variant::ALL.to_vec(),
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
    /// The runs that include it stopped early (a switch's run stops at its counterexample).
    NotChecked,
}

impl Status {
    /// The word used in tables and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Violated => "violated",
            Status::NotChecked => "not-checked",
        }
    }
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
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The exploration visited every reachable state.
    pub complete: bool,
    /// Names of the properties that had a discovery.
    pub discovered: Vec<&'static str>,
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
    /// The scenario whose run decided it.
    pub scenario: Option<Scenario>,
    /// The counterexample (violated always/eventually) as a chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Chart>,
    /// This is the property the variant's switch must violate.
    pub expected_violation: bool,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Budgets used.
    pub budgets: Budgets,
    /// Every run.
    pub runs: Vec<Run>,
    /// Every verdict.
    pub outcomes: Vec<Outcome>,
    /// Total seconds.
    pub seconds: f64,
}

impl Report {
    /// Standard TCP violates nothing and every switch breaks the property it protects.
    pub fn success(&self) -> bool {
        self.failures().is_empty()
    }

    /// Human-readable reasons the report is a failure.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for o in &self.outcomes {
            if o.variant == Variant::Standard && o.status == Status::Violated {
                out.push(format!("standard TCP violates {}", o.property));
            }
            if o.expected_violation && o.status != Status::Violated {
                out.push(format!(
                    "switch {} does not produce a counterexample to {}",
                    o.variant, o.property
                ));
            }
        }
        out
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
}

/// The (variant, scenario) runs `opts` asks for, in order.
pub fn plan(opts: &CheckOptions) -> Vec<(Variant, Scenario)> {
    let mut plan = Vec::new();
    for &v in &opts.variants {
        for sc in Scenario::ALL {
            let wanted = match (v.must_violate(), opts.exhaustive) {
                (Some(p), false) => properties::names_for(sc).contains(&p),
                _ => true,
            };
            if wanted {
                plan.push((v, sc));
            }
        }
    }
    plan
}

type Path = Vec<(SysState, Option<Action>)>;

/// Cut a discovery path at the first state where it becomes a discovery (BFS with several
/// threads may report a longer path that runs past it).
fn trim(sys: &System, name: &str, mut path: Path) -> Path {
    let Some(spec) = properties::spec(name) else {
        return path;
    };
    let found = |s: &SysState| {
        let ok = properties::evaluate(name, sys, s);
        match spec.kind {
            Kind::Sometimes => ok,
            _ => !ok,
        }
    };
    if let Some(i) = path.iter().position(|(s, _)| found(s)) {
        path.truncate(i + 1);
        if let Some(last) = path.last_mut() {
            last.1 = None;
        }
    }
    path
}

/// Run one (variant, scenario) exploration.
fn run_one(
    variant: Variant,
    scenario: Scenario,
    opts: &CheckOptions,
    on_states: &mut dyn FnMut(usize),
) -> (Run, BTreeMap<&'static str, Path>, System) {
    let sys = System::new(Config::new(scenario, variant, opts.budgets));
    let early = match (variant.must_violate(), opts.exhaustive) {
        (Some(p), false) => Some(p),
        _ => None,
    };
    let mut builder = sys.clone().checker();
    builder = match early {
        // A single thread makes BFS return the shortest counterexample, deterministically.
        Some(p) => builder
            .threads(1)
            .finish_when(HasDiscoveries::AnyOf(BTreeSet::from([p]))),
        None => builder.threads(opts.threads.max(1)),
    };
    let start = Instant::now();
    let checker = builder.spawn_bfs();
    while !checker.is_done() {
        on_states(checker.unique_state_count());
        std::thread::sleep(Duration::from_millis(100));
    }
    let checker = checker.join();
    let seconds = start.elapsed().as_secs_f64();
    let states = checker.unique_state_count();
    let mut paths = BTreeMap::new();
    for (name, path) in checker.discoveries() {
        paths.insert(name, trim(&sys, name, path.into_vec()));
    }
    // An early-stopping run explored everything unless it found what it stopped for; a run
    // without early stop ends early only when every property has a discovery, which decides
    // them all.
    let complete = early.is_none_or(|p| !paths.contains_key(p));
    let run = Run {
        variant,
        scenario,
        states,
        seconds,
        complete,
        discovered: paths.keys().copied().collect(),
    };
    (run, paths, sys)
}

/// Check every planned run and gather the report. `progress` is called often while a run is
/// exploring.
pub fn check(opts: &CheckOptions, progress: &mut dyn FnMut(Progress)) -> Report {
    let start = Instant::now();
    let plan = plan(opts);
    let mut runs = Vec::new();
    let mut found: Vec<(Variant, Scenario, &'static str, Path, System)> = Vec::new();
    for (i, &(variant, scenario)) in plan.iter().enumerate() {
        let settled = !opts.exhaustive
            && variant
                .must_violate()
                .is_some_and(|p| found.iter().any(|f| f.0 == variant && f.2 == p));
        if settled {
            continue; // the switch already has its counterexample
        }
        let mut on_states = |states| {
            progress(Progress {
                variant,
                scenario,
                runs_done: i,
                runs_total: plan.len(),
                states,
            })
        };
        let (run, paths, sys) = run_one(variant, scenario, opts, &mut on_states);
        for (name, path) in paths {
            found.push((variant, scenario, name, path, sys.clone()));
        }
        runs.push(run);
    }
    let outcomes = verdicts(opts, &runs, &found);
    Report {
        budgets: opts.budgets,
        runs,
        outcomes,
        seconds: start.elapsed().as_secs_f64(),
    }
}

fn verdicts(
    opts: &CheckOptions,
    runs: &[Run],
    found: &[(Variant, Scenario, &'static str, Path, System)],
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for &variant in &opts.variants {
        for spec in properties::ALL {
            let checked_in: Vec<&Run> = runs
                .iter()
                .filter(|r| r.variant == variant)
                .filter(|r| properties::names_for(r.scenario).contains(&spec.name))
                .collect();
            if checked_in.is_empty() {
                continue;
            }
            let hit = found
                .iter()
                .find(|(v, _, name, _, _)| *v == variant && *name == spec.name);
            let all_complete = checked_in.iter().all(|r| r.complete);
            let status = match (spec.kind, hit.is_some(), all_complete) {
                (Kind::Sometimes, true, _) => Status::Holds,
                (Kind::Sometimes, false, true) => Status::Violated,
                (_, true, _) => Status::Violated,
                (_, false, true) => Status::Holds,
                (_, false, false) => Status::NotChecked,
            };
            let expected_violation = variant.must_violate() == Some(spec.name);
            if !opts.exhaustive && variant != Variant::Standard && !expected_violation {
                continue; // a switch's run only answers for the property it must break
            }
            let counterexample = match (spec.kind, hit) {
                (Kind::Always | Kind::Eventually, Some((_, _, _, path, sys))) => {
                    Some(chart(sys, path))
                }
                _ => None,
            };
            outcomes.push(Outcome {
                variant,
                property: spec.name,
                kind: spec.kind.name(),
                status,
                states: checked_in.iter().map(|r| r.states).sum(),
                seconds: checked_in.iter().map(|r| r.seconds).sum(),
                scenario: hit.map(|(_, sc, _, _, _)| *sc),
                counterexample,
                expected_violation,
            });
        }
    }
    outcomes
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
