//! Stored documents as bytes, for the read paths that only pass them on (`/api/fetch`, `get_json`):
//! one validating scan that pulls out the single field a filter checks, and a re-indenter that turns the
//! stored compact JSON into the spec's pretty form without building a `Value` tree.
//!
//! Documents are stored by serde_json from a `Map` (a `BTreeMap`: keys sorted), so re-indenting the
//! stored bytes gives exactly what `serde_json::to_vec_pretty` of the parsed document gives.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Validates `bytes` as one JSON object and returns the string values of its top-level `field`
/// (a string gives one, an array its string items, anything else none).
pub fn field_strings<'a>(bytes: &'a [u8], field: &str) -> Result<Vec<Cow<'a, str>>, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let values = FieldOf { field }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(values)
}

struct FieldOf<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for FieldOf<'_> {
    type Value = Vec<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldOf<'_> {
    type Value = Vec<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a workflow document (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.field {
                found = map.next_value_seed(Strings)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A field value as its strings: `"x"` → `[x]`, `["x", 1, "y"]` → `[x, y]`, anything else → `[]`.
struct Strings;

impl<'de> DeserializeSeed<'de> for Strings {
    type Value = Vec<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Implements every `visit_*` that is not a string or a sequence as "no strings here".
macro_rules! no_strings {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> { Ok(Default::default()) })*
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok(Default::default()) }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok(Default::default()) }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

impl<'de> Visitor<'de> for Strings {
    type Value = Vec<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    no_strings!(visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64));
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Borrowed(v)])
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Owned(v.to_owned())])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(OneString)? {
            out.extend(item);
        }
        Ok(out)
    }
}

/// An array item: a string, or nothing (nested arrays and other values are skipped).
struct OneString;

impl<'de> DeserializeSeed<'de> for OneString {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OneString {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    no_strings!(visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64));
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// Appends valid JSON `json` re-indented the way `serde_json::to_vec_pretty` writes it (two spaces,
/// `": "`, empty containers as `{}`/`[]`), nested `depth` levels deep. Whitespace outside strings is dropped.
pub fn write_pretty(out: &mut Vec<u8>, json: &[u8], depth: usize) {
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.resize(out.len() + 2 * depth, b' ');
    };
    let mut depth = depth;
    let mut in_string = false;
    let mut escaped = false;
    // Set after `{`/`[`: the line break is written only once the container turns out not to be empty.
    let mut opened = false;
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            continue;
        }
        if opened {
            opened = false;
            if b == b'}' || b == b']' {
                out.push(b);
                depth -= 1;
                continue;
            }
            newline(out, depth);
        }
        match b {
            b'{' | b'[' => {
                out.push(b);
                depth += 1;
                opened = true;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b',');
                newline(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b'"' => {
                out.push(b);
                in_string = true;
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn pretty_matches_serde_json() {
        let values = [
            json!({"b": [1, 2, {"x": []}], "a": {"q": "say \"hi\" {, :]\\", "e": {}}, "n": null, "f": 1.5, "t": true}),
            json!([]),
            json!({}),
            json!([[], [[]], {"k": [{}]}]),
            json!("plain \\ string"),
        ];
        for value in values {
            let compact = serde_json::to_vec(&value).unwrap();
            let mut out = Vec::new();
            write_pretty(&mut out, &compact, 0);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&value).unwrap());
            // Whitespace in the input does not matter.
            let mut again = Vec::new();
            write_pretty(&mut again, serde_json::to_string_pretty(&value).unwrap().as_bytes(), 0);
            assert_eq!(again, serde_json::to_vec_pretty(&value).unwrap());
        }
    }

    #[test]
    fn nested_output_lines_up_inside_an_array() {
        let docs = [json!({"a": 1}), json!({"b": [2]})];
        let mut out = b"[".to_vec();
        for (i, doc) in docs.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
            write_pretty(&mut out, &serde_json::to_vec(doc).unwrap(), 1);
        }
        out.extend_from_slice(b"\n]");
        assert_eq!(out, serde_json::to_vec_pretty(&Value::Array(docs.to_vec())).unwrap());
    }

    #[test]
    fn field_strings_reads_one_field_and_validates_everything() {
        let doc = br#"{"Campaigns":["A","B\u0041",3,["nested"]],"PrepID":"p","Other":{"Campaigns":"no"}}"#;
        assert_eq!(field_strings(doc, "Campaigns").unwrap(), ["A", "BA"]);
        assert_eq!(field_strings(doc, "PrepID").unwrap(), ["p"]);
        assert!(field_strings(doc, "Missing").unwrap().is_empty());
        assert!(field_strings(br#"{"PrepID":{"x":1}}"#, "PrepID").unwrap().is_empty());
        assert!(field_strings(br#"{"PrepID":"p""#, "PrepID").is_err());
        assert!(field_strings(br#"{"a":1} trailing"#, "a").is_err());
        assert!(field_strings(b"[1]", "a").is_err());
    }
}
