//! The json_portal job model (§6.4): job records, statuses and complete results in the KV.
//!
//! A job small enough may be run right after submission (the component does that), yet the polling API
//! behaves as documented: 203 queued, 202 running with progress, 200 with the saved row, 500 failed,
//! 404 unknown. The result row is written once, complete, before the job is marked saved.

use crate::error::{RrError, RrResult};
use crate::golden::{generate, matching_datasets};
use crate::keys;
use crate::model::{now_iso, Actor};
use crate::store::Registry;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A job is retried up to this many attempts before it is failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// How many of the newest jobs a `jsons` listing looks at (bounds the reads as jobs accumulate).
const MAX_SCANNED_JOBS: i64 = 1000;

/// Saved rows returned by one `jsons` listing.
const LIST_LIMIT: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Waiting,
    Active,
    Saved,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub data: JobData,
    pub status: Status,
    pub progress: f64,
    pub attempts: u32,
    #[serde(
        rename = "failedReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_reason: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobData {
    pub dataset_name_filter: String,
    /// The rule as the submitter sent it (a JSON string).
    pub json_logic: String,
    pub created_by: String,
    pub tags: String,
    pub official: bool,
}

/// The experts' e-group: may delete anybody's JSON.
pub const EXPERTS: &str = "cms-dqm-runregistry-experts";

fn load(registry: &Registry, id: i64) -> RrResult<Option<Job>> {
    match registry.store.get(&keys::job(id))? {
        Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        None => Ok(None),
    }
}

fn save(registry: &Registry, job: &Job) -> RrResult<()> {
    Ok(registry
        .store
        .set(&keys::job(job.id), &serde_json::to_vec(job)?)?)
}

fn parse_rule(text: &str) -> RrResult<Value> {
    let rule: Value = serde_json::from_str(text)
        .map_err(|_| RrError::bad_request("JSON logic sent is not in json format"))?;
    match &rule {
        Value::Object(map) if map.is_empty() => Err(RrError::bad_request("Empty json logic sent")),
        Value::Object(_) => {
            jsonlogic::validate(&rule).map_err(|e| RrError::bad_request(e.to_string()))?;
            Ok(rule)
        }
        _ => Err(RrError::bad_request(
            "JSON logic sent is not in json format",
        )),
    }
}

/// `POST /json_portal/generate`: validates and queues a job; returns the job JSON.
pub fn submit(registry: &Registry, actor: &Actor, body: &Value) -> RrResult<Value> {
    let json_logic = match body.get("json_logic") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(_)) => body["json_logic"].to_string(),
        _ => {
            return Err(RrError::bad_request(
                "JSON logic sent is not in json format",
            ))
        }
    };
    parse_rule(&json_logic)?;
    let filter = body
        .get("dataset_name_filter")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty());
    let filter = filter.ok_or_else(|| RrError::bad_request("No dataset name specified"))?;
    if matching_datasets(registry, filter)?.is_empty() {
        return Err(RrError::bad_request(
            "No datasets matched that dataset name",
        ));
    }
    let id = registry.store.increment(keys::JOB_COUNTER, 1)?;
    let job = Job {
        id,
        data: JobData {
            dataset_name_filter: filter.to_owned(),
            json_logic,
            created_by: actor.email.clone(),
            tags: body
                .get("tags")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            official: body
                .get("official")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        status: Status::Waiting,
        progress: 0.0,
        attempts: 0,
        failed_reason: None,
        created_at: now_iso(),
    };
    save(registry, &job)?;
    Ok(serde_json::to_value(&job)?)
}

/// Runs a queued job to completion (up to [`MAX_ATTEMPTS`]); a saved job is left alone.
pub fn run(registry: &Registry, id: i64) -> RrResult<Status> {
    let mut job = load(registry, id)?.ok_or_else(|| RrError::not_found("JSON not found"))?;
    while matches!(job.status, Status::Waiting | Status::Active) && job.attempts < MAX_ATTEMPTS {
        job.status = Status::Active;
        job.attempts += 1;
        save(registry, &job)?;
        match attempt(registry, &mut job) {
            Ok(row) => {
                registry
                    .store
                    .set(&keys::generated(id), &serde_json::to_vec(&row)?)?;
                job.status = Status::Saved;
                job.progress = 1.0;
                job.failed_reason = None;
            }
            Err(e) => {
                job.failed_reason = Some(e.message().to_owned());
                job.status = if job.attempts >= MAX_ATTEMPTS || e.status < 500 {
                    Status::Failed
                } else {
                    Status::Waiting
                };
            }
        }
        save(registry, &job)?;
    }
    Ok(job.status)
}

