//! Upstream payload parsing (sample shapes, extra fields, wrong shapes), call URLs, and callback rules.

mod common;

use common::*;
use serde_json::json;
use stats2::callbacks::{parse_token, CallbackConfig, Credentials, Notification, Target, TokenCache};
use stats2::upstream::*;

fn payload(key_start: &str) -> Vec<u8> {
    let all = sample("external_payloads__synthetic.json");
    let (_, value) = all
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with(key_start))
        .unwrap();
    let value = value.get("response").unwrap_or(value);
    value.to_string().into_bytes()
}

#[test]
fn sample_payloads_parse() {
    let changes = parse_changes(&payload("couchdb_changes")).unwrap();
    assert_eq!(
        changes.changed,
        ["pdmvserv_task_EXO-RunIISummer20UL18wmLHEGEN-01234__v1_T_230110_101500_4321"]
    );
    assert_eq!(changes.deleted, ["some_old_workflow_name"]);
    assert_eq!(changes.last_seq, "1234569-g1AAAAF...");
    assert_eq!(
        parse_dataset_names(&payload("dbs_datasets_changed")).unwrap(),
        ["/Muon0/Run2024F-ECAL_PFA_2024-v1/AOD"]
    );
    assert_eq!(
        parse_datasetlist(&payload("dbs_datasetlist")).unwrap(),
        [("/A/B/AOD".to_owned(), "VALID".to_owned())]
    );
    let summary = parse_filesummaries(&payload("dbs_filesummaries")).unwrap();
    assert_eq!(
        summary,
        FileSummary {
            events: 90963495,
            size: 38240056782,
            lumis: 26865
        }
    );
    assert_eq!(
        parse_files_event_count(&payload("dbs_files")).unwrap(),
        51234
    );
    assert_eq!(
        parse_wmstats_active(&payload("wmstats_active")).unwrap(),
        ["pdmvserv_task_...", "cmsunified_ACDC0_..."]
    );
    // The sample's text, not a re-serialised Value: serde_json's map would sort the names.
    let lookup = br#"{"result": [{"pdmvserv_original_workflow": {"RequestType": "ReReco", "TotalInputEvents": 51234567},
        "cmsunified_ACDC0_...": {"RequestType": "Resubmission", "TotalInputEvents": null}}]}"#;
    let parents = parse_parent_lookup(lookup).unwrap();
    let names: Vec<&str> = parents.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["pdmvserv_original_workflow", "cmsunified_ACDC0_..."],
        "document order kept"
    );
    assert_eq!(
        parents[1].1.total_input_events, None,
        "null reads as absent"
    );
}

