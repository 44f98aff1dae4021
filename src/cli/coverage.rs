//! `coverage`: the RFC 9293 state x event matrix the vectors cover.

use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::collections::BTreeMap;
use std::process::ExitCode;
use tcp_model::generate::{event_classes, generate, CellStatus};
use tcp_vectors::TcpState;

/// Options of `coverage`.
#[derive(Args, Debug)]
pub struct CoverageArgs {
    /// Print JSON (`cells_total`, `cells_covered`, `cells_unreachable`, `vectors`, and every
    /// cell) instead of the matrix.
    #[arg(long)]
    pub json: bool,
    /// Print RFC 9293 Appendix B's requirements instead, each with the vectors that check it,
    /// the model's properties and switches, and the userspace stack's status and tests.
    #[arg(long)]
    pub rfc: bool,
    /// With `--rfc`: a replay report (`replay --target T --json > FILE`) whose verdicts are
    /// counted per requirement (pass/deviation/fail of the vectors that check it).
    #[arg(long, requires = "rfc", value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
}

/// Run `coverage`.
pub fn run(args: &CoverageArgs) -> Result<ExitCode> {
    let g = generate()?;
    if args.rfc {
        super::rfc_table::print(&g.vectors, args.report.as_deref(), args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let classes = event_classes();
    let covered = g
        .matrix
        .values()
        .filter(|c| matches!(c, CellStatus::Covered(_)))
        .count();
    let unreachable = g.matrix.len() - covered;
    if args.json {
        let cells: Vec<_> = g
            .matrix
            .iter()
            .map(|((state, class), status)| match status {
                CellStatus::Covered(id) => {
                    json!({"state": state.name(), "event": class, "status": "covered", "vector": id})
                }
                CellStatus::Unreachable(why) => {
                    json!({"state": state.name(), "event": class, "status": "unreachable", "reason": why.to_string()})
                }
            })
            .collect();
        let value = json!({
            "cells_total": g.matrix.len(),
            "cells_covered": covered,
            "cells_unreachable": unreachable,
            "cells_not_covered": g.matrix.len() - covered - unreachable,
            "vectors": g.vectors.len(),
            "cells": cells,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", matrix_text(&g.matrix, &classes));
    println!(
        "\n{} cells: {covered} covered (X), {unreachable} unreachable (.), 0 not covered; {} vectors",
        g.matrix.len(),
        g.vectors.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// One row per event class, one column per state: `X` covered, `.` unreachable.
fn matrix_text(matrix: &BTreeMap<(TcpState, String), CellStatus>, classes: &[String]) -> String {
    let abbrev = [
        "CLSD", "LSTN", "SSNT", "SRCV", "ESTB", "FW1", "FW2", "CLWT", "CLSG", "LACK", "TMWT",
    ];
    let mut out = format!("{:<44}", "event \\ state");
    for a in abbrev {
        out.push_str(&format!("{a:>5}"));
    }
    out.push('\n');
    for class in classes {
        out.push_str(&format!("{class:<44}"));
        for state in TcpState::ALL {
            let mark = match matrix.get(&(state, class.clone())) {
                Some(CellStatus::Covered(_)) => "X",
                Some(CellStatus::Unreachable(_)) => ".",
                None => "?",
            };
            out.push_str(&format!("{mark:>5}"));
        }
        out.push('\n');
    }
    out
}
