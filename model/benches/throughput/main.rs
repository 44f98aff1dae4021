//! Checker throughput, in unique states per second, against a baseline measured in the same
//! run on the same machine: stateright's own two-phase-commit example checked the way its
//! `2pc check 8` command checks it (depth-first, one thread per core).
//!
//! Three measurements, each repeated `BENCH_RUNS` times (default 3), in turn:
//!
//! 1. **baseline**: stateright 0.31 on two-phase commit with `BENCH_RMS` resource managers
//!    (default 8, as in the issue that set the target);
//! 2. **engine**: this project's checker (`tcp_model::statespace`) on the same model: the
//!    engine alone, without this project's model;
//! 3. **tcp**: `tcpspec check --variant standard` on its default configuration (every
//!    scenario): this project's model and engine, which the target is about.
//!
//! Printed: each measurement's states, seconds and states per second (median, with min-max),
//! and its ratio to the baseline (median of the per-run ratios, with min-max). Run it with
//! `cargo bench -p tcp-model --bench throughput`.

mod two_phase_commit;

/// The allocator `tcpspec` uses, for every measurement alike (they share this process).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use stateright::{Checker, Expectation, Model};
use std::time::Instant;
use tcp_model::check::{self, CheckOptions};
use tcp_model::mechanism::Variant;
use tcp_model::statespace::{self, Budget, Kind, Options, Property};
use two_phase_commit::TwoPhaseSys;

/// One timed run: unique states and seconds.
#[derive(Clone, Copy)]
struct Sample {
    states: usize,
    seconds: f64,
}

impl Sample {
    fn rate(self) -> f64 {
        self.states as f64 / self.seconds
    }
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// stateright's checker, as `2pc check N` runs it.
fn baseline(rms: usize, threads: usize) -> Sample {
    let start = Instant::now();
    let checker = TwoPhaseSys { rms: 0..rms }
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    Sample {
        states: checker.unique_state_count(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// This project's checker on the same model and properties.
fn engine(rms: usize, threads: usize) -> Sample {
    let model = TwoPhaseSys { rms: 0..rms };
    let props: Vec<Property<TwoPhaseSys>> = model
        .properties()
        .into_iter()
        .map(|p| Property {
            name: p.name,
            kind: match p.expectation {
                Expectation::Always => Kind::Always,
                Expectation::Eventually => Kind::Eventually,
                Expectation::Sometimes => Kind::Sometimes,
            },
            holds: p.condition,
        })
        .collect();
    let start = Instant::now();
    let e = statespace::explore(
        &model,
        &props,
        Options {
            threads,
            budget: Budget {
                max_states: usize::MAX,
                max_memory: check::DEFAULT_MAX_MEMORY,
            },
            stop_on: Vec::new(),
            progress: &mut |_| {},
        },
    );
    Sample {
        states: e.states,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// `tcpspec check --variant standard` on the default configuration.
fn tcp(threads: usize) -> Sample {
    let opts = CheckOptions {
        threads,
        variants: vec![Variant::Standard],
        ..CheckOptions::default()
    };
    let start = Instant::now();
    let report = check::check(&opts, &mut |_| {});
    assert!(
        report.success(),
        "the default check must pass to be a fair benchmark"
    );
    Sample {
        states: report.runs.iter().map(|r| r.states).sum(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn range(xs: &[f64]) -> (f64, f64) {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that names none of ours skips the run.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| "throughput".contains(f.as_str())) {
        return;
    }
    let runs = env_number("BENCH_RUNS", 3).max(1);
    let rms = env_number("BENCH_RMS", 8);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = env_number("BENCH_THREADS", cores).max(1);
    println!(
        "checker throughput: {runs} runs, {threads} threads, baseline stateright 2pc with {rms} \
         resource managers (depth-first, as `2pc check {rms}`)"
    );
    let names = [
        "baseline: stateright on 2pc",
        "engine: tcpspec's checker on 2pc",
        "tcp: tcpspec check --variant standard",
    ];
    let mut samples: [Vec<Sample>; 3] = Default::default();
    for run in 1..=runs {
        // Interleaved, so that a change in the machine's load affects all three alike.
        let now = [baseline(rms, threads), engine(rms, threads), tcp(threads)];
        for (k, s) in now.into_iter().enumerate() {
            println!(
                "  run {run}: {:<40} {:>10} states {:>7.2} s {:>9.0} states/s",
                names[k],
                s.states,
                s.seconds,
                s.rate()
            );
            samples[k].push(s);
        }
    }
    println!();
    println!(
        "{:<40} {:>10} {:>22} {:>22}",
        "measurement", "states", "states/s median (min-max)", "ratio to baseline"
    );
    for (k, name) in names.iter().enumerate() {
        let rates: Vec<f64> = samples[k].iter().map(|s| s.rate()).collect();
        let ratios: Vec<f64> = samples[k]
            .iter()
            .zip(&samples[0])
            .map(|(s, b)| s.rate() / b.rate())
            .collect();
        let (lo, hi) = range(&rates);
        let (rlo, rhi) = range(&ratios);
        println!(
            "{:<40} {:>10} {:>8.0} ({:.0}-{:.0}) {:>8.2}x ({:.2}-{:.2})",
            name,
            samples[k][0].states,
            median(rates),
            lo,
            hi,
            median(ratios),
            rlo,
            rhi
        );
    }
}
