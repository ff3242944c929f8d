//! The rows of the logical tables (spec §4), as stored: JSON, never a language's `repr`.
//!
//! `None` is SQL NULL: the original stores a header's `null` run or tag as NULL and its test fixtures
//! turn every falsy value into NULL, and the served JSON shows those nulls.

use serde::{Deserialize, Serialize};

/// One `runs` row: one CMSSW client job (an FU `dqm-source-state` document).
/// `id` and `hostname` are raw (revision tracking needs them) and censored whenever served;
/// every free-text field was sanitised at ingest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunRow {
    pub id: String,
    /// `id` with its host segment censored: what the API serves and `get_logs` takes.
    pub served_id: String,
    /// The raw tag (`ecalgpu_dqm_sourceclient-live`); rows are ordered by it, the short name is served.
    pub client: Option<String>,
    pub run: Option<i64>,
    pub rev: Option<i64>,
    pub hostname: Option<String>,
    pub exit_code: Option<i64>,
    pub events_total: Option<i64>,
    pub events_rate: Option<f64>,
    pub cmssw_run: Option<i64>,
    pub cmssw_lumi: Option<i64>,
    /// Only the CMSSW version of the client's path (§11a).
    pub client_path: Option<String>,
    /// Without the `runkey=` prefix.
    pub runkey: Option<String>,
    pub fi_state: Option<String>,
    pub timestamp_us: Option<i64>,
    pub vmrss: Option<String>,
    /// Kept only in the row key, not in the per-run index (which serves everything but logs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdlog_start: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdlog_end: Vec<String>,
}

impl RunRow {
    /// The row without its logs, as the per-run index keeps it.
    pub fn without_logs(&self) -> RunRow {
        RunRow {
            stdlog_start: Vec::new(),
            stdlog_end: Vec::new(),
            ..self.clone()
        }
    }
}

/// One `graphs` row: the file delivery of a run (a BU `analyze_files` document). Keyed by `run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphRow {
    pub run: i64,
    pub rev: i64,
    pub id: String,
    pub timestamp_us: i64,
    pub global_start_us: i64,
    /// `extra.streams` as JSON, or `""` when the document had none (what the original stores).
    pub stream_data: serde_json::Value,
    pub hostname: String,
}

/// One `hostnames` row (the name includes `.cms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostName {
    pub id: i64,
    pub name: String,
}

/// The latest `hoststatuses` row of a host (only the latest is served, §6 Decision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostStatus {
    pub id: i64,
    pub host_id: i64,
    pub created_at_us: i64,
    pub is_up: bool,
    /// Sanitised at ingest.
    pub message: Option<String>,
}

/// When the robber's old-runs mode last saved a finished run, and whether a job of it was still running
/// then (such a run is read again; others only after [`OldRunVisit::RESAVE_AFTER_S`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OldRunVisit {
    pub saved_at_s: f64,
    pub running: bool,
}

impl OldRunVisit {
    /// The original skips runs saved less than 2 h ago.
    pub const RESAVE_AFTER_S: f64 = 7200.0;

    pub fn is_due(visit: Option<&OldRunVisit>, now_s: f64) -> bool {
        visit.is_none_or(|v| v.running || now_s - v.saved_at_s >= Self::RESAVE_AFTER_S)
    }
}
