//! A scriptable stand-in for fff_dqmtools behind the CMSWEB proxy, for tests and the bench:
//! it answers the sync protocol from the documents it is given (with the server's chunking and its
//! set semantics for `request_documents`), can fail or time out per host, and counts every request.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::grabber::{SyncTransport, TransportError};
use crate::protocol;
use crate::Db;

/// fff_web's chunk size for `update_headers`.
pub const HEADERS_PER_MESSAGE: usize = 1000;

#[derive(Debug, Default)]
struct FakeHost {
    /// rev → (header, document); a re-sent header moves its document to the new revision.
    by_rev: BTreeMap<i64, (Value, Value)>,
    rev_of_id: HashMap<String, i64>,
    failure: Option<TransportError>,
}

/// What the fake saw, per host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    /// The `known_rev` of every `sync_request`, in order.
    pub known_revs: Vec<i64>,
    pub document_calls: usize,
    /// Every id asked for, in order.
    pub ids: Vec<String>,
}

#[derive(Debug, Default)]
struct State {
    hosts: HashMap<String, FakeHost>,
    requests: HashMap<String, Requests>,
    cluster: HashMap<&'static str, Result<String, TransportError>>,
}

#[derive(Debug, Default)]
pub struct FakeFff {
    state: Mutex<State>,
}

impl FakeFff {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }

    /// Publishes (or re-publishes, under a new `_rev`) a document; the header is derived from it
    /// as fff_dqmtools does (`_id`, `_rev`, `timestamp`, `type`, `hostname`, `tag`, `run`).
    pub fn publish(&self, host: &str, document: Value) {
        let header = json!({
            "_id": document["_id"], "_rev": document["_rev"], "timestamp": document["timestamp"],
            "type": document["type"], "hostname": document["hostname"], "tag": document["tag"], "run": document["run"],
        });
        self.publish_with_header(host, header, document);
    }

    pub fn publish_with_header(&self, host: &str, header: Value, document: Value) {
        let id = header["_id"].as_str().unwrap_or_default().to_owned();
        let rev = header["_rev"].as_i64().unwrap_or_default();
        self.with(|s| {
            let h = s.hosts.entry(host.to_owned()).or_default();
            if let Some(old) = h.rev_of_id.insert(id, rev) {
                h.by_rev.remove(&old);
            }
            h.by_rev.insert(rev, (header, document));
        });
    }

    /// Makes every call for `host` fail with `error` (`None` heals it).
    pub fn set_failure(&self, host: &str, error: Option<TransportError>) {
        self.with(|s| s.hosts.entry(host.to_owned()).or_default().failure = error);
    }

    pub fn set_cluster_status(&self, db: Db, answer: Result<String, TransportError>) {
        self.with(|s| s.cluster.insert(db.name(), answer));
    }

    pub fn requests(&self, host: &str) -> Requests {
        self.with(|s| s.requests.get(host).cloned().unwrap_or_default())
    }

    fn answer_sync(host: &mut FakeHost, known_rev: i64) -> String {
        // fff_web sends every header with rev > known_rev - 1, so the known one comes again.
        let headers: Vec<(i64, &Value)> = host
            .by_rev
            .range(known_rev..)
            .map(|(rev, (h, _))| (*rev, h))
            .collect();
        let Some(&(sync_to_rev, _)) = headers.last() else {
            return json!({"messages": []}).to_string();
        };
        let total = headers.len();
        let mut sent = 0;
        let messages: Vec<String> = headers
            .chunks(HEADERS_PER_MESSAGE)
            .map(|chunk| {
                sent += chunk.len();
                json!({
                    "event": "update_headers", "rev": [chunk[0].0, chunk[chunk.len() - 1].0], "sync_to_rev": sync_to_rev,
                    "headers": chunk.iter().map(|(_, h)| *h).collect::<Vec<_>>(), "total_sent": sent, "total_avail": total,
                })
                .to_string()
            })
            .collect();
        json!({ "messages": messages }).to_string()
    }

    fn answer_documents(host: &FakeHost, ids: &[String]) -> String {
        // A set queried with IN (…): duplicates dropped, unknown ids left out, order not kept.
        let mut revs: Vec<i64> = ids
            .iter()
            .filter_map(|id| host.rev_of_id.get(id).copied())
            .collect();
        revs.sort_unstable_by(|a, b| b.cmp(a));
        revs.dedup();
        let docs: Vec<&Value> = revs
            .iter()
            .filter_map(|rev| host.by_rev.get(rev).map(|(_, d)| d))
            .collect();
        protocol::envelope(&json!({"event": "update_documents", "documents": docs}))
    }
}

impl SyncTransport for FakeFff {
    fn post_sync(&self, host: &str, body: &str) -> Result<String, TransportError> {
        let message = protocol::messages(body)
            .ok()
            .and_then(|m| m.into_iter().next())
            .ok_or_else(|| TransportError::Other("bad request envelope".into()))?;
        self.with(|s| {
            let requests = s.requests.entry(host.to_owned()).or_default();
            let fake = s.hosts.entry(host.to_owned()).or_default();
            match message["event"].as_str() {
                Some("sync_request") => {
                    let known: i64 = message["known_rev"]
                        .as_str()
                        .and_then(|k| k.parse().ok())
                        .unwrap_or(0);
                    requests.known_revs.push(known);
                    match &fake.failure {
                        Some(err) => Err(err.clone()),
                        None => Ok(Self::answer_sync(fake, known)),
                    }
                }
                Some("request_documents") => {
                    let ids: Vec<String> = message["ids"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect();
                    requests.document_calls += 1;
                    requests.ids.extend(ids.iter().cloned());
                    match &fake.failure {
                        Some(err) => Err(err.clone()),
                        None => Ok(Self::answer_documents(fake, &ids)),
                    }
                }
                _ => Err(TransportError::Status(400)),
            }
        })
    }

    fn cluster_status(&self, cluster: Db) -> Result<String, TransportError> {
        self.with(|s| {
            s.cluster
                .get(cluster.name())
                .cloned()
                .unwrap_or(Err(TransportError::Status(503)))
        })
    }
}
