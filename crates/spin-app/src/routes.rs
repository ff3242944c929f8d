//! The HTTP router (Spin `routes` crate semantics on top of routefinder, which Spin itself uses):
//! exact > `:param` > wildcard segment by segment, `/...` and `/*` trailing wildcards, duplicates last-wins.

use crate::app::{App, Route, TriggerTarget};
use crate::{Error, Result};

/// Paths under this prefix are answered by the host, before routing.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// What a route leads to: a component (by component ID) or a trigger's static response (by trigger ID).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteTarget {
    Component(String),
    Static(String),
}

impl RouteTarget {
    /// The ID Spin prints for this target.
    pub fn id(&self) -> &str {
        match self {
            RouteTarget::Component(id) | RouteTarget::Static(id) => id,
        }
    }
}

/// A route as declared, before normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub target: RouteTarget,
    pub route: String,
}

#[derive(Debug, Clone)]
struct Handler {
    target: RouteTarget,
    based_route: String,
    raw_route: String,
}

/// Matches request paths to routes.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// The result of routing one path: everything the `spin-*` headers need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub target: RouteTarget,
    /// The normalised route (`spin-matched-route`); route `/` is the empty string.
    pub based_route: String,
    /// The route as written (`spin-raw-component-route`).
    pub raw_route: String,
    /// The trailing-wildcard capture (`spin-path-info`); empty for exact routes.
    pub path_info: String,
    /// `:name` captures in route order.
    pub params: Vec<(String, String)>,
}

impl RouteMatch {
    /// The match Spin makes for a service-chained request: route `/...`, the whole path as path-info.
    pub fn synthetic(component_id: &str, path: &str) -> RouteMatch {
        RouteMatch {
            target: RouteTarget::Component(component_id.to_string()),
            based_route: "/...".into(),
            raw_route: "/...".into(),
            path_info: path.to_string(),
            params: Vec::new(),
        }
    }

    /// The raw route minus a trailing `/...` (`spin-component-route`).
    pub fn component_route(&self) -> &str {
        self.raw_route.strip_suffix("/...").unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the router; returns it with the warning lines Spin prints (duplicates, reserved routes).
    /// Identical raw routes are not an error: the last one declared wins.
    pub fn build(entries: impl IntoIterator<Item = RouteEntry>) -> Result<(Router, Vec<String>)> {
        let mut kept: Vec<RouteEntry> = Vec::new();
        let mut duplicates = Vec::new();
        for entry in entries {
            match kept.iter_mut().find(|k| k.route == entry.route) {
                Some(slot) => {
                    let replaced = std::mem::replace(slot, entry);
                    let shown = match normalise(&replaced.route) {
                        r if r.is_empty() => "/".to_string(),
                        r => r,
                    };
                    duplicates.push(format!(
                        "  {}: {shown} (duplicate of {})",
                        replaced.target.id(),
                        slot.target.id()
                    ));
                }
                None => kept.push(entry),
            }
        }
        let mut warnings = Vec::new();
        if !duplicates.is_empty() {
            warnings.push("The following component routes are duplicates and will never be used:".to_string());
            warnings.extend(duplicates);
        }

        let mut inner = routefinder::Router::new();
        for entry in kept {
            let based_route = normalise(&entry.route);
            if based_route.starts_with(WELL_KNOWN_PREFIX) {
                warnings.push(format!(
                    "Route {based_route} of {} is under {WELL_KNOWN_PREFIX}, which the host reserves: it will never be used",
                    entry.target.id()
                ));
            }
            let spec = parse_spec(&based_route).map_err(|e| {
                Error::new(format!(
                    "Error parsing route {based_route} associated with component {}: {e}",
                    entry.target.id()
                ))
            })?;
            let handler = Handler { target: entry.target, based_route, raw_route: entry.route };
            if let Err(never) = inner.add(spec, handler) {
                match never {}
            }
        }
        Ok((Router { inner }, warnings))
    }

    /// The router of an app's non-private HTTP triggers, in manifest order.
    pub fn for_app(app: &App) -> Result<(Router, Vec<String>)> {
        let entries = app.triggers.iter().filter_map(|t| {
            let Route::Path(route) = &t.route else { return None };
            let target = match &t.target {
                TriggerTarget::Component(c) => RouteTarget::Component(c.clone()),
                TriggerTarget::Static(_) => RouteTarget::Static(t.id.clone()),
            };
            Some(RouteEntry { target, route: route.clone() })
        });
        Self::build(entries)
    }

    /// Routes `path` (the URI path: no query, not percent-decoded). `None` means 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let found = self.inner.best_match(path)?;
        let handler = found.handler();
        let captures = found.captures();
        // Spin keeps a trailing slash in path-info, which routefinder drops.
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
        };
        let params = captures.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Some(RouteMatch {
            target: handler.target.clone(),
            based_route: handler.based_route.clone(),
            raw_route: handler.raw_route.clone(),
            path_info,
            params,
        })
    }

    /// The routes in precedence order, as (normalised route, target).
    pub fn routes(&self) -> impl Iterator<Item = (&str, &RouteTarget)> {
        self.inner.iter().map(|(_, h)| (h.based_route.as_str(), &h.target))
    }
}

/// Spin's `sanitize_with_base` with base `/`: add a leading `/`, drop one trailing `/`.
pub fn normalise(route: &str) -> String {
    let absolute = if route.starts_with('/') { route.to_string() } else { format!("/{route}") };
    match absolute.strip_suffix('/') {
        Some(s) => s.to_string(),
        None => absolute,
    }
}

/// Turns a normalised route into a routefinder spec (`/...` becomes `/*`), refusing what would make
/// routefinder panic while matching (a wildcard that is not the last segment).
fn parse_spec(based_route: &str) -> std::result::Result<routefinder::RouteSpec, String> {
    let spec: routefinder::RouteSpec = match based_route.strip_suffix("/...") {
        Some(prefix) => format!("{prefix}/*").parse()?,
        None => based_route.parse()?,
    };
    let segments = spec.segments();
    let wildcard_at = segments.iter().position(|s| matches!(s, routefinder::Segment::Wildcard));
    if wildcard_at.is_some_and(|i| i + 1 != segments.len()) {
        return Err("a wildcard must be the last segment of a route".into());
    }
    Ok(spec)
}

/// A request under [`WELL_KNOWN_PREFIX`], which the host answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// `/.well-known/spin/health`: 200 `OK`.
    Health,
    /// `/.well-known/spin/info`: 200 with [`info_body`].
    Info,
    /// Anything else under the prefix: 404.
    NotFound,
}

/// Checked before routing.
pub fn well_known(path: &str) -> Option<WellKnown> {
    let rest = path.strip_prefix(WELL_KNOWN_PREFIX)?;
    Some(match rest {
        "health" => WellKnown::Health,
        "info" => WellKnown::Info,
        _ => WellKnown::NotFound,
    })
}

/// The JSON of `/.well-known/spin/info`: `{"name": …, "version": …}` (version omitted when unset).
pub fn info_body(app: &App) -> String {
    let mut info = serde_json::Map::new();
    info.insert("name".into(), app.name.clone().into());
    if let Some(v) = &app.version {
        info.insert("version".into(), v.clone().into());
    }
    serde_json::Value::Object(info).to_string()
}
