//! `dqmsquare robber` (spec §3.4): reads the live DQM² page in headless Chromium, one tab per URL, and stores
//! what it sees in the same tables as the grabber (through `ScrapedJob`), canvases as PNG blobs per run.
//! A crashed or hung browser is killed and started again on the next iteration.

use std::time::Duration;

use base64::Engine;
use dqmsquare::mapping::{fill_runs, ScrapedJob};
use dqmsquare::model::OldRunVisit;
use dqmsquare::store::Tables;
use dqmsquare::time::parse_iso;
use dqmsquare::Db;
use dqmsquare_sanitize::Sanitizer;
use kv_api::KvStore;
use serde_json::{json, Value};

use super::chromium::{Browser, BrowserError, BrowserResult};

const SCRAPE_JS: &str = include_str!("scrape.js");
/// The run links of the old-runs page (§3.1).
const RUN_LINK_XPATH: &str = "//a[@class=\"label-run label label-info ng-binding ng-scope\"]";
/// Waits for the page's checkbox and run links, then returns the numeric link texts.
const RUN_LINKS_JS: &str = include_str!("run_links.js");
/// Canvas exports per page are capped, so a hostile page cannot make us store without bound.
const MAX_CANVASES: usize = 64;
const PNG_PREFIX: &str = "data:image/png;base64,";

pub struct RobberConfig {
    pub db: Db,
    pub urls: Vec<String>,
    pub chromium: String,
    /// Per DevTools call; a browser silent for longer is treated as hung.
    pub timeout: Duration,
    /// `ROBBER_RELOAD_NITERS`: reload each page every this many iterations.
    pub reload_every: u64,
    /// `FIREFOX_RELOAD_NITERS`: restart the browser every this many iterations.
    pub restart_every: u64,
    /// k8 mode: `(FFF_SECRET_NAME, DQM_FFF_SECRET)`, set before every page load; never logged.
    pub cookie: Option<(String, String)>,
    /// Old-runs mode instead of the live page.
    pub old_runs: Option<OldRuns>,
}

/// What one page gave.
#[derive(Debug, Default)]
pub struct PageReport {
    pub run: i64,
    pub jobs: usize,
    pub canvases: usize,
    /// A job of the run was still running (state `R`).
    pub running: bool,
}

/// The old-runs mode's settings.
#[derive(Debug, Clone, Copy)]
pub struct OldRuns {
    /// How long to wait after clicking a run link (the original: 30 s).
    pub click_wait: Duration,
    /// `PARSER_MAX_OLDRUNS`: how many finished runs to read per pass.
    pub max_runs: usize,
}

struct Tab {
    url: String,
    session: String,
}

pub struct Robber<'a> {
    config: RobberConfig,
    tables: Tables<'a>,
    sanitizer: &'a Sanitizer,
    browser: Option<(Browser, Vec<Tab>)>,
    iteration: u64,
}

impl<'a> Robber<'a> {
    pub fn new(config: RobberConfig, kv: &'a dyn KvStore, sanitizer: &'a Sanitizer) -> Self {
        let tables = Tables::new(kv, config.db);
        Robber { config, tables, sanitizer, browser: None, iteration: 0 }
    }

    /// One pass over every URL. A browser failure drops the browser (killing it); the next pass starts a new one.
    pub fn iterate(&mut self) -> Vec<Result<PageReport, String>> {
        if self.iteration > 0 && self.iteration.is_multiple_of(self.config.restart_every.max(1)) {
            self.browser = None;
        }
        let reload = self.iteration.is_multiple_of(self.config.reload_every.max(1));
        self.iteration += 1;
        if self.browser.is_none() {
            match Browser::launch(&self.config.chromium, self.config.timeout) {
                Ok(browser) => {
                    eprintln!("robber: browser started, pid {}", browser.pid());
                    self.browser = Some((browser, Vec::new()));
                }
                Err(e) => return vec![Err(e.to_string())],
            }
        }
        let urls = self.config.urls.clone();
        let mut reports = Vec::new();
        for url in urls {
            match self.scrape(&url, reload) {
                Ok(pages) => reports.extend(pages.into_iter().map(Ok)),
                Err(e) => {
                    if let BrowserError::Hung(_) | BrowserError::Crashed(_) = e {
                        self.browser = None;
                    }
                    reports.push(Err(format!("{}: {e}", self.sanitizer.clean_text(&url))));
                }
            }
            if self.browser.is_none() {
                break;
            }
        }
        reports
    }

    /// The live page (its tab reloaded every `reload_every` iterations), or every finished run in old-runs mode.
    fn scrape(&mut self, url: &str, reload: bool) -> BrowserResult<Vec<PageReport>> {
        match self.config.old_runs {
            None => {
                let session = self.tab(url, reload)?;
                Ok(vec![self.read_page(&session, None)?])
            }
            Some(old_runs) => self.scrape_old_runs(url, old_runs),
        }
    }

