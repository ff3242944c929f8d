//! The viewer's HTTP surface below `/nectarcam` (§7.5): the JSON API and the static page, as
//! `Request → Reply`. The route table is [`route`]; there are no write routes.

use std::fmt::Write as _;

use fits::{Array, Values};
use kv_api::{KvError, KvStore};
use serde_json::{json, Map, Value};
use web_kit::{percent_decode, Reply, Request};

use crate::assets::{geometry_body, label, STATIC_FILES};
use crate::classify::{classify, per_pixel_waveform, Category};
use crate::display::{camera_display, drawable, format_time, waveform_band, BAD_PIXEL_MASKS};
use crate::health::Health;
use crate::keys::{camera_code, camera_label, camera_rank, RunKey, CAMERA_CODES};
use crate::layout::{self, RunMeta};

/// Where the component is mounted.
pub const MOUNT: &str = "/nectarcam";

/// Every route, with its path segments already percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Static(&'static str, &'static str),
    Health,
    Cameras,
    CameraRuns(String),
    Run(String),
    Data {
        key: String,
        parent: String,
        child: String,
    },
    CameraDisplay {
        key: String,
        parent: String,
        child: String,
    },
    /// The average waveform with its 2.5–97.5 % band (§8a): computed here so the page does not
    /// download the per-pixel image.
    Waveform {
        key: String,
        parent: String,
        child: String,
    },
    Geometry,
    /// The mount without its trailing slash: redirect so the page's relative URLs work.
    Root,
}

/// The route table: the path below the mount → route.
pub fn route(path: &str) -> Option<Route> {
    if path.is_empty() {
        return Some(Route::Root);
    }
    let segments: Vec<String> = path
        .strip_prefix('/')?
        .split('/')
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    Some(match s.as_slice() {
        ["api", "health"] => Route::Health,
        ["api", "cameras"] => Route::Cameras,
        ["api", "geometry"] => Route::Geometry,
        ["api", "cameras", code, "runs"] => Route::CameraRuns(code.to_string()),
        ["api", "runs", key] => Route::Run(key.to_string()),
        ["api", "runs", key, "data", parent, child] => {
            let (key, parent, child) = owned(key, parent, child);
            Route::Data { key, parent, child }
        }
        ["api", "runs", key, "camera_display", parent, child] => {
            let (key, parent, child) = owned(key, parent, child);
            Route::CameraDisplay { key, parent, child }
        }
        ["api", "runs", key, "waveform", parent, child] => {
            let (key, parent, child) = owned(key, parent, child);
            Route::Waveform { key, parent, child }
        }
        [file] => STATIC_FILES
            .iter()
            .find(|(name, _, _)| name == file || (name.is_empty() && *file == "index.html"))
            .map(|(_, ct, body)| Route::Static(ct, body))?,
        _ => return None,
    })
}

/// The viewer's errors: `{"error": …}` as §7.5 shows, plus the project-wide `message`.
fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": message, "message": message }))
}

fn storage(err: &KvError) -> Reply {
    let reply = web_kit::kv_failure(err);
    let message = format!("storage failure: {err}");
    Reply::json(
        reply.status,
        &json!({ "error": message, "message": message }),
    )
}

/// The API over one store. `health` is asked only for `/api/health` (it may query the store's server).
pub struct Viewer<'a> {
    pub store: &'a dyn KvStore,
    pub health: &'a dyn Fn() -> Health,
}

