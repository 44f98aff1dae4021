//! What the walks reached, against what the generated vectors reach: (state, event class)
//! cells, and two-event sequences (consecutive event classes).

use super::Report;
use std::collections::BTreeSet;
use tcp_vectors::TcpState;

/// The figures of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Distinct (state, event class) cells the walks applied an event in.
    pub cells: usize,
    /// Of those, cells no generated vector covers.
    pub cells_beyond_vectors: usize,
    /// Cells the generated vectors cover.
    pub vector_cells: usize,
    /// Distinct two-event sequences in the walks.
    pub pairs: usize,
    /// Of those, sequences no generated vector's script contains.
    pub pairs_beyond_vectors: usize,
    /// Two-event sequences in the generated vectors' scripts.
    pub vector_pairs: usize,
}

/// Count the walks' cells and sequences and compare them with the vectors'.
pub fn measure(report: &Report) -> Coverage {
    let mut cells: BTreeSet<(TcpState, String)> = BTreeSet::new();
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for w in &report.walks {
        let classes: Vec<String> = w.events.iter().map(|e| e.stimulus.class_name()).collect();
        for e in &w.events {
            cells.insert((e.state, e.stimulus.class_name()));
        }
        for p in classes.windows(2) {
            pairs.insert((p[0].clone(), p[1].clone()));
        }
    }
    let (vcells, vpairs) = tcp_model::generate::walk::vectors_reach();
    Coverage {
        cells: cells.len(),
        cells_beyond_vectors: cells.difference(&vcells).count(),
        vector_cells: vcells.len(),
        pairs: pairs.len(),
        pairs_beyond_vectors: pairs.difference(&vpairs).count(),
        vector_pairs: vpairs.len(),
    }
}
