//! `/api/v1/render` and `/api/v1/render_overlay` through the gateway and the built `dqmgui-render` component:
//! PNG sizes from the IHDR header, the not-found tile, the 400s, and the legacy `/plotfairy` names. The PNGs are
//! also written to `$CARGO_TARGET_DIR/dqmgui-render-e2e/` for a look. The ignored benchmark drives `wrk`:
//! `cargo build --release -p gateway && cargo test --release -p dqm-spin-tests --test dqmgui_render -- --ignored --nocapture`

use std::process::Command;

use dqm_spin_tests::dqmgui::{dqmgui_app, fixture_registrations, ADMIN_TOKEN};
use dqm_spin_tests::{target_dir, Gateway, HttpResponse};

const ZB: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIO";
const TH1F: &str = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
/// 72×34 bins.
const TH2F: &str = "EcalBarrel/EBOccupancyTask/EBOT%20digi%20occupancy";

fn start() -> (dqm_spin_tests::TestApp, Gateway) {
    let app = dqmgui_app();
    let gateway = Gateway::start(&app, &[], &[("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let created = gateway.send("POST", "/api/v1/register", &headers, fixture_registrations().as_bytes());
    assert_eq!(created.status, 201, "{}\n{}", created.text(), gateway.log());
    (app, gateway)
}

fn render_url(run: u32, me: &str, query: &str) -> String {
    format!("/api/v1/render/{run}/{ZB}/{me}?{query}")
}

fn overlay_url(query: &str) -> String {
    let obj = |run: u32| format!("obj=archive/{run}/{ZB}/{TH1F}");
    format!("/api/v1/render_overlay?{}&{}&{}&{query}", obj(123456), obj(123457), obj(123456))
}

/// IHDR width and height.
fn png_size(body: &[u8]) -> (u32, u32) {
    assert!(body.len() > 24 && &body[..8] == b"\x89PNG\r\n\x1a\n" && &body[12..16] == b"IHDR", "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&body[16..20]), be(&body[20..24]))
}

fn png(gateway: &Gateway, path: &str, save_as: &str) -> ((u32, u32), HttpResponse) {
    let response = gateway.get(path);
    assert_eq!(response.status, 200, "{path}: {}\n{}", response.text(), gateway.log());
    assert_eq!(response.header("content-type"), Some("image/png"), "{path}");
    assert!(response.header("cache-control").is_some(), "{path}");
    let dir = target_dir().join("dqmgui-render-e2e");
    std::fs::create_dir_all(&dir).expect("png dir");
    std::fs::write(dir.join(save_as), &response.body).expect("save png");
    (png_size(&response.body), response)
}

fn message(response: &HttpResponse) -> (u16, String) {
    (response.status, response.json()["message"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn renders_pngs_through_the_gateway() {
    let (_app, gateway) = start();
    assert_eq!(png(&gateway, &render_url(123456, TH1F, ""), "th1f.png").0, (266, 200));
    let (size, th1f_big) = png(&gateway, &render_url(123456, TH1F, "w=600&h=400"), "th1f-600x400.png");
    assert_eq!(size, (600, 400));
    assert_eq!(png(&gateway, &render_url(123456, TH2F, "drawopts=colz&w=800&h=600"), "th2f-colz.png").0, (800, 600));
    let overlay = overlay_url("reflabel=run%20123457&reflabel=again&w=800&h=600");
    assert_eq!(png(&gateway, &overlay, "overlay.png").0, (800, 600));
    assert_eq!(png(&gateway, &format!("{overlay}&ref=ratiooverlay"), "ratio.png").0, (800, 600));
    let legacy = format!("/plotfairy/archive/123456/{ZB}/{TH1F}?showstats=0&w=600&h=400");
    let (size, legacy) = png(&gateway, &legacy, "plotfairy.png");
    assert_eq!(size, (600, 400));
    assert_ne!(legacy.body, th1f_big.body, "showstats=0 hides the stats box");

    // Missing MEs are the 200 tile (§6.9 decision), the same from both routes.
    let (size, missing) = png(&gateway, &render_url(123456, "No/Such/ME", "w=300&h=100"), "missing.png");
    assert_eq!(size, (300, 100));
    let (_, missing_overlay) = png(&gateway, "/api/v1/render_overlay?obj=archive/1/A/B/C/x&w=300&h=100", "missing2.png");
    assert_eq!(missing.body, missing_overlay.body);

    let size = "w and h must be integers between 1 and 4096";
    for query in ["w=0", "h=-1", "w=5000", "w=abc"] {
        let response = gateway.get(&render_url(123456, TH1F, query));
        assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"), "{query}");
        assert_eq!(message(&response), (400, size.into()), "{query}");
    }
    assert_eq!(message(&gateway.get(&render_url(123456, TH1F, "ymax=lots"))), (400, "ymax must be a number".into()));
    assert_eq!(message(&gateway.get(&overlay_url("ref=sideways"))).0, 400);
}

/// `wrk --latency` for `seconds` at `connections`; returns (p50 in ms, requests per second).
fn wrk(gateway: &Gateway, path: &str, connections: u32, seconds: u32) -> (f64, f64) {
    let url = format!("http://{}{path}", gateway.addr);
    let threads = connections.min(2).to_string();
    let out = Command::new("wrk")
        .args(["-t", &threads, "-c", &connections.to_string(), "-d", &format!("{seconds}s"), "--latency", &url])
        .output()
        .expect("wrk is installed (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "{text}");
    let field = |prefix: &str| {
        let line = text.lines().find(|l| l.trim_start().starts_with(prefix)).unwrap_or_else(|| panic!("{text}"));
        line.split_whitespace().nth(1).unwrap_or_default().to_owned()
    };
    let p50 = field("50%");
    let ms = match p50 {
        v if v.ends_with("us") => v.trim_end_matches("us").parse::<f64>().unwrap() / 1000.0,
        v if v.ends_with("ms") => v.trim_end_matches("ms").parse::<f64>().unwrap(),
        v => v.trim_end_matches('s').parse::<f64>().unwrap() * 1000.0,
    };
    (ms, field("Requests/sec:").parse().unwrap())
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture on a release build; needs wrk"]
fn bench_render_with_wrk() {
    let (_app, gateway) = start();
    let cases = [
        ("TH1F 266x200", render_url(123456, TH1F, "")),
        ("TH2F 72x34 colz 266x200", render_url(123456, TH2F, "drawopts=colz")),
        ("3-object overlay 800x600", overlay_url("w=800&h=600")),
    ];
    for (name, path) in &cases {
        png(&gateway, path, "bench.png");
        let (p50_one, rate_one) = wrk(&gateway, path, 1, 5);
        let (p50_16, rate_16) = wrk(&gateway, path, 16, 5);
        println!("{name}: 1 conn p50 {p50_one:.2} ms ({rate_one:.0}/s); 16 conns p50 {p50_16:.2} ms, {rate_16:.0} PNG/s");
    }
}

/// Percent-encodes an ME path for a URL, keeping `/` (names hold spaces, `+`, `#`, …).
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Every ME of every fixture (the DQMIO file at run level) renders at both sizes through the gateway, and
/// none of them is the not-found tile (which is the one reply marked `no-cache`).
#[test]
fn every_fixture_me_renders_at_both_sizes() {
    let (_app, gateway) = start();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dqm/expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut rendered = 0;
    for (file, fixture) in expected["fixtures"].as_object().unwrap() {
        let (dataset, mes) = match fixture.get("samples") {
            Some(samples) => ("/ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE".to_owned(), &samples["0"]),
            None => (fixture["dataset"].as_str().unwrap().to_owned(), &fixture["mes"]),
        };
        let run = fixture["run"].as_u64().unwrap();
        for me in mes.as_array().unwrap_or_else(|| panic!("{file}: no MEs")) {
            let path = me["path"].as_str().unwrap();
            for (w, h) in [(266, 200), (800, 600)] {
                let url = format!("/api/v1/render/{run}{dataset}/{}?w={w}&h={h}", encode_path(path));
                let response = gateway.get(&url);
                assert_eq!(response.status, 200, "{url}: {}", response.text());
                assert_ne!(response.header("cache-control"), Some("no-cache"), "{url}: rendered the not-found tile");
                assert_eq!(png_size(&response.body), (w, h), "{url}");
                rendered += 1;
            }
        }
    }
    assert!(rendered >= 2 * (21 * 3 + 11), "only {rendered} renders");
}
