//! `runs_filtered_ordered` and `datasets_filtered_ordered` (§6.1): one boolean filter tree, sortings, pages.

use crate::error::{RrError, RrResult};
use crate::store::{Registry, ONLINE};
use serde_json::{json, Value};
use std::cmp::Ordering;

/// Largest page accepted.
pub const MAX_PAGE_SIZE: usize = 1000;

struct Query {
    filter: Value,
    sortings: Vec<(String, bool)>,
    page: usize,
    page_size: usize,
}

fn query(body: &Value) -> RrResult<Query> {
    let filter = body.get("filter").cloned().unwrap_or(Value::Null);
    if !(filter.is_object() || filter.is_null()) {
        return Err(RrError::bad_request("filter must be an object"));
    }
    let mut sortings = Vec::new();
    for sorting in body
        .get("sortings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let (Some(path), direction) = (
            sorting.get(0).and_then(Value::as_str),
            sorting.get(1).and_then(Value::as_str),
        ) else {
            return Err(RrError::bad_request(
                "sortings must be [[path, \"ASC\"|\"DESC\"], …]",
            ));
        };
        let descending = match direction.map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(other) => {
                return Err(RrError::bad_request(format!(
                    "Unknown sort direction {other}"
                )))
            }
        };
        sortings.push((path.to_owned(), descending));
    }
    let number =
        |key: &str, default: u64| body.get(key).and_then(Value::as_u64).unwrap_or(default) as usize;
    let page_size = number("page_size", 50);
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(RrError::bad_request(format!(
            "page_size must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(Query {
        filter,
        sortings,
        page: number("page", 0),
        page_size,
    })
}

/// `POST /runs_filtered_ordered`.
pub fn runs_filtered_ordered(registry: &Registry, body: &Value) -> RrResult<Value> {
    let q = query(body)?;
    let mut rows = Vec::new();
    for run_number in registry.run_numbers()? {
        let (Some(run), Some(cache)) = (
            registry.run(run_number)?,
            registry.cache(run_number, ONLINE)?,
        ) else {
            continue;
        };
        if run.deleted {
            continue;
        }
        let view = json!({"run_number": run.run_number, "oms_attributes": run.oms_attributes, "rr_attributes": run.rr_attributes,
                          "triplet_summary": cache["triplet_summary"]});
        if matches(&q.filter, &view)? {
            let row = json!({"run_number": run.run_number, "oms_attributes": run.oms_attributes, "rr_attributes": run.rr_attributes,
                             "version": run.version, "deleted": run.deleted,
                             "DatasetTripletCache": {"triplet_summary": cache["triplet_summary"]}});
            rows.push((view, row));
        }
    }
    let (count, page) = sort_and_page(rows, &q, &[("run_number".into(), true)]);
    Ok(json!({"runs": page, "pages": count.div_ceil(q.page_size), "count": count}))
}

/// `POST /datasets_filtered_ordered`.
pub fn datasets_filtered_ordered(registry: &Registry, body: &Value) -> RrResult<Value> {
    let q = query(body)?;
    let mut rows = Vec::new();
    let mut run_cache = None;
    for (run_number, name) in registry.dataset_keys()? {
        let Some(cache) = registry.cache(run_number, &name)? else {
            continue;
        };
        if cache["deleted"] == json!(true) {
            continue;
        }
        if run_cache
            .as_ref()
            .is_none_or(|r: &crate::state::RunState| r.run_number != run_number)
        {
            run_cache = registry.run(run_number)?;
        }
        let Some(run) = run_cache.as_ref().filter(|r| !r.deleted) else {
            continue;
        };
        let view = json!({"run_number": run_number, "name": name, "dataset_attributes": cache["dataset_attributes"],
                          "datasets_in_gui": cache["datasets_in_gui"], "oms_attributes": run.oms_attributes,
                          "rr_attributes": run.rr_attributes, "triplet_summary": cache["triplet_summary"]});
        if matches(&q.filter, &view)? {
            let row = json!({"run_number": run_number, "name": name, "dataset_attributes": cache["dataset_attributes"],
                             "datasets_in_gui": cache["datasets_in_gui"], "deleted": false, "version": cache["version"],
                             "Run": {"rr_attributes": run.rr_attributes, "oms_attributes": run.oms_attributes},
                             "DatasetTripletCache": {"triplet_summary": cache["triplet_summary"], "dcs_summary": cache["dcs_summary"]}});
            rows.push((view, row));
        }
    }
    let (count, page) = sort_and_page(
        rows,
        &q,
        &[("run_number".into(), true), ("name".into(), false)],
    );
    Ok(json!({"datasets": page, "pages": count.div_ceil(q.page_size), "count": count}))
}

