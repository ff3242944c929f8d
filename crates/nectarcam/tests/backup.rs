//! §9 items 3–4 over the real native backends: a backup archive restored on a fresh read-only node holds
//! identical keys, dtypes, shapes and values and its snapshot metadata; that node refuses ingest with exit 3.

mod common;

use std::collections::BTreeMap;

use common::*;
use kv_store::{Backend, StoreManager, StoresConfig};
use nectarcam::layout::{encode_array, list_runs, read_run};

fn manager(path: &std::path::Path, read_only: bool) -> StoreManager {
    let stores = BTreeMap::from([(
        "default".to_owned(),
        Backend::Sqlite {
            path: Some(path.to_path_buf()),
        },
    )]);
    StoreManager::open(&StoresConfig { stores, read_only }).unwrap()
}

#[test]
fn backup_then_restore_on_a_fresh_node_is_identical_and_a_read_only_node_refuses() {
    let dir = std::env::temp_dir().join(format!("nectarcam-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let primary = manager(&dir.join("primary.db"), false);
    let store = primary.open_label("default").unwrap();
    let base = fixture("");
    assert_eq!(
        cli(
            &*store,
            &[
                "ingest",
                "--camera",
                "NectarCAMQM",
                "--run",
                "6310",
                "--path",
                base.to_str().unwrap()
            ]
        )
        .0,
        0
    );
    let small = fixture(SMALL_FITS);
    assert_eq!(
        cli(
            &*store,
            &[
                "ingest",
                "--camera",
                "NectarCAM2",
                "--run",
                "1000",
                "--path",
                small.to_str().unwrap()
            ]
        )
        .0,
        0
    );

    // The spec's backup: one consistent archive (SQLite online backup), restored on a fresh read-only node.
    let archive = primary.backup_archive(&dir.join("backups"), std::time::SystemTime::now()).unwrap();
    let fresh = manager(&dir.join("fresh.db"), true);
    assert_eq!(fresh.restore_archive(&archive).unwrap(), ["default"]);
    let restored = fresh.open_label("default").unwrap();
    // The snapshot's own metadata, where the viewer's health reads it (one key, written by kv-store).
    assert_eq!(nectarcam::health::SNAPSHOT_META_KEY, kv_store::SNAPSHOT_META_KEY);
    let meta = kv_store::read_snapshot_meta(&restored.get(kv_store::SNAPSHOT_META_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(
        nectarcam::health::snapshot_replication(&*restored),
        nectarcam::Replication::Snapshot { taken_at: meta.taken_at.clone(), taken_at_unix: meta.taken_at_unix as f64 }
    );
    // The JSON-lines dump (`scraper-host kv dump/restore`) gives the same on a writable node.
    let mut dump = Vec::new();
    primary.dump(&mut dump).unwrap();
    let from_dump = manager(&dir.join("from-dump.db"), false);
    from_dump.restore(&mut &dump[..]).unwrap();
    let dumped = from_dump.open_label("default").unwrap();
    assert_eq!(list_runs(&*dumped).unwrap(), list_runs(&*store).unwrap());

    let runs = list_runs(&*store).unwrap();
    assert_eq!(runs, ["NectarCAM2_Run1000", "NectarCAMQM_Run6310"]);
    assert_eq!(list_runs(&*restored).unwrap(), runs);
    for key in &runs {
        let flatten = |run: nectarcam::RunData| -> Vec<(String, String, Vec<u8>)> {
            run.parents
                .iter()
                .flat_map(|p| {
                    p.children
                        .iter()
                        .map(move |c| (p.name.clone(), c.name.clone(), encode_array(&c.array)))
                })
                .collect()
        };
        let (a, b) = (
            read_run(&*store, key).unwrap().unwrap(),
            read_run(&*restored, key).unwrap().unwrap(),
        );
        assert_eq!(
            flatten(a),
            flatten(b),
            "{key}: dtype, shape and values (bit for bit, NaN included)"
        );
    }

    let read_only = restored;
    let (code, log) = cli(
        &*read_only,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "7000",
            "--force",
            "--path",
            small.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("storage is read-only"), "{log}");
    assert_eq!(
        list_runs(&*read_only).unwrap(),
        runs,
        "reads still work on the replica"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
