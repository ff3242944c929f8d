//! The grabber against the scriptable fake fff_dqmtools: incremental syncs, chunking, batching,
//! re-sent headers, failing hosts and the status loop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{bu_document, fu_document, sanitizer};
use dqmsquare::fake::FakeFff;
use dqmsquare::grabber::{Grabber, GrabberConfig, HostOutcome, SyncTransport, TransportError};
use dqmsquare::store::Tables;
use dqmsquare::Db;
use kv_api::MemoryStore;
use serde_json::{json, Value};

const FU: &str = "dqmfu-c2b01-45-01";
const FU2: &str = "dqmfu-c2b02-45-01";
const BU: &str = "dqmrubu-c2a06-03-01";

fn config() -> GrabberConfig {
    GrabberConfig::new(Db::Playback, vec![BU.into(), FU.into(), FU2.into()])
}

fn synced(outcome: &HostOutcome) -> &dqmsquare::grabber::HostSync {
    match outcome {
        HostOutcome::Synced(s) => s,
        other => panic!("expected a sync, got {other:?}"),
    }
}

#[test]
fn incremental_sync_requests_only_new_revisions() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    for (i, tag) in [
        "ecalgpu_dqm_sourceclient-live",
        "hcalgpu_dqm_sourceclient-live",
    ]
    .iter()
    .enumerate()
    {
        fake.publish(
            FU,
            fu_document(FU, 358788, 100 + i as i64, i as u32, tag, json!(0), "ok\n"),
        );
    }
    fake.publish(BU, bu_document(BU, 358788, 50, "analyze_files"));
    fake.publish(BU, bu_document(BU, 358788, 51, "list_files"));
    let mut grabber = Grabber::start(&kv, &s, &fake, config()).unwrap();

    let first = grabber.info_cycle(0.0);
    assert_eq!(synced(&first[1].outcome).rows_stored, 2);
    assert_eq!(synced(&first[0].outcome).rows_stored, 1);
    assert_eq!(
        fake.requests(BU).ids,
        ["dqm-files-dqmrubu-c2a06-03-01-analyze_files-run358788"],
        "list_files is not fetched"
    );
    let tables = Tables::new(&kv, Db::Playback);
    assert_eq!(tables.cursor(FU).unwrap(), Some(101));
    assert_eq!(
        tables.cursor(BU).unwrap(),
        Some(51),
        "skipped BU headers still advance the cursor"
    );

    fake.publish(
        FU,
        fu_document(
            FU,
            358789,
            102,
            7,
            "csc_dqm_sourceclient-live",
            json!(null),
            "new\n",
        ),
    );
    grabber.info_cycle(5.0);
    let fu = fake.requests(FU);
    assert_eq!(fu.known_revs, [0, 101]);
    assert_eq!(
        fu.ids.len(),
        3,
        "only the new revision is fetched the second time"
    );
    assert_eq!(fake.requests(BU).known_revs, [0, 51]);
    assert_eq!(fake.requests(BU).document_calls, 1, "nothing new on the BU");
    assert_eq!(tables.info().unwrap(), (Some(358788), Some(358789)));
    assert_eq!(tables.graph(358788).unwrap().unwrap().rev, 50);
}

#[test]
fn every_chunk_is_consumed_and_documents_come_in_batches() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    for i in 0..2500 {
        fake.publish(
            FU,
            fu_document(
                FU,
                358000 + i / 100,
                1 + i,
                i as u32,
                "beam_dqm_sourceclient-live",
                json!(0),
                "x\n",
            ),
        );
    }
    let mut grabber = Grabber::start(
        &kv,
        &s,
        &fake,
        GrabberConfig::new(Db::Playback, vec![FU.into()]),
    )
    .unwrap();
    let report = grabber.info_cycle(0.0);
    let sync = synced(&report[0].outcome);
    assert_eq!(
        (sync.headers, sync.rows_stored, sync.cursor),
        (2500, 2500, 2500)
    );
    assert_eq!(fake.requests(FU).document_calls, 25, "batches of 100 ids");
    let tables = Tables::new(&kv, Db::Playback);
    assert_eq!(tables.run_numbers().unwrap().len(), 25);
    assert_eq!(tables.run_rows(358024).unwrap().len(), 100);
}

