//! The served app's scenarios and runs on disk: the shipped scenarios
//! (embedded in the binary, written under the data folder so that
//! `extends` between them resolves), uploaded text resolved only against
//! them, and each run's folder, named by the hash of what determines it.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::input::ScenarioInput;
use crate::model::scenario::{Diagnostic, Scenario, ScenarioError};

/// The scenarios shipped with familyflow that one council runs (region
/// files, experiments and their members are not offered): their names as
/// the command line gives them from the repository's folder, and text.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "scenarios/default.toml",
        include_str!("../../../scenarios/default.toml"),
    ),
    (
        "scenarios/ffc-reform.toml",
        include_str!("../../../scenarios/ffc-reform.toml"),
    ),
    (
        "scenarios/england-baseline.toml",
        include_str!("../../../scenarios/england-baseline.toml"),
    ),
    (
        "scenarios/england-ffc.toml",
        include_str!("../../../scenarios/england-ffc.toml"),
    ),
    (
        "scenarios/sample/england-tenth.toml",
        include_str!("../../../scenarios/sample/england-tenth.toml"),
    ),
    (
        "scenarios/sample/england-ffc-tenth.toml",
        include_str!("../../../scenarios/sample/england-ffc-tenth.toml"),
    ),
    (
        "scenarios/levers/agency-rules.toml",
        include_str!("../../../scenarios/levers/agency-rules.toml"),
    ),
    (
        "scenarios/levers/care-leavers-mentoring.toml",
        include_str!("../../../scenarios/levers/care-leavers-mentoring.toml"),
    ),
    (
        "scenarios/levers/foster-recruitment.toml",
        include_str!("../../../scenarios/levers/foster-recruitment.toml"),
    ),
    (
        "scenarios/levers/kinship-support.toml",
        include_str!("../../../scenarios/levers/kinship-support.toml"),
    ),
    (
        "scenarios/validation/mmc.toml",
        include_str!("../../../scenarios/validation/mmc.toml"),
    ),
    (
        "scenarios/validation/fgc-trial-usual.toml",
        include_str!("../../../scenarios/validation/fgc-trial-usual.toml"),
    ),
    (
        "scenarios/validation/fgc-trial-fgc.toml",
        include_str!("../../../scenarios/validation/fgc-trial-fgc.toml"),
    ),
    (
        "scenarios/areas/brighton-and-hove.toml",
        include_str!("../../../scenarios/areas/brighton-and-hove.toml"),
    ),
    (
        "scenarios/areas/dorset.toml",
        include_str!("../../../scenarios/areas/dorset.toml"),
    ),
    (
        "scenarios/areas/gateshead.toml",
        include_str!("../../../scenarios/areas/gateshead.toml"),
    ),
    (
        "scenarios/areas/hammersmith-and-fulham.toml",
        include_str!("../../../scenarios/areas/hammersmith-and-fulham.toml"),
    ),
    (
        "scenarios/areas/hartlepool.toml",
        include_str!("../../../scenarios/areas/hartlepool.toml"),
    ),
    (
        "scenarios/areas/lewisham.toml",
        include_str!("../../../scenarios/areas/lewisham.toml"),
    ),
    (
        "scenarios/areas/lincolnshire.toml",
        include_str!("../../../scenarios/areas/lincolnshire.toml"),
    ),
    (
        "scenarios/areas/luton.toml",
        include_str!("../../../scenarios/areas/luton.toml"),
    ),
    (
        "scenarios/areas/redbridge.toml",
        include_str!("../../../scenarios/areas/redbridge.toml"),
    ),
    (
        "scenarios/areas/staffordshire.toml",
        include_str!("../../../scenarios/areas/staffordshire.toml"),
    ),
    (
        "scenarios/areas/sunderland.toml",
        include_str!("../../../scenarios/areas/sunderland.toml"),
    ),
    (
        "scenarios/areas/telford-and-wrekin.toml",
        include_str!("../../../scenarios/areas/telford-and-wrekin.toml"),
    ),
    (
        "scenarios/areas/walsall.toml",
        include_str!("../../../scenarios/areas/walsall.toml"),
    ),
    (
        "scenarios/areas/warrington.toml",
        include_str!("../../../scenarios/areas/warrington.toml"),
    ),
    (
        "scenarios/areas/warwickshire.toml",
        include_str!("../../../scenarios/areas/warwickshire.toml"),
    ),
    (
        "scenarios/areas/wirral.toml",
        include_str!("../../../scenarios/areas/wirral.toml"),
    ),
    (
        "scenarios/areas/wolverhampton.toml",
        include_str!("../../../scenarios/areas/wolverhampton.toml"),
    ),
];

/// The name uploaded scenario text goes by in errors and summaries.
pub const UPLOADED: &str = "uploaded.toml";

