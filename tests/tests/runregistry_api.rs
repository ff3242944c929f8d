//! Run Registry through the gateway: runs loaded by `scraper-host rr load` over the admin-token bulk endpoint,
//! 401/403 with a JSON message for writes without identity or permission, a flag change in the audit trail,
//! revert, the golden JSON of json_portal following both, and the listings.
//! Needs `cargo build --release -p gateway -p scraper-host` and
//! `cargo build --release --target wasm32-wasip2 -p runregistry-component`.

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::{Gateway, HttpResponse};
use serde_json::{json, Value};

/// The test values of `tests/apps/runregistry/spin.toml`.
const PROXY_SECRET: &str = "proxy-s3cret";
const ADMIN_TOKEN: &str = "admin-t0ken";
const RULE: &str = r#"{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}"#;

fn user(email: &'static str, egroups: &'static str) -> [(&'static str, &'static str); 3] {
    [("email", email), ("egroups", egroups), ("x-rr-proxy-secret", PROXY_SECRET)]
}

fn post(gateway: &Gateway, method: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> HttpResponse {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    gateway.send(method, &format!("/rr/api{path}"), &all, body.to_string().as_bytes())
}

/// `n` LS of one dt-dt flag.
fn rr_lumisections(n: usize, status: &str) -> Value {
    Value::Array((0..n).map(|_| json!({"dt-dt": {"status": status, "comment": "", "cause": ""}})).collect())
}

/// Run 328645 with the real OMS lumisections of the fixture (94 LS), and a synthetic run 328646.
fn write_run_files(dir: &std::path::Path) {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/runregistry/oms_lumisections_run328645.json");
    let oms: Value = serde_json::from_str(&std::fs::read_to_string(fixture).expect("OMS fixture")).expect("OMS JSON");
    let real = json!({"run_number": 328645, "rr_attributes": {"class": "Collisions18"}, "oms_attributes": {"energy": 6500},
        "oms_lumisections": oms, "rr_lumisections": rr_lumisections(94, "GOOD")});
    std::fs::write(dir.join("a-328645.json"), json!([real]).to_string()).unwrap();
    let oms: Vec<Value> = (0..10).map(|_| json!({"cms_active": true, "recorded": 1.0, "delivered": 1.0})).collect();
    let synthetic = json!({"run_number": 328646, "rr_attributes": {"class": "Cosmics18"}, "oms_lumisections": oms,
        "rr_lumisections": rr_lumisections(10, "GOOD")});
    std::fs::write(dir.join("b-328646.json"), json!({"runs": [synthetic]}).to_string()).unwrap();
    std::fs::write(dir.join("notes.txt"), "not loaded").unwrap();
}

/// Generates a golden JSON (inline job) as an expert and returns its `generated_json` as polled.
fn golden(gateway: &Gateway) -> Value {
    let expert = user("expert@cern.ch", "cms-dqm-runregistry-experts");
    let job = post(gateway, "POST", "/json_portal/generate", &expert, &json!({"json_logic": RULE, "dataset_name_filter": "online"}));
    assert_eq!(job.status, 200, "{}", job.text());
    let id = job.json()["id"].clone();
    let polled = post(gateway, "POST", "/json_portal/json", &[], &json!({"id_json": id}));
    assert_eq!(polled.status, 200, "{}", polled.text());
    polled.json()["final_json"]["generated_json"].clone()
}

fn assert_message(response: &HttpResponse, status: u16) {
    assert_eq!(response.status, status, "{}", response.text());
    assert!(response.header("content-type").unwrap_or("").starts_with("application/json"));
    assert!(response.json()["message"].is_string(), "{}", response.text());
}

#[test]
fn certification_through_the_gateway() {
    let app = app("runregistry", "runregistry-component");
    let gateway = Gateway::start(&app, &[], &[]);
    let url = format!("http://{}", gateway.addr);

    // Ingest: the loader needs the admin token; with it every *.json file becomes one version.
    let runs = tempfile::tempdir().unwrap();
    write_run_files(runs.path());
    let dir = runs.path().to_str().unwrap();
    let refused = scraper_host(&app, &["rr", "load", dir, "--url", &url, "--token", "wrong"]);
    assert_eq!(refused.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("HTTP 401: "), "the server's message is shown");
    let loaded = scraper_host(&app, &["rr", "load", dir, "--url", &url, "--token", ADMIN_TOKEN]);
    let log = String::from_utf8_lossy(&loaded.stderr);
    assert!(loaded.status.success(), "{log}");
    assert!(log.contains("a-328645.json: version 1") && log.contains("b-328646.json: version 2"), "{log}");
    let again = scraper_host(&app, &["rr", "load", dir, "--url", &url, "--token", ADMIN_TOKEN]);
    assert!(String::from_utf8_lossy(&again.stderr).matches("nothing changed").count() == 2, "reloading is a no-op");

    // Auth: no identity 401, spoofed identity (no proxy secret) 401, identity without permission 403.
    let edit = json!({"run_number": 328646, "dataset_name": "online", "component": "dt-dt",
        "new_lumisection_range": {"start": 3, "end": 4, "status": "BAD", "comment": "HV trip", "cause": "hv"}});
    let path = "/lumisections/edit_rr_lumisections";
    assert_message(&post(&gateway, "PUT", path, &[], &edit), 401);
    let spoofed = [("email", "auto@auto"), ("egroups", "cms-dqm-runregistry-experts")];
    assert_message(&post(&gateway, "PUT", path, &spoofed, &edit), 401);
    let outsider = user("outsider@cern.ch", "cms-somebody-else");
    let forbidden = post(&gateway, "PUT", path, &outsider, &edit);
    assert_message(&forbidden, 403);
    assert!(forbidden.json()["message"].as_str().unwrap().contains("cms-dqm-runregistry-shifters"));
    let shifter = user("shifter@cern.ch", "cms-dqm-runregistry-shifters");
    assert_message(&post(&gateway, "POST", "/ingest", &shifter, &json!({"runs": []})), 403);
    assert_message(&post(&gateway, "POST", "/ingest", &[], &json!({"runs": []})), 401);

    let before = golden(&gateway);
    assert_eq!(before, json!({"328645": [[1, 94]], "328646": [[1, 10]]}));

    // A shifter's flag change shows in the history and the golden JSON.
    let changed = post(&gateway, "PUT", path, &shifter, &edit);
    assert_eq!(changed.status, 200, "{}", changed.text());
    let version = changed.json()["atomic_version"].as_i64().expect("atomic_version");
    let history = post(&gateway, "POST", "/lumisections/get_rr_lumisection_history", &[], &json!({"run_number": 328646, "dataset_name": "online"}));
    assert_eq!(history.status, 200);
    let rows = history.json();
    let last = rows.as_array().and_then(|r| r.last()).cloned().expect("history rows");
    assert_eq!((last["atomic_version"].as_i64(), last["by"].as_str(), last["start"].as_u64(), last["end"].as_u64()), (Some(version), Some("shifter@cern.ch"), Some(3), Some(4)));
    assert_eq!(last["jsonb"]["dt-dt"]["status"], json!("BAD"), "{rows}");
    assert_eq!(golden(&gateway)["328646"], json!([[1, 2], [5, 10]]));

    // Only experts revert; the revert is a new version and restores the golden JSON.
    let revert = json!({"atomic_version": version, "comment": "false alarm"});
    assert_message(&post(&gateway, "POST", "/versions/revert", &shifter, &revert), 403);
    let expert = user("expert@cern.ch", "cms-dqm-runregistry-experts");
    let reverted = post(&gateway, "POST", "/versions/revert", &expert, &revert);
    assert_eq!(reverted.status, 200, "{}", reverted.text());
    assert_eq!(golden(&gateway), before);
    let history = post(&gateway, "POST", "/lumisections/get_rr_lumisection_history", &[], &json!({"run_number": 328646, "dataset_name": "online"})).json();
    let by: Vec<&str> = history.as_array().unwrap().iter().filter_map(|r| r["by"].as_str()).collect();
    assert!(by.contains(&"shifter@cern.ch") && by.contains(&"expert@cern.ch"), "nothing is deleted: {history}");

    // Listings and reads are public.
    let listed = post(&gateway, "POST", "/runs_filtered_ordered", &[], &json!({"filter": {}, "sortings": [["run_number", "DESC"]], "page": 0, "page_size": 10})).json();
    let numbers: Vec<u64> = listed["runs"].as_array().unwrap().iter().filter_map(|r| r["run_number"].as_u64()).collect();
    assert_eq!((numbers, listed["count"].clone()), (vec![328646, 328645], json!(2)));
    let cosmics = post(&gateway, "POST", "/runs_filtered_ordered", &[], &json!({"filter": {"rr_attributes.class": "Cosmics18"}})).json();
    assert_eq!(cosmics["count"], json!(1));
    let datasets = post(&gateway, "POST", "/datasets_filtered_ordered", &[], &json!({"filter": {"run_number": 328645}})).json();
    assert_eq!(datasets["datasets"][0]["DatasetTripletCache"]["triplet_summary"]["dt-dt"]["GOOD"], json!(94), "{datasets}");
    let run = gateway.get("/rr/api/runs/328645");
    assert_eq!(run.status, 200);
    assert_eq!(run.json()["oms_attributes"]["energy"], json!(6500), "{}", run.text());
    assert_eq!(gateway.get("/rr/api/runs_lastupdated_50").json().as_array().map(Vec::len), Some(2));
    assert_eq!(gateway.get("/rr/api/runs/1").status, 404);
    let bad_json = gateway.send("POST", "/rr/api/runs_filtered_ordered", &[], b"{not json");
    assert_eq!(bad_json.status, 400);
}
