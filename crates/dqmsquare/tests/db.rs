//! The original's `tests/test_db.py` 1–11, against MemoryStore and the converted fixture.

mod common;

use common::{fixture_json, sanitizer, seeded_store, NOW_S};
use dqmsquare::api::Mirror;
use dqmsquare::mapping::{fill_graph, fill_run};
use dqmsquare::store::Tables;
use dqmsquare::time::DEFAULT_TIMESTAMP_US;
use dqmsquare::Db;
use serde_json::{json, Value};
use web_kit::Request;

fn api(kv: &dyn kv_api::KvStore, query: &str) -> (u16, String) {
    let sanitizer = sanitizer();
    let mirror = Mirror {
        kv,
        sanitizer: (&sanitizer).into(),
        now_s: NOW_S,
    };
    let reply = mirror.handle(&Request::get(&format!("/dqm/dqm-square/api?{query}")));
    (reply.status, String::from_utf8(reply.body).unwrap())
}

#[test]
fn test_db_1_latest_revision_per_host() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Production);
    let expected = [
        ("bu-c2f11-09-01", 6001382),
        ("fu-c2f11-11-01", 7912099),
        ("fu-c2f11-11-02", 2730841),
        ("fu-c2f11-11-03", 2762604),
        ("fu-c2f11-11-04", 12811635),
    ];
    for (host, rev) in expected {
        assert_eq!(tables.latest_revision(host).unwrap(), Some(rev), "{host}");
        assert_eq!(
            tables.latest_revision(&format!("{host}.cms")).unwrap(),
            Some(rev),
            "{host}.cms"
        );
    }
    assert_eq!(tables.latest_revision("fu-c2f11-11-09").unwrap(), None);
}

#[test]
fn test_db_2_runs_around_is_prev_next() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Production);
    assert_eq!(tables.runs_around(358788).unwrap(), (None, Some(358791)));
    assert_eq!(
        tables.runs_around(358791).unwrap(),
        (Some(358788), Some(358792))
    );
    assert_eq!(tables.runs_around(358792).unwrap(), (Some(358791), None));
}

#[test]
fn test_db_3_log_tails() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Production);
    // The original's truth tails, as stored after the ingest sanitiser censored the host names.
    let cases = [
        (
            "dqm-source-state-run358788-hostfu-c2f11-11-04-pid041551",
            "/run358788_ls0009_streamDQM_sm-c2a11-43-01.jsn\n",
            "hostfu..04_pid00041551\n\n-- process exit: 0 --\n",
        ),
        (
            "dqm-source-state-run358791-hostfu-c2f11-11-04-pid005346",
            "g message count 0\n",
            "\n-- process exit: 0 --\n",
        ),
        (
            "dqm-source-state-run358792-hostfu-c2f11-11-04-pid009963",
            "ls0013_streamDQMCalibration_sm-c2a11-43-01.jsn\n",
            "_ls0465_streamDQMHistograms_sm-c2a11-43-01.jsn\n",
        ),
    ];
    for (id, start_tail, end_tail) in cases {
        let row = tables.run_row(id).unwrap().unwrap();
        assert!(
            row.stdlog_start.concat().ends_with(start_tail),
            "{id}: {:?}",
            row.stdlog_start
        );
        assert!(
            row.stdlog_end.concat().ends_with(end_tail),
            "{id}: {:?}",
            row.stdlog_end
        );
        assert!(
            !row.stdlog_end.concat().contains("fu-c2f11"),
            "host names are censored at ingest"
        );
    }
    let stats = tables.run_row("dqm-stats-fu-c2f11-11-03").unwrap().unwrap();
    assert!(stats.stdlog_start.is_empty() && stats.stdlog_end.is_empty());
}

#[test]
fn test_db_4_info_is_min_max_over_runs() {
    let kv = seeded_store();
    assert_eq!(
        Tables::new(&kv, Db::Production).info().unwrap(),
        (Some(358788), Some(358792))
    );
    assert_eq!(
        api(&kv, "what=get_info&db=production"),
        (200, "[358788, 358792]".into())
    );
    assert_eq!(
        api(&kv, "what=get_info&db=playback"),
        (200, "[null, null]".into())
    );
}

