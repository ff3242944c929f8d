//! The web UI: the site's static assets (embedded at compile time), served with content types, caching and CSP.
//!
//! Routes: `/` is `index.html`, a path ending in `/` is that folder's `index.html`, and an extensionless path
//! `/dqm/browse` is `dqm/browse.html`. Files in a versioned folder (`jsroot/7.11.2/…`) or requested with a
//! `?v=<hash>` matching their contents (pages link their stylesheets so, see build.rs) are immutable; everything
//! else is revalidated by ETag.

use web_kit::{Reply, Request};

struct Asset {
    /// Relative to `assets/`, `/`-separated.
    path: &'static str,
    body: &'static [u8],
    /// The body gzipped, for text assets where that pays.
    gzip: Option<&'static [u8]>,
    /// FNV-1a 64 of the body, hex.
    hash: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Every page's policy: only this origin, no inline script. JSROOT and d3 set `style` attributes on the SVG
/// they draw, so inline styles are allowed; PNG thumbnails are plain same-origin images.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The asset a request path names, or the folder (without trailing slash) it should be redirected to.
enum Resolved {
    Asset(&'static Asset),
    AddSlash,
    Missing,
}

fn resolve(path: &str) -> Resolved {
    let rel = path.trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') {
        return find(&format!("{rel}index.html")).map_or(Resolved::Missing, Resolved::Asset);
    }
    if let Some(asset) = find(rel) {
        return Resolved::Asset(asset);
    }
    let last = rel.rsplit('/').next().unwrap_or(rel);
    if !last.contains('.') {
        if let Some(asset) = find(&format!("{rel}.html")) {
            return Resolved::Asset(asset);
        }
        if find(&format!("{rel}/index.html")).is_some() {
            return Resolved::AddSlash;
        }
    }
    Resolved::Missing
}

/// The content type by extension; a licence or other extensionless file is plain text.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "text/plain; charset=utf-8",
    }
}

/// A folder named like a version (`7.11.2`) holds files that never change under that name.
fn versioned(path: &str) -> bool {
    path.split('/').any(|seg| seg.split('.').count() >= 2 && seg.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

fn with_site_headers(reply: Reply) -> Reply {
    reply
        .with_header("content-security-policy", CSP)
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "same-origin")
}

/// `Accept-Encoding` lists gzip (and does not refuse it with `q=0`).
fn accepts_gzip(request: &Request) -> bool {
    request.header("accept-encoding").is_some_and(|list| {
        list.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            parts.next().is_some_and(|e| e.eq_ignore_ascii_case("gzip")) && !parts.any(|p| p.replace(' ', "") == "q=0")
        })
    })
}

fn wants_html(request: &Request) -> bool {
    request.header("accept").is_some_and(|a| a.contains("text/html"))
}

fn not_found(request: &Request) -> Reply {
    match find("404.html") {
        Some(page) if wants_html(request) => {
            Reply::new(404, content_type(page.path), page.body).with_header("cache-control", REVALIDATE)
        }
        _ => Reply::error(404, format!("no page at {}", request.path)),
    }
}

