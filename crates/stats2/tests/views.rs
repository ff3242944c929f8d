//! Spec §11 items 9–14: the endpoints' shapes over a store filled by a real pass.

mod common;

use common::*;
use kv_api::{KvStore, MemoryStore};
use serde_json::{json, Value};
use stats2::fake::FakeCmsweb;
use stats2::page::{completion, history_series, plot_target};
use stats2::sync::{run_pass, PassOptions};
use stats2::update_queue::queued_updates;
use stats2::views::{handle, AuthConfig, Request, Response};

fn filled_store() -> MemoryStore {
    let store = MemoryStore::new();
    let fake = FakeCmsweb::new();
    fake.put_request(TASKCHAIN, sample("reqmgr2_request__synthetic.json"));
    fake.put_request(RERECO, sample("reqmgr2_rereco_request__synthetic.json"));
    // Same PrepID, older timestamp in the name: must sort first for `prepid`.
    let mut older = sample("reqmgr2_request__synthetic.json");
    older["RequestName"] = json!("pdmvserv_task_EXO-older__v1_T_221231_235959_0001");
    fake.put_request("pdmvserv_task_EXO-older__v1_T_221231_235959_0001", older);
    run_pass(
        &store,
        &fake,
        &PassOptions {
            now: 1_700_000_000,
            callback_targets: vec![],
        },
    )
    .unwrap();
    store
}

fn auth() -> AuthConfig {
    AuthConfig {
        admin_tokens: vec!["s3cret".into()],
        ..AuthConfig::default()
    }
}

fn get(store: &MemoryStore, path: &str, query: &str) -> Response {
    get_with(store, path, query, &[])
}

fn get_with(
    store: &MemoryStore,
    path: &str,
    query: &str,
    headers: &[(String, String)],
) -> Response {
    handle(
        store,
        &auth(),
        &Request {
            method: "GET",
            path,
            query,
            headers,
        },
    )
}

