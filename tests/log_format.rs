//! The event log's byte format and its damage detection.
//!
//! * every proper prefix of a log is refused by the strict reader, and the
//!   recovering reader keeps exactly the events wholly before the cut;
//! * every single-bit flip is refused;
//! * dropped, repeated and swapped event records (each with a good checksum)
//!   are refused;
//! * a hand-built golden log fixes the bytes (`tests/golden/v4.ffl`).
//!
//! Re-bless the golden file with `FAMILYFLOW_BLESS=1 cargo test --test log_format`
//! — but only together with a `FORMAT_VERSION` bump.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use familyflow::engine::codec::CODEC;
use familyflow::engine::log::{
    recover, Checkpoint, Header, Item, LogError, LogReader, LogWriter, Trailer, FORMAT_VERSION,
    SIGNATURE,
};
use familyflow::model::event::{
    Attributes, CareExit, CareRoute, ClosureReason, Event, FamilyId, FinalOrder, LegalStatus, Need,
    Placement, RiskFactors, Timed, TriageDecision,
};
use familyflow::model::input::ScenarioInput;
use familyflow::model::simulate;
use familyflow::model::Model;

const PREAMBLE: usize = 12;
const SEED: u64 = 7;

mod kind {
    pub const HEADER: u8 = 1;
    pub const EVENT: u8 = 2;
    pub const CHECKPOINT: u8 = 3;
    pub const TRAILER: u8 = 4;
}

// ---------------------------------------------------------------- helpers

fn tiny_input() -> ScenarioInput {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    ScenarioInput::load(&path).expect("tests/data/tiny.toml loads")
}

/// A log of the tiny scenario with seed 7; `checkpoint_every` overrides the header's interval.
fn reference_log(checkpoint_every: Option<u64>) -> Vec<u8> {
    let input = tiny_input();
    let model = Model::new(input.scenario.clone(), SEED);
    let mut header = input.header(SEED);
    if let Some(every) = checkpoint_every {
        header.checkpoint_every = every;
    }
    let mut w = LogWriter::new(Vec::new(), &header).expect("header writes");
    let (state, _metrics) = simulate(&model, &mut w).expect("the tiny scenario runs");
    w.finish(model.calendar.horizon(), state.hash(), true)
        .expect("trailer writes")
}

/// One record's place in a (well-formed) log.
#[derive(Clone, Copy, Debug)]
struct Frame {
    start: usize,
    end: usize,
    ty: u8,
}

/// Walks the frames of a well-formed log independently of the reader.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    assert!(bytes.len() >= PREAMBLE);
    let mut out = Vec::new();
    let mut at = PREAMBLE;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 8 + len;
        assert!(end <= bytes.len(), "reference log frame overruns the file");
        out.push(Frame {
            start: at,
            end,
            ty: bytes[at + 8],
        });
        at = end;
    }
    assert_eq!(at, bytes.len());
    out
}

/// Everything a strict read yields.
#[derive(Debug)]
struct Read {
    header: Header,
    items: Vec<Item<familyflow::model::event::Event>>,
}

