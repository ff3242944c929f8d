//! The slim workflow document (spec §2.1, §5.1–5.4, §6) and the seven index values it emits (§2.3).

use crate::upstream::{as_int, ParentEntry, ParentMask};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub type Doc = Map<String, Value>;

/// ReqMgr2 fields copied verbatim when present.
const COPIED: [&str; 8] = [
    "RequestName",
    "RequestType",
    "CMSSWVersion",
    "SizePerEvent",
    "TimePerEvent",
    "LumiList",
    "AcquisitionEra",
    "PrepID",
];

/// Lookups that a document derivation may need from DBS and ReqMgr2 (rules 5–6 and Resubmission, §5.2–5.3).
pub trait Lookups {
    /// Events of an input dataset: with a non-empty `lumi_mask` the sum over masked files, else filesummaries.
    fn input_events(
        &mut self,
        dataset: &str,
        lumi_mask: Option<&Map<String, Value>>,
    ) -> Result<i64, String>;
    /// `result[0]` of the by-PrepID lookup, in document order.
    fn parents(
        &mut self,
        prep_id: &str,
        mask: ParentMask,
    ) -> Result<Vec<(String, ParentEntry)>, String>;
}

/// Python truthiness of a JSON value.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn present<'a>(map: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Value> {
    map?.get(key).filter(|v| !v.is_null())
}

/// Builds the document for workflow `name` from its ReqMgr2 request (without history or `LastUpdate`).
pub fn build_document(
    name: &str,
    raw: &Map<String, Value>,
    lookups: &mut dyn Lookups,
) -> Result<Doc, String> {
    let task1 = raw.get("Task1").and_then(Value::as_object);
    let step1 = raw.get("Step1").and_then(Value::as_object);
    let mut doc = Doc::new();
    doc.insert("_id".into(), Value::String(name.to_owned()));
    for key in COPIED {
        if let Some(value) = raw.get(key) {
            doc.insert(key.into(), value.clone());
        }
    }
    if doc.get("PrepID").is_some_and(Value::is_null) {
        doc.remove("PrepID");
    }
    let first_of = |key: &str| {
        present(task1, key)
            .or(present(step1, key))
            .or(present(Some(raw), key))
            .cloned()
    };
    if let Some(input) = first_of("InputDataset") {
        doc.insert("InputDataset".into(), input);
    }
    if let Some(Value::String(ps)) = first_of("ProcessingString") {
        doc.insert("ProcessingString".into(), Value::String(ps));
    }
    let mut outputs = Vec::new();
    flatten_strings(
        raw.get("OutputDatasets").unwrap_or(&Value::Null),
        &mut outputs,
    );
    sort_by_tier(&mut outputs);
    doc.insert("OutputDatasets".into(), outputs.into());
    doc.insert(
        "RequestPriority".into(),
        priority(raw.get("RequestPriority")).into(),
    );
    doc.insert(
        "RequestTransition".into(),
        transitions(raw.get("RequestTransition")),
    );
    let resubmission = request_type(raw).eq_ignore_ascii_case("resubmission");
    let eff = first_of_f64([
        present(Some(raw), "FilterEfficiency"),
        present(task1, "FilterEfficiency"),
        present(step1, "FilterEfficiency"),
    ]);
    let (events, lumis) = if resubmission {
        let prep_id = raw.get("PrepID").and_then(Value::as_str).unwrap_or("");
        let events = parent_figure(lookups, prep_id, ParentMask::TotalInputEvents)?
            .and_then(|v| v.as_f64())
            .map_or(-1, |tie| (eff * tie) as i64);
        let lumis =
            parent_figure(lookups, prep_id, ParentMask::TotalInputLumis)?.unwrap_or(Value::Null);
        (events, lumis)
    } else {
        let events = expected_events(raw, task1, step1, eff, lookups)?;
        (
            events,
            raw.get("TotalInputLumis")
                .cloned()
                .unwrap_or(Value::from(-1)),
        )
    };
    doc.insert("TotalEvents".into(), events.into());
    doc.insert("TotalInputLumis".into(), lumis);
    let (campaigns, requests) = campaigns_and_requests(raw);
    doc.insert("Campaigns".into(), campaigns.into());
    doc.insert("Requests".into(), requests.into());
    Ok(doc)
}

pub fn request_type(doc: &Map<String, Value>) -> &str {
    doc.get("RequestType").and_then(Value::as_str).unwrap_or("")
}

fn first_of_f64<const N: usize>(candidates: [Option<&Value>; N]) -> f64 {
    candidates
        .into_iter()
        .flatten()
        .next()
        .and_then(Value::as_f64)
        .unwrap_or(1.0)
}

