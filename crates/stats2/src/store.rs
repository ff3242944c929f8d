//! Reading and writing Stats2 state in the key-value store: documents with their index entries, settings.
//!
//! Index lists are kept a superset of the truth: a write adds the new entries first, then writes the
//! document, then removes the stale ones; a delete removes the document first. A crash in between can
//! leave only extra entries, and readers check every hit against its document ([`Index::matches`]).

use crate::document::{index_entries, Doc, Index};
use crate::{keys, Error};
use kv_api::{update_with_retry, CasOutcome, KvStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// CAS attempts on a shared list before giving up (the writer then counts the workflow as failed).
const CAS_ATTEMPTS: usize = 64;

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
        Settings { last_reqmgr_sequence: "0".into(), last_dbs_update_date: 0, failed_workflows: Vec::new() }
    }
}

pub fn load_settings(store: &dyn KvStore) -> Result<Settings, Error> {
    match store.get(keys::SETTINGS)? {
        None => Ok(Settings::default()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt(format!("{}: {e}", keys::SETTINGS))),
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
    let Some(bytes) = store.get(&keys::doc(name))? else { return Ok(None) };
    let doc = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt(format!("document {name}: {e}")))?;
    Ok(Some(Stored { doc, bytes }))
}

/// True when two documents differ in more than `LastUpdate`/`_rev` (spec §10a Decision).
pub fn same_content(a: &Doc, b: &Doc) -> bool {
    let strip = |d: &Doc| -> Doc {
        d.iter().filter(|(k, _)| *k != "LastUpdate" && *k != "_rev").map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    strip(a) == strip(b)
}

/// Writes `doc` (stamping `LastUpdate = now`) over the version read as `previous`, and keeps the indexes.
/// Fails with [`Error::Conflict`] when another writer changed the document since it was read.
pub fn save_doc(store: &dyn KvStore, name: &str, previous: Option<&Stored>, mut doc: Doc, now: i64) -> Result<Doc, Error> {
    doc.insert("LastUpdate".into(), Value::from(now));
    let new_entries = index_entries(&doc);
    let old_entries = previous.map(|p| index_entries(&p.doc)).unwrap_or_default();
    for (index, value) in new_entries.difference(&old_entries) {
        add_to_index(store, *index, value, name)?;
    }
    let bytes = to_json(&doc);
    if store.compare_and_swap(&keys::doc(name), previous.map(|p| p.bytes.as_slice()), &bytes)? == CasOutcome::Conflict {
        return Err(Error::Conflict(format!("document {name} changed while it was being updated")));
    }
    for (index, value) in old_entries.difference(&new_entries) {
        remove_from_index(store, *index, value, name)?;
    }
    Ok(doc)
}

/// Removes a document and then its index entries; a missing document is fine.
pub fn delete_doc(store: &dyn KvStore, name: &str) -> Result<bool, Error> {
    let Some(stored) = load_doc(store, name)? else { return Ok(false) };
    store.delete(&keys::doc(name))?;
    for (index, value) in index_entries(&stored.doc) {
        remove_from_index(store, index, &value, name)?;
    }
    Ok(true)
}

/// Workflow names listed under an index value, in name order (may include stale names: check the doc).
pub fn index_lookup(store: &dyn KvStore, index: Index, value: &str) -> Result<Vec<String>, Error> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.get(&keys::index(index, value))?.map(|bytes| decode_names(&bytes)).unwrap_or_default())
}

/// Every stored workflow name, sorted. Scans all keys: only for unfiltered listings.
pub fn all_workflow_names(store: &dyn KvStore) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> =
        store.get_keys()?.iter().filter_map(|k| keys::workflow_of_doc_key(k)).map(str::to_owned).collect();
    names.sort();
    Ok(names)
}

fn decode_names(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Finds `name` in a sorted newline-separated list by bisecting on bytes: `Ok(line start)` if listed,
/// else `Err(insertion offset)`. Big lists are edited often, so this avoids splitting them into lines.
fn bisect(list: &[u8], name: &[u8]) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0, list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = list[lo..mid].iter().rposition(|b| *b == b'\n').map_or(lo, |i| lo + i + 1);
        let end = list[start..].iter().position(|b| *b == b'\n').map_or(list.len(), |i| start + i);
        match list[start..end].cmp(name) {
            std::cmp::Ordering::Equal => return Ok(start),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    Err(lo.min(list.len()))
}

/// Inserts `name` into the sorted list. `None`: already listed.
fn insert_line(list: &[u8], name: &str) -> Option<Vec<u8>> {
    let name = name.as_bytes();
    let at = bisect(list, name).err()?;
    let mut out = Vec::with_capacity(list.len() + name.len() + 1);
    if at < list.len() {
        out.extend_from_slice(&list[..at]);
        out.extend_from_slice(name);
        out.push(b'\n');
        out.extend_from_slice(&list[at..]);
    } else {
        out.extend_from_slice(list);
        if !list.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(name);
    }
    Some(out)
}

/// Removes `name` from the list. `None`: not listed.
fn remove_line(list: &[u8], name: &str) -> Option<Vec<u8>> {
    let offset = bisect(list, name.as_bytes()).ok()?;
    let end = offset + name.len();
    let (cut_from, cut_to) = if end < list.len() { (offset, end + 1) } else { (offset.saturating_sub(1), end) };
    let mut out = list[..cut_from].to_vec();
    out.extend_from_slice(&list[cut_to..]);
    Some(out)
}

fn add_to_index(store: &dyn KvStore, index: Index, value: &str, name: &str) -> Result<(), Error> {
    update_with_retry(store, &keys::index(index, value), CAS_ATTEMPTS, |old| insert_line(old.unwrap_or_default(), name))?;
    Ok(())
}

fn remove_from_index(store: &dyn KvStore, index: Index, value: &str, name: &str) -> Result<(), Error> {
    // An emptied list is left in place (it reads like a missing one): deleting it could race a concurrent add.
    update_with_retry(store, &keys::index(index, value), CAS_ATTEMPTS, |old| remove_line(old?, name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_list_edits() {
        let mut list = Vec::new();
        for name in ["m", "a", "z", "c", "m"] {
            if let Some(next) = insert_line(&list, name) {
                list = next;
            }
        }
        assert_eq!(list, b"a\nc\nm\nz");
        assert_eq!(insert_line(&list, "c"), None);
        assert_eq!(remove_line(&list, "q"), None);
        assert_eq!(remove_line(&list, "a").unwrap(), b"c\nm\nz");
        assert_eq!(remove_line(&list, "m").unwrap(), b"a\nc\nz");
        assert_eq!(remove_line(&list, "z").unwrap(), b"a\nc\nm");
        assert_eq!(remove_line(b"only", "only").unwrap(), b"");
        assert_eq!(decode_names(b"a\nc"), ["a", "c"]);
        assert_eq!(insert_line(b"", "x").unwrap(), b"x");
        // Against a plain sorted Vec on many names of varying lengths.
        let mut expected: Vec<String> = Vec::new();
        let mut list = Vec::new();
        for i in 0..300u32 {
            let name = format!("w{}", (i * 7919) % 1000);
            let name = if i % 3 == 0 { format!("{name}_long_suffix") } else { name };
            if let Some(next) = insert_line(&list, &name) {
                list = next;
                expected.push(name);
            }
        }
        expected.sort();
        assert_eq!(decode_names(&list), expected);
        for name in expected.iter().step_by(2) {
            list = remove_line(&list, name).unwrap();
        }
        assert_eq!(decode_names(&list), expected.iter().skip(1).step_by(2).cloned().collect::<Vec<_>>());
    }
}
