//! One-dimensional drawing: histogram outlines, fills, error bars, markers, reference lines and bands.

use crate::axes::Frame;
use crate::canvas::{Canvas, Rgba};
use crate::look::Look;
use crate::model::Plot;
use crate::rules::{Band, RefLine};
use crate::text::{self, Align, TextStyle};

/// One histogram as drawn: its values scaled by `factor` (normalisation), in `color`.
pub struct Series<'a> {
    pub plot: &'a Plot,
    pub factor: f64,
    pub color: Rgba,
    pub width: f32,
    /// Per-bin values to draw instead of the plot's contents (stacked sums, ratios).
    pub values: Option<Vec<f64>>,
    pub value_errors: Option<Vec<f64>>,
}

impl<'a> Series<'a> {
    pub fn new(plot: &'a Plot, color: Rgba, width: f32) -> Series<'a> {
        Series { plot, factor: 1.0, color, width, values: None, value_errors: None }
    }
    pub fn value(&self, i: usize) -> f64 {
        match &self.values {
            Some(v) => v[i],
            None => self.plot.contents[i] * self.factor,
        }
    }
    pub fn error(&self, i: usize) -> f64 {
        match &self.value_errors {
            Some(e) => e[i],
            None => self.plot.error(i) * self.factor.abs(),
        }
    }
    pub fn filled(&self, i: usize) -> bool {
        self.value(i).is_finite() && (self.values.is_some() || self.plot.filled(i))
    }
    fn bins(&self) -> usize {
        self.plot.x.nbins.min(self.plot.contents.len())
    }
}

/// (min, max, smallest positive) of the drawn values, optionally including error bars,
/// over the bins inside [xmin, xmax].
pub fn extent(series: &[Series], errors: bool, xrange: (f64, f64)) -> (f64, f64, f64) {
    let (mut lo, mut hi, mut pos) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY);
    for s in series {
        for i in 0..s.bins() {
            let (a, b) = (s.plot.x.edge(i), s.plot.x.edge(i + 1));
            if !s.filled(i) || b <= xrange.0 || a >= xrange.1 {
                continue;
            }
            let v = s.value(i);
            let e = if errors { s.error(i) } else { 0.0 };
            lo = lo.min(v - e);
            hi = hi.max(v + e);
            for c in [v - e, v, v + e] {
                if c > 0.0 {
                    pos = pos.min(c);
                }
            }
        }
    }
    (lo, hi, pos)
}

/// Pixel span [left, right] of bin `i`, or `None` when it is outside the x range.
fn bin_px(f: &Frame, plot: &Plot, i: usize) -> Option<(f32, f32)> {
    let (a, b) = (plot.x.edge(i), plot.x.edge(i + 1));
    if b <= f.x.min || a >= f.x.max || (f.x.log && b <= 0.0) {
        return None;
    }
    Some((f.x.px_in(a.max(f.x.min)), f.x.px_in(b.min(f.x.max))))
}

fn hseg(c: &mut Canvas, x0: f32, x1: f32, y: f32, w: f32, color: Rgba) {
    let t = (y - w / 2.0).round();
    c.fill_rect(x0.min(x1) - (w - 1.0) / 2.0, t, x0.max(x1) + w / 2.0 + 0.5, t + w.max(1.0), color);
}

fn vseg(c: &mut Canvas, x: f32, y0: f32, y1: f32, w: f32, color: Rgba) {
    let l = (x - w / 2.0).round();
    c.fill_rect(l, y0.min(y1), l + w.max(1.0), y0.max(y1) + 1.0, color);
}

/// Pixel row of the histogram baseline (0, or the frame bottom when 0 is below the range).
fn baseline(f: &Frame) -> f32 {
    if f.y.log || f.y.min >= 0.0 { f.rect.y1 } else { f.y.px_in(0.0) }
}

