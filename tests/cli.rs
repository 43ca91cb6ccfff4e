//! The command line as a user meets it: help with examples, `events`
//! filtering and JSON, damaged and cut logs, scenario errors that say where
//! and what, and missing files — all without a Rust panic.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{familyflow, manifest_dir, TempDir};

const TINY: &str = "tests/data/tiny.toml";

fn tiny_text() -> String {
    std::fs::read_to_string(manifest_dir().join(TINY)).unwrap()
}

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

fn assert_ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what} failed: {}", describe(o));
}

/// Fails with a message and exit code, and no Rust panic.
fn assert_fails_cleanly(o: &Output, what: &str) {
    assert!(!o.status.success(), "{what} succeeded: {}", describe(o));
    assert_eq!(o.status.code(), Some(1), "{what}: {}", describe(o));
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "{what} panicked: {}",
        describe(o)
    );
    assert!(
        stderr(o).starts_with("error: "),
        "{what}: no error message: {}",
        describe(o)
    );
}

/// Runs `run SCENARIO --out DIR` and returns the log's path.
fn write_log(dir: &TempDir, scenario: Option<&str>, seed: u64) -> PathBuf {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(scenario.map(String::from));
    args.extend([
        "--seed".into(),
        seed.to_string(),
        "--out".into(),
        dir.path().display().to_string(),
    ]);
    let o = familyflow(&args);
    assert_ok(&o, "run");
    dir.file("events.ffl")
}

// a. Help.

#[test]
fn help_of_every_command_has_an_example() {
    let cases: [&[&str]; 8] = [
        &["--help"],
        &["run", "--help"],
        &["replay", "--help"],
        &["verify", "--help"],
        &["events", "--help"],
        &["recover", "--help"],
        &["scenario", "check", "--help"],
        &["help", "run"],
    ];
    for args in cases {
        let o = familyflow(args);
        assert_ok(&o, &args.join(" "));
        assert!(
            stdout(&o).contains("Example"),
            "`familyflow {}` shows no example:\n{}",
            args.join(" "),
            stdout(&o)
        );
    }
}

// b. events.

#[test]
fn events_for_one_family_prints_only_that_family() {
    let dir = TempDir::new("events");
    let log = write_log(&dir, Some(TINY), 5);
    let all = familyflow(&[Path::new("events"), &log]);
    assert_ok(&all, "events");
    let all_lines = stdout(&all).lines().count();
    for id in [0u32, 1, 3] {
        let o = familyflow(&[
            "events".as_ref(),
            log.as_os_str(),
            "--family".as_ref(),
            id.to_string().as_ref(),
        ]);
        assert_ok(&o, "events --family");
        let text = stdout(&o);
        let lines: Vec<&str> = text.lines().collect();
        assert!(!lines.is_empty(), "no events for family {id}");
        assert!(lines.len() < all_lines);
        let token = format!("family={id}");
        for line in &lines {
            // `family=ID ` when more fields follow; events without fields end
            // with `family=ID`. Either way it is a whole word.
            assert!(
                line.contains(&format!("{token} ")) || line.ends_with(&token),
                "family {id}: line for another family: {line}"
            );
            assert_eq!(
                line.split_whitespace()
                    .filter(|w| w.starts_with("family="))
                    .collect::<Vec<_>>(),
                vec![token.as_str()],
                "{line}"
            );
        }
        assert!(
            lines[0].contains("FamilyReferred"),
            "family {id}'s first event is not its referral: {}",
            lines[0]
        );
    }
}

#[test]
fn events_json_lines_parse() {
    let dir = TempDir::new("json");
    let log = write_log(&dir, Some(TINY), 5);
    let text = familyflow(&[Path::new("events"), &log]);
    assert_ok(&text, "events");
    let o = familyflow(&[Path::new("events"), &log, Path::new("--json")]);
    assert_ok(&o, "events --json");
    let out = stdout(&o);
    assert_eq!(out.lines().count(), stdout(&text).lines().count());
    assert!(out.lines().count() > 10);
    let mut last_at = 0;
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let at = v["at"].as_u64().unwrap_or_else(|| panic!("no at: {line}"));
        assert!(at >= last_at, "events out of order: {line}");
        last_at = at;
        let date = v["date"]
            .as_str()
            .unwrap_or_else(|| panic!("no date: {line}"));
        assert!(date.starts_with("202"), "{line}");
        assert!(v["event"].is_object(), "no event object: {line}");
    }
    // One family, as JSON.
    let o = familyflow(&[
        Path::new("events"),
        &log,
        Path::new("--family"),
        Path::new("2"),
        Path::new("--json"),
    ]);
    assert_ok(&o, "events --family 2 --json");
    let out = stdout(&o);
    assert!(out.lines().count() > 0);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let event = v["event"].as_object().unwrap();
        let (_, body) = event.iter().next().unwrap();
        assert_eq!(body["family"], 2, "{line}");
    }
}

