//! Benchmark: the cost of one replay when the namespace and TUN device are reused (what the
//! runner does) against the baseline of a fresh namespace and TUN device per replay (what a
//! per-script tool pays), measured in the same run and reported as a ratio.
//!
//! `cargo run -p tcp-conformance --example replay_bench [-- ROUNDS]` (as root). It replays the
//! timer-free vectors of `tests/fixtures/pass` with their `quiet` steps removed (a quiet window
//! costs exactly its length, whoever runs it) over IPv4 and IPv6.

use std::path::Path;
use std::time::Instant;
use tcp_conformance::linux::LinuxTarget;
use tcp_conformance::loader::load_dir;
use tcp_conformance::replay::replay;
use tcp_conformance::report::percentile;
use tcp_conformance::target::{Driven, Target};
use tcp_vectors::{Step, Vector};

fn vectors() -> anyhow::Result<Vec<Vector>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pass");
    let loaded = load_dir(&dir, None).map_err(anyhow::Error::msg)?;
    Ok(loaded
        .into_iter()
        .map(|l| l.vector)
        .filter(|v| !v.steps.iter().any(|s| matches!(s, Step::Timer(_))))
        .map(|mut v| {
            v.steps.retain(|s| !matches!(s, Step::Quiet(_)));
            v
        })
        .collect())
}

fn stats(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let median = percentile(&ms, 50.0);
    println!(
        "{name:<34} replays {:>5}  median {:>8.3} ms  p95 {:>8.3} ms",
        ms.len(),
        median,
        percentile(&ms, 95.0)
    );
    median
}

fn replay_all(target: &mut Driven<'_>, vs: &[Vector], out: &mut Vec<f64>) -> anyhow::Result<()> {
    for v in vs {
        for ipv6 in [false, true] {
            let ends = target.target.endpoints(ipv6);
            let t = Instant::now();
            let outcome = replay(target, v, ends);
            out.push(t.elapsed().as_secs_f64() * 1000.0);
            if let Some(f) = outcome.failure {
                anyhow::bail!("{} failed during the benchmark: {f}", v.id);
            }
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|_| anyhow::anyhow!("ROUNDS must be a number, got {a:?}"))?,
        None => 20,
    };
    let vs = vectors()?;
    println!(
        "{} timer-free fixture vectors x IPv4/IPv6, {rounds} rounds",
        vs.len()
    );

    let reused_vs = vs.clone();
    let reused = tcp_netlab::run_in_private_netns(move || -> anyhow::Result<Vec<f64>> {
        let mut target = LinuxTarget::new()?;
        let mut target = Driven::new(&mut target);
        let mut ms = Vec::new();
        for _ in 0..rounds {
            replay_all(&mut target, &reused_vs, &mut ms)?;
        }
        Ok(ms)
    })?;

    let mut fresh = Vec::new();
    for _ in 0..rounds.div_ceil(4) {
        for v in &vs {
            for ipv6 in [false, true] {
                let v = v.clone();
                let t = Instant::now();
                tcp_netlab::run_in_private_netns(move || -> anyhow::Result<()> {
                    let mut target = LinuxTarget::new()?;
                    let ends = target.endpoints(ipv6);
                    if let Some(f) = replay(&mut Driven::new(&mut target), &v, ends).failure {
                        anyhow::bail!("{} failed during the benchmark: {f}", v.id);
                    }
                    Ok(())
                })?;
                fresh.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }

    let a = stats("reused namespace + TUN (runner)", reused);
    let b = stats("fresh namespace + TUN (baseline)", fresh);
    println!("baseline / runner median ratio: {:.1}x", b / a);
    Ok(())
}
