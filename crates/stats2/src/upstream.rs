//! The seam to cmsweb: every upstream call as a [`Call`] value, the [`Upstream`] trait that performs one,
//! and serde parsers for the answers (tolerant of extra fields, clear errors for wrong shapes).
//!
//! The real client (TLS client certificate, timeouts, bounded retries) lives in scraper-host; it only
//! maps a `Call` to `method`, `service` host, `path_and_query` and `body`, and returns the body bytes.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Which host serves a call: cmsweb (ReqMgr2, WMStats) or DBS (`cmsweb-prod:8443`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Cmsweb,
    Dbs,
}

/// Which parent figure a Resubmission lookup asks ReqMgr2 for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParentMask {
    TotalInputEvents,
    TotalInputLumis,
}

impl ParentMask {
    pub fn field(self) -> &'static str {
        match self {
            ParentMask::TotalInputEvents => "TotalInputEvents",
            ParentMask::TotalInputLumis => "TotalInputLumis",
        }
    }
}

/// One upstream request (spec §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Call {
    Changes {
        since: String,
    },
    RequestDoc {
        name: String,
    },
    ParentLookup {
        prep_id: String,
        mask: ParentMask,
    },
    WmstatsActive,
    DbsModifiedDatasets {
        min_ldate: i64,
    },
    DbsDatasetList {
        datasets: Vec<String>,
    },
    DbsFileSummaries {
        dataset: String,
        valid_only: bool,
    },
    /// `lumi_list` is the JSON ranges of one run without spaces, e.g. `[[1,10],[20,30]]`.
    DbsFiles {
        dataset: String,
        run: String,
        lumi_list: String,
        valid_only: bool,
    },
}

const REQMGR_DB: &str = "/couchdb/reqmgr_workload_cache";
const DBS_READER: &str = "/dbs/prod/global/DBSReader";

impl Call {
    pub fn service(&self) -> Service {
        match self {
            Call::Changes { .. }
            | Call::RequestDoc { .. }
            | Call::ParentLookup { .. }
            | Call::WmstatsActive => Service::Cmsweb,
            _ => Service::Dbs,
        }
    }

    pub fn method(&self) -> &'static str {
        match self {
            Call::DbsDatasetList { .. } => "POST",
            _ => "GET",
        }
    }

    /// Seconds to wait for the answer; WMStats is slow (spec §3).
    pub fn timeout_secs(&self) -> u64 {
        match self {
            Call::WmstatsActive => 600,
            _ => 90,
        }
    }

    pub fn path_and_query(&self) -> String {
        let valid = |on: bool| if on { "&validFileOnly=1" } else { "" };
        match self {
            Call::Changes { since } => format!("{REQMGR_DB}/_changes?since={}", encode(since)),
            Call::RequestDoc { name } => format!("{REQMGR_DB}/{}", encode(name)),
            Call::ParentLookup { prep_id, mask } => format!(
                "/reqmgr2/data/request?mask={}&mask=RequestType&prep_id={}",
                mask.field(),
                encode(prep_id)
            ),
            Call::WmstatsActive => {
                "/wmstatsserver/data/filtered_requests?mask=RequestName".to_owned()
            }
            Call::DbsModifiedDatasets { min_ldate } => {
                format!("{DBS_READER}/datasets?min_ldate={min_ldate}&dataset_access_type=*")
            }
            Call::DbsDatasetList { .. } => format!("{DBS_READER}/datasetlist"),
            Call::DbsFileSummaries {
                dataset,
                valid_only,
            } => {
                format!(
                    "{DBS_READER}/filesummaries?dataset={}{}",
                    encode(dataset),
                    valid(*valid_only)
                )
            }
            Call::DbsFiles {
                dataset,
                run,
                lumi_list,
                valid_only,
            } => format!(
                "{DBS_READER}/files?dataset={}&detail=true&run_num={}&lumi_list={}{}",
                encode(dataset),
                encode(run),
                encode(lumi_list),
                valid(*valid_only)
            ),
        }
    }

    /// The JSON request body, for POST calls.
    pub fn body(&self) -> Option<Vec<u8>> {
        match self {
            Call::DbsDatasetList { datasets } => Some(
                serde_json::json!({"dataset": datasets, "detail": 1, "dataset_access_type": "*"})
                    .to_string()
                    .into_bytes(),
            ),
            _ => None,
        }
    }
}

