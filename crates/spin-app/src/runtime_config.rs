//! Spin's runtime-config TOML (`--runtime-config-file`): kv stores, variable providers, `state_dir`, memory limit.

use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name of the default SQLite store inside the state dir.
pub const DEFAULT_SQLITE_FILE: &str = "sqlite_key_value.db";

/// Top-level keys Spin's factors read; any other key is `unused runtime config key(s): …`.
const KNOWN_KEYS: &[&str] = &[
    "key_value_store",
    "variables_provider",
    "config_provider",
    "state_dir",
    "log_dir",
    "max_instance_memory",
    "sqlite_database",
    "llm_compute",
    "outbound_networking",
    "client_tls",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `[key_value_store.<label>]` as written (paths made absolute).
    pub key_value_stores: BTreeMap<String, KvStoreConfig>,
    /// `[[variables_provider]]` entries in file order (or legacy `[[config_provider]]` when there are none).
    pub variables_providers: Vec<VariablesProviderConfig>,
    /// `state_dir`, if the file sets it.
    pub state_dir: Option<StateDir>,
    pub max_instance_memory: Option<u64>,
}

/// A `state_dir` setting: like Spin, an empty string means "no state dir" (in-memory default store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateDir {
    Unset,
    /// Absolute (a relative value resolves against the current directory, as in Spin).
    Path(PathBuf),
}

/// One `[key_value_store.<label>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvStoreConfig {
    /// `type = "spin"`: SQLite at `path`, or in-memory without one.
    Spin { path: Option<PathBuf> },
    /// `type = "redis"`.
    Redis { url: String },
    /// A type Spin knows (`azure_cosmos`, `aws_dynamo`, …) that this host does not implement.
    Unsupported { kind: String },
}

/// The backend a label resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvBackend {
    Sqlite(PathBuf),
    Memory,
    Redis(String),
}

/// One `[[variables_provider]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariablesProviderConfig {
    /// `type = "env"`: `prefix` (default `SPIN_VARIABLE`), `dotenv_path` (default `.env` in the current dir).
    Env { prefix: Option<String>, dotenv_path: Option<PathBuf> },
    /// `type = "static"`: `values`.
    Static { values: BTreeMap<String, String> },
    /// `vault`, `azure_key_vault`, …: not implemented by this host.
    Unsupported { kind: String },
}

impl RuntimeConfig {
    /// Reads `path`; relative paths inside resolve against its directory.
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::new(format!("Failed to read runtime config file {path:?}: {e}")))?;
        let base = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &base).map_err(|e| e.context(format_args!("invalid runtime config {path:?}")))
    }

    /// Parses runtime-config text; `base_dir` anchors relative paths.
    pub fn parse(text: &str, base_dir: &Path) -> Result<RuntimeConfig> {
        let table: toml::Table = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
        let unused: Vec<&str> =
            table.keys().map(String::as_str).filter(|k| !KNOWN_KEYS.contains(k)).collect();
        if !unused.is_empty() {
            return Err(Error::new(format!("unused runtime config key(s): {}", unused.join(", "))));
        }
        let mut config = RuntimeConfig::default();
        if let Some(stores) = table.get("key_value_store") {
            let stores = stores.as_table().ok_or_else(|| Error::new("`key_value_store` must be a table"))?;
            for (label, store) in stores {
                let store = parse_kv_store(store, base_dir)
                    .map_err(|e| e.context(format_args!("[key_value_store.{label}]")))?;
                config.key_value_stores.insert(label.clone(), store);
            }
        }
        // Spin reads `config_provider` only when `variables_provider` is absent; with both, the
        // legacy key is unused, hence an error.
        if table.contains_key("variables_provider") && table.contains_key("config_provider") {
            return Err(Error::new("unused runtime config key(s): config_provider"));
        }
        for key in ["variables_provider", "config_provider"] {
            let Some(list) = table.get(key) else { continue };
            let list = list.as_array().ok_or_else(|| Error::new(format!("`{key}` must be an array of tables ([[{key}]])")))?;
            for entry in list {
                let provider = parse_provider(entry, base_dir).map_err(|e| e.context(format_args!("[[{key}]]")))?;
                config.variables_providers.push(provider);
            }
        }
        if let Some(dir) = table.get("state_dir") {
            let dir = dir.as_str().ok_or_else(|| Error::new("`state_dir` must be a string"))?;
            config.state_dir = Some(if dir.is_empty() { StateDir::Unset } else { StateDir::Path(absolute(dir)?) });
        }
        if let Some(bytes) = table.get("max_instance_memory") {
            let bytes = bytes
                .as_integer()
                .and_then(|b| u64::try_from(b).ok())
                .ok_or_else(|| Error::new("`max_instance_memory` must be a non-negative integer (bytes)"))?;
            config.max_instance_memory = Some(bytes);
        }
        Ok(config)
    }

    /// The backend for `label`: the configured one, else for `default` SQLite in the state dir (in-memory
    /// without a state dir). `Ok(None)` for an unconfigured non-default label; an unsupported type errors.
    pub fn kv_backend(&self, label: &str, state_dir: Option<&Path>) -> Result<Option<KvBackend>> {
        match self.key_value_stores.get(label) {
            Some(KvStoreConfig::Spin { path: Some(p) }) => Ok(Some(KvBackend::Sqlite(p.clone()))),
            Some(KvStoreConfig::Spin { path: None }) => Ok(Some(KvBackend::Memory)),
            Some(KvStoreConfig::Redis { url }) => Ok(Some(KvBackend::Redis(url.clone()))),
            Some(KvStoreConfig::Unsupported { kind }) => Err(Error::new(format!(
                "key_value_store {label:?}: type {kind:?} is not supported by this host (use \"spin\" or \"redis\")"
            ))),
            None if label == "default" => Ok(Some(match state_dir {
                Some(dir) => KvBackend::Sqlite(dir.join(DEFAULT_SQLITE_FILE)),
                None => KvBackend::Memory,
            })),
            None => Ok(None),
        }
    }

    /// Every configured label plus `default`, resolved.
    pub fn kv_backends(&self, state_dir: Option<&Path>) -> Result<BTreeMap<String, KvBackend>> {
        let mut labels: Vec<&str> = self.key_value_stores.keys().map(String::as_str).collect();
        labels.push("default");
        let mut out = BTreeMap::new();
        for label in labels {
            if let Some(backend) = self.kv_backend(label, state_dir)? {
                out.insert(label.to_string(), backend);
            }
        }
        Ok(out)
    }
}

