//! Symbolic sequence numbers: `iss`, `irs+1`, `irs+wnd+65536`.

use crate::ParseError;
use std::fmt;
use std::str::FromStr;

/// A symbolic variable in a [`SeqExpr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqVar {
    /// The target's initial send sequence number.
    Iss,
    /// The peer's initial sequence number (chosen by the replayer).
    Irs,
    /// The receive window last advertised by the target.
    Wnd,
}

impl SeqVar {
    fn name(self) -> &'static str {
        match self {
            SeqVar::Iss => "iss",
            SeqVar::Irs => "irs",
            SeqVar::Wnd => "wnd",
        }
    }
}

/// A symbolic 32-bit sequence-space value: an optional base variable plus further terms and a
/// constant, e.g. `iss`, `iss+1`, `irs+wnd+1`, `irs-1`, `0`. Evaluated modulo 2^32.
/// Written with the variables first and the constant last.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeqExpr {
    /// Variables added together (usually one: `iss` or `irs`, possibly followed by `wnd`).
    pub vars: Vec<SeqVar>,
    /// Constant offset added to the variables.
    pub offset: i64,
}

impl SeqExpr {
    /// `var + offset`.
    pub fn new(var: SeqVar, offset: i64) -> Self {
        SeqExpr {
            vars: vec![var],
            offset,
        }
    }

    /// `var + wnd + offset`.
    pub fn with_window(var: SeqVar, offset: i64) -> Self {
        SeqExpr {
            vars: vec![var, SeqVar::Wnd],
            offset,
        }
    }

    /// Evaluate with concrete values of the variables, modulo 2^32.
    pub fn eval(&self, iss: u32, irs: u32, wnd: u32) -> u32 {
        let mut v: u32 = 0;
        for var in &self.vars {
            v = v.wrapping_add(match var {
                SeqVar::Iss => iss,
                SeqVar::Irs => irs,
                SeqVar::Wnd => wnd,
            });
        }
        // Truncation to the sequence space is the point: arithmetic is modulo 2^32.
        v.wrapping_add(self.offset as u32)
    }
}

impl fmt::Display for SeqExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, var) in self.vars.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(var.name())?;
        }
        match (self.vars.is_empty(), self.offset) {
            (true, n) => write!(f, "{n}"),
            (false, 0) => Ok(()),
            (false, n) if n > 0 => write!(f, "+{n}"),
            (false, n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for SeqExpr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(ParseError("empty sequence expression".into()));
        }
        let mut vars = Vec::new();
        let mut offset: i64 = 0;
        let mut rest = compact.as_str();
        let mut sign = 1i64;
        if let Some(r) = rest.strip_prefix('-') {
            sign = -1;
            rest = r;
        }
        loop {
            let end = rest.find(['+', '-']).unwrap_or(rest.len());
            let term = &rest[..end];
            match term {
                "iss" | "irs" | "wnd" if sign < 0 => {
                    return Err(ParseError(format!(
                        "in {s:?}: a variable cannot be subtracted ({term})"
                    )))
                }
                "iss" => vars.push(SeqVar::Iss),
                "irs" => vars.push(SeqVar::Irs),
                "wnd" => vars.push(SeqVar::Wnd),
                number => {
                    let n: i64 = number.parse().map_err(|_| {
                        ParseError(format!(
                            "in {s:?}: {number:?} is neither iss, irs, wnd nor an integer"
                        ))
                    })?;
                    offset += sign * n;
                }
            }
            if end == rest.len() {
                break;
            }
            sign = if rest.as_bytes()[end] == b'-' { -1 } else { 1 };
            rest = &rest[end + 1..];
        }
        Ok(SeqExpr { vars, offset })
    }
}

crate::text_serde!(SeqExpr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_expr_parses_and_prints() {
        for s in [
            "iss",
            "iss+1",
            "irs+wnd+1",
            "irs-1",
            "0",
            "irs+wnd+5",
            "iss-100",
        ] {
            let e: SeqExpr = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
        }
        let e: SeqExpr = "irs+1+wnd".parse().unwrap();
        assert_eq!(
            e.to_string(),
            "irs+wnd+1",
            "canonical form: variables first"
        );
        assert_eq!(e.eval(0, u32::MAX, 10), 10);
        assert!("foo+1".parse::<SeqExpr>().is_err());
        assert!("1-iss".parse::<SeqExpr>().is_err());
    }
}
