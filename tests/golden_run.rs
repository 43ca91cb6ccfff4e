//! A golden whole run: one small scenario and seed, and everything the run
//! produces pinned byte for byte.
//!
//! * `tests/golden/run-summary.json`: the summary JSON, exactly what
//!   `familyflow run tests/golden/golden-run.toml --seed 12 --json` prints
//!   (it carries the final state hash);
//! * `tests/golden/run-log.txt`: the final state hash, the event count, the
//!   trailer and a digest of the event log, whole and in blocks of events (so
//!   a difference is placed at the first block, and the minute, it starts in).
//!
//! Any change to what the model decides, to the random streams, to the
//! metrics or to the summary shows up here. When the change is intended,
//! re-bless and read the diff before committing it:
//!
//! ```sh
//! FAMILYFLOW_BLESS=1 cargo test --release --test golden_run
//! git diff tests/golden/
//! ```
//!
//! A re-bless cannot silently lose a route: `every_route_is_exercised`
//! asserts, from the run itself and not from the golden files, that each
//! route the scenario is there to exercise happened.

use familyflow::analysis::run;
use std::path::PathBuf;
use std::process::Command;

use familyflow::analysis::run::Finished;
use familyflow::analysis::summary::{Count, Summary};
use familyflow::engine::log::{LogReader, Trailer};
use familyflow::model::event::{
    CareExit, CareRoute, ClosureReason, Event, HelpOutcome, LegalStatus, Placement, Timed,
    TriageDecision,
};
use familyflow::model::input::ScenarioInput;

mod common;
use common::TempDir;

/// The scenario, relative to the crate root (the summary records this path).
const SCENARIO: &str = "tests/golden/golden-run.toml";
const SEED: u64 = 12;
const SUMMARY_GOLDEN: &str = "tests/golden/run-summary.json";
const LOG_GOLDEN: &str = "tests/golden/run-log.txt";
/// Events per digest line of `run-log.txt`.
const BLOCK: usize = 500;
const BLESS_HINT: &str = "FAMILYFLOW_BLESS=1 cargo test --release --test golden_run";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn blessing() -> bool {
    std::env::var("FAMILYFLOW_BLESS").as_deref() == Ok("1")
}

/// The scenario as `familyflow run tests/golden/golden-run.toml` reads it
/// from the crate root, whatever the current directory.
fn input() -> ScenarioInput {
    let text = std::fs::read_to_string(manifest_dir().join(SCENARIO))
        .unwrap_or_else(|e| panic!("cannot read {SCENARIO}: {e}"));
    ScenarioInput::from_text(&text, SCENARIO).expect("the golden scenario is valid")
}

/// The golden run, with its log written to memory.
fn golden_run() -> (Finished, Vec<u8>) {
    let mut log = Vec::new();
    let finished = run::run(&input(), SEED, Some(&mut log)).expect("the golden run runs");
    (finished, log)
}

/// Reads a whole log strictly: its events and its trailer.
fn read_log(bytes: &[u8]) -> (Vec<Timed>, Trailer) {
    let mut reader = LogReader::open(bytes).expect("the golden run's log opens");
    let mut events = Vec::new();
    while let Some(t) = reader
        .next_event::<familyflow::model::event::Event>()
        .expect("the golden run's log reads")
    {
        events.push(t);
    }
    let trailer = *reader.trailer().expect("a whole log has a trailer");
    (events, trailer)
}

