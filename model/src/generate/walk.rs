//! Random walks over the vectors' alphabet, with the model as the online oracle (issue 13).
//!
//! A generated vector is the shortest path to a state followed by one event; a walk is a
//! sequence of events of any length, each drawn from the same alphabet ([`stimuli`]: every
//! user call, every segment kind at every sequence and acknowledgment class, every running
//! timer). Where the RFCs leave a choice ([`Choice`]), the oracle keeps every policy still
//! consistent with what the target did: it holds one candidate endpoint per policy
//! ([`Oracle`]). After each event the candidates are grouped by what they make the target do
//! ([`Expected`]); one group is an ordinary step, several are a `one_of` whose branch the
//! target's behaviour picks ([`Oracle::resolve`]). An event the candidates cannot agree to
//! script is not offered.
//!
//! A walk is decoded from a *genome*, one number per event ([`Oracle::options`],
//! [`pick`]), so that a shrinker can remove events or make them more ordinary and decode the
//! walk again.
//!
//! The model's numbers are small (a 256-number sequence space, an 8-octet window), and a
//! vector writes them relative to the ISNs and the window ([`super::numbers`]). A walk keeps
//! to the part of the space where that writing is exact ([`Oracle::faithful`]): the peer's
//! numbers below IRS + WND, the target's in flight below one model window, no reopened
//! connection with a new ISS. Retransmission timeouts stop before the model gives up (targets'
//! R2 differ, and the suite checks it apart).

use super::alphabet::{
    apply_form, apply_form_in, has_irs, stimuli, AckClass, Applied, Kind, SeqClass, Stimulus,
};
use super::build::event_steps;
use super::build::{realize, target_after};
use super::explore::{advance, representatives, Target};
use super::numbers::{Numbers, ISS, WND};
use super::{params, role_name};
use crate::endpoint::{Params, UserCall};
use crate::policy::{Choice, Policy};
use std::collections::BTreeSet;
use tcp_vectors::{AppEvent, Millis, Step, TcpState, TimerKind};

/// One candidate's run of an event: its endpoint after it, its steps (the event's own step
/// first), and whether its only answer is the ACK of a segment that changed nothing.
type Run = (Target, Vec<Step>, bool);

/// (state, event class) cells.
pub type Cells = BTreeSet<(TcpState, String)>;

/// Two-event sequences (consecutive event classes).
pub type Pairs = BTreeSet<(String, String)>;

/// One policy the target may follow, and where the walk has taken the model under it.
#[derive(Clone, Debug)]
struct Candidate {
    policy: Policy,
    target: Target,
}

/// Every policy: each combination of the alternatives of [`Choice::ALL`], the model's first.
fn all_policies() -> Vec<Policy> {
    let mut out = vec![Policy::MODEL];
    for c in Choice::ALL {
        let flipped: Vec<Policy> = out.iter().map(|p| p.flip(c)).collect();
        out.extend(flipped);
    }
    out
}

/// What the target may do after one event: the event's own step, and one group of
/// observations per distinct behaviour of the candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The step that applies the event (`call`, `send` or `timer`).
    pub action: Step,
    /// The behaviours, the model's own first. One entry: an ordinary step.
    pub outcomes: Vec<Outcome>,
    /// The choices whose alternatives part the outcomes.
    parting: Vec<Choice>,
    /// Whether some outcomes differ only in how many ACKs the event makes ([`coalesce`]).
    coalescing: bool,
    /// Whether an outcome leaves out the ACK of a segment that changed nothing (rate limit).
    rate_limiting: bool,
}

/// One behaviour the RFCs allow after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// A name for the branch of a `one_of`: the alternatives its policies take, e.g.
    /// `closes` (lowercase letters, digits and `-`).
    pub name: String,
    /// The observations (segments, application events, calls it answers with, the state).
    pub steps: Vec<Step>,
    /// Indices of the candidates that behave so.
    members: Vec<usize>,
    /// The outcome acknowledges once where the model acknowledges twice ([`coalesce`]).
    coalesced: bool,
    /// The outcome leaves out a rate-limited ACK.
    rate_limited: bool,
}

impl Expected {
    /// The name of the choice when the outcomes differ: the keys of the choices that part
    /// them, joined with `-` (e.g. `rst-in-time-wait`).
    pub fn choice_name(&self) -> String {
        let mut keys: Vec<&str> = self.parting.iter().map(|c| c.key()).collect();
        if self.coalescing {
            keys.push("ack-coalescing");
        }
        if self.rate_limiting {
            keys.push("ack-rate-limit");
        }
        if keys.is_empty() {
            keys.push("behaviour");
        }
        keys.join("-")
    }
}

