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

/// Every filled slot, in slot order.
pub fn read_all(store: &dyn KvStore, prefix: &str) -> KvResult<Vec<String>> {
    let n = len(store, prefix)?;
    let mut values = Vec::with_capacity(n.clamp(0, 1 << 20) as usize);
    for slot in 1..=n {
        if let Some(bytes) = store.get(&keys::log_slot(prefix, slot))? {
            values.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(values)
}
