//! The explored graph, stored compactly: per state its fingerprint, its parent and its
//! successors, and a table from fingerprints to ids. About 35 bytes per state plus 4 per
//! distinct successor, whatever the size of the model's states.

/// An id that no state has.
pub(super) const NONE: u32 = u32::MAX;

/// A bit per state.
#[derive(Default)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn set(&mut self, i: u32) {
        let (w, b) = (i as usize / 64, i % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    pub(super) fn clear(&mut self, i: u32) {
        let (w, b) = (i as usize / 64, i % 64);
        if let Some(x) = self.0.get_mut(w) {
            *x &= !(1 << b);
        }
    }

    pub(super) fn get(&self, i: u32) -> bool {
        let (w, b) = (i as usize / 64, i % 64);
        self.0.get(w).is_some_and(|x| x & (1 << b) != 0)
    }
}

/// Fingerprint to id: open addressing with linear probing over 8-byte slots, each the high
/// half of the fingerprint (a tag, compared first) and the id plus one (0 is an empty slot).
/// The full fingerprint is checked against the graph's list, so the table never holds it:
/// about 16 bytes per state where a general hash map of `u64` to `u32` takes 20 to 40.
/// Fingerprints are already uniform hashes, so their low bits pick the slot.
pub(super) struct IdTable {
    slots: Vec<u64>,
    len: usize,
}

impl IdTable {
    const INITIAL: usize = 1 << 10;

    pub(super) fn new() -> IdTable {
        IdTable {
            slots: vec![0; Self::INITIAL],
            len: 0,
        }
    }

    fn tag(fp: u64) -> u64 {
        fp >> 32
    }

    /// The id of the state with fingerprint `fp`, given every state's fingerprint by id.
    pub(super) fn get(&self, fp: u64, fps: &[u64]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = fp as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot >> 32 == Self::tag(fp) {
                let id = (slot as u32).wrapping_sub(1);
                if fps[id as usize] == fp {
                    return Some(id);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Record that the state with fingerprint `fp` (not yet in the table) has id `id`; the
    /// table doubles when it is 70% full.
    pub(super) fn insert(&mut self, fp: u64, id: u32, fps: &[u64]) {
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            self.grow(fps);
        }
        Self::place(&mut self.slots, fp, id);
        self.len += 1;
    }

    fn place(slots: &mut [u64], fp: u64, id: u32) {
        let mask = slots.len() - 1;
        let mut i = fp as usize & mask;
        while slots[i] != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = Self::tag(fp) << 32 | (id as u64 + 1);
    }

    fn grow(&mut self, fps: &[u64]) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        for &slot in &self.slots {
            if slot != 0 {
                let id = (slot as u32).wrapping_sub(1);
                Self::place(&mut slots, fps[id as usize], id);
            }
        }
        self.slots = slots;
    }
}

/// The explored graph: ids, parents, fingerprints and successors.
pub(super) struct Graph {
    pub(super) ids: IdTable,
    pub(super) fps: Vec<u64>,
    pub(super) parent: Vec<u32>,
    /// `edges[edge_start[i]..edge_start[i + 1]]` are the distinct successors of state `i`, in
    /// the order the model's actions first reach them.
    pub(super) edge_start: Vec<u32>,
    pub(super) edges: Vec<u32>,
}

impl Graph {
    pub(super) fn new() -> Graph {
        Graph {
            ids: IdTable::new(),
            fps: Vec::new(),
            parent: Vec::new(),
            edge_start: vec![0],
            edges: Vec::new(),
        }
    }

    /// Number of states.
    pub(super) fn len(&self) -> usize {
        self.fps.len()
    }

    /// The id of the state with fingerprint `fp`, if it has one.
    pub(super) fn id(&self, fp: u64) -> Option<u32> {
        self.ids.get(fp, &self.fps)
    }

    /// Add a state if new; its id, and whether it is new.
    pub(super) fn intern(&mut self, fp: u64, parent: u32) -> (u32, bool) {
        if let Some(id) = self.id(fp) {
            return (id, false);
        }
        let id = self.fps.len() as u32;
        self.fps.push(fp);
        self.parent.push(parent);
        self.ids.insert(fp, id, &self.fps);
        (id, true)
    }

    /// Add an edge from the state being absorbed (the last whose edges are open) to `to`,
    /// unless it is already there.
    pub(super) fn add_edge(&mut self, to: u32) {
        let start = self.edge_start.last().copied().unwrap_or(0) as usize;
        if !self.edges[start..].contains(&to) {
            self.edges.push(to);
        }
    }

    /// Close the edge list of the state being absorbed. `false` when the graph has as many
    /// edges as an edge index can count (the search must stop).
    pub(super) fn close_edges(&mut self) -> bool {
        match u32::try_from(self.edges.len()) {
            Ok(n) if n < u32::MAX => {
                self.edge_start.push(n);
                true
            }
            _ => false,
        }
    }

    /// The successors of state `i` (none if it was never expanded).
    pub(super) fn successors(&self, i: u32) -> &[u32] {
        let i = i as usize;
        if i + 1 >= self.edge_start.len() {
            return &[];
        }
        &self.edges[self.edge_start[i] as usize..self.edge_start[i + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_table_finds_what_it_holds_across_growth() {
        let mut g = Graph::new();
        // Fingerprints that share their low bits and their tags in places, to force probing.
        let fp = |i: u64| (i % 7) << 32 | (i * 1024) | (i % 3);
        for i in 0..5_000u64 {
            assert_eq!(g.intern(fp(i), NONE), (i as u32, true));
        }
        for i in 0..5_000u64 {
            assert_eq!(g.id(fp(i)), Some(i as u32));
            assert_eq!(g.intern(fp(i), NONE), (i as u32, false));
        }
        assert_eq!(g.id(fp(5_000)), None);
        assert_eq!(g.len(), 5_000);
    }

    #[test]
    fn edges_are_distinct_per_state_in_first_seen_order() {
        let mut g = Graph::new();
        for i in 0..3 {
            g.intern(i, NONE);
        }
        for to in [2, 1, 2, 0, 1] {
            g.add_edge(to);
        }
        assert!(g.close_edges());
        g.add_edge(0);
        assert!(g.close_edges());
        assert_eq!(g.successors(0), &[2, 1, 0]);
        assert_eq!(g.successors(1), &[0]);
        assert_eq!(g.successors(2), &[] as &[u32]);
    }
}
