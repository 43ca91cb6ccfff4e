//! One-off changes to a scenario without a new file: `--set key=value`.
//!
//! A key is a scenario field's dotted path, as in the file
//! (`family_help.fte`, `care.leaving_care.staying_put_share`); an entry of
//! an array of tables is named by its number counted from 1, as in error
//! messages (`policy[2].family_help.fte` is the second `[[policy]]`
//! entry's `family_help.fte`). The value is a TOML value (`40`, `0.25`,
//! `2025-04-01`, `"a name"`, `[1, 2]`); a bare word that is not one is taken
//! as a string, so `--set name=trial` works without shell quoting.
//!
//! Overrides are applied like `extends`: the file's effective text (its
//! table, merged with any base) is changed key by key and serialised again,
//! so a run's log header holds the whole effective scenario and replay and
//! verify read it back unchanged. The result is validated as a file is, and
//! a problem with a field an override set names the `--set` argument.

use std::path::Path;
use std::sync::OnceLock;

use crate::model::scenario::{read_text_file, shown_path, Diagnostic, Scenario, ScenarioError};

/// The most overrides one run takes.
pub const MAX_OVERRIDES: usize = 1_000;
/// The longest key or value of one override, in bytes.
pub const MAX_OVERRIDE_BYTES: usize = 10_000;
/// The most entries an array index in a key may name.
const MAX_INDEX: usize = 100_000;

/// One step of an override's key: a table's key or an array's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A key of a table.
    Key(String),
    /// An entry of an array, counted from 0 (written from 1).
    Entry(usize),
}

/// One `key=value` change to a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The argument as given, for messages (`family_help.fte=40`).
    pub arg: String,
    /// The key, step by step.
    pub path: Vec<Step>,
    /// The value.
    pub value: toml::Value,
}

impl Override {
    /// Parses `key=value` (see the module's documentation for the syntax).
    pub fn parse(arg: &str) -> Result<Override, String> {
        if arg.len() > 2 * MAX_OVERRIDE_BYTES {
            return Err(format!("longer than {} bytes", 2 * MAX_OVERRIDE_BYTES));
        }
        let Some((key, value)) = arg.split_once('=') else {
            return Err(format!(
                "{arg:?} is not key=value (e.g. family_help.fte=40 or policy[2].family_help.capacity=40)"
            ));
        };
        let path = parse_key(key.trim())?;
        let value =
            parse_value(value.trim()).map_err(|e| format!("the value of {}: {e}", key.trim()))?;
        Ok(Override {
            arg: arg.to_string(),
            path,
            value,
        })
    }

    /// Parses a key alone and pairs it with a value (a sweep's factor at a point).
    pub fn with_value(key: &str, value: toml::Value) -> Result<Override, String> {
        let path = parse_key(key.trim())?;
        let arg = format!("{}={}", key.trim(), value_text(&value));
        Ok(Override { arg, path, value })
    }

    /// The key as a dotted path with entries counted from 0
    /// (`policy.1.family_help.fte`), the form a scenario's problems use.
    pub fn raw_key(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.path.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            match step {
                Step::Key(k) => out.push_str(k),
                Step::Entry(n) => out.push_str(&n.to_string()),
            }
        }
        out
    }

    /// Sets the value in a scenario's table.
    pub fn apply(&self, table: &mut toml::Table) -> Result<(), String> {
        let mut here = TableOrArray::Table(table);
        let last = self.path.len() - 1;
        for (i, step) in self.path.iter().enumerate() {
            let so_far = || key_text(&self.path[..i]);
            here = match (here, step) {
                (TableOrArray::Table(t), Step::Key(k)) => {
                    if i == last {
                        t.insert(k.clone(), self.value.clone());
                        return Ok(());
                    }
                    let next = t
                        .entry(k.clone())
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    match next {
                        toml::Value::Table(t) => TableOrArray::Table(t),
                        toml::Value::Array(a) => TableOrArray::Array(a),
                        _ => {
                            return Err(format!(
                                "{} is a value, not a table",
                                key_text(&self.path[..=i])
                            ))
                        }
                    }
                }
                (TableOrArray::Array(a), Step::Entry(n)) => {
                    let len = a.len();
                    let Some(entry) = a.get_mut(*n) else {
                        return Err(format!(
                            "{} has {len} entr{} (counted from 1), so there is no entry {}",
                            so_far(),
                            if len == 1 { "y" } else { "ies" },
                            n + 1
                        ));
                    };
                    if i == last {
                        *entry = self.value.clone();
                        return Ok(());
                    }
                    match entry {
                        toml::Value::Table(t) => TableOrArray::Table(t),
                        toml::Value::Array(a) => TableOrArray::Array(a),
                        _ => {
                            return Err(format!(
                                "entry {} of {} is a value, not a table",
                                n + 1,
                                so_far()
                            ))
                        }
                    }
                }
                (TableOrArray::Table(_), Step::Entry(n)) => {
                    return Err(format!(
                        "{} is not a list of entries, so [{}] names nothing",
                        so_far(),
                        n + 1
                    ))
                }
                (TableOrArray::Array(_), Step::Key(k)) => {
                    return Err(format!(
                    "{} is a list of entries: name one by its number before .{k}, e.g. {}[1].{k}",
                    so_far(),
                    so_far()
                ))
                }
            };
        }
        Ok(())
    }
}

