//! The one place that knows the key layout: the logical tables of spec §4 as KV keys.
//!
//! Every key starts `dqmsquare/<db>/` (one namespace per cluster, like the original's database per mode):
//!
//! | Key | Value |
//! |---|---|
//! | `runs/row/<raw id>` | the full [`RunRow`], logs included (read by `get_logs`) |
//! | `runs/by-run/<run>` | every row of that run without logs, in `client, id` order (read by `get_run`, `get_runs`), in the [`crate::rowindex`] layout 2; layout 1 (a JSON list of rows, older builds) is still read |
//! | `runs/run-list` | the sorted distinct run numbers (runs around a run, ranges, `get_info` fallback) |
//! | `runs/served/<served id>` | the raw id behind a censored id |
//! | `rev/<host>` | the highest `rev` stored for that host, `runs` and `graphs` together (`get_latest_revision`) |
//! | `cursor/<host>` | the grabber's sync cursor: the `sync_to_rev` of the last answer stored completely |
//! | `graphs/<run>` | the [`GraphRow`] of that run |
//! | `meta/<name>` | `meta.data` (`min_max_runs` = `"[min, max]"`) |
//! | `hostnames` | the [`HostName`] rows |
//! | `hoststatus/<host id>` | the latest [`HostStatus`] of that host |
//! | `counter/<table>` | SERIAL ids (`increment`) |
//! | `canvas/<run>/<n>` | the robber's PNG of canvas `n` |
//! | `robber/old-run/<run>` | the [`OldRunVisit`] of the robber's old-runs mode |
//!
//! No request scans the store: every read is by key. Concurrent writers lose nothing: a row key is
//! written whole by whoever ingests that document (an upsert), and every shared index key (`by-run`,
//! `run-list`, `rev`, `meta`, `hostnames`) is changed only through compare-and-swap with retry.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use kv_api::{update_with_retry, CasOutcome, KvError, KvResult, KvStore};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{GraphRow, HostName, HostStatus, OldRunVisit, RunRow};
use crate::rowindex::{self, RunIndex};
use crate::Db;

const CAS_ATTEMPTS: usize = 64;
/// How many `-2`, `-3`, … suffixes a colliding censored id may try.
const MAX_SERVED_ID_SUFFIX: usize = 1000;
/// Per-run indexes read per `get_many` by range queries.
const RANGE_BATCH: usize = 64;
/// Rows written per `set_many` (one SQLite transaction), bounding its size.
const WRITE_BATCH: usize = 500;

/// `(prev, next)`: the closest runs below and above a run, `None` when there is none.
pub type RunsAround = (Option<i64>, Option<i64>);

pub struct Tables<'a> {
    kv: &'a dyn KvStore,
    db: Db,
}

impl<'a> Tables<'a> {
    pub fn new(kv: &'a dyn KvStore, db: Db) -> Self {
        Tables { kv, db }
    }

    pub fn db(&self) -> Db {
        self.db
    }

    fn key(&self, rest: &str) -> String {
        format!("dqmsquare/{}/{rest}", self.db.name())
    }

    fn read<T: DeserializeOwned>(&self, key: &str) -> KvResult<Option<T>> {
        match self.kv.get(key)? {
            None => Ok(None),
            Some(bytes) => decode(key, Some(&bytes)).map(Some),
        }
    }

    fn write<T: Serialize>(&self, key: &str, value: &T) -> KvResult<()> {
        self.kv.set(key, &encode(value))
    }

    /// Read-modify-write of a shared JSON key with compare-and-swap; `change` returns `false` for "no change".
    fn update<T, F>(&self, key: &str, mut change: F) -> KvResult<()>
    where
        T: Serialize + DeserializeOwned + Default,
        F: FnMut(&mut T) -> bool,
    {
        let mut decode_error = None;
        update_with_retry(self.kv, key, CAS_ATTEMPTS, |current| {
            let mut value: T = match current.map(|bytes| decode(key, Some(bytes))).transpose() {
                Ok(value) => value.unwrap_or_default(),
                Err(err) => {
                    decode_error = Some(err);
                    return None;
                }
            };
            change(&mut value).then(|| encode(&value))
        })?;
        decode_error.map_or(Ok(()), Err)
    }

    // ---- runs ----

    /// Upserts one `runs` row by id (the original deletes by id, then inserts); see [`Tables::upsert_runs`].
    pub fn upsert_run(&self, row: RunRow) -> KvResult<()> {
        self.upsert_runs(vec![row])
    }

