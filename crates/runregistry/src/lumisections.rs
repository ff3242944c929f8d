//! Lumisection queries (§6.1): per-LS lists, merged ranges, ranges per component / bit, and JSON data lookups.

use crate::error::{RrError, RrResult};
use crate::golden::context;
use crate::model::{LUMI_KEYS, OMS_LS_ATTRIBUTES};
use crate::ranges::{from_ranges, merge_equal};
use crate::state::{lumi_value, DatasetState};
use crate::store::{Registry, ONLINE};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Most LS one `get_data_of_json` request may expand.
pub const MAX_JSON_LUMISECTIONS: usize = 50_000;

fn dataset(registry: &Registry, run_number: u64, name: &str) -> RrResult<DatasetState> {
    registry
        .dataset(run_number, name)?
        .ok_or_else(|| RrError::not_found(format!("Dataset {name} of run {run_number} not found")))
}

/// `POST /lumisections/rr_lumisections`: index = LS − 1, gaps as EMPTY triplets.
pub fn rr_lumisections(registry: &Registry, run_number: u64, name: &str) -> RrResult<Value> {
    Ok(json!(dataset(registry, run_number, name)?.rr_lumisections()))
}

/// `POST /lumisections/oms_lumisections`.
pub fn oms_lumisections(registry: &Registry, run_number: u64, name: &str) -> RrResult<Value> {
    Ok(json!(
        dataset(registry, run_number, name)?.oms_lumisections()
    ))
}

/// `rr_lumisection_ranges`: consecutive LS with equal triplets merged.
pub fn rr_lumisection_ranges(registry: &Registry, run_number: u64, name: &str) -> RrResult<Value> {
    Ok(json!(merge_equal(
        &dataset(registry, run_number, name)?.rr_lumisections()
    )))
}

/// The OMS LS restricted to the 38 stored bits (no luminosity, no `err`).
fn whitelisted_oms(state: &DatasetState) -> Vec<Map<String, Value>> {
    let mut rows = state.oms_lumisections();
    for row in &mut rows {
        row.retain(|k, _| OMS_LS_ATTRIBUTES.contains(&k.as_str()));
    }
    rows
}

/// `oms_lumisection_ranges`.
pub fn oms_lumisection_ranges(registry: &Registry, run_number: u64, name: &str) -> RrResult<Value> {
    Ok(json!(merge_equal(&whitelisted_oms(&dataset(
        registry, run_number, name
    )?))))
}

/// `joint_lumisection_ranges`: OMS merged with RR per LS, then ranged.
pub fn joint_lumisection_ranges(
    registry: &Registry,
    run_number: u64,
    name: &str,
) -> RrResult<Value> {
    let state = dataset(registry, run_number, name)?;
    let (mut oms, rr) = (whitelisted_oms(&state), state.rr_lumisections());
    oms.resize(oms.len().max(rr.len()), Map::new());
    for (row, rr_row) in oms.iter_mut().zip(rr) {
        row.extend(rr_row);
    }
    Ok(json!(merge_equal(&oms)))
}

/// `rr_lumisection_ranges_by_component`: `{component: [{start, end, status, comment, cause}]}`.
pub fn rr_lumisection_ranges_by_component(
    registry: &Registry,
    run_number: u64,
    name: &str,
) -> RrResult<Value> {
    let rows = dataset(registry, run_number, name)?.rr_lumisections();
    Ok(Value::Object(by_key(&rows, |v| {
        v.as_object().cloned().unwrap_or_default()
    })))
}

/// `oms_lumisection_ranges_by_dcs_bit`: `{bit: [{start, end, status: value}]}`.
pub fn oms_lumisection_ranges_by_dcs_bit(
    registry: &Registry,
    run_number: u64,
    name: &str,
) -> RrResult<Value> {
    let rows = whitelisted_oms(&dataset(registry, run_number, name)?);
    Ok(Value::Object(by_key(&rows, |v| {
        Map::from_iter([("status".to_string(), v.clone())])
    })))
}

fn by_key(
    rows: &[Map<String, Value>],
    shape: impl Fn(&Value) -> Map<String, Value>,
) -> Map<String, Value> {
    let mut columns: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    let keys: std::collections::BTreeSet<&String> = rows.iter().flat_map(|r| r.keys()).collect();
    for key in keys {
        let column: Vec<Map<String, Value>> = rows
            .iter()
            .map(|r| r.get(key).map(&shape).unwrap_or_default())
            .collect();
        columns.insert(key.clone(), column);
    }
    columns
        .into_iter()
        .map(|(k, column)| (k, json!(merge_equal(&column))))
        .collect()
}

/// `GET /get_all_dataset_names_of_run/:run`.
pub fn dataset_names(registry: &Registry, run_number: u64) -> RrResult<Value> {
    Ok(json!(registry.dataset_names(run_number)?))
}

