//! `familyflow serve`: a local web app (axum on tokio) to check, run,
//! watch and compare scenarios. The simulation never runs on tokio: each
//! run executes on a blocking thread ([`runs`]) and writes what the
//! command line writes. See the README's "The web app" for the API.

pub mod runs;
pub mod store;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::commands::CommandError;
use crate::model::input::ScenarioInput;
use crate::model::scenario::{ScenarioError, MAX_SCENARIO_INPUT_BYTES};
use runs::{Entry, Job, Runs, Status};
use store::{RunRequest, Scenarios, MAX_CHILDREN, MAX_REPLICATIONS};

/// The largest request body: the scenario cap (1 MiB).
pub const MAX_BODY_BYTES: usize = MAX_SCENARIO_INPUT_BYTES as usize;

/// What `familyflow serve` was asked.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:8080`; port 0: any free port).
    pub bind: String,
    /// The data folder (None: the user's data folder).
    pub data: Option<PathBuf>,
    /// The bearer token requests must carry (None: generated when bound
    /// beyond loopback, none on loopback).
    pub token: Option<String>,
    /// Cores runs may use at once (None: every core).
    pub cores: Option<usize>,
}

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");
/// The scenario form (from the JSON Schema) and the policy-change editor.
const FORM_SCRIPT: &str = include_str!("form.js");
const STYLE: &str = include_str!("app.css");

/// The page's content security policy: its own script and style only.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The report's: its inline style, script and SVG, nothing fetched.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

struct App {
    scenarios: Scenarios,
    runs: Arc<Runs>,
    /// The bearer token, when one is required.
    token: Option<String>,
    /// Host headers accepted (loopback binding: against DNS rebinding).
    hosts: Option<Vec<String>>,
}

type Shared = Arc<App>;

