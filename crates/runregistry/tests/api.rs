//! The HTTP surface through `Api::handle`: auth (401/403), listings, lumisection queries, the json_portal.

mod common;

use common::*;
use kv_api::{CasOutcome, KvResult, KvStore, MemoryStore};
use runregistry::api::{Api, Request, Response};
use runregistry::auth::{AuthConfig, PROXY_SECRET_HEADER};
use runregistry::jobs;
use runregistry::Registry;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;

const EXPERT: &[(&str, &str)] = &[
    ("email", "expert@cern.ch"),
    ("egroups", "cms-dqm-runregistry-experts"),
    (PROXY_SECRET_HEADER, "s3cret"),
];
const SHIFTER: &[(&str, &str)] = &[
    ("email", "shifter@cern.ch"),
    ("egroups", "cms-dqm-runregistry-shifters"),
    (PROXY_SECRET_HEADER, "s3cret"),
];
const SERVICE: &[(&str, &str)] = &[("authorization", "Bearer t0ken")];
const NOBODY: &[(&str, &str)] = &[];

fn auth() -> AuthConfig {
    AuthConfig::new(Some("s3cret"), Some("t0ken"), None).unwrap()
}

fn call(
    store: &dyn KvStore,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> Response {
    let auth = auth();
    let api = Api {
        registry: Registry::new(store),
        auth: &auth,
        inline_jobs: false,
    };
    let map: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let header = move |name: &str| map.get(name).cloned();
    let raw = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&body).unwrap()
    };
    api.handle(&Request {
        method,
        path,
        headers: &header,
        body: &raw,
    })
}

fn seeded() -> MemoryStore {
    let store = MemoryStore::new();
    let mut runs = Vec::new();
    for (run, class, good) in [
        (100, "Collisions18", true),
        (101, "Cosmics18", true),
        (102, "Collisions18", false),
        (103, "Collisions18", true),
    ] {
        let mut input = run_input(
            run,
            rr_ls(4, "dt-dt", if good { "GOOD" } else { "BAD" }),
            oms_ls(4),
        );
        input.rr_attributes = obj(json!({"class": class}));
        runs.push(input);
    }
    let body = serde_json::to_value(runs.iter().map(|r| json!({"run_number": r.run_number, "rr_attributes": r.rr_attributes,
        "oms_attributes": r.oms_attributes, "rr_lumisections": r.rr_lumisections, "oms_lumisections": r.oms_lumisections})).collect::<Vec<_>>()).unwrap();
    let response = call(&store, "POST", "/ingest", SERVICE, json!({"runs": body}));
    assert_eq!(response.status, 200, "{response:?}");
    store
}

#[test]
fn writes_without_identity_are_401_and_without_permission_403() {
    let store = seeded();
    let edit = json!({"run_number": 100, "dataset_name": "online", "component": "dt-dt",
                      "new_lumisection_range": {"start": 1, "end": 2, "status": "BAD", "comment": "HV trip"}});
    let response = call(
        &store,
        "PUT",
        "/lumisections/edit_rr_lumisections",
        NOBODY,
        edit.clone(),
    );
    assert_eq!(response.status, 401);
    assert!(response.body.unwrap()["message"].is_string());
    // Identity headers without the proxy secret (spoofed) count as nobody, auto@auto included.
    let spoofed = [
        ("email", "auto@auto"),
        ("egroups", "cms-dqm-runregistry-experts"),
    ];
    assert_eq!(
        call(
            &store,
            "PUT",
            "/lumisections/edit_rr_lumisections",
            &spoofed,
            edit.clone()
        )
        .status,
        401
    );
    let response = call(
        &store,
        "POST",
        "/versions/revert",
        SHIFTER,
        json!({"atomic_version": 1, "comment": "x"}),
    );
    assert_eq!(response.status, 403);
    assert!(response.body.unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("cms-dqm-runregistry-experts"));
    assert_eq!(
        call(
            &store,
            "PUT",
            "/lumisections/edit_rr_lumisections",
            SHIFTER,
            edit.clone()
        )
        .status,
        200
    );
    assert_eq!(
        call(&store, "POST", "/ingest", SHIFTER, json!([])).status,
        403
    );
    assert_eq!(
        call(&store, "POST", "/json_portal/generate", NOBODY, json!({})).status,
        401
    );
    // Reads are public.
    assert_eq!(
        call(&store, "GET", "/runs/100", NOBODY, Value::Null).status,
        200
    );
    assert_eq!(
        call(&store, "GET", "/runs/999", NOBODY, Value::Null).status,
        404
    );
    assert_eq!(
        call(&store, "GET", "/nope", NOBODY, Value::Null).status,
        404
    );
    assert_eq!(
        call(&store, "DELETE", "/runs/100", EXPERT, Value::Null).status,
        405
    );
}

