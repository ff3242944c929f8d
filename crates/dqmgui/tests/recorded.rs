//! The API over the five DQM fixtures, compared with the responses recorded from the original DQM GUI
//! (`tests/recorded/`, copied from specs/samples/dqmgui): JSON bodies byte for byte; archive listings,
//! which the original returns in random order, as sets, with the spec's decisions applied.

mod common;

use common::*;
use dqmgui::layouts;
use kv_api::{KvStore, MemoryStore};
use serde_json::{json, Value};

fn items_of(text: &str, key: &str) -> Vec<Value> {
    let mut items = serde_json::from_str::<Value>(text).unwrap()[key].as_array().unwrap().clone();
    items.sort_by_key(|v| v.to_string());
    items
}

/// The listing equals the recorded one as a set (the original's order is random).
fn assert_same_items(store: &dyn KvStore, path: &str, recorded_name: &str) {
    let ours = body(store, path);
    assert_eq!(items_of(&ours, "data"), items_of(&recorded(recorded_name), "data"), "{path}");
}

#[test]
fn json_bodies_are_byte_identical() {
    let store = setup(&all_fixtures());
    let cases = [
        ("json_th1f.json", format!("123456/{ZB}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks")),
        ("json_rsm.json", format!("123456/{ZB}/Info/EventInfo/reportSummaryMap")),
        ("json_prof2d.json", format!("123456/{ZB}/EcalBarrel/EBTimingTask/EBTMT timing map")),
        ("json_eff.json", format!("123456/{ZB}/Tracking/TrackParameters/GeneralProperties/TrackEfficiency")),
        ("json_int.json", format!("123456/{ZB}/Info/EventInfo/iRun")),
        ("json_edge_var.json", format!("999999/{EDGE}/Edge/Binning/variable_bins")),
        ("gui0_dqmio_json_lumi2.json", format!("123456:2/{TREE}/Tracking/PerLumi/NumberOfTracks")),
        ("gui0_dqmio_json_prof.json", format!("123456/{TREE}/Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta")),
        ("gui0_dqmio_json_string.json", format!("123456/{TREE}/Info/ProvInfo/CMSSW")),
        ("gui0_dqmio_json_th1f.json", format!("123456/{TREE}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks")),
        ("gui0_pb_json_th1f.json", format!("123456/{PB}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks")),
        ("json_ref_TH1D.json", format!("123456/{ZB}/JetMET/Jet/ak4PFJets/Pt")),
        ("json_ref_TH1F_labels.json", format!("999999/{EDGE}/Edge/Labels/labels")),
        ("json_ref_TH1I.json", format!("999999/{EDGE}/Edge/Types/size_PXLayer_1")),
        ("json_ref_TH1S.json", format!("123456/{ZB}/JetMET/Jet/ak4PFJets/NJets")),
        ("json_ref_TH2D.json", format!("123456/{ZB}/JetMET/Jet/ak4PFJets/PhiVSEta")),
        ("json_ref_TH2S.json", format!("999999/{EDGE}/Edge/Types/h2s")),
        ("json_ref_TH3F.json", format!("999999/{EDGE}/Edge/Types/h3f")),
        ("json_ref_TProfile.json", format!("123456/{ZB}/Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta")),
    ];
    for (name, path) in cases {
        let path = path.replace(' ', "%20");
        assert_eq!(body(&store, &format!("/api/v1/json/{path}")), recorded(name), "{name}");
        assert_eq!(body(&store, &format!("/jsrootfairy/archive/{path}")), recorded(name), "legacy {name}");
    }
    let twice: Value = serde_json::from_str(&body(&store, &format!("/api/v1/json/999999/{EDGE}/Edge/Cycles/twice"))).unwrap();
    assert_eq!((twice["fArray"].clone(), twice["fEntries"].clone()), (json!([0, 1, 2, 0, 0, 0]), json!(2)), "highest cycle");
    let texts = [("Tracking/EventInfo/reportSummary", "0.987")];
    for (me, text) in texts {
        let v: Value = serde_json::from_str(&body(&store, &format!("/api/v1/json/123456/{ZB}/{me}"))).unwrap();
        assert_eq!(v["fString"], text);
    }
    for (me, text) in [("tinyFloat", "1.25e-07"), ("negativeInt", "-42"), ("string%20with%20spaces", "hello world <b>bold</b>")] {
        let v: Value = serde_json::from_str(&body(&store, &format!("/api/v1/json/999999/{EDGE}/Edge/Names/{me}"))).unwrap();
        assert_eq!(v["fString"], text, "{me}");
    }
}

