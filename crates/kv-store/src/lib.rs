//! Native key-value backends for the gateway and scraper-host: SQLite in Spin's own file and schema,
//! Redis/Valkey, a read-only wrapper, a label -> store manager, dump/restore over every label, and SQLite
//! snapshots (online backup API) for secondaries and `dqm-store-*.tar.gz` archives.

mod backup;
mod manager;
mod read_only;
mod redis_store;
mod replica;
mod sqlite;

pub use backup::DUMP_FORMAT;
pub use manager::{Backend, SharedStore, StoreManager, StoresConfig};
pub use read_only::ReadOnlyStore;
pub use redis_store::{RedisArg, RedisReply, RedisStore};
pub use replica::{install_snapshot, read_snapshot_meta, snapshot_file, SnapshotMeta, SNAPSHOT_META_KEY};
pub use sqlite::{SqliteDb, SqliteStore};

pub use kv_api::{CasOutcome, KvError, KvResult, KvStore};

/// Wraps any displayable backend error as [`KvError::Other`].
pub(crate) fn other(err: impl std::fmt::Display) -> KvError {
    KvError::Other(err.to_string())
}
