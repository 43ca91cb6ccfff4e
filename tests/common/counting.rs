//! A counting allocator for the memory tests: live bytes and their peak.
//!
//! A test binary that measures installs it itself (a `#[global_allocator]`
//! belongs to one binary):
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: common::counting::Counting = common::counting::Counting;
//! ```
//!
//! The counters are global: tests of one binary that measure must not run
//! at once (take [`ONE_AT_A_TIME`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Forwards every call to [`System`], counting the bytes live.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// One measuring test at a time (the counters are global).
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

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

/// What `f` needed: the most bytes live above the start while it ran, and
/// the bytes still live when it returned (what its result holds). Counts
/// only when [`Counting`] is the binary's global allocator.
pub struct Measured<T> {
    /// What `f` returned.
    pub out: T,
    /// The most bytes live above the start while `f` ran.
    pub peak: usize,
    /// The bytes live above the start when `f` returned.
    pub held: usize,
}

/// Runs `f` and measures it (see [`Measured`]).
pub fn measure<T>(f: impl FnOnce() -> T) -> Measured<T> {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = f();
    let after = LIVE.load(Ordering::Relaxed);
    Measured {
        out,
        peak: PEAK.load(Ordering::Relaxed).saturating_sub(before),
        held: after.saturating_sub(before),
    }
}
