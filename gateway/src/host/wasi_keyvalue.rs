//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` as Spin provides it: the same allow-list as Spin's
//! key-value API, `increment`, and compare-and-swap with Spin's SQLite semantics.

use kv_api::{CasOutcome, KvError};
use wasmtime::component::Resource;

use super::key_value::{blocking, check_read_size, read, Opened};
use super::HostState;
use crate::bindings::wasi_keyvalue::{atomics, batch, store};

/// A bucket handle the guest holds.
pub struct Bucket {
    pub store: Opened,
}

/// A CAS handle: the key and, once `current()` ran, the value it saw (`Some(None)`: the key was absent).
pub struct Cas {
    store: Opened,
    key: String,
    seen: Option<Option<Vec<u8>>>,
}

fn to_wit(err: KvError) -> store::Error {
    match err {
        KvError::AccessDenied => store::Error::AccessDenied,
        KvError::NoSuchStore => store::Error::NoSuchStore,
        KvError::ReadOnly => store::Error::Other(KvError::ReadOnly.to_string()),
        KvError::Other(message) => store::Error::Other(message),
    }
}

impl HostState {
    fn bucket(&self, handle: &Resource<Bucket>) -> wasmtime::Result<Opened> {
        Ok(self.table.get(handle)?.store.clone())
    }
}

impl store::Host for HostState {
    async fn open(&mut self, identifier: String) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        match self.open_label(&identifier) {
            Ok(store) => Ok(Ok(self.table.push(Bucket { store })?)),
            Err(err) => Ok(Err(to_wit(err))),
        }
    }
}

impl store::HostBucket for HostState {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let store = self.bucket(&bucket)?;
        let value = read(&store, move |s| {
            let value = s.get(&key)?;
            check_read_size(value.as_ref().map_or(0, Vec::len))?;
            Ok(value)
        });
        Ok(value.await.map_err(to_wit))
    }

    async fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(blocking(&store, move |s| s.set(&key, &value)).await.map_err(to_wit))
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(blocking(&store, move |s| s.delete(&key)).await.map_err(to_wit))
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> wasmtime::Result<Result<bool, store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(read(&store, move |s| s.exists(&key)).await.map_err(to_wit))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        if cursor.is_some() {
            return Ok(Err(store::Error::Other("list_keys: cursor not supported".into())));
        }
        let store = self.bucket(&bucket)?;
        let keys = blocking(&store, |s| {
            let keys = s.get_keys()?;
            check_read_size(keys.iter().map(String::len).sum())?;
            Ok(keys)
        });
        Ok(keys.await.map(|keys| store::KeyResponse { keys, cursor: None }).map_err(to_wit))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    async fn increment(&mut self, bucket: Resource<Bucket>, key: String, delta: i64) -> wasmtime::Result<Result<i64, store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(blocking(&store, move |s| s.increment(&key, delta)).await.map_err(to_wit))
    }

    /// Spin's SQLite CAS: with a remembered value, swap only if the key still holds it; without one (no
    /// `current()`, or the key was absent) the write is an unconditional upsert. A conflict hands back a
    /// new CAS primed with the current value.
    async fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let Cas { store, key, seen } = self.table.delete(cas)?;
        let expected = seen.flatten();
        let write_key = key.clone();
        let outcome = blocking(&store, move |s| match &expected {
            Some(old) => s.compare_and_swap(&write_key, Some(old), &value),
            None => s.set(&write_key, &value).map(|()| CasOutcome::Swapped),
        })
        .await;
        match outcome {
            Ok(CasOutcome::Swapped) => Ok(Ok(())),
            Err(err) => Ok(Err(atomics::CasError::StoreError(to_wit(err)))),
            Ok(CasOutcome::Conflict) => {
                let read_key = key.clone();
                let current = match read(&store, move |s| s.get(&read_key)).await {
                    Ok(current) => current,
                    Err(err) => return Ok(Err(atomics::CasError::StoreError(to_wit(err)))),
                };
                let retry = self.table.push(Cas { store, key, seen: Some(current) })?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
        }
    }
}

impl atomics::HostCas for HostState {
    async fn new(&mut self, bucket: Resource<Bucket>, key: String) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(Ok(self.table.push(Cas { store, key, seen: None })?))
    }

    async fn current(&mut self, cas: Resource<Cas>) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let (store, key) = {
            let cas = self.table.get(&cas)?;
            (cas.store.clone(), cas.key.clone())
        };
        let value = match read(&store, move |s| s.get(&key)).await {
            Ok(value) => value,
            Err(err) => return Ok(Err(to_wit(err))),
        };
        self.table.get_mut(&cas)?.seen = Some(value.clone());
        Ok(Ok(value))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for HostState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        let store = self.bucket(&bucket)?;
        // One backend call (one SQLite transaction, one Redis MGET) for the whole batch.
        let values = read(&store, move |s| {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let values = s.get_many(&refs)?;
            check_read_size(values.iter().flatten().map(Vec::len).sum())?;
            Ok(keys.into_iter().zip(values).collect())
        });
        Ok(values.await.map_err(to_wit))
    }

    async fn set_many(&mut self, bucket: Resource<Bucket>, entries: Vec<(String, Vec<u8>)>) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.bucket(&bucket)?;
        // One transaction on SQLite (all or nothing), instead of one commit per entry.
        Ok(blocking(&store, move |s| {
            let borrowed: Vec<(&str, &[u8])> = entries.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
            s.set_many(&borrowed)
        })
        .await
        .map_err(to_wit))
    }

    async fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.bucket(&bucket)?;
        Ok(blocking(&store, move |s| keys.iter().try_for_each(|k| s.delete(k))).await.map_err(to_wit))
    }
}
