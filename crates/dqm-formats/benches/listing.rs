//! Listing and decoding timings (a plain `Instant` bench binary, so it also runs as wasm under wasi-test-runner):
//! `cargo bench -p dqm-formats` natively, `cargo bench --target wasm32-wasip2 -p dqm-formats` in wasm.

use dqm_formats::DqmFile;
use rootfile::{FileSource, RootFile};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Runs `f` repeatedly for about `budget` (at least 5 times) and prints the median and minimum.
fn bench<T>(name: &str, budget: Duration, mut f: impl FnMut() -> T) {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 10_000) {
        let t = Instant::now();
        black_box(f());
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let median = times[times.len() / 2];
    println!(
        "{name:<55} median {:>10.3} µs   min {:>10.3} µs   ({} runs)",
        micros(median),
        micros(times[0]),
        times.len()
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn open(path: &PathBuf) -> DqmFile<FileSource> {
    DqmFile::open(
        FileSource::open(path).expect("open"),
        path.display().to_string(),
    )
    .expect("open DQM file")
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let budget = Duration::from_secs(2);
    let legacy =
        fixtures().join("dqm/DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root");
    let dqmio = fixtures().join("dqm/DQMIO_R000123456_ZeroBias.root");
    let pb = fixtures().join("dqm/run123456_ls0003_streamDQMHistograms.pb");
    let big = fixtures().join("root-conformance/perf/root_10k.root");

    bench("legacy 21 MEs: open + list", budget, || {
        open(&legacy).list(123456, 0).unwrap().mes.len()
    });
    bench(
        "DQMIO: open + list run 123456 lumi 0 (21 MEs)",
        budget,
        || open(&dqmio).list(123456, 0).unwrap().mes.len(),
    );
    let file = open(&dqmio);
    bench("DQMIO: list lumi 0 on an open file", budget, || {
        file.list(123456, 0).unwrap().mes.len()
    });
    bench("PB: open + list (21 MEs)", budget, || {
        open(&pb).list(123456, 0).unwrap().mes.len()
    });
    bench(
        "root_10k: RootFile open + list_recursive (10,122 keys)",
        budget,
        || {
            RootFile::open(FileSource::open(&big).unwrap(), "root_10k")
                .unwrap()
                .list_recursive()
                .unwrap()
                .len()
        },
    );
    bench(
        "root_10k: DqmFile open + legacy list (10,000 MEs)",
        budget,
        || open(&big).list(1, 0).unwrap().mes.len(),
    );

    let file = open(&legacy);
    let listing = file.list(123456, 0).unwrap();
    let me = listing
        .find("Tracking/TrackParameters/GeneralProperties/NumberOfTracks")
        .unwrap()
        .clone();
    bench("legacy: decode one TH1F from its location", budget, || {
        file.decode(&me).unwrap()
    });
}
