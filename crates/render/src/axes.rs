//! Pad layout (margins sized from the real label extents) and axis drawing: frame, ticks, labels,
//! titles. Labels are thinned until they neither overlap each other nor leave the canvas.

use crate::canvas::{Canvas, Rgba, BLACK};
use crate::model::Axis;
use crate::rules::LabelMode;
use crate::text::{self, Align, TextStyle};
use crate::ticks::{self, Ticks, MAX_DIVISIONS};

/// Font sizes for one canvas, from its size (ROOT uses fractions of the pad height).
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub label: TextStyle,
    pub title: TextStyle,
    pub axis_title: TextStyle,
    pub stats: TextStyle,
}

impl Sizes {
    pub fn for_canvas(w: f32, h: f32) -> Sizes {
        let px = (0.04 * h.min(1.33 * w)).clamp(7.0, 32.0);
        let style = |px: f32, bold| TextStyle { px, bold, color: BLACK, latex: true };
        Sizes { label: style(px, false), title: style(px * 1.2, true), axis_title: style(px * 0.95, false), stats: style(px * 0.9, false) }
    }
}

/// A rectangle in canvas pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Rect {
    pub fn w(&self) -> f32 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f32 {
        self.y1 - self.y0
    }
}

/// The data range of one axis as drawn, mapped onto pixels `p0` (at `min`) … `p1` (at `max`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisMap {
    pub min: f64,
    pub max: f64,
    pub log: bool,
    pub p0: f32,
    pub p1: f32,
}

impl AxisMap {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            if v <= 0.0 {
                return f64::NEG_INFINITY;
            }
            (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        }
    }
    /// Pixel of `v`; values outside the range are clamped a little beyond the frame edges.
    pub fn px(&self, v: f64) -> f32 {
        let t = self.t(v);
        let t = if t.is_nan() { 0.0 } else { t.clamp(-0.01, 1.01) };
        self.p0 + (self.p1 - self.p0) * t as f32
    }
    /// Pixel of `v` clamped to the frame.
    pub fn px_in(&self, v: f64) -> f32 {
        let t = self.t(v);
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        self.p0 + (self.p1 - self.p0) * t as f32
    }
    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }
}

/// What one axis shows: a numeric range (optionally log), its title, and the binned axis for labels.
#[derive(Clone, Copy, Debug)]
pub struct AxisSpec<'a> {
    pub min: f64,
    pub max: f64,
    pub log: bool,
    pub title: &'a str,
    pub bins: Option<&'a Axis>,
    pub label_mode: LabelMode,
    /// False hides tick labels and title (e.g. the x axis of a ratio plot's upper pad).
    pub show_labels: bool,
}

/// Tick labels of one axis: numeric ticks or alphanumeric bin labels (every `step`-th, maybe vertical).
#[derive(Clone, Debug, PartialEq)]
pub enum Marks {
    Numeric(Ticks),
    Labels { centers: Vec<(f64, String)>, vertical: bool },
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub rect: Rect,
    pub x: AxisMap,
    pub y: AxisMap,
    pub xmarks: Marks,
    pub ymarks: Marks,
    /// Labels and titles are dropped when the canvas is too small for them.
    pub compact: bool,
}

impl Frame {
    pub fn usable(&self) -> bool {
        self.rect.w() >= 2.0 && self.rect.h() >= 2.0
    }
}

fn gap(s: &Sizes) -> f32 {
    (s.label.px * 0.4).max(2.0)
}

/// Numeric ticks for an axis of `len` pixels, with as many divisions as fit without label overlap.
/// `extent` is the label size along the axis.
fn numeric_marks(spec: &AxisSpec, len: f32, extent: &dyn Fn(&str) -> f32, g: f32) -> Ticks {
    let fits = |t: &Ticks| {
        let px = |v: f64| {
            let m = AxisMap { min: spec.min, max: spec.max, log: spec.log, p0: 0.0, p1: len };
            m.px(v)
        };
        let labelled: Vec<(f32, f32)> =
            t.major.iter().filter(|m| !m.1.is_empty()).map(|m| (px(m.0), extent(&m.1))).collect();
        labelled.windows(2).all(|w| (w[1].0 - w[0].0).abs() >= (w[0].1 + w[1].1) / 2.0 + g)
    };
    if spec.log {
        for every in 1..=40 {
            let t = ticks::log(spec.min, spec.max, every);
            if fits(&t) {
                return t;
            }
        }
        return Ticks::default();
    }
    for div in (1..=MAX_DIVISIONS).rev() {
        let t = ticks::linear(spec.min, spec.max, div);
        if fits(&t) {
            return t;
        }
    }
    let mut t = ticks::linear(spec.min, spec.max, 1);
    t.major.iter_mut().skip(1).for_each(|m| m.1.clear());
    t
}

