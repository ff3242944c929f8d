//! One directory level of a sample: its MEs plus the layouts of the request's scope (dqmgui-api.md §6.2).

use std::collections::BTreeMap;

use regex_lite::Regex;

use crate::layouts::Layout;
use crate::melist::MeList;
use crate::pyjson::J;

/// The `search` parameter: a regex matched at the start of each leaf name (Python `re.match`);
/// a pattern that does not compile is matched literally.
pub struct Search(Regex);

impl Search {
    pub fn new(pattern: &str) -> Search {
        let regex = Regex::new(&format!("^(?:{pattern})"))
            .or_else(|_| Regex::new(&format!("^{}", regex_lite::escape(pattern))))
            .expect("an escaped pattern always compiles");
        Search(regex)
    }

    fn accepts(&self, leaf: &str) -> bool {
        self.0.is_match(leaf)
    }
}

struct Object<'a> {
    name: &'a str,
    path: &'a str,
    layout: Option<&'a Layout>,
    qtstatuses: Vec<i32>,
}

/// The listing items of directory `dir` (`""` is the top): directories sorted by name, then objects
/// sorted by name, layout (MEs first) and path.
/// An error when the info of a listed ME cannot be read (a corrupt stored list).
pub fn list(mes: &MeList, layouts: &[&Layout], dir: &str, search: Option<&Search>) -> Result<Vec<J>, String> {
    let prefix = dir_prefix(dir);
    let mut dirs: BTreeMap<&str, u64> = BTreeMap::new();
    let mut objects: Vec<Object> = Vec::new();
    let range = mes.prefix_range(&prefix);
    let mut i = range.start;
    while i < range.end {
        let full = mes.name(i);
        match classify(&full[prefix.len()..], search) {
            // Without a search every ME below counts: the subdirectory's MEs are contiguous, count them at once.
            Some(Entry::Dir(name)) if search.is_none() => {
                let end = i + mes.prefix_len_from(i, &format!("{prefix}{name}/"));
                *dirs.entry(name).or_default() += (end - i) as u64;
                i = end;
                continue;
            }
            Some(Entry::Dir(name)) => *dirs.entry(name).or_default() += 1,
            Some(Entry::Leaf(name)) => {
                let qtstatuses = qtest_statuses(mes, i)?;
                objects.push(Object { name, path: full, layout: None, qtstatuses });
            }
            None => {}
        }
        i += 1;
    }
    for layout in layouts.iter().copied().filter(|l| l.destination.starts_with(&prefix)) {
        match classify(&layout.destination[prefix.len()..], search) {
            Some(Entry::Dir(name)) => *dirs.entry(name).or_default() += 1,
            Some(Entry::Leaf(name)) => {
                let qtstatuses = mes.find(&layout.source).map(|i| qtest_statuses(mes, i)).transpose()?.unwrap_or_default();
                objects.push(Object { name, path: &layout.source, layout: Some(layout), qtstatuses });
            }
            None => {}
        }
    }
    objects.sort_by(|a, b| {
        let (la, lb) = (a.layout.map(|l| l.name.as_str()), b.layout.map(|l| l.name.as_str()));
        (a.name, la, a.path).cmp(&(b.name, lb, b.path))
    });
    let dir_items = dirs.into_iter().map(|(name, count)| J::Obj(vec![("subdir", J::str(name)), ("me_count", J::Int(count as i64))]));
    Ok(dir_items.chain(objects.into_iter().map(object_json)).collect())
}

fn qtest_statuses(mes: &MeList, i: usize) -> Result<Vec<i32>, String> {
    Ok(mes.info(i)?.qtests.iter().map(|(_, s)| *s).collect())
}

/// What every path inside directory `dir` starts with (`""` for the top).
pub fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        dir.to_owned()
    } else {
        format!("{dir}/")
    }
}

enum Entry<'a> {
    Dir(&'a str),
    Leaf(&'a str),
}

/// Splits the part of a path below the listed directory; `None` when `search` rejects its leaf.
fn classify<'a>(rest: &'a str, search: Option<&Search>) -> Option<Entry<'a>> {
    let leaf = rest.rsplit('/').next().unwrap_or(rest);
    if search.is_some_and(|s| !s.accepts(leaf)) {
        return None;
    }
    Some(match rest.split_once('/') {
        Some((dir, _)) => Entry::Dir(dir),
        None => Entry::Leaf(rest),
    })
}

