//! Run Registry's explanation tree (`return_classifier_evaluated_tuple`) and the causes read from it.

use crate::{evaluate, Result, Val};
use serde_json::{json, Map, Value};

/// For a rule (or an array of rules): one `[rule, {"resulted_value": bool}]` per key of each rule, where
/// `and`/`or` children are replaced by their own explanation arrays and `if` keys are skipped.
/// `resulted_value` is true only when the rule evaluates to exactly `true`.
pub fn explain(rules: &Value, data: &Value) -> Result<Value> {
    let list: &[Value] = match rules {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    let mut tuples = Vec::new();
    for rule in list {
        let Value::Object(map) = rule else { continue };
        for (key, children) in map {
            if key == "if" {
                continue;
            }
            // Like the original, the whole rule is evaluated (a multi-key object is a literal, hence false).
            let resulted = matches!(evaluate(rule, data)?, Val::Bool(true));
            let printed = if key == "and" || key == "or" {
                Value::Object(Map::from_iter([(key.clone(), explain(children, data)?)]))
            } else {
                rule.clone()
            };
            tuples.push(json!([printed, {"resulted_value": resulted}]));
        }
    }
    Ok(Value::Array(tuples))
}

/// `causes(&explain(rules, data)?)`, computed without building the tree (the golden-JSON hot path).
pub fn causes_of(rules: &Value, data: &Value) -> Result<Vec<Value>> {
    let mut found = Vec::new();
    collect_direct(rules, data, &mut found)?;
    Ok(found)
}

fn collect_direct(rules: &Value, data: &Value, found: &mut Vec<Value>) -> Result<()> {
    let list: &[Value] = match rules {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    for rule in list {
        let Value::Object(map) = rule else { continue };
        for (key, children) in map {
            if key == "if" || matches!(evaluate(rule, data)?, Val::Bool(true)) {
                continue;
            }
            if key == "and" || key == "or" {
                collect_direct(children, data, found)?;
            } else {
                found.push(rule.clone());
            }
        }
    }
    Ok(())
}

/// The false leaves under false `and`/`or` nodes of an explanation tree: the rules responsible for a rejection.
pub fn causes(tree: &Value) -> Vec<Value> {
    let mut found = Vec::new();
    collect(tree, &mut found);
    found
}

fn collect(tree: &Value, found: &mut Vec<Value>) {
    let Value::Array(tuples) = tree else { return };
    for tuple in tuples {
        let (Some(rule), Some(result)) = (tuple.get(0), tuple.get(1)) else {
            continue;
        };
        if result.get("resulted_value") == Some(&Value::Bool(true)) {
            continue;
        }
        match crate::operator(rule) {
            Some(("and" | "or", children)) => collect(children, found),
            _ => found.push(rule.clone()),
        }
    }
}
