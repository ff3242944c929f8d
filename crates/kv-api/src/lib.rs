//! The key-value interface that library crates program against, natively and inside components.
//!
//! Library crates (DQM GUI index, Run Registry, Stats2, …) take `&dyn KvStore` (or `impl KvStore`).
//! Components pass an adapter over Spin's key-value host interface; the native scraper-host passes a
//! backend from `kv-store`; unit tests pass [`MemoryStore`].
//!
//! Semantics follow Spin's `fermyon:spin/key-value@2.0.0` plus `wasi:keyvalue/atomics@0.2.0-draft2`:
//! a missing key reads as `None`, deleting a missing key succeeds, `increment` stores an i64 counter,
//! and `compare_and_swap` is the only way to update a shared key without losing concurrent writes.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// Errors a key-value operation can return; mirrors Spin's `key-value` error variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// The component may not open this store label.
    AccessDenied,
    /// The label is allowed but nothing backs it.
    NoSuchStore,
    /// The store is served read-only (a replica); every write fails with this.
    ReadOnly,
    /// Any backend failure, with its text.
    Other(String),
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::AccessDenied => f.write_str("access denied"),
            KvError::NoSuchStore => f.write_str("no such store"),
            KvError::ReadOnly => f.write_str("read-only replica"),
            KvError::Other(msg) => write!(f, "key-value error: {msg}"),
        }
    }
}

impl std::error::Error for KvError {}

pub type KvResult<T> = Result<T, KvError>;

/// Outcome of [`KvStore::compare_and_swap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    Swapped,
    /// Another writer changed the key first: re-read and retry.
    Conflict,
}

/// One opened key-value store (one label).
pub trait KvStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>>;
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()>;
    fn delete(&self, key: &str) -> KvResult<()>;
    fn exists(&self, key: &str) -> KvResult<bool> {
        Ok(self.get(key)?.is_some())
    }
    /// Reads several keys, answering in the order of `keys`. Hosts with a batch call (wasi:keyvalue/batch)
    /// answer in one round trip, which matters inside components where every host call costs.
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|key| self.get(key)).collect()
    }
    /// Writes several entries. Backends with a batch write do it in one step (SQLite: one transaction,
    /// all or nothing); the default writes one by one, so a failure can leave a prefix written.
    fn set_many(&self, entries: &[(&str, &[u8])]) -> KvResult<()> {
        entries.iter().try_for_each(|(key, value)| self.set(key, value))
    }
    /// Every key of the store. Costly on a large store: hot paths use index keys instead.
    fn get_keys(&self) -> KvResult<Vec<String>>;
    /// Atomically adds `delta` to the i64 counter at `key` (missing counts as 0) and returns the new value.
    /// The stored encoding is backend-specific (Spin: SQLite 8-byte LE, Redis decimal): read it back only
    /// through `increment(key, 0)`.
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64>;
    /// Writes `new` only if the key still holds `expected` (`None`: the key is absent).
    /// Natively the absent case is atomic too; under a Spin host, wasi:keyvalue's CAS upserts an absent key
    /// unconditionally, so shared keys that writers race on should be created once up front (or use `increment`).
    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome>;
}

/// Reads `key`, applies `update` and writes it back with compare-and-swap, retrying on conflict.
/// `update` returns `None` to leave the key unchanged.
pub fn update_with_retry<S, F>(store: &S, key: &str, max_attempts: usize, mut update: F) -> KvResult<bool>
where
    S: KvStore + ?Sized,
    F: FnMut(Option<&[u8]>) -> Option<Vec<u8>>,
{
    for _ in 0..max_attempts.max(1) {
        let current = store.get(key)?;
        let Some(next) = update(current.as_deref()) else {
            return Ok(false);
        };
        if store.compare_and_swap(key, current.as_deref(), &next)? == CasOutcome::Swapped {
            return Ok(true);
        }
    }
    Err(KvError::Other(format!("compare-and-swap on {key:?} kept conflicting")))
}

/// An in-process store for unit tests and in-memory state dirs.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> KvResult<std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>>> {
        self.entries.lock().map_err(|_| KvError::Other("memory store poisoned".into()))
    }
}

impl KvStore for MemoryStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        Ok(self.lock()?.get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.lock()?.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> KvResult<()> {
        self.lock()?.remove(key);
        Ok(())
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        Ok(self.lock()?.keys().cloned().collect())
    }
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        let mut entries = self.lock()?;
        let current = match entries.get(key) {
            None => 0,
            Some(bytes) => i64::from_le_bytes(
                bytes.as_slice().try_into().map_err(|_| KvError::Other(format!("{key:?} is not a counter")))?,
            ),
        };
        let next = current.checked_add(delta).ok_or_else(|| KvError::Other("counter overflow".into()))?;
        entries.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }
    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome> {
        let mut entries = self.lock()?;
        if entries.get(key).map(Vec::as_slice) != expected {
            return Ok(CasOutcome::Conflict);
        }
        entries.insert(key.to_owned(), new.to_vec());
        Ok(CasOutcome::Swapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_reads_none_and_deletes_fine() {
        let store = MemoryStore::new();
        assert_eq!(store.get("nope").unwrap(), None);
        store.delete("nope").unwrap();
        assert!(!store.exists("nope").unwrap());
    }

    #[test]
    fn get_many_answers_in_key_order() {
        let store = MemoryStore::new();
        store.set("b", b"2").unwrap();
        store.set("a", b"1").unwrap();
        let got = store.get_many(&["b", "missing", "a"]).unwrap();
        assert_eq!(got, vec![Some(b"2".to_vec()), None, Some(b"1".to_vec())]);
    }

    #[test]
    fn set_many_writes_every_entry() {
        let store = MemoryStore::new();
        store.set_many(&[("a", b"1"), ("b", b"2")]).unwrap();
        assert_eq!(store.get_many(&["a", "b"]).unwrap(), vec![Some(b"1".to_vec()), Some(b"2".to_vec())]);
    }

    #[test]
    fn increment_counts_from_zero() {
        let store = MemoryStore::new();
        assert_eq!(store.increment("c", 2).unwrap(), 2);
        assert_eq!(store.increment("c", -5).unwrap(), -3);
        store.set("s", b"text").unwrap();
        assert!(store.increment("s", 1).is_err());
    }

    #[test]
    fn cas_detects_a_concurrent_writer() {
        let store = MemoryStore::new();
        assert_eq!(store.compare_and_swap("k", None, b"a").unwrap(), CasOutcome::Swapped);
        assert_eq!(store.compare_and_swap("k", None, b"b").unwrap(), CasOutcome::Conflict);
        assert_eq!(store.compare_and_swap("k", Some(b"a"), b"b").unwrap(), CasOutcome::Swapped);
        assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"b"[..]));
    }

    #[test]
    fn update_with_retry_appends_every_entry() {
        let store = MemoryStore::new();
        for i in 0..10u8 {
            update_with_retry(&store, "list", 8, |old| {
                let mut v = old.map(<[u8]>::to_vec).unwrap_or_default();
                v.push(i);
                Some(v)
            })
            .unwrap();
        }
        assert_eq!(store.get("list").unwrap().unwrap(), (0..10).collect::<Vec<u8>>());
    }
}