    /// The tab of `url`, opened (and loaded) on first use and loaded again when `load` is set.
    fn tab(&mut self, url: &str, load: bool) -> BrowserResult<String> {
        let (browser, tabs) = running(&mut self.browser)?;
        let session = match tabs.iter().find(|t| t.url == url) {
            Some(tab) if !load => return Ok(tab.session.clone()),
            Some(tab) => tab.session.clone(),
            None => {
                let session = browser.open_tab()?;
                tabs.push(Tab { url: url.to_owned(), session: session.clone() });
                session
            }
        };
        // k8 mode: the cookie goes in before every page load.
        if let Some((name, value)) = &self.config.cookie {
            browser.call(Some(&session), "Network.setCookie", json!({"name": name, "value": value, "url": url}))?;
        }
        let navigated = browser.call(Some(&session), "Page.navigate", json!({"url": url}))?;
        if let Some(error) = navigated["errorText"].as_str() {
            return Err(BrowserError::Protocol(format!("loading page: {error}")));
        }
        Ok(session)
    }

    /// Reads the shown run (checked against `expected_run` when given), stores its jobs and canvases.
    fn read_page(&mut self, session: &str, expected_run: Option<i64>) -> BrowserResult<PageReport> {
        let (browser, _) = running(&mut self.browser)?;
        let page = browser.evaluate(session, SCRAPE_JS)?;
        let run = page["run"]
            .as_str()
            .and_then(|r| r.trim().parse::<i64>().ok())
            .ok_or_else(|| BrowserError::Protocol("no run number on the page".into()))?;
        if expected_run.is_some_and(|expected| expected != run) {
            return Err(BrowserError::Protocol(format!("clicked run {} but the page shows run {run}", expected_run.unwrap_or_default())));
        }
        let jobs: Vec<ScrapedJob> = page["jobs"].as_array().into_iter().flatten().map(|j| scraped_job(run, j)).collect();
        let running = jobs.iter().any(|job| job.state.trim() == "R");
        let pairs: Vec<(Value, Value)> = jobs.iter().map(ScrapedJob::as_header_and_document).collect();
        let refs: Vec<(&Value, &Value)> = pairs.iter().map(|(h, d)| (h, d)).collect();
        let stored = fill_runs(&self.tables, self.sanitizer, &refs).map_err(store_error)?;
        record_server_states(&self.tables, self.sanitizer, &page["servers"]).map_err(store_error)?;
        let count = (page["canvases"].as_u64().unwrap_or(0) as usize).min(MAX_CANVASES);
        let mut canvases = 0;
        for n in 0..count {
            if let Some(png) = export_canvas(browser, session, n)? {
                self.tables.put_canvas(run, n as u32, &png).map_err(store_error)?;
                canvases += 1;
            }
        }
        Ok(PageReport { run, jobs: stored, canvases, running })
    }

    /// The old-runs robber (§3.4, §11a): the run links of the page, highest (the ongoing run) dropped, each
    /// clicked on a freshly loaded page and read after `click_wait`; runs saved less than 2 h ago are skipped
    /// unless a job of theirs was running.
    fn scrape_old_runs(&mut self, url: &str, old_runs: OldRuns) -> BrowserResult<Vec<PageReport>> {
        let session = self.tab(url, true)?;
        let (browser, _) = running(&mut self.browser)?;
        let links = browser.evaluate(&session, RUN_LINKS_JS)?;
        let mut runs: Vec<i64> = links.as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
        runs.sort_unstable_by(|a, b| b.cmp(a));
        runs.dedup();
        let mut reports = Vec::new();
        for run in runs.into_iter().skip(1).take(old_runs.max_runs) {
            let visit = self.tables.old_run_visit(run).map_err(store_error)?;
            if !OldRunVisit::is_due(visit.as_ref(), now_s()) {
                eprintln!("robber: run {run}: saved less than 2 h ago, skipped");
                continue;
            }
            // The page is loaded afresh for every run, as the original refreshes it after every grab.
            let session = self.tab(url, true)?;
            let (browser, _) = running(&mut self.browser)?;
            let clicked = browser.evaluate(&session, &click_run_js(run))?;
            if clicked != Value::Bool(true) {
                return Err(BrowserError::Protocol(format!("no link for run {run}")));
            }
            std::thread::sleep(old_runs.click_wait);
            let report = self.read_page(&session, Some(run))?;
            let visit = OldRunVisit { saved_at_s: now_s(), running: report.running };
            self.tables.set_old_run_visit(run, &visit).map_err(store_error)?;
            reports.push(report);
        }
        Ok(reports)
    }
}

/// The live browser and its tabs (a free function, so the other fields of the robber stay usable).
fn running(browser: &mut Option<(Browser, Vec<Tab>)>) -> BrowserResult<(&mut Browser, &mut Vec<Tab>)> {
    match browser.as_mut() {
        Some((browser, tabs)) => Ok((browser, tabs)),
        None => Err(BrowserError::Crashed("not running".into())),
    }
}

