//! Pre-proceedings, care proceedings and emergency protection.
//!
//! A child protection plan that does not step down leads to the letter
//! before proceedings (Public Law Outline): pre-proceedings, when family
//! group decision-making may be offered. At their end proceedings are
//! issued with the scenario's probability — lowered by a family-led plan,
//! a support package or a lead practitioner — or the family steps down to
//! family help; a family-led plan that named kin may instead see the child
//! go to live with them outside care. When proceedings are issued a child
//! at home may be removed under an interim care order; proceedings end
//! with a final order: a care or placement order (the child is, or stays,
//! looked after), a special guardianship or child arrangements order to kin
//! (the child lives with kin outside care), or a supervision order or none
//! (the child lives at home).
//!
//! After an emergency entry at the end of an enquiry (police protection or
//! an emergency protection order), proceedings are issued, or the child
//! stays accommodated under section 20, or goes home.
//!
//! Every draw of one referral's proceedings comes from (Proceedings,
//! family, episode) in the fixed order of [`ProceedingsDraws`].

use super::family_network::OfferPoint;
use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY, WEEK};

/// The longest an emergency entry can hold a child: an emergency protection
/// order lasts at most 8 days and may be extended once, by up to 7 (Children
/// Act 1989 s45(1), (5); SSDA903 rule 362 flags one over 21 days). Police
/// protection (72 hours, s46) longer than that is recorded as an order.
const EMERGENCY_MAX: Minute = 15 * DAY;
use crate::model::event::{
    CareExit, CareRoute, ClosureReason, Event, FamilyId, FinalOrder, LegalStatus,
};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::{Family, Stage, State};

/// Every proceedings draw of one referral, in stream order.
struct ProceedingsDraws {
    /// Minutes of pre-proceedings.
    pre_length: Minute,
    /// Uniform for issuing proceedings.
    issue: f64,
    /// Uniform for removal at issue.
    removal: f64,
    /// Minutes from issue to the final order.
    length: Minute,
    /// Uniform for the final order.
    order: f64,
    /// Uniform for a family-led plan diverting proceedings.
    diverted: f64,
    /// Uniform for a support package keeping the child at home.
    kept_home: f64,
    /// Uniform for named kin taking the child outside care.
    kin: f64,
    /// Minutes of police protection or an emergency protection order.
    emergency_length: Minute,
    /// Uniform for what follows an emergency entry.
    after_emergency: f64,
    /// Uniform for an emergency protection order rather than police protection.
    epo: f64,
    /// Uniform for urgent proceedings about a baby at the end of an enquiry.
    urgent: f64,
}

impl Model {
    fn proceedings_draws(&self, now: Minute, family: FamilyId, episode: u16) -> ProceedingsDraws {
        let p = &self.at(now).proceedings;
        let mut s = self.streams.stream(
            Purpose::Proceedings,
            u64::from(family.0),
            u32::from(episode),
        );
        ProceedingsDraws {
            pre_length: s
                .exponential_minutes(p.pre_proceedings_weeks_mean.get() * WEEK as f64)
                .max(DAY),
            issue: s.uniform(),
            removal: s.uniform(),
            length: s
                .exponential_minutes(p.weeks_mean.get() * WEEK as f64)
                .max(DAY),
            order: s.uniform(),
            diverted: s.uniform(),
            kept_home: s.uniform(),
            kin: s.uniform(),
            emergency_length: s
                .exponential_minutes(p.emergency_days_mean.get() * DAY as f64)
                .clamp(60, EMERGENCY_MAX),
            after_emergency: s.uniform(),
            epo: s.uniform(),
            urgent: s.uniform(),
        }
    }

    /// Care proceedings are issued now; their final order is put on the
    /// agenda (by the 18th birthday), and with `remove` the child comes
    /// into care under an interim care order.
    #[allow(clippy::too_many_arguments)]
    fn issue_proceedings(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        length: Minute,
        remove: bool,
        state: &State,
        out: &mut Decisions,
    ) {
        out.events.push(Event::ProceedingsIssued { family });
        let ends = (now + length).min(f.turns_18_at(family).max(now + 1));
        out.schedule
            .push((ends, Happening::ProceedingsEnd(family, f.episode)));
        if remove {
            self.enter_care(
                now,
                family,
                f,
                CareRoute::Proceedings,
                LegalStatus::InterimCareOrder,
                f.kin_named,
                state,
                out,
            );
        }
    }

