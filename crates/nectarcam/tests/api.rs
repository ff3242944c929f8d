//! §9 items 5–11 through the viewer's `Request → Reply` API.

mod common;

use common::*;
use fits::{Array, Values};
use kv_api::MemoryStore;
use nectarcam::layout::write_run;
use nectarcam::model::{Child, Parent, RunData};
use nectarcam::{ingest, Health, Replication, Role, Viewer};
use serde_json::{json, Value};
use web_kit::{Reply, Request};

fn child(name: &str, values: Values) -> Child {
    Child {
        name: name.into(),
        array: Array {
            shape: vec![values.len()],
            values,
        },
    }
}

/// QM 6310 (fixture), QM 999 (the original's test_app_hooks keys, no START-TIMES), 2/1000 (fixture)
/// and a key in the unsupported `--write-db` format.
fn store() -> MemoryStore {
    let store = MemoryStore::new();
    let full = ingest::load_results(&fixture(FULL_TARBALL)).unwrap();
    write_run(&store, "NectarCAMQM_Run6310", &full, false).unwrap();
    let small = ingest::load_results(&fixture(SMALL_FITS)).unwrap();
    write_run(&store, "NectarCAM2_Run1000", &small, false).unwrap();
    let mut badpix = vec![0i64; 1855];
    badpix[4] = 2;
    let hooks = RunData {
        parents: vec![
            Parent {
                name: "TRIGGER-EVENTS-PHY".into(),
                children: vec![
                    child("Timestamps", Values::Float64(vec![1.0, 2.0])),
                    child("IDs", Values::Int64(vec![1, 2])),
                ],
            },
            Parent {
                name: "CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN".into(),
                children: vec![child(
                    "CAMERA-BadPix-PHY-OverEVENTS-HIGH-GAIN",
                    Values::Int64(badpix),
                )],
            },
            Parent {
                name: "mykey1".into(),
                children: vec![child(
                    "FOOPIXTIMELINE-HIGH",
                    Values::Float64(vec![0.5; 1000]),
                )],
            },
        ],
        warnings: vec![],
    };
    write_run(&store, "NectarCAMQM_Run999", &hooks, false).unwrap();
    write_run(&store, "NectarCAM_Run5", &hooks, false).unwrap();
    store
}

fn get(store: &MemoryStore, path: &str) -> (u16, Value) {
    let reply = raw(store, "GET", path);
    let body = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, body)
}

fn raw(store: &MemoryStore, method: &str, path: &str) -> Reply {
    let health = || Health {
        role: Role::Secondary,
        read_only: true,
        last_replicated_txn: Some("42".into()),
        lag_s: Some(3.0),
        replication: None,
    };
    let mut req = Request::get(path);
    req.method = method.into();
    Viewer {
        store,
        health: &health,
    }
    .handle(&req)
}

#[test]
fn cameras_are_discovered_by_the_key_format_and_ordered() {
    let store = store();
    let (status, cameras) = get(&store, "/nectarcam/api/cameras");
    assert_eq!(status, 200);
    assert_eq!(
        cameras,
        json!([{"code": "QM", "label": "NectarCAM Qualification Model", "runs": 2}, {"code": "2", "label": "NectarCAM 2", "runs": 1}])
    );
    let (_, runs) = get(&store, "/nectarcam/api/cameras/QM/runs");
    assert_eq!(
        runs,
        json!({"camera": "QM", "runs": [{"key": "NectarCAMQM_Run6310", "run": 6310}, {"key": "NectarCAMQM_Run999", "run": 999}]})
    );
    let (status, body) = get(&store, "/nectarcam/api/cameras/1/runs");
    assert_eq!((status, &body["error"]), (404, &json!("unknown camera")));
    assert_eq!(
        get(&store, "/nectarcam/api/runs/NectarCAM_Run5").0,
        404,
        "the --write-db key is ignored"
    );
}

