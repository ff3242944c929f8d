//! `scraper-host dqmsquare …`: the DQM² Mirror's acquisition (spec §3), writing the `default` store's
//! DQM² tables that the mirror component serves.

mod chromium;
mod grab;
mod robber;

use std::time::Duration;

use dqmsquare::{machine_list, Db, DEFAULT_PLAYBACK_MACHINES, DEFAULT_PRODUCTION_MACHINES};
use dqmsquare_sanitize::Sanitizer;

use crate::args::{failed, usage, Failure, Global};
use crate::stores;

pub fn run(global: &Global, words: &[String]) -> Result<(), Failure> {
    match words.first().map(String::as_str) {
        Some("robber") => run_robber(global, &Options::parse(&words[1..])?),
        Some("grab") => run_grab(global, &Options::parse(&words[1..])?),
        other => Err(usage(format!("unknown dqmsquare action {other:?}"))),
    }
}

/// The options both actions take; each reads the ones it needs.
struct Options {
    /// The robber's mode defaults to production; the grabber runs both modes when absent.
    mode: Option<Db>,
    once: bool,
    urls: Vec<String>,
    interval: Duration,
    timeout: Duration,
    chromium: String,
    reload_every: u64,
    restart_every: u64,
    store: String,
    proxy: String,
    cert: Option<String>,
    key: Option<String>,
    ca: Option<String>,
    info_every: Duration,
    status_every: Duration,
    /// The robber's old-runs mode (`--old-runs`), with `--click-wait` and `--max-old-runs`.
    old_runs: bool,
    click_wait: Duration,
    max_old_runs: usize,
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn env_seconds(key: &str, default: f64) -> Duration {
    Duration::from_secs_f64(std::env::var(key).ok().and_then(|v| v.parse().ok()).filter(|s: &f64| s.is_finite() && *s > 0.0).unwrap_or(default))
}

impl Options {
    fn parse(words: &[String]) -> Result<Options, Failure> {
        let mut options = Options {
            mode: None,
            once: false,
            urls: Vec::new(),
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            chromium: "chromium".into(),
            reload_every: 100,
            restart_every: 5000,
            store: "default".into(),
            proxy: env_or("CMSWEB_FRONTEND_PROXY_URL", "https://cmsweb.cern.ch/dqm/dqm-square-origin"),
            cert: std::env::var("SERVER_GRID_CERT_PATH").ok(),
            key: std::env::var("SERVER_GRID_KEY_PATH").ok(),
            ca: None,
            info_every: env_seconds("GRABBER_SLEEP_TIME_INFO", 5.0),
            status_every: env_seconds("GRABBER_SLEEP_TIME_STATUS", 30.0),
            old_runs: false,
            click_wait: Duration::from_secs(30),
            max_old_runs: 17,
        };
        let mut words = words.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "--once" => options.once = true,
                "--old-runs" => options.old_runs = true,
                _ => {}
            }
            if matches!(word.as_str(), "--once" | "--old-runs") {
                continue;
            }
            let value = words.next().ok_or_else(|| usage(format!("{word} needs a value")))?;
            let number = || value.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0);
            match word.as_str() {
                "--mode" => options.mode = Some(Db::parse(value).ok_or_else(|| usage("--mode is playback or production"))?),
                "--proxy" => options.proxy = value.trim_end_matches('/').to_owned(),
                "--cert" => options.cert = Some(value.clone()),
                "--key" => options.key = Some(value.clone()),
                "--ca" => options.ca = Some(value.clone()),
                "--info-interval" => options.info_every = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --info-interval"))?),
                "--status-interval" => options.status_every = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --status-interval"))?),
                "--url" => options.urls.push(value.clone()),
                "--interval" => options.interval = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --interval"))?),
                "--timeout" => options.timeout = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --timeout"))?),
                "--chromium" => options.chromium = value.clone(),
                "--reload-every" => options.reload_every = value.parse().map_err(|_| usage("bad --reload-every"))?,
                "--restart-every" => options.restart_every = value.parse().map_err(|_| usage("bad --restart-every"))?,
                "--store" => options.store = value.clone(),
                "--click-wait" => options.click_wait = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --click-wait"))?),
                "--max-old-runs" => options.max_old_runs = value.parse().map_err(|_| usage("bad --max-old-runs"))?,
                _ => return Err(usage(format!("unknown option {word:?}"))),
            }
        }
        Ok(options)
    }
}

