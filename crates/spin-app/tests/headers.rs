//! The `spin-*` header values of spin-host.md §3, with the spec's examples.

use spin_app::headers::{spin_headers, RequestInfo};
use spin_app::routes::{RouteEntry, RouteTarget, Router};

fn headers_for(route: &str, path_and_query: &str, host: Option<&str>) -> Vec<(String, String)> {
    let entries = [RouteEntry { target: RouteTarget::Component("c".into()), route: route.into() }];
    let (router, _) = Router::build(entries).unwrap();
    let path = path_and_query.split('?').next().unwrap();
    let m = router.route(path).expect("route matches");
    let request = RequestInfo { scheme: "http", host, path_and_query, client_addr: "127.0.0.1:54321".parse().unwrap() };
    spin_headers(&m, &request)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn spec_example_in_spin_order() {
    let got = headers_for("/api/...", "/api/users/42?x=1", Some("localhost:3000"));
    assert_eq!(
        got,
        pairs(&[
            ("spin-path-info", "/users/42"),
            ("spin-full-url", "http://localhost:3000/api/users/42?x=1"),
            ("spin-matched-route", "/api/..."),
            ("spin-base-path", "/"),
            ("spin-raw-component-route", "/api/..."),
            ("spin-component-route", "/api"),
            ("spin-client-addr", "127.0.0.1:54321"),
        ])
    );
}

#[test]
fn no_host_header_means_localhost() {
    let got = headers_for("/api/...", "/api/x", None);
    assert_eq!(got[1].1, "http://localhost/api/x");
}

#[test]
fn named_params_become_path_match_headers() {
    let got = headers_for("/users/:id/...", "/users/42/p", Some("h"));
    assert_eq!(got[0], ("spin-path-info".into(), "/p".into()));
    assert_eq!(got[5], ("spin-component-route".into(), "/users/:id".into()));
    assert_eq!(got[7], ("spin-path-match-id".into(), "42".into()));
    let got = headers_for("/u/:user_id", "/u/7", Some("h"));
    assert_eq!(got[7], ("spin-path-match-user-id".into(), "7".into()), "`_` becomes `-`");
    assert_eq!(got[0].1, "", "exact routes have empty path-info");
}

#[test]
fn root_route_and_raw_route_as_written() {
    let got = headers_for("/", "/", Some("h"));
    assert_eq!(got[2], ("spin-matched-route".into(), String::new()), "route / gives an empty matched-route");
    assert_eq!(got[4], ("spin-raw-component-route".into(), "/".into()));
    let got = headers_for("static/", "/static", Some("h"));
    assert_eq!(got[2].1, "/static");
    assert_eq!(got[4].1, "static/");
}

#[test]
fn star_wildcard_keeps_star_in_component_route() {
    // Spin strips only `/...` for spin-component-route.
    let got = headers_for("/s/*", "/s/a", Some("h"));
    assert_eq!(got[0].1, "/a");
    assert_eq!(got[5].1, "/s/*");
}
