//! Two-dimensional drawing: colour maps (col/colz), boxes, bin-content text and the colour bar.

use crate::axes::{AxisMap, Frame, Rect, Sizes};
use crate::canvas::{Canvas, Rgba, BLACK};
use crate::look::Look;
use crate::model::Plot;
use crate::palette::Palette;
use crate::text::{self, Align};
use crate::ticks::{self, Ticks};

/// Whether bin `i` of a 2-D plot is drawn: empty profile bins and zero-content bins are not.
fn shown(plot: &Plot, i: usize) -> bool {
    plot.filled(i) && (plot.is_profile() || plot.contents[i] != 0.0)
}

/// Pixel rectangle of bin (ix, iy), or `None` when it lies outside the visible ranges.
fn cell(f: &Frame, plot: &Plot, ix: usize, iy: usize) -> Option<Rect> {
    let span = |m: &AxisMap, a: f64, b: f64| {
        if b <= m.min || a >= m.max || (m.log && b <= 0.0) { None } else { Some((m.px_in(a.max(m.min)), m.px_in(b.min(m.max)))) }
    };
    let (x0, x1) = span(&f.x, plot.x.edge(ix), plot.x.edge(ix + 1))?;
    let (y0, y1) = span(&f.y, plot.y.edge(iy), plot.y.edge(iy + 1))?;
    Some(Rect { x0, y0: y1, x1, y1: y0 })
}

/// (min, max, smallest positive) of the shown bins.
pub fn z_extent(plot: &Plot) -> (f64, f64, f64) {
    let (mut lo, mut hi, mut pos) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY);
    for (i, &c) in plot.contents.iter().enumerate() {
        if shown(plot, i) {
            lo = lo.min(c);
            hi = hi.max(c);
            if c > 0.0 {
                pos = pos.min(c);
            }
        }
    }
    (lo, hi, pos)
}

/// The z range of a colour map: the data extremes (profiles keep negative means), [0, 1] for
/// efficiencies, or user limits.
pub fn z_range(plot: &Plot, look: &Look) -> (f64, f64) {
    let (lo, hi, pos) = z_extent(plot);
    let auto = if plot.efficiency {
        // Efficiency maps share one scale: [0, 1] (log: from the smallest positive value).
        (if look.log[2] && pos.is_finite() { pos.min(0.5) } else { 0.0 }, 1.0)
    } else if look.log[2] {
        if pos.is_finite() && hi > pos { (pos, hi * 1.1) } else if pos.is_finite() { (pos, pos * 10.0) } else { (0.1, 10.0) }
    } else if !lo.is_finite() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo.min(0.0), if hi > 0.0 { hi } else { lo + 1.0 })
    } else {
        (lo.min(if plot.is_profile() { lo } else { 0.0 }), hi)
    };
    crate::look::apply_limits(auto, look.limits[2], look.log[2])
}

fn fraction(v: f64, (lo, hi): (f64, f64), log: bool) -> f64 {
    if log { (v.log10() - lo.log10()) / (hi.log10() - lo.log10()) } else { (v - lo) / (hi - lo) }
}

/// Colour map of the plot's bins over the z range.
pub fn draw_colors(c: &mut Canvas, f: &Frame, plot: &Plot, palette: Palette, z: (f64, f64), log: bool) {
    let (nx, ny) = (plot.x.nbins, plot.y.nbins);
    for iy in 0..ny {
        for ix in 0..nx {
            let i = ix + nx * iy;
            let v = plot.contents[i];
            if !shown(plot, i) || (log && v <= 0.0) || v < z.0 && !plot.is_profile() {
                continue;
            }
            if let Some(r) = cell(f, plot, ix, iy) {
                c.fill_rect(r.x0, r.y0, r.x1, r.y1, palette.at(fraction(v, z, log)));
            }
        }
    }
}

