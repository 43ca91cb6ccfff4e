//! The engine: a domain-agnostic kernel for event-sourced discrete-event
//! simulation. It takes happenings off the [`agenda`] in (time, insertion)
//! order, has the domain decide each one, folds the resulting events into
//! the domain's state and projection, and hands them to a sink (the
//! [`log`], say). Nothing here names a type of children's social care: the
//! domain comes in through the [`Domain`] trait.
//!
//! * [`agenda`] — pending happenings, a radix heap over packed keys;
//! * [`stream`] — ChaCha8 random streams addressed by purpose and entity;
//! * [`log`] — the event log's framing, checksums and running hash;
//! * [`checksum`] — CRC-32C of a record, fast on short ones;
//! * [`snapshot`] — the snapshot file's framing;
//! * [`codec`] — the one place payloads are encoded (bincode 2, capped).

pub mod agenda;
pub mod checksum;
pub mod codec;
pub mod log;
pub mod snapshot;
pub mod stream;

use std::io::Write;

use agenda::Agenda;
use log::{LogError, LogWriter, Timed};

/// Simulated time: whole minutes since the start of a run.
pub type Minute = u64;

/// What one decision produced: events to apply in order, and happenings to
/// put on the agenda. Reused across decisions so the hot loop does not allocate.
#[derive(Debug)]
pub struct Decisions<H, E> {
    /// Events, in the order they happen.
    pub events: Vec<E>,
    /// Happenings to put on the agenda, in this order.
    pub schedule: Vec<(Minute, H)>,
}

impl<H, E> Default for Decisions<H, E> {
    fn default() -> Self {
        Decisions {
            events: Vec::new(),
            schedule: Vec::new(),
        }
    }
}

impl<H, E> Decisions<H, E> {
    /// Empties both lists, keeping their capacity.
    pub fn clear(&mut self) {
        self.events.clear();
        self.schedule.clear();
    }
}

/// A simulated world, as the engine sees it: happenings to decide, events
/// that record what was decided, a state the events change and a
/// projection (metrics) the events feed.
///
/// Deciding reads the state and writes into [`Decisions`]; only
/// [`Domain::fold`] changes the state, so a run and a replay of its log
/// reach the same state by the same code.
pub trait Domain {
    /// Something due to be decided at a time (small and `Copy`).
    type Happening: Copy;
    /// A fact a run records.
    type Event;
    /// What events change.
    type State;
    /// What events are counted into.
    type Projection;
    /// Why an event does not fit the state.
    type Misfit: std::error::Error + 'static;

    /// The state and projection before anything has happened.
    fn fresh(&self) -> (Self::State, Self::Projection);
    /// The happenings that start a run.
    fn start(&self, out: &mut Decisions<Self::Happening, Self::Event>);
    /// Decides `what`, due now, against `state`.
    fn decide(
        &self,
        now: Minute,
        what: Self::Happening,
        state: &Self::State,
        out: &mut Decisions<Self::Happening, Self::Event>,
    );
    /// Applies one event to the state and the projection.
    fn fold(
        state: &mut Self::State,
        projection: &mut Self::Projection,
        at: Minute,
        event: &Self::Event,
    ) -> Result<(), Self::Misfit>;
    /// Closes the projection at the end of the run.
    fn close(state: &Self::State, projection: &mut Self::Projection, end: Minute);
    /// The run's end: nothing due at or after it is decided.
    fn horizon(&self) -> Minute;
}

/// Where a run's events go as they happen.
pub trait EventSink<E> {
    /// Records one event.
    fn record(&mut self, at: Minute, event: &E) -> Result<(), LogError>;
}

/// No log: events are folded and dropped.
pub struct Discard;

impl<E> EventSink<E> for Discard {
    #[inline]
    fn record(&mut self, _: Minute, _: &E) -> Result<(), LogError> {
        Ok(())
    }
}

impl<W: Write, E: serde::Serialize> EventSink<E> for LogWriter<W> {
    #[inline]
    fn record(&mut self, at: Minute, event: &E) -> Result<(), LogError> {
        self.event(at, event)
    }
}

impl<E: Clone> EventSink<E> for Vec<Timed<E>> {
    fn record(&mut self, at: Minute, event: &E) -> Result<(), LogError> {
        self.push(Timed {
            at,
            event: event.clone(),
        });
        Ok(())
    }
}

/// A step that could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum StepError<M: std::error::Error + 'static> {
    /// The sink could not record an event.
    #[error(transparent)]
    Log(#[from] LogError),
    /// An event did not fit the state.
    #[error("event {index}: {source}")]
    Misfit {
        /// Which event, from 0.
        index: u64,
        /// What did not fit.
        source: M,
    },
}

/// A finished run's state and projection, or why it stopped.
pub type Finish<D> =
    Result<(<D as Domain>::State, <D as Domain>::Projection), StepError<<D as Domain>::Misfit>>;

/// Events between two calls of a run's progress report.
pub const REPORT_EVERY: u64 = 1 << 16;

/// A run under way: its state, projection and agenda.
pub struct Run<D: Domain> {
    /// The state.
    pub state: D::State,
    /// The projection (metrics) so far.
    pub metrics: D::Projection,
    /// Pending happenings.
    pub agenda: Agenda<D::Happening>,
    /// Events folded so far.
    pub events: u64,
    decisions: Decisions<D::Happening, D::Event>,
}

