//! Family networks: family group decision-making (FGDM) and family network
//! support packages (FNSP).
//!
//! FGDM is offered at the points the scenario chooses — when a family help
//! assessment finds a need for help, when a child protection plan starts,
//! and before proceedings if the family had none on that referral —
//! while an FGDM coordinator has room (else `FgdmUnavailable`), and held at
//! once when accepted; the coordinator then works with the family for the
//! scenario's weeks. The family-led plan may name kinship carers (more often
//! the stronger the family's network) and may ask for a support package,
//! paid from the financial year's package budget, or refused once it is
//! spent when that line rations. Effects, applied by the family help, child
//! protection and care routes: family help meets more needs, fewer plans
//! end in proceedings, a package can keep a child at home who would
//! otherwise come into care, and named kin become the placement.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, WEEK};
use crate::model::event::{BudgetLine, Event, FamilyId};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::scenario::WhenSpent;
use crate::model::state::{Family, State};

/// Where FGDM is offered.
#[derive(Copy, Clone, Debug)]
pub(super) enum OfferPoint {
    /// When a child protection plan starts.
    PlanStart = 0,
    /// When a plan ends without stepping down, before proceedings.
    BeforeProceedings = 1,
    /// When a family help assessment finds the family needs help.
    FamilyHelp = 2,
}

impl Model {
    /// Offers FGDM at `point` (unless the family already had it on this
    /// referral). Draws come from
    /// (FamilyNetwork, family, episode x 4 + point) in a fixed order: offer,
    /// acceptance, kin, package, amount.
    pub(super) fn offer_fgdm(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        point: OfferPoint,
        state: &State,
        out: &mut Decisions,
    ) {
        if f.fgdm_held {
            return;
        }
        let n = &self.at(now).family_network;
        let mut s = self.streams.stream(
            Purpose::FamilyNetwork,
            u64::from(family.0),
            u32::from(f.episode) * 4 + point as u32,
        );
        let offer_p = match point {
            OfferPoint::PlanStart => n.offer_at_plan.get(),
            OfferPoint::BeforeProceedings => n.offer_before_proceedings.get(),
            OfferPoint::FamilyHelp => n.offer_in_family_help.get(),
        };
        let (offer, accept, kin, package) = (s.uniform(), s.uniform(), s.uniform(), s.uniform());
        let amount_pounds = s.exponential(n.fnsp_mean_pounds.get().max(f64::MIN_POSITIVE));
        if offer >= offer_p {
            return;
        }
        if state.coordinators.active >= state.coordinators.capacity {
            out.events.push(Event::FgdmUnavailable { family });
            return;
        }
        let accepted = accept < n.acceptance_probability.get();
        out.events.push(Event::FgdmOffered { family, accepted });
        if !accepted {
            return;
        }
        let network = f64::from(f.attributes.network) / 10_000.0;
        let kin_named = kin < n.kin_named_probability.get() * network;
        out.events.push(Event::FgdmHeld { family, kin_named });
        let weeks = n.coordinator_weeks.get() * WEEK as f64;
        out.schedule.push((
            now + (weeks as Minute).max(1),
            Happening::CoordinationEnds(family, f.episode),
        ));
        let line = &self.at(now).budget.fnsp;
        let budget = line.pence();
        // No money on the line at all: there is no package scheme to ask.
        if budget > 0 && package < n.fnsp_probability.get() {
            let pence = (amount_pounds * 100.0).round().max(1.0) as u64;
            let spent = state.spent(BudgetLine::Fnsp, now);
            let fits = spent + pence <= budget;
            if fits || line.when_spent == WhenSpent::Overspend {
                out.events.push(Event::FnspPaid { family, pence });
            } else {
                out.events.push(Event::FnspRefused { family });
            }
            if !fits && !state.exhausted(BudgetLine::Fnsp, now) {
                out.events.push(Event::BudgetExhausted {
                    line: BudgetLine::Fnsp,
                });
            }
        }
    }
}
