//! The one definition of every key the DQM GUI keeps in the shared store, and of their values.
//!
//! | key | value |
//! |---|---|
//! | `dqmgui/schema` | `"1"`, the layout version of everything below |
//! | `dqmgui/sample/<run>/<lumi><dataset>` | [`SampleRecord`] as JSON (the dataset starts with `/`) |
//! | `dqmgui/melist/<n>` | the sample's ME list blob ([`crate::melist`]); `n` from the counter below |
//! | `dqmgui/melist-seq` | counter (`increment`) that names fresh ME list blobs |
//! | `dqmgui/log-seq` | counter (`increment`) allocating slots of the sample log |
//! | `dqmgui/log/<n>` | [`SampleId`] as JSON: the sample registered into slot `n` |
//! | `dqmgui/catalog` | [`Catalog`] as JSON: every sample of slots `1..=upto`, sorted |
//! | `dqmgui/layouts` | the layouts as JSON ([`crate::layouts`]) |
//! | `dqmgui/layout-dirs` | the folders holding a layout at any depth, one `dir/` per line (derived from `dqmgui/layouts`, written after it) |
//! | `dqmgui/import-slot/<i>`, `dqmgui/import-slot-claim/<i>` | import slot leases and first-use claims ([`crate::slots`]) |
//!
//! **Concurrency** (Spin KV has no transactions). A new sample takes a slot from `increment` (atomic on every
//! backend) and writes its id into that slot: no two writers share a key, so no index entry can be lost.
//! The catalog is only a compaction of the log: writers fold the written slots into it with compare-and-swap
//! (`update_with_retry`) before answering, and readers add its `pending` slots and the written slots past its
//! `upto` (plain gets, no counter reads). A stale or overwritten catalog therefore costs a few extra reads,
//! never an entry (even where CAS on an absent key upserts: a lost fold is re-read from the log). `samples`,
//! `datasets` and `latest_runs` read the catalog plus those few slots, never `get_keys`.
//!
//! **Re-register** writes the new ME list under a fresh `melist/<n>` key, then flips the record's `melist`
//! pointer with compare-and-swap and deletes the old blob: a reader sees the old list or the new one. (Two
//! *first* registrations of one sample racing under Spin, whose CAS upserts an absent key, may leave one
//! unreferenced blob behind; the record and the listings stay correct.)

use kv_api::{update_with_retry, KvError, KvResult, KvStore};
use serde::{Deserialize, Serialize};

pub const SCHEMA_KEY: &str = "dqmgui/schema";
pub const SCHEMA_VERSION: &str = "1";
pub const LAYOUTS_KEY: &str = "dqmgui/layouts";
pub const LAYOUT_DIRS_KEY: &str = "dqmgui/layout-dirs";
const CATALOG_KEY: &str = "dqmgui/catalog";
const LOG_SEQ_KEY: &str = "dqmgui/log-seq";
const MELIST_SEQ_KEY: &str = "dqmgui/melist-seq";
const CAS_ATTEMPTS: usize = 64;

/// A sample's primary key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SampleId {
    pub dataset: String,
    pub run: u32,
    pub lumi: u32,
}

impl SampleId {
    pub fn new(dataset: &str, run: u32, lumi: u32) -> SampleId {
        SampleId { dataset: dataset.to_owned(), run, lumi }
    }

    pub fn record_key(&self) -> String {
        format!("dqmgui/sample/{}/{}{}", self.run, self.lumi, self.dataset)
    }
}

/// What is stored per sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub dataset: String,
    pub run: u32,
    pub lumi: u32,
    /// The registered path (under `/data`).
    pub file: String,
    pub fileformat: u8,
    /// Unix seconds of the registration.
    pub registered: u64,
    /// Key of the ME list blob.
    pub melist: String,
    pub me_count: usize,
}

impl SampleRecord {
    pub fn id(&self) -> SampleId {
        SampleId::new(&self.dataset, self.run, self.lumi)
    }
}

