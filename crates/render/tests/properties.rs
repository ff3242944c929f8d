//! Property tests: random sizes, options and (often hostile) plots never panic, and every image
//! is a PNG of exactly the requested size.

mod samples;

use render::{render_overlay, Axis, Kind, Options, Plot, Rules};
use samples::Rng;

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |o: usize| u32::from_be_bytes(png[o..o + 4].try_into().unwrap());
    (be(16), be(20))
}

fn pick<'a>(r: &mut Rng, items: &[&'a str]) -> &'a str {
    items[r.below(items.len() as u64) as usize]
}

/// A value that is usually ordinary and sometimes extreme.
fn wild(r: &mut Rng) -> f64 {
    match r.below(12) {
        0 => 0.0,
        1 => -r.uniform() * 1e6,
        2 => r.uniform() * 1e30,
        3 => f64::NAN,
        4 => f64::INFINITY,
        5 => 1e-300,
        _ => (r.uniform() * 100.0).round(),
    }
}

fn random_axis(r: &mut Rng, max_bins: u64) -> Axis {
    let n = 1 + r.below(max_bins) as usize;
    let min = match r.below(4) {
        0 => 0.0,
        1 => -r.uniform() * 1e5,
        2 => r.uniform() * 1e-6,
        _ => -0.5,
    };
    let width = match r.below(4) {
        0 => 1e-9,
        1 => 1e9,
        _ => 1.0 + r.uniform() * 100.0,
    };
    let mut a = Axis::uniform(n, min, min + width).titled(pick(r, &["", "x", "p_{T} [GeV]", "#eta", "a very long axis title that cannot fit anywhere at all"]));
    if r.below(5) == 0 {
        let mut edges: Vec<f64> = (0..=n).map(|i| min + width * (i as f64 / n as f64).powi(2)).collect();
        edges.dedup();
        if edges.len() == n + 1 {
            a.edges = edges;
        }
    }
    if r.below(4) == 0 {
        a.labels = (0..n).map(|i| if r.below(3) == 0 { String::new() } else { format!("label_{i}_{}", "x".repeat(r.below(20) as usize)) }).collect();
    }
    a
}

fn random_plot(r: &mut Rng, dim: usize) -> Plot {
    let kind = match (dim, r.below(2)) {
        (0, _) => return Plot::scalar("s", pick(r, &["", "42", "-1.25e-07", "hello world <b>bold</b>", &"W".repeat(300)])),
        (1, 0) => Kind::H1,
        (1, _) => Kind::Profile,
        (2, 0) => Kind::H2,
        (2, _) => Kind::Profile2D,
        _ => Kind::H3,
    };
    let max_bins = if dim == 1 { 300 } else if dim == 2 { 80 } else { 10 };
    let x = random_axis(r, max_bins);
    let y = if dim >= 2 { random_axis(r, max_bins) } else { Axis::default() };
    let z = if dim >= 3 { random_axis(r, max_bins) } else { Axis::default() };
    let cells = x.nbins * y.nbins.max(1) * z.nbins.max(1);
    let contents: Vec<f64> = (0..cells).map(|_| wild(r)).collect();
    let mut p = Plot::new(kind, pick(r, &["", "name", "charge_PXLayer_1"]), pick(r, &["", "Title #sigma_{x}", &"long title ".repeat(30)]), x, y, z, contents);
    if r.below(2) == 0 {
        p.errors = (0..cells).map(|_| wild(r)).collect();
    }
    if p.is_profile() && r.below(2) == 0 {
        p.bin_entries = (0..cells).map(|_| r.below(3) as f64).collect();
    }
    p.entries = wild(r);
    p.efficiency = r.below(6) == 0;
    p
}

