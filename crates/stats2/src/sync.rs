//! The incremental sync pass (spec §4 with the §10a Decisions) and single-workflow updates.
//!
//! Crash safety: the new `since`, `last_dbs_update_date` and `failed_workflows` are saved only after the
//! whole pass is written, so a pass that dies is redone from the last good `since`. Redoing it duplicates
//! nothing because documents are written only when their content differs and history entries are
//! appended only when they differ from the last one; callbacks are queued before the write they announce
//! and deduplicated in the queue, so none is lost (one may be sent twice).

use crate::callbacks::{self, Notification, Target};
use crate::dbs::RunCache;
use crate::document::{build_document, valid_workflow_name, Doc, Index};
use crate::history::{append_if_changed, new_entry};
use crate::store::{self, load_doc, save_doc, to_json, Settings};
use crate::upstream::{self, Call, Upstream};
use crate::{keys, Error};
use kv_api::KvStore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::Instant;

/// Same-output workflows taken per dataset (the original's view limit).
const SAME_OUTPUT_LIMIT: usize = 1000;
/// DBS `min_ldate` slack, seconds.
const DBS_OVERLAP: i64 = 300;
/// Workflows whose upstream calls are fetched together ([`Upstream::fetch_many`]).
const BATCH: usize = 200;
/// Publish progress every this many workflows.
const PROGRESS_EVERY: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct PassOptions {
    /// UNIX time of the pass start (also the `Time` of new history entries).
    pub now: i64,
    /// Where callbacks go (`--trigger-prod` / `--trigger-dev`); empty: none.
    pub callback_targets: Vec<Target>,
}

/// Progress of the running or last pass, published under [`keys::STATUS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// `running`, `done` or `failed`.
    pub state: String,
    pub started: i64,
    /// Distinct workflows updated or recounted.
    pub seen: usize,
    /// Documents written (metadata changes and appended history entries).
    pub changed: usize,
    pub deleted: usize,
    pub failed: usize,
    pub elapsed_ms: u64,
    /// UNIX time the pass ended (`None` while it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<i64>,
    /// The `since` this pass resumes from.
    pub since: String,
    /// The `last_seq` a completed pass saved (the next pass resumes from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PassReport {
    pub progress: Progress,
    pub updated: Vec<String>,
    pub appended: Vec<String>,
    pub deleted: Vec<String>,
    pub failed_workflows: Vec<String>,
    /// Notifications queued in this pass (they are sent from the store queue, see [`callbacks::due`]).
    pub notifications: Vec<Notification>,
    /// Problems that were logged and did not fail the pass.
    pub warnings: Vec<String>,
}

pub fn load_progress(store: &dyn KvStore) -> Result<Option<Progress>, Error> {
    let Some(bytes) = store.get(keys::STATUS)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::Corrupt(format!("{}: {e}", keys::STATUS)))
}

struct Pass<'a> {
    store: &'a dyn KvStore,
    cache: RunCache<'a>,
    options: &'a PassOptions,
    started: Instant,
    /// Updates and recounts done so far.
    done: usize,
    report: PassReport,
}

/// Runs one incremental pass. An `Err` means nothing of the bookkeeping was saved: the next pass redoes it.
pub fn run_pass(
    store: &dyn KvStore,
    upstream: &dyn Upstream,
    options: &PassOptions,
) -> Result<PassReport, Error> {
    let settings = store::load_settings(store)?;
    // A crash between a write and its generation bump would leave a cached view answer looking current;
    // the next pass (the restart) invalidates every cached answer first.
    store::bump_generation(store)?;
    let mut pass = Pass {
        store,
        cache: RunCache::new(upstream),
        options,
        started: Instant::now(),
        done: 0,
        report: PassReport::default(),
    };
    pass.report.progress = Progress {
        state: "running".into(),
        started: options.now,
        since: settings.last_reqmgr_sequence.clone(),
        ..Progress::default()
    };
    pass.publish()?;
    match pass.run(&settings) {
        Ok(()) => {
            pass.report.progress.state = "done".into();
            pass.finish();
            pass.publish()?;
            Ok(pass.report)
        }
        Err(error) => {
            pass.report.progress.state = "failed".into();
            pass.report.progress.error = Some(error.to_string());
            pass.finish();
            // The pass already failed; a failing status write must not hide the original error.
            let _ = pass.publish();
            Err(error)
        }
    }
}

