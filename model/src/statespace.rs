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
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash};
use std::time::Instant;

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

const NONE: u32 = u32::MAX;
const BATCH: usize = 16_384;

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

type IdMap = HashMap<u64, u32, BuildHasherDefault<nohash_hasher::NoHashHasher<u64>>>;

/// A bit per state.
#[derive(Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: u32) {
        let (w, b) = (i as usize / 64, i % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    fn get(&self, i: u32) -> bool {
        let (w, b) = (i as usize / 64, i % 64);
        self.0.get(w).is_some_and(|x| x & (1 << b) != 0)
    }
}

/// The explored graph: ids, parents, fingerprints and successors.
struct Graph {
    ids: IdMap,
    fps: Vec<u64>,
    parent: Vec<u32>,
    /// `edges[edge_start[i]..edge_start[i + 1]]` are the successors of state `i`.
    edge_start: Vec<u64>,
    edges: Vec<u32>,
}

impl Graph {
    fn successors(&self, i: u32) -> &[u32] {
        let i = i as usize;
        if i + 1 >= self.edge_start.len() {
            return &[];
        }
        &self.edges[self.edge_start[i] as usize..self.edge_start[i + 1] as usize]
    }
}

/// What a worker computes for one state.
struct Expansion<S> {
    id: u32,
    /// Bit `k` set when property `k`'s condition holds in the state.
    holds: u64,
    terminal: bool,
    successors: Vec<(u64, S)>,
}

fn expand<M: Model>(model: &M, props: &[Property<M>], id: u32, s: &M::State) -> Expansion<M::State>
where
    M::State: Hash,
{
    let mut holds = 0u64;
    for (k, p) in props.iter().enumerate() {
        if (p.holds)(model, s) {
            holds |= 1 << k;
        }
    }
    let mut actions = Vec::new();
    model.actions(s, &mut actions);
    let mut successors = Vec::with_capacity(actions.len());
    for a in actions {
        if let Some(next) = model.next_state(s, a) {
            successors.push((fingerprint(&next), next));
        }
    }
    Expansion {
        id,
        holds,
        terminal: successors.is_empty(),
        successors,
    }
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

struct Search<'m, M: Model> {
    model: &'m M,
    props: &'m [Property<M>],
    graph: Graph,
    /// First state found deciding each property (violation or example).
    found: Vec<Option<u32>>,
    /// Per eventually-property: the states where its condition is false.
    bad: Vec<Bits>,
    depth: usize,
    peak_memory: Option<u64>,
    /// No state beyond this many is added.
    max_states: usize,
}