#[test]
fn tolerant_of_gaps_and_numeric_sequences_strict_on_wrong_shapes() {
    assert_eq!(
        parse_changes(br#"{"results": [], "last_seq": 42}"#)
            .unwrap()
            .last_seq,
        "42"
    );
    assert_eq!(parse_filesummaries(b"[]").unwrap(), FileSummary::default());
    assert_eq!(
        parse_filesummaries(br#"[{"num_event": null, "file_size": 5.0}]"#).unwrap(),
        FileSummary {
            events: 0,
            size: 5,
            lumis: 0
        }
    );
    for (what, result) in [
        (
            "changes without last_seq",
            parse_changes(br#"{"results": []}"#).map(|_| ()),
        ),
        (
            "html",
            parse_wmstats_active(b"<html>oops</html>").map(|_| ()),
        ),
        (
            "object for list",
            parse_dataset_names(br#"{"dataset": "x"}"#).map(|_| ()),
        ),
        ("request doc array", parse_request_doc(b"[1]").map(|_| ())),
    ] {
        match result {
            Err(UpstreamError::Parse(message)) => assert!(!message.is_empty(), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn calls_build_the_documented_urls() {
    let since = Call::Changes {
        since: "12-g1AA+/=".into(),
    };
    assert_eq!(
        since.path_and_query(),
        "/couchdb/reqmgr_workload_cache/_changes?since=12-g1AA%2B%2F%3D"
    );
    let files = Call::DbsFiles {
        dataset: "/A/B/RAW".into(),
        run: "382229".into(),
        lumi_list: "[[1,245],[250,612]]".into(),
        valid_only: true,
    };
    assert_eq!(files.service(), Service::Dbs);
    assert_eq!(
        files.path_and_query(),
        "/dbs/prod/global/DBSReader/files?dataset=%2FA%2FB%2FRAW&detail=true&run_num=382229&lumi_list=%5B%5B1%2C245%5D%2C%5B250%2C612%5D%5D&validFileOnly=1"
    );
    let list = Call::DbsDatasetList {
        datasets: vec!["/A/B/AOD".into()],
    };
    assert_eq!(list.method(), "POST");
    let body: serde_json::Value = serde_json::from_slice(&list.body().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"dataset": ["/A/B/AOD"], "detail": 1, "dataset_access_type": "*"})
    );
    assert_eq!(Call::WmstatsActive.timeout_secs(), 600);
    assert_eq!(
        Call::ParentLookup {
            prep_id: "P".into(),
            mask: ParentMask::TotalInputLumis
        }
        .path_and_query(),
        "/reqmgr2/data/request?mask=TotalInputLumis&mask=RequestType&prep_id=P"
    );
}

#[test]
fn callback_selection_follows_the_rules_in_order() {
    let rereco = object(sample("stats2_doc_rereco_lumis__synthetic.json"));
    let to_rereco = Notification::for_doc(RERECO, &rereco);
    assert_eq!(
        to_rereco,
        Notification::ReReco {
            prepid: "ReReco-Run2024F-Muon0-ECAL_PFA_2024-00001".into()
        }
    );
    assert_eq!(
        (to_rereco.method(), to_rereco.url(Target::Prod.host()).as_str()),
        (
            "POST",
            "https://cms-pdmv-prod.web.cern.ch/rereco/api/requests/update_workflows"
        )
    );
    assert_eq!(
        to_rereco.body().unwrap(),
        br#"{"prepid":"ReReco-Run2024F-Muon0-ECAL_PFA_2024-00001"}"#
    );
    let relval = Notification::for_doc(
        "x_RVCMSSW_14_0_y",
        &object(json!({"PrepID": "CMSSW_14-1", "RequestType": "TaskChain"})),
    );
    assert_eq!(
        relval.url(Target::Dev.host()),
        "https://cms-pdmv-dev.web.cern.ch/relval/api/relvals/update_workflows"
    );
    let mcm = Notification::for_doc(TASKCHAIN, &object(sample("stats2_doc__synthetic.json")));
    assert_eq!((mcm.method(), mcm.body()), ("GET", None));
    assert_eq!(
        Notification::headers("t")[2],
        ("Authorization", "Bearer t".to_owned())
    );
    assert_eq!(
        mcm.url(Target::Prod.host()),
        format!(
            "https://cms-pdmv-prod.web.cern.ch/mcm/restapi/requests/fetch_stats_by_wf/{TASKCHAIN}"
        )
    );
}

#[test]
fn tokens_need_all_credentials_and_are_reused_for_three_quarters_of_their_life() {
    let mut credentials = Credentials {
        client_id: Some("id".into()),
        client_secret: Some("s&t".into()),
        application_client_id: Some("prod-app".into()),
        dev_application_client_id: None,
    };
    assert!(
        credentials.token_form(Target::Prod).is_err(),
        "a missing variable raises"
    );
    credentials.dev_application_client_id = Some("dev-app".into());
    let form = credentials.token_form(Target::Dev).unwrap();
    assert_eq!(
        CallbackConfig::default().token_url,
        "https://auth.cern.ch/auth/realms/cern/api-access/token"
    );
    assert_eq!(
        form,
        "grant_type=client_credentials&client_id=id&client_secret=s%26t&audience=dev-app"
    );
    let (token, expires_in) =
        parse_token(br#"{"access_token": "abc", "expires_in": 400, "token_type": "Bearer"}"#)
            .unwrap();
    let mut cache = TokenCache::default();
    assert_eq!(cache.get(Target::Prod, 1000), None);
    cache.put(Target::Prod, token, expires_in, 1000);
    assert_eq!(cache.get(Target::Prod, 1299), Some("abc"));
    assert_eq!(cache.get(Target::Prod, 1300), None, "75 % of 400 s elapsed");
    assert_eq!(cache.get(Target::Dev, 1001), None, "per audience");
}

#[test]
fn every_call_parses_back_from_its_http_request() {
    let calls = [
        Call::Changes {
            since: "123-g1AAAAF+/x=".into(),
        },
        Call::RequestDoc {
            name: "pdmvserv_task_X__v1_T_230110_101500_4321".into(),
        },
        Call::ParentLookup {
            prep_id: "ReReco-1".into(),
            mask: ParentMask::TotalInputEvents,
        },
        Call::ParentLookup {
            prep_id: "ReReco-1".into(),
            mask: ParentMask::TotalInputLumis,
        },
        Call::WmstatsActive,
        Call::DbsModifiedDatasets {
            min_ldate: 1725199700,
        },
        Call::DbsDatasetList {
            datasets: vec!["/A/B/AOD".into(), "/A/B/MINIAOD".into()],
        },
        Call::DbsFileSummaries {
            dataset: "/A/B/AOD".into(),
            valid_only: true,
        },
        Call::DbsFileSummaries {
            dataset: "/A/B/AOD".into(),
            valid_only: false,
        },
        Call::DbsFiles {
            dataset: "/A/B/RAW".into(),
            run: "382229".into(),
            lumi_list: "[[1,245],[250,612]]".into(),
            valid_only: false,
        },
    ];
    for call in calls {
        let body = call.body();
        assert_eq!(
            Call::parse(call.method(), &call.path_and_query(), body.as_deref()),
            Some(call.clone()),
            "{call:?}"
        );
    }
    assert_eq!(Call::parse("GET", "/elsewhere", None), None);
    assert_eq!(
        Call::parse(
            "POST",
            "/dbs/prod/global/DBSReader/datasetlist",
            Some(b"nope")
        ),
        None
    );
    assert_eq!(
        parse_query("a=1&b=x%20y+z&c"),
        [
            ("a".into(), "1".into()),
            ("b".into(), "x y z".into()),
            ("c".into(), String::new())
        ]
    );
    assert_eq!(percent_decode("%2Fa%2"), "/a%2");
}
