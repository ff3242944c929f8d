//! EventNumberHistory (spec §5.5): building a new entry from DBS and appending it only when it differs.

use crate::dbs::RunCache;
use crate::document::{request_type, truthy, Doc};
use crate::upstream::UpstreamError;
use serde_json::{json, Map, Value};

const HISTORY: &str = "EventNumberHistory";

/// Lumis are tracked for ReReco/Resubmission with a non-empty `LumiList` and a truthy `TotalInputLumis`.
pub fn lumi_tracking(doc: &Doc) -> bool {
    let kind = request_type(doc).to_ascii_lowercase();
    (kind == "rereco" || kind == "resubmission")
        && doc.get("LumiList").is_some_and(truthy)
        && doc.get("TotalInputLumis").is_some_and(truthy)
}

/// A new entry `{"Time", "Datasets"}` over the unique output datasets; `None` without output datasets.
pub fn new_entry(
    doc: &Doc,
    cache: &mut RunCache,
    now: i64,
) -> Result<Option<Value>, UpstreamError> {
    let mut outputs: Vec<&str> = Vec::new();
    for dataset in doc
        .get("OutputDatasets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !outputs.contains(&dataset) {
            outputs.push(dataset);
        }
    }
    if outputs.is_empty() {
        return Ok(None);
    }
    let lumis = lumi_tracking(doc);
    let figures = cache.figures(&outputs)?;
    let mut datasets = Map::new();
    for dataset in outputs {
        let mut entry = match figures.get(dataset) {
            Some(f) => {
                json!({"Type": f.access_type, "Events": f.summary.events, "Size": f.summary.size})
            }
            None => json!({"Type": "NONE", "Events": 0, "Size": 0}),
        };
        if lumis {
            entry["Lumis"] = figures.get(dataset).map_or(0, |f| f.summary.lumis).into();
        }
        datasets.insert(dataset.to_owned(), entry);
    }
    Ok(Some(json!({"Time": now, "Datasets": datasets})))
}

/// Sorts the history by `Time` and appends `entry` unless its `Datasets` equal the last entry's.
/// Returns whether it appended.
pub fn append_if_changed(doc: &mut Doc, entry: Value) -> bool {
    let lumis = lumi_tracking(doc);
    let mut history = match doc.remove(HISTORY) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    history.sort_by_key(|e| e.get("Time").and_then(Value::as_i64).unwrap_or(0));
    let unchanged = history.last().and_then(|last| last.get("Datasets")) == entry.get("Datasets");
    if !unchanged {
        if lumis {
            let older = history
                .iter_mut()
                .filter_map(|e| e.get_mut("Datasets"))
                .filter_map(Value::as_object_mut);
            for dataset in older
                .flat_map(|d| d.values_mut())
                .filter_map(Value::as_object_mut)
            {
                dataset.entry("Lumis").or_insert(Value::from(0));
            }
        }
        history.push(entry);
    }
    doc.insert(HISTORY.into(), Value::Array(history));
    !unchanged
}
