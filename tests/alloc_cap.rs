//! Hostile lengths in a log must not make the reader allocate what they claim.
//!
//! Its own test binary because it installs a counting `#[global_allocator]`.
//! The counter is per thread (the test harness runs tests on several threads),
//! and records the largest single allocation request while tracking is on.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use familyflow::engine::codec::DECODE_LIMIT;
use familyflow::engine::log::{LogError, LogReader, LogWriter, MAX_HEADER_RECORD, MAX_RECORD};
use familyflow::model::input::ScenarioInput;
use familyflow::model::simulate;
use familyflow::model::Model;

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // Const-initialised, destructor-free thread locals: no allocation, no
    // registration; `try_with` covers thread teardown anyway.
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

// SAFETY: every call is forwarded to `System` unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the largest single allocation it requested.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    TRACKING.with(|t| t.set(true));
    let out = f();
    TRACKING.with(|t| t.set(false));
    (out, LARGEST.with(|l| l.get()))
}

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// A log of the tiny scenario (seed 7).
fn reference_log() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    let input = ScenarioInput::load(&path).expect("tests/data/tiny.toml loads");
    let model = Model::new(input.scenario.clone(), 7);
    let mut w = LogWriter::new(Vec::new(), &input.header(7)).expect("header writes");
    let (state, _metrics) = simulate(&model, &mut w).expect("the tiny scenario runs");
    w.finish(model.calendar.horizon(), state.hash(), true)
        .expect("trailer writes")
}

/// The preamble and the header record of `log`.
fn preamble_and_header(log: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(log[12..16].try_into().unwrap()) as usize;
    assert_eq!(log[20], 1, "the first record is the header");
    log[..12 + 8 + len].to_vec()
}

/// A frame whose length field is `claimed`, followed by a few bytes.
fn lying_frame(claimed: u32, ty: u8) -> Vec<u8> {
    let mut f = claimed.to_le_bytes().to_vec();
    f.extend_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    f.extend_from_slice(&[ty, 0, 1, 2, 3, 4, 5, 6]);
    f
}

