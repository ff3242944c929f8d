//! The append-only event store over a [`KvStore`]: versions, events, per-entity logs and the
//! materialised records, kept consistent without transactions.
//!
//! Concurrency: version and event numbers come from `increment` (atomic), every event and version is
//! written under its own key, and each entity's event list is a slot log (see [`crate::log`]), so
//! concurrent writers never overwrite each other's events. The materialised records are rewritten with
//! compare-and-swap after re-reading the logs; a writer that loses the race re-folds, so the record
//! always ends up containing every event whose writer has finished. Nothing is ever deleted.

use crate::error::{RrError, RrResult};
use crate::keys;
use crate::log;
use crate::model::{now_iso, Actor, Event, Target, Version};
use crate::state::{fold_dataset, fold_run, DatasetState, RunState};
use kv_api::{update_with_retry, CasOutcome, KvStore};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The online dataset's name.
pub const ONLINE: &str = "online";

/// How often a materialised record is re-folded when other writers keep winning the race.
const MAX_REFRESH_ATTEMPTS: usize = 16;

/// The Run Registry's view of one key-value store.
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    pub store: &'a dyn KvStore,
}

impl<'a> Registry<'a> {
    pub fn new(store: &'a dyn KvStore) -> Self {
        Registry { store }
    }

    fn read<T: DeserializeOwned>(&self, key: &str) -> RrResult<Option<T>> {
        match self.store.get(key)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Records one action: a new Version grouping `events` (empty events are dropped). Returns the Version.
    /// `manual_change` of every event is set from the actor.
    pub fn record(&self, actor: &Actor, comment: &str, events: Vec<Event>) -> RrResult<Version> {
        self.record_with(actor, comment, events, !actor.automatic)
    }

    pub(crate) fn record_with(
        &self,
        actor: &Actor,
        comment: &str,
        events: Vec<Event>,
        manual: bool,
    ) -> RrResult<Version> {
        let mut events: Vec<Event> = events.into_iter().filter(|e| !e.is_empty()).collect();
        let atomic_version = self.store.increment(keys::VERSION_COUNTER, 1)?;
        let count = events.len() as i64;
        let last = self.store.increment(keys::EVENT_COUNTER, count)?;
        let entities_before: BTreeSet<(Target, u64, String)> = events
            .iter()
            .map(|e| (e.target, e.run_number, e.name.clone()))
            .filter(|(t, r, n)| {
                log::len(self.store, &keys::entity_log(*t, *r, n))
                    .map(|n| n == 0)
                    .unwrap_or(false)
            })
            .collect();
        for (i, event) in events.iter_mut().enumerate() {
            event.version = last - count + 1 + i as i64;
            event.atomic_version = atomic_version;
            event.manual_change = manual;
            self.store
                .set(&keys::event(event.version), &serde_json::to_vec(event)?)?;
        }
        let version = Version {
            atomic_version,
            by: actor.email.clone(),
            comment: comment.to_owned(),
            created_at: now_iso(),
            events: events.iter().map(|e| e.version).collect(),
        };
        self.store.set(
            &keys::version(atomic_version),
            &serde_json::to_vec(&version)?,
        )?;
        for event in &events {
            log::append(
                self.store,
                &keys::entity_log(event.target, event.run_number, &event.name),
                &event.version.to_string(),
            )?;
        }
        self.refresh_touched(&events)?;
        // Indexes are published last, so a reader never finds a run or dataset before its records.
        for (target, run_number, name) in entities_before {
            match target {
                Target::Run => {
                    log::append(self.store, keys::RUN_INDEX, &run_number.to_string())?;
                }
                Target::Dataset => {
                    log::append(
                        self.store,
                        keys::DATASET_INDEX,
                        &format!("{run_number}\t{name}"),
                    )?;
                    log::append(self.store, &keys::run_datasets_index(run_number), &name)?;
                }
                Target::RrLs | Target::OmsLs => {}
            }
        }
        Ok(version)
    }

    fn refresh_touched(&self, events: &[Event]) -> RrResult<()> {
        let mut runs = BTreeSet::new();
        let mut datasets = BTreeSet::new();
        for event in events {
            match event.target {
                Target::Run => {
                    runs.insert(event.run_number);
                }
                Target::OmsLs if event.name == ONLINE => {
                    // Offline datasets merge the online OMS events: refresh them all.
                    for name in self.dataset_names(event.run_number)? {
                        datasets.insert((event.run_number, name));
                    }
                    datasets.insert((event.run_number, ONLINE.to_owned()));
                }
                _ => {
                    datasets.insert((event.run_number, event.name.clone()));
                }
            }
        }
        for run_number in runs {
            self.refresh_run(run_number)?;
        }
        for (run_number, name) in datasets {
            self.refresh_dataset(run_number, &name)?;
        }
        Ok(())
    }

    /// Every event of one entity, in version order.
    pub fn entity_events(
        &self,
        target: Target,
        run_number: u64,
        name: &str,
    ) -> RrResult<Vec<Event>> {
        let ids = log::read_all(self.store, &keys::entity_log(target, run_number, name))?;
        let mut events = Vec::with_capacity(ids.len());
        for id in ids {
            let id: i64 = id
                .parse()
                .map_err(|_| RrError::internal("corrupt event log"))?;
            events.push(
                self.event(id)?
                    .ok_or_else(|| RrError::internal(format!("event {id} is missing")))?,
            );
        }
        events.sort_by_key(|e| e.version);
        events.dedup_by_key(|e| e.version);
        Ok(events)
    }

    pub fn event(&self, id: i64) -> RrResult<Option<Event>> {
        self.read(&keys::event(id))
    }

    pub fn version(&self, atomic_version: i64) -> RrResult<Option<Version>> {
        self.read(&keys::version(atomic_version))
    }

    /// The highest atomic version handed out.
    pub fn latest_version(&self) -> RrResult<i64> {
        Ok(self.store.increment(keys::VERSION_COUNTER, 0)?)
    }

    pub fn run(&self, run_number: u64) -> RrResult<Option<RunState>> {
        self.read(&keys::run(run_number))
    }

    pub fn dataset(&self, run_number: u64, name: &str) -> RrResult<Option<DatasetState>> {
        self.read(&keys::dataset(run_number, name))
    }

    /// The triplet cache (§2.4) of a dataset.
    pub fn cache(&self, run_number: u64, name: &str) -> RrResult<Option<Value>> {
        self.read(&keys::cache(run_number, name))
    }

    /// Every run number ever created, ascending.
    pub fn run_numbers(&self) -> RrResult<Vec<u64>> {
        let mut runs: Vec<u64> = log::read_all(self.store, keys::RUN_INDEX)?
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        runs.sort_unstable();
        runs.dedup();
        Ok(runs)
    }

    /// Every (run, dataset name) ever created, by run then name.
    pub fn dataset_keys(&self) -> RrResult<Vec<(u64, String)>> {
        let mut all: Vec<(u64, String)> = log::read_all(self.store, keys::DATASET_INDEX)?
            .iter()
            .filter_map(|entry| {
                entry
                    .split_once('\t')
                    .and_then(|(r, n)| Some((r.parse().ok()?, n.to_owned())))
            })
            .collect();
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// The dataset names of one run (`online` first when present).
    pub fn dataset_names(&self, run_number: u64) -> RrResult<Vec<String>> {
        let mut names = log::read_all(self.store, &keys::run_datasets_index(run_number))?;
        names.sort_by_key(|n| (n != ONLINE, n.clone()));
        names.dedup();
        Ok(names)
    }

    /// Re-folds a run's record from its events and writes it with compare-and-swap.
    pub fn refresh_run(&self, run_number: u64) -> RrResult<()> {
        self.refresh(&keys::run(run_number), || {
            let events = self.entity_events(Target::Run, run_number, "")?;
            Ok(serde_json::to_vec(&fold_run(run_number, &events))?)
        })
        .map(|_| ())
    }

    /// Re-folds a dataset's record and its triplet cache.
    pub fn refresh_dataset(&self, run_number: u64, name: &str) -> RrResult<()> {
        let state = std::cell::RefCell::new(None);
        let written = self.refresh(&keys::dataset(run_number, name), || {
            let folded = self.fold_dataset(run_number, name)?;
            let bytes = serde_json::to_vec(&folded)?;
            *state.borrow_mut() = Some(folded);
            Ok(bytes)
        })?;
        if let (true, Some(folded)) = (written, state.into_inner()) {
            let cache = serde_json::to_vec(&folded.triplet_cache())?;
            // The cache only moves forward: a slower writer with an older fold leaves it alone. The second
            // pass is a real CAS once the key exists (Spin upserts an absent key unconditionally).
            for _ in 0..2 {
                update_with_retry(
                    self.store,
                    &keys::cache(run_number, name),
                    MAX_REFRESH_ATTEMPTS,
                    |old| {
                        let old_version = old
                            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                            .and_then(|v| v["version"].as_i64());
                        (old_version.unwrap_or(-1) <= folded.version).then(|| cache.clone())
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Folds a dataset from its logs (offline datasets also read the online OMS events).
    pub fn fold_dataset(&self, run_number: u64, name: &str) -> RrResult<DatasetState> {
        let dataset_events = self.entity_events(Target::Dataset, run_number, name)?;
        let rr_events = self.entity_events(Target::RrLs, run_number, name)?;
        let mut oms_events = self.entity_events(Target::OmsLs, run_number, name)?;
        if name != ONLINE {
            oms_events.extend(self.entity_events(Target::OmsLs, run_number, ONLINE)?);
        }
        Ok(fold_dataset(
            run_number,
            name,
            &dataset_events,
            &rr_events,
            &oms_events,
        ))
    }

    /// Read the record, fold (after the read, so the fold sees every event written before), CAS; retry on conflict.
    /// Returns whether the record changed.
    fn refresh(&self, key: &str, mut fold: impl FnMut() -> RrResult<Vec<u8>>) -> RrResult<bool> {
        let mut wrote_absent = false;
        for _ in 0..MAX_REFRESH_ATTEMPTS {
            let old = self.store.get(key)?;
            let new = fold()?;
            if old.as_deref() == Some(new.as_slice()) {
                return Ok(wrote_absent);
            }
            if self.store.compare_and_swap(key, old.as_deref(), &new)? == CasOutcome::Swapped {
                if old.is_some() {
                    return Ok(true);
                }
                // Under Spin a CAS on an absent key upserts unconditionally, so a racing first writer may
                // have been overwritten: fold once more against the now-present key to converge.
                wrote_absent = true;
            }
        }
        Err(RrError::internal(format!(
            "{key} kept changing under concurrent writers"
        )))
    }

    /// All versions, newest first, one page: `{versions, pages, count}`.
    pub fn versions_page(&self, page: usize, page_size: usize) -> RrResult<Value> {
        let page_size = page_size.clamp(1, 1000);
        let count = self.latest_version()?.max(0) as usize;
        let newest = count.saturating_sub(page * page_size);
        let oldest = newest.saturating_sub(page_size);
        let mut versions = Vec::new();
        for v in (oldest + 1..=newest).rev() {
            if let Some(version) = self.version(v as i64)? {
                versions.push(
                    serde_json::json!({"atomic_version": version.atomic_version, "by": version.by,
                    "comment": version.comment, "createdAt": version.created_at}),
                );
            }
        }
        Ok(
            serde_json::json!({"versions": versions, "pages": count.div_ceil(page_size), "count": count}),
        )
    }

    /// Versions of a set of events, read once each.
    pub fn versions_of(&self, events: &[Event]) -> RrResult<BTreeMap<i64, Version>> {
        let mut out = BTreeMap::new();
        for event in events {
            if let std::collections::btree_map::Entry::Vacant(slot) =
                out.entry(event.atomic_version)
            {
                if let Some(v) = self.version(event.atomic_version)? {
                    slot.insert(v);
                }
            }
        }
        Ok(out)
    }
}
