//! The current state as a fold of events, and the compacted records it is materialised into.
//!
//! RR attributes and RR lumisections merge `ORDER BY manual_change, version` (every manual change beats
//! every automatic one); OMS attributes, OMS lumisections and dataset attributes merge by version only.
//! Lumisections are kept as value spans per component / bit, so readers never touch per-LS rows.

use crate::model::{empty_triplet, Event, LsChange, Target, MAX_LUMISECTION};
use crate::ranges::{value_at, Span};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A materialised run (`rr/run/<run>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub run_number: u64,
    pub oms_attributes: Map<String, Value>,
    pub rr_attributes: Map<String, Value>,
    /// The highest event version folded in.
    pub version: i64,
    pub deleted: bool,
}

/// A materialised dataset (`rr/dataset/<run>/<name>`), LS as spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetState {
    pub run_number: u64,
    pub name: String,
    pub dataset_attributes: Map<String, Value>,
    pub datasets_in_gui: Vec<String>,
    pub deleted: bool,
    pub version: i64,
    /// Per component: spans of `{status, comment, cause}`.
    pub rr: BTreeMap<String, Vec<Span>>,
    /// LS that have at least one RR event.
    pub rr_present: Vec<[u32; 2]>,
    /// Per OMS attribute (DCS bits, luminosity, …): spans of values.
    pub oms: BTreeMap<String, Vec<Span>>,
    pub oms_present: Vec<[u32; 2]>,
}

/// Events in materialisation order.
pub fn ordered(events: &[Event], manual_priority: bool) -> Vec<&Event> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    if manual_priority {
        sorted.sort_by_key(|e| (e.manual_change, e.version));
    } else {
        sorted.sort_by_key(|e| e.version);
    }
    sorted
}

fn merge_into(target: &mut Map<String, Value>, delta: &Map<String, Value>) {
    target.extend(delta.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// Folds the events of one run.
pub fn fold_run(run_number: u64, events: &[Event]) -> RunState {
    let mut state = RunState {
        run_number,
        oms_attributes: Map::new(),
        rr_attributes: Map::new(),
        version: 0,
        deleted: false,
    };
    for event in ordered(events, false) {
        merge_into(&mut state.oms_attributes, &event.oms_metadata);
        if let Some(deleted) = event.deleted {
            state.deleted = deleted;
        }
        state.version = state.version.max(event.version);
    }
    for event in ordered(events, true) {
        merge_into(&mut state.rr_attributes, &event.rr_metadata);
    }
    state
}

/// Per-LS columns of a folded LS entity. Cells hold indices into `values` (the payload values of the
/// folded events, not copied per LS), so folding thousands of LS stays cheap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LsColumns {
    columns: BTreeMap<String, Vec<u32>>,
    values: Vec<Value>,
    present: Vec<bool>,
}

const NO_VALUE: u32 = u32::MAX;

impl LsColumns {
    /// Folds LS events (already filtered to one entity) in the given order.
    pub fn fold(events: &[Event], manual_priority: bool) -> Self {
        let mut out = LsColumns::default();
        for event in ordered(events, manual_priority) {
            for change in &event.ranges {
                out.apply(change);
            }
        }
        out
    }

    fn apply(&mut self, change: &LsChange) {
        let (start, end) = (change.start.max(1), change.end.min(MAX_LUMISECTION));
        if start > end {
            return;
        }
        let len = end as usize;
        if self.present.len() < len {
            self.present.resize(len, false);
        }
        self.present[start as usize - 1..len]
            .iter_mut()
            .for_each(|p| *p = true);
        for (key, value) in &change.values {
            let index = self.values.len() as u32;
            self.values.push(value.clone());
            let column = self.columns.entry(key.clone()).or_default();
            if column.len() < len {
                column.resize(len, NO_VALUE);
            }
            column[start as usize - 1..len]
                .iter_mut()
                .for_each(|cell| *cell = index);
        }
    }

    pub fn len(&self) -> usize {
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// The value of `key` at `ls`, if set.
    pub fn get(&self, key: &str, ls: u32) -> Option<&Value> {
        let cell = *self.columns.get(key)?.get((ls as usize).checked_sub(1)?)?;
        (cell != NO_VALUE).then(|| &self.values[cell as usize])
    }

    /// The LS objects (index 0 is LS 1) with only the keys that are set.
    pub fn per_ls(&self) -> Vec<Map<String, Value>> {
        let mut rows = vec![Map::new(); self.len()];
        for (key, column) in &self.columns {
            for (row, cell) in rows.iter_mut().zip(column) {
                if *cell != NO_VALUE {
                    row.insert(key.clone(), self.values[*cell as usize].clone());
                }
            }
        }
        rows
    }

    fn spans(&self) -> BTreeMap<String, Vec<Span>> {
        let mut out = BTreeMap::new();
        for (key, column) in &self.columns {
            let mut spans: Vec<Span> = Vec::new();
            let mut last_cell = NO_VALUE;
            for (i, &cell) in column.iter().enumerate() {
                let ls = i as u32 + 1;
                if cell == NO_VALUE {
                    last_cell = NO_VALUE;
                    continue;
                }
                match spans.last_mut() {
                    Some(Span(_, end, value))
                        if *end + 1 == ls
                            && (cell == last_cell || *value == self.values[cell as usize]) =>
                    {
                        *end = ls
                    }
                    _ => spans.push(Span(ls, ls, self.values[cell as usize].clone())),
                }
                last_cell = cell;
            }
            out.insert(key.clone(), spans);
        }
        out
    }

    fn present_ranges(&self) -> Vec<[u32; 2]> {
        crate::ranges::to_ranges(
            self.present
                .iter()
                .enumerate()
                .filter(|(_, p)| **p)
                .map(|(i, _)| i as u32 + 1),
        )
    }
}

/// Folds one dataset: its own dataset events, RR LS events, and OMS LS events (for an offline
/// dataset, the online OMS events merged with its own strictly by version).
pub fn fold_dataset(
    run_number: u64,
    name: &str,
    dataset_events: &[Event],
    rr_events: &[Event],
    oms_events: &[Event],
) -> DatasetState {
    let mut attributes = Map::new();
    let mut in_gui: Vec<String> = Vec::new();
    let mut deleted = false;
    for event in ordered(dataset_events, false) {
        merge_into(&mut attributes, &event.dataset_metadata);
        for gui in &event.datasets_in_gui {
            if !in_gui.contains(gui) {
                in_gui.push(gui.clone());
            }
        }
        if let Some(d) = event.deleted {
            deleted = d;
        }
    }
    let rr = LsColumns::fold(rr_events, true);
    let oms = LsColumns::fold(oms_events, false);
    let version = dataset_events
        .iter()
        .chain(rr_events)
        .chain(oms_events)
        .map(|e| e.version)
        .max()
        .unwrap_or(0);
    DatasetState {
        run_number,
        name: name.to_owned(),
        dataset_attributes: attributes,
        datasets_in_gui: in_gui,
        deleted,
        version,
        rr: rr.spans(),
        rr_present: rr.present_ranges(),
        oms: oms.spans(),
        oms_present: oms.present_ranges(),
    }
}

impl DatasetState {
    /// The last LS with RR data (0 when there is none).
    pub fn last_rr_ls(&self) -> u32 {
        self.rr_present.last().map_or(0, |r| r[1])
    }

    pub fn last_oms_ls(&self) -> u32 {
        self.oms_present.last().map_or(0, |r| r[1])
    }

    /// RR LS objects 1..=last, gaps filled with the EMPTY triplet per component (§2.3).
    pub fn rr_lumisections(&self) -> Vec<Map<String, Value>> {
        (1..=self.last_rr_ls())
            .map(|ls| {
                self.rr
                    .iter()
                    .map(|(k, spans)| {
                        (
                            k.clone(),
                            value_at(spans, ls).cloned().unwrap_or_else(empty_triplet),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    /// OMS LS objects 1..=last; an LS without data is `{"err": …}`.
    pub fn oms_lumisections(&self) -> Vec<Map<String, Value>> {
        (1..=self.last_oms_ls())
            .map(|ls| {
                let row: Map<String, Value> = self
                    .oms
                    .iter()
                    .filter_map(|(k, spans)| value_at(spans, ls).map(|v| (k.clone(), v.clone())))
                    .collect();
                if row.is_empty() && !in_ranges(&self.oms_present, ls) {
                    Map::from_iter([(
                        "err".to_string(),
                        json!("No data available for this lumisection"),
                    )])
                } else {
                    row
                }
            })
            .collect()
    }

    /// The triplet cache (§2.4).
    pub fn triplet_cache(&self) -> Value {
        let last = self.last_rr_ls();
        let mut triplets = Map::new();
        for (component, spans) in &self.rr {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            let (mut comments, mut causes): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
            let mut seen = 0u64;
            for Span(a, b, triplet) in spans {
                let n = u64::from(b - a + 1);
                seen += n;
                let status = triplet
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("EMPTY");
                *counts.entry(status.to_owned()).or_default() += n;
                for (field, list) in [("comment", &mut comments), ("cause", &mut causes)] {
                    if let Some(text) = triplet
                        .get(field)
                        .and_then(Value::as_str)
                        .filter(|t| !t.is_empty())
                    {
                        if !list.iter().any(|c| c == text) {
                            list.push(text.to_owned());
                        }
                    }
                }
            }
            *counts.entry("EMPTY".into()).or_default() +=
                u64::from(last) - seen.min(u64::from(last));
            let mut entry: Map<String, Value> =
                counts.into_iter().map(|(k, v)| (k, json!(v))).collect();
            entry.insert("comments".into(), json!(comments));
            entry.insert("causes".into(), json!(causes));
            triplets.insert(component.clone(), Value::Object(entry));
        }
        let last_oms = self.last_oms_ls();
        let mut dcs = Map::new();
        for (key, spans) in &self.oms {
            if matches!(
                key.as_str(),
                "end_lumi" | "init_lumi" | "recorded_lumi" | "delivered_lumi"
            ) || key.ends_with("_per_lumi")
            {
                continue;
            }
            let mut counts = [0u64; 4]; // TRUE, FALSE, NULL, EMPTY
            let mut seen = 0u64;
            for Span(a, b, value) in spans {
                let n = u64::from(b - a + 1);
                seen += n;
                let slot = match value {
                    Value::Null => 2,
                    v if jsonlogic::Val::from_json(v).js_truthy() => 0,
                    _ => 1,
                };
                counts[slot] += n;
            }
            counts[3] += u64::from(last_oms).saturating_sub(seen);
            dcs.insert(key.clone(), json!({"TRUE": counts[0], "FALSE": counts[1], "NULL": counts[2], "EMPTY": counts[3]}));
        }
        let (recorded, delivered) = (self.lumi_sum("recorded"), self.lumi_sum("delivered"));
        json!({"run_number": self.run_number, "name": self.name, "version": self.version, "deleted": self.deleted,
               "dataset_attributes": self.dataset_attributes, "datasets_in_gui": self.datasets_in_gui,
               "triplet_summary": triplets, "dcs_summary": dcs,
               "brilcalc_recorded_luminosity": recorded, "brilcalc_delivered_luminosity": delivered})
    }

    /// Sum of a luminosity key over all LS, negatives and non-numbers counting as 0.
    pub fn lumi_sum(&self, key: &str) -> f64 {
        self.oms.get(key).map_or(0.0, |spans| {
            spans
                .iter()
                .map(|Span(a, b, v)| f64::from(b - a + 1) * lumi_value(v))
                .sum()
        })
    }
}

/// `max(0, +value || 0)`.
pub fn lumi_value(value: &Value) -> f64 {
    let n = jsonlogic::Val::from_json(value).to_number();
    if n.is_nan() {
        0.0
    } else {
        n.max(0.0)
    }
}

pub fn in_ranges(ranges: &[[u32; 2]], ls: u32) -> bool {
    let i = ranges.partition_point(|r| r[1] < ls);
    ranges.get(i).is_some_and(|r| r[0] <= ls)
}

/// Whether an event belongs to an entity's log.
pub fn is_ls_target(target: Target) -> bool {
    matches!(target, Target::RrLs | Target::OmsLs)
}
