//! The children in need census XML (`<Message>`, `<Children>`, `<Child>`,
//! `<CINdetails>` with its `<Assessments>`, `<Section47>` and
//! `<ChildProtectionPlans>`), read with a pull parser element by element
//! (no document held in memory). Elements are known by their local names,
//! so a namespace prefix makes no difference; unknown elements are
//! skipped. A `<CINdetails>` with a date that cannot be read is reported
//! (file, line, element, reason) and left out.
//!
//! Several years merge: a CIN episode is known by its child and referral
//! date; the latest year's copy wins, and its assessments, enquiries and
//! plans are joined with those of earlier copies (a year's return leaves
//! out what ended before the year began).

use std::collections::BTreeMap;

use quick_xml::events::Event;

use super::{parse_iso, CollectionYear, DateForm, Problems, MAX_ROWS};
use crate::model::calendar::CivilDate;

/// A section 47 enquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enquiry {
    /// Start (`S47ActualStartDate`).
    pub start: CivilDate,
    /// The initial conference (`DateOfInitialCPC`).
    pub conference: Option<CivilDate>,
    /// `ICPCnotRequired`.
    pub not_required: bool,
}

/// One child's CIN episode (`<CINdetails>`), without its child's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// The child (an index, not the id in the file).
    pub child: u32,
    /// The child's date of birth, if given.
    pub dob: Option<CivilDate>,
    /// `CINreferralDate`.
    pub referral: CivilDate,
    /// `ReferralNFA`.
    pub nfa: bool,
    /// `CINclosureDate` and `ReasonForClosure`.
    pub closure: Option<(CivilDate, String)>,
    /// Assessments: start and authorisation.
    pub assessments: Vec<(CivilDate, Option<CivilDate>)>,
    /// Section 47 enquiries.
    pub enquiries: Vec<Enquiry>,
    /// Child protection plans: start and end.
    pub plans: Vec<(CivilDate, Option<CivilDate>)>,
    /// The collection year of the copy kept.
    pub year: CollectionYear,
}

/// The CIN census of every year, merged.
#[derive(Debug, Default)]
pub struct Census {
    /// Children's ids in the file, numbered (never written out).
    pub(crate) ids: super::ChildIds,
    by_key: BTreeMap<(u32, CivilDate), Episode>,
    /// Episodes in child and referral order (after [`Census::settle`]).
    pub episodes: Vec<Episode>,
}

impl Census {
    /// Orders the episodes.
    pub fn settle(&mut self) {
        self.episodes = std::mem::take(&mut self.by_key).into_values().collect();
    }

    fn merge(&mut self, e: Episode) {
        let key = (e.child, e.referral);
        let Some(old) = self.by_key.get_mut(&key) else {
            self.by_key.insert(key, e);
            return;
        };
        let (mut newer, older) = if e.year >= old.year {
            (e, old.clone())
        } else {
            (old.clone(), e)
        };
        for a in older.assessments {
            match newer.assessments.iter_mut().find(|b| b.0 == a.0) {
                Some(b) => b.1 = b.1.or(a.1),
                None => newer.assessments.push(a),
            }
        }
        for s in older.enquiries {
            match newer.enquiries.iter_mut().find(|t| t.start == s.start) {
                Some(t) => t.conference = t.conference.or(s.conference),
                None => newer.enquiries.push(s),
            }
        }
        for p in older.plans {
            match newer.plans.iter_mut().find(|q| q.0 == p.0) {
                Some(q) => q.1 = q.1.or(p.1),
                None => newer.plans.push(p),
            }
        }
        newer.closure = newer.closure.or(older.closure);
        newer.dob = newer.dob.or(older.dob);
        newer.assessments.sort();
        newer.enquiries.sort_by_key(|s| s.start);
        newer.plans.sort();
        *old = newer;
    }
}

/// Line numbers of byte offsets.
struct Lines(Vec<usize>);

