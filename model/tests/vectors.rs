//! The checked-in vectors are exactly what the model generates. A change to the model fails
//! here with a unified diff of each vector that changed and the lists of files missing and
//! extra; `cargo run --release -- generate` rewrites `vectors/`, and the change is then
//! reviewed as a git diff. There is no second copy of the vectors.

use similar::TextDiff;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tcp_model::generate::{generate, CellStatus};
use tcp_vectors::path::{id_from_relative_path, relative_path, yaml_files};
use tcp_vectors::TcpState;
use tcp_vectors::{Step, Vector};

/// The command that brings `vectors/` up to date.
const REGENERATE: &str = "cargo run --release -- generate";
/// How many changed vectors the report shows as diffs, and how many lines of each.
const MAX_DIFFS: usize = 8;
const MAX_DIFF_LINES: usize = 40;
/// How many missing or extra files the report names.
const MAX_NAMES: usize = 20;

/// Vector files (path relative to the vectors root -> text).
type Files = BTreeMap<PathBuf, String>;

fn generated_files() -> Files {
    generate()
        .expect("the model generates every vector")
        .vectors
        .iter()
        .map(|v| {
            let path = relative_path(&v.id).expect("generated ids are valid");
            (path, v.to_yaml().expect("vector serializes"))
        })
        .collect()
}

fn files_on_disk(root: &Path) -> Files {
    yaml_files(root)
        .expect("vectors/ is readable")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable vector");
            let relative = path
                .strip_prefix(root)
                .expect("below the root")
                .to_path_buf();
            (relative, text)
        })
        .collect()
}

/// A unified diff from the checked-in text to the generated one, at most `max_lines` lines.
fn unified_diff(path: &Path, checked_in: &str, generated: &str, max_lines: usize) -> String {
    let name = format!("vectors/{}", path.display());
    let diff = TextDiff::from_lines(checked_in, generated)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (generated)"),
        )
        .to_string();
    let lines: Vec<&str> = diff.lines().collect();
    let mut out = lines[..lines.len().min(max_lines)].join("\n");
    if lines.len() > max_lines {
        out.push_str(&format!(
            "\n... {} more lines of this diff",
            lines.len() - max_lines
        ));
    }
    out.push('\n');
    out
}

/// Up to `max` names, then how many more there are.
fn name_list(names: &[&PathBuf], max: usize) -> String {
    let mut out: String = names
        .iter()
        .take(max)
        .map(|p| format!("  vectors/{}\n", p.display()))
        .collect();
    if names.len() > max {
        out.push_str(&format!("  ... and {} more\n", names.len() - max));
    }
    out
}

/// What differs between the checked-in vector files and the generated ones, or `None` when
/// nothing does: a diff per changed file (the first [`MAX_DIFFS`]), the missing and extra files
/// (the first [`MAX_NAMES`] of each), and the command that regenerates them.
fn staleness_report(generated: &Files, checked_in: &Files) -> Option<String> {
    let missing: Vec<&PathBuf> = generated
        .keys()
        .filter(|k| !checked_in.contains_key(*k))
        .collect();
    let extra: Vec<&PathBuf> = checked_in
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    let changed: Vec<(&PathBuf, &String, &String)> = generated
        .iter()
        .filter_map(|(k, new)| {
            let old = checked_in.get(k)?;
            (old != new).then_some((k, old, new))
        })
        .collect();
    if missing.is_empty() && extra.is_empty() && changed.is_empty() {
        return None;
    }
    let mut out = format!(
        "vectors/ is out of date: {} changed, {} missing, {} extra. Regenerate with `{REGENERATE}` \
         and review the change with `git diff vectors/`.\n",
        changed.len(),
        missing.len(),
        extra.len()
    );
    for (path, old, new) in changed.iter().take(MAX_DIFFS) {
        out.push('\n');
        out.push_str(&unified_diff(path, old, new, MAX_DIFF_LINES));
    }
    if changed.len() > MAX_DIFFS {
        out.push_str(&format!(
            "\n... and {} more changed vectors\n",
            changed.len() - MAX_DIFFS
        ));
    }
    if !missing.is_empty() {
        out.push_str("\nmissing (generated, not checked in):\n");
        out.push_str(&name_list(&missing, MAX_NAMES));
    }
    if !extra.is_empty() {
        out.push_str("\nextra (checked in, no longer generated):\n");
        out.push_str(&name_list(&extra, MAX_NAMES));
    }
    Some(out)
}