/// A key in `--set` syntax: `policy[2].family_help`.
fn key_text(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Entry(n) => out.push_str(&format!("[{}]", n + 1)),
        }
    }
    out
}

enum TableOrArray<'a> {
    Table(&'a mut toml::Table),
    Array(&'a mut Vec<toml::Value>),
}

/// A key: bare TOML keys separated by dots, each optionally followed by
/// `[N]`, an entry counted from 1.
fn parse_key(key: &str) -> Result<Vec<Step>, String> {
    if key.is_empty() {
        return Err("the key is empty (e.g. family_help.fte=40)".into());
    }
    if key.len() > MAX_OVERRIDE_BYTES {
        return Err(format!("the key is longer than {MAX_OVERRIDE_BYTES} bytes"));
    }
    let mut path = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if name.is_empty() || !name.chars().all(bare) {
            return Err(format!(
                "{key:?} is not a key like family_help.fte or policy[2].family_help.fte \
                 (parts are letters, digits, _ and -, separated by dots)"
            ));
        }
        path.push(Step::Key(name.to_string()));
        while !rest.is_empty() {
            let Some(close) = rest.find(']') else {
                return Err(format!("{key:?}: a [ without its ]"));
            };
            let n: usize = rest[1..close].parse().map_err(|_| {
                format!(
                    "{key:?}: [{}] is not an entry number (counted from 1)",
                    &rest[1..close]
                )
            })?;
            if n == 0 || n > MAX_INDEX {
                return Err(format!(
                    "{key:?}: entries are counted from 1 (the first [[policy]] is policy[1]), at most {MAX_INDEX}"
                ));
            }
            path.push(Step::Entry(n - 1));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("{key:?}: a dot must follow ]"));
            }
        }
    }
    Ok(path)
}

