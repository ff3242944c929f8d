//! Golden JSON generation (§5): evaluate a json-logic rule over every lumisection of the matching datasets,
//! compress passing LS into ranges, and account luminosity in and out of the JSON and per failing sub-rule.
//!
//! Only LS with both RR and OMS data are evaluated (the original's inner join, §7a). The rule is evaluated
//! once per *segment* (a range of LS over which every context value the rule reads is constant), so the
//! cost follows the number of flag changes, not the number of LS; a rule that reads per-LS values
//! (`lumisection_number`, `recorded`, `delivered`, whole objects, computed paths) is evaluated per LS.

use crate::error::{RrError, RrResult};
use crate::ranges::{union, value_at, Span};
use crate::state::{in_ranges, lumi_value, DatasetState, RunState};
use crate::store::{Registry, ONLINE};
use jsonlogic::{causes_of, js_stringify, Val};
use regex_lite::Regex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The §4.1 evaluation context of one LS.
pub fn context(run: &RunState, dataset: &DatasetState, ls: u32) -> Value {
    let mut data = base_context(run, dataset);
    set_lumisection(&mut data, dataset, ls, None);
    data
}

/// The run and dataset parts of the context, constant over a dataset.
fn base_context(run: &RunState, dataset: &DatasetState) -> Value {
    let mut dataset_obj = dataset.dataset_attributes.clone();
    dataset_obj.insert("name".into(), json!(dataset.name));
    json!({"dataset": dataset_obj,
           "run": {"run_number": run.run_number, "oms": run.oms_attributes, "rr": run.rr_attributes},
           "lumisection": {}})
}

/// Fills the `lumisection` part for `ls`; with `only`, just the keys a segment-evaluated rule reads.
fn set_lumisection(data: &mut Value, dataset: &DatasetState, ls: u32, only: Option<&Reads>) {
    let oms: Map<String, Value> = match only {
        Some(reads) => reads
            .oms
            .iter()
            .filter_map(|k| Some((k.clone(), value_at(dataset.oms.get(k)?, ls)?.clone())))
            .collect(),
        None => dataset
            .oms
            .iter()
            .filter_map(|(k, spans)| value_at(spans, ls).map(|v| (k.clone(), v.clone())))
            .collect(),
    };
    let status = |k: &String, spans: &Vec<Span>| {
        value_at(spans, ls).map(|t| (k.clone(), t.get("status").cloned().unwrap_or(Value::Null)))
    };
    let rr: Map<String, Value> = match only {
        Some(reads) if !reads.all_rr => reads
            .rr
            .iter()
            .filter_map(|k| status(k, dataset.rr.get(k)?))
            .collect(),
        _ => dataset
            .rr
            .iter()
            .filter_map(|(k, spans)| status(k, spans))
            .collect(),
    };
    data["lumisection"] = json!({"lumisection_number": ls, "oms": oms, "rr": rr});
}

/// Translates SQL `SIMILAR TO` (`%`, `_`, `|`, `()`, `[]`, `*`, `+`, `?`, `{}`) into an anchored regex.
pub fn similar_to(pattern: &str) -> RrResult<Regex> {
    if pattern.len() > 1000 {
        return Err(RrError::bad_request("Dataset name filter is too long"));
    }
    let mut regex = String::from("^(?:");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            '|' | '(' | ')' | '[' | ']' | '*' | '+' | '?' | '{' | '}' => regex.push(c),
            '\\' => regex.push_str(&regex_lite::escape(
                &chars.next().map(String::from).unwrap_or_default(),
            )),
            other => regex.push_str(&regex_lite::escape(&other.to_string())),
        }
    }
    regex.push_str(")$");
    regex_lite::RegexBuilder::new(&regex)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| RrError::bad_request(format!("Invalid dataset name filter: {e}")))
}

/// Non-deleted datasets whose name matches the filter, by run number.
pub fn matching_datasets(registry: &Registry, filter: &str) -> RrResult<Vec<(u64, String)>> {
    let regex = similar_to(filter)?;
    Ok(registry
        .dataset_keys()?
        .into_iter()
        .filter(|(_, name)| regex.is_match(name))
        .collect())
}

/// Which parts of the context a rule reads.
#[derive(Debug, Default, PartialEq)]
struct Reads {
    per_ls: bool,
    all_rr: bool,
    rr: BTreeSet<String>,
    oms: BTreeSet<String>,
}

impl Reads {
    fn of(rule: &Value) -> Self {
        let mut reads = Reads::default();
        reads.walk(rule);
        reads
    }