#[test]
fn validation_errors_are_400_with_err() {
    let store = seeded();
    let edit = json!({"run_number": 100, "dataset_name": "online", "component": "dt-dt",
                      "new_lumisection_range": {"start": 1, "end": 2, "status": "BAD", "comment": ""}});
    let response = call(
        &store,
        "PUT",
        "/lumisections/edit_rr_lumisections",
        EXPERT,
        edit,
    );
    assert_eq!(response.status, 400);
    assert!(response.body.unwrap()["err"].is_string());
    let auth = auth();
    let api = Api {
        registry: Registry::new(&store),
        auth: &auth,
        inline_jobs: false,
    };
    let garbage = api.handle(&Request {
        method: "POST",
        path: "/runs_filtered_ordered",
        headers: &|_| None,
        body: b"{not json",
    });
    assert_eq!(garbage.status, 400);
    let wrong_from = call(
        &store,
        "POST",
        "/runs/move_run/SIGNOFF/COMPLETED",
        EXPERT,
        json!({"run_number": 100}),
    );
    assert_eq!(wrong_from.status, 409);
    let err = call(
        &store,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": "{not json", "dataset_name_filter": "online"}),
    );
    assert_eq!(
        err.body.unwrap()["err"],
        json!("JSON logic sent is not in json format")
    );
    let err = call(
        &store,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": "{}", "dataset_name_filter": "online"}),
    );
    assert_eq!(err.body.unwrap()["err"], json!("Empty json logic sent"));
    let err = call(
        &store,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": "{\"==\":[1,1]}"}),
    );
    assert_eq!(err.body.unwrap()["err"], json!("No dataset name specified"));
    let err = call(
        &store,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": "{\"==\":[1,1]}", "dataset_name_filter": "/Nope/%"}),
    );
    assert_eq!(
        (err.status, err.body.unwrap()["err"].clone()),
        (400, json!("No datasets matched that dataset name"))
    );
    let err = call(
        &store,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": "{\"method\":[\"a\",\"toUpperCase\"]}", "dataset_name_filter": "online"}),
    );
    assert_eq!(err.status, 400);
}

