//! Every key Stats2 writes, in one place.
//!
//! | key | value |
//! |---|---|
//! | `stats2/doc/<RequestName>` | the workflow document, compact JSON with sorted keys |
//! | `stats2/idx/<index>/<value>` | workflow names with that index value, sorted, unique, one per line; past 1024 names split into `…#0`–`…#255` |
//! | `stats2/all` | every stored workflow name, in the same list format (for unfiltered listings) |
//! | `stats2/settings` | [`crate::store::Settings`] JSON: `since`, last DBS update time, failed workflows |
//! | `stats2/status` | [`crate::sync::Progress`] JSON of the running or last pass |
//! | `stats2/callbacks` | [`crate::callbacks::QueuedCallback`] JSON array still to be sent |
//! | `stats2/update-requests` | JSON array of workflow names queued by `/api/update` |
//! | `stats2/generation` | decimal counter, raised after every document write or delete and at the start of every pass |
//! | `stats2/cache/fetch/<index>/<value>` | `<generation>\n<body>`: a `/api/fetch` answer, valid while the generation is unchanged |
//!
//! Index keys are read-modify-write lists changed only through `compare_and_swap`
//! (`kv_api::update_with_retry`), so concurrent writers never lose an entry. A list per value (rather
//! than one key per entry) keeps every view query to one `get` instead of a scan of all keys.

use crate::document::Index;

pub const DOC_PREFIX: &str = "stats2/doc/";
pub const ALL_WORKFLOWS: &str = "stats2/all";
pub const SETTINGS: &str = "stats2/settings";
pub const STATUS: &str = "stats2/status";
pub const CALLBACKS: &str = "stats2/callbacks";
pub const UPDATE_REQUESTS: &str = "stats2/update-requests";
pub const GENERATION: &str = "stats2/generation";

pub fn doc(name: &str) -> String {
    format!("{DOC_PREFIX}{name}")
}

/// Spin keys are at most 256 bytes: a long index value (a dataset name can be) is replaced by its hash.
/// Readers check every hit against its document, so a collision only costs a skipped candidate.
const MAX_VALUE_IN_KEY: usize = 160;

/// The base key of an index value's list (see [`crate::index_lists`] for its shards, `<base>#<n>`).
pub fn index(index: Index, value: &str) -> String {
    format!("stats2/idx/{}/{}", index.name(), key_safe(value))
}

/// The cached `/api/fetch` answer of an index filter.
pub fn fetch_cache(index: Index, value: &str) -> String {
    format!("stats2/cache/fetch/{}/{}", index.name(), key_safe(value))
}

/// `value` itself when it fits in a key, else `~` and its 128-bit hash.
fn key_safe(value: &str) -> String {
    if value.len() <= MAX_VALUE_IN_KEY && !value.contains('#') {
        value.to_owned()
    } else {
        let (a, b) = (
            fnv1a(value.as_bytes()),
            fnv1a(format!("{value}\u{0}").as_bytes()),
        );
        format!("~{a:016x}{b:016x}")
    }
}

/// 64-bit FNV-1a: a stable, dependency-free hash for key names and shard choice (not for security).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
