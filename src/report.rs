//! Rendering a check report as a table with charts, or as JSON.

use anyhow::Result;
use serde_json::json;
use std::fmt::Write;
use tcp_model::check::{peak_memory_kib, Overall, Report, RunEnd, Status};
use tcp_model::properties;

/// The port `explore` serves on unless told otherwise.
pub const DEFAULT_PORT: u16 = 3000;

/// The Explorer's address of a path (`0/3/1/...`) served on 127.0.0.1:`port`.
pub fn explorer_url(path: &str, port: u16) -> String {
    format!("http://127.0.0.1:{port}/#/steps/{path}")
}

/// The `explore` command that serves the model a counterexample of this report was found in,
/// and opens at it.
fn explore_command(report: &Report, variant: &str, scenario: &str, property: &str) -> String {
    let mut cmd = format!(
        "explore --variant {variant} --scenario {scenario} --counterexample {property}{}",
        crate::cli::check::budget_flags(&report.budgets)
    );
    for name in report.reductions.off() {
        cmd.push_str(&format!(" --without-reduction {name}"));
    }
    cmd
}

/// The table of verdicts followed by the counterexample charts.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let b = &report.budgets;
    let _ = writeln!(
        out,
        "tcpspec check: losses={} duplicates={} incarnations={} bytes={} crash={} attacks={} \
         max-states={}",
        b.losses,
        b.duplicates,
        b.incarnations,
        b.bytes,
        if b.crash { "on" } else { "off" },
        b.attacks,
        report.max_states
    );
    let off = report.reductions.off();
    if !off.is_empty() {
        let _ = writeln!(out, "without reductions: {}", off.join(", "));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<19} {:<36} {:<10} {:<20} {:>10} {:>8}",
        "variant", "property", "kind", "status", "states", "seconds"
    );
    let _ = writeln!(out, "{}", "-".repeat(108));
    for o in &report.outcomes {
        let status = match (o.status, o.expected_violation) {
            (Status::Violated, true) => "VIOLATED (expected)".to_string(),
            (Status::Violated, false) => "VIOLATED".to_string(),
            (Status::Inconclusive, _) => "INCONCLUSIVE".to_string(),
            (s, _) => s.word().to_string(),
        };
        let _ = writeln!(
            out,
            "{:<19} {:<36} {:<10} {:<20} {:>10} {:>8.2}",
            o.variant.name(),
            o.property,
            o.kind,
            status,
            o.states,
            o.seconds
        );
    }
    let states: usize = report.runs.iter().map(|r| r.states).sum();
    let _ = writeln!(out);
    let _ = writeln!(out, "runs:");
    for r in &report.runs {
        let _ = writeln!(
            out,
            "  {:<19} {:<14} {:>10} states {:>8.2} s  {}",
            r.variant.name(),
            r.scenario.name(),
            r.states,
            r.seconds,
            match r.end {
                RunEnd::Complete => "complete",
                RunEnd::Found => "stopped at its counterexample",
                RunEnd::StateBudget => "STOPPED at --max-states",
                RunEnd::MemoryBudget => "STOPPED at the memory budget",
            }
        );
    }
    let _ = writeln!(
        out,
        "{} runs, {} states in {:.2} s ({:.0} states/s){}",
        report.runs.len(),
        states,
        report.seconds,
        states as f64 / report.seconds.max(1e-9),
        peak_memory_kib()
            .map(|k| format!(", peak memory {} MiB", k / 1024))
            .unwrap_or_default()
    );
    for o in &report.outcomes {
        let Some(chart) = &o.counterexample else {
            continue;
        };
        let doc = properties::spec(o.property).map(|p| p.doc).unwrap_or("");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "== {} violates {} ({}) ==",
            o.variant.name(),
            o.property,
            o.scenario.map(|s| s.name()).unwrap_or("?")
        );
        let _ = writeln!(out, "   {}: {doc}", o.property);
        let _ = writeln!(out);
        out.push_str(&chart.to_text());
        if let (Some(path), Some(scenario)) = (&o.explorer_path, o.scenario) {
            let _ = writeln!(out);
            let _ = writeln!(out, "   Explorer: {}", explorer_url(path, DEFAULT_PORT));
            let _ = writeln!(
                out,
                "   (served by: tcpspec {})",
                explore_command(report, o.variant.name(), scenario.name(), o.property)
            );
        }
    }
    let _ = writeln!(out);
    match report.overall() {
        Overall::Ok => {
            let _ = writeln!(
                out,
                "OK: standard TCP satisfies every property; every switch breaks the properties it \
                 protects."
            );
        }
        Overall::Failed(reasons) => {
            for f in reasons {
                let _ = writeln!(out, "FAIL: {f}");
            }
        }
        Overall::Inconclusive(reasons) => {
            for f in reasons {
                let _ = writeln!(out, "INCONCLUSIVE: {f}");
            }
            let _ = writeln!(
                out,
                "Nothing wrong was found, but these were left undecided: a run that stopped at \
                 its budget (raise --max-states or --max-memory-mib, or lower the budgets), or a \
                 property whose scenarios were not all run."
            );
        }
    }
    out
}

/// The machine-readable report.
pub fn json(report: &Report) -> Result<String> {
    let results: Vec<_> = report
        .outcomes
        .iter()
        .map(|o| {
            json!({
                "variant": o.variant.name(),
                "property": o.property,
                "kind": o.kind,
                "status": o.status.word(),
                "states": o.states,
                "seconds": o.seconds,
                "scenario": o.scenario.map(|s| s.name()),
                "expected_violation": o.expected_violation,
                "counterexample": o.counterexample,
                "explorer_url": o.explorer_path.as_deref().map(|p| explorer_url(p, DEFAULT_PORT)),
            })
        })
        .collect();
    let value = json!({
        "budgets": report.budgets,
        "results": results,
        "runs": report.runs,
        "seconds": report.seconds,
        "peak_memory_kib": peak_memory_kib(),
        "max_states": report.max_states,
        "reductions": report.reductions,
        "success": report.success(),
        "overall": match report.overall() {
            Overall::Ok => "ok",
            Overall::Failed(_) => "failed",
            Overall::Inconclusive(_) => "inconclusive",
        },
    });
    Ok(serde_json::to_string_pretty(&value)?)
}
