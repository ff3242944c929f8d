//! The DQM² control room (spec §8): `/<prefix>/cr/` (the page), `cr/login/`, `cr/logout/` and `cr/exe`.
//!
//! Sessions are stateless signed tokens ([`session`]); `exe` forwards to fff_dqmtools through an
//! [`Upstream`] (the component's outbound HTTP) with the secret cookie, and sanitises what comes back.
//! Every error is a JSON `{"message": …}`; no answer ever carries the secret cookie's value or the
//! upstream's host name.

pub mod session;

use std::time::Duration;

use dqmsquare_sanitize::{html_escape, Sanitizer};
use serde_json::{json, Value};
use web_kit::{Query, Reply, Request};

use crate::api::PREFIX;
use session::{Session, Sessions, COOKIE_NAME, MIN_SECRET_LEN, SESSION_LIFETIME_S};

/// `what`s forwarded to fff_dqmtools that only read.
pub const READ_ACTIONS: &[&str] = &[
    "get_dqm_machines",
    "get_simulator_config",
    "get_hltd_versions",
    "get_fff_versions",
    "get_simulator_runs",
    "get_dqm_clients",
    "get_cmssw_info",
];
/// `what`s forwarded to fff_dqmtools that change something: POST with the CSRF token only.
pub const CHANGE_ACTIONS: &[&str] = &["restart_hltd", "restart_fff", "start_playback_run", "change_dqm_client"];
/// `what`s whose answer is a list of log texts (the original wrote them to tmp files and returned URLs).
pub const LOG_ACTIONS: &[&str] = &["get_fff_logs", "get_hltd_logs"];
/// Answered locally from `SERVER_SIMULATOR_RUN_KEYS`.
pub const RUN_KEYS_ACTION: &str = "get_simulator_run_keys";
/// `FFF_SECRET_NAME`'s default.
pub const DEFAULT_FFF_SECRET_NAME: &str = "selenium-secret-secret";
/// `SERVER_SIMULATOR_RUN_KEYS`' default.
pub const DEFAULT_SIMULATOR_RUN_KEYS: &str = "cosmic_run,pp_run,hi_run";
/// Largest login form accepted.
const MAX_FORM_BYTES: usize = 8 * 1024;

const CR_HTML: &str = include_str!("../static/cr.html");
const LOGIN_HTML: &str = include_str!("../static/cr_login.html");

/// The control room's settings (Spin variables; see docs/dqmsquare.md).
#[derive(Debug, Clone, Default)]
pub struct CrConfig {
    /// `cr_usernames` (`DQM_CR_USERNAMES`), parsed by [`session::parse_users`].
    pub users: Vec<(String, String)>,
    /// `cr_secret` (`DQM_CR_SECRET`): the HMAC key. Empty or shorter than [`MIN_SECRET_LEN`]: disabled.
    pub secret: String,
    /// `fff_secret_name` (`FFF_SECRET_NAME`) and `fff_secret` (`DQM_FFF_SECRET`): the upstream cookie.
    pub fff_secret_name: String,
    pub fff_secret: String,
    /// Where `/cr/exe` is forwarded: `fff_cr_origin` + `fff_cr_path` (`SERVER_FFF_CR_PATH`); empty: not configured.
    pub upstream: String,
    /// `server_simulator_run_keys` (`SERVER_SIMULATOR_RUN_KEYS`), comma-separated.
    pub simulator_run_keys: String,
    /// Connect and first-byte timeout of every upstream call.
    pub timeout: Duration,
}

/// What fff_dqmtools (or the proxy in front of it) answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why an upstream call failed. Deliberately without the URL or the host's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    Timeout,
    /// The host refused the destination (`allowed_outbound_hosts`).
    Denied,
    /// Connection, TLS or protocol failure.
    Failed,
}

/// The outbound HTTP the control room uses: a GET with one cookie and a timeout, redirects not followed.
pub trait Upstream {
    fn get(&self, url: &str, cookie: &str, timeout: Duration) -> Result<UpstreamReply, UpstreamError>;
}

