//! A read-only view of a store, for replicas (`--read-only`): reads pass through, every write fails.

use kv_api::{CasOutcome, KvError, KvResult, KvStore};

use crate::SharedStore;

/// Wraps a store; every write returns [`KvError::ReadOnly`].
pub struct ReadOnlyStore {
    inner: SharedStore,
}

impl ReadOnlyStore {
    pub fn new(inner: SharedStore) -> Self {
        Self { inner }
    }
}

impl KvStore for ReadOnlyStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn set(&self, _key: &str, _value: &[u8]) -> KvResult<()> {
        Err(KvError::ReadOnly)
    }
    fn set_many(&self, _entries: &[(&str, &[u8])]) -> KvResult<()> {
        Err(KvError::ReadOnly)
    }
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        self.inner.get_many(keys)
    }
    fn delete(&self, _key: &str) -> KvResult<()> {
        Err(KvError::ReadOnly)
    }
    fn exists(&self, key: &str) -> KvResult<bool> {
        self.inner.exists(key)
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.inner.get_keys()
    }
    fn increment(&self, _key: &str, _delta: i64) -> KvResult<i64> {
        Err(KvError::ReadOnly)
    }
    fn compare_and_swap(&self, _key: &str, _expected: Option<&[u8]>, _new: &[u8]) -> KvResult<CasOutcome> {
        Err(KvError::ReadOnly)
    }
}