/// Most replications one request may ask for.
pub const MAX_REPLICATIONS: u32 = 100;
/// Most children (`area.children`) a served run may have: a tenth of
/// England fits; England itself is for the command line.
pub const MAX_CHILDREN: u64 = 2_000_000;

/// A shipped scenario as `GET /api/scenarios` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Shipped {
    /// Its name (`scenarios/...toml`), what a request gives.
    pub name: String,
    /// The scenario's own `name`.
    pub title: String,
    /// Its `description`.
    pub description: String,
    /// Children in the area.
    pub children: u64,
    /// Years run.
    pub years: u32,
}

/// The scenario folder under the data folder, and the shipped list read.
pub struct Scenarios {
    /// `DATA/shipped`: holds `scenarios/...` as shipped.
    root: PathBuf,
    /// Each shipped scenario, in [`SHIPPED`]'s order.
    pub listed: Vec<Shipped>,
}

impl Scenarios {
    /// Writes the shipped scenarios under `data/shipped` (replacing what
    /// differs) and reads each one's name and description.
    pub fn install(data: &Path) -> std::io::Result<Scenarios> {
        let root = data.join("shipped");
        for (name, text) in SHIPPED {
            let path = root.join(name);
            if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, text)?;
            }
        }
        let root = root.canonicalize()?;
        let mut scenarios = Scenarios {
            root,
            listed: Vec::new(),
        };
        for (name, _) in SHIPPED {
            // A shipped scenario that does not load is a build's defect;
            // it is left out of the list rather than stopping the server.
            if let Ok(input) = scenarios.shipped(name) {
                scenarios.listed.push(Shipped {
                    name: (*name).to_string(),
                    title: input.scenario.name.clone(),
                    description: input.scenario.description.clone(),
                    children: input.scenario.area.children,
                    years: input.scenario.years,
                });
            }
        }
        Ok(scenarios)
    }

    /// A shipped scenario by its name, or None when it is not one.
    pub fn is_shipped(name: &str) -> bool {
        SHIPPED.iter().any(|(n, _)| *n == name)
    }

    /// Loads a shipped scenario (following its `extends`).
    pub fn shipped(&self, name: &str) -> Result<ScenarioInput, ScenarioError> {
        let Some((name, text)) = SHIPPED.iter().find(|(n, _)| *n == name) else {
            return Err(ScenarioError::whole_file(
                name,
                "not a shipped scenario (GET /api/scenarios lists them)".into(),
            ));
        };
        self.load(&self.root.join(name), name, text)
    }

    /// Loads uploaded scenario text: its `extends`, if any, must name a
    /// shipped scenario (relative to `scenarios/`, as a file there would).
    pub fn uploaded(&self, text: &str) -> Result<ScenarioInput, ScenarioError> {
        if let Ok(table) = toml::from_str::<toml::Table>(text) {
            if let Some(toml::Value::String(base)) = table.get("extends") {
                if resolve_extends(base).is_none() {
                    let line = text
                        .lines()
                        .position(|l| l.trim_start().starts_with("extends"))
                        .map_or(0, |i| i + 1);
                    let names: Vec<&str> = SHIPPED
                        .iter()
                        .map(|(n, _)| n.trim_start_matches("scenarios/"))
                        .collect();
                    return Err(ScenarioError {
                        file: UPLOADED.to_string(),
                        problems: vec![Diagnostic {
                            line,
                            column: usize::from(line > 0),
                            field: "extends".into(),
                            message: format!(
                                "an uploaded scenario extends only a shipped scenario, named as from scenarios/: one of {}",
                                names.join(", ")
                            ),
                            file: None,
                        }],
                    });
                }
            }
        }
        let virtual_path = self.root.join("scenarios").join(UPLOADED);
        self.load(&virtual_path, UPLOADED, text)
    }

    /// Loads `text` as if it were the file `path`, named `name`; the data
    /// folder's path is taken out of the effective text's first line and
    /// of errors, so neither depends on where the data folder is.
    fn load(&self, path: &Path, name: &str, text: &str) -> Result<ScenarioInput, ScenarioError> {
        let prefix = format!("{}/", self.root.display());
        let own = path.display().to_string();
        let unrooted = |s: &str| s.replace(&own, name).replace(&prefix, "");
        match Scenario::load_text(path, text.to_string(), &mut Vec::new(), true) {
            Ok((scenario, effective)) => {
                let effective = match effective.split_once('\n') {
                    Some((first, rest)) if first.starts_with('#') && effective != text => {
                        format!("{}\n{rest}", unrooted(first))
                    }
                    _ => effective,
                };
                Ok(ScenarioInput {
                    scenario,
                    text: effective,
                    source: name.to_string(),
                })
            }
            Err(mut e) => {
                e.file = unrooted(&e.file);
                for d in &mut e.problems {
                    if let Some(f) = &mut d.file {
                        *f = unrooted(f);
                    }
                    d.message = unrooted(&d.message);
                }
                Err(e)
            }
        }
    }
}

