//! Render options and their parsing from the query parameters of `/render` and `/render_overlay`.

use std::fmt;

/// Largest accepted width or height (spec §6.9 decision).
pub const MAX_SIZE: u32 = 4096;
/// At most this many `reflabel`s are used (one per reference, spec §6.10).
pub const MAX_REFLABELS: usize = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Lin,
    Log,
}

/// How references are combined with the main object in `render_overlay`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefMode {
    #[default]
    Overlay,
    /// Overlay on top, ratio to the main object below.
    Ratio,
    Stacked,
}

/// Optional user limits of one axis; a bound of 0 is honoured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub width: u32,
    pub height: u32,
    /// `None` keeps the rule default (shown unless a rule hides it).
    pub stats: Option<bool>,
    pub norm: bool,
    /// `None` keeps the rule default (no error bars unless a rule or drawopts asks).
    pub errors: Option<bool>,
    /// ROOT draw options, lower case, `;` removed; empty means the rule or kind default.
    pub drawopts: String,
    /// Per-axis scale (x, y, z); `None` keeps the rule or linear default.
    pub scale: [Option<Scale>; 3],
    pub limits: [Limits; 3],
    pub reflabels: Vec<String>,
    pub reference: RefMode,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 266,
            height: 200,
            stats: None,
            norm: true,
            errors: None,
            drawopts: String::new(),
            scale: [None; 3],
            limits: [Limits::default(); 3],
            reflabels: Vec::new(),
            reference: RefMode::Overlay,
        }
    }
}

/// A query parameter that cannot be honoured; the component answers 400 with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

/// Which parameter names to read: the v1 API or the legacy `/plotfairy` routes (spec §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    V1,
    Legacy,
}

const AXES: [char; 3] = ['x', 'y', 'z'];

impl Options {
    /// Parses decoded query pairs; unknown keys (`obj`, `notOlderThan`, …) are left to the caller.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Options, OptionsError> {
        Self::from_query_dialect(pairs, Dialect::V1)
    }

    pub fn from_query_dialect<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        dialect: Dialect,
    ) -> Result<Options, OptionsError> {
        let mut o = Options::default();
        for (key, value) in pairs {
            match (key, dialect) {
                ("w", _) => o.width = parse_size(value)?,
                ("h", _) => o.height = parse_size(value)?,
                ("stats", Dialect::V1) => o.stats = Some(value == "true"),
                ("norm", Dialect::V1) => o.norm = value == "true",
                ("errors", Dialect::V1) => o.errors = Some(value == "true"),
                ("showstats", Dialect::Legacy) => o.stats = Some(parse_flag(key, value)?),
                ("showerrbars", Dialect::Legacy) => o.errors = Some(parse_flag(key, value)?),
                ("norm", Dialect::Legacy) => o.norm = value == "True",
                ("drawopts", _) => o.drawopts = value.replace(';', "").to_ascii_lowercase(),
                ("reflabel", _) if o.reflabels.len() < MAX_REFLABELS => o.reflabels.push(value.to_string()),
                ("ref", _) => o.reference = parse_ref(value)?,
                _ => o.parse_axis_key(key, value)?,
            }
        }
        Ok(o)
    }

    /// `xtype`…`ztype` (only `lin`/`log`, others ignored) and `xmin`…`zmax`.
    fn parse_axis_key(&mut self, key: &str, value: &str) -> Result<(), OptionsError> {
        let mut chars = key.chars();
        let Some(axis) = chars.next().and_then(|c| AXES.iter().position(|a| *a == c)) else {
            return Ok(());
        };
        match chars.as_str() {
            "type" => match value {
                "lin" => self.scale[axis] = Some(Scale::Lin),
                "log" => self.scale[axis] = Some(Scale::Log),
                _ => {}
            },
            "min" => self.limits[axis].min = parse_limit(key, value)?,
            "max" => self.limits[axis].max = parse_limit(key, value)?,
            _ => {}
        }
        Ok(())
    }

    /// Checks the size of options built in code rather than parsed.
    pub fn check_size(&self) -> Result<(), OptionsError> {
        if (1..=MAX_SIZE).contains(&self.width) && (1..=MAX_SIZE).contains(&self.height) {
            Ok(())
        } else {
            Err(size_error())
        }
    }
}

fn size_error() -> OptionsError {
    OptionsError(format!("w and h must be integers between 1 and {MAX_SIZE}"))
}

fn parse_size(value: &str) -> Result<u32, OptionsError> {
    match value.trim().parse::<u32>() {
        Ok(v) if (1..=MAX_SIZE).contains(&v) => Ok(v),
        _ => Err(size_error()),
    }
}

fn parse_flag(key: &str, value: &str) -> Result<bool, OptionsError> {
    value.trim().parse::<i64>().map(|v| v == 1).map_err(|_| OptionsError(format!("{key} must be an integer")))
}

/// An empty limit means "automatic"; anything else must be a finite number (0 included).
fn parse_limit(key: &str, value: &str) -> Result<Option<f64>, OptionsError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(OptionsError(format!("{key} must be a number"))),
    }
}

fn parse_ref(value: &str) -> Result<RefMode, OptionsError> {
    match value {
        "" | "overlay" => Ok(RefMode::Overlay),
        "ratiooverlay" | "ratio" => Ok(RefMode::Ratio),
        "stacked" => Ok(RefMode::Stacked),
        _ => Err(OptionsError("ref must be one of overlay, ratiooverlay, stacked".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<Options, OptionsError> {
        Options::from_query(q.iter().copied())
    }

    #[test]
    fn defaults_match_the_spec() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.width, o.height, o.stats, o.norm, o.errors), (266, 200, None, true, None));
    }

    #[test]
    fn zero_limits_are_honoured() {
        let o = parse(&[("ymin", "0"), ("ymax", "50"), ("xmax", "")]).unwrap();
        assert_eq!(o.limits[1], Limits { min: Some(0.0), max: Some(50.0) });
        assert_eq!(o.limits[0].max, None);
    }

    #[test]
    fn bad_values_are_errors() {
        for q in [("w", "abc"), ("w", "0"), ("h", "4097"), ("w", "-5"), ("xmin", "abc"), ("zmax", "nan"), ("ref", "side")] {
            assert!(parse(&[q]).is_err(), "{q:?} accepted");
        }
        assert_eq!(parse(&[("w", "abc")]).unwrap_err().0, "w and h must be integers between 1 and 4096");
    }

    #[test]
    fn flags_types_and_labels() {
        let o = parse(&[
            ("stats", "false"),
            ("norm", "True"),
            ("errors", "true"),
            ("drawopts", "COLZ;"),
            ("xtype", "log"),
            ("ytype", "cubic"),
            ("ref", "stacked"),
        ])
        .unwrap();
        assert_eq!((o.stats, o.norm, o.errors), (Some(false), false, Some(true)));
        assert_eq!(o.drawopts, "colz");
        assert_eq!(o.scale, [Some(Scale::Log), None, None]);
        assert_eq!(o.reference, RefMode::Stacked);
        let many: Vec<(&str, &str)> = (0..12).map(|_| ("reflabel", "r")).collect();
        assert_eq!(parse(&many).unwrap().reflabels.len(), MAX_REFLABELS);
    }

    #[test]
    fn legacy_names() {
        let q = [("showstats", "0"), ("showerrbars", "1"), ("norm", "False")];
        let o = Options::from_query_dialect(q, Dialect::Legacy).unwrap();
        assert_eq!((o.stats, o.norm, o.errors), (Some(false), false, Some(true)));
        assert!(Options::from_query_dialect([("showstats", "yes")], Dialect::Legacy).is_err());
    }
}
