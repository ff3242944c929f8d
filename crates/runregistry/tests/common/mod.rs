//! Shared helpers for the integration tests: seeding runs through the public API.

#![allow(dead_code)]

use kv_api::MemoryStore;
use runregistry::ingest::{ingest, DatasetInput, RunInput};
use runregistry::{Actor, Registry};
use serde_json::{json, Map, Value};

pub fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// `n` LS of `{component: status}` triplets.
pub fn rr_ls(n: usize, component: &str, status: &str) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|_| obj(json!({component: {"status": status, "comment": "", "cause": ""}})))
        .collect()
}

/// `n` OMS LS with `cms_active` and `recorded`/`delivered` of 1.0.
pub fn oms_ls(n: usize) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|_| obj(json!({"cms_active": true, "recorded": 1.0, "delivered": 1.0})))
        .collect()
}

pub fn run_input(
    run_number: u64,
    rr: Vec<Map<String, Value>>,
    oms: Vec<Map<String, Value>>,
) -> RunInput {
    RunInput {
        run_number,
        oms_attributes: obj(json!({"energy": 6500, "b_field": 3.8})),
        rr_attributes: obj(json!({"class": "Collisions18"})),
        rr_lumisections: rr,
        oms_lumisections: oms,
        ..Default::default()
    }
}

pub fn dataset_input(name: &str, rr: Vec<Map<String, Value>>) -> DatasetInput {
    DatasetInput {
        name: name.into(),
        rr_lumisections: rr,
        ..Default::default()
    }
}

pub fn seed(store: &MemoryStore, runs: Vec<RunInput>) {
    ingest(&Registry::new(store), &Actor::service(), "seed", runs).expect("ingest");
}