    fn walk(&mut self, logic: &Value) {
        match logic {
            Value::Array(items) => items.iter().for_each(|i| self.walk(i)),
            Value::Object(map) if map.len() == 1 => {
                let Some((op, args)) = map.iter().next() else {
                    return;
                };
                let list: &[Value] = match args {
                    Value::Array(items) => items,
                    single => std::slice::from_ref(single),
                };
                match op.as_str() {
                    "var" => match list.first() {
                        Some(Value::String(path)) if path.is_empty() => self.per_ls = true,
                        Some(Value::String(path)) => self.path(path),
                        Some(Value::Number(n)) => self.path(&n.to_string()),
                        None | Some(Value::Null) => self.per_ls = true,
                        Some(computed) => {
                            self.per_ls = true;
                            self.walk(computed);
                        }
                    },
                    "missing" | "missing_some" => self.per_ls = true,
                    // The second argument reads the array elements, which the first argument already accounts for.
                    "map" | "filter" | "reduce" | "all" | "none" | "some" => {
                        if let Some(first) = list.first() {
                            self.walk(first);
                        }
                        list.iter().skip(2).for_each(|a| self.walk(a));
                    }
                    _ => list.iter().for_each(|a| self.walk(a)),
                }
            }
            _ => {}
        }
    }

    fn path(&mut self, path: &str) {
        let mut steps = path.split('.');
        if steps.next() != Some("lumisection") {
            // `run.*`, `dataset.*` and unknown roots are constant over a dataset.
            return;
        }
        match (steps.next(), steps.next()) {
            (Some("rr"), Some(key)) => {
                self.rr.insert(key.to_owned());
            }
            (Some("rr"), None) => self.all_rr = true,
            (Some("oms"), Some(key)) if !crate::model::LUMI_KEYS.contains(&key) => {
                self.oms.insert(key.to_owned());
            }
            (Some("lumisection_number" | "oms") | None, _) => self.per_ls = true,
            _ => {}
        }
    }
}

/// A rule's outcome on one context: pass, or the rejection's causes as `JSON.stringify` keys.
#[derive(Clone)]
enum Verdict {
    Pass,
    Fail {
        combination: String,
        causes: Vec<String>,
    },
}

fn verdict(rule: &Value, data: &Value) -> RrResult<Verdict> {
    let failed = |e: jsonlogic::Error| RrError::bad_request(format!("Rule evaluation failed: {e}"));
    if jsonlogic::passes(rule, data).map_err(failed)? {
        return Ok(Verdict::Pass);
    }
    let found = causes_of(rule, data).map_err(failed)?;
    Ok(Verdict::Fail {
        combination: js_stringify(&Value::Array(found.clone())),
        causes: found.iter().map(js_stringify).collect(),
    })
}

/// Per-rule and per-combination luminosity lost, plus where.
#[derive(Default)]
struct Losses {
    quantity: BTreeMap<String, f64>,
    combination: BTreeMap<String, f64>,
    responsible: BTreeMap<String, BTreeMap<String, Vec<[u32; 2]>>>,
}

/// Sum of a luminosity column over `a..=b`.
fn lumi_over(spans: Option<&Vec<Span>>, a: u32, b: u32) -> f64 {
    let Some(spans) = spans else { return 0.0 };
    let first = spans.partition_point(|s| s.1 < a);
    spans[first..]
        .iter()
        .take_while(|s| s.0 <= b)
        .map(|Span(s, e, v)| f64::from(e.min(&b) - s.max(&a) + 1) * lumi_value(v))
        .sum()
}

/// The segments of a dataset: LS with RR and OMS data, split wherever a value the rule reads changes.
fn segments(dataset: &DatasetState, reads: &Reads) -> Vec<[u32; 2]> {
    let mut cuts: BTreeSet<u32> = BTreeSet::new();
    let mut add_cuts = |spans: &[Span]| {
        spans.iter().for_each(|s| {
            cuts.insert(s.0);
            cuts.insert(s.1 + 1);
        })
    };
    for (key, spans) in &dataset.rr {
        if reads.all_rr || reads.rr.contains(key) {
            add_cuts(spans);
        }
    }
    for key in &reads.oms {
        if let Some(spans) = dataset.oms.get(key) {
            add_cuts(spans);
        }
    }
    let mut out = Vec::new();
    for [a, b] in &dataset.rr_present {
        let mut start = *a;
        while start <= *b {
            let next_cut = cuts.range(start + 1..).next().copied().unwrap_or(u32::MAX);
            let end = if reads.per_ls {
                start
            } else {
                b.min(&(next_cut - 1)).to_owned()
            };
            // Keep only the part that also has OMS data.
            let mut ls = start;
            while ls <= end {
                if in_ranges(&dataset.oms_present, ls) {
                    let i = dataset.oms_present.partition_point(|r| r[1] < ls);
                    let stop = dataset.oms_present[i][1].min(end);
                    out.push([ls, stop]);
                    ls = stop + 1;
                } else {
                    let i = dataset.oms_present.partition_point(|r| r[1] < ls);
                    ls = dataset.oms_present.get(i).map_or(end + 1, |r| r[0]);
                }
            }
            start = end + 1;
        }
    }
    out
}

