//! Placement sufficiency (`[placements]`): matching in the order practice
//! follows, out-of-area placements past the area's places, moves after a
//! breakdown, the council's foster carers approved and lost, and a run
//! without `[placements]` untouched by any of it.

use familyflow::analysis::run::run;
use familyflow::model::calendar::{Minute, DAY};
use familyflow::model::event::{Event, FamilyId, LegalStatus, Placement};
use familyflow::model::happening::Happening;
use familyflow::model::input::ScenarioInput;
use familyflow::model::projection::{fold, Metrics};
use familyflow::model::scenario::{NonNegative, Scenario};
use familyflow::model::state::State;
use familyflow::model::{Decisions, Model};

const SEED: u64 = 11;
/// The default area has 100,000 children: 0.1 per 10,000 is one place.
const ONE_PLACE: NonNegative = NonNegative(0.1);
const NONE: NonNegative = NonNegative(0.0);
const ALL: NonNegative = NonNegative(1.0);

/// The default with one in-house place, one agency place and one
/// children's home bed in the area, no recruitment, no losses, no moves;
/// unaccompanied teenagers need `fit`. Then `edit`.
fn scenario(fit: Placement, edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = Scenario::default_scenario();
    s.burn_in_years = 0;
    let t = &mut s.care.placement_teenagers;
    t.kinship = NONE;
    t.in_house_foster = NONE;
    t.agency_foster = NONE;
    t.residential = NONE;
    match fit {
        Placement::Kinship => t.kinship = ALL,
        Placement::InHouseFoster => t.in_house_foster = ALL,
        Placement::AgencyFoster => t.agency_foster = ALL,
        Placement::Residential => t.residential = ALL,
    }
    let p = s.placements.as_mut().expect("the default has [placements]");
    p.in_house_foster_places_per_10k_children = ONE_PLACE;
    p.agency_foster_places_in_area_per_10k_children = ONE_PLACE;
    p.residential_beds_in_area_per_10k_children = ONE_PLACE;
    p.in_house_foster_approved_per_10k_children_per_year = NONE;
    p.in_house_foster_lost_per_year = NONE;
    p.moves_per_year.kinship = NONE;
    p.moves_per_year.in_house_foster = NONE;
    p.moves_per_year.agency_foster = NONE;
    p.moves_per_year.residential = NONE;
    edit(&mut s);
    assert!(s.validate().is_empty(), "{:?}", s.validate());
    s
}

struct Bench {
    model: Model,
    state: State,
    metrics: Metrics,
    arrivals: u32,
}

impl Bench {
    fn new(s: Scenario) -> Bench {
        Bench {
            state: State::new(&s),
            metrics: Metrics::new(&s.calendar(), SEED),
            model: Model::new(s, SEED),
            arrivals: 0,
        }
    }

    /// Decides `what` now and applies its events.
    fn step(&mut self, now: Minute, what: Happening) -> Decisions {
        let mut d = Decisions::default();
        self.model.decide(now, what, &self.state, &mut d);
        for e in &d.events {
            fold(&mut self.state, &mut self.metrics, now, e).expect("the event fits");
        }
        d
    }

    /// An unaccompanied child arrives now and comes into care: its
    /// family, placement, weekly cost and whether it is out of the area.
    fn arrival(&mut self, now: Minute) -> (FamilyId, Placement, u64, bool) {
        let d = self.step(now, Happening::UnaccompaniedArrival(0, self.arrivals));
        self.arrivals += 1;
        let mut entered = None;
        for (i, e) in d.events.iter().enumerate() {
            if let Event::EnteredCare {
                family,
                placement,
                weekly_pence,
                ..
            } = *e
            {
                entered = Some((family, placement, weekly_pence, i));
            }
        }
        let (family, placement, weekly, i) = entered.expect("the child came into care");
        // Out of the area is said after the legal status at entry.
        assert!(matches!(
            d.events[i + 1],
            Event::LegalStatusChanged {
                legal: LegalStatus::Section20,
                ..
            }
        ));
        let away = d.events[i + 2..].contains(&Event::PlacedOutOfArea { family });
        (family, placement, weekly, away)
    }
}

const NOW: Minute = 30 * DAY;

