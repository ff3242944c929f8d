//! JSON text the way Python's `json.dumps` writes it (separators `", "` / `": "`, ASCII escapes, keys in
//! insertion order), so responses compare byte-for-byte with the recorded ones.

use std::fmt::Write;

use rootfile::json::write_string;

/// A JSON value whose objects keep their key order.
#[derive(Clone, Debug, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
    /// A map with owned keys (layout `draw` options).
    Map(Vec<(String, J)>),
    /// Already-serialised JSON text, inserted as is.
    Raw(String),
}

impl J {
    pub fn str(s: impl Into<String>) -> J {
        J::Str(s.into())
    }

    pub fn dump(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::Str(s) => write_string(out, s),
            J::Raw(text) => out.push_str(text),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(members) => write_members(out, members.iter().map(|(k, v)| (*k, v))),
            J::Map(members) => write_members(out, members.iter().map(|(k, v)| (k.as_str(), v))),
        }
    }

    /// Converts a parsed value (layout draw options, which are kept as given).
    pub fn from_value(value: &serde_json::Value) -> J {
        use serde_json::Value;
        match value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => J::Raw(n.to_string()),
            Value::String(s) => J::Str(s.clone()),
            Value::Array(items) => J::Arr(items.iter().map(J::from_value).collect()),
            Value::Object(map) => J::Map(map.iter().map(|(k, v)| (k.clone(), J::from_value(v))).collect()),
        }
    }
}

fn write_members<'a>(out: &mut String, members: impl Iterator<Item = (&'a str, &'a J)>) {
    out.push('{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(out, key);
        out.push_str(": ");
        value.write(out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_separators_and_escapes() {
        let v = J::Obj(vec![("b", J::Arr(vec![J::Int(1), J::Null])), ("a", J::str("é\"x"))]);
        assert_eq!(v.dump(), r#"{"b": [1, null], "a": "\u00e9\"x"}"#);
        assert_eq!(J::Arr(vec![]).dump(), "[]");
    }
}