    /// Upserts `runs` rows by id and keeps every index current. The rows' previous versions are read in one
    /// batch and the rows written in one (a single SQLite transaction), then each touched index key gets one
    /// compare-and-swap for the whole batch. Each row's `served_id` is its censored id; it is claimed on first
    /// insert (a `-2`, `-3`, … suffix on collision) and kept afterwards. Of rows sharing an id, the last wins.
    pub fn upsert_runs(&self, rows: Vec<RunRow>) -> KvResult<()> {
        let mut rows = rows;
        let mut seen = HashSet::new();
        rows.reverse();
        rows.retain(|row| seen.insert(row.id.clone()));
        rows.reverse();
        let row_keys: Vec<String> = rows
            .iter()
            .map(|row| self.key(&format!("runs/row/{}", row.id)))
            .collect();
        let refs: Vec<&str> = row_keys.iter().map(String::as_str).collect();
        let previous = self.kv.get_many(&refs)?;
        let mut index_changes: BTreeMap<i64, (Vec<String>, Vec<RunRow>)> = BTreeMap::new();
        let mut revisions: BTreeMap<String, i64> = BTreeMap::new();
        let mut encoded = Vec::with_capacity(rows.len());
        for ((row, key), previous) in rows.into_iter().zip(&row_keys).zip(previous) {
            let previous: Option<RunRow> = previous.map(|b| decode(key, Some(&b))).transpose()?;
            let served_id = match &previous {
                Some(old) => old.served_id.clone(),
                None => self.claim_served_id(&row.id, &row.served_id)?,
            };
            let row = RunRow { served_id, ..row };
            encoded.push(encode(&row));
            if let Some(old_run) = previous
                .and_then(|old| old.run)
                .filter(|old| Some(*old) != row.run)
            {
                index_changes
                    .entry(old_run)
                    .or_default()
                    .0
                    .push(row.id.clone());
            }
            if let (Some(host), Some(rev)) = (&row.hostname, row.rev) {
                let best = revisions.entry(bare_host(host).to_owned()).or_insert(rev);
                *best = (*best).max(rev);
            }
            if let Some(run) = row.run {
                index_changes
                    .entry(run)
                    .or_default()
                    .1
                    .push(row.without_logs());
            }
        }
        let entries: Vec<(&str, &[u8])> = refs
            .iter()
            .zip(&encoded)
            .map(|(key, value)| (*key, value.as_slice()))
            .collect();
        for part in entries.chunks(WRITE_BATCH) {
            self.kv.set_many(part)?;
        }
        for (run, (removed, upserted)) in &mut index_changes {
            upserted.sort_by(row_order);
            let upserted_ids: HashSet<&str> = upserted.iter().map(|u| u.id.as_str()).collect();
            let key = self.run_index_key(*run);
            let mut failure = None;
            update_with_retry(self.kv, &key, CAS_ATTEMPTS, |current| {
                let index = match current {
                    None => Ok(Vec::new()),
                    Some(bytes) => {
                        RunIndex::decode(&key, bytes.to_vec()).and_then(RunIndex::into_rows)
                    }
                };
                let written = index.and_then(|mut index| {
                    index.retain(|r| {
                        !removed.contains(&r.id) && !upserted_ids.contains(r.id.as_str())
                    });
                    rowindex::encode(&merge_sorted(index, upserted.clone()))
                });
                written.map_err(|err| failure = Some(err)).ok()
            })?;
            if let Some(err) = failure {
                return Err(err);
            }
        }
        self.add_run_numbers(
            index_changes
                .iter()
                .filter(|(_, (_, up))| !up.is_empty())
                .map(|(run, _)| *run)
                .collect(),
        )?;
        for (host, rev) in revisions {
            self.raise_revision(&host, rev)?;
        }
        Ok(())
    }

    fn claim_served_id(&self, raw_id: &str, censored: &str) -> KvResult<String> {
        for n in 1..=MAX_SERVED_ID_SUFFIX {
            let candidate = if n == 1 {
                censored.to_owned()
            } else {
                format!("{censored}-{n}")
            };
            let key = self.key(&format!("runs/served/{candidate}"));
            match self.kv.compare_and_swap(&key, None, raw_id.as_bytes())? {
                CasOutcome::Swapped => return Ok(candidate),
                CasOutcome::Conflict
                    if self.kv.get(&key)?.as_deref() == Some(raw_id.as_bytes()) =>
                {
                    return Ok(candidate)
                }
                CasOutcome::Conflict => continue,
            }
        }
        Err(KvError::Other(format!(
            "too many ids censor to {censored:?}"
        )))
    }

