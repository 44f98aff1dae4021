//! The replayer against the Linux kernel on hand-written fixture vectors: the ones under
//! `fixtures/pass` must pass over IPv4 and IPv6; each one under `fixtures/fail` must fail with
//! the reason its description names (so the verdict logic is shown to bite; `fail/barrier`
//! holds the checks that only a processed segment makes wrong); the RFC choices Linux makes on
//! `fixtures/choices` form a consistent profile; bad files give errors with file and line.
//! Needs root (CI runs as root); without it the tests fail with the error that says how to run
//! them.

mod common;

use common::{assert_all_pass, assert_fail_for_the_named_reason, fixtures, load, run_on, shipped};
use indicatif::ProgressBar;
use std::path::PathBuf;
use tcp_conformance::deviations::Deviations;
use tcp_conformance::loader::load_dir;
use tcp_conformance::report::{Report, Verdict};
use tcp_conformance::runner::run_vectors;
use tcp_conformance::{ReplayArgs, TargetKind};

fn run(sub: &str, deviations: &Deviations, pcap: Option<PathBuf>) -> Report {
    run_on(TargetKind::Linux, sub, None, deviations, pcap)
}

#[test]
fn passing_fixtures_pass_over_ipv4_and_ipv6() {
    let report = run("pass", &Deviations::default(), None);
    print!("{}", report.summary());
    for r in &report.results {
        println!("{:>9.2} ms  {} [{}]", r.millis, r.id, r.ip);
    }
    assert_eq!(report.results.len(), 2 * load("pass").len());
    assert_all_pass(&report);
}

#[test]
fn failing_fixtures_fail_for_the_named_reason() {
    let report = run("fail", &Deviations::default(), None);
    print!("{}", report.summary());
    assert_fail_for_the_named_reason(&report, &load("fail"));
}

/// Linux's RFC choices on the choices fixtures (one per choice key of impl/README.md that a
/// vector can observe), printed as the "RFC choices" table: every fixture passes with one
/// branch recorded, or is a listed deviation (Linux takes none of the allowed branches); each
/// choice comes out the same over IPv4 and IPv6; every entry of the shipped deviations that
/// names a choices fixture is used.
#[test]
fn linux_rfc_choices_profile_is_consistent() {
    let report = run("choices", &shipped(TargetKind::Linux), None);
    print!("{}", report.summary());
    assert_eq!(report.results.len(), 2 * load("choices").len());
    for r in &report.results {
        let branch = match r.choices.as_slice() {
            [c] => Some(c.branch.is_some()),
            _ => None,
        };
        let ok = match r.verdict {
            Verdict::Pass => branch == Some(true),
            Verdict::Deviation => branch == Some(false),
            Verdict::Fail => false,
        };
        assert!(ok, "{} [{}] {:?}: {}", r.id, r.ip, r.choices, r.detail);
    }
    for (choice, branches) in report.choice_profile() {
        assert_eq!(branches.len(), 1, "{choice}: {branches:?}");
        assert_eq!(
            branches.values().sum::<usize>() % 2,
            0,
            "{choice}: v4 and v6"
        );
    }
    let unused = report.unused_deviations();
    assert!(
        unused.is_empty(),
        "stale entries for the fixtures: {unused:?}"
    );
    let json = report.to_json();
    let reopen = json["results"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == "choices/time-wait-syn"))
        .expect("the time-wait-syn fixture in the JSON");
    assert_eq!(
        reopen["choices"],
        serde_json::json!([{"choice": "time-wait-syn", "branch": "reopens"}])
    );
    assert_eq!(json["choices"]["time-wait-syn"]["reopens"], 2);
}

#[test]
fn listed_deviations_are_reported_as_such_and_stale_ones_fail() {
    let deviations = Deviations::parse(
        "- id: fail/state\n  does: stays ESTABLISHED\n  rfc: real deviation\n  observed: CLOSE-WAIT\n\
         - id: fail/missing\n  ip: v6\n  does: sends no FIN\n  rfc: real deviation\n\
         - id: fail/app\n  does: x\n  rfc: y\n  observed: text that does not occur\n",
        "test",
    )
    .expect("deviations parse");
    let report = run("fail", &deviations, None);
    let verdict = |id: &str, ip: &str| {
        report
            .results
            .iter()
            .find(|r| r.id == id && r.ip == ip)
            .map(|r| r.verdict)
            .expect("result")
    };
    assert_eq!(verdict("fail/state", "v4"), Verdict::Deviation);
    assert_eq!(verdict("fail/state", "v6"), Verdict::Deviation);
    assert_eq!(
        verdict("fail/missing", "v4"),
        Verdict::Fail,
        "entry is for v6 only"
    );
    assert_eq!(verdict("fail/missing", "v6"), Verdict::Deviation);
    assert_eq!(
        verdict("fail/app", "v4"),
        Verdict::Fail,
        "observed text does not match"
    );
    assert_eq!(report.totals().deviation, 3);

    let stale =
        Deviations::parse("- id: active/refused\n  does: x\n  rfc: y\n", "test").expect("parse");
    let report = run("pass", &stale, None);
    let r = report
        .results
        .iter()
        .find(|r| r.id == "active/refused")
        .expect("result");
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(r.detail.contains("stale"), "{}", r.detail);
}