/// Every known sample, compacted from the log up to slot `upto` (minus `pending`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub upto: u64,
    /// Slots up to `upto` that were allocated but not yet written when the catalog was folded.
    #[serde(default)]
    pub pending: Vec<u64>,
    pub samples: Vec<SampleId>,
}

fn log_key(slot: u64) -> String {
    format!("dqmgui/log/{slot}")
}

fn other(e: impl std::fmt::Display) -> KvError {
    KvError::Other(e.to_string())
}

/// Writes the schema version key if it is missing (idempotent; every writer calls it).
pub fn ensure_schema(store: &dyn KvStore) -> KvResult<()> {
    match store.get(SCHEMA_KEY)? {
        Some(v) if v == SCHEMA_VERSION.as_bytes() => Ok(()),
        Some(v) => Err(KvError::Other(format!("store has dqmgui schema {:?}, expected {SCHEMA_VERSION}", String::from_utf8_lossy(&v)))),
        None => store.set(SCHEMA_KEY, SCHEMA_VERSION.as_bytes()),
    }
}

pub fn get_record(store: &dyn KvStore, id: &SampleId) -> KvResult<Option<SampleRecord>> {
    parse_record(store.get(&id.record_key())?.as_deref())
}

/// A record as read from its key (`None`: not registered).
pub fn parse_record(bytes: Option<&[u8]>) -> KvResult<Option<SampleRecord>> {
    bytes.map(|b| serde_json::from_slice(b).map_err(other)).transpose()
}

/// Stores a new ME list blob under a fresh key and returns the key.
pub fn put_melist(store: &dyn KvStore, blob: &[u8]) -> KvResult<String> {
    let key = format!("dqmgui/melist/{}", store.increment(MELIST_SEQ_KEY, 1)?);
    store.set(&key, blob)?;
    Ok(key)
}

/// Inserts or replaces `record` (its blob is already stored) and makes it visible to listings.
pub fn put_record(store: &dyn KvStore, record: &SampleRecord) -> KvResult<()> {
    let key = record.id().record_key();
    let text = serde_json::to_vec(record).map_err(other)?;
    let mut replaced: Option<String> = None;
    update_with_retry(store, &key, CAS_ATTEMPTS, |old| {
        replaced = old.and_then(|b| serde_json::from_slice::<SampleRecord>(b).ok()).map(|r| r.melist);
        Some(text.clone())
    })?;
    match replaced {
        Some(old_blob) if old_blob != record.melist => store.delete(&old_blob),
        Some(_) => Ok(()),
        None => append_to_log(store, &record.id()),
    }
}

fn append_to_log(store: &dyn KvStore, id: &SampleId) -> KvResult<()> {
    let slot = store.increment(LOG_SEQ_KEY, 1)?.max(0) as u64;
    store.set(&log_key(slot), &serde_json::to_vec(id).map_err(other)?)?;
    fold_catalog(store, slot)
}

