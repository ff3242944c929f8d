//! Hostile and unusual input: truncation, corruption, every compression algorithm, big-file headers.

use rootfile::buffer::{PointerTag, Reader};
use rootfile::container::compression::{decompress, Algorithm, BlockHeader};
use rootfile::container::{FileHeader, KeyHeader};
use rootfile::{decode, ByteSource, FileSource, RootFile};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/root-conformance");
const H1F: [&str; 6] = ["DQMData", "Run 123", "Pixel", "Run summary", "Clusters", "h1f"];

fn open(name: &str) -> RootFile<FileSource> {
    RootFile::open(FileSource::open(format!("{CORPUS}/{name}")).unwrap(), name).unwrap()
}

/// Opens, lists and decodes everything; any outcome but a panic is fine.
fn exercise(bytes: Vec<u8>) {
    let Ok(file) = RootFile::open(bytes, "mutated") else { return };
    if let Ok(keys) = file.list_recursive() {
        for k in keys {
            let _ = file.object(&k.key);
        }
    }
}

#[test]
fn every_truncation_of_an_object_is_an_error() {
    let file = open("root_legacy_zlib.root");
    for path in [&H1F[..], &["DQMData", "Run 123", "Pixel", "Run summary", "Clusters", "prof2d"][..]] {
        let key = file.find(path).unwrap();
        let payload = file.payload(&key).unwrap();
        assert!(decode(&key.class_name, &payload, key.key_len as u32).is_ok());
        for n in 0..payload.len() {
            let result = decode(&key.class_name, &payload[..n], key.key_len as u32);
            assert!(result.is_err(), "{path:?} truncated to {n} bytes decoded");
        }
    }
}

#[test]
fn every_truncation_of_every_small_corpus_object_is_an_error() {
    let mut checked = 0;
    for name in [
        "root_legacy_zlib.root",
        "skhep/uproot-hepdata-example.root",
        "skhep/uproot-issue33.root",
        "skhep/uproot-issue-227a.root",
        "skhep/uproot-issue64.root",
        "skhep/uproot-issue-722.root",
    ] {
        let file = open(name);
        for k in file.list_recursive().unwrap() {
            if !rootfile::models::is_supported(&k.key.class_name) || k.key.obj_len > 8192 {
                continue;
            }
            let payload = file.payload(&k.key).unwrap();
            for n in 0..payload.len() {
                let result = decode(&k.key.class_name, &payload[..n], k.key.key_len as u32);
                assert!(result.is_err(), "{name} {:?} truncated to {n} bytes decoded", k.path);
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked} objects");
}

#[test]
fn corrupted_objects_never_panic() {
    let file = open("root_legacy_zlib.root");
    let key = file.find(&["DQMData", "Run 123", "Pixel", "Run summary", "Clusters", "h1d"]).unwrap();
    let payload = file.payload(&key).unwrap();
    for i in 0..payload.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = payload.clone();
            bad[i] ^= flip;
            let _ = decode(&key.class_name, &bad, key.key_len as u32);
        }
    }
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    for name in ["root_legacy_none.root", "root_legacy_lz4.root"] {
        let bytes = std::fs::read(format!("{CORPUS}/{name}")).unwrap();
        let offsets = (0..400).chain((400..bytes.len()).step_by(61));
        for n in offsets.clone() {
            let mut cut = bytes[..n].to_vec();
            assert!(RootFile::open(cut.clone(), "cut").is_err(), "{name} cut at {n} opened");
            // With fEND patched to the cut, the reader gets past the open and must fail further in.
            if n >= 16 {
                cut[12..16].copy_from_slice(&(n as i32).to_be_bytes());
            }
            exercise(cut);
        }
        for i in offsets {
            let mut bad = bytes.clone();
            bad[i] ^= 0xff;
            exercise(bad);
        }
    }
}

#[test]
fn truncated_file_reports_where() {
    let bytes = std::fs::read(format!("{CORPUS}/root_legacy_zlib.root")).unwrap();
    let err = RootFile::open(bytes[..3000].to_vec(), "cut.root").err().expect("open must fail");
    assert!(err.message().starts_with("cut.root: "), "{err}");
    assert!(err.message().contains("truncated"), "{err}");
    // Cut inside the key list, with fEND patched: the error names the offset.
    let mut cut = bytes[..bytes.len() - 200].to_vec();
    let end = cut.len() as i32;
    cut[12..16].copy_from_slice(&end.to_be_bytes());
    let err = RootFile::open(cut, "cut.root").and_then(|f| f.list_recursive()).err().expect("listing must fail");
    assert!(err.message().contains("offset"), "{err}");
}

