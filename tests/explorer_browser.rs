//! The Explorer in a real browser: serve `explore` at the two-way handshake's counterexample,
//! drive headless Chromium through chromedriver (W3C WebDriver over plain HTTP on loopback),
//! walk the counterexample's first steps by clicking, and check the rendered page: the actions
//! named as the charts name them, the state summary, and the SVG chart. A screenshot of the
//! walk is written to `$CARGO_TARGET_TMPDIR/explorer.png` (and to `$EXPLORER_SCREENSHOT` if set,
//! which is how `docs/explorer.png` is made).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them the
//! test fails and says how to install them. It never skips.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Kills a child process this test started when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// One HTTP/1.1 request to 127.0.0.1:`port`, answered with JSON.
fn http(method: &str, port: u16, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("{method} {path}: cannot connect to 127.0.0.1:{port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    // Read the header, then exactly Content-Length bytes: chromedriver keeps the connection
    // open whatever the request asks.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        if n == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .ok_or_else(|| format!("{method} {path}: no Content-Length in {head:?}"))?;
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|e| format!("{method} {path}: reading {length} bytes: {e}"))?;
    let body = String::from_utf8_lossy(&body);
    serde_json::from_str(&body).map_err(|e| format!("{method} {path}: {e} in {body:?}"))
}

fn chromium_missing() -> Option<String> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the Explorer browser test needs Debian's chromium and chromium-driver ({} not \
             found): run `apt-get install -y chromium chromium-driver` as root (.ci/run does this \
             under CI=true)",
            missing.join(", ")
        )
    })
}

