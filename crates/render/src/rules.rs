//! Declarative render rules (the replacement for the original's C++ render plugins): a TOML file
//! mapping ME path patterns to drawing defaults. The format is documented in the crate docs.

use crate::canvas::Rgba;
use crate::options::{Limits, Scale};
use crate::palette::Palette;
use serde::Deserialize;
use std::fmt;

/// How alphanumeric bin labels are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LabelMode {
    /// Horizontal when they fit, else vertical, else every n-th.
    #[default]
    Auto,
    Horizontal,
    Vertical,
    /// Numeric ticks instead of labels.
    Hidden,
}

/// A straight reference line across the frame at `value` on `axis` (0 = x, 1 = y).
#[derive(Clone, Debug, PartialEq)]
pub struct RefLine {
    pub axis: usize,
    pub value: f64,
    pub color: Rgba,
    pub dashed: bool,
}

/// A shaded band between `from` and `to` on `axis`, drawn behind the data.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub axis: usize,
    pub from: f64,
    pub to: f64,
    pub color: Rgba,
}

/// Drawing defaults for one ME, the merge of every matching rule; query options override it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Style {
    pub drawopts: Option<String>,
    pub scale: [Option<Scale>; 3],
    pub limits: [Limits; 3],
    pub palette: Option<Palette>,
    pub stats: Option<bool>,
    pub errors: Option<bool>,
    pub fill: Option<Rgba>,
    pub line_color: Option<Rgba>,
    pub grid: Option<bool>,
    pub labels: Option<LabelMode>,
    pub lines: Option<Vec<RefLine>>,
    pub bands: Option<Vec<Band>>,
}

impl Style {
    /// Fields set in `other` replace ours (last match wins, field by field).
    fn merge(&mut self, other: &Style) {
        fn take<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if b.is_some() {
                a.clone_from(b);
            }
        }
        take(&mut self.drawopts, &other.drawopts);
        for i in 0..3 {
            take(&mut self.scale[i], &other.scale[i]);
            take(&mut self.limits[i].min, &other.limits[i].min);
            take(&mut self.limits[i].max, &other.limits[i].max);
        }
        take(&mut self.palette, &other.palette);
        take(&mut self.stats, &other.stats);
        take(&mut self.errors, &other.errors);
        take(&mut self.fill, &other.fill);
        take(&mut self.line_color, &other.line_color);
        take(&mut self.grid, &other.grid);
        take(&mut self.labels, &other.labels);
        take(&mut self.lines, &other.lines);
        take(&mut self.bands, &other.bands);
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesError(pub String);

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "render rules: {}", self.0)
    }
}

impl std::error::Error for RulesError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    rule: Vec<RuleToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    pattern: String,
    drawopts: Option<String>,
    xtype: Option<String>,
    ytype: Option<String>,
    ztype: Option<String>,
    xmin: Option<f64>,
    xmax: Option<f64>,
    ymin: Option<f64>,
    ymax: Option<f64>,
    zmin: Option<f64>,
    zmax: Option<f64>,
    palette: Option<String>,
    stats: Option<bool>,
    errors: Option<bool>,
    fill: Option<String>,
    line_color: Option<String>,
    grid: Option<bool>,
    labels: Option<String>,
    lines: Option<Vec<LineToml>>,
    bands: Option<Vec<BandToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineToml {
    axis: String,
    value: f64,
    color: Option<String>,
    #[serde(default)]
    dashed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandToml {
    axis: String,
    from: f64,
    to: f64,
    color: Option<String>,
}

/// An ordered list of (pattern, style) rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    rules: Vec<(String, Style)>,
}

static BUILTIN: &str = include_str!("../rules.toml");

impl Rules {
    /// The rules shipped in `crates/render/rules.toml`.
    pub fn builtin() -> Rules {
        // The shipped file is checked by a unit test; fall back to no rules rather than panic.
        Rules::from_toml(BUILTIN).unwrap_or_default()
    }

