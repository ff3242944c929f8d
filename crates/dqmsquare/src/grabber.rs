//! The grabber's info and status loops (spec §3.3) as pure logic over a [`SyncTransport`].
//!
//! Per host: an incremental `sync_request` from the host's cursor, every chunk consumed, the kept headers'
//! documents fetched in batches and matched back by `_id`. The cursor advances only once a chunk is
//! stored completely, so a failure mid-answer resumes there. A failing host backs off and never stops
//! the others. The scraper-host binary drives [`Grabber::info_cycle`] and [`Grabber::status_cycle`] on timers.

use std::collections::HashMap;
use std::fmt;

use dqmsquare_sanitize::Sanitizer;
use kv_api::{KvError, KvStore};
use serde_json::Value;

use crate::mapping::{fill_graph, fill_runs};
use crate::protocol;
use crate::store::Tables;
use crate::time::seconds_to_us;
use crate::Db;

/// What can go wrong talking to fff_dqmtools (through the CMSWEB proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No answer within the transport's timeout.
    Timeout,
    /// A non-200 status; a redirect (the proxy's answer to a bad secret) is an error too.
    Status(u16),
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout => f.write_str("timed out"),
            TransportError::Status(code) => write!(f, "HTTP status {code}"),
            TransportError::Other(text) => f.write_str(text),
        }
    }
}

/// The two upstream calls. The production implementation (scraper-host) speaks HTTPS with the robot
/// certificate and the secret cookie, verifies TLS and has a timeout on every call.
pub trait SyncTransport {
    /// POSTs a sync envelope for `host` (`/redirect?path=<host>&port=9215`, or `/sync_proxy` for the
    /// SERVER_FFF_MACHINE) and returns the answer body.
    fn post_sync(&self, host: &str, body: &str) -> Result<String, TransportError>;
    /// `GET /cr/exe?cluster=<db>&what=get_cluster_status`.
    fn cluster_status(&self, cluster: Db) -> Result<String, TransportError>;
}

#[derive(Debug)]
pub enum GrabError {
    Transport(TransportError),
    Protocol(String),
    Store(KvError),
}

impl fmt::Display for GrabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrabError::Transport(e) => write!(f, "transport: {e}"),
            GrabError::Protocol(e) => write!(f, "protocol: {e}"),
            GrabError::Store(e) => write!(f, "store: {e}"),
        }
    }
}

impl From<KvError> for GrabError {
    fn from(e: KvError) -> Self {
        GrabError::Store(e)
    }
}

#[derive(Debug, Clone)]
pub struct GrabberConfig {
    pub db: Db,
    /// `FFF_PLAYBACK_MACHINES` or `FFF_PRODUCTION_MACHINES`.
    pub hosts: Vec<String>,
    /// Ids per `request_documents` call (§3.3 Decision: ≤ 100).
    pub batch_size: usize,
    /// First back-off after a failure, doubled per further failure up to `max_backoff_s`.
    pub backoff_s: f64,
    pub max_backoff_s: f64,
}

impl GrabberConfig {
    pub fn new(db: Db, hosts: Vec<String>) -> Self {
        GrabberConfig {
            db,
            hosts,
            batch_size: 100,
            backoff_s: 5.0,
            max_backoff_s: 300.0,
        }
    }
}

/// What one host's sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSync {
    pub known_rev: i64,
    pub headers: usize,
    pub documents_requested: usize,
    pub rows_stored: usize,
    /// Kept headers whose document the server no longer has.
    pub documents_missing: usize,
    pub cursor: i64,
}

#[derive(Debug)]
pub enum HostOutcome {
    Synced(HostSync),
    Failed(GrabError),
    /// Skipped this cycle: still backing off after a failure.
    BackingOff,
}

#[derive(Debug)]
pub struct HostReport {
    pub host: String,
    pub outcome: HostOutcome,
}