/// Bin labels of `axis`, shortened to `max_len` pixels, every `step`-th so they keep apart.
fn bin_labels(axis: &Axis, label: &TextStyle, max_len: f32, step: usize) -> Vec<(f64, String)> {
    (0..axis.nbins)
        .step_by(step.max(1))
        .filter_map(|i| {
            let l = axis.labels.get(i).filter(|l| !l.is_empty())?;
            Some((axis.center(i), text::fit(l, label, max_len)))
        })
        .collect()
}

/// Chooses the x marks for a frame of `len` pixels; returns the marks and the height they need.
fn x_marks(spec: &AxisSpec, len: f32, s: &Sizes, max_height: f32) -> (Marks, f32) {
    let lh = text::measure("0", &s.label).1;
    if !spec.show_labels {
        return (Marks::Numeric(strip(numeric_marks(spec, len, &|_| 0.0, 0.0))), 0.0);
    }
    if let Some(axis) = spec.bins.filter(|a| a.has_labels() && spec.label_mode != LabelMode::Hidden) {
        let bw = len / axis.nbins as f32;
        let widest = axis.labels.iter().map(|l| text::measure(l, &s.label).0).fold(0.0, f32::max);
        let horizontal_ok = widest + gap(s) <= bw && spec.label_mode != LabelMode::Vertical;
        if horizontal_ok || spec.label_mode == LabelMode::Horizontal {
            let step = ((widest + gap(s)) / bw).ceil().max(1.0) as usize;
            return (Marks::Labels { centers: bin_labels(axis, &s.label, bw * step as f32 - gap(s), step), vertical: false }, lh);
        }
        let step = ((lh + gap(s) * 0.5) / bw).ceil().max(1.0) as usize;
        let centers = bin_labels(axis, &s.label, max_height, step);
        let tallest = centers.iter().map(|c| text::measure(&c.1, &s.label).0).fold(0.0, f32::max);
        return (Marks::Labels { centers, vertical: true }, tallest);
    }
    let t = numeric_marks(spec, len, &|l| text::measure(l, &s.label).0, gap(s) * 1.5);
    (Marks::Numeric(t), lh)
}

/// Chooses the y marks for a frame of `len` pixels; returns the marks and the width they need.
fn y_marks(spec: &AxisSpec, len: f32, s: &Sizes, max_width: f32) -> (Marks, f32) {
    let lh = text::measure("0", &s.label).1;
    if !spec.show_labels {
        return (Marks::None, 0.0);
    }
    if let Some(axis) = spec.bins.filter(|a| a.has_labels() && spec.label_mode != LabelMode::Hidden) {
        let bh = len / axis.nbins as f32;
        let step = ((lh + gap(s) * 0.5) / bh).ceil().max(1.0) as usize;
        let centers = bin_labels(axis, &s.label, max_width, step);
        let widest = centers.iter().map(|c| text::measure(&c.1, &s.label).0).fold(0.0, f32::max);
        return (Marks::Labels { centers, vertical: false }, widest);
    }
    let t = numeric_marks(spec, len, &|_| lh, gap(s) * 0.5);
    let widest = t.major.iter().map(|m| text::measure(&m.1, &s.label).0).fold(0.0, f32::max);
    (Marks::Numeric(t), widest)
}

fn strip(mut t: Ticks) -> Ticks {
    t.major.iter_mut().for_each(|m| m.1.clear());
    t.exponent = None;
    t
}

fn exponent_text(e: i32) -> String {
    format!("#times10^{{{e}}}")
}

