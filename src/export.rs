//! Exports of a log in the formats modellers already use: the statutory
//! data returns (SSDA903 for children looked after, the children in need
//! census) and every event as CSV or JSON lines.
//!
//! The returns are built by reading the log once, keeping each open
//! family's current referral (CIN episode) and period of care, and writing
//! one set of files per collection year (1 April to 31 March) holding every
//! episode open at any time in it. What the model does not know is left
//! blank rather than made up (sex, ethnicity, postcodes), and a few fields
//! are derived and say so:
//!
//! * one family is one child (the model's referral unit), `CHILD` /
//!   `LAchildID` is the family id;
//! * a date of birth is derived from the youngest child's age at the first
//!   referral (and a day of the year fixed by the family id);
//! * the model places a child once per period of care, so every period is
//!   one episode with `RNE` = `S`;
//! * legal status: `C2` (full care order) after proceedings, `V2` (section
//!   20 accommodation) for an emergency entry;
//! * category of need `N1` (abuse or neglect) for children looked after; in
//!   the CIN census, `N1` where a section 47 enquiry was held, else `N8`.
//!
//! Field names and codes follow the DfE's SSDA903 return guidance for
//! 2024 to 2025 and the children in need census specification for 2024 to
//! 2025 (a subset of their fields: those the model produces).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::calendar::{Calendar, CivilDate, Minute, DAY};
use crate::event::{
    CareExit, CareRoute, ClosureReason, Event, FamilyId, OpenStage, Placement, Timed,
    TriageDecision,
};
use crate::log::{LogError, LogReader};
use crate::scenario::{Scenario, ScenarioError};

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
    let day_minute = at % crate::calendar::DAY;
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
    let _ = w.write_record(["minute", "date", "event", "family", "fields"]);
    while let Some(t) = reader.next_event()? {
        let fields = serde_json::to_value(&t.event)
            .ok()
            .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
            .map_or_else(String::new, |v| v.to_string());
        let _ = w.write_record([
            t.at.to_string(),
            stamp(&cal, t.at),
            t.event.name().to_string(),
            t.event
                .family()
                .map_or_else(String::new, |f| f.0.to_string()),
            fields,
        ]);
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

/// A period of care (one SSDA903 episode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareEpisode {
    /// The child.
    pub child: FamilyId,
    /// Date of birth (derived).
    pub dob: CivilDate,
    /// Start (`DECOM`).
    pub start: CivilDate,
    /// Why the episode started (`RNE`): `S` a new period of care, `L` a
    /// change of legal status.
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

/// One referral and what followed it (a CIN census `CINdetails`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CinEpisode {
    /// The child.
    pub child: FamilyId,
    /// Date of birth (derived).
    pub dob: CivilDate,
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
}

impl CinEpisode {
    /// A referral of `child` on `referral`, with nothing after it yet.
    fn new(child: FamilyId, dob: CivilDate, referral: CivilDate) -> Self {
        CinEpisode {
            child,
            dob,
            referral,
            nfa: false,
            assessments: Vec::new(),
            enquiries: Vec::new(),
            plans: Vec::new(),
            closure: None,
        }
    }
}

/// Everything the returns need, gathered from a log.
#[derive(Clone, Debug, Default)]
pub struct Returns {
    /// Periods of care, in the order they started.
    pub care: Vec<CareEpisode>,
    /// CIN episodes, in the order the referrals came.
    pub cin: Vec<CinEpisode>,
    /// The collection years the run covers (`2024-25` …), with their first and last days.
    pub years: Vec<(String, CivilDate, CivilDate)>,
}

#[derive(Default)]
struct Open {
    dob: Option<CivilDate>,
    cin: Option<usize>,
    care: Option<usize>,
    plans_before: u32,
    placement: Option<Placement>,
    /// A period of care just started: the next legal status is its first.
    entering: bool,
}

