//! Conformance vectors generated from the endpoint model.
//!
//! One endpoint (the *target*) is explored against an adversarial peer and application: every
//! user call, every segment of a finite alphabet of classes (flags x sequence class x
//! acknowledgment class) and every running timer. For each reachable cell (RFC 9293 state x
//! event class) the vector is the shortest script that reaches the state, applies the event,
//! and checks what the model says must follow: the segments sent, what the application is told,
//! the state, and a quiet window. Interesting system scenarios are projected onto one endpoint
//! as further vectors. Numbers are symbolic (`iss`, `irs`, `wnd`): see [`tcp_vectors`].

use crate::endpoint::{step, Endpoint, Event, Output, Params, Transition, UserCall};
use crate::fault::Fault;
use crate::mechanism::Mechanisms;
use crate::policy::Policy;
use crate::segment::{ctl, Segment, Seq};
use std::collections::{BTreeMap, HashSet, VecDeque};
use tcp_vectors::{
    AppEvent, Call, Flags, Keepalive, Millis, Role, SegmentPattern, SegmentSpec, SeqExpr, SeqVar,
    SocketOptions, Step, TcpState, TimerKind, Vector, SCHEMA_VERSION,
};

/// The target's ISS inside the model (written `iss` in vectors).
const ISS: Seq = Seq(16);
/// The peer's ISS inside the model (written `irs` in vectors), half the space from ISS.
const IRS: Seq = Seq(144);
/// The acknowledgment number the peer uses before the target has chosen an ISS, inside the
/// model (a quarter of the space from both ISS and IRS).
const STRAY_ACK: Seq = Seq(80);
/// How [`STRAY_ACK`] is written in vectors: an absolute number.
const STRAY_ACK_WRITTEN: i64 = 12345;
/// The receive window inside the model; vectors write window-relative numbers with `wnd`.
const WND: u8 = 8;
/// Exploration depth (events) when searching for the shortest path to each state.
const MAX_DEPTH: usize = 9;
/// Quiet window after the event under test.
const QUIET: Millis = Millis(50);

/// Sequence-number class of a segment the peer sends, relative to what the target expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqClass {
    /// One before RCV.NXT (already received).
    Old,
    /// Exactly RCV.NXT (or the peer's ISS when nothing is synchronized yet).
    Exact,
    /// Inside the window but past RCV.NXT.
    InWindow,
    /// RCV.NXT + RCV.WND: the first number past the right edge of the window, the boundary of
    /// the acceptability test (RFC 9293 section 3.10.7.4: `SEG.SEQ < RCV.NXT+RCV.WND`).
    /// Generated for zero-length ACKs and RSTs only, where the boundary is all that is tested.
    WindowEdge,
    /// RCV.NXT + RCV.WND + [`BEYOND_MARGIN`]: well beyond the window, whatever window the
    /// target has opened since it last advertised one.
    BeyondWindow,
}

/// How far past the right edge a beyond-window segment lies: more than any unscaled window
/// (at most 65,535, RFC 9293 section 3.1; vectors never offer window scaling), so the segment
/// stays outside the window even if the target opened its window after the last segment the
/// replayer saw.
pub const BEYOND_MARGIN: u32 = 65_536;

/// Acknowledgment class of a segment the peer sends, relative to the target's send sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AckClass {
    /// SND.UNA - 1: below anything still unacknowledged (an old duplicate's number).
    Old,
    /// SND.UNA: acknowledges nothing new (a duplicate acknowledgment).
    Una,
    /// SND.NXT: acknowledges everything sent.
    Exact,
    /// SND.NXT + 1: acknowledges something never sent.
    Beyond,
}

/// The segment kinds of the alphabet.
pub const SEGMENT_KINDS: [&str; 7] = ["S", "SA", "A", "FA", "R", "RA", "data"];

/// An event class applied to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stimulus {
    /// A user call.
    Call(UserCall),
    /// A segment from the peer: kind (one of [`SEGMENT_KINDS`]), sequence and ack classes.
    Segment(&'static str, SeqClass, Option<AckClass>),
    /// A timer of the target expires.
    Timer(TimerKind),
}

