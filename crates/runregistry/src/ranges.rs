//! Lumisection ranges: LS lists to inclusive ranges, per-LS columns to value spans, and the
//! minimal-write diff that turns a new LS list into ranged changes.

use crate::error::{RrError, RrResult};
use crate::model::LsChange;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Inclusive `[first, last]` ranges of a list of LS numbers, sorted and deduplicated first:
/// `[1,2,3,4,10,11,12]` → `[[1,4],[10,12]]`.
pub fn to_ranges(lumisections: impl IntoIterator<Item = u32>) -> Vec<[u32; 2]> {
    let mut sorted: Vec<u32> = lumisections.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut ranges: Vec<[u32; 2]> = Vec::new();
    for ls in sorted {
        match ranges.last_mut() {
            Some(last) if last[1] + 1 == ls => last[1] = ls,
            _ => ranges.push([ls, ls]),
        }
    }
    ranges
}

/// The LS numbers covered by inclusive ranges.
pub fn from_ranges(ranges: &[[u32; 2]]) -> Vec<u32> {
    ranges.iter().flat_map(|[a, b]| *a..=*b).collect()
}

/// Merges ranges that overlap or touch (inputs in any order).
pub fn union(ranges: impl IntoIterator<Item = [u32; 2]>) -> Vec<[u32; 2]> {
    let mut sorted: Vec<[u32; 2]> = ranges.into_iter().filter(|[a, b]| a <= b).collect();
    sorted.sort_unstable();
    let mut out: Vec<[u32; 2]> = Vec::new();
    for [a, b] in sorted {
        match out.last_mut() {
            Some(last) if a <= last[1].saturating_add(1) => last[1] = last[1].max(b),
            _ => out.push([a, b]),
        }
    }
    out
}

/// One value held by the inclusive LS range `start..=end`; stored as `[start, end, value]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span(pub u32, pub u32, pub Value);

/// Spans of equal consecutive values of a per-LS column (index 0 is LS 1; `None` is a gap).
pub fn compress(column: &[Option<Value>]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for (i, cell) in column.iter().enumerate() {
        let Some(value) = cell else { continue };
        let ls = i as u32 + 1;
        match spans.last_mut() {
            Some(Span(_, end, last)) if *end + 1 == ls && last == value => *end = ls,
            _ => spans.push(Span(ls, ls, value.clone())),
        }
    }
    spans
}

/// The value a span list holds at `ls`, if any (spans sorted by start).
pub fn value_at(spans: &[Span], ls: u32) -> Option<&Value> {
    let i = spans.partition_point(|s| s.1 < ls);
    spans.get(i).filter(|s| s.0 <= ls).map(|s| &s.2)
}

/// The ranges covered by a span list.
pub fn covered(spans: &[Span]) -> Vec<[u32; 2]> {
    union(spans.iter().map(|s| [s.0, s.1]))
}

