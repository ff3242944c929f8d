//! The original's `tests/test_server.py` and the HTTP items of the §12 checklist.

mod common;

use common::{sanitizer, seeded_store, NOW_S};
use dqmsquare::api::Mirror;
use dqmsquare::store::Tables;
use dqmsquare::Db;
use serde_json::{json, Value};
use web_kit::{Reply, Request};

fn get(kv: &dyn kv_api::KvStore, path: &str) -> Reply {
    let sanitizer = sanitizer();
    let mirror = Mirror {
        kv,
        sanitizer: (&sanitizer).into(),
        now_s: NOW_S,
    };
    mirror.handle(&Request::get(path))
}

fn body(reply: &Reply) -> String {
    String::from_utf8(reply.body.clone()).unwrap()
}

#[test]
fn pages_answer_and_the_unconfigured_control_room_is_404() {
    let kv = seeded_store();
    for path in [
        "/dqm/dqm-square/",
        "/dqm/dqm-square/timeline/",
        "/dqm/dqm-square/static/dqm2m.js",
    ] {
        assert_eq!(get(&kv, path).status, 200, "{path}");
    }
    // The original's `/cr/` → 302 `/cr/login/` holds only with the control room (§8) configured (the
    // component hands `/cr…` to `dqmsquare::cr` when `cr_secret` is set); the mirror alone answers 404 JSON.
    for path in [
        "/dqm/dqm-square/cr",
        "/dqm/dqm-square/cr/",
        "/dqm/dqm-square/cr/login/",
        "/dqm/dqm-square/cr/logout/",
        "/dqm/dqm-square/cr/exe?what=get_dqm_machines",
        "/dqm/dqm-square/cr/cinder/dqmsquare/log/grabber.log",
    ] {
        let cr = get(&kv, path);
        assert_eq!(cr.status, 404, "{path}");
        assert_eq!(cr.header("location"), None, "{path}");
        assert!(body(&cr).contains("control room is disabled"), "{path}");
    }
    assert_eq!(get(&kv, "/dqm/dqm-square/crumbs").status, 404);
    assert_eq!(get(&kv, "/dqm/dqm-square/static/../secret").status, 404);
}

