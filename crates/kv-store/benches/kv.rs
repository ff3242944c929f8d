//! Throughput of the native backends: SQLite (WAL file, pooled) gets from 1/2/4 threads, a 2-key get_many against two gets, writes, increment
//! and CAS; Redis gets when `redis-server` is installed. Run: `cargo bench -p kv-store --bench kv`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kv_api::KvStore;
use kv_store::{RedisStore, SharedStore, SqliteDb};

const RUN_FOR: Duration = Duration::from_secs(2);

/// Runs `op` on `threads` threads for RUN_FOR and prints operations per second and mean latency.
fn measure(name: &str, threads: usize, store: &SharedStore, op: impl Fn(&dyn KvStore, u64) + Send + Sync + Copy) {
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let store = Arc::clone(store);
                scope.spawn(move || {
                    let mut n = 0u64;
                    while start.elapsed() < RUN_FOR {
                        for _ in 0..64 {
                            op(&*store, n + t as u64 * 1_000_000);
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: u64 = counts.iter().sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<28} threads={threads}  {:>10.0} ops/s  {:>7.2} µs/op per thread",
        total as f64 / secs,
        secs * 1e6 * threads as f64 / total as f64
    );
}

fn suite(label: &str, store: SharedStore, thread_counts: &[usize]) {
    for i in 0..1000u64 {
        store.set(&format!("key/{i}"), &[7u8; 256]).unwrap();
    }
    for &threads in thread_counts {
        measure(&format!("{label} get (256 B hit)"), threads, &store, |s, n| {
            black_box(s.get(&format!("key/{}", n % 1000)).unwrap());
        });
    }
    measure(&format!("{label} get_many (2 keys)"), 1, &store, |s, n| {
        let (a, b) = (format!("key/{}", n % 1000), format!("key/{}", (n + 1) % 1000));
        black_box(s.get_many(&[&a, &b]).unwrap());
    });
    measure(&format!("{label} 2 × get"), 1, &store, |s, n| {
        black_box(s.get(&format!("key/{}", n % 1000)).unwrap());
        black_box(s.get(&format!("key/{}", (n + 1) % 1000)).unwrap());
    });
    measure(&format!("{label} set"), 1, &store, |s, n| s.set(&format!("w/{}", n % 1000), b"value").unwrap());
    measure(&format!("{label} increment"), 1, &store, |s, _| {
        black_box(s.increment("counter", 1).unwrap());
    });
    measure(&format!("{label} cas (get + swap)"), 1, &store, |s, n| {
        kv_api::update_with_retry(s, "cas", 100, |_| Some(n.to_le_bytes().to_vec())).unwrap();
    });
}

fn main() {
    let dir = std::env::temp_dir().join(format!("kv-bench-{}", std::process::id()));
    let db = SqliteDb::open(&dir.join("sqlite_key_value.db")).unwrap();
    suite("sqlite-file", Arc::new(db.store("default")), &[1, 2, 4]);
    suite("sqlite-memory", Arc::new(SqliteDb::in_memory().unwrap().store("default")), &[1]);
    let _ = std::fs::remove_dir_all(&dir);

    let server = match redis_test_server::RedisServer::try_start(&[]) {
        Ok(server) => server,
        Err(why) => {
            println!("redis: skipped ({why})");
            return;
        }
    };
    let redis = RedisStore::open(&server.url).unwrap();
    suite("redis", Arc::new(redis), &[1, 4]);
}
