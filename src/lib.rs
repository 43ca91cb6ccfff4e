//! familyflow: an event-sourced discrete-event simulator of children's social
//! care in England, for testing reforms such as *Stable Homes, Built on Love*
//! before they are rolled out.
//!
//! Start at [`engine`] (the run loop and replay), [`model`] (the routes
//! families take), [`event`] (the facts a run records), [`log`] (the file
//! format) and [`scenario`] (what a modeller writes). `ARCHITECTURE.md` has
//! the map and the invariants.

#![warn(missing_docs)]

pub mod agenda;
pub mod calendar;
pub mod codec;
pub mod commands;
pub mod compare;
pub mod engine;
pub mod event;
pub mod export;
pub mod log;
pub mod metric_registry;
pub mod model;
pub mod projection;
pub mod replications;
pub mod report;
pub mod scenario;
pub mod snapshot;
pub mod state;
pub mod stream;
pub mod summary;
pub mod validate;

/// This build's version, recorded in every log header and summary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
