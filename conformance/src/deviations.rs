//! Known differences between a target and the model, each justified.
//!
//! File format (`conformance/deviations/<target>.yaml`), a list of entries:
//!
//! ```yaml
//! - id: passive/syn-received/rcv-rst      # vector id
//!   ip: both                              # v4, v6 or both (default both)
//!   does: Linux drops the request silently and sends nothing
//!   rfc: RFC 9293 section 3.10.7.4 ... allows it   # or "real deviation"
//!   observed: state differs               # optional: text the failure must contain
//! ```
//!
//! A vector that fails and is listed gets the verdict `deviation`; a listed vector that passes
//! fails (the entry is stale), and so does a listed one whose failure does not contain
//! `observed`, so that a new, different difference is never hidden by an old entry.

use serde::Deserialize;
use std::path::Path;

/// Which IP versions an entry covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpScope {
    /// IPv4 and IPv6.
    #[default]
    Both,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// One justified difference.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The vector id.
    pub id: String,
    /// IP versions it applies to.
    #[serde(default)]
    pub ip: IpScope,
    /// What the target does.
    pub does: String,
    /// The RFC clause that allows it, or `real deviation`.
    pub rfc: String,
    /// Text the failure message must contain for the entry to apply.
    #[serde(default)]
    pub observed: Option<String>,
}

/// The deviations of one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deviations {
    /// The entries, in file order.
    pub entries: Vec<Deviation>,
}

impl Deviations {
    /// Parse the YAML text of a deviations file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let entries: Vec<Deviation> =
            serde_yaml::from_str(text).map_err(|e| match e.location() {
                Some(l) => format!("{origin}:{}:{}: {e}", l.line(), l.column()),
                None => format!("{origin}: {e}"),
            })?;
        for d in &entries {
            if d.rfc.trim().is_empty() || d.does.trim().is_empty() {
                return Err(format!(
                    "{origin}: entry {:?} needs `does` and `rfc` (or \"real deviation\")",
                    d.id
                ));
            }
        }
        Ok(Deviations { entries })
    }

    /// Read a deviations file; a missing file is an empty list only when `required` is false.
    pub fn load(path: &Path, required: bool) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Deviations::parse(&text, &path.display().to_string()),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Deviations::default())
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The entry for this vector and IP version.
    pub fn find(&self, id: &str, ipv6: bool) -> Option<&Deviation> {
        self.entries.iter().find(|d| {
            d.id == id
                && match d.ip {
                    IpScope::Both => true,
                    IpScope::V4 => !ipv6,
                    IpScope::V6 => ipv6,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_need_a_justification_and_match_by_ip() {
        let d = Deviations::parse("- id: a\n  ip: v6\n  does: x\n  rfc: real deviation\n", "t")
            .unwrap();
        assert!(d.find("a", true).is_some());
        assert!(d.find("a", false).is_none());
        assert!(Deviations::parse("- id: a\n  does: x\n  rfc: ''\n", "t").is_err());
        let e =
            Deviations::parse("- id: a\n  does: x\n  rfc: y\n  colour: red\n", "t").unwrap_err();
        assert!(e.starts_with("t:4:"), "{e}");
    }
}
