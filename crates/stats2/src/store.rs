//! Reading and writing Stats2 state in the key-value store: documents with their index entries, settings.
//!
//! Index lists are kept a superset of the truth: a write adds the new entries first, then writes the
//! document, then removes the stale ones; a delete removes the document first. A crash in between can
//! leave only extra entries, and readers check every hit against its document ([`Index::matches`]).

use crate::document::{index_entries, Doc, Index};
use crate::{index_lists, keys, Error};
use kv_api::{CasOutcome, KvStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Sync bookkeeping (spec §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The `_changes` `last_seq`, verbatim.
    pub last_reqmgr_sequence: String,
    /// UNIX time at which the last completed pass started.
    pub last_dbs_update_date: i64,
    pub failed_workflows: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            last_reqmgr_sequence: "0".into(),
            last_dbs_update_date: 0,
            failed_workflows: Vec::new(),
        }
    }
}

pub fn load_settings(store: &dyn KvStore) -> Result<Settings, Error> {
    match store.get(keys::SETTINGS)? {
        None => Ok(Settings::default()),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("{}: {e}", keys::SETTINGS))),
    }
}

pub fn save_settings(store: &dyn KvStore, settings: &Settings) -> Result<(), Error> {
    store.set(keys::SETTINGS, &to_json(settings))?;
    Ok(())
}

pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising plain data (string-keyed maps, no floats that are NaN) cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// A stored document together with the exact bytes it was read as (for compare-and-swap).
pub struct Stored {
    pub doc: Doc,
    pub bytes: Vec<u8>,
}

pub fn load_doc(store: &dyn KvStore, name: &str) -> Result<Option<Stored>, Error> {
    let Some(bytes) = store.get(&keys::doc(name))? else {
        return Ok(None);
    };
    let doc = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Corrupt(format!("document {name}: {e}")))?;
    Ok(Some(Stored { doc, bytes }))
}

/// True when two documents differ in more than `LastUpdate`/`_rev` (spec §10a Decision).
pub fn same_content(a: &Doc, b: &Doc) -> bool {
    let strip = |d: &Doc| -> Doc {
        d.iter()
            .filter(|(k, _)| *k != "LastUpdate" && *k != "_rev")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    strip(a) == strip(b)
}

/// Writes `doc` (stamping `LastUpdate = now`) over the version read as `previous`, and keeps the indexes.
/// Fails with [`Error::Conflict`] when another writer changed the document since it was read.
pub fn save_doc(
    store: &dyn KvStore,
    name: &str,
    previous: Option<&Stored>,
    mut doc: Doc,
    now: i64,
) -> Result<Doc, Error> {
    doc.insert("LastUpdate".into(), Value::from(now));
    let new_entries = index_entries(&doc);
    let old_entries = previous.map(|p| index_entries(&p.doc)).unwrap_or_default();
    if previous.is_none() {
        index_lists::add(store, keys::ALL_WORKFLOWS, name)?;
    }
    for (index, value) in new_entries.difference(&old_entries) {
        index_lists::add(store, &keys::index(*index, value), name)?;
    }
    let bytes = to_json(&doc);
    if store.compare_and_swap(
        &keys::doc(name),
        previous.map(|p| p.bytes.as_slice()),
        &bytes,
    )? == CasOutcome::Conflict
    {
        return Err(Error::Conflict(format!(
            "document {name} changed while it was being updated"
        )));
    }
    for (index, value) in old_entries.difference(&new_entries) {
        index_lists::remove(store, &keys::index(*index, value), name)?;
    }
    bump_generation(store)?;
    Ok(doc)
}

/// Raises [`keys::GENERATION`] after a write, which invalidates every cached view answer. A reader
/// reads the generation before the documents, so an answer cached from before a write carries an older
/// generation than the one this sets after it. A plain decimal value (not `increment`), so that readers
/// see it with the same `get_many` as the cache entry on every backend.
pub fn bump_generation(store: &dyn KvStore) -> Result<(), Error> {
    kv_api::update_with_retry(store, keys::GENERATION, 64, |old| {
        let current: u64 = old.and_then(|b| std::str::from_utf8(b).ok()?.parse().ok()).unwrap_or(0);
        Some((current + 1).to_string().into_bytes())
    })?;
    Ok(())
}

/// Removes a document and then its index entries; a missing document is fine.
pub fn delete_doc(store: &dyn KvStore, name: &str) -> Result<bool, Error> {
    let Some(stored) = load_doc(store, name)? else {
        return Ok(false);
    };
    store.delete(&keys::doc(name))?;
    for (index, value) in index_entries(&stored.doc) {
        index_lists::remove(store, &keys::index(index, &value), name)?;
    }
    index_lists::remove(store, keys::ALL_WORKFLOWS, name)?;
    bump_generation(store)?;
    Ok(true)
}

/// Workflow names listed under an index value, in name order (may include stale names: check the doc).
pub fn index_lookup(store: &dyn KvStore, index: Index, value: &str) -> Result<Vec<String>, Error> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    index_lists::names(store, &keys::index(index, value))
}

/// Every stored workflow name, sorted (from the all-workflows list: the store is shared, so no key scan).
pub fn all_workflow_names(store: &dyn KvStore) -> Result<Vec<String>, Error> {
    index_lists::names(store, keys::ALL_WORKFLOWS)
}
