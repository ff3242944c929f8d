//! A loaded application: the manifest normalised the way Spin's loader does it (automatic IDs, inline
//! components, absolute paths, resolved `files`) and validated (trigger targets, templates, outbound hosts).

use crate::files::FileMount;
use crate::manifest::{self, HttpTriggerConfig, Manifest};
use crate::normalize::{assign_trigger_ids, load_component, normalise_trigger};
use crate::outbound::AllowedHosts;
use crate::runtime_config::RuntimeConfig;
use crate::template::Template;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything the host needs to serve an app.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    /// The manifest file, absolute.
    pub manifest_path: PathBuf,
    /// The directory holding the manifest, absolute: `source`, `files` and `build.workdir` are relative to it.
    pub app_dir: PathBuf,
    pub variables: BTreeMap<String, Variable>,
    /// By component ID; inline components are here under their generated IDs.
    pub components: BTreeMap<String, Component>,
    /// HTTP triggers in manifest order (duplicate routes resolve last-wins in that order).
    pub triggers: Vec<HttpTrigger>,
    /// Non-fatal findings Spin prints as warnings (e.g. `base = "/"`).
    pub warnings: Vec<String>,
}

/// An application variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub description: Option<String>,
    pub required: bool,
    pub default: Option<String>,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    pub description: Option<String>,
    pub source: Source,
    /// Component variable key → template over application variables.
    pub variables: BTreeMap<String, Template>,
    /// The complete guest environment: nothing comes from the host.
    pub environment: BTreeMap<String, String>,
    /// Resolved `files` minus `exclude_files`: one entry per host file.
    pub files: Vec<FileMount>,
    /// Raw entries; parse with [`AllowedHosts::parse`] once templates can be resolved.
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub build: Option<Build>,
}

/// Where a component's Wasm comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file, made absolute against the app dir.
    Local(PathBuf),
    /// `{ url, digest }`, digest `sha256:<hex>`.
    Url { url: String, digest: String },
    /// `{ registry?, package, version }` with an exact semver version.
    Registry { registry: Option<String>, package: String, version: String },
}

/// `[component.<id>.build]`, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Shell commands, run in order.
    pub commands: Vec<String>,
    /// Absolute working directory (the app dir unless `workdir` is set).
    pub workdir: PathBuf,
    pub watch: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTrigger {
    pub id: String,
    pub route: Route,
    pub target: TriggerTarget,
    pub executor: Executor,
}

