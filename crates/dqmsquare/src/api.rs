//! The mirror's routes under `/dqm/dqm-square` (spec §6, §7) as `Request → Reply`, read-only.
//!
//! Errors keep the original's texts and are `text/plain` (§6 Decision); JSON answers are
//! `application/json` with the original's `json.dumps` bytes.

use dqmsquare_sanitize::{censor_host, html_escape, short_client, Sanitizer};
use kv_api::{KvError, KvStore};
use serde_json::{json, Value};
use web_kit::{kv_failure, Reply, Request};

use crate::model::RunRow;
use crate::pages;
use crate::pyjson::{self, write_list, Dump, ObjectWriter};
use crate::store::Tables;
use crate::time::{us_to_seconds, zurich_iso};
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

/// What a request needs: the store, the sanitiser (for served host names) and the clock.
pub struct Mirror<'a> {
    pub kv: &'a dyn KvStore,
    pub sanitizer: &'a Sanitizer,
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
            Route::ControlRoom => {
                Reply::error(404, "the control room is disabled: no cr_secret is configured")
            }
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
                format!("{} is not supported", self.sanitizer.clean_text(other)),
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
        let ((prev, next), rows) = Tables::new(self.kv, db).run_with_neighbours(run)?;
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
    fn write_client_entry(&self, row: &RunRow, out: &mut String) {
        let seconds = row.timestamp_us.map(us_to_seconds);
        write_list(
            &[
                &seconds.map(|s| s * 1000.0),
                &seconds.map(|s| self.now_s - s),
                &row.hostname.as_deref().map(censor_host),
                &row.exit_code,
                &row.client.as_deref().map(short_client),
                &row.cmssw_lumi,
                &row.vmrss,
                &row.events_total,
                &row.served_id,
                &row.events_rate,
            ],
            out,
        );
    }

    fn get_graph(&self, db: Db, run: i64) -> Result<Reply, KvError> {
        let body = match Tables::new(self.kv, db).graph(run)? {
            None => json!([]),
            Some(g) => json!([
                g.run,
                g.rev,
                self.sanitizer.censor_id(&g.id),
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
    fn get_runs(
        &self,
        db: Db,
        from: i64,
        to: i64,
        bad_only: bool,
        ls_only: bool,
    ) -> Result<Reply, KvError> {
        let mut out = String::new();
        let mut runs = ObjectWriter::new(&mut out);
        for (run, rows) in Tables::new(self.kv, db).runs_in_range(from, to)? {
            let rows: Vec<RunRow> = rows
                .into_iter()
                .filter(|r| !bad_only || r.exit_code != Some(0))
                .filter(|r| !ls_only || r.cmssw_lumi.is_some_and(|ls| ls > 0))
                .collect();
            let Some(last) = rows.last() else { continue };
            runs.key(&run.to_string());
            let mut entry = ObjectWriter::new(runs.out());
            entry.key("run_data");
            write_list(
                &[&last.cmssw_run, &last.runkey, &last.client_path],
                entry.out(),
            );
            entry.key("clients");
            let mut clients = ObjectWriter::new(entry.out());
            for same in rows.chunk_by(|a, b| a.client == b.client) {
                let name = same[0]
                    .client
                    .as_deref()
                    .map_or_else(|| "null".to_owned(), short_client);
                clients.key(&name);
                let out = clients.out();
                out.push('[');
                for (i, r) in same.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_list(
                        &[
                            &r.hostname.as_deref().map(censor_host),
                            &r.events_total,
                            &r.cmssw_lumi,
                            &r.fi_state,
                            &r.exit_code,
                            &r.timestamp_us.map(zurich_iso),
                        ],
                        out,
                    );
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
        let mut names = std::collections::BTreeSet::new();
        for (_, rows) in Tables::new(self.kv, db).runs_in_range(from, to)? {
            for row in rows {
                if let Some(name) = row
                    .client
                    .as_deref()
                    .map(short_client)
                    .filter(|n| !n.is_empty() && n != "__init__")
                {
                    names.insert(name);
                }
            }
        }
        Ok(json_reply(pyjson::dumps(&json!(names
            .into_iter()
            .collect::<Vec<_>>()))))
    }

    fn get_logs(&self, db: Db, served_id: &str) -> Result<Reply, KvError> {
        let Some(row) = Tables::new(self.kv, db).run_row_by_served_id(served_id)? else {
            return Ok(text_error(
                404,
                format!(
                    "No logs for {}",
                    self.sanitizer
                        .clean_text(&self.sanitizer.censor_id(served_id))
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
