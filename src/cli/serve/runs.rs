//! The served app's runs: their status in memory (watched by the progress
//! stream), persisted when they end, and their execution on blocking
//! threads, at most one per core (queued beyond that). A run executes
//! the same analysis and writes the same files as the command line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Semaphore};

use crate::analysis::compare::{compare_inputs, CompareSpec, Subject};
use crate::analysis::replications::{replicate, ReplicationSpec};
use crate::analysis::{run, Progress};
use crate::cli::commands::output::{OutDir, Scope};
use crate::cli::commands::{
    self, CommandError, ExportFormat, LOG_FILE, MONTHLY_FILE, SUMMARY_FILE,
};
use crate::cli::serve::store::RunRequest;
use crate::model::input::ScenarioInput;

/// Where a run is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a free core.
    Queued,
    /// Running: `progress` from 0 to 1 (simulated time of one run, or
    /// runs done of all runs).
    Running {
        /// The share done.
        progress: f64,
    },
    /// Finished; its files are there.
    Done,
    /// Failed, with the error.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// Cancelled before it ended.
    Cancelled,
}

impl Status {
    /// Whether the run has ended (done, failed or cancelled).
    pub fn ended(&self) -> bool {
        matches!(
            self,
            Status::Done | Status::Failed { .. } | Status::Cancelled
        )
    }
}

/// One run the server knows.
pub struct Entry {
    /// Its id.
    pub id: String,
    /// What was asked.
    pub request: RunRequest,
    /// Its folder.
    pub dir: PathBuf,
    /// Its status, watched by progress streams.
    pub status: watch::Sender<Status>,
    /// Set by a cancel; read between steps of the run.
    pub cancel: Arc<AtomicBool>,
}

/// What a run executes: its scenarios, read.
pub struct Job {
    /// Scenario A (the one run, or the baseline).
    pub a: ScenarioInput,
    /// Scenario B, for a comparison.
    pub b: Option<ScenarioInput>,
}

/// The runs the server knows, by id, and the cores they run on.
pub struct Runs {
    /// By id.
    pub by_id: Mutex<BTreeMap<String, Arc<Entry>>>,
    /// `DATA/runs`.
    pub root: PathBuf,
    /// One permit per core.
    cores: Arc<Semaphore>,
    /// Permits in all.
    pub core_count: usize,
    /// Runs queued or running now.
    pub active: AtomicUsize,
}

/// Most runs queued or running at once; more are refused (503).
pub const MAX_ACTIVE: usize = 64;

const REQUEST_FILE: &str = "request.json";
const STATUS_FILE: &str = "status.json";

impl Runs {
    /// The runs stored under `root` (made if missing). A run that was
    /// queued or running when the server stopped is marked failed (asking
    /// for it again runs it again).
    pub fn open(root: PathBuf, core_count: usize) -> io::Result<Runs> {
        std::fs::create_dir_all(&root)?;
        let mut by_id = BTreeMap::new();
        for e in std::fs::read_dir(&root)? {
            let e = e?;
            let Some(id) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !crate::cli::serve::store::is_run_id(&id) {
                continue;
            }
            let dir = e.path();
            let Some(request) = read_json::<RunRequest>(&dir.join(REQUEST_FILE)) else {
                continue;
            };
            let status = read_json::<Status>(&dir.join(STATUS_FILE))
                .filter(Status::ended)
                .unwrap_or(Status::Failed {
                    error: "interrupted: the server stopped before the run ended (ask for it again to run it)".into(),
                });
            by_id.insert(
                id.clone(),
                Arc::new(Entry {
                    id,
                    request,
                    dir,
                    status: watch::Sender::new(status),
                    cancel: Arc::new(AtomicBool::new(false)),
                }),
            );
        }
        let core_count = core_count.max(1);
        Ok(Runs {
            by_id: Mutex::new(by_id),
            root,
            cores: Arc::new(Semaphore::new(core_count)),
            core_count,
            active: AtomicUsize::new(0),
        })
    }

