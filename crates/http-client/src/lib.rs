//! One blocking HTTPS client for scraper-host's upstreams: rustls, a PEM client certificate, a custom CA,
//! timeouts, bounded retries with exponential backoff and a response size cap.
//!
//! [`Client::send`] answers the 2xx body or an [`Error`]; [`Client::exchange`] answers any final status
//! with its body, so a caller can show what the server said about a 4xx ([`Reply::message`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// How the client connects, waits and retries.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// PEM client certificate chain (cmsweb's `USERCRT`).
    pub cert: Option<PathBuf>,
    /// PEM private key of the client certificate (`USERKEY`).
    pub key: Option<PathBuf>,
    /// PEM CA bundle that replaces the built-in web roots.
    pub ca: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// Whole-request timeout unless a call gives its own.
    pub timeout: Duration,
    /// Extra attempts after the first, for connect errors, timeouts and 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled for every further one.
    pub backoff: Duration,
    /// Largest response body accepted, bytes.
    pub max_body: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            cert: None,
            key: None,
            ca: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(90),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_body: 256 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Certificates, keys or URLs that cannot be used.
    Config(String),
    Timeout,
    /// A non-2xx answer (after retries, for 5xx).
    Status(u16),
    /// The body is larger than `max_body`.
    TooLarge(u64),
    Transport(String),
    /// A 2xx body that is not the expected JSON.
    Json(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m) => write!(f, "http client configuration: {m}"),
            Error::Timeout => f.write_str("timed out"),
            Error::Status(code) => write!(f, "HTTP {code}"),
            Error::TooLarge(limit) => write!(f, "response body larger than {limit} bytes"),
            Error::Transport(m) => write!(f, "transport: {m}"),
            Error::Json(m) => write!(f, "bad JSON answer: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Worth another attempt: the server may answer next time.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Timeout | Error::Transport(_)) || matches!(self, Error::Status(code) if *code >= 500)
    }
}

/// A blocking client; cheap to share between threads (`&Client` is `Sync`).
pub struct Client {
    agent: ureq::Agent,
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let mut tls = TlsConfig::builder();
        match (&config.cert, &config.key) {
            (Some(cert), Some(key)) => tls = tls.client_cert(Some(client_cert(cert, key)?)),
            (None, None) => {}
            _ => return Err(Error::Config("a client certificate needs both cert and key".into())),
        }
        if let Some(ca) = &config.ca {
            let certs = read_certs(ca)?;
            if certs.is_empty() {
                return Err(Error::Config(format!("{}: no certificates", ca.display())));
            }
            tls = tls.root_certs(RootCerts::Specific(Arc::new(certs)));
        }
        let agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .max_redirects(0)
            .build()
            .new_agent();
        Ok(Client { agent, config })
    }

    /// Sends one request, retrying transient failures with backoff, and returns the 2xx body.
    pub fn send(&self, request: &Request) -> Result<Vec<u8>, Error> {
        self.exchange(request)?.into_body()
    }

    /// Sends one request, retrying transport failures, timeouts and 5xx with backoff, and returns the
    /// final answer whatever its status, body included (a 5xx that outlasted the retries too).
    pub fn exchange(&self, request: &Request) -> Result<Reply, Error> {
        let mut wait = self.config.backoff;
        let mut attempt = 0;
        loop {
            let outcome = self.send_once(request);
            let transient = match &outcome {
                Ok(reply) => reply.status >= 500,
                Err(e) => e.is_transient(),
            };
            if !transient || attempt >= self.config.retries {
                return outcome;
            }
            attempt += 1;
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2);
        }
    }

    fn send_once(&self, request: &Request) -> Result<Reply, Error> {
        let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let http_request = builder.body(request.body.clone().unwrap_or_default()).map_err(|e| Error::Config(e.to_string()))?;
        let timeout = request.timeout.unwrap_or(self.config.timeout);
        let http_request = self.agent.configure_request(http_request).timeout_global(Some(timeout)).build();
        let mut response = self.agent.run(http_request).map_err(map_error)?;
        let status = response.status().as_u16();
        let body = response.body_mut().with_config().limit(self.config.max_body).read_to_vec();
        match body {
            Ok(body) => Ok(Reply { status, body }),
            // An error answer whose body cannot be read is still that error.
            Err(_) if !(200..300).contains(&status) => Ok(Reply { status, body: Vec::new() }),
            Err(e) => Err(map_error(e)),
        }
    }

    pub fn get(&self, url: &str) -> Result<Vec<u8>, Error> {
        self.send(&Request::new("GET", url))
    }

    pub fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        parse_json(&self.get(url)?)
    }

    pub fn post_json<T: DeserializeOwned>(&self, url: &str, body: &serde_json::Value) -> Result<T, Error> {
        let request = Request::new("POST", url).json_body(body);
        parse_json(&self.send(&request)?)
    }
}

/// A final answer: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body of a 2xx answer, else [`Error::Status`].
    pub fn into_body(self) -> Result<Vec<u8>, Error> {
        if self.is_success() {
            Ok(self.body)
        } else {
            Err(Error::Status(self.status))
        }
    }

    /// What the server said: the `message`, `error` or `msg` of a JSON object body, else the body text
    /// (at most 300 characters); `None` for an empty body.
    pub fn message(&self) -> Option<String> {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&self.body) {
            let said = ["message", "error", "msg"].iter().find_map(|k| map.get(*k).and_then(|v| v.as_str()));
            if let Some(said) = said {
                return Some(said.to_owned());
            }
        }
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        (!text.is_empty()).then(|| text.chars().take(300).collect())
    }

    /// `HTTP <status>: <message>` (or `HTTP <status>`), for logs and error messages.
    pub fn describe(&self) -> String {
        match self.message() {
            Some(message) => format!("HTTP {}: {message}", self.status),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// One request: method, absolute URL, headers, optional body and timeout.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout: Option<Duration>,
}

impl Request {
    pub fn new(method: &str, url: &str) -> Request {
        Request { method: method.to_owned(), url: url.to_owned(), ..Request::default() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Request {
        self.body = Some(body);
        self
    }

    pub fn json_body(self, value: &serde_json::Value) -> Request {
        self.header("Content-Type", "application/json").body(value.to_string().into_bytes())
    }

    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Json(e.to_string()))
}

fn map_error(error: ureq::Error) -> Error {
    match error {
        ureq::Error::Timeout(_) => Error::Timeout,
        ureq::Error::Io(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => Error::Timeout,
        ureq::Error::BodyExceedsLimit(limit) => Error::TooLarge(limit),
        ureq::Error::BadUri(m) => Error::Config(format!("bad URL: {m}")),
        other => Error::Transport(other.to_string()),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))
}

fn read_certs(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let bytes = read(path)?;
    let mut certs = Vec::new();
    for item in parse_pem(&bytes) {
        if let PemItem::Certificate(cert) = item.map_err(|e| Error::Config(format!("{}: {e}", path.display())))? {
            certs.push(cert);
        }
    }
    Ok(certs)
}

fn client_cert(cert: &Path, key: &Path) -> Result<ClientCert, Error> {
    let chain = read_certs(cert)?;
    if chain.is_empty() {
        return Err(Error::Config(format!("{}: no certificates", cert.display())));
    }
    let key = PrivateKey::from_pem(&read(key)?).map_err(|e| Error::Config(format!("{}: {e}", key.display())))?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

#[cfg(test)]
mod tests;