/// The shipped scenario `extends = "base"` names from a file in
/// `scenarios/`, or None when it names none (lexically: `..` may not
/// leave `scenarios/`, and the result must be in [`SHIPPED`]).
pub fn resolve_extends(base: &str) -> Option<&'static str> {
    let mut parts: Vec<&str> = vec!["scenarios"];
    for c in Path::new(base).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
                if parts.is_empty() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let joined = parts.join("/");
    SHIPPED.iter().find(|(n, _)| *n == joined).map(|(n, _)| *n)
}

/// A shipped scenario's text `name` as uploaded text would say it: an
/// `extends = "..."` line naming its base from `scenarios/`, not from the
/// file's own folder (`areas/luton.toml`'s `../england-baseline.toml`
/// becomes `england-baseline.toml`); every other line as it is.
pub fn as_uploaded(name: &str, text: &str) -> String {
    let folder = name
        .strip_prefix("scenarios/")
        .and_then(|n| n.rsplit_once('/'))
        .map_or("", |(f, _)| f);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let base = line
            .trim_start()
            .starts_with("extends")
            .then(|| toml::from_str::<toml::Table>(line).ok())
            .flatten()
            .and_then(|t| {
                t.get("extends")
                    .and_then(|v| v.as_str().map(str::to_string))
            });
        let resolved = base.and_then(|b| {
            let from_folder = if folder.is_empty() {
                b
            } else {
                format!("{folder}/{b}")
            };
            resolve_extends(&from_folder)
        });
        match resolved {
            Some(r) => {
                out.push_str(&format!("extends = \"{}\"", &r["scenarios/".len()..]));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

/// What a request asks to run, as stored in the run's `request.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRequest {
    /// `run`, `replications` or `compare`.
    pub kind: String,
    /// The scenario: a shipped name or [`UPLOADED`].
    pub scenario: String,
    /// Its `name`.
    pub title: String,
    /// The scenario compared with (B), for a comparison.
    pub compare_with: Option<String>,
    /// B's `name`.
    pub compare_title: Option<String>,
    /// The seed (the base seed of replications).
    pub seed: u64,
    /// Replications (1 for a single run).
    pub replications: u32,
    /// When it was asked for (seconds since 1970; for listing only).
    pub created: u64,
}

/// The id of a run: the hash of everything that determines its outputs
/// (the engine's version, the kind, seed, replications and each
/// scenario's name and effective text), 32 hex digits.
pub fn run_id(kind: &str, seed: u64, replications: u32, scenarios: &[&ScenarioInput]) -> String {
    let mut bytes = Vec::new();
    let mut put = |b: &[u8]| {
        bytes.extend_from_slice(&(b.len() as u64).to_le_bytes());
        bytes.extend_from_slice(b);
    };
    put(crate::VERSION.as_bytes());
    put(kind.as_bytes());
    put(&seed.to_le_bytes());
    put(&replications.to_le_bytes());
    for s in scenarios {
        put(s.source.as_bytes());
        put(s.text.as_bytes());
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

/// Whether `id` has the shape of a run id (so that it may name a folder).
pub fn is_run_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The files a run may offer for download: its outputs (in `out/`) and
/// the effective scenarios it ran (in the run's folder).
pub const FILES: &[&str] = &[
    "summary.json",
    "monthly.csv",
    "events.ffl",
    "report.html",
    "replications.csv",
    "replications.json",
    "summary-stats.csv",
    "compare.json",
    "compare.csv",
    "compare-replications.csv",
    "counterfactual.csv",
    "fan.csv",
    "scenario.toml",
    "compare.toml",
];

/// The data returns' files as `familyflow export --format ssda903 | cin`
/// writes them into a collection year's folder (`returns/2025/…`).
const RETURN_FILES: [(&str, &str); 3] = [
    ("ssda903-", "header.csv"),
    ("ssda903-", "episodes.csv"),
    ("cin-", "cin.xml"),
];

/// A data return's download name (`ssda903-2025-header.csv`,
/// `ssda903-2025-episodes.csv`, `cin-2025.xml`): the collection year (four
/// digits, the year it ends) and the file's fixed name in that year's folder.
fn return_file(name: &str) -> Option<(u16, &'static str)> {
    RETURN_FILES.iter().find_map(|(prefix, file)| {
        let rest = name.strip_prefix(prefix)?;
        let (year, tail) = rest.split_at_checked(4)?;
        let tail_ok = match *file {
            "cin.xml" => tail == ".xml",
            _ => tail.strip_prefix('-') == Some(*file),
        };
        let year_ok = year.bytes().all(|b| b.is_ascii_digit());
        if !(tail_ok && year_ok) {
            return None;
        }
        Some((year.parse().ok()?, *file))
    })
}

/// The download name of a data return's `file` for collection `year`.
fn return_name(year: u16, file: &str) -> String {
    match file {
        "cin.xml" => format!("cin-{year:04}.xml"),
        _ => format!("ssda903-{year:04}-{file}"),
    }
}

/// The data returns a finished run in `dir` holds (a single run writes
/// them), by download name, in year order.
pub fn return_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("out").join(RETURNS_DIR)) else {
        return Vec::new();
    };
    let mut years: Vec<u16> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    years.sort_unstable();
    let mut names = Vec::new();
    for year in years {
        for (_, file) in RETURN_FILES {
            let name = return_name(year, file);
            if file_path(dir, &name).is_some_and(|p| p.is_file()) {
                names.push(name);
            }
        }
    }
    names
}

/// The folder under a run's `out/` holding its data returns.
pub const RETURNS_DIR: &str = "returns";

/// Where file `name` of the run in `dir` is, when `name` is one of [`FILES`]
/// or a data return's name (built from the parsed year, never from `name`).
pub fn file_path(dir: &Path, name: &str) -> Option<PathBuf> {
    if let Some((year, file)) = return_file(name) {
        return Some(
            dir.join("out")
                .join(RETURNS_DIR)
                .join(format!("{year:04}"))
                .join(file),
        );
    }
    let name = FILES.iter().find(|f| **f == name)?;
    Some(if name.ends_with(".toml") {
        dir.join(name)
    } else {
        dir.join("out").join(name)
    })
}

/// The default data folder: `$XDG_DATA_HOME/familyflow`, else
/// `~/.local/share/familyflow` (on Windows `%APPDATA%\familyflow`).
pub fn default_data_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = nonempty("XDG_DATA_HOME") {
        return Some(PathBuf::from(x).join("familyflow"));
    }
    if let Some(h) = nonempty("HOME") {
        return Some(PathBuf::from(h).join(".local/share/familyflow"));
    }
    nonempty("APPDATA").map(|a| PathBuf::from(a).join("familyflow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_resolves_only_to_shipped_scenarios() {
        assert_eq!(
            resolve_extends("default.toml"),
            Some("scenarios/default.toml")
        );
        assert_eq!(
            resolve_extends("./areas/../areas/luton.toml"),
            Some("scenarios/areas/luton.toml")
        );
        assert_eq!(resolve_extends("../default.toml"), None);
        assert_eq!(resolve_extends("/etc/passwd"), None);
        assert_eq!(resolve_extends("../../etc/passwd"), None);
        assert_eq!(resolve_extends("regions/tees-valley-rcc.toml"), None);
    }

    #[test]
    fn shipped_text_extends_from_the_scenarios_folder() {
        let text = "# a\nextends = \"../england-baseline.toml\"\nname = \"x\"\n";
        assert_eq!(
            as_uploaded("scenarios/areas/luton.toml", text),
            "# a\nextends = \"england-baseline.toml\"\nname = \"x\"\n"
        );
        assert_eq!(as_uploaded("scenarios/ffc-reform.toml", text), text);
    }

    #[test]
    fn run_ids_are_hex_and_checked() {
        assert!(is_run_id(&"a".repeat(32)));
        assert!(!is_run_id("../../etc"));
        assert!(!is_run_id(&"A".repeat(32)));
        assert!(file_path(Path::new("d"), "../x").is_none());
        assert_eq!(
            file_path(Path::new("d"), "summary.json"),
            Some(PathBuf::from("d/out/summary.json"))
        );
        assert_eq!(
            file_path(Path::new("d"), "ssda903-2025-episodes.csv"),
            Some(PathBuf::from("d/out/returns/2025/episodes.csv"))
        );
        assert_eq!(
            file_path(Path::new("d"), "cin-2026.xml"),
            Some(PathBuf::from("d/out/returns/2026/cin.xml"))
        );
        for bad in [
            "ssda903-../-header.csv",
            "ssda903-2025-cin.xml",
            "cin-2025-header.csv",
            "cin-+202.xml",
            "ssda903-2025/header.csv",
            "ssda903-20251-header.csv",
            "cin-2025.xml/",
        ] {
            assert!(file_path(Path::new("d"), bad).is_none(), "{bad}");
        }
        for (year, file) in [
            (2025, "header.csv"),
            (2025, "episodes.csv"),
            (2027, "cin.xml"),
        ] {
            assert_eq!(return_file(&return_name(year, file)), Some((year, file)));
        }
    }
}