/// The model as an online oracle for one walk: the candidate endpoints still consistent with
/// what the target did, and the walk so far.
#[derive(Clone, Debug)]
pub struct Oracle {
    p: Params,
    cands: Vec<Candidate>,
    /// The most retransmission timeouts in a row a walk asks for (the model gives up after
    /// [`Params::max_retries`]; a target's own R2 is larger).
    max_timeouts: u8,
    /// Timers a walk may not wait for (e.g. TIME-WAIT on a target whose TIME-WAIT is long).
    excluded_timers: Vec<TimerKind>,
    /// How long a [`Move::Wait`] lasts, if the walk may wait, while a TIME-WAIT timeout
    /// runs.
    wait: Option<Millis>,
    /// How long it lasts while no timer runs ([`Oracle::with_long_wait`]).
    long_wait: Option<Millis>,
    /// The target has answered a segment that changed nothing with an ACK in this walk
    /// (after which such answers may be rate-limited).
    acked_unacceptable: bool,
}

/// One move of a walk: an event of the vectors' alphabet, or the peer waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Move {
    /// A call, a segment or a timer ([`Stimulus`]).
    Stimulus(Stimulus),
    /// The peer lets time pass (a `wait` step), shorter than any timer of the target that
    /// could be running: offered only where the model runs no retransmission or keepalive
    /// timer, so that nothing may happen meanwhile and the target's timers that do run
    /// (TIME-WAIT) meet what follows that much later.
    Wait,
}

impl Move {
    /// The event-class name (`WAIT` for a wait).
    pub fn class_name(&self) -> String {
        match self {
            Move::Stimulus(s) => s.class_name(),
            Move::Wait => "WAIT".into(),
        }
    }

    /// The event part of a vector id (`wait` for a wait).
    pub fn slug(&self) -> String {
        match self {
            Move::Stimulus(s) => s.slug(),
            Move::Wait => "wait".into(),
        }
    }
}

/// An event of a walk, with what the oracle knew when it was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkEvent {
    /// The event class.
    pub stimulus: Move,
    /// The state the target was in (the lead candidate's).
    pub state: TcpState,
    /// The id of the vector of the same cell (`established/active/rst-seq-exact`), so that a
    /// target's listed deviations for that cell apply to this event too.
    pub cell_id: String,
}

impl Default for Oracle {
    fn default() -> Self {
        Oracle::new(&[], None)
    }
}

impl Oracle {
    /// A socket not yet opened, under every policy. `excluded_timers` are never offered; a
    /// [`Move::Wait`] lasts `wait`, and is never offered without it.
    pub fn new(excluded_timers: &[TimerKind], wait: Option<Millis>) -> Oracle {
        let p = params();
        Oracle {
            p,
            cands: all_policies()
                .into_iter()
                .map(|policy| Candidate {
                    policy,
                    target: Target::new(),
                })
                .collect(),
            max_timeouts: p.max_retries,
            excluded_timers: excluded_timers.to_vec(),
            wait,
            long_wait: None,
            acked_unacceptable: false,
        }
    }

    /// The same oracle, whose waits last `d` where no timer of the model runs (no
    /// retransmission, keepalive or TIME-WAIT timeout): long enough for a timer the target
    /// runs and should not (a retransmission of data it was told had arrived) to show.
    pub fn with_long_wait(mut self, d: Millis) -> Oracle {
        self.long_wait = Some(d);
        self
    }

    /// The same oracle, keeping only the policies that take `second` (the second
    /// alternative, or the first) at `choice`: for a target known to take it.
    pub fn hold(mut self, choice: Choice, second: bool) -> Oracle {
        self.cands.retain(|c| c.policy.alt(choice) == second);
        self
    }

    /// The same oracle for a target whose application never reads, with a receive buffer of
    /// `octets` ([`Params::receive_buffer`]): the receive window closes as text arrives.
    pub fn with_receive_buffer(mut self, octets: u8) -> Oracle {
        self.p.receive_buffer = Some(octets);
        self
    }

    fn lead(&self) -> &Target {
        &self.cands[0].target
    }

    /// The target as the lead candidate (the first policy still consistent) sees it.
    pub fn target(&self) -> &Target {
        self.lead()
    }

    /// RCV.WND as the lead candidate has it (zero once a stalled application's buffer is
    /// full, [`Oracle::with_receive_buffer`]).
    pub fn receive_window(&self) -> u8 {
        self.lead().ep.rcv_wnd(&self.p)
    }

    /// How many policies are still consistent with what the target did.
    pub fn candidates(&self) -> usize {
        self.cands.len()
    }

    /// The alternatives the target has shown so far: for each choice on which every
    /// remaining candidate agrees and which some candidate once differed on, its name. Empty
    /// while nothing has been revealed.
    pub fn revealed(&self) -> Vec<(Choice, &'static str)> {
        if self.cands.len() == all_policies().len() {
            return Vec::new();
        }
        Choice::ALL
            .into_iter()
            .filter(|&c| {
                let first = self.cands[0].policy.alt(c);
                self.cands.iter().all(|k| k.policy.alt(c) == first)
            })
            .map(|c| (c, self.cands[0].policy.name(c)))
            .collect()
    }

    fn params_of(&self, c: &Candidate) -> Params {
        Params {
            policy: c.policy,
            ..self.p
        }
    }