/// Folds the written log slots up to `last` into the catalog; slots still being written stay `pending`.
fn fold_catalog(store: &dyn KvStore, last: u64) -> KvResult<()> {
    let mut failure = None;
    update_with_retry(store, CATALOG_KEY, CAS_ATTEMPTS, |old| {
        let mut catalog: Catalog = old.and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        if catalog.upto >= last && catalog.pending.is_empty() {
            return None;
        }
        match read_new_slots(store, &catalog, last) {
            Ok((ids, pending)) => {
                catalog.upto = catalog.upto.max(last);
                catalog.pending = pending;
                merge(&mut catalog.samples, ids);
                serde_json::to_vec(&catalog).ok()
            }
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    })?;
    failure.map_or(Ok(()), Err)
}

/// The ids in the catalog's pending slots and in slots `upto+1..=last`, plus the slots still unwritten.
fn read_new_slots(store: &dyn KvStore, catalog: &Catalog, last: u64) -> KvResult<(Vec<SampleId>, Vec<u64>)> {
    let (mut ids, mut pending) = (Vec::new(), Vec::new());
    for slot in catalog.pending.iter().copied().chain(catalog.upto + 1..=last) {
        match store.get(&log_key(slot))? {
            Some(bytes) => ids.push(serde_json::from_slice(&bytes).map_err(other)?),
            None => pending.push(slot),
        }
    }
    Ok((ids, pending))
}

fn merge(samples: &mut Vec<SampleId>, more: Vec<SampleId>) {
    samples.extend(more);
    samples.sort();
    samples.dedup();
}

/// Every registered sample, sorted by dataset, run, lumi. Reads only (no counter access, so replicas and
/// concurrent readers never write): the catalog, its pending slots, and the slots after `upto` up to the
/// first empty one. A writer folds its slot before answering, so every completed registration is seen.
pub fn all_samples(store: &dyn KvStore) -> KvResult<Vec<SampleId>> {
    let mut catalog: Catalog = match store.get(CATALOG_KEY)? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(other)?,
        None => Catalog::default(),
    };
    let (mut more, _) = read_new_slots(store, &catalog, catalog.upto)?;
    let mut slot = catalog.upto + 1;
    while let Some(bytes) = store.get(&log_key(slot))? {
        more.push(serde_json::from_slice(&bytes).map_err(other)?);
        slot += 1;
    }
    if !more.is_empty() {
        merge(&mut catalog.samples, more);
    }
    Ok(catalog.samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv_api::MemoryStore;

    fn record(dataset: &str, run: u32, blob: &str) -> SampleRecord {
        SampleRecord { dataset: dataset.into(), run, lumi: 0, file: "/data/x".into(), fileformat: 1, registered: 0, melist: blob.into(), me_count: 0 }
    }

    #[test]
    fn register_lists_once_and_replace_deletes_old_blob() {
        let store = MemoryStore::new();
        ensure_schema(&store).unwrap();
        let a = put_melist(&store, b"a").unwrap();
        put_record(&store, &record("/A/B/C", 1, &a)).unwrap();
        let b = put_melist(&store, b"b").unwrap();
        put_record(&store, &record("/A/B/C", 1, &b)).unwrap();
        assert_ne!(a, b);
        assert_eq!(store.get(&a).unwrap(), None);
        assert_eq!(all_samples(&store).unwrap(), vec![SampleId::new("/A/B/C", 1, 0)]);
        assert_eq!(get_record(&store, &SampleId::new("/A/B/C", 1, 0)).unwrap().unwrap().melist, b);
    }

    #[test]
    fn readers_see_slots_the_catalog_missed() {
        let store = MemoryStore::new();
        put_record(&store, &record("/A/B/C", 1, "k1")).unwrap();
        // A writer that allocated and wrote its slot but has not folded yet.
        let slot = store.increment(LOG_SEQ_KEY, 1).unwrap();
        store.set(&log_key(slot as u64), &serde_json::to_vec(&SampleId::new("/D/E/F", 2, 0)).unwrap()).unwrap();
        assert_eq!(all_samples(&store).unwrap().len(), 2);
        // A slot allocated but not yet written stays pending and is picked up once written.
        let gap = store.increment(LOG_SEQ_KEY, 1).unwrap() as u64;
        put_record(&store, &record("/G/H/I", 3, "k3")).unwrap();
        assert_eq!(all_samples(&store).unwrap().len(), 3);
        let catalog: Catalog = serde_json::from_slice(&store.get(CATALOG_KEY).unwrap().unwrap()).unwrap();
        assert_eq!((catalog.upto, catalog.pending.clone()), (4, vec![gap]));
        store.set(&log_key(gap), &serde_json::to_vec(&SampleId::new("/J/K/L", 4, 0)).unwrap()).unwrap();
        assert_eq!(all_samples(&store).unwrap().len(), 4);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        put_record(&*store, &record("/A/B/C", t * 100 + i, "k")).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(all_samples(&*store).unwrap().len(), 200);
    }

    #[test]
    fn a_foreign_schema_is_refused() {
        let store = MemoryStore::new();
        store.set(SCHEMA_KEY, b"9").unwrap();
        assert!(ensure_schema(&store).is_err());
    }
}
