use std::collections::{HashSet, VecDeque, BTreeMap};
use stateright::Model;
use tcp_model::config::{Budgets, Config, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::system::System;
fn main() {
    let sc = match std::env::args().nth(1).as_deref() { Some("blind") => Scenario::BlindAttack, Some("cs") => Scenario::ClientServer, _ => Scenario::Abort };
    let limit: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(2_000_000);
    let sys = System::new(Config::new(sc, Variant::Standard, Budgets::default()));
    let mut seen = HashSet::new();
    let mut q = VecDeque::new();
    for s in sys.init_states() { seen.insert(s.clone()); q.push_back((s, 0usize)); }
    let mut hist: BTreeMap<String, usize> = BTreeMap::new();
    let mut maxd = 0;
    while let Some((s, d)) = q.pop_front() {
        maxd = maxd.max(d);
        let key = format!("clk=({},{}) inc=({},{}) ph=({:?},{:?}) net={}", s.hosts[0].clock, s.hosts[1].clock, s.hosts[0].incarnation, s.hosts[1].incarnation, s.hosts[0].phase, s.hosts[1].phase, s.net.len());
        *hist.entry(key).or_default() += 1;
        if seen.len() > limit { continue; }
        let mut acts = Vec::new();
        sys.actions(&s, &mut acts);
        for a in acts { if let Some(n) = sys.next_state(&s, a) { if seen.insert(n.clone()) { q.push_back((n, d+1)); } } }
    }
    println!("states {} maxdepth {}", seen.len(), maxd);
    let mut v: Vec<_> = hist.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (k, n) in v.iter().take(25) { println!("{n:>8} {k}"); }
}
