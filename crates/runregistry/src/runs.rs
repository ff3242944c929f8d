//! Manual mutations (§6.3): LS edits, run state moves OPEN → SIGNOFF → COMPLETED, per-attribute run edits,
//! and the automatic run update with its sign-off guard.

use crate::error::{RrError, RrResult};
use crate::ingest::{self, dataset_events, DatasetInput, RunInput};
use crate::model::{
    Actor, Event, LsChange, Target, CERTIFIABLE_OFFLINE, MAX_LUMISECTION, OMS_LS_ATTRIBUTES,
    RUN_STATES, WAITING_DQM_GUI,
};
use crate::state::RunState;
use crate::store::{Registry, ONLINE};
use serde_json::{json, Map, Value};

/// A requested LS range edit (`new_lumisection_range`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RangeEdit {
    pub start: u32,
    pub end: u32,
    pub status: Value,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub cause: String,
}

fn run_or_404(registry: &Registry, run_number: u64) -> RrResult<RunState> {
    registry
        .run(run_number)?
        .filter(|r| !r.deleted)
        .ok_or_else(|| RrError::not_found(format!("Run {run_number} not found")))
}

fn state_of(run: &RunState) -> &str {
    run.rr_attributes
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("OPEN")
}

fn check_range(edit: &RangeEdit) -> RrResult<()> {
    if edit.start < 1 || edit.end < edit.start || edit.end > MAX_LUMISECTION {
        return Err(RrError::bad_request("Invalid lumisection range"));
    }
    Ok(())
}

/// The user's comment beside the built-in one (§7a, Comments).
fn comment_text(builtin: &str, user: Option<&str>) -> String {
    match user.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("{c} ({builtin})"),
        None => builtin.to_owned(),
    }
}

/// `PUT /lumisections/edit_rr_lumisections`: sets one component over an LS range; returns the event with the
/// ranges actually emitted (only LS whose triplet changes).
pub fn edit_rr_lumisections(
    registry: &Registry,
    actor: &Actor,
    run_number: u64,
    dataset: &str,
    component: &str,
    edit: &RangeEdit,
    comment: Option<&str>,
) -> RrResult<Value> {
    check_range(edit)?;
    if component.is_empty() || component.len() > 100 {
        return Err(RrError::bad_request("A component is required"));
    }
    let status = edit
        .status
        .as_str()
        .ok_or_else(|| RrError::bad_request("Status is required"))?;
    if status == "BAD" && edit.comment.trim().chars().count() < 3 {
        return Err(RrError::bad_request(
            "A BAD lumisection needs a comment of at least 3 characters",
        ));
    }
    let triplet =
        ingest::triplet(&json!({"status": status, "comment": edit.comment, "cause": edit.cause}))
            .map_err(RrError::bad_request)?;
    let run = run_or_404(registry, run_number)?;
    if dataset == ONLINE && state_of(&run) != "OPEN" {
        return Err(RrError::bad_request(
            "Online lumisections can only be edited while the run is OPEN",
        ));
    }
    let edit_of = RangeChange {
        target: Target::RrLs,
        run_number,
        dataset,
        key: component,
        value: triplet,
    };
    record_range_edit(registry, actor, &edit_of, edit, comment)
}

/// `PUT /lumisections/edit_oms_lumisections`: sets one DCS bit over an LS range (`false` allowed).
pub fn edit_oms_lumisections(
    registry: &Registry,
    actor: &Actor,
    run_number: u64,
    dataset: &str,
    bit: &str,
    edit: &RangeEdit,
    comment: Option<&str>,
) -> RrResult<Value> {
    check_range(edit)?;
    if !OMS_LS_ATTRIBUTES.contains(&bit) {
        return Err(RrError::bad_request(format!("Unknown DCS bit {bit}")));
    }
    let value = match &edit.status {
        Value::Bool(b) => *b,
        Value::String(s) if s == "true" => true,
        Value::String(s) if s == "false" => false,
        _ => return Err(RrError::bad_request("Status must be true or false")),
    };
    let explanation = comment.unwrap_or(&edit.comment);
    if explanation.trim().chars().count() < 3 {
        return Err(RrError::bad_request(
            "A comment of at least 3 characters is required",
        ));
    }
    run_or_404(registry, run_number)?;
    let edit_of = RangeChange {
        target: Target::OmsLs,
        run_number,
        dataset,
        key: bit,
        value: Value::Bool(value),
    };
    record_range_edit(registry, actor, &edit_of, edit, Some(explanation))
}

