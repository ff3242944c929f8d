//! Stats2 views component: every route under `/stats` through `stats2::views::handle`, plus the
//! per-workflow event-history plot `/stats/plot/<workflow>.png` drawn with the render crate.
//!
//! Environment: the `default` key-value store (written by `scraper-host stats2`); variables
//! `admin_token` (comma-separated bearer tokens allowed to call `/stats/api/update`),
//! `stats2_trust_proxy` (`true` to accept `X-Forwarded-User`/`X-Forwarded-Groups`, only behind a proxy
//! that strips them) and `stats2_roles` (comma-separated groups allowed then; default `cms-pdmv-serv`).

pub mod plot;

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;
use stats2::views::{self, AuthConfig, BASE_PATH};
use web_kit::Reply;

fn variable(name: &str) -> Option<String> {
    web_kit::spin::variable(name).filter(|v| !v.trim().is_empty())
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn auth_config() -> AuthConfig {
    let defaults = AuthConfig::default();
    AuthConfig {
        admin_tokens: variable("admin_token").map(|v| list(&v)).unwrap_or_default(),
        trust_proxy_headers: variable("stats2_trust_proxy").is_some_and(|v| v.trim() == "true"),
        roles: variable("stats2_roles").map(|v| list(&v)).unwrap_or(defaults.roles),
    }
}

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    web_kit::spin::serve_with_store(request, out, |req, store| {
        let path = req.header("spin-path-info").map(str::to_owned).unwrap_or_else(|| req.path.strip_prefix(BASE_PATH).unwrap_or(&req.path).to_owned());
        if let Some(workflow) = stats2::page::plot_target(&path) {
            return plot::reply(store, &workflow, plot::size(&stats2::upstream::parse_query(&req.query)));
        }
        let response = views::handle(store, &auth_config(), &views::Request { method: &req.method, path: &path, query: &req.query, headers: &req.headers });
        let mut reply = Reply::new(response.status, response.content_type, response.body);
        if let Some(location) = response.location {
            reply = reply.with_header("location", location);
        }
        reply
    })
}
