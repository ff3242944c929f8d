//! A stand-in DQM² server for the DQM² tests: the CMSWEB proxy's sync protocol (`/redirect`, `/sync_proxy`,
//! `/cr/exe`) answered by a scriptable `FakeFff`, and a static DQM² page (§3.1 DOM, log buttons, canvases)
//! rendered by JavaScript from the same documents, for the robber.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dqmsquare::fake::FakeFff;
use dqmsquare::grabber::{SyncTransport, TransportError};
use dqmsquare::Db;
use serde_json::{json, Value};

/// The page the robber scrapes: fff_dqmtools' `tableJobs.html` layout, filled from `jobs.json`.
pub const PAGE_HTML: &str = include_str!("dqmsquare_page.html");

/// What the page shows: the live run and the FU documents of its jobs, plus finished runs behind run links.
#[derive(Debug, Clone, Default)]
pub struct PageState {
    pub run: i64,
    pub documents: Vec<Value>,
    pub old_runs: Vec<(i64, Vec<Value>)>,
}

pub struct StandIn {
    pub fake: Arc<FakeFff>,
    pub page: Arc<Mutex<PageState>>,
    pub addr: SocketAddr,
    /// The `cookie` header of every request, in order.
    pub cookies: Arc<Mutex<Vec<String>>>,
    /// How long a "timed out" host keeps the connection before answering 504.
    pub timeout_delay: Duration,
    stop: Arc<AtomicBool>,
}

impl StandIn {
    /// Serves on a free port until dropped. `server_machine` is the host `/sync_proxy` speaks for.
    pub fn start(server_machine: &str, timeout_delay: Duration) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let fake = Arc::new(FakeFff::new());
        let page = Arc::new(Mutex::new(PageState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let cookies = Arc::new(Mutex::new(Vec::new()));
        let (f, p, s, c, machine) = (fake.clone(), page.clone(), stop.clone(), cookies.clone(), server_machine.to_owned());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (f, p, c, machine) = (f.clone(), p.clone(), c.clone(), machine.clone());
                std::thread::spawn(move || serve(stream, &f, &p, &c, &machine, timeout_delay));
            }
        });
        StandIn { fake, page, addr, cookies, timeout_delay, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The robber's target, with the original's query string.
    pub fn page_url(&self) -> String {
        self.url("/static/index.html#/lumi/?trackRun&hosts=production_c2f11&run=&showFiles&showJobs")
    }

    pub fn set_page(&self, run: i64, documents: Vec<Value>) {
        let mut page = self.page.lock().unwrap_or_else(|p| p.into_inner());
        (page.run, page.documents) = (run, documents);
    }

    /// Finished runs the page links to (the old-runs robber clicks them).
    pub fn set_old_runs(&self, runs: Vec<(i64, Vec<Value>)>) {
        self.page.lock().unwrap_or_else(|p| p.into_inner()).old_runs = runs;
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    cookie: String,
    body: String,
}

/// The request as the stand-in needs it, read with the tests' one request reader ([`crate::http::read_request`]).
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let raw = crate::http::read_request(&mut reader)?;
    let (path, query) = raw.target.split_once('?').unwrap_or((&raw.target, ""));
    let query = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Some(Request {
        path: path.to_owned(),
        query,
        cookie: raw.header("cookie").unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(raw.body.as_deref().unwrap_or_default()).into_owned(),
        method: raw.method,
    })
}

fn serve(
    mut stream: TcpStream,
    fake: &FakeFff,
    page: &Mutex<PageState>,
    cookies: &Mutex<Vec<String>>,
    machine: &str,
    timeout_delay: Duration,
) {
    let Some(request) = read_request(&mut stream) else { return };
    cookies.lock().unwrap_or_else(|p| p.into_inner()).push(request.cookie.clone());
    let param = |name: &str| request.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let answer = match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/redirect") => match param("path") {
            Some(host) => fake.post_sync(&host, &request.body),
            None => Err(TransportError::Status(400)),
        },
        ("POST", "/sync_proxy") => fake.post_sync(machine, &request.body),
        ("GET", "/cr/exe") => match param("cluster").as_deref().and_then(Db::parse) {
            Some(db) if param("what").as_deref() == Some("get_cluster_status") => fake.cluster_status(db),
            _ => Err(TransportError::Status(400)),
        },
        ("GET", "/static/index.html") => return respond(&mut stream, 200, "text/html", PAGE_HTML.as_bytes()),
        ("GET", "/static/jobs.json") => {
            let state = page.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let old_runs: serde_json::Map<String, Value> =
                state.old_runs.into_iter().map(|(run, docs)| (run.to_string(), Value::from(docs))).collect();
            let body = json!({"run": state.run, "documents": state.documents, "old_runs": old_runs}).to_string();
            return respond(&mut stream, 200, "application/json", body.as_bytes());
        }
        _ => Err(TransportError::Status(404)),
    };
    match answer {
        Ok(body) => respond(&mut stream, 200, "application/json", body.as_bytes()),
        Err(TransportError::Timeout) => {
            std::thread::sleep(timeout_delay);
            respond(&mut stream, 504, "text/plain", b"gateway timeout")
        }
        Err(TransportError::Status(code)) => respond(&mut stream, code, "text/plain", b"error"),
        Err(TransportError::Other(text)) => respond(&mut stream, 500, "text/plain", text.as_bytes()),
    }
}

fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body));
}

pub use crate::scraper_host_bin;

/// Live processes whose environment carries `marker` (every browser process inherits the robber's).
pub fn processes_with_env(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Zombies are gone already; only count processes that still run.
            let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
            state != Some("Z")
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .map(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
                    .unwrap_or(false)
        })
        .collect()
}

/// `tests/apps/dqmsquare` in a temp dir, pointing at the built component (and the ui, for the site header).
pub fn dqmsquare_app() -> crate::TestApp {
    crate::apps::app("dqmsquare", "dqmsquare-component")
}