impl Read {
    fn events(&self) -> Vec<Timed> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Reads a whole log strictly: open, then `next_item` until `Ok(None)`.
fn strict_read(bytes: &[u8]) -> Result<Read, LogError> {
    let mut reader = LogReader::open(bytes)?;
    let header = reader.header().clone();
    let mut items = Vec::new();
    while let Some(item) = reader.next_item::<familyflow::model::event::Event>()? {
        items.push(item);
        assert!(
            items.len() <= bytes.len(),
            "the reader yields more items than there are bytes"
        );
    }
    Ok(Read { header, items })
}

/// `strict_read`, turning a panic into a test failure that names the input.
fn strict_read_no_panic(bytes: &[u8], what: &str) -> Result<Read, LogError> {
    match catch_unwind(AssertUnwindSafe(|| strict_read(bytes))) {
        Ok(r) => r,
        Err(_) => panic!("the strict reader panicked on {what}"),
    }
}

// ---------------------------------------------------------------- sanity

#[test]
fn reference_logs_read_whole_and_have_the_expected_shape() {
    for every in [None, Some(8)] {
        let bytes = reference_log(every);
        let fr = frames(&bytes);
        assert_eq!(&bytes[..8], &SIGNATURE);
        assert_eq!(fr.first().unwrap().ty, kind::HEADER);
        assert_eq!(fr.last().unwrap().ty, kind::TRAILER);
        let read = strict_read(&bytes).expect("the reference log reads");
        let n_events = fr.iter().filter(|f| f.ty == kind::EVENT).count();
        let n_checkpoints = fr.iter().filter(|f| f.ty == kind::CHECKPOINT).count();
        assert!(n_events >= 20, "the reference log should have some events");
        assert_eq!(read.events().len(), n_events);
        assert_eq!(read.items.len(), fr.len() - 1);
        match every {
            None => assert_eq!(n_checkpoints, 0),
            Some(k) => assert_eq!(n_checkpoints, n_events / k as usize),
        }
        assert!(matches!(read.items.last(), Some(Item::Trailer(t)) if t.clean));
        let rec = recover::<familyflow::model::event::Event, _>(&bytes[..]);
        assert!(rec.stopped.is_none(), "{:?}", rec.stopped);
        assert_eq!(rec.events, read.events());
        assert_eq!(rec.intact_bytes, bytes.len() as u64);
        assert!(rec.trailer.is_some());
    }
}

// ---------------------------------------------------------------- cuts

fn check_every_cut(bytes: &[u8]) {
    let fr = frames(bytes);
    let full = strict_read(bytes).expect("the whole log reads");
    let full_events = full.events();
    let header_end = fr[0].end;

    for cut in 0..bytes.len() {
        let prefix = &bytes[..cut];
        match strict_read_no_panic(prefix, &format!("a log cut at byte {cut}")) {
            Ok(_) => panic!(
                "the strict reader accepted a log cut at byte {cut} of {}",
                bytes.len()
            ),
            // A cut is reported as a cut, never as damage.
            Err(LogError::Truncated { .. } | LogError::MissingTrailer { .. }) => {}
            Err(e) => panic!("a log cut at byte {cut} is reported as {e:?}, not as cut short"),
        }

        let rec = match catch_unwind(AssertUnwindSafe(|| {
            recover::<familyflow::model::event::Event, _>(prefix)
        })) {
            Ok(r) => r,
            Err(_) => panic!("recover panicked on a log cut at byte {cut}"),
        };
        let expected = fr
            .iter()
            .filter(|f| f.ty == kind::EVENT && f.end <= cut)
            .count();
        assert_eq!(
            rec.events.len(),
            expected,
            "cut at {cut}: recover kept {} events; {expected} are wholly before the cut",
            rec.events.len()
        );
        assert_eq!(
            rec.events[..],
            full_events[..expected],
            "cut at {cut}: recovered events are not a prefix of the log's events"
        );
        assert!(
            rec.stopped.is_some(),
            "cut at {cut}: recover did not say it stopped"
        );
        assert!(
            rec.trailer.is_none(),
            "cut at {cut}: a trailer from a cut log"
        );
        assert!(
            rec.intact_bytes <= cut as u64,
            "cut at {cut}: intact_bytes {} is past the cut",
            rec.intact_bytes
        );
        assert_eq!(rec.header.is_some(), cut >= header_end, "cut at {cut}");
        if cut >= header_end {
            // Past the header, the intact part is exactly the whole records before the cut.
            let last_whole = fr
                .iter()
                .take_while(|f| f.end <= cut)
                .last()
                .map(|f| f.end)
                .unwrap();
            assert_eq!(
                rec.intact_bytes, last_whole as u64,
                "cut at {cut}: intact_bytes should be the end of the last whole record"
            );
        }
    }
}

#[test]
fn every_cut_is_refused_strictly_and_recovered_maximally() {
    check_every_cut(&reference_log(None));
}

#[test]
fn every_cut_with_checkpoints_is_refused_strictly_and_recovered_maximally() {
    check_every_cut(&reference_log(Some(8)));
}

// ---------------------------------------------------------------- bit flips

fn check_every_bit_flip(bytes: &[u8]) {
    strict_read(bytes).expect("the unflipped log reads");
    let mut damaged = bytes.to_vec();
    for pos in 0..bytes.len() {
        for bit in 0..8 {
            damaged[pos] ^= 1 << bit;
            let what = format!("bit {bit} of byte {pos} flipped");
            if let Ok(read) = strict_read_no_panic(&damaged, &what) {
                panic!(
                    "the strict reader accepted a log with {what} ({} items read)",
                    read.items.len()
                );
            }
            damaged[pos] ^= 1 << bit;
        }
    }
    assert_eq!(damaged, bytes);
}

#[test]
fn every_bit_flip_is_refused() {
    check_every_bit_flip(&reference_log(None));
}

#[test]
fn every_bit_flip_with_checkpoints_is_refused() {
    check_every_bit_flip(&reference_log(Some(8)));
}

// ---------------------------------------------------------------- whole records

/// Rebuilds a log from the reference one with its event records rearranged:
/// `events` lists, in order, which of the original event records (by index)
/// to write; checkpoints stay where they were, relative to the event count.
struct Records<'a> {
    bytes: &'a [u8],
    frames: Vec<Frame>,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Records {
            bytes,
            frames: frames(bytes),
        }
    }

    fn slice(&self, f: &Frame) -> &'a [u8] {
        &self.bytes[f.start..f.end]
    }

    fn event_frames(&self) -> Vec<Frame> {
        self.frames
            .iter()
            .copied()
            .filter(|f| f.ty == kind::EVENT)
            .collect()
    }

    /// The log with its records in the order given (by index into `frames`).
    fn assemble(&self, order: &[usize]) -> Vec<u8> {
        let mut out = self.bytes[..PREAMBLE].to_vec();
        for &i in order {
            out.extend_from_slice(self.slice(&self.frames[i]));
        }
        out
    }
}

