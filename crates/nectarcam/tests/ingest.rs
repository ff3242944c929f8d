//! §9 items 1–3 at library level: ingest shapes, `--force`, read-only refusal, bad input.

mod common;

use common::*;
use fits::Dtype;
use kv_api::{KvStore, MemoryStore};
use nectarcam::layout::{self, encode_array, read_run, WriteOutcome};
use nectarcam::{ingest, RunKey};

const QM_6310: &str = "NectarCAMQM_Run6310";

fn ingested() -> MemoryStore {
    let store = MemoryStore::new();
    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "6310",
            "--path",
            fixture("").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("NectarCAMQM_Run6310: stored"), "{log}");
    store
}

fn shape(store: &dyn KvStore, key: &str, parent: &str, child: &str) -> (Dtype, Vec<usize>) {
    let (meta, array) = layout::read_child(store, key, parent, child)
        .unwrap()
        .unwrap_or_else(|| panic!("{parent}/{child}"));
    assert_eq!(meta.shape, array.shape);
    (array.dtype(), array.shape)
}

#[test]
fn a_dirac_tarball_is_stored_with_the_documented_shapes() {
    let store = ingested();
    let meta = layout::read_meta(&store, QM_6310).unwrap().unwrap();
    let stats: Vec<&str> = meta
        .parent("TRIGGER-STATISTICS")
        .unwrap()
        .children
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        stats,
        ["All", "Physical", "Pedestals", "Others", "Wrong times"]
    );
    assert_eq!(
        shape(
            &store,
            QM_6310,
            "CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN",
            "CAMERA-BadPix-PHY-OverEVENTS-HIGH-GAIN"
        ),
        (Dtype::Int64, vec![1855])
    );
    assert_eq!(
        shape(&store, QM_6310, "WF-PHY-HIGH-GAIN", "WF-PHY-HIGH-GAIN"),
        (Dtype::Float64, vec![1855, 60])
    );
    assert_eq!(
        shape(&store, QM_6310, "START-TIMES", "Run start time"),
        (Dtype::Int64, vec![1, 1])
    );
    assert_eq!(
        shape(&store, QM_6310, "START-TIMES", "Last event"),
        (Dtype::Int64, vec![1])
    );
    assert_eq!(
        shape(
            &store,
            QM_6310,
            "CAMERA-PING-PONG-CHANGES",
            "CAMERA-PING-PONG-CHANGES"
        ),
        (Dtype::Bool, vec![1855])
    );
    assert_eq!(
        shape(
            &store,
            QM_6310,
            "CAMERA-BADPIXTIMELINE-PED-LOW-GAIN",
            "CAMERA-BadPixTimeline-PED-LOW-GAIN"
        ),
        (Dtype::Float64, vec![10_000])
    );
    assert_eq!(
        shape(
            &store,
            QM_6310,
            "CAMERA-TEMPERATURE-TREND",
            "CAMERA-TEMPERATURE-TREND"
        ),
        (Dtype::Float64, vec![265, 12])
    );
    assert_eq!(meta.parents.len(), 65, "every HDU after the empty primary");
    assert_eq!(layout::list_runs(&store).unwrap(), [QM_6310]);
}

