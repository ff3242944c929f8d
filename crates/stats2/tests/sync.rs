//! Spec §11 items 5–7 and the pass-level checks: only changed workflows are fetched, history only
//! on change, deletions, failed workflows retried, crash-and-restart loses and duplicates nothing.

mod common;

use common::*;
use kv_api::{KvStore, MemoryStore};
use serde_json::{json, Value};
use stats2::callbacks::{self, Notification, Outcome, Target};
use stats2::document::Index;
use stats2::fake::{CallKind, FakeCmsweb, FakeDataset};
use stats2::store::{index_lookup, load_doc, load_settings};
use stats2::sync::{load_progress, run_pass, PassOptions};
use stats2::update_queue::{process_update_requests, request_update};
use stats2::upstream::UpstreamError;
use stats2::views::{select, Filter};

const T0: i64 = 1_725_200_000;

fn options(now: i64) -> PassOptions {
    PassOptions {
        now,
        callback_targets: Vec::new(),
    }
}

fn dataset(events: i64, modified: i64) -> FakeDataset {
    FakeDataset {
        access_type: "PRODUCTION".into(),
        events,
        size: events * 10,
        lumis: events / 100,
        modified,
    }
}

/// The two samples plus two MC workflows sharing an output dataset.
fn world() -> FakeCmsweb {
    let fake = FakeCmsweb::new();
    fake.put_request(TASKCHAIN, sample("reqmgr2_request__synthetic.json"));
    fake.put_request(RERECO, sample("reqmgr2_rereco_request__synthetic.json"));
    for (name, own) in [
        ("wf_a_240101_000001_1", "/A/own-v1/AODSIM"),
        ("wf_b_240102_000002_2", "/B/own-v1/AODSIM"),
    ] {
        fake.put_request(name, json!({
            "RequestName": name, "RequestType": "TaskChain", "Campaign": "Shared", "RequestNumEvents": 100,
            "OutputDatasets": ["/Shared/x-v1/GEN-SIM", own], "RequestTransition": [],
        }));
        fake.set_dataset(own, dataset(10, 0));
    }
    fake.set_dataset("/Shared/x-v1/GEN-SIM", dataset(50, 0));
    for ds in [
        "/Muon0/Run2024F-ECAL_PFA_2024-v1/AOD",
        "/Muon0/Run2024F-ECAL_PFA_2024-v1/DQMIO",
    ] {
        fake.set_dataset(ds, dataset(1000, 0));
    }
    fake
}

fn history_len(store: &dyn KvStore, name: &str) -> usize {
    let doc = load_doc(store, name).unwrap().unwrap().doc;
    doc.get("EventNumberHistory")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn first_pass_stores_everything_and_saves_the_opaque_sequence() {
    let (store, fake) = (MemoryStore::new(), world());
    let report = run_pass(&store, &fake, &options(T0)).unwrap();
    assert_eq!(report.updated.len(), 4);
    assert!(report.failed_workflows.is_empty(), "{:?}", report.warnings);
    let settings = load_settings(&store).unwrap();
    assert_eq!(settings.last_reqmgr_sequence, fake.last_seq());
    assert!(
        settings.last_reqmgr_sequence.contains("-g1AAAAF"),
        "stored verbatim"
    );
    assert_eq!(settings.last_dbs_update_date, T0);
    assert!(!fake
        .fetched_requests()
        .iter()
        .any(|n| n.contains("_design")));
    // Request documents and filesummaries are fetched in batches, datasets listed in one POST.
    assert_eq!(fake.batches().first(), Some(&4), "{:?}", fake.batches());
    assert_eq!(fake.count(CallKind::DbsDatasetList), 1);
    assert_eq!(
        fake.count(CallKind::DbsFileSummaries),
        5,
        "each dataset DBS knows, once: {:?}",
        fake.calls()
    );
    for name in [TASKCHAIN, RERECO, "wf_a_240101_000001_1"] {
        assert_eq!(history_len(&store, name), 1, "{name}");
    }
    let progress = load_progress(&store).unwrap().unwrap();
    assert_eq!(
        (progress.state.as_str(), progress.changed, progress.failed),
        ("done", report.progress.changed, 0)
    );
    assert_eq!(
        progress.seen, 4,
        "distinct workflows, though each was updated and recounted"
    );
}

#[test]
fn later_passes_fetch_only_changed_workflows() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    let stamp = |name| load_doc(&store, name).unwrap().unwrap().doc["LastUpdate"].clone();

    fake.clear_calls();
    let quiet = run_pass(&store, &fake, &options(T0 + 3600)).unwrap();
    assert_eq!(fake.fetched_requests(), Vec::<String>::new());
    assert_eq!(
        quiet.progress.changed, 0,
        "nothing rewritten: {:?} {:?}",
        quiet.updated, quiet.appended
    );
    assert_eq!(stamp(TASKCHAIN), json!(T0));

    fake.clear_calls();
    let mut transitions = sample("reqmgr2_request__synthetic.json")["RequestTransition"].clone();
    transitions
        .as_array_mut()
        .unwrap()
        .push(json!({"Status": "completed", "UpdateTime": T0 + 7000, "DN": "x"}));
    fake.set_request_field(TASKCHAIN, "RequestTransition", transitions);
    fake.touch_request(RERECO); // a rev bump without a content change
    let pass = run_pass(&store, &fake, &options(T0 + 7200)).unwrap();
    assert_eq!(
        sorted(fake.fetched_requests()),
        sorted(vec![TASKCHAIN.to_owned(), RERECO.to_owned()])
    );
    assert_eq!(
        pass.updated,
        [TASKCHAIN],
        "the unchanged document is not rewritten"
    );
    assert_eq!(stamp(TASKCHAIN), json!(T0 + 7200));
    assert_eq!(stamp(RERECO), json!(T0));
    let doc = load_doc(&store, TASKCHAIN).unwrap().unwrap().doc;
    assert_eq!(
        doc["RequestTransition"].as_array().unwrap().last().unwrap(),
        &json!({"Status": "completed", "UpdateTime": T0 + 7000})
    );
}

