//! Exports of a log in the formats modellers already use: the statutory
//! data returns (SSDA903 for children looked after, the children in need
//! census) and every event as CSV or JSON lines.
//!
//! The returns are built by reading the log once, keeping each open
//! family's current referral (one CIN episode per child) and its children's
//! periods of care, and writing one set of files per collection year (1
//! April to 31 March) holding every episode open at any time in it. What
//! the model does not know is left blank rather than made up (sex,
//! ethnicity, postcodes), and a few fields are derived and say so:
//!
//! * the returns count children, as the run's summary does: a family's
//!   children are numbered from the youngest (0) up, and the ones under 18
//!   are the youngest few. Child `k` of family `f` has the id `f` when it
//!   is the youngest and `fSk` otherwise (family 1234's children are
//!   `1234`, `1234S1`, `1234S2`, …): letters and digits only (the CIN
//!   census's rule 1580), stable for the whole run, never shared (a family
//!   id is digits only), and within SSDA903's `CHILD` and the CIN
//!   census's `LAchildID` (strings of up to 10 characters) while family
//!   ids have at most 7 digits (ten million families) and the model draws
//!   at most 12 children a family;
//! * a date of birth is derived from the child's age as the model counts
//!   it (`Family::child_turns_18_at`: the youngest's age at the first
//!   referral and a day of the year fixed by the family id, siblings whole
//!   years of 365.25 days older): the day 18 calendar years before the day
//!   the model has the child turn 18 (28 February for a 29 February), so a
//!   child leaving care on its 18th birthday (`E8`) is 18 on that date;
//! * every child under 18 at a referral has a CIN episode, and the
//!   family's assessments, enquiries, conferences and plans are each
//!   copied to the episodes of the children under 18 at the time (the
//!   ones the summary counts; a plan ends for every child it began for).
//!   The family's case closing closes them all, except that a child who
//!   turned 18 while the case stayed open has its episode closed on its
//!   18th birthday, or when a plan that went on past it ended (`RC7`, as
//!   a case closed for the youngest turning 18; `RC6` for a child leaving
//!   care then);
//! * a re-referral on the day the family's last referral both came and
//!   closed continues that referral's CIN episodes (the census has no two
//!   referrals of a child starting on one day: rule 8820), though the
//!   run's summary counts it as a referral ([`Returns::continued`]);
//! * a period of care starts with one episode with `RNE` = `S` (a sibling
//!   group has one each, in the same placement); a change of legal status,
//!   which applies to every child of the family in care, starts a new one
//!   (`RNE` = `L`), and so does a placement move (`RNE` = `P`, a change of
//!   placement and carer), the one before ending with `REC` = `X1` (and,
//!   for a move, a `REASON_PLACE_CHANGE`); no episode lasts under a day
//!   (SSDA903 rule 355): of several changes on one day only the last is
//!   recorded (`RNE` = `B` when the legal status and the placement both
//!   changed), a change on the day the child left is not, and a period of
//!   care that began and ended on one day is left out
//!   ([`Returns::under_a_day`]);
//! * a child adopted left care from its placement for adoption (`A6`, or
//!   `A4` without a placement order), taken to be the placement it left
//!   from; special guardianship ends a kinship placement with `E45`, a
//!   foster placement with `E46` and a residential one with `E47`;
//! * an older child of a sibling group in care leaves on its 18th birthday
//!   (`SiblingLeftCare`, `REC` = `E8`); the rest leave together; a young
//!   person leaving at 18 who stays put with their carers has `REC` =
//!   `E17`, one staying close to their children's home `E5` (independent
//!   living with support);
//! * legal status (`LS`): as the log records it (`LegalStatusChanged`),
//!   and `C2` (full care order) for a child already looked after when the
//!   run starts;
//! * category of need `N1` (abuse or neglect) for children looked after; in
//!   the CIN census, `N1` where a section 47 enquiry was held, else `N8`.
//!
//! Field names and codes follow the DfE's SSDA903 return guidance for
//! 2024 to 2025 and the children in need census specification for 2024 to
//! 2025 (a subset of their fields: those the model produces).

use crate::model::event::LeavingCareSupport;
use std::fmt::Write as _;
use std::io::Read;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::analysis::text::write_csv_record;
use crate::engine::log::{LogError, LogReader};
use crate::engine::stream::Streams;
use crate::model::calendar::{Calendar, CivilDate, Minute, DAY};
use crate::model::demographics;
use crate::model::event::{
    Attributes, CareExit, CareRoute, ClosureReason, Event, FamilyId, OpenStage, Placement,
    RiskFactors, Timed, TriageDecision,
};
use crate::model::scenario::{Scenario, ScenarioError};
use crate::model::state::{Family, Stage};

/// An export that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The log could not be read.
    #[error("{0}")]
    Log(#[from] LogError),
    /// The scenario inside the log is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// The log continues a snapshot, so the returns would miss what was open before it.
    #[error("this log starts at minute {0}, not at the run's start: it continues a snapshot (a branch), so its returns would miss every case open before it; export the whole run's log")]
    NotWholeRun(Minute),
}

/// One event as a JSON line: `{"at":…,"date":"2024-04-01 09:30","event":{…}}`.
pub fn event_json(cal: &Calendar, t: &Timed) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        at: Minute,
        date: String,
        event: &'a Event,
    }
    serde_json::to_string(&Line {
        at: t.at,
        date: stamp(cal, t.at),
        event: &t.event,
    })
    .expect("events serialise")
}

/// A minute as `2024-04-01 09:30`.
pub fn stamp(cal: &Calendar, at: Minute) -> String {
    let day_minute = at % crate::model::calendar::DAY;
    format!(
        "{} {:02}:{:02}",
        cal.date(at),
        day_minute / 60,
        day_minute % 60
    )
}

/// Every event as CSV: minute, date, event, family, and the event's fields as JSON.
pub fn events_csv<R: Read>(log: R) -> Result<String, ExportError> {
    let mut reader = LogReader::open(log)?;
    let cal = Scenario::parse(&reader.header().scenario, "the scenario inside the log")?.calendar();
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = write_csv_record(&mut w, ["minute", "date", "event", "family", "fields"]);
    while let Some(t) = reader.next_event::<Event>()? {
        let fields = serde_json::to_value(&t.event)
            .ok()
            .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
            .map_or_else(String::new, |v| v.to_string());
        let _ = write_csv_record(
            &mut w,
            [
                t.at.to_string(),
                stamp(&cal, t.at),
                t.event.name().to_string(),
                t.event
                    .family()
                    .map_or_else(String::new, |f| f.0.to_string()),
                fields,
            ],
        );
    }
    let bytes = w.into_inner().unwrap_or_default();
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8"))
}

