//! The Stats2 endpoints (spec §7) as plain functions over the store; components only adapt HTTP to [`handle`].
//! Paths are relative to [`BASE_PATH`].

use crate::document::{name_timestamp, Doc, Index};
use crate::page::list_page_html;
use crate::store;
use crate::update_queue::request_update;
use crate::upstream::{encode, parse_query, percent_decode};
use crate::{keys, raw, status, Error};
use kv_api::KvStore;
use serde_json::{json, Value};

pub const BASE_PATH: &str = "/stats";
const FETCH_LIMIT: usize = 100 * crate::page::PAGE_SIZE;
const MD_LIMIT: usize = 5 * crate::page::PAGE_SIZE;

/// An HTTP request as the component sees it, the path relative to [`BASE_PATH`].
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a [(String, String)],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// For redirects.
    pub location: Option<String>,
}

impl Response {
    fn json(status: u16, value: &Value) -> Response {
        let body = serde_json::to_vec_pretty(value).unwrap_or_default();
        Response {
            status,
            content_type: "application/json",
            body,
            location: None,
        }
    }
    pub(crate) fn text(status: u16, content_type: &'static str, body: String) -> Response {
        Response::bytes(status, content_type, body.into_bytes())
    }
    pub(crate) fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            body,
            location: None,
        }
    }
    fn redirect(location: String) -> Response {
        Response {
            status: 302,
            content_type: "text/plain",
            body: Vec::new(),
            location: Some(location),
        }
    }
    fn message(status: u16, message: &str) -> Response {
        Response::json(status, &json!({ "message": message }))
    }
}

/// Who may queue `/api/update` requests (spec §8 Decision).
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Accepted `Authorization: Bearer` tokens.
    pub admin_tokens: Vec<String>,
    /// Trust `X-Forwarded-User`/`X-Forwarded-Groups`; only behind a proxy that strips them from clients.
    pub trust_proxy_headers: bool,
    /// Groups allowed when trusting the proxy.
    pub roles: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            admin_tokens: Vec::new(),
            trust_proxy_headers: false,
            roles: vec!["cms-pdmv-serv".into()],
        }
    }
}

/// Routes one request.
pub fn handle(store: &dyn KvStore, auth: &AuthConfig, request: &Request) -> Response {
    if request.method != "GET" && request.method != "HEAD" {
        return Response::message(405, "only GET is supported");
    }
    let params = parse_query(request.query);
    let path = request.path;
    let result = if let Some(name) = path
        .strip_prefix("/api/get_json/")
        .or_else(|| path.strip_prefix("/get_json/"))
    {
        get_json(store, &percent_decode(name))
    } else {
        match path {
            "/api/fetch" => fetch(store, &Filter::from_params(&params)),
            "/md" => Ok(markdown(store, &Filter::from_params(&params))),
            "/search" => search(store, param(&params, "q").unwrap_or("")),
            "/api/status" => status::load(store).map(|s| Response::json(200, &serde_json::to_value(s).unwrap_or_default())),
            "/api/update" => Ok(update(
                store,
                auth,
                request.headers,
                param(&params, "workflow_name"),
            )),
            crate::page::STYLE_PATH => Ok(Response::text(200, "text/css", crate::page::STYLE_SHEET.into())),
            // The list page's filter form sends `by` and `value`: redirect to the canonical `?<by>=<value>`.
            "" | "/" if param(&params, "by").is_some() => Ok(filter_form_redirect(&params)),
            "" | "/" => list_page_html(store, &Filter::from_params(&params), 0),
            other => match other
                .strip_prefix('/')
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            {
                Some(page) => match page.parse::<usize>() {
                    Ok(page) => list_page_html(store, &Filter::from_params(&params), page),
                    Err(_) => Ok(Response::message(404, "no such page")),
                },
                None => Ok(Response::message(404, "not found")),
            },
        }
    };
    result.unwrap_or_else(|e| Response::message(500, &e.to_string()))
}

fn filter_form_redirect(params: &[(String, String)]) -> Response {
    let by = param(params, "by").unwrap_or("");
    let value = param(params, "value").unwrap_or("").trim();
    let known = by == "workflow_name" || Index::from_name(by).is_some();
    if !known || value.is_empty() {
        return Response::redirect(BASE_PATH.to_owned());
    }
    Response::redirect(format!("{BASE_PATH}?{by}={}", encode(value)))
}

/// Which documents a view shows: exactly one filter, by the priority of §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    Workflow(String),
    By(Index, String),
}

impl Filter {
    pub fn from_params(params: &[(String, String)]) -> Filter {
        if let Some(name) = param(params, "workflow_name") {
            return Filter::Workflow(name.to_owned());
        }
        Index::ALL
            .into_iter()
            .find_map(|index| param(params, index.name()).map(|v| Filter::By(index, v.to_owned())))
            .unwrap_or(Filter::All)
    }
}

