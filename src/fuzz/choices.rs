//! The RFC alternatives a target is known to take (`conformance/choices/<target>.yaml`): a
//! walk's oracle keeps only the policies that take them ([`Oracle::hold`]).
//!
//! The suite shows which alternative a stack takes at every `one_of` (README, "The RFC
//! choices each stack makes"). A walk that allowed both would let a fault hide behind the
//! other one: a stack that forgets held out-of-order text looks exactly like one that drops
//! out-of-order segments, which the RFCs allow (RFC 9293 3.10.7.4, first).
//!
//! [`Oracle::hold`]: tcp_model::generate::walk::Oracle::hold

use anyhow::{anyhow, bail, Context, Result};
use std::collections::BTreeMap;
use tcp_conformance::TargetKind;
use tcp_model::policy::Choice;

/// The target's choices file, if it has one: its text and its path in the repository.
pub fn choices_file(kind: &TargetKind) -> Option<(&'static str, &'static str)> {
    match kind {
        TargetKind::Linux => Some((
            include_str!("../../conformance/choices/linux.yaml"),
            "conformance/choices/linux.yaml",
        )),
        TargetKind::Impl => Some((
            include_str!("../../conformance/choices/impl.yaml"),
            "conformance/choices/impl.yaml",
        )),
        _ => None,
    }
}

/// Parse a choices file: a map from a choice's key ([`Choice::key`]) to the name of one of
/// its alternatives ([`Choice::alternatives`]); each entry becomes (choice, whether it is the
/// second alternative).
pub fn parse(text: &str, origin: &str) -> Result<Vec<(Choice, bool)>> {
    let map: BTreeMap<String, String> = serde_yaml::from_str(text)
        .with_context(|| format!("{origin}: not a map from choice to alternative"))?;
    let mut out = Vec::new();
    for (key, alt) in map {
        let choice = Choice::ALL
            .into_iter()
            .find(|c| c.key() == key)
            .ok_or_else(|| {
                let keys: Vec<&str> = Choice::ALL.iter().map(|c| c.key()).collect();
                anyhow!(
                    "{origin}: unknown choice `{key}` (the choices: {})",
                    keys.join(", ")
                )
            })?;
        let alts = choice.alternatives();
        match alts.iter().position(|a| *a == alt) {
            Some(i) => out.push((choice, i == 1)),
            None => bail!(
                "{origin}: `{key}: {alt}` names no alternative of {key} (it has {} and {})",
                alts[0],
                alts[1]
            ),
        }
    }
    Ok(out)
}

/// The choices the walks on `kind` hold to (none for a target without a file).
pub fn choices_for(kind: &TargetKind) -> Result<Vec<(Choice, bool)>> {
    match choices_file(kind) {
        Some((text, origin)) => parse(text, origin),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_parse_and_name_real_alternatives() {
        let ours = choices_for(&TargetKind::Impl).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(ours.len(), Choice::ALL.len());
        assert!(ours.contains(&(Choice::OutOfOrder, false)), "held");
        let linux = choices_for(&TargetKind::Linux).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(linux.contains(&(Choice::SynText, true)), "dropped");
    }

    #[test]
    fn a_bad_file_says_what_is_wrong_and_where() {
        let e = parse("out-of-order: kept\n", "f.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("f.yaml") && e.contains("held and dropped"),
            "{e}"
        );
        let e = parse("no-such: held\n", "f.yaml").unwrap_err().to_string();
        assert!(e.contains("unknown choice `no-such`"), "{e}");
        let e = parse("- a list\n", "f.yaml").unwrap_err().to_string();
        assert!(e.contains("not a map"), "{e}");
    }
}
