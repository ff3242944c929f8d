//! The event-history plot: a PNG line chart of each output dataset's events over time, drawn with the
//! render crate. The render crate draws binned data, so each history entry becomes one narrow filled bin
//! at its time (days since the first entry) and the stretches between entries are empty bins; `lp`
//! draws markers joined by lines through the filled bins only. The render crate's legend lists references,
//! so the main plot is an empty frame carrying the title and every dataset is a reference with its own
//! colour and legend entry.

use kv_api::KvStore;
use render::{render_message, render_overlay, Axis, Limits, Options, Plot, Style};
use stats2::page::history_series;
use stats2::status::utc;
use stats2::store::load_doc;
use web_kit::Reply;

/// The full-size plot; `?w=&h=` asks for another size within [`render::MAX_SIZE`].
pub const SIZE: (u32, u32) = (800, 400);
/// Datasets drawn at most (the render crate overlays up to 9 references).
const MAX_SERIES: usize = 9;
const DAY: f64 = 86_400.0;

pub fn reply(store: &dyn KvStore, workflow: &str, size: (u32, u32)) -> Reply {
    let doc = match load_doc(store, workflow) {
        Ok(Some(stored)) => stored.doc,
        Ok(None) => return Reply::error(404, format!("no workflow {workflow}")),
        Err(e) => return Reply::error(500, e.to_string()),
    };
    let series = history_series(&doc);
    let png = match plots(workflow, &series) {
        Some(plots) => render_overlay(&plots, &options(size, &plots), &Style::default()),
        None => render_message(size.0, size.1, "no event history yet"),
    };
    match png {
        Ok(png) => Reply::png(png),
        Err(e) => Reply::error(500, format!("drawing the plot: {e:?}")),
    }
}

/// `w` and `h` from the query, each clamped to what the render crate accepts; defaults [`SIZE`].
pub fn size(query: &[(String, String)]) -> (u32, u32) {
    let get = |name: &str, default: u32| {
        query.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<u32>().ok()).map_or(default, |v| v.clamp(60, render::MAX_SIZE))
    };
    (get("w", SIZE.0), get("h", SIZE.1))
}

/// Line chart options; the y range starts at 0 and leaves room above the data for the legend.
fn options(size: (u32, u32), plots: &[Plot]) -> Options {
    let top = plots.iter().flat_map(|p| p.contents.iter().copied()).fold(0.0, f64::max).max(1.0);
    // One legend line per dataset (the frame is plots[0]); lines take a larger share of a small plot.
    let datasets = plots.len().saturating_sub(1) as f64;
    let headroom = 1.1 + datasets * 0.06 * (400.0 / f64::from(size.1)).clamp(1.0, 2.0);
    let y = Limits { min: Some(0.0), max: Some(top * headroom) };
    Options { width: size.0, height: size.1, norm: false, stats: Some(false), drawopts: "lp".into(), limits: [Limits::default(), y, Limits::default()], ..Options::default() }
}

/// The empty frame, then one plot per dataset over shared bins; `None` when there is nothing to draw.
pub fn plots(workflow: &str, series: &[(String, Vec<(i64, i64)>)]) -> Option<Vec<Plot>> {
    let mut times: Vec<i64> = series.iter().flat_map(|(_, points)| points.iter().map(|p| p.0)).collect();
    times.sort_unstable();
    times.dedup();
    let first = *times.first()?;
    let days: Vec<f64> = times.iter().map(|t| (t - first) as f64 / DAY).collect();
    let span = days[days.len() - 1];
    // Point bins are narrow against the closest spacing; the ends get a margin so markers clear the frame.
    let closest = days.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
    let half = (closest / 4.0).min(span.max(1.0) / 400.0);
    let pad = (span * 0.05).max(0.05);
    // Bin 2i+1 is entry i; the even bins are the gaps around them.
    let mut edges = vec![-pad];
    for day in &days {
        edges.extend([day - half, day + half]);
    }
    edges.push(span + pad);
    let nbins = edges.len() - 1;
    let x = Axis::uniform(nbins, edges[0], edges[nbins]).with_edges(&edges).titled(&format!("days since {}", utc(first)));
    let title = format!("{workflow}: events");
    let mut frame = Plot::h1("", &title, x.clone(), vec![0.0; nbins]);
    frame.y = Axis::default().titled("events");
    frame.bin_entries = vec![0.0; nbins];
    let datasets = series
        .iter()
        .filter(|(_, points)| !points.is_empty())
        .take(MAX_SERIES)
        .map(|(dataset, points)| {
            let mut contents = vec![0.0; nbins];
            let mut entries = vec![0.0; nbins];
            for (time, events) in points {
                if let Ok(i) = times.binary_search(time) {
                    contents[2 * i + 1] = *events as f64;
                    entries[2 * i + 1] = 1.0;
                }
            }
            let mut plot = Plot::h1(dataset, &title, x.clone(), contents);
            plot.bin_entries = entries;
            plot
        })
        .collect::<Vec<_>>();
    (!datasets.is_empty()).then(|| std::iter::once(frame).chain(datasets).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_is_one_filled_bin_at_its_day() {
        let t0 = 1_725_148_800;
        let series = vec![("/a/b/AOD".to_owned(), vec![(t0, 5), (t0 + 86_400, 7)]), ("/a/b/MINIAOD".to_owned(), vec![(t0 + 86_400, 3)])];
        let drawn = plots("wf", &series).unwrap();
        assert_eq!(drawn.len(), 3);
        assert!(drawn[0].bin_entries.iter().all(|e| *e == 0.0), "the frame draws nothing");
        let drawn = &drawn[1..];
        assert_eq!(drawn[0].x.nbins, 5);
        assert_eq!(drawn[0].x.title, "days since 2024-09-01 00:00 UTC");
        let centre = |i: usize| (drawn[0].x.edges[i] + drawn[0].x.edges[i + 1]) / 2.0;
        assert_eq!((centre(1), centre(3)), (0.0, 1.0), "points sit at their day");
        assert_eq!(drawn[0].contents, [0.0, 5.0, 0.0, 7.0, 0.0]);
        assert_eq!(drawn[0].bin_entries, [0.0, 1.0, 0.0, 1.0, 0.0]);
        assert_eq!(drawn[1].bin_entries, [0.0, 0.0, 0.0, 1.0, 0.0], "a dataset is drawn only where it has entries");
        assert!(drawn.iter().all(|p| p.validate().is_ok()));
        let all = plots("wf", &series).unwrap();
        let y = options(SIZE, &all).limits[1];
        assert_eq!(y.min, Some(0.0));
        assert!((y.max.unwrap() - 7.0 * 1.22).abs() < 1e-9, "{y:?}");
        let png = render_overlay(&all, &options(SIZE, &all), &Style::default()).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let single = plots("wf", &[("/a/b/C".into(), vec![(t0, 1)])]).unwrap();
        assert!(render_overlay(&single, &options((320, 160), &single), &Style::default()).is_ok());
        assert!(plots("wf", &[("/a/b/C".into(), vec![])]).is_none());
        assert!(plots("wf", &[]).is_none());
    }

    #[test]
    fn size_comes_from_the_query_within_limits() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(size(&q(&[])), SIZE);
        assert_eq!(size(&q(&[("w", "320"), ("h", "160")])), (320, 160));
        assert_eq!(size(&q(&[("w", "1"), ("h", "nope")])), (60, SIZE.1));
        assert_eq!(size(&q(&[("w", "999999")])).0, render::MAX_SIZE);
    }
}
