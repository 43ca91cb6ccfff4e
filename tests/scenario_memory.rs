//! The policy timeline's memory (issue 14, finding 11): each `[[policy]]`
//! entry is a whole version of the parameters, so entries are capped
//! (`MAX_POLICY_CHANGES`) and so is the text each version holds; a 1 MB
//! file with 1,000 entries needs little memory, with 500 it loads and runs.
//!
//! Its own test binary because it installs a counting `#[global_allocator]`
//! (live bytes and their peak, for the one test below).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::{DEFAULT_SCENARIO, MAX_POLICY_CHANGES};
use familyflow::model::Model;

mod common;
use common::TempDir;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the most bytes live above the
/// start while it ran.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(before))
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
    let tmp = TempDir::new("timeline");
    // 1,000 entries in a 1 MB file: refused at once, for the count.
    let text = with_policies(1_000, 950, 0);
    assert!(text.len() > MB && text.len() < 2 * MB, "{}", text.len());
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
    let text = with_policies(1_000, 0, MB - 100_000);
    std::fs::write(tmp.file("described.toml"), &text).unwrap();
    let (loaded, peak) = peak_of(|| ScenarioInput::load(&tmp.file("described.toml")));
    let err = loaded.map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("description: is"), "{err}");
    assert!(peak < 200 * MIB, "refusing it took {} MB", peak / MIB);

    // 500 entries with the longest description and notes to fill 1 MB or
    // more: they load, and a model and its state are built from them.
    let text = with_policies(MAX_POLICY_CHANGES, 2_000, 9_900);
    assert!(text.len() > MB, "{}", text.len());
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