    /// At the end of an enquiry about a baby (under 1) at risk of
    /// significant harm: whether proceedings are issued at once, with the
    /// baby removed under an interim care order (as after a pre-birth
    /// assessment). If so, records it and returns true.
    pub(super) fn urgent_proceedings(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        state: &State,
        out: &mut Decisions,
    ) -> bool {
        let p = self.at(now).proceedings.urgent_issue_for_babies.get();
        if p <= 0.0
            || f.whole_age_at(family, now) > 0
            || !self.at_risk_of_significant_harm(&f.attributes)
            || !self.may_enter_care(now, family, f)
        {
            return false;
        }
        let d = self.proceedings_draws(now, family, f.episode);
        if d.urgent >= p {
            return false;
        }
        out.events.push(Event::S47Completed {
            family,
            conference: false,
        });
        self.issue_proceedings(now, family, f, d.length, true, state, out);
        true
    }

    /// The letter before proceedings: pre-proceedings start, FGDM may be
    /// offered, and their end is put on the agenda.
    pub(super) fn start_pre_proceedings(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        state: &State,
        out: &mut Decisions,
    ) {
        out.events.push(Event::PreProceedingsStarted { family });
        self.offer_fgdm(now, family, f, OfferPoint::BeforeProceedings, state, out);
        self.schedule_pre_proceedings_end(now, family, f, out);
    }

    /// Puts the end of a family's pre-proceedings on the agenda (by the
    /// youngest child's 18th birthday).
    pub(super) fn schedule_pre_proceedings_end(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        out: &mut Decisions,
    ) {
        let d = self.proceedings_draws(now, family, f.episode);
        let ends = (now + d.pre_length).min(f.turns_18_at(family).max(now + 1));
        out.schedule
            .push((ends, Happening::PreProceedingsEnd(family, f.episode)));
    }

    /// A family of the starting caseload in pre-proceedings: FGDM is
    /// offered as the letter goes.
    pub(super) fn letter_sent(
        &self,
        now: Minute,
        family: FamilyId,
        state: &State,
        out: &mut Decisions,
    ) {
        if let Some(f) = state.family_at(family, Stage::PreProceedings, 0) {
            self.offer_fgdm(now, family, f, OfferPoint::BeforeProceedings, state, out);
        }
    }

