//! Bulk ingest of runs, datasets and their OMS / RR lumisections (cron uploads and the scraper-host loader).
//!
//! The whole batch is validated before anything is written and becomes one Version. Records of new
//! runs and datasets are listed in the indexes only after they are written, so a reader sees either none
//! of a new run or all of it.

use crate::error::{RrError, RrResult};
use crate::model::{
    Actor, Event, Target, LUMI_KEYS, MAX_LUMISECTION, OMS_LS_ATTRIBUTES, RUN_STATES, STATUSES,
};
use crate::ranges::diff_lumisections;
use crate::state::{fold_run, LsColumns};
use crate::store::{Registry, ONLINE};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Most runs and datasets accepted in one batch.
pub const MAX_BATCH: usize = 5_000;

/// One run of a batch; the online dataset's LS go in `oms_lumisections` / `rr_lumisections`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// Required; `PUT /automatic_run_update/:run` takes it from the path.
    #[serde(default)]
    pub run_number: u64,
    #[serde(default)]
    pub oms_attributes: Map<String, Value>,
    #[serde(default)]
    pub rr_attributes: Map<String, Value>,
    #[serde(default)]
    pub oms_lumisections: Vec<Map<String, Value>>,
    #[serde(default)]
    pub rr_lumisections: Vec<Map<String, Value>>,
    #[serde(default)]
    pub datasets: Vec<DatasetInput>,
}

/// An offline dataset of a run (its OMS LS default to the online ones).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetInput {
    pub name: String,
    #[serde(default)]
    pub dataset_attributes: Map<String, Value>,
    #[serde(default)]
    pub datasets_in_gui: Vec<String>,
    #[serde(default)]
    pub rr_lumisections: Vec<Map<String, Value>>,
    #[serde(default)]
    pub oms_lumisections: Vec<Map<String, Value>>,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// `None` when nothing changed (the HTTP layer answers 204).
    pub atomic_version: Option<i64>,
    pub events: usize,
    pub runs: usize,
}

/// Validates a batch and writes it as one Version by `actor`.
pub fn ingest(
    registry: &Registry,
    actor: &Actor,
    comment: &str,
    mut runs: Vec<RunInput>,
) -> RrResult<IngestReport> {
    if runs.len() > MAX_BATCH {
        return Err(RrError::bad_request(format!(
            "At most {MAX_BATCH} runs per batch"
        )));
    }
    let mut seen = BTreeSet::new();
    for run in &mut runs {
        validate_run(run)?;
        if !seen.insert(run.run_number) {
            return Err(RrError::bad_request(format!(
                "Run {} appears twice in the batch",
                run.run_number
            )));
        }
    }
    let mut events = Vec::new();
    for run in &runs {
        events.extend(run_events(registry, actor, run)?);
    }
    if actor.automatic {
        guard_signed_off_runs(registry, &events)?;
    }
    let events: Vec<Event> = events.into_iter().filter(|e| !e.is_empty()).collect();
    if events.is_empty() {
        return Ok(IngestReport {
            atomic_version: None,
            events: 0,
            runs: runs.len(),
        });
    }
    let version = registry.record(actor, comment, events)?;
    Ok(IngestReport {
        atomic_version: Some(version.atomic_version),
        events: version.events.len(),
        runs: runs.len(),
    })
}

/// §2.3 guard: an automatic change to the RR side of a run that is no longer OPEN is refused and the
/// run is flagged `run_needs_to_be_updated_manually` (in a Version of its own). Once flagged, changes pass.
fn guard_signed_off_runs(registry: &Registry, events: &[Event]) -> RrResult<()> {
    let touched: BTreeSet<u64> = events
        .iter()
        .filter(|e| !e.is_empty() && (e.target == Target::RrLs || !e.rr_metadata.is_empty()))
        .map(|e| e.run_number)
        .collect();
    for run_number in touched {
        let Some(run) = registry.run(run_number)? else {
            continue;
        };
        let open = run
            .rr_attributes
            .get("state")
            .and_then(Value::as_str)
            .is_none_or(|s| s == "OPEN");
        let flagged =
            run.rr_attributes.get("run_needs_to_be_updated_manually") == Some(&Value::Bool(true));
        if !open && !flagged {
            let mut flag = Event::new(Target::Run, run_number, "");
            flag.rr_metadata
                .insert("run_needs_to_be_updated_manually".into(), Value::Bool(true));
            registry.record(
                &Actor::service(),
                "automatic update refused: run is not OPEN",
                vec![flag],
            )?;
            return Err(RrError::conflict(format!(
                "run {run_number} needs a manual update"
            )));
        }
    }
    Ok(())
}