fn random_query(r: &mut Rng) -> Vec<(String, String)> {
    let mut q = vec![];
    let size = |r: &mut Rng| match r.below(6) {
        0 => 1 + r.below(8),
        1 => 8 + r.below(60),
        _ => 60 + r.below(700),
    };
    q.push(("w".into(), size(r).to_string()));
    q.push(("h".into(), size(r).to_string()));
    for key in ["stats", "norm", "errors"] {
        if r.below(2) == 0 {
            q.push((key.into(), pick(r, &["true", "false"]).into()));
        }
    }
    if r.below(2) == 0 {
        q.push(("drawopts".into(), pick(r, &["colz", "col", "box", "text", "hist", "e", "p", "pl", "colz text", "hist e1", "lego", "f", "garbage"]).into()));
    }
    for axis in ["x", "y", "z"] {
        if r.below(3) == 0 {
            q.push((format!("{axis}type"), pick(r, &["log", "lin"]).into()));
        }
        for bound in ["min", "max"] {
            if r.below(4) == 0 {
                q.push((format!("{axis}{bound}"), pick(r, &["0", "-1", "1e-3", "5", "1e12", "-1e12", "0.5"]).into()));
            }
        }
    }
    if r.below(2) == 0 {
        q.push(("ref".into(), pick(r, &["overlay", "ratiooverlay", "stacked"]).into()));
    }
    for _ in 0..r.below(4) {
        q.push(("reflabel".into(), pick(r, &["", "run 1", &"L".repeat(200)]).into()));
    }
    q
}

#[test]
fn random_plots_and_options_never_panic() {
    let rules = Rules::builtin();
    let paths = ["EcalBarrel/EBOccupancyTask/EBOT digi occupancy", "Info/EventInfo/reportSummaryMap", "Tracking/TrackParameters/GeneralProperties/TrackEfficiency", "Edge/Types/h2s", "x"];
    let mut r = Rng::new(2024);
    for round in 0..250 {
        let q = random_query(&mut r);
        let opts = Options::from_query(q.iter().map(|(k, v)| (k.as_str(), v.as_str()))).expect("valid query");
        let dim = [0, 1, 1, 1, 2, 2, 3][r.below(7) as usize];
        let n = 1 + r.below(4) as usize;
        // References mostly share the main object's dimension; sometimes they do not.
        let mut plots = Vec::new();
        for k in 0..n {
            let d = if k > 0 && r.below(5) == 0 { 1 } else { dim };
            plots.push(random_plot(&mut r, d));
        }
        let style = rules.style_for(paths[round % paths.len()]);
        match render_overlay(&plots, &opts, &style) {
            Ok(png) => assert_eq!(png_size(&png), (opts.width, opts.height), "round {round}: {q:?}"),
            Err(render::RenderError::MixedKinds) => assert!(plots.iter().any(|p| p.dimension() == 0)),
            Err(e) => panic!("round {round}: {e} for {q:?}"),
        }
    }
}

#[test]
fn invalid_plots_and_sizes_are_errors_not_panics() {
    let style = render::Style::default();
    let opts = Options::default();
    let mut bad = Plot::h1("n", "t", Axis::uniform(3, 0.0, 1.0), vec![1.0, 2.0]);
    assert!(matches!(render::render(&bad, &opts, &style), Err(render::RenderError::InvalidPlot(_))));
    bad.contents.push(3.0);
    bad.x.max = f64::NAN;
    assert!(render::render(&bad, &opts, &style).is_err());
    let ok = Plot::h1("n", "t", Axis::uniform(3, 0.0, 1.0), vec![1.0, 2.0, 3.0]);
    let huge = Options { width: 5000, ..Options::default() };
    assert!(matches!(render::render(&ok, &huge, &style), Err(render::RenderError::Options(_))));
    assert!(render::render_not_found(0, 10).is_err());
    assert!(matches!(render_overlay(&[], &opts, &style), Err(render::RenderError::NoObjects)));
    let mixed = [ok.clone(), Plot::scalar("s", "1")];
    assert_eq!(render_overlay(&mixed, &opts, &style), Err(render::RenderError::MixedKinds));
}

#[test]
fn largest_canvas_renders() {
    let p = samples::ebot_occupancy();
    let opts = Options { width: render::MAX_SIZE, height: render::MAX_SIZE, ..Options::default() };
    let png = render::render(&p, &opts, &render::Style::default()).unwrap();
    assert_eq!(png_size(&png), (4096, 4096));
}
