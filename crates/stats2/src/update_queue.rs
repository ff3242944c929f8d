//! The `/api/update` request queue: the view queues a workflow name, the poller runs it as a
//! single-workflow update ([`update_single`]) and removes it.

use crate::document::valid_workflow_name;
use crate::store::to_json;
use crate::sync::{update_single, PassOptions, SingleReport};
use crate::upstream::Upstream;
use crate::{keys, Error};
use kv_api::{update_with_retry, KvStore};
use serde_json::Value;

/// Queues a refresh of `name` for the poller. `Ok(false)`: it is already queued.
pub fn request_update(store: &dyn KvStore, name: &str) -> Result<bool, Error> {
    if !valid_workflow_name(name) {
        return Err(Error::BadInput(format!("invalid workflow name {name:?}")));
    }
    let queued = update_with_retry(store, keys::UPDATE_REQUESTS, 64, |old| {
        let mut names = read_names(old);
        if names.iter().any(|n| n == name) {
            return None;
        }
        names.push(name.to_owned());
        Some(to_json(&names))
    })?;
    Ok(queued)
}

pub fn queued_updates(store: &dyn KvStore) -> Result<Vec<String>, Error> {
    Ok(read_names(store.get(keys::UPDATE_REQUESTS)?.as_deref()))
}

fn read_names(bytes: Option<&[u8]>) -> Vec<String> {
    bytes
        .and_then(|b| serde_json::from_slice::<Vec<Value>>(b).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// A queued update request and how it went.
pub type UpdateOutcome = (String, Result<SingleReport, String>);

/// Runs every queued `/api/update` request, removing each from the queue once it ran (even if it failed:
/// the error is returned for logging, and the user may ask again).
pub fn process_update_requests(
    store: &dyn KvStore,
    upstream: &dyn Upstream,
    options: &PassOptions,
) -> Result<Vec<UpdateOutcome>, Error> {
    let mut results = Vec::new();
    for name in queued_updates(store)? {
        let result = update_single(store, upstream, &name, options).map_err(|e| e.to_string());
        update_with_retry(store, keys::UPDATE_REQUESTS, 64, |old| {
            let mut names = read_names(old);
            let before = names.len();
            names.retain(|n| *n != name);
            (names.len() != before).then(|| to_json(&names))
        })?;
        results.push((name, result));
    }
    Ok(results)
}
