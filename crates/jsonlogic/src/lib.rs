//! JSON-logic evaluation with json-logic-js 1.2.3 semantics, plus Run Registry's explanation tree.
//!
//! `datalogic-rs` 5.4 was checked first and does not match json-logic-js (`null == 0` is true there,
//! `"" == 0` and NaN comparisons raise errors, two equal arrays are `==`), so this is a small evaluator
//! that follows the JS reference operator by operator, including its quirks (see `Val` for the
//! conversions). The `method` operator is not provided: a rule is data, never code.

mod explain;
mod value;

pub use explain::{causes, causes_of, explain};
pub use value::{js_compare, js_stringify, loose_eq, parse_float, strict_eq, Val};

use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::fmt;

/// Deepest rule nesting evaluated; deeper rules are rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 128;

/// An evaluation error (json-logic-js throws these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Evaluates `logic` against `data` and returns the result as JSON (`undefined`/NaN become `null`).
pub fn apply(logic: &Value, data: &Value) -> Result<Value> {
    Ok(eval(logic, data, 0)?.to_json())
}

/// Evaluates `logic` against `data`, keeping JS values (`undefined`, NaN).
pub fn evaluate(logic: &Value, data: &Value) -> Result<Val> {
    eval(logic, data, 0)
}

/// Whether an LS passes a rule: plain JS truthiness of the result (an empty array passes).
pub fn passes(logic: &Value, data: &Value) -> Result<bool> {
    Ok(eval(logic, data, 0)?.js_truthy())
}

/// json-logic's own truthiness of a JSON value (an empty array is false).
pub fn truthy(value: &Value) -> bool {
    Val::from_json(value).truthy()
}

/// The operator of a logic object: an object with exactly one key.
pub fn operator(logic: &Value) -> Option<(&str, &Value)> {
    match logic {
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

/// Checks that every operator in `logic` is known, without evaluating it (used to refuse rules up front).
pub fn validate(logic: &Value) -> Result<()> {
    validate_at(logic, 0)
}

fn validate_at(logic: &Value, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error("Rule is nested too deeply".into()));
    }
    match logic {
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| validate_at(item, depth + 1)),
        _ => match operator(logic) {
            Some((op, args)) if KNOWN_OPERATORS.contains(&op) => validate_at(args, depth + 1),
            Some((op, _)) => Err(unrecognized(op)),
            None => Ok(()),
        },
    }
}

const KNOWN_OPERATORS: &[&str] = &[
    "if",
    "?:",
    "and",
    "or",
    "filter",
    "map",
    "reduce",
    "all",
    "none",
    "some",
    "==",
    "===",
    "!=",
    "!==",
    ">",
    ">=",
    "<",
    "<=",
    "!!",
    "!",
    "%",
    "log",
    "in",
    "cat",
    "substr",
    "+",
    "*",
    "-",
    "/",
    "min",
    "max",
    "merge",
    "var",
    "missing",
    "missing_some",
];

fn unrecognized(op: &str) -> Error {
    Error(format!("Unrecognized operation {op}"))
}

fn eval(logic: &Value, data: &Value, depth: usize) -> Result<Val> {
    if depth > MAX_DEPTH {
        return Err(Error("Rule is nested too deeply".into()));
    }
    if let Value::Array(items) = logic {
        return items
            .iter()
            .map(|item| eval(item, data, depth + 1))
            .collect::<Result<_>>()
            .map(Val::Arr);
    }
    let Some((op, raw_args)) = operator(logic) else {
        return Ok(Val::from_json(logic));
    };
    let args: &[Value] = match raw_args {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    let next = depth + 1;
    if let ("var", [Value::String(path)]) = (op, args) {
        // The common case, a literal path without default: no intermediate values.
        return Ok(var_path(path, Val::Null, data));
    }
    match op {
        "if" | "?:" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if eval(&args[i], data, next)?.truthy() {
                    return eval(&args[i + 1], data, next);
                }
                i += 2;
            }
            if i + 1 == args.len() {
                eval(&args[i], data, next)
            } else {
                Ok(Val::Null)
            }
        }
        "and" | "or" => {
            let want = op == "or";
            let mut current = Val::Undef;
            for arg in args {
                current = eval(arg, data, next)?;
                if current.truthy() == want {
                    return Ok(current);
                }
            }
            Ok(current)
        }
        "filter" | "map" | "all" | "none" | "some" => scoped(op, args, data, next),
        "reduce" => {
            let scoped_data = eval_arg(args, 0, data, next)?;
            let logic = args.get(1).unwrap_or(&Value::Null);
            // json-logic-js 1.2.3 does not evaluate the start value.
            let initial = args.get(2).map(Val::from_json).unwrap_or(Val::Null);
            let Val::Arr(items) = scoped_data else {
                return Ok(initial);
            };
            items.into_iter().try_fold(initial, |accumulator, current| {
                let mut scope = Map::new();
                scope.insert("current".into(), current.to_json());
                scope.insert("accumulator".into(), accumulator.to_json());
                eval(logic, &Value::Object(scope), next)
            })
        }
        _ => {
            let values = args
                .iter()
                .map(|arg| eval(arg, data, next))
                .collect::<Result<Vec<_>>>()?;
            operate(op, &values, data)
        }
    }
}

