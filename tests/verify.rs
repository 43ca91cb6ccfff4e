//! `familyflow verify` on logs that are well formed but wrong: every record's
//! checksum is good, so only verify's own checks can catch them.
//!
//! Made from a real short run (`familyflow run tests/data/tiny.toml --out DIR`):
//!
//! * (a) the trailer's final state hash is wrong (the record rewritten with a
//!   correct CRC-32C, so only the hash is wrong);
//! * (b) the header's scenario hash does not match the scenario text inside
//!   the log (the text edited, or the hash);
//! * (c) an event that does not fit the state (a `LeftCare` for a family
//!   never in care, or never referred), written with `LogWriter`.
//!
//! Each must make `verify` exit non-zero, saying what is wrong and where;
//! the untouched log (and the same log rewritten unchanged) must verify.
//! Damaged checksums and cut logs are `tests/cli.rs`'s and `tests/log_format.rs`'s.

use std::path::{Path, PathBuf};
use std::process::Output;

use familyflow::engine::codec;
use familyflow::engine::log::{Header, LogReader, LogWriter, Trailer};
use familyflow::model::event::{CareExit, Event, FamilyId, Timed};
use familyflow::model::scenario::scenario_hash;

mod common;
use common::{familyflow, TempDir};

const TINY: &str = "tests/data/tiny.toml";
const SEED: u64 = 7;
const PREAMBLE: usize = 12;
const HEADER: u8 = 1;
const TRAILER: u8 = 4;

fn describe(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn verify(log: &Path) -> Output {
    familyflow(&[Path::new("verify"), log])
}

/// `verify` accepts the log.
fn assert_verifies(log: &Path, what: &str) {
    let o = verify(log);
    assert!(
        o.status.success(),
        "verify refused {what}: {}",
        describe(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("ok: "),
        "verify of {what}: {}",
        describe(&o)
    );
}

/// `verify` refuses the log: exit status 1, no panic, an error message on
/// stderr containing every one of `needles`. Returns the message.
fn assert_refused(log: &Path, what: &str, needles: &[String]) -> String {
    let o = verify(log);
    assert!(
        !o.status.success(),
        "verify accepted {what}: {}",
        describe(&o)
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "verify of {what}: {}",
        describe(&o)
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !err.contains("panicked"),
        "verify panicked on {what}: {}",
        describe(&o)
    );
    assert!(
        err.starts_with("error: "),
        "verify of {what}: no error message: {}",
        describe(&o)
    );
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("ok: "),
        "verify of {what} printed ok: {}",
        describe(&o)
    );
    for n in needles {
        assert!(
            err.contains(n.as_str()),
            "verify of {what}: the message does not say {n:?}: {}",
            describe(&o)
        );
    }
    err
}

/// A real short run's log: `familyflow run tests/data/tiny.toml --seed 7 --out DIR`.
fn real_log(dir: &TempDir) -> (PathBuf, Vec<u8>) {
    let o = familyflow(&[
        "run",
        TINY,
        "--seed",
        &SEED.to_string(),
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "run failed: {}", describe(&o));
    let path = dir.file("events.ffl");
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// One record of a well-formed log: where it starts and ends, and its type.
#[derive(Clone, Copy, Debug)]
struct Frame {
    start: usize,
    end: usize,
    ty: u8,
}

/// The records of a well-formed log, found independently of the reader
/// (`length:u32 LE, crc32c:u32 LE, type:u8, payload`; length counts type + payload).
fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut at = PREAMBLE;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 8 + len;
        assert!(end <= bytes.len(), "a frame overruns the log");
        out.push(Frame {
            start: at,
            end,
            ty: bytes[at + 8],
        });
        at = end;
    }
    out
}

fn payload(bytes: &[u8], f: Frame) -> &[u8] {
    &bytes[f.start + 9..f.end]
}

/// The log with record `f` replaced by a record of the same type holding
/// `value`, framed with its correct length and CRC-32C (over type + payload).
fn with_record<T: serde::Serialize>(bytes: &[u8], f: Frame, value: &T) -> Vec<u8> {
    let mut body = vec![f.ty];
    codec::encode_into(value, &mut body).unwrap();
    let mut out = bytes[..f.start].to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&bytes[f.end..]);
    out
}

