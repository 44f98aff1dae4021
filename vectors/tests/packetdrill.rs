//! Every vector packetdrill can express: its script parses by packetdrill's grammar, and reads
//! back as exactly what the vector says (vector, then script, then the parsed script); every
//! other vector has a reason. Also the figures the README gives.

use std::path::Path;
use tcp_vectors::packetdrill::{export_dir, grammar, project, Event, Reason};
use tcp_vectors::Vector;

fn vectors_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_exported_script_parses_and_round_trips() {
    let export = export_dir(vectors_dir()).expect("the vectors load");
    assert!(
        export.scripts.len() > 1000,
        "{} scripts",
        export.scripts.len()
    );
    for (id, script) in &export.scripts {
        let parsed = grammar::parse(script).unwrap_or_else(|e| panic!("{id}: {e}\n{script}"));
        let back = grammar::events(&parsed).unwrap_or_else(|e| panic!("{id}: {e}\n{script}"));
        let path = vectors_dir().join(tcp_vectors::path::relative_path(id).expect("an id"));
        let text = std::fs::read_to_string(&path).expect("the vector file");
        let v = Vector::from_yaml(&text).expect("a vector");
        let want = project(&v).expect("an exported vector projects");
        assert_eq!(
            back, want,
            "{id}: the script reads back differently\n{script}"
        );
        // Nothing the vector says about segments is lost: every send and expect is a line.
        let segments = v
            .steps
            .iter()
            .filter(|s| matches!(s, tcp_vectors::Step::Send(_) | tcp_vectors::Step::Expect(_)))
            .count();
        let lines = back
            .iter()
            .filter(|e| matches!(e, Event::In(..) | Event::Out(..)))
            .count();
        assert_eq!(segments, lines, "{id}\n{script}");
    }
}

#[test]
fn the_export_figures_are_the_readmes() {
    let export = export_dir(vectors_dir()).expect("the vectors load");
    let mut figures = vec![
        format!("exported: {}", export.scripts.len()),
        format!("not exported: {}", export.not_exported.len()),
    ];
    for (reason, n) in export.by_reason() {
        figures.push(format!("  {reason}: {n}"));
    }
    let figures = figures.join("\n");
    eprintln!("{figures}");
    let readme = std::fs::read_to_string(vectors_dir().join("../README.md")).expect("README");
    for line in figures.lines() {
        let (what, n) = line.trim().rsplit_once(": ").expect("a figure");
        let n: usize = n.parse().expect("a count");
        if n == 0 && what != "exported" && what != "not exported" {
            continue;
        }
        let cell = format!("| `{what}` | {n} |");
        let total = format!("{what}: {n}");
        assert!(
            readme.contains(&cell) || readme.contains(&total),
            "README.md does not give {line:?} (as {cell:?} or {total:?}):\n{figures}"
        );
    }
    assert!(Reason::ALL.len() == export.by_reason().len());
}

#[test]
fn a_script_reads_like_packetdrill() {
    let path = vectors_dir().join("established/passive/fin-ack-seq-exact-ack-una.yaml");
    let v =
        Vector::from_yaml(&std::fs::read_to_string(path).expect("the vector")).expect("a vector");
    let script = tcp_vectors::packetdrill::to_script(&v).expect("expressible");
    let body: Vec<&str> = script.lines().filter(|l| !l.starts_with("//")).collect();
    assert_eq!(
        body.join("\n"),
        "     0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
    +0 bind(3, ..., ...) = 0
    +0 listen(3, 1) = 0
    +0 %{ assert tcpi_state == TCP_LISTEN, tcpi_state }%
    +0 < S 0:0(0) win 65535 <mss 1460>
    +0 > S. 0:0(0) ack 1 <...>
    +0 < . 1:1(0) ack 1 win 65535
    +0 accept(3, ..., ...) = 4
    +0 close(3) = 0
    +0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
    +0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%
    +0 < F. 1:1(0) ack 1 win 65535
    +0 read(4, ..., 1000) = 0
    +0 > . 1:1(0) ack 2
    +0 %{ assert tcpi_state == TCP_CLOSE_WAIT, tcpi_state }%
+0.050 %{ pass }%"
    );
}
