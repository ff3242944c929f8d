//! Ingest of one full results tarball (every key, 1,855 pixels, 10,000 events; goal ≤ 35 ms end to end)
//! and the camera_display query in-process. A plain binary (no criterion) to keep the cold CI build lean:
//! `cargo bench -p nectarcam --bench nectarcam`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kv_api::{KvStore, MemoryStore};
use nectarcam::{ingest, Health, Replication, RunKey, Viewer};
use web_kit::Request;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nectarcam")
        .join(name)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| ms(samples[((samples.len() - 1) as f64 * q) as usize]);
    println!(
        "{name:<52} n={:<5} min {:>8.3} ms  p50 {:>8.3} ms  p99 {:>8.3} ms",
        samples.len(),
        ms(samples[0]),
        p(0.5),
        p(0.99)
    );
}

fn time(iterations: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f();
    (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn main() {
    let tarball = fixture("NectarCAMQM_DQM_Run6310.tar.gz");
    let key = RunKey::parse("NectarCAMQM_Run6310").unwrap();

    report(
        "read tarball (gunzip + untar + FITS decode)",
        time(30, || drop(ingest::load_results(&tarball).unwrap())),
    );
    let run = ingest::load_results(&tarball).unwrap();
    let memory = MemoryStore::new();
    report(
        "store only, memory KV (--force)",
        time(30, || {
            nectarcam::layout::write_run(&memory, &key.key(), &run, true).unwrap();
        }),
    );
    report(
        "ingest end to end, memory KV (--force)",
        time(30, || {
            drop(ingest::ingest_path(&memory, &key, &tarball, true).unwrap())
        }),
    );

    let dir = std::env::temp_dir().join(format!("nectarcam-bench-{}", std::process::id()));
    let db = kv_store::SqliteDb::open(&dir.join("sqlite_key_value.db")).unwrap();
    let sqlite = db.store("default");
    // The cron path: a run that is not stored yet.
    let mut next_run = 7000;
    report(
        "ingest end to end, SQLite KV file (new run)",
        time(30, || {
            next_run += 1;
            let fresh = RunKey::parse(&format!("NectarCAMQM_Run{next_run}")).unwrap();
            ingest::ingest_path(&sqlite, &fresh, &tarball, false).unwrap();
        }),
    );
    report(
        "ingest end to end, SQLite KV file (--force)",
        time(30, || {
            drop(ingest::ingest_path(&sqlite, &key, &tarball, true).unwrap())
        }),
    );

    let health = || Health::new(|_| None, Replication::Unknown, 0.0);
    let parent = "CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN";
    let child = "CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-HIGH-GAIN";
    let request = Request::get(&format!(
        "/nectarcam/api/runs/{}/camera_display/{parent}/{child}",
        key.key()
    ));
    for (name, store) in [
        ("memory", &memory as &dyn KvStore),
        ("SQLite", &sqlite as &dyn KvStore),
    ] {
        let viewer = Viewer {
            store,
            health: &health,
        };
        assert_eq!(viewer.handle(&request).status, 200);
        report(
            &format!("camera_display in-process, {name} KV"),
            time(2000, || assert_eq!(viewer.handle(&request).status, 200)),
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