    /// Whether the model's numbers after a step are still written exactly by a vector (see
    /// the module documentation).
    fn faithful(t: &Target) -> bool {
        let ep = &t.ep;
        let peer_ok =
            !has_irs(ep) || (0..i64::from(WND)).contains(&Numbers::irs_offset(ep.rcv_nxt));
        let own_ok = t.role.is_none() || ep.state == TcpState::Closed || ep.iss == ISS;
        peer_ok && own_ok && ep.queued == 0 && ep.in_flight() < WND - 1
    }

    /// The event a stimulus makes in the current state, and what each candidate does; `None`
    /// when some candidate cannot script it or leaves the faithful part of the space.
    fn try_apply(&self, s: Stimulus) -> Option<(Applied, Vec<Run>)> {
        if let Stimulus::Timer(k) = s {
            if self.excluded_timers.contains(&k) {
                return None;
            }
            // The model gives up after its own R2 and retransmits everything in flight as one
            // segment; a target gives up later and may resend only the first segment (RFC 9293
            // 3.10.8 leaves the packaging open). A walk waits for a retransmission only where
            // the two agree: one octet (or SYN, or FIN) in flight, before the model's R2.
            if k == TimerKind::Retransmission
                && self.cands.iter().any(|c| {
                    c.target.ep.retries >= self.max_timeouts || c.target.ep.in_flight() != 1
                })
            {
                return None;
            }
        }
        if let Stimulus::Call(UserCall::Send(_) | UserCall::Close) = s {
            // After a retransmission timeout the congestion window is one segment (RFC 5681
            // 3.1, the loss window), so a target may hold new data or a FIN back until the
            // retransmission is acknowledged; the model has no congestion control and sends at
            // once.
            if self
                .cands
                .iter()
                .any(|c| c.target.ep.retries > 0 && c.target.ep.in_flight() > 0)
            {
                return None;
            }
        }
        if let Stimulus::Call(UserCall::Close) = s {
            // Text or a FIN that came on a SYN waits "for processing after the ESTABLISHED
            // state has been reached" (RFC 9293 3.10.7.2); a CLOSE in SYN-RECEIVED skips
            // ESTABLISHED, and the RFC does not say when they are processed then.
            if self
                .cands
                .iter()
                .any(|c| c.target.ep.syn_text > 0 || c.target.ep.syn_fin)
            {
                return None;
            }
        }
        if let Stimulus::Call(UserCall::Open { passive: true }) = s {
            // A walk's listener accepts one connection: no listener is kept (the vectors'
            // `keep_listener` exists for one cell only).
            if self.p.listener {
                return None;
            }
        }
        if let Stimulus::Segment(kind, ..) = s {
            // A peer that contradicts its own stream (a FIN before octets it already sent
            // beyond it, or octets or another FIN past a FIN it sent, held or queued with its
            // SYN) leaves the RFC without an answer: they claim the same sequence numbers.
            let contradicts = |c: &Candidate| {
                let ep = &c.target.ep;
                (kind.fin && ep.held != 0)
                    || ((ep.held_fin.is_some() || ep.syn_fin) && (kind.text || kind.fin))
            };
            if self.cands.iter().any(contradicts) {
                return None;
            }
        }
        let lead = &self.lead().ep;
        let stalled = self.p.receive_buffer.map(|_| lead.rcv_wnd(&self.p));
        let applied = apply_form_in(lead, s, stalled);
        let mut out = Vec::with_capacity(self.cands.len());
        for c in &self.cands {
            let (next, tr) = advance(&c.target, &applied, &self.params_of(c))?;
            if !Oracle::faithful(&next) {
                return None;
            }
            let mut steps = event_steps(&applied, &c.target, &next, &tr);
            steps.push(Step::State(next.ep.state));
            // The one answer to a segment that changed nothing: an ACK of an unacceptable
            // segment, or a challenge ACK (RFC 9293 3.10.7.4 first; RFC 5961 sections 3 to
            // 5), which a target may rate-limit (RFC 5961 section 7; Linux's
            // tcp_invalid_ratelimit, 500 ms per connection).
            let only_ack = matches!(applied.event, crate::endpoint::Event::Arrive(_))
                && !tr.accepted
                && matches!(&tr.outputs[..], [crate::endpoint::Output::Send(a)]
                    if a.flags.ack && !a.flags.syn && !a.flags.fin && !a.flags.rst && a.len == 0);
            out.push((next, steps, only_ack));
        }
        Some((applied, out))
    }

    /// The stimuli a walk may apply now, in the alphabet's order: calls, segments, timers.
    /// A walk starts by opening the socket, so before that only the two OPENs are offered.
    pub fn options(&self) -> Vec<Move> {
        let unopened = self.lead().role.is_none();
        let mut all = stimuli(&self.lead().ep);
        all.extend(walk_only_segments(&self.lead().ep));
        let mut out: Vec<Move> = all
            .into_iter()
            .filter(|s| !unopened || is_open(s))
            .filter(|&s| self.try_apply(s).is_some())
            .map(Move::Stimulus)
            .collect();
        if self.try_wait().is_some() {
            out.push(Move::Wait);
        }
        out
    }

