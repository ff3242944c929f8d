//! Spin's loader normalisation (`manifest` `normalize.rs`, `loader` `local.rs`): automatic trigger IDs,
//! inline components moved out, and each component's config turned into a [`Component`].

use crate::app::{Build, Component, Executor, HttpTrigger, Route, Source, StaticResponse, TriggerTarget, Variable};
use crate::files;
use crate::manifest::{self, ComponentConfig, ComponentSpec, HttpTriggerConfig};
use crate::template::Template;
use crate::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Spin's `normalize_trigger_ids`: `<component>-http-trigger`, else the first free `http-trigger<N>`.
pub(crate) fn assign_trigger_ids(triggers: &mut [HttpTriggerConfig]) {
    let mut taken: BTreeSet<String> = triggers.iter().filter_map(|t| t.id.clone()).collect();
    let mut counter = 1;
    for trigger in triggers.iter_mut().filter(|t| t.id.is_none()) {
        if let Some(ComponentSpec::Reference(component)) = &trigger.component {
            let natural = format!("{component}-http-trigger");
            if taken.insert(natural.clone()) {
                trigger.id = Some(natural);
                continue;
            }
        }
        loop {
            let candidate = format!("http-trigger{counter}");
            counter += 1;
            if taken.insert(candidate.clone()) {
                trigger.id = Some(candidate);
                break;
            }
        }
    }
}

/// Checks component-XOR-static_response and moves an inline component into `components`
/// (as `<trigger-id>-component`, else the first free `inline-component<N>`).
pub(crate) fn normalise_trigger(
    config: HttpTriggerConfig,
    components: &mut BTreeMap<String, ComponentConfig>,
) -> Result<HttpTrigger> {
    let id = config.id.unwrap_or_default();
    let route = match config.route {
        manifest::RouteConfig::Path(path) => Route::Path(path),
        manifest::RouteConfig::Private(p) if p.private => Route::Private,
        manifest::RouteConfig::Private(_) => {
            return Err(Error::new(format!(
                "route must be a string pattern or '{{ private = true }}': '{id}' has {{ private = false }}"
            )))
        }
    };
    let target = match (config.component, config.static_response) {
        (None, None) => {
            return Err(Error::new(format!(
                "Triggers must specify either component or static_response - {id} has neither"
            )))
        }
        (Some(_), Some(_)) => {
            return Err(Error::new(format!(
                "Triggers must specify either component or static_response - {id} has both"
            )))
        }
        (Some(ComponentSpec::Reference(component)), None) => TriggerTarget::Component(component),
        (Some(ComponentSpec::Inline(inline)), None) => {
            let natural = format!("{id}-component");
            let component_id = if crate::ids::check_component_id(&natural).is_ok() && !components.contains_key(&natural) {
                natural
            } else {
                (1..).map(|n| format!("inline-component{n}")).find(|c| !components.contains_key(c)).unwrap_or_default()
            };
            manifest::check_component_names(&component_id, &inline)?;
            components.insert(component_id.clone(), *inline);
            TriggerTarget::Component(component_id)
        }
        (None, Some(s)) => TriggerTarget::Static(StaticResponse {
            status_code: s.status_code.unwrap_or(200),
            headers: s.headers,
            body: s.body,
        }),
    };
    let executor = match config.executor {
        None | Some(manifest::ExecutorConfig::Http {}) => Executor::Http,
        Some(manifest::ExecutorConfig::Wagi { argv, entrypoint }) => Executor::Wagi { argv, entrypoint },
    };
    Ok(HttpTrigger { id, route, target, executor })
}

pub(crate) fn load_component(
    id: &str,
    config: ComponentConfig,
    app_dir: &Path,
    app_variables: &BTreeMap<String, Variable>,
) -> Result<Component> {
    if !config.dependencies.is_empty() {
        return Err(Error::new("component `dependencies` are not supported by this host"));
    }
    if !config.allowed_http_hosts.is_empty() {
        return Err(Error::new(
            "`allowed_http_hosts` is deprecated and not supported by this host: use `allowed_outbound_hosts`",
        ));
    }
    let source = parse_source(&config.source, app_dir)?;
    let mut variables = BTreeMap::new();
    for (key, text) in config.variables {
        let template = Template::parse(&text).map_err(|e| Error::new(format!("variable {key:?}: {e}")))?;
        if let Some(unknown) = template.variables().find(|v| !app_variables.contains_key(*v)) {
            return Err(Error::new(format!(
                "variable {key:?}: invalid variable template: unknown variable {unknown:?}"
            )));
        }
        variables.insert(key, template);
    }
    let files = files::resolve(app_dir, &config.files, &config.exclude_files)?;
    let build = config.build.map(|b| Build {
        commands: match b.command {
            manifest::Commands::Single(c) => vec![c],
            manifest::Commands::Many(cs) => cs,
        },
        workdir: b.workdir.map(|w| app_dir.join(w)).unwrap_or_else(|| app_dir.to_path_buf()),
        watch: b.watch,
    });
    Ok(Component {
        id: id.to_string(),
        description: config.description,
        source,
        variables,
        environment: config.environment,
        files,
        allowed_outbound_hosts: config.allowed_outbound_hosts,
        key_value_stores: config.key_value_stores,
        build,
    })
}

/// The three `source` forms; unknown keys in the table forms are rejected.
fn parse_source(value: &toml::Value, app_dir: &Path) -> Result<Source> {
    let table = match value {
        toml::Value::String(path) => return Ok(Source::Local(app_dir.join(path))),
        toml::Value::Table(t) => t,
        other => return Err(Error::new(format!("invalid `source`: expected a path or a table, found {}", other.type_str()))),
    };
    let get = |key: &str| -> Result<Option<String>> {
        match table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::new(format!("invalid `source.{key}`: expected a string, found {}", other.type_str()))),
        }
    };
    let allowed: &[&str] = if table.contains_key("url") { &["url", "digest"] } else { &["registry", "package", "version"] };
    if let Some(key) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Error::new(format!("unknown field `{key}` in `source`, expected one of {allowed:?}")));
    }
    if let Some(url) = get("url")? {
        let digest = get("digest")?.ok_or_else(|| Error::new("missing field `digest` in `source`"))?;
        if !digest.starts_with("sha256:") {
            return Err(Error::new(format!("invalid `digest` {digest:?}; must start with 'sha256:'")));
        }
        return Ok(Source::Url { url, digest });
    }
    let package = get("package")?.ok_or_else(|| Error::new("invalid `source`: expected a path, {url, digest} or {package, version}"))?;
    let version = get("version")?.ok_or_else(|| Error::new("missing field `version` in `source`"))?;
    semver::Version::parse(&version)
        .map_err(|e| Error::new(format!("invalid `source.version` {version:?}: {e} (an exact semver version is required)")))?;
    Ok(Source::Registry { registry: get("registry")?, package, version })
}
