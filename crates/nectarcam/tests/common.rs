//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use kv_api::{CasOutcome, KvError, KvResult, KvStore, MemoryStore};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nectarcam")
        .join(name)
}

pub const FULL_TARBALL: &str = "NectarCAMQM_DQM_Run6310.tar.gz";
pub const SMALL_FITS: &str = "NectarCAM2_Run1000_Results.fits";
pub const NO_RESULTS_TARBALL: &str = "NectarCAMQM_DQM_Run0999.tar.gz";

/// Every key and value, to prove a store did not change.
pub fn snapshot(store: &dyn KvStore) -> BTreeMap<String, Vec<u8>> {
    store
        .get_keys()
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = store.get(&k).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

/// A replica's view: reads pass, writes fail like kv-store's `ReadOnlyStore`.
pub struct ReadOnly<'a>(pub &'a MemoryStore);

impl KvStore for ReadOnly<'_> {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn set(&self, _: &str, _: &[u8]) -> KvResult<()> {
        Err(KvError::ReadOnly)
    }
    fn delete(&self, _: &str) -> KvResult<()> {
        Err(KvError::ReadOnly)
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.0.get_keys()
    }
    fn increment(&self, _: &str, _: i64) -> KvResult<i64> {
        Err(KvError::ReadOnly)
    }
    fn compare_and_swap(&self, _: &str, _: Option<&[u8]>, _: &[u8]) -> KvResult<CasOutcome> {
        Err(KvError::ReadOnly)
    }
}

/// Runs the CLI; returns the exit code and the log.
pub fn cli(store: &dyn KvStore, args: &[&str]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut log = Vec::new();
    let code = nectarcam::cli::run(&args, store, &mut log);
    (code, String::from_utf8(log).unwrap())
}