impl Call {
    /// The call an HTTP request stands for: the inverse of `method`/`path_and_query`/`body`, so a
    /// fake cmsweb served over HTTP(S) can answer through [`crate::fake::FakeCmsweb`].
    pub fn parse(method: &str, path_and_query: &str, body: Option<&[u8]>) -> Option<Call> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let params = parse_query(query);
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let valid_only = param("validFileOnly").as_deref() == Some("1");
        if let Some(rest) = path
            .strip_prefix(REQMGR_DB)
            .and_then(|p| p.strip_prefix('/'))
        {
            return Some(match rest {
                "_changes" => Call::Changes {
                    since: param("since")?,
                },
                name => Call::RequestDoc {
                    name: percent_decode(name),
                },
            });
        }
        if path == "/reqmgr2/data/request" {
            let masks: Vec<&String> = params
                .iter()
                .filter(|(k, _)| k == "mask")
                .map(|(_, v)| v)
                .collect();
            let mask = if masks.iter().any(|m| *m == "TotalInputLumis") {
                ParentMask::TotalInputLumis
            } else {
                ParentMask::TotalInputEvents
            };
            return Some(Call::ParentLookup {
                prep_id: param("prep_id")?,
                mask,
            });
        }
        if path == "/wmstatsserver/data/filtered_requests" {
            return Some(Call::WmstatsActive);
        }
        let dbs = path.strip_prefix(DBS_READER)?;
        Some(match (method, dbs) {
            ("GET", "/datasets") => Call::DbsModifiedDatasets {
                min_ldate: param("min_ldate")?.parse().ok()?,
            },
            ("POST", "/datasetlist") => {
                #[derive(Deserialize)]
                struct Body {
                    dataset: Vec<String>,
                }
                let body: Body = serde_json::from_slice(body?).ok()?;
                Call::DbsDatasetList {
                    datasets: body.dataset,
                }
            }
            ("GET", "/filesummaries") => Call::DbsFileSummaries {
                dataset: param("dataset")?,
                valid_only,
            },
            ("GET", "/files") => Call::DbsFiles {
                dataset: param("dataset")?,
                run: param("run_num")?,
                lumi_list: param("lumi_list")?,
                valid_only,
            },
            _ => return None,
        })
    }
}

/// Percent-encodes everything outside RFC 3986's unreserved set.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `a=1&b=x%20y` as decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why an upstream call gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    Timeout,
    /// A non-2xx HTTP status (spec §3 Decision: a failure, not data).
    Status(u16),
    Transport(String),
    /// The body did not have the documented shape.
    Parse(String),
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Timeout => f.write_str("upstream timed out"),
            UpstreamError::Status(code) => write!(f, "upstream answered HTTP {code}"),
            UpstreamError::Transport(msg) => write!(f, "upstream transport error: {msg}"),
            UpstreamError::Parse(msg) => write!(f, "unexpected upstream answer: {msg}"),
        }
    }
}

impl std::error::Error for UpstreamError {}

/// Performs one call and returns the 2xx body. Implementations retry transport errors themselves.
pub trait Upstream {
    fn fetch(&self, call: &Call) -> Result<Vec<u8>, UpstreamError>;

    /// Independent calls, answered in order; a client may run them concurrently (a pass batches
    /// request documents and filesummaries this way).
    fn fetch_many(&self, calls: &[Call]) -> Vec<Result<Vec<u8>, UpstreamError>> {
        calls.iter().map(|call| self.fetch(call)).collect()
    }
}

fn parse<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, UpstreamError> {
    serde_json::from_slice(body).map_err(|e| UpstreamError::Parse(format!("{what}: {e}")))
}

/// The useful part of a `_changes` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// Opaque; stored verbatim (a number from an old CouchDB becomes its decimal text).
    pub last_seq: String,
}

