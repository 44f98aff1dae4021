//! `fuzz`: random walks against a target with the model as the oracle (see [`crate::fuzz`]).

use crate::fuzz::{self, coverage, walk::Verdict, Config, Report};
use anyhow::{Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tcp_conformance::TargetKind;

/// Options of `fuzz`.
#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// The implementation to test: linux, impl, smoltcp, lwip, or exec:PROGRAM [ARGS].
    #[arg(long, default_value = "impl", value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<TargetKind>()))]
    pub target: TargetKind,
    /// Seed of the walks: the same seed gives the same walks.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Walks to run.
    #[arg(long, default_value_t = 200)]
    pub walks: usize,
    /// Events per walk after its start path (half the walks begin at the end of a path to a
    /// state the vectors test).
    #[arg(long, default_value_t = 12)]
    pub depth: usize,
    /// Parallel jobs, each with its own network namespace and target.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Walks a failing walk's shrinking may run.
    #[arg(long, default_value_t = 150)]
    pub shrink_budget: usize,
    /// Stop handing out walks once one fails.
    #[arg(long)]
    pub stop_at_failure: bool,
    /// Deviations file; default the shipped `conformance/deviations/<target>.yaml`. The
    /// walk-only entries of `conformance/deviations/walks/<target>.yaml` apply as well.
    #[arg(long)]
    pub deviations: Option<PathBuf>,
    /// The vectors root a failing walk's shrunk vector is written under, as
    /// `found/<target>-s<seed>-w<walk>.yaml`.
    #[arg(long, default_value = "vectors")]
    pub save: PathBuf,
    /// Do not write the shrunk vectors.
    #[arg(long)]
    pub no_save: bool,
    /// Run only walk N of the seed (as numbered in a report), to reproduce it.
    #[arg(long)]
    pub walk: Option<usize>,
    /// Print each failing walk's transcript (after shrinking).
    #[arg(long)]
    pub transcripts: bool,
    /// Print the results as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Run `fuzz`. Exit code 0 when no walk failed, 1 when one did.
pub fn run(args: &FuzzArgs) -> Result<ExitCode> {
    tcp_conformance::interrupt::install();
    if args.walks == 0 || args.depth == 0 {
        anyhow::bail!("--walks and --depth must be at least 1");
    }
    let deviations = fuzz::deviations_for(&args.target, args.deviations.clone())?;
    let config = Config {
        target: args.target.clone(),
        seed: args.seed,
        walks: args.walks,
        depth: args.depth,
        jobs: args.jobs,
        shrink_budget: args.shrink_budget,
        stop_at_failure: args.stop_at_failure,
        deviations,
        only: args.walk,
        choices: fuzz::choices::choices_for(&args.target)?,
    };
    let progress = if std::io::stderr().is_terminal() && !args.json {
        let bar =
            ProgressBar::with_draw_target(Some(args.walks as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::default_bar().template("{bar:40} {pos}/{len} walks {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = fuzz::run(&config, &progress)?;
    progress.finish_and_clear();
    let mut saved = Vec::new();
    if !args.no_save {
        for w in &report.walks {
            if let Some(found) = &w.found {
                saved.push(save(&args.save, &found.vector)?);
            }
        }
    }
    let cov = coverage::measure(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json(&report, &cov))?);
    } else {
        print!("{}", text(&report, &cov, &saved));
        if args.transcripts {
            for w in &report.walks {
                if let Some(found) = &w.found {
                    println!("transcript of walk {} (shrunk):", w.index);
                    for line in &found.transcript {
                        println!("  {line}");
                    }
                }
            }
        }
    }
    Ok(if tcp_conformance::interrupt::interrupted() {
        ExitCode::from(130)
    } else if report.totals().2 > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Write a shrunk vector under the vectors root `root`; returns its path.
fn save(root: &Path, v: &tcp_vectors::Vector) -> Result<PathBuf> {
    let rel = tcp_vectors::path::relative_path(&v.id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = v
        .to_yaml()
        .map_err(|e| anyhow::anyhow!("{} cannot be written: {e}", v.id))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn per_second(n: usize, r: &Report) -> f64 {
    n as f64 / r.wall.as_secs_f64().max(1e-9)
}

/// The report as a person reads it.
pub fn text(r: &Report, cov: &coverage::Coverage, saved: &[PathBuf]) -> String {
    let (pass, dev, fail) = r.totals();
    let replays: usize = r.walks.iter().map(|w| w.replays).sum();
    let mut out = format!(
        "fuzz {}: {} walks of up to {} events after their start, seed {}, {} job(s), {:.1} s\n",
        r.target,
        r.walks.len(),
        r.depth,
        r.seed,
        r.jobs,
        r.wall.as_secs_f64()
    );
    out += &format!("  verdicts: {pass} pass, {dev} deviation, {fail} fail\n");
    out += &format!(
        "  speed: {:.2} walks/s, {:.1} events/s ({} events, {} replays)\n",
        per_second(r.walks.len(), r),
        per_second(r.events(), r),
        r.events(),
        replays
    );
    out += &format!(
        "  cells (state x event): {} reached, {} of them beyond the vectors' {}\n",
        cov.cells, cov.cells_beyond_vectors, cov.vector_cells
    );
    out += &format!(
        "  two-event sequences: {} reached, {} of them beyond the vectors' {}\n",
        cov.pairs, cov.pairs_beyond_vectors, cov.vector_pairs
    );
    if !r.excluded_timers.is_empty() {
        let names: Vec<String> = r.excluded_timers.iter().map(|t| format!("{t:?}")).collect();
        out += &format!(
            "  not waited for (longer than {} s on this target): {}\n",
            fuzz::LONGEST_TIMER.as_secs(),
            names.join(", ")
        );
    }
    let mut saved = saved.iter();
    for w in &r.walks {
        match &w.verdict {
            Verdict::Fail(f) => {
                out += &format!(
                    "  FAIL walk {} ({}): {f}\n",
                    w.index,
                    if w.ipv6 { "v6" } else { "v4" }
                );
                if let Some(found) = &w.found {
                    out += &format!(
                        "    shrunk from {} to {} events in {} walks: {}\n",
                        found.events_before, found.events_after, found.shrink_walks, found.failure
                    );
                    if let Some(p) = saved.next() {
                        out += &format!(
                            "    saved as {} (replay it with `replay --vectors {}`)\n",
                            p.display(),
                            p.display()
                        );
                    }
                }
            }
            Verdict::Deviation(labels) if std::env::var_os("TCPSPEC_FUZZ_VERBOSE").is_some() => {
                out += &format!("  deviation walk {}: {}\n", w.index, labels.join(" + "));
            }
            _ => {}
        }
    }
    out
}

/// The report as JSON.
pub fn json(r: &Report, cov: &coverage::Coverage) -> serde_json::Value {
    let (pass, dev, fail) = r.totals();
    serde_json::json!({
        "target": r.target,
        "seed": r.seed,
        "depth": r.depth,
        "jobs": r.jobs,
        "walks": r.walks.len(),
        "events": r.events(),
        "seconds": r.wall.as_secs_f64(),
        "walks_per_second": per_second(r.walks.len(), r),
        "events_per_second": per_second(r.events(), r),
        "pass": pass,
        "deviation": dev,
        "fail": fail,
        "coverage": {
            "cells": cov.cells,
            "cells_beyond_vectors": cov.cells_beyond_vectors,
            "vector_cells": cov.vector_cells,
            "pairs": cov.pairs,
            "pairs_beyond_vectors": cov.pairs_beyond_vectors,
            "vector_pairs": cov.vector_pairs,
        },
        "failures": r.walks.iter().filter_map(|w| match &w.verdict {
            Verdict::Fail(f) => Some(serde_json::json!({
                "walk": w.index,
                "ip": if w.ipv6 { "v6" } else { "v4" },
                "failure": f.to_string(),
                "shrunk": w.found.as_ref().map(|found| serde_json::json!({
                    "id": found.vector.id,
                    "events_before": found.events_before,
                    "events_after": found.events_after,
                    "shrink_walks": found.shrink_walks,
                    "failure": found.failure,
                })),
            })),
            _ => None,
        }).collect::<Vec<_>>(),
    })
}
