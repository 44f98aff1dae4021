//! Fair lassos: the loops that violate an eventually-property. After a complete search, the
//! strongly connected components of the states where the property's condition is false are
//! computed (Tarjan); a component with a cycle has a fair run if and only if every obligation
//! enabled in all of its states is discharged by some edge inside it (weak fairness).

use super::graph::{Bits, Graph};
use super::search::Search;
use super::{Fair, Trace};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

impl<M> Search<'_, M>
where
    M: Fair + Sync,
    M::State: Hash + Clone + Send + Sync,
    M::Action: Clone,
{
    /// A fair cycle of `bad` states reachable from an initial state, as a lasso.
    pub(super) fn fair_lasso(&self, bad: &Bits) -> Option<Trace<M::State, M::Action>> {
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
                let Some(v) = self.graph.id(self.model.fingerprint(&next)) else {
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
                    on_stack.clear(w);
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
