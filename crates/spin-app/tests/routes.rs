//! Routing rules of spin-host.md §2, with the spec's own examples.

use spin_app::routes::{info_body, well_known, RouteEntry, RouteTarget, Router, WellKnown};

fn router(routes: &[(&str, &str)]) -> (Router, Vec<String>) {
    let entries = routes
        .iter()
        .map(|(id, route)| RouteEntry { target: RouteTarget::Component(id.to_string()), route: route.to_string() });
    Router::build(entries).expect("routes build")
}

fn hit(router: &Router, path: &str) -> Option<String> {
    router.route(path).map(|m| m.target.id().to_string())
}

#[test]
fn exact_beats_param_beats_wildcard_segment_by_segment() {
    // Declaration order must not matter: try both orders.
    let routes = [("wild", "/a/..."), ("deeper", "/a/b/..."), ("exact", "/a"), ("param", "/a/:x"), ("lit", "/a/b")];
    let mut reversed = routes;
    reversed.reverse();
    for set in [routes, reversed] {
        let (r, _) = router(&set);
        assert_eq!(hit(&r, "/a").as_deref(), Some("exact"), "/a beats /a/... for /a");
        assert_eq!(hit(&r, "/a/b").as_deref(), Some("lit"), "exact segment beats :param");
        assert_eq!(hit(&r, "/a/c").as_deref(), Some("param"), ":param beats wildcard");
        assert_eq!(hit(&r, "/a/b/c").as_deref(), Some("deeper"), "/a/b/... beats /a/...");
        assert_eq!(hit(&r, "/a/c/d").as_deref(), Some("wild"));
    }
}

#[test]
fn trailing_wildcard_matches_prefix_but_not_longer_segment() {
    let (r, _) = router(&[("foo", "/foo/...")]);
    for path in ["/foo", "/foo/", "/foo/x", "/foo/x/y"] {
        assert_eq!(hit(&r, path).as_deref(), Some("foo"), "{path}");
    }
    assert_eq!(hit(&r, "/foobar"), None);
    assert_eq!(hit(&r, "/"), None);
}

#[test]
fn star_is_the_same_wildcard_and_dots_alone_match_everything() {
    let (r, _) = router(&[("star", "/s/*"), ("all", "/...")]);
    assert_eq!(hit(&r, "/s/x").as_deref(), Some("star"));
    assert_eq!(hit(&r, "/s").as_deref(), Some("star"));
    assert_eq!(hit(&r, "/").as_deref(), Some("all"));
    assert_eq!(hit(&r, "/anything/at/all").as_deref(), Some("all"));
}

#[test]
fn slashes_trimmed_case_sensitive_no_percent_decoding() {
    let (r, _) = router(&[("foo", "/foo"), ("enc", "/a%20b"), ("root", "/")]);
    assert_eq!(hit(&r, "/foo/").as_deref(), Some("foo"));
    assert_eq!(hit(&r, "//foo//").as_deref(), Some("foo"));
    assert_eq!(hit(&r, "/FOO"), None);
    assert_eq!(hit(&r, "/a%20b").as_deref(), Some("enc"));
    assert_eq!(hit(&r, "/a b"), None);
    assert_eq!(hit(&r, "/").as_deref(), Some("root"));
    assert_eq!(hit(&r, "/bar"), None);
}

#[test]
fn route_normalisation() {
    let (r, _) = router(&[("noslash", "api/..."), ("trail", "/x/"), ("root", "/")]);
    let m = r.route("/api/v").unwrap();
    assert_eq!(m.based_route, "/api/...");
    assert_eq!(m.raw_route, "api/...");
    assert_eq!(r.route("/x").unwrap().based_route, "/x");
    assert_eq!(r.route("/").unwrap().based_route, "", "route / normalises to the empty string");
}

#[test]
fn path_info_keeps_spin_trailing_slash_rules() {
    let (r, _) = router(&[("t", "/t/..."), ("api", "/api/..."), ("exact", "/e")]);
    assert_eq!(r.route("/t").unwrap().path_info, "");
    assert_eq!(r.route("/t/").unwrap().path_info, "/");
    assert_eq!(r.route("/t/h/").unwrap().path_info, "/h/");
    assert_eq!(r.route("/api/users/42").unwrap().path_info, "/users/42");
    assert_eq!(r.route("/e").unwrap().path_info, "");
}

