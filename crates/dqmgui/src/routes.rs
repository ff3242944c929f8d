//! The HTTP face: one handler per component group, each `(&Request, &Service) -> Reply` (dqmgui-api.md §6).
//!
//! Handlers match on the full request path, so they work under any route a manifest gives them.

use std::path::PathBuf;

use dqm_formats::Decoded;
use kv_api::KvStore;
use web_kit::{kv_failure, percent_decode, require_bearer, Query, Reply, Request};

use crate::archive::{self, Search};
use crate::layouts;
use crate::objects::{self, LoadError};
use crate::pyjson::J;
use crate::query::{self, LumiFilter};
use crate::register::{self, DataRoot, RegisterError};
use crate::schema::{self, SampleId};
use crate::settings::Settings;

/// Everything a handler needs besides the request.
pub struct Service<'a> {
    pub store: &'a dyn KvStore,
    /// Where registered files are read (`/data`).
    pub data: DataRoot,
    /// The folder `POST /api/v1/layouts` loads from.
    pub layouts_dir: PathBuf,
    /// The variables and the clock, fetched when a handler first needs them.
    pub settings: Settings,
}

pub const DEFAULT_HOST: &str = "Not specified";
const RUN_MESSAGE: &str = "run must be an integer, optionally followed by :lumi";
const NOT_OLDER_THAN_MESSAGE: &str = "notOlderThan is a numeric timestamp in seconds, in UTC time zone.";
const ME_NOT_FOUND: &str = "ME not found";
/// At most this many `obj` parameters are resolved (the original renderer's limit).
pub const MAX_OBJECTS: usize = 10;

/// `{"message": …}` with the Python separators of every other body (dqmgui-api.md §2).
pub fn error(status: u16, message: impl Into<String>) -> Reply {
    json(status, &J::Obj(vec![("message", J::Str(message.into()))]))
}

pub(crate) fn not_found() -> Reply {
    error(404, "Not Found")
}

fn authorize(req: &Request, svc: &Service) -> Result<(), Reply> {
    require_bearer(req, svc.settings.admin_token()).map_err(|_| error(401, "Unauthorized"))
}

fn json(status: u16, value: &J) -> Reply {
    Reply::json_text(status, value.dump())
}

pub(crate) fn get_only(req: &Request, handler: impl FnOnce() -> Result<Reply, Reply>) -> Reply {
    if req.method != "GET" && req.method != "HEAD" {
        return error(405, "Method Not Allowed");
    }
    handler().unwrap_or_else(|reply| reply)
}

/// `notOlderThan`, when given, must be all decimal digits; there is no cache for it to bypass.
pub(crate) fn check_not_older_than(query: &Query) -> Result<(), Reply> {
    match query.get("notOlderThan") {
        Some(v) if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) => Err(error(400, NOT_OLDER_THAN_MESSAGE)),
        _ => Ok(()),
    }
}

/// `R` or `R:L` (lumi 0 when absent).
pub fn parse_run(text: &str) -> Result<(u32, u32), Reply> {
    let number = |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten();
    let (run, lumi) = match text.split_once(':') {
        Some((r, l)) => (number(r), number(l)),
        None => (number(text), Some(0)),
    };
    run.zip(lumi).ok_or_else(|| error(400, RUN_MESSAGE))
}

/// Collapses runs of `/`, drops one leading `/`, splits and percent-decodes (a trailing `/` leaves `""`).
pub fn split_path(raw: &str) -> Vec<String> {
    let mut parts: Vec<String> = raw.split('/').filter(|p| !p.is_empty()).map(percent_decode).collect();
    if raw.ends_with('/') && !parts.is_empty() {
        parts.push(String::new());
    }
    parts
}

/// `{run}/{p1}/{p2}/{p3}/{me path}` → the sample and the ME path; `None` when it names no dataset.
pub(crate) fn sample_and_path(parts: &[String]) -> Result<Option<(SampleId, String)>, Reply> {
    let Some((run, rest)) = parts.split_first() else { return Ok(None) };
    let (run, lumi) = parse_run(run)?;
    if rest.len() < 3 || rest[..3].iter().any(String::is_empty) {
        return Ok(None);
    }
    let dataset = format!("/{}", rest[..3].join("/"));
    Ok(Some((SampleId { dataset, run, lumi }, rest[3..].join("/"))))
}

pub(crate) fn store_error(e: LoadError) -> Reply {
    match e {
        LoadError::Store(e) => kv_failure(&e),
        LoadError::Decode(_) => error(500, "Could not decode object"),
    }
}

/// `POST /api/v1/register`.
pub fn register(req: &Request, svc: &Service) -> Reply {
    if req.path != "/api/v1/register" {
        return not_found();
    }
    if req.method != "POST" {
        return error(405, "Method Not Allowed");
    }
    if let Err(reply) = authorize(req, svc) {
        return reply;
    }
    match register::register(svc.store, &svc.data, &req.body, svc.settings.now(), svc.settings.import_limit()) {
        Ok(_) => Reply::new(201, "text/plain; charset=utf-8", "201: Created"),
        Err(RegisterError::Invalid(message)) => error(400, message),
        Err(RegisterError::Overloaded) => json(429, &J::Obj(vec![("error", J::str(crate::slots::OVERLOAD))])),
        Err(RegisterError::Store(e)) => kv_failure(&e),
    }
}

