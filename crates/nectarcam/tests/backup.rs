//! §9 items 3–4 over the real native backends: a dump restored on a fresh node holds identical keys,
//! dtypes, shapes and values; the same file opened read-only refuses ingest with exit code 3.

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

    let mut dump = Vec::new();
    primary.dump(&mut dump).unwrap();
    let fresh = manager(&dir.join("fresh.db"), false);
    fresh.restore(&mut &dump[..]).unwrap();
    let restored = fresh.open_label("default").unwrap();

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

    drop((fresh, restored));
    let replica = manager(&dir.join("fresh.db"), true);
    let read_only = replica.open_label("default").unwrap();
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