#[test]
fn bad_parameters_are_400_with_the_original_texts() {
    let kv = seeded_store();
    let cases = [
        (
            "what=get_run&run=358788&db_name=production",
            "db must be one of ['playback', 'production']",
        ),
        (
            "what=get_run&run=;DROP DATABASE postgres_test&db=production",
            "run must be an integer",
        ),
        (
            "what=get_run&run=%3BDROP%20DATABASE%20postgres_test&db=production",
            "run must be an integer",
        ),
        (
            "what=get_info&db=x",
            "db must be one of ['playback', 'production']",
        ),
        (
            "what=get_runs&from=a&to=1&db=production",
            "to, from, bad_only and ls must be integers",
        ),
        (
            "what=get_runs&from=1&to=2&ls=yes&db=production",
            "to, from, bad_only and ls must be integers",
        ),
        (
            "what=get_clients&from=1&to=&db=production",
            "to, from must be integers",
        ),
        (
            "what=get_cluster_status&cluster=x",
            "cluster must be one of ['playback', 'production']",
        ),
    ];
    for (query, text) in cases {
        let reply = get(&kv, &format!("/dqm/dqm-square/api?{query}"));
        assert_eq!(
            (reply.status, body(&reply).as_str()),
            (400, text),
            "{query}"
        );
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    let reply = get(&kv, "/dqm/dqm-square/api?what=foo&db=production");
    assert_eq!(
        (reply.status, body(&reply).as_str()),
        (404, "foo is not supported")
    );
}

#[test]
fn get_run_answers_prev_next_pairs() {
    let kv = seeded_store();
    let run = |r: &str| -> Value {
        let reply = get(
            &kv,
            &format!("/dqm/dqm-square/api?what=get_run&run={r}&db=production"),
        );
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        serde_json::from_str(&body(&reply)).unwrap()
    };
    assert_eq!(run("381574")[0], json!([358792, null]));
    assert_eq!(run("358791")[0], json!([358788, 358792]));
    assert_eq!(run("381574")[1], json!([[], []]));
}

#[test]
fn get_run_358788_rows_are_censored_and_in_client_id_order() {
    let kv = seeded_store();
    let reply = get(
        &kv,
        "/dqm/dqm-square/api?what=get_run&run=358788&db=production",
    );
    let answer: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(answer[0], json!([null, 358791]));
    let rows = answer[1][1].as_array().unwrap();
    let view: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r[4].as_str().unwrap(),
                r[2].as_str().unwrap(),
                r[8].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (
                "beam",
                "fu..04",
                "dqm-source-state-run358788-hostfu..04-pid041551"
            ),
            (
                "ecalgpu",
                "fu..01",
                "dqm-source-state-run358788-hostfu..01-pid039363"
            ),
            (
                "hcalgpu",
                "fu..01",
                "dqm-source-state-run358788-hostfu..01-pid039362"
            ),
            (
                "hlt_dqm_clientPB-live",
                "fu..02",
                "dqm-source-state-run358788-hostfu..02-pid041805"
            ),
        ]
    );
    // [timestamp_ms, seconds_since_update, host, exit_code, client, cmssw_lumi, vmrss, events_total, id, events_rate]
    let ecal = &rows[1];
    assert_eq!(ecal[0], 1663242342452.877);
    assert!((ecal[1].as_f64().unwrap() - (NOW_S - 1663242342.452877)).abs() < 1e-6);
    assert_eq!(ecal[6], "362744 kB");
    assert_eq!(rows[0][5], 9);
}

#[test]
fn get_clients_range_ends() {
    let kv = seeded_store();
    let reply = get(
        &kv,
        "/dqm/dqm-square/api?what=get_clients&from=358792&to=358788&db=production",
    );
    let clients: Vec<String> = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(clients.first().map(String::as_str), Some("beam"));
    assert_eq!(
        clients.last().map(String::as_str),
        Some("visualization-live-secondInstance")
    );
}

#[test]
fn get_runs_filters_bad_only_and_ls() {
    let kv = seeded_store();
    let runs = |q: &str| -> Value {
        serde_json::from_str(&body(&get(
            &kv,
            &format!("/dqm/dqm-square/api?what=get_runs&from=358792&to=358792&db=production&{q}"),
        )))
        .unwrap()
    };
    let all = runs("bad_only=0&ls=0");
    assert_eq!(all["358792"]["clients"].as_object().unwrap().len(), 4);
    // bad_only keeps exit_code <> 0 or NULL; ls keeps cmssw_lumi > 0.
    let bad = runs("bad_only=1");
    let bad_clients: Vec<&String> = bad["358792"]["clients"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        bad_clients,
        ["beam", "ecalgpu", "onlinebeammonitor", "visualization-live"]
    );
    let ls = runs("ls=1");
    assert!(ls["358792"]["clients"].get("ecalgpu").is_none());
    assert_eq!(
        ls["358792"]["run_data"],
        json!([358792, "cosmic_run", "12_4_8_39145_39162_39341_39326_39353"])
    );
}

#[test]
fn get_logs_serves_escaped_logs_by_censored_id() {
    let kv = seeded_store();
    let reply = get(&kv, "/dqm/dqm-square/api?what=get_logs&id=dqm-source-state-run358788-hostfu..04-pid041551&db=production");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let text = body(&reply);
    assert!(
        text.starts_with("<pre>-- starting process: [&#x27;cmsRun&#x27;"),
        "{text}"
    );
    assert!(text.contains("\n ... \n\n") && text.ends_with("-- process exit: 0 --\n</pre>"));
    let missing = get(&kv, "/dqm/dqm-square/api?what=get_logs&id=dqm-source-state-run358788-hostfu-c2f11-11-04-pid041551&db=production");
    assert_eq!(missing.status, 404, "the raw id is not served");
    assert_eq!(
        body(&missing),
        "No logs for dqm-source-state-run358788-hostfu..04-pid041551"
    );
}

