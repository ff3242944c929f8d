//! The HTTP surface as plain data: route table, auth per route, JSON in and out. The Spin component
//! only converts its request to [`Request`] and the [`Response`] back, so all of this is tested natively.
//! Paths are relative to the `/rr/api` mount (`/runs_filtered_ordered`, …).

use crate::auth::{AuthConfig, Identity};
use crate::error::{RrError, RrResult};
use crate::history;
use crate::ingest::{ingest, RunInput};
use crate::jobs;
use crate::listing;
use crate::lumisections as ls;
use crate::model::{Actor, Target};
use crate::runs::{self, RangeEdit};
use crate::store::{Registry, ONLINE};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads: anyone.
    Public,
    /// Needs an identity (401 without), no e-group.
    Identified,
    /// Needs an identity and a permission row matching method and path (401 / 403).
    Write,
}

/// The route table: method, pattern (`:name` captures one segment), access. The one place routes are listed.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/whoami", Access::Public),
    ("GET", "/runs/:run", Access::Public),
    ("GET", "/runs_lastupdated_50", Access::Public),
    ("GET", "/get_all_dataset_names_of_run/:run", Access::Public),
    ("GET", "/run_with_history/:run", Access::Public),
    ("POST", "/runs_filtered_ordered", Access::Public),
    ("POST", "/datasets_filtered_ordered", Access::Public),
    ("POST", "/lumisections/rr_lumisections", Access::Public),
    ("POST", "/lumisections/oms_lumisections", Access::Public),
    (
        "POST",
        "/lumisections/rr_lumisection_ranges",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/oms_lumisection_ranges",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/joint_lumisection_ranges",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/rr_lumisection_ranges_by_component",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/oms_lumisection_ranges_by_dcs_bit",
        Access::Public,
    ),
    ("POST", "/lumisections/get_data_of_json", Access::Public),
    (
        "POST",
        "/lumisections/get_luminosity_of_json_with_dataset_names",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/get_rr_lumisection_history",
        Access::Public,
    ),
    (
        "POST",
        "/lumisections/get_oms_lumisection_history",
        Access::Public,
    ),
    ("POST", "/datasets/get_dataset_history", Access::Public),
    ("POST", "/versions/get_versions", Access::Public),
    ("POST", "/json_portal/json", Access::Public),
    ("POST", "/json_portal/generate", Access::Identified),
    ("POST", "/json_portal/jsons", Access::Identified),
    ("DELETE", "/json_portal/json", Access::Identified),
    ("POST", "/versions/revert", Access::Write),
    ("PUT", "/lumisections/edit_rr_lumisections", Access::Write),
    ("PUT", "/lumisections/edit_oms_lumisections", Access::Write),
    ("POST", "/runs/move_run/:from/:to", Access::Write),
    ("PUT", "/manual_run_edit/:run/:attribute", Access::Write),
    ("POST", "/runs", Access::Write),
    ("PUT", "/automatic_run_update/:run", Access::Write),
    ("POST", "/ingest", Access::Write),
];

/// A request as the library sees it; header names are lower-case.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a dyn Fn(&str) -> Option<String>,
    pub body: &'a [u8],
}

/// Status and optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Option<Value>,
}

impl From<RrError> for Response {
    fn from(e: RrError) -> Self {
        Response {
            status: e.status,
            body: Some(e.body),
        }
    }
}

fn ok(body: Value) -> RrResult<Response> {
    Ok(Response {
        status: 200,
        body: Some(body),
    })
}

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 << 20;

/// The API over one store.
pub struct Api<'a> {
    pub registry: Registry<'a>,
    pub auth: &'a AuthConfig,
    /// Run json_portal jobs inside the submitting request (the component's choice: no background worker).
    pub inline_jobs: bool,
}