/// The page's server states (§3.1) as `hoststatuses` rows, like the grabber's cluster status: "live" and
/// "http mode" are up, anything else down, the state text kept as the message. Names get the `.cms` the
/// cluster status carries, so both sources register the same host once.
fn record_server_states(tables: &Tables, sanitizer: &Sanitizer, servers: &Value) -> kv_api::KvResult<()> {
    let now_us = dqmsquare::time::seconds_to_us(now_s()).unwrap_or_default();
    for server in servers.as_array().into_iter().flatten() {
        let name = server["name"].as_str().unwrap_or_default().trim();
        if name.is_empty() {
            continue;
        }
        let state = server["state"].as_str().unwrap_or_default().trim();
        let is_up = matches!(state.to_ascii_lowercase().as_str(), "live" | "http mode");
        let name = if name.ends_with(".cms") { name.to_owned() } else { format!("{name}.cms") };
        tables.record_status(&name, is_up, Some(sanitizer.clean_text(state)), now_us)?;
    }
    Ok(())
}

fn store_error(e: kv_api::KvError) -> BrowserError {
    BrowserError::Protocol(format!("store: {e}"))
}

fn now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Clicks the run link whose text is `run`; `true` when there was one.
fn click_run_js(run: i64) -> String {
    format!(
        "(() => {{ const links = document.evaluate({RUN_LINK_XPATH:?}, document, null, \
         XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null); for (let i = 0; i < links.snapshotLength; i++) {{ \
         const a = links.snapshotItem(i); if (a.textContent.trim() === '{run}') {{ a.click(); return true; }} }} \
         return false; }})()"
    )
}

/// `canvas.toDataURL('image/png')`, really retried up to 5 times (§11a).
fn export_canvas(browser: &mut Browser, session: &str, n: usize) -> BrowserResult<Option<Vec<u8>>> {
    let script = format!(
        "(async () => {{ for (let t = 0; t < 5; t++) {{ const c = document.querySelectorAll('canvas')[{n}]; \
         const url = c ? c.toDataURL('image/png') : ''; if (url.startsWith('{PNG_PREFIX}') && url.length > {len}) return url; \
         await new Promise((r) => setTimeout(r, 200)); }} return null; }})()",
        len = PNG_PREFIX.len()
    );
    let value = browser.evaluate(session, &script)?;
    Ok(value
        .as_str()
        .and_then(|url| url.strip_prefix(PNG_PREFIX))
        .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok()))
}

/// One job row's cells (each a list of lines) as the original's parser reads them; `-` is a missing cell.
fn scraped_job(run: i64, job: &Value) -> ScrapedJob {
    let first = |n: usize| -> Option<String> {
        job["cells"][n][0].as_str().map(str::trim).filter(|t| !t.is_empty() && *t != "-").map(str::to_owned)
    };
    let number = |n: usize| first(n).and_then(|t| t.replace(',', "").parse::<i64>().ok());
    let logs: Vec<String> = job["logs"].as_array().into_iter().flatten().filter_map(|l| l.as_str().map(str::to_owned)).collect();
    ScrapedJob {
        run,
        hostname: first(1).unwrap_or_default(),
        pid: number(2).and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
        state: first(3).unwrap_or_default(),
        tag: first(4).unwrap_or_default(),
        timestamp_s: first(0).and_then(|t| parse_timestamp(&t)),
        lumi: number(5),
        vmrss: first(6),
        events_total: number(7),
        log_start: logs.first().cloned().into_iter().collect(),
        log_end: logs.get(1).cloned().into_iter().collect(),
    }
}

/// An ISO-8601 instant or epoch seconds.
fn parse_timestamp(text: &str) -> Option<f64> {
    parse_iso(text).map(|us| us as f64 / 1e6).or_else(|| text.parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_row_maps_cells_and_dashes() {
        let job = json!({"cells": [["2022-09-15T11:45:42.450Z", "3 min ago"], ["fu-c2f11-11-01"], ["39363"], ["0"],
                                   ["ecalgpu_dqm_sourceclient-live"], ["-"], ["362744 kB"], ["1,200", "1.5 ev/s"]],
                         "logs": ["start log", "end log"]});
        let scraped = scraped_job(358788, &job);
        assert_eq!(scraped.hostname, "fu-c2f11-11-01");
        assert_eq!(scraped.pid, 39363);
        assert_eq!(scraped.state, "0");
        assert_eq!(scraped.lumi, None);
        assert_eq!(scraped.events_total, Some(1200));
        assert_eq!(scraped.timestamp_s, Some(1663242342.45));
        assert_eq!(scraped.log_end, vec!["end log".to_owned()]);
    }

    #[test]
    fn timestamps_are_iso_or_epoch_seconds() {
        assert_eq!(parse_timestamp("1663242342.5"), Some(1663242342.5));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
