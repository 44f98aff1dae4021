//! `fuzz`: random walks over the vectors' alphabet against a live target, with the model as
//! the online oracle, and failing walks shrunk to small vectors (issue 13).
//!
//! Walk `i` of seed `s` is decoded from a genome drawn from a SplitMix64 stream seeded with
//! `(s, i)` ([`genome`]), so the same seed gives the same walks whatever the number of jobs,
//! and a walk's verdict depends only on the target. Even walks run over IPv4, odd ones over
//! IPv6. Each job runs its walks in its own private network namespace ([`run`]), against a
//! target made there, exactly as `replay` does; [`walk`] runs one walk, [`shrink`] shrinks a
//! failing one, [`coverage`] counts what the walks reached.

pub mod choices;
pub mod coverage;
pub mod shrink;
pub mod walk;

#[cfg(test)]
mod tests;

use anyhow::{bail, Result};
use indicatif::ProgressBar;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tcp_conformance::deviations::Deviations;
use tcp_conformance::target::Driven;
use tcp_conformance::targets::make_target;
use tcp_conformance::TargetKind;
use tcp_model::generate::alphabet::Stimulus;
use tcp_model::generate::walk::WalkEvent;
use tcp_vectors::{Millis, TimerKind, Vector};
use walk::{Context, Verdict};

/// The deviations a target shows in walks only (`conformance/deviations/walks/`), beside
/// its shipped list, and the file they come from.
pub fn walk_deviations(kind: &TargetKind) -> Option<(&'static str, &'static str)> {
    match kind {
        TargetKind::Linux => Some((
            include_str!("../../conformance/deviations/walks/linux.yaml"),
            "conformance/deviations/walks/linux.yaml",
        )),
        TargetKind::Impl => Some((
            include_str!("../../conformance/deviations/walks/impl.yaml"),
            "conformance/deviations/walks/impl.yaml",
        )),
        _ => None,
    }
}

/// The target's deviations for walks: the list `replay` uses (the shipped one, or `file`),
/// then the walk-only entries ([`walk_deviations`]).
pub fn deviations_for(kind: &TargetKind, file: Option<std::path::PathBuf>) -> Result<Deviations> {
    let mut args = tcp_conformance::ReplayArgs::new(kind.clone(), "vectors");
    args.deviations = file;
    let mut all = tcp_conformance::runner::load_deviations(&args)?;
    if let Some((text, origin)) = walk_deviations(kind) {
        let more = Deviations::parse(text, origin).map_err(anyhow::Error::msg)?;
        all.entries.extend(more.entries);
    }
    Ok(all)
}

/// Timers longer than this are not waited for by a walk (Linux's 60 s TIME-WAIT would make
/// every walk that reaches it a minute long).
pub const LONGEST_TIMER: Duration = Duration::from_secs(5);

/// The receive buffer of a walk whose application never reads, on a target that can make
/// one this small (`options.receive_buffer`): one segment of a walk's text
/// ([`tcp_model::generate::alphabet::TEXT`]) closes the window.
pub const STALLED_BUFFER: u8 = 2;

/// How a job's walks wait, and whether their application may stop reading.
struct Waits {
    wait: Millis,
    long_wait: Millis,
    receive_buffer: Option<u8>,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The target.
    pub target: TargetKind,
    /// The seed of every walk.
    pub seed: u64,
    /// Walks to run.
    pub walks: usize,
    /// Events per walk (a walk may end earlier when nothing can be applied).
    pub depth: usize,
    /// Parallel jobs, each with its own namespace and target.
    pub jobs: usize,
    /// Walks a failing walk's shrinking may run.
    pub shrink_budget: usize,
    /// Stop handing out walks once one has failed (the walks already running finish).
    pub stop_at_failure: bool,
    /// The target's listed deviations.
    pub deviations: Deviations,
    /// Run only this walk (by index), to reproduce it.
    pub only: Option<usize>,
    /// The RFC alternatives the target takes, which every walk holds it to
    /// ([`choices::choices_for`]).
    pub choices: Vec<(tcp_model::policy::Choice, bool)>,
}

