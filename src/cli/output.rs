//! The folder a command writes with `--out DIR`, and single output files.
//!
//! * **One writer at a time.** [`OutDir::open`] takes an exclusive lock on
//!   `DIR/.familyflow.lock` (`File::try_lock`); a second familyflow that
//!   wants the folder meanwhile is refused with a message naming it. The
//!   lock file stays (removing it would let two writers lock two files).
//! * **Nothing half written.** Every file is written under a temporary name
//!   beside its final one (`events.ffl.tmp`), flushed and synced, and renamed
//!   only when the command has written everything ([`OutDir::commit`]); a
//!   command that fails leaves the folder as it was. Write errors name the
//!   file.
//! * **No two runs' files side by side.** At the commit, the files familyflow
//!   writes that the new set does not replace are removed first: by name and
//!   pattern (see [`owned_name`]), in the folder itself, in the member and
//!   branch subfolders (those holding an event log), and in export's
//!   collection-year folders (`2025/`: `header.csv` and `episodes.csv` of
//!   SSDA903, `cin.xml` of the CIN census; see `export_year_file`) and
//!   the `ssda903/` and `cin/` trees of earlier versions' exports. Nothing
//!   else is ever touched. A command
//!   refuses a folder where it would remove or replace one of its own inputs.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::commands::CommandError;

/// The lock file in an output folder.
pub const LOCK_FILE: &str = ".familyflow.lock";

/// The files familyflow writes at the top of an output folder, whatever
/// the command (`snapshot-DATE.ffs` besides, see [`owned_name`]).
const RESULT_FILES: [&str; 25] = [
    "events.ffl",
    "summary.json",
    "monthly.csv",
    "region-summary.json",
    "report.html",
    "compare.csv",
    "compare.json",
    "compare-replications.csv",
    "counterfactual.csv",
    "replications.csv",
    "replications.json",
    "summary-stats.csv",
    "validation.csv",
    "validation.json",
    "events.csv",
    "events.jsonl",
    "sweep-runs.csv",
    "sweep-points.csv",
    "sweep-indices.csv",
    "sweep-target.csv",
    "sweep-fan.csv",
    "fan.csv",
    "shard.json",
    "shard-runs.csv",
    "shard-months.csv",
];
/// `sweep`'s files for SALib, in the `salib` subfolder.
const SALIB_FILES: [&str; 3] = ["params.txt", "samples.txt", "outputs.txt"];
/// What a region member's or a branch's subfolder holds.
const RUN_FILES: [&str; 3] = ["events.ffl", "summary.json", "monthly.csv"];
/// Export's trees.
const EXPORT_TREES: [&str; 2] = ["ssda903", "cin"];

/// Which of familyflow's earlier files a command's new set replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A new set of results (`run`, a region run, `run --replications`,
    /// `compare`, `validate`, `branch`): every file familyflow writes goes.
    Results,
    /// `export` of one format: that format's file or tree (`events.csv`,
    /// `events.jsonl`, `ssda903/`, `cin/`) goes; the other formats and a
    /// run's files may stay beside it (the returns of one log are often
    /// written into one folder, one format after another).
    Export(&'static str),
    /// An addition to a folder (`report`): only the files written are replaced.
    Add,
}

/// Whether `name` (a file's name at the top of an output folder) is one
/// familyflow writes in `scope`, or a temporary file of one.
pub fn owned_name(name: &str, scope: Scope) -> bool {
    let name = name.strip_suffix(".tmp").unwrap_or(name);
    match scope {
        Scope::Results => {
            RESULT_FILES.contains(&name)
                || name
                    .strip_prefix("snapshot-")
                    .is_some_and(|rest| rest.len() > 4 && rest.ends_with(".ffs"))
        }
        Scope::Export(format) => name == format,
        Scope::Add => false,
    }
}