impl Filter {
    /// The filter as a query string (empty for all documents), for links that keep it.
    pub fn query(&self) -> String {
        match self {
            Filter::All => String::new(),
            Filter::Workflow(name) => format!("workflow_name={}", encode(name)),
            Filter::By(index, value) => format!("{}={}", index.name(), encode(value)),
        }
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Index filters whose results are ordered by the `YYMMDD_HHMMSS` part of the name (§7 Decision: whole result).
fn sorted_by_time(index: Index) -> bool {
    matches!(
        index,
        Index::Prepid | Index::OutputDataset | Index::InputDataset | Index::Request
    )
}

/// Documents read per store round trip.
const READ_BATCH: usize = 100;

/// The stored bytes of a filter's documents, `skip` then at most `limit`, in the view's order. Every
/// document is validated, and index hits are checked against it, so stale index entries never show.
pub fn select_raw(
    store: &dyn KvStore,
    filter: &Filter,
    skip: usize,
    limit: usize,
) -> Result<Vec<Vec<u8>>, Error> {
    let (names, check) = match filter {
        Filter::Workflow(name) => (vec![name.clone()], None),
        Filter::All => (store::all_workflow_names(store)?, None),
        Filter::By(index, value) => {
            let mut names = store::index_lookup(store, *index, value)?;
            if sorted_by_time(*index) {
                names.sort_by_cached_key(|n| (name_timestamp(n), n.clone()));
            }
            (names, Some((index.field(), value.as_str())))
        }
    };
    let wanted = skip.saturating_add(limit);
    let (mut docs, mut matched, mut next) = (Vec::new(), 0, 0);
    while matched < wanted && next < names.len() {
        // Read about as many as are still needed: a `/search` probe (limit 1) reads one document.
        let take = (wanted - matched).clamp(1, READ_BATCH).min(names.len() - next);
        let keys: Vec<String> = names[next..next + take].iter().map(|n| keys::doc(n)).collect();
        next += take;
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        for bytes in store.get_many(&key_refs)?.into_iter().flatten() {
            // A missing (stale index entry) or unreadable document is left out, not a failed page.
            let fits = match check {
                Some((field, value)) => raw::field_strings(&bytes, field).is_ok_and(|v| v.iter().any(|s| s == value)),
                None => raw::field_strings(&bytes, "").is_ok(),
            };
            if !fits || matched >= wanted {
                continue;
            }
            matched += 1;
            if matched > skip {
                docs.push(bytes);
            }
        }
    }
    Ok(docs)
}

/// [`select_raw`], parsed.
pub fn select(
    store: &dyn KvStore,
    filter: &Filter,
    skip: usize,
    limit: usize,
) -> Result<Vec<Doc>, Error> {
    Ok(select_raw(store, filter, skip, limit)?
        .iter()
        .filter_map(|bytes| serde_json::from_slice(bytes).ok())
        .collect())
}

/// The pretty JSON array of stored documents, re-indented from their bytes.
fn pretty_array(docs: &[Vec<u8>]) -> Vec<u8> {
    if docs.is_empty() {
        return b"[]".to_vec();
    }
    let mut body = Vec::with_capacity(docs.iter().map(|d| d.len() * 2).sum::<usize>() + 4);
    body.push(b'[');
    for (i, doc) in docs.iter().enumerate() {
        body.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        raw::write_pretty(&mut body, doc, 1);
    }
    body.extend_from_slice(b"\n]");
    body
}

/// `GET /api/get_json/<wf>`: the stored document, or 404 `{}`.
pub fn get_json(store: &dyn KvStore, name: &str) -> Result<Response, Error> {
    let Some(bytes) = store.get(&keys::doc(name))? else {
        return Ok(Response::json(404, &json!({})));
    };
    raw::field_strings(&bytes, "").map_err(|e| Error::Corrupt(format!("document {name}: {e}")))?;
    let mut body = Vec::with_capacity(bytes.len() * 2);
    raw::write_pretty(&mut body, &bytes, 0);
    Ok(Response::bytes(200, "application/json", body))
}

/// Index-filter answers with at least this many documents are cached ([`keys::fetch_cache`])...
const CACHE_MIN_DOCS: usize = 10;
/// ...unless they are larger than this (Spin's value limit is 1 MB).
const CACHE_MAX_BYTES: usize = 1 << 20;

/// `GET /api/fetch?<filter>`: up to 10 000 documents. Index-filter answers come from the cache while
/// no document was written since ([`store::bump_generation`]), else are built and cached.
pub fn fetch(store: &dyn KvStore, filter: &Filter) -> Result<Response, Error> {
    let Filter::By(index, value) = filter else {
        let docs = select_raw(store, filter, 0, FETCH_LIMIT)?;
        return Ok(Response::bytes(200, "application/json", pretty_array(&docs)));
    };
    let cache_key = keys::fetch_cache(*index, value);
    let [generation, cached]: [Option<Vec<u8>>; 2] = store
        .get_many(&[keys::GENERATION, &cache_key])?
        .try_into()
        .map_err(|_| Error::Corrupt("get_many answered the wrong number of values".into()))?;
    let generation = generation.unwrap_or_else(|| b"0".to_vec());
    if let Some(body) = cached.as_deref().and_then(|c| c.strip_prefix(generation.as_slice())?.strip_prefix(b"\n")) {
        return Ok(Response::bytes(200, "application/json", body.to_vec()));
    }
    let docs = select_raw(store, filter, 0, FETCH_LIMIT)?;
    let body = pretty_array(&docs);
    if docs.len() >= CACHE_MIN_DOCS && body.len() <= CACHE_MAX_BYTES {
        // Best effort: a read-only replica or a failed write only costs the next reader a rebuild.
        let _ = store.set(&cache_key, &[generation.as_slice(), b"\n", &body].concat());
    }
    Ok(Response::bytes(200, "application/json", body))
}

/// `GET /search?q=`: redirect to the first filter with a hit, else to `workflow_name`.
pub fn search(store: &dyn KvStore, q: &str) -> Result<Response, Error> {
    if q.is_empty() {
        return Ok(Response::redirect(BASE_PATH.to_owned()));
    }
    for index in Index::ALL {
        if !select_raw(store, &Filter::By(index, q.to_owned()), 0, 1)?.is_empty() {
            return Ok(Response::redirect(format!(
                "{BASE_PATH}?{}={}",
                index.name(),
                encode(q)
            )));
        }
    }
    Ok(Response::redirect(format!(
        "{BASE_PATH}?workflow_name={}",
        encode(q)
    )))
}

/// `GET /md?<filter>`: a GitHub pipe table of up to 500 documents; empty when nothing matches.
pub fn markdown(store: &dyn KvStore, filter: &Filter) -> Response {
    match select(store, filter, 0, MD_LIMIT) {
        Ok(docs) => Response::text(200, "text/plain", markdown_table(&docs)),
        Err(_) => Response::text(
            500,
            "text/plain",
            "# Unable to format the result as markdown".into(),
        ),
    }
}

pub fn markdown_table(docs: &[Doc]) -> String {
    if docs.is_empty() {
        return String::new();
    }
    let das = |ds: &str| {
        format!("[{ds}](https://cmsweb.cern.ch/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D{ds})")
    };
    let mut out =
        String::from("| RequestName | InputDataset | OutputDatasets |\n| :--- | :--- | :--- |\n");
    for doc in docs {
        let name = doc
            .get("RequestName")
            .or(doc.get("_id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let name_cell = if name.is_empty() {
            String::new()
        } else {
            format!("[{name}](https://cms-pdmv-prod.web.cern.ch/stats/?workflow_name={name})")
        };
        let input = doc
            .get("InputDataset")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(das)
            .unwrap_or_default();
        let outputs: Vec<String> = doc
            .get("OutputDatasets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|ds| format!("- {}", das(ds)))
            .collect();
        out.push_str(&format!(
            "| {name_cell} | {input} | {} |\n",
            outputs.join("<br>")
        ));
    }
    out
}

/// `GET /api/update?workflow_name=`: queues a refresh for the poller (admin only).
pub fn update(
    store: &dyn KvStore,
    auth: &AuthConfig,
    headers: &[(String, String)],
    workflow: Option<&str>,
) -> Response {
    match authorize(auth, headers) {
        Access::Anonymous => {
            return Response::json(401, &json!({"error": "Authentication required"}))
        }
        Access::Forbidden => {
            return Response::json(403, &json!({"error": "Not allowed to update workflows"}))
        }
        Access::Allowed => {}
    }
    let Some(name) = workflow.filter(|n| !n.is_empty()) else {
        return Response::json(
            400,
            &json!({"msg": "Please provide the workflow name via 'workflow_name' query parameter"}),
        );
    };
    match request_update(store, name) {
        Ok(true) => Response::json(
            200,
            &json!({ "msg": format!("Workflow {name} has been updated successfully") }),
        ),
        Ok(false) => Response::json(
            409,
            &json!({ "error": format!("Update already in progress for {name}") }),
        ),
        Err(Error::BadInput(message)) => Response::json(400, &json!({ "msg": message })),
        Err(e) => Response::json(
            500,
            &json!({ "error": format!(
            "Unfortunately, there were issues updating workflow: {name}, there are described below:\n{e}") }),
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Anonymous,
    Forbidden,
    Allowed,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Compares in time independent of where the strings differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn authorize(auth: &AuthConfig, headers: &[(String, String)]) -> Access {
    if let Some(token) = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")) {
        let known = auth
            .admin_tokens
            .iter()
            .any(|t| !t.is_empty() && same_secret(t, token.trim()));
        if known {
            return Access::Allowed;
        }
    }
    if auth.trust_proxy_headers
        && header(headers, "x-forwarded-user").is_some_and(|u| !u.is_empty())
    {
        let groups = header(headers, "x-forwarded-groups").unwrap_or("");
        let member = groups
            .split([',', ';', ' '])
            .any(|g| auth.roles.iter().any(|r| r == g.trim()));
        return if member {
            Access::Allowed
        } else {
            Access::Forbidden
        };
    }
    Access::Anonymous
}