#[test]
fn dropped_repeated_or_swapped_event_records_are_refused() {
    let bytes = reference_log(Some(8));
    let recs = Records::new(&bytes);
    let n = recs.frames.len();
    let event_idx: Vec<usize> = (0..n)
        .filter(|&i| recs.frames[i].ty == kind::EVENT)
        .collect();
    assert!(event_idx.len() > 16);
    assert_eq!(recs.event_frames().len(), event_idx.len());
    let identity: Vec<usize> = (0..n).collect();
    assert_eq!(recs.assemble(&identity), bytes);

    let mut checked = 0;
    let mut refuse = |order: Vec<usize>, what: String| {
        let log = recs.assemble(&order);
        if let Ok(read) = strict_read_no_panic(&log, &what) {
            panic!(
                "the strict reader accepted a log with {what} ({} events read)",
                read.events().len()
            );
        }
        checked += 1;
    };

    for (k, &i) in event_idx.iter().enumerate() {
        // Drop event record k.
        let order: Vec<usize> = identity.iter().copied().filter(|&j| j != i).collect();
        refuse(order, format!("event record {k} dropped"));

        // Repeat event record k right after itself.
        let mut order = identity.clone();
        order.insert(i + 1, i);
        refuse(order, format!("event record {k} repeated"));
    }

    // Swap each pair of consecutive event records (checkpoints stay put).
    for k in 0..event_idx.len() - 1 {
        let (a, b) = (event_idx[k], event_idx[k + 1]);
        if recs.slice(&recs.frames[a]) == recs.slice(&recs.frames[b]) {
            continue; // identical records: swapping them changes nothing
        }
        let mut order = identity.clone();
        order.swap(a, b);
        refuse(order, format!("event records {k} and {} swapped", k + 1));
    }

    // Move the first event record to just before the trailer.
    let mut order = identity.clone();
    let first = order.remove(event_idx[0]);
    order.insert(n - 2, first);
    refuse(order, "the first event record moved to the end".into());

    assert!(checked > 2 * event_idx.len());
}