#[test]
fn runs_filtered_ordered_pages_and_filters() {
    let store = seeded();
    let body = json!({"filter": {"rr_attributes.class": "Collisions18", "triplet_summary.dt-dt.GOOD": {">": 0}}, "sortings": [], "page": 0, "page_size": 2});
    let response = call(&store, "POST", "/runs_filtered_ordered", NOBODY, body)
        .body
        .unwrap();
    let runs: Vec<u64> = response["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_number"].as_u64().unwrap())
        .collect();
    assert_eq!(runs, vec![103, 100]);
    assert_eq!(
        (response["count"].clone(), response["pages"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        response["runs"][0]["DatasetTripletCache"]["triplet_summary"]["dt-dt"]["GOOD"],
        json!(4)
    );
    let all = call(
        &store,
        "POST",
        "/runs_filtered_ordered",
        NOBODY,
        json!({"filter": {}, "sortings": [["run_number", "ASC"]], "page": 1, "page_size": 3}),
    )
    .body
    .unwrap();
    assert_eq!(
        (
            all["count"].clone(),
            all["pages"].clone(),
            all["runs"][0]["run_number"].clone()
        ),
        (json!(4), json!(2), json!(103))
    );
    let mixed = json!({"filter": {"or": [{"rr_attributes.class": {"like": "cosmics%"}}, {"triplet_summary.dt-dt.BAD": {">": 0}}]}});
    let runs = call(&store, "POST", "/runs_filtered_ordered", NOBODY, mixed)
        .body
        .unwrap();
    assert_eq!(runs["count"], json!(2));
    let datasets = call(
        &store,
        "POST",
        "/datasets_filtered_ordered",
        NOBODY,
        json!({"filter": {"name": "online", "run_number": {">=": 102}}}),
    )
    .body
    .unwrap();
    let rows = datasets["datasets"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|d| d["run_number"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![103, 102]
    );
    assert_eq!(
        rows[0]["Run"]["rr_attributes"]["class"],
        json!("Collisions18")
    );
    assert_eq!(
        rows[0]["DatasetTripletCache"]["dcs_summary"]["cms_active"]["TRUE"],
        json!(4)
    );
}

#[test]
fn lumisection_queries() {
    let store = seeded();
    let expert_edit = json!({"run_number": 100, "dataset_name": "online", "component": "dt-dt",
                             "new_lumisection_range": {"start": 2, "end": 3, "status": "BAD", "comment": "HV trip", "cause": "hv"}});
    assert_eq!(
        call(
            &store,
            "PUT",
            "/lumisections/edit_rr_lumisections",
            EXPERT,
            expert_edit
        )
        .status,
        200
    );
    let bit = json!({"run_number": 100, "dataset_name": "online", "component": "cms_active",
                     "new_lumisection_range": {"start": 4, "end": 4, "status": "false", "comment": "was off"}});
    assert_eq!(
        call(
            &store,
            "PUT",
            "/lumisections/edit_oms_lumisections",
            EXPERT,
            bit
        )
        .status,
        200
    );
    let q = json!({"run_number": 100, "dataset_name": "online"});
    let post = |path: &str, body: Value| call(&store, "POST", path, NOBODY, body).body.unwrap();
    assert_eq!(
        post("/lumisections/rr_lumisections", q.clone())[1]["dt-dt"],
        json!({"status": "BAD", "comment": "HV trip", "cause": "hv"})
    );
    assert_eq!(
        post(
            "/lumisections/rr_lumisection_ranges_by_component",
            q.clone()
        )["dt-dt"],
        json!([
        {"start": 1, "end": 1, "status": "GOOD", "comment": "", "cause": ""},
        {"start": 2, "end": 3, "status": "BAD", "comment": "HV trip", "cause": "hv"},
        {"start": 4, "end": 4, "status": "GOOD", "comment": "", "cause": ""}])
    );
    assert_eq!(
        post(
            "/lumisections/oms_lumisection_ranges_by_dcs_bit",
            json!({"run_number": 100})
        )["cms_active"],
        json!([{"start": 1, "end": 3, "status": true}, {"start": 4, "end": 4, "status": false}])
    );
    assert_eq!(
        post(
            "/lumisections/oms_lumisection_ranges",
            json!({"run_number": 100})
        ),
        json!([{"start": 1, "end": 3, "cms_active": true}, {"start": 4, "end": 4, "cms_active": false}])
    );
    assert_eq!(
        post("/lumisections/rr_lumisection_ranges", q.clone())
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        post("/lumisections/joint_lumisection_ranges", q.clone())
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        post("/lumisections/oms_lumisections", json!({"run_number": 100}))[0]["recorded"],
        json!(1.0)
    );
    let data = post(
        "/lumisections/get_data_of_json",
        json!({"json": {"100-online": [[2, 3]]}}),
    );
    assert_eq!(
        data["json_with_data"]["100-online"]["2"]["lumisection"]["rr"]["dt-dt"],
        json!("BAD")
    );
    assert_eq!(
        data["json_with_data"]["100-online"]["3"]["run"]["rr"]["class"],
        json!("Collisions18")
    );
    assert_eq!(data["total_recorded_luminosity"], json!(2.0));
    assert_eq!(
        call(
            &store,
            "POST",
            "/lumisections/get_data_of_json",
            NOBODY,
            json!({"json": {"100": [[1, 1]]}})
        )
        .status,
        400
    );
    assert_eq!(
        post(
            "/lumisections/get_luminosity_of_json_with_dataset_names",
            json!({"json_with_dataset_names": {"100-online": [[1, 4]]}})
        ),
        json!({"100-online": 4.0})
    );
    let history = post("/lumisections/get_rr_lumisection_history", q.clone());
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["by"],
        json!("expert@cern.ch")
    );
    let oms_history = post(
        "/lumisections/get_oms_lumisection_history",
        json!({"run_number": 100}),
    );
    assert_eq!(
        oms_history.as_array().unwrap().last().unwrap()["jsonb"],
        json!({"cms_active": false})
    );
    assert_eq!(
        call(
            &store,
            "GET",
            "/get_all_dataset_names_of_run/100",
            NOBODY,
            Value::Null
        )
        .body
        .unwrap(),
        json!(["online"])
    );
    assert_eq!(
        call(&store, "GET", "/runs_lastupdated_50", NOBODY, Value::Null)
            .body
            .unwrap()[0]["run_number"],
        json!(103)
    );
    let versions = post(
        "/versions/get_versions",
        json!({"page": 0, "page_size": 20}),
    );
    assert_eq!(versions["versions"][0]["by"], json!("expert@cern.ch"));
    assert_eq!(versions["versions"][2]["by"], json!("auto@auto"));
}

/// A store that polls the job after every write of its record, to see what a client would have seen.
struct Spy {
    inner: MemoryStore,
    seen: Mutex<Vec<(u16, Option<Value>)>>,
}

impl KvStore for Spy {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.inner.set(key, value)?;
        if key == "rr/job/1" {
            let polled = jobs::poll(&Registry::new(&self.inner), 1)
                .map_err(|e| kv_api::KvError::Other(e.to_string()))?;
            self.seen.lock().unwrap().push(polled);
        }
        Ok(())
    }
    fn delete(&self, key: &str) -> KvResult<()> {
        self.inner.delete(key)
    }
    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.inner.get_keys()
    }
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        self.inner.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<CasOutcome> {
        self.inner.compare_and_swap(key, expected, new)
    }
}

