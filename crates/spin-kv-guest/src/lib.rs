//! The component-side [`KvStore`]: Spin's `fermyon:spin/key-value@2.0.0` for plain reads and writes, and
//! `wasi:keyvalue/atomics@0.2.0-draft2` (as bound by spin-sdk's own world) for `increment` and CAS.
//!
//! Only meaningful on wasm32-wasip2 inside a Spin-compatible host: the imports abort when called natively.

use std::cell::OnceCell;

use kv_api::{CasOutcome, KvError, KvResult, KvStore};
use spin_sdk::key_value::{Error as SpinError, Store};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

/// One opened label. The wasi:keyvalue bucket for atomics is opened on first use, so components that only
/// read pay for one `open`.
pub struct SpinKvStore {
    label: String,
    store: Store,
    bucket: OnceCell<wasi_store::Bucket>,
}

impl SpinKvStore {
    /// Opens `label`; it must be listed in the component's `key_value_stores`.
    pub fn open(label: &str) -> KvResult<Self> {
        let store = Store::open(label).map_err(from_spin)?;
        Ok(Self { label: label.to_owned(), store, bucket: OnceCell::new() })
    }

    /// Opens the `default` label.
    pub fn open_default() -> KvResult<Self> {
        Self::open("default")
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn bucket(&self) -> KvResult<&wasi_store::Bucket> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = wasi_store::open(&self.label).map_err(from_wasi)?;
        Ok(self.bucket.get_or_init(|| bucket))
    }
}

/// Our gateway reports a read-only replica as `other(<KvError::ReadOnly's text>)`; components turn
/// `ReadOnly` into 503.
fn other_text(message: String) -> KvError {
    if message == KvError::ReadOnly.to_string() {
        KvError::ReadOnly
    } else {
        KvError::Other(message)
    }
}

fn from_spin(err: SpinError) -> KvError {
    match err {
        SpinError::AccessDenied => KvError::AccessDenied,
        SpinError::NoSuchStore => KvError::NoSuchStore,
        SpinError::StoreTableFull => KvError::Other("store table full".into()),
        SpinError::Other(message) => other_text(message),
    }
}

fn from_wasi(err: wasi_store::Error) -> KvError {
    match err {
        wasi_store::Error::AccessDenied => KvError::AccessDenied,
        wasi_store::Error::NoSuchStore => KvError::NoSuchStore,
        wasi_store::Error::Other(message) => other_text(message),
    }
}

impl KvStore for SpinKvStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.store.get(key).map_err(from_spin)
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.store.set(key, value).map_err(from_spin)
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        self.store.delete(key).map_err(from_spin)
    }

    fn exists(&self, key: &str) -> KvResult<bool> {
        self.store.exists(key).map_err(from_spin)
    }

    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.store.get_keys().map_err(from_spin)
    }

    /// One `wasi:keyvalue/batch.set-many` host call.
    fn set_many(&self, entries: &[(&str, &[u8])]) -> KvResult<()> {
        let owned: Vec<(String, Vec<u8>)> = entries.iter().map(|(k, v)| ((*k).to_owned(), v.to_vec())).collect();
        batch::set_many(self.bucket()?, &owned).map_err(from_wasi)
    }

    /// One `wasi:keyvalue/batch.get-many` host call; the host may answer in any order or omit missing keys.
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        let owned: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        let answer = batch::get_many(self.bucket()?, &owned).map_err(from_wasi)?;
        // Our gateway answers every key in order: the values move out without a copy.
        if answer.len() == keys.len() && answer.iter().zip(keys).all(|((got, _), key)| got == key) {
            return Ok(answer.into_iter().map(|(_, value)| value).collect());
        }
        // Spin's hosts may reorder the answer or leave missing keys out.
        let found: std::collections::HashMap<String, Option<Vec<u8>>> = answer.into_iter().collect();
        Ok(keys.iter().map(|key| found.get(*key).cloned().flatten()).collect())
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        atomics::increment(self.bucket()?, key, delta).map_err(from_wasi)
    }

    /// `current()` primes the host's CAS with the value it compares against; a mismatch is a conflict
    /// without a write. Under Spin an absent `current()` makes `swap` an unconditional upsert (see kv-api).
    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome> {
        let cas = atomics::Cas::new(self.bucket()?, key).map_err(from_wasi)?;
        if cas.current().map_err(from_wasi)?.as_deref() != expected {
            return Ok(CasOutcome::Conflict);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(CasOutcome::Swapped),
            Err(atomics::CasError::CasFailed(_)) => Ok(CasOutcome::Conflict),
            Err(atomics::CasError::StoreError(err)) => Err(from_wasi(err)),
        }
    }
}
