//! Text: a small TLatex subset (`#greek`, `_{sub}`, `^{sup}`), measured and rasterised with ab_glyph.

use crate::canvas::{Canvas, Rgba};
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use std::sync::OnceLock;

static REGULAR: &[u8] = include_bytes!("../fonts/DQMSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DQMSans-Bold.ttf");

fn font(bold: bool) -> &'static FontRef<'static> {
    static FONTS: OnceLock<[FontRef<'static>; 2]> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        // The fonts are embedded and known to parse (a unit test checks); no runtime input reaches here.
        let parse = |b| FontRef::try_from_slice(b).expect("embedded font parses");
        [parse(REGULAR), parse(BOLD)]
    });
    &fonts[bold as usize]
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    pub px: f32,
    pub bold: bool,
    pub color: Rgba,
    /// Interpret the TLatex subset; false draws the characters as they are (scalar values).
    pub latex: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Start,
    Center,
    End,
}

/// A run of text at one script level: 0 normal, 1 superscript, -1 subscript.
#[derive(Clone, Debug, PartialEq)]
struct Span {
    text: String,
    level: i8,
}

const SCRIPT_SCALE: f32 = 0.7;

fn symbol(name: &str) -> Option<char> {
    const GREEK: &str = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho \
                         sigma tau upsilon phi chi psi omega";
    if let Some(i) = GREEK.split(' ').position(|g| g == name) {
        let skip_final_sigma = if i >= 17 { 1 } else { 0 };
        return char::from_u32(0x3B1 + i as u32 + skip_final_sigma);
    }
    let lower = name.to_ascii_lowercase();
    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        if let Some(i) = GREEK.split(' ').position(|g| g == lower) {
            let skip = if i >= 17 { 1 } else { 0 };
            return char::from_u32(0x391 + i as u32 + skip);
        }
    }
    Some(match name {
        "varphi" => 'ϕ',
        "vartheta" => 'ϑ',
        "varepsilon" => 'ϵ',
        "pm" => '±',
        "times" => '×',
        "cdot" => '⋅',
        "circ" => '°',
        "infty" => '∞',
        "rightarrow" => '→',
        "leftarrow" => '←',
        "uparrow" => '↑',
        "downarrow" => '↓',
        "leftrightarrow" => '↔',
        "leq" => '≤',
        "geq" => '≥',
        "neq" => '≠',
        "approx" => '≈',
        "equiv" => '≡',
        "propto" => '∝',
        "partial" => '∂',
        "nabla" => '∇',
        "sum" => '∑',
        "int" => '∫',
        "sqrt" => '√',
        "hbar" => 'ħ',
        "ell" => 'ℓ',
        "AA" => 'Å',
        "prime" => '′',
        "bullet" => '•',
        "minus" => '−',
        _ => return None,
    })
}

/// Reads a `{...}` group (balanced), else one character.
fn take_group(chars: &[char], i: &mut usize) -> String {
    if chars.get(*i) == Some(&'{') {
        let mut depth = 0;
        let start = *i + 1;
        while *i < chars.len() {
            match chars[*i] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let s: String = chars[start..*i].iter().collect();
                        *i += 1;
                        return s;
                    }
                }
                _ => {}
            }
            *i += 1;
        }
        chars[start.min(chars.len())..].iter().collect()
    } else if let Some(c) = chars.get(*i) {
        *i += 1;
        c.to_string()
    } else {
        String::new()
    }
}

