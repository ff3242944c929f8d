//! Variables, the read-only files mount, outbound denial, startup errors and the compile cache.

use dqm_spin_tests::{Gateway, TestApp};

const REGION: (&str, &str) = ("SPIN_VARIABLE_REGION", "cern");

#[test]
fn variables_come_from_env_then_defaults() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(gateway.get("/var/message").json()["value"], "hello, cern!");
    assert_eq!(gateway.get("/var/plain").json()["value"], "literal");
    let unknown = gateway.get("/var/nope");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("Undefined"), "{}", unknown.text());
    drop(gateway);
    let overridden = Gateway::start(&app, &[], &[REGION, ("SPIN_VARIABLE_GREETING", "salut")]);
    assert_eq!(overridden.get("/var/message").json()["value"], "salut, cern!");
}

#[test]
fn missing_required_variable_fails_startup() {
    let app = TestApp::new("gateway");
    let log = Gateway::try_start(&app, &[], &[]).err().expect("must not start without `region`");
    assert!(log.contains(r#"no provider resolved required variable(s): [Key("region")]"#), "{log}");
}

#[test]
fn files_mount_is_readable_but_not_writable() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let files = gateway.get("/files").json();
    assert_eq!(files["read"], "hello from the files mount\n");
    assert!(files["write_error"].is_string(), "writing must fail: {files}");
    assert!(!app.state_dir().join("assets/files/static/new.txt").exists());
}

/// A one-shot HTTP server that answers 204 and reports the request line it got.
fn upstream() -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(socket.try_clone().unwrap()).read_line(&mut line).unwrap();
        socket.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").unwrap();
        line
    });
    (port, handle)
}

#[test]
fn outbound_requests_only_reach_declared_hosts() {
    let (port, upstream) = upstream();
    let port = port.to_string();
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION, ("SPIN_VARIABLE_UPSTREAM_PORT", &port)]);
    // Allowed through the `{{ upstream_port }}` template.
    let allowed = gateway.get(&format!("/outbound?url=http://127.0.0.1:{port}/ping"));
    assert_eq!(allowed.json()["status"], 204, "{}", allowed.text());
    assert_eq!(upstream.join().unwrap().trim_end(), "GET /ping HTTP/1.1");

    let denied = gateway.get("/outbound?url=http://example.invalid/");
    assert_eq!(denied.status, 502);
    assert!(denied.text().contains("HttpRequestDenied"), "{}", denied.text());
    assert!(gateway.log().contains("disallowed destination 'http://example.invalid'"), "{}", gateway.log());
    let other_port = gateway.get("/outbound?url=http://127.0.0.1:1/");
    assert!(other_port.text().contains("HttpRequestDenied"), "{}", other_port.text());
}

#[test]
fn spin_internal_hosts_run_the_component_in_process() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let chained = gateway.get("/outbound?url=http://echo-exact.spin.internal/anything");
    assert_eq!(chained.json()["status"], 200, "{}", chained.text());
    let inner: serde_json::Value = serde_json::from_str(chained.json()["body"].as_str().unwrap()).unwrap();
    let header = |name: &str| -> Vec<String> {
        let pairs = inner["headers"].as_array().unwrap().iter();
        pairs.filter(|p| p[0] == name).map(|p| p[1].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(header("spin-path-info"), ["/anything"]);
    assert_eq!(header("spin-matched-route"), ["/..."]);
    assert_eq!(header("spin-client-addr"), ["0.0.0.0:0"]);
    assert_eq!(inner["uri"], "http://echo-exact.spin.internal/anything");
    let undeclared = gateway.get("/outbound?url=http://vars.spin.internal/var/plain");
    assert!(undeclared.text().contains("HttpRequestDenied"), "{}", undeclared.text());
}

#[test]
fn self_alt_requests_go_through_the_gateway() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let response = gateway.get("/outbound?url=http://self.alt/echo/exact");
    assert_eq!(response.json()["status"], 200, "{}", response.text());
    assert!(gateway.log().contains("GET /echo/exact route=/echo/exact component=echo-exact status=200"), "{}", gateway.log());
}

#[test]
fn restart_reuses_the_compile_cache() {
    let app = TestApp::new("gateway");
    let first = Gateway::start(&app, &[], &[REGION]);
    assert!(first.log().contains("Component echo: compiled"), "{}", first.log());
    drop(first);
    let cache = app.state_dir().join("cache");
    let before: Vec<_> = std::fs::read_dir(&cache).expect("cache dir").map(|e| e.unwrap().metadata().unwrap().modified().unwrap()).collect();
    assert_eq!(before.len(), 2, "one artifact per distinct wasm");
    let second = Gateway::start(&app, &[], &[REGION]);
    assert!(second.log().contains("Component echo: loaded cached compilation"), "{}", second.log());
    assert!(!second.log().contains(": compiled"), "{}", second.log());
    let after: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().metadata().unwrap().modified().unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(second.get("/echo/x").status, 200);
}

#[test]
fn build_flag_runs_component_build_commands_first() {
    let app = TestApp::new("gateway");
    let mut manifest = std::fs::read_to_string(app.manifest()).unwrap();
    manifest.push_str("\n[component.echo.build]\ncommand = \"echo built > build-marker.txt\"\n");
    std::fs::write(app.manifest(), manifest).unwrap();
    let gateway = Gateway::start(&app, &["--build"], &[REGION]);
    assert_eq!(std::fs::read_to_string(app.path().join("build-marker.txt")).unwrap(), "built\n");
    assert_eq!(gateway.get("/echo/x").status, 200);
}

#[test]
fn invalid_manifest_fails_startup_with_spins_message() {
    let app = TestApp::new("gateway");
    let mut manifest = std::fs::read_to_string(app.manifest()).unwrap();
    manifest.push_str("\nnot_a_component_key = true\n");
    std::fs::write(app.manifest(), manifest).unwrap();
    let log = Gateway::try_start(&app, &[], &[REGION]).err().expect("must reject the manifest");
    assert!(log.contains("unknown field `not_a_component_key`"), "{log}");
}

#[test]
fn undeclared_kv_label_fails_startup() {
    let app = TestApp::new("gateway");
    let manifest = std::fs::read_to_string(app.manifest()).unwrap();
    let manifest = manifest.replacen(r#"key_value_stores = ["default"]"#, r#"key_value_stores = ["default", "archive"]"#, 1);
    std::fs::write(app.manifest(), manifest).unwrap();
    let log = Gateway::try_start(&app, &[], &[REGION]).err().expect("`archive` has no backing store");
    assert!(log.contains(r#"unknown key_value_stores label "archive" for component "kv-a""#), "{log}");
}
