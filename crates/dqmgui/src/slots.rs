//! Import slots leased in the shared store, so that at most `import_concurrency` imports run at once across
//! every node serving the app (dqmgui-api.md §9, "Overload"); past that, register answers 429.
//!
//! Slot `i` is the key `dqmgui/import-slot/<i>` (`i < limit`), holding `free` or a lease
//! `"<expiry unix seconds> <nonce>"`. A request reads all slots in one `get_many`, then takes a free or expired
//! one by compare-and-swap against the value it read, and gives it back (`free`, again by CAS, so a lease
//! taken over after expiry is left alone). A request that traps or times out never gives its slot back, so
//! leases expire after [`LEASE_SECS`], well past the gateway's request timeout.
//!
//! **Creating the slots.** Spin's wasi:keyvalue CAS upserts an absent key, so an absent slot is never CASed:
//! its first user is whoever `increment`s `dqmgui/import-slot-claim/<i>` to 1 (atomic on every backend), and
//! writes its lease with a plain set. (A request dying between that increment and its set loses slot `i`
//! for good: the limit shrinks by one.)

use std::hash::{BuildHasher, Hasher};

use kv_api::{CasOutcome, KvResult, KvStore};

/// `import_concurrency` of the original.
pub const DEFAULT_LIMIT: usize = 100;
/// How long a lease lasts when its holder never releases it.
pub const LEASE_SECS: u64 = 120;
/// The 429 body's text (key `error`, verbatim from the original).
pub const OVERLOAD: &str = "The server is under a heavy load at the moment, please try again later.";
/// Free slots tried before giving up: each failed one was just taken by a concurrent request.
const ATTEMPTS: usize = 16;
const FREE: &[u8] = b"free";

fn slot_key(i: usize) -> String {
    format!("dqmgui/import-slot/{i}")
}

fn claim_key(i: usize) -> String {
    format!("dqmgui/import-slot-claim/{i}")
}

/// A held slot; give it back with [`release`].
#[derive(Debug)]
pub struct Lease {
    key: String,
    value: Vec<u8>,
}

/// Whether a slot that exists may be taken (free, expired, or unreadable).
fn is_free(value: &[u8], now: u64) -> bool {
    if value == FREE {
        return true;
    }
    let expiry = std::str::from_utf8(value).ok().and_then(|text| text.split(' ').next()?.parse::<u64>().ok());
    expiry.is_none_or(|expiry| expiry <= now)
}

/// A random number from the platform's hasher keys (WASI random inside a component).
pub fn nonce() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}

/// Takes one of `limit` slots at `now` (unix seconds); `None` when every slot is held.
pub fn acquire(store: &dyn KvStore, limit: usize, now: u64, nonce: u64) -> KvResult<Option<Lease>> {
    let keys: Vec<String> = (0..limit).map(slot_key).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let values = store.get_many(&refs)?;
    let lease = format!("{} {nonce:016x}", now + LEASE_SECS).into_bytes();
    // Start at a random slot, so concurrent requests rarely race for the same one.
    let start = (nonce % limit.max(1) as u64) as usize;
    let candidates = (0..limit).map(|k| (start + k) % limit).filter(|&i| values[i].as_deref().is_none_or(|v| is_free(v, now)));
    for i in candidates.take(ATTEMPTS) {
        let taken = match values[i].as_deref() {
            None if store.increment(&claim_key(i), 1)? == 1 => store.set(&keys[i], &lease).map(|()| true)?,
            None => false,
            Some(current) => store.compare_and_swap(&keys[i], Some(current), &lease)? == CasOutcome::Swapped,
        };
        if taken {
            return Ok(Some(Lease { key: keys[i].clone(), value: lease }));
        }
    }
    Ok(None)
}

/// Frees the slot unless its lease expired and another request took it over.
pub fn release(store: &dyn KvStore, lease: Lease) -> KvResult<()> {
    store.compare_and_swap(&lease.key, Some(&lease.value), FREE).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv_api::MemoryStore;

    #[test]
    fn at_most_limit_leases_and_released_slots_are_reused() {
        let store = MemoryStore::new();
        let held: Vec<Lease> = (0..3).map(|n| acquire(&store, 3, 1000, n).unwrap().expect("a free slot")).collect();
        assert!(acquire(&store, 3, 1000, 7).unwrap().is_none(), "a fourth import is refused");
        let mut held = held.into_iter();
        release(&store, held.next().unwrap()).unwrap();
        assert!(acquire(&store, 3, 1000, 8).unwrap().is_some(), "a released slot is taken again");
        assert!(acquire(&store, 3, 1000, 9).unwrap().is_none());
    }

    #[test]
    fn a_leaked_lease_expires() {
        let store = MemoryStore::new();
        let _leaked = acquire(&store, 1, 1000, 1).unwrap().unwrap();
        assert!(acquire(&store, 1, 1000 + LEASE_SECS - 1, 2).unwrap().is_none());
        let taken_over = acquire(&store, 1, 1000 + LEASE_SECS, 2).unwrap();
        assert!(taken_over.is_some(), "past its expiry the slot is free");
        // The leaker's late release must not free the new holder's slot.
        release(&store, _leaked).unwrap();
        assert!(acquire(&store, 1, 1000 + LEASE_SECS, 3).unwrap().is_none());
    }

    #[test]
    fn concurrent_requests_never_exceed_the_limit() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let in_flight = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..16u64)
            .map(|t| {
                let (store, in_flight, peak) = (store.clone(), in_flight.clone(), peak.clone());
                std::thread::spawn(move || {
                    let mut refused = 0;
                    for i in 0..50 {
                        match acquire(&*store, 4, 1000, t * 1000 + i).unwrap() {
                            Some(lease) => {
                                let now = in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                                peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                                std::thread::yield_now();
                                in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                                release(&*store, lease).unwrap();
                            }
                            None => refused += 1,
                        }
                    }
                    refused
                })
            })
            .collect();
        let refused: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 4);
        assert!(refused < 16 * 50, "some imports got a slot");
    }

    #[test]
    fn an_absent_slot_is_claimed_once() {
        let store = MemoryStore::new();
        // Someone else claimed slot 0 and is about to write its lease: slot 0 is skipped, not shared.
        store.increment(&claim_key(0), 1).unwrap();
        let first = acquire(&store, 2, 1000, 0).unwrap().expect("slot 1");
        assert_eq!(first.key, slot_key(1));
        assert!(acquire(&store, 2, 1000, 1).unwrap().is_none());
        // A larger limit adds slots.
        assert!(acquire(&store, 3, 1000, 3).unwrap().is_some());
        release(&store, first).unwrap();
        assert_eq!(store.get(&slot_key(1)).unwrap().as_deref(), Some(FREE));
        assert!(acquire(&store, 2, 1000, 4).unwrap().is_some(), "a released slot exists and is CASed");
    }

    #[test]
    fn odd_slot_values_count_as_free() {
        assert!(is_free(b"free", 5));
        assert!(is_free(b"garbage", 5));
        assert!(is_free(b"5 00", 5));
        assert!(!is_free(b"6 00", 5));
    }
}
