//! The DQM² control room through the gateway (spec §8): login, signed session cookie, CSRF, and `cr/exe`
//! forwarded by the component's outbound HTTP to a stand-in fff_dqmtools served over TLS that **requires a
//! client certificate** — the gateway presents the one of the runtime config's `[[client_tls]]`. A CA, the
//! stand-in's `localhost` certificate and the client certificate are generated here with rcgen.
//! Needs the gateway and the built `dqmsquare-component` and `ui-component`; the browser check also Debian
//! `chromium` and `npm ci` in `tests/browser`. `DQMSQUARE_CR_SCREENSHOT=<path>` keeps its screenshot (committed
//! as docs/dqmsquare-cr.png).

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dqm_spin_tests::dqmsquare::dqmsquare_app;
use dqm_spin_tests::pki::TestPki;
use dqm_spin_tests::http::read_request;
use dqm_spin_tests::{Gateway, HttpResponse};
use serde_json::{json, Value};

const CR_SECRET: &str = "cr-test-secret-0123456789abcdef";
const FFF_SECRET: &str = "fff-cookie-s3cr3t-value";
const PASSWORD: &str = "correct horse:battery";
const MACHINE: &str = "dqmfu-c2b01-45-01";

/// What the stand-in saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    cookie: String,
    /// Whether the TLS handshake verified the robot certificate as the client's.
    robot_cert: bool,
}

/// fff_dqmtools' `/cr/exe` behind TLS with a mandatory client certificate signed by the test CA.
struct StandIn {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    pki: TestPki,
}