/// The log reads whole with the strict reader: every checksum, checkpoint
/// and running hash is good.
fn assert_well_formed(bytes: &[u8], what: &str) -> (Header, Vec<Timed>, Trailer) {
    let mut reader =
        LogReader::open(bytes).unwrap_or_else(|e| panic!("{what} is not well formed: {e}"));
    let header = reader.header().clone();
    let mut events = Vec::new();
    loop {
        match reader.next_event::<familyflow::model::event::Event>() {
            Ok(Some(t)) => events.push(t),
            Ok(None) => break,
            Err(e) => panic!("{what} is not well formed: {e}"),
        }
    }
    let trailer = *reader.trailer().expect("a trailer");
    (header, events, trailer)
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.file(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A log written with `LogWriter` from a header, events and a trailer.
fn log_of(header: &Header, events: &[Timed], trailer: &Trailer) -> Vec<u8> {
    let mut w = LogWriter::new(Vec::new(), header).unwrap();
    for t in events {
        w.event(t.at, &t.event).unwrap();
    }
    w.finish(trailer.end, trailer.state_hash, trailer.clean)
        .unwrap()
}

// ---------------------------------------------------------------- the control

#[test]
fn the_untouched_log_verifies_and_so_does_it_rewritten() {
    let dir = TempDir::new("verify-control");
    let (path, bytes) = real_log(&dir);
    assert_verifies(&path, "the untouched log");

    // The tools the other tests use change nothing by themselves.
    let fr = frames(&bytes);
    assert_eq!(fr.first().unwrap().ty, HEADER);
    assert_eq!(fr.last().unwrap().ty, TRAILER);
    let (header, events, trailer) = assert_well_formed(&bytes, "the untouched log");
    assert!(events.len() > 50, "the tiny run has some events");
    let header_again: Header = codec::decode_exact(payload(&bytes, fr[0])).unwrap();
    assert_eq!(header_again, header);
    assert_eq!(header.scenario_hash, scenario_hash(&header.scenario));
    let t: Trailer = codec::decode_exact(payload(&bytes, *fr.last().unwrap())).unwrap();
    assert_eq!(t, trailer);
    assert_eq!(with_record(&bytes, *fr.last().unwrap(), &t), bytes);
    assert_eq!(with_record(&bytes, fr[0], &header), bytes);
    let rewritten = log_of(&header, &events, &trailer);
    assert_eq!(
        rewritten, bytes,
        "LogWriter rewrites the run's log byte for byte"
    );
    assert_verifies(
        &write(&dir, "rewritten.ffl", &rewritten),
        "the log rewritten",
    );
}

// ---------------------------------------------------------------- (a) state hash

#[test]
fn a_wrong_final_state_hash_in_the_trailer_is_refused() {
    let dir = TempDir::new("verify-state-hash");
    let (_, bytes) = real_log(&dir);
    let fr = frames(&bytes);
    let last = *fr.last().unwrap();
    assert_eq!(last.ty, TRAILER);
    let trailer: Trailer = codec::decode_exact(payload(&bytes, last)).unwrap();
    let real = trailer.state_hash;

    for (name, wrong) in [
        ("one-bit", real ^ 1),
        ("zero", 0),
        ("other", real.rotate_left(17) ^ 0xDEAD_BEEF_0000_0000),
    ] {
        assert_ne!(wrong, real);
        let tampered = with_record(
            &bytes,
            last,
            &Trailer {
                state_hash: wrong,
                ..trailer
            },
        );
        // Only the hash is wrong: the strict reader reads it whole.
        let (_, _, t) = assert_well_formed(&tampered, "the log with a wrong state hash");
        assert_eq!(t.state_hash, wrong);
        let path = write(&dir, &format!("state-hash-{name}.ffl"), &tampered);
        assert_refused(
            &path,
            &format!("a log whose trailer records a wrong final state hash ({name})"),
            &[
                path.display().to_string(),
                format!("replay ends in state {real:016x}"),
                format!("the log recorded {wrong:016x}"),
            ],
        );
    }
}

// ---------------------------------------------------------------- (b) scenario hash

#[test]
fn a_scenario_that_does_not_match_its_recorded_hash_is_refused() {
    let dir = TempDir::new("verify-scenario-hash");
    let (_, bytes) = real_log(&dir);
    let fr = frames(&bytes);
    assert_eq!(fr[0].ty, HEADER);
    let header: Header = codec::decode_exact(payload(&bytes, fr[0])).unwrap();
    assert_eq!(header.scenario_hash, scenario_hash(&header.scenario));

    // The text edited after the run (a comment: the scenario it describes,
    // and so the replay, are unchanged; only the hash can tell).
    let edited = Header {
        scenario: format!("{}\n# edited after the run\n", header.scenario),
        ..header.clone()
    };
    // The recorded hash changed.
    let rehashed = Header {
        scenario_hash: header.scenario_hash ^ 0x8000_0000_0000_0001,
        ..header.clone()
    };
    for (name, h) in [("text-edited", edited), ("hash-changed", rehashed)] {
        assert_ne!(h.scenario_hash, scenario_hash(&h.scenario));
        let tampered = with_record(&bytes, fr[0], &h);
        assert_well_formed(&tampered, "the log with a mismatched scenario hash");
        let path = write(&dir, &format!("scenario-{name}.ffl"), &tampered);
        assert_refused(
            &path,
            &format!("a log whose scenario does not match its recorded hash ({name})"),
            &[
                path.display().to_string(),
                "the scenario inside the log does not match its recorded hash".into(),
            ],
        );
    }
}

// ---------------------------------------------------------------- (c) an event that does not fit

#[test]
fn an_event_that_does_not_fit_the_state_is_refused() {
    let dir = TempDir::new("verify-inconsistent");
    let (_, bytes) = real_log(&dir);
    let (header, events, trailer) = assert_well_formed(&bytes, "the run's log");

    // A family that was referred but never came into care.
    let in_care = |id: FamilyId| {
        events.iter().any(|t| {
            matches!(t.event, Event::EnteredCare { family, .. } | Event::FamilyOpened { family, .. } if family == id)
        })
    };
    let (at_referral, family) = events
        .iter()
        .enumerate()
        .find_map(|(i, t)| match t.event {
            Event::FamilyReferred { family, .. } if !in_care(family) => Some((i, family)),
            _ => None,
        })
        .expect("the tiny run refers a family that never comes into care");
    let never_known = FamilyId(events.len() as u32 * 1000 + 7);
    assert!(!events.iter().any(|t| t.event.family() == Some(never_known)));

    for (name, family, why) in [
        (
            "never-in-care",
            family,
            vec![format!("family {family} is "), "not InCare".to_string()],
        ),
        (
            "never-referred",
            never_known,
            vec![format!("family {never_known} is not known")],
        ),
    ] {
        // Right after the family's referral, at the same minute.
        let index = at_referral + 1;
        let at = events[at_referral].at;
        let mut bad = events.clone();
        bad.insert(
            index,
            Timed {
                at,
                event: Event::LeftCare {
                    family,
                    exit: CareExit::Reunified,
                },
            },
        );
        let log = log_of(&header, &bad, &trailer);
        // Well formed: every checksum, checkpoint and running hash is good.
        let (_, read, _) = assert_well_formed(&log, "the log with an event that does not fit");
        assert_eq!(read, bad);
        let path = write(&dir, &format!("inconsistent-{name}.ffl"), &log);
        // Where: the log's path, the record (the header is record 0, and the
        // tiny log has no checkpoints) and the byte it starts at.
        let record = index + 1;
        let offset = frames(&log)[record].start;
        for command in ["verify", "replay"] {
            let o = familyflow(&[Path::new(command), &path]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains(&format!(
                    "{}: record {record} at byte {offset}: event {index}: LeftCare",
                    path.display()
                )),
                "{command} does not say where the event that does not fit is: {}",
                describe(&o)
            );
        }
        assert_refused(
            &path,
            &format!("a log with a LeftCare for a family {name}"),
            &[
                vec![format!(
                    "event {index}: LeftCare at minute {at} does not fit the state"
                )],
                why,
            ]
            .concat(),
        );
    }
}

// ---------------------------------------------------------------- crafted content (issue 14)

/// A header naming another codec, or a familyflow version this build is not
/// (or no version at all), is refused, whatever the checksums say.
#[test]
fn a_header_with_another_codec_or_engine_version_is_refused() {
    let dir = TempDir::new("verify-header");
    let (_, bytes) = real_log(&dir);
    let fr = frames(&bytes);
    let header: Header = codec::decode_exact(payload(&bytes, fr[0])).unwrap();
    let cases = [
        (
            "codec",
            Header {
                codec: "bincode-1.3/legacy".into(),
                ..header.clone()
            },
            "encoded with \"bincode-1.3/legacy\"",
        ),
        (
            "newer-version",
            Header {
                engine_version: "9.9.9".into(),
                ..header.clone()
            },
            "written by familyflow 9.9.9",
        ),
        (
            "not-a-version",
            Header {
                engine_version: "banana".into(),
                ..header.clone()
            },
            "\"banana\", which is not a version of familyflow",
        ),
        (
            "empty-version",
            Header {
                engine_version: String::new(),
                ..header.clone()
            },
            "\"\", which is not a version of familyflow",
        ),
    ];
    for (name, h, says) in cases {
        let tampered = with_record(&bytes, fr[0], &h);
        let path = write(&dir, &format!("header-{name}.ffl"), &tampered);
        assert_refused(
            &path,
            &format!("a log whose header has a wrong {name}"),
            &[
                path.display().to_string(),
                "record 0 at byte 12".into(),
                says.into(),
            ],
        );
    }
}

/// A log rewritten with good checksums, running hash and event count but
/// events dropped (its trailer's state hash made to match, or the events
/// chosen so that it stays the same), or no events at all, or a trailer
/// that ends elsewhere than the run: a re-run of its scenario tells.
#[test]
fn crafted_logs_with_dropped_events_are_refused() {
    let dir = TempDir::new("verify-dropped");
    let (_, bytes) = real_log(&dir);
    let (header, events, trailer) = assert_well_formed(&bytes, "the run's log");
    let replayed_hash = |log: &[u8]| {
        familyflow::analysis::run::replay(log)
            .ok()
            .map(|r| r.finished.state.hash())
    };

    // An event whose loss leaves the final state hash as it was.
    let silent = (0..events.len())
        .find(|&i| {
            let mut fewer = events.clone();
            fewer.remove(i);
            replayed_hash(&log_of(&header, &fewer, &trailer)) == Some(trailer.state_hash)
        })
        .expect("some event leaves the final state unchanged when dropped");
    let mut fewer = events.clone();
    fewer.remove(silent);
    let log = log_of(&header, &fewer, &trailer);
    assert_well_formed(&log, "the log without one event");
    let path = write(&dir, "dropped-silent.ffl", &log);
    assert_refused(
        &path,
        "a log without an event whose loss leaves the state hash unchanged",
        &[
            path.display().to_string(),
            format!("event {silent} ("),
            "is not what a re-run of the log's scenario with seed 7 gives there".into(),
        ],
    );

    // The last events dropped and the trailer made to match.
    let tail = &events[..events.len() - 5];
    let mut w = LogWriter::new(Vec::new(), &header).unwrap();
    for t in tail {
        w.event(t.at, &t.event).unwrap();
    }
    let partial = w.finish(trailer.end, 0, true).unwrap();
    let hash = replayed_hash(&partial).expect("the first events replay");
    let log = log_of(
        &header,
        tail,
        &Trailer {
            state_hash: hash,
            ..trailer
        },
    );
    let path = write(&dir, "dropped-tail.ffl", &log);
    assert_refused(
        &path,
        "a log without its last five events",
        &[
            path.display().to_string(),
            format!(
                "the log holds {} events and says it is whole, but a re-run of its scenario with seed 7 has {}: the last 5 are missing",
                events.len() - 5,
                events.len()
            ),
        ],
    );

    // No events at all: a trailer whose event count is 0.
    let scenario = familyflow::model::scenario::Scenario::parse(&header.scenario, "x").unwrap();
    let fresh = familyflow::model::state::State::new(&scenario).hash();
    let log = log_of(
        &header,
        &[],
        &Trailer {
            state_hash: fresh,
            ..trailer
        },
    );
    let (_, none, t) = assert_well_formed(&log, "the log with no events");
    assert!(none.is_empty() && t.events == 0);
    let path = write(&dir, "no-events.ffl", &log);
    assert_refused(
        &path,
        "a log whose trailer counts 0 events",
        &[
            path.display().to_string(),
            "the log holds 0 events and says it is whole".into(),
        ],
    );

    // The trailer ends before the run does.
    let log = log_of(
        &header,
        &events,
        &Trailer {
            end: trailer.end - 1,
            ..trailer
        },
    );
    let path = write(&dir, "early-end.ffl", &log);
    assert_refused(
        &path,
        "a log whose trailer ends before the run",
        &[
            path.display().to_string(),
            format!(
                "the trailer says the run ended at minute {}, but its scenario's run ends at minute {}",
                trailer.end - 1,
                trailer.end
            ),
        ],
    );
}

// ---------------------------------------------------------------- times (issue 14)

/// Times the calendar cannot hold (an event at 2^32 minutes, a trailer
/// ending at 2^40, an event at the run's very end) are errors naming the
/// record and byte offset, in every command that reads a log; none panics.
#[test]
fn times_beyond_the_run_are_errors_not_panics() {
    let dir = TempDir::new("verify-times");
    let (_, bytes) = real_log(&dir);
    let (header, events, trailer) = assert_well_formed(&bytes, "the run's log");
    let last = events.last().unwrap().clone();
    let mut cases = Vec::new();
    for at in [1u64 << 32, trailer.end, u64::MAX] {
        let mut more = events.clone();
        more.push(Timed {
            at,
            event: last.event.clone(),
        });
        let log = log_of(&header, &more, &trailer);
        let record = events.len() + 1;
        let offset = frames(&log)[record].start;
        cases.push((
            format!("an event at minute {at}"),
            log,
            format!("record {record} at byte {offset} is damaged: event {} is at minute {at}, at or after the end of the run (minute {})", events.len(), trailer.end),
        ));
    }
    for end in [1u64 << 40, u64::MAX] {
        let log = log_of(&header, &events, &Trailer { end, ..trailer });
        let record = events.len() + 1;
        let offset = frames(&log)[record].start;
        cases.push((
            format!("a trailer ending at minute {end}"),
            log,
            format!("record {record} at byte {offset} is damaged: the trailer says the run ended at minute {end}, after the end of the run its scenario describes (minute {})", trailer.end),
        ));
    }
    for (n, (what, log, says)) in cases.into_iter().enumerate() {
        let path = write(&dir, &format!("time-{n}.ffl"), &log);
        let p = path.display().to_string();
        let out = dir.file(&format!("out-{n}"));
        let o = out.display().to_string();
        let recovered = dir
            .file(&format!("recovered-{n}.ffl"))
            .display()
            .to_string();
        let commands: Vec<Vec<&str>> = vec![
            vec!["verify", &p],
            vec!["replay", &p],
            vec!["events", &p],
            vec!["events", &p, "--json"],
            vec!["export", &p, "--format", "csv", "--out", &o],
            vec!["export", &p, "--format", "jsonl", "--out", &o],
            vec!["export", &p, "--format", "ssda903", "--out", &o],
            vec!["export", &p, "--format", "cin", "--out", &o],
        ];
        for args in commands {
            let r = familyflow(&args);
            let err = String::from_utf8_lossy(&r.stderr);
            assert_eq!(
                r.status.code(),
                Some(1),
                "{} on {what}: {}",
                args.join(" "),
                describe(&r)
            );
            assert!(
                !err.contains("panicked"),
                "{} on {what}: {}",
                args.join(" "),
                describe(&r)
            );
            assert!(
                err.contains(&format!("{p}: {says}")),
                "{} on {what}: {}",
                args.join(" "),
                describe(&r)
            );
        }
        // recover keeps the events before the bad record and says why it stopped.
        let r = familyflow(&["recover", &p, "--out", &recovered]);
        assert!(r.status.success(), "recover on {what}: {}", describe(&r));
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(text.contains(&says), "recover on {what}: {}", describe(&r));
        assert!(
            text.starts_with(&format!("recovered {} events", events.len())),
            "recover on {what}: {}",
            describe(&r)
        );
    }
}

// ---------------------------------------------------------------- far into a log

/// `replay` reads on a thread of its own, batches of events ahead of
/// folding them: an event that does not fit, or a cut, many batches (and
/// checkpoints) into a log is located exactly as reading and folding in
/// turn would, and a cut log is refused, not half replayed.
#[test]
fn replay_reading_ahead_locates_a_misfit_or_a_cut_far_into_a_log() {
    const EVENT: u8 = 2;
    let dir = TempDir::new("verify-far");
    let o = familyflow(&[
        "run",
        TINY,
        "--seed",
        &SEED.to_string(),
        "--set",
        "area.children=200000",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "run failed: {}", describe(&o));
    let bytes = std::fs::read(dir.file("events.ffl")).unwrap();
    let (mut header, events, trailer) = assert_well_formed(&bytes, "the larger run's log");
    assert!(events.len() > 5 * 4096, "{} events", events.len());
    header.checkpoint_every = 1000;

    let never_known = FamilyId(u32::MAX - 1);
    // In the first batch (the reading thread is batches ahead and must be
    // stopped), and in the last (it has read the trailer already).
    for index in [10, events.len() - 3] {
        let mut bad = events.clone();
        bad.insert(
            index,
            Timed {
                at: events[index - 1].at,
                event: Event::LeftCare {
                    family: never_known,
                    exit: CareExit::Reunified,
                },
            },
        );
        let log = log_of(&header, &bad, &trailer);
        let fs = frames(&log);
        let (record, frame) = fs
            .iter()
            .enumerate()
            .filter(|(_, f)| f.ty == EVENT)
            .nth(index)
            .expect("the inserted event's record");
        assert!(fs.iter().filter(|f| f.ty == 3).count() > 20, "checkpoints");
        let said = format!(
            "record {record} at byte {}: event {index}: LeftCare",
            frame.start
        );
        let err = familyflow::analysis::run::replay(&log[..])
            .err()
            .expect("the misfit is refused")
            .to_string();
        assert!(err.starts_with(&said), "{err}");
        // A cut further on is not what is reported: the misfit comes first.
        let cut = fs[fs.len() - 2].end - 1;
        let err = familyflow::analysis::run::replay(&log[..cut])
            .err()
            .expect("the misfit is refused")
            .to_string();
        assert!(err.starts_with(&said), "cut log: {err}");
    }

    let good = log_of(&header, &events, &trailer);
    let fs = frames(&good);
    for cut in [fs[fs.len() / 2].start + 5, fs[fs.len() - 2].end - 1] {
        let mut strict = LogReader::open(&good[..cut]).expect("the header is whole");
        let expected = loop {
            match strict.next_event::<Event>() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("a log cut at byte {cut} reads whole"),
                Err(e) => break e.to_string(),
            }
        };
        let err = familyflow::analysis::run::replay(&good[..cut])
            .err()
            .expect("a cut log is refused")
            .to_string();
        assert_eq!(err, expected, "cut at byte {cut}");
    }
}
