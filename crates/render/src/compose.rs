//! Whole images: single plots, overlays (plain, ratio, stacked), scalars and the "ME not found" tile,
//! each with title, stats box and legend.

use crate::axes::{self, AxisSpec, Frame, Rect, Sizes};
use crate::canvas::{Canvas, Rgba, BLACK};
use crate::draw1d::{self, Series};
use crate::draw2d;
use crate::look::{apply_limits, value_range, Look};
use crate::model::{Kind, Plot};
use crate::options::{Options, OptionsError, RefMode};
use crate::rules::Style;
use crate::decor::{draw_centered_lines, draw_legend, draw_stats, draw_title, top_reserve};
use std::fmt;

/// Why no image could be produced.
#[derive(Clone, Debug, PartialEq)]
pub enum RenderError {
    Options(OptionsError),
    InvalidPlot(String),
    /// Scalars and histograms cannot be overlaid (the component answers 400).
    MixedKinds,
    NoObjects,
    Encode(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Options(e) => write!(f, "{e}"),
            RenderError::InvalidPlot(e) => write!(f, "invalid plot: {e}"),
            RenderError::MixedKinds => f.write_str("scalars and histograms cannot be overlaid"),
            RenderError::NoObjects => f.write_str("nothing to render"),
            RenderError::Encode(e) => write!(f, "PNG encoding failed: {e}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Colours of the references, in order (the main object is black).
pub const REF_COLORS: [Rgba; 9] = [
    Rgba(0, 80, 220, 255),
    Rgba(220, 30, 30, 255),
    Rgba(20, 150, 20, 255),
    Rgba(230, 130, 0, 255),
    Rgba(140, 30, 190, 255),
    Rgba(0, 160, 170, 255),
    Rgba(200, 0, 150, 255),
    Rgba(120, 120, 0, 255),
    Rgba(100, 100, 100, 255),
];

/// Draws one plot as a `w`×`h` PNG.
pub fn render(plot: &Plot, opts: &Options, style: &Style) -> Result<Vec<u8>, RenderError> {
    render_overlay(std::slice::from_ref(plot), opts, style)
}

/// Draws `plots[0]` with the others as references, combined as `opts.reference` says.
/// References whose dimension differs from the main object's are left out.
pub fn render_overlay(plots: &[Plot], opts: &Options, style: &Style) -> Result<Vec<u8>, RenderError> {
    opts.check_size().map_err(RenderError::Options)?;
    if plots.is_empty() {
        return Err(RenderError::NoObjects);
    }
    for p in plots {
        p.validate().map_err(RenderError::InvalidPlot)?;
    }
    let scalars = plots.iter().filter(|p| p.dimension() == 0).count();
    if scalars != 0 && scalars != plots.len() {
        return Err(RenderError::MixedKinds);
    }
    let mut canvas = new_canvas(opts.width, opts.height)?;
    if scalars > 0 {
        let lines: Vec<(String, Rgba)> = plots.iter().enumerate().map(|(k, p)| (scalar_text(p), color_of(k))).collect();
        draw_centered_lines(&mut canvas, &lines);
    } else {
        let projected: Vec<Plot> = plots.iter().map(|p| if p.kind == Kind::H3 { p.project_xy() } else { p.clone() }).collect();
        let main = &projected[0];
        let refs: Vec<&Plot> = projected[1..].iter().filter(|p| p.dimension() == main.dimension()).collect();
        let look = Look::resolve(main, opts, style);
        let ctx = Ctx { sizes: Sizes::for_canvas(canvas.width(), canvas.height()), look, opts };
        if main.dimension() == 1 {
            match opts.reference {
                RefMode::Ratio if !refs.is_empty() => draw_ratio(&mut canvas, &ctx, main, &refs),
                RefMode::Stacked if !refs.is_empty() => draw_stacked(&mut canvas, &ctx, main, &refs),
                _ => draw_overlay_1d(&mut canvas, &ctx, main, &refs),
            }
        } else {
            draw_2d(&mut canvas, &ctx, main, &refs);
        }
    }
    canvas.encode_png().map_err(RenderError::Encode)
}

/// The tile shown for a missing sample or ME.
pub fn render_not_found(width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    render_message(width, height, "ME not found")
}

/// A `w`×`h` PNG with `message` centred.
pub fn render_message(width: u32, height: u32, message: &str) -> Result<Vec<u8>, RenderError> {
    Options { width, height, ..Options::default() }.check_size().map_err(RenderError::Options)?;
    let mut canvas = new_canvas(width, height)?;
    draw_centered_lines(&mut canvas, &[(message.to_string(), BLACK)]);
    canvas.encode_png().map_err(RenderError::Encode)
}

fn new_canvas(w: u32, h: u32) -> Result<Canvas, RenderError> {
    Canvas::new(w, h).ok_or_else(|| RenderError::Options(OptionsError("w and h must be positive".into())))
}

struct Ctx<'a> {
    sizes: Sizes,
    look: Look,
    opts: &'a Options,
}

fn color_of(k: usize) -> Rgba {
    if k == 0 { BLACK } else { REF_COLORS[(k - 1) % REF_COLORS.len()] }
}

/// Reference colours on colour maps skip the blue that the palettes use.
fn color_2d(k: usize) -> Rgba {
    REF_COLORS[k % REF_COLORS.len()]
}

fn scalar_text(p: &Plot) -> String {
    match &p.kind {
        Kind::Scalar(s) => s.clone(),
        _ => String::new(),
    }
}

fn norm_factor(main: &Plot, r: &Plot, opts: &Options) -> f64 {
    let (a, b) = (main.integral(), r.integral());
    if opts.norm && !main.efficiency && !r.efficiency && b != 0.0 && (a / b).is_finite() { a / b } else { 1.0 }
}

fn x_range(main: &Plot, look: &Look) -> (f64, f64) {
    let mut auto = (main.x.min, main.x.max);
    if look.log[0] && auto.0 <= 0.0 {
        let first_positive = (0..=main.x.nbins).map(|i| main.x.edge(i)).find(|e| *e > 0.0);
        auto.0 = first_positive.filter(|e| *e < auto.1).unwrap_or(auto.1 * 1e-3);
    }
    apply_limits(auto, look.limits[0], look.log[0])
}

fn y_range(series: &[Series], look: &Look, efficiency: bool, xr: (f64, f64)) -> (f64, f64) {
    let auto = if efficiency {
        let (_, _, pos) = draw1d::extent(series, false, xr);
        if look.log[1] { (if pos.is_finite() { pos * 0.5 } else { 0.01 }, 1.0) } else { (0.0, 1.0) }
    } else {
        let (lo, hi, pos) = draw1d::extent(series, look.draw.errors, xr);
        value_range(lo, hi, pos, look.log[1])
    };
    apply_limits(auto, look.limits[1], look.log[1])
}

fn spec<'a>(range: (f64, f64), log: bool, axis: &'a crate::Axis, look: &Look, bins: bool) -> AxisSpec<'a> {
    AxisSpec {
        min: range.0,
        max: range.1,
        log,
        title: &axis.title,
        bins: if bins { Some(axis) } else { None },
        label_mode: look.labels,
        show_labels: true,
    }
}

