//! The funding ledger: staff and placement costs settled month by month,
//! and lines that run out.
//!
//! Staff salaries (with agency premiums and apprentices) and placements
//! accrue exactly, in pence x minutes, in the state as people and children
//! come and go. In the last minute of each calendar month (and of the run)
//! what has accrued is settled as one `Spent` event per line. Support
//! packages are spent one by one (`FnspPaid`). When a line's spending for the
//! financial year passes its budget, `BudgetExhausted` is recorded once that
//! year: a rationed staff line has by then stopped recruiting (see
//! `workforce`), a rationed package line refuses packages, and an
//! overspending line goes on.

use super::{Decisions, Model};
use crate::model::calendar::Minute;
use crate::model::event::{BudgetLine, Event};
use crate::model::happening::Happening;
use crate::model::state::State;

/// Lines settled at the end of each month (packages are paid one by one).
const SETTLED: [BudgetLine; 4] = [
    BudgetLine::FamilyHelp,
    BudgetLine::Fgdm,
    BudgetLine::Placements,
    BudgetLine::Workforce,
];

impl Model {
    /// Puts the end of the month after `now` (the last minute of the month,
    /// or of the run) on the agenda.
    pub(super) fn schedule_month_end(&self, now: Minute, out: &mut Decisions) {
        let horizon = self.calendar.horizon();
        if now + 1 >= horizon {
            return;
        }
        let end = self.calendar.next_month_start(now + 1).min(horizon) - 1;
        out.schedule.push((end.max(now), Happening::MonthEnd));
    }

    /// The month ends: costs accrued are settled, and lines passing their
    /// budget are recorded.
    pub(super) fn month_end(&self, now: Minute, state: &State, out: &mut Decisions) {
        let budget = &self.at(now).budget;
        for line in SETTLED {
            let pence = state.owed(line, now);
            if pence == 0 {
                continue;
            }
            out.events.push(Event::Spent { line, pence });
            let limit = budget.lines()[line].pence();
            if state.spent(line, now) > limit && !state.exhausted(line, now) {
                out.events.push(Event::BudgetExhausted { line });
            }
        }
        self.foster_carers(now, state, out);
        self.schedule_month_end(now + 1, out);
    }
}