/// A checkpoint is required after every `checkpoint_every` events, so losing or
/// repeating one is caught even though every checksum is good.
#[test]
fn dropped_or_repeated_checkpoint_records_are_refused() {
    let bytes = reference_log(Some(8));
    let recs = Records::new(&bytes);
    let n = recs.frames.len();
    let identity: Vec<usize> = (0..n).collect();
    let mut accepted = Vec::new();
    for i in (0..n).filter(|&i| recs.frames[i].ty == kind::CHECKPOINT) {
        let dropped: Vec<usize> = identity.iter().copied().filter(|&j| j != i).collect();
        if strict_read(&recs.assemble(&dropped)).is_ok() {
            accepted.push(format!("record {i} (a checkpoint) dropped"));
        }
        let mut repeated = identity.clone();
        repeated.insert(i + 1, i);
        if strict_read(&recs.assemble(&repeated)).is_ok() {
            accepted.push(format!("record {i} (a checkpoint) repeated"));
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}

#[test]
fn other_whole_record_damage_is_refused() {
    let bytes = reference_log(Some(8));
    let recs = Records::new(&bytes);
    let n = recs.frames.len();
    let identity: Vec<usize> = (0..n).collect();

    // No trailer.
    let log = recs.assemble(&identity[..n - 1]);
    assert!(matches!(
        strict_read(&log),
        Err(LogError::MissingTrailer { .. })
    ));
    // Two trailers.
    let mut order = identity.clone();
    order.push(n - 1);
    assert!(matches!(
        strict_read(&recs.assemble(&order)),
        Err(LogError::AfterTrailer { .. })
    ));
    // A second header.
    let mut order = identity.clone();
    order.insert(1, 0);
    assert!(matches!(
        strict_read(&recs.assemble(&order)),
        Err(LogError::Damaged { record: 1, .. })
    ));
    // No header.
    assert!(matches!(
        strict_read(&recs.assemble(&identity[1..])),
        Err(LogError::Damaged { record: 0, .. })
    ));
    // A trailing byte.
    let mut log = bytes.clone();
    log.push(0);
    assert!(matches!(
        strict_read(&log),
        Err(LogError::AfterTrailer { .. })
    ));
    // Not a log; another version.
    assert!(matches!(
        strict_read(b"hello world!!!"),
        Err(LogError::NotALog)
    ));
    let mut log = bytes.clone();
    log[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(matches!(
        strict_read(&log),
        Err(LogError::UnsupportedVersion { found }) if found == FORMAT_VERSION + 1
    ));
}

// ---------------------------------------------------------------- golden

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v4.ffl")
}

fn golden_header() -> Header {
    Header {
        engine_version: "golden".into(),
        codec: CODEC.into(),
        seed: 42,
        scenario_hash: 0x1234,
        scenario_source: "golden".into(),
        scenario: "name = \"golden\"\n".into(),
        checkpoint_every: 2,
    }
}

fn golden_events() -> Vec<Timed> {
    let family = FamilyId(3);
    vec![
        Timed {
            at: 0,
            event: Event::FamilyReferred {
                family,
                attributes: Attributes {
                    children: 2,
                    youngest_age: 5,
                    eldest_age: 8,
                    need: Need::Moderate,
                    risk: 4321,
                    risk_factors: RiskFactors(RiskFactors::DOMESTIC_ABUSE | RiskFactors::NEGLECT),
                    network: 6000,
                },
            },
        },
        Timed {
            at: 600,
            event: Event::TriageDecided {
                family,
                decision: TriageDecision::FamilyHelp,
            },
        },
        Timed {
            at: 600,
            event: Event::FamilyHelpQueued { family },
        },
        Timed {
            at: 1000,
            event: Event::FamilyHelpStarted { family },
        },
        Timed {
            at: 1439,
            event: Event::CaseClosed {
                family,
                reason: ClosureReason::NeedMet,
                rereferral_due: Some(300_000),
            },
        },
        Timed {
            at: 1_439,
            event: Event::EnteredCare {
                family: FamilyId(7),
                route: CareRoute::Emergency,
                placement: Placement::Kinship,
                weekly_pence: 30_000,
                children: 1,
            },
        },
        Timed {
            at: 1_439,
            event: Event::LeftCare {
                family: FamilyId(7),
                exit: CareExit::SpecialGuardianship,
            },
        },
    ]
}

const GOLDEN_END: u64 = 1440;
const GOLDEN_STATE_HASH: u64 = 0xABCD;

fn golden_bytes() -> Vec<u8> {
    let mut w = LogWriter::new(Vec::new(), &golden_header()).unwrap();
    for t in golden_events() {
        w.event(t.at, &t.event).unwrap();
    }
    w.finish(GOLDEN_END, GOLDEN_STATE_HASH, true).unwrap()
}

#[test]
fn golden_log_fixes_the_byte_format() {
    let bytes = golden_bytes();
    assert_eq!(&bytes[..8], b"\x89FFLOG\r\n");
    assert_eq!(&bytes[8..12], &4u32.to_le_bytes());
    assert_eq!(
        FORMAT_VERSION, 4,
        "FORMAT_VERSION changed: add tests/golden/v{FORMAT_VERSION}.ffl and point this test at it"
    );

    let path = golden_path();
    if std::env::var("FAMILYFLOW_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with FAMILYFLOW_BLESS=1 cargo test --test log_format",
            path.display()
        )
    });
    if bytes != golden {
        let first = bytes
            .iter()
            .zip(&golden)
            .position(|(a, b)| a != b)
            .unwrap_or(bytes.len().min(golden.len()));
        panic!(
            "the event log byte format changed: the golden log written now differs from {} \
             (first difference at byte {first}; {} bytes now, {} in the golden file). \
             Logs written by earlier builds would no longer read the same. If the change is \
             intended, bump log::FORMAT_VERSION (now {FORMAT_VERSION}), add a golden file for \
             the new version and re-bless with FAMILYFLOW_BLESS=1; if not, undo the change \
             (event variants are append-only, the codec is pinned).",
            path.display(),
            bytes.len(),
            golden.len()
        );
    }
}