/// Runs the server until interrupted: prints the address it listens on
/// (and the token, when one is required) on `out`.
pub fn serve(
    opts: &ServeOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let bind: SocketAddr = opts.bind.parse().map_err(|_| {
        CommandError::Failed(format!(
            "--bind {}: not an address and port like 127.0.0.1:8080",
            opts.bind
        ))
    })?;
    let data = match &opts.data {
        Some(d) => d.clone(),
        None => store::default_data_dir().ok_or_else(|| {
            CommandError::Failed(
                "no data folder: set XDG_DATA_HOME or HOME, or give --data DIR".into(),
            )
        })?,
    };
    let failed = |what: &str, e: std::io::Error| {
        CommandError::Failed(format!("{}: {what}: {e}", data.display()))
    };
    std::fs::create_dir_all(&data).map_err(|e| failed("cannot make the data folder", e))?;
    let scenarios =
        Scenarios::install(&data).map_err(|e| failed("cannot write the shipped scenarios", e))?;
    let cores = opts
        .cores
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runs =
        Runs::open(data.join("runs"), cores).map_err(|e| failed("cannot read the runs", e))?;
    let loopback = bind.ip().is_loopback();
    let token = match (&opts.token, loopback) {
        (Some(t), _) if t.len() < 16 => {
            return Err(CommandError::Failed(
                "--token: at least 16 characters".into(),
            ))
        }
        (Some(t), _) => Some(t.clone()),
        (None, true) => None,
        (None, false) => Some(new_token()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| CommandError::Failed(format!("--bind {bind}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CommandError::Failed(format!("--bind {bind}: {e}")))?;
        let hosts = loopback.then(|| {
            let port = addr.port();
            vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]
        });
        let app = Arc::new(App {
            scenarios,
            runs: Arc::new(runs),
            token: token.clone(),
            hosts,
        });
        let shown = if addr.ip().is_unspecified() {
            format!("THIS-MACHINE:{}", addr.port())
        } else {
            addr.to_string()
        };
        let _ = match &token {
            Some(t) => writeln!(
                out,
                "familyflow serve: listening on http://{addr}/ — open http://{shown}/#token={t} (API: Authorization: Bearer {t})"
            ),
            None => writeln!(out, "familyflow serve: listening on http://{addr}/"),
        };
        let _ = out.flush();
        let _ = writeln!(
            note,
            "data in {} ({} runs stored); runs use at most {cores} cores; Ctrl-C stops",
            data.display(),
            app.runs.all().len()
        );
        let router = router(app);
        tokio::select! {
            r = axum::serve(listener, router) => r.map_err(|e| CommandError::Failed(format!("the server stopped: {e}"))),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    runtime.shutdown_background();
    Ok(())
}

/// A new random bearer token (128 bits from the system's random source).
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No /dev/urandom: the time, the process and an address, hashed.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!("{nanos}-{}-{:p}", std::process::id(), &bytes);
        bytes = xxhash_rust::xxh3::xxh3_128(seed.as_bytes()).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn router(app: Shared) -> Router {
    let api = Router::new()
        .route("/api/scenarios", get(scenarios))
        .route("/api/scenario", get(scenario_text))
        .route("/api/schema", get(schema))
        .route("/api/check", axum::routing::post(check))
        .route("/api/runs", get(list_runs).post(submit))
        .route("/api/runs/{id}", get(run_status).delete(cancel))
        .route("/api/runs/{id}/progress", get(progress))
        .route("/api/runs/{id}/report", get(report))
        .route("/api/runs/{id}/files/{name}", get(file))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn_with_state(app.clone(), authorise));
    Router::new()
        .route("/", get(page))
        .route(
            "/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/form.js",
            get(|| async { asset(FORM_SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .merge(api)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// Every request: the Host check (loopback) and headers on every response.
async fn guard(State(app): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(hosts) = &app.hosts {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return error(
                StatusCode::MISDIRECTED_REQUEST,
                "this server answers only to its loopback address (Host header)",
            );
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The API: the bearer token, when one is required.
async fn authorise(State(app): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(token) = &app.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .or_else(|| {
                // Links, frames and event streams cannot send a header:
                // GET takes the token as `?token=` too.
                (req.method() == axum::http::Method::GET)
                    .then(|| req.uri().query())
                    .flatten()
                    .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")))
            })
            .unwrap_or("");
        if !same(given.as_bytes(), token.as_bytes()) {
            let mut res = error(
                StatusCode::UNAUTHORIZED,
                "this server needs its token: Authorization: Bearer TOKEN (printed when it started)",
            );
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return res;
        }
    }
    next.run(req).await
}

/// Equal bytes, compared in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn scenario_error(status: StatusCode, e: &ScenarioError) -> Response {
    (
        status,
        Json(json!({ "error": e.to_string(), "errors": located(e) })),
    )
        .into_response()
}

/// A scenario's problems as JSON: file, line, column, field, message.
fn located(e: &ScenarioError) -> Vec<Value> {
    e.problems
        .iter()
        .map(|d| {
            json!({
                "file": d.file.as_deref().unwrap_or(&e.file),
                "line": d.line,
                "column": d.column,
                "field": d.field,
                "message": d.message,
            })
        })
        .collect()
}

fn asset(text: &'static str, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        ],
        PAGE,
    )
        .into_response()
}

async fn scenarios(State(app): State<Shared>) -> Response {
    Json(json!({ "scenarios": app.scenarios.listed })).into_response()
}

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

/// A shipped scenario's own text (`?name=scenarios/default.toml`), its
/// `extends` named as uploaded text names it (from `scenarios/`).
async fn scenario_text(Query(q): Query<NameQuery>) -> Response {
    match store::SHIPPED.iter().find(|(n, _)| *n == q.name) {
        Some((name, text)) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            store::as_uploaded(name, text),
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "not a shipped scenario"),
    }
}

async fn schema() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::model::scenario::json_schema(),
    )
        .into_response()
}

/// Reads scenario text on a blocking thread (it may read shipped bases).
async fn load_uploaded(app: &Shared, text: String) -> Result<ScenarioInput, ScenarioError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.scenarios.uploaded(&text))
        .await
        .unwrap_or_else(|e| Err(ScenarioError::whole_file(store::UPLOADED, e.to_string())))
}

async fn load_shipped(app: &Shared, name: String) -> Result<ScenarioInput, ScenarioError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.scenarios.shipped(&name))
        .await
        .unwrap_or_else(|e| Err(ScenarioError::whole_file(store::UPLOADED, e.to_string())))
}

/// `POST /api/check`: scenario text (the body) in; `ok` with what it
/// describes, or its located errors.
async fn check(State(app): State<Shared>, body: String) -> Response {
    match load_uploaded(&app, body).await {
        Ok(input) => {
            let s = &input.scenario;
            let mut errors = Vec::new();
            if s.area.children > MAX_CHILDREN {
                errors.push(too_many_children(s.area.children));
            }
            Json(json!({
                "ok": errors.is_empty(),
                "name": s.name,
                "years": s.years,
                "start": s.start.to_string(),
                "children": s.area.children,
                "errors": errors,
            }))
            .into_response()
        }
        Err(e) => Json(json!({ "ok": false, "errors": located(&e) })).into_response(),
    }
}

