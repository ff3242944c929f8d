//! Spec §11 items 1–4 and 8: documents built from the samples, tier order, history entries.

mod common;

use common::*;
use serde_json::{json, Value};
use stats2::dbs::RunCache;
use stats2::document::{build_document, sort_by_tier, Index};
use stats2::fake::{CallKind, FakeCmsweb, FakeDataset};
use stats2::history::{append_if_changed, lumi_tracking, new_entry};
use stats2::upstream::{Call, ParentMask};

fn build(fake: &FakeCmsweb, name: &str, raw: Value) -> stats2::document::Doc {
    let mut cache = RunCache::new(fake);
    build_document(name, &object(raw), &mut cache).unwrap()
}

#[test]
fn taskchain_sample_builds_the_sample_document() {
    let fake = FakeCmsweb::new();
    let doc = build(&fake, TASKCHAIN, sample("reqmgr2_request__synthetic.json"));
    assert_eq!(doc, expected_doc("stats2_doc__synthetic.json"));
    assert!(!doc.contains_key("InputDataset"));
    assert_eq!(doc["TotalEvents"], json!(1_000_000));
    assert_eq!(fake.calls(), Vec::<Call>::new(), "rule 3 needs no DBS call");
}

#[test]
fn rereco_sample_counts_input_events_and_tracks_lumis() {
    let fake = FakeCmsweb::new();
    let doc = build(
        &fake,
        RERECO,
        sample("reqmgr2_rereco_request__synthetic.json"),
    );
    assert_eq!(doc, expected_doc("stats2_doc_rereco_lumis__synthetic.json"));
    assert_eq!(doc["TotalEvents"], json!(51_234_567));
    assert_eq!(doc["TotalInputLumis"], json!(20480));
    assert!(lumi_tracking(&doc));
    let tiers: Vec<&str> = doc["OutputDatasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(tiers, ["DQMIO", "AOD", "MINIAOD"]);
}

#[test]
fn tier_sort_puts_unknown_tiers_first_and_is_stable() {
    let mut datasets: Vec<String> = ["/a/b/NANOAODSIM", "/a/b/FOO", "/a/b/GEN-SIM", "/a/b/GEN"]
        .map(String::from)
        .to_vec();
    sort_by_tier(&mut datasets);
    assert_eq!(
        datasets,
        ["/a/b/FOO", "/a/b/GEN", "/a/b/GEN-SIM", "/a/b/NANOAODSIM"]
    );
    let mut same: Vec<String> = ["/x/1/AOD", "/x/2/DQMIO", "/x/3/AOD", "/x/4/MINIAOD"]
        .map(String::from)
        .to_vec();
    sort_by_tier(&mut same);
    assert_eq!(same, ["/x/2/DQMIO", "/x/1/AOD", "/x/3/AOD", "/x/4/MINIAOD"]);
}

#[test]
fn expected_events_rules_fall_through_in_order() {
    let fake = FakeCmsweb::new();
    fake.set_dataset(
        "/In/Put/RAW",
        FakeDataset {
            access_type: "VALID".into(),
            events: 777,
            size: 1,
            lumis: 1,
            modified: 0,
        },
    );
    fake.set_run_events("/In/Put/RAW", "5", 41);
    fake.set_run_events("/In/Put/RAW", "6", 2);
    let total = |raw: Value| build(&fake, "wf", raw)["TotalEvents"].clone();
    // Rule 1 with the filter efficiency.
    assert_eq!(
        total(json!({"TotalInputFiles": 3, "TotalInputEvents": 1000, "FilterEfficiency": 0.5})),
        json!(500)
    );
    // A null rule-3 value falls through (Decision) to rule 4.
    assert_eq!(
        total(
            json!({"RequestNumEvents": null, "Task1": {"RequestNumEvents": null}, "Step1": {"RequestNumEvents": 9}})
        ),
        json!(9)
    );
    // Rule 5: filesummaries without validFileOnly.
    assert_eq!(
        total(json!({"Task1": {"InputDataset": "/In/Put/RAW"}})),
        json!(777)
    );
    assert!(fake.calls().contains(&Call::DbsFileSummaries {
        dataset: "/In/Put/RAW".into(),
        valid_only: false
    }));
    // Rule 5 with a lumi mask: one files call per run, ranges without spaces.
    let masked = total(
        json!({"Task1": {"InputDataset": "/In/Put/RAW", "LumiList": {"5": [[1, 10], [20, 30]], "6": [[1, 1]]}}}),
    );
    assert_eq!(masked, json!(43));
    assert!(fake.calls().contains(&Call::DbsFiles {
        dataset: "/In/Put/RAW".into(),
        run: "5".into(),
        lumi_list: "[[1,10],[20,30]]".into(),
        valid_only: false
    }));
    // An empty mask falls back to filesummaries (§10a).
    assert_eq!(
        total(json!({"Task1": {"InputDataset": "/In/Put/RAW", "LumiList": {}}})),
        json!(777)
    );
    assert_eq!(total(json!({"RequestType": "MonteCarlo"})), json!(-1));
}

#[test]
fn resubmission_takes_the_parent_figures() {
    let fake = FakeCmsweb::new();
    fake.set_parents(
        "P-1",
        vec![
            ("acdc", "Resubmission", json!(5), json!(6)),
            ("parent", "ReReco", json!(51234567), json!(20480)),
        ],
    );
    let doc = build(
        &fake,
        "wf",
        json!({"RequestType": "Resubmission", "PrepID": "P-1", "FilterEfficiency": 0.5, "LumiList": {"1": [[1, 2]]}}),
    );
    assert_eq!(doc["TotalEvents"], json!(25617283));
    assert_eq!(doc["TotalInputLumis"], json!(20480));
    assert!(fake.calls().contains(&Call::ParentLookup {
        prep_id: "P-1".into(),
        mask: ParentMask::TotalInputLumis
    }));
    let orphan = build(
        &fake,
        "wf2",
        json!({"RequestType": "resubmission", "PrepID": "none"}),
    );
    assert_eq!(orphan["TotalEvents"], json!(-1));
    assert_eq!(orphan["TotalInputLumis"], Value::Null);
}

#[test]
fn campaign_walk_stepchain_and_fallbacks() {
    let fake = FakeCmsweb::new();
    let doc = build(
        &fake,
        "wf",
        json!({
            "StepChain": 2, "Task1": {"Campaign": "ignored"},
            "Step1": {"Campaign": "", "AcquisitionEra": "EraA", "PrepID": "S1"}, "Step2": {"Campaign": "C2"}, "Step4": {"Campaign": "gap"},
            "PrepID": null, "ProcessingString": {"a": "b"}, "RequestPriority": null,
            "OutputDatasets": [["/a/b/AOD"], "/a/b/DQMIO"],
            "RequestTransition": [{"Status": "new", "UpdateTime": 1, "DN": "x", "Other": 2}],
        }),
    );
    assert_eq!(doc["Campaigns"], json!(["EraA", "C2"]));
    assert_eq!(doc["Requests"], json!(["S1"]));
    assert!(!doc.contains_key("PrepID") && !doc.contains_key("ProcessingString"));
    assert_eq!(doc["RequestPriority"], json!(0));
    assert_eq!(doc["OutputDatasets"], json!(["/a/b/DQMIO", "/a/b/AOD"]));
    assert_eq!(
        doc["RequestTransition"],
        json!([{"Status": "new", "UpdateTime": 1}])
    );
    let dict_era = build(&fake, "wf", json!({"AcquisitionEra": {"t": "x"}}));
    assert_eq!(
        dict_era["Campaigns"],
        json!([]),
        "a dict AcquisitionEra is no campaign"
    );
    let top = build(
        &fake,
        "wf",
        json!({"Campaign": "", "AcquisitionEra": "Era"}),
    );
    assert_eq!(top["Campaigns"], json!(["Era"]));
    assert_eq!(
        Index::Campaign
            .values(&build(
                &fake,
                "wf",
                json!({"Task1": {"Campaign": "A"}, "Task2": {"Campaign": "A"}})
            ))
            .len(),
        1
    );
}

fn rereco_world() -> FakeCmsweb {
    let fake = FakeCmsweb::new();
    let figures = |events, size| FakeDataset {
        access_type: "PRODUCTION".into(),
        events,
        size,
        lumis: 4100,
        modified: 0,
    };
    fake.set_dataset(
        "/Muon0/Run2024F-ECAL_PFA_2024-v1/AOD",
        figures(10240000, 3900000000000),
    );
    fake.set_dataset(
        "/Muon0/Run2024F-ECAL_PFA_2024-v1/DQMIO",
        figures(10240000, 2100000000),
    );
    fake
}

#[test]
fn history_entry_matches_the_sample_with_a_none_dummy() {
    let fake = rereco_world();
    let doc = build(
        &fake,
        RERECO,
        sample("reqmgr2_rereco_request__synthetic.json"),
    );
    let mut cache = RunCache::new(&fake);
    let entry = new_entry(&doc, &mut cache, 1725200000).unwrap().unwrap();
    assert_eq!(
        entry,
        sample("stats2_doc_rereco_lumis__synthetic.json")["EventNumberHistory"][0]
    );
    for tier in ["AOD", "DQMIO"] {
        let dataset = format!("/Muon0/Run2024F-ECAL_PFA_2024-v1/{tier}");
        assert!(
            fake.calls().contains(&Call::DbsFileSummaries {
                dataset,
                valid_only: true
            }),
            "validFileOnly for PRODUCTION"
        );
    }
    assert_eq!(
        fake.count(CallKind::DbsDatasetList),
        1,
        "one datasetlist POST for all outputs"
    );
    // The run cache answers a second entry without DBS.
    new_entry(&doc, &mut cache, 1725200001).unwrap().unwrap();
    assert_eq!(fake.count(CallKind::DbsDatasetList), 1);
}

#[test]
fn history_appends_only_changes_and_stays_sorted() {
    let fake = rereco_world();
    let mut doc = build(
        &fake,
        RERECO,
        sample("reqmgr2_rereco_request__synthetic.json"),
    );
    let first = new_entry(&doc, &mut RunCache::new(&fake), 2000)
        .unwrap()
        .unwrap();
    assert!(append_if_changed(&mut doc, first));
    let same = new_entry(&doc, &mut RunCache::new(&fake), 3000)
        .unwrap()
        .unwrap();
    assert!(!append_if_changed(&mut doc, same));
    assert_eq!(doc["EventNumberHistory"].as_array().unwrap().len(), 1);
    fake.grow_dataset("/Muon0/Run2024F-ECAL_PFA_2024-v1/AOD", 5, 0, 3000);
    // An older out-of-order entry without Lumis gets sorted first and back-filled with Lumis: 0.
    doc["EventNumberHistory"].as_array_mut().unwrap().push(json!({"Time": 1000, "Datasets": {"/old/x/AOD": {"Type": "VALID", "Events": 1, "Size": 1}}}));
    let grown = new_entry(&doc, &mut RunCache::new(&fake), 4000)
        .unwrap()
        .unwrap();
    assert!(append_if_changed(&mut doc, grown));
    let times: Vec<i64> = doc["EventNumberHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Time"].as_i64().unwrap())
        .collect();
    assert_eq!(times, [1000, 2000, 4000]);
    assert_eq!(
        doc["EventNumberHistory"][0]["Datasets"]["/old/x/AOD"]["Lumis"],
        json!(0)
    );
    assert_eq!(
        doc["EventNumberHistory"][2]["Datasets"]["/Muon0/Run2024F-ECAL_PFA_2024-v1/AOD"]["Events"],
        json!(10240005)
    );
}

#[test]
fn no_output_datasets_means_no_entry() {
    let fake = FakeCmsweb::new();
    let doc = build(&fake, "wf", json!({"RequestType": "TaskChain"}));
    assert_eq!(new_entry(&doc, &mut RunCache::new(&fake), 1).unwrap(), None);
    assert_eq!(fake.calls(), Vec::<Call>::new());
}
