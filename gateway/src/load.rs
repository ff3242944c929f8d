//! Startup: manifest, runtime config, variables, stores, files and compiled components → a ready [`Gateway`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use kv_store::{Backend, StoreManager, StoresConfig};
use spin_app::app::{Source, TriggerTarget};
use spin_app::outbound::AllowedHosts;
use spin_app::runtime_config::{self, KvBackend};
use spin_app::variables::Resolver;
use spin_app::{App, RuntimeConfig};

use crate::chaining::Chaining;
use crate::cli::UpOptions;
use crate::engine::{self, Origin};
use crate::host::{self, ComponentConfig};
use crate::runner::{Prepared, Runner};
use crate::server::{Gateway, Limits};

/// Everything `gateway up` does before it listens.
pub fn load(options: &UpOptions) -> Result<Gateway> {
    let manifest = manifest_path(&options.from);
    let app = App::load(&manifest).map_err(|e| anyhow!("{e}"))?;
    for warning in &app.warnings {
        eprintln!("Warning: {warning}");
    }
    if options.build {
        crate::build_cmd::build_all(&app)?;
    }
    let runtime_config = match &options.runtime_config_file {
        Some(path) => RuntimeConfig::load(path).map_err(|e| anyhow!("{e}"))?,
        None => RuntimeConfig::default(),
    };
    app.check_key_value_stores(&runtime_config).map_err(|e| anyhow!("{e}"))?;
    let state_dir_flag = options.state_dir.as_ref().map(|p| p.to_string_lossy().into_owned());
    let state_dir = runtime_config::state_dir(state_dir_flag.as_deref(), &runtime_config, &app.app_dir);

    let env: spin_app::variables::EnvLookup = Arc::new(|key| std::env::var(key).ok());
    let mut resolver = Resolver::from_runtime_config(&app, &runtime_config, env).map_err(|e| anyhow!("{e}"))?;
    let read = |file: &str| std::fs::read_to_string(file).with_context(|| format!("--variable: reading {file}"));
    let cli_values = crate::cli::cli_variables(&options.variables, read)?;
    if !cli_values.is_empty() {
        resolver.prepend_provider(Box::new(spin_app::variables::StaticProvider(cli_values)));
    }
    resolver.check_required().map_err(|e| anyhow!("{e}"))?;
    let resolver = Arc::new(resolver);

    let client_tls = Arc::new(host::client_tls::ClientTls::load(&runtime_config.client_tls)?);
    let (stores, local_stores) = open_stores(&runtime_config, state_dir.as_deref(), options.read_only)?;
    let local_stores = Arc::new(local_stores);
    // Without a state dir (as for Spin's remote apps) files and the compile cache go to a temporary dir.
    let work_dir = match &state_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("gateway-{}", std::process::id())),
    };
    let max_memory = runtime_config.max_instance_memory.map_or(options.max_instance_memory, |b| b as usize);
    let engine = engine::new_engine(max_memory)?;
    let linker = host::linker(&engine)?;

    let limits = Limits {
        max_request_body: options.max_request_body,
        request_timeout: options.request_timeout,
        max_instance_memory: max_memory,
    };
    let chaining = Chaining::new(limits);
    let component_ids: Vec<&str> = app.components.keys().map(String::as_str).collect();
    let mut components = BTreeMap::new();
    for component in app.components.values() {
        let Source::Local(wasm) = &component.source else {
            bail!("component {}: only local `source` files are supported by this host", component.id);
        };
        let (compiled, origin) = engine::load_component(&engine, wasm, &work_dir.join("cache"))?;
        match origin {
            Origin::Cached => println!("Component {}: loaded cached compilation", component.id),
            Origin::Compiled => println!("Component {}: compiled {}", component.id, wasm.display()),
        }
        let pre = match linker.instantiate_pre(&compiled) {
            Ok(pre) => pre,
            // Spin interfaces this host does not provide (sqlite, postgres, …) trap when called instead of
            // failing the whole app at startup. Only on a copy of the linker: trap stubs for type aliases
            // would clash with the real resource types other components link against.
            Err(missing) => {
                eprintln!("Warning: component {}: {missing}; such imports will trap when called", component.id);
                let mut lenient = linker.clone();
                lenient.define_unknown_imports_as_traps(&compiled).map_err(anyhow::Error::from)?;
                lenient.instantiate_pre(&compiled).map_err(anyhow::Error::from)?
            }
        };
        let pre = wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("component {} does not export wasi:http/incoming-handler", component.id))?;
        let outbound = allowed_hosts(&component.allowed_outbound_hosts, &resolver, &component.id, &component_ids)?;
        let files_dir = copy_files(&component.files, &work_dir.join("assets").join(&component.id))?;
        let config = ComponentConfig {
            id: component.id.clone(),
            key_value_stores: component.key_value_stores.clone(),
            local_stores: local_stores.clone(),
            variables: resolver.clone(),
            variable_keys: component.variables.keys().cloned().collect(),
            environment: component.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            files_dir,
            outbound: Arc::new(outbound),
            client_tls: client_tls.clone(),
            chaining: chaining.clone(),
        };
        components.insert(component.id.clone(), Prepared { pre, config: Arc::new(config) });
    }

    let (router, warnings) = spin_app::Router::for_app(&app).map_err(|e| anyhow!("{e}"))?;
    for warning in warnings {
        eprintln!("{warning}");
    }
    let statics = app
        .triggers
        .iter()
        .filter_map(|t| match &t.target {
            TriggerTarget::Static(reply) => Some((t.id.clone(), reply.clone())),
            TriggerTarget::Component(_) => None,
        })
        .collect();
    let runner = Arc::new(Runner {
        engine,
        components,
        stores: Arc::new(stores),
        slots: Arc::new(tokio::sync::Semaphore::new(engine::POOL_INSTANCES as usize)),
    });
    chaining.attach(&runner);
    Ok(Gateway {
        runner,
        chaining,
        router,
        statics,
        info: Bytes::from(spin_app::routes::info_body(&app)),
        limits,
        access_log: Default::default(),
    })
}