/// Minimal writes: compares a new LS list with the current one (index 0 is LS 1) and returns, for
/// every maximal run of consecutive LS with the same changed attributes, one `{start, end, …changed}`.
/// Every changed range is emitted, including twins that are not adjacent.
pub fn diff_lumisections(
    current: &[Map<String, Value>],
    new: &[Map<String, Value>],
) -> RrResult<Vec<LsChange>> {
    if new.len() < current.len() {
        return Err(RrError::bad_request("Lumisections cannot be deleted"));
    }
    let empty = Map::new();
    let mut changes: Vec<LsChange> = Vec::new();
    let mut previous_ls_changed = false;
    for (i, new_ls) in new.iter().enumerate() {
        let old_ls = current.get(i).unwrap_or(&empty);
        let changed: Map<String, Value> = new_ls
            .iter()
            .filter(|(k, v)| old_ls.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let ls = i as u32 + 1;
        if changed.is_empty() {
            previous_ls_changed = false;
            continue;
        }
        match changes.last_mut() {
            Some(last) if previous_ls_changed && last.values == changed => last.end = ls,
            _ => changes.push(LsChange {
                start: ls,
                end: ls,
                values: changed,
            }),
        }
        previous_ls_changed = true;
    }
    Ok(changes)
}

/// Consecutive LS with deep-equal objects merged into `{start, end, …values}` (1-based, inclusive).
pub fn merge_equal(per_ls: &[Map<String, Value>]) -> Vec<Value> {
    let mut out: Vec<(u32, u32, &Map<String, Value>)> = Vec::new();
    for (i, ls) in per_ls.iter().enumerate() {
        let n = i as u32 + 1;
        match out.last_mut() {
            Some((_, end, values)) if *values == ls => *end = n,
            _ => out.push((n, n, ls)),
        }
    }
    out.into_iter()
        .map(|(start, end, values)| {
            let mut row = Map::new();
            row.insert("start".into(), start.into());
            row.insert("end".into(), end.into());
            row.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranges_of_the_spec() {
        assert_eq!(to_ranges([1, 2, 3, 4, 10, 11, 12]), vec![[1, 4], [10, 12]]);
        assert_eq!(to_ranges([5, 3, 4, 4]), vec![[3, 5]]);
        assert_eq!(to_ranges([]), Vec::<[u32; 2]>::new());
        assert_eq!(to_ranges([7]), vec![[7, 7]]);
        assert_eq!(from_ranges(&[[1, 3], [5, 5]]), vec![1, 2, 3, 5]);
        assert_eq!(
            union([[5, 9], [1, 2], [3, 4], [20, 21], [8, 12]]),
            vec![[1, 12], [20, 21]]
        );
    }

    #[test]
    fn every_run_of_the_2018_golden_json_round_trips() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/runregistry/golden_json_2018_example__test_previous_json.json"
        );
        let golden: Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(golden.len(), 477);
        let mut total = 0;
        for (run, ranges) in &golden {
            let ranges: Vec<[u32; 2]> = serde_json::from_value(ranges.clone()).unwrap();
            let lumisections = from_ranges(&ranges);
            total += lumisections.len();
            assert_eq!(to_ranges(lumisections), ranges, "run {run}");
        }
        assert_eq!(total, 233_929);
    }

    #[test]
    fn compress_and_lookup_spans() {
        let col = vec![
            Some(json!("GOOD")),
            Some(json!("GOOD")),
            None,
            Some(json!("GOOD")),
            Some(json!("BAD")),
        ];
        let spans = compress(&col);
        assert_eq!(
            spans,
            vec![
                Span(1, 2, json!("GOOD")),
                Span(4, 4, json!("GOOD")),
                Span(5, 5, json!("BAD"))
            ]
        );
        assert_eq!(value_at(&spans, 2), Some(&json!("GOOD")));
        assert_eq!(value_at(&spans, 3), None);
        assert_eq!(value_at(&spans, 5), Some(&json!("BAD")));
        assert_eq!(value_at(&spans, 6), None);
        assert_eq!(covered(&spans), vec![[1, 2], [4, 5]]);
    }

    fn oms_sample() -> Vec<Map<String, Value>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/runregistry/oms_lumisections_run328645.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn changed_at(base: &[Map<String, Value>], edits: &[(usize, Value)]) -> Vec<LsChange> {
        let mut new = base.to_vec();
        for (ls, patch) in edits {
            for (k, v) in patch.as_object().unwrap() {
                new[ls - 1].insert(k.clone(), v.clone());
            }
        }
        diff_lumisections(base, &new).unwrap()
    }

    #[test]
    fn minimal_write_diff_on_the_oms_example() {
        let base = oms_sample();
        assert_eq!(base.len(), 94);
        assert!(
            base.iter().all(|ls| ls["cscp_ready"] == json!(false)),
            "the vectors assume cscp_ready is false"
        );
        for ls in [5, 1, 94] {
            let diff = changed_at(&base, &[(ls, json!({"cscp_ready": true}))]);
            assert_eq!(
                serde_json::to_value(&diff).unwrap(),
                json!([{"start": ls, "end": ls, "cscp_ready": true}])
            );
        }
        let diff = changed_at(
            &base,
            &[
                (3, json!({"cscp_ready": true, "dtp_ready": true})),
                (6, json!({"ebm_ready": false, "hf_ready": false})),
            ],
        );
        assert_eq!(
            serde_json::to_value(&diff).unwrap(),
            json!([{"start": 3, "end": 3, "cscp_ready": true, "dtp_ready": true}, {"start": 6, "end": 6, "ebm_ready": false, "hf_ready": false}])
        );
        assert_eq!(
            diff_lumisections(&base, &base[..93]).unwrap_err().message(),
            "Lumisections cannot be deleted"
        );
        assert!(diff_lumisections(&base, &base).unwrap().is_empty());
    }

    #[test]
    fn non_adjacent_twins_are_both_emitted_and_adjacent_ones_merge() {
        let base = vec![Map::new(); 6];
        let x = |v: &str| json!({"x": v}).as_object().unwrap().clone();
        let mut new = base.clone();
        new[2] = x("b");
        new[4] = x("b");
        let diff = diff_lumisections(&base, &new).unwrap();
        assert_eq!(
            diff.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(),
            vec![(3, 3), (5, 5)]
        );
        new[3] = x("b");
        let diff = diff_lumisections(&base, &new).unwrap();
        assert_eq!(
            diff.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(),
            vec![(3, 5)]
        );
        // A longer new list adds its extra LS as changes.
        new.push(x("c"));
        assert_eq!(
            diff_lumisections(&base, &new)
                .unwrap()
                .last()
                .map(|c| (c.start, c.end)),
            Some((7, 7))
        );
    }

    #[test]
    fn merge_equal_groups_consecutive_objects() {
        let a = json!({"s": 1}).as_object().unwrap().clone();
        let b = json!({"s": 2}).as_object().unwrap().clone();
        assert_eq!(
            merge_equal(&[a.clone(), a.clone(), b, a]),
            vec![
                json!({"start": 1, "end": 2, "s": 1}),
                json!({"start": 3, "end": 3, "s": 2}),
                json!({"start": 4, "end": 4, "s": 1})
            ]
        );
    }
}