#[test]
fn golden_log_reads_back() {
    let golden = std::fs::read(golden_path()).expect("tests/golden/v4.ffl exists");
    let read = strict_read(&golden).expect("the golden log reads");
    assert_eq!(read.header, golden_header());
    assert_eq!(read.events(), golden_events());

    // The running hash, computed independently: xxh3-64 over every byte of
    // every event record, framing included.
    let fr = frames(&golden);
    let mut running = xxhash_rust::xxh3::Xxh3::new();
    let mut hash_after = Vec::new();
    for f in &fr {
        // Each record's own checksum covers type + payload.
        let stored = u32::from_le_bytes(golden[f.start + 4..f.start + 8].try_into().unwrap());
        assert_eq!(stored, crc32c::crc32c(&golden[f.start + 8..f.end]));
        if f.ty == kind::EVENT {
            running.update(&golden[f.start..f.end]);
            hash_after.push(running.digest());
        }
    }
    let types: Vec<u8> = fr.iter().map(|f| f.ty).collect();
    assert_eq!(types, [1, 2, 2, 3, 2, 2, 3, 2, 2, 3, 2, 4]);

    let events = golden_events();
    let expected = vec![
        Item::Event(events[0].clone()),
        Item::Event(events[1].clone()),
        Item::Checkpoint(Checkpoint {
            events: 2,
            at: 600,
            running_hash: hash_after[1],
        }),
        Item::Event(events[2].clone()),
        Item::Event(events[3].clone()),
        Item::Checkpoint(Checkpoint {
            events: 4,
            at: 1000,
            running_hash: hash_after[3],
        }),
        Item::Event(events[4].clone()),
        Item::Event(events[5].clone()),
        Item::Checkpoint(Checkpoint {
            events: 6,
            at: 1439,
            running_hash: hash_after[5],
        }),
        Item::Event(events[6].clone()),
        Item::Trailer(Trailer {
            events: 7,
            end: GOLDEN_END,
            state_hash: GOLDEN_STATE_HASH,
            running_hash: hash_after[6],
            clean: true,
        }),
    ];
    assert_eq!(read.items, expected);

    let rec = recover::<familyflow::model::event::Event, _>(&golden[..]);
    assert!(rec.stopped.is_none());
    assert_eq!(rec.header, Some(golden_header()));
    assert_eq!(rec.events, events);
    assert_eq!(
        rec.trailer,
        Some(match expected[10] {
            Item::Trailer(t) => t,
            _ => unreachable!(),
        })
    );
}