/// Lays out a frame inside `pad`, leaving `reserve_top` (title row) and `reserve_right`
/// (colour bar) free. Margins follow the labels that will actually be drawn; `min_lr` gives
/// lower bounds for the left and right margins (to align stacked pads).
pub fn layout(pad: Rect, reserve_top: f32, reserve_right: f32, min_lr: (f32, f32), x: &AxisSpec, y: &AxisSpec, s: &Sizes) -> Frame {
    let lh = text::measure("0", &s.label).1;
    let ath = text::measure("Xg", &s.axis_title).1;
    let g = gap(s);
    let (mut left, mut bottom) = (pad.w() * 0.1, lh * 2.5);
    let mut top = reserve_top + g;
    let right_base = (pad.w() * 0.04).max(g) + reserve_right;
    let mut right = right_base;
    let mut frame = None;
    // Two passes: the second uses the margins measured in the first.
    for _ in 0..2 {
        let (w, h) = (pad.w() - left - right, pad.h() - top - bottom);
        let (ymarks, ylw) = y_marks(y, h, s, pad.w() * 0.35);
        let (xmarks, xlh) = x_marks(x, w, s, pad.h() * 0.3);
        let y_exp = matches!(&ymarks, Marks::Numeric(t) if t.exponent.is_some());
        let x_row = if x.show_labels && (!x.title.is_empty() || matches!(&xmarks, Marks::Numeric(t) if t.exponent.is_some())) { ath * 1.2 } else { 0.0 };
        let y_title = if y.show_labels && !y.title.is_empty() { ath * 1.3 } else { 0.0 };
        left = (g + y_title + ylw + g * 1.5).max(min_lr.0);
        bottom = if x.show_labels { g + xlh + g + x_row } else { g };
        top = reserve_top + g + if y_exp { lh * 1.2 } else { 0.0 };
        // Keep the half of the last x label that sticks out past the frame inside the pad.
        right = right_base;
        if let Marks::Numeric(t) = &xmarks {
            if let Some(last) = t.major.iter().rev().find(|m| !m.1.is_empty()) {
                let m = AxisMap { min: x.min, max: x.max, log: x.log, p0: 0.0, p1: w };
                let overhang = m.px(last.0) + text::measure(&last.1, &s.label).0 / 2.0 + 1.0 - w;
                right = right.max(overhang + reserve_right);
            }
        }
        right = right.max(min_lr.1);
        frame = Some(Frame {
            rect: Rect { x0: pad.x0 + left, y0: pad.y0 + top, x1: pad.x1 - right, y1: pad.y1 - bottom },
            x: AxisMap { min: x.min, max: x.max, log: x.log, p0: 0.0, p1: 0.0 },
            y: AxisMap { min: y.min, max: y.max, log: y.log, p0: 0.0, p1: 0.0 },
            xmarks,
            ymarks,
            compact: false,
        });
    }
    let mut frame = frame.unwrap_or_else(|| compact_frame(pad, x, y));
    if frame.rect.w() < pad.w() * 0.3 || frame.rect.h() < pad.h() * 0.3 {
        frame = compact_frame(pad, x, y);
    }
    frame.x.p0 = frame.rect.x0;
    frame.x.p1 = frame.rect.x1;
    frame.y.p0 = frame.rect.y1;
    frame.y.p1 = frame.rect.y0;
    frame
}

/// A frame filling the pad with small margins and no text, for canvases too small for labels.
fn compact_frame(pad: Rect, x: &AxisSpec, y: &AxisSpec) -> Frame {
    let m = (pad.w().min(pad.h()) * 0.05).clamp(0.0, 3.0);
    Frame {
        rect: Rect { x0: pad.x0 + m, y0: pad.y0 + m, x1: pad.x1 - m, y1: pad.y1 - m },
        x: AxisMap { min: x.min, max: x.max, log: x.log, p0: 0.0, p1: 0.0 },
        y: AxisMap { min: y.min, max: y.max, log: y.log, p0: 0.0, p1: 0.0 },
        xmarks: Marks::None,
        ymarks: Marks::None,
        compact: true,
    }
}