/// A child who needs foster care goes to the council's carers while a place
/// is free, then to an agency in the area, then to an agency outside it at
/// the out-of-area cost.
#[test]
fn foster_care_is_in_house_first_then_agency_in_the_area_then_out_of_it() {
    let mut b = Bench::new(scenario(Placement::AgencyFoster, |_| {}));
    let costs = b.model.scenario.care.weekly_cost_pounds.pence();
    let factor = b
        .model
        .scenario
        .placements
        .as_ref()
        .unwrap()
        .out_of_area_cost_factor
        .get();
    let (_, p, w, away) = b.arrival(NOW);
    assert_eq!((p, w, away), (Placement::InHouseFoster, costs[1], false));
    let (_, p, w, away) = b.arrival(NOW);
    assert_eq!((p, w, away), (Placement::AgencyFoster, costs[2], false));
    let (f, p, w, away) = b.arrival(NOW);
    let away_cost = (costs[2] as f64 * factor).round() as u64;
    assert_eq!((p, w, away), (Placement::AgencyFoster, away_cost, true));
    let places = b.state.places.as_ref().unwrap();
    assert_eq!(places.in_area[Placement::InHouseFoster], 1);
    assert_eq!(places.in_area[Placement::AgencyFoster], 1);
    assert_eq!(places.out_of_area[Placement::AgencyFoster], 1);
    assert!(places.away.contains(&f));
    assert_eq!(b.metrics.out_of_area, 1);
}

/// A child who needs a children's home takes the area's bed while it is
/// free, else a bed outside the area.
#[test]
fn a_children_s_home_bed_in_the_area_then_out_of_it() {
    let mut b = Bench::new(scenario(Placement::Residential, |_| {}));
    let (_, p, _, away) = b.arrival(NOW);
    assert_eq!((p, away), (Placement::Residential, false));
    let (_, p, _, away) = b.arrival(NOW);
    assert_eq!((p, away), (Placement::Residential, true));
}

/// Without `[placements]` the placement drawn is the placement made: no
/// limit, never out of the area, no moves and no foster carer events.
#[test]
fn without_placements_every_placement_drawn_is_made_in_the_area() {
    let mut b = Bench::new(scenario(Placement::AgencyFoster, |s| s.placements = None));
    for _ in 0..3 {
        let (_, p, _, away) = b.arrival(NOW);
        assert_eq!((p, away), (Placement::AgencyFoster, false));
    }
    assert!(b.state.places.is_none());
    let mut input = ScenarioInput::builtin();
    input.scenario.placements = None;
    input.scenario.burn_in_years = 0;
    let mut events = Vec::new();
    let model = Model::new(input.scenario.clone(), 3);
    familyflow::model::simulate(&model, &mut events).unwrap();
    assert!(events.iter().all(|t| !matches!(
        t.event,
        Event::PlacedOutOfArea { .. }
            | Event::PlacementMoved { .. }
            | Event::FosterPlacesApproved { .. }
            | Event::FosterPlacesLost { .. }
    )));
}

/// A breakdown moves the children: from an agency to the council's own
/// carers once a place is free, with the next breakdown put on the agenda;
/// a breakdown of a placement already left decides nothing.
#[test]
fn a_breakdown_moves_the_child_and_frees_its_place() {
    let mut b = Bench::new(scenario(Placement::AgencyFoster, |s| {
        let moves = &mut s.placements.as_mut().unwrap().moves_per_year;
        moves.agency_foster = NonNegative(12.0);
        moves.in_house_foster = NonNegative(12.0);
    }));
    b.arrival(NOW);
    let (f, p, _, _) = b.arrival(NOW);
    assert_eq!(p, Placement::AgencyFoster);
    // Its first breakdown was put on the agenda when it came into care.
    b.step(NOW, Happening::MonthEnd);
    let since = b.state.family(f).unwrap().stage_since();
    assert!(b
        .step(
            NOW + DAY,
            Happening::PlacementBreaks(f, 0, since as u32 + 1, 0)
        )
        .events
        .is_empty());
    // A place comes free with the council's carers.
    fold(
        &mut b.state,
        &mut b.metrics,
        NOW + DAY,
        &Event::FosterPlacesApproved { places: 1 },
    )
    .unwrap();
    let d = b.step(
        NOW + 2 * DAY,
        Happening::PlacementBreaks(f, 0, since as u32, 0),
    );
    let in_house = b.model.scenario.care.weekly_cost_pounds.pence()[1];
    assert_eq!(
        d.events,
        vec![Event::PlacementMoved {
            family: f,
            placement: Placement::InHouseFoster,
            weekly_pence: in_house,
        }]
    );
    assert!(matches!(
        d.schedule.as_slice(),
        [(at, Happening::PlacementBreaks(g, 0, s, 1))] if *g == f && u64::from(*s) == since && *at > NOW + 2 * DAY
    ));
    let places = b.state.places.as_ref().unwrap();
    assert_eq!(places.in_area[Placement::AgencyFoster], 0);
    assert_eq!(places.in_area[Placement::InHouseFoster], 2);
    assert_eq!(b.metrics.months.last().unwrap().placement_moves, 1);
}