    pub fn from_toml(text: &str) -> Result<Rules, RulesError> {
        let file: FileToml = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let rules = file.rule.into_iter().map(convert).collect::<Result<_, _>>()?;
        Ok(Rules { rules })
    }

    /// The merged style of every rule whose pattern matches `path`, in file order.
    pub fn style_for(&self, path: &str) -> Style {
        let mut style = Style::default();
        for (pattern, rule) in &self.rules {
            if glob_match(pattern.as_bytes(), path.as_bytes()) {
                style.merge(rule);
            }
        }
        style
    }

    /// The patterns, in file order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|(p, _)| p.as_str())
    }

    /// Whether `pattern` (rule syntax) matches `path`.
    pub fn matches(pattern: &str, path: &str) -> bool {
        glob_match(pattern.as_bytes(), path.as_bytes())
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn err(pattern: &str, what: String) -> RulesError {
    RulesError(format!("rule {pattern:?}: {what}"))
}

fn convert(r: RuleToml) -> Result<(String, Style), RulesError> {
    let p = r.pattern.clone();
    let scale = |v: &Option<String>, key: &str| -> Result<Option<Scale>, RulesError> {
        match v.as_deref() {
            None => Ok(None),
            Some("lin") => Ok(Some(Scale::Lin)),
            Some("log") => Ok(Some(Scale::Log)),
            Some(o) => Err(err(&p, format!("{key} must be lin or log, not {o:?}"))),
        }
    };
    let color = |v: &Option<String>, default: Rgba| -> Result<Rgba, RulesError> {
        match v {
            None => Ok(default),
            Some(s) => Rgba::parse(s).ok_or_else(|| err(&p, format!("bad colour {s:?} (use #rrggbb or #rrggbbaa)"))),
        }
    };
    let axis = |a: &str| match a {
        "x" => Ok(0),
        "y" => Ok(1),
        o => Err(err(&p, format!("axis must be x or y, not {o:?}"))),
    };
    let finite = |v: Option<f64>, key: &str| match v {
        Some(x) if !x.is_finite() => Err(err(&p, format!("{key} must be finite"))),
        _ => Ok(v),
    };
    let mut style = Style {
        drawopts: r.drawopts.map(|d| d.replace(';', "").to_ascii_lowercase()),
        scale: [scale(&r.xtype, "xtype")?, scale(&r.ytype, "ytype")?, scale(&r.ztype, "ztype")?],
        limits: [
            Limits { min: finite(r.xmin, "xmin")?, max: finite(r.xmax, "xmax")? },
            Limits { min: finite(r.ymin, "ymin")?, max: finite(r.ymax, "ymax")? },
            Limits { min: finite(r.zmin, "zmin")?, max: finite(r.zmax, "zmax")? },
        ],
        stats: r.stats,
        errors: r.errors,
        grid: r.grid,
        ..Style::default()
    };
    if let Some(name) = &r.palette {
        style.palette = Some(Palette::parse(name).ok_or_else(|| err(&p, format!("unknown palette {name:?}")))?);
    }
    if r.fill.is_some() {
        style.fill = Some(color(&r.fill, crate::canvas::BLACK)?);
    }
    if r.line_color.is_some() {
        style.line_color = Some(color(&r.line_color, crate::canvas::BLACK)?);
    }
    if let Some(mode) = &r.labels {
        style.labels = Some(match mode.as_str() {
            "auto" => LabelMode::Auto,
            "horizontal" => LabelMode::Horizontal,
            "vertical" => LabelMode::Vertical,
            "hidden" => LabelMode::Hidden,
            o => return Err(err(&p, format!("labels must be auto, horizontal, vertical or hidden, not {o:?}"))),
        });
    }
    if let Some(lines) = r.lines {
        let mut out = Vec::new();
        for l in lines {
            let value = finite(Some(l.value), "line value")?.unwrap_or(0.0);
            out.push(RefLine { axis: axis(&l.axis)?, value, color: color(&l.color, Rgba(255, 0, 0, 255))?, dashed: l.dashed });
        }
        style.lines = Some(out);
    }
    if let Some(bands) = r.bands {
        let mut out = Vec::new();
        for b in bands {
            let (from, to) = (finite(Some(b.from), "band from")?, finite(Some(b.to), "band to")?);
            let (from, to) = (from.unwrap_or(0.0), to.unwrap_or(0.0));
            out.push(Band { axis: axis(&b.axis)?, from: from.min(to), to: from.max(to), color: color(&b.color, Rgba(0, 200, 0, 60))? });
        }
        style.bands = Some(out);
    }
    Ok((r.pattern, style))
}

/// Glob match of a whole path: `*` any run without `/`, `**` any run (`**/` also matches no
/// directory), `?` one character but `/`. Patterns are short and authored by us, so plain recursion is fine.
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    match pat {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => {
            (rest.first() == Some(&b'/') && glob_match(&rest[1..], text))
                || (0..=text.len()).any(|k| glob_match(rest, &text[k..]))
        }
        [b'*', rest @ ..] => {
            for k in 0..=text.len() {
                if glob_match(rest, &text[k..]) {
                    return true;
                }
                if text.get(k) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        [b'?', rest @ ..] => matches!(text.first(), Some(c) if *c != b'/') && glob_match(rest, &text[1..]),
        [c, rest @ ..] => text.first() == Some(c) && glob_match(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"EcalBarrel/**", b"EcalBarrel/EBOccupancyTask/EBOT digi occupancy"));
        assert!(!glob_match(b"EcalBarrel/*", b"EcalBarrel/EBOccupancyTask/EBOT digi occupancy"));
        assert!(glob_match(b"*/*/EBOT*", b"EcalBarrel/EBOccupancyTask/EBOT digi occupancy"));
        assert!(glob_match(b"**/NumberOfTracks", b"Tracking/TrackParameters/GeneralProperties/NumberOfTracks"));
        assert!(!glob_match(b"**/NumberOfTracks", b"Tracking/NumberOfTracksX"));
        assert!(glob_match(b"Edge/Types/h?f", b"Edge/Types/h3f"));
        assert!(!glob_match(b"a?b", b"a/b"));
        assert!(glob_match(b"**", b""));
        assert!(glob_match(b"**/iRun", b"iRun"));
        assert!(!glob_match(b"x", b""));
    }

    #[test]
    fn last_match_wins_field_by_field() {
        let rules = Rules::from_toml(
            r##"
            [[rule]]
            pattern = "A/**"
            drawopts = "COLZ"
            ytype = "log"
            [[rule]]
            pattern = "A/b"
            ytype = "lin"
            ymin = 0
            lines = [{ axis = "y", value = 1.0, color = "#0000ff", dashed = true }]
            "##,
        )
        .unwrap();
        let s = rules.style_for("A/b");
        assert_eq!(s.drawopts.as_deref(), Some("colz"));
        assert_eq!(s.scale[1], Some(Scale::Lin));
        assert_eq!(s.limits[1].min, Some(0.0));
        assert_eq!(s.lines.unwrap()[0].color, Rgba(0, 0, 255, 255));
        assert_eq!(rules.style_for("A/c").scale[1], Some(Scale::Log));
        assert_eq!(rules.style_for("B"), Style::default());
    }

    #[test]
    fn bad_rules_are_reported() {
        for bad in [
            "[[rule]]\npattern = \"a\"\nxtype = \"cubic\"",
            "[[rule]]\npattern = \"a\"\npalette = \"neon\"",
            "[[rule]]\npattern = \"a\"\nfill = \"red\"",
            "[[rule]]\npattern = \"a\"\ncolour = \"#ff0000\"",
            "[[rule]]\npattern = \"a\"\nlines = [{ axis = \"q\", value = 1 }]",
            "[[rule]]\nxtype = \"log\"",
        ] {
            assert!(Rules::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shipped_rules_parse() {
        let rules = Rules::from_toml(BUILTIN).unwrap();
        assert!(rules.len() >= 5);
    }
}