/// Frame outline, ticks (inside the frame, as ROOT draws them), tick labels, exponents and titles.
pub fn draw(canvas: &mut Canvas, f: &Frame, x: &AxisSpec, y: &AxisSpec, s: &Sizes, grid: bool) {
    let r = f.rect;
    if !f.usable() {
        return;
    }
    let g = gap(s);
    let xtick = (r.h() * 0.03).clamp(2.0, 12.0);
    let ytick = (r.w() * 0.02).clamp(2.0, 12.0);
    let grid_color = Rgba(0, 0, 0, 60);
    let mut x_label_bottom = r.y1 + g;
    match &f.xmarks {
        Marks::Numeric(t) => {
            for &(v, ref label) in &t.major {
                let px = f.x.px(v);
                if !f.x.contains(v) {
                    continue;
                }
                if grid {
                    dotted_vline(canvas, px, r.y0, r.y1, grid_color);
                }
                canvas.vline(px, r.y1 - xtick, r.y1, BLACK);
                canvas.vline(px, r.y0, r.y0 + xtick, BLACK);
                if !label.is_empty() {
                    let b = text::draw(canvas, label, &s.label, (px, r.y1 + g), (Align::Center, Align::Start), false);
                    x_label_bottom = x_label_bottom.max(b.3);
                }
            }
            for &v in &t.minor {
                if f.x.contains(v) {
                    let px = f.x.px(v);
                    canvas.vline(px, r.y1 - xtick / 2.0, r.y1, BLACK);
                    canvas.vline(px, r.y0, r.y0 + xtick / 2.0, BLACK);
                }
            }
        }
        Marks::Labels { centers, vertical } => {
            for (v, label) in centers {
                let px = f.x.px(*v);
                canvas.vline(px, r.y1 - xtick, r.y1, BLACK);
                let b = text::draw(canvas, label, &s.label, (px, r.y1 + g), (Align::Center, Align::Start), *vertical);
                x_label_bottom = x_label_bottom.max(b.3);
            }
        }
        Marks::None => {}
    }
    match &f.ymarks {
        Marks::Numeric(t) => {
            for &(v, ref label) in &t.major {
                if !f.y.contains(v) {
                    continue;
                }
                let py = f.y.px(v);
                if grid {
                    dotted_hline(canvas, r.x0, r.x1, py, grid_color);
                }
                canvas.hline(r.x0, r.x0 + ytick, py, BLACK);
                canvas.hline(r.x1 - ytick, r.x1, py, BLACK);
                if !label.is_empty() {
                    text::draw(canvas, label, &s.label, (r.x0 - g, py), (Align::End, Align::Center), false);
                }
            }
            for &v in &t.minor {
                if f.y.contains(v) {
                    let py = f.y.px(v);
                    canvas.hline(r.x0, r.x0 + ytick / 2.0, py, BLACK);
                    canvas.hline(r.x1 - ytick / 2.0, r.x1, py, BLACK);
                }
            }
            if let Some(e) = t.exponent {
                text::draw(canvas, &exponent_text(e), &s.label, (r.x0, r.y0 - 2.0), (Align::Start, Align::End), false);
            }
        }
        Marks::Labels { centers, .. } => {
            for (v, label) in centers {
                let py = f.y.px(*v);
                canvas.hline(r.x0, r.x0 + ytick, py, BLACK);
                text::draw(canvas, label, &s.label, (r.x0 - g, py), (Align::End, Align::Center), false);
            }
        }
        Marks::None => {}
    }
    canvas.stroke_rect(r.x0, r.y0, r.x1, r.y1, BLACK);
    if f.compact {
        return;
    }
    // x: exponent and title on the row under the labels, right-aligned to the frame.
    let mut title_right = r.x1;
    if x.show_labels {
        if let Marks::Numeric(Ticks { exponent: Some(e), .. }) = &f.xmarks {
            let b = text::draw(canvas, &exponent_text(*e), &s.axis_title, (r.x1, x_label_bottom), (Align::End, Align::Start), false);
            title_right = b.0 - g;
        }
        if !x.title.is_empty() {
            let title = text::fit(x.title, &s.axis_title, (title_right - r.x0).max(0.0));
            text::draw(canvas, &title, &s.axis_title, (title_right, x_label_bottom), (Align::End, Align::Start), false);
        }
    }
    if y.show_labels && !y.title.is_empty() {
        let title = text::fit(y.title, &s.axis_title, r.h());
        text::draw(canvas, &title, &s.axis_title, (r.x0 - left_of_labels(f, s) - g, r.y0), (Align::End, Align::Start), true);
    }
}

/// Width taken by the y tick labels left of the frame.
fn left_of_labels(f: &Frame, s: &Sizes) -> f32 {
    let widest = |labels: &mut dyn Iterator<Item = &String>| labels.map(|l| text::measure(l, &s.label).0).fold(0.0, f32::max);
    gap(s) + match &f.ymarks {
        Marks::Numeric(t) => widest(&mut t.major.iter().map(|m| &m.1)),
        Marks::Labels { centers, .. } => widest(&mut centers.iter().map(|c| &c.1)),
        Marks::None => 0.0,
    }
}

fn dotted_vline(canvas: &mut Canvas, x: f32, y0: f32, y1: f32, c: Rgba) {
    let mut y = y0;
    while y < y1 {
        canvas.blend(x.round() as i32, y as i32, 255, c);
        y += 3.0;
    }
}

