//! Golden JSON generation: the spec's seeded job, the real 2018 JSON rebuilt from per-LS flags, revert.

mod common;

use common::*;
use kv_api::MemoryStore;
use runregistry::golden::generate;
use runregistry::history::revert;
use runregistry::runs::{edit_rr_lumisections, RangeEdit};
use runregistry::{Actor, Event, LsChange, Registry, Target};
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../tests/fixtures/runregistry/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn two_runs() -> MemoryStore {
    let store = MemoryStore::new();
    let mut run1 = rr_ls(10, "dt-dt", "GOOD");
    for ls in [3, 4] {
        run1[ls - 1] = obj(json!({"dt-dt": {"status": "BAD", "comment": "HV trip", "cause": ""}}));
    }
    seed(
        &store,
        vec![
            run_input(1, run1, oms_ls(10)),
            run_input(2, rr_ls(10, "dt-dt", "GOOD"), oms_ls(10)),
        ],
    );
    store
}

#[test]
fn the_seeded_job_of_the_spec() {
    let store = two_runs();
    let rule = json!({"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]});
    let mut seen = Vec::new();
    let row = generate(&Registry::new(&store), &rule, "online", &mut |p| {
        seen.push(p)
    })
    .unwrap();
    assert_eq!(
        row["generated_json"],
        json!({"1": [[1, 2], [5, 10]], "2": [[1, 10]]})
    );
    assert_eq!(row["generated_anti_json"], json!({"1": [[3, 4]]}));
    assert_eq!(
        row["generated_json_with_dataset_names"],
        json!({"1-online": [[1, 2], [5, 10]], "2-online": [[1, 10]]})
    );
    assert_eq!(row["recorded_luminosity_in_json"], json!(18));
    assert_eq!(row["total_recorded_luminosity"], json!(20));
    assert_eq!(row["total_recorded_luminosity_lost"], json!(2));
    assert_eq!(row["total_recorded_luminosity_from_run_range"], json!(20));
    assert_eq!(
        row["rules_flagged_false_quantity_luminosity"],
        json!({r#"{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}"#: 2})
    );
    assert_eq!(
        row["rules_flagged_false_combination_luminosity"],
        json!({r#"[{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}]"#: 2})
    );
    assert_eq!(
        row["runs_lumisections_responsible_for_rule"],
        json!({r#"[{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}]"#: {"1-online": [[3, 4]]}})
    );
    assert_eq!(
        (row["min_run_number"].clone(), row["max_run_number"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(seen, vec![0.5, 1.0]);
}

#[test]
fn per_ls_rules_give_the_same_answer_as_segment_evaluation() {
    let store = two_runs();
    let registry = Registry::new(&store);
    // Reading lumisection_number forces per-LS evaluation; `>= 0` keeps it neutral.
    let per_ls = json!({"and": [{"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]}, {">=": [{"var": "lumisection.lumisection_number"}, 0]}]});
    let row = generate(&registry, &per_ls, "online", &mut |_| {}).unwrap();
    assert_eq!(
        row["generated_json"],
        json!({"1": [[1, 2], [5, 10]], "2": [[1, 10]]})
    );
    let odd = json!({"==": [{"%": [{"var": "lumisection.lumisection_number"}, 2]}, 1]});
    let row = generate(&registry, &odd, "online", &mut |_| {}).unwrap();
    assert_eq!(
        row["generated_json"]["2"],
        json!([[1, 1], [3, 3], [5, 5], [7, 7], [9, 9]])
    );
    let lumi = json!({">": [{"var": "lumisection.oms.recorded"}, 0.5]});
    assert_eq!(
        generate(&registry, &lumi, "online", &mut |_| {}).unwrap()["generated_json"]["1"],
        json!([[1, 10]])
    );
}

#[test]
fn ls_without_oms_or_rr_data_are_in_neither_json() {
    let store = MemoryStore::new();
    seed(
        &store,
        vec![run_input(5, rr_ls(10, "dt-dt", "GOOD"), oms_ls(6))],
    );
    let rule = json!({"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]});
    let row = generate(&Registry::new(&store), &rule, "online", &mut |_| {}).unwrap();
    assert_eq!(row["generated_json"], json!({"5": [[1, 6]]}));
    assert_eq!(row["generated_anti_json"], json!({}));
    assert_eq!(row["total_recorded_luminosity"], json!(6));
    // Absent components read as null.
    let rule = json!({"==": [{"var": "lumisection.rr.csc-csc"}, null]});
    assert_eq!(
        generate(&Registry::new(&store), &rule, "online", &mut |_| {}).unwrap()["generated_json"],
        json!({"5": [[1, 6]]})
    );
}

#[test]
fn revert_is_reflected_in_the_golden_json() {
    let store = two_runs();
    let registry = Registry::new(&store);
    let rule = json!({"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]});
    let expert = Actor::user("expert@cern.ch");
    let edit = RangeEdit {
        start: 6,
        end: 7,
        status: json!("BAD"),
        comment: "noisy chamber".into(),
        cause: "noise".into(),
    };
    let done = edit_rr_lumisections(&registry, &expert, 2, "online", "dt-dt", &edit, None).unwrap();
    let row = generate(&registry, &rule, "online", &mut |_| {}).unwrap();
    assert_eq!(row["generated_json"]["2"], json!([[1, 5], [8, 10]]));
    revert(
        &registry,
        &expert,
        done["atomic_version"].as_i64().unwrap(),
        "false alarm",
    )
    .unwrap();
    let row = generate(&registry, &rule, "online", &mut |_| {}).unwrap();
    assert_eq!(row["generated_json"]["2"], json!([[1, 10]]));
}

/// Parses the sample rule file: first line the dataset filter, then the rule.
fn sample_rule() -> (String, Value) {
    let text = fixture("sample_json_logic__runregistry_backend.txt");
    let (filter, rule) = text.split_once('\n').unwrap();
    (
        filter.trim().to_string(),
        serde_json::from_str(rule).unwrap(),
    )
}

/// Every `lumisection.rr.X == "GOOD"`, `... == "BAD"` and `lumisection.oms.Y == true` leaf of a rule.
fn leaves(rule: &Value) -> (Vec<(String, String)>, Vec<String>) {
    let (mut rr, mut oms) = (Vec::new(), Vec::new());
    for leaf in rule["and"].as_array().unwrap() {
        let Some(args) = leaf.get("==").and_then(Value::as_array) else {
            continue;
        };
        let Some(path) = args[0].get("var").and_then(Value::as_str) else {
            continue;
        };
        if let Some(component) = path.strip_prefix("lumisection.rr.") {
            rr.push((component.to_string(), args[1].as_str().unwrap().to_string()));
        } else if let Some(bit) = path.strip_prefix("lumisection.oms.") {
            oms.push(bit.to_string());
        }
    }
    (rr, oms)
}

#[test]
fn the_real_2018_golden_json_is_rebuilt_from_per_ls_flags() {
    let golden: Map<String, Value> = serde_json::from_str(&fixture(
        "golden_json_2018_example__test_previous_json.json",
    ))
    .unwrap();
    let (filter, rule) = sample_rule();
    let (rr_leaves, oms_leaves) = leaves(&rule);
    assert_eq!((rr_leaves.len(), oms_leaves.len()), (14, 28));
    let store = MemoryStore::new();
    let registry = Registry::new(&store);
    let name = "/ReReco/Run2018A_UL2019/DQM";
    let good: Map<String, Value> = rr_leaves
        .iter()
        .map(|(c, s)| (c.clone(), json!({"status": s, "comment": "", "cause": ""})))
        .collect();
    let ready: Map<String, Value> = oms_leaves
        .iter()
        .map(|b| (b.clone(), json!(true)))
        .collect();
    let mut events = Vec::new();
    for (i, (run, ranges)) in golden.iter().enumerate() {
        let run_number: u64 = run.parse().unwrap();
        let ranges: Vec<[u32; 2]> = serde_json::from_value(ranges.clone()).unwrap();
        let last = ranges.last().unwrap()[1] + 3;
        let mut run_event = Event::new(Target::Run, run_number, "");
        run_event.oms_metadata = obj(json!({"energy": 6500, "b_field": 3.8, "recorded_lumi": 0.5,
            "injection_scheme": "25ns_2556b_2544_2215_2332_144bpi_20injV3", "hlt_key": "/cdaq/physics/Run2018/2e34/v3.6.1/HLT/V2"}));
        run_event.rr_metadata = obj(
            json!({"class": "Collisions18", "state": "COMPLETED", "significant": true, "stop_reason": ""}),
        );
        let mut dataset_event = Event::new(Target::Dataset, run_number, name);
        dataset_event.dataset_metadata = obj(json!({"global_state": "COMPLETED"}));
        let mut rr = Event::new(Target::RrLs, run_number, name);
        let mut oms = Event::new(Target::OmsLs, run_number, name);
        rr.ranges.push(LsChange {
            start: 1,
            end: last,
            values: good.clone(),
        });
        let mut all = ready.clone();
        all.insert("recorded".into(), json!(0.001));
        oms.ranges.push(LsChange {
            start: 1,
            end: last,
            values: all,
        });
        // Every LS outside the golden ranges fails on one flag, a different one per gap.
        let mut gaps = Vec::new();
        let mut next = 1;
        for [a, b] in &ranges {
            if *a > next {
                gaps.push([next, a - 1]);
            }
            next = b + 1;
        }
        gaps.push([next, last]);
        for (g, [a, b]) in gaps.into_iter().enumerate() {
            let pick = i + g;
            if pick % 2 == 0 {
                let (component, status) = &rr_leaves[pick / 2 % rr_leaves.len()];
                let wrong = if status == "GOOD" { "BAD" } else { "GOOD" };
                rr.ranges.push(LsChange {
                    start: a,
                    end: b,
                    values: obj(json!({component: {"status": wrong, "comment": "", "cause": ""}})),
                });
            } else {
                let bit = &oms_leaves[pick / 2 % oms_leaves.len()];
                oms.ranges.push(LsChange {
                    start: a,
                    end: b,
                    values: obj(json!({bit: false})),
                });
            }
        }
        events.extend([run_event, dataset_event, rr, oms]);
    }
    registry
        .record(&Actor::service(), "2018 flags", events)
        .unwrap();
    let row = generate(&registry, &rule, &filter, &mut |_| {}).unwrap();
    assert_eq!(row["generated_json"], Value::Object(golden.clone()));
    let in_json: f64 = row["recorded_luminosity_in_json"].as_f64().unwrap();
    assert!((in_json - 233_929.0 * 0.001).abs() < 1e-6, "{in_json}");
    let lost = row["total_recorded_luminosity_lost"].as_f64().unwrap();
    let total = row["total_recorded_luminosity"].as_f64().unwrap();
    assert!((total - in_json - lost).abs() < 1e-6);
    // Each failing flag is blamed for its own LS and nothing else.
    let quantity = row["rules_flagged_false_quantity_luminosity"]
        .as_object()
        .unwrap();
    assert!(
        quantity.keys().any(|k| k.contains("lumisection.oms."))
            && quantity.keys().any(|k| k.contains("lumisection.rr."))
    );
    assert!(quantity.keys().all(|k| !k.contains("run.oms.")));
    assert!((quantity.values().map(|v| v.as_f64().unwrap()).sum::<f64>() - lost).abs() < 1e-6);
}
