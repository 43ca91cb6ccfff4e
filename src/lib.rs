//! familyflow: an event-sourced discrete-event simulator of children's social
//! care in England, for testing reforms such as *Stable Homes, Built on Love*
//! before they are rolled out.
//!
//! Four layers, each using only those below it:
//!
//! * [`engine`]: the domain-agnostic kernel — the agenda, random streams,
//!   the log's framing, the snapshot container and the run loop, generic
//!   over a [`engine::Domain`];
//! * [`model`]: children's social care — the calendar, events, state,
//!   scenarios and their validation, the routes families take, and the
//!   metric projection;
//! * [`analysis`]: what is computed from runs — summaries, replications,
//!   comparisons, reports, data returns, the metric registry and the
//!   validation suite; no terminal and no command line;
//! * [`cli`]: the command line — arguments, files, progress bars.
//!
//! `ARCHITECTURE.md` has the map and the invariants.

#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod engine;
pub mod import;
pub mod model;

/// This build's version, recorded in every log header and summary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
