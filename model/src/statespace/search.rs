//! The breadth-first search: expand states in parallel, merge what they reach into the graph,
//! and remember where each property was decided.
//!
//! Each level is cut into batches. A batch is expanded by the worker threads, which also look
//! every successor up in the graph (read-only while they run): a successor already known
//! becomes an edge at once and its state is dropped in the worker. Only the new ones reach
//! the single thread that adds states to the graph, in a fixed order, so ids (and therefore
//! counterexamples) do not depend on the number of threads.

use super::graph::{Bits, Graph, NONE};
use super::{
    resident_memory, Budget, Fair, Kind, Options, Progress, Property, Stop, Trace, Verdict,
};
use stateright::Model;
use std::collections::VecDeque;
use std::hash::Hash;

/// States expanded per batch (between progress reports and budget checks).
const BATCH: usize = 16_384;

/// A successor as a worker saw it.
enum Successor {
    /// Already in the graph, with this id.
    Known(u32),
    /// Not in the graph when the batch began: the next of the expansion's `new` states.
    New,
}

/// What a worker computes for one state.
struct Expansion<S> {
    id: u32,
    /// Bit `k` set when eventually-property `k`'s condition holds in the state.
    holds: u64,
    terminal: bool,
    /// Every successor, in action order (small: the states themselves are in `new`).
    successors: Vec<Successor>,
    /// The successors not in the graph when the batch began, with their fingerprints.
    new: Vec<(u64, S)>,
    /// Always- and sometimes-properties decided by a successor: (property, action index).
    discoveries: Vec<(usize, usize)>,
}

/// Whether `s` decides property `p`: violates an always-property or satisfies a
/// sometimes-property (an eventually-property is decided by terminal states and loops).
pub(super) fn decides<M: Model>(model: &M, p: &Property<M>, s: &M::State) -> bool {
    match p.kind {
        Kind::Always => !(p.holds)(model, s),
        Kind::Sometimes => (p.holds)(model, s),
        Kind::Eventually => false,
    }
}

/// Expand one state. Eventually-conditions are judged on the state itself; always- and
/// sometimes-conditions on every successor as generated, before duplicates are merged, so a
/// model may leave monotone history (violation flags, facts) out of its states' fingerprints
/// without losing a violation or an example. `open` masks the properties still undecided.
fn expand<M: Fair>(
    model: &M,
    props: &[Property<M>],
    open: u64,
    graph: &Graph,
    (id, s): &(u32, M::State),
) -> Expansion<M::State>
where
    M::State: Hash,
{
    let mut holds = 0u64;
    for (k, p) in props.iter().enumerate() {
        if p.kind == Kind::Eventually && (p.holds)(model, s) {
            holds |= 1 << k;
        }
    }
    let mut actions = Vec::new();
    model.actions(s, &mut actions);
    let mut successors = Vec::with_capacity(actions.len());
    let mut new = Vec::new();
    let mut discoveries = Vec::new();
    for (i, a) in actions.into_iter().enumerate() {
        let Some(next) = model.next_state(s, a) else {
            continue;
        };
        for (k, p) in props.iter().enumerate() {
            if open & (1 << k) != 0 && decides(model, p, &next) {
                discoveries.push((k, i));
            }
        }
        let fp = model.fingerprint(&next);
        successors.push(match graph.id(fp) {
            Some(known) => Successor::Known(known),
            None => {
                new.push((fp, next));
                Successor::New
            }
        });
    }
    Expansion {
        id: *id,
        holds,
        terminal: successors.is_empty(),
        successors,
        new,
        discoveries,
    }
}

/// Expand a batch of states, split over `threads` workers, in order.
fn expand_batch<M>(
    model: &M,
    props: &[Property<M>],
    open: u64,
    graph: &Graph,
    batch: &[(u32, M::State)],
    threads: usize,
) -> Vec<Expansion<M::State>>
where
    M: Fair + Sync,
    M::State: Hash + Send + Sync,
{
    if threads == 1 || batch.len() < 64 {
        return batch
            .iter()
            .map(|e| expand(model, props, open, graph, e))
            .collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|e| expand(model, props, open, graph, e))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a state expansion panicked"))
            .collect()
    })
}

/// Where a property was decided.
#[derive(Clone, Copy, Debug)]
pub(super) enum Discovery {
    /// In this state (an initial state, or a terminal one for an eventually-property).
    State(u32),
    /// By the successor that the action with this index of the state with this id makes.
    Edge(u32, usize),
}

