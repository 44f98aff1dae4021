//! The fuzzing harness (`impl/fuzz/harness.rs`) over the corpus kept in the repository
//! (`impl/fuzz/corpus/<target>/`): every input a fuzzer found interesting, and every input
//! that once crashed the stack (fixed since), stays a regression test of the normal suite.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

/// Runs `target` on every file of `impl/fuzz/corpus/<name>/`; there must be some.
fn run_corpus(name: &str, target: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        let data =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(
            outcome.is_ok(),
            "{} fails the {name} harness",
            path.display()
        );
        count += 1;
    }
    assert!(count > 0, "the {name} corpus is empty");
}

#[test]
fn wire_corpus() {
    run_corpus("wire", harness::wire);
}

#[test]
fn stack_corpus() {
    run_corpus("stack", harness::stack);
}

#[test]
fn coalesce_corpus() {
    run_corpus("coalesce", harness::coalesce);
}
