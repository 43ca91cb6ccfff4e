//! What is computed from runs: summaries, replications and their
//! statistics, paired comparisons and counterfactuals, the HTML report,
//! data returns, the metric registry and the validation suite. Nothing here
//! touches the terminal or parses arguments; errors are values.

pub mod compare;
pub mod export;
pub mod metric_registry;
pub mod replications;
pub mod report;
pub mod run;
pub mod snapshot;
pub mod summary;
pub mod validate;