#[test]
fn dbs_modified_and_same_output_workflows_are_recounted() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    // A DBS-modified dataset: its workflow gets a new entry although ReqMgr2 did not change.
    fake.grow_dataset("/A/own-v1/AODSIM", 5, 0, T0 + 100);
    fake.clear_calls();
    let pass = run_pass(&store, &fake, &options(T0 + 1000)).unwrap();
    assert_eq!(pass.appended, ["wf_a_240101_000001_1"]);
    assert_eq!(fake.fetched_requests(), Vec::<String>::new());
    assert!(fake
        .calls()
        .contains(&stats2::upstream::Call::DbsModifiedDatasets {
            min_ldate: T0 - 300
        }));
    assert_eq!(history_len(&store, "wf_a_240101_000001_1"), 2);
    assert_eq!(history_len(&store, "wf_b_240102_000002_2"), 1);

    // Shared dataset grew without DBS reporting it; a ReqMgr2 change of wf_a recounts wf_b too.
    fake.grow_dataset("/Shared/x-v1/GEN-SIM", 7, 0, 0);
    fake.set_request_field("wf_a_240101_000001_1", "RequestPriority", json!(5));
    let pass = run_pass(&store, &fake, &options(T0 + 2000)).unwrap();
    assert_eq!(
        sorted(pass.appended),
        ["wf_a_240101_000001_1", "wf_b_240102_000002_2"]
    );

    // WMStats-active workflows are recounted; an unstored one is skipped without error.
    fake.grow_dataset("/B/own-v1/AODSIM", 1, 0, 0);
    fake.set_wmstats_active(&["wf_b_240102_000002_2", "never_stored_240101_000000_0"]);
    let pass = run_pass(&store, &fake, &options(T0 + 3000)).unwrap();
    assert_eq!(pass.appended, ["wf_b_240102_000002_2"]);
    assert!(pass.failed_workflows.is_empty());
}

#[test]
fn changes_feed_deletes_ignores_design_docs_and_updates() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    assert_eq!(
        index_lookup(&store, Index::Campaign, "Run2024F").unwrap(),
        [RERECO]
    );
    fake.delete_request(RERECO);
    fake.delete_request("some_old_workflow_name");
    let pass = run_pass(&store, &fake, &options(T0 + 10)).unwrap();
    assert_eq!(pass.deleted, [RERECO]);
    assert!(load_doc(&store, RERECO).unwrap().is_none());
    for index in Index::ALL {
        for key in store
            .get_keys()
            .unwrap()
            .iter()
            .filter(|k| k.starts_with(&format!("stats2/idx/{}/", index.name())))
        {
            let names = String::from_utf8(store.get(key).unwrap().unwrap()).unwrap();
            assert!(
                !names.contains(RERECO),
                "{key} still lists the deleted workflow"
            );
        }
    }
    let all = stats2::index_lists::names(&store, stats2::keys::ALL_WORKFLOWS).unwrap();
    assert_eq!(all.len(), 3);
    assert!(!all.contains(&RERECO.to_owned()));
    assert!(pass.failed_workflows.is_empty());
}