impl Stimulus {
    /// The event-class name used in `covers` and in the coverage matrix.
    pub fn class_name(&self) -> String {
        match self {
            Stimulus::Call(c) => match c {
                UserCall::Open { passive: false } => "OPEN (active)".into(),
                UserCall::Open { passive: true } => "OPEN (passive)".into(),
                UserCall::Send(_) => "SEND".into(),
                UserCall::Close => "CLOSE".into(),
                UserCall::Abort => "ABORT".into(),
            },
            Stimulus::Segment(kind, seq, ack) => {
                let mut s = match *kind {
                    "S" => "SYN".to_string(),
                    "SA" => "SYN+ACK".into(),
                    "A" => "ACK".into(),
                    "FA" => "FIN+ACK".into(),
                    "R" => "RST".into(),
                    "RA" => "RST+ACK".into(),
                    _ => "data+ACK".into(),
                };
                s.push_str(&format!(" seq {}", seq_class_name(*seq)));
                if let Some(a) = ack {
                    s.push_str(&format!(" ack {}", ack_class_name(*a)));
                }
                s
            }
            Stimulus::Timer(t) => match t {
                TimerKind::Retransmission => "retransmission timeout".into(),
                TimerKind::TimeWait => "TIME-WAIT timeout".into(),
                TimerKind::Keepalive => "keepalive timeout".into(),
            },
        }
    }

    fn slug(&self) -> String {
        self.class_name()
            .to_lowercase()
            .replace(['(', ')', '+'], "")
            .replace(' ', "-")
    }
}

fn seq_class_name(c: SeqClass) -> &'static str {
    match c {
        SeqClass::Old => "old",
        SeqClass::Exact => "exact",
        SeqClass::InWindow => "in-window",
        SeqClass::WindowEdge => "window-edge",
        SeqClass::BeyondWindow => "beyond-window",
    }
}

fn ack_class_name(c: AckClass) -> &'static str {
    match c {
        AckClass::Old => "old",
        AckClass::Una => "una",
        AckClass::Exact => "exact",
        AckClass::Beyond => "beyond",
    }
}

/// The endpoint parameters vectors are generated with.
pub fn params() -> Params {
    Params {
        wnd: WND,
        max_retries: 2,
        rto: 1,
        msl: 2,
        keepalive: None,
        mech: Mechanisms::STANDARD,
        policy: Policy::MODEL,
        fault: Fault::None,
    }
}

/// The target as explored: its endpoint and how it was opened.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Target {
    ep: Endpoint,
    role: Option<Role>,
    /// Whether the application has accepted the (passive) connection.
    accepted: bool,
}

/// A concrete model event plus the symbolic form of its segment (if any) for the vector.
#[derive(Clone, Debug)]
struct Applied {
    event: Event,
    spec: Option<SegmentSpec>,
}

fn has_iss(ep: &Endpoint) -> bool {
    !matches!(ep.state, TcpState::Closed | TcpState::Listen)
}

fn has_irs(ep: &Endpoint) -> bool {
    !matches!(
        ep.state,
        TcpState::Closed | TcpState::Listen | TcpState::SynSent
    )
}

/// The segment classes that make sense for an endpoint: window classes only once RCV.NXT is
/// known, ack classes only once the target has an ISS.
fn segment_stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let seqs: &[SeqClass] = if has_irs(ep) {
        &[
            SeqClass::Old,
            SeqClass::Exact,
            SeqClass::InWindow,
            SeqClass::WindowEdge,
            SeqClass::BeyondWindow,
        ]
    } else {
        &[SeqClass::Exact]
    };
    let acks: &[AckClass] = if has_iss(ep) {
        &[
            AckClass::Old,
            AckClass::Una,
            AckClass::Exact,
            AckClass::Beyond,
        ]
    } else {
        &[AckClass::Exact]
    };
    let mut out = Vec::new();
    for kind in SEGMENT_KINDS {
        for &seq in seqs {
            if kind == "S" || kind == "R" {
                if seq != SeqClass::WindowEdge || kind == "R" {
                    out.push(Stimulus::Segment(kind, seq, None));
                }
            } else {
                for &ack in acks {
                    // The edge matters for zero-length segments, whose only acceptability
                    // test is the sequence number itself; one ACK class is enough there.
                    if seq != SeqClass::WindowEdge || (kind == "A" && ack == AckClass::Exact) {
                        out.push(Stimulus::Segment(kind, seq, Some(ack)));
                    }
                }
            }
        }
    }
    out
}

