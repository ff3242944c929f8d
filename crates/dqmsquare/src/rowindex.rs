//! The per-run index (`runs/by-run/<run>`) in a layout that is read without parsing: what `get_run` and
//! `get_runs` read on every request.
//!
//! Layout 2 (written since layout 1 was found to cost most of those routes' time in JSON decoding and
//! per-field allocations):
//!
//! | Bytes | What |
//! |---|---|
//! | 0..4 | `DQ2I` (a JSON list, layout 1, starts with `[`) |
//! | 4 | layout version, `2` |
//! | 5..9 | row count `n`, u32 little-endian |
//! | 9..9+132·n | one fixed-size record per row, in `client, id` order |
//! | the rest | the string table: UTF-8, each distinct string once |
//!
//! A record: a u32 of presence bits (bit `i` for number `i`, bit `8 + j` for optional string `j`), the eight
//! strings `id, served_id, client, hostname, client_path, runkey, fi_state, vmrss` as (u32 start, u32 length)
//! into the string table, then the eight numbers `run, rev, exit_code, events_total, events_rate (f64 bits),
//! cmssw_run, cmssw_lumi, timestamp_us` as 8 bytes little-endian each. Reading checks the string table's
//! UTF-8 once and each string's bounds, and borrows every string from the stored bytes ([`RowRef`]).
//!
//! Layout 1, a JSON list of [`RunRow`]s without logs, is still read (an index written by an older build);
//! the next write of that run's index rewrites it in layout 2.

use std::collections::HashMap;

use kv_api::{KvError, KvResult};

use crate::model::RunRow;

const MAGIC: &[u8; 4] = b"DQ2I";
const VERSION: u8 = 2;
const HEADER: usize = 9;
const STRINGS: usize = 8;
const NUMBERS: usize = 8;
const RECORD: usize = 4 + STRINGS * 8 + NUMBERS * 8;

/// One row of a run's index, borrowed from the stored bytes (or from a decoded layout-1 row).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RowRef<'a> {
    pub id: &'a str,
    pub served_id: &'a str,
    pub client: Option<&'a str>,
    pub run: Option<i64>,
    pub rev: Option<i64>,
    pub hostname: Option<&'a str>,
    pub exit_code: Option<i64>,
    pub events_total: Option<i64>,
    pub events_rate: Option<f64>,
    pub cmssw_run: Option<i64>,
    pub cmssw_lumi: Option<i64>,
    pub client_path: Option<&'a str>,
    pub runkey: Option<&'a str>,
    pub fi_state: Option<&'a str>,
    pub timestamp_us: Option<i64>,
    pub vmrss: Option<&'a str>,
}

impl<'a> RowRef<'a> {
    pub fn from_row(row: &'a RunRow) -> Self {
        RowRef {
            id: &row.id,
            served_id: &row.served_id,
            client: row.client.as_deref(),
            run: row.run,
            rev: row.rev,
            hostname: row.hostname.as_deref(),
            exit_code: row.exit_code,
            events_total: row.events_total,
            events_rate: row.events_rate,
            cmssw_run: row.cmssw_run,
            cmssw_lumi: row.cmssw_lumi,
            client_path: row.client_path.as_deref(),
            runkey: row.runkey.as_deref(),
            fi_state: row.fi_state.as_deref(),
            timestamp_us: row.timestamp_us,
            vmrss: row.vmrss.as_deref(),
        }
    }

    /// The owned row (without logs, which the index does not keep).
    pub fn to_row(&self) -> RunRow {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        RunRow {
            id: self.id.to_owned(),
            served_id: self.served_id.to_owned(),
            client: owned(self.client),
            run: self.run,
            rev: self.rev,
            hostname: owned(self.hostname),
            exit_code: self.exit_code,
            events_total: self.events_total,
            events_rate: self.events_rate,
            cmssw_run: self.cmssw_run,
            cmssw_lumi: self.cmssw_lumi,
            client_path: owned(self.client_path),
            runkey: owned(self.runkey),
            fi_state: owned(self.fi_state),
            timestamp_us: self.timestamp_us,
            vmrss: owned(self.vmrss),
            stdlog_start: Vec::new(),
            stdlog_end: Vec::new(),
        }
    }
}

/// A run's index as read from the store; [`RunIndex::rows`] borrows the rows from it.
#[derive(Debug)]
pub struct RunIndex {
    key: String,
    stored: Stored,
}

#[derive(Debug)]
enum Stored {
    Layout2(Vec<u8>),
    Layout1(Vec<RunRow>),
}

impl Default for RunIndex {
    fn default() -> Self {
        RunIndex {
            key: String::new(),
            stored: Stored::Layout1(Vec::new()),
        }
    }
}

fn invalid(key: &str, why: impl std::fmt::Display) -> KvError {
    KvError::Other(format!("stored value of {key:?} is not valid: {why}"))
}

