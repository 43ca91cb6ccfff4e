use familyflow::agenda::Happening;
use familyflow::calendar::CivilDate;
use familyflow::engine::{Discard, ScenarioInput};
use familyflow::snapshot::{run_with_snapshot, Snapshot};

fn tiny() -> ScenarioInput {
    let t = std::fs::read_to_string("tests/data/tiny.toml").unwrap();
    ScenarioInput::from_text(&t, "tiny").unwrap()
}
fn snap_at(input: &ScenarioInput, d: CivilDate) -> Snapshot {
    let at = input.scenario.calendar().minute_of(d);
    run_with_snapshot::<Vec<u8>>(input, 7, None, at).unwrap().1
}

#[test]
fn zz_damaged_snapshot_never_panics() {
    let input = tiny();
    let s = snap_at(&input, CivilDate::new(2024, 10, 1).unwrap());
    let bytes = s.write(Vec::new()).unwrap();
    eprintln!("snapshot {} bytes", bytes.len());
    for cut in 0..bytes.len() {
        let r = std::panic::catch_unwind(|| Snapshot::read(&bytes[..cut]).is_ok());
        assert!(matches!(r, Ok(false)), "cut at {cut}: {r:?}");
    }
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        let r = std::panic::catch_unwind(|| Snapshot::read(&b[..]).is_ok());
        assert!(matches!(r, Ok(false)), "flip at {i}: {r:?}");
    }
}

#[test]
fn zz_branch_from_first_day_under_another_scenario() {
    let input = tiny();
    let s = snap_at(&input, CivilDate::new(2024, 4, 1).unwrap());
    let other = ScenarioInput::from_text(
        &input.text.replace("name = \"Tiny test area\"", "name = \"Renamed\""),
        "renamed",
    )
    .unwrap();
    let r = s.branch(&other, &mut Discard);
    assert!(r.is_ok(), "{:?}", r.err());
}

/// A snapshot whose records are all well-formed (checksums and end hash
/// recomputed by Snapshot::write) but whose contents are inconsistent.
#[test]
fn zz_crafted_snapshot_contents() {
    let input = tiny();
    let base = snap_at(&input, CivilDate::new(2024, 10, 1).unwrap());
    let try_it = |label: &str, s: Snapshot| {
        let bytes = s.write(Vec::new()).unwrap();
        let r = std::panic::catch_unwind(|| {
            let s = Snapshot::read(&bytes[..]).map_err(|e| e.to_string())?;
            s.branch(&input, &mut Discard).map(|_| ()).map_err(|e| e.to_string())
        });
        eprintln!("{label}: {r:?}");
        r.is_ok()
    };
    let mut ok = true;
    let mut s = base.clone();
    s.head.state.family_help.active = 0;
    s.head.state.leads.active = 0;
    ok &= try_it("active=0", s);
    let mut s = base.clone();
    s.head.state.stage_count = [0; familyflow::state::Stage::COUNT];
    ok &= try_it("stage_count=0", s);
    let mut s = base.clone();
    s.head.state.staff = Default::default();
    ok &= try_it("no staff", s);
    let mut s = base.clone();
    s.head.at = u64::MAX / 2;
    ok &= try_it("at far future", s);
    let mut s = base.clone();
    s.pending.push((0, Happening::MonthEnd));
    s.head.pending += 1;
    ok &= try_it("extra pending", s);
    let mut s = base.clone();
    s.metrics.months.clear();
    ok &= try_it("no months", s);
    assert!(ok, "a crafted snapshot panicked");
}