/// One control-room request: configuration, sanitiser, clock, a fresh random nonce and the upstream.
pub struct ControlRoom<'a> {
    pub config: &'a CrConfig,
    pub sanitizer: &'a Sanitizer,
    /// UNIX seconds.
    pub now_s: u64,
    /// 16 random bytes, used as the session id when this request logs in.
    pub nonce: [u8; 16],
    pub upstream: &'a dyn Upstream,
}

fn error(status: u16, message: impl AsRef<str>) -> Reply {
    Reply::error(status, message).with_header("cache-control", "no-store")
}

fn redirect(location: &str) -> Reply {
    Reply::error(302, "redirect").with_header("location", location).with_header("cache-control", "no-store")
}

fn html_page(body: String) -> Reply {
    Reply::new(200, "text/html; charset=utf-8", body)
        .with_header("cache-control", "no-store")
        .with_header(
            "content-security-policy",
            "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        .with_header("x-frame-options", "DENY")
}

/// The login form, with `message` (plain text) above it when not empty.
fn login_page(message: &str) -> String {
    let error = if message.is_empty() {
        String::new()
    } else {
        format!("<p class=\"cr-error\" role=\"alert\">{}</p>", html_escape(message))
    };
    LOGIN_HTML.replace("{{PREFIX}}", PREFIX).replace("{{ERROR}}", &error)
}

fn session_cookie(token: &str, max_age: u64) -> String {
    format!("{COOKIE_NAME}={token}; Max-Age={max_age}; Path={PREFIX}; HttpOnly; Secure; SameSite=Strict")
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// The query parameters, followed for a form-encoded POST by the body's fields.
fn params(request: &Request) -> Query {
    let mut raw = request.query.clone();
    let form = request
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if request.method == "POST" && form {
        raw.push('&');
        raw.push_str(&String::from_utf8_lossy(&request.body));
    }
    Query::parse(&raw)
}

/// Form encoding of one query component (unreserved characters kept).
fn form_encode(text: &str, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The authority and the host of `scheme://host[:port]/…`, lowercase (for keeping them out of answers).
fn url_authority(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| (authority.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

impl ControlRoom<'_> {
    /// Handles `/<prefix>/cr…`; other paths answer 404.
    pub fn handle(&self, request: &Request) -> Reply {
        if self.config.secret.is_empty() {
            return error(404, "the control room is disabled: no cr_secret is configured");
        }
        if self.config.secret.len() < MIN_SECRET_LEN {
            return error(404, format!("the control room is disabled: cr_secret must have at least {MIN_SECRET_LEN} characters"));
        }
        let rest = request.path.strip_prefix(PREFIX).and_then(|r| r.strip_prefix("/cr")).unwrap_or("-");
        match rest.trim_end_matches('/') {
            "" => self.index(request),
            "/login" => self.login(request),
            "/logout" => self.logout(request),
            "/exe" => self.exe(request),
            _ => error(404, "not found"),
        }
    }

    fn sessions(&self) -> Sessions<'_> {
        Sessions::new(&self.config.secret)
    }

    fn session(&self, request: &Request) -> Option<Session> {
        let token = cookie(request, COOKIE_NAME)?;
        self.sessions().verify(token, self.now_s, &self.config.users)
    }

    /// The CSRF token of the request: form or query field `csrf`, or header `x-csrf-token`.
    fn csrf_ok(&self, session: &Session, request: &Request, params: &Query) -> bool {
        let given = request.header("x-csrf-token").or_else(|| params.get("csrf")).unwrap_or("");
        self.sessions().check_csrf(session, given)
    }

    fn index(&self, request: &Request) -> Reply {
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return error(405, "method not allowed");
        }
        let Some(session) = self.session(request) else {
            return redirect(&format!("{PREFIX}/cr/login/"));
        };
        let page = CR_HTML
            .replace("{{PREFIX}}", PREFIX)
            .replace("{{USER}}", &html_escape(&session.user))
            .replace("{{CSRF}}", &self.sessions().csrf_token(&session));
        html_page(page)
    }

    fn login(&self, request: &Request) -> Reply {
        match request.method.as_str() {
            "GET" | "HEAD" => html_page(login_page("")),
            "POST" => {
                if request.body.len() > MAX_FORM_BYTES {
                    return error(413, "login form too large");
                }
                let form = params(request);
                let user = form.get("username").or_else(|| form.get("user")).unwrap_or("");
                let password = form.get("password").unwrap_or("");
                if !self.sessions().check_password(&self.config.users, user, password) {
                    const WRONG: &str = "wrong user name or password";
                    // A browser's form post gets the form again with the message; other clients the JSON error.
                    let browser = request.header("accept").is_some_and(|a| a.contains("text/html"));
                    if browser {
                        let mut page = html_page(login_page(WRONG));
                        page.status = 401;
                        return page;
                    }
                    return error(401, WRONG);
                }
                let token = self.sessions().issue(user, self.now_s, self.nonce);
                redirect(&format!("{PREFIX}/cr/")).with_header("set-cookie", session_cookie(&token, SESSION_LIFETIME_S))
            }
            _ => error(405, "method not allowed"),
        }
    }

    fn logout(&self, request: &Request) -> Reply {
        if !matches!(request.method.as_str(), "GET" | "POST") {
            return error(405, "method not allowed");
        }
        let clear = session_cookie("", 0);
        let Some(session) = self.session(request) else {
            return redirect(&format!("{PREFIX}/cr/login/")).with_header("set-cookie", clear);
        };
        if !self.csrf_ok(&session, request, &params(request)) {
            return error(403, "missing or wrong CSRF token");
        }
        redirect(&format!("{PREFIX}/")).with_header("set-cookie", clear)
    }

    fn exe(&self, request: &Request) -> Reply {
        if !matches!(request.method.as_str(), "GET" | "POST") {
            return error(405, "method not allowed");
        }
        let Some(session) = self.session(request) else {
            return error(401, "not logged in to the control room");
        };
        let params = params(request);
        let Some(what) = params.get("what").filter(|w| !w.is_empty()) else {
            return error(400, "what is required");
        };
        let changes = CHANGE_ACTIONS.contains(&what);
        if !changes && !READ_ACTIONS.contains(&what) && !LOG_ACTIONS.contains(&what) && what != RUN_KEYS_ACTION {
            let shown: String = self.sanitizer.clean_text(what).chars().take(80).collect();
            return error(404, format!("{shown} is not supported"));
        }
        if changes {
            if request.method != "POST" {
                return error(405, format!("{what} changes something: send it as a POST with the CSRF token"));
            }
            if !self.csrf_ok(&session, request, &params) {
                return error(403, "missing or wrong CSRF token");
            }
        }
        if what == RUN_KEYS_ACTION {
            let keys: Vec<&str> =
                self.config.simulator_run_keys.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
            return Reply::json(200, &json!(keys)).with_header("cache-control", "no-store");
        }
        let answer = match self.forward(&params) {
            Ok(answer) => answer,
            Err(reply) => return reply,
        };
        let body = if LOG_ACTIONS.contains(&what) {
            let Value::Array(items) = answer else {
                return error(502, "fff_dqmtools answered logs that are not a list");
            };
            let logs: Vec<Value> = items
                .into_iter()
                .filter(|item| !matches!(item, Value::Null) && item.as_str() != Some(""))
                .map(|item| match item {
                    Value::String(text) => Value::String(self.clean(&text)),
                    other => Value::String(self.clean(&other.to_string())),
                })
                .collect();
            json!({ "what": what, "logs": logs })
        } else {
            self.clean_value(answer)
        };
        Reply::json(200, &body).with_header("cache-control", "no-store")
    }

    /// GET `<upstream>/cr/exe?<params without csrf>` with the secret cookie; the parsed JSON answer or the
    /// error reply (502/503/504). A redirect or a non-JSON body is an error (spec §11a).
    fn forward(&self, params: &Query) -> Result<Value, Reply> {
        let base = self.config.upstream.trim_end_matches('/');
        if base.is_empty() {
            return Err(error(503, "fff_dqmtools is not configured (fff_cr_origin)"));
        }
        let mut url = format!("{base}/cr/exe?");
        let mut first = true;
        for (key, value) in params.pairs().iter().filter(|(k, _)| k != "csrf") {
            if !first {
                url.push('&');
            }
            first = false;
            form_encode(key, &mut url);
            url.push('=');
            form_encode(value, &mut url);
        }
        let cookie = format!("{}={}", self.config.fff_secret_name, self.config.fff_secret.trim());
        let reply = match self.upstream.get(&url, &cookie, self.config.timeout) {
            Ok(reply) => reply,
            Err(UpstreamError::Timeout) => return Err(error(504, "fff_dqmtools did not answer in time")),
            Err(UpstreamError::Denied) => {
                return Err(error(502, "the outbound request to fff_dqmtools was denied (allowed_outbound_hosts)"))
            }
            Err(UpstreamError::Failed) => return Err(error(502, "fff_dqmtools could not be reached")),
        };
        match reply.status {
            200..=299 => {}
            300..=399 => {
                return Err(error(502, "fff_dqmtools answered with a redirect (is fff_secret or the certificate wrong?)"))
            }
            status => return Err(error(502, format!("fff_dqmtools answered HTTP {status}"))),
        }
        serde_json::from_slice(&reply.body).map_err(|_| error(502, "fff_dqmtools answered something that is not JSON"))
    }

    /// Free text as served: the sanitiser's rules, then the secret cookie value and the upstream host
    /// removed in case the upstream echoed them.
    fn clean(&self, text: &str) -> String {
        let mut text = self.sanitizer.clean_text(text);
        let secret = self.config.fff_secret.trim();
        if !secret.is_empty() {
            text = text.replace(secret, "<redacted>");
        }
        if let Some((authority, host)) = url_authority(&self.config.upstream) {
            // The authority first, so its port goes with it.
            for name in [authority, host] {
                if text.to_ascii_lowercase().contains(&name) {
                    text = replace_ignore_case(&text, &name, "<upstream>");
                }
            }
        }
        text
    }

    fn clean_value(&self, value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.clean(&text)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.clean_value(v)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (self.clean(&k), self.clean_value(v))).collect()),
            other => other,
        }
    }
}