#[test]
fn failed_workflows_are_retried_until_update_and_recount_both_succeed() {
    let (store, fake) = (MemoryStore::new(), world());
    fake.fail(
        CallKind::RequestDoc,
        Some(TASKCHAIN),
        1,
        UpstreamError::Timeout,
    );
    fake.fail(
        CallKind::DbsFileSummaries,
        Some("/A/own-v1/AODSIM"),
        1,
        UpstreamError::Status(502),
    );
    let first = run_pass(&store, &fake, &options(T0)).unwrap();
    assert_eq!(
        first.failed_workflows,
        sorted(vec![
            TASKCHAIN.to_owned(),
            "wf_a_240101_000001_1".to_owned()
        ])
    );
    assert!(
        load_doc(&store, TASKCHAIN).unwrap().is_none(),
        "an unstored failed workflow did not abort the pass"
    );
    assert_eq!(
        load_settings(&store).unwrap().failed_workflows,
        first.failed_workflows
    );

    // Its metadata update fails again while the recount of the stored copy would succeed: it stays failed.
    fake.clear_calls();
    fake.fail(
        CallKind::RequestDoc,
        Some("wf_a_240101_000001_1"),
        1,
        UpstreamError::Status(500),
    );
    let second = run_pass(&store, &fake, &options(T0 + 10)).unwrap();
    assert_eq!(
        sorted(fake.fetched_requests()),
        sorted(vec![
            TASKCHAIN.to_owned(),
            "wf_a_240101_000001_1".to_owned()
        ])
    );
    assert_eq!(second.failed_workflows, ["wf_a_240101_000001_1"]);
    assert!(load_doc(&store, TASKCHAIN).unwrap().is_some());

    fake.clear_calls();
    let third = run_pass(&store, &fake, &options(T0 + 20)).unwrap();
    assert_eq!(fake.fetched_requests(), ["wf_a_240101_000001_1"]);
    assert!(third.failed_workflows.is_empty());
    let fourth_calls = {
        fake.clear_calls();
        run_pass(&store, &fake, &options(T0 + 30)).unwrap();
        fake.fetched_requests()
    };
    assert!(fourth_calls.is_empty(), "no longer retried");
}

#[test]
fn a_failed_changes_feed_or_dbs_call_saves_nothing_and_the_next_pass_resumes() {
    let (store, fake) = (MemoryStore::new(), world());
    fake.fail(CallKind::Changes, None, 1, UpstreamError::Status(503));
    assert!(run_pass(&store, &fake, &options(T0)).is_err());
    assert_eq!(load_settings(&store).unwrap().last_reqmgr_sequence, "0");
    assert_eq!(load_progress(&store).unwrap().unwrap().state, "failed");

    fake.clear_calls();
    let pass = run_pass(&store, &fake, &options(T0 + 5)).unwrap();
    assert_eq!(fake.fetched_requests().len(), 4);
    assert_eq!(pass.updated.len(), 4);
    let good = load_settings(&store).unwrap();
    assert_eq!(good.last_reqmgr_sequence, fake.last_seq());

    fake.set_request_field(TASKCHAIN, "RequestPriority", json!(1));
    fake.fail(
        CallKind::DbsModifiedDatasets,
        None,
        1,
        UpstreamError::Transport("reset".into()),
    );
    assert!(run_pass(&store, &fake, &options(T0 + 10)).is_err());
    assert_eq!(load_settings(&store).unwrap(), good, "nothing saved");
    fake.clear_calls();
    let retry = run_pass(&store, &fake, &options(T0 + 20)).unwrap();
    assert_eq!(
        fake.fetched_requests(),
        [TASKCHAIN],
        "resumed from the last good since"
    );
    assert!(
        retry.updated.is_empty(),
        "the document written by the failed pass is not rewritten"
    );
}