impl RunIndex {
    /// The stored value of `key` in either layout. A layout-1 value is parsed here, layout 2 in [`RunIndex::rows`].
    pub fn decode(key: &str, bytes: Vec<u8>) -> KvResult<RunIndex> {
        let stored = if bytes.starts_with(MAGIC) {
            Stored::Layout2(bytes)
        } else {
            Stored::Layout1(serde_json::from_slice(&bytes).map_err(|err| invalid(key, err))?)
        };
        Ok(RunIndex {
            key: key.to_owned(),
            stored,
        })
    }

    /// Every row, in stored (`client, id`) order.
    pub fn rows(&self) -> KvResult<Vec<RowRef<'_>>> {
        match &self.stored {
            Stored::Layout1(rows) => Ok(rows.iter().map(RowRef::from_row).collect()),
            Stored::Layout2(bytes) => read_layout2(bytes).map_err(|why| invalid(&self.key, why)),
        }
    }

    /// The rows as owned [`RunRow`]s (what the writers merge into).
    pub fn into_rows(self) -> KvResult<Vec<RunRow>> {
        match self.stored {
            Stored::Layout1(rows) => Ok(rows),
            Stored::Layout2(_) => Ok(self.rows()?.iter().map(RowRef::to_row).collect()),
        }
    }
}

fn read_layout2(bytes: &[u8]) -> Result<Vec<RowRef<'_>>, &'static str> {
    let header = bytes.get(..HEADER).ok_or("truncated header")?;
    if header[4] != VERSION {
        return Err("unknown index layout version");
    }
    let count = u32::from_le_bytes([header[5], header[6], header[7], header[8]]) as usize;
    let records_end = count
        .checked_mul(RECORD)
        .and_then(|len| len.checked_add(HEADER))
        .filter(|end| *end <= bytes.len())
        .ok_or("row count beyond the value")?;
    let table =
        std::str::from_utf8(&bytes[records_end..]).map_err(|_| "string table is not UTF-8")?;
    let mut rows = Vec::with_capacity(count);
    for record in bytes[HEADER..records_end].chunks_exact(RECORD) {
        rows.push(read_record(record, table).ok_or("a string reaches outside the table")?);
    }
    Ok(rows)
}

fn read_record<'a>(record: &[u8], table: &'a str) -> Option<RowRef<'a>> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(record.get(at..at + 4)?.try_into().ok()?))
    };
    let present = word(0)?;
    let text = |j: usize| -> Option<&'a str> {
        let (start, len) = (word(4 + j * 8)? as usize, word(8 + j * 8)? as usize);
        table.get(start..start.checked_add(len)?)
    };
    let optional = |j: usize| -> Option<Option<&'a str>> {
        if present & (1 << (8 + j)) == 0 {
            Some(None)
        } else {
            text(j).map(Some)
        }
    };
    let raw = |i: usize| -> Option<[u8; 8]> {
        let at = 4 + STRINGS * 8 + i * 8;
        record.get(at..at + 8)?.try_into().ok()
    };
    let int = |i: usize| -> Option<Option<i64>> {
        let value = i64::from_le_bytes(raw(i)?);
        Some((present & (1 << i) != 0).then_some(value))
    };
    Some(RowRef {
        id: text(0)?,
        served_id: text(1)?,
        client: optional(2)?,
        hostname: optional(3)?,
        client_path: optional(4)?,
        runkey: optional(5)?,
        fi_state: optional(6)?,
        vmrss: optional(7)?,
        run: int(0)?,
        rev: int(1)?,
        exit_code: int(2)?,
        events_total: int(3)?,
        events_rate: (present & (1 << 4) != 0).then_some(f64::from_le_bytes(raw(4)?)),
        cmssw_run: int(5)?,
        cmssw_lumi: int(6)?,
        timestamp_us: int(7)?,
    })
}

