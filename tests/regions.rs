//! Regions and regional care co-operatives: members run in step, the
//! co-operative's places shared without overbooking, logs that replay
//! alone, determinism, the lever's direction with paired CIs, and clear
//! errors for bad region files.

use std::path::{Path, PathBuf};

use familyflow::analysis::compare::{compare_inputs, CompareSpec, Subject};
use familyflow::analysis::region::{member_seed, run_region};
use familyflow::analysis::run::run;
use familyflow::analysis::Unwatched;
use familyflow::engine::log::LogReader;
use familyflow::engine::Domain;
use familyflow::model::event::{Event, Placement};
use familyflow::model::region::RegionInput;
use familyflow::model::Model;

fn region(name: &str) -> RegionInput {
    RegionInput::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/regions")
            .join(name),
    )
    .unwrap()
}

fn logs(input: &RegionInput, seed: u64) -> Vec<Vec<u8>> {
    let outs: Vec<Vec<u8>> = input.members.iter().map(|_| Vec::new()).collect();
    // Writers into memory: collect them back through a shared cell.
    let cells: Vec<std::rc::Rc<std::cell::RefCell<Vec<u8>>>> = outs
        .into_iter()
        .map(|v| std::rc::Rc::new(std::cell::RefCell::new(v)))
        .collect();
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let writers: Vec<Shared> = cells.iter().map(|c| Shared(c.clone())).collect();
    run_region(input, seed, Some(writers)).unwrap();
    cells.iter().map(|c| c.borrow().clone()).collect()
}

#[test]
fn without_a_cooperative_each_member_runs_as_it_would_alone() {
    let input = region("tees-valley-baseline.toml");
    let done = run_region::<std::io::Sink>(&input, 7, None).unwrap();
    for (i, (seed, finished)) in done.members.iter().enumerate() {
        assert_eq!(*seed, member_seed(7, i));
        let alone = run::<std::io::Sink>(&input.members[i], *seed, None).unwrap();
        assert_eq!(alone.summary, finished.summary, "member {i}");
        assert_eq!(alone.state.hash(), finished.state.hash());
    }
    // Members draw from their own seeds, not one shared seed.
    let seeds: std::collections::BTreeSet<u64> = done.members.iter().map(|m| m.0).collect();
    assert_eq!(seeds.len(), input.members.len());
}

#[test]
fn a_region_run_is_byte_identical_run_to_run_and_each_log_replays_alone() {
    let input = region("tees-valley-rcc.toml");
    let a = logs(&input, 3);
    let b = logs(&input, 3);
    assert_eq!(a, b, "same files and seed, same logs");
    let done = run_region::<std::io::Sink>(&input, 3, None).unwrap();
    for (i, bytes) in a.iter().enumerate() {
        let replayed = familyflow::analysis::run::replay(&bytes[..]).unwrap();
        assert_eq!(
            replayed.finished.state.hash(),
            done.members[i].1.state.hash(),
            "member {i}: the log alone rebuilds the state"
        );
        assert_eq!(replayed.finished.summary, done.members[i].1.summary);
    }
}

