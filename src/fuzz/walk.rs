//! One walk against a live target, with the model as the online oracle.
//!
//! The walk is decoded from its genome one event at a time ([`tcp_model::generate::walk`]).
//! An event whose candidates all agree becomes ordinary vector steps. An event where the
//! RFCs allow several behaviours becomes a `one_of`: the walk so far is replayed with that
//! `one_of` at its end, the branch the target took picks the candidates that go on, and the
//! walk continues with that branch's steps (so a walk is replayed once per choice the target
//! reveals, plus once at its end). The whole walk is then replayed as one vector, and its
//! verdict is the walk's. A listed deviation of the cell an event belongs to explains a
//! difference at that event as it would in the cell's own vector.

use tcp_conformance::deviations::Deviations;
use tcp_conformance::replay::{replay_explained, Failure, FailureKind, Outcome};
use tcp_conformance::target::Driven;
use tcp_model::endpoint::UserCall;
use tcp_model::generate::alphabet::Stimulus;
use tcp_model::generate::walk::{pick, Move, Oracle, Pending, WalkEvent};
use tcp_vectors::{
    Branch, Millis, OneOf, Role, SocketOptions, Step, TcpState, TimerKind, Vector, SCHEMA_VERSION,
};

/// The quiet window at the end of a walk: anything the target sends after the last expected
/// segment is an extra.
const END_QUIET: Millis = Millis(50);

/// The quiet window after each event.
const SILENCE: Millis = Millis(50);

/// How a walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every step held.
    Pass,
    /// A difference a listed deviation explains ended the walk (the entries' labels).
    Deviation(Vec<String>),
    /// A difference nothing explains: the target did what no policy of the model allows.
    Fail(Failure),
}

impl Verdict {
    /// `pass`, `deviation` or `fail`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Deviation(_) => "deviation",
            Verdict::Fail(_) => "fail",
        }
    }
}

/// What the walk's replays need from the run: the target's deviations, the IP version, and
/// the timers a walk must not wait for.
pub struct Context<'a> {
    /// The target's listed deviations.
    pub deviations: &'a Deviations,
    /// Replay over IPv6 (else IPv4).
    pub ipv6: bool,
    /// Timers never offered (too long for this target, e.g. Linux's 60 s TIME-WAIT).
    pub excluded_timers: &'a [TimerKind],
    /// How long the peer waits in a `wait` move while the model's TIME-WAIT timeout runs:
    /// shorter than the target's.
    pub wait: Millis,
    /// How long it waits while no timer of the model runs: longer than the target's initial
    /// retransmission timeout, so that a retransmission the target should not make shows.
    pub long_wait: Millis,
    /// The receive buffer the target can give a connection whose application never reads
    /// (`options.receive_buffer`), if it can: half the walks run so ([`stalls`]).
    pub receive_buffer: Option<u8>,
    /// The id the walk's vector gets.
    pub id: String,
    /// The paths a walk may start with ([`tcp_model::generate::walk::starts`]).
    pub starts: &'a [Vec<Stimulus>],
    /// The RFC alternatives the target takes ([`super::choices`]).
    pub choices: &'a [(tcp_model::policy::Choice, bool)],
}

/// The result of one walk.
#[derive(Clone, Debug)]
pub struct Walked {
    /// How it ended.
    pub verdict: Verdict,
    /// The events applied, in order.
    pub events: Vec<WalkEvent>,
    /// 0-based index of the event at which the walk failed or deviated.
    pub failed_at: Option<usize>,
    /// The walk as a vector (the branches the target took written as plain steps).
    pub vector: Vector,
    /// Replays run.
    pub replays: usize,
    /// The last replay's transcript.
    pub transcript: Vec<String>,
    /// Events of the start path ([`Context::starts`]) at the head of `events`.
    pub prefix: usize,
}