fn call_stimuli() -> Vec<Stimulus> {
    [
        UserCall::Open { passive: false },
        UserCall::Open { passive: true },
        UserCall::Send(1),
        UserCall::Close,
        UserCall::Abort,
    ]
    .into_iter()
    .map(Stimulus::Call)
    .collect()
}

fn timer_stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let mut out = Vec::new();
    if ep.rtx_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::Retransmission));
    }
    if ep.tw_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::TimeWait));
    }
    if ep.ka_timer > 0 {
        out.push(Stimulus::Timer(TimerKind::Keepalive));
    }
    out
}

/// Every stimulus for `ep`.
fn stimuli(ep: &Endpoint) -> Vec<Stimulus> {
    let mut all = call_stimuli();
    all.extend(segment_stimuli(ep));
    all.extend(timer_stimuli(ep));
    all
}

/// The signed distance from `base` to `v` in sequence space.
fn dist(base: Seq, v: Seq) -> i64 {
    v.minus(base) as i8 as i64
}

fn expr(var: SeqVar, base: Seq, v: Seq) -> SeqExpr {
    SeqExpr::new(var, dist(base, v))
}

/// Turn a stimulus into a concrete model event and its symbolic segment.
fn apply_form(ep: &Endpoint, stimulus: Stimulus) -> Applied {
    match stimulus {
        Stimulus::Call(c) => Applied {
            event: Event::Call(c),
            spec: None,
        },
        Stimulus::Timer(t) => Applied {
            event: Event::Timeout(t),
            spec: None,
        },
        Stimulus::Segment(kind, seq_class, ack_class) => {
            let (syn, ack, fin, rst, len) = match kind {
                "S" => (true, false, false, false, 0),
                "SA" => (true, true, false, false, 0),
                "A" => (false, true, false, false, 0),
                "FA" => (false, true, true, false, 0),
                "R" => (false, false, false, true, 0),
                "RA" => (false, true, false, true, 0),
                _ => (false, true, false, false, 1),
            };
            let base = if has_irs(ep) { ep.rcv_nxt } else { IRS };
            let (seq, seq_expr) = match seq_class {
                SeqClass::Old => (base - 1, expr(SeqVar::Irs, IRS, base - 1)),
                SeqClass::Exact => (base, expr(SeqVar::Irs, IRS, base)),
                SeqClass::InWindow => (base + 1, expr(SeqVar::Irs, IRS, base + 1)),
                SeqClass::WindowEdge => (
                    base + WND,
                    SeqExpr::with_window(SeqVar::Irs, dist(IRS, base)),
                ),
                // The model's window is small, so its own value is one window past the edge;
                // the vector's is [`BEYOND_MARGIN`] past it. Both are simply beyond the window.
                SeqClass::BeyondWindow => (
                    base + 2 * WND,
                    SeqExpr::with_window(
                        SeqVar::Irs,
                        dist(IRS, base) + i64::from(BEYOND_MARGIN),
                    ),
                ),
            };
            let (ack_value, ack_expr) = match ack_class {
                None => (Seq(0), None),
                Some(_) if !has_iss(ep) => (
                    STRAY_ACK,
                    Some(SeqExpr {
                        vars: vec![],
                        offset: STRAY_ACK_WRITTEN,
                    }),
                ),
                Some(AckClass::Old) => {
                    let v = ep.snd_una - 1;
                    (v, Some(expr(SeqVar::Iss, ISS, v)))
                }
                Some(AckClass::Una) => (ep.snd_una, Some(expr(SeqVar::Iss, ISS, ep.snd_una))),
                Some(AckClass::Exact) => (ep.snd_nxt, Some(expr(SeqVar::Iss, ISS, ep.snd_nxt))),
                Some(AckClass::Beyond) => {
                    let v = ep.snd_nxt + 1;
                    (v, Some(expr(SeqVar::Iss, ISS, v)))
                }
            };
            let seg = Segment {
                flags: ctl(syn, ack, fin, rst),
                seq,
                ack: ack_value,
                len,
            };
            let flags: Flags = seg.flags;
            Applied {
                event: Event::Arrive(seg),
                spec: Some(SegmentSpec {
                    flags,
                    seq: seq_expr,
                    ack: ack_expr,
                    len: len as u32,
                }),
            }
        }
    }
}

