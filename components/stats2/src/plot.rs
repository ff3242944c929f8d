//! The event-history plot. The render crate draws histograms, not line charts, so each output dataset's
//! history is drawn as a TH1-like series: one bin per history entry (variable edges at the entry times),
//! the bin content the dataset's events then, all datasets overlaid.

use kv_api::KvStore;
use render::{render_message, render_overlay, Axis, Options, Plot, Style};
use stats2::page::history_series;
use stats2::store::load_doc;
use web_kit::Reply;

const WIDTH: u32 = 800;
const HEIGHT: u32 = 400;
/// Datasets drawn at most (the render crate overlays up to 9 references).
const MAX_SERIES: usize = 10;

pub fn reply(store: &dyn KvStore, workflow: &str) -> Reply {
    let doc = match load_doc(store, workflow) {
        Ok(Some(stored)) => stored.doc,
        Ok(None) => return Reply::error(404, format!("no workflow {workflow}")),
        Err(e) => return Reply::error(500, e.to_string()),
    };
    let series = history_series(&doc);
    let png = match plots(workflow, &series) {
        Some(plots) => render_overlay(&plots, &options(), &Style::default()),
        None => render_message(WIDTH, HEIGHT, "no event history yet"),
    };
    match png {
        Ok(png) => Reply::png(png),
        Err(e) => Reply::error(500, format!("drawing the plot: {e:?}")),
    }
}

fn options() -> Options {
    Options { width: WIDTH, height: HEIGHT, norm: false, stats: Some(false), drawopts: "hist".into(), ..Options::default() }
}

/// One plot per dataset over the same time bins; `None` when there is nothing to draw.
pub fn plots(workflow: &str, series: &[(String, Vec<(i64, i64)>)]) -> Option<Vec<Plot>> {
    let mut times: Vec<i64> = series.iter().flat_map(|(_, points)| points.iter().map(|p| p.0)).collect();
    times.sort_unstable();
    times.dedup();
    if times.is_empty() {
        return None;
    }
    // The last bin is as wide as the mean spacing (an hour for a single entry).
    let span = times[times.len() - 1] - times[0];
    let last_width = if times.len() > 1 { (span / (times.len() as i64 - 1)).max(1) } else { 3600 };
    let mut edges: Vec<f64> = times.iter().map(|t| *t as f64).collect();
    edges.push((times[times.len() - 1] + last_width) as f64);
    let x = Axis::uniform(times.len(), edges[0], edges[edges.len() - 1]).with_edges(&edges).titled("time (UNIX s)");
    let plots = series
        .iter()
        .filter(|(_, points)| !points.is_empty())
        .take(MAX_SERIES)
        .map(|(dataset, points)| {
            // Between entries a dataset keeps its last count.
            let mut current = 0;
            let contents = times
                .iter()
                .map(|t| {
                    if let Some((_, events)) = points.iter().rev().find(|(pt, _)| pt <= t) {
                        current = *events;
                    }
                    current as f64
                })
                .collect();
            Plot::h1(dataset, &format!("{workflow}: events"), x.clone(), contents)
        })
        .collect::<Vec<_>>();
    (!plots.is_empty()).then_some(plots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_become_overlaid_bins_on_shared_edges() {
        let series = vec![("/a/b/AOD".to_owned(), vec![(100, 5), (200, 7)]), ("/a/b/MINIAOD".to_owned(), vec![(200, 3)])];
        let drawn = plots("wf", &series).unwrap();
        assert_eq!(drawn.len(), 2);
        assert_eq!(drawn[0].x.edges, [100.0, 200.0, 300.0]);
        assert_eq!(drawn[0].contents, [5.0, 7.0]);
        assert_eq!(drawn[1].contents, [0.0, 3.0]);
        let png = render_overlay(&drawn, &options(), &Style::default()).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(plots("wf", &[("/a/b/C".into(), vec![])]).is_none());
        assert!(plots("wf", &[]).is_none());
    }
}
