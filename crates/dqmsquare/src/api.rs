//! The mirror's routes under `/dqm/dqm-square` (spec §6, §7) as `Request → Reply`, read-only.
//!
//! Errors keep the original's texts and are `text/plain` (§6 Decision); JSON answers are
//! `application/json` with the original's `json.dumps` bytes.

use std::cell::OnceCell;

use dqmsquare_sanitize::{censor_host, html_escape, Sanitizer};
use kv_api::{KvError, KvStore};
use py_json::{write_escaped, write_string};
use serde_json::{json, Value};
use web_kit::{kv_failure, Reply, Request};

use crate::pages;
use crate::pyjson::{self, write_list, Dump, ObjectWriter};
use crate::rowindex::RowRef;
use crate::store::Tables;
use crate::time::{us_to_seconds, write_zurich_iso};
use crate::Db;

/// `SERVER_URL_PREFIX`.
pub const PREFIX: &str = "/dqm/dqm-square";

/// Every route of the mirror, relative to [`PREFIX`]: the one route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    RunsPage,
    TimelinePage,
    Api,
    Static(&'a str),
    /// The control room (§8): `/cr…` routes, handled by [`crate::cr::ControlRoom`]; the mirror alone
    /// (no control-room configuration) answers them 404.
    ControlRoom,
    NotFound,
}

pub fn route(path: &str) -> Route<'_> {
    let rest = path.strip_prefix(PREFIX).unwrap_or(path);
    match rest {
        "" | "/" => Route::RunsPage,
        "/timeline" | "/timeline/" => Route::TimelinePage,
        "/api" | "/api/" => Route::Api,
        _ if rest == "/cr" || rest.starts_with("/cr/") => Route::ControlRoom,
        _ => rest
            .strip_prefix("/static/")
            .map_or(Route::NotFound, Route::Static),
    }
}

/// The sanitiser of a request: given, or built on first use. The component's needs two variable look-ups
/// (the machine lists), which the hot routes never pay: they censor host fields with plain functions.
// One per request, on the stack: the lazy variant's size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum SanitizerRef<'a> {
    Given(&'a Sanitizer),
    Lazy(OnceCell<Sanitizer>, Box<dyn Fn() -> Sanitizer + 'a>),
}

impl<'a> SanitizerRef<'a> {
    pub fn lazy(make: impl Fn() -> Sanitizer + 'a) -> Self {
        SanitizerRef::Lazy(OnceCell::new(), Box::new(make))
    }

    pub fn get(&self) -> &Sanitizer {
        match self {
            SanitizerRef::Given(sanitizer) => sanitizer,
            SanitizerRef::Lazy(cell, make) => cell.get_or_init(make),
        }
    }
}

impl<'a> From<&'a Sanitizer> for SanitizerRef<'a> {
    fn from(sanitizer: &'a Sanitizer) -> Self {
        SanitizerRef::Given(sanitizer)
    }
}

/// What a request needs: the store, the sanitiser (for served host names) and the clock.
pub struct Mirror<'a> {
    pub kv: &'a dyn KvStore,
    pub sanitizer: SanitizerRef<'a>,
    /// UNIX seconds, for `seconds_since_update`.
    pub now_s: f64,
}

fn text_error(status: u16, message: impl Into<String>) -> Reply {
    Reply::new(status, "text/plain; charset=utf-8", message.into())
}

fn json_reply(body: String) -> Reply {
    Reply::json_text(200, body)
}

/// Python's `int()` on a query value (surrounding spaces and a sign allowed).
fn parse_int(text: Option<&str>) -> Option<i64> {
    let t = text?.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
}

/// [`dqmsquare_sanitize::short_client`] as a slice of the tag, without a copy.
fn short_client_of(tag: &str) -> &str {
    const SUFFIX: &str = "_dqm_sourceclient-live";
    if tag.is_ascii() && tag.ends_with(SUFFIX) {
        return tag.get(..tag.len() - SUFFIX.len()).unwrap_or(tag);
    }
    if !tag.contains(SUFFIX) {
        return tag;
    }
    let keep = if tag.is_ascii() {
        tag.len() - SUFFIX.len()
    } else {
        let chars = tag.chars().count().saturating_sub(SUFFIX.len());
        tag.char_indices()
            .nth(chars)
            .map_or(tag.len(), |(at, _)| at)
    };
    tag.get(..keep).unwrap_or(tag)
}