impl Walked {
    /// How much of the genome the walk used up to and including the event it failed or
    /// deviated at (all of it when it did neither): the swarm mask, the start, and one
    /// number per event after the start path.
    pub fn genes_used(&self, genome_len: usize) -> usize {
        match self.failed_at {
            Some(at) => (2 + (at + 1).saturating_sub(self.prefix)).min(genome_len),
            None => genome_len,
        }
    }
}

/// The start path a genome's second number picks: below 2^31 none (the walk opens the
/// socket itself), else one of `starts`. Its lowest bit also leaves ABORT out of the walk
/// ([`aborts`]).
fn start_of(starts: &[Vec<Stimulus>], start: u32) -> &[Stimulus] {
    if start < 1 << 31 || starts.is_empty() {
        return &[];
    }
    &starts[(start - (1 << 31)) as usize % starts.len()]
}

/// Whether the walk may call ABORT: half the walks never do (the genome's second number
/// is odd), so that the states it would end, TIME-WAIT above all (where it is the only
/// call), see their other events; swarm testing again (see [`pick`]).
fn aborts(start: u32) -> bool {
    start & 1 == 0
}

/// Whether an event can be scripted: one behaviour, or several whose branches only observe
/// (a `one_of` cannot hold a call the target's answer would need).
fn one_of_able(p: &Pending) -> bool {
    p.expected.outcomes.len() == 1
        || p.expected
            .outcomes
            .iter()
            .all(|o| o.steps.iter().all(Step::is_observation))
}

/// Whether the walk's application never reads, with the target's small receive buffer
/// ([`Context::receive_buffer`]): the genome's second number has bit 1 set, and the target
/// can.
fn stalls(start: u32, ctx: &Context<'_>) -> Option<u8> {
    ctx.receive_buffer.filter(|_| start & 2 != 0)
}

/// Events a walk goes on with once its connection is closed (in CLOSED after it was open):
/// a closed port answers everything alike.
const AFTER_CLOSED: usize = 2;

/// The walk's vector so far: its steps, and for each step the event it belongs to.
#[derive(Clone)]
struct Script {
    steps: Vec<Step>,
    event_of_step: Vec<usize>,
    role: Option<Role>,
    options: SocketOptions,
}

impl Script {
    fn push(&mut self, step: Step, event: usize) {
        self.steps.push(step);
        self.event_of_step.push(event);
    }

    fn vector(&self, id: &str, events: &[WalkEvent], tail: Vec<Step>) -> Vector {
        let mut steps = self.steps.clone();
        steps.extend(tail);
        let mut covers: Vec<String> = events
            .iter()
            .map(|e| format!("{} x {}", e.state.name(), e.stimulus.class_name()))
            .collect();
        covers.dedup();
        Vector {
            version: SCHEMA_VERSION,
            id: id.to_string(),
            covers,
            requirements: Vec::new(),
            role: self.role.unwrap_or(Role::Active),
            options: self.options.clone(),
            description: format!("a random walk of {} events (tcpspec fuzz)", events.len()),
            steps,
            event_at: None,
        }
    }
}

/// Replay `vector`; a difference at a step is explained by the deviations listed for the
/// cell of the event that step belongs to.
fn replay_walk(
    driven: &mut Driven<'_>,
    vector: &Vector,
    script: &Script,
    events: &[WalkEvent],
    ctx: &Context<'_>,
) -> Outcome {
    let ends = driven.target.endpoints(ctx.ipv6);
    let explain = |f: &Failure| {
        let event = script
            .event_of_step
            .get(f.step.saturating_sub(1))
            .copied()
            .unwrap_or(events.len().saturating_sub(1));
        let cell = &events.get(event)?.cell_id;
        let text = f.to_string();
        ctx.deviations
            .covering(cell, ctx.ipv6)
            .into_iter()
            .find(|(_, d)| d.explains(&text))
            .map(|(i, d)| (i, d.continues))
    };
    replay_explained(driven, vector, ends, &explain)
}