fn sort_and_page(
    mut rows: Vec<(Value, Value)>,
    q: &Query,
    defaults: &[(String, bool)],
) -> (usize, Vec<Value>) {
    let order: Vec<&(String, bool)> = q.sortings.iter().chain(defaults).collect();
    rows.sort_by(|(a, _), (b, _)| {
        order
            .iter()
            .map(|(path, desc)| compare_for_sort(path, a, b, *desc))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    let count = rows.len();
    let page = rows
        .into_iter()
        .skip(q.page.saturating_mul(q.page_size))
        .take(q.page_size)
        .map(|(_, row)| row)
        .collect();
    (count, page)
}

/// Sort keys: `ls_duration` as an integer, `b_field` as a float, run numbers and triplet counts as numbers,
/// other JSON attributes by their text. Nulls sort last ascending and first descending (PostgreSQL).
fn compare_for_sort(path: &str, a: &Value, b: &Value, descending: bool) -> Ordering {
    let path = if path.contains('-') && !path.starts_with("triplet_summary.") {
        format!("triplet_summary.{path}.GOOD")
    } else {
        path.to_owned()
    };
    let numeric = matches!(
        path.as_str(),
        "run_number" | "oms_attributes.ls_duration" | "oms_attributes.b_field"
    ) || path.starts_with("triplet_summary.");
    let (x, y) = (
        resolve(a, &path).filter(|v| !v.is_null()),
        resolve(b, &path).filter(|v| !v.is_null()),
    );
    let ordering = match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) if numeric => {
            number(x).partial_cmp(&number(y)).unwrap_or(Ordering::Equal)
        }
        (Some(x), Some(y)) => text(x).cmp(&text(y)),
    };
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// A dotted path into a row view (`None` when a step is missing).
fn resolve<'v>(row: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(row, |current, step| current.get(step))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    }
}

