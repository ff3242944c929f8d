//! Shared helpers of the stats2 integration tests: the spec samples and a store that can crash.
#![allow(dead_code)]

use kv_api::{CasOutcome, KvError, KvResult, KvStore, MemoryStore};
use serde_json::{Map, Value};
use std::cell::Cell;

pub const TASKCHAIN: &str =
    "pdmvserv_task_EXO-RunIISummer20UL18wmLHEGEN-01234__v1_T_230110_101500_4321";
pub const RERECO: &str = "pdmvserv_Run2024F_Muon0_ECAL_PFA_2024_240901_103000_1111";

pub fn sample(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/stats2/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A sample stored document without the fields Stats2 never derives from ReqMgr2.
pub fn expected_doc(name: &str) -> Map<String, Value> {
    let mut doc = object(sample(name));
    for key in ["_rev", "_comment", "EventNumberHistory", "LastUpdate"] {
        doc.remove(key);
    }
    doc
}

/// A store over a `MemoryStore` whose writes start failing after `budget` of them, like a crash.
pub struct CrashingStore<'a> {
    pub inner: &'a MemoryStore,
    pub budget: Cell<usize>,
}

impl<'a> CrashingStore<'a> {
    pub fn new(inner: &'a MemoryStore, budget: usize) -> Self {
        CrashingStore {
            inner,
            budget: Cell::new(budget),
        }
    }

    fn spend(&self) -> KvResult<()> {
        match self.budget.get() {
            0 => Err(KvError::Other("crashed".into())),
            n => {
                self.budget.set(n - 1);
                Ok(())
            }
        }
    }
}

impl KvStore for CrashingStore<'_> {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.spend()?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> KvResult<()> {
        self.spend()?;
        self.inner.delete(key)
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.inner.get_keys()
    }
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        self.spend()?;
        self.inner.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<CasOutcome> {
        self.spend()?;
        self.inner.compare_and_swap(key, expected, new)
    }
}
