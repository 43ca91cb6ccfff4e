//! Reading scenario and region files (issue 14, finding 10): anything that is
//! not a regular file is refused unread, and nothing larger than a log
//! header can hold is read (1 MiB for a scenario and every file it extends,
//! together); a scenario that loads can be logged.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use familyflow::engine::log::{Header, LogWriter, MAX_HEADER_RECORD};
use familyflow::model::input::ScenarioInput;
use familyflow::model::region::RegionInput;
use familyflow::model::scenario::{
    Scenario, DEFAULT_SCENARIO, MAX_SCENARIO_FILE_BYTES, MAX_SCENARIO_INPUT_BYTES,
    MAX_SCENARIO_TEXT_BYTES,
};

mod common;
use common::TempDir;

/// Runs `f` on its own thread and returns its result, or fails the test if
/// it has not finished in 20 seconds (a FIFO read blocks for ever).
fn within_seconds<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what} did not return within 20 seconds"))
}

/// A named pipe in `dir` (nobody ever writes to it).
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("pipe.toml");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    path
}

fn load_error(path: PathBuf) -> String {
    let shown = path.display().to_string();
    within_seconds(&format!("loading {shown}"), move || {
        Scenario::load(&path).map(|_| ()).unwrap_err().to_string()
    })
}

#[test]
fn a_fifo_is_refused_unread_with_its_name() {
    let tmp = TempDir::new("fifo");
    let pipe = fifo(tmp.path());
    let err = load_error(pipe.clone());
    assert!(
        err.contains(&pipe.display().to_string()) && err.contains("not a regular file"),
        "{err}"
    );
    // As the base of another file.
    std::fs::write(tmp.file("child.toml"), "extends = \"pipe.toml\"\n").unwrap();
    let err = load_error(tmp.file("child.toml"));
    assert!(
        err.contains("child.toml:1:11: extends")
            && err.contains("pipe.toml")
            && err.contains("not a regular file"),
        "{err}"
    );
    // As a region file.
    let p = pipe.clone();
    let err = within_seconds("loading a region from a FIFO", move || {
        RegionInput::load(&p).map(|_| ()).unwrap_err().to_string()
    });
    assert!(err.contains("not a regular file"), "{err}");
    let p = pipe.clone();
    assert!(!within_seconds(
        "asking whether a FIFO is a region",
        move || { RegionInput::is_region_file(&p) }
    ));
}

#[test]
fn a_device_or_a_directory_is_refused_unread_with_its_name() {
    let tmp = TempDir::new("device");
    for device in ["/dev/zero", "/dev/urandom"] {
        if !Path::new(device).exists() {
            continue;
        }
        let err = load_error(PathBuf::from(device));
        assert!(
            err.starts_with(device) && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::write(tmp.file("child.toml"), format!("extends = \"{device}\"\n")).unwrap();
        let err = load_error(tmp.file("child.toml"));
        assert!(
            err.contains("child.toml:1:11: extends")
                && err.contains(device)
                && err.contains("not a regular file"),
            "{err}"
        );
        let d = PathBuf::from(device);
        let err = within_seconds("loading a region from a device", move || {
            RegionInput::load(&d).map(|_| ()).unwrap_err().to_string()
        });
        assert!(err.contains("not a regular file"), "{err}");
    }
    let err = load_error(tmp.path().to_path_buf());
    assert!(err.contains("a directory"), "{err}");
}

#[test]
fn a_file_larger_than_a_log_header_holds_is_refused() {
    let tmp = TempDir::new("large");
    // A valid scenario padded with a comment to just past the cap.
    let mut text = DEFAULT_SCENARIO.to_string();
    let pad = MAX_SCENARIO_FILE_BYTES as usize + 1 - text.len();
    text.push('#');
    text.push_str(&"x".repeat(pad - 1));
    assert_eq!(text.len() as u64, MAX_SCENARIO_FILE_BYTES + 1);
    let path = tmp.file("large.toml");
    std::fs::write(&path, &text).unwrap();
    let err = Scenario::load(&path).map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains("large.toml") && err.contains("larger than 1,048,576 bytes (1 MiB"),
        "{err}"
    );
    // The same as the base of another file.
    std::fs::write(tmp.file("child.toml"), "extends = \"large.toml\"\n").unwrap();
    let err = Scenario::load(&tmp.file("child.toml"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("large.toml") && err.contains("1,048,576 bytes"),
        "{err}"
    );
    // Text a log header could not hold is refused however it comes.
    let mut text = DEFAULT_SCENARIO.to_string();
    text.push('#');
    text.push_str(&"x".repeat(MAX_SCENARIO_TEXT_BYTES));
    let err = ScenarioInput::from_text(&text, "big text")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("fit in a run's log"), "{err}");
}

