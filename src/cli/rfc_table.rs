//! `coverage --rfc`: RFC 9293 Appendix B's requirements, each with what checks it: the
//! vectors that name it (`requirements:`), the model's properties and switches, the
//! userspace stack's status and tests (its README's table), and, given a replay report
//! (`replay --target T --json`), how the vectors that check it fared on that target.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use tcp_model::generate::requirements::model_covers;
use tcp_vectors::requirements::RFC9293;
use tcp_vectors::Vector;

/// The userspace stack's README, whose Appendix B table gives each requirement's status and
/// tests there (checked against the stack's tests by `impl/tests/rfc9293_table.rs`).
const IMPL_README: &str = include_str!("../../impl/README.md");

/// The stack's status and tests of requirement `id`, from its README's table.
fn impl_row(id: &str) -> Option<(String, Vec<String>)> {
    let prefix = format!("| {id} |");
    let line = IMPL_README.lines().find(|l| l.starts_with(&prefix))?;
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    // | id | requirement | status | tests | notes |
    let status = cells.get(3)?.to_string();
    let tests = cells
        .get(4)
        .map(|t| {
            t.split(", ")
                .map(str::trim)
                .filter(|t| !t.is_empty() && *t != "-")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some((status, tests))
}

/// Pass, deviation and fail counts.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    pass: usize,
    deviation: usize,
    fail: usize,
}

/// The verdicts of a replay report (`replay --json`), by vector id.
fn read_report(path: &Path) -> Result<(String, BTreeMap<String, Vec<String>>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the replay report {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON (expected the output of `replay --json`)",
            path.display()
        )
    })?;
    let Some(results) = value.get("results").and_then(Value::as_array) else {
        bail!(
            "{}: no `results` list (expected the output of `replay --json`)",
            path.display()
        );
    };
    let target = value
        .get("target")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let mut verdicts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        let (Some(id), Some(verdict)) = (
            r.get("id").and_then(Value::as_str),
            r.get("verdict").and_then(Value::as_str),
        ) else {
            bail!("{}: result {i} has no `id` or `verdict`", path.display());
        };
        verdicts
            .entry(id.to_string())
            .or_default()
            .push(verdict.to_string());
    }
    Ok((target, verdicts))
}

/// One requirement's row.
struct Row {
    id: &'static str,
    text: &'static str,
    vectors: Vec<String>,
    model: Option<&'static str>,
    impl_status: String,
    impl_tests: Vec<String>,
    replay: Option<Tally>,
}

/// Build every row from the generated vectors (and a replay report, if given).
fn rows(vectors: &[Vector], report: Option<&BTreeMap<String, Vec<String>>>) -> Vec<Row> {
    RFC9293
        .iter()
        .map(|r| {
            let tagged: Vec<String> = vectors
                .iter()
                .filter(|v| v.requirements.iter().any(|id| id == r.id))
                .map(|v| v.id.clone())
                .collect();
            let (impl_status, impl_tests) =
                impl_row(r.id).unwrap_or_else(|| ("-".to_string(), Vec::new()));
            let replay = report.map(|verdicts| {
                let mut t = Tally::default();
                for v in tagged.iter().filter_map(|id| verdicts.get(id)).flatten() {
                    match v.as_str() {
                        "pass" => t.pass += 1,
                        "deviation" => t.deviation += 1,
                        _ => t.fail += 1,
                    }
                }
                t
            });
            Row {
                id: r.id,
                text: r.text,
                vectors: tagged,
                model: model_covers(r.id),
                impl_status,
                impl_tests,
                replay,
            }
        })
        .collect()
}