#[test]
fn stored_values_equal_the_fits_file() {
    let store = ingested();
    let from_file = ingest::load_results(&fixture(FULL_TARBALL)).unwrap();
    let stored = read_run(&store, QM_6310).unwrap().unwrap();
    assert_eq!(stored.parents.len(), from_file.parents.len());
    for (a, b) in stored.parents.iter().zip(&from_file.parents) {
        assert_eq!(a.name, b.name);
        let encoded = |p: &nectarcam::model::Parent| {
            p.children
                .iter()
                .map(|c| (c.name.clone(), encode_array(&c.array)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            encoded(a),
            encoded(b),
            "{} (NaN compared bit for bit)",
            a.name
        );
    }
}

#[test]
fn a_run_without_dagger_keys_and_an_hdu0_image() {
    let store = MemoryStore::new();
    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAM2",
            "--run",
            "1000",
            "--path",
            fixture(SMALL_FITS).to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{log}");
    let key = "NectarCAM2_Run1000";
    let meta = layout::read_meta(&store, key).unwrap().unwrap();
    assert_eq!(
        meta.parents[0].name, "WF-PHY-HIGH-GAIN",
        "HDU 0 with data and an EXTNAME is ingested first"
    );
    assert_eq!(
        shape(&store, key, "WF-PHY-HIGH-GAIN", "WF-PHY-HIGH-GAIN"),
        (Dtype::Float64, vec![1855, 8])
    );
    for absent in [
        "TRIGGER-EVENTS-PED",
        "TRIGGER-EVENTS-OTHERS",
        "WF-PED-HIGH-GAIN",
        "CAMERA-BADPIX-PED-PHY-OVEREVENTS-HIGH-GAIN",
        "CHARGE-INTEGRATION-PED-ALL-RMS-LOW-GAIN",
    ] {
        assert!(meta.parent(absent).is_none(), "{absent}");
    }
    assert!(
        meta.parent("CAMERA-TEMPERATURE-TREND")
            .unwrap()
            .children
            .is_empty(),
        "zero-column table → empty parent"
    );
}

#[test]
fn without_force_an_existing_run_is_untouched_and_with_force_replaced() {
    let store = ingested();
    let before = snapshot(&store);
    let path = fixture("");
    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "6310",
            "--path",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(log.contains("warning: already stored, skipped"), "{log}");
    assert_eq!(snapshot(&store), before);

    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "6310",
            "--force",
            "--path",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("replaced with 65 parents"), "{log}");
    let after = snapshot(&store);
    assert_ne!(
        after.get("nectarcam/run/NectarCAMQM_Run6310"),
        before.get("nectarcam/run/NectarCAMQM_Run6310"),
        "the pointer moved"
    );
    let data_keys = |s: &std::collections::BTreeMap<String, Vec<u8>>| {
        s.keys().filter(|k| k.starts_with("nectarcam/gen/")).count()
    };
    assert_eq!(
        data_keys(&after),
        data_keys(&before),
        "the old generation was removed"
    );
    let values = |s: &std::collections::BTreeMap<String, Vec<u8>>| {
        s.iter()
            .filter(|(k, _)| k.starts_with("nectarcam/gen/"))
            .map(|(_, v)| v.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        values(&after),
        values(&before),
        "same content under the new generation"
    );
}

#[test]
fn a_replaced_run_is_never_seen_half_written() {
    // A reader holding the old metadata still finds the old arrays until the pointer flips; after the
    // flip it reads the new generation only.
    let store = ingested();
    let old = layout::read_meta(&store, QM_6310).unwrap().unwrap();
    let mut run = ingest::load_results(&fixture(SMALL_FITS)).unwrap();
    run.parents.truncate(3);
    assert_eq!(
        layout::write_run(&store, QM_6310, &run, true).unwrap(),
        WriteOutcome::Stored { replaced: true }
    );
    let new = layout::read_meta(&store, QM_6310).unwrap().unwrap();
    assert_ne!(old.generation, new.generation);
    assert_eq!(new.parents.len(), 3);
    assert!(store
        .get(&format!("nectarcam/gen/{}/meta", old.generation))
        .unwrap()
        .is_none());
}

#[test]
fn a_read_only_store_refuses_with_exit_code_3() {
    let primary = MemoryStore::new();
    let before = snapshot(&primary);
    let replica = ReadOnly(&primary);
    let (code, log) = cli(
        &replica,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "6310",
            "--path",
            fixture("").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("storage is read-only"), "{log}");
    assert_eq!(snapshot(&primary), before);
    let key = RunKey::parse(QM_6310).unwrap();
    assert_eq!(
        ingest::ingest_path(&replica, &key, &fixture(FULL_TARBALL), true).unwrap_err(),
        nectarcam::IngestError::ReadOnly
    );
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_the_store_unchanged() {
    let store = ingested();
    let before = snapshot(&store);
    let key = RunKey::parse(QM_6310).unwrap();
    let dir = std::env::temp_dir().join(format!("nectarcam-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = std::fs::read(fixture(SMALL_FITS)).unwrap();
    let truncated = dir.join("truncated.fits");
    std::fs::write(&truncated, &small[..small.len() / 2]).unwrap();
    let unknown = dir.join("unknown.fits");
    let at = small
        .windows(20)
        .position(|w| w == b"XTENSION= 'BINTABLE'")
        .unwrap();
    let mut patched = small.clone();
    patched[at..at + 20].copy_from_slice(b"XTENSION= 'WEIRDEXT'");
    std::fs::write(&unknown, &patched).unwrap();
    for (path, expected) in [
        (truncated.clone(), "truncated"),
        (unknown.clone(), "unknown XTENSION \"WEIRDEXT\""),
        (
            fixture(NO_RESULTS_TARBALL),
            "the tarball holds no *_Results.fits file",
        ),
    ] {
        let err = ingest::ingest_path(&store, &key, &path, true).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains(expected), "{err}");
        assert_eq!(snapshot(&store), before, "{}", path.display());
    }
    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAMQM",
            "--run",
            "999",
            "6310",
            "--force",
            "--path",
            fixture("").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("NectarCAMQM_Run0999: the tarball holds no"),
        "run 999 finds Run0999: {log}"
    );
    assert!(
        log.contains("NectarCAMQM_Run6310: replaced"),
        "the next run still goes: {log}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_tarballs_warn_and_usage_errors_exit_2() {
    let store = MemoryStore::new();
    let (code, log) = cli(
        &store,
        &[
            "ingest",
            "--camera",
            "NectarCAM5",
            "--run",
            "1",
            "--path",
            fixture("").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(
        log.contains("warning: no NectarCAM5_DQM_Run1.tar.gz"),
        "{log}"
    );
    assert!(store.get_keys().unwrap().is_empty());
    for args in [
        &["ingest", "--camera", "NectarCAM1", "--run", "1"][..],
        &["ingest", "--run", "1"],
        &["ingest", "--camera", "NectarCAMQM", "--run", "x1"],
        &["frobnicate"],
    ] {
        assert_eq!(cli(&store, args).0, 2, "{args:?}");
    }
}