fn json_of(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

fn names(response: &Response) -> Vec<String> {
    json_of(response)
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn get_json_returns_the_stored_document_pretty_and_sorted() {
    let store = filled_store();
    let found = get(&store, &format!("/api/get_json/{TASKCHAIN}"), "");
    assert_eq!(
        (found.status, found.content_type),
        (200, "application/json")
    );
    let text = String::from_utf8(found.body.clone()).unwrap();
    assert!(
        text.starts_with("{\n  \"AcquisitionEra\": {"),
        "{}",
        &text[..60]
    );
    let mut doc = json_of(&found);
    for key in ["EventNumberHistory", "LastUpdate"] {
        doc.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(
        doc,
        Value::Object(expected_doc("stats2_doc__synthetic.json"))
    );
    assert_eq!(
        get(&store, &format!("/get_json/{TASKCHAIN}"), "").status,
        200
    );
    let missing = get(&store, "/api/get_json/unknown", "");
    assert_eq!((missing.status, json_of(&missing)), (404, json!({})));
}

#[test]
fn every_filter_finds_its_documents() {
    let store = filled_store();
    let cases = [
        ("campaign=RunIISummer20UL18SIM", 2),
        ("output_dataset=%2FZprimeToMuMu_M-5000_TuneCP5_13TeV-pythia8%2FRunIISummer20UL18wmLHEGEN-106X_upgrade2018_realistic_v4-v2%2FGEN", 2),
        ("input_dataset=/Muon0/Run2024F-v1/RAW", 1),
        ("type=ReReco", 1),
        ("processing_string=106X_upgrade2018_realistic_v4", 2),
        ("request=EXO-RunIISummer20UL18SIM-01234", 2),
        ("prepid=ReReco-Run2024F-Muon0-ECAL_PFA_2024-00001", 1),
        ("processing_string=", 0),
        ("campaign=nothing", 0),
        ("", 3),
    ];
    for (query, expected) in cases {
        let response = get(&store, "/api/fetch", query);
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(names(&response).len(), expected, "{query}");
    }
    let by_name = get(
        &store,
        "/api/fetch",
        &format!("workflow_name={TASKCHAIN}&campaign=Run2024F"),
    );
    assert_eq!(
        names(&by_name),
        [TASKCHAIN],
        "workflow_name wins and returns one document"
    );
    assert_eq!(
        names(&get(&store, "/api/fetch", "workflow_name=nope")),
        Vec::<String>::new()
    );
    // prepid results are ordered by the YYMMDD_HHMMSS part of the name.
    let prepid = names(&get(
        &store,
        "/api/fetch",
        "prepid=task_EXO-RunIISummer20UL18wmLHEGEN-01234",
    ));
    assert_eq!(
        prepid,
        [
            "pdmvserv_task_EXO-older__v1_T_221231_235959_0001",
            TASKCHAIN
        ]
    );
}

#[test]
fn search_redirects_to_the_first_matching_filter() {
    let store = filled_store();
    let hit = get(
        &store,
        "/search",
        "q=task_EXO-RunIISummer20UL18wmLHEGEN-01234",
    );
    assert_eq!(
        (hit.status, hit.location.as_deref()),
        (
            302,
            Some("/stats?prepid=task_EXO-RunIISummer20UL18wmLHEGEN-01234")
        )
    );
    let campaign = get(&store, "/search", "q=Run2024F");
    assert_eq!(
        campaign.location.as_deref(),
        Some("/stats?campaign=Run2024F")
    );
    let miss = get(&store, "/search", "q=whatever");
    assert_eq!(
        miss.location.as_deref(),
        Some("/stats?workflow_name=whatever")
    );
    assert_eq!(
        get(&store, "/search", "q=").location.as_deref(),
        Some("/stats")
    );
}

#[test]
fn markdown_table_has_a_header_and_one_row_per_document() {
    let store = filled_store();
    let md = String::from_utf8(
        get(
            &store,
            "/md",
            "prepid=ReReco-Run2024F-Muon0-ECAL_PFA_2024-00001",
        )
        .body,
    )
    .unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines.len(), 3, "{md}");
    assert_eq!(lines[0], "| RequestName | InputDataset | OutputDatasets |");
    assert_eq!(lines[1], "| :--- | :--- | :--- |");
    assert!(lines[2].starts_with(&format!("| [{RERECO}](https://cms-pdmv-prod.web.cern.ch/stats/?workflow_name={RERECO}) | [/Muon0/Run2024F-v1/RAW](https://cmsweb.cern.ch/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D/Muon0/Run2024F-v1/RAW) | - [")));
    assert_eq!(lines[2].matches("<br>- [").count(), 2);
    // No InputDataset: an empty cell, not an error.
    let mc =
        String::from_utf8(get(&store, "/md", &format!("workflow_name={TASKCHAIN}")).body).unwrap();
    assert!(mc.lines().nth(2).unwrap().contains(") |  | - ["), "{mc}");
    assert_eq!(get(&store, "/md", "campaign=none").body, b"");
}

#[test]
fn update_requires_a_token_and_queues_the_request() {
    let store = filled_store();
    let none = get(&store, "/api/update", &format!("workflow_name={TASKCHAIN}"));
    assert_eq!(
        (none.status, json_of(&none)),
        (401, json!({"error": "Authentication required"}))
    );
    let wrong = [("Authorization".to_owned(), "Bearer guess".to_owned())];
    assert_eq!(
        get_with(&store, "/api/update", "workflow_name=x", &wrong).status,
        401
    );
    let good = [("authorization".to_owned(), "Bearer s3cret".to_owned())];
    let missing = get_with(&store, "/api/update", "", &good);
    assert_eq!(
        (missing.status, json_of(&missing)),
        (
            400,
            json!({"msg": "Please provide the workflow name via 'workflow_name' query parameter"})
        )
    );
    let ok = get_with(
        &store,
        "/api/update",
        &format!("workflow_name={TASKCHAIN}"),
        &good,
    );
    assert_eq!(
        (ok.status, json_of(&ok)),
        (
            200,
            json!({"msg": format!("Workflow {TASKCHAIN} has been updated successfully")})
        )
    );
    assert_eq!(queued_updates(&store).unwrap(), [TASKCHAIN]);
    let again = get_with(
        &store,
        "/api/update",
        &format!("workflow_name={TASKCHAIN}"),
        &good,
    );
    assert_eq!(
        (again.status, json_of(&again)),
        (
            409,
            json!({"error": format!("Update already in progress for {TASKCHAIN}")})
        )
    );

    // Proxy identities count only when trusted, and then need the role.
    let proxy = AuthConfig {
        trust_proxy_headers: true,
        ..auth()
    };
    let user = |groups: &str| {
        vec![
            ("X-Forwarded-User".to_owned(), "alice".to_owned()),
            ("X-Forwarded-Groups".to_owned(), groups.to_owned()),
        ]
    };
    let call = |config: &AuthConfig, headers: &[(String, String)]| {
        handle(
            &store,
            config,
            &Request {
                method: "GET",
                path: "/api/update",
                query: "workflow_name=other",
                headers,
            },
        )
        .status
    };
    assert_eq!(call(&auth(), &user("cms-pdmv-serv")), 401);
    assert_eq!(call(&proxy, &user("cms-users")), 403);
    assert_eq!(call(&proxy, &user("cms-users,cms-pdmv-serv")), 200);
}

#[test]
fn list_page_shows_100_per_page_with_completion() {
    let store = filled_store();
    let page = get(&store, "/", "type=ReReco");
    assert_eq!(
        (page.status, page.content_type),
        (200, "text/html; charset=utf-8")
    );
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains(RERECO) && !html.contains(TASKCHAIN));
    let first = String::from_utf8(get(&store, "/1", "type=ReReco").body).unwrap();
    assert!(
        first.contains("href=\"/stats/0?type=ReReco\">previous"),
        "links keep the filter"
    );
    let empty = String::from_utf8(get(&store, "/1", "").body).unwrap();
    assert!(
        !empty.contains("pdmvserv_"),
        "page 1 of 3 documents is empty"
    );
    assert_eq!(get(&store, "/-1", "").status, 404);
    assert_eq!(get(&store, "/nope", "").status, 404);
    let post = handle(
        &store,
        &auth(),
        &Request {
            method: "POST",
            path: "/api/fetch",
            query: "",
            headers: &[],
        },
    );
    assert_eq!(post.status, 405);
    assert!(json_of(&post)["message"].is_string());
}

#[test]
fn completion_and_series_come_from_the_newest_entries() {
    let mut doc = object(sample("stats2_doc__synthetic.json"));
    doc.remove("_comment");
    let progress = completion(&doc);
    assert_eq!(progress[0].completed_perc, Some(100.0));
    assert_eq!(progress[1].completed_perc, Some(99.95));
    assert_eq!(progress[1].access_type, "VALID");
    assert_eq!(progress[0].lumi_completed_perc, None);
    let rereco = object(sample("stats2_doc_rereco_lumis__synthetic.json"));
    let lumis = completion(&rereco);
    assert_eq!(lumis[0].lumi_completed_perc, Some(20.02));
    assert_eq!(lumis[2].completed_perc, Some(0.0));
    assert_eq!(plot_target("/plot/wf%5Fa.png").as_deref(), Some("wf_a"));
    assert_eq!(plot_target("/plot/.png"), None);
    assert_eq!(plot_target("/api/fetch"), None);
    let series = history_series(&doc);
    assert_eq!(series[0].1, [(1673360000, 250000), (1673410000, 1000000)]);
}

#[test]
fn fetch_is_the_pretty_sorted_array_of_the_stored_documents() {
    let store = filled_store();
    let response = get(&store, "/api/fetch", "");
    let parsed = json_of(&response);
    assert_eq!(response.body, serde_json::to_vec_pretty(&parsed).unwrap());
    assert_eq!(parsed.as_array().unwrap().len(), 3);
    let empty = get(&store, "/api/fetch", "campaign=nothing");
    assert_eq!(empty.body, b"[]");
    // A stale index entry (document gone) and a corrupt document are left out, not an error.
    store
        .set("stats2/idx/type/ReReco", format!("gone_workflow\n{RERECO}").as_bytes())
        .unwrap();
    assert_eq!(names(&get(&store, "/api/fetch", "type=ReReco")), [RERECO]);
    store.set(&stats2::keys::doc(RERECO), b"{\"RequestType\":\"ReReco\"").unwrap();
    assert_eq!(names(&get(&store, "/api/fetch", "type=ReReco")), Vec::<String>::new());
    assert_eq!(get(&store, &format!("/api/get_json/{RERECO}"), "").status, 500);
}

#[test]
fn status_view_and_list_page_show_the_last_pass() {
    let store = filled_store();
    let status = json_of(&get(&store, "/api/status", ""));
    assert_eq!(status["pass"]["state"], "done");
    assert_eq!(status["pass"]["seen"], 3);
    assert!(status["pass"]["changed"].as_u64().unwrap() >= 3);
    assert_eq!(status["pass"]["failed"], 0);
    assert_eq!(status["pass"]["since"], "0");
    assert_eq!(status["pass"]["started"], 1_700_000_000);
    assert!(status["pass"]["finished"].as_i64().unwrap() >= 1_700_000_000);
    assert!(status["pass"]["elapsed_ms"].is_u64());
    assert_eq!(status["pass"]["saved_since"], status["since"]);
    assert_eq!(status["last_completed_pass"], 1_700_000_000);
    assert_eq!(status["failed_workflows"], json!([]));
    assert_eq!((status["queued_updates"].as_u64(), status["queued_callbacks"].as_u64()), (Some(0), Some(0)));
    let html = String::from_utf8(get(&store, "/", "").body).unwrap();
    assert!(html.contains("Last pass done 2023-11-14 22:13 UTC in "), "{html}");
    assert!(html.contains("3 seen"), "{html}");

    let empty = MemoryStore::new();
    assert_eq!(json_of(&get(&empty, "/api/status", ""))["pass"], Value::Null);
    let html = String::from_utf8(get(&empty, "/", "").body).unwrap();
    assert!(html.contains("No sync pass has run yet."));
}

#[test]
fn the_filter_form_redirects_to_the_filter_and_the_page_links_filters() {
    let store = filled_store();
    let to = |query: &str| get(&store, "/", query).location;
    assert_eq!(to("by=campaign&value=Run2024F+x").as_deref(), Some("/stats?campaign=Run2024F%20x"));
    assert_eq!(to("by=workflow_name&value=wf").as_deref(), Some("/stats?workflow_name=wf"));
    assert_eq!(to("by=bogus&value=x").as_deref(), Some("/stats"));
    assert_eq!(to("by=type&value=").as_deref(), Some("/stats"));
    let html = String::from_utf8(get(&store, "/", "type=ReReco").body).unwrap();
    assert!(html.contains("<option value=\"type\" selected>"), "the form shows the filter");
    assert!(html.contains("href=\"/stats?type=ReReco\">ReReco</a>"), "cells link to their filter");
    assert!(html.contains(&format!("src=\"/stats/plot/{RERECO}.png?w=320&amp;h=160\"")));
    assert!(html.contains("href=\"/stats/static/stats2.css\""));
    assert!(html.contains("<script type=\"module\" src=\"/static/header.js\"></script>"), "the site header");
    let css = get(&store, "/static/stats2.css", "");
    assert_eq!((css.status, css.content_type), (200, "text/css"));
}

#[test]
fn fetch_answers_are_cached_until_a_document_changes() {
    let store = filled_store();
    // Campaign answers this small are built every time.
    let small = get(&store, "/api/fetch", "campaign=RunIISummer20UL18SIM");
    assert_eq!(names(&small).len(), 2);
    assert!(store.get("stats2/cache/fetch/campaign/RunIISummer20UL18SIM").unwrap().is_none());

    // Twelve workflows in one campaign: the answer is cached under the current generation and served
    // from there until a write raises the generation.
    let store = MemoryStore::new();
    let fake = FakeCmsweb::new();
    for i in 0..12 {
        let (name, doc) = stats2::fake::synthetic_request(i * 3, 3);
        fake.put_request(&name, doc);
    }
    run_pass(&store, &fake, &PassOptions { now: 1_700_000_100, callback_targets: vec![] }).unwrap();
    let first = get(&store, "/api/fetch", "campaign=Camp000");
    assert_eq!(names(&first).len(), 12);
    let generation = store.get(stats2::keys::GENERATION).unwrap().expect("writes raise the generation");
    let cached = store.get("stats2/cache/fetch/campaign/Camp000").unwrap().expect("cached");
    assert_eq!(cached, [generation.as_slice(), b"\n", &first.body].concat());
    // Proof that the cache is what answers: plant a different body under the same generation.
    store.set("stats2/cache/fetch/campaign/Camp000", &[generation.as_slice(), b"\n[]"].concat()).unwrap();
    assert_eq!(get(&store, "/api/fetch", "campaign=Camp000").body, b"[]");
    // A changed document invalidates it.
    fake.set_request_field(&stats2::fake::synthetic_request(0, 3).0, "RequestPriority", json!(7));
    run_pass(&store, &fake, &PassOptions { now: 1_700_000_200, callback_targets: vec![] }).unwrap();
    let after = get(&store, "/api/fetch", "campaign=Camp000");
    assert_eq!(names(&after).len(), 12);
    let changed = json_of(&after).as_array().unwrap().iter().any(|d| d["RequestPriority"] == 7);
    assert!(changed, "the rebuilt answer shows the change");
    // A deleted document too.
    let fresh = get(&store, "/api/fetch", "campaign=Camp000");
    assert_eq!(fresh.body, after.body, "served from the cache again");
    stats2::store::delete_doc(&store, &stats2::fake::synthetic_request(3, 3).0).unwrap();
    assert_eq!(names(&get(&store, "/api/fetch", "campaign=Camp000")).len(), 11);
    // A pass that changes nothing still starts by invalidating (a crash may have skipped a bump).
    let generation = store.get(stats2::keys::GENERATION).unwrap().unwrap();
    store.set("stats2/cache/fetch/campaign/Camp000", &[generation.as_slice(), b"\n[]"].concat()).unwrap();
    run_pass(&store, &fake, &PassOptions { now: 1_700_000_300, callback_targets: vec![] }).unwrap();
    assert_eq!(names(&get(&store, "/api/fetch", "campaign=Camp000")).len(), 11);
}
