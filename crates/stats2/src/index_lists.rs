//! The secondary-index lists in the store: per index value, the workflow names in byte order, one per line.
//!
//! A list lives under its base key until it grows past [`SHARD_THRESHOLD`] names; it is then split into
//! [`SHARDS`] shard keys (`<base>#<n>`, by a hash of the name) and the base key holds [`SHARDED`], so no
//! value outgrows Spin's 1 MB limit even at the real service's ~800k workflows. Every edit is a
//! compare-and-swap, so concurrent writers lose no entry; a shard written while converting is merged,
//! never overwritten.

use crate::Error;
use kv_api::{update_with_retry, CasOutcome, KvStore};

pub const SHARD_THRESHOLD: usize = 4096;
pub const SHARDS: u64 = 256;
/// Base-key marker of a sharded list; it cannot start a list because names have no control characters.
pub const SHARDED: &[u8] = b"\x01sharded:256";
const CAS_ATTEMPTS: usize = 64;

fn shard_key(base: &str, name: &str) -> String {
    format!("{base}#{}", crate::keys::fnv1a(name.as_bytes()) % SHARDS)
}

/// The names listed under `base`, sorted.
pub fn names(store: &dyn KvStore, base: &str) -> Result<Vec<String>, Error> {
    let Some(list) = store.get(base)? else {
        return Ok(Vec::new());
    };
    if list != SHARDED {
        return Ok(decode(&list));
    }
    let mut all = Vec::new();
    for shard in 0..SHARDS {
        if let Some(list) = store.get(&format!("{base}#{shard}"))? {
            all.extend(decode(&list));
        }
    }
    all.sort();
    Ok(all)
}

pub fn add(store: &dyn KvStore, base: &str, name: &str) -> Result<(), Error> {
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(base)?;
        if current.as_deref() == Some(SHARDED) {
            update_with_retry(store, &shard_key(base, name), CAS_ATTEMPTS, |old| {
                insert(old.unwrap_or_default(), name)
            })?;
            return Ok(());
        }
        let Some(next) = insert(current.as_deref().unwrap_or_default(), name) else {
            return Ok(());
        };
        let count = next.iter().filter(|b| **b == b'\n').count() + 1;
        if count > SHARD_THRESHOLD {
            let names = decode(&next);
            for shard in 0..SHARDS {
                let members: Vec<&String> = names
                    .iter()
                    .filter(|n| crate::keys::fnv1a(n.as_bytes()) % SHARDS == shard)
                    .collect();
                let key = format!("{base}#{shard}");
                update_with_retry(store, &key, CAS_ATTEMPTS, |old| {
                    let mut list = old.unwrap_or_default().to_vec();
                    let before = list.len();
                    for member in &members {
                        if let Some(next) = insert(&list, member) {
                            list = next;
                        }
                    }
                    (list.len() != before || old.is_none()).then_some(list)
                })?;
            }
            if store.compare_and_swap(base, current.as_deref(), SHARDED)? == CasOutcome::Swapped {
                return Ok(());
            }
        } else if store.compare_and_swap(base, current.as_deref(), &next)? == CasOutcome::Swapped {
            return Ok(());
        }
    }
    Err(Error::Conflict(format!("index list {base} kept changing")))
}

pub fn remove(store: &dyn KvStore, base: &str, name: &str) -> Result<(), Error> {
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = store.get(base)? else {
            return Ok(());
        };
        if current == SHARDED {
            update_with_retry(store, &shard_key(base, name), CAS_ATTEMPTS, |old| {
                delete(old?, name)
            })?;
            return Ok(());
        }
        // An emptied list stays (it reads like a missing one): deleting it could race a concurrent add.
        let Some(next) = delete(&current, name) else {
            return Ok(());
        };
        if store.compare_and_swap(base, Some(&current), &next)? == CasOutcome::Swapped {
            return Ok(());
        }
    }
    Err(Error::Conflict(format!("index list {base} kept changing")))
}

