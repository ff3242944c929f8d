//! The PNG routes (dqmgui-api.md §6.9, §6.10, §7): `/api/v1/render/{run}/{path}`, `/api/v1/render_overlay` and
//! their legacy names `/plotfairy/archive/…`, `/plotfairy/overlay` (legacy parameter names). Feature `render`.

use std::sync::OnceLock;

use render::{Dialect, Options, Plot, RenderError, Rules};
use web_kit::{Reply, Request};

use crate::objects::{self, Loaded};
use crate::plot;
use crate::routes::{
    check_not_older_than, error, get_only, not_found, overlay_objects, sample_and_path, split_path, store_error,
    Service,
};

/// A rendered ME only changes when its sample is registered again, which is rare: let browsers keep tiles briefly.
const CACHE_RENDERED: &str = "public, max-age=300";
/// The "ME not found" tile must not outlive the registration that makes the ME appear.
const CACHE_NOT_FOUND: &str = "no-cache";

/// Whether `path` is one of the routes [`render_routes`] answers.
pub fn is_render_path(path: &str) -> bool {
    matches!(path, "/api/v1/render_overlay" | "/plotfairy/overlay")
        || path.starts_with("/api/v1/render/")
        || path.starts_with("/plotfairy/archive/")
}

/// `GET` of every render route.
pub fn render_routes(req: &Request, svc: &Service) -> Reply {
    get_only(req, || match req.path.as_str() {
        "/api/v1/render_overlay" => overlay(req, svc, Dialect::V1),
        "/plotfairy/overlay" => overlay(req, svc, Dialect::Legacy),
        path => match (path.strip_prefix("/api/v1/render/"), path.strip_prefix("/plotfairy/archive/")) {
            (Some(tail), _) => single(req, svc, tail, Dialect::V1),
            (_, Some(tail)) => single(req, svc, tail, Dialect::Legacy),
            _ => Ok(not_found()),
        },
    })
}

/// The rules are parsed once per instance.
fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(Rules::builtin)
}

fn options(req: &Request, dialect: Dialect) -> Result<Options, Reply> {
    let query = req.query();
    check_not_older_than(&query)?;
    let pairs = query.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()));
    Options::from_query_dialect(pairs, dialect).map_err(|e| error(400, e.0))
}

/// The renderer's model of a loaded ME, named after the last path component; `None` if it is not drawable.
fn to_plot(path: &str, loaded: &Loaded) -> Option<Plot> {
    let name = path.rsplit('/').next().unwrap_or(path);
    plot::from_decoded(name, &loaded.decoded, loaded.efficiency)
}

fn single(req: &Request, svc: &Service, tail: &str, dialect: Dialect) -> Result<Reply, Reply> {
    let opts = options(req, dialect)?;
    let Some((id, path)) = sample_and_path(&split_path(tail))? else { return Ok(missing(&opts)) };
    let Some(loaded) = objects::load(svc.store, &svc.data, &id, &path).map_err(store_error)? else {
        return Ok(missing(&opts));
    };
    let Some(plot) = to_plot(&path, &loaded) else { return Ok(rendering_failed()) };
    Ok(png_reply(render::render(&plot, &opts, &rules().style_for(&path))))
}

/// Unresolved and undrawable `obj`s are skipped; the first drawable one is the main object and picks the style.
fn overlay(req: &Request, svc: &Service, dialect: Dialect) -> Result<Reply, Reply> {
    let opts = options(req, dialect)?;
    let found = overlay_objects(&req.query(), svc)?;
    let plots: Vec<(String, Plot)> =
        found.iter().filter_map(|(path, loaded)| Some((path.clone(), to_plot(path, loaded)?))).collect();
    let Some((main_path, _)) = plots.first() else { return Ok(missing(&opts)) };
    let style = rules().style_for(main_path);
    let plots: Vec<Plot> = plots.into_iter().map(|(_, plot)| plot).collect();
    Ok(png_reply(render::render_overlay(&plots, &opts, &style)))
}

/// The "ME not found" tile, 200 as the spec's decision keeps it.
fn missing(opts: &Options) -> Reply {
    match render::render_not_found(opts.width, opts.height) {
        Ok(png) => Reply::png(png).with_header("cache-control", CACHE_NOT_FOUND),
        Err(_) => rendering_failed(),
    }
}

fn rendering_failed() -> Reply {
    error(500, "Rendering failed")
}

