use super::*;

/// A counter on a ring with an exit: 0 -> 1 -> 2 -> 0, and 2 -> 3 (done) when `exit`.
/// `message` models a segment in flight in state 1 that the ring's step from 1 delivers
/// (or not, when `deliver_in_ring` is false: then the ring is unfair to it).
#[derive(Clone)]
struct Ring {
    exit: bool,
    deliver_in_ring: bool,
}

impl Model for Ring {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<u8>) {
        match s {
            0 | 1 => out.push((s + 1) % 3),
            2 => {
                out.push(0);
                if self.exit {
                    out.push(3);
                }
            }
            _ => {}
        }
    }
    fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
        Some(a)
    }
}

impl Fair for Ring {
    fn obligations(&self, _: &u8, out: &mut Vec<u64>) {
        out.push(7); // a segment stays in flight in every state of the ring
    }
    fn discharges(&self, s: &u8, a: &u8) -> Option<u64> {
        (self.deliver_in_ring && *s == 1 && *a == 2).then_some(7)
    }
}

fn done() -> Property<Ring> {
    Property {
        name: "done",
        kind: Kind::Eventually,
        holds: |_, s| *s == 3,
    }
}

fn run(m: &Ring, props: &[Property<Ring>], budget: usize) -> Exploration<u8, u8> {
    explore(
        m,
        props,
        Options {
            threads: 1,
            budget: Budget {
                max_states: budget,
                max_memory: u64::MAX,
            },
            stop_on: Vec::new(),
            progress: &mut |_| {},
        },
    )
}

#[test]
fn a_fair_loop_without_progress_violates_eventually() {
    let m = Ring {
        exit: true,
        deliver_in_ring: true,
    };
    let e = run(&m, &[done()], 100);
    assert_eq!((e.states, e.stop), (4, Stop::Complete));
    let Verdict::Violated(t) = &e.verdicts[0].1 else {
        panic!("{:?}", e.verdicts)
    };
    let states: Vec<u8> = t.steps.iter().map(|(s, _)| *s).collect();
    assert_eq!(states, vec![0, 1, 2, 0]);
    assert_eq!(t.cycle_start, Some(0));
}

#[test]
fn an_unfair_loop_is_not_a_counterexample() {
    let m = Ring {
        exit: true,
        deliver_in_ring: false,
    };
    let e = run(&m, &[done()], 100);
    assert!(
        matches!(e.verdicts[0].1, Verdict::Holds),
        "{:?}",
        e.verdicts
    );
}

#[test]
fn terminal_states_violate_and_always_finds_the_shallowest() {
    let m = Ring {
        exit: true,
        deliver_in_ring: true,
    };
    let props = [
        Property {
            name: "never-3",
            kind: Kind::Always,
            holds: |_: &Ring, s: &u8| *s != 3,
        },
        Property {
            name: "reach-2",
            kind: Kind::Sometimes,
            holds: |_: &Ring, s: &u8| *s == 2,
        },
        Property {
            name: "reach-9",
            kind: Kind::Sometimes,
            holds: |_: &Ring, s: &u8| *s == 9,
        },
        Property {
            name: "eventually-0",
            kind: Kind::Eventually,
            holds: |_: &Ring, s: &u8| *s == 0,
        },
    ];
    let e = run(&m, &props, 100);
    let Verdict::Violated(t) = &e.verdicts[0].1 else {
        panic!()
    };
    assert_eq!(t.steps.len(), 4, "0 -> 1 -> 2 -> 3");
    assert!(matches!(e.verdicts[1].1, Verdict::Reached(_)));
    assert!(matches!(e.verdicts[2].1, Verdict::Unreached));
    // 3 is terminal and not 0.
    let Verdict::Violated(t) = &e.verdicts[3].1 else {
        panic!()
    };
    assert_eq!(t.cycle_start, None);
    assert_eq!(t.steps.last().map(|s| s.0), Some(3));
}

#[test]
fn a_budget_leaves_properties_undecided() {
    let m = Ring {
        exit: false,
        deliver_in_ring: true,
    };
    let e = run(&m, &[done()], 2);
    assert_eq!(e.stop, Stop::StateBudget);
    assert!(matches!(e.verdicts[0].1, Verdict::Undecided));
}

#[test]
fn parallel_expansion_gives_the_same_graph() {
    let m = Ring {
        exit: true,
        deliver_in_ring: true,
    };
    let one = run(&m, &[done()], 100);
    let two = explore(
        &m,
        &[done()],
        Options {
            threads: 2,
            budget: Budget {
                max_states: 100,
                max_memory: u64::MAX,
            },
            stop_on: Vec::new(),
            progress: &mut |_| {},
        },
    );
    assert_eq!((one.states, one.edges), (two.states, two.edges));
}

/// A state whose identity (`Hash`) leaves out a monotone flag, as the TCP model leaves out
/// its ghost history: 0 -> 1 directly, and 0 -> 2 -> 1 raising the flag on the way.
#[derive(Clone, Debug)]
struct Flagged {
    at: u8,
    flag: bool,
}

impl PartialEq for Flagged {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Flagged {}

impl Hash for Flagged {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.at.hash(h);
    }
}

struct Diamond;

impl Model for Diamond {
    type State = Flagged;
    type Action = u8;
    fn init_states(&self) -> Vec<Flagged> {
        vec![Flagged { at: 0, flag: false }]
    }
    fn actions(&self, s: &Flagged, out: &mut Vec<u8>) {
        match s.at {
            0 => out.extend([1, 2]),
            2 => out.push(1),
            _ => {}
        }
    }
    fn next_state(&self, s: &Flagged, a: u8) -> Option<Flagged> {
        Some(Flagged {
            at: a,
            flag: s.flag || s.at == 2,
        })
    }
}

impl Fair for Diamond {
    fn obligations(&self, _: &Flagged, _: &mut Vec<u64>) {}
    fn discharges(&self, _: &Flagged, _: &u8) -> Option<u64> {
        None
    }
}

/// The second arrival at state 1 merges into the first (same identity), but carries the
/// flag: an always-property that reads the flag must still see it, because the search judges
/// always- and sometimes-properties on every successor as generated, not only on new states.
#[test]
fn a_flag_left_out_of_the_identity_is_judged_on_every_arrival() {
    let props = [
        Property {
            name: "never flagged",
            kind: Kind::Always,
            holds: |_: &Diamond, s: &Flagged| !s.flag,
        },
        Property {
            name: "flagged at 1",
            kind: Kind::Sometimes,
            holds: |_: &Diamond, s: &Flagged| s.flag && s.at == 1,
        },
    ];
    let e = explore(
        &Diamond,
        &props,
        Options {
            threads: 1,
            budget: Budget {
                max_states: 100,
                max_memory: u64::MAX,
            },
            stop_on: Vec::new(),
            progress: &mut |_| {},
        },
    );
    assert_eq!(e.states, 3, "states 0, 1 and 2: the flagged arrival merged");
    for (k, name) in ["never flagged", "flagged at 1"].into_iter().enumerate() {
        let trace = match &e.verdicts[k].1 {
            Verdict::Violated(t) | Verdict::Reached(t) => t,
            other => panic!("{name}: decided by the merged arrival, got {other:?}"),
        };
        let path: Vec<u8> = trace.steps.iter().map(|(s, _)| s.at).collect();
        assert_eq!(path, [0, 2, 1], "{name}");
    }
}