/// A failing walk, shrunk.
#[derive(Clone, Debug)]
pub struct Found {
    /// The shrunk walk as a vector (its id is the walk's, `found/...`).
    pub vector: Vector,
    /// Events of the walk before shrinking.
    pub events_before: usize,
    /// Events after.
    pub events_after: usize,
    /// Walks run while shrinking.
    pub shrink_walks: usize,
    /// The shrunk walk's failure.
    pub failure: String,
    /// The shrunk walk's transcript.
    pub transcript: Vec<String>,
}

/// One walk's result.
#[derive(Clone, Debug)]
pub struct WalkResult {
    /// Its index in the seed's stream.
    pub index: usize,
    /// Over IPv6.
    pub ipv6: bool,
    /// How it ended.
    pub verdict: Verdict,
    /// The events applied.
    pub events: Vec<WalkEvent>,
    /// Replays it took.
    pub replays: usize,
    /// For a failing walk, the shrunk vector.
    pub found: Option<Found>,
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// The configuration.
    pub seed: u64,
    /// Events per walk asked for.
    pub depth: usize,
    /// Jobs used.
    pub jobs: usize,
    /// Every walk run, by index.
    pub walks: Vec<WalkResult>,
    /// Wall-clock time of the run.
    pub wall: Duration,
    /// Timers the walks did not wait for on this target.
    pub excluded_timers: Vec<TimerKind>,
}

impl Report {
    /// Walks that passed, deviated and failed.
    pub fn totals(&self) -> (usize, usize, usize) {
        let count = |n: &str| self.walks.iter().filter(|w| w.verdict.name() == n).count();
        (count("pass"), count("deviation"), count("fail"))
    }

    /// Events applied over all walks.
    pub fn events(&self) -> usize {
        self.walks.iter().map(|w| w.events.len()).sum()
    }

