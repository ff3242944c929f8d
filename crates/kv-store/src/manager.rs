//! The label -> store manager: opens each label's backend once, sharing one SQLite pool per file and one
//! Redis pool per URL, and wraps every store read-only for replicas.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kv_api::{KvError, KvResult, KvStore};
use spin_app::runtime_config::{KvBackend, RuntimeConfig};

use crate::read_only::ReadOnlyStore;
use crate::redis_store::RedisStore;
use crate::sqlite::{SqliteDb, SqliteStore};

/// An opened store as the gateway and scraper-host hold it.
pub type SharedStore = Arc<dyn KvStore + Send + Sync>;

/// What backs one label (Spin's `[key_value_store.<label>]`, paths already resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `type = "spin"`: a SQLite file in Spin's schema, or a private in-memory database when `None`.
    Sqlite { path: Option<PathBuf> },
    /// `type = "redis"`: every label on one URL shares its keyspace, as in Spin.
    Redis { url: String },
}

impl From<KvBackend> for Backend {
    fn from(backend: KvBackend) -> Self {
        match backend {
            KvBackend::Sqlite(path) => Backend::Sqlite { path: Some(path) },
            KvBackend::Memory => Backend::Sqlite { path: None },
            KvBackend::Redis(url) => Backend::Redis { url },
        }
    }
}

/// The manager's input: the backend per label, and whether every store is served read-only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoresConfig {
    pub stores: BTreeMap<String, Backend>,
    pub read_only: bool,
}

impl StoresConfig {
    /// Every label a Spin runtime config defines, plus `default` (in `state_dir`, or in-memory without one),
    /// resolved by `spin-app`'s rules.
    pub fn from_runtime_config(config: &RuntimeConfig, state_dir: Option<&Path>, read_only: bool) -> KvResult<Self> {
        let backends = config.kv_backends(state_dir).map_err(|e| KvError::Other(e.message().to_owned()))?;
        Ok(Self { stores: backends.into_iter().map(|(label, b)| (label, b.into())).collect(), read_only })
    }
}

/// One label's opened backend, kept concrete for dump/restore.
#[derive(Clone)]
pub(crate) enum Opened {
    Sqlite(SqliteStore),
    Redis(RedisStore),
}

/// Label -> opened store.
pub struct StoreManager {
    stores: BTreeMap<String, (Opened, SharedStore)>,
    read_only: bool,
}

impl StoreManager {
    /// Opens every configured label; fails on the first backend that cannot be opened.
    pub fn open(config: &StoresConfig) -> KvResult<Self> {
        let mut files: BTreeMap<PathBuf, SqliteDb> = BTreeMap::new();
        let mut redis: BTreeMap<String, RedisStore> = BTreeMap::new();
        let mut stores = BTreeMap::new();
        for (label, backend) in &config.stores {
            let opened = match backend {
                Backend::Sqlite { path: None } => Opened::Sqlite(SqliteDb::in_memory()?.store(label)),
                Backend::Sqlite { path: Some(path) } => {
                    let db = match files.get(path) {
                        Some(db) => db.clone(),
                        None => files.entry(path.clone()).or_insert(SqliteDb::open(path)?).clone(),
                    };
                    Opened::Sqlite(db.store(label))
                }
                Backend::Redis { url } => {
                    let store = match redis.get(url) {
                        Some(store) => store.clone(),
                        None => redis.entry(url.clone()).or_insert(RedisStore::open(url)?).clone(),
                    };
                    Opened::Redis(store)
                }
            };
            let mut shared: SharedStore = match &opened {
                Opened::Sqlite(s) => Arc::new(s.clone()),
                Opened::Redis(r) => Arc::new(r.clone()),
            };
            if config.read_only {
                shared = Arc::new(ReadOnlyStore::new(shared));
            }
            stores.insert(label.clone(), (opened, shared));
        }
        Ok(Self { stores, read_only: config.read_only })
    }

    /// The store behind `label`, `None` if nothing backs it (Spin's `no-such-store`).
    pub fn get(&self, label: &str) -> Option<SharedStore> {
        self.stores.get(label).map(|(_, shared)| shared.clone())
    }

    /// Like [`get`](Self::get), with Spin's error for an unbacked label.
    pub fn open_label(&self, label: &str) -> KvResult<SharedStore> {
        self.get(label).ok_or(KvError::NoSuchStore)
    }

    /// Every configured label, sorted.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.stores.keys().map(String::as_str)
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub(crate) fn opened(&self) -> impl Iterator<Item = (&str, &Opened)> {
        self.stores.iter().map(|(label, (opened, _))| (label.as_str(), opened))
    }
}
