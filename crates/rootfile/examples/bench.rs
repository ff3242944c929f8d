//! Timing of the two hot paths, many iterations with `Instant` (no criterion: it is heavy to build):
//! `cargo run --release -p rootfile --example bench [ROOT_10K_FILE [list N]]`.
//! With `list N` only the listing runs, N times, so that `perf stat -e task-clock` can give the CPU
//! time per listing on a loaded machine.

use rootfile::{decode, FileSource, RootFile};
use std::time::Instant;

const DEFAULT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/root-conformance/perf/root_10k.root");

/// Runs `f` `n` times and prints the mean and best time per call.
fn time<T>(label: &str, n: usize, mut f: impl FnMut() -> T) {
    let mut best = f64::MAX;
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mean = start.elapsed().as_secs_f64() / n as f64;
    println!("{label}: mean {:.3} µs, best {:.3} µs ({n} iterations)", mean * 1e6, best * 1e6);
}

fn main() -> rootfile::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).cloned().unwrap_or_else(|| DEFAULT.to_owned());
    if args.get(2).map(String::as_str) == Some("list") {
        let n: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1000);
        time("open + recursive listing", n, || {
            RootFile::open(FileSource::open(&path).unwrap(), &path).unwrap().list_recursive().unwrap().len()
        });
        return Ok(());
    }
    let listed = RootFile::open(FileSource::open(&path)?, &path)?.list_recursive()?.len();
    println!("{path}: {listed} keys");

    time("open + recursive listing", 200, || {
        let file = RootFile::open(FileSource::open(&path).unwrap(), &path).unwrap();
        file.list_recursive().unwrap().len()
    });

    time("open + visit every key (no per-key paths)", 200, || {
        let file = RootFile::open(FileSource::open(&path).unwrap(), &path).unwrap();
        let mut n = 0;
        file.visit_keys(|_, _, _| {
            n += 1;
            Ok(())
        })
        .unwrap();
        n
    });

    let file = RootFile::open(FileSource::open(&path)?, &path)?;
    let key = file.find(&["DQMData", "Run 1", "Subsys3", "Run summary", "Folder7", "h42"])?;
    time("read + inflate + decode one TH1F (known key)", 20_000, || file.object(&key).unwrap());
    let payload = file.payload(&key)?;
    time("decode one TH1F (payload in memory)", 50_000, || decode("TH1F", &payload, key.key_len as u32).unwrap());
    let object = file.object(&key)?;
    time("TBufferJSON of one TH1F", 50_000, || rootfile::json::to_json(&object, &[]));
    Ok(())
}