    /// The first failing walk, by index.
    #[cfg(test)]
    pub fn first_failure(&self) -> Option<&WalkResult> {
        self.walks
            .iter()
            .find(|w| matches!(w.verdict, Verdict::Fail(_)))
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): the walks' random numbers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The genome of walk `index` of `seed`: the swarm mask, where the walk starts, then `depth`
/// numbers, one per event ([`walk::run`]). Every fourth walk uses the whole alphabet (mask
/// 0); every other walk starts at the end of one of the paths to a state the vectors test
/// ([`tcp_model::generate::walk::starts`]), the others at an unopened socket.
pub fn genome(seed: u64, index: usize, depth: usize) -> Vec<u32> {
    let mut rng = SplitMix(seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    rng.next();
    let swarm = (rng.next() >> 32) as u32;
    let start = (rng.next() >> 32) as u32;
    let mut g = vec![if index.is_multiple_of(4) { 0 } else { swarm }, start];
    g.extend((0..depth).map(|_| (rng.next() >> 32) as u32));
    g
}

/// The id of walk `index`'s vector: `found/<target>-s<seed>-w<index>`.
pub fn walk_id(target: &str, seed: u64, index: usize) -> String {
    let name: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("found/{}-s{seed}-w{index}", name.trim_matches('-'))
}

enum Msg {
    Done(Box<WalkResult>),
    Excluded(Vec<TimerKind>),
    Setup(String),
}

/// Run the walks, `config.jobs` at a time, each job in its own private network namespace.
pub fn run(config: &Config, progress: &ProgressBar) -> Result<Report> {
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let jobs = config.jobs.clamp(1, config.walks.max(1));
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut handles = Vec::new();
    for j in 0..jobs {
        let (next, stop, tx, config) = (next.clone(), stop.clone(), tx.clone(), config.clone());
        let handle = tcp_netlab::spawn_in_private_netns(&format!("fuzz-{j}"), move || {
            let mut target = match make_target(&config.target) {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Msg::Setup(format!("{e:#}")));
                    return Ok::<(), tcp_netlab::Error>(());
                }
            };
            let timers = target.timers().clone();
            let excluded: Vec<TimerKind> = if timers.time_wait > LONGEST_TIMER {
                vec![TimerKind::TimeWait]
            } else {
                Vec::new()
            };
            // A quarter of TIME-WAIT, at most half a second; where no timer runs, a quarter
            // more than the initial RTO.
            let wait = Millis(
                (timers.time_wait / 4)
                    .min(Duration::from_millis(500))
                    .as_millis() as u64,
            );
            let waits = Waits {
                wait,
                long_wait: Millis((timers.rto_initial * 5 / 4).as_millis() as u64),
                receive_buffer: (config.target == TargetKind::Impl).then_some(STALLED_BUFFER),
            };
            let _ = tx.send(Msg::Excluded(excluded.clone()));
            let mut driven = Driven::new(target.as_mut());
            let starts = tcp_model::generate::walk::starts();
            loop {
                if stop.load(Ordering::SeqCst) || tcp_conformance::interrupt::interrupted() {
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let index = match config.only {
                    Some(i) if k == 0 => i,
                    Some(_) => break,
                    None if k < config.walks => k,
                    None => break,
                };
                let result = one_walk(&mut driven, &config, index, &excluded, &waits, &starts);
                if matches!(result.verdict, Verdict::Fail(_)) && config.stop_at_failure {
                    stop.store(true, Ordering::SeqCst);
                }
                if tx.send(Msg::Done(Box::new(result))).is_err() {
                    break;
                }
            }
            Ok(())
        });
        match handle {
            Ok(h) => handles.push(h),
            Err(e) => bail!("cannot start fuzz job {j}: {e}"),
        }
    }
    drop(tx);
    let mut walks = Vec::new();
    let mut errors = Vec::new();
    let mut excluded_timers = Vec::new();
    for msg in rx {
        match msg {
            Msg::Setup(e) => errors.push(e),
            Msg::Excluded(t) => excluded_timers = t,
            Msg::Done(w) => {
                progress.inc(1);
                if let Verdict::Fail(f) = &w.verdict {
                    progress.set_message(format!("walk {} fails: {f}", w.index));
                }
                walks.push(*w);
            }
        }
    }
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(format!("fuzz job: {e}")),
            Err(_) => errors.push("a fuzz job panicked".into()),
        }
    }
    errors.dedup();
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    walks.sort_by_key(|w| w.index);
    Ok(Report {
        target: config.target.name(),
        seed: config.seed,
        depth: config.depth,
        jobs,
        walks,
        wall: start.elapsed(),
        excluded_timers,
    })
}

/// Run walk `index`, and shrink it if it fails.
fn one_walk(
    driven: &mut Driven<'_>,
    config: &Config,
    index: usize,
    excluded: &[TimerKind],
    waits: &Waits,
    starts: &[Vec<Stimulus>],
) -> WalkResult {
    let ctx = Context {
        wait: waits.wait,
        long_wait: waits.long_wait,
        receive_buffer: waits.receive_buffer,
        choices: &config.choices,
        deviations: &config.deviations,
        ipv6: index % 2 == 1,
        excluded_timers: excluded,
        id: walk_id(&config.target.name(), config.seed, index),
        starts,
    };
    let genome = genome(config.seed, index, config.depth);
    let walked = walk::run(driven, &genome, &ctx);
    let mut replays = walked.replays;
    let found = match &walked.verdict {
        Verdict::Fail(_) => {
            let events_before = walked.events.len();
            let shrunk =
                shrink::shrink(driven, &genome, walked.clone(), &ctx, config.shrink_budget);
            replays += shrunk.tries;
            let failure = match &shrunk.walked.verdict {
                Verdict::Fail(f) => f.to_string(),
                other => other.name().to_string(),
            };
            Some(Found {
                vector: shrunk.walked.vector.clone(),
                events_before,
                events_after: shrunk.walked.events.len(),
                shrink_walks: shrunk.tries,
                failure,
                transcript: shrunk.walked.transcript.clone(),
            })
        }
        _ => None,
    };
    WalkResult {
        index,
        ipv6: ctx.ipv6,
        verdict: walked.verdict,
        events: walked.events,
        replays,
        found,
    }
}