    fn run_index_key(&self, run: i64) -> String {
        self.key(&format!("runs/by-run/{run}"))
    }

    fn add_run_numbers(&self, runs: Vec<i64>) -> KvResult<()> {
        let key = self.key("runs/run-list");
        let known: Vec<i64> = self.read(&key)?.unwrap_or_default();
        if runs.iter().all(|run| known.binary_search(run).is_ok()) {
            return Ok(());
        }
        self.update(&key, |list: &mut Vec<i64>| {
            let before = list.len();
            for run in &runs {
                if let Err(at) = list.binary_search(run) {
                    list.insert(at, *run);
                }
            }
            list.len() != before
        })
    }

    /// A row with its logs, by raw id.
    pub fn run_row(&self, id: &str) -> KvResult<Option<RunRow>> {
        self.read(&self.key(&format!("runs/row/{id}")))
    }

    /// A row with its logs, by the censored id the API serves.
    pub fn run_row_by_served_id(&self, served_id: &str) -> KvResult<Option<RunRow>> {
        match self
            .kv
            .get(&self.key(&format!("runs/served/{served_id}")))?
        {
            Some(raw) => self.run_row(&String::from_utf8_lossy(&raw)),
            None => Ok(None),
        }
    }

    /// Every row of a run, without logs, in `client, id` order.
    pub fn run_rows(&self, run: i64) -> KvResult<Vec<RunRow>> {
        self.run_index(run)?.into_rows()
    }

    /// A run's index (empty when the run has none), to read its rows in place with [`RunIndex::rows`].
    pub fn run_index(&self, run: i64) -> KvResult<RunIndex> {
        let key = self.run_index_key(run);
        match self.kv.get(&key)? {
            Some(bytes) => RunIndex::decode(&key, bytes),
            None => Ok(RunIndex::default()),
        }
    }

    /// The sorted distinct run numbers of the `runs` table.
    pub fn run_numbers(&self) -> KvResult<Vec<i64>> {
        Ok(self.read(&self.key("runs/run-list"))?.unwrap_or_default())
    }

    /// `[prev, next]`: the closest runs below and above `run`.
    pub fn runs_around(&self, run: i64) -> KvResult<RunsAround> {
        Ok(neighbours(&self.run_numbers()?, run))
    }

    /// What `get_run` needs, in one round trip: `([prev, next], the run's index)`.
    pub fn run_with_neighbours(&self, run: i64) -> KvResult<(RunsAround, RunIndex)> {
        let (list_key, index_key) = (self.key("runs/run-list"), self.run_index_key(run));
        let [list, rows]: [Option<Vec<u8>>; 2] = self
            .kv
            .get_many(&[&list_key, &index_key])?
            .try_into()
            .map_err(|_| KvError::Other("get_many answered the wrong number of values".into()))?;
        let runs: Vec<i64> = list.map_or(Ok(Vec::new()), |b| decode(&list_key, Some(&b)))?;
        let index = rows.map_or(Ok(RunIndex::default()), |b| RunIndex::decode(&index_key, b))?;
        Ok((neighbours(&runs, run), index))
    }

    /// Every run in `from..=to` with its index, ascending: the run list, then one batch read.
    /// A short range (fewer than [`RANGE_BATCH`] run numbers) skips the run list: its indexes are asked for
    /// directly, in one round trip, and the runs without one are left out.
    pub fn runs_in_range(&self, from: i64, to: i64) -> KvResult<Vec<(i64, RunIndex)>> {
        let short = to
            .checked_sub(from)
            .is_some_and(|span| (0..RANGE_BATCH as i64).contains(&span));
        let runs: Vec<i64> = if short {
            (from..=to).collect()
        } else {
            self.run_numbers()?
                .into_iter()
                .filter(|r| (from..=to).contains(r))
                .collect()
        };
        let keys: Vec<String> = runs.iter().map(|r| self.run_index_key(*r)).collect();
        let mut out = Vec::with_capacity(runs.len());
        // Bounded batches keep each answer under the host's read-size limit.
        for (runs, keys) in runs.chunks(RANGE_BATCH).zip(keys.chunks(RANGE_BATCH)) {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            for ((run, key), value) in runs.iter().zip(&refs).zip(self.kv.get_many(&refs)?) {
                match value {
                    Some(bytes) => out.push((*run, RunIndex::decode(key, bytes)?)),
                    None if short => {}
                    None => out.push((*run, RunIndex::default())),
                }
            }
        }
        Ok(out)
    }