#[test]
fn checked_in_vectors_match_the_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    if let Some(report) = staleness_report(&generated_files(), &files_on_disk(&root)) {
        panic!("{report}");
    }
}

#[test]
fn the_staleness_report_shows_a_diff_and_caps_its_length() {
    let text = |last: &str| {
        format!(
            "version: 2\nid: a/b\nsteps:\n  - call: connect\n  - state: {last}\n  - quiet: 50ms\n"
        )
    };
    let file = |p: &str, t: String| (PathBuf::from(p), t);
    let generated = Files::from([
        file("a/b.yaml", text("TIME-WAIT")),
        file("a/new.yaml", text("CLOSED")),
    ]);
    let same = generated.clone();
    assert_eq!(staleness_report(&generated, &same), None);
    let checked_in = Files::from([
        file("a/b.yaml", text("CLOSED")),
        file("a/old.yaml", text("CLOSED")),
    ]);
    let report = staleness_report(&generated, &checked_in).expect("differs");
    for want in [
        "1 changed, 1 missing, 1 extra",
        "`cargo run --release -- generate`",
        "--- vectors/a/b.yaml (checked in)\n+++ vectors/a/b.yaml (generated)\n",
        "\n-  - state: CLOSED\n+  - state: TIME-WAIT\n",
        "missing (generated, not checked in):\n  vectors/a/new.yaml\n",
        "extra (checked in, no longer generated):\n  vectors/a/old.yaml\n",
    ] {
        assert!(report.contains(want), "{want:?} in:\n{report}");
    }
    // Many changes: the report stays short and counts the rest.
    let many = |last: &str| -> Files {
        (0..100)
            .map(|i| file(&format!("x/{i:03}.yaml"), text(last).repeat(30)))
            .collect()
    };
    let report = staleness_report(&many("TIME-WAIT"), &many("CLOSED")).expect("differs");
    assert!(
        report.contains("... and 92 more changed vectors"),
        "{report}"
    );
    assert!(report.contains("more lines of this diff"), "{report}");
    assert!(
        report.lines().count() < 400,
        "{} lines",
        report.lines().count()
    );
    let report = staleness_report(&many("A"), &Files::new()).expect("differs");
    assert!(report.contains("  ... and 80 more\n"), "{report}");
}

#[test]
fn vectors_round_trip_and_cover_every_reachable_cell() {
    let g = generate().expect("the model generates every vector");
    assert!(g.vectors.len() >= 4000, "{} vectors", g.vectors.len());
    for v in &g.vectors {
        let text = v.to_yaml().expect("serializes");
        assert_eq!(
            &Vector::from_yaml(&text).expect("parses back"),
            v,
            "{}",
            v.id
        );
        assert!(v.event_at.is_some(), "{}: no event marker", v.id);
        let path = relative_path(&v.id).expect("valid id");
        assert_eq!(id_from_relative_path(&path).as_deref(), Some(v.id.as_str()));
    }
    let covered = g
        .matrix
        .values()
        .filter(|c| matches!(c, CellStatus::Covered(_)))
        .count();
    assert!(covered > 2000, "{covered} cells covered");
    // Every cell is decided: covered by a vector or unreachable with a reason.
    assert_eq!(
        g.matrix.len(),
        11 * tcp_model::generate::event_classes().len()
    );
}

/// Every segment kind of RFC 9293's alphabet, with and without text, at every sequence class,
/// is a row of the matrix and is covered in the synchronized states.
#[test]
fn the_whole_alphabet_is_covered() {
    let g = generate().expect("the model generates every vector");
    let classes = tcp_model::generate::event_classes();
    for kind in [
        "SYN",
        "SYN+text",
        "SYN+ACK",
        "SYN+ACK+text",
        "ACK",
        "ACK+text",
        "FIN",
        "FIN+text",
        "FIN+ACK",
        "FIN+ACK+text",
        "SYN+FIN",
        "SYN+FIN+text",
        "RST",
        "RST+text",
        "RST+ACK",
        "RST+ACK+text",
    ] {
        for seq in [
            "old",
            "exact",
            "in-window",
            "last-in-window",
            "window-edge",
            "beyond-window",
        ] {
            let prefix = format!("{kind} seq {seq}");
            let rows: Vec<&String> = classes
                .iter()
                .filter(|c| **c == prefix || c.starts_with(&format!("{prefix} ack")))
                .collect();
            assert!(!rows.is_empty(), "no row for {prefix}");
            for row in rows {
                let cell = g.matrix.get(&(TcpState::Established, row.clone()));
                assert!(
                    matches!(cell, Some(CellStatus::Covered(_))),
                    "ESTABLISHED x {row}: {cell:?}"
                );
            }
        }
    }
}

