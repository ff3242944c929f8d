//! Append-only slot logs: a counter taken with `increment` plus one key per slot.
//!
//! Spin's KV has no transactions and its compare-and-swap upserts absent keys, so a shared list
//! rewritten by several writers would lose entries. Here each writer reserves its own slot atomically
//! and writes a key nobody else writes; readers see every slot that has been filled. A slot reserved
//! but not yet written reads as absent and is skipped (its writer is still busy).

use crate::keys;
use kv_api::{KvResult, KvStore};

/// Appends `value` to the log at `prefix`; returns its slot number.
pub fn append(store: &dyn KvStore, prefix: &str, value: &str) -> KvResult<i64> {
    let slot = store.increment(&keys::log_counter(prefix), 1)?;
    store.set(&keys::log_slot(prefix, slot), value.as_bytes())?;
    Ok(slot)
}

/// The number of slots handed out so far.
pub fn len(store: &dyn KvStore, prefix: &str) -> KvResult<i64> {
    store.increment(&keys::log_counter(prefix), 0)
}

/// Slots read per `get_many` call (one host call in a component instead of one per slot).
const READ_BATCH: usize = 1000;

/// Every filled slot, in slot order.
pub fn read_all(store: &dyn KvStore, prefix: &str) -> KvResult<Vec<String>> {
    let n = len(store, prefix)?.max(0);
    let mut values = Vec::with_capacity(n.min(1 << 20) as usize);
    let mut first = 1;
    while first <= n {
        let last = n.min(first + READ_BATCH as i64 - 1);
        let names: Vec<String> = (first..=last).map(|slot| keys::log_slot(prefix, slot)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for bytes in store.get_many(&names)?.into_iter().flatten() {
            values.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        first = last + 1;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv_api::MemoryStore;

    #[test]
    fn read_all_spans_several_batches_and_skips_unfilled_slots() {
        let store = MemoryStore::new();
        for i in 0..2_500 {
            append(&store, "rr/test", &i.to_string()).unwrap();
        }
        // A reserved slot whose writer has not written yet.
        store.increment(&keys::log_counter("rr/test"), 1).unwrap();
        let all = read_all(&store, "rr/test").unwrap();
        assert_eq!(all.len(), 2_500);
        assert_eq!((all[0].as_str(), all[999].as_str(), all[1000].as_str(), all[2499].as_str()), ("0", "999", "1000", "2499"));
        assert!(read_all(&store, "rr/none").unwrap().is_empty());
    }
}
