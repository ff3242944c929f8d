//! Per-request host state: WASI, wasi-http, the Spin interfaces, and the limits of one instance.

pub mod client_tls;
pub mod key_value;
pub mod outbound;
pub mod redis;
pub mod variables;
pub mod wasi_keyvalue;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use kv_store::StoreManager;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use outbound::OutboundHooks;

/// What one component may use, fixed at startup and shared by all its requests.
pub struct ComponentConfig {
    pub id: String,
    pub key_value_stores: Vec<String>,
    /// The app's labels backed by a local SQLite file (their reads run inline, see `key_value::Opened`).
    pub local_stores: Arc<std::collections::BTreeSet<String>>,
    /// The app's variable resolver (shared by all components) and this component's variable keys.
    pub variables: Arc<spin_app::variables::Resolver>,
    pub variable_keys: Vec<String>,
    /// The complete WASI environment (Spin passes nothing from the host).
    pub environment: Vec<(String, String)>,
    /// The copied `files`, preopened read-only at `/`.
    pub files_dir: Option<PathBuf>,
    pub outbound: Arc<spin_app::outbound::AllowedHosts>,
    /// The runtime config's `[[client_tls]]` entries (shared by all components; matched per request).
    pub client_tls: Arc<client_tls::ClientTls>,
    pub chaining: Arc<crate::chaining::Chaining>,
}

/// The `T` of `Store<T>`: built fresh for every request.
pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub hooks: OutboundHooks,
    pub component: Arc<ComponentConfig>,
    pub stores: Arc<StoreManager>,
    pub memory: MemoryLimiter,
}

impl HostState {
    pub fn new(component: Arc<ComponentConfig>, stores: Arc<StoreManager>, max_memory: usize) -> Result<Self> {
        let mut wasi = WasiCtx::builder();
        // File reads of the read-only mount hit the page cache: doing them on the worker thread saves the
        // two thread hops per call of the blocking pool (set before the preopen, which captures it).
        wasi.allow_blocking_current_thread(true);
        wasi.inherit_stdout().inherit_stderr().envs(&component.environment);
        if let Some(dir) = &component.files_dir {
            wasi.preopened_dir(dir, "/", FsPerms::ReadOnly)?;
        }
        Ok(Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks::new(component.clone()),
            component,
            stores,
            memory: MemoryLimiter { max: max_memory, exceeded: false },
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Caps each linear memory of the instance and remembers that the cap was hit, for the error message.
pub struct MemoryLimiter {
    pub max: usize,
    pub exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max;
        self.exceeded |= !allowed;
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far past any real component.
        Ok(desired <= 1_000_000)
    }
}

/// Every host interface a Spin HTTP component may import.
pub fn linker(engine: &Engine) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::key_value::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    crate::bindings::variables::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    crate::bindings::config::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    crate::bindings::wasi_keyvalue::store::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    crate::bindings::wasi_keyvalue::atomics::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    crate::bindings::wasi_keyvalue::batch::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    redis::add_to_linker(&mut linker)?;
    Ok(linker)
}
