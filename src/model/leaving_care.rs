//! Young people leaving care at 18 (with a scenario's `care.leaving_care`).
//!
//! When a young person leaves care on their 18th birthday (`LeftCare` with
//! the family's youngest, `SiblingLeftCare` with an older brother or
//! sister), `CareLeaver` records whether they have a lasting relationship
//! with a trusted adult, and support may start: staying put with their
//! foster carers (kin, in-house or agency), staying close to the
//! children's home they left, and family finding, befriending or mentoring
//! for a year. Staying put and staying close last an exponential time with
//! the scenario's mean, ending at 21 at the latest; their weekly costs are
//! on the placements line of the ledger while they last.
//!
//! Draws come from (LeavingCare, family, episode << 8 | children still
//! under 18 in care), in a fixed order: stays or not, how long, mentored or
//! not, lasting relationship.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{Event, FamilyId, LeavingCareSupport, Placement};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::AGE_YEAR;

impl Model {
    /// A young person of `family` left `placement` at 18 now, with `rest`
    /// brothers and sisters still in care: their outcome and support.
    pub(super) fn care_leaver(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        placement: Option<Placement>,
        rest: u8,
        out: &mut Decisions,
    ) {
        let Some(l) = &self.at(now).care.leaving_care else {
            return;
        };
        let mut s = self.streams.stream(
            Purpose::LeavingCare,
            u64::from(family.0),
            u32::from(episode) << 8 | u32::from(rest),
        );
        let (stay, share, pounds) = match placement {
            Some(Placement::Residential) => (
                LeavingCareSupport::StayingClose,
                l.staying_close_share.get(),
                l.staying_close_weekly_pounds.get(),
            ),
            _ => (
                LeavingCareSupport::StayingPut,
                l.staying_put_share.get(),
                l.staying_put_weekly_pounds.get(),
            ),
        };
        let stays = s.uniform() < share;
        let years = s.exponential(l.years_mean.get()).min(3.0);
        let mentored = s.uniform() < l.mentoring_share.get();
        let u = s.uniform();
        let lasting = u < l.lasting_relationship_share.get()
            || (mentored
                && u < l.lasting_relationship_share.get()
                    + (1.0 - l.lasting_relationship_share.get())
                        * l.mentoring_lasting_relationship.get());
        out.events.push(Event::CareLeaver {
            family,
            lasting_relationship: lasting,
        });
        let horizon = self.calendar.horizon();
        let start = |support, pounds: f64, until: Minute, out: &mut Decisions| {
            let weekly_pence = libm::round(pounds * 100.0).min(f64::from(u32::MAX)) as u32;
            if weekly_pence == 0 {
                return;
            }
            out.events.push(Event::LeavingCareSupportStarted {
                family,
                support,
                weekly_pence,
            });
            if until < horizon {
                out.schedule.push((
                    until,
                    Happening::LeavingCareSupportEnds(support, weekly_pence),
                ));
            }
        };
        if stays {
            let until = now + ((years * AGE_YEAR as f64) as Minute).max(DAY);
            start(stay, pounds, until.min(now + 3 * AGE_YEAR), out);
        }
        if mentored {
            start(
                LeavingCareSupport::Mentoring,
                l.mentoring_weekly_pounds.get(),
                now + AGE_YEAR,
                out,
            );
        }
    }
}
