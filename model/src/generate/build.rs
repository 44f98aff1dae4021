//! A vector from a path of events: the steps the model's run produces, and, where the RFCs
//! allow several behaviours, a `one_of` of the runs under each alternative.
//!
//! The choices are made in one place, the step function's [`Policy`]: the path is run under the
//! model's own choices and again with each choice flipped. Where a flip changes what follows the
//! event under test, the vector ends in a `one_of` named after the choice, one branch per
//! alternative. A flip must not change the way *to* the event (the preambles use only ordinary
//! segments); [`build`] says so as an error if it does.

use super::alphabet::{apply_form, Applied, Stimulus};
use super::explore::{advance, Target};
use super::numbers::Numbers;
use crate::endpoint::{Event, Output, Params, Transition, UserCall};
use crate::policy::{Choice, Policy};
use tcp_vectors::{
    AppEvent, Branch, Call, Millis, OneOf, Role, SocketOptions, Step, Vector, SCHEMA_VERSION,
};

/// Quiet window after the event under test.
const QUIET: Millis = Millis(50);

/// The concrete events of a script of stimuli, each class resolved against the state it meets
/// under `p`; `None` when a step cannot be scripted.
pub fn realize(stims: &[Stimulus], p: &Params) -> Option<Vec<Applied>> {
    let mut t = Target::new();
    let mut out = Vec::new();
    for &s in stims {
        let a = apply_form(&t.ep, s);
        t = advance(&t, &a, p)?.0;
        out.push(a);
    }
    Some(out)
}

/// The target after a path of events, if the path can be scripted.
pub fn target_after(path: &[Applied], p: &Params) -> Option<Target> {
    let mut t = Target::new();
    for a in path {
        t = advance(&t, a, p)?.0;
    }
    Some(t)
}

/// The steps of one run: everything up to the event under test, and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    /// The steps before the event under test.
    setup: Vec<Step>,
    /// The event's own step (send, call or timer).
    event: Vec<Step>,
    /// The observations that follow it (segments, application events, state, quiet).
    tail: Vec<Step>,
}

/// The vector steps for one applied event and what the model says follows.
pub(crate) fn event_steps(
    applied: &Applied,
    before: &Target,
    after: &Target,
    tr: &Transition,
) -> Vec<Step> {
    let mut steps = Vec::new();
    match applied.event {
        Event::Call(c) => steps.push(Step::Call(match c {
            UserCall::Open { passive: false } => Call::Connect,
            UserCall::Open { passive: true } => Call::Listen,
            UserCall::Send(n) => Call::Send(n as u32),
            UserCall::Close => Call::Close,
            UserCall::Abort => Call::Abort,
        })),
        Event::Arrive(_) => {
            if let Some(spec) = &applied.spec {
                steps.push(Step::Send(spec.clone()));
            }
        }
        Event::Timeout(kind) => steps.push(Step::Timer(kind)),
    }
    let knows_iss = super::alphabet::has_iss(&before.ep);
    for out in &tr.outputs {
        match out {
            Output::Send(seg) => steps.push(Step::Expect(Numbers::pattern(
                seg,
                knows_iss || seg.flags.syn,
            ))),
            Output::App(AppEvent::Connected) => {
                if after.role == Some(Role::Passive) {
                    steps.push(Step::Call(Call::Accept));
                }
                steps.push(Step::App(AppEvent::Connected));
            }
            Output::App(ev) => steps.push(Step::App(*ev)),
            Output::Error(_) => {}
        }
    }
    steps
}

/// Run a path under `p`; the last event is the event under test.
fn run(path: &[Applied], p: &Params) -> Option<Run> {
    let mut t = Target::new();
    let mut steps = Vec::new();
    let mut event_at = 0;
    for (i, a) in path.iter().enumerate() {
        let (next, tr) = advance(&t, a, p)?;
        if i + 1 == path.len() {
            event_at = steps.len();
        }
        steps.extend(event_steps(a, &t, &next, &tr));
        if i + 1 == path.len() || next.ep.state != t.ep.state {
            steps.push(Step::State(next.ep.state));
        }
        t = next;
    }
    steps.push(Step::Quiet(QUIET));
    let tail = steps.split_off(event_at + 1);
    let event = steps.split_off(event_at);
    Some(Run {
        setup: steps,
        event,
        tail,
    })
}