/// Every event as JSON lines (as `familyflow events --json`).
pub fn events_jsonl<R: Read>(log: R) -> Result<String, ExportError> {
    let mut reader = LogReader::open(log)?;
    let cal = Scenario::parse(&reader.header().scenario, "the scenario inside the log")?.calendar();
    let mut out = String::new();
    while let Some(t) = reader.next_event()? {
        out.push_str(&event_json(&cal, &t));
        out.push('\n');
    }
    Ok(out)
}

/// A child in the returns: child number `index` of a family, counting from
/// the youngest (0). Written as the family id for the youngest and
/// `familySindex` for an older brother or sister (see the module notes).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChildId {
    /// The family.
    pub family: FamilyId,
    /// Which of its children: 0 the youngest.
    pub index: u8,
}

impl std::fmt::Display for ChildId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            0 => write!(f, "{}", self.family.0),
            k => write!(f, "{}S{k}", self.family.0),
        }
    }
}

/// A period of care of one child, or part of one under one legal status
/// (one SSDA903 episode).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CareEpisode {
    /// The child.
    pub child: ChildId,
    /// Date of birth (derived).
    pub dob: CivilDate,
    /// Start (`DECOM`).
    pub start: CivilDate,
    /// Why the episode started (`RNE`): `S` a new period of care, `L` a
    /// change of legal status, `P` a change of placement and carer.
    pub reason_new: &'static str,
    /// Legal status (`LS`).
    pub legal_status: &'static str,
    /// Placement (`PLACE`).
    pub place: &'static str,
    /// Placement provider (`PLACE_PROVIDER`).
    pub provider: &'static str,
    /// End (`DEC`) and reason (`REC`), if it ended.
    pub end: Option<(CivilDate, &'static str)>,
}

/// A section 47 enquiry in a CIN episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enquiry {
    /// Its start (the strategy discussion).
    pub start: CivilDate,
    /// The initial conference, if held.
    pub conference: Option<CivilDate>,
    /// True when the enquiry ended without a conference.
    pub conference_not_required: bool,
    /// The day the enquiry ended, if it has.
    pub completed: Option<CivilDate>,
}

impl Enquiry {
    /// The day the enquiry and the conference it led to were over (None
    /// while either is to come).
    pub fn over(&self) -> Option<CivilDate> {
        if self.conference_not_required {
            self.completed
        } else {
            self.conference
        }
    }
}

/// A child protection plan in a CIN episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Start.
    pub start: CivilDate,
    /// End, if it ended.
    pub end: Option<CivilDate>,
    /// Plans the child had before this one.
    pub previous: u32,
}

/// One child's part in one referral and what followed it (a CIN census
/// `CINdetails`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CinEpisode {
    /// The child.
    pub child: ChildId,
    /// Date of birth (derived).
    pub dob: CivilDate,
    /// The day the child turns 18 as the model counts ages: the episode
    /// closes then if its family's case is still open (or when a plan that
    /// went on past it ends).
    pub turns_18: CivilDate,
    /// Referral date.
    pub referral: CivilDate,
    /// True when the front door took no further action.
    pub nfa: bool,
    /// Assessments: start and completion.
    pub assessments: Vec<(CivilDate, Option<CivilDate>)>,
    /// Section 47 enquiries.
    pub enquiries: Vec<Enquiry>,
    /// Child protection plans.
    pub plans: Vec<Plan>,
    /// Closure date and reason (`RC1` to `RC9`), if it closed.
    pub closure: Option<(CivilDate, &'static str)>,
    /// The family's risk factors, as a completed assessment finds them.
    pub factors: RiskFactors,
}

impl CinEpisode {
    /// A referral of `child` on `referral`, with nothing after it yet.
    fn new(child: Child, referral: CivilDate) -> Self {
        CinEpisode {
            child: child.id,
            dob: child.dob,
            turns_18: child.turns_18,
            referral,
            nfa: false,
            assessments: Vec::new(),
            enquiries: Vec::new(),
            plans: Vec::new(),
            closure: None,
            factors: RiskFactors::default(),
        }
    }

    /// When the child, 18 now, stops being a child in need while its
    /// family's case stays open: on its 18th birthday, or when a child
    /// protection plan that went on past it ended (None while it goes on).
    fn adult_from(&self) -> Option<CivilDate> {
        match self.plans.last() {
            Some(p) => p.end.map(|end| end.max(self.turns_18)),
            None => Some(self.turns_18),
        }
    }

    /// An assessment is under way from `day` (family help or an enquiry
    /// starts): the one under way goes on; one that ended today goes on
    /// (rule 8863Q: none starts while another goes on, the day it ends
    /// included), unless it began more than 45 days ago (rule 8736: an
    /// assessment still open at 31 March began in that year), when it is
    /// recorded as ended the day before and a new one starts; else one
    /// starts.
    fn assessment_goes_on(&mut self, day: CivilDate) {
        let recent = day.plus_days(-45).unwrap_or(day);
        let yesterday = day.plus_days(-1).unwrap_or(day);
        match self.assessments.last_mut() {
            Some((_, None)) => {}
            Some((start, end)) if *end == Some(day) && *start >= recent => *end = None,
            Some((start, end)) if *end == Some(day) && *start <= yesterday => {
                *end = Some(yesterday);
                self.assessments.push((day, None));
            }
            Some((_, Some(d))) if *d >= day => {}
            _ => self.assessments.push((day, None)),
        }
    }

    /// An assessment still going on is over on `day`.
    fn assessment_over(&mut self, day: CivilDate) {
        if self.closure.is_none() {
            for (_, done) in &mut self.assessments {
                done.get_or_insert(day);
            }
        }
    }

