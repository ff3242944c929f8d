//! The secondary-index lists in the store: per index value, the workflow names in byte order, one per line.
//!
//! A list lives under its base key until it reaches [`SHARD_THRESHOLD`] names; it is then split into
//! [`SHARDS`] shard keys (`<base>#<n>`, by a hash of the name) and the base key holds [`SHARDED`], so no
//! value outgrows Spin's 1 MB limit even at the real service's ~800k workflows. Every edit is a
//! compare-and-swap, so concurrent writers lose no entry.

use crate::Error;
use kv_api::{update_with_retry, CasOutcome, KvStore};

/// Every add rewrites the whole list, so a big unsharded list makes a first sync quadratic in bytes
/// written (4096 took a 10k-workflow sync from 22 s to 30 s); sharded reads are one `get_many`.
pub const SHARD_THRESHOLD: usize = 1024;
pub const SHARDS: u64 = 256;
/// Base-key marker of a sharded list; no list starts with it because names have no control characters.
pub const SHARDED: &[u8] = b"\x01sharded:256";
/// Base-key prefix while a list is being split: the full list follows, frozen, and any writer that
/// meets it finishes the split first (so a crash mid-split is completed by the next writer).
const SHARDING: &[u8] = b"\x01sharding\n";
const CAS_ATTEMPTS: usize = 64;

enum State<'a> {
    List(&'a [u8]),
    Splitting(&'a [u8]),
    Sharded,
}

fn state(base_value: &[u8]) -> State<'_> {
    if base_value == SHARDED {
        State::Sharded
    } else if let Some(list) = base_value.strip_prefix(SHARDING) {
        State::Splitting(list)
    } else {
        State::List(base_value)
    }
}

fn shard_of(name: &str) -> u64 {
    crate::keys::fnv1a(name.as_bytes()) % SHARDS
}

/// The names listed under `base`, sorted.
pub fn names(store: &dyn KvStore, base: &str) -> Result<Vec<String>, Error> {
    let Some(value) = store.get(base)? else {
        return Ok(Vec::new());
    };
    match state(&value) {
        State::List(list) | State::Splitting(list) => Ok(decode(list)),
        State::Sharded => {
            // Every shard in one round trip.
            let keys: Vec<String> = (0..SHARDS).map(|shard| format!("{base}#{shard}")).collect();
            let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let mut all: Vec<String> = store
                .get_many(&key_refs)?
                .iter()
                .flatten()
                .flat_map(|list| decode(list))
                .collect();
            all.sort();
            Ok(all)
        }
    }
}

pub fn add(store: &dyn KvStore, base: &str, name: &str) -> Result<(), Error> {
    edit(store, base, name, |list| insert(list, name))
}

pub fn remove(store: &dyn KvStore, base: &str, name: &str) -> Result<(), Error> {
    // An emptied list stays (it reads like a missing one): deleting it could race a concurrent add.
    edit(store, base, name, |list| delete(list, name))
}

/// Applies `change` (`None`: nothing to do) to the list or shard that holds `name`.
fn edit(
    store: &dyn KvStore,
    base: &str,
    name: &str,
    change: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Result<(), Error> {
    for _ in 0..CAS_ATTEMPTS {
        let stored = store.get(base)?;
        let current = stored.as_deref().unwrap_or_default();
        let next = match state(current) {
            State::Sharded => {
                update_with_retry(
                    store,
                    &format!("{base}#{}", shard_of(name)),
                    CAS_ATTEMPTS,
                    |old| change(old.unwrap_or_default()),
                )?;
                return Ok(());
            }
            State::Splitting(list) => {
                finish_split(store, base, current, list)?;
                continue;
            }
            State::List(list) => match change(list) {
                None => return Ok(()),
                Some(next) if next.iter().filter(|b| **b == b'\n').count() >= SHARD_THRESHOLD => {
                    [SHARDING, next.as_slice()].concat()
                }
                Some(next) => next,
            },
        };
        if store.compare_and_swap(base, stored.as_deref(), &next)? == CasOutcome::Swapped {
            if let State::Splitting(list) = state(&next) {
                finish_split(store, base, &next, list)?;
            }
            return Ok(());
        }
    }
    Err(Error::Conflict(format!("index list {base} kept changing")))
}

/// Writes the frozen list into its shards, then marks the base sharded.
fn finish_split(
    store: &dyn KvStore,
    base: &str,
    splitting: &[u8],
    list: &[u8],
) -> Result<(), Error> {
    let names = decode(list);
    let mut by_shard: Vec<Vec<&str>> = vec![Vec::new(); SHARDS as usize];
    for name in &names {
        by_shard[shard_of(name) as usize].push(name);
    }
    for (shard, members) in by_shard.iter().enumerate() {
        // Every splitter writes the same frozen partition, so the first write of a shard wins: a shard
        // that exists was written by a splitter and may since have been edited, which must not be undone.
        // (Atomic natively; index writers are the native poller.)
        let content = members.join("\n");
        store.compare_and_swap(&format!("{base}#{shard}"), None, content.as_bytes())?;
    }
    // A conflict means another writer finished the split first.
    store.compare_and_swap(base, Some(splitting), SHARDED)?;
    Ok(())
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
        // A split interrupted by a crash is finished by the next writer.
        let crashed = MemoryStore::new();
        crashed
            .set("idx", &[SHARDING, b"a\nb".as_slice()].concat())
            .unwrap();
        assert_eq!(names(&crashed, "idx").unwrap(), ["a", "b"]);
        add(&crashed, "idx", "c").unwrap();
        assert_eq!(crashed.get("idx").unwrap().as_deref(), Some(SHARDED));
        assert_eq!(names(&crashed, "idx").unwrap(), ["a", "b", "c"]);
        let biggest = store
            .get_keys()
            .unwrap()
            .iter()
            .map(|k| store.get(k).unwrap().unwrap().len())
            .max()
            .unwrap();
        assert!(biggest < 2000, "shards stay small: {biggest} bytes");
    }

    #[test]
    fn concurrent_writers_lose_no_entry_even_across_the_shard_split() {
        let store = MemoryStore::new();
        let per_thread = SHARD_THRESHOLD / 4 + 200;
        std::thread::scope(|scope| {
            for t in 0..4 {
                let store = &store;
                scope.spawn(move || {
                    for i in 0..per_thread {
                        add(store, "idx", &format!("t{t}_{i:05}")).unwrap();
                        if i % 10 == 0 {
                            remove(store, "idx", &format!("t{t}_{i:05}")).unwrap();
                        }
                    }
                });
            }
        });
        let mut expected: Vec<String> = (0..4)
            .flat_map(|t| {
                (0..per_thread)
                    .filter(|i| i % 10 != 0)
                    .map(move |i| format!("t{t}_{i:05}"))
            })
            .collect();
        expected.sort();
        let listed = names(&store, "idx").unwrap();
        let missing: Vec<&String> = expected
            .iter()
            .filter(|n| listed.binary_search(n).is_err())
            .collect();
        let extra: Vec<&String> = listed
            .iter()
            .filter(|n| expected.binary_search(n).is_err())
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}, extra {extra:?}"
        );
        assert_eq!(store.get("idx").unwrap().as_deref(), Some(SHARDED));
    }
}