fn flatten_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|item| flatten_strings(item, out)),
        _ => {}
    }
}

/// `int(RequestPriority or 0)`, with `null` as 0 (spec Decision).
fn priority(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(v) => as_int(v).unwrap_or(0),
        None => 0,
    }
}

/// Transitions reduced to exactly `Status` and `UpdateTime`.
fn transitions(value: Option<&Value>) -> Value {
    let rows = value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    rows.iter()
        .filter_map(Value::as_object)
        .map(|row| {
            let kept: Map<String, Value> = ["Status", "UpdateTime"]
                .into_iter()
                .filter_map(|k| row.get(k).map(|v| (k.to_owned(), v.clone())))
                .collect();
            Value::Object(kept)
        })
        .collect()
}

fn expected_events(
    raw: &Map<String, Value>,
    task1: Option<&Map<String, Value>>,
    step1: Option<&Map<String, Value>>,
    eff: f64,
    lookups: &mut dyn Lookups,
) -> Result<i64, String> {
    let input_files = raw
        .get("TotalInputFiles")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    if let (true, Some(tie)) = (input_files > 0.0, present(Some(raw), "TotalInputEvents")) {
        return Ok((eff * tie.as_f64().unwrap_or(0.0)) as i64);
    }
    // Rules 2–4; a null counts as absent (spec Decision).
    for value in [
        present(Some(raw), "RequestNumEvents"),
        present(task1, "RequestNumEvents"),
        present(step1, "RequestNumEvents"),
    ] {
        if let Some(events) = value.and_then(as_int) {
            return Ok(events);
        }
    }
    for task in [task1, step1].into_iter().flatten() {
        if let Some(dataset) = task
            .get("InputDataset")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
        {
            let mask = task
                .get("LumiList")
                .and_then(Value::as_object)
                .filter(|m| !m.is_empty());
            return lookups.input_events(dataset, mask);
        }
    }
    Ok(-1)
}

/// The figure of the first non-Resubmission workflow sharing the PrepID (events: the first non-null one).
fn parent_figure(
    lookups: &mut dyn Lookups,
    prep_id: &str,
    mask: ParentMask,
) -> Result<Option<Value>, String> {
    if prep_id.is_empty() {
        return Ok(None);
    }
    let parents = lookups.parents(prep_id, mask)?;
    let mut candidates = parents.into_iter().filter(|(_, entry)| {
        !entry
            .request_type
            .as_deref()
            .unwrap_or("")
            .eq_ignore_ascii_case("resubmission")
    });
    Ok(match mask {
        ParentMask::TotalInputEvents => {
            candidates.find_map(|(_, e)| e.total_input_events.filter(|v| !v.is_null()))
        }
        ParentMask::TotalInputLumis => candidates
            .next()
            .map(|(_, e)| e.total_input_lumis.unwrap_or(Value::Null)),
    })
}

/// Campaigns and per-task PrepIDs from the Task/Step walk (§5.4).
fn campaigns_and_requests(raw: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let prefix = if raw.contains_key("StepChain") {
        "Step"
    } else {
        "Task"
    };
    let truthy_str = |map: &Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (mut campaigns, mut requests) = (Vec::new(), Vec::new());
    for i in 1..=999 {
        let Some(task) = raw.get(&format!("{prefix}{i}")) else {
            break;
        };
        let Some(task) = task.as_object() else {
            continue;
        };
        if let Some(campaign) =
            truthy_str(task, "Campaign").or_else(|| truthy_str(task, "AcquisitionEra"))
        {
            campaigns.push(campaign);
        }
        if let Some(prep_id) = truthy_str(task, "PrepID") {
            requests.push(prep_id);
        }
    }
    if campaigns.is_empty() {
        // A dict AcquisitionEra is not a campaign (spec Decision): truthy_str only takes strings.
        campaigns.extend(truthy_str(raw, "Campaign").or_else(|| truthy_str(raw, "AcquisitionEra")));
    }
    (campaigns, requests)
}