    /// What each candidate shows after a wait (its state, unchanged), if the walk may wait:
    /// the socket is open and no candidate runs a retransmission or keepalive timer.
    fn try_wait(&self) -> Option<Vec<Run>> {
        let timing = self.cands.iter().any(|c| c.target.ep.tw_timer > 0);
        let d = match self.long_wait {
            Some(long) if !timing => long,
            _ => self.wait?,
        };
        let idle = |c: &Candidate| {
            c.target.role.is_some() && c.target.ep.rtx_timer == 0 && c.target.ep.ka_timer == 0
        };
        self.cands.iter().all(idle).then(|| {
            self.cands
                .iter()
                .map(|c| {
                    let steps = vec![Step::Wait(d), Step::State(c.target.ep.state)];
                    (c.target.clone(), steps, false)
                })
                .collect()
        })
    }

    /// The segments a peer that follows the RFCs sends next most often, for [`pick`] to
    /// favour: while the target holds text that came out of order, the missing text at
    /// RCV.NXT (the peer's retransmission, which fills the gap); otherwise, in a
    /// synchronized state before the peer's FIN, that FIN at RCV.NXT (which ends every
    /// close); once the peer's FIN has arrived, the FIN again, as a peer whose FIN's
    /// acknowledgment was lost retransmits it (RFC 9293 3.10.7.4, TIME-WAIT: "the only thing
    /// that can arrive in this state is a retransmission of the remote FIN"). Drawn from the
    /// alphabet at its usual weights, they come too seldom for the faults that hide behind
    /// them.
    pub fn peer_moves(&self) -> Vec<Stimulus> {
        use TcpState::*;
        let fin = |q| Stimulus::Segment(Kind::FIN_ACK, q, Some(AckClass::Exact));
        let ep = &self.lead().ep;
        if ep.held != 0 && matches!(ep.state, Established | FinWait1 | FinWait2) {
            // Text arrived out of order: the peer retransmits what is missing at RCV.NXT.
            return vec![Stimulus::Segment(
                Kind::DATA,
                SeqClass::Exact,
                Some(AckClass::Exact),
            )];
        }
        match ep.state {
            Established | FinWait1 | FinWait2 => vec![fin(SeqClass::Exact)],
            CloseWait | LastAck | Closing | TimeWait => vec![fin(SeqClass::Old)],
            _ => Vec::new(),
        }
    }

    /// Where the walk is: the event record for applying `s` now.
    pub fn event_record(&self, s: Move) -> WalkEvent {
        let t = self.lead();
        let state = t.ep.state;
        WalkEvent {
            stimulus: s,
            state,
            cell_id: format!(
                "{}/{}/{}",
                state.name().to_lowercase(),
                role_name(t.role, state, t.ep.in_flight() > 0),
                s.slug()
            ),
        }
    }

