//! Reads the DQMIO fixture's trees: branch metadata, basket ranges and entries (fixed-size and offset-indexed).

use root_tree::{values, BranchKind, EntryCursor, Tree};
use rootfile::{FileSource, RootFile};

fn open() -> RootFile<FileSource> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/dqm/DQMIO_R000123456_ZeroBias.root"
    );
    RootFile::open(FileSource::open(path).unwrap(), "dqmio").unwrap()
}

fn tree(file: &RootFile<FileSource>, name: &str) -> Tree {
    Tree::read(file, file.top().get(name).unwrap()).unwrap()
}

#[test]
fn indices_tree_has_fixed_size_branches() {
    let file = open();
    let indices = tree(&file, "Indices");
    assert_eq!(indices.entries, 22);
    let names: Vec<&str> = indices.branches.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Run",
            "Lumi",
            "ProcessHistoryIndex",
            "BeginTime",
            "EndTime",
            "Type",
            "FirstIndex",
            "LastIndex"
        ]
    );
    for branch in &indices.branches {
        assert_eq!(branch.kind, BranchKind::Plain);
        assert_eq!(branch.entries, 22);
        assert_eq!(branch.flushed_entries(), 22, "{}", branch.name);
        assert!(branch.write_basket >= 1);
        assert_eq!(branch.basket_entry[0], 0);
    }
    assert_eq!(indices.branch("Run").unwrap().leaves[0].class, "TLeafI");
    assert!(indices.branch("Run").unwrap().leaves[0].unsigned);
    assert_eq!(
        indices.branch("BeginTime").unwrap().leaves[0].class,
        "TLeafL"
    );
    let mut runs = EntryCursor::new(&file, indices.branch("Run").unwrap());
    for entry in 0..22 {
        assert_eq!(values::u32(runs.entry(entry).unwrap().0).unwrap(), 123456);
    }
    assert!(runs.entry(22).is_err());
    let mut lumis = EntryCursor::new(&file, indices.branch("Lumi").unwrap());
    assert_eq!(values::u32(lumis.entry(21).unwrap().0).unwrap(), 0);
    assert_eq!(values::u32(lumis.entry(0).unwrap().0).unwrap(), 1);
}

#[test]
fn type_trees_have_string_names_and_object_values() {
    let file = open();
    let th1f = tree(&file, "TH1Fs");
    assert_eq!(th1f.entries, 8);
    let names = th1f.branch("FullName").unwrap();
    assert!(
        names.entry_offset_len > 0,
        "std::string entries carry offsets"
    );
    let mut cursor = EntryCursor::new(&file, names);
    let first = values::string(cursor.entry(0).unwrap().0).unwrap();
    assert_eq!(first, "Tracking/PerLumi/NumberOfTracks");
    match &th1f.branch("Value").unwrap().kind {
        BranchKind::Element {
            class_name,
            class_version,
            ..
        } => assert_eq!((class_name.as_str(), *class_version), ("TH1F", 3)),
        other => panic!("{other:?}"),
    }
    let profiles = tree(&file, "TProfiles");
    match &profiles.branch("Value").unwrap().kind {
        BranchKind::Object { class_name } => assert_eq!(class_name, "TProfile"),
        BranchKind::Element {
            class_name,
            class_version,
            ..
        } => assert_eq!((class_name.as_str(), *class_version), ("TProfile", 7)),
        other => panic!("{other:?}"),
    }
    // Entries of an object branch lie inside the basket's logical buffer, after the key header.
    let mut values_cursor = EntryCursor::new(&file, th1f.branch("Value").unwrap());
    let (bytes, offset) = values_cursor
        .entry(7)
        .map(|(b, o)| (b.to_vec(), o))
        .unwrap();
    let buffer = values_cursor.basket_buffer().unwrap();
    assert_eq!(&buffer[offset..offset + bytes.len()], &bytes[..]);
    assert!(offset > 0 && !bytes.is_empty());
    let ints = tree(&file, "Ints");
    let mut ints_cursor = EntryCursor::new(&file, ints.branch("Value").unwrap());
    assert_eq!(values::i64(ints_cursor.entry(0).unwrap().0).unwrap(), 1);
}

#[test]
fn truncated_tree_records_are_errors() {
    let file = open();
    let key = file.top().get("TH1Fs").unwrap();
    let payload = file.payload(key).unwrap();
    for cut in (0..payload.len()).step_by(7) {
        assert!(
            Tree::parse(&payload[..cut], key.key_len as u32).is_err(),
            "cut at {cut}"
        );
    }
    assert!(Tree::parse(&payload, key.key_len as u32).is_ok());
}