impl<'m, M> Search<'m, M>
where
    M: Fair + Sync,
    M::State: Hash + Clone + Send + Sync,
    M::Action: Clone,
{
    fn new(model: &'m M, props: &'m [Property<M>]) -> Self {
        Search {
            model,
            props,
            graph: Graph {
                ids: IdMap::default(),
                fps: Vec::new(),
                parent: Vec::new(),
                edge_start: vec![0],
                edges: Vec::new(),
            },
            found: vec![None; props.len()],
            bad: props.iter().map(|_| Bits::default()).collect(),
            depth: 0,
            peak_memory: None,
            max_states: usize::MAX,
        }
    }

    /// Add a state if new (and the budget allows); its id either way.
    fn intern(&mut self, fp: u64, parent: u32) -> (u32, bool) {
        let g = &mut self.graph;
        let next = g.fps.len() as u32;
        match g.ids.entry(fp) {
            std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(next);
                g.fps.push(fp);
                g.parent.push(parent);
                (next, true)
            }
        }
    }

    fn decided(&self, name: &str) -> bool {
        self.props
            .iter()
            .zip(&self.found)
            .any(|(p, f)| p.name == name && f.is_some())
    }

    /// Record what an expansion says about the properties and the graph.
    fn absorb(&mut self, e: Expansion<M::State>, next_level: &mut Vec<(u32, M::State)>) {
        for (k, p) in self.props.iter().enumerate() {
            let holds = e.holds & (1 << k) != 0;
            let discovery = match p.kind {
                Kind::Always => !holds,
                Kind::Sometimes => holds,
                Kind::Eventually => {
                    if !holds {
                        self.bad[k].set(e.id);
                    }
                    !holds && e.terminal
                }
            };
            if discovery && self.found[k].is_none() {
                self.found[k] = Some(e.id);
            }
        }
        for (fp, s) in e.successors {
            if self.graph.fps.len() >= self.max_states && !self.graph.ids.contains_key(&fp) {
                continue; // over budget: the search stops after this expansion
            }
            let (id, new) = self.intern(fp, e.id);
            self.graph.edges.push(id);
            if new {
                next_level.push((id, s));
            }
        }
        self.graph.edge_start.push(self.graph.edges.len() as u64);
    }

    fn run(&mut self, opts: Options<'_>) -> Stop {
        self.max_states = opts.budget.max_states;
        let mut level: Vec<(u32, M::State)> = Vec::new();
        for s in self.model.init_states() {
            let (id, new) = self.intern(fingerprint(&s), NONE);
            if new {
                level.push((id, s));
            }
        }
        let threads = opts.threads.max(1);
        while !level.is_empty() {
            let mut next_level = Vec::new();
            for batch in level.chunks(BATCH) {
                for e in expand_batch(self.model, self.props, batch, threads) {
                    self.absorb(e, &mut next_level);
                    if self.graph.fps.len() >= opts.budget.max_states {
                        return Stop::StateBudget;
                    }
                }
                let memory = resident_memory();
                self.peak_memory = self.peak_memory.max(memory);
                (opts.progress)(Progress {
                    states: self.graph.fps.len(),
                    depth: self.depth,
                    memory,
                });
                if let Some(&name) = opts.stop_on.iter().find(|n| self.decided(n)) {
                    return Stop::Decided(name);
                }
                if self.graph.fps.len() >= opts.budget.max_states {
                    return Stop::StateBudget;
                }
                if memory.is_some_and(|m| m > opts.budget.max_memory) {
                    return Stop::MemoryBudget;
                }
            }
            level = next_level;
            if !level.is_empty() {
                self.depth += 1;
            }
        }
        Stop::Complete
    }

    fn verdict(&self, k: usize, p: &Property<M>, stop: Stop) -> Verdict<M::State, M::Action> {
        if let Some(id) = self.found[k] {
            let trace = Trace {
                steps: self.path_to(id),
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
            .find(|s| fingerprint(s) == fp)
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
                (fingerprint(&next) == fp).then_some((a, next))
            })
            .expect("a recorded edge is an action of the model (the model is deterministic)")
    }

    /// Rebuild the run from an initial state to `id` by replaying the model.
    fn path_to(&self, id: u32) -> Vec<(M::State, Option<M::Action>)> {
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

    /// A fair cycle of `bad` states reachable from an initial state, as a lasso.
    fn fair_lasso(&self, bad: &Bits) -> Option<Trace<M::State, M::Action>> {
        let n = self.graph.fps.len() as u32;
        for scc in tarjan(&self.graph, n, |i| bad.get(i)) {
            if let Some(trace) = self.fair_cycle(&scc) {
                return Some(trace);
            }
        }
        None
    }

    /// If the component (a set of ids with a cycle) has a fair run, the lasso through it.
    fn fair_cycle(&self, scc: &[u32]) -> Option<Trace<M::State, M::Action>> {
        let entry = *scc.iter().min()?;
        let members: HashSet<u32> = scc.iter().copied().collect();
        let stem = self.path_to(entry);
        let (entry_state, _) = stem.last()?.clone();
        // The component's states and internal edges, rebuilt from the entry.
        let mut states: HashMap<u32, M::State> = HashMap::from([(entry, entry_state)]);
        let mut inner: Vec<(u32, M::Action, u32)> = Vec::new();
        let mut queue = VecDeque::from([entry]);
        while let Some(u) = queue.pop_front() {
            let s = states[&u].clone();
            let mut actions = Vec::new();
            self.model.actions(&s, &mut actions);
            for a in actions {
                let Some(next) = self.model.next_state(&s, a.clone()) else {
                    continue;
                };
                let Some(&v) = self.graph.ids.get(&fingerprint(&next)) else {
                    continue;
                };
                if !members.contains(&v) {
                    continue;
                }
                inner.push((u, a, v));
                if let std::collections::hash_map::Entry::Vacant(e) = states.entry(v) {
                    e.insert(next);
                    queue.push_back(v);
                }
            }
        }
        // Obligations enabled in every state of the component must be discharged inside it.
        let mut always: Option<HashSet<u64>> = None;
        for s in states.values() {
            let mut keys = Vec::new();
            self.model.obligations(s, &mut keys);
            let keys: HashSet<u64> = keys.into_iter().collect();
            always = Some(match always {
                None => keys,
                Some(a) => a.intersection(&keys).copied().collect(),
            });
        }
        let mut waypoints = Vec::new();
        for key in always.unwrap_or_default() {
            let edge = inner
                .iter()
                .position(|(u, a, _)| self.model.discharges(&states[u], a) == Some(key))?;
            waypoints.push(edge);
        }
        waypoints.sort_unstable();
        // A cycle from the entry through every discharging edge and back.
        let mut cycle: Vec<usize> = Vec::new();
        let mut at = entry;
        for w in waypoints {
            cycle.extend(inner_path(&inner, at, inner[w].0)?);
            cycle.push(w);
            at = inner[w].2;
        }
        if cycle.is_empty() || at != entry {
            let back = if cycle.is_empty() {
                // Any cycle through the entry: one edge out, then the way back.
                let first = inner.iter().position(|(u, _, _)| *u == entry)?;
                let mut p = vec![first];
                p.extend(inner_path(&inner, inner[first].2, entry)?);
                p
            } else {
                inner_path(&inner, at, entry)?
            };
            cycle.extend(back);
        }
        let mut steps = stem;
        let cycle_start = steps.len() - 1;
        for e in cycle {
            let (_, a, v) = &inner[e];
            if let Some(last) = steps.last_mut() {
                last.1 = Some(a.clone());
            }
            steps.push((states[v].clone(), None));
        }
        Some(Trace {
            steps,
            cycle_start: Some(cycle_start),
        })
    }
}