    /// Apply `s` (one of [`Oracle::options`]): what the target may do. The candidates move on
    /// only once the behaviour is known: call [`Oracle::resolve`] with the outcome's index.
    pub fn expect(&self, s: Move) -> Option<Pending> {
        let runs = match s {
            Move::Stimulus(st) => self.try_apply(st)?.1,
            Move::Wait => self.try_wait()?,
        };
        let mut outcomes: Vec<Outcome> = Vec::new();
        let mut action = None;
        let mut nexts = Vec::with_capacity(runs.len());
        // Each candidate's observations as the model makes them (an ACK per segment it
        // processes) and with its ACKs coalesced ([`coalesce`]): a target may do either. Where
        // a choice of the RFCs already is that difference (`synack-text-ack`), the choice
        // names it and no coalesced variant is added.
        let mut separated = Vec::with_capacity(runs.len());
        let mut limitable = Vec::with_capacity(runs.len());
        let lead_only_ack = runs.first().is_some_and(|r| r.2);
        for (next, mut steps, only_ack) in runs {
            let separate = steps.split_off(1);
            let act = steps.pop()?;
            if action.get_or_insert_with(|| act.clone()) != &act {
                return None;
            }
            separated.push(separate);
            limitable.push(only_ack && self.acked_unacceptable);
            nexts.push(next);
        }
        // After a first such ACK in the walk, the answer to another segment that changed
        // nothing may be rate-limited away: a second outcome without it.
        let rate_limiting = limitable.iter().any(|&l| l);
        let only_ack = lead_only_ack;
        let mut coalescing = false;
        for (i, separate) in separated.iter().enumerate() {
            let together = coalesce(separate.clone());
            let mut variants = vec![(separate.clone(), false)];
            if &together != separate && !separated.contains(&together) {
                // Two identical ACKs cannot be told from one ACK and its repeat: such an
                // event is not offered.
                let acks: Vec<&Step> = separate
                    .iter()
                    .filter(|s| matches!(s, Step::Expect(_)))
                    .collect();
                let mut distinct = acks.clone();
                distinct.dedup();
                if distinct.len() < acks.len() {
                    return None;
                }
                coalescing = true;
                variants.insert(0, (together, true));
            }
            let mut variants: Vec<(Vec<Step>, bool, bool)> =
                variants.into_iter().map(|(o, c)| (o, c, false)).collect();
            if limitable[i] {
                // The quiet window makes the branches exclude each other.
                let mut silent: Vec<Step> = separate
                    .iter()
                    .filter(|s| !matches!(s, Step::Expect(_)))
                    .cloned()
                    .collect();
                silent.push(Step::Quiet(Millis(50)));
                variants.push((silent, false, true));
            }
            for (obs, coalesced, rate_limited) in variants {
                match outcomes.iter_mut().find(|o| o.steps == obs) {
                    Some(o) => o.members.push(i),
                    None => outcomes.push(Outcome {
                        name: String::new(),
                        steps: obs,
                        members: vec![i],
                        coalesced,
                        rate_limited,
                    }),
                }
            }
        }
        // Branches must exclude each other: one that sends nothing watches a quiet window, or
        // it would match a target that sends what another branch expects. Outcomes that the
        // window makes alike are one.
        if outcomes.len() > 1 {
            for o in outcomes.iter_mut() {
                let sends = o.steps.iter().any(|s| matches!(s, Step::Expect(_)));
                if !sends && !matches!(o.steps.last(), Some(Step::Quiet(_))) {
                    o.steps.push(Step::Quiet(Millis(50)));
                }
            }
            let mut merged: Vec<Outcome> = Vec::with_capacity(outcomes.len());
            for o in outcomes {
                match merged.iter_mut().find(|m| m.steps == o.steps) {
                    Some(m) => {
                        m.members.extend(o.members);
                        m.members.sort_unstable();
                        m.members.dedup();
                    }
                    None => merged.push(o),
                }
            }
            outcomes = merged;
        }
        // A branch that sends nothing is told from the others only by waiting (up to a
        // delayed ACK's time for the branch that answers); while data or a FIN is in flight
        // that wait can meet the target's retransmission timeout (Linux: 200 ms), which the
        // model fires only at a `timer` step. Such an event is not offered then. (While a SYN
        // is in flight the timeout is a second or more.)
        let ep = &self.lead().ep;
        let retransmitting =
            ep.rtx_timer > 0 && !matches!(ep.state, TcpState::SynSent | TcpState::SynReceived);
        if retransmitting
            && outcomes.len() > 1
            && outcomes
                .iter()
                .any(|o| !o.steps.iter().any(|s| matches!(s, Step::Expect(_))))
        {
            return None;
        }
        let parting: Vec<Choice> = if outcomes.len() > 1 {
            Choice::ALL
                .into_iter()
                .filter(|&c| {
                    let alts = |o: &Outcome| -> Vec<bool> {
                        o.members
                            .iter()
                            .map(|&m| self.cands[m].policy.alt(c))
                            .collect()
                    };
                    // A choice parts the outcomes when within each outcome its candidates
                    // agree on it and not every outcome takes the same alternative.
                    let per: Vec<Vec<bool>> = outcomes.iter().map(alts).collect();
                    per.iter().all(|v| v.iter().all(|&a| a == v[0]))
                        && per.iter().any(|v| v[0] != per[0][0])
                })
                .collect()
        } else {
            Vec::new()
        };
        for o in outcomes.iter_mut() {
            let lead = &self.cands[o.members[0]].policy;
            let mut parts: Vec<&str> = parting.iter().map(|&c| lead.name(c)).collect();
            if coalescing {
                parts.push(if o.coalesced {
                    "acks-coalesced"
                } else {
                    "acks-separate"
                });
            }
            if rate_limiting {
                parts.push(if o.rate_limited {
                    "rate-limited"
                } else {
                    "answered"
                });
            }
            if parts.is_empty() {
                parts.push("behaviour");
            }
            o.name = parts.join("-");
        }
        // Branch names must be distinct: when the parting choices do not tell the outcomes
        // apart (several choices interact), number them.
        let mut names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() < outcomes.len() {
            for (n, o) in outcomes.iter_mut().enumerate() {
                o.name = format!("{}-{}", o.name, n + 1);
            }
        }
        Some(Pending {
            expected: Expected {
                action: action?,
                outcomes,
                parting,
                coalescing,
                rate_limiting,
            },
            nexts,
            only_ack,
            record: self.event_record(s),
        })
    }

    /// Take the behaviour the target showed: the candidates of outcome `index` move on to
    /// their states after the event; the others are dropped.
    pub fn resolve(&mut self, pending: Pending, index: usize) {
        let Some(o) = pending.expected.outcomes.get(index) else {
            return;
        };
        if pending.only_ack
            && !o.rate_limited
            && o.steps.iter().any(|s| matches!(s, Step::Expect(_)))
        {
            self.acked_unacceptable = true;
        }
        let mut kept = Vec::with_capacity(o.members.len());
        for &m in &o.members {
            kept.push(Candidate {
                policy: self.cands[m].policy,
                target: pending.nexts[m].clone(),
            });
        }
        self.cands = kept;
    }
}