fn too_many_children(children: u64) -> Value {
    json!({
        "file": "", "line": 0, "column": 0, "field": "area.children",
        "message": format!("{children} children: the app runs at most {MAX_CHILDREN} (a tenth of England); larger runs are for the command line"),
    })
}

/// `POST /api/runs`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    scenario: Option<String>,
    scenario_text: Option<String>,
    #[serde(default = "one")]
    seed: u64,
    #[serde(default = "one_u32")]
    replications: u32,
    compare_with: Option<String>,
    compare_text: Option<String>,
}

fn one() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}

/// Scenario A or B of a request: a shipped name or text, not both.
async fn pick(
    app: &Shared,
    name: Option<String>,
    text: Option<String>,
    what: &str,
) -> Result<Option<ScenarioInput>, Response> {
    let loaded = match (name, text) {
        (Some(_), Some(_)) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("give {what} as a shipped scenario's name or as text, not both"),
            ))
        }
        (None, None) => return Ok(None),
        (Some(n), None) => {
            if !Scenarios::is_shipped(&n) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("{what}: not a shipped scenario (GET /api/scenarios lists them)"),
                ));
            }
            load_shipped(app, n).await
        }
        (None, Some(t)) => load_uploaded(app, t).await,
    };
    let input = loaded.map_err(|e| scenario_error(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if input.scenario.area.children > MAX_CHILDREN {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!("{what}: too many children for the app"),
                "errors": [too_many_children(input.scenario.area.children)],
            })),
        )
            .into_response());
    }
    Ok(Some(input))
}

/// `POST /api/runs`: 202 with the new run's id, or 200 with the stored
/// one's when the same run was asked for before.
async fn submit(
    State(app): State<Shared>,
    body: Result<Json<RunBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(rejection) => return error(rejection.status(), &rejection.body_text()),
    };
    if body.replications == 0 || body.replications > MAX_REPLICATIONS {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("replications: from 1 to {MAX_REPLICATIONS}"),
        );
    }
    let a = match pick(&app, body.scenario, body.scenario_text, "scenario").await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "give scenario (a shipped scenario's name) or scenario_text",
            )
        }
        Err(res) => return res,
    };
    let b = match pick(&app, body.compare_with, body.compare_text, "compare_with").await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let kind = match (&b, body.replications) {
        (Some(_), 1) => {
            return error(
                StatusCode::BAD_REQUEST,
                "a comparison needs at least 2 replications",
            )
        }
        (Some(_), _) => "compare",
        (None, 1) => "run",
        (None, _) => "replications",
    };
    // What the command line refuses before running, refused here too.
    let refused = match &b {
        Some(b) => crate::analysis::compare::check(
            &[
                crate::analysis::compare::Subject::Scenario(Box::new(a.clone())),
                crate::analysis::compare::Subject::Scenario(Box::new(b.clone())),
            ],
            &crate::analysis::compare::CompareSpec {
                replications: body.replications,
                seed: body.seed,
                threads: Some(1),
                warm_up: None,
                family: None,
            },
        )
        .err(),
        None => crate::analysis::replications::check(
            &a,
            &crate::analysis::replications::ReplicationSpec {
                replications: body.replications,
                seed: body.seed,
                threads: Some(1),
                warm_up: None,
            },
        )
        .err(),
    };
    if let Some(e) = refused {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
    }
    let mut inputs = vec![&a];
    inputs.extend(b.as_ref());
    let id = store::run_id(kind, body.seed, body.replications, &inputs);
    let request = RunRequest {
        kind: kind.to_string(),
        scenario: a.source.clone(),
        title: a.scenario.name.clone(),
        compare_with: b.as_ref().map(|b| b.source.clone()),
        compare_title: b.as_ref().map(|b| b.scenario.name.clone()),
        seed: body.seed,
        replications: body.replications,
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    match app.runs.submit(id, request, Job { a, b }) {
        Ok((entry, stored)) => {
            let code = if stored {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            (
                code,
                Json(json!({ "id": entry.id, "stored": stored, "status": *entry.status.borrow() })),
            )
                .into_response()
        }
        Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, &why),
    }
}