/// Evaluates a filter tree against a row view.
pub fn matches(filter: &Value, row: &Value) -> RrResult<bool> {
    let Value::Object(conditions) = filter else {
        return Ok(true);
    };
    for (key, condition) in conditions {
        let ok = match key.as_str() {
            "and" | "AND" => list(condition)?
                .iter()
                .map(|f| matches(f, row))
                .collect::<RrResult<Vec<_>>>()?
                .into_iter()
                .all(|b| b),
            "or" | "OR" => list(condition)?
                .iter()
                .map(|f| matches(f, row))
                .collect::<RrResult<Vec<_>>>()?
                .into_iter()
                .any(|b| b),
            // As the original: a datasets_in_gui filter becomes `contains` its first value.
            "datasets_in_gui" => match first_literal(condition) {
                Some(wanted) => compare(resolve(row, key), "contains", wanted)?,
                None => true,
            },
            path => holds(
                resolve(row, path),
                condition,
                path.starts_with("triplet_summary."),
            )?,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The first plain value inside a condition (`"x"`, `{"=": "x"}`, `{"or": [{"=": "x"}, …]}`).
fn first_literal(condition: &Value) -> Option<&Value> {
    match condition {
        Value::Object(ops) => ops.values().find_map(first_literal),
        Value::Array(items) => items.iter().find_map(first_literal),
        literal => Some(literal),
    }
}

fn list(condition: &Value) -> RrResult<&Vec<Value>> {
    condition
        .as_array()
        .ok_or_else(|| RrError::bad_request("and/or take an array of filters"))
}

/// Whether the attribute value satisfies a condition: a literal (`=`) or `{op: operand, …}`.
fn holds(value: Option<&Value>, condition: &Value, is_count: bool) -> RrResult<bool> {
    let zero = json!(0);
    let value = match value {
        Some(Value::Null) | None if is_count => Some(&zero),
        other => other,
    };
    let Value::Object(ops) = condition else {
        return compare(value, "=", condition);
    };
    for (op, operand) in ops {
        let ok = match op.as_str() {
            "or" | "OR" => list(operand)?
                .iter()
                .map(|c| holds(value, c, is_count))
                .collect::<RrResult<Vec<_>>>()?
                .into_iter()
                .any(|b| b),
            "and" | "AND" => list(operand)?
                .iter()
                .map(|c| holds(value, c, is_count))
                .collect::<RrResult<Vec<_>>>()?
                .into_iter()
                .all(|b| b),
            op => compare(value, op, operand)?,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// SQL-like comparison: NULL satisfies nothing; numbers compare numerically, everything else as text.
fn compare(value: Option<&Value>, op: &str, operand: &Value) -> RrResult<bool> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return match op {
            "=" | "<>" | ">" | "<" | ">=" | "<=" | "like" | "LIKE" | "notlike" | "NOTLIKE"
            | "contains" => Ok(false),
            other => Err(RrError::bad_request(format!(
                "Unknown filter operator {other}"
            ))),
        };
    };
    let ordering = || {
        let (x, y) = (number(value), number(operand));
        if x.is_nan() || y.is_nan() {
            Some(text(value).cmp(&text(operand)))
        } else {
            x.partial_cmp(&y)
        }
    };
    Ok(match op {
        "=" => ordering() == Some(Ordering::Equal),
        "<>" => ordering() != Some(Ordering::Equal),
        ">" => ordering() == Some(Ordering::Greater),
        "<" => ordering() == Some(Ordering::Less),
        ">=" => matches!(ordering(), Some(Ordering::Greater | Ordering::Equal)),
        "<=" => matches!(ordering(), Some(Ordering::Less | Ordering::Equal)),
        "like" | "LIKE" => like(&text(value), &text(operand), true),
        "notlike" => !like(&text(value), &text(operand), true),
        // The original's quirk: the uppercase NOTLIKE is case-sensitive.
        "NOTLIKE" => !like(&text(value), &text(operand), false),
        "contains" => value
            .as_array()
            .is_some_and(|items| items.iter().any(|i| text(i) == text(operand))),
        other => {
            return Err(RrError::bad_request(format!(
                "Unknown filter operator {other}"
            )))
        }
    })
}

/// SQL `LIKE` with `%` and `_`.
pub fn like(value: &str, pattern: &str, case_insensitive: bool) -> bool {
    let fold = |s: &str| {
        if case_insensitive {
            s.to_lowercase()
        } else {
            s.to_owned()
        }
    };
    let (v, p): (Vec<char>, Vec<char>) = (
        fold(value).chars().collect(),
        fold(pattern).chars().collect(),
    );
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while i < v.len() {
        if j < p.len() && (p[j] == '_' || p[j] == v[i]) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(s) = star {
            j = s + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    p[j..].iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_form_one_boolean_tree() {
        let row = json!({"run_number": 316701, "rr_attributes": {"class": "Collisions18", "significant": true},
                         "oms_attributes": {"energy": 6500, "b_field": 3.8}, "triplet_summary": {"dt-dt": {"GOOD": 12, "BAD": 0}}});
        let t = |f: Value| matches(&f, &row).unwrap();
        assert!(t(json!({"run_number": 316701})));
        assert!(t(json!({"run_number": {">": 316000, "<=": "316701"}})));
        assert!(!t(json!({"run_number": {"<>": 316701}})));
        assert!(t(json!({"rr_attributes.class": {"like": "%collisions%"}})));
        assert!(!t(
            json!({"rr_attributes.class": {"NOTLIKE": "%Collisions%"}})
        ));
        assert!(t(
            json!({"rr_attributes.class": {"NOTLIKE": "%collisions%"}})
        ));
        assert!(!t(
            json!({"rr_attributes.class": {"notlike": "%collisions%"}})
        ));
        assert!(t(json!({"rr_attributes.significant": true})));
        assert!(t(json!({"triplet_summary.dt-dt.GOOD": {">": 0}})));
        assert!(!t(json!({"triplet_summary.csc-csc.GOOD": {">": 0}})));
        assert!(t(json!({"triplet_summary.csc-csc.GOOD": 0})));
        assert!(t(
            json!({"or": [{"run_number": 1}, {"oms_attributes.b_field": {">=": 3.7}}]})
        ));
        assert!(!t(
            json!({"and": [{"run_number": 316701}, {"oms_attributes.energy": {"<": 100}}]})
        ));
        assert!(t(json!({"run_number": {"or": [{"=": 1}, {"=": 316701}]}})));
        assert!(!t(json!({"oms_attributes.missing": {"=": 1}})));
        assert!(!t(json!({"oms_attributes.missing": {"<>": 1}})));
        assert!(matches(&json!({"run_number": {"~": 1}}), &row).is_err());
        let dataset = json!({"datasets_in_gui": ["/A/B/DQM", "/C/D/DQM"]});
        assert!(matches(
            &json!({"datasets_in_gui": {"or": [{"=": "/C/D/DQM"}, {"=": "/X"}]}}),
            &dataset
        )
        .unwrap());
        assert!(!matches(&json!({"datasets_in_gui": "/X"}), &dataset).unwrap());
    }

    #[test]
    fn like_patterns() {
        assert!(like(
            "/PromptReco/Collisions2018A/DQM",
            "%Collisions2018_/DQM",
            false
        ));
        assert!(!like("abc", "a_", false));
        assert!(like("abc", "%", false) && like("", "%", false) && !like("", "_", false));
        assert!(like("ABC", "a%c", true) && !like("ABC", "a%c", false));
    }
}
