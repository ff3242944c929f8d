//! The audit trail per run, dataset and LS range, and explicit revert as a compensating version.

use crate::error::{RrError, RrResult};
use crate::model::{empty_triplet, Actor, Event, LsChange, Target};
use crate::ranges::{diff_lumisections, to_ranges};
use crate::state::{fold_run, LsColumns};
use crate::store::{Registry, ONLINE};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `GET /run_with_history/:run`: the run's events in version order, each flattened with its version's
/// `by`, `comment` and `createdAt`.
pub fn run_with_history(registry: &Registry, run_number: u64) -> RrResult<Value> {
    let events = registry.entity_events(Target::Run, run_number, "")?;
    if events.is_empty() {
        return Err(RrError::not_found(format!("Run {run_number} not found")));
    }
    flattened(registry, &events, |event, row| {
        row.extend(event.oms_metadata.clone());
        row.extend(event.rr_metadata.clone());
    })
}

/// The dataset's attribute events in version order, flattened like the run history.
pub fn dataset_history(registry: &Registry, run_number: u64, name: &str) -> RrResult<Value> {
    let events = registry.entity_events(Target::Dataset, run_number, name)?;
    flattened(registry, &events, |event, row| {
        row.extend(event.dataset_metadata.clone());
        row.insert("name".into(), json!(event.name));
        row.insert("datasets_in_gui".into(), json!(event.datasets_in_gui));
    })
}

fn flattened(
    registry: &Registry,
    events: &[Event],
    fill: impl Fn(&Event, &mut Map<String, Value>),
) -> RrResult<Value> {
    let versions = registry.versions_of(events)?;
    let rows = events.iter().map(|event| {
        let mut row = Map::new();
        fill(event, &mut row);
        let version = versions.get(&event.atomic_version);
        row.insert("run_number".into(), json!(event.run_number));
        row.insert("version".into(), json!(event.version));
        row.insert("atomic_version".into(), json!(event.atomic_version));
        row.insert("manual_change".into(), json!(event.manual_change));
        row.insert("deleted".into(), json!(event.deleted.unwrap_or(false)));
        row.insert("by".into(), json!(version.map(|v| v.by.as_str())));
        row.insert("comment".into(), json!(version.map(|v| v.comment.as_str())));
        row.insert(
            "createdAt".into(),
            json!(version.map(|v| v.created_at.as_str())),
        );
        Value::Object(row)
    });
    Ok(Value::Array(rows.collect()))
}

/// `get_rr_lumisection_history` / `get_oms_lumisection_history`: one row per event and contiguous LS
/// range, ordered by `manual_change, version`.
pub fn lumisection_history(
    registry: &Registry,
    target: Target,
    run_number: u64,
    name: &str,
) -> RrResult<Value> {
    let mut events = registry.entity_events(target, run_number, name)?;
    events.sort_by_key(|e| (e.manual_change, e.version));
    let versions = registry.versions_of(&events)?;
    let mut rows = Vec::new();
    for event in &events {
        let version = versions.get(&event.atomic_version);
        for change in &event.ranges {
            rows.push(json!({"version": event.version, "atomic_version": event.atomic_version,
                "manual_change": event.manual_change, "run_number": event.run_number, "name": event.name,
                "start": change.start, "end": change.end, "by": version.map(|v| v.by.as_str()),
                "comment": version.map(|v| v.comment.as_str()), "createdAt": version.map(|v| v.created_at.as_str()),
                "jsonb": change.values}));
        }
    }
    Ok(Value::Array(rows))
}