/// Format 3's new events (escalation, proceedings, legal status, the end of
/// a burn-in, unaccompanied children) are written and read back unchanged.
#[test]
fn format_3_events_round_trip() {
    let family = FamilyId(3);
    let events = vec![
        Timed {
            at: 1_439,
            event: Event::RiskChanged { family, risk: 7300 },
        },
        Timed {
            at: 1_439,
            event: Event::Escalated { family, episode: 1 },
        },
        Timed {
            at: 1_439,
            event: Event::ProceedingsEnded {
                family: FamilyId(7),
                order: FinalOrder::SpecialGuardianship,
            },
        },
        Timed {
            at: 1_439,
            event: Event::LegalStatusChanged {
                family: FamilyId(7),
                legal: LegalStatus::InterimCareOrder,
            },
        },
        Timed {
            at: 1_439,
            event: Event::MeasurementStarted,
        },
        Timed {
            at: 1_439,
            event: Event::Disengaged { family },
        },
        Timed {
            at: 1_439,
            event: Event::KinshipArrangementMade {
                family,
                order: FinalOrder::ChildArrangements,
            },
        },
    ];
    let mut w = LogWriter::new(Vec::new(), &golden_header()).unwrap();
    for t in &events {
        w.event(t.at, &t.event).unwrap();
    }
    let bytes = w.finish(GOLDEN_END, GOLDEN_STATE_HASH, true).unwrap();
    let read = strict_read(&bytes).expect("reads");
    assert_eq!(read.events(), events);
}

// ---------------------------------------------------------------- issue 14

/// A record that breaks the sequence (an event record dropped, repeated or
/// swapped, each with its good checksum) is reported as out of sequence,
/// and `recover` keeps only the events a checkpoint before the break
/// vouches for: never one at or past the break.
#[test]
fn recover_keeps_nothing_past_a_break_in_the_sequence() {
    let bytes = reference_log(Some(8));
    let recs = Records::new(&bytes);
    let n = recs.frames.len();
    let full = strict_read(&bytes).unwrap().events();
    let event_idx: Vec<usize> = (0..n)
        .filter(|&i| recs.frames[i].ty == kind::EVENT)
        .collect();
    let identity: Vec<usize> = (0..n).collect();
    let mut cases = Vec::new();
    for (k, &i) in event_idx.iter().enumerate() {
        let dropped: Vec<usize> = identity.iter().copied().filter(|&j| j != i).collect();
        cases.push((format!("event record {k} dropped"), dropped, k));
        let mut repeated = identity.clone();
        repeated.insert(i + 1, i);
        cases.push((format!("event record {k} repeated"), repeated, k + 1));
        if k + 1 < event_idx.len()
            && recs.slice(&recs.frames[i]) != recs.slice(&recs.frames[event_idx[k + 1]])
        {
            let mut swapped = identity.clone();
            swapped.swap(i, event_idx[k + 1]);
            cases.push((
                format!("event records {k} and {} swapped", k + 1),
                swapped,
                k,
            ));
        }
    }
    for (what, order, at) in cases {
        let log = recs.assemble(&order);
        let rec = recover::<familyflow::model::event::Event, _>(&log[..]);
        assert!(
            matches!(rec.stopped, Some(LogError::OutOfSequence { .. })),
            "{what}: stopped with {:?}",
            rec.stopped
        );
        assert!(
            rec.events.len() <= at,
            "{what}: kept {} events, past the break at event {at}",
            rec.events.len()
        );
        assert_eq!(
            rec.events.len() % 8,
            0,
            "{what}: kept events no checkpoint vouches for"
        );
        assert_eq!(rec.events[..], full[..rec.events.len()], "{what}");
        assert!(rec.trailer.is_none(), "{what}");
        // What was read but not kept is counted; the intact part ends at a checkpoint.
        let read_upto = rec.events.len() as u64 + rec.dropped;
        assert!(read_upto >= rec.events.len() as u64, "{what}");
        let at_checkpoint = recs
            .frames
            .iter()
            .filter(|f| f.ty == kind::CHECKPOINT || f.ty == kind::HEADER)
            .any(|f| f.end as u64 == rec.intact_bytes);
        assert!(
            at_checkpoint,
            "{what}: intact_bytes {} is not the end of a checkpoint",
            rec.intact_bytes
        );
    }
}

