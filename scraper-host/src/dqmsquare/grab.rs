//! `dqmsquare grab` (spec §3.2–3.3): the fff_dqmtools sync protocol through the CMSWEB proxy over
//! `http-client` (robot certificate, secret cookie, TLS verified, a timeout on every call), and per mode an
//! info loop and a status loop on their own threads. A failing cycle is logged and the loop goes on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dqmsquare::grabber::{Grabber, GrabberConfig, HostOutcome, SyncTransport, TransportError};
use dqmsquare::store::bare_host;
use dqmsquare::Db;
use dqmsquare_sanitize::Sanitizer;
use http_client::{Client, Request};
use kv_api::KvStore;

/// The CMSWEB proxy in front of fff_web.
pub struct ProxyTransport {
    pub client: Client,
    /// `CMSWEB_FRONTEND_PROXY_URL`, without a trailing `/`.
    pub base: String,
    /// `SERVER_FFF_MACHINE`: reached through `/sync_proxy` instead of `/redirect`.
    pub server_machine: String,
    /// `FFF_PORT`.
    pub port: u16,
    /// `<FFF_SECRET_NAME>=<DQM_FFF_SECRET>`; never logged.
    pub cookie: Option<String>,
}

impl ProxyTransport {
    pub fn sync_url(&self, host: &str) -> String {
        if bare_host(host) == bare_host(&self.server_machine) {
            format!("{}/sync_proxy", self.base)
        } else {
            format!("{}/redirect?path={}&port={}", self.base, bare_host(host), self.port)
        }
    }

    fn send(&self, request: Request) -> Result<String, TransportError> {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let body = self.client.send(&request).map_err(|e| match e {
            http_client::Error::Timeout => TransportError::Timeout,
            http_client::Error::Status(code) => TransportError::Status(code),
            other => TransportError::Other(other.to_string()),
        })?;
        String::from_utf8(body).map_err(|_| TransportError::Other("answer is not UTF-8".into()))
    }
}

impl SyncTransport for ProxyTransport {
    fn post_sync(&self, host: &str, body: &str) -> Result<String, TransportError> {
        let request = Request::new("POST", &self.sync_url(host))
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec());
        self.send(request)
    }

    fn cluster_status(&self, cluster: Db) -> Result<String, TransportError> {
        let url = format!("{}/cr/exe?cluster={}&what=get_cluster_status", self.base, cluster.name());
        self.send(Request::new("GET", &url))
    }
}

pub struct LoopConfig {
    pub modes: Vec<(Db, Vec<String>)>,
    pub info_every: Duration,
    pub status_every: Duration,
    pub once: bool,
}

fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Runs the info and status loops of every mode; with `once`, one cycle of each. Returns the failures seen.
pub fn run_loops(kv: &(dyn KvStore + Sync), sanitizer: &Sanitizer, transport: &ProxyTransport, config: &LoopConfig) -> usize {
    std::thread::scope(|scope| {
        let mut loops = Vec::new();
        for (db, hosts) in &config.modes {
            let grabber_config = GrabberConfig::new(*db, hosts.clone());
            let info_config = grabber_config.clone();
            loops.push(scope.spawn(move || {
                let mut grabber = match Grabber::start(kv, sanitizer, transport, info_config) {
                    Ok(grabber) => grabber,
                    Err(e) => {
                        eprintln!("grab {}: cannot start: {e}", db.name());
                        return 1;
                    }
                };
                let mut failures = 0;
                loop {
                    for report in grabber.info_cycle(now_s()) {
                        failures += usize::from(matches!(report.outcome, HostOutcome::Failed(_)));
                        eprintln!("grab {} info: {}", db.name(), report.log_line(sanitizer));
                    }
                    if config.once {
                        return failures;
                    }
                    std::thread::sleep(config.info_every);
                }
            }));
            loops.push(scope.spawn(move || {
                let grabber = match Grabber::start(kv, sanitizer, transport, grabber_config) {
                    Ok(grabber) => grabber,
                    Err(e) => {
                        eprintln!("grab {}: cannot start: {e}", db.name());
                        return 1;
                    }
                };
                let mut failures = 0;
                loop {
                    match grabber.status_cycle(now_s()) {
                        Ok(hosts) => eprintln!("grab {} status: {hosts} hosts", db.name()),
                        Err(e) => {
                            failures += 1;
                            eprintln!("grab {} status: failed: {}", db.name(), sanitizer.clean_text(&e.to_string()));
                        }
                    }
                    if config.once {
                        return failures;
                    }
                    std::thread::sleep(config.status_every);
                }
            }));
        }
        loops.into_iter().map(|l| l.join().unwrap_or(1)).sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_machine_goes_through_sync_proxy_and_others_through_redirect() {
        let transport = ProxyTransport {
            client: Client::new(http_client::ClientConfig::default()).expect("client"),
            base: "https://proxy/dqm".into(),
            server_machine: "dqmrubu-c2a06-03-01".into(),
            port: 9215,
            cookie: None,
        };
        assert_eq!(transport.sync_url("dqmrubu-c2a06-03-01.cms"), "https://proxy/dqm/sync_proxy");
        assert_eq!(transport.sync_url("dqmfu-c2b01-45-01"), "https://proxy/dqm/redirect?path=dqmfu-c2b01-45-01&port=9215");
    }
}
