//! The explicit state space of a model, explored breadth-first, with the three kinds of
//! property this project checks and the budgets that keep a search from being killed.
//!
//! stateright's checkers decide *always* and *sometimes* properties, but its `eventually` is
//! checked only along the paths it happens to walk and is unsound where paths join or loop (its
//! own documentation says so). A TCP run that loops forever without progress (an ACK war, a
//! probe answered by a probe) must violate an eventually-property, so this module keeps the
//! graph it explores and looks for such loops itself:
//!
//! - **Breadth-first search** over fingerprints (64-bit hashes of states, as stateright does:
//!   two different states share one with probability about n^2 / 2^65). Each state gets an id
//!   in discovery order; the search keeps its parent, its fingerprint and its successors (a
//!   compressed adjacency list), but not the state itself once it is expanded.
//! - **Always**: the first state that violates the condition (the shallowest, since the search
//!   is breadth-first) is the counterexample. **Sometimes**: the first state that satisfies it
//!   is the example.
//! - **Eventually** (condition `P`, stable once reached): violated by a terminal state (no
//!   action enabled) where `P` is false, or by a *fair lasso*: a reachable cycle of states
//!   where `P` is false that a fair run can follow forever. After a complete search the
//!   strongly connected components of the subgraph of not-`P` states are computed (Tarjan);
//!   a component with a cycle contains a fair run if and only if every obligation enabled in
//!   *all* of its states is discharged by some edge inside it ([`Fair`]; weak fairness: the
//!   network eventually delivers a segment that stays in flight). The counterexample is the
//!   path to the component and a cycle through it that discharges those obligations.
//! - **Budgets**: the search stops itself when it has seen `max_states` states or the process
//!   holds more than `max_memory` bytes, and says so ([`Stop`]); a property it has not decided
//!   by then is [`Verdict::Undecided`], never "holds".
//!
//! Paths are rebuilt by replaying the model from an initial state along parent ids, matching
//! fingerprints, so nothing but ids and fingerprints is stored per state.

use stateright::Model;

use std::hash::Hash;
use std::time::Instant;

mod graph;
mod lasso;
mod search;

use search::Search;
#[cfg(test)]
mod tests;

/// How a property is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Safety: the condition holds in every reachable state.
    Always,
    /// Liveness: every fair maximal run reaches a state where the (stable) condition holds.
    Eventually,
    /// Reachability: some reachable state satisfies the condition.
    Sometimes,
}

impl Kind {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Eventually => "eventually",
            Kind::Sometimes => "sometimes",
        }
    }
}

/// A named condition on states of `M`, checked as `kind` says.
pub struct Property<M: Model> {
    /// Name used in reports.
    pub name: &'static str,
    /// How it is checked.
    pub kind: Kind,
    /// The condition.
    pub holds: fn(&M, &M::State) -> bool,
}

impl<M: Model> Clone for Property<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: Model> Copy for Property<M> {}

/// Weak fairness of a model: obligations that a fair run must discharge if they stay enabled.
pub trait Fair: Model {
    /// Push the keys of the obligations enabled in `state` (e.g. one per segment in flight).
    fn obligations(&self, state: &Self::State, out: &mut Vec<u64>);
    /// The obligation that taking `action` in `state` discharges, if any.
    fn discharges(&self, state: &Self::State, action: &Self::Action) -> Option<u64>;
    /// The identity of a state in the graph: by default the [`fingerprint`] of all of it. A
    /// model may leave out monotone history that only always- and sometimes-properties read
    /// (the search judges those on every successor before duplicates merge).
    fn fingerprint(&self, state: &Self::State) -> u64
    where
        Self::State: Hash,
    {
        fingerprint(state)
    }
}

/// When a search gives up rather than risk being killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Stop after this many unique states.
    pub max_states: usize,
    /// Stop when the process's resident memory exceeds this many bytes.
    pub max_memory: u64,
}

/// Why a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every reachable state was explored.
    Complete,
    /// A property named in [`Options::stop_on`] was decided.
    Decided(&'static str),
    /// [`Budget::max_states`] was reached.
    StateBudget,
    /// [`Budget::max_memory`] was exceeded.
    MemoryBudget,
}

impl Stop {
    /// Whether the whole state space was explored.
    pub fn complete(self) -> bool {
        self == Stop::Complete
    }
}

/// A path through the state space: each state with the action taken from it (the last with
/// none). For a lasso, the last state equals the state at `cycle_start` and the run repeats
/// from there forever.
#[derive(Clone, Debug)]
pub struct Trace<S, A> {
    /// The states and actions.
    pub steps: Vec<(S, Option<A>)>,
    /// Index of the state the run returns to, for a lasso.
    pub cycle_start: Option<usize>,
}

/// What the search found for one property.
#[derive(Clone, Debug)]
pub enum Verdict<S, A> {
    /// Always/eventually: no counterexample exists (the search was complete).
    Holds,
    /// Always/eventually: this run violates it.
    Violated(Trace<S, A>),
    /// Sometimes: this run reaches it.
    Reached(Trace<S, A>),
    /// Sometimes: no reachable state satisfies it (the search was complete).
    Unreached,
    /// The search stopped before deciding.
    Undecided,
}

/// Progress of a running search.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Unique states seen.
    pub states: usize,
    /// Depth (breadth-first level) being expanded.
    pub depth: usize,
    /// Resident memory of the process in bytes, when known.
    pub memory: Option<u64>,
}

/// How to search.
pub struct Options<'a> {
    /// Worker threads expanding states (at least 1).
    pub threads: usize,
    /// When to give up.
    pub budget: Budget,
    /// Stop as soon as one of these properties is decided (a violation of an always or
    /// eventually property, or a sometimes property reached).
    pub stop_on: Vec<&'static str>,
    /// Called after every batch of expanded states.
    pub progress: &'a mut dyn FnMut(Progress),
}

/// The result of a search.
#[derive(Clone, Debug)]
pub struct Exploration<S, A> {
    /// Unique states seen.
    pub states: usize,
    /// Transitions between them.
    pub edges: usize,
    /// Deepest breadth-first level reached.
    pub depth: usize,
    /// Why the search ended.
    pub stop: Stop,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak resident memory of the process in bytes, when known.
    pub peak_memory: Option<u64>,
    /// One verdict per property, in the order given.
    pub verdicts: Vec<(&'static str, Verdict<S, A>)>,
}

/// The 64-bit fingerprint of a state (ahash with fixed keys: stable across runs).
pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    )
    .hash_one(value)
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`), if known.
pub fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Explore `model` breadth-first and decide `props` (at most 64).
pub fn explore<M>(
    model: &M,
    props: &[Property<M>],
    opts: Options<'_>,
) -> Exploration<M::State, M::Action>
where
    M: Fair + Sync,
    M::State: Hash + Clone + Send + Sync,
    M::Action: Clone,
{
    assert!(props.len() <= 64, "at most 64 properties per search");
    let start = Instant::now();
    let mut search = Search::new(model, props);
    let stop = search.run(opts);
    let mut verdicts = Vec::new();
    for (k, p) in props.iter().enumerate() {
        let v = search.verdict(k, p, stop);
        verdicts.push((p.name, v));
    }
    Exploration {
        states: search.graph.fps.len(),
        edges: search.graph.edges.len(),
        depth: search.depth,
        stop,
        seconds: start.elapsed().as_secs_f64(),
        peak_memory: search.peak_memory,
        verdicts,
    }
}