#[test]
fn test_db_5_update_min_max() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Production);
    tables.set_min_max(350000, 360000).unwrap();
    assert_eq!(tables.info().unwrap(), (Some(350000), Some(360000)));
    tables.widen_min_max(-1).unwrap();
    tables.widen_min_max(361000).unwrap();
    assert_eq!(tables.info().unwrap(), (Some(350000), Some(361000)));
    tables.rebuild_min_max().unwrap();
    assert_eq!(
        tables.meta("min_max_runs").unwrap().as_deref(),
        Some("[358788, 358792]")
    );
}

#[test]
fn test_db_6_clients() {
    let kv = seeded_store();
    let truth = [
        "beam",
        "beamhlt",
        "beampixel",
        "beamspotdip",
        "csc",
        "ctpps",
        "dt",
        "dt4ml",
        "ecal",
        "ecalcalib",
        "ecalgpu",
        "es",
        "fed",
        "gem",
        "hcal",
        "hcalcalib",
        "hcalgpu",
        "hcalreco",
        "hlt",
        "hlt_dqm_clientPB-live",
        "info",
        "l1tstage2",
        "l1tstage2emulator",
        "mutracking",
        "onlinebeammonitor",
        "pixel",
        "pixellumi",
        "rpc",
        "sistrip",
        "visualization-live",
        "visualization-live-secondInstance",
    ];
    let (status, body) = api(&kv, "what=get_clients&from=0&to=999999&db=production");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Vec<String>>(&body).unwrap(), truth);
}

#[test]
fn test_db_7_runs_json_is_the_original_truth_byte_for_byte() {
    let kv = seeded_store();
    let truth = std::fs::read_to_string(common::fixture_path("truth_test_db_7.json")).unwrap();
    assert_eq!(
        api(
            &kv,
            "what=get_runs&from=358791&to=358791&bad_only=0&ls=0&db=production"
        ),
        (200, truth.clone())
    );
    // from/to in either order.
    assert_eq!(
        api(&kv, "what=get_runs&to=358791&from=358791&db=production").1,
        truth
    );
}

#[test]
fn test_db_8_run_global_data() {
    let kv = seeded_store();
    let (status, body) = api(&kv, "what=get_run&run=358788&db=production");
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer[1][0],
        json!(["12_4_8_39145_39162_39341_39326_39353", "cosmic_run"])
    );
    // The original's weak check: the sorted characters of the global tuple's str().
    let text = format!(
        "('{}', '{}')",
        answer[1][0][0].as_str().unwrap(),
        answer[1][0][1].as_str().unwrap()
    );
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    assert_eq!(
        chars.into_iter().collect::<String>().trim(),
        "''''(),11112223333333334445566899999________ccimnorsu"
    );
}

#[test]
fn test_db_9_graph() {
    let kv = seeded_store();
    let (status, body) = api(&kv, "what=get_graph&run=358792&db=production");
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    let sample = &fixture_json("graphs_table_row_sample__from_tests_graphs_data_pkl.json")[0];
    assert_eq!(answer[0], 358792);
    assert_eq!(answer[1], 6001380);
    assert_eq!(
        answer[2], "dqm-files-bu..01-analyze_files-run358792",
        "the host segment is censored"
    );
    assert_eq!(answer[3], -1.0);
    assert_eq!(answer[4], 1663242773.368352);
    assert_eq!(answer[5], sample["stream_data"]);
    assert_eq!(answer[6], "bu..01");
    assert_eq!(
        api(&kv, "what=get_graph&run=1&db=production"),
        (200, "[]".into())
    );
}