#[test]
fn a_broken_wmstats_answer_counts_as_no_active_workflows() {
    let (store, fake) = (MemoryStore::new(), world());
    fake.set_wmstats_body(Some(b"<html>500 Internal Server Error</html>"));
    let pass = run_pass(&store, &fake, &options(T0)).unwrap();
    assert!(pass.warnings.iter().any(|w| w.contains("wmstats")));
    assert_eq!(pass.updated.len(), 4);
    fake.fail(CallKind::WmstatsActive, None, 1, UpstreamError::Timeout);
    run_pass(&store, &fake, &options(T0 + 1)).unwrap();
}

/// Everything a pass leaves behind that must not depend on crashes: documents, settings and view results.
fn state_of(store: &MemoryStore) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for key in store.get_keys().unwrap() {
        if key.starts_with("stats2/doc/") || key == "stats2/settings" {
            out.push((
                key.clone(),
                serde_json::from_slice(&store.get(&key).unwrap().unwrap()).unwrap(),
            ));
        }
    }
    for (index, value) in [
        (Index::Campaign, "Shared"),
        (Index::Campaign, "Moved"),
        (Index::Campaign, "Run2024F"),
        (Index::OutputDataset, "/Shared/x-v1/GEN-SIM"),
    ] {
        let names: Vec<Value> = select(store, &Filter::By(index, value.into()), 0, 100)
            .unwrap()
            .into_iter()
            .map(|d| d["_id"].clone())
            .collect();
        out.push((format!("{index:?}={value}"), Value::Array(names)));
    }
    out
}

fn second_pass_changes(fake: &FakeCmsweb) {
    fake.set_request_field("wf_a_240101_000001_1", "Campaign", json!("Moved"));
    fake.delete_request(RERECO);
    fake.grow_dataset("/Shared/x-v1/GEN-SIM", 3, 0, T0 + 50);
    fake.put_request(
        "wf_c_240103_000003_3",
        json!({"RequestName": "wf_c_240103_000003_3", "RequestType": "ReReco", "PrepID": "ReReco-c",
        "Campaign": "Shared", "OutputDatasets": ["/Shared/x-v1/GEN-SIM"]}),
    );
}

#[test]
fn a_crash_anywhere_in_a_pass_then_a_restart_loses_and_duplicates_nothing() {
    let reference = {
        let (store, fake) = (MemoryStore::new(), world());
        run_pass(&store, &fake, &options(T0)).unwrap();
        second_pass_changes(&fake);
        run_pass(&store, &fake, &options(T0 + 100)).unwrap();
        state_of(&store)
    };
    let mut crash_points = 0;
    for budget in 0.. {
        let (store, fake) = (MemoryStore::new(), world());
        run_pass(&store, &fake, &options(T0)).unwrap();
        second_pass_changes(&fake);
        let crashed = run_pass(
            &CrashingStore::new(&store, budget),
            &fake,
            &options(T0 + 100),
        );
        if crashed.is_ok() {
            break;
        }
        crash_points += 1;
        run_pass(&store, &fake, &options(T0 + 100)).unwrap();
        assert_eq!(
            state_of(&store),
            reference,
            "restart after a crash at write {budget}"
        );
    }
    assert!(
        crash_points > 10,
        "the second pass should have many writes, saw {crash_points}"
    );
}

#[test]
fn callbacks_are_queued_once_and_retried_with_backoff() {
    let (store, fake) = (MemoryStore::new(), world());
    let opts = PassOptions {
        now: T0,
        callback_targets: vec![Target::Prod],
    };
    let pass = run_pass(&store, &fake, &opts).unwrap();
    assert!(pass.notifications.contains(&Notification::ReReco {
        prepid: "ReReco-Run2024F-Muon0-ECAL_PFA_2024-00001".into()
    }));
    assert!(pass.notifications.contains(&Notification::Mcm {
        workflow: TASKCHAIN.into()
    }));
    let due = callbacks::due(&store, T0).unwrap();
    assert_eq!(
        due.len(),
        4,
        "one per written workflow, metadata and history writes merged: {due:?}"
    );
    run_pass(
        &store,
        &fake,
        &PassOptions {
            now: T0 + 1,
            ..opts.clone()
        },
    )
    .unwrap();
    assert_eq!(
        callbacks::due(&store, T0 + 1).unwrap().len(),
        4,
        "a quiet pass queues nothing new"
    );

    let first = &due[0];
    assert_eq!(
        callbacks::record_attempt(&store, first, false, T0, &Default::default()).unwrap(),
        Outcome::RetryAt(T0 + 120)
    );
    assert_eq!(
        callbacks::due(&store, T0 + 60).unwrap().len(),
        3,
        "backing off"
    );
    for attempt in 1..callbacks::MAX_ATTEMPTS - 1 {
        assert!(
            matches!(
                callbacks::record_attempt(&store, first, false, T0, &Default::default()).unwrap(),
                Outcome::RetryAt(_)
            ),
            "{attempt}"
        );
    }
    assert_eq!(
        callbacks::record_attempt(&store, first, false, T0, &Default::default()).unwrap(),
        Outcome::Dropped
    );
    assert_eq!(
        callbacks::record_attempt(&store, &due[1], true, T0, &Default::default()).unwrap(),
        Outcome::Removed
    );
    assert_eq!(callbacks::due(&store, i64::MAX).unwrap().len(), 2);
}