/// The table as text: one line per requirement, then the totals.
fn text(rows: &[Row], target: Option<&str>) -> String {
    let mut out = String::new();
    let replay_head = target.map_or(String::new(), |t| format!("{:>16}", format!("{t}: p/d/f")));
    let _ = writeln!(
        out,
        "{:<8} {:>7} {:>5} {:>6} {:<20}{} requirement",
        "id", "vectors", "model", "tests", "tcp-impl", replay_head
    );
    for r in rows {
        let replay = r.replay.map_or(String::new(), |t| {
            format!("{:>16}", format!("{}/{}/{}", t.pass, t.deviation, t.fail))
        });
        let text: String = r.text.chars().take(70).collect();
        let _ = writeln!(
            out,
            "{:<8} {:>7} {:>5} {:>6} {:<20}{} {}",
            r.id,
            r.vectors.len(),
            if r.model.is_some() { "yes" } else { "-" },
            r.impl_tests.len(),
            r.impl_status,
            replay,
            text
        );
    }
    let count = |f: &dyn Fn(&Row) -> bool, prefix: &str| {
        rows.iter()
            .filter(|r| r.id.starts_with(prefix) && f(r))
            .count()
    };
    for (prefix, name) in [("MUST-", "MUSTs"), ("SHLD-", "SHOULDs")] {
        let total = count(&|_| true, prefix);
        let _ = writeln!(
            out,
            "{name}: {total}; named by vectors {}, by the model {}, tested in tcp-impl {} \
             (implemented+tested {})",
            count(&|r| !r.vectors.is_empty(), prefix),
            count(&|r| r.model.is_some(), prefix),
            count(&|r| !r.impl_tests.is_empty(), prefix),
            count(&|r| r.impl_status == "implemented+tested", prefix),
        );
    }
    if let Some(t) = target {
        let sum = rows
            .iter()
            .filter_map(|r| r.replay)
            .fold(Tally::default(), |a, b| Tally {
                pass: a.pass + b.pass,
                deviation: a.deviation + b.deviation,
                fail: a.fail + b.fail,
            });
        let failing: Vec<&str> = rows
            .iter()
            .filter(|r| r.replay.is_some_and(|t| t.fail > 0))
            .map(|r| r.id)
            .collect();
        let deviating: Vec<&str> = rows
            .iter()
            .filter(|r| r.replay.is_some_and(|t| t.deviation > 0))
            .map(|r| r.id)
            .collect();
        let _ = writeln!(
            out,
            "{t}: replays of the requirements' vectors: {} pass, {} deviation, {} fail; \
             requirements with a deviation: {}; with a failure: {}",
            sum.pass,
            sum.deviation,
            sum.fail,
            if deviating.is_empty() {
                "none".to_string()
            } else {
                deviating.join(", ")
            },
            if failing.is_empty() {
                "none".to_string()
            } else {
                failing.join(", ")
            },
        );
    }
    out
}

/// The table as JSON.
fn to_json(rows: &[Row], target: Option<&str>) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "requirement": r.text,
                "vectors": r.vectors,
                "model": r.model,
                "impl_status": r.impl_status,
                "impl_tests": r.impl_tests,
                "replay": r.replay.map(|t| json!({
                    "pass": t.pass, "deviation": t.deviation, "fail": t.fail
                })),
            })
        })
        .collect();
    json!({ "target": target, "requirements": rows })
}

/// Print RFC 9293's table for the generated vectors, with a replay report's verdicts if
/// `report` names one.
pub fn print(vectors: &[Vector], report: Option<&Path>, as_json: bool) -> Result<()> {
    let report = report.map(read_report).transpose()?;
    let rows = rows(vectors, report.as_ref().map(|(_, v)| v));
    let target = report.as_ref().map(|(t, _)| t.as_str());
    if as_json {
        println!("{}", serde_json::to_string_pretty(&to_json(&rows, target))?);
    } else {
        print!("{}", text(&rows, target));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_impl_table_has_every_requirement() {
        for r in RFC9293 {
            let (status, _) =
                impl_row(r.id).unwrap_or_else(|| panic!("{} not in impl/README.md", r.id));
            assert!(
                ["implemented+tested", "not applicable", "not followed"].contains(&status.as_str()),
                "{}: {status}",
                r.id
            );
        }
        let (_, tests) = impl_row("MUST-59").expect("MUST-59");
        assert_eq!(
            tests,
            ["coalesce::tests::queued_segments_are_all_processed_before_any_ack"]
        );
    }
}
