//! TCP control flags, written as letters (`SA`, `FA`, `.`).

use crate::ParseError;
use std::fmt;
use std::str::FromStr;

/// TCP control flags, written as letters: `S` SYN, `A` ACK, `F` FIN, `R` RST, `P` PSH, `U` URG.
/// Letters may come in any order when parsed; they are written in the order `S`, `F`, `R`, `P`,
/// `A`, `U` (e.g. `SA`, `FA`, `RA`); `.` is a segment with no flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flags {
    /// SYN: synchronize sequence numbers.
    pub syn: bool,
    /// FIN: no more data from sender.
    pub fin: bool,
    /// RST: reset the connection.
    pub rst: bool,
    /// PSH: push function.
    pub psh: bool,
    /// ACK: acknowledgment field is significant.
    pub ack: bool,
    /// URG: urgent pointer field is significant.
    pub urg: bool,
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack, 'A'),
            (self.urg, 'U'),
        ];
        let mut any = false;
        for (on, c) in letters {
            if on {
                write!(f, "{c}")?;
                any = true;
            }
        }
        if !any {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl FromStr for Flags {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut flags = Flags::default();
        if s == "." {
            return Ok(flags);
        }
        if s.is_empty() {
            return Err(ParseError(
                "empty flags: write `.` for a segment without flags".into(),
            ));
        }
        for c in s.chars() {
            let slot = match c {
                'S' => &mut flags.syn,
                'F' => &mut flags.fin,
                'R' => &mut flags.rst,
                'P' => &mut flags.psh,
                'A' => &mut flags.ack,
                'U' => &mut flags.urg,
                other => {
                    return Err(ParseError(format!(
                        "unknown flag letter {other:?} in {s:?} (expected letters of SFRPAU)"
                    )))
                }
            };
            if *slot {
                return Err(ParseError(format!("flag letter {c:?} repeated in {s:?}")));
            }
            *slot = true;
        }
        Ok(flags)
    }
}

crate::text_serde!(Flags);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_reject_unknown_letters() {
        assert_eq!("AS".parse::<Flags>().unwrap().to_string(), "SA");
        assert_eq!(".".parse::<Flags>().unwrap(), Flags::default());
        assert!("SX".parse::<Flags>().is_err());
        assert!("SS".parse::<Flags>().is_err());
        assert!("".parse::<Flags>().is_err());
    }
}
