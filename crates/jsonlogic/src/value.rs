//! JavaScript values and the conversions json-logic-js relies on (ToNumber, ToString, loose equality, …).

use serde_json::{Map, Number, Value};
use std::cmp::Ordering;

/// A JS value: JSON plus `undefined`, NaN and the infinities that arithmetic can produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Val>),
    Obj(Map<String, Value>),
}

impl Val {
    pub fn from_json(value: &Value) -> Val {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(items) => Val::Arr(items.iter().map(Val::from_json).collect()),
            Value::Object(map) => Val::Obj(map.clone()),
        }
    }

    /// JSON form, as `JSON.stringify` would give it: `undefined`, NaN and ±Infinity become `null`.
    pub fn to_json(&self) -> Value {
        match self {
            Val::Undef | Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => number_to_json(*n),
            Val::Str(s) => Value::String(s.clone()),
            Val::Arr(items) => Value::Array(items.iter().map(Val::to_json).collect()),
            Val::Obj(map) => Value::Object(map.clone()),
        }
    }

    /// json-logic's `truthy`: an empty array is false, otherwise JS truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Arr(items) => !items.is_empty(),
            other => other.js_truthy(),
        }
    }

    /// Plain JS truthiness (`if (x)`): every array and object is true.
    pub fn js_truthy(&self) -> bool {
        match self {
            Val::Undef | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Arr(_) | Val::Obj(_) => true,
        }
    }

    /// JS `ToNumber` (`Number(x)`, unary `+`).
    pub fn to_number(&self) -> f64 {
        match self {
            Val::Undef | Val::Obj(_) => f64::NAN,
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) => string_to_number(s),
            Val::Arr(_) => string_to_number(&self.to_js_string()),
        }
    }

    /// JS `String(x)`; arrays join with `,` (null and undefined elements become empty).
    pub fn to_js_string(&self) -> String {
        match self {
            Val::Undef => "undefined".into(),
            Val::Null => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => number_to_string(*n),
            Val::Str(s) => s.clone(),
            Val::Arr(items) => items
                .iter()
                .map(Val::join_part)
                .collect::<Vec<_>>()
                .join(","),
            Val::Obj(_) => "[object Object]".into(),
        }
    }

    /// How `Array.prototype.join` renders one element.
    pub fn join_part(&self) -> String {
        match self {
            Val::Undef | Val::Null => String::new(),
            other => other.to_js_string(),
        }
    }

    fn is_primitive(&self) -> bool {
        !matches!(self, Val::Arr(_) | Val::Obj(_))
    }

    /// ToPrimitive: arrays and objects become their string form.
    fn to_primitive(&self) -> Val {
        if self.is_primitive() {
            self.clone()
        } else {
            Val::Str(self.to_js_string())
        }
    }
}

/// JS `==`. Two arrays/objects are never equal (they are distinct references).
pub fn loose_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Undef | Val::Null, Val::Undef | Val::Null) => true,
        (Val::Undef | Val::Null, _) | (_, Val::Undef | Val::Null) => false,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Str(s)) | (Val::Str(s), Val::Num(x)) => *x == string_to_number(s),
        (Val::Bool(x), other) | (other, Val::Bool(x)) => {
            loose_eq(&Val::Num(f64::from(u8::from(*x))), other)
        }
        (x, y) if !x.is_primitive() && !y.is_primitive() => false,
        (x, y) => loose_eq(&x.to_primitive(), &y.to_primitive()),
    }
}

/// JS `===`. Arrays/objects are never strictly equal to anything.
pub fn strict_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Undef, Val::Undef) | (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        _ => false,
    }
}

/// JS relational comparison: two strings compare by UTF-16 code units, anything else numerically;
/// `None` when a NaN is involved (every relation is then false).
pub fn js_compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a.to_primitive(), b.to_primitive()) {
        (Val::Str(x), Val::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (x, y) => x.to_number().partial_cmp(&y.to_number()),
    }
}

/// JS `parseFloat`: the longest numeric prefix of `String(x)` after leading whitespace.
pub fn parse_float(v: &Val) -> f64 {
    let text = v.to_js_string();
    let s = text.trim_start();
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if rest.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let bytes = rest.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let int_len = digits(0);
    let mut end = int_len;
    let mut frac_len = 0;
    if bytes.get(end) == Some(&b'.') {
        frac_len = digits(end + 1);
        if int_len + frac_len > 0 {
            end += 1 + frac_len;
        }
    }
    if int_len + frac_len == 0 {
        return f64::NAN;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign_len = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp_len = digits(end + 1 + sign_len);
        if exp_len > 0 {
            end += 1 + sign_len + exp_len;
        }
    }
    rest[..end]
        .parse::<f64>()
        .map(|n| sign * n)
        .unwrap_or(f64::NAN)
}

/// `Number(string)`: whitespace-trimmed; empty is 0; decimal, `Infinity` or `0x`/`0o`/`0b` literals; else NaN.
fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix)
                .map(|n| n as f64)
                .unwrap_or(f64::NAN);
        }
    }
    match t {
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if t
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) =>
        {
            t.parse::<f64>().unwrap_or(f64::NAN)
        }
        _ => f64::NAN,
    }
}

/// JS number formatting for the common cases: integers without `.0`, NaN, Infinity.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n == n.trunc() && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

/// A finite number as JSON (integral values as integers, like JS prints them); otherwise `null`.
pub fn number_to_json(n: f64) -> Value {
    if n.is_finite() && n == n.trunc() && n.abs() < 9.007_199_254_740_992e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// `JSON.stringify` of a JSON value: no spaces, integral numbers without `.0`.
pub fn js_stringify(value: &Value) -> String {
    let mut out = String::new();
    write_js(value, &mut out);
    out
}

fn write_js(value: &Value, out: &mut String) {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&number_to_string(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_js(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}