/// `samples`, `datasets`, `latest_runs`, `lumis/…` and `host`.
pub fn catalog(req: &Request, svc: &Service) -> Reply {
    get_only(req, || {
        let query = req.query();
        let all = || schema::all_samples(svc.store).map_err(|e| kv_failure(&e));
        let text = |key| query.get(key).unwrap_or("").to_owned();
        Ok(match req.path.as_str() {
            "/api/v1/samples" => {
                check_not_older_than(&query)?;
                let lumi = LumiFilter::parse(query.get("lumi")).map_err(|m| error(400, m))?;
                json(200, &query::samples(&all()?, &text("run"), &text("dataset"), lumi))
            }
            "/api/v1/datasets" => {
                check_not_older_than(&query)?;
                json(200, &query::datasets(&all()?, &text("search")))
            }
            "/api/v1/latest_runs" => {
                check_not_older_than(&query)?;
                json(200, &query::latest_runs(&all()?, &text("search")))
            }
            "/api/v1/host" => json(200, &J::Obj(vec![("host", J::str(svc.settings.host()))])),
            path => match path.strip_prefix("/api/v1/lumis/") {
                Some(tail) => {
                    let parts = split_path(tail);
                    let (run, _) = parse_run(parts.first().map(String::as_str).unwrap_or(""))?;
                    let dataset = format!("/{}", parts[1..].join("/"));
                    json(200, &query::lumis(&all()?, run, &dataset))
                }
                None => not_found(),
            },
        })
    })
}

/// `archive/{run}/{path}` listings; `key` is `data` (v1) or `contents` (legacy).
fn archive_listing(req: &Request, svc: &Service, tail: &str, key: &'static str) -> Result<Reply, Reply> {
    let query = req.query();
    check_not_older_than(&query)?;
    let unknown = || Reply::new(404, "text/plain; charset=utf-8", "404: Not Found");
    let Some((id, path)) = sample_and_path(&split_path(tail))? else { return Ok(unknown()) };
    let (sample, extra) = objects::sample_with(svc.store, &id, &[schema::LAYOUT_DIRS_KEY]).map_err(store_error)?;
    let Some((_, list)) = sample else { return Ok(unknown()) };
    let all_layouts = layouts::for_listing(svc.store, extra[0].as_deref(), &archive::dir_prefix(&path)).map_err(|e| kv_failure(&e))?;
    let scoped: Vec<&layouts::Layout> = layouts::for_dataset(&all_layouts, &id.dataset).collect();
    let search = query.get("search").filter(|s| !s.is_empty()).map(Search::new);
    let items = archive::list(&list, &scoped, &path, search.as_ref()).map_err(|e| store_error(LoadError::Decode(e)))?;
    Ok(json(200, &J::Obj(vec![(key, J::Arr(items))])))
}

/// `GET /api/v1/archive/{run}/{path}`.
pub fn archive(req: &Request, svc: &Service) -> Reply {
    get_only(req, || match req.path.strip_prefix("/api/v1/archive/") {
        Some(tail) => archive_listing(req, svc, tail, "data"),
        None => Ok(not_found()),
    })
}

/// `GET /api/v1/layouts?name=` and the authenticated `POST /api/v1/layouts` (reload from the folder).
pub fn layouts(req: &Request, svc: &Service) -> Reply {
    if req.path != "/api/v1/layouts" {
        return not_found();
    }
    match req.method.as_str() {
        "POST" => {
            if let Err(reply) = authorize(req, svc) {
                return reply;
            }
            match layouts::load_dir(&svc.layouts_dir) {
                Ok(loaded) => match layouts::save(svc.store, &loaded) {
                    Ok(()) => json(200, &J::Obj(vec![("loaded", J::Int(loaded.len() as i64))])),
                    Err(e) => kv_failure(&e),
                },
                Err(message) => error(500, format!("Could not load layouts: {message}")),
            }
        }
        _ => get_only(req, || {
            let all = layouts::load(svc.store).map_err(|e| kv_failure(&e))?;
            Ok(json(200, &layouts::by_name(&all, req.query().get("name").unwrap_or(""))))
        }),
    }
}

/// `json/{run}/{path}` (also `/jsrootfairy/archive/…`).
fn json_object(req: &Request, svc: &Service, tail: &str) -> Result<Reply, Reply> {
    check_not_older_than(&req.query())?;
    let missing = || error(404, ME_NOT_FOUND);
    let Some((id, path)) = sample_and_path(&split_path(tail))? else { return Ok(missing()) };
    match objects::load(svc.store, &svc.data, &id, &path).map_err(store_error)? {
        Some(loaded) => Ok(Reply::json_text(200, dqm_formats::api_json(&loaded.decoded, loaded.efficiency))),
        None => Ok(missing()),
    }
}