/// `POST /versions/revert`: one new Version by `actor` whose manual events set, for every attribute
/// version `atomic_version` set, the value the state would have without that version's events.
pub fn revert(
    registry: &Registry,
    actor: &Actor,
    atomic_version: i64,
    comment: &str,
) -> RrResult<Value> {
    if comment.trim().is_empty() {
        return Err(RrError::bad_request(
            "A comment is required to revert a version",
        ));
    }
    let version = registry
        .version(atomic_version)?
        .ok_or_else(|| RrError::not_found(format!("Version {atomic_version} not found")))?;
    let mut reverted: BTreeMap<(Target, u64, String), Vec<Event>> = BTreeMap::new();
    for id in &version.events {
        if let Some(event) = registry.event(*id)? {
            reverted
                .entry((event.target, event.run_number, event.name.clone()))
                .or_default()
                .push(event);
        }
    }
    let mut compensations = Vec::new();
    for ((target, run_number, name), undone) in &reverted {
        let mut all = registry.entity_events(*target, *run_number, name)?;
        if *target == Target::OmsLs && name != ONLINE {
            all.extend(registry.entity_events(Target::OmsLs, *run_number, ONLINE)?);
        }
        let without: Vec<Event> = all
            .iter()
            .filter(|e| e.atomic_version != atomic_version)
            .cloned()
            .collect();
        let mut event = Event::new(*target, *run_number, name);
        match target {
            Target::Run => {
                let (now, before) = (fold_run(*run_number, &all), fold_run(*run_number, &without));
                for e in undone {
                    compensate(
                        &mut event.oms_metadata,
                        &e.oms_metadata,
                        &now.oms_attributes,
                        &before.oms_attributes,
                    );
                    compensate(
                        &mut event.rr_metadata,
                        &e.rr_metadata,
                        &now.rr_attributes,
                        &before.rr_attributes,
                    );
                    if e.deleted.is_some() && now.deleted != before.deleted {
                        event.deleted = Some(before.deleted);
                    }
                }
            }
            Target::Dataset => {
                let attrs = |events: &[Event]| {
                    let mut m = Map::new();
                    crate::state::ordered(events, false)
                        .into_iter()
                        .for_each(|e| m.extend(e.dataset_metadata.clone()));
                    m
                };
                let (now, before) = (attrs(&all), attrs(&without));
                for e in undone {
                    compensate(
                        &mut event.dataset_metadata,
                        &e.dataset_metadata,
                        &now,
                        &before,
                    );
                }
            }
            Target::RrLs | Target::OmsLs => {
                let manual_priority = *target == Target::RrLs;
                let (now, before) = (
                    LsColumns::fold(&all, manual_priority),
                    LsColumns::fold(&without, manual_priority),
                );
                let absent = if manual_priority {
                    empty_triplet()
                } else {
                    Value::Null
                };
                event.ranges = compensate_ls(undone, &now, &before, &absent)?;
            }
        }
        compensations.push(event);
    }
    let reason = format!("revert of version {atomic_version}: {comment}");
    let new = registry.record_with(actor, &reason, compensations, true)?;
    Ok(
        json!({"atomic_version": new.atomic_version, "reverted": atomic_version, "events": new.events.len()}),
    )
}

fn compensate(
    out: &mut Map<String, Value>,
    set_by_version: &Map<String, Value>,
    now: &Map<String, Value>,
    before: &Map<String, Value>,
) {
    for key in set_by_version.keys() {
        let (current, previous) = (now.get(key), before.get(key));
        if current != previous {
            out.insert(key.clone(), previous.cloned().unwrap_or(Value::Null));
        }
    }
}

fn compensate_ls(
    undone: &[Event],
    now: &LsColumns,
    before: &LsColumns,
    absent: &Value,
) -> RrResult<Vec<LsChange>> {
    let touched = to_ranges(
        undone
            .iter()
            .flat_map(|e| e.ranges.iter().flat_map(|c| c.start..=c.end)),
    );
    let last = touched.last().map_or(0, |r| r[1]) as usize;
    let mut per_ls = vec![Map::new(); last];
    for e in undone {
        for change in &e.ranges {
            for ls in change.start as usize..=change.end as usize {
                for key in change.values.keys() {
                    let previous = before.get(key, ls as u32);
                    if now.get(key, ls as u32) != previous {
                        per_ls[ls - 1].insert(
                            key.clone(),
                            previous.cloned().unwrap_or_else(|| absent.clone()),
                        );
                    }
                }
            }
        }
    }
    diff_lumisections(&[], &per_ls)
}