/// `spin up`'s state dir: `--state-dir` (empty = none), else runtime-config `state_dir` (empty = none),
/// else `<app_dir>/.spin`. Relative paths resolve against the current directory.
pub fn state_dir(cli: Option<&str>, runtime_config: &RuntimeConfig, app_dir: &Path) -> Option<PathBuf> {
    match (cli, &runtime_config.state_dir) {
        (Some(""), _) => None,
        (Some(dir), _) => Some(absolute(dir).unwrap_or_else(|_| PathBuf::from(dir))),
        (None, Some(StateDir::Unset)) => None,
        (None, Some(StateDir::Path(dir))) => Some(dir.clone()),
        (None, None) => Some(app_dir.join(".spin")),
    }
}

fn absolute(dir: &str) -> Result<PathBuf> {
    std::path::absolute(dir).map_err(|e| Error::new(format!("invalid state_dir {dir:?}: {e}")))
}

fn string_key(table: &toml::Table, key: &str) -> Result<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::new(format!("`{key}` must be a string, not a {}", other.type_str()))),
    }
}

/// Unknown keys inside a store table are ignored, as in Spin.
fn parse_kv_store(value: &toml::Value, base_dir: &Path) -> Result<KvStoreConfig> {
    let table = value.as_table().ok_or_else(|| Error::new("must be a table"))?;
    let kind = string_key(table, "type")?.ok_or_else(|| Error::new("missing field `type`"))?;
    Ok(match kind.as_str() {
        "spin" => KvStoreConfig::Spin { path: string_key(table, "path")?.map(|p| base_dir.join(p)) },
        "redis" => KvStoreConfig::Redis {
            url: string_key(table, "url")?.ok_or_else(|| Error::new("missing field `url`"))?,
        },
        "azure_cosmos" | "aws_dynamo" => KvStoreConfig::Unsupported { kind },
        other => return Err(Error::new(format!("unknown key_value_store type {other:?}"))),
    })
}

fn parse_provider(value: &toml::Value, base_dir: &Path) -> Result<VariablesProviderConfig> {
    let table = value.as_table().ok_or_else(|| Error::new("must be a table"))?;
    let kind = string_key(table, "type")?.ok_or_else(|| Error::new("missing field `type`"))?;
    Ok(match kind.as_str() {
        "env" => VariablesProviderConfig::Env {
            prefix: string_key(table, "prefix")?,
            dotenv_path: string_key(table, "dotenv_path")?.map(|p| base_dir.join(p)),
        },
        "static" => {
            let mut values = BTreeMap::new();
            if let Some(v) = table.get("values") {
                let v = v.as_table().ok_or_else(|| Error::new("`values` must be a table"))?;
                for (name, value) in v {
                    let value = value.as_str().ok_or_else(|| Error::new(format!("`values.{name}` must be a string")))?;
                    values.insert(name.clone(), value.to_string());
                }
            }
            VariablesProviderConfig::Static { values }
        }
        "vault" | "azure_key_vault" => VariablesProviderConfig::Unsupported { kind },
        other => return Err(Error::new(format!("unknown variables provider type {other:?}"))),
    })
}