/// Why a user call cannot be made on the target through a socket API, if it cannot.
fn call_unavailable(t: &Target, call: UserCall) -> Option<&'static str> {
    match call {
        UserCall::Open { .. } if t.role.is_some() => Some("one socket per vector: already opened"),
        UserCall::Open { .. } => None,
        _ if t.role.is_none() => Some("no socket to call on"),
        _ if t.role == Some(Role::Passive) && !t.accepted => {
            Some("before accept() the application has no socket for the connection")
        }
        UserCall::Send(_) if matches!(t.ep.state, TcpState::SynSent | TcpState::SynReceived) => {
            Some("send() before the connection is established fails on a socket")
        }
        _ => None,
    }
}

/// Apply an event to the target; `None` if the event cannot be scripted (see
/// [`call_unavailable`]) or the call only returns an error.
fn advance(t: &Target, applied: &Applied, p: &Params) -> Option<(Target, Transition)> {
    if let Event::Call(call) = applied.event {
        if call_unavailable(t, call).is_some() {
            return None;
        }
    }
    let tr = step(&t.ep, &applied.event, p, ISS);
    if tr.outputs.iter().any(|o| matches!(o, Output::Error(_))) {
        return None;
    }
    let mut next = Target {
        ep: tr.next.clone(),
        role: t.role,
        accepted: t.accepted,
    };
    if let Event::Call(UserCall::Open { passive }) = applied.event {
        next.role = Some(if passive { Role::Passive } else { Role::Active });
    }
    if tr.outputs.contains(&Output::App(AppEvent::Connected)) {
        next.accepted = true;
    }
    Some((next, tr))
}

/// The symbolic pattern of a segment the target sends.
fn pattern(ep_before: &Endpoint, seg: &Segment) -> SegmentPattern {
    let knows_iss = has_iss(ep_before) || seg.flags.syn;
    let near = |base: Seq, v: Seq| dist(base, v).abs() < 40;
    let seq = if knows_iss && near(ISS, seg.seq) {
        expr(SeqVar::Iss, ISS, seg.seq)
    } else if near(IRS, seg.seq) {
        expr(SeqVar::Irs, IRS, seg.seq)
    } else {
        absolute(seg.seq)
    };
    let ack = seg.flags.ack.then(|| {
        if near(IRS, seg.ack) {
            expr(SeqVar::Irs, IRS, seg.ack)
        } else if near(ISS, seg.ack) {
            expr(SeqVar::Iss, ISS, seg.ack)
        } else {
            absolute(seg.ack)
        }
    });
    SegmentPattern {
        flags: seg.flags,
        seq: Some(seq),
        ack,
        len: seg.len as u32,
        // The model's window is abstract and it has no options: the vectors leave both free.
        window: None,
        options: None,
    }
}

/// A number the model does not relate to either ISN: the stray acknowledgment (written as the
/// absolute number the replayer sends), or 0.
fn absolute(v: Seq) -> SeqExpr {
    let offset = if dist(STRAY_ACK, v).abs() < 40 {
        STRAY_ACK_WRITTEN + dist(STRAY_ACK, v)
    } else {
        v.0 as i64
    };
    SeqExpr {
        vars: vec![],
        offset,
    }
}