// c. Damaged, cut and recovered logs.

/// The default scenario's log: big enough that its middle is among the
/// events, not in the header (which holds the scenario text).
fn default_log(dir: &TempDir) -> (PathBuf, Vec<u8>) {
    let log = write_log(dir, None, 3);
    let bytes = std::fs::read(&log).unwrap();
    assert!(bytes.len() > 100_000, "log of {} bytes", bytes.len());
    (log, bytes)
}

#[test]
fn verify_names_the_byte_of_a_flipped_bit() {
    let dir = TempDir::new("flip");
    let (log, bytes) = default_log(&dir);
    let good = familyflow(&[Path::new("verify"), &log]);
    assert_ok(&good, "verify of the intact log");

    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    let flipped = dir.file("flipped.ffl");
    std::fs::write(&flipped, &bad).unwrap();
    let o = familyflow(&[Path::new("verify"), &flipped]);
    assert_fails_cleanly(&o, "verify of a flipped log");
    let err = stderr(&o);
    assert!(err.contains(&flipped.display().to_string()), "{err}");
    assert!(err.contains("damaged"), "{err}");
    // `record N at byte OFFSET is damaged`: the offset is the start of the
    // record holding the flipped byte, at or shortly before it.
    let offset: usize = err
        .split("at byte ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte offset in: {err}"));
    assert!(
        offset <= mid && mid - offset < 100,
        "offset {offset} for a flip at {mid}: {err}"
    );
}

#[test]
fn cut_log_fails_verify_and_recovers_to_a_prefix() {
    let dir = TempDir::new("cut");
    let (log, bytes) = default_log(&dir);
    let cut = dir.file("cut.ffl");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();

    let o = familyflow(&[Path::new("verify"), &cut]);
    assert_fails_cleanly(&o, "verify of a cut log");
    assert!(stderr(&o).contains("cut short"), "{}", stderr(&o));

    let recovered = dir.file("recovered.ffl");
    let o = familyflow(&[Path::new("recover"), &cut, Path::new("--out"), &recovered]);
    assert_ok(&o, "recover");
    assert!(stdout(&o).starts_with("recovered "), "{}", stdout(&o));

    let original = familyflow(&[Path::new("events"), &log]);
    assert_ok(&original, "events of the original");
    let rec = familyflow(&[Path::new("events"), &recovered]);
    assert_ok(&rec, "events of the recovered log");
    let original = stdout(&original);
    let rec = stdout(&rec);
    let (n_orig, n_rec) = (original.lines().count(), rec.lines().count());
    assert!(
        n_rec > n_orig / 4 && n_rec < n_orig,
        "recovered {n_rec} of {n_orig} events"
    );
    assert!(
        original.starts_with(&rec),
        "the recovered events are not a prefix of the original's"
    );

    let o = familyflow(&[Path::new("verify"), &recovered]);
    assert_fails_cleanly(&o, "verify of a recovered log");
    assert!(stderr(&o).contains("recovered"), "{}", stderr(&o));
}

// d. Scenario errors.

/// Writes `text` as a scenario, runs `scenario check` on it, and returns stderr.
fn check_fails(dir: &TempDir, name: &str, text: &str) -> (PathBuf, String) {
    let path = dir.file(name);
    std::fs::write(&path, text).unwrap();
    let o = familyflow(&[Path::new("scenario"), Path::new("check"), &path]);
    assert_fails_cleanly(&o, &format!("scenario check {name}"));
    (path, stderr(&o))
}

/// The tiny scenario with the line starting `prefix` replaced by `new`;
/// returns the text and the 1-based line and column of `at` within `new`.
fn with_line(prefix: &str, new: &str, at: &str) -> (String, usize, usize) {
    let text = tiny_text();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {TINY}"));
    assert_eq!(
        lines.iter().filter(|l| l.starts_with(prefix)).count(),
        1,
        "{prefix:?} is not unique"
    );
    lines[i] = new.to_string();
    let column = new.find(at).expect("`at` is in the new line") + 1;
    (lines.join("\n") + "\n", i + 1, column)
}