fn attempt(registry: &Registry, job: &mut Job) -> RrResult<Value> {
    let rule = parse_rule(&job.data.json_logic)?;
    let mut last_saved = 0.0;
    let mut row = {
        let job_for_progress = &mut *job;
        generate(
            registry,
            &rule,
            &job_for_progress.data.dataset_name_filter.clone(),
            &mut |p| {
                // Progress is written in steps of 5 % so polling sees it move without a write per dataset.
                if p - last_saved >= 0.05 && p < 1.0 {
                    last_saved = p;
                    job_for_progress.progress = p;
                    let _ = save(registry, job_for_progress);
                }
            },
        )?
    };
    let now = now_iso();
    row.insert("id".into(), json!(job.id));
    row.insert("tags".into(), json!(job.data.tags));
    row.insert("created_by".into(), json!(job.data.created_by));
    row.insert("official".into(), json!(job.data.official));
    row.insert("deleted".into(), json!(false));
    row.insert("createdAt".into(), json!(now));
    row.insert("updatedAt".into(), json!(now));
    Ok(Value::Object(row))
}

fn saved_row(registry: &Registry, id: i64) -> RrResult<Option<Value>> {
    match registry.store.get(&keys::generated(id))? {
        Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        None => Ok(None),
    }
}

/// `POST /json_portal/json`: (status, body) as the pip client expects.
pub fn poll(registry: &Registry, id: i64) -> RrResult<(u16, Option<Value>)> {
    let job = load(registry, id)?.ok_or_else(|| RrError::not_found("JSON not found"))?;
    Ok(match job.status {
        Status::Waiting => (203, None),
        Status::Active => (202, Some(json!({"progress": job.progress.clamp(0.0, 1.0)}))),
        Status::Failed => (500, None),
        Status::Saved => match saved_row(registry, id)? {
            Some(row) if row["deleted"] != json!(true) => (200, Some(json!({"final_json": row}))),
            _ => return Err(RrError::not_found("JSON not found")),
        },
    })
}

/// `POST /json_portal/jsons`: failed, waiting and active queue entries, then saved rows (id DESC, at most 10).
/// `filter` is `by_email` (with `email`), `official` or `all`; with `reference`, only saved rows below it.
pub fn list(
    registry: &Registry,
    filter: &str,
    reference: Option<i64>,
    email: Option<&str>,
) -> RrResult<Value> {
    let keep = |created_by: &str, official: bool| match filter {
        "by_email" => email == Some(created_by),
        "official" => official,
        _ => true,
    };
    let last = registry.store.increment(keys::JOB_COUNTER, 0)?;
    let mut queue: [Vec<Value>; 3] = Default::default(); // failed, waiting, active
    let mut saved = Vec::new();
    for id in (1.max(last - MAX_SCANNED_JOBS + 1)..=last).rev() {
        let Some(job) = load(registry, id)? else {
            continue;
        };
        if !keep(&job.data.created_by, job.data.official) {
            continue;
        }
        if job.status == Status::Saved {
            if saved.len() < LIST_LIMIT && reference.is_none_or(|r| id < r) {
                if let Some(mut row) =
                    saved_row(registry, id)?.filter(|r| r["deleted"] != json!(true))
                {
                    for (k, v) in [
                        ("progress", json!(1)),
                        ("active", json!(false)),
                        ("waiting", json!(false)),
                        ("failed", json!(false)),
                    ] {
                        row[k] = v;
                    }
                    saved.push(row);
                }
            }
            continue;
        }
        if reference.is_some() {
            continue;
        }
        let mut entry = serde_json::to_value(&job.data)?;
        entry["id"] = json!(id);
        entry["progress"] = json!(job.progress);
        entry["active"] = json!(job.status == Status::Active);
        entry["waiting"] = json!(job.status == Status::Waiting);
        entry["failed"] = json!(job.status == Status::Failed);
        if let Some(reason) = &job.failed_reason {
            entry["failedReason"] = json!(reason);
        }
        let slot = match job.status {
            Status::Failed => 0,
            Status::Waiting => 1,
            _ => 2,
        };
        queue[slot].push(entry);
    }
    let jsons: Vec<Value> = queue.into_iter().flatten().chain(saved).collect();
    Ok(json!({"jsons": jsons}))
}

/// `DELETE /json_portal/json`: soft delete by the creator or an expert.
pub fn delete(registry: &Registry, id: i64, actor: &Actor, egroups: &[String]) -> RrResult<Value> {
    let mut row = saved_row(registry, id)?
        .filter(|r| r["deleted"] != json!(true))
        .ok_or_else(|| RrError::not_found("JSON not found"))?;
    let is_creator = row["created_by"].as_str() == Some(actor.email.as_str());
    if !is_creator && !egroups.iter().any(|g| g == EXPERTS) {
        return Err(RrError {
            status: 403,
            body: json!({"err": "Only the creator of a JSON or an expert can delete it"}),
        });
    }
    row["deleted"] = json!(true);
    row["updatedAt"] = json!(now_iso());
    registry
        .store
        .set(&keys::generated(id), &serde_json::to_vec(&row)?)?;
    Ok(json!({"deleted_json": row}))
}

/// Runs every waiting job (for a scheduled worker); returns how many were run.
pub fn run_waiting(registry: &Registry) -> RrResult<usize> {
    let last = registry.store.increment(keys::JOB_COUNTER, 0)?;
    let mut count = 0;
    for id in 1..=last {
        if load(registry, id)?.is_some_and(|j| j.status == Status::Waiting) {
            run(registry, id)?;
            count += 1;
        }
    }
    Ok(count)
}
