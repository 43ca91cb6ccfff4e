//! `familyflow serve`'s API, against the binary listening on an ephemeral
//! loopback port (plain HTTP/1.1 over `TcpStream`): every endpoint, its
//! errors, a run equal to `familyflow run`'s, the store (a repeated
//! request, a restart), cancelling, and the token beyond loopback.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;
use serde_json::{json, Value};

/// A tiny scenario: a small area, one year, no burn-in (well under a
/// second a run in a test build).
const TINY: &str =
    "extends = \"default.toml\"\nyears = 1\nburn_in_years = 0\n[area]\nchildren = 5000\n";

/// A run of many seconds (a million children, twenty years' burn-in):
/// one to cancel while it runs.
const LONG: &str = "extends = \"default.toml\"\n[area]\nchildren = 1_000_000\n";

/// The server, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    /// The first line it printed.
    banner: String,
}

impl Server {
    fn start(data: &std::path::Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(["serve", "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            banner: line,
        }
    }

    fn loopback(data: &std::path::Path) -> Server {
        Server::start(data, &["--bind", "127.0.0.1:0", "--cores", "2"])
    }

    /// The loopback address to connect to (the port it listens on).
    fn connect_to(&self) -> String {
        let port = self.addr.rsplit(':').next().expect("a port");
        format!("127.0.0.1:{port}")
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let to = self.connect_to();
        http(&to, &to, method, path, headers, body)
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }

    fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// Waits for run `id` to end (following its progress stream); its status.
    fn wait(&self, id: &str) -> Value {
        let events = self.get(&format!("/api/runs/{id}/progress"));
        assert_eq!(events.status, 200, "{}", events.text());
        let last = events
            .text()
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .next_back()
            .map(|d| serde_json::from_str::<Value>(d).expect("JSON data"))
            .expect("at least one event");
        assert!(
            ["done", "failed", "cancelled"].contains(&last["state"].as_str().unwrap_or("")),
            "the stream ended before the run: {last}"
        );
        self.get(&format!("/api/runs/{id}")).json()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP/1.1 request on its own connection; the whole reply (a chunked
/// body decoded).
fn http(
    to: &str,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(to).expect("the server accepts");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A body the server refuses may be cut off mid-way: that is its answer.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no reply head: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("a chunk size");
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

fn submit(server: &Server, body: Value) -> (u16, Value) {
    let r = server.post_json("/api/runs", &body);
    (r.status, r.json())
}

#[test]
fn every_endpoint_answers_and_a_served_run_equals_the_command_lines() {
    let data = TempDir::new("serve-data");
    let server = Server::loopback(data.path());

    let page = server.get("/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.text().contains("<script src=\"/app.js\""));
    assert_eq!(server.get("/app.js").status, 200);
    // The schema's form: its script is served and the page loads it.
    assert!(page.text().contains("<script src=\"/form.js\""));
    let form = server.get("/form.js");
    assert_eq!(form.status, 200);
    assert!(form.text().contains("/api/schema"));
    assert_eq!(server.get("/app.css").status, 200);

    let list = server.get("/api/scenarios").json();
    let names: Vec<&str> = list["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"scenarios/default.toml"), "{names:?}");
    assert!(names.contains(&"scenarios/areas/luton.toml"), "{names:?}");
    let luton = server.get("/api/scenario?name=scenarios/areas/luton.toml");
    assert_eq!(luton.status, 200);
    assert!(luton.text().contains("extends = \"england-baseline.toml\""));
    assert_eq!(server.get("/api/scenario?name=../Cargo.toml").status, 404);
    let schema = server.get("/api/schema").json();
    assert!(schema["properties"]["family_help"].is_object(), "{schema}");

    // Checks: fine, a bad value located, a syntax error located, an
    // extends that leaves the shipped scenarios.
    let check = |text: &str| {
        let r = server.request("POST", "/api/check", &[], text.as_bytes());
        assert_eq!(r.status, 200);
        r.json()
    };
    let ok = check(TINY);
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["children"], 5000);
    let bad = check(&TINY.replace("5000", "-5"));
    assert_eq!(bad["ok"], false);
    assert_eq!(
        (
            bad["errors"][0]["file"].as_str(),
            bad["errors"][0]["line"].as_u64(),
            bad["errors"][0]["field"].as_str()
        ),
        (Some("uploaded.toml"), Some(5), Some("area.children")),
        "{bad}"
    );
    let syntax = check("years = = 2\n");
    assert_eq!(syntax["errors"][0]["line"], 1, "{syntax}");
    let escape = check("extends = \"../../../etc/passwd\"\n");
    assert_eq!(escape["errors"][0]["field"], "extends", "{escape}");
    assert_eq!(escape["errors"][0]["line"], 1, "{escape}");
    let base_error = check("extends = \"default.toml\"\n[family_help]\nfte = -1\n");
    assert_eq!(base_error["errors"][0]["line"], 3, "{base_error}");
    assert_eq!(
        base_error["errors"][0]["field"], "family_help.fte",
        "{base_error}"
    );

    // A run: 202, progress to the end, the summary, its files and report.
    let (code, made) = submit(&server, json!({ "scenario_text": TINY, "seed": 5 }));
    assert_eq!(code, 202, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let done = server.wait(&id);
    assert_eq!(done["status"]["state"], "done", "{done}");
    assert_eq!(done["kind"], "run");
    let files: Vec<&str> = done["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "summary.json",
        "monthly.csv",
        "events.ffl",
        "report.html",
        "scenario.toml",
    ] {
        assert!(files.contains(&f), "{f} in {files:?}");
    }

    // The same scenario and seed through `familyflow run`: the same summary.
    let dir = TempDir::new("serve-cli");
    let effective = server.get(&format!("/api/runs/{id}/files/scenario.toml"));
    assert_eq!(effective.status, 200);
    std::fs::write(dir.path().join("uploaded.toml"), &effective.body).unwrap();
    let cli = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(["run", "uploaded.toml", "--seed", "5", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let cli_summary: Value = serde_json::from_slice(&common::ok(&cli, "run").into_bytes()).unwrap();
    assert_eq!(
        done["summary"], cli_summary,
        "the served summary differs from run's"
    );
    let stored_summary = server.get(&format!("/api/runs/{id}/files/summary.json"));
    assert_eq!(stored_summary.json(), cli_summary);

    let monthly = server.get(&format!("/api/runs/{id}/files/monthly.csv"));
    assert_eq!(monthly.status, 200);
    assert!(monthly
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    assert!(monthly.text().starts_with("month,"));
    assert_eq!(
        server
            .get(&format!("/api/runs/{id}/files/Cargo.toml"))
            .status,
        404
    );
    assert_eq!(
        server
            .get(&format!("/api/runs/{id}/files/..%2Fscenario.toml"))
            .status,
        404
    );
    let report = server.get(&format!("/api/runs/{id}/report"));
    assert_eq!(report.status, 200);
    assert!(report
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    assert!(report.text().contains("<svg"));

    // Asked again: the stored run, at once.
    let asked = Instant::now();
    let (code, again) = submit(&server, json!({ "scenario_text": TINY, "seed": 5 }));
    let latency = asked.elapsed();
    assert_eq!(code, 200, "{again}");
    assert_eq!(
        (again["id"].as_str(), again["stored"].as_bool()),
        (Some(id.as_str()), Some(true))
    );
    assert_eq!(again["status"]["state"], "done");
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    let runs = server.get("/api/runs").json();
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1, "{runs}");

    // A comparison with a shipped scenario name for B's base.
    let b = TINY.replace("default.toml", "ffc-reform.toml");
    let (code, cmp) = submit(
        &server,
        json!({ "scenario_text": TINY, "compare_text": b, "seed": 2, "replications": 2 }),
    );
    assert_eq!(code, 202, "{cmp}");
    let cmp = server.wait(cmp["id"].as_str().unwrap());
    assert_eq!(cmp["status"]["state"], "done", "{cmp}");
    assert_eq!(cmp["kind"], "compare");
    let files = cmp["files"].to_string();
    for f in [
        "compare.csv",
        "compare.json",
        "counterfactual.csv",
        "report.html",
    ] {
        assert!(files.contains(f), "{f} in {files}");
    }

    // Errors.
    let unknown = "0123456789abcdef0123456789abcdef";
    for path in [
        format!("/api/runs/{unknown}"),
        format!("/api/runs/{unknown}/progress"),
        format!("/api/runs/{unknown}/report"),
        format!("/api/runs/{unknown}/files/summary.json"),
        "/api/runs/not-an-id".to_string(),
        "/api/nothing".to_string(),
    ] {
        assert_eq!(server.get(&path).status, 404, "{path}");
    }
    assert_eq!(
        server
            .request("DELETE", &format!("/api/runs/{unknown}"), &[], b"")
            .status,
        404
    );
    let (code, e) = submit(
        &server,
        json!({ "scenario_text": TINY.replace("5000", "-5") }),
    );
    assert_eq!(code, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "area.children");
    let (code, e) = submit(&server, json!({ "scenario": "/etc/passwd" }));
    assert_eq!(code, 400, "{e}");
    let (code, e) = submit(
        &server,
        json!({ "scenario_text": TINY, "replications": 101 }),
    );
    assert_eq!(code, 400, "{e}");
    let (code, e) = submit(
        &server,
        json!({ "scenario_text": TINY.replace("5000", "3_000_000") }),
    );
    assert_eq!(code, 422, "{e}");
    let (code, e) = submit(
        &server,
        json!({ "scenario_text": TINY, "compare_with": "scenarios/ffc-reform.toml" }),
    );
    assert_eq!(code, 400, "a comparison of one replication: {e}");
    let big = vec![b'#'; (1 << 20) + 1];
    assert_eq!(server.request("POST", "/api/check", &[], &big).status, 413);
    assert_eq!(
        server
            .request(
                "POST",
                "/api/runs",
                &[("Content-Type", "application/json")],
                &big
            )
            .status,
        413
    );
    // Another site's page cannot reach a loopback server by a name of its own.
    let to = server.connect_to();
    assert_eq!(
        http(&to, "evil.example:80", "GET", "/api/runs", &[], b"").status,
        421
    );
}

#[test]
fn runs_survive_a_restart_and_are_served_from_the_store() {
    let data = TempDir::new("serve-restart");
    let id = {
        let server = Server::loopback(data.path());
        let (code, made) = submit(
            &server,
            json!({ "scenario_text": TINY, "seed": 9, "replications": 3 }),
        );
        assert_eq!(code, 202, "{made}");
        let id = made["id"].as_str().unwrap().to_string();
        let done = server.wait(&id);
        assert_eq!(done["status"]["state"], "done", "{done}");
        assert_eq!(done["kind"], "replications");
        id
    };
    let server = Server::loopback(data.path());
    let status = server.get(&format!("/api/runs/{id}")).json();
    assert_eq!(status["status"]["state"], "done", "{status}");
    assert!(status["summary"].is_object());
    assert!(status["files"].to_string().contains("summary-stats.csv"));
    let (code, again) = submit(
        &server,
        json!({ "scenario_text": TINY, "seed": 9, "replications": 3 }),
    );
    assert_eq!(
        (code, again["stored"].as_bool()),
        (200, Some(true)),
        "{again}"
    );
    assert_eq!(again["id"], id.as_str());
    // Another seed is another run.
    let (code, other) = submit(
        &server,
        json!({ "scenario_text": TINY, "seed": 10, "replications": 3 }),
    );
    assert_eq!(code, 202);
    assert_ne!(other["id"], id.as_str());
}

#[test]
fn a_running_and_a_queued_run_can_be_cancelled() {
    let data = TempDir::new("serve-cancel");
    let server = Server::start(data.path(), &["--bind", "127.0.0.1:0", "--cores", "1"]);
    // Many replications on one core: long enough to cancel mid-way.
    let busy = TINY.replace("5000", "100_000");
    let (code, long) = submit(
        &server,
        json!({ "scenario_text": busy, "seed": 1, "replications": 100 }),
    );
    assert_eq!(code, 202, "{long}");
    let long = long["id"].as_str().unwrap().to_string();
    // Queued behind it.
    let (code, queued) = submit(&server, json!({ "scenario_text": TINY, "seed": 2 }));
    assert_eq!(code, 202);
    let queued = queued["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    while server.get(&format!("/api/runs/{long}")).json()["status"]["state"] != "running" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.get(&format!("/api/runs/{queued}")).json()["status"]["state"],
        "queued"
    );
    let r = server.request("DELETE", &format!("/api/runs/{queued}"), &[], b"");
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(
        server.get(&format!("/api/runs/{queued}")).json()["status"]["state"],
        "cancelled"
    );
    let r = server.request("DELETE", &format!("/api/runs/{long}"), &[], b"");
    assert_eq!(r.status, 202, "{}", r.text());
    let ended = server.wait(&long);
    assert_eq!(ended["status"]["state"], "cancelled", "{ended}");
    assert!(ended.get("files").is_none());
    // Ended: a second cancel is refused; asking again runs it again.
    assert_eq!(
        server
            .request("DELETE", &format!("/api/runs/{long}"), &[], b"")
            .status,
        409
    );
    let (code, again) = submit(&server, json!({ "scenario_text": TINY, "seed": 2 }));
    assert_eq!(
        (code, again["id"].as_str()),
        (202, Some(queued.as_str())),
        "{again}"
    );
    assert_eq!(server.wait(&queued)["status"]["state"], "done");

    // One long run, stopped within the run (its log refuses to grow).
    let (code, single) = submit(&server, json!({ "scenario_text": LONG }));
    assert_eq!(code, 202, "{single}");
    let single = single["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let s = server.get(&format!("/api/runs/{single}")).json();
        if s["status"]["state"] == "running" && s["status"]["progress"].as_f64() > Some(0.0) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress: {s}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let asked = Instant::now();
    assert_eq!(
        server
            .request("DELETE", &format!("/api/runs/{single}"), &[], b"")
            .status,
        202
    );
    let ended = server.wait(&single);
    assert_eq!(ended["status"]["state"], "cancelled", "{ended}");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
}

#[test]
fn beyond_loopback_every_api_request_needs_the_token() {
    let data = TempDir::new("serve-token");
    let token = "0123456789abcdef-test-token";
    let server = Server::start(data.path(), &["--bind", "0.0.0.0:0", "--token", token]);
    assert!(server.banner.contains(token), "{}", server.banner);
    let r = server.get("/api/runs");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let wrong = server.request("GET", "/api/runs", &[("Authorization", "Bearer nope")], b"");
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {token}");
    let right = server.request("GET", "/api/runs", &[("Authorization", &bearer)], b"");
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(
        server.get(&format!("/api/scenarios?token={token}")).status,
        200
    );
    let post = server.request("POST", "/api/check", &[], TINY.as_bytes());
    assert_eq!(post.status, 401);
    // The page itself holds nothing and loads without it.
    assert_eq!(server.get("/").status, 200);
    drop(server);

    // Without --token, one is made up and printed.
    let server = Server::start(data.path(), &["--bind", "0.0.0.0:0"]);
    let made = server
        .banner
        .split("#token=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("a printed token")
        .to_string();
    assert_eq!(made.len(), 32, "{}", server.banner);
    assert_eq!(server.get("/api/runs").status, 401);
    let bearer = format!("Bearer {made}");
    assert_eq!(
        server
            .request("GET", "/api/runs", &[("Authorization", &bearer)], b"")
            .status,
        200
    );
}

/// A bounded load: 20 runs queued at once on two cores and 200 status
/// requests at once while they execute: every request answered, every run
/// done, the server's peak memory bounded. Prints the latencies.
#[test]
fn under_load_nothing_is_lost_and_status_stays_quick() {
    let data = TempDir::new("serve-load");
    let server = Server::loopback(data.path());
    let ids: Vec<String> = (0..20)
        .map(|seed| {
            let (code, made) = submit(
                &server,
                json!({ "scenario_text": TINY.replace("5000", "50_000"), "seed": 100 + seed }),
            );
            assert_eq!(code, 202, "{made}");
            made["id"].as_str().unwrap().to_string()
        })
        .collect();
    let to = server.connect_to();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (to, id) = (to.clone(), ids[i % ids.len()].clone());
                s.spawn(move || {
                    let asked = Instant::now();
                    let r = http(&to, &to, "GET", &format!("/api/runs/{id}"), &[], b"");
                    assert_eq!(r.status, 200, "{}", r.text());
                    asked.elapsed()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "200 concurrent status requests: median {:?}, p99 {:?}, max {:?}",
        p(0.5),
        p(0.99),
        p(1.0)
    );
    assert!(p(0.5) < Duration::from_secs(2), "median {:?}", p(0.5));
    for id in &ids {
        assert_eq!(server.wait(id)["status"]["state"], "done", "{id}");
    }
    let listed = server.get("/api/runs").json();
    assert_eq!(listed["runs"].as_array().unwrap().len(), 20);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()));
    if let Ok(status) = status {
        let peak_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmHWM");
        println!("server peak memory: {} MiB", peak_kb / 1024);
        assert!(peak_kb < 1024 * 1024, "{peak_kb} kB");
    }
}

/// A shipped scenario asked for by name (one that extends another, which
/// extends the default) runs exactly as `familyflow run` runs its file
/// from the repository's folder: the same summary and the same log, byte
/// for byte (the data folder's path is in neither).
#[test]
fn a_shipped_scenario_runs_as_the_command_line_runs_its_file() {
    let data = TempDir::new("serve-shipped");
    let server = Server::loopback(data.path());
    let name = "scenarios/areas/hartlepool.toml";
    let (code, made) = submit(&server, json!({ "scenario": name, "seed": 2 }));
    assert_eq!(code, 202, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(server.wait(&id)["status"]["state"], "done");
    let out = TempDir::new("serve-shipped-cli");
    let cli = common::familyflow(&[
        "run",
        name,
        "--seed",
        "2",
        "--out",
        out.path().to_str().unwrap(),
        "-q",
    ]);
    common::ok(&cli, "run");
    for file in ["summary.json", "events.ffl", "monthly.csv"] {
        let served = server.get(&format!("/api/runs/{id}/files/{file}"));
        assert_eq!(served.status, 200, "{file}");
        let ran = std::fs::read(out.path().join(file)).unwrap();
        assert!(served.body == ran, "{file} differs from run's");
    }

    // The data returns: what `familyflow export` writes from run's log,
    // offered by name for each collection year, byte for byte.
    let returns = out.path().join("returns");
    for format in ["ssda903", "cin"] {
        let cli = common::familyflow(&[
            "export",
            out.path().join("events.ffl").to_str().unwrap(),
            "--format",
            format,
            "--out",
            returns.to_str().unwrap(),
            "-q",
        ]);
        common::ok(&cli, "export");
    }
    let mut years: Vec<String> = std::fs::read_dir(&returns)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    years.sort();
    assert!(!years.is_empty(), "export wrote no collection year");
    let listed = server.get(&format!("/api/runs/{id}"));
    let listed: Vec<String> = listed.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let mut expected = Vec::new();
    for year in &years {
        for (name, file) in [
            (format!("ssda903-{year}-header.csv"), "header.csv"),
            (format!("ssda903-{year}-episodes.csv"), "episodes.csv"),
            (format!("cin-{year}.xml"), "cin.xml"),
        ] {
            let served = server.get(&format!("/api/runs/{id}/files/{name}"));
            assert_eq!(served.status, 200, "{name}");
            assert!(served
                .header("content-disposition")
                .unwrap()
                .contains(&format!("filename=\"{name}\"")));
            let exported = std::fs::read(returns.join(year).join(file)).unwrap();
            assert!(served.body == exported, "{name} differs from export's");
            expected.push(name);
        }
    }
    let offered: Vec<&String> = listed
        .iter()
        .filter(|f| f.starts_with("ssda903-") || f.starts_with("cin-"))
        .collect();
    assert_eq!(offered, expected.iter().collect::<Vec<_>>());
    // A year the run does not cover, and names outside the fixed shapes.
    for bad in [
        "cin-1999.xml",
        "ssda903-2025-cin.xml",
        "ssda903-..%2F..-header.csv",
        "returns%2F2025%2Fheader.csv",
    ] {
        let reply = server.get(&format!("/api/runs/{id}/files/{bad}"));
        assert_eq!(reply.status, 404, "{bad}");
    }
}