/// [`censor_host`] of a host field, written as a JSON string (or `null`) without building the censored name.
fn write_host(host: Option<&str>, out: &mut String) {
    let Some(name) = host else {
        out.push_str("null");
        return;
    };
    let name = name.strip_suffix(".cms").unwrap_or(name);
    out.push('"');
    if name.is_empty() {
    } else if name.starts_with("dqm") {
        let mut parts = name.split('-');
        write_escaped(out, parts.next().unwrap_or_default());
        out.push('-');
        if let Some(second) = parts.next() {
            write_escaped(out, second);
            out.push('-');
        }
        out.push_str("..");
    } else {
        match (name.split_once('-'), name.rsplit_once('-')) {
            (Some((first, _)), Some((_, last))) => {
                write_escaped(out, first);
                out.push_str("..");
                write_escaped(out, last);
            }
            _ => out.push_str(".."),
        }
    }
    out.push('"');
}

impl Mirror<'_> {
    pub fn handle(&self, request: &Request) -> Reply {
        let route = route(&request.path);
        // The control room answers its own methods; here it is not configured, so any method is 404.
        if route != Route::ControlRoom && request.method != "GET" && request.method != "HEAD" {
            return text_error(405, "method not allowed");
        }
        match route {
            Route::RunsPage => pages::runs_page(),
            Route::TimelinePage => pages::timeline_page(),
            Route::Static(name) => {
                pages::static_file(name).unwrap_or_else(|| text_error(404, "not found"))
            }
            Route::ControlRoom => Reply::error(
                404,
                "the control room is disabled: no cr_secret is configured",
            ),
            Route::Api => self.api(request),
            Route::NotFound => text_error(404, "not found"),
        }
    }

    fn api(&self, request: &Request) -> Reply {
        let query = request.query();
        let what = query.get("what").unwrap_or("None");
        let db = || {
            Db::parse(query.get("db").unwrap_or_default())
                .ok_or_else(|| text_error(400, "db must be one of ['playback', 'production']"))
        };
        let result = match what {
            "get_info" => db().map(|db| self.get_info(db)),
            "get_run" => db().and_then(|db| {
                let run = parse_int(query.get("run"))
                    .ok_or_else(|| text_error(400, "run must be an integer"))?;
                Ok(self.get_run(db, run))
            }),
            "get_graph" => db().and_then(|db| {
                let run = parse_int(query.get("run"))
                    .ok_or_else(|| text_error(400, "run must be an integer"))?;
                Ok(self.get_graph(db, run))
            }),
            "get_runs" => db().and_then(|db| {
                let ints = ["from", "to", "bad_only", "ls"].map(|k| {
                    parse_int(
                        query
                            .get(k)
                            .or(matches!(k, "bad_only" | "ls").then_some("0")),
                    )
                });
                match ints {
                    [Some(from), Some(to), Some(bad_only), Some(ls)] => {
                        Ok(self.get_runs(db, from.min(to), from.max(to), bad_only != 0, ls != 0))
                    }
                    _ => Err(text_error(
                        400,
                        "to, from, bad_only and ls must be integers",
                    )),
                }
            }),
            "get_clients" => db().and_then(|db| {
                match (parse_int(query.get("from")), parse_int(query.get("to"))) {
                    (Some(from), Some(to)) => Ok(self.get_clients(db, from.min(to), from.max(to))),
                    _ => Err(text_error(400, "to, from must be integers")),
                }
            }),
            "get_logs" => db().map(|db| self.get_logs(db, query.get("id").unwrap_or_default())),
            "get_cluster_status" => Db::parse(query.get("cluster").unwrap_or("playback"))
                .ok_or_else(|| text_error(400, "cluster must be one of ['playback', 'production']"))
                .map(|db| self.get_cluster_status(db)),
            "get_canvas" => db().and_then(|db| {
                match (
                    parse_int(query.get("run")),
                    parse_int(query.get("n")).and_then(|n| u32::try_from(n).ok()),
                ) {
                    (Some(run), Some(n)) => Ok(self.get_canvas(db, run, n)),
                    _ => Err(text_error(400, "run and n must be integers")),
                }
            }),
            other => Err(text_error(
                404,
                format!(
                    "{} is not supported",
                    self.sanitizer.get().clean_text(other)
                ),
            )),
        };
        match result {
            Ok(Ok(reply)) | Err(reply) => reply,
            Ok(Err(err)) => kv_failure(&err),
        }
    }

    fn get_info(&self, db: Db) -> Result<Reply, KvError> {
        let (min, max) = Tables::new(self.kv, db).info()?;
        Ok(json_reply(pyjson::dumps(&json!([min, max]))))
    }

    /// `[[prev, next], [global, clients]]`, written row by row (the mirror's hottest route).
    pub fn get_run(&self, db: Db, run: i64) -> Result<Reply, KvError> {
        let ((prev, next), index) = Tables::new(self.kv, db).run_with_neighbours(run)?;
        let rows = index.rows()?;
        let mut out = String::with_capacity(64 + rows.len() * 200);
        out.push_str("[[");
        prev.dump(&mut out);
        out.push_str(", ");
        next.dump(&mut out);
        out.push_str("], [");
        match rows.first() {
            Some(first) => write_list(&[&first.client_path, &first.runkey], &mut out),
            None => out.push_str("[]"),
        }
        out.push_str(", [");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_client_entry(row, &mut out);
        }
        out.push_str("]]]");
        Ok(json_reply(out))
    }

    /// `[timestamp_ms, seconds_since_update, host, exit_code, client, cmssw_lumi, vmrss, events_total, id, events_rate]`.
    fn write_client_entry(&self, row: &RowRef, out: &mut String) {
        let seconds = row.timestamp_us.map(us_to_seconds);
        out.push('[');
        seconds.map(|s| s * 1000.0).dump(out);
        out.push_str(", ");
        seconds.map(|s| self.now_s - s).dump(out);
        out.push_str(", ");
        write_host(row.hostname, out);
        out.push_str(", ");
        row.exit_code.dump(out);
        out.push_str(", ");
        row.client.map(short_client_of).dump(out);
        out.push_str(", ");
        row.cmssw_lumi.dump(out);
        out.push_str(", ");
        row.vmrss.dump(out);
        out.push_str(", ");
        row.events_total.dump(out);
        out.push_str(", ");
        row.served_id.dump(out);
        out.push_str(", ");
        row.events_rate.dump(out);
        out.push(']');
    }

    fn get_graph(&self, db: Db, run: i64) -> Result<Reply, KvError> {
        let body = match Tables::new(self.kv, db).graph(run)? {
            None => json!([]),
            Some(g) => json!([
                g.run,
                g.rev,
                self.sanitizer.get().censor_id(&g.id),
                us_to_seconds(g.timestamp_us),
                us_to_seconds(g.global_start_us),
                g.stream_data,
                censor_host(&g.hostname),
            ]),
        };
        Ok(json_reply(pyjson::dumps(&body)))
    }

    /// `{"<run>": {"run_data": [cmssw_run, runkey, cmssw_version], "clients": {"<client>": [[…], …]}}}`,
    /// runs ascending, clients in row order (`client, id`), `run_data` from each run's last row.
    /// Rows are read in place from the stored indexes and written straight into the answer.
    fn get_runs(
        &self,
        db: Db,
        from: i64,
        to: i64,
        bad_only: bool,
        ls_only: bool,
    ) -> Result<Reply, KvError> {
        let indexes = Tables::new(self.kv, db).runs_in_range(from, to)?;
        let mut out = String::with_capacity(1024);
        let mut runs = ObjectWriter::new(&mut out);
        for (run, index) in &indexes {
            let mut rows = index.rows()?;
            rows.retain(|r| {
                (!bad_only || r.exit_code != Some(0))
                    && (!ls_only || r.cmssw_lumi.is_some_and(|ls| ls > 0))
            });
            let Some(last) = rows.last() else { continue };
            // About what a row takes in the answer, so the text grows once per run at most.
            runs.out().reserve(64 + rows.len() * 96);
            runs.int_key(*run);
            let mut entry = ObjectWriter::new(runs.out());
            entry.key("run_data");
            write_list(
                &[&last.cmssw_run, &last.runkey, &last.client_path],
                entry.out(),
            );
            entry.key("clients");
            let mut clients = ObjectWriter::new(entry.out());
            for same in rows.chunk_by(|a, b| a.client == b.client) {
                clients.key(same[0].client.map_or("null", short_client_of));
                let out = clients.out();
                out.push('[');
                for (i, r) in same.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('[');
                    write_host(r.hostname, out);
                    out.push_str(", ");
                    r.events_total.dump(out);
                    out.push_str(", ");
                    r.cmssw_lumi.dump(out);
                    out.push_str(", ");
                    r.fi_state.dump(out);
                    out.push_str(", ");
                    r.exit_code.dump(out);
                    out.push_str(", ");
                    match r.timestamp_us {
                        Some(us) => {
                            out.push('"');
                            write_zurich_iso(us, out);
                            out.push('"');
                        }
                        None => out.push_str("null"),
                    }
                    out.push(']');
                }
                out.push(']');
            }
            clients.finish();
            entry.finish();
        }
        runs.finish();
        Ok(json_reply(out))
    }

    fn get_clients(&self, db: Db, from: i64, to: i64) -> Result<Reply, KvError> {
        let indexes = Tables::new(self.kv, db).runs_in_range(from, to)?;
        let mut names = std::collections::BTreeSet::new();
        for (_, index) in &indexes {
            for row in index.rows()? {
                if let Some(name) = row
                    .client
                    .map(short_client_of)
                    .filter(|n| !n.is_empty() && *n != "__init__")
                {
                    names.insert(name);
                }
            }
        }
        let mut out = String::from("[");
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_string(&mut out, name);
        }
        out.push(']');
        Ok(json_reply(out))
    }

    fn get_logs(&self, db: Db, served_id: &str) -> Result<Reply, KvError> {
        let Some(row) = Tables::new(self.kv, db).run_row_by_served_id(served_id)? else {
            return Ok(text_error(
                404,
                format!(
                    "No logs for {}",
                    self.sanitizer
                        .get()
                        .clean_text(&self.sanitizer.get().censor_id(served_id))
                ),
            ));
        };
        let body = format!(
            "<pre>{}\n ... \n\n{}</pre>",
            html_escape(&row.stdlog_start.concat()),
            html_escape(&row.stdlog_end.concat())
        );
        Ok(Reply::new(200, "text/html; charset=utf-8", body))
    }

    /// `[[host_censored, is_up, message, last_update_unix], …]`: the latest status per host, by host name.
    fn get_cluster_status(&self, db: Db) -> Result<Reply, KvError> {
        let mut statuses = Tables::new(self.kv, db).latest_statuses()?;
        statuses.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        let rows: Vec<Value> = statuses
            .iter()
            .map(|(host, s)| {
                json!([
                    censor_host(&host.name),
                    s.is_up,
                    s.message,
                    us_to_seconds(s.created_at_us)
                ])
            })
            .collect();
        Ok(json_reply(pyjson::dumps(&Value::Array(rows))))
    }

    fn get_canvas(&self, db: Db, run: i64, n: u32) -> Result<Reply, KvError> {
        Ok(match Tables::new(self.kv, db).canvas(run, n)? {
            Some(png) => Reply::png(png),
            None => text_error(404, format!("No canvas {n} for run {run}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqmsquare_sanitize::short_client;

    #[test]
    fn the_lazy_sanitiser_is_built_only_by_routes_that_censor_text() {
        let kv = kv_api::MemoryStore::new();
        let built = std::cell::Cell::new(0);
        let mirror = Mirror {
            kv: &kv,
            sanitizer: SanitizerRef::lazy(|| {
                built.set(built.get() + 1);
                Sanitizer::new(["fu-c2f11-11-01"])
            }),
            now_s: 0.0,
        };
        let api = |query: &str| {
            mirror
                .handle(&Request::get(&format!("{PREFIX}/api?{query}")))
                .status
        };
        for query in [
            "what=get_info&db=production",
            "what=get_run&run=1&db=production",
            "what=get_runs&from=1&to=2&db=production",
            "what=get_clients&from=1&to=2&db=production",
            "what=get_cluster_status",
            "what=get_canvas&run=1&n=1&db=production",
        ] {
            api(query);
            assert_eq!(built.get(), 0, "{query}");
        }
        assert_eq!(api("what=get_logs&id=x&db=production"), 404);
        assert_eq!(api("what=fu-c2f11-11-01&db=production"), 404);
        assert_eq!(built.get(), 1, "built once, then reused");
    }

    #[test]
    fn written_hosts_and_clients_match_the_sanitiser() {
        let hosts = [
            "",
            ".cms",
            "dqm",
            "dqm.cms",
            "dqm-",
            "dqm--",
            "dqmfu-c2b01-45-01",
            "dqmrubu-c2a06-03-01.cms",
            "dqmx",
            "fu-c2f11-11-01",
            "fu-c2f11-11-01.cms",
            "fu",
            "fu-",
            "-",
            "--",
            "a-b-c-d",
            "abc",
            "bu-\"q\\-é😀",
            "dqm\u{1}-ü-x",
            "x.cms.cms",
            "dqm-a.cms-b",
        ];
        for host in hosts {
            let mut written = String::new();
            write_host(Some(host), &mut written);
            let mut expected = String::new();
            write_string(&mut expected, &censor_host(host));
            assert_eq!(written, expected, "{host:?}");
        }
        let mut null = String::new();
        write_host(None, &mut null);
        assert_eq!(null, "null");
        let tags = [
            "",
            "ecalgpu_dqm_sourceclient-live",
            "_dqm_sourceclient-live",
            "hlt_dqm_clientPB-live",
            "x_dqm_sourceclient-live-more",
            "é_dqm_sourceclient-liveé",
            "ünï_dqm_sourceclient-live",
            "😀_dqm_sourceclient-live",
            "a_dqm_sourceclient-live_dqm_sourceclient-live",
        ];
        for tag in tags {
            assert_eq!(short_client_of(tag), short_client(tag), "{tag:?}");
        }
    }
}