#[test]
fn every_algorithm_decompresses_and_lz4_checksums_are_verified() {
    for (name, tag) in [
        ("root_legacy_zlib.root", Algorithm::Zlib),
        ("root_legacy_lzma.root", Algorithm::Lzma),
        ("root_legacy_lz4.root", Algorithm::Lz4),
        ("root_legacy_zstd.root", Algorithm::Zstd),
    ] {
        let file = open(name);
        let key = file.find(&H1F).unwrap();
        let raw = file.source_bytes(&key).unwrap();
        let block = BlockHeader::parse(&raw).unwrap();
        assert_eq!(block.algorithm, tag, "{name}");
        let plain = decompress(&raw, key.obj_len as usize).unwrap();
        assert!(decode("TH1F", &plain, key.key_len as u32).is_ok(), "{name}");
        // One flipped payload byte must be caught (by the LZ4 checksum, zlib's Adler-32, …).
        let mut bad = raw.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x55;
        if tag == Algorithm::Lz4 {
            let err = decompress(&bad, key.obj_len as usize).unwrap_err();
            assert!(err.message().contains("checksum"), "{err}");
        }
        // A header claiming a different uncompressed size is an error.
        let mut wrong = raw.clone();
        wrong[6] = wrong[6].wrapping_add(1);
        assert!(decompress(&wrong, key.obj_len as usize + 1).is_err(), "{name}");
    }
}

#[test]
fn unknown_or_legacy_compression_is_rejected() {
    let mut block = b"CS\x08\x04\x00\x00\x04\x00\x00abcd".to_vec();
    let err = decompress(&block, 4).unwrap_err();
    assert!(err.message().contains("unsupported compression"), "{err}");
    block[..2].copy_from_slice(b"QQ");
    assert!(decompress(&block, 4).unwrap_err().message().contains("unsupported compression"));
}

#[test]
fn big_file_and_big_key_headers_give_the_same_seeks() {
    let mut small = Vec::new();
    small.extend_from_slice(b"root");
    small.extend_from_slice(&64000i32.to_be_bytes());
    small.extend_from_slice(&100i32.to_be_bytes());
    small.extend_from_slice(&5000i32.to_be_bytes()); // fEND
    small.extend_from_slice(&4900i32.to_be_bytes()); // fSeekFree
    small.extend_from_slice(&[0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 60]); // fNbytesFree, nfree, fNbytesName
    small.push(4);
    small.extend_from_slice(&101i32.to_be_bytes());
    small.extend_from_slice(&3000i32.to_be_bytes()); // fSeekInfo
    small.extend_from_slice(&400i32.to_be_bytes());
    small.extend_from_slice(&[0, 4]);
    small.extend_from_slice(&[7; 16]);

    let mut big = Vec::new();
    big.extend_from_slice(b"root");
    big.extend_from_slice(&1_064_000i32.to_be_bytes());
    big.extend_from_slice(&100i32.to_be_bytes());
    big.extend_from_slice(&5000i64.to_be_bytes());
    big.extend_from_slice(&4900i64.to_be_bytes());
    big.extend_from_slice(&[0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 60]);
    big.push(8);
    big.extend_from_slice(&101i32.to_be_bytes());
    big.extend_from_slice(&3000i64.to_be_bytes());
    big.extend_from_slice(&400i32.to_be_bytes());
    big.extend_from_slice(&[0, 4]);
    big.extend_from_slice(&[7; 16]);

    let (s, b) = (FileHeader::parse(&small).unwrap(), FileHeader::parse(&big).unwrap());
    assert!(!s.big && b.big);
    assert_eq!((s.version, s.end, s.seek_free, s.seek_info, s.nbytes_info), (64000, 5000, 4900, 3000, 400));
    assert_eq!((b.version, b.end, b.seek_free, b.seek_info, b.nbytes_info), (64000, 5000, 4900, 3000, 400));
    assert_eq!(s.top_directory_seek(), b.top_directory_seek());
    assert_eq!(s.uuid, b.uuid);

    let key = |version: i16, seek_key: u64, seek_pdir: u64| {
        let mut k = Vec::new();
        k.extend_from_slice(&200i32.to_be_bytes());
        k.extend_from_slice(&version.to_be_bytes());
        k.extend_from_slice(&300i32.to_be_bytes());
        k.extend_from_slice(&0u32.to_be_bytes());
        k.extend_from_slice(&(if version > 1000 { 50i16 } else { 42 }).to_be_bytes());
        k.extend_from_slice(&3i16.to_be_bytes());
        if version > 1000 {
            k.extend_from_slice(&seek_key.to_be_bytes());
            k.extend_from_slice(&seek_pdir.to_be_bytes());
        } else {
            k.extend_from_slice(&(seek_key as i32).to_be_bytes());
            k.extend_from_slice(&(seek_pdir as i32).to_be_bytes());
        }
        for s in ["TH1F", "h", "t"] {
            k.push(s.len() as u8);
            k.extend_from_slice(s.as_bytes());
        }
        KeyHeader::read(&mut Reader::new(&k, 0)).unwrap()
    };
    let (ks, kb) = (key(4, 1234, 100), key(1004, 1234, 100));
    assert_eq!((ks.seek_key, ks.seek_pdir, ks.cycle, ks.obj_len), (kb.seek_key, kb.seek_pdir, kb.cycle, kb.obj_len));
    assert_eq!(key(1004, 5 << 32, 3 << 32).seek_key, 5 << 32);
}

