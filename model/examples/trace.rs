//! Prints the chart of the first discovery of a property: trace VARIANT SCENARIO PROPERTY.
use stateright::{Checker, Model};
use tcp_model::config::{Budgets, Config, Scenario};
use tcp_model::mechanism::Variant;
use tcp_model::system::System;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let v = *Variant::ALL.iter().find(|v| v.name() == a[1]).unwrap();
    let sc = *Scenario::ALL.iter().find(|s| s.name() == a[2]).unwrap();
    let sys = System::new(Config::new(sc, v, Budgets::default()));
    let c = sys
        .clone()
        .checker()
        .threads(2)
        .timeout(std::time::Duration::from_secs(20))
        .spawn_bfs()
        .join();
    let d = c.discoveries();
    let name: &'static str = Box::leak(a[3].clone().into_boxed_str());
    if let Some(p) = d.get(name) {
        let path = p.clone().into_vec();
        print!("{}", tcp_model::chart::chart(&sys, &path).to_text());
    } else {
        println!("no discovery");
    }
}
