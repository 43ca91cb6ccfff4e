//! The layers' dependencies point down only: `engine` uses nothing above
//! it, `model` only `engine`, `analysis` neither `import` nor `cli`,
//! `import` never `cli`. A `crate::…` path
//! anywhere in a file (a `use` line or a qualified path) counts.

use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 5] = ["engine", "model", "analysis", "import", "cli"];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// The layer a source file belongs to (`None`: the crate root).
fn layer_of(path: &Path) -> Option<&'static str> {
    let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).ok()?;
    let first = rel.components().nth(1)?.as_os_str().to_str()?;
    LAYERS
        .iter()
        .find(|l| first == **l || first == format!("{l}.rs"))
        .copied()
}

/// Each `crate::<layer>` a file's text names that lies above `layer`, with
/// its line number.
fn violations(text: &str, layer: &str) -> Vec<(usize, String)> {
    let own = rank(layer).expect("a layer");
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(r) = rank(&name) {
                if r > own {
                    found.push((n + 1, format!("{layer} uses crate::{name}")));
                }
            }
            rest = after;
        }
        // `super::super` would climb out of a layer's folder unseen.
        if layer == "engine" && code.contains("super::super") {
            found.push((n + 1, "engine climbs out with super::super".into()));
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src reads") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn dependencies_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    let mut seen = [0usize; LAYERS.len()];
    for file in &files {
        let Some(layer) = layer_of(file) else {
            continue;
        };
        seen[rank(layer).expect("a layer")] += 1;
        let text = std::fs::read_to_string(file).expect("a source reads");
        for (line, what) in violations(&text, layer) {
            broken.push(format!("{}:{line}: {what}", file.display()));
        }
    }
    assert!(
        seen.iter().all(|&n| n > 0),
        "every layer has files: {seen:?}"
    );
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_check_sees_an_upward_use() {
    assert_eq!(
        violations("use crate::model::state::State;\n", "engine"),
        vec![(1, "engine uses crate::model".to_string())]
    );
    assert_eq!(
        violations(
            "fn f() {\n    let x = crate::cli::commands::thing();\n}\n",
            "analysis"
        ),
        vec![(2, "analysis uses crate::cli".to_string())]
    );
    assert!(violations(
        "use crate::engine::Run; // crate::cli in a comment\n",
        "model"
    )
    .is_empty());
    assert!(violations("use crate::analysis::summary::Summary;\n", "cli").is_empty());
    assert_eq!(
        violations("use crate::import::estimate;\n", "analysis"),
        vec![(1, "analysis uses crate::import".to_string())]
    );
    assert!(violations("use crate::analysis::run;\n", "import").is_empty());
}

/// The async runtime and the web server stay in `cli::serve`: the
/// simulation core (engine, model, analysis) and import name neither, so
/// runs never execute on tokio.
#[test]
fn the_simulation_core_names_no_async_runtime() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut found = Vec::new();
    for file in &files {
        let Some(layer) = layer_of(file) else {
            continue;
        };
        if layer == "cli" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a source reads");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if ["tokio", "axum", "futures_util"]
                .iter()
                .any(|w| code.contains(w))
            {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(files.len() > 20, "sources found: {}", files.len());
    assert!(
        found.is_empty(),
        "async code in the core:\n{}",
        found.join("\n")
    );
}