fn parse(text: &str, level: i8, out: &mut Vec<Span>) {
    let chars: Vec<char> = text.chars().collect();
    let mut cur = String::new();
    let mut i = 0;
    let flush = |cur: &mut String, out: &mut Vec<Span>| {
        if !cur.is_empty() {
            out.push(Span { text: std::mem::take(cur), level });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '#' => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if let Some(sym) = symbol(&name) {
                    cur.push(sym);
                } else if matches!(name.as_str(), "bf" | "it" | "font" | "color" | "splitline" | "frac" | "mbox") {
                    // Styling commands: keep their content (split lines and fractions inline).
                    let sep = if name == "frac" { "/" } else { " " };
                    let mut groups = Vec::new();
                    while chars.get(i) == Some(&'{') || chars.get(i) == Some(&'[') {
                        if chars[i] == '[' {
                            while i < chars.len() && chars[i] != ']' {
                                i += 1;
                            }
                            i += 1;
                            continue;
                        }
                        groups.push(take_group(&chars, &mut i));
                    }
                    if name == "color" || name == "font" {
                        groups.drain(..groups.len().saturating_sub(1));
                    }
                    flush(&mut cur, out);
                    parse(&groups.join(sep), level, out);
                } else if name.is_empty() && chars.get(i) == Some(&'#') {
                    cur.push('#');
                    i += 1;
                } else {
                    cur.push('#');
                    cur.push_str(&name);
                }
            }
            // Only braced scripts: names such as `charge_PXLayer_1` keep their underscores.
            '_' | '^' if chars.get(i) == Some(&'{') && level == 0 => {
                flush(&mut cur, out);
                let group = take_group(&chars, &mut i);
                parse(&group, if c == '^' { 1 } else { -1 }, out);
            }
            '{' | '}' => {}
            _ => cur.push(c),
        }
    }
    flush(&mut cur, out);
}

fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    parse(text, 0, &mut out);
    out
}

fn styled_spans(text: &str, style: &TextStyle) -> Vec<Span> {
    if style.latex { spans(text) } else { vec![Span { text: text.to_string(), level: 0 }] }
}

/// The plain characters of a TLatex string (for tests and fallbacks).
pub fn plain(text: &str) -> String {
    spans(text).into_iter().map(|s| s.text).collect()
}

struct Layout {
    width: f32,
    ascent: f32,
    descent: f32,
}

fn span_px(px: f32, level: i8) -> f32 {
    if level == 0 { px } else { px * SCRIPT_SCALE }
}
fn span_shift(px: f32, level: i8) -> f32 {
    match level {
        1 => -0.4 * px,
        -1 => 0.2 * px,
        _ => 0.0,
    }
}

fn layout(spans: &[Span], style: &TextStyle) -> Layout {
    let f = font(style.bold);
    let base = f.as_scaled(PxScale::from(style.px));
    let (mut width, mut ascent, mut descent) = (0.0f32, base.ascent(), -base.descent());
    for s in spans {
        let px = span_px(style.px, s.level);
        let sf = f.as_scaled(PxScale::from(px));
        let mut prev = None;
        for ch in s.text.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                width += sf.kern(p, id);
            }
            width += sf.h_advance(id);
            prev = Some(id);
        }
        let shift = span_shift(style.px, s.level);
        ascent = ascent.max(sf.ascent() - shift);
        descent = descent.max(-sf.descent() + shift);
    }
    Layout { width, ascent, descent }
}

/// Width and height in pixels of `text` drawn horizontally.
pub fn measure(text: &str, style: &TextStyle) -> (f32, f32) {
    let l = layout(&styled_spans(text, style), style);
    (l.width, l.ascent + l.descent)
}

/// Text shortened with "…" so that it is at most `max_width` wide (empty if even "…" does not fit).
pub fn fit(text: &str, style: &TextStyle, max_width: f32) -> String {
    if measure(text, style).0 <= max_width {
        return text.to_string();
    }
    let plain: Vec<char> = if style.latex { plain(text).chars().collect() } else { text.chars().collect() };
    let candidate = |n: usize| -> String { plain[..n].iter().chain(['…'].iter()).collect() };
    // Binary search for the longest prefix that fits (width grows with the prefix length).
    let (mut lo, mut hi) = (0usize, plain.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if measure(&candidate(mid), style).0 <= max_width { lo = mid } else { hi = mid - 1 }
    }
    if lo == 0 && measure("…", style).0 > max_width {
        return String::new();
    }
    candidate(lo)
}