    /// Closes the episode on `day` for `reason`; its plans end with it at
    /// the latest.
    ///
    /// `RC8` and `RC9` say the case closed after an assessment and nothing
    /// more: a closure with no assessment completed (rule 8825Q), or after
    /// an enquiry or a plan (rule 2990), is `RC7` instead (services ceased,
    /// the child no longer in need).
    fn close(&mut self, day: CivilDate, reason: &'static str) {
        let assessed = self.assessments.iter().any(|(_, done)| done.is_some());
        let reason = match reason {
            "RC8" | "RC9" if !assessed || !self.enquiries.is_empty() || !self.plans.is_empty() => {
                "RC7"
            }
            r => r,
        };
        self.closure = Some((day, reason));
        for p in &mut self.plans {
            p.end.get_or_insert(day);
        }
        // What was under way for the child ends with its episode (it
        // turned 18, or the case closed): an assessment is over then
        // (rule 8867), and an enquiry needs no conference for it (8868).
        for (_, done) in &mut self.assessments {
            *done = Some(done.map_or(day, |d| d.min(day)));
        }
        for s in self.enquiries.iter_mut().filter(|s| s.over().is_none()) {
            s.conference_not_required = true;
            s.completed.get_or_insert(day);
        }
    }
}

/// Everything the returns need, gathered from a log.
#[derive(Clone, Debug, Default)]
pub struct Returns {
    /// Episodes of care, in the order they started (a sibling group's
    /// youngest first).
    pub care: Vec<CareEpisode>,
    /// CIN episodes, in the order the referrals came (a family's youngest
    /// child first).
    pub cin: Vec<CinEpisode>,
    /// Periods of care that began and ended on one day: not in the
    /// SSDA903 return, which has no episode under 24 hours (rule 355),
    /// though the run's summary counts their entries and exits.
    pub under_a_day: Vec<CareEpisode>,
    /// Referrals that continued a CIN episode (one for each child): a
    /// re-referral on the day the last referral both came and closed
    /// (rule 8820). The run's summary counts them as referrals; the
    /// census does not.
    pub continued: Vec<(ChildId, CivilDate)>,
    /// The collection years the run covers (`2024-25` …), with their first and last days.
    pub years: Vec<(String, CivilDate, CivilDate)>,
    /// The run's seed: children's characteristics are drawn from its
    /// streams ([`demographics::of_child`]).
    pub seed: u64,
}

/// Where an event falls: the run's first day, the event's minute and its date.
#[derive(Copy, Clone)]
struct Now {
    start: CivilDate,
    at: Minute,
    day: CivilDate,
}

/// A child's id and the dates its age is counted from.
#[derive(Copy, Clone)]
struct Child {
    id: ChildId,
    dob: CivilDate,
    turns_18: CivilDate,
}

/// What the export keeps of a family while its case is open. A family's
/// episodes of one kind are pushed together, youngest child first, so a
/// first index and a count find them all without a list.
#[derive(Default)]
struct Open {
    /// Its attributes and the minute it was first known (its children's
    /// ages count from these, as [`Family`] counts them).
    known: Option<(Attributes, Minute)>,
    /// The current referral's CIN episodes: the youngest child's, and how
    /// many (one for each child under 18 at the referral).
    cin: Option<(usize, u8)>,
    /// The last referral's CIN episodes once its case has closed, as
    /// `cin` held them.
    closed_cin: Option<(usize, u8)>,
    /// The youngest child's current episode of care; child `k` in care has
    /// the one `k` after it.
    care: usize,
    /// Children in care now (the youngest ones).
    in_care: u8,
    plans_before: u32,
    placement: Option<Placement>,
    /// A period of care just started: the next legal status is its first.
    entering: bool,
    /// Episodes of the children who just left care at 18, in the order
    /// their `CareLeaver` events come.
    leavers: Vec<usize>,
    /// The episode of the care leaver whose support events come now.
    leaver: Option<usize>,
}

impl Open {
    /// The family as the model knows it (for its children's ages).
    fn family(&self) -> Option<Family> {
        self.known
            .map(|(attributes, first)| Family::new(attributes, Stage::Between, first))
    }

    /// How many of the family's children are under 18 at `at` (the
    /// youngest ones; 1 for a family not seen before, as the summary
    /// counts it).
    fn under_18(&self, id: FamilyId, at: Minute) -> u8 {
        self.family().map_or(1, |f| f.children_under_18(id, at))
    }

    /// Child `k` of family `id` (born now if the family was not seen before).
    fn child(&self, id: FamilyId, k: u8, now: Now) -> Child {
        let (dob, turns_18) = match self.family() {
            Some(f) => {
                let turns_18 = now
                    .start
                    .plus_days((f.child_turns_18_at(id, k) / DAY) as i64)
                    .unwrap_or(now.start);
                (years_later(turns_18, -18), turns_18)
            }
            None => (now.day, years_later(now.day, 18)),
        };
        Child {
            id: ChildId {
                family: id,
                index: k,
            },
            dob,
            turns_18,
        }
    }

    /// The current referral's CIN episodes of the children under 18 at `at`.
    fn cin_under_18(&self, id: FamilyId, at: Minute) -> std::ops::Range<usize> {
        self.cin.map_or(0..0, |(i, n)| {
            i..i + usize::from(n.min(self.under_18(id, at)))
        })
    }

    /// All the current referral's CIN episodes.
    fn cin_all(&self) -> std::ops::Range<usize> {
        self.cin.map_or(0..0, |(i, n)| i..i + usize::from(n))
    }

    /// The current episodes of the children in care, youngest first.
    fn in_care(&self) -> std::ops::Range<usize> {
        self.care..self.care + usize::from(self.in_care)
    }

    /// A referral: a CIN episode for each child under 18 now.
    ///
    /// A referral on the day the last one both came and closed goes on
    /// with that one, reopened: the census has at most one referral of a
    /// child starting on a day (rule 8820: a child's CIN episodes do not
    /// overlap, and two starting on one day overlap unless the later one
    /// is closed that day too).
    fn referred(&mut self, r: &mut Returns, id: FamilyId, now: Now) {
        let n = self.under_18(id, now.at);
        if let Some((i, was)) = self.closed_cin.take() {
            let same_day = |e: &CinEpisode| {
                e.referral == now.day && e.closure.is_some_and(|(d, _)| d == now.day)
            };
            let n = n.min(was);
            if n > 0 && r.cin[i..i + usize::from(n)].iter().all(same_day) {
                for k in i..i + usize::from(n) {
                    let e = &mut r.cin[k];
                    e.closure = None;
                    e.nfa = false;
                    r.continued.push((e.child, now.day));
                }
                self.cin = Some((i, n));
                return;
            }
        }
        self.cin = (n > 0).then_some((r.cin.len(), n));
        let factors = self.known.map(|(a, _)| a.risk_factors).unwrap_or_default();
        for k in 0..n {
            let mut e = CinEpisode::new(self.child(id, k, now), now.day);
            e.factors = factors;
            r.cin.push(e);
        }
    }