#[test]
fn a_rule_change_in_the_model_changes_the_vectors() {
    // The vectors are only as good as their dependence on the model: the TIME-WAIT RST vector
    // carries the RFC's two permitted outcomes as named branches, and the SYN-RECEIVED
    // in-window RST vector carries the RFC 5961 challenge ACK.
    let g = generate().expect("the model generates every vector");
    let find = |id: &str| g.vectors.iter().find(|v| v.id == id).expect(id);
    let tw = find("time-wait/active/rst-seq-exact");
    let Some(Step::OneOf(o)) = tw.steps.last() else {
        panic!("{tw:?}")
    };
    assert_eq!(o.choice, "rst-in-time-wait");
    let names: Vec<&str> = o.branches.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["ignored", "closes"]);
    let rst = find("syn-received/passive/rst-seq-in-window");
    let text = rst.to_yaml().expect("yaml");
    assert!(
        text.contains("  # event under test\n  - send: {flags: R, seq: irs+2}\n  - expect: {flags: A, seq: iss+1, ack: irs+1}\n"),
        "{text}"
    );
}

/// Text of several octets: two segments in order, one straddling RCV.NXT, one out of order and
/// the one that fills the gap; and the RFC's choices named where they apply.
#[test]
fn text_scenarios_test_the_text_step_beyond_one_octet() {
    let g = generate().expect("the model generates every vector");
    let yaml = |id: &str| {
        g.vectors
            .iter()
            .find(|v| v.id == id)
            .expect(id)
            .to_yaml()
            .expect("yaml")
    };
    let two = yaml("scenario/text-two-segments");
    assert!(
        two.contains("app: {data: 2}") && two.contains("ack: irs+5"),
        "{two}"
    );
    let overlap = yaml("scenario/text-overlapping-rcv-nxt");
    assert!(
        overlap.contains("send: {flags: A, seq: irs+2, ack: iss+1, len: 2}")
            && overlap.contains("app: {data: 1}"),
        "{overlap}"
    );
    let gap = yaml("scenario/text-out-of-order-then-gap");
    assert!(gap.contains("choice: out-of-order"), "{gap}");
    assert!(
        gap.contains("{app: {data: 3}}") && gap.contains("{app: {data: 2}}"),
        "{gap}"
    );
    for (id, choice) in [
        ("scenario/text-on-syn-then-handshake", "syn-text"),
        (
            "syn-sent/active/syn-ack-text-seq-exact-ack-exact",
            "synack-text-ack",
        ),
        ("scenario/time-wait-reopen", "time-wait-syn"),
    ] {
        assert!(yaml(id).contains(&format!("choice: {choice}")), "{id}");
    }
    assert!(yaml("scenario/time-wait-reopen").contains("keep_listener: true"));
}

/// Vectors name the RFC 9293 Appendix B requirements their steps check (`requirements:`).
#[test]
fn vectors_name_the_requirements_they_check() {
    let g = generate().expect("the model generates every vector");
    let named = |id: &str| -> Vec<String> {
        g.vectors
            .iter()
            .find(|v| v.id == id)
            .unwrap_or_else(|| panic!("no vector {id}"))
            .requirements
            .clone()
    };
    assert!(named("scenario/simultaneous-open").contains(&"MUST-10".to_string()));
    assert!(named("syn-received/passive/rst-seq-exact").contains(&"MUST-11".to_string()));
    assert!(named("time-wait/active/time-wait-timeout").contains(&"MUST-13".to_string()));
    assert!(named("scenario/keepalive-probe-unanswered").contains(&"MUST-29".to_string()));
    assert!(named("scenario/text-out-of-order-then-gap").contains(&"SHLD-31".to_string()));
    // A data segment in ESTABLISHED checks none of them.
    assert_eq!(
        named("established/active/ack-text-seq-exact-ack-exact"),
        Vec::<String>::new()
    );
    for v in &g.vectors {
        for id in &v.requirements {
            assert!(
                tcp_vectors::requirements::requirement(id).is_some(),
                "{}: {id}",
                v.id
            );
        }
    }
}