fn num(n: f64) -> Value {
    Val::Num(n).to_json()
}

fn ranges_json(map: &BTreeMap<String, Vec<[u32; 2]>>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, r)| (k.clone(), json!(union(r.iter().copied()))))
            .collect(),
    )
}

/// Generates the golden JSON for `rule` over the datasets matching `dataset_filter`: every field of the
/// GeneratedJson row except its id and job metadata. `progress` gets values in [0, 1] after each dataset.
pub fn generate(
    registry: &Registry,
    rule: &Value,
    dataset_filter: &str,
    progress: &mut dyn FnMut(f64),
) -> RrResult<Map<String, Value>> {
    jsonlogic::validate(rule).map_err(|e| RrError::bad_request(e.to_string()))?;
    let runregistry_version = registry.latest_version()?;
    let matched = matching_datasets(registry, dataset_filter)?;
    let reads = Reads::of(rule);
    let [mut json_out, mut json_named, mut anti, mut anti_named]: [BTreeMap<String, Vec<[u32; 2]>>;
        4] = Default::default();
    let (mut total_rec, mut total_del, mut in_rec, mut in_del, mut lost_rec, mut lost_del) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut losses = Losses::default();
    let mut runs_seen = BTreeSet::new();
    let mut run_cache: Option<RunState> = None;
    for (done, (run_number, name)) in matched.iter().enumerate() {
        let Some(dataset) = registry.dataset(*run_number, name)?.filter(|d| !d.deleted) else {
            continue;
        };
        if run_cache
            .as_ref()
            .is_none_or(|r| r.run_number != *run_number)
        {
            run_cache = registry.run(*run_number)?;
        }
        let Some(run) = run_cache.as_ref().filter(|r| !r.deleted) else {
            continue;
        };
        runs_seen.insert(*run_number);
        let (run_key, named_key) = (run_number.to_string(), format!("{run_number}-{name}"));
        let mut data = base_context(run, &dataset);
        let only = (!reads.per_ls).then_some(&reads);
        // Within a dataset only the lumisection part changes: segments with equal values share a verdict.
        let mut memo: HashMap<String, Verdict> = HashMap::new();
        for [a, b] in segments(&dataset, &reads) {
            set_lumisection(&mut data, &dataset, a, only);
            let verdict = match only {
                Some(_) => {
                    let key = format!(
                        "{}{}",
                        data["lumisection"]["oms"], data["lumisection"]["rr"]
                    );
                    match memo.get(&key) {
                        Some(v) => v.clone(),
                        None => memo.entry(key).or_insert(verdict(rule, &data)?).clone(),
                    }
                }
                None => verdict(rule, &data)?,
            };
            let rec = lumi_over(dataset.oms.get("recorded"), a, b);
            let del = lumi_over(dataset.oms.get("delivered"), a, b);
            total_rec += rec;
            total_del += del;
            let Verdict::Fail {
                combination,
                causes,
            } = verdict
            else {
                in_rec += rec;
                in_del += del;
                json_out.entry(run_key.clone()).or_default().push([a, b]);
                json_named
                    .entry(named_key.clone())
                    .or_default()
                    .push([a, b]);
                continue;
            };
            lost_rec += rec;
            lost_del += del;
            anti.entry(run_key.clone()).or_default().push([a, b]);
            anti_named
                .entry(named_key.clone())
                .or_default()
                .push([a, b]);
            *losses.combination.entry(combination.clone()).or_default() += rec;
            for cause in causes {
                *losses.quantity.entry(cause).or_default() += rec;
            }
            let responsible = losses.responsible.entry(combination).or_default();
            responsible
                .entry(named_key.clone())
                .or_default()
                .push([a, b]);
        }
        progress((done + 1) as f64 / matched.len() as f64);
    }
    let (min_run, max_run) = (matched.first().map(|m| m.0), matched.last().map(|m| m.0));
    let (mut range_rec, mut range_del) = (0.0, 0.0);
    if let (Some(lo), Some(hi)) = (min_run, max_run) {
        for run_number in registry
            .run_numbers()?
            .into_iter()
            .filter(|r| (lo..=hi).contains(r))
        {
            if let Some(cache) = registry.cache(run_number, ONLINE)? {
                range_rec += cache["brilcalc_recorded_luminosity"]
                    .as_f64()
                    .unwrap_or(0.0);
                range_del += cache["brilcalc_delivered_luminosity"]
                    .as_f64()
                    .unwrap_or(0.0);
            }
        }
    }
    let mut row = Map::new();
    row.insert("dataset_name_filter".into(), json!(dataset_filter));
    row.insert("json_logic".into(), rule.clone());
    row.insert("runregistry_version".into(), json!(runregistry_version));
    row.insert("generated_json".into(), ranges_json(&json_out));
    row.insert(
        "generated_json_with_dataset_names".into(),
        ranges_json(&json_named),
    );
    row.insert("generated_anti_json".into(), ranges_json(&anti));
    row.insert(
        "generated_anti_json_with_dataset_names".into(),
        ranges_json(&anti_named),
    );
    row.insert("min_run_number".into(), json!(min_run));
    row.insert("max_run_number".into(), json!(max_run));
    row.insert("total_recorded_luminosity".into(), num(total_rec));
    row.insert("total_delivered_luminosity".into(), num(total_del));
    row.insert("recorded_luminosity_in_json".into(), num(in_rec));
    row.insert("delivered_luminosity_in_json".into(), num(in_del));
    row.insert("total_recorded_luminosity_lost".into(), num(lost_rec));
    row.insert("total_delivered_luminosity_lost".into(), num(lost_del));
    row.insert(
        "total_recorded_luminosity_from_run_range".into(),
        num(range_rec),
    );
    row.insert(
        "total_delivered_luminosity_from_run_range".into(),
        num(range_del),
    );
    let sums = |m: &BTreeMap<String, f64>| {
        Value::Object(m.iter().map(|(k, v)| (k.clone(), num(*v))).collect())
    };
    row.insert(
        "rules_flagged_false_quantity_luminosity".into(),
        sums(&losses.quantity),
    );
    row.insert(
        "rules_flagged_false_combination_luminosity".into(),
        sums(&losses.combination),
    );
    row.insert(
        "runs_lumisections_responsible_for_rule".into(),
        Value::Object(
            losses
                .responsible
                .iter()
                .map(|(k, m)| (k.clone(), ranges_json(m)))
                .collect(),
        ),
    );
    row.insert("runs_evaluated".into(), json!(runs_seen.len()));
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_to_translates_sql_wildcards() {
        let r = similar_to("/PromptReco/Collisions2018(A|B)/DQM").unwrap();
        assert!(r.is_match("/PromptReco/Collisions2018A/DQM"));
        assert!(!r.is_match("/PromptReco/Collisions2018C/DQM"));
        let r = similar_to("/ReReco/Run2018__UL2019/DQM").unwrap();
        assert!(
            r.is_match("/ReReco/Run2018A_UL2019/DQM") && r.is_match("/ReReco/Run2018BxUL2019/DQM")
        );
        let r = similar_to("%Reco%").unwrap();
        assert!(r.is_match("/ReReco/x") && !r.is_match("online"));
        assert!(
            similar_to("a.b").unwrap().is_match("a.b")
                && !similar_to("a.b").unwrap().is_match("axb")
        );
        assert!(similar_to("(").is_err());
    }

    #[test]
    fn reads_decide_between_segments_and_per_ls() {
        let reads = Reads::of(
            &json!({"and": [{"==": [{"var": "lumisection.rr.dt-dt"}, "GOOD"]}, {"var": "lumisection.oms.cms_active"}, {">": [{"var": "run.oms.energy"}, 1]}]}),
        );
        assert!(!reads.per_ls);
        assert_eq!(reads.rr, BTreeSet::from(["dt-dt".to_string()]));
        assert_eq!(reads.oms, BTreeSet::from(["cms_active".to_string()]));
        for per_ls in [
            json!({"var": "lumisection.lumisection_number"}),
            json!({">": [{"var": "lumisection.oms.recorded"}, 0]}),
            json!({"var": [{"cat": ["lumi", "section"]}]}),
            json!({"missing": ["a"]}),
            json!({"var": ""}),
        ] {
            assert!(Reads::of(&per_ls).per_ls, "{per_ls}");
        }
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/runregistry/sample_json_logic__runregistry_backend.txt"
        ))
        .unwrap();
        let real: Value = serde_json::from_str(text.split_once('\n').unwrap().1).unwrap();
        let reads = Reads::of(&real);
        assert!(!reads.per_ls);
        assert_eq!((reads.rr.len(), reads.oms.len()), (14, 28));
    }
}