/// Expand a batch of states, split over `threads` workers, in order.
fn expand_batch<M>(
    model: &M,
    props: &[Property<M>],
    batch: &[(u32, M::State)],
    threads: usize,
) -> Vec<Expansion<M::State>>
where
    M: Model + Sync,
    M::State: Hash + Send + Sync,
{
    if threads == 1 || batch.len() < 64 {
        return batch
            .iter()
            .map(|(id, s)| expand(model, props, *id, s))
            .collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, s)| expand(model, props, *id, s))
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

/// The shortest sequence of edges (indices into `inner`) from `from` to `to`.
fn inner_path<A>(inner: &[(u32, A, u32)], from: u32, to: u32) -> Option<Vec<usize>> {
    if from == to {
        return Some(Vec::new());
    }
    let mut out: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, (a, _, _)) in inner.iter().enumerate() {
        out.entry(*a).or_default().push(i);
    }
    let mut prev: HashMap<u32, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(u) = queue.pop_front() {
        for &i in out.get(&u).map(Vec::as_slice).unwrap_or_default() {
            let b = inner[i].2;
            if b == from || prev.contains_key(&b) {
                continue;
            }
            prev.insert(b, i);
            if b == to {
                let mut path = vec![i];
                let mut at = u;
                while at != from {
                    let e = prev[&at];
                    path.push(e);
                    at = inner[e].0;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(b);
        }
    }
    None
}

/// Strongly connected components with a cycle (more than one state, or a self-loop) of the
/// subgraph induced by the states where `keep` holds, in the order Tarjan's algorithm
/// completes them (iterative, so deep graphs do not overflow the stack).
fn tarjan(g: &Graph, n: u32, keep: impl Fn(u32) -> bool) -> Vec<Vec<u32>> {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n as usize];
    let mut low = vec![0u32; n as usize];
    let mut on_stack = Bits::default();
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut out = Vec::new();
    for root in 0..n {
        if !keep(root) || index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, 0));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack.set(root);
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let succ = g.successors(v);
            if let Some(&w) = succ.get(*pos) {
                *pos += 1;
                if !keep(w) {
                    continue;
                }
                if index[w as usize] == UNSEEN {
                    index[w as usize] = next_index;
                    low[w as usize] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack.set(w);
                    calls.push((w, 0));
                } else if on_stack.get(w) {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let mut scc = Vec::new();
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    clear(&mut on_stack, w);
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                let cyclic = scc.len() > 1 || g.successors(v).contains(&v);
                if cyclic {
                    out.push(scc);
                }
            }
        }
    }
    out
}