/// One key of one dataset's LS set to one value.
struct RangeChange<'a> {
    target: Target,
    run_number: u64,
    dataset: &'a str,
    key: &'a str,
    value: Value,
}

/// Records the LS of the edit range whose value actually changes (as ranges) and returns the event.
fn record_range_edit(
    registry: &Registry,
    actor: &Actor,
    change: &RangeChange,
    edit: &RangeEdit,
    comment: Option<&str>,
) -> RrResult<Value> {
    let (run_number, dataset) = (change.run_number, change.dataset);
    let current = registry.dataset(run_number, dataset)?.ok_or_else(|| {
        RrError::not_found(format!("Dataset {dataset} of run {run_number} not found"))
    })?;
    let columns = if change.target == Target::RrLs {
        &current.rr
    } else {
        &current.oms
    };
    let spans = columns.get(change.key).map(Vec::as_slice).unwrap_or(&[]);
    let mut event = Event::new(change.target, run_number, dataset);
    for ls in edit.start..=edit.end {
        if crate::ranges::value_at(spans, ls) == Some(&change.value) {
            continue;
        }
        match event.ranges.last_mut() {
            Some(LsChange { end, .. }) if *end + 1 == ls => *end = ls,
            _ => event.ranges.push(LsChange {
                start: ls,
                end: ls,
                values: Map::from_iter([(change.key.to_owned(), change.value.clone())]),
            }),
        }
    }
    let ranges = event.ranges.clone();
    let builtin = format!(
        "edit of {} in lumisections {}-{} of run {run_number} {dataset}",
        change.key, edit.start, edit.end
    );
    let version = registry.record(actor, &comment_text(&builtin, comment), vec![event])?;
    Ok(
        json!({"atomic_version": version.atomic_version, "version": version.events.first(),
              "run_number": run_number, "name": dataset, "ranges": ranges}),
    )
}

/// `POST /runs/move_run/:from_state/:to_state`. `offline_datasets` are created (state `waiting dqm gui`,
/// RR LS copied from online) on a move to SIGNOFF or COMPLETED, when they do not exist yet.
pub fn move_run(
    registry: &Registry,
    actor: &Actor,
    run_number: u64,
    from: &str,
    to: &str,
    offline_datasets: &[String],
    comment: Option<&str>,
) -> RrResult<Value> {
    if !RUN_STATES.contains(&to) || !RUN_STATES.contains(&from) {
        return Err(RrError::bad_request(format!("Unknown run state {to}")));
    }
    let run = run_or_404(registry, run_number)?;
    let current = state_of(&run);
    if current != from {
        return Err(RrError::conflict(format!(
            "Run {run_number} is {current}, not {from}"
        )));
    }
    if current == to {
        return Err(RrError::bad_request(format!(
            "Run {run_number} is already {to}"
        )));
    }
    if run
        .rr_attributes
        .get("class")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        return Err(RrError::bad_request(
            "The class of the run must not be empty",
        ));
    }
    let online = registry.dataset(run_number, ONLINE)?;
    let lumisections = online
        .as_ref()
        .map(|d| d.rr_lumisections())
        .unwrap_or_default();
    if lumisections.is_empty() {
        return Err(RrError::bad_request(format!(
            "Run {run_number} has no lumisections"
        )));
    }
    for component in crate::model::CERTIFIABLE_ONLINE {
        for (i, ls) in lumisections.iter().enumerate() {
            let status = ls
                .get(*component)
                .and_then(|t| t.get("status"))
                .and_then(Value::as_str);
            if let None | Some("" | "EMPTY" | "NO VALUE FOUND") = status {
                let shown = status
                    .filter(|s| !s.is_empty() && *s != "EMPTY")
                    .unwrap_or("empty");
                return Err(RrError::bad_request(format!(
                    "There is a {shown} lumisection at position {} of this run in component {component}. Please change this lumisection before moving the run.",
                    i + 1
                )));
            }
        }
    }
    let mut event = Event::new(Target::Run, run_number, "");
    event.rr_metadata.insert("state".into(), json!(to));
    let mut events = vec![event];
    if to != "OPEN" {
        let existing = registry.dataset_names(run_number)?;
        for name in offline_datasets.iter().filter(|n| !existing.contains(n)) {
            ingest::validate_dataset_name(name).map_err(RrError::bad_request)?;
            let mut attributes =
                Map::from_iter([("global_state".to_string(), json!(WAITING_DQM_GUI))]);
            for workspace in workspaces() {
                attributes.insert(format!("{workspace}_state"), json!(WAITING_DQM_GUI));
            }
            let input = DatasetInput {
                name: name.clone(),
                dataset_attributes: attributes,
                rr_lumisections: lumisections.clone(),
                ..Default::default()
            };
            events.extend(dataset_events(registry, actor, run_number, &input)?);
        }
    }
    let version = registry.record(
        actor,
        &comment_text(&format!("move run from {from} to {to}"), comment),
        events,
    )?;
    Ok(json!({"run_number": run_number, "state": to, "atomic_version": version.atomic_version}))
}