fn eval_arg(args: &[Value], index: usize, data: &Value, depth: usize) -> Result<Val> {
    match args.get(index) {
        Some(arg) => eval(arg, data, depth),
        None => Ok(Val::Undef),
    }
}

/// `filter`, `map`, `all`, `none`, `some`: the second argument is evaluated once per element, with the element as data.
fn scoped(op: &str, args: &[Value], data: &Value, depth: usize) -> Result<Val> {
    let scoped_data = eval_arg(args, 0, data, depth)?;
    let logic = args.get(1).unwrap_or(&Value::Null);
    let items: Vec<Val> = match scoped_data {
        Val::Arr(items) => items,
        // `all` reads `.length` and indexes: a string iterates its characters, null/undefined throw.
        Val::Str(s) if op == "all" => s.chars().map(|c| Val::Str(c.to_string())).collect(),
        Val::Undef | Val::Null if op == "all" => {
            return Err(Error("Cannot read length of null".into()))
        }
        _ if op == "all" => return Ok(Val::Bool(false)),
        _ if op == "map" || op == "filter" => return Ok(Val::Arr(Vec::new())),
        _ => Vec::new(),
    };
    let test = |item: &Val| -> Result<bool> { Ok(eval(logic, &item.to_json(), depth)?.truthy()) };
    match op {
        "map" => items
            .iter()
            .map(|item| eval(logic, &item.to_json(), depth))
            .collect::<Result<_>>()
            .map(Val::Arr),
        "all" => {
            if items.is_empty() {
                return Ok(Val::Bool(false));
            }
            for item in &items {
                if !test(item)? {
                    return Ok(Val::Bool(false));
                }
            }
            Ok(Val::Bool(true))
        }
        _ => {
            let mut kept = Vec::new();
            for item in items {
                if test(&item)? {
                    kept.push(item);
                }
            }
            Ok(match op {
                "none" => Val::Bool(kept.is_empty()),
                "some" => Val::Bool(!kept.is_empty()),
                _ => Val::Arr(kept),
            })
        }
    }
}

/// The eager operators, given their evaluated arguments.
fn operate(op: &str, values: &[Val], data: &Value) -> Result<Val> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(Val::Undef);
    let (a, b) = (arg(0), arg(1));
    let relation = |x: &Val, y: &Val, or_equal: bool| {
        matches!(js_compare(x, y), Some(Ordering::Less))
            || (or_equal && js_compare(x, y) == Some(Ordering::Equal))
    };
    let num = Val::Num;
    Ok(match op {
        "==" => Val::Bool(loose_eq(&a, &b)),
        "!=" => Val::Bool(!loose_eq(&a, &b)),
        "===" => Val::Bool(strict_eq(&a, &b)),
        "!==" => Val::Bool(!strict_eq(&a, &b)),
        ">" => Val::Bool(relation(&b, &a, false)),
        ">=" => Val::Bool(relation(&b, &a, true)),
        "<" | "<=" => {
            let or_equal = op == "<=";
            match values.get(2) {
                None | Some(Val::Undef) => Val::Bool(relation(&a, &b, or_equal)),
                Some(c) => Val::Bool(relation(&a, &b, or_equal) && relation(&b, c, or_equal)),
            }
        }
        "!!" => Val::Bool(a.truthy()),
        "!" => Val::Bool(!a.truthy()),
        "%" => num(a.to_number() % b.to_number()),
        "log" => a,
        "in" => Val::Bool(contains(&b, &a)),
        "cat" => Val::Str(values.iter().map(Val::join_part).collect()),
        "substr" => Val::Str(substr(&a, &b, values.get(2))),
        "+" => num(values.iter().map(parse_float).sum()),
        "*" => match values {
            [] => return Err(Error("Reduce of empty array with no initial value".into())),
            [only] => only.clone(),
            [first, rest @ ..] => num(rest
                .iter()
                .fold(parse_float(first), |acc, v| acc * parse_float(v))),
        },
        "-" => match b {
            Val::Undef => num(-a.to_number()),
            _ => num(a.to_number() - b.to_number()),
        },
        "/" => num(a.to_number() / b.to_number()),
        "min" => num(fold_numbers(values, f64::INFINITY, f64::min)),
        "max" => num(fold_numbers(values, f64::NEG_INFINITY, f64::max)),
        "merge" => Val::Arr(
            values
                .iter()
                .flat_map(|v| match v {
                    Val::Arr(items) => items.clone(),
                    other => vec![other.clone()],
                })
                .collect(),
        ),
        "var" => var(&a, &b, data),
        "missing" => Val::Arr(missing(values, data)),
        "missing_some" => {
            let need = a.to_number();
            let options = match &b {
                Val::Arr(items) => items.clone(),
                other => vec![other.clone()],
            };
            let absent = missing(&[Val::Arr(options.clone())], data);
            if (options.len() - absent.len()) as f64 >= need {
                Val::Arr(Vec::new())
            } else {
                Val::Arr(absent)
            }
        }
        _ => return Err(unrecognized(op)),
    })
}

