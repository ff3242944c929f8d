//! `scraper-host dqmsquare …`: the DQM² Mirror's acquisition (spec §3), writing the `default` store's
//! DQM² tables that the mirror component serves.

mod chromium;
mod robber;

use std::time::Duration;

use dqmsquare::{machine_list, Db, DEFAULT_PLAYBACK_MACHINES, DEFAULT_PRODUCTION_MACHINES};
use dqmsquare_sanitize::Sanitizer;

use crate::args::{failed, usage, Failure, Global};
use crate::stores;

pub fn run(global: &Global, words: &[String]) -> Result<(), Failure> {
    match words.first().map(String::as_str) {
        Some("robber") => run_robber(global, &Options::parse(&words[1..])?),
        other => Err(usage(format!("unknown dqmsquare action {other:?}"))),
    }
}

/// The options both actions take; each reads the ones it needs.
struct Options {
    mode: Db,
    once: bool,
    urls: Vec<String>,
    interval: Duration,
    timeout: Duration,
    chromium: String,
    reload_every: u64,
    restart_every: u64,
    store: String,
}

impl Options {
    fn parse(words: &[String]) -> Result<Options, Failure> {
        let mut options = Options {
            mode: Db::Production,
            once: false,
            urls: Vec::new(),
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            chromium: "chromium".into(),
            reload_every: 100,
            restart_every: 5000,
            store: "default".into(),
        };
        let mut words = words.iter();
        while let Some(word) = words.next() {
            if word == "--once" {
                options.once = true;
                continue;
            }
            let value = words.next().ok_or_else(|| usage(format!("{word} needs a value")))?;
            let number = || value.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0);
            match word.as_str() {
                "--mode" => options.mode = Db::parse(value).ok_or_else(|| usage("--mode is playback or production"))?,
                "--url" => options.urls.push(value.clone()),
                "--interval" => options.interval = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --interval"))?),
                "--timeout" => options.timeout = Duration::from_secs_f64(number().ok_or_else(|| usage("bad --timeout"))?),
                "--chromium" => options.chromium = value.clone(),
                "--reload-every" => options.reload_every = value.parse().map_err(|_| usage("bad --reload-every"))?,
                "--restart-every" => options.restart_every = value.parse().map_err(|_| usage("bad --restart-every"))?,
                "--store" => options.store = value.clone(),
                _ => return Err(usage(format!("unknown option {word:?}"))),
            }
        }
        Ok(options)
    }
}

/// Host names from both machine lists are censored in everything stored or logged.
fn sanitizer() -> Sanitizer {
    let list = |key: &str, default: &str| machine_list(&std::env::var(key).unwrap_or_else(|_| default.to_owned()));
    let mut machines = list("FFF_PLAYBACK_MACHINES", DEFAULT_PLAYBACK_MACHINES);
    machines.extend(list("FFF_PRODUCTION_MACHINES", DEFAULT_PRODUCTION_MACHINES));
    Sanitizer::new(machines)
}

fn run_robber(global: &Global, options: &Options) -> Result<(), Failure> {
    if options.urls.is_empty() {
        return Err(usage("robber needs at least one --url"));
    }
    let manager = stores::open(global)?;
    let store = manager
        .get(&options.store)
        .ok_or_else(|| failed(format!("no store {:?} in the runtime config", options.store)))?;
    let sanitizer = sanitizer();
    let cookie = std::env::var("DQM_FFF_SECRET").ok().map(|secret| {
        let name = std::env::var("FFF_SECRET_NAME").unwrap_or_else(|_| "selenium-secret-secret".into());
        (name, secret.split_whitespace().collect::<String>())
    });
    chromium::install_signal_handlers();
    let config = robber::RobberConfig {
        db: options.mode,
        urls: options.urls.clone(),
        chromium: options.chromium.clone(),
        timeout: options.timeout,
        reload_every: options.reload_every,
        restart_every: options.restart_every,
        cookie,
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