/// A run as the API shows it (`summary`: its summary JSON, when asked and done).
fn describe(e: &Entry, with_summary: bool) -> Value {
    let status = e.status.borrow().clone();
    let mut v = json!({
        "id": e.id,
        "kind": e.request.kind,
        "scenario": e.request.scenario,
        "title": e.request.title,
        "compare_with": e.request.compare_with,
        "compare_title": e.request.compare_title,
        "seed": e.request.seed,
        "replications": e.request.replications,
        "created": e.request.created,
        "status": status,
    });
    if status == Status::Done {
        let mut files: Vec<String> = store::FILES
            .iter()
            .filter(|f| store::file_path(&e.dir, f).is_some_and(|p| p.is_file()))
            .map(|f| f.to_string())
            .collect();
        files.extend(store::return_files(&e.dir));
        v["files"] = json!(files);
        if with_summary {
            let summary = store::file_path(&e.dir, "summary.json")
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            v["summary"] = summary.unwrap_or(Value::Null);
        }
    }
    v
}

async fn list_runs(State(app): State<Shared>) -> Response {
    let runs: Vec<Value> = app.runs.all().iter().map(|e| describe(e, false)).collect();
    Json(json!({ "runs": runs })).into_response()
}

/// The run with this id, if the id has a run id's shape and is known.
fn find(app: &App, id: &str) -> Option<Arc<Entry>> {
    store::is_run_id(id).then(|| app.runs.get(id)).flatten()
}

fn no_such_run() -> Response {
    error(StatusCode::NOT_FOUND, "no such run")
}

async fn run_status(State(app): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    match find(&app, &id) {
        Some(e) => Json(describe(&e, true)).into_response(),
        None => no_such_run(),
    }
}

/// `DELETE /api/runs/{id}`: cancels a queued or running run (an ended
/// run is left as it is: 409).
async fn cancel(State(app): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(e) = find(&app, &id) else {
        return no_such_run();
    };
    e.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let now = e.status.borrow().clone();
    if now.ended() {
        e.cancel.store(false, std::sync::atomic::Ordering::SeqCst);
        return (
            StatusCode::CONFLICT,
            Json(json!({ "error": "the run has ended", "status": now })),
        )
            .into_response();
    }
    if now == Status::Queued {
        Runs::cancel_queued(&e);
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({ "id": e.id, "cancelling": true })),
    )
        .into_response()
}

/// `GET /api/runs/{id}/progress`: server-sent `status` events, one per
/// change, ending with the run.
async fn progress(State(app): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(e) = find(&app, &id) else {
        return no_such_run();
    };
    let rx = e.status.subscribe();
    let stream =
        futures_util::stream::unfold((rx, false, true), |(mut rx, ended, first)| async move {
            if ended {
                return None;
            }
            if !first && rx.changed().await.is_err() {
                return None;
            }
            let status = rx.borrow_and_update().clone();
            let ended = status.ended();
            let event = Event::default()
                .event("status")
                .json_data(&status)
                .unwrap_or_default();
            Some((Ok::<_, Infallible>(event), (rx, ended, false)))
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn report(State(app): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(e) = find(&app, &id) else {
        return no_such_run();
    };
    let path = store::file_path(&e.dir, "report.html");
    match path.map(std::fs::read) {
        Some(Ok(html)) if *e.status.borrow() == Status::Done => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, REPORT_CSP),
            ],
            html,
        )
            .into_response(),
        _ => error(StatusCode::NOT_FOUND, "the run has no report (yet)"),
    }
}

/// `GET /api/runs/{id}/files/{name}`: one of the run's files, by its name
/// in the fixed list, as a download.
async fn file(
    State(app): State<Shared>,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Response {
    let Some(e) = find(&app, &id) else {
        return no_such_run();
    };
    let Some(path) = store::file_path(&e.dir, &name) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!(
                "not a run's file; they are: {}, and a single run's data returns (ssda903-YYYY-header.csv, ssda903-YYYY-episodes.csv, cin-YYYY.xml)",
                store::FILES.join(", ")
            ),
        );
    };
    if *e.status.borrow() != Status::Done && !name.ends_with(".toml") {
        return error(StatusCode::NOT_FOUND, "the run has not finished");
    }
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return error(StatusCode::NOT_FOUND, "this run has no such file");
    };
    let kind = match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("toml") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        _ => "application/octet-stream",
    };
    let body = Body::from_stream(tokio_util_stream(file));
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        body,
    )
        .into_response()
}

/// A file as a stream of chunks (64 KiB), not read whole into memory.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