impl<'a> Pass<'a> {
    fn run(&mut self, settings: &Settings) -> Result<(), Error> {
        let upstream = self.cache.upstream();
        let changes_call = Call::Changes {
            since: settings.last_reqmgr_sequence.clone(),
        };
        let changes = upstream::parse_changes(&upstream.fetch(&changes_call)?)?;
        let deleted: BTreeSet<String> = changes.deleted.iter().cloned().collect();
        for name in &deleted {
            match store::delete_doc(self.store, name) {
                Ok(true) => self.report.deleted.push(name.clone()),
                Ok(false) => {}
                Err(e) => self.report.warnings.push(format!("deleting {name}: {e}")),
            }
        }
        self.report.progress.deleted = self.report.deleted.len();

        let mut failed = BTreeSet::new();
        let mut to_update = BTreeSet::new();
        for name in changes
            .changed
            .iter()
            .chain(&settings.failed_workflows)
            .filter(|name| !deleted.contains(*name))
        {
            // An id that cannot be a store key would fail forever: log it instead of retrying it.
            if valid_workflow_name(name) {
                to_update.insert(name.clone());
            } else {
                self.report
                    .warnings
                    .push(format!("skipping invalid workflow id {name:?}"));
            }
        }
        let to_update_list: Vec<&String> = to_update.iter().collect();
        for chunk in to_update_list.chunks(BATCH) {
            let calls = chunk
                .iter()
                .map(|name| Call::RequestDoc {
                    name: (*name).clone(),
                })
                .collect();
            self.cache.prefetch(calls);
            for name in chunk {
                if let Err(e) = self.update_one(name) {
                    self.report.warnings.push(format!("updating {name}: {e}"));
                    failed.insert((*name).clone());
                }
                self.tick(true)?;
            }
        }

        let mut to_recount = to_update.clone();
        for name in &to_update {
            let stored = match load_doc(self.store, name) {
                Ok(Some(stored)) => stored,
                Ok(None) => continue,
                Err(e) => {
                    self.report.warnings.push(format!("reading {name}: {e}"));
                    failed.insert(name.clone());
                    continue;
                }
            };
            for dataset in Index::OutputDataset.values(&stored.doc) {
                let sharing = store::index_lookup(self.store, Index::OutputDataset, &dataset)?;
                to_recount.extend(sharing.into_iter().take(SAME_OUTPUT_LIMIT));
            }
        }
        // Before any completed pass every stored workflow is in `to_update` anyway; asking DBS for
        // everything modified since 1970 would only download its whole catalogue.
        let modified = if settings.last_dbs_update_date > 0 {
            let min_ldate = (settings.last_dbs_update_date - DBS_OVERLAP).max(0);
            upstream::parse_dataset_names(
                &upstream.fetch(&Call::DbsModifiedDatasets { min_ldate })?,
            )?
        } else {
            Vec::new()
        };
        for dataset in modified {
            to_recount.extend(store::index_lookup(
                self.store,
                Index::OutputDataset,
                &dataset,
            )?);
        }
        match upstream
            .fetch(&Call::WmstatsActive)
            .and_then(|body| upstream::parse_wmstats_active(&body))
        {
            Ok(active) => to_recount.extend(active.into_iter().filter(|n| valid_workflow_name(n))),
            Err(e) => self
                .report
                .warnings
                .push(format!("wmstats: {e} (treated as no active workflows)")),
        }
        let to_recount: Vec<&String> = to_recount
            .iter()
            .filter(|n| !deleted.contains(*n))
            .collect();
        for chunk in to_recount.chunks(BATCH) {
            self.prefetch_outputs(chunk);
            for name in chunk {
                if let Err(e) = self.recalculate_one(name) {
                    self.report.warnings.push(format!("recounting {name}: {e}"));
                    failed.insert((*name).clone());
                }
                self.tick(!to_update.contains(*name))?;
            }
        }

        self.report.failed_workflows = failed.into_iter().collect();
        self.report.progress.failed = self.report.failed_workflows.len();
        self.report.progress.saved_since = Some(changes.last_seq.clone());
        let next = Settings {
            last_reqmgr_sequence: changes.last_seq,
            last_dbs_update_date: self.options.now,
            failed_workflows: self.report.failed_workflows.clone(),
        };
        store::save_settings(self.store, &next)
    }

    /// Asks DBS about the output datasets of these workflows in batches (best effort).
    fn prefetch_outputs(&mut self, names: &[&String]) {
        let mut datasets = Vec::new();
        for name in names {
            if let Ok(Some(stored)) = load_doc(self.store, name) {
                datasets.extend(Index::OutputDataset.values(&stored.doc));
            }
        }
        self.cache.prefetch_figures(&datasets);
    }

    fn update_one(&mut self, name: &str) -> Result<(), Error> {
        if let Some(doc) = update_one(self.store, &mut self.cache, name, self.options)? {
            self.wrote(name, &doc);
            self.report.updated.push(name.to_owned());
        }
        Ok(())
    }

