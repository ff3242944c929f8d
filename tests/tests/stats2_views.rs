//! The Stats2 views through the gateway, over a store that `scraper-host stats2` filled from the fake
//! cmsweb: every filter of `/stats/api/fetch`, `get_json`, `search`, `md`, the list page, the history
//! plot and the authenticated `/stats/api/update` queue that the poller then runs.

use dqm_spin_tests::stats2::{kv_get, poll_ok, stats2_app, FakeServer, ADMIN_TOKEN};
use dqm_spin_tests::{Gateway, HttpResponse};
use serde_json::{json, Value};
use stats2::fake::{synthetic_outputs, synthetic_request, FakeCmsweb, FakeDataset};
use stats2::keys;

const CAMPAIGNS: usize = 3;
const INPUT: &str = "/Input/Run2024A-v1/RAW";

/// Six synthetic workflows; the last one reads an input dataset.
fn world() -> (FakeCmsweb, Vec<String>) {
    let fake = FakeCmsweb::new();
    let mut names = Vec::new();
    for i in 0..6 {
        let (name, mut doc) = synthetic_request(i, CAMPAIGNS);
        if i == 5 {
            doc["InputDataset"] = json!(INPUT);
            doc["Task1"]["InputDataset"] = json!(INPUT);
        }
        fake.put_request(&name, doc);
        for dataset in synthetic_outputs(i, CAMPAIGNS) {
            fake.set_dataset(&dataset, FakeDataset { access_type: "VALID".into(), events: 100 * i as i64, size: 1, lumis: 1, modified: 0 });
        }
        names.push(name);
    }
    (fake, names)
}

