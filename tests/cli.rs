//! End-to-end tests of the command line.

use serde_json::Value;
use std::process::Command;

fn tcpspec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpspec"))
        .args(args)
        .output()
        .expect("run tcpspec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn default_check_proves_standard_tcp_and_refutes_every_switch() {
    let (code, stdout, stderr) = tcpspec(&["check", "--json"]);
    assert_eq!(code, 0, "stderr: {stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(report["success"], true);
    assert_eq!(report["overall"], "ok");
    assert_eq!(report["budgets"]["losses"], 1);
    assert_eq!(report["budgets"]["duplicates"], 1);
    assert_eq!(report["budgets"]["incarnations"], 2);
    let results = report["results"].as_array().expect("results");
    let find = |variant: &str, property: &str| {
        results
            .iter()
            .find(|r| r["variant"] == variant && r["property"] == property)
            .unwrap_or_else(|| panic!("no result for {variant} / {property}"))
    };
    let standard: Vec<_> = results
        .iter()
        .filter(|r| r["variant"] == "standard")
        .collect();
    assert_eq!(
        standard.len(),
        tcp_model::properties::ALL.len(),
        "every property of standard TCP is reported"
    );
    for r in standard {
        assert_eq!(r["status"], "holds", "{r}");
        assert!(r["states"].as_u64().unwrap_or(0) > 0, "{r}");
        assert!(r["seconds"].as_f64().is_some(), "{r}");
    }
    for (variant, property) in [
        ("two-way-handshake", "no_dirty_connection"),
        ("no-time-wait", "no_unexplained_reset"),
        ("no-time-wait", "no_stale_segment_accepted"),
        ("short-time-wait", "no_unexplained_reset"),
        ("short-time-wait", "no_stale_segment_accepted"),
        ("constant-isn", "no_stale_segment_accepted"),
        ("no-keepalive", "dead_peer_detected"),
        ("no-keepalive", "idle_connection_survives"),
        ("slow-keepalive", "idle_connection_survives"),
        ("rfc793-rst", "no_blind_reset"),
        ("rfc793-syn", "no_blind_reset"),
        ("no-ack-range-check", "no_blind_data"),
    ] {
        let r = find(variant, property);
        assert_eq!(r["status"], "violated", "{r}");
        assert!(r["counterexample"]["steps"]
            .as_array()
            .is_some_and(|s| !s.is_empty()));
    }
    // The state space of each scenario under standard TCP, pinned: a change to the model's
    // state space is a reviewed diff here.
    let runs = report["runs"].as_array().expect("runs");
    let states = |scenario: &str| {
        runs.iter()
            .find(|r| r["variant"] == "standard" && r["scenario"] == scenario)
            .and_then(|r| r["states"].as_u64())
            .unwrap_or_else(|| panic!("no standard run of {scenario}"))
    };
    let counts: Vec<String> = [
        "client-server",
        "peer-to-peer",
        "idle-crash",
        "abort",
        "fast-reuse",
        "blind-attack",
        "middlebox",
    ]
    .iter()
    .map(|s| format!("{s} {}", states(s)))
    .collect();
    insta::assert_snapshot!("standard_state_counts", counts.join("\n"));
}

#[test]
fn a_check_stops_at_its_state_budget_and_says_it_is_inconclusive() {
    let (code, stdout, _) = tcpspec(&[
        "check",
        "--variant",
        "standard",
        "--scenario",
        "client-server",
        "--max-states",
        "5000",
    ]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("STOPPED at --max-states"), "{stdout}");
    assert!(
        stdout.contains("INCONCLUSIVE: standard no_dirty_connection: inconclusive"),
        "{stdout}"
    );
    for line in stdout
        .lines()
        .filter(|l| l.contains(" always ") || l.contains(" eventually "))
    {
        assert!(
            !line.contains("holds"),
            "nothing is claimed to hold: {line}"
        );
    }
    let explored: u64 = stdout
        .lines()
        .find(|l| l.contains("STOPPED at --max-states"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .expect("the run line gives its states");
    assert_eq!(explored, 5000, "the budget is exact: {stdout}");
}

#[test]
fn a_check_of_some_scenarios_leaves_examples_found_elsewhere_open() {
    // simultaneous_close is reachable only where both ends close at once (peer-to-peer): a
    // check of the abort scenario alone must not call it unreachable.
    let (code, stdout, _) = tcpspec(&["check", "--variant", "standard", "--scenario", "abort"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains(
            "INCONCLUSIVE: standard simultaneous_close: not reached in the scenarios run; it is \
             also checked in client-server, peer-to-peer"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // Properties the scenario decides are reported as usual.
    assert!(
        stdout.lines().any(|l| l.split_whitespace().take(4).eq([
            "standard",
            "abort_resets_peer",
            "sometimes",
            "holds"
        ])),
        "{stdout}"
    );
}

#[test]
fn a_check_without_a_reduction_says_so_and_explores_more() {
    let states = |stdout: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.contains("standard") && l.contains("abort") && l.contains("states"))
            .unwrap_or_else(|| panic!("no abort run in {stdout}"));
        line.split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no state count in {line:?}"))
    };
    let args = ["check", "--variant", "standard", "--scenario", "abort"];
    let (_, reduced, _) = tcpspec(&args);
    let (_, unreduced, _) = tcpspec(&[&args[..], &["--without-reduction", "twins"]].concat());
    assert!(
        unreduced.contains("without reductions: twins"),
        "{unreduced}"
    );
    assert!(!reduced.contains("without reductions"), "{reduced}");
    assert!(
        states(&reduced) < states(&unreduced),
        "{reduced}\n{unreduced}"
    );
    let (code, _, stderr) = tcpspec(&["check", "--without-reduction", "symmetry"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("unknown reduction \"symmetry\"; expected one of history"),
        "{stderr}"
    );
}

#[test]
fn a_faulty_check_within_budget_still_reports_what_it_found() {
    // A switch's counterexample found before the budget runs out is reported as such.
    let (code, stdout, _) = tcpspec(&[
        "check",
        "--variant",
        "two-way-handshake",
        "--max-states",
        "100000",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("VIOLATED (expected)"), "{stdout}");
}

#[test]
fn the_table_names_variants_properties_and_charts() {
    let (code, stdout, _) = tcpspec(&["check", "--variant", "two-way-handshake"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("variant") && stdout.contains("property") && stdout.contains("states"));
    assert!(stdout.contains("no_dirty_connection"));
    assert!(stdout.contains("VIOLATED (expected)"));
    assert!(stdout.contains("== two-way-handshake violates no_dirty_connection"));
    assert!(stdout.contains("A (client)") && stdout.contains("B (server)"));
    assert!(stdout.contains("stopped at its counterexample"), "{stdout}");
    assert!(
        stdout.contains("OK: standard TCP satisfies every property"),
        "{stdout}"
    );
}

#[test]
fn a_switch_without_its_counterexample_fails_the_check() {
    // On a perfect network with no crash nothing can go wrong with a two-way handshake, so its
    // counterexample cannot be found: the check must say so and exit non-zero, not pass.
    let (code, stdout, _) = tcpspec(&[
        "check",
        "--losses",
        "0",
        "--duplicates",
        "0",
        "--crash",
        "off",
        "--incarnations",
        "1",
        "--variant",
        "two-way-handshake",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAIL: switch two-way-handshake does not produce a counterexample"));
}

#[test]
fn bad_arguments_are_explained() {
    let (code, _, stderr) = tcpspec(&["check", "--variant", "four-way-handshake"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown variant \"four-way-handshake\""),
        "{stderr}"
    );
    let (code, _, stderr) = tcpspec(&["check", "--incarnations", "9"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--incarnations"), "{stderr}");
}

#[test]
fn coverage_json_counts_cells_and_vectors() {
    let (code, stdout, stderr) = tcpspec(&["coverage", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let total = v["cells_total"].as_u64().expect("cells_total");
    let covered = v["cells_covered"].as_u64().expect("cells_covered");
    let unreachable = v["cells_unreachable"].as_u64().expect("cells_unreachable");
    assert_eq!(total, covered + unreachable);
    assert!(v["vectors"].as_u64().expect("vectors") >= 700);
}

#[test]
fn coverage_rfc_lists_every_requirement_with_what_checks_it() {
    let (code, stdout, stderr) = tcpspec(&["coverage", "--rfc", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let rows = v["requirements"].as_array().expect("requirements");
    assert_eq!(rows.len(), 100, "69 MUSTs and 31 SHOULDs");
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    // Simultaneous open: named by vectors, in the model, tested in the stack.
    let must10 = row("MUST-10");
    let vectors = must10["vectors"].as_array().expect("vectors");
    assert!(
        vectors.iter().any(|v| v == "scenario/simultaneous-open"),
        "{must10}"
    );
    assert!(must10["model"].is_string(), "{must10}");
    assert_eq!(must10["impl_status"], "implemented+tested");
    assert!(!must10["impl_tests"].as_array().expect("tests").is_empty());
    // A report's verdicts are counted per requirement; a bad report is an error.
    let dir = std::env::temp_dir().join(format!("tcpspec-rfc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let report = dir.join("report.json");
    let results = serde_json::json!({
        "target": "t",
        "results": [
            {"id": "scenario/simultaneous-open", "ip": "v4", "verdict": "pass"},
            {"id": "scenario/simultaneous-open", "ip": "v6", "verdict": "fail"},
        ]
    });
    std::fs::write(&report, results.to_string()).expect("write report");
    let path = report.to_str().expect("utf-8 path");
    let (code, stdout, stderr) = tcpspec(&["coverage", "--rfc", "--json", "--report", path]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let must10 = v["requirements"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "MUST-10"))
        .expect("MUST-10")
        .clone();
    assert_eq!(must10["replay"]["pass"], 1, "{must10}");
    assert_eq!(must10["replay"]["fail"], 1, "{must10}");
    std::fs::write(&report, "{\"results\": [{\"id\": 3}]}").expect("write report");
    let (code, _, stderr) = tcpspec(&["coverage", "--rfc", "--report", path]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("result 0 has no `id` or `verdict`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_writes_every_vector_and_removes_stale_ones() {
    let dir = std::env::temp_dir().join(format!("tcpspec-generate-{}", std::process::id()));
    let write = |relative: &str, text: &str| {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("temp dir");
        std::fs::write(path, text).expect("file");
    };
    let old_vector = "version: 1\nid: gone/x\ncovers: []\nrole: active\nsteps: []\n";
    write("gone/deeper/x.yaml", old_vector);
    write("established__active__abort.yaml", old_vector);
    write("notes.txt", "kept");
    write("other.yaml", "not: a vector\n");
    write("src/fixture.yaml", old_vector);
    let out = dir.to_str().expect("utf-8 temp path");
    let (code, stdout, stderr) = tcpspec(&["generate", "--out", out]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("2 removed"), "{stdout}");
    let files = tcp_vectors::path::yaml_files(&dir).expect("walk");
    let ids: Vec<String> = files
        .iter()
        .filter_map(|p| tcp_vectors::path::id_from_relative_path(p.strip_prefix(&dir).ok()?))
        .collect();
    assert!(ids.len() >= 700, "{} vector files", ids.len());
    assert!(ids.iter().any(|id| id == "established/active/abort"));
    assert!(dir.join("established/active/abort.yaml").exists());
    assert!(!dir.join("gone").exists(), "emptied folders are removed");
    for kept in ["notes.txt", "other.yaml", "src/fixture.yaml"] {
        assert!(
            dir.join(kept).exists(),
            "{kept} is not a generated vector: left alone"
        );
    }
    let (code, stdout, _) = tcpspec(&["generate", "--out", out]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("0 changed") && stdout.contains("0 removed"),
        "a second run changes nothing: {stdout}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn replay_json_gives_verdicts_timings_and_the_deviation_entries_used() {
    // Needs root (CI runs as root): the replay creates its own namespace and TUN device.
    let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors");
    let (code, stdout, stderr) = tcpspec(&[
        "replay",
        "--target",
        "linux",
        "--vectors",
        vectors,
        "--filter",
        "established/active/",
        "--json",
    ]);
    assert_eq!(code, 0, "needs root; stderr: {stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let results = v["results"].as_array().expect("results");
    assert!(
        results.len() > 50,
        "both IP versions of every matching vector"
    );
    for r in results {
        assert!(r["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("established/active/")));
        assert!(matches!(r["ip"].as_str(), Some("v4" | "v6")));
        assert!(
            matches!(r["verdict"].as_str(), Some("pass" | "deviation")),
            "{r}"
        );
        assert!(r["millis"].as_f64().is_some_and(|ms| ms > 0.0));
    }
    let abort = results
        .iter()
        .find(|r| r["id"] == "established/active/abort")
        .expect("the abort vector");
    assert_eq!(
        abort["verdict"], "deviation",
        "Linux sends RST+ACK: {abort}"
    );
    let totals = &v["totals"];
    assert_eq!(
        totals["total"].as_u64(),
        Some(results.len() as u64),
        "{totals}"
    );
    assert!(totals["median_ms_without_timers"].as_f64().is_some());
    let used = v["deviation_use"].as_array().expect("deviation_use");
    assert!(used
        .iter()
        .any(|d| d["id"] == "*/abort" && d["replays"].as_u64() == Some(2)));
}

#[test]
fn a_bad_vector_file_is_an_error_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("tcpspec-badvec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("bad.yaml"),
        "version: 2\nid: bad\ncovers: []\nrole: active\nsteps:\n  - expect: { flags: Q }\n",
    )
    .expect("bad file");
    let out = dir.to_str().expect("utf-8 temp path");
    let (code, _, stderr) = tcpspec(&["replay", "--vectors", out]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad.yaml:6"), "file and line: {stderr}");
}

#[test]
fn check_prints_where_the_explorer_opens_each_counterexample() {
    let (code, stdout, _) = tcpspec(&["check", "--variant", "two-way-handshake"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout
            .contains("   Explorer: http://127.0.0.1:3000/#/steps/0/0/2/0/0/3/0/0/2/1/0/2/6/2/2\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "   (served by: tcpspec explore --variant two-way-handshake --scenario client-server \
             --counterexample no_dirty_connection)\n"
        ),
        "{stdout}"
    );
    // Other budgets: another model, another path, and the command says which.
    let (code, stdout, _) = tcpspec(&[
        "check",
        "--variant",
        "two-way-handshake",
        "--losses",
        "2",
        "--without-reduction",
        "twins",
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let results = report["results"].as_array().expect("results");
    let two_way = results
        .iter()
        .find(|r| r["variant"] == "two-way-handshake")
        .expect("the switch's outcome");
    let url = two_way["explorer_url"].as_str().expect("an Explorer URL");
    assert!(url.starts_with("http://127.0.0.1:3000/#/steps/0/"), "{url}");
    let (_, text, _) = tcpspec(&[
        "check",
        "--variant",
        "two-way-handshake",
        "--losses",
        "2",
        "--without-reduction",
        "twins",
    ]);
    assert!(
        text.contains("--counterexample no_dirty_connection --losses 2 --without-reduction twins)"),
        "{text}"
    );
    assert!(text.contains(&format!("   Explorer: {url}\n")), "{text}");
}

#[test]
fn explore_says_why_it_cannot_open_at_a_counterexample() {
    let (code, _, stderr) = tcpspec(&[
        "explore",
        "--variant",
        "two-way-handshake",
        "--counterexample",
        "no_such_property",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no such property"), "{stderr}");
    let (code, _, stderr) = tcpspec(&[
        "explore",
        "--variant",
        "rfc793-rst",
        "--scenario",
        "blind-attack",
        "--counterexample",
        "no_blind_data",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("there is no counterexample"), "{stderr}");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = busy.local_addr().expect("its address").port().to_string();
    let (code, _, stderr) = tcpspec(&["explore", "--port", &port]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[test]
fn export_writes_a_script_per_expressible_vector_and_lists_the_rest() {
    let out = std::env::temp_dir().join(format!("tcpspec-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_s = out.to_string_lossy().into_owned();
    let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors");
    let (code, stdout, stderr) = tcpspec(&[
        "export",
        "--format",
        "packetdrill",
        "--out",
        &out_s,
        "--vectors",
        vectors,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let count = |key: &str| -> usize {
        stdout
            .split(key)
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| {
                n.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
    };
    let exported = count("exported ");
    let skipped = count("not exported: ");
    let script = out.join("established/passive/fin-ack-seq-exact-ack-una.pkt");
    let text = std::fs::read_to_string(&script).expect("a script where its id says");
    assert!(text.contains("< F. 1:1(0) ack 1 win 65535"), "{text}");
    let pkts = walk(&out).iter().filter(|p| p.ends_with(".pkt")).count();
    assert_eq!(pkts, exported);
    let listing = std::fs::read_to_string(out.join("not-exported.txt")).expect("the listing");
    assert_eq!(
        listing.lines().filter(|l| !l.starts_with('#')).count(),
        skipped
    );
    assert!(listing.contains("window-relative"), "{listing}");
    let _ = std::fs::remove_dir_all(&out);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("a folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}

/// `attack --json` of one kind on one target, small.
fn attack(target: &str, kind: &str) -> Value {
    let (code, stdout, stderr) = tcpspec(&[
        "attack",
        "--target",
        target,
        "--kind",
        kind,
        "--count",
        "1000",
        "--bulk-kib",
        "128",
        "--connects",
        "2",
        "--json",
    ]);
    assert_eq!(code, 0, "{target} {kind}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{target} {kind}: {e}: {stdout}"))
}

#[test]
fn attack_runs_on_lwip_and_on_an_exec_target_for_every_kind() {
    // The exec adapter serving smoltcp, named as `replay --target exec:` names it.
    let exec = format!(
        "exec:{} exec-adapter --stack smoltcp",
        env!("CARGO_BIN_EXE_tcpspec")
    );
    for target in ["lwip", exec.as_str()] {
        for kind in ["blind-rst", "blind-syn", "blind-data"] {
            let r = attack(target, kind);
            let b = &r["blind"];
            assert_eq!(b["sent"], 1000, "{target} {kind}: {r}");
            // The verdict on the data is what was read: the stream exactly, or not.
            let intact = b["injected_bytes"] == 0 && b["bytes_read"] == b["bytes_sent"];
            assert_eq!(b["data_verified"], intact, "{target} {kind}: {r}");
            if kind != "blind-data" {
                // RSTs and SYNs carry no text.
                assert_eq!(b["injected_bytes"], 0, "{target} {kind}: {r}");
            }
            if kind == "blind-syn" {
                // No SYN resets either stack (RFC 5961 4.2; smoltcp drops it).
                assert_eq!(b["connection_reset"], false, "{target} {kind}: {r}");
            }
            // Neither stack counts its challenge ACKs: the wire's count stands alone.
            assert!(b["challenge_acks_counted_by_target"].is_null(), "{r}");
            assert!(b["acks_drawn_on_wire"].is_u64(), "{r}");
            assert!(b["limit"]["verdict"].is_string(), "{r}");
        }
        let r = attack(target, "syn-flood");
        let f = &r["flood"];
        assert_eq!(f["processed"], f["sent"], "{target}: {r}");
        let failed = f["failures"].as_array().map_or(0, Vec::len) as u64;
        let ok = f["connects_ok"].as_u64().expect("connects_ok");
        assert_eq!(failed + ok, 2, "{target}: {r}");
        // Both run in a child process: its peak resident size.
        let m = &f["memory"];
        assert!(
            m["what"]
                .as_str()
                .is_some_and(|w| w.contains("stack's process")),
            "{target}: {r}"
        );
        assert!(m["peak_bytes"].as_u64() >= m["start_bytes"].as_u64(), "{r}");
    }
}