#[test]
fn the_cooperative_never_shares_out_more_places_than_it_has() {
    let input = region("tees-valley-rcc.toml");
    let terms = input.region.cooperative.clone().unwrap();
    let children = input.children();
    // Per allotment minute: the places filled and allotted, over all members.
    let mut at_minute: std::collections::BTreeMap<u64, [u64; 4]> = Default::default();
    let mut placed_in_cooperative = 0u64;
    for (i, bytes) in logs(&input, 11).iter().enumerate() {
        let model = Model::new(input.members[i].scenario.clone(), member_seed(11, i));
        let (mut state, mut metrics) = model.fresh();
        let mut reader = LogReader::open(&bytes[..]).unwrap();
        while let Some(t) = reader.next_event::<Event>().unwrap() {
            if let Event::CooperativePlacesAllotted {
                in_house_foster,
                agency_foster,
                residential,
                price_permille,
            } = t.event
            {
                assert_eq!(price_permille, 900);
                let filled = state.cooperative.as_ref().map(|c| c.placed);
                let sums = at_minute.entry(t.at).or_default();
                for (k, (p, n)) in [
                    (Placement::InHouseFoster, in_house_foster),
                    (Placement::AgencyFoster, agency_foster),
                    (Placement::Residential, residential),
                ]
                .into_iter()
                .enumerate()
                {
                    sums[k + 1] += u64::from(n) + filled.map_or(0, |f| u64::from(f[p]));
                }
            }
            if let Event::PlacedInCooperative { .. } = t.event {
                placed_in_cooperative += 1;
            }
            Model::fold(&mut state, &mut metrics, t.at, &t.event).unwrap();
        }
    }
    assert!(
        placed_in_cooperative > 100,
        "the co-operative's places are used"
    );
    let cal = input.members[0].scenario.calendar();
    let mut months = 0;
    for (&at, sums) in &at_minute {
        if months == 0 {
            assert_eq!(at, cal.minute_of(terms.from.unwrap()));
        }
        let cap = terms.places(months, children);
        for (k, p) in [
            Placement::InHouseFoster,
            Placement::AgencyFoster,
            Placement::Residential,
        ]
        .into_iter()
        .enumerate()
        {
            assert!(
                sums[k + 1] <= u64::from(cap[p]),
                "month {months}: {:?} filled and allotted {} > {} places",
                p,
                sums[k + 1],
                cap[p]
            );
        }
        months += 1;
    }
    assert!(months > 12);
}

fn compare(a: &str, b: &str, replications: u32) -> familyflow::analysis::compare::Compared {
    let inputs = [Subject::Region(region(a)), Subject::Region(region(b))];
    compare_inputs(
        &inputs,
        &CompareSpec {
            replications,
            seed: 1,
            threads: None,
            warm_up: None,
            family: None,
        },
        &Unwatched,
    )
    .unwrap()
}

