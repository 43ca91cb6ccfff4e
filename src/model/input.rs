//! A scenario as a run takes it: the parsed scenario, the text it was read
//! from (stored in the log) and where that came from.

use std::path::Path;

use crate::engine::log::{Header, CHECKPOINT_EVERY};
use crate::model::scenario::{
    scenario_hash, Scenario, ScenarioError, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME,
};

/// A scenario with the text it was read from and where that came from.
#[derive(Clone, Debug)]
pub struct ScenarioInput {
    /// The scenario.
    pub scenario: Scenario,
    /// Its text (stored in the log header).
    pub text: String,
    /// A path, or `<built-in default>`.
    pub source: String,
}

impl ScenarioInput {
    /// The built-in default scenario.
    pub fn builtin() -> Self {
        ScenarioInput {
            scenario: Scenario::default_scenario(),
            text: DEFAULT_SCENARIO.to_string(),
            source: DEFAULT_SCENARIO_NAME.to_string(),
        }
    }

    /// A scenario file (see [`Scenario::load`]): refused when it is not a
    /// regular file, is larger than a log header holds, or describes a run
    /// estimated to need more memory than
    /// [`crate::model::scenario::MAX_RUN_BYTES`].
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let (scenario, text) = Scenario::load(path)?;
        Ok(ScenarioInput {
            scenario,
            text,
            source: path.display().to_string(),
        })
    }

    /// The same, without the estimate of the run's size (`--force`).
    pub fn load_forced(path: &Path) -> Result<Self, ScenarioError> {
        let (scenario, text) = Scenario::load_forced(path)?;
        Ok(ScenarioInput {
            scenario,
            text,
            source: path.display().to_string(),
        })
    }

    /// Scenario text, named `source` in errors (text a log or snapshot
    /// held, or a test's: not refused for the run's estimated size).
    pub fn from_text(text: &str, source: &str) -> Result<Self, ScenarioError> {
        Ok(ScenarioInput {
            scenario: Scenario::parse(text, source)?,
            text: text.to_string(),
            source: source.to_string(),
        })
    }

    /// The log header of a run of this scenario with `seed`.
    pub fn header(&self, seed: u64) -> Header {
        Header {
            engine_version: crate::VERSION.to_string(),
            codec: crate::engine::codec::CODEC.to_string(),
            seed,
            scenario_hash: scenario_hash(&self.text),
            scenario_source: self.source.clone(),
            scenario: self.text.clone(),
            checkpoint_every: CHECKPOINT_EVERY,
        }
    }
}
