//! Decorations around a frame: title, ROOT-style stats box, legend, and large centred text.

use crate::axes::{Frame, Sizes};
use crate::canvas::{Canvas, Rgba, BLACK, WHITE};
use crate::model::Plot;
use crate::text::{self, Align, TextStyle};
use crate::ticks::sig4;

/// Large bold lines centred on the canvas, shrunk (then shortened) to fit the width.
pub fn draw_centered_lines(c: &mut Canvas, lines: &[(String, Rgba)]) {
    let (w, h) = (c.width(), c.height());
    let n = lines.len().max(1) as f32;
    let mut px = (h * 0.09).min(h / (n * 1.4)).clamp(6.0, 72.0);
    let widest = |px: f32| lines.iter().map(|l| text::measure(&l.0, &TextStyle { px, bold: true, color: BLACK, latex: false }).0).fold(0.0, f32::max);
    while px > 6.0 && widest(px) > w * 0.92 {
        px = (px * 0.9).max(6.0);
    }
    let step = px * 1.4;
    let top = h / 2.0 - step * (n - 1.0) / 2.0;
    for (k, (line, color)) in lines.iter().enumerate() {
        let st = TextStyle { px, bold: true, color: *color, latex: false };
        let line = text::fit(line, &st, w * 0.96);
        text::draw(c, &line, &st, (w / 2.0, top + step * k as f32), (Align::Center, Align::Center), false);
    }
}

/// Height of the title row above the frame.
pub fn top_reserve(s: &Sizes, title: &str) -> f32 {
    if title.is_empty() { s.label.px * 0.6 } else { text::measure(title, &s.title).1 * 1.25 + 2.0 }
}

pub fn draw_title(c: &mut Canvas, s: &Sizes, title: &str, right_limit: f32) {
    if title.is_empty() {
        return;
    }
    let x = s.label.px * 0.6;
    let t = text::fit(title, &s.title, right_limit - x - 4.0);
    text::draw(c, &t, &s.title, (x, 2.0), (Align::Start, Align::Start), false);
}

fn entries_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.0}") } else { sig4(v) }
}

/// ROOT-style statistics box in the top-right corner; returns its left and bottom edges.
pub fn draw_stats(c: &mut Canvas, s: &Sizes, p: &Plot, right: f32) -> Option<(f32, f32)> {
    let m = p.moments();
    let mut rows = vec![("Entries".to_string(), entries_text(p.entries))];
    if p.dimension() >= 2 {
        rows.push(("Mean x".into(), sig4(m.mean[0])));
        rows.push(("Mean y".into(), sig4(m.mean[1])));
        rows.push(("Std Dev x".into(), sig4(m.rms[0])));
        rows.push(("Std Dev y".into(), sig4(m.rms[1])));
    } else {
        rows.push(("Mean".into(), sig4(m.mean[0])));
        rows.push(("Std Dev".into(), sig4(m.rms[0])));
    }
    let st = s.stats;
    let lh = text::measure("0", &st).1;
    let pad = (st.px * 0.35).max(1.0);
    let key_w = rows.iter().map(|r| text::measure(&r.0, &st).0).fold(0.0, f32::max);
    let val_w = rows.iter().map(|r| text::measure(&r.1, &st).0).fold(0.0, f32::max);
    let body_w = key_w + val_w + st.px;
    let width = (body_w + 2.0 * pad).max(text::measure(&p.name, &st).0.min(c.width() * 0.45) + 2.0 * pad);
    let height = lh * (rows.len() + 1) as f32 + 2.0 * pad;
    if width > c.width() * 0.5 || height > c.height() * 0.6 {
        return None;
    }
    let (x1, y0) = (right, 1.0);
    let x0 = x1 - width;
    c.fill_rect(x0, y0, x1, y0 + height, WHITE);
    c.stroke_rect(x0, y0, x1, y0 + height, BLACK);
    let name = text::fit(&p.name, &st, width - 2.0 * pad);
    text::draw(c, &name, &st, ((x0 + x1) / 2.0, y0 + pad), (Align::Center, Align::Start), false);
    c.hline(x0, x1, y0 + pad + lh + 0.5, BLACK);
    for (k, (key, val)) in rows.iter().enumerate() {
        let y = y0 + pad + lh * (k + 1) as f32 + 1.0;
        text::draw(c, key, &st, (x0 + pad, y), (Align::Start, Align::Start), false);
        text::draw(c, val, &st, (x1 - pad, y), (Align::End, Align::Start), false);
    }
    Some((x0, y0 + height))
}

/// Legend of (label, colour, filled) entries at the top right of the frame, below `below`.
pub fn draw_legend(c: &mut Canvas, s: &Sizes, f: &Frame, entries: &[(String, Rgba, bool)], below: f32) {
    if entries.is_empty() || f.compact {
        return;
    }
    // Labels come from the query (`reflabel`) or ME names: drawn as typed.
    let st = TextStyle { latex: false, ..s.stats };
    let lh = text::measure("0", &st).1 * 1.15;
    let sample = st.px * 1.6;
    let pad = (st.px * 0.35).max(1.0);
    let max_label = c.width() * 0.4;
    let labels: Vec<String> = entries.iter().map(|e| text::fit(&e.0, &st, max_label)).collect();
    let width = labels.iter().map(|l| text::measure(l, &st).0).fold(0.0, f32::max) + sample + 3.0 * pad;
    let height = lh * entries.len() as f32 + 2.0 * pad;
    let x1 = f.rect.x1 - 3.0;
    let y0 = below.max(f.rect.y0) + 3.0;
    if height > f.rect.h() * 0.9 || width > f.rect.w() * 0.9 {
        return;
    }
    let x0 = x1 - width;
    c.fill_rect(x0, y0, x1, y0 + height, WHITE);
    c.stroke_rect(x0, y0, x1, y0 + height, BLACK);
    for (k, ((_, color, filled), label)) in entries.iter().zip(&labels).enumerate() {
        let cy = y0 + pad + lh * (k as f32 + 0.5);
        if *filled {
            c.fill_rect(x0 + pad, cy - lh * 0.3, x0 + pad + sample, cy + lh * 0.3, *color);
        } else {
            c.fill_rect(x0 + pad, cy - 1.0, x0 + pad + sample, cy + 1.0, *color);
        }
        text::draw(c, label, &st, (x0 + 2.0 * pad + sample, cy), (Align::Start, Align::Center), false);
    }
}