/// A correctly framed and checksummed record of `ty` + `payload`.
fn record(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![ty];
    body.extend_from_slice(payload);
    let mut f = (body.len() as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    f.extend_from_slice(&body);
    f
}

fn preamble() -> Vec<u8> {
    let mut p = familyflow::engine::log::SIGNATURE.to_vec();
    p.extend_from_slice(&familyflow::engine::log::FORMAT_VERSION.to_le_bytes());
    p
}

/// A bincode (standard, varint) length prefix.
fn varint(n: u64) -> Vec<u8> {
    if n < 251 {
        vec![n as u8]
    } else if n <= u64::from(u16::MAX) {
        let mut v = vec![251];
        v.extend_from_slice(&(n as u16).to_le_bytes());
        v
    } else if n <= u64::from(u32::MAX) {
        let mut v = vec![252];
        v.extend_from_slice(&(n as u32).to_le_bytes());
        v
    } else {
        let mut v = vec![253];
        v.extend_from_slice(&n.to_le_bytes());
        v
    }
}

fn string(s: &str) -> Vec<u8> {
    let mut v = varint(s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

fn expect_damaged(r: Result<impl Sized, LogError>, needle: &str) -> String {
    match r {
        Err(e @ LogError::Damaged { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
            msg
        }
        Err(e) => panic!("expected a Damaged error, got {e:?}"),
        Ok(_) => panic!("expected a Damaged error, got a successful read"),
    }
}

#[test]
fn a_record_claiming_4_gb_is_refused_without_allocating_it() {
    let log = reference_log();
    let mut bytes = preamble_and_header(&log);
    let header_end = bytes.len() as u64;
    bytes.extend(lying_frame(0xFFFF_FFF0, 2));

    let (result, largest) = largest_allocation(|| {
        let mut reader = LogReader::open(&bytes[..])?;
        reader.next_item::<familyflow::model::event::Event>()
    });
    let msg = expect_damaged(result.map(|_| ()), "limit");
    assert!(msg.contains("4294967280"), "{msg}");
    assert!(msg.contains(&MAX_RECORD.to_string()), "{msg}");
    assert!(msg.contains(&format!("byte {header_end}")), "{msg}");
    assert!(
        largest < MIB,
        "reading a record that claims 4 GB allocated {largest} bytes at once"
    );
}

#[test]
fn a_record_just_over_the_cap_is_refused_without_allocating_it() {
    let log = reference_log();
    let mut bytes = preamble_and_header(&log);
    bytes.extend(lying_frame(MAX_RECORD + 1, 2));
    let (result, largest) = largest_allocation(|| {
        let mut reader = LogReader::open(&bytes[..])?;
        reader.next_item::<familyflow::model::event::Event>()
    });
    expect_damaged(result.map(|_| ()), "limit");
    assert!(largest < MIB, "allocated {largest} bytes at once");
}

#[test]
fn a_header_claiming_4_gb_is_refused_without_allocating_it() {
    let mut bytes = preamble();
    bytes.extend(lying_frame(0xFFFF_FFF0, 1));
    let (result, largest) = largest_allocation(|| LogReader::open(&bytes[..]).map(|_| ()));
    expect_damaged(result, "limit");
    assert!(
        largest < 32 * MIB,
        "opening a log whose header claims 4 GB allocated {largest} bytes at once"
    );
}

#[test]
fn a_header_at_its_cap_allocates_no_more_than_the_cap() {
    // The strict reader sizes its buffer from the (capped) length field.
    let mut bytes = preamble();
    bytes.extend(lying_frame(MAX_HEADER_RECORD, 1));
    let (result, largest) = largest_allocation(|| LogReader::open(&bytes[..]).map(|_| ()));
    assert!(
        matches!(result, Err(LogError::Truncated { .. })),
        "{result:?}"
    );
    assert!(
        largest < 32 * MIB && largest <= MAX_HEADER_RECORD as usize + MIB,
        "allocated {largest} bytes at once"
    );
}

/// A checksummed header record whose `scenario` string claims `claimed` bytes.
fn header_with_string_claiming(claimed: u64) -> Vec<u8> {
    let mut payload = string("x"); // engine_version
    payload.extend(string(familyflow::engine::codec::CODEC)); // codec
    payload.extend(varint(7)); // seed
    payload.extend(varint(0x1234)); // scenario_hash
    payload.extend(string("hostile")); // scenario_source
    payload.extend(varint(claimed)); // scenario: the lie
    payload.extend_from_slice(b"name = \"x\"\n"); // a few real bytes
    let mut bytes = preamble();
    bytes.extend(record(1, &payload));
    bytes
}

#[test]
fn a_checksummed_header_is_well_formed_when_honest() {
    // The hand-built encoding is right: with an honest length it opens.
    let mut payload = string("x");
    payload.extend(string(familyflow::engine::codec::CODEC));
    payload.extend(varint(7));
    payload.extend(varint(0x1234));
    payload.extend(string("hostile"));
    payload.extend(string("name = \"x\"\n"));
    payload.extend(varint(3)); // checkpoint_every
    let mut bytes = preamble();
    bytes.extend(record(1, &payload));
    let reader = LogReader::open(&bytes[..]).expect("an honest hand-built header opens");
    assert_eq!(reader.header().scenario, "name = \"x\"\n");
    assert_eq!(reader.header().checkpoint_every, 3);
}

#[test]
fn a_huge_string_length_inside_a_good_record_is_refused_without_allocating_it() {
    for claimed in [
        u64::MAX,
        u64::MAX / 2,
        1 << 40,
        u64::from(u32::MAX),
        1 << 30,
        DECODE_LIMIT as u64 + 1,
    ] {
        let bytes = header_with_string_claiming(claimed);
        let (result, largest) = largest_allocation(|| LogReader::open(&bytes[..]).map(|_| ()));
        expect_damaged(result, "does not decode");
        assert!(
            largest < MIB,
            "a header string claiming {claimed} bytes made the reader allocate {largest} bytes at once"
        );
    }
}

#[test]
fn a_string_length_under_the_decode_limit_allocates_at_most_the_limit() {
    // Below the codec's decode limit the claim is believed until the bytes run
    // out: the allocation is bounded by `DECODE_LIMIT`, not by the record.
    let claimed = DECODE_LIMIT as u64 - 4096;
    let bytes = header_with_string_claiming(claimed);
    assert!(bytes.len() < 200);
    let (result, largest) = largest_allocation(|| LogReader::open(&bytes[..]).map(|_| ()));
    expect_damaged(result, "does not decode");
    assert!(
        largest <= DECODE_LIMIT,
        "a header string claiming {claimed} bytes made the reader allocate {largest} bytes at once"
    );
}

#[test]
fn the_counter_sees_large_allocations() {
    let (v, largest) = largest_allocation(|| vec![1u8; 5 * MIB]);
    assert_eq!(v.len(), 5 * MIB);
    assert!(largest >= 5 * MIB, "{largest}");
    let ((), outside) = largest_allocation(|| ());
    assert_eq!(outside, 0);
}
