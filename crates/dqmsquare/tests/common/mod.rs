//! Shared by the integration tests: the converted fixture in a MemoryStore, and a configured sanitiser.
#![allow(dead_code)]

use std::path::PathBuf;

use dqmsquare::store::Tables;
use dqmsquare::{seed, Db};
use dqmsquare_sanitize::Sanitizer;
use kv_api::MemoryStore;
use serde_json::Value;

/// The default machine lists plus the machines the fixture documents come from.
pub const MACHINES: [&str; 11] = [
    "dqmrubu-c2a06-03-01", "dqmfu-c2b01-45-01", "dqmfu-c2b02-45-01",
    "dqmrubu-c2a06-01-01", "dqmfu-c2b03-45-01", "dqmfu-c2b04-45-01",
    "bu-c2f11-09-01", "fu-c2f11-11-01", "fu-c2f11-11-02", "fu-c2f11-11-03", "fu-c2f11-11-04",
];

/// 2022-09-15T14:10:00Z: a little after the fixture's last job update.
pub const NOW_S: f64 = 1_663_251_000.0;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dqmsquare").join(name)
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture_path(name)).unwrap()).unwrap()
}

pub fn sanitizer() -> Sanitizer {
    Sanitizer::new(MACHINES)
}

/// A production store seeded the way the original's `tests/fixtures.py` seeds PostgreSQL.
pub fn seeded_store() -> MemoryStore {
    let kv = MemoryStore::new();
    let tables = Tables::new(&kv, Db::Production);
    seed::load_runs(&tables, &sanitizer(), &fixture_json("runs_rows.json")).unwrap();
    seed::load_graphs(&tables, &fixture_json("graphs_rows.json")).unwrap();
    kv
}