impl HostReport {
    /// A log line with host names and secrets censored, like everything the mirror shows.
    pub fn log_line(&self, sanitizer: &Sanitizer) -> String {
        let text = match &self.outcome {
            HostOutcome::Synced(s) => format!(
                "{}: known_rev {} → {}, {} headers, {} documents requested, {} stored, {} missing",
                self.host,
                s.known_rev,
                s.cursor,
                s.headers,
                s.documents_requested,
                s.rows_stored,
                s.documents_missing
            ),
            HostOutcome::Failed(e) => format!("{}: failed: {e}", self.host),
            HostOutcome::BackingOff => format!("{}: backing off after a failure", self.host),
        };
        sanitizer.clean_text(&text)
    }
}

#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    retry_at_s: f64,
}

pub struct Grabber<'a, T: SyncTransport + Sync> {
    kv: &'a (dyn KvStore + Sync),
    sanitizer: &'a Sanitizer,
    transport: &'a T,
    config: GrabberConfig,
    backoff: HashMap<String, Backoff>,
}

/// BU hosts deliver files (`graphs`); everything else runs clients (`runs`).
pub fn is_bu_host(host: &str) -> bool {
    host.starts_with("bu") || host.starts_with("dqmrubu")
}

impl<'a, T: SyncTransport + Sync> Grabber<'a, T> {
    /// Starts a grabber for one mode; like the original, `meta` is recreated at start.
    pub fn start(
        kv: &'a (dyn KvStore + Sync),
        sanitizer: &'a Sanitizer,
        transport: &'a T,
        config: GrabberConfig,
    ) -> Result<Self, GrabError> {
        Tables::new(kv, config.db).rebuild_min_max()?;
        Ok(Grabber {
            kv,
            sanitizer,
            transport,
            config,
            backoff: HashMap::new(),
        })
    }

