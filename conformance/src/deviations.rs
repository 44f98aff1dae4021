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
//! An `id` may be a pattern with `*` (any run of characters, `/` included) for one behaviour
//! that shows in many vectors, e.g. `*/rst-seq-window-edge`; a pattern entry must name the
//! `observed` text, so that it only ever covers that one behaviour.
//!
//! `continue: true` lets the replay go on after the difference, for differences that leave the
//! target where the model is (an extra ACK bit on an RST, another error code); without it the
//! replay ends at the difference, since what follows a diverged state says nothing new.
//!
//! A vector that fails and is covered by an entry whose `observed` text occurs in the failure
//! (or that has none) gets the verdict `deviation`; the first such entry in file order applies.
//! A vector listed by its exact id that passes fails (the entry is stale), and so does a listed
//! one whose failure contains none of its entries' `observed` texts, so that a new, different
//! difference is never hidden by an old entry. Entries that covered nothing in a whole run are
//! reported as unused.

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
    /// The vector id, or a pattern where `*` matches any run of characters.
    pub id: String,
    /// IP versions it applies to.
    #[serde(default)]
    pub ip: IpScope,
    /// What the target does.
    pub does: String,
    /// The RFC clause that allows it, or `real deviation`.
    pub rfc: String,
    /// Texts of which the failure message must contain one for the entry to apply (a single
    /// string or a list in the file: the symptoms of one behaviour); empty for any failure.
    #[serde(default, deserialize_with = "one_or_many")]
    pub observed: Vec<String>,
    /// Whether the replay goes on after this difference (`continue: true`): for differences
    /// that leave the target where the model is (an extra bit, another error code), so that
    /// the rest of the vector is still checked. Otherwise the replay ends there.
    #[serde(default, rename = "continue")]
    pub continues: bool,
}

/// Accept `observed: "text"` as well as `observed: [a, b]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
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
            if d.is_pattern() && d.observed.iter().all(|o| o.trim().is_empty()) {
                return Err(format!(
                    "{origin}: pattern entry {:?} needs `observed`: the text of the one \
                     behaviour it covers",
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

    /// The entries (with their index in the file) that cover this vector and IP version.
    pub fn covering(&self, id: &str, ipv6: bool) -> Vec<(usize, &Deviation)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                glob_match(&d.id, id)
                    && match d.ip {
                        IpScope::Both => true,
                        IpScope::V4 => !ipv6,
                        IpScope::V6 => ipv6,
                    }
            })
            .collect()
    }
}

impl Deviation {
    /// Whether the id is a pattern rather than one vector's id.
    pub fn is_pattern(&self) -> bool {
        self.id.contains('*')
    }

    /// Whether this entry explains `failure`: it names no `observed` text, or one occurs.
    pub fn explains(&self, failure: &str) -> bool {
        self.observed.is_empty() || self.observed.iter().any(|t| failure.contains(t.as_str()))
    }

    /// The entry as reports name it: its id, and its `observed` texts if any.
    pub fn label(&self) -> String {
        label(&self.id, &self.observed)
    }
}

/// How reports name an entry with this id and these `observed` texts.
pub fn label(id: &str, observed: &[String]) -> String {
    if observed.is_empty() {
        id.to_string()
    } else {
        let texts: Vec<String> = observed.iter().map(|o| format!("{o:?}")).collect();
        format!("{id} ({})", texts.join(" | "))
    }
}

/// Match `text` against `pattern`, where `*` matches any run of characters (also none).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_any_run_of_characters() {
        assert!(glob_match(
            "*/rst-seq-window-edge",
            "established/active/rst-seq-window-edge"
        ));
        assert!(glob_match(
            "syn-received/*/ack-*-old",
            "syn-received/passive/ack-seq-old-ack-old"
        ));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exact/more"));
        assert!(!glob_match("*/abort", "established/active/abort-x"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn pattern_entries_must_name_what_they_cover() {
        let e = Deviations::parse("- id: '*/abort'\n  does: x\n  rfc: y\n", "t").unwrap_err();
        assert!(e.contains("needs `observed`"), "{e}");
        let d = Deviations::parse(
            "- id: '*/abort'\n  does: x\n  rfc: y\n  observed: got RA\n",
            "t",
        )
        .unwrap();
        let covering = d.covering("established/active/abort", false);
        assert_eq!(covering.len(), 1);
        assert!(covering[0].1.explains("flags differs (expected R, got RA)"));
        assert!(!covering[0].1.explains("missing: expected R"));
        let d = Deviations::parse(
            "- id: '*'\n  does: x\n  rfc: y\n  observed: [got RA, missing]\n",
            "t",
        )
        .unwrap();
        assert!(d.entries[0].explains("missing: expected R"));
        assert!(d.entries[0].explains("got RA"));
        assert!(!d.entries[0].explains("state: expected LISTEN"));
        assert_eq!(d.entries[0].label(), "* (\"got RA\" | \"missing\")");
    }

    #[test]
    fn entries_need_a_justification_and_match_by_ip() {
        let d = Deviations::parse("- id: a\n  ip: v6\n  does: x\n  rfc: real deviation\n", "t")
            .unwrap();
        assert_eq!(d.covering("a", true).len(), 1);
        assert!(d.covering("a", false).is_empty());
        assert!(Deviations::parse("- id: a\n  does: x\n  rfc: ''\n", "t").is_err());
        let e =
            Deviations::parse("- id: a\n  does: x\n  rfc: y\n  colour: red\n", "t").unwrap_err();
        assert!(e.starts_with("t:4:"), "{e}");
    }
}
