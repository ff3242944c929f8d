//! Stats2 end to end: a fake cmsweb served over HTTP or HTTPS (client certificate required, from
//! [`crate::pki`]) that answers through `stats2::fake::FakeCmsweb`,
//! the `scraper-host stats2` runner, and the Stats2 test app for the gateway.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use stats2::fake::{kind_of, CallKind, FakeCmsweb};
use stats2::upstream::{Call, Upstream, UpstreamError};

pub use crate::http::{read_request, HttpRequest};
use crate::pki::TestPki;
use crate::TestApp;

pub const ADMIN_TOKEN: &str = "stats2-test-token";
/// How long a scripted timeout keeps the client waiting (longer than the `--timeout 1` the tests pass).
const TIMEOUT_STALL: Duration = Duration::from_secs(3);

/// Holds calls of one kind once `after` of them have been answered, until released.
#[derive(Default)]
struct Gate {
    rule: Option<(CallKind, usize)>,
    passed: usize,
    held: usize,
}

/// A fake cmsweb on a local port; it runs until the test process ends.
pub struct FakeServer {
    pub fake: Arc<FakeCmsweb>,
    pub addr: SocketAddr,
    pub tls: Option<TestPki>,
    gate: Arc<(Mutex<Gate>, Condvar)>,
    /// Requests that `Call::parse` did not recognise.
    pub unknown: Arc<Mutex<Vec<String>>>,
}

impl FakeServer {
    pub fn http(fake: FakeCmsweb) -> FakeServer {
        Self::start(fake, None)
    }

    /// HTTPS for `localhost`, requiring a client certificate signed by the generated CA.
    pub fn https(fake: FakeCmsweb) -> FakeServer {
        Self::start(fake, Some(TestPki::new("pdmvserv")))
    }

    fn start(fake: FakeCmsweb, tls: Option<TestPki>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake cmsweb");
        let addr = listener.local_addr().expect("addr");
        let config = tls.as_ref().map(|pki| pki.server_config.clone());
        let server = FakeServer { fake: Arc::new(fake), addr, tls, gate: Arc::default(), unknown: Arc::default() };
        let (fake, gate, unknown) = (server.fake.clone(), server.gate.clone(), server.unknown.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (fake, gate, unknown, config) = (fake.clone(), gate.clone(), unknown.clone(), config.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    match config {
                        Some(config) => {
                            let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                            serve_connection(rustls::StreamOwned::new(connection, stream), &fake, &gate, &unknown);
                        }
                        None => serve_connection(stream, &fake, &gate, &unknown),
                    }
                });
            }
        });
        server
    }

    /// `http://127.0.0.1:port` or `https://localhost:port`.
    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// Calls of `kind` beyond the first `after` hang until [`FakeServer::release`].
    pub fn hold_after(&self, kind: CallKind, after: usize) {
        let mut gate = self.gate.0.lock().unwrap();
        *gate = Gate { rule: Some((kind, after)), passed: 0, held: 0 };
    }

    /// How many calls are hanging at the gate now.
    pub fn held(&self) -> usize {
        self.gate.0.lock().unwrap().held
    }

    pub fn release(&self) {
        self.gate.0.lock().unwrap().rule = None;
        self.gate.1.notify_all();
    }

    /// The `stats2` arguments that point every service at this server.
    pub fn poller_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["--reqmgr", "--wmstats", "--dbs"].iter().flat_map(|flag| [flag.to_string(), self.url()]).collect();
        args.extend(["--timeout", "1", "--retries", "1"].map(String::from));
        if let Some(tls) = &self.tls {
            for (flag, path) in [("--ca", tls.ca()), ("--cert", tls.client_cert()), ("--key", tls.client_key())] {
                args.push(flag.into());
                args.push(path.to_string_lossy().into_owned());
            }
        }
        args
    }
}

fn serve_connection<S: Read + Write>(stream: S, fake: &FakeCmsweb, gate: &(Mutex<Gate>, Condvar), unknown: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    // Keep-alive: one request after the other until the client closes.
    while let Some(HttpRequest { method, target, body, .. }) = read_request(&mut reader) {
        let Some(call) = Call::parse(&method, &target, body.as_deref()) else {
            unknown.lock().unwrap().push(format!("{method} {target}"));
            if write_response(reader.get_mut(), 404, b"{}").is_err() {
                return;
            }
            continue;
        };
        wait_at_gate(gate, kind_of(&call));
        let (status, answer) = match fake.fetch(&call) {
            Ok(body) => (200, body),
            Err(UpstreamError::Status(code)) => (code, b"<html>error</html>".to_vec()),
            Err(UpstreamError::Timeout) => {
                std::thread::sleep(TIMEOUT_STALL);
                return;
            }
            // A dropped connection.
            Err(_) => return,
        };
        if write_response(reader.get_mut(), status, &answer).is_err() {
            return;
        }
    }
}

fn wait_at_gate(gate: &(Mutex<Gate>, Condvar), kind: CallKind) {
    let mut state = gate.0.lock().unwrap();
    let Some((held_kind, after)) = state.rule else { return };
    if held_kind != kind {
        return;
    }
    if state.passed < after {
        state.passed += 1;
        return;
    }
    state.held += 1;
    while state.rule.is_some() {
        state = gate.1.wait(state).unwrap();
    }
    state.held -= 1;
}