#[test]
fn classification_is_by_parent_and_drawing_needs_1855_pixels() {
    let store = store();
    let (status, run) = get(&store, "/nectarcam/api/runs/NectarCAMQM_Run999");
    assert_eq!(status, 200);
    assert_eq!(
        run["times"],
        json!({"run_start": null, "first_event": null, "last_event": null})
    );
    assert_eq!(
        run["categories"]["trigger_events"],
        json!([{"parent": "TRIGGER-EVENTS-PHY"}])
    );
    assert_eq!(
        run["categories"]["camera_displays"],
        json!([
        {"parent": "CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN", "child": "CAMERA-BadPix-PHY-OverEVENTS-HIGH-GAIN", "drawable": true},
        {"parent": "mykey1", "child": "FOOPIXTIMELINE-HIGH", "drawable": false}])
    );
    assert_eq!(run["categories"]["timelines"], json!([]));
    assert_eq!(
        run["entries"]["mykey1"],
        json!({"FOOPIXTIMELINE-HIGH": {"dtype": "float64", "shape": [1000]}})
    );
    let (status, body) = get(
        &store,
        "/nectarcam/api/runs/NectarCAMQM_Run999/camera_display/mykey1/FOOPIXTIMELINE-HIGH",
    );
    assert_eq!(
        (status, &body["error"]),
        (422, &json!("not a camera display"))
    );
    assert_eq!(
        get(
            &store,
            "/nectarcam/api/runs/NectarCAMQM_Run999/camera_display/TRIGGER-EVENTS-PHY/IDs"
        )
        .0,
        422
    );
}

#[test]
fn badpix_displays_cap_at_one() {
    let store = store();
    let (status, d) = get(&store, "/nectarcam/api/runs/NectarCAMQM_Run999/camera_display/CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN/CAMERA-BadPix-PHY-OverEVENTS-HIGH-GAIN");
    assert_eq!(status, 200);
    assert_eq!(d["values"][4], 1.0);
    assert_eq!(
        (&d["color_range"], &d["slider_range"]),
        (&json!([0.0, 1.0]), &Value::Null)
    );
    assert_eq!(d["unit"], "0: Good, 1: Bad");
}

#[test]
fn a_fixture_display_marks_bad_pixels_and_leaves_nan_uncoloured() {
    let store = store();
    let path = "/nectarcam/api/runs/NectarCAMQM_Run6310/camera_display/CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-LOW-GAIN/CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-LOW-GAIN";
    let (status, d) = get(&store, path);
    assert_eq!(status, 200);
    let bad: Vec<usize> = d["bad_pixels"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.as_bool().unwrap())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        bad,
        [1, 2, 700],
        "the high-gain PED-PHY mask serves low gain too"
    );
    assert_eq!(
        (&d["values"][1], &d["values"][700]),
        (&json!(0.0), &json!(0.0))
    );
    assert_eq!(
        (&d["values"][10], &d["values"][11]),
        (&Value::Null, &Value::Null)
    );
    let (lo, hi) = (
        d["color_range"][0].as_f64().unwrap(),
        d["color_range"][1].as_f64().unwrap(),
    );
    let (min, max) = (
        d["slider_range"][0].as_f64().unwrap(),
        d["slider_range"][1].as_f64().unwrap(),
    );
    assert!(
        min < lo && lo < 300.0 && 300.0 < hi && hi < max,
        "{lo} {hi} {min} {max}"
    );
    assert_eq!(d["unit"], "ADC counts");
}

#[test]
fn times_and_tdim_data() {
    let store = store();
    let (_, run) = get(&store, "/nectarcam/api/runs/NectarCAM2_Run1000");
    assert_eq!(run["times"]["run_start"], "2021-01-01 00:00:00");
    assert_eq!(run["times"]["first_event"], "2021-01-01 00:01:40");
    assert_eq!((&run["camera"], &run["run"]), (&json!("2"), &json!(1000)));
    let (status, data) = get(
        &store,
        "/nectarcam/api/runs/NectarCAM2_Run1000/data/START-TIMES/Run%20start%20time",
    );
    assert_eq!(status, 200);
    assert_eq!(
        data,
        json!({"parent": "START-TIMES", "child": "Run start time", "dtype": "int64", "shape": [1, 1], "data": [[1609459200]]})
    );
    let (status, body) = get(
        &store,
        "/nectarcam/api/runs/NectarCAM2_Run1000/data/START-TIMES/Nope",
    );
    assert_eq!((status, &body["error"]), (404, &json!("unknown child")));
    assert_eq!(
        get(
            &store,
            "/nectarcam/api/runs/NectarCAM2_Run1000/data/NOPE/Nope"
        )
        .1["error"],
        "unknown parent"
    );
    assert_eq!(
        get(
            &store,
            "/nectarcam/api/runs/NectarCAM2_Run7/data/START-TIMES/x"
        )
        .1["error"],
        "unknown run"
    );
}

