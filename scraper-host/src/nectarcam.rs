//! `scraper-host nectarcam …`: `nectarcam::cli::run` over the `default` store the gateway serves, with its
//! exit code passed through. `--read-only` opens the store as `gateway up --read-only` does (a secondary
//! node), so an ingest there is refused with exit 3.

use std::sync::Arc;

use kv_store::ReadOnlyStore;

use crate::args::{Failure, Global};
use crate::stores;

/// The library's own exit code for storage failures (`nectarcam::IngestError::Storage`).
const STORAGE_FAILURE: i32 = 4;

pub fn run(global: &Global, words: &[String]) -> i32 {
    let read_only = words.iter().any(|w| w == "--read-only");
    let args: Vec<String> = words.iter().filter(|w| *w != "--read-only").cloned().collect();
    let store = match stores::open(global).map(|manager| manager.get("default")) {
        Ok(Some(store)) => store,
        Ok(None) => return fail("no default store in the runtime config"),
        Err(Failure::Failed(message) | Failure::Usage(message)) => return fail(&message),
    };
    let store: kv_store::SharedStore = if read_only { Arc::new(ReadOnlyStore::new(store)) } else { store };
    nectarcam::cli::run(&args, &*store, &mut std::io::stderr().lock())
}

fn fail(message: &str) -> i32 {
    eprintln!("nectarcam: critical: {message}");
    STORAGE_FAILURE
}