/// At a month's end the council approves and loses foster places at the
/// scenario's rates; with none, nothing happens.
#[test]
fn foster_places_are_approved_and_lost_at_a_month_s_end() {
    let mut b = Bench::new(scenario(Placement::AgencyFoster, |s| {
        let p = s.placements.as_mut().unwrap();
        p.in_house_foster_places_per_10k_children = NonNegative(50.0);
        p.in_house_foster_approved_per_10k_children_per_year = NonNegative(12.0);
        p.in_house_foster_lost_per_year = NonNegative(0.24);
    }));
    let (mut approved, mut lost) = (0u32, 0u32);
    for month in 1..=24u64 {
        for e in b.step(month * 30 * DAY, Happening::MonthEnd).events {
            match e {
                Event::FosterPlacesApproved { places } => approved += places,
                Event::FosterPlacesLost { places } => lost += places,
                _ => {}
            }
        }
    }
    // 120 a year approved, about 0.24 x 500 lost a year: two years' worth.
    assert!((200..=280).contains(&approved), "{approved}");
    assert!((180..=300).contains(&lost), "{lost}");
    assert_eq!(
        b.state.places.as_ref().unwrap().in_house_approved,
        500 + approved - lost
    );
    let mut quiet = Bench::new(scenario(Placement::AgencyFoster, |_| {}));
    assert!(quiet
        .step(30 * DAY, Happening::MonthEnd)
        .events
        .iter()
        .all(|e| !matches!(
            e,
            Event::FosterPlacesApproved { .. } | Event::FosterPlacesLost { .. }
        )));
}

/// A whole run with `[placements]` replays to the same summary and final
/// state: places are state, and the summary is a projection of events.
#[test]
fn a_run_with_placements_replays_to_the_same_summary() {
    let text = familyflow::model::scenario::DEFAULT_SCENARIO
        .replace("burn_in_years = 20", "burn_in_years = 1");
    let input = ScenarioInput::from_text(&text, "short").unwrap();
    assert_eq!(input.scenario.burn_in_years, 1);
    let mut log = Vec::new();
    let finished = run(&input, 5, Some(&mut log)).unwrap();
    let replayed = familyflow::analysis::run::replay(&log[..]).unwrap();
    assert_eq!(replayed.finished.state.hash(), finished.state.hash());
    let s = &finished.summary.care.sufficiency;
    assert!(s.placements_made > 0 && s.placement_moves > 0, "{s:?}");
    // Spending by type and on care leavers is the placements line split:
    // they agree but for the rounding of each part and the run's last minute.
    let leavers = finished.summary.care.leaving_care.spend_pence;
    assert!(
        leavers > 0,
        "the default scenario has care leavers staying put"
    );
    let by_type: u64 = s.spend_by_placement_pence.iter().sum::<u64>() + leavers;
    let line = finished.summary.care.placement_spend_pence;
    assert!(
        by_type.abs_diff(line) <= 5 * 36 * 100,
        "{by_type} by type and care leavers, {line} on the line"
    );
    assert_eq!(
        serde_json::to_string(&replayed.finished.summary.care.sufficiency).unwrap(),
        serde_json::to_string(s).unwrap()
    );
}

/// `[placements]` text for a scenario without it.
const PLACES: &str = "\n[placements]\nin_house_foster_places_per_10k_children = 30\nin_house_foster_approved_per_10k_children_per_year = 3.6\nin_house_foster_lost_per_year = 0.12\nagency_foster_places_in_area_per_10k_children = 13\nresidential_beds_in_area_per_10k_children = 3.5\nout_of_area_cost_factor = 1.2\nmoves_per_year = { kinship = 0.05, in_house_foster = 0.45, agency_foster = 0.55, residential = 0.9 }\n";

/// Places cannot appear or vanish during a run: a policy that switches
/// them is a located error, and so is a branch that does.
#[test]
fn placements_cannot_be_switched_on_or_off_during_a_run_or_a_branch() {
    let tiny = std::fs::read_to_string("tests/data/tiny.toml").unwrap();
    assert!(!tiny.contains("[placements]"));
    let fields: String = PLACES
        .lines()
        .filter(|l| l.contains(" = "))
        .map(|l| format!("placements.{l}\n"))
        .collect();
    let policy = format!("{tiny}\n[[policy]]\ndate = 2024-07-01\n{fields}");
    let Err(err) = ScenarioInput::from_text(&policy, "policy.toml") else {
        panic!("a policy switching placements on was accepted");
    };
    let err = err.to_string();
    assert!(
        err.contains("placements") && err.contains("switched on or off"),
        "{err}"
    );

    let without = ScenarioInput::from_text(&tiny, "tiny.toml").unwrap();
    let with = ScenarioInput::from_text(&format!("{tiny}{PLACES}"), "with.toml").unwrap();
    for (a, b) in [(&without, &with), (&with, &without)] {
        let (_, snapshot) =
            familyflow::analysis::snapshot::run_with_snapshot::<Vec<u8>>(a, 1, None, 100_000)
                .unwrap();
        let Err(err) = snapshot.branch(b, &mut familyflow::engine::Discard) else {
            panic!("a branch switching placements ran");
        };
        assert!(err.to_string().contains("placements"), "{err}");
    }
}