/// States waiting to be expanded, in batches: a batch is freed as soon as it is expanded.
type Frontier<S> = VecDeque<Vec<(u32, S)>>;

/// Expanded batches kept for reuse (their memory stays mapped: allocating a fresh batch
/// costs the kernel a page fault per page).
type Spare<S> = Vec<Vec<(u32, S)>>;

/// At most this many spare batches are kept.
const SPARE_BATCHES: usize = 4;

fn push_frontier<S>(frontier: &mut Frontier<S>, spare: &mut Spare<S>, id: u32, s: S) {
    match frontier.back_mut() {
        Some(batch) if batch.len() < BATCH => batch.push((id, s)),
        _ => {
            let mut batch = spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
            batch.push((id, s));
            frontier.push_back(batch);
        }
    }
}

/// Give an expanded batch back for reuse.
fn recycle<S>(spare: &mut Spare<S>, mut batch: Vec<(u32, S)>) {
    if spare.len() < SPARE_BATCHES {
        batch.clear();
        spare.push(batch);
    }
}

/// A breadth-first search in progress, and what it has found.
pub(super) struct Search<'m, M: Model> {
    pub(super) model: &'m M,
    props: &'m [Property<M>],
    pub(super) graph: Graph,
    /// Where each property was first decided (violation or example).
    found: Vec<Option<Discovery>>,
    /// Per eventually-property: the states where its condition is false.
    bad: Vec<Bits>,
    pub(super) depth: usize,
    pub(super) peak_memory: Option<u64>,
    /// Expanded batches kept for reuse.
    spare: Spare<M::State>,
}

