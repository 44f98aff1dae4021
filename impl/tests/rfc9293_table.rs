//! The table "RFC 9293 Appendix B: every MUST and SHOULD" of impl/README.md stays true: one
//! row per requirement, a known status, the counts the text gives, every test it names
//! exists, and every seeded fault of `src/fault.rs` is named on the row of the requirement it
//! breaks (and no other fault is named).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const STATUSES: [&str; 3] = ["implemented+tested", "not applicable", "not followed"];

/// One row: ID, requirement, status, tests, notes.
struct Row {
    id: String,
    status: String,
    tests: Vec<String>,
    notes: String,
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The section of the README that holds the table.
fn section() -> String {
    let readme = read(&crate_dir().join("README.md"));
    let s = readme
        .split("\n## ")
        .find(|s| s.starts_with("RFC 9293 Appendix B"))
        .expect("impl/README.md has the section \"RFC 9293 Appendix B\"");
    s.to_string()
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for line in section().lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [id, _requirement, status, tests, notes] = cells[..] else {
            panic!("a row without five cells: {line}");
        };
        if id == "ID" || id.starts_with("---") {
            continue;
        }
        let tests = tests
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        rows.push(Row {
            id: id.to_string(),
            status: status.to_string(),
            tests,
            notes: notes.to_string(),
        });
    }
    rows
}

#[test]
fn every_must_and_should_has_one_row_in_order() {
    let ids: Vec<String> = rows().into_iter().map(|r| r.id).collect();
    let want: Vec<String> = (1..=69)
        .map(|n| format!("MUST-{n}"))
        .chain((1..=31).map(|n| format!("SHLD-{n}")))
        .collect();
    assert_eq!(ids, want);
}

#[test]
fn statuses_are_known_and_every_applicable_must_is_met() {
    for r in rows() {
        assert!(
            STATUSES.contains(&r.status.as_str()),
            "{}: {}",
            r.id,
            r.status
        );
        if r.id.starts_with("MUST") {
            assert_ne!(r.status, "not followed", "{}: a MUST not met", r.id);
        }
        if r.status == "implemented+tested" {
            assert!(!r.tests.is_empty(), "{}: no test named", r.id);
        } else {
            assert!(
                !r.notes.is_empty(),
                "{}: {} without a reason",
                r.id,
                r.status
            );
        }
    }
}

/// How many rows of `kind` (MUST or SHLD) have `status`.
fn count(rows: &[Row], kind: &str, status: &str) -> usize {
    rows.iter()
        .filter(|r| r.id.starts_with(kind) && r.status == status)
        .count()
}

#[test]
fn the_counts_in_the_text_match_the_table() {
    let rows = rows();
    let musts = format!(
        "MUSTs: {} implemented+tested, {} not applicable, 0 not met: {} of the {} applicable (100%).",
        count(&rows, "MUST", "implemented+tested"),
        count(&rows, "MUST", "not applicable"),
        count(&rows, "MUST", "implemented+tested"),
        69 - count(&rows, "MUST", "not applicable"),
    );
    let shoulds = format!(
        "SHOULDs: {} implemented+tested, {} not applicable, {} not followed.",
        count(&rows, "SHLD", "implemented+tested"),
        count(&rows, "SHLD", "not applicable"),
        count(&rows, "SHLD", "not followed"),
    );
    let text = section();
    assert!(text.contains(&musts), "the README should say: {musts}");
    assert!(text.contains(&shoulds), "the README should say: {shoulds}");
}

/// The source file that defines the test `path` names: `tests::<m>::<f>` in `src/tests/<m>.rs`,
/// `wire::tests::<f>` in `src/wire/tests.rs`, `<m>::tests::<f>` in `src/<m>.rs`, and
/// `<file>::<f>` in `tests/<file>.rs`.
fn source_of(path: &str) -> (PathBuf, String) {
    let parts: Vec<&str> = path.split("::").collect();
    let dir = crate_dir();
    let (file, name) = match parts[..] {
        ["tests", m, f] => (dir.join("src/tests").join(format!("{m}.rs")), f),
        ["wire", "tests", f] => (dir.join("src/wire/tests.rs"), f),
        [m, "tests", f] => (dir.join("src").join(format!("{m}.rs")), f),
        [file, f] => (dir.join("tests").join(format!("{file}.rs")), f),
        _ => panic!("a test path of an unknown shape: {path}"),
    };
    (file, name.to_string())
}

#[test]
fn every_named_test_exists() {
    for r in rows() {
        for t in &r.tests {
            let (file, name) = source_of(t);
            let text = read(&file);
            let defines = text.contains(&format!("fn {name}("));
            assert!(defines, "{}: {t} is not a test of {}", r.id, file.display());
            let before = text.split(&format!("fn {name}(")).next().unwrap_or("");
            let attr = before.rfind("#[test]").map_or("", |i| &before[i..]);
            assert!(
                attr.lines().count() <= 3,
                "{}: {t} is not marked #[test] in {}",
                r.id,
                file.display()
            );
        }
    }
}

/// The seeded faults of `src/fault.rs`: (name, requirement).
fn faults() -> Vec<(String, String)> {
    let text = read(&crate_dir().join("src/fault.rs"));
    text.lines()
        .filter_map(|l| {
            let (name, req) = l.trim().strip_suffix("\",")?.split_once(" => \"")?;
            let ok = name.chars().all(char::is_alphanumeric) && req.contains('-');
            ok.then(|| (name.to_string(), req.to_string()))
        })
        .collect()
}

/// The names after each `fault: ` of a notes cell (a word of its own: not `default: `).
fn named_faults(notes: &str) -> Vec<String> {
    notes
        .match_indices("fault: ")
        .filter(|(i, _)| !notes[..*i].ends_with(char::is_alphabetic))
        .map(|(i, m)| {
            let rest = &notes[i + m.len()..];
            rest.chars().take_while(|c| c.is_alphanumeric()).collect()
        })
        .collect()
}

#[test]
fn every_seeded_fault_is_named_on_its_row() {
    let rows = rows();
    let faults = faults();
    assert!(
        faults.len() >= 30,
        "faults read from src/fault.rs: {faults:?}"
    );
    for (name, req) in &faults {
        let row = rows.iter().find(|r| &r.id == req).expect("a row");
        let named = row.notes.contains(&format!("fault: {name}"));
        assert!(named, "{req}: the notes do not name fault {name}");
    }
    let known: BTreeSet<&str> = faults.iter().map(|(n, _)| n.as_str()).collect();
    for r in &rows {
        for name in named_faults(&r.notes) {
            assert!(known.contains(name.as_str()), "{}: no fault {name}", r.id);
        }
    }
}
