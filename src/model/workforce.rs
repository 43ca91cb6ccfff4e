//! Staff pools: who is in post, who leaves, who is recruited, who covers.
//!
//! Each pool (front door, family help, child protection, lead practitioners,
//! FGDM coordinators) starts the run with its funded posts filled: most by
//! permanent staff, the scenario's agency share by agency workers covering
//! posts under recruitment. A permanent worker leaves at a rate that rises
//! linearly with the pool's caseload (a Poisson process per worker, drawn by
//! thinning: candidate times at the highest rate, each accepted with the
//! ratio of the rate at the load then to that highest rate). A leaver's post
//! is recruited to, with an agency worker covering it meanwhile with the
//! scenario's probability; the hire arrives after an exponential delay.
//! Apprentices start each 1 April and, after training, qualify into the pool
//! or leave. A rationed budget line that would be overspent stops
//! recruitment, agency cover and apprentice intake until the next 1 April.
//!
//! A pool's capacity follows the staff in post: family help, lead
//! practitioners and coordinators hold cases up to it; at the front door and
//! in child protection the load (cases over capacity) slows the work.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY, WEEK};
use crate::model::event::{BudgetLine, Event, Pool};
use crate::model::happening::Happening;
use crate::model::per::PerLine;
use crate::model::purpose::Purpose;
use crate::model::scenario::StaffPool;
use crate::model::state::State;

/// A year of 365 days, in minutes.
const YEAR: f64 = 365.0 * DAY as f64;

/// Candidate leaving times come at this rate per worker per year whatever
/// the scenario (attrition is at most 2 a year at an empty or a full
/// caseload, so at most 4 at twice the cap): a worker's candidates are then
/// the same in every scenario and every branch, and only their acceptance
/// depends on the parameters (common random numbers for staff too).
pub const CANDIDATES_PER_YEAR: f64 = 4.0;

/// The leaving rate per worker per minute at `load`.
fn leaving_rate(p: &StaffPool, load: f64) -> f64 {
    let (empty, full) = (
        p.attrition_per_year.get(),
        p.attrition_per_year_at_full_caseload.get(),
    );
    (empty + (full - empty) * load).max(0.0) / YEAR
}

/// A stream entity for something of a pool's numbered `n`.
fn entity(pool: Pool, n: u32) -> u64 {
    (pool as u64) << 32 | u64::from(n)
}

/// Spending committed within one decision, not yet in the state.
#[derive(Default)]
pub(super) struct Commitments {
    /// Extra yearly pence per budget line.
    yearly: PerLine<u128>,
    /// Lines whose `BudgetExhausted` this decision already recorded.
    exhausted: PerLine<bool>,
}

impl Model {
    /// The run starts: every pool's posts are taken up and the first
    /// apprentices start.
    pub(super) fn start_staff(&self, now: Minute, state: &State, out: &mut Decisions) {
        let s = self.at(now);
        // A policy dated on the first day is in force from the start.
        let version = self.version_index(now);
        if version > 0 {
            out.events.push(Event::PolicyApplied { change: version });
        }
        // The staff starting now are paid from their lines: the first
        // apprentices must be affordable on top of them.
        let mut starting = Commitments::default();
        for pool in Pool::ALL {
            let terms = &self.terms(now)[pool];
            let posts = terms.posts;
            let share = s.workforce.pools()[pool].agency_share.get();
            let agency = (libm::round(f64::from(posts) * share) as u32).min(posts);
            let permanent = posts - agency;
            starting.yearly[pool.line()] += u128::from(permanent)
                * u128::from(terms.permanent_pence)
                + u128::from(agency) * u128::from(terms.agency_pence);
            out.events.push(Event::StaffStarted {
                pool,
                permanent,
                agency,
            });
            for worker in 0..permanent {
                self.schedule_leaving(now, pool, worker, 0, out);
            }
            for vacancy in 0..agency {
                self.schedule_hire(now, pool, vacancy, out);
            }
        }
        self.apprentice_intake(now, state, &mut starting, out);
        self.open_starting_caseload(now, state, out);
    }