/// `--from` may name the manifest or the directory holding `spin.toml`.
fn manifest_path(from: &Path) -> PathBuf {
    if from.is_dir() {
        from.join("spin.toml")
    } else {
        from.to_path_buf()
    }
}

/// The stores of every label, plus the labels whose backend is a local SQLite file (or in-memory).
fn open_stores(
    runtime_config: &RuntimeConfig,
    state_dir: Option<&Path>,
    read_only: bool,
) -> Result<(StoreManager, BTreeSet<String>)> {
    let backends = runtime_config.kv_backends(state_dir).map_err(|e| anyhow!("{e}"))?;
    let stores: BTreeMap<String, Backend> = backends
        .into_iter()
        .map(|(label, backend)| {
            let backend = match backend {
                KvBackend::Sqlite(path) => Backend::Sqlite { path: Some(path) },
                KvBackend::Memory => Backend::Sqlite { path: None },
                KvBackend::Redis(url) => Backend::Redis { url },
            };
            (label, backend)
        })
        .collect();
    let local = stores.iter().filter(|(_, b)| matches!(b, Backend::Sqlite { .. })).map(|(label, _)| label.clone()).collect();
    let manager = StoreManager::open(&StoresConfig { stores, read_only }).map_err(|e| anyhow!("opening key-value stores: {e}"))?;
    Ok((manager, local))
}

fn allowed_hosts(entries: &[String], resolver: &Resolver, component: &str, ids: &[&str]) -> Result<AllowedHosts> {
    let mut rendered = Vec::new();
    for entry in entries {
        let template = spin_app::template::Template::parse(entry).map_err(|e| anyhow!("{e}"))?;
        rendered.push(resolver.render(&template).map_err(|e| anyhow!("component {component}: {e}"))?);
    }
    AllowedHosts::parse(&rendered, ids).map_err(|e| anyhow!("component {component}: {e}"))
}

/// Copies the component's `files` into a fresh `dir` (preopened read-only at `/`); `None` without files.
fn copy_files(files: &[spin_app::files::FileMount], dir: &Path) -> Result<Option<PathBuf>> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    if files.is_empty() {
        return Ok(None);
    }
    for file in files {
        let relative = file.destination.trim_start_matches('/');
        if relative.split('/').any(|part| part == "..") {
            bail!("files destination {:?} leaves the mount", file.destination);
        }
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(&file.source, &target)
            .with_context(|| format!("copying {} to {}", file.source.display(), target.display()))?;
    }
    Ok(Some(dir.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_app::files::FileMount;

    #[test]
    fn files_are_copied_fresh_and_cannot_escape_the_mount() {
        let root = tempfile::tempdir().unwrap();
        let source = root.path().join("hello.txt");
        std::fs::write(&source, "hi").unwrap();
        let mount = root.path().join("assets/web");
        std::fs::create_dir_all(&mount).unwrap();
        std::fs::write(mount.join("stale.txt"), "old").unwrap();

        let files = [FileMount { source: source.clone(), destination: "/static/hello.txt".into() }];
        assert_eq!(copy_files(&files, &mount).unwrap(), Some(mount.clone()));
        assert_eq!(std::fs::read_to_string(mount.join("static/hello.txt")).unwrap(), "hi");
        assert!(!mount.join("stale.txt").exists(), "a restart must not serve files removed from the manifest");

        let escaping = [FileMount { source, destination: "/../outside.txt".into() }];
        assert!(copy_files(&escaping, &mount).is_err());
        assert_eq!(copy_files(&[], &mount).unwrap(), None);
    }

    #[test]
    fn from_accepts_a_directory_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(manifest_path(dir.path()), dir.path().join("spin.toml"));
        assert_eq!(manifest_path(Path::new("other.toml")), PathBuf::from("other.toml"));
    }
}
