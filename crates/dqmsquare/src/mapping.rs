//! fff_dqmtools documents onto the tables (spec §4 `fill_run`, `fill_graph`), sanitised at ingest.
//! The robber maps what it scrapes through the same functions, so both sources store the same rows.

use dqmsquare_sanitize::{cmssw_version, strip_runkey, Sanitizer};
use kv_api::KvResult;
use serde_json::{Map, Value};

use crate::model::{GraphRow, RunRow};
use crate::store::Tables;
use crate::time::{seconds_to_us, DEFAULT_TIMESTAMP_US};

/// A field as the original's `dict.get(key, default)` sees it: absent → the default, `null` → NULL.
fn int_field(obj: &Map<String, Value>, key: &str, default: i64) -> Option<i64> {
    match obj.get(key) {
        None => Some(default),
        Some(Value::Null) => None,
        Some(value) => Some(as_int(value).unwrap_or(default)),
    }
}

/// Integers arrive as numbers or (in the original's tests) numeric strings.
fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn float_field(obj: &Map<String, Value>, key: &str, default: f64) -> Option<f64> {
    match obj.get(key) {
        None => Some(default),
        Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => Some(s.trim().parse().unwrap_or(default)),
        Some(_) => Some(default),
    }
}

fn text_field(obj: &Map<String, Value>, key: &str, sanitizer: &Sanitizer) -> Option<String> {
    match obj.get(key) {
        None => Some(String::new()),
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(sanitizer.clean_text(s)),
        Some(other) => Some(sanitizer.clean_text(&other.to_string())),
    }
}

fn timestamp_us(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_f64).and_then(seconds_to_us)
}

fn log_lines(extra: Option<&Map<String, Value>>, key: &str, sanitizer: &Sanitizer) -> Vec<String> {
    match extra.and_then(|e| e.get(key)) {
        Some(Value::Array(lines)) => lines
            .iter()
            .map(|line| {
                sanitizer.clean_text(
                    line.as_str()
                        .map_or_else(|| line.to_string(), str::to_owned)
                        .as_str(),
                )
            })
            .collect(),
        Some(Value::String(text)) => vec![sanitizer.clean_text(text)],
        _ => Vec::new(),
    }
}

/// The `runs` row of an FU header and its document (`fill_run`). `None` when the header has no `_id`.
pub fn run_row(header: &Value, document: &Value, sanitizer: &Sanitizer) -> Option<RunRow> {
    let empty = Map::new();
    let header = header.as_object()?;
    let doc = document.as_object().unwrap_or(&empty);
    let id = header.get("_id")?.as_str()?.to_owned();
    let cmdline: Vec<&str> = doc
        .get("cmdline")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |items| {
            items.iter().filter_map(Value::as_str).collect()
        });
    let extra = doc.get("extra").and_then(Value::as_object);
    Some(RunRow {
        served_id: sanitizer.censor_id(&id),
        id,
        client: text_field(header, "tag", sanitizer),
        run: int_field(header, "run", -1),
        rev: int_field(header, "_rev", -1),
        hostname: match header.get("hostname") {
            Some(Value::String(host)) => Some(host.clone()),
            Some(Value::Null) => None,
            _ => Some(String::new()),
        },
        exit_code: int_field(doc, "exit_code", -1),
        events_total: int_field(doc, "events_total", -1),
        events_rate: float_field(doc, "events_rate", -1.0),
        cmssw_run: int_field(doc, "cmssw_run", -1),
        cmssw_lumi: int_field(doc, "cmssw_lumi", -1),
        client_path: Some(
            cmdline
                .get(1)
                .map(|path| sanitizer.clean_text(&cmssw_version(path)))
                .unwrap_or_default(),
        ),
        runkey: Some(
            cmdline
                .iter()
                .rev()
                .find(|item| item.contains("runkey"))
                .map(|item| sanitizer.clean_text(&strip_runkey(item)))
                .unwrap_or_default(),
        ),
        fi_state: text_field(doc, "fi_state", sanitizer),
        timestamp_us: Some(timestamp_us(header.get("timestamp")).unwrap_or(DEFAULT_TIMESTAMP_US)),
        vmrss: Some(
            extra
                .and_then(|e| e.get("ps_info"))
                .and_then(|p| p.get("VmRSS"))
                .map(|v| {
                    sanitizer.clean_text(
                        v.as_str()
                            .map_or_else(|| v.to_string(), str::to_owned)
                            .as_str(),
                    )
                })
                .unwrap_or_default(),
        ),
        stdlog_start: log_lines(extra, "stdlog_start", sanitizer),
        stdlog_end: log_lines(extra, "stdlog_end", sanitizer),
    })
}

