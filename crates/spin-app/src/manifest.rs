//! Strict serde schema of Spin manifest v2 (`spin-manifest` `schema/v2.rs`): every table denies unknown keys.

use crate::{ids, Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A parsed `spin.toml` (version 2), before normalisation (see [`crate::app`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub spin_manifest_version: i64,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// Trigger type → trigger entries; only `http` is hosted here.
    #[serde(default, rename = "trigger")]
    pub triggers: BTreeMap<String, Vec<toml::Table>>,
    #[serde(default, rename = "component")]
    pub components: BTreeMap<String, ComponentConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub targets: Vec<toml::Value>,
    /// `[application.trigger.<type>]` global trigger settings.
    #[serde(default)]
    pub trigger: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
}

/// `[variables.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub default: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

/// `[component.<id>]`, or an inline `component = { … }` of a trigger.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentConfig {
    pub source: toml::Value,
    pub description: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<FileMountConfig>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Deprecated predecessor of `allowed_outbound_hosts`.
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub targets: Vec<toml::Value>,
    pub build: Option<BuildConfig>,
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub dependencies: toml::Table,
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
}

/// One `files` entry: a glob or path relative to the app dir, or an explicit placement.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum FileMountConfig {
    Pattern(String),
    Placement(FilePlacement),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePlacement {
    pub source: String,
    pub destination: String,
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    pub command: Commands,
    pub workdir: Option<String>,
    #[serde(default)]
    pub watch: Vec<String>,
}

/// A build command: one shell string or several run in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Commands {
    Single(String),
    Many(Vec<String>),
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTriggerConfig {
    pub id: Option<String>,
    pub component: Option<ComponentSpec>,
    pub route: RouteConfig,
    pub executor: Option<ExecutorConfig>,
    pub static_response: Option<StaticResponseConfig>,
}

/// `component = "id"` or an inline component table.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum ComponentSpec {
    Reference(String),
    Inline(Box<ComponentConfig>),
}

/// `route = "/path"` or `route = { private = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum RouteConfig {
    Path(String),
    Private(PrivateRoute),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRoute {
    pub private: bool,
}

/// `executor = { type = "http" }` (alias `spin`, the default) or the deprecated `wagi`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ExecutorConfig {
    #[serde(alias = "spin")]
    Http {},
    Wagi {
        argv: Option<String>,
        entrypoint: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticResponseConfig {
    pub status_code: Option<u16>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

// String-or-table fields: decoding the table form directly keeps its `unknown field` errors, which
// serde's untagged enums would replace with "data did not match any variant".
impl TryFrom<toml::Value> for FileMountConfig {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        match value {
            toml::Value::String(s) => Ok(FileMountConfig::Pattern(s)),
            other => other.try_into().map(FileMountConfig::Placement).map_err(|e| format!("files: {e}")),
        }
    }
}

impl TryFrom<toml::Value> for ComponentSpec {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        match value {
            toml::Value::String(s) => {
                ids::check_component_id(&s).map_err(|e| format!("component {s:?}: {e}"))?;
                Ok(ComponentSpec::Reference(s))
            }
            other => other.try_into().map(|c| ComponentSpec::Inline(Box::new(c))).map_err(|e| format!("component: {e}")),
        }
    }
}

impl TryFrom<toml::Value> for RouteConfig {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        match value {
            toml::Value::String(s) => Ok(RouteConfig::Path(s)),
            other => other.try_into().map(RouteConfig::Private).map_err(|e| format!("route: {e}")),
        }
    }
}

/// Parses manifest text: version detection first (v1 is refused), then the strict v2 schema, then the
/// name and variable rules that Spin checks while deserialising.
pub fn parse_manifest(text: &str) -> Result<Manifest> {
    let table: toml::Table = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
    match table.get("spin_manifest_version") {
        Some(toml::Value::Integer(2)) => {}
        Some(toml::Value::String(v)) if v == "1" => {
            return Err(Error::new(
                "manifest version 1 is not supported: this host only takes `spin_manifest_version = 2`",
            ))
        }
        Some(toml::Value::Integer(v)) => return Err(Error::new(format!("invalid manifest version: {v}"))),
        Some(toml::Value::String(v)) => return Err(Error::new(format!("invalid manifest version: {v:?}"))),
        Some(other) => return Err(Error::new(format!("invalid manifest version: a {}", other.type_str()))),
        None => return Err(Error::new("invalid manifest version: `spin_manifest_version` is missing")),
    }
    let manifest: Manifest = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
    check_names(&manifest)?;
    Ok(manifest)
}

fn check_names(manifest: &Manifest) -> Result<()> {
    for (name, variable) in &manifest.variables {
        ids::check_variable_name(name).map_err(|e| Error::new(format!("invalid variable name {name:?}: {e}")))?;
        if variable.required == variable.default.is_some() {
            return Err(Error::new(format!(
                "invalid variable {name:?}: must be `required` OR have a `default`"
            )));
        }
    }
    for (id, component) in &manifest.components {
        ids::check_component_id(id).map_err(|e| Error::new(format!("invalid component ID {id:?}: {e}")))?;
        check_component_names(id, component)?;
    }
    Ok(())
}

/// Checks component-variable keys and kv labels; `id` names the component in errors.
pub(crate) fn check_component_names(id: &str, component: &ComponentConfig) -> Result<()> {
    for key in component.variables.keys() {
        ids::check_variable_name(key)
            .map_err(|e| Error::new(format!("component {id:?}: invalid variable name {key:?}: {e}")))?;
    }
    for label in &component.key_value_stores {
        ids::check_kv_label(label)
            .map_err(|e| Error::new(format!("component {id:?}: invalid key_value_stores label {label:?}: {e}")))?;
    }
    Ok(())
}
