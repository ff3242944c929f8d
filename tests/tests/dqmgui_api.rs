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