fn validate_run(run: &mut RunInput) -> RrResult<()> {
    let at = |what: &str| format!("run {}: {what}", run.run_number);
    if run.run_number == 0 {
        return Err(RrError::bad_request(
            "run_number must be a positive integer",
        ));
    }
    validate_rr_attributes(&run.rr_attributes).map_err(|e| RrError::bad_request(at(&e)))?;
    normalise_oms(&mut run.oms_lumisections).map_err(|e| RrError::bad_request(at(&e)))?;
    normalise_rr(&mut run.rr_lumisections).map_err(|e| RrError::bad_request(at(&e)))?;
    let mut names = BTreeSet::new();
    for dataset in &mut run.datasets {
        let name = dataset.name.clone();
        validate_dataset_name(&name).map_err(|e| RrError::bad_request(at(&e)))?;
        if name == ONLINE || !names.insert(name.clone()) {
            return Err(RrError::bad_request(at(&format!(
                "dataset {name} is given twice"
            ))));
        }
        normalise_oms(&mut dataset.oms_lumisections)
            .map_err(|e| RrError::bad_request(at(&format!("{name}: {e}"))))?;
        normalise_rr(&mut dataset.rr_lumisections)
            .map_err(|e| RrError::bad_request(at(&format!("{name}: {e}"))))?;
    }
    Ok(())
}

pub fn validate_dataset_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(format!("invalid dataset name {name:?}"));
    }
    Ok(())
}

pub fn validate_rr_attributes(attributes: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in attributes {
        let ok = match key.as_str() {
            "class" | "stop_reason" => value.is_string(),
            "significant" | "run_needs_to_be_updated_manually" => value.is_boolean(),
            "state" => value.as_str().is_some_and(|s| RUN_STATES.contains(&s)),
            _ => true,
        };
        if !ok {
            return Err(format!("invalid rr_attributes.{key}: {value}"));
        }
    }
    Ok(())
}

/// Keeps the stored OMS LS attributes (the 38 of §2.2 plus `recorded`/`delivered`), which must be scalars.
fn normalise_oms(lumisections: &mut [Map<String, Value>]) -> Result<(), String> {
    check_length(lumisections.len())?;
    for (i, ls) in lumisections.iter_mut().enumerate() {
        ls.retain(|k, _| {
            OMS_LS_ATTRIBUTES.contains(&k.as_str()) || LUMI_KEYS.contains(&k.as_str())
        });
        if let Some((k, _)) = ls.iter().find(|(_, v)| v.is_array() || v.is_object()) {
            return Err(format!(
                "OMS lumisection {}: {k} must be a boolean, number, string or null",
                i + 1
            ));
        }
    }
    Ok(())
}

/// RR LS values must be `{status, comment?, cause?}` with a known status; stored as the full triplet.
fn normalise_rr(lumisections: &mut [Map<String, Value>]) -> Result<(), String> {
    check_length(lumisections.len())?;
    for (i, ls) in lumisections.iter_mut().enumerate() {
        for (component, value) in ls.iter_mut() {
            *value =
                triplet(value).map_err(|e| format!("RR lumisection {} {component}: {e}", i + 1))?;
        }
    }
    Ok(())
}

/// Validates and completes one `{status, comment, cause}` triplet.
pub fn triplet(value: &Value) -> Result<Value, String> {
    let status = value
        .get("status")
        .and_then(Value::as_str)
        .ok_or("status is required")?;
    if !STATUSES.contains(&status) {
        return Err(format!("unknown status {status}"));
    }
    let text = |field: &str| match value.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{field} must be a string")),
    };
    Ok(json!({"status": status, "comment": text("comment")?, "cause": text("cause")?}))
}