struct Browser {
    port: u16,
    session: String,
    _driver: Guard,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let driver = Guard(driver);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match http("GET", port, "/status", None) {
                Ok(v) if v["value"]["ready"] == true => break,
                r if Instant::now() > deadline => {
                    panic!("chromedriver on 127.0.0.1:{port} not ready after 20 s: {r:?}")
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1480,1240",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let v = http("POST", port, "/session", Some(&caps))
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver could not start Chromium: {v}"))
            .to_string();
        Browser {
            port,
            session,
            _driver: driver,
        }
    }

    fn call(&self, method: &str, what: &str, body: Option<&Value>) -> Value {
        let path = format!("/session/{}{what}", self.session);
        let v = http(method, self.port, &path, body).unwrap_or_else(|e| panic!("{e}"));
        if v["value"]["error"].is_string() {
            panic!("WebDriver {method} {what}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": []})),
        )
    }

    /// Wait until `script` returns something truthy, and return it.
    fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.eval(script);
            if !(v.is_null() || v == false || v == "") {
                return v;
            }
            if Instant::now() > deadline {
                let page = self.eval("return document.body.innerText;");
                panic!("waited 20 s for {what}; the page shows:\n{page}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Click the "Next Action Choices" link that leads to `#/steps/<path>`.
    fn click_next(&self, path: &str) {
        let selector = format!("a[href=\"#/steps/{path}\"]");
        let find = format!("return document.querySelector('{selector}') !== null;");
        self.wait_for(&format!("the link {selector}"), &find);
        let found = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": selector})),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no element id in {found}"))
            .to_string();
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({})));
    }

    fn screenshot(&self) -> Vec<u8> {
        let v = self.call("GET", "/screenshot", None);
        base64(v.as_str().expect("a base64 screenshot"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            "DELETE",
            self.port,
            &format!("/session/{}", self.session),
            None,
        );
    }
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| *c != b'=' && *c != b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            n |= (value(c) as u32) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Start `explore` at the two-way handshake's counterexample; return its URL.
fn serve_counterexample() -> (Guard, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcpspec"))
        .args([
            "explore",
            "--variant",
            "two-way-handshake",
            "--counterexample",
            "no_dirty_connection",
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpspec explore starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let guard = Guard(child);
    let mut url = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("explore's stderr");
        if let Some(rest) = line.split("open ").nth(1) {
            url = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let url = url.expect("explore prints the address it serves");
    // The path `check` prints for this counterexample (tests/cli.rs pins it there).
    assert_eq!(
        url,
        format!("http://127.0.0.1:{port}/#/steps/0/0/2/0/0/3/0/0/2/1/0/2/6/2/2")
    );
    (guard, url)
}

#[test]
fn the_explorer_walks_the_two_way_handshake_counterexample_in_chromium() {
    if let Some(why) = chromium_missing() {
        panic!("{why}");
    }
    let start = Instant::now();
    let (_explore, url) = serve_counterexample();
    let base = url.split('#').next().expect("a URL").to_string();
    let path: Vec<&str> = url
        .split("#/steps/")
        .nth(1)
        .expect("a path")
        .split('/')
        .collect();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let profile = tmp.join(format!("chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("a fresh profile folder");
    let browser = Browser::start(&profile);

    // Walk the counterexample's first three steps by clicking, from the initial state (the
    // path of actions starts with stateright's `Pre-init` and `Init 0`).
    browser.go(&format!("{base}#/steps/{}", path[0]));
    let expected = [
        "A: connect()",
        "network duplicates S seq=100 (from A)",
        "B: rcv S seq=100 from A",
    ];
    for k in 1..=expected.len() {
        browser.click_next(&path[..=k].join("/"));
        let want = expected[k - 1];
        browser.wait_for(
            &format!("step {k}, {want:?}, in the path of actions"),
            &format!(
                "const items = [...document.querySelectorAll('ol.path-list li')]\
                   .map(li => li.innerText.trim());\
                 return items.length === {} && items[{}] === {want:?};",
                k + 2,
                k + 1
            ),
        );
    }
    // The state: one line per host and the network, in the model's words.
    let state = browser.wait_for(
        "the state summary",
        "const t = document.querySelector('.main-flex-right').innerText;\
         return t.includes('in flight:') ? t : '';",
    );
    let state = state.as_str().unwrap_or_default();
    assert!(state.contains("A (client) SYN-SENT"), "{state}");
    assert!(state.contains("B (server) ESTABLISHED"), "{state}");
    assert!(
        state.contains("in flight: S seq=100 A->B (copy); SA seq=228 ack=101 B->A"),
        "{state}"
    );
    // The chart: an SVG drawn by the page, with the path's events and states.
    let svg = browser.wait_for(
        "the SVG chart",
        "const s = document.querySelector('svg.msc');\
         if (!s) return '';\
         const r = s.getBoundingClientRect();\
         return r.width > 100 && r.height > 100 ? s.textContent : '';",
    );
    let svg = svg.as_str().unwrap_or_default();
    for text in [
        "A (client)",
        "B (server)",
        "connect()",
        "-> SYN-SENT",
        "++ network DUPLICATES S seq=100 (from A) ++",
        "rcv S seq=100",
        "-> ESTABLISHED",
        "SA seq=228 ack=101",
    ] {
        assert!(svg.contains(text), "the chart lacks {text:?}: {svg}");
    }
    let arrows = browser.eval("return document.querySelectorAll('svg.msc line.seg').length;");
    assert_eq!(arrows, json!(2), "S from A, SA from B");
    // The next choices are named too: B's application acts before any network event.
    let choices = browser.eval("return [...document.querySelectorAll('nav ul')].pop().innerText;");
    let choices = choices.as_str().unwrap_or_default();
    assert_eq!(choices.trim(), "B: send(1 bytes)");

    browser.eval("window.scrollTo(0, 0); return true;");
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(tmp.join("explorer.png"), &png).expect("write the screenshot");

    // The whole counterexample: the old SYN's arrival, drawn as an old copy.
    browser.go(&url);
    browser.wait_for(
        "the last step of the counterexample",
        &format!(
            "return document.querySelectorAll('ol.path-list li').length === {};",
            path.len() + 1
        ),
    );
    let svg = browser.wait_for(
        "the whole chart",
        "const s = document.querySelector('svg.msc'); return s ? s.textContent : '';",
    );
    let svg = svg.as_str().unwrap_or_default();
    assert!(
        svg.contains("rcv S seq=100 [old copy, age 0, from incarnation 1]"),
        "{svg}"
    );
    if let Ok(out) = std::env::var("EXPLORER_SCREENSHOT") {
        std::fs::write(&out, &png).unwrap_or_else(|e| panic!("write {out}: {e}"));
    }
    drop(browser);
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!(
        "browser test: {:.1} s (explore, chromedriver, Chromium, 3 clicks, the whole path)",
        start.elapsed().as_secs_f64()
    );
}
