//! Store-layout properties the API relies on: censored-id collisions, concurrent writers, and per-run indexes
//! written by an older build (layout 1, JSON) read and rewritten.

mod common;

use common::{sanitizer, seeded_store, NOW_S};
use dqmsquare::api::Mirror;
use dqmsquare::mapping::fill_run;
use dqmsquare::store::Tables;
use dqmsquare::Db;
use kv_api::{KvStore, MemoryStore};
use serde_json::json;

fn header(host: &str, run: i64, pid: u32) -> serde_json::Value {
    json!({"_id": format!("dqm-source-state-run{run}-host{host}-pid{pid:06}"), "_rev": pid, "hostname": host,
           "tag": format!("c{pid}_dqm_sourceclient-live"), "run": run, "timestamp": 1.0})
}

#[test]
fn ids_that_censor_alike_get_numbered_suffixes() {
    let (kv, s) = (MemoryStore::new(), sanitizer());
    let tables = Tables::new(&kv, Db::Production);
    for host in ["fu-c2f11-11-01", "fu-c2f12-11-01", "fu-c2f13-11-01"] {
        fill_run(&tables, &s, &header(host, 7, 1), &json!({"exit_code": 0})).unwrap();
    }
    // Re-ingesting keeps the id it was given first.
    fill_run(
        &tables,
        &s,
        &header("fu-c2f12-11-01", 7, 1),
        &json!({"exit_code": 1}),
    )
    .unwrap();
    let mut served: Vec<String> = tables
        .run_rows(7)
        .unwrap()
        .into_iter()
        .map(|r| r.served_id)
        .collect();
    served.sort();
    let base = "dqm-source-state-run7-hostfu..01-pid000001";
    assert_eq!(
        served,
        [base.to_owned(), format!("{base}-2"), format!("{base}-3")]
    );
    let second = tables
        .run_row_by_served_id(&format!("{base}-2"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (second.hostname.as_deref(), second.exit_code),
        (Some("fu-c2f12-11-01"), Some(1))
    );
}

#[test]
fn concurrent_writers_lose_no_row_or_index_entry() {
    let kv = MemoryStore::new();
    let s = sanitizer();
    std::thread::scope(|scope| {
        for writer in 0..4u32 {
            let (kv, s) = (&kv, &s);
            scope.spawn(move || {
                let tables = Tables::new(kv, Db::Production);
                for i in 0..50 {
                    let pid = writer * 1000 + i;
                    fill_run(
                        &tables,
                        s,
                        &header("fu-c2f11-11-01", 100 + i64::from(i % 3), pid),
                        &json!({}),
                    )
                    .unwrap();
                }
            });
        }
    });
    let tables = Tables::new(&kv, Db::Production);
    let total: usize = (100..103)
        .map(|run| tables.run_rows(run).unwrap().len())
        .sum();
    assert_eq!(total, 200);
    assert_eq!(tables.run_numbers().unwrap(), [100, 101, 102]);
    assert_eq!(tables.info().unwrap(), (Some(100), Some(102)));
    assert_eq!(
        tables.latest_revision("fu-c2f11-11-01").unwrap(),
        Some(3049)
    );
}

#[test]
fn an_old_run_is_read_again_after_two_hours_or_while_a_job_runs() {
    use dqmsquare::model::OldRunVisit;
    let kv = MemoryStore::new();
    let tables = Tables::new(&kv, Db::Production);
    assert!(
        OldRunVisit::is_due(tables.old_run_visit(7).unwrap().as_ref(), 0.0),
        "never saved"
    );
    tables
        .set_old_run_visit(
            7,
            &OldRunVisit {
                saved_at_s: 1000.0,
                running: false,
            },
        )
        .unwrap();
    let visit = tables.old_run_visit(7).unwrap();
    assert!(!OldRunVisit::is_due(visit.as_ref(), 1000.0 + 7199.0));
    assert!(OldRunVisit::is_due(visit.as_ref(), 1000.0 + 7200.0));
    let running = OldRunVisit {
        saved_at_s: 1000.0,
        running: true,
    };
    assert!(OldRunVisit::is_due(Some(&running), 1001.0));
    assert_eq!(
        Tables::new(&kv, Db::Playback).old_run_visit(7).unwrap(),
        None,
        "per cluster"
    );
}

fn answers(kv: &MemoryStore) -> Vec<String> {
    let s = sanitizer();
    let mirror = Mirror {
        kv,
        sanitizer: (&s).into(),
        now_s: NOW_S,
    };
    let mut queries: Vec<String> = [358787, 358788, 358791, 358792, 358793]
        .iter()
        .map(|run| format!("what=get_run&run={run}&db=production"))
        .collect();
    for flags in ["", "&bad_only=1", "&ls=1", "&bad_only=1&ls=1"] {
        queries.push(format!(
            "what=get_runs&from=358788&to=358792&db=production{flags}"
        ));
        queries.push(format!(
            "what=get_runs&from=0&to=999999999&db=production{flags}"
        ));
    }
    queries.push("what=get_clients&from=358788&to=358792&db=production".into());
    queries
        .iter()
        .map(|q| {
            let reply = mirror.handle(&web_kit::Request::get(&format!("/dqm/dqm-square/api?{q}")));
            assert_eq!(reply.status, 200, "{q}");
            String::from_utf8(reply.body).unwrap()
        })
        .collect()
}

#[test]
fn indexes_written_by_an_older_build_are_read_and_rewritten() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Production);
    let current = answers(&kv);
    let runs = tables.run_numbers().unwrap();
    let index_key = |run: i64| format!("dqmsquare/production/runs/by-run/{run}");
    for run in &runs {
        // Layout 1: the JSON list of rows without logs, as the previous build wrote it.
        let rows = tables.run_rows(*run).unwrap();
        assert!(!kv.get(&index_key(*run)).unwrap().unwrap().starts_with(b"["));
        kv.set(&index_key(*run), &serde_json::to_vec(&rows).unwrap())
            .unwrap();
    }
    assert_eq!(answers(&kv), current, "layout 1 answers like layout 2");
    // A write to a run with a layout-1 index keeps its rows and leaves it in layout 2.
    let before = tables.run_rows(358788).unwrap();
    fill_run(
        &tables,
        &sanitizer(),
        &header("fu-c2f11-11-01", 358788, 9),
        &json!({"exit_code": 0}),
    )
    .unwrap();
    let after = tables.run_rows(358788).unwrap();
    assert_eq!(after.len(), before.len() + 1);
    assert!(before.iter().all(|row| after.contains(row)));
    assert!(kv
        .get(&index_key(358788))
        .unwrap()
        .unwrap()
        .starts_with(b"DQ2I"));
    // A damaged index is a 500 for the routes that read it, never a panic.
    kv.set(&index_key(358791), b"DQ2I\x02\xff\xff\xff\x7f")
        .unwrap();
    let s = sanitizer();
    let mirror = Mirror {
        kv: &kv,
        sanitizer: (&s).into(),
        now_s: NOW_S,
    };
    for q in [
        "what=get_run&run=358791",
        "what=get_runs&from=358788&to=358792",
        "what=get_clients&from=358788&to=358792",
    ] {
        let reply = mirror.handle(&web_kit::Request::get(&format!(
            "/dqm/dqm-square/api?{q}&db=production"
        )));
        assert_eq!(reply.status, 500, "{q}");
    }
}