    /// The youngest `n` children come into care now: an episode each.
    fn entered_care(
        &mut self,
        r: &mut Returns,
        id: FamilyId,
        now: Now,
        n: u8,
        placement: Placement,
        legal_status: &'static str,
    ) {
        let (place, provider) = place(placement);
        self.care = r.care.len();
        self.in_care = n;
        self.placement = Some(placement);
        for k in 0..n {
            let child = self.child(id, k, now);
            r.care.push(CareEpisode {
                child: child.id,
                dob: child.dob,
                start: now.day,
                reason_new: "S",
                legal_status,
                place,
                provider,
                end: None,
            });
        }
    }
}

/// The same day `years` calendar years later (28 February for a 29
/// February in a year without one).
fn years_later(d: CivilDate, years: i32) -> CivilDate {
    let y = d.year() + years;
    CivilDate::new(y, d.month(), d.day())
        .or_else(|| CivilDate::new(y, 2, 28))
        .unwrap_or(d)
}

/// A change (`RNE` `L` legal status, `P` placement and carer) to the
/// current episodes `current` (a family's children in care, whose episodes
/// all started together) on `day`: each ends (`X1`) and a new one starts,
/// changed by `change`. Returns where the new episodes are.
///
/// An episode lasts a day at least (SSDA903 rule 355: none under 24 hours),
/// and only the last of several changes on one day is recorded: a change
/// on the day the episodes started changes them instead, their `RNE`
/// saying what changed that day (`S` stays `S`; a change of legal status
/// and of placement on one day is `B`).
fn changed(
    r: &mut Returns,
    current: std::ops::Range<usize>,
    day: CivilDate,
    reason_new: &'static str,
    change: impl Fn(&mut CareEpisode),
) -> usize {
    let first = current.start;
    if r.care.get(first).is_some_and(|e| e.start == day) {
        for e in &mut r.care[current] {
            change(e);
            e.reason_new = match (e.reason_new, reason_new) {
                ("S", _) => "S",
                (was, now) if was == now => now,
                _ => "B",
            };
        }
        return first;
    }
    let next = r.care.len();
    for i in current {
        r.care[i].end = Some((day, "X1"));
        let mut e = CareEpisode {
            start: day,
            reason_new,
            end: None,
            ..r.care[i]
        };
        change(&mut e);
        r.care.push(e);
    }
    next
}

/// A child adopted lived with its adopters when the adoption order was
/// made, so the episode it leaves care from is its placement for adoption
/// (SSDA903 rule 390: `E11` only from `A3` to `A6`). The model has no
/// separate move to adopters, so the placement is taken as not with the
/// child's foster carers (`A6` under a placement order, `E1`; `A4` with
/// consent under any other status, rule 408), from the episode's start; an
/// episode that began with a change of legal status alone now begins with
/// a change of legal status and placement (`B`, rule 434).
fn placed_for_adoption(e: &mut CareEpisode) {
    e.place = if e.legal_status == "E1" { "A6" } else { "A4" };
    if e.reason_new == "L" {
        e.reason_new = "B";
    }
}

fn place(p: Placement) -> (&'static str, &'static str) {
    match p {
        Placement::Kinship => ("U1", "PR1"),
        Placement::InHouseFoster => ("U4", "PR1"),
        Placement::AgencyFoster => ("U4", "PR4"),
        Placement::Residential => ("K2", "PR4"),
    }
}

fn reason_ceased(exit: CareExit, placement: Option<Placement>) -> &'static str {
    match exit {
        CareExit::Reunified => "E4A",
        // Special guardianship to former foster carers who are kin (`E45`)
        // or not (`E46`); from a children's home to carers who were not
        // the child's foster carers (rule 516), taken to be kin, as most
        // special guardians are (`E47`).
        CareExit::SpecialGuardianship => match placement {
            Some(Placement::Kinship) => "E45",
            Some(Placement::InHouseFoster | Placement::AgencyFoster) => "E46",
            Some(Placement::Residential) | None => "E47",
        },
        CareExit::Adopted => "E11",
        CareExit::Aged18 => "E8",
    }
}

fn closure_code(r: ClosureReason) -> &'static str {
    match r {
        ClosureReason::NoFurtherAction | ClosureReason::NotInNeed | ClosureReason::AfterEnquiry => {
            "RC8"
        }
        ClosureReason::UniversalServices => "RC9",
        ClosureReason::Adopted => "RC1",
        ClosureReason::SpecialGuardianship | ClosureReason::KinshipArrangement => "RC4",
        ClosureReason::Aged18 => "RC6",
        ClosureReason::NeedMet
        | ClosureReason::NeedUnmet
        | ClosureReason::Disengaged
        | ClosureReason::Adult
        | ClosureReason::Reunified
        | ClosureReason::ToChildProtection
        | ClosureReason::ToCareProceedings => "RC7",
    }
}