fn assert_located(err: &str, path: &Path, line: usize, column: usize, field: &str) {
    let at = format!("{}:{line}:{column}: {field}: ", path.display());
    assert!(err.contains(&at), "expected {at:?} in:\n{err}");
}

#[test]
fn negative_fte_is_located_and_explained() {
    let dir = TempDir::new("fte");
    let (text, line, column) = with_line("fte = 1", "fte = -3", "-3");
    let (path, err) = check_fails(&dir, "fte.toml", &text);
    assert_located(&err, &path, line, column, "family_help.fte");
    assert!(err.contains("-3"), "{err}");
    assert!(err.contains("0 or more"), "{err}");
}

#[test]
fn probability_above_one_is_located_and_explained() {
    let dir = TempDir::new("prob");
    let (text, line, column) = with_line("data_sharing =", "data_sharing = 1.5", "1.5");
    let (path, err) = check_fails(&dir, "prob.toml", &text);
    assert_located(&err, &path, line, column, "triage.data_sharing");
    assert!(err.contains("1.5"), "{err}");
    assert!(err.contains("from 0 to 1"), "{err}");
}

#[test]
fn unknown_field_is_located_and_named() {
    let dir = TempDir::new("unknown");
    let (text, line, column) = with_line(
        "multidisciplinary =",
        "multidisciplinary = false\ncolour = \"red\"",
        "colour",
    );
    // The new key is on the line after the one replaced.
    let (line, column) = (line + 1, column - "multidisciplinary = false\n".len());
    let (path, err) = check_fails(&dir, "unknown.toml", &text);
    assert_located(&err, &path, line, column, "family_help.colour");
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(
        err.contains("`fte`"),
        "the allowed fields are listed: {err}"
    );
}

#[test]
fn invalid_date_is_located() {
    let dir = TempDir::new("date");
    let (text, line, column) = with_line("start =", "start = 2023-02-30", "2023");
    let (path, err) = check_fails(&dir, "date.toml", &text);
    assert_located(&err, &path, line, column, "start");
    assert!(err.contains("date"), "{err}");
}

/// The message for an impossible date says what is wrong ("invalid date,
/// expected day between 01 and 28") and the value the user wrote.
#[test]
fn invalid_date_message_names_the_value() {
    let dir = TempDir::new("date-value");
    let (text, _, _) = with_line("start =", "start = 2023-02-30", "2023");
    let (_, err) = check_fails(&dir, "date.toml", &text);
    assert!(err.contains("2023-02-30"), "{err}");
}

#[test]
fn accuracy_below_its_floor_is_located_and_explained() {
    let dir = TempDir::new("accuracy");
    let (text, line, column) = with_line(
        "accuracy_with_full_data_sharing =",
        "accuracy_with_full_data_sharing = 0.70",
        "0.70",
    );
    let (path, err) = check_fails(&dir, "accuracy.toml", &text);
    assert_located(
        &err,
        &path,
        line,
        column,
        "triage.accuracy_with_full_data_sharing",
    );
    assert!(err.contains("0.7 is below"), "{err}");
    assert!(err.contains("accuracy_without_data_sharing (0.8)"), "{err}");
}

#[test]
fn the_unchanged_tiny_scenario_checks() {
    let dir = TempDir::new("ok");
    let (text, _, _) = with_line("fte = 1", "fte = 1", "1");
    let path = dir.file("ok.toml");
    std::fs::write(&path, text).unwrap();
    let o = familyflow(&[Path::new("scenario"), Path::new("check"), &path]);
    assert_ok(&o, "scenario check of a good scenario");
    assert!(stdout(&o).starts_with("ok: "), "{}", stdout(&o));
}

#[test]
fn missing_scenario_file_is_named() {
    let dir = TempDir::new("missing");
    let path = dir.file("no-such-scenario.toml");
    let o = familyflow(&[Path::new("scenario"), Path::new("check"), &path]);
    assert_fails_cleanly(&o, "scenario check of a missing file");
    let err = stderr(&o);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("cannot read the file"), "{err}");
}

// e. run with a missing scenario.

