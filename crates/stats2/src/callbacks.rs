//! Callbacks to McM, RelVal and ReReco (spec §9): which one a changed workflow gets, a queue in the store
//! with bounded back-off, and the bearer-token cache. Sending is the caller's job (HTTP lives in scraper-host);
//! where callbacks and token requests go is configured ([`CallbackConfig`]), the real hosts by default.

use crate::document::{request_type, Doc};
use crate::store::to_json;
use crate::upstream::encode;
use crate::{keys, Error};
use kv_api::{update_with_retry, KvStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Attempts before a callback is dropped (and logged by the caller).
pub const MAX_ATTEMPTS: u32 = 8;
pub const TOKEN_URL: &str = "https://auth.cern.ch/auth/realms/cern/api-access/token";
pub const TIMEOUT_SECS: u64 = 20;
/// The first retry waits this long; every further one twice as long, at most [`MAX_BACKOFF_SECS`].
pub const BACKOFF_SECS: i64 = 60;
pub const MAX_BACKOFF_SECS: i64 = 3600;

/// Where callbacks and token requests go, and how failed ones back off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackConfig {
    /// Base URL of the `--trigger-prod` services (McM, RelVal, ReReco).
    pub prod_url: String,
    /// Base URL of the `--trigger-dev` services.
    pub dev_url: String,
    pub token_url: String,
    pub backoff_secs: i64,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        CallbackConfig {
            prod_url: Target::Prod.host().into(),
            dev_url: Target::Dev.host().into(),
            token_url: TOKEN_URL.into(),
            backoff_secs: BACKOFF_SECS,
        }
    }
}

impl CallbackConfig {
    pub fn base_url(&self, target: Target) -> &str {
        match target {
            Target::Prod => &self.prod_url,
            Target::Dev => &self.dev_url,
        }
    }

    /// The wait after the `attempts`-th failure.
    pub fn backoff(&self, attempts: u32) -> i64 {
        self.backoff_secs.max(1).saturating_mul(1 << attempts.min(12)).min(MAX_BACKOFF_SECS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    Prod,
    Dev,
}

impl Target {
    /// The real service host (the default of [`CallbackConfig`]).
    pub fn host(self) -> &'static str {
        match self {
            Target::Prod => "https://cms-pdmv-prod.web.cern.ch",
            Target::Dev => "https://cms-pdmv-dev.web.cern.ch",
        }
    }
}

/// One service to tell that a workflow changed; the first matching rule of §9 wins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Notification {
    ReReco { prepid: String },
    RelVal { prepid: String },
    Mcm { workflow: String },
}

impl Notification {
    pub fn for_doc(name: &str, doc: &Doc) -> Notification {
        let prepid = doc
            .get("PrepID")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if request_type(doc).eq_ignore_ascii_case("rereco") || prepid.starts_with("ReReco-") {
            Notification::ReReco { prepid }
        } else if name.contains("RVCMSSW") {
            Notification::RelVal { prepid }
        } else {
            Notification::Mcm {
                workflow: name.to_owned(),
            }
        }
    }

    pub fn method(&self) -> &'static str {
        match self {
            Notification::Mcm { .. } => "GET",
            _ => "POST",
        }
    }

    /// The callback URL below a service base URL ([`CallbackConfig::base_url`]).
    pub fn url(&self, base: &str) -> String {
        let path = match self {
            Notification::ReReco { .. } => "/rereco/api/requests/update_workflows".to_owned(),
            Notification::RelVal { .. } => "/relval/api/relvals/update_workflows".to_owned(),
            Notification::Mcm { workflow } => format!(
                "/mcm/restapi/requests/fetch_stats_by_wf/{}",
                encode(workflow)
            ),
        };
        format!("{}{path}", base.trim_end_matches('/'))
    }

    /// The request headers of every callback (§9).
    pub fn headers(token: &str) -> [(&'static str, String); 3] {
        [
            ("Content-Type", "application/json".to_owned()),
            ("Accept", "application/json".to_owned()),
            ("Authorization", format!("Bearer {token}")),
        ]
    }

    pub fn body(&self) -> Option<Vec<u8>> {
        match self {
            Notification::ReReco { prepid } | Notification::RelVal { prepid } => Some(
                serde_json::json!({ "prepid": prepid })
                    .to_string()
                    .into_bytes(),
            ),
            Notification::Mcm { .. } => None,
        }
    }
}

