//! Out-of-order segment queue (RFC 9293 section 3.10.7.4, first step: segments beyond
//! RCV.NXT but inside the window are held until the gap before them is filled). It also holds
//! the text and FIN of a SYN, at RCV.NXT, until the connection is ESTABLISHED (sections
//! 3.10.7.2 and 3.10.7.3).
//!
//! The caller only inserts data that lies inside the receive window, so the queued bytes are
//! bounded by the window; the number of separate runs is bounded by [`MAX_RUNS`], so that a
//! peer sending many tiny segments with gaps between them cannot make the queue cost
//! hundreds of thousands of allocations and quadratic insertion work. RFC 9293 lets a
//! receiver drop out-of-order segments (section 3.10.7.4: it "may" queue them), and
//! Linux likewise prunes its out-of-order queue under memory pressure
//! (`tcp_prune_ofo_queue`); a dropped piece is simply sent again by the peer.

use crate::seq::SeqNum;

/// The most separate runs (blocks of contiguous data with gaps between them) kept queued.
pub const MAX_RUNS: usize = 256;

/// Segments received ahead of RCV.NXT, plus an out-of-order FIN.
#[derive(Clone, Debug, Default)]
pub struct Reassembly {
    /// Non-overlapping runs sorted by sequence number.
    runs: Vec<(SeqNum, Vec<u8>)>,
    /// Sequence number of a FIN received out of order.
    fin: Option<SeqNum>,
}