pub fn parse_changes(body: &[u8]) -> Result<Changes, UpstreamError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        #[serde(default)]
        deleted: bool,
    }
    #[derive(Deserialize)]
    struct Feed {
        results: Vec<Row>,
        last_seq: Value,
    }
    let feed: Feed = parse("_changes", body)?;
    let last_seq = match feed.last_seq {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        other => {
            return Err(UpstreamError::Parse(format!(
                "_changes: last_seq is {other}"
            )))
        }
    };
    let mut changes = Changes {
        changed: Vec::new(),
        deleted: Vec::new(),
        last_seq,
    };
    for row in feed
        .results
        .into_iter()
        .filter(|row| !row.id.contains("_design"))
    {
        if row.deleted {
            changes.deleted.push(row.id);
        } else {
            changes.changed.push(row.id);
        }
    }
    Ok(changes)
}

/// A ReqMgr2 request document: any JSON object.
pub fn parse_request_doc(body: &[u8]) -> Result<serde_json::Map<String, Value>, UpstreamError> {
    parse("request document", body)
}

/// One workflow of a by-PrepID lookup, in the order ReqMgr2 sent them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ParentEntry {
    #[serde(rename = "RequestType", default)]
    pub request_type: Option<String>,
    #[serde(rename = "TotalInputEvents", default)]
    pub total_input_events: Option<Value>,
    #[serde(rename = "TotalInputLumis", default)]
    pub total_input_lumis: Option<Value>,
}

/// `result[0]` of a by-PrepID lookup as `(name, entry)` pairs in document order (the first match wins).
pub fn parse_parent_lookup(body: &[u8]) -> Result<Vec<(String, ParentEntry)>, UpstreamError> {
    #[derive(Deserialize)]
    struct Answer {
        result: Vec<Ordered>,
    }
    let answer: Answer = parse("request lookup", body)?;
    Ok(answer
        .result
        .into_iter()
        .next()
        .map(|o| o.0)
        .unwrap_or_default())
}

/// A JSON object kept as pairs in document order (serde_json's map sorts its keys).
struct Ordered(Vec<(String, ParentEntry)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of workflow name to {RequestType, …}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Ordered(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

pub fn parse_wmstats_active(body: &[u8]) -> Result<Vec<String>, UpstreamError> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(rename = "RequestName")]
        name: String,
    }
    #[derive(Deserialize)]
    struct Answer {
        result: Vec<Row>,
    }
    let answer: Answer = parse("wmstats", body)?;
    Ok(answer.result.into_iter().map(|row| row.name).collect())
}

/// DBS `datasets?min_ldate=`: the names.
pub fn parse_dataset_names(body: &[u8]) -> Result<Vec<String>, UpstreamError> {
    #[derive(Deserialize)]
    struct Row {
        dataset: String,
    }
    let rows: Vec<Row> = parse("dbs datasets", body)?;
    Ok(rows.into_iter().map(|row| row.dataset).collect())
}

/// DBS `datasetlist`: `(dataset, dataset_access_type)` pairs.
pub fn parse_datasetlist(body: &[u8]) -> Result<Vec<(String, String)>, UpstreamError> {
    #[derive(Deserialize)]
    struct Row {
        dataset: String,
        dataset_access_type: String,
    }
    let rows: Vec<Row> = parse("dbs datasetlist", body)?;
    Ok(rows
        .into_iter()
        .map(|row| (row.dataset, row.dataset_access_type))
        .collect())
}

/// Totals of DBS `filesummaries`; missing figures count as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileSummary {
    pub events: i64,
    pub size: i64,
    pub lumis: i64,
}

pub fn parse_filesummaries(body: &[u8]) -> Result<FileSummary, UpstreamError> {
    let rows: Vec<serde_json::Map<String, Value>> = parse("dbs filesummaries", body)?;
    let Some(row) = rows.first() else {
        return Ok(FileSummary::default());
    };
    let field = |name: &str| row.get(name).and_then(as_int).unwrap_or(0);
    Ok(FileSummary {
        events: field("num_event"),
        size: field("file_size"),
        lumis: field("num_lumi"),
    })
}

/// DBS `files` with a lumi mask: the sum of `event_count`.
pub fn parse_files_event_count(body: &[u8]) -> Result<i64, UpstreamError> {
    let rows: Vec<serde_json::Map<String, Value>> = parse("dbs files", body)?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get("event_count").and_then(as_int))
        .fold(0i64, i64::saturating_add))
}

/// Python's `int(x)` for JSON numbers: integers as they are, floats truncated.
pub fn as_int(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}