/// The vector steps for one applied event and what the model says follows.
fn event_steps(before: &Target, applied: &Applied, after: &Target, tr: &Transition) -> Vec<Step> {
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
    for out in &tr.outputs {
        match out {
            Output::Send(seg) => steps.push(Step::Expect(pattern(&before.ep, seg))),
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

/// A representative target: its role, state, and whether it has data or control in flight
/// (ESTABLISHED and CLOSE-WAIT are represented both idle and with unacknowledged data, so that
/// the retransmission timer and the acknowledgment classes are exercised in both).
type RepKey = (Option<Role>, TcpState, bool);

/// A shortest path (as applied events) to a representative of each [`RepKey`].
struct Explorer {
    reps: BTreeMap<RepKey, Vec<Applied>>,
}

fn explore() -> Explorer {
    let start = Target {
        ep: Endpoint::closed(),
        role: None,
        accepted: false,
    };
    let mut seen: HashSet<Target> = HashSet::from([start.clone()]);
    let mut queue: VecDeque<(Target, Vec<Applied>)> = VecDeque::from([(start, Vec::new())]);
    let mut reps = BTreeMap::new();
    while let Some((t, path)) = queue.pop_front() {
        reps.entry((t.role, t.ep.state, t.ep.in_flight() > 0))
            .or_insert_with(|| path.clone());
        if path.len() >= MAX_DEPTH {
            continue;
        }
        let mut order = stimuli(&t.ep);
        order.retain(|s| ordinary_path_step(&t.ep, *s));
        order.sort_by_key(preference);
        for s in order {
            let applied = apply_form(&t.ep, s);
            let Some((next, _)) = advance(&t, &applied, &params()) else {
                continue;
            };
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(applied);
                queue.push_back((next, p));
            }
        }
    }
    Explorer { reps }
}

/// Whether a stimulus may lead *to* a state in a vector's preamble. The event under test may be
/// anything; the way there keeps to what applications ordinarily do, so that a difference in an
/// exotic corner (CLOSE during a simultaneous open, say) does not colour every vector after it:
/// CLOSE, ABORT and SEND only on an established connection.
fn ordinary_path_step(ep: &Endpoint, s: Stimulus) -> bool {
    match s {
        Stimulus::Call(UserCall::Open { .. }) => true,
        Stimulus::Call(_) => matches!(ep.state, TcpState::Established | TcpState::CloseWait),
        _ => true,
    }
}

/// Among paths of equal length, prefer the ordinary: SYN,ACK, ACK, FIN and data before SYN and
/// RST, exact numbers before old, in-window and beyond.
fn preference(s: &Stimulus) -> (u8, u8, u8) {
    match s {
        Stimulus::Call(_) => (0, 0, 0),
        Stimulus::Segment(kind, seq, ack) => {
            let k = ["SA", "A", "FA", "data", "S", "R", "RA"]
                .iter()
                .position(|x| x == kind)
                .unwrap_or(9) as u8;
            let q = match seq {
                SeqClass::Exact => 0,
                SeqClass::Old => 1,
                SeqClass::InWindow => 2,
                SeqClass::WindowEdge => 3,
                SeqClass::BeyondWindow => 4,
            };
            let a = match ack {
                None | Some(AckClass::Exact) => 0,
                Some(AckClass::Una) => 1,
                Some(AckClass::Old) => 2,
                Some(AckClass::Beyond) => 3,
            };
            (1 + k, q, a)
        }
        Stimulus::Timer(_) => (20, 0, 0),
    }
}

fn state_slug(s: TcpState) -> String {
    s.name().to_lowercase()
}

/// Build a vector from a path of applied events; the last one is the event under test.
fn build(
    id: String,
    covers: Vec<String>,
    role: Role,
    path: &[Applied],
    options: SocketOptions,
    p: &Params,
) -> Vector {
    let mut t = Target {
        ep: Endpoint::closed(),
        role: None,
        accepted: false,
    };
    let mut steps = Vec::new();
    let mut event_at = None;
    for (i, a) in path.iter().enumerate() {
        let Some((next, tr)) = advance(&t, a, p) else {
            break;
        };
        if i + 1 == path.len() {
            event_at = Some(steps.len());
        }
        steps.extend(event_steps(&t, a, &next, &tr));
        if i + 1 == path.len() || next.ep.state != t.ep.state {
            steps.push(Step::State(next.ep.state));
        }
        t = next;
    }
    steps.push(Step::Quiet(QUIET));
    Vector {
        version: SCHEMA_VERSION,
        id,
        covers,
        role,
        options,
        description: String::new(),
        steps,
        event_at,
    }
}

/// Why a cell has no vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellStatus {
    /// Covered by this vector id.
    Covered(String),
    /// Cannot happen, for this reason.
    Unreachable(&'static str),
}

/// The generated vectors and the state x event matrix they cover.
pub struct Generated {
    /// The vectors, sorted by id.
    pub vectors: Vec<Vector>,
    /// (state, event class) -> status.
    pub matrix: BTreeMap<(TcpState, String), CellStatus>,
}

/// Every event class of the matrix, in column order.
pub fn event_classes() -> Vec<String> {
    let mut ep = Endpoint::closed();
    ep.state = TcpState::Established;
    ep.rtx_timer = 1;
    ep.tw_timer = 1;
    ep.ka_timer = 1;
    stimuli(&ep).iter().map(|s| s.class_name()).collect()
}

/// Generate every vector.
pub fn generate() -> Generated {
    let explorer = explore();
    let mut vectors: BTreeMap<String, Vector> = BTreeMap::new();
    let mut matrix = BTreeMap::new();
    for ((role, state, in_flight), path) in &explorer.reps {
        let mut t = Target {
            ep: Endpoint::closed(),
            role: None,
            accepted: false,
        };
        for a in path {
            if let Some((next, _)) = advance(&t, a, &params()) {
                t = next;
            }
        }
        let mut role_name = match role {
            Some(Role::Active) => "active",
            Some(Role::Passive) => "passive",
            None => "no-socket",
        }
        .to_string();
        if *in_flight && matches!(state, TcpState::Established | TcpState::CloseWait) {
            role_name.push_str("-unacked-data");
        }
        for s in stimuli(&t.ep) {
            let applied = apply_form(&t.ep, s);
            let key = (*state, s.class_name());
            if advance(&t, &applied, &params()).is_none() {
                let why = match s {
                    Stimulus::Call(c) => call_unavailable(&t, c),
                    _ => None,
                };
                matrix.entry(key).or_insert(CellStatus::Unreachable(
                    why.unwrap_or("the call fails with an error (RFC 9293 section 3.10)"),
                ));
                continue;
            }
            let id = format!("{}/{}/{}", state_slug(*state), role_name, s.slug());
            let mut full = path.clone();
            full.push(applied);
            // Without a socket yet, the stimulus itself opens one and sets the role.
            let vrole = role.unwrap_or(match s {
                Stimulus::Call(UserCall::Open { passive: false }) => Role::Active,
                _ => Role::Passive,
            });
            let mut v = build(
                id.clone(),
                vec![format!("{} x {}", state.name(), s.class_name())],
                vrole,
                &full,
                SocketOptions::default(),
                &params(),
            );
            allow_alternatives(&mut v, &t.ep, s);
            matrix.insert(key, CellStatus::Covered(id.clone()));
            vectors.insert(id, v);
        }
    }
    for v in scenarios() {
        if v.id.starts_with("scenario/keepalive") {
            // Keepalive only runs when the socket asks for it, so its cell is covered by the
            // scenario vectors that set the option.
            matrix.insert(
                (TcpState::Established, "keepalive timeout".to_string()),
                CellStatus::Covered(v.id.clone()),
            );
        }
        vectors.insert(v.id.clone(), v);
    }
    // Cells never reached: timers that are not running in that state, segment classes that
    // need a window before one exists.
    for state in TcpState::ALL {
        for class in event_classes() {
            matrix.entry((state, class.clone())).or_insert_with(|| {
                CellStatus::Unreachable(if class.contains("timeout") {
                    "the timer does not run in this state"
                } else if class.contains(" old") || class.contains("window") {
                    "no receive window yet: only the exact sequence class exists"
                } else {
                    "no acknowledgment number to be relative to yet"
                })
            });
        }
    }
    Generated {
        vectors: vectors.into_values().collect(),
        matrix,
    }
}

/// Where the RFCs allow several behaviours, the vector lists them all instead of the model's
/// choice alone.
/// Where the model takes one of two behaviours the RFCs allow, the vector accepts both.
fn allow_alternatives(v: &mut Vector, ep: &Endpoint, s: Stimulus) {
    if ep.state != TcpState::TimeWait {
        return;
    }
    match s {
        Stimulus::Segment("R" | "RA", SeqClass::Exact, _) => {
            // RFC 9293 3.10.7.4: RST in TIME-WAIT enters CLOSED; RFC 1337 (fix F1) ignores it.
            if let Some(st) = v
                .steps
                .iter_mut()
                .rev()
                .find(|st| matches!(st, Step::State(_)))
            {
                *st = Step::StateOneOf(vec![TcpState::TimeWait, TcpState::Closed]);
            }
            v.description =
                "RFC 9293 closes on this RST; RFC 1337 ignores it to protect TIME-WAIT".into();
        }
        Stimulus::Segment("R" | "RA", SeqClass::InWindow, _) => {
            // RFC 5961 section 3.2 answers an in-window RST with a challenge ACK in every
            // synchronized state; the model follows RFC 1337 and ignores RSTs in TIME-WAIT.
            let challenge = Segment {
                flags: ctl(false, true, false, false),
                seq: ep.snd_nxt,
                ack: ep.rcv_nxt,
                len: 0,
            };
            if let Some(at) = v.steps.iter().rposition(|st| matches!(st, Step::State(_))) {
                v.steps.insert(
                    at,
                    Step::ExpectOneOf(vec![vec![], vec![pattern(ep, &challenge)]]),
                );
            }
            v.description =
                "RFC 5961 answers this RST with a challenge ACK; RFC 1337 ignores it".into();
        }
        _ => {}
    }
}

fn seg(kind: &'static str, seq: SeqClass, ack: Option<AckClass>) -> Stimulus {
    Stimulus::Segment(kind, seq, ack)
}

/// System scenarios projected onto one endpoint, each as a script of stimuli.
fn scenarios() -> Vec<Vector> {
    use AckClass as A;
    use SeqClass as Q;
    let listen = Stimulus::Call(UserCall::Open { passive: true });
    let connect = Stimulus::Call(UserCall::Open { passive: false });
    let close = Stimulus::Call(UserCall::Close);
    let send = Stimulus::Call(UserCall::Send(1));
    let script: Vec<(&str, &str, Vec<Stimulus>, SocketOptions)> = vec![
        (
            "scenario/dirty-connection-as-server",
            "an old duplicate SYN: SYN-RECEIVED, the peer answers the SYN,ACK with RST, back to LISTEN",
            vec![listen, seg("S", Q::Exact, None), seg("R", Q::Exact, None)],
            SocketOptions::default(),
        ),
        (
            "scenario/simultaneous-open",
            "both ends send SYN: SYN-SENT, SYN-RECEIVED, then ESTABLISHED",
            vec![connect, seg("S", Q::Exact, None), seg("SA", Q::Exact, Some(A::Exact))],
            SocketOptions::default(),
        ),
        (
            "scenario/simultaneous-close",
            "both ends send FIN: FIN-WAIT-1, CLOSING, TIME-WAIT",
            vec![
                connect,
                seg("SA", Q::Exact, Some(A::Exact)),
                close,
                seg("FA", Q::Exact, Some(A::Una)),
                seg("A", Q::Exact, Some(A::Exact)),
            ],
            SocketOptions::default(),
        ),
        (
            "scenario/time-wait-answers-retransmitted-fin",
            "the peer did not get our last ACK and retransmits its FIN: TIME-WAIT acknowledges it",
            vec![
                connect,
                seg("SA", Q::Exact, Some(A::Exact)),
                close,
                seg("A", Q::Exact, Some(A::Exact)),
                seg("FA", Q::Exact, Some(A::Exact)),
                seg("FA", Q::Old, Some(A::Exact)),
            ],
            SocketOptions::default(),
        ),
        (
            "scenario/half-close-data-after-fin",
            "we close; the peer keeps sending data, which we receive in FIN-WAIT-2",
            vec![
                connect,
                seg("SA", Q::Exact, Some(A::Exact)),
                close,
                seg("A", Q::Exact, Some(A::Exact)),
                seg("data", Q::Exact, Some(A::Exact)),
                seg("FA", Q::Exact, Some(A::Exact)),
            ],
            SocketOptions::default(),
        ),
        (
            "scenario/passive-close-with-data",
            "the peer closes first; we send data in CLOSE-WAIT, then close: LAST-ACK, CLOSED",
            vec![
                listen,
                seg("S", Q::Exact, None),
                seg("A", Q::Exact, Some(A::Exact)),
                seg("FA", Q::Exact, Some(A::Exact)),
                send,
                close,
                seg("A", Q::Exact, Some(A::Exact)),
            ],
            SocketOptions::default(),
        ),
    ];
    let mut out: Vec<Vector> = script
        .into_iter()
        .map(|(id, desc, stims, opts)| {
            let path = realize(&stims, params());
            let covers = vec![id.trim_start_matches("scenario/").to_string()];
            let mut v = build(id.into(), covers, role_of(&stims), &path, opts, &params());
            v.description = desc.into();
            v
        })
        .collect();
    out.extend(keepalive_scenarios());
    out
}

fn role_of(stims: &[Stimulus]) -> Role {
    match stims.first() {
        Some(Stimulus::Call(UserCall::Open { passive: false })) => Role::Active,
        _ => Role::Passive,
    }
}

/// Concrete applied events for a script of stimuli (classes are resolved against the state
/// each stimulus meets).
fn realize(stims: &[Stimulus], p: Params) -> Vec<Applied> {
    let mut ep = Endpoint::closed();
    let mut out = Vec::new();
    for &s in stims {
        let a = apply_form(&ep, s);
        ep = step(&ep, &a.event, &p, ISS).next;
        out.push(a);
    }
    out
}

/// Keepalive probes (RFC 1122 section 4.2.3.6), answered and unanswered.
fn keepalive_scenarios() -> Vec<Vector> {
    let ka = crate::endpoint::KeepaliveParams {
        idle: 1,
        interval: 1,
        count: 2,
    };
    let p = Params {
        keepalive: Some(ka),
        ..params()
    };
    let options = SocketOptions {
        keepalive: Some(Keepalive {
            idle_s: 1,
            interval_s: 1,
            count: 2,
        }),
        ..SocketOptions::default()
    };
    let connect = Stimulus::Call(UserCall::Open { passive: false });
    let probe = Stimulus::Timer(TimerKind::Keepalive);
    let answered = vec![
        connect,
        seg("SA", SeqClass::Exact, Some(AckClass::Exact)),
        probe,
        seg("A", SeqClass::Exact, Some(AckClass::Exact)),
        probe,
    ];
    let unanswered = vec![
        connect,
        seg("SA", SeqClass::Exact, Some(AckClass::Exact)),
        probe,
        probe,
        probe,
    ];
    [
        (
            "scenario/keepalive-probe-answered",
            "an idle connection probes with SEG.SEQ = SND.NXT-1; the answer keeps it open",
            answered,
        ),
        (
            "scenario/keepalive-probe-unanswered",
            "unanswered probes: after the probe count the connection times out",
            unanswered,
        ),
    ]
    .into_iter()
    .map(|(id, desc, stims)| {
        let path = realize(&stims, p);
        let covers = vec![id.trim_start_matches("scenario/").to_string()];
        let mut v = build(id.into(), covers, Role::Active, &path, options.clone(), &p);
        v.description = desc.into();
        v
    })
    .collect()
}
