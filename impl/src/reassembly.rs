//! Out-of-order segment queue (RFC 9293 section 3.10.7.4, seventh step: segments beyond
//! RCV.NXT but inside the window are held until the gap before them is filled).
//!
//! The caller only inserts data that lies inside the receive window, so the queue's memory
//! is bounded by the window.

use crate::seq::SeqNum;

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

    /// Queues `data` starting at `seq` (which must be after `rcv_nxt`), dropping any part
    /// already queued. `fin` marks a FIN right after the data.
    pub fn insert(&mut self, rcv_nxt: SeqNum, seq: SeqNum, data: &[u8], fin: bool) {
        if fin {
            self.fin = Some(seq.plus(data.len() as u32));
        }
        let mut start = seq;
        let mut data = data;
        // Trim anything before RCV.NXT.
        if start.lt(rcv_nxt) {
            let skip = rcv_nxt.since(start) as usize;
            if skip >= data.len() {
                return;
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
        for (s, d) in pieces {
            if d.is_empty() {
                continue;
            }
            let pos = self
                .runs
                .iter()
                .position(|(x, _)| s.lt(*x))
                .unwrap_or(self.runs.len());
            self.runs.insert(pos, (s, d));
        }
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
    fn out_of_order_fin_is_delivered_after_the_data() {
        let mut r = Reassembly::default();
        r.insert(SeqNum(0), SeqNum(5), b"world", true);
        assert_eq!(r.pop_ready(SeqNum(0)), (vec![], false));
        assert_eq!(r.pop_ready(SeqNum(5)), (b"world".to_vec(), true));
    }
}
