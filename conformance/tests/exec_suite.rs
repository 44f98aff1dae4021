//! The exec protocol, end to end: smoltcp driven through it (`exec:tcpspec-exec-adapter --stack
//! smoltcp`, the stack in a child process on the TUN device the replayer hands over) must give
//! exactly the verdicts smoltcp gives in-process (the snapshot of `smoltcp_suite.rs`), over
//! the whole suite; and a process that does not speak the protocol is refused with the reason.
//!
//! Needs root. About 90 s.

mod common;

use indicatif::ProgressBar;
use tcp_conformance::deviations::Deviations;
use tcp_conformance::exec_target::ExecTarget;
use tcp_conformance::loader::load_dir;
use tcp_conformance::runner::run_vectors;
use tcp_conformance::targets::SMOLTCP_DEVIATIONS;
use tcp_conformance::{ExecCommand, ReplayArgs, TargetKind};

const ADAPTER: &str = env!("CARGO_BIN_EXE_tcpspec-exec-adapter");

#[test]
fn smoltcp_through_the_exec_protocol_gives_the_in_process_verdicts() {
    let dir = common::vectors_dir();
    let mut vectors = load_dir(&dir, None).expect("the shipped vectors load");
    // As the in-process suite (`run_suite`): the long vectors are left out.
    vectors.retain(|v| !v.vector.is_long());
    let kind = TargetKind::Exec(ExecCommand {
        program: ADAPTER.into(),
        args: vec!["--stack".into(), "smoltcp".into()],
    });
    let args = ReplayArgs::new(kind, &dir);
    let deviations =
        Deviations::parse(SMOLTCP_DEVIATIONS, "smoltcp.yaml").expect("the deviations parse");
    let report = run_vectors(&vectors, &args, &deviations, &ProgressBar::hidden())
        .unwrap_or_else(|e| panic!("the exec suite could not run (it needs root): {e:#}"));
    common::assert_suite_conforms(&report, vectors.len());
    let snapshot = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots/smoltcp_suite__smoltcp_suite_verdicts.snap"),
    )
    .expect("the in-process smoltcp snapshot exists");
    let in_process: Vec<&str> = common::verdict_lines(
        snapshot
            .splitn(3, "---\n")
            .nth(2)
            .expect("an insta snapshot has a header"),
    );
    let text = report.verdicts_text();
    let through_exec = common::verdict_lines(&text);
    let differ: Vec<String> = in_process
        .iter()
        .zip(&through_exec)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("in-process: {a}\nexec:       {b}"))
        .collect();
    assert!(
        differ.is_empty() && in_process.len() == through_exec.len(),
        "{} verdicts differ ({} in-process, {} through exec):\n{}",
        differ.len(),
        in_process.len(),
        through_exec.len(),
        differ.join("\n")
    );
}

/// A process that says hello with another protocol, or none at all, is refused with the
/// reason; so is one that cannot be started.
#[test]
fn a_process_that_does_not_speak_the_protocol_is_refused() {
    let attempts = [
        (
            "sh",
            vec![
                "-c".to_string(),
                r#"echo '{"protocol":"other/9","stack":"x","timers":{"response_ms":1,"settle_ms":1,"delayed_ack_max_ms":1,"rto_initial_ms":1,"rto_min_ms":1,"rto_max_ms":1,"time_wait_ms":1,"granularity_ms":1}}'; sleep 1"#.to_string(),
            ],
            "speaks \"other/9\", not tcpspec-exec/1",
        ),
        ("sh", vec!["-c".to_string(), "exit 0".to_string()], "the process ended"),
        ("sh", vec!["-c".to_string(), "echo hello".to_string()], "bad hello line"),
        ("/nonexistent/stack", vec![], "start /nonexistent/stack"),
    ];
    for (program, args, want) in attempts {
        let shown = format!("{program} {args:?}");
        let got = tcp_netlab::run_in_private_netns(move || {
            Ok::<_, std::io::Error>(ExecTarget::spawn(program, &args, "t").map(|_| ()))
        })
        .expect("a private namespace (needs root)");
        let e = got.expect_err("the process is refused");
        assert!(e.to_string().contains(want), "{shown}: {e}");
    }
}