    fn recalculate_one(&mut self, name: &str) -> Result<(), Error> {
        if let Some(doc) = recalculate_one(self.store, &mut self.cache, name, self.options)? {
            self.wrote(name, &doc);
            self.report.appended.push(name.to_owned());
        }
        Ok(())
    }

    fn wrote(&mut self, name: &str, doc: &Doc) {
        self.report.progress.changed += 1;
        if !self.options.callback_targets.is_empty() {
            let notification = Notification::for_doc(name, doc);
            if !self.report.notifications.contains(&notification) {
                self.report.notifications.push(notification);
            }
        }
    }

    /// Counts one more workflow done (`new`: not seen earlier in this pass) and publishes now and then.
    fn tick(&mut self, new: bool) -> Result<(), Error> {
        self.report.progress.seen += usize::from(new);
        self.done += 1;
        if self.done.is_multiple_of(PROGRESS_EVERY) {
            self.publish()?;
        }
        Ok(())
    }

    /// Stamps the end time: the pass start plus the time taken (the library has no clock of its own).
    fn finish(&mut self) {
        let elapsed = self.started.elapsed();
        self.report.progress.elapsed_ms = elapsed.as_millis() as u64;
        self.report.progress.finished = Some(self.options.now + elapsed.as_secs() as i64);
    }

    fn publish(&mut self) -> Result<(), Error> {
        self.report.progress.elapsed_ms = self.started.elapsed().as_millis() as u64;
        self.store
            .set(keys::STATUS, &to_json(&self.report.progress))?;
        Ok(())
    }
}

/// Queues the callbacks for a write that is about to happen (before it, so a crash cannot lose them).
fn announce(
    store: &dyn KvStore,
    options: &PassOptions,
    name: &str,
    doc: &Doc,
) -> Result<(), Error> {
    let notification = Notification::for_doc(name, doc);
    callbacks::enqueue(
        store,
        &options.callback_targets,
        &[notification],
        options.now,
    )
}

/// Rebuilds the document from ReqMgr2 and writes it if anything but `LastUpdate` changed.
/// Returns the written document.
fn update_one(
    store: &dyn KvStore,
    cache: &mut RunCache,
    name: &str,
    options: &PassOptions,
) -> Result<Option<Doc>, Error> {
    if !valid_workflow_name(name) {
        return Err(Error::BadInput(format!("invalid workflow name {name:?}")));
    }
    let raw = upstream::parse_request_doc(&cache.fetch(&Call::RequestDoc {
        name: name.to_owned(),
    })?)?;
    let mut doc = build_document(name, &raw, cache).map_err(Error::Derivation)?;
    let stored = match load_doc(store, name) {
        // A copy that no longer parses is replaced by a fresh one (its history is lost with it).
        Err(Error::Corrupt(_)) => {
            store.delete(&keys::doc(name))?;
            None
        }
        other => other?,
    };
    if let Some(history) = stored
        .as_ref()
        .and_then(|s| s.doc.get("EventNumberHistory"))
    {
        doc.insert("EventNumberHistory".into(), history.clone());
    }
    if stored
        .as_ref()
        .is_some_and(|s| store::same_content(&s.doc, &doc))
    {
        return Ok(None);
    }
    announce(store, options, name, &doc)?;
    save_doc(store, name, stored.as_ref(), doc, options.now).map(Some)
}

/// Appends a new history entry if it differs from the last one. Unstored workflows are skipped.
fn recalculate_one(
    store: &dyn KvStore,
    cache: &mut RunCache,
    name: &str,
    options: &PassOptions,
) -> Result<Option<Doc>, Error> {
    let Some(stored) = load_doc(store, name)? else {
        return Ok(None);
    };
    let Some(entry) = new_entry(&stored.doc, cache, options.now)? else {
        return Ok(None);
    };
    let mut doc = stored.doc.clone();
    if !append_if_changed(&mut doc, entry) {
        return Ok(None);
    }
    announce(store, options, name, &doc)?;
    save_doc(store, name, Some(&stored), doc, options.now).map(Some)
}

/// What a single-workflow update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SingleReport {
    pub updated: bool,
    pub appended: bool,
}

/// `update --name X` and `/api/update`: update then recount one workflow, with callbacks, leaving the settings alone.
pub fn update_single(
    store: &dyn KvStore,
    upstream: &dyn Upstream,
    name: &str,
    options: &PassOptions,
) -> Result<SingleReport, Error> {
    let mut cache = RunCache::new(upstream);
    let updated = update_one(store, &mut cache, name, options)?.is_some();
    let appended = recalculate_one(store, &mut cache, name, options)?.is_some();
    Ok(SingleReport { updated, appended })
}