/// The reader checks what it can of the content without the domain: the
/// codec is this build's, the trailer does not end before its last event,
/// and (once told the run's end) no time lies at or beyond it.
#[test]
fn the_reader_refuses_another_codec_and_times_out_of_the_run() {
    // Another codec in the header.
    let mut header = golden_header();
    header.codec = "bincode-1.3/legacy".into();
    let w = LogWriter::new(Vec::new(), &header).unwrap();
    let log = w.finish(GOLDEN_END, GOLDEN_STATE_HASH, true).unwrap();
    match LogReader::open(&log[..]) {
        Err(
            e @ LogError::Damaged {
                record: 0,
                offset: 12,
                ..
            },
        ) => {
            assert!(e.to_string().contains("bincode-1.3/legacy"), "{e}");
        }
        other => panic!("another codec: {:?}", other.map(|_| ())),
    }

    // A trailer that ends before its last event.
    let mut w = LogWriter::new(Vec::new(), &golden_header()).unwrap();
    for t in golden_events() {
        w.event(t.at, &t.event).unwrap();
    }
    let log = w.finish(1_000, GOLDEN_STATE_HASH, true).unwrap();
    let err = strict_read(&log).unwrap_err();
    assert!(
        matches!(err, LogError::Damaged { record: 11, .. })
            && err.to_string().contains("before its last event"),
        "{err}"
    );

    // Times at or past the run's end, once the reader knows it.
    let golden = golden_bytes();
    for (end, ok) in [(GOLDEN_END, true), (1_439, false), (1_000, false)] {
        let mut reader = LogReader::open(&golden[..]).unwrap();
        reader.limit_times(end);
        let mut result = Ok(());
        loop {
            match reader.next_item::<Event>() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        match (ok, result) {
            (true, Ok(())) => {}
            (false, Err(e @ LogError::Damaged { .. })) => {
                assert!(
                    e.to_string()
                        .contains(&format!("at or after the end of the run (minute {end})")),
                    "{e}"
                );
            }
            (ok, r) => panic!("limit {end}: expected ok={ok}, got {r:?}"),
        }
    }
}

/// Gives at most a few bytes per `read`, as a pipe or a slow disk may.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 13 + 1;
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// The reader reads its input in blocks of its own (64 KiB) and checks each
/// record where it lies: records that cross a block's end, a header larger
/// than a block, and an input that gives a few bytes at a time read exactly
/// as one slice does; cuts in the big header and in the last block are
/// still found where they are.
#[test]
fn records_across_the_readers_blocks_read_as_from_one_slice() {
    let mut header = golden_header();
    header.scenario = "# padding\n".repeat(20_000); // 200,000 bytes: three blocks
    let mut w = LogWriter::new(Vec::new(), &header).unwrap();
    let events = golden_events();
    let mut at = 0;
    let mut written = Vec::new();
    for round in 0..3_000u64 {
        for t in &events {
            at = at.max(t.at + round * GOLDEN_END);
            w.event(at, &t.event).unwrap();
            written.push(Timed {
                at,
                event: t.event.clone(),
            });
        }
    }
    let bytes = w.finish(at + 1, GOLDEN_STATE_HASH, true).unwrap();
    assert!(bytes.len() > 5 * 65_536, "{} bytes", bytes.len());

    let whole = strict_read(&bytes).expect("the log reads whole");
    assert_eq!(whole.header.scenario, header.scenario);
    assert_eq!(whole.events(), written);

    let mut reader = LogReader::open(Trickle {
        bytes: &bytes,
        step: 0,
    })
    .expect("the header reads a few bytes at a time");
    assert_eq!(reader.header().scenario, header.scenario);
    let mut items = Vec::new();
    while let Some(item) = reader.next_item::<Event>().expect("each record reads") {
        items.push(item);
    }
    assert_eq!(items, whole.items);

    // Cut inside the header, and inside the last record.
    for cut in [150_000, bytes.len() - 3] {
        match strict_read(&bytes[..cut]) {
            Err(LogError::Truncated { end, .. }) => assert_eq!(end, cut as u64),
            other => panic!(
                "a cut at byte {cut} gave {:?}",
                other.map(|r| r.items.len())
            ),
        }
    }
}

/// A writer dropped before its trailer (a run that stopped with an error)
/// leaves every event it was given, whole, though it writes in blocks: the
/// log reads as cut after the last of them, and recovers them all (none,
/// one, a few, and more than a 64 KiB block's worth).
#[test]
fn a_writer_dropped_unfinished_leaves_every_event_it_was_given() {
    let golden = golden_events();
    let mut events: Vec<Timed> = Vec::new();
    let mut at = 0;
    for round in 0..400u64 {
        for t in &golden {
            at = at.max(t.at + round * GOLDEN_END);
            events.push(Timed {
                at,
                event: t.event.clone(),
            });
        }
    }
    for n in [0, 1, golden.len(), events.len()] {
        let mut bytes = Vec::new();
        {
            let mut w = LogWriter::new(&mut bytes, &golden_header()).unwrap();
            for t in &events[..n] {
                w.event(t.at, &t.event).unwrap();
            }
        }
        match strict_read(&bytes) {
            Err(LogError::MissingTrailer { events: e, end }) => {
                assert_eq!(e, n as u64);
                assert_eq!(end, bytes.len() as u64);
            }
            other => panic!("{n} events: {:?}", other.map(|r| r.items.len())),
        }
        let r = recover::<Event, _>(&bytes[..]);
        assert_eq!(r.events, events[..n].to_vec());
    }
}

/// An output that takes `room` bytes, fails once, part way through a
/// write, and then takes whatever it is given (a passing failure: a
/// writer that wrote again would be seen).
struct Full<'a> {
    bytes: &'a mut Vec<u8>,
    room: usize,
    failed: bool,
}

