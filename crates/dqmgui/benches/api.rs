//! Native timings of the API over `MemoryStore` (the gateway adds its own per-request cost; measure that with
//! wrk): register + first archive of the 21-ME legacy fixture, register of the 10k-ME `root_10k.root`,
//! archive, samples and json of a TH1F (legacy and DQMIO), archive and json in the 10k-ME sample, and the
//! store calls each request makes. `cargo bench -p dqmgui --bench api`.

use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use dqmgui::{DataRoot, Service};
use kv_api::{CasOutcome, KvResult, KvStore, MemoryStore};
use web_kit::{Reply, Request};

const LEGACY: &str = "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
const ZB: &str = "/ZeroBias/Run2024A-PromptReco-v1/DQMIO";

/// A store that counts the calls made through it (each is a host call inside a component).
struct Counting<'a> {
    inner: &'a MemoryStore,
    calls: Cell<usize>,
}

impl Counting<'_> {
    fn count<T>(&self, result: T) -> T {
        self.calls.set(self.calls.get() + 1);
        result
    }
}

impl KvStore for Counting<'_> {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.count(self.inner.get(key))
    }
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.count(self.inner.set(key, value))
    }
    fn delete(&self, key: &str) -> KvResult<()> {
        self.count(self.inner.delete(key))
    }
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        self.count(self.inner.get_many(keys))
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.count(self.inner.get_keys())
    }
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        self.count(self.inner.increment(key, delta))
    }
    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome> {
        self.count(self.inner.compare_and_swap(key, expected, new))
    }
}

/// Prints how many store calls one GET of each path makes.
fn store_calls(store: &MemoryStore, dir: &Path, paths: &[&str]) {
    for path in paths {
        let counting = Counting { inner: store, calls: Cell::new(0) };
        get(&service(&counting, dir), path);
        println!("  store calls: {:<2} GET {path}", counting.calls.get());
    }
}

fn service<'a>(store: &'a dyn KvStore, dir: &Path) -> Service<'a> {
    Service {
        store,
        data: DataRoot { mount: "/data".into(), dir: dir.to_path_buf() },
        layouts_dir: dir.to_path_buf(),
        settings: dqmgui::Settings::fixed("t", 0),
    }
}

fn register(svc: &Service, dataset: &str, run: u32, file: &str) {
    register_format(svc, dataset, run, file, 1);
}