#[test]
fn cluster_status_is_the_latest_per_host_and_sanitised() {
    let kv = seeded_store();
    let tables = Tables::new(&kv, Db::Playback);
    tables
        .record_status("dqmfu-c2b01-45-01.cms", true, None, 1_717_000_000_000_000)
        .unwrap();
    tables
        .record_status("dqmrubu-c2a06-03-01.cms", true, None, 1_717_000_000_000_000)
        .unwrap();
    tables
        .record_status(
            "dqmrubu-c2a06-03-01.cms",
            false,
            Some("ConnectionRefusedError(111, 'Connection refused')".into()),
            1_717_000_030_000_000,
        )
        .unwrap();
    let reply = get(&kv, "/dqm/dqm-square/api?what=get_cluster_status");
    assert_eq!(
        body(&reply),
        r#"[["dqmfu-c2b01-..", true, null, 1717000000.0], ["dqmrubu-c2a06-..", false, "ConnectionRefusedError(111, 'Connection refused')", 1717000030.0]]"#
    );
    assert_eq!(
        body(&get(
            &kv,
            "/dqm/dqm-square/api?what=get_cluster_status&cluster=production"
        )),
        "[]"
    );
}

#[test]
fn canvases_are_served_as_png() {
    let kv = seeded_store();
    Tables::new(&kv, Db::Production)
        .put_canvas(358792, 2, b"\x89PNG\r\n\x1a\nfake")
        .unwrap();
    let reply = get(
        &kv,
        "/dqm/dqm-square/api?what=get_canvas&run=358792&n=2&db=production",
    );
    assert_eq!(
        (reply.status, reply.header("content-type")),
        (200, Some("image/png"))
    );
    assert_eq!(
        get(
            &kv,
            "/dqm/dqm-square/api?what=get_canvas&run=358792&n=3&db=production"
        )
        .status,
        404
    );
    assert_eq!(
        get(
            &kv,
            "/dqm/dqm-square/api?what=get_canvas&run=358792&n=-1&db=production"
        )
        .status,
        400
    );
}

#[test]
fn writes_are_refused() {
    let kv = seeded_store();
    let sanitizer = sanitizer();
    let mut request = Request::get("/dqm/dqm-square/api?what=get_info&db=production");
    request.method = "POST".into();
    assert_eq!(
        Mirror {
            kv: &kv,
            sanitizer: (&sanitizer).into(),
            now_s: NOW_S
        }
        .handle(&request)
        .status,
        405
    );
}

#[test]
fn short_and_long_run_ranges_answer_alike() {
    // A span under 64 runs reads the per-run indexes directly; a longer one goes through the run list.
    let kv = seeded_store();
    for (what, shown) in [
        ("get_runs", "358791"),
        ("get_clients", "visualization-live"),
    ] {
        let short = body(&get(
            &kv,
            &format!("/dqm/dqm-square/api?what={what}&from=358788&to=358792&db=production"),
        ));
        let long = body(&get(
            &kv,
            &format!("/dqm/dqm-square/api?what={what}&from=358000&to=359000&db=production"),
        ));
        let widest = body(&get(
            &kv,
            &format!(
                "/dqm/dqm-square/api?what={what}&from={}&to={}&db=production",
                i64::MIN,
                i64::MAX
            ),
        ));
        assert!(short.contains(shown), "{what}: {short}");
        assert_eq!(short, long, "{what}");
        assert_eq!(short, widest, "{what}");
    }
    let none = body(&get(
        &kv,
        "/dqm/dqm-square/api?what=get_runs&from=358789&to=358790&db=production",
    ));
    assert_eq!(none, "{}");
}
