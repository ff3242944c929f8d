//! JSON text the way the original's `json.dumps` writes it (`", "` and `": "` separators, ASCII-only),
//! so answers stay byte-identical to the original's test truths.
//!
//! Objects whose key order matters (`get_runs`) are written with [`ObjectWriter`]; serde_json's map sorts keys.

use serde_json::Value;

pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

pub fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut obj = ObjectWriter::new(out);
            for (k, v) in map {
                obj.key(k);
                write_value(v, obj.out());
            }
            obj.finish();
        }
    }
}

/// Integers as they are; floats as Python's `repr`: shortest round-trip digits, positional for
/// exponents -4..16 (always with a fraction), else `1e+16` / `1e-05`.
fn write_number(n: &serde_json::Number, out: &mut String) {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) if !n.is_f64() => out.push_str(&i.to_string()),
        (_, Some(u), _) if !n.is_f64() => out.push_str(&u.to_string()),
        (_, _, Some(f)) => write_float(f, out),
        _ => out.push_str(&n.to_string()),
    }
}

/// One value written straight into the answer, without building a `serde_json::Value` first
/// (the hot routes write a row at a time).
pub trait Dump {
    fn dump(&self, out: &mut String);
}

impl Dump for i64 {
    fn dump(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{self}");
    }
}

impl Dump for f64 {
    fn dump(&self, out: &mut String) {
        match serde_json::Number::from_f64(*self) {
            Some(_) => write_float(*self, out),
            // serde_json's `Value` turns a non-finite float into null, and so do we.
            None => out.push_str("null"),
        }
    }
}

impl Dump for str {
    fn dump(&self, out: &mut String) {
        write_str(self, out);
    }
}

impl Dump for String {
    fn dump(&self, out: &mut String) {
        write_str(self, out);
    }
}

impl Dump for Value {
    fn dump(&self, out: &mut String) {
        write_value(self, out);
    }
}

impl<T: Dump + ?Sized> Dump for &T {
    fn dump(&self, out: &mut String) {
        (**self).dump(out);
    }
}

impl<T: Dump> Dump for Option<T> {
    fn dump(&self, out: &mut String) {
        match self {
            Some(value) => value.dump(out),
            None => out.push_str("null"),
        }
    }
}

/// `[a, b, …]` of mixed items.
pub fn write_list(items: &[&dyn Dump], out: &mut String) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.dump(out);
    }
    out.push(']');
}

/// A finite float as Python's `repr`. Inside Python's positional range Rust's `Display` already gives the
/// shortest round-trip digits, so only the exponent forms take the slow path.
fn write_float(f: f64, out: &mut String) {
    use std::fmt::Write;
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-4..1e16).contains(&magnitude) {
        let start = out.len();
        let _ = write!(out, "{f}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    } else {
        out.push_str(&python_float_repr(f));
    }
}

fn python_float_repr(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let (head, tail) = digits.split_at(1);
        let fraction = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        format!(
            "{sign}{head}{fraction}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    }
}

/// A JSON string with every non-ASCII character as `\uXXXX` (Python's `ensure_ascii`).
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes an object member by member, keeping insertion order.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    /// Writes the key; the caller then writes the value into [`ObjectWriter::out`].
    pub fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        write_str(key, self.out);
        self.out.push_str(": ");
    }

    pub fn out(&mut self) -> &mut String {
        self.out
    }

    pub fn finish(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_json_dumps() {
        let v = json!([-1.0, 1663242342452.877, null, "é\"x", {"a": [1, true]}, 1e16, 1e-5, 0.0001, 12345.6, -2.5e-7, 7]);
        assert_eq!(
            dumps(&v),
            r#"[-1.0, 1663242342452.877, null, "\u00e9\"x", {"a": [1, true]}, 1e+16, 1e-05, 0.0001, 12345.6, -2.5e-07, 7]"#
        );
    }

    #[test]
    fn floats_at_the_edges_of_the_positional_range_match_python() {
        // Python: repr(x) for each x.
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e-4, "0.0001"),
            (9.999999999999999e-5, "9.999999999999999e-05"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (123456789.0, "123456789.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-1663242342.45, "-1663242342.45"),
            (1.5e300, "1.5e+300"),
        ];
        for (value, python) in cases {
            let mut out = String::new();
            value.dump(&mut out);
            assert_eq!(out, python, "{value:e}");
            assert_eq!(dumps(&json!(value)), python, "{value:e}");
        }
        let mut out = String::new();
        write_list(&[&f64::NAN, &Some(1i64), &None::<i64>, &"a"], &mut out);
        assert_eq!(out, r#"[null, 1, null, "a"]"#);
    }
}