/// The rows in layout 2 (logs are not kept). Fails only past 4 GiB of rows, which no store holds.
pub fn encode(rows: &[RunRow]) -> KvResult<Vec<u8>> {
    let too_large = || KvError::Other("a run's index would exceed 4 GiB".into());
    let count = u32::try_from(rows.len()).map_err(|_| too_large())?;
    let mut records = Vec::with_capacity(HEADER + rows.len() * RECORD);
    records.extend_from_slice(MAGIC);
    records.push(VERSION);
    records.extend_from_slice(&count.to_le_bytes());
    let mut table = String::new();
    let mut known: HashMap<&str, u32> = HashMap::new();
    for row in rows {
        let strings = [
            Some(row.id.as_str()),
            Some(row.served_id.as_str()),
            row.client.as_deref(),
            row.hostname.as_deref(),
            row.client_path.as_deref(),
            row.runkey.as_deref(),
            row.fi_state.as_deref(),
            row.vmrss.as_deref(),
        ];
        let numbers = [
            row.run,
            row.rev,
            row.exit_code,
            row.events_total,
            row.events_rate.map(|f| i64::from_le_bytes(f.to_le_bytes())),
            row.cmssw_run,
            row.cmssw_lumi,
            row.timestamp_us,
        ];
        let mut present = 0u32;
        for (i, number) in numbers.iter().enumerate() {
            if number.is_some() {
                present |= 1 << i;
            }
        }
        for (j, text) in strings.iter().enumerate().skip(2) {
            if text.is_some() {
                present |= 1 << (8 + j);
            }
        }
        records.extend_from_slice(&present.to_le_bytes());
        for text in strings {
            let text = text.unwrap_or_default();
            let start = match known.get(text) {
                Some(start) => *start,
                None => {
                    let start = u32::try_from(table.len()).map_err(|_| too_large())?;
                    table.push_str(text);
                    known.insert(text, start);
                    start
                }
            };
            let len = u32::try_from(text.len()).map_err(|_| too_large())?;
            records.extend_from_slice(&start.to_le_bytes());
            records.extend_from_slice(&len.to_le_bytes());
        }
        for number in numbers {
            records.extend_from_slice(&number.unwrap_or_default().to_le_bytes());
        }
    }
    u32::try_from(table.len()).map_err(|_| too_large())?;
    records.extend_from_slice(table.as_bytes());
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<RunRow> {
        let full = RunRow {
            id: "dqm-source-state-run7-hostfu-c2f11-11-01-pid000001".into(),
            served_id: "dqm-source-state-run7-hostfu..01-pid000001".into(),
            client: Some("ecalgpu_dqm_sourceclient-live".into()),
            run: Some(7),
            rev: Some(i64::MAX),
            hostname: Some("fu-c2f11-11-01".into()),
            exit_code: Some(0),
            events_total: Some(-1),
            events_rate: Some(-0.0),
            cmssw_run: Some(i64::MIN),
            cmssw_lumi: Some(3),
            client_path: Some("12_4_8".into()),
            runkey: Some("cosmic_run".into()),
            fi_state: Some(String::new()),
            timestamp_us: Some(1_663_242_618_284_412),
            vmrss: Some("344340 kB".into()),
            stdlog_start: Vec::new(),
            stdlog_end: Vec::new(),
        };
        let unicode = RunRow {
            id: "é\"\\\u{0}😀".into(),
            served_id: "é\"\\\u{0}😀".into(),
            client: Some("ünï".into()),
            hostname: Some("fu-c2f11-11-01".into()),
            events_rate: Some(f64::NAN),
            ..RunRow::default()
        };
        vec![full, RunRow::default(), unicode]
    }

    fn same(a: &RunRow, b: &RunRow) -> bool {
        // NaN != NaN: compare the rate's bits.
        let bits = |r: &RunRow| r.events_rate.map(f64::to_bits);
        bits(a) == bits(b)
            && RunRow {
                events_rate: None,
                ..a.clone()
            } == RunRow {
                events_rate: None,
                ..b.clone()
            }
    }

    #[test]
    fn layout_2_round_trips_every_field() {
        let rows = rows();
        let bytes = encode(&rows).unwrap();
        assert!(bytes.starts_with(MAGIC));
        let back = RunIndex::decode("k", bytes).unwrap().into_rows().unwrap();
        assert_eq!(back.len(), rows.len());
        for (a, b) in rows.iter().zip(&back) {
            assert!(same(a, b), "{a:?} != {b:?}");
        }
        let empty = encode(&[]).unwrap();
        assert_eq!(empty.len(), HEADER);
        assert!(RunIndex::decode("k", empty)
            .unwrap()
            .rows()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn layout_1_json_is_still_read() {
        let rows: Vec<RunRow> = rows().into_iter().take(2).collect();
        let json = serde_json::to_vec(&rows).unwrap();
        let index = RunIndex::decode("k", json).unwrap();
        let refs = index.rows().unwrap();
        assert_eq!(refs[0].client, Some("ecalgpu_dqm_sourceclient-live"));
        assert_eq!(index.into_rows().unwrap(), rows);
        assert!(RunIndex::decode("k", b"{\"no\": 1}".to_vec()).is_err());
    }

    #[test]
    fn strings_are_stored_once() {
        let row = rows().remove(0);
        let one = encode(std::slice::from_ref(&row)).unwrap();
        let two = encode(&[row.clone(), row]).unwrap();
        assert_eq!(two.len(), one.len() + RECORD);
    }

    #[test]
    fn damaged_values_are_errors_never_panics() {
        let bytes = encode(&rows()).unwrap();
        for len in 0..bytes.len() {
            let cut = bytes[..len].to_vec();
            if let Ok(index) = RunIndex::decode("k", cut) {
                let _ = index.rows();
            }
        }
        // Every single byte changed, three ways: bad counts, offsets, lengths, flags and UTF-8 all appear.
        for at in 0..bytes.len() {
            for value in [0x00, 0xff, bytes[at] ^ 0x80] {
                let mut bad = bytes.clone();
                bad[at] = value;
                if let Ok(index) = RunIndex::decode("k", bad) {
                    if let Ok(rows) = index.rows() {
                        assert!(rows.len() <= 3);
                    }
                }
            }
        }
        let mut huge = bytes.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = RunIndex::decode("k", huge).unwrap().rows().unwrap_err();
        assert!(err.to_string().contains("row count"), "{err}");
        let mut version = bytes;
        version[4] = 3;
        assert!(RunIndex::decode("k", version).unwrap().rows().is_err());
    }
}