    /// Puts a worker's k-th candidate leaving time on the agenda.
    fn schedule_leaving(&self, now: Minute, pool: Pool, worker: u32, k: u32, out: &mut Decisions) {
        let rate = CANDIDATES_PER_YEAR / YEAR;
        let gap = self
            .streams
            .stream(Purpose::StaffTurnover, entity(pool, worker), k)
            .exponential(1.0 / rate);
        if gap < (self.calendar.horizon() - now) as f64 {
            let at = now + (gap as Minute).max(1);
            out.schedule
                .push((at, Happening::MayLeave(pool, worker, k)));
        }
    }

    /// A candidate leaving time: the worker leaves with the ratio of the
    /// leaving rate at the pool's load now to the highest rate.
    pub(super) fn may_leave(
        &self,
        now: Minute,
        pool: Pool,
        worker: u32,
        k: u32,
        state: &State,
        out: &mut Decisions,
    ) {
        let mut s = self
            .streams
            .stream(Purpose::StaffTurnover, entity(pool, worker), k);
        let _gap = s.uniform();
        let accept = s.uniform();
        let p = &self.at(now).workforce.pools()[pool];
        let ratio = leaving_rate(p, state.load(pool)) / (CANDIDATES_PER_YEAR / YEAR);
        if accept >= ratio {
            self.schedule_leaving(now, pool, worker, k + 1, out);
            return;
        }
        out.events.push(Event::StaffLeft { pool });
        let staff = &state.staff[pool];
        let posts = self.terms(now)[pool].posts;
        if staff.permanent - 1 + staff.recruiting < posts {
            self.recruit(now, pool, 1, state, &mut Commitments::default(), out);
        }
    }

    /// Starts recruitment to `vacancies` posts of a pool, unless its budget
    /// line rations and cannot pay for them this financial year.
    fn recruit(
        &self,
        now: Minute,
        pool: Pool,
        vacancies: u32,
        state: &State,
        c: &mut Commitments,
        out: &mut Decisions,
    ) {
        let terms = &self.terms(now)[pool];
        let cover_p = self.at(now).workforce.pools()[pool].effective_agency_cover();
        let first = state.staff[pool].next_vacancy;
        for v in first..first + vacancies {
            let (_, cover_u) = self.hire_draws(pool, v);
            let agency_cover = cover_u < cover_p;
            let cost = if agency_cover {
                terms.agency_pence
            } else {
                terms.permanent_pence
            };
            if !self.affordable(
                now,
                pool.line(),
                terms.rations,
                u128::from(cost),
                state,
                c,
                out,
            ) {
                break;
            }
            out.events
                .push(Event::RecruitmentStarted { pool, agency_cover });
            self.schedule_hire(now, pool, v, out);
            if agency_cover {
                self.more_room(now, pool, out);
            }
        }
    }

    /// After staff join a pool that keeps a waiting list, its room is looked
    /// at once the new staff are in post (later in the same minute).
    fn more_room(&self, now: Minute, pool: Pool, out: &mut Decisions) {
        if pool == Pool::FamilyHelp && !out.schedule.contains(&(now, Happening::FamilyHelpRoom)) {
            out.schedule.push((now, Happening::FamilyHelpRoom));
        }
    }

    /// A vacancy's draws: minutes to hire, and the uniform for agency cover.
    fn hire_draws(&self, pool: Pool, vacancy: u32) -> (f64, f64) {
        let mut s = self
            .streams
            .stream(Purpose::Recruitment, entity(pool, vacancy), 0);
        (s.uniform(), s.uniform())
    }

    fn schedule_hire(&self, now: Minute, pool: Pool, vacancy: u32, out: &mut Decisions) {
        let (u, _) = self.hire_draws(pool, vacancy);
        let mean = self.at(now).workforce.pools()[pool]
            .recruitment_weeks_mean
            .get()
            * WEEK as f64;
        let at = now.saturating_add((libm::round(-mean * libm::log1p(-u)) as Minute).max(1));
        out.schedule.push((at, Happening::Hired(pool, vacancy)));
    }