fn line_width(c: &Canvas, main: bool) -> f32 {
    if main && c.width() >= 500.0 { 2.0 } else { 1.0 }
}

fn marker_radius(s: &Sizes) -> f32 {
    (s.label.px * 0.2).max(1.5)
}

/// Legend label of reference `k` (1-based): the k-th `reflabel`, else the object's name.
fn ref_label(opts: &Options, k: usize, p: &Plot) -> String {
    opts.reflabels.get(k - 1).cloned().unwrap_or_else(|| if p.name.is_empty() { format!("reference {k}") } else { p.name.clone() })
}

/// Title and stats box (its right edge at `right`); returns the bottom of the stats box (for the legend).
fn header(c: &mut Canvas, ctx: &Ctx, main: &Plot, right: f32, f: &Frame) -> f32 {
    if f.compact {
        // The frame fills the canvas: no room for a title or stats box.
        return 0.0;
    }
    let stats = if ctx.look.stats { draw_stats(c, &ctx.sizes, main, right) } else { None };
    draw_title(c, &ctx.sizes, &main.title, stats.map_or(c.width(), |s| s.0));
    stats.map_or(0.0, |s| s.1)
}

fn full_pad(c: &Canvas) -> Rect {
    Rect { x0: 0.0, y0: 0.0, x1: c.width(), y1: c.height() }
}