/// Matches a path against a pattern; returns the captures in order.
fn match_route<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let (mut pattern_steps, mut path_steps) =
        (pattern.split('/'), path.trim_end_matches('/').split('/'));
    let mut captures = Vec::new();
    loop {
        match (pattern_steps.next(), path_steps.next()) {
            (None, None) => return Some(captures),
            (Some(p), Some(s)) if p.starts_with(':') && !s.is_empty() => captures.push(s),
            (Some(p), Some(s)) if p == s => {}
            _ => return None,
        }
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> RrResult<T> {
    let text = if body.is_empty() { &b"{}"[..] } else { body };
    serde_json::from_slice(text)
        .map_err(|e| RrError::bad_request(format!("Invalid JSON body: {e}")))
}

fn run_number(text: &str) -> RrResult<u64> {
    text.parse()
        .map_err(|_| RrError::bad_request(format!("{text} is not a run number")))
}

fn field_run(body: &Value) -> RrResult<u64> {
    body.get("run_number")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or_else(|| RrError::bad_request("run_number is required"))
}

fn field_dataset(body: &Value, default: Option<&str>) -> RrResult<String> {
    match body.get("dataset_name").and_then(Value::as_str) {
        Some(name) => Ok(name.to_owned()),
        None => default
            .map(str::to_owned)
            .ok_or_else(|| RrError::bad_request("dataset_name is required")),
    }
}

fn user_comment(body: &Value) -> Option<&str> {
    body.get("comment").and_then(Value::as_str)
}

impl Api<'_> {
    pub fn handle(&self, request: &Request) -> Response {
        self.dispatch(request).unwrap_or_else(Response::from)
    }

    fn dispatch(&self, request: &Request) -> RrResult<Response> {
        if request.body.len() > MAX_BODY {
            return Err(RrError {
                status: 413,
                body: json!({"err": "Request body too large"}),
            });
        }
        let method = request.method.to_ascii_uppercase();
        let mut path_known = false;
        for (route_method, pattern, access) in ROUTES {
            let Some(captures) = match_route(pattern, request.path) else {
                continue;
            };
            path_known = true;
            if *route_method != method {
                continue;
            }
            let identity = self.auth.identify(request.headers);
            let actor = match access {
                Access::Public => None,
                Access::Identified => match &identity {
                    Identity::Anonymous => {
                        return Err(RrError::unauthorized(
                            "You must be logged in to use the JSON portal",
                        ))
                    }
                    Identity::Service => Some(Actor::service()),
                    Identity::User { email, .. } => Some(Actor::user(email)),
                },
                Access::Write => Some(self.auth.authorize(&identity, &method, request.path)?),
            };
            let egroups = match &identity {
                Identity::User { egroups, .. } => egroups.clone(),
                _ => Vec::new(),
            };
            if *pattern == "/whoami" {
                return ok(self.whoami(&identity));
            }
            let header_comment = (request.headers)("comment").unwrap_or_default();
            return self.route(
                &method,
                pattern,
                &captures,
                request.body,
                actor.as_ref(),
                &egroups,
                &header_comment,
            );
        }
        if path_known {
            return Err(RrError {
                status: 405,
                body: json!({"err": format!("{method} is not allowed on {}", request.path)}),
            });
        }
        Err(RrError::not_found(format!("No route {}", request.path)))
    }

    /// Who the request is from as the API sees it, and whether they may edit flags and revert: the pages
    /// show it beside the edit forms (the server still checks every write).
    fn whoami(&self, identity: &Identity) -> Value {
        let may = |method: &str, path: &str| self.auth.authorize(identity, method, path).is_ok();
        let (email, egroups) = match identity {
            Identity::User { email, egroups } => (json!(email), json!(egroups)),
            Identity::Service => (json!(Actor::service().email), json!([])),
            Identity::Anonymous => (Value::Null, json!([])),
        };
        json!({"email": email, "egroups": egroups,
               "can_edit": may("PUT", "/lumisections/edit_rr_lumisections"),
               "can_revert": may("POST", "/versions/revert")})
    }

    #[allow(clippy::too_many_arguments)]
    fn route(
        &self,
        method: &str,
        pattern: &str,
        captures: &[&str],
        raw: &[u8],
        actor: Option<&Actor>,
        egroups: &[String],
        header_comment: &str,
    ) -> RrResult<Response> {
        let r = &self.registry;
        let actor = || actor.ok_or_else(|| RrError::unauthorized("Identity required"));
        let body: Value = if method == "GET" {
            Value::Null
        } else {
            parse(raw)?
        };
        let run_and_dataset = |default: Option<&str>| -> RrResult<(u64, String)> {
            Ok((field_run(&body)?, field_dataset(&body, default)?))
        };
        match pattern {
            "/runs/:run" => ok(ls::run(r, run_number(captures[0])?)?),
            "/runs_lastupdated_50" => ok(ls::runs_last_updated(r)?),
            "/get_all_dataset_names_of_run/:run" => {
                ok(ls::dataset_names(r, run_number(captures[0])?)?)
            }
            "/run_with_history/:run" => ok(history::run_with_history(r, run_number(captures[0])?)?),
            "/runs_filtered_ordered" => ok(listing::runs_filtered_ordered(r, &body)?),
            "/datasets_filtered_ordered" => ok(listing::datasets_filtered_ordered(r, &body)?),
            "/lumisections/rr_lumisections" => {
                let (run, name) = run_and_dataset(None)?;
                ok(ls::rr_lumisections(r, run, &name)?)
            }
            "/lumisections/oms_lumisections" => {
                let (run, name) = run_and_dataset(Some(ONLINE))?;
                ok(ls::oms_lumisections(r, run, &name)?)
            }
            "/lumisections/rr_lumisection_ranges" => {
                let (run, name) = run_and_dataset(None)?;
                ok(ls::rr_lumisection_ranges(r, run, &name)?)
            }
            "/lumisections/oms_lumisection_ranges" => {
                let (run, name) = run_and_dataset(Some(ONLINE))?;
                ok(ls::oms_lumisection_ranges(r, run, &name)?)
            }
            "/lumisections/joint_lumisection_ranges" => {
                let (run, name) = run_and_dataset(None)?;
                ok(ls::joint_lumisection_ranges(r, run, &name)?)
            }
            "/lumisections/rr_lumisection_ranges_by_component" => {
                let (run, name) = run_and_dataset(None)?;
                ok(ls::rr_lumisection_ranges_by_component(r, run, &name)?)
            }
            "/lumisections/oms_lumisection_ranges_by_dcs_bit" => {
                let (run, name) = run_and_dataset(Some(ONLINE))?;
                ok(ls::oms_lumisection_ranges_by_dcs_bit(r, run, &name)?)
            }
            "/lumisections/get_data_of_json" => ok(ls::get_data_of_json(r, &body)?),
            "/lumisections/get_luminosity_of_json_with_dataset_names" => {
                ok(ls::luminosity_of_json(r, &body)?)
            }
            "/lumisections/get_rr_lumisection_history" => {
                let (run, name) = run_and_dataset(None)?;
                ok(history::lumisection_history(r, Target::RrLs, run, &name)?)
            }
            "/lumisections/get_oms_lumisection_history" => {
                let (run, name) = run_and_dataset(Some(ONLINE))?;
                ok(history::lumisection_history(r, Target::OmsLs, run, &name)?)
            }
            "/datasets/get_dataset_history" => {
                let (run, name) = run_and_dataset(None)?;
                ok(history::dataset_history(r, run, &name)?)
            }
            "/versions/get_versions" => {
                let number =
                    |k: &str, d: u64| body.get(k).and_then(Value::as_u64).unwrap_or(d) as usize;
                ok(r.versions_page(number("page", 0), number("page_size", 20))?)
            }
            "/versions/revert" => {
                let version = body
                    .get("atomic_version")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| RrError::bad_request("atomic_version is required"))?;
                ok(history::revert(
                    r,
                    actor()?,
                    version,
                    user_comment(&body).unwrap_or(""),
                )?)
            }
            "/lumisections/edit_rr_lumisections" | "/lumisections/edit_oms_lumisections" => {
                let (run, name) = run_and_dataset(None)?;
                let component = body
                    .get("component")
                    .and_then(Value::as_str)
                    .ok_or_else(|| RrError::bad_request("component is required"))?;
                let edit: RangeEdit = serde_json::from_value(
                    body.get("new_lumisection_range")
                        .cloned()
                        .unwrap_or(Value::Null),
                )
                .map_err(|_| {
                    RrError::bad_request(
                        "new_lumisection_range must be {start, end, status, comment?, cause?}",
                    )
                })?;
                if pattern.ends_with("rr_lumisections") {
                    ok(runs::edit_rr_lumisections(
                        r,
                        actor()?,
                        run,
                        &name,
                        component,
                        &edit,
                        user_comment(&body),
                    )?)
                } else {
                    ok(runs::edit_oms_lumisections(
                        r,
                        actor()?,
                        run,
                        &name,
                        component,
                        &edit,
                        user_comment(&body),
                    )?)
                }
            }
            "/runs/move_run/:from/:to" => {
                let offline: Vec<String> = serde_json::from_value(
                    body.get("offline_datasets").cloned().unwrap_or(json!([])),
                )
                .map_err(|_| RrError::bad_request("offline_datasets must be a list of names"))?;
                ok(runs::move_run(
                    r,
                    actor()?,
                    field_run(&body)?,
                    captures[0],
                    captures[1],
                    &offline,
                    user_comment(&body),
                )?)
            }
            "/manual_run_edit/:run/:attribute" => ok(runs::manual_run_edit(
                r,
                actor()?,
                run_number(captures[0])?,
                captures[1],
                &body,
                user_comment(&body),
            )?),
            "/runs" | "/automatic_run_update/:run" => {
                let mut input: RunInput = serde_json::from_value(strip_version(body))
                    .map_err(|e| RrError::bad_request(format!("Invalid run: {e}")))?;
                if let Some(run) = captures.first() {
                    input.run_number = run_number(run)?;
                }
                match runs::automatic_run_update(r, actor()?, input, header_comment)? {
                    Some(run) => ok(run),
                    None => Ok(Response {
                        status: 204,
                        body: None,
                    }),
                }
            }
            "/ingest" => {
                let list = body.get("runs").cloned().unwrap_or(body);
                let runs: Vec<RunInput> = serde_json::from_value(list)
                    .map_err(|e| RrError::bad_request(format!("Invalid runs: {e}")))?;
                let report = ingest(
                    r,
                    actor()?,
                    if header_comment.is_empty() {
                        "bulk ingest"
                    } else {
                        header_comment
                    },
                    runs,
                )?;
                match report.atomic_version {
                    Some(v) => ok(
                        json!({"atomic_version": v, "events": report.events, "runs": report.runs}),
                    ),
                    None => Ok(Response {
                        status: 204,
                        body: None,
                    }),
                }
            }
            "/json_portal/generate" => {
                let job = jobs::submit(r, actor()?, &body)?;
                if !self.inline_jobs {
                    return ok(job);
                }
                let id = job["id"].as_i64().unwrap_or_default();
                let status = jobs::run(r, id)?;
                ok(json!({"id": id, "data": job["data"], "status": status}))
            }
            "/json_portal/json" if method == "DELETE" => {
                ok(jobs::delete(r, json_id(&body)?, actor()?, egroups)?)
            }
            "/json_portal/json" => {
                let (status, body) = jobs::poll(r, json_id(&body)?)?;
                Ok(Response { status, body })
            }
            "/json_portal/jsons" => {
                let filter = body.get("filter").and_then(Value::as_str).unwrap_or("all");
                let reference = body.get("reference").and_then(Value::as_i64);
                let email = actor()?.email.clone();
                ok(jobs::list(r, filter, reference, Some(&email))?)
            }
            other => Err(RrError::internal(format!("route {other} has no handler"))),
        }
    }
}

fn json_id(body: &Value) -> RrResult<i64> {
    body.get("id_json")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
        .ok_or_else(|| RrError::bad_request("id_json is required"))
}

/// The cron body may carry `atomic_version`, which the store assigns itself.
fn strip_version(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("atomic_version");
    }
    body
}
