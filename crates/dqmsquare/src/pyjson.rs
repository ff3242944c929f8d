//! JSON text the way the original's `json.dumps` writes it (`", "` and `": "` separators, ASCII-only),
//! so answers stay byte-identical to the original's test truths.
//!
//! Objects whose key order matters (`get_runs`) are written with [`ObjectWriter`]; serde_json's map sorts keys.

use py_json::{write_int, write_repr, write_string};
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
        Value::String(s) => write_string(out, s),
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
        (Some(i), _, _) if !n.is_f64() => write_int(out, i),
        (_, Some(u), _) if !n.is_f64() => out.push_str(&u.to_string()),
        (_, _, Some(f)) => write_repr(out, f),
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
        write_int(out, *self);
    }
}

impl Dump for f64 {
    fn dump(&self, out: &mut String) {
        match serde_json::Number::from_f64(*self) {
            Some(_) => write_repr(out, *self),
            // serde_json's `Value` turns a non-finite float into null, and so do we.
            None => out.push_str("null"),
        }
    }
}

impl Dump for str {
    fn dump(&self, out: &mut String) {
        write_string(out, self);
    }
}

impl Dump for String {
    fn dump(&self, out: &mut String) {
        write_string(out, self);
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
        write_string(self.out, key);
        self.out.push_str(": ");
    }

    /// An integer key (`"358791": `), written without an intermediate string.
    pub fn int_key(&mut self, key: i64) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.out.push('"');
        write_int(self.out, key);
        self.out.push_str("\": ");
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
    fn integers_and_integer_keys_match_the_plain_forms() {
        // Strings are checked in py-json, which writes them.
        for n in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            358791,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = String::new();
            n.dump(&mut out);
            assert_eq!(out, n.to_string());
            let mut key = String::new();
            let mut obj = ObjectWriter::new(&mut key);
            obj.int_key(n);
            obj.out().push('1');
            obj.int_key(n);
            obj.out().push('2');
            obj.finish();
            assert_eq!(key, format!("{{\"{n}\": 1, \"{n}\": 2}}"));
        }
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
            (-1.0, "-1.0"),
            (999999999999999.0, "999999999999999.0"),
            (1e15, "1000000000000000.0"),
            (-4503599627370497.0, "-4503599627370497.0"),
            (1.5e300, "1.5e+300"),
        ];
        for (value, python) in cases {
            let mut out = String::new();
            value.dump(&mut out);
            assert_eq!(out, python, "{value:e}");
            assert_eq!(dumps(&json!(value)), python, "{value:e}");
        }
        // Whole numbers take a shortcut; Display (what every float took before) must agree.
        let mut whole = 1.0f64;
        while whole < 1e17 {
            for f in [
                whole,
                -whole,
                whole + 1.0,
                whole - 1.0,
                (whole * 1.37).trunc(),
            ] {
                let mut out = String::new();
                f.dump(&mut out);
                let mut display = format!("{f}");
                if !display.contains('.') && !display.contains('e') {
                    display.push_str(".0");
                }
                if f.abs() < 1e16 {
                    assert_eq!(out, display, "{f}");
                }
            }
            whole *= 1.9;
        }
        let mut out = String::new();
        write_list(&[&f64::NAN, &Some(1i64), &None::<i64>, &"a"], &mut out);
        assert_eq!(out, r#"[null, 1, null, "a"]"#);
    }
}