    /// The run with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Every run, newest first.
    pub fn all(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            b.request
                .created
                .cmp(&a.request.created)
                .then(a.id.cmp(&b.id))
        });
        v
    }

    /// Starts run `id` of `job` (replacing an ended entry that failed or
    /// was cancelled), or returns the existing entry unless it failed or
    /// was cancelled; `Ok((entry, true))` when it was already there. Err
    /// when too many runs are active.
    pub fn submit(
        self: &Arc<Self>,
        id: String,
        request: RunRequest,
        job: Job,
    ) -> Result<(Arc<Entry>, bool), String> {
        let mut map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(&id) {
            if !matches!(
                *e.status.borrow(),
                Status::Failed { .. } | Status::Cancelled
            ) {
                return Ok((e.clone(), true));
            }
        }
        if self.active.load(Ordering::SeqCst) >= MAX_ACTIVE {
            return Err(format!(
                "{MAX_ACTIVE} runs are queued or running already: try again when some have ended"
            ));
        }
        let dir = self.root.join(&id);
        let prepared = (|| -> io::Result<()> {
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("scenario.toml"), &job.a.text)?;
            if let Some(b) = &job.b {
                std::fs::write(dir.join("compare.toml"), &b.text)?;
            }
            let json = serde_json::to_vec_pretty(&request).map_err(io::Error::other)?;
            std::fs::write(dir.join(REQUEST_FILE), json)
        })();
        if let Err(e) = prepared {
            return Err(format!("cannot store the run: {e}"));
        }
        let entry = Arc::new(Entry {
            id: id.clone(),
            request,
            dir,
            status: watch::Sender::new(Status::Queued),
            cancel: Arc::new(AtomicBool::new(false)),
        });
        map.insert(id, entry.clone());
        drop(map);
        self.active.fetch_add(1, Ordering::SeqCst);
        let runs = self.clone();
        let e = entry.clone();
        tokio::spawn(async move {
            // None: cancelled while queued, already recorded by the cancel
            // (and the folder may be a new run's of the same id by now).
            if let Some(end) = runs.execute(&e, job).await {
                persist(&e.dir, &end);
                e.status.send_replace(end);
            }
            runs.active.fetch_sub(1, Ordering::SeqCst);
        });
        Ok((entry, false))
    }

    /// Records that run `e`, still queued, is cancelled.
    pub fn cancel_queued(e: &Entry) {
        persist(&e.dir, &Status::Cancelled);
        e.status.send_replace(Status::Cancelled);
    }

    /// Waits for cores, then runs `job` on a blocking thread; None when
    /// it was cancelled before it began.
    async fn execute(&self, e: &Arc<Entry>, job: Job) -> Option<Status> {
        let units = match e.request.kind.as_str() {
            "run" => 1,
            "compare" => 3 * e.request.replications as usize,
            _ => e.request.replications as usize,
        };
        let want = units.clamp(1, self.core_count);
        let Ok(permits) = self.cores.clone().acquire_many_owned(want as u32).await else {
            return Some(Status::Failed {
                error: "the server is stopping".into(),
            });
        };
        if e.cancel.load(Ordering::SeqCst) {
            return None;
        }
        e.status.send_replace(Status::Running { progress: 0.0 });
        let watch = Watch {
            status: e.status.clone(),
            cancel: e.cancel.clone(),
            total: AtomicUsize::new(1),
            done: AtomicUsize::new(0),
            last: AtomicU64::new(0),
        };
        let out = e.dir.join("out");
        let request = e.request.clone();
        let result = tokio::task::spawn_blocking(move || {
            let r = execute(&request, &job, &out, want, &watch);
            drop(permits);
            (r, watch.cancel.load(Ordering::SeqCst))
        })
        .await;
        Some(match result {
            Ok((Ok(()), _)) => Status::Done,
            Ok((Err(_), true)) => Status::Cancelled,
            Ok((Err(e), false)) => Status::Failed {
                error: e.to_string(),
            },
            Err(join) => Status::Failed {
                error: format!("the run stopped: {join}"),
            },
        })
    }
}

