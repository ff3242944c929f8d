//! Spin's runtime-config TOML (`--runtime-config-file`): kv stores, variable providers, `state_dir`, memory limit,
//! and outbound client TLS (`[[client_tls]]`).

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
    /// `[[client_tls]]` entries in file order (the first entry matching a component and host wins).
    pub client_tls: Vec<ClientTlsConfig>,
}

/// One `[[client_tls]]` entry (Spin 3's `factor-outbound-networking` `RuntimeConfigToml`): TLS settings for
/// outbound HTTPS of `component_ids` to `hosts`. Files are PEM, relative to the runtime-config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTlsConfig {
    pub component_ids: Vec<String>,
    /// Host names (`example.com`), matching any port; `host:port` matches that port only (an extension:
    /// Spin 3 refuses ports here).
    pub hosts: Vec<String>,
    /// `ca_use_webpki_roots`; when absent, true unless `ca_roots_file` is given (Spin's default).
    pub ca_use_webpki_roots: bool,
    pub ca_roots_file: Option<PathBuf>,
    /// `client_cert_file` and `client_private_key_file`: both or neither.
    pub client_cert: Option<ClientCertFiles>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertFiles {
    pub cert_chain: PathBuf,
    pub private_key: PathBuf,
}

impl ClientTlsConfig {
    /// Whether this entry applies to `component` sending to `host` (without brackets) on `port`.
    pub fn matches(&self, component: &str, host: &str, port: u16) -> bool {
        self.component_ids.iter().any(|c| c == component)
            && self.hosts.iter().any(|entry| {
                let (h, p) = split_host_port(entry);
                h.eq_ignore_ascii_case(host) && p.is_none_or(|p| p == port)
            })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` → the host without brackets and the port, if any (an
/// unparsable port is kept in the host, so it never matches; `check_tls_host` refuses it at load).
fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((ip, after)) = rest.split_once(']') {
            return match after.strip_prefix(':').map(str::parse::<u16>) {
                Some(Ok(port)) => (ip, Some(port)),
                None if after.is_empty() => (ip, None),
                _ => (entry, None),
            };
        }
    }
    match entry.split_once(':') {
        Some((host, port)) => port.parse().map_or((entry, None), |p| (host, Some(p))),
        None => (entry, None),
    }
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
        if let Some(list) = table.get("client_tls") {
            let list = list.as_array().ok_or_else(|| Error::new("`client_tls` must be an array of tables ([[client_tls]])"))?;
            for entry in list {
                let tls = parse_client_tls(entry, base_dir).map_err(|e| e.context("[[client_tls]]"))?;
                config.client_tls.push(tls);
            }
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

/// The keys of a `[[client_tls]]` table (Spin denies unknown fields); the names of Spin 2.6 are refused with
/// their Spin 3 spelling.
const CLIENT_TLS_KEYS: &[&str] =
    &["component_ids", "hosts", "ca_use_webpki_roots", "ca_roots_file", "client_cert_file", "client_private_key_file"];
const CLIENT_TLS_RENAMED: &[(&str, &str)] = &[
    ("ca_webpki_roots", "ca_use_webpki_roots"),
    ("custom_root_ca_file", "ca_roots_file"),
    ("ca_roots", "ca_roots_file"),
    ("cert_chain_file", "client_cert_file"),
    ("cert_chain", "client_cert_file"),
    ("private_key_file", "client_private_key_file"),
    ("private_key", "client_private_key_file"),
];

fn string_list(table: &toml::Table, key: &str) -> Result<Vec<String>> {
    let value = table.get(key).ok_or_else(|| Error::new(format!("missing field `{key}`")))?;
    let list = value.as_array().ok_or_else(|| Error::new(format!("`{key}` must be a list of strings")))?;
    list.iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| Error::new(format!("`{key}` must be a list of strings"))))
        .collect()
}

/// A `hosts` entry: a DNS name or IP literal, optionally with `:port`; no scheme, path or user info.
fn check_tls_host(entry: &str) -> Result<()> {
    let invalid = || Error::new(format!("invalid TLS 'host' {entry:?}"));
    let (host, _) = split_host_port(entry);
    if entry.starts_with('[') {
        return host.parse::<std::net::Ipv6Addr>().map(|_| ()).map_err(|_| invalid());
    }
    let label_ok = |l: &str| {
        !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.is_empty() || host.len() > 253 || !host.trim_end_matches('.').split('.').all(label_ok) {
        return Err(invalid());
    }
    Ok(())
}

fn parse_client_tls(value: &toml::Value, base_dir: &Path) -> Result<ClientTlsConfig> {
    let table = value.as_table().ok_or_else(|| Error::new("must be a table"))?;
    for key in table.keys() {
        if let Some((_, new)) = CLIENT_TLS_RENAMED.iter().find(|(old, _)| old == key) {
            return Err(Error::new(format!("unknown field `{key}` (Spin 3 calls it `{new}`)")));
        }
        if !CLIENT_TLS_KEYS.contains(&key.as_str()) {
            return Err(Error::new(format!("unknown field `{key}`, expected one of {}", CLIENT_TLS_KEYS.join(", "))));
        }
    }
    let component_ids = string_list(table, "component_ids")?;
    if component_ids.is_empty() {
        return Err(Error::new("[[client_tls]] 'component_ids' list may not be empty"));
    }
    for id in &component_ids {
        crate::ids::check_component_id(id).map_err(|e| Error::new(format!("invalid component id {id:?}: {e}")))?;
    }
    let hosts = string_list(table, "hosts")?;
    if hosts.is_empty() {
        return Err(Error::new("[[client_tls]] 'hosts' list may not be empty"));
    }
    for host in &hosts {
        check_tls_host(host)?;
    }
    let ca_roots_file = string_key(table, "ca_roots_file")?.map(|p| base_dir.join(p));
    let ca_use_webpki_roots = match table.get("ca_use_webpki_roots") {
        None => ca_roots_file.is_none(),
        Some(toml::Value::Boolean(b)) => *b,
        Some(other) => return Err(Error::new(format!("`ca_use_webpki_roots` must be a boolean, not a {}", other.type_str()))),
    };
    let cert = string_key(table, "client_cert_file")?.map(|p| base_dir.join(p));
    let key = string_key(table, "client_private_key_file")?.map(|p| base_dir.join(p));
    let client_cert = match (cert, key) {
        (Some(cert_chain), Some(private_key)) => Some(ClientCertFiles { cert_chain, private_key }),
        (None, None) => None,
        (Some(_), None) => return Err(Error::new("client_cert_file specified without client_private_key_file")),
        (None, Some(_)) => return Err(Error::new("client_private_key_file specified without client_cert_file")),
    };
    Ok(ClientTlsConfig { component_ids, hosts, ca_use_webpki_roots, ca_roots_file, client_cert })
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

#[cfg(test)]
mod client_tls_tests {
    use super::{ClientCertFiles, RuntimeConfig};
    use std::path::Path;

    fn parse(text: &str) -> Result<RuntimeConfig, String> {
        RuntimeConfig::parse(text, Path::new("/rc")).map_err(|e| e.to_string())
    }

    #[test]
    fn entries_parse_with_spins_defaults() {
        let rc = parse(
            r#"
            [[client_tls]]
            component_ids = ["dqmsquare"]
            hosts = ["cmsweb.cern.ch"]
            client_cert_file = "certs/robot.pem"
            client_private_key_file = "/etc/robots/robotkey.pem"

            [[client_tls]]
            component_ids = ["a", "b-c"]
            hosts = ["localhost:9215", "[::1]", "10.0.0.1"]
            ca_roots_file = "ca.pem"
            "#,
        )
        .unwrap();
        assert_eq!(rc.client_tls.len(), 2);
        let [robot, local] = [&rc.client_tls[0], &rc.client_tls[1]];
        assert!(robot.ca_use_webpki_roots, "webpki roots by default");
        assert_eq!(robot.ca_roots_file, None);
        assert_eq!(
            robot.client_cert,
            Some(ClientCertFiles {
                cert_chain: Path::new("/rc/certs/robot.pem").to_path_buf(),
                private_key: Path::new("/etc/robots/robotkey.pem").to_path_buf()
            })
        );
        assert!(!local.ca_use_webpki_roots, "not by default once ca_roots_file is given");
        assert_eq!(local.ca_roots_file.as_deref(), Some(Path::new("/rc/ca.pem")));
        let explicit = parse(
            "[[client_tls]]\ncomponent_ids = [\"a\"]\nhosts = [\"h\"]\nca_roots_file = \"x\"\nca_use_webpki_roots = true\n",
        )
        .unwrap();
        assert!(explicit.client_tls[0].ca_use_webpki_roots);
        // Matching: component id and host; a host without port matches every port.
        assert!(robot.matches("dqmsquare", "cmsweb.cern.ch", 443));
        assert!(robot.matches("dqmsquare", "CMSWEB.cern.ch", 8443));
        assert!(!robot.matches("other", "cmsweb.cern.ch", 443));
        assert!(!robot.matches("dqmsquare", "evil.cern.ch", 443));
        assert!(local.matches("b-c", "localhost", 9215));
        assert!(!local.matches("b-c", "localhost", 9216));
        assert!(local.matches("a", "::1", 1));
        assert!(local.matches("a", "10.0.0.1", 443));
    }

    #[test]
    fn bad_entries_are_refused() {
        for (text, wanted) in [
            ("component_ids = []\nhosts = [\"h\"]", "'component_ids' list may not be empty"),
            ("component_ids = [\"a\"]\nhosts = []", "'hosts' list may not be empty"),
            ("hosts = [\"h\"]", "missing field `component_ids`"),
            ("component_ids = [\"a\"]", "missing field `hosts`"),
            ("component_ids = [\"Bad_Id\"]\nhosts = [\"h\"]", "invalid component id"),
            ("component_ids = [\"a\"]\nhosts = [\"https://h\"]", "invalid TLS 'host'"),
            ("component_ids = [\"a\"]\nhosts = [\"h/path\"]", "invalid TLS 'host'"),
            ("component_ids = [\"a\"]\nhosts = [\"h:99999\"]", "invalid TLS 'host'"),
            ("component_ids = [\"a\"]\nhosts = [\"[zz]\"]", "invalid TLS 'host'"),
            ("component_ids = [\"a\"]\nhosts = [\"h\"]\nclient_cert_file = \"c\"", "without client_private_key_file"),
            ("component_ids = [\"a\"]\nhosts = [\"h\"]\nclient_private_key_file = \"k\"", "without client_cert_file"),
            ("component_ids = [\"a\"]\nhosts = [\"h\"]\nca_use_webpki_roots = \"yes\"", "must be a boolean"),
            ("component_ids = [\"a\"]\nhosts = [\"h\"]\ncert_chain = \"c\"", "Spin 3 calls it `client_cert_file`"),
            ("component_ids = [\"a\"]\nhosts = [\"h\"]\nextra = 1", "unknown field `extra`"),
        ] {
            let err = parse(&format!("[[client_tls]]\n{text}\n")).unwrap_err();
            assert!(err.contains(wanted), "{text}: {err}");
        }
        assert!(parse("client_tls = 3").unwrap_err().contains("array of tables"));
    }
}