#[test]
fn params_capture_one_non_empty_segment() {
    let (r, _) = router(&[("users", "/users/:id/..."), ("one", "/one/:user_name")]);
    let m = r.route("/users/42/p").unwrap();
    assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
    assert_eq!(m.path_info, "/p");
    assert_eq!(m.component_route(), "/users/:id");
    assert_eq!(r.route("/one/bob").unwrap().params[0].1, "bob");
    assert_eq!(hit(&r, "/one/"), None, "a param needs a non-empty segment");
    assert_eq!(hit(&r, "/one/a/b"), None);
}

#[test]
fn duplicates_last_wins_with_spin_warning_lines() {
    let (r, warnings) = router(&[("first", "/dup"), ("other", "/x"), ("second", "/dup"), ("r1", "/"), ("r2", "/")]);
    assert_eq!(hit(&r, "/dup").as_deref(), Some("second"));
    assert_eq!(hit(&r, "/").as_deref(), Some("r2"));
    assert_eq!(
        warnings,
        [
            "The following component routes are duplicates and will never be used:",
            "  first: /dup (duplicate of second)",
            "  r1: / (duplicate of r2)",
        ]
    );
}

#[test]
fn bad_routes_are_errors_not_panics() {
    for bad in ["/a/*/b", "/a/:", "/a/*x"] {
        let entries = [RouteEntry { target: RouteTarget::Component("c".into()), route: bad.into() }];
        let err = Router::build(entries).unwrap_err();
        assert!(err.message().starts_with(&format!("Error parsing route {bad} associated with component c")), "{err}");
    }
}

#[test]
fn reserved_well_known_paths() {
    assert_eq!(well_known("/.well-known/spin/health"), Some(WellKnown::Health));
    assert_eq!(well_known("/.well-known/spin/info"), Some(WellKnown::Info));
    assert_eq!(well_known("/.well-known/spin/other"), Some(WellKnown::NotFound));
    assert_eq!(well_known("/.well-known/spin/"), Some(WellKnown::NotFound));
    assert_eq!(well_known("/.well-known/other"), None);
    assert_eq!(well_known("/health"), None);
    let (_, warnings) = router(&[("c", "/.well-known/spin/mine")]);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("/.well-known/spin/mine"), "{warnings:?}");
}

#[test]
fn synthetic_match_for_service_chaining() {
    let m = spin_app::RouteMatch::synthetic("backend", "/x/y");
    assert_eq!(m.based_route, "/...");
    assert_eq!(m.path_info, "/x/y");
    assert_eq!(m.component_route(), "");
}

#[test]
fn info_json() {
    let dir = std::env::temp_dir();
    let toml = "spin_manifest_version = 2\n[application]\nname = \"demo \\\"q\\\"\"\nversion = \"1.2.3\"\n\
                [[trigger.http]]\nroute = \"/\"\nstatic_response = { body = \"hi\" }\n";
    let app = spin_app::App::from_text(toml, &dir.join("spin.toml")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&info_body(&app)).unwrap();
    assert_eq!(v, serde_json::json!({"name": "demo \"q\"", "version": "1.2.3"}));
}

#[test]
fn odd_routes_and_paths_never_panic() {
    let routes = [
        "", "/", "...", "/...", "/*", "*", "/a/:b:c", "/:a.:b", "/*.*", "/a/.../x", "/a/.../...", "/a.b/*",
        "/:x/:y/...", "//", "/a//b", "/é/:p", "/a/:p.json", "/.", "/a..b", "/:a/*", ":x", "/a/*/",
    ];
    let paths = ["", "/", "//", "/a", "/a/b", "/a/b/c", "/a.b/c", "/é/x", "/x.json", "/a/p.json", "/.", "/..", "/a/é.b"];
    for route in routes {
        let entries = [RouteEntry { target: RouteTarget::Component("c".into()), route: route.into() }];
        if let Ok((router, _)) = Router::build(entries) {
            for path in paths {
                let _ = router.route(path);
            }
        }
    }
}