impl Viewer<'_> {
    /// Handles a request; `path` is the route-relative path (`spin-path-info`, or the path without the mount).
    pub fn handle(&self, req: &Request) -> Reply {
        let path = match req.header("spin-path-info") {
            Some(info) => info.to_owned(),
            None => req.path.strip_prefix(MOUNT).unwrap_or(&req.path).to_owned(),
        };
        if req.method != "GET" && req.method != "HEAD" {
            return error(405, "the NectarCAM viewer is read-only")
                .with_header("allow", "GET, HEAD");
        }
        let Some(route) = route(&path) else {
            return error(404, "no such route");
        };
        match self.dispatch(route) {
            Ok(reply) => reply,
            Err(err) => storage(&err),
        }
    }

    fn dispatch(&self, route: Route) -> Result<Reply, KvError> {
        Ok(match route {
            Route::Root => Reply::new(308, "text/plain; charset=utf-8", "")
                .with_header("location", format!("{MOUNT}/")),
            Route::Static(content_type, body) => {
                Reply::new(200, content_type, body).with_header("cache-control", "no-cache")
            }
            Route::Health => Reply::json(200, &(self.health)().to_json()),
            Route::Geometry => {
                Reply::json_text(200, geometry_body()).with_header("cache-control", "max-age=86400")
            }
            Route::Cameras => Reply::json(200, &self.cameras()?),
            Route::CameraRuns(code) => match camera_code(&code) {
                Some(code) => {
                    Reply::json(200, &json!({ "camera": code, "runs": self.runs_of(code)? }))
                }
                None => error(404, "unknown camera"),
            },
            Route::Run(key) => match self.meta(&key)? {
                Some(meta) => Reply::json(200, &self.run_summary(&meta)?),
                None => error(404, "unknown run"),
            },
            Route::Data { key, parent, child } => self.data(&key, &parent, &child)?,
            Route::CameraDisplay { key, parent, child } => {
                self.camera_display(&key, &parent, &child)?
            }
            Route::Waveform { key, parent, child } => self.waveform(&key, &parent, &child)?,
        })
    }

    /// Valid run keys from the index (§3: other keys are ignored).
    fn run_keys(&self) -> Result<Vec<RunKey>, KvError> {
        Ok(layout::list_runs(self.store)?
            .iter()
            .filter_map(|k| RunKey::parse(k))
            .collect())
    }

    fn cameras(&self) -> Result<Value, KvError> {
        let keys = self.run_keys()?;
        let mut cameras: Vec<&str> = CAMERA_CODES
            .iter()
            .copied()
            .filter(|c| keys.iter().any(|k| k.camera == *c))
            .collect();
        cameras.sort_by_key(|c| camera_rank(c));
        Ok(Value::Array(cameras.into_iter().map(|c| json!({ "code": c, "label": camera_label(c), "runs": keys.iter().filter(|k| k.camera == c).count() })).collect()))
    }

    /// A camera's runs, numerically descending (ties: the longer spelling first, so order is stable).
    fn runs_of(&self, code: &str) -> Result<Value, KvError> {
        let mut runs: Vec<RunKey> = self
            .run_keys()?
            .into_iter()
            .filter(|k| k.camera == code)
            .collect();
        runs.sort_by(|a, b| b.run.cmp(&a.run).then_with(|| b.run_text.cmp(&a.run_text)));
        Ok(Value::Array(
            runs.iter()
                .map(|k| json!({ "key": k.key(), "run": k.run }))
                .collect(),
        ))
    }

    fn meta(&self, key: &str) -> Result<Option<RunMeta>, KvError> {
        if RunKey::parse(key).is_none() {
            return Ok(None);
        }
        layout::read_meta(self.store, key)
    }

    fn run_summary(&self, meta: &RunMeta) -> Result<Value, KvError> {
        let key = RunKey::parse(&meta.key)
            .ok_or_else(|| KvError::Other("stored key is not a run key".into()))?;
        let time = |child: &str| -> Result<Value, KvError> {
            let array = layout::read_child(self.store, &meta.key, "START-TIMES", child)?;
            Ok(array
                .and_then(|(_, a)| format_time(&a))
                .map_or(Value::Null, Value::String))
        };
        let times = json!({ "run_start": time("Run start time")?, "first_event": time("First event")?, "last_event": time("Last event")? });
        let (mut displays, mut timelines, mut averages, mut all, mut triggers) =
            (vec![], vec![], vec![], vec![], vec![]);
        for parent in &meta.parents {
            let category = classify(&parent.name);
            if category == Category::TriggerEvents {
                triggers.push(json!({ "parent": parent.name }));
            }
            for child in &parent.children {
                let item = json!({ "parent": parent.name, "child": child.name });
                match category {
                    Category::CameraDisplays => displays.push(json!({ "parent": parent.name, "child": child.name, "drawable": drawable(&child.shape) })),
                    Category::Timelines => timelines.push(item),
                    Category::WaveformsAverage => averages.push(item),
                    Category::WaveformsAll => all.push(item),
                    _ => {}
                }
            }
        }
        let entries: Map<String, Value> = meta
            .parents
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    Value::Object(
                        p.children
                            .iter()
                            .map(|c| {
                                (
                                    c.name.clone(),
                                    json!({ "dtype": c.dtype, "shape": c.shape }),
                                )
                            })
                            .collect(),
                    ),
                )
            })
            .collect();
        Ok(json!({
            "key": meta.key, "camera": key.camera, "run": key.run, "times": times,
            "categories": { "camera_displays": displays, "timelines": timelines, "waveforms": { "average": averages, "all": all }, "trigger_events": triggers },
            "entries": entries,
        }))
    }

    fn child(&self, key: &str, parent: &str, child: &str) -> Result<Result<Array, Reply>, KvError> {
        let Some(meta) = self.meta(key)? else {
            return Ok(Err(error(404, "unknown run")));
        };
        if meta.parent(parent).is_none() {
            return Ok(Err(error(404, "unknown parent")));
        }
        match layout::read_child(self.store, key, parent, child)? {
            Some((_, array)) => Ok(Ok(array)),
            None => Ok(Err(error(404, "unknown child"))),
        }
    }

    fn data(&self, key: &str, parent: &str, child: &str) -> Result<Reply, KvError> {
        let array = match self.child(key, parent, child)? {
            Ok(array) => array,
            Err(reply) => return Ok(reply),
        };
        let mut body = String::with_capacity(64 + array.values.len() * 12);
        let head = json!({ "parent": parent, "child": child, "dtype": array.dtype().name(), "shape": array.shape }).to_string();
        body.push_str(&head[..head.len() - 1]);
        body.push_str(",\"data\":");
        write_nested(&mut body, &array.shape, &array.values, &mut 0);
        body.push('}');
        Ok(Reply::json_text(200, body))
    }

    fn camera_display(&self, key: &str, parent: &str, child: &str) -> Result<Reply, KvError> {
        let array = match self.child(key, parent, child)? {
            Ok(array) => array,
            Err(reply) => return Ok(reply),
        };
        if classify(parent) != Category::CameraDisplays || !drawable(&array.shape) {
            return Ok(error(422, "not a camera display"));
        }
        let mut mask = None;
        for (mask_parent, mask_child) in BAD_PIXEL_MASKS {
            if let Some((_, m)) = layout::read_child(self.store, key, mask_parent, mask_child)? {
                mask = Some(m);
                break;
            }
        }
        let display = camera_display(parent, &array, mask.as_ref());
        let mut body = String::with_capacity(32 * 1024);
        body.push_str("{\"values\":");
        write_nested(
            &mut body,
            &[display.values.len()],
            &Values::Float64(display.values),
            &mut 0,
        );
        body.push_str(",\"bad_pixels\":");
        write_nested(
            &mut body,
            &[display.bad_pixels.len()],
            &Values::Bool(display.bad_pixels),
            &mut 0,
        );
        let tail = json!({ "color_range": display.color_range, "slider_range": display.slider_range, "unit": label(parent) });
        let _ = write!(body, ",{}", &tail.to_string()[1..]);
        Ok(Reply::json_text(200, body))
    }

    fn waveform(&self, key: &str, parent: &str, child: &str) -> Result<Reply, KvError> {
        let average = match self.child(key, parent, child)? {
            Ok(array) => array,
            Err(reply) => return Ok(reply),
        };
        if classify(parent) != Category::WaveformsAverage {
            return Ok(error(422, "not an average waveform"));
        }
        let per_pixel = per_pixel_waveform(parent);
        let band = layout::read_child(self.store, key, &per_pixel, &per_pixel)?
            .and_then(|(_, image)| waveform_band(&image));
        let finite = |v: Vec<f64>| {
            v.into_iter()
                .map(|x| if x.is_finite() { json!(x) } else { Value::Null })
                .collect::<Vec<_>>()
        };
        let body = json!({
            "parent": parent, "child": child, "title": per_pixel, "unit": label(parent),
            "average": finite(average.to_f64()),
            "band": band.map(|(lo, hi)| json!({ "lo": finite(lo), "hi": finite(hi) })),
        });
        Ok(Reply::json(200, &body))
    }
}

/// Writes values as nested JSON arrays following `shape`; NaN and ±Inf become `null`.
fn write_nested(out: &mut String, shape: &[usize], values: &Values, next: &mut usize) {
    out.push('[');
    let Some((&len, inner)) = shape.split_first() else {
        out.push(']');
        return;
    };
    for i in 0..len {
        if i > 0 {
            out.push(',');
        }
        if !inner.is_empty() {
            write_nested(out, inner, values, next);
            continue;
        }
        let _ = match values {
            Values::Float64(v) if v[*next].is_finite() => write!(out, "{:?}", v[*next]),
            Values::Float64(_) => write!(out, "null"),
            Values::Int64(v) => write!(out, "{}", v[*next]),
            Values::Bool(v) => write!(out, "{}", v[*next]),
        };
        *next += 1;
    }
    out.push(']');
}