impl<D: Domain> Run<D> {
    /// A run of `domain` at its start: nothing has happened yet.
    pub fn start(domain: &D) -> Self {
        let mut decisions = Decisions::default();
        let mut agenda = Agenda::new();
        domain.start(&mut decisions);
        for &(at, what) in &decisions.schedule {
            agenda.push(at, what);
        }
        let (state, metrics) = domain.fresh();
        Run {
            state,
            metrics,
            agenda,
            events: 0,
            decisions,
        }
    }

    /// A run resumed from its parts (a snapshot), `events` folded so far.
    pub fn resume(
        state: D::State,
        metrics: D::Projection,
        agenda: Agenda<D::Happening>,
        events: u64,
    ) -> Self {
        Run {
            state,
            metrics,
            agenda,
            events,
            decisions: Decisions::default(),
        }
    }

    /// Decides one happening now and folds its events, sending them to `sink`.
    #[inline(always)]
    pub fn step<S: EventSink<D::Event>>(
        &mut self,
        domain: &D,
        now: Minute,
        what: D::Happening,
        sink: &mut S,
    ) -> Result<(), StepError<D::Misfit>> {
        self.decisions.clear();
        domain.decide(now, what, &self.state, &mut self.decisions);
        for event in &self.decisions.events {
            fold_and_record::<D, S>(
                &mut self.state,
                &mut self.metrics,
                &mut self.events,
                now,
                event,
                sink,
            )?;
        }
        for &(at, what) in &self.decisions.schedule {
            self.agenda.push(at, what);
        }
        Ok(())
    }

    /// Folds an event that comes from outside the domain (an input such as
    /// a region's allotment of shared places) at `now`, and records it, so
    /// that a replay of the log reaches the same state without the source.
    pub fn inject<S: EventSink<D::Event>>(
        &mut self,
        now: Minute,
        event: &D::Event,
        sink: &mut S,
    ) -> Result<(), StepError<D::Misfit>> {
        fold_and_record::<D, S>(
            &mut self.state,
            &mut self.metrics,
            &mut self.events,
            now,
            event,
            sink,
        )
    }

    /// Decides every happening due before `until` (and before the horizon).
    pub fn advance<S: EventSink<D::Event>>(
        &mut self,
        domain: &D,
        until: Minute,
        sink: &mut S,
    ) -> Result<(), StepError<D::Misfit>> {
        let until = until.min(domain.horizon());
        while self.agenda.next_time().is_some_and(|t| t < until) {
            let (now, what) = self.agenda.pop().expect("a happening is pending");
            self.step(domain, now, what, sink)?;
        }
        Ok(())
    }

    /// Runs to the horizon and closes the projection.
    pub fn finish<S: EventSink<D::Event>>(self, domain: &D, sink: &mut S) -> Finish<D> {
        self.finish_reporting(domain, sink, &mut |_| {})
    }

    /// As [`Run::finish`], telling `report` the share of simulated time
    /// done every [`REPORT_EVERY`] events (for a progress bar; the run
    /// itself never reads a clock).
    pub fn finish_reporting<S: EventSink<D::Event>>(
        mut self,
        domain: &D,
        sink: &mut S,
        report: &mut dyn FnMut(f64),
    ) -> Finish<D> {
        let horizon = domain.horizon();
        let mut next_report = self.events + REPORT_EVERY;
        while self.agenda.next_time().is_some_and(|t| t < horizon) {
            let (now, what) = self.agenda.pop().expect("a happening is pending");
            self.step(domain, now, what, sink)?;
            if self.events >= next_report {
                next_report = self.events + REPORT_EVERY;
                report(now as f64 / horizon.max(1) as f64);
            }
        }
        report(1.0);
        D::close(&self.state, &mut self.metrics, horizon);
        Ok((self.state, self.metrics))
    }
}

/// Folds one event into the state and projection, counts it and sends it
/// to `sink`: what a step does with each event it decided.
#[inline(always)]
fn fold_and_record<D: Domain, S: EventSink<D::Event>>(
    state: &mut D::State,
    projection: &mut D::Projection,
    count: &mut u64,
    now: Minute,
    event: &D::Event,
    sink: &mut S,
) -> Result<(), StepError<D::Misfit>> {
    D::fold(state, projection, now, event).map_err(|source| StepError::Misfit {
        index: *count,
        source,
    })?;
    *count += 1;
    sink.record(now, event)?;
    Ok(())
}

/// Folds a stream of timed events into a fresh state and projection,
/// deciding nothing (a replay), numbering the events from `first`.
pub fn fold_all<D: Domain, I>(
    state: &mut D::State,
    projection: &mut D::Projection,
    first: u64,
    events: I,
) -> Result<u64, StepError<D::Misfit>>
where
    I: IntoIterator<Item = Result<Timed<D::Event>, LogError>>,
{
    let mut index = first;
    for timed in events {
        let Timed { at, event } = timed?;
        D::fold(state, projection, at, &event)
            .map_err(|source| StepError::Misfit { index, source })?;
        index += 1;
    }
    Ok(index)
}