#[test]
fn the_cap_is_the_log_headers_and_what_loads_can_be_logged() {
    assert!(MAX_SCENARIO_FILE_BYTES <= u64::from(MAX_HEADER_RECORD));
    assert!(MAX_SCENARIO_TEXT_BYTES as u64 <= MAX_SCENARIO_INPUT_BYTES);
    // The largest scenario text, from a long path, fits in a header.
    let header = Header {
        engine_version: familyflow::VERSION.to_string(),
        codec: familyflow::engine::codec::CODEC.to_string(),
        seed: u64::MAX,
        scenario_hash: u64::MAX,
        scenario_source: "/".repeat(4096),
        scenario: "x".repeat(MAX_SCENARIO_TEXT_BYTES),
        checkpoint_every: familyflow::engine::log::CHECKPOINT_EVERY,
    };
    LogWriter::new(std::io::sink(), &header).expect("the largest scenario can be logged");
    // A file padded with comments to just under the cap loads, extended
    // or not, and its effective text goes into a log header.
    let tmp = TempDir::new("loggable");
    let mut base = DEFAULT_SCENARIO.to_string();
    base.push('#');
    // (Room for the extending file: the two are read within the cap
    // together.)
    base.push_str(&"x".repeat(MAX_SCENARIO_TEXT_BYTES - DEFAULT_SCENARIO.len() - 64));
    std::fs::write(tmp.file("base.toml"), &base).unwrap();
    std::fs::write(tmp.file("child.toml"), "extends = \"base.toml\"\n").unwrap();
    for file in ["base.toml", "child.toml"] {
        let input = ScenarioInput::load(&tmp.file(file)).unwrap();
        LogWriter::new(std::io::sink(), &input.header(1))
            .expect("a scenario that loads can be logged");
    }
}

/// The cap is on a scenario and every file it extends together: a chain
/// of files each under the cap but over it together is refused, naming the
/// `extends` that went over and the cap, before its base is read.
#[test]
fn an_extends_chain_over_the_cap_together_is_refused() {
    let tmp = TempDir::new("chain");
    let third = MAX_SCENARIO_INPUT_BYTES as usize / 3;
    let mut base = DEFAULT_SCENARIO.to_string();
    base.push('#');
    base.push_str(&"x".repeat(third));
    std::fs::write(tmp.file("f0.toml"), &base).unwrap();
    for i in 1..4 {
        let text = format!("extends = \"f{}.toml\"\n#{}\n", i - 1, "y".repeat(third));
        std::fs::write(tmp.file(&format!("f{i}.toml")), text).unwrap();
    }
    // Two files are within the cap, three are not.
    assert!(Scenario::load(&tmp.file("f1.toml")).is_ok());
    let err = Scenario::load(&tmp.file("f2.toml"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f1.toml:1:")
            && err.contains("extends")
            && err.contains("more than 1,048,576 bytes together (1 MiB"),
        "{err}"
    );
    let err = Scenario::load(&tmp.file("f3.toml"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 MiB"), "{err}");
    // Every shipped scenario is well within it, with what it extends.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut stack = vec![root];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let mut total = 0;
                let mut file = Some(path.clone());
                while let Some(f) = file {
                    let text = std::fs::read_to_string(&f).unwrap();
                    total += text.len() as u64;
                    file = text.lines().find_map(|l| {
                        l.strip_prefix("extends = \"")
                            .map(|rest| f.parent().unwrap().join(rest.trim_end_matches('"')))
                    });
                }
                assert!(
                    total * 10 < MAX_SCENARIO_INPUT_BYTES,
                    "{}: {total} bytes with what it extends",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "{checked} shipped scenarios");
}