    // ---- revisions and the sync cursor ----

    fn raise_revision(&self, host: &str, rev: i64) -> KvResult<()> {
        let key = self.rev_key(host);
        if self.read::<i64>(&key)?.is_some_and(|known| known >= rev) {
            return Ok(());
        }
        self.update(&key, |known: &mut Option<i64>| {
            let raise = known.is_none_or(|k| k < rev);
            if raise {
                *known = Some(rev);
            }
            raise
        })
    }

    fn rev_key(&self, host: &str) -> String {
        self.key(&format!("rev/{}", bare_host(host)))
    }

    /// The original's `get_latest_revision`: the highest stored `rev` of a host (`.cms` ignored).
    pub fn latest_revision(&self, host: &str) -> KvResult<Option<i64>> {
        Ok(self.read::<Option<i64>>(&self.rev_key(host))?.flatten())
    }

    pub fn cursor(&self, host: &str) -> KvResult<Option<i64>> {
        self.read(&self.key(&format!("cursor/{}", bare_host(host))))
    }

    pub fn set_cursor(&self, host: &str, rev: i64) -> KvResult<()> {
        self.write(&self.key(&format!("cursor/{}", bare_host(host))), &rev)
    }

    // ---- graphs ----

    /// Upserts by `run` (§11a Decision: the original deletes by id while the key is run).
    pub fn upsert_graph(&self, row: &GraphRow) -> KvResult<()> {
        self.write(&self.key(&format!("graphs/{}", row.run)), row)?;
        self.raise_revision(&row.hostname, row.rev)
    }

    pub fn graph(&self, run: i64) -> KvResult<Option<GraphRow>> {
        self.read(&self.key(&format!("graphs/{run}")))
    }

    // ---- meta ----

