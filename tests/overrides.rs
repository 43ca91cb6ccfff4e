//! `--set key=value`: a run with a change given on the command line is the
//! run of a file with the same change, byte for byte; its log holds the
//! changed scenario (so verify and replay read it); bad keys and values are
//! refused naming the `--set` argument and the field.

use std::process::Output;

mod common;
use common::{familyflow, manifest_dir, ok, TempDir};

fn fails(o: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    // 1 for a scenario's problem, 2 for an argument clap refuses.
    assert!(matches!(o.status.code(), Some(1 | 2)), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what} panicked: {err}");
    err
}

/// The summary JSON without the line naming the scenario's file (which
/// differs between a file and the file it changes).
fn without_source(json: &str) -> String {
    json.lines()
        .filter(|l| !l.trim_start().starts_with("\"scenario_source\""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A copy of the tiny test scenario and the FFC reform (extending it) in a
/// temporary folder, with a file changing both the way `--set` will.
fn setup(dir: &TempDir) {
    let tiny = std::fs::read_to_string(manifest_dir().join("tests/data/tiny.toml")).unwrap();
    std::fs::write(dir.file("tiny.toml"), tiny).unwrap();
    std::fs::write(
        dir.file("reform.toml"),
        "extends = \"tiny.toml\"\nname = \"reform\"\n\n[[policy]]\ndate = 2024-07-01\n\
         family_help.fte = 12\n\n[[policy]]\ndate = 2024-10-01\nfamily_help.fte = 14\n",
    )
    .unwrap();
    std::fs::write(
        dir.file("changed.toml"),
        "extends = \"reform.toml\"\n\n[area]\nchildren = 3000\n\n[[policy]]\ndate = 2024-07-01\n\
         family_help.fte = 12\n\n[[policy]]\ndate = 2024-10-01\nfamily_help.fte = 2\n",
    )
    .unwrap();
}

#[test]
fn a_set_run_is_the_run_of_a_file_with_the_change() {
    let dir = TempDir::new("overrides");
    setup(&dir);
    let reform = dir.file("reform.toml");
    let changed = dir.file("changed.toml");
    let sets = [
        "--set",
        "area.children=3000",
        "--set",
        "policy[2].family_help.fte=2",
    ];
    let by_file = ok(
        &familyflow(&["run", changed.to_str().unwrap(), "--json"]),
        "run of the changed file",
    );
    let mut args = vec!["run", reform.to_str().unwrap(), "--json"];
    args.extend(sets);
    let by_set = ok(&familyflow(&args), "run with --set");
    assert_eq!(without_source(&by_file), without_source(&by_set));
    // And the change changes the run (so the comparison above can fail).
    let plain = ok(
        &familyflow(&["run", reform.to_str().unwrap(), "--json"]),
        "plain run",
    );
    assert_ne!(without_source(&plain), without_source(&by_set));
    assert!(by_set.contains("\"children\": 3000"), "{by_set}");
}

#[test]
fn the_log_holds_the_change_and_verifies() {
    let dir = TempDir::new("overrides-log");
    setup(&dir);
    let out = dir.file("out");
    let reform = dir.file("reform.toml");
    ok(
        &familyflow(&[
            "run",
            reform.to_str().unwrap(),
            "--set",
            "policy[2].family_help.fte=2",
            "--set",
            "name=\"changed by set\"",
            "--out",
            out.to_str().unwrap(),
        ]),
        "run with --set --out",
    );
    let log = out.join("events.ffl");
    let verified = ok(&familyflow(&["verify", log.to_str().unwrap()]), "verify");
    assert!(verified.contains("changed by set"), "{verified}");
    let replayed = ok(
        &familyflow(&["replay", log.to_str().unwrap(), "--json"]),
        "replay",
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert_eq!(replayed.trim_end(), summary.trim_end());
    // The header's scenario text is the effective one, with the change.
    let bytes = std::fs::read(&log).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("with --set policy[2].family_help.fte=2"),
        "no --set comment in the log header"
    );
    assert!(text.contains("name = \"changed by set\""));
}

#[test]
fn bad_keys_and_values_name_the_argument_and_field() {
    let dir = TempDir::new("overrides-bad");
    setup(&dir);
    let reform = dir.file("reform.toml");
    let reform = reform.to_str().unwrap();
    for (set, expect) in [
        (
            "family_help.ftee=40",
            "--set family_help.ftee=40: family_help.ftee: unknown field `ftee`",
        ),
        (
            "family_help.fte=-4",
            "--set family_help.fte=-4: family_help.fte: -4 is not allowed here",
        ),
        (
            "policy[1].family_help.fte=abc",
            "--set policy[1].family_help.fte=abc: policy #1.family_help.fte: \"abc\" is not allowed here",
        ),
        (
            "policy[3].family_help.fte=1",
            "--set policy[3].family_help.fte=1: policy #3.family_help.fte: policy has 2 entries",
        ),
        (
            "policy[1].family_help.ftx=1",
            "--set policy[1].family_help.ftx=1: policy #1.family_help.ftx: unknown field `ftx`",
        ),
        (
            "years.x=1",
            "--set years.x=1: years.x: years is a value, not a table",
        ),
        ("start=2024-13-01", "--set start=2024-13-01"),
        ("family_help.fte", "is not key=value"),
        ("policy[0].x=1", "counted from 1"),
    ] {
        let err = fails(&familyflow(&["run", reform, "--set", set]), set);
        assert!(err.contains(expect), "--set {set}: expected {expect:?} in {err}");
    }
    // Without a scenario file there is nothing to change.
    let err = fails(&familyflow(&["run", "--set", "years=1"]), "no file");
    assert!(err.contains("name one"), "{err}");
}

#[test]
fn compare_applies_a_set_to_every_scenario() {
    let dir = TempDir::new("overrides-compare");
    setup(&dir);
    std::fs::write(
        dir.file("tiny3000.toml"),
        "extends = \"tiny.toml\"\n[area]\nchildren = 3000\n",
    )
    .unwrap();
    std::fs::write(
        dir.file("reform3000.toml"),
        "extends = \"reform.toml\"\n[area]\nchildren = 3000\n",
    )
    .unwrap();
    let compare = |a: &str, b: &str, set: bool, out: &str| {
        let out = dir.file(out);
        let (a, b) = (dir.file(a), dir.file(b));
        let mut args = vec![
            "compare".to_string(),
            a.display().to_string(),
            b.display().to_string(),
            "--replications".into(),
            "2".into(),
            "--threads".into(),
            "1".into(),
            "-q".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        if set {
            args.extend(["--set".into(), "area.children=3000".into()]);
        }
        ok(&familyflow(&args), "compare");
        // Without the first two columns, the scenarios' file names.
        let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
        csv.lines()
            .map(|l| l.splitn(3, ',').nth(2).unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let by_set = compare("tiny.toml", "reform.toml", true, "set");
    let by_file = compare("tiny3000.toml", "reform3000.toml", false, "file");
    let plain = compare("tiny.toml", "reform.toml", false, "plain");
    assert!(by_set.len() > 10);
    let differ = by_set.iter().zip(&by_file).find(|(a, b)| a != b);
    assert!(differ.is_none(), "--set and file differ: {differ:?}");
    assert!(by_set != plain, "--set changed nothing");
}
