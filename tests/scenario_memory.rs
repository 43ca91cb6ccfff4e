//! The policy timeline's memory (issue 14, finding 11): each `[[policy]]`
//! entry is a whole version of the parameters, so entries are capped
//! (`MAX_POLICY_CHANGES`) and so is the text each version holds; a 1 MB
//! file with 1,000 entries needs little memory, with 500 it loads and runs.
//! And parsing itself (issue 14's follow-up: a 16 MiB scenario peaked at
//! 1.5 GB in the TOML parser, an `extends` chain at 2.1 GB): at most
//! `MAX_SCENARIO_INPUT_BYTES` (1 MiB) is read for a scenario and every file
//! it extends together, so the worst text the parser can be given (tiny
//! values in a huge array, about 140 bytes of memory a byte) stays bounded.
//!
//! Its own test binary because it installs a counting `#[global_allocator]`
//! (live bytes and their peak; `common::counting`), one test at a time.

use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::{
    Scenario, DEFAULT_SCENARIO, MAX_POLICY_CHANGES, MAX_SCENARIO_INPUT_BYTES,
};
use familyflow::model::Model;

mod common;
use common::counting::{measure, ONE_AT_A_TIME};
use common::TempDir;

#[global_allocator]
static GLOBAL: common::counting::Counting = common::counting::Counting;

/// Runs `f` and returns its result with the most bytes live above the
/// start while it ran.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let m = measure(f);
    (m.out, m.peak)
}

/// The built-in scenario with `n` dated changes, each with a note of
/// `note` bytes, padded with the description to about `total` bytes.
fn with_policies(n: usize, note: usize, description: usize) -> String {
    let start = familyflow::model::calendar::CivilDate::new(2024, 4, 1).unwrap();
    let mut text = DEFAULT_SCENARIO.replacen(
        "description = \"",
        &format!("description = \"{}", "d".repeat(description)),
        1,
    );
    for i in 0..n {
        let date = start.plus_days(i as i64).unwrap();
        text.push_str(&format!(
            "\n[[policy]]\ndate = {date}\nnote = \"{}\"\nfamily_help.fte = {}\n",
            "n".repeat(note),
            90 + i % 20
        ));
    }
    text
}

/// A megabyte of text.
const MB: usize = 1_000_000;
/// A mebibyte of memory.
const MIB: usize = 1 << 20;

#[test]
fn a_long_policy_timeline_needs_little_memory() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = TempDir::new("timeline");
    // 1,000 entries in a file of about 1 MB: refused at once, for the count.
    let text = with_policies(1_000, 900, 0);
    assert!(
        text.len() > MB * 9 / 10 && text.len() as u64 <= MAX_SCENARIO_INPUT_BYTES,
        "{}",
        text.len()
    );
    std::fs::write(tmp.file("thousand.toml"), &text).unwrap();
    let (loaded, peak) = peak_of(|| ScenarioInput::load(&tmp.file("thousand.toml")));
    let err = loaded.map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("expected at most {MAX_POLICY_CHANGES}")),
        "{err}"
    );
    assert!(
        peak < 200 * MIB,
        "refusing 1,000 entries took {} MB",
        peak / MIB
    );

    // The same with a 1 MB description: refused, for its length.
    let text = with_policies(1_000, 0, MB - 150_000);
    std::fs::write(tmp.file("described.toml"), &text).unwrap();
    let (loaded, peak) = peak_of(|| ScenarioInput::load(&tmp.file("described.toml")));
    let err = loaded.map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("description: is"), "{err}");
    assert!(peak < 200 * MIB, "refusing it took {} MB", peak / MIB);

    // 500 entries with the longest description and notes to fill 1 MB or
    // more (within the cap): they load, and a model and its state are built
    // from them.
    let text = with_policies(MAX_POLICY_CHANGES, 1_900, 9_900);
    assert!(
        text.len() > MB && text.len() as u64 <= MAX_SCENARIO_INPUT_BYTES,
        "{}",
        text.len()
    );
    std::fs::write(tmp.file("five-hundred.toml"), &text).unwrap();
    let (versions, peak) = peak_of(|| {
        let input = ScenarioInput::load(&tmp.file("five-hundred.toml")).unwrap();
        let model = Model::new(input.scenario.clone(), 1);
        let _fresh = familyflow::engine::Domain::fresh(&model);
        model.timeline_from(0).1.len()
    });
    assert_eq!(versions, MAX_POLICY_CHANGES);
    assert!(peak < 200 * MIB, "500 entries took {} MB", peak / MIB);
}

/// The text the TOML parser needs most memory for, a byte: tiny values in
/// one huge array (about 140 bytes a byte when parsed).
fn pathological(bytes: usize) -> String {
    let head = "name = \"x\"\nvalues = [";
    let n = (bytes - head.len() - 3) / 2;
    format!("{head}{}1]\n", "1,".repeat(n))
}

#[test]
fn parsing_the_worst_scenario_text_within_the_cap_needs_bounded_memory() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = TempDir::new("parse-peak");
    let cap = MAX_SCENARIO_INPUT_BYTES as usize;
    // At the cap: parsed (and refused, for the unknown field) within
    // 200 MiB.
    let text = pathological(cap);
    assert!(text.len() <= cap && text.len() > cap - 4, "{}", text.len());
    std::fs::write(tmp.file("array.toml"), &text).unwrap();
    let (loaded, peak) = peak_of(|| Scenario::load(&tmp.file("array.toml")).map(|_| ()));
    let err = loaded.unwrap_err().to_string();
    assert!(err.contains("values"), "{err}");
    assert!(peak < 200 * MIB, "the worst 1 MiB took {} MB", peak / MIB);

    // Sixteen times the cap (what a log header holds): refused unread.
    std::fs::write(tmp.file("huge.toml"), pathological(16 * cap)).unwrap();
    let (loaded, peak) = peak_of(|| Scenario::load(&tmp.file("huge.toml")).map(|_| ()));
    let err = loaded.unwrap_err().to_string();
    assert!(err.contains("1 MiB"), "{err}");
    assert!(peak < MIB, "refusing 16 MiB took {} kB", peak / 1024);

    // A chain of eight files, each just under the cap: the first base
    // that would take the chain over the cap is refused unread.
    let each = cap - 100;
    for i in 0..8 {
        let text = if i == 0 {
            pathological(each)
        } else {
            format!("extends = \"f{}.toml\"\n{}", i - 1, pathological(each - 30))
        };
        std::fs::write(tmp.file(&format!("f{i}.toml")), text).unwrap();
    }
    let (loaded, peak) = peak_of(|| Scenario::load(&tmp.file("f7.toml")).map(|_| ()));
    let err = loaded.unwrap_err().to_string();
    assert!(
        err.contains("f7.toml:1:") && err.contains("extends") && err.contains("1 MiB"),
        "{err}"
    );
    assert!(peak < 200 * MIB, "the chain took {} MB", peak / MIB);
}