/// `text` with every ASCII-case-insensitive occurrence of `needle` (lowercase ASCII) replaced.
fn replace_ignore_case(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in lower.match_indices(needle) {
        out.push_str(&text[last..start]);
        out.push_str(with);
        last = start + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    const SECRET: &str = "a-control-room-secret-for-tests";
    const NOW: u64 = 1_700_000_000;

    struct FakeUpstream {
        answer: Result<UpstreamReply, UpstreamError>,
        calls: RefCell<Vec<(String, String)>>,
    }

    impl Upstream for FakeUpstream {
        fn get(&self, url: &str, cookie: &str, _timeout: Duration) -> Result<UpstreamReply, UpstreamError> {
            self.calls.borrow_mut().push((url.to_owned(), cookie.to_owned()));
            self.answer.clone()
        }
    }

    fn upstream(status: u16, body: &str) -> FakeUpstream {
        FakeUpstream { answer: Ok(UpstreamReply { status, body: body.into() }), calls: RefCell::new(Vec::new()) }
    }

    fn config() -> CrConfig {
        CrConfig {
            users: session::parse_users("shifter:p4ss;expert:s3cret"),
            secret: SECRET.into(),
            fff_secret_name: DEFAULT_FFF_SECRET_NAME.into(),
            fff_secret: "the-fff-cookie-value".into(),
            upstream: "https://fff.example.org:9215/dqm/dqm-square-origin".into(),
            simulator_run_keys: DEFAULT_SIMULATOR_RUN_KEYS.into(),
            timeout: Duration::from_secs(5),
        }
    }

    fn run(config: &CrConfig, up: &FakeUpstream, request: &Request) -> Reply {
        let sanitizer = Sanitizer::new(["dqmfu-c2b01-45-01"]);
        ControlRoom { config, sanitizer: &sanitizer, now_s: NOW, nonce: [9; 16], upstream: up }.handle(request)
    }

    fn with_cookie(mut request: Request, token: &str) -> Request {
        request.headers.push(("cookie".into(), format!("other=1; {COOKIE_NAME}={token}")));
        request
    }

    fn post(path_and_query: &str, form: &str) -> Request {
        let mut request = Request::get(path_and_query);
        request.method = "POST".into();
        request.headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        request.body = form.as_bytes().to_vec();
        request
    }

    fn message(reply: &Reply) -> String {
        let value: Value = serde_json::from_slice(&reply.body).expect("JSON body");
        value["message"].as_str().expect("message").to_owned()
    }

    /// Logs in and returns the session token and its CSRF token.
    fn login(config: &CrConfig) -> (String, String) {
        let reply = run(config, &upstream(200, "{}"), &post("/dqm/dqm-square/cr/login/", "username=shifter&password=p4ss"));
        assert_eq!(reply.status, 302);
        assert_eq!(reply.header("location"), Some("/dqm/dqm-square/cr/"));
        let cookie = reply.header("set-cookie").expect("cookie").to_owned();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dqm/dqm-square;", "Max-Age=86400"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        let sessions = Sessions::new(&config.secret);
        let session = sessions.verify(&token, NOW, &config.users).expect("issued token verifies");
        (token, sessions.csrf_token(&session))
    }

    #[test]
    fn disabled_without_a_secret() {
        for secret in ["", "short"] {
            let config = CrConfig { secret: secret.into(), ..config() };
            for path in ["/dqm/dqm-square/cr/", "/dqm/dqm-square/cr/login/", "/dqm/dqm-square/cr/exe?what=get_dqm_machines"] {
                let reply = run(&config, &upstream(200, "{}"), &Request::get(path));
                assert_eq!(reply.status, 404, "{path}");
                assert!(message(&reply).contains("disabled"));
                assert_eq!(reply.header("location"), None);
            }
        }
    }

    #[test]
    fn the_page_needs_a_session() {
        let config = config();
        let up = upstream(200, "{}");
        for path in ["/dqm/dqm-square/cr", "/dqm/dqm-square/cr/"] {
            let reply = run(&config, &up, &Request::get(path));
            assert_eq!((reply.status, reply.header("location")), (302, Some("/dqm/dqm-square/cr/login/")), "{path}");
        }
        let login_page = run(&config, &up, &Request::get("/dqm/dqm-square/cr/login/"));
        assert_eq!(login_page.status, 200);
        let html = String::from_utf8(login_page.body).unwrap();
        assert!(html.contains(r#"action="/dqm/dqm-square/cr/login/""#) && !html.contains("{{"));
        let (token, csrf) = login(&config);
        let page = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/"), &token));
        assert_eq!(page.status, 200);
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains(&csrf) && html.contains("shifter") && !html.contains("{{"));
        assert!(!html.contains("<script>"), "no inline script (CSP)");
        // The original's forgeable cookie value (the user name) is no session.
        let forged = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/"), "shifter"));
        assert_eq!(forged.status, 302);
        assert_eq!(run(&config, &up, &Request::get("/dqm/dqm-square/cr/else")).status, 404);
        assert_eq!(run(&config, &up, &Request::get("/dqm/dqm-square/cr/cinder/dqmsquare/log/x.log")).status, 404);
    }

    #[test]
    fn a_wrong_password_is_401() {
        let config = config();
        for form in ["username=shifter&password=nope", "username=shifter", "username=nobody&password=p4ss", "", "user=expert&password=p4ss"] {
            let reply = run(&config, &upstream(200, "{}"), &post("/dqm/dqm-square/cr/login/", form));
            assert_eq!(reply.status, 401, "{form}");
            assert_eq!(reply.header("set-cookie"), None);
            assert_eq!(message(&reply), "wrong user name or password");
        }
        let reply = run(&config, &upstream(200, "{}"), &post("/dqm/dqm-square/cr/login/", "user=expert&password=s3cret"));
        assert_eq!(reply.status, 302);
        // A browser's form post gets the form back with the message (and no session either).
        let mut from_browser = post("/dqm/dqm-square/cr/login/", "username=shifter&password=nope");
        from_browser.headers.push(("accept".into(), "text/html,application/xhtml+xml;q=0.9".into()));
        let reply = run(&config, &upstream(200, "{}"), &from_browser);
        assert_eq!((reply.status, reply.header("set-cookie")), (401, None));
        let page = String::from_utf8(reply.body.clone()).unwrap();
        assert!(page.contains(r#"<p class="cr-error" role="alert">wrong user name or password</p>"#), "{page}");
        assert!(page.contains(r#"name="password""#) && reply.header("content-security-policy").is_some());
        let form = run(&config, &upstream(200, "{}"), &Request::get("/dqm/dqm-square/cr/login/"));
        let form = String::from_utf8(form.body).unwrap();
        assert!(!form.contains("cr-error") && !form.contains("{{"), "{form}");
        let huge = "password=".to_owned() + &"x".repeat(MAX_FORM_BYTES);
        assert_eq!(run(&config, &upstream(200, "{}"), &post("/dqm/dqm-square/cr/login/", &huge)).status, 413);
    }

    #[test]
    fn logout_needs_the_csrf_token() {
        let config = config();
        let up = upstream(200, "{}");
        let (token, csrf) = login(&config);
        for request in [
            with_cookie(post("/dqm/dqm-square/cr/logout/", ""), &token),
            with_cookie(post("/dqm/dqm-square/cr/logout/", "csrf=0123"), &token),
            with_cookie(Request::get("/dqm/dqm-square/cr/logout/"), &token),
        ] {
            let reply = run(&config, &up, &request);
            assert_eq!(reply.status, 403);
            assert_eq!(message(&reply), "missing or wrong CSRF token");
        }
        let reply = run(&config, &up, &with_cookie(post("/dqm/dqm-square/cr/logout/", &format!("csrf={csrf}")), &token));
        assert_eq!((reply.status, reply.header("location")), (302, Some("/dqm/dqm-square/")));
        assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));
        let mut by_header = with_cookie(Request::get("/dqm/dqm-square/cr/logout"), &token);
        by_header.headers.push(("x-csrf-token".into(), csrf));
        assert_eq!(run(&config, &up, &by_header).status, 302);
    }

    #[test]
    fn exe_forwards_with_the_secret_cookie_and_sanitises() {
        let config = config();
        let (token, csrf) = login(&config);
        let up = upstream(200, r#"{"playback": ["dqmfu-c2b01-45-01", "fff.example.org", "x the-fff-cookie-value"]}"#);
        let reply = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_dqm_machines&cluster=playback"), &token));
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        let calls = up.calls.borrow().clone();
        assert_eq!(
            calls,
            vec![(
                "https://fff.example.org:9215/dqm/dqm-square-origin/cr/exe?what=get_dqm_machines&cluster=playback".to_owned(),
                "selenium-secret-secret=the-fff-cookie-value".to_owned()
            )]
        );
        let body = String::from_utf8(reply.body).unwrap();
        assert!(!body.contains("the-fff-cookie-value") && !body.contains("fff.example.org") && !body.contains("c2b01-45"), "{body}");
        let up = upstream(200, r#"{"debug": "served by FFF.example.org:9215 and fff.example.org"}"#);
        let reply = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_cmssw_info"), &token));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["debug"], "served by <upstream> and <upstream>");
        // A change needs POST and the CSRF token, which is not forwarded.
        let up = upstream(200, r#""ok""#);
        let get = with_cookie(Request::get(&format!("/dqm/dqm-square/cr/exe?what=restart_hltd&csrf={csrf}")), &token);
        assert_eq!(run(&config, &up, &get).status, 405);
        for form in ["what=restart_hltd", "what=restart_hltd&csrf=00"] {
            let reply = run(&config, &up, &with_cookie(post("/dqm/dqm-square/cr/exe", form), &token));
            assert_eq!(reply.status, 403, "{form}");
        }
        assert!(up.calls.borrow().is_empty(), "nothing was forwarded without the token");
        let reply = run(&config, &up, &with_cookie(post("/dqm/dqm-square/cr/exe", &format!("what=restart_hltd&csrf={csrf}&cluster=a b")), &token));
        assert_eq!(reply.status, 200);
        assert!(up.calls.borrow()[0].0.ends_with("/cr/exe?what=restart_hltd&cluster=a%20b"), "{:?}", up.calls.borrow());
    }

    #[test]
    fn exe_errors() {
        let config = config();
        let (token, _) = login(&config);
        let exe = |up: &FakeUpstream, query: &str| {
            run(&config, up, &with_cookie(Request::get(&format!("/dqm/dqm-square/cr/exe?{query}")), &token))
        };
        assert_eq!(run(&config, &upstream(200, "{}"), &Request::get("/dqm/dqm-square/cr/exe?what=get_dqm_machines")).status, 401);
        assert_eq!(exe(&upstream(200, "{}"), "").status, 400);
        let unknown = exe(&upstream(200, "{}"), "what=drop_everything");
        assert_eq!((unknown.status, message(&unknown).as_str()), (404, "drop_everything is not supported"));
        for (up, status) in [
            (upstream(302, ""), 502),
            (upstream(200, "<html>login</html>"), 502),
            (upstream(500, "{}"), 502),
            (FakeUpstream { answer: Err(UpstreamError::Timeout), calls: RefCell::default() }, 504),
            (FakeUpstream { answer: Err(UpstreamError::Failed), calls: RefCell::default() }, 502),
            (FakeUpstream { answer: Err(UpstreamError::Denied), calls: RefCell::default() }, 502),
        ] {
            let reply = exe(&up, "what=get_cmssw_info");
            assert_eq!(reply.status, status);
            let text = message(&reply);
            assert!(!text.contains("fff.example.org") && !text.contains("cookie-value"), "{text}");
        }
        let not_configured = CrConfig { upstream: String::new(), ..config.clone() };
        let reply = run(&not_configured, &upstream(200, "{}"), &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_cmssw_info"), &token));
        assert_eq!(reply.status, 503);
    }

    #[test]
    fn run_keys_are_local_and_logs_come_back_sanitised() {
        let config = config();
        let (token, _) = login(&config);
        let up = upstream(500, "");
        let reply = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_simulator_run_keys"), &token));
        assert_eq!(serde_json::from_slice::<Value>(&reply.body).unwrap(), json!(["cosmic_run", "pp_run", "hi_run"]));
        assert!(up.calls.borrow().is_empty());
        let up = upstream(200, r#"["started on dqmfu-c2b01-45-01.cms by someone@cern.ch", "", "second"]"#);
        let reply = run(&config, &up, &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_hltd_logs"), &token));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["what"], "get_hltd_logs");
        let logs = body["logs"].as_array().unwrap();
        assert_eq!(logs.len(), 2);
        let first = logs[0].as_str().unwrap();
        assert!(!first.contains("c2b01-45-01") && !first.contains("someone@cern.ch"), "{first}");
        let not_a_list = run(&config, &upstream(200, "{}"), &with_cookie(Request::get("/dqm/dqm-square/cr/exe?what=get_fff_logs"), &token));
        assert_eq!(not_a_list.status, 502);
    }

    #[test]
    fn url_authorities() {
        let pair = |a: &str, h: &str| Some((a.to_owned(), h.to_owned()));
        assert_eq!(url_authority("https://Fff.example.org:9215/x"), pair("fff.example.org:9215", "fff.example.org"));
        assert_eq!(url_authority("https://[::1]:9/x"), pair("[::1]:9", "::1"));
        assert_eq!(url_authority("nonsense"), None);
        assert_eq!(replace_ignore_case("a LocalHost b localhost", "localhost", "<u>"), "a <u> b <u>");
    }
}
