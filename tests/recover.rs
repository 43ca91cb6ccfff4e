//! `familyflow recover` (issue 14): it never writes over the log it reads,
//! and the prefix it keeps ends before the first record that breaks the
//! sequence, saying how many events it dropped; `verify` of what it wrote
//! says it is a recovered prefix and how many events its run lacks.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use familyflow::engine::log::{LogReader, LogWriter};
use familyflow::model::event::{Event, Timed};
use familyflow::model::input::ScenarioInput;

mod common;
use common::{familyflow, manifest_dir, TempDir};

const TINY: &str = "tests/data/tiny.toml";
const PREAMBLE: usize = 12;
const EVENT: u8 = 2;
const CHECKPOINT: u8 = 3;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    )
}

fn recover(log: &Path, to: &Path) -> Output {
    familyflow(&[Path::new("recover"), log, Path::new("--out"), to])
}

/// The tiny scenario's log with seed 7, a checkpoint every `every` events.
fn tiny_log(every: u64) -> (Vec<u8>, Vec<Timed>) {
    let input = ScenarioInput::load(&manifest_dir().join(TINY)).unwrap();
    let model = familyflow::model::Model::new(input.scenario.clone(), 7);
    let mut header = input.header(7);
    header.checkpoint_every = every;
    let mut w = LogWriter::new(Vec::new(), &header).unwrap();
    let (state, _) = familyflow::model::simulate(&model, &mut w).unwrap();
    let bytes = w
        .finish(model.calendar.horizon(), state.hash(), true)
        .unwrap();
    let mut r = LogReader::open(&bytes[..]).unwrap();
    let mut events = Vec::new();
    while let Some(t) = r.next_event::<Event>().unwrap() {
        events.push(t);
    }
    (bytes, events)
}

/// The records of a well-formed log: (start, end, type).
fn frames(bytes: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    let mut at = PREAMBLE;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, at + 8 + len, bytes[at + 8]));
        at += 8 + len;
    }
    out
}

/// The log with the record ranges given, in that order (each a whole record
/// with its own good checksum).
fn assemble(bytes: &[u8], order: &[(usize, usize, u8)]) -> Vec<u8> {
    let mut out = bytes[..PREAMBLE].to_vec();
    for &(s, e, _) in order {
        out.extend_from_slice(&bytes[s..e]);
    }
    out
}

fn events_of(path: &Path) -> Vec<Timed> {
    let bytes = fs::read(path).unwrap();
    let mut r = LogReader::open(&bytes[..]).unwrap();
    let mut events = Vec::new();
    while let Some(t) = r.next_event::<Event>().unwrap() {
        events.push(t);
    }
    events
}

// ---------------------------------------------------------------- 1. never over the source

#[test]
fn recover_refuses_an_output_that_is_the_log_by_any_path() {
    let dir = TempDir::new("recover-same");
    fs::create_dir(dir.file("sub")).unwrap();
    let (bytes, _) = tiny_log(65_536);
    let cut = &bytes[..bytes.len() - 1000];
    let log = dir.file("events.ffl");
    fs::write(&log, cut).unwrap();

    let mut outputs: Vec<(String, PathBuf)> = vec![
        ("the same path".into(), log.clone()),
        (
            "a path through ..".into(),
            dir.file("sub").join("..").join("events.ffl"),
        ),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&log, dir.file("link.ffl")).unwrap();
        outputs.push(("a symlink to it".into(), dir.file("link.ffl")));
        std::os::unix::fs::symlink(dir.path(), dir.file("here")).unwrap();
        outputs.push((
            "a path through a symlinked folder".into(),
            dir.file("here").join("events.ffl"),
        ));
    }
    fs::hard_link(&log, dir.file("hard.ffl")).unwrap();
    outputs.push(("a hard link to it".into(), dir.file("hard.ffl")));

    for (what, to) in outputs {
        let o = recover(&log, &to);
        assert_eq!(
            o.status.code(),
            Some(1),
            "recover onto {what}: {}",
            describe(&o)
        );
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            err.contains("this is the log being recovered"),
            "{what}: {err}"
        );
        assert!(err.contains(&to.display().to_string()), "{what}: {err}");
        assert_eq!(
            fs::read(&log).unwrap(),
            cut,
            "recover onto {what} changed the log"
        );
    }
    // Another file in the same folder is fine, and leaves no temporary file.
    let o = recover(&log, &dir.file("recovered.ffl"));
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(fs::read(&log).unwrap(), cut);
    let tmp: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

// ---------------------------------------------------------------- 2. nothing past a break