#[test]
fn bad_vector_files_are_named_with_their_line() {
    let err = load_dir(&fixtures("bad"), None).expect_err("bad flag letter");
    let text = err.to_string();
    assert!(text.contains("bad-flag.yaml:7:"), "{text}");
    assert!(text.contains("unknown flag letter 'Q'"), "{text}");
}

#[test]
fn pcap_per_replay_holds_both_directions() {
    let dir = std::env::temp_dir().join(format!("tcp-conformance-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut args = ReplayArgs::new(TargetKind::Linux, fixtures("pass"));
    args.pcap = Some(dir.clone());
    args.filter = Some("active/handshake".into());
    let vectors = load_dir(&args.vectors, args.filter.as_deref()).expect("fixtures load");
    run_vectors(
        &vectors,
        &args,
        &Deviations::default(),
        &ProgressBar::hidden(),
    )
    .expect("replay");
    for ip in ["v4", "v6"] {
        let data =
            std::fs::read(dir.join(format!("active__handshake.{ip}.pcap"))).expect("pcap written");
        assert_eq!(&data[..4], &0xa1b2_c3d4u32.to_le_bytes());
        let mut off = 24;
        let mut flags = Vec::new();
        while off + 16 <= data.len() {
            let len =
                u32::from_le_bytes([data[off + 8], data[off + 9], data[off + 10], data[off + 11]])
                    as usize;
            let pkt = &data[off + 16..off + 16 + len];
            let seg = tcp_conformance::segment::parse(pkt).expect("TCP packet");
            flags.push(seg.flags.to_string());
            off += 16 + len;
        }
        assert_eq!(flags, ["S", "SA", "A"], "{ip}");
    }
    std::fs::remove_dir_all(&dir).expect("clean temp dir");
}

#[test]
fn json_has_the_fields_the_issue_names() {
    let mut args = ReplayArgs::new(TargetKind::Linux, fixtures("pass"));
    args.filter = Some("refused".into());
    let vectors = load_dir(&args.vectors, args.filter.as_deref()).expect("fixtures load");
    let report = run_vectors(
        &vectors,
        &args,
        &Deviations::default(),
        &ProgressBar::hidden(),
    )
    .expect("replay");
    let json = report.to_json();
    let first = &json["results"][0];
    assert_eq!(first["id"], "active/refused");
    assert_eq!(first["ip"], "v4");
    assert_eq!(first["verdict"], "pass");
    assert!(first["millis"].is_f64());
    assert_eq!(
        first["choices"],
        serde_json::json!([]),
        "no one_of in this vector"
    );
    assert_eq!(json["totals"]["pass"], 2);
    assert!(report
        .to_junit()
        .contains("<testcase classname=\"conformance.linux.v6\" name=\"active/refused\""));
}

#[test]
fn real_linux_deviations_are_reported_with_their_justification() {
    let text = std::fs::read_to_string(fixtures("deviate.yaml")).expect("fixture deviations");
    let deviations = Deviations::parse(&text, "deviate.yaml").expect("deviations parse");
    let listed = run("deviate", &deviations, None);
    print!("{}", listed.summary());
    assert_eq!(listed.results.len(), 2 * deviations.entries.len());
    for r in &listed.results {
        assert_eq!(
            r.verdict,
            Verdict::Deviation,
            "{} [{}]: {}",
            r.id,
            r.ip,
            r.detail
        );
        let covering = deviations.covering(&r.id, r.ip == "v6");
        let (_, entry) = covering.first().expect("listed");
        assert!(
            r.detail.contains(&entry.rfc),
            "justification in the detail: {}",
            r.detail
        );
    }
    let unlisted = run("deviate", &Deviations::default(), None);
    assert!(
        unlisted.results.iter().all(|r| r.verdict == Verdict::Fail),
        "unlisted differences fail"
    );
}

/// The verdicts on this machine's kernel, reviewed as a snapshot: a kernel that behaves
/// differently on the fixtures shows up as a diff (`cargo insta review`), not as noise.
#[test]
fn fixture_verdicts_snapshot() {
    let mut text = run("pass", &Deviations::default(), None).verdicts_text();
    text.push_str(&run("fail", &Deviations::default(), None).verdicts_text());
    text.push_str(&run("choices", &shipped(TargetKind::Linux), None).verdicts_text());
    let deviations = std::fs::read_to_string(fixtures("deviate.yaml")).expect("fixture deviations");
    let deviations = Deviations::parse(&deviations, "deviate.yaml").expect("deviations parse");
    text.push_str(&run("deviate", &deviations, None).verdicts_text());
    insta::assert_snapshot!("linux_fixture_verdicts", text);
}

#[test]
fn run_suite_replays_a_directory_with_the_shipped_deviations() {
    let report =
        tcp_conformance::run_suite(&fixtures("pass"), TargetKind::Linux).expect("suite runs");
    assert_eq!(report.totals().pass, report.results.len());
    let err =
        tcp_conformance::run_suite(&fixtures("bad"), TargetKind::Linux).expect_err("bad file");
    assert!(err.to_string().contains("bad-flag.yaml:7:"), "{err}");
}