impl StandIn {
    fn start() -> StandIn {
        let pki = TestPki::new("dqm-robot");
        let (config, robot_der) = (pki.server_config.clone(), Arc::new(pki.client_der.clone()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, log, robot_der) = (config.clone(), log.clone(), robot_der.clone());
                std::thread::spawn(move || {
                    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    // Without an accepted client certificate the handshake fails here and nothing is answered.
                    let Some(request) = read_request(&mut BufReader::new(&mut tls)) else { return };
                    let (target, cookie) = (request.target.clone(), request.header("cookie").unwrap_or_default().to_owned());
                    let robot_cert = tls.conn.peer_certificates().and_then(|certs| certs.first()).is_some_and(|c| c.as_ref() == robot_der.as_slice());
                    log.lock().unwrap().push(Seen { target: target.clone(), cookie: cookie.clone(), robot_cert });
                    let (status, content_type, body, extra) = answer(&target, &cookie, addr);
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
                        body.len()
                    );
                    let _ = tls.write_all(head.as_bytes()).and_then(|_| tls.write_all(body.as_bytes())).and_then(|_| tls.flush());
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        StandIn { addr, seen, pki }
    }

    fn origin(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The runtime config with the `[[client_tls]]` entry for the component and `localhost`.
    fn runtime_config(&self) -> PathBuf {
        let path = self.pki.dir.path().join("runtime-config.toml");
        std::fs::write(
            &path,
            "[[client_tls]]\ncomponent_ids = [\"dqmsquare\"]\nhosts = [\"localhost\"]\nca_roots_file = \"ca.pem\"\n\
             client_cert_file = \"client.pem\"\nclient_private_key_file = \"client.key\"\n",
        )
        .expect("write runtime config");
        path
    }
}

/// The scripted fff_dqmtools answers, by `what`.
fn answer(target: &str, cookie: &str, addr: SocketAddr) -> (u16, &'static str, String, String) {
    let what = target.split(['?', '&']).find_map(|p| p.strip_prefix("what=")).unwrap_or_default();
    let json = |v: Value| (200, "application/json", v.to_string(), String::new());
    match what {
        // Echoes what a careless upstream might: the cookie it got and its own address.
        "get_dqm_machines" => json(json!({
            "playback": [MACHINE, format!("{MACHINE}.cms")],
            "debug": format!("cookie was {cookie}; served by localhost:{}", addr.port()),
        })),
        "restart_hltd" => json(json!({"restarted": "hltd", "query": target})),
        // Answers only after the component's timeout.
        "get_simulator_runs" => {
            std::thread::sleep(std::time::Duration::from_secs(4));
            json(json!([]))
        }
        "get_hltd_logs" => json(json!([format!("hltd on {MACHINE}.cms: started by operator@cern.ch\nline 2"), ""])),
        // A login page instead of JSON (what a lost session at CMSWEB looks like).
        "get_cmssw_info" => (200, "text/html", "<html><body>Please log in</body></html>".into(), String::new()),
        // The original's answer to a bad secret: a redirect to the public site.
        "get_simulator_config" => (302, "text/html", String::new(), "location: https://cmsweb.cern.ch/dqm/dqm-square/\r\n".into()),
        _ => (404, "text/plain", "unknown".into(), String::new()),
    }
}


fn gateway(stand_in: &StandIn, app: &dqm_spin_tests::TestApp, with_client_tls: bool) -> Gateway {
    let origin = stand_in.origin();
    let users = format!("shifter:{PASSWORD};expert:other");
    let env = [
        ("SPIN_VARIABLE_CR_SECRET", CR_SECRET),
        ("SPIN_VARIABLE_CR_USERNAMES", users.as_str()),
        ("SPIN_VARIABLE_FFF_SECRET", FFF_SECRET),
        ("SPIN_VARIABLE_FFF_CR_ORIGIN", origin.as_str()),
        ("SPIN_VARIABLE_FFF_CR_PATH", "/dqm/dqm-square-origin"),
        ("SPIN_VARIABLE_FFF_TIMEOUT_S", "2"),
    ];
    let config = stand_in.runtime_config();
    let config = config.to_string_lossy();
    let args: &[&str] = if with_client_tls { &["--runtime-config-file", &config] } else { &[] };
    Gateway::start(app, args, &env)
}

/// Every answer of the test, to check at the end that none leaks a secret or the upstream's address.
#[derive(Default)]
struct Answers(Vec<(String, HttpResponse)>);

impl Answers {
    fn send(&mut self, gateway: &Gateway, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let response = gateway.send(method, path, headers, body.as_bytes());
        self.0.push((format!("{method} {path}"), response.clone()));
        response
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn message(response: &HttpResponse) -> String {
    response.json()["message"].as_str().unwrap_or_else(|| panic!("no message: {}", response.text())).to_owned()
}

#[test]
fn the_control_room_logs_in_checks_csrf_and_forwards_with_the_robot_certificate() {
    let stand_in = StandIn::start();
    let app = dqmsquare_app();
    let gw = gateway(&stand_in, &app, true);
    let mut answers = Answers::default();
    let cr = "/dqm/dqm-square/cr";

    // No session: the page redirects to the login form (the original's test_server.py check).
    let page = answers.send(&gw, "GET", &format!("{cr}/"), &[], "");
    assert_eq!((page.status, page.header("location")), (302, Some("/dqm/dqm-square/cr/login/")), "{}", gw.log());
    let login_form = answers.send(&gw, "GET", &format!("{cr}/login/"), &[], "");
    assert_eq!(login_form.status, 200);
    assert!(login_form.text().contains("name=\"password\""));
    assert!(!login_form.text().contains("<script>"), "CSP-safe: no inline script");
    assert_eq!(answers.send(&gw, "GET", &format!("{cr}/exe?what=get_dqm_machines"), &[], "").status, 401);

    // A wrong password is a JSON 401 and sets no cookie.
    let wrong = answers.send(&gw, "POST", &format!("{cr}/login/"), &[FORM], &form(&[("username", "shifter"), ("password", "guess")]));
    assert_eq!(wrong.status, 401);
    assert_eq!(message(&wrong), "wrong user name or password");
    assert_eq!(wrong.header("set-cookie"), None);

    let login = answers.send(&gw, "POST", &format!("{cr}/login/"), &[FORM], &form(&[("username", "shifter"), ("password", PASSWORD)]));
    assert_eq!((login.status, login.header("location")), (302, Some("/dqm/dqm-square/cr/")), "{}", login.text());
    let set_cookie = login.header("set-cookie").expect("session cookie").to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dqm/dqm-square;", "Max-Age=86400"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let session = [("cookie", cookie.as_str())];

    // Forged and tampered cookies are no session.
    let (name, token) = cookie.split_once('=').unwrap();
    let last = token.chars().last().unwrap();
    let tampered = format!("{name}={}{}", &token[..token.len() - 1], if last == '0' { '1' } else { '0' });
    for forged in [format!("{name}=shifter"), tampered, "dqmsquare-mirror-cr-account=shifter".to_owned()] {
        let page = answers.send(&gw, "GET", &format!("{cr}/"), &[("cookie", &forged)], "");
        assert_eq!(page.status, 302, "{forged}");
        let exe = answers.send(&gw, "GET", &format!("{cr}/exe?what=get_dqm_machines"), &[("cookie", &forged)], "");
        assert_eq!(exe.status, 401, "{forged}");
    }

    // The page, with the site header, the buttons and the CSRF token.
    let page = answers.send(&gw, "GET", &format!("{cr}/"), &session, "");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("/static/header.js") && html.contains("data-what=\"restart_hltd\"") && html.contains("shifter"));
    assert!(!html.contains("<script>"), "CSP-safe: no inline script");
    let csrf = html.split("name=\"dqm2m-csrf\" content=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("csrf meta").to_owned();
    assert_eq!(csrf.len(), 64);
    let script = answers.send(&gw, "GET", "/dqm/dqm-square/static/cr.js", &[], "");
    assert_eq!(script.status, 200);
    assert!(script.text().contains("x-csrf-token"));

    // A read is forwarded with the secret cookie, over TLS with the robot certificate, and comes back sanitised.
    let machines = answers.send(&gw, "GET", &format!("{cr}/exe?what=get_dqm_machines&cluster=playback"), &session, "");
    assert_eq!(machines.status, 200, "{}\n{}", machines.text(), gw.log());
    let seen = stand_in.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].target, "/dqm/dqm-square-origin/cr/exe?what=get_dqm_machines&cluster=playback");
    assert_eq!(seen[0].cookie, format!("selenium-secret-secret={FFF_SECRET}"));
    assert!(seen[0].robot_cert, "the gateway presented the [[client_tls]] certificate");
    let body = machines.json();
    assert_eq!(body["playback"], json!(["dqmfu-c2b01-..", "dqmfu-c2b01-.."]), "{body}");

    // A change needs POST and the CSRF token; nothing reaches fff_dqmtools without it.
    let restart = format!("{cr}/exe");
    let no_token = answers.send(&gw, "POST", &restart, &[session[0], FORM], "what=restart_hltd&cluster=playback");
    assert_eq!((no_token.status, message(&no_token).as_str()), (403, "missing or wrong CSRF token"));
    let wrong_token = answers.send(&gw, "POST", &restart, &[session[0], FORM, ("x-csrf-token", &"0".repeat(64))], "what=restart_hltd");
    assert_eq!(wrong_token.status, 403);
    let other_login = answers.send(&gw, "POST", &format!("{cr}/login/"), &[FORM], &form(&[("username", "expert"), ("password", "other")]));
    let other_cookie = other_login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let other_session = answers.send(&gw, "POST", &restart, &[("cookie", &other_cookie), FORM], &form(&[("what", "restart_hltd"), ("csrf", &csrf)]));
    assert_eq!(other_session.status, 403, "a CSRF token belongs to its own session");
    let by_get = answers.send(&gw, "GET", &format!("{cr}/exe?what=restart_hltd&csrf={csrf}"), &session, "");
    assert_eq!(by_get.status, 405);
    assert_eq!(stand_in.seen().len(), 1, "nothing forwarded: {:?}", stand_in.seen());
    let done = answers.send(&gw, "POST", &restart, &[session[0], FORM], &form(&[("what", "restart_hltd"), ("cluster", "playback"), ("csrf", &csrf)]));
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(stand_in.seen()[1].target, "/dqm/dqm-square-origin/cr/exe?what=restart_hltd&cluster=playback", "the CSRF token stays here");
    let by_header = answers.send(&gw, "POST", &restart, &[session[0], FORM, ("x-csrf-token", &csrf)], "what=restart_hltd");
    assert_eq!(by_header.status, 200);

    // Logs come back in the answer, sanitised; run keys are local.
    let logs = answers.send(&gw, "GET", &format!("{cr}/exe?what=get_hltd_logs"), &session, "").json();
    assert_eq!(logs["logs"].as_array().map(Vec::len), Some(1), "{logs}");
    let log = logs["logs"][0].as_str().unwrap();
    assert!(log.starts_with("hltd on dqmfu-c2b01-..") && !log.contains("operator@cern.ch"), "{log}");
    let before = stand_in.seen().len();
    let keys = answers.send(&gw, "GET", &format!("{cr}/exe?what=get_simulator_run_keys"), &session, "");
    assert_eq!(keys.json(), json!(["cosmic_run", "pp_run", "hi_run"]));
    assert_eq!(stand_in.seen().len(), before);

    // Upstream answers that are not JSON, and redirects, are 502 with a message.
    for what in ["get_cmssw_info", "get_simulator_config"] {
        let bad = answers.send(&gw, "GET", &format!("{cr}/exe?what={what}"), &session, "");
        assert_eq!(bad.status, 502, "{what}: {}", bad.text());
        assert!(!message(&bad).is_empty());
    }
    // The guest's timeout holds on the client-certificate path too.
    let slow = answers.send(&gw, "GET", &format!("{cr}/exe?what=get_simulator_runs"), &session, "");
    assert_eq!((slow.status, message(&slow).as_str()), (504, "fff_dqmtools did not answer in time"));
    let unknown = answers.send(&gw, "GET", &format!("{cr}/exe?what=rm_rf"), &session, "");
    assert_eq!((unknown.status, message(&unknown).as_str()), (404, "rm_rf is not supported"));

    // Logout needs the token too, and clears the cookie.
    let no_token = answers.send(&gw, "POST", &format!("{cr}/logout/"), &[session[0], FORM], "");
    assert_eq!(no_token.status, 403);
    let logout = answers.send(&gw, "POST", &format!("{cr}/logout/"), &[session[0], FORM], &form(&[("csrf", &csrf)]));
    assert_eq!((logout.status, logout.header("location")), (302, Some("/dqm/dqm-square/")));
    assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));

    // No answer carries the secret cookie value, the upstream's address, or a raw machine name.
    let port = format!(":{}", stand_in.addr.port());
    for (request, response) in &answers.0 {
        let everything = format!("{:?}\n{}", response.headers, response.text());
        for needle in [FFF_SECRET, "localhost", port.as_str(), MACHINE, CR_SECRET, PASSWORD] {
            assert!(!everything.contains(needle), "{request} leaks {needle:?}: {everything}");
        }
    }
}

#[test]
fn without_the_client_certificate_the_upstream_refuses_and_exe_is_a_clear_502() {
    let stand_in = StandIn::start();
    let app = dqmsquare_app();
    let gw = gateway(&stand_in, &app, false);
    let login = gw.send("POST", "/dqm/dqm-square/cr/login/", &[FORM], form(&[("username", "shifter"), ("password", PASSWORD)]).as_bytes());
    assert_eq!(login.status, 302, "{}", login.text());
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let exe = gw.send("GET", "/dqm/dqm-square/cr/exe?what=get_dqm_machines", &[("cookie", &cookie)], b"");
    assert_eq!(exe.status, 502, "{}", exe.text());
    let text = exe.text();
    assert!(!text.contains("localhost") && !text.contains(FFF_SECRET), "{text}");
    assert!(stand_in.seen().is_empty(), "the stand-in never answered: {:?}", stand_in.seen());
}

#[test]
fn the_control_room_is_404_without_a_secret_and_the_mirror_still_serves() {
    let app = dqmsquare_app();
    let gw = Gateway::start(&app, &[], &[]);
    for (method, path) in [("GET", "/dqm/dqm-square/cr/"), ("POST", "/dqm/dqm-square/cr/login/"), ("GET", "/dqm/dqm-square/cr/exe?what=get_dqm_machines")] {
        let response = gw.send(method, path, &[FORM], b"username=a&password=b");
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.header("location"), None);
        assert!(message(&response).contains("disabled"), "{}", response.text());
    }
    assert_eq!(gw.get("/dqm/dqm-square/").status, 200);
}

