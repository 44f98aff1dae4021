//! Shrinking a failing walk to a small one that still fails.
//!
//! A walk is its genome ([`tcp_model::generate::walk::pick`]), so shrinking is quickcheck's
//! shrinking of a `Vec<u32>`: drop runs of events, then lower single numbers (a lower number
//! picks a more ordinary event). The genome is first cut just after the event that failed.
//! Each candidate is walked again against the same target; the first that still fails (with
//! any unexplained difference) is taken and shrunk further, until no candidate fails or the
//! budget of walks is spent.

use super::walk::{self, Context, Verdict, Walked};
use quickcheck::Arbitrary;
use tcp_conformance::target::Driven;

/// A shrunk walk.
pub struct Shrunk {
    /// The smallest failing walk found.
    pub walked: Walked,
    /// Its genome.
    pub genome: Vec<u32>,
    /// Walks run while shrinking.
    pub tries: usize,
}

/// Shrink the failing walk `walked` of `genome`, running at most `budget` walks.
pub fn shrink(
    driven: &mut Driven<'_>,
    genome: &[u32],
    walked: Walked,
    ctx: &Context<'_>,
    budget: usize,
) -> Shrunk {
    let mut best = Shrunk {
        genome: genome.to_vec(),
        walked,
        tries: 0,
    };
    let fails = |w: &Walked| matches!(w.verdict, Verdict::Fail(_));
    // Everything after the failing event is irrelevant.
    if best.walked.failed_at.is_some() {
        let used = best.walked.genes_used(best.genome.len());
        if used < best.genome.len() {
            let cut = best.genome[..used].to_vec();
            let w = walk::run(driven, &cut, ctx);
            best.tries += 1;
            if fails(&w) {
                best.genome = cut;
                best.walked = w;
            }
        }
    }
    'shrinking: while best.tries < budget {
        for candidate in best.genome.shrink() {
            if candidate.is_empty() {
                continue;
            }
            if best.tries >= budget {
                break 'shrinking;
            }
            let w = walk::run(driven, &candidate, ctx);
            best.tries += 1;
            if fails(&w) {
                best.genome = candidate;
                best.walked = w;
                continue 'shrinking;
            }
        }
        break;
    }
    best
}