fn check_length(n: usize) -> Result<(), String> {
    if n > MAX_LUMISECTION as usize {
        return Err(format!("more than {MAX_LUMISECTION} lumisections"));
    }
    Ok(())
}

/// Events that bring a run (and its datasets) to the given input, emitting only what changed.
fn run_events(registry: &Registry, actor: &Actor, run: &RunInput) -> RrResult<Vec<Event>> {
    let run_number = run.run_number;
    let current = fold_run(
        run_number,
        &registry.entity_events(Target::Run, run_number, "")?,
    );
    let is_new = current.version == 0;
    let mut run_event = Event::new(Target::Run, run_number, "");
    let mut rr_wanted = run.rr_attributes.clone();
    if is_new {
        run_event.deleted = Some(false);
        for (k, v) in [
            ("class", json!("")),
            ("significant", json!(false)),
            ("state", json!("OPEN")),
            ("stop_reason", json!("")),
        ] {
            rr_wanted.entry(k.to_string()).or_insert(v);
        }
    }
    run_event.oms_metadata = changed(&current.oms_attributes, &with_ls_summary(run));
    run_event.rr_metadata = changed(&current.rr_attributes, &rr_wanted);
    let mut events = vec![run_event];
    let online = DatasetInput {
        name: ONLINE.to_owned(),
        rr_lumisections: run.rr_lumisections.clone(),
        oms_lumisections: run.oms_lumisections.clone(),
        ..Default::default()
    };
    for dataset in std::iter::once(&online).chain(&run.datasets) {
        events.extend(dataset_events(registry, actor, run_number, dataset)?);
    }
    Ok(events)
}

/// The run's OMS attributes plus what its lumisections say: `ls_duration` and `beams_present_and_stable`
/// (true when both beams are present and stable in any LS; the original could only answer false/null).
fn with_ls_summary(run: &RunInput) -> Map<String, Value> {
    let mut attributes = run.oms_attributes.clone();
    if !run.oms_lumisections.is_empty() {
        let stable = run.oms_lumisections.iter().any(|ls| {
            [
                "beam1_present",
                "beam2_present",
                "beam1_stable",
                "beam2_stable",
            ]
            .iter()
            .all(|k| ls.get(*k) == Some(&Value::Bool(true)))
        });
        attributes
            .entry("ls_duration")
            .or_insert(json!(run.oms_lumisections.len()));
        attributes
            .entry("beams_present_and_stable")
            .or_insert(json!(stable));
    }
    attributes
}

/// Events for one dataset: attributes, then the minimal RR and OMS LS diffs. An automatic writer diffs
/// RR LS against the automatic state (version order), so a manual override is not re-emitted each cycle.
pub fn dataset_events(
    registry: &Registry,
    actor: &Actor,
    run_number: u64,
    input: &DatasetInput,
) -> RrResult<Vec<Event>> {
    let name = input.name.as_str();
    let existing = registry.entity_events(Target::Dataset, run_number, name)?;
    let mut attributes = Map::new();
    crate::state::ordered(&existing, false)
        .into_iter()
        .for_each(|e| attributes.extend(e.dataset_metadata.clone()));
    let mut dataset_event = Event::new(Target::Dataset, run_number, name);
    if existing.is_empty() {
        dataset_event.deleted = Some(false);
    }
    dataset_event.dataset_metadata = changed(&attributes, &input.dataset_attributes);
    let known: BTreeSet<&String> = existing.iter().flat_map(|e| &e.datasets_in_gui).collect();
    dataset_event.datasets_in_gui = input
        .datasets_in_gui
        .iter()
        .filter(|g| !known.contains(g))
        .cloned()
        .collect();
    let mut events = vec![dataset_event];
    if !input.rr_lumisections.is_empty() {
        let current = LsColumns::fold(
            &registry.entity_events(Target::RrLs, run_number, name)?,
            !actor.automatic,
        );
        let mut event = Event::new(Target::RrLs, run_number, name);
        event.ranges = diff_lumisections(
            &pad(current.per_ls(), input.rr_lumisections.len()),
            &input.rr_lumisections,
        )?;
        events.push(event);
    }
    if !input.oms_lumisections.is_empty() {
        let current = LsColumns::fold(
            &registry.entity_events(Target::OmsLs, run_number, name)?,
            false,
        );
        let mut event = Event::new(Target::OmsLs, run_number, name);
        event.ranges = diff_lumisections(
            &pad(current.per_ls(), input.oms_lumisections.len()),
            &input.oms_lumisections,
        )?;
        events.push(event);
    }
    Ok(events)
}