impl std::io::Write for Full<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = if self.failed {
            buf.len()
        } else {
            buf.len().min(self.room - self.bytes.len())
        };
        if n == 0 {
            self.failed = true;
            return Err(std::io::Error::other("no room"));
        }
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// When the output fails part way through a block, the run is told, and
/// nothing more is written to it (no block written twice, by later events
/// or when the writer is dropped): what reached it is a prefix of the log.
#[test]
fn a_failed_write_is_an_error_and_nothing_is_written_after_it() {
    let golden = golden_events();
    let mut events = Vec::new();
    let mut at = 0;
    for round in 0..3_000u64 {
        for t in &golden {
            at = at.max(t.at + round * GOLDEN_END);
            events.push((at, t.event.clone()));
        }
    }
    let end = at + 1;
    let mut whole = LogWriter::new(Vec::new(), &golden_header()).unwrap();
    for (at, e) in &events {
        whole.event(*at, e).unwrap();
    }
    let whole = whole.finish(end, GOLDEN_STATE_HASH, true).unwrap();
    // Room for a block and a half.
    let room = 100_000;
    assert!(whole.len() > 2 * room, "{} bytes", whole.len());
    let mut bytes = Vec::new();
    let mut failed = 0;
    {
        let mut w = LogWriter::new(
            Full {
                bytes: &mut bytes,
                room,
                failed: false,
            },
            &golden_header(),
        )
        .unwrap();
        for (at, e) in &events {
            failed += usize::from(w.event(*at, e).is_err());
        }
        assert!(w.finish(end, GOLDEN_STATE_HASH, true).is_err());
    }
    assert!(failed >= 1, "the full output was not reported");
    assert_eq!(bytes.len(), room);
    assert_eq!(bytes[..], whole[..room], "not a prefix of the log");
}
