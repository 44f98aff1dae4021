//! Durations, written `50ms` or `2s`.

use crate::ParseError;
use std::fmt;
use std::str::FromStr;

/// A duration in milliseconds, written `50ms` or `2s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1000 && self.0.is_multiple_of(1000) {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

impl FromStr for Millis {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError(format!("bad duration {s:?}: expected e.g. `50ms` or `2s`"));
        if let Some(n) = s.strip_suffix("ms") {
            n.trim().parse().map(Millis).map_err(|_| bad())
        } else if let Some(n) = s.strip_suffix('s') {
            n.trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(1000))
                .map(Millis)
                .ok_or_else(bad)
        } else {
            Err(bad())
        }
    }
}

crate::text_serde!(Millis);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_print_and_reject_overflow() {
        assert_eq!("50ms".parse::<Millis>().unwrap(), Millis(50));
        assert_eq!("2s".parse::<Millis>().unwrap().to_string(), "2s");
        assert_eq!(Millis(1500).to_string(), "1500ms");
        let e = "99999999999999999999s".parse::<Millis>().unwrap_err();
        assert!(e.0.contains("bad duration"), "{e:?}");
        assert!(
            "18446744073709552s".parse::<Millis>().is_err(),
            "overflow is an error"
        );
        assert!("50".parse::<Millis>().is_err(), "a unit is required");
    }
}
