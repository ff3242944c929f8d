//! A scriptable in-memory cmsweb (ReqMgr2, WMStats, DBS) behind [`Upstream`], for tests and benches.
//! It answers in the sample payload shapes, records every call, and can be told to fail or time out.

use crate::upstream::{Call, ParentMask, Upstream, UpstreamError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// The kind of a [`Call`], for scripting failures and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    Changes,
    RequestDoc,
    ParentLookup,
    WmstatsActive,
    DbsModifiedDatasets,
    DbsDatasetList,
    DbsFileSummaries,
    DbsFiles,
}

pub fn kind_of(call: &Call) -> CallKind {
    match call {
        Call::Changes { .. } => CallKind::Changes,
        Call::RequestDoc { .. } => CallKind::RequestDoc,
        Call::ParentLookup { .. } => CallKind::ParentLookup,
        Call::WmstatsActive => CallKind::WmstatsActive,
        Call::DbsModifiedDatasets { .. } => CallKind::DbsModifiedDatasets,
        Call::DbsDatasetList { .. } => CallKind::DbsDatasetList,
        Call::DbsFileSummaries { .. } => CallKind::DbsFileSummaries,
        Call::DbsFiles { .. } => CallKind::DbsFiles,
    }
}

/// The workflow or dataset a call is about, for targeted failures.
fn subject_of(call: &Call) -> Option<&str> {
    match call {
        Call::RequestDoc { name } => Some(name),
        Call::ParentLookup { prep_id, .. } => Some(prep_id),
        Call::DbsFileSummaries { dataset, .. } | Call::DbsFiles { dataset, .. } => Some(dataset),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDataset {
    pub access_type: String,
    pub events: i64,
    pub size: i64,
    pub lumis: i64,
    /// UNIX time of the last modification (for `datasets?min_ldate=`).
    pub modified: i64,
}

struct Failure {
    kind: CallKind,
    subject: Option<String>,
    remaining: u32,
    error: UpstreamError,
}

#[derive(Default)]
struct State {
    seq: u64,
    /// Latest change per id: (sequence number, deleted).
    changes: HashMap<String, (u64, bool)>,
    requests: BTreeMap<String, Value>,
    datasets: BTreeMap<String, FakeDataset>,
    run_events: HashMap<(String, String), i64>,
    parents: HashMap<String, Vec<(String, String, Value, Value)>>,
    wmstats: Vec<String>,
    wmstats_body: Option<Vec<u8>>,
    failures: Vec<Failure>,
    calls: Vec<Call>,
    /// Sizes of the `fetch_many` batches asked for.
    batches: Vec<usize>,
}

#[derive(Default)]
pub struct FakeCmsweb {
    state: Mutex<State>,
}

fn seq_text(n: u64) -> String {
    format!("{n}-g1AAAAF{n:08x}")
}

impl FakeCmsweb {
    pub fn new() -> Self {
        let fake = FakeCmsweb::default();
        // CouchDB lists its design document in the feed; Stats2 must drop it.
        fake.lock().record_change("_design/ReqMgr", false);
        fake
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds or replaces a ReqMgr2 request (a new workflow or a status change) and records a change.
    pub fn put_request(&self, name: &str, doc: Value) {
        let mut state = self.lock();
        state.requests.insert(name.to_owned(), doc);
        state.record_change(name, false);
    }

    /// Changes one top-level field of a stored request and records a change.
    pub fn set_request_field(&self, name: &str, field: &str, value: Value) {
        let mut state = self.lock();
        if let Some(doc) = state.requests.get_mut(name).and_then(Value::as_object_mut) {
            doc.insert(field.to_owned(), value);
        }
        state.record_change(name, false);
    }

    /// Records a change for a request without altering it (CouchDB does this on any rev bump).
    pub fn touch_request(&self, name: &str) {
        self.lock().record_change(name, false);
    }

    pub fn delete_request(&self, name: &str) {
        let mut state = self.lock();
        state.requests.remove(name);
        state.record_change(name, true);
    }

    pub fn set_dataset(&self, name: &str, dataset: FakeDataset) {
        self.lock().datasets.insert(name.to_owned(), dataset);
    }

    /// Event growth: adds events (and lumis) to a dataset and marks it modified at `now`.
    pub fn grow_dataset(&self, name: &str, events: i64, lumis: i64, now: i64) {
        if let Some(d) = self.lock().datasets.get_mut(name) {
            d.events += events;
            d.lumis += lumis;
            d.modified = now;
        }
    }

    pub fn set_run_events(&self, dataset: &str, run: &str, events: i64) {
        self.lock()
            .run_events
            .insert((dataset.to_owned(), run.to_owned()), events);
    }

    /// Entries of a by-PrepID lookup in order: `(name, RequestType, TotalInputEvents, TotalInputLumis)`.
    pub fn set_parents(&self, prep_id: &str, entries: Vec<(&str, &str, Value, Value)>) {
        let entries = entries
            .into_iter()
            .map(|(n, t, e, l)| (n.to_owned(), t.to_owned(), e, l))
            .collect();
        self.lock().parents.insert(prep_id.to_owned(), entries);
    }

    pub fn set_wmstats_active(&self, names: &[&str]) {
        self.lock().wmstats = names.iter().map(|n| (*n).to_owned()).collect();
    }

    /// Makes WMStats answer with this raw body (e.g. an HTML error page).
    pub fn set_wmstats_body(&self, body: Option<&[u8]>) {
        self.lock().wmstats_body = body.map(<[u8]>::to_vec);
    }

    /// The next `times` calls of `kind` (about `subject`, if given) fail with `error`.
    pub fn fail(&self, kind: CallKind, subject: Option<&str>, times: u32, error: UpstreamError) {
        self.lock().failures.push(Failure {
            kind,
            subject: subject.map(str::to_owned),
            remaining: times,
            error,
        });
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn count(&self, kind: CallKind) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| kind_of(c) == kind)
            .count()
    }

    /// Names of the request documents fetched, in call order.
    pub fn fetched_requests(&self) -> Vec<String> {
        let state = self.lock();
        state
            .calls
            .iter()
            .filter_map(|c| {
                if let Call::RequestDoc { name } = c {
                    Some(name.clone())
                } else {
                    None
                }
            })
            .collect()
    }

    /// Sizes of the `fetch_many` batches since the last [`FakeCmsweb::clear_calls`].
    pub fn batches(&self) -> Vec<usize> {
        self.lock().batches.clone()
    }

    pub fn clear_calls(&self) {
        let mut state = self.lock();
        state.calls.clear();
        state.batches.clear();
    }

    pub fn last_seq(&self) -> String {
        seq_text(self.lock().seq)
    }
}

impl State {
    fn record_change(&mut self, id: &str, deleted: bool) {
        self.seq += 1;
        self.changes.insert(id.to_owned(), (self.seq, deleted));
    }

    fn answer(&self, call: &Call) -> Result<String, UpstreamError> {
        match call {
            Call::Changes { since } => {
                let since: u64 = since.split('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let mut rows: Vec<(&String, &(u64, bool))> = self.changes.iter().filter(|(_, (s, _))| *s > since).collect();
                rows.sort_by_key(|(_, (s, _))| *s);
                let results: Vec<Value> = rows
                    .into_iter()
                    .map(|(id, (s, deleted))| {
                        let mut row = json!({"seq": seq_text(*s), "id": id, "changes": [{"rev": format!("{s}-abc")}]});
                        if *deleted {
                            row["deleted"] = json!(true);
                        }
                        row
                    })
                    .collect();
                Ok(json!({"results": results, "last_seq": seq_text(self.seq), "pending": 0}).to_string())
            }
            Call::RequestDoc { name } => self.requests.get(name).map(Value::to_string).ok_or(UpstreamError::Status(404)),
            Call::ParentLookup { prep_id, mask } => {
                // Written by hand to keep the entry order (serde_json's map sorts keys).
                let entries: Vec<String> = self
                    .parents
                    .get(prep_id)
                    .into_iter()
                    .flatten()
                    .map(|(name, kind, events, lumis)| {
                        let figure = if *mask == ParentMask::TotalInputEvents { events } else { lumis };
                        format!("{}: {}", json!(name), json!({"RequestType": kind, mask.field(): figure}))
                    })
                    .collect();
                Ok(format!("{{\"result\": [{{{}}}]}}", entries.join(", ")))
            }
            Call::WmstatsActive => {
                if let Some(body) = &self.wmstats_body {
                    return Ok(String::from_utf8_lossy(body).into_owned());
                }
                let rows: Vec<Value> = self.wmstats.iter().map(|n| json!({"RequestName": n})).collect();
                Ok(json!({ "result": rows }).to_string())
            }
            Call::DbsModifiedDatasets { min_ldate } => {
                let rows: Vec<Value> =
                    self.datasets.iter().filter(|(_, d)| d.modified >= *min_ldate).map(|(n, _)| json!({"dataset": n})).collect();
                Ok(Value::Array(rows).to_string())
            }
            Call::DbsDatasetList { datasets } => {
                let rows: Vec<Value> = datasets
                    .iter()
                    .filter_map(|n| self.datasets.get(n).map(|d| (n, d)))
                    .map(|(n, d)| json!({"dataset": n, "dataset_access_type": d.access_type, "data_tier_name": n.rsplit('/').next(), "dataset_id": 1}))
                    .collect();
                Ok(Value::Array(rows).to_string())
            }
            Call::DbsFileSummaries { dataset, .. } => Ok(match self.datasets.get(dataset) {
                Some(d) => json!([{"file_size": d.size, "nblocks": 1, "num_event": d.events, "num_file": 3, "num_lumi": d.lumis}]),
                None => json!([]),
            }
            .to_string()),
            Call::DbsFiles { dataset, run, .. } => {
                let events = self.run_events.get(&(dataset.clone(), run.clone())).copied().unwrap_or(0);
                // Two files per run, to exercise the sum.
                let half = events / 2;
                Ok(json!([{"logical_file_name": "/store/a.root", "event_count": half},
                          {"logical_file_name": "/store/b.root", "event_count": events - half}])
                .to_string())
            }
        }
    }
}

impl Upstream for FakeCmsweb {
    fn fetch_many(&self, calls: &[Call]) -> Vec<Result<Vec<u8>, UpstreamError>> {
        self.lock().batches.push(calls.len());
        calls.iter().map(|call| self.fetch(call)).collect()
    }

    fn fetch(&self, call: &Call) -> Result<Vec<u8>, UpstreamError> {
        let mut state = self.lock();
        state.calls.push(call.clone());
        let kind = kind_of(call);
        let subject = subject_of(call);
        if let Some(failure) = state.failures.iter_mut().find(|f| {
            f.remaining > 0
                && f.kind == kind
                && (f.subject.is_none() || f.subject.as_deref() == subject)
        }) {
            failure.remaining -= 1;
            return Err(failure.error.clone());
        }
        state.answer(call).map(String::into_bytes)
    }
}

/// A synthetic MC TaskChain request numbered `i`, in one of `campaigns` campaigns, with two output datasets.
pub fn synthetic_request(i: usize, campaigns: usize) -> (String, Value) {
    let campaign = format!("Camp{:03}", i % campaigns.max(1));
    let prep_id = format!("PPD-{campaign}-{i:05}");
    let day = 1 + i % 28;
    let name = format!(
        "pdmvserv_task_{prep_id}__v1_T_2401{day:02}_{:06}_{:04}",
        i % 240000,
        i % 10000
    );
    let outputs = synthetic_outputs(i, campaigns);
    let doc = json!({
        "_id": name, "RequestName": name, "RequestType": "TaskChain", "RequestStatus": "running-open",
        "PrepID": format!("task_{prep_id}"), "Campaign": campaign, "CMSSWVersion": "CMSSW_14_0_0",
        "RequestPriority": 90000, "RequestNumEvents": null, "TotalInputFiles": 0, "TotalInputLumis": 0,
        "SizePerEvent": 100.0, "TimePerEvent": 10.0, "OutputDatasets": outputs,
        "ProcessingString": {"t1": "140X_v1"},
        "RequestTransition": [{"Status": "new", "UpdateTime": 1704067200, "DN": "/CN=pdmvserv"}],
        "Task1": {"TaskName": "t1", "PrepID": prep_id, "Campaign": campaign, "ProcessingString": "140X_v1",
                  "RequestNumEvents": 100000 + i, "FilterEfficiency": 1.0},
        "Task2": {"TaskName": "t2", "PrepID": format!("{prep_id}-SIM"), "Campaign": format!("{campaign}SIM")},
    });
    (name, doc)
}

/// The output datasets of [`synthetic_request`] `i`.
pub fn synthetic_outputs(i: usize, campaigns: usize) -> Vec<String> {
    let campaign = format!("Camp{:03}", i % campaigns.max(1));
    vec![
        format!("/Prim{i:05}/{campaign}-140X_v1-v1/GEN-SIM"),
        format!("/Prim{i:05}/{campaign}-140X_v1-v1/AODSIM"),
    ]
}

/// A fake cmsweb with `n` synthetic workflows and their datasets (all modified at `now`).
pub fn synthetic_world(n: usize, campaigns: usize, now: i64) -> FakeCmsweb {
    let fake = FakeCmsweb::new();
    for i in 0..n {
        let (name, doc) = synthetic_request(i, campaigns);
        fake.put_request(&name, doc);
        for dataset in synthetic_outputs(i, campaigns) {
            let figures = FakeDataset {
                access_type: "PRODUCTION".into(),
                events: 1000,
                size: 1_000_000,
                lumis: 10,
                modified: now,
            };
            fake.set_dataset(&dataset, figures);
        }
    }
    fake
}