/// Event records dropped, repeated or swapped (each keeping its good
/// checksum; the trailer left as written): recover keeps only events that
/// come before the break and that a checkpoint vouches for, says how many
/// it dropped, and verify of the result says it is a recovered prefix and
/// how many events its run lacks.
#[test]
fn recover_keeps_nothing_past_a_missing_repeated_or_reordered_record() {
    let dir = TempDir::new("recover-hole");
    let (bytes, events) = tiny_log(8);
    let fr = frames(&bytes);
    let event_idx: Vec<usize> = (0..fr.len()).filter(|&i| fr[i].2 == EVENT).collect();
    assert!(event_idx.len() > 100);
    let cp = fr.iter().filter(|f| f.2 == CHECKPOINT).count();
    assert!(cp > 10);

    // (what, the damaged order of records, the event number of the break)
    let mut cases = Vec::new();
    for k in [0usize, 5, 20, 61, 100, event_idx.len() - 1] {
        let i = event_idx[k];
        let mut order = fr.clone();
        order.remove(i);
        cases.push((format!("event {k} dropped"), order, k));
        let mut order = fr.clone();
        order.insert(i + 1, fr[i]);
        cases.push((format!("event {k} repeated"), order, k + 1));
        if k + 1 < event_idx.len()
            && bytes[fr[i].0..fr[i].1] != bytes[fr[event_idx[k + 1]].0..fr[event_idx[k + 1]].1]
        {
            let mut order = fr.clone();
            order.swap(i, event_idx[k + 1]);
            cases.push((format!("events {k} and {} swapped", k + 1), order, k));
        }
    }
    for (n, (what, order, at)) in cases.into_iter().enumerate() {
        let log = dir.file(&format!("damaged-{n}.ffl"));
        fs::write(&log, assemble(&bytes, &order)).unwrap();
        let to = dir.file(&format!("recovered-{n}.ffl"));
        let o = recover(&log, &to);
        assert!(
            o.status.success(),
            "recover of a log with {what}: {}",
            describe(&o)
        );
        let kept = events_of(&to);
        assert!(
            kept.len() <= at,
            "{what}: recover kept {} events, past the break at event {at}: {}",
            kept.len(),
            describe(&o)
        );
        assert_eq!(
            kept[..],
            events[..kept.len()],
            "{what}: not a prefix of the log's events"
        );
        let out = stdout(&o);
        assert!(
            out.starts_with(&format!("recovered {} events", kept.len())),
            "{what}: {out}"
        );
        assert!(out.contains("dropped "), "{what}: {out}");
        assert!(
            out.contains("out of sequence") || out.contains("does not fit the state"),
            "{what}: {out}"
        );

        let v = familyflow(&[Path::new("verify"), &to]);
        assert_eq!(v.status.code(), Some(1), "{what}: {}", describe(&v));
        let err = stderr(&v);
        assert!(err.contains("a recovered prefix"), "{what}: {err}");
        let dropped = events.len() - kept.len();
        assert!(
            err.contains(&format!(
                "it holds the first {} of its run's {} events, so {} were dropped",
                kept.len(),
                events.len(),
                dropped
            )),
            "{what}: {err}"
        );
    }
}

/// Without checkpoints, a hole found at the trailer leaves nothing any
/// running hash vouches for: nothing is kept, and the output says so.
#[test]
fn a_hole_in_a_log_without_checkpoints_keeps_nothing() {
    let dir = TempDir::new("recover-no-cp");
    let (bytes, events) = tiny_log(65_536);
    let fr = frames(&bytes);
    let mut order = fr.clone();
    // Drop an event near the end (events after it still fit the state).
    let last_event = (0..fr.len()).rev().find(|&i| fr[i].2 == EVENT).unwrap();
    order.remove(last_event - 3);
    let log = dir.file("hole.ffl");
    fs::write(&log, assemble(&bytes, &order)).unwrap();
    let to = dir.file("recovered.ffl");
    let o = recover(&log, &to);
    assert!(o.status.success(), "{}", describe(&o));
    let out = stdout(&o);
    assert!(out.starts_with("recovered 0 events"), "{out}");
    assert!(
        out.contains("dropped ") && !out.contains("dropped no event"),
        "{out}"
    );
    assert!(events_of(&to).is_empty());
    assert!(events.len() > 100);
}

/// A cut log keeps every event wholly before the cut (nothing shows a
/// break), and says that nothing read was dropped.
#[test]
fn a_cut_log_keeps_every_whole_event() {
    let dir = TempDir::new("recover-cut");
    let (bytes, events) = tiny_log(8);
    let fr = frames(&bytes);
    let cut = fr[fr.len() / 2].0 + 5;
    let whole = fr.iter().filter(|f| f.2 == EVENT && f.1 <= cut).count();
    let log = dir.file("cut.ffl");
    fs::write(&log, &bytes[..cut]).unwrap();
    let to = dir.file("recovered.ffl");
    let o = recover(&log, &to);
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(events_of(&to), events[..whole]);
    assert!(stdout(&o).contains("dropped no event"), "{}", stdout(&o));
}