/// The verdict of a replay, and the event its first unexplained (or ending) difference
/// belongs to.
fn judge(outcome: &Outcome, script: &Script, ctx: &Context<'_>) -> (Verdict, Option<usize>) {
    let event_of = |f: &Failure| {
        script
            .event_of_step
            .get(f.step.saturating_sub(1))
            .copied()
            .or_else(|| script.event_of_step.last().copied())
    };
    if let Some(f) = &outcome.failure {
        return (Verdict::Fail(f.clone()), event_of(f));
    }
    // A deviation whose entry does not let the replay go on ended it.
    if let Some((f, _)) = outcome
        .deviations
        .iter()
        .find(|(_, i)| !ctx.deviations.entries[*i].continues)
    {
        let labels = outcome
            .deviations
            .iter()
            .map(|(_, i)| ctx.deviations.entries[*i].label())
            .collect();
        return (Verdict::Deviation(labels), event_of(f));
    }
    (Verdict::Pass, None)
}

/// Run the walk a genome decodes to against the target: its first number is the walk's
/// swarm mask (which segment kinds it uses, [`pick`]), its second where it starts
/// ([`start_of`]), each further one an event after the start path.
pub fn run(driven: &mut Driven<'_>, genome: &[u32], ctx: &Context<'_>) -> Walked {
    let swarm = genome.first().copied().unwrap_or(0);
    let start_gene = genome.get(1).copied().unwrap_or(0);
    let start = start_of(ctx.starts, start_gene);
    let genes = genome.get(2..).unwrap_or(&[]);
    let mut oracle = Oracle::new(ctx.excluded_timers, Some(ctx.wait)).with_long_wait(ctx.long_wait);
    let receive_buffer = stalls(start_gene, ctx);
    if let Some(octets) = receive_buffer {
        oracle = oracle.with_receive_buffer(octets);
    }
    for &(choice, second) in ctx.choices {
        oracle = oracle.hold(choice, second);
    }
    let mut script = Script {
        steps: Vec::new(),
        event_of_step: Vec::new(),
        role: None,
        options: SocketOptions {
            receive_buffer: receive_buffer.map(u32::from),
            ..SocketOptions::default()
        },
    };
    let mut events: Vec<WalkEvent> = Vec::new();
    let mut replays = 0;
    // The start path's events, then one per number of the genome. A start event the oracle
    // cannot apply ends the start path.
    let mut forced = start;
    let mut prefix = 0;
    let mut next_gene = genes.iter().copied();
    let mut closed_for = 0;
    loop {
        let mut options = oracle.options();
        let ep = &oracle.target().ep;
        if ep.state == TcpState::Closed && oracle.target().role.is_some() {
            if closed_for == AFTER_CLOSED {
                break;
            }
            closed_for += 1;
        }
        if !aborts(start_gene) && forced.is_empty() {
            options.retain(|m| *m != Move::Stimulus(Stimulus::Call(UserCall::Abort)));
        }
        // The stimulus and what it may do; a split whose branches would have to make a call
        // (an `accept`) cannot be a `one_of`: another stimulus is picked instead.
        let scriptable = |m: Move| oracle.expect(m).filter(one_of_able);
        let fixed = forced
            .first()
            .map(|&s| Move::Stimulus(s))
            .filter(|m| options.contains(m))
            .and_then(scriptable);
        forced = if fixed.is_some() { &forced[1..] } else { &[] };
        let pending = match fixed {
            Some(p) => {
                prefix += 1;
                Some(p)
            }
            None => {
                let Some(gene) = next_gene.next() else { break };
                loop {
                    let Some(s) = pick(&options, gene, swarm, &oracle.peer_moves()) else {
                        break None;
                    };
                    match scriptable(s) {
                        Some(p) => break Some(p),
                        None => options.retain(|o| *o != s),
                    }
                }
            }
        };
        let Some(pending) = pending else { break };
        let index = events.len();
        if let Move::Stimulus(Stimulus::Call(UserCall::Open { passive })) = pending.record.stimulus
        {
            script.role = Some(if passive { Role::Passive } else { Role::Active });
        }
        events.push(pending.record.clone());
        script.push(pending.expected.action.clone(), index);
        let chosen = if pending.expected.outcomes.len() == 1 {
            0
        } else {
            let one_of = Step::OneOf(OneOf {
                choice: pending.expected.choice_name(),
                branches: pending
                    .expected
                    .outcomes
                    .iter()
                    .map(|o| Branch {
                        name: o.name.clone(),
                        steps: o.steps.clone(),
                    })
                    .collect(),
            });
            let mut probe = script.clone();
            probe.push(one_of, index);
            let vector = probe.vector(&ctx.id, &events, Vec::new());
            let outcome = replay_walk(driven, &vector, &probe, &events, ctx);
            replays += 1;
            let (verdict, at) = judge(&outcome, &probe, ctx);
            if verdict != Verdict::Pass {
                return Walked {
                    verdict,
                    events,
                    failed_at: at,
                    vector,
                    replays,
                    transcript: outcome.transcript,
                    prefix,
                };
            }
            let taken = outcome.choices.last().and_then(|c| c.branch.clone());
            match pending
                .expected
                .outcomes
                .iter()
                .position(|o| Some(&o.name) == taken.as_ref())
            {
                Some(i) => i,
                None => {
                    return Walked {
                        verdict: Verdict::Fail(Failure {
                            step: probe.steps.len(),
                            kind: FailureKind::OneOf,
                            message: "the replay reported no branch for the walk's one_of".into(),
                        }),
                        events,
                        failed_at: Some(index),
                        vector,
                        replays,
                        transcript: outcome.transcript,
                        prefix,
                    }
                }
            }
        };
        let observed = &pending.expected.outcomes[chosen].steps;
        for step in observed {
            script.push(step.clone(), index);
        }
        let refused_text = oracle.receive_window() == 0
            && matches!(pending.record.stimulus, Move::Stimulus(Stimulus::Segment(k, ..)) if k.text);
        let in_flight = oracle.target().ep.in_flight();
        oracle.resolve(pending, chosen);
        if refused_text && in_flight > 0 && oracle.target().ep.in_flight() == 0 {
            // Text the zero window refused acknowledged all the target's data (RFC 9293
            // 3.10.7.4: "special allowance should be made to accept valid ACKs"). Only time
            // shows whether the target took that ACK: it must not retransmit the data.
            script.push(Step::Quiet(ctx.long_wait), index);
            continue;
        }
        // A quiet window after every event: whatever the target sends beyond what the event
        // asks for is caught at this event (where the target's listed deviations for its
        // cell explain it), not at a later one where it would be taken for that one's answer.
        // Not while data or a FIN is in flight: the model's retransmission timer fires only
        // at a `timer` step, the target's after its RTO (200 ms on Linux), which quiet
        // windows would add up to. (A SYN in flight keeps them: Linux's early SYN
        // retransmission after an unacceptable ACK must show at the event that caused it.)
        let ep = &oracle.target().ep;
        let opening = matches!(ep.state, TcpState::SynSent | TcpState::SynReceived);
        if ep.rtx_timer == 0 || opening {
            script.push(Step::Quiet(SILENCE), index);
        }
    }
    // A quiet window at the end, unless the last event's already is one.
    let tail = match script.steps.last() {
        Some(Step::Quiet(_)) => Vec::new(),
        _ => vec![Step::Quiet(END_QUIET)],
    };
    let vector = script.vector(&ctx.id, &events, tail);
    let mut full = script.clone();
    full.steps = vector.steps.clone();
    full.event_of_step
        .resize(full.steps.len(), events.len().saturating_sub(1));
    let outcome = replay_walk(driven, &vector, &full, &events, ctx);
    replays += 1;
    let (verdict, failed_at) = judge(&outcome, &full, ctx);
    Walked {
        verdict,
        events,
        failed_at,
        vector,
        replays,
        transcript: outcome.transcript,
        prefix,
    }
}