#[test]
fn json_overlay_is_always_wrapped() {
    let store = setup(&all_fixtures());
    let me = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
    let two = format!("/api/v1/json_overlay?obj=archive/123456/{ZB}/{me}&obj=archive/123457/{ZB}/{me}");
    assert_eq!(body(&store, &two), recorded("json_overlay.json"));
    let one: Value = serde_json::from_str(&body(&store, &format!("/api/v1/json_overlay?obj=archive/123456/{ZB}/{me}&obj=archive/1/{ZB}/{me}"))).unwrap();
    assert_eq!(one["objects"].as_array().unwrap().len(), 1);
    assert_eq!(get(&store, &format!("/api/v1/json_overlay?obj=archive/1/{ZB}/{me}")).status, 404);
    assert_eq!(get(&store, "/api/v1/json_overlay?obj=a/1/b").status, 400);
    let mix = format!("/api/v1/json_overlay?obj=archive/123456/{ZB}/{me}&obj=archive/123456/{ZB}/Info/EventInfo/iRun");
    assert_eq!(get(&store, &mix).body, b"400: Bad Request");
}

#[test]
fn archive_listings_match_the_recorded_sets() {
    let store = setup(&all_fixtures());
    let a = |p: &str| format!("/api/v1/archive/{p}");
    assert_eq!(body(&store, &a(&format!("123456/{ZB}/Info"))), r#"{"data": [{"subdir": "EventInfo", "me_count": 6}, {"subdir": "Layouts", "me_count": 6}, {"subdir": "ProvInfo", "me_count": 2}]}"#);
    assert_same_items(&store, &a(&format!("123456/{ZB}/Info/EventInfo")), "archive_run_Info_EventInfo.json");
    assert_same_items(&store, &a(&format!("123456/{ZB}/Tracking/TrackParameters/GeneralProperties")), "archive_tracking_gp.json");
    assert_same_items(&store, &a(&format!("123456/{ZB}/Info/Layouts")), "archive_info_layouts.json");
    assert_same_items(&store, &a(&format!("123456/{ZB}/EcalBarrel/EBOccupancyTask")), "archive_ecal.json");
    // Decision §10.3: legacy TH1I is listed (the original dropped it).
    let mut types = items_of(&recorded("edge_types.json"), "data");
    types.push(json!({"name": "size_PXLayer_1", "path": "Edge/Types/size_PXLayer_1", "layout": null, "qtstatuses": []}));
    types.sort_by_key(|v| v.to_string());
    assert_eq!(items_of(&body(&store, &a(&format!("999999/{EDGE}/Edge/Types"))), "data"), types);
    assert_same_items(&store, &a(&format!("999999/{EDGE}/Edge/Cycles")), "edge_cycles.json");
    assert_same_items(&store, &a(&format!("123456/{PB}/Tracking/TrackParameters/GeneralProperties")), "pb_archive.json");
    assert_same_items(&store, &a(&format!("123456/{ZB}/Tracking/TrackParameters/GeneralProperties")), "gui0_legacy_archive.json");
    assert_same_items(&store, &a(&format!("123456:2/{TREE}/Tracking/PerLumi")), "gui0_dqmio_archive_lumi2.json");
    // The tree sample's Tracking/ has our Tracking layouts too; the original had none for it.
    let tracking = body(&store, &a(&format!("123456/{TREE}/Tracking/")));
    assert!(tracking.starts_with(r#"{"data": [{"subdir": "EventInfo", "me_count": 1}, {"subdir": "Layouts", "me_count": 3}, {"subdir": "TrackParameters", "me_count": 5}]"#), "{tracking}");
    // Decision §6.2/§10.4: a key with two cycles counts once (the original said 2).
    let edge = items_of(&body(&store, &a(&format!("999999/{EDGE}/Edge/"))), "data");
    let mut want = items_of(&recorded("edge_archive.json"), "data");
    want.iter_mut().filter(|v| v["subdir"] == "Cycles").for_each(|v| v["me_count"] = json!(1));
    // Decision §10.3: plus the TH1I the original did not list.
    want.iter_mut().filter(|v| v["subdir"] == "Types").for_each(|v| v["me_count"] = json!(3));
    want.sort_by_key(|v| v.to_string());
    assert_eq!(edge, want);
    // Search is anchored at the start of the leaf; our Tracking/Layouts holds 3 layouts, one starting with "Track".
    assert_eq!(body(&store, &a(&format!("123456/{ZB}/Tracking/?search=Track"))), r#"{"data": [{"subdir": "Layouts", "me_count": 1}, {"subdir": "TrackParameters", "me_count": 3}]}"#);
    // Legacy archive: same items under "contents".
    let legacy = body(&store, &format!("/data/json/archive/123456/{ZB}/JetMET/Jet/ak4PFJets"));
    assert_eq!(items_of(&legacy, "contents"), items_of(&recorded("archive_legacy.json"), "contents"));
    assert_eq!(body(&store, &a(&format!("123456/{ZB}/No/Such/Dir"))), r#"{"data": []}"#);
    let unknown = get(&store, &a("1/No/Such/DS/"));
    assert_eq!((unknown.status, unknown.body.as_slice()), (404, recorded("archive_nonexist.json").as_bytes()));
}

#[test]
fn walking_the_archive_finds_every_me() {
    let store = setup(&all_fixtures());
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/dqm/expected.json")).unwrap()).unwrap();
    let paths = |file: &str| -> Vec<String> {
        let mut v: Vec<String> = expected["fixtures"][file]["mes"].as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap().to_owned()).collect();
        v.sort();
        v
    };
    let legacy56 = paths("DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root");
    assert_eq!(walk(&store, &format!("123456/{ZB}")), legacy56);
    assert_eq!(walk(&store, &format!("123456/{PB}")), legacy56);
    assert_eq!(walk(&store, &format!("123456/{TREE}")), legacy56);
    assert_eq!(walk(&store, &format!("123457/{ZB}")), paths("DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root"));
    for lumi in 1..=3 {
        assert_eq!(walk(&store, &format!("123456:{lumi}/{TREE}")).len(), 4);
    }
}

/// Every ME path below the sample, skipping layouts (their `layout` is non-null).
fn walk(store: &dyn KvStore, sample: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        let listing: Value = serde_json::from_str(&body(store, &format!("/api/v1/archive/{sample}/{}", dir.replace(' ', "%20")))).unwrap();
        for item in listing["data"].as_array().unwrap() {
            if let Some(sub) = item["subdir"].as_str() {
                dirs.push(format!("{dir}{sub}/"));
            } else if item["layout"].is_null() {
                found.push(item["path"].as_str().unwrap().to_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn catalog_routes() {
    let store = setup(&all_fixtures());
    let samples: Value = serde_json::from_str(&body(&store, "/api/v1/samples")).unwrap();
    assert_eq!(samples["data"].as_array().unwrap().len(), 5);
    let per_lumi = body(&store, "/api/v1/samples?lumi=-1");
    assert_eq!(per_lumi, format!(r#"{{"data": [{{"run": 123456, "lumi": 1, "dataset": "/{TREE}"}}, {{"run": 123456, "lumi": 2, "dataset": "/{TREE}"}}, {{"run": 123456, "lumi": 3, "dataset": "/{TREE}"}}]}}"#));
    assert_eq!(body(&store, "/api/v1/samples?run=457"), format!(r#"{{"data": [{{"run": 123457, "lumi": 0, "dataset": "/{ZB}"}}]}}"#));
    let zero: Value = serde_json::from_str(&body(&store, "/api/v1/samples?dataset=zero")).unwrap();
    assert!(zero["data"].as_array().unwrap().iter().all(|s| s["dataset"].as_str().unwrap().starts_with("/ZeroBias/")));
    assert_eq!(get(&store, "/api/v1/samples?lumi=x").status, 400);
    let bad_time = get(&store, "/api/v1/samples?notOlderThan=abc");
    assert_eq!((bad_time.status, bad_time.body.as_slice()), (400, &br#"{"message": "notOlderThan is a numeric timestamp in seconds, in UTC time zone."}"#[..]));
    assert_eq!(get(&store, "/api/v1/samples?notOlderThan=1700000000").status, 200);
    assert_eq!(body(&store, &format!("/api/v1/lumis/123456/{TREE}")), "[0, 1, 2, 3]");
    assert_eq!(body(&store, "/api/v1/lumis/123456/No/Such/DS"), "[]");
    assert_eq!(get(&store, &format!("/api/v1/lumis/abc/{TREE}")).status, 400);
    assert_eq!(body(&store, "/api/v1/datasets?search=zero"), format!(r#"{{"datasets": ["/{ZB}", "/{TREE}"]}}"#));
    assert!(body(&store, "/api/v1/latest_runs").starts_with(r#"{"runs": [999999, 123457, 123456]"#));
    assert_eq!(body(&store, "/api/v1/latest_runs?search=457"), r#"{"runs": [123457]}"#);
    assert_eq!(body(&store, "/api/v1/host"), recorded("host.json"));
    assert_eq!(body(&store, "/api/v1/layouts?name=1%20-%20High%20Voltage%20(HV)%20per%20LumiSection"), recorded("layouts.json"));
    assert_eq!(body(&store, "/api/v1/layouts"), recorded("layouts_empty.json"));
    let legacy = body(&store, "/data/json/samples?run=123456:2");
    assert_eq!(legacy, format!(r#"{{"samples": [{{"type": "offline_data", "items": [{{"run": "123456:2", "dataset": "/{TREE}"}}]}}]}}"#));
    assert_eq!(get(&store, "/api/v1/samples/").status, 404);
}

#[test]
fn small_catalogs_match_the_recorded_bodies() {
    let store = setup(&all_fixtures()[..2]);
    assert_eq!(body(&store, "/api/v1/latest_runs"), recorded("latest_runs.json"));
    assert_eq!(body(&store, "/api/v1/datasets"), recorded("datasets.json"));
    assert_eq!(body(&store, "/api/v1/lumis/123456/ZeroBias/Run2024A-PromptReco-v1/DQMIO"), recorded("lumis.json"));
    assert_eq!(body(&store, "/data/json/samples?run=123456"), recorded("samples_legacy.json"));
}

#[test]
fn register_errors() {
    let store = MemoryStore::new();
    let send = |body: &str, token: Option<&str>| {
        let r = post(&store, "/api/v1/register", body.as_bytes(), token);
        (r.status, String::from_utf8(r.body).unwrap())
    };
    let msg = |m: &str| format!(r#"{{"message": "{m}"}}"#);
    let good = Value::from(all_fixtures()[..1].to_vec()).to_string();
    assert_eq!(send(&good, None), (401, msg("Unauthorized")));
    assert_eq!(send(&good, Some("wrong")), (401, msg("Unauthorized")));
    assert_eq!(send("not json", Some(TOKEN)), (400, msg("Please provide correctly formatted JSON")));
    assert_eq!(send(r#"[{"dataset":"/a/b/c","run":"1","lumi":"0","file":"/x","fileformat":7}]"#, Some(TOKEN)), (400, msg("Please provide a valid file format")));
    let outside = |file: &str| format!(r#"[{{"dataset":"/a/b/c","run":1,"lumi":0,"file":"{file}","fileformat":1}}]"#);
    for file in ["/etc/passwd", "/data/../etc/passwd", "root://eos/x.root"] {
        assert_eq!(send(&outside(file), Some(TOKEN)).0, 400, "{file}");
    }
    let (status, text) = send(&outside("/data/missing.root"), Some(TOKEN));
    assert_eq!(status, 400);
    assert!(text.starts_with(r#"{"message": "Could not import sample: "#), "{text}");
    let (status, text) = send(&outside("/data/run123456_ls0003_streamDQMHistograms.pb"), Some(TOKEN));
    assert_eq!(status, 400, "format mismatch: {text}");
    // All or nothing: one bad item stores nothing.
    let mut mixed = all_fixtures()[..1].to_vec();
    mixed.push(serde_json::from_str::<Value>(&outside("/data/missing.root")).unwrap().as_array().unwrap()[0].clone());
    assert_eq!(send(&Value::from(mixed).to_string(), Some(TOKEN)).0, 400);
    assert_eq!(body(&store, "/api/v1/samples"), r#"{"data": []}"#);
    assert_eq!(get(&store, "/api/v1/json/123456/No/Such/DS/x").status, 404);
    assert_eq!(post(&store, "/api/v1/layouts", b"", None).status, 401);
}

#[test]
fn re_register_swaps_the_me_list() {
    let store = setup(&all_fixtures()[..1]);
    let tracks = format!("/api/v1/archive/123456/{ZB}/Tracking/TrackParameters/GeneralProperties");
    assert!(!body(&store, &tracks).contains("TrackPhi"));
    let swapped = item(ZB, 123456, 0, "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", 1);
    // The 123457 file has no `Run 123456` directory, so its only run is listed (as the original does).
    assert_eq!(post(&store, "/api/v1/register", Value::from(vec![swapped]).to_string().as_bytes(), Some(TOKEN)).status, 201);
    assert!(body(&store, &tracks).contains("TrackPhi"));
    assert_eq!(body(&store, "/api/v1/samples"), format!(r#"{{"data": [{{"run": 123456, "lumi": 0, "dataset": "/{ZB}"}}]}}"#));
    let blobs = store.get_keys().unwrap().into_iter().filter(|k| k.starts_with("dqmgui/melist/")).count();
    assert_eq!(blobs, 1, "the replaced ME list is deleted");
}

#[test]
fn layouts_load_from_the_repo_folder() {
    let loaded = layouts::load_dir(&repo().join("layouts")).unwrap();
    assert!(loaded.len() >= 15);
    assert!(loaded.iter().any(|l| l.destination.starts_with("00 Shift/")));
}

#[test]
fn odd_requests_get_4xx_not_panics() {
    let store = setup(&all_fixtures()[..1]);
    let paths = [
        "/api/v1/archive/",
        "/api/v1/archive/1:",
        "/api/v1/archive/:1/a/b/c",
        "/api/v1/archive/123456/a/b",
        "/api/v1/archive/123456//////",
        "/api/v1/archive/123456/ZeroBias/Run2024A-PromptReco-v1/DQMIO/?search=(((",
        "/api/v1/archive/123456/ZeroBias/Run2024A-PromptReco-v1/DQMIO/?search=%5B",
        "/api/v1/json/",
        "/api/v1/json/1/a/b/c/%FF%FE",
        "/api/v1/json/123456/ZeroBias/Run2024A-PromptReco-v1/DQMIO/",
        "/api/v1/json_overlay",
        "/api/v1/json_overlay?obj=",
        "/api/v1/json_overlay?obj=a/x/b/c/d/e",
        "/api/v1/lumis/",
        "/api/v1/lumis/1",
        "/api/v1/lumis/4294967296/a/b/c",
        "/api/v1/samples?lumi=99999999999",
        "/api/v1/datasets?notOlderThan=",
        "/api/v1/nope",
        "/data/json/samples?run=1:x",
        "/data/json/archive/",
        "/jsrootfairy/archive/1",
        "/jsrootfairy/other",
    ];
    for path in paths {
        let reply = get(&store, path);
        assert!((200..500).contains(&reply.status), "{path}: {} {}", reply.status, String::from_utf8_lossy(&reply.body));
    }
    let many: String = (0..11).map(|_| format!("obj=archive/123456/{ZB}/x&")).collect();
    assert_eq!(get(&store, &format!("/api/v1/json_overlay?{many}")).status, 400);
    let post_to_get = post(&store, "/api/v1/samples", b"", Some(TOKEN));
    assert_eq!(post_to_get.status, 405);
}