#[test]
fn a_re_sent_header_updates_the_row_in_place() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    fake.publish(
        FU,
        fu_document(
            FU,
            358788,
            10,
            1,
            "ecal_dqm_sourceclient-live",
            json!(null),
            "running\n",
        ),
    );
    fake.publish(
        FU,
        fu_document(
            FU,
            358788,
            11,
            2,
            "hcal_dqm_sourceclient-live",
            json!(null),
            "running\n",
        ),
    );
    let mut grabber = Grabber::start(&kv, &s, &fake, config()).unwrap();
    grabber.info_cycle(0.0);
    // The job ends: fff_dqmtools re-sends the same _id under a new revision.
    fake.publish(
        FU,
        fu_document(
            FU,
            358788,
            12,
            1,
            "ecal_dqm_sourceclient-live",
            json!(134),
            "crashed\n",
        ),
    );
    grabber.info_cycle(5.0);
    let tables = Tables::new(&kv, Db::Playback);
    let rows = tables.run_rows(358788).unwrap();
    assert_eq!(rows.len(), 2);
    let ecal = rows
        .iter()
        .find(|r| r.client.as_deref() == Some("ecal_dqm_sourceclient-live"))
        .unwrap();
    assert_eq!((ecal.exit_code, ecal.rev), (Some(134), Some(12)));
    assert_eq!(
        ecal.served_id,
        "dqm-source-state-run358788-hostdqmfu-c2b01-..-pid000001"
    );
    assert_eq!(
        tables.run_row(&ecal.id).unwrap().unwrap().stdlog_start[1],
        "crashed\n"
    );
    assert_eq!(fake.requests(FU).ids.len(), 3);
}

#[test]
fn a_failing_host_backs_off_without_stopping_the_others() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    fake.publish(
        FU,
        fu_document(FU, 1, 1, 1, "a_dqm_sourceclient-live", json!(0), "x\n"),
    );
    fake.publish(
        FU2,
        fu_document(FU2, 1, 1, 2, "b_dqm_sourceclient-live", json!(0), "x\n"),
    );
    fake.set_failure(BU, Some(TransportError::Timeout));
    fake.set_failure(FU, Some(TransportError::Status(302)));
    let mut grabber = Grabber::start(&kv, &s, &fake, config()).unwrap();
    let report = grabber.info_cycle(0.0);
    assert!(matches!(report[0].outcome, HostOutcome::Failed(_)));
    assert!(matches!(report[1].outcome, HostOutcome::Failed(_)));
    assert_eq!(synced(&report[2].outcome).rows_stored, 1);
    assert!(report[0].log_line(&s).contains("timed out") && !report[0].log_line(&s).contains(BU));

    // Within the back-off the failing hosts are not asked again; afterwards they are.
    let report = grabber.info_cycle(1.0);
    assert!(matches!(report[1].outcome, HostOutcome::BackingOff));
    assert_eq!(fake.requests(FU).known_revs.len(), 1);
    fake.set_failure(FU, None);
    let report = grabber.info_cycle(6.0);
    assert_eq!(synced(&report[1].outcome).rows_stored, 1);
    assert!(
        matches!(report[0].outcome, HostOutcome::Failed(_)),
        "still timing out"
    );
    let report = grabber.info_cycle(12.0);
    assert!(
        matches!(report[0].outcome, HostOutcome::BackingOff),
        "the back-off doubles: 10 s after the second failure"
    );
}

/// Fails every `request_documents` after the first `ok` ones.
struct FlakyDocuments<'a> {
    inner: &'a FakeFff,
    ok: AtomicUsize,
}

impl SyncTransport for FlakyDocuments<'_> {
    fn post_sync(&self, host: &str, body: &str) -> Result<String, TransportError> {
        let spent = |ok: usize| ok.checked_sub(1);
        if body.contains("request_documents")
            && self
                .ok
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, spent)
                .is_err()
        {
            return Err(TransportError::Other("connection reset".into()));
        }
        self.inner.post_sync(host, body)
    }
    fn cluster_status(&self, cluster: Db) -> Result<String, TransportError> {
        self.inner.cluster_status(cluster)
    }
}

#[test]
fn the_cursor_advances_only_over_completely_stored_chunks() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    for i in 0..1500 {
        fake.publish(
            FU,
            fu_document(
                FU,
                5,
                1 + i,
                i as u32,
                "a_dqm_sourceclient-live",
                json!(0),
                "x\n",
            ),
        );
    }
    // 10 batches of chunk 1 succeed, then the first batch of chunk 2 fails.
    let flaky = FlakyDocuments {
        inner: &fake,
        ok: AtomicUsize::new(10),
    };
    let mut grabber = Grabber::start(
        &kv,
        &s,
        &flaky,
        GrabberConfig::new(Db::Playback, vec![FU.into()]),
    )
    .unwrap();
    assert!(matches!(
        grabber.info_cycle(0.0)[0].outcome,
        HostOutcome::Failed(_)
    ));
    let tables = Tables::new(&kv, Db::Playback);
    assert_eq!(tables.cursor(FU).unwrap(), Some(1000));
    flaky.ok.store(usize::MAX, Ordering::SeqCst);
    let report = grabber.info_cycle(100.0);
    assert_eq!(
        synced(&report[0].outcome).documents_requested,
        500,
        "resumes after the stored chunk"
    );
    assert_eq!(tables.cursor(FU).unwrap(), Some(1500));
}