#[test]
fn run_with_a_missing_scenario_names_the_path() {
    let dir = TempDir::new("run-missing");
    let path = dir.file("nowhere.toml");
    let out = dir.file("out");
    let o = familyflow(&[Path::new("run"), &path, Path::new("--out"), &out]);
    assert_fails_cleanly(&o, "run of a missing scenario");
    let err = stderr(&o);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(stdout(&o).is_empty(), "printed a summary: {}", stdout(&o));
    assert!(!out.exists(), "created the output folder anyway");
}

#[test]
fn care_and_family_network_values_are_located_and_explained() {
    let dir = TempDir::new("care");
    let (text, line, column) = with_line("adoption_max_age =", "adoption_max_age = 30", "30");
    let (path, err) = check_fails(&dir, "care.toml", &text);
    assert_located(&err, &path, line, column, "care.adoption_max_age");
    assert!(
        err.contains("30 is not allowed here: expected an age from 0 to 17"),
        "{err}"
    );

    let (text, line, column) = with_line(
        "kinship_when_kin_named =",
        "kinship_when_kin_named = -0.2",
        "-0.2",
    );
    let (path, err) = check_fails(&dir, "network.toml", &text);
    assert_located(
        &err,
        &path,
        line,
        column,
        "family_network.kinship_when_kin_named",
    );
    assert!(err.contains("from 0 to 1"), "{err}");
}

#[test]
fn completions_cover_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = familyflow(&["completions", shell]);
        assert!(o.status.success(), "{}", describe(&o));
        let script = stdout(&o);
        for command in [
            "run",
            "compare",
            "validate",
            "export",
            "verify",
            "completions",
        ] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let o = familyflow(&["completions", "powershell-9"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bash"), "{}", describe(&o));
}

// e. What a command says it wrote, and --quiet.

/// Every command that writes files names each on stderr ("wrote …"),
/// leaving stdout for results; `--quiet`, accepted by every command,
/// silences stderr but for errors.
#[test]
fn commands_name_what_they_wrote_on_stderr_and_quiet_silences_them() {
    let dir = TempDir::new("wrote");
    let out = dir.file("run");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", TINY, "--out"];
        let out = out.to_str().unwrap();
        args.push(out);
        args.extend(extra);
        familyflow(&args)
    };
    let o = run(&[]);
    assert_ok(&o, "run --out");
    assert!(stderr(&o).contains("wrote "), "{}", describe(&o));
    let o = run(&["--quiet"]);
    assert_ok(&o, "run --out --quiet");
    assert_eq!(stderr(&o), "", "run --quiet said: {}", describe(&o));
    let log = out.join("events.ffl");
    let returns = dir.file("returns");
    let cases: Vec<(&str, Vec<PathBuf>)> = vec![
        (
            "export",
            vec![
                "export".into(),
                log.clone(),
                "--format".into(),
                "csv".into(),
                "--out".into(),
                returns.clone(),
            ],
        ),
        ("report", vec!["report".into(), out.clone()]),
        (
            "recover",
            vec![
                "recover".into(),
                log.clone(),
                "--out".into(),
                dir.file("copy.ffl"),
            ],
        ),
    ];
    for (what, args) in cases {
        let o = familyflow(&args);
        assert_ok(&o, what);
        assert!(
            stderr(&o).lines().any(|l| l.starts_with("wrote ")),
            "{what} did not name what it wrote on stderr: {}",
            describe(&o)
        );
        assert!(
            !stdout(&o).contains("wrote "),
            "{what}: `wrote` on stdout: {}",
            describe(&o)
        );
        let mut quiet = args.clone();
        quiet.push("--quiet".into());
        let o = familyflow(&quiet);
        assert_ok(&o, &format!("{what} --quiet"));
        assert_eq!(stderr(&o), "", "{what} --quiet said: {}", describe(&o));
    }
    for args in [
        vec!["verify", log.to_str().unwrap(), "--quiet"],
        vec!["metrics", "-q"],
        vec!["scenario", "check", TINY, "--quiet"],
        vec!["--quiet", "replay", log.to_str().unwrap()],
    ] {
        let o = familyflow(&args);
        assert_ok(&o, &args.join(" "));
        assert_eq!(stderr(&o), "", "{}: {}", args.join(" "), describe(&o));
    }
}

// f. Issue 14: folders where a file is expected, and a summary that lies.