fn xxh3(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// What `run-log.txt` holds: one `key value` line each, then one line per
/// block of events (`events FROM..TO minutes FIRST..LAST xxh3 DIGEST`, the
/// digest over the events' payload bytes as the codec encodes them).
fn log_digest(finished: &Finished, log: &[u8]) -> String {
    let (events, trailer) = read_log(log);
    let mut s = String::new();
    s.push_str("# tests/golden_run.rs: the golden run's event log; re-bless with\n");
    s.push_str(&format!("# {BLESS_HINT}\n"));
    s.push_str(&format!("scenario {SCENARIO}\nseed {SEED}\n"));
    s.push_str(&format!(
        "final_state_hash {:016x}\n",
        finished.state.hash()
    ));
    s.push_str(&format!("events {}\n", events.len()));
    s.push_str(&format!(
        "trailer events={} end={} state_hash={:016x} running_hash={:016x} clean={}\n",
        trailer.events, trailer.end, trailer.state_hash, trailer.running_hash, trailer.clean
    ));
    s.push_str(&format!(
        "log_bytes {}\nlog_xxh3 {:016x}\n",
        log.len(),
        xxh3(log)
    ));
    let mut buf = Vec::new();
    for (i, chunk) in events.chunks(BLOCK).enumerate() {
        buf.clear();
        for t in chunk {
            familyflow::engine::codec::encode_into(t, &mut buf).expect("an event encodes");
        }
        let from = i * BLOCK;
        s.push_str(&format!(
            "events {from}..{} minutes {}..{} xxh3 {:016x}\n",
            from + chunk.len(),
            chunk[0].at,
            chunk[chunk.len() - 1].at,
            xxh3(&buf)
        ));
    }
    s
}

/// Compares `actual` with the golden file `rel` line by line (or writes it,
/// when blessing); on a difference, panics with the first differing lines.
fn check_golden(rel: &str, actual: &str, what: &str) {
    let path = manifest_dir().join(rel);
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with {BLESS_HINT}",
            path.display()
        )
    });
    if actual == golden {
        return;
    }
    let now: Vec<&str> = actual.lines().collect();
    let then: Vec<&str> = golden.lines().collect();
    let first = now
        .iter()
        .zip(&then)
        .position(|(a, b)| a != b)
        .unwrap_or(now.len().min(then.len()));
    let mut report = String::new();
    let from = first.saturating_sub(3);
    for (i, line) in then.iter().enumerate().skip(from).take(first - from) {
        report.push_str(&format!("   {:>5} | {line}\n", i + 1));
    }
    let mut shown = 0;
    for i in first..now.len().max(then.len()) {
        if shown == 12 {
            report.push_str("   ... (more differences follow)\n");
            break;
        }
        let (a, b) = (now.get(i), then.get(i));
        if a == b {
            continue;
        }
        if let Some(b) = b {
            report.push_str(&format!(" - {:>5} | {b}\n", i + 1));
        }
        if let Some(a) = a {
            report.push_str(&format!(" + {:>5} | {a}\n", i + 1));
        }
        shown += 1;
    }
    if actual.len() != golden.len() && now.len() == then.len() && first == now.len() {
        report.push_str("   (the files differ only in line endings or a final newline)\n");
    }
    panic!(
        "{what} differs from the golden {} ({} lines now, {} in the golden; first difference at line {}):\n\
         (- golden, + now)\n{report}\n\
         If the change is intended (a model, stream, metric or summary change), re-bless with\n  {BLESS_HINT}\n\
         and review `git diff tests/golden/` before committing; if not, something changed what a run produces.",
        path.display(),
        now.len(),
        then.len(),
        first + 1
    );
}

// ---------------------------------------------------------------- goldens

#[test]
fn summary_json_matches_the_golden() {
    let (finished, _log) = golden_run();
    let json = finished.summary.to_json();
    check_golden(SUMMARY_GOLDEN, &json, "the golden run's summary JSON");
}

#[test]
fn final_state_and_log_match_the_golden() {
    let (finished, log) = golden_run();
    assert_eq!(
        finished.summary.state_hash,
        format!("{:016x}", finished.state.hash()),
        "the summary's state hash is the final state's"
    );
    check_golden(
        LOG_GOLDEN,
        &log_digest(&finished, &log),
        "the golden run's final state hash or event log",
    );
}