/// Serves one request for a static asset.
pub fn handle(request: &Request) -> Reply {
    let head = request.method == "HEAD";
    if request.method != "GET" && !head {
        return with_site_headers(Reply::error(405, "only GET and HEAD are allowed here").with_header("allow", "GET, HEAD"));
    }
    let asset = match resolve(&request.path) {
        Resolved::Asset(asset) => asset,
        Resolved::AddSlash => {
            let query = if request.query.is_empty() { String::new() } else { format!("?{}", request.query) };
            let location = format!("{}/{query}", request.path);
            return with_site_headers(Reply::new(308, "text/plain; charset=utf-8", "").with_header("location", location));
        }
        Resolved::Missing => return with_site_headers(not_found(request)),
    };
    let gzip = asset.gzip.filter(|_| accepts_gzip(request));
    // Each encoding is its own representation, with its own validator.
    let etag = format!("\"{}{}\"", asset.hash, if gzip.is_some() { "-gz" } else { "" });
    let pinned = request.query().get("v").is_some_and(|v| v == asset.hash);
    let cache = if versioned(asset.path) || pinned { IMMUTABLE } else { REVALIDATE };
    let matches = request.header("if-none-match").is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut reply = if matches {
        Reply { status: 304, headers: vec![], body: vec![] }
    } else {
        let body = gzip.unwrap_or(asset.body);
        Reply::new(200, content_type(asset.path), if head { &[][..] } else { body })
    };
    if gzip.is_some() && !matches {
        reply = reply.with_header("content-encoding", "gzip");
    }
    if asset.gzip.is_some() {
        reply = reply.with_header("vary", "accept-encoding");
    }
    with_site_headers(reply.with_header("etag", etag).with_header("cache-control", cache))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(path_and_query);
        request.headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        handle(&request)
    }

    #[test]
    fn every_file_under_assets_is_in_the_table() {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| if p.is_dir() { count(&p) } else { 1 }).sum()
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        assert_eq!(ASSETS.len(), count(&dir));
        assert!(find("static/site.js").is_some() && find("jsroot/7.11.2/LICENSE").is_some());
    }

    #[test]
    fn routes_map_to_pages() {
        let home = get("/", &[]);
        assert_eq!(home.status, 200);
        assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(home.body, find("index.html").unwrap().body);
        assert_eq!(get("/dqm/", &[]).body, find("dqm/index.html").unwrap().body);
        assert_eq!(get("/dqm/browse", &[]).body, find("dqm/browse.html").unwrap().body);
        assert_eq!(get("/dqm/plot?run=1", &[]).body, find("dqm/plot.html").unwrap().body);
        let redirect = get("/dqm?run=1", &[]);
        assert_eq!((redirect.status, redirect.header("location")), (308, Some("/dqm/?run=1")));
        assert_eq!(get("/static?x=1", &[]).status, 404, "a folder without index.html is not a page");
        assert_eq!(get("/static/site.css", &[]).header("content-type"), Some("text/css; charset=utf-8"));
        assert_eq!(get("/static/site.js", &[]).header("content-type"), Some("text/javascript; charset=utf-8"));
        assert_eq!(get("/jsroot/7.11.2/LICENSE", &[]).header("content-type"), Some("text/plain; charset=utf-8"));
    }

    #[test]
    fn unknown_paths_are_404_html_for_browsers_and_json_otherwise() {
        let page = get("/dqm/nope", &[("accept", "text/html,*/*")]);
        assert_eq!((page.status, page.header("content-type")), (404, Some("text/html; charset=utf-8")));
        let api = get("/no/such.js", &[]);
        assert_eq!(api.status, 404);
        let body: serde_json::Value = serde_json::from_slice(&api.body).unwrap();
        assert_eq!(body["message"], "no page at /no/such.js");
        assert_eq!(get("/../Cargo.toml", &[]).status, 404);
    }

    #[test]
    fn only_get_and_head() {
        let mut post = Request::get("/");
        post.method = "POST".into();
        assert_eq!(handle(&post).status, 405);
        let mut head = Request::get("/static/site.css");
        head.method = "HEAD".into();
        let reply = handle(&head);
        assert_eq!((reply.status, reply.body.len()), (200, 0));
        assert!(reply.header("etag").is_some());
    }

    #[test]
    fn caching_and_policy_headers() {
        let page = get("/", &[]);
        assert_eq!(page.header("cache-control"), Some(REVALIDATE));
        assert_eq!(page.header("content-security-policy"), Some(CSP));
        assert!(CSP.starts_with("default-src 'self'") && !CSP.contains("script-src 'self' 'unsafe"));
        let etag = page.header("etag").unwrap().to_owned();
        let again = get("/", &[("if-none-match", &etag)]);
        assert_eq!((again.status, again.body.len()), (304, 0));
        assert_eq!(get("/", &[("if-none-match", "\"other\"")]).status, 200);
        assert_eq!(get("/jsroot/7.11.2/hist2d.min.js", &[]).header("cache-control"), Some(IMMUTABLE));
        // Pages link their stylesheets by content hash (build.rs), and those URLs are immutable.
        let pinned = format!("/static/site.css?v={}", find("static/site.css").unwrap().hash);
        assert!(std::str::from_utf8(&page.body).unwrap().contains(&format!("href=\"{pinned}\"")));
        assert_eq!(get(&pinned, &[]).header("cache-control"), Some(IMMUTABLE));
        assert_eq!(get("/static/site.css?v=stale", &[]).header("cache-control"), Some(REVALIDATE));
    }

    #[test]
    fn text_assets_are_gzipped_for_clients_that_accept_it() {
        let plain = get("/jsroot/7.11.2/hist2d.min.js", &[]);
        let packed = get("/jsroot/7.11.2/hist2d.min.js", &[("accept-encoding", "gzip, deflate, br")]);
        assert_eq!((plain.header("content-encoding"), packed.header("content-encoding")), (None, Some("gzip")));
        assert_eq!(packed.header("vary"), Some("accept-encoding"));
        assert!(packed.body.len() * 2 < plain.body.len(), "{} vs {}", packed.body.len(), plain.body.len());
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&packed.body[..]), &mut unpacked).unwrap();
        assert_eq!(unpacked, plain.body);
        assert_ne!(plain.header("etag"), packed.header("etag"));
        let etag = packed.header("etag").unwrap().to_owned();
        let again = get("/jsroot/7.11.2/hist2d.min.js", &[("accept-encoding", "gzip"), ("if-none-match", &etag)]);
        assert_eq!((again.status, again.header("content-encoding")), (304, None));
        assert_eq!(get("/", &[("accept-encoding", "gzip;q=0, br")]).header("content-encoding"), None);
        assert_eq!(get("/static/favicon.svg", &[("accept-encoding", "gzip")]).header("content-encoding"), None, "too small to pay");
    }

    #[test]
    fn version_folders() {
        assert!(versioned("jsroot/7.11.2/x.js"));
        assert!(!versioned("static/site.js") && !versioned("dqm/browse.html") && !versioned("a/.b/c"));
    }

    /// No page loads a script or style from another origin, and none has an inline script (the CSP would block it).
    #[test]
    fn pages_reference_only_this_site() {
        for asset in ASSETS.iter().filter(|a| !a.path.starts_with("jsroot/")) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for bad in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url(http", "<script>", "onclick=", "onload="] {
                assert!(!text.contains(bad), "{} contains {bad}", asset.path);
            }
        }
    }
}