    pub fn meta(&self, name: &str) -> KvResult<Option<String>> {
        Ok(self
            .kv
            .get(&self.key(&format!("meta/{name}")))?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The original's `update_min_max`: sets `min_max_runs` outright.
    pub fn set_min_max(&self, min: i64, max: i64) -> KvResult<()> {
        self.kv.set(
            &self.key("meta/min_max_runs"),
            format!("[{min}, {max}]").as_bytes(),
        )
    }

    /// Widens `min_max_runs` to include `run` (never with −1, §11a).
    pub fn widen_min_max(&self, run: i64) -> KvResult<()> {
        if run == -1 {
            return Ok(());
        }
        let key = self.key("meta/min_max_runs");
        update_with_retry(self.kv, &key, CAS_ATTEMPTS, |current| {
            let (min, max) = current.and_then(parse_min_max).unwrap_or((run, run));
            let widened = (min.min(run), max.max(run));
            (current.is_none() || widened != (min, max))
                .then(|| format!("[{}, {}]", widened.0, widened.1).into_bytes())
        })
        .map(|_| ())
    }

    /// Drops and recreates `min_max_runs` from the stored runs (the grabber does this at start).
    pub fn rebuild_min_max(&self) -> KvResult<()> {
        let runs: Vec<i64> = self
            .run_numbers()?
            .into_iter()
            .filter(|r| *r != -1)
            .collect();
        match (runs.first(), runs.last()) {
            (Some(min), Some(max)) => self.set_min_max(*min, *max),
            _ => self.kv.delete(&self.key("meta/min_max_runs")),
        }
    }

    /// `get_info`: `meta.min_max_runs`, else MIN/MAX over `runs.run`; `(None, None)` when empty.
    pub fn info(&self) -> KvResult<(Option<i64>, Option<i64>)> {
        if let Some((min, max)) = self
            .meta("min_max_runs")?
            .as_deref()
            .and_then(|m| parse_min_max(m.as_bytes()))
        {
            return Ok((Some(min), Some(max)));
        }
        let runs = self.run_numbers()?;
        Ok((runs.first().copied(), runs.last().copied()))
    }

    // ---- hostnames and hoststatuses ----

    /// Inserts one `hoststatuses` row for `name` (registering the host first) and keeps it as the latest.
    pub fn record_status(
        &self,
        name: &str,
        is_up: bool,
        message: Option<String>,
        now_us: i64,
    ) -> KvResult<()> {
        let host_id = self.host_id(name)?;
        let id = self.kv.increment(&self.key("counter/hoststatuses"), 1)?;
        let status = HostStatus {
            id,
            host_id,
            created_at_us: now_us,
            is_up,
            message,
        };
        self.write(&self.key(&format!("hoststatus/{host_id}")), &status)
    }

    fn host_id(&self, name: &str) -> KvResult<i64> {
        let key = self.key("hostnames");
        let known: Vec<HostName> = self.read(&key)?.unwrap_or_default();
        if let Some(host) = known.iter().find(|h| h.name == name) {
            return Ok(host.id);
        }
        let fresh = self.kv.increment(&self.key("counter/hostnames"), 1)?;
        let mut id = fresh;
        self.update(&key, |hosts: &mut Vec<HostName>| {
            match hosts.iter().find(|h| h.name == name) {
                // Another writer registered it meanwhile: the UNIQUE name wins, our serial id is skipped.
                Some(host) => {
                    id = host.id;
                    false
                }
                None => {
                    id = fresh;
                    hosts.push(HostName {
                        id: fresh,
                        name: name.to_owned(),
                    });
                    true
                }
            }
        })?;
        Ok(id)
    }

    /// Every registered host with its latest status, in registration order.
    pub fn latest_statuses(&self) -> KvResult<Vec<(HostName, HostStatus)>> {
        let hosts: Vec<HostName> = self.read(&self.key("hostnames"))?.unwrap_or_default();
        let mut out = Vec::with_capacity(hosts.len());
        for host in hosts {
            if let Some(status) = self.read(&self.key(&format!("hoststatus/{}", host.id)))? {
                out.push((host, status));
            }
        }
        Ok(out)
    }

    // ---- canvases (the robber's PNGs) ----

    pub fn put_canvas(&self, run: i64, n: u32, png: &[u8]) -> KvResult<()> {
        self.kv.set(&self.key(&format!("canvas/{run}/{n}")), png)
    }

    pub fn canvas(&self, run: i64, n: u32) -> KvResult<Option<Vec<u8>>> {
        self.kv.get(&self.key(&format!("canvas/{run}/{n}")))
    }

    // ---- the robber's old-runs bookkeeping ----

    pub fn old_run_visit(&self, run: i64) -> KvResult<Option<OldRunVisit>> {
        self.read(&self.key(&format!("robber/old-run/{run}")))
    }

    pub fn set_old_run_visit(&self, run: i64, visit: &OldRunVisit) -> KvResult<()> {
        self.write(&self.key(&format!("robber/old-run/{run}")), visit)
    }
}

/// `run, client, id` order with the original's PostgreSQL collation: punctuation and case are ignored
/// first (`dt4ml` < `dt`, `ecalcalib` < `ecal`), the raw names break ties; NULL clients sort last.
pub fn row_order(a: &RunRow, b: &RunRow) -> Ordering {
    a.run
        .cmp(&b.run)
        .then_with(|| match (&a.client, &b.client) {
            (Some(x), Some(y)) => collate(x, y),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        })
        .then_with(|| collate(&a.id, &b.id))
}

/// Compares the alphanumerics, lowercased, then the raw text; lazily, since sorting calls it a lot.
fn collate(a: &str, b: &str) -> Ordering {
    let key = |text: &str| {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<Vec<char>>()
    };
    if a.is_ascii() && b.is_ascii() {
        return ascii_key(a).cmp(ascii_key(b)).then_with(|| a.cmp(b));
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

fn ascii_key(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
}

/// Two lists in [`row_order`] merged into one.
fn merge_sorted(a: Vec<RunRow>, b: Vec<RunRow>) -> Vec<RunRow> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if row_order(x, y) == Ordering::Greater {
            b.next()
        } else {
            a.next()
        };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
}

/// The closest runs below and above `run` in a sorted run list.
fn neighbours(runs: &[i64], run: i64) -> RunsAround {
    let below = runs.partition_point(|r| *r < run);
    let above = runs.partition_point(|r| *r <= run);
    (
        below.checked_sub(1).map(|i| runs[i]),
        runs.get(above).copied(),
    )
}

/// A host name as the tables key it: without `.cms`.
pub fn bare_host(host: &str) -> &str {
    host.strip_suffix(".cms").unwrap_or(host)
}

fn parse_min_max(bytes: &[u8]) -> Option<(i64, i64)> {
    let pair: [i64; 2] = serde_json::from_slice(bytes).ok()?;
    Some((pair[0], pair[1]))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our row types always serialise (no maps with non-string keys, no NaN-only failures).
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(key: &str, bytes: Option<&[u8]>) -> KvResult<T> {
    serde_json::from_slice(bytes.unwrap_or_default())
        .map_err(|err| KvError::Other(format!("stored value of {key:?} is not valid: {err}")))
}
