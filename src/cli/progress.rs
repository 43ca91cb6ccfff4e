//! Progress on stderr: a bar with the time left on a terminal, a plain
//! line every few seconds otherwise, nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Progress on stderr for work longer than a second (nothing when not
/// `enabled`, i.e. `--quiet`): a bar with the time left on a terminal, a
/// plain line every few seconds otherwise (a log file, a batch job).
pub struct Bar {
    label: String,
    /// Shown as a percentage of one run, not as runs done.
    share: bool,
    total: usize,
    done: AtomicUsize,
    mode: ProgressMode,
    started: Instant,
    /// When the last plain line was written (and the output lock).
    last: Mutex<Option<Instant>>,
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum ProgressMode {
    Off,
    Bar,
    Lines,
}

/// Nothing is shown for work that ends within this.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
/// Plain lines (not a terminal) come at most this often.
const PROGRESS_LINE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Bar {
    /// Progress through `total` units of work (runs, or thousandths of a
    /// run's simulated time); silent unless `enabled`.
    pub fn new(label: &str, total: usize, enabled: bool) -> Self {
        let mode = match (enabled, std::io::stderr().is_terminal()) {
            (false, _) => ProgressMode::Off,
            (true, true) => ProgressMode::Bar,
            (true, false) => ProgressMode::Lines,
        };
        Bar {
            label: label.to_string(),
            share: false,
            total: total.max(1),
            done: AtomicUsize::new(0),
            mode,
            started: Instant::now(),
            last: Mutex::new(None),
        }
    }

    /// Progress through one long run, shown as a percentage of its
    /// simulated time (fed by [`Bar::set_fraction`]).
    pub fn share(label: &str, enabled: bool) -> Self {
        Bar {
            share: true,
            ..Bar::new(label, 1000, enabled)
        }
    }

    /// One more unit done.
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.show(done);
    }

    /// The share of the work done so far, from 0 to 1 (for one long run).
    pub fn set_fraction(&self, fraction: f64) {
        let done = (fraction.clamp(0.0, 1.0) * self.total as f64) as usize;
        let before = self.done.swap(done, Ordering::Relaxed);
        if done != before {
            self.show(done);
        }
    }

    /// The line for `done` units: what is done, the time so far and left.
    pub fn line(&self, done: usize, elapsed: f64) -> String {
        let progress = if self.share {
            format!("{}%", done * 100 / self.total)
        } else {
            format!("{done}/{} runs", self.total)
        };
        let left = if done > 0 && done < self.total {
            let secs = elapsed * (self.total - done) as f64 / done as f64;
            format!(", about {secs:.0} s left")
        } else {
            String::new()
        };
        format!("{progress}, {elapsed:.0} s{left}")
    }

    fn show(&self, done: usize) {
        if self.mode == ProgressMode::Off {
            return;
        }
        let elapsed = self.started.elapsed();
        if elapsed < PROGRESS_AFTER {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let finished = done >= self.total;
        let text = self.line(done, elapsed.as_secs_f64());
        let mut err = std::io::stderr();
        match self.mode {
            ProgressMode::Bar => {
                let width = 30;
                let filled = done.min(self.total) * width / self.total;
                let _ = write!(
                    err,
                    "\r{} [{}{}] {text}\x1b[K",
                    self.label,
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                );
                if finished {
                    let _ = writeln!(err);
                }
            }
            ProgressMode::Lines => {
                let due = last.is_none_or(|t| t.elapsed() >= PROGRESS_LINE_EVERY);
                if !due && !finished {
                    return;
                }
                *last = Some(Instant::now());
                let _ = writeln!(err, "{}: {text}", self.label);
            }
            ProgressMode::Off => {}
        }
        let _ = err.flush();
    }
}

/// The command line's [`Progress`](crate::analysis::Progress): a [`Bar`]
/// for each piece of work an analysis begins.
pub struct Terminal {
    enabled: bool,
    bar: Mutex<Option<Arc<Bar>>>,
}

impl Terminal {
    /// Bars on stderr, unless `enabled` is false (`--quiet`).
    pub fn new(enabled: bool) -> Self {
        Terminal {
            enabled,
            bar: Mutex::new(None),
        }
    }
}

impl crate::analysis::Progress for Terminal {
    fn begin(&self, label: &str, total: usize) {
        let bar = Arc::new(Bar::new(label, total, self.enabled));
        *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn tick(&self) {
        let bar = self.bar.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(bar) = bar {
            bar.tick();
        }
    }
}