#[test]
fn unknown_ids_in_a_batch_are_matched_by_id() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    let doc = fu_document(FU, 7, 3, 1, "a_dqm_sourceclient-live", json!(0), "x\n");
    let mut header = json!({"_id": "dqm-source-state-gone", "_rev": 2, "hostname": FU, "tag": "t", "run": 7, "timestamp": 1.0});
    fake.publish_with_header(FU, header.take(), json!({"_id": "not-this-one"}));
    fake.publish(FU, doc);
    let mut grabber = Grabber::start(
        &kv,
        &s,
        &fake,
        GrabberConfig::new(Db::Playback, vec![FU.into()]),
    )
    .unwrap();
    let report = grabber.info_cycle(0.0);
    let sync = synced(&report[0].outcome);
    assert_eq!((sync.rows_stored, sync.documents_missing), (1, 1));
    assert_eq!(
        Tables::new(&kv, Db::Playback).run_rows(7).unwrap()[0].exit_code,
        Some(0)
    );
}

#[test]
fn status_loop_keeps_the_latest_state_per_host() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    let grabber = Grabber::start(&kv, &s, &fake, config()).unwrap();
    fake.set_cluster_status(Db::Playback, Ok(json!({"dqmrubu-c2a06-03-01.cms": {"up": true, "msg": null}, "dqmfu-c2b01-45-01.cms": {"up": true, "msg": null}}).to_string()));
    assert_eq!(grabber.status_cycle(1000.0).unwrap(), 2);
    fake.set_cluster_status(Db::Playback, Ok(json!({"dqmrubu-c2a06-03-01.cms": {"up": false, "msg": "ConnectionRefusedError(111, 'Connection refused') from dqmrubu-c2a06-03-01.cms"}, "dqmfu-c2b01-45-01.cms": {"up": true, "msg": null}}).to_string()));
    assert_eq!(grabber.status_cycle(1030.0).unwrap(), 2);
    let latest = Tables::new(&kv, Db::Playback).latest_statuses().unwrap();
    assert_eq!(latest.len(), 2);
    let rubu = latest
        .iter()
        .find(|(h, _)| h.name == "dqmrubu-c2a06-03-01.cms")
        .unwrap();
    assert_eq!((rubu.1.is_up, rubu.1.created_at_us), (false, 1_030_000_000));
    assert_eq!(
        rubu.1.message.as_deref(),
        Some("ConnectionRefusedError(111, 'Connection refused') from dqmrubu-c2a06-..")
    );
    fake.set_cluster_status(Db::Playback, Ok("<html>login</html>".into()));
    assert!(
        grabber.status_cycle(1060.0).is_err(),
        "a non-JSON answer is an error for that cycle"
    );
    fake.set_cluster_status(Db::Playback, Err(TransportError::Status(500)));
    assert!(grabber.status_cycle(1090.0).is_err());
}

#[test]
fn documents_map_with_the_section_4_rules() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    fake.publish(
        FU,
        fu_document(
            FU,
            358788,
            9,
            39363,
            "ecalgpu_dqm_sourceclient-live",
            json!(0),
            "x\n",
        ),
    );
    let mut grabber = Grabber::start(&kv, &s, &fake, config()).unwrap();
    grabber.info_cycle(0.0);
    let row = Tables::new(&kv, Db::Playback)
        .run_row("dqm-source-state-run358788-hostdqmfu-c2b01-45-01-pid039363")
        .unwrap()
        .unwrap();
    assert_eq!(row.client.as_deref(), Some("ecalgpu_dqm_sourceclient-live"));
    assert_eq!(row.client_path.as_deref(), Some("12_4_8_1"));
    assert_eq!(row.runkey.as_deref(), Some("cosmic_run"));
    assert_eq!(row.vmrss.as_deref(), Some("362744 kB"));
    assert_eq!(
        (row.run, row.rev, row.exit_code, row.events_rate),
        (Some(358788), Some(9), Some(0), Some(1.5))
    );
    assert_eq!(row.timestamp_us, Some(1_663_242_351_450_000));
    assert_eq!(
        row.hostname.as_deref(),
        Some(FU),
        "the raw host is kept for revision tracking"
    );
}