/// The MEs the `obj` parameters of an overlay name (§5.3), in order, with their ME paths; unresolved ones skipped.
pub(crate) fn overlay_objects(query: &Query, svc: &Service) -> Result<Vec<(String, objects::Loaded)>, Reply> {
    let objs: Vec<&str> = query.get_all("obj").collect();
    if objs.len() > MAX_OBJECTS {
        return Err(error(400, format!("At most {MAX_OBJECTS} objects can be overlaid")));
    }
    let mut found = Vec::new();
    for obj in objs {
        let parts = split_path(obj);
        if parts.len() < 5 {
            return Err(error(400, "Malformed obj parameter"));
        }
        if let Some((id, path)) = sample_and_path(&parts[1..])? {
            if let Some(loaded) = objects::load(svc.store, &svc.data, &id, &path).map_err(store_error)? {
                found.push((path, loaded));
            }
        }
    }
    Ok(found)
}

/// `json_overlay?obj=…`: always `{"objects": [...], "dqmProperties": {...}}`.
fn json_overlay(req: &Request, svc: &Service) -> Result<Reply, Reply> {
    let query = req.query();
    check_not_older_than(&query)?;
    let found: Vec<objects::Loaded> = overlay_objects(&query, svc)?.into_iter().map(|(_, loaded)| loaded).collect();
    if found.is_empty() {
        return Ok(error(404, ME_NOT_FOUND));
    }
    let scalars = found.iter().filter(|l| matches!(l.decoded, Decoded::Scalar(_))).count();
    if scalars != 0 && scalars != found.len() {
        return Ok(Reply::new(400, "text/plain; charset=utf-8", "400: Bad Request"));
    }
    let efficiency = found.iter().any(|l| l.efficiency);
    let members = found.iter().map(|l| J::Raw(objects::overlay_member_json(&l.decoded))).collect();
    let props = J::Obj(vec![("efficiency", J::Bool(efficiency))]);
    Ok(json(200, &J::Obj(vec![("objects", J::Arr(members)), ("dqmProperties", props)])))
}

/// `GET /api/v1/json/…` and `GET /api/v1/json_overlay`.
pub fn json_routes(req: &Request, svc: &Service) -> Reply {
    get_only(req, || match req.path.as_str() {
        "/api/v1/json_overlay" => json_overlay(req, svc),
        path => match path.strip_prefix("/api/v1/json/") {
            Some(tail) => json_object(req, svc, tail),
            None => Ok(not_found()),
        },
    })
}

/// The legacy routes: `/data/json/samples`, `/data/json/archive/…`, `/jsrootfairy/archive/…`.
pub fn legacy(req: &Request, svc: &Service) -> Reply {
    get_only(req, || {
        let path = req.path.as_str();
        if path == "/data/json/samples" {
            let query = req.query();
            check_not_older_than(&query)?;
            let run = query.get("run").unwrap_or("");
            let (run, lumi) = if run.is_empty() { (String::new(), 0) } else { parse_run(run).map(|(r, l)| (r.to_string(), l))? };
            let all = schema::all_samples(svc.store).map_err(|e| kv_failure(&e))?;
            return Ok(json(200, &query::legacy_samples(&all, &run, lumi, query.get("match").unwrap_or(""))));
        }
        if let Some(tail) = path.strip_prefix("/data/json/archive/") {
            return archive_listing(req, svc, tail, "contents");
        }
        match path.strip_prefix("/jsrootfairy/archive/") {
            Some(tail) => json_object(req, svc, tail),
            None => Ok(not_found()),
        }
    })
}

/// Every route of every group (native use and tests).
pub fn handle(req: &Request, svc: &Service) -> Reply {
    let path = req.path.as_str();
    #[cfg(feature = "render")]
    if crate::render_routes::is_render_path(path) {
        return crate::render_routes::render_routes(req, svc);
    }
    let group: fn(&Request, &Service) -> Reply = if path == "/api/v1/register" {
        register
    } else if path.starts_with("/api/v1/archive/") {
        archive
    } else if path == "/api/v1/layouts" {
        layouts
    } else if path.starts_with("/api/v1/json/") || path == "/api/v1/json_overlay" {
        json_routes
    } else if path.starts_with("/data/json/") || path.starts_with("/jsrootfairy/") {
        legacy
    } else {
        catalog
    };
    group(req, svc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_collapse_and_decode() {
        assert_eq!(split_path("/1//A/B%20x/C/"), ["1", "A", "B x", "C", ""]);
        assert_eq!(split_path("1/A/B/C"), ["1", "A", "B", "C"]);
        assert_eq!(split_path("1/A+b/B/C//d"), ["1", "A+b", "B", "C", "d"]);
        assert!(split_path("").is_empty());
    }

    #[test]
    fn run_grammar() {
        assert_eq!(parse_run("123456").unwrap(), (123456, 0));
        assert_eq!(parse_run("123456:2").unwrap(), (123456, 2));
        for bad in ["", "x", "-1", "1:", "1:x", "1:-2", "99999999999", "+1"] {
            assert_eq!(parse_run(bad).unwrap_err().status, 400, "{bad}");
        }
    }
}