/// Boxes with sides proportional to |content| / max |content|, outlined in `color`.
pub fn draw_boxes(c: &mut Canvas, f: &Frame, plot: &Plot, color: Rgba) {
    let (nx, ny) = (plot.x.nbins, plot.y.nbins);
    let max = (0..plot.contents.len()).filter(|&i| shown(plot, i)).map(|i| plot.contents[i].abs()).fold(0.0, f64::max);
    if max <= 0.0 {
        return;
    }
    for iy in 0..ny {
        for ix in 0..nx {
            let i = ix + nx * iy;
            if !shown(plot, i) {
                continue;
            }
            if let Some(r) = cell(f, plot, ix, iy) {
                let k = (plot.contents[i].abs() / max) as f32 / 2.0;
                let (cx, cy) = ((r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0);
                let (hw, hh) = (r.w() * k, r.h() * k);
                c.stroke_rect(cx - hw, cy - hh, cx + hw, cy + hh, color);
            }
        }
    }
}

/// Bin contents as text in each bin large enough to hold it (so texts never overlap).
pub fn draw_texts(c: &mut Canvas, f: &Frame, plot: &Plot, sizes: &Sizes) {
    let (nx, ny) = (plot.x.nbins, plot.y.nbins);
    let style = sizes.label;
    for iy in 0..ny {
        for ix in 0..nx {
            let i = ix + nx * iy;
            if !shown(plot, i) {
                continue;
            }
            let Some(r) = cell(f, plot, ix, iy) else { continue };
            let v = plot.contents[i];
            let label = if v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.0}") } else { ticks::sig4(v) };
            let (w, h) = text::measure(&label, &style);
            if w + 2.0 <= r.w() && h <= r.h() + 1.0 {
                text::draw(c, &label, &style, ((r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0), (Align::Center, Align::Center), false);
            }
        }
    }
}

/// Geometry of the colour bar to the right of the frame.
pub struct Bar {
    pub width: f32,
    pub ticks: Ticks,
    /// Total width reserved right of the frame (bar, gap, labels).
    pub reserve: f32,
}

/// Plans the colour bar for a frame of roughly `height` pixels.
pub fn plan_bar(z: (f64, f64), log: bool, height: f32, canvas_w: f32, sizes: &Sizes) -> Bar {
    let lh = text::measure("0", &sizes.label).1;
    let width = (canvas_w * 0.035).clamp(3.0, 30.0);
    let mut chosen = Ticks::default();
    let fits = |t: &Ticks| {
        let labelled: Vec<f64> = t.major.iter().filter(|m| !m.1.is_empty()).map(|m| fraction(m.0, z, log)).collect();
        labelled.windows(2).all(|w| (w[1] - w[0]) as f32 * height >= lh * 1.3)
    };
    if log {
        for every in 1..=20 {
            let t = ticks::log(z.0, z.1, every);
            if fits(&t) {
                chosen = t;
                break;
            }
        }
    } else {
        for div in (1..=8).rev() {
            let t = ticks::linear(z.0, z.1, div);
            if fits(&t) {
                chosen = t;
                break;
            }
        }
    }
    let widest = chosen.major.iter().map(|m| text::measure(&m.1, &sizes.label).0).fold(0.0, f32::max);
    let exp_w = chosen.exponent.map_or(0.0, |e| text::measure(&format!("#times10^{{{e}}}"), &sizes.label).0);
    let gap = sizes.label.px * 0.4;
    Bar { width, reserve: gap + width + gap + widest.max(exp_w * 0.6) + gap, ticks: chosen }
}

pub fn draw_bar(c: &mut Canvas, f: &Frame, bar: &Bar, palette: Palette, z: (f64, f64), log: bool, sizes: &Sizes) {
    let gap = sizes.label.px * 0.4;
    let (x0, x1) = (f.rect.x1 + gap, f.rect.x1 + gap + bar.width);
    let (top, bottom) = (f.rect.y0, f.rect.y1);
    let h = (bottom - top).max(1.0);
    let mut y = bottom;
    while y > top {
        let t = ((bottom - y) / h) as f64;
        c.fill_rect(x0, y - 1.0, x1, y, palette.at(t));
        y -= 1.0;
    }
    c.stroke_rect(x0, top, x1, bottom, BLACK);
    for (v, label) in &bar.ticks.major {
        let t = fraction(*v, z, log);
        if !(0.0..=1.0 + 1e-9).contains(&t) {
            continue;
        }
        let py = bottom - t as f32 * h;
        c.hline(x1 - bar.width * 0.3, x1, py, BLACK);
        if !label.is_empty() {
            text::draw(c, label, &sizes.label, (x1 + gap, py), (Align::Start, Align::Center), false);
        }
    }
    if let Some(e) = bar.ticks.exponent {
        text::draw(c, &format!("#times10^{{{e}}}"), &sizes.label, (x0, top - 2.0), (Align::Start, Align::End), false);
    }
}