impl Returns {
    /// Reads a log and gathers every CIN episode and episode of care.
    pub fn from_log<R: Read>(log: R) -> Result<Returns, ExportError> {
        let mut reader = LogReader::open(log)?;
        let scenario = Scenario::parse(&reader.header().scenario, "the scenario inside the log")?;
        let cal = scenario.calendar();
        let mut r = Returns {
            seed: reader.header().seed,
            ..Returns::default()
        };
        let mut open: FxHashMap<FamilyId, Open> = FxHashMap::default();
        let mut first = true;
        while let Some(t) = reader.next_event::<Event>()? {
            if std::mem::take(&mut first) && t.at > 0 {
                return Err(ExportError::NotWholeRun(t.at));
            }
            let Some(family) = t.event.family() else {
                continue;
            };
            let day = cal.date(t.at);
            let now = Now {
                start: cal.start(),
                at: t.at,
                day,
            };
            let o = open.entry(family).or_default();
            match t.event {
                Event::UnaccompaniedChildArrived { attributes, .. } => {
                    o.known = Some((attributes, t.at));
                }
                Event::FamilyReferred { attributes, .. } => {
                    o.known = Some((attributes, t.at));
                    o.referred(&mut r, family, now);
                }
                // Closed before the start: no episode until it is referred again.
                Event::ClosedBeforeStart {
                    attributes,
                    rereferral_due,
                    ..
                } => {
                    o.known = Some((attributes, t.at));
                    if rereferral_due.is_none() {
                        open.remove(&family);
                    }
                }
                Event::FamilyOpened {
                    attributes,
                    stage,
                    placement,
                    ..
                } => {
                    o.known = Some((attributes, t.at));
                    o.referred(&mut r, family, now);
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        match stage {
                            OpenStage::InEnquiry | OpenStage::AwaitingConference => {
                                let done = (stage == OpenStage::AwaitingConference).then_some(day);
                                cin.assessments.push((day, done));
                                cin.enquiries.push(Enquiry {
                                    start: day,
                                    conference: None,
                                    conference_not_required: false,
                                    completed: None,
                                })
                            }
                            OpenStage::OnPlan => cin.plans.push(Plan {
                                start: day,
                                end: None,
                                previous: 0,
                            }),
                            OpenStage::InHelp => cin.assessments.push((day, Some(day))),
                            OpenStage::WaitingForHelp
                            | OpenStage::LookedAfter
                            | OpenStage::PreProceedings => {}
                        }
                    }
                    if stage == OpenStage::OnPlan {
                        o.plans_before += 1;
                    }
                    if let Some((p, _)) = placement {
                        let n = Family::new(attributes, Stage::InCare, t.at)
                            .looked_after_when_opened(family, t.at);
                        o.entered_care(&mut r, family, now, n, p, "C2");
                    }
                }
                // An escalation from the waiting list is a new contact on the
                // open case, not a new referral (as the summary counts it):
                // its enquiry belongs to the open CIN episodes.
                Event::FamilyReReferred { .. } => o.referred(&mut r, family, now),
                Event::TriageDecided { decision, .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        cin.nfa = decision == TriageDecision::NoFurtherAction;
                    }
                }
                // Family help starts with an assessment, unless one is under
                // way or ended today (an enquiry's): that one goes on (rule
                // 8863Q: none starts while another goes on, the day it
                // ends included).
                Event::FamilyHelpStarted { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        if cin.closure.is_none() {
                            cin.assessment_goes_on(day);
                        }
                    }
                }
                Event::AssessmentCompleted { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        if let Some(a) = cin.assessments.last_mut() {
                            a.1 = Some(day);
                        }
                    }
                }
                // An assessment is over when the family help holding it
                // ends, unless an enquiry takes it on (below).
                Event::FamilyHelpEnded { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        cin.assessment_over(day);
                    }
                }
                // A section 47 enquiry is made through an assessment
                // (Working Together 2023): the one under way goes on with
                // the enquiry, or one starts with it (rule 2991Q: no
                // enquiry without an assessment), and it is over when the
                // enquiry is (at the conference, if one is held).
                Event::S47Started { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        if cin.closure.is_some() {
                            continue;
                        }
                        cin.assessment_goes_on(day);
                        cin.enquiries.push(Enquiry {
                            start: day,
                            conference: None,
                            conference_not_required: false,
                            completed: None,
                        });
                    }
                }
                Event::S47Completed { conference, .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        if !conference {
                            cin.assessment_over(day);
                        }
                        if let Some(e) = cin.enquiries.last_mut() {
                            e.conference_not_required = !conference;
                            e.completed = Some(day);
                        }
                    }
                }
                Event::ConferenceHeld { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        cin.assessment_over(day);
                        if let Some(e) = cin.enquiries.last_mut() {
                            e.conference = Some(day);
                        }
                    }
                }
                Event::PlanStarted { .. } => {
                    for cin in &mut r.cin[o.cin_under_18(family, t.at)] {
                        cin.plans.push(Plan {
                            start: day,
                            end: None,
                            previous: o.plans_before,
                        });
                    }
                    o.plans_before += 1;
                }
                // The plan ends for every child it began for (as the
                // summary counts them), 18 now or not.
                Event::PlanEnded { .. } => {
                    for cin in &mut r.cin[o.cin_all()] {
                        if let Some(p) = cin.plans.last_mut().filter(|p| p.end.is_none()) {
                            p.end = Some(day);
                        }
                    }
                }
                Event::EnteredCare {
                    route,
                    placement,
                    children,
                    ..
                } => {
                    o.entering = true;
                    // Set by the `LegalStatusChanged` that follows.
                    let legal_status = match route {
                        CareRoute::Proceedings => "C1",
                        CareRoute::Emergency => "L1",
                        CareRoute::Voluntary | CareRoute::Unaccompanied => "V2",
                    };
                    o.entered_care(&mut r, family, now, children, placement, legal_status);
                }
                Event::LegalStatusChanged { legal, .. } => {
                    let code = legal.code();
                    if std::mem::take(&mut o.entering) {
                        // The status the period of care starts under.
                        for e in &mut r.care[o.in_care()] {
                            e.legal_status = code;
                        }
                    } else if o.in_care > 0 && r.care[o.care].legal_status != code {
                        // New episodes: same placement, new legal status.
                        o.care = changed(&mut r, o.in_care(), day, "L", |e| e.legal_status = code);
                    }
                }
                // A placement move: new episodes, same legal status, new
                // placement and carer (`RNE` = `P`).
                Event::PlacementMoved { placement, .. } if o.in_care > 0 => {
                    let (place, provider) = place(placement);
                    o.care = changed(&mut r, o.in_care(), day, "P", |e| {
                        e.place = place;
                        e.provider = provider;
                    });
                    o.placement = Some(placement);
                }
                // The eldest child in care turned 18 and left: its episode
                // of care and its CIN episode end.
                Event::SiblingLeftCare { .. } => {
                    if let Some(k) = o.in_care.checked_sub(1) {
                        o.in_care = k;
                        r.care[o.care + usize::from(k)].end = Some((day, "E8"));
                        o.leavers = vec![o.care + usize::from(k)];
                        if let Some(cin) = o
                            .cin
                            .filter(|&(_, n)| k < n)
                            .map(|(i, _)| &mut r.cin[i + usize::from(k)])
                        {
                            cin.close(day, closure_code(ClosureReason::Aged18));
                        }
                    }
                }
                Event::LeftCare { exit, .. } => {
                    let rec = reason_ceased(exit, o.placement);
                    for e in &mut r.care[o.in_care()] {
                        e.end = Some((day, rec));
                    }
                    o.leavers = if exit == CareExit::Aged18 {
                        o.in_care().rev().collect()
                    } else {
                        Vec::new()
                    };
                    o.in_care = 0;
                }
                Event::CareLeaver { .. } => {
                    o.leaver = (!o.leavers.is_empty()).then(|| o.leavers.remove(0));
                }
                // A care leaver staying put ends the episode as remaining
                // with their carers (`E17`), one staying close as moving to
                // independent living with support (`E5`).
                Event::LeavingCareSupportStarted { support, .. } => {
                    let rec = match support {
                        LeavingCareSupport::StayingPut => Some("E17"),
                        LeavingCareSupport::StayingClose => Some("E5"),
                        LeavingCareSupport::Mentoring => None,
                    };
                    if let (Some(rec), Some(i)) = (rec, o.leaver) {
                        if let Some((_, code)) = &mut r.care[i].end {
                            *code = rec;
                        }
                    }
                }
                Event::CaseClosed {
                    reason,
                    rereferral_due,
                    ..
                } => {
                    for cin in &mut r.cin[o.cin_all()] {
                        // Closed already if it left care at 18.
                        if cin.closure.is_some() {
                            continue;
                        }
                        match cin.adult_from() {
                            // Turned 18 while the case stayed open.
                            Some(d) if d < day => cin.close(d, closure_code(ClosureReason::Adult)),
                            _ => cin.close(day, closure_code(reason)),
                        }
                    }
                    o.closed_cin = o.cin.take();
                    if rereferral_due.is_none() {
                        open.remove(&family);
                    }
                }
                _ => {}
            }
        }
        r.settle_care();
        // A child who turned 18 in a case still open at the end.
        let end = cal.date(cal.horizon().saturating_sub(1));
        for cin in r.cin.iter_mut().filter(|c| c.closure.is_none()) {
            if let Some(d) = cin.adult_from().filter(|&d| d <= end) {
                cin.close(d, closure_code(ClosureReason::Adult));
            }
        }
        // Collection years from the measured start (none for a burn-in).
        let mut fy = scenario.start.financial_year();
        let last_year = end.financial_year();
        while fy <= last_year {
            let first = fy.first_day();
            let last = CivilDate::new(fy.0 + 1, 3, 31).expect("31 March exists");
            r.years.push((fy.to_string(), first, last));
            fy = crate::model::calendar::FinancialYear(fy.0 + 1);
        }
        Ok(r)
    }

    /// Leaves out what lasted under a day (SSDA903 rule 355: no episode
    /// under 24 hours) and gives each way out the codes its placement
    /// allows.
    ///
    /// * A period of care that began and ended on one day is not an
    ///   episode (it is kept in [`Returns::under_a_day`]).
    /// * A change of placement or legal status on the day the child left
    ///   care is not recorded: the episode before ends that day, for the
    ///   reason the child left.
    /// * A child adopted left from its placement for adoption
    ///   ([`placed_for_adoption`]); special guardianship from outside
    ///   foster care is to carers who were not foster carers (`E47`, rule
    ///   516).
    fn settle_care(&mut self) {
        let mut order: Vec<usize> = (0..self.care.len()).collect();
        order.sort_by_key(|&i| (self.care[i].child, self.care[i].start, i));
        let mut keep = vec![true; self.care.len()];
        for (w, &i) in order.iter().enumerate() {
            let e = self.care[i];
            let Some((end, rec)) = e.end.filter(|&(d, rec)| d == e.start && rec != "X1") else {
                continue;
            };
            keep[i] = false;
            if e.reason_new == "S" {
                self.under_a_day.push(e);
                continue;
            }
            let before = w.checked_sub(1).map(|v| order[v]);
            if let Some(p) = before.filter(|&p| self.care[p].child == e.child) {
                self.care[p].end = Some((end, rec));
            }
        }
        let mut k = 0;
        self.care.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        self.police_protection_lapses();
        self.adoptions();
        self.changes_as_recorded();
        for e in &mut self.care {
            match e.end {
                Some((d, "E45" | "E46")) if !e.place.starts_with('U') => e.end = Some((d, "E47")),
                _ => {}
            }
        }
    }

    /// A child adopted left care from its placement for adoption
    /// ([`placed_for_adoption`]), and the placement before one for adoption
    /// is foster care (SSDA903 rule 336). A child whose episode before was
    /// not in foster care (a children's home) and who was adopted from a
    /// foster placement is recorded in that placement for its first day and
    /// placed for adoption from the next (`P`, the care plan).
    fn adoptions(&mut self) {
        let mut order: Vec<usize> = (0..self.care.len()).collect();
        order.sort_by_key(|&i| (self.care[i].child, self.care[i].start, i));
        for (w, &i) in order.iter().enumerate() {
            let e = self.care[i];
            let Some((end, "E11")) = e.end else {
                continue;
            };
            let before = w
                .checked_sub(1)
                .map(|v| self.care[order[v]])
                .filter(|p| p.child == e.child);
            let fostered_before =
                before.is_none_or(|p| p.place.starts_with('U') || p.place.starts_with('A'));
            match e.start.plus_days(1).filter(|&day| day < end) {
                Some(day) if !fostered_before && e.place.starts_with('U') => {
                    self.care[i].end = Some((day, "X1"));
                    let mut adopted = CareEpisode {
                        start: day,
                        reason_new: "P",
                        ..e
                    };
                    placed_for_adoption(&mut adopted);
                    self.care.push(adopted);
                }
                _ => placed_for_adoption(&mut self.care[i]),
            }
        }
    }

    /// An episode's `RNE` says what the return shows changed (rules 434 to
    /// 436). A move between two carers of one kind on the day the legal
    /// status changed looks, without postcodes or URNs, like no move at all:
    /// `B` is recorded as `L` when the placement and provider are those of
    /// the episode before, and as `P` when the legal status is.
    fn changes_as_recorded(&mut self) {
        let mut order: Vec<usize> = (0..self.care.len()).collect();
        order.sort_by_key(|&i| (self.care[i].child, self.care[i].start, i));
        for w in order.windows(2) {
            let (p, e) = (self.care[w[0]], self.care[w[1]]);
            if e.reason_new != "B" || p.child != e.child || p.end.map(|(d, _)| d) != Some(e.start) {
                continue;
            }
            if (p.place, p.provider) == (e.place, e.provider) {
                self.care[w[1]].reason_new = "L";
            } else if p.legal_status == e.legal_status {
                self.care[w[1]].reason_new = "P";
            }
        }
    }

    /// Police protection lasts 72 hours at most (Children Act 1989 s46;
    /// SSDA903 rule 361), while the model's emergency stay is one length
    /// whichever power is used: a child held under police protection for
    /// more than three days is recorded as held under it for three days and
    /// then under an emergency protection order (`L2`, `RNE` = `L`; `B`
    /// where the placement changed that day too), until the emergency stay
    /// ends.
    fn police_protection_lapses(&mut self) {
        let mut order: Vec<usize> = (0..self.care.len()).collect();
        order.sort_by_key(|&i| (self.care[i].child, self.care[i].start, i));
        let mut cut: Option<(ChildId, CivilDate)> = None;
        // The episode before, as it was: its child, status and end.
        let mut prev: Option<CareEpisode> = None;
        for &i in &order {
            let e = self.care[i];
            // A run of police protection: episodes of one child each
            // starting the day the one before ended.
            let continues = prev.is_some_and(|q| {
                q.child == e.child
                    && q.legal_status == "L1"
                    && q.end.is_some_and(|(d, _)| d == e.start)
            });
            prev = Some(e);
            if e.legal_status != "L1" {
                continue;
            }
            if !continues {
                cut = e.start.plus_days(3).map(|d| (e.child, d));
            }
            let Some((_, cut_day)) = cut.filter(|(c, _)| *c == e.child) else {
                continue;
            };
            if e.start >= cut_day {
                let e = &mut self.care[i];
                e.legal_status = "L2";
                if e.start == cut_day && e.reason_new == "P" {
                    e.reason_new = "B";
                }
            } else if e.end.is_none_or(|(d, _)| d > cut_day) {
                self.care[i].end = Some((cut_day, "X1"));
                self.care.push(CareEpisode {
                    start: cut_day,
                    reason_new: "L",
                    legal_status: "L2",
                    ..e
                });
            }
        }
    }

    /// Periods of care open at any time in a collection year.
    pub fn care_in(&self, first: CivilDate, last: CivilDate) -> Vec<&CareEpisode> {
        self.care
            .iter()
            .filter(|e| e.start <= last && e.end.is_none_or(|(d, _)| d >= first))
            .collect()
    }

    /// CIN episodes open at any time in a collection year.
    pub fn cin_in(&self, first: CivilDate, last: CivilDate) -> Vec<&CinEpisode> {
        self.cin
            .iter()
            .filter(|e| e.referral <= last && e.closure.is_none_or(|(d, _)| d >= first))
            .collect()
    }

    /// SSDA903 `header.csv` and `episodes.csv` for a collection year.
    pub fn ssda903(&self, first: CivilDate, last: CivilDate) -> (String, String) {
        // By child, each child's episodes in the order they started.
        let mut episodes = self.care_in(first, last);
        episodes.sort_by_key(|e| (e.child, e.start));
        let mut header = csv::Writer::from_writer(Vec::new());
        let _ = write_csv_record(
            &mut header,
            ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
        );
        let streams = Streams::new(self.seed);
        for child in episodes.chunk_by(|a, b| a.child == b.child) {
            let id = child[0].child;
            let c = demographics::of_child(&streams, id.family, id.index);
            let _ = write_csv_record(
                &mut header,
                [
                    id.to_string(),
                    c.sex.code().to_string(),
                    dmy(child[0].dob),
                    c.ethnicity.to_string(),
                    demographics::upn(id.family, id.index),
                    String::new(),
                    String::new(),
                ],
            );
        }
        let mut eps = csv::Writer::from_writer(Vec::new());
        let _ = write_csv_record(
            &mut eps,
            [
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ],
        );
        for (k, e) in episodes.iter().enumerate() {
            // An episode still open on 31 March has no end in that year's return.
            let (dec, rec) = match e.end {
                Some((d, rec)) if d <= last => (dmy(d), rec.to_string()),
                _ => (String::new(), String::new()),
            };
            // An episode that ended because the placement changed gives a
            // reason (rule 225; none for one still open, rule 233): the
            // care plan for a placement for adoption, else other (the
            // model does not say why a placement broke down).
            let next = episodes.get(k + 1).filter(|n| n.child == e.child);
            let reason_place_change = match next {
                Some(n) if rec == "X1" && ["P", "B"].contains(&n.reason_new) => {
                    if n.place.starts_with('A') {
                        "CARPL"
                    } else {
                        "OTHER"
                    }
                }
                _ => "",
            };
            let _ = write_csv_record(
                &mut eps,
                [
                    e.child.to_string(),
                    dmy(e.start),
                    e.reason_new.into(),
                    e.legal_status.into(),
                    "N1".into(),
                    e.place.into(),
                    e.provider.into(),
                    dec,
                    rec,
                    reason_place_change.into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            );
        }
        let text = |w: csv::Writer<Vec<u8>>| {
            String::from_utf8(w.into_inner().unwrap_or_default()).expect("ASCII CSV")
        };
        (text(header), text(eps))
    }

    /// The children in need census XML for a collection year.
    ///
    /// Each CIN episode open in the year with what of it was open in the
    /// year: an assessment, enquiry or plan that ended before the year
    /// began was in an earlier year's return (rules 8696, 8715, 8930).
    pub fn cin_xml(&self, year: &str, first: CivilDate, last: CivilDate) -> String {
        // By child, each child's episodes in the order the referrals came.
        let mut episodes = self.cin_in(first, last);
        episodes.sort_by_key(|e| e.child);
        let open_in_year = |start: CivilDate, end: Option<CivilDate>| {
            start <= last && end.is_none_or(|d| d >= first)
        };
        let mut x = String::new();
        let _ = writeln!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let _ = writeln!(x, "<Message>");
        // The return as at the end of the collection year, in the run's
        // time (no wall clock: the same log gives the same file), the
        // first made for the year. The scenario names no local authority,
        // so there is no `LEA`.
        let _ = writeln!(
            x,
            "  <Header>\n    <CollectionDetails>\n      <Collection>CIN</Collection>\n      <Year>{}</Year>\n      <ReferenceDate>{last}</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n      <SoftwareCode>familyflow {}</SoftwareCode>\n      <Release>{year}</Release>\n      <SerialNo>1</SerialNo>\n      <DateTime>{last}T23:59:59</DateTime>\n    </Source>\n  </Header>",
            last.year(),
            crate::VERSION
        );
        let _ = writeln!(x, "  <Children>");
        let streams = Streams::new(self.seed);
        for child in episodes.chunk_by(|a, b| a.child == b.child) {
            let id = child[0].child;
            let c = demographics::of_child(&streams, id.family, id.index);
            let _ = writeln!(x, "    <Child>");
            let _ = writeln!(
                x,
                "      <ChildIdentifiers>\n        <LAchildID>{id}</LAchildID>\n        <UPN>{}</UPN>\n        <PersonBirthDate>{}</PersonBirthDate>\n        <Sex>{}</Sex>\n      </ChildIdentifiers>",
                demographics::upn(id.family, id.index),
                child[0].dob,
                c.sex.code()
            );
            let _ = writeln!(
                x,
                "      <ChildCharacteristics>\n        <Ethnicity>{}</Ethnicity>\n        <Disabilities>",
                c.ethnicity
            );
            for d in c.disabilities.iter().flatten() {
                let _ = writeln!(x, "          <Disability>{d}</Disability>");
            }
            if !c.disabled() {
                let _ = writeln!(x, "          <Disability>NONE</Disability>");
            }
            let _ = writeln!(x, "        </Disabilities>\n      </ChildCharacteristics>");
            for e in child {
                let need = if e.enquiries.is_empty() { "N8" } else { "N1" };
                let _ = writeln!(x, "      <CINdetails>");
                let _ = writeln!(
                    x,
                    "        <CINreferralDate>{}</CINreferralDate>",
                    e.referral
                );
                let _ = writeln!(x, "        <ReferralSource>10</ReferralSource>");
                let _ = writeln!(x, "        <PrimaryNeedCode>{need}</PrimaryNeedCode>");
                if let Some((d, rc)) = e.closure.filter(|(d, _)| *d <= last) {
                    let _ = writeln!(x, "        <CINclosureDate>{d}</CINclosureDate>");
                    let _ = writeln!(x, "        <ReasonForClosure>{rc}</ReasonForClosure>");
                }
                // No further action is a decision on a referral of this
                // year (rule 8569Q): a referral from before it that is
                // still in this year's return is not flagged.
                let nfa = e.nfa && e.referral >= first.plus_days(-1).unwrap_or(first);
                let _ = writeln!(x, "        <ReferralNFA>{nfa}</ReferralNFA>");
                for (start, done) in &e.assessments {
                    if !open_in_year(*start, *done) {
                        continue;
                    }
                    let _ = writeln!(x, "        <Assessments>");
                    let _ = writeln!(
                        x,
                        "          <AssessmentActualStartDate>{start}</AssessmentActualStartDate>"
                    );
                    if let Some(d) = done.filter(|d| *d <= last) {
                        let _ = writeln!(
                            x,
                            "          <AssessmentAuthorisationDate>{d}</AssessmentAuthorisationDate>"
                        );
                        // What a completed assessment found (rule 8897Q).
                        let _ = writeln!(x, "          <FactorsIdentifiedAtAssessment>");
                        let closed_after_assessment = matches!(e.closure, Some((_, "RC8" | "RC9")));
                        for code in assessment_factors(e.factors, closed_after_assessment) {
                            let _ = writeln!(
                                x,
                                "            <AssessmentFactors>{code}</AssessmentFactors>"
                            );
                        }
                        let _ = writeln!(x, "          </FactorsIdentifiedAtAssessment>");
                    }
                    let _ = writeln!(x, "        </Assessments>");
                }
                for s in e
                    .enquiries
                    .iter()
                    .filter(|s| open_in_year(s.start, s.over()))
                {
                    let _ = writeln!(x, "        <Section47>");
                    let _ = writeln!(
                        x,
                        "          <S47ActualStartDate>{}</S47ActualStartDate>",
                        s.start
                    );
                    let target = s.start.plus_days(21).unwrap_or(s.start);
                    let _ = writeln!(x, "          <InitialCPCtarget>{target}</InitialCPCtarget>");
                    if let Some(d) = s.conference.filter(|d| *d <= last) {
                        let _ = writeln!(x, "          <DateOfInitialCPC>{d}</DateOfInitialCPC>");
                    }
                    let _ = writeln!(
                        x,
                        "          <ICPCnotRequired>{}</ICPCnotRequired>",
                        s.conference_not_required
                    );
                    let _ = writeln!(x, "        </Section47>");
                }
                for p in e.plans.iter().filter(|p| open_in_year(p.start, p.end)) {
                    let _ = writeln!(x, "        <ChildProtectionPlans>");
                    let _ = writeln!(x, "          <CPPstartDate>{}</CPPstartDate>", p.start);
                    if let Some(d) = p.end.filter(|d| *d <= last) {
                        let _ = writeln!(x, "          <CPPendDate>{d}</CPPendDate>");
                    }
                    // The model has no categories of abuse: neglect, the
                    // commonest, at the start and still at the end.
                    let _ = writeln!(
                        x,
                        "          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>"
                    );
                    let _ = writeln!(
                        x,
                        "          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>"
                    );
                    let _ = writeln!(
                        x,
                        "          <NumberOfPreviousCPP>{}</NumberOfPreviousCPP>",
                        p.previous
                    );
                    let _ = writeln!(x, "        </ChildProtectionPlans>");
                }
                let _ = writeln!(x, "      </CINdetails>");
            }
            let _ = writeln!(x, "    </Child>");
        }
        let _ = writeln!(x, "  </Children>");
        let _ = writeln!(x, "</Message>");
        x
    }
}

/// The CIN census's codes of the factors identified at assessment for a
/// family's risk factors: domestic abuse `3B`, drug misuse `2B`, mental
/// health `4B` (each a concern about the parent), neglect `16A`. A family
/// with none of them is in need for another reason (`20`, other), unless
/// its case closed after the assessment with nothing more to do (`21`, no
/// factors identified; rule 8873Q: `21` goes with `RC8` or `RC9`).
fn assessment_factors(f: RiskFactors, closed_after_assessment: bool) -> Vec<&'static str> {
    const CODES: [&str; 4] = ["3B", "2B", "4B", "16A"];
    let codes: Vec<&'static str> = (0..CODES.len())
        .filter(|&i| f.has(i))
        .map(|i| CODES[i])
        .collect();
    if codes.is_empty() {
        vec![if closed_after_assessment { "21" } else { "20" }]
    } else {
        codes
    }
}

/// A date as SSDA903 files write it: `31/03/2025`.
fn dmy(d: CivilDate) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}