#[test]
fn json_portal_polling_goes_203_202_200() {
    let spy = Spy {
        inner: seeded(),
        seen: Mutex::new(Vec::new()),
    };
    let rule = r#"{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}"#;
    let submitted = call(
        &spy,
        "POST",
        "/json_portal/generate",
        EXPERT,
        json!({"json_logic": rule, "dataset_name_filter": "online", "tags": "t"}),
    );
    assert_eq!(submitted.status, 200);
    let job = submitted.body.unwrap();
    assert_eq!(job["id"], json!(1));
    assert_eq!(job["data"]["created_by"], json!("expert@cern.ch"));
    let poll = |store: &dyn KvStore, id: i64| {
        call(
            store,
            "POST",
            "/json_portal/json",
            NOBODY,
            json!({"id_json": id}),
        )
    };
    assert_eq!(
        poll(&spy, 1),
        Response {
            status: 203,
            body: None
        }
    );
    assert_eq!(
        call(
            &spy,
            "POST",
            "/json_portal/jsons",
            EXPERT,
            json!({"filter": "all"})
        )
        .body
        .unwrap()["jsons"][0]["waiting"],
        json!(true)
    );
    jobs::run(&Registry::new(&spy), 1).unwrap();
    let seen = spy.seen.lock().unwrap().clone();
    assert_eq!(seen.first().map(|s| s.0), Some(203));
    let running: Vec<f64> = seen
        .iter()
        .filter(|s| s.0 == 202)
        .map(|s| s.1.as_ref().unwrap()["progress"].as_f64().unwrap())
        .collect();
    assert!(
        !running.is_empty() && running.iter().all(|p| (0.0..=1.0).contains(p)),
        "{seen:?}"
    );
    assert!(running.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(seen.last().map(|s| s.0), Some(200));
    let done = poll(&spy, 1);
    assert_eq!(done.status, 200);
    let row = &done.body.unwrap()["final_json"];
    assert_eq!(row["id"], json!(1));
    assert_eq!(
        row["generated_json"],
        json!({"100": [[1, 4]], "101": [[1, 4]], "103": [[1, 4]]})
    );
    assert_eq!(poll(&spy, 77).status, 404);
    assert_eq!(poll(&spy, 77).body.unwrap()["err"], json!("JSON not found"));
    let listed = call(
        &spy,
        "POST",
        "/json_portal/jsons",
        EXPERT,
        json!({"filter": "by_email"}),
    )
    .body
    .unwrap();
    assert_eq!(
        (
            listed["jsons"][0]["id"].clone(),
            listed["jsons"][0]["progress"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(
        call(
            &spy,
            "POST",
            "/json_portal/jsons",
            SHIFTER,
            json!({"filter": "by_email"})
        )
        .body
        .unwrap()["jsons"],
        json!([])
    );
    // Only the creator or an expert deletes; deletion is soft.
    assert_eq!(
        call(
            &spy,
            "DELETE",
            "/json_portal/json",
            SHIFTER,
            json!({"id_json": 1})
        )
        .status,
        403
    );
    let deleted = call(
        &spy,
        "DELETE",
        "/json_portal/json",
        EXPERT,
        json!({"id_json": 1}),
    );
    assert_eq!(
        deleted.body.unwrap()["deleted_json"]["deleted"],
        json!(true)
    );
    assert_eq!(poll(&spy, 1).status, 404);
    assert!(spy.inner.get("rr/generated/1").unwrap().is_some());
}

#[test]
fn inline_jobs_complete_within_the_request() {
    let store = seeded();
    let auth = auth();
    let api = Api {
        registry: Registry::new(&store),
        auth: &auth,
        inline_jobs: true,
    };
    let map: HashMap<String, String> = EXPERT
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let header = move |name: &str| map.get(name).cloned();
    let body = serde_json::to_vec(&json!({"json_logic": "{\"==\":[{\"var\":\"lumisection.rr.dt-dt\"},\"BAD\"]}", "dataset_name_filter": "online"})).unwrap();
    let response = api.handle(&Request {
        method: "POST",
        path: "/json_portal/generate",
        headers: &header,
        body: &body,
    });
    assert_eq!(
        response.body.as_ref().unwrap()["status"],
        json!("saved"),
        "{response:?}"
    );
    let polled = call(
        &store,
        "POST",
        "/json_portal/json",
        NOBODY,
        json!({"id_json": 1}),
    )
    .body
    .unwrap();
    assert_eq!(
        polled["final_json"]["generated_json"],
        json!({"102": [[1, 4]]})
    );
}

#[test]
fn automatic_updates_answer_204_when_nothing_changed() {
    let store = seeded();
    let same = json!({"run_number": 100, "rr_lumisections": rr_ls(4, "dt-dt", "GOOD"), "oms_lumisections": oms_ls(4), "atomic_version": 5});
    assert_eq!(
        call(&store, "PUT", "/automatic_run_update/100", SERVICE, same).status,
        204
    );
    let changed = json!({"rr_lumisections": rr_ls(5, "dt-dt", "GOOD"), "comment": "cron"});
    let response = call(&store, "PUT", "/automatic_run_update/100", SERVICE, changed);
    assert_eq!(
        response.status, 400,
        "unknown body field `comment` is refused: {response:?}"
    );
    let changed = json!({"rr_lumisections": rr_ls(5, "dt-dt", "GOOD")});
    assert_eq!(
        call(
            &store,
            "PUT",
            "/automatic_run_update/100",
            &[("authorization", "Bearer t0ken"), ("comment", "cron")],
            changed
        )
        .status,
        200
    );
    assert_eq!(
        call(
            &store,
            "POST",
            "/lumisections/rr_lumisections",
            NOBODY,
            json!({"run_number": 100, "dataset_name": "online"})
        )
        .body
        .unwrap()
        .as_array()
        .unwrap()
        .len(),
        5
    );
}

#[test]
fn whoami_reports_the_trusted_identity_and_what_it_may_do() {
    let store = MemoryStore::new();
    let who = |headers| call(&store, "GET", "/whoami", headers, Value::Null);
    assert_eq!(
        who(EXPERT).body,
        Some(json!({"email": "expert@cern.ch", "egroups": ["cms-dqm-runregistry-experts"], "can_edit": true, "can_revert": true}))
    );
    let shifter = who(SHIFTER).body.unwrap();
    assert_eq!((shifter["can_edit"].clone(), shifter["can_revert"].clone()), (json!(true), json!(false)));
    assert_eq!(
        who(NOBODY).body,
        Some(json!({"email": null, "egroups": [], "can_edit": false, "can_revert": false}))
    );
    // Identity headers without the proxy's secret are nobody.
    let spoofed = who(&[("email", "expert@cern.ch"), ("egroups", "cms-dqm-runregistry-experts")]).body.unwrap();
    assert_eq!(spoofed["email"], Value::Null);
    assert_eq!(who(SERVICE).body.unwrap()["email"], json!("auto@auto"));
}
