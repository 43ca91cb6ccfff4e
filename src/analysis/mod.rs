//! What is computed from runs: summaries, replications and their
//! statistics, paired comparisons and counterfactuals, the HTML report,
//! data returns, the metric registry and the validation suite. Nothing here
//! touches the terminal or parses arguments; errors are values.

pub mod compare;
pub mod design;
pub mod export;
pub mod fan;
pub mod metric_registry;
pub mod region;
pub mod replications;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod shard;
pub mod snapshot;
pub mod summary;
pub mod sweep;
pub mod text;
pub mod validate;

use crate::model::scenario::ScenarioError;
use crate::model::RunError;

/// Why an analysis could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A scenario is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A run failed.
    #[error("{0}")]
    Run(#[from] RunError),
    /// What was asked cannot be done (the message says why, naming the
    /// scenario or option).
    #[error("{0}")]
    Invalid(String),
}

/// Told how far work has got: a progress bar on a terminal, a served
/// page's progress stream, or nobody ([`Unwatched`]). Called from worker
/// threads; never read by a run, so it cannot change a result.
pub trait Progress: Sync {
    /// Work called `label`, of `total` units (runs), begins.
    fn begin(&self, label: &str, total: usize);
    /// One unit of the current work is done.
    fn tick(&self);
    /// Whether the watcher asked the work to stop (a served run cancelled):
    /// replications not yet begun are then not run, and the work fails
    /// with [`AnalysisError::Invalid`] saying so. Never true by default.
    fn stopped(&self) -> bool {
        false
    }
}

/// The error of work stopped through [`Progress::stopped`].
pub const STOPPED: &str = "cancelled";

/// [`STOPPED`] as an error, when `progress` asks to stop.
pub fn stop_requested(progress: &dyn Progress) -> Result<(), AnalysisError> {
    if progress.stopped() {
        Err(AnalysisError::Invalid(STOPPED.to_string()))
    } else {
        Ok(())
    }
}

/// Progress nobody watches.
pub struct Unwatched;

impl Progress for Unwatched {
    fn begin(&self, _: &str, _: usize) {}
    fn tick(&self) {}
}
