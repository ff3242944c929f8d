//! Golden JSON over 500 runs × 2,000 LS × 20 components (1 M LS contexts) in a MemoryStore.
//! Run: `cargo bench -p runregistry --bench golden` (prints setup and generation times).

use kv_api::MemoryStore;
use runregistry::golden::generate;
use runregistry::{Actor, Event, LsChange, Registry, Target};
use serde_json::{json, Map, Value};
use std::time::Instant;

const RUNS: u64 = 500;
const LUMISECTIONS: u32 = 2_000;
const DATASET: &str = "/PromptReco/Collisions2018A/DQM";

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(bound)) as u32
    }
}

fn rule_and_components() -> (Value, Vec<String>) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/runregistry/sample_json_logic__runregistry_backend.txt"
    ))
    .expect("sample rule");
    let rule: Value =
        serde_json::from_str(text.split_once('\n').expect("filter line").1).expect("rule");
    let mut components: Vec<String> = rule["and"]
        .as_array()
        .expect("and")
        .iter()
        .filter_map(|leaf| {
            leaf["=="][0]["var"]
                .as_str()?
                .strip_prefix("lumisection.rr.")
                .map(String::from)
        })
        .collect();
    for extra in [
        "castor-castor",
        "cms-cms",
        "csc-csc",
        "dt-dt",
        "rpc-rpc",
        "tau-tau",
    ] {
        components.push(extra.into());
    }
    components.truncate(20);
    (rule, components)
}

fn seed(store: &MemoryStore, components: &[String], bits: &[&str]) {
    let registry = Registry::new(store);
    let mut rng = Lcg(42);
    for run_number in 1..=RUNS {
        let run = 315_000 + run_number;
        let mut run_event = Event::new(Target::Run, run, "");
        run_event.oms_metadata = json!({"energy": 6500, "b_field": 3.8, "recorded_lumi": 0.5,
            "injection_scheme": "25ns_2556b_2544_2215_2332_144bpi_20injV3", "hlt_key": "/cdaq/physics/Run2018/v3/HLT"})
            .as_object().cloned().unwrap_or_default();
        run_event.rr_metadata = json!({"class": "Collisions18", "state": "COMPLETED"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut dataset = Event::new(Target::Dataset, run, DATASET);
        dataset.dataset_metadata = json!({"global_state": "COMPLETED"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut rr = Event::new(Target::RrLs, run, DATASET);
        let mut oms = Event::new(Target::OmsLs, run, DATASET);
        // Baseline: everything good over the whole run, then a few bad ranges per component / bit.
        let mut good: Map<String, Value> = components
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    json!({"status": "GOOD", "comment": "", "cause": ""}),
                )
            })
            .collect();
        good.insert(
            "dc-lowlumi".into(),
            json!({"status": "BAD", "comment": "low lumi", "cause": ""}),
        );
        rr.ranges.push(LsChange {
            start: 1,
            end: LUMISECTIONS,
            values: good,
        });
        let ready: Map<String, Value> = bits.iter().map(|b| (b.to_string(), json!(true))).collect();
        oms.ranges.push(LsChange {
            start: 1,
            end: LUMISECTIONS,
            values: ready,
        });
        for component in components {
            for _ in 0..rng.next(3) {
                let start = 1 + rng.next(LUMISECTIONS - 20);
                let values = json!({component.as_str(): {"status": "BAD", "comment": "noise", "cause": "hv"}});
                rr.ranges.push(LsChange {
                    start,
                    end: start + rng.next(20),
                    values: values.as_object().cloned().unwrap_or_default(),
                });
            }
        }
        for bit in bits {
            if rng.next(4) == 0 {
                let start = 1 + rng.next(LUMISECTIONS - 10);
                oms.ranges.push(LsChange {
                    start,
                    end: start + rng.next(10),
                    values: json!({*bit: false})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                });
            }
        }
        for ls in 1..=LUMISECTIONS {
            let lumi = 0.001 + f64::from(rng.next(1000)) * 1e-6;
            oms.ranges.push(LsChange {
                start: ls,
                end: ls,
                values: json!({"recorded": lumi, "delivered": lumi * 1.05})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            });
        }
        registry
            .record(
                &Actor::service(),
                "bench seed",
                vec![run_event, dataset, rr, oms],
            )
            .expect("seed");
    }
}

/// CPU seconds used by this process so far (Linux `/proc/self/stat`, 100 ticks/s): a number the machine's
/// load does not inflate, printed beside the wall-clock time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let (rule, components) = rule_and_components();
    let bits: Vec<&str> = runregistry::model::OMS_LS_ATTRIBUTES
        .iter()
        .copied()
        .filter(|b| b.ends_with("_ready") || b.contains("beam") || *b == "cms_active")
        .collect();
    let store = MemoryStore::new();
    let started = Instant::now();
    seed(&store, &components, &bits);
    println!(
        "seed: {RUNS} runs x {LUMISECTIONS} LS x {} components, {} bits in {:.2?}",
        components.len(),
        bits.len(),
        started.elapsed()
    );
    let registry = Registry::new(&store);
    let started = Instant::now();
    let mut bytes = 0;
    for (run, name) in registry.dataset_keys().expect("index") {
        bytes += kv_api::KvStore::get(&store, &runregistry::keys::dataset(run, &name))
            .expect("get")
            .map_or(0, |b| b.len());
        registry.dataset(run, &name).expect("dataset");
    }
    println!(
        "reading and parsing every dataset record ({:.1} MB): {:.2?}",
        bytes as f64 / 1e6,
        started.elapsed()
    );
    let mut times = Vec::new();
    for _ in 0..3 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let row = generate(&registry, &rule, DATASET, &mut |_| {}).expect("generate");
        times.push(started.elapsed());
        println!("  cpu {:.2}s", cpu_seconds() - cpu);
        let ranges: usize = row["generated_json"].as_object().map_or(0, |m| {
            m.values().map(|r| r.as_array().map_or(0, Vec::len)).sum()
        });
        println!(
            "golden JSON: {} runs, {ranges} ranges, {} anti runs, lost {:.3} of {:.3}, in {:.2?}",
            row["generated_json"].as_object().map_or(0, Map::len),
            row["generated_anti_json"].as_object().map_or(0, Map::len),
            row["total_recorded_luminosity_lost"]
                .as_f64()
                .unwrap_or(0.0),
            row["total_recorded_luminosity"].as_f64().unwrap_or(0.0),
            times.last().copied().unwrap_or_default()
        );
    }
    times.sort();
    println!(
        "golden JSON over {} LS contexts: best {:.2?}, median {:.2?}",
        u64::from(LUMISECTIONS) * RUNS,
        times[0],
        times[1]
    );
}