/// The youngest child's date of birth, as the model counts ages: a family
/// first known at minute `at` of the calendar whose run starts on `start`.
fn date_of_birth(start: CivilDate, at: Minute, age: u8, family: FamilyId) -> CivilDate {
    let born = at as i64 - crate::state::minutes_since_birth(family, age) as i64;
    start
        .plus_days(born.div_euclid(DAY as i64))
        .unwrap_or(start)
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
        CareExit::SpecialGuardianship if placement == Some(Placement::Kinship) => "E45",
        CareExit::SpecialGuardianship => "E46",
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
    /// Reads a log and gathers every CIN episode and period of care.
    pub fn from_log<R: Read>(log: R) -> Result<Returns, ExportError> {
        let mut reader = LogReader::open(log)?;
        let scenario = Scenario::parse(&reader.header().scenario, "the scenario inside the log")?;
        let cal = scenario.calendar();
        let mut r = Returns::default();
        let mut open: FxHashMap<FamilyId, Open> = FxHashMap::default();
        let mut first = true;
        while let Some(t) = reader.next_event()? {
            if std::mem::take(&mut first) && t.at > 0 {
                return Err(ExportError::NotWholeRun(t.at));
            }
            let day = cal.date(t.at);
            let Some(family) = t.event.family() else {
                continue;
            };
            let o = open.entry(family).or_default();
            match t.event {
                Event::UnaccompaniedChildArrived { attributes, .. } => {
                    o.dob = Some(date_of_birth(
                        cal.start(),
                        t.at,
                        attributes.youngest_age,
                        family,
                    ));
                }
                Event::FamilyReferred { attributes, .. }
                | Event::FamilyOpened { attributes, .. } => {
                    let dob = date_of_birth(cal.start(), t.at, attributes.youngest_age, family);
                    o.dob = Some(dob);
                    o.cin = Some(r.cin.len());
                    r.cin.push(CinEpisode::new(family, dob, day));
                    if let Event::FamilyOpened {
                        stage, placement, ..
                    } = t.event
                    {
                        let cin = r.cin.last_mut().expect("just pushed");
                        match stage {
                            OpenStage::InEnquiry | OpenStage::AwaitingConference => {
                                cin.enquiries.push(Enquiry {
                                    start: day,
                                    conference: None,
                                    conference_not_required: false,
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
                        if stage == OpenStage::OnPlan {
                            o.plans_before += 1;
                        }
                        if let Some((p, _)) = placement {
                            let (pl, provider) = place(p);
                            o.care = Some(r.care.len());
                            o.placement = Some(p);
                            r.care.push(CareEpisode {
                                child: family,
                                dob,
                                start: day,
                                reason_new: "S",
                                legal_status: "C2",
                                place: pl,
                                provider,
                                end: None,
                            });
                        }
                    }
                }
                // An escalation from the waiting list is a new contact on the
                // open case, not a new referral (as the summary counts it):
                // its enquiry belongs to the open CIN episode.
                Event::FamilyReReferred { .. } => {
                    o.cin = Some(r.cin.len());
                    r.cin
                        .push(CinEpisode::new(family, o.dob.unwrap_or(day), day));
                }
                Event::TriageDecided { decision, .. } => {
                    if let Some(i) = o.cin {
                        r.cin[i].nfa = decision == TriageDecision::NoFurtherAction;
                    }
                }
                Event::FamilyHelpStarted { .. } => {
                    if let Some(i) = o.cin {
                        r.cin[i].assessments.push((day, None));
                    }
                }
                Event::AssessmentCompleted { .. } => {
                    if let Some(a) = o.cin.and_then(|i| r.cin[i].assessments.last_mut()) {
                        a.1 = Some(day);
                    }
                }
                Event::S47Started { .. } => {
                    if let Some(i) = o.cin {
                        r.cin[i].enquiries.push(Enquiry {
                            start: day,
                            conference: None,
                            conference_not_required: false,
                        });
                    }
                }
                Event::S47Completed { conference, .. } => {
                    if let Some(e) = o.cin.and_then(|i| r.cin[i].enquiries.last_mut()) {
                        e.conference_not_required = !conference;
                    }
                }
                Event::ConferenceHeld { .. } => {
                    if let Some(e) = o.cin.and_then(|i| r.cin[i].enquiries.last_mut()) {
                        e.conference = Some(day);
                    }
                }
                Event::PlanStarted { .. } => {
                    if let Some(i) = o.cin {
                        r.cin[i].plans.push(Plan {
                            start: day,
                            end: None,
                            previous: o.plans_before,
                        });
                    }
                    o.plans_before += 1;
                }
                Event::PlanEnded { .. } => {
                    if let Some(p) = o.cin.and_then(|i| r.cin[i].plans.last_mut()) {
                        p.end = Some(day);
                    }
                }
                Event::EnteredCare {
                    route, placement, ..
                } => {
                    let (pl, provider) = place(placement);
                    o.care = Some(r.care.len());
                    o.placement = Some(placement);
                    o.entering = true;
                    r.care.push(CareEpisode {
                        child: family,
                        dob: o.dob.unwrap_or(day),
                        start: day,
                        reason_new: "S",
                        // Set by the `LegalStatusChanged` that follows.
                        legal_status: match route {
                            CareRoute::Proceedings => "C1",
                            CareRoute::Emergency => "L1",
                            CareRoute::Voluntary | CareRoute::Unaccompanied => "V2",
                        },
                        place: pl,
                        provider,
                        end: None,
                    });
                }
                Event::LegalStatusChanged { legal, .. } => {
                    if let Some(i) = o.care {
                        if std::mem::take(&mut o.entering) {
                            // The status the period of care starts under.
                            r.care[i].legal_status = legal.code();
                        } else if r.care[i].legal_status != legal.code() {
                            // A new episode: same placement, new legal status.
                            r.care[i].end = Some((day, "X1"));
                            let next = CareEpisode {
                                start: day,
                                reason_new: "L",
                                legal_status: legal.code(),
                                end: None,
                                ..r.care[i].clone()
                            };
                            o.care = Some(r.care.len());
                            r.care.push(next);
                        }
                    }
                }
                Event::LeftCare { exit, .. } => {
                    if let Some(i) = o.care.take() {
                        r.care[i].end = Some((day, reason_ceased(exit, o.placement)));
                    }
                }
                Event::CaseClosed {
                    reason,
                    rereferral_due,
                    ..
                } => {
                    if let Some(i) = o.cin.take() {
                        let cin = &mut r.cin[i];
                        cin.closure = Some((day, closure_code(reason)));
                        // Plans end with the case at the latest.
                        for p in &mut cin.plans {
                            p.end.get_or_insert(day);
                        }
                    }
                    if rereferral_due.is_none() {
                        open.remove(&family);
                    }
                }
                _ => {}
            }
        }
        // Collection years from the measured start (none for a burn-in).
        let mut fy = scenario.start.financial_year();
        let last = cal.date(cal.horizon().saturating_sub(1)).financial_year();
        while fy <= last {
            let first = fy.first_day();
            let end = CivilDate::new(fy.0 + 1, 3, 31).expect("31 March exists");
            r.years.push((fy.to_string(), first, end));
            fy = crate::calendar::FinancialYear(fy.0 + 1);
        }
        Ok(r)
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
        let episodes = self.care_in(first, last);
        let mut header = csv::Writer::from_writer(Vec::new());
        let _ = header.write_record(["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]);
        let mut children: BTreeMap<u32, CivilDate> = BTreeMap::new();
        for e in &episodes {
            children.insert(e.child.0, e.dob);
        }
        for (child, dob) in &children {
            let _ = header.write_record([
                child.to_string(),
                String::new(),
                dmy(*dob),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        let mut eps = csv::Writer::from_writer(Vec::new());
        let _ = eps.write_record([
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
        ]);
        let mut sorted = episodes;
        sorted.sort_by_key(|e| (e.child, e.start));
        for e in sorted {
            // An episode still open on 31 March has no end in that year's return.
            let (dec, rec) = match e.end {
                Some((d, rec)) if d <= last => (dmy(d), rec.to_string()),
                _ => (String::new(), String::new()),
            };
            let _ = eps.write_record([
                e.child.0.to_string(),
                dmy(e.start),
                e.reason_new.into(),
                e.legal_status.into(),
                "N1".into(),
                e.place.into(),
                e.provider.into(),
                dec,
                rec,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        let text = |w: csv::Writer<Vec<u8>>| {
            String::from_utf8(w.into_inner().unwrap_or_default()).expect("ASCII CSV")
        };
        (text(header), text(eps))
    }

    /// The children in need census XML for a collection year.
    pub fn cin_xml(&self, year: &str, first: CivilDate, last: CivilDate) -> String {
        let mut by_child: BTreeMap<u32, Vec<&CinEpisode>> = BTreeMap::new();
        for e in self.cin_in(first, last) {
            by_child.entry(e.child.0).or_default().push(e);
        }
        let mut x = String::new();
        let _ = writeln!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let _ = writeln!(x, "<Message>");
        let _ = writeln!(
            x,
            "  <Header>\n    <CollectionDetails>\n      <Collection>CIN</Collection>\n      <Year>{}</Year>\n      <ReferenceDate>{last}</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n      <SoftwareCode>familyflow {}</SoftwareCode>\n      <Release>{year}</Release>\n    </Source>\n  </Header>",
            last.year(),
            crate::VERSION
        );
        let _ = writeln!(x, "  <Children>");
        for (child, episodes) in by_child {
            let _ = writeln!(x, "    <Child>");
            let _ = writeln!(
                x,
                "      <ChildIdentifiers>\n        <LAchildID>{child}</LAchildID>\n        <PersonBirthDate>{}</PersonBirthDate>\n      </ChildIdentifiers>",
                episodes[0].dob
            );
            for e in episodes {
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
                let _ = writeln!(x, "        <ReferralNFA>{}</ReferralNFA>", e.nfa);
                for (start, done) in &e.assessments {
                    if *start > last {
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
                    }
                    let _ = writeln!(x, "        </Assessments>");
                }
                for s in e.enquiries.iter().filter(|s| s.start <= last) {
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
                for p in e.plans.iter().filter(|p| p.start <= last) {
                    let _ = writeln!(x, "        <ChildProtectionPlans>");
                    let _ = writeln!(x, "          <CPPstartDate>{}</CPPstartDate>", p.start);
                    if let Some(d) = p.end.filter(|d| *d <= last) {
                        let _ = writeln!(x, "          <CPPendDate>{d}</CPPendDate>");
                    }
                    let _ = writeln!(
                        x,
                        "          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>"
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

/// A date as SSDA903 files write it: `31/03/2025`.
fn dmy(d: CivilDate) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}