fn png_reply(result: Result<Vec<u8>, RenderError>) -> Reply {
    match result {
        Ok(png) => Reply::png(png).with_header("cache-control", CACHE_RENDERED),
        Err(RenderError::Options(e)) => error(400, e.0),
        // §6.10 decision: keep the original's plain-text body.
        Err(RenderError::MixedKinds) => Reply::new(400, "text/plain; charset=utf-8", "400: Bad Request"),
        Err(_) => rendering_failed(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use kv_api::{KvStore, MemoryStore};
    use serde_json::json;

    use super::*;
    use crate::register::DataRoot;
    use crate::schema::SampleId;

    const ZB: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIO";
    const TRACKS: &str = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
    const OCCUPANCY: &str = "EcalBarrel/EBOccupancyTask/EBOT%20digi%20occupancy";
    const SAMPLES: [(&str, u32, u32, &str, u8); 5] = [
        (
            "/ZeroBias/Run2024A-PromptReco-v1/DQMIO",
            123456,
            0,
            "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root",
            1,
        ),
        (
            "/ZeroBias/Run2024A-PromptReco-v1/DQMIO",
            123457,
            0,
            "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root",
            1,
        ),
        ("/Edge/Cases-v1/DQMIO", 999999, 0, "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root", 1),
        ("/Global/Online/ALL", 123456, 0, "run123456_ls0003_streamDQMHistograms.pb", 3),
        ("/ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE", 123456, 1, "DQMIO_R000123456_ZeroBias.root", 2),
    ];

    fn service(store: &dyn KvStore) -> Service<'_> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dqm");
        Service {
            store,
            data: DataRoot { mount: "/data".into(), dir },
            layouts_dir: Default::default(),
            settings: crate::Settings::fixed("t", 0),
        }
    }

    fn setup() -> MemoryStore {
        let store = MemoryStore::new();
        let items: Vec<_> = SAMPLES
            .iter()
            .map(|(dataset, run, lumi, file, format)| json!({"dataset": dataset, "run": run, "lumi": lumi, "file": format!("/data/{file}"), "fileformat": format}))
            .collect();
        let body = serde_json::Value::from(items).to_string();
        let mut req = Request {
            method: "POST".into(),
            path: "/api/v1/register".into(),
            body: body.into_bytes(),
            ..Default::default()
        };
        req.headers.push(("authorization".into(), "Bearer t".into()));
        assert_eq!(crate::handle(&req, &service(&store)).status, 201);
        store
    }

    fn get(store: &dyn KvStore, path: &str) -> Reply {
        crate::handle(&Request::get(path), &service(store))
    }

    /// IHDR width and height of a PNG body.
    fn png_size(body: &[u8]) -> (u32, u32) {
        assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        assert_eq!(&body[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&body[16..20]), be(&body[20..24]))
    }

    fn png(reply: &Reply, status: u16) -> (u32, u32) {
        assert_eq!(reply.status, status, "{}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.header("content-type"), Some("image/png"));
        assert!(reply.header("cache-control").is_some());
        png_size(&reply.body)
    }

    fn message(reply: &Reply) -> (u16, String) {
        let value: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON body");
        (reply.status, value["message"].as_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn every_fixture_me_renders_at_both_sizes() {
        let store = setup();
        let mut rendered = 0;
        for (dataset, run, lumi, _, _) in SAMPLES {
            let id = SampleId { dataset: dataset.into(), run, lumi };
            let (_, list) = objects::sample(&store, &id).unwrap().expect("registered sample");
            assert!(!list.is_empty());
            for i in 0..list.len() {
                let encoded =
                    list.name(i).replace('%', "%25").replace(' ', "%20").replace('?', "%3F").replace('#', "%23");
                for (w, h) in [(266, 200), (800, 600)] {
                    let url = format!("/api/v1/render/{run}:{lumi}{dataset}/{encoded}?w={w}&h={h}");
                    assert_eq!(png(&get(&store, &url), 200), (w, h), "{url}");
                }
                rendered += 1;
            }
        }
        assert!(rendered >= 60, "{rendered} MEs");
    }

    #[test]
    fn defaults_overlay_and_legacy_names() {
        let store = setup();
        assert_eq!(png(&get(&store, &format!("/api/v1/render/123456/{ZB}/{TRACKS}")), 200), (266, 200));
        let colz = get(&store, &format!("/api/v1/render/123456/{ZB}/{OCCUPANCY}?drawopts=colz&w=400&h=300"));
        assert_eq!(png(&colz, 200), (400, 300));
        let obj = |run: u32| format!("obj=archive/{run}/{ZB}/{TRACKS}");
        let url = format!(
            "/api/v1/render_overlay?{}&{}&{}&reflabel=a&reflabel=b&w=800&h=600",
            obj(123456),
            obj(123457),
            obj(123456)
        );
        assert_eq!(png(&get(&store, &url), 200), (800, 600));
        for mode in ["ratiooverlay", "stacked"] {
            assert_eq!(png(&get(&store, &format!("{url}&ref={mode}")), 200), (800, 600), "{mode}");
        }
        let legacy =
            get(&store, &format!("/plotfairy/archive/123456/{ZB}/{TRACKS}?showstats=0&showerrbars=1&w=300&h=200"));
        assert_eq!(png(&legacy, 200), (300, 200));
        assert_eq!(png(&get(&store, &format!("/plotfairy/overlay?{}&{}", obj(123456), obj(123457))), 200), (266, 200));
        // A limit of 0 is honoured, so it changes the picture.
        let plain = get(&store, &format!("/api/v1/render/123456/{ZB}/{TRACKS}"));
        let ranged = get(&store, &format!("/api/v1/render/123456/{ZB}/{TRACKS}?xmin=0&xmax=5"));
        assert_ne!(plain.body, ranged.body);
    }

    #[test]
    fn missing_mes_give_the_not_found_tile() {
        let store = setup();
        let not_found = render::render_not_found(320, 240).unwrap();
        for url in [
            format!("/api/v1/render/123456/{ZB}/No/Such/ME?w=320&h=240"),
            "/api/v1/render/1/A/B/C/x?w=320&h=240".to_owned(),
            "/api/v1/render/123456/A?w=320&h=240".to_owned(),
            "/api/v1/render_overlay?obj=archive/1/A/B/C/x&w=320&h=240".to_owned(),
            "/api/v1/render_overlay?w=320&h=240".to_owned(),
        ] {
            let reply = get(&store, &url);
            assert_eq!(png(&reply, 200), (320, 240), "{url}");
            assert_eq!(reply.body, not_found, "{url}");
            assert_eq!(reply.header("cache-control"), Some(CACHE_NOT_FOUND));
        }
    }

    #[test]
    fn bad_parameters_are_400_json() {
        let store = setup();
        let me = format!("/api/v1/render/123456/{ZB}/{TRACKS}");
        let size = "w and h must be integers between 1 and 4096";
        for query in ["w=0", "w=-5", "h=4097", "w=abc", "h=1.5", "w="] {
            assert_eq!(message(&get(&store, &format!("{me}?{query}"))), (400, size.into()), "{query}");
        }
        assert_eq!(message(&get(&store, &format!("{me}?xmin=abc"))), (400, "xmin must be a number".into()));
        assert_eq!(message(&get(&store, &format!("/plotfairy/archive/123456/{ZB}/{TRACKS}?showstats=yes"))).0, 400);
        assert_eq!(message(&get(&store, &format!("{me}?notOlderThan=x"))).0, 400);
        let overlay = format!("/api/v1/render_overlay?obj=archive/123456/{ZB}/{TRACKS}");
        assert_eq!(message(&get(&store, &format!("{overlay}&ref=sideways"))).0, 400);
        assert_eq!(message(&get(&store, "/api/v1/render_overlay?obj=a/1/B")), (400, "Malformed obj parameter".into()));
        let eleven = vec![format!("obj=archive/123456/{ZB}/{TRACKS}"); 11].join("&");
        assert_eq!(
            message(&get(&store, &format!("/api/v1/render_overlay?{eleven}"))),
            (400, "At most 10 objects can be overlaid".into())
        );
        assert_eq!(message(&get(&store, &format!("/api/v1/render/x/{ZB}/{TRACKS}"))).0, 400);
        let post = Request { method: "POST".into(), path: me.clone(), ..Default::default() };
        assert_eq!(crate::handle(&post, &service(&store)).status, 405);
    }

    #[test]
    fn scalars_render_but_do_not_mix_with_histograms() {
        let store = setup();
        let (_, list) =
            objects::sample(&store, &SampleId { dataset: format!("/{ZB}"), run: 123456, lumi: 0 }).unwrap().unwrap();
        let scalar = (0..list.len())
            .map(|i| list.name(i))
            .find(|name| {
                matches!(
                    objects::load(
                        &store,
                        &service(&store).data,
                        &SampleId { dataset: format!("/{ZB}"), run: 123456, lumi: 0 },
                        name
                    ),
                    Ok(Some(Loaded { decoded: dqm_formats::Decoded::Scalar(_), .. }))
                )
            })
            .expect("a scalar ME")
            .replace(' ', "%20");
        assert_eq!(png(&get(&store, &format!("/api/v1/render/123456/{ZB}/{scalar}")), 200), (266, 200));
        let mixed = get(
            &store,
            &format!("/api/v1/render_overlay?obj=archive/123456/{ZB}/{TRACKS}&obj=archive/123456/{ZB}/{scalar}"),
        );
        assert_eq!((mixed.status, mixed.body.as_slice()), (400, b"400: Bad Request".as_slice()));
        assert_eq!(mixed.header("content-type"), Some("text/plain; charset=utf-8"));
    }
}