#[test]
fn a_cooperative_places_fewer_children_out_of_the_area_in_the_region() {
    let done = compare("tees-valley-baseline.toml", "tees-valley-rcc.toml", 6);
    let c = &done.comparisons[0];
    assert!(
        c.families.is_none(),
        "regions have no family-by-family view"
    );
    let diff = |name: &str| {
        c.metrics
            .iter()
            .find(|m| m.metric == name)
            .unwrap_or_else(|| panic!("{name} is compared"))
            .diff
    };
    let out = diff("region.placed_out_of_area_pct");
    assert!(
        out.ci95_high < 0.0,
        "out of area falls: {} [{}, {}]",
        out.mean,
        out.ci95_low,
        out.ci95_high
    );
    let shared = diff("region.placed_in_cooperative_pct");
    assert!(
        shared.ci95_low > 0.0,
        "children are placed in the co-operative's places"
    );
    let agency = diff("region.agency_foster_share_pct");
    assert!(
        agency.ci95_high < 0.0,
        "fewer children with agency carers: {}",
        agency.mean
    );
    // The running cost is on the region's bill.
    let running = diff("region.cooperative_running_pence");
    assert!(running.mean > 0.0);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_bad_region_file_is_refused_naming_the_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("ff-region-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let members = format!(
        "members = [\"{}\"]\n",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/regions/tees-valley/darlington.toml")
            .display()
    );
    let missing = write(
        &dir,
        "missing.toml",
        "name = \"x\"\nmembers = [\"nowhere.toml\"]\n",
    );
    let e = RegionInput::load(&missing).unwrap_err().to_string();
    assert!(
        e.contains("missing.toml:2:") && e.contains("members") && e.contains("nowhere.toml"),
        "{e}"
    );

    let price = write(
        &dir,
        "price.toml",
        &format!("name = \"x\"\n{members}[cooperative]\nfoster_places_per_10k_children = 1\nramp_months = 12\nagency_foster_places_per_10k_children = 1\nresidential_beds_per_10k_children = 1\nprice_factor = 9\nrunning_cost_pounds_per_year = 0\n"),
    );
    let e = RegionInput::load(&price).unwrap_err().to_string();
    assert!(
        e.contains("price.toml:8:") && e.contains("cooperative.price_factor") && e.contains('9'),
        "{e}"
    );

    let unknown = write(
        &dir,
        "unknown.toml",
        &format!("name = \"x\"\n{members}colour = 1\n"),
    );
    let e = RegionInput::load(&unknown).unwrap_err().to_string();
    assert!(e.contains("unknown.toml:3:") && e.contains("colour"), "{e}");

    let twice = write(
        &dir,
        "twice.toml",
        &format!(
            "name = \"x\"\nmembers = [\"{0}\", \"{0}\"]\n",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/regions/tees-valley/darlington.toml")
                .display()
        ),
    );
    let e = RegionInput::load(&twice).unwrap_err().to_string();
    assert!(e.contains("members[1]") && e.contains("Darlington"), "{e}");

    let from = write(
        &dir,
        "from.toml",
        &format!("name = \"x\"\n{members}[cooperative]\nfrom = \"1990-01-01\"\nfoster_places_per_10k_children = 1\nramp_months = 12\nagency_foster_places_per_10k_children = 1\nresidential_beds_per_10k_children = 1\nprice_factor = 1\nrunning_cost_pounds_per_year = 0\n"),
    );
    let e = RegionInput::load(&from).unwrap_err().to_string();
    assert!(
        e.contains("cooperative.from") && e.contains("1990-01-01"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_region_is_compared_only_with_regions() {
    let scenario = familyflow::model::input::ScenarioInput::builtin();
    let inputs = [
        Subject::Region(region("tees-valley-baseline.toml")),
        Subject::Scenario(Box::new(scenario)),
    ];
    let spec = CompareSpec {
        replications: 2,
        seed: 1,
        threads: Some(1),
        warm_up: None,
        family: None,
    };
    let e = compare_inputs(&inputs, &spec, &Unwatched)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("a region is compared with regions"), "{e}");
}

/// Members run at once, so their estimated memory is added up: two
/// members that each fit alone but not together are refused (unless
/// forced), naming the region file's `members`.
#[test]
fn members_that_fit_alone_but_not_together_are_refused() {
    use familyflow::model::scenario::{Scenario, DEFAULT_SCENARIO, MAX_RUN_BYTES};
    let dir = std::env::temp_dir().join(format!("familyflow-region-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let area = |children: u64| {
        DEFAULT_SCENARIO
            .replacen("children = 100_000", &format!("children = {children}"), 1)
            .replacen(
                "new_referrals_per_10k_children = 140",
                "new_referrals_per_10k_children = 10000",
                1,
            )
    };
    // The estimate is about linear in children: size each member at 60%
    // of the limit.
    let probe = write(&dir, "probe.toml", &area(1_000_000));
    let (s, _) = Scenario::load_forced(&probe).unwrap();
    let children = (1_000_000.0 * 0.6 * MAX_RUN_BYTES / s.size_estimate().bytes) as u64;
    for name in ["a", "b"] {
        let text = area(children).replacen("name = \"", &format!("name = \"{name} "), 1);
        let member = write(&dir, &format!("{name}.toml"), &text);
        assert!(Scenario::load(&member).is_ok(), "{name} fits alone");
    }
    let file = write(
        &dir,
        "r.toml",
        "name = \"two big councils\"\nmembers = [\"a.toml\", \"b.toml\"]\n",
    );
    let err = RegionInput::load(&file)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("r.toml:2:11: members: the members run together") && err.contains("--force"),
        "{err}"
    );
    assert!(RegionInput::load_forced(&file).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Compared regions are paired member by member (`member.N.*` metrics):
/// members that differ in name or in order are refused before any run,
/// naming both regions' members.
#[test]
fn regions_whose_members_differ_in_name_or_order_are_not_compared() {
    let dir = std::env::temp_dir().join(format!("ff-region-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let member = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/regions/tees-valley")
            .join(name)
            .display()
            .to_string()
    };
    let region_of = |file: &str, members: &[&str]| {
        let list: Vec<String> = members.iter().map(|m| format!("{:?}", member(m))).collect();
        let path = write(
            &dir,
            file,
            &format!("name = \"{file}\"\nmembers = [{}]\n", list.join(", ")),
        );
        Subject::Region(RegionInput::load(&path).unwrap())
    };
    let spec = CompareSpec {
        replications: 2,
        seed: 1,
        threads: Some(1),
        warm_up: None,
        family: None,
    };
    let refused = |a: Subject, b: Subject| {
        compare_inputs(&[a, b], &spec, &Unwatched)
            .err()
            .expect("refused")
            .to_string()
    };
    let e = refused(
        region_of("ab.toml", &["darlington.toml", "hartlepool.toml"]),
        region_of("ba.toml", &["hartlepool.toml", "darlington.toml"]),
    );
    assert!(
        e.contains("ba.toml")
            && e.contains("ab.toml")
            && e.contains("member 1 is \"Hartlepool\"")
            && e.contains("\"Darlington\"")
            && e.contains("same order"),
        "{e}"
    );
    let e = refused(
        region_of("ad.toml", &["darlington.toml", "hartlepool.toml"]),
        region_of("am.toml", &["darlington.toml", "middlesbrough.toml"]),
    );
    assert!(
        e.contains("member 2 is \"Middlesbrough\"") && e.contains("\"Hartlepool\""),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Region files where one council's scenario is taken (`run
/// --replications`, `branch`, `run --report`, `compare --report`) are
/// refused before anything runs, with what a region supports instead.
#[test]
fn region_files_are_refused_up_front_where_a_scenario_is_taken() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions");
    let a = root.join("tees-valley-baseline.toml");
    let b = root.join("tees-valley-rcc.toml");
    let out = std::env::temp_dir().join(format!("ff-region-cli-{}", std::process::id()));
    let out_s = out.display().to_string();
    let (a_s, b_s) = (a.display().to_string(), b.display().to_string());
    let cases: [(&str, Vec<&str>); 4] = [
        (
            "run --replications",
            vec!["run", &a_s, "--replications", "2"],
        ),
        ("branch", vec!["branch", "nowhere.ffs", &a_s]),
        ("--report", vec!["run", &a_s, "--out", &out_s, "--report"]),
        (
            "--report",
            vec![
                "compare",
                &a_s,
                &b_s,
                "--replications",
                "2",
                "--out",
                &out_s,
                "--report",
            ],
        ),
    ];
    for (what, args) in cases {
        let started = std::time::Instant::now();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(
            err.contains("tees-valley-baseline.toml: a region file")
                && err.contains(&format!("{what} takes one council's scenario"))
                && err.contains("familyflow compare REGION_A.toml"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("unknown field"), "{err}");
        // Up front: no run, no output folder.
        assert!(started.elapsed().as_secs() < 10, "{args:?} ran first");
        assert!(!out.exists(), "{args:?} made {out_s}");
    }
}

/// `cooperative.ramp_months` states one range, REGION_RANGES', whatever is
/// wrong with it: too small, too large, negative, not whole, too large
/// for its type. A region's name is one line of printable text.
#[test]
fn ramp_months_errors_state_the_range_of_the_table() {
    use familyflow::model::region::REGION_RANGES;
    let r = REGION_RANGES
        .iter()
        .find(|r| r.field == "cooperative.ramp_months")
        .unwrap();
    let range = format!("{} to {} months", r.min, r.max);
    assert_eq!(range, "1 to 120 months");
    let dir = std::env::temp_dir().join(format!("ff-region-ramp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let member = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/regions/tees-valley/darlington.toml")
        .display()
        .to_string();
    let region = |name: &str, ramp: &str| {
        format!("name = \"{name}\"\nmembers = [{member:?}]\n[cooperative]\nfoster_places_per_10k_children = 1\nramp_months = {ramp}\nagency_foster_places_per_10k_children = 1\nresidential_beds_per_10k_children = 1\nprice_factor = 1\nrunning_cost_pounds_per_year = 0\n")
    };
    for ramp in ["0", "121", "-1", "1.5", "99999999999", "\"x\""] {
        let path = write(&dir, "ramp.toml", &region("x", ramp));
        let e = RegionInput::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("ramp.toml:5:")
                && e.contains("cooperative.ramp_months")
                && e.contains(&range)
                && !e.contains("0 or more"),
            "{ramp}: {e}"
        );
    }
    let path = write(&dir, "named.toml", &region("Tees\\nValley", "12"));
    let e = RegionInput::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("named.toml:1:") && e.contains("name: holds a line break"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
