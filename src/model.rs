//! A planning model: a region's base population and its scenarios, checked
//! and ready to project. Built from a TOML model file by
//! [`crate::io::model_file`]; the core never reads files.

use crate::error::{Error, Result};
use crate::population::Population;
use crate::projection::{project, Assumptions, Projection};
use crate::standards::Service;

/// One named set of assumptions.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub label: String,
    pub assumptions: Assumptions,
}

/// A validated model.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub name_zh: Option<String>,
    /// Statements the model file flags as assumptions (not from a source).
    pub flags: Vec<String>,
    pub base_year: i32,
    pub end_year: i32,
    pub base: Population,
    pub scenarios: Vec<Scenario>,
    pub default_scenario: String,
    /// Services with their standards and planned supply.
    pub services: Vec<Service>,
}

impl Model {
    /// The scenario called `name`.
    pub fn scenario(&self, name: &str) -> Result<&Scenario> {
        self.scenarios
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                Error::invalid(
                    "scenario",
                    format!("{name:?}"),
                    format!(
                        "one of {} (or \"all\")",
                        self.scenarios
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// The services' ids, comma-separated (for messages).
    pub fn service_ids(&self) -> String {
        let ids: Vec<&str> = self.services.iter().map(|s| s.id.as_str()).collect();
        ids.join(", ")
    }

    /// Scenarios selected by `name`: the default for `None`, every one for `"all"`.
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&Scenario>> {
        match name {
            None => Ok(vec![self.scenario(&self.default_scenario)?]),
            Some("all") => Ok(self.scenarios.iter().collect()),
            Some(n) => Ok(vec![self.scenario(n)?]),
        }
    }

    /// Projects one scenario over the model's horizon.
    pub fn project(&self, scenario: &Scenario) -> Result<Projection> {
        project(
            &self.base,
            self.base_year,
            self.end_year,
            &scenario.assumptions,
        )
        .map_err(|e| e.context(format!("scenario {}", scenario.name)))
    }
}
