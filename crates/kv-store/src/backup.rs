//! Portable dump/restore of every label: JSON lines, a header line then one entry per line.
//!
//! ```text
//! {"format":"dqm-spin-kv-dump","version":1}
//! {"store":"default","key":"runs/1","value_b64":"AQIDBA=="}
//! ```
//! JSON lines stream, diff and grep well, and base64 keeps binary values (e.g. SQLite counters) exact.
//! Values are copied byte for byte, so counters keep their backend's encoding (SQLite 8-byte LE, Redis decimal).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kv_api::{KvError, KvResult};
use serde::{Deserialize, Serialize};

use crate::manager::{Opened, StoreManager};
use crate::{other, RedisStore, SqliteDb};

/// The `format` of the header line.
pub const DUMP_FORMAT: &str = "dqm-spin-kv-dump";
const DUMP_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    store: String,
    key: String,
    value_b64: String,
}

impl StoreManager {
    /// Writes every label's entries to `out`; returns how many entries were written.
    /// Labels sharing one Redis URL share one keyspace, which is dumped once, under the first such label.
    pub fn dump(&self, out: &mut dyn Write) -> KvResult<usize> {
        let io = |e: std::io::Error| other(format!("writing dump: {e}"));
        let header = Header { format: DUMP_FORMAT.into(), version: DUMP_VERSION };
        writeln!(out, "{}", serde_json::to_string(&header).map_err(other)?).map_err(io)?;
        let mut dumped_urls = Vec::new();
        let mut count = 0;
        for (label, opened) in self.opened() {
            let entries = match opened {
                Opened::Sqlite(store) => store.db().entries(label)?,
                Opened::Redis(store) if dumped_urls.contains(&store.url()) => continue,
                Opened::Redis(store) => {
                    dumped_urls.push(store.url());
                    store.entries()?
                }
            };
            for (key, value) in entries {
                let entry = Entry { store: label.to_owned(), key, value_b64: STANDARD.encode(value) };
                writeln!(out, "{}", serde_json::to_string(&entry).map_err(other)?).map_err(io)?;
                count += 1;
            }
        }
        out.flush().map_err(io)?;
        Ok(count)
    }

    /// Upserts every entry of a dump (keys not in the dump are left alone); returns how many were written.
    ///
    /// The whole input is parsed and checked (header, JSON, base64, known labels) before anything is written,
    /// and each backend (SQLite file or Redis URL) is written in one transaction (MULTI/EXEC on Redis), so bad
    /// input or a failing backend writes nothing there.
    pub fn restore(&self, input: &mut dyn BufRead) -> KvResult<usize> {
        if self.is_read_only() {
            return Err(KvError::ReadOnly);
        }
        let entries = parse_dump(input)?;
        let opened: BTreeMap<&str, &Opened> = self.opened().collect();
        let mut batches: Vec<Batch> = Vec::new();
        for (label, key, value) in &entries {
            let backend =
                opened.get(label.as_str()).ok_or_else(|| other(format!("dump names unknown store {label:?}")))?;
            let index = match batches.iter().position(|batch| batch.is_for(backend)) {
                Some(index) => index,
                None => {
                    batches.push(Batch::new(backend));
                    batches.len() - 1
                }
            };
            batches[index].push(label, key, value);
        }
        for batch in &batches {
            batch.write()?;
        }
        Ok(entries.len())
    }
}

/// The entries bound for one backend: a SQLite database (any of its labels) or a Redis URL.
enum Batch<'a> {
    Sqlite { db: &'a SqliteDb, rows: Vec<(&'a str, &'a str, &'a [u8])> },
    Redis { store: &'a RedisStore, rows: Vec<(&'a str, &'a [u8])> },
}

impl<'a> Batch<'a> {
    fn new(backend: &'a Opened) -> Self {
        match backend {
            Opened::Sqlite(store) => Batch::Sqlite { db: store.db(), rows: Vec::new() },
            Opened::Redis(store) => Batch::Redis { store, rows: Vec::new() },
        }
    }

    fn is_for(&self, backend: &Opened) -> bool {
        match (self, backend) {
            (Batch::Sqlite { db, .. }, Opened::Sqlite(store)) => db.same_db(store.db()),
            (Batch::Redis { store, .. }, Opened::Redis(other)) => store.url() == other.url(),
            _ => false,
        }
    }

    fn push(&mut self, label: &'a str, key: &'a str, value: &'a [u8]) {
        match self {
            Batch::Sqlite { rows, .. } => rows.push((label, key, value)),
            // Spin's Redis store ignores the label.
            Batch::Redis { rows, .. } => rows.push((key, value)),
        }
    }

    fn write(&self) -> KvResult<()> {
        match self {
            Batch::Sqlite { db, rows } => db.write_all(rows),
            Batch::Redis { store, rows } => store.write_all(rows),
        }
    }
}

/// Parses a whole dump into `(label, key, value)`, rejecting anything malformed with its line number.
fn parse_dump(input: &mut dyn BufRead) -> KvResult<Vec<(String, String, Vec<u8>)>> {
    let mut lines = input.lines();
    let header_line = lines.next().ok_or_else(|| other("empty dump"))?.map_err(other)?;
    let header: Header =
        serde_json::from_str(&header_line).map_err(|e| other(format!("dump line 1 is not a header: {e}")))?;
    if header.format != DUMP_FORMAT || header.version != DUMP_VERSION {
        return Err(other(format!(
            "unsupported dump {} v{} (expected {DUMP_FORMAT} v{DUMP_VERSION})",
            header.format, header.version
        )));
    }
    let mut entries = Vec::new();
    for (index, line) in lines.enumerate() {
        let line_no = index + 2;
        let line = line.map_err(|e| other(format!("reading dump line {line_no}: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line).map_err(|e| other(format!("dump line {line_no}: {e}")))?;
        let value = STANDARD
            .decode(&entry.value_b64)
            .map_err(|e| other(format!("dump line {line_no}: value_b64: {e}")))?;
        entries.push((entry.store, entry.key, value));
    }
    Ok(entries)
}