/// A notification waiting in the store to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedCallback {
    pub target: Target,
    pub notification: Notification,
    pub attempts: u32,
    /// UNIX time before which it is not retried.
    pub not_before: i64,
}

fn read_queue(bytes: Option<&[u8]>) -> Vec<QueuedCallback> {
    // A corrupt queue is replaced rather than blocking every pass: callbacks are advisory.
    bytes
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default()
}

/// Queues notifications for each target; one already waiting for the same target is not duplicated.
pub fn enqueue(
    store: &dyn KvStore,
    targets: &[Target],
    notifications: &[Notification],
    now: i64,
) -> Result<(), Error> {
    if targets.is_empty() || notifications.is_empty() {
        return Ok(());
    }
    update_with_retry(store, keys::CALLBACKS, 64, |old| {
        let mut queue = read_queue(old);
        let before = queue.len();
        for target in targets {
            for notification in notifications {
                if !queue
                    .iter()
                    .any(|q| q.target == *target && q.notification == *notification)
                {
                    queue.push(QueuedCallback {
                        target: *target,
                        notification: notification.clone(),
                        attempts: 0,
                        not_before: now,
                    });
                }
            }
        }
        (queue.len() != before).then(|| to_json(&queue))
    })?;
    Ok(())
}

/// Every callback still waiting to be sent or retried.
pub fn queued(store: &dyn KvStore) -> Result<Vec<QueuedCallback>, Error> {
    Ok(read_queue(store.get(keys::CALLBACKS)?.as_deref()))
}

/// Callbacks whose back-off has elapsed.
pub fn due(store: &dyn KvStore, now: i64) -> Result<Vec<QueuedCallback>, Error> {
    Ok(queued(store)?.into_iter().filter(|q| q.not_before <= now).collect())
}

/// What became of a reported failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Removed,
    RetryAt(i64),
    /// Gave up after [`MAX_ATTEMPTS`].
    Dropped,
}

/// Records a send attempt: success removes it, failure backs off ([`CallbackConfig::backoff`]).
pub fn record_attempt(
    store: &dyn KvStore,
    sent: &QueuedCallback,
    ok: bool,
    now: i64,
    config: &CallbackConfig,
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::Removed;
    update_with_retry(store, keys::CALLBACKS, 64, |old| {
        let mut queue = read_queue(old);
        let at = queue
            .iter()
            .position(|q| q.target == sent.target && q.notification == sent.notification)?;
        if ok {
            outcome = Outcome::Removed;
            queue.remove(at);
        } else if queue[at].attempts + 1 >= MAX_ATTEMPTS {
            outcome = Outcome::Dropped;
            queue.remove(at);
        } else {
            let entry = &mut queue[at];
            entry.attempts += 1;
            entry.not_before = now + config.backoff(entry.attempts);
            outcome = Outcome::RetryAt(entry.not_before);
        }
        Some(to_json(&queue))
    })?;
    Ok(outcome)
}

/// `CALLBACK_CLIENT_ID`, `CALLBACK_CLIENT_SECRET`, `APPLICATION_CLIENT_ID`, `DEV_APPLICATION_CLIENT_ID`.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub application_client_id: Option<String>,
    pub dev_application_client_id: Option<String>,
}

