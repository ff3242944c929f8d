//! Layouts: virtual ME placements with drawing hints, loaded from `layouts/*.toml|json` into the store.
//!
//! A file holds `[[layout]]` tables (TOML) or a JSON array (or `{"layout": [...]}`) of objects with
//! `name source destination scope draw overlays description`; files are read in name order and their
//! layouts kept in that order (archive and `layouts?name=` depend on it). `scope` defaults to `ALL`.

use std::path::Path;

use kv_api::{KvResult, KvStore};
use serde::{Deserialize, Serialize};

use crate::pyjson::J;
use crate::schema::{LAYOUTS_KEY, LAYOUT_DIRS_KEY};

/// The draw keys that are kept, in the order they are served.
pub const DRAW_KEYS: [&str; 10] = ["xmin", "xmax", "ymin", "ymax", "zmin", "zmax", "xtype", "ytype", "ztype", "drawopts"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Scope {
    Online,
    Offline,
    Relval,
    All,
}

impl Scope {
    /// The scope of a request for `dataset` (dqmgui-api.md §3.5).
    pub fn of_dataset(dataset: &str) -> Scope {
        if dataset == "/Global/Online/ALL" {
            Scope::Online
        } else if dataset.to_ascii_lowercase().contains("relval") {
            Scope::Relval
        } else {
            Scope::Offline
        }
    }

    fn includes(self, request: Scope) -> bool {
        self == Scope::All || self == request
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub source: String,
    pub destination: String,
    #[serde(default = "all")]
    pub scope: Scope,
    /// Kept draw options, in [`DRAW_KEYS`] order.
    #[serde(default, with = "draw_map")]
    pub draw: Vec<(String, serde_json::Value)>,
    #[serde(default)]
    pub overlays: Vec<String>,
    #[serde(default)]
    pub description: String,
}

fn all() -> Scope {
    Scope::All
}

/// `draw` as an object: unknown keys (e.g. `withref`) and nulls dropped, the rest in [`DRAW_KEYS`] order.
mod draw_map {
    use super::DRAW_KEYS;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(draw: &[(String, serde_json::Value)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(draw.iter().map(|(k, v)| (k, v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, serde_json::Value)>, D::Error> {
        let map = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        Ok(DRAW_KEYS
            .iter()
            .filter_map(|k| map.get(*k).filter(|v| !v.is_null()).map(|v| (k.to_string(), v.clone())))
            .collect())
    }
}

impl Layout {
    /// The draw options as served (`{}` when none).
    pub fn draw_json(&self) -> J {
        J::Map(self.draw.iter().map(|(k, v)| (k.clone(), J::from_value(v))).collect())
    }
}

#[derive(Deserialize)]
struct TomlFile {
    #[serde(default)]
    layout: Vec<Layout>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonFile {
    List(Vec<Layout>),
    Table { layout: Vec<Layout> },
}

/// Parses one layout file; `name` picks the syntax by extension (`.toml` or `.json`).
pub fn parse_file(name: &str, text: &str) -> Result<Vec<Layout>, String> {
    let layouts = if name.ends_with(".toml") {
        toml::from_str::<TomlFile>(text).map_err(|e| format!("{name}: {e}"))?.layout
    } else if name.ends_with(".json") {
        match serde_json::from_str::<JsonFile>(text).map_err(|e| format!("{name}: {e}"))? {
            JsonFile::List(list) | JsonFile::Table { layout: list } => list,
        }
    } else {
        return Err(format!("{name}: layout files end in .toml or .json"));
    };
    for layout in &layouts {
        if layout.name.is_empty() || layout.source.is_empty() || layout.destination.is_empty() {
            return Err(format!("{name}: every layout needs a name, a source and a destination"));
        }
    }
    Ok(layouts)
}

/// Reads every `*.toml` and `*.json` in `dir`, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Layout>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") || n.ends_with(".json"))
        .collect();
    names.sort();
    let mut layouts = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).map_err(|e| format!("cannot read {name}: {e}"))?;
        layouts.extend(parse_file(&name, &text)?);
    }
    Ok(layouts)
}

/// The store value for a set of layouts.
pub fn encode(layouts: &[Layout]) -> Vec<u8> {
    serde_json::to_vec(layouts).unwrap_or_default()
}

/// The folder index of a set of layouts: every folder (with its trailing `/`) that holds a destination at any
/// depth, one per line, sorted; the first line is empty (the top) when there is any layout at all.
pub fn encode_dirs(layouts: &[Layout]) -> Vec<u8> {
    let mut dirs = std::collections::BTreeSet::new();
    for layout in layouts {
        dirs.insert("");
        let path = &layout.destination;
        dirs.extend(path.match_indices('/').map(|(i, _)| &path[..=i]));
    }
    dirs.into_iter().flat_map(|d| [d, "\n"]).collect::<String>().into_bytes()
}

/// Stores the layouts, then their folder index: a listing that reads the index mid-reload sees the old folders.
pub fn save(store: &dyn KvStore, layouts: &[Layout]) -> KvResult<()> {
    store.set(LAYOUTS_KEY, &encode(layouts))?;
    store.set(LAYOUT_DIRS_KEY, &encode_dirs(layouts))
}

/// The layouts a listing of folder `prefix` (`dir/`, or empty for the top) may show, given the stored folder
/// index `dirs`: none, without reading the layouts, when no layout lies under the folder. A store whose layouts
/// predate the index reads them all.
pub fn for_listing(store: &dyn KvStore, dirs: Option<&[u8]>, prefix: &str) -> KvResult<Vec<Layout>> {
    let indexed = dirs.map(std::str::from_utf8).and_then(Result::ok).map(|dirs| dirs.lines().any(|dir| dir == prefix));
    if indexed == Some(false) {
        return Ok(Vec::new());
    }
    let stored = store.get(LAYOUTS_KEY)?;
    // The index already said there is a layout under `prefix`; without one, the byte search decides.
    let under = indexed.unwrap_or_else(|| any_under(stored.as_deref(), prefix));
    Ok(if under { parse_stored(stored.as_deref()) } else { Vec::new() })
}

/// The stored layouts; none when nothing was loaded (or the value is unreadable).
pub fn load(store: &dyn KvStore) -> KvResult<Vec<Layout>> {
    Ok(parse_stored(store.get(LAYOUTS_KEY)?.as_deref()))
}

/// Whether any stored layout's destination lies under `prefix`: a byte search instead of a parse, since most
/// listed directories hold no layout. [`encode`] writes compact JSON with `destination` as a key and escapes
/// only `"`, `\` and control characters; a quote inside a string is always escaped, so `"destination":"<prefix>`
/// can only be the start of a destination. A prefix that would need escaping, or a value [`encode`] did not
/// write, goes to the full parse.
pub fn any_under(bytes: Option<&[u8]>, prefix: &str) -> bool {
    let Some(bytes) = bytes else { return false };
    let plain = !prefix.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    let encoded = bytes == b"[]" || bytes.starts_with(b"[{\"name\":\"");
    if !(plain && encoded) {
        return true;
    }
    // `str::contains` is a Two-Way search: it skips ahead, where a byte-by-byte scan cost 5% of a listing.
    match std::str::from_utf8(bytes) {
        Ok(text) => text.contains(&format!("\"destination\":\"{prefix}")),
        Err(_) => true,
    }
}

/// The layouts from the value of [`LAYOUTS_KEY`] (none when absent or unreadable).
pub fn parse_stored(bytes: Option<&[u8]>) -> Vec<Layout> {
    bytes.and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default()
}

/// The layouts that apply to a request for `dataset`, in registration order.
pub fn for_dataset<'a>(layouts: &'a [Layout], dataset: &str) -> impl Iterator<Item = &'a Layout> {
    let scope = Scope::of_dataset(dataset);
    layouts.iter().filter(move |l| l.scope.includes(scope))
}

/// `GET /api/v1/layouts?name=`: `(source, destination)` of every layout named `name`, deduplicated.
pub fn by_name(layouts: &[Layout], name: &str) -> J {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for l in layouts.iter().filter(|l| !name.is_empty() && l.name == name) {
        if !seen.contains(&(l.source.as_str(), l.destination.as_str())) {
            seen.push((&l.source, &l.destination));
        }
    }
    let data = seen.into_iter().map(|(s, d)| J::Obj(vec![("source", J::str(s)), ("destination", J::str(d))])).collect();
    J::Obj(vec![("data", J::Arr(data))])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[[layout]]
name = "1 - HV"
source = "Info/EventInfo/reportSummaryMap"
destination = "Info/Layouts/reportSummaryMap"
scope = "OFFLINE"
draw = { withref = "no", drawopts = "COLZ", ymin = 0 }

[[layout]]
name = "1 - HV"
source = "Info/EventInfo/reportSummaryMap"
destination = "Info/Layouts/reportSummaryMap"
"#;

    #[test]
    fn the_folder_index_lists_every_folder_above_a_destination() {
        let layouts = parse_file("l.json", r#"[{"name": "a", "source": "X/y", "destination": "Info/Layouts/x"}, {"name": "b", "source": "X/z", "destination": "Top"}]"#).unwrap();
        assert_eq!(String::from_utf8(encode_dirs(&layouts)).unwrap(), "\nInfo/\nInfo/Layouts/\n");
        assert_eq!(encode_dirs(&[]), b"");
    }

    #[test]
    fn listings_read_the_layouts_only_under_an_indexed_folder() {
        let store = kv_api::MemoryStore::new();
        let layouts = parse_file("l.json", r#"[{"name": "a", "source": "X/y", "destination": "Info/Layouts/x"}]"#).unwrap();
        save(&store, &layouts).unwrap();
        let dirs = store.get(LAYOUT_DIRS_KEY).unwrap();
        for (prefix, expected) in [("", 1), ("Info/", 1), ("Info/Layouts/", 1), ("Tracking/", 0), ("Info/Lay", 0)] {
            assert_eq!(for_listing(&store, dirs.as_deref(), prefix).unwrap().len(), expected, "{prefix:?}");
        }
        // Layouts stored before the index existed: read and filtered as before.
        store.delete(LAYOUT_DIRS_KEY).unwrap();
        assert_eq!(for_listing(&store, None, "Info/").unwrap().len(), 1);
        assert_eq!(for_listing(&store, None, "Tracking/").unwrap().len(), 0);
        // The index says "under here", so the layouts are read: an empty index means none at all.
        assert!(for_listing(&store, Some(b""), "").unwrap().is_empty());
    }

    #[test]
    fn any_under_finds_destinations_below_a_prefix() {
        let stored = encode(&parse_file("l.json", r#"[{"name": "n", "source": "A/x", "destination": "Info/Layouts/x \"q\"", "description": "\"destination\":\"Tracking/"}]"#).unwrap());
        assert!(any_under(Some(&stored), "Info/"));
        assert!(any_under(Some(&stored), "Info/Layouts/"));
        assert!(any_under(Some(&stored), ""));
        assert!(!any_under(Some(&stored), "Tracking/"));
        assert!(!any_under(None, ""));
        assert!(any_under(Some(b"not json"), "Tracking/"), "an unreadable value goes to the full parse");
        assert!(!any_under(Some(b"[]"), ""));
        let pretty = serde_json::to_vec_pretty(&parse_stored(Some(&stored))).unwrap();
        assert!(any_under(Some(&pretty), "Tracking/"), "a value encode did not write goes to the full parse");
        assert!(any_under(Some(&stored), "Info/\"quoted"), "a prefix that needs escaping goes to the full parse");
    }

    #[test]
    fn toml_and_json_agree() {
        let from_toml = parse_file("a.toml", TOML).unwrap();
        assert_eq!(from_toml[0].draw_json().dump(), r#"{"ymin": 0, "drawopts": "COLZ"}"#);
        assert_eq!(from_toml[1].scope, Scope::All);
        let json = String::from_utf8(encode(&from_toml)).unwrap();
        assert_eq!(parse_file("a.json", &json).unwrap(), from_toml);
        assert!(parse_file("a.txt", "").is_err());
        assert!(parse_file("a.toml", "[[layout]]\nname = 1").is_err());
        assert!(parse_file("a.json", r#"[{"name": "", "source": "a", "destination": "b"}]"#).is_err());
    }

    #[test]
    fn scopes_and_dedup() {
        let layouts = parse_file("a.toml", TOML).unwrap();
        assert_eq!(for_dataset(&layouts, "/Global/Online/ALL").count(), 1);
        assert_eq!(for_dataset(&layouts, "/A/B/DQMIO").count(), 2);
        assert_eq!(Scope::of_dataset("/RelValX/y/DQMIO"), Scope::Relval);
        assert_eq!(
            by_name(&layouts, "1 - HV").dump(),
            r#"{"data": [{"source": "Info/EventInfo/reportSummaryMap", "destination": "Info/Layouts/reportSummaryMap"}]}"#
        );
        assert_eq!(by_name(&layouts, "").dump(), r#"{"data": []}"#);
    }
}