fn clear(bits: &mut Bits, i: u32) {
    let (w, b) = (i as usize / 64, i % 64);
    if let Some(x) = bits.0.get_mut(w) {
        *x &= !(1 << b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter on a ring with an exit: 0 -> 1 -> 2 -> 0, and 2 -> 3 (done) when `exit`.
    /// `message` models a segment in flight in state 1 that the ring's step from 1 delivers
    /// (or not, when `deliver_in_ring` is false: then the ring is unfair to it).
    #[derive(Clone)]
    struct Ring {
        exit: bool,
        deliver_in_ring: bool,
    }

    impl Model for Ring {
        type State = u8;
        type Action = u8;
        fn init_states(&self) -> Vec<u8> {
            vec![0]
        }
        fn actions(&self, s: &u8, out: &mut Vec<u8>) {
            match s {
                0 | 1 => out.push((s + 1) % 3),
                2 => {
                    out.push(0);
                    if self.exit {
                        out.push(3);
                    }
                }
                _ => {}
            }
        }
        fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
            Some(a)
        }
    }

    impl Fair for Ring {
        fn obligations(&self, _: &u8, out: &mut Vec<u64>) {
            out.push(7); // a segment stays in flight in every state of the ring
        }
        fn discharges(&self, s: &u8, a: &u8) -> Option<u64> {
            (self.deliver_in_ring && *s == 1 && *a == 2).then_some(7)
        }
    }

    fn done() -> Property<Ring> {
        Property {
            name: "done",
            kind: Kind::Eventually,
            holds: |_, s| *s == 3,
        }
    }

    fn run(m: &Ring, props: &[Property<Ring>], budget: usize) -> Exploration<u8, u8> {
        explore(
            m,
            props,
            Options {
                threads: 1,
                budget: Budget {
                    max_states: budget,
                    max_memory: u64::MAX,
                },
                stop_on: Vec::new(),
                progress: &mut |_| {},
            },
        )
    }

    #[test]
    fn a_fair_loop_without_progress_violates_eventually() {
        let m = Ring {
            exit: true,
            deliver_in_ring: true,
        };
        let e = run(&m, &[done()], 100);
        assert_eq!((e.states, e.stop), (4, Stop::Complete));
        let Verdict::Violated(t) = &e.verdicts[0].1 else {
            panic!("{:?}", e.verdicts)
        };
        let states: Vec<u8> = t.steps.iter().map(|(s, _)| *s).collect();
        assert_eq!(states, vec![0, 1, 2, 0]);
        assert_eq!(t.cycle_start, Some(0));
    }

    #[test]
    fn an_unfair_loop_is_not_a_counterexample() {
        let m = Ring {
            exit: true,
            deliver_in_ring: false,
        };
        let e = run(&m, &[done()], 100);
        assert!(
            matches!(e.verdicts[0].1, Verdict::Holds),
            "{:?}",
            e.verdicts
        );
    }

    #[test]
    fn terminal_states_violate_and_always_finds_the_shallowest() {
        let m = Ring {
            exit: true,
            deliver_in_ring: true,
        };
        let props = [
            Property {
                name: "never-3",
                kind: Kind::Always,
                holds: |_: &Ring, s: &u8| *s != 3,
            },
            Property {
                name: "reach-2",
                kind: Kind::Sometimes,
                holds: |_: &Ring, s: &u8| *s == 2,
            },
            Property {
                name: "reach-9",
                kind: Kind::Sometimes,
                holds: |_: &Ring, s: &u8| *s == 9,
            },
            Property {
                name: "eventually-0",
                kind: Kind::Eventually,
                holds: |_: &Ring, s: &u8| *s == 0,
            },
        ];
        let e = run(&m, &props, 100);
        let Verdict::Violated(t) = &e.verdicts[0].1 else {
            panic!()
        };
        assert_eq!(t.steps.len(), 4, "0 -> 1 -> 2 -> 3");
        assert!(matches!(e.verdicts[1].1, Verdict::Reached(_)));
        assert!(matches!(e.verdicts[2].1, Verdict::Unreached));
        // 3 is terminal and not 0.
        let Verdict::Violated(t) = &e.verdicts[3].1 else {
            panic!()
        };
        assert_eq!(t.cycle_start, None);
        assert_eq!(t.steps.last().map(|s| s.0), Some(3));
    }

    #[test]
    fn a_budget_leaves_properties_undecided() {
        let m = Ring {
            exit: false,
            deliver_in_ring: true,
        };
        let e = run(&m, &[done()], 2);
        assert_eq!(e.stop, Stop::StateBudget);
        assert!(matches!(e.verdicts[0].1, Verdict::Undecided));
    }

    #[test]
    fn parallel_expansion_gives_the_same_graph() {
        let m = Ring {
            exit: true,
            deliver_in_ring: true,
        };
        let one = run(&m, &[done()], 100);
        let two = explore(
            &m,
            &[done()],
            Options {
                threads: 2,
                budget: Budget {
                    max_states: 100,
                    max_memory: u64::MAX,
                },
                stop_on: Vec::new(),
                progress: &mut |_| {},
            },
        );
        assert_eq!((one.states, one.edges), (two.states, two.edges));
    }
}