/// A value: TOML, or a bare word taken as a string.
fn parse_value(value: &str) -> Result<toml::Value, String> {
    if value.len() > MAX_OVERRIDE_BYTES {
        return Err(format!("longer than {MAX_OVERRIDE_BYTES} bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err("a control character (a new line?) in the value".into());
    }
    if value.is_empty() {
        return Err("empty (for an empty string write \"\")".into());
    }
    match toml::from_str::<toml::Table>(&format!("v = {value}")) {
        Ok(mut t) if t.len() == 1 => t
            .remove("v")
            .ok_or_else(|| format!("{value:?} is not a TOML value")),
        Ok(_) => Err(format!("{value:?} is not one TOML value")),
        Err(e) => {
            let plain = !value.contains(['"', '\'', '[', ']', '{', '}', '=', '#']);
            if plain {
                Ok(toml::Value::String(value.to_string()))
            } else {
                Err(format!("{value:?} is not a TOML value: {}", e.message()))
            }
        }
    }
}

/// A value as TOML text (for messages and the effective text's comment).
pub fn value_text(value: &toml::Value) -> String {
    let mut t = toml::Table::new();
    t.insert("v".into(), value.clone());
    toml::to_string(&t)
        .ok()
        .and_then(|s| s.strip_prefix("v = ").map(|s| s.trim_end().to_string()))
        .unwrap_or_else(|| value.to_string())
}

static COMMAND_LINE: OnceLock<Vec<Override>> = OnceLock::new();

/// Sets the command line's overrides: from now on every scenario file
/// loaded with [`Scenario::load`] has them applied (every scenario of a
/// comparison, every member of a region). Only the first call counts; an
/// empty list is no change.
pub fn set_command_line(overrides: Vec<Override>) {
    if !overrides.is_empty() {
        let _ = COMMAND_LINE.set(overrides);
    }
}

/// The command line's overrides, if any were set.
pub fn command_line() -> Option<&'static [Override]> {
    COMMAND_LINE.get().map(Vec::as_slice)
}

/// Reads a scenario file (following `extends`) and applies `overrides` in
/// order; returns the scenario and its effective text. With `size`, a run
/// estimated too large is refused (after the overrides).
pub fn load(
    path: &Path,
    overrides: &[Override],
    size: bool,
) -> Result<(Scenario, String), ScenarioError> {
    let file = path.display().to_string();
    let text = read_text_file(path).map_err(|m| ScenarioError::whole_file(&file, m))?;
    let (_, effective) = Scenario::load_text(path, text, &mut Vec::new(), false)?;
    apply(&effective, &file, overrides, size)
}

/// Applies `overrides` to a scenario's effective text (`file` names it in
/// errors) and validates the result.
pub fn apply(
    effective: &str,
    file: &str,
    overrides: &[Override],
    size: bool,
) -> Result<(Scenario, String), ScenarioError> {
    if overrides.len() > MAX_OVERRIDES {
        return Err(ScenarioError::whole_file(
            file,
            format!("{} --set changes: at most {MAX_OVERRIDES}", overrides.len()),
        ));
    }
    if overrides.is_empty() {
        let scenario = Scenario::parse_checked(effective, file, size)?;
        return Ok((scenario, effective.to_string()));
    }
    let mut table: toml::Table = toml::from_str(effective)
        .map_err(|e| crate::model::scenario::located(effective, file, &e))?;
    let mut problems = Vec::new();
    for o in overrides {
        if let Err(message) = o.apply(&mut table) {
            problems.push(Diagnostic {
                line: 0,
                column: 0,
                field: shown_path(&o.raw_key()),
                message,
                file: Some(format!("--set {}", o.arg)),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError {
            file: file.to_string(),
            problems,
        });
    }
    let args: Vec<String> = overrides.iter().map(|o| o.arg.clone()).collect();
    let body = toml::to_string(&table).map_err(|e| {
        ScenarioError::whole_file(file, format!("the changed scenario cannot be written: {e}"))
    })?;
    let text = format!(
        "# The effective scenario: {} with --set {}, merged.\n{body}",
        file.escape_debug(),
        args.join(", ").escape_debug()
    );
    match Scenario::parse_checked(&text, file, size) {
        Ok(scenario) => Ok((scenario, text)),
        Err(mut e) => {
            // A problem with a field an override set (or a field inside
            // it, or the table holding it) names the override.
            for d in &mut e.problems {
                let at = overrides.iter().rev().find(|o| {
                    let key = shown_path(&o.raw_key());
                    !d.field.is_empty()
                        && (d.field == key
                            || d.field.starts_with(&format!("{key}."))
                            || key.starts_with(&format!("{}.", d.field)))
                });
                (d.line, d.column) = (0, 0);
                d.file = Some(match at {
                    Some(o) => format!("--set {}", o.arg),
                    None => format!("{file} with --set {}", args.join(", ")),
                });
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_parse() {
        let o = Override::parse("policy[2].family_help.fte=40").unwrap();
        assert_eq!(
            o.path,
            vec![
                Step::Key("policy".into()),
                Step::Entry(1),
                Step::Key("family_help".into()),
                Step::Key("fte".into())
            ]
        );
        assert_eq!(o.value, toml::Value::Integer(40));
        assert_eq!(o.raw_key(), "policy.1.family_help.fte");
        assert_eq!(
            Override::parse("name=trial").unwrap().value,
            toml::Value::String("trial".into())
        );
        assert_eq!(
            Override::parse("name=\"a b\"").unwrap().value,
            toml::Value::String("a b".into())
        );
        assert!(matches!(
            Override::parse("start=2025-04-01").unwrap().value,
            toml::Value::Datetime(_)
        ));
        for bad in [
            "fte",
            "=3",
            "a..b=1",
            "policy[0].x=1",
            "policy[x].y=1",
            "a=\"open",
            "a=1\nb = 2",
            "a=[1,",
        ] {
            assert!(Override::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn apply_walks_tables_and_entries() {
        let mut t: toml::Table =
            toml::from_str("a = 1\n[b]\nc = 2\n[[p]]\nx = 1\n[[p]]\nx = 2\n").unwrap();
        Override::parse("b.c=3").unwrap().apply(&mut t).unwrap();
        Override::parse("p[2].x=5").unwrap().apply(&mut t).unwrap();
        Override::parse("d.e=1").unwrap().apply(&mut t).unwrap();
        assert_eq!(t["b"]["c"].as_integer(), Some(3));
        assert_eq!(t["p"][1]["x"].as_integer(), Some(5));
        assert_eq!(t["p"][0]["x"].as_integer(), Some(1));
        assert_eq!(t["d"]["e"].as_integer(), Some(1));
        let e = Override::parse("p[3].x=1")
            .unwrap()
            .apply(&mut t)
            .unwrap_err();
        assert!(e.contains("has 2 entries"), "{e}");
        let e = Override::parse("a.b=1").unwrap().apply(&mut t).unwrap_err();
        assert!(e.contains("is a value, not a table"), "{e}");
        let e = Override::parse("p.x=1").unwrap().apply(&mut t).unwrap_err();
        assert!(e.contains("p[1].x"), "{e}");
    }
}
