//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own subset

pub mod counting;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The crate's folder, where the tests run the binary.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `familyflow` binary with `args`, in the crate's folder.
pub fn familyflow<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .expect("the familyflow binary runs")
}

/// Asserts that a run of the binary succeeded; its standard output.
pub fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A temporary directory with a unique name, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `tag`.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "familyflow-test-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The built-in scenario without its burn-in: the run starts empty on the
/// start date, for tests of mechanisms that count from the first day (staff
/// taking up posts, the first April's apprentices, a cold start's caseload).
pub fn builtin_cold() -> familyflow::model::input::ScenarioInput {
    let builtin = familyflow::model::input::ScenarioInput::builtin();
    let text = builtin
        .text
        .replace("burn_in_years = 20", "burn_in_years = 0");
    assert_ne!(text, builtin.text, "the built-in scenario has a burn-in");
    familyflow::model::input::ScenarioInput::from_text(&text, &builtin.source).expect("valid")
}
