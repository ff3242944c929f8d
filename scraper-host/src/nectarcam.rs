//! `scraper-host nectarcam …`: `nectarcam::cli::run` over the `default` store the gateway serves, with its
//! exit code passed through. With the global `--read-only` the store is opened as `gateway up --read-only`
//! opens it (a secondary node), so an ingest there is refused with exit 3.

use crate::args::{Failure, Global};
use crate::stores;

/// The library's own exit code for storage failures (`nectarcam::IngestError::Storage`).
const STORAGE_FAILURE: i32 = 4;

pub fn run(global: &Global, words: &[String]) -> i32 {
    let store = match stores::open(global).map(|manager| manager.get("default")) {
        Ok(Some(store)) => store,
        Ok(None) => return fail("no default store in the runtime config"),
        Err(Failure::Failed(message) | Failure::Usage(message)) => return fail(&message),
    };
    nectarcam::cli::run(words, &*store, &mut std::io::stderr().lock())
}

fn fail(message: &str) -> i32 {
    eprintln!("nectarcam: critical: {message}");
    STORAGE_FAILURE
}