#[test]
fn images_are_nested_and_nan_is_null() {
    let store = store();
    let (_, wf) = get(
        &store,
        "/nectarcam/api/runs/NectarCAMQM_Run6310/data/WF-PHY-HIGH-GAIN/WF-PHY-HIGH-GAIN",
    );
    assert_eq!(wf["shape"], json!([1855, 60]));
    assert_eq!(wf["data"].as_array().unwrap().len(), 1855);
    assert_eq!(wf["data"][0].as_array().unwrap().len(), 60);
    let (_, image) = get(&store, "/nectarcam/api/runs/NectarCAMQM_Run6310/data/CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN/CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-HIGH-GAIN");
    assert_eq!(image["data"][10], Value::Null);
    let (_, flags) = get(&store, "/nectarcam/api/runs/NectarCAMQM_Run6310/data/CAMERA-PING-PONG-CHANGES/CAMERA-PING-PONG-CHANGES");
    assert_eq!(
        (&flags["dtype"], &flags["data"][0], &flags["data"][1]),
        (&json!("bool"), &json!(true), &json!(false))
    );
}

#[test]
fn waveforms_come_with_their_percentile_band() {
    let store = store();
    let (status, wf) = get(&store, "/nectarcam/api/runs/NectarCAMQM_Run6310/waveform/WF-PED-AVERAGE-PIX-HIGH-GAIN/WF-PED-AVERAGE-PIX-HIGH-GAIN");
    assert_eq!(status, 200, "{wf}");
    assert_eq!(wf["title"], "WF-PED-HIGH-GAIN");
    assert_eq!(
        wf["unit"], "ADC counts",
        "found under the original file's WF-AVERAGE-PED-PIX spelling"
    );
    let (avg, lo, hi) = (
        wf["average"].as_array().unwrap(),
        wf["band"]["lo"].as_array().unwrap(),
        wf["band"]["hi"].as_array().unwrap(),
    );
    assert_eq!((avg.len(), lo.len(), hi.len()), (60, 60, 60));
    assert!(lo[30].as_f64().unwrap() < hi[30].as_f64().unwrap());
    assert_eq!(
        get(
            &store,
            "/nectarcam/api/runs/NectarCAMQM_Run6310/waveform/WF-PED-HIGH-GAIN/WF-PED-HIGH-GAIN"
        )
        .0,
        422
    );
}

#[test]
fn geometry_health_page_and_methods() {
    let store = store();
    let (_, geometry) = get(&store, "/nectarcam/api/geometry");
    assert_eq!(geometry["pix_id"].as_array().unwrap().len(), 1855);
    let (_, health) = get(&store, "/nectarcam/api/health");
    assert_eq!(
        health,
        json!({"role": "secondary", "read_only": true, "last_replicated_txn": "42", "lag_s": 3.0})
    );
    let page = raw(&store, "GET", "/nectarcam/");
    assert_eq!(
        (page.status, page.header("content-type")),
        (200, Some("text/html; charset=utf-8"))
    );
    assert!(String::from_utf8(page.body).unwrap().contains("viewer.js"));
    assert_eq!(
        raw(&store, "GET", "/nectarcam").header("location"),
        Some("/nectarcam/")
    );
    assert_eq!(raw(&store, "GET", "/nectarcam/viewer.js").status, 200);
    assert_eq!(raw(&store, "POST", "/nectarcam/api/cameras").status, 405);
    assert_eq!(raw(&store, "GET", "/nectarcam/api/nope").status, 404);
    let mut req = Request::get("/whatever");
    req.headers
        .push(("spin-path-info".into(), "/api/cameras".into()));
    let health = || Health::new(|_| None, Replication::Unknown, 0.0);
    assert_eq!(
        Viewer {
            store: &store,
            health: &health
        }
        .handle(&req)
        .status,
        200
    );
}