impl<'m, M> Search<'m, M>
where
    M: Fair + Sync,
    M::State: Hash + Clone + Send + Sync,
    M::Action: Clone,
{
    pub(super) fn new(model: &'m M, props: &'m [Property<M>]) -> Self {
        Search {
            model,
            props,
            graph: Graph::new(),
            found: vec![None; props.len()],
            bad: props.iter().map(|_| Bits::default()).collect(),
            depth: 0,
            peak_memory: None,
            spare: Vec::new(),
        }
    }

    fn decided(&self, name: &str) -> bool {
        self.props
            .iter()
            .zip(&self.found)
            .any(|(p, f)| p.name == name && f.is_some())
    }

    /// The properties not decided yet, as a bit mask.
    fn open(&self) -> u64 {
        self.found
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_none())
            .fold(0, |m, (k, _)| m | 1 << k)
    }

    /// Record what an expansion says about the properties and the graph. `false` when the
    /// graph is full (the state budget, or the edge index) and the search must stop.
    fn absorb(
        &mut self,
        e: Expansion<M::State>,
        budget: &Budget,
        next: &mut Frontier<M::State>,
    ) -> bool {
        for (k, p) in self.props.iter().enumerate() {
            if p.kind != Kind::Eventually || e.holds & (1 << k) != 0 {
                continue;
            }
            self.bad[k].set(e.id);
            if e.terminal && self.found[k].is_none() {
                self.found[k] = Some(Discovery::State(e.id));
            }
        }
        for &(k, i) in &e.discoveries {
            if self.found[k].is_none() {
                self.found[k] = Some(Discovery::Edge(e.id, i));
            }
        }
        let mut new_states = e.new.into_iter();
        for successor in e.successors {
            let to = match successor {
                Successor::Known(id) => id,
                Successor::New => {
                    let (fp, s) = new_states
                        .next()
                        .expect("an expansion has a new state for every New successor");
                    if self.graph.len() >= budget.max_states && self.graph.id(fp).is_none() {
                        continue; // over budget: the search stops after this expansion
                    }
                    let (id, new) = self.graph.intern(fp, e.id);
                    if new {
                        push_frontier(next, &mut self.spare, id, s);
                    }
                    id
                }
            };
            self.graph.add_edge(to);
        }
        self.graph.close_edges() && self.graph.len() < budget.max_states
    }

    /// Search until every state is expanded, a budget is reached, or a property in
    /// `opts.stop_on` is decided.
    pub(super) fn run(&mut self, opts: Options<'_>) -> Stop {
        let mut level: Frontier<M::State> = VecDeque::new();
        for s in self.model.init_states() {
            let (id, new) = self.graph.intern(self.model.fingerprint(&s), NONE);
            for (k, p) in self.props.iter().enumerate() {
                if self.found[k].is_none() && decides(self.model, p, &s) {
                    self.found[k] = Some(Discovery::State(id));
                }
            }
            if new {
                push_frontier(&mut level, &mut self.spare, id, s);
            }
        }
        let threads = opts.threads.max(1);
        while !level.is_empty() {
            let mut next = VecDeque::new();
            while let Some(batch) = level.pop_front() {
                let open = self.open();
                let expanded =
                    expand_batch(self.model, self.props, open, &self.graph, &batch, threads);
                recycle(&mut self.spare, batch);
                for e in expanded {
                    if !self.absorb(e, &opts.budget, &mut next) {
                        return Stop::StateBudget;
                    }
                }
                let memory = resident_memory();
                self.peak_memory = self.peak_memory.max(memory);
                (opts.progress)(Progress {
                    states: self.graph.len(),
                    depth: self.depth,
                    memory,
                });
                if let Some(&name) = opts.stop_on.iter().find(|n| self.decided(n)) {
                    return Stop::Decided(name);
                }
                if memory.is_some_and(|m| m > opts.budget.max_memory) {
                    return Stop::MemoryBudget;
                }
            }
            level = next;
            if !level.is_empty() {
                self.depth += 1;
            }
        }
        Stop::Complete
    }

    /// The verdict on property `k` after the search stopped for `stop`.
    pub(super) fn verdict(
        &self,
        k: usize,
        p: &Property<M>,
        stop: Stop,
    ) -> Verdict<M::State, M::Action> {
        if let Some(d) = self.found[k] {
            let trace = Trace {
                steps: self.path_of(d),
                cycle_start: None,
            };
            return match p.kind {
                Kind::Sometimes => Verdict::Reached(trace),
                _ => Verdict::Violated(trace),
            };
        }
        if !stop.complete() {
            return Verdict::Undecided;
        }
        match p.kind {
            Kind::Always => Verdict::Holds,
            Kind::Sometimes => Verdict::Unreached,
            Kind::Eventually => match self.fair_lasso(&self.bad[k]) {
                Some(trace) => Verdict::Violated(trace),
                None => Verdict::Holds,
            },
        }
    }

    /// The ids from an initial state to `id`.
    fn id_path(&self, id: u32) -> Vec<u32> {
        let mut ids = vec![id];
        let mut at = id;
        while self.graph.parent[at as usize] != NONE {
            at = self.graph.parent[at as usize];
            ids.push(at);
        }
        ids.reverse();
        ids
    }

    /// The state with fingerprint `fp` among the initial states.
    fn init_state(&self, fp: u64) -> M::State {
        self.model
            .init_states()
            .into_iter()
            .find(|s| self.model.fingerprint(s) == fp)
            .expect("an initial state has the root's fingerprint")
    }

    /// The action from `s` that leads to the state with fingerprint `fp`, and that state.
    fn step_to(&self, s: &M::State, fp: u64) -> (M::Action, M::State) {
        let mut actions = Vec::new();
        self.model.actions(s, &mut actions);
        actions
            .into_iter()
            .find_map(|a| {
                let next = self.model.next_state(s, a.clone())?;
                (self.model.fingerprint(&next) == fp).then_some((a, next))
            })
            .expect("a recorded edge is an action of the model (the model is deterministic)")
    }

    /// The run that made a discovery: to its state, or to its parent and through the action.
    fn path_of(&self, d: Discovery) -> Vec<(M::State, Option<M::Action>)> {
        match d {
            Discovery::State(id) => self.path_to(id),
            Discovery::Edge(id, i) => {
                let mut steps = self.path_to(id);
                let Some((last, _)) = steps.pop() else {
                    return steps;
                };
                let mut actions = Vec::new();
                self.model.actions(&last, &mut actions);
                let a = actions.swap_remove(i);
                let next = self
                    .model
                    .next_state(&last, a.clone())
                    .expect("the discovering action has a successor (the model is deterministic)");
                steps.push((last, Some(a)));
                steps.push((next, None));
                steps
            }
        }
    }

    /// Rebuild the run from an initial state to `id` by replaying the model.
    pub(super) fn path_to(&self, id: u32) -> Vec<(M::State, Option<M::Action>)> {
        let ids = self.id_path(id);
        let mut state = self.init_state(self.graph.fps[ids[0] as usize]);
        let mut steps = Vec::new();
        for &next in &ids[1..] {
            let (a, s) = self.step_to(&state, self.graph.fps[next as usize]);
            steps.push((std::mem::replace(&mut state, s), Some(a)));
        }
        steps.push((state, None));
        steps
    }
}