    /// A recruitment ends: the new worker joins, unless the post has gone
    /// meanwhile (filled by a qualified apprentice, or cut by policy).
    pub(super) fn hired(&self, now: Minute, pool: Pool, state: &State, out: &mut Decisions) {
        let staff = &state.staff[pool];
        if staff.recruiting == 0 {
            return;
        }
        if staff.permanent >= self.terms(now)[pool].posts {
            out.events.push(Event::RecruitmentCancelled { pool });
            return;
        }
        out.events.push(Event::StaffJoined { pool });
        self.schedule_leaving(now, pool, state.staff[pool].next_worker, 0, out);
        self.more_room(now, pool, out);
    }

    /// Apprentices start in every pool that takes them.
    fn apprentice_intake(
        &self,
        now: Minute,
        state: &State,
        c: &mut Commitments,
        out: &mut Decisions,
    ) {
        for pool in Pool::ALL {
            let p = &self.at(now).workforce.pools()[pool];
            let count = p.apprentices_per_year;
            if count == 0 {
                continue;
            }
            let terms = &self.terms(now)[pool];
            let rations = self.at(now).budget.workforce.when_spent
                == crate::model::scenario::WhenSpent::Ration;
            let cost = u128::from(count) * u128::from(terms.apprentice_pence);
            if !self.affordable(now, BudgetLine::Workforce, rations, cost, state, c, out) {
                continue;
            }
            out.events.push(Event::ApprenticesStarted { pool, count });
            let ends = now.saturating_add((p.apprentice_years.get() * YEAR) as Minute);
            let first = state.staff[pool].next_apprentice;
            for a in first..first + count {
                out.schedule.push((ends, Happening::TrainingEnds(pool, a)));
            }
        }
    }

    /// An apprentice's training ends: qualified into the pool, or gone.
    pub(super) fn training_ends(
        &self,
        now: Minute,
        pool: Pool,
        apprentice: u32,
        state: &State,
        out: &mut Decisions,
    ) {
        let completion = self.at(now).workforce.pools()[pool]
            .apprentice_completion
            .get();
        let qualifies = self
            .streams
            .stream(Purpose::Apprentice, entity(pool, apprentice), 0)
            .chance(completion);
        if !qualifies {
            out.events.push(Event::ApprenticeWithdrew { pool });
            return;
        }
        out.events.push(Event::ApprenticeQualified { pool });
        self.schedule_leaving(now, pool, state.staff[pool].next_worker, 0, out);
        self.more_room(now, pool, out);
    }

    /// A financial year starts: apprentices start, and posts left vacant
    /// (by a rationed budget or a policy adding posts) are recruited to.
    pub(super) fn year_start(&self, now: Minute, state: &State, out: &mut Decisions) {
        let mut c = Commitments::default();
        self.apprentice_intake(now, state, &mut c, out);
        self.recruit_to_vacancies(now, state, &mut c, out);
    }

    /// Starts recruitment to every post neither filled permanently nor being recruited to.
    pub(super) fn recruit_to_vacancies(
        &self,
        now: Minute,
        state: &State,
        c: &mut Commitments,
        out: &mut Decisions,
    ) {
        for pool in Pool::ALL {
            let staff = &state.staff[pool];
            let posts = self.terms(now)[pool].posts;
            let open = posts.saturating_sub(staff.permanent + staff.recruiting);
            if open > 0 {
                self.recruit(now, pool, open, state, c, out);
            }
        }
    }

    /// Whether `line` can take on `yearly` more pence a year from now to the
    /// end of the financial year; when a rationing line cannot, records
    /// `BudgetExhausted` (once a year).
    #[allow(clippy::too_many_arguments)]
    fn affordable(
        &self,
        now: Minute,
        line: BudgetLine,
        rations: bool,
        yearly: u128,
        state: &State,
        c: &mut Commitments,
        out: &mut Decisions,
    ) -> bool {
        if !rations {
            return true;
        }
        // A line that ran out stays frozen until 1 April, even if leavers
        // bring its forecast back under the budget.
        if c.exhausted[line] || state.exhausted(line, now) {
            return false;
        }
        let budget = self.at(now).budget.lines()[line].pence();
        if state.forecast(line, now, c.yearly[line] + yearly) <= budget {
            c.yearly[line] += yearly;
            return true;
        }
        if !c.exhausted[line] && !state.exhausted(line, now) {
            out.events.push(Event::BudgetExhausted { line });
            c.exhausted[line] = true;
        }
        false
    }
}
