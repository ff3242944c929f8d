//! The HTML list page (`GET /`, `GET /<page>`): 100 workflows per page with their completion (§5.6),
//! and the per-dataset event series the history plot draws.

use crate::document::{Doc, Index};
use crate::status;
use crate::upstream::encode;
use crate::views::{select, Filter, Response, BASE_PATH};
use crate::Error;
use kv_api::KvStore;
use serde_json::Value;

pub const PAGE_SIZE: usize = 100;

/// One output dataset of a list-page row, with its completion (§5.6).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetProgress {
    pub dataset: String,
    pub access_type: String,
    pub events: i64,
    pub completed_perc: Option<f64>,
    pub lumi_completed_perc: Option<f64>,
}

/// Completion of every output dataset from the newest history entry containing it.
pub fn completion(doc: &Doc) -> Vec<DatasetProgress> {
    let total_events = doc.get("TotalEvents").and_then(Value::as_i64).unwrap_or(-1);
    let total_lumis = doc
        .get("TotalInputLumis")
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    let history = doc
        .get("EventNumberHistory")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut newest_first: Vec<&Value> = history.iter().collect();
    newest_first
        .sort_by_key(|e| std::cmp::Reverse(e.get("Time").and_then(Value::as_i64).unwrap_or(0)));
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let outputs = doc
        .get("OutputDatasets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    outputs
        .map(|dataset| {
            let figures = newest_first
                .iter()
                .find_map(|e| e.get("Datasets").and_then(|d| d.get(dataset)));
            let field = |k: &str| figures.and_then(|f| f.get(k)).and_then(Value::as_i64);
            let events = field("Events").unwrap_or(0);
            DatasetProgress {
                dataset: dataset.to_owned(),
                access_type: figures
                    .and_then(|f| f.get("Type"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                events,
                completed_perc: (figures.is_some() && total_events > 0)
                    .then(|| round2(events as f64 / total_events as f64 * 100.0)),
                lumi_completed_perc: field("Lumis")
                    .filter(|l| *l > 0 && total_lumis > 0)
                    .map(|l| round2(l as f64 / total_lumis as f64 * 100.0)),
            }
        })
        .collect()
}

/// `(time, events)` points per output dataset, for the event-history plot.
pub fn history_series(doc: &Doc) -> Vec<(String, Vec<(i64, i64)>)> {
    let history = doc
        .get("EventNumberHistory")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let outputs = doc
        .get("OutputDatasets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    outputs
        .map(|dataset| {
            let mut points: Vec<(i64, i64)> = history
                .iter()
                .filter_map(|e| {
                    let time = e.get("Time")?.as_i64()?;
                    let events = e.get("Datasets")?.get(dataset)?.get("Events")?.as_i64()?;
                    Some((time, events))
                })
                .collect();
            points.sort();
            (dataset.to_owned(), points)
        })
        .collect()
}

/// The workflow of a `GET /plot/<workflow>.png` path. [`crate::views::handle`] does not draw: the
/// component that links the render crate serves this route from [`history_series`].
pub fn plot_target(path: &str) -> Option<String> {
    let name = path.strip_prefix("/plot/")?.strip_suffix(".png")?;
    Some(crate::upstream::percent_decode(name)).filter(|n| crate::document::valid_workflow_name(n))
}

/// The page's style sheet, served at `/stats/static/stats2.css` (no inline styles or scripts).
pub const STYLE_SHEET: &str = include_str!("stats2.css");
pub const STYLE_PATH: &str = "/static/stats2.css";
/// The site's common header (the ui component's module; it fills `header.site-header`).
pub const SITE_HEADER: &str = "/static/header.js";
/// The history thumbnail on the list page; the full plot is the component's default size.
pub const THUMB: (u32, u32) = (320, 160);

/// `GET /` and `GET /<page>`: the HTML table, 100 workflows per page.
pub fn list_page_html(
    store: &dyn KvStore,
    filter: &Filter,
    page: usize,
) -> Result<Response, Error> {
    let docs = select(store, filter, page.saturating_mul(PAGE_SIZE), PAGE_SIZE)?;
    let status = status::load(store).map(|s| status::summary(&s)).unwrap_or_else(|e| format!("Poller status unavailable: {e}"));
    Ok(Response::text(
        200,
        "text/html; charset=utf-8",
        render_list(&docs, page, filter, &status),
    ))
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A link to the list filtered by `index = value`.
fn filter_link(index: Index, value: &str) -> String {
    format!(
        "<a href=\"{BASE_PATH}?{}={}\">{}</a>",
        index.name(),
        escape_html(&encode(value)),
        escape_html(value)
    )
}

/// The filter form: `by` and `value`, which [`crate::views::handle`] redirects to `?<by>=<value>`.
fn filter_form(filter: &Filter) -> String {
    let (current, value) = match filter {
        Filter::All => ("", ""),
        Filter::Workflow(name) => ("workflow_name", name.as_str()),
        Filter::By(index, value) => (index.name(), value.as_str()),
    };
    let mut options = String::new();
    for name in std::iter::once("workflow_name").chain(Index::ALL.iter().map(|i| i.name())) {
        let selected = if name == current { " selected" } else { "" };
        options.push_str(&format!("<option value=\"{name}\"{selected}>{name}</option>"));
    }
    let clear = if current.is_empty() {
        String::new()
    } else {
        format!(" <a class=\"clear\" href=\"{BASE_PATH}\">clear filter</a>")
    };
    format!(
        "<form class=\"filters\" action=\"{BASE_PATH}\" method=\"get\">\
         <label>Filter <select name=\"by\">{options}</select></label> \
         <input name=\"value\" value=\"{}\" placeholder=\"exact value\" aria-label=\"filter value\"> \
         <button type=\"submit\">Apply</button>{clear}</form>\
         <form class=\"search\" action=\"{BASE_PATH}/search\" method=\"get\">\
         <input name=\"q\" placeholder=\"Search prepid, dataset, campaign…\" aria-label=\"search\"> \
         <button type=\"submit\">Search</button></form>",
        escape_html(value)
    )
}

fn render_list(docs: &[Doc], page: usize, filter: &Filter, status: &str) -> String {
    let filter_query = filter.query();
    let with_filter = |path: &str| {
        if filter_query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", escape_html(&filter_query))
        }
    };
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Stats2</title><link rel=\"stylesheet\" href=\"{BASE_PATH}{STYLE_PATH}\">\
         <script type=\"module\" src=\"{SITE_HEADER}\"></script></head><body>\
         <header class=\"site-header\"></header><main><header class=\"stats2\"><h1><a href=\"{BASE_PATH}\">Stats2</a></h1><nav>\
         <a href=\"{}\">JSON</a> <a href=\"{}\">Markdown</a> <a href=\"{BASE_PATH}/api/status\">Poller status</a></nav></header>\
         <p class=\"status\">{}</p>{}",
        with_filter(&format!("{BASE_PATH}/api/fetch")),
        with_filter(&format!("{BASE_PATH}/md")),
        escape_html(status),
        filter_form(filter),
    );
    let first = page * PAGE_SIZE + 1;
    html.push_str(&if docs.is_empty() {
        format!("<p class=\"count\">No workflows on page {page}.</p>")
    } else {
        format!("<p class=\"count\">Workflows {first}–{} (page {page}).</p>", first + docs.len() - 1)
    });
    html.push_str(
        "<table><thead><tr><th>Workflow</th><th>Type</th><th>PrepID</th><th>Campaigns</th>\
         <th>Processing string</th><th>Expected events</th><th>Output datasets</th><th>Last update</th>\
         <th>Event history</th></tr></thead><tbody>",
    );
    let string = |doc: &Doc, key: &str| doc.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let links = |doc: &Doc, index: Index| {
        index.values(doc).iter().map(|v| filter_link(index, v)).collect::<Vec<_>>().join("<br>")
    };
    for doc in docs {
        let name = doc.get("RequestName").or(doc.get("_id")).and_then(Value::as_str).unwrap_or("");
        let url = encode(name);
        let datasets: Vec<String> = completion(doc)
            .iter()
            .map(|d| {
                let perc = d.completed_perc.map(|p| format!(" <b>{p:.2}%</b>")).unwrap_or_default();
                let lumis = d.lumi_completed_perc.map(|p| format!(", lumis {p:.2}%")).unwrap_or_default();
                format!(
                    "{}<br><span class=\"figures\">{} · {} events{perc}{lumis}</span>",
                    filter_link(Index::OutputDataset, &d.dataset),
                    escape_html(&d.access_type),
                    d.events,
                )
            })
            .collect();
        let total = doc.get("TotalEvents").and_then(Value::as_i64).filter(|t| *t >= 0).map(|t| t.to_string()).unwrap_or_default();
        let updated = doc.get("LastUpdate").and_then(Value::as_i64).map(status::utc).unwrap_or_default();
        let (w, h) = THUMB;
        html.push_str(&format!(
            "<tr><td class=\"name\"><a href=\"{BASE_PATH}/api/get_json/{url}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td class=\"num\">{total}</td><td class=\"datasets\">{}</td><td>{updated}</td>\
             <td><a href=\"{BASE_PATH}/plot/{url}.png\"><img alt=\"event history of {}\" loading=\"lazy\" width=\"{w}\" height=\"{h}\" \
             src=\"{BASE_PATH}/plot/{url}.png?w={w}&amp;h={h}\"></a></td></tr>",
            escape_html(name),
            filter_link_or_empty(Index::Type, &string(doc, "RequestType")),
            filter_link_or_empty(Index::Prepid, &string(doc, "PrepID")),
            links(doc, Index::Campaign),
            filter_link_or_empty(Index::ProcessingString, &string(doc, "ProcessingString")),
            datasets.join("<br>"),
            escape_html(name),
        ));
    }
    html.push_str("</tbody></table><nav class=\"pages\">");
    if page > 0 {
        html.push_str(&format!("<a href=\"{}\">previous</a> ", with_filter(&format!("{BASE_PATH}/{}", page - 1))));
    }
    if docs.len() == PAGE_SIZE {
        html.push_str(&format!("<a href=\"{}\">next</a>", with_filter(&format!("{BASE_PATH}/{}", page + 1))));
    }
    html.push_str("</nav></main></body></html>");
    html
}

fn filter_link_or_empty(index: Index, value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        filter_link(index, value)
    }
}
