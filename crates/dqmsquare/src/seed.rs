//! Loads table rows in the original's column form (the converted `runs_data.pkl`/`graphs_data.pkl`)
//! the way its `tests/fixtures.py` seeds PostgreSQL: every falsy value (0, `""`, null) becomes NULL.
//! The ported tests and the bench use it; text still goes through the ingest sanitiser.

use dqmsquare_sanitize::{cmssw_version, strip_runkey, Sanitizer};
use kv_api::{KvError, KvResult};
use serde_json::Value;

use crate::model::{GraphRow, RunRow};
use crate::store::Tables;
use crate::time::{parse_iso, DEFAULT_TIMESTAMP_US};

fn truthy(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    })
}

fn int(row: &Value, key: &str) -> Option<i64> {
    truthy(row.get(key)).and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

fn text(row: &Value, key: &str, sanitizer: &Sanitizer) -> Option<String> {
    truthy(row.get(key))
        .and_then(Value::as_str)
        .map(|s| sanitizer.clean_text(s))
}

fn lines(row: &Value, key: &str, sanitizer: &Sanitizer) -> Vec<String> {
    truthy(row.get(key))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|l| sanitizer.clean_text(l))
                .collect()
        })
        .unwrap_or_default()
}

fn instant(row: &Value, key: &str) -> KvResult<Option<i64>> {
    match row.get(key).and_then(Value::as_str) {
        None => Ok(None),
        Some(iso) => parse_iso(iso)
            .map(Some)
            .ok_or_else(|| KvError::Other(format!("bad {key} {iso:?} in fixture"))),
    }
}

/// Inserts `runs` rows (an array of objects with the original's columns).
pub fn load_runs(tables: &Tables, sanitizer: &Sanitizer, rows: &Value) -> KvResult<usize> {
    let rows = rows
        .as_array()
        .ok_or_else(|| KvError::Other("runs fixture is not a list".into()))?;
    for row in rows {
        let id = row
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| KvError::Other("runs row without id".into()))?;
        let stored = RunRow {
            id: id.to_owned(),
            served_id: sanitizer.censor_id(id),
            client: text(row, "client", sanitizer),
            run: int(row, "run"),
            rev: int(row, "rev"),
            hostname: truthy(row.get("hostname"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            exit_code: int(row, "exit_code"),
            events_total: int(row, "events_total"),
            events_rate: truthy(row.get("events_rate")).and_then(Value::as_f64),
            cmssw_run: int(row, "cmssw_run"),
            cmssw_lumi: int(row, "cmssw_lumi"),
            client_path: text(row, "client_path", sanitizer)
                .map(|p| cmssw_version(&p))
                .filter(|v| !v.is_empty()),
            runkey: text(row, "runkey", sanitizer).map(|k| strip_runkey(&k)),
            fi_state: text(row, "fi_state", sanitizer),
            timestamp_us: instant(row, "timestamp")?,
            vmrss: text(row, "vmrss", sanitizer),
            stdlog_start: lines(row, "stdlog_start", sanitizer),
            stdlog_end: lines(row, "stdlog_end", sanitizer),
        };
        tables.upsert_run(stored)?;
    }
    Ok(rows.len())
}

/// Inserts `graphs` rows (an array of objects with the original's columns).
pub fn load_graphs(tables: &Tables, rows: &Value) -> KvResult<usize> {
    let rows = rows
        .as_array()
        .ok_or_else(|| KvError::Other("graphs fixture is not a list".into()))?;
    for row in rows {
        let run = int(row, "run").ok_or_else(|| KvError::Other("graphs row without run".into()))?;
        tables.upsert_graph(&GraphRow {
            run,
            rev: int(row, "rev").unwrap_or(-1),
            id: row
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            timestamp_us: instant(row, "timestamp")?.unwrap_or(DEFAULT_TIMESTAMP_US),
            global_start_us: instant(row, "global_start")?.unwrap_or(DEFAULT_TIMESTAMP_US),
            stream_data: row
                .get("stream_data")
                .cloned()
                .unwrap_or(Value::String(String::new())),
            hostname: row
                .get("hostname")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })?;
    }
    Ok(rows.len())
}