fn decode(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Finds `name` by bisecting on bytes: `Ok(line start)` if listed, else `Err(insertion offset)`.
/// Lists are edited on every write, so this avoids splitting them into lines.
fn bisect(list: &[u8], name: &[u8]) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0, list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = list[lo..mid]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(lo, |i| lo + i + 1);
        let end = list[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(list.len(), |i| start + i);
        match list[start..end].cmp(name) {
            std::cmp::Ordering::Equal => return Ok(start),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    Err(lo.min(list.len()))
}

/// The list with `name` inserted in order; `None`: already listed.
fn insert(list: &[u8], name: &str) -> Option<Vec<u8>> {
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

/// The list without `name`; `None`: not listed.
fn delete(list: &[u8], name: &str) -> Option<Vec<u8>> {
    let offset = bisect(list, name.as_bytes()).ok()?;
    let end = offset + name.len();
    let (cut_from, cut_to) = if end < list.len() {
        (offset, end + 1)
    } else {
        (offset.saturating_sub(1), end)
    };
    let mut out = list[..cut_from].to_vec();
    out.extend_from_slice(&list[cut_to..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv_api::MemoryStore;

    #[test]
    fn sorted_list_edits() {
        let mut list = Vec::new();
        for name in ["m", "a", "z", "c", "m"] {
            if let Some(next) = insert(&list, name) {
                list = next;
            }
        }
        assert_eq!(list, b"a\nc\nm\nz");
        assert_eq!(insert(&list, "c"), None);
        assert_eq!(delete(&list, "q"), None);
        assert_eq!(delete(&list, "a").unwrap(), b"c\nm\nz");
        assert_eq!(delete(&list, "m").unwrap(), b"a\nc\nz");
        assert_eq!(delete(&list, "z").unwrap(), b"a\nc\nm");
        assert_eq!(delete(b"only", "only").unwrap(), b"");
        assert_eq!(insert(b"", "x").unwrap(), b"x");
    }

    #[test]
    fn matches_a_sorted_vec_on_names_of_varying_length() {
        let mut expected: Vec<String> = Vec::new();
        let mut list = Vec::new();
        for i in 0..300u32 {
            let name = format!("w{}", (i * 7919) % 1000);
            let name = if i % 3 == 0 {
                format!("{name}_long_suffix")
            } else {
                name
            };
            if let Some(next) = insert(&list, &name) {
                list = next;
                expected.push(name);
            }
        }
        expected.sort();
        assert_eq!(decode(&list), expected);
        for name in expected.iter().step_by(2) {
            list = delete(&list, name).unwrap();
        }
        assert_eq!(
            decode(&list),
            expected
                .iter()
                .skip(1)
                .step_by(2)
                .cloned()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn big_lists_are_sharded_and_stay_complete() {
        let store = MemoryStore::new();
        let all: Vec<String> = (0..SHARD_THRESHOLD + 50)
            .map(|i| format!("wf_{i:06}"))
            .collect();
        for name in all.iter().rev() {
            add(&store, "idx", name).unwrap();
        }
        assert_eq!(store.get("idx").unwrap().as_deref(), Some(SHARDED));
        assert!(store
            .get_keys()
            .unwrap()
            .iter()
            .all(|k| k == "idx" || k.starts_with("idx#")));
        assert_eq!(names(&store, "idx").unwrap(), all);
        add(&store, "idx", &all[7]).unwrap();
        remove(&store, "idx", &all[3]).unwrap();
        remove(&store, "idx", "never-listed").unwrap();
        let mut left = all.clone();
        left.remove(3);
        assert_eq!(names(&store, "idx").unwrap(), left);
        let biggest = store
            .get_keys()
            .unwrap()
            .iter()
            .map(|k| store.get(k).unwrap().unwrap().len())
            .max()
            .unwrap();
        assert!(biggest < 2000, "shards stay small: {biggest} bytes");
    }
}