/// A trigger's route as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The raw route string from the manifest.
    Path(String),
    /// `{ private = true }`: reachable only through service chaining.
    Private,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerTarget {
    Component(String),
    Static(StaticResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticResponse {
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executor {
    Http,
    /// Deprecated WAGI executor; parsed but not run by this host.
    Wagi { argv: Option<String>, entrypoint: Option<String> },
}

const BASE_DEFAULT: &str = "This application has the deprecated trigger 'base' set to the default value '/'. \
This may be an error in the future!";
const BASE_DEPRECATED: &str = "This application is using the deprecated trigger 'base' field. \
The base must be prepended to each [[trigger.http]]'s 'route'.";

impl App {
    /// Reads, parses and normalises the manifest at `manifest_path`.
    pub fn load(manifest_path: &Path) -> Result<App> {
        let text = std::fs::read_to_string(manifest_path).map_err(|e| {
            Error::new(format!("Failed to read Spin app manifest from {manifest_path:?}: {e}"))
        })?;
        Self::from_text(&text, manifest_path)
    }

    /// Like [`App::load`], with the manifest text given; `manifest_path` anchors relative paths.
    pub fn from_text(text: &str, manifest_path: &Path) -> Result<App> {
        let manifest = manifest::parse_manifest(text)?;
        let manifest_path = std::path::absolute(manifest_path)
            .map_err(|e| Error::new(format!("Invalid manifest path {manifest_path:?}: {e}")))?;
        let app_dir = manifest_path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        Self::from_manifest(manifest, manifest_path, app_dir)
    }

    fn from_manifest(manifest: Manifest, manifest_path: PathBuf, app_dir: PathBuf) -> Result<App> {
        let mut warnings = Vec::new();
        check_app_trigger_globals(&manifest, &mut warnings)?;
        let variables: BTreeMap<String, Variable> = manifest
            .variables
            .into_iter()
            .map(|(name, v)| {
                let var = Variable { description: v.description, required: v.required, default: v.default, secret: v.secret };
                (name, var)
            })
            .collect();

        let mut configs = manifest.components;
        let mut trigger_configs = Vec::new();
        for (trigger_type, entries) in manifest.triggers {
            if trigger_type != "http" {
                return Err(Error::new(format!(
                    "trigger type {trigger_type:?} is not supported: this host runs only [[trigger.http]]"
                )));
            }
            for entry in entries {
                let config: HttpTriggerConfig = toml::Value::Table(entry)
                    .try_into()
                    .map_err(|e: toml::de::Error| Error::new(format!("invalid [[trigger.http]]: {e}")))?;
                trigger_configs.push(config);
            }
        }
        if trigger_configs.is_empty() {
            return Err(Error::new("No triggers in app"));
        }
        assign_trigger_ids(&mut trigger_configs);

        let mut triggers = Vec::new();
        for config in trigger_configs {
            triggers.push(normalise_trigger(config, &mut configs)?);
        }

        let mut components = BTreeMap::new();
        for (id, config) in configs {
            let component = load_component(&id, config, &app_dir, &variables)
                .map_err(|e| e.context(format_args!("Failed to load component `{id}`")))?;
            components.insert(id, component);
        }
        for trigger in &triggers {
            if let TriggerTarget::Component(id) = &trigger.target {
                if !components.contains_key(id) {
                    return Err(Error::new(format!("no such component {id:?}")));
                }
            }
        }
        let ids: Vec<&str> = components.keys().map(String::as_str).collect();
        for component in components.values() {
            check_outbound_hosts(component, &ids)?;
        }

        Ok(App {
            name: manifest.application.name,
            version: manifest.application.version,
            description: manifest.application.description,
            manifest_path,
            app_dir,
            variables,
            components,
            triggers,
            warnings,
        })
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.get(id)
    }

    pub fn trigger(&self, id: &str) -> Option<&HttpTrigger> {
        self.triggers.iter().find(|t| t.id == id)
    }

    /// Spin's startup check that every kv label a component lists is backed: `default` always is,
    /// any other label must be a `[key_value_store.<label>]` of the runtime config.
    pub fn check_key_value_stores(&self, runtime_config: &RuntimeConfig) -> Result<()> {
        for component in self.components.values() {
            for label in &component.key_value_stores {
                if label != "default" && !runtime_config.key_value_stores.contains_key(label) {
                    return Err(Error::new(format!(
                        "unknown key_value_stores label {label:?} for component {:?}",
                        component.id
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `[application.trigger.http]` may hold only `base`; `/` warns, anything else fails.
fn check_app_trigger_globals(manifest: &Manifest, warnings: &mut Vec<String>) -> Result<()> {
    let Some(http) = manifest.application.trigger.get("http") else { return Ok(()) };
    for (key, value) in http {
        if key != "base" {
            return Err(Error::new(format!("unknown field `{key}` in [application.trigger.http], expected `base`")));
        }
        match value.as_str() {
            Some("/") => warnings.push(BASE_DEFAULT.to_string()),
            _ => return Err(Error::new(BASE_DEPRECATED)),
        }
    }
    Ok(())
}

/// Load-time check of the literal `allowed_outbound_hosts` entries (templated ones are checked once resolved).
fn check_outbound_hosts(component: &Component, component_ids: &[&str]) -> Result<()> {
    let literal: Vec<String> = component
        .allowed_outbound_hosts
        .iter()
        .filter(|e| Template::parse(e).map(|t| t.is_literal()).unwrap_or(false))
        .cloned()
        .collect();
    for entry in &component.allowed_outbound_hosts {
        Template::parse(entry).map_err(|e| {
            Error::new(format!("`allowed_outbound_hosts` is malformed for component {:?}: {e}", component.id))
        })?;
    }
    AllowedHosts::parse(&literal, component_ids)
        .map(|_| ())
        .map_err(|e| Error::new(format!("`allowed_outbound_hosts` is malformed for component {:?}: {e}", component.id)))
}