fn write_response(stream: &mut impl Write, status: u16, body: &[u8]) -> std::io::Result<()> {
    let head = format!("HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    stream.write_all(&message)?;
    stream.flush()
}

pub use crate::scraper_host_bin;

/// `scraper-host --state-dir <state> <args…>`, not yet started.
pub fn scraper_host(state_dir: &Path, args: &[String]) -> Command {
    let mut command = Command::new(scraper_host_bin());
    command.arg("--state-dir").arg(state_dir).args(args).stdin(Stdio::null());
    // The tests configure everything on the command line.
    for var in ["USERCRT", "USERKEY", "STATS2_CA_BUNDLE", "STATS2_REQMGR_URL", "STATS2_WMSTATS_URL", "STATS2_DBS_URL", "RUNTIME_CONFIG_FILE"] {
        command.env_remove(var);
    }
    command
}

/// Runs `stats2 --once <extra…>` against the server and returns its output.
pub fn poll_once(state_dir: &Path, server: &FakeServer, extra: &[&str]) -> Output {
    let mut args = vec!["stats2".to_owned(), "--once".to_owned()];
    args.extend(server.poller_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    scraper_host(state_dir, &args).output().expect("run scraper-host")
}

/// Like [`poll_once`], asserting success; returns stderr (the progress log).
pub fn poll_ok(state_dir: &Path, server: &FakeServer) -> String {
    let output = poll_once(state_dir, server, &[]);
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "stats2 --once failed: {log}");
    log
}

/// Starts a `stats2 --once` pass in the background.
pub fn spawn_poll(state_dir: &Path, server: &FakeServer) -> Child {
    let mut args = vec!["stats2".to_owned(), "--once".to_owned()];
    args.extend(server.poller_args());
    scraper_host(state_dir, &args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn scraper-host")
}

/// A stored value (`scraper-host kv get`), `None` when the key is absent.
pub fn kv_get(state_dir: &Path, key: &str) -> Option<Vec<u8>> {
    let output = scraper_host(state_dir, &["kv".into(), "get".into(), key.into()]).output().expect("kv get");
    output.status.success().then_some(output.stdout)
}

pub fn kv_json(state_dir: &Path, key: &str) -> Option<serde_json::Value> {
    kv_get(state_dir, key).map(|bytes| serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{key}: {e}")))
}

pub fn kv_keys(state_dir: &Path) -> Vec<String> {
    let output = scraper_host(state_dir, &["kv".into(), "keys".into()]).output().expect("kv keys");
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}

/// `tests/apps/stats2` with the built component and the ui, in a fresh temp dir (its `.spin` is the shared store).
pub fn stats2_app() -> TestApp {
    crate::apps::app("stats2", "stats2-component")
}

/// Waits up to `limit` for `ready`.
pub fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    ready()
}

/// Fake McM/RelVal/ReReco receivers and token endpoint on one local HTTP port: `POST /token` hands out
/// `tok-<n>`, every other request is recorded and answered 200 unless scripted to fail.
pub struct FakeReceivers {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<HttpRequest>>>,
    /// (part of the path, failures left): matching requests are answered 503 while failures are left.
    failures: Arc<Mutex<Vec<(String, usize)>>>,
}

impl FakeReceivers {
    pub fn start() -> FakeReceivers {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receivers");
        let receivers = FakeReceivers { addr: listener.local_addr().expect("addr"), received: Arc::default(), failures: Arc::default() };
        let (received, failures) = (receivers.received.clone(), receivers.failures.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (received, failures) = (received.clone(), failures.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    while let Some(request) = read_request(&mut reader) {
                        let answer = answer_callback(&request, &received, &failures);
                        if write_response(reader.get_mut(), answer.0, answer.1.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        receivers
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `times` requests whose path contains `path_part` fail with 503.
    pub fn fail(&self, path_part: &str, times: usize) {
        self.failures.lock().unwrap().push((path_part.to_owned(), times));
    }

    /// Every request so far, token requests included, in arrival order.
    pub fn received(&self) -> Vec<HttpRequest> {
        self.received.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.received.lock().unwrap().clear();
    }
}

fn answer_callback(request: &HttpRequest, received: &Mutex<Vec<HttpRequest>>, failures: &Mutex<Vec<(String, usize)>>) -> (u16, String) {
    let tokens = {
        let mut received = received.lock().unwrap();
        received.push(request.clone());
        received.iter().filter(|r| r.target == "/token").count()
    };
    let mut failures = failures.lock().unwrap();
    if let Some((_, left)) = failures.iter_mut().find(|(part, left)| *left > 0 && request.target.contains(part.as_str())) {
        *left -= 1;
        return (503, r#"{"message": "scripted failure"}"#.into());
    }
    if request.target == "/token" {
        return (200, format!(r#"{{"access_token": "tok-{tokens}", "expires_in": 3600}}"#));
    }
    (200, r#"{"results": true}"#.into())
}
