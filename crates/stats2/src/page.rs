//! The HTML list page (`GET /`, `GET /<page>`): 100 workflows per page with their completion (§5.6),
//! and the per-dataset event series the history plot draws.

use crate::document::Doc;
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

/// `GET /` and `GET /<page>`: the HTML table, 100 workflows per page.
pub fn list_page_html(
    store: &dyn KvStore,
    filter: &Filter,
    page: usize,
) -> Result<Response, Error> {
    let docs = select(store, filter, page.saturating_mul(PAGE_SIZE), PAGE_SIZE)?;
    Ok(Response::text(
        200,
        "text/html; charset=utf-8",
        render_list(&docs, page, &filter.query()),
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

/// `filter_query` keeps the filter on the previous/next links.
fn render_list(docs: &[Doc], page: usize, filter_query: &str) -> String {
    let link = |page: usize| {
        let query = if filter_query.is_empty() {
            String::new()
        } else {
            format!("?{}", escape_html(filter_query))
        };
        format!("{BASE_PATH}/{page}{query}")
    };
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Stats2</title></head><body>\
         <form action=\"/stats/search\"><input name=\"q\" placeholder=\"Search\"></form>\
         <table><tr><th>Workflow</th><th>Type</th><th>PrepID</th><th>Campaigns</th><th>Expected events</th>\
         <th>Output datasets</th><th>History</th></tr>",
    );
    let text = |doc: &Doc, key: &str| match doc.get(key) {
        Some(Value::String(s)) => escape_html(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => escape_html(
            &items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => String::new(),
    };
    for doc in docs {
        let name = doc
            .get("RequestName")
            .or(doc.get("_id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let datasets: Vec<String> = completion(doc)
            .iter()
            .map(|d| {
                let perc = d
                    .completed_perc
                    .map(|p| format!(" ({p:.2}%)"))
                    .unwrap_or_default();
                format!(
                    "{} {} {}{perc}",
                    escape_html(&d.dataset),
                    escape_html(&d.access_type),
                    d.events
                )
            })
            .collect();
        html.push_str(&format!(
            "<tr><td><a href=\"{BASE_PATH}/api/get_json/{url}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><img alt=\"event history\" src=\"{BASE_PATH}/plot/{url}.png\"></td></tr>",
            text(doc, "RequestType"),
            text(doc, "PrepID"),
            text(doc, "Campaigns"),
            text(doc, "TotalEvents"),
            datasets.join("<br>"),
            url = encode(name),
            name = escape_html(name),
        ));
    }
    html.push_str("</table>");
    if page > 0 {
        html.push_str(&format!("<a href=\"{}\">previous</a> ", link(page - 1)));
    }
    if docs.len() == PAGE_SIZE {
        html.push_str(&format!("<a href=\"{}\">next</a>", link(page + 1)));
    }
    html.push_str("</body></html>");
    html
}