/// Splits `<run>-<dataset>` at the first `-`.
fn split_key(key: &str) -> RrResult<(u64, &str)> {
    let (run, name) = key
        .split_once('-')
        .ok_or_else(|| RrError::bad_request(format!("Key {key} is not <run>-<dataset>")))?;
    let run = run
        .parse()
        .map_err(|_| RrError::bad_request(format!("Key {key} does not start with a run number")))?;
    Ok((run, name))
}

fn ranges_of(value: &Value) -> RrResult<Vec<[u32; 2]>> {
    serde_json::from_value(value.clone())
        .map_err(|_| RrError::bad_request("Ranges must be [[first, last], …]"))
}

/// `POST /lumisections/get_data_of_json`: the §4.1 context of every LS of a JSON with dataset names.
pub fn get_data_of_json(registry: &Registry, body: &Value) -> RrResult<Value> {
    let json = body
        .get("json")
        .and_then(Value::as_object)
        .ok_or_else(|| RrError::bad_request("json is required"))?;
    let mut expanded = 0usize;
    let (mut recorded, mut delivered) = (0.0, 0.0);
    let mut out = Map::new();
    for (key, ranges) in json {
        let (run_number, name) = split_key(key)?;
        let lumisections = from_ranges(&ranges_of(ranges)?);
        expanded += lumisections.len();
        if expanded > MAX_JSON_LUMISECTIONS {
            return Err(RrError::bad_request(format!(
                "At most {MAX_JSON_LUMISECTIONS} lumisections per request"
            )));
        }
        let state = dataset(registry, run_number, name)?;
        let run = registry
            .run(run_number)?
            .ok_or_else(|| RrError::not_found(format!("Run {run_number} not found")))?;
        let mut per_ls = Map::new();
        for ls in lumisections {
            let data = context(&run, &state, ls);
            recorded += lumi_value(&data["lumisection"]["oms"][LUMI_KEYS[0]]);
            delivered += lumi_value(&data["lumisection"]["oms"][LUMI_KEYS[1]]);
            per_ls.insert(ls.to_string(), data);
        }
        out.insert(key.clone(), Value::Object(per_ls));
    }
    Ok(
        json!({"json_with_data": out, "total_recorded_luminosity": recorded, "total_delivered_luminosity": delivered}),
    )
}

/// `POST /lumisections/get_luminosity_of_json_with_dataset_names`: recorded luminosity per key.
pub fn luminosity_of_json(registry: &Registry, body: &Value) -> RrResult<Value> {
    let json = body
        .get("json_with_dataset_names")
        .and_then(Value::as_object)
        .ok_or_else(|| RrError::bad_request("json_with_dataset_names is required"))?;
    let mut out = Map::new();
    for (key, ranges) in json {
        let (run_number, name) = split_key(key)?;
        let state = dataset(registry, run_number, name)?;
        let spans = state.oms.get("recorded");
        let sum: f64 = ranges_of(ranges)?
            .iter()
            .flat_map(|[a, b]| *a..=*b)
            .map(|ls| {
                spans
                    .and_then(|s| crate::ranges::value_at(s, ls))
                    .map_or(0.0, lumi_value)
            })
            .sum();
        out.insert(key.clone(), json!(sum));
    }
    Ok(Value::Object(out))
}

/// `GET /runs/:run`: the run with its online triplet summary.
pub fn run(registry: &Registry, run_number: u64) -> RrResult<Value> {
    let run = registry
        .run(run_number)?
        .filter(|r| !r.deleted)
        .ok_or_else(|| RrError::not_found(format!("Run {run_number} not found")))?;
    let cache = registry.cache(run_number, ONLINE)?.unwrap_or(Value::Null);
    let mut value = serde_json::to_value(run)?;
    value["DatasetTripletCache"] = json!({"triplet_summary": cache["triplet_summary"]});
    Ok(value)
}

/// `GET /runs_lastupdated_50`: the 50 runs with the most recent events.
pub fn runs_last_updated(registry: &Registry) -> RrResult<Value> {
    let mut runs = Vec::new();
    for run_number in registry.run_numbers()? {
        if let Some(run) = registry.run(run_number)?.filter(|r| !r.deleted) {
            runs.push(run);
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.version));
    runs.truncate(50);
    Ok(serde_json::to_value(runs)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_dash() {
        assert_eq!(
            split_key("316701-/PromptReco/Run-2018A/DQM").unwrap(),
            (316701, "/PromptReco/Run-2018A/DQM")
        );
        assert_eq!(split_key("316701").unwrap_err().status, 400);
        assert_eq!(split_key("x-online").unwrap_err().status, 400);
    }
}
