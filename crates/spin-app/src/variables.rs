//! Variable resolution (Spin `expressions` + `variables-env`/`variables-static`): providers in order, then the
//! manifest default; component variables are templates over application variables, rendered on every call.

use crate::app::{App, Variable};
use crate::runtime_config::{RuntimeConfig, VariablesProviderConfig};
use crate::template::Template;
use crate::{ids, Error, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A source of application-variable values; `name` is the lowercase variable name.
pub trait Provider: Send + Sync {
    fn get(&self, name: &str) -> Option<String>;
}

/// Fixed values (runtime-config `type = "static"`, or `--variable k=v`).
#[derive(Debug, Clone, Default)]
pub struct StaticProvider(pub BTreeMap<String, String>);

impl Provider for StaticProvider {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// Looks a name up in the process environment; injectable so tests need not touch the real one.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// `<PREFIX>_<NAME uppercased>` from the environment, then the same key from a `.env` file.
pub struct EnvProvider {
    prefix: String,
    lookup: EnvLookup,
    dotenv: BTreeMap<String, String>,
}

/// Spin's default env prefix.
pub const DEFAULT_ENV_PREFIX: &str = "SPIN_VARIABLE";

impl EnvProvider {
    pub fn new(prefix: Option<&str>, lookup: EnvLookup, dotenv: BTreeMap<String, String>) -> Self {
        EnvProvider { prefix: prefix.unwrap_or(DEFAULT_ENV_PREFIX).to_string(), lookup, dotenv }
    }

    /// Over the real environment and `dotenv_path` (default `.env` in the current dir; absent is fine).
    pub fn from_process(prefix: Option<&str>, dotenv_path: Option<&Path>) -> Result<Self> {
        let path = dotenv_path.unwrap_or(Path::new(".env"));
        let dotenv = read_dotenv(path)?;
        Ok(Self::new(prefix, Arc::new(|k| std::env::var(k).ok()), dotenv))
    }

    /// The environment key for `name`: `SPIN_VARIABLE_API_KEY` for `api_key`.
    pub fn key(&self, name: &str) -> String {
        format!("{}_{}", self.prefix, name.to_ascii_uppercase())
    }
}

impl Provider for EnvProvider {
    fn get(&self, name: &str) -> Option<String> {
        let key = self.key(name);
        (self.lookup)(&key).or_else(|| self.dotenv.get(&key).cloned())
    }
}

/// `KEY=value` lines; `#` comments, blank lines and a leading `export ` are skipped, one level of
/// matching quotes is removed.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        out.insert(key.trim().to_string(), unquoted.to_string());
    }
    out
}

/// What a guest's `variables.get` can fail with (`fermyon:spin/variables@2.0.0` `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableError {
    /// The key is not a valid variable name.
    InvalidName(String),
    /// The component declares no such variable: `no variable for "comp"."key"`.
    Undefined(String),
    /// No provider and no default: `no provider resolved required variable "x"`.
    Provider(String),
}

impl std::fmt::Display for VariableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VariableError::InvalidName(m) => write!(f, "invalid-name({m})"),
            VariableError::Undefined(m) => write!(f, "undefined({m})"),
            VariableError::Provider(m) => write!(f, "provider({m})"),
        }
    }
}

/// Resolves application and component variables of one app.
pub struct Resolver {
    variables: BTreeMap<String, Variable>,
    components: BTreeMap<String, BTreeMap<String, Template>>,
    providers: Vec<Box<dyn Provider>>,
}

impl Resolver {
    /// `providers` are asked in order; the manifest default comes last.
    pub fn new(app: &App, providers: Vec<Box<dyn Provider>>) -> Resolver {
        let components = app.components.iter().map(|(id, c)| (id.clone(), c.variables.clone())).collect();
        Resolver { variables: app.variables.clone(), components, providers }
    }

    /// Spin's provider chain: the runtime config's providers in file order, then the default env
    /// provider (`SPIN_VARIABLE_*`, then `.env` in the current dir), all over `env`.
    pub fn from_runtime_config(app: &App, runtime_config: &RuntimeConfig, env: EnvLookup) -> Result<Resolver> {
        let mut providers: Vec<Box<dyn Provider>> = Vec::new();
        for config in &runtime_config.variables_providers {
            match config {
                VariablesProviderConfig::Static { values } => providers.push(Box::new(StaticProvider(values.clone()))),
                VariablesProviderConfig::Env { prefix, dotenv_path } => {
                    // Unlike the default provider, a configured one reads a dotenv file only if named.
                    let dotenv = match dotenv_path {
                        Some(path) => read_dotenv(path)?,
                        None => BTreeMap::new(),
                    };
                    providers.push(Box::new(EnvProvider::new(prefix.as_deref(), env.clone(), dotenv)));
                }
                VariablesProviderConfig::Unsupported { kind } => {
                    return Err(Error::new(format!("variables provider type {kind:?} is not supported by this host")))
                }
            }
        }
        let dotenv = read_dotenv(Path::new(".env"))?;
        providers.push(Box::new(EnvProvider::new(None, env, dotenv)));
        Ok(Resolver::new(app, providers))
    }

    /// Puts `provider` before all others, as `spin up --variable k=v` does.
    pub fn prepend_provider(&mut self, provider: Box<dyn Provider>) {
        self.providers.insert(0, provider);
    }

    /// The startup check: every required variable must have a provider value.
    pub fn check_required(&self) -> Result<()> {
        let missing: Vec<String> = self
            .variables
            .iter()
            .filter(|(name, v)| v.default.is_none() && self.provided(name).is_none())
            .map(|(name, _)| format!("Key({name:?})"))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::new(format!("no provider resolved required variable(s): [{}]", missing.join(", "))))
        }
    }

    /// An application variable's value: first provider value, else its default.
    pub fn app_variable(&self, name: &str) -> std::result::Result<String, VariableError> {
        let Some(variable) = self.variables.get(name) else {
            return Err(VariableError::Undefined(format!("no variable {name:?}")));
        };
        self.provided(name)
            .or_else(|| variable.default.clone())
            .ok_or_else(|| VariableError::Provider(format!("no provider resolved required variable {name:?}")))
    }

    /// A guest's `get(key)` for `component_id`.
    pub fn get(&self, component_id: &str, key: &str) -> std::result::Result<String, VariableError> {
        ids::check_variable_key(key).map_err(VariableError::InvalidName)?;
        let vars = self
            .components
            .get(component_id)
            .ok_or_else(|| VariableError::Undefined(format!("no variable for component {component_id:?}")))?;
        let template = vars
            .get(key)
            .ok_or_else(|| VariableError::Undefined(format!("no variable for {component_id:?}.{key:?}")))?;
        self.render(template)
    }

    /// Renders a template over application variables (component variables, `allowed_outbound_hosts`).
    pub fn render(&self, template: &Template) -> std::result::Result<String, VariableError> {
        template.render(|name| self.app_variable(name))
    }

    fn provided(&self, name: &str) -> Option<String> {
        self.providers.iter().find_map(|p| p.get(name))
    }
}

fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse_dotenv(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(Error::new(format!("Failed to read {path:?}: {e}"))),
    }
}
