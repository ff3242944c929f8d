//! The DQM GUI API through the gateway and the built `dqmgui-*` components: register every fixture, then every
//! endpoint against dqmgui-api.md (shapes, order, lumi semantics, search, legacy routes, error cases), and
//! concurrent registration. Byte-level comparisons with the recorded responses live in `crates/dqmgui/tests`.

use dqm_spin_tests::dqmgui::{dqmgui_app, fixture_registrations, ADMIN_TOKEN};
use dqm_spin_tests::{Gateway, HttpResponse};
use serde_json::{json, Value};

const ZB: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIO";
const TREE: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE";
const NUMBER_OF_TRACKS: &str = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";

fn start() -> (dqm_spin_tests::TestApp, Gateway) {
    let app = dqmgui_app();
    let gateway = Gateway::start(&app, &[], &[("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    (app, gateway)
}

fn post(gateway: &Gateway, path: &str, body: &str, token: Option<&str>) -> HttpResponse {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).chain([("content-type", "application/json")]).collect();
    gateway.send("POST", path, &headers, body.as_bytes())
}

fn ok_json(gateway: &Gateway, path: &str) -> Value {
    let response = gateway.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"), "{path}");
    response.json()
}

fn message(response: &HttpResponse) -> (u16, String) {
    (response.status, response.json()["message"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn every_endpoint_over_the_registered_fixtures() {
    let (_app, gateway) = start();
    // Register: auth first, then validation, then eager import.
    let body = fixture_registrations();
    assert_eq!(message(&post(&gateway, "/api/v1/register", &body, None)), (401, "Unauthorized".into()));
    assert_eq!(message(&post(&gateway, "/api/v1/register", &body, Some("wrong"))), (401, "Unauthorized".into()));
    let bad = |body: &str| message(&post(&gateway, "/api/v1/register", body, Some(ADMIN_TOKEN)));
    assert_eq!(bad("not json"), (400, "Please provide correctly formatted JSON".into()));
    assert_eq!(bad(r#"[{"dataset":"/a/b/c","run":"1","lumi":"0","file":"/x","fileformat":7}]"#), (400, "Please provide a valid file format".into()));
    let file = |f: &str| format!(r#"[{{"dataset":"/a/b/c","run":1,"lumi":0,"file":"{f}","fileformat":1}}]"#);
    assert_eq!(bad(&file("/etc/passwd")).0, 400);
    assert_eq!(bad(&file("/data/../etc/passwd")).0, 400);
    assert!(bad(&file("/data/missing.root")).1.starts_with("Could not import sample: "));
    let created = post(&gateway, "/api/v1/register", &body, Some(ADMIN_TOKEN));
    assert_eq!((created.status, created.text().as_str()), (201, "201: Created"), "{}", gateway.log());
    assert_eq!(post(&gateway, "/api/v1/layouts", "", Some(ADMIN_TOKEN)).status, 200, "{}", gateway.log());
    assert_eq!(post(&gateway, "/api/v1/layouts", "", None).status, 401);

    // Samples: run level by default, -1, exact N, substring search, order.
    let samples = ok_json(&gateway, "/api/v1/samples");
    let runs: Vec<(u64, u64)> = samples["data"].as_array().unwrap().iter().map(|s| (s["run"].as_u64().unwrap(), s["lumi"].as_u64().unwrap())).collect();
    assert_eq!(runs, [(999999, 0), (123457, 0), (123456, 0), (123456, 0), (123456, 0)]);
    let lumis: Vec<u64> = ok_json(&gateway, "/api/v1/samples?lumi=-1")["data"].as_array().unwrap().iter().map(|s| s["lumi"].as_u64().unwrap()).collect();
    assert_eq!(lumis, [1, 2, 3]);
    assert_eq!(ok_json(&gateway, "/api/v1/samples?lumi=2")["data"], json!([{"run": 123456, "lumi": 2, "dataset": format!("/{TREE}")}]));
    assert_eq!(ok_json(&gateway, "/api/v1/samples?run=457")["data"].as_array().unwrap().len(), 1);
    assert!(ok_json(&gateway, "/api/v1/samples?dataset=ZERO")["data"].as_array().unwrap().iter().all(|s| s["dataset"].as_str().unwrap().starts_with("/ZeroBias/")));
    assert_eq!(message(&gateway.get("/api/v1/samples?notOlderThan=abc")), (400, "notOlderThan is a numeric timestamp in seconds, in UTC time zone.".into()));
    assert_eq!(message(&gateway.get("/api/v1/samples?lumi=-2")).0, 400);
    assert_eq!(gateway.get("/api/v1/samples/").status, 404);
    assert_eq!(ok_json(&gateway, &format!("/api/v1/lumis/123456/{TREE}")), json!([0, 1, 2, 3]));
    assert_eq!(ok_json(&gateway, "/api/v1/lumis/1/No/Such/DS"), json!([]));
    assert_eq!(ok_json(&gateway, "/api/v1/datasets?search=zero")["datasets"], json!([format!("/{ZB}"), format!("/{TREE}")]));
    assert_eq!(ok_json(&gateway, "/api/v1/latest_runs")["runs"], json!([999999, 123457, 123456]));
    assert_eq!(ok_json(&gateway, "/api/v1/latest_runs?search=457")["runs"], json!([123457]));
    assert_eq!(ok_json(&gateway, "/api/v1/host"), json!({"host": "Not specified"}));
    let hv = ok_json(&gateway, "/api/v1/layouts?name=1%20-%20High%20Voltage%20(HV)%20per%20LumiSection");
    assert_eq!(hv, json!({"data": [{"source": "Info/EventInfo/reportSummaryMap", "destination": "Info/Layouts/reportSummaryMap"}]}));

    // Archive: directories then objects, layouts merged, search anchored, unknown sample verbatim 404.
    let info = gateway.get(&format!("/api/v1/archive/123456/{ZB}/Info"));
    assert_eq!(info.text(), r#"{"data": [{"subdir": "EventInfo", "me_count": 6}, {"subdir": "Layouts", "me_count": 6}, {"subdir": "ProvInfo", "me_count": 2}]}"#);
    let gp = ok_json(&gateway, &format!("/api/v1/archive/123456/{ZB}/Tracking/TrackParameters/GeneralProperties"));
    let names: Vec<&str> = gp["data"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["NumberOfRecHitsPerTrackVsEta", "NumberOfTracks", "TrackEfficiency", "TrackEtaPhi", "TrackPt"]);
    assert_eq!(gp["data"][1]["qtstatuses"], json!([100]));
    let timing = ok_json(&gateway, &format!("/api/v1/archive/123457/{ZB}/EcalBarrel/EBTimingTask"));
    assert_eq!(timing["data"][0]["qtstatuses"], json!([200]));
    let layouts = ok_json(&gateway, &format!("/api/v1/archive/123456/{ZB}/Info/Layouts/"));
    assert!(layouts["data"].as_array().unwrap().iter().any(|o| o["path"] == "Info/EventInfo/ProcessedLS" && o["layout"].is_string()));
    let shift = ok_json(&gateway, &format!("/api/v1/archive/123456/{ZB}/00%20Shift/"));
    assert!(shift["data"].as_array().unwrap().iter().any(|d| d["subdir"] == "Tracking"));
    let search = ok_json(&gateway, &format!("/api/v1/archive/123456/{ZB}/Tracking/?search=Track"));
    assert!(search["data"].as_array().unwrap().contains(&json!({"subdir": "TrackParameters", "me_count": 3})));
    let edge = ok_json(&gateway, "/api/v1/archive/999999/Edge/Cases-v1/DQMIO/Edge/");
    assert!(edge["data"].as_array().unwrap().contains(&json!({"subdir": "Cycles", "me_count": 1})));
    let unknown = gateway.get("/api/v1/archive/1/No/Such/DS/");
    assert_eq!((unknown.status, unknown.text().as_str()), (404, "404: Not Found"));
    assert_eq!(ok_json(&gateway, &format!("/api/v1/archive/123456/{ZB}/No/Such")), json!({"data": []}));
    assert_eq!(message(&gateway.get(&format!("/api/v1/archive/x/{ZB}/"))).0, 400);
    let legacy_archive = ok_json(&gateway, &format!("/data/json/archive/123456/{ZB}/Tracking/TrackParameters/GeneralProperties"));
    assert_eq!(legacy_archive["contents"], gp["data"]);

    // JSON: objects, scalars, per-lumi DQMIO, PB, overlay, missing.
    let th1f = ok_json(&gateway, &format!("/api/v1/json/123456/{ZB}/{NUMBER_OF_TRACKS}"));
    assert_eq!((th1f["_typename"].as_str(), th1f["dqmProperties"].clone()), (Some("TH1F"), json!({"efficiency": false})));
    let eff = ok_json(&gateway, &format!("/api/v1/json/123456/{ZB}/Tracking/TrackParameters/GeneralProperties/TrackEfficiency"));
    assert_eq!(eff["dqmProperties"]["efficiency"], true);
    assert_eq!(ok_json(&gateway, &format!("/api/v1/json/123456/{ZB}/Info/EventInfo/iRun"))["fString"], "123456");
    let lumi2 = ok_json(&gateway, &format!("/api/v1/json/123456:2/{TREE}/Tracking/PerLumi/NumberOfTracks"));
    assert_eq!((lumi2["fEntries"].clone(), lumi2["fTitle"].clone()), (json!(200), json!("Number of Tracks (per LS)")));
    assert_eq!(ok_json(&gateway, &format!("/api/v1/json/123456/Global/Online/ALL/{NUMBER_OF_TRACKS}"))["_typename"], "TH1F");
    let twice = ok_json(&gateway, "/api/v1/json/999999/Edge/Cases-v1/DQMIO/Edge/Cycles/twice");
    assert_eq!(twice["fArray"], json!([0, 1, 2, 0, 0, 0]));
    assert_eq!(message(&gateway.get(&format!("/api/v1/json/123456/{ZB}/NoSuch/ME"))), (404, "ME not found".into()));
    let jsroot = gateway.get(&format!("/jsrootfairy/archive/123456/{ZB}/{NUMBER_OF_TRACKS}"));
    assert_eq!(jsroot.json(), th1f);
    let overlay = ok_json(&gateway, &format!("/api/v1/json_overlay?obj=archive/123456/{ZB}/{NUMBER_OF_TRACKS}&obj=archive/123457/{ZB}/{NUMBER_OF_TRACKS}"));
    assert_eq!(overlay["objects"].as_array().unwrap().len(), 2);
    let one = ok_json(&gateway, &format!("/api/v1/json_overlay?obj=archive/123456/{ZB}/{NUMBER_OF_TRACKS}&obj=archive/1/{ZB}/x"));
    assert_eq!(one["objects"].as_array().unwrap().len(), 1);
    assert_eq!(message(&gateway.get("/api/v1/json_overlay?obj=a/b")), (400, "Malformed obj parameter".into()));

    // Legacy samples: string runs, one group.
    let legacy = ok_json(&gateway, "/data/json/samples?run=123456:2");
    assert_eq!(legacy, json!({"samples": [{"type": "offline_data", "items": [{"run": "123456:2", "dataset": format!("/{TREE}")}]}]}));
    assert_eq!(ok_json(&gateway, "/data/json/samples?match=nothing"), json!({"samples": [{"type": "offline_data", "items": []}]}));
}

#[test]
fn concurrent_clients_lose_no_registration() {
    let (_app, gateway) = start();
    let gateway = std::sync::Arc::new(gateway);
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let gateway = gateway.clone();
            std::thread::spawn(move || {
                for i in (client..100).step_by(8) {
                    let body = format!(
                        r#"[{{"dataset": "/Concurrent/c{i}/DQMIO", "run": {}, "lumi": 0, "file": "/data/DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root", "fileformat": 1}}]"#,
                        1000 + i
                    );
                    let response = post(&gateway, "/api/v1/register", &body, Some(ADMIN_TOKEN));
                    assert_eq!(response.status, 201, "{}", response.text());
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
    let samples = ok_json(&gateway, "/api/v1/samples?dataset=concurrent");
    let mut runs: Vec<u64> = samples["data"].as_array().unwrap().iter().map(|s| s["run"].as_u64().unwrap()).collect();
    runs.sort();
    assert_eq!(runs, (1000..1100).collect::<Vec<u64>>());
}

/// Imports per register request of the overload tests: long enough that 101 requests are in flight at once.
const ITEMS: usize = 6;

/// A register body importing the 10,000-ME `root_10k.root` (copied into the app's data) as [`ITEMS`] new samples.
fn big_registration(i: usize) -> String {
    let items: Vec<String> = (0..ITEMS)
        .map(|j| format!(r#"{{"dataset": "/Overload/s{i}/DQMIO", "run": {j}, "lumi": 0, "file": "/data/root_10k.root", "fileformat": 1}}"#))
        .collect();
    format!("[{}]", items.join(", "))
}

fn app_with_big_file() -> dqm_spin_tests::TestApp {
    let app = dqmgui_app();
    let big = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/root-conformance/perf/root_10k.root");
    std::fs::copy(big, app.path().join("data/root_10k.root")).expect("copy root_10k.root");
    app
}

const OVERLOAD: &str = "The server is under a heavy load at the moment, please try again later.";

/// Acceptance item 25: 101 concurrent first-time imports against the default `import_concurrency` of 100.
#[test]
fn the_101st_concurrent_import_is_told_to_come_back_later() {
    let app = app_with_big_file();
    let gateway = std::sync::Arc::new(Gateway::start(&app, &[], &[("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)]));
    let start = std::sync::Arc::new(std::sync::Barrier::new(101));
    let clients: Vec<_> = (0..101)
        .map(|i| {
            let (gateway, start) = (gateway.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                post(&gateway, "/api/v1/register", &big_registration(i), Some(ADMIN_TOKEN))
            })
        })
        .collect();
    let responses: Vec<HttpResponse> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let refused: Vec<&HttpResponse> = responses.iter().filter(|r| r.status == 429).collect();
    eprintln!("{} of 101 concurrent imports refused", refused.len());
    assert!(!refused.is_empty(), "no 429 among {:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(responses.iter().all(|r| r.status == 201 || r.status == 429), "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(refused[0].json(), json!({"error": OVERLOAD}));
    assert_eq!(refused[0].header("content-type"), Some("application/json; charset=utf-8"));
    // Every slot came back: the refused imports go through now.
    let admitted = responses.iter().filter(|r| r.status == 201).count();
    for i in 0..refused.len() {
        let response = post(&gateway, "/api/v1/register", &big_registration(200 + i), Some(ADMIN_TOKEN));
        assert_eq!(response.status, 201, "{}", response.text());
    }
    let listed = ok_json(&gateway, "/api/v1/samples?dataset=overload")["data"].as_array().unwrap().len();
    assert_eq!(listed, ITEMS * (admitted + refused.len()));
}

/// The slots live in the shared store: leases held by other nodes (written here straight into the SQLite
/// file) refuse an import until they expire; a trapped holder's slot does not stay taken for ever.
#[test]
fn import_slots_are_leased_in_the_shared_store() {
    let app = app_with_big_file();
    let gateway = Gateway::start(
        &app,
        &[],
        &[("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN), ("SPIN_VARIABLE_IMPORT_CONCURRENCY", "2")],
    );
    let db = kv_store::SqliteDb::open(&app.state_dir().join("sqlite_key_value.db")).expect("open the gateway's store");
    let store = db.store("default");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // `dqmgui::slots`' layout: `dqmgui/import-slot/<i>` holds `"<expiry> <nonce>"`.
    let held = format!("{} 00000000000000aa", now + 600);
    for i in 0..2 {
        kv_api::KvStore::set(&store, &format!("dqmgui/import-slot/{i}"), held.as_bytes()).unwrap();
    }
    let refused = post(&gateway, "/api/v1/register", &big_registration(0), Some(ADMIN_TOKEN));
    assert_eq!((refused.status, refused.json()), (429, json!({"error": OVERLOAD})));
    assert_eq!(ok_json(&gateway, "/api/v1/samples?dataset=overload")["data"], json!([]), "a refused import stores nothing");
    // One lease expired (its holder trapped long ago): that slot is free again.
    kv_api::KvStore::set(&store, "dqmgui/import-slot/1", format!("{} 00000000000000bb", now - 1).as_bytes()).unwrap();
    let admitted = post(&gateway, "/api/v1/register", &big_registration(0), Some(ADMIN_TOKEN));
    assert_eq!(admitted.status, 201, "{}", admitted.text());
    assert_eq!(kv_api::KvStore::get(&store, "dqmgui/import-slot/1").unwrap().as_deref(), Some(&b"free"[..]), "released after the import");
    assert_eq!(kv_api::KvStore::get(&store, "dqmgui/import-slot/0").unwrap(), Some(held.into_bytes()), "the live lease is left alone");
}

/// Acceptance item 24: `notOlderThan=<now>` right after a re-register serves the new sample (nothing is cached).
#[test]
fn not_older_than_now_after_a_re_register_is_fresh() {
    let (_app, gateway) = start();
    let register = |run_file: u32| {
        let body = format!(
            r#"[{{"dataset": "/Fresh/Sample/DQMIO", "run": 1, "lumi": 0, "file": "/data/DQM_V0001_R000{run_file}__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", "fileformat": 1}}]"#
        );
        assert_eq!(post(&gateway, "/api/v1/register", &body, Some(ADMIN_TOKEN)).status, 201);
    };
    let names = |query: &str| -> Vec<String> {
        let listing = ok_json(&gateway, &format!("/api/v1/archive/1/Fresh/Sample/DQMIO/Tracking/TrackParameters/GeneralProperties{query}"));
        listing["data"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect()
    };
    register(123456);
    assert!(!names("").contains(&"TrackPhi".to_owned()));
    register(123457);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(names(&format!("?notOlderThan={now}")).contains(&"TrackPhi".to_owned()), "the re-registered file is listed");
}
