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
    "dqmrubu-c2a06-03-01",
    "dqmfu-c2b01-45-01",
    "dqmfu-c2b02-45-01",
    "dqmrubu-c2a06-01-01",
    "dqmfu-c2b03-45-01",
    "dqmfu-c2b04-45-01",
    "bu-c2f11-09-01",
    "fu-c2f11-11-01",
    "fu-c2f11-11-02",
    "fu-c2f11-11-03",
    "fu-c2f11-11-04",
];

/// 2022-09-15T14:10:00Z: a little after the fixture's last job update.
pub const NOW_S: f64 = 1_663_251_000.0;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/dqmsquare")
        .join(name)
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

/// An FU `dqm-source-state` document shaped like the protocol sample.
pub fn fu_document(
    host: &str,
    run: i64,
    rev: i64,
    pid: u32,
    tag: &str,
    exit_code: Value,
    log: &str,
) -> Value {
    serde_json::json!({
        "_id": format!("dqm-source-state-run{run}-host{host}-pid{pid:06}"), "_rev": rev, "type": "dqm-source-state",
        "hostname": host, "tag": tag, "run": run, "timestamp": 1663242342.45 + rev as f64,
        "exit_code": exit_code, "events_total": 10, "events_rate": 1.5, "cmssw_run": run, "cmssw_lumi": 3, "fi_state": "1",
        "cmdline": ["cmsRun", format!("/cmsnfsdqmdata/dqmdata/dqm_cmssw/production_0909_CMSSW_12_4_8_1/src/DQM/Integration/python/clients/{tag}_cfg.py"),
                    "runInputDir=/fff/BU0/ramdisk", format!("runNumber={run}"), "runkey=cosmic_run"],
        "extra": {"ps_info": {"VmRSS": "362744 kB"}, "stdlog_start": ["-- starting process --\n", log], "stdlog_end": ["\n-- process exit: 0 --\n"]},
    })
}

/// A BU `dqm-files` document; `tag` other than `analyze_files` must never be fetched.
pub fn bu_document(host: &str, run: i64, rev: i64, tag: &str) -> Value {
    serde_json::json!({
        "_id": format!("dqm-files-{host}-{tag}-run{run}"), "_rev": rev, "type": "dqm-files", "hostname": host, "tag": tag,
        "run": run, "timestamp": 1579729985.921526,
        "extra": {"global_start": 1579722020.7529602, "global_start_source": "global_file", "lumi": 23.310893056,
                  "streams": {"streamDQM_sm-c2a11-43-01": {"mtimes": [1579722050.0], "ctimes": [1579722051.0], "fsize": [10],
                              "lumis": [1], "evt_accepted": [5], "evt_processed": [9]}}},
    })
}