/// Output-dataset tiers in priority order (§6).
const TIERS: [&str; 55] = [
    "USER",
    "FEVT",
    "RAW-HLT",
    "ALCARECO",
    "ALCAPROMPT",
    "HLT",
    "DQM",
    "DQMIO",
    "DQMROOT",
    "GEN-SIM-RECODEBUG",
    "GEN-SIM-DIGI-RECODEBUG",
    "GEN-SIM-RAWDEBUG",
    "GEN-SIM-RAW-HLTDEBUG",
    "GEN-SIM-RAW-HLTDEBUG-RECO",
    "GEN-SIM-RAW-HLTDEBUG-RECODEBUG",
    "GEN-SIM-DIGI-RAW-HLTDEBUG-RECO",
    "GEN-SIM-DIGI-RAW-HLTDEBUG",
    "GEN-SIM-DIGI-HLTDEBUG-RECO",
    "GEN-SIM-DIGI-HLTDEBUG",
    "FEVTDEBUGHLT",
    "GEN-RAWDEBUG",
    "RAWDEBUG",
    "RECODEBUG",
    "HLTDEBUG",
    "RAWRECOSIMHLT",
    "RAW-RECOSIMHLT",
    "RECOSIMHLT",
    "FEVTHLTALL",
    "PREMIXRAW",
    "PREMIX-RAW",
    "RAW",
    "RAW-RECO",
    "LHE",
    "GEN",
    "GEN-RAW",
    "GEN-SIM",
    "SIM",
    "DIGI",
    "DIGI-RECO",
    "RECO",
    "RAWAODSIM",
    "GEN-SIM-RECO",
    "GEN-SIM-RAW",
    "GEN-SIM-RAW-HLT",
    "GEN-SIM-RAW-RECO",
    "GEN-SIM-DIGI",
    "GEN-SIM-DIGI-RECO",
    "GEN-SIM-DIGI-RAW",
    "GEN-SIM-DIGI-RAW-RECO",
    "AOD",
    "AODSIM",
    "MINIAOD",
    "MINIAODSIM",
    "NANOAOD",
    "NANOAODSIM",
];

/// Index of a dataset's tier; unknown tiers are -1 and sort first.
pub fn tier_priority(dataset: &str) -> i32 {
    let tier = dataset.rsplit('/').next().unwrap_or("");
    TIERS
        .iter()
        .position(|t| *t == tier)
        .map_or(-1, |i| i as i32)
}

/// Stable sort by tier priority.
pub fn sort_by_tier(datasets: &mut [String]) {
    datasets.sort_by_key(|d| tier_priority(d));
}

/// The seven secondary indexes; `name()` is also the view's filter parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Index {
    Prepid,
    OutputDataset,
    InputDataset,
    Campaign,
    Type,
    ProcessingString,
    Request,
}

impl Index {
    /// In the order `/search` tries them.
    pub const ALL: [Index; 7] = [
        Index::Prepid,
        Index::OutputDataset,
        Index::InputDataset,
        Index::Campaign,
        Index::Type,
        Index::ProcessingString,
        Index::Request,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Index::Prepid => "prepid",
            Index::OutputDataset => "output_dataset",
            Index::InputDataset => "input_dataset",
            Index::Campaign => "campaign",
            Index::Type => "type",
            Index::ProcessingString => "processing_string",
            Index::Request => "request",
        }
    }

    pub fn from_name(name: &str) -> Option<Index> {
        Index::ALL.into_iter().find(|i| i.name() == name)
    }

    /// The document field the index reads.
    pub fn field(self) -> &'static str {
        match self {
            Index::Prepid => "PrepID",
            Index::OutputDataset => "OutputDatasets",
            Index::InputDataset => "InputDataset",
            Index::Campaign => "Campaigns",
            Index::Type => "RequestType",
            Index::ProcessingString => "ProcessingString",
            Index::Request => "Requests",
        }
    }

    /// The values this document emits under the index (distinct, empty strings skipped).
    pub fn values(self, doc: &Doc) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        match doc.get(self.field()) {
            Some(Value::String(s)) => {
                out.insert(s.clone());
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
        out.remove("");
        out
    }

    pub fn matches(self, doc: &Doc, value: &str) -> bool {
        !value.is_empty() && self.values(doc).contains(value)
    }
}

/// Every `(index, value)` pair a document emits.
pub fn index_entries(doc: &Doc) -> BTreeSet<(Index, String)> {
    Index::ALL
        .into_iter()
        .flat_map(|index| index.values(doc).into_iter().map(move |v| (index, v)))
        .collect()
}

/// The `YYMMDD_HHMMSS` part of a workflow name: `"_".join(name.split("_")[-3:-1])`.
pub fn name_timestamp(name: &str) -> String {
    let parts: Vec<&str> = name.split('_').collect();
    let end = parts.len().saturating_sub(1);
    let start = parts.len().saturating_sub(3);
    parts[start..end].join("_")
}

/// Workflow names become store keys (Spin: at most 256 bytes) and index lines: no empty, long or
/// control-character names.
pub fn valid_workflow_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 200 && !name.chars().any(char::is_control)
}
