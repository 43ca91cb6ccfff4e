//! The served page in a real browser: headless Chromium driven through
//! WebDriver (Debian's `chromium-driver`, spoken to as plain HTTP and
//! JSON). The page loads under its content security policy, lists the
//! shipped scenarios, checks text as it is typed (line and field), runs a
//! scenario with progress to the end, shows its files and report, and
//! lists the run.
//!
//! Needs `chromium` and `chromedriver` (`.ci/run` installs both). Without
//! them the test says so and skips; with `FAMILYFLOW_REQUIRE_BROWSER=1`
//! (set by CI) it fails.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TINY: &str =
    "extends = \"default.toml\"\nyears = 1\nburn_in_years = 0\n[area]\nchildren = 5000\n";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request with a JSON body; the reply's JSON (read to its
/// Content-Length: chromedriver keeps connections open).
fn call(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut reader = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut buf = vec![0u8; length];
    reader.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap_or(Value::Null)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A WebDriver session.
struct Browser {
    driver: String,
    session: String,
}

impl Browser {
    fn script(&self, js: &str) -> Value {
        let r = call(
            &self.driver,
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(&json!({ "script": js, "args": [] })),
        );
        r["value"].clone()
    }

    /// Polls `js` until it returns true (or fails the test after `secs`).
    fn until(&self, js: &str, secs: u64, what: &str) {
        let start = Instant::now();
        while self.script(js) != Value::Bool(true) {
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "{what}: timed out; the page shows: {}",
                self.script("return document.body.innerText")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        call(
            &self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

#[test]
fn the_page_checks_runs_and_shows_a_scenario_in_a_browser() {
    let (chromium, driver_bin) = (
        Path::new("/usr/bin/chromium"),
        Path::new("/usr/bin/chromedriver"),
    );
    if !chromium.exists() || !driver_bin.exists() {
        assert!(
            std::env::var_os("FAMILYFLOW_REQUIRE_BROWSER").is_none(),
            "FAMILYFLOW_REQUIRE_BROWSER is set but chromium or chromedriver is not installed"
        );
        println!("SKIPPED: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        return;
    }
    let data = common::TempDir::new("serve-browser");
    let mut server = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Killed(server);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("an address")
        .to_string();

    let port = free_port();
    let driver = format!("127.0.0.1:{port}");
    let _driver = Killed(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let start = Instant::now();
    while TcpStream::connect(&driver).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = data.path().join("profile");
    let made = call(
        &driver,
        "POST",
        "/session",
        Some(
            &json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking",
                     format!("--user-data-dir={}", profile.display())],
        } } } }),
        ),
    );
    let session = made["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {made}"))
        .to_string();
    let b = Browser { driver, session };
    call(
        &b.driver,
        "POST",
        &format!("/session/{}/url", b.session),
        Some(&json!({ "url": url })),
    );

    // The script ran under the page's CSP: the shipped list and the
    // default scenario's text, checked.
    b.until(
        "return document.querySelectorAll('#shipped option').length > 20",
        30,
        "the shipped scenarios listed",
    );
    b.until(
        "return document.getElementById('check').textContent.startsWith('ok: Default')",
        30,
        "the default scenario checked",
    );

    // Typing a bad value: the error with its line and field.
    let bad = serde_json::to_string(&TINY.replace("5000", "-5")).unwrap();
    b.script(&format!(
        "const t = document.getElementById('text'); t.value = {bad}; t.dispatchEvent(new Event('input')); return true"
    ));
    b.until(
        "const c = document.getElementById('check').textContent; return c.includes('line 5') && c.includes('area.children')",
        30,
        "the located error",
    );

    // A good scenario, run: progress to the end, files, the report.
    let good = serde_json::to_string(&format!("{TINY}[family_help]\nfte = 12\n")).unwrap();
    b.script(&format!(
        "const t = document.getElementById('text'); t.value = {good}; t.dispatchEvent(new Event('input')); return true"
    ));
    b.until(
        "return document.getElementById('check').textContent.startsWith('ok:')",
        30,
        "the edited scenario checked",
    );
    b.script("document.getElementById('seed').value = '4'; document.getElementById('run').click(); return true");
    b.until(
        "return document.getElementById('progresstext').textContent === 'done'",
        120,
        "the run's progress to done",
    );
    b.until(
        "return [...document.querySelectorAll('#result a')].some(a => a.textContent === 'monthly.csv')",
        30,
        "the run's files",
    );
    let href = b.script(
        "return [...document.querySelectorAll('#result a')].find(a => a.textContent === 'monthly.csv').getAttribute('href')",
    );
    assert!(
        href.as_str()
            .is_some_and(|h| h.starts_with("/api/runs/") && h.ends_with("/files/monthly.csv")),
        "{href}"
    );
    let href = href.as_str().unwrap().to_string();
    let report = href.replace("/files/monthly.csv", "/report");
    b.until(
        &format!("return document.getElementById('report').getAttribute('src') === '{report}'"),
        30,
        "the report framed in the page",
    );
    b.until(
        "return document.getElementById('runs').textContent.includes('done')",
        30,
        "the run listed",
    );
    // The issue's flow: the default scenario with more family help FTE,
    // compared against the default as shipped; progress to done, the
    // comparison's files.
    b.script(
        "const s = document.getElementById('shipped'); s.value = 'scenarios/default.toml'; s.dispatchEvent(new Event('change')); return true",
    );
    b.until(
        "return document.getElementById('check').textContent.startsWith('ok: Default')",
        30,
        "the default scenario loaded again",
    );
    // Family help FTE through the form generated from the schema: it shows
    // the text's value with the schema's range as help; a bad value is
    // written into the text and located by the check; a good one too.
    b.until(
        "const f = document.getElementById('f-family_help.fte'); return !!f && f.value === '99'",
        30,
        "the form showing the default's family help FTE",
    );
    let help = b.script(
        "return document.getElementById('f-family_help.fte').parentElement.querySelector('.help').textContent",
    );
    assert!(
        help.as_str().is_some_and(
            |h| h.contains("full-time equivalent") && h.contains("Range: 0 to 100,000")
        ),
        "{help}"
    );
    let set_fte = |v: &str| {
        b.script(&format!(
            "const f = document.getElementById('f-family_help.fte'); f.value = '{v}'; f.dispatchEvent(new Event('change')); return true"
        ))
    };
    set_fte("-5");
    b.until(
        r"const t = document.getElementById('text').value; const c = document.getElementById('check').textContent; return /\[family_help\][\s\S]*?\nfte = -5 /.test(t) && c.includes('line ') && c.includes('family_help.fte')",
        30,
        "a bad FTE from the form, located by the check",
    );
    set_fte("140");
    b.until(
        r"const t = document.getElementById('text').value; return /\[family_help\][\s\S]*?\nfte = 140 +# assumption/.test(t) && document.getElementById('check').textContent.startsWith('ok: Default')",
        30,
        "family_help.fte changed through the form (its comment kept), checked",
    );
    // A policy change through its editor: a [[policy]] entry in the text.
    b.script(
        "const r = document.querySelector('#policyrows tr'); r.querySelector('.pdate').value = '2025-04-01'; r.querySelector('.pkey').value = 'family_help.fte'; r.querySelector('.pvalue').value = '150'; document.getElementById('policyapply').click(); return true",
    );
    b.until(
        r"return document.getElementById('text').value.endsWith('\n[[policy]]\ndate = 2025-04-01\nfamily_help.fte = 150\n') && document.getElementById('check').textContent.startsWith('ok: Default')",
        30,
        "the policy change added and checked",
    );
    b.script(
        "document.getElementById('compare').value = 'scenarios/default.toml'; document.getElementById('replications').value = '2'; document.getElementById('run').click(); return true",
    );
    b.until(
        "return document.getElementById('progresstext').textContent === 'done' && [...document.querySelectorAll('#result a')].some(a => a.textContent === 'compare.csv')",
        300,
        "the comparison's progress to done and its files",
    );
    b.until(
        "return document.getElementById('result').textContent.includes('(B) against')",
        30,
        "the comparison described",
    );

    // The report itself, under its own policy: its charts have a size.
    call(
        &b.driver,
        "POST",
        &format!("/session/{}/url", b.session),
        Some(&json!({ "url": format!("{}{}", url.trim_end_matches('/'), report) })),
    );
    b.until(
        "const c = [...document.querySelectorAll('svg')]; return c.length > 3 && c.every(s => s.getBoundingClientRect().width > 0)",
        30,
        "the report's charts rendered",
    );
}