fn dotted_hline(canvas: &mut Canvas, x0: f32, x1: f32, y: f32, c: Rgba) {
    let mut x = x0;
    while x < x1 {
        canvas.blend(x as i32, y.round() as i32, 255, c);
        x += 3.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(min: f64, max: f64, title: &'a str, bins: Option<&'a Axis>) -> AxisSpec<'a> {
        AxisSpec { min, max, log: false, title, bins, label_mode: LabelMode::Auto, show_labels: true }
    }

    fn label_boxes(f: &Frame, s: &Sizes) -> Vec<(f32, f32)> {
        match &f.xmarks {
            Marks::Numeric(t) => t
                .major
                .iter()
                .filter(|m| !m.1.is_empty())
                .map(|m| {
                    let w = text::measure(&m.1, &s.label).0;
                    (f.x.px(m.0) - w / 2.0, f.x.px(m.0) + w / 2.0)
                })
                .collect(),
            _ => vec![],
        }
    }

    #[test]
    fn x_labels_never_overlap_or_leave_the_canvas() {
        for w in [60.0, 120.0, 266.0, 400.0, 800.0, 1600.0] {
            let s = Sizes::for_canvas(w, 200.0);
            let pad = Rect { x0: 0.0, y0: 0.0, x1: w, y1: 200.0 };
            for (min, max) in [(-0.5, 99.5), (0.0, 80000.0), (-3.0, 3.0), (0.0, 2.5e6), (1e-4, 9e-4)] {
                let f = layout(pad, 10.0, 0.0, (0.0, 0.0), &spec(min, max, "title", None), &spec(0.0, 104.0, "y", None), &s);
                let boxes = label_boxes(&f, &s);
                for b in &boxes {
                    assert!(b.0 >= 0.0 && b.1 <= w, "w={w} range {min}..{max}: {b:?}");
                }
                for p in boxes.windows(2) {
                    assert!(p[1].0 >= p[0].1, "w={w} {min}..{max}: overlap {p:?}");
                }
            }
        }
    }

    #[test]
    fn long_bin_labels_turn_vertical_and_thin_out() {
        let names: Vec<String> = (0..40).map(|i| format!("module-{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let axis = Axis::uniform(40, 0.0, 40.0).with_labels(&refs);
        let s = Sizes::for_canvas(266.0, 200.0);
        let pad = Rect { x0: 0.0, y0: 0.0, x1: 266.0, y1: 200.0 };
        let f = layout(pad, 10.0, 0.0, (0.0, 0.0), &spec(0.0, 40.0, "", Some(&axis)), &spec(0.0, 1.0, "", None), &s);
        let Marks::Labels { centers, vertical } = &f.xmarks else { panic!("expected labels") };
        assert!(*vertical);
        assert!(centers.len() < 40 && centers.len() >= 5);
        let lh = text::measure("0", &s.label).1;
        for p in centers.windows(2) {
            assert!(f.x.px(p[1].0) - f.x.px(p[0].0) >= lh);
        }
    }

    #[test]
    fn label_modes_from_rules() {
        let axis = Axis::uniform(3, 0.0, 3.0).with_labels(&["CSC", "DT", "RPC"]);
        let s = Sizes::for_canvas(400.0, 300.0);
        let pad = Rect { x0: 0.0, y0: 0.0, x1: 400.0, y1: 300.0 };
        let with = |mode| {
            let x = AxisSpec { label_mode: mode, ..spec(0.0, 3.0, "", Some(&axis)) };
            layout(pad, 10.0, 0.0, (0.0, 0.0), &x, &spec(0.0, 1.0, "", None), &s).xmarks
        };
        assert!(matches!(with(LabelMode::Auto), Marks::Labels { vertical: false, .. }));
        assert!(matches!(with(LabelMode::Vertical), Marks::Labels { vertical: true, .. }));
        assert!(matches!(with(LabelMode::Hidden), Marks::Numeric(_)));
    }

    #[test]
    fn tiny_canvas_is_compact() {
        let s = Sizes::for_canvas(20.0, 15.0);
        let f = layout(Rect { x0: 0.0, y0: 0.0, x1: 20.0, y1: 15.0 }, 5.0, 0.0, (0.0, 0.0), &spec(0.0, 1.0, "t", None), &spec(0.0, 1.0, "t", None), &s);
        assert!(f.compact && f.rect.x0 >= 0.0 && f.rect.x1 <= 20.0);
    }
}