#[test]
fn reader_primitives_reject_hostile_lengths() {
    // TString long form.
    let mut long = vec![255u8];
    long.extend_from_slice(&300i32.to_be_bytes());
    long.extend(std::iter::repeat_n(b'x', 300));
    assert_eq!(Reader::new(&long, 0).tstring().unwrap().len(), 300);
    assert!(Reader::new(&long[..200], 0).tstring().is_err());
    // A huge array count fails before allocating.
    let huge = [0x7f, 0xff, 0xff, 0xff, 0, 0];
    assert!(Reader::new(&huge, 0).array_f64().is_err());
    assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff], 0).array_f32().is_err());
    // A byte count past the end of the buffer.
    assert!(Reader::new(&[0x40, 0, 0x10, 0, 0, 3], 0).class_header().is_err());
    // A class reference to a class never seen.
    let bad_ref = [0x40, 0, 0, 8, 0x80, 0, 0, 0x40, 0, 0, 0, 0];
    assert!(Reader::new(&bad_ref, 0).pointer_tag().is_err());
    // Null pointer.
    assert_eq!(Reader::new(&[0, 0, 0, 0], 0).pointer_tag().unwrap(), PointerTag::Null);
    // Unterminated class name.
    assert!(Reader::new(&[0x40, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, b'T', b'H'], 0).pointer_tag().is_err());
}

#[test]
fn memory_and_file_sources_agree() {
    let path = format!("{CORPUS}/root_legacy_zstd.root");
    let bytes = std::fs::read(&path).unwrap();
    let file = FileSource::open(&path).unwrap();
    assert_eq!(ByteSource::len(&file), bytes.len() as u64);
    assert_eq!(file.read_at(100, 64).unwrap(), bytes[100..164]);
    assert!(file.read_at(bytes.len() as u64 - 3, 4).is_err());
    assert!(bytes.read_at(u64::MAX, 2).is_err());
}

#[test]
fn highest_cycle_wins() {
    let dqm = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/dqm/DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root"
    );
    let file = RootFile::open(FileSource::open(dqm).unwrap(), "edge").unwrap();
    let twice: Vec<_> = file.list_recursive().unwrap().into_iter().filter(|k| k.key.name == "twice").collect();
    assert_eq!(twice.len(), 2);
    let path: Vec<&str> = twice[0].path.iter().map(String::as_str).collect();
    let key = file.find(&path).unwrap();
    assert_eq!(key.cycle, 2);
    assert!(twice.iter().any(|k| k.key.cycle == 2 && k.highest_cycle));
    assert!(twice.iter().any(|k| k.key.cycle == 1 && !k.highest_cycle));
    let rootfile::Object::Histogram(h) = file.object(&key).unwrap() else { panic!("not a histogram") };
    assert_eq!(h.array.to_f64(), [0.0, 1.0, 2.0, 0.0, 0.0, 0.0]);
}

/// A TList (base offset 0) holding one TObjString of `len` bytes followed by `refs` references to it.
fn list_with_references(len: usize, refs: usize) -> Vec<u8> {
    let counted = |body: Vec<u8>| {
        let mut out = ((body.len() as u32) | 0x4000_0000).to_be_bytes().to_vec();
        out.extend(body);
        out
    };
    let tobject = [0u8, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut string = vec![0u8, 1];
    string.extend_from_slice(&tobject);
    string.push(255);
    string.extend_from_slice(&(len as i32).to_be_bytes());
    string.extend(std::iter::repeat_n(b's', len));
    let mut pointer_body = 0xFFFF_FFFFu32.to_be_bytes().to_vec();
    pointer_body.extend_from_slice(b"TObjString\0");
    pointer_body.extend(counted(string));

    let mut list = vec![0u8, 5];
    list.extend_from_slice(&tobject);
    list.push(0); // fName
    list.extend_from_slice(&(1 + refs as i32).to_be_bytes());
    // The first element's pointer starts after the list's 4-byte count: its key is that position + 2.
    let object_key = 4 + list.len() as u32 + 2;
    list.extend(counted(pointer_body));
    list.push(0); // option
    for _ in 0..refs {
        list.extend_from_slice(&object_key.to_be_bytes());
        list.push(0);
    }
    counted(list)
}

#[test]
fn object_references_resolve_but_cannot_multiply_memory() {
    let rootfile::Object::List(list) = decode("TList", &list_with_references(5, 2), 0).unwrap() else {
        panic!("not a list")
    };
    assert_eq!(list.items.len(), 3);
    assert!(list.items.iter().all(|item| item.object == list.items[0].object));
    let err = decode("TList", &list_with_references(1000, 2000), 0).unwrap_err();
    assert!(err.message().contains("too many object references"), "{err}");
}