/// The offline workspaces (the part before `-` of the offline components).
fn workspaces() -> Vec<&'static str> {
    let mut names: Vec<&str> = CERTIFIABLE_OFFLINE
        .iter()
        .filter_map(|c| c.split('-').next())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// `PUT /manual_run_edit/:run/:attribute`: changes exactly `attribute` of `rr_attributes`, only while OPEN.
/// The body is either `{attribute: value}` or the bare value.
pub fn manual_run_edit(
    registry: &Registry,
    actor: &Actor,
    run_number: u64,
    attribute: &str,
    body: &Value,
    comment: Option<&str>,
) -> RrResult<Value> {
    if !matches!(attribute, "class" | "stop_reason" | "significant") {
        return Err(RrError::bad_request(format!(
            "Attribute {attribute} cannot be edited"
        )));
    }
    let run = run_or_404(registry, run_number)?;
    if state_of(&run) != "OPEN" {
        return Err(RrError::bad_request(
            "Run attributes can only be edited while the run is OPEN",
        ));
    }
    let value = body.get(attribute).cloned().unwrap_or_else(|| body.clone());
    let wanted = Map::from_iter([(attribute.to_owned(), value)]);
    ingest::validate_rr_attributes(&wanted).map_err(RrError::bad_request)?;
    let mut event = Event::new(Target::Run, run_number, "");
    event.rr_metadata = ingest::changed(&run.rr_attributes, &wanted);
    let version = registry.record(
        actor,
        &comment_text(&format!("manual edit of {attribute}"), comment),
        vec![event],
    )?;
    let run = run_or_404(registry, run_number)?;
    Ok(
        json!({"run_number": run_number, "rr_attributes": run.rr_attributes, "oms_attributes": run.oms_attributes,
              "version": run.version, "atomic_version": version.atomic_version}),
    )
}

/// `PUT /automatic_run_update/:run` and `POST /runs` (cron): OMS attribute changes count only when the
/// incoming `end_time` is set, OMS LS only when the stored `end_time` is set or RR LS change while OPEN;
/// RR changes to a run that is not OPEN are refused with 409 (§7a). `None`: nothing changed (204).
pub fn automatic_run_update(
    registry: &Registry,
    actor: &Actor,
    mut input: RunInput,
    comment: &str,
) -> RrResult<Option<Value>> {
    let stored = registry.run(input.run_number)?;
    if let Some(run) = &stored {
        let incoming_ended = input
            .oms_attributes
            .get("end_time")
            .is_some_and(|v| !v.is_null());
        if !incoming_ended {
            input.oms_attributes.clear();
        }
        let stored_ended = run
            .oms_attributes
            .get("end_time")
            .is_some_and(|v| !v.is_null());
        let open = state_of(run) == "OPEN";
        if !stored_ended && (!open || input.rr_lumisections.is_empty()) {
            input.oms_lumisections.clear();
        }
    }
    let run_number = input.run_number;
    let report = ingest::ingest(registry, actor, comment, vec![input])?;
    if report.atomic_version.is_none() {
        return Ok(None);
    }
    let run = run_or_404(registry, run_number)?;
    Ok(Some(serde_json::to_value(run)?))
}