/// The command prints exactly the golden summary, and `replay` of the log
/// it writes prints it again.
#[test]
fn the_command_prints_the_golden_summary() {
    let dir = TempDir::new("golden-run");
    let bin = env!("CARGO_BIN_EXE_familyflow");
    let seed = SEED.to_string();
    let out = Command::new(bin)
        .args(["run", SCENARIO, "--seed", &seed, "--json", "--out"])
        .arg(dir.path())
        .current_dir(manifest_dir())
        .output()
        .expect("the familyflow binary runs");
    assert!(
        out.status.success(),
        "familyflow run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    let (finished, log) = golden_run();
    let expected = finished.summary.to_json();
    assert!(
        printed == expected,
        "`familyflow run {SCENARIO} --seed {SEED} --json` prints something other than the \
         library's summary of the same run"
    );
    if !blessing() {
        check_golden(SUMMARY_GOLDEN, &printed, "`familyflow run --json`'s output");
    }
    let written = std::fs::read(dir.file("summary.json")).unwrap();
    assert!(
        written == expected.as_bytes(),
        "summary.json differs from the printed summary"
    );
    let log_file = std::fs::read(dir.file("events.ffl")).unwrap();
    assert!(
        log_file == log,
        "the command's log differs from the library's"
    );

    let out = Command::new(bin)
        .args(["replay", "--json"])
        .arg(dir.file("events.ffl"))
        .current_dir(manifest_dir())
        .output()
        .expect("the familyflow binary runs");
    assert!(
        out.status.success(),
        "familyflow replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == expected.as_bytes(),
        "replay of the golden run's log prints another summary"
    );
}

// ---------------------------------------------------------------- named figures

fn count(list: &[Count], label: &str, what: &str) -> u64 {
    list.iter()
        .find(|c| c.what == label)
        .unwrap_or_else(|| {
            panic!(
                "the summary's {what} has no entry {label:?}; it has {:?}",
                list.iter().map(|c| &c.what).collect::<Vec<_>>()
            )
        })
        .count
}

/// Each route the golden scenario is there to exercise happened, asserted
/// from the run itself (summary and events), so that a re-bless cannot hide
/// a lost route.
#[test]
fn every_route_is_exercised() {
    let (finished, log) = golden_run();
    let s: &Summary = &finished.summary;
    let (events, trailer) = read_log(&log);
    assert_eq!(s.events, events.len() as u64);
    assert_eq!(trailer.state_hash, finished.state.hash());
    let mut missing = Vec::new();
    let mut need = |ok: bool, what: String| {
        if !ok {
            missing.push(what);
        }
    };

    // The front door.
    for d in TriageDecision::ALL {
        need(
            count(&s.triage.decisions, d.label(), "triage decisions") > 0,
            format!("front door: {}", d.label()),
        );
    }

    // Family help: every way a spell ends, the waiting list and its exits.
    let fh = &s.family_help;
    need(fh.assessments > 0, "family help assessments".into());
    for o in HelpOutcome::ALL {
        need(
            count(&fh.outcomes, o.label(), "family help outcomes") > 0,
            format!("family help ended: {}", o.label()),
        );
    }
    need(fh.queued > 0, "families queued for family help".into());
    need(fh.escalated > 0, "escalation while waiting".into());
    need(fh.disengaged > 0, "disengagement while waiting".into());
    // "Assessed, not in need" is a closure too, and the events say so.
    let not_in_need_closures = count(&s.closures, ClosureReason::NotInNeed.label(), "closures");
    need(
        not_in_need_closures > 0,
        "closures: assessed, not in need".into(),
    );
    let not_in_need_events = events
        .iter()
        .filter(|t| {
            matches!(
                t.event,
                Event::FamilyHelpEnded {
                    outcome: HelpOutcome::NotInNeed,
                    ..
                }
            )
        })
        .count();
    need(
        not_in_need_events > 0,
        "FamilyHelpEnded events with outcome NotInNeed".into(),
    );

    // Child protection and proceedings.
    let cp = &s.child_protection;
    need(cp.s47_enquiries > 0, "section 47 enquiries".into());
    need(cp.conferences > 0, "initial conferences".into());
    need(cp.plans_started > 0, "plans started".into());
    need(cp.plans_stepped_down > 0, "plans stepped down".into());
    need(
        cp.enquiries_led_by_lead_practitioners > 0,
        "lead practitioners (from the policy change)".into(),
    );
    need(
        s.care.pre_proceedings_started > 0,
        "letters before proceedings".into(),
    );
    need(
        s.care.proceedings_issued > 0,
        "care proceedings issued".into(),
    );

    // Family networks: FGDM offered (at every point the scenario allows),
    // held, unavailable; packages paid and refused.
    let fnw = &s.family_network;
    need(fnw.fgdm_offered > 0, "FGDM offered".into());
    need(fnw.fgdm_held > 0, "FGDM held".into());
    need(fnw.kin_named > 0, "family-led plans naming kin".into());
    need(
        fnw.fgdm_unavailable > 0,
        "FGDM unavailable (no coordinator)".into(),
    );
    need(fnw.fnsp_paid > 0, "support packages paid".into());
    need(fnw.fnsp_refused > 0, "support packages refused".into());

    // Care: entries by every route, placements, legal statuses; exits.
    let care = &s.care;
    let entries: u64 = care.entries.iter().map(|c| c.count).sum();
    need(entries > 0, "entries to care".into());
    for r in CareRoute::ALL {
        need(
            count(&care.entries_by_route, r.label(), "entries by route") > 0,
            format!("care entry by route: {}", r.label()),
        );
    }
    for p in [
        Placement::Kinship,
        Placement::InHouseFoster,
        Placement::AgencyFoster,
    ] {
        need(
            count(&care.entries, p.label(), "entries by placement") > 0,
            format!("care entry placed: {}", p.label()),
        );
    }
    for l in [
        LegalStatus::PoliceProtection,
        LegalStatus::EmergencyProtection,
        LegalStatus::InterimCareOrder,
        LegalStatus::Section20,
    ] {
        need(
            count(
                &care.entries_by_legal_status,
                l.label(),
                "entries by legal status",
            ) > 0,
            format!("care entry with legal status: {}", l.label()),
        );
    }
    let exits: u64 = care.exits.iter().map(|c| c.count).sum();
    need(exits > 0, "exits from care".into());
    for (exit, reason) in [
        (CareExit::Reunified, ClosureReason::Reunified),
        (
            CareExit::SpecialGuardianship,
            ClosureReason::SpecialGuardianship,
        ),
        (CareExit::Aged18, ClosureReason::Aged18),
    ] {
        assert_eq!(exit.closure(), reason);
        let left = events
            .iter()
            .filter(|t| matches!(t.event, Event::LeftCare { exit: e, .. } if e == exit))
            .count();
        need(left > 0, format!("LeftCare events with exit {exit:?}"));
        need(
            count(&s.closures, reason.label(), "closures") > 0,
            format!("closures: {}", reason.label()),
        );
    }
    need(care.child_days_in_care > 0.0, "days in care".into());
    need(care.placement_spend_pence > 0, "placement spending".into());

    // Staff, money and the policy timeline.
    need(!s.policy.is_empty(), "the policy timeline".into());
    need(
        events
            .iter()
            .any(|t| matches!(t.event, Event::PolicyApplied { .. })),
        "PolicyApplied".into(),
    );
    need(
        events
            .iter()
            .any(|t| matches!(t.event, Event::MeasurementStarted)),
        "MeasurementStarted (the burn-in)".into(),
    );
    need(
        events
            .iter()
            .any(|t| matches!(t.event, Event::StaffLeft { .. })),
        "staff leaving".into(),
    );
    need(
        events
            .iter()
            .any(|t| matches!(t.event, Event::Spent { .. })),
        "monthly spending".into(),
    );

    assert!(
        missing.is_empty(),
        "the golden run ({SCENARIO}, seed {SEED}) no longer exercises:\n  {}\n\
         A route was lost (or the scenario changed): do not re-bless this away.",
        missing.join("\n  ")
    );
}

/// The run is deterministic: two runs give the same bytes (so a golden
/// mismatch is a change, not noise).
#[test]
fn the_golden_run_is_deterministic() {
    let (a, log_a) = golden_run();
    let (b, log_b) = golden_run();
    assert_eq!(a.summary.to_json(), b.summary.to_json());
    assert!(log_a == log_b);
}