/// `Math.min`/`Math.max`: any NaN argument makes the result NaN.
fn fold_numbers(values: &[Val], start: f64, pick: fn(f64, f64) -> f64) -> f64 {
    values.iter().map(Val::to_number).fold(start, |acc, n| {
        if acc.is_nan() || n.is_nan() {
            f64::NAN
        } else {
            pick(acc, n)
        }
    })
}

/// `in`: substring test for strings, strict membership for arrays, false for anything else.
fn contains(haystack: &Val, needle: &Val) -> bool {
    match haystack {
        Val::Str(s) => !s.is_empty() && s.contains(&needle.to_js_string()),
        Val::Arr(items) => items.iter().any(|item| strict_eq(item, needle)),
        _ => false,
    }
}

/// `String.prototype.substr` with json-logic-js's negative-length extension, on characters.
fn substr(source: &Val, start: &Val, length: Option<&Val>) -> String {
    let chars: Vec<char> = source.to_js_string().chars().collect();
    let len = chars.len() as i64;
    let to_int = |v: &Val| {
        let n = v.to_number();
        if n.is_nan() {
            0
        } else {
            n.trunc().clamp(-1e15, 1e15) as i64
        }
    };
    let mut from = to_int(start);
    if from < 0 {
        from = (len + from).max(0);
    }
    let from = from.min(len);
    let end = match length {
        None | Some(Val::Undef) => len,
        Some(l) if to_int(l) < 0 => (len + to_int(l)).max(from),
        Some(l) => (from + to_int(l)).min(len),
    };
    chars[from as usize..end.max(from) as usize]
        .iter()
        .collect()
}

/// `var`: dotted path into the data; a missing step gives the default (or null), an existing null stays null.
fn var(path: &Val, default: &Val, data: &Value) -> Val {
    let not_found = match default {
        Val::Undef => Val::Null,
        other => other.clone(),
    };
    match path {
        Val::Undef | Val::Null => Val::from_json(data),
        Val::Str(s) => var_path(s, not_found, data),
        other => var_path(&other.to_js_string(), not_found, data),
    }
}

fn var_path(path: &str, not_found: Val, data: &Value) -> Val {
    if path.is_empty() {
        return Val::from_json(data);
    }
    let mut current = data;
    for step in path.split('.') {
        let next = match current {
            Value::Object(map) => map.get(step),
            Value::Array(items) if step == "length" => return Val::Num(items.len() as f64),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::String(s) if step == "length" => {
                return Val::Num(s.encode_utf16().count() as f64)
            }
            _ => None,
        };
        // A null reached mid-path ends the walk at the next step; an existing null leaf is returned as is.
        match next {
            Some(value) => current = value,
            None => return not_found,
        }
    }
    Val::from_json(current)
}

fn missing(values: &[Val], data: &Value) -> Vec<Val> {
    let keys: Vec<Val> = match values.first() {
        Some(Val::Arr(items)) => items.clone(),
        _ => values.to_vec(),
    };
    keys.into_iter()
        .filter(|key| match var(key, &Val::Undef, data) {
            Val::Null | Val::Undef => true,
            Val::Str(s) => s.is_empty(),
            _ => false,
        })
        .collect()
}

#[cfg(test)]
mod tests;
