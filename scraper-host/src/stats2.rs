//! `scraper-host stats2`: the Stats2 poller. Runs `stats2::sync::run_pass` on a schedule, the queued
//! `/api/update` requests often, and the callback queue when targets are configured, against cmsweb over
//! `http-client` (client certificate, CA bundle, timeouts, retries).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_client::{Client, ClientConfig, Request};
use stats2::callbacks::{self, CallbackConfig, CallbackHttp, Credentials, Target, TokenCache};
use stats2::sync::{run_pass, PassOptions};
use stats2::update_queue::process_update_requests;
use stats2::upstream::{Call, Service, Upstream, UpstreamError};

use crate::args::{failed, usage, Failure, Global};
use crate::stores;

const DEFAULT_CMSWEB: &str = "https://cmsweb.cern.ch";
const DEFAULT_DBS: &str = "https://cmsweb-prod.cern.ch:8443";

/// Everything `stats2` is told on the command line or in the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub once: bool,
    /// Seconds between sync passes.
    pub interval: u64,
    /// Seconds between looks at the `/api/update` queue (and the callback queue).
    pub update_every: u64,
    pub store: String,
    pub reqmgr: String,
    pub wmstats: String,
    pub dbs: String,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub ca: Option<String>,
    /// Overrides every call's own timeout (90 s, WMStats 600 s) when set.
    pub timeout: Option<u64>,
    pub retries: u32,
    /// Concurrent requests of one batch.
    pub workers: usize,
    pub targets: Vec<Target>,
    /// Callback and token URLs and the callback back-off.
    pub callbacks: CallbackConfig,
}

impl Options {
    pub fn parse(words: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, Failure> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let mut options = Options {
            once: false,
            interval: 600,
            update_every: 10,
            store: "default".into(),
            reqmgr: env("STATS2_REQMGR_URL").unwrap_or_else(|| DEFAULT_CMSWEB.into()),
            wmstats: env("STATS2_WMSTATS_URL").unwrap_or_else(|| DEFAULT_CMSWEB.into()),
            dbs: env("STATS2_DBS_URL").unwrap_or_else(|| DEFAULT_DBS.into()),
            cert: env("USERCRT"),
            key: env("USERKEY"),
            ca: env("STATS2_CA_BUNDLE"),
            timeout: None,
            retries: 3,
            workers: 8,
            targets: Vec::new(),
            callbacks: CallbackConfig::default(),
        };
        if let Some(url) = env("STATS2_CALLBACK_PROD_URL") {
            options.callbacks.prod_url = url;
        }
        if let Some(url) = env("STATS2_CALLBACK_DEV_URL") {
            options.callbacks.dev_url = url;
        }
        if let Some(url) = env("STATS2_TOKEN_URL") {
            options.callbacks.token_url = url;
        }
        let mut words = words.iter();
        while let Some(word) = words.next() {
            let mut value = |name: &str| words.next().cloned().ok_or_else(|| usage(format!("{name} needs a value")));
            let number = |name: &str, text: String| text.parse::<u64>().map_err(|_| usage(format!("{name} needs a number, not {text:?}")));
            match word.as_str() {
                "--once" => options.once = true,
                "--trigger-prod" => options.targets.push(Target::Prod),
                "--trigger-dev" => options.targets.push(Target::Dev),
                "--interval" => options.interval = number("--interval", value("--interval")?)?.max(1),
                "--update-every" => options.update_every = number("--update-every", value("--update-every")?)?.max(1),
                "--timeout" => options.timeout = Some(number("--timeout", value("--timeout")?)?.max(1)),
                "--retries" => options.retries = number("--retries", value("--retries")?)?.min(10) as u32,
                "--workers" => options.workers = number("--workers", value("--workers")?)?.clamp(1, 64) as usize,
                "--store" => options.store = value("--store")?,
                "--reqmgr" => options.reqmgr = value("--reqmgr")?,
                "--wmstats" => options.wmstats = value("--wmstats")?,
                "--dbs" => options.dbs = value("--dbs")?,
                "--cert" => options.cert = Some(value("--cert")?),
                "--key" => options.key = Some(value("--key")?),
                "--ca" => options.ca = Some(value("--ca")?),
                "--callback-prod" => options.callbacks.prod_url = value("--callback-prod")?,
                "--callback-dev" => options.callbacks.dev_url = value("--callback-dev")?,
                "--token-url" => options.callbacks.token_url = value("--token-url")?,
                "--callback-backoff" => options.callbacks.backoff_secs = number("--callback-backoff", value("--callback-backoff")?)?.clamp(1, 3600) as i64,
                other => return Err(usage(format!("unknown stats2 option {other:?}"))),
            }
        }
        let callbacks = &mut options.callbacks;
        for url in [&mut options.reqmgr, &mut options.wmstats, &mut options.dbs, &mut callbacks.prod_url, &mut callbacks.dev_url, &mut callbacks.token_url] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(usage(format!("upstream URL {url:?} must start with http:// or https://")));
            }
            while url.ends_with('/') {
                url.pop();
            }
        }
        Ok(options)
    }

    fn client(&self) -> Result<Client, Failure> {
        self.client_with_retries(self.retries)
    }

    fn client_with_retries(&self, retries: u32) -> Result<Client, Failure> {
        let config = ClientConfig {
            cert: self.cert.as_ref().map(Into::into),
            key: self.key.as_ref().map(Into::into),
            ca: self.ca.as_ref().map(Into::into),
            retries,
            backoff: Duration::from_secs(1),
            ..ClientConfig::default()
        };
        Client::new(config).map_err(failed)
    }
}