fn register_format(svc: &Service, dataset: &str, run: u32, file: &str, format: u8) {
    let body = format!(r#"[{{"dataset": "{dataset}", "run": {run}, "lumi": 0, "file": "/data/{file}", "fileformat": {format}}}]"#);
    let req = Request { method: "POST".into(), path: "/api/v1/register".into(), headers: vec![("authorization".into(), "Bearer t".into())], body: body.into_bytes(), ..Default::default() };
    let reply = dqmgui::handle(&req, svc);
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
}

fn get(svc: &Service, path: &str) -> Reply {
    let reply = dqmgui::handle(&Request::get(path), svc);
    assert_eq!(reply.status, 200, "{path}");
    reply
}

/// Runs `f` `n` times and prints p50 / p99 / mean.
fn time(label: &str, n: usize, mut f: impl FnMut()) {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    println!("{label:<48} p50 {:>9.3?}  p99 {:>9.3?}  mean {:>9.3?}  (n={n})", samples[n / 2], samples[n * 99 / 100], mean);
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = repo.join("tests/fixtures/dqm");
    let perf = repo.join("tests/fixtures/root-conformance/perf");

    let mut run = 0;
    time("register + first archive, 21-ME legacy", 200, || {
        let store = MemoryStore::new();
        let svc = service(&store, &fixtures);
        run += 1;
        register(&svc, ZB, 123456, LEGACY);
        get(&svc, &format!("/api/v1/archive/123456{ZB}/Tracking/TrackParameters/GeneralProperties"));
    });
    let big_file = perf.join("root_10k.root");
    time("  of which: open + list (dqm-formats)", 10, || {
        let file = dqm_formats::DqmFile::open(rootfile::FileSource::open(&big_file).unwrap(), "root_10k").unwrap();
        assert_eq!(file.list(1, 0).unwrap().mes.len(), 10_000);
    });
    time("register root_10k.root (10,000 TH1F)", 10, || {
        let store = MemoryStore::new();
        register(&service(&store, &perf), "/Perf/Ten/Thousand", 1, "root_10k.root");
    });

    let store = MemoryStore::new();
    let svc = service(&store, &fixtures);
    for i in 0..100 {
        register(&svc, &format!("/Bench/s{i}/DQMIO"), 123456, LEGACY);
    }
    register(&svc, ZB, 123456, LEGACY);
    time("archive GeneralProperties (101 samples stored)", 2000, || {
        get(&svc, &format!("/api/v1/archive/123456{ZB}/Tracking/TrackParameters/GeneralProperties"));
    });
    let layouts = dqmgui::layouts::load_dir(&repo.join("layouts")).unwrap();
    dqmgui::layouts::save(&store, &layouts).unwrap();
    time("archive GeneralProperties, with the repo's layouts", 2000, || {
        get(&svc, &format!("/api/v1/archive/123456{ZB}/Tracking/TrackParameters/GeneralProperties"));
    });
    let stored = store.get(dqmgui::schema::LAYOUTS_KEY).unwrap();
    time(&format!("  of which: parse the {} stored layouts", layouts.len()), 2000, || {
        dqmgui::layouts::parse_stored(stored.as_deref());
    });
    time("samples (101 samples)", 2000, || {
        get(&svc, "/api/v1/samples");
    });
    time("  of which: read the catalog (schema::all_samples)", 2000, || {
        dqmgui::schema::all_samples(&store).unwrap();
    });
    time("json TH1F NumberOfTracks", 2000, || {
        get(&svc, &format!("/api/v1/json/123456{ZB}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks"));
    });
    let id = dqmgui::schema::SampleId::new(ZB, 123456, 0);
    let me = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
    time("  of which: find + read + decode the object", 2000, || {
        dqmgui::objects::load(&store, &svc.data, &id, me).unwrap().unwrap();
    });
    let loaded = dqmgui::objects::load(&store, &svc.data, &id, me).unwrap().unwrap();
    time("  of which: TBufferJSON text (rootfile::json)", 2000, || {
        dqm_formats::api_json(&loaded.decoded, loaded.efficiency);
    });
    let tree = "/ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE";
    register_format(&svc, tree, 123456, "DQMIO_R000123456_ZeroBias.root", 2);
    let dqmio_json = format!("/api/v1/json/123456{tree}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks");
    time("json TH1F NumberOfTracks, DQMIO", 2000, || {
        get(&svc, &dqmio_json);
    });
    let tree_id = dqmgui::schema::SampleId::new(tree, 123456, 0);
    time("  of which: find + read + decode the object", 2000, || {
        dqmgui::objects::load(&store, &svc.data, &tree_id, me).unwrap().unwrap();
    });
    let zb_json = format!("/api/v1/json/123456{ZB}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks");
    store_calls(&store, &fixtures, &["/api/v1/samples", &format!("/api/v1/archive/123456{ZB}/Tracking/TrackParameters/GeneralProperties"), &zb_json, &dqmio_json]);

    let big = MemoryStore::new();
    let big_svc = service(&big, &perf);
    register(&big_svc, "/Perf/Ten/Thousand", 1, "root_10k.root");
    time("archive top level of root_10k", 200, || {
        get(&big_svc, "/api/v1/archive/1/Perf/Ten/Thousand/");
    });
    let (record, list) = dqmgui::objects::sample(&big, &dqmgui::schema::SampleId::new("/Perf/Ten/Thousand", 1, 0)).unwrap().unwrap();
    let last = list.name(list.len() - 1).to_owned();
    let folder = &last[..last.rfind('/').unwrap()];
    println!("  root_10k: {} MEs, melist blob {} bytes, folder {folder:?}", record.me_count, big.get(&record.melist).unwrap().unwrap().len());
    let blob = big.get(&record.melist).unwrap().unwrap();
    time("  of which: read the list (copy the blob out of the store)", 2000, || {
        std::hint::black_box(big.get(&record.melist).unwrap());
    });
    time("  of which: decode the list", 2000, || {
        dqmgui::melist::MeList::decode_owned(std::hint::black_box(blob.clone())).unwrap();
    });
    time("archive one folder of root_10k", 2000, || {
        get(&big_svc, &format!("/api/v1/archive/1/Perf/Ten/Thousand/{folder}"));
    });
    time("json of one TH1F of root_10k", 2000, || {
        get(&big_svc, &format!("/api/v1/json/1/Perf/Ten/Thousand/{last}"));
    });
}
