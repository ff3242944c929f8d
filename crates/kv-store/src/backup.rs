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
use crate::other;

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
        // Group by backend: SQLite by file (or in-memory db), Redis by URL.
        let mut sqlite: Vec<(&Opened, Vec<(&str, &str, &[u8])>)> = Vec::new();
        let mut redis: Vec<(&Opened, Vec<(&str, &[u8])>)> = Vec::new();
        for (label, key, value) in &entries {
            let backend =
                opened.get(label.as_str()).ok_or_else(|| other(format!("dump names unknown store {label:?}")))?;
            match backend {
                Opened::Sqlite(store) => {
                    let group = match sqlite.iter_mut().position(|(o, _)| same_backend(o, backend)) {
                        Some(i) => &mut sqlite[i].1,
                        None => {
                            sqlite.push((backend, Vec::new()));
                            &mut sqlite.last_mut().expect("just pushed").1
                        }
                    };
                    group.push((store.label(), key.as_str(), value.as_slice()));
                }
                Opened::Redis(_) => {
                    let group = match redis.iter_mut().position(|(o, _)| same_backend(o, backend)) {
                        Some(i) => &mut redis[i].1,
                        None => {
                            redis.push((backend, Vec::new()));
                            &mut redis.last_mut().expect("just pushed").1
                        }
                    };
                    group.push((key.as_str(), value.as_slice()));
                }
            }
        }
        for (backend, group) in &sqlite {
            if let Opened::Sqlite(store) = backend {
                store.db().write_all(group)?;
            }
        }
        for (backend, group) in &redis {
            if let Opened::Redis(store) = backend {
                store.write_all(group)?;
            }
        }
        Ok(entries.len())
    }
}

fn same_backend(a: &Opened, b: &Opened) -> bool {
    match (a, b) {
        (Opened::Sqlite(x), Opened::Sqlite(y)) => x.db().same_db(y.db()),
        (Opened::Redis(x), Opened::Redis(y)) => x.url() == y.url(),
        _ => false,
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