fn object_json(o: Object) -> J {
    let qtstatuses = J::Arr(o.qtstatuses.into_iter().map(|s| J::Int(s as i64)).collect());
    match o.layout {
        None => J::Obj(vec![("name", J::str(o.name)), ("path", J::str(o.path)), ("layout", J::Null), ("qtstatuses", qtstatuses)]),
        Some(l) => J::Obj(vec![
            ("name", J::str(o.name)),
            ("path", J::str(o.path)),
            ("layout", J::str(&l.name)),
            ("draw", l.draw_json()),
            ("overlays", J::Arr(l.overlays.iter().map(J::str).collect())),
            ("description", J::str(&l.description)),
            ("qtstatuses", qtstatuses),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqm_formats::{Location, Me, MeType, QTest};

    fn me(path: &str, qtests: &[(&str, i32)]) -> Me {
        Me {
            path: path.split('/').map(str::to_owned).collect(),
            me_type: MeType::TH1F,
            run: 1,
            lumi: 0,
            efficiency: false,
            qtests: qtests.iter().map(|(n, s)| QTest { name: n.to_string(), status: *s, result: 0.0, algorithm: String::new(), message: String::new() }).collect(),
            location: Location::Key { seek: 1, nbytes: 1 },
            value: None,
        }
    }

    fn layout(name: &str, source: &str, destination: &str) -> Layout {
        let json = format!(r#"[{{"name": "{name}", "source": "{source}", "destination": "{destination}"}}]"#);
        crate::layouts::parse_file("l.json", &json).unwrap().remove(0)
    }

    #[test]
    fn dirs_then_objects_with_layouts_and_search() {
        let mes = MeList::from_mes(&[me("T/B/x", &[("q2", 300), ("q1", 100)]), me("T/a", &[]), me("T/A/y", &[]), me("U/z", &[])]);
        let ls = [layout("L", "T/B/x", "T/Layouts/x"), layout("M", "Nope/x", "T/a")];
        let refs: Vec<&Layout> = ls.iter().collect();
        let items: Vec<String> = list(&mes, &refs, "T", None).unwrap().iter().map(J::dump).collect();
        assert_eq!(items[..3], [r#"{"subdir": "A", "me_count": 1}"#, r#"{"subdir": "B", "me_count": 1}"#, r#"{"subdir": "Layouts", "me_count": 1}"#]);
        assert_eq!(items[3], r#"{"name": "a", "path": "T/a", "layout": null, "qtstatuses": []}"#);
        assert!(items[4].starts_with(r#"{"name": "a", "path": "Nope/x", "layout": "M", "draw": {}"#));
        let inside = list(&mes, &refs, "T/Layouts/", None).unwrap();
        assert!(inside[0].dump().ends_with(r#""qtstatuses": [100, 300]}"#), "{}", inside[0].dump());
        let searched: Vec<String> = list(&mes, &refs, "T/", Some(&Search::new("y|x"))).unwrap().iter().map(J::dump).collect();
        assert_eq!(searched.len(), 3);
        assert!(list(&mes, &refs, "Q", None).unwrap().is_empty());
        assert_eq!(list(&mes, &[], "", None).unwrap().len(), 2);
    }

    #[test]
    fn subdirectories_counted_at_once_count_every_me() {
        let paths = ["A", "A.x/p", "A/b", "A/c/d", "A/c/e", "A0/q", "B/x", "B/y/z"];
        let mes = MeList::from_mes(&paths.iter().map(|p| me(p, &[])).collect::<Vec<_>>());
        for dir in ["", "A", "A/c", "B/"] {
            let dump = |search| list(&mes, &[], dir, search).unwrap().iter().map(J::dump).collect::<Vec<_>>();
            assert_eq!(dump(None), dump(Some(&Search::new(""))), "{dir}");
        }
        assert_eq!(list(&mes, &[], "", None).unwrap()[0].dump(), r#"{"subdir": "A", "me_count": 3}"#);
    }

    #[test]
    fn search_is_anchored_and_bad_patterns_are_literal() {
        assert!(Search::new("Track").accepts("TrackPt"));
        assert!(!Search::new("Track").accepts("NumberOfTracks"));
        assert!(Search::new("a(").accepts("a(b"));
        assert!(!Search::new("a(").accepts("ab"));
    }
}