/// `branch` (and the log commands) given a folder say it is a folder and
/// what they expect, not "shorter than its signature".
#[test]
fn a_folder_given_for_a_snapshot_or_a_log_is_named_as_a_folder() {
    let dir = TempDir::new("folder-args");
    let o = familyflow(&[Path::new("branch"), dir.path(), Path::new(TINY)]);
    assert_fails_cleanly(&o, "branch of a folder");
    let err = stderr(&o);
    assert!(err.contains("this is a folder, not a snapshot"), "{err}");
    assert!(err.contains("snapshot-DATE.ffs"), "{err}");
    assert!(!err.contains("shorter than its signature"), "{err}");
    for command in ["verify", "replay", "events"] {
        let o = familyflow(&[Path::new(command), dir.path()]);
        assert_fails_cleanly(&o, &format!("{command} of a folder"));
        assert!(
            stderr(&o).contains("this is a folder, not an event log"),
            "{command}: {}",
            describe(&o)
        );
    }
}

/// A `summary.json` whose periods are too short (edited by hand, say)
/// makes `report` fail or write a report, never panic.
#[test]
fn report_of_a_summary_with_short_periods_does_not_panic() {
    let dir = TempDir::new("short-period");
    write_log(&dir, Some(TINY), 7);
    let path = dir.file("summary.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (list, short) in [("by_month", "2024"), ("by_financial_year", "20")] {
        for row in json[list].as_array_mut().unwrap() {
            row["period"] = serde_json::Value::from(short);
        }
    }
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    let o = familyflow(&[Path::new("report"), dir.path()]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        !all.contains("panicked"),
        "report panicked: {}",
        describe(&o)
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
}

/// A run estimated beyond the memory limit is refused with a message that
/// names `--force`, and `--force` (anywhere on the line) admits it; a
/// region file checks as a region.
#[test]
fn force_admits_a_scenario_refused_for_its_size_and_check_takes_regions() {
    let dir = TempDir::new("force");
    let text = familyflow::model::scenario::DEFAULT_SCENARIO
        .replacen("children = 100_000", "children = 20_000_000", 1)
        .replacen(
            "new_referrals_per_10k_children = 140",
            "new_referrals_per_10k_children = 10000",
            1,
        );
    let path = dir.file("huge.toml");
    std::fs::write(&path, text).unwrap();
    let o = familyflow(&[Path::new("scenario"), Path::new("check"), &path]);
    assert_fails_cleanly(&o, "check of a huge area");
    assert!(stderr(&o).contains("--force"), "{}", describe(&o));
    let o = familyflow(&[
        Path::new("scenario"),
        Path::new("check"),
        &path,
        Path::new("--force"),
    ]);
    assert_ok(&o, "check --force");
    let o = familyflow(&[
        "scenario",
        "check",
        "scenarios/regions/tees-valley-rcc.toml",
    ]);
    assert_ok(&o, "check of a region file");
    assert!(
        stdout(&o).contains("5 members with a co-operative"),
        "{}",
        describe(&o)
    );
}

/// A file name goes into the merged text of an extending scenario as a
/// comment: a newline in the name must not end the comment and add a
/// setting, and a control character must not make the text invalid.
#[test]
fn a_file_name_cannot_change_an_extending_scenario() {
    use familyflow::model::scenario::Scenario;
    let dir = TempDir::new("inject");
    std::fs::write(dir.file("base.toml"), tiny_text()).unwrap();
    let text = "extends = \"base.toml\"\nname = \"inj\"\n";
    let plain = dir.file("plain.toml");
    std::fs::write(&plain, text).unwrap();
    let (expected, _) = Scenario::load(&plain).unwrap();
    for name in [
        "inj\nseven_day_week = true\n#.toml",
        "ctl\u{7}.toml",
        "esc\u{1b}[31m.toml",
    ] {
        let path = dir.file(name);
        std::fs::write(&path, text).unwrap();
        let (got, effective) = Scenario::load(&path).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "{name:?}"
        );
        assert!(
            !effective.contains('\u{1b}') && !effective.contains('\u{7}'),
            "{effective}"
        );
    }
    // And an error about such a file reaches the terminal without escapes.
    let bad = dir.file("esc\u{1b}[31mbad.toml");
    std::fs::write(&bad, "extends = \"base.toml\"\nname = 5\n").unwrap();
    let o = familyflow(&[Path::new("scenario"), Path::new("check"), &bad]);
    assert_fails_cleanly(&o, "check of a bad file with an escape in its name");
    assert!(!stderr(&o).contains('\u{1b}'), "{}", describe(&o));
    assert!(stderr(&o).contains("name"), "{}", describe(&o));
}
