//! DQM² Mirror component: the read-only `/dqm/dqm-square` API and pages and the control room, a thin adapter
//! over `dqmsquare::api` and `dqmsquare::cr`.
//!
//! Environment: the `default` key-value store (written by scraper-host's grabber and robber); optional
//! variables `fff_playback_machines` and `fff_production_machines` (`;`-separated, for censoring). The control
//! room (`/cr…`) reads `cr_secret` (empty: disabled), `cr_usernames`, `fff_secret_name`, `fff_secret`,
//! `fff_cr_origin` + `fff_cr_path` (where `cr/exe` goes, through wasi-http outbound; the origin must be in
//! `allowed_outbound_hosts`), `fff_timeout_s` and `server_simulator_run_keys`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dqmsquare::api::{route, Mirror, Route, SanitizerRef};
use dqmsquare::cr::{self, ControlRoom, CrConfig, Upstream, UpstreamError, UpstreamReply};
use dqmsquare::{machine_list, DEFAULT_PLAYBACK_MACHINES, DEFAULT_PRODUCTION_MACHINES};
use dqmsquare_sanitize::Sanitizer;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// The most of an upstream answer read (a log answer is the largest).
const MAX_UPSTREAM_BYTES: usize = 32 << 20;

fn variable_or(name: &str, default: &str) -> String {
    web_kit::spin::variable(name).unwrap_or_else(|| default.to_owned())
}

fn sanitizer() -> Sanitizer {
    let mut machines = machine_list(&variable_or("fff_playback_machines", DEFAULT_PLAYBACK_MACHINES));
    machines.extend(machine_list(&variable_or("fff_production_machines", DEFAULT_PRODUCTION_MACHINES)));
    Sanitizer::new(machines)
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    web_kit::spin::serve(request, out, |req| {
        if route(&req.path) == Route::ControlRoom {
            if let Some(secret) = web_kit::spin::variable("cr_secret") {
                return control_room(req, secret);
            }
        }
        web_kit::spin::with_store(|store| Mirror { kv: store, sanitizer: SanitizerRef::lazy(sanitizer), now_s: now().as_secs_f64() }.handle(req))
    })
}

fn control_room(request: &web_kit::Request, secret: String) -> web_kit::Reply {
    let origin = variable_or("fff_cr_origin", "");
    let upstream = if origin.is_empty() {
        String::new()
    } else {
        format!("{}{}", origin.trim_end_matches('/'), variable_or("fff_cr_path", ""))
    };
    let timeout_s = variable_or("fff_timeout_s", "10").trim().parse::<f64>().ok().filter(|s| *s > 0.0 && *s <= 300.0);
    let config = CrConfig {
        users: cr::session::parse_users(&variable_or("cr_usernames", "")),
        secret,
        fff_secret_name: variable_or("fff_secret_name", cr::DEFAULT_FFF_SECRET_NAME),
        fff_secret: variable_or("fff_secret", ""),
        upstream,
        simulator_run_keys: variable_or("server_simulator_run_keys", cr::DEFAULT_SIMULATOR_RUN_KEYS),
        timeout: Duration::from_secs_f64(timeout_s.unwrap_or(10.0)),
    };
    let mut nonce = [0u8; 16];
    if getrandom::fill(&mut nonce).is_err() {
        return web_kit::Reply::error(500, "no randomness available for a session id");
    }
    let sanitizer = sanitizer();
    ControlRoom { config: &config, sanitizer: &sanitizer, now_s: now().as_secs(), nonce, upstream: &WasiUpstream }
        .handle(request)
}

/// `cr/exe`'s outbound GET over wasi-http, with connect, first-byte and between-bytes timeouts; redirects
/// are not followed (wasi-http never does), so the library sees them.
struct WasiUpstream;

impl Upstream for WasiUpstream {
    fn get(&self, url: &str, cookie: &str, timeout: Duration) -> Result<UpstreamReply, UpstreamError> {
        use wasi::http::types::{ErrorCode, Fields, IncomingBody, Method, OutgoingRequest, RequestOptions, Scheme};
        use wasi::io::streams::StreamError;

        let (scheme, rest) = url.split_once("://").ok_or(UpstreamError::Failed)?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let headers = Fields::from_list(&[
            ("cookie".to_owned(), cookie.as_bytes().to_vec()),
            ("accept".to_owned(), b"application/json".to_vec()),
        ])
        .map_err(|_| UpstreamError::Failed)?;
        let request = OutgoingRequest::new(headers);
        let scheme = match scheme {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(UpstreamError::Failed),
        };
        let set = request.set_method(&Method::Get).is_ok()
            && request.set_scheme(Some(&scheme)).is_ok()
            && request.set_authority(Some(authority)).is_ok()
            && request.set_path_with_query(Some(path)).is_ok();
        if !set {
            return Err(UpstreamError::Failed);
        }
        let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        let options = RequestOptions::new();
        // A host that does not support a timeout refuses it; the request then runs under the host's own limits.
        let _ = options.set_connect_timeout(Some(nanos));
        let _ = options.set_first_byte_timeout(Some(nanos));
        let _ = options.set_between_bytes_timeout(Some(nanos));
        let map = |code: ErrorCode| match code {
            ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
                UpstreamError::Timeout
            }
            ErrorCode::HttpRequestDenied => UpstreamError::Denied,
            _ => UpstreamError::Failed,
        };
        let future = wasi::http::outgoing_handler::handle(request, Some(options)).map_err(map)?;
        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(map(code)),
            _ => return Err(UpstreamError::Failed),
        };
        let status = response.status();
        let body = response.consume().map_err(|_| UpstreamError::Failed)?;
        let stream = body.stream().map_err(|_| UpstreamError::Failed)?;
        let mut bytes = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_UPSTREAM_BYTES {
                        return Err(UpstreamError::Failed);
                    }
                }
                Err(StreamError::Closed) => break,
                Err(_) => return Err(UpstreamError::Failed),
            }
        }
        drop(stream);
        drop(IncomingBody::finish(body));
        Ok(UpstreamReply { status, body: bytes })
    }
}