#[test]
fn a_scraped_job_maps_onto_the_same_row_as_its_document() {
    use dqmsquare::mapping::{fill_runs, ScrapedJob};
    let s = sanitizer();
    let doc = json!({
        "_id": "dqm-source-state-run358788-hostfu-c2f11-11-01-pid039363", "_rev": 5, "hostname": "fu-c2f11-11-01",
        "tag": "ecalgpu_dqm_sourceclient-live", "run": 358788, "timestamp": 1663242342.45, "exit_code": 0,
        "cmssw_lumi": 12, "events_total": 400, "extra": {"ps_info": {"VmRSS": "362744 kB"}, "stdlog_start": ["a\n"], "stdlog_end": ["b\n"]},
    });
    let header = json!({"_id": doc["_id"], "_rev": 5, "hostname": doc["hostname"], "tag": doc["tag"], "run": 358788, "timestamp": 1663242342.45});
    let grabbed_kv = MemoryStore::new();
    let grabbed = Tables::new(&grabbed_kv, Db::Production);
    fill_runs(&grabbed, &s, &[(&header, &doc)]).unwrap();

    let job = ScrapedJob {
        run: 358788,
        hostname: "fu-c2f11-11-01".into(),
        pid: 39363,
        state: "0".into(),
        tag: "ecalgpu_dqm_sourceclient-live".into(),
        timestamp_s: Some(1663242342.45),
        lumi: Some(12),
        vmrss: Some("362744 kB".into()),
        events_total: Some(400),
        log_start: vec!["a\n".into()],
        log_end: vec!["b\n".into()],
    };
    let (h, d) = job.as_header_and_document();
    let robbed_kv = MemoryStore::new();
    let robbed = Tables::new(&robbed_kv, Db::Production);
    fill_runs(&robbed, &s, &[(&h, &d)]).unwrap();
    let (mut a, b) = (
        grabbed.run_rows(358788).unwrap(),
        robbed.run_rows(358788).unwrap(),
    );
    // The page shows no revision, events rate, CMSSW run or path; everything else is the same row.
    a[0].rev = Some(-1);
    a[0].events_rate = b[0].events_rate;
    a[0].cmssw_run = b[0].cmssw_run;
    a[0].client_path = b[0].client_path.clone();
    a[0].runkey = b[0].runkey.clone();
    a[0].fi_state = b[0].fi_state.clone();
    assert_eq!(a, b);
    let running = ScrapedJob {
        state: "R".into(),
        ..job
    };
    assert_eq!(
        running.as_header_and_document().1.get("exit_code"),
        Some(&Value::Null),
        "running reads as null, as fff_dqmtools sends it"
    );
}

/// Holds the first host's sync until another host's documents were asked for (or gives up after 20 s and
/// fails it): it can only succeed when the hosts of a cycle sync side by side.
struct WaitsForTheOthers<'a> {
    inner: &'a FakeFff,
    others_fetched: std::sync::Mutex<bool>,
    fetched: std::sync::Condvar,
}

impl SyncTransport for WaitsForTheOthers<'_> {
    fn post_sync(&self, host: &str, body: &str) -> Result<String, TransportError> {
        let mut fetched = self.others_fetched.lock().unwrap();
        if host == FU {
            let (fetched, wait) = self
                .fetched
                .wait_timeout_while(fetched, std::time::Duration::from_secs(20), |f| !*f)
                .unwrap();
            if wait.timed_out() && !*fetched {
                return Err(TransportError::Timeout);
            }
        } else if body.contains("request_documents") {
            *fetched = true;
            self.fetched.notify_all();
        }
        self.inner.post_sync(host, body)
    }
    fn cluster_status(&self, cluster: Db) -> Result<String, TransportError> {
        self.inner.cluster_status(cluster)
    }
}

#[test]
fn a_slow_host_does_not_hold_up_the_others() {
    let (kv, fake, s) = (MemoryStore::new(), FakeFff::new(), sanitizer());
    for (host, pid) in [(FU, 1u32), (FU2, 2)] {
        fake.publish(
            host,
            fu_document(
                host,
                7,
                10 + i64::from(pid),
                pid,
                "a_dqm_sourceclient-live",
                json!(0),
                "x\n",
            ),
        );
    }
    let transport = WaitsForTheOthers {
        inner: &fake,
        others_fetched: std::sync::Mutex::new(false),
        fetched: std::sync::Condvar::new(),
    };
    // FU comes first and waits for FU2: a sequential cycle would time it out.
    let config = GrabberConfig::new(Db::Playback, vec![FU.into(), FU2.into()]);
    let mut grabber = Grabber::start(&kv, &s, &transport, config).unwrap();
    let report = grabber.info_cycle(0.0);
    assert_eq!(
        report.iter().map(|r| r.host.as_str()).collect::<Vec<_>>(),
        [FU, FU2],
        "reports in host order"
    );
    assert_eq!(synced(&report[0].outcome).rows_stored, 1);
    assert_eq!(synced(&report[1].outcome).rows_stored, 1);
    assert_eq!(Tables::new(&kv, Db::Playback).run_rows(7).unwrap().len(), 2);
}
