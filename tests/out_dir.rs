//! The `--out DIR` folder (issue 14): one writer at a time, no file of an
//! earlier run left beside a new one (and nothing else touched), and no
//! output half written, whatever fails.

use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{familyflow, manifest_dir, TempDir};

const TINY: &str = "tests/data/tiny.toml";

fn describe(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what} failed: {}", describe(o));
}

fn assert_fails_cleanly(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(1), "{what}: {}", describe(o));
    assert!(
        !stderr(o).contains("panicked"),
        "{what} panicked: {}",
        describe(o)
    );
    assert!(stderr(o).starts_with("error: "), "{what}: {}", describe(o));
}

/// The names in a folder (not the lock file), sorted; subfolders end in `/`.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                format!("{name}/")
            } else {
                name
            }
        })
        .filter(|n| n != ".familyflow.lock")
        .collect();
    names.sort();
    names
}

fn run_tiny(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", TINY, "--seed", "7", "--out", out.to_str().unwrap()];
    args.extend(extra);
    familyflow(&args)
}

// ---------------------------------------------------------------- 3. one writer

/// Holds the folder's lock as another familyflow would while it writes:
/// a second writer is refused at once, naming the folder, and the first
/// one's files are left alone.
#[test]
fn a_second_writer_of_the_same_out_folder_is_refused() {
    let dir = TempDir::new("out-lock");
    let out = dir.file("out");
    assert_ok(&run_tiny(&out, &[]), "the first run");
    let before = fs::read(out.join("events.ffl")).unwrap();

    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(out.join(".familyflow.lock"))
        .unwrap();
    lock.try_lock().expect("the lock is free between commands");

    let cases: Vec<Vec<String>> = vec![
        vec![
            "run".into(),
            TINY.into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "run".into(),
            TINY.into(),
            "--replications".into(),
            "2".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "compare".into(),
            TINY.into(),
            TINY.into(),
            "--replications".into(),
            "2".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "export".into(),
            out.join("events.ffl").display().to_string(),
            "--format".into(),
            "csv".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec!["report".into(), out.display().to_string()],
    ];
    for args in cases {
        let o = familyflow(&args);
        let what = args.join(" ");
        assert_fails_cleanly(&o, &what);
        let err = stderr(&o);
        assert!(err.contains(&out.display().to_string()), "{what}: {err}");
        assert!(
            err.contains("another familyflow is writing to this folder"),
            "{what}: {err}"
        );
    }
    assert_eq!(fs::read(out.join("events.ffl")).unwrap(), before);
    assert_eq!(
        listing(&out),
        ["events.ffl", "monthly.csv", "summary.json"],
        "a refused writer left something"
    );
    drop(lock);
    assert_ok(&run_tiny(&out, &[]), "a run once the lock is released");
}

/// Two runs started together on one folder: one is refused (or they do not
/// overlap at all), and what is left is one whole run that verifies.
#[test]
fn two_runs_at_once_leave_one_whole_run() {
    let dir = TempDir::new("out-race");
    let out = dir.file("out");
    let spawn = |seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(["run", "--seed", seed, "--out", out.to_str().unwrap(), "-q"])
            .current_dir(manifest_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("1"), spawn("2"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
    assert!(ok >= 1, "both failed:\n{}\n{}", describe(&a), describe(&b));
    for o in [&a, &b] {
        if !o.status.success() {
            assert!(
                stderr(o).contains("another familyflow is writing to this folder"),
                "{}",
                describe(o)
            );
        }
    }
    let v = familyflow(&[Path::new("verify"), &out.join("events.ffl")]);
    assert_ok(&v, "verify of what the two runs left");
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    let v = String::from_utf8_lossy(&v.stdout).into_owned();
    let seed_of = |text: &str, key: &str| {
        text.split(key)
            .nth(1)
            .and_then(|r| r.trim_start_matches([' ', ':']).split([',', '\n']).next())
            .map(|s| s.trim().to_string())
    };
    assert_eq!(
        seed_of(&summary, "\"seed\""),
        seed_of(&v, "), seed"),
        "the summary and the log come from different runs"
    );
}

// ---------------------------------------------------------------- 4. no earlier files

#[test]
fn a_reused_out_folder_keeps_nothing_of_the_previous_run_and_nothing_else_goes() {
    let dir = TempDir::new("out-reuse");
    let out = dir.file("out");
    // A run with a snapshot and a report, and files of the user's.
    assert_ok(
        &run_tiny(&out, &["--checkpoint-at", "2024-10-01", "--report"]),
        "run --checkpoint-at --report",
    );
    fs::write(out.join("notes.txt"), "mine").unwrap();
    fs::write(out.join("summary.json.bak"), "mine").unwrap();
    fs::create_dir(out.join("mine")).unwrap();
    fs::write(out.join("mine").join("summary.json"), "mine").unwrap();
    assert_eq!(
        listing(&out),
        [
            "events.ffl",
            "mine/",
            "monthly.csv",
            "notes.txt",
            "report.html",
            "snapshot-2024-10-01.ffs",
            "summary.json",
            "summary.json.bak",
        ]
    );
    // Branches into the same folder would delete the snapshot they read.
    let o = familyflow(&[
        Path::new("branch"),
        &out.join("snapshot-2024-10-01.ffs"),
        Path::new(TINY),
        Path::new("--out"),
        &out,
    ]);
    assert_fails_cleanly(&o, "branch into the snapshot's folder");
    assert!(
        stderr(&o).contains("snapshot-2024-10-01.ffs"),
        "{}",
        describe(&o)
    );
    assert!(out.join("snapshot-2024-10-01.ffs").exists());

    // A plain run: the report and the snapshot of the earlier run go.
    assert_ok(&run_tiny(&out, &[]), "the second run");
    assert_eq!(
        listing(&out),
        [
            "events.ffl",
            "mine/",
            "monthly.csv",
            "notes.txt",
            "summary.json",
            "summary.json.bak",
        ]
    );
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert_eq!(
        fs::read_to_string(out.join("mine").join("summary.json")).unwrap(),
        "mine"
    );

    // Replications into a run's folder: the run's log and summary go.
    let o = familyflow(&[
        "run",
        TINY,
        "--replications",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ok(&o, "replications");
    assert_eq!(
        listing(&out),
        [
            "mine/",
            "notes.txt",
            "replications.csv",
            "replications.json",
            "summary-stats.csv",
            "summary.json.bak",
        ]
    );

    // Branches, then a run: the branch folders (each holding a log) go, a
    // folder of the user's stays.
    let base = dir.file("base");
    assert_ok(
        &run_tiny(&base, &["--checkpoint-at", "2024-10-01"]),
        "the base run",
    );
    let o = familyflow(&[
        Path::new("branch"),
        &base.join("snapshot-2024-10-01.ffs"),
        Path::new(TINY),
        Path::new("--out"),
        &out,
    ]);
    assert_ok(&o, "branch");
    assert!(
        listing(&out).contains(&"tiny/".to_string()),
        "{:?}",
        listing(&out)
    );
    assert!(!listing(&out).contains(&"replications.csv".to_string()));
    assert_ok(&run_tiny(&out, &[]), "a run over the branches");
    assert_eq!(
        listing(&out),
        [
            "events.ffl",
            "mine/",
            "monthly.csv",
            "notes.txt",
            "summary.json",
            "summary.json.bak",
        ]
    );

    // Export replaces only its own format's files: the formats of one log
    // side by side, beside the run they were made from; a year that an
    // earlier export had and this one does not, goes.
    let log = out.join("events.ffl");
    let stale = out.join("2020");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join("header.csv"), "old").unwrap();
    fs::create_dir_all(out.join("2025")).unwrap();
    fs::write(out.join("2025").join("notes.txt"), "mine").unwrap();
    for format in ["csv", "ssda903", "cin"] {
        let o = familyflow(&[
            Path::new("export"),
            &log,
            Path::new("--format"),
            Path::new(format),
            Path::new("--out"),
            &out,
        ]);
        assert_ok(&o, "export");
    }
    let names = listing(&out);
    for n in ["2025/", "events.csv", "events.ffl", "summary.json"] {
        assert!(names.contains(&n.to_string()), "{n}: {names:?}");
    }
    assert!(!stale.exists(), "an earlier export's year was left");
    assert_eq!(
        listing(&out.join("2025")),
        ["cin.xml", "episodes.csv", "header.csv", "notes.txt"],
        "an export touched a file of the user's"
    );
    // A run replaces every export.
    assert_ok(&run_tiny(&out, &[]), "a run over the exports");
    assert_eq!(
        listing(&out),
        [
            "2025/",
            "events.ffl",
            "mine/",
            "monthly.csv",
            "notes.txt",
            "summary.json",
            "summary.json.bak",
        ]
    );
    assert_eq!(listing(&out.join("2025")), ["notes.txt"]);
}

// ---------------------------------------------------------------- 5. nothing half written

/// Runs `familyflow ARGS` with files limited to `blocks` of 512 bytes (a
/// full disk, as far as the command can tell: writes fail with EFBIG).
#[cfg(unix)]
fn with_file_limit(blocks: u32, args: &[&str]) -> Output {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_familyflow"))
        .args(args)
        .current_dir(manifest_dir());
    cmd.output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_full_disk_leaves_no_truncated_output_and_names_the_file() {
    let dir = TempDir::new("out-full");
    let out = dir.file("out");
    let o = run_tiny(&out, &[]);
    assert_ok(&o, "the reference run");
    let sizes: Vec<u64> = ["events.ffl", "summary.json"]
        .iter()
        .map(|n| fs::metadata(out.join(n)).unwrap().len())
        .collect();
    let earlier: Vec<Vec<u8>> = listing(&out)
        .iter()
        .map(|n| fs::read(out.join(n)).unwrap())
        .collect();
    // Room for the log but not the summary; then not even for the log.
    let cases = [
        ("summary.json", (sizes[0] / 512 + 2) as u32),
        ("events.ffl", (sizes[0] / 512 / 2) as u32),
    ];
    assert!(
        sizes[1] > sizes[0] + 2048,
        "the summary is the larger: {sizes:?}"
    );
    for (fails, blocks) in cases {
        // A fresh folder: nothing may be left in it.
        let fresh = dir.file(&format!("fresh-{fails}"));
        let o = with_file_limit(
            blocks,
            &["run", TINY, "--seed", "7", "--out", fresh.to_str().unwrap()],
        );
        assert_fails_cleanly(&o, &format!("a run that cannot write {fails}"));
        let err = stderr(&o);
        assert!(
            err.contains(&fresh.join(fails).display().to_string()),
            "the error does not name {fails}: {err}"
        );
        assert_eq!(
            listing(&fresh),
            Vec::<String>::new(),
            "{fails}: left {:?}",
            listing(&fresh)
        );

        // The earlier run's folder: left as it was.
        let o = with_file_limit(
            blocks,
            &["run", TINY, "--seed", "8", "--out", out.to_str().unwrap()],
        );
        assert_fails_cleanly(&o, &format!("a second run that cannot write {fails}"));
        let now: Vec<Vec<u8>> = listing(&out)
            .iter()
            .map(|n| fs::read(out.join(n)).unwrap())
            .collect();
        assert_eq!(listing(&out), ["events.ffl", "monthly.csv", "summary.json"]);
        assert!(now == earlier, "{fails}: the earlier run's files changed");
    }

    // recover, report and export: the same.
    let log = out.join("events.ffl");
    let to = dir.file("recovered.ffl");
    let o = with_file_limit(
        4,
        &[
            "recover",
            log.to_str().unwrap(),
            "--out",
            to.to_str().unwrap(),
        ],
    );
    assert_fails_cleanly(&o, "recover onto a full disk");
    assert!(
        stderr(&o).contains(&to.display().to_string()),
        "{}",
        describe(&o)
    );
    assert!(!to.exists());
    assert_eq!(
        fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp"))
            .count(),
        0,
        "recover left its temporary file"
    );
    let o = with_file_limit(4, &["report", out.to_str().unwrap()]);
    assert_fails_cleanly(&o, "report onto a full disk");
    assert!(
        stderr(&o).contains(&out.join("report.html").display().to_string()),
        "{}",
        describe(&o)
    );
    assert!(!out.join("report.html").exists());
    let returns = dir.file("returns");
    let o = with_file_limit(
        4,
        &[
            "export",
            log.to_str().unwrap(),
            "--format",
            "csv",
            "--out",
            returns.to_str().unwrap(),
        ],
    );
    assert_fails_cleanly(&o, "export onto a full disk");
    assert!(
        stderr(&o).contains(&returns.join("events.csv").display().to_string()),
        "{}",
        describe(&o)
    );
    assert_eq!(listing(&returns), Vec::<String>::new());
    File::open(&log).unwrap();
}

/// `--out /`, the home folder or a system folder is refused before
/// anything is written, with what the folder is; a folder of the user's own
/// (even one holding other files) is still taken.
#[test]
fn the_root_the_home_folder_and_system_folders_are_not_output_folders() {
    let tmp = TempDir::new("not-output");
    let lock = Path::new("/").join(".familyflow.lock");
    let had_lock = lock.exists();
    for (out, what) in [
        ("/", "the filesystem's root"),
        ("/usr", "a system folder"),
        ("/etc/..", "the filesystem's root"),
    ] {
        // branch refuses the folder before it reads the (missing) snapshot.
        let o = familyflow(&[
            "branch",
            "nowhere.ffs",
            "tests/data/tiny.toml",
            "--out",
            out,
        ]);
        assert!(!o.status.success(), "{out}: {}", describe(&o));
        assert!(
            stderr(&o).contains(&format!("{out}: this is {what}, not a folder for results")),
            "{out}: {}",
            describe(&o)
        );
    }
    assert_eq!(lock.exists(), had_lock, "a lock file was left in /");
    // The home folder, as HOME names it.
    let home = tmp.file("home");
    fs::create_dir_all(&home).unwrap();
    fs::write(home.join("letter.txt"), "mine").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(["run", "tests/data/tiny.toml", "--out"])
        .arg(&home)
        .env("HOME", &home)
        .current_dir(manifest_dir())
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", describe(&o));
    assert!(
        stderr(&o).contains("this is your home folder"),
        "{}",
        describe(&o)
    );
    assert!(!home.join("events.ffl").exists());
    assert!(!home.join(".familyflow.lock").exists());
    // The same folder when it is not the home folder: taken, and the
    // user's file is left alone.
    let o = familyflow(&[
        "run".as_ref(),
        "tests/data/tiny.toml".as_ref(),
        "--out".as_ref(),
        home.as_os_str(),
    ]);
    assert_ok(&o, "run --out a folder of one's own");
    assert!(home.join("events.ffl").exists());
    assert_eq!(fs::read_to_string(home.join("letter.txt")).unwrap(), "mine");
}

#[test]
fn a_run_into_a_sweeps_folder_keeps_none_of_the_sweeps_files() {
    let dir = TempDir::new("out-sweep");
    let out = dir.file("out");
    fs::create_dir_all(out.join("salib")).unwrap();
    for name in [
        "sweep-runs.csv",
        "sweep-points.csv",
        "sweep-indices.csv",
        "sweep-target.csv",
        "notes.txt",
    ] {
        fs::write(out.join(name), "earlier").unwrap();
    }
    for name in ["params.txt", "samples.txt", "outputs.txt", "mine.txt"] {
        fs::write(out.join("salib").join(name), "earlier").unwrap();
    }
    assert_ok(&run_tiny(&out, &[]), "a run into a sweep's folder");
    assert_eq!(
        listing(&out),
        [
            "events.ffl",
            "monthly.csv",
            "notes.txt",
            "salib/",
            "summary.json",
        ]
    );
    assert_eq!(listing(&out.join("salib")), ["mine.txt"]);
}