/// Writes an ended run's status beside its request.
fn persist(dir: &Path, status: &Status) {
    if let Ok(json) = serde_json::to_vec(status) {
        let tmp = dir.join("status.json.tmp");
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(STATUS_FILE));
        }
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Progress of a served run: into its status channel, and its cancel flag.
struct Watch {
    status: watch::Sender<Status>,
    cancel: Arc<AtomicBool>,
    total: AtomicUsize,
    done: AtomicUsize,
    /// The last share sent, in thousandths (fewer messages).
    last: AtomicU64,
}

impl Watch {
    fn share(&self, fraction: f64) {
        let milli = (fraction.clamp(0.0, 1.0) * 1000.0) as u64;
        if self.last.swap(milli, Ordering::Relaxed) != milli {
            self.status.send_replace(Status::Running {
                progress: milli as f64 / 1000.0,
            });
        }
    }
}

impl Progress for Watch {
    fn begin(&self, _: &str, total: usize) {
        self.total.store(total.max(1), Ordering::Relaxed);
    }
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.share(done as f64 / self.total.load(Ordering::Relaxed) as f64);
    }
    fn stopped(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A log file that fails its next write once the run is cancelled, which
/// ends the run between steps (the engine is not told anything else). The
/// log's writer writes in blocks of 64 KiB, so a cancelled run stops within
/// a few thousand events (milliseconds), or at its end.
struct Cancellable<'a, W: Write> {
    inner: &'a mut W,
    cancel: &'a AtomicBool,
}

impl<W: Write> Write for Cancellable<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other(crate::analysis::STOPPED));
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `job` as the command line would and writes its files into `out`:
/// a run (`run --out DIR --report`), replications (`run --replications R
/// --out DIR --report`) or a comparison (`compare A B --out DIR --report`).
fn execute(
    request: &RunRequest,
    job: &Job,
    out: &Path,
    threads: usize,
    watch: &Watch,
) -> Result<(), CommandError> {
    let seed = request.seed;
    match (&job.b, request.replications) {
        (None, 1) => {
            let mut dir = OutDir::open(out, Scope::Results, &[])?;
            let mut log = dir.create(LOG_FILE)?;
            let finished = run::run_reporting(
                &job.a,
                seed,
                Some(Cancellable {
                    inner: &mut log,
                    cancel: &watch.cancel,
                }),
                &mut |f| watch.share(f),
            )?;
            dir.finish(log)?;
            dir.write(SUMMARY_FILE, finished.summary.to_json().as_bytes())?;
            dir.write(MONTHLY_FILE, finished.summary.monthly_csv().as_bytes())?;
            dir.commit()?;
            commands::report(out, &mut io::sink())?;
            // The data returns, as `familyflow export` writes them.
            let returns = out.join(crate::cli::serve::store::RETURNS_DIR);
            for format in [ExportFormat::Ssda903, ExportFormat::Cin] {
                commands::export(&out.join(LOG_FILE), format, &returns, &mut io::sink())?;
            }
            Ok(())
        }
        (None, r) => {
            let spec = ReplicationSpec {
                replications: r,
                seed,
                threads: Some(threads),
                warm_up: None,
            };
            let dir = OutDir::open(out, Scope::Results, &[])?;
            let done = replicate(&job.a, &spec, watch)?;
            crate::cli::replications::write_files(dir, &done, &job.a, &spec)?;
            commands::first_replication_report_of(&job.a, &[], seed, out).map(|_| ())
        }
        (Some(b), r) => {
            let spec = CompareSpec {
                replications: r,
                seed,
                threads: Some(threads),
                warm_up: None,
                family: None,
            };
            let dir = OutDir::open(out, Scope::Results, &[])?;
            let subjects = [
                Subject::Scenario(Box::new(job.a.clone())),
                Subject::Scenario(Box::new(b.clone())),
            ];
            let done = compare_inputs(&subjects, &spec, watch)?;
            crate::cli::compare::write_files(dir, &done, &spec)?;
            commands::first_replication_report_of(&job.a, &[], seed, out).map(|_| ())
        }
    }
}