/// What a target that processes a whole event before answering shows (RFC 9293 3.8.6.3,
/// MUST-59: process all queued segments before acknowledging): the model answers a SYN's
/// queued text and the segment that completes the handshake one after the other, with an
/// acknowledgment each; a target acknowledges once. A pure ACK that a later pure ACK of the
/// same event supersedes, with only application events between them, is dropped, and the
/// `data` events that leaves side by side are one (the application reads after the event).
fn coalesce(steps: Vec<Step>) -> Vec<Step> {
    let pure_ack = |s: &Step| matches!(s, Step::Expect(p) if p.flags.ack && !(p.flags.syn || p.flags.fin || p.flags.rst) && p.len == 0);
    let mut kept: Vec<Step> = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let superseded = pure_ack(s)
            && steps[i + 1..]
                .iter()
                .find(|n| !matches!(n, Step::App(_)))
                .is_some_and(pure_ack);
        if !superseded {
            kept.push(s.clone());
        }
    }
    let mut out: Vec<Step> = Vec::with_capacity(kept.len());
    for s in kept {
        if let (Some(Step::App(AppEvent::Data(a))), Step::App(AppEvent::Data(b))) =
            (out.last_mut(), &s)
        {
            *a += *b;
            continue;
        }
        out.push(s);
    }
    out
}

/// An event applied to the oracle whose outcome the target has not shown yet.
#[derive(Clone, Debug)]
pub struct Pending {
    /// What the target may do.
    pub expected: Expected,
    nexts: Vec<Target>,
    /// The lead candidate's only answer is the ACK of a segment that changed nothing.
    only_ack: bool,
    /// The event, where it happened.
    pub record: WalkEvent,
}

/// How often a walk picks each segment kind, by [`Kind::all`]'s order (each control
/// combination without, then with, text): the data path (ACK, text, FIN) most, the rest
/// evenly.
const KIND_WEIGHTS: [u32; 16] = [2, 1, 2, 1, 6, 6, 1, 1, 3, 2, 1, 1, 2, 1, 2, 1];
/// How often each sequence class ([`SeqClass::ALL`]'s order): RCV.NXT most.
const SEQ_WEIGHTS: [u32; 6] = [2, 6, 3, 1, 1, 1];
/// How often each acknowledgment class: SND.NXT most; RFC 5961 5.2's too-old class too.
const ACK_WEIGHTS: [(AckClass, u32); 5] = [
    (AckClass::Exact, 5),
    (AckClass::Una, 2),
    (AckClass::Old, 1),
    (AckClass::Beyond, 1),
    (AckClass::TooOld, 1),
];