fn series_for<'a>(c: &Canvas, ctx: &Ctx, main: &'a Plot, refs: &[&'a Plot]) -> Vec<Series<'a>> {
    let mut out = vec![Series::new(main, ctx.look.line_color.unwrap_or(BLACK), line_width(c, !refs.is_empty()))];
    for (k, r) in refs.iter().enumerate() {
        let mut s = Series::new(r, color_of(k + 1), line_width(c, false));
        s.factor = norm_factor(main, r, ctx.opts);
        out.push(s);
    }
    out
}

/// Draws references first and the main object last (on top); a rule's fill colour is the main
/// object's, references fill with a translucent version of their own colour.
fn draw_all(c: &mut Canvas, f: &Frame, series: &[Series], look: &Look, sizes: &Sizes) {
    let ref_look = Look { fill: None, ..look.clone() };
    for (k, s) in series.iter().enumerate().rev() {
        draw1d::draw_series(c, f, s, if k == 0 { look } else { &ref_look }, marker_radius(sizes), &sizes.stats);
    }
}

fn draw_overlay_1d(c: &mut Canvas, ctx: &Ctx, main: &Plot, refs: &[&Plot]) {
    let look = &ctx.look;
    let series = series_for(c, ctx, main, refs);
    let xr = x_range(main, look);
    let yr = y_range(&series, look, main.efficiency, xr);
    let xs = spec(xr, look.log[0], &main.x, look, true);
    let ys = spec(yr, look.log[1], &main.y, look, false);
    let f = axes::layout(full_pad(c), top_reserve(&ctx.sizes, &main.title), 0.0, (0.0, 0.0), &xs, &ys, &ctx.sizes);
    draw1d::draw_bands(c, &f, &look.bands);
    draw_all(c, &f, &series, look, &ctx.sizes);
    draw1d::draw_lines(c, &f, &look.lines);
    axes::draw(c, &f, &xs, &ys, &ctx.sizes, look.grid);
    let below = header(c, ctx, main, c.width() - 2.0, &f);
    let entries: Vec<_> = refs.iter().enumerate().map(|(k, r)| (ref_label(ctx.opts, k + 1, r), color_of(k + 1), false)).collect();
    draw_legend(c, &ctx.sizes, &f, &entries, below);
}

fn draw_stacked(c: &mut Canvas, ctx: &Ctx, main: &Plot, refs: &[&Plot]) {
    let mut look = ctx.look.clone();
    look.draw = crate::look::DrawOpts { hist: true, fill: true, ..Default::default() };
    let base = series_for(c, ctx, main, refs);
    let n = main.x.nbins;
    let mut sum = vec![0.0; n];
    let mut layers = Vec::new();
    for s in &base {
        for (i, acc) in sum.iter_mut().enumerate() {
            // A reference may have other binning; bins beyond its range add nothing.
            let v = if i < s.plot.contents.len() && s.plot.filled(i) { s.value(i) } else { 0.0 };
            *acc += v;
        }
        let mut layer = Series::new(main, s.color, 1.0);
        layer.values = Some(sum.clone());
        layers.push(layer);
    }
    let xr = x_range(main, &look);
    let yr = y_range(&layers, &look, false, xr);
    let xs = spec(xr, look.log[0], &main.x, &look, true);
    let ys = spec(yr, look.log[1], &main.y, &look, false);
    let f = axes::layout(full_pad(c), top_reserve(&ctx.sizes, &main.title), 0.0, (0.0, 0.0), &xs, &ys, &ctx.sizes);
    draw1d::draw_bands(c, &f, &look.bands);
    for layer in layers.iter().rev() {
        look.fill = Some(lighten(layer.color));
        draw1d::draw_series(c, &f, layer, &look, 1.0, &ctx.sizes.stats);
    }
    draw1d::draw_lines(c, &f, &look.lines);
    axes::draw(c, &f, &xs, &ys, &ctx.sizes, look.grid);
    let below = header(c, ctx, main, c.width() - 2.0, &f);
    let mut entries = vec![(main.name.clone(), lighten(BLACK), true)];
    entries.extend(refs.iter().enumerate().map(|(k, r)| (ref_label(ctx.opts, k + 1, r), lighten(color_of(k + 1)), true)));
    draw_legend(c, &ctx.sizes, &f, &entries, below);
}

fn lighten(c: Rgba) -> Rgba {
    let mix = |v: u8| (v as u16 + (255 - v as u16) * 2 / 5) as u8;
    Rgba(mix(c.0), mix(c.1), mix(c.2), 255)
}

fn draw_ratio(c: &mut Canvas, ctx: &Ctx, main: &Plot, refs: &[&Plot]) {
    let look = &ctx.look;
    let series = series_for(c, ctx, main, refs);
    let split = (c.height() * 0.68).round();
    let upper = Rect { x0: 0.0, y0: 0.0, x1: c.width(), y1: split };
    let lower = Rect { x0: 0.0, y0: split, x1: c.width(), y1: c.height() };
    let xr = x_range(main, look);
    let yr = y_range(&series, look, main.efficiency, xr);
    // Ratios to the main object; bins where it is empty are left out.
    let ratios: Vec<Series> = series[1..]
        .iter()
        .map(|s| {
            let n = main.x.nbins.min(s.plot.contents.len());
            let mut values = vec![f64::NAN; s.plot.contents.len()];
            let mut errors = vec![0.0; s.plot.contents.len()];
            for i in 0..n {
                let m = main.contents[i];
                if m != 0.0 && m.is_finite() && s.plot.filled(i) {
                    values[i] = s.value(i) / m;
                    errors[i] = s.error(i) / m.abs();
                }
            }
            Series { plot: s.plot, factor: 1.0, color: s.color, width: 1.0, values: Some(values), value_errors: Some(errors) }
        })
        .collect();
    let (lo, hi, _) = draw1d::extent(&ratios, true, xr);
    let rr = if lo.is_finite() {
        let (lo, hi) = (lo.clamp(0.0, 1.0), hi.clamp(1.0, 10.0));
        let pad = ((hi - lo) * 0.1).max(0.05);
        ((lo - pad).max(0.0), hi + pad)
    } else {
        (0.0, 2.0)
    };
    let mut xs_up = spec(xr, look.log[0], &main.x, look, true);
    xs_up.show_labels = false;
    let ys_up = spec(yr, look.log[1], &main.y, look, false);
    let xs_low = spec(xr, look.log[0], &main.x, look, true);
    let ys_low = AxisSpec { min: rr.0, max: rr.1, log: false, title: "ratio", bins: None, label_mode: look.labels, show_labels: true };
    let top = top_reserve(&ctx.sizes, &main.title);
    let mut f_up = axes::layout(upper, top, 0.0, (0.0, 0.0), &xs_up, &ys_up, &ctx.sizes);
    let mut f_low = axes::layout(lower, 0.0, 0.0, (0.0, 0.0), &xs_low, &ys_low, &ctx.sizes);
    // Align both frames on the wider margins so the x axes line up.
    let lr = (
        (f_up.rect.x0 - upper.x0).max(f_low.rect.x0 - lower.x0),
        (upper.x1 - f_up.rect.x1).max(lower.x1 - f_low.rect.x1),
    );
    f_up = axes::layout(upper, top, 0.0, lr, &xs_up, &ys_up, &ctx.sizes);
    f_low = axes::layout(lower, 0.0, 0.0, lr, &xs_low, &ys_low, &ctx.sizes);
    draw1d::draw_bands(c, &f_up, &look.bands);
    draw_all(c, &f_up, &series, look, &ctx.sizes);
    draw1d::draw_lines(c, &f_up, &look.lines);
    axes::draw(c, &f_up, &xs_up, &ys_up, &ctx.sizes, look.grid);
    let mut points = look.clone();
    points.draw = crate::look::DrawOpts { errors: true, markers: true, ..Default::default() };
    let one = [crate::rules::RefLine { axis: 1, value: 1.0, color: Rgba(90, 90, 90, 255), dashed: true }];
    draw1d::draw_lines(c, &f_low, &one);
    for r in &ratios {
        draw1d::draw_series(c, &f_low, r, &points, marker_radius(&ctx.sizes) * 0.7, &ctx.sizes.stats);
    }
    axes::draw(c, &f_low, &xs_low, &ys_low, &ctx.sizes, look.grid);
    let below = header(c, ctx, main, c.width() - 2.0, &f_up);
    let entries: Vec<_> = refs.iter().enumerate().map(|(k, r)| (ref_label(ctx.opts, k + 1, r), color_of(k + 1), false)).collect();
    draw_legend(c, &ctx.sizes, &f_up, &entries, below);
}

fn draw_2d(c: &mut Canvas, ctx: &Ctx, main: &Plot, refs: &[&Plot]) {
    let look = &ctx.look;
    let s = &ctx.sizes;
    let xr = x_range(main, look);
    let yr = {
        let mut auto = (main.y.min, main.y.max);
        if look.log[1] && auto.0 <= 0.0 {
            auto.0 = (0..=main.y.nbins).map(|i| main.y.edge(i)).find(|e| *e > 0.0).filter(|e| *e < auto.1).unwrap_or(auto.1 * 1e-3);
        }
        apply_limits(auto, look.limits[1], look.log[1])
    };
    let z = draw2d::z_range(main, look);
    let colors = look.draw.colz || look.draw.col;
    let bar = if look.draw.colz { Some(draw2d::plan_bar(z, look.log[2], c.height() * 0.7, c.width(), s)) } else { None };
    let xs = spec(xr, look.log[0], &main.x, look, true);
    let ys = spec(yr, look.log[1], &main.y, look, true);
    let reserve = bar.as_ref().map_or(0.0, |b| b.reserve);
    let f = axes::layout(full_pad(c), top_reserve(s, &main.title), reserve, (0.0, 0.0), &xs, &ys, s);
    draw1d::draw_bands(c, &f, &look.bands);
    if colors {
        draw2d::draw_colors(c, &f, main, look.palette, z, look.log[2]);
    }
    if look.draw.boxes {
        draw2d::draw_boxes(c, &f, main, look.line_color.unwrap_or(BLACK));
    }
    for (k, r) in refs.iter().enumerate() {
        draw2d::draw_boxes(c, &f, r, color_2d(k + 1));
    }
    if look.draw.text {
        draw2d::draw_texts(c, &f, main, s);
    }
    draw1d::draw_lines(c, &f, &look.lines);
    axes::draw(c, &f, &xs, &ys, s, look.grid);
    if let (Some(bar), false) = (&bar, f.compact) {
        draw2d::draw_bar(c, &f, bar, look.palette, z, look.log[2], s);
    }
    // With a colour bar the stats box ends at the frame, so the bar's labels stay visible.
    let right = if bar.is_some() && !f.compact { f.rect.x1 } else { c.width() - 2.0 };
    let below = header(c, ctx, main, right, &f);
    let entries: Vec<_> = refs.iter().enumerate().map(|(k, r)| (ref_label(ctx.opts, k + 1, r), color_2d(k + 1), false)).collect();
    draw_legend(c, s, &f, &entries, below);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Axis;

    fn h1(c: Vec<f64>) -> Plot {
        Plot::h1("h", "t", Axis::uniform(c.len(), 0.0, c.len() as f64), c)
    }

    #[test]
    fn reflabels_go_to_references_in_order() {
        let opts = Options { reflabels: vec!["first ref".into(), "second ref".into()], ..Options::default() };
        let (a, b, c) = (h1(vec![1.0]), h1(vec![2.0]), h1(vec![3.0]));
        assert_eq!(ref_label(&opts, 1, &b), "first ref");
        assert_eq!(ref_label(&opts, 2, &c), "second ref");
        let named = Plot { name: "NumberOfTracks".into(), ..a };
        assert_eq!(ref_label(&opts, 3, &named), "NumberOfTracks");
    }

    #[test]
    fn normalisation_skips_efficiencies_and_empty_references() {
        let opts = Options::default();
        let (main, r) = (h1(vec![10.0, 30.0]), h1(vec![1.0, 1.0]));
        assert_eq!(norm_factor(&main, &r, &opts), 20.0);
        assert_eq!(norm_factor(&main, &r, &Options { norm: false, ..Options::default() }), 1.0);
        let eff = Plot { efficiency: true, ..main.clone() };
        assert_eq!(norm_factor(&eff, &r, &opts), 1.0);
        assert_eq!(norm_factor(&main, &h1(vec![0.0, 0.0]), &opts), 1.0);
    }

    #[test]
    fn efficiency_axis_is_zero_to_one() {
        let mut p = h1(vec![0.2, 0.9]);
        p.efficiency = true;
        let look = Look::resolve(&p, &Options::default(), &Style::default());
        let series = [Series::new(&p, BLACK, 1.0)];
        assert_eq!(y_range(&series, &look, true, (0.0, 2.0)), (0.0, 1.0));
    }

    #[test]
    fn colz_bins_get_palette_colours() {
        // One hot bin in a 2×1 map: its centre has the palette's top colour.
        let p = Plot::h2("m", "", Axis::uniform(2, 0.0, 2.0), Axis::uniform(1, 0.0, 1.0), vec![0.0, 5.0]);
        let opts = Options { width: 300, height: 200, stats: Some(false), ..Options::default() };
        let look = Look::resolve(&p, &opts, &Style::default());
        let mut c = Canvas::new(300, 200).unwrap();
        let ctx = Ctx { sizes: Sizes::for_canvas(300.0, 200.0), look, opts: &opts };
        draw_2d(&mut c, &ctx, &p, &[]);
        let f = axes::layout(full_pad(&c), top_reserve(&ctx.sizes, ""), draw2d::plan_bar((0.0, 5.0), false, 140.0, 300.0, &ctx.sizes).reserve, (0.0, 0.0),
            &spec((0.0, 2.0), false, &p.x, &ctx.look, true), &spec((0.0, 1.0), false, &p.y, &ctx.look, true), &ctx.sizes);
        let (cx, cy) = ((f.rect.x0 + f.rect.w() * 0.75) as u32, (f.rect.y0 + f.rect.h() * 0.5) as u32);
        assert_eq!(c.pixel(cx, cy), Some(crate::palette::Palette::Bird.at(1.0)));
        let empty = ((f.rect.x0 + f.rect.w() * 0.25) as u32, cy);
        assert_eq!(c.pixel(empty.0, empty.1), Some(crate::canvas::WHITE));
    }
}