/// Host names from both machine lists are censored in everything stored or logged.
fn sanitizer() -> Sanitizer {
    let list = |key: &str, default: &str| machine_list(&env_or(key, default));
    let mut machines = list("FFF_PLAYBACK_MACHINES", DEFAULT_PLAYBACK_MACHINES);
    machines.extend(list("FFF_PRODUCTION_MACHINES", DEFAULT_PRODUCTION_MACHINES));
    Sanitizer::new(machines)
}

/// `(FFF_SECRET_NAME, DQM_FFF_SECRET)` with whitespace stripped, when the secret is set.
fn secret_cookie() -> Option<(String, String)> {
    let secret = std::env::var("DQM_FFF_SECRET").ok()?;
    Some((env_or("FFF_SECRET_NAME", "selenium-secret-secret"), secret.split_whitespace().collect()))
}

fn open_store(global: &Global, label: &str) -> Result<kv_store::SharedStore, Failure> {
    stores::open(global)?.get(label).ok_or_else(|| failed(format!("no store {label:?} in the runtime config")))
}

fn run_grab(global: &Global, options: &Options) -> Result<(), Failure> {
    // The robot certificate is required over HTTPS; a plain-HTTP proxy (a local stand-in) needs none.
    let https = options.proxy.starts_with("https://");
    let cert = options.cert.clone().or_else(|| https.then(|| "/etc/robots/robotcert.pem".into()));
    let key = options.key.clone().or_else(|| https.then(|| "/etc/robots/robotkey.pem".into()));
    let client = http_client::Client::new(http_client::ClientConfig {
        cert: cert.map(Into::into),
        key: key.map(Into::into),
        ca: options.ca.clone().map(Into::into),
        timeout: options.timeout,
        connect_timeout: options.timeout,
        // The grabber backs off per host itself; a retry here would only stall the other hosts.
        retries: 0,
        ..http_client::ClientConfig::default()
    })
    .map_err(failed)?;
    let transport = grab::ProxyTransport {
        client,
        base: options.proxy.trim_end_matches('/').to_owned(),
        server_machine: env_or("SERVER_FFF_MACHINE", "dqmrubu-c2a06-03-01"),
        port: env_or("FFF_PORT", "9215").parse().map_err(|_| usage("FFF_PORT is a port number"))?,
        cookie: secret_cookie().map(|(name, value)| format!("{name}={value}")),
    };
    let hosts = |db: Db| match db {
        Db::Playback => machine_list(&env_or("FFF_PLAYBACK_MACHINES", DEFAULT_PLAYBACK_MACHINES)),
        Db::Production => machine_list(&env_or("FFF_PRODUCTION_MACHINES", DEFAULT_PRODUCTION_MACHINES)),
    };
    let modes = match options.mode {
        Some(db) => vec![(db, hosts(db))],
        None => Db::ALL.into_iter().map(|db| (db, hosts(db))).collect(),
    };
    let store = open_store(global, &options.store)?;
    let config = grab::LoopConfig { modes, info_every: options.info_every, status_every: options.status_every, once: options.once };
    match grab::run_loops(&*store, &sanitizer(), &transport, &config) {
        0 => Ok(()),
        failures => Err(failed(format!("{failures} host or status cycle(s) failed"))),
    }
}

fn run_robber(global: &Global, options: &Options) -> Result<(), Failure> {
    if options.urls.is_empty() {
        return Err(usage("robber needs at least one --url"));
    }
    let store = open_store(global, &options.store)?;
    let sanitizer = sanitizer();
    let cookie = secret_cookie();
    chromium::install_signal_handlers();
    chromium::remove_stale_profiles();
    let config = robber::RobberConfig {
        db: options.mode.unwrap_or(Db::Production),
        urls: options.urls.clone(),
        chromium: options.chromium.clone(),
        timeout: options.timeout,
        reload_every: options.reload_every,
        restart_every: options.restart_every,
        cookie,
        old_runs: options
            .old_runs
            .then_some(robber::OldRuns { click_wait: options.click_wait, max_runs: options.max_old_runs }),
    };
    let mut robber = robber::Robber::new(config, &*store, &sanitizer);
    loop {
        let mut failures = 0;
        for report in robber.iterate() {
            match report {
                Ok(page) => eprintln!("robber: run {}: {} jobs, {} canvases stored", page.run, page.jobs, page.canvases),
                Err(e) => {
                    failures += 1;
                    eprintln!("robber: {}", sanitizer.clean_text(&e));
                }
            }
        }
        if options.once {
            // The browser is dropped (and killed) with the robber.
            return if failures == 0 { Ok(()) } else { Err(failed(format!("{failures} page(s) failed"))) };
        }
        std::thread::sleep(options.interval);
    }
}
