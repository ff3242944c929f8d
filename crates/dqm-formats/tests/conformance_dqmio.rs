//! The ROOT-conformance DQMIO files list and decode their MEs in every compression, equal to the PyROOT dumps.

mod common;
use dqm_formats::{Decoded, DqmFile, Format, Location, Scalar};
use rootfile::models::Object;
use serde_json::Value;

const COMPRESSIONS: [&str; 5] = ["none", "zlib", "lzma", "lz4", "zstd"];

fn expected_tree<'a>(expected: &'a Value, tree: &str) -> &'a Value {
    let key = expected["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["path"] == serde_json::json!([tree]));
    &key.unwrap_or_else(|| panic!("no tree {tree}"))["object"]
}

fn check(compression: &str) {
    let name = format!("root_dqmio_{compression}.root");
    let dir = common::fixtures().join("root-conformance");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected").join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let file = DqmFile::open(
        rootfile::FileSource::open(dir.join(&name)).unwrap(),
        name.clone(),
    )
    .unwrap();
    assert_eq!(file.format(), Format::Dqmio);
    let DqmFile::Dqmio(dqmio) = &file else {
        unreachable!()
    };

    let rows: Vec<Value> = dqmio
        .rows()
        .iter()
        .map(|r| serde_json::json!({"Run": r.run, "Lumi": r.lumi, "ProcessHistoryIndex": r.process_history_index,
            "BeginTime": r.begin_time, "EndTime": r.end_time, "Type": r.type_index, "FirstIndex": r.first, "LastIndex": r.last}))
        .collect();
    assert_eq!(
        Value::Array(rows),
        expected_tree(&expected, "Indices")["rows"],
        "{name}: Indices"
    );

    let all = file.list_all(0).unwrap();
    assert!(all.warnings.is_empty(), "{:?}", all.warnings);
    let mut checked = 0;
    for me in &all.mes {
        let (tree, entry) = match (&me.location, me.me_type) {
            (Location::Tree { tree, entry }, _) => (*tree, *entry),
            (_, t) => (
                t.dqmio_tree(),
                find_scalar_entry(
                    &expected,
                    t.dqmio_tree(),
                    &me.path_string(),
                    me.value.as_ref().unwrap(),
                ),
            ),
        };
        let row = &expected_tree(&expected, tree)["rows"][entry as usize];
        assert_eq!(row["FullName"], me.path_string(), "{name}: {tree}[{entry}]");
        let want = &row["Value"];
        match file.decode(me).unwrap() {
            Decoded::Scalar(_) => {}
            Decoded::Object(Object::Histogram(h)) => {
                assert_eq!(
                    want["class"],
                    h.kind.class_name(),
                    "{name}: {tree}[{entry}]"
                );
                assert_eq!(want["title"], h.th1.named.title.as_str());
                assert_eq!(want["entries"].as_f64(), Some(h.th1.entries));
                assert_eq!(want["ncells"].as_i64(), Some(h.th1.ncells as i64));
                assert_eq!(
                    want["contents"],
                    serde_json::json!(h.array.to_f64()),
                    "{name}: {tree}[{entry}] contents"
                );
                let sumw2 = if h.th1.sumw2.is_empty() {
                    Value::Null
                } else {
                    serde_json::json!(h.th1.sumw2)
                };
                assert_eq!(want["sumw2"], sumw2, "{name}: {tree}[{entry}] sumw2");
                if let Some(p) = &h.profile {
                    assert_eq!(
                        want["profile"]["bin_entries"],
                        serde_json::json!(p.bin_entries)
                    );
                }
            }
            Decoded::Object(other) => {
                panic!("{name}: {tree}[{entry}] decoded a {}", other.class_name())
            }
        }
        checked += 1;
    }
    // Every entry of every non-empty tree is some sample's ME.
    let total: u64 = expected["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["path"] != serde_json::json!(["Indices"]))
        .filter_map(|k| k["object"]["entries"].as_u64())
        .sum();
    assert_eq!(checked as u64, total, "{name}: MEs listed");
}

/// Scalars carry their value, not their entry: find the entry with that name and value.
fn find_scalar_entry(expected: &Value, tree: &str, path: &str, value: &Scalar) -> u64 {
    let rows = expected_tree(expected, tree)["rows"].as_array().unwrap();
    let want = match value {
        Scalar::Int(v) => serde_json::json!(v),
        Scalar::Float(v) => serde_json::json!(v),
        Scalar::String(v) => serde_json::json!(v),
    };
    let found = rows
        .iter()
        .position(|r| r["FullName"] == path && r["Value"] == want);
    found.unwrap_or_else(|| panic!("{tree}: no row {path} = {want}")) as u64
}

#[test]
fn every_compression() {
    for compression in COMPRESSIONS {
        check(compression);
    }
}