/// The index an 8-bit roll picks under `weights` (zero picks the first positive weight).
fn weighted(roll: u32, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut r = (roll & 0xFF) * total / 256;
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

/// The move a genome number picks among `options`: the top four bits choose the category
/// (segments 8 in 16, the peer's own next segment 2 ([`Oracle::peer_moves`], given as
/// `peer`), a wait 1, calls 3, timers 2, falling back to segments when the category is
/// empty); for a segment the next three bytes choose its kind, sequence class and
/// acknowledgment class by the weights above (the nearest offered segment of that kind when
/// the exact one is not offered), for a call, timer or peer segment the low bits choose the
/// member. Zero picks the most ordinary segment (an ACK at RCV.NXT acknowledging SND.NXT),
/// and lower numbers pick plainer events, so that a shrinker that lowers numbers makes a walk
/// plainer.
///
/// `swarm` narrows the segments to some kinds for the whole walk (swarm testing, Groce et al.
/// 2012: a walk that leaves most kinds out meets the ones it keeps more often, and in more
/// orders): kind `k` of [`Kind::all`] is kept when bits `k` and `k + 16` are both set, so
/// about a quarter of them; zero, or a mask that keeps none, keeps every kind.
pub fn pick(options: &[Move], gene: u32, swarm: u32, peer: &[Stimulus]) -> Option<Move> {
    if gene >> 28 == 10 && options.contains(&Move::Wait) {
        return Some(Move::Wait);
    }
    let stimuli: Vec<Stimulus> = options
        .iter()
        .filter_map(|m| match m {
            Move::Stimulus(s) => Some(*s),
            Move::Wait => None,
        })
        .collect();
    if matches!(gene >> 28, 8 | 9) {
        let offered: Vec<Stimulus> = peer
            .iter()
            .copied()
            .filter(|s| stimuli.contains(s))
            .collect();
        if !offered.is_empty() {
            let member = (gene & 0x00FF_FFFF) as usize;
            return Some(Move::Stimulus(offered[member % offered.len()]));
        }
    }
    pick_stimulus(&stimuli, gene, swarm)
        .map(Move::Stimulus)
        .or_else(|| options.first().copied())
}

/// [`pick`] among the stimuli.
fn pick_stimulus(options: &[Stimulus], gene: u32, swarm: u32) -> Option<Stimulus> {
    let of = |f: fn(&Stimulus) -> bool| -> Vec<Stimulus> {
        options.iter().copied().filter(&f).collect()
    };
    let calls = of(|s| matches!(s, Stimulus::Call(_)));
    let timers = of(|s| matches!(s, Stimulus::Timer(_)));
    let segs = of(|s| matches!(s, Stimulus::Segment(..)));
    let member = (gene & 0x00FF_FFFF) as usize;
    let from = |v: &[Stimulus]| (!v.is_empty()).then(|| v[member % v.len()]);
    let segment = || -> Option<Stimulus> {
        let kinds = Kind::all();
        let offered = |k: Kind| {
            segs.iter()
                .any(|s| matches!(s, Stimulus::Segment(x, ..) if *x == k))
        };
        let kept = |i: usize| swarm == 0 || (swarm & (1 << i) != 0 && swarm & (1 << (i + 16)) != 0);
        let mut weights: Vec<u32> = (0..16)
            .map(|i| {
                if kept(i) && offered(kinds[i]) {
                    KIND_WEIGHTS[i]
                } else {
                    0
                }
            })
            .collect();
        if weights.iter().all(|&w| w == 0) {
            weights = (0..16)
                .map(|i| {
                    if offered(kinds[i]) {
                        KIND_WEIGHTS[i]
                    } else {
                        0
                    }
                })
                .collect();
        }
        let kind = kinds[weighted(gene >> 16, &weights)];
        let seq = SeqClass::ALL[weighted(gene >> 8, &SEQ_WEIGHTS)];
        let ack_weights: Vec<u32> = ACK_WEIGHTS.iter().map(|(_, w)| *w).collect();
        let ack = ACK_WEIGHTS[weighted(gene, &ack_weights)].0;
        let same_kind: Vec<Stimulus> = segs
            .iter()
            .copied()
            .filter(|s| matches!(s, Stimulus::Segment(k, ..) if *k == kind))
            .collect();
        let score = |s: &Stimulus| match s {
            Stimulus::Segment(_, q, a) => {
                (*q != seq) as u8 * 2 + (a.is_some_and(|a| a != ack)) as u8
            }
            _ => 9,
        };
        same_kind
            .iter()
            .copied()
            .min_by_key(score)
            .or_else(|| from(&segs))
    };
    match gene >> 28 {
        11..=13 => from(&calls).or_else(segment),
        14..=15 => from(&timers).or_else(segment),
        _ => segment(),
    }
    .or_else(|| from(&calls))
    .or_else(|| from(&timers))
}

/// The segments a walk may send in `ep`'s state beyond the vectors' alphabet: every kind with
/// an acknowledgment at RFC 5961 5.2's too-old class, in the synchronized states (before, an
/// unacceptable acknowledgment is answered with a RST at SEG.ACK, a number the model's small
/// sequence space cannot write).
fn walk_only_segments(ep: &crate::endpoint::Endpoint) -> Vec<Stimulus> {
    use TcpState::*;
    if !matches!(
        ep.state,
        Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck | TimeWait
    ) {
        return Vec::new();
    }
    stimuli(ep)
        .into_iter()
        .filter_map(|s| match s {
            Stimulus::Segment(k, q, Some(AckClass::Exact)) => {
                Some(Stimulus::Segment(k, q, Some(AckClass::TooOld)))
            }
            _ => None,
        })
        .collect()
}

/// Where a walk may start instead of at an unopened socket: the shortest ordinary path to each
/// representative state the generated vectors test ([`representatives`]: every state, each
/// role, idle and with data in flight), in a fixed order. A walk that starts at the end of one
/// reaches the deep states (TIME-WAIT, CLOSING, LAST-ACK) as often as the shallow ones, and
/// its random events begin there.
pub fn starts() -> Vec<Vec<Stimulus>> {
    representatives(&params())
        .into_values()
        .filter(|path| !path.is_empty())
        .collect()
}

/// Whether a stimulus opens the socket (the first event of every walk).
pub fn is_open(s: &Stimulus) -> bool {
    matches!(s, Stimulus::Call(UserCall::Open { .. }))
}

/// What the generated vectors reach, to compare walks with: the (state, event class) cells
/// their events under test cover, and the two-event sequences (consecutive event classes)
/// their scripts contain, preamble included. Scenario vectors are not counted.
pub fn vectors_reach() -> (Cells, Pairs) {
    let p = params();
    let mut cells = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    for (_, stims) in representatives(&p) {
        let Some(path) = realize(&stims, &p) else {
            continue;
        };
        let Some(t) = target_after(&path, &p) else {
            continue;
        };
        let classes: Vec<String> = stims.iter().map(Stimulus::class_name).collect();
        for s in stimuli(&t.ep) {
            if advance(&t, &apply_form(&t.ep, s), &p).is_none() {
                continue;
            }
            cells.insert((t.ep.state, s.class_name()));
            let mut all = classes.clone();
            all.push(s.class_name());
            for w in all.windows(2) {
                pairs.insert((w[0].clone(), w[1].clone()));
            }
        }
    }
    (cells, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcp_vectors::AppEvent;

    fn apply(o: &mut Oracle, s: Stimulus) -> Expected {
        let s = Move::Stimulus(s);
        assert!(
            o.options().contains(&s),
            "{s:?} not offered in {:?}",
            o.target().ep.state
        );
        let p = o
            .expect(s)
            .unwrap_or_else(|| panic!("{s:?} cannot be expected"));
        let e = p.expected.clone();
        o.resolve(p, 0);
        e
    }

    fn established() -> Oracle {
        let mut o = Oracle::new(&[], Some(Millis(500)));
        apply(&mut o, Stimulus::Call(UserCall::Open { passive: false }));
        apply(
            &mut o,
            Stimulus::Segment(Kind::SYN_ACK, SeqClass::Exact, Some(AckClass::Exact)),
        );
        assert_eq!(o.target().ep.state, TcpState::Established);
        o
    }

    #[test]
    fn a_stalled_reader_closes_the_window_and_still_takes_acks() {
        let mut o = Oracle::new(&[], Some(Millis(500))).with_receive_buffer(2);
        apply(&mut o, Stimulus::Call(UserCall::Open { passive: false }));
        apply(
            &mut o,
            Stimulus::Segment(Kind::SYN_ACK, SeqClass::Exact, Some(AckClass::Exact)),
        );
        assert_eq!(o.receive_window(), 2);
        apply(&mut o, Stimulus::Call(UserCall::Send(1)));
        let first = apply(
            &mut o,
            Stimulus::Segment(Kind::DATA, SeqClass::Exact, Some(AckClass::Una)),
        );
        assert!(first.outcomes[0]
            .steps
            .contains(&Step::App(AppEvent::Data(2))));
        assert_eq!(o.receive_window(), 0);
        assert_eq!(o.target().ep.in_flight(), 1);
        // RFC 9293 3.10.7.4: with a zero window the text is refused but the ACK is taken.
        let second = apply(
            &mut o,
            Stimulus::Segment(Kind::DATA, SeqClass::Exact, Some(AckClass::Exact)),
        );
        assert!(!second.outcomes[0]
            .steps
            .iter()
            .any(|s| matches!(s, Step::App(_))));
        assert_eq!(o.target().ep.in_flight(), 0);
        // The edge of the window is the stalled window's, written as a plain offset.
        let edge = o
            .expect(Move::Stimulus(Stimulus::Segment(
                Kind::DATA,
                SeqClass::WindowEdge,
                Some(AckClass::Exact),
            )))
            .expect("offered");
        match &edge.expected.action {
            Step::Send(spec) => assert_eq!(spec.seq.to_string(), "irs+3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn holding_a_choice_leaves_one_alternative() {
        let held = |o: Oracle| {
            let mut o = o;
            apply(&mut o, Stimulus::Call(UserCall::Open { passive: false }));
            apply(
                &mut o,
                Stimulus::Segment(Kind::SYN_ACK, SeqClass::Exact, Some(AckClass::Exact)),
            );
            apply(
                &mut o,
                Stimulus::Segment(Kind::DATA, SeqClass::InWindow, Some(AckClass::Exact)),
            );
            o.expect(Move::Stimulus(Stimulus::Segment(
                Kind::DATA,
                SeqClass::Exact,
                Some(AckClass::Exact),
            )))
            .expect("offered")
            .expected
            .outcomes
            .len()
        };
        assert_eq!(held(Oracle::new(&[], None)), 2, "held or dropped");
        assert_eq!(
            held(Oracle::new(&[], None).hold(Choice::OutOfOrder, false)),
            1,
            "held only"
        );
    }

    #[test]
    fn the_peer_sends_its_fin_and_then_repeats_it() {
        let mut o = established();
        let fin = |q| Stimulus::Segment(Kind::FIN_ACK, q, Some(AckClass::Exact));
        assert_eq!(o.peer_moves(), vec![fin(SeqClass::Exact)]);
        apply(&mut o, Stimulus::Call(UserCall::Close));
        apply(&mut o, fin(SeqClass::Exact));
        assert_eq!(o.target().ep.state, TcpState::TimeWait);
        assert_eq!(o.peer_moves(), vec![fin(SeqClass::Old)]);
        // In TIME-WAIT the short wait; where no timer runs, the long one.
        let wait = |o: &Oracle| match o.expect(Move::Wait).map(|p| p.expected.action) {
            Some(Step::Wait(d)) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(&o), Millis(500));
        let idle = established().with_long_wait(Millis(1250));
        assert_eq!(wait(&idle), Millis(1250));
    }

    #[test]
    fn text_held_out_of_order_is_delivered_when_the_gap_fills() {
        let mut o = established();
        let held = apply(
            &mut o,
            Stimulus::Segment(Kind::DATA, SeqClass::InWindow, Some(AckClass::Exact)),
        );
        // Held or dropped: the two alternatives agree so far (an ACK of RCV.NXT).
        assert_eq!(held.outcomes.len(), 1, "{held:?}");
        let fill = o
            .expect(Move::Stimulus(Stimulus::Segment(
                Kind::DATA,
                SeqClass::Exact,
                Some(AckClass::Exact),
            )))
            .expect("offered");
        let data: Vec<&Step> = fill.expected.outcomes[0]
            .steps
            .iter()
            .filter(|s| matches!(s, Step::App(AppEvent::Data(_))))
            .collect();
        assert_eq!(
            fill.expected.outcomes.len(),
            2,
            "held and dropped part here"
        );
        assert_eq!(data, [&Step::App(AppEvent::Data(3))]);
    }
}
