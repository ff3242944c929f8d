//! Store-layout properties the API relies on: censored-id collisions and concurrent writers.

mod common;

use common::sanitizer;
use dqmsquare::mapping::fill_run;
use dqmsquare::store::Tables;
use dqmsquare::Db;
use kv_api::MemoryStore;
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