/// Draws `text` with its bounding box aligned to (x, y); `vertical` rotates it 90° counter-clockwise
/// (reading bottom to top, as ROOT draws y-axis titles). Returns the drawn box (x0, y0, x1, y1).
pub fn draw(
    canvas: &mut Canvas,
    text: &str,
    style: &TextStyle,
    (x, y): (f32, f32),
    (halign, valign): (Align, Align),
    vertical: bool,
) -> (f32, f32, f32, f32) {
    let spans = styled_spans(text, style);
    let l = layout(&spans, style);
    let (tw, th) = (l.width, l.ascent + l.descent);
    let (bw, bh) = if vertical { (th, tw) } else { (tw, th) };
    let place = |p: f32, size: f32, a: Align| match a {
        Align::Start => p,
        Align::Center => p - size / 2.0,
        Align::End => p - size,
    };
    let (x0, y0) = (place(x, bw, halign).round(), place(y, bh, valign).round());
    let f = font(style.bold);
    let mut caret = 0.0f32;
    for s in &spans {
        let px = span_px(style.px, s.level);
        let sf = f.as_scaled(PxScale::from(px));
        let baseline = l.ascent + span_shift(style.px, s.level);
        let mut prev = None;
        for ch in s.text.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                caret += sf.kern(p, id);
            }
            let glyph = id.with_scale_and_position(px, point(caret, baseline));
            caret += sf.h_advance(id);
            prev = Some(id);
            let Some(outline) = f.outline_glyph(glyph) else { continue };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, c| {
                // (tx, ty) in the unrotated text box; rotation maps it to (ty, tw - tx).
                let (tx, ty) = (b.min.x + gx as f32, b.min.y + gy as f32);
                let (dx, dy) = if vertical { (ty, tw - tx) } else { (tx, ty) };
                canvas.blend((x0 + dx) as i32, (y0 + dy) as i32, (c * 255.0) as u8, style.color);
            });
        }
    }
    (x0, y0, x0 + bw, y0 + bh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_parse() {
        assert!(font(false).glyph_id('η').0 != 0);
        assert!(font(true).glyph_id('A').0 != 0);
    }

    #[test]
    fn tlatex_subset() {
        assert_eq!(plain("Track #eta vs #phi"), "Track η vs φ");
        assert_eq!(plain("Jet p_{T} [GeV]"), "Jet pT [GeV]");
        assert_eq!(plain("#Delta#sigma #omega"), "Δσ ω");
        assert_eq!(plain("#splitline{a}{b}"), "a b");
        assert_eq!(plain("#frac{1}{2}"), "1/2");
        assert_eq!(plain("#bf{bold} #color[2]{red}"), "bold red");
        assert_eq!(plain("100# #unknown"), "100# #unknown");
        assert_eq!(plain("x^{2"), "x2");
        assert_eq!(plain("charge_PXLayer_1 a^2"), "charge_PXLayer_1 a^2");
        assert_eq!(spans("p_{T}")[1], Span { text: "T".into(), level: -1 });
    }

    #[test]
    fn measure_and_fit() {
        let st = TextStyle { px: 12.0, bold: false, color: crate::canvas::BLACK, latex: true };
        let (w1, h) = measure("10", &st);
        let (w2, _) = measure("1000", &st);
        assert!(w2 > w1 * 1.8 && h > 10.0 && h < 20.0);
        let short = fit("a rather long title that will not fit", &st, 60.0);
        assert!(short.ends_with('…') && measure(&short, &st).0 <= 60.0);
        assert_eq!(fit("x", &st, 0.5), "");
        let literal = TextStyle { latex: false, ..st };
        assert!(measure("#eta_{1}", &literal).0 > measure("#eta_{1}", &st).0);
    }

    #[test]
    fn draws_inside_the_box_only() {
        let mut c = Canvas::new(60, 60).unwrap();
        let st = TextStyle { px: 14.0, bold: true, color: crate::canvas::BLACK, latex: true };
        let (x0, y0, x1, y1) = draw(&mut c, "Ag", &st, (30.0, 30.0), (Align::Center, Align::Center), true);
        let mut dark = 0;
        for y in 0..60 {
            for x in 0..60 {
                if c.pixel(x, y).unwrap().0 < 128 {
                    dark += 1;
                    let (fx, fy) = (x as f32, y as f32);
                    assert!(fx >= x0 - 1.0 && fx <= x1 + 1.0 && fy >= y0 - 1.0 && fy <= y1 + 1.0);
                }
            }
        }
        assert!(dark > 20);
    }
}