fn names_of(response: &HttpResponse) -> Vec<String> {
    assert_eq!(response.status, 200, "{}", response.text());
    let mut names: Vec<String> = response.json().as_array().expect("an array").iter().map(|d| d["RequestName"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

fn sorted(names: &[&String]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

#[test]
fn views_answer_every_filter_and_queue_updates() {
    let (fake, names) = world();
    let server = FakeServer::http(fake);
    let app = stats2_app();
    poll_ok(&app.state_dir(), &server);
    let gateway = Gateway::start(&app, &[], &[]);
    let fetch = |query: &str| names_of(&gateway.get(&format!("/stats/api/fetch?{query}")));

    let doc = gateway.get(&format!("/stats/api/get_json/{}", names[0]));
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["RequestName"], json!(names[0]));
    assert_eq!(doc["EventNumberHistory"].as_array().unwrap().len(), 1);
    let missing = gateway.get("/stats/api/get_json/no_such_workflow");
    assert_eq!((missing.status, missing.json()), (404, json!({})));

    assert_eq!(fetch(&format!("workflow_name={}", names[0])), [names[0].clone()]);
    assert_eq!(fetch("prepid=task_PPD-Camp000-00000"), [names[0].clone()]);
    assert_eq!(fetch(&format!("output_dataset={}", synthetic_outputs(2, CAMPAIGNS)[1].replace('/', "%2F"))), [names[2].clone()]);
    assert_eq!(fetch(&format!("input_dataset={INPUT}")), [names[5].clone()]);
    assert_eq!(fetch("campaign=Camp001"), sorted(&[&names[1], &names[4]]));
    assert_eq!(fetch("campaign=Camp001SIM"), sorted(&[&names[1], &names[4]]));
    assert_eq!(fetch("type=TaskChain"), sorted(&names.iter().collect::<Vec<_>>()));
    assert_eq!(fetch("processing_string=140X_v1").len(), 6);
    assert_eq!(fetch("processing_string="), Vec::<String>::new());
    assert_eq!(fetch("request=PPD-Camp002-00002-SIM"), [names[2].clone()]);
    assert_eq!(fetch("campaign=NoSuchCampaign"), Vec::<String>::new());

    let search = gateway.get("/stats/search?q=task_PPD-Camp000-00003");
    assert_eq!(search.status, 302);
    assert_eq!(search.header("location"), Some("/stats?prepid=task_PPD-Camp000-00003"));
    assert_eq!(gateway.get("/stats/search?q=").header("location"), Some("/stats"));

    let md = gateway.get("/stats/md?campaign=Camp001");
    assert_eq!(md.status, 200);
    let md = md.text();
    assert!(md.lines().nth(1).is_some_and(|l| l.contains(":---")), "{md}");
    assert!(md.contains(&names[1]) && md.contains(&names[4]) && !md.contains(&names[0]), "{md}");

    let page = gateway.get("/stats");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(names.iter().all(|n| page.text().contains(n.as_str())));
    let filtered = gateway.get("/stats?campaign=Camp002").text();
    assert!(filtered.contains(&names[2]) && !filtered.contains(&names[0]));
    assert_eq!(gateway.get("/stats/0").status, 200);

    let plot = gateway.get(&format!("/stats/plot/{}.png", names[1]));
    assert_eq!(plot.status, 200);
    assert_eq!(plot.header("content-type"), Some("image/png"));
    assert_eq!(&plot.body[1..4], b"PNG");
    assert_eq!(gateway.get("/stats/plot/no_such_workflow.png").status, 404);
    let thumb = gateway.get(&format!("/stats/plot/{}.png?w=320&h=160", names[1]));
    assert_eq!(png_size(&thumb.body), (320, 160));
    assert_eq!(png_size(&plot.body), (800, 400));

    // The poller's status: JSON, and a line on the list page.
    let status = gateway.get("/stats/api/status");
    assert_eq!(status.status, 200);
    let status = status.json();
    assert_eq!((status["pass"]["state"].as_str(), status["pass"]["seen"].as_u64(), status["pass"]["failed"].as_u64()), (Some("done"), Some(6), Some(0)));
    assert_eq!(status["since"], json!(server.fake.last_seq()));
    assert_eq!(status["pass"]["saved_since"], status["since"]);
    assert!(status["pass"]["finished"].as_i64().unwrap() >= status["pass"]["started"].as_i64().unwrap());
    assert!(page.text().contains("Last pass done ") && page.text().contains("6 seen"), "{}", page.text());
    assert_eq!(gateway.get("/stats/static/stats2.css").header("content-type"), Some("text/css"));
    assert_eq!(gateway.get("/stats?by=campaign&value=Camp001").header("location"), Some("/stats?campaign=Camp001"));

    let update = format!("/stats/api/update?workflow_name={}", names[3]);
    assert_eq!(gateway.get(&update).status, 401);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let auth = [("Authorization", bearer.as_str())];
    let wrong = gateway.send("GET", &update, &[("Authorization", "Bearer nope")], b"");
    assert!(wrong.status == 401 || wrong.status == 403, "{}", wrong.status);
    let no_name = gateway.send("GET", "/stats/api/update", &auth, b"");
    assert_eq!(no_name.status, 400);
    assert_eq!(no_name.json()["msg"], "Please provide the workflow name via 'workflow_name' query parameter");
    let queued = gateway.send("GET", &update, &auth, b"");
    assert_eq!(queued.status, 200, "{}", queued.text());
    assert_eq!(gateway.send("GET", &update, &auth, b"").status, 409);
    assert_eq!(gateway.send("POST", "/stats/api/fetch", &[], b"").status, 405);

    // The poller runs the queued update (one request document fetched) and empties the queue.
    server.fake.clear_calls();
    poll_ok(&app.state_dir(), &server);
    assert_eq!(server.fake.fetched_requests(), [names[3].clone()]);
    let queue: Value = serde_json::from_slice(&kv_get(&app.state_dir(), keys::UPDATE_REQUESTS).unwrap()).unwrap();
    assert_eq!(queue, json!([]));
    let status = gateway.get("/stats/api/fetch?workflow_name=nope");
    assert_eq!(names_of(&status), Vec::<String>::new());
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[1..4], b"PNG");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}
