//! Routing precedence, the `spin-*` headers, reserved paths and static responses, through the real gateway.

use dqm_spin_tests::{Gateway, TestApp};

const REGION: (&str, &str) = ("SPIN_VARIABLE_REGION", "cern");

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    echo["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn wildcard_route_gets_spin_headers_and_absolute_uri() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let response = gateway.send("GET", "/echo/users/42?x=1", &[("Host", "localhost:3000")], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(echo["uri"], "http://localhost:3000/echo/users/42?x=1");
    assert_eq!(header(&echo, "spin-full-url"), ["http://localhost:3000/echo/users/42?x=1"]);
    assert_eq!(header(&echo, "spin-path-info"), ["/users/42"]);
    assert_eq!(header(&echo, "spin-matched-route"), ["/echo/..."]);
    assert_eq!(header(&echo, "spin-raw-component-route"), ["/echo/..."]);
    assert_eq!(header(&echo, "spin-component-route"), ["/echo"]);
    assert_eq!(header(&echo, "spin-base-path"), ["/"]);
    let client = header(&echo, "spin-client-addr");
    assert!(client.len() == 1 && client[0].starts_with("127.0.0.1:"), "{client:?}");
    assert!(gateway.log().contains("GET /echo/users/42 route=/echo/... component=echo status=200 us="), "{}", gateway.log());
}

#[test]
fn exact_beats_wildcard_and_params_are_captured() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let exact = gateway.get("/echo/exact").json();
    assert_eq!(header(&exact, "spin-matched-route"), ["/echo/exact"]);
    assert_eq!(header(&exact, "spin-path-info"), [""]);
    // A trailing slash still matches the exact route; a longer path falls back to the wildcard.
    assert_eq!(header(&gateway.get("/echo/exact/").json(), "spin-matched-route"), ["/echo/exact"]);
    assert_eq!(header(&gateway.get("/echo/exact/more").json(), "spin-path-info"), ["/exact/more"]);
    let param = gateway.get("/users/7/profile").json();
    assert_eq!(header(&param, "spin-path-match-id"), ["7"]);
    assert_eq!(header(&param, "spin-path-info"), ["/profile"]);
    assert_eq!(header(&param, "spin-component-route"), ["/users/:id"]);
}

#[test]
fn client_spin_headers_come_first() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let echo = gateway.send("GET", "/echo/x", &[("spin-path-info", "forged")], b"").json();
    assert_eq!(header(&echo, "spin-path-info"), ["forged", "/x"]);
}

#[test]
fn unmatched_reserved_and_static_paths() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let missing = gateway.get("/nowhere");
    assert_eq!((missing.status, missing.body.len()), (404, 0));
    // `/echo/...` must not match `/echoes`.
    assert_eq!(gateway.get("/echoes").status, 404);
    let health = gateway.get("/.well-known/spin/health");
    assert_eq!((health.status, health.text().as_str()), (200, "OK"));
    let info = gateway.get("/.well-known/spin/info").json();
    assert_eq!(info, serde_json::json!({ "name": "gateway-test", "version": "0.1.0" }));
    assert_eq!(gateway.get("/.well-known/spin/other").status, 404);
    let teapot = gateway.get("/static");
    assert_eq!((teapot.status, teapot.text().as_str()), (418, "short and stout"));
    assert_eq!(teapot.header("x-static"), Some("yes"));
}

#[test]
fn sigterm_stops_the_gateway_cleanly() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(gateway.get("/echo/x").status, 200);
    assert!(gateway.stop().success());
}