/// Why a vector cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The path cannot be scripted (a call fails, or an event is impossible).
    Unscripted,
    /// Flipping a choice changes the way to the event under test.
    ChoiceInSetup(&'static str),
    /// Flipping these choices each changes what follows the event: a vector can list the
    /// alternatives of one choice only.
    SeveralChoices(Vec<&'static str>),
    /// Where the alternatives part, one of them still makes a call (e.g. `accept`).
    CallInBranch(&'static str),
}

/// The identity and options of a vector to build.
pub struct Spec {
    /// Its id.
    pub id: String,
    /// The cells or scenario it covers.
    pub covers: Vec<String>,
    /// Active or passive.
    pub role: Role,
    /// Socket options.
    pub options: SocketOptions,
    /// One-line description (may be empty).
    pub description: String,
}

/// Build a vector from a path of events (the last is the event under test) under the model's
/// parameters `p`, listing what the RFCs allow after the event.
pub fn build(spec: Spec, path: &[Applied], p: &Params) -> Result<Vector, BuildError> {
    let model = run(path, p).ok_or(BuildError::Unscripted)?;
    let mut differing = Vec::new();
    for choice in Choice::ALL {
        let flipped = Params {
            policy: Policy::MODEL.flip(choice),
            ..*p
        };
        let Some(other) = run(path, &flipped) else {
            return Err(BuildError::ChoiceInSetup(choice.key()));
        };
        if other.setup != model.setup || other.event != model.event {
            return Err(BuildError::ChoiceInSetup(choice.key()));
        }
        if other.tail != model.tail {
            differing.push((choice, other.tail));
        }
    }
    let mut steps = model.setup;
    let event_at = steps.len();
    steps.extend(model.event);
    match differing.len() {
        0 => steps.extend(model.tail),
        1 => {
            let (choice, other) = differing.remove(0);
            steps.extend(one_of(choice, model.tail, other)?);
        }
        _ => {
            return Err(BuildError::SeveralChoices(
                differing.iter().map(|(c, _)| c.key()).collect(),
            ))
        }
    }
    let mut description = spec.description;
    if let Some(Step::OneOf(o)) = steps.last() {
        if description.is_empty() {
            let names: Vec<&str> = o.branches.iter().map(|b| b.name.as_str()).collect();
            description = format!(
                "the RFCs allow either: {} ({})",
                o.choice,
                names.join(" or ")
            );
        }
    }
    let mut vector = Vector {
        version: SCHEMA_VERSION,
        id: spec.id,
        covers: spec.covers,
        requirements: Vec::new(),
        role: spec.role,
        options: spec.options,
        description,
        steps,
        event_at: Some(event_at),
    };
    vector.requirements = super::requirements::vector_requirements(&vector);
    Ok(vector)
}

/// The common start of two tails, then a `one_of` of where they part: the model's choice first.
fn one_of(choice: Choice, model: Vec<Step>, other: Vec<Step>) -> Result<Vec<Step>, BuildError> {
    let common = model.iter().zip(&other).take_while(|(a, b)| a == b).count();
    let (mut out, mine) = split(model, common);
    let (_, theirs) = split(other, common);
    if mine.iter().chain(&theirs).any(|s| !s.is_observation()) {
        return Err(BuildError::CallInBranch(choice.key()));
    }
    let [first, second] = choice.alternatives();
    out.push(Step::OneOf(OneOf {
        choice: choice.key().to_string(),
        branches: vec![
            Branch {
                name: first.to_string(),
                steps: mine,
            },
            Branch {
                name: second.to_string(),
                steps: theirs,
            },
        ],
    }));
    Ok(out)
}

fn split(mut steps: Vec<Step>, at: usize) -> (Vec<Step>, Vec<Step>) {
    let rest = steps.split_off(at);
    (steps, rest)
}