/// cmsweb over HTTPS: each [`Call`] goes to the base URL of its service.
pub struct HttpUpstream {
    pub client: Client,
    pub options: Options,
}

impl HttpUpstream {
    pub fn url(&self, call: &Call) -> String {
        let base = match (call.service(), call) {
            (_, Call::WmstatsActive) => &self.options.wmstats,
            (Service::Cmsweb, _) => &self.options.reqmgr,
            (Service::Dbs, _) => &self.options.dbs,
        };
        format!("{base}{}", call.path_and_query())
    }
}

impl Upstream for HttpUpstream {
    fn fetch(&self, call: &Call) -> Result<Vec<u8>, UpstreamError> {
        let timeout = self.options.timeout.unwrap_or_else(|| call.timeout_secs());
        let mut request = Request::new(call.method(), &self.url(call)).header("Accept", "application/json").timeout(Duration::from_secs(timeout));
        if let Some(body) = call.body() {
            request = request.header("Content-Type", "application/json").body(body);
        }
        self.client.send(&request).map_err(|e| match e {
            http_client::Error::Timeout => UpstreamError::Timeout,
            http_client::Error::Status(code) => UpstreamError::Status(code),
            other => UpstreamError::Transport(other.to_string()),
        })
    }

    /// Runs the calls on `workers` threads, answers in call order.
    fn fetch_many(&self, calls: &[Call]) -> Vec<Result<Vec<u8>, UpstreamError>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut answers: Vec<Option<Result<Vec<u8>, UpstreamError>>> = vec![None; calls.len()];
        let slots = std::sync::Mutex::new(&mut answers);
        std::thread::scope(|scope| {
            for _ in 0..self.options.workers.min(calls.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(call) = calls.get(i) else { break };
                    let answer = self.fetch(call);
                    slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(answer);
                });
            }
        });
        answers.into_iter().map(|a| a.unwrap_or_else(|| Err(UpstreamError::Transport("not fetched".into())))).collect()
    }
}

/// Callbacks and their token requests (20 s timeout). No HTTP-level retries: a failed callback stays in
/// the store queue and is retried there with its own back-off.
pub struct CallbackSender {
    pub client: Client,
}

impl CallbackHttp for CallbackSender {
    fn post_form(&self, url: &str, form: &str) -> Result<Vec<u8>, String> {
        let request = Request::new("POST", url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.as_bytes().to_vec())
            .timeout(Duration::from_secs(callbacks::TIMEOUT_SECS));
        self.client.send(&request).map_err(|e| e.to_string())
    }

