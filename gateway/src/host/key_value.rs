//! `fermyon:spin/key-value@2.0.0` over the shared `kv-store` backends, with Spin's per-component allow-list.

use kv_api::{KvError, KvResult, KvStore};
use kv_store::SharedStore;
use wasmtime::component::Resource;

use super::HostState;
use crate::bindings::key_value::{Error, Host, HostStore};

/// Spin's cap on one read (`MAX_HOST_BUFFERED_BYTES`).
pub const MAX_READ_BYTES: usize = 128 * 1024 * 1024;

/// An opened label: the store, and whether its reads may run on the async worker.
#[derive(Clone)]
pub struct Opened {
    pub store: SharedStore,
    /// A local SQLite file: a read is a few µs from the page cache (WAL readers never wait for writers),
    /// far less than the two thread hops of the blocking pool, so reads run inline. Writes (which may wait
    /// for another process's lock) and every call to a networked backend still go to the blocking pool.
    pub inline_reads: bool,
}

/// A store handle the guest holds.
pub struct OpenStore {
    pub store: Opened,
}

/// Runs a synchronous store call on the blocking pool, so a write or a remote store never stalls the async workers.
pub async fn blocking<R: Send + 'static>(
    store: &Opened,
    call: impl FnOnce(&dyn KvStore) -> KvResult<R> + Send + 'static,
) -> KvResult<R> {
    let store = store.store.clone();
    tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .unwrap_or_else(|join| Err(KvError::Other(format!("store call failed: {join}"))))
}

/// Runs a read: inline on a local SQLite store, else like [`blocking`].
pub async fn read<R: Send + 'static>(
    store: &Opened,
    call: impl FnOnce(&dyn KvStore) -> KvResult<R> + Send + 'static,
) -> KvResult<R> {
    if store.inline_reads {
        call(store.store.as_ref())
    } else {
        blocking(store, call).await
    }
}

/// Fails a read over Spin's limit the way Spin words it.
pub fn check_read_size(len: usize) -> KvResult<()> {
    if len > MAX_READ_BYTES {
        return Err(KvError::Other(format!("query result exceeds limit of {MAX_READ_BYTES} bytes")));
    }
    Ok(())
}

fn to_wit(err: KvError) -> Error {
    match err {
        KvError::AccessDenied => Error::AccessDenied,
        KvError::NoSuchStore => Error::NoSuchStore,
        // Components match on this text to answer 503 on a replica.
        KvError::ReadOnly => Error::Other(KvError::ReadOnly.to_string()),
        KvError::Other(message) => Error::Other(message),
    }
}

impl HostState {
    /// The store behind `label` if this component lists it (Spin: `access-denied` otherwise, whether or not
    /// the label exists).
    pub fn open_label(&self, label: &str) -> KvResult<Opened> {
        if !self.component.key_value_stores.iter().any(|allowed| allowed == label) {
            return Err(KvError::AccessDenied);
        }
        let store = self.stores.open_label(label)?;
        Ok(Opened { store, inline_reads: self.component.local_stores.contains(label) })
    }

    fn handle(&self, handle: &Resource<OpenStore>) -> wasmtime::Result<Opened> {
        Ok(self.table.get(handle)?.store.clone())
    }
}

impl Host for HostState {}

impl HostStore for HostState {
    async fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        match self.open_label(&label) {
            Ok(store) => Ok(Ok(self.table.push(OpenStore { store })?)),
            Err(err) => Ok(Err(to_wit(err))),
        }
    }

    async fn get(&mut self, handle: Resource<OpenStore>, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let store = self.handle(&handle)?;
        let value = read(&store, move |s| {
            let value = s.get(&key)?;
            check_read_size(value.as_ref().map_or(0, Vec::len))?;
            Ok(value)
        });
        Ok(value.await.map_err(to_wit))
    }

    async fn set(&mut self, handle: Resource<OpenStore>, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        let store = self.handle(&handle)?;
        Ok(blocking(&store, move |s| s.set(&key, &value)).await.map_err(to_wit))
    }

    async fn delete(&mut self, handle: Resource<OpenStore>, key: String) -> wasmtime::Result<Result<(), Error>> {
        let store = self.handle(&handle)?;
        Ok(blocking(&store, move |s| s.delete(&key)).await.map_err(to_wit))
    }

    async fn exists(&mut self, handle: Resource<OpenStore>, key: String) -> wasmtime::Result<Result<bool, Error>> {
        let store = self.handle(&handle)?;
        Ok(read(&store, move |s| s.exists(&key)).await.map_err(to_wit))
    }

    async fn get_keys(&mut self, handle: Resource<OpenStore>) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let store = self.handle(&handle)?;
        let keys = blocking(&store, |s| {
            let keys = s.get_keys()?;
            check_read_size(keys.iter().map(String::len).sum())?;
            Ok(keys)
        });
        Ok(keys.await.map_err(to_wit))
    }

    async fn drop(&mut self, handle: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}
