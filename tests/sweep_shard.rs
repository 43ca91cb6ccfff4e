//! `sweep --shard I/N` and `merge`: shards merged are byte for byte the
//! files of a single-machine sweep, however the jobs were split; a missing,
//! duplicated or foreign shard is refused by name; the shard comes from
//! Slurm's or Kubernetes' variables; `--slurm` writes scripts that run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{familyflow, manifest_dir, ok, TempDir};

/// Every variable `--shard auto` reads, removed from a child's environment
/// (the tests may themselves run inside a Slurm job).
const SHARD_VARS: [&str; 5] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "FAMILYFLOW_SHARDS",
];

/// The binary with `args` and exactly the shard variables `env`.
fn familyflow_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_familyflow"));
    c.args(args).current_dir(manifest_dir());
    for v in SHARD_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    c.output().expect("the familyflow binary runs")
}

fn failed(o: &Output, what: &str) -> String {
    assert!(!o.status.success(), "{what} succeeded");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A one-year tiny area, a reform, and a Morris experiment of 6 points x 2
/// replications (12 jobs, each running both scenarios) with a target.
fn setup(dir: &TempDir, seed: u64) -> PathBuf {
    std::fs::copy(
        manifest_dir().join("tests/data/tiny.toml"),
        dir.file("tiny.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.file("reform.toml"),
        "extends = \"tiny.toml\"\nname = \"reform\"\n\n[[policy]]\ndate = 2024-07-01\nfamily_help.fte = 6\n",
    )
    .unwrap();
    let exp = dir.file(&format!("exp{seed}.toml"));
    std::fs::write(
        &exp,
        format!(
            "name = \"shards\"\nscenario = \"tiny.toml\"\ncompare = \"reform.toml\"\nseed = {seed}\n\
             replications = 2\noutputs = [\"family_help.mean_wait_days\", \"referrals.total\"]\n\n\
             [design]\nkind = \"morris\"\ntrajectories = 2\nlevels = 4\n\n\
             [[factor]]\nkey = \"family_help.fte\"\nlower = 1\nupper = 3\napplies_to = \"scenario\"\n\n\
             [[factor]]\nkey = \"area.new_referrals_per_10k_children\"\ndist = \"triang\"\n\
             lower = 300\nupper = 500\npeak = 0.5\n\n\
             [target]\nmetric = \"family_help.mean_wait_days\"\nrelative_change_at_most = -0.05\n",
        ),
    )
    .unwrap();
    exp
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir` (relative path, bytes), sorted; the lock file aside.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != ".familyflow.lock" {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn assert_same_files(a: &Path, b: &Path, what: &str) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "{what}: different files");
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(x == y, "{what}: {name} differs");
    }
}

fn run_shard(exp: &Path, spec: &str, out: &Path, threads: &str) {
    ok(
        &familyflow(&[
            "sweep",
            s(exp),
            "--shard",
            spec,
            "--threads",
            threads,
            "--out",
            s(out),
            "-q",
        ]),
        &format!("shard {spec}"),
    );
}

fn merge(shards: &[PathBuf], out: &Path) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|p| s(p).to_string()));
    args.extend([
        "--out".into(),
        s(out).into(),
        "--report".into(),
        "-q".into(),
    ]);
    familyflow(&args)
}

#[test]
fn shards_merged_are_the_single_machine_sweep_byte_for_byte() {
    let dir = TempDir::new("shard-merge");
    let exp = setup(&dir, 5);
    let single = dir.file("single");
    let summary = ok(
        &familyflow(&["sweep", s(&exp), "--out", s(&single), "--report", "-q"]),
        "single sweep",
    );
    assert!(single.join("sweep-indices.csv").exists());
    // The fans need every run's months: merged, they are the same bytes.
    assert!(single.join("sweep-fan.csv").exists());
    assert!(single.join("report.html").exists());
    assert!(single.join("sweep-target.csv").exists());
    // 12 jobs: 1, 2 and 3 shards split them evenly, 5 and 7 do not.
    for n in [1usize, 2, 3, 5, 7] {
        let shards: Vec<PathBuf> = (1..=n).map(|i| dir.file(&format!("n{n}-{i}"))).collect();
        for (i, p) in shards.iter().enumerate() {
            // Threads differ between shards: nothing may depend on them.
            run_shard(
                &exp,
                &format!("{}/{n}", i + 1),
                p,
                if i % 2 == 0 { "1" } else { "2" },
            );
        }
        // Given in any order.
        let mut given = shards.clone();
        given.reverse();
        let merged = dir.file(&format!("merged{n}"));
        let text = ok(&merge(&given, &merged), &format!("merge of {n}"));
        assert_same_files(&single, &merged, &format!("{n} shards"));
        // The summary differs only by the experiment's paths (absolute in a shard).
        let strip = |t: &str| {
            t.lines()
                .filter(|l| !l.starts_with("scenario:") && !l.starts_with("compare:"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&text), strip(&summary), "{n} shards: summary");
        // Each job is in exactly one shard, every N-th.
        let jobs: usize = shards
            .iter()
            .map(|p| {
                std::fs::read_to_string(p.join("shard-runs.csv"))
                    .unwrap()
                    .lines()
                    .skip(1)
                    .map(|l| l.split(',').next().unwrap().to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            })
            .sum();
        assert_eq!(jobs, 12, "{n} shards");
    }
    let manifest = std::fs::read_to_string(dir.file("n5-2").join("shard.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(m["format"], "familyflow-sweep-shard");
    assert_eq!(m["format_version"], 2);
    assert_eq!(m["shard"], 2);
    assert_eq!(m["shards"], 5);
    assert_eq!(m["jobs"], serde_json::json!([2, 7, 12]));
    assert_eq!(m["familyflow"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn missing_duplicated_and_foreign_shards_are_refused_by_name() {
    let dir = TempDir::new("shard-errors");
    let exp = setup(&dir, 5);
    let shards: Vec<PathBuf> = (1..=3).map(|i| dir.file(&format!("s{i}"))).collect();
    for (i, p) in shards.iter().enumerate() {
        run_shard(&exp, &format!("{}/3", i + 1), p, "1");
    }
    let out = dir.file("out");
    let e = failed(
        &merge(&[shards[0].clone(), shards[2].clone()], &out),
        "missing",
    );
    assert!(e.contains("shard 2/3 missing"), "{e}");
    let e = failed(
        &merge(
            &[
                shards[0].clone(),
                shards[1].clone(),
                shards[2].clone(),
                shards[1].clone(),
            ],
            &out,
        ),
        "duplicate",
    );
    assert!(e.contains("shard 2/3 is given twice"), "{e}");
    // The same shard run twice into two folders is still a duplicate.
    let again = dir.file("s2-again");
    run_shard(&exp, "2/3", &again, "2");
    let e = failed(
        &merge(
            &[
                shards[0].clone(),
                shards[1].clone(),
                again.clone(),
                shards[2].clone(),
            ],
            &out,
        ),
        "duplicate folders",
    );
    assert!(
        e.contains("shard 2/3 is given twice") && e.contains("s2-again"),
        "{e}"
    );
    // Another split.
    let half = dir.file("half");
    run_shard(&exp, "2/2", &half, "1");
    let e = failed(
        &merge(&[shards[0].clone(), half.clone(), shards[2].clone()], &out),
        "split",
    );
    assert!(e.contains("half") && e.contains("2/2"), "{e}");
    // Another experiment (another seed): its shard 2/3 is refused.
    let other = setup(&dir, 6);
    let foreign = dir.file("foreign");
    run_shard(&other, "2/3", &foreign, "1");
    let e = failed(
        &merge(
            &[shards[0].clone(), foreign.clone(), shards[2].clone()],
            &out,
        ),
        "foreign",
    );
    assert!(
        e.contains("foreign") && e.contains("another experiment"),
        "{e}"
    );
    // A shard folder without its manifest (a task that failed) is named.
    let e = failed(
        &merge(
            &[shards[0].clone(), dir.file("nowhere"), shards[2].clone()],
            &out,
        ),
        "no folder",
    );
    assert!(e.contains("nowhere"), "{e}");
    // A results file missing a row is refused with its file and line.
    let cut = dir.file("cut");
    run_shard(&exp, "3/3", &cut, "1");
    let csv = std::fs::read_to_string(cut.join("shard-runs.csv")).unwrap();
    let short: Vec<&str> = csv.lines().collect();
    std::fs::write(
        cut.join("shard-runs.csv"),
        short[..short.len() - 1].join("\n"),
    )
    .unwrap();
    let e = failed(
        &merge(&[shards[0].clone(), shards[1].clone(), cut], &out),
        "cut",
    );
    assert!(
        e.contains("cut/shard-runs.csv") && e.contains("ends at line"),
        "{e}"
    );
    assert!(
        !out.join("sweep-runs.csv").exists(),
        "nothing written on failure"
    );
    // The monthly series (for the fan charts) cut short at the end, or a
    // month missing in the middle: refused with the file.
    let months = std::fs::read_to_string(shards[2].join("shard-months.csv")).unwrap();
    let lines: Vec<&str> = months.lines().collect();
    for (what, kept, expect) in [
        (
            "end",
            [&lines[..lines.len() - 1]].concat(),
            "rows of monthly series",
        ),
        (
            "middle",
            [&lines[..5], &lines[6..]].concat(),
            "does not follow",
        ),
    ] {
        let cut = dir.file(&format!("months-{what}"));
        run_shard(&exp, "3/3", &cut, "1");
        std::fs::write(cut.join("shard-months.csv"), kept.join("\n") + "\n").unwrap();
        let e = failed(
            &merge(&[shards[0].clone(), shards[1].clone(), cut], &out),
            what,
        );
        assert!(
            e.contains(&format!("months-{what}/shard-months.csv")) && e.contains(expect),
            "{what}: {e}"
        );
    }
    // Nothing was written so far; a whole set merges.
    ok(&merge(&shards, &out), "whole set");
    // The experiment changed after the shards ran: refused.
    let text = std::fs::read_to_string(&exp).unwrap();
    std::fs::write(&exp, text.replace("replications = 2", "replications = 3")).unwrap();
    let e = failed(&merge(&shards, &dir.file("out2")), "changed experiment");
    assert!(e.contains("has changed since the shards ran"), "{e}");
}

#[test]
fn a_failed_shard_is_rerun_alone() {
    let dir = TempDir::new("shard-rerun");
    let exp = setup(&dir, 5);
    let single = dir.file("single");
    ok(
        &familyflow(&["sweep", s(&exp), "--out", s(&single), "--report", "-q"]),
        "single",
    );
    let shards: Vec<PathBuf> = (1..=3).map(|i| dir.file(&format!("s{i}"))).collect();
    run_shard(&exp, "1/3", &shards[0], "1");
    run_shard(&exp, "3/3", &shards[2], "1");
    let out = dir.file("out");
    let e = failed(&merge(&shards, &out), "before the re-run");
    assert!(e.contains("s2"), "{e}");
    run_shard(&exp, "2/3", &shards[1], "2");
    ok(&merge(&shards, &out), "after the re-run");
    assert_same_files(&single, &out, "after a re-run");
    // The experiment moved (the hash is of its content, not its place).
    let moved = dir.file("moved");
    std::fs::create_dir_all(&moved).unwrap();
    for f in ["tiny.toml", "reform.toml", "exp5.toml"] {
        std::fs::rename(dir.file(f), moved.join(f)).unwrap();
    }
    let again = dir.file("again");
    let e = failed(&merge(&shards, &again), "the experiment gone");
    assert!(e.contains("exp5.toml"), "{e}");
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|p| s(p).to_string()));
    args.extend(
        [
            "--experiment",
            s(&moved.join("exp5.toml")),
            "--out",
            s(&again),
            "--report",
            "-q",
        ]
        .map(String::from),
    );
    ok(&familyflow(&args), "merge --experiment");
    assert_same_files(&single, &again, "the experiment moved");
}

#[test]
fn the_shard_comes_from_slurm_or_kubernetes_variables() {
    let dir = TempDir::new("shard-env");
    let exp = setup(&dir, 5);
    let plain = dir.file("plain");
    run_shard(&exp, "2/3", &plain, "1");
    let want = std::fs::read(plain.join("shard-runs.csv")).unwrap();
    let manifest = std::fs::read(plain.join("shard.json")).unwrap();
    let cases: [(&str, &[(&str, &str)]); 5] = [
        // An array 1-3: task 2.
        (
            "auto",
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        ),
        // An array 0-2 (or 3-5): the second task is shard 2.
        (
            "auto",
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_MIN", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        ),
        // N given: the task id is the shard (a re-submitted --array=2).
        (
            "auto/3",
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
            ],
        ),
        // Kubernetes: JOB_COMPLETION_INDEX from 0.
        (
            "auto",
            &[("JOB_COMPLETION_INDEX", "1"), ("FAMILYFLOW_SHARDS", "3")],
        ),
        ("auto/3", &[("JOB_COMPLETION_INDEX", "1")]),
    ];
    for (k, (spec, env)) in cases.iter().enumerate() {
        let out = dir.file(&format!("env{k}"));
        let mut args = vec!["sweep", s(&exp), "--shard", spec, "--out", s(&out), "-q"];
        args.push("--threads");
        args.push("2");
        ok(
            &familyflow_env(&args, env),
            &format!("case {k}: {spec} {env:?}"),
        );
        assert_eq!(
            std::fs::read(out.join("shard-runs.csv")).unwrap(),
            want,
            "case {k}"
        );
        assert_eq!(
            std::fs::read(out.join("shard.json")).unwrap(),
            manifest,
            "case {k}"
        );
    }
    let out = dir.file("bad");
    let e = failed(
        &familyflow_env(
            &["sweep", s(&exp), "--shard", "auto", "--out", s(&out)],
            &[],
        ),
        "no env",
    );
    assert!(
        e.contains("SLURM_ARRAY_TASK_ID") && e.contains("JOB_COMPLETION_INDEX"),
        "{e}"
    );
    let e = failed(
        &familyflow_env(
            &["sweep", s(&exp), "--shard", "auto", "--out", s(&out)],
            &[("JOB_COMPLETION_INDEX", "0")],
        ),
        "no count",
    );
    assert!(e.contains("FAMILYFLOW_SHARDS"), "{e}");
    let e = failed(
        &familyflow_env(
            &["sweep", s(&exp), "--shard", "auto/3", "--out", s(&out)],
            &[("SLURM_ARRAY_TASK_ID", "4")],
        ),
        "past N",
    );
    assert!(e.contains("4/3"), "{e}");
    let e = failed(
        &familyflow_env(&["sweep", s(&exp), "--shard", "0/3", "--out", s(&out)], &[]),
        "zero",
    );
    assert!(e.contains("numbered from 1"), "{e}");
    let e = failed(
        &familyflow_env(&["sweep", s(&exp), "--shard", "1/3"], &[]),
        "no --out",
    );
    assert!(e.contains("--out"), "{e}");
}

/// The value of `#SBATCH --NAME=VALUE` in a script (exactly one such line).
fn sbatch(script: &str, name: &str) -> String {
    let prefix = format!("#SBATCH --{name}=");
    let found: Vec<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect();
    assert_eq!(found.len(), 1, "--{name} in\n{script}");
    found[0].to_string()
}

fn minutes(time: &str) -> u64 {
    let (days, hms) = time.split_once('-').unwrap_or(("0", time));
    let parts: Vec<u64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    assert_eq!(parts.len(), 3, "{time}");
    assert_eq!(parts[2], 0, "{time}: whole minutes");
    days.parse::<u64>().unwrap() * 1440 + parts[0] * 60 + parts[1]
}

#[test]
fn slurm_scripts_hold_the_array_its_limits_and_a_chained_merge_and_run() {
    let dir = TempDir::new("shard-slurm");
    let exp = setup(&dir, 5);
    let single = dir.file("single");
    ok(
        &familyflow(&["sweep", s(&exp), "--out", s(&single), "--report", "-q"]),
        "single",
    );
    let slurm = dir.file("slurm");
    let text = ok(
        &familyflow(&[
            "sweep",
            s(&exp),
            "--slurm",
            s(&slurm),
            "--tasks",
            "5",
            "--max-running",
            "2",
            "--threads",
            "2",
            "--report",
            "-q",
        ]),
        "--slurm",
    );
    assert!(text.contains("5 tasks"), "{text}");
    let array = std::fs::read_to_string(slurm.join("sweep-array.sbatch")).unwrap();
    let merge_job = std::fs::read_to_string(slurm.join("sweep-merge.sbatch")).unwrap();
    assert!(merge_job.contains(" --report\n"), "{merge_job}");
    let submit = std::fs::read_to_string(slurm.join("submit.sh")).unwrap();
    assert!(array.starts_with("#!/bin/bash\n"));
    assert_eq!(sbatch(&array, "array"), "1-5%2");
    assert_eq!(sbatch(&array, "cpus-per-task"), "2");
    // At least the stated slack of 5 minutes; whole minutes.
    assert!(minutes(&sbatch(&array, "time")) >= 5, "{array}");
    let mem = sbatch(&array, "mem");
    let mb: u64 = mem.strip_suffix('M').unwrap().parse().unwrap();
    assert!(mb >= 256 && mb.is_multiple_of(64), "{mem}");
    assert!(sbatch(&array, "output").ends_with("/logs/shard-%a.out"));
    assert!(
        array.contains("--shard \"${SLURM_ARRAY_TASK_ID}/5\""),
        "{array}"
    );
    assert!(
        array.contains("pilot") || array.contains("Pilot"),
        "{array}"
    );
    assert!(minutes(&sbatch(&merge_job, "time")) >= 5);
    assert!(merge_job.contains(" merge "), "{merge_job}");
    assert!(merge_job.contains("seq 1 5"), "{merge_job}");
    // One line after the comments: the array, then the merge after it.
    let lines: Vec<&str> = submit.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 1, "{submit}");
    let line = lines[0];
    let array_at = line
        .find("sbatch --parsable sweep-array.sbatch")
        .expect(line);
    let merge_at = line
        .find("sbatch --dependency=afterok:\"$ARRAY_JOB_ID\" sweep-merge.sbatch")
        .expect(line);
    assert!(
        array_at < merge_at && line.contains("ARRAY_JOB_ID=$("),
        "{line}"
    );
    assert!(slurm.join("logs").is_dir() && slurm.join("shards").is_dir());
    // Syntax, where bash is installed.
    if Command::new("bash").arg("--version").output().is_ok() {
        for f in ["sweep-array.sbatch", "sweep-merge.sbatch", "submit.sh"] {
            let o = Command::new("bash")
                .arg("-n")
                .arg(slurm.join(f))
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "bash -n {f}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        // The array's mechanics without Slurm: each task as Slurm starts it,
        // then the merge; the results are the single-machine sweep's.
        for i in 1..=5 {
            let mut c = Command::new("bash");
            c.arg(slurm.join("sweep-array.sbatch"));
            for v in SHARD_VARS {
                c.env_remove(v);
            }
            let o = c
                .env("SLURM_ARRAY_TASK_ID", i.to_string())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "task {i}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let o = Command::new("bash")
            .arg(slurm.join("sweep-merge.sbatch"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "merge: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_same_files(
            &single,
            &slurm.join("results"),
            "the Slurm scripts' results",
        );
    } else {
        println!("SKIPPED: bash -n and running the scripts (no bash)");
    }
    let e = failed(
        &familyflow(&["sweep", s(&exp), "--slurm", s(&slurm), "--tasks", "13"]),
        "too many tasks",
    );
    assert!(e.contains("12 jobs"), "{e}");
}