/// Draws one series with the look's draw options (outline by default).
pub fn draw_series(c: &mut Canvas, f: &Frame, s: &Series, look: &Look, marker_r: f32, text_style: &TextStyle) {
    let d = look.draw;
    let points_only = (d.errors || d.markers) && !d.hist;
    let base = baseline(f);
    let vy = |v: f64| f.y.px_in(v);
    if d.fill && !points_only {
        let fill = look.fill.unwrap_or(Rgba(s.color.0, s.color.1, s.color.2, 90));
        for i in 0..s.bins() {
            if let (Some((l, r)), true) = (bin_px(f, s.plot, i), s.filled(i)) {
                c.fill_rect(l, vy(s.value(i)), r, base, fill);
            }
        }
    }
    if !points_only || d.hist {
        // The outline: across each bin at its value, vertical steps between neighbours.
        let mut prev: Option<(f32, f32)> = None;
        for i in 0..s.bins() {
            let Some((l, r)) = bin_px(f, s.plot, i) else { continue };
            let y = if s.filled(i) { vy(s.value(i)) } else { base };
            let start = match prev {
                Some((px, py)) if (px - l).abs() < 1.0 => py,
                Some((px, py)) => {
                    vseg(c, px, py, base, s.width, s.color);
                    base
                }
                None => base,
            };
            vseg(c, l, start, y, s.width, s.color);
            hseg(c, l, r, y, s.width, s.color);
            prev = Some((r, y));
        }
        if let Some((px, py)) = prev {
            vseg(c, px, py, base, s.width, s.color);
        }
    }
    if d.line {
        let pts: Vec<(f32, f32)> = (0..s.bins())
            .filter(|&i| s.filled(i))
            .filter_map(|i| bin_px(f, s.plot, i).map(|(l, r)| ((l + r) / 2.0, vy(s.value(i)))))
            .collect();
        c.polyline(&pts, s.width, s.color, false);
    }
    if d.errors {
        for i in 0..s.bins() {
            let Some((l, r)) = bin_px(f, s.plot, i) else { continue };
            if !s.filled(i) || (s.value(i) == 0.0 && s.error(i) == 0.0 && !s.plot.is_profile()) {
                continue;
            }
            let (v, e) = (s.value(i), s.error(i));
            let x = (l + r) / 2.0;
            vseg(c, x, vy(v - e), vy(v + e), 1.0, s.color);
            if points_only {
                hseg(c, l, r, vy(v), 1.0, s.color);
            }
        }
    }
    if d.text {
        draw_values(c, f, s, text_style);
    }
    if d.markers {
        for i in 0..s.bins() {
            if let (Some((l, r)), true) = (bin_px(f, s.plot, i), s.filled(i)) {
                let y = vy(s.value(i));
                if f.y.contains(s.value(i)) || f.y.log && s.value(i) > 0.0 {
                    c.circle((l + r) / 2.0, y, marker_r, s.color);
                }
            }
        }
    }
}

/// Bin values written above each bin (ROOT's `text` option), where the text fits the bin width.
fn draw_values(c: &mut Canvas, f: &Frame, s: &Series, style: &TextStyle) {
    let style = TextStyle { color: s.color, ..*style };
    for i in 0..s.bins() {
        let Some((l, r)) = bin_px(f, s.plot, i) else { continue };
        if !s.filled(i) {
            continue;
        }
        let v = s.value(i);
        let label = if v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.0}") } else { crate::ticks::sig4(v) };
        let (w, h) = text::measure(&label, &style);
        let y = (f.y.px_in(v) - 1.0).max(f.rect.y0 + h + 1.0);
        if w + 2.0 <= r - l {
            text::draw(c, &label, &style, ((l + r) / 2.0, y), (Align::Center, Align::End), false);
        }
    }
}

/// Shaded bands (behind the data).
pub fn draw_bands(c: &mut Canvas, f: &Frame, bands: &[Band]) {
    for b in bands {
        let r = f.rect;
        if b.axis == 0 {
            c.fill_rect(f.x.px_in(b.from), r.y0, f.x.px_in(b.to), r.y1, b.color);
        } else {
            c.fill_rect(r.x0, f.y.px_in(b.to), r.x1, f.y.px_in(b.from), b.color);
        }
    }
}

/// Reference lines (over the data); lines outside the visible range are skipped.
pub fn draw_lines(c: &mut Canvas, f: &Frame, lines: &[RefLine]) {
    let r = f.rect;
    for l in lines {
        let (map, ends) = if l.axis == 0 { (&f.x, (r.y0, r.y1)) } else { (&f.y, (r.x0, r.x1)) };
        if !map.contains(l.value) {
            continue;
        }
        let p = map.px(l.value).round() + 0.5;
        let pts = if l.axis == 0 { [(p, ends.0), (p, ends.1)] } else { [(ends.0, p), (ends.1, p)] };
        c.polyline(&pts, 1.0, l.color, l.dashed);
    }
}
