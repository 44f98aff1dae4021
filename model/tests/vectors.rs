//! The checked-in vectors are exactly what the model generates. A change to the model shows up
//! here twice: as the list of vector files that differ (regenerate with
//! `cargo run --release -- generate`), and as an insta snapshot diff of the whole set to review
//! with `cargo insta review`.

use std::collections::BTreeMap;
use std::path::Path;
use tcp_model::generate::{generate, CellStatus};
use tcp_model::vector::Vector;

fn generated_files() -> BTreeMap<String, String> {
    generate()
        .vectors
        .iter()
        .map(|v| (v.file_name(), v.to_yaml().expect("vector serializes")))
        .collect()
}

#[test]
fn checked_in_vectors_match_the_model() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let want = generated_files();
    let mut on_disk = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("vectors/ exists") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.ends_with(".yaml") {
            on_disk.insert(
                name,
                std::fs::read_to_string(&path).expect("readable vector"),
            );
        }
    }
    let missing: Vec<_> = want.keys().filter(|k| !on_disk.contains_key(*k)).collect();
    let extra: Vec<_> = on_disk.keys().filter(|k| !want.contains_key(*k)).collect();
    let changed: Vec<_> = want
        .iter()
        .filter(|(k, v)| on_disk.get(*k).is_some_and(|d| d != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "vectors/ is out of date (run `cargo run --release -- generate`): missing {missing:?}, \
         extra {extra:?}, changed {changed:?}"
    );
}

#[test]
fn the_whole_vector_set_is_a_reviewable_snapshot() {
    let all: String = generated_files()
        .into_iter()
        .map(|(name, text)| format!("##### {name}\n{text}"))
        .collect();
    insta::assert_snapshot!("all_vectors", all);
}

#[test]
fn vectors_round_trip_and_cover_every_reachable_cell() {
    let g = generate();
    assert!(g.vectors.len() >= 700, "{} vectors", g.vectors.len());
    for v in &g.vectors {
        let text = v.to_yaml().expect("serializes");
        assert_eq!(
            &Vector::from_yaml(&text).expect("parses back"),
            v,
            "{}",
            v.id
        );
    }
    let covered = g
        .matrix
        .values()
        .filter(|c| matches!(c, CellStatus::Covered(_)))
        .count();
    assert!(covered > 500, "{covered} cells covered");
    // Every cell is decided: covered by a vector or unreachable with a reason.
    assert_eq!(
        g.matrix.len(),
        11 * tcp_model::generate::event_classes().len()
    );
}

#[test]
fn a_rule_change_in_the_model_changes_the_vectors() {
    // The vectors are only as good as their dependence on the model: the TIME-WAIT RST vector
    // must carry the model's two permitted outcomes, and the SYN-RECEIVED in-window RST vector
    // must carry the RFC 5961 challenge ACK.
    let g = generate();
    let find = |id: &str| {
        g.vectors
            .iter()
            .find(|v| v.id == id)
            .expect(id)
            .to_yaml()
            .expect("yaml")
    };
    assert!(find("time-wait/active/rst-seq-exact").contains("state_one_of"));
    let rst = find("syn-received/passive/rst-seq-in-window");
    assert!(
        rst.contains("flags: A\n    seq: iss+1\n    ack: irs+1"),
        "{rst}"
    );
}