/// The `graphs` row of a BU `analyze_files` header and document (`fill_graph`). `None` (nothing stored)
/// when the run is missing or the document's `extra` is missing or empty, as in the original.
pub fn graph_row(header: &Value, document: &Value) -> Option<GraphRow> {
    let run = header.get("run").and_then(as_int)?;
    let extra = document
        .get("extra")
        .and_then(Value::as_object)
        .filter(|e| !e.is_empty())?;
    Some(GraphRow {
        run,
        rev: header.get("_rev").and_then(as_int).unwrap_or(-1),
        id: header
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        timestamp_us: timestamp_us(document.get("timestamp"))
            .or_else(|| timestamp_us(header.get("timestamp")))
            .unwrap_or(DEFAULT_TIMESTAMP_US),
        global_start_us: timestamp_us(extra.get("global_start")).unwrap_or(DEFAULT_TIMESTAMP_US),
        stream_data: extra
            .get("streams")
            .cloned()
            .unwrap_or_else(|| Value::String(String::new())),
        hostname: header
            .get("hostname")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// `fill_run`: maps, upserts and widens `meta.min_max_runs`. Returns whether a row was stored.
pub fn fill_run(
    tables: &Tables,
    sanitizer: &Sanitizer,
    header: &Value,
    document: &Value,
) -> KvResult<bool> {
    fill_runs(tables, sanitizer, &[(header, document)]).map(|stored| stored == 1)
}

/// `fill_run` over a batch of (header, document) pairs, with one index update per run. Returns the rows stored.
pub fn fill_runs(
    tables: &Tables,
    sanitizer: &Sanitizer,
    pairs: &[(&Value, &Value)],
) -> KvResult<usize> {
    let rows: Vec<RunRow> = pairs
        .iter()
        .filter_map(|(h, d)| run_row(h, d, sanitizer))
        .collect();
    let count = rows.len();
    // Meta widening skips a falsy run, as the original does, and never widens with −1.
    let runs: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.run)
        .filter(|r| *r != 0)
        .collect();
    tables.upsert_runs(rows)?;
    if let (Some(min), Some(max)) = (runs.iter().min(), runs.iter().max()) {
        tables.widen_min_max(*min)?;
        tables.widen_min_max(*max)?;
    }
    Ok(count)
}

/// `fill_graph`: maps and upserts by run. Returns whether a row was stored.
pub fn fill_graph(tables: &Tables, header: &Value, document: &Value) -> KvResult<bool> {
    match graph_row(header, document) {
        Some(row) => tables.upsert_graph(&row).map(|_| true),
        None => Ok(false),
    }
}

/// One job row as the robber reads it off the DQM² page (§3.1); `None` is a cell that reads `-`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrapedJob {
    pub run: i64,
    pub hostname: String,
    pub pid: u32,
    /// `td[3]`: `R` (running) or the exit code.
    pub state: String,
    pub tag: String,
    pub timestamp_s: Option<f64>,
    pub lumi: Option<i64>,
    pub vmrss: Option<String>,
    pub events_total: Option<i64>,
    /// The two expanded `dqm-log` blocks.
    pub log_start: Vec<String>,
    pub log_end: Vec<String>,
}

impl ScrapedJob {
    /// The header and document fff_dqmtools would have sent for this job, so the robber stores its rows
    /// through [`fill_runs`] exactly as the grabber does (same id, same defaults; a running job's exit code is null).
    pub fn as_header_and_document(&self) -> (Value, Value) {
        let id = format!(
            "dqm-source-state-run{}-host{}-pid{:06}",
            self.run, self.hostname, self.pid
        );
        let mut header = serde_json::json!({
            "_id": id, "type": "dqm-source-state", "hostname": self.hostname, "tag": self.tag, "run": self.run,
        });
        if let Some(ts) = self.timestamp_s {
            header["timestamp"] = ts.into();
        }
        let mut document = serde_json::json!({"_id": id, "extra": {"stdlog_start": self.log_start, "stdlog_end": self.log_end}});
        // fff_dqmtools sends `exit_code: null` while a job runs (what "probably stuck" looks for), so `R` is null.
        match self.state.trim() {
            "R" => document["exit_code"] = Value::Null,
            state => {
                if let Ok(code) = state.parse::<i64>() {
                    document["exit_code"] = code.into();
                }
            }
        }
        if let Some(ls) = self.lumi {
            document["cmssw_lumi"] = ls.into();
        }
        if let Some(events) = self.events_total {
            document["events_total"] = events.into();
        }
        if let Some(rss) = &self.vmrss {
            document["extra"]["ps_info"] = serde_json::json!({"VmRSS": rss});
        }
        (header, document)
    }
}
