//! The effective drawing settings of one request: query options over rule defaults over kind defaults.

use crate::canvas::Rgba;
use crate::model::{Kind, Plot};
use crate::options::{Limits, Options, Scale};
use crate::palette::Palette;
use crate::rules::{Band, LabelMode, RefLine, Style};

/// Flags parsed from a ROOT draw-option string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrawOpts {
    pub colz: bool,
    pub col: bool,
    pub boxes: bool,
    pub text: bool,
    pub hist: bool,
    pub errors: bool,
    pub markers: bool,
    pub line: bool,
    pub fill: bool,
}

impl DrawOpts {
    /// Reads ROOT-style options (case-insensitive): the words `colz col box text hist same` first,
    /// then the single letters `e p l c f` from what is left.
    pub fn parse(s: &str) -> DrawOpts {
        let mut rest = s.to_ascii_lowercase();
        let mut d = DrawOpts::default();
        let word = |w: &str, rest: &mut String| {
            let found = rest.contains(w);
            *rest = rest.replace(w, " ");
            found
        };
        d.colz = word("colz", &mut rest);
        d.col = word("col", &mut rest);
        d.boxes = word("box", &mut rest);
        d.text = word("text", &mut rest);
        d.hist = word("hist", &mut rest);
        word("same", &mut rest);
        // Views we do not draw in 3-D fall back to a colour map.
        d.colz |= word("lego", &mut rest) | word("surf", &mut rest) | word("cont", &mut rest);
        d.errors = rest.contains('e');
        d.markers = rest.contains('p');
        d.line = rest.contains('l') || rest.contains('c');
        d.fill = rest.contains('f');
        d
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Look {
    pub draw: DrawOpts,
    pub log: [bool; 3],
    pub limits: [Limits; 3],
    pub palette: Palette,
    pub stats: bool,
    pub grid: bool,
    pub labels: LabelMode,
    pub fill: Option<Rgba>,
    pub line_color: Option<Rgba>,
    pub lines: Vec<RefLine>,
    pub bands: Vec<Band>,
}

impl Look {
    pub fn resolve(plot: &Plot, opts: &Options, style: &Style) -> Look {
        let text = if !opts.drawopts.is_empty() { opts.drawopts.as_str() } else { style.drawopts.as_deref().unwrap_or("") };
        let mut draw = DrawOpts::parse(text);
        if opts.errors.or(style.errors).unwrap_or(false) {
            draw.errors = true;
        }
        let nothing_chosen = !(draw.hist || draw.errors || draw.markers || draw.line || draw.fill);
        match plot.kind {
            Kind::H2 | Kind::H3 | Kind::Profile2D if !(draw.colz || draw.col || draw.boxes || draw.text) => draw.colz = true,
            // Profiles and efficiencies are points with error bars unless told otherwise.
            Kind::Profile if nothing_chosen => {
                draw.errors = true;
                draw.markers = true;
            }
            Kind::H1 if plot.efficiency && nothing_chosen => {
                draw.errors = true;
                draw.markers = true;
            }
            _ => {}
        }
        if style.fill.is_some() && (draw.hist || !draw.errors) {
            draw.fill = true;
        }
        let mut log = [false; 3];
        let mut limits = [Limits::default(); 3];
        for i in 0..3 {
            log[i] = opts.scale[i].or(style.scale[i]) == Some(Scale::Log);
            limits[i].min = opts.limits[i].min.or(style.limits[i].min);
            limits[i].max = opts.limits[i].max.or(style.limits[i].max);
        }
        Look {
            draw,
            log,
            limits,
            palette: style.palette.unwrap_or_default(),
            stats: opts.stats.or(style.stats).unwrap_or(true),
            grid: style.grid.unwrap_or(false),
            labels: style.labels.unwrap_or_default(),
            fill: style.fill,
            line_color: style.line_color,
            lines: style.lines.clone().unwrap_or_default(),
            bands: style.bands.clone().unwrap_or_default(),
        }
    }
}

/// Final [min, max] of an axis from the automatic range and optional user limits: a missing bound
/// keeps the automatic value, log axes stay positive, and an empty interval is widened.
pub fn apply_limits(auto: (f64, f64), user: Limits, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (user.min.unwrap_or(auto.0), user.max.unwrap_or(auto.1));
    if log {
        if lo <= 0.0 || !lo.is_finite() {
            lo = if auto.0 > 0.0 { auto.0 } else { hi.abs() * 1e-3 };
        }
        if hi <= lo || !hi.is_finite() {
            hi = lo * 10.0;
        }
        if !(lo > 0.0 && lo.is_finite() && hi.is_finite()) {
            return (0.1, 10.0);
        }
    } else {
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        if hi <= lo {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            if user.max.is_some() && user.min.is_none() { lo = hi - pad } else { hi = lo + pad }
        }
    }
    (lo, hi)
}

/// Automatic value-axis range from data extremes, ROOT-like: 5 % head room, zero-based when the
/// data are non-negative, and a decade of room on log axes.
pub fn value_range(min: f64, max: f64, min_positive: f64, log: bool) -> (f64, f64) {
    if log {
        if !(min_positive.is_finite() && min_positive > 0.0) {
            return (0.1, 10.0);
        }
        let hi = if max > 0.0 { max } else { min_positive };
        let (l0, l1) = (min_positive.log10() - 0.3, hi.log10());
        let l1 = l1 + 0.05 * (l1 - l0).max(1.0);
        return (10f64.powf(l0), 10f64.powf(l1));
    }
    if !(min.is_finite() && max.is_finite()) {
        return (0.0, 1.0);
    }
    let lo = if min >= 0.0 { 0.0 } else { min };
    let hi = if max <= 0.0 && min < 0.0 { 0.0 } else { max };
    let span = hi - lo;
    if span <= 0.0 {
        return if hi == 0.0 { (0.0, 1.0) } else { (lo.min(0.0), hi.abs() * 1.1) };
    }
    (if lo < 0.0 { lo - 0.05 * span } else { lo }, hi + 0.05 * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_option_words_and_letters() {
        let d = DrawOpts::parse("COLZ");
        assert!(d.colz && !d.col && !d.line && !d.errors);
        let d = DrawOpts::parse("hist e1 p");
        assert!(d.hist && d.errors && d.markers && !d.colz);
        let d = DrawOpts::parse("text");
        assert!(d.text && !d.errors);
        assert!(DrawOpts::parse("box").boxes);
    }

    #[test]
    fn zero_limit_is_honoured_and_ranges_stay_valid() {
        let auto = value_range(3.0, 96.0, 3.0, false);
        assert_eq!(auto.0, 0.0);
        assert!((auto.1 - 100.8).abs() < 1e-9);
        assert_eq!(apply_limits((5.0, 10.0), Limits { min: Some(0.0), max: None }, false), (0.0, 10.0));
        assert_eq!(apply_limits((5.0, 10.0), Limits { min: Some(20.0), max: None }, false), (20.0, 22.0));
        assert_eq!(apply_limits((0.5, 100.0), Limits { min: Some(0.0), max: None }, true), (0.5, 100.0));
        assert_eq!(apply_limits((0.0, 0.0), Limits::default(), true), (0.1, 10.0));
        assert_eq!(value_range(0.0, 0.0, f64::INFINITY, false), (0.0, 1.0));
        assert_eq!(value_range(-2.0, -1.0, f64::INFINITY, false), (-2.1, 0.1));
    }

    #[test]
    fn query_beats_rule_beats_default() {
        let plot = Plot::h1("n", "t", crate::Axis::uniform(2, 0.0, 1.0), vec![1.0, 2.0]);
        let style = Style { stats: Some(false), drawopts: Some("e".into()), scale: [None, Some(Scale::Log), None], ..Style::default() };
        let look = Look::resolve(&plot, &Options::default(), &style);
        assert!(!look.stats && look.draw.errors && look.log[1]);
        let opts = Options { stats: Some(true), drawopts: "hist".into(), scale: [None, Some(Scale::Lin), None], ..Options::default() };
        let look = Look::resolve(&plot, &opts, &style);
        assert!(look.stats && !look.draw.errors && look.draw.hist && !look.log[1]);
    }
}