    fn tables(&self) -> Tables<'a> {
        Tables::new(self.kv, self.config.db)
    }

    /// One pass of the info loop: every host that is not backing off syncs on its own thread, so a slow or
    /// failing host neither stops nor delays the others. Reports come in the configured host order.
    pub fn info_cycle(&mut self, now_s: f64) -> Vec<HostReport> {
        let hosts = self.config.hosts.clone();
        let due = |host: &String| !self.backoff.get(host).is_some_and(|b| b.retry_at_s > now_s);
        let due: Vec<&String> = hosts.iter().filter(|h| due(h)).collect();
        let this = &*self;
        let mut results: HashMap<&String, Result<HostSync, GrabError>> =
            std::thread::scope(|scope| {
                let running: Vec<_> = due
                    .iter()
                    .map(|host| (*host, scope.spawn(move || this.sync_host(host))))
                    .collect();
                running
                    .into_iter()
                    .map(|(host, thread)| {
                        let result = thread.join().unwrap_or_else(|_| {
                            Err(GrabError::Protocol("the host's sync panicked".into()))
                        });
                        (host, result)
                    })
                    .collect()
            });
        hosts
            .iter()
            .map(|host| {
                let outcome = match results.remove(host) {
                    None => HostOutcome::BackingOff,
                    Some(Ok(sync)) => {
                        self.backoff.remove(host);
                        HostOutcome::Synced(sync)
                    }
                    Some(Err(err)) => {
                        let failures = self.backoff.get(host).map_or(1, |b| b.failures + 1);
                        let delay = (self.config.backoff_s * 2f64.powi(failures as i32 - 1))
                            .min(self.config.max_backoff_s);
                        self.backoff.insert(
                            host.clone(),
                            Backoff {
                                failures,
                                retry_at_s: now_s + delay,
                            },
                        );
                        HostOutcome::Failed(err)
                    }
                };
                HostReport {
                    host: host.clone(),
                    outcome,
                }
            })
            .collect()
    }

    /// The host's cursor: the stored one, else (first run after the original) its latest stored revision.
    pub fn known_rev(&self, host: &str) -> Result<i64, GrabError> {
        Ok(match self.tables().cursor(host)? {
            Some(rev) => rev,
            None => self.tables().latest_revision(host)?.unwrap_or(0),
        })
    }

    /// One incremental sync of one host.
    pub fn sync_host(&self, host: &str) -> Result<HostSync, GrabError> {
        let known_rev = self.known_rev(host)?;
        let answer = self
            .transport
            .post_sync(host, &protocol::sync_request(known_rev))
            .map_err(GrabError::Transport)?;
        let chunks = protocol::header_chunks(&answer).map_err(GrabError::Protocol)?;
        let mut sync = HostSync {
            known_rev,
            cursor: known_rev,
            ..HostSync::default()
        };
        for chunk in &chunks {
            // The server re-sends the known revision itself; it is stored already.
            let wanted: Vec<&Value> = chunk
                .headers
                .iter()
                .filter(|h| {
                    known_rev == 0
                        || h.get("_rev")
                            .and_then(Value::as_i64)
                            .is_none_or(|rev| rev > known_rev)
                })
                .filter(|h| !is_bu_host(host) || header_id(h).contains("analyze_files"))
                .collect();
            sync.headers += chunk.headers.len();
            // A whole chunk (≤ 1000 headers) is stored at once: one write batch and one update per index key.
            let mut found = Vec::with_capacity(wanted.len());
            for batch in wanted.chunks(self.config.batch_size.max(1)) {
                self.fetch_documents(host, batch, &mut sync, &mut found)?;
            }
            self.store_documents(host, &found, &mut sync)?;
            sync.cursor = sync.cursor.max(chunk.last_rev);
            self.tables().set_cursor(host, sync.cursor)?;
        }
        if let Some(last) = chunks.last().filter(|c| c.sync_to_rev > sync.cursor) {
            sync.cursor = last.sync_to_rev;
            self.tables().set_cursor(host, sync.cursor)?;
        }
        Ok(sync)
    }

    /// One `request_documents` call; the answer (a set) is matched back to the headers by `_id`.
    fn fetch_documents<'h>(
        &self,
        host: &str,
        headers: &[&'h Value],
        sync: &mut HostSync,
        found: &mut Vec<(&'h Value, Value)>,
    ) -> Result<(), GrabError> {
        let ids: Vec<&str> = headers
            .iter()
            .map(|h| header_id(h))
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let answer = self
            .transport
            .post_sync(host, &protocol::documents_request(&ids))
            .map_err(GrabError::Transport)?;
        sync.documents_requested += ids.len();
        // The server answers a set: duplicates dropped, order lost, unknown ids left out.
        let mut by_id: HashMap<String, Value> = protocol::documents(&answer)
            .map_err(GrabError::Protocol)?
            .into_iter()
            .filter_map(|doc| Some((doc.get("_id")?.as_str()?.to_owned(), doc)))
            .collect();
        for header in headers {
            match by_id.remove(header_id(header)) {
                Some(document) => found.push((header, document)),
                None => sync.documents_missing += 1,
            }
        }
        Ok(())
    }

    fn store_documents(
        &self,
        host: &str,
        found: &[(&Value, Value)],
        sync: &mut HostSync,
    ) -> Result<(), GrabError> {
        if is_bu_host(host) {
            for (header, document) in found {
                sync.rows_stored += usize::from(fill_graph(&self.tables(), header, document)?);
            }
        } else {
            let pairs: Vec<(&Value, &Value)> = found.iter().map(|(h, d)| (*h, d)).collect();
            sync.rows_stored += fill_runs(&self.tables(), self.sanitizer, &pairs)?;
        }
        Ok(())
    }

    /// One pass of the status loop: one `hoststatuses` row per host of the cluster. Returns the host count.
    pub fn status_cycle(&self, now_s: f64) -> Result<usize, GrabError> {
        let body = self
            .transport
            .cluster_status(self.config.db)
            .map_err(GrabError::Transport)?;
        let hosts = protocol::cluster_status(&body).map_err(GrabError::Protocol)?;
        let now_us = seconds_to_us(now_s).unwrap_or_default();
        let tables = self.tables();
        for host in &hosts {
            let message = host
                .message
                .as_deref()
                .map(|m| self.sanitizer.clean_text(m));
            tables.record_status(&host.name, host.up, message, now_us)?;
        }
        Ok(hosts.len())
    }
}

fn header_id(header: &Value) -> &str {
    header
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
}
