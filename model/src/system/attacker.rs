//! The off-path attacker of RFC 5961: it knows the connection's ports, not its numbers, so the
//! model lets it try every class of number.

use super::{HostId, System};
use crate::endpoint::Endpoint;
use crate::segment::{ctl, Segment, Seq};

impl System {
    /// The attacker's segments against host `h`: RST, SYN and one octet of data, at every
    /// sequence class (old, exact, in-window, last in the window, the window's edge, beyond)
    /// and, for data, every acknowledgment class (below RFC 5961's range, old, SND.UNA,
    /// SND.NXT, beyond). The attacker knows the ports, not the numbers: trying every class is
    /// how the model covers every guess.
    pub(super) fn injections(&self, ep: &Endpoint, h: HostId) -> Vec<Segment> {
        let wnd = self.config.params[h].wnd;
        let n = ep.rcv_nxt;
        let seqs = [n - 1, n, n + 1, n + (wnd - 1), n + wnd, n + 2 * wnd];
        let acks = [
            ep.snd_una - (wnd + 1),
            ep.snd_una - 1,
            ep.snd_una,
            ep.snd_nxt,
            ep.snd_nxt + 1,
        ];
        let mut out = Vec::new();
        for &seq in &seqs {
            for (syn, rst) in [(false, true), (true, false)] {
                out.push(Segment {
                    flags: ctl(syn, false, false, rst),
                    seq,
                    ack: Seq(0),
                    len: 0,
                });
            }
            for &ack in &acks {
                out.push(Segment {
                    flags: ctl(false, true, false, false),
                    seq,
                    ack,
                    len: 1,
                });
            }
        }
        out.sort();
        out.dedup();
        out
    }
}