    /// Pre-proceedings end: proceedings issued, the child to kin outside
    /// care, or family help.
    pub(super) fn pre_proceedings_end(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::PreProceedings, episode) else {
            return;
        };
        if self.closed_as_adult(now, family, episode, state, out) {
            return;
        }
        let d = self.proceedings_draws(now, family, episode);
        let s = self.at(now);
        let n = &s.family_network;
        let diverted = f.fgdm_held && d.diverted < n.proceedings_reduction.get();
        let kept_home = f.fnsp_paid && d.kept_home < n.fnsp_care_avoided.get();
        let issue = d.issue < s.proceedings.issue_probability.get()
            && !diverted
            && !kept_home
            && self.may_enter_care(now, family, f);
        if issue {
            let remove = d.removal < s.proceedings.removal_at_issue.get();
            self.issue_proceedings(now, family, f, d.length, remove, state, out);
        } else if diverted && f.kin_named && d.kin < n.kin_care_when_diverted.get() {
            out.events.push(Event::KinshipArrangementMade {
                family,
                order: FinalOrder::ChildArrangements,
            });
            self.close(
                now,
                family,
                episode,
                ClosureReason::KinshipArrangement,
                state,
                out,
            );
        } else {
            self.enter_family_help(now, family, episode, state, out);
        }
    }

    /// Proceedings end with a final order.
    pub(super) fn proceedings_end(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family(family) else {
            return;
        };
        if f.episode != episode || !f.proceedings {
            return;
        }
        let in_care = f.stage == Stage::InCare;
        let d = self.proceedings_draws(now, family, episode);
        let s = self.at(now);
        let mut weights = if in_care {
            s.proceedings.orders_in_care.weights()
        } else {
            s.proceedings.orders_at_home.weights()
        };
        if f.whole_age_at(family, now) > s.care.adoption_max_age {
            weights[FinalOrder::PlacementOrder as usize] = 0.0;
        }
        let order = if now + DAY >= f.turns_18_at(family) || weights.iter().sum::<f64>() <= 0.0 {
            FinalOrder::Supervision
        } else {
            FinalOrder::ALL[pick(&weights, d.order)]
        };
        out.events.push(Event::ProceedingsEnded { family, order });
        match (order, in_care) {
            (FinalOrder::CareOrder | FinalOrder::PlacementOrder, true) => {
                let legal = order.legal_status().expect("a care or placement order");
                out.events.push(Event::LegalStatusChanged { family, legal });
                // Time in care counts from entry; at least a day after the order.
                let stay = self.care_draws(f.stage_since(), family, episode, f).stay;
                let leaves = (f.stage_since() + stay).max(now + DAY);
                self.schedule_leaving_care(now, family, episode, f, leaves - now, out);
            }
            (FinalOrder::CareOrder | FinalOrder::PlacementOrder, false) => {
                let legal = order.legal_status().expect("a care or placement order");
                self.enter_care(
                    now,
                    family,
                    f,
                    CareRoute::Proceedings,
                    legal,
                    f.kin_named,
                    state,
                    out,
                );
            }
            (FinalOrder::SpecialGuardianship | FinalOrder::ChildArrangements, true) => {
                out.events.push(Event::LeftCare {
                    family,
                    exit: CareExit::SpecialGuardianship,
                });
                self.close(
                    now,
                    family,
                    episode,
                    ClosureReason::SpecialGuardianship,
                    state,
                    out,
                );
            }
            (FinalOrder::SpecialGuardianship | FinalOrder::ChildArrangements, false) => {
                out.events
                    .push(Event::KinshipArrangementMade { family, order });
                self.close(
                    now,
                    family,
                    episode,
                    ClosureReason::KinshipArrangement,
                    state,
                    out,
                );
            }
            (FinalOrder::Supervision, true) => {
                let exit = if now >= f.turns_18_at(family) {
                    CareExit::Aged18
                } else {
                    CareExit::Reunified
                };
                self.left_care(now, family, episode, f, exit, state, out);
            }
            (FinalOrder::Supervision, false) => {
                self.enter_family_help(now, family, episode, state, out)
            }
        }
    }

    /// Proceedings already under way when the run starts (a child of the
    /// starting caseload looked after under an interim care order): their
    /// final order is put on the agenda after the time left, drawn as the
    /// proceedings' length (exponential, so as if they had just started),
    /// by the 18th birthday.
    pub(super) fn schedule_proceedings_under_way(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        out: &mut Decisions,
    ) {
        let d = self.proceedings_draws(now, family, f.episode);
        let ends = (now + d.length).min(f.turns_18_at(family).max(now + 1));
        out.schedule
            .push((ends, Happening::ProceedingsEnd(family, f.episode)));
    }

    /// The legal status of an emergency entry, and when it runs out.
    pub(super) fn schedule_emergency_end(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
        out: &mut Decisions,
    ) {
        let d = self.proceedings_draws(now, family, episode);
        let ends = (now + d.emergency_length).min(f.turns_18_at(family).max(now + 1));
        out.schedule
            .push((ends, Happening::EmergencyEnds(family, episode)));
    }

    /// The legal status an emergency entry starts under.
    pub(super) fn emergency_status(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
    ) -> LegalStatus {
        let d = self.proceedings_draws(now, family, episode);
        if d.epo
            < self
                .at(now)
                .proceedings
                .emergency_protection_order_share
                .get()
        {
            LegalStatus::EmergencyProtection
        } else {
            LegalStatus::PoliceProtection
        }
    }

    /// Police protection or an emergency protection order runs out:
    /// proceedings (interim care order), section 20, or home.
    pub(super) fn emergency_ends(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InCare, episode) else {
            return;
        };
        if !matches!(
            f.legal,
            Some(LegalStatus::PoliceProtection | LegalStatus::EmergencyProtection)
        ) {
            return;
        }
        let d = self.proceedings_draws(now, family, episode);
        let p = &self.at(now).proceedings;
        let adult = now + DAY >= f.turns_18_at(family);
        let u = d.after_emergency;
        if !adult && u < p.issue_after_emergency.get() {
            // Already in care: the interim order replaces the emergency one.
            self.issue_proceedings(now, family, f, d.length, false, state, out);
            out.events.push(Event::LegalStatusChanged {
                family,
                legal: LegalStatus::InterimCareOrder,
            });
        } else if !adult
            && (u - p.issue_after_emergency.get())
                < (1.0 - p.issue_after_emergency.get()) * p.section20_after_emergency.get()
        {
            out.events.push(Event::LegalStatusChanged {
                family,
                legal: LegalStatus::Section20,
            });
            let stay = self.care_draws(f.stage_since(), family, episode, f).stay;
            let stay = self.voluntary_stay(now, stay);
            self.schedule_leaving_care(now, family, episode, f, stay, out);
        } else {
            let exit = if now >= f.turns_18_at(family) {
                CareExit::Aged18
            } else {
                CareExit::Reunified
            };
            self.left_care(now, family, episode, f, exit, state, out);
        }
    }
}

/// The index a uniform `u` picks from relative `weights` (their sum > 0).
fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = u * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}