impl Reassembly {
    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.fin.is_none()
    }

    /// Bytes queued.
    pub fn queued_bytes(&self) -> usize {
        self.runs.iter().map(|(_, d)| d.len()).sum()
    }

    /// Number of separate runs queued.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Queues `data` starting at `seq` (at or after `rcv_nxt`), dropping any part already
    /// queued. `fin` marks a FIN right after the data. Returns false when (part of)
    /// the data was not queued because it would have made more than [`MAX_RUNS`] runs.
    pub fn insert(&mut self, rcv_nxt: SeqNum, seq: SeqNum, data: &[u8], fin: bool) -> bool {
        if fin {
            self.fin = Some(seq.plus(data.len() as u32));
        }
        let mut start = seq;
        let mut data = data;
        // Trim anything before RCV.NXT.
        if start.lt(rcv_nxt) {
            let skip = rcv_nxt.since(start) as usize;
            if skip >= data.len() {
                return true;
            }
            data = &data[skip..];
            start = rcv_nxt;
        }
        // Insert the pieces of [start, start+len) not covered by existing runs.
        let mut pieces: Vec<(SeqNum, Vec<u8>)> = Vec::new();
        let mut cur = start;
        let end = start.plus(data.len() as u32);
        for (s, d) in &self.runs {
            let e = s.plus(d.len() as u32);
            if e.le(cur) {
                continue;
            }
            if s.ge(end) {
                break;
            }
            if cur.lt(*s) {
                let a = cur.since(start) as usize;
                let b = s.since(start) as usize;
                pieces.push((cur, data[a..b].to_vec()));
            }
            cur = e.max(cur);
            if cur.ge(end) {
                break;
            }
        }
        if cur.lt(end) {
            let a = cur.since(start) as usize;
            pieces.push((cur, data[a..].to_vec()));
        }
        let mut all_queued = true;
        for (s, d) in pieces {
            if d.is_empty() {
                continue;
            }
            let pos = self.runs.partition_point(|(x, _)| x.le(s));
            // A piece touching the run before or after it extends that run; only a piece
            // with gaps on both sides adds a run, and that is what the limit refuses.
            let joins_prev = pos > 0 && {
                let (ps, pd) = &self.runs[pos - 1];
                ps.plus(pd.len() as u32) == s
            };
            let joins_next = self
                .runs
                .get(pos)
                .is_some_and(|(ns, _)| s.plus(d.len() as u32) == *ns);
            if joins_prev && joins_next {
                let (_, next) = self.runs.remove(pos);
                let prev = &mut self.runs[pos - 1].1;
                prev.extend_from_slice(&d);
                prev.extend_from_slice(&next);
            } else if joins_prev {
                self.runs[pos - 1].1.extend_from_slice(&d);
            } else if joins_next {
                let (_, next) = self.runs.remove(pos);
                let mut joined = d;
                joined.extend_from_slice(&next);
                self.runs.insert(pos, (s, joined));
            } else if self.runs.len() < MAX_RUNS {
                self.runs.insert(pos, (s, d));
            } else {
                all_queued = false;
                if self.fin == Some(s.plus(d.len() as u32)) {
                    // The FIN after refused data cannot be delivered in order from here.
                    self.fin = None;
                }
            }
        }
        all_queued
    }

    /// Removes and returns the data that starts at `rcv_nxt` (possibly several runs joined),
    /// discarding runs made obsolete by it. The second value is true when the queued FIN
    /// immediately follows the returned data.
    pub fn pop_ready(&mut self, rcv_nxt: SeqNum) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut next = rcv_nxt;
        while let Some((s, d)) = self.runs.first() {
            let e = s.plus(d.len() as u32);
            if e.le(next) {
                self.runs.remove(0);
                continue;
            }
            if s.gt(next) {
                break;
            }
            let skip = next.since(*s) as usize;
            out.extend_from_slice(&d[skip..]);
            next = e;
            self.runs.remove(0);
        }
        let fin = self.fin == Some(next);
        if fin {
            self.fin = None;
        }
        (out, fin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_gaps_in_any_order() {
        let mut r = Reassembly::default();
        let base = SeqNum(u32::MAX - 5); // also crosses the wrap
        r.insert(base, base.plus(10), b"klmno", false);
        r.insert(base, base.plus(5), b"fghij", false);
        assert_eq!(r.pop_ready(base), (vec![], false));
        r.insert(base, base.plus(3), b"defgh", false); // overlaps the next run
        assert_eq!(r.queued_bytes(), 12);
        let (out, fin) = r.pop_ready(base.plus(3));
        assert_eq!(out, b"defghijklmno");
        assert!(!fin);
        assert!(r.is_empty());
    }

    #[test]
    fn duplicate_and_stale_data_is_dropped() {
        let mut r = Reassembly::default();
        let base = SeqNum(100);
        r.insert(base, SeqNum(110), b"0123456789", false);
        r.insert(base, SeqNum(112), b"23", false);
        r.insert(base, SeqNum(90), b"old", false);
        assert_eq!(r.queued_bytes(), 10);
        let (out, _) = r.pop_ready(SeqNum(115));
        assert_eq!(out, b"56789");
    }

    #[test]
    fn runs_are_bounded_and_adjacent_pieces_join() {
        let mut r = Reassembly::default();
        let base = SeqNum(0);
        // One byte every other sequence number: each piece is a run of its own.
        for i in 0..MAX_RUNS as u32 {
            assert!(r.insert(base, SeqNum(10 + 2 * i), b"x", false));
        }
        assert_eq!(r.runs(), MAX_RUNS);
        // A piece with gaps on both sides is refused now...
        let far = SeqNum(10 + 2 * MAX_RUNS as u32 + 5);
        assert!(!r.insert(base, far, b"y", false));
        assert_eq!(r.runs(), MAX_RUNS);
        assert_eq!(r.queued_bytes(), MAX_RUNS);
        // ...but one that extends a run is taken, and one filling a gap merges two runs.
        assert!(r.insert(base, SeqNum(11), b"z", false));
        assert_eq!(r.runs(), MAX_RUNS - 1);
        assert_eq!(r.queued_bytes(), MAX_RUNS + 1);
        // Filling every gap delivers everything in order.
        for i in 1..MAX_RUNS as u32 {
            assert!(r.insert(base, SeqNum(11 + 2 * i), b"z", false));
        }
        assert_eq!(r.runs(), 1);
        let (out, _) = r.pop_ready(SeqNum(10));
        assert_eq!(out.len(), 2 * MAX_RUNS);
        assert!(out.chunks(2).all(|c| c == b"xz"));
    }

    #[test]
    fn out_of_order_fin_is_delivered_after_the_data() {
        let mut r = Reassembly::default();
        r.insert(SeqNum(0), SeqNum(5), b"world", true);
        assert_eq!(r.pop_ready(SeqNum(0)), (vec![], false));
        assert_eq!(r.pop_ready(SeqNum(5)), (b"world".to_vec(), true));
    }
}