/// A current LS list may end in LS that exist only because of gaps: never shorter than needed, never longer than given.
fn pad(mut current: Vec<Map<String, Value>>, wanted: usize) -> Vec<Map<String, Value>> {
    while current.len() > wanted && current.last().is_some_and(Map::is_empty) {
        current.pop();
    }
    current
}

/// The keys of `wanted` whose values differ from `current`.
pub fn changed(current: &Map<String, Value>, wanted: &Map<String, Value>) -> Map<String, Value> {
    wanted
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The `attributes` of every element of an OMS API response (`{"data": [{"attributes": …}]}`), or the
/// elements themselves when given a plain array (as in the samples).
fn oms_rows(response: &Value) -> RrResult<Vec<Map<String, Value>>> {
    let rows = response.get("data").unwrap_or(response);
    let rows = rows
        .as_array()
        .ok_or_else(|| RrError::bad_request("an OMS response must hold a list"))?;
    rows.iter()
        .map(|row| row.get("attributes").unwrap_or(row).as_object().cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| RrError::bad_request("OMS rows must be objects"))
}

/// Builds a run from OMS responses (§3): `/runs?filter[run_number]=R` and `/lumisections?filter[run_number]=R`.
/// Lumisections are ordered by `lumisection_number`; their `recorded_lumi`/`delivered_lumi` become the
/// per-LS `recorded`/`delivered`. For the scraper-host loader and the OMS cron.
pub fn from_oms(run_response: &Value, lumisections_response: &Value) -> RrResult<RunInput> {
    let oms_attributes = oms_rows(run_response)?
        .into_iter()
        .next()
        .ok_or_else(|| RrError::bad_request("no OMS run in the response"))?;
    let run_number = oms_attributes
        .get("run_number")
        .and_then(Value::as_u64)
        .ok_or_else(|| RrError::bad_request("the OMS run has no run_number"))?;
    let mut lumisections = oms_rows(lumisections_response)?;
    lumisections.sort_by_key(|ls| {
        ls.get("lumisection_number")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    });
    for ls in &mut lumisections {
        for (from, to) in [
            ("recorded_lumi", "recorded"),
            ("delivered_lumi", "delivered"),
        ] {
            if let Some(value) = ls.get(from).cloned() {
                ls.entry(to).or_insert(value);
            }
        }
    }
    Ok(RunInput {
        run_number,
        oms_attributes,
        oms_lumisections: lumisections,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oms_responses_become_a_run() {
        let run = json!({"data": [{"attributes": {"run_number": 328645, "fill_number": 8000, "energy": 6500}}]});
        let ls = json!({"data": [
            {"attributes": {"lumisection_number": 2, "cms_active": false, "recorded_lumi": 0.2}},
            {"attributes": {"lumisection_number": 1, "cms_active": true, "recorded_lumi": 0.1, "delivered_lumi": 0.11}}]});
        let input = from_oms(&run, &ls).unwrap();
        assert_eq!(input.run_number, 328645);
        assert_eq!(input.oms_attributes["fill_number"], json!(8000));
        assert_eq!(input.oms_lumisections[0]["recorded"], json!(0.1));
        assert_eq!(input.oms_lumisections[1]["cms_active"], json!(false));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/runregistry/oms_lumisections_run328645.json"
        );
        let sample: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let input = from_oms(&json!([{"run_number": 328645}]), &sample).unwrap();
        assert_eq!(input.oms_lumisections.len(), 94);
        assert!(from_oms(&json!({"data": []}), &sample).is_err());
        assert!(from_oms(&json!({"data": [{"attributes": {}}]}), &sample).is_err());
    }
}
