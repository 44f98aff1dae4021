//! Symbolic numbers: `iss` learned from the target's SYN or SYN+ACK, `irs` chosen by the
//! replayer, `wnd` the last window the target advertised. In an expected segment `wnd` is the
//! window the peer's last segment was sent against: a number the target derives from what the
//! peer sent (the acknowledgment of a SYN sent at `irs+wnd+1`, say) must not move because the
//! reply itself advertises another window.

use tcp_vectors::{SeqExpr, SeqVar};

/// The values of the symbolic variables during one replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbols {
    /// The target's initial sequence number, once its SYN or SYN+ACK was seen.
    pub iss: Option<u32>,
    /// The peer's initial sequence number.
    pub irs: u32,
    /// The window field of the target's latest segment, once one was seen.
    pub wnd: Option<u32>,
    /// `wnd` as it was when the peer last sent a segment (what expected segments use).
    pub wnd_at_send: Option<u32>,
}

impl Symbols {
    /// Fresh symbols with the peer's ISN chosen from the vector id, so that runs repeat exactly
    /// but different vectors use different numbers (FNV-1a of the id).
    pub fn for_vector(id: &str) -> Self {
        let mut h: u32 = 0x811c_9dc5;
        for b in id.bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        Symbols {
            iss: None,
            irs: h,
            wnd: None,
            wnd_at_send: None,
        }
    }

    /// The symbols an expected segment is judged with: `wnd` as it was when the peer last sent.
    pub fn for_expected(&self) -> Symbols {
        Symbols {
            wnd: self.wnd_at_send.or(self.wnd),
            ..self.clone()
        }
    }

    /// Evaluate `e`; errors name the variable that is not known yet.
    pub fn eval(&self, e: &SeqExpr) -> Result<u32, String> {
        for var in &e.vars {
            match var {
                SeqVar::Iss if self.iss.is_none() => {
                    return Err(format!("`{e}` uses iss before the target sent its SYN"));
                }
                SeqVar::Wnd if self.wnd.is_none() => {
                    return Err(format!("`{e}` uses wnd before the target sent a segment"));
                }
                _ => {}
            }
        }
        Ok(e.eval(self.iss.unwrap_or(0), self.irs, self.wnd.unwrap_or(0)))
    }

    /// Write `value` relative to the nearest known base, e.g. `iss+2`, for messages (so that
    /// messages do not change with the target's random ISN); far from both bases, the number.
    pub fn describe(&self, value: u32) -> String {
        let mut best: Option<(String, i64)> = None;
        for (name, base) in [("iss", self.iss), ("irs", Some(self.irs))] {
            if let Some(b) = base {
                let d = value.wrapping_sub(b) as i32 as i64;
                if d.abs() < 1 << 20 && best.as_ref().is_none_or(|(_, bd)| d.abs() < bd.abs()) {
                    best = Some((name.to_string(), d));
                }
            }
        }
        match best {
            Some((name, 0)) => name,
            Some((name, d)) if d > 0 => format!("{name}+{d}"),
            Some((name, d)) => format!("{name}{d}"),
            None => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_needs_learned_values() {
        let mut s = Symbols::for_vector("a");
        let e: SeqExpr = "iss+1".parse().unwrap();
        assert!(s
            .eval(&e)
            .unwrap_err()
            .contains("before the target sent its SYN"));
        s.iss = Some(u32::MAX);
        assert_eq!(s.eval(&e), Ok(0));
        assert_eq!(s.describe(1), "iss+2");
        let w: SeqExpr = "irs+wnd".parse().unwrap();
        assert!(s.eval(&w).is_err());
        s.wnd = Some(10);
        s.wnd_at_send = Some(7);
        assert_eq!(
            s.for_expected().eval(&w).map(|v| v.wrapping_sub(s.irs)),
            Ok(7),
            "an expected segment is judged against the window the peer sent with"
        );
        assert_eq!(s.eval(&w), Ok(s.irs.wrapping_add(10)));
    }

    #[test]
    fn irs_depends_on_the_id() {
        assert_ne!(Symbols::for_vector("a").irs, Symbols::for_vector("b").irs);
        assert_eq!(Symbols::for_vector("a"), Symbols::for_vector("a"));
    }
}
