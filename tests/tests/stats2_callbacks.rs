//! Stats2 callbacks end to end: `scraper-host stats2 --trigger-prod` pointed at fake McM/RelVal/ReReco
//! receivers and a fake token endpoint. Each service gets the call of its rule (§9) with the bearer token,
//! a failed callback waits in the store queue for its back-off and is then retried, and a later change
//! calls the service again.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dqm_spin_tests::stats2::{kv_json, scraper_host, stats2_app, FakeReceivers, FakeServer, HttpRequest};
use serde_json::{json, Value};
use stats2::fake::{synthetic_outputs, synthetic_request, FakeCmsweb, FakeDataset};
use stats2::keys;

const CAMPAIGNS: usize = 3;
const RELVAL: &str = "pdmvserv_RVCMSSW_14_0_0TTbar__v1_T_240101_000000_0001";
const BACKOFF: u64 = 3;

/// An McM workflow, a ReReco one and a RelVal one.
fn world() -> (FakeCmsweb, [String; 3]) {
    let fake = FakeCmsweb::new();
    let (mcm, doc) = synthetic_request(0, CAMPAIGNS);
    fake.put_request(&mcm, doc);
    let (rereco, mut doc) = synthetic_request(1, CAMPAIGNS);
    doc["RequestType"] = json!("ReReco");
    doc["PrepID"] = json!("ReReco-Run2024F-00001");
    fake.put_request(&rereco, doc);
    let (_, mut doc) = synthetic_request(2, CAMPAIGNS);
    doc["RequestName"] = json!(RELVAL);
    doc["_id"] = json!(RELVAL);
    doc["PrepID"] = json!("CMSSW_14_0_0__RelVal-00001");
    fake.put_request(RELVAL, doc);
    for i in 0..3 {
        for dataset in synthetic_outputs(i, CAMPAIGNS) {
            fake.set_dataset(&dataset, FakeDataset { access_type: "VALID".into(), events: 10, size: 1, lumis: 1, modified: 0 });
        }
    }
    (fake, [mcm, rereco, RELVAL.to_owned()])
}

fn poll(state_dir: &Path, server: &FakeServer, receivers: &FakeReceivers) -> String {
    let mut args = vec!["stats2".to_owned(), "--once".to_owned(), "--trigger-prod".to_owned()];
    args.extend(server.poller_args());
    let base = receivers.url();
    for (flag, value) in [("--callback-prod", format!("{base}/prod")), ("--token-url", format!("{base}/token")), ("--callback-backoff", BACKOFF.to_string())] {
        args.extend([flag.to_owned(), value]);
    }
    let output: Output = scraper_host(state_dir, &args)
        .env("CALLBACK_CLIENT_ID", "stats2")
        .env("CALLBACK_CLIENT_SECRET", "s3cret")
        .env("APPLICATION_CLIENT_ID", "prod-app")
        .env("DEV_APPLICATION_CLIENT_ID", "dev-app")
        .output()
        .expect("run scraper-host");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "stats2 --once failed: {log}");
    log
}

fn callbacks_only(received: &[HttpRequest]) -> Vec<(String, String, Option<String>)> {
    received
        .iter()
        .filter(|r| r.target != "/token")
        .map(|r| (r.method.clone(), r.target.clone(), r.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned())))
        .collect()
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn callbacks_reach_their_services_and_failed_ones_are_retried_after_backoff() {
    let (fake, [mcm, rereco, relval]) = world();
    let server = FakeServer::http(fake);
    let receivers = FakeReceivers::start();
    receivers.fail("/rereco/", 1);
    let app = stats2_app();
    let state = app.state_dir();

    let log = poll(&state, &server, &receivers);
    let received = receivers.received();
    let tokens: Vec<&HttpRequest> = received.iter().filter(|r| r.target == "/token").collect();
    assert_eq!(tokens.len(), 1, "one token for every callback of the run: {received:?}");
    let form = String::from_utf8_lossy(tokens[0].body.as_deref().unwrap()).into_owned();
    assert_eq!(form, "grant_type=client_credentials&client_id=stats2&client_secret=s3cret&audience=prod-app");
    let mut sent = callbacks_only(&received);
    sent.sort();
    let rereco_call = ("POST".to_owned(), "/prod/rereco/api/requests/update_workflows".to_owned(), Some(r#"{"prepid":"ReReco-Run2024F-00001"}"#.to_owned()));
    assert_eq!(
        sent,
        [
            ("GET".to_owned(), format!("/prod/mcm/restapi/requests/fetch_stats_by_wf/{mcm}"), None),
            ("POST".to_owned(), "/prod/relval/api/relvals/update_workflows".to_owned(), Some(r#"{"prepid":"CMSSW_14_0_0__RelVal-00001"}"#.to_owned())),
            rereco_call.clone(),
        ],
        "one call per changed workflow, by its rule; {log}"
    );
    for request in received.iter().filter(|r| r.target != "/token") {
        assert_eq!(request.header("authorization"), Some("Bearer tok-1"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
    }
    assert!(log.contains("callbacks sent 2 retrying 1 dropped 0"), "{log}");
    assert!(log.contains("HTTP 503: scripted failure"), "the receiver's message is logged: {log}");

    // The failed ReReco callback waits in the queue for its back-off (2 × BACKOFF after one failure).
    let queue = kv_json(&state, keys::CALLBACKS).expect("callback queue");
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["notification"], json!({"ReReco": {"prepid": "ReReco-Run2024F-00001"}}));
    assert_eq!(queue[0]["attempts"], 1);
    let not_before = queue[0]["not_before"].as_i64().unwrap();
    let waited = not_before - unix_now();
    assert!(waited > 0 && waited <= 2 * BACKOFF as i64, "retry at +{waited} s");
    let status = kv_json(&state, keys::STATUS).unwrap();
    assert_eq!(status["failed"], 0, "a failed callback never fails its workflow");

    // A quiet pass during the back-off sends nothing.
    receivers.clear();
    poll(&state, &server, &receivers);
    if unix_now() < not_before {
        assert_eq!(callbacks_only(&receivers.received()), Vec::new(), "nothing is due yet");
    }

    // Once the back-off has passed, the retry goes out and empties the queue; a changed workflow is
    // announced again.
    while unix_now() <= not_before {
        std::thread::sleep(Duration::from_millis(200));
    }
    receivers.clear();
    server.fake.set_request_field(&relval, "RequestPriority", json!(123_456));
    poll(&state, &server, &receivers);
    let mut sent = callbacks_only(&receivers.received());
    sent.sort();
    assert_eq!(
        sent,
        [("POST".to_owned(), "/prod/relval/api/relvals/update_workflows".to_owned(), Some(r#"{"prepid":"CMSSW_14_0_0__RelVal-00001"}"#.to_owned())), rereco_call],
    );
    assert_eq!(kv_json(&state, keys::CALLBACKS), Some(Value::Array(vec![])));
    let stored = kv_json(&state, &keys::doc(&rereco)).unwrap();
    assert_eq!(stored["RequestType"], "ReReco");
}