    fn send(&self, method: &str, url: &str, headers: &[(&'static str, String)], body: Option<&[u8]>) -> Result<(), String> {
        let mut request = Request::new(method, url).timeout(Duration::from_secs(callbacks::TIMEOUT_SECS));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        // The receiver's own message helps whoever reads the log.
        match self.client.exchange(&request) {
            Ok(reply) if reply.is_success() => Ok(()),
            Ok(reply) => Err(reply.describe()),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn credentials() -> Credentials {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Credentials {
        client_id: var("CALLBACK_CLIENT_ID"),
        client_secret: var("CALLBACK_CLIENT_SECRET"),
        application_client_id: var("APPLICATION_CLIENT_ID"),
        dev_application_client_id: var("DEV_APPLICATION_CLIENT_ID"),
    }
}

pub fn run(global: &Global, words: &[String]) -> Result<(), Failure> {
    let options = Options::parse(words, |name| std::env::var(name).ok())?;
    let store = stores::open(global)?.get(&options.store).ok_or_else(|| failed(format!("no store {:?} in the runtime config", options.store)))?;
    let upstream = HttpUpstream { client: options.client()?, options: options.clone() };
    let sender = CallbackSender { client: options.client_with_retries(0)? };
    let credentials = credentials();
    let mut tokens = TokenCache::default();
    let mut next_pass = Instant::now();
    loop {
        let pass_options = PassOptions { now: unix_now(), callback_targets: options.targets.clone() };
        match process_update_requests(&*store, &upstream, &pass_options) {
            Ok(outcomes) => {
                for (name, outcome) in outcomes {
                    match outcome {
                        Ok(report) => eprintln!("stats2: update {name}: updated={} appended={}", report.updated, report.appended),
                        Err(e) => eprintln!("stats2: update {name} failed: {e}"),
                    }
                }
            }
            Err(e) => eprintln!("stats2: reading the update queue: {e}"),
        }
        if Instant::now() >= next_pass {
            next_pass = Instant::now() + Duration::from_secs(options.interval);
            match run_pass(&*store, &upstream, &pass_options) {
                Ok(report) => {
                    let p = &report.progress;
                    eprintln!(
                        "stats2: pass done in {} ms: seen {} changed {} deleted {} failed {} ({} warnings), since {:?}",
                        p.elapsed_ms,
                        p.seen,
                        p.changed,
                        p.deleted,
                        p.failed,
                        report.warnings.len(),
                        p.since
                    );
                    for warning in report.warnings.iter().take(20) {
                        eprintln!("stats2:   {warning}");
                    }
                }
                Err(e) if options.once => return Err(failed(format!("stats2 pass failed: {e}"))),
                Err(e) => eprintln!("stats2: pass failed (the next one resumes from the last good since): {e}"),
            }
        }
        if !options.targets.is_empty() {
            match callbacks::send_due(&*store, &sender, &credentials, &options.callbacks, &mut tokens, unix_now()) {
                Ok(r) if r.sent + r.retrying + r.dropped > 0 => {
                    eprintln!("stats2: callbacks sent {} retrying {} dropped {}", r.sent, r.retrying, r.dropped);
                    for error in r.errors.iter().take(10) {
                        eprintln!("stats2:   {error}");
                    }
                }
                Ok(_) => {}
                Err(e) => eprintln!("stats2: callback queue: {e}"),
            }
        }
        if options.once {
            return Ok(());
        }
        let wait = next_pass.saturating_duration_since(Instant::now()).min(Duration::from_secs(options.update_every));
        std::thread::sleep(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str], env: &[(&str, &str)]) -> Result<Options, Failure> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        Options::parse(&words, |name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn options_come_from_flags_then_env_then_defaults() {
        let options = parse(&["--once", "--dbs", "http://dbs:1/", "--trigger-dev", "--workers", "2"], &[("USERCRT", "/c.pem"), ("STATS2_REQMGR_URL", "https://r")]).unwrap();
        assert!(options.once);
        assert_eq!(options.dbs, "http://dbs:1");
        assert_eq!(options.reqmgr, "https://r");
        assert_eq!(options.wmstats, DEFAULT_CMSWEB);
        assert_eq!(options.cert.as_deref(), Some("/c.pem"));
        assert_eq!(options.targets, [Target::Dev]);
        assert_eq!(options.workers, 2);
        assert_eq!(options.callbacks, CallbackConfig::default());
        let custom = parse(&["--callback-prod", "http://p/", "--callback-backoff", "2"], &[("STATS2_TOKEN_URL", "http://t/token"), ("STATS2_CALLBACK_DEV_URL", "http://d")]).unwrap();
        assert_eq!(custom.callbacks, CallbackConfig { prod_url: "http://p".into(), dev_url: "http://d".into(), token_url: "http://t/token".into(), backoff_secs: 2 });
        assert!(parse(&["--token-url", "auth.cern.ch"], &[]).is_err());
        assert!(parse(&["--interval"], &[]).is_err());
        assert!(parse(&["--interval", "soon"], &[]).is_err());
        assert!(parse(&["--dbs", "ftp://x"], &[]).is_err());
        assert!(parse(&["--bogus"], &[]).is_err());
    }

    #[test]
    fn calls_go_to_their_service() {
        let options = parse(&["--reqmgr", "http://r", "--wmstats", "http://w", "--dbs", "http://d"], &[]).unwrap();
        let upstream = HttpUpstream { client: Client::new(ClientConfig::default()).unwrap(), options };
        assert_eq!(upstream.url(&Call::Changes { since: "0".into() }), "http://r/couchdb/reqmgr_workload_cache/_changes?since=0");
        assert_eq!(upstream.url(&Call::WmstatsActive), "http://w/wmstatsserver/data/filtered_requests?mask=RequestName");
        assert!(upstream.url(&Call::DbsModifiedDatasets { min_ldate: 5 }).starts_with("http://d/dbs/prod/global/DBSReader/datasets?"));
    }

    #[test]
    fn fetch_many_answers_in_order_and_reports_failures() {
        // Nothing listens on this port: every call fails fast, in its own slot.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let options = parse(&["--reqmgr", &base, "--retries", "0", "--workers", "3"], &[]).unwrap();
        let upstream = HttpUpstream { client: options.client().unwrap(), options };
        let calls: Vec<Call> = (0..5).map(|i| Call::RequestDoc { name: format!("wf{i}") }).collect();
        let answers = upstream.fetch_many(&calls);
        assert_eq!(answers.len(), 5);
        assert!(answers.iter().all(|a| matches!(a, Err(UpstreamError::Transport(_)))));
    }
}