impl Credentials {
    /// The form body of a target's token request; any missing variable is an error (§9).
    pub fn token_form(&self, target: Target) -> Result<String, Error> {
        let need = |value: &Option<String>, name: &str| {
            value
                .clone()
                .ok_or_else(|| Error::Config(format!("{name} is not set")))
        };
        let client_id = need(&self.client_id, "CALLBACK_CLIENT_ID")?;
        let secret = need(&self.client_secret, "CALLBACK_CLIENT_SECRET")?;
        let prod = need(&self.application_client_id, "APPLICATION_CLIENT_ID")?;
        let dev = need(&self.dev_application_client_id, "DEV_APPLICATION_CLIENT_ID")?;
        let audience = if target == Target::Prod { prod } else { dev };
        Ok(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&audience={}",
            encode(&client_id),
            encode(&secret),
            encode(&audience)
        ))
    }
}

/// The `access_token` and `expires_in` of a token answer.
pub fn parse_token(body: &[u8]) -> Result<(String, i64), Error> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: String,
        expires_in: i64,
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| Error::Config(format!("token answer: {e}")))?;
    Ok((answer.access_token, answer.expires_in))
}

/// Bearer tokens per target, reused for 75 % of their lifetime.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: HashMap<Target, (String, i64)>,
}

impl TokenCache {
    pub fn get(&self, target: Target, now: i64) -> Option<&str> {
        self.tokens
            .get(&target)
            .filter(|(_, until)| now < *until)
            .map(|(t, _)| t.as_str())
    }

    pub fn put(&mut self, target: Target, token: String, expires_in: i64, now: i64) {
        self.tokens
            .insert(target, (token, now + expires_in.max(0) * 3 / 4));
    }
}

/// The HTTP a callback round needs; scraper-host implements it (20 s timeout, TLS).
pub trait CallbackHttp {
    /// POSTs a form-encoded body and returns the 2xx answer.
    fn post_form(&self, url: &str, form: &str) -> Result<Vec<u8>, String>;
    /// Sends one callback; `Ok` only for a 2xx answer.
    fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: Option<&[u8]>,
    ) -> Result<(), String>;
}

/// What one round of [`send_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retrying: usize,
    pub dropped: usize,
    /// Failures, for the log.
    pub errors: Vec<String>,
}

/// Sends every due callback once, fetching a bearer token per target only when the cache has none,
/// and records each outcome in the queue (success removes it, failure backs off, too many drop it).
pub fn send_due(
    store: &dyn KvStore,
    http: &dyn CallbackHttp,
    credentials: &Credentials,
    config: &CallbackConfig,
    tokens: &mut TokenCache,
    now: i64,
) -> Result<SendReport, Error> {
    let mut report = SendReport::default();
    for queued in due(store, now)? {
        let token = match tokens.get(queued.target, now) {
            Some(token) => Ok(token.to_owned()),
            None => fetch_token(http, credentials, config, queued.target).map(|(token, expires_in)| {
                tokens.put(queued.target, token.clone(), expires_in, now);
                token
            }),
        };
        let n = &queued.notification;
        let url = n.url(config.base_url(queued.target));
        let sent = token.and_then(|token| {
            let body = n.body();
            http.send(n.method(), &url, &Notification::headers(&token), body.as_deref())
                .map_err(|e| format!("{} {url}: {e}", n.method()))
        });
        if let Err(e) = &sent {
            report.errors.push(e.clone());
        }
        match record_attempt(store, &queued, sent.is_ok(), now, config)? {
            Outcome::Removed => report.sent += 1,
            Outcome::RetryAt(_) => report.retrying += 1,
            Outcome::Dropped => report.dropped += 1,
        }
    }
    Ok(report)
}

fn fetch_token(
    http: &dyn CallbackHttp,
    credentials: &Credentials,
    config: &CallbackConfig,
    target: Target,
) -> Result<(String, i64), String> {
    let form = credentials.token_form(target).map_err(|e| e.to_string())?;
    let body = http
        .post_form(&config.token_url, &form)
        .map_err(|e| format!("token request: {e}"))?;
    parse_token(&body).map_err(|e| e.to_string())
}