impl Lines {
    fn new(bytes: &[u8]) -> Lines {
        Lines(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }
    fn at(&self, offset: u64) -> u64 {
        self.0.partition_point(|&i| (i as u64) < offset) as u64 + 1
    }
}

/// A `<CINdetails>` being read.
struct Details {
    line: u64,
    referral: Option<CivilDate>,
    nfa: bool,
    closure: Option<CivilDate>,
    reason: String,
    assessments: Vec<(CivilDate, Option<CivilDate>)>,
    enquiries: Vec<Enquiry>,
    plans: Vec<(CivilDate, Option<CivilDate>)>,
    /// The first problem: line, element, reason.
    bad: Option<(u64, String, String)>,
}

/// Reads one XML file into `into`: its collection year and the children
/// read; `Err` (one message) when it is not a CIN census.
pub fn read(
    bytes: &[u8],
    file: &str,
    named_year: Option<CollectionYear>,
    into: &mut Census,
    problems: &mut Problems,
) -> Result<(CollectionYear, u64), String> {
    let lines = Lines::new(bytes);
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut root: Option<String> = None;
    let mut collection: Option<String> = None;
    let mut header_year: Option<CollectionYear> = None;
    let mut latest: Option<CivilDate> = None;
    // The child being read: id, date of birth, its episodes.
    let mut child_id = String::new();
    let mut child_dob: Option<CivilDate> = None;
    let mut child_line = 0;
    let mut details: Option<Details> = None;
    let mut child_episodes: Vec<Details> = Vec::new();
    let mut read_children: Vec<(String, Option<CivilDate>, Vec<Details>)> = Vec::new();
    let mut children = 0u64;
    // An assessment, enquiry or plan being read: its dates and flag.
    let mut part: (Option<CivilDate>, Option<CivilDate>, bool) = (None, None, false);
    loop {
        let at = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let line = lines.at(reader.error_position());
                if root.is_none() || children == 0 {
                    return Err(format!("not well-formed XML (line {line}): {e}"));
                }
                problems.bad_row(
                    file,
                    line,
                    "",
                    format!("not well-formed XML: {e}; the rest of the file is not read"),
                );
                break;
            }
        };
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if root.is_none() {
                    root = Some(name.clone());
                    if name != "Message" {
                        return Err(format!(
                            "not a children in need census: the XML's root element is <{}>, not <Message>",
                            name.chars().take(40).collect::<String>()
                        ));
                    }
                }
                match name.as_str() {
                    "Child" => {
                        child_id.clear();
                        child_dob = None;
                        child_line = lines.at(at);
                        child_episodes.clear();
                    }
                    "CINdetails" => {
                        details = Some(Details {
                            line: lines.at(at),
                            referral: None,
                            nfa: false,
                            closure: None,
                            reason: String::new(),
                            assessments: Vec::new(),
                            enquiries: Vec::new(),
                            plans: Vec::new(),
                            bad: None,
                        })
                    }
                    "Assessments" | "Section47" | "ChildProtectionPlans" => {
                        part = (None, None, false)
                    }
                    _ => {}
                }
                stack.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().unwrap_or_default()),
            Event::CData(t) => text.push_str(&t.decode().unwrap_or_default()),
            Event::End(_) => {
                let Some(name) = stack.pop() else { break };
                let value = std::mem::take(&mut text);
                let value = value.trim();
                let line = lines.at(at);
                let mut date = |d: &mut Option<Details>| -> Option<CivilDate> {
                    if value.is_empty() {
                        return None;
                    }
                    match parse_iso(value) {
                        Some((day, form)) => {
                            if form == DateForm::Repaired {
                                problems.dates_repaired += 1;
                            }
                            latest = Some(latest.map_or(day, |l| l.max(day)));
                            Some(day)
                        }
                        None => {
                            let shown = if name == "PersonBirthDate" {
                                "(value not shown: personal data)".to_string()
                            } else {
                                format!("{:?}", value.chars().take(40).collect::<String>())
                            };
                            let why = format!("{shown} is not a date (yyyy-mm-dd)");
                            match d {
                                Some(d) if d.bad.is_none() => {
                                    d.bad = Some((line, name.clone(), why))
                                }
                                Some(_) => {}
                                None => problems.bad_row(file, line, &name, why),
                            }
                            None
                        }
                    }
                };
                match name.as_str() {
                    "Collection" => collection = Some(value.to_string()),
                    "Year" if stack.iter().any(|s| s == "Header") => {
                        header_year = value.parse().ok().map(CollectionYear)
                    }
                    "ReferenceDate" => {
                        if let Some((d, _)) = parse_iso(value) {
                            header_year = Some(CollectionYear::of(d));
                        }
                    }
                    "LAchildID" => child_id = value.to_string(),
                    "PersonBirthDate" => {
                        // Not an episode's date: a bad one leaves the age unknown.
                        child_dob = date(&mut None);
                    }
                    "CINreferralDate" => {
                        let d = date(&mut details);
                        if let Some(x) = details.as_mut() {
                            x.referral = d;
                        }
                    }
                    "CINclosureDate" => {
                        let d = date(&mut details);
                        if let Some(x) = details.as_mut() {
                            x.closure = d;
                        }
                    }
                    "ReasonForClosure" => {
                        if let Some(x) = details.as_mut() {
                            x.reason = value.chars().take(8).collect();
                        }
                    }
                    "ReferralNFA" => {
                        if let Some(x) = details.as_mut() {
                            x.nfa = matches!(value, "true" | "1" | "True" | "TRUE");
                        }
                    }
                    "AssessmentActualStartDate" | "S47ActualStartDate" | "CPPstartDate" => {
                        part.0 = date(&mut details)
                    }
                    "AssessmentAuthorisationDate" | "DateOfInitialCPC" | "CPPendDate" => {
                        part.1 = date(&mut details)
                    }
                    "ICPCnotRequired" => part.2 = matches!(value, "true" | "1" | "True" | "TRUE"),
                    "Assessments" | "Section47" | "ChildProtectionPlans" => {
                        if let Some(x) = details.as_mut() {
                            match part.0 {
                                Some(start) => match name.as_str() {
                                    "Assessments" => x.assessments.push((start, part.1)),
                                    "Section47" => x.enquiries.push(Enquiry {
                                        start,
                                        conference: part.1,
                                        not_required: part.2,
                                    }),
                                    _ => x.plans.push((start, part.1)),
                                },
                                None if x.bad.is_none() => {
                                    x.bad = Some((line, name.clone(), "has no start date".into()))
                                }
                                None => {}
                            }
                        }
                    }
                    "CINdetails" => {
                        if let Some(x) = details.take() {
                            child_episodes.push(x);
                        }
                    }
                    "Child" => {
                        children += 1;
                        if children as usize > MAX_ROWS {
                            return Err(format!("more than {MAX_ROWS} children: not read"));
                        }
                        if child_id.is_empty() {
                            problems.bad_row(
                                file,
                                child_line,
                                "LAchildID",
                                "blank, but required: the child's episodes are left out".into(),
                            );
                        } else {
                            read_children.push((
                                std::mem::take(&mut child_id),
                                child_dob,
                                std::mem::take(&mut child_episodes),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if root.is_none() {
        return Err("not a children in need census: no XML element in it".into());
    }
    if let Some(c) = collection.filter(|c| !c.eq_ignore_ascii_case("CIN")) {
        return Err(format!(
            "not a children in need census: its <Collection> is {:?}",
            c.chars().take(20).collect::<String>()
        ));
    }
    if children == 0 {
        return Err("not a children in need census: no <Child> in it".into());
    }
    let year = named_year
        .or(header_year)
        .or_else(|| latest.map(CollectionYear::of))
        .unwrap_or(CollectionYear(0));
    for (id, dob, episodes) in read_children {
        let child = into.ids.number(&id);
        for d in episodes {
            if let Some((line, element, why)) = d.bad {
                problems.bad_row(
                    file,
                    line,
                    &element,
                    format!("{why}; this <CINdetails> is left out"),
                );
                continue;
            }
            let Some(referral) = d.referral else {
                problems.bad_row(
                    file,
                    d.line,
                    "CINreferralDate",
                    "blank, but required; this <CINdetails> is left out".into(),
                );
                continue;
            };
            into.merge(Episode {
                child,
                dob,
                referral,
                nfa: d.nfa,
                closure: d.closure.map(|c| (c, d.reason)),
                assessments: d.assessments,
                enquiries: d.enquiries,
                plans: d.plans,
                year,
            });
        }
    }
    Ok((year, children))
}