#[test]
fn test_db_10_fill_graph_defaults_and_skips() {
    let kv = kv_api::MemoryStore::new();
    let tables = Tables::new(&kv, Db::Production);
    let header = json!({"_id": "id", "run": "123456", "extra": {}});
    assert!(fill_graph(&tables, &header, &json!({"extra": {"null": null}})).unwrap());
    let row = tables.graph(123456).unwrap().unwrap();
    assert_eq!((row.run, row.rev, row.id.as_str()), (123456, -1, "id"));
    assert_eq!(
        (row.timestamp_us, row.global_start_us),
        (DEFAULT_TIMESTAMP_US, DEFAULT_TIMESTAMP_US)
    );
    assert_eq!((row.stream_data, row.hostname.as_str()), (json!(""), ""));
    let other = json!({"_id": "id2", "run": 123457});
    assert!(!fill_graph(&tables, &other, &json!({"extra": {}})).unwrap());
    assert!(!fill_graph(&tables, &other, &json!({})).unwrap());
    assert!(!fill_graph(&tables, &json!({"_id": "id3"}), &json!({"extra": {"a": 1}})).unwrap());
    assert_eq!(tables.graph(123457).unwrap(), None);
}

#[test]
fn test_db_11_fill_run_defaults() {
    let kv = kv_api::MemoryStore::new();
    let tables = Tables::new(&kv, Db::Production);
    assert!(fill_run(
        &tables,
        &sanitizer(),
        &json!({"_id": "id", "run": "123456"}),
        &json!({})
    )
    .unwrap());
    let rows = tables.run_rows(123456).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    let got = json!([
        r.id,
        r.client,
        r.run,
        r.rev,
        r.hostname,
        r.exit_code,
        r.events_total,
        r.events_rate,
        r.cmssw_run,
        r.cmssw_lumi,
        r.client_path,
        r.runkey,
        r.fi_state,
        r.timestamp_us,
        r.vmrss
    ]);
    assert_eq!(
        got,
        json!([
            "id",
            "",
            123456,
            -1,
            "",
            -1,
            -1,
            -1.0,
            -1,
            -1,
            "",
            "",
            "",
            DEFAULT_TIMESTAMP_US,
            ""
        ])
    );
    assert_eq!(
        tables.info().unwrap(),
        (Some(123456), Some(123456)),
        "meta is widened"
    );
}

/// The pickle converter (`tests/fixtures/dqmsquare/convert_pickles.py`) reads SQLAlchemy rows with psycopg2
/// timestamps without those packages and refuses any other global; what it writes loads through `seed`.
#[test]
fn the_fixture_converter_reads_the_originals_pickle_shapes_into_seed_rows() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/dqmsquare/convert_pickles.py"
    );
    let out = std::env::temp_dir().join(format!("dqmsquare-convert-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg("--self-test")
        .arg(&out)
        .output()
        .expect("python3 runs the converter");
    assert!(
        output.status.success()
            && String::from_utf8_lossy(&output.stdout).contains("self-test passed"),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
    };
    let (runs, graphs) = (read("runs_rows.json"), read("graphs_rows.json"));
    std::fs::remove_dir_all(&out).unwrap();
    let kv = kv_api::MemoryStore::new();
    let tables = Tables::new(&kv, Db::Production);
    dqmsquare::seed::load_runs(&tables, &sanitizer(), &runs).unwrap();
    dqmsquare::seed::load_graphs(&tables, &graphs).unwrap();
    let row = tables
        .run_row("dqm-source-state-run358791-hostfu-c2f11-11-04-pid005346")
        .unwrap()
        .expect("converted row stored");
    assert_eq!(row.timestamp_us, Some(1_663_242_618_284_412));
    assert_eq!(
        (row.exit_code, row.events_total),
        (None, None),
        "falsy columns are NULL, as fixtures.py seeds them"
    );
    assert_eq!(row.stdlog_start, ["start\n", "it's\n"]);
    assert_eq!(row.client_path.as_deref(), Some("12_4_8"));
    let graph = tables
        .graph(358792)
        .unwrap()
        .expect("converted graph stored");
    assert_eq!(graph.timestamp_us, -1_000_000, "1970-01-01T00:59:59+01:00");
    assert_eq!(
        graph.stream_data,
        json!({"streamDQM": {"mtimes": [1.5], "lumis": [1]}})
    );
}