#[test]
fn queued_update_requests_run_once_and_leave_the_settings_alone() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    let settings = load_settings(&store).unwrap();
    fake.grow_dataset("/B/own-v1/AODSIM", 1, 0, 0);
    fake.set_request_field("wf_b_240102_000002_2", "RequestPriority", json!(7));
    assert!(request_update(&store, "wf_b_240102_000002_2").unwrap());
    assert!(
        !request_update(&store, "wf_b_240102_000002_2").unwrap(),
        "already queued"
    );
    assert!(request_update(&store, "bad\nname").is_err());
    fake.clear_calls();
    let opts = PassOptions {
        now: T0 + 5,
        callback_targets: vec![Target::Dev],
    };
    let results = process_update_requests(&store, &fake, &opts).unwrap();
    assert_eq!(results.len(), 1);
    let report = results[0].1.clone().unwrap();
    assert!(report.updated && report.appended);
    assert_eq!(fake.fetched_requests(), ["wf_b_240102_000002_2"]);
    assert_eq!(
        load_doc(&store, "wf_b_240102_000002_2")
            .unwrap()
            .unwrap()
            .doc["RequestPriority"],
        json!(7)
    );
    assert_eq!(load_settings(&store).unwrap(), settings);
    assert_eq!(callbacks::due(&store, T0 + 5).unwrap().len(), 1);
    assert!(
        process_update_requests(&store, &fake, &opts)
            .unwrap()
            .is_empty(),
        "the queue is drained"
    );
}

#[test]
fn ids_that_cannot_be_keys_are_logged_not_retried_forever() {
    let (store, fake) = (MemoryStore::new(), world());
    fake.put_request("bad\u{7}id", json!({"RequestName": "bad\u{7}id"}));
    let pass = run_pass(&store, &fake, &options(T0)).unwrap();
    assert!(pass.failed_workflows.is_empty());
    assert!(pass
        .warnings
        .iter()
        .any(|w| w.contains("invalid workflow id")));
    assert!(!fake.fetched_requests().iter().any(|n| n.starts_with("bad")));
}

#[test]
fn a_corrupt_stored_document_is_replaced_and_hidden_from_views() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    store
        .set(&format!("stats2/doc/{RERECO}"), b"{not json")
        .unwrap();
    let by_campaign = select(
        &store,
        &Filter::By(Index::Campaign, "Shared".into()),
        0,
        100,
    )
    .unwrap();
    assert_eq!(by_campaign.len(), 2);
    assert!(
        select(&store, &Filter::All, 0, 100).unwrap().len() == 3,
        "the corrupt one is left out"
    );
    fake.touch_request(RERECO);
    let pass = run_pass(&store, &fake, &options(T0 + 10)).unwrap();
    assert!(pass.failed_workflows.is_empty(), "{:?}", pass.warnings);
    assert_eq!(history_len(&store, RERECO), 1, "rebuilt and recounted");
}

#[test]
fn the_first_pass_does_not_ask_dbs_for_its_whole_catalogue() {
    let (store, fake) = (MemoryStore::new(), world());
    run_pass(&store, &fake, &options(T0)).unwrap();
    assert_eq!(fake.count(CallKind::DbsModifiedDatasets), 0);
    run_pass(&store, &fake, &options(T0 + 10)).unwrap();
    assert_eq!(fake.count(CallKind::DbsModifiedDatasets), 1);
}