fn file_error(path: &Path) -> impl FnOnce(io::Error) -> CommandError + '_ {
    move |source| CommandError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether two paths name the same file: the same canonical path, or (on
/// unix) the same device and inode, which also catches hard links.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(x), Ok(y)) = (fs::canonicalize(a), fs::canonicalize(b)) {
        if x == y {
            return true;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Where `path` would be once created: its folder made canonical (so `..`
/// and symlinked folders resolve), then its name.
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::canonicalize(&parent).map_or_else(|_| path.to_path_buf(), |p| p.join(name))
}

/// A file being written under a temporary name beside its final one.
/// Dropped unfinished, it removes the temporary file.
pub struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Staged {
    /// Starts writing `path` as `tmp`.
    fn new(path: PathBuf, tmp: PathBuf) -> Result<Staged, CommandError> {
        let file = File::create(&tmp).map_err(|e| CommandError::File {
            path: path.clone(),
            source: io::Error::new(
                e.kind(),
                format!("cannot create it (as {}): {e}", tmp.display()),
            ),
        })?;
        Ok(Staged {
            tmp,
            path,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Starts writing a single file at `path` (not in an [`OutDir`]): a
    /// temporary name unique to this process, in the same folder.
    pub fn beside(path: &Path) -> Result<Staged, CommandError> {
        let name = path
            .file_name()
            .ok_or_else(|| CommandError::Failed(format!("{}: not a file name", path.display())))?;
        let tmp = path.with_file_name(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        Staged::new(path.to_path_buf(), tmp)
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!(
                "{} (written as {}): {e}",
                self.path.display(),
                self.tmp.display()
            ),
        )
    }

    /// Flushes and syncs: the bytes are on disk under the temporary name.
    fn complete(&mut self) -> Result<(), CommandError> {
        let out = self.out.as_mut().expect("a staged file is open until done");
        let done = out.flush().and_then(|()| out.get_ref().sync_all());
        done.map_err(|e| CommandError::File {
            path: self.path.clone(),
            source: io::Error::new(
                e.kind(),
                format!("cannot write it (as {}): {e}", self.tmp.display()),
            ),
        })?;
        self.out = None;
        Ok(())
    }

    /// Completes the file and renames it to its final name (for a single
    /// file, not in an [`OutDir`]).
    pub fn commit(mut self) -> Result<PathBuf, CommandError> {
        self.complete()?;
        fs::rename(&self.tmp, &self.path).map_err(file_error(&self.path))?;
        self.tmp = PathBuf::new();
        Ok(self.path.clone())
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.out.as_mut().map_or(Ok(0), |o| o.write(buf));
        r.map_err(|e| self.named(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let r = self.out.as_mut().map_or(Ok(()), |o| o.write_all(buf));
        r.map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.out.as_mut().map_or(Ok(()), |o| o.flush());
        r.map_err(|e| self.named(e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Not handed to an `OutDir`, nor renamed: the temporary file goes.
        if !self.tmp.as_os_str().is_empty() {
            self.out = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// An output folder, locked for this command, with the files it has staged.
pub struct OutDir {
    dir: PathBuf,
    scope: Scope,
    inputs: Vec<PathBuf>,
    /// Earlier files of familyflow's that the commit removes (unless replaced).
    owned: Vec<PathBuf>,
    /// Owned subfolders, removed at the commit when left empty.
    owned_dirs: Vec<PathBuf>,
    /// Staged files, completed: (temporary, final).
    staged: Vec<(PathBuf, PathBuf)>,
    /// Subfolders this command created.
    created: Vec<PathBuf>,
    committed: bool,
    _lock: File,
}

impl OutDir {
    /// Creates the folder if need be, locks it (refusing when another
    /// familyflow holds it), and finds familyflow's earlier files in it
    /// that this command's `scope` replaces. Refuses when one of them is
    /// one of `inputs` (files the command reads).
    pub fn open(dir: &Path, scope: Scope, inputs: &[&Path]) -> Result<OutDir, CommandError> {
        if let Some(what) = not_an_output_folder(dir) {
            return Err(CommandError::Failed(format!(
                "{}: this is {what}, not a folder for results; give a folder of their own (for example --out results/my-run: it is made if it does not exist)",
                dir.display()
            )));
        }
        if let Ok(m) = fs::metadata(dir) {
            if !m.is_dir() {
                return Err(CommandError::Failed(format!(
                    "{}: the output must be a folder, and this is a file",
                    dir.display()
                )));
            }
        }
        fs::create_dir_all(dir).map_err(file_error(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(file_error(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(CommandError::Failed(format!(
                    "{}: another familyflow is writing to this folder (it holds {}); wait for it to finish, or give another --out folder",
                    dir.display(),
                    lock_path.display()
                )))
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(CommandError::File {
                    path: lock_path,
                    source: io::Error::new(e.kind(), format!("cannot lock it: {e}")),
                })
            }
        }
        let mut out = OutDir {
            dir: dir.to_path_buf(),
            scope,
            inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
            owned: Vec::new(),
            owned_dirs: Vec::new(),
            staged: Vec::new(),
            created: Vec::new(),
            committed: false,
            _lock: lock,
        };
        out.scan()?;
        for input in &out.inputs {
            if let Some(p) = out.owned.iter().find(|p| same_file(p, input)) {
                return Err(CommandError::Failed(format!(
                    "{}: this folder holds {}, which this command reads, and writing the new results here would remove it; give another --out folder",
                    out.dir.display(),
                    p.display()
                )));
            }
        }
        Ok(out)
    }

    /// Finds familyflow's earlier files in the folder that the scope replaces.
    fn scan(&mut self) -> Result<(), CommandError> {
        if self.scope == Scope::Add {
            return Ok(());
        }
        let entries = fs::read_dir(&self.dir).map_err(file_error(&self.dir))?;
        let mut names: Vec<(String, PathBuf, fs::FileType)> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(file_error(&self.dir))?;
            let ty = entry.file_type().map_err(file_error(&entry.path()))?;
            names.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
                ty,
            ));
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, path, ty) in names {
            if !ty.is_dir() {
                if owned_name(&name, self.scope) {
                    self.owned.push(path);
                }
            } else if EXPORT_TREES.contains(&name.as_str())
                && (self.scope == Scope::Results || self.scope == Scope::Export(export_tree(&name)))
            {
                self.scan_export_tree(&name, &path)?;
            } else if is_collection_year(&name)
                && matches!(
                    self.scope,
                    Scope::Results | Scope::Export("ssda903/" | "cin/")
                )
            {
                let scope = self.scope;
                self.scan_files(&path, |n| export_year_file(n, scope))?;
                self.owned_dirs.push(path);
            } else if self.scope == Scope::Results && name == "salib" {
                self.scan_files(&path, |n| SALIB_FILES.contains(&n))?;
                self.owned_dirs.push(path);
            } else if self.scope == Scope::Results && holds_a_log(&path) {
                self.scan_files(&path, |n| RUN_FILES.contains(&n))?;
                self.owned_dirs.push(path);
            }
        }
        Ok(())
    }

    /// `ssda903/<year>/{header,episodes}.csv` and `cin/cin-<year>.xml`.
    fn scan_export_tree(&mut self, name: &str, path: &Path) -> Result<(), CommandError> {
        // Parents before their subfolders: the commit removes them deepest first.
        self.owned_dirs.push(path.to_path_buf());
        if name == "cin" {
            self.scan_files(path, |n| n.starts_with("cin-") && n.ends_with(".xml"))?;
        } else {
            let entries = fs::read_dir(path).map_err(file_error(path))?;
            let mut years: Vec<PathBuf> = Vec::new();
            for entry in entries {
                let entry = entry.map_err(file_error(path))?;
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    years.push(entry.path());
                }
            }
            years.sort();
            for year in years {
                self.scan_files(&year, |n| n == "header.csv" || n == "episodes.csv")?;
                self.owned_dirs.push(year);
            }
        }
        Ok(())
    }

    fn scan_files(&mut self, dir: &Path, owned: impl Fn(&str) -> bool) -> Result<(), CommandError> {
        let entries = fs::read_dir(dir).map_err(file_error(dir))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(file_error(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".tmp").unwrap_or(&name);
            if !entry.file_type().is_ok_and(|t| t.is_dir()) && owned(stem) {
                found.push(entry.path());
            }
        }
        found.sort();
        self.owned.extend(found);
        Ok(())
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The final path of `rel` (a name, or a path inside the folder).
    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Starts writing `rel` (its subfolders are created), under a temporary
    /// name until the commit. Refuses to replace an input.
    pub fn create(&mut self, rel: &str) -> Result<Staged, CommandError> {
        let path = self.file(rel);
        if let Some(input) = self.inputs.iter().find(|i| same_file(i, &path)) {
            return Err(CommandError::Failed(format!(
                "{}: this command reads {} and would replace it; give another --out folder",
                path.display(),
                input.display()
            )));
        }
        if let Some(parent) = path.parent() {
            let mut missing = Vec::new();
            let mut p = parent;
            while !p.exists() && p.starts_with(&self.dir) {
                missing.push(p.to_path_buf());
                match p.parent() {
                    Some(q) => p = q,
                    None => break,
                }
            }
            fs::create_dir_all(parent).map_err(file_error(parent))?;
            self.created.extend(missing.into_iter().rev());
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!("{name}.tmp"));
        Staged::new(path, tmp)
    }

    /// Completes a staged file: flushed and synced under its temporary
    /// name, renamed at the commit.
    pub fn finish(&mut self, mut file: Staged) -> Result<PathBuf, CommandError> {
        file.complete()?;
        let tmp = std::mem::take(&mut file.tmp);
        self.staged.push((tmp, file.path.clone()));
        Ok(file.path.clone())
    }

    /// Writes a whole file `rel`; returns its final path.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<PathBuf, CommandError> {
        let mut f = self.create(rel)?;
        f.write_all(bytes)
            .map_err(|e| CommandError::Failed(format!("cannot write {e}")))?;
        self.finish(f)
    }

    /// Puts the new set in place: removes familyflow's earlier files that
    /// it does not replace, renames every staged file to its final name,
    /// and removes owned subfolders left empty. Then unlocks the folder.
    pub fn commit(mut self) -> Result<(), CommandError> {
        let finals: BTreeSet<PathBuf> = self.staged.iter().map(|(_, p)| p.clone()).collect();
        for old in &self.owned {
            if !finals.contains(old) {
                match fs::remove_file(old) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(file_error(old)(e)),
                }
            }
        }
        for (tmp, path) in &self.staged {
            fs::rename(tmp, path).map_err(file_error(path))?;
        }
        self.committed = true;
        // Deepest first; a folder still holding something stays.
        for d in self.owned_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.staged {
                let _ = fs::remove_file(tmp);
            }
            for d in self.created.iter().rev() {
                let _ = fs::remove_dir(d);
            }
        }
    }
}

/// What an existing folder is, when it is obviously not one for results:
/// the filesystem's root, the home folder (`HOME`, or `USERPROFILE`), or a
/// system folder at the root (`/etc`, `/usr`, …). Checked on the resolved
/// path, so `..`, `.` and links reach the same answer. A folder that does
/// not exist yet is made for the results, and never refused here.
fn not_an_output_folder(dir: &Path) -> Option<&'static str> {
    const SYSTEM: [&str; 13] = [
        "bin", "boot", "dev", "etc", "lib", "lib64", "opt", "proc", "run", "sbin", "sys", "usr",
        "var",
    ];
    let real = dir.canonicalize().ok()?;
    let Some(parent) = real.parent() else {
        return Some("the filesystem's root");
    };
    let home = ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .filter(|h| !h.is_empty())
        .filter_map(|h| PathBuf::from(h).canonicalize().ok());
    for h in home {
        if h == real {
            return Some("your home folder");
        }
    }
    let top = parent.parent().is_none();
    let name = real.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if top && SYSTEM.contains(&name) {
        return Some("a system folder");
    }
    None
}

/// Whether a folder's name is a collection year's as export writes it:
/// the year the collection ends (`2025` for 2024-25).
fn is_collection_year(name: &str) -> bool {
    name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name` is a file export writes in a collection year's folder in
/// `scope`: SSDA903's tables (`ssda903/`) or the CIN census (`cin/`).
fn export_year_file(name: &str, scope: Scope) -> bool {
    const SSDA903: [&str; 2] = ["header.csv", "episodes.csv"];
    match scope {
        Scope::Results => SSDA903.contains(&name) || name == "cin.xml",
        Scope::Export("ssda903/") => SSDA903.contains(&name),
        Scope::Export("cin/") => name == "cin.xml",
        _ => false,
    }
}

/// The name [`Scope::Export`] gives an export tree.
fn export_tree(name: &str) -> &'static str {
    if name == "cin" {
        "cin/"
    } else {
        "ssda903/"
    }
}

/// Whether a subfolder holds an event log (a region member's or a branch's).
fn holds_a_log(dir: &Path) -> bool {
    let mut sig = [0u8; 8];
    File::open(dir.join("events.ffl"))
        .and_then(|mut f| f.read_exact(&mut sig))
        .is_ok_and(|()| sig == crate::engine::log::SIGNATURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_names_by_scope() {
        for n in [
            "events.ffl",
            "report.html",
            "snapshot-2025-04-01.ffs",
            "summary.json.tmp",
        ] {
            assert!(owned_name(n, Scope::Results), "{n}");
            assert!(!owned_name(n, Scope::Add), "{n}");
        }
        for n in [
            "notes.txt",
            "snapshot-.ffs",
            "scenario.toml",
            ".familyflow.lock",
            "x.tmp",
        ] {
            assert!(!owned_name(n, Scope::Results), "{n}");
        }
        assert!(owned_name("events.csv", Scope::Export("events.csv")));
        assert!(!owned_name("events.jsonl", Scope::Export("events.csv")));
        assert!(!owned_name("events.ffl", Scope::Export("events.csv")));
        assert!(is_collection_year("2025") && !is_collection_year("2024-25"));
        assert!(export_year_file("cin.xml", Scope::Export("cin/")));
        assert!(!export_year_file("header.csv", Scope::Export("cin/")));
        assert!(!export_year_file("cin.xml", Scope::Export("ssda903/")));
        assert!(export_year_file("episodes.csv", Scope::Results));
        assert!(!export_year_file("notes.csv", Scope::Results));
    }
}
