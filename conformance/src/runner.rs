//! Run a whole suite: load vectors, spread (vector, IP version) replays over jobs, each job a
//! thread with its own private network namespace and target, then report.

use crate::args::{IpChoice, ReplayArgs, TargetKind};
use crate::deviations::{Deviation, Deviations};
use crate::loader::{load_dir, LoadedVector};
use crate::replay::{replay_explained, Outcome};
use crate::report::{classify, CaseResult, DeviationUse, Report, Verdict};
use crate::target::Driven;
use crate::targets::{make_target, shipped_deviations};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

/// A rank of how long a vector waits on the target's timers: a held state (`stays`), then
/// TIME-WAIT, then keepalive, then retransmission, then none.
fn expected_wait(v: &tcp_vectors::Vector) -> u8 {
    use tcp_vectors::{Step, TimerKind};
    v.steps
        .iter()
        .filter_map(|s| match s {
            Step::Stays(_) => Some(4),
            Step::Timer(TimerKind::TimeWait) => Some(3),
            Step::Timer(TimerKind::Keepalive) => Some(2),
            Step::Timer(TimerKind::Retransmission) => Some(1),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// One unit of work: a vector over one IP version.
#[derive(Clone, Copy, Debug)]
struct Item {
    vector: usize,
    ipv6: bool,
}

/// A message from a job to the collector.
enum Msg {
    /// A finished replay, with the indices of the deviation entries that cover its vector.
    Done(Item, Outcome, Vec<usize>),
    Setup(String),
}

/// The kernel release, e.g. `6.18.44`.
pub fn kernel_release() -> String {
    // SAFETY: utsname is plain data and uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return "unknown".into();
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The deviations of `args.target`: the file given with `--deviations`, else the shipped list.
pub fn load_deviations(args: &ReplayArgs) -> anyhow::Result<Deviations> {
    if let Some(path) = &args.deviations {
        return Deviations::load(path, true).map_err(anyhow::Error::msg);
    }
    match shipped_deviations(&args.target) {
        Some((text, name)) => Deviations::parse(text, name).map_err(anyhow::Error::msg),
        None => Deviations::parse("[]", "(no deviations)").map_err(anyhow::Error::msg),
    }
}

fn pcap_path(dir: &Path, id: &str, ipv6: bool) -> PathBuf {
    dir.join(format!(
        "{}.{}.pcap",
        tcp_vectors::path::flat_name(id),
        if ipv6 { "v6" } else { "v4" }
    ))
}

/// Replay `vectors` (already loaded) and return the report. Every job runs in its own thread
/// in its own private network namespace; all of them are gone when this returns.
pub fn run_vectors(
    vectors: &[LoadedVector],
    args: &ReplayArgs,
    deviations: &Deviations,
    progress: &ProgressBar,
) -> anyhow::Result<Report> {
    let start = Instant::now();
    let mut items = Vec::new();
    for i in 0..vectors.len() {
        if args.ip != IpChoice::V6 {
            items.push(Item {
                vector: i,
                ipv6: false,
            });
        }
        if args.ip != IpChoice::V4 {
            items.push(Item {
                vector: i,
                ipv6: true,
            });
        }
    }
    let mut applicable = vec![false; deviations.entries.len()];
    for item in &items {
        for (i, _) in deviations.covering(&vectors[item.vector].vector.id, item.ipv6) {
            applicable[i] = true;
        }
    }
    // Longest first: a TIME-WAIT vector waits out the target's whole TIME-WAIT (60 s on
    // Linux), so it starts at once and the short vectors fill the other jobs meanwhile.
    items.sort_by_key(|item| std::cmp::Reverse(expected_wait(&vectors[item.vector].vector)));
    let items = Arc::new(items);
    let next = Arc::new(AtomicUsize::new(0));
    let shared: Arc<Vec<LoadedVector>> = Arc::new(vectors.to_vec());
    let listed: Arc<Deviations> = Arc::new(deviations.clone());
    let jobs = args.jobs.clamp(1, items.len().max(1));
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut handles = Vec::new();
    for j in 0..jobs {
        let (items, next, shared, tx) = (items.clone(), next.clone(), shared.clone(), tx.clone());
        let listed = listed.clone();
        let (kind, pcap) = (args.target.clone(), args.pcap.clone());
        let handle = tcp_netlab::spawn_in_private_netns(&format!("replay-{j}"), move || {
            let mut target = match make_target(&kind) {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Msg::Setup(format!("{e:#}")));
                    return Ok::<(), tcp_netlab::Error>(());
                }
            };
            let mut target = Driven::new(target.as_mut());
            loop {
                if crate::interrupt::interrupted() {
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&item) = items.get(k) else { break };
                let v = &shared[item.vector].vector;
                let ends = target.target.endpoints(item.ipv6);
                let covering = listed.covering(&v.id, item.ipv6);
                let explain = |f: &crate::replay::Failure| {
                    let text = f.to_string();
                    covering
                        .iter()
                        .find(|(_, d)| d.explains(&text))
                        .map(|(i, d)| (*i, d.continues))
                };
                let outcome = replay_explained(&mut target, v, ends, &explain);
                if let Some(dir) = &pcap {
                    let path = pcap_path(dir, &v.id, item.ipv6);
                    if let Err(e) = std::fs::File::create(&path)
                        .and_then(|f| outcome.capture.write_to(std::io::BufWriter::new(f)))
                    {
                        let _ =
                            tx.send(Msg::Setup(format!("cannot write {}: {e}", path.display())));
                    }
                }
                let indices = covering.iter().map(|(i, _)| *i).collect();
                if tx.send(Msg::Done(item, outcome, indices)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        match handle {
            Ok(h) => handles.push(h),
            Err(e) => bail!("cannot start replay job {j}: {e}"),
        }
    }
    drop(tx);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut used = vec![0usize; deviations.entries.len()];
    for msg in rx {
        match msg {
            Msg::Setup(e) => errors.push(e),
            Msg::Done(item, outcome, indices) => {
                let v = &vectors[item.vector].vector;
                // A replay cut short by Ctrl-C has no verdict: it is left out of the report.
                let interrupted = outcome.failure.is_some() && crate::interrupt::interrupted();
                if interrupted {
                    continue;
                }
                let covering: Vec<(usize, &Deviation)> = indices
                    .into_iter()
                    .map(|i| (i, &deviations.entries[i]))
                    .collect();
                let (verdict, detail) =
                    classify(outcome.failure.as_ref(), &outcome.deviations, &covering);
                let mut applied: Vec<usize> = outcome.deviations.iter().map(|(_, i)| *i).collect();
                applied.sort_unstable();
                applied.dedup();
                for &i in &applied {
                    used[i] += 1;
                }
                let entry = (verdict == Verdict::Deviation).then(|| {
                    applied
                        .iter()
                        .map(|&i| deviations.entries[i].label())
                        .collect::<Vec<_>>()
                        .join(" + ")
                });
                progress.inc(1);
                if verdict == Verdict::Fail {
                    progress.set_message(format!(
                        "fail: {} [{}]",
                        v.id,
                        if item.ipv6 { "v6" } else { "v4" }
                    ));
                }
                results.push(CaseResult {
                    id: v.id.clone(),
                    ip: if item.ipv6 { "v6" } else { "v4" },
                    verdict,
                    millis: outcome.elapsed.as_secs_f64() * 1000.0,
                    timers: v
                        .steps
                        .iter()
                        .any(|s| matches!(s, tcp_vectors::Step::Timer(_))),
                    detail,
                    entry,
                    choices: outcome.choices,
                    transcript: if verdict == Verdict::Pass
                        && std::env::var_os("TCP_CONFORMANCE_TRANSCRIPTS").is_none()
                    {
                        Vec::new()
                    } else {
                        outcome.transcript
                    },
                });
            }
        }
    }
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(format!("replay job: {e}")),
            Err(_) => errors.push("a replay job panicked".into()),
        }
    }
    errors.dedup();
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    results.sort_by(|a, b| (a.id.as_str(), a.ip).cmp(&(b.id.as_str(), b.ip)));
    Ok(Report {
        target: args.target.name(),
        kernel: kernel_release(),
        jobs,
        interrupted: crate::interrupt::interrupted(),
        results,
        deviation_use: deviations
            .entries
            .iter()
            .zip(used.into_iter().zip(applicable))
            .map(|(d, (replays, applicable))| DeviationUse {
                id: d.id.clone(),
                observed: d.observed.clone(),
                replays,
                applicable,
            })
            .collect(),
        complete: args.filter.is_none() && args.ip == IpChoice::Both,
        wall: start.elapsed(),
    })
}

/// Replay every vector under `dir` but the long ones (`Vector::is_long`) against `target` over
/// IPv4 and IPv6 with the shipped deviations and no output: for a snapshot test of the whole suite, e.g.
/// `insta::assert_snapshot!(run_suite(Path::new("vectors"), TargetKind::Linux)?.verdicts_text())`.
pub fn run_suite(dir: &Path, target: TargetKind) -> anyhow::Result<Report> {
    let args = ReplayArgs::new(target, dir);
    let mut vectors = load_dir(dir, None).map_err(anyhow::Error::msg)?;
    vectors.retain(|v| !v.vector.is_long());
    if vectors.is_empty() {
        bail!("no vectors to replay in {}", dir.display());
    }
    let deviations = load_deviations(&args)?;
    run_vectors(&vectors, &args, &deviations, &ProgressBar::hidden())
}

/// The `replay` subcommand: load the vectors, replay them over IPv4 and IPv6, print the summary
/// table (or JSON with `--json`), write JUnit, pcaps and the verdicts text when asked.
///
/// Exit code: 0 when nothing failed (passes and listed deviations only), 1 when something
/// failed, 130 when interrupted by Ctrl-C. Errors (bad vector file with file and line, no
/// privilege for the namespace, ...) are returned as `Err`.
pub fn run_replay(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    crate::interrupt::install();
    let mut vectors =
        load_dir(&args.vectors, args.filter.as_deref()).map_err(anyhow::Error::msg)?;
    let loaded = vectors.len();
    if !args.long {
        vectors.retain(|v| !v.vector.is_long());
    }
    if vectors.len() < loaded && !args.json {
        eprintln!(
            "{} long vector(s) left out (a state held for minutes); `--long` replays them",
            loaded - vectors.len()
        );
    }
    if vectors.is_empty() {
        bail!(
            "no vectors to replay in {} (filter {:?})",
            args.vectors.display(),
            args.filter
        );
    }
    let deviations = load_deviations(args)?;
    if let Some(dir) = &args.pcap {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("create pcap directory {}", dir.display()))?;
    }
    let per_vector = if args.ip == IpChoice::Both { 2 } else { 1 };
    let progress = if std::io::stderr().is_terminal() && !args.json {
        let bar = ProgressBar::with_draw_target(
            Some((vectors.len() * per_vector) as u64),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            ProgressStyle::default_bar().template("{bar:40} {pos}/{len} {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = run_vectors(&vectors, args, &deviations, &progress)?;
    progress.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.summary());
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report.to_junit())
            .with_context(|| format!("write JUnit report {}", path.display()))?;
    }
    if let Some(path) = &args.report {
        std::fs::write(path, report.verdicts_text())
            .with_context(|| format!("write report {}", path.display()))?;
    }
    let t = report.totals();
    Ok(if report.interrupted {
        ExitCode::from(130)
    } else if t.fail > 0 || !report.unused_deviations().is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