#[test]
fn the_control_room_page_logs_in_reads_and_changes_in_chromium() {
    let stand_in = StandIn::start();
    let app = dqmsquare_app();
    let gw = gateway(&stand_in, &app, true);
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(browser_dir.join("node_modules/playwright-core").is_dir(), "run `npm ci` in {}", browser_dir.display());
    let screenshot = match std::env::var("DQMSQUARE_CR_SCREENSHOT") {
        // Relative to the repository root, where `cargo test` is usually started.
        Ok(path) if Path::new(&path).is_relative() => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path),
        Ok(path) => PathBuf::from(path),
        Err(_) => app.path().join("dqmsquare-cr.png"),
    };
    let output = std::process::Command::new("node")
        .current_dir(&browser_dir)
        .args(["dqmsquare-cr.mjs", &format!("http://{}", gw.addr), "shifter", PASSWORD])
        .arg(&screenshot)
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}\n{}", String::from_utf8_lossy(&output.stderr), gw.log());
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    assert_eq!(summary["problems"], json!([]), "page errors, CSP violations or console errors: {summary}");
    assert_eq!(summary["outside"], json!([]), "requests outside the site: {summary}");
    assert!(summary["loginUrl"].as_str().unwrap().ends_with("/dqm/dqm-square/cr/login/"), "{summary}");
    assert_eq!(summary["wrongStatus"], json!(401));
    assert_eq!(summary["wrongMessage"], json!("wrong user name or password"));
    assert_eq!(summary["formAgain"], json!(true));
    assert!(summary["roomUrl"].as_str().unwrap().ends_with("/dqm/dqm-square/cr/"), "{summary}");
    assert_eq!(summary["shownUser"], json!("shifter"));
    for section in ["DQM GUI", "Run Registry", "DQM² Mirror"] {
        assert!(summary["header"].as_str().unwrap().contains(section), "site header: {summary}");
    }

    // The read: the answer on the page is the sanitised JSON.
    assert_eq!(summary["read"]["status"], json!("get_dqm_machines: OK"), "{summary}");
    let shown: Value = serde_json::from_str(summary["read"]["answer"].as_str().unwrap()).expect("the answer is JSON");
    assert_eq!(shown["playback"], json!(["dqmfu-c2b01-..", "dqmfu-c2b01-.."]), "{shown}");
    // The change: confirmed, POSTed with the page's CSRF token, which is never forwarded.
    assert_eq!(summary["dialogs"], json!(["restart_hltd on playback?"]));
    assert_eq!(summary["change"]["status"], json!("restart_hltd: OK"), "{summary}");
    let changed: Value = serde_json::from_str(summary["change"]["answer"].as_str().unwrap()).expect("JSON");
    assert_eq!(changed["restarted"], json!("hltd"), "{changed}");
    let calls = summary["exeCalls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{summary}");
    assert_eq!((calls[0]["method"].as_str(), calls[1]["method"].as_str()), (Some("GET"), Some("POST")));
    assert_eq!(calls[1]["csrf"].as_str().map(str::len), Some(64), "{summary}");
    let seen = stand_in.seen();
    assert_eq!(
        seen.iter().map(|s| s.target.as_str()).collect::<Vec<_>>(),
        [
            "/dqm/dqm-square-origin/cr/exe?what=get_dqm_machines&cluster=playback",
            "/dqm/dqm-square-origin/cr/exe?what=restart_hltd&cluster=playback"
        ]
    );
    assert!(seen.iter().all(|s| s.robot_cert && s.cookie == format!("selenium-secret-secret={FFF_SECRET}")));
    assert!(std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 10_000), "screenshot at {}", screenshot.display());
}
